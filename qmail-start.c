/*
 * qmail-start [defaultdelivery [logger arg ...]]: start the delivery
 * daemons.  Run as root (any user in a single-user build).  Creates the
 * pipes between qmail-send and qmail-lspawn (root), qmail-rspawn (qmailr)
 * and qmail-clean (qmailq), starts the logger as qmaill if one is given,
 * and then becomes qmail-send (qmails), so that a supervisor's signals
 * reach qmail-send.  qmail-lspawn gets defaultdelivery, "./Mailbox" if
 * none is given.  Without a logger qmail-send's log goes to qmail-start's
 * standard output.  Every daemon starts in the qmail home with fd 2 =
 * qmail-start's fd 2.  fd wiring: man/qmail-start.8.
 * Exit: 111 if something cannot be set up; otherwise it does not return.
 */
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/proc.h"

const char prog[] = "qmail-start";

#define HIGH	10	/* pipes live here, clear of 0..6, while we wire */

enum { LOG, TOL, FROML, TOR, FROMR, TOC, FROMC, NPIPES };

static int pi[NPIPES][2];
static int savedout, savederr;

static int
high(int fd)
{
	int h;

	if ((h = fcntl(fd, F_DUPFD, HIGH)) == -1)
		die_temp_sys("unable to duplicate a descriptor");
	close(fd);
	return h;
}

static void
closeall(void)
{
	int i;

	for (i = 0; i < NPIPES; i++)
		close(pi[i][0]), close(pi[i][1]);
	close(savedout), close(savederr);
}

/* fds of a child: 0 and 1 from the pipes, 2 = our stderr; then ids */
static void
child(int in, int out, uid_t uid, gid_t gid, int drop)
{
	if (fd_copy(0, in) == -1 || fd_copy(1, out) == -1 ||
	    fd_copy(2, savederr) == -1)
		die_temp_sys("unable to set up descriptors");
	closeall();
	if (drop && !conf_single && proc_drop(uid, gid) == -1)
		die_temp_sys("unable to switch ids");
}

static void
start(const char *name, char *const *argv, int in, int out, uid_t uid,
    gid_t gid, int drop)
{
	pid_t pid;

	if ((pid = fork()) == -1)
		die_temp_sys("unable to fork for ", name);
	if (pid)
		return;
	child(in, out, uid, gid, drop);
	execv(argv[0], argv);
	die_temp_sys("unable to run ", argv[0]);
}

int
main(int argc, char **argv)
{
	char *lspawn[] = { "bin/qmail-lspawn", "./Mailbox", NULL };
	char *rspawn[] = { "bin/qmail-rspawn", NULL };
	char *clean[] = { "bin/qmail-clean", NULL };
	char *send[] = { "bin/qmail-send", NULL };
	int i, devnull;
	pid_t pid;

	if (argc > 1)
		lspawn[1] = argv[1];
	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to switch to ", conf_qmail);
	/* descriptors 0, 1, 2 closed by whoever started us would be taken
	 * by the pipes below */
	while ((devnull = open("/dev/null", O_RDWR)) != -1 && devnull < 3)
		;
	if (devnull == -1)
		die_temp_sys("unable to open /dev/null");
	close(devnull);
	savedout = high(dup(1));
	savederr = high(dup(2));
	for (i = 0; i < NPIPES; i++) {
		int p[2];

		if (pipe(p) == -1)
			die_temp_sys("unable to create pipes");
		pi[i][0] = high(p[0]);
		pi[i][1] = high(p[1]);
	}
	sig_default(SIGPIPE);
	sig_unblock_all();

	if (argc > 2) {
		if ((pid = fork()) == -1)
			die_temp_sys("unable to fork for the logger");
		if (pid == 0) {
			if (fd_copy(0, pi[LOG][0]) == -1 ||
			    fd_copy(1, savedout) == -1 ||
			    fd_copy(2, savederr) == -1)
				die_temp_sys("unable to set up descriptors");
			closeall();
			if (!conf_single && proc_drop(uid_log, gid_nofiles) == -1)
				die_temp_sys("unable to switch ids");
			execvp(argv[2], argv + 2);
			die_temp_sys("unable to run ", argv[2]);
		}
	} else if (fd_copy(pi[LOG][1], savedout) == -1)
		die_temp_sys("unable to set up descriptors");	/* log = our stdout */

	start("qmail-lspawn", lspawn, pi[TOL][0], pi[FROML][1], 0, 0, 0);
	start("qmail-rspawn", rspawn, pi[TOR][0], pi[FROMR][1], uid_remote,
	    gid_qmail, 1);
	start("qmail-clean", clean, pi[TOC][0], pi[FROMC][1], uid_queue,
	    gid_qmail, 1);

	/* become qmail-send: 0 log, 1/2 lspawn, 3/4 rspawn, 5/6 clean */
	if (!conf_single && proc_drop(uid_send, gid_qmail) == -1)
		die_temp_sys("unable to switch ids");
	if (fd_copy(0, pi[LOG][1]) == -1 || fd_copy(1, pi[TOL][1]) == -1 ||
	    fd_copy(2, pi[FROML][0]) == -1 || fd_copy(3, pi[TOR][1]) == -1 ||
	    fd_copy(4, pi[FROMR][0]) == -1 || fd_copy(5, pi[TOC][1]) == -1 ||
	    fd_copy(6, pi[FROMC][0]) == -1)
		_exit(111);	/* fd 2 may be a pipe already: nowhere to say it */
	for (i = 0; i < NPIPES; i++)
		close(pi[i][0]), close(pi[i][1]);
	close(savedout);
	fd_cloexec(savederr);	/* kept to say why, should exec fail */
	execv(send[0], send);
	fd_copy(2, savederr);
	die_temp_sys("unable to run ", send[0]);
}
