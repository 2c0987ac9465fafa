/* unit tests for lib/qq.h and lib/run.h */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "../lib/die.h"
#include "../lib/proc.h"
#include "../lib/qq.h"
#include "../lib/run.h"

/* a stand-in qmail-queue: body to qq.body, envelope to qq.env, then the
 * exit code in qq.code, after writing qq.why (if any) on fd 6 */
static const char script[] =
    "#!/bin/sh\n"
    "cat > qq.body\n"
    "cat <&1 > qq.env\n"
    "[ -f qq.why ] && cat qq.why >&6\n"
    "exit $(cat qq.code)\n";

static char *
slurp(const char *fn, size_t *n)
{
	static char b[4096];
	ssize_t r;
	int fd;

	*n = 0;
	if ((fd = open(fn, O_RDONLY)) == -1)
		return NULL;
	r = read(fd, b, sizeof b);
	close(fd);
	if (r < 0)
		return NULL;
	*n = (size_t)r;
	return b;
}

static void
spit(const char *fn, const char *s)
{
	int fd = open(fn, O_WRONLY | O_CREAT | O_TRUNC, 0755);

	if (fd == -1 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		abort();
	close(fd);
}

static void
setup(const char *code, const char *why)
{
	char cwd[1024], path[1100];

	spit("qq.sh", script);
	spit("qq.code", code);
	unlink("qq.why");
	if (why)
		spit("qq.why", why);
	if (getcwd(cwd, sizeof cwd) == NULL)
		abort();
	strcpy(path, cwd);
	strcat(path, "/qq.sh");
	setenv("QMAILQUEUE", path, 1);
}

static void
test_forward_writes_body_then_envelope(void)
{
	char *rcpt[] = { "a@example.org", "b@example.org" };
	static const char env[] = "Fs@x\0Ta@example.org\0Tb@example.org\0";
	struct qq q;
	char *s;
	size_t n;
	int p[2];

	setup("0", NULL);
	CHECK(pipe(p) == 0);
	CHECK(write(p[1], "Subject: x\n\nhi\n", 15) == 15);
	close(p[1]);
	CHECK(qq_forward(&q, "Delivered-To: me\n", p[0], "s@x", rcpt, 2) == 0);
	close(p[0]);
	CHECK(q.pid > 0);
	s = slurp("qq.body", &n);
	CHECK(s && n == 32 && memcmp(s, "Delivered-To: me\nSubject: x\n\nhi\n", 32) == 0);
	s = slurp("qq.env", &n);
	CHECK(s && n == sizeof env && memcmp(s, env, sizeof env) == 0);
	CHECK(qq_exit(&q, 0) == 0);
}

static void
test_sender_goes_first_whatever_the_order(void)
{
	static const char env[] = "F\0Tr@x\0";
	struct qq q;
	char *s;
	size_t n;

	setup("0", NULL);
	CHECK(qq_open(&q) == 0);
	qq_puts(&q, "body\n");
	qq_to(&q, "r@x");
	qq_from(&q, "");
	CHECK(qq_close(&q) == 0);
	s = slurp("qq.env", &n);
	CHECK(s && n == sizeof env && memcmp(s, env, sizeof env) == 0);
}

static void
test_exit_codes_map_to_classes(void)
{
	struct qq q;

	setup("31", NULL);
	CHECK(qq_open(&q) == 0);
	qq_from(&q, "s");
	qq_to(&q, "r");
	CHECK(qq_close(&q) == 31);
	CHECK(qq_exit(&q, 31) == EXIT_PERM);
	CHECK(strstr(qq_text(&q, 31), "#5.3.0") != NULL);
	setup("53", NULL);
	CHECK(qq_open(&q) == 0);
	CHECK(qq_close(&q) == 53);
	CHECK(qq_exit(&q, 53) == EXIT_TEMP);
	CHECK(qq_exit(&q, QQ_CRASHED) == EXIT_TEMP);
	CHECK(qq_exit(&q, QQ_EXEC) == EXIT_TEMP);
}

static void
test_custom_82_reason(void)
{
	struct qq q;

	setup("82", "Dspam is not welcome (#5.7.1)");
	CHECK(qq_open(&q) == 0);
	CHECK(qq_close(&q) == 82);
	CHECK(qq_exit(&q, 82) == EXIT_PERM);
	CHECK(strcmp(qq_text(&q, 82), "spam is not welcome (#5.7.1)") == 0);
	setup("82", "Zlater (#4.3.0)\n");
	CHECK(qq_open(&q) == 0);
	CHECK(qq_close(&q) == 82);
	CHECK(qq_exit(&q, 82) == EXIT_TEMP);
	CHECK(strcmp(qq_text(&q, 82), "later (#4.3.0)") == 0);
}

static void
test_missing_qmail_queue_is_temporary(void)
{
	struct qq q;

	setenv("QMAILQUEUE", "/nonexistent/qmail-queue", 1);
	CHECK(qq_open(&q) == 0);
	CHECK(qq_close(&q) == QQ_EXEC);
	CHECK(qq_exit(&q, QQ_EXEC) == EXIT_TEMP);
}

static void
test_run_prog_codes(void)
{
	char *t[] = { "true", NULL };
	char *f[] = { "sh", "-c", "exit 42", NULL };
	char *k[] = { "sh", "-c", "kill -9 $$", NULL };
	char *m[] = { "/nonexistent/prog", NULL };
	int fd;

	CHECK(run_prog(t) == 0);
	CHECK(run_prog(f) == 42);
	CHECK(run_prog(k) == RUN_CRASHED);
	fd = dup(2);	/* the child warns on fd 2: keep the output clean */
	CHECK(fd != -1 && close(2) == 0 && open("/dev/null", O_WRONLY) == 2);
	CHECK(run_prog(m) == EXIT_PERM);
	CHECK(dup2(fd, 2) == 2);
	close(fd);
	CHECK(run_exec_temp(ENOMEM) && !run_exec_temp(ENOENT));
}

int
main(void)
{
	RUN(test_forward_writes_body_then_envelope);
	RUN(test_sender_goes_first_whatever_the_order);
	RUN(test_exit_codes_map_to_classes);
	RUN(test_custom_82_reason);
	RUN(test_missing_qmail_queue_is_temporary);
	RUN(test_run_prog_codes);
	unlink("qq.sh"), unlink("qq.code"), unlink("qq.why");
	unlink("qq.body"), unlink("qq.env");
	return CHECK_DONE();
}
