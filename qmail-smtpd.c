/*
 * qmail-smtpd: receive mail by SMTP (RFC 5321 with PIPELINING, 8BITMIME,
 * SIZE, ENHANCEDSTATUSCODES, SMTPUTF8) on fd 0 and fd 1, and hand each
 * message to qmail-queue ($QMAILQUEUE) as it arrives.
 * Reads control/{me,smtpgreeting,localiphost,rcpthosts,morercpthosts.cdb,
 * badmailfrom,databytes,timeoutsmtpd,timeoutsmtpdsession} and the
 * environment tcpserver sets (TCPREMOTEIP, TCPREMOTEHOST, TCPREMOTEINFO,
 * TCPLOCALHOST, TCPLOCALIP, RELAYCLIENT, DATABYTES).
 * Runs as qmaild under tcpserver, one process per connection.
 * Exit: 0 after QUIT or the client's EOF, 1 after a timeout, a network
 * error or too many errors; a reply says why whenever it can.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <ifaddrs.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/conf.h"
#include "lib/control.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/limit.h"
#include "lib/proc.h"
#include "lib/rcv.h"
#include "lib/smtp.h"
#include "lib/str.h"

const char prog[] = "qmail-smtpd";

#define SMTP_LINE	1000	/* bytes in a command line with its CR LF; RFC 5321 4.5.3.1.4 asks 512 */
#define SMTP_RCPTS	1000	/* recipients in one message; RFC 5321 4.5.3.1.8 asks 100 */
#define SMTP_ERRORS	20	/* protocol errors before 421 and goodbye */

static char inspace[BUF_SIZE], outspace[BUF_SIZE];
static struct buf in = BUF_INIT(0, inspace);
static struct buf out = BUF_INIT(1, outspace);

static struct sa me, greeting, localiphost;
static struct sa line, arg, addr, helo, mailfrom, rcpts, tmp;
static struct cmap bmf;
static struct rcv_hosts hosts;
static unsigned long databytes;
static time_t deadline;
static struct rcv_peer peer;
static int esmtp;	/* EHLO seen: enhanced status codes in replies */
static int seenmail, utf8, flagbmf, errors;
static unsigned long nrcpts;

static NORETURN void
bye(int code)
{
	buf_flush(&out);
	_exit(code);
}

/*
 * One reply line.  With ENHANCEDSTATUSCODES (RFC 2034) the code goes first
 * in the text: enh if given, else the "(#x.y.z)" the text ends with.
 */
static void
reply_parts(const char *code, const char *enh, const char *text,
    const char *text2, int more)
{
	const char *p;
	size_t n;

	if (buf_puts(&out, code) == -1 || buf_puts(&out, more ? "-" : " ") == -1)
		bye(1);
	if (esmtp) {
		if (enh == NULL && (p = strstr(text, "(#")) != NULL &&
		    (n = strcspn(p + 2, ")")) >= 5 && n <= 11 && p[2 + n] == ')') {
			if (buf_put(&out, p + 2, n) == -1 || buf_puts(&out, " ") == -1)
				bye(1);
		} else if (enh && (buf_puts(&out, enh) == -1 ||
		    buf_puts(&out, " ") == -1))
			bye(1);
	}
	if (buf_puts(&out, text) == -1 || (text2 && buf_puts(&out, text2) == -1) ||
	    buf_puts(&out, "\r\n") == -1)
		bye(1);
}

static void
reply(const char *code, const char *enh, const char *text)
{
	reply_parts(code, enh, text, NULL, 0);
}

/* a protocol error: counts toward SMTP_ERRORS */
static void
err(const char *code, const char *enh, const char *text)
{
	if (++errors >= SMTP_ERRORS) {
		reply("421", "4.7.0", "too many errors, closing connection");
		bye(1);
	}
	reply(code, enh, text);
}

static NORETURN void
die_nomem_smtp(void)
{
	reply("421", "4.3.0", "out of memory (#4.3.0)");
	bye(1);
}

static NORETURN void
die_control(void)
{
	reply("421", "4.3.0", "unable to read controls (#4.3.0)");
	bye(1);
}

/* A read or write ran out of time: which clock? */
static NORETURN void
die_timeout(void)
{
	out.timeout = 5, out.deadline = 0;	/* a last word, briefly */
	if (deadline && time(NULL) >= deadline)
		reply("421", "4.4.2", "session time limit exceeded, closing connection (#4.4.2)");
	else
		reply("451", "4.4.2", "timeout (#4.4.2)");
	bye(1);
}

/* The unread input; flush the replies first whenever we are about to wait
 * for more, so a pipelining client sees them (RFC 2920). */
static char *
peek(size_t *n)
{
	ssize_t r;

	if (in.p == in.n) {
		if (buf_flush(&out) == -1)
			_exit(1);
		r = buf_fill(&in);
		if (r == -1) {
			if (errno == ETIMEDOUT)
				die_timeout();
			_exit(1);
		}
		if (r == 0)
			_exit(0);	/* the client went away */
	}
	*n = in.n - in.p;
	return in.x + in.p;
}

/* One command line into `line`, CR LF (or a bare LF) removed.  Returns 0,
 * or -1 if it was too long: then the rest of it has been read and dropped. */
static int
getln(void)
{
	size_t avail, i, take;
	int toolong = 0;
	char *p;

	line.len = 0;
	for (;;) {
		p = peek(&avail);
		i = byte_chr(p, avail, '\n');
		take = i < avail ? i + 1 : avail;
		if (!toolong && take > SMTP_LINE - line.len)
			toolong = 1;
		if (!toolong && sa_catb(&line, p, take) == -1)
			die_nomem_smtp();
		buf_seek(&in, take);
		if (i < avail)
			break;
	}
	if (toolong)
		return -1;
	--line.len;
	if (line.len && line.s[line.len - 1] == '\r')
		--line.len;
	return 0;
}

static void
reset(void)
{
	seenmail = utf8 = flagbmf = 0;
	nrcpts = 0;
	rcpts.len = mailfrom.len = 0;
}

static void
smtp_greet(const char *code, const char *enh, int more)
{
	reply_parts(code, enh, greeting.s, NULL, more);
}

static void
smtp_helo(void)
{
	if (arg.len == 0) {
		err("501", "5.5.4", "syntax: HELO hostname (#5.5.4)");
		return;
	}
	reset();
	if (sa_copy(&helo, &arg) == -1 || sa_str(&helo) == NULL)
		die_nomem_smtp();
	esmtp = 0;
	smtp_greet("250", NULL, 0);
}

static void
smtp_ehlo(void)
{
	char num[FMT_ULONG];

	if (arg.len == 0) {
		err("501", "5.5.4", "syntax: EHLO hostname (#5.5.4)");
		return;
	}
	reset();
	if (sa_copy(&helo, &arg) == -1 || sa_str(&helo) == NULL)
		die_nomem_smtp();
	esmtp = 0;	/* the EHLO reply itself has no enhanced codes (RFC 2034) */
	smtp_greet("250", NULL, 1);
	reply_parts("250", NULL, "PIPELINING", NULL, 1);
	reply_parts("250", NULL, "8BITMIME", NULL, 1);
	if (databytes) {
		num[fmt_ulong(num, databytes)] = 0;
		reply_parts("250", NULL, "SIZE ", num, 1);
	} else
		reply_parts("250", NULL, "SIZE", NULL, 1);	/* no limit (RFC 1870) */
	reply_parts("250", NULL, "ENHANCEDSTATUSCODES", NULL, 1);
	reply_parts("250", NULL, "SMTPUTF8", NULL, 0);
	esmtp = 1;
}

/* box@[a.b.c.d] naming one of our own addresses becomes box@localiphost */
static int
ip_is_mine(const char *lit)
{
	unsigned char want[16], got[16];
	struct ifaddrs *ifa, *i;
	int fam, found = 0;
	const char *lip;
	size_t wlen;

	if (case_startb(lit, str_len(lit), "ipv6:")) {
		fam = AF_INET6, lit += 5, wlen = 16;
	} else
		fam = AF_INET, wlen = 4;
	if (inet_pton(fam, lit, want) != 1)
		return 0;
	if ((lip = env_get("TCPLOCALIP")) != NULL &&
	    (inet_pton(fam, lip, got) == 1) && memcmp(got, want, wlen) == 0)
		return 1;
	if (getifaddrs(&ifa) == -1)
		return 0;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != fam)
			continue;
		if (fam == AF_INET)
			found = memcmp(&((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr, want, 4) == 0;
		else
			found = memcmp(&((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr, want, 16) == 0;
	}
	freeifaddrs(ifa);
	return found;
}

static void
literal(void)
{
	size_t at = addr_at(addr.s, addr.len), n;
	char lit[64];

	if (at == addr.len || addr.len - at < 4 || addr.s[at + 1] != '[' ||
	    addr.s[addr.len - 1] != ']')
		return;
	n = addr.len - at - 3;
	if (n >= sizeof lit)
		return;
	memcpy(lit, addr.s + at + 2, n);
	lit[n] = 0;
	if (!ip_is_mine(lit))
		return;
	addr.len = at + 1;
	if (sa_cat(&addr, &localiphost) == -1)
		die_nomem_smtp();
}

/*
 * "FROM:" or "TO:" and a path into addr; the ESMTP parameters after it are
 * left in tmp.  Returns 0, or -1 for a syntax error.
 */
static int
parse_path(const char *what)
{
	size_t used;

	if ((used = smtp_path(&addr, arg.s, arg.len, what)) == 0)
		return -1;
	if (sa_copyb(&tmp, arg.s + used, arg.len - used) == -1)
		die_nomem_smtp();
	literal();
	return 0;
}

static void
smtp_mail(void)
{
	unsigned long size = 0;
	int want_utf8 = 0;

	if (seenmail) {
		err("503", "5.5.1", "nested MAIL command (#5.5.1)");
		return;
	}
	if (parse_path("from:") == -1) {
		err("501", "5.5.4", "syntax error in MAIL FROM (#5.5.4)");
		return;
	}
	switch (smtp_mail_params(tmp.s, tmp.len, &size, &want_utf8)) {
	case SMTP_MP_SIZE:
		err("501", "5.5.4", "syntax error in SIZE (#5.5.4)");
		return;
	case SMTP_MP_BODY:
		err("501", "5.5.4", "unknown BODY type (#5.5.4)");
		return;
	case SMTP_MP_UNKNOWN:
		err("555", "5.5.4", "unsupported MAIL parameter (#5.5.4)");
		return;
	}
	if (databytes && size > databytes) {
		reply("552", "5.3.4", "sorry, that message size exceeds my databytes limit (#5.3.4)");
		return;
	}
	if (sa_copy(&mailfrom, &addr) == -1)
		die_nomem_smtp();
	flagbmf = rcv_bmf_match(&bmf, addr.s, addr.len);
	seenmail = 1, utf8 = want_utf8;
	nrcpts = 0, rcpts.len = 0;
	reply("250", "2.1.0", "ok");
}

static void
smtp_rcpt(void)
{
	size_t pos = 0, ps, pn;
	int r;

	if (!seenmail) {
		err("503", "5.5.1", "MAIL first (#5.5.1)");
		return;
	}
	if (parse_path("to:") == -1 || addr.len == 0) {
		err("501", "5.5.4", "syntax error in RCPT TO (#5.5.4)");
		return;
	}
	if (smtp_next_param(tmp.s, tmp.len, &pos, &ps, &pn)) {
		err("555", "5.5.4", "unsupported RCPT parameter (#5.5.4)");
		return;
	}
	if (flagbmf) {
		reply("553", "5.7.1", "sorry, your envelope sender is in my badmailfrom list (#5.7.1)");
		return;
	}
	if (nrcpts >= SMTP_RCPTS) {
		reply("452", "4.5.3", "too many recipients (#4.5.3)");
		return;
	}
	if (peer.relayclient) {
		if (sa_cats(&addr, peer.relayclient) == -1)
			die_nomem_smtp();
	} else {
		r = rcv_hosts_allowed(&hosts, addr.s, addr.len);
		if (r == -1) {
			reply("451", "4.3.0", "unable to read controls (#4.3.0)");
			return;
		}
		if (r == 0) {
			reply("553", "5.7.1", "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)");
			return;
		}
	}
	if (sa_catc(&rcpts, 'T') == -1 || sa_cat(&rcpts, &addr) == -1 ||
	    sa_0(&rcpts) == -1)
		die_nomem_smtp();
	++nrcpts;
	reply("250", "2.1.5", "ok");
}

/* The message after DATA, through lib/smtp.h's state machine, into m. */
struct body {
	struct rcv_msg		*m;
	char			 ob[BUF_SIZE];
	size_t			 on;
	struct smtp_data	 d;
};

static void
read_data(struct body *b)
{
	size_t avail, used, got;
	char *p;

	for (;;) {
		p = peek(&avail);
		used = smtp_data_scan(&b->d, p, avail, b->ob + b->on,
		    sizeof b->ob - b->on, &got);
		buf_seek(&in, used);
		b->on += got;
		if (b->d.done || sizeof b->ob - b->on < 2) {
			if (b->on)
				rcv_put(b->m, b->ob, b->on);
			b->on = 0;
		}
		if (b->d.done)
			return;
	}
}

static void
smtp_data(void)
{
	struct rcv_msg m;
	struct body b;
	struct sa text = SA_INIT;
	const char *why;
	char num[RCV_OKLEN];
	int code, perm;

	if (!seenmail) {
		err("503", "5.5.1", "MAIL first (#5.5.1)");
		return;
	}
	if (nrcpts == 0) {
		err("503", "5.5.1", "RCPT first (#5.5.1)");
		return;
	}
	if (arg.len) {
		err("501", "5.5.4", "syntax: DATA takes no argument (#5.5.4)");
		return;
	}
	if (rcv_open(&m) == -1) {
		reply("451", "4.3.0", "qqt failure (#4.3.0)");
		return;
	}
	if (rcv_received(&tmp, utf8 ? "UTF8SMTP" : esmtp ? "ESMTP" : "SMTP",
	    peer.local, peer.remoteip, peer.remotehost, peer.remoteinfo,
	    case_equals(peer.remotehost, helo.s) ? NULL : helo.s) == -1)
		die_nomem_smtp();
	qq_put(&m.qq, tmp.s, tmp.len);
	reply("354", NULL, "go ahead");
	memset(&b, 0, sizeof b);
	b.m = &m;
	read_data(&b);
	if (b.d.bare || m.hops > RCV_MAXHOPS ||
	    (databytes && m.bytes > databytes)) {
		qq_kill(&m.qq);
		if (b.d.bare)
			reply("554", "5.6.0", "bare LF or CR not allowed, see RFC 5321 2.3.8 (#5.6.0)");
		else if (m.hops > RCV_MAXHOPS)
			reply("554", "5.4.6", "too many hops, this message is looping (#5.4.6)");
		else
			reply("552", "5.3.4", "sorry, that message size exceeds my databytes limit (#5.3.4)");
		reset();
		return;
	}
	code = rcv_close(&m, &mailfrom, &rcpts);
	if (code == 0)
		reply("250", "2.6.0", rcv_okline(num, m.qq.pid));
	else {
		why = rcv_qq_text(&m, code, &text, &perm);
		if (perm)
			reply("554", strstr(why, "(#") ? NULL : "5.3.0", why);
		else
			reply("451", strstr(why, "(#") ? NULL : "4.3.0", why);
	}
	sa_free(&text);
	reset();
}

static void
smtp_rset(void)
{
	reset();
	reply("250", "2.0.0", "ok");
}

static void
smtp_noop(void)
{
	reply("250", "2.0.0", "ok");
}

static void
smtp_vrfy(void)
{
	reply("252", "2.1.5", "send some mail, i'll try my best");
}

static void
smtp_help(void)
{
	reply("214", "2.0.0", "qmail-smtpd: see RFC 5321 and qmail-smtpd(8)");
}

static void
smtp_quit(void)
{
	smtp_greet("221", "2.0.0", 0);
	bye(0);
}

static const struct cmd {
	const char	*name;
	void		(*fn)(void);
} cmds[] = {
	{ "helo", smtp_helo },
	{ "ehlo", smtp_ehlo },
	{ "mail", smtp_mail },
	{ "rcpt", smtp_rcpt },
	{ "data", smtp_data },
	{ "rset", smtp_rset },
	{ "noop", smtp_noop },
	{ "vrfy", smtp_vrfy },
	{ "help", smtp_help },
	{ "quit", smtp_quit },
	{ NULL, NULL }
};

static void
dispatch(void)
{
	const struct cmd *c;
	size_t v, a, n;

	if (smtp_split(line.s, line.len, &v, &a, &n) == -1) {
		err("500", "5.5.2", "NUL in command (#5.5.2)");
		return;
	}
	if (sa_copyb(&arg, line.s + a, n) == -1)
		die_nomem_smtp();
	for (c = cmds; c->name; c++)
		if (v == str_len(c->name) && case_equalb(line.s, v, c->name)) {
			c->fn();
			return;
		}
	err("502", "5.5.1", "unimplemented (#5.5.1)");
}

static void
setup(void)
{
	struct sa x = SA_INIT;

	if (chdir(conf_qmail) == -1)
		die_control();
	if (ctl_me(&me) == -1 || sa_str(&me) == NULL)
		die_control();
	if (ctl_rldef(&greeting, "control/smtpgreeting", me.s) == -1 ||
	    sa_str(&greeting) == NULL)
		die_control();
	if (ctl_rldef(&localiphost, "control/localiphost", me.s) == -1)
		die_control();
	if (rcv_timeouts(&in, &out, &deadline) == -1 ||
	    rcv_databytes(&databytes) == -1)
		die_control();
	if (ctl_readfile(&x, "control/badmailfrom") == -1 ||
	    (x.len && cmap_init(&bmf, x.s, x.len, 0) == -1))
		die_control();
	sa_free(&x);
	if (rcv_hosts_init(&hosts) == -1)
		die_control();
	rcv_peer(&peer);
	/* no HELO yet: the Received line names the peer once, as qmail's */
	if (sa_copys(&helo, peer.remotehost) == -1 || sa_str(&helo) == NULL)
		die_nomem_smtp();
}

int
main(void)
{
	sig_ignore(SIGPIPE);
	setup();
	reply_parts("220", NULL, greeting.s, " ESMTP", 0);
	for (;;) {
		if (getln() == -1) {
			err("500", "5.5.2", "line too long (#5.5.2)");
			continue;
		}
		dispatch();
	}
}
