/* unit tests for lib/envelope.h: hostile envelopes, whole and streamed */
#include <string.h>

#include "check.h"
#include "../lib/die.h"
#include "../lib/envelope.h"
#include "../lib/limit.h"

/* Feed s in chunks of step; the code, with *used the total consumed. */
static int
feed(const char *s, size_t n, size_t step, struct sa *e, size_t *used)
{
	struct env_in st = ENV_IN_INIT;
	size_t pos = 0, k, u;
	int r = 0;

	e->len = 0;
	while (pos < n) {
		k = n - pos < step ? n - pos : step;
		r = env_in_feed(&st, e, s + pos, k, &u);
		pos += u;
		if (r)
			break;
	}
	*used = pos;
	return r;
}

#define FEED(str, step) feed(str, sizeof str - 1, step, &e, &used)

static void
test_env_in_accepts_and_copies(void)
{
	struct sa e = SA_INIT;
	size_t used, step;

	for (step = 1; step < 6; step++) {
		CHECK(FEED("Fa@b\0Tc@d\0Te\0\0junk", step) == ENV_IN_DONE);
		CHECK(used == 13 && e.len == 13 &&
		    memcmp(e.s, "Fa@b\0Tc@d\0Te\0", 13) == 0);
		CHECK(FEED("F\0\0", step) == ENV_IN_DONE && used == 2);
		CHECK(FEED("Fa\0Tb", step) == 0 && used == 5);	/* wants more */
	}
	sa_free(&e);
}

static void
test_env_in_rejects_hostile(void)
{
	struct sa e = SA_INIT, big = SA_INIT;
	size_t used, i;

	CHECK(FEED("\0", 1) == QQ_ENVELOPE && used == 0);
	CHECK(FEED("Ta\0\0", 1) == QQ_ENVELOPE);
	CHECK(FEED("Fa\0Fb\0\0", 2) == QQ_ENVELOPE && used == 3);
	CHECK(FEED("Fa\0T\0X\0\0", 3) == QQ_ENVELOPE && used == 5);
	sa_catc(&big, 'F');
	for (i = 0; i < LIMIT_ADDR; i++)
		sa_catc(&big, 'x');
	sa_catb(&big, "\0\0", 2);
	CHECK(feed(big.s, big.len, 7, &e, &used) == ENV_IN_DONE);
	big.len -= 2;
	sa_catb(&big, "y\0\0", 3);	/* one byte over */
	CHECK(feed(big.s, big.len, 7, &e, &used) == QQ_ADDR_TOO_LONG);
	CHECK(feed(big.s, big.len, big.len, &e, &used) == QQ_ADDR_TOO_LONG);
	sa_free(&e), sa_free(&big);
}

static void
test_env_next_walks_records(void)
{
	const char f[] = "u12\0\0Fs\0Tr\0x";
	const char *v;
	size_t pos = 0, vl;
	int t;

	CHECK(env_next(f, sizeof f - 1, &pos, &t, &v, &vl) == 1);
	CHECK(t == 'u' && vl == 2 && memcmp(v, "12", 2) == 0 && pos == 4);
	CHECK(env_next(f, sizeof f - 1, &pos, &t, &v, &vl) == 1);
	CHECK(t == 0 && vl == 0 && pos == 5);
	CHECK(env_next(f, sizeof f - 1, &pos, &t, &v, &vl) == 1 && t == 'F');
	CHECK(env_next(f, sizeof f - 1, &pos, &t, &v, &vl) == 1 && t == 'T');
	CHECK(env_next(f, sizeof f - 1, &pos, &t, &v, &vl) == -1 && pos == 11);
	pos = 0;
	CHECK(env_next("", 0, &pos, &t, &v, &vl) == 0);
	CHECK(env_next("\xff\0", 2, &pos, &t, &v, &vl) == 1 && t == 0xff);
	CHECK(env_next("\xff\0", 2, &pos, &t, &v, &vl) == 0);
}

int
main(void)
{
	RUN(test_env_in_accepts_and_copies);
	RUN(test_env_in_rejects_hostile);
	RUN(test_env_next_walks_records);
	return CHECK_DONE();
}
