/*
 * hdr.h: RFC 5322 header fields and address lists, rewritten the way
 * qmail-inject does (qmail-header(5)).
 *
 * hdr_addrlist parses the contents of an address-list field (To, From,
 * Cc, ...: everything after the colon, continuation lines included):
 * addresses, "Phrase <route-addr>", groups "name: a, b;", comments,
 * quoted strings and domain literals.  It calls fn for each address,
 * which may rewrite it, and appends the field rebuilt from the tokens to
 * out (comments and phrases kept, source routes dropped, a comma put
 * between addresses separated only by a space, long lists folded).
 * Returns 1 parsed, 0 a syntax error (unbalanced quote, comment or
 * bracket, NUL or another control character, a stray '>' or ')', a
 * group inside a group), -1 when fn or memory failed (errno set).
 * Nothing is read past n; the work is linear in n.
 *
 * Other functions return 0 on success, -1 with errno set (ENOMEM).
 */
#ifndef HDR_H
#define HDR_H

#include "str.h"

struct hdr_addr {
	struct sa	 local;		/* unquoted: "a b"@c gives a b */
	struct sa	 domain;	/* as written: atoms, dots, [literal] */
	int		 at;		/* an @ was written (or added) */
	int		 angle;		/* written as <...>: <> is the null address */
};

typedef int (*hdr_addr_fn)(struct hdr_addr *, void *);

int	 hdr_addrlist(struct sa *, const char *, size_t, size_t, hdr_addr_fn,
	    void *);	/* the size_t before fn: column where the contents start */

/* "local@domain" (local unquoted, the envelope form) appended to out */
int	 hdr_addr_env(struct sa *, const struct hdr_addr *);
/* the same quoted for a header: "a b"@c */
int	 hdr_addr_quote(struct sa *, const struct hdr_addr *);
/* split a command-line address at its last '@' (no '@': local only) */
int	 hdr_addr_set(struct hdr_addr *, const char *, size_t);
void	 hdr_addr_free(struct hdr_addr *);

/*
 * qmail-inject's rewriting: an address without a host gets @defaulthost;
 * a host ending in '+' loses it and gets .plusdomain; a host without a
 * dot gets .defaultdomain; a trailing dot is removed.  <> (empty, with
 * angle set) and @[] stay.
 */
struct hdr_rwconf {
	const char	*defaulthost;
	const char	*defaultdomain;
	const char	*plusdomain;
};
int	 hdr_rewrite(struct hdr_addr *, const struct hdr_rwconf *);

/*
 * A header line: the length of the field name if the line starts a field
 * ("Name:" with printable non-space name bytes, spaces or tabs allowed
 * before the colon), else 0.  hdr_is compares a field's name with a
 * name, ignoring case; hdr_value gives the offset of the contents.
 */
size_t	 hdr_name(const char *, size_t);
int	 hdr_is(const char *, size_t, const char *);
size_t	 hdr_value(const char *, size_t);

#endif
