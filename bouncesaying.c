/*
 * bouncesaying: bounce the message, saying why, perhaps only when a
 * program agrees.  Run by qmail-local as the user:
 * `|bouncesaying error [program [arg...]]`.  Without a program it prints
 * error on fd 2 and exits 100.  With one, it runs it on the message (fd 0
 * passed on as is) and bounces only if it exits 0.
 * Exit: 100 bounced (error printed) or usage; 111 the program exited 111
 * or crashed, or it could not be run for a temporary reason; 0 the
 * program exited anything else or does not exist (man/bouncesaying.1).
 */
#include <unistd.h>

#include "lib/die.h"
#include "lib/run.h"

const char prog[] = "bouncesaying";

int
main(int argc, char **argv)
{
	if (argc < 2) {
		say_parts(2, 0, DIE_LIST(prog, ": usage: ",
		    "bouncesaying error [ program [ arg ... ] ]"));
		_exit(EXIT_PERM);
	}
	if (argc > 2) {
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
			return 0;
		}
	}
	say_parts(2, 0, DIE_LIST(argv[1]));
	return EXIT_PERM;
}
