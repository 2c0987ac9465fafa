/* fuzz target: QMTP packages, streamed through a pipe with a small buffer
 * exactly as qmail-qmtpd reads them (lib/qmtp.h), and checked against a
 * second reading of the same bytes from memory with ns_parse: both must
 * accept the same packages with the same message, sender and recipients,
 * and both must stop at the same one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/netstr.h"
#include "../../lib/qmtp.h"

const char prog[] = "fuzz-qmtp";

#define MAXMSG		4096UL
#define MAXSENDER	50
#define MAXLIST		300
#define MAXRCPT		20

struct pkg {
	struct sa msg, sender, rcpts;	/* rcpts: each length, then bytes */
	int crlf;
};

static void
addrcpt(struct sa *x, const char *s, size_t n)
{
	if (sa_catulong(x, (unsigned long)n) == -1 || sa_catc(x, ':') == -1 ||
	    sa_catb(x, s, n) == -1)
		abort();
}

/* streamed: 1 a package, 0 clean EOF, -1 error */
static int
stream(struct buf *b, struct pkg *p)
{
	size_t mlen, left, before;
	struct sa r = SA_INIT;
	char c;
	int k;

	p->msg.len = p->sender.len = p->rcpts.len = 0;
	if ((k = qmtp_msghead(b, MAXMSG, &mlen, &p->crlf)) != 1)
		return k;
	if (mlen >= MAXMSG)
		abort();
	while (mlen-- > 0) {
		if (buf_get(b, &c, 1) != 1)
			return -1;
		if (sa_catc(&p->msg, c) == -1)
			abort();
	}
	if (ns_getcomma(b) != 1 || ns_get(b, &p->sender, MAXSENDER) != 1 ||
	    qmtp_rcptlist(b, MAXLIST, &left) != 1)
		return -1;
	if (p->sender.len > MAXSENDER || left > MAXLIST)
		abort();
	for (;;) {
		before = left;
		if ((k = qmtp_rcpt(b, &left, &r, MAXRCPT)) != 1)
			break;
		if (r.len > MAXRCPT || left >= before ||
		    before - left != qmtp_nslen(r.len) + r.len)
			abort();	/* the list shrinks by exactly one netstring */
		addrcpt(&p->rcpts, r.s, r.len);
	}
	sa_free(&r);
	if (k == 0 && left != 0)
		abort();
	if (k == -1 || ns_getcomma(b) != 1)
		return -1;
	return 1;
}

/* from memory: the same, consuming *pos */
static int
whole(const char *s, size_t n, size_t *pos, struct pkg *p)
{
	const char *d, *list;
	size_t dlen, llen, u;

	p->msg.len = p->sender.len = p->rcpts.len = 0;
	if (*pos == n)
		return 0;
	if ((u = ns_parse(s + *pos, n - *pos, &d, &dlen)) == 0 ||
	    dlen == 0 || dlen > MAXMSG || (d[0] != '\n' && d[0] != '\r'))
		return -1;
	p->crlf = d[0] == '\r';
	if (sa_catb(&p->msg, d + 1, dlen - 1) == -1)
		abort();
	*pos += u;
	if ((u = ns_parse(s + *pos, n - *pos, &d, &dlen)) == 0 ||
	    dlen > MAXSENDER)
		return -1;
	if (sa_catb(&p->sender, d, dlen) == -1)
		abort();
	*pos += u;
	if ((u = ns_parse(s + *pos, n - *pos, &list, &llen)) == 0 ||
	    llen > MAXLIST)
		return -1;
	*pos += u;
	while (llen > 0) {
		if ((u = ns_parse(list, llen, &d, &dlen)) == 0 ||
		    dlen > MAXRCPT)
			return -1;
		addrcpt(&p->rcpts, d, dlen);
		list += u, llen -= u;
	}
	return 1;
}

static int
same(const struct sa *a, const struct sa *b)
{
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->s, b->s, a->len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static struct pkg ps, pw;
	const char *s = (const char *)data;
	char space[16];
	size_t pos = 0, cap;
	struct buf b;
	int fds[2], rs, rw;

	if (n == 0 || n > 60000 || pipe(fds) == -1)
		return 0;
	cap = 1 + (unsigned char)s[0] % sizeof space;	/* refills anywhere */
	++s, --n;
	if (write(fds[1], s, n) != (ssize_t)n)
		abort();
	close(fds[1]);
	buf_init(&b, fds[0], space, cap);
	do {
		rs = stream(&b, &ps);
		rw = whole(s, n, &pos, &pw);
		if (rs != rw)
			abort();
		if (rs == 1 && (ps.crlf != pw.crlf || !same(&ps.msg, &pw.msg) ||
		    !same(&ps.sender, &pw.sender) ||
		    !same(&ps.rcpts, &pw.rcpts)))
			abort();
	} while (rs == 1);
	close(fds[0]);
	return 0;
}
