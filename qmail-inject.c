/*
 * qmail-inject: read a message on fd 0, give it a proper header
 * (qmail-header(5): From, Date, Message-ID, rewritten addresses, no Bcc
 * or Return-Path), choose the envelope, and hand it to qmail-queue
 * ($QMAILQUEUE if set), or print it with -n.
 *
 * Reads: fd 0; control/me, defaultdomain, defaulthost, idhost,
 * plusdomain; the environment (man/qmail-inject.8).  Writes: the message
 * to qmail-queue (or fd 1 with -n), messages to fd 2.  Runs as the
 * invoking user.  The header is kept in memory (at most LIMIT_HEADER
 * bytes); the body is streamed.
 * Exit: 0 queued (or printed); 100 bad usage, a header it cannot parse,
 * no recipients, or a permanent qmail-queue failure; 111 temporary.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/conf.h"
#include "lib/control.h"
#include "lib/date.h"
#include "lib/die.h"
#include "lib/hdr.h"
#include "lib/io.h"
#include "lib/limit.h"
#include "lib/proc.h"
#include "lib/str.h"

const char prog[] = "qmail-inject";

static NORETURN void fail_nomem(void) { die_temp("out of memory (#4.3.0)"); }
static NORETURN void fail_read(void) { die_temp_sys("unable to read the message"); }
static NORETURN void
fail_usage(void)
{
	die_perm("usage: qmail-inject [ -nNaAhH ] [ -fsender ] "
	    "[ -Fname ] [ recip ... ]");
}

/* The header fields qmail-inject treats specially (qmail-header(5)). */
enum {
	H_OTHER, H_TO, H_CC, H_BCC, H_APPARENTLYTO, H_R_TO, H_R_CC, H_R_BCC,
	H_RETURNPATH, H_SENDER, H_FROM, H_REPLYTO, H_RETURNRECEIPTTO,
	H_ERRORSTO, H_R_SENDER, H_R_FROM, H_R_REPLYTO, H_DATE, H_R_DATE,
	H_MESSAGEID, H_R_MESSAGEID, H_CONTENTLENGTH, H_NUM
};
static const char *const hnames[H_NUM] = {
	"", "To", "Cc", "Bcc", "Apparently-To", "Resent-To", "Resent-Cc",
	"Resent-Bcc", "Return-Path", "Sender", "From", "Reply-To",
	"Return-Receipt-To", "Errors-To", "Resent-Sender", "Resent-From",
	"Resent-Reply-To", "Date", "Resent-Date", "Message-ID",
	"Resent-Message-ID", "Content-Length"
};

static int seen[H_NUM];
static time_t starttime;
static unsigned long mypid;

/* QMAILINJECT letters */
static int flag_comment, flag_nosender, flag_nofrom, flag_nomsgid;
static int flag_verp_rcpt, flag_verp_msg;

static struct hdr_rwconf rc;
static struct sa defaulthost, defaultdomain, plusdomain, idhost;
static const char *mailuser, *mailhost, *mailsuser, *mailshost, *fullname;

static struct sa sender;	/* envelope sender, once set */
static int sender_set;
static struct sa rcpt_args;	/* NUL-terminated addresses */
static struct sa rcpt_hdr;	/* To, Cc, Bcc, Apparently-To */
static struct sa rcpt_resent;	/* Resent-To, Resent-Cc, Resent-Bcc */
static int nargs, nhdr, nresent;
static struct sa saved;		/* the header fields kept, rebuilt */

static int
htype(const char *s, size_t n)
{
	size_t len = hdr_name(s, n);
	int i;

	for (i = 1; i < H_NUM; i++)
		if (str_len(hnames[i]) == len && case_equalb(s, len, hnames[i]))
			return i;
	return H_OTHER;
}

static void
add_rcpt(struct sa *list, int *n, const struct hdr_addr *a)
{
	if (hdr_addr_env(list, a) == -1 || sa_0(list) == -1)
		fail_nomem();
	++*n;
}

/* callbacks of hdr_addrlist: rewrite, and remember where needed */
static int
rw_plain(struct hdr_addr *a, void *arg)
{
	(void)arg;
	return hdr_rewrite(a, &rc);
}

static int
rw_hdr(struct hdr_addr *a, void *arg)
{
	if (hdr_rewrite(a, &rc) == -1)
		return -1;
	if (a->local.len == 0 && !a->at)
		return 0;	/* <> is nobody */
	add_rcpt(arg == NULL ? &rcpt_hdr : &rcpt_resent,
	    arg == NULL ? &nhdr : &nresent, a);
	return 0;
}

static void
set_sender(const struct hdr_addr *a, int verp)
{
	sender.len = 0;
	if (hdr_addr_env(&sender, a) == -1)
		fail_nomem();
	/* per-recipient VERP: qmail-send turns -@[] into -rcpt=host */
	if (verp && flag_verp_rcpt && sender.len > 0 &&
	    sa_cats(&sender, "-@[]") == -1)
		fail_nomem();
	sender_set = 1;
}

static int
rw_return(struct hdr_addr *a, void *arg)
{
	(void)arg;
	if (hdr_rewrite(a, &rc) == -1)
		return -1;
	if (!sender_set)
		set_sender(a, 1);
	return 0;
}

/* Rebuild field f (name, colon, contents) with its addresses rewritten. */
static void
rebuild(struct sa *out, const char *f, size_t n, hdr_addr_fn fn, void *arg)
{
	size_t name = hdr_name(f, n), v = hdr_value(f, n);
	int r;

	if (sa_catb(out, f, name) == -1 || sa_cats(out, ": ") == -1)
		fail_nomem();
	r = hdr_addrlist(out, f + v, n - v, name + 2, fn, arg);
	if (r == -1)
		fail_nomem();
	if (r == 0) {
		struct sa t = SA_INIT;

		if (sa_copyb(&t, f, n > 200 ? 200 : n) == -1)
			fail_nomem();
		while (t.len > 0 && (t.s[t.len - 1] == '\n' ||
		    t.s[t.len - 1] == '\r'))
			t.len--;
		if (sa_str(&t) == NULL)
			fail_nomem();
		die_perm("unable to parse this header field: ", t.s);
	}
	if (sa_catc(out, '\n') == -1)
		fail_nomem();
}

static void
do_field(struct sa *f)
{
	int t = htype(f->s, f->len);
	size_t start = saved.len;

	if (flag_nofrom && t == H_FROM)
		return;
	if (flag_nomsgid && t == H_MESSAGEID)
		return;
	if (flag_nosender && t == H_RETURNPATH)
		return;
	seen[t] = 1;
	switch (t) {
	case H_TO: case H_CC: case H_BCC: case H_APPARENTLYTO:
		rebuild(&saved, f->s, f->len, rw_hdr, NULL);
		break;
	case H_R_TO: case H_R_CC: case H_R_BCC:
		rebuild(&saved, f->s, f->len, rw_hdr, &rcpt_resent);
		break;
	case H_RETURNPATH:
		rebuild(&saved, f->s, f->len, rw_return, NULL);
		break;
	case H_SENDER: case H_FROM: case H_REPLYTO: case H_RETURNRECEIPTTO:
	case H_ERRORSTO: case H_R_SENDER: case H_R_FROM: case H_R_REPLYTO:
		rebuild(&saved, f->s, f->len, rw_plain, NULL);
		break;
	default:
		if (sa_cat(&saved, f) == -1)
			fail_nomem();
	}
	/* gone from the message, used only for the envelope */
	if (t == H_BCC || t == H_R_BCC || t == H_RETURNPATH ||
	    t == H_CONTENTLENGTH)
		saved.len = start;
}

static void
cat_quoted(struct sa *out, const char *s, int open, int close)
{
	if (sa_catc(out, open) == -1)
		fail_nomem();
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r')
			continue;
		if ((*s == '\\' || *s == '"' || *s == '(' || *s == ')') &&
		    sa_catc(out, '\\') == -1)
			fail_nomem();
		if (sa_catc(out, *s) == -1)
			fail_nomem();
	}
	if (sa_catc(out, close) == -1)
		fail_nomem();
}

/* prefix "From: ..." for the invoking user */
static void
default_from(struct sa *out, const char *prefix)
{
	struct hdr_addr a = { SA_INIT, SA_INIT, 0, 0 };

	if (hdr_addr_set(&a, mailuser, str_len(mailuser)) == -1)
		fail_nomem();
	/* MAILUSER is a user name: an '@' in it belongs to the local part */
	if (a.at && (sa_catc(&a.local, '@') == -1 ||
	    sa_cat(&a.local, &a.domain) == -1))
		fail_nomem();
	a.at = 0, a.domain.len = 0;
	if (mailhost != NULL) {
		a.at = 1;
		if (sa_copys(&a.domain, mailhost) == -1)
			fail_nomem();
	}
	if (hdr_rewrite(&a, &rc) == -1)
		fail_nomem();
	if (sa_cats2(out, prefix, "From: ") == -1)
		fail_nomem();
	if (fullname != NULL && !flag_comment) {
		cat_quoted(out, fullname, '"', '"');
		if (sa_cats(out, " <") == -1)
			fail_nomem();
	}
	if (hdr_addr_quote(out, &a) == -1)
		fail_nomem();
	if (fullname != NULL && !flag_comment && sa_catc(out, '>') == -1)
		fail_nomem();
	if (fullname != NULL && flag_comment) {
		if (sa_catc(out, ' ') == -1)
			fail_nomem();
		cat_quoted(out, fullname, '(', ')');
	}
	if (sa_catc(out, '\n') == -1)
		fail_nomem();
	hdr_addr_free(&a);
}

/* The envelope sender when neither -f nor Return-Path gave one. */
static void
default_sender(void)
{
	struct hdr_addr a = { SA_INIT, SA_INIT, 0, 0 };

	if (sa_copys(&a.local, mailsuser) == -1)
		fail_nomem();
	if (flag_verp_msg && (sa_catc(&a.local, '-') == -1 ||
	    sa_catulong(&a.local, (unsigned long)starttime) == -1 ||
	    sa_catc(&a.local, '.') == -1 ||
	    sa_catulong(&a.local, mypid) == -1))
		fail_nomem();
	if (flag_verp_rcpt && sa_catc(&a.local, '-') == -1)
		fail_nomem();
	if (mailshost != NULL) {
		a.at = 1;
		if (sa_copys(&a.domain, mailshost) == -1)
			fail_nomem();
	}
	if (hdr_rewrite(&a, &rc) == -1)
		fail_nomem();
	set_sender(&a, 1);
	hdr_addr_free(&a);
}

static void
sender_option(const char *s)
{
	struct hdr_addr a = { SA_INIT, SA_INIT, 0, 0 };
	size_t n = str_len(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		s++, n -= 2;
	if (hdr_addr_set(&a, s, n) == -1)
		fail_nomem();
	a.angle = 1;	/* -f '' and -f '<>' are the null sender */
	if (hdr_rewrite(&a, &rc) == -1)
		fail_nomem();
	set_sender(&a, 0);
	hdr_addr_free(&a);
}

static void
rcpt_option(const char *s)
{
	struct hdr_addr a = { SA_INIT, SA_INIT, 0, 0 };

	if (hdr_addr_set(&a, s, str_len(s)) == -1 ||
	    hdr_rewrite(&a, &rc) == -1)
		fail_nomem();
	if (byte_chr(s, str_len(s), '\n') != str_len(s))
		die_perm("unable to parse address: ", s);
	add_rcpt(&rcpt_args, &nargs, &a);
	hdr_addr_free(&a);
}

static void
control(struct sa *x, const char *fn, const char *env, const struct sa *me)
{
	const char *e = env_get(env);
	int r;

	if (e != NULL) {
		if (sa_copys(x, e) == -1)
			fail_nomem();
	} else if ((r = ctl_readline(x, fn)) == -1)
		die_temp_sys("unable to read ", fn);
	else if ((r == 0 || x->len == 0) && sa_copy(x, me) == -1)
		fail_nomem();
	if (sa_str(x) == NULL)
		fail_nomem();
}

static void
controls(void)
{
	struct sa me = SA_INIT;

	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to switch to ", conf_qmail);
	if (ctl_me(&me) == -1)
		die_temp_sys("unable to read control/me");
	control(&defaultdomain, "control/defaultdomain",
	    "QMAILDEFAULTDOMAIN", &me);
	control(&defaulthost, "control/defaulthost", "QMAILDEFAULTHOST", &me);
	control(&plusdomain, "control/plusdomain", "QMAILPLUSDOMAIN", &me);
	control(&idhost, "control/idhost", "QMAILIDHOST", &me);
	rc.defaulthost = defaulthost.s;
	rc.defaultdomain = defaultdomain.s;
	rc.plusdomain = plusdomain.s;
	sa_free(&me);
}

static const char *
env_first(const char *a, const char *b, const char *c, const char *d)
{
	const char *x;

	if ((x = env_get(a)) != NULL || (x = env_get(b)) != NULL)
		return x;
	if (c != NULL && (x = env_get(c)) != NULL)
		return x;
	return d != NULL ? env_get(d) : NULL;
}

static void
environment(void)
{
	const char *x;

	if ((x = env_get("QMAILINJECT")) != NULL)
		for (; *x; x++)
			switch (*x) {
			case 'c': flag_comment = 1; break;
			case 's': flag_nosender = 1; break;
			case 'f': flag_nofrom = 1; break;
			case 'i': flag_nomsgid = 1; break;
			case 'r': flag_verp_rcpt = 1; break;
			case 'm': flag_verp_msg = 1; break;
			}
	mailhost = env_first("QMAILHOST", "MAILHOST", NULL, NULL);
	mailuser = env_first("QMAILUSER", "MAILUSER", "USER", "LOGNAME");
	if (mailuser == NULL)
		mailuser = "anonymous";
	if ((mailsuser = env_get("QMAILSUSER")) == NULL)
		mailsuser = mailuser;
	if ((mailshost = env_get("QMAILSHOST")) == NULL)
		mailshost = mailhost;
	fullname = env_first("QMAILNAME", "MAILNAME", "NAME", NULL);
}

/*
 * Read the header: fields (with their continuation lines) until a blank
 * line, the end of input, or a line that is not a field, which then
 * starts the body after an added blank line.  *sep gets what separates
 * header and body; *first the body's first line, if already read.
 */
static void
read_header(struct buf *in, struct sa *sep, struct sa *first)
{
	struct sa line = SA_INIT, field = SA_INIT;
	size_t total = 0;
	int r;

	for (;;) {
		line.len = 0;
		r = buf_getline(in, &line, '\n', LIMIT_HEADER + 1 - total);
		if (r == -1)
			fail_read();
		total += line.len;
		if (total > LIMIT_HEADER)
			die_perm("header too long (over 1048576 bytes)");
		if (line.len == 0)
			break;	/* end of input */
		if (line.s[line.len - 1] != '\n' && sa_catc(&line, '\n') == -1)
			fail_nomem();
		if ((line.len == 1) || (line.len == 2 && line.s[0] == '\r')) {
			if (sa_copy(sep, &line) == -1)
				fail_nomem();
			break;
		}
		if ((line.s[0] == ' ' || line.s[0] == '\t') && field.len > 0) {
			if (sa_cat(&field, &line) == -1)
				fail_nomem();
			continue;
		}
		if (field.len > 0)
			do_field(&field);
		field.len = 0;
		if (hdr_name(line.s, line.len) > 0) {
			if (sa_cat(&field, &line) == -1)
				fail_nomem();
			continue;
		}
		if (sa_copys(sep, "\n") == -1 || sa_copy(first, &line) == -1)
			fail_nomem();
		break;
	}
	if (field.len > 0)
		do_field(&field);
	sa_free(&line);
	sa_free(&field);
}

/* the fields qmail-inject adds, in front of the ones it kept */
static void
new_fields(struct sa *out, int flagresent)
{
	const char *p = flagresent ? "Resent-" : "";
	char num[DATE_FMT];

	if (!seen[flagresent ? H_R_DATE : H_DATE]) {
		if (sa_cats2(out, p, "Date: ") == -1 ||
		    sa_catb(out, num, date_fmt822(num, starttime)) == -1 ||
		    sa_catc(out, '\n') == -1)
			fail_nomem();
	}
	if (!seen[flagresent ? H_R_MESSAGEID : H_MESSAGEID]) {
		if (sa_cats2(out, p, "Message-ID: <") == -1 ||
		    sa_catulong(out, (unsigned long)starttime) == -1 ||
		    sa_catc(out, '.') == -1 || sa_catulong(out, mypid) == -1 ||
		    sa_cats(out, ".qmail@") == -1 || sa_cat(out, &idhost) == -1 ||
		    sa_cats(out, ">\n") == -1)
			fail_nomem();
	}
	if (!seen[flagresent ? H_R_FROM : H_FROM])
		default_from(out, p);
	if (flagresent ? !seen[H_R_TO] && !seen[H_R_CC] :
	    !seen[H_TO] && !seen[H_CC])
		if (sa_cats2(out, p, "Cc: recipient list not shown: ;\n") == -1)
			fail_nomem();
}

static pid_t
start_queue(int *body, int *env)
{
	static const char qqbin[] = "/bin/qmail-queue";
	const char *qq = env_get("QMAILQUEUE");
	char path[4096];
	int pm[2], pe[2];
	size_t n;
	pid_t pid;

	if (qq == NULL || *qq == 0) {
		n = str_len(conf_qmail);
		if (n + sizeof qqbin > sizeof path)
			die_temp("qmail home name too long");
		memcpy(path, conf_qmail, n);
		memcpy(path + n, qqbin, sizeof qqbin);
		qq = path;
	}
	if (pipe(pm) == -1 || pipe(pe) == -1)
		die_temp_sys("unable to create a pipe for qmail-queue");
	if ((pid = fork()) == -1)
		die_temp_sys("unable to fork for qmail-queue");
	if (pid == 0) {
		char *argv[2];

		argv[0] = (char *)qq, argv[1] = NULL;
		close(pm[1]), close(pe[1]);
		if (fd_move(0, pm[0]) == -1 || fd_move(1, pe[0]) == -1)
			_exit(120);
		sig_default(SIGPIPE);
		execv(qq, argv);
		_exit(120);
	}
	close(pm[0]), close(pe[0]);
	fd_cloexec(pm[1]), fd_cloexec(pe[1]);
	*body = pm[1], *env = pe[1];
	return pid;
}

static void
put_envelope(struct buf *b, const struct sa *list)
{
	size_t i = 0, j;

	while (i < list->len) {
		j = byte_chr(list->s + i, list->len - i, 0);
		if (buf_put(b, "T", 1) == -1 ||
		    buf_put(b, list->s + i, j + 1) == -1)
			return;
		i += j + 1;
	}
}

int
main(int argc, char **argv)
{
	static char inspace[65536], outspace[65536], envspace[8192];
	struct buf in = BUF_INIT(0, inspace), out, eb;
	struct sa head = SA_INIT, sep = SA_INIT, first = SA_INIT;
	enum { R_DEFAULT, R_ARGS, R_HEADER, R_BOTH } strategy = R_DEFAULT;
	int flagqueue = 1, flagresent, bodyfd = 1, envfd = -1, st, i;
	int wrote = 0;
	const char *fopt = NULL;
	pid_t qpid = -1;
	char *p;
	size_t n;
	ssize_t r;

	sig_ignore(SIGPIPE);
	starttime = time(NULL);
	mypid = (unsigned long)getpid();
	environment();

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *o = argv[i] + 1;

		if (str_equal(argv[i], "--")) {
			i++;
			break;
		}
		for (; *o; o++) {
			switch (*o) {
			case 'a': strategy = R_ARGS; continue;
			case 'A': strategy = R_DEFAULT; continue;
			case 'h': strategy = R_HEADER; continue;
			case 'H': strategy = R_BOTH; continue;
			case 'n': flagqueue = 0; continue;
			case 'N': flagqueue = 1; continue;
			case 'f': case 'F':
				if (o[1] == 0 && i + 1 == argc)
					fail_usage();
				p = o[1] ? (char *)o + 1 : argv[++i];
				if (*o == 'f')
					fopt = p;
				else
					fullname = p;
				break;
			default:
				fail_usage();
			}
			break;
		}
	}
	controls();
	if (fopt != NULL)
		sender_option(fopt);
	if (strategy == R_DEFAULT)
		strategy = i < argc ? R_ARGS : R_HEADER;
	if (strategy != R_HEADER)
		for (; i < argc; i++)
			rcpt_option(argv[i]);

	read_header(&in, &sep, &first);
	flagresent = seen[H_R_SENDER] || seen[H_R_FROM] ||
	    seen[H_R_REPLYTO] || seen[H_R_TO] || seen[H_R_CC] ||
	    seen[H_R_BCC] || seen[H_R_DATE] || seen[H_R_MESSAGEID];
	if (!sender_set)
		default_sender();
	if (strategy == R_ARGS)
		nhdr = nresent = 0;
	else if (flagresent)
		nhdr = 0;
	else
		nresent = 0;
	if (flagqueue && nargs + nhdr + nresent == 0)
		die_perm("no recipients");

	if (!flagqueue && (sa_cats(&head, "Return-Path: <") == -1 ||
	    addr_quote(&head, sender.s, sender.len) == -1 || sa_cats(&head, ">\n") == -1))
		fail_nomem();
	new_fields(&head, flagresent);
	if (flagqueue)
		qpid = start_queue(&bodyfd, &envfd);
	buf_init(&out, bodyfd, outspace, sizeof outspace);
	if (buf_put(&out, head.s, head.len) == -1 ||
	    buf_put(&out, saved.s, saved.len) == -1 ||
	    buf_put(&out, sep.s, sep.len) == -1 ||
	    buf_put(&out, first.s, first.len) == -1)
		goto written;
	for (;;) {
		if ((p = buf_peek(&in, &n)) == NULL)
			fail_read();
		if (n == 0)
			break;
		if (buf_put(&out, p, n) == -1)
			goto written;
		buf_seek(&in, n);
	}
	if (buf_flush(&out) == -1)
		goto written;
	if (!flagqueue)
		_exit(0);
	wrote = 1;
written:
	if (!flagqueue)
		die_temp_sys("unable to write the message");
	close(bodyfd);
	buf_init(&eb, envfd, envspace, sizeof envspace);
	/* a message cut short must never be queued: no envelope then */
	if (wrote && buf_put(&eb, "F", 1) != -1 &&
	    buf_put(&eb, sender.s, sender.len) != -1 &&
	    buf_put(&eb, "", 1) != -1) {
		if (strategy != R_HEADER)
			put_envelope(&eb, &rcpt_args);
		if (strategy != R_ARGS)
			put_envelope(&eb, flagresent ? &rcpt_resent :
			    &rcpt_hdr);
		if (buf_put(&eb, "", 1) != -1)
			(void)buf_flush(&eb);
	}
	close(envfd);
	if (proc_wait(qpid, &st) == -1)
		die_temp_sys("unable to wait for qmail-queue");
	if ((r = proc_exitcode(st)) == -1)
		die_temp("qmail-queue crashed (#4.3.0)");
	if (r == 0 && !wrote)
		die_temp("unable to write the message to qmail-queue (#4.3.0)");
	if (r == 0)
		_exit(0);
	if (qq_is_perm((int)r))
		die_perm(qq_errstr((int)r));
	die_temp(qq_errstr((int)r));
}
