/* fuzz target: constant maps built from arbitrary control-file records. */
#include <stdint.h>
#include <stdlib.h>

#include "../../lib/control.h"

const char prog[] = "fuzz-control";

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct cmap m;
	const char *s = (const char *)d;

	if (cmap_init(&m, s, n, n && d[0] & 1 ? ':' : 0) == -1)
		return 0;
	cmap_get(&m, s, n < 8 ? n : 8);
	cmap_domain(&m, s, n < 40 ? n : 40);
	cmap_free(&m);
	return 0;
}
