/*
 * qmail-qmqpd: receive one message by QMQP on fd 0 and fd 1.  The client
 * sends one netstring holding, as netstrings, the message (LF line ends),
 * the sender and each recipient; the server answers one netstring, "K"
 * (queued), "Z" (temporary failure) or "D" (permanent failure) and text,
 * and closes.  No relay checks: who may connect is decided by tcpserver's
 * rules alone.  The message goes to qmail-queue ($QMAILQUEUE) as it
 * arrives.  Reads control/timeoutsmtpd, control/timeoutsmtpdsession and
 * TCPREMOTEIP, TCPREMOTEHOST, TCPREMOTEINFO, TCPLOCALHOST.
 * Runs as qmaild under tcpserver.
 * Exit: 0 after answering; 1 on a protocol error (a malformed netstring:
 * the connection is simply closed), a timeout or a network error; 111 if
 * the control files cannot be read.
 */
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/control.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/limit.h"
#include "lib/netstr.h"
#include "lib/proc.h"
#include "lib/rcv.h"
#include "lib/str.h"

const char prog[] = "qmail-qmqpd";

#define QMQP_PACKAGE	(1UL << 40)	/* a longer length is nonsense: close */

static char inspace[BUF_SIZE], outspace[BUF_SIZE];
static struct buf in = BUF_INIT(0, inspace);
static struct buf out = BUF_INIT(1, outspace);

static NORETURN void
answer(char kind, const char *text)
{
	size_t n = str_len(text) + 1;

	if (buf_putulong(&out, (unsigned long)n) == -1 ||
	    buf_put(&out, ":", 1) == -1 || buf_put(&out, &kind, 1) == -1 ||
	    buf_puts(&out, text) == -1 || buf_put(&out, ",", 1) == -1 ||
	    buf_flush(&out) == -1)
		_exit(1);
	_exit(0);
}

int
main(void)
{
	struct rcv_msg m, *q = NULL;
	struct sa sender = SA_INIT, rcpts = SA_INIT, addr = SA_INIT;
	struct sa hdr = SA_INIT, text = SA_INIT;
	struct rcv_peer peer;
	unsigned long nrcpts = 0;
	size_t total, mlen, used;
	const char *why = NULL, *res;
	char num[RCV_OKLEN];
	time_t deadline;
	int code, perm;

	sig_ignore(SIGPIPE);
	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	if (rcv_timeouts(&in, &out, &deadline) == -1)
		die_temp_sys("unable to read controls");
	rcv_peer(&peer);

	if (ns_getlen(&in, &total, QMQP_PACKAGE) != 1 ||
	    ns_getlen(&in, &mlen, total) != 1 ||
	    (used = rcv_nslen(mlen) + mlen) > total)
		_exit(1);
	if (rcv_open(&m) == -1)
		why = "Zqqt failure (#4.3.0)";
	else {
		q = &m;
		if (rcv_received(&hdr, "QMQP", peer.local, peer.remoteip,
		    peer.remotehost, peer.remoteinfo, NULL, NULL) == -1)
			_exit(1);
		qq_put(&q->qq, hdr.s, hdr.len);
	}
	if (rcv_copy(&in, q, mlen, 0) == -1 || ns_getcomma(&in) != 1)
		_exit(1);
	if (q && q->hops > RCV_MAXHOPS)
		why = "Dtoo many hops, this message is looping (#5.4.6)";
	if (used == total || ns_get(&in, &sender, LIMIT_ADDR) != 1 ||
	    (used += rcv_nslen(sender.len) + sender.len) > total)
		_exit(1);
	if (byte_chr(sender.s, sender.len, 0) < sender.len && !why)
		why = "Dsorry, NUL in the sender address (#5.1.7)";
	while (used < total) {
		if (ns_get(&in, &addr, LIMIT_ADDR) != 1 ||
		    (used += rcv_nslen(addr.len) + addr.len) > total)
			_exit(1);
		if ((addr.len == 0 || byte_chr(addr.s, addr.len, 0) < addr.len) && !why)
			why = "Dsorry, a recipient address is not valid (#5.1.3)";
		if ((++nrcpts > LIMIT_QQ_RCPTS ||
		    rcpts.len > LIMIT_QQ_ENVELOPE) && !why)
			why = "Dtoo many recipients (#5.5.3)";
		if (!why && (sa_catc(&rcpts, 'T') == -1 ||
		    sa_cat(&rcpts, &addr) == -1 || sa_0(&rcpts) == -1))
			why = "Zout of memory (#4.3.0)";
	}
	if (ns_getcomma(&in) != 1)
		_exit(1);
	if (nrcpts == 0 && !why)
		why = "Dno recipients (#5.1.3)";
	if (why) {
		if (q)
			qq_kill(&q->qq);
		answer(why[0], why + 1);
	}
	code = rcv_close(q, &sender, &rcpts);
	if (code != 0) {
		res = rcv_qq_text(q, code, &text, &perm);
		answer(perm ? 'D' : 'Z', res);
	}
	answer('K', rcv_okline(num, m.qq.pid));
}
