/*
 * rcv.h: what the receiving servers (qmail-smtpd, qmail-qmtpd,
 * qmail-qmqpd) share on top of the qmail-queue client (qq.h): byte and hop
 * counts while a message streams in, the Received line, the rcpthosts and
 * badmailfrom rules.
 *
 * Functions returning int give 0 on success, -1 with errno set, unless the
 * comment says otherwise.  Programs chdir to the qmail home first.
 */
#ifndef RCV_H
#define RCV_H

#include <sys/types.h>
#include <time.h>

#include "control.h"
#include "io.h"
#include "qq.h"
#include "str.h"

#define RCV_MAXHOPS	100	/* Received + Delivered-To lines before "looping" */

/*
 * One message on its way into qmail-queue through lib/qq.h: the body goes
 * to qmail-queue while it arrives, the envelope at the end.  rcv_put
 * counts the body's bytes and the hops in its header on the way; lines of
 * our own (the Received line) go straight to qq_put(&m->qq, ...), uncounted.
 * Give up with qq_kill(&m->qq): nothing is queued.  m->qq.pid is the "qp".
 */
struct rcv_msg {
	struct qq	 qq;
	unsigned long	 bytes;		/* body bytes through rcv_put */
	unsigned long	 hops;		/* Received:/Delivered-To: header lines */
	int		 inheader;
	size_t		 llen;		/* bytes of the current line so far */
	char		 lbuf[16];	/* its first bytes, for the hop count */
};

int	 rcv_open(struct rcv_msg *);
void	 rcv_put(struct rcv_msg *, const char *, size_t);
/*
 * Finish: the envelope sender (without NUL) and the recipients, a list of
 * "T" address NUL records; returns qq_close's code (qq.h).
 */
int	 rcv_close(struct rcv_msg *, struct sa *, const struct sa *);
/*
 * The reply text for a code from rcv_close (not 0): qq_text's, on one line
 * without control characters (text holds it when it is a filter's reason);
 * *perm: 1 permanent, 0 temporary.
 */
const char *rcv_qq_text(const struct rcv_msg *, int, struct sa *, int *);
/*
 * Copy n bytes from b into m (when m is not NULL; else drop them), turning
 * CR LF into LF if crlf is set (QMTP's old "\r" message format).  Returns
 * 0, or -1 with errno set (EPROTO: EOF came first).
 */
int	 rcv_copy(struct buf *, struct rcv_msg *, unsigned long, int);
size_t	 rcv_nslen(unsigned long);	/* bytes of "len:" and "," around a netstring */

/*
 * The connection as tcpserver describes it: TCPREMOTEIP, TCPREMOTEHOST
 * and TCPLOCALHOST (else TCPLOCALIP), "unknown" where unset; TCPREMOTEINFO
 * and RELAYCLIENT, NULL where unset.
 */
struct rcv_peer {
	const char	*remoteip;
	const char	*remotehost;
	const char	*remoteinfo;
	const char	*local;
	const char	*relayclient;
};
void	 rcv_peer(struct rcv_peer *);
/*
 * control/timeoutsmtpd (seconds per read or write, default 1200; 0 or more
 * than a day mean the default) and control/timeoutsmtpdsession (seconds
 * per connection, default 3600; 0 none) set on both bufs.  Returns the
 * session's deadline (0 none) in *deadline.
 */
int	 rcv_timeouts(struct buf *, struct buf *, time_t *);
/* control/databytes, or $DATABYTES when it is a number; 0 is no limit */
int	 rcv_databytes(unsigned long *);
/* the text of a message accepted, "ok TIME qp PID", into RCV_OKLEN bytes */
#define RCV_OKLEN	(2 * FMT_ULONG + 8)
char	*rcv_okline(char *, pid_t);

/*
 * qmail's Received line:
 * "Received: from REMOTEHOST (HELO helo) (INFO@IP)\n  by LOCAL with PROTO; DATE\n"
 * The HELO part only when helo is not NULL; unsafe bytes become '?'.
 * With a struct rcv_sec (NULL: none), what TLS and SMTP AUTH add (RFC 3848,
 * RFC 6531 section 3.7.3): PROTO gains "S" when tlsproto is set and "A"
 * when user is set (ESMTP -> ESMTPS, ESMTPA, ESMTPSA; UTF8SMTP likewise),
 * and comments follow it:
 * "  by LOCAL with ESMTPSA (TLSv1.3 cipher TLS_AES_256_GCM_SHA384)
 *  (authenticated user bob); DATE", on one line.
 */
struct rcv_sec {
	const char	*tlsproto;	/* SSL_PROTOCOL, or NULL: no TLS */
	const char	*cipher;	/* SSL_CIPHER, or NULL */
	const char	*user;		/* the SMTP AUTH user, or NULL */
};
int	 rcv_received(struct sa *, const char *, const char *, const char *,
	    const char *, const char *, const char *, const struct rcv_sec *);

/*
 * rcpthosts: control/rcpthosts and control/morercpthosts.cdb.  Without
 * rcpthosts every domain is allowed.  rcv_hosts_allowed returns 1 allowed,
 * 0 not, -1 error (the cdb could not be read).
 */
struct rcv_hosts {
	int		 have;		/* rcpthosts exists */
	struct cmap	 map;
	int		 fdmrh;		/* morercpthosts.cdb, or -1 */
};
int	 rcv_hosts_init(struct rcv_hosts *);
int	 rcv_hosts_allowed(struct rcv_hosts *, const char *, size_t);

/* badmailfrom: 1 if the address or its "@domain" is listed */
int	 rcv_bmf_match(const struct cmap *, const char *, size_t);

#endif
