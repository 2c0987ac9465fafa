/* unit tests for lib/str.h */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "../lib/str.h"

static void
test_sa_grows_and_copies(void)
{
	struct sa x = SA_INIT;
	int i;

	for (i = 0; i < 10000; i++)
		CHECK(sa_catb(&x, "ab", 2) == 0);
	CHECK(x.len == 20000);
	CHECK(sa_copys(&x, "hello") == 0 && x.len == 5);
	CHECK(strcmp(sa_str(&x), "hello") == 0 && x.len == 5);
	CHECK(sa_0(&x) == 0 && x.len == 6);
	sa_free(&x);
}

static void
test_sa_readyplus_refuses_wrap(void)
{
	struct sa x = SA_INIT;

	CHECK(sa_catb(&x, "a", 1) == 0);
	CHECK(sa_readyplus(&x, SIZE_MAX) == -1);
	sa_free(&x);
}

static void
test_alloc_array_refuses_overflow(void)
{
	CHECK(alloc_array(SIZE_MAX / 2 + 2, 2) == NULL);
	CHECK(realloc_array(NULL, SIZE_MAX, 16) == NULL);
}

static void
test_fmt_scan_ulong(void)
{
	char buf[FMT_ULONG];
	unsigned long u = 7;

	CHECK(fmt_ulong(buf, 0) == 1 && buf[0] == '0');
	CHECK(fmt_ulong(buf, 1234567) == 7 && memcmp(buf, "1234567", 7) == 0);
	CHECK(fmt_ulong0(buf, 5, 3) == 3 && memcmp(buf, "005", 3) == 0);
	CHECK(fmt_xlong(buf, 255) == 2 && memcmp(buf, "ff", 2) == 0);
	CHECK(scan_ulong("123x", 4, &u) == 3 && u == 123);
	CHECK(scan_ulong("x", 1, &u) == 0);
	CHECK(scan_ulong("", 0, &u) == 0);
	/* overflow is invalid, not wrapped */
	CHECK(scan_ulong("99999999999999999999999999", 26, &u) == 0);
	CHECK(scan_ulong("18446744073709551615", 20, &u) == 20 && u == ~0UL);
	CHECK(scan_ulong("18446744073709551616", 20, &u) == 0);
}

static void
test_bytes_and_case(void)
{
	CHECK(byte_chr("abc", 3, 'c') == 2);
	CHECK(byte_chr("abc", 3, 'z') == 3);
	CHECK(byte_rchr("a@b@c", 5, '@') == 3);
	CHECK(byte_rchr("abc", 3, '@') == 3);
	CHECK(case_equalb("HeLLo", 5, "hello"));
	CHECK(!case_equalb("hellp", 5, "hello"));
	CHECK(case_equals("ABC", "abc") && !case_equals("ABC", "abcd"));
	CHECK(case_startb("MAIL FROM:<>", 12, "mail from:"));
	CHECK(!case_startb("MAIL", 4, "mail from:"));
}

int
main(void)
{
	RUN(test_sa_grows_and_copies);
	RUN(test_sa_readyplus_refuses_wrap);
	RUN(test_alloc_array_refuses_overflow);
	RUN(test_fmt_scan_ulong);
	RUN(test_bytes_and_case);
	return CHECK_DONE();
}
