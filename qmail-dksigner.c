/*
 * qmail-dksigner: the DKIM signatures of one message, computed with
 * libopendkim for qmail-dksign, which has already decided that there is
 * a key (man/qmail-dksigner.8).
 *
 * Reads: the spooled message on fd 0 (a regular file, from its start),
 * the signing domain and selector as arguments, and the private keys
 * control/dkim/DOMAIN/SELECTOR.rsa and .ed25519 under the home.
 * Writes: the DKIM-Signature header fields, LF line ends, on fd 1.
 * Runs with qmail-dksign's effective uid qmailk (installed mode 0700,
 * owner qmailk: nothing else may run it), its empty environment, umask,
 * limits and alarm.
 * Exit: 0 with the fields written (none if the keys are gone); else
 * qmail-queue's codes, 82 with the reason on fd 6, which qmail-dksign
 * passes on.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <opendkim/dkim.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/dksign.h"
#include "lib/io.h"
#include "lib/proc.h"
#include "lib/str.h"

const char prog[] = "qmail-dksigner";

#define KEY_MAX		65536	/* bytes in a private key file */

/*
 * The header fields signed (RFC 6376 5.4.1, less the trace and
 * resent fields that relays add), and those signed once more than
 * they occur, so that no copy can be added in transit (RFC 6376 8.15):
 * a second From, Subject or To would change what the reader sees.
 */
static const char *signhdrs[] = { "from", "reply-to", "subject", "date",
    "to", "cc", "in-reply-to", "references", "message-id", "mime-version",
    "content-type", "content-transfer-encoding", "content-id",
    "content-description", "sender", "list-id", "list-help",
    "list-unsubscribe", "list-unsubscribe-post", "list-subscribe",
    "list-post", "list-owner", "list-archive", NULL };
static const char *oversignhdrs[] = { "from", "reply-to", "subject",
    "date", "to", "cc", NULL };

/*
 * The keys: SELECTOR.rsa signs with selector SELECTOR, SELECTOR.ed25519
 * with selector SELECTOR-ed, since the two public keys cannot share one
 * DNS name (RFC 6376 3.6.2.2: several key records make the result
 * undefined).
 */
static const char *const keyext[] = { ".rsa", ".ed25519" };
static const char *const selsuffix[] = { "", "-ed" };
static const dkim_alg_t keyalg[] = { DKIM_SIGN_RSASHA256,
    DKIM_SIGN_ED25519SHA256 };
#define NKEYS	2

static char iobuf[65536];

static NORETURN void
fail_nomem(void)
{
	die_code(QQ_NOMEM, "out of memory");
}

/* 82: the reason on fd 6 (D permanent, Z temporary), also on fd 2 */
static NORETURN void
refuse(const char *why)
{
	(void)io_writeall(6, why, str_len(why));
	(void)io_writeall(6, "\n", 1);
	die_code(QQ_CUSTOM, why + 1);
}

/* qmail-dksign's alarm goes on through exec; its handler does not */
static void
on_alarm(int sig)
{
	(void)sig;
	_exit(QQ_TIMEOUT);
}

/* The header section of the message on fd 0 (dksign.h). */
static void
read_header(struct dksign_hdr *h)
{
	ssize_t r;
	int done = 0;

	if (lseek(0, 0, SEEK_SET) == -1)
		die_code_sys(QQ_READ, "unable to rewind the message");
	while (!done) {
		if ((r = io_read(0, iobuf, sizeof iobuf, 0, 0)) == -1)
			die_code_sys(QQ_READ, "unable to read the message");
		done = r == 0 ? dksign_hdr_eof(h) :
		    dksign_hdr_feed(h, iobuf, (size_t)r);
		if (done == -1)
			fail_nomem();
	}
	if (h->toobig || h->nul)
		die_code(QQ_BUG, "a header qmail-dksign should not sign");
}

/* the field without its final LF, each inner LF as CR LF, for the library */
static void
crlf_field(struct sa *out, const char *s, size_t n)
{
	size_t i;

	out->len = 0;
	if (n > 0 && s[n - 1] == '\n')
		n--;
	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && sa_catc(out, '\r') == -1)
			fail_nomem();
		if (sa_catc(out, s[i]) == -1)
			fail_nomem();
	}
}

struct signer {
	DKIM		*dkim[NKEYS];
	int		 n;
	struct sa	 key[NKEYS];
	struct sa	 sel;
	struct sa	 domain;
};

/*
 * The keys control/dkim/DOMAIN/SEL.rsa and SEL.ed25519, whichever
 * exist; 1 if any.  qmail-dksign has looked, but a key removed since
 * leaves the message unsigned, as if it had not been there.
 */
static int
load_keys(struct signer *s)
{
	struct sa fn = SA_INIT;
	size_t base;
	int i, r, found = 0;

	if (sa_copys(&fn, "control/dkim/") == -1 ||
	    sa_cat(&fn, &s->domain) == -1 || sa_catc(&fn, '/') == -1 ||
	    sa_cat(&fn, &s->sel) == -1)
		fail_nomem();
	base = fn.len;
	for (i = 0; i < NKEYS; i++) {
		fn.len = base;
		if (sa_cats(&fn, keyext[i]) == -1 || sa_0(&fn) == -1)
			fail_nomem();
		s->key[i].len = 0;
		r = io_readfile(&s->key[i], fn.s, KEY_MAX);
		if (r == -1)
			die_code_sys(QQ_CONTROL, "unable to read ", fn.s);
		if (r == 1 && s->key[i].len > 0) {
			if (sa_0(&s->key[i]) == -1)
				fail_nomem();
			found = 1;
		} else
			s->key[i].len = 0;
	}
	sa_free(&fn);
	return found;
}

/* argv: a domain and a selector as qmail-dksign checked them; check again */
static void
args(struct signer *s, int argc, char **argv)
{
	size_t n;

	if (argc != 3)
		die_code(QQ_BUG, "usage: qmail-dksigner domain selector");
	if (sa_copys(&s->domain, argv[1]) == -1 ||
	    sa_copys(&s->sel, argv[2]) == -1)
		fail_nomem();
	n = dksign_domain(s->domain.s, s->domain.len);
	if (n == 0 || n != s->domain.len)
		die_code(QQ_BUG, "bad domain: ", argv[1]);
	if (!dksign_selector(s->sel.s, s->sel.len) ||
	    s->sel.len > DKSIGN_SELECTOR_MAX - 3)	/* room for -ed */
		die_code(QQ_BUG, "bad selector: ", argv[2]);
}

static NORETURN void
dkim_fail(DKIM *dk, const char *what, DKIM_STAT st)
{
	const char *e = dk != NULL ? dkim_geterror(dk) : NULL;

	warn("DKIM library: ", what, ": ", dkim_getresultstr(st),
	    e != NULL ? ": " : "", e != NULL ? e : "");
	refuse("ZDKIM signing failed (#4.3.0)");
}

static void
wipe(struct sa *x)
{
	volatile char *p = x->s;
	size_t i;

	for (i = 0; i < x->cap; i++)
		p[i] = 0;
}

static void
start_signing(DKIM_LIB *lib, struct signer *s)
{
	struct sa dom = SA_INIT, sel = SA_INIT;
	DKIM_STAT st;
	int i;

	if (sa_copy(&dom, &s->domain) == -1 || sa_str(&dom) == NULL)
		fail_nomem();
	for (i = 0; i < NKEYS; i++) {
		s->dkim[i] = NULL;
		if (s->key[i].len == 0)
			continue;
		if (sa_copy(&sel, &s->sel) == -1 ||
		    sa_cats(&sel, selsuffix[i]) == -1 || sa_str(&sel) == NULL)
			fail_nomem();
		s->dkim[i] = dkim_sign(lib, (const unsigned char *)prog, NULL,
		    (unsigned char *)s->key[i].s, (unsigned char *)sel.s,
		    (unsigned char *)dom.s, DKIM_CANON_RELAXED,
		    DKIM_CANON_RELAXED, keyalg[i], -1, &st);
		if (s->dkim[i] == NULL)
			dkim_fail(NULL, keyext[i] + 1, st);
		s->n++;
	}
}

static void
feed_header(struct signer *s, const char *f, size_t n)
{
	DKIM_STAT st;
	int i;

	for (i = 0; i < NKEYS; i++)
		if (s->dkim[i] != NULL && (st = dkim_header(s->dkim[i],
		    (unsigned char *)f, n)) != DKIM_STAT_OK)
			dkim_fail(s->dkim[i], "header", st);
}

static void
feed_body(struct signer *s, const char *b, size_t n)
{
	DKIM_STAT st;
	int i;

	for (i = 0; i < NKEYS; i++)
		if (s->dkim[i] != NULL && (st = dkim_body(s->dkim[i],
		    (unsigned char *)b, n)) != DKIM_STAT_OK)
			dkim_fail(s->dkim[i], "body", st);
}

/* The body from the spool, each LF as CR LF (the queue holds LF ends). */
static void
sign_body(struct signer *s, off_t off)
{
	static char out[2 * sizeof iobuf];
	size_t i, o;
	ssize_t r;

	if (lseek(0, off, SEEK_SET) == -1)
		die_code_sys(QQ_READ, "unable to seek in the message");
	for (;;) {
		if ((r = io_read(0, iobuf, sizeof iobuf, 0, 0)) == -1)
			die_code_sys(QQ_READ, "unable to read the message");
		if (r == 0)
			break;
		for (i = o = 0; i < (size_t)r; i++) {
			if (iobuf[i] == '\n')
				out[o++] = '\r';
			out[o++] = iobuf[i];
		}
		feed_body(s, out, o);
	}
}

/*
 * Sign: every field in order, the end of the header, the body, then the
 * signature header fields, each ending in LF, appended to sigs.
 */
static void
sign(struct signer *s, const struct dksign_hdr *h, struct sa *sigs)
{
	struct sa f = SA_INIT;
	size_t p = 0, n, i, len;
	unsigned char *sig;
	DKIM_STAT st;
	int k;

	while (p < h->fields.len) {
		n = byte_chr(h->fields.s + p, h->fields.len - p, '\0');
		crlf_field(&f, h->fields.s + p, n);
		feed_header(s, f.s, f.len);
		p += n + 1;
	}
	sa_free(&f);
	for (k = 0; k < NKEYS; k++)
		if (s->dkim[k] != NULL && (st = dkim_eoh(s->dkim[k])) !=
		    DKIM_STAT_OK)
			dkim_fail(s->dkim[k], "end of header", st);
	sign_body(s, (off_t)h->used);
	for (k = 0; k < NKEYS; k++) {
		if (s->dkim[k] == NULL)
			continue;
		if ((st = dkim_eom(s->dkim[k], NULL)) != DKIM_STAT_OK)
			dkim_fail(s->dkim[k], "end of message", st);
		st = dkim_getsighdr_d(s->dkim[k], sizeof DKIM_SIGNHEADER + 1,
		    &sig, &len);
		if (st != DKIM_STAT_OK)
			dkim_fail(s->dkim[k], "signature", st);
		if (sa_cats(sigs, DKIM_SIGNHEADER ": ") == -1)
			fail_nomem();
		/* the library folds with CR LF; the queue holds LF */
		for (i = 0; i < len; i++)
			if (sig[i] != '\r' && sa_catc(sigs, sig[i]) == -1)
				fail_nomem();
		if (sa_catc(sigs, '\n') == -1)
			fail_nomem();
		wipe(&s->key[k]);
	}
}

static DKIM_LIB *
library(void)
{
	DKIM_LIB *lib;

	if ((lib = dkim_init(NULL, NULL)) == NULL)
		fail_nomem();
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
	    signhdrs, sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
	    oversignhdrs, sizeof(char **)) != DKIM_STAT_OK)
		dkim_fail(NULL, "options", DKIM_STAT_INTERNAL);
	return lib;
}

int
main(int argc, char **argv)
{
	struct dksign_hdr h = DKSIGN_HDR_INIT;
	struct signer s;
	struct sa sigs = SA_INIT;
	DKIM_LIB *lib;
	int k;

	sig_catch(SIGALRM, on_alarm);
	umask(077);
	memset(&s, 0, sizeof s);
	args(&s, argc, argv);
	if (chdir(conf_qmail) == -1)
		die_code_sys(QQ_HOMEDIR, "unable to chdir to ", conf_qmail);
	read_header(&h);
	if (load_keys(&s)) {
		lib = library();
		start_signing(lib, &s);
		sign(&s, &h, &sigs);
		for (k = 0; k < NKEYS; k++)
			if (s.dkim[k] != NULL)
				dkim_free(s.dkim[k]);
		dkim_close(lib);
	}
	if (io_writeall(1, sigs.s, sigs.len) == -1)
		die_code_sys(QQ_WRITE, "unable to write the signatures");
	return 0;
}
