/*
 * qmail-newu: compile users/assign into users/cdb for qmail-lspawn
 * (man/qmail-newu.8, man/qmail-users.5).  Reads and writes under the qmail
 * home; run by the administrator (root or the owner of users/).  Writes
 * users/cdb.tmp, fsyncs it and renames it over users/cdb, so qmail-lspawn
 * sees the old or the new table, never half of one.  Exit: 0 done; 111 on
 * any problem (a syntax error names its line), users/cdb left alone.
 *
 * The cdb, as qmail 1.03's (so either program reads the other's file):
 *   "!" local NUL	-> user NUL uid NUL gid NUL homedir NUL dash NUL ext
 *   "!" loc		-> user NUL uid NUL gid NUL homedir NUL dash NUL pre
 *   ""			-> the last characters of all wildcard locs
 * with local and loc in lower case; the first record for a key counts.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>	/* rename */
#include <unistd.h>

#include "lib/cdb.h"
#include "lib/conf.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/str.h"

const char prog[] = "qmail-newu";

#define ASSIGN	"users/assign"
#define TMP	"users/cdb.tmp"
#define CDB	"users/cdb"
#define MAXLINE	(1UL << 16)

static unsigned long lineno;

NORETURN static void
die_format(const char *why)
{
	char num[FMT_ULONG + 1];

	num[fmt_ulong(num, lineno)] = 0;
	die_temp("unable to read " ASSIGN ": format error in line ", num,
	    ": ", why);
}

NORETURN static void
die_write(void)
{
	die_temp_sys("unable to write " TMP);
}

int
main(void)
{
	static char inspace[BUF_SIZE];
	struct buf in;
	struct cdb_make cm;
	struct sa line = SA_INIT, key = SA_INIT, wild = SA_INIT;
	size_t i, n, colons;
	int fd, fdout, r;
	char c;

	umask(033);
	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	if ((fd = open(ASSIGN, O_RDONLY | O_CLOEXEC)) == -1)
		die_temp_sys("unable to read " ASSIGN);
	buf_init(&in, fd, inspace, sizeof inspace);
	if ((fdout = open(TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		die_write();
	if (cdb_make_start(&cm, fdout) == -1)
		die_write();
	for (;;) {
		line.len = 0;
		++lineno;
		r = buf_getline(&in, &line, '\n', MAXLINE);
		if (r == -1)
			die_temp_sys("unable to read " ASSIGN);
		if (r == 2)
			die_format("line too long");
		if (line.len && line.s[0] == '.')
			break;
		if (r == 0)
			die_format(line.len ? "no newline at the end" :
			    "no line with a lone dot at the end");
		--line.len;	/* the newline */
		if (byte_chr(line.s, line.len, 0) < line.len)
			die_format("NUL in line");
		if (line.len == 0 || (line.s[0] != '=' && line.s[0] != '+'))
			die_format("line does not start with = or +");
		i = byte_chr(line.s, line.len, ':');
		if (i == line.len)
			die_format("no colon");
		key.len = 0;
		if (sa_catb(&key, "!", 1) == -1 ||
		    sa_catb(&key, line.s + 1, i - 1) == -1)
			die_nomem();
		if (line.s[0] == '=') {
			if (sa_catb(&key, "", 1) == -1)
				die_nomem();
		} else if (i >= 2) {
			c = line.s[i - 1];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			if (byte_chr(wild.s, wild.len, c) == wild.len &&
			    sa_catc(&wild, c) == -1)
				die_nomem();
		}
		case_lowerb(key.s, key.len);
		/* the six fields after the address, colons made NULs */
		colons = 0;
		for (n = i + 1; n < line.len; n++)
			if (line.s[n] == ':') {
				line.s[n] = 0;
				if (++colons == 6)
					break;
			}
		if (colons < 6)
			die_format("fewer than 7 colons");
		if (cdb_make_add(&cm, key.s, (uint32_t)key.len, line.s + i + 1,
		    (uint32_t)(n - i - 1)) == -1)
			die_write();
	}
	if (cdb_make_add(&cm, "", 0, wild.s ? wild.s : "", (uint32_t)wild.len)
	    == -1)
		die_write();
	if (cdb_make_finish(&cm) == -1)
		die_write();
	/* on disk before the rename: a crash must leave the old cdb or the
	 * whole new one */
	if (fsync(fdout) == -1 || close(fdout) == -1)
		die_write();
	if (rename(TMP, CDB) == -1)
		die_temp_sys("unable to move " TMP " to " CDB);
	return 0;
}
