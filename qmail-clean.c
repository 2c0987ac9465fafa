/*
 * qmail-clean: remove queue files on qmail-send's request.  Started by
 * qmail-start as qmailq (the owner of pid, intd, todo and mess); works in
 * QMAILHOME/queue.  Reads NUL-terminated requests on fd 0 and answers each
 * with one byte on fd 1: '+' done, '!' refused or failed.
 *   iN  preprocessing of message N is over: remove intd/N, then todo/N
 *   mN  message N is finished: remove mess/S/N, unless intd/N or todo/N
 *       still exists
 *   sN  stale leftovers of N: remove intd/N and mess/S/N, only if todo/N
 *       does not exist and mess/S/N is older than 36 hours
 * N is a decimal inode number; anything else is refused.  On its own,
 * every hour, it removes files in pid/ older than 36 hours.
 * Exit: 0 at the end of fd 0; 111 if it cannot enter the queue.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/queue.h"
#include "lib/str.h"

const char prog[] = "qmail-clean";

#define OSSIFIED	129600	/* 36 hours: qmail-queue gives up after 24 */
#define PID_EVERY	3600	/* seconds between pid/ sweeps */
#define REQ_MAX		64	/* a request is a letter and a number */

static struct sa fn;

static int
gone(const char *f)
{
	return unlink(f) == 0 || errno == ENOENT;
}

static int
exists(const char *f)
{
	struct stat st;

	return stat(f, &st) == 0 || errno != ENOENT;	/* in doubt: yes */
}

/* files in pid/ that qmail-queue left behind when it died */
static void
sweep_pid(time_t now)
{
	struct dirent *d;
	struct stat st;
	DIR *dir;

	if ((dir = opendir("pid")) == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (sa_copys(&fn, "pid/") == -1 || sa_cats(&fn, d->d_name) == -1 ||
		    sa_str(&fn) == NULL)
			break;
		if (lstat(fn.s, &st) == 0 && S_ISREG(st.st_mode) &&
		    now > st.st_mtime + OSSIFIED && now > st.st_atime + OSSIFIED)
			(void)unlink(fn.s);
	}
	closedir(dir);
}

static int
doit(const char *r, size_t n)
{
	static struct sa f2;
	unsigned long id;
	struct stat st;

	if (n < 2 || r[1] == '0' || scan_ulong(r + 1, n - 1, &id) != n - 1)
		return -1;
	if (queue_path(&fn, "intd", id) == -1 ||
	    queue_split_path(&f2, "mess", id) == -1)
		return -1;
	switch (r[0]) {
	case 'i':
		/* intd first: a todo/N without intd/N is still a complete
		 * entry, an intd/N alone is only a leftover */
		if (!gone(fn.s))
			return -1;
		if (queue_path(&fn, "todo", id) == -1)
			return -1;
		return gone(fn.s) ? 0 : -1;
	case 'm':
		if (exists(fn.s))
			return -1;
		if (queue_path(&fn, "todo", id) == -1 || exists(fn.s))
			return -1;
		return gone(f2.s) ? 0 : -1;
	case 's':
		if (stat(f2.s, &st) == 0 &&
		    time(NULL) < st.st_mtime + OSSIFIED)
			return -1;
		if (queue_path(&fn, "todo", id) == -1 || exists(fn.s))
			return -1;
		if (queue_path(&fn, "intd", id) == -1 || !gone(fn.s))
			return -1;
		return gone(f2.s) ? 0 : -1;
	}
	return -1;
}

int
main(void)
{
	static char inspace[1024];
	struct buf in = BUF_INIT(0, inspace);
	struct sa req = SA_INIT;
	time_t lastsweep = 0, now;
	int r, toolong = 0;

	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to switch to ", conf_qmail);
	if (chdir("queue") == -1)
		die_temp_sys("unable to switch to ", conf_qmail, "/queue");
	for (;;) {
		now = time(NULL);
		if (now >= lastsweep + PID_EVERY) {
			sweep_pid(now);
			lastsweep = now;
		}
		if (in.p == in.n) {
			struct pollfd p = { 0, POLLIN, 0 };

			if (poll(&p, 1, PID_EVERY * 1000) == 0)
				continue;
		}
		req.len = 0;
		r = buf_getline(&in, &req, 0, REQ_MAX);
		if (r == 0)
			return 0;	/* qmail-send has gone: so do we */
		if (r == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die_temp_sys("unable to read requests");
		}
		if (r == 2) {
			toolong = 1;	/* discard up to the next NUL */
			continue;
		}
		if (toolong) {
			toolong = 0;
			r = -1;
		} else
			r = doit(req.s, req.len - 1);
		if (io_writeall(1, r == 0 ? "+" : "!", 1) == -1)
			return 0;
	}
}
