/*
 * sendmail: the sendmail command line programs expect, done by
 * qmail-inject (messages), qmail-qread (-bp, or run as mailq),
 * qmail-smtpd (-bs) and fastforward's newaliases (-bi, or run as
 * newaliases).  Options sendmail has and qmail does not need are
 * accepted and ignored (man/sendmail.8).
 *
 * Reads: its arguments.  Runs as the invoking user and execs the program
 * that does the work, from the qmail home's bin (newaliases from $PATH).
 * Exit: that program's status; 100 for a usage error; 111 if it cannot
 * be run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/proc.h"
#include "lib/queue.h"
#include "lib/str.h"

const char prog[] = "sendmail";

static NORETURN void
usage(void)
{
	die_perm("usage: sendmail [ -t ] [ -fsender ] [ -Fname ] "
	    "[ -bp ] [ -bs ] [ -bi ] [ arg ... ]");
}

/* the qmail home's bin/name, then exec with argv */
static NORETURN void
run(const char *name, char **argv)
{
	static char path[4096];
	size_t h = str_len(conf_qmail), n = str_len(name);

	if (h + 5 + n + 1 > sizeof path)
		die_temp("qmail home name too long");
	memcpy(path, conf_qmail, h);
	memcpy(path + h, "/bin/", 5);
	memcpy(path + h + 5, name, n + 1);
	argv[0] = path;
	execv(path, argv);
	die_temp_sys("unable to run ", path);
}

static NORETURN void
mailq(void)
{
	char *argv[] = { NULL, NULL };

	run("qmail-qread", argv);
}

/* An SMTP session on fd 0/1 as if from the local host, trusted to relay. */
static NORETURN void
smtpd(void)
{
	char *argv[] = { NULL, NULL };

	if (env_get("PROTO") == NULL &&
	    (env_put("RELAYCLIENT", "") == -1 ||
	    env_put("PROTO", "TCP") == -1 ||
	    env_put("TCPLOCALIP", "127.0.0.1") == -1 ||
	    env_put("TCPLOCALHOST", "localhost") == -1 ||
	    env_put("TCPREMOTEIP", "127.0.0.1") == -1 ||
	    env_put("TCPREMOTEHOST", "localhost") == -1 ||
	    env_put("TCPREMOTEINFO", "sendmail-bs") == -1))
		die_nomem();
	run("qmail-smtpd", argv);
}

/*
 * newaliases is fastforward's: Debian installs it as qmail-newaliases,
 * djb's own package in /usr/local/bin, and an administrator may put one in
 * the home's bin.  Never $PATH: there "newaliases" is often another
 * mailer's (Postfix's sendmail), which would rebuild the wrong database.
 */
static NORETURN void
newaliases(void)
{
	static const char *const fixed[] = {
		"/usr/sbin/qmail-newaliases", "/usr/local/bin/newaliases", 0
	};
	char *argv[] = { "newaliases", NULL };
	struct sa home = SA_INIT;
	size_t i;

	/* the marker stops a loop through a newaliases that is this program */
	if (env_get("SENDMAIL_NEWALIASES") != NULL)
		die_temp("newaliases is this program: install fastforward's "
		    "newaliases to rebuild the aliases database");
	if (env_put("SENDMAIL_NEWALIASES", "1") == -1)
		die_nomem();
	if (sa_cats(&home, conf_qmail) == -1 ||
	    sa_cats(&home, "/bin/newaliases") == -1 || sa_str(&home) == NULL)
		die_nomem();
	execv(home.s, argv);
	for (i = 0; fixed[i]; i++)
		execv(fixed[i], argv);
	die_temp("no newaliases program: install fastforward (Debian: "
	    "/usr/sbin/qmail-newaliases) to use an aliases file");
}

/*
 * -q asks for a queue run.  qmail-send retries on its own schedule; the
 * one safe thing a user can do is to wake it for new messages through
 * lock/trigger (readable only by the qmail group: others get the note).
 */
static NORETURN void
queuerun(void)
{
	if (chdir(conf_qmail) == 0 && chdir("queue") == 0)
		queue_trigger();
	say_parts(2, 0, DIE_LIST("sendmail: qmail-send runs the queue by "
	    "itself; to retry deferred messages now, send it SIGALRM "
	    "(svc -a on its service directory)"));
	_exit(0);
}

static const char *
base(const char *s)
{
	size_t i = byte_rchr(s, str_len(s), '/');

	return i == str_len(s) ? s : s + i + 1;
}

int
main(int argc, char **argv)
{
	const char *sender = NULL, *name = NULL, *me;
	char **args;
	int i, flagt = 0, n;

	me = argc > 0 ? base(argv[0]) : "sendmail";
	if (str_equal(me, "mailq"))
		mailq();
	if (str_equal(me, "newaliases"))
		newaliases();

	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *arg;

		if (o[0] != '-' || o[1] == 0)
			break;
		if (str_equal(o, "--")) {
			i++;
			break;
		}
		for (o++; *o; o++) {
			/* letters that take an argument, attached or next */
			if (byte_chr("BbCdeFfhLMNOopQRrVX", 19, *o) < 19) {
				if (o[1])
					arg = o + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
				else
					usage();
				switch (*o) {
				case 'f': case 'r': sender = arg; break;
				case 'F': name = arg; break;
				case 'b':
					switch (arg[0]) {
					case 'm': break;
					case 'p': mailq();
					case 's': smtpd();
					case 'i': newaliases();
					default: usage();
					}
					break;
				}
				break;	/* the rest of the word was the argument */
			}
			if (*o == 't')
				flagt = 1;
			else if (*o == 'q')
				queuerun();
			/* every other letter (-i, -v, -m, -U, ...) is ignored */
		}
	}

	n = argc - i;
	if ((args = alloc_array((size_t)n + 8, sizeof *args)) == NULL)
		die_nomem();
	args[0] = NULL;
	args[1] = flagt ? "-H" : "-a";
	n = 2;
	if (sender != NULL)
		args[n++] = "-f", args[n++] = (char *)sender;
	if (name != NULL)
		args[n++] = "-F", args[n++] = (char *)name;
	args[n++] = "--";
	for (; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	run("qmail-inject", args);
}
