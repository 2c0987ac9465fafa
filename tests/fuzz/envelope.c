/*
 * fuzz target: envelope records (lib/envelope.h).  qmail-queue's parser
 * must give the same answer however its input is cut into reads; what it
 * accepts must re-serialise to the input it consumed (F first, then T
 * records, no address over LIMIT_ADDR); it must refuse exactly what a
 * plain reading of envelopes(5) refuses.  The record walker must cover
 * its input exactly, record by record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/die.h"
#include "../../lib/envelope.h"
#include "../../lib/limit.h"

const char prog[] = "fuzz-envelope";

static int
feed(const char *s, size_t n, size_t step, struct sa *e, size_t *used)
{
	struct env_in st = ENV_IN_INIT;
	size_t pos = 0, k, u;
	int r = 0;

	e->len = 0;
	while (pos < n) {
		k = n - pos < step ? n - pos : step;
		r = env_in_feed(&st, e, s + pos, k, &u);
		if (u > k || (r == 0 && u != k))
			abort();
		pos += u;
		if (r)
			break;
	}
	*used = pos;
	return r;
}

/* The reference: what envelopes(5) says of s[0, n). */
static int
model(const char *s, size_t n, size_t *used)
{
	size_t i = 0, e;

	for (;;) {
		if (i == n)
			return *used = i, 0;
		if (i > 0 && s[i] == 0)
			return *used = i, ENV_IN_DONE;
		if (s[i] != (i == 0 ? 'F' : 'T'))
			return *used = i, QQ_ENVELOPE;
		e = i + 1;
		while (e < n && s[e] != 0 && e - i - 1 < LIMIT_ADDR + 1)
			++e;
		if (e - i - 1 > LIMIT_ADDR)
			return *used = i, QQ_ADDR_TOO_LONG;	/* (used: unchecked) */
		if (e == n)
			return *used = n, 0;
		i = e + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sa a = SA_INIT, b = SA_INIT, r = SA_INIT;
	const char *s, *v;
	size_t ua, ub, um, pos, last, vl;
	int ra, rb, rm, k, t;

	if (n < 1)
		return 0;
	s = (const char *)d + 1;
	ra = feed(s, n - 1, n - 1 ? n - 1 : 1, &a, &ua);
	rb = feed(s, n - 1, d[0] % 32 + 1, &b, &ub);
	rm = model(s, n - 1, &um);
	if (ra != rb)
		abort();
	/* after a refusal e is thrown away: only its contents on success count */
	if ((ra == 0 || ra == ENV_IN_DONE) && (a.len != b.len ||
	    (a.len && memcmp(a.s, b.s, a.len))))
		abort();
	if (ra != rm && ra != QQ_NOMEM)
		abort();
	if (ra != QQ_ADDR_TOO_LONG && (ua != ub || ua != um))
		abort();
	if ((ra == 0 || ra == ENV_IN_DONE) &&
	    (a.len != ua || (ua && memcmp(a.s, s, ua))))
		abort();
	/* the walker: records concatenated give back the input */
	pos = 0, last = 0;
	while ((k = env_next(s, n - 1, &pos, &t, &v, &vl)) == 1) {
		if (pos <= last && !(pos == 0 && last == 0))
			abort();
		if (t) {
			if (v != s + last + 1 || vl != pos - last - 2)
				abort();
			sa_catc(&r, (char)t), sa_catb(&r, v, vl);
		} else if (vl != 0 || pos != last + 1)
			abort();
		sa_catc(&r, 0);
		last = pos;
	}
	if (pos > n - 1 || (k == 0 && pos != n - 1) ||
	    (k == -1 && (pos != last || memchr(s + pos, 0, n - 1 - pos))))
		abort();
	if (k == -1)
		sa_catb(&r, s + pos, n - 1 - pos);
	if (r.len != n - 1 || (r.len && memcmp(r.s, s, r.len)))
		abort();
	sa_free(&a), sa_free(&b), sa_free(&r);
	return 0;
}
