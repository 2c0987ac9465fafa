/* fuzz target: lookups in an arbitrary (corrupt) cdb file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../lib/cdb.h"

const char prog[] = "fuzz-cdb";

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct cdb c;
	char key[4] = { 'a', 'b', 'c', 'd' };
	char tmp[] = "/tmp/fuzzcdb.XXXXXX";
	int fd = mkstemp(tmp), i;

	if (fd == -1)
		return 0;
	unlink(tmp);
	if (write(fd, d, n) != (ssize_t)n)
		abort();
	cdb_init(&c, fd);
	for (i = 0; i <= 4; i++) {
		cdb_findstart(&c);
		while (cdb_findnext(&c, key, (uint32_t)i) == 1)
			if (cdb_datapos(&c) > c.size ||
			    cdb_datalen(&c) > c.size - cdb_datapos(&c))
				abort();
	}
	cdb_free(&c);
	close(fd);
	return 0;
}
