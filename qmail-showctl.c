/*
 * qmail-showctl: describe the compiled-in settings and every control file
 * with its effective value, in qmail 1.03's sentences
 * (man/qmail-showctl.8).  Reads the files in control/; writes standard
 * output only.  Runs as anyone who can read control/.
 * Exit: 0 described (a file that cannot be read is reported in the
 * listing); 111 no home or control directory, control/me unreadable, out
 * of memory, or the output cannot be written.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <pwd.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/control.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/str.h"

const char prog[] = "qmail-showctl";

/*
 * How each known file is shown.  INT: a number, PRE value POST.  STR: the
 * first line, PRE value; its default is DEF, or control/me's value when ME
 * is set.  LST: one line per item, PRE item POST; DEF is the sentence for
 * an absent file.  The morercpthosts pair depends on rcpthosts and is
 * handled in main.  KEY: a file holding a private key or certificates,
 * never read here: PRE, then its owner and mode, and POST when group or
 * others may read it.
 */
enum kind { INT, STR, LST, MRH, MRHCDB, KEY };
struct ctl {
	const char	*fn;
	enum kind	 kind;
	int		 me;
	const char	*def;
	const char	*pre;
	const char	*post;
};

static const struct ctl ctls[] = {
	{ "badmailfrom", LST, 0, "Any MAIL FROM is allowed.", "",
	    " not accepted in MAIL FROM." },
	{ "bouncefrom", STR, 0, "MAILER-DAEMON", "Bounce user name is ", 0 },
	{ "bouncehost", STR, 1, "bouncehost", "Bounce host name is ", 0 },
	{ "concurrencylocal", INT, 0, "10", "Local concurrency is ", "" },
	{ "concurrencyremote", INT, 0, "20", "Remote concurrency is ", "" },
	{ "databytes", INT, 0, "0", "SMTP DATA limit is ", " bytes" },
	{ "defaultdomain", STR, 1, "defaultdomain",
	    "Default domain name is ", 0 },
	{ "defaulthost", STR, 1, "defaulthost", "Default host name is ", 0 },
	{ "doublebouncehost", STR, 1, "doublebouncehost",
	    "2B recipient host: ", 0 },
	{ "doublebounceto", STR, 0, "postmaster", "2B recipient user: ", 0 },
	{ "envnoathost", STR, 1, "envnoathost",
	    "Presumed domain name is ", 0 },
	{ "helohost", STR, 1, "helohost", "SMTP client HELO host name is ", 0 },
	{ "idhost", STR, 1, "idhost", "Message-ID host name is ", 0 },
	{ "localiphost", STR, 1, "localiphost",
	    "Local IP address becomes ", 0 },
	{ "locals", LST, 0, "Messages for me are delivered locally.",
	    "Messages for ", " are delivered locally." },
	{ "me", STR, 1, "undefined! Uh-oh", "My name is ", 0 },
	{ "percenthack", LST, 0, "The percent hack is not allowed.",
	    "The percent hack is allowed for user%host@", "." },
	{ "plusdomain", STR, 1, "plusdomain", "Plus domain name is ", 0 },
	{ "qmqpservers", LST, 0, "No QMQP servers.", "QMQP server: ", "." },
	{ "queuelifetime", INT, 0, "604800",
	    "Message lifetime in the queue is ", " seconds" },
	{ "rcpthosts", LST, 0,
	    "SMTP clients may send messages to any recipient.",
	    "SMTP clients may send messages to recipients at ", "." },
	{ "morercpthosts", MRH, 0, 0, 0, 0 },
	{ "morercpthosts.cdb", MRHCDB, 0, 0, 0, 0 },
	{ "smtpgreeting", STR, 1, "smtpgreeting", "SMTP greeting: 220 ", 0 },
	{ "smtproutes", LST, 0, "No artificial SMTP routes.",
	    "SMTP route: ", "" },
	{ "timeoutconnect", INT, 0, "60",
	    "SMTP client connection timeout is ", " seconds" },
	{ "timeoutremote", INT, 0, "1200",
	    "SMTP client data timeout is ", " seconds" },
	{ "timeoutsmtpd", INT, 0, "1200",
	    "SMTP server data timeout is ", " seconds" },
	{ "virtualdomains", LST, 0, "No virtual domains.",
	    "Virtual domain: ", "" },
};
#define NCTLS	(sizeof ctls / sizeof ctls[0])

/*
 * Files qmail 1.03 did not have (qmail-control(5)): shown after the others,
 * and only when present, so that an installation without them shows what
 * qmail's qmail-showctl would.
 */
static const struct ctl extras[] = {
	{ "authcheckskip", LST, 0, "",
	    "qmail-authcheck never refuses mail from ", "" },
	{ "authservid", STR, 1, "authservid",
	    "Authentication-Results authserv-id is ", 0 },
	{ "clientca.pem", KEY, 0, 0,
	    "qmail-tlsd asks for client certificates and checks them against it", 0 },
	{ "concurrencyincoming", INT, 0, "20",
	    "Most incoming SMTP, QMTP or QMQP connections at once: ", "" },
	{ "defaultdelivery", LST, 0, "", "Default delivery: ", "" },
	{ "dkim", KEY, 0, 0,
	    "qmail-dksign's signing keys, a directory for each domain",
	    " (Oops! group or others can open it)" },
	{ "dmarcreject", STR, 0, "mark",
	    "Mail failing a DMARC p=reject policy: ", 0 },
	{ "moreipme", LST, 0, "", "Also my IP address: ", "." },
	{ "mtasts", INT, 0, "1",
	    "MTA-STS policies for remote delivery (0 off, 1 on): ", "" },
	{ "servercert.pem", KEY, 0, 0,
	    "qmail-tlsd's key and certificate chain",
	    " (Oops! group or others can read the private key)" },
	{ "spfreject", STR, 0, "mark", "Mail failing SPF (-all): ", 0 },
	{ "timeoutauthcheck", INT, 0, "120",
	    "qmail-authcheck's time for all its checks is ", " seconds" },
	{ "timeoutsmtpdsession", INT, 0, "3600",
	    "SMTP server session timeout is ", " seconds" },
	{ "tlscafile", STR, 0, "/etc/ssl/certs/ca-certificates.crt",
	    "SMTP client CA bundle is ", 0 },
	{ "tlsdestinations", LST, 0, "", "SMTP client TLS policy: ", "" },
};
#define NEXTRAS	(sizeof extras / sizeof extras[0])

static char outspace[BUF_SIZE];
static struct buf out = BUF_INIT(1, outspace);
static struct sa me = SA_INIT;	/* control/me, or the host name */
static struct sa line = SA_INIT;
static struct sa cpath = SA_INIT;	/* control/NAME */
static int rcpthosts_found;

static const char *
cfn(const char *name)
{
	cpath.len = 0;
	if (sa_cats2(&cpath, "control/", name) == -1 || sa_str(&cpath) == NULL)
		die_nomem();
	return cpath.s;
}

static void
puts_(const char *s)
{
	if (buf_puts(&out, s) == -1)
		die_temp_sys("unable to write output");
}

static void
putulong(unsigned long u)
{
	if (buf_putulong(&out, u) == -1)
		die_temp_sys("unable to write output");
}

/* Values come from files anyone with write access may have mangled: show
 * bytes a terminal would act on as '?'. */
static void
put_safe(const char *s, size_t n)
{
	char c;

	for (; n > 0; s++, n--) {
		c = (*s < 32 || *s > 126) ? '?' : *s;
		if (buf_put(&out, &c, 1) == -1)
			die_temp_sys("unable to write output");
	}
}

static void
oops(void)
{
	puts_("Oops! Trouble reading this file: ");
	puts_(err_str(errno));
	puts_(".\n");
}

static void
show_int(const struct ctl *c)
{
	unsigned long u;

	switch (ctl_readulong(&u, cfn(c->fn), 0)) {
	case 0:
		puts_("(Default.) ");
		puts_(c->pre);
		puts_(c->def);
		break;
	case 1:
		puts_(c->pre);
		putulong(u);
		break;
	default:
		oops();
		return;
	}
	puts_(c->post);
	puts_(".\n");
}

static void
show_str(const struct ctl *c)
{
	switch (ctl_readline(&line, cfn(c->fn))) {
	case 0:
		puts_("(Default.) ");
		if (c->me) {
			if (sa_copy(&line, &me) == -1)
				die_nomem();
		} else if (sa_copys(&line, c->def) == -1)
			die_nomem();
		/* FALLTHROUGH */
	case 1:
		puts_(c->pre);
		put_safe(line.s, line.len);
		puts_(".\n");
		break;
	default:
		oops();
	}
}

/* 1 the file exists, 0 the default, -1 trouble */
static int
show_lst(const char *fn, const char *def, const char *pre, const char *post)
{
	size_t i, j;

	switch (ctl_readfile(&line, cfn(fn))) {
	case 0:
		puts_("(Default.) ");
		puts_(def);
		puts_("\n");
		return 0;
	case 1:
		puts_("\n");
		for (i = j = 0; j < line.len; j++)
			if (line.s[j] == 0) {
				puts_(pre);
				put_safe(line.s + i, j - i);
				puts_(post);
				puts_("\n");
				i = j + 1;
			}
		return 1;
	default:
		oops();
		return -1;
	}
}

static void
show_mrhcdb(void)
{
	struct stat st, stcdb;
	int txt, cdb;

	txt = stat(cfn("morercpthosts"), &st) == 0;
	cdb = stat(cfn("morercpthosts.cdb"), &stcdb) == 0;
	if (!txt && !cdb)
		puts_("(Default.) No effect.\n");
	else if (!txt)
		puts_("Oops! morercpthosts.cdb exists but morercpthosts doesn't.\n");
	else if (!cdb)
		puts_("Oops! morercpthosts exists but morercpthosts.cdb doesn't.\n");
	else if (st.st_mtime > stcdb.st_mtime)
		puts_("Oops! morercpthosts.cdb is older than morercpthosts.\n");
	else
		puts_("Modified recently enough; hopefully up to date.\n");
}

/* who may read a key file: its owner and mode, never its contents */
static void
show_key(const struct ctl *c)
{
	struct passwd *pw;
	struct stat st;
	char mode[8];

	if (stat(cfn(c->fn), &st) == -1) {
		oops();
		return;
	}
	puts_(c->pre);
	puts_(", owner ");
	if ((pw = getpwuid(st.st_uid)) != NULL)
		put_safe(pw->pw_name, str_len(pw->pw_name));
	else
		putulong((unsigned long)st.st_uid);
	mode[0] = '0';
	mode[1] = (char)('0' + ((st.st_mode >> 6) & 7));
	mode[2] = (char)('0' + ((st.st_mode >> 3) & 7));
	mode[3] = (char)('0' + (st.st_mode & 7));
	mode[4] = 0;
	puts_(", mode ");
	puts_(mode);
	if (c->post && (st.st_mode & 077))
		puts_(c->post);
	puts_(".\n");
}

static void
show(const struct ctl *c)
{
	puts_("\n");
	puts_(c->fn);
	puts_(": ");
	switch (c->kind) {
	case INT:
		show_int(c);
		break;
	case STR:
		show_str(c);
		break;
	case LST:
		if (show_lst(c->fn, c->def, c->pre, c->post) == 1 &&
		    str_equal(c->fn, "rcpthosts"))
			rcpthosts_found = 1;
		break;
	case MRH:
		if (rcpthosts_found)
			show_lst(c->fn, "No effect.",
			    "SMTP clients may send messages to recipients at ",
			    ".");
		else
			show_lst(c->fn, "No rcpthosts; morercpthosts is irrelevant.",
			    "No rcpthosts; doesn't matter that morercpthosts has ",
			    ".");
		break;
	case MRHCDB:
		show_mrhcdb();
		break;
	case KEY:
		show_key(c);
		break;
	}
}

static void
settings(void)
{
	const char *users[] = { user_alias, user_daemon, user_log, user_owner,
	    user_passwd, user_queue, user_remote, user_send };
	const uid_t uids[] = { uid_alias, uid_daemon, uid_log, uid_owner,
	    uid_passwd, uid_queue, uid_remote, uid_send };
	size_t i;

	puts_("qmail home directory: ");
	puts_(conf_qmail);
	/* qmail-local's fixed conf-break and conf-patrn (qmail-local(8)) */
	puts_(".\nuser-ext delimiter: -.\npaternalism (in decimal): 2.\n");
	puts_("silent concurrency limit: ");
	putulong(conf_spawn);
	puts_(".\nsubdirectory split: ");
	putulong(conf_split);
	puts_(".\nuser ids: ");
	for (i = 0; i < 8; i++) {
		putulong((unsigned long)uids[i]);
		puts_(i < 7 ? ", " : ".\n");
	}
	puts_("group ids: ");
	putulong((unsigned long)gid_nofiles);
	puts_(", ");
	putulong((unsigned long)gid_qmail);
	puts_(".\nuser names: ");
	for (i = 0; i < 8; i++) {
		puts_(users[i]);
		puts_(i < 7 ? ", " : ".\n");
	}
	puts_("group names: ");
	puts_(group_nofiles);
	puts_(", ");
	puts_(group_qmail);
	if (conf_single) {
		puts_(".\ninstallation: single-user: every id is ");
		puts_(user_owner);
		puts_("'s, and mail is delivered only to that user.\n");
	} else
		puts_(".\ninstallation: system: each job runs under its own id.\n");
}

static int
known(const char *fn)
{
	size_t i;

	for (i = 0; i < NCTLS; i++)
		if (str_equal(fn, ctls[i].fn))
			return 1;
	for (i = 0; i < NEXTRAS; i++)
		if (str_equal(fn, extras[i].fn))
			return 1;
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file in control/ that nothing reads, sorted by name. */
static void
strangers(void)
{
	char **names = NULL, **p;
	size_t n = 0, cap = 0, i;
	struct dirent *d;
	DIR *dir;

	if ((dir = opendir("control")) == NULL) {
		puts_("\nOops! Unable to open the control directory: ");
		puts_(err_str(errno));
		puts_(".\n");
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		if (str_equal(d->d_name, ".") || str_equal(d->d_name, "..") ||
		    known(d->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((p = realloc_array(names, cap, sizeof *p)) == NULL)
				die_nomem();
			names = p;
		}
		if ((names[n] = strdup(d->d_name)) == NULL)
			die_nomem();
		n++;
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof *names, cmp);
	for (i = 0; i < n; i++) {
		puts_("\n");
		put_safe(names[i], str_len(names[i]));
		puts_(": I have no idea what this file does.\n");
	}
}

int
main(void)
{
	size_t i;

	settings();
	if (chdir(conf_qmail) == -1 || access("control", X_OK) == -1) {
		puts_("Oops! Unable to chdir to ");
		puts_(conf_qmail);
		puts_("/control.\n");
		buf_flush(&out);
		die_temp_sys("unable to chdir to ", conf_qmail, "/control");
	}
	if (ctl_me(&me) == -1) {
		puts_("Oops! Trouble reading control/me.\n");
		buf_flush(&out);
		die_temp_sys("unable to read control/me");
	}
	for (i = 0; i < NCTLS; i++)
		show(&ctls[i]);
	for (i = 0; i < NEXTRAS; i++)
		if (access(cfn(extras[i].fn), F_OK) == 0)
			show(&extras[i]);
	strangers();
	if (buf_flush(&out) == -1)
		die_temp_sys("unable to write output");
	return 0;
}
