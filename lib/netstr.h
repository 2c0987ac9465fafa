/*
 * netstr.h: netstrings ("12:hello world!,") for QMTP, QMQP and the
 * daemons' pipes.
 *
 * ns_parse returns the bytes consumed by one complete netstring at the
 * start of the buffer, 0 if it is invalid or incomplete.  The buf readers
 * return 1 success, 0 clean EOF before the first byte, -1 error with errno
 * set: EPROTO for bad syntax (no digits, a leading zero, no colon or
 * comma), E2BIG past the caller's maximum, or the read's own error.
 */
#ifndef NETSTR_H
#define NETSTR_H

#include "io.h"
#include "str.h"

int	 ns_cat(struct sa *, const char *, size_t);
size_t	 ns_parse(const char *, size_t, const char **, size_t *);
int	 ns_getlen(struct buf *, size_t *, size_t);	/* "digits:" */
int	 ns_getcomma(struct buf *);
int	 ns_get(struct buf *, struct sa *, size_t);	/* a whole netstring into sa */

#endif
