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

	date_utc(&tm, t);
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

/*
 * gmtime_r by arithmetic: glibc's gmtime_r reads /etc/localtime once per
 * process (it sets up the time zone even for UTC), some 7 system calls
 * in every qmail-smtpd, qmail-queue and qmail-local.  Days to the civil
 * date in the proleptic Gregorian calendar, counted in 400-year eras
 * starting on 1 March so that the leap day ends a year.
 */
void
date_utc(struct tm *tm, time_t t)
{
	long long days = (long long)t / 86400, secs = (long long)t % 86400;
	long long z, era, doe, yoe, doy, mp, y;

	if (secs < 0)
		secs += 86400, days--;
	memset(tm, 0, sizeof *tm);
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = (int)((days % 7 + 11) % 7);	/* 1 Jan 1970: Thursday */
	z = days + 719468;			/* days since 1 March 0000 */
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;			/* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* from 1 March */
	mp = (5 * doy + 2) / 153;		/* March = 0 */
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_mon = (int)(mp < 10 ? mp + 2 : mp - 10);
	y = yoe + era * 400 + (mp >= 10);
	tm->tm_year = (int)(y - 1900);
	tm->tm_yday = (int)(mp >= 10 ? doy - 306 :
	    doy + 59 + ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}
