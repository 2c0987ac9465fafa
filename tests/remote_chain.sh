#!/bin/sh
# Remote delivery through the whole chain on a small internet of network
# namespaces: bin/sendmail, qmail-inject and qmail-local's forwards ->
# qmail-queue -> qmail-send -> qmail-rspawn -> qmail-remote -> the MX.
# The sender namespace runs the suite's daemons (qmail-start with real
# ids; its resolver is the test internet's dnsmasq).  The far side: a
# private Postfix, the suite's own qmail-smtpd under tcpserver in front
# of a second installed home (built here from $QSRC with another
# conf-qmail, with its own qmail-send delivering to a Maildir), and the
# Python receiver (tests/lib-netns-smtp.py) for what a real server does
# not do on demand: refusing or deferring chosen recipients, silence.
# Covered: delivery and the log lines, a 5xx recipient bounced while the
# others arrive, 4xx deferral then ALRM, a silent host and tcpto, null
# MX, MX fallback, a forward of a message with bare CR and LF, batching,
# the last attempt past queuelifetime.
NN_PREFIX=qmc
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-netns.sh"
. "$QSRC/tests/lib-send.sh"
nn_init remote_chain
T=$TESTTMP/rchain.$$
mkdir -p "$T"
chmod 755 "$T"
SLOG=$T/send.log	# qmail-send's log (wait_log reads $SLOG)
SLOG2=$T/send2.log	# the second home's
H2=$T/home2
U=$(test_user)
uid=$(id -u "$U") gid=$(id -g "$U")

cat > "$T/dns.conf" <<'Z'
local=/test/
mx-host=remote.test,mxp.test,10
host-record=mxp.test,10.231.0.16
mx-host=rej.test,mxa.test,10
mx-host=batch.test,mxa.test,10
host-record=mxa.test,10.231.0.11
mx-host=defer.test,mxb.test,10
host-record=mxb.test,10.231.0.12
mx-host=silent.test,mxe.test,10
host-record=mxe.test,10.231.0.15
mx-host=null.test,.,0
mx-host=fb.test,mxd.test,10
mx-host=fb.test,mxq.test,20
host-record=mxd.test,10.231.0.14
host-record=mxq.test,10.231.0.17
Z
nn_host s 1	# the sender: the suite's daemons
nn_host a 11	# Python receiver: refuses bad@, logs batches
nn_host b 12	# Python receiver: defers later@, then accepts
nn_host d 14	# the best MX of fb.test: up, nothing listens
nn_host e 15	# accepts TCP and never answers
nn_host p 16	# Postfix for remote.test
nn_host q 17	# the suite's qmail-smtpd in front of the second home
nn_dns "$T/dns.conf"

# the second home: the same build, relinked for another conf-qmail
# (only lib/auto.c depends on it)
cp -a "$QSRC" "$T/src2"
echo "$H2" > "$T/src2/conf-qmail"
if (cd "$T/src2" && make -j2 && sh tools/install.sh setup) > "$T/build2" 2>&1
then
	ok "a second home built and installed"
else
	notok "a second home built and installed"; tail -20 "$T/build2"; exit 1
fi

# the sender's home: s.test is local; qtuser's mail goes to $T/h1,
# qtuser-fwd forwards to fwd@remote.test
reset_home
echo s.test > "$QHOME/control/me"
echo s.test > "$QHOME/control/locals"
echo 2 > "$QHOME/control/timeoutremote"
echo 3 > "$QHOME/control/timeoutconnect"
mkmaildir() {	# DIR owned by $U
	rm -rf "$1"; mkdir -p "$1/Maildir/new" "$1/Maildir/cur" "$1/Maildir/tmp"
}
mkmaildir "$T/h1"
echo '&fwd@remote.test' > "$T/h1/.qmail-fwd"
chmod 644 "$T/h1/.qmail-fwd"
printf '=%s:%s:%s:%s:%s:::\n+%s-:%s:%s:%s:%s:-::\n.\n' \
    "$U" "$U" "$uid" "$gid" "$T/h1" "$U" "$U" "$uid" "$gid" "$T/h1" \
    > "$QHOME/users/assign"
(cd "$QHOME" && bin/qmail-newu) || notok "qmail-newu (sender)"
# the receiving home: fb.test is local, u@fb.test is $T/h2
echo mxq.test > "$H2/control/me"
echo fb.test > "$H2/control/locals"
echo fb.test > "$H2/control/rcpthosts"
mkmaildir "$T/h2"
printf '=u:%s:%s:%s:%s:::\n.\n' "$U" "$uid" "$gid" "$T/h2" > "$H2/users/assign"
(cd "$H2" && bin/qmail-newu) || notok "qmail-newu (receiver)"
chown -R "$U" "$T/h1" "$T/h2"

# the far side
nn_smtp a 25 "$T/a" --reject-rcpt bad
nn_smtp b 25 "$T/b" --defer-rcpt later
bpid=${nn_pids##* }
nn_smtp e 25 "$T/e" --silent
nn_postfix p 10.231.0.16 "$T/pf" remote.test
qd=$(sed -n 2p "$QSRC/conf-users") nf=$(sed -n 2p "$QSRC/conf-groups")
nn_bg q tcpserver -RHl mxq.test -u "$(id -u "$qd")" \
    -g "$(getent group "$nf" | cut -d: -f3)" 10.231.0.17 25 \
    "$H2/bin/qmail-smtpd" 2> "$T/tcpserver.log"
nn_bg q sh -c "cd / && exec '$H2/bin/qmail-start' ./Maildir/" \
    >> "$SLOG2" 2>&1
# the sender's daemons; the first pid is qmail-send's (qmail-start
# becomes it)
: > "$SLOG"
nn_bg s sh -c "cd / && exec '$QHOME/bin/qmail-start' ./Maildir/" \
    >> "$SLOG" 2>&1
SENDPID=${nn_pids##* }
wait_log 'status: local' 10 || notok "qmail-send starts"
_i=0
until grep -q 'status: local' "$SLOG2" || [ $_i -ge 100 ]; do
	sleep 0.1; _i=$((_i + 1))
done
_i=0
until nn q python3 -c "import socket
socket.create_connection(('10.231.0.17', 25), 1).close()" 2>/dev/null; do
	_i=$((_i + 1)); [ $_i -lt 50 ] || break; sleep 0.1
done

# helpers
msgid() {	# ADDR: the number of the latest message qmail-send started to
	# ADDR (waiting up to 15 s for the first)
	wait_log "^starting delivery [0-9]+: msg [0-9]+ to remote $1\$" 15
	sed -n "s/^starting delivery [0-9]*: msg \([0-9]*\) to remote $1\$/\1/p" \
	    "$SLOG" | tail -1
}
dno() {	# MSG ADDR: the delivery number of MSG to ADDR
	sed -n "s/^starting delivery \([0-9]*\): msg $1 to remote $2\$/\1/p" \
	    "$SLOG" | tail -1
}
outcome() {	# DNO: "kind: text" of that delivery
	sed -n "s/^delivery $1: //p" "$SLOG" | tail -1
}
# A message is named by its inode number, and a number comes back as soon
# as its message is gone: "end msg M" may be an older message's.  Done
# means the last "new msg M" has its "end msg M" after it.
msg_ended() {	# MSG
	[ "$(grep -E "^(new|end) msg $1\$" "$SLOG" | tail -1)" = "end msg $1" ]
}
wait_msg_end() {	# MSG SECONDS
	_i=0
	while ! msg_ended "$1"; do
		[ $_i -lt $(($2 * 10)) ] || return 1
		sleep 0.1; _i=$((_i + 1))
	done
}
pfls() { ls "$T/pf/mail/box/new" 2>/dev/null | sort; }
pfwait() {	# N: wait up to 10 s for N messages in Postfix's Maildir
	_i=0
	while [ "$(pfls | wc -l)" -lt "$1" ] && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ "$(pfls | wc -l)" -eq "$1" ]
}
pfnew() { pfls | comm -13 "$T/pf.0" -; }	# arrived since pfls > pf.0
# pfsame STORED WANT [ERE...]: WANT is what follows the headers Postfix
# added and then one header line matching each ERE, in order (what the
# chain added: qmail-queue's Received, qmail-local's Delivered-To)
pfsame() {
	python3 - "$@" <<'P'
import re, sys
got, want = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
extra = [re.compile(x.encode()) for x in sys.argv[3:]]
if not got.endswith(want):
    sys.exit('    the message differs after the headers added')
head = got[:len(got) - len(want)].split(b'\n')[:-1]
pf = re.compile(rb'Return-Path: <|(X-Original-To|Delivered-To): [^@]*@remote\.test$'
                rb'|Received: from |[ \t]')
i = 0
while i < len(head) and pf.match(head[i]):
    i += 1
rest = head[i:]
if len(rest) != len(extra) or not all(e.fullmatch(l) for e, l in zip(extra, rest)):
    sys.exit('    below the headers Postfix added: %r' % rest)
P
}
bounce_for() {	# ADDR: the bounce in $T/h1 that names ADDR
	grep -l "^<$1>:\$" "$T"/h1/Maildir/new/* 2>/dev/null | head -1
}
wait_bounce() {	# ADDR SECONDS
	_i=0
	while [ -z "$(bounce_for "$1")" ] && [ $_i -lt $(($2 * 10)) ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ -n "$(bounce_for "$1")" ]
}

# 1. bin/sendmail -> qmail-send -> qmail-rspawn -> qmail-remote -> Postfix
pfls > "$T/pf.0"
cat > "$T/m1" <<Z
From: $U@s.test
To: u@remote.test
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <chain.1@s.test>
Subject: through the chain

hello over the namespace internet
.leading dot
Z
as_user "$U" env QMAILHOST=s.test sendmail -f "$U@s.test" u@remote.test \
    < "$T/m1" || notok "sendmail exits 0"
wait_log '^delivery [0-9]+: (success|failure|deferral): ' 15
m=$(msgid u@remote.test) d=$(dno "$m" u@remote.test)
if [ -n "$d" ]; then ok "log: starting delivery N: msg M to remote u@remote.test"
else notok "log: starting delivery N: msg M to remote u@remote.test"; cat "$SLOG"; fi
if outcome "$d" | grep -Eq '^success: 10\.231\.0\.16_accepted_message\./Remote_host_said:_250_2\.0\.0_Ok:_queued_as_[0-9A-Za-z]+/$'
then ok "log: delivery N: success: (Postfix's 250)"
else notok "log: delivery N: success"; grep "^delivery $d:" "$SLOG"; fi
if wait_msg_end "$m" 10; then ok "the message is finished (end msg M)"
else notok "the message is finished"; fi
qqrcvd="Received: \\(qmail [0-9]+ invoked by uid $uid\\); [0-9]+ [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} -0000"
if pfwait 1 && f=$(pfnew) && pfsame "$T/pf/mail/box/new/$f" "$T/m1" "$qqrcvd"
then
	ok "Postfix: byte-identical below its headers and qmail-queue's Received"
else
	notok "Postfix: byte-identical below its headers and qmail-queue's Received"
	[ -n "$f" ] && diff "$T/pf/mail/box/new/$f" "$T/m1" | head
fi

# helpers for the Python receivers' logs
conns() {	# DIR ADDR: "MAILs RCPTs DATAs" in each connection that named ADDR
	python3 - "$1/log" "$2" <<'P'
import sys
c = {}
for l in open(sys.argv[1], 'rb'):
    n, _, cmd = l.rstrip(b'\n').partition(b' ')
    c.setdefault(n, []).append(cmd)
for n in sorted(c, key=int):
    if any(sys.argv[2].encode() in x for x in c[n]):
        v = [x[:4].upper() for x in c[n]]
        print(v.count(b'MAIL'), v.count(b'RCPT'), v.count(b'DATA'))
P
}
rcvd_by() {	# DIR ADDR: the env.N of the receiver that lists ADDR
	grep -l "^RCPT TO:<$2>" "$1"/env.* 2>/dev/null | head -1
}

# 2. a 5xx for one recipient, the others delivered, a QSBMF bounce back
printf 'Subject: three at rej.test\n\nhi\n' |
    as_user "$U" qmail-inject -f "$U@s.test" good1@rej.test bad@rej.test \
    good2@rej.test || notok "qmail-inject exits 0"
m=$(msgid bad@rej.test)
wait_msg_end "$m" 15
db=$(dno "$m" bad@rej.test)
if outcome "$db" | grep -q '^failure: 10\.231\.0\.11_does_not_like_recipient\./Remote_host_said:_550_no_such_user_here/'
then ok "log: the 550 recipient fails"
else notok "log: the 550 recipient fails"; cat "$SLOG"; fi
n=0
for r in good1 good2; do
	outcome "$(dno "$m" $r@rej.test)" | grep -q '^success: 10\.231\.0\.11_accepted' &&
	    n=$((n + 1))
done
e=$(rcvd_by "$T/a" good1@rej.test)
if [ $n = 2 ] && [ -n "$e" ] && grep -q '^RCPT TO:<good2@rej.test>' "$e" &&
    ! grep -q bad "$e" && [ -s "${e%/env.*}/msg.${e##*/env.}" ]; then
	ok "the other two recipients are delivered"
else notok "the other two recipients are delivered ($n)"; cat "$T/a/log"; fi
if wait_bounce bad@rej.test 15; then
	b=$(bounce_for bad@rej.test)
	if grep -q '^Hi\. This is the qmail-send program at s\.test\.$' "$b" &&
	    grep -q '^10\.231\.0\.11 does not like recipient\.$' "$b" &&
	    grep -q '^Remote host said: 550 no such user here$' "$b" &&
	    grep -q '^--- Below this line is a copy of the message\.$' "$b" &&
	    ! grep -q '^<good' "$b"; then
		ok "a QSBMF bounce naming the refused recipient and the remote text"
	else
		notok "a QSBMF bounce naming the refused recipient and the remote text"
		cat "$b"
	fi
else
	notok "a bounce for bad@rej.test in the sender's Maildir"; cat "$SLOG"
fi

# 6. batching: one message, three recipients at one domain, one SMTP
# transaction, each recipient done
printf 'Subject: batch\n\nthree of them\n' |
    as_user "$U" qmail-inject -f "$U@s.test" x1@batch.test x2@batch.test \
    x3@batch.test || notok "qmail-inject exits 0"
m=$(msgid x3@batch.test)
wait_msg_end "$m" 15
c=$(conns "$T/a" x1@batch.test)
if [ "$c" = "1 3 1" ]; then ok "batch: one connection, one MAIL, three RCPTs, one DATA"
else notok "batch: one connection, one MAIL, three RCPTs, one DATA ($c)"; cat "$T/a/log"; fi
n=0
for r in x1 x2 x3; do
	outcome "$(dno "$m" $r@batch.test)" | grep -q '^success: ' && n=$((n + 1))
done
if [ $n = 3 ] && msg_ended "$m"; then
	ok "batch: each recipient delivered and marked done (end msg)"
else notok "batch: each recipient delivered and marked done ($n)"; fi
pfls > "$T/pf.0"
printf 'Subject: batch to Postfix\n\nthree of them\n' |
    as_user "$U" sendmail -f "$U@s.test" v1@remote.test v2@remote.test \
    v3@remote.test || notok "sendmail exits 0"
m=$(msgid v3@remote.test)
wait_msg_end "$m" 15
q=$(for r in v1 v2 v3; do outcome "$(dno "$m" $r@remote.test)"; done |
    sed -n 's/^success: .*_queued_as_\([0-9A-Za-z]*\)\/$/\1/p' | sort -u)
if [ "$(echo "$q" | grep -c .)" = 1 ] && pfwait $(($(wc -l < "$T/pf.0") + 3)) &&
    grep -q "$q: from=<$U@s.test>, size=[0-9]*, nrcpt=3 " "$T/pf/maillog"; then
	ok "batch: Postfix got one transaction with nrcpt=3 ($q)"
else notok "batch: Postfix got one transaction with nrcpt=3 ($q)"; grep nrcpt "$T/pf/maillog"; fi

# 4. null MX: a bounce with the reason; MX fallback when the best is down
printf 'Subject: to a null MX\n\nno\n' |
    as_user "$U" sendmail -f "$U@s.test" u@null.test || notok "sendmail exits 0"
if wait_bounce u@null.test 15 &&
    grep -q 'null MX' "$(bounce_for u@null.test)"; then
	ok "null MX: a bounce with the reason back to the sender"
else notok "null MX: a bounce with the reason back to the sender"; cat "$SLOG"; fi
printf 'Subject: fallback\n\nto the second MX\n' |
    as_user "$U" sendmail -f "$U@s.test" u@fb.test || notok "sendmail exits 0"
m=$(msgid u@fb.test)
wait_msg_end "$m" 15
if outcome "$(dno "$m" u@fb.test)" | grep -q '^success: 10\.231\.0\.17_accepted_message\./Remote_host_said:_250_'
then ok "MX fallback: the best MX is down, the next one accepts"
else notok "MX fallback: the best MX is down, the next one accepts"; cat "$SLOG"; fi
_i=0
while [ -z "$(ls "$T/h2/Maildir/new")" ] && [ $_i -lt 100 ]; do
	sleep 0.1; _i=$((_i + 1))
done
f=$(ls "$T/h2/Maildir/new" | head -1)
if [ -n "$f" ] && grep -q '^Subject: fallback$' "$T/h2/Maildir/new/$f" &&
    grep -q '^Received: from .*10\.231\.0\.1' "$T/h2/Maildir/new/$f" &&
    grep -q '^to the second MX$' "$T/h2/Maildir/new/$f"; then
	ok "MX fallback: the suite's qmail-smtpd and qmail-send deliver it"
else
	notok "MX fallback: the suite's qmail-smtpd and qmail-send deliver it"
	cat "$SLOG2"; [ -n "$f" ] && cat "$T/h2/Maildir/new/$f"
fi

# 5. bare CR and LF around dots, forwarded by qmail-local (&fwd@remote.test)
python3 - "$T" <<'P'
import sys
t = sys.argv[1]
m = (b'Subject: smuggle\r\n\r\nline1\n.\nMAIL FROM:<evil@x>\r\n'
     b'a\r.\rb\r\n.\r\nRCPT TO:<evil@x>\n\r\n.\r\nlast\r')
open(t + '/m5', 'wb').write(m)
lines, cur, i = [], b'', 0
while i < len(m):
    c = m[i:i+1]
    if c in (b'\r', b'\n'):
        lines.append(cur); cur = b''
        if m[i:i+2] == b'\r\n':
            i += 1
    else:
        cur += c
    i += 1
if cur:
    lines.append(cur)
open(t + '/m5.pf', 'wb').write(b''.join(l + b'\n' for l in lines))
P
pfls > "$T/pf.0"
printf 'F%s@s.test\0T%s-fwd@s.test\0\0' "$U" "$U" > "$T/env5"
as_user "$U" qmail-queue < "$T/m5" 1< "$T/env5" || notok "qmail-queue exits 0"
wait_log '^starting delivery [0-9]+: msg [0-9]+ to remote fwd@remote\.test$' 15
m=$(msgid fwd@remote.test)
wait_msg_end "$m" 15
n0=$(wc -l < "$T/pf.0")
pfwait $((n0 + 1))
sleep 0.5	# a second copy would arrive now
f=$(pfnew)
if [ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] &&
    pfsame "$T/pf/mail/box/new/$f" "$T/m5.pf" "$qqrcvd" \
    "Delivered-To: $U-fwd@s\\.test" "$qqrcvd"; then
	ok "forward of bare CR/LF around dots: one message, the right lines"
else
	notok "forward of bare CR/LF around dots: one message, the right lines"
	for x in $f; do od -c "$T/pf/mail/box/new/$x" | tail -12; done
fi
if grep -Eq 'evil|bare <LF>|improper' "$T/pf/maillog"; then
	notok "Postfix saw nothing smuggled"; grep -E 'evil|bare|improper' "$T/pf/maillog"
else ok "Postfix saw nothing smuggled"; fi

# 3. 451 for a recipient: a deferral; accepted after qmail-tcpok + ALRM
printf 'Subject: later\n\ndeferred once\n' |
    as_user "$U" sendmail -f "$U@s.test" later@defer.test || notok "sendmail exits 0"
wait_log '^delivery [0-9]+: deferral: 10\.231\.0\.12_does_not_like_recipient\./Remote_host_said:_451_try_later/' 15
m=$(msgid later@defer.test)
d=$(dno "$m" later@defer.test)
if outcome "$d" | grep -q '^deferral: 10\.231\.0\.12_does_not_like_recipient\./Remote_host_said:_451_try_later/'
then ok "451: qmail-send logs a deferral"
else notok "451: qmail-send logs a deferral"; cat "$SLOG"; fi
if [ -f "$(qfile remote "$m")" ] && records "$(qfile remote "$m")" | grep -qx 'Tlater@defer.test'
then ok "451: the recipient stays to do in remote/"
else notok "451: the recipient stays to do in remote/"; fi
kill "$bpid"; wait "$bpid" 2>/dev/null
nn_pids=$(echo " $nn_pids " | sed "s/ $bpid / /")
nn_smtp b 25 "$T/b2"
as_user qmailr qmail-tcpok || notok "qmail-tcpok exits 0"
if [ "$(ps -o comm= -p "$SENDPID")" = qmail-send ]; then
	kill -ALRM "$SENDPID"
else notok "qmail-send's pid is $SENDPID"; fi
if wait_msg_end "$m" 15 &&
    outcome "$(dno "$m" later@defer.test)" | grep -q '^success: 10\.231\.0\.12_accepted'; then
	ok "after qmail-tcpok and ALRM: delivered"
else notok "after qmail-tcpok and ALRM: delivered"; cat "$SLOG"; fi
e=$(rcvd_by "$T/b2" later@defer.test)
[ -n "$e" ] && ok "the receiver has it" || notok "the receiver has it"

# 3b. a host that accepts TCP and never answers: deferral, tcpto, tcpok
printf 'Subject: silence\n\nnobody there\n' |
    as_user "$U" sendmail -f "$U@s.test" u@silent.test || notok "sendmail exits 0"
if wait_log '^delivery [0-9]+: deferral: Connected_to_10\.231\.0\.15_but_greeting_failed\./$' 15
then ok "silent host: a deferral after the greeting timeout"
else notok "silent host: a deferral after the greeting timeout"; cat "$SLOG"; fi
qmail-tcpto > "$T/tcpto" 2>&1
if grep -Eq '^10\.231\.0\.15 timed out [0-9]+ seconds ago; # recent timeouts: 1$' "$T/tcpto"
then ok "qmail-tcpto shows the silent host"
else notok "qmail-tcpto shows the silent host"; cat "$T/tcpto"; fi
as_user qmailr qmail-tcpok || notok "qmail-tcpok exits 0"
qmail-tcpto > "$T/tcpto" 2>&1
if [ ! -s "$T/tcpto" ]; then ok "qmail-tcpok clears it"
else notok "qmail-tcpok clears it"; cat "$T/tcpto"; fi

# batching is per domain, whatever its case: two domains on one MX, two
# transactions
printf 'Subject: two domains\n\nmixed\n' |
    as_user "$U" qmail-inject -f "$U@s.test" y1@batch.test z@rej.test \
    y2@BATCH.test || notok "qmail-inject exits 0"
m=$(msgid z@rej.test)
wait_msg_end "$m" 15
c=$(conns "$T/a" y1@batch.test)/$(conns "$T/a" z@rej.test)
if [ "$c" = "1 2 1/1 1 1" ]; then
	ok "batch: one transaction per domain, the domain's case ignored"
else notok "batch: one transaction per domain, the domain's case ignored ($c)"; fi

# past queuelifetime: one last attempt at the silent host, whose
# temporary failure is now permanent: a bounce with its text
m=$(msgid u@silent.test)
echo 1 > "$QHOME/control/queuelifetime"
kill -HUP "$SENDPID"
sleep 1.1
kill -ALRM "$SENDPID"
if wait_bounce u@silent.test 15 && b=$(bounce_for u@silent.test) &&
    grep -A1 '^Connected to 10\.231\.0\.15 but greeting failed\.$' "$b" |
    grep -qx "I'm not going to try again; this message has been in the queue too long\."
then ok "past queuelifetime: the last attempt's deferral is bounced"
else notok "past queuelifetime: the last attempt's deferral is bounced"; cat "$SLOG"; fi
if [ "$(grep -c "^starting delivery [0-9]*: msg $m to remote u@silent.test\$" "$SLOG")" = 2 ] &&
    [ "$(grep -c CONNECT "$T/e/log")" = 2 ]; then
	ok "past queuelifetime: tried once more first"
else notok "past queuelifetime: tried once more first"; fi
