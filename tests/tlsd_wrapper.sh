# qmail-tlsd under tcpserver (127.0.0.1 ports 24650-24659): the UCSPI-TLS
# interface seen by a small application written here (tlsapp: it reads
# SSLCTLFD, SSLREADFD, SSLWRITEFD as qmail-smtpd will), -i in front of the
# real qmail-smtpd (openssl s_client and smtplib.SMTP_SSL deliver into the
# queue), the hostile handshakes, client certificates, and as root the
# privilege split: engine as qmailt, program as qmaild, the key out of
# qmaild's and qmailr's reach.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-smtpd.sh"
. "$QSRC/tests/lib-tls.sh"
for t in openssl tcpserver python3; do
	command -v $t > /dev/null || { skip "tlsd: $t is not installed"; exit 0; }
done
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3)
trap stop_srv EXIT
reset_home
P1=24650 P2=24651 P3=24652 P4=24653 P5=24654 P6=24655
C=$TESTTMP/tlsca C2=$TESTTMP/tlsca2 A=$TESTTMP/tlsapp.out
rm -rf "$C" "$C2" "$A"; mkdir -p "$A"; chmod 777 "$A"
export TLSAPP_OUT="$A"

tls_ca "$C" && tls_cert "$C" mx.test.example mx.test.example 127.0.0.1 &&
    tls_cert "$C" client && tls_ca "$C2" && tls_cert "$C2" stranger ||
	{ notok "tlsd: the test CA and certificates"; cat "$C/openssl.log"; exit 1; }
chmod 755 "$C"; chmod 644 "$C"/*.pem
CERT=$QHOME/control/servercert.pem
install_cert() {
	cp "$C/mx.test.example.pem" "$CERT" && chmod 400 "$CERT"
	[ "$QIDS" = system ] && chown qmailt "$CERT"
}
install_cert

# The UCSPI-TLS application: a line protocol on fd 0/1; STARTTLS writes Y
# on SSLCTLFD, reads the facts and goes on over SSLREADFD/SSLWRITEFD.  It
# notes its pid, ids and facts in $TLSAPP_OUT/PID.*.
APP=$TESTTMP/tlsapp
cat > "$APP" <<EOF
#!$PY
EOF
cat >> "$APP" <<'EOF'
import os, sys
out = os.environ['TLSAPP_OUT']
pid = os.getpid()
def note(name, text):
    with open('%s/%d.%s' % (out, pid, name), 'w') as f:
        f.write(text)
facts = {k: v for k, v in os.environ.items() if k.startswith('SSL_')}
note('start', 'uid=%d gid=%d euid=%d\n' % (os.getuid(), os.getgid(), os.geteuid()) +
     ''.join('%s=%s\n' % kv for kv in sorted(facts.items())))
rfd, wfd, buf = 0, 1, b''
def fill():
    global buf
    b = os.read(rfd, 65536)
    buf += b
    return len(b)
def line():
    global buf
    while b'\n' not in buf:
        if fill() == 0:
            return None
    l, buf = buf.split(b'\n', 1)
    return l.rstrip(b'\r').decode('latin-1')
def put(s):
    b = s.encode('latin-1') if isinstance(s, str) else s
    while b:
        b = b[os.write(wfd, b):]
put('220 tlsapp\r\n')
while True:
    l = line()
    if l is None:
        note('eof', 'eof\n')
        sys.exit(0)
    cmd, _, arg = l.partition(' ')
    if cmd == 'ENV':
        for k in ('SSLCTLFD', 'SSLREADFD', 'SSLWRITEFD'):
            put('250-%s=%s\r\n' % (k, os.environ.get(k, '')))
        put('250 fd0=%s\r\n' % os.readlink('/proc/self/fd/0'))
    elif cmd == 'STARTTLS':
        put('220 go ahead\r\n')
        buf = b''	# nothing read before the handshake counts
        ctl = int(os.environ['SSLCTLFD'])
        os.write(ctl, b'y' if arg == 'y' else b'Y')
        f = b'' if arg != 'y' else b'\0'	# y: no facts
        while not (f.endswith(b'\0\0') or f == b'\0'):
            b = os.read(ctl, 4096)
            if not b:
                note('tlsfail', 'no facts\n')
                sys.exit(3)
            f += b
        facts = dict(x.split('=', 1) for x in f.decode().split('\0') if x)
        note('tls', ''.join('%s=%s\n' % kv for kv in sorted(facts.items())))
        rfd, wfd = int(os.environ['SSLREADFD']), int(os.environ['SSLWRITEFD'])
    elif cmd == 'FACTS':
        for k, v in sorted(facts.items()):
            put('250-%s=%s\r\n' % (k, v))
        put('250 end\r\n')
    elif cmd == 'PLAIN':
        put('250 plain %s\r\n' % arg)
    elif cmd == 'BULK':
        n = int(arg)
        while len(buf) < n:
            if fill() == 0:
                sys.exit(4)
        data, buf = buf[:n], buf[n:]
        put('250 got %d\r\n' % n)
        put(data)
    elif cmd == 'QUIT':
        put('221 bye\r\n')
        sys.exit(0)
    else:
        put('500 what\r\n')
EOF
chmod 755 "$APP"

# The client: tc.py PORT [options] COMMAND...; prints every reply line,
# "TLS version cipher" after the handshake, "ERROR ..." when one fails.
TC=$TESTTMP/tc.py
cat > "$TC" <<'EOF'
import os, socket, ssl, sys, time
args = sys.argv[1:]
port = int(args.pop(0))
opt = {}
while args and args[0].startswith('--'):
    k, _, v = args.pop(0)[2:].partition('=')
    opt[k] = v
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(opt['ca'])
if 'cert' in opt:
    ctx.load_cert_chain(opt['cert'])
if 'tls12' in opt:
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
sni = opt.get('sni', 'mx.test.example')
s = socket.create_connection(('127.0.0.1', port), 10)
s.settimeout(float(opt.get('wait', 10)))
buf = b''
def reply():
    global buf
    lines = []
    while True:
        while b'\n' not in buf:
            b = s.recv(65536)
            if not b:
                raise EOFError('connection closed')
            buf += b
        l, buf = buf.split(b'\n', 1)
        l = l.rstrip(b'\r').decode('latin-1')
        print(l)
        lines.append(l)
        if len(l) < 4 or l[3] != '-':
            return lines
def tls():
    global s
    s = ctx.wrap_socket(s, server_hostname=sni)
    print('TLS', s.version(), s.cipher()[0])
try:
    if 'implicit' in opt:
        tls()
    reply()
    for c in args:
        if c == 'CLOSE':
            s.close()
            break
        if c.startswith('SLEEP '):
            time.sleep(float(c[6:]))
            continue
        s.sendall(c.encode() + b'\r\n')
        if c.startswith('BULK '):
            n = int(c[5:])
            data = os.urandom(n)
            s.sendall(data)
            reply()
            got = b''
            got, buf = buf[:n], buf[n:]
            while len(got) < n:
                b = s.recv(65536)
                if not b:
                    break
                got += b
            print('BULK', 'same' if got == data else 'differs (%d bytes)' % len(got))
            continue
        r = reply()
        if c.split(' ')[0] == 'STARTTLS' and r[-1].startswith('220'):
            tls()
        if c == 'QUIT':
            print('EOF' if s.recv(100) == b'' else 'MORE')
except Exception as e:
    print('ERROR', type(e).__name__, e)
EOF
tc() { $PY "$TC" "$@" --ca="$C/ca.pem" 2>&1; }
# tc takes options before the commands: put them first
tcc() { _p=$1; shift; $PY "$TC" "$_p" --ca="$C/ca.pem" "$@" 2>&1; }

# servers: as root tcpserver keeps root (qmail-tlsd needs it for the key)
# and envuidgid names the program's user, as the service run files do
ENVU=
[ "$QIDS" = system ] && ENVU="envuidgid qmaild"
tsrv() {
	_port=$1; shift
	: > "$TESTTMP/srv.$_port.log"
	$ENVU tcpserver -v -RH -l mx.test.example 127.0.0.1 "$_port" "$@" \
	    2>> "$TESTTMP/srv.$_port.log" &
	SRV_PIDS="$SRV_PIDS $!"
	_i=0
	while ! grep -q 'status:' "$TESTTMP/srv.$_port.log" 2>/dev/null; do
		_i=$((_i + 1)); [ $_i -gt 100 ] && { notok "tcpserver on $_port started"; return 1; }
		sleep 0.05
	done
}
tsrv $P1 qmail-tlsd "$APP" || exit 1
tsrv $P2 qmail-tlsd -i "$APP" || exit 1
tsrv $P3 qmail-tlsd -t 2 "$APP" || exit 1
tsrv $P4 qmail-tlsd -i -t 2 "$APP" || exit 1
tsrv $P5 qmail-tlsd -i qmail-smtpd || exit 1
tsrv $P6 qmail-tlsd qmail-smtpd || exit 1
O=$TESTTMP/tlsd.out

# newest note of the application
note() { f=$(ls -t "$A"/*."$1" 2>/dev/null | head -1); [ -n "$f" ] && cat "$f"; }
clear_notes() { rm -f "$A"/*; }

# plaintext first, then STARTTLS and the facts
clear_notes
tcc $P1 ENV 'PLAIN hello' STARTTLS FACTS 'BULK 1000000' QUIT > $O
expect "tlsd: the program gets SSLCTLFD, SSLREADFD, SSLWRITEFD" '^250-SSLWRITEFD=[0-9]+$' $O
expect "tlsd: the program keeps the socket on fd 0 before STARTTLS" '^250 fd0=socket:' $O
expect "tlsd: plaintext before STARTTLS works" '^250 plain hello$' $O
expect "tlsd: STARTTLS: TLS 1.3 by default" '^TLS TLSv1.3 ' $O
expect "tlsd: the facts arrive: SSL_PROTOCOL" '^250-SSL_PROTOCOL=TLSv1.3$' $O
expect "tlsd: the facts arrive: SSL_CIPHER" '^250-SSL_CIPHER=TLS_[A-Z0-9_]+$' $O
expect "tlsd: the facts arrive: SSL_CIPHER_USEKEYSIZE" '^250-SSL_CIPHER_USEKEYSIZE=(128|256)$' $O
expect "tlsd: the facts arrive: SSL_TLS_SNI_SERVERNAME" '^250-SSL_TLS_SNI_SERVERNAME=mx.test.example$' $O
expect_not "tlsd: no client certificate asked for without clientca.pem" 'SSL_CLIENT' $O
expect "tlsd: 1 MB each way through the relay" '^BULK same$' $O
expect "tlsd: QUIT over TLS, then the session ends" '^221 bye$' $O
expect "tlsd: the peer sees the end after the program exits" '^EOF$' $O
tcc $P1 --tls12 STARTTLS FACTS QUIT > $O
expect "tlsd: a TLS 1.2 client is served" '^250-SSL_PROTOCOL=TLSv1.2$' $O
expect "tlsd: TLS 1.2: server's cipher, ECDHE with AEAD" '^250-SSL_CIPHER=ECDHE-ECDSA-[A-Z0-9-]*(GCM|POLY1305)' $O
if openssl s_client -help 2>&1 | grep -q -- '-tls1_1'; then
	printf 'STARTTLS\r\n' | timeout 10 openssl s_client -connect 127.0.0.1:$P1 \
	    -starttls smtp -tls1_1 -quiet > $O 2>&1
	expect_not "tlsd: TLS 1.1 is refused" '^250|Verify return code: 0' $O
fi

tcc $P1 'STARTTLS y' FACTS 'PLAIN over tls' QUIT > $O
expect "tlsd: STARTTLS with y: TLS" '^TLS TLSv1.3 ' $O
expect_not "tlsd: STARTTLS with y: no facts" 'SSL_' $O
expect "tlsd: STARTTLS with y: the relay works" '^250 plain over tls$' $O

# the peer closes: the program reads EOF
clear_notes
tcc $P1 STARTTLS FACTS CLOSE > $O
i=0; while [ -z "$(note eof)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -n "$(note eof)" ] && ok "tlsd: the peer closes: the program reads EOF on SSLREADFD" ||
	{ notok "tlsd: the peer closes: the program reads EOF on SSLREADFD"; sed 's/^/    /' $O; }

# -i: TLS first, the facts in the environment, fd 0/1 pipes
clear_notes
tcc $P2 --implicit ENV FACTS QUIT > $O
expect "tlsd -i: TLS before the greeting" '^TLS TLSv1.3 ' $O
expect "tlsd -i: the program greets over TLS" '^220 tlsapp$' $O
expect "tlsd -i: fd 0 is a pipe" '^250 fd0=pipe:' $O
expect "tlsd -i: no SSLCTLFD" '^250-SSLCTLFD=$' $O
note start > "$O.start"
expect "tlsd -i: SSL_PROTOCOL in the environment at start" '^SSL_PROTOCOL=TLSv1.3$' "$O.start"
expect "tlsd -i: SSL_CIPHER in the environment at start" '^SSL_CIPHER=TLS_' "$O.start"

# TLS 1.2 renegotiation is refused (the session ends); a TLS 1.3 key
# update goes through.  s_client: a line R renegotiates, K updates keys.
sclient_ik() {	# OPTIONS...: PLAIN a, then R or K, then PLAIN b
	(sleep 1; printf 'PLAIN a\r\n'; sleep 0.5; printf '%s\n' "$KEYCMD"; sleep 1
	    printf 'PLAIN b\r\n'; sleep 1) |
	    timeout 10 openssl s_client -connect 127.0.0.1:$P2 -CAfile "$C/ca.pem" "$@" 2>&1
}
KEYCMD=R sclient_ik -tls1_2 > $O
expect "tlsd: renegotiation: the session was up" '^250 plain a' $O
expect_not "tlsd: renegotiation is refused" '^250 plain b' $O
KEYCMD=K sclient_ik -tls1_3 > $O
expect "tlsd: a TLS 1.3 key update goes through" '^250 plain b' $O
if grep -q 'qmail-tlsd: fatal' "$TESTTMP/srv.$P2.log"; then
	notok "tlsd: renegotiation, key update: no fatal error"; sed 's/^/    /' "$TESTTMP/srv.$P2.log"
else
	ok "tlsd: renegotiation, key update: no fatal error"
fi

# an inherited SSL_PROTOCOL never reaches the program (it would mean TLS)
clear_notes
env SSL_PROTOCOL=forged SSL_CIPHER=forged sh -c "echo QUIT | $ENVU qmail-tlsd $APP" > /dev/null 2>&1
expect_not "tlsd: an inherited SSL_PROTOCOL is removed" 'forged' "$(ls -t "$A"/*.start | head -1)"

# a handshake that never completes is cut after -t
clear_notes
HANG=$TESTTMP/hang.py
cat > "$HANG" <<'EOF'
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(('127.0.0.1', port), 5)
s.settimeout(30)
t0 = time.time()
if mode != 'implicit':
    s.recv(100)
    s.sendall(b'STARTTLS\r\n')
    s.recv(100)
try:
    if mode == 'garbage':
        s.sendall(b'GET / HTTP/1.0\r\n\r\n' + bytes(range(256)) * 8)
    elif mode == 'half':
        s.sendall(b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03')	# a ClientHello's start
    while s.recv(4096):
        pass
    print('closed after %.1f s' % (time.time() - t0))
except socket.timeout:
    print('still open after 30 s')
except (ConnectionResetError, BrokenPipeError):
    print('closed after %.1f s' % (time.time() - t0))
EOF
r=$($PY "$HANG" $P3 silent)
case $r in "closed after "[2-5].*) ok "tlsd: a silent handshake is cut after -t 2 ($r)" ;;
*) notok "tlsd: a silent handshake is cut after -t 2 ($r)" ;; esac
sleep 0.3
[ -n "$(note tlsfail)" ] && ok "tlsd: a failed handshake: the program gets no facts and exits" ||
	notok "tlsd: a failed handshake: the program gets no facts and exits"
expect "tlsd: the timeout is logged" 'qmail-tlsd: fatal: TLS handshake with 127.0.0.1 timed out' "$TESTTMP/srv.$P3.log"
r=$($PY "$HANG" $P3 half)
case $r in "closed after "[2-5].*) ok "tlsd: half a ClientHello is cut after -t 2 ($r)" ;;
*) notok "tlsd: half a ClientHello is cut after -t 2 ($r)" ;; esac
clear_notes
r=$($PY "$HANG" $P4 implicit)
case $r in "closed after "[2-5].*) ok "tlsd -i: a silent client is cut after -t 2 ($r)" ;;
*) notok "tlsd -i: a silent client is cut after -t 2 ($r)" ;; esac
[ -z "$(note start)" ] && ok "tlsd -i: no handshake, the program never starts" ||
	notok "tlsd -i: no handshake, the program never starts"

# garbage instead of a ClientHello
clear_notes
: > "$TESTTMP/srv.$P1.log.mark"
r=$($PY "$HANG" $P1 garbage)
case $r in "closed after "[01].*) ok "tlsd: garbage instead of a ClientHello ends the session ($r)" ;;
*) notok "tlsd: garbage instead of a ClientHello ends the session ($r)" ;; esac
sleep 0.3
[ -n "$(note tlsfail)" ] && ok "tlsd: garbage: the program gets no facts and exits" ||
	notok "tlsd: garbage: the program gets no facts and exits"
expect "tlsd: garbage: the engine says why and exits" 'qmail-tlsd: fatal: TLS handshake with 127.0.0.1 failed: ' "$TESTTMP/srv.$P1.log"
tcc $P1 STARTTLS FACTS QUIT > $O
expect "tlsd: the next session is served" '^250-SSL_PROTOCOL=TLSv1.3$' $O

# client certificates: requested and verified against control/clientca.pem
cp "$C/ca.pem" "$QHOME/control/clientca.pem"; chmod 644 "$QHOME/control/clientca.pem"
tcc $P1 --cert="$C/client.pem" STARTTLS FACTS QUIT > $O
expect "tlsd: a good client certificate gives SSL_CLIENT_S_DN" '^250-SSL_CLIENT_S_DN=CN=client$' $O
expect "tlsd: ... and SSL_CLIENT_VERIFY=SUCCESS" '^250-SSL_CLIENT_VERIFY=SUCCESS$' $O
tcc $P1 --cert="$C2/stranger.pem" STARTTLS FACTS QUIT > $O
expect "tlsd: another CA's certificate: requested, not required" '^250-SSL_CLIENT_S_DN=CN=stranger$' $O
expect "tlsd: ... and SSL_CLIENT_VERIFY=FAILED:reason" '^250-SSL_CLIENT_VERIFY=FAILED:.' $O
tcc $P1 STARTTLS FACTS QUIT > $O
expect "tlsd: no client certificate: served, no SSL_CLIENT_ facts" '^250-SSL_PROTOCOL=' $O
expect_not "tlsd: no client certificate: no SSL_CLIENT_VERIFY" 'SSL_CLIENT' $O

# a chain of 100 certificates (one RSA key, each signed by the next):
# over the 64 KB bound; its first 10 are under it but deeper than 5
K=$TESTTMP/chain
rm -rf "$K"; mkdir -p "$K"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,digitalSignature\n' > "$K/ext"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/key" 2>/dev/null
openssl req -x509 -new -key "$K/key" -subj /CN=c99 -days 2 -out "$K/c99" 2>/dev/null
i=98
while [ $i -ge 0 ]; do
	openssl req -new -key "$K/key" -subj "/CN=c$i" 2>/dev/null |
	    openssl x509 -req -CA "$K/c$((i + 1))" -CAkey "$K/key" -set_serial $((i + 1)) \
	    -days 2 -extfile "$K/ext" -out "$K/c$i" 2>/dev/null
	i=$((i - 1))
done
{ cat "$K/key"; i=0; while [ $i -le 99 ]; do cat "$K/c$i"; i=$((i + 1)); done; } > "$K/chain100.pem"
{ cat "$K/key"; i=0; while [ $i -le 9 ]; do cat "$K/c$i"; i=$((i + 1)); done; } > "$K/chain10.pem"
n=$(grep -c 'BEGIN CERTIFICATE' "$K/chain100.pem")
[ "$n" = 100 ] || notok "tlsd: a chain of 100 certificates made ($n)"
longchain() {	# NAME REASON: the chain is refused for REASON, cleanly
	: > "$TESTTMP/srv.$P1.log"
	clear_notes
	tcc $P1 --cert="$K/$1.pem" STARTTLS FACTS QUIT > $O
	sleep 0.3
	if grep -q '^250-SSL_CLIENT_VERIFY=SUCCESS' $O || grep -q '^250 end' $O; then
		notok "tlsd: a client chain $1 is refused"; sed 's/^/    /' $O
	else
		ok "tlsd: a client chain $1 is refused"
	fi
	expect "tlsd: $1: the engine says why ($2) and exits cleanly" \
	    "qmail-tlsd: fatal: TLS handshake with 127.0.0.1 failed: $2" "$TESTTMP/srv.$P1.log"
	[ -n "$(note tlsfail)" ] && ok "tlsd: $1: the program exits" || notok "tlsd: $1: the program exits"
}
longchain chain100 'excessive message size'
longchain chain10 'certificate verify failed'
tcc $P1 --cert="$C/client.pem" STARTTLS FACTS QUIT > $O
expect "tlsd: after the long chains, a good client is served" '^250-SSL_CLIENT_VERIFY=SUCCESS$' $O
rm -f "$QHOME/control/clientca.pem"

# -i in front of qmail-smtpd: openssl s_client and smtplib deliver
before=$(queue_files mess | wc -l)
printf 'EHLO c.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<u@test.example>\r\nDATA\r\nSubject: via s_client\r\n\r\nhello\r\n.\r\nQUIT\r\n' |
    timeout 20 openssl s_client -connect 127.0.0.1:$P5 -servername mx.test.example \
    -CAfile "$C/ca.pem" -verify_return_error -quiet > $O 2>&1
expect "tlsd -i + qmail-smtpd: s_client: greeting over TLS" '^220 ' $O
expect "tlsd -i + qmail-smtpd: s_client: message accepted" '^250 (2.6.0 )?ok [0-9]+ qp ' $O
expect "tlsd -i + qmail-smtpd: s_client: QUIT" '^221 ' $O
$PY - "$P5" "$C/ca.pem" > $O 2>&1 <<'EOF'
import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[1]), context=ctx, timeout=10) as s:
    s.ehlo('c.example')
    r = s.sendmail('a@x.example', ['u@test.example'], 'Subject: via smtplib\r\n\r\nhello\r\n')
    print('sent', r)
EOF
expect "tlsd -i + qmail-smtpd: smtplib.SMTP_SSL sends" '^sent \{\}$' $O
after=$(queue_files mess | wc -l)
same "tlsd -i + qmail-smtpd: both messages are in the queue" "$((after - before))" 2
printf 'EHLO c\r\nQUIT\r\n' | chat $P6 > $O
expect "tlsd + qmail-smtpd: plaintext SMTP through the STARTTLS wrapper" '^250[ -]' $O

# no servercert.pem: the program runs plainly, one warning
mv "$CERT" "$CERT.away"
: > "$TESTTMP/srv.$P1.log"
tcc $P1 ENV QUIT > $O
expect "tlsd: no servercert.pem: the program runs" '^221 bye$' $O
expect "tlsd: no servercert.pem: no SSLCTLFD" '^250-SSLCTLFD=$' $O
n=$(grep -c 'qmail-tlsd: ' "$TESTTMP/srv.$P1.log")
w=$(grep -c 'qmail-tlsd: warning: no control/servercert.pem: running .* without TLS' "$TESTTMP/srv.$P1.log")
[ "$n" = 1 ] && [ "$w" = 1 ] && ok "tlsd: no servercert.pem: one warning" ||
	{ notok "tlsd: no servercert.pem: one warning"; sed 's/^/    /' "$TESTTMP/srv.$P1.log"; }
r=$($PY "$HANG" $P2 implicit)
case $r in "closed after "[01].*) ok "tlsd -i: no servercert.pem: no session ($r)" ;;
*) notok "tlsd -i: no servercert.pem: no session ($r)" ;; esac
expect "tlsd -i: no servercert.pem: says why" 'qmail-tlsd: fatal: no control/servercert.pem' "$TESTTMP/srv.$P2.log"
mv "$CERT.away" "$CERT"

# a key that cannot be loaded: STARTTLS is not offered, the program runs
echo garbage > "$CERT.bad"; chmod 400 "$CERT.bad"; mv "$CERT" "$CERT.good"; mv "$CERT.bad" "$CERT"
[ "$QIDS" = system ] && chown qmailt "$CERT"
: > "$TESTTMP/srv.$P1.log"
tcc $P1 ENV QUIT > $O
expect "tlsd: an unusable servercert.pem: the program runs without SSLCTLFD" '^250-SSLCTLFD=$' $O
expect "tlsd: an unusable servercert.pem: the engine says why" 'qmail-tlsd: fatal: unable to load the certificates of control/servercert.pem' "$TESTTMP/srv.$P1.log"
mv "$CERT.good" "$CERT"

# usage
check_exit "tlsd: no program: usage, exit 100" 100 qmail-tlsd
check_exit "tlsd: bad -t: usage, exit 100" 100 qmail-tlsd -t x /bin/true

# the privilege split
if [ "$QIDS" != system ]; then
	skip "tlsd: privilege split: needs root (QIDS=system)"
	exit 0
fi
[ "$(stat -c '%U %a' "$CERT")" = "qmailt 400" ] && ok "tlsd: servercert.pem is qmailt's, mode 400" ||
	notok "tlsd: servercert.pem is qmailt's, mode 400 ($(stat -c '%U %a' "$CERT"))"
for u in qmaild qmailr; do
	if setuidgid $u cat "$CERT" > /dev/null 2>&1; then notok "tlsd: $u cannot read servercert.pem"
	else ok "tlsd: $u cannot read servercert.pem"; fi
done
clear_notes
tcc $P1 STARTTLS FACTS 'SLEEP 3' QUIT > $O &
cpid=$!
i=0; while [ -z "$(note tls)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
app=$(ls -t "$A"/*.tls 2>/dev/null | head -1); app=${app##*/}; app=${app%.tls}
eng=
[ -n "$app" ] && eng=$(ps -o pid= --ppid "$app" | tr -d ' ' | head -1)
if [ -n "$app" ] && [ -n "$eng" ]; then
	same "tlsd: the program runs as qmaild" "$(stat -c %U /proc/$app)" qmaild
	same "tlsd: the engine runs as qmailt" "$(stat -c %U /proc/$eng)" qmailt
	same "tlsd: the engine's real uid is qmailt too" \
	    "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/$eng/status)" \
	    "$(id -u qmailt) $(id -u qmailt) $(id -u qmailt) $(id -u qmailt)"
	ls -l /proc/$app/fd/ > "$O.fd" 2>&1
	expect_not "tlsd: the program has no key file open" 'servercert|\.pem' "$O.fd"
	ls -l /proc/$eng/fd/ > "$O.efd" 2>&1
	expect_not "tlsd: the engine keeps no key file open either" 'servercert|\.pem' "$O.efd"
	if setuidgid qmaild cat /proc/$eng/mem > /dev/null 2>&1 ||
	    setuidgid qmaild cat /proc/$eng/environ > /dev/null 2>&1; then
		notok "tlsd: qmaild cannot read the engine's memory"
	else
		ok "tlsd: qmaild cannot read the engine's memory"
	fi
else
	notok "tlsd: found the program ($app) and its engine ($eng)"
fi
wait $cpid
expect "tlsd: that session ends normally" '^221 bye$' $O
r=$(env - PATH="$PATH" qmail-tlsd /bin/true 2> "$O.err"; echo "exit $?")
sleep 0.2
if [ "$r" = "exit 111" ] && grep -q 'fatal: running as root without \$UID and \$GID' "$O.err" &&
    [ "$(grep -c . "$O.err")" = 1 ]; then
	ok "tlsd: as root without \$UID: refused, 111, one message"
else
	notok "tlsd: as root without \$UID: refused, 111, one message ($r)"; sed 's/^/    /' "$O.err"
fi
r=$(env UID=0 GID=0 qmail-tlsd /bin/true 2> "$O.err"; echo "exit $?")
sleep 0.2	# the engine's exit
if [ "$r" = "exit 111" ] && grep -q 'fatal: refusing to run the program as root' "$O.err" &&
    [ "$(grep -c . "$O.err")" = 1 ]; then
	ok "tlsd: \$UID=0: refused, 111, one message"
else
	notok "tlsd: \$UID=0: refused, 111, one message ($r)"; sed 's/^/    /' "$O.err"
fi
