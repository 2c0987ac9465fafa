/*
 * qmtp.h: the framing of one QMTP package (qmail-qmtpd), read from a
 * struct buf as it arrives, so the message itself can stream into
 * qmail-queue between the calls: qmtp_msghead, then the caller reads
 * *mlen bytes of message and ns_getcomma, ns_get for the sender,
 * qmtp_rcptlist, then qmtp_rcpt until it returns 0, then ns_getcomma.
 *
 * Each returns 1 on success, -1 with errno set: EPROTO for bad framing,
 * E2BIG past the caller's maximum, or the read's own error.
 * qmtp_msghead returns 0 at a clean EOF before the package; qmtp_rcpt
 * returns 0 at the end of the list (*left is 0), its comma not read.
 */
#ifndef QMTP_H
#define QMTP_H

#include "io.h"
#include "str.h"

/* "len:" and the first byte of the message: '\n' (LF line ends, *crlf
 * 0) or '\r' (CR LF line ends, *crlf 1); *mlen counts the bytes after
 * it.  An empty message or any other first byte is EPROTO. */
int	 qmtp_msghead(struct buf *, unsigned long, size_t *, int *);

/* "len:" of the recipient list, at most max: *left = len */
int	 qmtp_rcptlist(struct buf *, size_t, size_t *);

/* one recipient netstring of at most max bytes into x, which must fit
 * in the *left bytes of the list still unread; *left shrinks */
int	 qmtp_rcpt(struct buf *, size_t *, struct sa *, size_t);

size_t	 qmtp_nslen(size_t);	/* bytes of "len:" and "," around len */

#endif
