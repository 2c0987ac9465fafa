/*
 * dksign.h: what qmail-dksign parses (man/qmail-dksign.8): the names of
 * its key layout, and the header section of the message it signs.
 *
 * dksign_domain gives the length of the domain s[0..n) in the canonical
 * form the layout uses (a trailing dot dropped) and lower-cases it in
 * place, or 0 if it will not do: LDH labels of 1-63 bytes, no hyphen at
 * either end of a label, at least two labels, at most 253 bytes.  An
 * address literal, a single label and anything that could name a path
 * outside control/dkim ("..", "/", a leading dot) are refused.
 * dksign_selector is 1 for a usable selector (LDH labels, at most 63
 * bytes in all), else 0.
 *
 * dksign_hdr_feed reads the header section of a message (lines ending
 * in LF, as in the queue) from successive chunks: each field with its
 * continuation lines goes into fields, followed by a NUL.  The section
 * ends at the first empty line (which belongs to it) or at the first
 * line that is neither a field ("Name:", hdr.h) nor a continuation (a
 * space or tab after a field; that line starts the body).  It returns 1
 * when the section is complete, with used the offset of the body; 0 when
 * it wants more; -1 out of memory.  It consumes whole chunks: the caller
 * finds the body at offset used.  dksign_hdr_eof ends the section at the
 * end of the message (a last line without LF counts as a line).  Past
 * DKSIGN_HDR_MAX bytes or DKSIGN_FIELDS_MAX fields it stops with toobig
 * set, at a NUL byte in a field with nul set (then fields and used mean
 * nothing: such a header is not signed).  Work is linear in the input.
 */
#ifndef DKSIGN_H
#define DKSIGN_H

#include <stddef.h>

#include "str.h"

#define DKSIGN_DOMAIN_MAX	253
#define DKSIGN_SELECTOR_MAX	63
#define DKSIGN_HDR_MAX		(1UL << 20)	/* bytes of header signed */
#define DKSIGN_FIELDS_MAX	10000		/* fields signed */

size_t	 dksign_domain(char *, size_t);
int	 dksign_selector(const char *, size_t);

struct dksign_hdr {
	struct sa	 fields;	/* field\0field\0..., LF line ends */
	size_t		 nfields;
	size_t		 used;		/* bytes of the section */
	int		 toobig;
	int		 nul;
	int		 done;
	int		 infield;
	struct sa	 line;		/* a line not yet complete */
};
#define DKSIGN_HDR_INIT	{ SA_INIT, 0, 0, 0, 0, 0, 0, SA_INIT }

int	 dksign_hdr_feed(struct dksign_hdr *, const char *, size_t);
int	 dksign_hdr_eof(struct dksign_hdr *);
void	 dksign_hdr_free(struct dksign_hdr *);

#endif
