/* unit tests for lib/dns.h: the response parser on crafted bytes, IP text,
 * tcpto records */
#include <string.h>

#include "check.h"
#include "../lib/dns.h"

/* a response header: id 0, QR|RD|RA, rcode 0, qd 1, an as given */
static size_t
hdr(unsigned char *m, unsigned an)
{
	static const unsigned char h[12] = { 0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0 };

	memcpy(m, h, 12);
	m[7] = (unsigned char)an;
	return 12;
}

static size_t
put(unsigned char *m, size_t p, const char *s, size_t n)
{
	memcpy(m + p, s, n);
	return p + n;
}

/* question example.org MX at 12 (name at 12..24) */
static size_t
question(unsigned char *m, size_t p)
{
	p = put(m, p, "\7example\3org\0", 13);
	return put(m, p, "\0\17\0\1", 4);
}

static size_t
mx_rr(unsigned char *m, size_t p, unsigned pref, const char *name, size_t n)
{
	p = put(m, p, "\300\14\0\17\0\1\0\0\0\74", 10);	/* ptr to 12, MX IN ttl 60 */
	m[p++] = 0, m[p++] = (unsigned char)(n + 2);
	m[p++] = 0, m[p++] = (unsigned char)pref;
	return put(m, p, name, n);
}

static void
test_name_plain_and_compressed(void)
{
	unsigned char m[512];
	char out[DNS_NAME];
	size_t p;

	p = question(m, hdr(m, 0));
	CHECK(dns_name(m, p, 12, out) == 25 && strcmp(out, "example.org") == 0);
	p = put(m, p, "\4mail\300\14", 7);
	CHECK(dns_name(m, p, 29, out) == 36 && strcmp(out, "mail.example.org") == 0);
	/* root */
	CHECK(dns_name((const unsigned char *)"\0", 1, 0, out) == 1 && out[0] == 0);
}

static void
test_name_rejects_loops_and_overruns(void)
{
	unsigned char m[600];
	char out[DNS_NAME];
	size_t p, i;

	p = hdr(m, 0);
	/* a pointer to itself */
	m[12] = 0xc0, m[13] = 12;
	CHECK(dns_name(m, 14, 12, out) == 0);
	/* a forward pointer */
	m[12] = 0xc0, m[13] = 14, m[14] = 0;
	CHECK(dns_name(m, 15, 12, out) == 0);
	/* two names pointing at each other: "\1a" ptr->12 at 20, ptr->20 at 12 */
	m[12] = 1, m[13] = 'a', m[14] = 0xc0, m[15] = 20;
	m[20] = 1, m[21] = 'b', m[22] = 0xc0, m[23] = 12;
	CHECK(dns_name(m, 24, 20, out) == 0);
	/* a label running past the end */
	m[12] = 10, m[13] = 'x';
	CHECK(dns_name(m, 14, 12, out) == 0);
	/* a pointer cut in half, an empty message */
	m[12] = 0xc0;
	CHECK(dns_name(m, 13, 12, out) == 0);
	CHECK(dns_name(m, 12, 12, out) == 0);
	/* extended label type */
	m[12] = 0x41;
	CHECK(dns_name(m, 20, 12, out) == 0);
	/* a dot, a space and a control byte inside a label */
	CHECK(dns_name((const unsigned char *)"\3a.b\0", 5, 0, out) == 0);
	CHECK(dns_name((const unsigned char *)"\3a b\0", 5, 0, out) == 0);
	CHECK(dns_name((const unsigned char *)"\3a\nb\0", 5, 0, out) == 0);
	/* more than 255 bytes on the wire */
	for (p = 0, i = 0; i < 5; i++) {
		m[p++] = 63;
		memset(m + p, 'a', 63), p += 63;
	}
	m[p++] = 0;
	CHECK(dns_name(m, p, 0, out) == 0);
	/* exactly 255 */
	for (p = 0, i = 0; i < 3; i++) {
		m[p++] = 63;
		memset(m + p, 'a', 63), p += 63;
	}
	m[p++] = 61, memset(m + p, 'b', 61), p += 61, m[p++] = 0;
	CHECK(p == 255 && dns_name(m, p, 0, out) == 255 && strlen(out) == 253);
}

static void
test_select_mx_and_bad_lengths(void)
{
	unsigned char m[512];
	struct dns_rd rd[8];
	char canon[DNS_NAME], name[DNS_NAME];
	unsigned long pref;
	size_t p, n;

	p = question(m, hdr(m, 2));
	p = mx_rr(m, p, 10, "\2mx\300\14", 5);
	p = mx_rr(m, p, 20, "\0", 1);
	CHECK(dns_select(m, p, "Example.ORG.", DNS_T_MX, rd, 8, &n, canon) == 0);
	CHECK(n == 2 && strcmp(canon, "Example.ORG") == 0);
	CHECK(dns_rd_mx(m, p, &rd[0], &pref, name) == 0 && pref == 10 &&
	    strcmp(name, "mx.example.org") == 0);
	CHECK(dns_rd_mx(m, p, &rd[1], &pref, name) == 0 && pref == 20 &&
	    name[0] == 0);
	/* every truncation of it is refused or yields fewer records, never
	 * a read past the end (ASan watches) */
	for (n = 0; n < p; n++) {
		size_t k = 99;
		int r = dns_select(m, n, "example.org", DNS_T_MX, rd, 8, &k, canon);
		CHECK(r == -1 || k == 0);
	}
	/* an rdlength past the end */
	p = question(m, hdr(m, 1));
	p = mx_rr(m, p, 10, "\2mx\300\14", 5);
	m[p - 8] = 200;
	CHECK(dns_select(m, p, "example.org", DNS_T_MX, rd, 8, &n, canon) == -1);
	/* an rdlength shorter than the MX name inside it */
	m[p - 8] = 4;
	CHECK(dns_select(m, p - 3, "example.org", DNS_T_MX, rd, 8, &n, canon) == 0 && n == 1);
	CHECK(dns_rd_mx(m, p - 3, &rd[0], &pref, name) == -1);
	/* a query, not a response */
	m[2] = 0x01;
	CHECK(dns_select(m, p, "example.org", DNS_T_MX, rd, 8, &n, canon) == -1);
	/* answer count larger than what is there */
	p = question(m, hdr(m, 5));
	p = mx_rr(m, p, 10, "\2mx\300\14", 5);
	CHECK(dns_select(m, p, "example.org", DNS_T_MX, rd, 8, &n, canon) == -1);
}

static void
test_select_follows_cname_bounded(void)
{
	unsigned char m[512];
	struct dns_rd rd[8];
	char canon[DNS_NAME];
	size_t p, n, i;

	/* example.org CNAME a.example.org; a.example.org A 192.0.2.1 */
	p = question(m, hdr(m, 2));
	p = put(m, p, "\300\14\0\5\0\1\0\0\0\74\0\4\1a\300\14", 16);
	p = put(m, p, "\1a\300\14\0\1\0\1\0\0\0\74\0\4\300\0\2\1", 18);
	CHECK(dns_select(m, p, "example.org", DNS_T_A, rd, 8, &n, canon) == 0);
	CHECK(n == 1 && strcmp(canon, "a.example.org") == 0 && rd[0].len == 4);
	CHECK(memcmp(m + rd[0].pos, "\300\0\2\1", 4) == 0);
	/* a CNAME loop: example.org -> a -> example.org, no data */
	p = question(m, hdr(m, 2));
	p = put(m, p, "\300\14\0\5\0\1\0\0\0\74\0\4\1a\300\14", 16);
	p = put(m, p, "\1a\300\14\0\5\0\1\0\0\0\74\0\2\300\14", 16);
	CHECK(dns_select(m, p, "example.org", DNS_T_A, rd, 8, &n, canon) == 0 && n == 0);
	/* a long chain ends after DNS_CNAMEMAX links */
	p = question(m, hdr(m, 20));
	for (i = 0; i < 20; i++) {
		m[p++] = 1, m[p++] = (char)('a' + i), m[p++] = 0xc0, m[p++] = 12;
		p = put(m, p, "\0\5\0\1\0\0\0\74\0\4", 10);
		m[p++] = 1, m[p++] = (char)('a' + i + 1), m[p++] = 0xc0, m[p++] = 12;
	}
	CHECK(dns_select(m, p, "a.example.org", DNS_T_A, rd, 8, &n, canon) == 0 && n == 0);
	CHECK(strcmp(canon, "a.example.org") != 0);
}

static void
test_ip_text(void)
{
	struct ip ip, ip2;
	char b[IP_FMT + 1];
	size_t n;

	CHECK(ip_scan("10.231.1.2", 10, &ip) == 10 && ip.af == 4);
	n = ip_fmt(b, &ip), b[n] = 0;
	CHECK(strcmp(b, "10.231.1.2") == 0);
	CHECK(ip_scan("fd00:231::1:2]", 14, &ip) == 13 && ip.af == 6);
	n = ip_fmt(b, &ip), b[n] = 0;
	CHECK(strcmp(b, "fd00:231::1:2") == 0);
	CHECK(ip_scan("1.2.3", 5, &ip) == 0);
	CHECK(ip_scan("1.2.3.256", 9, &ip) == 0);
	CHECK(ip_scan("x", 1, &ip) == 0);
	CHECK(ip_scanbracket("[1.2.3.4]", 9, &ip) == 9 && ip.af == 4);
	CHECK(ip_scanbracket("[IPv6:::1]", 10, &ip) == 10 && ip.af == 6);
	CHECK(ip_scanbracket("[::1]", 5, &ip2) == 5 && ip_equal(&ip, &ip2));
	CHECK(ip_scanbracket("[IPv6:1.2.3.4]", 14, &ip) == 0);
	CHECK(ip_scanbracket("[1.2.3.4", 8, &ip) == 0);
	CHECK(ip_scan("1.2.3.4", 7, &ip) && ip_scan("::1.2.3.4", 9, &ip2) &&
	    !ip_equal(&ip, &ip2));
}

static void
test_tcpto_records(void)
{
	struct tcpto_ent e, d[2];
	char b[2 * TCPTO_REC];

	memset(b, 0, sizeof b);
	memset(&e, 0, sizeof e);
	CHECK(ip_scan("fd00::7", 7, &e.ip) == 7);
	e.count = 3, e.when = 1700000000UL;
	tcpto_encode(b + TCPTO_REC, &e);
	CHECK(tcpto_decode(b, sizeof b, d, 2) == 1);
	CHECK(ip_equal(&d[0].ip, &e.ip) && d[0].count == 3 && d[0].when == e.when);
	CHECK(tcpto_decode(b, sizeof b - 1, d, 2) == 0);	/* short record */
}

static void
test_pattern_match(void)
{
	CHECK(dns_pattern_match("mx.example.net", "MX.Example.NET."));
	CHECK(!dns_pattern_match("mx.example.net", "mx.example.ne"));
	CHECK(!dns_pattern_match("mx.example.net", "x.mx.example.net"));
	CHECK(dns_pattern_match("*.example.net", "mx1.example.net"));
	CHECK(dns_pattern_match("*.example.net.", "MX1.EXAMPLE.NET"));
	CHECK(!dns_pattern_match("*.example.net", "example.net"));
	CHECK(!dns_pattern_match("*.example.net", ".example.net"));
	CHECK(!dns_pattern_match("*.example.net", "a.b.example.net"));
	CHECK(!dns_pattern_match("*.example.net", "mx1.xexample.net"));
	CHECK(!dns_pattern_match("*.", "a"));
	CHECK(!dns_pattern_match("", ""));
	CHECK(!dns_pattern_match("*", "a"));	/* only a literal "*" name */
	CHECK(dns_pattern_match("*", "*"));
}

int
main(void)
{
	RUN(test_name_plain_and_compressed);
	RUN(test_name_rejects_loops_and_overruns);
	RUN(test_select_mx_and_bad_lengths);
	RUN(test_select_follows_cname_bounded);
	RUN(test_ip_text);
	RUN(test_tcpto_records);
	RUN(test_pattern_match);
	return CHECK_DONE();
}
