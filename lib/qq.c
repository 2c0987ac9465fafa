/*
 * qq.c: a qmail-queue client (qq.h).
 */
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "die.h"
#include "io.h"
#include "proc.h"
#include "qq.h"
#include "str.h"

static void
closeboth(int *p)
{
	close(p[0]);
	close(p[1]);
}

static int
cpipe(int *p)
{
	if (pipe(p) == -1)
		return -1;
	if (fd_cloexec(p[0]) == -1 || fd_cloexec(p[1]) == -1) {
		closeboth(p);
		return -1;
	}
	return 0;
}

/* $QMAILQUEUE if set and not empty, else conf_qmail/bin/qmail-queue */
static const char *
qq_prog(void)
{
	static char path[4096];
	const char *qq;
	size_t n;

	qq = env_get("QMAILQUEUE");
	if (qq != NULL && *qq != '\0')
		return qq;
	n = str_len(conf_qmail);
	if (n + sizeof "/bin/qmail-queue" > sizeof path)
		return NULL;
	memcpy(path, conf_qmail, n);
	memcpy(path + n, "/bin/qmail-queue", sizeof "/bin/qmail-queue");
	return path;
}

/*
 * In the child: put the three pipe ends on fds 0, 1 and 6.  They may sit on
 * any of those numbers now, so copy each above 9 first (close-on-exec
 * copies: the originals are close-on-exec too), then dup2 into place,
 * which clears close-on-exec on the targets only.
 */
static void
child(int body, int env, int err)
{
	const char *qq;
	char *argv[2];

	if ((body = fcntl(body, F_DUPFD_CLOEXEC, 10)) == -1 ||
	    (env = fcntl(env, F_DUPFD_CLOEXEC, 10)) == -1 ||
	    (err = fcntl(err, F_DUPFD_CLOEXEC, 10)) == -1)
		_exit(QQ_EXEC);
	if (dup2(body, 0) == -1 || dup2(env, 1) == -1 || dup2(err, 6) == -1)
		_exit(QQ_EXEC);
	sig_default(SIGPIPE);	/* the child's own copy of the handlers */
	if ((qq = qq_prog()) == NULL)
		_exit(QQ_EXEC);
	argv[0] = (char *)qq;
	argv[1] = NULL;
	execv(qq, argv);
	_exit(QQ_EXEC);
}

int
qq_open(struct qq *q)
{
	int pbody[2], penv[2], perr[2];
	pid_t pid;

	sig_ignore(SIGPIPE);
	if (cpipe(pbody) == -1)
		return -1;
	if (cpipe(penv) == -1) {
		closeboth(pbody);
		return -1;
	}
	if (cpipe(perr) == -1) {
		closeboth(pbody);
		closeboth(penv);
		return -1;
	}
	/*
	 * vfork: the child only moves descriptors and execs (or _exits), so
	 * it may borrow our memory until then, which spares copying the page
	 * tables for every message.  Measured on the development VM, per
	 * start of a small static program: fork 57-60 us of the parent's
	 * CPU, posix_spawn 43-51 (glibc's child resets every signal's
	 * handler, some 130 system calls), vfork 35-41.
	 */
	if ((pid = vfork()) == 0)
		child(pbody[0], penv[0], perr[1]);
	if (pid == -1) {
		closeboth(pbody);
		closeboth(penv);
		closeboth(perr);
		return -1;
	}
	close(pbody[0]);
	close(penv[0]);
	close(perr[1]);
	q->pid = pid;
	q->envfd = penv[1];
	q->errfd = perr[0];
	q->flagerr = 0;
	q->why[0] = '\0';
	q->from.s = 0, q->from.len = 0, q->from.cap = 0;
	q->rcpts.s = 0, q->rcpts.len = 0, q->rcpts.cap = 0;
	buf_init(&q->out, pbody[1], q->space, sizeof q->space);
	return 0;
}

void
qq_put(struct qq *q, const char *s, size_t n)
{
	if (!q->flagerr && buf_put(&q->out, s, n) == -1)
		q->flagerr = 1;
}

void
qq_puts(struct qq *q, const char *s)
{
	qq_put(q, s, str_len(s));
}

int
qq_copy(struct qq *q, int fd)
{
	char b[BUF_SIZE];
	ssize_t r;

	for (;;) {
		if ((r = io_read(fd, b, sizeof b, 0, 0)) == -1)
			return -1;
		if (r == 0)
			return 0;
		qq_put(q, b, (size_t)r);
	}
}

static void
envrec(struct sa *x, int c, const char *s, int *err)
{
	if (sa_catc(x, c) == -1 || sa_catb(x, s, str_len(s) + 1) == -1)
		*err = 1;	/* out of memory: qq_close reports it */
}

void
qq_from(struct qq *q, const char *sender)
{
	q->from.len = 0;
	envrec(&q->from, 'F', sender, &q->flagerr);
}

void
qq_to(struct qq *q, const char *rcpt)
{
	envrec(&q->rcpts, 'T', rcpt, &q->flagerr);
}

/*
 * fd 6 text, read once qmail-queue has exited; at most 1000 bytes.  What
 * it wrote is in the pipe by now, so read without waiting: a grandchild
 * that still holds the pipe open must not hold up the answer.
 */
static void
readwhy(struct qq *q)
{
	size_t n = 0;
	ssize_t r;
	int wait;

	/* should that fail, wait for more at most 5 seconds */
	wait = fd_nonblock(q->errfd) == -1 ? 5 : 0;
	while (n < sizeof q->why - 1) {
		r = io_read(q->errfd, q->why + n, sizeof q->why - 1 - n, wait, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	q->why[n] = '\0';
	q->why[byte_chr(q->why, n, '\n')] = '\0';
}

static int
finish(struct qq *q)
{
	int status, code;

	close(q->envfd);
	if (proc_wait(q->pid, &status) == -1) {
		close(q->errfd);
		return QQ_BUG;	/* our child vanished: cannot happen */
	}
	if (proc_crashed(status))
		code = QQ_CRASHED;
	else if ((code = proc_exitcode(status)) == 0 && q->flagerr)
		code = QQ_READ;	/* it cannot have taken the whole message */
	if (code == QQ_CUSTOM)
		readwhy(q);
	close(q->errfd);
	sa_free(&q->from);
	sa_free(&q->rcpts);
	return code;
}

int
qq_close(struct qq *q)
{
	if (q->from.len == 0)
		qq_from(q, "");
	if (!q->flagerr && buf_flush(&q->out) == -1)
		q->flagerr = 1;
	close(q->out.fd);
	/* qmail-queue reads the envelope only after the body's EOF, and
	 * wants F first and a final NUL after the last T */
	if (!q->flagerr && (sa_cat(&q->from, &q->rcpts) == -1 ||
	    sa_catc(&q->from, '\0') == -1))
		q->flagerr = 1;
	if (!q->flagerr && io_writeall(q->envfd, q->from.s, q->from.len) == -1)
		q->flagerr = 1;
	return finish(q);
}

/* An envelope cut short is never queued: qmail-queue links todo/N only
 * after the envelope's final NUL. */
void
qq_kill(struct qq *q)
{
	q->flagerr = 1;
	close(q->out.fd);
	(void)finish(q);
}

const char *
qq_text(const struct qq *q, int code)
{
	if (code == QQ_CRASHED)
		return "qq crashed (#4.3.0)";
	if (code == QQ_CUSTOM && (q->why[0] == 'D' || q->why[0] == 'Z') &&
	    q->why[1] != '\0')
		return q->why + 1;
	if (code == QQ_CUSTOM)
		return "qq temporary problem (#4.3.0)";
	return qq_errstr(code);
}

int
qq_exit(const struct qq *q, int code)
{
	if (code == 0)
		return 0;
	if (code == QQ_CUSTOM)
		return q->why[0] == 'D' ? EXIT_PERM : EXIT_TEMP;
	return qq_is_perm(code) ? EXIT_PERM : EXIT_TEMP;
}

int
qq_forward(struct qq *q, const char *pre, int fd, const char *sender,
    char *const *rcpt, size_t n)
{
	size_t i;
	int e;

	if (qq_open(q) == -1)
		return -1;
	if (pre != NULL)
		qq_puts(q, pre);
	if (qq_copy(q, fd) == -1) {
		e = errno;
		qq_kill(q);
		errno = e;
		return -1;
	}
	qq_from(q, sender);
	for (i = 0; i < n; i++)
		qq_to(q, rcpt[i]);
	return qq_close(q);
}
