/*
 * qmail-tlsd: the server side of UCSPI-TLS, run by tcpserver in front of
 * a program (qmail-smtpd) with the client's socket on fd 0 and fd 1:
 *	qmail-tlsd [-i] [-t timeout] prog [arg...]
 * A forked child, the engine, is the only process that reads the key
 * (control/servercert.pem; control/clientca.pem when present), then
 * becomes qmailt and runs TLS on the socket.  The other process drops to
 * $UID/$GID (envuidgid) when root and execs prog, never as root.  Default
 * (STARTTLS): prog keeps the socket and gets SSLCTLFD, SSLREADFD and
 * SSLWRITEFD; -i: TLS at once, prog gets the SSL_* facts in its
 * environment and plaintext pipes on fd 0 and fd 1.
 * Exit: prog's status once prog runs; 100 usage; 111 a temporary failure
 * before (man/qmail-tlsd.8).  The engine exits 0 when the session ends,
 * 111 after a failure it has described on fd 2.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/proc.h"
#include "lib/str.h"

const char prog[] = "qmail-tlsd";

#define CERTFILE	"control/servercert.pem"
#define CAFILE		"control/clientca.pem"
#define TIMEOUT		60	/* -t: seconds for a handshake */
#define RELAY_IDLE	3600	/* seconds without a byte either way; the
				 * program's own timeouts are shorter and
				 * end a session first */
#define CLOSE_WAIT	10	/* seconds to send our close_notify */
#define VERIFY_DEPTH	5	/* intermediate CAs in a client's chain */
#define CERT_LIST_MAX	65536	/* bytes of a client's certificates */
#define FACTS_MAX	4096	/* bytes of the facts on SSLCTLFD */
#define FACT_MAX	1024	/* bytes of one value */
#define RECORD		16384	/* one TLS record of plaintext */
#define READY		'+'	/* engine to app side: key loaded */

/* The fact names: set only by us, so never inherited. */
static const char *const factnames[] = {
	"SSL_PROTOCOL", "SSL_CIPHER", "SSL_CIPHER_USEKEYSIZE",
	"SSL_TLS_SNI_SERVERNAME", "SSL_CLIENT_S_DN", "SSL_CLIENT_VERIFY", 0
};

static const char *remote = "unknown";	/* TCPREMOTEIP, for messages */

static NORETURN void
usage(void)
{
	die_perm("usage: qmail-tlsd [-i] [-t timeout] prog [arg...]");
}

/* The first queued OpenSSL error as text; the queue is emptied. */
static const char *
tls_error(void)
{
	static char buf[256];
	unsigned long e, first;
	const char *s;

	if ((first = ERR_get_error()) == 0)
		return "unknown error";
	while ((e = ERR_get_error()) != 0)
		;
	if ((s = ERR_reason_error_string(first)) != NULL)
		return s;
	ERR_error_string_n(first, buf, sizeof buf);
	return buf;
}

/*
 * Client certificates are requested, not required: a failed check is
 * recorded in SSL_CLIENT_VERIFY and the handshake goes on.  A chain
 * with more than VERIFY_DEPTH intermediates is refused outright: nothing
 * good comes with 100 certificates.
 */
static int
verify_cb(int ok, X509_STORE_CTX *x)
{
	return ok ||
	    X509_STORE_CTX_get_error(x) != X509_V_ERR_CERT_CHAIN_TOO_LONG;
}

/* Read the certificate and key; as root, before dropping to qmailt. */
static SSL_CTX *
engine_ctx(void)
{
	SSL_CTX *ctx;
	STACK_OF(X509_NAME) *cas;
	struct stat st;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		die_temp("unable to create a TLS context: ", tls_error());
	/* TLS 1.2 at least (RFC 8996 retires 1.0 and 1.1).  One process per
	 * connection: tickets and a session cache would serve no one. */
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		die_temp("unable to set the TLS version: ", tls_error());
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_max_cert_list(ctx, CERT_LIST_MAX);

	if (stat(CERTFILE, &st) == 0 && (st.st_mode & 077) != 0)
		warn(CERTFILE, " can be read by others than its owner:",
		    " chmod 400 it");
	if (SSL_CTX_use_certificate_chain_file(ctx, CERTFILE) != 1)
		die_temp("unable to load the certificates of ", CERTFILE, ": ",
		    tls_error());
	if (SSL_CTX_use_PrivateKey_file(ctx, CERTFILE, SSL_FILETYPE_PEM) != 1)
		die_temp("unable to load the key of ", CERTFILE, ": ",
		    tls_error());
	if (SSL_CTX_check_private_key(ctx) != 1)
		die_temp("the key in ", CERTFILE, " does not match its",
		    " certificate: ", tls_error());

	if (stat(CAFILE, &st) == -1) {
		if (errno != ENOENT)
			die_temp_sys("unable to stat ", CAFILE);
		return ctx;	/* no client certificates asked for */
	}
	if (SSL_CTX_load_verify_locations(ctx, CAFILE, NULL) != 1 ||
	    (cas = SSL_load_client_CA_file(CAFILE)) == NULL)
		die_temp("unable to load ", CAFILE, ": ", tls_error());
	SSL_CTX_set_client_CA_list(ctx, cas);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	SSL_CTX_set_verify_depth(ctx, VERIFY_DEPTH);
	return ctx;
}

/* Wait until the socket is ready for what SSL_get_error says. */
static int
tls_wait(int e, time_t deadline)
{
	if (e == SSL_ERROR_WANT_READ)
		return io_wait(0, POLLIN, 0, deadline);
	return io_wait(1, POLLOUT, 0, deadline);
}

static void
handshake(SSL *ssl, int timeout)
{
	time_t deadline = time(NULL) + timeout;
	int r, e, se;

	ERR_clear_error();
	while ((r = SSL_accept(ssl)) != 1) {
		se = errno;
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL &&
		    ERR_peek_error() == 0 && (r == 0 || se == 0)))
			die_temp("TLS handshake with ", remote,
			    " failed: connection closed");
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
			errno = se;
			die_temp_sys("TLS handshake with ", remote, " failed");
		}
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			die_temp("TLS handshake with ", remote, " failed: ",
			    tls_error());
		if (tls_wait(e, deadline) == -1) {
			if (errno == ETIMEDOUT)
				die_temp("TLS handshake with ", remote,
				    " timed out");
			die_temp_sys("TLS handshake with ", remote, " failed");
		}
	}
}

/* NAME=value\0, the value printable ASCII and at most max bytes: a DN or
 * a server name the client chose ends up in an environment. */
static void
fact(struct sa *f, const char *name, const char *pre, const char *value,
    size_t max)
{
	size_t i;

	if (sa_cats(f, name) == -1 || sa_catc(f, '=') == -1 ||
	    sa_cats(f, pre) == -1)
		die_nomem();
	for (i = 0; value[i] != '\0' && i < max; i++)
		if (sa_catc(f, value[i] >= 0x20 && value[i] < 0x7f ?
		    value[i] : '?') == -1)
			die_nomem();
	if (sa_catc(f, '\0') == -1)
		die_nomem();
}

static void
fact_num(struct sa *f, const char *name, unsigned long n)
{
	char num[FMT_ULONG + 1];

	num[fmt_ulong(num, n)] = '\0';
	fact(f, name, "", num, sizeof num);
}

/* The client certificate's subject, RFC 2253 style as mod_ssl gives it. */
static void
fact_dn(struct sa *f, X509 *cert)
{
	char dn[FACT_MAX + 1];
	BIO *b;
	int n;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		die_nomem();
	if (X509_NAME_print_ex(b, X509_get_subject_name(cert), 0,
	    XN_FLAG_RFC2253) < 0)
		n = 0;
	else if ((n = BIO_read(b, dn, FACT_MAX)) < 0)
		n = 0;
	dn[n] = '\0';
	BIO_free(b);
	fact(f, "SSL_CLIENT_S_DN", "", dn, FACT_MAX);
}

/* The facts, NAME=value\0...NAME=value\0\0 (SSLCTLFD in qmail-tlsd(8)). */
static void
facts(SSL *ssl, struct sa *f)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	const char *sni;
	X509 *cert;
	long v;

	fact(f, "SSL_PROTOCOL", "", SSL_get_version(ssl), FACT_MAX);
	fact(f, "SSL_CIPHER", "", SSL_CIPHER_get_name(c), FACT_MAX);
	fact_num(f, "SSL_CIPHER_USEKEYSIZE",
	    (unsigned long)SSL_CIPHER_get_bits(c, NULL));
	/* a host name is at most 255 bytes (RFC 6066 3) */
	if ((sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) != NULL)
		fact(f, "SSL_TLS_SNI_SERVERNAME", "", sni, 255);
	if ((cert = SSL_get0_peer_certificate(ssl)) != NULL) {
		fact_dn(f, cert);
		if ((v = SSL_get_verify_result(ssl)) == X509_V_OK)
			fact(f, "SSL_CLIENT_VERIFY", "", "SUCCESS", FACT_MAX);
		else	/* mod_ssl's form */
			fact(f, "SSL_CLIENT_VERIFY", "FAILED:",
			    X509_verify_cert_error_string(v), FACT_MAX);
	}
	if (sa_catc(f, '\0') == -1)
		die_nomem();
}

/* Send our close_notify; the peer's is not waited for. */
static NORETURN void
tls_close(SSL *ssl)
{
	time_t deadline = time(NULL) + CLOSE_WAIT;
	int r, e;

	while ((r = SSL_shutdown(ssl)) < 0) {
		e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_WRITE || tls_wait(e, deadline) == -1)
			break;
	}
	_exit(0);
}

/*
 * Plaintext between the program's pipes and TLS on the socket until the
 * program closes its write pipe.  Each pass tries every transfer that has
 * room; poll(2) only when none moved, for exactly what the blocked ones
 * wait for (OpenSSL may hold decrypted bytes poll cannot see).
 */
static NORETURN void
relay(SSL *ssl, int from_app, int to_app)
{
	static char down[RECORD], up[RECORD];
	size_t dp = 0, dn = 0, up_p = 0, un = 0;
	int peer_eof = 0, fatal = 0, moved, n, e, i;
	short sock_in, sock_out, app_in, app_out;
	struct pollfd pfd[4];
	ssize_t r;

	if (fd_nonblock(from_app) == -1 || fd_nonblock(to_app) == -1)
		die_temp_sys("unable to set up the pipes");
	for (;;) {
		moved = 0;
		sock_in = sock_out = app_in = app_out = 0;

		if (dn == 0 && !peer_eof) {	/* network to program */
			ERR_clear_error();
			if ((n = SSL_read(ssl, down, sizeof down)) > 0) {
				dp = 0, dn = (size_t)n, moved = 1;
				if (to_app == -1)	/* not read any more */
					dn = 0;
			} else if ((e = SSL_get_error(ssl, n)) ==
			    SSL_ERROR_WANT_READ)
				sock_in = 1;
			else if (e == SSL_ERROR_WANT_WRITE)
				sock_out = 1;
			else {
				if (e == SSL_ERROR_SSL)
					warn("TLS session with ", remote, ": ",
					    tls_error());
				if (e != SSL_ERROR_ZERO_RETURN)
					fatal = 1;
				peer_eof = moved = 1;
			}
		}
		if (dn > 0) {
			if ((r = write(to_app, down + dp, dn)) > 0)
				dp += (size_t)r, dn -= (size_t)r, moved = 1;
			else if (r == -1 && (errno == EAGAIN || errno == EINTR))
				app_out = 1;
			else {	/* the program closed SSLREADFD */
				close(to_app);
				to_app = -1, dn = 0, moved = 1;
			}
		}
		if (peer_eof && dn == 0 && to_app != -1) {
			close(to_app);	/* the program reads EOF */
			to_app = -1;
		}

		if (un == 0 && from_app != -1) {	/* program to network */
			if ((r = read(from_app, up, sizeof up)) > 0)
				up_p = 0, un = (size_t)r, moved = 1;
			else if (r == 0) {
				close(from_app);
				from_app = -1, moved = 1;
			} else if (errno == EAGAIN || errno == EINTR)
				app_in = 1;
			else
				die_temp_sys("unable to read from the program");
		}
		if (un > 0) {
			if (fatal)
				_exit(0);	/* nobody left to send to */
			ERR_clear_error();
			if ((n = SSL_write(ssl, up + up_p, (int)un)) > 0)
				up_p += (size_t)n, un -= (size_t)n, moved = 1;
			else if ((e = SSL_get_error(ssl, n)) ==
			    SSL_ERROR_WANT_READ)
				sock_in = 1;
			else if (e == SSL_ERROR_WANT_WRITE)
				sock_out = 1;
			else {
				if (e == SSL_ERROR_SSL)
					warn("TLS session with ", remote, ": ",
					    tls_error());
				_exit(0);
			}
		}
		if (from_app == -1 && un == 0) {	/* program done */
			if (fatal)
				_exit(0);
			tls_close(ssl);
		}
		if (moved)
			continue;

		pfd[0].fd = sock_in ? 0 : -1, pfd[0].events = POLLIN;
		pfd[1].fd = sock_out ? 1 : -1, pfd[1].events = POLLOUT;
		pfd[2].fd = app_in ? from_app : -1, pfd[2].events = POLLIN;
		/* always watched: POLLERR says the program closed SSLREADFD */
		pfd[3].fd = to_app, pfd[3].events = app_out ? POLLOUT : 0;
		for (i = 0; i < 4; i++)
			pfd[i].revents = 0;
		if ((n = poll(pfd, 4, RELAY_IDLE * 1000)) == -1) {
			if (errno == EINTR)
				continue;
			die_temp_sys("unable to poll");
		}
		if (n == 0) {
			warn("TLS session with ", remote, " idle too long");
			_exit(0);
		}
		if (pfd[3].revents & (POLLERR | POLLHUP | POLLNVAL) &&
		    !(pfd[3].revents & POLLOUT)) {
			close(to_app);
			to_app = -1, dn = 0;
		}
	}
}

/*
 * The engine: load the key, become qmailt, wait for the program's `y` or
 * `Y` (STARTTLS) or start at once (-i), then relay.  Never returns.
 */
static NORETURN void
engine(int ctl, int from_app, int to_app, int implicit, int timeout)
{
	struct sa f = SA_INIT;
	SSL_CTX *ctx;
	SSL *ssl;
	char c = 'Y';
	ssize_t r;

	sig_ignore(SIGPIPE);	/* a peer or program gone: EPIPE */
	ctx = engine_ctx();
	if (!conf_single && geteuid() == 0 &&
	    proc_drop(uid_tls, gid_nofiles) == -1)
		die_temp_sys("unable to switch to user ", user_tls);
	if (!implicit) {
		if (io_writeall(ctl, (char[]){ READY }, 1) == -1)
			_exit(0);	/* the app side gave up */
		while ((r = read(ctl, &c, 1)) == -1 && errno == EINTR)
			;
		if (r == 0 || (r == -1 && errno == ECONNRESET))
			_exit(0);	/* a plaintext session, now over */
		if (r == -1)
			die_temp_sys("unable to read SSLCTLFD");
		if (c != 'y' && c != 'Y')
			die_temp("the program wrote neither y nor Y on",
			    " SSLCTLFD");
	}
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_rfd(ssl, 0) != 1 ||
	    SSL_set_wfd(ssl, 1) != 1)
		die_temp("unable to set up TLS: ", tls_error());
	/* The program has handed the socket over (STARTTLS) or never had it. */
	if (fd_nonblock(0) == -1 || fd_nonblock(1) == -1)
		die_temp_sys("unable to set up the socket");
	handshake(ssl, timeout);
	if (c == 'Y') {
		facts(ssl, &f);
		if (io_writeall(ctl, f.s, f.len) == -1)
			_exit(0);	/* the program is gone */
	}
	close(ctl);
	relay(ssl, from_app, to_app);
}

/* Become $UID/$GID when root; never run the program as root. */
static void
app_drop(void)
{
	const char *u = env_get("UID"), *g = env_get("GID");
	unsigned long uid, gid;

	if (geteuid() == 0) {
		if (u == NULL || g == NULL)
			die_temp("running as root without $UID and $GID:",
			    " start me under envuidgid");
		if (scan_ulong(u, str_len(u), &uid) != str_len(u) ||
		    scan_ulong(g, str_len(g), &gid) != str_len(g) ||
		    uid != (uid_t)uid || gid != (gid_t)gid)
			die_temp("$UID or $GID is not a number");
		if (proc_drop((uid_t)uid, (gid_t)gid) == -1)
			die_temp_sys("unable to switch to uid ", u);
	}
	if (getuid() == 0 || geteuid() == 0)
		die_temp("refusing to run the program as root");
}

static NORETURN void
app_exec(char **argv)
{
	app_drop();
	execvp(argv[0], argv);
	die_temp_sys("unable to run ", argv[0]);
}

static void
env_fd(const char *name, int fd)
{
	char num[FMT_ULONG + 1];

	num[fmt_ulong(num, (unsigned long)fd)] = '\0';
	if (env_put(name, num) == -1)
		die_nomem();
}

static int
known(const char *name)
{
	int i;

	for (i = 0; factnames[i]; i++)
		if (str_equal(name, factnames[i]))
			return 1;
	return 0;
}

/*
 * -i: the facts the engine sends after the handshake, into the
 * environment.  Read as hostile input: the engine runs as another user.
 */
static void
app_facts(int ctl, int timeout)
{
	struct sa f = SA_INIT;
	char buf[512], *eq;
	time_t deadline = time(NULL) + timeout + 5;
	size_t i, start, end = 0;
	ssize_t r;
	int done = 0;

	while (!done) {
		if ((r = io_read(ctl, buf, sizeof buf, 0, deadline)) <= 0)
			_exit(EXIT_TEMP);	/* the engine said why */
		if (f.len + (size_t)r > FACTS_MAX)
			die_temp("the facts on SSLCTLFD are too long");
		if (sa_catb(&f, buf, (size_t)r) == -1)
			die_nomem();
		for (; end < f.len && !done; end++)
			done = f.s[end] == '\0' &&
			    (end == 0 || f.s[end - 1] == '\0');
	}
	/* end is one past the NUL that closes the list */
	for (start = 0; start + 1 < end; start = i + 1) {
		i = start + byte_chr(f.s + start, end - start, '\0');
		eq = f.s + start + byte_chr(f.s + start, i - start, '=');
		if (eq == f.s + i)
			die_temp("bad fact on SSLCTLFD");
		*eq = '\0';
		if (!known(f.s + start))
			die_temp("unknown fact on SSLCTLFD");
		if (env_put(f.s + start, eq + 1) == -1)
			die_nomem();
	}
}

int
main(int argc, char **argv)
{
	int implicit = 0, timeout = TIMEOUT, i = 1;
	int ctl[2], down[2], up[2];
	unsigned long t;
	const char *p;
	struct stat st;
	ssize_t r;
	char c;
	pid_t pid;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (str_equal(argv[i], "--")) {
			i++;
			break;
		}
		for (p = argv[i] + 1; *p; p++)
			if (*p == 'i')
				implicit = 1;
			else if (*p == 't') {
				p = p[1] ? p + 1 : argv[++i];
				if (p == NULL || scan_ulong(p, str_len(p),
				    &t) != str_len(p) || t == 0 || t > 86400)
					usage();
				timeout = (int)t;
				break;
			} else
				usage();
	}
	if (i >= argc)
		usage();
	argv += i;
	if ((p = env_get("TCPREMOTEIP")) != NULL)
		remote = p;
	for (i = 0; factnames[i]; i++)
		env_unset(factnames[i]);
	env_unset("SSLCTLFD"), env_unset("SSLREADFD"), env_unset("SSLWRITEFD");

	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to switch to ", conf_qmail);
	if (stat(CERTFILE, &st) == -1) {
		if (errno != ENOENT)
			die_temp_sys("unable to stat ", CERTFILE);
		if (implicit)
			die_temp("no ", CERTFILE, ": no implicit TLS");
		warn("no ", CERTFILE, ": running ", argv[0], " without TLS");
		app_exec(argv);
	}

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctl) == -1 ||
	    pipe(down) == -1 || pipe(up) == -1)
		die_temp_sys("unable to create the pipes");
	if ((pid = fork()) == -1)
		die_temp_sys("unable to fork");
	if (pid == 0) {
		close(ctl[0]), close(down[0]), close(up[1]);
		engine(ctl[1], up[0], down[1], implicit, timeout);
	}
	close(ctl[1]), close(down[1]), close(up[0]);
	app_drop();	/* before reading a byte from the engine */

	if (implicit) {
		app_facts(ctl[0], timeout);
		close(ctl[0]);
		if (fd_move(0, down[0]) == -1 || fd_move(1, up[1]) == -1)
			die_temp_sys("unable to set up the pipes");
		app_exec(argv);
	}
	if ((r = io_read(ctl[0], &c, 1, 0, time(NULL) + timeout)) != 1 ||
	    c != READY) {
		/* The engine said why it cannot do TLS. */
		close(ctl[0]), close(down[0]), close(up[1]);
		if (r == 0)
			proc_wait(pid, NULL);	/* it has exited */
		warn("running ", argv[0], " without TLS");
		app_exec(argv);
	}
	env_fd("SSLCTLFD", ctl[0]);
	env_fd("SSLREADFD", down[0]);
	env_fd("SSLWRITEFD", up[1]);
	app_exec(argv);
}
