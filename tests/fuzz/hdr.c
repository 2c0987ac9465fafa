/* fuzz target: address-list fields.  A list that parses rebuilds into a
 * list that parses again to the same text and the same addresses (the
 * rewriting is idempotent), and nothing is read past the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/hdr.h"

const char prog[] = "fuzz-hdr";

static const struct hdr_rwconf rc = { "h", "d.example", "p.example" };

static int
rw(struct hdr_addr *a, void *arg)
{
	struct sa *env = arg;

	if (hdr_rewrite(a, &rc) == -1)
		return -1;
	return hdr_addr_env(env, a) == -1 || sa_0(env) == -1 ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sa o1 = SA_INIT, o2 = SA_INIT, e1 = SA_INIT, e2 = SA_INIT;
	char *copy = malloc(n ? n : 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, d, n);	/* exact size: ASan sees any overread */
	if (hdr_addrlist(&o1, copy, n, 4, rw, &e1) == 1) {
		if (hdr_addrlist(&o2, o1.s, o1.len, 4, rw, &e2) != 1)
			abort();
		if (o1.len != o2.len || (o1.len && memcmp(o1.s, o2.s, o1.len)))
			abort();
		if (e1.len != e2.len || (e1.len && memcmp(e1.s, e2.s, e1.len)))
			abort();
	}
	free(copy);
	sa_free(&o1), sa_free(&o2), sa_free(&e1), sa_free(&e2);
	return 0;
}
