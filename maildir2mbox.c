/*
 * maildir2mbox: move the mail in a maildir ($MAILDIR, messages in new/ and
 * cur/) to the end of an mbox file ($MAIL), through a temporary file
 * ($MAILTMP, overwritten, on the same filesystem as $MAIL).  Runs as the
 * mailbox's owner.  $MAIL is locked (flock) while it is rewritten: the old
 * mbox and the messages are copied to $MAILTMP, which is fsynced and then
 * renamed over $MAIL; only then are the messages removed from the maildir.
 * Files in tmp/ older than 36 hours are removed first.
 * Exit: 0 done (also when there was nothing to move); 111 any failure,
 * with $MAIL left as it was (man/maildir2mbox.1).
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>	/* rename(2) only; no stdio streams */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/die.h"
#include "lib/io.h"
#include "lib/proc.h"
#include "lib/str.h"

const char prog[] = "maildir2mbox";

struct msg {
	char	*path;		/* MAILDIR/new/name or MAILDIR/cur/name */
	time_t	 mtime;
};

static struct msg *msgs;
static size_t nmsgs, capmsgs;

static void
fail_nomem(void)
{
	die_temp("out of memory");
}

static const char *
need(const char *name)
{
	const char *v;

	if ((v = env_get(name)) == NULL || *v == '\0')
		die_temp(name, " not set");
	return v;
}

static char *
join(const char *a, const char *b, const char *c)
{
	struct sa x = SA_INIT;

	if (sa_cats(&x, a) == -1 || sa_cats(&x, b) == -1 ||
	    sa_cats(&x, c) == -1 || sa_str(&x) == NULL)
		fail_nomem();
	return x.s;
}

/* Remove what a crashed delivery left in tmp/ (maildir(5): 36 hours). */
static void
cleantmp(const char *maildir)
{
	char *dir = join(maildir, "/tmp", ""), *fn;
	struct dirent *d;
	struct stat st;
	time_t now = time(NULL);
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		die_temp_sys("unable to scan ", dir);
	while ((errno = 0, d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		fn = join(dir, "/", d->d_name);
		if (stat(fn, &st) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > 36 * 3600)
			unlink(fn);
		free(fn);
	}
	closedir(dp);
}

static void
scan(const char *maildir, const char *sub)
{
	char *dir = join(maildir, "/", sub), *fn;
	struct dirent *d;
	struct stat st;
	struct msg *m;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		die_temp_sys("unable to scan ", dir);
	while ((errno = 0, d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		fn = join(dir, "/", d->d_name);
		if (stat(fn, &st) == -1) {
			if (errno == ENOENT) {	/* a reader moved it */
				free(fn);
				continue;
			}
			die_temp_sys("unable to stat ", fn);
		}
		if (!S_ISREG(st.st_mode)) {
			free(fn);
			continue;
		}
		if (nmsgs == capmsgs) {
			capmsgs = capmsgs ? capmsgs * 2 : 64;
			if ((m = realloc_array(msgs, capmsgs, sizeof *m)) == NULL)
				fail_nomem();
			msgs = m;
		}
		msgs[nmsgs].path = fn;
		msgs[nmsgs].mtime = st.st_mtime;
		nmsgs++;
	}
	if (errno != 0)
		die_temp_sys("unable to scan ", dir);
	closedir(dp);
	free(dir);
}

static int
bytime(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* "Thu Jan  1 00:00:00 1970", in UTC, as an mbox From_ line wants */
static int
put_date(struct buf *out, time_t t)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm *tm = gmtime(&t);
	char b[32];

	if (tm == NULL || tm->tm_year < -1900 || tm->tm_year > 9999 - 1900)
		die_temp("message date out of range");
	memcpy(b, days + 3 * tm->tm_wday, 3);
	b[3] = ' ';
	memcpy(b + 4, months + 3 * tm->tm_mon, 3);
	b[7] = ' ';
	b[8] = tm->tm_mday < 10 ? ' ' : (char)('0' + tm->tm_mday / 10);
	b[9] = (char)('0' + tm->tm_mday % 10);
	b[10] = ' ';
	fmt_ulong0(b + 11, (unsigned long)tm->tm_hour, 2);
	b[13] = ':';
	fmt_ulong0(b + 14, (unsigned long)tm->tm_min, 2);
	b[16] = ':';
	fmt_ulong0(b + 17, (unsigned long)tm->tm_sec, 2);
	b[19] = ' ';
	fmt_ulong0(b + 20, (unsigned long)tm->tm_year + 1900, 4);
	b[24] = '\n';
	return buf_put(out, b, 25);
}

/* ">*From " at the start of a line gets one more '>' (mbox(5)) */
static int
isfrom(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] == '>')
		i++;
	return n - i >= 5 && memcmp(s + i, "From ", 5) == 0;
}

static void
copymsg(struct buf *out, const struct msg *m, const char *tmp)
{
	static const char rp[] = "Return-Path: <";
	const size_t rplen = sizeof rp - 1;
	char inspace[BUF_SIZE];
	struct sa line = SA_INIT;
	struct buf in;
	size_t i;
	int fd, r, first = 1, eol = 1;

	if ((fd = open_read(m->path)) == -1)
		die_temp_sys("unable to open ", m->path);
	buf_init(&in, fd, inspace, sizeof inspace);
	for (;;) {
		line.len = 0;
		if ((r = buf_getline(&in, &line, '\n', 1 << 20)) == -1)
			die_temp_sys("unable to read ", m->path);
		if (first) {
			first = 0;
			if (buf_puts(out, "From ") == -1)
				goto wfail;
			if (r != 0 && line.len > rplen &&
			    memcmp(line.s, rp, rplen) == 0 &&
			    line.s[rplen] != '>') {
				for (i = rplen; i < line.len && line.s[i] != '>' &&
				    line.s[i] != '\n'; i++)
					;
				if (buf_put(out, line.s + 14, i - 14) == -1)
					goto wfail;
			} else if (buf_puts(out, "MAILER-DAEMON") == -1)
				goto wfail;
			if (buf_puts(out, " ") == -1)
				goto wfail;
			if (put_date(out, m->mtime) == -1)
				goto wfail;
		}
		if (line.len == 0)
			break;
		/* a line cut at the ceiling continues, it does not start anew */
		if (eol && isfrom(line.s, line.len) && buf_puts(out, ">") == -1)
			goto wfail;
		if (buf_put(out, line.s, line.len) == -1)
			goto wfail;
		eol = line.s[line.len - 1] == '\n';
		if (r == 0)
			break;
	}
	if ((!eol && buf_puts(out, "\n") == -1) || buf_puts(out, "\n") == -1)
		goto wfail;
	close(fd);
	sa_free(&line);
	return;
wfail:
	die_temp_sys("unable to write to ", tmp);
}

int
main(void)
{
	const char *maildir, *mbox, *tmp;
	char outspace[BUF_SIZE], b[BUF_SIZE];
	struct buf out;
	int fdlock, fdold, fdtmp;
	ssize_t r;
	size_t i;

	maildir = need("MAILDIR");
	mbox = need("MAIL");
	tmp = need("MAILTMP");
	cleantmp(maildir);
	scan(maildir, "new");
	scan(maildir, "cur");
	if (nmsgs == 0)
		return 0;
	qsort(msgs, nmsgs, sizeof *msgs, bytime);

	umask(077);
	if ((fdlock = open_append(mbox)) == -1)
		die_temp_sys("unable to open ", mbox);
	if (lock_ex(fdlock) == -1)
		die_temp_sys("unable to lock ", mbox);
	if ((fdtmp = open_trunc(tmp)) == -1)
		die_temp_sys("unable to create ", tmp);
	buf_init(&out, fdtmp, outspace, sizeof outspace);
	if ((fdold = open_read(mbox)) == -1)
		die_temp_sys("unable to read ", mbox);
	for (;;) {
		if ((r = io_read(fdold, b, sizeof b, 0, 0)) == -1)
			die_temp_sys("unable to read ", mbox);
		if (r == 0)
			break;
		if (buf_put(&out, b, (size_t)r) == -1)
			die_temp_sys("unable to write to ", tmp);
	}
	close(fdold);
	for (i = 0; i < nmsgs; i++)
		copymsg(&out, &msgs[i], tmp);
	/* The new mbox must be on disk before it replaces the old one and
	 * before a single message leaves the maildir. */
	if (buf_flush(&out) == -1 || fsync(fdtmp) == -1 || close(fdtmp) == -1)
		die_temp_sys("unable to write to ", tmp);
	if (rename(tmp, mbox) == -1)
		die_temp_sys("unable to move ", tmp, " to ", mbox);
	for (i = 0; i < nmsgs; i++)
		if (unlink(msgs[i].path) == -1 && errno != ENOENT)
			die_temp_sys("unable to unlink ", msgs[i].path);
	close(fdlock);
	return 0;
}
