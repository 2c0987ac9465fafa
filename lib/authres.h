/*
 * authres.h: what the checking filter (qmail-authcheck) parses and writes
 * itself: the header block of a message, field by field with folding; the
 * Authentication-Results header (RFC 8601): whose it is and how ours is
 * written; and the exemption list (control/authcheckskip).
 *
 * Functions returning int give 0 on success, -1 with errno set (ENOMEM),
 * unless the comment says otherwise.  Every parser here reads untrusted
 * bytes: nothing is read past the length given, and the work is linear in
 * it.
 */
#ifndef AUTHRES_H
#define AUTHRES_H

#include <sys/types.h>

#include "io.h"
#include "str.h"

/*
 * Header fields from a buffered descriptor.  hf_next reads the next field
 * (the name, the colon, the contents and any continuation lines, each
 * joined by its LF; the final LF left out) into f, keeping at most max
 * bytes of it (trunc says the rest was dropped; the field is still read to
 * its end).  It returns 1 for a field, 0 at the end of the header, -1 on a
 * read error.  The header ends at an empty line (consumed), at end of
 * input, or at a line that is not a field ("Name:" with printable name
 * bytes, at most HF_NAMEMAX of them, blanks allowed before the colon):
 * such a line belongs to the body.  At 0, off is where the body starts;
 * the buffer's own position is then unspecified (it may have read ahead),
 * so the caller reads the body from off.  start and off count bytes from
 * where the buffer started.
 */
#define HF_NAMEMAX	998	/* RFC 5322 2.1.1: a line's length */

struct hf {
	struct buf	*in;
	off_t		 start;	/* offset of the field just read */
	off_t		 off;	/* offset after it (its LF included) */
	int		 trunc;
	int		 done;
};
void	 hf_init(struct hf *, struct buf *);
int	 hf_next(struct hf *, struct sa *, size_t);

/*
 * ar_ours: does the contents of an Authentication-Results field (what
 * follows the colon) name the authserv-id id?  RFC 8601 2.2: the first
 * token, after any comments and folding, a token or a quoted-string,
 * compared ignoring case.  1 yes, 0 no (another id, or no id at all).
 */
int	 ar_ours(const char *, size_t, const char *, size_t);

/*
 * Writing our Authentication-Results field, the only place its format is
 * made:
 *
 *	Authentication-Results: mx.example.net;
 *		dkim=pass header.d=example.org header.s=sel;
 *		spf=pass smtp.mailfrom=user@example.org;
 *		dmarc=pass header.from=example.org
 *
 * ar_begin starts it in out (emptied) with the authserv-id; ar_result adds
 * "method=result", with a comment if the last argument is not NULL;
 * ar_prop adds " ptype.property=value" to the last result, the value bare
 * when it is a token or a dot-atom address, else a quoted-string (control
 * bytes become '?'); ar_comment adds " (text)", with parentheses and
 * backslashes quoted and control bytes made '?'; ar_end adds "; none" if
 * there was no result, and the final LF.  Values and comments longer than
 * AR_VALMAX bytes are cut there.
 */
#define AR_VALMAX	256

struct ar {
	struct sa	*out;
	int		 n;
};
int	 ar_begin(struct ar *, struct sa *, const char *, size_t);
int	 ar_result(struct ar *, const char *, const char *, const char *);
int	 ar_prop(struct ar *, const char *, const char *, size_t);
int	 ar_comment(struct ar *, const char *, size_t);
int	 ar_end(struct ar *);

/*
 * The exemption list: lines as ctl_readfile gives them (each ended by a
 * NUL).  A line is an IP address ("192.0.2.7", "2001:db8::1"), a network
 * in CIDR form ("192.0.2.0/24", "2001:db8::/32"), a whole sender address
 * ("user@example.org"), or a sender domain ("@example.org", and
 * "example.org" alike).  Addresses and domains are compared ignoring case.
 * skip_ip: 1 if the address text (IPv4, IPv6, or IPv4-mapped IPv6) is
 * in a listed address or network; skip_sender: 1 if the sender (the
 * envelope form, local@domain) is listed or its domain is.  Malformed
 * lines match nothing.
 */
int	 skip_ip(const char *, size_t, const char *);
int	 skip_sender(const char *, size_t, const char *, size_t);

#endif
