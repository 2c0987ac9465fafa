/*
 * procgroups.c: proc_drop_groups (proc.h), alone in its file because
 * initgroups reads the group database through glibc's NSS: a program
 * that links it cannot be linked statically (conf-static), and the
 * programs that never call it must not drag it in with the rest of
 * proc.c.
 */
#include <sys/types.h>
#include <errno.h>
#include <grp.h>
#include <unistd.h>

#include "proc.h"

int
proc_drop_groups(uid_t uid, gid_t gid, const char *user)
{
	if (getuid() == uid && geteuid() == uid && uid != 0)
		return 0;
	if (initgroups(user, gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1)
		return -1;
	if (uid != 0 && setuid(0) != -1)
		return errno = EPERM, -1;
	return 0;
}
