/*
 * addr.h: envelope addresses: SMTP paths and quoting.
 *
 * addr_parse_path reads the path after "MAIL FROM:" or "RCPT TO:"
 * (leading spaces allowed, angle brackets optional as qmail-smtpd has
 * always allowed), drops an RFC 5321 source route ("@a,@b:"), undoes
 * quoting and backslash escapes, and stores the bare address in out.  It
 * returns the bytes consumed, 0 for an invalid path: unbalanced brackets
 * or quotes, NUL, CR or LF, an unquoted space inside brackets, or more
 * than LIMIT_ADDR bytes.  "<>" gives an empty address.
 */
#ifndef ADDR_H
#define ADDR_H

#include "str.h"

size_t	 addr_parse_path(struct sa *, const char *, size_t);
int	 addr_quote(struct sa *, const char *, size_t);	/* "local"@domain when needed; appends */
size_t	 addr_at(const char *, size_t);	/* index of the last '@', or n */
int	 addr_is_8bit(const char *, size_t);

#endif
