/*
 * qmail-tcpok: forget every host in queue/lock/tcpto, so that
 * qmail-remote tries them all again at once.  Runs as root or as the
 * owner of the table (qmailr).
 * Exit: 0, or 111 if the table cannot be cleared.
 */
#include <fcntl.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/dns.h"
#include "lib/io.h"

const char prog[] = "qmail-tcpok";

int
main(void)
{
	int fd;

	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	if ((fd = open(TCPTO_FILE, O_WRONLY | O_CLOEXEC)) == -1)
		die_temp_sys("unable to open ", TCPTO_FILE);
	if (lock_ex(fd) == -1)
		die_temp_sys("unable to lock ", TCPTO_FILE);
	/* an empty file is an empty table */
	if (ftruncate(fd, 0) == -1)
		die_temp_sys("unable to clear ", TCPTO_FILE);
	close(fd);
	return 0;
}
