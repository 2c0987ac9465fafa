/*
 * qmail-newmrh: compile control/morercpthosts into control/morercpthosts.cdb
 * for qmail-smtpd and qmail-qmtpd.  Each line is one host or ".suffix",
 * stored lower-cased with an empty value; empty lines and '#' lines are
 * skipped.  Writes control/morercpthosts.tmp, fsyncs it and renames it
 * over the cdb, so readers see the old database or the new, never half.
 * Run by the administrator (as root) in the qmail home.
 * Exit: 0 done, 111 on any trouble (the old cdb is left as it was).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>		/* rename(2) only */
#include <stdint.h>
#include <unistd.h>

#include "lib/cdb.h"
#include "lib/conf.h"
#include "lib/control.h"
#include "lib/die.h"
#include "lib/str.h"

const char prog[] = "qmail-newmrh";

#define TMP	"control/morercpthosts.tmp"
#define CDB	"control/morercpthosts.cdb"

int
main(void)
{
	struct cdb_make m;
	struct sa lines = SA_INIT;
	size_t pos, end;
	int fd, r;

	umask(033);
	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	if ((r = ctl_readfile(&lines, "control/morercpthosts")) == -1)
		die_temp_sys("unable to read control/morercpthosts");
	if ((fd = open(TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		die_temp_sys("unable to create " TMP);
	if (cdb_make_start(&m, fd) == -1)
		die_temp_sys("unable to write " TMP);
	/* no file: an empty database, which matches nothing */
	for (pos = 0; r == 1 && pos < lines.len; pos = end + 1) {
		end = pos + byte_chr(lines.s + pos, lines.len - pos, 0);
		case_lowerb(lines.s + pos, end - pos);
		if (cdb_make_add(&m, lines.s + pos, (uint32_t)(end - pos), "", 0) == -1)
			die_temp_sys("unable to write " TMP);
	}
	if (cdb_make_finish(&m) == -1)
		die_temp_sys("unable to write " TMP);
	/* fsync before rename: after a crash the new name holds whole data */
	if (fsync(fd) == -1 || close(fd) == -1)
		die_temp_sys("unable to write " TMP);
	if (rename(TMP, CDB) == -1)
		die_temp_sys("unable to move " TMP " to " CDB);
	return 0;
}
