/* fuzz target: SMTP paths.  A parsed path must quote and parse back to
 * itself, and the parser must never read past its input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/addr.h"

const char prog[] = "fuzz-addr";

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sa a = SA_INIT, q = SA_INIT, b = SA_INIT;
	size_t used;

	used = addr_parse_path(&a, (const char *)d, n);
	if (used > n)
		abort();
	if (used && a.len && byte_chr(a.s, a.len, '@') == a.len) {
		sa_catc(&q, '<');
		addr_quote(&q, a.s, a.len);
		sa_catc(&q, '>');
		if (addr_parse_path(&b, q.s, q.len) != q.len ||
		    b.len != a.len || memcmp(a.s, b.s, a.len))
			abort();
	}
	sa_free(&a), sa_free(&q), sa_free(&b);
	return 0;
}
