/*
 * forward: forward the message on fd 0 to the addresses given as
 * arguments, through qmail-queue ($QMAILQUEUE if set), with $NEWSENDER as
 * the envelope sender and the $DTLINE Delivered-To line on top; a helper
 * for .qmail files (`|forward address...`), run by qmail-local as the user.
 * Exit: 0 queued (says "forward: qp N" on fd 2); 100 usage, $NEWSENDER or
 * $DTLINE not set, or qmail-queue failed for good; 111 any temporary
 * failure (man/forward.1).
 */
#include <unistd.h>

#include "lib/die.h"
#include "lib/proc.h"
#include "lib/qq.h"
#include "lib/str.h"

const char prog[] = "forward";

static const char *
need(const char *name)
{
	const char *v;

	if ((v = env_get(name)) == NULL)
		die_perm(name, " not set");
	return v;
}

int
main(int argc, char **argv)
{
	char num[FMT_ULONG + 1];
	const char *sender, *dtline;
	struct qq q;
	int code;

	if (argc < 2) {
		say_parts(2, 0, DIE_LIST(prog, ": usage: ",
		    "forward address [ address ... ]"));
		_exit(EXIT_PERM);
	}
	sender = need("NEWSENDER");
	dtline = need("DTLINE");
	code = qq_forward(&q, dtline, 0, sender, argv + 1, (size_t)argc - 1);
	if (code == -1)
		die_temp_sys("unable to forward message");
	if (code != 0)
		die_code(qq_exit(&q, code), qq_text(&q, code));
	num[fmt_ulong(num, (unsigned long)q.pid)] = '\0';
	say_parts(2, 0, DIE_LIST("forward: qp ", num));
	return 0;
}
