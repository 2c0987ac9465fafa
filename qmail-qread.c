/*
 * qmail-qread: list the preprocessed messages in the queue and their
 * recipients, in qmail 1.03's layout (man/qmail-qread.8).  Reads
 * queue/info, queue/local, queue/remote, queue/bounce and the sizes of
 * queue/mess; writes nothing but standard output.  Runs as root or as
 * qmails (group qmail); sendmail -bp and mailq run it.
 * Exit: 0 listed (a message that vanishes while it is read is not listed;
 * trouble with one message is a warning on fd 2); 111 cannot read the
 * queue directories, out of memory, or cannot write the listing.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/date.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/limit.h"
#include "lib/qdir.h"
#include "lib/str.h"

const char prog[] = "qmail-qread";

static char outspace[BUF_SIZE];
static struct buf out = BUF_INIT(1, outspace);
static struct sa path = SA_INIT;	/* scratch file name */
static struct sa data = SA_INIT;	/* one local or remote file */

static void
fail_write(void)
{
	die_temp_sys("unable to write output");
}

static void
put(const char *s, size_t n)
{
	if (buf_put(&out, s, n) == -1)
		fail_write();
}

/* Addresses come from the queue, i.e. from strangers: show bytes a
 * terminal would act on as '_', as qmail-qread does. */
static void
put_safe(const char *s, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i = j + 1) {
		for (j = i; j < n; j++)
			if ((unsigned char)s[j] < 32 || (unsigned char)s[j] > 126)
				break;
		put(s + i, j - i);
		if (j < n)
			put("_", 1);
	}
}

static void
trouble(unsigned long id)
{
	char num[FMT_ULONG + 1];
	int e = errno;

	num[fmt_ulong(num, id)] = 0;
	errno = e;
	warn_sys("trouble with #", num);
}

static const char *
name(const char *dir, unsigned long sub, unsigned long id)
{
	path.len = 0;
	if (sa_cats(&path, dir) == -1 || sa_catc(&path, '/') == -1 ||
	    sa_catulong(&path, sub) == -1 || sa_catc(&path, '/') == -1 ||
	    sa_catulong(&path, id) == -1 || sa_str(&path) == NULL)
		die_nomem();
	return path.s;
}

/*
 * Read a whole queue file.  1 read; 0 it is gone (the message finished
 * while we looked: normal); -1 error.  With st, the file's status too.
 */
static int
slurp(const char *fn, size_t max, struct stat *st)
{
	char tmp[4096];
	ssize_t r;
	int fd, e;

	data.len = 0;
	if ((fd = open(fn, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (st && fstat(fd, st) == -1)
		goto fail;
	for (;;) {
		r = read(fd, tmp, sizeof tmp);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		if ((size_t)r > max - data.len) {
			errno = E2BIG;
			goto fail;
		}
		if (sa_catb(&data, tmp, (size_t)r) == -1)
			die_nomem();
		/* a short read of a regular file is its end: queue files
		 * are written whole before they are named */
		if ((size_t)r < sizeof tmp)
			break;
	}
	close(fd);
	return 1;
fail:
	e = errno;
	close(fd);
	return errno = e, -1;
}

static void
put_recipients(const char *chan)
{
	size_t pos, end;

	/* each record T<addr>\0 or D<addr>\0; an unterminated last record
	 * is a write in progress and not shown; unknown kinds are skipped */
	for (pos = 0; pos < data.len; pos = end + 1) {
		end = pos + byte_chr(data.s + pos, data.len - pos, 0);
		if (end == data.len)
			break;
		if (data.s[pos] != 'T' && data.s[pos] != 'D')
			continue;
		if (data.s[pos] == 'D')
			put("  done", 6);
		put("\t", 1);
		put(chan, str_len(chan));
		put("\t", 1);
		put_safe(data.s + pos + 1, end - pos - 1);
		put("\n", 1);
	}
}

static void
show(unsigned long sub, unsigned long id, const struct qids *bounce,
    const struct qids *local, const struct qids *remote)
{
	char date[DATE_FMT], num[FMT_ULONG];
	struct sa sender = SA_INIT;
	struct stat st;
	unsigned long size;
	time_t when;
	size_t n;
	int r;

	/* the sender, and the time: info's mtime is when qmail-send
	 * preprocessed the message, as qmail-qread reports it */
	r = slurp(name("info", sub, id), LIMIT_ADDR + 64, &st);
	if (r == 0)
		return;
	if (r == -1 || data.len == 0 || data.s[0] != 'F') {
		if (r != -1)
			errno = EINVAL;
		trouble(id);
		return;
	}
	when = st.st_mtime;
	n = byte_chr(data.s, data.len, 0);
	if (sa_copyb(&sender, data.s + 1, n - 1) == -1)
		die_nomem();

	if (stat(name("mess", sub, id), &st) == -1) {
		if (errno != ENOENT)
			trouble(id);
		sa_free(&sender);
		return;
	}
	size = (unsigned long)st.st_size;

	n = date_fmt822(date, when) - 6;	/* qmail says GMT, not -0000 */
	put(date, n);
	put(" GMT  #", 7);
	put(num, fmt_ulong(num, id));
	put("  ", 2);
	put(num, fmt_ulong(num, size));
	put("  <", 3);
	put_safe(sender.s, sender.len);
	put("> ", 2);
	if (qids_has(bounce, id))
		put(" bouncing", 9);
	put("\n", 1);
	sa_free(&sender);

	if (qids_has(local, id)) {
		if ((r = slurp(name("local", sub, id), LIMIT_QQ_ENVELOPE, 0)) == -1)
			trouble(id);
		else if (r == 1)
			put_recipients("local");
	}
	if (qids_has(remote, id)) {
		if ((r = slurp(name("remote", sub, id), LIMIT_QQ_ENVELOPE, 0)) == -1)
			trouble(id);
		else if (r == 1)
			put_recipients("remote");
	}
}

static void
list(struct qids *q, const char *dir, unsigned long sub)
{
	const char *fn = dir;
	char num[FMT_ULONG + 1];

	q->len = 0;
	if (sub != (unsigned long)-1) {
		path.len = 0;
		num[fmt_ulong(num, sub)] = 0;
		if (sa_cats(&path, dir) == -1 || sa_catc(&path, '/') == -1 ||
		    sa_cats(&path, num) == -1 || sa_str(&path) == NULL)
			die_nomem();
		fn = path.s;
	}
	if (qdir_list(q, fn) == -1) {
		if (errno == ENOMEM)
			die_nomem();
		die_temp_sys("unable to read queue/", fn);
	}
}

int
main(void)
{
	struct qids info = QIDS_INIT, local = QIDS_INIT, remote = QIDS_INIT;
	struct qids bounce = QIDS_INIT;
	unsigned long sub;
	size_t i;

	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	if (chdir("queue") == -1)
		die_temp_sys("unable to chdir to ", conf_qmail, "/queue");
	list(&bounce, "bounce", (unsigned long)-1);
	/* One readdir pass per split directory; local and remote are
	 * listed after info so a message being preprocessed is more
	 * likely seen whole, and no open is wasted on absent files. */
	for (sub = 0; sub < conf_split; sub++) {
		list(&info, "info", sub);
		if (info.len == 0)
			continue;
		list(&local, "local", sub);
		list(&remote, "remote", sub);
		for (i = 0; i < info.len; i++)
			if (info.id[i] % conf_split == sub)
				show(sub, info.id[i], &bounce, &local, &remote);
	}
	if (buf_flush(&out) == -1)
		fail_write();
	return 0;
}
