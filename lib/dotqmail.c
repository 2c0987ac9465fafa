/*
 * dotqmail.c: .qmail line classification (dotqmail.h).
 */
#include <string.h>

#include "dotqmail.h"

int
dq_line(const char *s, size_t n, size_t *off, size_t *len)
{
	const char *z;

	if ((z = memchr(s, 0, n)) != NULL)
		n = (size_t)(z - s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		--n;
	*off = 0, *len = n;
	if (n == 0)
		return DQ_BLANK;
	switch (s[0]) {
	case '#':
		return DQ_COMMENT;
	case '+':
		return n == 5 && memcmp(s, "+list", 5) == 0 ? DQ_LIST :
		    DQ_COMMENT;
	case '|':
		*off = 1, *len = n - 1;
		return DQ_PROGRAM;
	case '.':
	case '/':
		return s[n - 1] == '/' ? DQ_MAILDIR : DQ_MBOX;
	case '&':
		*off = 1, *len = n - 1;
		return DQ_FORWARD;
	default:
		return DQ_FORWARD;
	}
}
