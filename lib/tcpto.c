/*
 * tcpto.c: the table of addresses that timed out (dns.h).
 *
 * A record of TCPTO_REC bytes: byte 0 the family (0 free, 4, 6), byte 1
 * the number of timeouts in a row, bytes 8-15 the time of the last one
 * (seconds, little-endian), bytes 16-31 the address.  A short or empty
 * file is an empty table.
 */
#include <sys/types.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "io.h"

static int
rec_get(const char *r, struct tcpto_ent *e)
{
	const unsigned char *u = (const unsigned char *)r;
	int i;

	if (u[0] != 4 && u[0] != 6)
		return 0;
	memset(&e->ip, 0, sizeof e->ip);
	e->ip.af = u[0];
	memcpy(e->ip.a, u + 16, u[0] == 4 ? 4 : 16);
	e->count = u[1];
	e->when = 0;
	for (i = 7; i >= 0; i--)
		e->when = e->when << 8 | u[8 + i];
	return 1;
}

void
tcpto_encode(char *r, const struct tcpto_ent *e)
{
	unsigned char *u = (unsigned char *)r;
	unsigned long w = e->when;
	int i;

	memset(u, 0, TCPTO_REC);
	u[0] = e->ip.af;
	u[1] = (unsigned char)(e->count > 255 ? 255 : e->count);
	for (i = 0; i < 8; i++, w >>= 8)
		u[8 + i] = (unsigned char)(w & 255);
	memcpy(u + 16, e->ip.a, e->ip.af == 4 ? 4 : 16);
}

size_t
tcpto_decode(const char *b, size_t n, struct tcpto_ent *e, size_t max)
{
	size_t i, k = 0;

	for (i = 0; i + TCPTO_REC <= n && i < TCPTO_SLOTS * TCPTO_REC &&
	    k < max; i += TCPTO_REC)
		if (rec_get(b + i, &e[k]))
			k++;
	return k;
}

static ssize_t
load(int fd, char *b)
{
	ssize_t r;

	memset(b, 0, TCPTO_SLOTS * TCPTO_REC);
	if (lock_ex(fd) == -1)
		return -1;
	r = pread(fd, b, TCPTO_SLOTS * TCPTO_REC, 0);
	return r;
}

int
tcpto_skip(const struct ip *ip, long jitter)
{
	char b[TCPTO_SLOTS * TCPTO_REC];
	struct tcpto_ent e;
	size_t i;
	int fd, skip = 0;

	if ((fd = open(TCPTO_FILE, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (load(fd, b) == -1) {
		close(fd);
		return 0;
	}
	close(fd);
	for (i = 0; i < TCPTO_SLOTS; i++)
		if (rec_get(b + i * TCPTO_REC, &e) && ip_equal(&e.ip, ip)) {
			/* two in a row: leave it alone for 64 to 97 minutes,
			 * the spread keeping parallel deliveries from all
			 * retrying at once */
			if (e.count >= 2 && (unsigned long)time(NULL) <
			    e.when + ((60UL + (unsigned long)(jitter & 31)) << 6))
				skip = 1;
			break;
		}
	return skip;
}

void
tcpto_note(const struct ip *ip, int timedout)
{
	char b[TCPTO_SLOTS * TCPTO_REC];
	struct tcpto_ent e;
	size_t i, slot = TCPTO_SLOTS, oldest = 0;
	unsigned long oldwhen = (unsigned long)-1;
	int fd;

	if ((fd = open(TCPTO_FILE, O_RDWR | O_CLOEXEC)) == -1)
		return;
	if (load(fd, b) == -1) {
		close(fd);
		return;
	}
	for (i = 0; i < TCPTO_SLOTS; i++) {
		if (!rec_get(b + i * TCPTO_REC, &e)) {
			if (oldwhen)
				oldest = i, oldwhen = 0;	/* a free slot */
			continue;
		}
		if (ip_equal(&e.ip, ip)) {
			slot = i;
			break;
		}
		if (e.when < oldwhen)
			oldest = i, oldwhen = e.when;
	}
	if (slot < TCPTO_SLOTS) {
		if (timedout)
			e.count++;
		else
			memset(&e, 0, sizeof e);	/* it answers again */
	} else if (timedout) {
		slot = oldest;
		e.ip = *ip;
		e.count = 1;
	} else {
		close(fd);
		return;
	}
	e.when = (unsigned long)time(NULL);
	if (e.ip.af)
		tcpto_encode(b + slot * TCPTO_REC, &e);
	else
		memset(b + slot * TCPTO_REC, 0, TCPTO_REC);
	(void)pwrite(fd, b + slot * TCPTO_REC, TCPTO_REC,
	    (off_t)(slot * TCPTO_REC));
	close(fd);	/* releases the lock */
}
