/*
 * preline: feed the message on fd 0 to a command through a pipe, with the
 * UUCP From_ line ($UFLINE), the Return-Path line ($RPLINE) and the
 * Delivered-To line ($DTLINE) that qmail-local sets put on top, for mail
 * programs (procmail, mbox writers) that do not read the qmail-command
 * environment.  `preline [-dfr] command [arg...]`: -d, -f, -r leave out
 * the Delivered-To, From_, Return-Path line; -D, -F, -R put it back.
 * Runs as whoever calls it (the user, under qmail-local).
 * Exit: the command's exit code; 111 the command crashed or could not be
 * fed the whole message (pipe or read error); 100 usage or a needed
 * variable not set; the command not found: 100 (111 if the reason is
 * temporary) (man/preline.1).
 */
#include <sys/types.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "lib/die.h"
#include "lib/io.h"
#include "lib/proc.h"
#include "lib/run.h"

const char prog[] = "preline";

static NORETURN void
usage(void)
{
	say_parts(2, 0, DIE_LIST(prog, ": usage: ",
	    "preline [ -dfr ] cmd [ arg ... ]"));
	_exit(EXIT_PERM);
}

static const char *
need(const char *name)
{
	const char *v;

	if ((v = env_get(name)) == NULL)
		die_perm(name, " not set");
	return v;
}

/*
 * The command stopped reading.  If it failed, its own exit code says how
 * (a missing command gives 100 whatever the size of the message); if it
 * claims success without having seen the whole message, nobody can tell
 * what it delivered: temporary failure, as in qmail.
 */
static void
copyfail(pid_t pid)
{
	int e = errno, code;

	if (e == EPIPE && (code = run_wait(pid)) > 0)
		_exit(code);
	errno = e;
	die_temp_sys("unable to copy input");
}

int
main(int argc, char **argv)
{
	int uf = 1, rp = 1, dt = 1;
	int pi[2], i = 1, code;
	const char *p, *ufline = "", *rpline = "", *dtline = "";
	char outspace[BUF_SIZE], b[BUF_SIZE];
	struct buf out;
	ssize_t r;
	pid_t pid;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (argv[i][1] == '-' && argv[i][2] == '\0') {
			i++;
			break;
		}
		for (p = argv[i] + 1; *p; p++)
			switch (*p) {
			case 'd': dt = 0; break;
			case 'f': uf = 0; break;
			case 'r': rp = 0; break;
			case 'D': dt = 1; break;
			case 'F': uf = 1; break;
			case 'R': rp = 1; break;
			default: usage();
			}
	}
	if (i >= argc)
		usage();
	if (uf)
		ufline = need("UFLINE");
	if (rp)
		rpline = need("RPLINE");
	if (dt)
		dtline = need("DTLINE");

	sig_ignore(SIGPIPE);	/* a command that quits early: EPIPE, 111 */
	if (pipe(pi) == -1)
		die_temp_sys("unable to create pipe");
	if (fd_cloexec(pi[1]) == -1)
		die_temp_sys("unable to set up pipe");
	if ((pid = run_start(argv + i, pi[0])) == -1)
		die_temp_sys("unable to fork");
	close(pi[0]);
	buf_init(&out, pi[1], outspace, sizeof outspace);
	if (buf_puts(&out, ufline) == -1 || buf_puts(&out, rpline) == -1 ||
	    buf_puts(&out, dtline) == -1)
		copyfail(pid);
	for (;;) {
		if ((r = io_read(0, b, sizeof b, 0, 0)) == -1)
			die_temp_sys("unable to read input");
		if (r == 0)
			break;
		if (buf_put(&out, b, (size_t)r) == -1)
			copyfail(pid);
	}
	if (buf_flush(&out) == -1)
		copyfail(pid);
	close(pi[1]);
	switch (code = run_wait(pid)) {
	case RUN_CRASHED:
		die_temp("child crashed");
	case RUN_NOFORK:
		die_temp_sys("wait failed");
	default:
		return code;
	}
}
