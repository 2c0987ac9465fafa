/*
 * str.c: growable strings and byte helpers (str.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

int
sa_ready(struct sa *x, size_t n)
{
	size_t cap;
	char *p;

	if (n <= x->cap)
		return 0;
	if ((cap = n + n / 8 + 32) < n)
		cap = n;		/* the slack wrapped; take exact */
	if ((p = realloc(x->s, cap)) == NULL)
		return errno = ENOMEM, -1;
	x->s = p, x->cap = cap;
	return 0;
}

int
sa_readyplus(struct sa *x, size_t n)
{
	if (n > SIZE_MAX - x->len)
		return errno = ENOMEM, -1;	/* len + n would wrap */
	return sa_ready(x, x->len + n);
}

int
sa_catb(struct sa *x, const char *s, size_t n)
{
	if (sa_readyplus(x, n) == -1)
		return -1;
	if (n)
		memcpy(x->s + x->len, s, n);
	x->len += n;
	return 0;
}

int
sa_cats(struct sa *x, const char *s)
{
	return sa_catb(x, s, strlen(s));
}

int
sa_cat(struct sa *x, const struct sa *y)
{
	return sa_catb(x, y->s, y->len);
}

int
sa_catc(struct sa *x, int c)
{
	char ch = (char)c;

	return sa_catb(x, &ch, 1);
}

int
sa_copyb(struct sa *x, const char *s, size_t n)
{
	x->len = 0;
	return sa_catb(x, s, n);
}

int
sa_copys(struct sa *x, const char *s)
{
	return sa_copyb(x, s, strlen(s));
}

int
sa_copy(struct sa *x, const struct sa *y)
{
	return sa_copyb(x, y->s, y->len);
}

int
sa_catulong(struct sa *x, unsigned long u)
{
	char buf[FMT_ULONG];

	return sa_catb(x, buf, fmt_ulong(buf, u));
}

int
sa_0(struct sa *x)
{
	return sa_catb(x, "", 1);
}

char *
sa_str(struct sa *x)
{
	if (sa_readyplus(x, 1) == -1)
		return NULL;
	x->s[x->len] = 0;
	return x->s;
}

void
sa_free(struct sa *x)
{
	free(x->s);
	x->s = NULL, x->len = x->cap = 0;
}

void *
alloc_array(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return errno = ENOMEM, NULL;
	return malloc(n && size ? n * size : 1);
}

void *
realloc_array(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return errno = ENOMEM, NULL;
	return realloc(p, n && size ? n * size : 1);
}

size_t
fmt_ulong(char *s, unsigned long u)
{
	size_t len = 1, i;
	unsigned long q = u;

	while (q > 9)
		++len, q /= 10;
	if (s)
		for (i = len; i > 0; u /= 10)
			s[--i] = (char)('0' + u % 10);
	return len;
}

size_t
fmt_ulong0(char *s, unsigned long u, size_t width)
{
	size_t len = fmt_ulong(NULL, u), i;

	if (width > FMT_ULONG)
		width = FMT_ULONG;
	if (len >= width)
		return fmt_ulong(s, u);
	if (s) {
		for (i = 0; i < width - len; i++)
			s[i] = '0';
		fmt_ulong(s + width - len, u);
	}
	return width;
}

size_t
fmt_xlong(char *s, unsigned long u)
{
	size_t len = 1, i;
	unsigned long q = u;

	while (q > 15)
		++len, q >>= 4;
	if (s)
		for (i = len; i > 0; u >>= 4)
			s[--i] = "0123456789abcdef"[u & 15];
	return len;
}

size_t
scan_ulong(const char *s, size_t n, unsigned long *u)
{
	unsigned long r = 0, d;
	size_t i;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		d = (unsigned long)(s[i] - '0');
		if (r > (~0UL - d) / 10)
			return 0;	/* overflow: refuse rather than wrap */
		r = r * 10 + d;
	}
	if (i)
		*u = r;
	return i;
}

size_t
byte_chr(const char *s, size_t n, int c)
{
	const char *p = memchr(s, c, n);

	return p ? (size_t)(p - s) : n;
}

size_t
byte_rchr(const char *s, size_t n, int c)
{
	size_t i = n;

	while (i > 0)
		if (s[--i] == (char)c)
			return i;
	return n;
}

int
byte_equal(const char *a, size_t n, const char *b)
{
	return memcmp(a, b, n) == 0;
}

size_t
str_len(const char *s)
{
	return strlen(s);
}

int
str_equal(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

int
str_start(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int
case_equalb(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int
case_equals(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && case_equalb(a, n, b);
}

int
case_startb(const char *s, size_t n, const char *prefix)
{
	size_t p = strlen(prefix);

	return n >= p && case_equalb(s, p, prefix);
}

void
case_lowerb(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = (char)lower((unsigned char)s[i]);
}
