/*
 * addr.c: SMTP paths and address quoting (addr.h).
 */
#include "addr.h"
#include "limit.h"

size_t
addr_at(const char *a, size_t n)
{
	return byte_rchr(a, n, '@');
}

int
addr_is_8bit(const char *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] >= 128)
			return 1;
	return 0;
}

size_t
addr_parse_path(struct sa *out, const char *s, size_t n)
{
	size_t i = 0, start;
	int bracket = 0, quoted = 0, route;
	char c;

	out->len = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		++i;
	if (i < n && s[i] == '<')
		bracket = 1, ++i;
	start = i;
	/* source route: "@host,@host:" before the mailbox; ignored (RFC 5321 4.1.2) */
	route = i < n && s[i] == '@';
	if (route) {
		while (i < n && s[i] != ':') {
			c = s[i];
			if (c == '>' || c == '<' || c == '"' || c == ' ' ||
			    c == '\0' || c == '\r' || c == '\n')
				return 0;
			++i;
		}
		if (i == n)
			return 0;
		++i;
		start = i;
	}
	for (; i < n; i++) {
		c = s[i];
		if (c == '\0' || c == '\r' || c == '\n')
			return 0;
		if (quoted) {
			if (c == '"') {
				quoted = 0;
				continue;
			}
			if (c == '\\') {
				if (++i == n || s[i] == '\0' || s[i] == '\r' ||
				    s[i] == '\n')
					return 0;
				c = s[i];
			}
		} else if (c == '"') {
			quoted = 1;
			continue;
		} else if (c == '\\') {
			if (++i == n || s[i] == '\0' || s[i] == '\r' ||
			    s[i] == '\n')
				return 0;
			c = s[i];
		} else if (bracket && c == '>') {
			break;
		} else if (c == '<' || c == '>') {
			return 0;
		} else if (c == ' ' || c == '\t') {
			if (bracket)
				return 0;
			break;
		}
		if (out->len >= LIMIT_ADDR)
			return 0;
		if (sa_catc(out, c) == -1)
			return 0;
	}
	if (quoted)
		return 0;
	if (bracket) {
		if (i == n || s[i] != '>')
			return 0;
		++i;
	} else if (i == start)
		return 0;	/* nothing at all */
	if (route && out->len == 0)
		return 0;
	return i;
}

static int
atext(unsigned char c)
{
	if (c >= 128)
		return 1;	/* UTF-8 local parts (RFC 6531) need no quotes */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '/': case '=': case '?':
	case '^': case '_': case '`': case '{': case '|': case '}':
	case '~':
		return 1;
	}
	return 0;
}

int
addr_quote(struct sa *out, const char *a, size_t n)
{
	size_t at = addr_at(a, n), i;
	int need = 0;

	if (at == n)
		at = n;
	if (at == 0 && n > 0)
		need = 1;	/* empty local part */
	for (i = 0; i < at; i++) {
		if (a[i] == '.') {
			if (i == 0 || i + 1 == at || a[i + 1] == '.')
				need = 1;
		} else if (!atext((unsigned char)a[i]))
			need = 1;
	}
	if (!need)
		return sa_catb(out, a, n);
	if (sa_catc(out, '"') == -1)
		return -1;
	for (i = 0; i < at; i++) {
		if ((a[i] == '"' || a[i] == '\\') && sa_catc(out, '\\') == -1)
			return -1;
		if (sa_catc(out, a[i]) == -1)
			return -1;
	}
	if (sa_catc(out, '"') == -1)
		return -1;
	return sa_catb(out, a + at, n - at);
}
