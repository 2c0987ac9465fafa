/*
 * b64.c: strict base64 (b64.h).
 */
#include <errno.h>
#include <stdint.h>

#include "b64.h"

static const char digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* the value of one base64 digit, -1 for anything else ('=' included) */
static int
val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
b64_decode(struct sa *out, const char *in, size_t n)
{
	size_t i, pad = 0;
	uint32_t w;
	int j, v;
	char b[3];

	out->len = 0;
	if (n % 4)
		return errno = EINVAL, -1;
	if (n && in[n - 1] == '=')
		pad = n >= 2 && in[n - 2] == '=' ? 2 : 1;
	if (sa_ready(out, n / 4 * 3) == -1)
		return -1;
	for (i = 0; i < n; i += 4) {
		w = 0;
		for (j = 0; j < 4; j++) {
			if (i + 4 == n && j >= 4 - (int)pad)
				v = 0;	/* a pad '=': only where pad said */
			else if ((v = val((unsigned char)in[i + j])) == -1)
				return out->len = 0, errno = EINVAL, -1;
			w = w << 6 | (uint32_t)v;
		}
		b[0] = (char)(w >> 16), b[1] = (char)(w >> 8), b[2] = (char)w;
		if (i + 4 == n && pad) {
			/* RFC 4648 3.5: the bits under the padding are zero */
			if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
				return out->len = 0, errno = EINVAL, -1;
			if (sa_catb(out, b, 3 - pad) == -1)
				return -1;
		} else if (sa_catb(out, b, 3) == -1)
			return -1;
	}
	return 0;
}

int
b64_encode(struct sa *out, const char *in, size_t n)
{
	const unsigned char *s = (const unsigned char *)in;
	uint32_t w;
	size_t i;
	char b[4];

	out->len = 0;
	if (n / 3 >= SIZE_MAX / 4 - 1)
		return errno = ENOMEM, -1;
	if (sa_ready(out, (n + 2) / 3 * 4) == -1)
		return -1;
	for (i = 0; i < n; i += 3) {
		w = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			w |= s[i + 2];
		b[0] = digits[w >> 18 & 63];
		b[1] = digits[w >> 12 & 63];
		b[2] = i + 1 < n ? digits[w >> 6 & 63] : '=';
		b[3] = i + 2 < n ? digits[w & 63] : '=';
		if (sa_catb(out, b, 4) == -1)
			return -1;
	}
	return 0;
}
