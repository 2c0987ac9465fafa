/*
 * qmail-qmtpd: receive mail by QMTP on fd 0 and fd 1.  The client sends
 * packages, as many as it likes and without waiting: a netstring holding
 * the message (its first byte "\n": LF line ends follow; "\r": CR LF line
 * ends follow, turned into LF), a netstring holding the sender, and a
 * netstring holding the recipients, each itself a netstring.  For each
 * recipient the server answers one netstring: "K" accepted, "Z" temporary
 * failure, "D" permanent failure, then text.  The message goes to
 * qmail-queue ($QMAILQUEUE) while it arrives.
 * Reads control/{rcpthosts,morercpthosts.cdb,databytes,timeoutsmtpd,
 * timeoutsmtpdsession} and TCPREMOTEIP, TCPREMOTEHOST, TCPREMOTEINFO,
 * TCPLOCALHOST, RELAYCLIENT, DATABYTES.  Runs as qmaild under tcpserver.
 * Exit: 0 at the client's EOF between packages; 1 on a protocol error
 * (a malformed netstring: the connection is simply closed), a timeout or
 * a network error; 111 if the control files cannot be read.
 */
#include <errno.h>
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
#include "lib/qmtp.h"
#include "lib/rcv.h"
#include "lib/str.h"

const char prog[] = "qmail-qmtpd";

#define QMTP_RCPTS	1000		/* recipients queued per message; more get Z */
#define QMTP_RCPTBYTES	(2UL << 20)	/* bytes of the recipient list */
#define QMTP_MSG	(1UL << 40)	/* a longer length is nonsense: close */

static char inspace[BUF_SIZE], outspace[BUF_SIZE];
static struct buf in = BUF_INIT(0, inspace);
static struct buf out = BUF_INIT(1, outspace);

static struct sa sender, rcpt, rcpts, status, hdr, reply;
static struct rcv_hosts hosts;
static unsigned long databytes;
static struct rcv_peer peer;

static NORETURN void
bye(int code)
{
	_exit(code);
}

static void
answer(char kind, const char *text)
{
	reply.len = 0;
	if (sa_catc(&reply, kind) == -1 || sa_cats(&reply, text) == -1)
		bye(1);
	if (buf_putulong(&out, (unsigned long)reply.len) == -1 ||
	    buf_put(&out, ":", 1) == -1 ||
	    buf_put(&out, reply.s, reply.len) == -1 ||
	    buf_put(&out, ",", 1) == -1)
		bye(1);
}

/* Read one package and answer it.  Returns 0 at a clean EOF before it. */
static int
package(void)
{
	struct rcv_msg m, *q = NULL;
	struct sa text = SA_INIT;
	size_t mlen, left, alen, i;
	const char *why = NULL, *res = "";
	char num[RCV_OKLEN];
	int crlf, code = 0, perm = 0, r;
	unsigned long accepted = 0;
	char kind;

	if (in.p == in.n && buf_flush(&out) == -1)
		bye(1);
	if ((r = qmtp_msghead(&in, QMTP_MSG, &mlen, &crlf)) == 0)
		return 0;
	if (r == -1)
		bye(1);
	if (databytes && mlen > databytes)
		why = "Dsorry, that message size exceeds my databytes limit (#5.3.4)";
	else if (rcv_open(&m) == -1)
		why = "Zqqt failure (#4.3.0)";
	else {
		q = &m;
		if (rcv_received(&hdr, "QMTP", peer.local, peer.remoteip,
		    peer.remotehost, peer.remoteinfo, NULL, NULL) == -1)
			bye(1);
		qq_put(&q->qq, hdr.s, hdr.len);
	}
	if (rcv_copy(&in, q, mlen, crlf) == -1 || ns_getcomma(&in) != 1)
		bye(1);
	if (q && databytes && q->bytes > databytes)
		why = "Dsorry, that message size exceeds my databytes limit (#5.3.4)";
	if (q && q->hops > RCV_MAXHOPS)
		why = "Dtoo many hops, this message is looping (#5.4.6)";
	if (ns_get(&in, &sender, LIMIT_ADDR) != 1)
		bye(1);
	if (byte_chr(sender.s, sender.len, 0) < sender.len && !why)
		why = "Dsorry, NUL in the sender address (#5.1.7)";
	if (qmtp_rcptlist(&in, QMTP_RCPTBYTES, &left) != 1)
		bye(1);
	rcpts.len = status.len = 0;
	while ((r = qmtp_rcpt(&in, &left, &rcpt, LIMIT_ADDR)) != 0) {
		if (r == -1)
			bye(1);
		alen = rcpt.len;
		kind = 'K';
		if (alen == 0 || byte_chr(rcpt.s, alen, 0) < alen)
			kind = 'S';	/* syntax */
		else if (peer.relayclient) {
			if (sa_cats(&rcpt, peer.relayclient) == -1)
				bye(1);
		} else if ((r = rcv_hosts_allowed(&hosts, rcpt.s, alen)) == -1)
			kind = 'C';	/* cannot read controls */
		else if (r == 0)
			kind = 'D';
		if (kind == 'K' && accepted >= QMTP_RCPTS)
			kind = 'Z';
		if (kind == 'K') {
			++accepted;
			if (sa_catc(&rcpts, 'T') == -1 ||
			    sa_cat(&rcpts, &rcpt) == -1 || sa_0(&rcpts) == -1)
				bye(1);
		}
		if (sa_catc(&status, kind) == -1)
			bye(1);
	}
	if (ns_getcomma(&in) != 1)
		bye(1);
	if (q && (why || accepted == 0)) {
		qq_kill(&q->qq);
		q = NULL;
	} else if (q) {
		code = rcv_close(q, &sender, &rcpts);
		if (code == 0)
			rcv_okline(num, m.qq.pid);
		else
			res = rcv_qq_text(q, code, &text, &perm);
	}
	for (i = 0; i < status.len; i++) {
		switch (status.s[i]) {
		case 'K':
			if (!q)
				answer(why ? why[0] : 'Z', why ? why + 1 : "qqt failure (#4.3.0)");
			else if (code == 0)
				answer('K', num);
			else
				answer(perm ? 'D' : 'Z', res);
			break;
		case 'S':
			answer('D', "sorry, that address is not valid (#5.1.3)");
			break;
		case 'C':
			answer('Z', "unable to read controls (#4.3.0)");
			break;
		case 'D':
			answer('D', "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)");
			break;
		case 'Z':
			answer('Z', "too many recipients (#4.5.3)");
			break;
		default:
			answer(why ? why[0] : 'Z', why ? why + 1 : "qqt failure (#4.3.0)");
		}
	}
	sa_free(&text);
	return 1;
}

int
main(void)
{
	time_t deadline;

	sig_ignore(SIGPIPE);
	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	if (rcv_timeouts(&in, &out, &deadline) == -1 ||
	    rcv_databytes(&databytes) == -1 || rcv_hosts_init(&hosts) == -1)
		die_temp_sys("unable to read controls");
	rcv_peer(&peer);
	while (package())
		;
	if (buf_flush(&out) == -1)
		bye(1);
	return 0;
}
