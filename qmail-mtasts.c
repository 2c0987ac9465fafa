/*
 * qmail-mtasts: find the MTA-STS policy (RFC 8461) of one domain:
 * `qmail-mtasts domain`.  Uses the cache queue/mtasts/DOMAIN while it is
 * fresh; otherwise looks up the _mta-sts TXT record and, when its id
 * differs from the cached one, fetches
 * https://mta-sts.DOMAIN/.well-known/mta-sts.txt, verifying the server's
 * certificate against control/tlscafile's CA bundle and the host name.
 * Writes the cache and prints the record (lib/mtasts.h, a policy or a
 * negative entry) on fd 1; says what it did on fd 2.  Run by qmail-remote
 * as qmailr (as root it becomes qmailr first).  Outside the libc-only
 * core: links OpenSSL.
 * Exit: 0 a record printed; 100 usage or a bad domain name; 111 temporary
 * trouble (DNS failure with nothing cached, no memory, ...).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <errno.h>
#include <netdb.h>
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
#include "lib/dns.h"
#include "lib/io.h"
#include "lib/mtasts.h"
#include "lib/proc.h"
#include "lib/str.h"

const char prog[] = "qmail-mtasts";

#define CAFILE_DEFAULT	"/etc/ssl/certs/ca-certificates.crt"
#define TIMEOUT_CONNECT	10	/* seconds per address */
#define TIMEOUT_IO	20	/* seconds per read or write */
#define TIMEOUT_ALL	60	/* the whole run; qmail-remote waits no longer */
#define FAILTTL		300	/* a failed fetch is not retried for 5 minutes */
#define CERTLIST_MAX	(100L * 1024)	/* bytes of the server's chain */

static char domain[DNS_NAME];
static char host[DNS_NAME + 8];		/* mta-sts.DOMAIN */
static struct sa cafile = SA_INIT;
static char outspace[4096];
static struct buf out = BUF_INIT(1, outspace);

static void fail_nomem(void) { die_temp("out of memory"); }

static void
onalarm(int sig)
{
	static const char m[] = "qmail-mtasts: fatal: timed out\n";

	(void)sig;
	(void)write(2, m, sizeof m - 1);
	_exit(EXIT_TEMP);
}

/* one line on fd 2: "qmail-mtasts: DOMAIN: ..." */
#define say(...)	say_parts(2, 0, DIE_LIST(prog, ": ", domain, ": ", __VA_ARGS__))

NORETURN static void
print(const struct mtasts *p)
{
	struct sa x = SA_INIT;

	if (mtasts_fmt(&x, p) == -1)
		fail_nomem();
	if (buf_put(&out, x.s, x.len) == -1 || buf_flush(&out) == -1)
		die_temp_sys("unable to write the record");
	_exit(0);
}

static void
store(const struct mtasts *p)
{
	if (mtasts_cache_write(p) == -1)
		warn_sys("unable to write the cache for ", domain);
}

/* Connect to host:443 through the system resolver (getaddrinfo: this
 * program is outside the core, and the system resolver is what sites
 * configure), each address within TIMEOUT_CONNECT. */
static int
tcp_open(const char **why)
{
	struct addrinfo hints, *res, *ai;
	struct timeval tv;
	socklen_t elen;
	int fd = -1, e, r;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, "443", &hints, &res)) != 0) {
		*why = r == EAI_NONAME ? "no address for the policy host" :
		    "address lookup failed for the policy host";
		return -1;
	}
	*why = "unable to connect to the policy host";
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd == -1)
			continue;
		if (fd_nonblock(fd) == -1)
			goto next;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			if (errno != EINPROGRESS ||
			    io_wait(fd, POLLOUT, TIMEOUT_CONNECT, 0) == -1)
				goto next;
			elen = sizeof e;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1 ||
			    e != 0)
				goto next;
		}
		/* OpenSSL reads and writes a blocking socket: bound each */
		tv.tv_sec = TIMEOUT_IO, tv.tv_usec = 0;
		if (fd_block(fd) == -1 ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1 ||
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == -1)
			goto next;
		freeaddrinfo(res);
		return fd;
next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return -1;
}

static const char *
tls_why(SSL *ssl)
{
	long v = SSL_get_verify_result(ssl);
	unsigned long e;

	if (v != X509_V_OK)
		return X509_verify_cert_error_string(v);
	e = ERR_peek_last_error();
	return e ? ERR_reason_error_string(e) ? ERR_reason_error_string(e) :
	    "TLS failure" : "TLS failure";
}

/* GET the policy over HTTPS (RFC 8461 3.3): the response body, or NULL
 * with *why set. */
static int
fetch(struct sa *policy, const char **why)
{
	static const char path[] = "/.well-known/mta-sts.txt";
	struct sa req = SA_INIT, resp = SA_INIT;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	char b[8192];
	int fd, r, clean = 0, ok = -1;

	if ((fd = tcp_open(why)) == -1)
		return -1;
	*why = "TLS setup failed";
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		goto done;
	if (!SSL_CTX_load_verify_locations(ctx, cafile.s, NULL)) {
		*why = "unable to read the CA bundle named in control/tlscafile";
		goto done;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_verify_depth(ctx, 10);
	SSL_CTX_set_max_cert_list(ctx, CERTLIST_MAX);
	if ((ssl = SSL_new(ctx)) == NULL || !SSL_set_fd(ssl, fd) ||
	    !SSL_set_tlsext_host_name(ssl, host) ||
	    !X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), host, 0))
		goto done;
	/* the name must be the host's own: no partial wildcards */
	X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(ssl),
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_connect(ssl) != 1) {
		*why = tls_why(ssl);
		goto done;
	}
	if (SSL_get_verify_result(ssl) != X509_V_OK) {
		*why = tls_why(ssl);
		goto done;
	}
	if (sa_cats2(&req, "GET ", path) == -1 ||
	    sa_cats2(&req, " HTTP/1.1\r\nHost: ", host) == -1 ||
	    sa_cats(&req, "\r\nUser-Agent: qmail-mtasts\r\n"
	    "Accept: text/plain\r\nConnection: close\r\n\r\n") == -1)
		fail_nomem();
	*why = "unable to send the request";
	if (SSL_write(ssl, req.s, (int)req.len) != (int)req.len)
		goto done;
	for (;;) {
		r = SSL_read(ssl, b, sizeof b);
		if (r > 0) {
			if ((size_t)r > MTASTS_HTTPMAX - resp.len) {
				*why = "policy too large";
				goto done;
			}
			if (sa_catb(&resp, b, (size_t)r) == -1)
				fail_nomem();
			continue;
		}
		r = SSL_get_error(ssl, r);
		if (r == SSL_ERROR_ZERO_RETURN)
			clean = 1;
		else if (resp.len == 0) {
			*why = errno == EAGAIN || errno == EWOULDBLOCK ?
			    "timed out reading the policy" : "no HTTP response";
			goto done;
		}
		break;	/* a cut end: mtasts_http wants a stated length */
	}
	if ((*why = mtasts_http(policy, resp.s, resp.len, clean)) == NULL)
		ok = 0;
done:
	if (ssl)
		SSL_free(ssl);
	if (ctx)
		SSL_CTX_free(ctx);
	close(fd);
	sa_free(&req);
	sa_free(&resp);
	return ok;
}

static unsigned long
minu(unsigned long a, unsigned long b)
{
	return a < b ? a : b;
}

int
main(int argc, char **argv)
{
	struct mtasts c, p;
	struct sa txt = SA_INIT, name = SA_INIT, body = SA_INIT;
	char id[MTASTS_IDLEN + 1], num[FMT_ULONG];
	unsigned long now;
	const char *why;
	int cached, r;

	sig_ignore(SIGPIPE);
	sig_catch(SIGALRM, onalarm);
	alarm(TIMEOUT_ALL);
	if (argc != 2)
		die_perm("usage: qmail-mtasts domain");
	if (!mtasts_domain(domain, argv[1], str_len(argv[1])))
		die_perm("not a domain name: ", argv[1]);
	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to switch to ", conf_qmail);
	if (getuid() == 0 && proc_drop(uid_remote, gid_nofiles) == -1)
		die_temp_sys("unable to become ", user_remote);
	if (ctl_rldef(&cafile, "control/tlscafile", CAFILE_DEFAULT) == -1 ||
	    !sa_str(&cafile))
		die_temp_sys("unable to read control/tlscafile");
	memcpy(host, "mta-sts.", 8);
	memcpy(host + 8, domain, str_len(domain) + 1);
	now = (unsigned long)time(NULL);

	r = mtasts_cache_read(&c, domain);
	if (r == -1)
		warn_sys("unable to read the cache for ", domain);
	cached = r == 1 && c.expires > now;
	if (cached && c.refresh > now) {
		say(c.has_policy ? "cached policy, mode " : "cached: no policy",
		    c.has_policy ? mtasts_mode_name(c.mode) : "");
		print(&c);
	}

	if (sa_cats2(&name, "_mta-sts.", domain) == -1)
		fail_nomem();
	r = dns_txt(&txt, name.s, name.len);
	if (r == DNS_TEMP) {
		if (cached && c.has_policy) {
			say("TXT lookup failed; cached policy kept");
			print(&c);
		}
		die_temp("temporary DNS failure for ", name.s ? name.s : "");
	}
	if (r != DNS_OK || !mtasts_txt_pick(id, txt.s, txt.len)) {
		/* RFC 8461 3.1: no (single valid) record: no policy; a
		 * cached one stays in force until it expires (8.3) */
		if (cached && c.has_policy) {
			c.refresh = minu(now + MTASTS_RECHECK, c.expires);
			store(&c);
			say("no TXT record; cached policy kept until it expires");
			print(&c);
		}
		memset(&p, 0, sizeof p);
		memcpy(p.domain, domain, sizeof domain);
		p.fetched = now, p.refresh = p.expires = now + MTASTS_NEGTTL;
		store(&p);
		say("no MTA-STS TXT record: no policy");
		print(&p);
	}
	if (cached && c.has_policy && str_equal(id, c.id)) {
		c.refresh = minu(now + MTASTS_RECHECK, c.expires);
		store(&c);
		say("policy id ", id, " unchanged: cached policy kept");
		print(&c);
	}

	memset(&p, 0, sizeof p);
	if (fetch(&body, &why) == 0 &&
	    (why = mtasts_policy(&p, body.s, body.len)) == NULL) {
		memcpy(p.domain, domain, sizeof domain);
		memcpy(p.id, id, sizeof id);
		p.has_policy = 1;
		p.fetched = now;
		p.expires = now + p.max_age;
		p.refresh = minu(now + MTASTS_RECHECK, p.expires);
		store(&p);
		num[fmt_ulong(num, p.max_age)] = 0;
		say("fetched policy id ", id, ", mode ",
		    mtasts_mode_name(p.mode), ", max_age ", num);
		print(&p);
	}
	/* RFC 8461 5.1: a failed fetch leaves a cached policy in force */
	if (cached && c.has_policy) {
		c.refresh = minu(now + FAILTTL, c.expires);
		store(&c);
		say("fetch failed (", why, "); cached policy kept");
		print(&c);
	}
	/* RFC 8461 3.3: no policy; try again in a few minutes */
	memset(&p, 0, sizeof p);
	memcpy(p.domain, domain, sizeof domain);
	p.fetched = now, p.refresh = p.expires = now + FAILTTL;
	store(&p);
	say("fetch failed (", why, "): no policy");
	print(&p);
}
