/*
 * die.h: exit codes, fatal and warning messages, errno classification.
 *
 * Messages are built from pieces without allocating and written to fd 2 as
 * "prog: fatal: piece...piece[: strerror]\n".  Each program defines
 * `const char prog[]`.  Temporary failures exit 111, permanent ones 100.
 */
#ifndef DIE_H
#define DIE_H

#if defined(__GNUC__) || defined(__clang__)
#define NORETURN __attribute__((noreturn))
#else
#define NORETURN
#endif

enum { EXIT_PERM = 100, EXIT_TEMP = 111 };

/* qmail-queue's documented exit codes (qmail-queue(8)) */
enum {
	QQ_OK = 0,
	QQ_ADDR_TOO_LONG = 11,
	QQ_PERM_REFUSED = 31,
	QQ_NOMEM = 51,
	QQ_TIMEOUT = 52,
	QQ_WRITE = 53,
	QQ_READ = 54,
	QQ_CONTROL = 55,
	QQ_NETWORK = 56,
	QQ_HOMEDIR = 61,
	QQ_QUEUEDIR = 62,
	QQ_PIDDIR = 63,
	QQ_MESSDIR = 64,
	QQ_INTDDIR = 65,
	QQ_TODODIR = 66,
	QQ_TEMP_REFUSED = 71,
	QQ_CONN_TIMEOUT = 72,
	QQ_CONN_REFUSED = 73,
	QQ_CONN_FAILED = 74,
	QQ_BUG = 81,
	QQ_CUSTOM = 82,
	QQ_ENVELOPE = 91
};

extern const char prog[];

NORETURN void	die_parts(int, int, const char *const *);
void		warn_parts(int, const char *const *);
void		say_parts(int, int, const char *const *);	/* no prefix */
NORETURN void	die_nomem(void);
const char	*err_str(int);
int		 err_is_temp(int);	/* 1 if errno value may go away by itself */
const char	*qq_errstr(int);	/* text for a qmail-queue exit code */
int		 qq_is_perm(int);	/* 1 if that exit code means a permanent failure */

#define DIE_LIST(...)		((const char *const []){ __VA_ARGS__, 0 })
#define die_temp(...)		die_parts(EXIT_TEMP, 0, DIE_LIST(__VA_ARGS__))
#define die_temp_sys(...)	die_parts(EXIT_TEMP, 1, DIE_LIST(__VA_ARGS__))
#define die_perm(...)		die_parts(EXIT_PERM, 0, DIE_LIST(__VA_ARGS__))
#define die_perm_sys(...)	die_parts(EXIT_PERM, 1, DIE_LIST(__VA_ARGS__))
#define die_code(c, ...)	die_parts((c), 0, DIE_LIST(__VA_ARGS__))
#define die_code_sys(c, ...)	die_parts((c), 1, DIE_LIST(__VA_ARGS__))
#define die_bug(...)		die_parts(EXIT_TEMP, 0, DIE_LIST("internal bug: ", __VA_ARGS__))
#define warn(...)		warn_parts(0, DIE_LIST(__VA_ARGS__))
#define warn_sys(...)		warn_parts(1, DIE_LIST(__VA_ARGS__))

#endif
