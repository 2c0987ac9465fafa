/* unit tests for lib/qmtp.h: QMTP packages, well-formed and hostile,
 * read through a pipe as qmail-qmtpd reads them */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "../lib/netstr.h"
#include "../lib/qmtp.h"

static struct buf b;
static char space[7];	/* small: every read crosses buffer refills */
static int fd = -1;
static struct sa msg, sender, rcpts, rcpt;
static int crlf;

static void
feed(const char *s, size_t n)
{
	int p[2];

	if (fd != -1)
		close(fd);
	if (pipe(p) == -1 || write(p[1], s, n) != (ssize_t)n)
		_exit(111);
	close(p[1]);
	fd = p[0];
	buf_init(&b, fd, space, sizeof space);
}

/* one package as qmail-qmtpd walks it: 1 with msg, sender and the
 * recipients (each followed by '\n') filled in; 0 clean EOF; -1 error */
static int
walk(void)
{
	size_t mlen, left;
	char c;
	int r;

	msg.len = rcpts.len = 0;
	if ((r = qmtp_msghead(&b, 1UL << 20, &mlen, &crlf)) != 1)
		return r;
	while (mlen-- > 0) {
		if (buf_get(&b, &c, 1) != 1)
			return -1;
		sa_catc(&msg, c);
	}
	if (ns_getcomma(&b) != 1 || ns_get(&b, &sender, 1000) != 1 ||
	    qmtp_rcptlist(&b, 1000, &left) != 1)
		return -1;
	while ((r = qmtp_rcpt(&b, &left, &rcpt, 20)) == 1) {
		sa_cat(&rcpts, &rcpt);
		sa_catc(&rcpts, '\n');
	}
	if (r == -1 || ns_getcomma(&b) != 1)
		return -1;
	return 1;
}

#define WALK(s) (feed(s, sizeof s - 1), walk())
#define IS(x, want) ((x).len == sizeof want - 1 && \
	memcmp((x).s, want, (x).len) == 0)

static void
test_qmtp_package(void)
{
	CHECK(WALK("6:\nhello,3:a@b,6:3:x@y,,") == 1);
	CHECK(IS(msg, "hello") && crlf == 0);
	CHECK(IS(sender, "a@b") && IS(rcpts, "x@y\n"));
	CHECK(walk() == 0);	/* clean EOF after it */
	CHECK(WALK("4:\rhi\r,0:,13:3:x@y,4:zz@q,,") == 1);
	CHECK(IS(msg, "hi\r") && crlf == 1 && sender.len == 0);
	CHECK(IS(rcpts, "x@y\nzz@q\n"));
	CHECK(WALK("1:\n,0:,0:,") == 1 && msg.len == 0 && rcpts.len == 0);
	/* an empty recipient is framed fine; qmail-qmtpd refuses it */
	CHECK(WALK("1:\n,0:,3:0:,,") == 1 && IS(rcpts, "\n"));
}

static void
test_qmtp_two_packages_back_to_back(void)
{
	CHECK(WALK("2:\na,1:s,6:3:x@y,,2:\nb,1:t,6:3:u@v,,") == 1);
	CHECK(IS(msg, "a") && IS(sender, "s") && IS(rcpts, "x@y\n"));
	CHECK(walk() == 1);
	CHECK(IS(msg, "b") && IS(sender, "t") && IS(rcpts, "u@v\n"));
	CHECK(walk() == 0);
}

static void
test_qmtp_rejects_bad_message_head(void)
{
	CHECK(WALK("0:,0:,0:,") == -1 && errno == EPROTO);	/* no marker */
	CHECK(WALK("2:Xa,0:,0:,") == -1 && errno == EPROTO);
	CHECK(WALK("02:\na,0:,0:,") == -1 && errno == EPROTO);
	CHECK(WALK(":\na,0:,0:,") == -1 && errno == EPROTO);
	CHECK(WALK("1") == -1 && errno == EPROTO);	/* EOF in the length */
	CHECK(WALK("1:") == -1 && errno == EPROTO);	/* EOF before marker */
	CHECK(WALK("99999999:\n") == -1 && errno == E2BIG);
}

static void
test_qmtp_rejects_bad_recipient_list(void)
{
	/* the recipient spills out of the list's length */
	CHECK(WALK("1:\n,0:,5:3:x@y,,") == -1 && errno == EPROTO);
	/* one byte of the list left over: not a netstring */
	CHECK(WALK("1:\n,0:,7:3:x@y,Z,") == -1 && errno == EPROTO);
	/* the list ends, its comma missing */
	CHECK(WALK("1:\n,0:,6:3:x@y,X") == -1 && errno == EPROTO);
	/* a recipient over the caller's maximum (20) */
	CHECK(WALK("1:\n,0:,26:21:aaaaaaaaaaaaaaaaaaaaa,,") == -1 &&
	    errno == E2BIG);
	/* a list over its maximum (1000) */
	CHECK(WALK("1:\n,0:,1001:") == -1 && errno == E2BIG);
	/* EOF inside the list or before it */
	CHECK(WALK("1:\n,0:,6:3:x@") == -1 && errno == EPROTO);
	CHECK(WALK("1:\n,0:,") == -1 && errno == EPROTO);
	CHECK(WALK("1:\n,0:,6:") == -1 && errno == EPROTO);
}

static void
test_qmtp_nslen(void)
{
	CHECK(qmtp_nslen(0) == 3 && qmtp_nslen(9) == 3);
	CHECK(qmtp_nslen(10) == 4 && qmtp_nslen(999) == 5);
	CHECK(qmtp_nslen(1000) == 6);
}

int
main(void)
{
	RUN(test_qmtp_package);
	RUN(test_qmtp_two_packages_back_to_back);
	RUN(test_qmtp_rejects_bad_message_head);
	RUN(test_qmtp_rejects_bad_recipient_list);
	RUN(test_qmtp_nslen);
	return CHECK_DONE();
}
