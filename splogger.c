/*
 * splogger [tag [fac]]: copy lines from fd 0 to syslog(3).  Run by
 * qmail-start as qmaill.  Each line goes out as "tag: TIMESTAMP line"
 * (TIMESTAMP is seconds.microseconds) with priority LOG_ALERT for lines
 * starting "alert:", LOG_WARNING for "warning:", LOG_INFO otherwise, and
 * facility fac (numeric, default 2 = mail).  Unprintable bytes become
 * '?', blank lines are dropped, lines are folded every 800 bytes with a
 * '+' after the timestamp of each continuation.
 * Exit: 0 at the end of input; 111 on a read error.
 */
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include "lib/die.h"
#include "lib/io.h"
#include "lib/str.h"

const char prog[] = "splogger";

#define FOLD	800

static char line[FOLD + 64];

static void
emit(int pri, const char *s, size_t n, int cont)
{
	struct timeval tv;
	size_t len = 0, i;

	gettimeofday(&tv, NULL);
	len += fmt_ulong(line, (unsigned long)tv.tv_sec);
	line[len++] = '.';
	len += fmt_ulong0(line + len, (unsigned long)tv.tv_usec, 6);
	line[len++] = cont ? '+' : ' ';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		line[len++] = c < 32 || c > 126 ? '?' : (char)c;
	}
	line[len] = 0;
	syslog(pri, "%s", line);
}

int
main(int argc, char **argv)
{
	static char inspace[4096];
	struct buf in = BUF_INIT(0, inspace);
	struct sa l = SA_INIT;
	const char *tag = argc > 1 ? argv[1] : "splogger";
	unsigned long fac = 2;
	int r, pri = LOG_INFO, cont = 0;
	size_t n;

	if (argc > 2 && (scan_ulong(argv[2], str_len(argv[2]), &fac) !=
	    str_len(argv[2]) || fac > 23))
		die_perm("facility must be a number from 0 to 23");
	openlog(tag, 0, (int)(fac << 3));
	for (;;) {
		l.len = 0;
		r = buf_getline(&in, &l, '\n', FOLD);
		if (r == -1)
			die_temp_sys("unable to read input");
		if (r == 0 && l.len == 0)
			return 0;
		n = l.len;
		if (r == 1)
			n--;	/* the newline */
		if (n > 0 || cont) {
			if (!cont)
				pri = case_startb(l.s, n, "alert:") ? LOG_ALERT :
				    case_startb(l.s, n, "warning:") ? LOG_WARNING :
				    LOG_INFO;
			if (n > 0)
				emit(pri, l.s, n, cont);
		}
		cont = r == 2;	/* folded: the rest follows */
		if (r == 0)
			return 0;
	}
}
