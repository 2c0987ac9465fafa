/*
 * qmail-getpw: find the user in charge of a local address in the passwd
 * database (man/qmail-getpw.8).  Usage: qmail-getpw local.  Prints user,
 * uid, gid, homedir, dash and ext on fd 1, each followed by a NUL.  Runs as
 * qmailp, started by qmail-lspawn.  Exit: 0 found; 111 temporary trouble
 * (nothing printed); 100 usage.
 */
#include <sys/stat.h>
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/str.h"

const char prog[] = "qmail-getpw";

#define USERLEN	32	/* account names are assumed shorter than this */

/* getpwnam and stat failures that may go away by themselves */
static int
temp_errno(int e)
{
	switch (e) {
	case EIO: case ENOMEM: case EMFILE: case ENFILE: case EINTR:
	case EAGAIN: case ETXTBSY: case ETIMEDOUT: case ESTALE:
		return 1;
	}
	return 0;
}

/*
 * Is name (lower-cased by the caller) a user that may receive mail: nonzero
 * uid (in a single-user installation: the installing user), a home
 * directory that exists and is owned by the account?
 */
static struct passwd *
mailuser(const char *name)
{
	struct passwd *pw;
	struct stat st;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL) {
		if (temp_errno(errno))
			die_temp_sys("unable to read the passwd database");
		return NULL;
	}
	if (pw->pw_uid == 0)
		return NULL;
	if (conf_single && pw->pw_uid != uid_alias)
		return NULL;
	if (stat(pw->pw_dir, &st) == -1) {
		if (temp_errno(errno))
			die_temp_sys("unable to stat ", pw->pw_dir);
		return NULL;
	}
	return st.st_uid == pw->pw_uid ? pw : NULL;
}

static void
put0(struct buf *b, const char *s)
{
	if (buf_puts(b, s) == -1 || buf_put(b, "", 1) == -1)
		die_temp_sys("unable to write output");
}

static void
putnum0(struct buf *b, unsigned long u)
{
	char num[FMT_ULONG + 1];

	num[fmt_ulong(num, u)] = 0;
	put0(b, num);
}

int
main(int argc, char **argv)
{
	static char space[1024];
	struct buf out = BUF_INIT(1, space);
	struct passwd *pw = NULL;
	char name[USERLEN];
	const char *local, *dash = "", *ext = "", *home = NULL;
	struct sa ahome = SA_INIT;
	size_t len, i;

	if (argc < 2)
		die_perm("usage: qmail-getpw local");
	local = argv[1];
	len = str_len(local);
	/* the whole of local, then each part before a '-', longest first */
	for (i = len + 1; i-- > 0;) {
		if (i != len && local[i] != '-')
			continue;
		if (i >= sizeof name)
			continue;
		memcpy(name, local, i);
		name[i] = 0;
		case_lowerb(name, i);	/* so names with capitals never match */
		if ((pw = mailuser(name)) != NULL) {
			if (i < len)
				dash = "-", ext = local + i + 1;
			break;
		}
	}
	if (pw == NULL) {
		errno = 0;
		if ((pw = getpwnam(user_alias)) == NULL) {
			if (errno && temp_errno(errno))
				die_temp_sys("unable to read the passwd database");
			die_temp("unable to find the alias user ", user_alias);
		}
		dash = "-", ext = local;
		/* The alias user's home is always the home's alias/ (where
		 * make setup makes it), whatever the passwd file says: in a
		 * single-user build the alias user is the installer, whose own
		 * home is not the place for other addresses' .qmail files, and
		 * an installation moved with conf-qmail must not keep reading
		 * the old one's. */
		if (sa_cats(&ahome, conf_qmail) == -1 ||
		    sa_cats(&ahome, "/alias") == -1 || sa_str(&ahome) == NULL)
			die_nomem();
		home = ahome.s;
	}
	put0(&out, pw->pw_name);
	putnum0(&out, (unsigned long)pw->pw_uid);
	putnum0(&out, (unsigned long)pw->pw_gid);
	put0(&out, home ? home : pw->pw_dir);
	put0(&out, dash);
	put0(&out, ext);
	if (buf_flush(&out) == -1)
		die_temp_sys("unable to write output");
	return 0;
}
