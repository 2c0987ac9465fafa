/*
 * dns.c: DNS lookups through the libc resolver and a defensive parser of
 * its answers (dns.h).  glibc 2.34 and later carry res_query in libc
 * itself: no -lresolv is needed.
 */
#include <sys/types.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

#define DNS_MXMAX	64	/* MX records one domain may publish */
#define DNS_RDMAX	64	/* records of one type kept from an answer */
#define DNS_HOPMAX	4	/* queries to chase a CNAME out of one answer */

/* resolver answers go here: 65535 is the largest DNS message */
static unsigned char ans[65536];
static size_t anslen;	/* bytes of the last answer in ans[] */

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

size_t
dns_name(const unsigned char *m, size_t len, size_t pos, char *out)
{
	size_t end = 0, o = 0, wire = 0, lowest = pos, to, i;
	unsigned c;

	for (;;) {
		if (pos >= len)
			return 0;
		c = m[pos];
		if (c >= 0xc0) {
			if (pos + 1 >= len)
				return 0;
			to = (size_t)(c & 0x3f) << 8 | m[pos + 1];
			if (end == 0)
				end = pos + 2;
			/* strictly backwards from everything read: no loop */
			if (to >= lowest)
				return 0;
			lowest = pos = to;
			continue;
		}
		if (c >= 0x40)
			return 0;	/* extended label types (RFC 6891): refuse */
		if (c == 0) {
			out[o] = 0;
			return end ? end : pos + 1;
		}
		if (c > len - pos - 1)
			return 0;
		wire += c + 1;
		if (wire + 1 > 255)
			return 0;	/* RFC 1035 3.1: 255 bytes at most */
		if (o)
			out[o++] = '.';
		for (i = 1; i <= c; i++) {
			unsigned char b = m[pos + i];
			if (b <= ' ' || b >= 0x7f || b == '.')
				return 0;
			out[o++] = (char)b;
		}
		pos += 1 + c;
	}
}

int
dns_msg_init(struct dns_msg *d, const unsigned char *m, size_t len)
{
	char name[DNS_NAME];
	unsigned qd;
	size_t p;

	if (len < 12 || !(m[2] & 0x80))
		return -1;	/* too short, or a query rather than a response */
	d->m = m, d->len = len;
	d->rcode = m[3] & 0x0f;
	qd = get16(m + 4);
	d->left = get16(m + 6);
	d->pos = 12;
	while (qd-- > 0) {
		if ((p = dns_name(m, len, d->pos, name)) == 0 || len - p < 4)
			return -1;
		d->pos = p + 4;
	}
	return 0;
}

int
dns_msg_next(struct dns_msg *d, struct dns_rr *rr)
{
	size_t p;

	if (d->left == 0)
		return 0;
	if ((p = dns_name(d->m, d->len, d->pos, rr->name)) == 0 ||
	    d->len - p < 10)
		return -1;
	rr->type = get16(d->m + p);
	rr->cls = get16(d->m + p + 2);
	rr->rdlen = get16(d->m + p + 8);
	rr->rdpos = p + 10;
	if (rr->rdlen > d->len - rr->rdpos)
		return -1;
	d->pos = rr->rdpos + rr->rdlen;
	d->left--;
	return 1;
}

static void
name_copy(char *to, const char *from)
{
	size_t n = strlen(from);

	if (n >= DNS_NAME)
		n = DNS_NAME - 1;
	if (n > 0 && from[n - 1] == '.')
		--n;
	memcpy(to, from, n);
	to[n] = 0;
}

int
dns_select(const unsigned char *m, size_t len, const char *qname,
    unsigned type, struct dns_rd *rd, size_t max, size_t *n, char *canon)
{
	char target[DNS_NAME];
	struct dns_msg d;
	struct dns_rr rr;
	int links, got, r;
	size_t e;

	name_copy(canon, qname);
	*n = 0;
	for (links = 0; links <= DNS_CNAMEMAX; links++) {
		if (dns_msg_init(&d, m, len) == -1)
			return -1;
		got = 0;
		while ((r = dns_msg_next(&d, &rr)) == 1) {
			if (rr.cls != 1 || !case_equals(rr.name, canon))
				continue;
			if (rr.type == type) {
				if (*n < max) {
					rd[*n].pos = rr.rdpos;
					rd[*n].len = rr.rdlen;
					++*n;
				}
			} else if (rr.type == DNS_T_CNAME && !got) {
				e = dns_name(m, len, rr.rdpos, target);
				if (e == 0 || e > rr.rdpos + rr.rdlen)
					return -1;
				got = 1;
			}
		}
		if (r == -1)
			return -1;
		if (*n > 0 || !got)
			return 0;
		name_copy(canon, target);
	}
	return 0;	/* a CNAME chain too long: no answer */
}

int
dns_rd_mx(const unsigned char *m, size_t len, const struct dns_rd *rd,
    unsigned long *pref, char *name)
{
	size_t e;

	if (rd->len < 3 || rd->pos > len || rd->len > len - rd->pos)
		return -1;
	*pref = get16(m + rd->pos);
	e = dns_name(m, len, rd->pos + 2, name);
	if (e == 0 || e > rd->pos + rd->len)
		return -1;
	return 0;
}

/* A name we are willing to ask about: printable, no empty label, no
 * label over 63 bytes, 253 bytes at most without the final dot. */
static int
name_ok(const char *s, size_t n, char *out)
{
	size_t i, lab = 0;

	if (n > 0 && s[n - 1] == '.')
		--n;
	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f)
			return 0;
		if (c == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
		} else if (++lab > 63)
			return 0;
	}
	memcpy(out, s, n);
	out[n] = 0;
	return 1;
}

static int
query(const char *name, unsigned type, size_t *alen)
{
	static int inited;
	int r;

	if (!inited) {
		if (res_init() == -1)
			return DNS_TEMP;
		inited = 1;
	}
	errno = 0;
	r = res_query(name, ns_c_in, (int)type, ans, sizeof ans);
	if (r >= 0) {
		*alen = (size_t)r < sizeof ans ? (size_t)r : sizeof ans;
		anslen = *alen;
		return DNS_OK;
	}
	switch (h_errno) {
	case HOST_NOT_FOUND:
		return DNS_PERM;	/* NXDOMAIN */
	case NO_DATA:
		*alen = anslen = 0;	/* the name exists, no such records */
		return DNS_OK;
	default:
		return DNS_TEMP;	/* SERVFAIL, timeout, REFUSED, ... */
	}
}

/* Records of type for name in ans[], chasing a CNAME whose target the
 * server did not resolve along with it. */
static int
lookup(const char *name, unsigned type, struct dns_rd *rd, size_t *n,
    char *canon)
{
	char cur[DNS_NAME];
	size_t alen;
	int hop, r;

	name_copy(cur, name);
	*n = 0;
	for (hop = 0; hop < DNS_HOPMAX; hop++) {
		if ((r = query(cur, type, &alen)) != DNS_OK)
			return r;
		if (alen == 0) {
			name_copy(canon, cur);
			return DNS_OK;
		}
		if (dns_select(ans, alen, cur, type, rd, DNS_RDMAX, n,
		    canon) == -1)
			return DNS_TEMP;	/* malformed: maybe a spoof */
		if (*n > 0 || case_equals(canon, cur))
			return DNS_OK;
		name_copy(cur, canon);
	}
	return DNS_OK;
}

int
iplist_add(struct iplist *l, const struct ip *ip, unsigned long pref)
{
	struct ipmx *x;
	size_t cap;

	if (l->len >= DNS_IPMAX)
		return 0;	/* enough addresses to try */
	if (l->len == l->cap) {
		cap = l->cap ? l->cap * 2 : 8;
		if ((x = realloc_array(l->x, cap, sizeof *x)) == NULL)
			return -1;
		l->x = x, l->cap = cap;
	}
	l->x[l->len].ip = *ip;
	l->x[l->len].pref = pref;
	l->x[l->len].name[0] = 0;
	l->len++;
	return 0;
}

void
iplist_free(struct iplist *l)
{
	free(l->x);
	l->x = NULL, l->len = l->cap = 0;
}

/* the AAAA and A addresses of one checked name */
static int
ipadd(struct iplist *l, const char *name, unsigned long pref)
{
	static const unsigned types[2] = { DNS_T_AAAA, DNS_T_A };
	struct dns_rd rd[DNS_RDMAX];
	char canon[DNS_NAME];
	size_t n, i, before = l->len;
	int t, r, temp = 0, perm = 0;
	struct ip ip;

	for (t = 0; t < 2; t++) {
		r = lookup(name, types[t], rd, &n, canon);
		if (r == DNS_TEMP) {
			temp = 1;
			continue;
		}
		if (r == DNS_PERM) {
			perm = 1;
			continue;
		}
		for (i = 0; i < n; i++) {
			if (rd[i].len != (types[t] == DNS_T_A ? 4U : 16U))
				continue;
			memset(&ip, 0, sizeof ip);
			ip.af = types[t] == DNS_T_A ? 4 : 6;
			memcpy(ip.a, ans + rd[i].pos, rd[i].len);
			if (iplist_add(l, &ip, pref) == -1)
				return DNS_TEMP;
			if (l->len > before)	/* name came through name_ok */
				memcpy(l->x[l->len - 1].name, name,
				    str_len(name) + 1);
		}
	}
	if (l->len > before)
		return DNS_OK;
	if (temp)
		return DNS_TEMP;
	if (perm)
		return DNS_PERM;
	return DNS_OK;
}

static int
literal(struct iplist *l, const char *s, size_t n, int *r)
{
	struct ip ip;

	if ((n > 0 && s[0] == '[' && ip_scanbracket(s, n, &ip) == n) ||
	    (n > 0 && ip_scan(s, n, &ip) == n)) {
		*r = iplist_add(l, &ip, 0) == -1 ? DNS_TEMP : DNS_OK;
		return 1;
	}
	return 0;
}

int
dns_ip(struct iplist *l, const char *s, size_t n)
{
	char name[DNS_NAME];
	int r;

	if (literal(l, s, n, &r))
		return r;
	if (!name_ok(s, n, name))
		return DNS_PERM;
	return ipadd(l, name, 0);
}

struct mx {
	unsigned long	pref;
	char		name[DNS_NAME];
};

int
dns_mxip(struct iplist *l, const char *s, size_t n, unsigned long seed)
{
	static struct mx mx[DNS_MXMAX];
	struct dns_rd rd[DNS_RDMAX];
	char name[DNS_NAME], canon[DNS_NAME];
	size_t k, i, j, nmx = 0, before = l->len, g;
	struct mx t;
	int r, temp = 0;

	if (literal(l, s, n, &r))
		return r;
	if (!name_ok(s, n, name))
		return DNS_PERM;
	if ((r = lookup(name, DNS_T_MX, rd, &k, canon)) != DNS_OK)
		return r;
	for (i = 0; i < k && nmx < DNS_MXMAX; i++) {
		if (dns_rd_mx(ans, anslen, &rd[i], &mx[nmx].pref,
		    mx[nmx].name) == -1)
			return DNS_TEMP;
		nmx++;
	}
	if (nmx == 0)
		return ipadd(l, name, 0);	/* implicit MX (RFC 5321 5.1) */
	if (nmx == 1 && mx[0].name[0] == 0)
		return DNS_NULLMX;		/* RFC 7505 */
	/* sort by preference; then shuffle each run of equal ones */
	for (i = 1; i < nmx; i++)
		for (j = i; j > 0 && mx[j - 1].pref > mx[j].pref; j--)
			t = mx[j], mx[j] = mx[j - 1], mx[j - 1] = t;
	seed |= 1;
	for (i = 0; i < nmx; i = g) {
		for (g = i + 1; g < nmx && mx[g].pref == mx[i].pref; g++)
			;
		for (j = g - 1; j > i; j--) {
			size_t pick;
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			pick = i + (size_t)(seed % (j - i + 1));
			t = mx[j], mx[j] = mx[pick], mx[pick] = t;
		}
	}
	for (i = 0; i < nmx; i++) {
		if (mx[i].name[0] == 0)
			continue;	/* a stray null MX among real ones */
		if (ipadd(l, mx[i].name, mx[i].pref) == DNS_TEMP)
			temp = 1;
	}
	if (l->len == before && temp)
		return DNS_TEMP;
	return DNS_OK;
}

int
dns_ptr(struct sa *out, const struct ip *ip)
{
	static const char hex[] = "0123456789abcdef";
	struct dns_rd rd[DNS_RDMAX];
	char q[DNS_NAME], canon[DNS_NAME], name[DNS_NAME];
	size_t o = 0, e;
	int i, r;

	if (ip->af == 4) {
		for (i = 3; i >= 0; i--) {
			o += fmt_ulong(q + o, ip->a[i]);
			q[o++] = '.';
		}
		memcpy(q + o, "in-addr.arpa", 13);
	} else {
		for (i = 15; i >= 0; i--) {
			q[o++] = hex[ip->a[i] & 15], q[o++] = '.';
			q[o++] = hex[ip->a[i] >> 4], q[o++] = '.';
		}
		memcpy(q + o, "ip6.arpa", 9);
	}
	if ((r = lookup(q, DNS_T_PTR, rd, &o, canon)) != DNS_OK)
		return r;
	if (o == 0)
		return DNS_PERM;
	e = dns_name(ans, anslen, rd[0].pos, name);
	if (e == 0 || e > rd[0].pos + rd[0].len)
		return DNS_TEMP;
	return sa_copys(out, name) == -1 ? DNS_TEMP : DNS_OK;
}

size_t
ip_fmt(char *s, const struct ip *ip)
{
	char t[INET6_ADDRSTRLEN];
	size_t n;

	if (inet_ntop(ip->af == 4 ? AF_INET : AF_INET6, ip->a, t,
	    sizeof t) == NULL)
		return 0;
	n = strlen(t);
	if (s)
		memcpy(s, t, n);
	return n;
}

size_t
ip_scan(const char *s, size_t n, struct ip *ip)
{
	char t[INET6_ADDRSTRLEN];
	size_t i;
	int v6 = 0;

	for (i = 0; i < n && i < sizeof t - 1; i++) {
		char c = s[i];
		if (c == ':')
			v6 = 1;
		else if (!(c == '.' || (c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			break;
	}
	if (i == 0)
		return 0;
	memcpy(t, s, i);
	t[i] = 0;
	memset(ip, 0, sizeof *ip);
	ip->af = v6 ? 6 : 4;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, t, ip->a) != 1)
		return 0;
	return i;
}

size_t
ip_scanbracket(const char *s, size_t n, struct ip *ip)
{
	size_t i = 1, k;

	if (n < 3 || s[0] != '[')
		return 0;
	if (n - i > 5 && case_startb(s + i, n - i, "ipv6:"))
		i += 5;
	if ((k = ip_scan(s + i, n - i, ip)) == 0)
		return 0;
	i += k;
	if (i >= n || s[i] != ']')
		return 0;
	if (i - k > 1 && ip->af != 6)
		return 0;	/* "[IPv6:1.2.3.4]" */
	return i + 1;
}

int
ip_equal(const struct ip *a, const struct ip *b)
{
	return a->af == b->af &&
	    memcmp(a->a, b->a, a->af == 4 ? 4 : 16) == 0;
}

int
dns_pattern_match(const char *pat, const char *name)
{
	size_t pl = str_len(pat), nl = str_len(name), i;

	if (pl > 0 && pat[pl - 1] == '.')
		--pl;
	if (nl > 0 && name[nl - 1] == '.')
		--nl;
	if (pl == 0 || nl == 0)
		return 0;
	if (pl > 2 && pat[0] == '*' && pat[1] == '.') {
		pat++, pl--;	/* ".example.net": what must follow one label */
		if (nl <= pl || !case_equalb(name + nl - pl, pl, pat))
			return 0;
		for (i = 0; i < nl - pl; i++)
			if (name[i] == '.')
				return 0;
		return 1;
	}
	return pl == nl && case_equalb(name, nl, pat);
}
