/*
 * mtasts.h: SMTP MTA Strict Transport Security (RFC 8461): the policy
 * text, the _mta-sts TXT record, MX name patterns, the HTTP response that
 * carries a policy, and the cache record qmail-mtasts writes and
 * qmail-remote reads (queue/mtasts/DOMAIN, man/qmail-mtasts.8).
 *
 * Every parser takes bytes and a length, trusts none of them and never
 * reads outside them.  Parsers of whole texts return NULL when the text is
 * valid and a short static reason ("no version", ...) when it is not;
 * the others return what their comment says.
 */
#ifndef MTASTS_H
#define MTASTS_H

#include <stddef.h>

#include "dns.h"
#include "str.h"

#define MTASTS_MAXPOLICY 65536UL	/* bytes of a policy (RFC 8461 3.3: 64 KB) */
#define MTASTS_MAXAGE	31557600UL	/* RFC 8461 3.2: at most about a year */
#define MTASTS_NEGTTL	3600UL		/* a domain without a policy: an hour */
#define MTASTS_RECHECK	3600UL		/* a cached policy: TXT id checked hourly */
#define MTASTS_IDLEN	32		/* RFC 8461 3.1: 1*32(ALPHA / DIGIT) */
#define MTASTS_MXMAX	64		/* mx patterns one policy may list */
#define MTASTS_DIR	"queue/mtasts"	/* the cache, relative to the home */

enum { MTASTS_NONE = 0, MTASTS_TESTING = 1, MTASTS_ENFORCE = 2 };

/* A policy, or a cache record: a policy with its facts, or a negative
 * entry (has_policy 0) that says the domain published none. */
struct mtasts {
	char		domain[DNS_NAME];	/* lower case, no final dot */
	int		has_policy;
	char		id[MTASTS_IDLEN + 1];
	unsigned long	fetched;	/* when the policy was fetched */
	unsigned long	refresh;	/* after this, look at the TXT id again */
	unsigned long	expires;	/* after this, the entry is void */
	int		mode;
	unsigned long	max_age;
	size_t		nmx;
	char		mx[MTASTS_MXMAX][DNS_NAME];	/* lower case; "*.x.y" */
};

/* RFC 8461 3.2: version, mode, max_age, mx lines (CR LF or LF); unknown
 * keys ignored; the first of a repeated key counts (mx: all of them);
 * max_age above MTASTS_MAXAGE is cut down to it.  Fills mode, max_age,
 * nmx and mx of p and nothing else. */
const char	*mtasts_policy(struct mtasts *, const char *, size_t);

/* RFC 8461 3.1: one TXT record's text.  1 a valid STSv1 record (id set,
 * NUL-terminated), 0 not an STSv1 record at all, -1 an invalid one. */
int		 mtasts_txt(char *, const char *, size_t);
/* Records as dns_txt gives them (each NUL-terminated): 1 exactly one
 * STSv1 record and it is valid (id set); 0 otherwise (no policy). */
int		 mtasts_txt_pick(char *, const char *, size_t);

/* RFC 8461 4.1: host (no final dot, any case) matches pattern exactly or,
 * for "*.rest", by one leftmost label followed by ".rest".  1 or 0. */
int		 mtasts_mx_match(const char *, const char *);
int		 mtasts_mx_allowed(const struct mtasts *, const char *);

/* A domain name we look up and name a cache file by: letters, digits,
 * '-', '_', '.', no empty label, at most 253 bytes.  Lower-cased into out
 * (DNS_NAME bytes), without a final dot.  1 good, 0 not. */
int		 mtasts_domain(char *, const char *, size_t);

const char	*mtasts_mode_name(int);	/* "none", "testing", "enforce" */

/*
 * An HTTP/1.x response read whole (at most MTASTS_MAXPOLICY + 16 KB): the
 * status, whether Content-Type is text/plain, and the body, with a
 * chunked transfer coding undone into body.  NULL when it is a usable
 * "200 text/plain" answer, else why not.  Without a clean end (TLS
 * close_notify: the last int 0) the body must have a Content-Length or
 * be chunked, so a cut connection cannot shorten the policy.
 */
const char	*mtasts_http(struct sa *, const char *, size_t, int);
#define MTASTS_HTTPMAX	(MTASTS_MAXPOLICY + 16384UL)

/* The cache record: "key: value" lines (man/qmail-mtasts.8). */
int		 mtasts_fmt(struct sa *, const struct mtasts *);	/* 0, -1 ENOMEM */
const char	*mtasts_parse(struct mtasts *, const char *, size_t);
/* queue/mtasts/DOMAIN relative to the home: 1 read and valid for domain,
 * 0 absent or unusable (treated as absent), -1 error with errno set */
int		 mtasts_cache_read(struct mtasts *, const char *);
/* write it atomically: a temporary file, then rename; 0 or -1 */
int		 mtasts_cache_write(const struct mtasts *);

#endif
