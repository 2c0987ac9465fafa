/*
 * qmail-lspawn: run local deliveries for qmail-send (man/qmail-lspawn.8).
 * Usage: qmail-lspawn defaultdelivery.  Reads delivery requests on fd 0
 * and writes reports on fd 1 in the spawn protocol of qmail-send(8); cwd
 * and all paths are the qmail home.  Runs as root, the only long-lived root
 * process: for each request it forks a child that finds the recipient's
 * user (users/cdb, else qmail-getpw run as qmailp), opens the message,
 * becomes that user and runs qmail-local.  Never delivers as uid 0.  Up to
 * conf_spawn deliveries run at once, watched with poll.  The answers of
 * those lookups, with the user's supplementary groups, are kept for
 * CACHE_TTL seconds (users/cdb changing or a SIGHUP forgets them), so
 * that a known recipient costs one fork and one exec.  Exit: 0 when
 * qmail-send closes fd 0 and the last delivery has been reported; 111 on
 * a startup problem or a request that breaks the protocol.
 */
#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cdb.h"
#include "lib/conf.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/limit.h"
#include "lib/proc.h"
#include "lib/str.h"

const char prog[] = "qmail-lspawn";

#define MAXREPORT	1000	/* bytes of qmail-local's output passed on */
#define MAXREQUEST	(3 * LIMIT_ADDR + 1024)	/* one local request */
#define MAXNUGHDE	4096	/* qmail-getpw's answer */

/*
 * The user cache: local part -> the lookup's answer and the groups.
 * CACHE_TTL is how long a change to the passwd or group database may
 * go unseen (documented in qmail-lspawn.8); CACHE_MAX bounds the
 * daemon's memory at CACHE_MAX * CACHE_REC bytes or so.  A delivery
 * child that had to look its user up sends the answer back through a
 * pipe in one write of at most CACHE_REC bytes, below PIPE_BUF, so
 * that the write is atomic and never blocks on the fresh pipe; a larger
 * answer (a user in very many groups) is simply not cached.
 */
#define CACHE_TTL	60
#define CACHE_MAX	256
#define CACHE_REC	4000

struct uent {
	char		*key;		/* local part, exactly as requested */
	size_t		 keylen;
	char		*rec;		/* nughde, as parse_nughde reads it */
	size_t		 reclen;
	gid_t		*groups;
	size_t		 ngroups;
	time_t		 when;		/* CLOCK_MONOTONIC of the lookup */
};

struct slot {
	pid_t		 pid;		/* 0: free */
	int		 fd;		/* the child's output, -1 at EOF */
	int		 exited;
	int		 wstat;
	struct sa	 out;
	int		 learn;		/* the lookup's answer, or -1 */
	unsigned long	 gen;		/* cache generation at the lookup */
	struct sa	 key;
	time_t		 when;
};

static const char *defaultdelivery;
static struct slot *slots;
static unsigned long active;
static struct uent cache[CACHE_MAX];
static size_t ncache;
static unsigned long cache_gen;	/* bumped whenever the cache is emptied */
static volatile sig_atomic_t flag_hup;

/* ---- in the delivery child: fd 1 and 2 go to the report ---- */

#define say(code, ...)	say_exit((code), DIE_LIST(__VA_ARGS__))

NORETURN static void
say_exit(int code, const char *const *parts)
{
	say_parts(1, 0, parts);
	_exit(code);
}

NORETURN static void
child_nomem(void)
{
	say(EXIT_TEMP, "Out of memory in qmail-lspawn. (#4.3.0)");
}

/* nughde: user NUL uid NUL gid NUL homedir NUL dash NUL ext NUL */
struct nughde {
	const char	*f[6];
	unsigned long	 uid, gid;
};

/* 1 if x holds a well-formed record (u points into it), else 0 */
static int
nughde_ok(const struct sa *x, struct nughde *u)
{
	size_t i, pos = 0, n;

	for (i = 0; i < 6; i++) {
		n = byte_chr(x->s + pos, x->len - pos, 0);
		if (pos + n == x->len)
			return 0;
		u->f[i] = x->s + pos;
		pos += n + 1;
	}
	return scan_ulong(u->f[1], str_len(u->f[1]), &u->uid) ==
	    str_len(u->f[1]) && *u->f[1] &&
	    scan_ulong(u->f[2], str_len(u->f[2]), &u->gid) ==
	    str_len(u->f[2]) && *u->f[2] && u->f[3][0] == '/';
}

static void
parse_nughde(struct sa *x, struct nughde *u, const char *src)
{
	if (!nughde_ok(x, u))
		say(EXIT_TEMP, "Malformed user record from ", src,
		    ". (#4.3.0)");
}

/*
 * users/cdb (qmail-users(5), layout in qmail-newu.c): the exact key
 * "!local\0" first, then wildcard keys "!prefix" from the longest prefix
 * down to "!", trying only prefixes ending in a character some wildcard
 * ends in.  1 found (x holds the record), 0 no entry or no cdb.
 */
static int
cdb_lookup(struct sa *x, const char *local)
{
	struct sa key = SA_INIT, wild = SA_INIT;
	struct cdb c;
	size_t i, llen = str_len(local);
	int fd, r;

	if ((fd = open("users/cdb", O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		goto trouble;
	}
	cdb_init(&c, fd);
	if (sa_catb(&key, "!", 1) == -1 || sa_catb(&key, local, llen) == -1 ||
	    sa_catb(&key, "", 1) == -1)
		child_nomem();
	case_lowerb(key.s, key.len);
	if ((r = cdb_find(&c, "", 0)) == -1)
		goto trouble;
	if (r == 1) {
		if (sa_ready(&wild, cdb_datalen(&c)) == -1)
			child_nomem();
		if (cdb_read(&c, wild.s, cdb_datalen(&c), cdb_datapos(&c)) == -1)
			goto trouble;
		wild.len = cdb_datalen(&c);
	}
	for (i = key.len; i > 0; i--) {
		/* i == key.len: the exact key; else the prefix key[0..i) */
		if (i < key.len && i > 1 &&
		    byte_chr(wild.s, wild.len, key.s[i - 1]) == wild.len)
			continue;
		if ((r = cdb_find(&c, key.s, (uint32_t)i)) == -1)
			goto trouble;
		if (r == 0)
			continue;
		if (sa_ready(x, cdb_datalen(&c)) == -1)
			child_nomem();
		if (cdb_read(&c, x->s, cdb_datalen(&c), cdb_datapos(&c)) == -1)
			goto trouble;
		x->len = cdb_datalen(&c);
		if (i < key.len &&	/* wildcard: ext is pre + the rest */
		    sa_catb(x, local + i - 1, llen - (i - 1)) == -1)
			child_nomem();
		if (sa_catb(x, "", 1) == -1)
			child_nomem();
		cdb_free(&c);
		close(fd);
		return 1;
	}
	cdb_free(&c);
	close(fd);
	return 0;
trouble:
	say(EXIT_TEMP, "Trouble reading users/cdb in qmail-lspawn: ",
	    err_str(errno), ". (#4.3.0)");
}

/* qmail-getpw local, as qmailp, its answer in x */
static void
getpw_lookup(struct sa *x, const char *local)
{
	char *args[3];
	char tmp[512];
	int pi[2], wstat;
	ssize_t r;
	pid_t pid;
	struct sa path = SA_INIT;

	if (sa_cats(&path, conf_qmail) == -1 ||
	    sa_cats(&path, "/bin/qmail-getpw") == -1 || sa_str(&path) == NULL)
		child_nomem();
	if (pipe(pi) == -1)
		say(EXIT_TEMP, "Unable to create a pipe in qmail-lspawn: ",
		    err_str(errno), ". (#4.3.0)");
	switch (pid = fork()) {
	case -1:
		say(EXIT_TEMP, "Unable to fork in qmail-lspawn: ",
		    err_str(errno), ". (#4.3.0)");
	case 0:
		close(pi[0]);
		if (fd_move(1, pi[1]) == -1)
			_exit(EXIT_TEMP);
		if (!conf_single && proc_drop(uid_passwd, gid_nofiles) == -1)
			say(EXIT_TEMP, "Unable to switch to user ", user_passwd,
			    ": ", err_str(errno), ". (#4.3.0)");
		args[0] = path.s, args[1] = (char *)local, args[2] = NULL;
		execv(args[0], args);
		say_parts(2, 0, DIE_LIST("Unable to run qmail-getpw: ",
		    err_str(errno), ". (#4.3.0)"));
		_exit(EXIT_TEMP);
	}
	close(pi[1]);
	for (;;) {
		r = read(pi[0], tmp, sizeof tmp);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (x->len + (size_t)r > MAXNUGHDE) {
			kill(pid, SIGKILL);
			break;
		}
		if (sa_catb(x, tmp, (size_t)r) == -1)
			child_nomem();
	}
	close(pi[0]);
	if (proc_wait(pid, &wstat) == -1)
		say(EXIT_TEMP, "Unable to wait for qmail-getpw: ",
		    err_str(errno), ". (#4.3.0)");
	if (proc_crashed(wstat) || proc_exitcode(wstat) != 0 || r != 0)
		say(EXIT_TEMP, "Unable to find the user for this address"
		    " with qmail-getpw. (#4.3.0)");
}

/* mess/S/N and nothing else: the name comes from another process */
static int
valid_mess(const char *m)
{
	size_t i = 5, d;

	if (!str_start(m, "mess/"))
		return 0;
	for (d = 0; m[i] >= '0' && m[i] <= '9'; i++)
		d++;
	if (d == 0 || m[i++] != '/')
		return 0;
	for (d = 0; m[i] >= '0' && m[i] <= '9'; i++)
		d++;
	return d > 0 && m[i] == 0;
}

/* the user's groups, as initgroups would set them */
static gid_t *
child_groups(const char *user, gid_t gid, size_t *n)
{
	gid_t *g = NULL;
	int ng = 32, tries;

	for (tries = 0; tries < 4; tries++) {
		free(g);
		if ((g = alloc_array((size_t)ng, sizeof *g)) == NULL)
			child_nomem();
		if (getgrouplist(user, gid, g, &ng) != -1) {
			*n = (size_t)ng;
			return g;
		}
		if (ng > NGROUPS_MAX + 1)	/* the list could never be set */
			break;
	}
	say(EXIT_TEMP, "Unable to find the groups of user ", user,
	    ". (#4.3.0)");
}

/* setgroups, setgid, setuid, and root must be gone for good */
static void
child_drop(const struct nughde *u, const gid_t *g, size_t ng)
{
	if (setgroups(ng, g) == -1 || setgid((gid_t)u->gid) == -1 ||
	    setuid((uid_t)u->uid) == -1)
		say(EXIT_TEMP, "Unable to switch to user ", u->f[0], ": ",
		    err_str(errno), ". (#4.3.0)");
	if (setuid(0) != -1)
		say(EXIT_TEMP, "Unable to switch to user ", u->f[0], ": ",
		    "root is still there. (#4.3.0)");
}

/* the answer for the daemon's cache: nughde length, nughde, n, groups */
static void
child_teach(int fd, const struct sa *nughde, const gid_t *g, size_t ng)
{
	struct sa r = SA_INIT;
	uint32_t n;

	if (ng > (CACHE_REC - 8) / sizeof *g ||
	    nughde->len > CACHE_REC - 8 - ng * sizeof *g)
		return;
	n = (uint32_t)nughde->len;
	if (sa_catb(&r, (char *)&n, 4) == -1 ||
	    sa_catb(&r, nughde->s, nughde->len) == -1)
		child_nomem();
	n = (uint32_t)ng;
	if (sa_catb(&r, (char *)&n, 4) == -1 ||
	    sa_catb(&r, (const char *)g, ng * sizeof *g) == -1)
		child_nomem();
	(void)io_writeall(fd, r.s, r.len);	/* a lost answer costs a lookup */
	sa_free(&r);
}

/*
 * The delivery child: fd 0 and 1 are still qmail-send's pipes, fd 2
 * qmail-start's stderr; out is the report pipe.  hit is the cached
 * lookup, or NULL: then the child looks the user up and sends the
 * answer on learn.  Ends in qmail-local.
 */
NORETURN static void
child(int out, const char *mess, const char *sender, const char *rcpt,
    const struct uent *hit, int learn)
{
	struct sa nughde = SA_INIT, lc = SA_INIT, path = SA_INIT;
	struct nughde u;
	gid_t *groups = NULL;
	size_t ngroups = 0;
	char *args[11];
	const char *local, *domain;
	size_t at;
	int fd;

	if (fd_move(1, out) == -1 || fd_copy(2, 1) == -1)
		_exit(EXIT_TEMP);
	sig_default(SIGCHLD);
	sig_default(SIGPIPE);
	sig_default(SIGHUP);
	sig_unblock_all();
	/* the message replaces qmail-send's pipe on fd 0 at once: nothing
	 * started from here may read requests */
	if (!valid_mess(mess))
		say(EXIT_TEMP, "Bad message file name from qmail-send."
		    " (#4.3.0)");
	if (sa_cats(&path, "queue/") == -1 || sa_cats(&path, mess) == -1 ||
	    sa_str(&path) == NULL)
		child_nomem();
	if ((fd = open(path.s, O_RDONLY)) == -1 || fd_move(0, fd) == -1)
		say(EXIT_TEMP, "Unable to open message ", path.s, ": ",
		    err_str(errno), ". (#4.3.0)");
	at = byte_rchr(rcpt, str_len(rcpt), '@');
	if (sa_catb(&lc, rcpt, at) == -1 || sa_str(&lc) == NULL)
		child_nomem();
	local = lc.s;
	domain = rcpt[at] ? rcpt + at + 1 : "";
	if (hit) {
		nughde.s = hit->rec, nughde.len = hit->reclen;
		groups = hit->groups, ngroups = hit->ngroups;
	} else if (!cdb_lookup(&nughde, local))
		getpw_lookup(&nughde, local);
	parse_nughde(&nughde, &u, "the user lookup");
	if (u.uid == 0)
		say(EXIT_PERM, "Not allowed to deliver mail as root:"
		    " check users/assign and the passwd file. (#5.7.0)");
	if (conf_single && u.uid != (unsigned long)getuid())
		say(EXIT_TEMP, "Cannot deliver as uid ", u.f[1], " in a"
		    " single-user installation. (#4.3.0)");
	if (!hit && !conf_single)
		groups = child_groups(u.f[0], (gid_t)u.gid, &ngroups);
	if (!hit && learn != -1)
		child_teach(learn, &nughde, groups, ngroups);
	if (!conf_single)
		child_drop(&u, groups, ngroups);
	path.len = 0;
	if (sa_cats(&path, conf_qmail) == -1 ||
	    sa_cats(&path, "/bin/qmail-local") == -1 || sa_str(&path) == NULL)
		child_nomem();
	args[0] = path.s, args[1] = (char *)"--";
	args[2] = (char *)u.f[0], args[3] = (char *)u.f[3];
	args[4] = (char *)local, args[5] = (char *)u.f[4];
	args[6] = (char *)u.f[5], args[7] = (char *)domain;
	args[8] = (char *)sender, args[9] = (char *)defaultdelivery;
	args[10] = NULL;
	execv(args[0], args);
	say(EXIT_TEMP, "Unable to run qmail-local: ", err_str(errno),
	    ". (#4.3.0)");
}

/*
 * The delivery child for a cached user, started with vfork: it borrows
 * the daemon's memory until its exec, so everything is prepared by the
 * daemon (hit_ready) and the child only moves descriptors, opens the
 * message, changes ids and execs.  No allocation, no return: every way
 * out is execv or _exit.
 */
struct hitjob {
	const char	*mess;		/* queue/mess/S/N */
	struct nughde	 u;
	const gid_t	*groups;
	size_t		 ngroups;
	char		*args[11];
};

NORETURN static void
hit_child(int out, const struct hitjob *j)
{
	int fd;

	if (fd_move(1, out) == -1 || fd_copy(2, 1) == -1)
		_exit(EXIT_TEMP);
	sig_default(SIGCHLD);
	sig_default(SIGPIPE);
	sig_default(SIGHUP);
	sig_unblock_all();
	if ((fd = open(j->mess, O_RDONLY)) == -1 || fd_move(0, fd) == -1)
		say(EXIT_TEMP, "Unable to open message ", j->mess, ": ",
		    err_str(errno), ". (#4.3.0)");
	if (!conf_single)
		child_drop(&j->u, j->groups, j->ngroups);
	execv(j->args[0], j->args);
	say(EXIT_TEMP, "Unable to run qmail-local: ", err_str(errno),
	    ". (#4.3.0)");
}

/* ---- in the daemon ---- */

static struct sa hit_path, hit_local, hit_mess;

/*
 * Fill j for a delivery to a cached user, with the checks child() would
 * make; 0 if any of them would fail (the fork path then says why).
 */
static int
hit_ready(struct hitjob *j, const struct uent *e, const char *mess,
    const char *sender, const char *rcpt)
{
	struct sa rec;
	size_t at = byte_rchr(rcpt, str_len(rcpt), '@');

	if (!valid_mess(mess))
		return 0;
	rec.s = e->rec, rec.len = e->reclen;
	if (!nughde_ok(&rec, &j->u) || j->u.uid == 0 ||
	    (conf_single && j->u.uid != (unsigned long)getuid()))
		return 0;
	hit_mess.len = hit_local.len = 0;
	if (sa_cats(&hit_mess, "queue/") == -1 ||
	    sa_cats(&hit_mess, mess) == -1 || sa_str(&hit_mess) == NULL ||
	    sa_catb(&hit_local, rcpt, at) == -1 || sa_str(&hit_local) == NULL)
		die_nomem();
	if (hit_path.len == 0 && (sa_cats(&hit_path, conf_qmail) == -1 ||
	    sa_cats(&hit_path, "/bin/qmail-local") == -1 ||
	    sa_str(&hit_path) == NULL))
		die_nomem();
	j->mess = hit_mess.s;
	j->groups = e->groups, j->ngroups = e->ngroups;
	j->args[0] = hit_path.s, j->args[1] = (char *)"--";
	j->args[2] = (char *)j->u.f[0], j->args[3] = (char *)j->u.f[3];
	j->args[4] = hit_local.s, j->args[5] = (char *)j->u.f[4];
	j->args[6] = (char *)j->u.f[5];
	j->args[7] = (char *)(rcpt[at] ? rcpt + at + 1 : "");
	j->args[8] = (char *)sender, j->args[9] = (char *)defaultdelivery;
	j->args[10] = NULL;
	return 1;
}

static time_t
now(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_MONOTONIC, &t) == -1)
		return 0;	/* every entry then looks fresh for one TTL */
	return t.tv_sec;
}

static void
cache_drop(struct uent *e)
{
	free(e->key), free(e->rec), free(e->groups);
	*e = cache[--ncache];
}

static void
cache_clear(void)
{
	while (ncache > 0)
		cache_drop(cache + ncache - 1);
	cache_gen++;
}

/*
 * Forget everything after a SIGHUP or when users/cdb is not the file it
 * was (qmail-newu renames a new one into place: inode, size or mtime
 * change; or it appeared or went away).
 */
static void
cache_check(void)
{
	static struct stat old;
	static int had = -1;
	struct stat st;
	int has;

	has = stat("users/cdb", &st) == 0;
	if (!has)
		memset(&st, 0, sizeof st);
	if (flag_hup || has != had || st.st_ino != old.st_ino ||
	    st.st_dev != old.st_dev || st.st_size != old.st_size ||
	    st.st_mtim.tv_sec != old.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != old.st_mtim.tv_nsec) {
		flag_hup = 0;
		cache_clear();
	}
	had = has, old = st;
}

static struct uent *
cache_find(const char *key, size_t len, time_t t)
{
	size_t i;

	for (i = 0; i < ncache; i++)
		if (cache[i].keylen == len && byte_equal(cache[i].key, len, key)) {
			if (t - cache[i].when >= CACHE_TTL || t < cache[i].when) {
				cache_drop(cache + i);
				return NULL;
			}
			return cache + i;
		}
	return NULL;
}

/* a child's answer on s->learn, checked like any input from outside */
static void
cache_learn(struct slot *s)
{
	char buf[CACHE_REC + 1];
	struct uent e, *old;
	uint32_t nlen, ng;
	size_t len = 0, i;
	ssize_t r;

	while (len < sizeof buf) {
		r = read(s->learn, buf + len, sizeof buf - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(s->learn);
	s->learn = -1;
	if (s->gen != cache_gen || len < 8 || len > CACHE_REC)
		return;
	memcpy(&nlen, buf, 4);
	if (nlen == 0 || nlen > len - 8 || buf[4 + nlen - 1] != 0)
		return;
	memcpy(&ng, buf + 4 + nlen, 4);
	if (ng > (len - 8 - nlen) / sizeof(gid_t) ||
	    len != 8 + nlen + ng * sizeof(gid_t))
		return;
	if ((old = cache_find(s->key.s, s->key.len, s->when)) != NULL)
		cache_drop(old);
	if (ncache == CACHE_MAX) {	/* full: the oldest goes */
		for (old = cache, i = 1; i < ncache; i++)
			if (cache[i].when < old->when)
				old = cache + i;
		cache_drop(old);
	}
	e.keylen = s->key.len, e.reclen = nlen, e.ngroups = ng;
	e.when = s->when;
	e.key = malloc(e.keylen + 1);
	e.rec = malloc(nlen);
	e.groups = alloc_array(ng + 1, sizeof(gid_t));
	if (e.key == NULL || e.rec == NULL || e.groups == NULL) {
		free(e.key), free(e.rec), free(e.groups);
		return;		/* no room: the next delivery looks up again */
	}
	memcpy(e.key, s->key.s, e.keylen);
	memcpy(e.rec, buf + 4, nlen);
	memcpy(e.groups, buf + 8 + nlen, ng * sizeof(gid_t));
	cache[ncache++] = e;
}

static void
catch_hup(int sig)
{
	flag_hup = 1;
	sig_selfpipe_poke(sig);
}

static void
report_raw(unsigned long slot, char st, const char *text, size_t n,
    char final)
{
	struct sa r = SA_INIT;
	char hdr[2];
	size_t i;

	hdr[0] = (char)(slot & 255), hdr[1] = (char)(slot >> 8 & 255);
	if (sa_catb(&r, hdr, 2) == -1)
		die_nomem();
	for (i = 0; i < 2; i++) {
		if (sa_catc(&r, i == 0 ? st : final) == -1 ||
		    sa_catb(&r, text, n) == -1 || sa_catb(&r, "", 1) == -1)
			die_nomem();
	}
	/* fd 1 gone means qmail-send is gone: it reruns the delivery later */
	(void)io_writeall(1, r.s, r.len);
	sa_free(&r);
}

/* a temporary failure with a fixed text */
static void
report_text(unsigned long slot, const char *t)
{
	report_raw(slot, 's', t, str_len(t), 'Z');
}

static void
report(unsigned long slot)
{
	struct slot *s = slots + slot;
	int code = proc_crashed(s->wstat) ? -1 : proc_exitcode(s->wstat);

	if (code == -1 && sa_cats(&s->out, "qmail-local crashed. (#4.3.0)") == -1)
		die_nomem();
	if (s->learn != -1)	/* empty unless the lookup worked */
		cache_learn(s);
	if (s->out.len > MAXREPORT)
		s->out.len = MAXREPORT;
	if (code == 0)
		report_raw(slot, 'r', s->out.s, s->out.len, 'K');
	else if (code == EXIT_PERM)
		report_raw(slot, 'h', s->out.s, s->out.len, 'D');
	else
		report_raw(slot, 's', s->out.s, s->out.len, 'Z');
	sa_free(&s->out);
	s->pid = 0, s->exited = 0;
	active--;
}

/* keep at most MAXREPORT bytes, without NULs; read to EOF or EAGAIN */
static void
slot_read(struct slot *s)
{
	char tmp[4096];
	ssize_t r;
	size_t i;

	while (s->fd != -1) {
		r = read(s->fd, tmp, sizeof tmp);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			return;
		if (r <= 0) {
			close(s->fd);
			s->fd = -1;
			return;
		}
		for (i = 0; i < (size_t)r && s->out.len <= MAXREPORT; i++)
			if (tmp[i] && sa_catc(&s->out, tmp[i]) == -1)
				die_nomem();
	}
}

static void
start(unsigned long slot, const char *mess, const char *sender,
    const char *rcpt)
{
	struct slot *s = slots + slot;
	struct uent *hit;
	struct hitjob job;
	int pi[2], lp[2] = { -1, -1 };
	pid_t pid;

	s->out.len = 0;
	s->key.len = 0;
	s->when = now();
	cache_check();
	if (sa_catb(&s->key, rcpt, byte_rchr(rcpt, str_len(rcpt), '@')) == -1)
		die_nomem();
	hit = cache_find(s->key.s, s->key.len, s->when);
	if (pipe(pi) == -1) {
		report_text(slot, "Unable to create a pipe in qmail-lspawn."
		    " (#4.3.0)");
		return;
	}
	/* without a pipe for the answer, the delivery just is not cached */
	if (!hit && pipe(lp) == -1)
		lp[0] = lp[1] = -1;
	/*
	 * A cached user needs no lookup in the child, so vfork will do:
	 * no copy of this (dynamically linked, NSS-laden) daemon's page
	 * tables per delivery.
	 */
	if (hit && hit_ready(&job, hit, mess, sender, rcpt)) {
		if ((pid = vfork()) == 0) {
			close(pi[0]);
			hit_child(pi[1], &job);
		}
	} else
		pid = fork();
	switch (pid) {
	case -1:
		close(pi[0]), close(pi[1]);
		if (lp[0] != -1)
			close(lp[0]), close(lp[1]);
		report_text(slot, "Unable to fork in qmail-lspawn. (#4.3.0)");
		return;
	case 0:
		close(pi[0]);
		if (lp[0] != -1) {
			close(lp[0]);
			fd_cloexec(lp[1]);	/* qmail-local never sees it */
		}
		child(pi[1], mess, sender, rcpt, hit, lp[1]);
	}
	close(pi[1]);
	fd_cloexec(pi[0]);
	fd_nonblock(pi[0]);
	if (lp[0] != -1) {
		close(lp[1]);
		fd_cloexec(lp[0]);
		fd_nonblock(lp[0]);
	}
	s->learn = lp[0], s->gen = cache_gen;
	s->pid = pid, s->fd = pi[0], s->exited = 0;
	active++;
}

/*
 * One request: slot (2 bytes, little-endian), message, sender, recipients,
 * an empty string.  Returns the bytes used, 0 if incomplete.
 */
static size_t
request(const char *x, size_t len)
{
	const char *f[4];
	size_t pos = 2, n, nf = 0, nrcpt;
	unsigned long slot;

	if (len < 2)
		return 0;
	for (;;) {
		n = byte_chr(x + pos, len - pos, 0);
		if (pos + n == len)
			return 0;
		if (n == 0 && nf >= 2)
			break;
		if (nf < 4)
			f[nf] = x + pos;
		nf++;
		pos += n + 1;
	}
	pos++;
	slot = (unsigned char)x[0] | (unsigned long)(unsigned char)x[1] << 8;
	if (slot >= conf_spawn)
		die_temp("protocol error: slot number too large");
	if (slots[slot].pid)
		die_temp("protocol error: slot in use");
	nrcpt = nf - 2;
	if (nrcpt != 1) {
		struct sa r = SA_INIT;
		char hdr[2] = { x[0], x[1] };
		const char *t = "Local delivery requests carry one recipient."
		    " (#4.3.0)";

		if (sa_catb(&r, hdr, 2) == -1)
			die_nomem();
		for (n = 0; n < nrcpt; n++)
			if (sa_catc(&r, 's') == -1 || sa_catb(&r, t,
			    str_len(t) + 1) == -1)
				die_nomem();
		if (sa_catc(&r, 'Z') == -1 ||
		    sa_catb(&r, t, str_len(t) + 1) == -1)
			die_nomem();
		(void)io_writeall(1, r.s, r.len);
		sa_free(&r);
		return pos;
	}
	start(slot, f[0], f[1], f[2]);
	return pos;
}

static void
reap(void)
{
	unsigned long i;
	pid_t pid;
	int w;

	while ((pid = proc_wait_nohang(&w)) > 0)
		for (i = 0; i < conf_spawn; i++)
			if (slots[i].pid == pid) {
				slots[i].exited = 1;
				slots[i].wstat = w;
				break;
			}
}

int
main(int argc, char **argv)
{
	struct sa in = SA_INIT;
	struct pollfd *pfd;
	unsigned long i, *pslot;
	size_t n, used;
	int eof = 0, sp, r;
	char tmp[4096];

	if (argc < 2)
		die_perm("usage: qmail-lspawn defaultdelivery");
	defaultdelivery = argv[1];
	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	slots = alloc_array(conf_spawn, sizeof *slots);
	pfd = alloc_array(conf_spawn + 2, sizeof *pfd);
	pslot = alloc_array(conf_spawn + 2, sizeof *pslot);
	if (slots == NULL || pfd == NULL || pslot == NULL)
		die_nomem();
	for (i = 0; i < conf_spawn; i++) {
		slots[i].pid = 0, slots[i].fd = -1, slots[i].learn = -1;
		slots[i].key.s = NULL, slots[i].key.len = slots[i].key.cap = 0;
		slots[i].out.s = NULL, slots[i].out.len = slots[i].out.cap = 0;
	}
	sig_ignore(SIGPIPE);
	if ((sp = sig_selfpipe()) == -1)
		die_temp_sys("unable to create the self-pipe");
	sig_catch(SIGCHLD, sig_selfpipe_poke);
	sig_catch(SIGHUP, catch_hup);
	/*
	 * One group lookup here, whose answer does not matter: it makes the
	 * C library read nsswitch.conf and load its group modules (with
	 * glibc, e.g. libnss_systemd and the libraries behind it) once, in
	 * this process, so that each delivery child inherits them instead
	 * of loading them again before its initgroups.  The lookups
	 * themselves still happen per delivery, so a group change counts
	 * at once.
	 */
	if (!conf_single) {
		gid_t g[8];
		int ng = 8;

		(void)getgrouplist("root", 0, g, &ng);
	}

	for (;;) {
		reap();
		for (i = 0; i < conf_spawn; i++)
			if (slots[i].pid && slots[i].exited) {
				slot_read(slots + i);	/* all it wrote is in the pipe */
				if (slots[i].fd != -1)
					close(slots[i].fd), slots[i].fd = -1;
				report(i);
			}
		if (eof && active == 0)
			return 0;
		n = 0;
		pfd[n].fd = sp, pfd[n].events = POLLIN, pslot[n++] = ~0UL;
		if (!eof)
			pfd[n].fd = 0, pfd[n].events = POLLIN, pslot[n++] = ~0UL;
		for (i = 0; i < conf_spawn; i++)
			if (slots[i].pid && slots[i].fd != -1)
				pfd[n].fd = slots[i].fd, pfd[n].events = POLLIN,
				    pslot[n++] = i;
		r = poll(pfd, n, -1);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			die_temp_sys("poll failed");
		}
		for (i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == sp)
				sig_selfpipe_drain();
			else if (pslot[i] != ~0UL)
				slot_read(slots + pslot[i]);
			else {
				r = (int)read(0, tmp, sizeof tmp);
				if (r == -1 && (errno == EINTR || errno == EAGAIN))
					continue;
				if (r <= 0) {
					eof = 1;
					continue;
				}
				if (sa_catb(&in, tmp, (size_t)r) == -1)
					die_nomem();
				while ((used = request(in.s, in.len)) > 0) {
					memmove(in.s, in.s + used, in.len - used);
					in.len -= used;
				}
				if (in.len > MAXREQUEST)
					die_temp("protocol error: request too long");
			}
		}
	}
}
