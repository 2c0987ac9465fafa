/*
 * b64.h: base64 (RFC 4648 section 4) as SMTP AUTH (RFC 4954) uses it.
 *
 * Functions give 0 on success, -1 with errno set: EINVAL for input that is
 * not canonical base64, ENOMEM.  The decoder is strict: no white space, a
 * length that is a multiple of 4, '=' only as the last one or two bytes,
 * and the bits the padding leaves over must be zero, so every decoded
 * string has exactly one encoding.  The output may hold NUL bytes: callers
 * look at out->len, never at a terminator.
 */
#ifndef B64_H
#define B64_H

#include <stddef.h>

#include "str.h"

int	 b64_decode(struct sa *, const char *, size_t);	/* replaces out */
int	 b64_encode(struct sa *, const char *, size_t);	/* replaces out */

#endif
