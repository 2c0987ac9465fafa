/*
 * qmail-qmqpc: hand a message to a QMQP server instead of the local queue,
 * with qmail-queue's interface: the message on fd 0, the envelope
 * ("Fsender\0Trecip\0...\0") on fd 1, the answer as an exit code.  Tries
 * the servers in control/qmqpservers in order (one IP address a line,
 * port 628, or ADDRESS:PORT for IPv4 and [ADDRESS]:PORT for IPv6) until
 * one answers.  A message on fd 0 that is not a regular file is spooled
 * to an unlinked file in $TMPDIR (else /tmp), since QMQP sends its length
 * first.  Runs as the caller (it replaces qmail-queue on a null client).
 * Exit: 0 the server took it; 31 it refused for good (D); 71 it refused
 * for now (Z); 72 every connection timed out; 73 every connection was
 * refused; 74 a server took the connection but the talk failed; 53 write
 * error; 54 cannot read the message or envelope; 55 cannot read
 * control/qmqpservers (or it lists none); 61 cannot enter the qmail home;
 * 91 bad envelope.  The last server's failure decides.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/control.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/limit.h"
#include "lib/netstr.h"
#include "lib/proc.h"
#include "lib/rcv.h"
#include "lib/str.h"

const char prog[] = "qmail-qmqpc";

#define TIMEOUT_CONNECT	10	/* seconds to connect to one server */
#define TIMEOUT_TALK	60	/* seconds per read or write */
#define QMQP_PORT	"628"

static int msgfd;
static off_t msgstart, msgsize;
static struct sa env;		/* the envelope as read */
static size_t senderlen;	/* env.s + 1, senderlen bytes */

static void
spool(void)
{
	struct stat st;
	char tmp[BUF_SIZE];
	const char *dir = env_get("TMPDIR");
	struct sa fn = SA_INIT;
	ssize_t r;
	int fd;

	if (fstat(0, &st) == 0 && S_ISREG(st.st_mode) &&
	    (msgstart = lseek(0, 0, SEEK_CUR)) != -1) {
		msgfd = 0, msgsize = st.st_size - msgstart;
		return;
	}
	if (dir == NULL || *dir != '/')
		dir = "/tmp";
	if (sa_copys(&fn, dir) == -1 || sa_cats(&fn, "/qmqpcXXXXXX") == -1 ||
	    sa_str(&fn) == NULL)
		die_code(QQ_NOMEM, "out of memory");
	if ((fd = mkstemp(fn.s)) == -1)
		die_code_sys(QQ_WRITE, "unable to create a spool file in ", dir);
	unlink(fn.s);	/* gone when we exit, whatever happens */
	msgsize = 0, msgstart = 0;
	for (;;) {
		r = read(0, tmp, sizeof tmp);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die_code_sys(QQ_READ, "unable to read the message");
		if (r == 0)
			break;
		if (io_writeall(fd, tmp, (size_t)r) == -1)
			die_code_sys(QQ_WRITE, "unable to spool the message");
		msgsize += r;
	}
	msgfd = fd;
}

/* the envelope: F sender, then T recipients, then an empty field */
static void
read_envelope(void)
{
	char tmp[BUF_SIZE];
	size_t pos, end;
	ssize_t r;

	for (;;) {
		r = read(1, tmp, sizeof tmp);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die_code_sys(QQ_READ, "unable to read the envelope");
		if (r == 0)
			break;
		if (env.len + (size_t)r > LIMIT_QQ_ENVELOPE)
			die_code(QQ_ENVELOPE, "envelope too long");
		if (sa_catb(&env, tmp, (size_t)r) == -1)
			die_code(QQ_NOMEM, "out of memory");
	}
	if (env.len < 3 || env.s[0] != 'F')
		die_code(QQ_ENVELOPE, "bad envelope");
	senderlen = byte_chr(env.s, env.len, 0) - 1;
	for (pos = senderlen + 2; pos < env.len; pos = end + 1) {
		end = pos + byte_chr(env.s + pos, env.len - pos, 0);
		if (end == env.len)
			die_code(QQ_ENVELOPE, "bad envelope");
		if (end == pos) {
			if (end + 1 != env.len || pos == senderlen + 2)
				die_code(QQ_ENVELOPE, "bad envelope");
			return;
		}
		if (env.s[pos] != 'T')
			die_code(QQ_ENVELOPE, "bad envelope");
	}
	die_code(QQ_ENVELOPE, "bad envelope: no end");
}

/* connect to one server line; returns fd, or -1 with *err the exit code */
static int
dial(const char *line, int *err)
{
	struct addrinfo hints, *ai;
	char host[256];
	const char *port = QMQP_PORT, *h = line;
	size_t n = str_len(line), c;
	struct pollfd pfd;
	socklen_t sl;
	int fd, e;

	*err = QQ_CONN_REFUSED;
	if (line[0] == '[') {
		c = byte_chr(line, n, ']');
		if (c == n || c - 1 >= sizeof host)
			return -1;
		memcpy(host, line + 1, c - 1), host[c - 1] = 0;
		if (line[c + 1] == ':')
			port = line + c + 2;
		h = host;
	} else if ((c = byte_chr(line, n, ':')) < n && byte_rchr(line, n, ':') == c) {
		if (c >= sizeof host)
			return -1;
		memcpy(host, line, c), host[c] = 0;
		port = line + c + 1;
		h = host;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(h, port, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || fd_nonblock(fd) == -1) {
		freeaddrinfo(ai);
		*err = QQ_NETWORK;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 && errno != EINPROGRESS) {
		freeaddrinfo(ai);
		close(fd);
		return -1;
	}
	freeaddrinfo(ai);
	pfd.fd = fd, pfd.events = POLLOUT;
	if (poll(&pfd, 1, TIMEOUT_CONNECT * 1000) != 1) {
		*err = QQ_CONN_TIMEOUT;
		close(fd);
		return -1;
	}
	sl = sizeof e;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1 || e != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* one attempt: the exit code it gives */
static int
attempt(int fd)
{
	char space[BUF_SIZE], ispace[BUF_SIZE], tmp[BUF_SIZE];
	struct buf out = BUF_INIT(fd, space), in = BUF_INIT(fd, ispace);
	struct sa reply = SA_INIT;
	unsigned long total;
	size_t pos, end;
	off_t left, at;
	ssize_t r;

	out.timeout = in.timeout = TIMEOUT_TALK;
	total = rcv_nslen((unsigned long)msgsize) + (unsigned long)msgsize +
	    rcv_nslen(senderlen) + senderlen;
	for (pos = senderlen + 2; env.s[pos]; pos = end + 1) {
		end = pos + byte_chr(env.s + pos, env.len - pos, 0);
		total += rcv_nslen(end - pos - 1) + end - pos - 1;
	}
	if (buf_putulong(&out, total) == -1 || buf_puts(&out, ":") == -1 ||
	    buf_putulong(&out, (unsigned long)msgsize) == -1 ||
	    buf_puts(&out, ":") == -1)
		return QQ_CONN_FAILED;
	for (left = msgsize, at = msgstart; left > 0; left -= r, at += r) {
		r = pread(msgfd, tmp, left < (off_t)sizeof tmp ? (size_t)left :
		    sizeof tmp, at);
		if (r == -1 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			die_code_sys(QQ_READ, "unable to read the message");
		if (buf_put(&out, tmp, (size_t)r) == -1)
			return QQ_CONN_FAILED;
	}
	if (buf_puts(&out, ",") == -1 ||
	    buf_putulong(&out, senderlen) == -1 || buf_puts(&out, ":") == -1 ||
	    buf_put(&out, env.s + 1, senderlen) == -1 || buf_puts(&out, ",") == -1)
		return QQ_CONN_FAILED;
	for (pos = senderlen + 2; env.s[pos]; pos = end + 1) {
		end = pos + byte_chr(env.s + pos, env.len - pos, 0);
		if (buf_putulong(&out, end - pos - 1) == -1 ||
		    buf_puts(&out, ":") == -1 ||
		    buf_put(&out, env.s + pos + 1, end - pos - 1) == -1 ||
		    buf_puts(&out, ",") == -1)
			return QQ_CONN_FAILED;
	}
	if (buf_puts(&out, ",") == -1 || buf_flush(&out) == -1)
		return QQ_CONN_FAILED;
	if (ns_get(&in, &reply, 1000) != 1 || reply.len == 0)
		return QQ_CONN_FAILED;
	switch (reply.s[0]) {
	case 'K':
		return 0;
	case 'Z':
		return QQ_TEMP_REFUSED;
	case 'D':
		return QQ_PERM_REFUSED;
	}
	return QQ_CONN_FAILED;
}

int
main(void)
{
	struct sa servers = SA_INIT;
	size_t pos, end;
	int fd, code = QQ_CONN_REFUSED, r;

	sig_ignore(SIGPIPE);
	spool();
	read_envelope();
	if (chdir(conf_qmail) == -1)
		die_code_sys(QQ_HOMEDIR, "unable to chdir to ", conf_qmail);
	if ((r = ctl_readfile(&servers, "control/qmqpservers")) == -1)
		die_code_sys(QQ_CONTROL, "unable to read control/qmqpservers");
	if (r == 0 || servers.len == 0)
		die_code(QQ_CONTROL, "control/qmqpservers lists no server");
	for (pos = 0; pos < servers.len; pos = end + 1) {
		end = pos + byte_chr(servers.s + pos, servers.len - pos, 0);
		if ((fd = dial(servers.s + pos, &code)) == -1)
			continue;
		code = attempt(fd);
		close(fd);
		if (code == 0 || code == QQ_TEMP_REFUSED || code == QQ_PERM_REFUSED)
			break;
	}
	return code;
}
