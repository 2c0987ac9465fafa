/*
 * qmail-remote: deliver one message to the SMTP server of one host, for
 * one or more recipients: `qmail-remote host sender recip [recip...]`.
 * Reads the message on fd 0 (seekable), control/me, helohost,
 * smtproutes, tlsdestinations, timeoutconnect, timeoutremote, moreipme;
 * reads and writes queue/lock/tcpto.  STARTTLS with every server that
 * offers it, as the destination's TLS policy says: the TLS itself is
 * bin/qmail-tlsc's (qmail-remote links libc only).  Writes one report per
 * recipient (r, h or s + text + NUL), then one for the message (K, Z or D
 * + text + NUL) on fd 1, as qmail-remote(8) says.  Runs as qmailr,
 * started by qmail-rspawn.
 * Exit: 0 whenever the report was written (the failure is in it), 111 if
 * even that failed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/conf.h"
#include "lib/control.h"
#include "lib/die.h"
#include "lib/dns.h"
#include "lib/io.h"
#include "lib/proc.h"
#include "lib/str.h"

const char prog[] = "qmail-remote";

#define REPLY_KEEP	4000	/* bytes of a server reply kept for the report */
#define REPLY_LINES	200	/* lines one reply may have */
#define LINE_MAX_SMTP	2048	/* bytes of one reply line read at once */

static char outspace[4096];
static struct buf out = BUF_INIT(1, outspace);
static char sinspace[8192], soutspace[65536];
static struct buf sin, sout;
static int smtpfd = -1;
static struct ip partner;
static int critical;		/* the final dot has been sent */
static struct sa reply = SA_INIT;	/* text of the last reply */
static struct sa line = SA_INIT;
static unsigned long timeoutconnect = 60, timeoutremote = 1200;
static struct sa helohost = SA_INIT;
static struct sa routes = SA_INIT;
static struct sa tlsdests = SA_INIT;

/*
 * The TLS policy of this delivery, set in one place: tls_policy().
 * level: none (never STARTTLS), may (STARTTLS when offered; a failed
 * handshake retries the host once in plaintext), encrypt (TLS or no
 * delivery), verify (TLS, and the certificate must verify for the host
 * name of the server: the MX name, or the smtproutes relay's).  names,
 * under verify only: the host names this delivery may use, MTA-STS mx
 * patterns like "*.example.net" allowed (RFC 8461 3.4); a server whose
 * name matches none of them is not tried at all (RFC 8461 4.1).  nnames 0:
 * every server.  source says who set the level, for the failure report.
 */
enum { TLS_NONE, TLS_MAY, TLS_ENCRYPT, TLS_VERIFY };
static const char *const tls_levels[] = { "none", "may", "encrypt", "verify" };
struct tlspolicy {
	int		 level;
	const char	*source;
	char		**names;
	size_t		 nnames;
};
static struct tlspolicy tlspol = { TLS_MAY, "default", NULL, 0 };

/* this connection's TLS */
static const char *partner_name = "";	/* its host name, "" for a literal */
static pid_t tlspid = -1;	/* qmail-tlsc, once started */
static int tlsfd_in = -1, tlsfd_out = -1;	/* its plaintext pipes */
static struct sa tlsnote = SA_INIT;	/* " TLS TLSv1.3 ..., certificate ..." */
static struct sa tlsfail = SA_INIT;	/* why TLS-required delivery failed */
static const char *desthost;	/* the domain delivered to */

/* the report on fd 1 */
static void
outs(const char *s)
{
	if (buf_puts(&out, s) == -1)
		_exit(EXIT_TEMP);
}

static void
outb(const char *s, size_t n)
{
	if (buf_put(&out, s, n) == -1)
		_exit(EXIT_TEMP);
}

static void
zero(void)
{
	outb("", 1);
}

NORETURN static void
zerodie(void)
{
	zero();
	if (buf_flush(&out) == -1)
		_exit(EXIT_TEMP);
	_exit(0);
}

static void
outhost(void)
{
	char b[IP_FMT];

	outb(b, ip_fmt(b, &partner));
}

static void
outsmtptext(void)
{
	if (reply.len == 0)
		return;
	outs("Remote host said: ");
	outb(reply.s, reply.len);
}

NORETURN static void
fail(const char *s)	/* a whole message report: "Ztext" or "Dtext" */
{
	outs(s);
	zerodie();
}

static void temp_nomem(void) { fail("ZOut of memory. (#4.3.0)\n"); }
static void temp_oserr(void) { fail("ZSystem resources temporarily unavailable. (#4.3.0)\n"); }
static void temp_read(void) { fail("ZUnable to read message. (#4.3.0)\n"); }
static void temp_chdir(void) { fail("ZUnable to switch to home directory. (#4.3.0)\n"); }
static void temp_control(void) { fail("ZUnable to read control files. (#4.3.0)\n"); }
static void temp_dns(void) { fail("ZSorry, I couldn't find any host by that name. (#4.1.2)\n"); }
static void temp_noconn(void) { fail("ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"); }
static void perm_usage(void) { fail("DI (qmail-remote) was invoked improperly. (#5.3.5)\n"); }
static void perm_nomx(void) { fail("DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n"); }
static void perm_ambigmx(void)
{
	fail("DSorry. Although I'm listed as a best-preference MX or A for that host,\n"
	    "it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n");
}

NORETURN static void
perm_dns(const char *host)
{
	outs("DSorry, I couldn't find any host named ");
	outs(host);
	fail(". (#5.1.2)\n");
}

NORETURN static void
perm_nullmx(const char *host)
{
	outs("DSorry, ");
	outs(host);
	fail(" does not accept mail: it publishes a null MX (RFC 7505). (#5.1.10)\n");
}

/* the SMTP connection */
NORETURN static void
dropped(void)
{
	outs("ZConnected to ");
	outhost();
	outs(" but connection died. ");
	if (critical)
		outs("Possible duplicate! ");
	fail("(#4.4.2)\n");
}

static void
smtp_put(const char *s, size_t n)
{
	if (buf_put(&sout, s, n) == -1)
		dropped();
}

static void
smtp_puts(const char *s)
{
	smtp_put(s, str_len(s));
}

static void
smtp_flush(void)
{
	if (buf_flush(&sout) == -1)
		dropped();
}

/* Read one reply into `reply`; its code, or 400 for a reply that does not
 * start with three digits (never mistake garbage for success); -1 when
 * the connection failed (errno says how). */
static int
smtp_reply(void)
{
	int code = -1, lines = 0, r;
	size_t i, n;

	reply.len = 0;
	for (;;) {
		line.len = 0;
		r = buf_getline(&sin, &line, '\n', LINE_MAX_SMTP);
		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;
			return -1;
		}
		if (r == 2) {	/* too long: keep the start, skip the rest */
			struct sa rest = SA_INIT;
			do {
				rest.len = 0;
				r = buf_getline(&sin, &rest, '\n', LINE_MAX_SMTP);
			} while (r == 2);
			sa_free(&rest);
			if (r <= 0)
				return errno = ECONNRESET, -1;
		}
		n = line.len;
		while (n > 0 && (line.s[n - 1] == '\n' || line.s[n - 1] == '\r'))
			--n;
		if (code == -1) {
			if (n >= 3 && line.s[0] >= '2' && line.s[0] <= '5' &&
			    line.s[1] >= '0' && line.s[1] <= '9' &&
			    line.s[2] >= '0' && line.s[2] <= '9' &&
			    (n == 3 || line.s[3] == ' ' || line.s[3] == '-'))
				code = (line.s[0] - '0') * 100 +
				    (line.s[1] - '0') * 10 + (line.s[2] - '0');
			else
				code = 400;
		}
		if (reply.len + n < REPLY_KEEP) {
			for (i = 0; i < n; i++)
				if (line.s[i] == 0)
					line.s[i] = '?';	/* reports are NUL-separated */
			if (sa_catb(&reply, line.s, n) == -1 ||
			    sa_catc(&reply, '\n') == -1)
				temp_nomem();
		}
		if (n < 4 || line.s[3] != '-' || ++lines >= REPLY_LINES)
			return code;
	}
}

static int
smtp_code(void)
{
	int c = smtp_reply();

	if (c == -1)
		dropped();
	return c;
}

/* Polite but brief: wait a little for the QUIT reply, never long. */
static void
smtp_quit(void)
{
	struct sa keep = SA_INIT;

	if (buf_puts(&sout, "QUIT\r\n") == -1 || buf_flush(&sout) == -1)
		return;
	if (sa_copy(&keep, &reply) == -1)
		return;
	sin.timeout = timeoutremote < 10 ? (int)timeoutremote : 10;
	(void)smtp_reply();
	(void)sa_copy(&reply, &keep);
	sa_free(&keep);
}

/* End the session: QUIT, then the message report "<c>IP<text>.", what
 * TLS there was, and the last reply. */
NORETURN static void
quit(const char *prepend, const char *append)
{
	smtp_quit();
	outs(prepend);
	outhost();
	outs(append);
	outs(".");
	outb(tlsnote.s, tlsnote.len);
	outs("\n");
	outsmtptext();
	zerodie();
}

/* Connect within timeoutconnect; 0 connected, -1 with errno. */
static int
tcp_connect(int fd, const struct ip *ip, unsigned long port)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	const struct sockaddr *sa;
	socklen_t len, elen;
	int err;

	if (ip->af == 4) {
		memset(&s4, 0, sizeof s4);
		s4.sin_family = AF_INET;
		s4.sin_port = htons((unsigned short)port);
		memcpy(&s4.sin_addr, ip->a, 4);
		sa = (const struct sockaddr *)(const void *)&s4, len = sizeof s4;
	} else {
		memset(&s6, 0, sizeof s6);
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons((unsigned short)port);
		memcpy(&s6.sin6_addr, ip->a, 16);
		sa = (const struct sockaddr *)(const void *)&s6, len = sizeof s6;
	}
	if (fd_nonblock(fd) == -1)
		return -1;
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (io_wait(fd, POLLOUT, (int)timeoutconnect, 0) == -1)
		return -1;
	elen = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
		return -1;
	if (err)
		return errno = err, -1;
	return 0;
}

/* message facts, for SIZE= and BODY=8BITMIME */
static unsigned long msgsize;
static int msg8bit;

static void
scan_message(void)
{
	char b[65536];
	ssize_t r, i;

	for (;;) {
		r = read(0, b, sizeof b);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			temp_read();
		}
		if (r == 0)
			break;
		for (i = 0; i < r; i++) {
			if (b[i] == '\n')
				msgsize++;	/* it goes out as CR LF */
			if (b[i] & 0x80)
				msg8bit = 1;
		}
		msgsize += (unsigned long)r;
	}
	if (lseek(0, 0, SEEK_SET) == -1)
		temp_read();
}

/*
 * Send the message as SMTP DATA.  Line ends are normalised first: CR LF,
 * a bare LF and a bare CR each become CR LF.  Then a line starting with a
 * dot gets another (RFC 5321 4.5.2).  A last line without an end gets
 * one, and CR LF . CR LF ends the data: nothing in the message can end it
 * sooner or start a second message.
 */
static void
blast(void)
{
	static char in[65536];
	char o[8192];
	size_t on = 0;
	ssize_t r, i;
	int bol = 1, cr = 0;
	char c;

	for (;;) {
		r = read(0, in, sizeof in);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			temp_read();	/* no final dot: the server drops it */
		}
		if (r == 0)
			break;
		for (i = 0; i < r; i++) {
			c = in[i];
			if (cr) {
				o[on++] = '\r', o[on++] = '\n';
				bol = 1, cr = 0;
				if (c == '\n')
					continue;
			}
			if (c == '\r')
				cr = 1;
			else if (c == '\n') {
				o[on++] = '\r', o[on++] = '\n';
				bol = 1;
			} else {
				if (bol && c == '.')
					o[on++] = '.';
				o[on++] = c;
				bol = 0;
			}
			if (on > sizeof o - 4) {
				smtp_put(o, on);
				on = 0;
			}
		}
	}
	if (cr)
		o[on++] = '\r', o[on++] = '\n', bol = 1;
	if (!bol)
		o[on++] = '\r', o[on++] = '\n';
	smtp_put(o, on);
	smtp_put(".\r\n", 3);
	smtp_flush();
}

/* EHLO keywords the server offered */
static int ext_pipelining, ext_size, ext_8bitmime, ext_starttls;

static void
parse_ehlo(void)
{
	size_t i, e, n;
	const char *l;

	ext_pipelining = ext_size = ext_8bitmime = ext_starttls = 0;
	for (i = byte_chr(reply.s, reply.len, '\n') + 1; i < reply.len; i = e + 1) {
		e = i + byte_chr(reply.s + i, reply.len - i, '\n');
		if (e - i < 5)
			continue;
		l = reply.s + i + 4, n = e - i - 4;
		n = byte_chr(l, n, ' ');
		if (n == 10 && case_startb(l, n, "pipelining"))
			ext_pipelining = 1;
		else if (n == 4 && case_startb(l, n, "size"))
			ext_size = 1;
		else if (n == 8 && case_startb(l, n, "8bitmime"))
			ext_8bitmime = 1;
		else if (n == 8 && case_startb(l, n, "starttls"))
			ext_starttls = 1;
	}
}

static int
has_linebreak(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n')
			return 1;
	return 0;
}

static void
put_path(const char *cmd, const char *a)
{
	struct sa q = SA_INIT;

	if (sa_cats(&q, cmd) == -1 || addr_quote(&q, a, str_len(a)) == -1 ||
	    sa_catc(&q, '>') == -1)
		temp_nomem();
	smtp_put(q.s, q.len);
	sa_free(&q);
}

/* EHLO, or HELO for a server that refuses it; quits on a refusal */
static void
ehlo(void)
{
	int code;

	smtp_puts("EHLO ");
	smtp_put(helohost.s, helohost.len);
	smtp_puts("\r\n");
	smtp_flush();
	code = smtp_code();
	if (code == 250)
		parse_ehlo();
	else if (code >= 500) {
		/* an old server: RFC 5321 4.1.1.1 lets us fall back */
		ext_pipelining = ext_size = ext_8bitmime = ext_starttls = 0;
		smtp_puts("HELO ");
		smtp_put(helohost.s, helohost.len);
		smtp_puts("\r\n");
		smtp_flush();
		code = smtp_code();
		if (code >= 500)
			quit("DConnected to ", " but my name was rejected");
		if (code != 250)
			quit("ZConnected to ", " but my name was rejected");
	} else
		quit("ZConnected to ", " but my name was rejected");
}

/* what smtp() and starttls() return when they do not end the delivery */
enum { SMTP_NEXT = 1, SMTP_PLAIN };	/* the next host; this one in plaintext */

/* Remember why a TLS-required delivery failed at this host: "TLS is
 * required for DOMAIN (SOURCE) but IP (NAME) WHY DETAIL. (#CODE)". */
static void
tls_required(const char *why, const char *detail, size_t dlen, const char *code)
{
	char b[IP_FMT];

	tlsfail.len = 0;
	if (sa_cats(&tlsfail, "ZTLS is required for ") == -1 ||
	    sa_cats(&tlsfail, desthost) == -1 ||
	    sa_cats(&tlsfail, " (") == -1 ||
	    sa_cats(&tlsfail, tlspol.source) == -1 ||
	    sa_cats(&tlsfail, ") but ") == -1 ||
	    sa_catb(&tlsfail, b, ip_fmt(b, &partner)) == -1 ||
	    (partner_name[0] && (sa_cats(&tlsfail, " (") == -1 ||
	    sa_cats(&tlsfail, partner_name) == -1 ||
	    sa_cats(&tlsfail, ")") == -1)) ||
	    sa_cats(&tlsfail, " ") == -1 ||
	    sa_cats(&tlsfail, why) == -1 ||
	    sa_catb(&tlsfail, detail, dlen) == -1 ||
	    sa_cats(&tlsfail, ". (#") == -1 ||
	    sa_cats(&tlsfail, code) == -1 ||
	    sa_cats(&tlsfail, ")\n") == -1)
		temp_nomem();
}

/* This connection failed TLS: qmail-tlsc goes, now (it may be in the
 * middle of a relay or of a handshake that no longer matters). */
static void
tls_end(void)
{
	int st;

	if (tlsfd_in != -1)
		close(tlsfd_in), tlsfd_in = -1;
	if (tlsfd_out != -1)
		close(tlsfd_out), tlsfd_out = -1;
	if (tlspid != -1) {
		(void)kill(tlspid, SIGTERM);
		(void)proc_wait(tlspid, &st);
		tlspid = -1;
	}
}

/* a pipe neither end of which a program qmail-remote runs inherits */
static int
pipe_cloexec(int p[2])
{
	if (pipe(p) == -1)
		return -1;
	if (fd_cloexec(p[0]) == -1 || fd_cloexec(p[1]) == -1) {
		close(p[0]), close(p[1]);
		return -1;
	}
	return 0;
}

/* make fd refer to the descriptor `to` in a child about to exec; 0 or -1 */
static int
child_fd(int from, int to)
{
	return dup2(from, to) == to ? 0 : -1;
}

/*
 * Start bin/qmail-tlsc on the connection (qmail-tlsc(8) for the
 * descriptors and the status line) and wait for its status.  On success
 * sin and sout are its plaintext pipes, tlsnote says what TLS there is,
 * and 0 is returned; otherwise the status text (after the '-') is in
 * line and -1 is returned.
 */
static int
tls_start(void)
{
	char num[FMT_ULONG];
	char stspace[1024];
	struct buf st;
	const char *args[8];
	int up[2], down[2], stp[2], hi[4], r, verified;
	size_t i, n, k;

	line.len = 0;
	if (pipe_cloexec(up) == -1 || pipe_cloexec(down) == -1 ||
	    pipe_cloexec(stp) == -1)
		temp_oserr();
	num[fmt_ulong(num, timeoutremote)] = 0;
	n = 0;
	args[n++] = "qmail-tlsc";
	args[n++] = "-t";
	args[n++] = num;
	args[n++] = tls_levels[tlspol.level];
	args[n++] = partner_name;	/* the name the certificate must have */
	args[n] = NULL;
	if ((tlspid = fork()) == -1)
		temp_oserr();
	if (tlspid == 0) {
		/* first above every target, so no dup2 lands on a source */
		hi[0] = fcntl(up[0], F_DUPFD, 10);
		hi[1] = fcntl(down[1], F_DUPFD, 10);
		hi[2] = fcntl(smtpfd, F_DUPFD, 10);
		hi[3] = fcntl(stp[1], F_DUPFD, 10);
		for (k = 0; k < 4; k++)
			if (hi[k] == -1)
				_exit(EXIT_TEMP);
		if (child_fd(hi[0], 0) == -1 || child_fd(hi[1], 1) == -1 ||
		    child_fd(hi[2], 3) == -1 || child_fd(hi[3], 4) == -1)
			_exit(EXIT_TEMP);
		for (k = 0; k < 4; k++)
			close(hi[k]);
		execv("bin/qmail-tlsc", (char *const *)args);
		_exit(EXIT_TEMP);	/* the empty status says so */
	}
	close(up[0]);
	close(down[1]);
	close(stp[1]);
	close(smtpfd);	/* qmail-tlsc has the connection now */
	smtpfd = -1;
	tlsfd_in = down[0], tlsfd_out = up[1];
	buf_init(&st, stp[0], stspace, sizeof stspace);
	st.timeout = (int)timeoutremote + 10;	/* qmail-tlsc's own bound is -t */
	r = buf_getline(&st, &line, '\n', 1000);
	close(stp[0]);
	n = line.len;
	if (r != 1 || n < 2 || line.s[0] != '+') {
		if (r == 1 && n >= 2 && line.s[0] == '-') {
			memmove(line.s, line.s + 1, n - 2);
			line.len = n - 2;
		} else if (sa_copys(&line, "qmail-tlsc failed") == -1)
			temp_nomem();
		tls_end();
		return -1;
	}
	/* "+PROTOCOL CIPHER verified NAME" or "+PROTOCOL CIPHER unverified WHY" */
	--n;
	i = byte_chr(line.s, n, ' ');
	if (i < n)
		i += 1 + byte_chr(line.s + i + 1, n - i - 1, ' ');
	verified = i + 10 <= n && byte_equal(line.s + i, 10, " verified ");
	if (!verified && (i + 12 > n ||
	    !byte_equal(line.s + i, 12, " unverified "))) {
		if (sa_copys(&line, "qmail-tlsc said nothing sensible") == -1)
			temp_nomem();
		tls_end();
		return -1;
	}
	tlsnote.len = 0;
	if (sa_cats(&tlsnote, " TLS ") == -1 ||
	    sa_catb(&tlsnote, line.s + 1, i - 1) == -1 ||
	    sa_cats(&tlsnote, verified ? ", certificate verified for " :
	    ", certificate not verified: ") == -1 ||
	    sa_catb(&tlsnote, line.s + i + (verified ? 10 : 12),
	    n - i - (verified ? 10 : 12)) == -1 ||
	    sa_catc(&tlsnote, '.') == -1)
		temp_nomem();
	if (tlspol.level == TLS_VERIFY && !verified) {	/* never: qmail-tlsc fails it */
		if (sa_copys(&line, "qmail-tlsc did not verify the certificate") == -1)
			temp_nomem();
		tlsnote.len = 0;
		tls_end();
		return -1;
	}
	buf_init(&sin, tlsfd_in, sinspace, sizeof sinspace);
	buf_init(&sout, tlsfd_out, soutspace, sizeof soutspace);
	sin.timeout = sout.timeout = (int)timeoutremote;
	return 0;
}

/* May this server have the message under the policy's names?  If not,
 * tlsfail says why. */
static int
tls_name_allowed(void)
{
	size_t i;

	if (tlspol.level != TLS_VERIFY || tlspol.nnames == 0)
		return 1;
	for (i = 0; i < tlspol.nnames; i++)
		if (dns_pattern_match(tlspol.names[i], partner_name))
			return 1;
	tls_required("is not a host the policy names", "", 0, "4.7.5");
	return 0;
}

/*
 * STARTTLS (RFC 3207) as tlspol says, after a first EHLO.  0: go on (in
 * TLS, or in plaintext where the policy allows it); SMTP_NEXT: this host
 * cannot have the message under the policy (tlsfail says why);
 * SMTP_PLAIN: the handshake failed under "may": the host once more,
 * without STARTTLS.
 */
static int
starttls(void)
{
	int code;

	if (!ext_starttls) {
		if (tlspol.level < TLS_ENCRYPT)
			return 0;
		tls_required("did not offer STARTTLS", "", 0, "4.7.4");
		smtp_quit();
		return SMTP_NEXT;
	}
	smtp_puts("STARTTLS\r\n");
	smtp_flush();
	code = smtp_code();
	if (code != 220) {
		if (tlspol.level < TLS_ENCRYPT)
			return 0;	/* the session goes on as it was */
		while (reply.len > 0 && reply.s[reply.len - 1] == '\n')
			--reply.len;
		tls_required("refused STARTTLS: ", reply.s, reply.len, "4.7.4");
		smtp_quit();
		return SMTP_NEXT;
	}
	/* Anything after the 220 came before TLS and cannot be trusted: a
	 * server never sends it, an attacker in the middle may (response
	 * injection, the client's side of the CVE-2011-0411 class). */
	if (sin.p < sin.n) {
		if (sa_copys(&line, "the server sent data after its 220 to STARTTLS") == -1)
			temp_nomem();
	} else if (tls_start() == 0) {
		/* RFC 3207 4.2: forget what the first EHLO said; ask again */
		ehlo();
		return 0;
	}
	if (tlspol.level >= TLS_ENCRYPT) {
		tls_required("failed TLS: ", line.s, line.len, "4.7.5");
		return SMTP_NEXT;
	}
	tlsnote.len = 0;
	if (sa_cats(&tlsnote, " STARTTLS had failed (") == -1 ||
	    sa_catb(&tlsnote, line.s, line.len) == -1 ||
	    sa_cats(&tlsnote, "), so without TLS.") == -1)
		temp_nomem();
	return SMTP_PLAIN;
}

/* One SMTP transaction after a good greeting; returns only as starttls()
 * says (usetls 0: no STARTTLS on this connection). */
static int
smtp(const char *sender, char **rcpt, int nrcpt, int usetls)
{
	char num[FMT_ULONG];
	int code, i, bother = 0, soft = 0;

	ehlo();
	if (usetls && tlspol.level != TLS_NONE &&
	    (code = starttls()) != 0)
		return code;

	if (ext_size || ext_8bitmime)
		scan_message();
	put_path("MAIL FROM:<", sender);
	if (ext_size) {
		smtp_puts(" SIZE=");
		smtp_put(num, fmt_ulong(num, msgsize));
	}
	if (ext_8bitmime && msg8bit)
		smtp_puts(" BODY=8BITMIME");
	smtp_puts("\r\n");
	if (!ext_pipelining)
		smtp_flush();
	else	/* RFC 2920: MAIL and the RCPTs in one write */
		for (i = 0; i < nrcpt; i++)
			if (!has_linebreak(rcpt[i])) {
				put_path("RCPT TO:<", rcpt[i]);
				smtp_puts("\r\n");
			}
	smtp_flush();
	code = smtp_code();
	if (code >= 400) {
		if (ext_pipelining)	/* drain the RCPT replies */
			for (i = 0; i < nrcpt; i++)
				if (!has_linebreak(rcpt[i]) && smtp_reply() == -1)
					break;
		if (code >= 500)
			quit("DConnected to ", " but sender was rejected");
		quit("ZConnected to ", " but sender was rejected");
	}
	for (i = 0; i < nrcpt; i++) {
		if (has_linebreak(rcpt[i])) {
			outs("hSorry, the recipient address contains a line break. (#5.1.3)\n");
			zero();
			continue;
		}
		if (!ext_pipelining) {
			put_path("RCPT TO:<", rcpt[i]);
			smtp_puts("\r\n");
			smtp_flush();
		}
		code = smtp_code();
		if (code >= 500) {
			outs("h");
			outhost();
			outs(" does not like recipient.\n");
			outsmtptext();
			zero();
		} else if (code >= 400) {
			outs("s");
			outhost();
			outs(" does not like recipient.\n");
			outsmtptext();
			zero();
			soft = 1;
		} else {
			outs("r");	/* qmail's: no text; K or Z/D follows */
			zero();
			bother = 1;
		}
	}
	if (!bother) {
		/* nobody took it; a temporary refusal must stay temporary */
		quit(soft ? "ZGiving up on " : "DGiving up on ", "");
	}
	smtp_puts("DATA\r\n");
	smtp_flush();
	code = smtp_code();
	if (code >= 500)
		quit("D", " failed on DATA command");
	if (code != 354)
		quit("Z", " failed on DATA command");
	blast();
	critical = 1;
	code = smtp_code();
	if (code >= 500)
		quit("D", " failed after I sent the message");
	if (code < 200 || code >= 300)
		quit("Z", " failed after I sent the message");
	quit("K", " accepted message");
}

static void
controls(void)
{
	struct sa me = SA_INIT;
	int r;

	if (ctl_readulong(&timeoutconnect, "control/timeoutconnect", 60) == -1 ||
	    ctl_readulong(&timeoutremote, "control/timeoutremote", 1200) == -1)
		temp_control();
	if (timeoutconnect == 0 || timeoutconnect > 86400)
		timeoutconnect = 60;
	if (timeoutremote == 0 || timeoutremote > 86400)
		timeoutremote = 1200;
	if ((r = ctl_readline(&helohost, "control/helohost")) == -1)
		temp_control();
	if (r == 0 || helohost.len == 0) {
		if (ctl_me(&me) == -1)
			temp_control();
		if (sa_copy(&helohost, &me) == -1)
			temp_nomem();
	}
	if (has_linebreak(sa_str(&helohost) ? helohost.s : ""))
		temp_control();
	if (ctl_readfile(&routes, "control/smtproutes") == -1 ||
	    ctl_readfile(&tlsdests, "control/tlsdestinations") == -1)
		temp_control();
}

/*
 * The one place this delivery's TLS policy is set.  control/tlsdestinations
 * first: lines "domain:level", looked up for the domain as smtproutes is
 * (the domain, then ".suffix" lines, then a ":level" default); no line:
 * "may".  An unknown level is a temporary failure: a typo must never
 * weaken a policy.  relayed: the mail goes to an smtproutes relay, not to
 * the domain's MX hosts.
 */
static void
tls_policy(const char *host, int relayed)
{
	struct cmap m;
	const char *v;
	int l;

	if (cmap_init(&m, tlsdests.s, tlsdests.len, ':') == -1)
		temp_nomem();
	v = cmap_route(&m, host, str_len(host));
	if (v != NULL) {
		for (l = TLS_NONE; l <= TLS_VERIFY; l++)
			if (str_equal(v, tls_levels[l]))
				break;
		if (l > TLS_VERIFY)
			fail("ZUnknown TLS level in control/tlsdestinations. (#4.3.5)\n");
		tlspol.level = l;
		tlspol.source = "control/tlsdestinations";
	}
	cmap_free(&m);
	/*
	 * MTA-STS (RFC 8461) goes here, for MX deliveries only (!relayed):
	 * a policy in mode enforce raises tlspol.level to TLS_VERIFY, sets
	 * tlspol.names and nnames to its mx patterns and tlspol.source to
	 * say so ("MTA-STS").  It never lowers a level that
	 * control/tlsdestinations set.
	 */
	(void)relayed;
}

static unsigned long
seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long)ts.tv_nsec * 2654435761UL ^
	    (unsigned long)ts.tv_sec ^ (unsigned long)getpid() << 16;
}

int
main(int argc, char **argv)
{
	struct iplist ips = IPLIST_INIT, me = IPLIST_INIT;
	struct cmap rmap;
	struct sa relay = SA_INIT, greettext = SA_INIT;
	struct ip greetip;
	const char *host, *rt;
	unsigned long port = 25, prefme = (unsigned long)-1;
	size_t i, k;
	int r, greetfail = 0, usetls;

	sig_ignore(SIGPIPE);
	if (argc < 4)
		perm_usage();
	if (chdir(conf_qmail) == -1)
		temp_chdir();
	controls();
	host = desthost = argv[1];
	if (has_linebreak(argv[2]))
		fail("DSender address contains a line break. (#5.1.7)\n");
	if (cmap_init(&rmap, routes.s, routes.len, ':') == -1)
		temp_nomem();

	rt = cmap_route(&rmap, host, str_len(host));
	if (rt && *rt) {
		/* relay, [relay], relay:port or [relay]:port */
		k = str_len(rt);
		if (rt[0] == '[')
			i = byte_chr(rt, k, ']') + 1;
		else
			i = byte_chr(rt, k, ':');
		if (i > k)
			temp_control();
		if (sa_copyb(&relay, rt, i) == -1 || !sa_str(&relay))
			temp_nomem();
		if (i < k) {
			if (rt[i] != ':' || scan_ulong(rt + i + 1, k - i - 1, &port)
			    != k - i - 1 || port == 0 || port > 65535)
				temp_control();
		}
		r = dns_ip(&ips, relay.s, relay.len);
		if (r == DNS_TEMP)
			temp_dns();
		if (r != DNS_OK)
			perm_dns(relay.s);
	} else {
		r = dns_mxip(&ips, host, str_len(host), seed());
		if (r == DNS_TEMP)
			temp_dns();
		if (r == DNS_NULLMX)
			perm_nullmx(host);
		if (r != DNS_OK)
			perm_dns(host);
		if (ips.len == 0)
			perm_nomx();
		/* mail for a domain whose best MX is this machine would loop */
		if (ipme_init(&me) == -1)
			temp_oserr();
		for (i = 0; i < ips.len; i++)
			if (ipme_is(&me, &ips.x[i].ip) && ips.x[i].pref < prefme)
				prefme = ips.x[i].pref;
	}
	if (ips.len == 0)
		perm_nomx();
	for (i = 0, k = 0; i < ips.len; i++)
		if (ips.x[i].pref < prefme)
			k++;
	if (k == 0)
		perm_ambigmx();

	tls_policy(host, rt && *rt);

	for (i = 0; i < ips.len; i++) {
		if (ips.x[i].pref >= prefme)
			continue;
		partner = ips.x[i].ip;
		partner_name = ips.x[i].name;
		if (tcpto_skip(&partner, (long)getpid()))
			continue;
		if (!tls_name_allowed())
			continue;
		usetls = 1;
		tlsnote.len = 0;
again:
		smtpfd = socket(partner.af == 4 ? AF_INET : AF_INET6,
		    SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (smtpfd == -1) {
			if (errno == EAFNOSUPPORT)
				continue;	/* no IPv6 here: the next one */
			temp_oserr();
		}
		if (tcp_connect(smtpfd, &partner, port) == -1) {
			tcpto_note(&partner, errno == ETIMEDOUT);
			close(smtpfd);
			continue;
		}
		buf_init(&sin, smtpfd, sinspace, sizeof sinspace);
		buf_init(&sout, smtpfd, soutspace, sizeof soutspace);
		sin.timeout = sout.timeout = (int)timeoutremote;
		r = smtp_reply();
		if (r == 220) {
			tcpto_note(&partner, 0);
			r = smtp(argv[2], argv + 3, argc - 3, usetls);
			if (smtpfd != -1)
				close(smtpfd), smtpfd = -1;
			tls_end();
			if (r == SMTP_PLAIN && usetls) {
				/* "may": as Postfix does, this host once
				 * more, in plaintext (tlsnote says why) */
				usetls = 0;
				goto again;
			}
			continue;	/* SMTP_NEXT */
		}
		/* a greeting that never comes is remembered like a connect
		 * timeout; any bad greeting sends us on to the next host */
		if (r == -1 && errno == ETIMEDOUT)
			tcpto_note(&partner, 1);
		if (r != -1)
			smtp_quit();
		greetfail = 1, greetip = partner;
		greettext.len = 0;
		if (r != -1 && sa_copy(&greettext, &reply) == -1)
			temp_nomem();
		close(smtpfd);
		smtpfd = -1;
	}
	if (tlsfail.len > 0) {	/* the policy kept the message from a host */
		outb(tlsfail.s, tlsfail.len);
		zerodie();
	}
	if (greetfail) {
		partner = greetip;
		if (sa_copy(&reply, &greettext) == -1)
			temp_nomem();
		outs("ZConnected to ");
		outhost();
		outs(" but greeting failed.\n");
		outsmtptext();
		zerodie();
	}
	temp_noconn();
}
