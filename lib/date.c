/*
 * date.c: RFC 5322 dates (date.h).  UTC with the "-0000" zone: the time is
 * right and no local offset is claimed (RFC 5322 section 3.3).
 */
#include <string.h>
#include <time.h>

#include "date.h"
#include "str.h"

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
static const char days[] = "SunMonTueWedThuFriSat";

static size_t
fmt(char *s, time_t t, int weekday)
{
	struct tm tm;
	size_t n = 0;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm), tm.tm_mday = 1, tm.tm_year = 70;
	if (weekday) {
		memcpy(s, days + 3 * (tm.tm_wday % 7), 3);
		s[3] = ',', s[4] = ' ';
		n = 5;
	}
	n += fmt_ulong(s + n, (unsigned long)tm.tm_mday);
	s[n++] = ' ';
	memcpy(s + n, months + 3 * (tm.tm_mon % 12), 3);
	n += 3;
	s[n++] = ' ';
	n += fmt_ulong(s + n, (unsigned long)tm.tm_year + 1900);
	s[n++] = ' ';
	n += fmt_ulong0(s + n, (unsigned long)tm.tm_hour, 2);
	s[n++] = ':';
	n += fmt_ulong0(s + n, (unsigned long)tm.tm_min, 2);
	s[n++] = ':';
	n += fmt_ulong0(s + n, (unsigned long)tm.tm_sec, 2);
	memcpy(s + n, " -0000", 6);
	return n + 6;
}

size_t
date_fmt822(char *s, time_t t)
{
	return fmt(s, t, 0);
}

size_t
date_fmt822w(char *s, time_t t)
{
	return fmt(s, t, 1);
}
