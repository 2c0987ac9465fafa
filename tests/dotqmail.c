/* unit tests for lib/dotqmail.h: .qmail lines, ordinary and hostile */
#include <string.h>

#include "check.h"
#include "../lib/dotqmail.h"

static size_t off, len;

/* classify the literal s (which may hold NULs) */
#define DQ(s) dq_line(s, sizeof s - 1, &off, &len)
#define ARG(s, want) (len == sizeof want - 1 && \
	memcmp((s) + off, want, len) == 0)

static void
test_dq_kinds(void)
{
	CHECK(DQ("# a comment") == DQ_COMMENT && off == 0);
	CHECK(DQ("|preline procmail") == DQ_PROGRAM &&
	    ARG("|preline procmail", "preline procmail"));
	CHECK(DQ("&joe@example.org") == DQ_FORWARD &&
	    ARG("&joe@example.org", "joe@example.org"));
	CHECK(DQ("joe@example.org") == DQ_FORWARD &&
	    ARG("joe@example.org", "joe@example.org"));
	CHECK(DQ("./Maildir/") == DQ_MAILDIR && ARG("./Maildir/", "./Maildir/"));
	CHECK(DQ("/var/mail/joe/") == DQ_MAILDIR);
	CHECK(DQ("./Mailbox") == DQ_MBOX && ARG("./Mailbox", "./Mailbox"));
	CHECK(DQ("/var/spool/mail/joe") == DQ_MBOX);
	CHECK(DQ("+list") == DQ_LIST);
	CHECK(DQ("") == DQ_BLANK && len == 0);
}

static void
test_dq_trailing_blanks_ignored(void)
{
	CHECK(DQ("./Maildir/ \t ") == DQ_MAILDIR && ARG("./Maildir/", "./Maildir/"));
	CHECK(DQ("+list\t") == DQ_LIST);
	CHECK(DQ(" \t \t") == DQ_BLANK && len == 0);
	CHECK(DQ("|  ") == DQ_PROGRAM && off == 1 && len == 0);
	/* a CR is not a blank: a CR LF file keeps it, as qmail does */
	CHECK(DQ("./Maildir/\r") == DQ_MBOX);
}

static void
test_dq_leading_bytes_kept(void)
{
	/* only one '&' is the marker; "&x" is a legal local part */
	CHECK(DQ("&&x@y") == DQ_FORWARD && ARG("&&x@y", "&x@y"));
	CHECK(DQ("& x@y") == DQ_FORWARD && ARG("& x@y", " x@y"));
	CHECK(DQ("&") == DQ_FORWARD && off == 1 && len == 0);
	/* a leading space makes neither a comment nor a file */
	CHECK(DQ(" #x") == DQ_FORWARD && off == 0 && len == 3);
	CHECK(DQ(" ./Maildir/") == DQ_FORWARD);
	CHECK(DQ("+other") == DQ_COMMENT);
	CHECK(DQ("+listx") == DQ_COMMENT);
	CHECK(DQ("+lis") == DQ_COMMENT);
	CHECK(DQ("|") == DQ_PROGRAM && off == 1 && len == 0);
	CHECK(DQ("/") == DQ_MAILDIR && len == 1);
	CHECK(DQ(".") == DQ_MBOX && len == 1);
}

/* Found by reading: a NUL used to cut the argument (a C string) but not
 * the line the kind came from, so "/a\0/" went to maildir("/a") and
 * wrote into "/atmp/".  The line now ends at its first NUL. */
static void
test_dq_line_ends_at_nul(void)
{
	CHECK(DQ("/a\0/") == DQ_MBOX && ARG("/a\0/", "/a"));
	CHECK(DQ("/a/ \0x") == DQ_MAILDIR && ARG("/a/ \0x", "/a/"));
	CHECK(DQ("\0./Maildir/") == DQ_BLANK && len == 0);
	CHECK(DQ("+list\0junk") == DQ_LIST);
	CHECK(DQ("|cmd\0; rm -rf") == DQ_PROGRAM && ARG("|cmd\0; rm -rf", "cmd"));
	CHECK(DQ("&a@b\0c") == DQ_FORWARD && ARG("&a@b\0c", "a@b"));
}

static void
test_dq_reads_only_n_bytes(void)
{
	char line[] = "./Maildir/XXXX";

	/* the bytes after n must not change the answer */
	CHECK(dq_line(line, 10, &off, &len) == DQ_MAILDIR && len == 10);
	CHECK(dq_line(line, 0, &off, &len) == DQ_BLANK && len == 0);
	CHECK(dq_line("|x", 1, &off, &len) == DQ_PROGRAM && off == 1 &&
	    len == 0);
}

int
main(void)
{
	RUN(test_dq_kinds);
	RUN(test_dq_trailing_blanks_ignored);
	RUN(test_dq_leading_bytes_kept);
	RUN(test_dq_line_ends_at_nul);
	RUN(test_dq_reads_only_n_bytes);
	return CHECK_DONE();
}
