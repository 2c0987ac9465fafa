/* unit tests for lib/cdb.h */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "../lib/cdb.h"

static void
test_cdb_make_then_find(void)
{
	struct cdb_make m;
	struct cdb c;
	char key[32], data[64];
	int fd, i, n;

	fd = open("t.cdb", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(cdb_make_start(&m, fd) == 0);
	for (i = 0; i < 5000; i++) {
		n = snprintf(key, sizeof key, "key%d", i);
		CHECK(cdb_make_add(&m, key, (uint32_t)n, key, (uint32_t)n) == 0);
	}
	CHECK(cdb_make_add(&m, "dup", 3, "one", 3) == 0);
	CHECK(cdb_make_add(&m, "dup", 3, "two", 3) == 0);
	CHECK(cdb_make_add(&m, "", 0, "empty", 5) == 0);
	CHECK(cdb_make_finish(&m) == 0);
	cdb_init(&c, fd);
	for (i = 0; i < 5000; i += 7) {
		n = snprintf(key, sizeof key, "key%d", i);
		CHECK(cdb_find(&c, key, (uint32_t)n) == 1);
		CHECK(cdb_datalen(&c) == (uint32_t)n);
		CHECK(cdb_read(&c, data, cdb_datalen(&c), cdb_datapos(&c)) == 0);
		CHECK(memcmp(data, key, (size_t)n) == 0);
	}
	CHECK(cdb_find(&c, "nokey", 5) == 0);
	cdb_findstart(&c);
	CHECK(cdb_findnext(&c, "dup", 3) == 1);
	CHECK(cdb_read(&c, data, 3, cdb_datapos(&c)) == 0 && memcmp(data, "one", 3) == 0);
	CHECK(cdb_findnext(&c, "dup", 3) == 1);
	CHECK(cdb_read(&c, data, 3, cdb_datapos(&c)) == 0 && memcmp(data, "two", 3) == 0);
	CHECK(cdb_findnext(&c, "dup", 3) == 0);
	CHECK(cdb_find(&c, "", 0) == 1 && cdb_datalen(&c) == 5);
	cdb_free(&c);
	close(fd);
	unlink("t.cdb");
}

static void
test_cdb_corrupt_is_eproto(void)
{
	struct cdb c;
	char junk[4096];
	int fd;

	/* a table that points far past the end of the file */
	memset(junk, 0xff, sizeof junk);
	fd = open("bad.cdb", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(write(fd, junk, sizeof junk) == (ssize_t)sizeof junk);
	cdb_init(&c, fd);
	CHECK(cdb_find(&c, "a", 1) == -1 && errno == EPROTO);
	cdb_free(&c);
	close(fd);
	/* a file shorter than its header */
	fd = open("bad.cdb", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(write(fd, junk, 100) == 100);
	cdb_init(&c, fd);
	CHECK(cdb_find(&c, "a", 1) == -1 && errno == EPROTO);
	cdb_free(&c);
	close(fd);
	unlink("bad.cdb");
}

int
main(void)
{
	RUN(test_cdb_make_then_find);
	RUN(test_cdb_corrupt_is_eproto);
	return CHECK_DONE();
}
