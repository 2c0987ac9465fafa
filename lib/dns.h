/*
 * dns.h: DNS lookups through the libc resolver, IP address text, the
 * machine's own addresses (ipme) and the table of hosts that time out
 * (tcpto).
 *
 * Lookups return DNS_OK (0) or a failure: DNS_TEMP (-1: SERVFAIL, a
 * timeout, no reachable server, a malformed or truncated answer, out of
 * memory: try again later), DNS_PERM (-2: the name does not exist,
 * NXDOMAIN, or is not a valid domain name) or DNS_NULLMX (-3: the domain
 * publishes a null MX, RFC 7505: it accepts no mail).  Results are
 * appended to an iplist, bounded by DNS_IPMAX addresses.
 *
 * The response parser (dns_msg_*, dns_name, dns_select) trusts no byte of
 * its input: every offset is checked against the message length, name
 * compression pointers must point strictly backwards (so they cannot
 * loop), names are at most 255 bytes on the wire, and a label holding a
 * dot, a space or a control byte makes the name invalid.  Parsers return
 * the offset after what they read, 0 for invalid input.
 */
#ifndef DNS_H
#define DNS_H

#include <stddef.h>

#include "str.h"

enum { DNS_OK = 0, DNS_TEMP = -1, DNS_PERM = -2, DNS_NULLMX = -3 };

#define DNS_NAME	256	/* a name as text, with its NUL */
#define DNS_IPMAX	256	/* addresses one lookup collects */
#define DNS_CNAMEMAX	8	/* CNAMEs followed for one name */
#define DNS_T_A		1
#define DNS_T_CNAME	5
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_AAAA	28

struct ip {
	unsigned char	af;	/* 4 or 6 */
	unsigned char	a[16];	/* IPv4 in the first 4 bytes */
};

struct ipmx {
	struct ip	ip;
	unsigned long	pref;	/* MX preference; 0 for an A/AAAA host */
	char		name[DNS_NAME];	/* the host it belongs to, checked
				 * and without a final dot; "" for a literal */
};

struct iplist {
	struct ipmx	*x;
	size_t		 len;
	size_t		 cap;
};
#define IPLIST_INIT	{ 0, 0, 0 }

/* IP text: ip_fmt writes at most IP_FMT bytes, no NUL, returns the count */
#define IP_FMT		46
size_t	 ip_fmt(char *, const struct ip *);
size_t	 ip_scan(const char *, size_t, struct ip *);	/* 1.2.3.4 or ::1 */
size_t	 ip_scanbracket(const char *, size_t, struct ip *);	/* [1.2.3.4], [IPv6:::1], [::1] */
int	 ip_equal(const struct ip *, const struct ip *);

int	 iplist_add(struct iplist *, const struct ip *, unsigned long);
void	 iplist_free(struct iplist *);

/* lookups: name is text of n bytes, with or without a final dot */
int	 dns_ip(struct iplist *, const char *, size_t);	/* AAAA, then A */
/* MX hosts by preference, hosts of equal preference shuffled by seed, each
 * host's AAAA then A addresses; no MX: the domain's own addresses
 * (implicit MX, preference 0); a [literal] is used as is */
int	 dns_mxip(struct iplist *, const char *, size_t, unsigned long);
int	 dns_ptr(struct sa *, const struct ip *);	/* the first PTR name */

/* the response parser */
struct dns_msg {
	const unsigned char *m;
	size_t		 len;
	size_t		 pos;		/* next resource record */
	unsigned	 left;		/* answer records not yet read */
	unsigned	 rcode;
};
struct dns_rr {
	char		 name[DNS_NAME];	/* owner, as text */
	unsigned	 type;
	unsigned	 cls;
	size_t		 rdpos;
	size_t		 rdlen;
};
struct dns_rd {
	size_t		 pos;
	size_t		 len;
};
size_t	 dns_name(const unsigned char *, size_t, size_t, char *);
int	 dns_msg_init(struct dns_msg *, const unsigned char *, size_t);	/* -1 invalid */
int	 dns_msg_next(struct dns_msg *, struct dns_rr *);	/* 1 a record, 0 end, -1 invalid */
/* The answers of type for qname, following the CNAME chain inside the
 * message (at most DNS_CNAMEMAX links): up to max rdata places in rd, their
 * count in *n, the name the chain ended at in canon.  0, or -1 invalid. */
int	 dns_select(const unsigned char *, size_t, const char *, unsigned,
	    struct dns_rd *, size_t, size_t *, char *);
/* MX rdata: the preference and the target name (empty for "." ) */
int	 dns_rd_mx(const unsigned char *, size_t, const struct dns_rd *,
	    unsigned long *, char *);

/* An MTA-STS mx pattern (RFC 8461 3.4) against a host name: "*.example.net"
 * matches a name of exactly one more label under example.net (not
 * example.net itself); any other pattern matches the same name.  Case and
 * a final dot on either side do not matter.  1 matches, 0 does not. */
int	 dns_pattern_match(const char *, const char *);

/* ipme: this machine's addresses (getifaddrs), 0.0.0.0, ::, and the
 * lines of control/moreipme when it exists */
int	 ipme_init(struct iplist *);
int	 ipme_is(const struct iplist *, const struct ip *);

/*
 * tcpto: queue/lock/tcpto remembers addresses whose SMTP servers timed
 * out: TCPTO_SLOTS records of TCPTO_REC bytes (see man/qmail-tcpto.8),
 * read and written under flock.  tcpto_skip says whether to leave an
 * address alone for now (two or more timeouts in a row, the last less than
 * about an hour ago); tcpto_note records a timeout (1) or a success (0).
 * Both ignore every error: the table is only advice.
 */
#define TCPTO_FILE	"queue/lock/tcpto"
#define TCPTO_SLOTS	64
#define TCPTO_REC	32
int	 tcpto_skip(const struct ip *, long);
void	 tcpto_note(const struct ip *, int);
struct tcpto_ent {
	struct ip	ip;
	unsigned	count;		/* timeouts in a row */
	unsigned long	when;		/* time of the last, seconds */
};
size_t	 tcpto_decode(const char *, size_t, struct tcpto_ent *, size_t);
void	 tcpto_encode(char *, const struct tcpto_ent *);

#endif
