/* unit tests for lib/smtp.h: hostile command lines and DATA streams */
#include <string.h>

#include "check.h"
#include "../lib/smtp.h"

/* Run s through the DATA machine in chunks of step bytes into out. */
static size_t
data(const char *s, size_t n, size_t step, char *out, size_t *olen,
    struct smtp_data *d)
{
	size_t pos = 0, used, got, k;

	*olen = 0;
	while (pos < n && !d->done) {
		k = n - pos < step ? n - pos : step;
		used = smtp_data_scan(d, s + pos, k, out + *olen, 4096 - *olen,
		    &got);
		pos += used, *olen += got;
	}
	return pos;
}

#define DATA(str, step) (memset(&d, 0, sizeof d), \
	data(str, sizeof str - 1, step, out, &olen, &d))

static void
test_data_ends_only_at_crlf_dot_crlf(void)
{
	struct smtp_data d;
	char out[4096];
	size_t olen, step;

	for (step = 1; step <= 8; step++) {
		CHECK(DATA("a\r\n.\r\nMAIL", step) == 6 && d.done && !d.bare);
		CHECK(olen == 2 && memcmp(out, "a\n", 2) == 0);
		CHECK(DATA(".\r\n", step) == 3 && d.done && olen == 0);
		CHECK(DATA("a\n.\nb\r\n.\r\n", step) == 10 && d.done && d.bare);
		CHECK(DATA("a\r.\rb\r\n.\r\n", step) == 10 && d.done && d.bare);
		CHECK(DATA("a\n.\r\n", step) == 5 && !d.done && d.bare);
		CHECK(DATA("a\r\n.\n", step) == 5 && !d.done && d.bare);
		CHECK(DATA("a\r\n.\r.\r\n", step) == 8 && !d.done && d.bare);
		CHECK(DATA("a\r\n..\r\n", step) == 7 && !d.done && !d.bare);
		CHECK(olen == 4 && memcmp(out, "a\n.\n", 4) == 0);
	}
}

static void
test_data_unstuffs_and_keeps_inner_dots(void)
{
	struct smtp_data d;
	char out[4096];
	size_t olen;

	CHECK(DATA("..x\r\ny.z\r\n.\r\n", 3) == 13 && d.done && !d.bare);
	CHECK(olen == 7 && memcmp(out, ".x\ny.z\n", 7) == 0);
	CHECK(DATA("a\r\r\nb\r\n.\r\n", 2) == 10 && d.done && d.bare);
	CHECK(DATA(".\r\r\n.\r\n", 1) == 7 && d.done && d.bare);
}

static void
test_data_stops_when_output_is_full(void)
{
	struct smtp_data d = SMTP_DATA_INIT;
	char out[4];
	size_t got;

	/* "\rx" gives 2 bytes for 1: it needs 2 free */
	CHECK(smtp_data_scan(&d, "ab\rx", 4, out, 3, &got) == 2 && got == 2);
	CHECK(smtp_data_scan(&d, "\rx", 2, out, 1, &got) == 0 && got == 0);
	CHECK(smtp_data_scan(&d, "\rx", 2, out, 2, &got) == 2 && got == 2 &&
	    memcmp(out, "\rx", 2) == 0 && d.bare);
}

static void
test_split_verb_and_argument(void)
{
	size_t v, a, n;

	CHECK(smtp_split("MAIL  FROM:<a@b>  ", 18, &v, &a, &n) == 0);
	CHECK(v == 4 && a == 6 && n == 10);
	CHECK(smtp_split("QUIT", 4, &v, &a, &n) == 0 && v == 4 && n == 0);
	CHECK(smtp_split("", 0, &v, &a, &n) == 0 && v == 0 && n == 0);
	CHECK(smtp_split("    ", 4, &v, &a, &n) == 0 && v == 0 && n == 0);
	CHECK(smtp_split("HELO a\0b", 8, &v, &a, &n) == -1);
}

static void
test_path_and_params(void)
{
	struct sa a = SA_INIT;
	unsigned long size = 7;
	int u = 0;

	CHECK(smtp_path(&a, "FROM:<a@b> SIZE=5", 17, "from:") == 11);
	CHECK(a.len == 3 && memcmp(a.s, "a@b", 3) == 0);
	CHECK(smtp_path(&a, "To:<>", 5, "to:") == 5 && a.len == 0);
	CHECK(smtp_path(&a, "FROM<a@b>", 9, "from:") == 0);
	CHECK(smtp_path(&a, "FROM:<a@b", 9, "from:") == 0);
	CHECK(smtp_path(&a, "FRO", 3, "from:") == 0);
	CHECK(smtp_mail_params("SIZE=123 body=8BITMIME smtputf8", 31, &size,
	    &u) == SMTP_MP_OK && size == 123 && u == 1);
	CHECK(smtp_mail_params("SIZE=", 5, &size, &u) == SMTP_MP_SIZE);
	CHECK(smtp_mail_params("SIZE", 4, &size, &u) == SMTP_MP_SIZE);
	CHECK(smtp_mail_params("SIZE=1x", 7, &size, &u) == SMTP_MP_SIZE);
	CHECK(smtp_mail_params("SIZE=99999999999999999999999", 28, &size,
	    &u) == SMTP_MP_SIZE);
	CHECK(smtp_mail_params("BODY", 4, &size, &u) == SMTP_MP_BODY);
	CHECK(smtp_mail_params("BODY=", 5, &size, &u) == SMTP_MP_BODY);
	CHECK(smtp_mail_params("BODY=BINARYMIME", 15, &size, &u) ==
	    SMTP_MP_BODY);
	CHECK(smtp_mail_params("SIZEX=1", 7, &size, &u) == SMTP_MP_UNKNOWN);
	CHECK(smtp_mail_params("SMTPUTF8=1", 10, &size, &u) ==
	    SMTP_MP_UNKNOWN);
	CHECK(smtp_mail_params("   ", 3, &size, &u) == SMTP_MP_OK);
	sa_free(&a);
}

int
main(void)
{
	RUN(test_data_ends_only_at_crlf_dot_crlf);
	RUN(test_data_unstuffs_and_keeps_inner_dots);
	RUN(test_data_stops_when_output_is_full);
	RUN(test_split_verb_and_argument);
	RUN(test_path_and_params);
	return CHECK_DONE();
}
