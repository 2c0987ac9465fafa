/*
 * dksign.c: the key layout's names and the header section (dksign.h).
 */
#include <string.h>

#include "dksign.h"
#include "hdr.h"
#include "str.h"

/* LDH labels of 1-63 bytes separated by dots; *dots counts the dots */
static int
labels(const char *s, size_t n, size_t *dots)
{
	size_t i, label = 0;

	*dots = 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0, (*dots)++;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c == '-' && label > 0)))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[n - 1] != '-';
}

size_t
dksign_domain(char *s, size_t n)
{
	size_t dots;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > DKSIGN_DOMAIN_MAX || !labels(s, n, &dots) ||
	    dots == 0)
		return 0;
	case_lowerb(s, n);
	return n;
}

int
dksign_selector(const char *s, size_t n)
{
	size_t dots;

	return n > 0 && n <= DKSIGN_SELECTOR_MAX && labels(s, n, &dots);
}

/* one whole line (with its LF, or the last one without): 1 at the end */
static int
line(struct dksign_hdr *h, const char *s, size_t n)
{
	if (n == 0 || s[0] == '\n') {
		h->used += n;	/* the empty line ends the section */
		return 1;
	}
	if (h->infield && (s[0] == ' ' || s[0] == '\t')) {
		/* a continuation of the field before */
	} else if (hdr_name(s, n) > 0) {
		if (h->infield && sa_catc(&h->fields, '\0') == -1)
			return -1;
		if (++h->nfields > DKSIGN_FIELDS_MAX) {
			h->toobig = 1;
			return 1;
		}
		h->infield = 1;
	} else
		return 1;	/* the body's first line */
	if (byte_chr(s, n, '\0') < n) {
		h->nul = 1;	/* fields are NUL-ended: cannot hold it */
		return 1;
	}
	if (sa_catb(&h->fields, s, n) == -1)
		return -1;
	h->used += n;
	return 0;
}

static int
finish(struct dksign_hdr *h, int r)
{
	if (r == 1) {
		h->done = 1;
		if (h->infield && !h->toobig && !h->nul &&
		    sa_catc(&h->fields, '\0') == -1)
			return -1;
		h->infield = 0;
	}
	return r;
}

int
dksign_hdr_feed(struct dksign_hdr *h, const char *s, size_t n)
{
	size_t i, lf;
	int r;

	if (h->done)
		return 1;
	for (i = 0; i < n; i = lf) {
		lf = i + byte_chr(s + i, n - i, '\n');
		if (lf < n)
			lf++;
		/* bytes held plus bytes of the section so far: the limit */
		if (lf - i > DKSIGN_HDR_MAX - h->used - h->line.len) {
			h->toobig = 1;
			return finish(h, 1);
		}
		if (h->line.len > 0 || s[lf - 1] != '\n') {
			if (sa_catb(&h->line, s + i, lf - i) == -1)
				return -1;
			if (s[lf - 1] != '\n')
				return 0;	/* more to come */
			r = line(h, h->line.s, h->line.len);
			h->line.len = 0;
		} else
			r = line(h, s + i, lf - i);
		if (r != 0)
			return finish(h, r);
	}
	return 0;
}

int
dksign_hdr_eof(struct dksign_hdr *h)
{
	int r;

	if (h->done)
		return 1;
	r = h->line.len > 0 ? line(h, h->line.s, h->line.len) : 1;
	h->line.len = 0;
	return finish(h, r == -1 ? -1 : 1);
}

void
dksign_hdr_free(struct dksign_hdr *h)
{
	sa_free(&h->fields);
	sa_free(&h->line);
}
