/*
 * smtp.h: qmail-smtpd's parsers, kept apart from its I/O so they can be
 * tested and fuzzed: the command line's verb and argument, the path and
 * ESMTP parameters of MAIL and RCPT, and the DATA state machine.
 *
 * smtp_split never fails but for a NUL (-1).  smtp_path returns the bytes
 * of the argument consumed up to the parameters, 0 for a syntax error.
 * smtp_next_param returns 1 and a parameter's bounds, 0 at the end.
 * smtp_mail_params returns one of the SMTP_MP_* codes.
 * smtp_data_scan returns the bytes of input consumed.
 */
#ifndef SMTP_H
#define SMTP_H

#include <stddef.h>

#include "str.h"

/* "VERB  arg  ": verb is [0, *vlen); arg is [*astart, *astart + *alen)
 * without the spaces around it.  -1 if the line holds a NUL. */
int	 smtp_split(const char *, size_t, size_t *, size_t *, size_t *);

/* what ("from:" or "to:", any case) then a path into addr; the
 * parameters start at the returned offset, leading spaces skipped. */
size_t	 smtp_path(struct sa *, const char *, size_t, const char *);

int	 smtp_next_param(const char *, size_t, size_t *, size_t *, size_t *);

enum {
	SMTP_MP_OK,
	SMTP_MP_SIZE,		/* SIZE without a decimal number that fits */
	SMTP_MP_BODY,		/* BODY other than 7BIT or 8BITMIME */
	SMTP_MP_UNKNOWN		/* a parameter we do not offer */
};

/* MAIL FROM's parameters: SIZE=n (RFC 1870), BODY=7BIT|8BITMIME
 * (RFC 6152), SMTPUTF8 (RFC 6531).  Stops at the first bad one. */
int	 smtp_mail_params(const char *, size_t, unsigned long *, int *);

/*
 * The DATA state machine.  The data ends only at CR LF . CR LF (the first
 * line counts as following a CR LF).  A bare LF or a CR not followed by
 * LF never ends a line or the data, and sets bare: the caller reads the
 * message to its real end and refuses it, so nothing smuggled after a
 * "<LF>.<LF>" or "<CR>.<CR>" can ever start a second message.  A leading
 * dot is removed from every other line (RFC 5321 4.5.2); CR LF becomes LF.
 *
 * smtp_data_scan reads input until the end of data (then done is set and
 * the rest is left unread) or until out has fewer than 2 bytes free; it
 * adds *outlen bytes to out.
 */
struct smtp_data {
	int	st;
	int	bare;	/* a bare CR or LF was seen */
	int	done;	/* CR LF . CR LF was read */
};
#define SMTP_DATA_INIT { 0, 0, 0 }

size_t	 smtp_data_scan(struct smtp_data *, const char *, size_t, char *,
	    size_t, size_t *);

#endif
