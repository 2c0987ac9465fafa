#!/bin/sh
# qmail-remote's STARTTLS through qmail-tlsc, on a small internet of
# network namespaces, with certificates from a private CA made here.
# The far side: a private Postfix that requires TLS
# (smtpd_tls_security_level=encrypt, a certificate for mx.pf.test from
# the test CA) and also answers as the MX of wrong.test (so its
# certificate names the wrong host), a second Postfix with a self-signed
# certificate, and the Python receiver (tests/lib-netns-smtp.py) for what
# no real server does on demand: no STARTTLS, 454 to STARTTLS, garbage
# after 220.  Covered: verified TLS into Postfix, the report and qmail-send's
# log line; an unverified (self-signed, unknown CA) certificate under the
# default "may"; "verify" with the wrong name deferred, and the next MX
# used; "encrypt" without STARTTLS, with 454, with a broken handshake:
# deferred, nothing sent; "may" with a broken handshake: the host again
# in plaintext; a handshake that never completes (bounded), a line forged
# after 220; "none": no STARTTLS; control/tlsdestinations lookup
# (domain, .suffix, default line, unknown level); qmail-tlsc's name check
# with MTA-STS patterns.
NN_PREFIX=qtc
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-netns.sh"
. "$QSRC/tests/lib-send.sh"
. "$QSRC/tests/lib-tls.sh"
nn_init remote_tls
if ! command -v openssl >/dev/null 2>&1; then
	skip "remote_tls: openssl is not installed (tools/deps.sh)"; exit 0
fi
reset_home
T=$TESTTMP/rtls.$$
mkdir -p "$T"
chmod 755 "$T"
SLOG=$T/send.log
ruser=qmailr
[ "$QIDS" = system ] || ruser=$(id -un)
PATH=$PATH:/usr/sbin

cat > "$T/dns.conf" <<'Z'
local=/test/
mx-host=pf.test,mx.pf.test,10
host-record=mx.pf.test,10.231.0.16
mx-host=wrong.test,mx.wrong.test,10
host-record=mx.wrong.test,10.231.0.16
mx-host=two.test,mx.wrong.test,10
mx-host=two.test,mx.pf.test,20
mx-host=ss.test,mx.ss.test,10
host-record=mx.ss.test,10.231.0.17
mx-host=plain.test,mx.plain.test,10
host-record=mx.plain.test,10.231.0.11
mx-host=sub.plain.test,mx.plain.test,10
mx-host=broken.test,mx.broken.test,10
host-record=mx.broken.test,10.231.0.12
mx-host=refuse.test,mx.refuse.test,10
host-record=mx.refuse.test,10.231.0.13
mx-host=silent.test,mx.silent.test,10
host-record=mx.silent.test,10.231.0.14
mx-host=inject.test,mx.inject.test,10
host-record=mx.inject.test,10.231.0.15
Z
nn_host s 1	# the sender: qmail-remote, qmail-send
nn_host a 11	# Python receiver: no STARTTLS
nn_host b 12	# Python receiver: 220 to STARTTLS, then garbage
nn_host c 13	# Python receiver: STARTTLS offered, 454 to it
nn_host d 14	# Python receiver: 220 to STARTTLS, then silence
nn_host e 15	# Python receiver: 220 to STARTTLS and a forged line with it
nn_host p 16	# Postfix: TLS required, a certificate from the test CA
nn_host q 17	# Postfix: TLS offered, a self-signed certificate
nn_dns "$T/dns.conf"

# certificates
CA=$T/ca
if tls_ca "$CA" && tls_cert "$CA" mx.pf.test && chmod 644 "$CA/ca.pem"; then
	ok "a private CA and a certificate for mx.pf.test"
else
	notok "a private CA and a certificate for mx.pf.test"; exit 1
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ss.key" -out "$T/ss.crt" -days 2 -subj /CN=mx.ss.test \
    -addext subjectAltName=DNS:mx.ss.test >/dev/null 2>&1 &&
    cat "$T/ss.key" "$T/ss.crt" > "$T/ss.pem" ||
    notok "a self-signed certificate for mx.ss.test"

# A Postfix from nn_postfix, restarted with TLS on: LEVEL, the key and
# chain in CHAIN, mail for DOMAINS.
pf_tls() {	# NAME ADDR DIR DOMAIN LEVEL CHAIN DOMAINS
	nn_postfix "$1" "$2" "$3" "$4" || return 1
	nn_postfix_stop "$3"
	postconf -c "$3/etc" -e "smtpd_tls_security_level = $5" \
	    "smtpd_tls_chain_files = $6" "smtpd_tls_loglevel = 1" \
	    "virtual_mailbox_domains = $7"
	echo 'tlsmgr unix - - n 1000? 1 tlsmgr' >> "$3/etc/master.cf"
	nn "$1" postfix -c "$3/etc" start </dev/null >/dev/null 2>&1 ||
	    { notok "postfix with TLS started"; cat "$3/maillog"; return 1; }
	_i=0
	until nn "$1" python3 -c "import socket
socket.create_connection(('$2', 25), 1).close()" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || { notok "postfix listens on $2:25"; return 1; }
		sleep 0.1
	done
}
pf_tls p 10.231.0.16 "$T/pf" pf.test encrypt "$CA/mx.pf.test.pem" \
    "pf.test wrong.test two.test relay.test" || exit 1
pf_tls q 10.231.0.17 "$T/pq" ss.test may "$T/ss.pem" ss.test || exit 1
nn_smtp a 25 "$T/a" --ext 'PIPELINING,8BITMIME'
nn_smtp b 25 "$T/b" --ext 'PIPELINING,STARTTLS' --starttls-garbage
nn_smtp c 25 "$T/c" --ext 'PIPELINING,STARTTLS'
nn_smtp d 25 "$T/d" --ext 'PIPELINING,STARTTLS' --starttls-silent
nn_smtp e 25 "$T/e" --ext 'PIPELINING,STARTTLS' --starttls-inject

printf 'Subject: tls\n\nhello over TLS\n' > "$T/m1"
echo 10 > "$QHOME/control/timeoutremote"
echo 5 > "$QHOME/control/timeoutconnect"

qr() {	# like remote_delivery's: the report in $T/out, NULs as |, LFs as /
	_m=$1; shift
	nn s setuidgid "$ruser" "$QHOME/bin/qmail-remote" "$@" < "$_m" > "$T/raw"
	_rc=$?
	tr '\0\n' '|/' < "$T/raw" > "$T/out"
	return $_rc
}
expect() {	# NAME ERE
	if grep -Eq "$2" "$T/out"; then ok "$1"
	else notok "$1"; echo "    got: $(cat "$T/out")"; echo "    want: $2"; fi
}
count() { ls "$1/mail/box/new" 2>/dev/null | wc -l; }	# Postfix's Maildir
waitcount() {	# DIR N: up to 10 s for N messages
	_i=0
	while [ "$(count "$1")" -lt "$2" ] && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ "$(count "$1")" -eq "$2" ]
}
lines() { grep -c "$2" "$1/log" 2>/dev/null; }	# Python receiver's log
CIPHER='TLSv1\.[23] [A-Z0-9_-]+'

# 1. TLS into Postfix, the certificate verified against the test CA,
# through the whole chain: qmail-send logs the report
echo "$CA/ca.pem" > "$QHOME/control/tlscafile"
echo s.test > "$QHOME/control/me"
echo s.test > "$QHOME/control/locals"
: > "$SLOG"
nn_bg s sh -c "cd / && exec '$QHOME/bin/qmail-start' ./Maildir/" >> "$SLOG" 2>&1
SENDPID=${nn_pids##* }	# qmail-start becomes qmail-send
wait_log 'status: local' 10 || notok "qmail-send starts"
inject me@s.test u@pf.test || notok "qmail-queue exits 0"
if wait_log '^delivery [0-9]+: (success|failure|deferral): ' 20 &&
    grep -Eq "^delivery [0-9]+: success: 10\\.231\\.0\\.16_accepted_message\\._TLS_${CIPHER% *}_[A-Z0-9_-]+,_certificate_verified_for_mx\\.pf\\.test\\./Remote_host_said:_250_2\\.0\\.0_Ok" "$SLOG"
then ok "qmail-send logs: success, TLS, protocol, cipher, certificate verified for mx.pf.test"
else notok "qmail-send logs: success, TLS, protocol, cipher, certificate verified"; cat "$SLOG"; fi
if waitcount "$T/pf" 1; then ok "Postfix (TLS required) stored the message"
else notok "Postfix (TLS required) stored the message"; tail "$T/pf/maillog"; fi
if grep -q 'TLS connection established from' "$T/pf/maillog"; then
	ok "Postfix logged the TLS connection"
else notok "Postfix logged the TLS connection"; tail "$T/pf/maillog"; fi

# 2. "verify" for wrong.test, whose MX presents mx.pf.test's certificate:
# deferred, through qmail-send too, and nothing reaches Postfix
echo 'wrong.test:verify' > "$QHOME/control/tlsdestinations"
inject me@s.test u@wrong.test || notok "qmail-queue exits 0"
if wait_log '^delivery [0-9]+: deferral: ' 20 &&
    grep -Eq '^delivery [0-9]+: deferral: TLS_is_required_for_wrong\.test_\(control/tlsdestinations\)_but_10\.231\.0\.16_\(mx\.wrong\.test\)_failed_TLS:_certificate_not_verified:_hostname_mismatch\._\(#4\.7\.5\)/$' "$SLOG"
then ok "qmail-send logs: deferral, TLS required, certificate for the wrong name"
else notok "qmail-send logs: deferral, TLS required, certificate for the wrong name"; cat "$SLOG"; fi
kill -TERM "$SENDPID" 2>/dev/null	# the deferred message stays queued
qr "$T/m1" wrong.test me@s.test u@wrong.test
expect "verify, wrong name: Z, never plaintext" \
    '^ZTLS is required for wrong\.test \(control/tlsdestinations\) but 10\.231\.0\.16 \(mx\.wrong\.test\) failed TLS: certificate not verified: hostname mismatch\. \(#4\.7\.5\)/\|$'
sleep 0.5
if [ "$(count "$T/pf")" = 1 ]; then ok "verify, wrong name: nothing delivered"
else notok "verify, wrong name: nothing delivered ($(count "$T/pf"))"; fi

# 3. verify: the first MX has the wrong name, the second the right one
echo '.two.test:encrypt
two.test:verify' > "$QHOME/control/tlsdestinations"
qr "$T/m1" two.test me@s.test u@two.test
expect "verify: the next MX, whose certificate matches" \
    "^r\\|K10\\.231\\.0\\.16 accepted message\\. TLS $CIPHER, certificate verified for mx\\.pf\\.test\\./Remote host said: 250 "
waitcount "$T/pf" 2 || notok "the second MX delivered into Postfix"

# 4. verify and the right name
echo 'pf.test:verify' > "$QHOME/control/tlsdestinations"
qr "$T/m1" pf.test me@s.test u@pf.test
expect "verify, right name: K, verified" \
    "^r\\|K10\\.231\\.0\\.16 accepted message\\. TLS $CIPHER, certificate verified for mx\\.pf\\.test\\./"

# verify through smtproutes: the relay's name is what the certificate
# must have; an address literal has no name, so it never verifies
printf 'relay.test:mx.pf.test\nliteral.test:[10.231.0.16]\n' > "$QHOME/control/smtproutes"
printf 'relay.test:verify\nliteral.test:verify\n' > "$QHOME/control/tlsdestinations"
qr "$T/m1" relay.test me@s.test u@relay.test
expect "verify, smtproutes relay by name: verified for the relay" \
    "^r\\|K10\\.231\\.0\\.16 accepted message\\. TLS $CIPHER, certificate verified for mx\\.pf\\.test\\./"
qr "$T/m1" literal.test me@s.test u@literal.test
expect "verify, smtproutes relay by address: Z, no name" \
    '^ZTLS is required for literal\.test \(control/tlsdestinations\) but 10\.231\.0\.16 failed TLS: no name to verify the certificate against\. \(#4\.7\.5\)/\|$'
rm -f "$QHOME/control/smtproutes"
echo 'pf.test:verify' > "$QHOME/control/tlsdestinations"

# a large message through the relay: 4 MB of lines, dots included
python3 - "$T/big" <<'Q'
import sys
with open(sys.argv[1], 'wb') as f:
    f.write(b'Subject: big\n\n')
    for i in range(60000):
        f.write(b'.line %06d ' % i + b'x' * 60 + b'\n')
Q
n0=$(count "$T/pf")
qr "$T/big" pf.test me@s.test u@pf.test
expect "verify: a 4 MB message, accepted" "^r\\|K10\\.231\\.0\\.16 accepted message\\. TLS "
if waitcount "$T/pf" $((n0 + 1)) &&
    f=$(ls -t "$T/pf/mail/box/new" | head -1) &&
    python3 -c "import sys; sys.exit(not open(sys.argv[1], 'rb').read().endswith(open(sys.argv[2], 'rb').read()))" \
    "$T/pf/mail/box/new/$f" "$T/big"
then ok "verify: the 4 MB message arrives unchanged through TLS"
else notok "verify: the 4 MB message arrives unchanged through TLS"; fi

# 5. the default "may" with no tlscafile: the system bundle does not know
# the test CA; TLS all the same, not verified, delivered
rm -f "$QHOME/control/tlsdestinations" "$QHOME/control/tlscafile"
qr "$T/m1" pf.test me@s.test u@pf.test
expect "may, unknown CA: TLS, not verified, delivered" \
    "^r\\|K10\\.231\\.0\\.16 accepted message\\. TLS $CIPHER, certificate not verified: self-signed certificate in certificate chain\\./Remote host said: 250 "
# ... and with a self-signed certificate
echo "$CA/ca.pem" > "$QHOME/control/tlscafile"
qr "$T/m1" ss.test me@s.test u@ss.test
expect "may, self-signed: TLS, not verified, delivered" \
    "^r\\|K10\\.231\\.0\\.17 accepted message\\. TLS $CIPHER, certificate not verified: self-signed certificate\\./Remote host said: 250 "
if waitcount "$T/pq" 1; then ok "Postfix (self-signed) stored the message"
else notok "Postfix (self-signed) stored the message"; fi
# "encrypt" takes any certificate
echo 'ss.test:encrypt' > "$QHOME/control/tlsdestinations"
qr "$T/m1" ss.test me@s.test u@ss.test
expect "encrypt, self-signed: TLS, delivered" \
    "^r\\|K10\\.231\\.0\\.17 accepted message\\. TLS $CIPHER, certificate not verified: self-signed certificate\\./"
# "none": no STARTTLS with a server that offers it
echo 'ss.test:none' > "$QHOME/control/tlsdestinations"
n0=$(grep -c 'TLS connection established' "$T/pq/maillog")
qr "$T/m1" ss.test me@s.test u@ss.test
expect "none: delivered without TLS" '^r\|K10\.231\.0\.17 accepted message\./Remote host said: 250 '
if [ "$(grep -c 'TLS connection established' "$T/pq/maillog")" = "$n0" ]; then
	ok "none: Postfix saw no TLS"; else notok "none: Postfix saw no TLS"; fi
echo 'refuse.test:none' > "$QHOME/control/tlsdestinations"
qr "$T/m1" refuse.test me@s.test u@refuse.test
expect "none: delivered (Python receiver)" '^r\|K10\.231\.0\.13 accepted message\./'
if [ "$(lines "$T/c" STARTTLS)" = 0 ]; then ok "none: no STARTTLS sent"
else notok "none: no STARTTLS sent"; cat "$T/c/log"; fi

# 6. "encrypt" and no STARTTLS, or 454 to it, or garbage after 220:
# deferred, and not one MAIL sent
echo 'plain.test:encrypt
refuse.test:encrypt
broken.test:encrypt' > "$QHOME/control/tlsdestinations"
qr "$T/m1" plain.test me@s.test u@plain.test
expect "encrypt, STARTTLS not offered: Z" \
    '^ZTLS is required for plain\.test \(control/tlsdestinations\) but 10\.231\.0\.11 \(mx\.plain\.test\) did not offer STARTTLS\. \(#4\.7\.4\)/\|$'
qr "$T/m1" refuse.test me@s.test u@refuse.test
expect "encrypt, 454 to STARTTLS: Z" \
    '^ZTLS is required for refuse\.test \(control/tlsdestinations\) but 10\.231\.0\.13 \(mx\.refuse\.test\) refused STARTTLS: 454 4\.7\.0 TLS not available\. \(#4\.7\.4\)/\|$'
qr "$T/m1" broken.test me@s.test u@broken.test
expect "encrypt, garbage after 220: Z" \
    '^ZTLS is required for broken\.test \(control/tlsdestinations\) but 10\.231\.0\.12 \(mx\.broken\.test\) failed TLS: TLS handshake failed: [^|]+\. \(#4\.7\.5\)/\|$'
if [ "$(lines "$T/a" 'MAIL FROM')" = 0 ] && [ "$(lines "$T/c" 'MAIL FROM')" = 1 ] &&
    [ "$(lines "$T/b" 'MAIL FROM')" = 0 ]; then
	ok "encrypt: no message in plaintext"
else notok "encrypt: no message in plaintext"; cat "$T/a/log" "$T/b/log" "$T/c/log"; fi
if grep -q 'QUIT' "$T/a/log"; then ok "encrypt, not offered: QUIT, politely"
else notok "encrypt, not offered: QUIT, politely"; cat "$T/a/log"; fi

# 7. "may" (the default): 454 to STARTTLS goes on in plaintext; a broken
# handshake retries the host once, in plaintext, and says so
rm -f "$QHOME/control/tlsdestinations"
qr "$T/m1" refuse.test me@s.test u@refuse.test
expect "may, 454 to STARTTLS: delivered in plaintext" '^r\|K10\.231\.0\.13 accepted message\./Remote host said: 250 '
qr "$T/m1" broken.test me@s.test u@broken.test
expect "may, broken handshake: delivered in plaintext on the retry" \
    '^r\|K10\.231\.0\.12 accepted message\. STARTTLS had failed \(TLS handshake failed: [^|]+\), so without TLS\./Remote host said: 250 '
if [ "$(lines "$T/b" CONNECT)" = 3 ] && [ "$(lines "$T/b" STARTTLS)" = 2 ] &&
    [ "$(lines "$T/b" 'MAIL FROM')" = 1 ] && [ "$(ls "$T/b" | grep -c '^msg\.')" = 1 ]
then ok "may, broken handshake: a second connection, without STARTTLS, one copy"
else notok "may, broken handshake: a second connection, without STARTTLS, one copy"; cat "$T/b/log"; fi

# a handshake that never completes is bounded by timeoutremote
echo 3 > "$QHOME/control/timeoutremote"
t0=$(date +%s)
qr "$T/m1" silent.test me@s.test u@silent.test
t1=$(date +%s)
expect "may, silent after 220: delivered in plaintext on the retry" \
    '^r\|K10\.231\.0\.14 accepted message\. STARTTLS had failed \(TLS handshake timed out\), so without TLS\./'
if [ $((t1 - t0)) -ge 3 ] && [ $((t1 - t0)) -le 6 ]; then
	ok "a silent handshake is given up after timeoutremote (3 s)"
else notok "a silent handshake is given up after timeoutremote ($((t1 - t0)) s)"; fi
echo 10 > "$QHOME/control/timeoutremote"
# a line forged into the 220 before TLS (the STARTTLS injection class)
echo 'inject.test:encrypt' > "$QHOME/control/tlsdestinations"
qr "$T/m1" inject.test me@s.test u@inject.test
expect "encrypt, data after 220 to STARTTLS: Z" \
    '^ZTLS is required for inject\.test \(control/tlsdestinations\) but 10\.231\.0\.15 \(mx\.inject\.test\) failed TLS: the server sent data after its 220 to STARTTLS\. \(#4\.7\.5\)/\|$'
if [ "$(lines "$T/e" 'MAIL FROM')" = 0 ]; then ok "encrypt, data after 220: nothing sent"
else notok "encrypt, data after 220: nothing sent"; cat "$T/e/log"; fi
rm -f "$QHOME/control/tlsdestinations"
qr "$T/m1" inject.test me@s.test u@inject.test
expect "may, data after 220: delivered in plaintext on the retry" \
    '^r\|K10\.231\.0\.15 accepted message\. STARTTLS had failed \(the server sent data after its 220 to STARTTLS\), so without TLS\./Remote host said: 250 ok'

# 8. tlsdestinations: the exact domain over ".suffix" over the default
printf ':encrypt\n.plain.test:may\nplain.test:encrypt\n' > "$QHOME/control/tlsdestinations"
qr "$T/m1" plain.test me@s.test u@plain.test
expect "tlsdestinations: the domain's line" '^ZTLS is required for plain\.test'
qr "$T/m1" sub.plain.test me@s.test u@sub.plain.test
expect "tlsdestinations: a .suffix line" '^r\|K10\.231\.0\.11 accepted message\./'

printf ':encrypt\nplain.test:may\n' > "$QHOME/control/tlsdestinations"
qr "$T/m1" refuse.test me@s.test u@refuse.test
expect "tlsdestinations: the default line" '^ZTLS is required for refuse\.test \(control/tlsdestinations\)'
qr "$T/m1" plain.test me@s.test u@plain.test
expect "tlsdestinations: a domain line beats the default" '^r\|K10\.231\.0\.11 accepted message\./'
echo 'plain.test:maybe' > "$QHOME/control/tlsdestinations"
qr "$T/m1" plain.test me@s.test u@plain.test
expect "tlsdestinations: an unknown level is a temporary failure" '^ZUnknown TLS level in control/tlsdestinations\. \(#4\.3\.5\)/\|$'
rm -f "$QHOME/control/tlsdestinations"

# 9. qmail-tlsc on its own: STARTTLS by hand, then the name check with
# MTA-STS patterns (RFC 8461 3.4: "*.pf.test" is one label under pf.test)
cat > "$T/tlsc.py" <<'P'
import os, socket, subprocess, sys
s = socket.create_connection(('10.231.0.16', 25), 5)
f = s.makefile('rb')
def reply():
    while True:
        l = f.readline()
        if l[3:4] != b'-':
            return l
reply()
s.sendall(b'EHLO s.test\r\n'); reply()
s.sendall(b'STARTTLS\r\n'); assert reply().startswith(b'220')
up, down, st = os.pipe(), os.pipe(), os.pipe()
def fds():
    os.dup2(up[0], 0); os.dup2(down[1], 1); os.dup2(s.fileno(), 3); os.dup2(st[1], 4)
p = subprocess.Popen(sys.argv[1:], preexec_fn=fds, pass_fds=(3, 4))
for x in (up[0], down[1], st[1]):
    os.close(x)
s.close()
status = os.read(st[0], 2000).decode()
out = ''
if status.startswith('+'):
    os.write(up[1], b'EHLO s.test\r\nQUIT\r\n')
    while True:
        x = os.read(down[0], 4096)
        if not x:
            break
        out += x.decode()
print(status.strip(), '|', 'STARTTLS' in out, '221' in out, '| exit', p.wait())
P
tlsc() {	# NAME WANT ARGS...
	_n=$1 _w=$2; shift 2
	_o=$(nn s setuidgid "$ruser" python3 "$T/tlsc.py" "$QHOME/bin/qmail-tlsc" -t 5 "$@" 2>&1)
	if printf '%s\n' "$_o" | grep -Eq "$_w"; then ok "qmail-tlsc: $_n"
	else notok "qmail-tlsc: $_n"; echo "    got: $_o"; fi
}
tlsc "verify the server name; EHLO again over TLS; exit 0 at the end" \
    "^\\+$CIPHER verified mx\\.pf\\.test \\| False True \\| exit 0\$" verify mx.pf.test
tlsc "verify a pattern *.pf.test" "^\\+$CIPHER verified mx\\.pf\\.test \\|" \
    verify mx.pf.test '*.other.test' '*.pf.test'
tlsc "a pattern matches one label only" \
    '^-certificate not verified: hostname mismatch \| False False \| exit 111$' verify mx.pf.test '*.test'
tlsc "may: the wrong name, not verified, still TLS" \
    "^\\+$CIPHER unverified hostname mismatch \\| False True \\| exit 0\$" may mx.pf.test other.test
tlsc "an IP literal: no name to check" "^\\+$CIPHER unverified no name to check" encrypt 10.231.0.16
tlsc "verify with nothing to check fails" '^-no name to verify' verify ''
