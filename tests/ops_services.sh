# The daemontools service directories as make setup installs them and
# tools/services.sh copies them out, run under svscan: qmail-send comes up,
# qmail-smtpd, qmail-qmtpd and qmail-qmqpd answer and deliver into a
# Maildir, qmail-smtps (implicit TLS through qmail-tlsd) too, qmail-submission
# answers, multilog writes log/main/current, svc -d stops them and nothing
# is left running.  The copies are rewritten to listen on 127.0.0.1 ports
# 21300-21302 and 24656-24657 (never 25, 209, 628, 465 or 587) with
# tcprules cdbs in a scratch place.
. "$QTOP/tests/lib.sh"
. "$QTOP/tests/lib-tls.sh"
for t in svscan supervise svstat svc svok multilog tcpserver tcprules swaks python3; do
	command -v $t > /dev/null || { skip "services: $t is not installed"; exit 0; }
done
PS=21300 PQ=21301 PP=21302 PT=24656 PU=24657
SERVICES="qmail-send qmail-smtpd qmail-qmtpd qmail-qmqpd qmail-smtps qmail-submission"
NS=6
D=$TESTTMP/services R=$TESTTMP/rules M=$TESTTMP/svcmail
SVSCAN=
if [ "$QIDS" = system ]; then ulog=qmaill ualias=alias; else ulog=$(id -un) ualias=$ulog; fi

cleanup() {
	[ -n "$SVSCAN" ] && kill "$SVSCAN" 2>/dev/null
	for s in "$D"/*/ "$D"/*/log/; do
		[ -d "$s/supervise" ] && svok "$s" 2>/dev/null && svc -dx "$s"
	done
	i=0
	while leftovers > /dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	leftovers | while read -r p _; do kill -9 "$p" 2>/dev/null; done
	[ -n "$SVSCAN" ] && wait "$SVSCAN" 2>/dev/null
	SVSCAN=
}
# every process of this test: svscan/supervise/multilog by directory, the
# daemons by the home's programs and the test's ports
pids=
leftovers() {
	{
		ps -eo pid=,args= | grep -E -e "$D|$QHOME/bin/|[ ]($PS|$PQ|$PP|$PT|$PU) " |
		    grep -v -e grep -e ops_services
		for _p in $pids; do ps -o pid=,args= -p "$_p"; done
	} > "$TESTTMP/leftovers"
	cat "$TESTTMP/leftovers"
	[ -s "$TESTTMP/leftovers" ]
}
trap cleanup EXIT

reset_home
c=$QHOME/control
printf 'test.example\n' > "$c/locals"
printf 'test.example\n' > "$c/rcpthosts"
printf './Maildir/\n' > "$c/defaultdelivery"
rm -rf "$M"; mkdir -p "$M/new" "$M/cur" "$M/tmp"
[ "$QIDS" = system ] && chown -R "$ualias" "$M"
echo "$M/" > "$QHOME/alias/.qmail-svctest"
chmod 644 "$QHOME/alias/.qmail-svctest"

# the key for qmail-smtps, as INSTALL.md says: owned by qmailt, mode 0400
tls=0
if command -v openssl > /dev/null && tls_ca "$TESTTMP/svcca" &&
    tls_cert "$TESTTMP/svcca" mx.test.example mx.test.example 127.0.0.1; then
	cp "$TESTTMP/svcca/mx.test.example.pem" "$c/servercert.pem" && chmod 400 "$c/servercert.pem"
	[ "$QIDS" = system ] && chown qmailt "$c/servercert.pem"
	tls=1
fi

# the templates as make setup filled them in
n=0
for s in $SERVICES; do
	[ -x "$QHOME/service/$s/run" ] && [ -x "$QHOME/service/$s/log/run" ] && n=$((n + 1))
done
[ $n = $NS ] && ok "services: make setup installs the $NS service templates" ||
	notok "services: make setup installs the $NS service templates ($n of $NS)"
if grep -l -e QMAILHOME -e QMAILLUSER -e QMAILDUSER -e QMAILDUID -e NOFILESGID \
    "$QHOME"/service/*/run "$QHOME"/service/*/log/run > "$TESTTMP/unfilled"; then
	notok "services: no placeholder is left in the installed run files"
	sed 's/^/    /' "$TESTTMP/unfilled"
else
	ok "services: no placeholder is left in the installed run files"
fi

rm -rf "$D"
check "services: tools/services.sh DIR copies them out" sh -c "cd '$QSRC' && sh tools/services.sh '$D'"
n=0
for s in $SERVICES; do
	[ -x "$D/$s/run" ] && [ -x "$D/$s/log/run" ] && [ -d "$D/$s/log/main" ] &&
		[ "$(stat -c %U "$D/$s/log/main")" = "$ulog" ] && n=$((n + 1))
done
[ $n = $NS ] && ok "services: each copy has run, log/run and log/main owned by $ulog" ||
	notok "services: each copy has run, log/run and log/main owned by $ulog ($n of $NS)"

# loopback ports and scratch rules in the copies, never the real ones
mkdir -p "$R"
printf '127.:allow\n:deny\n' > "$R/tcp.smtp"
printf '127.:allow,RELAYCLIENT=""\n:deny\n' > "$R/tcp.qmtp"
printf '127.:allow\n:deny\n' > "$R/tcp.qmqp"
for r in smtp qmtp qmqp; do
	tcprules "$R/tcp.$r.cdb" "$R/tcp.$r.tmp" < "$R/tcp.$r" || notok "tcprules tcp.$r"
done
port() { sed -i -e "s| 0 $2 | 127.0.0.1 $3 |" -e "s|/etc/tcp\.$4\.cdb|$R/tcp.$4.cdb|" "$D/$1/run"; }
port qmail-smtpd 25 $PS smtp
port qmail-qmtpd 209 $PQ qmtp
port qmail-qmqpd 628 $PP qmqp
port qmail-smtps 465 $PT smtp
port qmail-submission 587 $PU smtp
bad=0
for s in qmail-smtpd:$PS qmail-qmtpd:$PQ qmail-qmqpd:$PP qmail-smtps:$PT qmail-submission:$PU; do
	f=$D/${s%:*}/run
	grep -q " 127\.0\.0\.1 ${s#*:} " "$f" && grep -q -- "-x $R/" "$f" || bad=1
	grep -Eq ' (25|209|628|465|587) |/etc/tcp' "$f" && bad=1
done
if [ $bad = 1 ]; then
	notok "services: the copies are rewritten to loopback test ports"
	grep -H tcpserver "$D"/*/run | sed 's/^/    /'
	exit 1
fi
ok "services: the copies are rewritten to loopback test ports"

(cd "$D" && exec svscan "$D" > "$TESTTMP/svscan.out" 2>&1 < /dev/null) &
SVSCAN=$!

# up STATUS-DIR: wait up to 10 s for svstat to say up, and stay up 1 s
up() {
	i=0
	while [ $i -lt 100 ]; do
		case $(svstat "$1" 2>/dev/null) in *": up (pid "*) break ;; esac
		sleep 0.1; i=$((i + 1))
	done
	p1=$(svstat "$1" 2>/dev/null | sed -n 's/.*up (pid \([0-9]*\)).*/\1/p')
	sleep 1
	p2=$(svstat "$1" 2>/dev/null | sed -n 's/.*up (pid \([0-9]*\)).*/\1/p')
	[ -n "$p1" ] && [ "$p1" = "$p2" ]
}
waitport() {
	i=0
	while [ $i -lt 100 ]; do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1).close()" \
		    2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
for s in $SERVICES; do
	if up "$D/$s"; then ok "services: svstat says $s is up and it stays up"
	else
		notok "services: svstat says $s is up and it stays up"
		svstat "$D/$s" | sed 's/^/    /'
		tail -n 5 "$D/$s/log/main/current" 2>/dev/null | sed 's/^/    /'
	fi
	up "$D/$s/log" && ok "services: $s's multilog is up" ||
		notok "services: $s's multilog is up"
done
# the daemons' pids: each service's, and qmail-send's helpers
spid() { svstat "$1" 2>/dev/null | sed -n 's/.*up (pid \([0-9]*\)).*/\1/p'; }
sendpid=$(spid "$D/qmail-send")
for s in "$D"/*/; do pids="$pids $(spid "$s")"; done
[ -n "$sendpid" ] && pids="$pids $(ps -o pid= --ppid "$sendpid")"
[ -n "$sendpid" ] && ps -o args= --ppid "$sendpid" | grep -q '^\(.*/\)\{0,1\}qmail-lspawn ./Maildir/$' &&
	ok "services: qmail-start gets control/defaultdelivery" ||
	{ notok "services: qmail-start gets control/defaultdelivery"; ps -o args= --ppid "${sendpid:-1}" | sed 's/^/    /'; }

waitport $PS || notok "services: something listens on $PS"
swaks --server 127.0.0.1:$PS --from a@elsewhere.example --to svctest@test.example \
    --header "Subject: svc smtp $$" > "$TESTTMP/swaks.out" 2>&1
grep -q '^<-  220 ' "$TESTTMP/swaks.out" && ok "services: qmail-smtpd answers 220" ||
	{ notok "services: qmail-smtpd answers 220"; tail -n 10 "$TESTTMP/swaks.out" | sed 's/^/    /'; }
grep -Eq '^<-  250 ([245]\.[0-9]+\.[0-9]+ )?ok .* qp ' "$TESTTMP/swaks.out" && ok "services: qmail-smtpd accepts the message" ||
	{ notok "services: qmail-smtpd accepts the message"; tail -n 10 "$TESTTMP/swaks.out" | sed 's/^/    /'; }
swaks --server 127.0.0.1:$PS --from a@elsewhere.example --to x@elsewhere.example \
    --quit-after RCPT > "$TESTTMP/swaks2.out" 2>&1
grep -q '^<\*\* 553 ' "$TESTTMP/swaks2.out" && ok "services: qmail-smtpd refuses to relay without RELAYCLIENT" ||
	{ notok "services: qmail-smtpd refuses to relay without RELAYCLIENT"; tail -n 4 "$TESTTMP/swaks2.out" | sed 's/^/    /'; }

# qmail-smtps: implicit TLS through qmail-tlsd, into the same Maildir;
# qmail-submission greets (STARTTLS and AUTH are qmail-smtpd's business)
waitport $PT || notok "services: something listens on $PT"
nsmtp=2
if [ $tls = 1 ]; then
	swaks --server 127.0.0.1:$PT --tlsc --from a@elsewhere.example --to svctest@test.example \
	    --header "Subject: svc smtps $$" > "$TESTTMP/swaks3.out" 2>&1
	grep -q '^<~  220 ' "$TESTTMP/swaks3.out" && ok "services: qmail-smtps answers 220 over TLS" ||
		{ notok "services: qmail-smtps answers 220 over TLS"; tail -n 10 "$TESTTMP/swaks3.out" | sed 's/^/    /'; }
	nsmtp=3
else
	skip "services: qmail-smtps over TLS: openssl is not installed"
fi
waitport $PU || notok "services: something listens on $PU"
printf 'QUIT\r\n' | python3 -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', $PU), 5); s.settimeout(10)
s.sendall(sys.stdin.buffer.read()); b = b''
while True:
    x = s.recv(4096)
    if not x: break
    b += x
print(b.decode('latin-1'))" > "$TESTTMP/sub.out" 2>&1
grep -q '^220 ' "$TESTTMP/sub.out" && ok "services: qmail-submission answers 220" ||
	{ notok "services: qmail-submission answers 220"; sed 's/^/    /' "$TESTTMP/sub.out"; }

cat > "$TESTTMP/ns.py" <<'EOF'
import socket, sys
def ns(b): return b'%d:%s,' % (len(b), b)
port, proto, subj = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
msg = b'Subject: ' + subj + b'\n\nhello\n'
if proto == 'qmtp':
    data = ns(b'\n' + msg) + ns(b'a@elsewhere.example') + ns(ns(b'svctest@test.example'))
else:
    data = ns(ns(msg) + ns(b'a@elsewhere.example') + ns(b'svctest@test.example'))
s = socket.create_connection(('127.0.0.1', port), 5); s.settimeout(10)
s.sendall(data)
buf = b''
while True:
    b = s.recv(4096)
    if not b: break
    buf += b
    if proto == 'qmtp' and buf.endswith(b','): break
print(buf.decode('latin-1'))
EOF
waitport $PQ || notok "services: something listens on $PQ"
r=$(python3 "$TESTTMP/ns.py" $PQ qmtp "svc qmtp $$" 2>&1)
case $r in *:Kok*) ok "services: qmail-qmtpd answers K" ;;
*) notok "services: qmail-qmtpd answers K"; echo "    $r" ;; esac
waitport $PP || notok "services: something listens on $PP"
r=$(python3 "$TESTTMP/ns.py" $PP qmqp "svc qmqp $$" 2>&1)
case $r in *:Kok*) ok "services: qmail-qmqpd answers K" ;;
*) notok "services: qmail-qmqpd answers K"; echo "    $r" ;; esac

subjects() {
	python3 - "$M" <<'PY'
import mailbox, sys
for m in mailbox.Maildir(sys.argv[1], create=False):
    print(m.get("Subject", ""))
PY
}
i=0
while [ $i -lt 100 ]; do
	[ "$(subjects 2>/dev/null | grep -c "^svc .* $$\$")" = $nsmtp ] && break
	sleep 0.1; i=$((i + 1))
done
subjects > "$TESTTMP/subjects" 2>&1
ps="smtp qmtp qmqp"
[ $tls = 1 ] && ps="$ps smtps"
for p in $ps; do
	grep -q "^svc $p $$\$" "$TESTTMP/subjects" &&
		ok "services: the $p message is delivered into the Maildir" ||
		{ notok "services: the $p message is delivered into the Maildir"; tail -n 5 "$D/qmail-send/log/main/current" | sed 's/^/    /'; }
done

# the logs: multilog's timestamps, qmail-send's status and delivery lines,
# tcpserver's lines
sleep 1
L=$D/qmail-send/log/main/current
grep -Eq '^@[0-9a-f]{24} status: local 0/[0-9]+ remote 0/[0-9]+' "$L" &&
	ok "services: qmail-send's status line is in log/main/current, timestamped" ||
	{ notok "services: qmail-send's status line is in log/main/current, timestamped"; tail -n 5 "$L" 2>&1 | sed 's/^/    /'; }
grep -q ' delivery [0-9]*: success: ' "$L" && ok "services: qmail-send logs the deliveries" ||
	notok "services: qmail-send logs the deliveries"
for s in qmail-smtpd:$PS qmail-qmtpd:$PQ qmail-qmqpd:$PP qmail-smtps:$PT qmail-submission:$PU; do
	f=$D/${s%:*}/log/main/current
	grep -q "tcpserver: status: " "$f" && grep -q "tcpserver: ok [0-9]* " "$f" &&
		grep -q "tcpserver: end [0-9]* status 0" "$f" &&
		ok "services: tcpserver's lines are in ${s%:*}/log/main/current" ||
		{ notok "services: tcpserver's lines are in ${s%:*}/log/main/current"; tail -n 5 "$f" 2>&1 | sed 's/^/    /'; }
done
[ "$QIDS" = system ] && {
	[ "$(stat -c %U "$L")" = qmaill ] && ok "services: the log is written as qmaill" ||
		notok "services: the log is written as qmaill (owner $(stat -c %U "$L"))"
}

# sendmail -q: no queue run of its own, a pointer to svc -a, exit 0; and
# svc -a (SIGALRM) leaves qmail-send running
sendmail -q > "$TESTTMP/q.out" 2>&1 && grep -q 'SIGALRM' "$TESTTMP/q.out" &&
	ok "services: sendmail -q exits 0 and points to SIGALRM" ||
	{ notok "services: sendmail -q exits 0 and points to SIGALRM"; sed 's/^/    /' "$TESTTMP/q.out"; }
svc -a "$D/qmail-send"
sleep 0.5
[ "$(spid "$D/qmail-send")" = "$sendpid" ] && ok "services: svc -a leaves qmail-send running" ||
	notok "services: svc -a leaves qmail-send running"

# svc -d stops the daemons; svc -x and svscan's end leave nothing
for s in "$D"/*/; do svc -d "$s"; done
i=0
while [ $i -lt 100 ]; do
	n=0
	for s in "$D"/*/; do case $(svstat "$s") in *": down "*) n=$((n + 1)) ;; esac; done
	[ $n = $NS ] && break
	sleep 0.1; i=$((i + 1))
done
[ $n = $NS ] && ok "services: svc -d stops all $NS" ||
	{ notok "services: svc -d stops all $NS"; svstat "$D"/*/ | sed 's/^/    /'; }
sleep 0.5
grep -q 'status: exiting' "$L" && ok "services: qmail-send logs its exit" ||
	notok "services: qmail-send logs its exit"
i=0
while [ $i -lt 50 ]; do
	left=
	for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
	[ -z "$left" ] && break
	sleep 0.1; i=$((i + 1))
done
[ -z "$left" ] && [ "$(echo $pids | wc -w)" -ge 7 ] && ok "services: no daemon is left after svc -d" ||
	{ notok "services: no daemon is left after svc -d (of$pids:$left)"; ps -o pid=,args= -p "$(echo $left | tr ' ' ,)" | sed 's/^/    /'; }
cleanup
if leftovers > "$TESTTMP/left"; then
	notok "services: nothing is left running after svc -dx and svscan's end"
	sed 's/^/    /' "$TESTTMP/left"
else
	ok "services: nothing is left running after svc -dx and svscan's end"
fi
rm -f "$QHOME/alias/.qmail-svctest" "$c/defaultdelivery" "$c/servercert.pem"
