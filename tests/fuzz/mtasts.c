/*
 * fuzz target: the MTA-STS parsers (lib/mtasts.h).  A policy that parses
 * has a mode, a capped max_age and at most MTASTS_MXMAX valid patterns,
 * each of which matches a host made from it; written out as a cache
 * record it parses back to the same facts.  The TXT, HTTP and cache
 * record parsers see the same bytes and must stay inside them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/mtasts.h"

const char prog[] = "fuzz-mtasts";

static struct mtasts p, q;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *s = (const char *)data;
	char id[MTASTS_IDLEN + 1], host[DNS_NAME + 8];
	struct sa o = SA_INIT, b = SA_INIT;
	size_t i;

	if (mtasts_policy(&p, s, len) == NULL) {
		if (p.mode < MTASTS_NONE || p.mode > MTASTS_ENFORCE ||
		    p.max_age > MTASTS_MAXAGE || p.nmx > MTASTS_MXMAX ||
		    (p.mode != MTASTS_NONE && p.nmx == 0))
			abort();
		for (i = 0; i < p.nmx; i++) {
			size_t n = strlen(p.mx[i]);
			if (n == 0 || n > 253)
				abort();
			memcpy(host, p.mx[i], n + 1);
			if (host[0] == '*')
				host[0] = 'x';
			if (!mtasts_mx_allowed(&p, host))
				abort();
		}
		memcpy(p.domain, "fuzz.test", 10);
		memcpy(p.id, "1", 2);
		p.has_policy = 1, p.fetched = 1, p.refresh = 2, p.expires = 3;
		if (mtasts_fmt(&o, &p) == -1)
			abort();
		if (mtasts_parse(&q, o.s, o.len) != NULL || q.nmx != p.nmx ||
		    q.mode != p.mode || q.max_age != p.max_age)
			abort();
		for (i = 0; i < p.nmx; i++)
			if (strcmp(p.mx[i], q.mx[i]) != 0)
				abort();
	}
	if (mtasts_txt(id, s, len) == 1 &&
	    (strlen(id) == 0 || strlen(id) > MTASTS_IDLEN))
		abort();
	(void)mtasts_txt_pick(id, s, len);
	if (mtasts_http(&b, s, len, len & 1) == NULL && (b.len > len ||
	    b.len > MTASTS_MAXPOLICY))
		abort();
	(void)mtasts_parse(&q, s, len);
	sa_free(&o);
	sa_free(&b);
	return 0;
}
