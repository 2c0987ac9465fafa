/* unit tests for lib/date.h */
#include <string.h>

#include "check.h"
#include "../lib/date.h"

static void
test_date_fmt822(void)
{
	char buf[DATE_FMT];
	size_t n;

	n = date_fmt822(buf, 0);
	CHECK(n == 25 && memcmp(buf, "1 Jan 1970 00:00:00 -0000", 25) == 0);
	n = date_fmt822(buf, 1795278459);	/* 21 Nov 2026 16:27:39 UTC */
	CHECK(n == 26 && memcmp(buf, "21 Nov 2026 16:27:39 -0000", 26) == 0);
	n = date_fmt822w(buf, 1795278459);
	CHECK(n == 31 && memcmp(buf, "Sat, 21 Nov 2026 16:27:39 -0000", 31) == 0);
}

int
main(void)
{
	RUN(test_date_fmt822);
	return CHECK_DONE();
}
