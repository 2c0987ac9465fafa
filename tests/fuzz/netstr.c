/* fuzz target: netstrings, parsed whole and streamed. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../lib/netstr.h"

const char prog[] = "fuzz-netstr";

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *data;
	size_t dlen, used;
	struct buf b;
	struct sa x = SA_INIT;
	char space[64];
	int p[2];

	used = ns_parse((const char *)d, n, &data, &dlen);
	if (used > n || (used && (data < (const char *)d ||
	    data + dlen > (const char *)d + n)))
		abort();
	if (n > 60000 || pipe(p) == -1)
		return 0;
	if (write(p[1], d, n) != (ssize_t)n)
		abort();
	close(p[1]);
	buf_init(&b, p[0], space, sizeof space);
	while (ns_get(&b, &x, 1000) == 1)
		if (x.len > 1000)
			abort();
	close(p[0]);
	sa_free(&x);
	return 0;
}
