/*
 * fakeqq: a stand-in for qmail-queue in the qmail-send tests until the
 * real one is in the tree.  Same interface: message on fd 0, envelope
 * "Fsender\0Trcpt\0...\0" on fd 1; writes pid -> mess/S/N, intd/N,
 * todo/N as DESIGN.md says, then pokes lock/trigger.  Exit 0 or 111.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/date.h"
#include "lib/queue.h"
#include "lib/str.h"

const char prog[] = "fakeqq";

static void
die(const char *s)
{
	perror(s);
	_exit(111);
}

static void
copy(int from, int to, struct sa *keep)
{
	char b[8192];
	ssize_t r;

	while ((r = read(from, b, sizeof b)) > 0) {
		if (keep)
			sa_catb(keep, b, (size_t)r);
		else if (write(to, b, (size_t)r) != r)
			die("write");
	}
	if (r == -1)
		die("read");
}

int
main(void)
{
	struct sa pidfn = SA_INIT, mess = SA_INIT, intd = SA_INIT, todo = SA_INIT;
	struct sa env = SA_INIT, hdr = SA_INIT;
	char date[DATE_FMT];
	struct stat st;
	int fd;

	umask(033);
	if (chdir(conf_qmail) == -1 || chdir("queue") == -1)
		die("chdir");
	sa_copys(&pidfn, "pid/");
	sa_catulong(&pidfn, (unsigned long)getpid());
	sa_str(&pidfn);
	if ((fd = open(pidfn.s, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1)
		die("pid");
	if (fstat(fd, &st) == -1)
		die("fstat");
	queue_split_path(&mess, "mess", st.st_ino);
	queue_path(&intd, "intd", st.st_ino);
	queue_path(&todo, "todo", st.st_ino);
	if (rename(pidfn.s, mess.s) == -1)
		die("rename");
	sa_copys(&hdr, "Received: (qmail ");
	sa_catulong(&hdr, (unsigned long)getpid());
	sa_cats(&hdr, getuid() == uid_send ? " invoked for bounce); " :
	    " invoked by uid ");
	if (getuid() != uid_send) {
		sa_catulong(&hdr, (unsigned long)getuid());
		sa_cats(&hdr, "); ");
	}
	sa_catb(&hdr, date, date_fmt822(date, time(NULL)));
	sa_cats(&hdr, "\n");
	if (write(fd, hdr.s, hdr.len) != (ssize_t)hdr.len)
		die("write");
	copy(0, fd, NULL);
	if (fsync(fd) == -1 || close(fd) == -1)
		die("fsync");
	copy(1, -1, &env);
	if (env.len < 2 || env.s[0] != 'F' || env.s[env.len - 1] != 0)
		_exit(91);
	hdr.len = 0;
	sa_catc(&hdr, 'u');
	sa_catulong(&hdr, (unsigned long)getuid());
	sa_catc(&hdr, 0);
	sa_catc(&hdr, 'p');
	sa_catulong(&hdr, (unsigned long)getpid());
	sa_catc(&hdr, 0);
	sa_catb(&hdr, env.s, env.len - 1);	/* without the final NUL */
	if ((fd = open(intd.s, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1)
		die("intd");
	if (write(fd, hdr.s, hdr.len) != (ssize_t)hdr.len || fsync(fd) == -1 ||
	    close(fd) == -1)
		die("intd write");
	if (link(intd.s, todo.s) == -1)
		die("link");
	queue_trigger();
	return 0;
}
