# qmail-smtpd's STARTTLS (UCSPI-TLS application side) and AUTH over TLS,
# behind a UCSPI-TLS server under tcpserver, with a private test CA: swaks
# --tls, openssl s_client -starttls smtp, smtplib starttls()+login() and
# SMTP_SSL (implicit TLS); plaintext injected after STARTTLS, a second
# STARTTLS, the EHLO state after TLS, the Received line, UCSPITLS=!.
# The server is qmail-tlsd, and the small Python stand-in
# tests/lib-ucspitls.py (the interface itself, as sslserver -n or s6-tlsd
# would show it).  Ports 24660-24669.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-smtpd.sh"
trap stop_srv EXIT
reset_home
echo test.example > "$QHOME/control/rcpthosts"
T=$TESTTMP/out.tls
C=$TESTTMP/ca
. "$QSRC/tests/lib-tls.sh"
tls_ca "$C" && tls_cert "$C" mx.test.example mx.test.example 127.0.0.1 ||
	{ notok "test CA and certificate"; cat "$C/openssl.log"; exit 1; }
chmod 755 "$C"; chmod 644 "$C/mx.test.example.pem"	# the stand-in runs as qmaild
# qmail-tlsd's key: control/servercert.pem, qmailt's alone
CERT=$QHOME/control/servercert.pem
cp "$C/mx.test.example.pem" "$CERT" && chmod 400 "$CERT"
[ "$QIDS" = system ] && chown qmailt "$CERT"
printf 'secret\n' | qmail-passwd alice > /dev/null 2>&1
CPW=$QHOME/bin/qmail-checkpw

cat > "$TESTTMP/qqtls" <<EOQ
#!/bin/sh
echo "\${SMTPAUTHUSER-unset} \${SSL_PROTOCOL-none} \${SSL_CIPHER-none}" >> "$REC/tlsenv"
exec "$QQREC"
EOQ
chmod 755 "$TESTTMP/qqtls"
export QMAILQUEUE="$TESTTMP/qqtls"

cat > "$TESTTMP/tlsclient.py" <<'EOPY'
import smtplib, socket, ssl, sys
mode, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
def lines(f):
    out = []
    while True:
        l = f.readline()
        if not l:
            break
        out.append(l.decode(errors='replace').rstrip('\r\n'))
        if len(l) > 3 and l[3:4] == b' ':
            break
    return out
if mode in ('login', 'ssl'):
    if mode == 'ssl':
        s = smtplib.SMTP_SSL('127.0.0.1', port, context=ctx, timeout=20)
        s.ehlo('py.example')
    else:
        s = smtplib.SMTP('127.0.0.1', port, timeout=20)
        s.ehlo('py.example')
        print('before', ' '.join(sorted(s.esmtp_features)))
        print('starttls', s.starttls(context=ctx)[0])
        s.ehlo('py.example')
    print('after', ' '.join(sorted(s.esmtp_features)))
    print('login', s.login('alice', 'secret')[0])
    s.sendmail('alice@test.example', ['far@elsewhere.example'], b'Subject: tls\r\n\r\nhi\r\n')
    s.quit()
    print('sent')
elif mode.startswith('inject'):
    # STARTTLS and a second command in one write: the second must never run
    extra = mode[len('inject'):].encode()
    raw = socket.create_connection(('127.0.0.1', port), timeout=20)
    f = raw.makefile('rb')
    print('greet', lines(f))
    raw.sendall(b'EHLO c\r\n')
    lines(f)
    raw.sendall(b'STARTTLS\r\n' + extra + b'\r\n')
    print('starttls', lines(f))
    try:
        t = ctx.wrap_socket(raw)
    except (ssl.SSLError, OSError) as e:
        print('handshake failed', e)
        sys.exit(0)
    tf = t.makefile('rb')
    t.sendall(b'NOOP\r\n')
    print('first', lines(tf))
    t.sendall(b'EHLO c\r\n')
    print('ehlo', lines(tf))
    t.sendall(b'STARTTLS\r\n')
    print('again', lines(tf))
    t.sendall(b'QUIT\r\n')
    print('quit', lines(tf))
elif mode == 'forget':
    # AUTH in clear (loopback switch), then STARTTLS: the AUTH is forgotten
    import base64
    raw = socket.create_connection(('127.0.0.1', port), timeout=20)
    f = raw.makefile('rb')
    lines(f)
    good = base64.b64encode(b'\0alice\0secret')
    for c in (b'EHLO c', b'AUTH PLAIN ' + good, b'STARTTLS'):
        raw.sendall(c + b'\r\n')
        print('plain', lines(f)[-1])
    t = ctx.wrap_socket(raw)
    tf = t.makefile('rb')
    for c in (b'EHLO c', b'MAIL FROM:<alice@test.example>',
              b'RCPT TO:<u@elsewhere.example>', b'RSET', b'AUTH PLAIN ' + good,
              b'MAIL FROM:<alice@test.example>', b'RCPT TO:<u@elsewhere.example>',
              b'QUIT'):
        t.sendall(c + b'\r\n')
        print('tls', c.split(b' ')[0].decode(), lines(tf)[-1])
elif mode == 'garbage':
    raw = socket.create_connection(('127.0.0.1', port), timeout=20)
    f = raw.makefile('rb')
    lines(f)
    raw.sendall(b'STARTTLS\r\n')
    print('starttls', lines(f))
    raw.sendall(b'GET / HTTP/1.0\r\n\r\n' * 10)
    try:
        print('after', raw.recv(100))
    except OSError as e:
        print('after', e)
EOPY
tc() { python3 "$TESTTMP/tlsclient.py" "$1" "$2" "$C/ca.pem"; }

# qmail-tlsd starts as root (for the key) and drops to $UID/$GID, which
# envuidgid sets, as the service run files do; the stand-in runs as qmaild
ENVU=
[ "$QIDS" = system ] && ENVU="envuidgid qmaild"
tlsd_srv() {	# PORT PROG...: like start_srv, without -u/-g
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
ucspi_srv() { _port=$1; shift; start_srv "$_port" -- "$@"; }

run_suite() {	# run_suite WHAT STARTER P PR PI PF WRAP...: the tests behind one UCSPI-TLS server
	_w=$1 _srv=$2; shift 2
	P=$1 PR=$2 PI=$3 PF=$4; shift 4
	$_srv $P "$@" qmail-smtpd test.example "$CPW" /bin/true || return 1
	$_srv $PR "$@" env UCSPITLS=! qmail-smtpd test.example "$CPW" /bin/true || return 1

	printf 'EHLO c\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$(printf '\0alice\0secret' | base64 -w0)" | chat $P > $T
	expect "$_w: EHLO offers STARTTLS" '^250-STARTTLS' $T
	expect_not "$_w: no AUTH before TLS" '^250-AUTH' $T
	expect "$_w: AUTH before TLS: 530 5.7.0" '^530 5.7.0 Must issue a STARTTLS command first' $T

	rec_clear
	tc login $P > $T 2>&1
	expect "$_w: smtplib starttls(): 220" '^starttls 220' $T
	expect "$_w: EHLO after TLS: no STARTTLS" '^after ([a-z0-9-]+ )*auth' $T
	expect_not "  ... STARTTLS gone" '^after .*starttls' $T
	expect "$_w: smtplib login() over TLS: 235" '^login 235' $T
	expect "  ... and relays" '^sent' $T
	rec_body > $T.body
	expect "$_w: Received: ESMTPSA, protocol, cipher, user" \
	    '^  by mx.test.example with ESMTPSA \(TLSv1\.[23] cipher [A-Z0-9_-]+\) \(authenticated user alice\); ' $T.body
	expect "$_w: QMAILQUEUE sees SMTPAUTHUSER and SSL_*" '^alice TLSv1\.[23] [A-Z0-9_-]+$' "$REC/tlsenv"

	rec_clear
	if swaks -s 127.0.0.1 -p $P --tls --ehlo c --from x@y.example --to u@test.example > $T 2>&1; then
		ok "$_w: swaks --tls delivers"
	else notok "$_w: swaks --tls delivers"; tail -15 $T; fi
	rec_body > $T.body
	expect "  ... Received: ESMTPS and the cipher" '^  by mx.test.example with ESMTPS \(TLSv1\.[23] cipher [A-Z0-9_-]+\); ' $T.body
	if swaks -s 127.0.0.1 -p $PR --tls --auth LOGIN --auth-user alice --auth-password secret \
	    --ehlo c --from alice@test.example --to u@elsewhere.example > $T 2>&1; then
		ok "$_w: swaks --tls --auth LOGIN on a UCSPITLS=! port"
	else notok "$_w: swaks --tls --auth LOGIN on a UCSPITLS=! port"; tail -15 $T; fi

	printf 'EHLO c\nQUIT\n' | timeout 30 openssl s_client -starttls smtp -crlf -quiet \
	    -connect 127.0.0.1:$P -CAfile "$C/ca.pem" -verify_return_error > $T 2>&1
	expect "$_w: openssl s_client -starttls smtp verifies" 'verify return:1' $T
	expect "  ... EHLO over TLS offers AUTH" '^250-AUTH PLAIN LOGIN' $T
	expect_not "  ... and not STARTTLS" '^250-STARTTLS' $T
	expect "  ... QUIT over TLS" '^221 2.0.0' $T

	for x in RSET HELP; do
		tc inject$x $P > $T 2>&1
		expect "$_w: STARTTLS + $x in one write: 220" "^starttls \\['220 2.0.0 ready to start TLS'\\]" $T
		if grep -q '^handshake failed' $T; then
			ok "$_w: ... the injected $x broke the handshake"
		else
			# EHLO was forgotten: NOOP's reply has no enhanced code
			expect "$_w: ... the injected $x never ran: NOOP's reply comes first" "^first \\['250 ok'\\]" $T
			expect_not "  ... no reply to $x" '214|^ehlo \[.250 2.0.0' $T
			expect "$_w: a second STARTTLS: 503" "^again \\['503 5.5.1 TLS is already on" $T
			expect "  ... the session goes on" "^quit \\['221 2.0.0" $T
		fi
	done

	tc garbage $P > $T 2>&1
	expect "$_w: garbage instead of a ClientHello: connection closed" "^after (b''|.*reset)" $T

	printf 'EHLO c\r\nMAIL FROM:<a@x.example>\r\nQUIT\r\n' | chat $PR > $T
	expect "$_w: UCSPITLS=!: MAIL before TLS gets 530 5.7.0" '^530 5.7.0 Must issue a STARTTLS command first' $T

	$_srv $PF "$@" env SMTPAUTHPLAINTEXT=1 qmail-smtpd test.example "$CPW" /bin/true || return 1
	tc forget $PF > $T 2>&1
	expect "$_w: AUTH in clear on loopback (SMTPAUTHPLAINTEXT): 235" '^plain 235 2.7.0' $T
	expect "$_w: after STARTTLS the AUTH is forgotten: no relaying" '^tls RCPT 553 5.7.1' $T
	expect "  ... and AUTH may be given again" '^tls AUTH 235 2.7.0' $T
	expect "  ... then relaying is allowed" '^tls RCPT 250 2.1.5' $T

	if [ -n "$PI" ]; then
		$_srv $PI $IMPLICIT qmail-smtpd test.example "$CPW" /bin/true || return 1
		rec_clear
		tc ssl $PI > $T 2>&1
		expect "$_w: implicit TLS (SMTP_SSL): AUTH offered, no STARTTLS" '^after ([a-z0-9-]+ )*auth' $T
		expect_not "  ... no STARTTLS" '^after .*starttls' $T
		expect "  ... login 235" '^login 235' $T
		rec_body > $T.body
		expect "  ... Received: ESMTPSA with the cipher" '^  by mx.test.example with ESMTPSA \(TLSv1\.[23] cipher ' $T.body
	fi
	stop_srv
}

U=$QSRC/tests/lib-ucspitls.py
IMPLICIT="python3 $U -i $C/mx.test.example.pem"
run_suite ucspi-tls-stand-in ucspi_srv 24666 24667 24668 24669 python3 "$U" "$C/mx.test.example.pem"
IMPLICIT="qmail-tlsd -i"
run_suite qmail-tlsd tlsd_srv 24660 24661 24662 24663 qmail-tlsd
