/*
 * dkim.h: names in the DKIM key layout (man/qmail-dksign.8): the domain
 * of control/dkim/DOMAIN/ and the selector of SELECTOR._domainkey.DOMAIN.
 *
 * dkim_domain gives the length of the domain s[0..n) in the canonical
 * form the layout uses (a trailing dot dropped) and lower-cases it in
 * place, or 0 if it will not do: LDH labels of 1-63 bytes, no hyphen at
 * either end of a label, at least two labels, at most 253 bytes.  An
 * address literal, a single label and anything that could name a path
 * outside control/dkim ("..", "/", a leading dot) are refused.
 * dkim_selector is 1 for a usable selector (LDH labels, at most 63
 * bytes in all), else 0.
 */
#ifndef DKIM_H
#define DKIM_H

#include <stddef.h>

#define DKIM_DOMAIN_MAX		253
#define DKIM_SELECTOR_MAX	63

size_t	 dkim_domain(char *, size_t);
int	 dkim_selector(const char *, size_t);

#endif
