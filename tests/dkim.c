/* unit tests for lib/dkim.h */
#include <string.h>

#include "check.h"
#include "../lib/dkim.h"

/* dkim_domain on a copy of in: the canonical form, or NULL if refused */
static int
dom(const char *in, const char *want)
{
	char b[600];
	size_t n = strlen(in), r;

	memcpy(b, in, n);
	r = dkim_domain(b, n);
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
	CHECK(dom("1.2.3.4", "1.2.3.4"));	/* digits are LDH; no key dir for it */
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
	CHECK(dkim_domain(b, 253) == 253);
	b[253] = 'a', b[254] = '\0';
	CHECK(dkim_domain(b, 254) == 0);	/* over 253 */
	b[253] = '.';
	CHECK(dkim_domain(b, 254) == 253);	/* the final dot does not count */
}

static void
test_selector(void)
{
	CHECK(dkim_selector("s202612", 7));
	CHECK(dkim_selector("default", 7));
	CHECK(dkim_selector("a.b", 3));
	CHECK(!dkim_selector("", 0));
	CHECK(!dkim_selector("../x", 4));
	CHECK(!dkim_selector("a/b", 3));
	CHECK(!dkim_selector(".a", 2));
	CHECK(!dkim_selector("a.", 2));
	CHECK(!dkim_selector("a b", 3));
	CHECK(!dkim_selector("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64));
}

int
main(void)
{
	RUN(test_domain_canonical);
	RUN(test_domain_refuses_paths_and_literals);
	RUN(test_domain_lengths);
	RUN(test_selector);
	return CHECK_DONE();
}
