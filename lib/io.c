/*
 * io.c: buffered I/O, timeouts and descriptor helpers (io.h).
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

void
buf_init(struct buf *b, int fd, char *space, size_t cap)
{
	b->x = space, b->cap = cap, b->p = b->n = 0;
	b->fd = fd, b->timeout = 0, b->deadline = 0;
}

/* Wait until fd is ready for ev, no longer than timeout seconds and no
 * later than deadline. */
int
io_wait(int fd, short ev, int timeout, time_t deadline)
{
	struct pollfd pfd;
	long ms = -1;
	time_t now;
	int r;

	if (timeout <= 0 && deadline <= 0)
		return 0;
	for (;;) {
		if (timeout > 0)
			ms = (long)timeout * 1000;
		if (deadline > 0) {
			now = time(NULL);
			if (now >= deadline)
				return errno = ETIMEDOUT, -1;
			if (ms < 0 || (deadline - now) * 1000L < ms)
				ms = (long)(deadline - now) * 1000L;
		}
		pfd.fd = fd, pfd.events = ev, pfd.revents = 0;
		r = poll(&pfd, 1, (int)ms);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return errno = ETIMEDOUT, -1;
		return 0;	/* readable, writable, or an error the call will report */
	}
}

ssize_t
io_read(int fd, char *x, size_t n, int timeout, time_t deadline)
{
	ssize_t r;

	for (;;) {
		if (io_wait(fd, POLLIN, timeout, deadline) == -1)
			return -1;
		r = read(fd, x, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    (timeout > 0 || deadline > 0))
			continue;
		return r;
	}
}

ssize_t
io_write(int fd, const char *x, size_t n, int timeout, time_t deadline)
{
	ssize_t r;

	for (;;) {
		if (io_wait(fd, POLLOUT, timeout, deadline) == -1)
			return -1;
		r = write(fd, x, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    (timeout > 0 || deadline > 0))
			continue;
		return r;
	}
}

int
io_writeall(int fd, const char *x, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, x, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		x += w, n -= (size_t)w;
	}
	return 0;
}

ssize_t
buf_fill(struct buf *b)
{
	ssize_t r;

	if (b->p == b->n)
		b->p = b->n = 0;
	else if (b->n == b->cap && b->p > 0) {
		memmove(b->x, b->x + b->p, b->n - b->p);
		b->n -= b->p, b->p = 0;
	}
	if (b->n == b->cap)
		return errno = ENOBUFS, -1;
	r = io_read(b->fd, b->x + b->n, b->cap - b->n, b->timeout, b->deadline);
	if (r > 0)
		b->n += (size_t)r;
	return r;
}

char *
buf_peek(struct buf *b, size_t *n)
{
	ssize_t r;

	if (b->p == b->n) {
		r = buf_fill(b);
		if (r == -1)
			return NULL;
	}
	*n = b->n - b->p;
	return b->x + b->p;
}

void
buf_seek(struct buf *b, size_t n)
{
	b->p += n;
}

ssize_t
buf_get(struct buf *b, char *x, size_t n)
{
	size_t avail;
	char *p;

	if (b->p == b->n && n >= b->cap)	/* large read: bypass the buffer */
		return io_read(b->fd, x, n, b->timeout, b->deadline);
	if ((p = buf_peek(b, &avail)) == NULL)
		return -1;
	if (avail > n)
		avail = n;
	memcpy(x, p, avail);
	b->p += avail;
	return (ssize_t)avail;
}

int
buf_getline(struct buf *b, struct sa *sa, int sep, size_t max)
{
	size_t avail, i, used = 0;
	char *p;

	for (;;) {
		if ((p = buf_peek(b, &avail)) == NULL)
			return -1;
		if (avail == 0)
			return 0;
		i = byte_chr(p, avail, sep);
		if (i < avail)
			++i;
		if (i > max - used)
			i = max - used;
		if (sa_catb(sa, p, i) == -1)
			return -1;
		b->p += i, used += i;
		if (i > 0 && p[i - 1] == (char)sep)
			return 1;
		if (used >= max)
			return 2;
	}
}

int
buf_flush(struct buf *b)
{
	size_t done = 0;
	ssize_t w;

	while (done < b->n) {
		w = io_write(b->fd, b->x + done, b->n - done, b->timeout,
		    b->deadline);
		if (w == -1) {
			memmove(b->x, b->x + done, b->n - done);
			b->n -= done;
			return -1;
		}
		done += (size_t)w;
	}
	b->n = 0;
	return 0;
}

int
buf_put(struct buf *b, const char *x, size_t n)
{
	size_t room;
	ssize_t w;

	while (n > b->cap - b->n) {
		if (b->n == 0) {	/* large write: bypass the buffer */
			w = io_write(b->fd, x, n, b->timeout, b->deadline);
			if (w == -1)
				return -1;
			x += w, n -= (size_t)w;
			continue;
		}
		room = b->cap - b->n;
		memcpy(b->x + b->n, x, room);
		b->n += room, x += room, n -= room;
		if (buf_flush(b) == -1)
			return -1;
	}
	memcpy(b->x + b->n, x, n);
	b->n += n;
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

int
buf_putflush(struct buf *b, const char *x, size_t n)
{
	if (buf_put(b, x, n) == -1)
		return -1;
	return buf_flush(b);
}

int
buf_putsflush(struct buf *b, const char *s)
{
	return buf_putflush(b, s, strlen(s));
}

int
buf_putulong(struct buf *b, unsigned long u)
{
	char num[FMT_ULONG];

	return buf_put(b, num, fmt_ulong(num, u));
}

int
io_readfile(struct sa *sa, const char *fn, size_t max)
{
	char tmp[4096];
	ssize_t r;
	int fd;

	sa->len = 0;
	if ((fd = open(fn, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	for (;;) {
		r = read(fd, tmp, sizeof tmp);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if ((size_t)r > max - sa->len) {
			close(fd);
			return errno = E2BIG, -1;
		}
		if (sa_catb(sa, tmp, (size_t)r) == -1) {
			close(fd);
			return -1;
		}
	}
	if (r == -1) {
		int e = errno;
		close(fd);
		return errno = e, -1;
	}
	close(fd);
	return 1;
}

int
fd_copy(int to, int from)
{
	if (to == from)
		return 0;
	return dup2(from, to) == -1 ? -1 : 0;
}

int
fd_move(int to, int from)
{
	if (to == from)
		return 0;
	if (dup2(from, to) == -1)
		return -1;
	close(from);
	return 0;
}

int
fd_cloexec(int fd)
{
	return fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ? -1 : 0;
}

int
fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ? -1 : 0;
}

int
fd_block(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1 ? -1 : 0;
}

int
open_read(const char *fn)
{
	return open(fn, O_RDONLY | O_NONBLOCK);
}

int
open_write(const char *fn)
{
	return open(fn, O_WRONLY | O_NONBLOCK);
}

int
open_append(const char *fn)
{
	return open(fn, O_WRONLY | O_APPEND | O_CREAT, 0600);
}

int
open_trunc(const char *fn)
{
	return open(fn, O_WRONLY | O_TRUNC | O_CREAT, 0644);
}

int
open_excl(const char *fn)
{
	return open(fn, O_WRONLY | O_EXCL | O_CREAT, 0644);
}

int
lock_ex(int fd)
{
	int r;

	while ((r = flock(fd, LOCK_EX)) == -1 && errno == EINTR)
		;
	return r;
}

int
lock_exnb(int fd)
{
	return flock(fd, LOCK_EX | LOCK_NB);
}

int
lock_un(int fd)
{
	return flock(fd, LOCK_UN);
}
