/*
 * rcv.c: the receiving servers' byte and hop counts, Received line,
 * rcpthosts and badmailfrom rules (rcv.h).
 */
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cdb.h"
#include "date.h"
#include "die.h"
#include "proc.h"
#include "rcv.h"

int
rcv_open(struct rcv_msg *m)
{
	m->bytes = 0, m->hops = 0, m->inheader = 1, m->llen = 0;
	return qq_open(&m->qq);
}

/* a header line ended: is it a hop? (RFC 5321 section 6.3) */
static void
hop(struct rcv_msg *m)
{
	size_t n = m->llen < sizeof m->lbuf ? m->llen : sizeof m->lbuf;

	if (n >= 9 && case_startb(m->lbuf, n, "received:"))
		++m->hops;
	else if (n >= 13 && case_startb(m->lbuf, n, "delivered-to:"))
		++m->hops;
}

void
rcv_put(struct rcv_msg *m, const char *s, size_t n)
{
	size_t i;

	m->bytes += n;
	if (m->bytes < n)
		m->bytes = (unsigned long)-1;	/* saturate, never wrap */
	for (i = 0; m->inheader && i < n; i++) {
		if (s[i] == '\n') {
			if (m->llen == 0)
				m->inheader = 0;	/* the empty line */
			else
				hop(m);
			m->llen = 0;
			continue;
		}
		if (m->llen < sizeof m->lbuf)
			m->lbuf[m->llen] = s[i];
		if (m->llen < sizeof m->lbuf + 1)
			++m->llen;
	}
	qq_put(&m->qq, s, n);
}

int
rcv_close(struct rcv_msg *m, struct sa *sender, const struct sa *rcpts)
{
	const char *s;
	size_t i;

	if ((s = sa_str(sender)) == NULL) {
		qq_kill(&m->qq);
		return QQ_NOMEM;
	}
	qq_from(&m->qq, s);
	/* each record is "T" address NUL: the address starts after the T */
	for (i = 0; i < rcpts->len; i += str_len(rcpts->s + i) + 1)
		qq_to(&m->qq, rcpts->s + i + 1);
	return qq_close(&m->qq);
}

const char *
rcv_qq_text(const struct rcv_msg *m, int code, struct sa *text, int *perm)
{
	const char *t = qq_text(&m->qq, code);
	const char *why = m->qq.why;

	if (code != QQ_CUSTOM) {
		*perm = code != QQ_CRASHED && qq_is_perm(code);
		return t;
	}
	/* a filter's reason counts only with its D or Z and some text */
	if ((why[0] != 'D' && why[0] != 'Z') || why[1] == '\0') {
		*perm = 0;
		return t;
	}
	*perm = why[0] == 'D';
	text->len = 0;
	for (; *t; t++)
		if (sa_catc(text, (unsigned char)*t < 32 || *t == 127 ?
		    ' ' : *t) == -1)	/* never a line break in a reply */
			return "out of memory (#4.3.0)";
	if (sa_str(text) == NULL)
		return "out of memory (#4.3.0)";
	return text->s;
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
    const char *helo, const struct rcv_sec *sec)
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
	    sa_cats(x, proto) == -1)
		return -1;
	if (sec && sec->tlsproto && sa_catc(x, 'S') == -1)
		return -1;
	if (sec && sec->user && sa_catc(x, 'A') == -1)
		return -1;
	if (sec && sec->tlsproto && (sa_cats(x, " (") == -1 ||
	    cat_safe(x, sec->tlsproto) == -1 ||
	    (sec->cipher && (sa_cats(x, " cipher ") == -1 ||
	    cat_safe(x, sec->cipher) == -1)) || sa_catc(x, ')') == -1))
		return -1;
	if (sec && sec->user && (sa_cats(x, " (authenticated user ") == -1 ||
	    cat_safe(x, sec->user) == -1 || sa_catc(x, ')') == -1))
		return -1;
	if (sa_cats(x, "; ") == -1 ||
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
rcv_copy(struct buf *b, struct rcv_msg *q, unsigned long n, int crlf)
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
			rcv_put(q, p, avail);
		for (i = 0; q && crlf && i < avail; i++) {
			if (on + 2 > sizeof out) {
				rcv_put(q, out, on);
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
		rcv_put(q, out, on);
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

void
rcv_peer(struct rcv_peer *p)
{
	if ((p->remoteip = env_get("TCPREMOTEIP")) == NULL)
		p->remoteip = "unknown";
	if ((p->remotehost = env_get("TCPREMOTEHOST")) == NULL)
		p->remotehost = "unknown";
	p->remoteinfo = env_get("TCPREMOTEINFO");
	if ((p->local = env_get("TCPLOCALHOST")) == NULL &&
	    (p->local = env_get("TCPLOCALIP")) == NULL)
		p->local = "unknown";
	p->relayclient = env_get("RELAYCLIENT");
}

#define DEF_TIMEOUT	1200	/* control/timeoutsmtpd: seconds a read or write */
#define DEF_SESSION	3600	/* control/timeoutsmtpdsession: seconds a connection */

int
rcv_timeouts(struct buf *in, struct buf *out, time_t *deadline)
{
	unsigned long timeout, session;

	if (ctl_readulong(&timeout, "control/timeoutsmtpd", DEF_TIMEOUT) == -1 ||
	    ctl_readulong(&session, "control/timeoutsmtpdsession", DEF_SESSION) == -1)
		return -1;
	if (timeout == 0 || timeout > 86400)
		timeout = DEF_TIMEOUT;
	in->timeout = out->timeout = (int)timeout;
	*deadline = session ? time(NULL) + (time_t)session : 0;
	in->deadline = out->deadline = *deadline;
	return 0;
}

int
rcv_databytes(unsigned long *n)
{
	const char *e;
	unsigned long u;

	if (ctl_readulong(n, "control/databytes", 0) == -1)
		return -1;
	if ((e = env_get("DATABYTES")) != NULL && *e &&
	    scan_ulong(e, str_len(e), &u) == str_len(e))
		*n = u;
	return 0;
}

char *
rcv_okline(char *s, pid_t pid)
{
	size_t n = 3;

	memcpy(s, "ok ", 3);
	n += fmt_ulong(s + n, (unsigned long)time(NULL));
	memcpy(s + n, " qp ", 4), n += 4;
	n += fmt_ulong(s + n, (unsigned long)pid);
	s[n] = '\0';
	return s;
}
