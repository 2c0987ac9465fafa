/* envelope.c: envelope records (envelope.h). */
#include "die.h"
#include "envelope.h"
#include "limit.h"

enum { WANT_F, IN_ADDR, WANT_T };

int
env_in_feed(struct env_in *st, struct sa *e, const char *p, size_t n,
    size_t *used)
{
	size_t i, n0 = n;
	int code = 0;

	while (n > 0 && code == 0) {
		switch (st->state) {
		case WANT_F:
			if (*p != 'F') {
				code = QQ_ENVELOPE;
				continue;
			}
			goto record;
		case WANT_T:
			if (*p == 0) {
				code = ENV_IN_DONE;
				continue;
			}
			if (*p != 'T' || ++st->nrcpt > LIMIT_QQ_RCPTS) {
				code = QQ_ENVELOPE;
				continue;
			}
		record:
			if (sa_catc(e, *p) == -1) {
				code = QQ_NOMEM;
				continue;
			}
			p++, n--, st->len = 0, st->state = IN_ADDR;
			break;
		case IN_ADDR:
			i = byte_chr(p, n, 0);
			if (i > LIMIT_ADDR - st->len) {
				code = QQ_ADDR_TOO_LONG;
				continue;
			}
			st->len += i;
			if (i < n)
				i++, st->state = WANT_T;	/* with its NUL */
			if (sa_catb(e, p, i) == -1) {
				code = QQ_NOMEM;
				continue;
			}
			p += i, n -= i;
			break;
		}
		if (e->len > LIMIT_QQ_ENVELOPE)
			code = QQ_ENVELOPE;
	}
	*used = n0 - n;
	return code;
}

int
env_next(const char *s, size_t n, size_t *pos, int *type, const char **v,
    size_t *vlen)
{
	size_t p = *pos, end;

	if (p >= n)
		return 0;
	end = p + byte_chr(s + p, n - p, 0);
	if (end == n)
		return -1;
	*type = (unsigned char)s[p];
	*v = s + p + (end > p);
	*vlen = end > p ? end - p - 1 : 0;
	*pos = end + 1;
	return 1;
}
