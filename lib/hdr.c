/*
 * hdr.c: header fields and address lists (hdr.h).
 *
 * The contents are first cut into tokens (RFC 5322 section 3.2: atoms,
 * quoted strings, domain literals, comments and the specials), then read
 * as a list of items: a group, an angle address with its phrase, or a
 * run of bare addresses.  Each item is rendered again from its tokens,
 * with every address replaced by its rewritten form.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"

enum { T_ATOM = 'a', T_QUOTE = 'q', T_LIT = 'l', T_COMMENT = 'c' };

struct tok {
	int		 type;	/* T_* or the special character itself */
	const char	*s;	/* raw text, quotes and parentheses included */
	size_t		 n;
};

struct toks {
	struct tok	*t;
	size_t		 len, cap;
};

static int
tok_add(struct toks *x, int type, const char *s, size_t n)
{
	struct tok *t;
	size_t cap;

	if (x->len == x->cap) {
		cap = x->cap ? x->cap * 2 : 32;
		if ((t = realloc_array(x->t, cap, sizeof *t)) == NULL)
			return -1;
		x->t = t, x->cap = cap;
	}
	x->t[x->len].type = type, x->t[x->len].s = s, x->t[x->len].n = n;
	x->len++;
	return 0;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_ctl(unsigned char c)
{
	return (c < 32 && !is_space(c)) || c == 127;
}

static int
is_special(unsigned char c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '@' ||
	    c == ',' || c == ';' || c == ':' || c == '"' || c == '.' ||
	    c == '[' || c == ']';
}

/* the end of a quoted string, literal or comment opened at s[0]; 0 if
 * it is not closed */
static size_t
closing(const char *s, size_t n)
{
	unsigned char open = (unsigned char)s[0];
	unsigned char close = open == '(' ? ')' : open == '[' ? ']' : '"';
	size_t i, depth = 1;

	for (i = 1; i < n; i++) {
		if (s[i] == '\\') {	/* quoted-pair: \ VCHAR or WSP */
			if (++i == n || is_ctl((unsigned char)s[i]) ||
			    s[i] == '\r' || s[i] == '\n')
				return 0;
			continue;
		}
		if (is_ctl((unsigned char)s[i]))
			return 0;
		if (open == '(' && s[i] == '(')
			depth++;
		else if ((unsigned char)s[i] == close && --depth == 0)
			return i + 1;
		else if (open == '[' && s[i] == '[')
			return 0;
	}
	return 0;
}

/* 1 ok, 0 syntax error, -1 no memory */
static int
tokenize(struct toks *x, const char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (is_space(c)) {
			i++;
			continue;
		}
		if (is_ctl(c) || c == ')' || c == ']')
			return 0;
		if (c == '(' || c == '"' || c == '[') {
			if ((j = closing(s + i, n - i)) == 0)
				return 0;
			if (tok_add(x, c == '(' ? T_COMMENT : c == '"' ?
			    T_QUOTE : T_LIT, s + i, j) == -1)
				return -1;
			i += j;
			continue;
		}
		if (is_special(c)) {
			if (tok_add(x, c, s + i, 1) == -1)
				return -1;
			i++;
			continue;
		}
		for (j = i; j < n; j++) {
			c = (unsigned char)s[j];
			if (is_space(c) || is_special(c) || is_ctl(c))
				break;
		}
		if (tok_add(x, T_ATOM, s + i, j - i) == -1)
			return -1;
		i = j;
	}
	return 1;
}

static int
is_word(int type)
{
	return type == T_ATOM || type == T_QUOTE || type == T_LIT;
}

/* a quoted string's contents: quotes, backslashes and folding removed */
static int
unquote(struct sa *out, const char *s, size_t n)
{
	size_t i;

	for (i = 1; i + 1 < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (sa_catc(out, s[i]) == -1)
			return -1;
	}
	return 0;
}

/* raw token text with folding removed (literals may be folded) */
static int
cat_unfolded(struct sa *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n' && sa_catc(out, s[i]) == -1)
			return -1;
	return 0;
}

/*
 * Fill a from the address tokens t[0..n) (no comments): everything
 * before the last '@' is the local part, unquoted, the rest the domain,
 * as written (a quoted string there keeps its quotes).
 */
static int
fill_addr(struct hdr_addr *a, const struct tok *t, size_t n)
{
	size_t i, at = n;

	a->local.len = a->domain.len = 0;
	a->at = 0;
	for (i = 0; i < n; i++)
		if (t[i].type == '@')
			at = i;
	for (i = 0; i < n; i++) {
		struct sa *d = i < at ? &a->local : &a->domain;

		if (i == at) {
			a->at = 1;
			continue;
		}
		if (t[i].type == T_QUOTE && i < at) {
			if (unquote(d, t[i].s, t[i].n) == -1)
				return -1;
		} else if (cat_unfolded(d, t[i].s, t[i].n) == -1)
			return -1;
	}
	return 0;
}

/* Render helpers: a space between tokens where RFC 5322 text needs one. */
struct out {
	struct sa	*sa;
	int		 last;	/* type of the last thing written, 0 at start */
};

static int
put_tok(struct out *o, int type, const char *s, size_t n)
{
	int nospace = o->last == 0 || o->last == '.' || o->last == '@' ||
	    o->last == '<' || type == '.' || type == '@' || type == '>' ||
	    type == ',' || (type == ';' && o->last != ':') || type == ':';

	if (!nospace && sa_catc(o->sa, ' ') == -1)
		return -1;
	if (cat_unfolded(o->sa, s, n) == -1)
		return -1;
	o->last = type;
	return 0;
}

static int
put_addr(struct out *o, const struct hdr_addr *a)
{
	if (o->last != 0 && o->last != '<' && sa_catc(o->sa, ' ') == -1)
		return -1;
	if (hdr_addr_quote(o->sa, a) == -1)
		return -1;
	o->last = T_ATOM;
	return 0;
}

struct parse {
	const struct tok	*t;
	size_t			 n;
	size_t			 i;	/* cursor */
	hdr_addr_fn		 fn;
	void			*arg;
	struct hdr_addr		 a;
	struct toks		 at;	/* address tokens without comments */
	size_t			*stop;	/* next ',' ';' '<' '>' ':' from here */
};

/*
 * One address from tokens t[b..e): call fn, render it, then the
 * comments that were inside it.
 */
static int
do_addr(struct parse *p, struct out *o, size_t b, size_t e, int angle)
{
	size_t i;

	p->at.len = 0;
	for (i = b; i < e; i++)
		if (p->t[i].type != T_COMMENT &&
		    tok_add(&p->at, p->t[i].type, p->t[i].s, p->t[i].n) == -1)
			return -1;
	if (fill_addr(&p->a, p->at.t, p->at.len) == -1)
		return -1;
	p->a.angle = angle;
	if (p->fn != NULL && p->fn(&p->a, p->arg) == -1)
		return -1;
	if (put_addr(o, &p->a) == -1)
		return -1;
	for (i = b; i < e; i++)
		if (p->t[i].type == T_COMMENT &&
		    put_tok(o, T_COMMENT, p->t[i].s, p->t[i].n) == -1)
			return -1;
	return 0;
}

/*
 * Bare addresses in t[b..e): words joined by '.' and '@' make one
 * address; a word right after a word starts the next one (qmail-inject
 * reads "djb fred" as "djb, fred").  Returns 2 after the first address
 * when another follows, with p->i at it: the caller makes it a new item.
 */
static int
do_bare(struct parse *p, struct out *o, size_t b, size_t e)
{
	size_t i, prev = e;	/* prev: last non-comment token */
	int any = 0;

	for (i = b; i < e; i++) {
		int ty = p->t[i].type;

		if (ty == T_COMMENT)
			continue;
		if (ty != '.' && ty != '@' && !is_word(ty))
			return 0;
		if (prev != e && is_word(ty) && is_word(p->t[prev].type)) {
			if (do_addr(p, o, b, i, 0) == -1)
				return -1;
			p->i = i;
			return 2;
		}
		prev = i, any = 1;
	}
	if (!any) {	/* comments only */
		for (i = b; i < e; i++)
			if (put_tok(o, T_COMMENT, p->t[i].s, p->t[i].n) == -1)
				return -1;
		return 1;
	}
	return do_addr(p, o, b, e, 0) == -1 ? -1 : 1;
}

/*
 * An angle address at t[p->i] == '<': an optional source route
 * "@a,@b:" (dropped), the address, '>'.
 */
static int
do_angle(struct parse *p, struct out *o)
{
	size_t b, i;

	if (put_tok(o, '<', "<", 1) == -1)
		return -1;
	i = ++p->i;
	while (i < p->n && p->t[i].type == T_COMMENT)
		i++;
	if (i < p->n && p->t[i].type == '@') {	/* source route */
		while (i < p->n && p->t[i].type != ':') {
			if (p->t[i].type == '>' || p->t[i].type == '<' ||
			    p->t[i].type == ';')
				return 0;
			i++;
		}
		if (i == p->n)
			return 0;
		p->i = i + 1;
	}
	for (b = i = p->i; i < p->n && p->t[i].type != '>'; i++)
		if (p->t[i].type != T_COMMENT && p->t[i].type != '.' &&
		    p->t[i].type != '@' && !is_word(p->t[i].type))
			return 0;
	if (i == p->n)
		return 0;	/* no '>' */
	if (do_addr(p, o, b, i, 1) == -1)
		return -1;
	p->i = i + 1;
	o->last = '<';	/* no space before '>' */
	if (put_tok(o, '>', ">", 1) == -1)
		return -1;
	return 1;
}

/*
 * One item, from p->i up to its end: ',' or (in a group) ';'.  p->stop
 * gives the next token that decides what the item is, so a long run of
 * bare addresses is read in linear time.
 */
static int
do_item(struct parse *p, struct out *o, int ingroup)
{
	size_t b = p->i, i = p->stop[b];
	int ty = i < p->n ? p->t[i].type : 0, r;

	if (i == p->n || ty == ',' || (ty == ';' && ingroup)) {
		if ((r = do_bare(p, o, b, i)) == 2)
			return 1;
		p->i = i;
		return r;
	}
	if (ty == '<') {
		for (; b < i; b++)	/* the phrase */
			if (put_tok(o, p->t[b].type, p->t[b].s, p->t[b].n) == -1)
				return -1;
		p->i = i;
		if ((r = do_angle(p, o)) != 1)
			return r;
		/* comments may follow; anything else is an error */
		while (p->i < p->n && p->t[p->i].type == T_COMMENT) {
			if (put_tok(o, T_COMMENT, p->t[p->i].s,
			    p->t[p->i].n) == -1)
				return -1;
			p->i++;
		}
		if (p->i < p->n && p->t[p->i].type != ',' &&
		    !(ingroup && p->t[p->i].type == ';'))
			return 0;
		return 1;
	}
	if (ty != ':' || ingroup)
		return 0;	/* '>' or ';' out of place, a group in a group */
	for (; b < i; b++)	/* the group's name */
		if (put_tok(o, p->t[b].type, p->t[b].s, p->t[b].n) == -1)
			return -1;
	if (put_tok(o, ':', ":", 1) == -1)
		return -1;
	p->i = i + 1;
	for (;;) {
		while (p->i < p->n && p->t[p->i].type == ',')
			p->i++;
		if (p->i == p->n || p->t[p->i].type == ';')
			break;
		if (o->last != ':' && put_tok(o, ',', ",", 1) == -1)
			return -1;
		if ((r = do_item(p, o, 1)) != 1)
			return r;
	}
	/* a missing ';' at the end is forgiven */
	if (put_tok(o, ';', ";", 1) == -1)
		return -1;
	if (p->i < p->n)
		p->i++;
	while (p->i < p->n && p->t[p->i].type == T_COMMENT) {
		if (put_tok(o, T_COMMENT, p->t[p->i].s, p->t[p->i].n) == -1)
			return -1;
		p->i++;
	}
	if (p->i < p->n && p->t[p->i].type != ',')
		return 0;
	return 1;
}

#define FOLD	78	/* fold an address list before this column */

int
hdr_addrlist(struct sa *out, const char *s, size_t n, size_t col,
    hdr_addr_fn fn, void *arg)
{
	struct parse p;
	struct toks x = { NULL, 0, 0 };
	struct sa item = SA_INIT;
	struct out o;
	size_t i;
	int r, first = 1;

	memset(&p, 0, sizeof p);
	if ((r = tokenize(&x, s, n)) != 1)
		goto done;
	p.t = x.t, p.n = x.len, p.fn = fn, p.arg = arg;
	if ((p.stop = alloc_array(x.len + 1, sizeof *p.stop)) == NULL)
		goto nomem;
	p.stop[x.len] = x.len;
	for (i = x.len; i-- > 0;) {
		int ty = x.t[i].type;

		p.stop[i] = ty == ',' || ty == ';' || ty == '<' || ty == '>' ||
		    ty == ':' ? i : p.stop[i + 1];
	}
	while (p.i < p.n) {
		if (p.t[p.i].type == ',') {
			p.i++;
			continue;
		}
		item.len = 0;
		o.sa = &item, o.last = 0;
		if ((r = do_item(&p, &o, 0)) != 1)
			goto done;
		if (item.len == 0)
			continue;
		if (!first) {
			if (col + 2 + item.len > FOLD) {
				if (sa_cats(out, ",\n  ") == -1)
					goto nomem;
				col = 2;
			} else {
				if (sa_cats(out, ", ") == -1)
					goto nomem;
				col += 2;
			}
		}
		if (sa_cat(out, &item) == -1)
			goto nomem;
		col += item.len, first = 0;
	}
	r = 1;
	goto done;
nomem:
	r = -1;
done:
	{
		int e = errno;

		free(x.t);
		free(p.at.t);
		free(p.stop);
		sa_free(&item);
		hdr_addr_free(&p.a);
		errno = e;
	}
	return r;
}

int
hdr_addr_env(struct sa *out, const struct hdr_addr *a)
{
	if (sa_cat(out, &a->local) == -1)
		return -1;
	if (a->at && (sa_catc(out, '@') == -1 || sa_cat(out, &a->domain) == -1))
		return -1;
	return 0;
}

static int
atext(unsigned char c)
{
	if (c >= 128)
		return 1;	/* UTF-8 (RFC 6532) */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

int
hdr_addr_quote(struct sa *out, const struct hdr_addr *a)
{
	const char *l = a->local.s;
	size_t n = a->local.len, i;
	int need = 0;

	if (n == 0 && !a->at && a->angle)
		return 0;			/* <> */
	if (n == 0)
		need = 1;
	for (i = 0; i < n; i++) {
		if (l[i] == '.') {
			if (i == 0 || i + 1 == n || l[i + 1] == '.')
				need = 1;
		} else if (!atext((unsigned char)l[i]))
			need = 1;
	}
	if (!need) {
		if (sa_catb(out, l, n) == -1)
			return -1;
	} else {
		if (sa_catc(out, '"') == -1)
			return -1;
		for (i = 0; i < n; i++) {
			if ((l[i] == '"' || l[i] == '\\') &&
			    sa_catc(out, '\\') == -1)
				return -1;
			if (sa_catc(out, l[i]) == -1)
				return -1;
		}
		if (sa_catc(out, '"') == -1)
			return -1;
	}
	if (a->at && (sa_catc(out, '@') == -1 || sa_cat(out, &a->domain) == -1))
		return -1;
	return 0;
}

int
hdr_addr_set(struct hdr_addr *a, const char *s, size_t n)
{
	size_t at = byte_rchr(s, n, '@');

	a->angle = 0;
	a->at = at < n;
	if (sa_copyb(&a->local, s, at < n ? at : n) == -1)
		return -1;
	a->domain.len = 0;
	if (at < n && sa_copyb(&a->domain, s + at + 1, n - at - 1) == -1)
		return -1;
	return 0;
}

void
hdr_addr_free(struct hdr_addr *a)
{
	sa_free(&a->local);
	sa_free(&a->domain);
}

int
hdr_rewrite(struct hdr_addr *a, const struct hdr_rwconf *c)
{
	struct sa *d = &a->domain;

	if (a->local.len == 0 && !a->at && a->angle)
		return 0;			/* <> */
	if (a->at && d->len == 2 && d->s[0] == '[' && d->s[1] == ']')
		return 0;			/* @[]: a VERP marker */
	while (a->at && d->len > 0 && d->s[d->len - 1] == '.')
		d->len--;			/* host. */
	if (d->len == 0) {			/* box, box@ */
		if (sa_copys(d, c->defaulthost) == -1)
			return -1;
		a->at = 1;
	}
	if (d->len > 0 && d->s[0] == '[')
		return 0;			/* [1.2.3.4] */
	if (d->len > 0 && d->s[d->len - 1] == '+') {
		d->len--;
		return sa_catc(d, '.') == -1 ? -1 : sa_cats(d, c->plusdomain);
	}
	if (byte_chr(d->s, d->len, '.') == d->len)
		return sa_catc(d, '.') == -1 ? -1 : sa_cats(d, c->defaultdomain);
	return 0;
}

size_t
hdr_name(const char *s, size_t n)
{
	size_t i, end;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':' || c == ' ' || c == '\t')
			break;
		if (c < 33 || c > 126)
			return 0;
	}
	if (i == 0)
		return 0;
	end = i;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == n || s[i] != ':')
		return 0;
	return end;
}

int
hdr_is(const char *s, size_t n, const char *name)
{
	size_t len = hdr_name(s, n);

	return len > 0 && case_equalb(s, len, name) && name[len] == 0;
}

size_t
hdr_value(const char *s, size_t n)
{
	size_t i = byte_chr(s, n, ':');

	return i < n ? i + 1 : n;
}
