/*
 * run.h: run a program the way .qmail helpers do (bouncesaying,
 * condredirect, except, preline): search PATH, wait, read its exit code.
 *
 * A child that cannot exec its program prints "prog: warning: unable to run
 * NAME: reason" on fd 2 and exits 111 when the reason may go away by itself
 * (out of memory, too many processes or files, busy text file, I/O error),
 * 100 otherwise (missing, not executable): qmail 1.03's rule, under which a
 * program that does not exist counts as "exited nonzero".
 */
#ifndef RUN_H
#define RUN_H

#include <sys/types.h>

enum { RUN_CRASHED = -1, RUN_NOFORK = -2 };

/* start argv[0] with argv; infd >= 0 becomes the child's fd 0 (and is
 * not closed in the parent).  The pid, or -1 with errno set. */
pid_t	 run_start(char *const *, int);
/* wait for a child started so: its exit code 0-255, RUN_CRASHED if a signal
 * killed it, RUN_NOFORK (errno set) if waiting failed. */
int	 run_wait(pid_t);
/* run_start + run_wait; RUN_NOFORK (errno set) if it could not start */
int	 run_prog(char *const *);
int	 run_exec_temp(int);	/* 1 if exec failing with this errno is temporary */

#endif
