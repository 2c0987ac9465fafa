/*
 * qmail-rspawn: run qmail-remote for qmail-send.  Reads delivery requests
 * on fd 0 and writes reports on fd 1 in the spawn protocol of
 * qmail-rspawn(8): a request is a 2-byte little-endian slot, the message
 * file relative to queue/, the sender, the recipients (all of one domain)
 * and an empty string, each NUL-terminated; a report is the slot, one
 * r/h/s record per recipient and a final K/Z/D record.  Each request
 * becomes one `qmail-remote host sender recip...` with the message on fd
 * 0 and a pipe on fd 1; at most conf_spawn run at once, one per slot.
 * Runs as qmailr with cwd the qmail home, started by qmail-start.
 * Exit: 0 when fd 0 ends and every delivery has been reported; 111 on a
 * startup problem, a broken request stream or a report it cannot write.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/proc.h"
#include "lib/str.h"

const char prog[] = "qmail-rspawn";

extern char **environ;

#define REQ_MAX		(16UL << 20)	/* bytes of one request */
#define OUT_PER_RCPT	2048		/* qmail-remote output kept per recipient */
#define TEXT_MAX	1000		/* bytes of one report text */

struct job {
	pid_t		 pid;		/* 0: the slot is free */
	int		 fd;		/* qmail-remote's fd 1 */
	size_t		 nrcpt;
	struct sa	 out;
};

static struct job *jobs;
static size_t running;
static char qmail_remote[1024];

static void
fail_nomem(void)
{
	die_temp("out of memory");
}

static void
report_write(struct sa *r)
{
	if (io_writeall(1, r->s, r->len) == -1)
		die_temp_sys("unable to write a report");
}

static void
rec(struct sa *r, int c, const char *t, size_t n)
{
	if (n > TEXT_MAX)
		n = TEXT_MAX;
	if (sa_catc(r, c) == -1 || sa_catb(r, t, n) == -1 || sa_0(r) == -1)
		fail_nomem();
}

static void
report_start(struct sa *r, size_t slot)
{
	r->len = 0;
	if (sa_catc(r, (int)(slot & 255)) == -1 ||
	    sa_catc(r, (int)(slot >> 8)) == -1)
		fail_nomem();
}

/* the same failure for every recipient and the message */
static void
report_all(size_t slot, size_t nrcpt, int rc, int fc, const char *text)
{
	struct sa r = SA_INIT;
	size_t i;

	report_start(&r, slot);
	for (i = 0; i < nrcpt; i++)
		rec(&r, rc, text, str_len(text));
	rec(&r, fc, text, str_len(text));
	report_write(&r);
	sa_free(&r);
}

/*
 * Turn qmail-remote's output into a report.  Its recipient records are
 * passed on in order; recipients it said nothing about (it failed before
 * RCPT) take the message record: Z as s, D as h.  A D with a deferred
 * recipient becomes Z: a final D would bounce that recipient too.
 */
static void
report_job(size_t slot, struct job *j, int status)
{
	struct sa r = SA_INIT;
	const char *o = j->out.s, *ftext = NULL;
	size_t len = j->out.len, i, e, k = 0, flen = 0;
	int fc = 0, soft = 0, c;

	if (proc_crashed(status)) {
		report_all(slot, j->nrcpt, 's', 'Z', "qmail-remote crashed. (#4.3.0)\n");
		return;
	}
	if (proc_exitcode(status) != 0) {
		report_all(slot, j->nrcpt, 's', 'Z', "Unable to run qmail-remote. (#4.3.0)\n");
		return;
	}
	report_start(&r, slot);
	for (i = 0; i < len && !fc; i = e + 1) {
		e = i + byte_chr(o + i, len - i, 0);
		if (e == len)
			break;	/* a record without its NUL: ignore it */
		c = o[i];
		if ((c == 'r' || c == 'h' || c == 's') && k < j->nrcpt) {
			rec(&r, c, o + i + 1, e - i - 1);
			if (c == 's')
				soft = 1;
			k++;
		} else if (c == 'K' || c == 'Z' || c == 'D')
			fc = c, ftext = o + i + 1, flen = e - i - 1;
	}
	if (!fc) {
		fc = 'Z';
		ftext = len ? "qmail-remote produced incomplete output. (#4.3.0)\n" :
		    "qmail-remote produced no output. (#4.3.0)\n";
		flen = str_len(ftext);
	}
	for (; k < j->nrcpt; k++) {
		if (fc == 'D')
			rec(&r, 'h', ftext, flen);
		else if (fc == 'Z') {
			rec(&r, 's', ftext, flen);
			soft = 1;
		} else {
			rec(&r, 's', "qmail-remote produced incomplete output. (#4.3.0)\n", 51);
			soft = 1;
		}
	}
	if (fc == 'D' && soft)
		fc = 'Z';
	rec(&r, fc, ftext, flen);
	report_write(&r);
	sa_free(&r);
}

static int
path_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '/')
		return 0;
	for (i = 0; i + 1 < n; i++)
		if (s[i] == '.' && s[i + 1] == '.')
			return 0;
	return 1;
}

/* Start one delivery; the request is the NUL-separated strings in
 * s[0..n): message, sender, recipients. */
static void
start(size_t slot, char *s, size_t n)
{
	posix_spawn_file_actions_t fa;
	struct sa path = SA_INIT;
	char **argv, *p, *host;
	size_t nstr = 0, i, k, at;
	int pi[2], fd, err;
	pid_t pid;
	struct job *j;

	if (slot >= conf_spawn || jobs[slot].pid)
		die_temp("internal bug: request for a busy or unknown slot");
	for (i = 0; i < n; i++)
		if (s[i] == 0)
			nstr++;
	/* argv: qmail-remote host sender recips... NULL */
	if ((argv = alloc_array(nstr + 2, sizeof *argv)) == NULL)
		fail_nomem();
	for (p = s, k = 0; k < nstr; k++, p += str_len(p) + 1)
		argv[k + 1] = p;	/* [1] message, [2] sender, [3..] recips */
	if (nstr < 3) {
		report_all(slot, nstr > 2 ? nstr - 2 : 0, 's', 'Z',
		    "Delivery request without recipients. (#4.3.0)\n");
		free(argv);
		return;
	}
	if (!path_ok(argv[1], str_len(argv[1])) ||
	    sa_copys(&path, "queue/") == -1 || sa_cats(&path, argv[1]) == -1 ||
	    !sa_str(&path)) {
		report_all(slot, nstr - 2, 's', 'Z',
		    "Unable to open message file. (#4.3.0)\n");
		sa_free(&path);
		free(argv);
		return;
	}
	if ((fd = open(path.s, O_RDONLY | O_CLOEXEC)) == -1) {
		report_all(slot, nstr - 2, 's', 'Z',
		    "Unable to open message file. (#4.3.0)\n");
		sa_free(&path);
		free(argv);
		return;
	}
	sa_free(&path);
	host = argv[3];
	at = byte_rchr(host, str_len(host), '@');
	if (host[at])
		host += at + 1;
	argv[0] = "qmail-remote";
	argv[1] = host;
	argv[nstr + 1] = NULL;
	if (pipe(pi) == -1 || fd_cloexec(pi[0]) == -1 ||
	    fd_cloexec(pi[1]) == -1) {
		close(fd);
		free(argv);
		report_all(slot, nstr - 2, 's', 'Z',
		    "Unable to run qmail-remote. (#4.3.0)\n");
		return;
	}
	err = posix_spawn_file_actions_init(&fa);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, fd, 0);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, pi[1], 1);
	if (!err)
		err = posix_spawn(&pid, qmail_remote, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd);
	close(pi[1]);
	free(argv);
	if (err) {
		close(pi[0]);
		report_all(slot, nstr - 2, 's', 'Z',
		    "Unable to run qmail-remote. (#4.3.0)\n");
		return;
	}
	j = &jobs[slot];
	j->pid = pid, j->fd = pi[0], j->nrcpt = nstr - 2, j->out.len = 0;
	running++;
}

/* One complete request at the start of in[0..n)?  Its length, or 0. */
static size_t
request_len(const char *in, size_t n)
{
	size_t i = 2, strs = 0, e;

	while (i < n) {
		e = i + byte_chr(in + i, n - i, 0);
		if (e == n)
			return 0;
		strs++;
		if (strs >= 3 && e == i)
			return e + 1;	/* the empty string after the recipients */
		i = e + 1;
	}
	return 0;
}

static void
job_read(size_t slot)
{
	struct job *j = &jobs[slot];
	char b[4096];
	ssize_t r;
	int status;
	size_t cap = (j->nrcpt + 1) * OUT_PER_RCPT;

	r = read(j->fd, b, sizeof b);
	if (r == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r > 0) {
		if (j->out.len < cap && sa_catb(&j->out, b,
		    (size_t)r < cap - j->out.len ? (size_t)r : cap - j->out.len) == -1)
			fail_nomem();
		return;
	}
	close(j->fd);
	if (proc_wait(j->pid, &status) == -1)
		die_temp_sys("unable to wait for qmail-remote");
	report_job(slot, j, status);
	j->pid = 0, j->fd = -1;
	running--;
}

int
main(void)
{
	struct sa in = SA_INIT;
	struct pollfd *pfd;
	size_t *pslot, np, i, n, slot;
	char b[65536];
	ssize_t r;
	int eof = 0;

	sig_ignore(SIGPIPE);
	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	n = str_len(conf_qmail);
	if (n + sizeof "/bin/qmail-remote" > sizeof qmail_remote)
		die_temp("home directory name too long");
	memcpy(qmail_remote, conf_qmail, n);
	memcpy(qmail_remote + n, "/bin/qmail-remote", sizeof "/bin/qmail-remote");
	if ((jobs = alloc_array(conf_spawn, sizeof *jobs)) == NULL ||
	    (pfd = alloc_array(conf_spawn + 1, sizeof *pfd)) == NULL ||
	    (pslot = alloc_array(conf_spawn + 1, sizeof *pslot)) == NULL)
		fail_nomem();
	memset(jobs, 0, conf_spawn * sizeof *jobs);

	while (!eof || running) {
		np = 0;
		if (!eof) {
			pfd[np].fd = 0, pfd[np].events = POLLIN;
			pslot[np++] = (size_t)-1;
		}
		for (i = 0; i < conf_spawn; i++)
			if (jobs[i].pid) {
				pfd[np].fd = jobs[i].fd, pfd[np].events = POLLIN;
				pslot[np++] = i;
			}
		if (poll(pfd, np, -1) == -1) {
			if (errno == EINTR)
				continue;
			die_temp_sys("unable to poll");
		}
		for (i = 0; i < np; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (pslot[i] != (size_t)-1) {
				job_read(pslot[i]);
				continue;
			}
			r = read(0, b, sizeof b);
			if (r == -1) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				die_temp_sys("unable to read requests");
			}
			if (r == 0) {
				eof = 1;
				continue;
			}
			if (sa_catb(&in, b, (size_t)r) == -1)
				fail_nomem();
			while ((n = request_len(in.s, in.len)) > 0) {
				slot = (unsigned char)in.s[0] |
				    (size_t)(unsigned char)in.s[1] << 8;
				start(slot, in.s + 2, n - 3);
				memmove(in.s, in.s + n, in.len - n);
				in.len -= n;
			}
			if (in.len > REQ_MAX)
				die_temp("request too long");
		}
	}
	return 0;
}
