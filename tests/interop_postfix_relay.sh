#!/bin/sh
# Interop: a private Postfix instance (its own configuration, queue and
# log under the scratch tree) relays through relayhost [127.0.0.1]:21110,
# where the suite's qmail-smtpd runs under tcpserver, in front of the real
# qmail-queue, qmail-send and qmail-local.  Messages with 8-bit bytes,
# lines of 998 bytes and lines of dots go in by SMTP to Postfix on
# 127.0.0.1:21111 and must arrive byte for byte in the suite's Maildir,
# with status=sent in Postfix's log.  Postfix is stopped at the end.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
. "$QSRC/tests/lib-smtpd.sh"

SPORT=21110	# qmail-smtpd
PPORT=21111	# Postfix's smtpd
PF=$TESTTMP/interop-pf
MSGS=$TESTTMP/interop-msgs

if [ "$(id -u)" != 0 ]; then
	skip "interop: Postfix needs root to start"
	exit 0
fi
for t in tcpserver python3; do
	command -v $t > /dev/null || { skip "interop: $t is not installed"; exit 0; }
done
[ -x /usr/sbin/postfix ] || { skip "interop: postfix is not installed"; exit 0; }

pf() { /usr/sbin/postfix -c "$PF/etc" "$@" < /dev/null > /dev/null 2>&1; }
pf_stop() {	# stop it and wait until its master is gone
	[ -s "$PF/spool/pid/master.pid" ] || return 0
	_m=$(tr -dc 0-9 < "$PF/spool/pid/master.pid")
	pf stop
	_i=0
	while [ -n "$_m" ] && kill -0 "$_m" 2> /dev/null && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	if [ -n "$_m" ] && kill -0 "$_m" 2> /dev/null; then
		kill -KILL "$_m"; return 1
	fi
	return 0
}
trap 'pf_stop; stop_srv; send_stop; cp "$PF/maillog" "$TESTTMP/interop.maillog" 2> /dev/null; rm -rf "$PF" "$MD" "$A/.qmail-default"' EXIT
trap 'exit 1' INT TERM HUP

# ---- the suite: example.test delivered to the alias user's Maildir
reset_home
echo test.example > "$QHOME/control/me"
echo example.test > "$QHOME/control/locals"
echo example.test > "$QHOME/control/rcpthosts"
A=$QHOME/alias
MD=$A/Maildir
rm -rf "$MD"	# an earlier test may have left mail there
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
echo ./Maildir/ > "$A/.qmail-default"
chown -R alias:qmail "$MD" "$A/.qmail-default"
send_start
start_srv $SPORT -- "$QHOME/bin/qmail-smtpd" || exit 1

# ---- Postfix: loopback only, no DNS, every domain to the relayhost
rm -rf "$PF"
mkdir -p "$PF/etc"
mkdir -m 755 "$PF/spool"
mkdir -m 700 "$PF/data"
chown postfix "$PF/data"
# main.cf and master.cf through postconf: Postfix's shipped services
# without chroot, its smtpd only on 127.0.0.1:$PPORT
: > "$PF/etc/main.cf"
cp /usr/share/postfix/master.cf.dist "$PF/etc/master.cf"
pc() { /usr/sbin/postconf -c "$PF/etc" "$@" > "$TESTTMP/interop.postconf" 2>&1 ||
	{ notok "interop: postconf $*"; cat "$TESTTMP/interop.postconf"; exit 1; }; }
pc -e compatibility_level=3.6 "queue_directory=$PF/spool" \
    "data_directory=$PF/data" "maillog_file=$PF/maillog" \
    "maillog_file_prefixes=$PF" myhostname=pf.interop.example \
    mydestination= inet_interfaces=127.0.0.1 inet_protocols=ipv4 \
    mynetworks=127.0.0.0/8 smtpd_peername_lookup=no alias_maps= \
    alias_database= local_recipient_maps= \
    "relayhost=[127.0.0.1]:$SPORT" smtp_dns_support_level=disabled \
    smtp_tls_security_level=none \
    "import_environment=MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C"
pc -F '*/*/chroot = n'
pc -MX smtp/inet
pc -M "127.0.0.1:$PPORT/inet = 127.0.0.1:$PPORT inet n - n - - smtpd"
if pf start; then ok "interop: Postfix starts with its own configuration"
else notok "interop: Postfix starts with its own configuration"; cat "$PF/maillog" 2> /dev/null; exit 1; fi
i=0	# ready when its smtpd answers
until python3 -c "import socket
socket.create_connection(('127.0.0.1', $PPORT), 1).close()" 2> /dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || { notok "interop: Postfix listens on $PPORT"; exit 1; }
	sleep 0.1
done

# ---- three messages into Postfix; their bodies are kept to compare
rm -rf "$MSGS"; mkdir -p "$MSGS"
python3 - "$PPORT" "$MSGS" > "$TESTTMP/interop.send" 2>&1 <<'PY'
import smtplib, sys
port, d = int(sys.argv[1]), sys.argv[2]
long_line = b'L' * 997 + b'E'             # 998 bytes, the RFC 5322 limit
bodies = {
    'eightbit': 'Grüße aus Köln, ¡olé! 日本語\n'.encode() +
                b'raw latin-1: caf\xe9 na\xefve\n' + b'\x80\xff\xfe high bytes\n',
    'longlines': (long_line + b'\n') * 3 + b'short\n' + b'x' * 998 + b'\n',
    'dots': b'.\n..\n...\n.leading dot\n. space\nmiddle . dot\n..\n.',
}
for name, body in bodies.items():
    head = ('From: sender@remote.example\nTo: %s@example.test\n'
            'Subject: interop %s\nMIME-Version: 1.0\n'
            'Content-Type: text/plain; charset=utf-8\n'
            'Content-Transfer-Encoding: 8bit\n\n' % (name, name)).encode()
    open('%s/%s' % (d, name), 'wb').write(body)
    s = smtplib.SMTP('127.0.0.1', port)
    s.ehlo('client.example')
    r = s.sendmail('sender@remote.example', ['%s@example.test' % name],
                   (head + body).replace(b'\n', b'\r\n'),
                   mail_options=['BODY=8BITMIME'])
    s.quit()
    print(name, 'accepted', r)
PY
if [ $? = 0 ]; then ok "interop: Postfix accepts the three messages"
else notok "interop: Postfix accepts the three messages"; sed 's/^/    /' "$TESTTMP/interop.send"; fi

i=0
while [ "$(ls "$MD/new" | wc -l)" -lt 3 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
same "interop: three messages in the suite's Maildir" "$(ls "$MD/new" | wc -l)" 3

# each arrives once, its body intact; Postfix's and qmail-smtpd's
# Received lines show the path it took
python3 - "$MD/new" "$MSGS" > "$TESTTMP/interop.cmp" 2>&1 <<'PY'
import os, re, sys
d, sent = sys.argv[1], sys.argv[2]
seen = {}
for f in os.listdir(d):
    raw = open(os.path.join(d, f), 'rb').read()
    head, _, body = raw.partition(b'\n\n')
    m = re.search(rb'^Subject: interop (\w+)$', head, re.M)
    name = m.group(1).decode() if m else '?'
    seen.setdefault(name, 0)
    seen[name] += 1
    want = open(os.path.join(sent, name), 'rb').read() if m else None
    if want is not None and not want.endswith(b'\n'):
        want += b'\n'   # an unterminated last line is ended on the way
    if body != want:
        print(name, 'body differs:', repr(body[:200]), 'want', repr((want or b'')[:200]))
    if not re.search(rb'^Received: from unknown \(HELO pf\.interop\.example\) '
                     rb'\(127\.0\.0\.1\)\n  by mx\.test\.example with ESMTP; ', head, re.M):
        print(name, 'no Received line from qmail-smtpd')
    if not re.search(rb'^Received: from client\.example \(.*\n\tby pf\.interop\.example', head, re.M):
        print(name, 'no Received line from Postfix')
    if not re.search(rb'^Delivered-To: %s@example\.test$' % name.encode(), head, re.M):
        print(name, 'no Delivered-To line')
if sorted(seen.items()) != [('dots', 1), ('eightbit', 1), ('longlines', 1)]:
    print('messages:', seen)
PY
if [ ! -s "$TESTTMP/interop.cmp" ]; then
	ok "interop: 8-bit bytes, 998-byte lines and dot lines arrive intact, each once"
else
	notok "interop: 8-bit bytes, 998-byte lines and dot lines arrive intact, each once"
	sed 's/^/    /' "$TESTTMP/interop.cmp"
fi

i=0
while [ "$(grep -c 'status=sent' "$PF/maillog" 2> /dev/null)" -lt 3 ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
n=$(grep -cE "relay=127.0.0.1\[127.0.0.1\]:$SPORT, .* status=sent \(250 (2\.6\.0 )?ok [0-9]+ qp [0-9]+\)" "$PF/maillog")
same "interop: Postfix logs status=sent with qmail-smtpd's 250 for each" "$n" 3
n=$(grep -cE 'status=(deferred|bounced)' "$PF/maillog")
same "interop: Postfix logs no deferral or bounce" "$n" 0
wait_empty 10
queue_empty && ok "interop: the suite's queue is empty" || notok "interop: the suite's queue is empty"

if pf_stop; then ok "interop: Postfix stops cleanly"
else notok "interop: Postfix stops cleanly (master killed)"; fi
# every Postfix daemon works in its queue directory
left=$(for p in /proc/[0-9]*; do readlink "$p/cwd"; done 2> /dev/null | grep -c "^$PF/spool")
same "interop: no Postfix process is left" "$left" 0
