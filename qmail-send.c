/*
 * qmail-send: preprocess queued messages, schedule their local and remote
 * deliveries through qmail-lspawn and qmail-rspawn, retry deferrals with a
 * backoff, bounce failures, and have qmail-clean remove finished files.
 * Started by qmail-start as qmails with fd 0 = log, 1/2 = to/from
 * qmail-lspawn, 3/4 = to/from qmail-rspawn, 5/6 = to/from qmail-clean.
 * Reads QMAILHOME/control at start and on HUP; works in QMAILHOME/queue.
 * Every log line goes to fd 0 (man/qmail-log.5).
 * Exit: 0 after TERM once the deliveries in progress have finished; 111 if
 * it cannot start or a companion daemon has gone away (man/qmail-send.8).
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/control.h"
#include "lib/date.h"
#include "lib/die.h"
#include "lib/envelope.h"
#include "lib/io.h"
#include "lib/limit.h"
#include "lib/proc.h"
#include "lib/queue.h"
#include "lib/str.h"

const char prog[] = "qmail-send";

#define LOCAL		0
#define REMOTE		1
#define DONE		2	/* the third event of a message: finish it */
#define OSSIFIED	129600	/* 36 hours: S2/S3 leftovers are dead */
#define TODO_PER_ROUND	32	/* preprocess at most this many per loop,
				 * with their fsyncs together (todo_batch) */
#define DONE_PER_ROUND	8	/* finish at most this many per loop */
#define TODO_SCAN_MAX	10000	/* ids taken from one todo/ scan */
#define TODO_RESCAN	300	/* scan todo/ at least this often (seconds) */
#define CLEANUP_STEP	120	/* one mess/S subdirectory per this many seconds */
#define RETRY_TROUBLE	60	/* retry after a local disk problem */
#define BATCH_MAX	100	/* remote recipients in one request */
#define TEXT_MAX	4096	/* bytes of one report record we accept */
#define REPORT_MAX	((BATCH_MAX + 1) * (TEXT_MAX + 2) + 2)
#define LIMIT_ENVFILE	(LIMIT_QQ_ENVELOPE + 4096)
#define BAD_MAX		1024	/* malformed todo entries remembered */

/*
 * Memory per queued message: one struct msg (about 140 bytes on LP64)
 * plus one hash-table pointer.  Recipient lists are read from disk only
 * while a delivery pass over them (a job) is open; at most
 * concurrency + 1 jobs are open per channel.
 */
struct msg;
struct ev {
	time_t		 t;
	struct msg	*m;
	size_t		 idx;		/* place in its heap; NOTQUEUED if none */
};
#define NOTQUEUED	SIZE_MAX

struct msg {
	unsigned long	 id;
	time_t		 birth;		/* mtime of info/N */
	struct msg	*hnext;
	struct ev	 ev[3];		/* next try local, remote; done */
	unsigned char	 has[2];	/* local/N, remote/N exist */
	unsigned char	 busy[2];	/* a job is open on that channel */
};

struct heap {
	struct ev	**e;
	size_t		 n, cap;
};

struct job {
	struct msg	*m;
	int		 c;
	int		 fd;		/* local/N or remote/N, read-write */
	struct sa	 file;		/* its contents */
	struct sa	 sender;
	size_t		*rcpt;		/* offsets of T records */
	size_t		 nrcpt, next;	/* next one not yet dispatched */
	size_t		 running;	/* recipients in flight */
	size_t		 left;		/* recipients still T */
	int		 dying;		/* pass began past queuelifetime */
	struct job	*jnext;
	struct job	*tnext;		/* reports(): touched by this read */
	int		 touched, dirty;	/* in that list; D marks unsynced */
};

struct slot {
	struct job	*j;		/* NULL: free */
	size_t		 first, n;	/* j->rcpt[first .. first + n) */
	unsigned long	 dno;		/* delivery number of the first */
};

struct chan {
	const char	*name;		/* also its queue directory */
	const char	*spawner;
	int		 tofd, fromfd;
	time_t		 skip;		/* retry schedule step, seconds */
	struct slot	*slot;
	size_t		*freeslot, nfree;
	unsigned long	 running;	/* slots in use */
	struct job	*jobs, **jobtail;
	struct sa	 rbuf;		/* report bytes not yet parsed */
};

struct ctl {
	struct sa	 me, envnoathost, bouncefrom, bouncehost;
	struct sa	 dbhost, dbto;
	struct cmap	 locals, vdoms, percent;
	unsigned long	 conc[2], lifetime;
};

static struct buf logb;
static char logspace[8192];
static time_t now;
static struct ctl ctl;
static struct chan ch[2];
static struct heap heap[3];
static struct msg **mtab;
static size_t mtabmask, nmsg;
static unsigned long dnum;		/* last delivery number */
static int homefd, queuefd, trigfd, sigfd;
static volatile int flagexit;
static int flagrescan = 1, flagstatus;
static time_t nexttodo, nextclean;
static unsigned long cleansplit;
static unsigned long *todo;		/* ids waiting for preprocessing */
static size_t ntodo, todopos, todocap;
static unsigned long bad[BAD_MAX];	/* todo entries that did not parse */
static size_t nbad;
static struct sa fn, fn2, tmp, btext;	/* scratch, reused */

/* ---------------------------------------------------------------- log */

static void
logflush(void)
{
	(void)buf_flush(&logb);	/* a dead logger must not stop delivery */
	logb.n = 0;
}

static void
lognum(unsigned long u)
{
	(void)buf_putulong(&logb, u);
}

static void
logs(const char *s)
{
	(void)buf_puts(&logb, s);
}

/* qmail's rule: newlines become '/', and anything that is not a visible
 * ASCII character, or is '%', becomes '_' */
static void
logsafe(const char *s, size_t n)
{
	char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '\n')
			c = '/';
		else if ((unsigned char)c < 33 || (unsigned char)c > 126 ||
		    c == '%')
			c = '_';
		(void)buf_put(&logb, &c, 1);
	}
}

#define LOG(...)	logparts(DIE_LIST(__VA_ARGS__))
static void
logparts(const char *const *p)
{
	for (; *p; p++)
		logs(*p);
}

static void
status(void)
{
	logs("status: local ");
	lognum(ch[LOCAL].running);
	logs("/");
	lognum(ctl.conc[LOCAL]);
	logs(" remote ");
	lognum(ch[REMOTE].running);
	logs("/");
	lognum(ctl.conc[REMOTE]);
	logs("\n");
	flagstatus = 0;
}

static void
warnfile(const char *what, const char *f, int sys)
{
	LOG("warning: ", what, " ", f);
	if (sys)
		LOG(": ", err_str(errno));
	logs("; will try again later\n");
}

NORETURN static void
lost(const char *who)
{
	LOG("alert: oh no! lost ", who, "! dying...\n");
	logflush();
	_exit(111);
}

NORETURN static void
cannotstart(const char *why, int sys)
{
	LOG("alert: cannot start: ", why);
	if (sys)
		LOG(": ", err_str(errno));
	logs("\n");
	logflush();
	_exit(111);
}

static void
nomem(void)
{
	logs("alert: out of memory, exiting; the queue is safe\n");
	logflush();
	_exit(111);
}

/* ----------------------------------------------------------- controls */

static void
ctl_free(struct ctl *c)
{
	sa_free(&c->me), sa_free(&c->envnoathost), sa_free(&c->bouncefrom);
	sa_free(&c->bouncehost), sa_free(&c->dbhost), sa_free(&c->dbto);
	cmap_free(&c->locals), cmap_free(&c->vdoms), cmap_free(&c->percent);
}

static int
readmap(struct cmap *m, const char *f, int sep, const struct sa *def)
{
	struct sa x = SA_INIT;
	int r;

	if ((r = ctl_readfile(&x, f)) == -1)
		return -1;
	if (r == 0 && def && (sa_copy(&x, def) == -1 || sa_0(&x) == -1))
		return sa_free(&x), -1;
	r = cmap_init(m, x.s ? x.s : "", x.len, sep);
	sa_free(&x);
	return r;
}

/* Read every control file into c, relative to the home; 0 or -1 with
 * *what naming the file. */
static int
ctl_read(struct ctl *c, const char **what)
{
	memset(c, 0, sizeof *c);
	if (ctl_me(&c->me) == -1)
		return *what = "control/me", -1;
	if (ctl_rldef(&c->envnoathost, "control/envnoathost", "") == -1)
		return *what = "control/envnoathost", -1;
	if (c->envnoathost.len == 0 && sa_copy(&c->envnoathost, &c->me) == -1)
		return *what = "memory", -1;
	if (ctl_rldef(&c->bouncefrom, "control/bouncefrom", "MAILER-DAEMON") == -1)
		return *what = "control/bouncefrom", -1;
	if (ctl_rldef(&c->bouncehost, "control/bouncehost", "") == -1)
		return *what = "control/bouncehost", -1;
	if (c->bouncehost.len == 0 && sa_copy(&c->bouncehost, &c->me) == -1)
		return *what = "memory", -1;
	if (ctl_rldef(&c->dbhost, "control/doublebouncehost", "") == -1)
		return *what = "control/doublebouncehost", -1;
	if (c->dbhost.len == 0 && sa_copy(&c->dbhost, &c->me) == -1)
		return *what = "memory", -1;
	/* an existing but empty doublebounceto discards double bounces */
	switch (ctl_readline(&c->dbto, "control/doublebounceto")) {
	case -1:
		return *what = "control/doublebounceto", -1;
	case 0:
		if (sa_copys(&c->dbto, "postmaster") == -1)
			return *what = "memory", -1;
	}
	if (ctl_readulong(&c->conc[LOCAL], "control/concurrencylocal", 10) == -1)
		return *what = "control/concurrencylocal", -1;
	if (ctl_readulong(&c->conc[REMOTE], "control/concurrencyremote", 20) == -1)
		return *what = "control/concurrencyremote", -1;
	if (c->conc[LOCAL] > conf_spawn)
		c->conc[LOCAL] = conf_spawn;
	if (c->conc[REMOTE] > conf_spawn)
		c->conc[REMOTE] = conf_spawn;
	if (ctl_readulong(&c->lifetime, "control/queuelifetime", 604800) == -1)
		return *what = "control/queuelifetime", -1;
	if (readmap(&c->locals, "control/locals", 0, &c->me) == -1)
		return *what = "control/locals", -1;
	if (readmap(&c->vdoms, "control/virtualdomains", ':', NULL) == -1)
		return *what = "control/virtualdomains", -1;
	if (readmap(&c->percent, "control/percenthack", 0, NULL) == -1)
		return *what = "control/percenthack", -1;
	return 0;
}

/* ------------------------------------------------------------ message table */

static struct msg **
mslot(unsigned long id)
{
	return &mtab[(id * 2654435761UL) & mtabmask];
}

static struct msg *
mfind(unsigned long id)
{
	struct msg *m;

	if (mtab == NULL)
		return NULL;
	for (m = *mslot(id); m; m = m->hnext)
		if (m->id == id)
			return m;
	return NULL;
}

static void
mgrow(void)
{
	struct msg **old = mtab, *m, *next;
	size_t oldsize = mtabmask + 1, i;

	if (mtab && nmsg < oldsize)
		return;
	if (mtab == NULL)
		oldsize = 0;
	if ((mtab = alloc_array(oldsize ? oldsize * 2 : 1024, sizeof *mtab)) == NULL)
		nomem();
	mtabmask = (oldsize ? oldsize * 2 : 1024) - 1;
	memset(mtab, 0, (mtabmask + 1) * sizeof *mtab);
	for (i = 0; i < oldsize; i++)
		for (m = old[i]; m; m = next) {
			next = m->hnext;
			m->hnext = *mslot(m->id);
			*mslot(m->id) = m;
		}
	free(old);
}

static struct msg *
madd(unsigned long id, time_t birth)
{
	struct msg *m;
	int i;

	mgrow();
	if ((m = malloc(sizeof *m)) == NULL)
		nomem();
	memset(m, 0, sizeof *m);
	m->id = id, m->birth = birth;
	for (i = 0; i < 3; i++)
		m->ev[i].m = m, m->ev[i].idx = NOTQUEUED;
	m->hnext = *mslot(id);
	*mslot(id) = m;
	nmsg++;
	return m;
}

static void
mdel(struct msg *m)
{
	struct msg **p;

	for (p = mslot(m->id); *p; p = &(*p)->hnext)
		if (*p == m) {
			*p = m->hnext;
			break;
		}
	nmsg--;
	free(m);
}

/* ---------------------------------------------------------------- heaps */

static void
hswap(struct heap *h, size_t a, size_t b)
{
	struct ev *t = h->e[a];

	h->e[a] = h->e[b], h->e[b] = t;
	h->e[a]->idx = a, h->e[b]->idx = b;
}

static void
hup(struct heap *h, size_t i)
{
	while (i > 0 && h->e[(i - 1) / 2]->t > h->e[i]->t) {
		hswap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
hdown(struct heap *h, size_t i)
{
	size_t l, s;

	for (;;) {
		l = 2 * i + 1, s = i;
		if (l < h->n && h->e[l]->t < h->e[s]->t)
			s = l;
		if (l + 1 < h->n && h->e[l + 1]->t < h->e[s]->t)
			s = l + 1;
		if (s == i)
			return;
		hswap(h, i, s);
		i = s;
	}
}

static void
hdel(struct heap *h, struct ev *e)
{
	size_t i = e->idx;

	if (i == NOTQUEUED)
		return;
	e->idx = NOTQUEUED;
	if (i == --h->n)
		return;
	h->e[i] = h->e[h->n];
	h->e[i]->idx = i;
	hdown(h, i);
	hup(h, i);
}

/* (re)schedule event k of message m at time t */
static void
sched(struct msg *m, int k, time_t t)
{
	struct heap *h = &heap[k];
	struct ev *e = &m->ev[k], **ne;

	hdel(h, e);
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 1024;
		if ((ne = realloc_array(h->e, cap, sizeof *ne)) == NULL)
			nomem();
		h->e = ne, h->cap = cap;
	}
	e->t = t;
	e->idx = h->n;
	h->e[h->n++] = e;
	hup(h, e->idx);
}

static struct ev *
htop(const struct heap *h)
{
	return h->n ? h->e[0] : NULL;
}

/* ---------------------------------------------------------------- files */

static void
fnmake(struct sa *x, const char *dir, unsigned long id, int split)
{
	if ((split ? queue_split_path(x, dir, id) : queue_path(x, dir, id)) == -1)
		nomem();
}

/* unlink; 0 also when it was not there */
static int
unlink_ok(const char *f)
{
	return unlink(f) == -1 && errno != ENOENT ? -1 : 0;
}

/*
 * create (or truncate) f with exactly these bytes and return it open: the
 * caller fsyncs it (todo_batch) before anything relies on it
 */
static int
writefile(const char *f, const char *s, size_t n)
{
	int fd;

	if ((fd = open(f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (io_writeall(fd, s, n) == -1) {
		int e = errno;
		close(fd);
		return errno = e, -1;
	}
	return fd;
}

/* sender from info/N: 1 ok, 0 missing, -1 unreadable or malformed */
static int
readinfo(unsigned long id, struct sa *sender)
{
	int r;

	fnmake(&fn2, "info", id, 1);
	if ((r = io_readfile(&tmp, fn2.s, LIMIT_ADDR + 64)) <= 0)
		return r;
	if (tmp.len < 2 || tmp.s[0] != 'F' ||
	    byte_chr(tmp.s, tmp.len, 0) != tmp.len - 1)
		return errno = EINVAL, -1;
	if (sa_copyb(sender, tmp.s + 1, tmp.len - 2) == -1)
		nomem();
	return 1;
}

/* ----------------------------------------------------------- qmail-clean */

/* ask qmail-clean to do one request: 0 done, -1 refused or failed */
static int
clean(char kind, unsigned long id)
{
	char req[FMT_ULONG + 2], c;
	size_t n = 0;
	ssize_t r;

	req[n++] = kind;
	n += fmt_ulong(req + n, id);
	req[n++] = 0;
	if (io_writeall(5, req, n) == -1)
		lost("qmail-clean connection");
	while ((r = read(6, &c, 1)) == -1 && errno == EINTR)
		;
	if (r != 1)
		lost("qmail-clean connection");
	return c == '+' ? 0 : -1;
}

/*
 * The same for n requests of one kind, sent in one write; qmail-clean
 * answers them one by one in order.  res[i] is 0 done, -1 refused.
 */
static void
clean_many(char kind, const unsigned long *id, int *res, size_t n)
{
	static struct sa req;
	char ans[64];
	size_t i, got;
	ssize_t r;

	req.len = 0;
	for (i = 0; i < n; i++)
		if (sa_catc(&req, kind) == -1 || sa_catulong(&req, id[i]) == -1 ||
		    sa_catc(&req, 0) == -1)
			nomem();
	if (n && io_writeall(5, req.s, req.len) == -1)
		lost("qmail-clean connection");
	for (got = 0; got < n; got += (size_t)r) {
		r = read(6, ans, n - got < sizeof ans ? n - got : sizeof ans);
		if (r == -1 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			lost("qmail-clean connection");
		for (i = 0; i < (size_t)r; i++)
			res[got + i] = ans[i] == '+' ? 0 : -1;
	}
}

/* --------------------------------------------------------- preprocessing */

/*
 * Rewrite one envelope recipient as qmail-send(8) says: an address
 * without '@' gets @envnoathost; user%host@h becomes user@host while h is
 * in percenthack; a domain in locals is local as it is; otherwise
 * virtualdomains (user@domain, domain, .suffix from the longest, then the
 * empty catch-all) makes it prepend-address, local, unless the prepend is
 * empty.  Everything else is remote.  Domains compare case-insensitively.
 */
static int
rewrite(struct sa *out, const char *a, size_t len)
{
	const char *d, *v;
	size_t at, p, dl, i;

	if (sa_copyb(out, a, len) == -1)
		nomem();
	if (byte_chr(out->s, out->len, '@') == out->len &&
	    (sa_catc(out, '@') == -1 || sa_cat(out, &ctl.envnoathost) == -1))
		nomem();
	for (;;) {
		at = byte_rchr(out->s, out->len, '@');
		if (!cmap_get(&ctl.percent, out->s + at + 1, out->len - at - 1))
			break;
		if ((p = byte_rchr(out->s, at, '%')) == at)
			break;
		out->s[p] = '@';
		out->len = at;
	}
	at = byte_rchr(out->s, out->len, '@');
	d = out->s + at + 1, dl = out->len - at - 1;
	if (cmap_get(&ctl.locals, d, dl))
		return LOCAL;
	v = cmap_get(&ctl.vdoms, out->s, out->len);
	if (v == NULL)
		v = cmap_get(&ctl.vdoms, d, dl);
	for (i = 0; v == NULL && i < dl; i++)
		if (d[i] == '.')
			v = cmap_get(&ctl.vdoms, d + i, dl - i);
	if (v == NULL)
		v = cmap_get(&ctl.vdoms, "", 0);
	if (v == NULL || *v == 0)
		return REMOTE;
	if (sa_copys(&tmp, v) == -1 || sa_catc(&tmp, '-') == -1 ||
	    sa_cat(&tmp, out) == -1 || sa_copy(out, &tmp) == -1)
		nomem();
	return LOCAL;
}

static int
isbad(unsigned long id)
{
	size_t i;

	for (i = 0; i < nbad; i++)
		if (bad[i] == id)
			return 1;
	return 0;
}

static void
todo_bad(unsigned long id, const char *why)
{
	LOG("warning: unable to preprocess ", fn.s, ": ", why,
	    "; leaving it\n");
	if (nbad < BAD_MAX)
		bad[nbad++] = id;
}

static void
newmsg(unsigned long id, time_t birth, int hasl, int hasr, time_t tl,
    time_t tr)
{
	struct msg *m = madd(id, birth);

	m->has[LOCAL] = (unsigned char)hasl;
	m->has[REMOTE] = (unsigned char)hasr;
	if (hasl)
		sched(m, LOCAL, tl);
	if (hasr)
		sched(m, REMOTE, tr);
	if (!hasl && !hasr)
		sched(m, DONE, now);
}

/* a preprocessed message whose files still wait for their fsync */
struct pend {
	unsigned long	 id;
	int		 fd[3];		/* local/N, remote/N, info/N; or -1 */
};
static const char *const pendname[3] = { "local", "remote", "info" };

/*
 * Preprocess todo/N, first half: from its envelope write info/N, local/N
 * and remote/N, and leave them open in p for todo_batch, which fsyncs
 * them and only then has qmail-clean remove intd/N and todo/N.  A crash
 * before that leaves todo/N, which is simply done again (a stale file is
 * truncated and rewritten, or removed when this pass does not write it);
 * nothing is delivered before todo/N is gone, so doing it twice is
 * harmless.  0: p is filled in; -1: nothing to do now.
 */
static int
todo_do(unsigned long id, struct pend *p)
{
	static struct sa env, lo, re, addr, sender;
	unsigned long uid = 0, qp = 0;
	size_t pos, vl, nl = 0, nr = 0;
	const char *v;
	struct stat st;
	int gotf = 0, r, c, type;

	p->id = id;
	p->fd[0] = p->fd[1] = p->fd[2] = -1;
	if (mfind(id))
		return -1;	/* its inode is still in use by a message we know */
	fnmake(&fn, "todo", id, 0);
	if ((r = io_readfile(&env, fn.s, LIMIT_ENVFILE)) == 0)
		return -1;	/* already done */
	if (r == -1) {
		if (errno == E2BIG)
			todo_bad(id, "envelope too large");
		else
			warnfile("unable to open", fn.s, 1);
		return -1;
	}
	if (env.len == 0 || env.s[env.len - 1] != 0) {
		todo_bad(id, "envelope not terminated");
		return -1;
	}
	lo.len = re.len = 0;
	pos = 0;
	while (env_next(env.s, env.len, &pos, &type, &v, &vl) == 1) {
		switch (type) {
		case 'u':
			(void)scan_ulong(v, vl, &uid);
			break;
		case 'p':
			(void)scan_ulong(v, vl, &qp);
			break;
		case 'F':
			if (gotf)
				break;
			gotf = 1;
			if (sa_copyb(&sender, v, vl) == -1)
				nomem();
			break;
		case 'T':
			if (!gotf) {
				todo_bad(id, "recipient before sender");
				return -1;
			}
			c = rewrite(&addr, v, vl);
			if (c == LOCAL) {
				if (sa_catc(&lo, 'T') == -1 || sa_cat(&lo, &addr) == -1 ||
				    sa_catc(&lo, 0) == -1)
					nomem();
				nl++;
			} else {
				if (sa_catc(&re, 'T') == -1 || sa_cat(&re, &addr) == -1 ||
				    sa_catc(&re, 0) == -1)
					nomem();
				nr++;
			}
			break;
		default:
			break;	/* records added later: skip what we do not know */
		}
	}
	if (!gotf) {
		todo_bad(id, "no sender");
		return -1;
	}
	fnmake(&fn2, "mess", id, 1);
	if (stat(fn2.s, &st) == -1) {
		warnfile("unable to stat", fn2.s, 1);
		return -1;
	}
	LOG("new msg ");
	lognum(id);
	LOG("\ninfo msg ");
	lognum(id);
	logs(": bytes ");
	lognum((unsigned long)st.st_size);
	logs(" from <");
	logsafe(sender.s, sender.len);
	logs("> qp ");
	lognum(qp);
	logs(" uid ");
	lognum(uid);
	logs("\n");

	/* info/N, and local/N or remote/N when this pass writes them, are
	 * truncated and rewritten below; the others must not survive */
	if (!nl) {
		fnmake(&fn2, "local", id, 1);
		if (unlink_ok(fn2.s) == -1)
			goto unlinkfail;
	}
	if (!nr) {
		fnmake(&fn2, "remote", id, 1);
		if (unlink_ok(fn2.s) == -1)
			goto unlinkfail;
	}
	fnmake(&fn2, "bounce", id, 0);
	if (unlink_ok(fn2.s) == -1)
		goto unlinkfail;

	if (nl) {
		fnmake(&fn2, "local", id, 1);
		if ((p->fd[0] = writefile(fn2.s, lo.s, lo.len)) == -1)
			goto writefail;
	}
	if (nr) {
		fnmake(&fn2, "remote", id, 1);
		if ((p->fd[1] = writefile(fn2.s, re.s, re.len)) == -1)
			goto writefail;
	}
	/* info last: birth is its mtime, and a message with info/N and
	 * without todo/N is complete (the startup scan trusts that) */
	if (sa_copys(&tmp, "F") == -1 || sa_cat(&tmp, &sender) == -1 ||
	    sa_catc(&tmp, 0) == -1)
		nomem();
	fnmake(&fn2, "info", id, 1);
	if ((p->fd[2] = writefile(fn2.s, tmp.s, tmp.len)) == -1)
		goto writefail;
	return 0;
unlinkfail:
	warnfile("unable to unlink", fn2.s, 1);
	return -1;
writefail:
	warnfile("trouble writing to", fn2.s, 1);
	for (c = 0; c < 3; c++)
		if (p->fd[c] != -1)
			close(p->fd[c]);
	return -1;
}

/*
 * Preprocess up to TODO_PER_ROUND entries of todo/.  Every file of the
 * batch is written before the first fsync, so that the file system can
 * carry many of them in one journal commit instead of one commit each
 * (on ext4 a lone small-file fsync costs a commit and a cache flush;
 * the batch's later fsyncs find most of their work done).  The guarantee
 * is the same as one message at a time: a message's intd/N and todo/N go
 * (qmail-clean) only after each of its own files has been fsynced.
 */
static void
todo_batch(void)
{
	static struct pend p[TODO_PER_ROUND];
	unsigned long ids[TODO_PER_ROUND];
	int res[TODO_PER_ROUND], has[TODO_PER_ROUND][2], ok;
	size_t i, k, n = 0, nok = 0;

	while (n < TODO_PER_ROUND && todopos < ntodo)
		if (todo_do(todo[todopos++], &p[n]) == 0)
			n++;
	for (i = 0; i < n; i++) {
		ok = 1;
		for (k = 0; k < 3; k++) {
			if (p[i].fd[k] == -1)
				continue;
			if (ok && fsync(p[i].fd[k]) == -1) {
				fnmake(&fn2, pendname[k], p[i].id, 1);
				warnfile("trouble writing to", fn2.s, 1);
				ok = 0;
			}
			close(p[i].fd[k]);
		}
		if (!ok)
			continue;
		has[nok][0] = p[i].fd[0] != -1;
		has[nok][1] = p[i].fd[1] != -1;
		ids[nok++] = p[i].id;
	}
	clean_many('i', ids, res, nok);
	for (i = 0; i < nok; i++) {
		if (res[i] == -1) {
			fnmake(&fn, "todo", ids[i], 0);
			LOG("warning: qmail-clean unable to clean up ", fn.s,
			    "; will try again later\n");
			continue;
		}
		newmsg(ids[i], now, has[i][0], has[i][1], now, now);
	}
}

static int
idcmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static int
scanid(const char *name, unsigned long *id)
{
	size_t n = str_len(name);

	return n > 0 && name[0] != '0' && scan_ulong(name, n, id) == n;
}

/* read up to TODO_SCAN_MAX ids from todo/ */
static void
todo_scan(void)
{
	struct dirent *d;
	unsigned long id;
	DIR *dir;

	flagrescan = 0;
	nexttodo = now + TODO_RESCAN;
	ntodo = todopos = 0;
	if ((dir = opendir("todo")) == NULL) {
		LOG("alert: unable to opendir todo: ", err_str(errno),
		    "; will try again later\n");
		nexttodo = now + RETRY_TROUBLE;
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		if (!scanid(d->d_name, &id) || isbad(id) || mfind(id))
			continue;
		if (ntodo == todocap) {
			size_t cap = todocap ? todocap * 2 : 256;
			unsigned long *nt = realloc_array(todo, cap, sizeof *nt);
			if (nt == NULL)
				nomem();
			todo = nt, todocap = cap;
		}
		todo[ntodo++] = id;
		if (ntodo == TODO_SCAN_MAX) {
			flagrescan = 1;	/* more next time */
			break;
		}
	}
	closedir(dir);
	/* oldest inode numbers are no better than any order, but sorted
	 * ids make a restart's log easy to follow */
	qsort(todo, ntodo, sizeof *todo, idcmp);
}

/* ------------------------------------------------------------- startup */

static void
info_scan(void)
{
	struct dirent *d;
	struct stat st;
	unsigned long s, id;
	time_t t[2];
	int has[2], c;
	DIR *dir;

	for (s = 0; s < conf_split; s++) {
		if (sa_copys(&fn, "info/") == -1 || sa_catulong(&fn, s) == -1 ||
		    sa_str(&fn) == NULL)
			nomem();
		if ((dir = opendir(fn.s)) == NULL)
			cannotstart("unable to opendir info", 1);
		while ((d = readdir(dir)) != NULL) {
			if (!scanid(d->d_name, &id) || queue_split(id) != s ||
			    mfind(id))
				continue;
			fnmake(&fn2, "todo", id, 0);
			if (stat(fn2.s, &st) == 0)
				continue;	/* preprocessing was cut short: redo it */
			fnmake(&fn2, "info", id, 1);
			if (stat(fn2.s, &st) == -1)
				continue;
			for (c = 0; c < 2; c++) {
				struct stat cs;

				fnmake(&fn2, ch[c].name, id, 1);
				has[c] = stat(fn2.s, &cs) == 0;
				/* the mtime of local/N, remote/N is the next try */
				t[c] = has[c] ? cs.st_mtime : now;
			}
			newmsg(id, st.st_mtime, has[0], has[1], t[0], t[1]);
		}
		closedir(dir);
	}
}

/* ------------------------------------------------------------- bounces */

/* append the failure of addr to bounce/N, formatted for the bounce */
static void
bounce_add(const char *addr, size_t alen, const char *why, size_t wlen)
{
	size_t i, start = btext.len;

	if (sa_catc(&btext, '<') == -1 || sa_catb(&btext, addr, alen) == -1 ||
	    sa_cats(&btext, ">:\n") == -1 || sa_catb(&btext, why, wlen) == -1)
		nomem();
	if (btext.s[btext.len - 1] != '\n' && sa_catc(&btext, '\n') == -1)
		nomem();
	/* an empty line would end this recipient's paragraph early */
	for (i = start + 1; i < btext.len; i++)
		if (btext.s[i] == '\n' && btext.s[i - 1] == '\n')
			btext.s[i] = '/';
	if (sa_catc(&btext, '\n') == -1)
		nomem();
}

/* write btext to bounce/N with an fsync, before any address is marked D */
static int
bounce_flush(unsigned long id)
{
	int fd, e;

	if (btext.len == 0)
		return 0;
	fnmake(&fn2, "bounce", id, 0);
	if ((fd = open(fn2.s, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	if (io_writeall(fd, btext.s, btext.len) == -1 || fsync(fd) == -1) {
		e = errno;
		close(fd);
		errno = e;
		goto fail;
	}
	if (close(fd) == -1)
		goto fail;
	btext.len = 0;
	return 0;
fail:
	LOG("alert: unable to append to bounce message ", fn2.s, ": ",
	    err_str(errno), "; the failures will be retried\n");
	btext.len = 0;
	return -1;
}

static int
putall(int fd, const char *s, size_t n)
{
	return io_writeall(fd, s, n);
}

/* copy file f to fd; a missing file copies nothing */
static int
copyfile(int fd, const char *f)
{
	char b[8192];
	ssize_t r;
	int in;

	if ((in = open(f, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	for (;;) {
		r = read(in, b, sizeof b);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (putall(fd, b, (size_t)r) == -1) {
			r = -1;
			break;
		}
	}
	close(in);
	return r == -1 ? -1 : 0;
}

/*
 * Per-recipient VERP (envelopes(5)): a sender prefix@host-@[] becomes
 * prefix box=domain@host for recipient box@domain.  Any other sender, or
 * a recipient without '@', is copied as it is.  1 if expanded, else 0.
 */
static int
verp_sender(struct sa *out, const struct sa *sender, const char *r, size_t rl)
{
	size_t at, rat, n = sender->len;

	out->len = 0;
	if (n > 4 && byte_equal(sender->s + n - 4, 4, "-@[]") &&
	    (at = byte_rchr(sender->s, n - 4, '@')) < n - 4 &&
	    (rat = byte_rchr(r, rl, '@')) < rl) {
		if (sa_catb(out, sender->s, at) == -1 ||
		    sa_catb(out, r, rat) == -1 || sa_catc(out, '=') == -1 ||
		    sa_catb(out, r + rat + 1, rl - rat - 1) == -1 ||
		    sa_catc(out, '@') == -1 ||
		    sa_catb(out, sender->s + at + 1, n - 4 - at - 1) == -1)
			nomem();
		return 1;
	}
	if (sa_cat(out, sender) == -1)
		nomem();
	return 0;
}

/*
 * The bounce for a VERP sender goes to the address expanded for the first
 * failed recipient (the first "<addr>:" line of bounce file bf), so the
 * owner learns who failed; otherwise to the sender as it is.
 */
static void
bounce_rcpt(struct sa *rcpt, const struct sa *sender, const char *bf)
{
	char b[1024];
	ssize_t got = -1;
	size_t e;
	int fd;

	if ((fd = open(bf, O_RDONLY | O_CLOEXEC)) != -1) {
		got = read(fd, b, sizeof b);
		close(fd);
	}
	if (got > 1 && b[0] == '<' &&
	    (e = byte_chr(b, (size_t)got, '>')) < (size_t)got) {
		verp_sender(rcpt, sender, b + 1, e - 1);
		return;
	}
	rcpt->len = 0;
	if (sa_cat(rcpt, sender) == -1)
		nomem();
}

/*
 * Queue the bounce for message id through qmail-queue (as qmails, so its
 * Received line says "invoked for bounce"): 0 done or nothing to do, -1
 * try again later.
 */
static int
bounce_inject(struct msg *m)
{
	static struct sa sender, body, envl, rcpt;
	char date[DATE_FMT], num[FMT_ULONG];
	int bp[2], ep[2], st, dbl, r, devnull;
	const char *qq;
	struct stat sb;
	pid_t pid;

	fnmake(&fn, "bounce", m->id, 0);
	if (stat(fn.s, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		return warnfile("unable to stat", fn.s, 1), -1;
	}
	if ((r = readinfo(m->id, &sender)) != 1) {
		if (r == 0)
			errno = ENOENT;
		return warnfile("trouble reading", fn2.s, 1), -1;
	}
	if (sender.len == 4 && byte_equal(sender.s, 4, "#@[]")) {
		LOG("triple bounce: discarding ", fn.s, "\n");
		return 0;
	}
	dbl = sender.len == 0;
	if (dbl && ctl.dbto.len == 0) {
		LOG("double bounce: discarding ", fn.s, "\n");
		return 0;
	}
	/* the envelope: F, then the one recipient */
	rcpt.len = 0;
	if (dbl) {
		if (sa_cat(&rcpt, &ctl.dbto) == -1 || sa_catc(&rcpt, '@') == -1 ||
		    sa_cat(&rcpt, &ctl.dbhost) == -1)
			nomem();
	} else
		bounce_rcpt(&rcpt, &sender, fn.s);
	envl.len = 0;
	if (sa_cats(&envl, dbl ? "F#@[]" : "F") == -1 || sa_catc(&envl, 0) == -1 ||
	    sa_catc(&envl, 'T') == -1 || sa_cat(&envl, &rcpt) == -1 ||
	    sa_catc(&envl, 0) == -1 || sa_catc(&envl, 0) == -1)
		nomem();

	body.len = 0;
	if (sa_cats(&body, "Date: ") == -1 ||
	    sa_catb(&body, date, date_fmt822(date, now)) == -1 ||
	    sa_cats(&body, "\nFrom: ") == -1 || sa_cat(&body, &ctl.bouncefrom) == -1 ||
	    sa_catc(&body, '@') == -1 || sa_cat(&body, &ctl.bouncehost) == -1 ||
	    sa_cats(&body, "\nTo: ") == -1 || sa_cat(&body, &rcpt) == -1 ||
	    sa_cats(&body, "\nSubject: failure notice\n\n"
	    "Hi. This is the qmail-send program at ") == -1 ||
	    sa_cat(&body, &ctl.me) == -1 || sa_cats(&body, ".\n") == -1 ||
	    sa_cats(&body, dbl ?
	    "I tried to deliver a bounce message to this address, "
	    "but the bounce bounced!\n\n" :
	    "I'm afraid I wasn't able to deliver your message to the "
	    "following addresses.\nThis is a permanent error; I've given up. "
	    "Sorry it didn't work out.\n\n") == -1)
		nomem();

	qq = env_get("QMAILQUEUE");
	if (qq == NULL || *qq == 0)
		qq = "bin/qmail-queue";
	if (pipe(bp) == -1)
		return warnfile("unable to start qmail-queue for", fn.s, 1), -1;
	if (pipe(ep) == -1) {
		close(bp[0]), close(bp[1]);
		return warnfile("unable to start qmail-queue for", fn.s, 1), -1;
	}
	logflush();
	if ((pid = fork()) == -1) {
		close(bp[0]), close(bp[1]), close(ep[0]), close(ep[1]);
		return warnfile("unable to start qmail-queue for", fn.s, 1), -1;
	}
	if (pid == 0) {
		close(bp[1]), close(ep[1]);
		if (fd_move(0, bp[0]) == -1 || fd_move(1, ep[0]) == -1)
			_exit(QQ_BUG);
		/* fd 2 is a report pipe here: give qmail-queue a harmless one */
		if ((devnull = open("/dev/null", O_WRONLY)) == -1 ||
		    fd_move(2, devnull) == -1)
			_exit(QQ_BUG);
		if (fchdir(homefd) == -1)
			_exit(QQ_HOMEDIR);
		sig_default(SIGPIPE);
		sig_unblock_all();
		execl(qq, qq, (char *)NULL);
		_exit(QQ_BUG + 1);	/* 82 would ask for fd 6; 120 = cannot exec */
	}
	close(bp[0]), close(ep[0]);
	r = putall(bp[1], body.s, body.len);
	if (r == 0)
		r = copyfile(bp[1], fn.s);
	if (r == 0)
		r = putall(bp[1], dbl ? "--- Below this line is the original bounce.\n\n" :
		    "--- Below this line is a copy of the message.\n\n", dbl ? 46 : 47);
	if (r == 0 && (sa_copys(&tmp, "Return-Path: <") == -1 ||
	    sa_cat(&tmp, &sender) == -1 || sa_cats(&tmp, ">\n") == -1))
		nomem();
	if (r == 0)
		r = putall(bp[1], tmp.s, tmp.len);
	fnmake(&fn2, "mess", m->id, 1);
	if (r == 0)
		r = copyfile(bp[1], fn2.s);
	close(bp[1]);
	if (r == 0)
		r = putall(ep[1], envl.s, envl.len);
	close(ep[1]);
	if (proc_wait(pid, &st) == -1)
		st = -1;
	if (r == -1 || st == -1 || proc_exitcode(st) != 0) {
		LOG("warning: trouble injecting bounce message for ", fn.s, ": ");
		if (st != -1 && proc_exitcode(st) > 0)
			logs(qq_errstr(proc_exitcode(st)));
		else if (r == -1)
			logs(err_str(errno));
		else
			logs("qmail-queue crashed");
		logs("; will try again later\n");
		return -1;
	}
	num[fmt_ulong(num, (unsigned long)pid)] = 0;
	LOG("bounce msg ");
	lognum(m->id);
	LOG(" qp ", num, "\n");
	return 0;
}

/*
 * No recipient is left: bounce if needed, remove bounce/N (ours), have
 * qmail-clean remove mess/N, and remove info/N last.  A crash in between
 * redoes the step from the start, at worst sending the bounce twice; with
 * info/N last, no orphaned mess/N is left behind to wait 36 hours.
 */
static void
msg_done(struct msg *m)
{
	if (bounce_inject(m) == -1)
		goto later;
	fnmake(&fn, "bounce", m->id, 0);
	if (unlink_ok(fn.s) == -1) {
		warnfile("unable to unlink", fn.s, 1);
		goto later;
	}
	if (clean('m', m->id) == -1) {
		fnmake(&fn, "mess", m->id, 1);
		LOG("warning: qmail-clean unable to clean up ", fn.s,
		    "; will try again later\n");
		goto later;
	}
	fnmake(&fn, "info", m->id, 1);
	if (unlink_ok(fn.s) == -1) {
		warnfile("unable to unlink", fn.s, 1);
		goto later;
	}
	LOG("end msg ");
	lognum(m->id);
	logs("\n");
	hdel(&heap[DONE], &m->ev[DONE]);
	mdel(m);
	return;
later:
	sched(m, DONE, now + RETRY_TROUBLE);
}

/* ---------------------------------------------------------------- jobs */

/* qmail's schedule: the n-th try is at birth + (n * skip)^2 roughly:
 * next = birth + (floor(sqrt(now - birth)) + skip)^2 */
static time_t
nextretry(time_t birth, int c)
{
	unsigned long age, r = 0;

	if (now > birth) {
		age = (unsigned long)(now - birth);
		while ((r + 1) * (r + 1) <= age)
			r++;	/* at most ~800 steps for a one-week lifetime */
	}
	r += (unsigned long)ch[c].skip;
	return birth + (time_t)(r * r);
}

static void
job_unlink(struct job *j)
{
	struct job **p;

	for (p = &ch[j->c].jobs; *p; p = &(*p)->jnext)
		if (*p == j) {
			*p = j->jnext;
			break;
		}
	ch[j->c].jobtail = &ch[j->c].jobs;
	while (*ch[j->c].jobtail)
		ch[j->c].jobtail = &(*ch[j->c].jobtail)->jnext;
}

static void
job_free(struct job *j)
{
	if (j->fd != -1)
		close(j->fd);
	sa_free(&j->file);
	sa_free(&j->sender);
	free(j->rcpt);
	free(j);
}

/* a pass over one channel of a message has ended */
static void
job_close(struct job *j)
{
	struct msg *m = j->m;
	int c = j->c;
	struct timespec ts[2];

	job_unlink(j);
	m->busy[c] = 0;
	if (j->left > 0) {
		time_t t = nextretry(m->birth, c);

		/* the next try is kept as the mtime of local/N or remote/N,
		 * so that a restart keeps the schedule */
		ts[0].tv_sec = ts[1].tv_sec = t;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		if (futimens(j->fd, ts) == -1) {
			fnmake(&fn, ch[c].name, m->id, 1);
			LOG("warning: unable to utime ", fn.s, ": ",
			    err_str(errno), "\n");
		}
		job_free(j);
		sched(m, c, t);
		return;
	}
	job_free(j);
	fnmake(&fn, ch[c].name, m->id, 1);
	if (unlink_ok(fn.s) == -1) {
		warnfile("unable to unlink", fn.s, 1);
		sched(m, c, now + RETRY_TROUBLE);
		return;
	}
	m->has[c] = 0;
	if (!m->has[LOCAL] && !m->has[REMOTE])
		sched(m, DONE, now);
}

static const char *jfile;	/* the records job_sort compares */

static int
domcmp(const void *a, const void *b)
{
	const char *x = jfile + *(const size_t *)a, *y = jfile + *(const size_t *)b;
	const char *dx = strrchr(x, '@'), *dy = strrchr(y, '@');
	int r;

	dx = dx ? dx + 1 : "", dy = dy ? dy + 1 : "";
	if ((r = strcasecmp(dx, dy)) != 0)
		return r;
	return x < y ? -1 : x > y;
}

/* mark the record at off done; the caller fsyncs */
static int
mark(struct job *j, size_t off)
{
	ssize_t r;

	while ((r = pwrite(j->fd, "D", 1, (off_t)off)) == -1 && errno == EINTR)
		;
	if (r != 1)
		return -1;
	j->file.s[off] = 'D';
	j->left--;
	return 0;
}

static void
mark_trouble(struct job *j)
{
	fnmake(&fn, ch[j->c].name, j->m->id, 1);
	LOG("warning: trouble marking ", fn.s, ": ", err_str(errno),
	    "; the delivery will be repeated\n");
}

/*
 * Open the next due message on channel c: read its recipient list and
 * sender.  A message past queuelifetime fails all its remaining
 * recipients here instead.
 */
static void
job_open(int c)
{
	struct ev *e = htop(&heap[c]);
	struct msg *m = e->m;
	size_t pos, vl, n;
	const char *v;
	struct job *j;
	int r, type;

	hdel(&heap[c], e);
	fnmake(&fn, ch[c].name, m->id, 1);
	if ((j = malloc(sizeof *j)) == NULL)
		nomem();
	memset(j, 0, sizeof *j);
	j->m = m, j->c = c;
	if ((j->fd = open(fn.s, O_RDWR | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			free(j);
			m->has[c] = 0;
			if (!m->has[LOCAL] && !m->has[REMOTE])
				sched(m, DONE, now);
			return;
		}
		warnfile("trouble opening", fn.s, 1);
		free(j);
		sched(m, c, now + RETRY_TROUBLE);
		return;
	}
	r = 0;
	for (;;) {
		ssize_t got;

		if (sa_readyplus(&j->file, 8192) == -1)
			nomem();
		got = read(j->fd, j->file.s + j->file.len, 8192);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = (int)got;
			break;
		}
		j->file.len += (size_t)got;
		if (j->file.len > LIMIT_ENVFILE) {
			r = -1, errno = E2BIG;
			break;
		}
	}
	if (r == -1) {
		warnfile("trouble reading", fn.s, 1);
		job_free(j);
		sched(m, c, nextretry(m->birth, c));
		return;
	}
	if ((r = readinfo(m->id, &j->sender)) != 1) {
		if (r == 0)
			errno = ENOENT;
		warnfile("trouble reading", fn2.s, 1);
		job_free(j);
		sched(m, c, nextretry(m->birth, c));
		return;
	}
	n = 0, pos = 0;
	while ((r = env_next(j->file.s, j->file.len, &pos, &type, &v, &vl)) == 1)
		if (type == 'T')
			n++;
		else if (type != 'D')
			LOG("warning: unknown record type in ", fn.s, "\n");
	if (r == -1)
		LOG("warning: ignoring unterminated record at the end of ",
		    fn.s, "\n");
	if (n && (j->rcpt = alloc_array(n, sizeof *j->rcpt)) == NULL)
		nomem();
	pos = 0;
	while (env_next(j->file.s, j->file.len, &pos, &type, &v, &vl) == 1)
		if (type == 'T')	/* the offset of the record's letter */
			j->rcpt[j->nrcpt++] = (size_t)(v - 1 - j->file.s);
	j->left = j->nrcpt;
	m->busy[c] = 1;
	j->jnext = NULL;
	*ch[c].jobtail = j;
	ch[c].jobtail = &j->jnext;
	/*
	 * qmail-send(8): past queuelifetime the message is tried once
	 * more, and a temporary failure on this pass counts as permanent
	 * (report()).
	 */
	j->dying = now > m->birth + (time_t)ctl.lifetime;
	if (c == REMOTE && j->next < j->nrcpt) {
		jfile = j->file.s;
		qsort(j->rcpt, j->nrcpt, sizeof *j->rcpt, domcmp);
	}
	if (j->next == j->nrcpt)
		job_close(j);
}

static int
samedomain(const char *a, size_t la, const char *b, size_t lb)
{
	size_t da = byte_rchr(a, la, '@'), db = byte_rchr(b, lb, '@');

	da = da == la ? la : da + 1;
	db = db == lb ? lb : db + 1;
	return la - da == lb - db && case_equalb(a + da, la - da, b + db);
}

/* send the next batch of job j to a free slot of its channel */
static void
job_dispatch(struct job *j)
{
	struct chan *k = &ch[j->c];
	static struct sa req, vsender;
	const char *a, *b;
	size_t s, n, i, la, lb;
	char sl[2];

	s = k->freeslot[--k->nfree];
	a = j->file.s + j->rcpt[j->next] + 1;
	la = str_len(a);
	n = 1;
	/* a VERP sender differs per recipient: one recipient a request */
	if (!verp_sender(&vsender, &j->sender, a, la) && j->c == REMOTE)
		while (n < BATCH_MAX && j->next + n < j->nrcpt) {
			b = j->file.s + j->rcpt[j->next + n] + 1;
			lb = str_len(b);
			if (!samedomain(a, la, b, lb))
				break;
			n++;
		}
	k->slot[s].j = j;
	k->slot[s].first = j->next;
	k->slot[s].n = n;
	k->slot[s].dno = dnum + 1;
	j->next += n;
	j->running += n;
	k->running++;

	sl[0] = (char)(s & 255), sl[1] = (char)(s >> 8);
	fnmake(&fn, "mess", j->m->id, 1);
	req.len = 0;
	if (sa_catb(&req, sl, 2) == -1 || sa_catb(&req, fn.s, fn.len + 1) == -1 ||
	    sa_cat(&req, &vsender) == -1 || sa_catc(&req, 0) == -1)
		nomem();
	for (i = 0; i < n; i++) {
		b = j->file.s + j->rcpt[k->slot[s].first + i] + 1;
		lb = str_len(b);
		if (sa_catb(&req, b, lb + 1) == -1)
			nomem();
		LOG("starting delivery ");
		lognum(++dnum);
		logs(": msg ");
		lognum(j->m->id);
		LOG(" to ", k->name, " ");
		logsafe(b, lb);
		logs("\n");
	}
	if (sa_catc(&req, 0) == -1)
		nomem();
	flagstatus = 1;
	if (io_writeall(k->tofd, req.s, req.len) == -1)
		lost(k->spawner);
}

/* ------------------------------------------------------------- reports */

static void
result(unsigned long d, const char *kind, const char *t, size_t n)
{
	LOG("delivery ");
	lognum(d);
	LOG(": ", kind, ": ");
	logsafe(t, n);
	logs("\n");
}

/*
 * One report for slot s of channel c; rec[0..n-1] are the recipients'
 * records, rec[n] the final one, each "status text NUL".  A recipient
 * is delivered when its record is r and the final record is K; failed
 * for good when its record is h, or r with a final D; otherwise deferred,
 * or failed for good if the pass began past queuelifetime.
 * The job goes on the touched list: reports() fsyncs its D marks and
 * closes it once every report of this read is in.
 */
static void
report(int c, size_t s, char *const *rec, struct job **touched)
{
	struct chan *k = &ch[c];
	struct slot *sl = &k->slot[s];
	struct job *j = sl->j;
	const char *addr, *t, *fin = rec[sl->n];
	static const char toolong[] = "I'm not going to try again; "
	    "this message has been in the queue too long.\n";
	static struct sa why;
	unsigned char ok[BATCH_MAX], fail[BATCH_MAX];
	size_t i, off;
	int marked = 0, bounced;

	for (i = 0; i < sl->n; i++) {
		char st = rec[i][0];

		off = j->rcpt[sl->first + i];
		addr = j->file.s + off + 1;
		t = rec[i][0] && rec[i][1] ? rec[i] + 1 : fin[0] ? fin + 1 : "";
		ok[i] = fail[i] = 0;
		if (st == 'r' && fin[0] == 'K') {
			ok[i] = 1;
			result(sl->dno + i, "success", t, str_len(t));
		} else if (st == 'h' || (st == 'r' && fin[0] == 'D')) {
			fail[i] = 1;
			result(sl->dno + i, "failure", t, str_len(t));
			bounce_add(addr, str_len(addr), t, str_len(t));
		} else if ((st == 's' || (st == 'r' && fin[0] == 'Z')) &&
		    j->dying) {
			why.len = 0;
			if (sa_cats(&why, t) == -1)
				nomem();
			if (why.len && why.s[why.len - 1] != '\n' &&
			    sa_catc(&why, '\n') == -1)
				nomem();
			if (sa_cats(&why, toolong) == -1)
				nomem();
			fail[i] = 1;
			result(sl->dno + i, "failure", why.s, why.len);
			bounce_add(addr, str_len(addr), why.s, why.len);
		} else if (st == 's' || (st == 'r' && fin[0] == 'Z')) {
			result(sl->dno + i, "deferral", t, str_len(t));
		} else {
			LOG("delivery ");
			lognum(sl->dno + i);
			logs(": report mangled, will defer\n");
		}
	}
	bounced = bounce_flush(j->m->id) == 0;
	for (i = 0; i < sl->n; i++)
		if (ok[i] || (fail[i] && bounced)) {
			if (mark(j, j->rcpt[sl->first + i]) == -1) {
				mark_trouble(j);
				break;
			}
			marked = 1;
		}
	if (marked)
		j->dirty = 1;
	if (!j->touched) {
		j->touched = 1;
		j->tnext = *touched;
		*touched = j;
	}
	j->running -= sl->n;
	sl->j = NULL;
	k->freeslot[k->nfree++] = s;
	k->running--;
	flagstatus = 1;
}

static void
reports(int c)
{
	static char *rec[BATCH_MAX + 1];
	struct chan *k = &ch[c];
	struct job *j, *touched = NULL;
	size_t pos, p, z, s, need, i;
	ssize_t r;

	for (;;) {
		if (sa_readyplus(&k->rbuf, 8192) == -1)
			nomem();
		r = read(k->fromfd, k->rbuf.s + k->rbuf.len, 8192);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0)
			lost(k->spawner);
		k->rbuf.len += (size_t)r;
		if ((size_t)r < 8192)
			break;
	}
	pos = 0;
	while (k->rbuf.len - pos >= 2) {
		s = (unsigned char)k->rbuf.s[pos] |
		    (size_t)(unsigned char)k->rbuf.s[pos + 1] << 8;
		if (s >= conf_spawn || k->slot[s].j == NULL) {
			LOG("warning: internal error: delivery report out of range\n");
			lost(k->spawner);
		}
		need = k->slot[s].n + 1;
		p = pos + 2;
		for (i = 0; i < need; i++) {
			z = byte_chr(k->rbuf.s + p, k->rbuf.len - p, 0);
			if (p + z == k->rbuf.len)
				break;
			rec[i] = k->rbuf.s + p;
			p += z + 1;
		}
		if (i < need) {
			if (k->rbuf.len - pos > REPORT_MAX) {
				LOG("warning: internal error: delivery report too long\n");
				lost(k->spawner);
			}
			break;
		}
		report(c, s, rec, &touched);
		pos = p;
	}
	/*
	 * The D marks are on disk before anything else is done with their
	 * jobs (job_close removes a finished local/N or remote/N, which
	 * leads to the message's end).  One fsync per job for all the
	 * reports of this read, and the fsyncs together, so that the file
	 * system can carry several in one journal commit.  The slots are
	 * free already: a new delivery never depends on these marks.
	 */
	while ((j = touched) != NULL) {
		touched = j->tnext;
		j->touched = 0;
		if (j->dirty && fsync(j->fd) == -1)
			mark_trouble(j);
		j->dirty = 0;
		if (j->next == j->nrcpt && j->running == 0)
			job_close(j);
	}
	if (pos) {
		memmove(k->rbuf.s, k->rbuf.s + pos, k->rbuf.len - pos);
		k->rbuf.len -= pos;
	}
}

/* ------------------------------------------------------------ the loop */

static void
dispatch(int c)
{
	struct chan *k = &ch[c];
	struct ev *e;
	struct job *j;

	while (!flagexit && k->running < ctl.conc[c] && k->nfree) {
		for (j = k->jobs; j && j->next == j->nrcpt; j = j->jnext)
			;
		if (j) {
			job_dispatch(j);
			continue;
		}
		if ((e = htop(&heap[c])) == NULL || e->t > now)
			return;
		job_open(c);
	}
}

static int
dispatchable(int c)
{
	struct ev *e = htop(&heap[c]);
	struct job *j;

	if (flagexit || ch[c].running >= ctl.conc[c] || !ch[c].nfree)
		return 0;
	for (j = ch[c].jobs; j; j = j->jnext)
		if (j->next < j->nrcpt)
			return 1;
	return e && e->t <= now;
}

/* one mess/S subdirectory: remove S2/S3 leftovers older than 36 hours */
static void
cleanup_step(void)
{
	struct dirent *d;
	struct stat st;
	unsigned long id, s = cleansplit;
	DIR *dir;

	nextclean = now + CLEANUP_STEP;
	cleansplit = (cleansplit + 1) % conf_split;
	if (sa_copys(&fn, "mess/") == -1 || sa_catulong(&fn, s) == -1 ||
	    sa_str(&fn) == NULL)
		nomem();
	if ((dir = opendir(fn.s)) == NULL) {
		LOG("alert: unable to opendir ", fn.s, ": ", err_str(errno),
		    "; will try again later\n");
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		if (!scanid(d->d_name, &id) || mfind(id))
			continue;
		fnmake(&fn2, "mess", id, 1);
		if (stat(fn2.s, &st) == -1 || now < st.st_mtime + OSSIFIED)
			continue;
		fnmake(&fn2, "todo", id, 0);
		if (stat(fn2.s, &st) == 0 || errno != ENOENT)
			continue;
		fnmake(&fn2, "info", id, 1);
		if (stat(fn2.s, &st) == 0 || errno != ENOENT)
			continue;
		if (clean('s', id) == -1) {
			fnmake(&fn2, "mess", id, 1);
			LOG("warning: qmail-clean unable to clean up ", fn2.s,
			    "\n");
		}
	}
	closedir(dir);
}

static void
retry_all(void)
{
	int c;
	size_t i;

	for (c = 0; c < 2; c++) {
		for (i = 0; i < heap[c].n; i++)
			if (heap[c].e[i]->t > now)
				heap[c].e[i]->t = now;
		/* every key only went down to the same value: still a heap
		 * except for ties, which any order satisfies */
	}
}

static void
reread(void)
{
	struct ctl c;
	const char *what = "memory";

	if (fchdir(homefd) == -1) {
		LOG("alert: unable to reread controls: unable to switch to home: ",
		    err_str(errno), "\n");
		return;
	}
	if (ctl_read(&c, &what) == -1) {
		LOG("alert: unable to reread controls: ", what, ": ",
		    err_str(errno), "\n");
		ctl_free(&c);
	} else {
		ctl_free(&ctl);
		ctl = c;
		nbad = 0;
		flagstatus = 1;
	}
	while (fchdir(queuefd) == -1) {
		LOG("alert: unable to switch back to queue directory; "
		    "HUP again to kick me\n");
		logflush();
		sleep(10);
	}
}

static void
signals(void)
{
	char b[64];
	ssize_t r, i;

	while ((r = read(sigfd, b, sizeof b)) > 0)
		for (i = 0; i < r; i++)
			switch (b[i]) {
			case SIGTERM:
				flagexit = 1;
				break;
			case SIGALRM:
				retry_all();
				flagrescan = 1;
				break;
			case SIGHUP:
				reread();
				flagrescan = 1;
				break;
			}
}

static void
drain_trigger(void)
{
	char b[256];

	while (read(trigfd, b, sizeof b) > 0)
		;
	flagrescan = 1;
}

static int
timeout_ms(void)
{
	time_t t = nexttodo, d;
	struct ev *e;
	int c;

	if (todopos < ntodo || (flagrescan && !flagexit))
		return 0;
	for (c = 0; c < 2; c++) {
		if (dispatchable(c))
			return 0;
		if (!flagexit && ch[c].running < ctl.conc[c] &&
		    (e = htop(&heap[c])) != NULL && e->t < t)
			t = e->t;
	}
	if ((e = htop(&heap[DONE])) != NULL && e->t < t)
		t = e->t;
	if (nextclean < t)
		t = nextclean;
	if (flagexit)
		t = now + 60;
	d = t - now;
	if (d <= 0)
		return 0;
	if (d > 3600)
		d = 3600;
	return (int)d * 1000;
}

static void
setup_chan(int c, const char *name, const char *spawner, int to, int from,
    time_t skip)
{
	struct chan *k = &ch[c];
	size_t i;

	k->name = name, k->spawner = spawner;
	k->tofd = to, k->fromfd = from, k->skip = skip;
	k->slot = alloc_array(conf_spawn, sizeof *k->slot);
	k->freeslot = alloc_array(conf_spawn, sizeof *k->freeslot);
	if (k->slot == NULL || k->freeslot == NULL)
		cannotstart("out of memory", 0);
	memset(k->slot, 0, conf_spawn * sizeof *k->slot);
	for (i = 0; i < conf_spawn; i++)
		k->freeslot[i] = conf_spawn - 1 - i;	/* slot 0 first */
	k->nfree = conf_spawn;
	k->jobs = NULL, k->jobtail = &k->jobs;
	if (fd_nonblock(from) == -1)
		cannotstart("unable to set up the report pipes", 1);
	fd_cloexec(to), fd_cloexec(from);
}

static void
catch(int sig)
{
	sig_selfpipe_poke(sig);
}

int
main(void)
{
	struct pollfd pfd[4];
	const char *what = "memory";
	int i, c, wfd;

	buf_init(&logb, 0, logspace, sizeof logspace);
	umask(077);
	sig_ignore(SIGPIPE);
	if ((sigfd = sig_selfpipe()) == -1)
		cannotstart("unable to create the signal pipe", 1);
	sig_catch(SIGTERM, catch);
	sig_catch(SIGALRM, catch);
	sig_catch(SIGHUP, catch);
	for (i = 1; i <= 6; i++)
		if (fcntl(i, F_GETFD) == -1)
			cannotstart("descriptors 1 to 6 must be open (run me from qmail-start)", 0);
	if (chdir(conf_qmail) == -1)
		cannotstart("unable to switch to home directory", 1);
	if ((homefd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		cannotstart("unable to open home directory", 1);
	now = time(NULL);
	if (ctl_read(&ctl, &what) == -1)
		cannotstart(what, 1);
	if (chdir("queue") == -1)
		cannotstart("unable to switch to queue directory", 1);
	if ((queuefd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		cannotstart("unable to open queue directory", 1);
	/* a reader and a writer: with no writer left, poll would report EOF
	 * on the fifo for ever */
	if ((trigfd = open("lock/trigger", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		cannotstart("unable to open lock/trigger", 1);
	if ((wfd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		cannotstart("unable to open lock/trigger for writing", 1);
	fd_cloexec(5), fd_cloexec(6);
	setup_chan(LOCAL, "local", "qmail-lspawn", 1, 2, 10);
	setup_chan(REMOTE, "remote", "qmail-rspawn", 3, 4, 20);
	info_scan();
	nextclean = now + CLEANUP_STEP;
	status();
	logflush();

	for (;;) {
		now = time(NULL);
		signals();
		if (flagexit && ch[LOCAL].running == 0 && ch[REMOTE].running == 0)
			break;
		for (c = 0; c < 2; c++)
			dispatch(c);
		if (!flagexit) {
			struct ev *e;

			for (i = 0; i < DONE_PER_ROUND &&
			    (e = htop(&heap[DONE])) != NULL && e->t <= now; i++)
				msg_done(e->m);
			if (todopos == ntodo && (flagrescan || now >= nexttodo))
				todo_scan();
			todo_batch();
			if (now >= nextclean)
				cleanup_step();
			for (c = 0; c < 2; c++)
				dispatch(c);
		}
		if (flagstatus)
			status();
		logflush();
		pfd[0].fd = sigfd, pfd[0].events = POLLIN;
		pfd[1].fd = trigfd, pfd[1].events = POLLIN;
		pfd[2].fd = ch[LOCAL].fromfd, pfd[2].events = POLLIN;
		pfd[3].fd = ch[REMOTE].fromfd, pfd[3].events = POLLIN;
		for (i = 0; i < 4; i++)
			pfd[i].revents = 0;
		if (poll(pfd, 4, timeout_ms()) == -1) {
			if (errno != EINTR)
				LOG("warning: trouble in poll: ", err_str(errno), "\n");
			continue;
		}
		now = time(NULL);
		if (pfd[1].revents)
			drain_trigger();
		for (c = 0; c < 2; c++)
			if (pfd[2 + c].revents)
				reports(c);
	}
	/* stop: jobs still open keep their T records; the mtime of their
	 * files says "due", so a restart carries on with them */
	for (c = 0; c < 2; c++)
		while (ch[c].jobs) {
			struct job *j = ch[c].jobs;
			ch[c].jobs = j->jnext;
			job_free(j);
		}
	close(wfd);
	logs("status: exiting\n");
	logflush();
	return 0;
}
