/*
 * rcv.c: the receiving servers' qmail-queue child, Received line and
 * rcpthosts rule (rcv.h).
 */
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cdb.h"
#include "date.h"
#include "die.h"
#include "proc.h"
#include "rcv.h"

/* Move fd to a number above the ones the child must set up (0, 1, 6). */
static int
high(int fd)
{
	int h = fcntl(fd, F_DUPFD, 10);

	if (h == -1)
		return -1;
	close(fd);
	return h;
}

int
rcv_qq_start(struct rcv_qq *q)
{
	int pb[2], pe[2], px[2];
	const char *qq;
	pid_t pid;

	memset(q, 0, sizeof *q);
	q->pid = -1, q->fdenv = -1, q->fderr = -1, q->inheader = 1;
	if (pipe(pb) == -1)
		return -1;
	if (pipe(pe) == -1) {
		close(pb[0]), close(pb[1]);
		return -1;
	}
	if (pipe(px) == -1) {
		close(pb[0]), close(pb[1]), close(pe[0]), close(pe[1]);
		return -1;
	}
	/* Our ends must not leak into the child, or it never sees EOF. */
	fd_cloexec(pb[1]), fd_cloexec(pe[1]), fd_cloexec(px[0]);
	sig_ignore(SIGPIPE);	/* a child that went away is an exit code, not a signal */
	if ((qq = env_get("QMAILQUEUE")) == NULL || *qq == 0)
		qq = "bin/qmail-queue";
	switch (pid = fork()) {
	case -1:
		close(pb[0]), close(pb[1]), close(pe[0]), close(pe[1]);
		close(px[0]), close(px[1]);
		return -1;
	case 0:
		if ((pb[0] = high(pb[0])) == -1 || (pe[0] = high(pe[0])) == -1 ||
		    (px[1] = high(px[1])) == -1 || fd_move(0, pb[0]) == -1 ||
		    fd_move(1, pe[0]) == -1 || fd_move(6, px[1]) == -1)
			_exit(QQ_BUG);
		sig_default(SIGPIPE);
		execl(qq, qq, (char *)0);
		_exit(120);	/* "unable to exec qq" */
	}
	close(pb[0]), close(pe[0]), close(px[1]);
	q->pid = pid;
	q->fdenv = pe[1];
	q->fderr = px[0];
	buf_init(&q->b, pb[1], q->space, sizeof q->space);
	return 0;
}

void
rcv_qq_puthdr(struct rcv_qq *q, const char *s, size_t n)
{
	if (!q->werr && buf_put(&q->b, s, n) == -1)
		q->werr = 1;
}

/* a header line ended: is it a hop? (RFC 5321 section 6.3) */
static void
hop(struct rcv_qq *q)
{
	size_t n = q->llen < sizeof q->lbuf ? q->llen : sizeof q->lbuf;

	if (n >= 9 && case_startb(q->lbuf, n, "received:"))
		++q->hops;
	else if (n >= 13 && case_startb(q->lbuf, n, "delivered-to:"))
		++q->hops;
}

void
rcv_qq_put(struct rcv_qq *q, const char *s, size_t n)
{
	size_t i;

	q->bytes += n;
	if (q->bytes < n)
		q->bytes = (unsigned long)-1;	/* saturate, never wrap */
	for (i = 0; q->inheader && i < n; i++) {
		if (s[i] == '\n') {
			if (q->llen == 0)
				q->inheader = 0;	/* the empty line */
			else
				hop(q);
			q->llen = 0;
			continue;
		}
		if (q->llen < sizeof q->lbuf)
			q->lbuf[q->llen] = s[i];
		if (q->llen < sizeof q->lbuf + 1)
			++q->llen;
	}
	rcv_qq_puthdr(q, s, n);
}

static void
put_env(struct rcv_qq *q, const char *s, size_t n)
{
	if (!q->werr && n && io_writeall(q->fdenv, s, n) == -1)
		q->werr = 1;
}

/* A filter's reason from fd 6: at most RCV_QQTEXT bytes, whatever it has
 * written by the time it exited (a grandchild may still hold the pipe). */
static void
read_reason(struct rcv_qq *q, struct sa *text, int *perm)
{
	char tmp[RCV_QQTEXT];
	size_t got = 0, i, start = 0;
	ssize_t r;

	text->len = 0;
	*perm = 0;
	fd_nonblock(q->fderr);
	while (got < sizeof tmp) {
		r = read(q->fderr, tmp + got, sizeof tmp - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got == 0 || (tmp[0] != 'D' && tmp[0] != 'Z'))
		return;
	*perm = tmp[0] == 'D';
	start = 1;
	for (i = start; i < got; i++) {
		char c = tmp[i];
		if (c == '\n' && i + 1 == got)
			break;
		if ((unsigned char)c < 32 || c == 127)
			c = ' ';	/* never a line break in a reply */
		if (sa_catc(text, c) == -1)
			break;
	}
	if (sa_str(text) == NULL)
		text->len = 0;
}

int
rcv_qq_finish(struct rcv_qq *q, const char *sender, size_t slen,
    const char *rcpts, size_t rlen, struct sa *text, int *perm)
{
	static struct sa env;
	int status;

	text->len = 0;
	*perm = 0;
	if (!q->werr && buf_flush(&q->b) == -1)
		q->werr = 1;
	close(q->b.fd);
	/* The envelope last: qmail-queue reads it only after the body's EOF.
	 * One write, so that qmail-queue wakes once to read it. */
	env.len = 0;
	if (sa_catc(&env, 'F') == -1 || sa_catb(&env, sender, slen) == -1 ||
	    sa_catc(&env, 0) == -1 || sa_catb(&env, rcpts, rlen) == -1 ||
	    sa_catc(&env, 0) == -1)
		q->werr = 1;	/* out of memory: qmail-queue sees no envelope */
	else
		put_env(q, env.s, env.len);
	close(q->fdenv);
	if (proc_wait(q->pid, &status) == -1) {
		close(q->fderr);
		return -1;
	}
	if (proc_exitcode(status) == QQ_CUSTOM)
		read_reason(q, text, perm);
	close(q->fderr);
	return proc_exitcode(status);
}

void
rcv_qq_abort(struct rcv_qq *q)
{
	int status;

	/* An envelope cut short makes qmail-queue give up without queueing. */
	close(q->b.fd);
	close(q->fdenv);
	close(q->fderr);
	proc_wait(q->pid, &status);
}

const char *
rcv_qq_text(int code, const struct sa *text, int perm82, int *perm)
{
	*perm = 0;
	if (code == -1)
		return "qq crashed (#4.3.0)";
	if (code == QQ_CUSTOM) {
		if (text->len == 0)
			return "qq temporary problem (#4.3.0)";
		*perm = perm82;
		return text->s;
	}
	*perm = qq_is_perm(code);
	return qq_errstr(code);
}

static int
safe(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr(".-_@%+/=:[]", c) != NULL;
}

static int
cat_safe(struct sa *x, const char *s)
{
	for (; *s; s++)
		if (sa_catc(x, safe((unsigned char)*s) ? *s : '?') == -1)
			return -1;
	return 0;
}

int
rcv_received(struct sa *x, const char *proto, const char *local,
    const char *remoteip, const char *remotehost, const char *remoteinfo,
    const char *helo)
{
	char date[DATE_FMT];

	x->len = 0;
	if (sa_cats(x, "Received: from ") == -1 || cat_safe(x, remotehost) == -1)
		return -1;
	if (helo && (sa_cats(x, " (HELO ") == -1 || cat_safe(x, helo) == -1 ||
	    sa_catc(x, ')') == -1))
		return -1;
	if (sa_cats(x, " (") == -1)
		return -1;
	if (remoteinfo && (cat_safe(x, remoteinfo) == -1 || sa_catc(x, '@') == -1))
		return -1;
	if (cat_safe(x, remoteip) == -1 || sa_cats(x, ")\n  by ") == -1 ||
	    cat_safe(x, local) == -1 || sa_cats(x, " with ") == -1 ||
	    sa_cats(x, proto) == -1 || sa_cats(x, "; ") == -1 ||
	    sa_catb(x, date, date_fmt822(date, time(NULL))) == -1 ||
	    sa_catc(x, '\n') == -1)
		return -1;
	return 0;
}

static struct cdb mrh;

int
rcv_hosts_init(struct rcv_hosts *h)
{
	struct sa x = SA_INIT;
	int r;

	h->have = 0, h->fdmrh = -1;
	h->map.ent = NULL, h->map.store = NULL, h->map.mask = 0;
	if ((r = ctl_readfile(&x, "control/rcpthosts")) == -1)
		return -1;
	if (r == 0)
		return 0;
	h->have = 1;
	if (x.len && cmap_init(&h->map, x.s, x.len, 0) == -1) {
		sa_free(&x);
		return -1;
	}
	sa_free(&x);
	h->fdmrh = open("control/morercpthosts.cdb", O_RDONLY | O_CLOEXEC);
	if (h->fdmrh == -1 && errno != ENOENT)
		return -1;
	if (h->fdmrh != -1)
		cdb_init(&mrh, h->fdmrh);
	return 0;
}

int
rcv_hosts_allowed(struct rcv_hosts *h, const char *addr, size_t len)
{
	char low[1024];
	size_t at, n, j;
	int r;

	if (!h->have)
		return 1;
	at = byte_rchr(addr, len, '@');
	if (at == len)
		return 1;	/* no domain: envnoathost, which is ours */
	addr += at + 1, n = len - at - 1;
	if (n == 0)
		return 0;
	if (cmap_domain(&h->map, addr, n))
		return 1;
	if (h->fdmrh == -1 || n > sizeof low)
		return 0;
	/* qmail-newmrh stores lower-case keys */
	memcpy(low, addr, n);
	case_lowerb(low, n);
	for (j = 0; j < n; j++) {
		if (j && low[j] != '.')
			continue;
		r = cdb_find(&mrh, low + j, (uint32_t)(n - j));
		if (r != 0)
			return r;
	}
	return 0;
}

int
rcv_bmf_match(const struct cmap *m, const char *addr, size_t len)
{
	size_t at;

	if (cmap_get(m, addr, len))
		return 1;
	at = byte_rchr(addr, len, '@');
	return at < len && cmap_get(m, addr + at, len - at) != NULL;
}

int
rcv_copy(struct buf *b, struct rcv_qq *q, unsigned long n, int crlf)
{
	char out[BUF_SIZE];
	size_t avail, i, on = 0;
	int cr = 0;
	char *p;

	while (n > 0) {
		if ((p = buf_peek(b, &avail)) == NULL)
			return -1;
		if (avail == 0)
			return errno = EPROTO, -1;
		if (avail > n)
			avail = (size_t)n;
		if (q && !crlf)
			rcv_qq_put(q, p, avail);
		for (i = 0; q && crlf && i < avail; i++) {
			if (on + 2 > sizeof out) {
				rcv_qq_put(q, out, on);
				on = 0;
			}
			if (cr && p[i] != '\n')
				out[on++] = '\r';
			cr = p[i] == '\r';
			if (!cr)
				out[on++] = p[i];
		}
		buf_seek(b, avail);
		n -= avail;
	}
	if (cr)
		out[on++] = '\r';
	if (q && on)
		rcv_qq_put(q, out, on);
	return 0;
}

size_t
rcv_nslen(unsigned long len)
{
	size_t d = 1;

	while (len >= 10)
		len /= 10, ++d;
	return d + 2;
}
