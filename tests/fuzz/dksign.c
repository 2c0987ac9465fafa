/*
 * fuzz target: qmail-dksign's header section and names (lib/dksign.h).
 * The section must come out the same however the message is cut into
 * chunks; its fields, joined, must be exactly the bytes before the body
 * less the empty line; each field must start a field (hdr_name) and its
 * other lines be continuations.  A domain the layout accepts must be a
 * fixed point and hold nothing but LDH bytes and dots.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/dksign.h"
#include "../../lib/hdr.h"

const char prog[] = "fuzz-dksign";

static int
section(const char *s, size_t n, size_t step, struct dksign_hdr *h)
{
	size_t i, k;
	int r = 0;

	for (i = 0; i < n && r == 0; i += k) {
		k = step > n - i ? n - i : step;
		r = dksign_hdr_feed(h, s + i, k);
	}
	if (r == 0)
		r = dksign_hdr_eof(h);
	return r;
}

static void
check_fields(const char *s, const struct dksign_hdr *h)
{
	size_t p = 0, q = 0, f, j;

	while (p < h->fields.len) {
		f = byte_chr(h->fields.s + p, h->fields.len - p, '\0');
		if (f == h->fields.len - p || hdr_name(h->fields.s + p, f) == 0)
			abort();
		for (j = 0; j + 1 < f; j++)
			if (h->fields.s[p + j] == '\n' &&
			    h->fields.s[p + j + 1] != ' ' &&
			    h->fields.s[p + j + 1] != '\t')
				abort();
		if (memcmp(h->fields.s + p, s + q, f) != 0)
			abort();
		q += f, p += f + 1;
	}
	/* what is left of the section is the empty line, or nothing */
	if (h->used != q && !(h->used == q + 1 && s[q] == '\n'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct dksign_hdr a = DKSIGN_HDR_INIT, b = DKSIGN_HDR_INIT;
	char d[300];
	size_t n;

	if (section(s, size, size + 1, &a) != 1 || section(s, size,
	    1 + size % 7, &b) != 1)
		abort();
	if (a.toobig != b.toobig || a.nul != b.nul)
		abort();
	if (!a.toobig && !a.nul && (a.used != b.used ||
	    a.fields.len != b.fields.len || (a.fields.len > 0 &&
	    memcmp(a.fields.s, b.fields.s, a.fields.len) != 0)))
		abort();
	if (!a.toobig && !a.nul)
		check_fields(s, &a);
	dksign_hdr_free(&a);
	dksign_hdr_free(&b);

	n = size < sizeof d ? size : sizeof d;
	memcpy(d, s, n);
	if ((n = dksign_domain(d, n)) > 0) {
		d[n] = '\0';
		if (n > DKSIGN_DOMAIN_MAX || dksign_domain(d, n) != n ||
		    strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789-.") != n)
			abort();
	}
	(void)dksign_selector(s, size);
	return 0;
}
