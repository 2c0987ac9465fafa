/*
 * qmail-local: deliver one message to one local recipient by following the
 * recipient's .qmail file (man/dot-qmail.5): mbox files, maildirs,
 * programs run by /bin/sh and forwards through qmail-queue.
 * Usage: qmail-local [-nN] user homedir local dash ext domain sender
 * defaultdelivery; the message on fd 0 (seekable).  Runs as the recipient,
 * started by qmail-lspawn (or by hand, with -n, to test a .qmail file).
 * Writes a human report on fd 1.  Exit: 0 delivered, 100 permanent
 * failure, 111 temporary failure (man/qmail-local.8).
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/date.h"
#include "lib/die.h"
#include "lib/dotqmail.h"
#include "lib/io.h"
#include "lib/limit.h"
#include "lib/proc.h"
#include "lib/qq.h"
#include "lib/str.h"

const char prog[] = "qmail-local";

#define PATRN		022	/* home and .qmail: no group or world write */
#define MAXDT		100	/* Delivered-To lines: more is a loop */
#define LOCKWAIT	30	/* seconds to wait for an mbox lock */
#define COPYBUF		65536

static int flagdoit = 1;
static int flagforwardonly;
static int flag99;
static const char *user, *homedir, *local, *dash, *ext, *host, *sender;
static const char *aliasempty;
static struct sa recipient = SA_INIT;	/* local@domain */
static struct sa dtline = SA_INIT;	/* Delivered-To: recipient\n */
static struct sa rpline = SA_INIT;	/* Return-Path: <sender>\n */
static struct sa ufline = SA_INIT;	/* From sender date\n */
static struct sa newsender = SA_INIT;
static struct sa safeext = SA_INIT;	/* ext, lower case, '.' -> ':' */
static struct sa qme = SA_INIT;		/* name of the .qmail file in use */
static struct sa cmds = SA_INIT;	/* the delivery instructions */
static const char *defaultpart;		/* DEFAULT, if a -default file matched */
static char **recips;
static size_t nrecips;
static unsigned long count_file, count_forward, count_program;
static char copybuf[COPYBUF];
static unsigned long uniqcount;

#define fail(code, ...)	quit((code), DIE_LIST(__VA_ARGS__))

/* the report goes to fd 1: qmail-lspawn passes it on to qmail-send */
NORETURN static void
quit(int code, const char *const *parts)
{
	say_parts(1, 0, parts);
	_exit(code);
}

NORETURN static void
temp_nomem(void)
{
	fail(EXIT_TEMP, "Out of memory. (#4.3.0)");
}

NORETURN static void
temp_rewind(void)
{
	fail(EXIT_TEMP, "Unable to rewind message. (#4.3.0)");
}

NORETURN static void
temp_read(void)
{
	fail(EXIT_TEMP, "Unable to read message: ", err_str(errno),
	    ". (#4.3.0)");
}

NORETURN static void
usage(void)
{
	fail(EXIT_PERM, "qmail-local: usage: qmail-local [ -nN ] user homedir"
	    " local dash ext domain sender defaultdelivery");
}

static void
rewind0(void)
{
	if (lseek(0, 0, SEEK_SET) == -1)
		temp_rewind();
}

static void
cat(struct sa *x, const char *s)
{
	if (sa_cats(x, s) == -1)
		temp_nomem();
}

static void
catb(struct sa *x, const char *s, size_t n)
{
	if (sa_catb(x, s, n) == -1)
		temp_nomem();
}

static char *
str0(struct sa *x)
{
	char *s = sa_str(x);

	if (s == NULL)
		temp_nomem();
	return s;
}

static void
setenv_or_die(const char *name, const char *value)
{
	if (env_put(name, value) == -1)
		temp_nomem();
}

/* write all of x to fd; -1 with errno on failure */
static int
putall(int fd, const char *x, size_t n)
{
	return io_writeall(fd, x, n);
}

/*
 * Copy the message (from its start) to fd after the prefix lines pre,
 * unchanged.  Returns 0, -1 with errno for a write error, -2 with errno
 * for a read error.
 */
static int
copy_plain(int fd, const char *pre, size_t prelen)
{
	size_t n = 0;
	ssize_t r;

	rewind0();
	if (prelen > sizeof copybuf)
		return putall(fd, pre, prelen) == -1 ? -1 : copy_plain(fd, "", 0);
	memcpy(copybuf, pre, prelen);
	n = prelen;
	for (;;) {
		r = read(0, copybuf + n, sizeof copybuf - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -2;
		n += (size_t)r;
		if (r == 0 || n == sizeof copybuf) {
			if (putall(fd, copybuf, n) == -1)
				return -1;
			n = 0;
		}
		if (r == 0)
			return 0;
	}
}

/* a line that mbox readers would take for a message separator */
static int
gfrom(const char *s, size_t n)
{
	while (n > 0 && *s == '>')
		++s, --n;
	return n >= 5 && memcmp(s, "From ", 5) == 0;
}

/* mbox: From_ line, Return-Path, Delivered-To, the message with >From
 * quoting, a newline at the end if missing, a blank line */
static int
copy_mbox(int fd)
{
	struct buf in, out;
	static char inspace[COPYBUF], outspace[COPYBUF];
	struct sa line = SA_INIT;
	int atstart = 1, r, lastnl = 1;

	rewind0();
	buf_init(&in, 0, inspace, sizeof inspace);
	buf_init(&out, fd, outspace, sizeof outspace);
	if (buf_put(&out, ufline.s, ufline.len) == -1 ||
	    buf_put(&out, rpline.s, rpline.len) == -1 ||
	    buf_put(&out, dtline.s, dtline.len) == -1)
		return -1;
	for (;;) {
		line.len = 0;
		r = buf_getline(&in, &line, '\n', sizeof inspace);
		if (r == -1) {
			if (errno == ENOMEM)
				temp_nomem();
			return -2;
		}
		if (line.len == 0)
			break;
		if (atstart && gfrom(line.s, line.len))
			if (buf_put(&out, ">", 1) == -1)
				return -1;
		if (buf_put(&out, line.s, line.len) == -1)
			return -1;
		atstart = r == 1;
		lastnl = line.s[line.len - 1] == '\n';
		if (r == 0)
			break;
	}
	sa_free(&line);
	if (!lastnl && buf_put(&out, "\n", 1) == -1)
		return -1;
	if (buf_put(&out, "\n", 1) == -1 || buf_flush(&out) == -1)
		return -1;
	return 0;
}

static void
hostname(struct sa *x)
{
	char h[256];
	size_t i;

	if (gethostname(h, sizeof h - 1) == -1)
		memcpy(h, "localhost", 10);
	h[sizeof h - 1] = 0;
	/* maildir(5): '/' and ':' cannot appear in a file name part */
	for (i = 0; h[i]; i++)
		if (h[i] == '/')
			cat(x, "\\057");
		else if (h[i] == ':')
			cat(x, "\\072");
		else
			catb(x, h + i, 1);
}

/*
 * maildir: write tmp/NAME, fsync it, link it as new/NAME, remove tmp/NAME.
 * NAME is seconds.MmicrosecondsPpidQcount.host: unique as long as the pid
 * is not reused within one microsecond on this host.
 */
static void
maildir(const char *dir)
{
	struct sa tmpfn = SA_INIT, newfn = SA_INIT, name = SA_INIT;
	struct timeval tv;
	int fd, r;

	gettimeofday(&tv, NULL);
	if (sa_catulong(&name, (unsigned long)tv.tv_sec) == -1 ||
	    sa_cats(&name, ".M") == -1 ||
	    sa_catulong(&name, (unsigned long)tv.tv_usec) == -1 ||
	    sa_cats(&name, "P") == -1 ||
	    sa_catulong(&name, (unsigned long)getpid()) == -1 ||
	    sa_cats(&name, "Q") == -1 ||
	    sa_catulong(&name, ++uniqcount) == -1 ||
	    sa_cats(&name, ".") == -1)
		temp_nomem();
	hostname(&name);
	cat(&tmpfn, dir), cat(&tmpfn, "tmp/"), catb(&tmpfn, name.s, name.len);
	cat(&newfn, dir), cat(&newfn, "new/"), catb(&newfn, name.s, name.len);
	fd = open(str0(&tmpfn), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		if (errno == ENOENT)
			fail(EXIT_TEMP, "Unable to open ", tmpfn.s,
			    ": is ", dir, " a maildir? (#4.2.1)");
		fail(EXIT_TEMP, "Unable to open ", tmpfn.s, ": ",
		    err_str(errno), ". (#4.2.1)");
	}
	{
		struct sa pre = SA_INIT;

		if (sa_cat(&pre, &rpline) == -1 || sa_cat(&pre, &dtline) == -1)
			temp_nomem();
		r = copy_plain(fd, pre.s, pre.len);
		sa_free(&pre);
	}
	/* The one fsync: the message must be on disk before its name shows
	 * up in new/, where a reader may take it and the sender forget it. */
	if (r == 0 && fsync(fd) == -1)
		r = -1;
	if (close(fd) == -1 && r == 0)
		r = -1;
	if (r != 0) {
		int e = errno;

		unlink(tmpfn.s);
		errno = e;
		if (r == -2)
			temp_read();
		if (errno == EDQUOT)
			fail(EXIT_TEMP, "Recipient's mailbox is full. (#4.2.2)");
		fail(EXIT_TEMP, "Temporary error on maildir delivery: ",
		    err_str(errno), ". (#4.3.0)");
	}
	if (link(tmpfn.s, str0(&newfn)) == -1) {
		int e = errno;

		unlink(tmpfn.s);
		fail(EXIT_TEMP, "Unable to link tmp to new in ", dir, ": ",
		    err_str(e), ". (#4.3.0)");
	}
	unlink(tmpfn.s);	/* a leftover in tmp/ is harmless: readers skip it */
	sa_free(&tmpfn), sa_free(&newfn), sa_free(&name);
}

static volatile sig_atomic_t alarmed;

static void
on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/*
 * mbox: append under an exclusive flock; on any failure cut the file back
 * to its old size, so the mailbox never holds half a message.
 */
static void
mailfile(const char *fn)
{
	off_t pos;
	int fd, r, e;

	fd = open(fn, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK,
	    0600);
	if (fd == -1)
		fail(EXIT_TEMP, "Unable to open ", fn, ": ", err_str(errno),
		    ". (#4.2.1)");
	if (fd_block(fd) == -1)
		fail(EXIT_TEMP, "Unable to open ", fn, ": ", err_str(errno),
		    ". (#4.2.1)");
	alarmed = 0;
	sig_catch(SIGALRM, on_alarm);
	alarm(LOCKWAIT);
	while ((r = flock(fd, LOCK_EX)) == -1 && errno == EINTR && !alarmed)
		;
	alarm(0);
	if (r == -1) {
		if (alarmed)
			fail(EXIT_TEMP, "File has been locked for 30 seconds"
			    " straight. (#4.3.0)");
		fail(EXIT_TEMP, "Unable to lock ", fn, ": ", err_str(errno),
		    ". (#4.3.0)");
	}
	if ((pos = lseek(fd, 0, SEEK_END)) == -1)
		fail(EXIT_TEMP, "Unable to seek ", fn, ": ", err_str(errno),
		    ". (#4.3.0)");
	r = copy_mbox(fd);
	if (r == 0 && fsync(fd) == -1)
		r = -1;
	if (r != 0) {
		e = errno;
		if (ftruncate(fd, pos) == -1)
			fail(EXIT_TEMP, "Unable to truncate ", fn, ": ",
			    err_str(errno), ". (#4.3.0)");
		errno = e;
		if (r == -2)
			temp_read();
		fail(EXIT_TEMP, "Unable to write ", fn, ": ", err_str(e),
		    ". (#4.3.0)");
	}
	if (close(fd) == -1)	/* NFS may report a write error only here */
		fail(EXIT_TEMP, "Unable to write ", fn, ": ", err_str(errno),
		    ". (#4.3.0)");
}

static void
mailprogram(const char *cmd)
{
	char *args[4];
	pid_t pid;
	int wstat, code;

	rewind0();
	switch (pid = fork()) {
	case -1:
		fail(EXIT_TEMP, "Unable to fork: ", err_str(errno),
		    ". (#4.3.0)");
	case 0:
		args[0] = (char *)"/bin/sh", args[1] = (char *)"-c";
		args[2] = (char *)cmd, args[3] = NULL;
		sig_default(SIGPIPE);
		execv(args[0], args);
		fail(EXIT_TEMP, "Unable to run /bin/sh: ", err_str(errno),
		    ". (#4.3.0)");
	}
	if (proc_wait(pid, &wstat) == -1)
		fail(EXIT_TEMP, "Unable to wait for child: ", err_str(errno),
		    ". (#4.3.0)");
	if (proc_crashed(wstat))
		fail(EXIT_TEMP, "Aack, child crashed. (#4.3.0)");
	switch (code = proc_exitcode(wstat)) {
	case 0:
		break;
	case 99:
		flag99 = 1;
		break;
	/* qmail-command(8): 100 and some sysexits(3) codes are permanent */
	case 100: case 64: case 65: case 70: case 76: case 77: case 78:
	case 112:
		_exit(EXIT_PERM);
	default:
		_exit(EXIT_TEMP);
	}
}

/* all forwards of the .qmail file in one qmail-queue run, after
 * everything else succeeded */
static pid_t
mailforward(void)
{
	struct qq q;
	size_t i;
	int code;

	for (i = 0; i < nrecips; i++)
		if (str_len(recips[i]) > LIMIT_ADDR)
			fail(EXIT_PERM, "Unable to forward message: address too"
			    " long. (#5.1.3)");
	if (qq_open(&q) == -1)
		fail(EXIT_TEMP, "Unable to forward message: ",
		    err_str(errno), ". (#4.3.0)");
	qq_put(&q, dtline.s, dtline.len);
	rewind0();
	if (qq_copy(&q, 0) == -1) {
		qq_kill(&q);
		temp_read();
	}
	qq_from(&q, newsender.s);
	for (i = 0; i < nrecips; i++)
		qq_to(&q, recips[i]);
	code = qq_close(&q);
	if (code == QQ_CRASHED)
		fail(EXIT_TEMP, "Unable to forward message: qmail-queue"
		    " crashed. (#4.3.0)");
	if (code != 0)
		fail(qq_is_perm(code) ? EXIT_PERM : EXIT_TEMP,
		    "Unable to forward message: ", qq_errstr(code), ".");
	return q.pid;
}

static void
sayit(const char *type, const char *s)
{
	say_parts(1, 0, DIE_LIST(type, s));
}

/* Run (or, with -n, describe) the instructions in cmds, each line
 * classified by dq_line (man/dot-qmail.5). */
static void
follow(void)
{
	size_t i, j, off, len, nlines = 0;
	char *arg;
	int kind;

	for (j = 0; j < cmds.len; j++)
		if (cmds.s[j] == '\n')
			nlines++;
	recips = alloc_array(nlines + 1, sizeof *recips);
	if (recips == NULL)
		temp_nomem();
	for (i = 0, j = 0; j < cmds.len; j++) {
		if (cmds.s[j] != '\n')
			continue;
		kind = dq_line(cmds.s + i, j - i, &off, &len);
		arg = cmds.s + i + off;
		arg[len] = 0;	/* at most the '\n' itself: inside cmds */
		switch (kind) {
		case DQ_BLANK:
			if (i == 0)
				fail(EXIT_TEMP, "Uh-oh: first line of .qmail file"
				    " is blank. (#4.2.1)");
			break;
		case DQ_COMMENT:
			break;
		case DQ_LIST:
			flagforwardonly = 1;
			break;
		case DQ_MAILDIR:
		case DQ_MBOX:
			++count_file;
			if (flagforwardonly)
				fail(EXIT_TEMP, "Uh-oh: .qmail has file delivery"
				    " but has x bit set. (#4.7.0)");
			if (kind == DQ_MAILDIR) {
				if (flagdoit)
					maildir(arg);
				else
					sayit("maildir ", arg);
			} else {
				if (flagdoit)
					mailfile(arg);
				else
					sayit("mbox ", arg);
			}
			break;
		case DQ_PROGRAM:
			++count_program;
			if (flagforwardonly)
				fail(EXIT_TEMP, "Uh-oh: .qmail has prog delivery"
				    " but has x bit set. (#4.7.0)");
			if (flagdoit)
				mailprogram(arg);
			else
				sayit("program ", arg);
			break;
		default:
			++count_forward;
			if (flagdoit)
				recips[nrecips++] = arg;
			else
				sayit("forward ", arg);
			break;
		}
		i = j + 1;
		if (flag99)
			break;
	}
}

/* open .qmail + dash + safeext[0..n) + suffix; -1 if absent */
static int
qmeopen(size_t n, const char *suffix)
{
	int fd;

	qme.len = 0;
	cat(&qme, ".qmail"), cat(&qme, dash), catb(&qme, safeext.s, n);
	cat(&qme, suffix);
	fd = open(str0(&qme), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 && errno != ENOENT)
		fail(EXIT_TEMP, "Unable to open ", qme.s, ": ", err_str(errno),
		    ". (#4.3.0)");
	return fd;
}

static int
qmeexists(const char *suffix)
{
	int fd = qmeopen(safeext.len, suffix);

	if (fd == -1)
		return 0;
	close(fd);
	return 1;
}

/*
 * Find the .qmail file (dot-qmail(5)): .qmail-EXT, else .qmail-PRE-default
 * for each PRE ending just before a '-' of EXT, longest first, else
 * .qmail-default.  Returns its descriptor, or -1 for "use defaultdelivery".
 */
static int
qmesearch(void)
{
	size_t i;
	int fd;

	if ((fd = qmeopen(safeext.len, "")) != -1)
		return fd;
	if (*dash == 0)
		return -1;
	for (i = safeext.len + 1; i-- > 0;)
		if (i == 0 || safeext.s[i - 1] == '-')
			if ((fd = qmeopen(i, "default")) != -1) {
				defaultpart = ext + i;
				return fd;
			}
	fail(EXIT_PERM, "Sorry, no mailbox here by that name. (#5.1.1)");
}

static void
readqmail(void)
{
	struct stat st;
	ssize_t r;
	int fd;

	cmds.len = 0;
	if ((fd = qmesearch()) == -1)
		goto dflt;
	if (fstat(fd, &st) == -1)
		fail(EXIT_TEMP, "Unable to stat ", qme.s, ": ", err_str(errno),
		    ". (#4.3.0)");
	if (st.st_mode & PATRN)
		fail(EXIT_TEMP, "Uh-oh: .qmail file is writable. (#4.7.0)");
	if (st.st_mode & S_IXUSR)
		flagforwardonly = 1;
	if (fd_block(fd) == -1)
		fail(EXIT_TEMP, "Unable to read ", qme.s, ": ", err_str(errno),
		    ". (#4.3.0)");
	for (;;) {
		if (sa_readyplus(&cmds, 4096) == -1)
			temp_nomem();
		r = read(fd, cmds.s + cmds.len, 4096);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			fail(EXIT_TEMP, "Unable to read ", qme.s, ": ",
			    err_str(errno), ". (#4.3.0)");
		if (r == 0)
			break;
		cmds.len += (size_t)r;
		if (cmds.len > LIMIT_DOTQMAIL)
			fail(EXIT_TEMP, "Uh-oh: ", qme.s, " is too big."
			    " (#4.7.0)");
	}
	close(fd);
	if (cmds.len > 0) {
		cat(&cmds, "\n");	/* a last line without newline counts */
		return;
	}
dflt:
	flagforwardonly = 0;
	cat(&cmds, aliasempty), cat(&cmds, "\n");
}

static void
checkhome(void)
{
	struct stat st;

	if (stat(".", &st) == -1)
		fail(EXIT_TEMP, "Unable to stat home directory: ",
		    err_str(errno), ". (#4.3.0)");
	if (st.st_mode & PATRN)
		fail(EXIT_TEMP, "Uh-oh: home directory is writable. (#4.7.0)");
	if (st.st_mode & S_ISVTX) {
		if (flagdoit)
			fail(EXIT_TEMP, "Home directory is sticky: user is"
			    " editing his .qmail file. (#4.2.1)");
		say_parts(1, 0, DIE_LIST("Warning: home directory is sticky."));
	}
}

/*
 * The header, up to the first empty line: bounce if it already has our
 * Delivered-To line (a forwarding loop), or too many of them.
 */
static void
checkloop(void)
{
	static char space[8192];
	struct buf in;
	struct sa line = SA_INIT;
	size_t n, ndt = 0, want = dtline.len - 1;
	int r, atstart = 1;

	rewind0();
	buf_init(&in, 0, space, sizeof space);
	for (;;) {
		line.len = 0;
		r = buf_getline(&in, &line, '\n', 4096);
		if (r == -1) {
			if (errno == ENOMEM)
				temp_nomem();
			temp_read();
		}
		if (line.len == 0)
			break;
		if (!atstart) {
			atstart = r == 1;
			continue;	/* the rest of a long line */
		}
		atstart = r == 1;
		n = line.len;
		if (n && line.s[n - 1] == '\n')
			--n;
		if (n && line.s[n - 1] == '\r')
			--n;
		if (n == 0)
			break;
		if (case_startb(line.s, n, "delivered-to:")) {
			if (++ndt > MAXDT)
				fail(EXIT_PERM, "This message is looping: it"
				    " has too many Delivered-To lines."
				    " (#5.4.6)");
			if (n == want && case_equalb(line.s, n, dtline.s))
				fail(EXIT_PERM, "This message is looping: it"
				    " already has my Delivered-To line."
				    " (#5.4.6)");
		}
		if (r == 0)
			break;
	}
	sa_free(&line);
}

/* the part of s after its n-th separator c, or "" */
static const char *
after(const char *s, int c, int n)
{
	const char *p = s;

	while (n-- > 0) {
		p += byte_chr(p, str_len(p), c);
		if (*p)
			++p;
	}
	return p;
}

/* HOSTn: host without its last n-1 dot-separated parts */
static void
hostenv(const char *name, int n)
{
	struct sa h = SA_INIT;
	size_t len = str_len(host), i;

	while (n-- > 1) {
		i = byte_rchr(host, len, '.');
		if (i < len)
			len = i;
	}
	catb(&h, host, len);
	setenv_or_die(name, str0(&h));
	sa_free(&h);
}

static void
setup_lines(void)
{
	char date[32];
	struct tm utc;
	time_t now = time(NULL);
	size_t i;

	cat(&recipient, local), cat(&recipient, "@"), cat(&recipient, host);
	cat(&dtline, "Delivered-To: ");
	for (i = 0; i < recipient.len; i++)
		catb(&dtline, recipient.s[i] == '\n' ? "_" : recipient.s + i, 1);
	cat(&dtline, "\n");
	cat(&rpline, "Return-Path: <");
	for (i = 0; sender[i]; i++)
		catb(&rpline, sender[i] == '\n' ? "_" : sender + i, 1);
	cat(&rpline, ">\n");
	cat(&ufline, "From ");
	if (*sender == 0)
		cat(&ufline, "MAILER-DAEMON");
	for (i = 0; sender[i]; i++)
		catb(&ufline, sender[i] == ' ' || sender[i] == '\t' ||
		    sender[i] == '\n' ? "-" : sender + i, 1);
	/* asctime(3) form in UTC, as mbox readers expect */
	date_utc(&utc, now);	/* no time zone files (lib/date.c) */
	if (strftime(date, sizeof date, " %a %b %e %H:%M:%S %Y\n", &utc) == 0)
		memcpy(date, " Thu Jan  1 00:00:00 1970\n", 27);
	cat(&ufline, date);
	for (i = 0; ext[i]; i++) {
		char c = ext[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c == '.')
			c = ':';
		catb(&safeext, &c, 1);
	}
	str0(&safeext);
}

/* NEWSENDER (dot-qmail(5)): local-owner@host if .qmail-ext-owner exists,
 * the VERP form if .qmail-ext-owner-default exists too */
static void
setup_newsender(void)
{
	cat(&newsender, sender);
	if (*sender && !str_equal(sender, "#@[]") && qmeexists("-owner")) {
		newsender.len = 0;
		cat(&newsender, local);
		if (qmeexists("-owner-default"))
			cat(&newsender, "-owner-@"), cat(&newsender, host),
			    cat(&newsender, "-@[]");
		else
			cat(&newsender, "-owner@"), cat(&newsender, host);
	}
	str0(&newsender);
}

static void
setup_env(void)
{
	setenv_or_die("USER", user);
	setenv_or_die("HOME", homedir);
	setenv_or_die("LOCAL", local);
	setenv_or_die("HOST", host);
	hostenv("HOST2", 2);
	hostenv("HOST3", 3);
	hostenv("HOST4", 4);
	setenv_or_die("EXT", ext);
	setenv_or_die("EXT2", after(ext, '-', 1));
	setenv_or_die("EXT3", after(ext, '-', 2));
	setenv_or_die("EXT4", after(ext, '-', 3));
	setenv_or_die("SENDER", sender);
	setenv_or_die("NEWSENDER", newsender.s);
	setenv_or_die("RECIPIENT", str0(&recipient));
	setenv_or_die("DTLINE", str0(&dtline));
	setenv_or_die("RPLINE", str0(&rpline));
	setenv_or_die("UFLINE", str0(&ufline));
	if (defaultpart)
		setenv_or_die("DEFAULT", defaultpart);
	else
		env_unset("DEFAULT");
}

static char **
options(int argc, char **argv)
{
	int i;
	const char *p;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (str_equal(argv[i], "--")) {
			i++;
			break;
		}
		for (p = argv[i] + 1; *p; p++)
			if (*p == 'n')
				flagdoit = 0;
			else if (*p == 'N')
				flagdoit = 1;
			else
				usage();
	}
	if (argc - i != 8)
		usage();
	return argv + i;
}

int
main(int argc, char **argv)
{
	char **a = options(argc, argv);
	char num[FMT_ULONG];
	pid_t qp = 0;

	user = a[0], homedir = a[1], local = a[2], dash = a[3];
	ext = a[4], host = a[5], sender = a[6], aliasempty = a[7];
	if (homedir[0] != '/')
		usage();
	sig_default(SIGPIPE);
	if (chdir(homedir) == -1)
		fail(EXIT_TEMP, "Unable to switch to ", homedir, ": ",
		    err_str(errno), ". (#4.3.0)");
	checkhome();
	setup_lines();
	if (flagdoit)
		checkloop();
	readqmail();
	setup_newsender();
	setup_env();
	follow();
	if (!flagdoit)
		return 0;
	if (nrecips)
		qp = mailforward();
	num[fmt_ulong(num, count_file)] = 0;
	{
		char n2[FMT_ULONG], n3[FMT_ULONG];

		n2[fmt_ulong(n2, count_forward)] = 0;
		n3[fmt_ulong(n3, count_program)] = 0;
		say_parts(1, 0, DIE_LIST("did ", num, "+", n2, "+", n3));
	}
	if (qp) {
		num[fmt_ulong(num, (unsigned long)qp)] = 0;
		say_parts(1, 0, DIE_LIST("qp ", num));
	}
	return 0;
}
