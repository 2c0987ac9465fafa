/*
 * qmail-dksign: DKIM-sign a message on its way into the queue.  Same
 * interface as qmail-queue (man/qmail-queue.8): the message on fd 0, the
 * envelope on fd 1, a reason on fd 6 with exit 82; set QMAILQUEUE to it.
 *
 * Reads: fd 0, fd 1, control/databytes, control/dkim/DOMAIN/selector,
 * and whether control/dkim/DOMAIN/SELECTOR.rsa or .ed25519 exist.
 * Writes: a temporary copy of the message in control/dkim (unlinked as
 * soon as it is open), then the message, with the signatures that
 * bin/qmail-dksigner computes when there is a key, to bin/qmail-queue.
 * Links libc only: most messages have no key, and loading libopendkim
 * and libcrypto for them cost more than the rest of the work; the
 * signer, which needs them, runs only when there is a key.
 * Installed setuid qmailk, the only reader of the keys; trusts nothing
 * inherited (environment, umask, descriptors, signals, limits) and keeps
 * the caller's real uid, which qmail-queue records.
 * Exit: qmail-queue's; its own and the signer's failures use qmail-queue's
 * codes (man/qmail-dksign.8).  No key for the domain: the message goes
 * on unsigned.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/control.h"
#include "lib/die.h"
#include "lib/dksign.h"
#include "lib/envelope.h"
#include "lib/hdr.h"
#include "lib/io.h"
#include "lib/proc.h"
#include "lib/qq.h"
#include "lib/str.h"

const char prog[] = "qmail-dksign";

#define DEATH		86400	/* like qmail-queue: stuck for a day gives 52 */
#define SPOOL_MAX	(256UL << 20)	/* bytes spooled without databytes */
#define SIGS_MAX	65536	/* bytes of signature fields from the signer */

extern char **environ;

/* the key files of a selector: qmail-dksigner reads them (and says why) */
static const char *const keyext[] = { ".rsa", ".ed25519" };
#define NKEYS	2

static char iobuf[65536];
static char spoolfn[64];
static int spoolfd = -1;

static NORETURN void
fail_nomem(void)
{
	die_code(QQ_NOMEM, "out of memory");
}

/* 82: the reason on fd 6 (D permanent, Z temporary), also on fd 2 */
static NORETURN void
refuse(const char *why)
{
	size_t n = str_len(why);

	(void)io_writeall(6, why, n);
	(void)io_writeall(6, "\n", 1);
	die_code(QQ_CUSTOM, why + 1);
}

static void
on_alarm(int sig)
{
	(void)sig;
	_exit(QQ_TIMEOUT);
}

/*
 * A setuid program's start: an empty environment (nothing in it
 * decides anything here; qmail-queue is found by the compiled-in home,
 * never by $QMAILQUEUE), a umask of our own, no core file that could
 * hold a key, and descriptors 0, 1, 2 and 6 open, so that no file we
 * open lands on a number the caller reads as a message or a reason.
 */
static void
hygiene(void)
{
	static char *noenv[] = { NULL };
	struct rlimit rl;
	sigset_t ss;
	int fd;

	environ = noenv;
	umask(077);
	rl.rlim_cur = rl.rlim_max = 0;
	(void)setrlimit(RLIMIT_CORE, &rl);
	sigemptyset(&ss);
	sigprocmask(SIG_SETMASK, &ss, NULL);
	sig_catch(SIGALRM, on_alarm);
	sig_ignore(SIGPIPE);	/* a caller gone while we write fd 6 */
	sig_ignore(SIGXFSZ);	/* a file size limit gives EFBIG: 53 */
	alarm(DEATH);
	if (fcntl(0, F_GETFL) == -1 || fcntl(1, F_GETFL) == -1)
		_exit(QQ_READ);
	if (fcntl(2, F_GETFL) == -1 || fcntl(6, F_GETFL) == -1) {
		if ((fd = open("/dev/null", O_RDWR)) == -1)
			_exit(QQ_BUG);
		if (fcntl(2, F_GETFL) == -1 && dup2(fd, 2) == -1)
			_exit(QQ_BUG);
		if (fcntl(6, F_GETFL) == -1 && dup2(fd, 6) == -1)
			_exit(QQ_BUG);
		if (fd != 2 && fd != 6)
			close(fd);
	}
}

/*
 * The message to a file only qmailk can open, unlinked at once: it is
 * read twice (to sign, then to pass on), and is never held in memory.
 * A name left by a crashed process with our pid is stale: remove it.
 */
static void
spool_open(void)
{
	static const char pre[] = "control/dkim/.spool.";
	size_t n = sizeof pre - 1;
	int tries;

	memcpy(spoolfn, pre, n);
	n += fmt_ulong(spoolfn + n, (unsigned long)getpid());
	spoolfn[n] = '\0';
	for (tries = 0; tries < 2; tries++) {
		spoolfd = open(spoolfn, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (spoolfd != -1 || errno != EEXIST)
			break;
		(void)unlink(spoolfn);
	}
	if (spoolfd == -1)
		die_code_sys(QQ_WRITE, "unable to create ", spoolfn);
	if (unlink(spoolfn) == -1)
		die_code_sys(QQ_WRITE, "unable to unlink ", spoolfn);
}

static unsigned long
spool_limit(void)
{
	unsigned long db = 0;

	if (ctl_readulong(&db, "control/databytes", 0) == -1)
		die_code_sys(QQ_CONTROL, "unable to read control/databytes");
	return db > 0 && db < SPOOL_MAX ? db : SPOOL_MAX;
}

static void
spool_body(unsigned long limit)
{
	unsigned long total = 0;
	ssize_t r;

	for (;;) {
		if ((r = io_read(0, iobuf, sizeof iobuf, 0, 0)) == -1)
			die_code_sys(QQ_READ, "unable to read the message");
		if (r == 0)
			break;
		if ((unsigned long)r > limit - total)
			refuse("Dmessage too large to sign (#5.3.4)");
		total += (unsigned long)r;
		if (io_writeall(spoolfd, iobuf, (size_t)r) == -1)
			die_code_sys(QQ_WRITE, "unable to write ", spoolfn);
	}
}

static void
spool_rewind(void)
{
	if (lseek(spoolfd, 0, SEEK_SET) == -1)
		die_code_sys(QQ_READ, "unable to rewind ", spoolfn);
}

/* The envelope, after the message's end of file, as qmail-queue reads it. */
static void
read_envelope(struct sa *e)
{
	struct env_in st = ENV_IN_INIT;
	size_t used;
	ssize_t r;
	int code;

	for (;;) {
		if ((r = io_read(1, iobuf, sizeof iobuf, 0, 0)) == -1)
			die_code_sys(QQ_READ, "unable to read the envelope");
		if (r == 0)
			die_code(QQ_ENVELOPE, "envelope cut short");
		code = env_in_feed(&st, e, iobuf, (size_t)r, &used);
		if (code == ENV_IN_DONE)
			return;
		if (code)
			die_code(code, "bad envelope");
	}
}

/*
 * A domain we may look keys up for (dksign.h), lower-cased into out; 0 if
 * it will not do (an address literal, a name that could leave
 * control/dkim).
 */
static int
domain_ok(struct sa *out, const char *s, size_t n)
{
	size_t len;

	if (sa_copyb(out, s, n) == -1)
		fail_nomem();
	if ((len = dksign_domain(out->s, out->len)) == 0)
		return 0;
	out->len = len;
	return 1;
}

/* From: the domain every address names, or none */
struct from {
	struct sa	 domain;
	int		 n;	/* addresses seen */
	int		 bad;	/* one without a domain, or two domains */
};

static int
from_addr(struct hdr_addr *a, void *arg)
{
	struct from *f = arg;
	struct sa d = SA_INIT;

	if (a->angle && a->local.len == 0 && a->domain.len == 0)
		return 0;	/* <>: no address */
	if (!a->at || !domain_ok(&d, a->domain.s, a->domain.len))
		f->bad = 1;
	else if (f->n == 0 && sa_copy(&f->domain, &d) == -1)
		return -1;
	else if (f->n > 0 && (f->domain.len != d.len ||
	    memcmp(f->domain.s, d.s, d.len) != 0))
		f->bad = 1;
	f->n++;
	sa_free(&d);
	return 0;
}

/* the From field's domain into d: 1, or 0 when it names no one domain */
static int
from_domain(struct sa *d, const char *fld, size_t n)
{
	struct from f = { SA_INIT, 0, 0 };
	struct sa out = SA_INIT;
	size_t v = hdr_value(fld, n);
	int r;

	r = hdr_addrlist(&out, fld + v, n - v, v, from_addr, &f);
	sa_free(&out);
	if (r == -1)
		fail_nomem();
	if (r == 0 || f.bad || f.n == 0) {
		sa_free(&f.domain);
		return 0;
	}
	sa_free(d);
	*d = f.domain;
	return 1;
}

/* The header section of the spooled message (dksign.h). */
static void
read_header(struct dksign_hdr *h)
{
	ssize_t r;
	int done = 0;

	spool_rewind();
	while (!done) {
		if ((r = io_read(spoolfd, iobuf, sizeof iobuf, 0, 0)) == -1)
			die_code_sys(QQ_READ, "unable to read ", spoolfn);
		done = r == 0 ? dksign_hdr_eof(h) :
		    dksign_hdr_feed(h, iobuf, (size_t)r);
		if (done == -1)
			fail_nomem();
	}
}

/*
 * A key file that can be used: 1 if it exists and is not empty, 0 if it
 * is absent or empty (as the signer sees it); one we cannot open or stat
 * is a temporary failure (55).  The key itself is read only by the signer.
 */
static int
key_exists(const char *fn)
{
	struct stat st;
	int fd, r;

	if ((fd = open(fn, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		die_code_sys(QQ_CONTROL, "unable to read ", fn);
	}
	if (fstat(fd, &st) == -1)
		die_code_sys(QQ_CONTROL, "unable to read ", fn);
	if (!S_ISREG(st.st_mode))	/* the signer could not read it */
		die_code(QQ_CONTROL, "unable to read ", fn, ": not a file");
	r = st.st_size > 0;
	close(fd);
	return r;
}

struct key {
	struct sa	 domain;
	struct sa	 sel;
};

/*
 * Whether domain d has a key: control/dkim/D/selector, then
 * control/dkim/D/SEL.rsa and SEL.ed25519.  1 if either is there; 0 if
 * there is no key (no directory, no selector).
 */
static int
has_key(struct key *k, const struct sa *d)
{
	struct sa fn = SA_INIT;
	size_t base;
	int i, r, found = 0;

	if (sa_copys(&fn, "control/dkim/") == -1 || sa_cat(&fn, d) == -1 ||
	    sa_cats(&fn, "/selector") == -1 || sa_0(&fn) == -1)
		fail_nomem();
	r = ctl_readline(&k->sel, fn.s);
	if (r == -1 && errno != ENOTDIR)
		die_code_sys(QQ_CONTROL, "unable to read ", fn.s);
	if (r != 1) {
		sa_free(&fn);
		return 0;
	}
	if (!dksign_selector(k->sel.s, k->sel.len) ||
	    k->sel.len > DKSIGN_SELECTOR_MAX - 3)	/* room for -ed */
		refuse("Zbad selector in control/dkim (#4.3.0)");
	fn.len -= sizeof "/selector";
	if (sa_catc(&fn, '/') == -1 || sa_cat(&fn, &k->sel) == -1)
		fail_nomem();
	base = fn.len;
	for (i = 0; i < NKEYS; i++) {
		fn.len = base;
		if (sa_cats(&fn, keyext[i]) == -1 || sa_0(&fn) == -1)
			fail_nomem();
		if (key_exists(fn.s))
			found = 1;
	}
	sa_free(&fn);
	if (found && sa_copy(&k->domain, d) == -1)
		fail_nomem();
	return found;
}

/* The domain, then each parent down to two labels: the first with a key. */
static int
find_key(struct key *k, const struct sa *domain)
{
	struct sa d = SA_INIT;
	size_t i;

	if (sa_copy(&d, domain) == -1)
		fail_nomem();
	for (;;) {
		if (has_key(k, &d))
			break;
		i = byte_chr(d.s, d.len, '.') + 1;	/* the parent */
		if (byte_chr(d.s + i, d.len - i, '.') == d.len - i) {
			sa_free(&d);
			return 0;	/* down to one label */
		}
		memmove(d.s, d.s + i, d.len - i);
		d.len -= i;
	}
	sa_free(&d);
	return 1;
}

/*
 * The signatures, from bin/qmail-dksigner with the spool on its fd 0 and
 * a pipe on its fd 1, into sigs.  It keeps our euid qmailk through exec
 * (it is not setuid itself: mode 0700, owner qmailk) and our empty
 * environment, umask, limits, alarm and fds 2 and 6.  Its failure is
 * ours, with its code (it has said why on fd 2, and on fd 6 for 82).
 */
static void
run_signer(const struct key *k, struct sa *sigs)
{
	static char *noenv[] = { NULL };
	char *argv[4];
	struct sa dom = SA_INIT, sel = SA_INIT;
	pid_t pid;
	ssize_t r;
	int pi[2], wstat, code;

	if (sa_copy(&dom, &k->domain) == -1 || sa_str(&dom) == NULL ||
	    sa_copy(&sel, &k->sel) == -1 || sa_str(&sel) == NULL)
		fail_nomem();
	argv[0] = "qmail-dksigner", argv[1] = dom.s, argv[2] = sel.s;
	argv[3] = NULL;
	spool_rewind();
	if (pipe(pi) == -1)
		refuse("Zunable to run qmail-dksigner (#4.3.0)");
	if ((pid = fork()) == -1)
		refuse("Zunable to run qmail-dksigner (#4.3.0)");
	if (pid == 0) {
		close(pi[0]);
		if (dup2(spoolfd, 0) == -1 || dup2(pi[1], 1) == -1)
			_exit(QQ_EXEC);
		close(pi[1]);
		execve("bin/qmail-dksigner", argv, noenv);
		_exit(QQ_EXEC);
	}
	close(pi[1]);
	for (;;) {
		if (sa_readyplus(sigs, sizeof iobuf) == -1)
			fail_nomem();
		r = io_read(pi[0], sigs->s + sigs->len, sizeof iobuf, 0, 0);
		if (r <= 0)
			break;
		sigs->len += (size_t)r;
		if (sigs->len > SIGS_MAX) {
			kill(pid, SIGKILL);
			break;
		}
	}
	close(pi[0]);
	if (proc_wait(pid, &wstat) == -1)
		refuse("Zunable to wait for qmail-dksigner (#4.3.0)");
	if (sigs->len > SIGS_MAX)
		refuse("Zqmail-dksigner wrote too much (#4.3.0)");
	if ((code = proc_exitcode(wstat)) == -1 || r == -1)
		refuse("Zqmail-dksigner crashed (#4.3.0)");
	if (code == QQ_EXEC)
		refuse("Zunable to run qmail-dksigner (#4.3.0)");
	if (code != 0)
		_exit(code);
	sa_free(&dom);
	sa_free(&sel);
}

/* The signature fields, the message, the envelope as it came: exit. */
static NORETURN void
pass_on(const struct sa *sigs, const struct sa *env)
{
	struct qq q;
	size_t pos = 0, n;
	const char *v;
	int c, code;

	spool_rewind();
	if (qq_open(&q) == -1)
		refuse("Zunable to run qmail-queue (#4.3.0)");
	qq_put(&q, sigs->s, sigs->len);
	if (qq_copy(&q, spoolfd) == -1) {
		qq_kill(&q);
		die_code_sys(QQ_READ, "unable to read ", spoolfn);
	}
	while (env_next(env->s, env->len, &pos, &c, &v, &n) == 1) {
		if (c == 'F')
			qq_from(&q, v);
		else if (c == 'T')
			qq_to(&q, v);
	}
	code = qq_close(&q);
	if (code == QQ_EXEC || code == QQ_CRASHED)
		refuse(code == QQ_EXEC ? "Zunable to run qmail-queue (#4.3.0)" :
		    "Zqmail-queue crashed (#4.3.0)");
	if (code == QQ_CUSTOM) {
		if (q.why[0] != 'D' && q.why[0] != 'Z')
			refuse("Zqq temporary problem (#4.3.0)");
		(void)io_writeall(6, q.why, str_len(q.why));
		(void)io_writeall(6, "\n", 1);
	}
	_exit(code);
}

/* the envelope sender's domain: the fallback when From names none */
static int
sender_domain(struct sa *d, const struct sa *env)
{
	size_t pos = 0, n, at;
	const char *v;
	int c;

	while (env_next(env->s, env->len, &pos, &c, &v, &n) == 1) {
		if (c != 'F')
			continue;
		at = byte_rchr(v, n, '@');
		return at < n && domain_ok(d, v + at + 1, n - at - 1);
	}
	return 0;
}

/*
 * The signing domain into dom: the From field's, else the envelope
 * sender's; 0 for none (or a header we do not sign).
 */
static int
signing_domain(struct sa *dom, const struct dksign_hdr *h,
    const struct sa *env)
{
	size_t p = 0, n;
	int nfrom = 0, fromok = 0;

	if (h->toobig || h->nul) {
		warn(h->nul ? "NUL in the header" : "header too large",
		    " to sign: passed on unsigned");
		return 0;
	}
	while (p < h->fields.len) {
		n = byte_chr(h->fields.s + p, h->fields.len - p, '\0');
		if (hdr_is(h->fields.s + p, n, "from") && ++nfrom == 1)
			fromok = from_domain(dom, h->fields.s + p, n);
		p += n + 1;
	}
	/* no From, several, or not one domain in it: the sender's */
	if (nfrom == 1 && fromok)
		return 1;
	return sender_domain(dom, env);
}

int
main(void)
{
	struct dksign_hdr h = DKSIGN_HDR_INIT;
	struct key k = { SA_INIT, SA_INIT };
	struct sa env = SA_INIT, dom = SA_INIT, sigs = SA_INIT;

	hygiene();
	if (chdir(conf_qmail) == -1)
		die_code_sys(QQ_HOMEDIR, "unable to chdir to ", conf_qmail);
	spool_open();
	spool_body(spool_limit());
	read_envelope(&env);
	read_header(&h);
	if (signing_domain(&dom, &h, &env) && find_key(&k, &dom))
		run_signer(&k, &sigs);
	pass_on(&sigs, &env);
}
