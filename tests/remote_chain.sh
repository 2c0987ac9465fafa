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
# MX, MX fallback, a forward of a message with bare CR and LF, batching.
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
t0=$(date +%s)
cp -a "$QSRC" "$T/src2"
echo "$H2" > "$T/src2/conf-qmail"
if (cd "$T/src2" && make -j2 && sh tools/install.sh setup) > "$T/build2" 2>&1
then
	ok "a second home built and installed ($(($(date +%s) - t0)) s)"
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
msgid() {	# ADDR: the number of the latest message qmail-send started to ADDR
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
wait_msg_end() {	# MSG SECONDS
	wait_log "^end msg $1\$" "$2"
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
pfsame() {	# STORED WANT: WANT is what follows the headers Postfix added
	python3 - "$1" "$2" <<'P'
import re, sys
got, want = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
head = got[:len(got) - len(want)]
added = re.compile(rb'(Return-Path|X-Original-To|Delivered-To|Received):|[ \t]')
if not got.endswith(want):
    sys.exit('    the message differs after the headers Postfix added')
for l in head.split(b'\n')[:-1]:
    if not added.match(l):
        sys.exit('    an unexpected line before the message: %r' % l)
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
if [ -n "$d" ]; then ok "log: starting delivery $d: msg $m to remote u@remote.test"
else notok "log: starting delivery N: msg M to remote u@remote.test"; cat "$SLOG"; fi
if outcome "$d" | grep -Eq '^success: 10\.231\.0\.16_accepted_message\./Remote_host_said:_250_2\.0\.0_Ok:_queued_as_[0-9A-Za-z]+/$'
then ok "log: delivery $d: success: (Postfix's 250)"
else notok "log: delivery N: success"; grep "^delivery $d:" "$SLOG"; fi
if wait_msg_end "$m" 10; then ok "the message is finished (end msg $m)"
else notok "the message is finished"; fi
if pfwait 1 && f=$(pfnew) && pfsame "$T/pf/mail/box/new/$f" "$T/m1"; then
	ok "Postfix stores the message byte-identical below its headers"
else
	notok "Postfix stores the message byte-identical below its headers"
	[ -n "$f" ] && diff "$T/pf/mail/box/new/$f" "$T/m1" | head
fi
