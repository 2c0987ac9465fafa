/* unit tests for lib/hdr.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../lib/hdr.h"

static const struct hdr_rwconf rc = { "dflt.example", "dom.example",
    "plus.example" };

struct seen {
	struct sa	 env;	/* envelope forms, NUL-separated */
	int		 n;
	int		 fail;
};

static int
collect(struct hdr_addr *a, void *arg)
{
	struct seen *s = arg;

	if (s->fail)
		return errno = EIO, -1;
	if (hdr_rewrite(a, &rc) == -1)
		return -1;
	s->n++;
	if (hdr_addr_env(&s->env, a) == -1 || sa_0(&s->env) == -1)
		return -1;
	return 0;
}

/* rewrite in; 1 if it parses to want with the envelope addresses envs
 * (NUL-separated, n of them) */
static int
rw(const char *in, const char *want, const char *envs, size_t envlen)
{
	struct sa out = SA_INIT;
	struct seen s = { SA_INIT, 0, 0 };
	int r, ok;

	r = hdr_addrlist(&out, in, strlen(in), 4, collect, &s);
	ok = r == 1 && out.len == strlen(want) &&
	    memcmp(out.s, want, out.len) == 0;
	if (ok && envs != NULL)
		ok = s.env.len == envlen &&
		    (envlen == 0 || memcmp(s.env.s, envs, envlen) == 0);
	if (!ok)
		printf("# in [%s] r=%d out [%.*s] want [%s]\n", in, r,
		    (int)out.len, out.s ? out.s : "", want);
	sa_free(&out);
	sa_free(&s.env);
	return ok;
}

static int
bad(const char *in, size_t n)
{
	struct sa out = SA_INIT;
	struct seen s = { SA_INIT, 0, 0 };
	int r = hdr_addrlist(&out, in, n, 4, collect, &s);

	sa_free(&out);
	sa_free(&s.env);
	return r == 0;
}

static void
test_rewrites_bare_names_and_hosts(void)
{
	CHECK(rw("joe", "joe@dflt.example", "joe@dflt.example", 17));
	CHECK(rw("joe@silverton", "joe@silverton.dom.example", NULL, 0));
	CHECK(rw("eric@mammoth.cs+", "eric@mammoth.cs.plus.example", NULL, 0));
	CHECK(rw("eric@mammoth+", "eric@mammoth.plus.example", NULL, 0));
	CHECK(rw("a@b.c.", "a@b.c", NULL, 0));
	CHECK(rw("a@", "a@dflt.example", NULL, 0));
	CHECK(rw("a@[10.0.0.1]", "a@[10.0.0.1]", NULL, 0));
	CHECK(rw("a@b.c", "a@b.c", "a@b.c", 6));
}

static void
test_defaulthost_without_dot_gets_domain(void)
{
	struct hdr_rwconf c = { "box", "dom.example", "p.example" };
	struct hdr_addr a = { SA_INIT, SA_INIT, 0, 0 };
	struct sa e = SA_INIT;

	CHECK(hdr_addr_set(&a, "joe", 3) == 0);
	CHECK(hdr_rewrite(&a, &c) == 0);
	CHECK(hdr_addr_env(&e, &a) == 0);
	CHECK(e.len == 19 && memcmp(e.s, "joe@box.dom.example", 19) == 0);
	c.defaulthost = "box+";
	e.len = 0;
	CHECK(hdr_addr_set(&a, "joe", 3) == 0);
	CHECK(hdr_rewrite(&a, &c) == 0 && hdr_addr_env(&e, &a) == 0);
	CHECK(e.len == 17 && memcmp(e.s, "joe@box.p.example", 17) == 0);
	hdr_addr_free(&a);
	sa_free(&e);
}

static void
test_keeps_phrases_comments_groups(void)
{
	CHECK(rw("Dan Bernstein <djb@x> (the author)",
	    "Dan Bernstein <djb@x.dom.example> (the author)", NULL, 0));
	CHECK(rw("a@b.c (Somebody), A Person <e@f.g>",
	    "a@b.c (Somebody), A Person <e@f.g>", "a@b.c\0e@f.g", 12));
	CHECK(rw("random group: g@h.i, j@k.l;, m@n.o",
	    "random group: g@h.i, j@k.l;, m@n.o",
	    "g@h.i\0j@k.l\0m@n.o", 18));
	CHECK(rw("recipient list not shown: ;", "recipient list not shown: ;",
	    "", 0));
	CHECK(rw("\"Doe, John\" <jd@x.y>", "\"Doe, John\" <jd@x.y>", NULL, 0));
	CHECK(rw("<>", "<>", "", 1));
}

static void
test_quoted_local_parts(void)
{
	CHECK(rw("\"john doe\"@x.y", "\"john doe\"@x.y", "john doe@x.y", 13));
	CHECK(rw("\"a\\\"b\"@x.y", "\"a\\\"b\"@x.y", "a\"b@x.y", 8));
	CHECK(rw("\"plain\"@x.y", "plain@x.y", NULL, 0));
	CHECK(rw("jörg@exämple.de", "jörg@exämple.de", NULL, 0));
}

static void
test_illegal_space_becomes_comma(void)
{
	CHECK(rw("djb fred", "djb@dflt.example, fred@dflt.example",
	    "djb@dflt.example\0fred@dflt.example", 35));
	CHECK(rw("a@b.c d@e.f", "a@b.c, d@e.f", NULL, 0));
}

static void
test_source_route_dropped(void)
{
	CHECK(rw("<@a.b,@c.d:u@h.i>", "<u@h.i>", "u@h.i", 6));
	CHECK(rw("Phr <@a.b:u@h.i>", "Phr <u@h.i>", NULL, 0));
}

static void
test_continuation_and_folding(void)
{
	struct sa out = SA_INIT;
	struct sa in = SA_INIT;
	int i;

	CHECK(rw("a@b.c,\n\td@e.f\n", "a@b.c, d@e.f", NULL, 0));
	CHECK(rw(" ,, a@b.c ,", "a@b.c", NULL, 0));
	for (i = 0; i < 20; i++)
		CHECK(sa_cats(&in, "someone@example.org, ") == 0);
	CHECK(hdr_addrlist(&out, in.s, in.len, 4, NULL, NULL) == 1);
	CHECK(byte_chr(out.s, out.len, '\n') < out.len);
	/* every line short */
	{
		size_t s = 0, j;
		for (j = 0; j < out.len; j++)
			if (out.s[j] == '\n') {
				CHECK(j - s <= 78);
				s = j + 1;
			}
	}
	sa_free(&out);
	sa_free(&in);
}

static void
test_rejects_hostile_input(void)
{
	CHECK(bad("\"abc@d.e", 8));
	CHECK(bad("(abc a@b.c", 10));
	CHECK(bad("<a@b.c", 6));
	CHECK(bad("a@b.c>", 6));
	CHECK(bad("a@[1.2.3.4", 10));
	CHECK(bad("a@b.c)", 6));
	CHECK(bad("a@b\0c", 5));
	CHECK(bad("a\001b@c.d", 8));
	CHECK(bad("g: h: a@b.c;;", 13));
	CHECK(bad("\"abc\\", 5));
	CHECK(bad("\"a\\\nb\"@c.d", 9));	/* an escaped newline */
	CHECK(bad("(a\\\001)", 6));
	CHECK(bad("<a@b.c> junk", 12));
	CHECK(bad("a@b.c;", 6));
	CHECK(bad("<@a.b u@h.c>", 12));
}

static void
test_deep_and_huge_input_is_linear(void)
{
	size_t n = 1 << 20, i;
	char *s = malloc(n);
	struct sa out = SA_INIT;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	for (i = 0; i < n / 2; i++)
		s[i] = '(';
	for (; i < n; i++)
		s[i] = ')';
	CHECK(hdr_addrlist(&out, s, n, 0, NULL, NULL) == 1);
	CHECK(bad(s, n - 1));		/* one ')' short */
	for (i = 0; i < n; i++)
		s[i] = i % 2 ? ',' : 'a';
	out.len = 0;
	CHECK(hdr_addrlist(&out, s, n, 0, NULL, NULL) == 1);
	for (i = 0; i < n; i++)
		s[i] = i % 2 ? ' ' : 'a';	/* illegal spaces: 512k addresses */
	out.len = 0;
	CHECK(hdr_addrlist(&out, s, n, 0, NULL, NULL) == 1);
	memset(s, '"', n);
	CHECK(hdr_addrlist(&out, s, n, 0, NULL, NULL) == 1);	/* "" pairs */
	CHECK(bad(s, n - 1));
	free(s);
	sa_free(&out);
}

static void
test_callback_failure_is_reported(void)
{
	struct sa out = SA_INIT;
	struct seen s = { SA_INIT, 0, 1 };

	CHECK(hdr_addrlist(&out, "a@b.c", 5, 0, collect, &s) == -1);
	CHECK(errno == EIO);
	sa_free(&out);
}

static void
test_field_names(void)
{
	CHECK(hdr_name("To: a", 5) == 2);
	CHECK(hdr_name("To : a", 6) == 2);
	CHECK(hdr_name("X-Foo-Bar:", 10) == 9);
	CHECK(hdr_name(": a", 3) == 0);
	CHECK(hdr_name("no colon here", 13) == 0);
	CHECK(hdr_name("Sub ject: a", 11) == 0);
	CHECK(hdr_name("S\xc3\xbc: a", 6) == 0);
	CHECK(hdr_name(" To: a", 6) == 0);
	CHECK(hdr_is("bcc: x", 6, "Bcc"));
	CHECK(!hdr_is("Bccx: x", 7, "Bcc"));
	CHECK(!hdr_is("Bc: x", 5, "Bcc"));
	CHECK(hdr_value("To: a", 5) == 3);
}

int
main(void)
{
	RUN(test_rewrites_bare_names_and_hosts);
	RUN(test_defaulthost_without_dot_gets_domain);
	RUN(test_keeps_phrases_comments_groups);
	RUN(test_quoted_local_parts);
	RUN(test_illegal_space_becomes_comma);
	RUN(test_source_route_dropped);
	RUN(test_continuation_and_folding);
	RUN(test_rejects_hostile_input);
	RUN(test_deep_and_huge_input_is_linear);
	RUN(test_callback_failure_is_reported);
	RUN(test_field_names);
	return CHECK_DONE();
}
