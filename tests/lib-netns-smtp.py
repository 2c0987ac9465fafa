#!/usr/bin/env python3
# A small SMTP receiver for the remote-delivery tests.
# usage: lib-netns-smtp.py PORT DIR [options]
# Listens on [::]:PORT (IPv4 too).  Writes DIR/log (every command line
# received, one per line, prefixed by the connection number), and for each
# message DIR/msg.N (the DATA bytes exactly as received, up to and
# including the final ".\r\n") and DIR/env.N (MAIL and RCPT lines).
# DIR/recv shows how the commands arrived: "CONN SEQ VERB" per command,
# SEQ numbering the recv() calls of the connection, so commands a client
# pipelined in one write share a SEQ, and commands it sent one at a time,
# waiting for each reply, do not.
# Options: --greeting CODE, --silent (accept and never answer),
# --no-ehlo, --ext LIST (comma-separated EHLO keywords; default
# PIPELINING,8BITMIME,SIZE 10000000), --reject-rcpt SUBSTR (550),
# --defer-rcpt SUBSTR (451), --data-code CODE (reply after the dot),
# --starttls-garbage (220 to STARTTLS, then bytes that are not TLS, then
# the connection closes), --starttls-silent (220, then silence),
# --starttls-inject (220 and a forged "250" line in one write, then
# nothing); otherwise STARTTLS is answered 454.  Offering STARTTLS is
# --ext's business.
import socket, socketserver, sys, threading, time, os

port, d = int(sys.argv[1]), sys.argv[2]
opts = sys.argv[3:]
def opt(name, default=None):
    return opts[opts.index(name) + 1] if name in opts else default
greeting = opt('--greeting', '220')
exts = opt('--ext', 'PIPELINING,8BITMIME,SIZE 10000000').split(',')
exts = [e for e in exts if e]
lock = threading.Lock()
count = [0, 0]

def log(cn, line):
    with lock:
        with open(os.path.join(d, 'log'), 'ab') as f:
            f.write(b'%d ' % cn + line + b'\n')

def logrecv(cn, seq, line):
    with lock:
        with open(os.path.join(d, 'recv'), 'ab') as f:
            f.write(b'%d %d ' % (cn, seq) + line[:4].upper() + b'\n')

class H(socketserver.BaseRequestHandler):
    def readline(self):
        # not a buffered file: each recv() is counted (see DIR/recv)
        while b'\n' not in self.buf:
            x = self.request.recv(65536)
            if not x:
                l, self.buf = self.buf, b''
                return l
            self.seq += 1
            self.buf += x
        i = self.buf.index(b'\n') + 1
        l, self.buf = self.buf[:i], self.buf[i:]
        return l

    def handle(self):
        self.buf, self.seq = b'', 0
        with lock:
            count[0] += 1
            cn = count[0]
        log(cn, b'CONNECT')
        if '--silent' in opts:
            time.sleep(3600)
            return
        w = self.request.sendall
        w(greeting.encode() + b' sink ESMTP\r\n')
        env = []
        while True:
            l = self.readline()
            if not l:
                return
            log(cn, l.rstrip(b'\r\n'))
            logrecv(cn, self.seq, l)
            c = l[:4].upper()
            if c == b'EHLO':
                if '--no-ehlo' in opts:
                    w(b'502 no ehlo\r\n')
                    continue
                lines = [b'sink'] + [e.encode() for e in exts]
                w(b''.join(b'250-' + x + b'\r\n' for x in lines[:-1]) +
                  b'250 ' + lines[-1] + b'\r\n')
            elif c == b'HELO':
                w(b'250 sink\r\n')
            elif c == b'MAIL':
                env = [l]
                w(b'250 ok\r\n')
            elif c == b'RCPT':
                r = opt('--reject-rcpt')
                f = opt('--defer-rcpt')
                if r and r.encode() in l:
                    w(b'550 no such user here\r\n')
                elif f and f.encode() in l:
                    w(b'451 try later\r\n')
                else:
                    env.append(l)
                    w(b'250 ok\r\n')
            elif c == b'DATA':
                w(b'354 go\r\n')
                data = b''
                while True:
                    x = self.readline()
                    if not x:
                        return
                    data += x
                    if x == b'.\r\n':
                        break
                with lock:
                    count[1] += 1
                    n = count[1]
                open(os.path.join(d, 'msg.%d' % n), 'wb').write(data)
                open(os.path.join(d, 'env.%d' % n), 'wb').write(b''.join(env))
                w(opt('--data-code', '250').encode() + b' ok queued as %d\r\n' % n)
            elif c == b'STAR' and '--starttls-garbage' in opts:
                w(b'220 go ahead\r\n')
                self.request.recv(65536)  # the ClientHello
                w(b'this is not TLS at all\r\n' * 8)
                return
            elif c == b'STAR' and '--starttls-silent' in opts:
                w(b'220 go ahead\r\n')
                time.sleep(3600)
                return
            elif c == b'STAR' and '--starttls-inject' in opts:
                w(b'220 go ahead\r\n250 injected before TLS\r\n')
                self.request.recv(65536)
                return
            elif c == b'STAR':
                w(b'454 4.7.0 TLS not available\r\n')
            elif c == b'QUIT':
                w(b'221 bye\r\n')
                return
            elif c == b'RSET':
                w(b'250 ok\r\n')
            else:
                w(b'502 unknown\r\n')

class S(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True
    daemon_threads = True
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

srv = S(('::', port), H)
open(os.path.join(d, 'ready'), 'w').close()
srv.serve_forever()
