#!/bin/sh
# Permanent failures: bounce/N, a QSBMF bounce to the sender from
# MAILER-DAEMON with null sender; a failed bounce becomes a double bounce
# to postmaster with sender #@[]; a failed double bounce is discarded.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
trap send_stop EXIT
send_setup
echo test.example > "$QHOME/control/locals"
send_start

inject snd@remote.example failme@test.example ok@test.example
wait_log '^bounce msg [0-9]+ qp [0-9]+$' 10 && ok "bounce msg logged" || notok "bounce msg logged"
wait_log '^end msg ' 10 2 || notok "bounce delivered"
b=$FS/mail.snd@remote.example
grep -qE '^delivery [0-9]+: failure: Sorry,_no_mailbox_here_by_that_name._\(#5.1.1\)/$' "$SLOG" &&
	ok "failure logged" || notok "failure logged"
for want in 'Return-Path: <>' 'From: MAILER-DAEMON@test.example' 'To: snd@remote.example' \
    'Subject: failure notice' 'Hi. This is the qmail-send program at test.example.' \
    "I'm afraid I wasn't able to deliver your message to the following addresses." \
    "This is a permanent error; I've given up. Sorry it didn't work out." \
    '<failme@test.example>:' 'Sorry, no mailbox here by that name. (#5.1.1)' \
    '--- Below this line is a copy of the message.' 'Return-Path: <snd@remote.example>' \
    'Subject: test failme@test.example ok@test.example'; do
	grep -qxF -e "$want" "$b" 2>/dev/null && ok "bounce has: $want" || notok "bounce has: $want"
done
# a single-user build cannot tell its ids apart: "invoked by uid N" there
if [ "$QIDS" = system ]; then why='invoked for bounce'; else why="invoked by uid $(id -u)"; fi
grep -q "^Received: (qmail [0-9]* $why)" "$b" && ok "bounce queued by qmail-send ($why)" || notok "bounce queued by qmail-send ($why)"
grep -q '^Date: ' "$b" && ok "bounce has a Date" || notok "bounce has a Date"
grep -q 'ok@test.example' "$b" | grep -q '^<ok' && notok "delivered address not in bounce" || ok "delivered address not in bounce"
[ -s "$FS/mail.ok@test.example" ] && ok "other recipient delivered" || notok "other recipient delivered"
wait_empty 5 && ok "queue empty after the bounce" || notok "queue empty after the bounce"

# double bounce
inject failsnd@remote.example failme2@test.example
wait_log '^end msg ' 15 4 || notok "double bounce finished"
d=$FS/mail.postmaster@test.example
grep -qxF 'Return-Path: <#@[]>' "$d" 2>/dev/null && ok "double bounce: sender #@[]" || notok "double bounce: sender #@[]"
grep -qxF 'I tried to deliver a bounce message to this address, but the bounce bounced!' "$d" 2>/dev/null &&
	ok "double bounce text" || notok "double bounce text"
grep -qxF '<failsnd@remote.example>:' "$d" 2>/dev/null && ok "double bounce names the bounced address" ||
	notok "double bounce names the bounced address"
grep -qxF 'To: postmaster@test.example' "$d" 2>/dev/null && ok "double bounce to postmaster" || notok "double bounce to postmaster"
wait_empty 5 && ok "queue empty after the double bounce" || notok "queue empty after the double bounce"

# null sender: a failure goes straight to postmaster
inject '' failme3@test.example
wait_log '^end msg ' 15 6 || notok "null sender bounce finished"
grep -qxF '<failme3@test.example>:' "$d" && ok "null-sender failure double-bounces" || notok "null-sender failure double-bounces"

# triple bounce
echo failpm > "$QHOME/control/doublebounceto"
kill -HUP "$SENDPID"
sleep 0.3
inject failsnd2@remote.example failme4@test.example
wait_log '^triple bounce: discarding bounce/[0-9]+$' 15 && ok "triple bounce discarded" || notok "triple bounce discarded"
wait_empty 5 && ok "queue empty after the triple bounce" || notok "queue empty after the triple bounce"
[ ! -e "$FS/mail.failpm@test.example" ] && ok "nothing delivered to the failing postmaster" || notok "nothing delivered to the failing postmaster"
kill -0 "$SENDPID" && ok "qmail-send still running" || notok "qmail-send still running"
