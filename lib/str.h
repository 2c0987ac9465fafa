/*
 * str.h: bytes, growable strings, numbers, memory.
 *
 * Functions returning int give 0 on success, -1 with errno set (ENOMEM).
 * Scanners return the number of bytes consumed, 0 for invalid input.
 * A struct sa is a pointer and a length; it is NUL-terminated only when
 * sa_str() is asked to, at the libc boundary.
 */
#ifndef STR_H
#define STR_H

#include <stddef.h>

struct sa {
	char	*s;
	size_t	 len;
	size_t	 cap;
};
#define SA_INIT	{ 0, 0, 0 }

int	 sa_ready(struct sa *, size_t);
int	 sa_readyplus(struct sa *, size_t);
int	 sa_catb(struct sa *, const char *, size_t);
int	 sa_cats(struct sa *, const char *);
int	 sa_cat(struct sa *, const struct sa *);
int	 sa_catc(struct sa *, int);
int	 sa_copyb(struct sa *, const char *, size_t);
int	 sa_copys(struct sa *, const char *);
int	 sa_copy(struct sa *, const struct sa *);
int	 sa_catulong(struct sa *, unsigned long);
int	 sa_0(struct sa *);		/* append a NUL that counts in len */
char	*sa_str(struct sa *);		/* NUL after len, not counted; NULL on ENOMEM */
void	 sa_free(struct sa *);
#define sa_cats2(x, a, b)	(sa_cats((x), (a)) == -1 ? -1 : sa_cats((x), (b)))

/* allocation whose size computation cannot wrap */
void	*alloc_array(size_t, size_t);
void	*realloc_array(void *, size_t, size_t);

/* numbers: fmt_* write at most FMT_ULONG bytes (no NUL) and return the count;
 * a NULL buffer only counts */
#define FMT_ULONG	40
size_t	 fmt_ulong(char *, unsigned long);
size_t	 fmt_ulong0(char *, unsigned long, size_t);	/* zero-padded */
size_t	 fmt_xlong(char *, unsigned long);
size_t	 scan_ulong(const char *, size_t, unsigned long *);	/* 0: no digit or overflow */

/* bytes */
size_t	 byte_chr(const char *, size_t, int);	/* index of first c, or n */
size_t	 byte_rchr(const char *, size_t, int);	/* index of last c, or n */
int	 byte_equal(const char *, size_t, const char *);
size_t	 str_len(const char *);
int	 str_equal(const char *, const char *);
int	 str_start(const char *, const char *);
int	 case_equalb(const char *, size_t, const char *);	/* ASCII only */
int	 case_equals(const char *, const char *);
int	 case_startb(const char *, size_t, const char *);
void	 case_lowerb(char *, size_t);

#endif
