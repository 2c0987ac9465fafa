/*
 * qdir.c: list and count queue directories (qdir.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>

#include "qdir.h"
#include "str.h"

int
qdir_name(const char *s, unsigned long *id)
{
	size_t n = str_len(s);

	if (n == 0 || s[0] == '.')
		return 0;
	return scan_ulong(s, n, id) == n;
}

static int
cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

int
qdir_list(struct qids *q, const char *path)
{
	struct dirent *d;
	unsigned long id, *p;
	size_t cap;
	DIR *dir;
	int e;

	if ((dir = opendir(path)) == NULL)
		return -1;
	for (;;) {
		errno = 0;
		if ((d = readdir(dir)) == NULL)
			break;
		if (!qdir_name(d->d_name, &id))
			continue;
		if (q->len == q->cap) {
			cap = q->cap ? q->cap * 2 : 256;
			if (cap < q->cap ||
			    (p = realloc_array(q->id, cap, sizeof *p)) == NULL) {
				closedir(dir);
				return errno = ENOMEM, -1;
			}
			q->id = p, q->cap = cap;
		}
		q->id[q->len++] = id;
	}
	e = errno;
	closedir(dir);
	if (e)
		return errno = e, -1;
	if (q->len > 1)
		qsort(q->id, q->len, sizeof *q->id, cmp);
	return 0;
}

long
qdir_count(const char *path)
{
	struct dirent *d;
	unsigned long id;
	long n = 0;
	DIR *dir;
	int e;

	if ((dir = opendir(path)) == NULL)
		return -1;
	for (;;) {
		errno = 0;
		if ((d = readdir(dir)) == NULL)
			break;
		if (qdir_name(d->d_name, &id))
			n++;
	}
	e = errno;
	closedir(dir);
	if (e)
		return errno = e, -1;
	return n;
}

int
qids_has(const struct qids *q, unsigned long id)
{
	size_t lo = 0, hi = q->len, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (q->id[mid] == id)
			return 1;
		if (q->id[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void
qids_free(struct qids *q)
{
	free(q->id);
	q->id = NULL, q->len = q->cap = 0;
}
