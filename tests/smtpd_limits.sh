# qmail-smtpd: bounded everything: a 1 MB command line, 100,000 RCPTs,
# NUL bytes, too many errors, a client dripping a byte a second, an idle
# client; memory stays small under softlimit -m.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-smtpd.sh"
trap stop_srv EXIT
reset_home
echo test.example > "$QHOME/control/rcpthosts"
echo 3 > "$QHOME/control/timeoutsmtpd"
echo 6 > "$QHOME/control/timeoutsmtpdsession"
export QMAILQUEUE="$QQREC"
P=20530
start_srv $P -- softlimit -m 12000000 qmail-smtpd || exit 1

python3 - $P "$TESTTMP/srv.$P.log" "$REC" <<'EOF'
import os, re, socket, sys, threading, time
port, log, rec = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def ok(c, name, extra=''):
    print(('ok - ' if c else 'not ok - ') + name + ('' if c else ' ' + extra))

def conn():
    s = socket.create_connection(('127.0.0.1', port))
    s.settimeout(30)
    return s

def srvpid():
    pids = re.findall(r'pid (\d+) from', open(log).read())
    return int(pids[-1])

def hwm(pid):
    for l in open('/proc/%d/status' % pid):
        if l.startswith('VmHWM'):
            return int(l.split()[1])
    return -1

def talk(data, wait=30):
    """send data while reading (threads: no deadlock), return all replies"""
    s = conn()
    out = []
    def rd():
        while True:
            try:
                b = s.recv(1 << 16)
            except OSError:
                return
            if not b:
                return
            out.append(b)
    t = threading.Thread(target=rd); t.start()
    mem = -1
    try:
        s.sendall(data)
        time.sleep(0.5)
        mem = hwm(srvpid())
        s.sendall(b'QUIT\r\n')
    except OSError:
        pass
    t.join(wait)
    s.close()
    return b''.join(out).decode('latin-1').split('\r\n'), mem

# a 1 MB command line: 500, the rest of it discarded, the session goes on
r, mem = talk(b'NOOP ' + b'x' * (1 << 20) + b'\r\nNOOP\r\n')
ok(r[1] == '500 line too long (#5.5.2)', '1 MB line: 500 line too long', repr(r[:3]))
ok(r[2] == '250 ok', '1 MB line: the rest discarded, next command works', repr(r[:3]))
ok(0 < mem < 8000, '1 MB line: peak memory under 8 MB (%d kB)' % mem)
r, mem = talk(b'NOOP ' + b'x' * 990 + b'\r\nNOOP ' + b'x' * 1000 + b'\r\n')
ok(r[1] == '250 ok' and r[2].startswith('500 '), 'line limit: 997 bytes ok, 1007 bytes too long', repr(r[:3]))

# 100,000 RCPTs pipelined: 1000 taken, the rest 452, one message queued
before = len([f for f in os.listdir(rec) if f[0].isdigit() and f.endswith('.env')])
cmds = [b'EHLO c\r\nMAIL FROM:<s@x.example>\r\n']
cmds += [b'RCPT TO:<u%d@test.example>\r\n' % i for i in range(100000)]
cmds.append(b'DATA\r\nSubject: many\r\n\r\nhi\r\n.\r\n')
r, mem = talk(b''.join(cmds), wait=120)
n250 = sum(1 for l in r if l == '250 2.1.5 ok')
n452 = sum(1 for l in r if l == '452 4.5.3 too many recipients (#4.5.3)')
ok(n250 == 1000, '100,000 RCPTs: 1000 accepted (%d)' % n250)
ok(n452 == 99000, '100,000 RCPTs: 99,000 get 452 too many recipients (%d)' % n452)
ok(any(l.startswith('250 2.6.0 ok') for l in r), '100,000 RCPTs: the message with 1000 recipients queued')
envs = sorted((os.path.getmtime(os.path.join(rec, f)), f) for f in os.listdir(rec) if f[0].isdigit() and f.endswith('.env'))
ok(len(envs) == before + 1 and open(os.path.join(rec, envs[-1][1]), 'rb').read().count(b'\0T') == 1000,
   '100,000 RCPTs: envelope holds 1000 recipients')
ok(0 < mem < 12000, '100,000 RCPTs: peak memory under 12 MB (%d kB)' % mem)

# NUL bytes
r, _ = talk(b'NO\0OP\r\nHELO c\0x\r\nNOOP\r\n')
ok(r[1].startswith('500 NUL in command') and r[2].startswith('500 NUL') and r[3] == '250 ok',
   'NUL in a command: 500, session goes on', repr(r[:4]))
r, _ = talk(b'HELO c\r\nMAIL FROM:<s@x.example>\r\nRCPT TO:<a@test.example>\r\nDATA\r\nnul\0byte\r\n.\r\n')
ok(any(l.startswith('250 ok ') for l in r), 'NUL in DATA: message accepted as is', repr(r))

# too many errors: the 20th gets 421 and the connection closes
r, _ = talk(b'BOGUS\r\n' * 30)
ok(sum(1 for l in r if l.startswith('502 ')) == 19, '19 errors answered 502', repr(r[-4:]))
ok(r[20] == '421 too many errors, closing connection', '20th error: 421 and close', repr(r[18:22]))
ok(not any(l.startswith('221') for l in r), 'nothing answered after the 421')

# idle client: 451 timeout after timeoutsmtpd (3 s)
s = conn(); t0 = time.time(); b = b''
while True:
    x = s.recv(4096)
    if not x: break
    b += x
el = time.time() - t0
ok(b'451 timeout (#4.4.2)' in b and 2.5 < el < 5, 'idle client: 451 timeout after timeoutsmtpd (%.1f s)' % el, repr(b))

# a client dripping one byte a second: never idle for timeoutsmtpd, but the
# session deadline (timeoutsmtpdsession, 6 s) ends it
s = conn(); s.settimeout(20); t0 = time.time(); got = b''
s.recv(4096)
drip = b'NOOP\r\n' * 100
closed = False
for i in range(len(drip)):
    try:
        s.send(drip[i:i + 1])
    except OSError:
        closed = True; break
    s.settimeout(1)
    try:
        x = s.recv(4096)
        if not x:
            closed = True; break
        got += x
    except socket.timeout:
        pass
    if time.time() - t0 > 15: break
el = time.time() - t0
ok(b'421 session time limit exceeded' in got, 'dripping client: 421 session time limit', repr(got[-80:]))
ok(closed and 5 < el < 9, 'dripping client: closed after about 6 s (%.1f s)' % el)
EOF
echo 0 > "$QHOME/control/timeoutsmtpdsession"
printf 'QUIT\r\n' | chat $P > "$TESTTMP/out.lim"
expect "timeoutsmtpdsession 0: no deadline, still works" '^221 ' "$TESTTMP/out.lim"
