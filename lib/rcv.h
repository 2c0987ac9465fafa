/*
 * rcv.h: what the receiving servers (qmail-smtpd, qmail-qmtpd,
 * qmail-qmqpd) share: a qmail-queue child fed as the message arrives,
 * the Received line, the rcpthosts rule.
 *
 * Functions returning int give 0 on success, -1 with errno set, unless the
 * comment says otherwise.  Programs chdir to the qmail home first.
 */
#ifndef RCV_H
#define RCV_H

#include <sys/types.h>

#include "control.h"
#include "io.h"
#include "str.h"

#define RCV_MAXHOPS	100	/* Received + Delivered-To lines before "looping" */
#define RCV_QQTEXT	1000	/* bytes of a filter's fd 6 reason kept */

/*
 * One message on its way into qmail-queue ($QMAILQUEUE, else
 * bin/qmail-queue): the body goes to its fd 0 while it arrives, the
 * envelope to its fd 1 at the end, and a filter may explain an exit 82 on
 * fd 6 ("Dtext" permanent, "Ztext" temporary).  A write that fails (the
 * child went away) is remembered and the rest is dropped: its exit code
 * tells why.  rcv_qq_put also counts the bytes and the hops in the header.
 */
struct rcv_qq {
	pid_t		 pid;
	int		 fdenv;		/* write end of the child's fd 1 */
	int		 fderr;		/* read end of the child's fd 6 */
	int		 werr;		/* a write to the child failed */
	struct buf	 b;
	char		 space[BUF_SIZE];
	unsigned long	 bytes;		/* body bytes through rcv_qq_put */
	unsigned long	 hops;		/* Received:/Delivered-To: header lines */
	int		 inheader;
	size_t		 llen;		/* bytes of the current line so far */
	char		 lbuf[16];	/* its first bytes, for the hop count */
};

int	 rcv_qq_start(struct rcv_qq *);
void	 rcv_qq_puthdr(struct rcv_qq *, const char *, size_t);	/* not counted */
void	 rcv_qq_put(struct rcv_qq *, const char *, size_t);
/*
 * Finish: write the envelope ("F" sender NUL, the recipients as given,
 * each "T" address NUL, then a NUL) and wait.  Returns qmail-queue's exit
 * code, -1 if it crashed; for 82 the reason (without its D/Z letter,
 * cleaned of control characters) is in text and *perm says its class.
 */
int	 rcv_qq_finish(struct rcv_qq *, const char *, size_t, const char *,
	    size_t, struct sa *, int *);
void	 rcv_qq_abort(struct rcv_qq *);	/* close without an envelope: nothing queued */
/*
 * Copy n bytes from b into q (when q is not NULL; else drop them), turning
 * CR LF into LF if crlf is set (QMTP's old "\r" message format).  Returns
 * 0, or -1 with errno set (EPROTO: EOF came first).
 */
int	 rcv_copy(struct buf *, struct rcv_qq *, unsigned long, int);
size_t	 rcv_nslen(unsigned long);	/* bytes of "len:" and "," around a netstring */
/* the reply text for an exit code from rcv_qq_finish; *perm: 1 permanent */
const char *rcv_qq_text(int, const struct sa *, int, int *);

/*
 * qmail's Received line:
 * "Received: from REMOTEHOST (HELO helo) (INFO@IP)\n  by LOCAL with PROTO; DATE\n"
 * The HELO part only when helo is not NULL; unsafe bytes become '?'.
 */
int	 rcv_received(struct sa *, const char *, const char *, const char *,
	    const char *, const char *, const char *);

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
