/*
 * qq.h: hand a message to qmail-queue, as forward, condredirect,
 * qmail-local's forwarding and the receiving servers (through rcv.h) do.
 *
 * qq_open starts $QMAILQUEUE (if set and not empty) or conf_qmail
 * "/bin/qmail-queue" with the body on its fd 0, the envelope on its fd 1
 * and a pipe on its fd 6 (where a filter exiting 82 writes "Dtext" or
 * "Ztext"), and ignores SIGPIPE in the caller so that a qmail-queue that
 * dies early shows as a write error, not a killed caller.  The body is
 * written with qq_put/qq_puts/qq_copy, the envelope named with qq_from and
 * qq_to (in any order; it is sent after the body, as qmail-queue reads it),
 * and qq_close finishes and returns qmail-queue's exit code:
 *
 *	0 queued; a QQ_* code (die.h); QQ_EXEC (120) it could not be run;
 *	QQ_CRASHED it was killed by a signal; QQ_READ also when qmail-queue
 *	exited 0 without taking the whole body or envelope.
 *
 * qq_text and qq_exit turn that code into human text (with its #x.y.z
 * status, the filter's own text for 82) and into an exit status for a
 * delivery program: 0, EXIT_PERM (100) or EXIT_TEMP (111).
 *
 * qq_open, qq_copy and qq_forward give -1 with errno set when they cannot
 * start qmail-queue or read the input; qq_put and friends never fail:
 * a write error is remembered and reported by qq_close.
 */
#ifndef QQ_H
#define QQ_H

#include <sys/types.h>

#include "io.h"
#include "str.h"

enum { QQ_EXEC = 120, QQ_CRASHED = 1000 };

struct qq {
	pid_t		 pid;		/* qmail-queue's: "qp" in log lines */
	int		 envfd;
	int		 errfd;		/* read end of qmail-queue's fd 6 */
	int		 flagerr;	/* a write to qmail-queue failed */
	struct buf	 out;
	struct sa	 from;		/* Fsender\0 */
	struct sa	 rcpts;		/* Trcpt\0... */
	char		 why[1001];	/* fd 6 text for exit 82 */
	char		 space[BUF_SIZE];
};

int		 qq_open(struct qq *);
void		 qq_put(struct qq *, const char *, size_t);
void		 qq_puts(struct qq *, const char *);
int		 qq_copy(struct qq *, int);	/* fd to EOF; -1 on a read error */
void		 qq_from(struct qq *, const char *);
void		 qq_to(struct qq *, const char *);
int		 qq_close(struct qq *);
void		 qq_kill(struct qq *);		/* give up: no message is queued */
const char	*qq_text(const struct qq *, int);
int		 qq_exit(const struct qq *, int);

/*
 * The whole of a forward: the header lines `pre` (e.g. qmail-local's
 * Delivered-To line; may be NULL), then fd from its current offset to EOF,
 * with the envelope sender and the n recipients.  Returns qq_close's code,
 * or -1 with errno set if qmail-queue could not be started or fd could not
 * be read (then nothing was queued).
 */
int		 qq_forward(struct qq *, const char *, int, const char *,
		    char *const *, size_t);

#endif
