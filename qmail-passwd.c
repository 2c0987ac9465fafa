/*
 * qmail-passwd user, qmail-passwd -d user: set (from a line on fd 0; asked
 * twice without echo when fd 0 is a terminal) or delete the SMTP AUTH
 * password of user in users/smtppasswd under the qmail home, the file
 * qmail-checkpw reads (man/qmail-passwd.8).  The password is hashed with
 * yescrypt and a fresh random salt.  The file is replaced whole: written
 * to users/smtppasswd.tmp, fsynced, renamed over the old one, under a
 * lock (users/smtppasswd.lock) so two runs do not lose each other's line.
 * Run as root it gives the file to the user qmail-smtpd runs as (qmaild),
 * mode 0600.  One of the programs outside the libc-only core: links
 * libcrypt (libxcrypt).
 * Exit: 0 done; 100 usage, a bad user name or password, no such user;
 * 111 a system error (nothing changed).
 */
#include <sys/stat.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>		/* rename(2) only */
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/limit.h"
#include "lib/str.h"

const char prog[] = "qmail-passwd";

#define PASSWD_FILE	"users/smtppasswd"
#define PASSWD_TMP	"users/smtppasswd.tmp"
#define PASSWD_LOCK	"users/smtppasswd.lock"
#define USER_MAX	200	/* qmail-smtpd's AUTH_USER */
#define PASS_MAX	300	/* qmail-smtpd's AUTH_PASS */

static struct crypt_data cd;

static void
usage(void)
{
	die_perm("usage: qmail-passwd user | qmail-passwd -d user");
}

static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

/* what qmail-smtpd passes on: printable, no space, and no ':' for us */
static void
check_user(const char *u)
{
	size_t i, n = str_len(u);

	if (n == 0 || n > USER_MAX || u[0] == '#' || u[0] == '-')
		die_perm("bad user name: ", u);
	for (i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 32 || (unsigned char)u[i] == 127 ||
		    u[i] == ':')
			die_perm("bad user name: ", u);
}

/* one line from fd 0 into p (at most PASS_MAX bytes); returns its length */
static size_t
readpass(char *p, const char *prompt)
{
	size_t n = 0;
	ssize_t r;
	char c;

	if (prompt && io_writeall(2, prompt, str_len(prompt)) == -1)
		die_temp_sys("unable to write the prompt");
	for (;;) {
		r = read(0, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die_temp_sys("unable to read the password");
		if (r == 0 || c == '\n')
			break;
		if (n == PASS_MAX) {
			wipe(p, n);
			die_perm("password longer than 300 bytes");
		}
		p[n++] = c;
	}
	if (n && p[n - 1] == '\r')
		--n;
	if (prompt)
		io_writeall(2, "\n", 1);
	return n;
}

/* the password, asked twice without echo on a terminal */
static size_t
getpass2(char *p)
{
	char again[PASS_MAX];
	struct termios t, t0;
	size_t n, m;
	int tty = isatty(0);

	if (!tty)
		return readpass(p, NULL);
	if (tcgetattr(0, &t0) == -1)
		die_temp_sys("unable to read the terminal settings");
	t = t0;
	t.c_lflag &= ~(tcflag_t)ECHO;
	if (tcsetattr(0, TCSAFLUSH, &t) == -1)
		die_temp_sys("unable to turn off echo");
	n = readpass(p, "New password: ");
	m = readpass(again, "Again: ");
	tcsetattr(0, TCSAFLUSH, &t0);
	if (n != m || memcmp(p, again, n) != 0) {
		wipe(p, n);
		wipe(again, m);
		die_perm("the passwords differ; nothing changed");
	}
	wipe(again, m);
	return n;
}

/* user:yescrypt-hash into line */
static void
hashline(struct sa *line, const char *user)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], pass[PASS_MAX + 1];
	const char *h;
	size_t n;

	n = getpass2(pass);
	if (n == 0)
		die_perm("empty password; nothing changed");
	if (byte_chr(pass, n, '\0') < n)
		die_perm("NUL in the password; nothing changed");
	pass[n] = '\0';
	/* NULL random bytes: libxcrypt takes them from the kernel */
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, (int)sizeof setting) == NULL)
		die_temp_sys("unable to make a yescrypt salt");
	h = crypt_rn(pass, setting, &cd, (int)sizeof cd);
	wipe(pass, sizeof pass);
	if (h == NULL || *h == '*')
		die_temp_sys("unable to hash the password");
	if (sa_copys(line, user) == -1 || sa_catc(line, ':') == -1 ||
	    sa_cats(line, h) == -1 || sa_catc(line, '\n') == -1)
		die_nomem();
	wipe(&cd, sizeof cd);
}

int
main(int argc, char **argv)
{
	struct sa old = SA_INIT, new = SA_INIT, line = SA_INIT;
	const char *user;
	size_t i, e, ul;
	int del = 0, found = 0, fd, lock;

	if (argc == 3 && str_equal(argv[1], "-d"))
		del = 1, user = argv[2];
	else if (argc == 2)
		user = argv[1];
	else
		usage();
	check_user(user);
	ul = str_len(user);
	if (!del)
		hashline(&line, user);
	umask(077);
	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	if ((lock = open(PASSWD_LOCK, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == -1 ||
	    lock_ex(lock) == -1)
		die_temp_sys("unable to lock ", PASSWD_LOCK);
	if (io_readfile(&old, PASSWD_FILE, LIMIT_CONTROL) == -1)
		die_temp_sys("unable to read ", PASSWD_FILE);
	/* every line as it was, but user's: replaced where it stood, or dropped */
	for (i = 0; i < old.len; i = e) {
		e = i + byte_chr(old.s + i, old.len - i, '\n');
		if (e < old.len)
			++e;
		if (e - i > ul && old.s[i + ul] == ':' &&
		    memcmp(old.s + i, user, ul) == 0) {
			if (!found && !del && sa_cat(&new, &line) == -1)
				die_nomem();
			found = 1;
			continue;
		}
		if (sa_catb(&new, old.s + i, e - i) == -1 ||
		    (old.s[e - 1] != '\n' && sa_catc(&new, '\n') == -1))
			die_nomem();
	}
	if (del && !found)
		die_perm("no such user: ", user);
	if (!found && sa_cat(&new, &line) == -1)
		die_nomem();
	unlink(PASSWD_TMP);
	if ((fd = open(PASSWD_TMP, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1)
		die_temp_sys("unable to create ", PASSWD_TMP);
	/* qmail-checkpw runs as qmaild: the only reader besides root */
	if (geteuid() == 0 && fchown(fd, uid_daemon, gid_qmail) == -1)
		die_temp_sys("unable to chown ", PASSWD_TMP);
	/* fsync before rename: never a renamed file without its lines */
	if (fchmod(fd, 0600) == -1 || io_writeall(fd, new.s, new.len) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1) {
		unlink(PASSWD_TMP);
		die_temp_sys("unable to write ", PASSWD_TMP);
	}
	if (rename(PASSWD_TMP, PASSWD_FILE) == -1) {
		unlink(PASSWD_TMP);
		die_temp_sys("unable to rename ", PASSWD_TMP, " to ", PASSWD_FILE);
	}
	/* and the directory, so the rename itself survives a crash */
	if ((fd = open("users", O_RDONLY | O_CLOEXEC)) == -1 || fsync(fd) == -1)
		die_temp_sys("unable to fsync users/");
	close(fd);
	close(lock);
	return 0;
}
