/*
 * cdb.c: constant databases (cdb.h).  Every position read from the file is
 * checked against its size: a corrupt or truncated cdb gives EPROTO.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdb.h"

uint32_t
cdb_hash(const char *s, uint32_t n)
{
	uint32_t h = 5381;

	while (n--)
		h = ((h << 5) + h) ^ (unsigned char)*s++;
	return h;
}

static uint32_t
unpack(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	return u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 |
	    (uint32_t)u[3] << 24;
}

static void
pack(char *s, uint32_t u)
{
	s[0] = (char)(u & 255), s[1] = (char)(u >> 8 & 255);
	s[2] = (char)(u >> 16 & 255), s[3] = (char)(u >> 24);
}

void
cdb_free(struct cdb *c)
{
	if (c->map)
		munmap(c->map, c->size);
	c->map = NULL;
}

void
cdb_init(struct cdb *c, int fd)
{
	struct stat st;
	void *x;

	c->map = NULL, c->fd = fd, c->size = 0, c->loop = 0;
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (uintmax_t)st.st_size <= 0xffffffffU) {
		x = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (x != MAP_FAILED) {
			c->map = x;
			c->size = (uint32_t)st.st_size;
		} else
			c->size = (uint32_t)st.st_size;
	}
}

int
cdb_read(struct cdb *c, char *buf, uint32_t len, uint32_t pos)
{
	ssize_t r;

	if (pos > c->size || c->size - pos < len)
		return errno = EPROTO, -1;
	if (c->map) {
		memcpy(buf, c->map + pos, len);
		return 0;
	}
	while (len > 0) {
		r = pread(c->fd, buf, len, pos);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			return errno = EPROTO, -1;
		buf += r, len -= (uint32_t)r, pos += (uint32_t)r;
	}
	return 0;
}

static int
match(struct cdb *c, const char *key, uint32_t len, uint32_t pos)
{
	char buf[64];
	uint32_t n;

	while (len > 0) {
		n = len < sizeof buf ? len : sizeof buf;
		if (cdb_read(c, buf, n, pos) == -1)
			return -1;
		if (memcmp(buf, key, n))
			return 0;
		pos += n, key += n, len -= n;
	}
	return 1;
}

void
cdb_findstart(struct cdb *c)
{
	c->loop = 0;
}

int
cdb_findnext(struct cdb *c, const char *key, uint32_t len)
{
	char buf[8];
	uint32_t pos, u;

	if (c->loop == 0) {
		u = cdb_hash(key, len);
		if (cdb_read(c, buf, 8, (u << 3) & 2047) == -1)
			return -1;
		c->hslots = unpack(buf + 4);
		if (c->hslots == 0)
			return 0;
		c->hpos = unpack(buf);
		if (c->hpos > c->size || c->hslots > (c->size - c->hpos) / 8)
			return errno = EPROTO, -1;
		c->khash = u;
		u >>= 8;
		u %= c->hslots;
		u <<= 3;
		c->kpos = c->hpos + u;
	}
	while (c->loop < c->hslots) {
		if (cdb_read(c, buf, 8, c->kpos) == -1)
			return -1;
		pos = unpack(buf + 4);
		if (pos == 0)
			return 0;
		c->loop += 1;
		c->kpos += 8;
		if (c->kpos == c->hpos + (c->hslots << 3))
			c->kpos = c->hpos;
		u = unpack(buf);
		if (u == c->khash) {
			if (cdb_read(c, buf, 8, pos) == -1)
				return -1;
			u = unpack(buf);
			if (u == len) {
				switch (match(c, key, len, pos + 8)) {
				case -1:
					return -1;
				case 1:
					c->dlen = unpack(buf + 4);
					if (pos + 8 > c->size ||
					    len > c->size - pos - 8)
						return errno = EPROTO, -1;
					c->dpos = pos + 8 + len;
					if (c->dlen > c->size - c->dpos)
						return errno = EPROTO, -1;
					return 1;
				}
			}
		}
	}
	return 0;
}

int
cdb_find(struct cdb *c, const char *key, uint32_t len)
{
	cdb_findstart(c);
	return cdb_findnext(c, key, len);
}

int
cdb_make_start(struct cdb_make *m, int fd)
{
	m->hp = NULL, m->nhp = m->caphp = 0;
	m->fd = fd;
	m->pos = 2048;
	buf_init(&m->b, fd, m->space, sizeof m->space);
	if (lseek(fd, 2048, SEEK_SET) == -1)
		return -1;
	return 0;
}

static int
posplus(struct cdb_make *m, uint32_t len)
{
	uint32_t n = m->pos + len;

	if (n < len)
		return errno = ENOMEM, -1;	/* a cdb is at most 4 GB */
	m->pos = n;
	return 0;
}

int
cdb_make_add(struct cdb_make *m, const char *k, uint32_t kl, const char *d,
    uint32_t dl)
{
	char buf[8];
	struct cdb_hp *n;

	if (m->nhp == m->caphp) {
		uint32_t cap = m->caphp ? m->caphp * 2 : 1024;
		if (cap < m->caphp)
			return errno = ENOMEM, -1;
		n = realloc_array(m->hp, cap, sizeof *n);
		if (n == NULL)
			return -1;
		m->hp = n, m->caphp = cap;
	}
	pack(buf, kl);
	pack(buf + 4, dl);
	if (buf_put(&m->b, buf, 8) == -1 || buf_put(&m->b, k, kl) == -1 ||
	    buf_put(&m->b, d, dl) == -1)
		return -1;
	m->hp[m->nhp].h = cdb_hash(k, kl);
	m->hp[m->nhp].p = m->pos;
	m->nhp++;
	if (posplus(m, 8) == -1 || posplus(m, kl) == -1 ||
	    posplus(m, dl) == -1)
		return -1;
	return 0;
}

int
cdb_make_finish(struct cdb_make *m)
{
	char final[2048], buf[8];
	uint32_t count[256], start[256], i, u, len, where;
	struct cdb_hp *split = NULL, *hash = NULL;
	uint32_t memsize = 0;

	memset(count, 0, sizeof count);
	for (i = 0; i < m->nhp; i++)
		count[m->hp[i].h & 255]++;
	for (i = 0; i < 256; i++)
		if (count[i] * 2 > memsize)
			memsize = count[i] * 2;
	if ((split = alloc_array(m->nhp + 1, sizeof *split)) == NULL ||
	    (hash = alloc_array(memsize + 1, sizeof *hash)) == NULL)
		goto nomem;
	u = 0;
	for (i = 0; i < 256; i++)
		u += count[i], start[i] = u;
	for (i = m->nhp; i-- > 0;)
		split[--start[m->hp[i].h & 255]] = m->hp[i];
	for (i = 0; i < 256; i++) {
		uint32_t j;
		len = count[i] * 2;
		pack(final + 8 * i, m->pos);
		pack(final + 8 * i + 4, len);
		for (u = 0; u < len; u++)
			hash[u].h = hash[u].p = 0;
		for (j = 0; j < count[i]; j++) {
			struct cdb_hp *hp = &split[start[i] + j];
			where = (hp->h >> 8) % len;
			while (hash[where].p)
				if (++where == len)
					where = 0;
			hash[where] = *hp;
		}
		for (u = 0; u < len; u++) {
			pack(buf, hash[u].h);
			pack(buf + 4, hash[u].p);
			if (buf_put(&m->b, buf, 8) == -1)
				goto fail;
			if (posplus(m, 8) == -1)
				goto fail;
		}
	}
	if (buf_flush(&m->b) == -1)
		goto fail;
	if (lseek(m->fd, 0, SEEK_SET) == -1 ||
	    io_writeall(m->fd, final, sizeof final) == -1)
		goto fail;
	free(split), free(hash), free(m->hp);
	m->hp = NULL;
	return 0;
nomem:
	errno = ENOMEM;
fail:
	{
		int e = errno;
		free(split), free(hash), free(m->hp);
		m->hp = NULL;
		return errno = e, -1;
	}
}
