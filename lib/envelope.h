/*
 * envelope.h: envelope records (man/envelopes.5), each a letter, a value
 * and a NUL: qmail-queue's "Fsender\0Trecip\0...\0" on its fd 1, and the
 * intd, todo, info, local and remote files made of such records.
 *
 * env_in_feed parses qmail-queue's envelope as it streams in, appending
 * the records (with their NULs, without the final one) to e.  It returns
 * 0 when it wants more input, ENV_IN_DONE at the final NUL (which is not
 * consumed, nor anything after it), or the qmail-queue exit code to die
 * with: QQ_ENVELOPE (bad record letter, too many recipients or bytes),
 * QQ_ADDR_TOO_LONG (an address over LIMIT_ADDR), QQ_NOMEM.  *used says how
 * many bytes it consumed.
 *
 * env_next walks the records of a file image from *pos: 1 and the
 * record's letter (0 for an empty record) and value for each NUL-ended
 * record, 0 at the end, -1 for bytes at the end without a NUL (*pos is
 * left at them).
 */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stddef.h>

#include "str.h"

struct env_in {
	int		state;
	unsigned long	nrcpt;
	size_t		len;	/* of the address being read */
};
#define ENV_IN_INIT	{ 0, 0, 0 }
#define ENV_IN_DONE	1

int	 env_in_feed(struct env_in *, struct sa *, const char *, size_t,
	    size_t *);
int	 env_next(const char *, size_t, size_t *, int *, const char **,
	    size_t *);

#endif
