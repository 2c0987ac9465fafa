/* unit tests for lib/addr.h */
#include <string.h>

#include "check.h"
#include "../lib/addr.h"
#include "../lib/limit.h"

static int
parses(const char *in, const char *want)
{
	struct sa a = SA_INIT;
	size_t n = addr_parse_path(&a, in, strlen(in));
	int r = n > 0 && a.len == strlen(want) &&
	    (a.len == 0 || memcmp(a.s, want, a.len) == 0);

	sa_free(&a);
	return r;
}

static int
rejects(const char *in, size_t len)
{
	struct sa a = SA_INIT;
	size_t n = addr_parse_path(&a, in, len);

	sa_free(&a);
	return n == 0;
}
#define REJECTS(s) rejects((s), sizeof(s) - 1)

static void
test_path_plain_forms(void)
{
	CHECK(parses("<user@example.org>", "user@example.org"));
	CHECK(parses(" <user@example.org>", "user@example.org"));
	CHECK(parses("user@example.org", "user@example.org"));
	CHECK(parses("<>", ""));
	CHECK(parses("<postmaster>", "postmaster"));
}

static void
test_path_consumed_stops_at_params(void)
{
	struct sa a = SA_INIT;
	const char *s = "<a@b> SIZE=100";

	CHECK(addr_parse_path(&a, s, strlen(s)) == 5);
	CHECK(addr_parse_path(&a, "a@b SIZE=1", 10) == 3);
	sa_free(&a);
}

static void
test_path_source_route_dropped(void)
{
	CHECK(parses("<@relay.example,@r2.example:user@example.org>",
	    "user@example.org"));
	CHECK(REJECTS("<@relay.example>"));
	CHECK(REJECTS("<@relay.example:>"));
}

static void
test_path_quoting_undone(void)
{
	CHECK(parses("<\"john smith\"@example.org>", "john smith@example.org"));
	CHECK(parses("<\"a\\\"b\"@x>", "a\"b@x"));
	CHECK(parses("<a\\@b@x>", "a@b@x"));
}

static void
test_path_rejects_unbalanced_bracket(void)
{
	CHECK(REJECTS("<user@example.org"));
	CHECK(REJECTS("<<user@example.org>>"));
	CHECK(REJECTS("<\"user@example.org>"));
	CHECK(REJECTS("<a b@c>"));
	CHECK(REJECTS(""));
	CHECK(REJECTS("   "));
	CHECK(REJECTS("<a\\"));
}

static void
test_path_rejects_nul_cr_lf(void)
{
	CHECK(REJECTS("<a\0b@c>"));
	CHECK(REJECTS("<a\rb@c>"));
	CHECK(REJECTS("<a\nb@c>"));
	CHECK(REJECTS("<\"a\nb\"@c>"));
}

static void
test_path_rejects_too_long(void)
{
	char big[LIMIT_ADDR + 10];

	memset(big, 'a', sizeof big);
	big[0] = '<', big[sizeof big - 1] = '>';
	CHECK(rejects(big, sizeof big));
	big[LIMIT_ADDR + 1] = '>';	/* exactly LIMIT_ADDR bytes inside */
	CHECK(!rejects(big, LIMIT_ADDR + 2));
}

static void
test_quote(void)
{
	struct sa a = SA_INIT;

	CHECK(addr_quote(&a, "user@x", 6) == 0 && a.len == 6);
	a.len = 0;
	CHECK(addr_quote(&a, "john smith@x", 12) == 0);
	CHECK(a.len == 14 && memcmp(a.s, "\"john smith\"@x", 14) == 0);
	a.len = 0;
	CHECK(addr_quote(&a, "a..b@x", 6) == 0 && a.s[0] == '"');
	a.len = 0;
	CHECK(addr_quote(&a, "a\"b@x", 5) == 0);
	CHECK(a.len == 8 && memcmp(a.s, "\"a\\\"b\"@x", 8) == 0);
	a.len = 0;
	CHECK(addr_quote(&a, "", 0) == 0 && a.len == 0);
	sa_free(&a);
}

int
main(void)
{
	RUN(test_path_plain_forms);
	RUN(test_path_consumed_stops_at_params);
	RUN(test_path_source_route_dropped);
	RUN(test_path_quoting_undone);
	RUN(test_path_rejects_unbalanced_bracket);
	RUN(test_path_rejects_nul_cr_lf);
	RUN(test_path_rejects_too_long);
	RUN(test_quote);
	return CHECK_DONE();
}
