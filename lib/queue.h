/*
 * queue.h: the on-disk queue (see man/qmail-queue.8 and DESIGN.md).
 *
 * Paths are relative to the queue directory.  Functions returning int give
 * 0 on success, -1 with errno set; the paths they build are NUL-terminated
 * (the NUL is not counted in len).
 */
#ifndef QUEUE_H
#define QUEUE_H

#include "str.h"

int	 queue_path(struct sa *, const char *, unsigned long);		/* dir/id */
int	 queue_split_path(struct sa *, const char *, unsigned long);	/* dir/(id%split)/id */
unsigned long queue_split(unsigned long);
void	 queue_trigger(void);	/* wake qmail-send: one byte into lock/trigger */

#endif
