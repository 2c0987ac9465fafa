/*
 * proc.c: processes, signals, privilege, environment (proc.h).
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "proc.h"

int
proc_drop(uid_t uid, gid_t gid)
{
	if (getuid() == uid && geteuid() == uid && getgid() == gid &&
	    getegid() == gid && uid != 0)
		return 0;	/* already there: single-user installations */
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 || setuid(uid) == -1)
		return -1;
	if (uid != 0 && setuid(0) != -1)
		return errno = EPERM, -1;	/* root must be gone for good */
	return 0;
}

pid_t
proc_wait(pid_t pid, int *status)
{
	pid_t r;

	while ((r = waitpid(pid, status, 0)) == -1 && errno == EINTR)
		;
	return r;
}

pid_t
proc_wait_nohang(int *status)
{
	pid_t r;

	while ((r = waitpid(-1, status, WNOHANG)) == -1 && errno == EINTR)
		;
	return r;
}

int
proc_crashed(int status)
{
	return !WIFEXITED(status);
}

int
proc_exitcode(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void
sig_catch(int sig, void (*f)(int))
{
	struct sigaction sa;

	sa.sa_handler = f;
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

void
sig_ignore(int sig)
{
	sig_catch(sig, SIG_IGN);
}

void
sig_default(int sig)
{
	sig_catch(sig, SIG_DFL);
}

static void
mask(int how, int sig)
{
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, sig);
	sigprocmask(how, &ss, NULL);
}

void
sig_block(int sig)
{
	mask(SIG_BLOCK, sig);
}

void
sig_unblock(int sig)
{
	mask(SIG_UNBLOCK, sig);
}

void
sig_block_all(void)
{
	sigset_t ss;

	sigfillset(&ss);
	sigprocmask(SIG_BLOCK, &ss, NULL);
}

void
sig_unblock_all(void)
{
	sigset_t ss;

	sigemptyset(&ss);
	sigprocmask(SIG_SETMASK, &ss, NULL);
}

static int selfpipe[2] = { -1, -1 };

int
sig_selfpipe(void)
{
	if (selfpipe[0] != -1)
		return selfpipe[0];
	if (pipe(selfpipe) == -1)
		return -1;
	fcntl(selfpipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(selfpipe[1], F_SETFD, FD_CLOEXEC);
	fcntl(selfpipe[0], F_SETFL, fcntl(selfpipe[0], F_GETFL) | O_NONBLOCK);
	fcntl(selfpipe[1], F_SETFL, fcntl(selfpipe[1], F_GETFL) | O_NONBLOCK);
	return selfpipe[0];
}

void
sig_selfpipe_poke(int sig)
{
	int e = errno;
	char c = (char)sig;

	(void)sig;
	if (selfpipe[1] != -1)
		(void)!write(selfpipe[1], &c, 1);	/* full pipe: a wakeup is pending anyway */
	errno = e;
}

void
sig_selfpipe_drain(void)
{
	char junk[64];

	if (selfpipe[0] == -1)
		return;
	while (read(selfpipe[0], junk, sizeof junk) > 0)
		;
}

const char *
env_get(const char *name)
{
	return getenv(name);
}

int
env_put(const char *name, const char *value)
{
	return setenv(name, value, 1);
}

int
env_unset(const char *name)
{
	return unsetenv(name);
}
