/*
 * maildirmake: create an empty maildir: dir, dir/tmp, dir/new and dir/cur,
 * each mode 700 (umask 077), owned by whoever runs it.
 * Exit: 0 made; 100 usage; 111 a directory could not be made, including
 * when dir already exists (man/maildirmake.1).
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/die.h"

const char prog[] = "maildirmake";

static void
make(const char *dir, const char *sub)
{
	if (mkdir(sub, 0700) == -1)
		die_temp_sys("unable to mkdir ", dir, "/", sub);
}

int
main(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '\0') {
		say_parts(2, 0, DIE_LIST(prog, ": usage: ",
		    "maildirmake name"));
		_exit(EXIT_PERM);
	}
	umask(077);
	if (mkdir(argv[1], 0700) == -1)
		die_temp_sys("unable to mkdir ", argv[1]);
	if (chdir(argv[1]) == -1)
		die_temp_sys("unable to chdir to ", argv[1]);
	make(argv[1], "tmp");
	make(argv[1], "new");
	make(argv[1], "cur");
	return 0;
}
