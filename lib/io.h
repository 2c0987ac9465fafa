/*
 * io.h: buffered I/O on descriptors, timeouts, open/lock helpers.
 *
 * Functions returning int give 0 on success, -1 with errno set, unless the
 * comment says otherwise.  A read or write on a struct buf with a timeout
 * (seconds) or a deadline (absolute time) that passes fails with ETIMEDOUT.
 */
#ifndef IO_H
#define IO_H

#include <sys/types.h>
#include <time.h>

#include "str.h"

#define BUF_SIZE	8192

struct buf {
	char	*x;
	size_t	 p;		/* input: next unread byte */
	size_t	 n;		/* input: end of data; output: bytes pending */
	size_t	 cap;
	int	 fd;
	int	 timeout;	/* seconds per read or write, 0 = none */
	time_t	 deadline;	/* absolute, 0 = none */
};

void	 buf_init(struct buf *, int, char *, size_t);
#define BUF_INIT(fd, space)	{ (space), 0, 0, sizeof(space), (fd), 0, 0 }

/* input */
ssize_t	 buf_fill(struct buf *);	/* bytes added; 0 at EOF; -1 error */
ssize_t	 buf_get(struct buf *, char *, size_t);	/* like read(2) */
char	*buf_peek(struct buf *, size_t *);	/* unread bytes; *n = 0 at EOF, NULL on error */
void	 buf_seek(struct buf *, size_t);	/* consume n peeked bytes */
/* Append to sa up to and including sep, at most max bytes.
 * Returns 1 when sep was read, 2 when max bytes came first,
 * 0 at EOF (sa holds any partial line), -1 on error. */
int	 buf_getline(struct buf *, struct sa *, int, size_t);

/* output */
int	 buf_put(struct buf *, const char *, size_t);
int	 buf_puts(struct buf *, const char *);
int	 buf_flush(struct buf *);
int	 buf_putflush(struct buf *, const char *, size_t);
int	 buf_putsflush(struct buf *, const char *);
int	 buf_putulong(struct buf *, unsigned long);

/* raw descriptors: retry on EINTR; timeouts in seconds (0 = none) */
ssize_t	 io_read(int, char *, size_t, int, time_t);
ssize_t	 io_write(int, const char *, size_t, int, time_t);
int	 io_writeall(int, const char *, size_t);
int	 io_wait(int, short, int, time_t);	/* poll one fd; 0 ready, -1 ETIMEDOUT or error */

/* whole small files: 1 read, 0 absent (ENOENT), -1 error (E2BIG past max) */
int	 io_readfile(struct sa *, const char *, size_t);

/* descriptors */
int	 fd_move(int, int);	/* make `to` refer to `from`, close `from` */
int	 fd_copy(int, int);
int	 fd_cloexec(int);
int	 fd_nonblock(int);
int	 fd_block(int);
int	 open_read(const char *);
int	 open_write(const char *);	/* existing file, O_NONBLOCK */
int	 open_append(const char *);
int	 open_trunc(const char *);
int	 open_excl(const char *);	/* create, fail if it exists, 0644 */
int	 lock_ex(int);
int	 lock_exnb(int);
int	 lock_un(int);

#endif
