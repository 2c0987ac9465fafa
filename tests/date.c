/* unit tests for lib/date.h */
#include <string.h>
#include <time.h>

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

static void
test_date_utc_matches_gmtime(void)
{
	struct tm a, b;
	long long t;
	int bad = 0;

	/* every 7 hours and 13 s from 1901 to 2200, and around leap days */
	for (t = -2147483647LL; t < 7258118400LL && bad < 3; t += 25213) {
		date_utc(&a, (time_t)t);
		if (gmtime_r(&(time_t){ (time_t)t }, &b) == NULL)
			continue;
		if (a.tm_year != b.tm_year || a.tm_mon != b.tm_mon ||
		    a.tm_mday != b.tm_mday || a.tm_hour != b.tm_hour ||
		    a.tm_min != b.tm_min || a.tm_sec != b.tm_sec ||
		    a.tm_wday != b.tm_wday || a.tm_yday != b.tm_yday)
			bad++;
	}
	CHECK(bad == 0);
	date_utc(&a, 951782400);	/* 29 Feb 2000 00:00:00 */
	CHECK(a.tm_year == 100 && a.tm_mon == 1 && a.tm_mday == 29 &&
	    a.tm_yday == 59 && a.tm_wday == 2);
	date_utc(&a, -1);		/* 31 Dec 1969 23:59:59 */
	CHECK(a.tm_year == 69 && a.tm_mon == 11 && a.tm_mday == 31 &&
	    a.tm_hour == 23 && a.tm_sec == 59 && a.tm_wday == 3);
}

int
main(void)
{
	RUN(test_date_fmt822);
	RUN(test_date_utc_matches_gmtime);
	return CHECK_DONE();
}
