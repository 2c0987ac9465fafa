/*
 * qmail-tlsc: the TLS client side of one SMTP connection, for
 * qmail-remote, which starts it after the server answered 220 to STARTTLS:
 * `qmail-tlsc [-t seconds] level server [name ...]`.
 * fd 3 is the connected socket; the TLS handshake runs on it (SNI server,
 * bounded by -t), then one status line goes to fd 4, which is closed;
 * after a good handshake, the plaintext qmail-remote writes on fd 0 goes
 * out encrypted and what the server sends comes out on fd 1, until either
 * side closes.  The certificate is checked against control/tlscafile's
 * bundle and the names (or server): always, for the status line, and
 * under level "verify" a failed check fails the handshake.
 * Runs as qmailr, started by qmail-remote; holds no private key.
 * Exit: 0 after a relay, 100 usage, 111 any failure (man/qmail-tlsc.8).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lib/conf.h"
#include "lib/control.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/proc.h"
#include "lib/str.h"

const char prog[] = "qmail-tlsc";

#define FD_IN		0	/* plaintext from qmail-remote */
#define FD_OUT		1	/* plaintext to qmail-remote */
#define FD_SOCK		3	/* the connection to the server */
#define FD_STATUS	4	/* the status line */
#define CAFILE_DEFAULT	"/etc/ssl/certs/ca-certificates.crt"
#define STATUS_MAX	1000	/* bytes of the status line, '\n' included */
#define RELAY_BUF	16384	/* one TLS record's worth each way */
#define VERIFY_DEPTH	10	/* intermediates a chain may have */
#define CERT_LIST_MAX	(100 * 1024)	/* bytes of the server's chain */

enum level { LEVEL_MAY, LEVEL_ENCRYPT, LEVEL_VERIFY };

static int status_sent;

/* The status line: '+' or '-', then the pieces; any byte that is not
 * printable ASCII becomes '?' (the line must stay one line). */
static void
status(const char *const *parts)
{
	char b[STATUS_MAX];
	size_t n = 0, i;
	const char *s;

	if (status_sent)
		return;
	status_sent = 1;
	for (i = 0; (s = parts[i]) != NULL; i++)
		for (; *s && n < sizeof b - 1; s++)
			b[n++] = (*s >= 32 && *s < 127) ? *s : '?';
	b[n++] = '\n';
	(void)io_writeall(FD_STATUS, b, n);
	close(FD_STATUS);
}
#define STATUS(...)	status(DIE_LIST(__VA_ARGS__))

/* A handshake that did not succeed: say why on the status line, exit. */
NORETURN static void
fail(const char *why, const char *detail)
{
	STATUS("-", why, detail);
	_exit(EXIT_TEMP);
}

static const char *
ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r;

	if (e == 0)
		return "unknown error";
	r = ERR_reason_error_string(e);
	return r ? r : "unknown error";
}

static void
usage(void)
{
	die_perm("usage: qmail-tlsc [-t seconds] may|encrypt|verify server "
	    "[name ...]");
}

/*
 * The names a certificate may be valid for.  A name is checked as a host
 * name with wildcards in the certificate (RFC 6125 6.4.3: the whole
 * leftmost label only); a pattern "*.example.net" (an MTA-STS mx line, RFC
 * 8461 3.4) stands for any one label under example.net, which is how
 * OpenSSL reads ".example.net" with X509_CHECK_FLAG_SINGLE_LABEL_SUBDOMAINS.
 */
static void
set_names(SSL *ssl, char **names, int n)
{
	X509_VERIFY_PARAM *p = SSL_get0_param(ssl);
	const char *nm;
	int i;

	X509_VERIFY_PARAM_set_hostflags(p,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
	    X509_CHECK_FLAG_SINGLE_LABEL_SUBDOMAINS);
	for (i = 0; i < n; i++) {
		nm = names[i];
		if (nm[0] == '*' && nm[1] == '.' && nm[2])
			nm++;
		else if (nm[0] == '.' || nm[0] == 0)
			fail("bad name to check: ", names[i]);
		if (!X509_VERIFY_PARAM_add1_host(p, nm, 0))
			fail("bad name to check: ", names[i]);
	}
}

static int
is_ip_literal(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.' || *s == ':'))
			return 0;
	return 1;
}

/* Wait for fd within deadline; fail with timeout text if it passes. */
static void
hs_wait(short ev, time_t deadline)
{
	if (io_wait(FD_SOCK, ev, 0, deadline) == -1) {
		if (errno == ETIMEDOUT)
			fail("TLS handshake timed out", "");
		fail("TLS handshake failed: ", err_str(errno));
	}
}

static void
handshake(SSL *ssl, time_t deadline, int level)
{
	long vr;
	int r, e;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_connect(ssl)) == 1)
			return;
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			hs_wait(POLLIN, deadline);
		else if (e == SSL_ERROR_WANT_WRITE)
			hs_wait(POLLOUT, deadline);
		else
			break;
	}
	vr = SSL_get_verify_result(ssl);
	if (level == LEVEL_VERIFY && vr != X509_V_OK)
		fail("certificate not verified: ",
		    X509_verify_cert_error_string(vr));
	if (e == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0) {
		if (errno == 0)
			fail("connection closed during the TLS handshake", "");
		fail("TLS handshake failed: ", err_str(errno));
	}
	fail("TLS handshake failed: ", ssl_reason());
}

/* After the handshake: the facts qmail-remote reports.  The name a
 * verified certificate is reported for: the one name checked, or, of
 * several, the certificate's name that matched. */
static void
report(SSL *ssl, int nonames, const char *checked)
{
	const char *proto = SSL_get_version(ssl);
	const char *cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
	const char *peer;
	long vr = SSL_get_verify_result(ssl);

	if (SSL_get0_peer_certificate(ssl) == NULL)
		STATUS("+", proto, " ", cipher, " unverified no certificate");
	else if (nonames)
		STATUS("+", proto, " ", cipher, " unverified no name to check");
	else if (vr != X509_V_OK)
		STATUS("+", proto, " ", cipher, " unverified ",
		    X509_verify_cert_error_string(vr));
	else {
		if ((peer = checked) == NULL &&
		    (peer = SSL_get0_peername(ssl)) == NULL)
			peer = "";
		STATUS("+", proto, " ", cipher, " verified ", peer);
	}
}

/* close_notify, once, briefly: the peer's answer is not waited for */
static void
tls_close(SSL *ssl)
{
	time_t deadline = time(NULL) + 5;
	int r, e;

	for (;;) {
		if ((r = SSL_shutdown(ssl)) >= 0)
			return;
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_WRITE) {
			if (io_wait(FD_SOCK, POLLOUT, 0, deadline) == -1)
				return;
		} else if (e == SSL_ERROR_WANT_READ) {
			if (io_wait(FD_SOCK, POLLIN, 0, deadline) == -1)
				return;
		} else
			return;
	}
}

/* the relay's state; ev* are the poll events the blocked steps wait for */
struct relay {
	SSL	*ssl;
	char	 up[RELAY_BUF];		/* from fd 0, for TLS */
	char	 down[RELAY_BUF];	/* from TLS, for fd 1 */
	size_t	 upn, upoff, downn, downoff;
	int	 ineof, tlseof;
	short	 evin, evout, evsock;
};

/* the events an SSL call that did not complete waits for; 0 if it failed */
static short
ssl_wants(SSL *ssl, int r)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return POLLOUT;
	default:
		return 0;
	}
}

/* TLS -> fd 1: 1 progress, 0 blocked, -1 qmail-remote is gone */
static int
to_app(struct relay *x)
{
	ssize_t w;
	short ev;
	int r;

	if (x->downoff < x->downn) {
		w = write(FD_OUT, x->down + x->downoff, x->downn - x->downoff);
		if (w == -1 && errno == EAGAIN) {
			x->evout = POLLOUT;
			return 0;
		}
		if (w == -1 && errno == EINTR)
			return 1;
		if (w <= 0)
			return -1;
		x->downoff += (size_t)w;
		if (x->downoff == x->downn)
			x->downoff = x->downn = 0;
		return 1;
	}
	if (x->tlseof)
		return 0;
	ERR_clear_error();
	r = SSL_read(x->ssl, x->down, sizeof x->down);
	if (r > 0) {
		x->downn = (size_t)r;
		return 1;
	}
	if ((ev = ssl_wants(x->ssl, r)) != 0) {
		x->evsock |= ev;
		return 0;
	}
	x->tlseof = 1;	/* close_notify, or the connection broke */
	return 1;
}

/* fd 0 -> TLS: 1 progress, 0 blocked, -1 the connection broke */
static int
to_tls(struct relay *x)
{
	ssize_t w;
	short ev;
	int r;

	if (x->upoff < x->upn) {
		ERR_clear_error();
		r = SSL_write(x->ssl, x->up + x->upoff,
		    (int)(x->upn - x->upoff));
		if (r > 0) {
			x->upoff += (size_t)r;
			if (x->upoff == x->upn)
				x->upoff = x->upn = 0;
			return 1;
		}
		if ((ev = ssl_wants(x->ssl, r)) == 0)
			return -1;
		x->evsock |= ev;
		return 0;
	}
	if (x->ineof)
		return 0;
	w = read(FD_IN, x->up, sizeof x->up);
	if (w > 0) {
		x->upn = (size_t)w;
		return 1;
	}
	if (w == -1 && errno == EINTR)
		return 1;
	if (w == -1 && errno == EAGAIN) {
		x->evin = POLLIN;
		return 0;
	}
	x->ineof = 1;
	return 1;
}

/*
 * Relay fd 0 -> TLS and TLS -> fd 1, every descriptor non-blocking, until
 * qmail-remote closes fd 0 (then close_notify) or the server's side ends
 * (then what it sent is flushed and fd 1 closed).  Nothing at all for
 * timeout seconds ends it too.  Each pass tries both directions; when
 * neither made progress, poll waits for what the blocked steps asked for.
 */
static void
relay(SSL *ssl, unsigned long timeout)
{
	static struct relay x;
	struct pollfd pfd[3];
	int a, t, r;

	if (fd_nonblock(FD_IN) == -1 || fd_nonblock(FD_OUT) == -1)
		die_temp_sys("unable to set up the pipes");
	x.ssl = ssl;
	for (;;) {
		x.evin = x.evout = x.evsock = 0;
		if ((a = to_app(&x)) == -1)
			return;	/* qmail-remote is gone */
		if (x.tlseof && x.downn == 0)
			return;	/* closing fd 1 tells qmail-remote */
		if ((t = to_tls(&x)) == -1)
			return;
		if (x.ineof && x.upn == 0) {
			tls_close(ssl);
			return;
		}
		if (a || t)
			continue;
		pfd[0].fd = FD_IN, pfd[0].events = x.evin;
		pfd[1].fd = FD_OUT, pfd[1].events = x.evout;
		pfd[2].fd = FD_SOCK, pfd[2].events = x.evsock;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		r = poll(pfd, 3, (int)(timeout * 1000));
		if (r == -1 && errno != EINTR)
			die_temp_sys("poll failed");
		if (r == 0)
			return;	/* idle too long: both sides have given up */
	}
}

int
main(int argc, char **argv)
{
	struct sa cafile = SA_INIT;
	unsigned long timeout = 1200;
	time_t deadline;
	const char *server, *ca;
	SSL_CTX *ctx;
	SSL *ssl;
	char **names;
	int level, opt, cafail = 0, nonames, nnames;

	sig_ignore(SIGPIPE);
	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't' || scan_ulong(optarg, str_len(optarg), &timeout)
		    != str_len(optarg) || timeout == 0 || timeout > 86400)
			usage();
	}
	argc -= optind, argv += optind;
	if (argc < 2)
		usage();
	if (str_equal(argv[0], "may"))
		level = LEVEL_MAY;
	else if (str_equal(argv[0], "encrypt"))
		level = LEVEL_ENCRYPT;
	else if (str_equal(argv[0], "verify"))
		level = LEVEL_VERIFY;
	else
		usage();
	server = argv[1];
	names = argv + 2, nnames = argc - 2;
	if (nnames == 0 && server[0] && !is_ip_literal(server))
		names = argv + 1, nnames = 1;	/* check the server name */
	nonames = nnames == 0;
	deadline = time(NULL) + (time_t)timeout;

	if (chdir(conf_qmail) == -1)
		fail("unable to switch to the home directory: ",
		    err_str(errno));
	if (ctl_rldef(&cafile, "control/tlscafile", CAFILE_DEFAULT) == -1 ||
	    !sa_str(&cafile))
		fail("unable to read control/tlscafile: ", err_str(errno));
	ca = cafile.s;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		fail("unable to set up TLS: ", ssl_reason());
	/* TLS 1.2 at least (SPEC: the suite's floor, RFC 8996 retired 1.0
	 * and 1.1); no renegotiation, nothing to relay in the middle of one */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		fail("unable to set up TLS: ", ssl_reason());
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify_depth(ctx, VERIFY_DEPTH);
	SSL_CTX_set_max_cert_list(ctx, CERT_LIST_MAX);
	if (!SSL_CTX_load_verify_locations(ctx, ca, NULL)) {
		/* without the bundle nothing verifies: only "verify" fails */
		if (level == LEVEL_VERIFY)
			fail("unable to load the CA bundle ", ca);
		cafail = 1;
		ERR_clear_error();
	}
	if ((ssl = SSL_new(ctx)) == NULL)
		fail("unable to set up TLS: ", ssl_reason());
	if (server[0] && !is_ip_literal(server) &&
	    !SSL_set_tlsext_host_name(ssl, server))
		fail("bad server name: ", server);
	set_names(ssl, names, nnames);
	if (level == LEVEL_VERIFY) {
		if (nonames)
			fail("no name to verify the certificate against", "");
		SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	} else	/* the chain and name are still checked, for the report */
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	if (fd_nonblock(FD_SOCK) == -1 || !SSL_set_fd(ssl, FD_SOCK))
		fail("unable to use the connection: ", err_str(errno));

	handshake(ssl, deadline, level);
	if (cafail)
		STATUS("+", SSL_get_version(ssl), " ",
		    SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)),
		    " unverified unable to load the CA bundle ", ca);
	report(ssl, nonames, nnames == 1 ? names[0] : NULL);
	relay(ssl, timeout);
	return 0;
}
