/*
 * qdir.h: list and count the message files in one queue directory.
 *
 * A queue file is named by its message id, the decimal inode number of its
 * mess file; names that are not all digits (or that start with a dot) are
 * not queue files and are skipped.  Functions returning int give 0 on
 * success, -1 with errno set.  One readdir pass per directory, no stat.
 */
#ifndef QDIR_H
#define QDIR_H

#include <stddef.h>

struct qids {
	unsigned long	*id;
	size_t		 len;
	size_t		 cap;
};
#define QIDS_INIT	{ 0, 0, 0 }

/* Parse a directory entry name as a message id: 1 if it is one. */
int	 qdir_name(const char *, unsigned long *);
/* Append the ids in a directory to the list, then sort the list. */
int	 qdir_list(struct qids *, const char *);
/* Count the entries that look like queue files (ids); -1 on error. */
long	 qdir_count(const char *);
/* Is the id in a sorted list? */
int	 qids_has(const struct qids *, unsigned long);
void	 qids_free(struct qids *);

#endif
