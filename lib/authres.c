/*
 * authres.c: header fields with folding, Authentication-Results parsing
 * and writing, the exemption list (authres.h).
 */
#include <sys/types.h>
#include <arpa/inet.h>
#include <string.h>

#include "authres.h"

void
hf_init(struct hf *h, struct buf *b)
{
	h->in = b;
	h->start = h->off = 0;
	h->trunc = h->done = 0;
}

/* append what fits under max; remember what did not */
static int
keep(struct hf *h, struct sa *f, const char *s, size_t n, size_t max)
{
	size_t room = f->len < max ? max - f->len : 0;

	if (n > room) {
		h->trunc = 1;
		n = room;
	}
	return n ? sa_catb(f, s, n) : 0;
}

static int
hf_body(struct hf *h)
{
	h->off = h->start;	/* this line is the body's first */
	h->done = 1;
	return 0;
}

int
hf_next(struct hf *h, struct sa *f, size_t max)
{
	size_t n, i, name = 0, col = 0;
	int blank = 0;
	char *p;

	f->len = 0;
	h->trunc = 0;
	h->start = h->off;
	if (h->done)
		return 0;
	/* The name: only a colon after printable bytes makes a field. */
	for (;;) {
		if ((p = buf_peek(h->in, &n)) == NULL)
			return -1;
		if (n == 0)
			return hf_body(h);	/* end of input in the name */
		for (i = 0; i < n; i++, col++) {
			unsigned char c = (unsigned char)p[i];

			if (c == ':' && name > 0)
				break;
			if (c == '\n' && col == 0) {	/* the empty line */
				buf_seek(h->in, 1);
				h->off++;
				h->done = 1;
				return 0;
			}
			if ((c == ' ' || c == '\t') && name > 0) {
				blank = 1;
				continue;
			}
			if (c < 33 || c > 126 || blank || name >= HF_NAMEMAX)
				return hf_body(h);
			name++;
		}
		if (i < n) {
			if (keep(h, f, p, i + 1, max) == -1)
				return -1;
			buf_seek(h->in, i + 1);
			h->off += (off_t)(i + 1);
			break;
		}
		if (keep(h, f, p, n, max) == -1)
			return -1;
		buf_seek(h->in, n);
		h->off += (off_t)n;
	}
	/* The contents, up to an LF not followed by a blank. */
	for (;;) {
		if ((p = buf_peek(h->in, &n)) == NULL)
			return -1;
		if (n == 0) {
			h->done = 1;	/* input ended inside the field */
			return 1;
		}
		i = byte_chr(p, n, '\n');
		if (keep(h, f, p, i, max) == -1)
			return -1;
		if (i == n) {
			buf_seek(h->in, n);
			h->off += (off_t)n;
			continue;
		}
		buf_seek(h->in, i + 1);
		h->off += (off_t)(i + 1);
		if ((p = buf_peek(h->in, &n)) == NULL)
			return -1;
		if (n == 0) {
			h->done = 1;
			return 1;
		}
		if (p[0] != ' ' && p[0] != '\t')
			return 1;
		if (keep(h, f, "\n", 1, max) == -1)
			return -1;
	}
}

/* past blanks, folding and comments (nested, with quoted-pairs) from i;
 * n if a comment never ends */
static size_t
skip_cfws(const char *s, size_t n, size_t i)
{
	size_t depth = 0;

	for (; i < n; i++) {
		char c = s[i];

		if (depth) {
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (c == '(')
			depth = 1;
		else if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
	}
	return depth ? n : i;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* RFC 2045 token bytes */
static int
tokenc(unsigned char c)
{
	if (c <= 32 || c >= 127)
		return 0;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

int
ar_ours(const char *s, size_t n, const char *id, size_t idlen)
{
	size_t i = skip_cfws(s, n, 0), k = 0;

	if (i >= n)
		return 0;
	if (s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && ++i >= n)
				return 0;
			if (k >= idlen || lower((unsigned char)s[i]) !=
			    lower((unsigned char)id[k]))
				return 0;
			k++;
		}
		return i < n && k == idlen;	/* the quote must close */
	}
	for (; i < n && tokenc((unsigned char)s[i]); i++, k++)
		if (k >= idlen || lower((unsigned char)s[i]) !=
		    lower((unsigned char)id[k]))
			return 0;
	return k == idlen && k > 0;
}

/* bare in a property value: letters, digits, . - _ + and one inner @ */
static int
barevalue(const char *s, size_t n)
{
	size_t i, at = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '@') {
			if (at++ || i == 0 || i == n - 1)
				return 0;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' || c == '+'))
			return 0;
	}
	return 1;
}

/* s with ch quoted by a backslash, control bytes as '?' */
static int
catquoted(struct sa *out, const char *s, size_t n, const char *special)
{
	size_t i;

	if (n > AR_VALMAX)
		n = AR_VALMAX;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 32 || c == 127)
			c = '?';
		else if (strchr(special, c) != NULL && sa_catc(out, '\\') == -1)
			return -1;
		if (sa_catc(out, c) == -1)
			return -1;
	}
	return 0;
}

int
ar_begin(struct ar *a, struct sa *out, const char *id, size_t n)
{
	a->out = out;
	a->n = 0;
	out->len = 0;
	if (sa_cats(out, "Authentication-Results: ") == -1)
		return -1;
	if (barevalue(id, n) && byte_chr(id, n, '@') == n)
		return sa_catb(out, id, n);
	if (sa_catc(out, '"') == -1 || catquoted(out, id, n, "\"\\") == -1)
		return -1;
	return sa_catc(out, '"');
}

int
ar_result(struct ar *a, const char *method, const char *result,
    const char *comment)
{
	a->n++;
	if (sa_cats(a->out, ";\n\t") == -1 || sa_cats(a->out, method) == -1 ||
	    sa_catc(a->out, '=') == -1 || sa_cats(a->out, result) == -1)
		return -1;
	return comment ? ar_comment(a, comment, str_len(comment)) : 0;
}

int
ar_prop(struct ar *a, const char *name, const char *v, size_t n)
{
	if (n > AR_VALMAX)
		n = AR_VALMAX;
	if (sa_catc(a->out, ' ') == -1 || sa_cats(a->out, name) == -1 ||
	    sa_catc(a->out, '=') == -1)
		return -1;
	if (barevalue(v, n))
		return sa_catb(a->out, v, n);
	if (sa_catc(a->out, '"') == -1 || catquoted(a->out, v, n, "\"\\") == -1)
		return -1;
	return sa_catc(a->out, '"');
}

int
ar_comment(struct ar *a, const char *s, size_t n)
{
	if (sa_cats(a->out, " (") == -1 || catquoted(a->out, s, n, "()\\") == -1)
		return -1;
	return sa_catc(a->out, ')');
}

int
ar_end(struct ar *a)
{
	if (a->n == 0 && sa_cats(a->out, "; none") == -1)
		return -1;
	return sa_catc(a->out, '\n');
}

/* an address or a network as 16 bytes (IPv4 mapped) and a prefix length;
 * 0 if s is neither */
static int
ipnet(const char *s, size_t n, unsigned char ip[16], unsigned long *bits,
    int prefix)
{
	char t[64];
	size_t slash = prefix ? byte_chr(s, n, '/') : n;
	unsigned long max;

	if (slash >= sizeof t)
		return 0;
	memcpy(t, s, slash);
	t[slash] = '\0';
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, t, ip + 12) == 1) {
		ip[10] = ip[11] = 0xff;
		max = 32;
	} else if (inet_pton(AF_INET6, t, ip) == 1)
		max = 128;
	else
		return 0;
	*bits = max;
	if (slash < n) {
		if (slash + 1 == n || scan_ulong(s + slash + 1, n - slash - 1,
		    bits) != n - slash - 1 || *bits > max)
			return 0;
	}
	*bits += 128 - max;
	return 1;
}

static int
inside(const unsigned char *net, unsigned long bits, const unsigned char *ip)
{
	unsigned long whole = bits / 8;
	unsigned char mask;

	if (memcmp(net, ip, whole) != 0)
		return 0;
	if (bits % 8 == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - bits % 8));
	return (net[whole] & mask) == (ip[whole] & mask);
}

int
skip_ip(const char *list, size_t len, const char *addr)
{
	unsigned char ip[16], net[16];
	unsigned long bits;
	size_t pos, end;

	if (!ipnet(addr, str_len(addr), ip, &bits, 0))
		return 0;
	for (pos = 0; pos < len; pos = end + 1) {
		end = pos + byte_chr(list + pos, len - pos, '\0');
		if (ipnet(list + pos, end - pos, net, &bits, 1) &&
		    inside(net, bits, ip))
			return 1;
	}
	return 0;
}

static int
caseeq(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int
skip_sender(const char *list, size_t len, const char *s, size_t n)
{
	unsigned char net[16];
	unsigned long bits;
	size_t pos, end, at = byte_rchr(s, n, '@');
	const char *dom = at < n ? s + at + 1 : s + n;
	size_t domlen = at < n ? n - at - 1 : 0;

	for (pos = 0; pos < len; pos = end + 1) {
		const char *l = list + pos;
		size_t ln;

		end = pos + byte_chr(l, len - pos, '\0');
		ln = end - pos;
		if (ln == 0 || ipnet(l, ln, net, &bits, 1))
			continue;
		if (l[0] == '@') {
			if (domlen && caseeq(l + 1, ln - 1, dom, domlen))
				return 1;
		} else if (byte_chr(l, ln, '@') < ln) {
			if (caseeq(l, ln, s, n))
				return 1;
		} else if (domlen && caseeq(l, ln, dom, domlen))
			return 1;
	}
	return 0;
}
