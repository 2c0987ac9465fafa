/* unit tests for lib/control.h */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "../lib/control.h"

static void
put(const char *fn, const char *s)
{
	int fd = open(fn, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s));
	close(fd);
}

static void
test_readline_and_defaults(void)
{
	struct sa x = SA_INIT;
	unsigned long u;

	mkdir("control", 0755);
	put("control/me", "mail.example.org  \r\nsecond\n");
	CHECK(ctl_readline(&x, "control/me") == 1);
	CHECK(x.len == 16 && memcmp(x.s, "mail.example.org", 16) == 0);
	CHECK(ctl_readline(&x, "control/absent") == 0);
	CHECK(ctl_rldef(&x, "control/absent", "def") == 0 && x.len == 3);
	put("control/empty", "\n");
	CHECK(ctl_rldef(&x, "control/empty", "def") == 0 && x.len == 3);
	put("control/num", "  42\n");
	CHECK(ctl_readulong(&u, "control/num", 7) == 1 && u == 42);
	CHECK(ctl_readulong(&u, "control/absent", 7) == 0 && u == 7);
	put("control/num", "4x2\n");
	CHECK(ctl_readulong(&u, "control/num", 7) == -1 && errno == EINVAL);
	put("control/num", "99999999999999999999999\n");
	CHECK(ctl_readulong(&u, "control/num", 7) == -1);
	sa_free(&x);
}

static void
test_readfile_skips_comments_and_blanks(void)
{
	struct sa x = SA_INIT;

	put("control/list", "# comment\n\na.example\n  \nb.example \r\nc");
	CHECK(ctl_readfile(&x, "control/list") == 1);
	CHECK(x.len == 22 && memcmp(x.s, "a.example\0b.example\0c\0", 22) == 0);
	sa_free(&x);
}

static void
test_unreadable_is_error_not_default(void)
{
	struct sa x = SA_INIT;

	mkdir("control/dir", 0755);	/* reading a directory fails */
	CHECK(ctl_readline(&x, "control/dir") == -1);
	sa_free(&x);
}

static void
test_cmap_route(void)
{
	static const char recs[] = "a.example:exact\0.example:suffix\0"
	    ".sub.example:deeper\0:default\0";
	struct cmap m;
	const char *r;

	CHECK(cmap_init(&m, recs, sizeof recs - 1, ':') == 0);
	CHECK((r = cmap_route(&m, "a.example", 9)) && strcmp(r, "exact") == 0);
	CHECK((r = cmap_route(&m, "b.example", 9)) && strcmp(r, "suffix") == 0);
	CHECK((r = cmap_route(&m, "x.sub.example", 13)) && strcmp(r, "deeper") == 0);
	CHECK((r = cmap_route(&m, "example", 7)) && strcmp(r, "default") == 0);
	CHECK((r = cmap_route(&m, "", 0)) && strcmp(r, "default") == 0);
	cmap_free(&m);
	CHECK(cmap_init(&m, recs, 32, ':') == 0);	/* no default line */
	CHECK(cmap_route(&m, "other.test", 10) == NULL);
	cmap_free(&m);
}

static void
test_cmap(void)
{
	struct cmap m;
	static const char recs[] = "Example.ORG\0.sub.example\0other.test\0";
	static const char kv[] = "a.example:alice\0b.example:bob\0nosep\0a.example:later\0";

	CHECK(cmap_init(&m, recs, sizeof recs - 1, 0) == 0);
	CHECK(cmap_get(&m, "example.org", 11) != NULL);
	CHECK(cmap_get(&m, "example.net", 11) == NULL);
	CHECK(cmap_domain(&m, "EXAMPLE.org", 11));
	CHECK(cmap_domain(&m, "x.y.sub.example", 15));
	CHECK(!cmap_domain(&m, "sub.example", 11));	/* ".sub" matches below it only */
	CHECK(!cmap_domain(&m, "x.other.test", 12));
	cmap_free(&m);
	test_cmap_route();
	CHECK(cmap_init(&m, kv, sizeof kv - 1, ':') == 0);
	CHECK(strcmp(cmap_get(&m, "a.example", 9), "alice") == 0);
	CHECK(strcmp(cmap_get(&m, "B.example", 9), "bob") == 0);
	CHECK(cmap_get(&m, "nosep", 5) == NULL);
	cmap_free(&m);
	CHECK(cmap_init(&m, "", 0, 0) == 0 && cmap_get(&m, "x", 1) == NULL);
	cmap_free(&m);
}

int
main(void)
{
	RUN(test_readline_and_defaults);
	RUN(test_readfile_skips_comments_and_blanks);
	RUN(test_unreadable_is_error_not_default);
	RUN(test_cmap);
	return CHECK_DONE();
}
