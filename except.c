/*
 * except: run a program and turn its success into a permanent failure and
 * its failures into success, for .qmail files: `|except program [arg...]`.
 * Runs as whoever calls it; fds and environment are passed on as they are.
 * Exit: 100 the program exited 0; 111 it exited 111, crashed, or could not
 * be started; 0 it exited anything else (or does not exist); 100 usage
 * (man/except.1).
 */
#include <unistd.h>

#include "lib/die.h"
#include "lib/run.h"

const char prog[] = "except";

int
main(int argc, char **argv)
{
	if (argc < 2) {
		say_parts(2, 0, DIE_LIST(prog, ": usage: ",
		    "except program [ arg ... ]"));
		_exit(EXIT_PERM);
	}
	switch (run_prog(argv + 1)) {
	case 0:
		return EXIT_PERM;
	case EXIT_TEMP:
		return EXIT_TEMP;
	case RUN_CRASHED:
		die_temp("child crashed");
	case RUN_NOFORK:
		die_temp_sys("unable to run ", argv[1]);
	default:
		return 0;
	}
}
