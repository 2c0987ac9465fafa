/*
 * fuzz target: qmail-smtpd's parsers (lib/smtp.h).  The DATA machine must
 * end the data exactly after the first CR LF . CR LF (the input counting
 * as following a CR LF), nowhere else; must flag every bare CR or LF it
 * consumed and none other; must unstuff exactly as RFC 5321 4.5.2 says
 * when nothing was bare; and must give the same result however the input
 * is cut into reads and however small the output room.  The command
 * parsers must stay inside their input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/smtp.h"

const char prog[] = "fuzz-smtp";

struct run {
	size_t	used;
	int	bare, done;
	char	out[8192];
	size_t	olen;
};

static void
run(struct run *r, const char *s, size_t n, size_t step, size_t room)
{
	struct smtp_data d = SMTP_DATA_INIT;
	size_t pos = 0, k, used, got, cap;

	r->olen = 0;
	while (pos < n && !d.done) {
		k = n - pos < step ? n - pos : step;
		cap = sizeof r->out - r->olen;
		if (cap > room)
			cap = room;
		used = smtp_data_scan(&d, s + pos, k, r->out + r->olen, cap, &got);
		if (used > k || got > cap || got > used + 1)
			abort();
		if (used == 0 && cap >= 2)
			abort();	/* no progress with room to spare */
		pos += used, r->olen += got;
	}
	r->used = pos, r->bare = d.bare, r->done = d.done;
}

/* Where the data ends per RFC 5321 4.1.1.4, or 0. */
static size_t
end_of_data(const char *s, size_t n)
{
	size_t i;

	if (n >= 3 && memcmp(s, ".\r\n", 3) == 0)
		return 3;
	for (i = 0; i + 5 <= n; i++)
		if (memcmp(s + i, "\r\n.\r\n", 5) == 0)
			return i + 5;
	return 0;
}

/* Any bare CR or LF in s[0, n): a CR at the very end is still pending. */
static int
has_bare(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return 1;
		if (s[i] == '\r' && i + 1 < n && s[i + 1] != '\n')
			return 1;
	}
	return 0;
}

/* The unstuffed text of s[0, n), which holds no bare CR or LF. */
static size_t
unstuff(const char *s, size_t n, int done, char *out)
{
	size_t i = 0, e, o = 0;

	if (done)
		n -= 3;	/* the ".\r\n" line */
	while (i < n) {
		e = i;
		while (e < n && s[e] != '\r')
			++e;
		if (s[i] == '.')
			++i;
		if (e > i)
			memcpy(out + o, s + i, e - i), o += e - i;
		if (e + 1 < n) {	/* a whole CR LF */
			out[o++] = '\n';
			e += 2;
		} else if (e < n)
			++e;	/* a pending CR at the end */
		i = e;
	}
	return o;
}

static void
commands(const char *s, size_t n)
{
	size_t v, a, al, used, pos = 0, ps, pn;
	struct sa addr = SA_INIT;
	unsigned long size;
	int u = 0;

	if (smtp_split(s, n, &v, &a, &al) == -1) {
		if (memchr(s, 0, n) == NULL)
			abort();
		return;
	}
	if (v > n || a < v || a + al > n || memchr(s, ' ', v) ||
	    (al && (s[a] == ' ' || s[a + al - 1] == ' ')))
		abort();
	used = smtp_path(&addr, s + a, al, "from:");
	if (used > al)
		abort();
	if (used) {
		smtp_mail_params(s + a + used, al - used, &size, &u);
		while (smtp_next_param(s + a + used, al - used, &pos, &ps, &pn))
			if (ps + pn > al - used || pn == 0 ||
			    memchr(s + a + used + ps, ' ', pn))
				abort();
	}
	sa_free(&addr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct run a, b;
	static char want[8192];
	const char *s;
	size_t end, wl, step;

	if (n < 1 || n > 4096)
		return 0;
	step = d[0] % 16 + 1;
	s = (const char *)d + 1, --n;
	commands(s, n);
	run(&a, s, n, n ? n : 1, sizeof a.out);
	run(&b, s, n, step, 2 + d[0] / 16);
	if (a.used != b.used || a.bare != b.bare || a.done != b.done ||
	    a.olen != b.olen || memcmp(a.out, b.out, a.olen))
		abort();
	end = end_of_data(s, n);
	if (a.done != (end != 0) || (end && a.used != end) ||
	    (!end && a.used != n))
		abort();
	if (a.bare != has_bare(s, a.used))
		abort();
	if (!a.bare) {
		wl = unstuff(s, a.used, a.done, want);
		if (wl != a.olen || memcmp(want, a.out, wl))
			abort();
	}
	return 0;
}
