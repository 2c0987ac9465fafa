/* unit tests for lib/dksign.h */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../lib/dksign.h"

/* dkim_domain on a copy of in: the canonical form, or NULL if refused */
static int
dom(const char *in, const char *want)
{
	char b[600];
	size_t n = strlen(in), r;

	memcpy(b, in, n);
	r = dksign_domain(b, n);
	if (want == NULL)
		return r == 0;
	return r == strlen(want) && memcmp(b, want, r) == 0;
}

static void
test_domain_canonical(void)
{
	CHECK(dom("example.com", "example.com"));
	CHECK(dom("Mail.Example.COM", "mail.example.com"));
	CHECK(dom("example.com.", "example.com"));
	CHECK(dom("a-b.x1.example", "a-b.x1.example"));
	CHECK(dom("1.2.3.4", "1.2.3.4"));	/* LDH; no key dir for it */
}

static void
test_domain_refuses_paths_and_literals(void)
{
	CHECK(dom("", NULL));
	CHECK(dom(".", NULL));
	CHECK(dom("localhost", NULL));		/* one label */
	CHECK(dom("..", NULL));
	CHECK(dom("../etc", NULL));
	CHECK(dom("a/b.example", NULL));
	CHECK(dom(".example.com", NULL));
	CHECK(dom("example..com", NULL));
	CHECK(dom("example.com..", NULL));
	CHECK(dom("[192.0.2.1]", NULL));
	CHECK(dom("-a.example", NULL));
	CHECK(dom("a-.example", NULL));
	CHECK(dom("a_b.example", NULL));
	CHECK(dom("tmp", NULL));
	CHECK(dom("ex ample.com", NULL));
	CHECK(dom("example.com\n", NULL));
}

static void
test_domain_lengths(void)
{
	char b[300];

	memset(b, 'a', 63);
	memcpy(b + 63, ".com", 5);
	CHECK(dom(b, b));
	memset(b, 'a', 64);
	memcpy(b + 64, ".com", 5);
	CHECK(dom(b, NULL));			/* a label over 63 */
	memset(b, 'a', sizeof b);
	for (size_t i = 10; i < 254; i += 10)
		b[i] = '.';
	b[253] = '\0';
	CHECK(dksign_domain(b, 253) == 253);
	b[253] = 'a', b[254] = '\0';
	CHECK(dksign_domain(b, 254) == 0);	/* over 253 */
	b[253] = '.';
	CHECK(dksign_domain(b, 254) == 253);	/* the final dot is free */
}

static void
test_selector(void)
{
	CHECK(dksign_selector("s202612", 7));
	CHECK(dksign_selector("default", 7));
	CHECK(dksign_selector("a.b", 3));
	CHECK(!dksign_selector("", 0));
	CHECK(!dksign_selector("../x", 4));
	CHECK(!dksign_selector("a/b", 3));
	CHECK(!dksign_selector(".a", 2));
	CHECK(!dksign_selector("a.", 2));
	CHECK(!dksign_selector("a b", 3));
	CHECK(!dksign_selector("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64));
}

/* the section of in, fed in chunks of step bytes (0: all at once) */
static int
sect(const char *in, size_t n, size_t step, struct dksign_hdr *h)
{
	size_t i, k;
	int r = 0;

	for (i = 0; i < n && r == 0; i += k) {
		k = step == 0 || step > n - i ? n - i : step;
		r = dksign_hdr_feed(h, in + i, k);
	}
	if (r == 0)
		r = dksign_hdr_eof(h);
	return r;
}

/* in parses to the fields want (NUL-separated, wlen bytes) with the
 * body at used, whatever the chunk size */
static int
hdr(const char *in, const char *want, size_t wlen, size_t used)
{
	size_t n = strlen(in), step;
	int ok = 1;

	for (step = 0; step <= n + 1; step++) {
		struct dksign_hdr h = DKSIGN_HDR_INIT;

		if (sect(in, n, step, &h) != 1 || h.toobig || !h.done ||
		    h.used != used || h.fields.len != wlen ||
		    (wlen > 0 && memcmp(h.fields.s, want, wlen) != 0))
			ok = 0;
		dksign_hdr_free(&h);
	}
	return ok;
}
#define HDR(in, want, used) hdr(in, want, sizeof want - 1, used)

static void
test_hdr_fields_and_continuations(void)
{
	CHECK(HDR("From: a@b.example\nSubject: x\n\nbody\n",
	    "From: a@b.example\n\0Subject: x\n\0", 30));
	CHECK(HDR("Subject: one\n two\n\tthree\nTo: c\n\nb",
	    "Subject: one\n two\n\tthree\n\0To: c\n\0", 32));
	CHECK(HDR("X:\n\n", "X:\n\0", 4));
	CHECK(HDR("Name : v\n\n", "Name : v\n\0", 10));
}

static void
test_hdr_ends(void)
{
	/* no empty line: the first line that is not a field is the body */
	CHECK(HDR("From: a\nnot a field\n", "From: a\n\0", 8));
	/* a continuation before any field is the body */
	CHECK(HDR(" leading\nFrom: a\n\n", "", 0));
	/* the message ends in the header, the last line without LF */
	CHECK(HDR("From: a\nTo: b", "From: a\n\0To: b\0", 13));
	CHECK(HDR("From: a\n", "From: a\n\0", 8));
	CHECK(HDR("", "", 0));
	CHECK(HDR("\nFrom: a\n", "", 1));
	/* CR LF in the queue is a CR byte: that line is not empty */
	CHECK(HDR("From: a\r\n\r\nx\n", "From: a\r\n\0", 9));
	/* NUL and control bytes in a name: not a field */
	CHECK(HDR("Fr\001om: a\n\n", "", 0));
}

static void
test_hdr_nul_is_not_signed(void)
{
	struct dksign_hdr h = DKSIGN_HDR_INIT;

	CHECK(sect("A: 1\nB: x\0y\n\nbody", 16, 3, &h) == 1 && h.nul);
	dksign_hdr_free(&h);
	memset(&h, 0, sizeof h);
	CHECK(sect("A: 1\n \0\n\n", 9, 0, &h) == 1 && h.nul);
	dksign_hdr_free(&h);
	memset(&h, 0, sizeof h);	/* in the body: no matter */
	CHECK(sect("A: 1\n\n\0", 7, 0, &h) == 1 && !h.nul && h.used == 6);
	dksign_hdr_free(&h);
}

static void
test_hdr_limits(void)
{
	struct dksign_hdr h = DKSIGN_HDR_INIT;
	size_t n = DKSIGN_HDR_MAX + 100, i;
	char *m = malloc(n);

	CHECK(m != NULL);
	if (m == NULL)
		return;
	memcpy(m, "X-Long: ", 8);
	memset(m + 8, 'y', n - 8);
	m[n - 2] = '\n', m[n - 1] = '\n';
	CHECK(sect(m, n, 4096, &h) == 1 && h.toobig);
	dksign_hdr_free(&h);
	/* just under: signed */
	m[DKSIGN_HDR_MAX - 2] = '\n', m[DKSIGN_HDR_MAX - 1] = '\n';
	memset(&h, 0, sizeof h);
	CHECK(sect(m, DKSIGN_HDR_MAX, 7, &h) == 1 && !h.toobig &&
	    h.used == DKSIGN_HDR_MAX && h.nfields == 1);
	dksign_hdr_free(&h);
	free(m);

	/* fields: 10,000 are fine, one more is not */
	m = malloc(5 * (DKSIGN_FIELDS_MAX + 1) + 1);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	for (i = 0; i < DKSIGN_FIELDS_MAX; i++)
		memcpy(m + 5 * i, "X: 1\n", 5);
	m[5 * i] = '\n';
	memset(&h, 0, sizeof h);
	CHECK(sect(m, 5 * i + 1, 0, &h) == 1 && !h.toobig &&
	    h.nfields == DKSIGN_FIELDS_MAX);
	dksign_hdr_free(&h);
	memcpy(m + 5 * i, "X: 1\n\n", 6);
	memset(&h, 0, sizeof h);
	CHECK(sect(m, 5 * i + 6, 1000, &h) == 1 && h.toobig);
	dksign_hdr_free(&h);
	free(m);
}

static void
test_hdr_done_stays_done(void)
{
	struct dksign_hdr h = DKSIGN_HDR_INIT;

	CHECK(dksign_hdr_feed(&h, "A: 1\n\nB: 2\n", 12) == 1);
	CHECK(dksign_hdr_feed(&h, "C: 3\n", 5) == 1);
	CHECK(dksign_hdr_eof(&h) == 1);
	CHECK(h.used == 6 && h.nfields == 1);
	dksign_hdr_free(&h);
}

int
main(void)
{
	RUN(test_domain_canonical);
	RUN(test_domain_refuses_paths_and_literals);
	RUN(test_domain_lengths);
	RUN(test_selector);
	RUN(test_hdr_fields_and_continuations);
	RUN(test_hdr_ends);
	RUN(test_hdr_nul_is_not_signed);
	RUN(test_hdr_limits);
	RUN(test_hdr_done_stays_done);
	return CHECK_DONE();
}
