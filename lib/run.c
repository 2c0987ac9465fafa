/*
 * run.c: start and wait for a helper program (run.h).
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "die.h"
#include "proc.h"
#include "run.h"

int
run_exec_temp(int e)
{
	switch (e) {
	case ENOMEM: case EAGAIN: case ETXTBSY: case EIO: case ENFILE:
	case EMFILE: case EINTR: case ETIMEDOUT:
		return 1;
	default:
		return 0;
	}
}

pid_t
run_start(char *const *argv, int infd)
{
	pid_t pid;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (infd >= 0 && infd != 0) {
			if (dup2(infd, 0) == -1)
				_exit(EXIT_TEMP);
			close(infd);
		}
		sig_default(SIGPIPE);	/* the parent may ignore it */
		execvp(argv[0], argv);
		warn_sys("unable to run ", argv[0]);
		_exit(run_exec_temp(errno) ? EXIT_TEMP : EXIT_PERM);
	}
	return pid;
}

int
run_wait(pid_t pid)
{
	int status;

	if (proc_wait(pid, &status) == -1)
		return RUN_NOFORK;
	if (proc_crashed(status))
		return RUN_CRASHED;
	return proc_exitcode(status);
}

int
run_prog(char *const *argv)
{
	pid_t pid;

	if ((pid = run_start(argv, -1)) == -1)
		return RUN_NOFORK;
	return run_wait(pid);
}
