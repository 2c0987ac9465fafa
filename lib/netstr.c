/*
 * netstr.c: netstrings (netstr.h).  Lengths have at most 19 digits, and a
 * leading zero is allowed only for "0:" so that one value has one form.
 */
#include <errno.h>

#include "netstr.h"

#define NS_DIGITS 19

int
ns_cat(struct sa *x, const char *s, size_t n)
{
	if (sa_catulong(x, (unsigned long)n) == -1 || sa_catc(x, ':') == -1 ||
	    sa_catb(x, s, n) == -1 || sa_catc(x, ',') == -1)
		return -1;
	return 0;
}

size_t
ns_parse(const char *s, size_t n, const char **data, size_t *dlen)
{
	unsigned long len;
	size_t d;

	d = scan_ulong(s, n < NS_DIGITS ? n : NS_DIGITS, &len);
	if (d == 0 || d >= n || s[d] != ':' || (d > 1 && s[0] == '0'))
		return 0;
	if (len > n - d - 1 || n - d - 1 - len < 1)
		return 0;
	if (s[d + 1 + len] != ',')
		return 0;
	*data = s + d + 1;
	*dlen = len;
	return d + 2 + len;
}

int
ns_getlen(struct buf *b, size_t *len, size_t max)
{
	unsigned long u = 0;
	size_t digits = 0;
	char c;
	ssize_t r;

	for (;;) {
		r = buf_get(b, &c, 1);
		if (r == -1)
			return -1;
		if (r == 0)
			return digits ? (errno = EPROTO, -1) : 0;
		if (c == ':')
			break;
		if (c < '0' || c > '9' || digits >= NS_DIGITS ||
		    (digits == 1 && u == 0))
			return errno = EPROTO, -1;
		u = u * 10 + (unsigned long)(c - '0');
		++digits;
		if (u > max)
			return errno = E2BIG, -1;
	}
	if (digits == 0)
		return errno = EPROTO, -1;
	*len = u;
	return 1;
}

int
ns_getcomma(struct buf *b)
{
	char c;
	ssize_t r = buf_get(b, &c, 1);

	if (r == -1)
		return -1;
	if (r == 0 || c != ',')
		return errno = EPROTO, -1;
	return 1;
}

int
ns_get(struct buf *b, struct sa *x, size_t max)
{
	size_t len, avail;
	char *p;
	int r;

	if ((r = ns_getlen(b, &len, max)) <= 0)
		return r;
	x->len = 0;
	if (sa_ready(x, len) == -1)
		return -1;
	while (x->len < len) {
		if ((p = buf_peek(b, &avail)) == NULL)
			return -1;
		if (avail == 0)
			return errno = EPROTO, -1;
		if (avail > len - x->len)
			avail = len - x->len;
		sa_catb(x, p, avail);
		buf_seek(b, avail);
	}
	return ns_getcomma(b);
}
