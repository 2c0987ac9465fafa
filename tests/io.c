/* unit tests for lib/io.h */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "../lib/io.h"

static int
pipe_with(const char *s, size_t n)
{
	int p[2];

	if (pipe(p) == -1)
		return -1;
	if (n && write(p[1], s, n) != (ssize_t)n)
		return -1;
	close(p[1]);
	return p[0];
}

static void
test_getline_splits_and_bounds(void)
{
	char space[8];
	struct buf b;
	struct sa line = SA_INIT;
	int fd = pipe_with("one\ntwo-is-longer\nlast", 22);

	buf_init(&b, fd, space, sizeof space);
	CHECK(buf_getline(&b, &line, '\n', 100) == 1);
	CHECK(line.len == 4 && memcmp(line.s, "one\n", 4) == 0);
	line.len = 0;
	CHECK(buf_getline(&b, &line, '\n', 5) == 2);	/* ceiling first */
	CHECK(line.len == 5 && memcmp(line.s, "two-i", 5) == 0);
	line.len = 0;
	CHECK(buf_getline(&b, &line, '\n', 100) == 1);
	CHECK(line.len == 9 && memcmp(line.s, "s-longer\n", 9) == 0);
	line.len = 0;
	CHECK(buf_getline(&b, &line, '\n', 100) == 0);	/* EOF, partial */
	CHECK(line.len == 4 && memcmp(line.s, "last", 4) == 0);
	close(fd);
	sa_free(&line);
}

static void
test_read_timeout(void)
{
	char space[8];
	struct buf b;
	int p[2];
	time_t start = time(NULL);

	CHECK(pipe(p) == 0);
	buf_init(&b, p[0], space, sizeof space);
	b.timeout = 1;
	CHECK(buf_fill(&b) == -1 && errno == ETIMEDOUT);
	b.timeout = 0;
	b.deadline = time(NULL) - 1;	/* already past */
	CHECK(buf_fill(&b) == -1 && errno == ETIMEDOUT);
	CHECK(time(NULL) - start <= 3);
	close(p[0]), close(p[1]);
}

static void
test_put_flush_large(void)
{
	char space[16], big[100000], back[100000];
	struct buf b;
	int fd = open("io.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
	size_t i;

	for (i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	buf_init(&b, fd, space, sizeof space);
	CHECK(buf_puts(&b, "head") == 0);
	CHECK(buf_put(&b, big, sizeof big) == 0);
	CHECK(buf_flush(&b) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(read(fd, back, 4) == 4 && memcmp(back, "head", 4) == 0);
	CHECK(read(fd, back, sizeof back) == (ssize_t)sizeof back);
	CHECK(memcmp(back, big, sizeof big) == 0);
	close(fd);
	unlink("io.tmp");
}

static void
test_readfile_limit(void)
{
	struct sa x = SA_INIT;
	int fd = open("io.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);

	CHECK(write(fd, "0123456789", 10) == 10);
	close(fd);
	CHECK(io_readfile(&x, "io.tmp", 100) == 1 && x.len == 10);
	CHECK(io_readfile(&x, "io.tmp", 5) == -1 && errno == E2BIG);
	CHECK(io_readfile(&x, "io.absent", 5) == 0);
	unlink("io.tmp");
	sa_free(&x);
}

int
main(void)
{
	RUN(test_getline_splits_and_bounds);
	RUN(test_read_timeout);
	RUN(test_put_flush_large);
	RUN(test_readfile_limit);
	return CHECK_DONE();
}
