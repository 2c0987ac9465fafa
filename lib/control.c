/*
 * control.c: control files and constant maps (control.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "io.h"
#include "limit.h"

static size_t
trim(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		--n;
	return n;
}

int
ctl_readline(struct sa *x, const char *fn)
{
	struct sa f = SA_INIT;
	size_t n;
	int r;

	if ((r = io_readfile(&f, fn, LIMIT_CONTROL)) <= 0) {
		int e = errno;
		sa_free(&f);
		return errno = e, r;
	}
	n = trim(f.s, byte_chr(f.s, f.len, '\n'));
	r = sa_copyb(x, f.s, n);
	sa_free(&f);
	if (r == -1)
		return -1;
	return 1;
}

int
ctl_rldef(struct sa *x, const char *fn, const char *def)
{
	int r = ctl_readline(x, fn);

	if (r == -1)
		return -1;
	if (r == 0 || x->len == 0)
		return sa_copys(x, def);
	return 0;
}

int
ctl_readulong(unsigned long *u, const char *fn, unsigned long def)
{
	struct sa x = SA_INIT;
	size_t i;
	int r;

	*u = def;
	r = ctl_readline(&x, fn);
	if (r <= 0) {
		sa_free(&x);
		return r == -1 ? -1 : 0;
	}
	for (i = 0; i < x.len && (x.s[i] == ' ' || x.s[i] == '\t'); i++)
		;
	if (i == x.len) {
		sa_free(&x);
		return 0;	/* an empty file: the default */
	}
	r = (int)scan_ulong(x.s + i, x.len - i, u);
	if (r == 0 || i + (size_t)r != x.len) {
		sa_free(&x);
		*u = def;
		return errno = EINVAL, -1;
	}
	sa_free(&x);
	return 1;
}

int
ctl_readfile(struct sa *x, const char *fn)
{
	struct sa f = SA_INIT;
	size_t pos, end, n;
	int r;

	x->len = 0;
	if ((r = io_readfile(&f, fn, LIMIT_CONTROL)) <= 0) {
		int e = errno;
		sa_free(&f);
		return errno = e, r;
	}
	for (pos = 0; pos < f.len; pos = end + 1) {
		end = pos + byte_chr(f.s + pos, f.len - pos, '\n');
		n = trim(f.s + pos, end - pos);
		if (n == 0 || f.s[pos] == '#')
			continue;
		if (sa_catb(x, f.s + pos, n) == -1 || sa_0(x) == -1) {
			sa_free(&f);
			return -1;
		}
	}
	sa_free(&f);
	return 1;
}

int
ctl_me(struct sa *x)
{
	char host[256];
	int r = ctl_readline(x, "control/me");

	if (r == -1)
		return -1;
	if (r == 1 && x->len)
		return 1;
	if (gethostname(host, sizeof host - 1) == -1)
		return -1;
	host[sizeof host - 1] = 0;
	if (sa_copys(x, host) == -1)
		return -1;
	return 0;
}

static unsigned long
hash(const char *s, size_t n)
{
	unsigned long h = 5381;
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c += 32;
		h = (h * 33) ^ c;
	}
	return h;
}

int
cmap_init(struct cmap *m, const char *recs, size_t len, int sep)
{
	size_t count = 0, pos, end, size = 4, k, j;
	struct cmap_ent *e;

	m->ent = NULL, m->store = NULL, m->mask = 0;
	for (pos = 0; pos < len; pos = end + 1) {
		end = pos + byte_chr(recs + pos, len - pos, 0);
		++count;
	}
	while (size < count * 2 + 2) {
		if (size > ((size_t)-1) / 4)
			return errno = ENOMEM, -1;
		size *= 2;
	}
	if ((m->store = malloc(len + 1)) == NULL)
		return errno = ENOMEM, -1;
	if (len)
		memcpy(m->store, recs, len);
	m->store[len] = 0;
	if ((m->ent = alloc_array(size, sizeof *m->ent)) == NULL) {
		free(m->store);
		m->store = NULL;
		return errno = ENOMEM, -1;
	}
	memset(m->ent, 0, size * sizeof *m->ent);
	m->mask = size - 1;
	for (pos = 0; pos < len; pos = end + 1) {
		const char *r = m->store + pos;
		end = pos + byte_chr(recs + pos, len - pos, 0);
		k = end - pos;
		if (sep) {
			j = byte_chr(r, k, sep);
			if (j == k)
				continue;
		} else
			j = k;
		if (cmap_get(m, r, j))
			continue;	/* the first line for a key wins */
		e = &m->ent[hash(r, j) & m->mask];
		while (e->key)
			e = &m->ent[(size_t)(e - m->ent + 1) & m->mask];
		e->key = r, e->klen = j, e->hash = hash(r, j);
		e->val = sep ? r + j + 1 : r + k;
		m->store[end < len ? end : len] = 0;
	}
	return 0;
}

const char *
cmap_get(const struct cmap *m, const char *key, size_t len)
{
	unsigned long h;
	size_t i;

	if (m->ent == NULL)
		return NULL;
	h = hash(key, len);
	for (i = h & m->mask; m->ent[i].key; i = (i + 1) & m->mask)
		if (m->ent[i].hash == h && m->ent[i].klen == len &&
		    case_equalb(m->ent[i].key, len, key))
			return m->ent[i].val;
	return NULL;
}

void
cmap_free(struct cmap *m)
{
	free(m->ent);
	free(m->store);
	m->ent = NULL, m->store = NULL, m->mask = 0;
}

int
cmap_domain(const struct cmap *m, const char *host, size_t len)
{
	size_t i;

	if (cmap_get(m, host, len))
		return 1;
	for (i = 0; i < len; i++)
		if (host[i] == '.' && cmap_get(m, host + i, len - i))
			return 1;
	return 0;
}

/* The smtproutes rule: host, then each ".suffix" of it at a dot, then the
 * empty key (the default line ":value"). */
const char *
cmap_route(const struct cmap *m, const char *host, size_t len)
{
	const char *r;
	size_t i;

	for (i = 0; i <= len; i++)
		if (i == 0 || i == len || host[i] == '.')
			if ((r = cmap_get(m, host + i, len - i)) != NULL)
				return r;
	return NULL;
}
