/*
 * limit.h: every ceiling on input that grows, named once.  Hitting one gives
 * a defined answer (a reply code or an exit code), never an allocation
 * failure.
 */
#ifndef LIMIT_H
#define LIMIT_H

#define LIMIT_ADDR	1000		/* bytes in one envelope address */
#define LIMIT_QQ_RCPTS	100000		/* recipients in one qmail-queue envelope */
#define LIMIT_QQ_ENVELOPE (LIMIT_QQ_RCPTS * 64UL)	/* bytes of envelope */
#define LIMIT_CONTROL	(16UL << 20)	/* bytes in one control file */
#define LIMIT_DOTQMAIL	(1UL << 20)	/* bytes in one .qmail file */
#define LIMIT_HEADER	(1UL << 20)	/* bytes of header qmail-inject keeps */

#endif
