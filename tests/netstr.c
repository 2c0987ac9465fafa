/* unit tests for lib/netstr.h */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "../lib/netstr.h"

static int
feed(struct buf *b, char *space, size_t cap, const char *s, size_t n)
{
	int p[2];

	if (pipe(p) == -1)
		return -1;
	if (write(p[1], s, n) != (ssize_t)n)
		return -1;
	close(p[1]);
	buf_init(b, p[0], space, cap);
	return p[0];
}

static void
test_ns_cat_and_parse_roundtrip(void)
{
	struct sa x = SA_INIT;
	const char *d;
	size_t dl;

	CHECK(ns_cat(&x, "hello world!", 12) == 0);
	CHECK(x.len == 16 && memcmp(x.s, "12:hello world!,", 16) == 0);
	CHECK(ns_parse(x.s, x.len, &d, &dl) == 16 && dl == 12);
	CHECK(memcmp(d, "hello world!", 12) == 0);
	CHECK(ns_parse("0:,", 3, &d, &dl) == 3 && dl == 0);
	sa_free(&x);
}

static void
test_ns_parse_rejects_hostile(void)
{
	const char *d;
	size_t dl;

	CHECK(ns_parse("5:abc,", 6, &d, &dl) == 0);	/* incomplete */
	CHECK(ns_parse("3:abc;", 6, &d, &dl) == 0);	/* no comma */
	CHECK(ns_parse("03:abc,", 7, &d, &dl) == 0);	/* leading zero */
	CHECK(ns_parse("-3:abc,", 7, &d, &dl) == 0);	/* negative */
	CHECK(ns_parse(":abc,", 5, &d, &dl) == 0);
	CHECK(ns_parse("99999999999999999999999:x,", 26, &d, &dl) == 0);
	CHECK(ns_parse("18446744073709551615:x,", 23, &d, &dl) == 0);
	CHECK(ns_parse("", 0, &d, &dl) == 0);
}

static void
test_ns_get_stream(void)
{
	char space[16];
	struct buf b;
	struct sa x = SA_INIT;
	int fd;
	const char in[] = "3:abc,0:,20:aaaaaaaaaaaaaaaaaaaa,";

	fd = feed(&b, space, sizeof space, in, sizeof in - 1);
	CHECK(ns_get(&b, &x, 100) == 1 && x.len == 3);
	CHECK(ns_get(&b, &x, 100) == 1 && x.len == 0);
	CHECK(ns_get(&b, &x, 100) == 1 && x.len == 20);
	CHECK(ns_get(&b, &x, 100) == 0);	/* clean EOF */
	close(fd);
	sa_free(&x);
}

static void
test_ns_get_limits_and_errors(void)
{
	char space[16];
	struct buf b;
	struct sa x = SA_INIT;
	int fd;

	fd = feed(&b, space, sizeof space, "1000000:", 8);
	CHECK(ns_get(&b, &x, 1000) == -1 && errno == E2BIG);
	close(fd);
	fd = feed(&b, space, sizeof space, "3:ab", 4);
	CHECK(ns_get(&b, &x, 1000) == -1 && errno == EPROTO);	/* truncated */
	close(fd);
	fd = feed(&b, space, sizeof space, "3:abc", 5);
	CHECK(ns_get(&b, &x, 1000) == -1 && errno == EPROTO);	/* no comma */
	close(fd);
	fd = feed(&b, space, sizeof space, "x:", 2);
	CHECK(ns_get(&b, &x, 1000) == -1 && errno == EPROTO);
	close(fd);
	fd = feed(&b, space, sizeof space, "12", 2);
	CHECK(ns_get(&b, &x, 1000) == -1 && errno == EPROTO);
	close(fd);
	fd = feed(&b, space, sizeof space, "00:", 3);
	CHECK(ns_get(&b, &x, 1000) == -1 && errno == EPROTO);
	close(fd);
	sa_free(&x);
}

int
main(void)
{
	RUN(test_ns_cat_and_parse_roundtrip);
	RUN(test_ns_parse_rejects_hostile);
	RUN(test_ns_get_stream);
	RUN(test_ns_get_limits_and_errors);
	return CHECK_DONE();
}
