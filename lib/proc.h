/*
 * proc.h: processes, signals, privilege, environment.
 *
 * Functions returning int give 0 on success, -1 with errno set.
 */
#ifndef PROC_H
#define PROC_H

#include <sys/types.h>

int	 proc_drop(uid_t, gid_t);	/* setgroups, setgid, setuid, and check */
int	 proc_drop_groups(uid_t, gid_t, const char *);	/* same with initgroups(user) */
pid_t	 proc_wait(pid_t, int *);	/* waitpid retrying EINTR */
pid_t	 proc_wait_nohang(int *);	/* any child; 0 if none has exited */
int	 proc_exitcode(int);		/* exit status, or -1 if it crashed */
int	 proc_crashed(int);

/* signals: handlers only set flags or write to the self-pipe */
void	 sig_catch(int, void (*)(int));
void	 sig_ignore(int);
void	 sig_default(int);
void	 sig_block(int);
void	 sig_unblock(int);
void	 sig_block_all(void);
void	 sig_unblock_all(void);
int	 sig_selfpipe(void);		/* read end; handlers use sig_selfpipe_poke */
void	 sig_selfpipe_poke(int);	/* a handler: writes one byte */
void	 sig_selfpipe_drain(void);

/* environment */
const char *env_get(const char *);
int	 env_put(const char *, const char *);
int	 env_unset(const char *);

#endif
