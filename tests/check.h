/*
 * check.h: the unit tests' whole framework.  Each test function is run by
 * RUN(); it prints "ok - name" or one "not ok - name: file:line: cond" per
 * failed CHECK.  tests/run counts the lines.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static int check_failed, check_total_failed;
static const char *check_name;

#define CHECK(c) do { if (!(c)) { \
	printf("not ok - %s: %s:%d: %s\n", check_name, __FILE__, __LINE__, #c); \
	check_failed++; } } while (0)
#define RUN(f) do { check_name = #f; check_failed = 0; f(); \
	if (!check_failed) { printf("ok - %s\n", #f); } \
	else { check_total_failed++; } \
	fflush(stdout); } while (0)
#define CHECK_DONE() (check_total_failed ? 1 : 0)

const char prog[] = "unit";

#endif
