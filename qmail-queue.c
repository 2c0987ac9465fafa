/*
 * qmail-queue: copy a message from fd 0 and its envelope from fd 1
 * (Fsender\0Trecip\0...Trecip\0\0) into the queue, crash-safely, then
 * wake qmail-send through lock/trigger.
 *
 * Reads: fd 0 (message), fd 1 (envelope).  Writes: queue/pid/P.T.S,
 * queue/mess/S/N, queue/intd/N, queue/todo/N under the compiled-in home.
 * Runs setuid qmailq; trusts nothing inherited (umask, environment,
 * signal mask and handlers).  Prints nothing.
 * Exit: 0 queued; 11-40 permanent; anything else temporary; every code
 * is listed in man/qmail-queue.8.
 *
 * The order of the steps is the whole guarantee (man/qmail-queue.8):
 * the body and intd/N are on disk (fsync) before todo/N is linked, and
 * todo/N is on disk before the exit status 0.
 * Until todo/N exists qmail-send ignores the files; any failure before
 * that removes them, and a crash leaves at worst files that qmail-send
 * deletes after 36 hours.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/date.h"
#include "lib/die.h"
#include "lib/envelope.h"
#include "lib/limit.h"
#include "lib/proc.h"
#include "lib/queue.h"
#include "lib/str.h"

const char prog[] = "qmail-queue";

#define DEATH	86400		/* a qmail-queue stuck for a day gives up: 52 */
#define PIDTRIES 9		/* names tried in pid/ before giving up: 63 */

extern char **environ;

static char buf[65536];		/* body and envelope chunks: few big syscalls */
static char pidfn[128], messfn[128], intdfn[128], todofn[128];
static unsigned long pid, uid;
static time_t starttime;

/* What exists on disk, for the cleanup a signal handler may also run. */
static volatile sig_atomic_t made_pid, made_mess, made_intd, committed;
static volatile sig_atomic_t messfd = -1, intdfd = -1;

/*
 * Remove every file this process made, so that nothing half-written is
 * left that qmail-send could deliver.  Truncate first: if an unlink
 * fails, at least no stale body or envelope stays around.  Only
 * async-signal-safe calls: the SIGALRM and fault handlers run it too.
 * Never after the commit: todo/N must keep its mess and intd.
 */
static void
cleanup(void)
{
	if (committed)
		return;
	if (made_intd) {
		if (intdfd != -1)
			(void)!ftruncate(intdfd, 0);
		if (unlink(intdfn) == -1)
			return;
	}
	if (made_mess) {
		if (messfd != -1)
			(void)!ftruncate(messfd, 0);
		if (unlink(messfn) == -1)
			return;
	}
	if (made_pid)
		(void)unlink(pidfn);
}

static NORETURN void
fail(int code)
{
	cleanup();
	_exit(code);
}

static void
on_alarm(int sig)
{
	(void)sig;
	fail(QQ_TIMEOUT);
}

static void
on_fault(int sig)
{
	(void)sig;
	fail(QQ_BUG);
}

/*
 * Every signal is blocked except SIGALRM (the 24-hour limit) and the
 * faults (a bug: 81): a half-written entry is never interrupted by a
 * stray HUP, INT, TERM, PIPE or XFSZ (a write beyond RLIMIT_FSIZE then
 * fails with EFBIG: 53).  SIGKILL cannot be blocked; it leaves at worst
 * pid, mess or intd files that qmail-send removes later.
 */
static void
signals(void)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE,
	    SIGABRT, SIGSYS, SIGTRAP };
	struct sigaction sa;
	sigset_t ss;
	size_t i;

	sigfillset(&ss);
	sigdelset(&ss, SIGALRM);
	for (i = 0; i < sizeof faults / sizeof faults[0]; i++)
		sigdelset(&ss, faults[i]);
	sigprocmask(SIG_SETMASK, &ss, NULL);

	memset(&sa, 0, sizeof sa);
	sigfillset(&sa.sa_mask);
	sa.sa_handler = on_fault;
	for (i = 0; i < sizeof faults / sizeof faults[0]; i++)
		sigaction(faults[i], &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(DEATH);
}

static int
writeall(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w, n -= (size_t)w;
	}
	return 0;
}

static ssize_t
readsome(int fd, char *s, size_t n)
{
	ssize_t r;

	while ((r = read(fd, s, n)) == -1 && errno == EINTR)
		;
	return r;
}

/* dir/ then the number, NUL-terminated, into a fixed buffer */
static void
name(char *out, const char *dir, int split, unsigned long n)
{
	size_t len = str_len(dir);

	memcpy(out, dir, len);
	if (split) {
		len += fmt_ulong(out + len, queue_split(n));
		out[len++] = '/';
	}
	len += fmt_ulong(out + len, n);
	out[len] = 0;
}

/*
 * A fresh file in pid/, named pid.time.seq: a pid reused within the
 * same second (or a stale file from a crash) only moves on to the next
 * sequence number.  Its inode number names the message.
 */
static unsigned long
create_mess(void)
{
	struct stat st;
	unsigned long seq;
	size_t n;
	int fd = -1;

	for (seq = 1; seq <= PIDTRIES; seq++) {
		n = 0;
		memcpy(pidfn, "pid/", 4), n = 4;
		n += fmt_ulong(pidfn + n, pid);
		pidfn[n++] = '.';
		n += fmt_ulong(pidfn + n, (unsigned long)starttime);
		pidfn[n++] = '.';
		n += fmt_ulong(pidfn + n, seq);
		pidfn[n] = 0;
		fd = open(pidfn, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
		    0644);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1)
		_exit(QQ_PIDDIR);
	made_pid = 1;
	messfd = fd;
	if (fstat(fd, &st) == -1)
		fail(QQ_PIDDIR);
	name(messfn, "mess/", 1, (unsigned long)st.st_ino);
	name(intdfn, "intd/", 0, (unsigned long)st.st_ino);
	name(todofn, "todo/", 0, (unsigned long)st.st_ino);
	/*
	 * link, not rename: a mess/S/N that already exists (a queue copied
	 * from elsewhere, so names no longer match inodes) must never be
	 * replaced; it fails here with EEXIST instead (64).
	 */
	if (link(pidfn, messfn) == -1)
		fail(QQ_MESSDIR);
	made_mess = 1;
	if (unlink(pidfn) == -1)
		fail(QQ_PIDDIR);
	made_pid = 0;
	return (unsigned long)st.st_ino;
}

static size_t
received(char *s)
{
	static const char head[] = "Received: (qmail ";
	size_t n = sizeof head - 1;

	memcpy(s, head, n);
	n += fmt_ulong(s + n, pid);
	/* A single-user build has one id for everything: say which uid. */
	if (!conf_single && uid == (unsigned long)uid_alias)
		memcpy(s + n, " invoked by alias", 17), n += 17;
	else if (!conf_single && uid == (unsigned long)uid_daemon)
		memcpy(s + n, " invoked from network", 21), n += 21;
	else if (!conf_single && uid == (unsigned long)uid_send)
		memcpy(s + n, " invoked for bounce", 19), n += 19;
	else {
		memcpy(s + n, " invoked by uid ", 16), n += 16;
		n += fmt_ulong(s + n, uid);
	}
	memcpy(s + n, "); ", 3), n += 3;
	n += date_fmt822(s + n, starttime);
	s[n++] = '\n';
	return n;
}

/*
 * The Received line and the body, in buffer-sized writes.  Its fsync
 * waits for the envelope (sync_files): nothing reads intd/N before
 * todo/N exists, so intd/N may be written before the body is durable.
 */
static void
copy_body(void)
{
	size_t n;
	ssize_t r;

	n = received(buf);
	for (;;) {
		if ((r = readsome(0, buf + n, sizeof buf - n)) == -1)
			fail(QQ_READ);
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == sizeof buf) {
			if (writeall(messfd, buf, n) == -1)
				fail(QQ_WRITE);
			n = 0;
		}
	}
	if (n > 0 && writeall(messfd, buf, n) == -1)
		fail(QQ_WRITE);
}

/*
 * Read the envelope from fd 1 and build the intd contents in e.  Bytes
 * after the terminating NUL are never waited for: a caller may keep its
 * end open until it has our exit status.
 */
static void
read_envelope(struct sa *e)
{
	struct env_in st = ENV_IN_INIT;
	size_t used;
	ssize_t r;
	int code;

	for (;;) {
		if ((r = readsome(1, buf, sizeof buf)) == -1)
			fail(QQ_READ);
		if (r == 0)
			fail(QQ_ENVELOPE);	/* end of file before the final NUL */
		code = env_in_feed(&st, e, buf, (size_t)r, &used);
		if (code == ENV_IN_DONE)
			return;
		if (code)
			fail(code);
	}
}

static void
write_intd(const struct sa *e)
{
	int fd;

	if ((fd = open(intdfn, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    0644)) == -1)
		fail(QQ_INTDDIR);
	made_intd = 1;
	intdfd = fd;
	if (writeall(fd, e->s, e->len) == -1)
		fail(QQ_WRITE);
}

/*
 * Body and envelope must both be on disk before todo/N points at them.
 * Their fsyncs come together, after both writes: the second then mostly
 * finds its work done by the first's journal commit, where a write,
 * fsync, write, fsync sequence pays for two commits one after the other.
 */
static void
sync_files(void)
{
	if (fsync(messfd) == -1 || fsync(intdfd) == -1)
		fail(QQ_WRITE);
}

/*
 * The commit: link intd/N as todo/N, then make that directory entry
 * durable.  qmail 1.03 stopped at the link; on Linux file systems the
 * new name then reaches the disk only with the next journal commit
 * (seconds later), and a crash in between would leave mess and intd
 * without todo, which qmail-send deletes after 36 hours: a message
 * lost after "ok".  So the todo directory is fsynced too.
 */
static void
commit(void)
{
	struct stat st, sti;
	int dfd;

	sig_block(SIGALRM);	/* from here on no handler may clean up */
	if (link(intdfn, todofn) == -1) {
		/*
		 * A failed link leaves no todo/N on a local file system; but
		 * if the name exists and is our intd after all, the entry is
		 * complete and queued.  If we cannot tell, leave the files:
		 * a stray intd is harmless, a todo without mess is not.
		 */
		if (lstat(todofn, &st) == -1) {
			if (errno == ENOENT)
				fail(QQ_TODODIR);
			_exit(QQ_TODODIR);
		}
		if (fstat(intdfd, &sti) == -1 || st.st_ino != sti.st_ino ||
		    st.st_dev != sti.st_dev)
			fail(QQ_TODODIR);	/* someone else's: ours goes */
	}
	committed = 1;
	if ((dfd = open("todo", O_RDONLY | O_DIRECTORY)) == -1)
		dfd = -2;
	if (dfd == -2 || (fsync(dfd) == -1 && errno != EINVAL)) {
		/* Not known to be durable: withdraw it if we can. */
		if (unlink(todofn) == -1)
			_exit(QQ_WRITE);
		committed = 0;
		fail(QQ_WRITE);
	}
}

int
main(void)
{
	static char *noenv[] = { NULL };
	struct sa e = SA_INIT;
	char num[FMT_ULONG];

	environ = noenv;
	umask(033);
	signals();
	if (fcntl(0, F_GETFL) == -1 || fcntl(1, F_GETFL) == -1)
		_exit(QQ_READ);
	pid = (unsigned long)getpid();
	uid = (unsigned long)getuid();
	starttime = time(NULL);
	if (chdir(conf_qmail) == -1)
		_exit(QQ_HOMEDIR);
	if (chdir("queue") == -1)
		_exit(QQ_QUEUEDIR);

	create_mess();
	copy_body();
	if (sa_catc(&e, 'u') == -1 ||
	    sa_catb(&e, num, fmt_ulong(num, uid)) == -1 ||
	    sa_catb(&e, "\0p", 2) == -1 ||
	    sa_catb(&e, num, fmt_ulong(num, pid)) == -1 || sa_0(&e) == -1)
		fail(QQ_NOMEM);
	read_envelope(&e);
	write_intd(&e);
	sync_files();
	commit();
	queue_trigger();
	_exit(QQ_OK);
}
