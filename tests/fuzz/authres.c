/* fuzz target: header fields, the authserv-id match, the A-R writer and
 * the exemption list on untrusted bytes.  The fields read cover the input
 * exactly (each starts where the last ended, the body where the last
 * ended), no field is kept past its bound, and what the writer makes is
 * one field that the reader reads back whole and that claims its id. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/authres.h"

const char prog[] = "fuzz-authres";

static void
fields(const char *d, size_t n)
{
	char space[16];	/* tiny: every field crosses the buffer */
	struct sa f = SA_INIT;
	struct buf b;
	struct hf h;
	off_t last = 0;
	int p[2], r;

	if (n > 4096 || pipe(p) == -1)
		return;
	if (io_writeall(p[1], d, n) == -1)
		abort();
	close(p[1]);
	buf_init(&b, p[0], space, sizeof space);
	hf_init(&h, &b);
	while ((r = hf_next(&h, &f, 64)) == 1) {
		if (h.start != last || h.off <= h.start || f.len > 64)
			abort();
		if (!h.trunc && f.len > (size_t)(h.off - h.start))
			abort();
		last = h.off;
	}
	if (r != 0 || h.off < last || h.off > (off_t)n)
		abort();
	close(p[0]);
	sa_free(&f);
}

static void
writer(const char *d, size_t n)
{
	struct sa out = SA_INIT, f = SA_INIT;
	size_t half = n / 2, v;
	struct ar a;
	int p[2];

	if (ar_begin(&a, &out, "mx.example", 10) == -1 ||
	    ar_result(&a, "spf", "pass", NULL) == -1 ||
	    ar_prop(&a, "smtp.mailfrom", d, half) == -1 ||
	    ar_comment(&a, d + half, n - half) == -1 || ar_end(&a) == -1)
		abort();
	if (out.len > 2 * 1024 || pipe(p) == -1)
		abort();
	if (io_writeall(p[1], out.s, out.len) == -1)
		abort();
	close(p[1]);
	{
		char space[BUF_SIZE];
		struct buf b;
		struct hf h;

		buf_init(&b, p[0], space, sizeof space);
		hf_init(&h, &b);
		if (hf_next(&h, &f, 4096) != 1 || h.off != (off_t)out.len ||
		    f.len != out.len - 1)
			abort();
	}
	close(p[0]);
	v = byte_chr(f.s, f.len, ':') + 1;
	if (!ar_ours(f.s + v, f.len - v, "MX.example", 10))
		abort();
	sa_free(&out);
	sa_free(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	char *d = malloc(n ? n : 1);

	if (d == NULL)
		return 0;
	memcpy(d, data, n);	/* exact size: ASan sees any overread */
	fields(d, n);
	writer(d, n);
	(void)ar_ours(d, n, "mx.example", 10);
	(void)skip_ip(d, n, "192.0.2.1");
	(void)skip_ip(d, n, "2001:db8::1");
	(void)skip_sender(d, n, "u@example.org", 13);
	free(d);
	return 0;
}
