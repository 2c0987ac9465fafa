/*
 * qmail-authcheck: the filter a site sets as QMAILQUEUE for qmail-smtpd.
 * It decides, reading nothing: mail from an authenticated user
 * (SMTPAUTHUSER), a relay client (RELAYCLIENT) or injected locally (no
 * TCPREMOTEIP) is the site's own and goes on untouched to bin/qmail-dksign,
 * or bin/qmail-queue when that is not installed; other mail goes to
 * bin/qmail-authverify, which checks DKIM, SPF and DMARC.  Both keep
 * qmail-queue's interface.  Libc only, so that the unchecked path costs
 * one small execve and nothing linked with the checking libraries.
 * Runs as the caller.
 * Exit: that of the program it runs; 51 or 81 when it cannot run it
 * (man/qmail-authcheck.8).
 */
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/proc.h"
#include "lib/str.h"

const char prog[] = "qmail-authcheck";

static int
nonempty(const char *v)
{
	return v != NULL && *v != '\0';
}

static void
path(struct sa *fn, const char *name)
{
	fn->len = 0;
	if (sa_cats(fn, conf_qmail) == -1 || sa_cats(fn, "/bin/") == -1 ||
	    sa_cats(fn, name) == -1 || sa_str(fn) == NULL)
		die_code(QQ_NOMEM, "out of memory");
}

int
main(void)
{
	struct sa fn = SA_INIT;
	char *argv[2];

	path(&fn, "qmail-authverify");
	/* Not checked: QMAILQUEUE goes, so that qmail-dksign, or anything
	 * it runs, reaches the real qmail-queue and never comes back here. */
	if (nonempty(env_get("SMTPAUTHUSER")) || env_get("RELAYCLIENT") ||
	    !nonempty(env_get("TCPREMOTEIP"))) {
		if (env_unset("QMAILQUEUE") == -1)
			die_code(QQ_NOMEM, "out of memory");
		path(&fn, "qmail-dksign");
		if (access(fn.s, X_OK) == -1)
			path(&fn, "qmail-queue");
	}
	argv[0] = fn.s;
	argv[1] = NULL;
	execv(fn.s, argv);
	die_code_sys(QQ_BUG, "unable to run ", fn.s);
}
