/*
 * qmail-tcpto: print the table of hosts that timed out, queue/lock/tcpto,
 * one line per address: "IP timed out N seconds ago; # recent timeouts: K".
 * Reads only; runs as anyone who can read the file.
 * Exit: 0, or 111 if the table cannot be read.
 */
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/dns.h"
#include "lib/io.h"

const char prog[] = "qmail-tcpto";

int
main(void)
{
	char b[TCPTO_SLOTS * TCPTO_REC], ipb[IP_FMT];
	struct tcpto_ent e[TCPTO_SLOTS];
	char space[4096];
	struct buf out = BUF_INIT(1, space);
	unsigned long now = (unsigned long)time(NULL);
	ssize_t r;
	size_t n, i;
	int fd;

	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	if ((fd = open_read(TCPTO_FILE)) == -1)
		die_temp_sys("unable to open ", TCPTO_FILE);
	if (lock_ex(fd) == -1)
		die_temp_sys("unable to lock ", TCPTO_FILE);
	if ((r = pread(fd, b, sizeof b, 0)) == -1)
		die_temp_sys("unable to read ", TCPTO_FILE);
	close(fd);
	n = tcpto_decode(b, (size_t)r, e, TCPTO_SLOTS);
	for (i = 0; i < n; i++) {
		if (e[i].count == 0)
			continue;
		if (buf_put(&out, ipb, ip_fmt(ipb, &e[i].ip)) == -1 ||
		    buf_puts(&out, " timed out ") == -1 ||
		    buf_putulong(&out, now > e[i].when ? now - e[i].when : 0) == -1 ||
		    buf_puts(&out, " seconds ago; # recent timeouts: ") == -1 ||
		    buf_putulong(&out, e[i].count) == -1 ||
		    buf_puts(&out, "\n") == -1)
			die_temp_sys("unable to write output");
	}
	if (buf_flush(&out) == -1)
		die_temp_sys("unable to write output");
	return 0;
}
