/* unit tests for lib/mtasts.h: policy text, TXT record, MX patterns, the
 * HTTP response, the cache record; hostile input throughout */
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "../lib/mtasts.h"

static struct mtasts p, q;

static const char *
pol(const char *s)
{
	return mtasts_policy(&p, s, strlen(s));
}

static void
test_policy_rfc_example(void)
{
	CHECK(pol("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
	    "mx: *.example.net\r\nmx: backupmx.example.com\r\n"
	    "max_age: 604800\r\n") == NULL);
	CHECK(p.mode == MTASTS_ENFORCE && p.max_age == 604800 && p.nmx == 3);
	CHECK(strcmp(p.mx[0], "mail.example.com") == 0);
	CHECK(strcmp(p.mx[1], "*.example.net") == 0);
	/* LF only, no final line end, blanks around, mixed case lowered */
	CHECK(pol("  version:STSv1 \nmode:\ttesting\nmx: MX.Example.ORG\n"
	    "max_age: 86400") == NULL);
	CHECK(p.mode == MTASTS_TESTING && strcmp(p.mx[0], "mx.example.org") == 0);
	/* mode none needs no mx */
	CHECK(pol("version: STSv1\nmode: none\nmax_age: 0\n") == NULL);
	CHECK(p.mode == MTASTS_NONE && p.nmx == 0 && p.max_age == 0);
}

static void
test_policy_fields(void)
{
	/* unknown keys and junk lines are ignored; the first of a key counts */
	CHECK(pol("version: STSv1\nfoo: bar baz\nno colon here\n\n"
	    "mode: enforce\nmode: none\nmax_age: 5\nmax_age: 9\nmx: a.b\n") == NULL);
	CHECK(p.mode == MTASTS_ENFORCE && p.max_age == 5);
	/* max_age is cut to a year; 11 digits are invalid */
	CHECK(pol("version: STSv1\nmode: none\nmax_age: 9999999999\n") == NULL);
	CHECK(p.max_age == MTASTS_MAXAGE);
	CHECK(pol("version: STSv1\nmode: none\nmax_age: 99999999999\n") != NULL);
	CHECK(pol("version: STSv1\nmode: none\nmax_age: -1\n") != NULL);
	CHECK(pol("version: STSv1\nmode: none\nmax_age: 1x\n") != NULL);
	CHECK(pol("version: STSv1\nmode: none\nmax_age:\n") != NULL);
	/* required fields */
	CHECK(pol("mode: none\nmax_age: 1\n") != NULL);
	CHECK(pol("version: STSv1\nmax_age: 1\n") != NULL);
	CHECK(pol("version: STSv1\nmode: none\n") != NULL);
	CHECK(pol("version: STSv1\nmode: enforce\nmax_age: 1\n") != NULL);
	CHECK(pol("version: STSv2\nmode: none\nmax_age: 1\n") != NULL);
	CHECK(pol("version: stsv1\nmode: none\nmax_age: 1\n") != NULL);
	/* keys are case-sensitive (%s in the ABNF): "Mode" is unknown */
	CHECK(pol("version: STSv1\nMode: enforce\nmax_age: 1\n") != NULL);
	CHECK(pol("version: STSv1\nmode: Enforce\nmax_age: 1\n") != NULL);
	CHECK(pol("") != NULL);
}

static void
test_policy_hostile(void)
{
	static char big[MTASTS_MAXPOLICY + 2];
	char *s;
	size_t i, o;

	/* NUL, a bare CR, control bytes */
	CHECK(mtasts_policy(&p, "version: STSv1\0\nmode: none\nmax_age: 1\n",
	    38) != NULL);
	CHECK(pol("version: STSv1\rmode: none\nmax_age: 1\n") != NULL);
	CHECK(pol("version: STSv1\nmode: none\x1b\nmax_age: 1\n") != NULL);
	/* bad patterns */
	CHECK(pol("version: STSv1\nmode: enforce\nmax_age: 1\nmx: a..b\n") != NULL);
	CHECK(pol("version: STSv1\nmode: enforce\nmax_age: 1\nmx: *\n") != NULL);
	CHECK(pol("version: STSv1\nmode: enforce\nmax_age: 1\nmx: a.*.b\n") != NULL);
	CHECK(pol("version: STSv1\nmode: enforce\nmax_age: 1\nmx: **.b\n") != NULL);
	CHECK(pol("version: STSv1\nmode: enforce\nmax_age: 1\nmx: a b\n") != NULL);
	CHECK(pol("version: STSv1\nmode: enforce\nmax_age: 1\nmx: a/b\n") != NULL);
	CHECK(pol("version: STSv1\nmode: enforce\nmax_age: 1\nmx: a.b.\n") != NULL);
	CHECK(pol("version: STSv1\nmode: enforce\nmax_age: 1\nmx: \n") != NULL);
	/* a label of 64 bytes, a name of 254 */
	s = malloc(400);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	o = (size_t)sprintf(s, "version: STSv1\nmode: enforce\nmax_age: 1\nmx: ");
	memset(s + o, 'a', 64), s[o + 64] = 0;
	CHECK(pol(s) != NULL);
	s[o + 63] = 0;
	CHECK(pol(s) == NULL);
	for (i = 0; i < 254; i++)
		s[o + i] = i % 2 ? '.' : 'a';
	s[o + 253] = 0;
	CHECK(pol(s) == NULL);
	s[o + 253] = '.', s[o + 254] = 'a', s[o + 255] = 0;
	CHECK(pol(s) != NULL);
	free(s);
	/* 64 patterns fit, 65 do not */
	o = (size_t)sprintf(big, "version: STSv1\nmode: enforce\nmax_age: 1\n");
	for (i = 0; i < 64; i++)
		o += (size_t)sprintf(big + o, "mx: m%zu.example\n", i);
	CHECK(mtasts_policy(&p, big, o) == NULL && p.nmx == 64);
	o += (size_t)sprintf(big + o, "mx: one.more\n");
	CHECK(mtasts_policy(&p, big, o) != NULL);
	/* over 64 KB */
	memset(big, '\n', sizeof big);
	memcpy(big, "version: STSv1\nmode: none\nmax_age: 1\n", 37);
	CHECK(mtasts_policy(&p, big, MTASTS_MAXPOLICY) == NULL);
	CHECK(mtasts_policy(&p, big, MTASTS_MAXPOLICY + 1) != NULL);
	/* a long line without an end, a colon only, blanks only */
	memset(big, 'x', sizeof big);
	CHECK(mtasts_policy(&p, big, MTASTS_MAXPOLICY) != NULL);
	CHECK(pol(":\n:\n \t \n") != NULL);
}

static void
test_txt(void)
{
	char id[MTASTS_IDLEN + 1];

#define TXT(s) mtasts_txt(id, (s), strlen(s))
	CHECK(TXT("v=STSv1; id=20160831085700Z;") == 1 &&
	    strcmp(id, "20160831085700Z") == 0);
	CHECK(TXT("v=STSv1;id=abc") == 1 && strcmp(id, "abc") == 0);
	CHECK(TXT("v=STSv1 ;  id=abc ; ext=x-y.z ;") == 1);
	CHECK(TXT("v=STSv1; ext=1; id=Z9") == 1 && strcmp(id, "Z9") == 0);
	CHECK(TXT("v=spf1 -all") == 0);
	CHECK(TXT("v=STSv10; id=1") == 0);
	CHECK(TXT("") == 0);
	CHECK(TXT("v=STSv1") == -1);
	CHECK(TXT("v=STSv1;") == -1);
	CHECK(TXT("v=STSv1; id=") == -1);
	CHECK(TXT("v=STSv1; id=a-b") == -1);
	CHECK(TXT("v=STSv1; id=123456789012345678901234567890123") == -1);
	CHECK(TXT("v=STSv1; id=12345678901234567890123456789012") == 1);
	CHECK(TXT("v=STSv1; id=1 x") == -1);
	CHECK(TXT("v=STSv1; id=1;;") == -1);
	CHECK(TXT("v=STSv1; =1; id=1") == -1);
	CHECK(TXT("v=STSv1; ext=a=b; id=1") == -1);
	CHECK(TXT("v=STSv1; _x=1; id=1") == -1);
	CHECK(mtasts_txt(id, "v=STSv1; id=1\0", 14) == -1);
	/* record selection: others discarded, exactly one STSv1 */
	CHECK(mtasts_txt_pick(id, "v=spf1 -all\0v=STSv1; id=7;\0", 27) == 1 &&
	    strcmp(id, "7") == 0);
	CHECK(mtasts_txt_pick(id, "v=STSv1; id=7\0v=STSv1; id=8\0", 28) == 0);
	CHECK(mtasts_txt_pick(id, "v=STSv1; id=7\0v=STSv1\0", 22) == 0);
	CHECK(mtasts_txt_pick(id, "v=STSv1; id=\0", 13) == 0);
	CHECK(mtasts_txt_pick(id, "", 0) == 0);
	CHECK(mtasts_txt_pick(id, "v=STSv1; id=9", 13) == 1);	/* no final NUL */
#undef TXT
}

static void
test_mx_match(void)
{
	CHECK(mtasts_mx_match("mail.example.com", "mail.example.com"));
	CHECK(mtasts_mx_match("mail.example.com", "MAIL.Example.com."));
	CHECK(!mtasts_mx_match("mail.example.com", "xmail.example.com"));
	CHECK(!mtasts_mx_match("mail.example.com", "mail.example.co"));
	CHECK(mtasts_mx_match("*.example.com", "mx1.example.com"));
	CHECK(mtasts_mx_match("*.example.com", "MX1.EXAMPLE.COM"));
	/* exactly one label */
	CHECK(!mtasts_mx_match("*.example.com", "example.com"));
	CHECK(!mtasts_mx_match("*.example.com", "a.b.example.com"));
	CHECK(!mtasts_mx_match("*.example.com", ".example.com"));
	CHECK(!mtasts_mx_match("*.example.com", "a.xexample.com"));
	CHECK(!mtasts_mx_match("*.example.com", "aexample.com"));
	CHECK(!mtasts_mx_match("*.example.com", ""));
	CHECK(!mtasts_mx_match("", ""));
	/* the host is literal: no wildcard on its side */
	CHECK(!mtasts_mx_match("mx.example.com", "*.example.com"));
	CHECK(pol("version: STSv1\nmode: enforce\nmax_age: 1\n"
	    "mx: a.test\nmx: *.b.test\n") == NULL);
	CHECK(mtasts_mx_allowed(&p, "a.test") && mtasts_mx_allowed(&p, "x.b.test"));
	CHECK(!mtasts_mx_allowed(&p, "b.test") && !mtasts_mx_allowed(&p, "c.test"));
}

static void
test_domain(void)
{
	char d[DNS_NAME];

	CHECK(mtasts_domain(d, "Example.ORG.", 12) && strcmp(d, "example.org") == 0);
	CHECK(mtasts_domain(d, "_x.a-b.c", 8));
	CHECK(!mtasts_domain(d, "..", 2));
	CHECK(!mtasts_domain(d, ".", 1));
	CHECK(!mtasts_domain(d, "", 0));
	CHECK(!mtasts_domain(d, ".a", 2));
	CHECK(!mtasts_domain(d, "a/b", 3));
	CHECK(!mtasts_domain(d, "a\0b", 3));
	CHECK(!mtasts_domain(d, "[1.2.3.4]", 9));
}

static const char *
http(struct sa *b, const char *s)
{
	return mtasts_http(b, s, strlen(s), 1);
}

static void
test_http(void)
{
	struct sa b = SA_INIT;

	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 5\r\n\r\nhello and more") == NULL &&
	    b.len == 5 && memcmp(b.s, "hello", 5) == 0);
	CHECK(http(&b, "HTTP/1.0 200 OK\nCONTENT-TYPE:text/plain; charset=utf-8\n"
	    "\nbody") == NULL && b.len == 4);
	CHECK(http(&b, "HTTP/1.1 200\r\ncontent-type: text/plain\r\n"
	    "transfer-encoding: chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n"
	    "0\r\n\r\n") == NULL && b.len == 13 &&
	    memcmp(b.s, "abc0123456789", 13) == 0);
	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\nx") != NULL);
	CHECK(http(&b, "HTTP/1.1 200 OK\r\n\r\nx") != NULL);
	CHECK(http(&b, "HTTP/1.1 301 Moved\r\nLocation: https://evil/\r\n"
	    "Content-Type: text/plain\r\n\r\n") != NULL);
	CHECK(http(&b, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\r\n") != NULL);
	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n") != NULL);
	CHECK(http(&b, "HTTP/2 200\r\nContent-Type: text/plain\r\n\r\nx") != NULL);
	CHECK(http(&b, "HTTP/1.1 2000\r\nContent-Type: text/plain\r\n\r\nx") != NULL);
	CHECK(http(&b, "") != NULL);
	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 50\r\n\r\nshort") != NULL);
	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 99999999999\r\n\r\nshort") != NULL);
	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Transfer-Encoding: gzip\r\n\r\nx") != NULL);
	/* hostile chunks: too big, truncated, no size, no end */
	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFF\r\nx") != NULL);
	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nFFFFFFF\r\nx") != NULL);
	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n10\r\nx") != NULL);
	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nzz\r\nx") != NULL);
	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n1\r\nxy") != NULL);
	CHECK(http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n") != NULL);
	/* a cut connection: only a stated length or chunks count */
	CHECK(mtasts_http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "\r\nversion", 52, 0) != NULL);
	CHECK(mtasts_http(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 1\r\n\r\nv", 65, 0) == NULL && b.len == 1);
	sa_free(&b);
}

static void
test_cache_record(void)
{
	struct sa o = SA_INIT;

	CHECK(pol("version: STSv1\nmode: enforce\nmax_age: 86400\n"
	    "mx: a.test\nmx: *.b.test\n") == NULL);
	memcpy(p.domain, "x.test", 7);
	p.has_policy = 1;
	memcpy(p.id, "id42", 5);
	p.fetched = 1000, p.refresh = 4600, p.expires = 87400;
	CHECK(mtasts_fmt(&o, &p) == 0);
	CHECK(o.len > 0 && byte_equal(o.s, o.len, "domain: x.test\npolicy: yes\n"
	    "id: id42\nfetched: 1000\nrefresh: 4600\nexpires: 87400\n"
	    "mode: enforce\nmax_age: 86400\nmx: a.test\nmx: *.b.test\n"));
	CHECK(mtasts_parse(&q, o.s, o.len) == NULL);
	CHECK(q.has_policy && q.mode == MTASTS_ENFORCE && q.nmx == 2 &&
	    q.expires == 87400 && q.refresh == 4600 && q.fetched == 1000 &&
	    strcmp(q.id, "id42") == 0 && strcmp(q.domain, "x.test") == 0 &&
	    strcmp(q.mx[1], "*.b.test") == 0);
	/* a negative entry */
	memset(&p, 0, sizeof p);
	memcpy(p.domain, "y.test", 7);
	p.fetched = 1, p.refresh = p.expires = 3601;
	CHECK(mtasts_fmt(&o, &p) == 0);
	CHECK(byte_equal(o.s, o.len, "domain: y.test\npolicy: none\n"
	    "fetched: 1\nrefresh: 3601\nexpires: 3601\n"));
	CHECK(mtasts_parse(&q, o.s, o.len) == NULL && !q.has_policy);
#define BAD(s) CHECK(mtasts_parse(&q, (s), strlen(s)) != NULL)
	BAD("");
	BAD("domain: y.test\npolicy: none\nfetched: 1\nrefresh: 2\n");
	BAD("domain: y.test\npolicy: none\nfetched: 1\nrefresh: 2\nexpires: 3\nmx: a.b\n");
	BAD("domain: y.test\npolicy: none\nfetched: 1\nrefresh: 2\nexpires: 3\nfoo: 1\n");
	BAD("domain: y.test\npolicy: none\nfetched: 1\nfetched: 1\nrefresh: 2\nexpires: 3\n");
	BAD("domain: y.test\npolicy: maybe\nfetched: 1\nrefresh: 2\nexpires: 3\n");
	BAD("domain: ../x\npolicy: none\nfetched: 1\nrefresh: 2\nexpires: 3\n");
	BAD("domain: y.test\npolicy: none\nfetched: 1x\nrefresh: 2\nexpires: 3\n");
	BAD("domain: y.test\npolicy: none\nfetched: 99999999999999999999999\nrefresh: 2\nexpires: 3\n");
	BAD("domain: y.test\npolicy: yes\nid: 1\nfetched: 1\nrefresh: 2\nexpires: 3\nmode: enforce\nmax_age: 1\n");
	BAD("domain: y.test\npolicy: yes\nid: a;b\nfetched: 1\nrefresh: 2\nexpires: 3\nmode: none\nmax_age: 1\n");
	BAD("domain: y.test\npolicy: yes\nfetched: 1\nrefresh: 2\nexpires: 3\nmode: none\nmax_age: 1\n");
#undef BAD
	{
		const char *ok = "domain: y.test\npolicy: yes\nid: 1\n"
		    "fetched: 1\nrefresh: 2\nexpires: 3\nmode: none\nmax_age: 1\n";
		CHECK(mtasts_parse(&q, ok, strlen(ok)) == NULL &&
		    q.has_policy && q.mode == MTASTS_NONE);
	}
	sa_free(&o);
}

static void
test_cache_files(void)
{
	char dir[] = "/tmp/mtasts-unit.XXXXXX";
	char cwd[4096];

	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK(mkdtemp(dir) != NULL);
	CHECK(chdir(dir) == 0);
	CHECK(mkdir("queue", 0700) == 0 && mkdir(MTASTS_DIR, 0700) == 0);
	CHECK(mtasts_cache_read(&q, "x.test") == 0);
	CHECK(mtasts_cache_read(&q, "../etc") == 0);
	memset(&p, 0, sizeof p);
	memcpy(p.domain, "x.test", 7);
	p.fetched = 5, p.refresh = 6, p.expires = 7;
	CHECK(mtasts_cache_write(&p) == 0);
	CHECK(mtasts_cache_read(&q, "X.Test.") == 1 && q.expires == 7 &&
	    !q.has_policy);
	CHECK(mtasts_cache_read(&q, "y.test") == 0);
	/* a record for another domain under this name is not used */
	CHECK(rename(MTASTS_DIR "/x.test", MTASTS_DIR "/y.test") == 0);
	CHECK(mtasts_cache_read(&q, "y.test") == 0);
	CHECK(unlink(MTASTS_DIR "/y.test") == 0);
	CHECK(rmdir(MTASTS_DIR) == 0 && rmdir("queue") == 0);
	CHECK(chdir(cwd) == 0 && rmdir(dir) == 0);
}

int
main(void)
{
	RUN(test_policy_rfc_example);
	RUN(test_policy_fields);
	RUN(test_policy_hostile);
	RUN(test_txt);
	RUN(test_mx_match);
	RUN(test_domain);
	RUN(test_http);
	RUN(test_cache_record);
	RUN(test_cache_files);
	return CHECK_DONE();
}
