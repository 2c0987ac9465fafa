/*
 * qmail-checkpw subprogram [args...]: a checkpassword program (the
 * interface of djb's checkpassword, as qmail-smtpd runs it for SMTP AUTH).
 * Reads user\0password\0... (at most 512 bytes) on fd 3 and checks the
 * password against the crypt(3) hash for user in users/smtppasswd under
 * the qmail home (lines user:hash; man/qmail-checkpw.8).  Only strong
 * hashes count (yescrypt, scrypt, bcrypt $2b$, sha512-crypt, sha256-crypt);
 * an old one (DES, MD5, ...) is refused like a wrong password, and fd 2
 * says so.  Runs as the user qmail-smtpd runs as (qmaild), the owner of
 * the file.  One of the programs outside the libc-only core: links
 * libcrypt (libxcrypt).
 * Exit: on success it execs subprogram with USER set; 1 refused (unknown
 * user, wrong password, weak hash, bad input); 2 usage; 111 a system
 * error (the file cannot be read, out of memory, exec failed).
 */
#include <crypt.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/limit.h"
#include "lib/proc.h"
#include "lib/str.h"

const char prog[] = "qmail-checkpw";

#define CHECKPW_INPUT	512	/* bytes on fd 3: checkpassword's own limit */
#define PASSWD_FILE	"users/smtppasswd"

static struct crypt_data cd;	/* 32 KiB: not for the stack */

/* The hash methods we accept, by the prefix of the setting (crypt(5)). */
static int
strong(const char *h)
{
	static const char *const ok[] = {
		"$y$", "$gy$", "$7$", "$2b$", "$6$", "$5$", NULL
	};
	const char *const *p;

	for (p = ok; *p; p++)
		if (str_start(h, *p))
			return crypt_checksalt(h) == CRYPT_SALT_OK ||
			    crypt_checksalt(h) == CRYPT_SALT_TOO_CHEAP;
	return 0;
}

/* A name for the log, from the hash's prefix. */
static const char *
method(const char *h)
{
	if (*h != '$' && *h != '_')
		return "DES";
	if (str_start(h, "$1$"))
		return "MD5";
	if (str_start(h, "_"))
		return "BSDi DES";
	if (str_start(h, "$2a$") || str_start(h, "$2x$") || str_start(h, "$2y$"))
		return "old bcrypt";
	return "unknown or legacy";
}

/* equal strings, in time that depends on their lengths only */
static int
same(const char *a, const char *b)
{
	size_t n = str_len(a), i;
	unsigned char d = 0;

	if (n != str_len(b))
		return 0;
	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* hash the password with setting; 1 if the result is `want` */
static int
check(const char *pass, const char *setting, const char *want)
{
	const char *h;

	memset(&cd, 0, sizeof cd);
	errno = 0;
	h = crypt_rn(pass, setting, &cd, (int)sizeof cd);
	if (h == NULL || *h == '*') {
		if (errno == ENOMEM)
			die_temp("out of memory");
		return 0;
	}
	return want != NULL && same(h, want);
}

/*
 * Unknown users and refused hashes cost one yescrypt hash too, so that the
 * answer's time does not say which users exist.  The setting is fixed: it
 * only has to cost what a real one does.
 */
static void
dummy(const char *pass)
{
	static const char rb[16] = "qmail-checkpw..";
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	if (crypt_gensalt_rn("$y$", 0, rb, (int)sizeof rb, setting,
	    (int)sizeof setting) != NULL)
		check(pass, setting, NULL);
}

static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

/* the hash of user in the file (s, n), NUL-terminated in place, or NULL */
static char *
lookup(char *s, size_t n, const char *user)
{
	size_t ul = str_len(user), i, e;

	for (i = 0; i < n; i = e + 1) {
		e = i + byte_chr(s + i, n - i, '\n');
		if (e - i > ul && s[i + ul] == ':' && memcmp(s + i, user, ul) == 0) {
			if (e == n)
				return NULL;	/* no newline: a file being written? */
			s[e] = '\0';
			if (e > i + ul + 1 && s[e - 1] == '\r')
				s[e - 1] = '\0';
			return s + i + ul + 1;
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	char in[CHECKPW_INPUT + 1];
	struct sa file = SA_INIT;
	size_t n = 0, ul, pl;
	const char *user, *pass;
	char *hash;
	ssize_t r;
	int ok;

	if (argc < 2)
		die_code(2, "usage: qmail-checkpw subprogram [args...]");
	for (;;) {
		r = io_read(3, in + n, sizeof in - n, 60, 0);
		if (r == -1)
			die_temp_sys("unable to read fd 3");
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CHECKPW_INPUT) {
			warn("refused: more than 512 bytes on fd 3");
			_exit(1);
		}
	}
	close(3);
	user = in, ul = byte_chr(in, n, '\0');
	if (ul == n || ul == 0) {
		warn("refused: no user name on fd 3");
		_exit(1);
	}
	pass = in + ul + 1, pl = byte_chr(pass, n - ul - 1, '\0');
	if (pl == n - ul - 1) {
		warn("refused: no password on fd 3");
		_exit(1);
	}
	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	switch (io_readfile(&file, PASSWD_FILE, LIMIT_CONTROL)) {
	case -1:
		die_temp_sys("unable to read ", conf_qmail, "/", PASSWD_FILE);
	case 0:
		file.len = 0;	/* no file: nobody may authenticate */
	}
	/* a user name that could match a comment or be two names: nobody */
	hash = byte_chr(user, ul, ':') < ul || user[0] == '#' ? NULL :
	    lookup(file.s, file.len, user);
	if (hash == NULL) {
		dummy(pass);
		ok = 0;
	} else if (!strong(hash)) {
		dummy(pass);
		warn("refused ", user, ": a ", method(hash),
		    " hash is too weak; set a new password with qmail-passwd");
		ok = 0;
	} else
		ok = check(pass, hash, hash);
	wipe(in + ul + 1, pl);
	wipe(file.s, file.len);
	wipe(&cd, sizeof cd);
	if (!ok)
		_exit(1);
	if (env_put("USER", user) == -1)
		die_temp("out of memory");
	execvp(argv[1], argv + 1);
	die_temp_sys("unable to run ", argv[1]);
}
