/*
 * condredirect: run a program on the message on fd 0; if it exits 0,
 * forward the message to a new address through qmail-queue ($QMAILQUEUE if
 * set) with the $DTLINE Delivered-To line on top, and exit 99 so that
 * qmail-local ignores the rest of the .qmail file.  Run by qmail-local as
 * the user: `|condredirect newaddress program [arg...]`.  fd 0 must be
 * seekable: the message is rewound after the program has read it.
 * The envelope sender is $SENDER, as in qmail 1.03 ($NEWSENDER when SENDER
 * is not set).
 * Exit: 99 forwarded (says "condredirect: qp N" on fd 2); 0 the program
 * exited neither 0 nor 111 (or does not exist); 111 it exited 111 or
 * crashed, or a temporary failure; 100 usage, missing environment, or
 * qmail-queue failed for good (man/condredirect.1).
 */
#include <sys/types.h>
#include <unistd.h>

#include "lib/die.h"
#include "lib/proc.h"
#include "lib/qq.h"
#include "lib/run.h"
#include "lib/str.h"

const char prog[] = "condredirect";

int
main(int argc, char **argv)
{
	char num[FMT_ULONG + 1];
	const char *sender, *dtline;
	struct qq q;
	int code;

	if (argc < 3) {
		say_parts(2, 0, DIE_LIST(prog, ": usage: ",
		    "condredirect newaddress program [ arg ... ]"));
		_exit(EXIT_PERM);
	}
	switch (run_prog(argv + 2)) {
	case 0:
		break;
	case EXIT_TEMP:
		die_temp("temporary child error");
	case RUN_CRASHED:
		die_temp("child crashed");
	case RUN_NOFORK:
		die_temp_sys("unable to run ", argv[2]);
	default:
		return 0;	/* not for us: the rest of .qmail goes on */
	}
	if (lseek(0, 0, SEEK_SET) == -1)
		die_temp_sys("unable to rewind message");
	if ((sender = env_get("SENDER")) == NULL &&
	    (sender = env_get("NEWSENDER")) == NULL)
		die_perm("SENDER not set");
	if ((dtline = env_get("DTLINE")) == NULL)
		die_perm("DTLINE not set");
	code = qq_forward(&q, dtline, 0, sender, argv + 1, 1);
	if (code == -1)
		die_temp_sys("unable to forward message");
	if (code != 0)
		die_code(qq_exit(&q, code), qq_text(&q, code));
	num[fmt_ulong(num, (unsigned long)q.pid)] = '\0';
	say_parts(2, 0, DIE_LIST("condredirect: qp ", num));
	return 99;
}
