#!/bin/sh
# Interop with mandatory TLS, both ways, against one private Postfix on
# loopback (its own configuration, queue and log under the scratch tree):
#   Postfix -> suite: mail for example.test goes to Postfix's smtpd on
#     24691 and on to relayhost [127.0.0.1]:24690, where tcpserver runs
#     qmail-tlsd in front of qmail-smtpd; Postfix's smtp client has
#     smtp_tls_security_level=encrypt and trusts the test CA.
#   suite -> Postfix: mail for example.org goes through qmail-send and
#     qmail-remote (smtproutes, control/tlsdestinations says encrypt) to
#     Postfix's smtpd on 24692, which has smtpd_tls_security_level=encrypt
#     and a certificate from the test CA, and delivers into a Maildir.
# Both arrive; both sides log the TLS session; the Received line says
# ESMTPS with the cipher.  Then the same Postfix port with TLS refused by
# the suite's policy "verify" for a name the certificate does not carry:
# deferred, nothing delivered.  Ports 24690-24692.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
. "$QSRC/tests/lib-smtpd.sh"
. "$QSRC/tests/lib-tls.sh"

SPORT=24690	# qmail-tlsd + qmail-smtpd
PIN=24691	# Postfix's smtpd, plain: where the test injects
PTLS=24692	# Postfix's smtpd, TLS required
PF=$TESTTMP/interop-tls-pf
CA=$TESTTMP/interop-tls-ca

if [ "$(id -u)" != 0 ]; then
	skip "interop TLS: Postfix needs root to start"
	exit 0
fi
for t in tcpserver envuidgid python3 openssl; do
	command -v $t > /dev/null || { skip "interop TLS: $t is not installed"; exit 0; }
done
[ -x /usr/sbin/postfix ] || { skip "interop TLS: postfix is not installed"; exit 0; }
for p in qmail-tlsd qmail-tlsc; do
	[ -x "$QHOME/bin/$p" ] || { notok "interop TLS: $p is installed"; exit 1; }
done

pf() { /usr/sbin/postfix -c "$PF/etc" "$@" < /dev/null > /dev/null 2>&1; }
pf_stop() {
	[ -s "$PF/spool/pid/master.pid" ] || return 0
	_m=$(tr -dc 0-9 < "$PF/spool/pid/master.pid")
	pf stop
	_i=0
	while [ -n "$_m" ] && kill -0 "$_m" 2> /dev/null && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ -n "$_m" ] && kill -0 "$_m" 2> /dev/null && kill -KILL "$_m"
	return 0
}
trap 'pf_stop; stop_srv; send_stop; cp "$PF/maillog" "$TESTTMP/interop-tls.maillog" 2> /dev/null; rm -rf "$PF" "$MD" "$A/.qmail-default"' EXIT
trap 'exit 1' INT TERM HUP

# ---- certificates from a private CA
rm -rf "$CA"; mkdir -p "$CA"
tls_ca "$CA" > "$TESTTMP/interop-tls.ca" 2>&1 &&
    tls_cert "$CA" suite mx.test.example > /dev/null 2>&1 &&
    tls_cert "$CA" pf pf.interop.example > /dev/null 2>&1 ||
	{ notok "interop TLS: a test CA and two certificates"; cat "$TESTTMP/interop-tls.ca"; exit 1; }

# ---- the suite
reset_home
echo mx.test.example > "$QHOME/control/me"
echo example.test > "$QHOME/control/locals"
echo example.test > "$QHOME/control/rcpthosts"
echo "example.org:127.0.0.1:$PTLS" > "$QHOME/control/smtproutes"
echo "example.org:encrypt" > "$QHOME/control/tlsdestinations"
echo "$CA/ca.pem" > "$QHOME/control/tlscafile"
cp "$CA/suite.pem" "$QHOME/control/servercert.pem"
chown qmailt "$QHOME/control/servercert.pem"
chmod 400 "$QHOME/control/servercert.pem"
chmod 755 "$CA"; chmod 644 "$CA/ca.pem"
A=$QHOME/alias
MD=$A/Maildir
rm -rf "$MD"
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
echo ./Maildir/ > "$A/.qmail-default"
chown -R alias:qmail "$MD" "$A/.qmail-default"
send_start
: > "$TESTTMP/srv.$SPORT.log"
envuidgid qmaild tcpserver -v -RH -l mx.test.example 127.0.0.1 $SPORT \
    "$QHOME/bin/qmail-tlsd" "$QHOME/bin/qmail-smtpd" 2> "$TESTTMP/srv.$SPORT.log" &
SRV_PIDS="$SRV_PIDS $!"
i=0
until grep -q 'status:' "$TESTTMP/srv.$SPORT.log" 2> /dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { notok "interop TLS: tcpserver listens"; exit 1; }
	sleep 0.05
done

# ---- Postfix
rm -rf "$PF"
mkdir -p "$PF/etc" "$PF/mail"
mkdir -m 755 "$PF/spool"
mkdir -m 700 "$PF/data"
chown postfix "$PF/data"
chown nobody "$PF/mail"
cp "$CA/pf.pem" "$PF/etc/pf.pem"; chmod 600 "$PF/etc/pf.pem"
cp "$CA/ca.pem" "$PF/etc/ca.pem"
: > "$PF/etc/main.cf"
cp /usr/share/postfix/master.cf.dist "$PF/etc/master.cf"
pc() { /usr/sbin/postconf -c "$PF/etc" "$@" > "$TESTTMP/interop-tls.postconf" 2>&1 ||
	{ notok "interop TLS: postconf $*"; cat "$TESTTMP/interop-tls.postconf"; exit 1; }; }
pc -e compatibility_level=3.6 "queue_directory=$PF/spool" \
    "data_directory=$PF/data" "maillog_file=$PF/maillog" \
    "maillog_file_prefixes=$PF" myhostname=pf.interop.example \
    mydestination= inet_interfaces=127.0.0.1 inet_protocols=ipv4 \
    mynetworks=127.0.0.0/8 smtpd_peername_lookup=no alias_maps= \
    alias_database= local_recipient_maps= \
    "relayhost=[127.0.0.1]:$SPORT" smtp_dns_support_level=disabled \
    smtp_tls_security_level=encrypt "smtp_tls_CAfile=$PF/etc/ca.pem" \
    smtp_tls_loglevel=1 smtpd_tls_loglevel=1 \
    "smtpd_tls_chain_files=$PF/etc/pf.pem" \
    virtual_mailbox_domains=example.org "virtual_mailbox_base=$PF/mail" \
    virtual_mailbox_maps=static:box/ \
    "virtual_uid_maps=static:$(id -u nobody)" "virtual_gid_maps=static:$(id -g nobody)" \
    "import_environment=MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C"
pc -F '*/*/chroot = n'
pc -MX smtp/inet
pc -M "127.0.0.1:$PIN/inet = 127.0.0.1:$PIN inet n - n - - smtpd -o smtpd_tls_security_level=none"
pc -M "127.0.0.1:$PTLS/inet = 127.0.0.1:$PTLS inet n - n - - smtpd -o smtpd_tls_security_level=encrypt"
if pf start; then ok "interop TLS: Postfix starts with its own configuration"
else notok "interop TLS: Postfix starts"; cat "$PF/maillog" 2> /dev/null; exit 1; fi
for port in $PIN $PTLS; do
	i=0
	until python3 -c "import socket
socket.create_connection(('127.0.0.1', $port), 1).close()" 2> /dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || { notok "interop TLS: Postfix listens on $port"; exit 1; }
		sleep 0.1
	done
done

# ---- Postfix -> suite
swaks --server 127.0.0.1:$PIN --from sender@remote.example --to in@example.test \
    --header "Subject: pf to suite $$" > "$TESTTMP/interop-tls.swaks" 2>&1 ||
	{ notok "interop TLS: Postfix accepts a message for the suite"; tail -5 "$TESTTMP/interop-tls.swaks"; }
i=0
while [ "$(ls "$MD/new" | wc -l)" -lt 1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
same "interop TLS: Postfix's message is in the suite's Maildir" "$(ls "$MD/new" | wc -l)" 1
f=$(ls "$MD/new"/* 2> /dev/null | head -1)
if [ -n "$f" ] && grep -Eq "^  by mx\.test\.example with ESMTPS \(TLSv1\.[23] cipher [A-Z0-9_-]+" "$f"; then
	ok "interop TLS: qmail-smtpd's Received line says ESMTPS and the cipher"
else
	notok "interop TLS: qmail-smtpd's Received line says ESMTPS and the cipher"
	[ -n "$f" ] && sed -n '1,12s/^/    /p' "$f"
fi
i=0
while ! grep -q "relay=127.0.0.1\[127.0.0.1\]:$SPORT.*status=sent" "$PF/maillog" 2> /dev/null && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
expect "interop TLS: Postfix's client logs a trusted TLS session to qmail-tlsd" \
    "Trusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$SPORT: TLSv1\.[23]" "$PF/maillog"
expect "interop TLS: Postfix logs status=sent to the suite" \
    "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SPORT.*status=sent" "$PF/maillog"

# ---- suite -> Postfix
printf 'From: in@example.test\nTo: out@example.org\nSubject: suite to pf %s\n\nhello over TLS\n' $$ |
    "$QHOME/bin/qmail-inject" -fin@example.test out@example.org ||
	notok "interop TLS: qmail-inject queues a message for example.org"
i=0
while [ "$(ls "$PF/mail/box/new" 2> /dev/null | wc -l)" -lt 1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
same "interop TLS: the suite's message is in Postfix's Maildir" "$(ls "$PF/mail/box/new" 2> /dev/null | wc -l)" 1
expect "interop TLS: Postfix's smtpd logs the TLS session from qmail-remote" \
    "TLS connection established from .*\[127\.0\.0\.1\]: TLSv1\.[23]" "$PF/maillog"
expect "interop TLS: qmail-send logs the delivery with TLS, protocol and cipher" \
    "delivery [0-9]+: success: .*TLS.*TLSv1\.[23]" "$SLOG"
expect_not "interop TLS: Postfix's smtpd saw no plaintext MAIL" \
    "NOQUEUE: reject: MAIL from .*Must issue a STARTTLS" "$PF/maillog"

# ---- suite -> Postfix with "verify" for a name the certificate lacks
echo "example.org:verify" > "$QHOME/control/tlsdestinations"
: > "$SLOG.mark"; n0=$(wc -l < "$SLOG")
printf 'Subject: must not go %s\n\nwrong name\n' $$ |
    "$QHOME/bin/qmail-inject" -fin@example.test wrong@example.org
wait_log "delivery [0-9]+: deferral: .*(certif|verif)" 30 ||
	true
tail -n +"$((n0 + 1))" "$SLOG" > "$TESTTMP/interop-tls.verify"
expect "interop TLS: a certificate that does not name 127.0.0.1 under verify is a deferral" \
    "delivery [0-9]+: deferral: .*(certif|verif)" "$TESTTMP/interop-tls.verify"
sleep 1
same "interop TLS: nothing more reached Postfix" "$(ls "$PF/mail/box/new" 2> /dev/null | wc -l)" 1

pf_stop
