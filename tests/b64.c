/* unit tests for lib/b64.h */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "../lib/b64.h"

static int
dec(struct sa *x, const char *s)
{
	return b64_decode(x, s, strlen(s));
}

static void
test_decode_rfc4648_vectors(void)
{
	static const char *v[][2] = {
		{ "", "" }, { "Zg==", "f" }, { "Zm8=", "fo" }, { "Zm9v", "foo" },
		{ "Zm9vYg==", "foob" }, { "Zm9vYmE=", "fooba" },
		{ "Zm9vYmFy", "foobar" },
	};
	struct sa x = SA_INIT;
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		CHECK(dec(&x, v[i][0]) == 0);
		CHECK(x.len == strlen(v[i][1]) && memcmp(x.s ? x.s : "", v[i][1], x.len) == 0);
		CHECK(b64_encode(&x, v[i][1], strlen(v[i][1])) == 0);
		CHECK(x.len == strlen(v[i][0]) && memcmp(x.s ? x.s : "", v[i][0], x.len) == 0);
	}
	sa_free(&x);
}

static void
test_decode_keeps_nul_inside(void)
{
	struct sa x = SA_INIT;

	/* AUTH PLAIN "\0user\0pass" */
	CHECK(dec(&x, "AHVzZXIAcGFzcw==") == 0);
	CHECK(x.len == 10 && memcmp(x.s, "\0user\0pass", 10) == 0);
	CHECK(dec(&x, "AAAA") == 0 && x.len == 3 && memcmp(x.s, "\0\0\0", 3) == 0);
	sa_free(&x);
}

static void
test_decode_refuses_bad_characters(void)
{
	static const char *bad[] = {
		"Zm9v YmFy", "Zm9v\nYmFy", "Zm9v\rYmFy", "Zm9-", "Zm9_", "Zm9.",
		"Zm9\x80", "Zm9\xff", "Z\0" "9v",
	};
	struct sa x = SA_INIT;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		CHECK(b64_decode(&x, bad[i], i == 8 ? 4 : strlen(bad[i])) == -1);
		CHECK(errno == EINVAL && x.len == 0);
	}
	sa_free(&x);
}

static void
test_decode_refuses_bad_padding(void)
{
	static const char *bad[] = {
		"=", "==", "===", "====", "Z===", "Zg=", "Zg", "Zm8", "Z",
		"Zg==Zg==", "Zm=v", "=m9v", "Zh==", "Zm9=",
		"Zm9vYmFy====", "Zm9vY", "Zm9vYm",
	};
	struct sa x = SA_INIT;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(dec(&x, bad[i]) == -1);
		CHECK(x.len == 0);
	}
	/* "Zh==" and "Zm9=" carry bits under the padding: not canonical */
	CHECK(dec(&x, "Zg==") == 0 && x.len == 1);
	sa_free(&x);
}

static void
test_decode_lengths(void)
{
	struct sa x = SA_INIT, y = SA_INIT;
	char raw[300];
	size_t n, i;

	for (i = 0; i < sizeof raw; i++)
		raw[i] = (char)(i * 37 + 11);
	for (n = 0; n <= sizeof raw; n++) {
		CHECK(b64_encode(&x, raw, n) == 0);
		CHECK(x.len == (n + 2) / 3 * 4);
		CHECK(b64_decode(&y, x.s ? x.s : "", x.len) == 0);
		CHECK(y.len == n && (n == 0 || memcmp(y.s, raw, n) == 0));
		if (x.len)
			CHECK(b64_decode(&y, x.s, x.len - 1) == -1);
	}
	/* a long line decodes without trouble: the caller bounds it */
	CHECK(sa_copys(&x, "") == 0);
	for (i = 0; i < 25000; i++)
		CHECK(sa_cats(&x, "QUFB") == 0);
	CHECK(b64_decode(&y, x.s, x.len) == 0 && y.len == 75000);
	sa_free(&x);
	sa_free(&y);
}

int
main(void)
{
	RUN(test_decode_rfc4648_vectors);
	RUN(test_decode_keeps_nul_inside);
	RUN(test_decode_refuses_bad_characters);
	RUN(test_decode_refuses_bad_padding);
	RUN(test_decode_lengths);
	return CHECK_DONE();
}
