/*
 * qmail-smtpd [hostname checkprogram subprogram [args...]]: receive mail by
 * SMTP (RFC 5321 with PIPELINING, 8BITMIME, SIZE, ENHANCEDSTATUSCODES,
 * SMTPUTF8, STARTTLS, AUTH) on fd 0 and fd 1, and hand each message to
 * qmail-queue ($QMAILQUEUE) as it arrives.
 * Reads control/{me,smtpgreeting,localiphost,rcpthosts,morercpthosts.cdb,
 * badmailfrom,databytes,timeoutsmtpd,timeoutsmtpdsession,locals} and the
 * environment tcpserver sets (TCPREMOTEIP, TCPREMOTEHOST, TCPREMOTEINFO,
 * TCPLOCALHOST, TCPLOCALIP, RELAYCLIENT, DATABYTES), the UCSPI-TLS one
 * (SSLCTLFD, SSLREADFD, SSLWRITEFD, SSL_*; it never links a TLS library:
 * the UCSPI-TLS server does the TLS) and UCSPITLS, SMTPAUTHPLAINTEXT,
 * SMTPAUTHSENDER.  AUTH credentials go to checkprogram on its fd 3 (the
 * checkpassword interface).
 * Runs as qmaild under tcpserver, one process per connection.
 * Exit: 0 after QUIT or the client's EOF, 1 after a timeout, a network
 * error, a failed TLS handshake or too many errors; a reply says why
 * whenever it can.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/b64.h"
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
#define AUTH_USER	200	/* bytes in an AUTH user name */
#define AUTH_PASS	300	/* bytes in a password: user\0pass\0\0 fits the 512 of checkpassword */
#define AUTH_FAILS	3	/* failed AUTH attempts before 421 and goodbye */
#define AUTH_DELAY	4	/* seconds before answering failure n: min(n, AUTH_DELAY) */
#define AUTH_TIMEOUT	60	/* seconds checkprogram may take before it is killed */
#define TLS_FACTS	4096	/* bytes of NAME=value facts after STARTTLS */
#define TLS_TIMEOUT	120	/* seconds for the handshake (the server bounds it too) */

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

/* UCSPI-TLS: the descriptors of the TLS server, -1 when absent */
static int tlsctl = -1, tlsrfd = -1, tlswfd = -1;
static int tls;		/* TLS is on: SSL_PROTOCOL at start, or after STARTTLS */
static int tlsreq;	/* UCSPITLS=!: no MAIL or AUTH before TLS */
static int authreq;	/* SMTPAUTHREQUIRED: no MAIL before AUTH (port 587) */

/* SMTP AUTH */
static char **authargv;	/* checkprogram subprogram args, or NULL: no AUTH */
static int authplain;	/* SMTPAUTHPLAINTEXT and a loopback peer: AUTH without TLS */
static int authbind;	/* SMTPAUTHSENDER: MAIL FROM must be the user's */
static int authed, authfails;
static struct sa authuser, auser, apass, resp;
static const char *relay0;	/* RELAYCLIENT as tcpserver set it */
static struct cmap locals;

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

/* AUTH in the EHLO reply: a checkprogram, and TLS or the loopback switch */
static int
auth_offered(void)
{
	return authargv != NULL && (tls || (authplain && !tlsreq));
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
	if (tlsctl != -1 && !tls)
		reply_parts("250", NULL, "STARTTLS", NULL, 1);
	if (auth_offered())
		reply_parts("250", NULL, "AUTH PLAIN LOGIN", NULL, 1);
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

/*
 * SMTPAUTHSENDER: is addr the authenticated user's?  A user name with an
 * '@' must be the address itself; a plain user name u allows u and
 * u@domain for a domain in control/locals or control/rcpthosts (or
 * morercpthosts.cdb).  Case does not matter.  The null sender is nobody's.
 * Returns 1 yes, 0 no, -1 error.
 */
static int
sender_is_users(void)
{
	size_t at = byte_rchr(addr.s, addr.len, '@');
	const char *d;
	size_t n;

	if (addr.len == 0)
		return 0;
	if (byte_chr(authuser.s, authuser.len, '@') < authuser.len)
		return addr.len == authuser.len &&
		    case_equalb(addr.s, addr.len, authuser.s);
	if (at != authuser.len || !case_equalb(addr.s, at, authuser.s))
		return 0;
	if (at == addr.len)
		return 1;	/* no domain: envnoathost, ours */
	d = addr.s + at + 1, n = addr.len - at - 1;
	if (n == 0)
		return 0;
	if (cmap_get(&locals, d, n))
		return 1;
	if (!hosts.have)
		return 0;	/* without rcpthosts every domain would be "ours" */
	return rcv_hosts_allowed(&hosts, addr.s, addr.len);
}

static void
smtp_mail(void)
{
	unsigned long size = 0;
	int want_utf8 = 0;

	if (tlsreq && !tls) {
		err("530", "5.7.0", "Must issue a STARTTLS command first");
		return;
	}
	if (authreq && !authed) {	/* RFC 4954 6: 530 5.7.0 */
		err("530", "5.7.0", "Authentication required (#5.7.0)");
		return;
	}
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
	if (authed && authbind) {
		switch (sender_is_users()) {
		case -1:
			reply("451", "4.3.0", "unable to read controls (#4.3.0)");
			return;
		case 0:
			reply("553", "5.7.1", "sorry, that envelope sender is not yours (#5.7.1)");
			return;
		}
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
	struct rcv_sec sec;
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
	sec.tlsproto = NULL, sec.cipher = NULL, sec.user = NULL;
	if (tls) {
		if ((sec.tlsproto = env_get("SSL_PROTOCOL")) == NULL)
			sec.tlsproto = "TLS";
		sec.cipher = env_get("SSL_CIPHER");
	}
	if (authed)
		sec.user = authuser.s;
	if (rcv_received(&tmp, utf8 ? "UTF8SMTP" :
	    esmtp || tls || authed ? "ESMTP" : "SMTP",
	    peer.local, peer.remoteip, peer.remotehost, peer.remoteinfo,
	    case_equals(peer.remotehost, helo.s) ? NULL : helo.s, &sec) == -1)
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

/*
 * STARTTLS, the application side of UCSPI-TLS (RFC 3207): the TLS server
 * (qmail-tlsd, sslserver -n, s6-tlsd) keeps the socket on fd 0 and 1 and
 * runs the handshake when we write "Y" to SSLCTLFD; it then writes the
 * facts NAME=value\0...\0\0 there and relays plaintext through SSLREADFD
 * and SSLWRITEFD.
 */
static void
tls_facts(void)
{
	char fb[TLS_FACTS];
	size_t n = 0, i, e, len;
	ssize_t r;

	while (!(n == 1 && fb[0] == '\0') &&
	    !(n >= 2 && fb[n - 1] == '\0' && fb[n - 2] == '\0')) {
		if (n == sizeof fb)
			_exit(1);	/* too much: not a server we understand */
		r = io_read(tlsctl, fb + n, sizeof fb - n, TLS_TIMEOUT, deadline);
		if (r <= 0)
			_exit(1);	/* the handshake failed; nothing to say in clear */
		n += (size_t)r;
	}
	for (i = 0; i + 1 < n; i += len + 1) {
		len = str_len(fb + i);
		e = byte_chr(fb + i, len, '=');
		/* only the SSL_ names: the server must not set PATH for us */
		if (e == len || e < 5 || !str_start(fb + i, "SSL_"))
			continue;
		fb[i + e] = '\0';
		if (env_put(fb + i, fb + i + e + 1) == -1)
			die_nomem_smtp();
	}
}

static void
smtp_starttls(void)
{
	if (tls) {
		err("503", "5.5.1", "TLS is already on (#5.5.1)");
		return;
	}
	if (tlsctl == -1) {
		err("502", "5.5.1", "unimplemented (#5.5.1)");
		return;
	}
	if (arg.len) {
		err("501", "5.5.4", "syntax: STARTTLS takes no argument (#5.5.4)");
		return;
	}
	reply("220", "2.0.0", "ready to start TLS");
	if (buf_flush(&out) == -1)
		_exit(1);
	/*
	 * Whatever the client sent after STARTTLS came before the handshake,
	 * in clear, from anyone on the path: never a command (CVE-2011-0411).
	 */
	in.p = in.n = 0;
	if (io_write(tlsctl, "Y", 1, TLS_TIMEOUT, deadline) != 1)
		_exit(1);
	tls_facts();
	in.fd = tlsrfd, out.fd = tlswfd;
	tls = 1;
	/* RFC 3207 4.2: forget all the client told us before */
	reset();
	esmtp = 0;
	if (sa_copys(&helo, peer.remotehost) == -1 || sa_str(&helo) == NULL)
		die_nomem_smtp();
	authed = 0, authuser.len = 0;
	peer.relayclient = relay0;
	if (env_unset("SMTPAUTHUSER") == -1)
		die_nomem_smtp();
}

/* overwrite a secret before its memory is reused or freed */
static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

/* decode one AUTH response; "=" is the empty one (RFC 4954 4) */
static int
auth_decode(struct sa *to, const char *s, size_t n)
{
	if (n == 1 && s[0] == '=')
		return to->len = 0, 0;
	if (b64_decode(to, s, n) == 0)
		return 0;
	if (errno == ENOMEM)
		die_nomem_smtp();
	err("501", "5.5.2", "malformed base64 in AUTH (#5.5.2)");
	return -1;
}

/* a 334 challenge (the base64 text given) and the client's response */
static int
auth_ask(struct sa *to, const char *challenge)
{
	reply_parts("334", NULL, challenge, NULL, 0);
	if (getln() == -1) {
		err("500", "5.5.6", "authentication exchange line is too long (#5.5.6)");
		return -1;
	}
	if (line.len == 1 && line.s[0] == '*') {
		err("501", "5.0.0", "authentication cancelled (#5.0.0)");
		return -1;
	}
	return auth_decode(to, line.s, line.len);
}

/*
 * Run checkprogram with user\0password\0\0 on its fd 3 and fd 0 and 1 on
 * /dev/null (it must not talk to the client).  Returns 0 accepted, 1
 * refused (exit 1), 2 anything else: a temporary failure.
 */
static int
auth_run(void)
{
	char cred[AUTH_USER + AUTH_PASS + 3];
	size_t n = 0;
	int p[2], fd, st, r;
	long ms = 1;
	struct timespec ts;
	time_t until;
	pid_t pid;

	memcpy(cred, auser.s, auser.len), n = auser.len;
	cred[n++] = '\0';
	if (apass.len)
		memcpy(cred + n, apass.s, apass.len), n += apass.len;
	cred[n++] = '\0';
	cred[n++] = '\0';
	if (pipe(p) == -1 || fd_cloexec(p[0]) == -1 || fd_cloexec(p[1]) == -1) {
		wipe(cred, sizeof cred);
		return 2;
	}
	if (buf_flush(&out) == -1)
		_exit(1);
	if ((pid = fork()) == 0) {
		sig_default(SIGPIPE);
		setpgid(0, 0);	/* one kill(-pid) reaches whatever it starts */
		if ((fd = fcntl(p[0], F_DUPFD, 10)) == -1)
			_exit(111);
		if (tlsctl != -1)
			close(tlsctl);
		if (tlsrfd != -1)
			close(tlsrfd);
		if (tlswfd != -1)
			close(tlswfd);
		if ((r = open("/dev/null", O_RDWR)) == -1 ||
		    dup2(r, 0) == -1 || dup2(r, 1) == -1)
			_exit(111);
		if (r > 2)
			close(r);
		if (dup2(fd, 3) == -1)
			_exit(111);
		if (fd != 3)
			close(fd);
		execvp(authargv[0], authargv);
		_exit(111);
	}
	close(p[0]);
	if (pid == -1) {
		close(p[1]);
		wipe(cred, sizeof cred);
		return 2;
	}
	setpgid(pid, pid);	/* either of us may come first */
	/* at most 503 bytes: the pipe takes them without blocking */
	io_writeall(p[1], cred, n);
	close(p[1]);
	wipe(cred, sizeof cred);
	until = time(NULL) + AUTH_TIMEOUT;
	for (;;) {
		r = (int)waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			return 2;
		if (time(NULL) >= until) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			proc_wait(pid, &st);
			return 2;
		}
		ts.tv_sec = 0, ts.tv_nsec = ms * 1000000L;
		nanosleep(&ts, NULL);
		if (ms < 50)
			ms *= 2;
	}
	switch (proc_exitcode(st)) {
	case 0:
		return 0;
	case 1:
		return 1;
	default:
		return 2;
	}
}

/* a user name we pass on: bounded, printable, no space (it reaches the
 * environment and the Received line) */
static int
auth_user_ok(void)
{
	size_t i;

	if (auser.len == 0 || auser.len > AUTH_USER)
		return 0;
	for (i = 0; i < auser.len; i++)
		if ((unsigned char)auser.s[i] <= 32 ||
		    (unsigned char)auser.s[i] == 127)
			return 0;
	return 1;
}

static void
auth_check(void)
{
	int r = 1;
	unsigned d;

	if (auth_user_ok() && apass.len <= AUTH_PASS &&
	    byte_chr(apass.s, apass.len, '\0') == apass.len)
		r = auth_run();
	wipe(apass.s, apass.len);
	apass.len = 0;
	if (r == 0) {
		if (sa_copy(&authuser, &auser) == -1 || sa_str(&authuser) == NULL ||
		    env_put("SMTPAUTHUSER", authuser.s) == -1)
			die_nomem_smtp();
		authed = 1;
		if (peer.relayclient == NULL)
			peer.relayclient = "";	/* relay as RELAYCLIENT="" would */
		reply("235", "2.7.0", "authentication successful");
		return;
	}
	if (r == 2) {
		err("454", "4.7.0", "temporary authentication failure (#4.7.0)");
		return;
	}
	/* slow down a guesser, then stop it */
	d = (unsigned)++authfails;
	if (buf_flush(&out) == -1)
		_exit(1);
	sleep(d < AUTH_DELAY ? d : AUTH_DELAY);
	if (authfails >= AUTH_FAILS) {
		reply("421", "4.7.0", "too many authentication failures, closing connection");
		bye(1);
	}
	reply("535", "5.7.8", "authentication failed (#5.7.8)");
}

/* PLAIN (RFC 4616): [authzid] NUL authcid NUL passwd */
static void
auth_plain(const char *ir, size_t irlen, int hasir)
{
	size_t a, b;

	if (hasir ? auth_decode(&resp, ir, irlen) == -1 : auth_ask(&resp, "") == -1)
		return;
	a = byte_chr(resp.s, resp.len, '\0');
	b = a < resp.len ? a + 1 + byte_chr(resp.s + a + 1, resp.len - a - 1, '\0') :
	    resp.len;
	if (b >= resp.len) {
		wipe(resp.s, resp.len);
		err("501", "5.5.2", "malformed AUTH PLAIN response (#5.5.2)");
		return;
	}
	if (sa_copyb(&auser, resp.s + a + 1, b - a - 1) == -1 ||
	    sa_copyb(&apass, resp.s + b + 1, resp.len - b - 1) == -1)
		die_nomem_smtp();
	/* acting for someone else (an authzid not the user's) is not offered */
	if (a && (a != auser.len || memcmp(resp.s, auser.s, a) != 0))
		auser.len = 0;
	wipe(resp.s, resp.len);
	auth_check();
}

/* LOGIN (draft-murchison-sasl-login): user, then password, each asked */
static void
auth_login(const char *ir, size_t irlen, int hasir)
{
	if (hasir ? auth_decode(&auser, ir, irlen) == -1 :
	    auth_ask(&auser, "VXNlcm5hbWU6") == -1)	/* "Username:" */
		return;
	if (auth_ask(&apass, "UGFzc3dvcmQ6") == -1) {	/* "Password:" */
		wipe(apass.s, apass.len);
		return;
	}
	if (byte_chr(auser.s, auser.len, '\0') < auser.len)
		auser.len = 0;	/* refused by auth_check */
	auth_check();
}

static void
smtp_auth(void)
{
	size_t sp = byte_chr(arg.s, arg.len, ' ');
	const char *ir = sp < arg.len ? arg.s + sp + 1 : NULL;
	size_t irlen = ir ? arg.len - sp - 1 : 0;

	if (authargv == NULL) {
		err("502", "5.5.1", "unimplemented (#5.5.1)");
		return;
	}
	if (!tls && (tlsreq || (!authplain && tlsctl != -1))) {
		err("530", "5.7.0", "Must issue a STARTTLS command first");
		return;
	}
	if (!tls && !authplain) {
		err("538", "5.7.11", "encryption required for requested authentication mechanism (#5.7.11)");
		return;
	}
	if (authed) {
		err("503", "5.5.1", "already authenticated (#5.5.1)");
		return;
	}
	if (seenmail) {
		err("503", "5.5.1", "AUTH not allowed during a mail transaction (#5.5.1)");
		return;
	}
	if (sp == 5 && case_equalb(arg.s, sp, "plain"))
		auth_plain(ir, irlen, ir != NULL);
	else if (sp == 5 && case_equalb(arg.s, sp, "login"))
		auth_login(ir, irlen, ir != NULL);
	else
		err("504", "5.5.4", "unrecognized authentication type (#5.5.4)");
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
	{ "starttls", smtp_starttls },
	{ "auth", smtp_auth },
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

/* a descriptor number from the environment, -1 when unset or not one */
static int
env_fd(const char *name)
{
	const char *v = env_get(name);
	unsigned long u;

	if (v == NULL || *v == '\0' || scan_ulong(v, str_len(v), &u) != str_len(v) ||
	    u > 65535 || fcntl((int)u, F_GETFD) == -1)
		return -1;
	/* not for qmail-queue or checkprogram: they must not hold the TLS pipes */
	fd_cloexec((int)u);
	return (int)u;
}

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 */
static int
ip_is_loopback(const char *ip)
{
	unsigned char a[16];
	static const unsigned char v4mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (inet_pton(AF_INET, ip, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, ip, a) != 1)
		return 0;
	if (memcmp(a, v4mapped, 12) == 0)
		return a[12] == 127;
	return memcmp(a, in6addr_loopback.s6_addr, 16) == 0;
}

static void
setup_tls_auth(int argc, char **argv)
{
	const char *e;
	struct sa x = SA_INIT;
	int r;

	tls = env_get("SSL_PROTOCOL") != NULL;	/* implicit TLS (port 465) */
	if (!tls && (tlsctl = env_fd("SSLCTLFD")) != -1) {
		tlsrfd = env_fd("SSLREADFD"), tlswfd = env_fd("SSLWRITEFD");
		if (tlsrfd == -1 || tlswfd == -1)
			tlsctl = -1;	/* half a UCSPI-TLS server: no STARTTLS */
	}
	tlsreq = (e = env_get("UCSPITLS")) != NULL && str_equal(e, "!");
	authreq = env_get("SMTPAUTHREQUIRED") != NULL;
	/* only we say who authenticated; never a tcprules line */
	if (env_unset("SMTPAUTHUSER") == -1)
		die_nomem_smtp();
	relay0 = peer.relayclient;
	if (argc < 3)
		return;		/* no checkprogram: no AUTH */
	authargv = argv + 2;
	authplain = env_get("SMTPAUTHPLAINTEXT") != NULL &&
	    ip_is_loopback(peer.remoteip);
	if (env_get("SMTPAUTHSENDER") == NULL)
		return;
	authbind = 1;
	if ((r = ctl_readfile(&x, "control/locals")) == -1)
		die_control();
	if (r == 0 && (sa_copy(&x, &me) == -1 || sa_0(&x) == -1))
		die_nomem_smtp();	/* no locals: me, as qmail-send */
	if (x.len && cmap_init(&locals, x.s, x.len, 0) == -1)
		die_nomem_smtp();
	sa_free(&x);
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
main(int argc, char **argv)
{
	sig_ignore(SIGPIPE);
	setup();
	setup_tls_auth(argc, argv);
	reply_parts("220", NULL, greeting.s, " ESMTP", 0);
	for (;;) {
		if (getln() == -1) {
			err("500", "5.5.2", "line too long (#5.5.2)");
			continue;
		}
		dispatch();
	}
}
