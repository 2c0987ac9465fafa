/* fuzz target: base64 as SMTP AUTH reads it.  Whatever decodes must
 * encode back to the very input (the decoder takes canonical text only);
 * whatever is encoded must decode back to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/b64.h"

const char prog[] = "fuzz-b64";

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sa x = SA_INIT, y = SA_INIT;

	if (b64_decode(&x, (const char *)d, n) == 0) {
		if (x.len != n / 4 * 3 - (n && d[n - 1] == '=') -
		    (n > 1 && d[n - 2] == '='))
			abort();
		if (b64_encode(&y, x.s ? x.s : "", x.len) == -1)
			abort();
		if (y.len != n || (n && memcmp(y.s, d, n) != 0))
			abort();
	} else if (x.len != 0)
		abort();
	if (b64_encode(&x, (const char *)d, n) == -1 ||
	    b64_decode(&y, x.s ? x.s : "", x.len) == -1 ||
	    y.len != n || (n && memcmp(y.s, d, n) != 0))
		abort();
	sa_free(&x);
	sa_free(&y);
	return 0;
}
