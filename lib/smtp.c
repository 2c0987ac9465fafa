/* smtp.c: qmail-smtpd's command and DATA parsers (smtp.h). */
#include <string.h>

#include "addr.h"
#include "smtp.h"

int
smtp_split(const char *s, size_t n, size_t *vlen, size_t *astart,
    size_t *alen)
{
	size_t v, a, e;

	if (byte_chr(s, n, 0) < n)
		return -1;
	v = byte_chr(s, n, ' ');
	for (a = v; a < n && s[a] == ' '; ++a)
		;
	for (e = n; e > a && s[e - 1] == ' '; --e)
		;
	*vlen = v, *astart = a, *alen = e - a;
	return 0;
}

size_t
smtp_path(struct sa *addr, const char *s, size_t n, const char *what)
{
	size_t w = str_len(what), used;

	if (!case_startb(s, n, what))
		return 0;
	used = addr_parse_path(addr, s + w, n - w);
	if (used == 0)
		return 0;
	used += w;
	while (used < n && s[used] == ' ')
		++used;
	return used;
}

int
smtp_next_param(const char *s, size_t n, size_t *pos, size_t *start,
    size_t *len)
{
	size_t i = *pos;

	while (i < n && s[i] == ' ')
		++i;
	if (i == n)
		return 0;
	*start = i;
	while (i < n && s[i] != ' ')
		++i;
	*len = i - *start;
	*pos = i;
	return 1;
}

static int
param_is(const char *p, size_t n, const char *name)
{
	size_t k = str_len(name);

	return n >= k && case_equalb(p, k, name) && (n == k || p[k] == '=');
}

int
smtp_mail_params(const char *s, size_t n, unsigned long *size, int *utf8)
{
	size_t pos = 0, ps, pn, vs;
	const char *v;

	while (smtp_next_param(s, n, &pos, &ps, &pn)) {
		v = s + ps;
		vs = byte_chr(v, pn, '=');
		if (param_is(v, pn, "size")) {
			if (vs == pn || vs + 1 == pn ||
			    scan_ulong(v + vs + 1, pn - vs - 1, size) != pn - vs - 1)
				return SMTP_MP_SIZE;
		} else if (param_is(v, pn, "body")) {
			if (vs == pn)
				return SMTP_MP_BODY;
			if (!(pn - vs - 1 == 4 && case_equalb(v + vs + 1, 4, "7bit")) &&
			    !(pn - vs - 1 == 8 && case_equalb(v + vs + 1, 8, "8bitmime")))
				return SMTP_MP_BODY;
		} else if (pn == 8 && case_equalb(v, 8, "smtputf8")) {
			*utf8 = 1;
		} else
			return SMTP_MP_UNKNOWN;
	}
	return SMTP_MP_OK;
}

enum { S_BOL, S_DOT, S_DOTCR, S_MID, S_CR };

size_t
smtp_data_scan(struct smtp_data *d, const char *p, size_t n, char *out,
    size_t cap, size_t *outlen)
{
	size_t i, o = 0;
	int st = d->st;
	char c;

	for (i = 0; i < n && !d->done && cap - o >= 2; i++) {
		c = p[i];
		switch (st) {
		case S_BOL:
			if (c == '.') {
				st = S_DOT;
				break;
			}
			/* FALLTHROUGH */
		case S_MID:
		mid:
			if (c == '\r')
				st = S_CR;
			else {
				if (c == '\n')
					d->bare = 1;
				out[o++] = c;
				st = S_MID;
			}
			break;
		case S_DOT:
			if (c == '\r')
				st = S_DOTCR;
			else
				goto mid;	/* the stuffed dot goes */
			break;
		case S_DOTCR:
			if (c == '\n') {
				d->done = 1;
				break;
			}
			d->bare = 1;	/* ".<CR>x": a bare CR */
			goto mid;
		case S_CR:
			if (c == '\n') {
				out[o++] = '\n';
				st = S_BOL;
			} else if (c == '\r')
				d->bare = 1;	/* stays S_CR */
			else {
				d->bare = 1;
				out[o++] = '\r';
				out[o++] = c;
				st = S_MID;
			}
			break;
		}
	}
	d->st = st;
	*outlen = o;
	return i;
}
