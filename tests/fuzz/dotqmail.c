/* fuzz target: .qmail lines.  The input is split at '\n' as qmail-local
 * splits a .qmail file; every line is classified from a copy that ends
 * where a global array ends (malloc for the rare longer line), so a read
 * past the line is an ASan report.  No malloc per line: ASan's
 * quarantine would push the RSS over fuzz.sh's limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/dotqmail.h"

const char prog[] = "fuzz-dotqmail";

static char space[8192];

/* a copy of s[0..n) (plus the bytes of tail) ending at the end of an
 * allocation; free it with unplace */
static char *
place(const char *s, size_t n, const char *tail, size_t tn)
{
	char *p;

	if (n + tn <= sizeof space)
		p = space + sizeof space - n - tn;
	else if ((p = malloc(n + tn)) == NULL)
		abort();
	memmove(p, s, n);
	memcpy(p + n, tail, tn);
	return p;
}

static void
unplace(char *p)
{
	if (p < space || p > space + sizeof space)
		free(p);
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

static void
one(const char *s, size_t n)
{
	size_t off, len, off2, len2, i, end;
	const char *a, *z;
	char *t;
	int kind;

	kind = dq_line(s, n, &off, &len);
	if (off > 1 || len > n || off + len > n)
		abort();
	a = s + off;
	if (memchr(a, 0, len) != NULL)
		abort();	/* the caller uses the argument as a C string */
	if (len && blank(a[len - 1]))
		abort();
	/* the text the classification stands for: up to the first NUL */
	z = memchr(s, 0, n);
	end = z ? (size_t)(z - s) : n;
	if (off + len > end)
		abort();
	for (i = off + len; i < end; i++)
		if (!blank(s[i]))
			abort();	/* only trailing blanks may be dropped */
	switch (kind) {
	case DQ_BLANK:
		if (len != 0 || off != 0)
			abort();
		break;
	case DQ_COMMENT:
		if (off != 0 || (s[0] != '#' && s[0] != '+'))
			abort();
		break;
	case DQ_LIST:
		if (len != 5 || memcmp(s, "+list", 5) != 0)
			abort();
		break;
	case DQ_PROGRAM:
		if (off != 1 || s[0] != '|')
			abort();
		break;
	case DQ_FORWARD:
		if ((off == 1) != (s[0] == '&'))
			abort();
		if (off == 0 && (len == 0 || strchr("#+|./", a[0]) != NULL))
			abort();
		break;
	case DQ_MAILDIR:
	case DQ_MBOX:
		if (off != 0 || len == 0 || (a[0] != '.' && a[0] != '/') ||
		    (a[len - 1] == '/') != (kind == DQ_MAILDIR))
			abort();
		break;
	default:
		abort();
	}
	/* trailing blanks never change the answer */
	if (z == NULL) {
		t = place(s, n, " \t", 2);
		if (dq_line(t, n + 2, &off2, &len2) != kind || off2 != off ||
		    len2 != len)
			abort();
		unplace(t);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *s = (const char *)d;
	size_t i, j;
	char *line;

	for (i = 0; i <= n; i = j + 1) {
		for (j = i; j < n && s[j] != '\n'; j++)
			;
		line = place(s + i, j - i, "", 0);
		one(line, j - i);
		unplace(line);
	}
	return 0;
}
