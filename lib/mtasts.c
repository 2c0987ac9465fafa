/*
 * mtasts.c: RFC 8461 policy text, TXT record, MX patterns, the HTTP
 * response around a policy and the cache record (mtasts.h).
 */
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>	/* rename */
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "mtasts.h"

#define CACHE_MAX	65536UL	/* a cache record: 64 patterns fit easily */

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
isalnum_a(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
iswsp(int c)
{
	return c == ' ' || c == '\t';
}

/* Labels of letters, digits, '-' (and '_' when under is set), none empty
 * or over 63 bytes, 253 bytes at most, one final dot dropped; lower-cased
 * into out after the first `keep` bytes of out. */
static int
name_copy(char *out, size_t keep, const char *s, size_t n, int under)
{
	size_t i, lab = 0;

	if (n > 0 && s[n - 1] == '.')
		--n;
	if (n == 0 || n + keep > 253)
		return 0;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
		} else if (isalnum_a(c) || c == '-' || (under && c == '_')) {
			if (++lab > 63)
				return 0;
		} else
			return 0;
		out[keep + i] = (char)lower(c);
	}
	out[keep + n] = 0;
	return 1;
}

int
mtasts_domain(char *out, const char *s, size_t n)
{
	return name_copy(out, 0, s, n, 1);
}

/* RFC 8461 3.2: sts-policy-mx-value = ["*."] Domain (RFC 5321) */
static int
mx_pattern(char *out, const char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '.')
		return 0;	/* the grammar has no final dot */
	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		out[0] = '*', out[1] = '.';
		return name_copy(out, 2, s + 2, n - 2, 0);
	}
	return name_copy(out, 0, s, n, 0);
}

const char *
mtasts_mode_name(int m)
{
	return m == MTASTS_ENFORCE ? "enforce" :
	    m == MTASTS_TESTING ? "testing" : "none";
}

static int
mode_scan(const char *s, size_t n)
{
	if (n == 7 && memcmp(s, "enforce", 7) == 0)
		return MTASTS_ENFORCE;
	if (n == 7 && memcmp(s, "testing", 7) == 0)
		return MTASTS_TESTING;
	if (n == 4 && memcmp(s, "none", 4) == 0)
		return MTASTS_NONE;
	return -1;
}

/* 1*max digits, no overflow */
static int
num_scan(const char *s, size_t n, size_t max, unsigned long *u)
{
	if (n == 0 || n > max)
		return 0;
	return scan_ulong(s, n, u) == n;
}

static int
key_is(const char *k, size_t kn, const char *want)
{
	size_t n = strlen(want);

	return kn == n && memcmp(k, want, n) == 0;	/* %s"...": exact case */
}

/* The next line of s[0..n) from *pos: key and value with the blanks
 * around them removed.  1 a line, 0 the end, -1 a control byte or a CR
 * that does not end a line.  A line without ':' has kn == 0. */
static int
next_line(const char *s, size_t n, size_t *pos, const char **k, size_t *kn,
    const char **v, size_t *vn)
{
	size_t i = *pos, b, e, c;

	if (i >= n)
		return 0;
	b = i;
	while (i < n && s[i] != '\n') {
		unsigned char x = (unsigned char)s[i];
		if (x == '\r' && !(i + 1 < n && s[i + 1] == '\n'))
			return -1;
		if ((x < ' ' && x != '\t' && x != '\r') || x == 0x7f)
			return -1;
		i++;
	}
	*pos = i < n ? i + 1 : i;
	e = i;
	if (e > b && s[e - 1] == '\r')
		--e;
	while (b < e && iswsp(s[b]))
		b++;
	while (e > b && iswsp(s[e - 1]))
		--e;
	c = b + byte_chr(s + b, e - b, ':');
	if (c == e) {
		*k = s + b, *kn = 0, *v = s + b, *vn = 0;
		return 1;
	}
	*k = s + b, *kn = c - b;
	for (c++; c < e && iswsp(s[c]); c++)
		;
	*v = s + c, *vn = e - c;
	return 1;
}

const char *
mtasts_policy(struct mtasts *p, const char *s, size_t n)
{
	int seen_v = 0, seen_m = 0, seen_a = 0, r, m;
	const char *k, *v;
	size_t pos = 0, kn, vn;
	unsigned long u;

	p->mode = MTASTS_NONE, p->max_age = 0, p->nmx = 0;
	if (n > MTASTS_MAXPOLICY)
		return "policy too large";
	while ((r = next_line(s, n, &pos, &k, &kn, &v, &vn)) == 1) {
		if (key_is(k, kn, "version")) {
			if (seen_v++)
				continue;
			if (vn != 5 || memcmp(v, "STSv1", 5) != 0)
				return "version is not STSv1";
		} else if (key_is(k, kn, "mode")) {
			if (seen_m++)
				continue;
			if ((m = mode_scan(v, vn)) < 0)
				return "bad mode";
			p->mode = m;
		} else if (key_is(k, kn, "max_age")) {
			if (seen_a++)
				continue;
			if (!num_scan(v, vn, 10, &u))
				return "bad max_age";
			p->max_age = u > MTASTS_MAXAGE ? MTASTS_MAXAGE : u;
		} else if (key_is(k, kn, "mx")) {
			if (p->nmx >= MTASTS_MXMAX)
				return "too many mx patterns";
			if (!mx_pattern(p->mx[p->nmx], v, vn))
				return "bad mx pattern";
			p->nmx++;
		}
		/* RFC 8461 3.2: unknown fields are ignored */
	}
	if (r == -1)
		return "control character in policy";
	if (!seen_v)
		return "no version";
	if (!seen_m)
		return "no mode";
	if (!seen_a)
		return "no max_age";
	if (p->mode != MTASTS_NONE && p->nmx == 0)
		return "no mx";
	return NULL;
}

/* RFC 8461 3.1:
 *   sts-text-record = sts-version 1*(sts-field-delim sts-field)
 *                     [sts-field-delim]
 *   sts-field-delim = *WSP ";" *WSP
 *   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *   sts-extension   = sts-ext-name "=" sts-ext-value
 *   sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E) */
int
mtasts_txt(char *id, const char *s, size_t n)
{
	size_t i = 7, b, e, q, j;
	int got = 0;

	if (n < 7 || memcmp(s, "v=STSv1", 7) != 0)
		return 0;
	if (n > 7 && !iswsp(s[7]) && s[7] != ';')
		return 0;	/* "v=STSv10": another version */
	for (;;) {
		while (i < n && iswsp(s[i]))
			i++;
		if (i == n)
			break;
		if (s[i] != ';')
			return -1;
		for (i++; i < n && iswsp(s[i]); i++)
			;
		if (i == n)
			break;		/* a final delimiter */
		for (b = i; i < n && s[i] != ';' && !iswsp(s[i]); i++)
			;
		e = i;
		q = b + byte_chr(s + b, e - b, '=');
		if (q == e || q == b || q - b > 32 || q + 1 == e)
			return -1;
		for (j = b; j < q; j++)
			if (!isalnum_a(s[j]) && (j == b ||
			    (s[j] != '_' && s[j] != '-' && s[j] != '.')))
				return -1;
		for (j = q + 1; j < e; j++) {
			unsigned char c = (unsigned char)s[j];
			if (c < 0x21 || c > 0x7e || c == '=')
				return -1;
		}
		if (q - b == 2 && memcmp(s + b, "id", 2) == 0) {
			if (e - q - 1 > MTASTS_IDLEN)
				return -1;
			for (j = q + 1; j < e; j++)
				if (!isalnum_a(s[j]))
					return -1;
			if (!got) {
				memcpy(id, s + q + 1, e - q - 1);
				id[e - q - 1] = 0;
				got = 1;
			}
		}
	}
	return got ? 1 : -1;
}

int
mtasts_txt_pick(char *id, const char *s, size_t n)
{
	size_t i, e;
	int r, found = 0, good = 0;

	for (i = 0; i < n; i = e + 1) {
		e = i + byte_chr(s + i, n - i, 0);
		r = mtasts_txt(id, s + i, e - i);
		if (r != 0)
			found++;
		if (r == 1)
			good++;
	}
	/* RFC 8461 3.1: other records are discarded; anything but exactly
	 * one valid STSv1 record means no policy */
	return found == 1 && good == 1;
}

int
mtasts_mx_match(const char *pat, const char *host)
{
	return dns_pattern_match(pat, host);	/* the one implementation */
}

int
mtasts_mx_allowed(const struct mtasts *p, const char *host)
{
	size_t i;

	for (i = 0; i < p->nmx; i++)
		if (mtasts_mx_match(p->mx[i], host))
			return 1;
	return 0;
}

/* the HTTP response */

/* The next header line from *pos: its bytes without the line end, or -1
 * when the head has no end. */
static int
http_line(const char *s, size_t n, size_t *pos, const char **l, size_t *ln)
{
	size_t i = *pos, e;

	e = i + byte_chr(s + i, n - i, '\n');
	if (e == n)
		return -1;
	*pos = e + 1;
	if (e > i && s[e - 1] == '\r')
		--e;
	*l = s + i, *ln = e - i;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static const char *
unchunk(struct sa *body, const char *s, size_t n)
{
	size_t pos = 0, ln, i, size;
	const char *l;
	int h;

	for (;;) {
		if (http_line(s, n, &pos, &l, &ln) == -1)
			return "truncated chunked body";
		for (i = 0, size = 0; i < ln && (h = hexval(l[i])) >= 0; i++) {
			if (i >= 8)
				return "chunk too large";
			size = size * 16 + (size_t)h;
		}
		if (i == 0)
			return "bad chunk size";
		if (size == 0)
			return NULL;	/* trailers, if any, do not matter */
		if (size > MTASTS_MAXPOLICY - body->len)
			return "policy too large";
		if (size > n - pos)
			return "truncated chunked body";
		if (sa_catb(body, s + pos, size) == -1)
			return "out of memory";
		pos += size;
		if (n - pos >= 2 && s[pos] == '\r' && s[pos + 1] == '\n')
			pos += 2;
		else if (n - pos >= 1 && s[pos] == '\n')
			pos += 1;
		else
			return "bad chunk end";
	}
}

const char *
mtasts_http(struct sa *body, const char *s, size_t n, int clean)
{
	size_t pos = 0, ln, c, vb;
	const char *l;
	int text = 0, chunked = 0, haslen = 0;
	unsigned long clen = 0;

	body->len = 0;
	if (http_line(s, n, &pos, &l, &ln) == -1)
		return "no HTTP response";
	if (ln < 12 || memcmp(l, "HTTP/1.", 7) != 0 ||
	    (l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
	    (ln > 12 && l[12] != ' '))
		return "no HTTP response";
	if (memcmp(l + 9, "200", 3) != 0) {
		/* RFC 8461 3.3: redirects are not followed, nor anything else */
		if (l[9] == '3')
			return "HTTP redirect (not followed)";
		return "HTTP status not 200";
	}
	for (;;) {
		if (http_line(s, n, &pos, &l, &ln) == -1)
			return "truncated HTTP header";
		if (ln == 0)
			break;
		c = byte_chr(l, ln, ':');
		if (c == ln)
			continue;
		for (vb = c + 1; vb < ln && iswsp(l[vb]); vb++)
			;
		while (ln > vb && iswsp(l[ln - 1]))
			--ln;
		if (c == 12 && case_startb(l, c, "content-type")) {
			size_t t = vb;
			while (t < ln && l[t] != ';' && !iswsp(l[t]))
				t++;
			text = case_equalb(l + vb, t - vb, "text/plain");
		} else if (c == 17 && case_startb(l, c, "transfer-encoding")) {
			if (!case_equalb(l + vb, ln - vb, "chunked"))
				return "unsupported transfer coding";
			chunked = 1;
		} else if (c == 14 && case_startb(l, c, "content-length")) {
			if (!num_scan(l + vb, ln - vb, 10, &clen))
				return "bad content-length";
			haslen = 1;
		}
	}
	if (!text)
		return "not text/plain";
	if (chunked)
		return unchunk(body, s + pos, n - pos);
	if (haslen) {
		if (clen > n - pos)
			return "truncated body";
		n = pos + clen;
	} else if (!clean)
		return "connection cut without a length";
	if (n - pos > MTASTS_MAXPOLICY)
		return "policy too large";
	if (sa_copyb(body, s + pos, n - pos) == -1)
		return "out of memory";
	return NULL;
}

/* the cache record */

int
mtasts_fmt(struct sa *o, const struct mtasts *p)
{
	size_t i;

	o->len = 0;
	if (sa_cats2(o, "domain: ", p->domain) == -1 ||
	    sa_cats(o, p->has_policy ? "\npolicy: yes\nid: " :
	    "\npolicy: none") == -1 ||
	    (p->has_policy && sa_cats(o, p->id) == -1) ||
	    sa_cats(o, "\nfetched: ") == -1 || sa_catulong(o, p->fetched) == -1 ||
	    sa_cats(o, "\nrefresh: ") == -1 || sa_catulong(o, p->refresh) == -1 ||
	    sa_cats(o, "\nexpires: ") == -1 || sa_catulong(o, p->expires) == -1 ||
	    sa_catc(o, '\n') == -1)
		return -1;
	if (!p->has_policy)
		return 0;
	if (sa_cats2(o, "mode: ", mtasts_mode_name(p->mode)) == -1 ||
	    sa_cats(o, "\nmax_age: ") == -1 || sa_catulong(o, p->max_age) == -1 ||
	    sa_catc(o, '\n') == -1)
		return -1;
	for (i = 0; i < p->nmx; i++)
		if (sa_cats2(o, "mx: ", p->mx[i]) == -1 || sa_catc(o, '\n') == -1)
			return -1;
	return 0;
}

const char *
mtasts_parse(struct mtasts *p, const char *s, size_t n)
{
	enum { F_DOMAIN = 1, F_POLICY = 2, F_ID = 4, F_FETCHED = 8,
	    F_REFRESH = 16, F_EXPIRES = 32, F_MODE = 64, F_AGE = 128 };
	unsigned seen = 0, bit;
	const char *k, *v;
	size_t pos = 0, kn, vn, j;
	unsigned long *num;
	int r;

	memset(p, 0, sizeof *p);
	if (n > CACHE_MAX)
		return "record too large";
	while ((r = next_line(s, n, &pos, &k, &kn, &v, &vn)) == 1) {
		num = NULL;
		if (key_is(k, kn, "domain")) {
			bit = F_DOMAIN;
			if (!mtasts_domain(p->domain, v, vn))
				return "bad domain";
		} else if (key_is(k, kn, "policy")) {
			bit = F_POLICY;
			if (vn == 3 && memcmp(v, "yes", 3) == 0)
				p->has_policy = 1;
			else if (!(vn == 4 && memcmp(v, "none", 4) == 0))
				return "bad policy";
		} else if (key_is(k, kn, "id")) {
			bit = F_ID;
			if (vn == 0 || vn > MTASTS_IDLEN)
				return "bad id";
			for (j = 0; j < vn; j++)
				if (!isalnum_a(v[j]))
					return "bad id";
			memcpy(p->id, v, vn);
			p->id[vn] = 0;
		} else if (key_is(k, kn, "fetched"))
			bit = F_FETCHED, num = &p->fetched;
		else if (key_is(k, kn, "refresh"))
			bit = F_REFRESH, num = &p->refresh;
		else if (key_is(k, kn, "expires"))
			bit = F_EXPIRES, num = &p->expires;
		else if (key_is(k, kn, "max_age"))
			bit = F_AGE, num = &p->max_age;
		else if (key_is(k, kn, "mode")) {
			bit = F_MODE;
			if ((p->mode = mode_scan(v, vn)) < 0)
				return "bad mode";
		} else if (key_is(k, kn, "mx")) {
			if (p->nmx >= MTASTS_MXMAX)
				return "too many mx patterns";
			if (!mx_pattern(p->mx[p->nmx], v, vn))
				return "bad mx pattern";
			p->nmx++;
			continue;
		} else
			return "unknown key";
		if (seen & bit)
			return "a key twice";
		seen |= bit;
		if (num && !num_scan(v, vn, 20, num))
			return "bad number";
	}
	if (r == -1)
		return "control character";
	if ((seen & (F_DOMAIN | F_POLICY | F_FETCHED | F_REFRESH | F_EXPIRES)) !=
	    (F_DOMAIN | F_POLICY | F_FETCHED | F_REFRESH | F_EXPIRES))
		return "a key is missing";
	if (!p->has_policy) {
		if (seen & (F_ID | F_MODE | F_AGE) || p->nmx)
			return "policy facts in a negative entry";
		return NULL;
	}
	if ((seen & (F_ID | F_MODE | F_AGE)) != (F_ID | F_MODE | F_AGE))
		return "a key is missing";
	if (p->mode != MTASTS_NONE && p->nmx == 0)
		return "no mx";
	return NULL;
}

static int
cache_path(struct sa *fn, const char *domain, char *d)
{
	if (!mtasts_domain(d, domain, strlen(domain)))
		return errno = EINVAL, -1;
	fn->len = 0;
	if (sa_cats2(fn, MTASTS_DIR "/", d) == -1 || !sa_str(fn))
		return -1;
	return 0;
}

int
mtasts_cache_read(struct mtasts *p, const char *domain)
{
	struct sa fn = SA_INIT, x = SA_INIT;
	char d[DNS_NAME];
	int r;

	if (cache_path(&fn, domain, d) == -1) {
		sa_free(&fn);
		return errno == EINVAL ? 0 : -1;
	}
	r = io_readfile(&x, fn.s, CACHE_MAX);
	if (r == -1 && errno == E2BIG)
		r = 0;	/* not ours: refetch and replace it */
	if (r == 1 && (mtasts_parse(p, x.s, x.len) != NULL ||
	    strcmp(p->domain, d) != 0))
		r = 0;
	sa_free(&fn);
	sa_free(&x);
	return r;
}

int
mtasts_cache_write(const struct mtasts *p)
{
	struct sa fn = SA_INIT, tmp = SA_INIT, x = SA_INIT;
	char d[DNS_NAME];
	int fd = -1, e;

	if (cache_path(&fn, p->domain, d) == -1 || mtasts_fmt(&x, p) == -1)
		goto fail;
	/* A name no domain has (domains never start with '.'), unique to
	 * this process. */
	if (sa_cats(&tmp, MTASTS_DIR "/.") == -1 ||
	    sa_catulong(&tmp, (unsigned long)getpid()) == -1 ||
	    sa_cats2(&tmp, ".", d) == -1 || !sa_str(&tmp))
		goto fail;
	if ((fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		goto fail;
	/* No fsync: a cache lost in a crash costs one fetch, nothing else;
	 * the rename alone keeps readers from ever seeing half a record. */
	if (io_writeall(fd, x.s, x.len) == -1)
		goto failtmp;
	e = close(fd);
	fd = -1;
	if (e == -1)
		goto failtmp;
	if (rename(tmp.s, fn.s) == -1)
		goto failtmp;
	sa_free(&fn), sa_free(&tmp), sa_free(&x);
	return 0;
failtmp:
	e = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp.s);
	errno = e;
fail:
	e = errno;
	sa_free(&fn), sa_free(&tmp), sa_free(&x);
	errno = e;
	return -1;
}
