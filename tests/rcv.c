/* unit tests for lib/rcv.h: the Received line */
#include <string.h>

#include "check.h"
#include "../lib/rcv.h"

/* the line up to "; " before the date, which changes */
static int
head_is(struct sa *x, const char *want)
{
	size_t n = strlen(want);

	return x->len > n + 2 && memcmp(x->s, want, n) == 0 &&
	    memcmp(x->s + n, "; ", 2) == 0 && x->s[x->len - 1] == '\n';
}

static void
test_received_plain_as_qmail(void)
{
	struct sa x = SA_INIT;

	CHECK(rcv_received(&x, "ESMTP", "mx.example", "192.0.2.1", "c.example",
	    NULL, "helo.example", NULL) == 0);
	CHECK(head_is(&x, "Received: from c.example (HELO helo.example) "
	    "(192.0.2.1)\n  by mx.example with ESMTP"));
	CHECK(rcv_received(&x, "SMTP", "mx", "192.0.2.1", "c", "info", NULL,
	    NULL) == 0);
	CHECK(head_is(&x, "Received: from c (info@192.0.2.1)\n  by mx with SMTP"));
	sa_free(&x);
}

static void
test_received_tls_and_auth(void)
{
	struct rcv_sec tls = { "TLSv1.3", "TLS_AES_256_GCM_SHA384", NULL };
	struct rcv_sec auth = { NULL, NULL, "bob" };
	struct rcv_sec both = { "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "bob@x.example" };
	struct rcv_sec none = { NULL, NULL, NULL };
	struct sa x = SA_INIT;

	CHECK(rcv_received(&x, "ESMTP", "mx", "192.0.2.1", "c", NULL, NULL,
	    &tls) == 0);
	CHECK(head_is(&x, "Received: from c (192.0.2.1)\n  by mx with ESMTPS "
	    "(TLSv1.3 cipher TLS_AES_256_GCM_SHA384)"));
	CHECK(rcv_received(&x, "ESMTP", "mx", "192.0.2.1", "c", NULL, NULL,
	    &auth) == 0);
	CHECK(head_is(&x, "Received: from c (192.0.2.1)\n  by mx with ESMTPA "
	    "(authenticated user bob)"));
	CHECK(rcv_received(&x, "UTF8SMTP", "mx", "192.0.2.1", "c", NULL, NULL,
	    &both) == 0);
	CHECK(head_is(&x, "Received: from c (192.0.2.1)\n  by mx with UTF8SMTPSA "
	    "(TLSv1.2 cipher ECDHE-RSA-AES128-GCM-SHA256) "
	    "(authenticated user bob@x.example)"));
	CHECK(rcv_received(&x, "ESMTP", "mx", "192.0.2.1", "c", NULL, NULL,
	    &none) == 0);
	CHECK(head_is(&x, "Received: from c (192.0.2.1)\n  by mx with ESMTP"));
	sa_free(&x);
}

static void
test_received_user_cannot_break_the_header(void)
{
	struct rcv_sec hostile = { "TLS\nv1", "a)(b", "bob)\n(x; y\r\nZ: 1" };
	struct sa x = SA_INIT;
	size_t i, nl = 0;

	CHECK(rcv_received(&x, "ESMTP", "mx", "192.0.2.1", "c", NULL, NULL,
	    &hostile) == 0);
	for (i = 0; i < x.len; i++) {
		CHECK(x.s[i] != '\r');
		nl += x.s[i] == '\n';
	}
	CHECK(nl == 2);
	CHECK(head_is(&x, "Received: from c (192.0.2.1)\n  by mx with ESMTPSA "
	    "(TLS?v1 cipher a??b) (authenticated user bob???x??y??Z:?1)"));
	sa_free(&x);
}

int
main(void)
{
	RUN(test_received_plain_as_qmail);
	RUN(test_received_tls_and_auth);
	RUN(test_received_user_cannot_break_the_header);
	return CHECK_DONE();
}
