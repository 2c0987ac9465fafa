/*
 * dotqmail.h: one line of a .qmail file, classified (man/dot-qmail.5).
 *
 * dq_line takes a line without its newline.  The line ends at its first
 * NUL, if any (qmail-local hands each argument to open(2), execv(2) or
 * qmail-queue as a C string, so nothing after a NUL could ever count),
 * and spaces and tabs at its end are ignored.  It returns the kind, one
 * of DQ_*, and sets [*off, *off + *len) to the argument: the path, the
 * command after '|' or the address after an optional '&'.  The argument
 * always lies inside the line and never holds a NUL.  It never fails.
 */
#ifndef DOTQMAIL_H
#define DOTQMAIL_H

#include <stddef.h>

enum {
	DQ_BLANK,	/* nothing but spaces and tabs */
	DQ_COMMENT,	/* '#', or '+' other than "+list" */
	DQ_LIST,	/* "+list": the rest of the file only forwards */
	DQ_PROGRAM,	/* '|' command */
	DQ_FORWARD,	/* '&' address, or any other first byte */
	DQ_MAILDIR,	/* '.' or '/' ... '/' */
	DQ_MBOX		/* '.' or '/' not ending in '/' */
};

int	 dq_line(const char *, size_t, size_t *, size_t *);

#endif
