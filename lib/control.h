/*
 * control.h: control files, read the same way everywhere.
 *
 * File names are relative to the current directory (programs chdir to the
 * qmail home first), e.g. "control/me".  Trailing spaces, tabs and CRs are
 * removed from every line; readfile skips empty lines and lines starting
 * with '#'.  Return values: 1 read, 0 the file does not exist (the default
 * applies), -1 error with errno set (a control file that exists but cannot
 * be read is a temporary failure, never "use the default").
 */
#ifndef CONTROL_H
#define CONTROL_H

#include "str.h"

int	 ctl_readline(struct sa *, const char *);	/* first line */
int	 ctl_rldef(struct sa *, const char *, const char *);	/* empty or absent: default */
int	 ctl_readulong(unsigned long *, const char *, unsigned long);	/* -1 EINVAL if not a number */
int	 ctl_readfile(struct sa *, const char *);	/* lines, each NUL-terminated, NULs counted */
int	 ctl_me(struct sa *);	/* control/me, else the host name */

/*
 * A constant map of case-insensitive keys, built from NUL-terminated
 * records.  With a separator, each record is key SEP value (records with
 * no separator are skipped); without one (0) every record is a key with an
 * empty value.  Keys are looked up exactly as given: callers lower-case
 * nothing.  cmap_get returns the value (NUL-terminated) or NULL.
 */
struct cmap {
	struct cmap_ent	*ent;
	size_t		 mask;
	char		*store;
};
struct cmap_ent {
	const char	*key;
	size_t		 klen;
	const char	*val;
	unsigned long	 hash;
};
int	 cmap_init(struct cmap *, const char *, size_t, int);
const char *cmap_get(const struct cmap *, const char *, size_t);
void	 cmap_free(struct cmap *);
/* host, or ".suffix" of it at any dot: the rcpthosts/locals rule */
int	 cmap_domain(const struct cmap *, const char *, size_t);
/* host, then ".suffix" of it at each dot, then "" (a ":value" line): the
 * value of the first that is there, or NULL (smtproutes, tlsdestinations) */
const char *cmap_route(const struct cmap *, const char *, size_t);

#endif
