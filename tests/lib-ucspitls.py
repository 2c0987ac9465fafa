# tests/lib-ucspitls.py [-i] CERT PROG [ARGS...]: a small UCSPI-TLS server
# (the SSLCTLFD/SSLREADFD/SSLWRITEFD convention of ucspi-ssl's sslserver -n
# and s6-tlsd, as SPEC'd for qmail-tlsd), run by tcpserver with the client
# socket on fd 0/1, so that qmail-smtpd's application side can be tested
# against the interface itself, independently of qmail-tlsd.  Python's ssl
# module does the TLS.  -i: implicit TLS (handshake first, then PROG with
# SSL_* set and fd 0/1 the plaintext pipes).  Logs to fd 2.
import os, select, socket, ssl, sys

implicit = sys.argv[1] == '-i'
args = sys.argv[2:] if implicit else sys.argv[1:]
cert, prog = args[0], args[1:]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(cert)
sock = socket.socket(fileno=os.dup(0))
null = os.open('/dev/null', os.O_RDWR)


def handshake():
    sock.settimeout(30)
    try:
        t = ctx.wrap_socket(sock, server_side=True)
    except (ssl.SSLError, OSError) as e:
        sys.stderr.write('ucspitls: handshake failed: %s\n' % e)
        return None
    sys.stderr.write('ucspitls: %s %s\n' % (t.version(), t.cipher()[0]))
    return t


def facts(t):
    c = t.cipher()
    f = [('SSL_PROTOCOL', t.version()), ('SSL_CIPHER', c[0]),
         ('SSL_CIPHER_USEKEYSIZE', str(c[2]))]
    return b''.join(('%s=%s' % kv).encode() + b'\0' for kv in f) + b'\0'


def relay(t, rd, wr):
    """TLS socket <-> plaintext: rd is read from PROG, wr written to it."""
    t.settimeout(None)
    t.setblocking(False)
    while True:
        r, _, _ = select.select([t, rd], [], [], 600)
        if not r:
            return
        if t in r:
            while True:
                try:
                    b = t.recv(16384)
                except ssl.SSLWantReadError:
                    break
                except (ssl.SSLError, OSError):
                    return
                if not b:
                    os.close(wr)
                    wr = -1
                    break
                try:
                    os.write(wr, b) if wr != -1 else None
                except OSError:
                    return
                if not t.pending():
                    break
            if wr == -1:
                return
        if rd in r:
            b = os.read(rd, 16384)
            if not b:
                return
            t.setblocking(True)
            t.sendall(b)
            t.setblocking(False)


def start(env, fds, keep):
    pid = os.fork()
    if pid == 0:
        os.environ.update(env)
        for a, b in fds:
            os.dup2(a, b)
        for fd in keep:
            os.set_inheritable(fd, True)
        os.execvp(prog[0], prog)
    return pid


if implicit:
    t = handshake()
    if t is None:
        sys.exit(1)
    r1, w1 = os.pipe()   # to PROG
    r2, w2 = os.pipe()   # from PROG
    env = {}
    for kv in facts(t).split(b'\0'):
        if kv:
            k, v = kv.decode().split('=', 1)
            env[k] = v
    pid = start(env, [(r1, 0), (w2, 1)], [])
    os.close(r1)
    os.close(w2)
    relay(t, r2, w1)
    sys.exit(0)

c1, c2 = socket.socketpair()
r1, w1 = os.pipe()   # PROG reads r1 (SSLREADFD)
r2, w2 = os.pipe()   # PROG writes w2 (SSLWRITEFD)
env = {'SSLCTLFD': str(c2.fileno()), 'SSLREADFD': str(r1),
       'SSLWRITEFD': str(w2)}
pid = start(env, [], [c2.fileno(), r1, w2])
c2.close()
os.close(r1)
os.close(w2)
os.dup2(null, 0)     # PROG alone reads the socket until STARTTLS
os.dup2(null, 1)
b = c1.recv(1)
if b not in (b'y', b'Y'):
    sys.exit(0)      # no STARTTLS: plaintext session, nothing to do
t = handshake()
if t is None:
    c1.close()       # nothing written: PROG exits
    sys.exit(1)
if b == b'Y':
    c1.sendall(facts(t))
relay(t, r2, w1)
