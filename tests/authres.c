/* unit tests for lib/authres.h */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "../lib/authres.h"

/* a file holding s (n bytes), open for reading at 0 */
static int
fileof(const char *s, size_t n)
{
	char fn[] = "authres.XXXXXX";
	int fd = mkstemp(fn);

	if (fd == -1)
		return -1;
	unlink(fn);
	if (io_writeall(fd, s, n) == -1 || lseek(fd, 0, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

struct rd {
	int		 fd;
	struct buf	 b;
	struct hf	 h;
	struct sa	 f;
	char		 space[64];	/* small: fields cross the buffer */
};

static void
rd_open(struct rd *r, const char *s, size_t n)
{
	r->fd = fileof(s, n);
	buf_init(&r->b, r->fd, r->space, sizeof r->space);
	hf_init(&r->h, &r->b);
	r->f = (struct sa)SA_INIT;
}

static void
rd_close(struct rd *r)
{
	close(r->fd);
	sa_free(&r->f);
}

static int
field_is(struct rd *r, const char *want)
{
	if (hf_next(&r->h, &r->f, 1000) != 1)
		return 0;
	return r->f.len == strlen(want) && memcmp(r->f.s, want, r->f.len) == 0;
}

static void
test_hf_folding_and_body_offset(void)
{
	static const char m[] = "Subject: a\n\tb\n c\nFrom: x@y\n\nbody\n";
	struct rd r;

	rd_open(&r, m, sizeof m - 1);
	CHECK(field_is(&r, "Subject: a\n\tb\n c"));
	CHECK(r.h.start == 0 && r.h.off == 17);
	CHECK(field_is(&r, "From: x@y"));
	CHECK(hf_next(&r.h, &r.f, 1000) == 0);
	CHECK(r.h.off == (off_t)(sizeof m - 1 - 5));
	CHECK(hf_next(&r.h, &r.f, 1000) == 0);	/* stays at the end */
	rd_close(&r);
}

static void
test_hf_non_field_line_starts_body(void)
{
	static const char m[] = "A: 1\nnot a field\nB: 2\n";
	struct rd r;

	rd_open(&r, m, sizeof m - 1);
	CHECK(field_is(&r, "A: 1"));
	CHECK(hf_next(&r.h, &r.f, 1000) == 0);
	CHECK(r.h.off == 5);
	rd_close(&r);
	rd_open(&r, " leading blank\n", 15);
	CHECK(hf_next(&r.h, &r.f, 1000) == 0 && r.h.off == 0);
	rd_close(&r);
	rd_open(&r, "Sub ject: x\n", 12);
	CHECK(hf_next(&r.h, &r.f, 1000) == 0 && r.h.off == 0);
	rd_close(&r);
	rd_open(&r, ": x\n", 4);	/* empty name */
	CHECK(hf_next(&r.h, &r.f, 1000) == 0 && r.h.off == 0);
	rd_close(&r);
	rd_open(&r, "A\001: x\n", 6);
	CHECK(hf_next(&r.h, &r.f, 1000) == 0 && r.h.off == 0);
	rd_close(&r);
}

static void
test_hf_blank_before_colon_and_eof(void)
{
	struct rd r;

	rd_open(&r, "Subject \t: x", 12);	/* no LF at the end */
	CHECK(field_is(&r, "Subject \t: x"));
	CHECK(hf_next(&r.h, &r.f, 1000) == 0 && r.h.off == 12);
	rd_close(&r);
	rd_open(&r, "A: 1\n", 5);
	CHECK(field_is(&r, "A: 1"));
	CHECK(hf_next(&r.h, &r.f, 1000) == 0 && r.h.off == 5);
	rd_close(&r);
	rd_open(&r, "", 0);
	CHECK(hf_next(&r.h, &r.f, 1000) == 0 && r.h.off == 0);
	rd_close(&r);
	rd_open(&r, "Name-without-colon", 18);
	CHECK(hf_next(&r.h, &r.f, 1000) == 0 && r.h.off == 0);
	rd_close(&r);
}

static void
test_hf_long_field_truncated_but_consumed(void)
{
	size_t n = 1 << 20, i;
	char *m = malloc(n + 16);
	struct rd r;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	memcpy(m, "X-Big: ", 7);
	for (i = 7; i < n; i++)
		m[i] = (i % 77) ? 'a' : '\t';
	for (i = 77; i < n; i += 77)
		m[i - 1] = '\n';	/* folded: LF then a tab */
	memcpy(m + n, "\nB: 2\n\nx", 8);
	rd_open(&r, m, n + 8);
	CHECK(hf_next(&r.h, &r.f, 100) == 1);
	CHECK(r.h.trunc && r.f.len == 100 && r.f.cap < 4096);
	CHECK(r.h.off == (off_t)n + 1);
	CHECK(field_is(&r, "B: 2") && !r.h.trunc);
	CHECK(hf_next(&r.h, &r.f, 100) == 0 && r.h.off == (off_t)n + 7);
	rd_close(&r);
	free(m);
}

static void
test_hf_long_name_is_body(void)
{
	char m[HF_NAMEMAX + 10];
	struct rd r;

	memset(m, 'n', sizeof m);
	m[sizeof m - 2] = ':';
	m[sizeof m - 1] = '\n';
	rd_open(&r, m, sizeof m);
	CHECK(hf_next(&r.h, &r.f, 10) == 0 && r.h.off == 0);
	rd_close(&r);
	m[HF_NAMEMAX] = ':';	/* exactly HF_NAMEMAX bytes of name */
	rd_open(&r, m, sizeof m);
	CHECK(hf_next(&r.h, &r.f, 10) == 1 && r.h.trunc);
	rd_close(&r);
}

static void
test_hf_many_fields(void)
{
	static const char one[] =
	    "DKIM-Signature: v=1; a=rsa-sha256; d=x;\n\tb=AAAA\n";
	size_t k = 1000, i, n = k * (sizeof one - 1);
	char *m = malloc(n + 2);
	struct rd r;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	for (i = 0; i < k; i++)
		memcpy(m + i * (sizeof one - 1), one, sizeof one - 1);
	memcpy(m + n, "\nb", 2);
	rd_open(&r, m, n + 2);
	for (i = 0; hf_next(&r.h, &r.f, 4096) == 1; i++)
		;
	CHECK(i == k);
	CHECK(r.h.off == (off_t)n + 1);
	rd_close(&r);
	free(m);
}

static void
test_ar_ours(void)
{
	static const char id[] = "mx.example.net";
#define OURS(s)	ar_ours((s), strlen(s), id, strlen(id))
	CHECK(OURS(" mx.example.net; spf=pass"));
	CHECK(OURS("MX.Example.NET;dkim=pass"));
	CHECK(OURS(" (comment) mx.example.net 1; none"));
	CHECK(OURS("\n\t(a (nested \\) comment) b)\n mx.example.net;"));
	CHECK(OURS(" \"mx.example.net\"; none"));
	CHECK(OURS(" \"mx.exa\\mple.net\"; none"));
	CHECK(OURS("mx.example.net"));
	CHECK(OURS("mx.example.net(c);"));
	CHECK(!OURS(" mx.example.net.evil.org; spf=pass"));
	CHECK(!OURS(" mx.example.ne; spf=pass"));
	CHECK(!OURS(" other.example; spf=pass (mx.example.net)"));
	CHECK(!OURS(" (unterminated mx.example.net; spf=pass"));
	CHECK(!OURS(" \"mx.example.net; none"));
	CHECK(!OURS(" \"mx.example.net\\"));
	CHECK(!OURS(""));
	CHECK(!OURS("   "));
	CHECK(!OURS(" ; spf=pass"));
	CHECK(!OURS(" (\\"));
	CHECK(ar_ours("x", 1, "", 0) == 0);
#undef OURS
}

static void
test_ar_writer_exact(void)
{
	static const char want[] = "Authentication-Results: mx.example.net;\n"
	    "\tdkim=pass header.d=example.org header.s=sel;\n"
	    "\tspf=fail (a \\(b\\) \\\\c?) smtp.mailfrom=\"a\\\"b\\\\c@x.org\"\n";
	struct sa out = SA_INIT;
	struct ar a;

	CHECK(ar_begin(&a, &out, "mx.example.net", 14) == 0);
	CHECK(ar_result(&a, "dkim", "pass", NULL) == 0);
	CHECK(ar_prop(&a, "header.d", "example.org", 11) == 0);
	CHECK(ar_prop(&a, "header.s", "sel", 3) == 0);
	CHECK(ar_result(&a, "spf", "fail", "a (b) \\c\n") == 0);
	CHECK(ar_prop(&a, "smtp.mailfrom", "a\"b\\c@x.org", 11) == 0);
	CHECK(ar_end(&a) == 0);
	CHECK(out.len == sizeof want - 1 && memcmp(out.s, want, out.len) == 0);
	if (out.len != sizeof want - 1 || memcmp(out.s, want, out.len))
		printf("# got [%.*s]\n", (int)out.len, out.s);
	sa_free(&out);
}

static void
test_ar_none_and_limits(void)
{
	struct sa out = SA_INIT;
	struct ar a;
	char big[1000];
	size_t i, q = 0;

	CHECK(ar_begin(&a, &out, "weird id", 8) == 0);
	CHECK(ar_end(&a) == 0);
	CHECK(out.len == 41 && memcmp(out.s,
	    "Authentication-Results: \"weird id\"; none\n", 41) == 0);
	memset(big, '"', sizeof big);
	CHECK(ar_begin(&a, &out, "mx", 2) == 0);
	CHECK(ar_result(&a, "spf", "none", NULL) == 0);
	CHECK(ar_prop(&a, "smtp.helo", big, sizeof big) == 0);
	CHECK(ar_comment(&a, big, sizeof big) == 0);
	for (i = 0; i < out.len; i++)
		q += out.s[i] == '"';
	CHECK(q == 2 * AR_VALMAX + 2);
	CHECK(byte_chr(out.s, out.len, '\n') == 27);	/* only the fold */
	sa_free(&out);
}

static void
test_skip_ip(void)
{
	static const char l[] = "192.0.2.7\0" "198.51.100.0/24\0"
	    "2001:db8::/32\0" "10.0.0.0/33\0" "garbage\0" "172.16.0.0/\0"
	    "user@example.org\0" "0.0.0.0/0x\0";

	CHECK(skip_ip(l, sizeof l - 1, "192.0.2.7"));
	CHECK(!skip_ip(l, sizeof l - 1, "192.0.2.8"));
	CHECK(skip_ip(l, sizeof l - 1, "198.51.100.255"));
	CHECK(!skip_ip(l, sizeof l - 1, "198.51.101.1"));
	CHECK(skip_ip(l, sizeof l - 1, "::ffff:198.51.100.9"));
	CHECK(skip_ip(l, sizeof l - 1, "2001:db8:1::5"));
	CHECK(!skip_ip(l, sizeof l - 1, "2001:db9::5"));
	CHECK(!skip_ip(l, sizeof l - 1, "10.1.1.1"));	/* /33 is malformed */
	CHECK(!skip_ip(l, sizeof l - 1, "172.16.0.1"));
	CHECK(!skip_ip(l, sizeof l - 1, "not an ip"));
	CHECK(!skip_ip(l, sizeof l - 1, ""));
	CHECK(skip_ip("0.0.0.0/0", 9, "203.0.113.1"));
	CHECK(!skip_ip("0.0.0.0/0", 9, "2001:db8::1"));
	CHECK(skip_ip("::/0", 4, "2001:db8::1"));
	CHECK(skip_ip("10.0.0.0/9", 10, "10.127.0.1"));
	CHECK(!skip_ip("10.0.0.0/9", 10, "10.128.0.1"));
}

static void
test_skip_sender(void)
{
	static const char l[] = "User@Example.org\0" "@lists.example\0"
	    "bulk.example\0" "192.0.2.0/24\0" "@\0";
#define S(s)	skip_sender(l, sizeof l - 1, (s), strlen(s))
	CHECK(S("user@example.org"));
	CHECK(!S("other@example.org"));
	CHECK(S("x@LISTS.example"));
	CHECK(!S("x@sub.lists.example"));
	CHECK(S("y@bulk.example"));
	CHECK(!S(""));
	CHECK(!S("192.0.2.0/24"));
	CHECK(!S("noat"));
	CHECK(S("a@b@bulk.example"));
#undef S
}

int
main(void)
{
	RUN(test_hf_folding_and_body_offset);
	RUN(test_hf_non_field_line_starts_body);
	RUN(test_hf_blank_before_colon_and_eof);
	RUN(test_hf_long_field_truncated_but_consumed);
	RUN(test_hf_long_name_is_body);
	RUN(test_hf_many_fields);
	RUN(test_ar_ours);
	RUN(test_ar_writer_exact);
	RUN(test_ar_none_and_limits);
	RUN(test_skip_ip);
	RUN(test_skip_sender);
	return CHECK_DONE();
}
