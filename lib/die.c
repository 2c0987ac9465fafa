/*
 * die.c: fatal and warning messages without allocation (die.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "die.h"

const char *
err_str(int e)
{
	return strerror(e);
}

/*
 * Temporary: conditions that an administrator or time can fix without the
 * sender doing anything.  When in doubt a value belongs here: a wrong
 * temporary failure delays mail, a wrong permanent one destroys it.
 */
int
err_is_temp(int e)
{
	switch (e) {
	case EISDIR: case ELOOP: case ENAMETOOLONG: case EINVAL:
	case ENOEXEC: case E2BIG:
		return 0;
	default:
		return 1;
	}
}

static void
put(char *buf, size_t *n, size_t cap, const char *s)
{
	size_t len = strlen(s);

	if (len > cap - *n)
		len = cap - *n;
	memcpy(buf + *n, s, len);
	*n += len;
}

static void
emit(const char *kind, int sys, const char *const *parts)
{
	char buf[2048];
	size_t n = 0;
	int e = errno;

	put(buf, &n, sizeof buf - 1, prog);
	put(buf, &n, sizeof buf - 1, ": ");
	put(buf, &n, sizeof buf - 1, kind);
	for (; *parts; parts++)
		put(buf, &n, sizeof buf - 1, *parts);
	if (sys) {
		put(buf, &n, sizeof buf - 1, ": ");
		put(buf, &n, sizeof buf - 1, strerror(e));
	}
	buf[n++] = '\n';
	(void)!write(2, buf, n);
	errno = e;
}

void
die_parts(int code, int sys, const char *const *parts)
{
	emit("fatal: ", sys, parts);
	_exit(code);
}

void
warn_parts(int sys, const char *const *parts)
{
	emit("warning: ", sys, parts);
}

void
say_parts(int fd, int sys, const char *const *parts)
{
	char buf[2048];
	size_t n = 0;
	int e = errno;

	for (; *parts; parts++)
		put(buf, &n, sizeof buf - 1, *parts);
	if (sys) {
		put(buf, &n, sizeof buf - 1, ": ");
		put(buf, &n, sizeof buf - 1, strerror(e));
	}
	buf[n++] = '\n';
	(void)!write(fd, buf, n);
	errno = e;
}

void
die_nomem(void)
{
	die_temp("out of memory (#4.3.0)");
}

int
qq_is_perm(int code)
{
	return code >= 11 && code <= 40;
}

const char *
qq_errstr(int code)
{
	switch (code) {
	case QQ_OK: return "ok";
	case QQ_ADDR_TOO_LONG: return "address too long (#5.1.3)";
	case QQ_PERM_REFUSED: return "mail server permanently rejected message (#5.3.0)";
	case QQ_NOMEM: return "qq out of memory (#4.3.0)";
	case QQ_TIMEOUT: return "qq timeout (#4.3.0)";
	case QQ_WRITE: return "qq write error or disk full (#4.3.0)";
	case QQ_READ: return "qq read error (#4.3.0)";
	case QQ_CONTROL: return "qq unable to read configuration (#4.3.0)";
	case QQ_NETWORK: return "qq trouble making network connection (#4.3.0)";
	case QQ_HOMEDIR: return "qq trouble in home directory (#4.3.0)";
	case QQ_QUEUEDIR: case QQ_PIDDIR: case QQ_MESSDIR:
	case QQ_INTDDIR: case QQ_TODODIR:
		return "qq trouble creating files in queue (#4.3.0)";
	case QQ_TEMP_REFUSED: return "mail server temporarily rejected message (#4.3.0)";
	case QQ_CONN_TIMEOUT: return "connection to mail server timed out (#4.4.1)";
	case QQ_CONN_REFUSED: return "connection to mail server rejected (#4.4.1)";
	case QQ_CONN_FAILED: return "connection to mail server succeeded, but communication failed (#4.4.2)";
	case QQ_BUG: return "qq internal bug (#4.3.0)";
	case 120: return "unable to exec qq (#4.3.0)";
	case QQ_ENVELOPE: return "qq envelope format error (#4.3.0)";
	default:
		return qq_is_perm(code) ? "qq permanent problem (#5.3.0)"
		    : "qq temporary problem (#4.3.0)";
	}
}
