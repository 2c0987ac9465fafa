/*
 * qmail-qstat: count the messages in the queue and those not yet
 * preprocessed, in qmail 1.03's words (man/qmail-qstat.8).  Reads the
 * directories queue/mess/N and queue/todo (entries only: no file is
 * opened or stat'ed); writes two lines on standard output.  Runs as root
 * or as a member of group qmail.
 * Exit: 0 counted; 111 cannot read a queue directory or write the answer.
 */
#include <errno.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/qdir.h"
#include "lib/str.h"

const char prog[] = "qmail-qstat";

static unsigned long
count(const char *fn)
{
	long n;

	if ((n = qdir_count(fn)) == -1)
		die_temp_sys("unable to read queue/", fn);
	return (unsigned long)n;
}

int
main(void)
{
	char space[256], num[FMT_ULONG + 1];
	struct buf out = BUF_INIT(1, space);
	unsigned long sub, mess = 0, todo;
	struct sa fn = SA_INIT;

	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	if (chdir("queue") == -1)
		die_temp_sys("unable to chdir to ", conf_qmail, "/queue");
	for (sub = 0; sub < conf_split; sub++) {
		num[fmt_ulong(num, sub)] = 0;
		fn.len = 0;
		if (sa_cats2(&fn, "mess/", num) == -1 || sa_str(&fn) == NULL)
			die_nomem();
		mess += count(fn.s);
	}
	todo = count("todo");
	if (buf_puts(&out, "messages in queue: ") == -1 ||
	    buf_putulong(&out, mess) == -1 ||
	    buf_puts(&out, "\nmessages in queue but not yet preprocessed: ") == -1 ||
	    buf_putulong(&out, todo) == -1 ||
	    buf_putsflush(&out, "\n") == -1)
		die_temp_sys("unable to write output");
	return 0;
}
