/*
 * date.h: dates in RFC 5322 form, as qmail writes them (UTC, "-0000").
 */
#ifndef DATE_H
#define DATE_H

#include <time.h>

#define DATE_FMT	64
size_t	 date_fmt822(char *, time_t);	/* "21 Nov 2026 16:27:39 -0000"; returns length, no NUL */
size_t	 date_fmt822w(char *, time_t);	/* same with weekday: "Sat, 21 Nov 2026 ..." */
void	 date_utc(struct tm *, time_t);	/* gmtime_r without touching the time zone files */

#endif
