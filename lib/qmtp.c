/*
 * qmtp.c: QMTP package framing (qmtp.h), on top of netstr.h.
 */
#include <errno.h>

#include "netstr.h"
#include "qmtp.h"

size_t
qmtp_nslen(size_t len)
{
	size_t d = 1;

	while (len >= 10)
		len /= 10, ++d;
	return d + 2;
}

int
qmtp_msghead(struct buf *in, unsigned long max, size_t *mlen, int *crlf)
{
	size_t len;
	char first;
	ssize_t r;

	if ((r = ns_getlen(in, &len, max)) <= 0)
		return (int)r;
	if (len == 0)
		return errno = EPROTO, -1;
	if ((r = buf_get(in, &first, 1)) == -1)
		return -1;
	if (r == 0)
		return errno = EPROTO, -1;
	if (first == '\n')
		*crlf = 0;
	else if (first == '\r')
		*crlf = 1;
	else
		return errno = EPROTO, -1;	/* no other format exists */
	*mlen = len - 1;
	return 1;
}

int
qmtp_rcptlist(struct buf *in, size_t max, size_t *left)
{
	int r;

	if ((r = ns_getlen(in, left, max)) == 0)
		return errno = EPROTO, -1;	/* EOF inside the package */
	return r;
}

int
qmtp_rcpt(struct buf *in, size_t *left, struct sa *x, size_t max)
{
	size_t alen, avail;
	char *p;
	int r;

	if (*left == 0)
		return 0;
	if ((r = ns_getlen(in, &alen, max)) == 0)
		return errno = EPROTO, -1;
	if (r == -1)
		return -1;
	if (qmtp_nslen(alen) + alen > *left)
		return errno = EPROTO, -1;	/* spills out of the list */
	x->len = 0;
	if (sa_ready(x, alen + 1) == -1)
		return -1;
	while (x->len < alen) {
		if ((p = buf_peek(in, &avail)) == NULL)
			return -1;
		if (avail == 0)
			return errno = EPROTO, -1;
		if (avail > alen - x->len)
			avail = alen - x->len;
		if (sa_catb(x, p, avail) == -1)
			return -1;
		buf_seek(in, avail);
	}
	if (ns_getcomma(in) != 1)
		return -1;
	*left -= qmtp_nslen(alen) + alen;
	return 1;
}
