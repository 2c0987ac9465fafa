/*
 * qmail-authverify: the checking half of qmail-authcheck, which runs it
 * for mail from the internet (and runs nothing linked with these
 * libraries for the rest).  The message, spooled to an unlinked temporary
 * file, is checked: DKIM signatures (libopendkim), SPF for the envelope
 * sender or the HELO name (libspf2), DMARC for the From: domain
 * (libopendmarc).  One Authentication-Results field (RFC 8601) with our
 * authserv-id is put on top, incoming ones claiming that id are removed,
 * and the message goes to bin/qmail-queue, unless the policy in
 * control/dmarcreject and control/spfreject refuses it.  Runs as the
 * caller (qmaild).
 * Exit: qmail-queue's codes (man/qmail-queue.8), its own exit when it ran;
 * 82 with "D..." or "Z..." on fd 6 for a refusal (man/qmail-authcheck.8).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <opendkim/dkim.h>
#include <spf2/spf.h>
#include <opendmarc/dmarc.h>

#include "lib/authres.h"
#include "lib/conf.h"
#include "lib/control.h"
#include "lib/die.h"
#include "lib/envelope.h"
#include "lib/hdr.h"
#include "lib/io.h"
#include "lib/limit.h"
#include "lib/proc.h"
#include "lib/qq.h"
#include "lib/str.h"

const char prog[] = "qmail-authverify";

#define MAXSIGS		8	/* DKIM signatures verified; the rest ignored */
#define FIELDMAX	(64UL << 10)	/* of a field, for the checks */
#define TIMEOUT		120	/* seconds for all the checks (timeoutauthcheck) */
#define PSL		"/usr/share/publicsuffix/public_suffix_list.dat"

enum action { MARK, DEFER, REJECT };
enum res { R_NONE, R_PASS, R_FAIL, R_SOFTFAIL, R_NEUTRAL, R_TEMPERROR,
	R_PERMERROR };
static const char *const resname[] = { "none", "pass", "fail", "softfail",
	"neutral", "temperror", "permerror" };

struct sig {
	enum res	 r;
	char		 d[256];
	char		 s[64];
	char		 b[9];
	const char	*why;
};

static struct sig sigs[MAXSIGS];
static size_t nsigs, nignored;
static enum res dkimres;		/* none, or the first signature's */
static const char *dkimwhy;		/* a result without signatures */

static int tmpfd = -1;
static struct sa sender = SA_INIT, rcpts = SA_INIT;
static struct sa authservid = SA_INIT, helo = SA_INIT, fromdom = SA_INIT;
static struct sa skiplist = SA_INIT;
static off_t bodyoff;
static unsigned long ndkimhdrs, nfrom;
static int headertoolarge, fromproblem;
static const char *remoteip;
static char ipbuf[64];

static NORETURN void
fail_nomem(void)
{
	die_code(QQ_NOMEM, "out of memory");
}

static NORETURN void
fail_read(void)
{
	die_code_sys(QQ_READ, "unable to read the message or envelope");
}

static NORETURN void
fail_control(const char *fn)
{
	die_code_sys(QQ_CONTROL, "unable to read ", fn);
}

/* the refusal the policy asks for, said on fd 6 the way qmail-smtpd shows it */
static NORETURN void
refuse(enum action a, const char *why)
{
	struct sa t = SA_INIT;
	int temp = a == DEFER;

	if (sa_cats(&t, temp ? "Z" : "D") == -1 || sa_cats(&t, why) == -1 ||
	    sa_cats(&t, temp ? " (#4.7.1)" : " (#5.7.1)") == -1 ||
	    sa_str(&t) == NULL)
		fail_nomem();
	(void)io_writeall(6, t.s, t.len);
	warn("refused: ", t.s);
	_exit(QQ_CUSTOM);
}

static NORETURN void
refuse_temp(const char *why)
{
	static const char z[] = "Z";

	(void)io_writeall(6, z, 1);
	(void)io_writeall(6, why, str_len(why));
	warn("deferred: ", why);
	_exit(QQ_CUSTOM);
}

/* Everything the checks wait for (DNS above all) ends here: the message
 * stays with the client, which retries. */
static void
ontimeout(int sig)
{
	static const char z[] = "Zauthentication checks timed out (#4.4.3)";

	(void)sig;
	(void)write(6, z, sizeof z - 1);
	_exit(QQ_TIMEOUT);
}

static enum action
readaction(const char *fn, enum action def)
{
	struct sa x = SA_INIT;
	int r = ctl_readline(&x, fn);

	if (r == -1)
		fail_control(fn);
	if (r == 0 || x.len == 0)
		return def;
	if (case_equalb(x.s, x.len, "reject"))
		return REJECT;
	if (case_equalb(x.s, x.len, "defer"))
		return DEFER;
	if (case_equalb(x.s, x.len, "mark"))
		return MARK;
	errno = EINVAL;
	fail_control(fn);
	return MARK;
}

/* The body to an unlinked file: it is read twice, and never held whole. */
static void
spool(unsigned long limit)
{
	char fn[] = "/tmp/qmail-authcheck.XXXXXX";
	char b[BUF_SIZE * 4];
	unsigned long total = 0;
	ssize_t r;

	umask(077);
	if ((tmpfd = mkstemp(fn)) == -1)
		die_code_sys(QQ_WRITE, "unable to create a temporary file");
	if (unlink(fn) == -1)
		die_code_sys(QQ_WRITE, "unable to remove ", fn);
	while ((r = io_read(0, b, sizeof b, 0, 0)) > 0) {
		total += (unsigned long)r;
		if (limit && total > limit) {
			static const char d[] =
			    "Dmessage is too big (#5.3.4)";
			(void)io_writeall(6, d, sizeof d - 1);
			_exit(QQ_CUSTOM);
		}
		if (io_writeall(tmpfd, b, (size_t)r) == -1)
			die_code_sys(QQ_WRITE, "unable to write the temporary file");
	}
	if (r == -1)
		fail_read();
}

static void
readenvelope(void)
{
	struct env_in st = ENV_IN_INIT;
	struct sa e = SA_INIT;
	char b[BUF_SIZE];
	size_t used, pos = 0, vlen;
	const char *v;
	ssize_t r;
	int code, letter;

	for (;;) {
		if ((r = io_read(1, b, sizeof b, 0, 0)) == -1)
			fail_read();
		if (r == 0)
			die_code(QQ_ENVELOPE, "envelope ended early");
		code = env_in_feed(&st, &e, b, (size_t)r, &used);
		if (code == ENV_IN_DONE)
			break;
		if (code)
			die_code(code, "bad envelope");
	}
	while ((code = env_next(e.s, e.len, &pos, &letter, &v, &vlen)) == 1) {
		if (letter == 'F' && sa_copyb(&sender, v, vlen) == -1)
			fail_nomem();
		if (letter == 'T' && (sa_catb(&rcpts, v, vlen) == -1 ||
		    sa_0(&rcpts) == -1))
			fail_nomem();
	}
	if (code == -1)
		die_code(QQ_ENVELOPE, "bad envelope");
	sa_free(&e);
}

/* "Received: from NAME (HELO X) (...)" written by qmail-smtpd: X, or
 * NAME when it left the HELO out because they were the same */
static void
helofrom(const char *s, size_t n)
{
	size_t i = byte_chr(s, n, ':') + 1, j;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i < 5 || !case_startb(s + i, n - i, "from "))
		return;
	i += 5;
	j = i;
	while (j < n && s[j] != ' ' && s[j] != '\n')
		j++;
	if (n - j >= 7 && case_startb(s + j, n - j, " (HELO ")) {
		i = j + 7;
		j = i + byte_chr(s + i, n - i, ')');
		if (j == n)
			return;
	} else if (j - i == 7 && case_startb(s + i, j - i, "unknown"))
		return;
	if (j > i && j - i < 256 && sa_copyb(&helo, s + i, j - i) == -1)
		fail_nomem();
}

static int
sameb(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++)
		if ((a[i] | 0x20) != (b[i] | 0x20))
			return 0;
	return 1;
}

struct fromctx {
	int	 n;
};

static int
fromaddr(struct hdr_addr *a, void *arg)
{
	struct fromctx *c = arg;
	const char *d = a->domain.s;
	size_t n = a->domain.len;

	if (n == 0 || n > 253)
		return 0;
	if (c->n++ == 0)
		return sa_copyb(&fromdom, d, n);
	if (!sameb(fromdom.s, fromdom.len, d, n))
		fromproblem = 1;	/* RFC 7489 6.6.1: several domains */
	return 0;
}

static void
fromfield(const char *s, size_t n, int trunc)
{
	struct sa out = SA_INIT;
	struct fromctx c = { 0 };
	size_t v = byte_chr(s, n, ':') + 1;

	if (++nfrom > 1 || trunc) {
		fromproblem = 1;
		return;
	}
	if (hdr_addrlist(&out, s + v, n - v, v, fromaddr, &c) != 1 || c.n == 0)
		fromproblem = 1;
	sa_free(&out);
}

/* DKIM: at most MAXSIGS signatures are verified, the rest ignored. */
static DKIM_CBSTAT
prescreen(DKIM *d, DKIM_SIGINFO **si, int n)
{
	int i;

	(void)d;
	for (i = MAXSIGS; i < n; i++) {
		dkim_sig_ignore(si[i]);
		nignored++;
	}
	return DKIM_CBSTAT_CONTINUE;
}

static enum res
sigresult(DKIM_SIGINFO *s, const char **why)
{
	unsigned int fl = dkim_sig_getflags(s);
	int err = dkim_sig_geterror(s);

	*why = NULL;
	if ((fl & DKIM_SIGFLAG_PASSED) && dkim_sig_getbh(s) == DKIM_SIGBH_MATCH)
		return R_PASS;
	if (err != DKIM_SIGERROR_OK && err != DKIM_SIGERROR_UNKNOWN)
		*why = dkim_sig_geterrorstr(err);
	switch (err) {
	case DKIM_SIGERROR_KEYFAIL:
		return R_TEMPERROR;
	case DKIM_SIGERROR_NOKEY: case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_MULTIREPLY: case DKIM_SIGERROR_KEYVERSION:
	case DKIM_SIGERROR_KEYUNKNOWNHASH: case DKIM_SIGERROR_KEYHASHMISMATCH:
	case DKIM_SIGERROR_NOTEMAILKEY: case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN: case DKIM_SIGERROR_KEYREVOKED:
	case DKIM_SIGERROR_KEYDECODE: case DKIM_SIGERROR_KEYTOOSMALL:
	case DKIM_SIGERROR_EXPIRED: case DKIM_SIGERROR_FUTURE:
		return R_PERMERROR;
	case DKIM_SIGERROR_BADSIG: case DKIM_SIGERROR_OK:
		if (dkim_sig_getbh(s) == DKIM_SIGBH_MISMATCH)
			*why = "body hash mismatch";
		else if (*why == NULL)
			*why = "signature mismatch";
		return (fl & DKIM_SIGFLAG_PROCESSED) ? R_FAIL : R_NEUTRAL;
	default:
		return R_NEUTRAL;	/* the signature's own syntax */
	}
}

static void
cpy(char *to, size_t max, const unsigned char *from)
{
	size_t n = from ? str_len((const char *)from) : 0;

	if (n >= max)
		n = max - 1;
	if (n)
		memcpy(to, from, n);
	to[n] = '\0';
}

/* a field with its folding as CR LF, the form libopendkim canonicalizes */
static int
crlf(struct sa *c, const struct sa *f)
{
	size_t i;

	c->len = 0;
	for (i = 0; i < f->len; i++)
		if ((f->s[i] == '\n' && sa_catc(c, '\r') == -1) ||
		    sa_catc(c, f->s[i]) == -1)
			fail_nomem();
	return 0;
}

/* the header once, for DKIM and for what the other checks need */
static void
readheader(DKIM *dk)
{
	char space[BUF_SIZE * 4];
	struct sa f = SA_INIT, c = SA_INIT;
	struct buf b;
	struct hf h;
	size_t total = 0;
	int r, first = 1;

	if (lseek(tmpfd, 0, SEEK_SET) == -1)
		fail_read();
	buf_init(&b, tmpfd, space, sizeof space);
	hf_init(&h, &b);
	while ((r = hf_next(&h, &f, FIELDMAX)) == 1) {
		if (first && hdr_is(f.s, f.len, "Received") && helo.len == 0)
			helofrom(f.s, f.len);
		first = 0;
		if (hdr_is(f.s, f.len, "From"))
			fromfield(f.s, f.len, h.trunc);
		if (hdr_is(f.s, f.len, "DKIM-Signature"))
			ndkimhdrs++;
		total += f.len;
		if (h.trunc || total > LIMIT_HEADER)
			headertoolarge = 1;
		if (dk != NULL && !headertoolarge && crlf(&c, &f) == 0 &&
		    dkim_header(dk, (u_char *)c.s, c.len) != DKIM_STAT_OK &&
		    hdr_is(f.s, f.len, "DKIM-Signature") == 0)
			headertoolarge = 1;	/* the library took no more */
	}
	if (r == -1)
		fail_read();
	bodyoff = h.off;
	sa_free(&f);
	sa_free(&c);
}

static void
dkimbody(DKIM *dk)
{
	char b[BUF_SIZE * 4];
	off_t off = bodyoff;
	ssize_t r;

	while ((r = pread(tmpfd, b, sizeof b, off)) > 0) {
		off += r;
		if (dkim_body(dk, (u_char *)b, (size_t)r) != DKIM_STAT_OK)
			break;
	}
	if (r == -1)
		fail_read();
}

static void
dkimcheck(void)
{
	DKIM_LIB *lib;
	DKIM *dk;
	DKIM_STAT st;
	DKIM_SIGINFO **si;
	unsigned int fl = DKIM_LIBFLAGS_FIXCRLF;
	u_int t = 10;
	int n, i;

	if ((lib = dkim_init(NULL, NULL)) == NULL)
		fail_nomem();
	(void)dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &fl, sizeof fl);
	(void)dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_TIMEOUT, &t, sizeof t);
	(void)dkim_set_prescreen(lib, prescreen);
	if ((dk = dkim_verify(lib, (const u_char *)prog, NULL, &st)) == NULL)
		fail_nomem();
	readheader(dk);
	if (ndkimhdrs == 0)
		return;		/* dkim=none; no need to read the body */
	if (headertoolarge) {
		dkimres = R_PERMERROR;
		dkimwhy = "header too large to verify";
		return;
	}
	st = dkim_eoh(dk);
	if (st == DKIM_STAT_OK) {
		dkimbody(dk);
		st = dkim_eom(dk, NULL);
	}
	if (dkim_getsiglist(dk, &si, &n) != DKIM_STAT_OK || n == 0) {
		dkimres = st == DKIM_STAT_NORESOURCE ? R_TEMPERROR : R_NEUTRAL;
		dkimwhy = "no valid signature";
		return;
	}
	for (i = 0; i < n && nsigs < MAXSIGS; i++) {
		struct sig *s = &sigs[nsigs];
		const u_char *b;

		if (dkim_sig_getflags(si[i]) & DKIM_SIGFLAG_IGNORE)
			continue;
		s->r = sigresult(si[i], &s->why);
		cpy(s->d, sizeof s->d, dkim_sig_getdomain(si[i]));
		cpy(s->s, sizeof s->s, dkim_sig_getselector(si[i]));
		b = dkim_sig_gettagvalue(si[i], 0, (u_char *)"b");
		cpy(s->b, sizeof s->b, b);
		nsigs++;
	}
	if (nsigs)
		dkimres = sigs[0].r;
	(void)dkim_free(dk);
	dkim_close(lib);
}

static enum res
spfcheck(struct sa *identity, int *helo_used)
{
	SPF_server_t *srv;
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	const char *ip = remoteip;
	SPF_errcode_t err;
	enum res r;

	*helo_used = sender.len == 0;
	if (*helo_used) {
		if (helo.len == 0)
			return R_NONE;	/* no identity to check */
		if (sa_copy(identity, &helo) == -1)
			fail_nomem();
	} else if (sa_copy(identity, &sender) == -1)
		fail_nomem();
	if (sa_str(identity) == NULL)
		fail_nomem();
	if ((srv = SPF_server_new(SPF_DNS_RESOLV, 0)) == NULL ||
	    (req = SPF_request_new(srv)) == NULL)
		fail_nomem();
	if (str_start(ip, "::ffff:") && byte_chr(ip, str_len(ip), '.') <
	    str_len(ip))
		ip += 7;
	if ((byte_chr(ip, str_len(ip), ':') < str_len(ip) ?
	    SPF_request_set_ipv6_str(req, ip) :
	    SPF_request_set_ipv4_str(req, ip)) != SPF_E_SUCCESS)
		return R_PERMERROR;
	if (helo.len && (sa_str(&helo) == NULL ||
	    SPF_request_set_helo_dom(req, helo.s) != SPF_E_SUCCESS))
		return R_PERMERROR;
	/* a bare domain becomes postmaster@domain (RFC 7208 2.4) */
	if (SPF_request_set_env_from(req, identity->s) != 0)
		return R_PERMERROR;
	err = SPF_request_query_mailfrom(req, &resp);
	if (resp == NULL)
		return R_TEMPERROR;
	switch (SPF_response_result(resp)) {
	case SPF_RESULT_PASS: r = R_PASS; break;
	case SPF_RESULT_FAIL: r = R_FAIL; break;
	case SPF_RESULT_SOFTFAIL: r = R_SOFTFAIL; break;
	case SPF_RESULT_NEUTRAL: r = R_NEUTRAL; break;
	case SPF_RESULT_NONE: r = R_NONE; break;
	case SPF_RESULT_PERMERROR: r = R_PERMERROR; break;
	case SPF_RESULT_TEMPERROR: r = R_TEMPERROR; break;
	default:	/* the library's "invalid": its error says which */
		if (err == SPF_E_NO_MEMORY)
			fail_nomem();
		r = err == SPF_E_DNS_ERROR || err == SPF_E_INTERNAL_ERROR ||
		    err == SPF_E_SUCCESS ? R_TEMPERROR : R_PERMERROR;
		break;
	}
	SPF_response_free(resp);
	SPF_request_free(req);
	SPF_server_free(srv);
	return r;
}

struct dmarc {
	enum res	 r;
	int		 p, sp, pct, applied;	/* applied: 'r', 'q', 'n', or 0 */
	int		 anytemp;		/* an input was a temperror */
	const char	*why;
};

static int
dkimoutcome(enum res r)
{
	if (r == R_PASS)
		return DMARC_POLICY_DKIM_OUTCOME_PASS;
	if (r == R_TEMPERROR)
		return DMARC_POLICY_DKIM_OUTCOME_TMPFAIL;
	return DMARC_POLICY_DKIM_OUTCOME_FAIL;
}

static int
spfoutcome(enum res r)
{
	switch (r) {
	case R_PASS: return DMARC_POLICY_SPF_OUTCOME_PASS;
	case R_TEMPERROR: return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
	case R_FAIL: case R_SOFTFAIL: case R_NEUTRAL:
		return DMARC_POLICY_SPF_OUTCOME_FAIL;
	default: return DMARC_POLICY_SPF_OUTCOME_NONE;
	}
}

/*
 * Could a result for domain d align with the From: domain?  Equal, or one
 * a subdomain of the other: relaxed alignment, roughly (without the
 * public suffix list).  Only such a temperror can turn a DMARC failure
 * into a pass on another try.
 */
static int
related(const char *d, size_t n)
{
	const char *f = fromdom.s;
	size_t fn = fromdom.len;

	if (sameb(d, n, f, fn))
		return 1;
	if (n > fn && d[n - fn - 1] == '.' && sameb(d + n - fn, fn, f, fn))
		return 1;
	return fn > n && f[fn - n - 1] == '.' && sameb(f + fn - n, n, d, n);
}

/* one DMARC evaluation: NULL when the From domain is refused */
static DMARC_POLICY_T *
dmarcquery(int *st, struct dmarc *m, enum res spf, const char *dom,
    const struct sa *spfid, int helo_used)
{
	DMARC_POLICY_T *pc;
	size_t i;

	if ((pc = opendmarc_policy_connect_init((u_char *)remoteip,
	    byte_chr(remoteip, str_len(remoteip), ':') < str_len(remoteip) ?
	    DMARC_POLICY_IP_TYPE_IPV6 : DMARC_POLICY_IP_TYPE_IPV4)) == NULL ||
	    sa_str(&fromdom) == NULL)
		fail_nomem();
	if (opendmarc_policy_store_from_domain(pc, (u_char *)fromdom.s) !=
	    DMARC_PARSE_OKAY) {
		(void)opendmarc_policy_connect_shutdown(pc);
		return NULL;
	}
	for (i = 0; i < nsigs; i++) {
		if (sigs[i].r == R_TEMPERROR && related(sigs[i].d,
		    str_len(sigs[i].d)))
			m->anytemp = 1;
		(void)opendmarc_policy_store_dkim(pc, (u_char *)sigs[i].d,
		    (u_char *)sigs[i].s, dkimoutcome(sigs[i].r),
		    (u_char *)resname[sigs[i].r]);
	}
	if (spf == R_TEMPERROR && related(dom, str_len(dom)))
		m->anytemp = 1;
	if (spfid->len)
		(void)opendmarc_policy_store_spf(pc, (u_char *)dom,
		    spfoutcome(spf), helo_used ? DMARC_POLICY_SPF_ORIGIN_HELO :
		    DMARC_POLICY_SPF_ORIGIN_MAILFROM, (u_char *)resname[spf]);
	*st = opendmarc_policy_query_dmarc(pc, NULL);
	return pc;
}

/*
 * The public suffix list costs about 4 ms to load, more than all the rest:
 * it is loaded only when the answer depends on it, that is when an
 * identifier that passed is not the From: domain itself (relaxed
 * alignment), or when the From: domain, below a second level, has no
 * record of its own (the organizational domain's is wanted).
 */
static int
psl_load(void)
{
	if (access(PSL, R_OK) == -1)
		return 0;
	if (opendmarc_tld_read_file(PSL, "//", "*.", "!") != 0)
		die_code(QQ_BUG, "unable to read ", PSL);
	return 1;
}

static size_t
dots(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i + 1 < n; i++)	/* a final dot is no label */
		k += s[i] == '.';
	return k;
}

static int
psl_wanted(enum res spf, const char *dom)
{
	size_t i;

	for (i = 0; i < nsigs; i++)
		if (sigs[i].r == R_PASS && !sameb(sigs[i].d,
		    str_len(sigs[i].d), fromdom.s, fromdom.len))
			return 1;
	return spf == R_PASS && !sameb(dom, str_len(dom), fromdom.s,
	    fromdom.len);
}

static void
dmarccheck(struct dmarc *m, enum res spf, struct sa *spfid, int helo_used)
{
	OPENDMARC_LIB_T lib;
	DMARC_POLICY_T *pc;
	const char *dom;
	int st, pol, psl = 0;

	memset(m, 0, sizeof *m);
	m->pct = 100;
	if (nfrom == 0 || fromproblem || fromdom.len == 0) {
		m->r = R_PERMERROR;
		m->why = nfrom == 0 ? "no From field" :
		    "not exactly one From domain";
		return;
	}
	memset(&lib, 0, sizeof lib);
	lib.tld_type = OPENDMARC_TLD_TYPE_NONE;
	if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY)
		die_code(QQ_BUG, "unable to start libopendmarc");
	if (sa_str(spfid) == NULL)
		fail_nomem();
	dom = spfid->s + byte_rchr(spfid->s, spfid->len, '@');
	dom = *dom == '@' ? dom + 1 : spfid->s;
	if (psl_wanted(spf, dom))
		psl = psl_load();
	if ((pc = dmarcquery(&st, m, spf, dom, spfid, helo_used)) == NULL) {
		m->r = R_PERMERROR;
		m->why = "bad From domain";
		return;
	}
	if (!psl && (st == DMARC_DNS_ERROR_NO_RECORD ||
	    st == DMARC_DNS_ERROR_NXDOMAIN || st == DMARC_POLICY_ABSENT) &&
	    dots(fromdom.s, fromdom.len) >= 2 && psl_load()) {
		(void)opendmarc_policy_connect_shutdown(pc);
		if ((pc = dmarcquery(&st, m, spf, dom, spfid, helo_used)) ==
		    NULL)
			die_bug("the From domain changed");
	}
	st = opendmarc_policy_query_dmarc(pc, NULL);
	switch (st) {
	case DMARC_PARSE_OKAY:
		break;
	case DMARC_DNS_ERROR_NO_RECORD: case DMARC_DNS_ERROR_NXDOMAIN:
	case DMARC_POLICY_ABSENT:
		m->r = R_NONE;
		return;
	case DMARC_DNS_ERROR_TMPERR:
		m->r = R_TEMPERROR;
		m->why = "DMARC record lookup failed";
		return;
	default:
		m->r = R_PERMERROR;
		m->why = opendmarc_policy_status_to_str(st);
		return;
	}
	(void)opendmarc_policy_fetch_p(pc, &m->p);
	(void)opendmarc_policy_fetch_sp(pc, &m->sp);
	(void)opendmarc_policy_fetch_pct(pc, &m->pct);
	pol = opendmarc_get_policy_to_enforce(pc);
	switch (pol) {
	case DMARC_POLICY_PASS:
		m->r = R_PASS;
		break;
	case DMARC_POLICY_REJECT: case DMARC_POLICY_QUARANTINE:
	case DMARC_POLICY_NONE:
		m->r = m->anytemp ? R_TEMPERROR : R_FAIL;
		m->applied = pol == DMARC_POLICY_REJECT ? 'r' :
		    pol == DMARC_POLICY_QUARANTINE ? 'q' : 'n';
		/* RFC 7489 6.6.4: outside pct, the next policy down */
		if (m->applied != 'n' && m->pct >= 0 && m->pct < 100 &&
		    rand() % 100 >= m->pct)
			m->applied = m->applied == 'r' ? 'q' : 'n';
		break;
	default:
		m->r = R_NONE;
		break;
	}
	(void)opendmarc_policy_connect_shutdown(pc);
	(void)opendmarc_policy_library_shutdown(&lib);
}

static const char *
polname(int p)
{
	return p == DMARC_RECORD_P_REJECT ? "reject" :
	    p == DMARC_RECORD_P_QUARANTINE ? "quarantine" :
	    p == DMARC_RECORD_P_NONE ? "none" : "unspecified";
}

static void
writear(struct sa *out, enum res spf, const struct sa *spfid,
    int helo_used, const struct dmarc *m)
{
	struct ar a;
	struct sa c = SA_INIT;
	size_t i, at;

	if (ar_begin(&a, out, authservid.s, authservid.len) == -1)
		fail_nomem();
	if (nsigs == 0 && ar_result(&a, "dkim", resname[dkimres], dkimwhy) == -1)
		fail_nomem();
	for (i = 0; i < nsigs; i++) {
		if (ar_result(&a, "dkim", resname[sigs[i].r], sigs[i].why) == -1 ||
		    ar_prop(&a, "header.d", sigs[i].d, str_len(sigs[i].d)) == -1 ||
		    ar_prop(&a, "header.s", sigs[i].s, str_len(sigs[i].s)) == -1 ||
		    (sigs[i].b[0] && ar_prop(&a, "header.b", sigs[i].b,
		    str_len(sigs[i].b)) == -1))
			fail_nomem();
	}
	if (nignored) {
		if (sa_catulong(&c, nignored) == -1 ||
		    sa_cats(&c, " more signatures not verified") == -1 ||
		    ar_comment(&a, c.s, c.len) == -1)
			fail_nomem();
	}
	if (ar_result(&a, "spf", resname[spf], NULL) == -1)
		fail_nomem();
	if (spfid->len) {
		/* a long local part would make the line too long: the domain */
		at = byte_rchr(spfid->s, spfid->len, '@');
		if (helo_used ? ar_prop(&a, "smtp.helo", spfid->s, spfid->len) :
		    spfid->len <= AR_VALMAX || at == spfid->len ?
		    ar_prop(&a, "smtp.mailfrom", spfid->s, spfid->len) :
		    ar_prop(&a, "smtp.mailfrom", spfid->s + at + 1,
		    spfid->len - at - 1))
			fail_nomem();
	}
	c.len = 0;
	if (m->p && (sa_cats(&c, "p=") == -1 || sa_cats(&c, polname(m->p)) ||
	    sa_cats(&c, " sp=") == -1 ||
	    sa_cats(&c, polname(m->sp ? m->sp : m->p)) == -1 ||
	    sa_cats(&c, " pct=") == -1 || sa_catulong(&c,
	    (unsigned long)(m->pct < 0 ? 100 : m->pct)) == -1 ||
	    sa_cats(&c, " dis=") == -1 || sa_cats(&c, m->applied == 'r' ?
	    "reject" : m->applied == 'q' ? "quarantine" : "none") == -1))
		fail_nomem();
	if (m->why && c.len == 0 && sa_cats(&c, m->why) == -1)
		fail_nomem();
	if (ar_result(&a, "dmarc", resname[m->r], NULL) == -1 ||
	    (c.len && ar_comment(&a, c.s, c.len) == -1) ||
	    (fromdom.len && ar_prop(&a, "header.from", fromdom.s,
	    fromdom.len) == -1) || ar_end(&a) == -1)
		fail_nomem();
	sa_free(&c);
}

/* what the policy does with the results; returns only to accept */
static void
policy(enum res spf, const struct dmarc *m, int exempt)
{
	enum action dp = readaction("control/dmarcreject", MARK);
	enum action sp = readaction("control/spfreject", MARK);

	if (exempt)
		return;
	if (m->r == R_FAIL && m->applied == 'r' && dp != MARK)
		refuse(dp, "message refused: it fails the DMARC policy "
		    "(reject) of its From: domain");
	if (m->r == R_TEMPERROR && dp != MARK &&
	    (m->p == 0 || m->applied == 'r'))
		refuse_temp("DMARC could not be evaluated for now "
		    "(DNS trouble); try again later (#4.4.3)");
	if (spf == R_FAIL && sp != MARK)
		refuse(sp, "message refused: the sender's SPF record "
		    "does not allow this host");
	if (spf == R_TEMPERROR && sp != MARK)
		refuse_temp("SPF could not be checked for now (DNS trouble); "
		    "try again later (#4.4.3)");
}

/* copy bytes [from, to) of the spool; to < 0: to the end */
static void
copyrange(struct qq *q, off_t from, off_t to)
{
	char b[BUF_SIZE * 4];
	size_t want;
	ssize_t r;

	while (to < 0 || from < to) {
		want = sizeof b;
		if (to >= 0 && (off_t)want > to - from)
			want = (size_t)(to - from);
		if ((r = pread(tmpfd, b, want, from)) == -1)
			fail_read();
		if (r == 0)
			break;
		qq_put(q, b, (size_t)r);
		from += r;
	}
}

/* The A-R field first, then the message without the A-R fields that claim
 * our id (a truncated one whose id we cannot see goes too). */
static int
deliver(const struct sa *arfield)
{
	char space[BUF_SIZE * 4];
	struct sa f = SA_INIT;
	struct buf b;
	struct hf h;
	struct qq q;
	size_t v, i;
	int r, code;

	if (env_unset("QMAILQUEUE") == -1)
		fail_nomem();
	if (qq_open(&q) == -1)
		die_code_sys(QQ_BUG, "unable to run qmail-queue");
	qq_put(&q, arfield->s, arfield->len);
	if (lseek(tmpfd, 0, SEEK_SET) == -1)
		fail_read();
	buf_init(&b, tmpfd, space, sizeof space);
	hf_init(&h, &b);
	while ((r = hf_next(&h, &f, FIELDMAX)) == 1) {
		v = hdr_value(f.s, f.len);
		if (hdr_is(f.s, f.len, "Authentication-Results") && (h.trunc ||
		    ar_ours(f.s + v, f.len - v, authservid.s, authservid.len)))
			continue;
		copyrange(&q, h.start, h.off);
	}
	if (r == -1)
		fail_read();
	copyrange(&q, h.start, -1);	/* the empty line, the body */
	if (sa_str(&sender) == NULL)
		fail_nomem();
	qq_from(&q, sender.s);
	for (i = 0; i < rcpts.len; i += str_len(rcpts.s + i) + 1)
		qq_to(&q, rcpts.s + i);
	code = qq_close(&q);
	if (code == QQ_CUSTOM)
		(void)io_writeall(6, q.why, str_len(q.why));
	if (code == QQ_EXEC || code == QQ_CRASHED)
		code = QQ_BUG;
	sa_free(&f);
	return code;
}

static int
nonempty(const char *v)
{
	return v != NULL && *v != '\0';
}

int
main(void)
{
	struct sa spfid = SA_INIT, arfield = SA_INIT;
	struct dmarc m;
	unsigned long timeout, databytes;
	enum res spf;
	int helo_used, exempt, r;

	remoteip = env_get("TCPREMOTEIP");
	if (!nonempty(remoteip))	/* qmail-authcheck decided otherwise */
		die_code(QQ_BUG, "no TCPREMOTEIP: run by qmail-authcheck only");
	if (str_len(remoteip) >= sizeof ipbuf)
		die_code(QQ_BUG, "TCPREMOTEIP is too long");
	memcpy(ipbuf, remoteip, str_len(remoteip) + 1);
	remoteip = ipbuf;
	if (chdir(conf_qmail) == -1)
		die_code_sys(QQ_HOMEDIR, "unable to chdir to ", conf_qmail);
	if (ctl_readulong(&timeout, "control/timeoutauthcheck", TIMEOUT) == -1)
		fail_control("control/timeoutauthcheck");
	if (ctl_readulong(&databytes, "control/databytes", 0) == -1)
		fail_control("control/databytes");
	if ((r = ctl_readline(&authservid, "control/authservid")) == -1)
		fail_control("control/authservid");
	if ((r == 0 || authservid.len == 0) && ctl_me(&authservid) == -1)
		fail_control("control/me");
	if (ctl_readfile(&skiplist, "control/authcheckskip") == -1)
		fail_control("control/authcheckskip");
	if (nonempty(env_get("SMTPHELO")) &&
	    str_len(env_get("SMTPHELO")) < 256 &&	/* a DNS name's most */
	    sa_copys(&helo, env_get("SMTPHELO")) == -1)
		fail_nomem();
	srand((unsigned int)time(NULL) ^ (unsigned int)getpid());
	sig_catch(SIGALRM, ontimeout);
	alarm(timeout ? (unsigned int)timeout : TIMEOUT);

	spool(databytes);
	readenvelope();
	exempt = skip_ip(skiplist.s, skiplist.len, remoteip) ||
	    (sender.len && skip_sender(skiplist.s, skiplist.len, sender.s,
	    sender.len));
	dkimcheck();
	spf = spfcheck(&spfid, &helo_used);
	dmarccheck(&m, spf, &spfid, helo_used);
	writear(&arfield, spf, &spfid, helo_used, &m);
	policy(spf, &m, exempt);
	alarm(0);	/* from here on qmail-queue keeps its own time */
	return deliver(&arfield);
}
