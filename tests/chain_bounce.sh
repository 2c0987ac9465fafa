#!/bin/sh
# Failures through the whole chain: a permanent failure bounces (QSBMF)
# into the sender's Maildir; a bounce that cannot be delivered becomes a
# double bounce to doublebounceto; a temporary failure is retried after
# svc -a (qmail-start under supervise); a message older than
# queuelifetime bounces.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
. "$QSRC/tests/lib-chain.sh"
SV=$TESTTMP/svc.$$
trap 'send_stop; [ -d "$SV" ] && { svc -dx "$SV"; sleep 0.5; }; rm -rf "$SV"' EXIT
chain_setup
A=$CH/alice
printf '|echo "mailbox is on fire"; exit 100\n' | uput "$A/.qmail-fail" 644
printf '|exit 100\n' | uput "$CH/bob/.qmail-broken" 644
printf '|test -f %s/ok || { echo "not yet, try later"; exit 111; }\n./Maildir/\n' "$A" | uput "$A/.qmail-later" 644
if [ "$QIDS" = system ]; then setuidgid alias maildirmake "$QHOME/alias/pm"
else maildirmake "$QHOME/alias/pm"; fi
printf './pm/\n' | aput .qmail-postmaster
chain_start

# permanent failure -> QSBMF bounce in alice's Maildir
mail alice-fail@test.example doomed "the original body"
wait_mail "$A/Maildir" 1 15
b=$(mlist "$A/Maildir" | head -1)
if [ -n "$b" ]; then
	mhdr -h subject "$b" | grep -qx 'failure notice' && ok "bounce: Subject: failure notice" || notok "bounce: Subject"
	mhdr -h from "$b" | grep -qx 'MAILER-DAEMON@test.example' && ok "bounce: From: MAILER-DAEMON@test.example" || notok "bounce: From"
	mshow -H "$b" | grep -qx 'Return-Path: <>' && ok "bounce: null envelope sender" || notok "bounce: null envelope sender"
	mshow -r "$b" > "$TESTTMP/bounce.txt"
	grep -q '^Hi. This is the qmail-send program at test.example.' "$TESTTMP/bounce.txt" &&
		ok "QSBMF: greeting names the host" || notok "QSBMF: greeting"
	grep -q '^<alice-fail@test.example>:$' "$TESTTMP/bounce.txt" && ok "QSBMF: names the recipient" || notok "QSBMF: names the recipient"
	grep -q '^mailbox is on fire' "$TESTTMP/bounce.txt" && ok "QSBMF: gives the reason" || notok "QSBMF: gives the reason"
	grep -q '^--- Below this line is a copy of the message.' "$TESTTMP/bounce.txt" &&
		grep -q '^the original body' "$TESTTMP/bounce.txt" && ok "QSBMF: copy of the message" || notok "QSBMF: copy of the message"
else
	notok "bounce delivered to the sender's Maildir"; cat "$SLOG"
fi

# a bounce to a bad sender -> double bounce to postmaster (the default)
printf 'Subject: twice\n\nx\n' | "$QHOME/bin/sendmail" -f bob-broken@test.example alice-fail@test.example
wait_mail "$QHOME/alias/pm" 1 15
d=$(mlist "$QHOME/alias/pm" | head -1)
[ -n "$d" ] && mshow -r "$d" | grep -q '^<bob-broken@test.example>:' &&
	ok "double bounce to postmaster names the bad sender" || { notok "double bounce to postmaster"; tail "$SLOG"; }
[ -n "$d" ] && mshow -r "$d" | grep -q '^<alice-fail@test.example>:' &&
	ok "double bounce carries the first bounce" || notok "double bounce carries the first bounce"
[ -n "$d" ] && mshow -H "$d" | grep -qx 'Return-Path: <#@\[\]>' &&
	ok "double bounce: envelope sender #@[]" || notok "double bounce: envelope sender #@[]"
echo carol > "$QHOME/control/doublebounceto"
kill -HUP "$SENDPID"; sleep 0.5
printf 'Subject: thrice\n\nx\n' | "$QHOME/bin/sendmail" -f bob-broken@test.example alice-fail@test.example
wait_mail "$CH/carol/Maildir" 1 15 && ok "doublebounceto (after HUP) receives the double bounce" ||
	{ notok "doublebounceto receives the double bounce"; tail "$SLOG"; }
send_stop

# temporary failure, retried after svc -a
mkdir -p "$SV"
cat > "$SV/run" <<R
#!/bin/sh
cd /
exec $QHOME/bin/qmail-start ./Maildir/ >> $SLOG 2>&1
R
chmod 755 "$SV/run"
supervise "$SV" > /dev/null 2>&1 &
wait_log 'status: local' 10 2 || notok "qmail-start under supervise"
mail alice-later@test.example patience
wait_log '^delivery [0-9]+: deferral: not_yet,_try_later' 15 && ok "temporary failure: deferral logged" ||
	{ notok "temporary failure: deferral logged"; tail "$SLOG"; }
touch "$A/ok"
sleep 1
subj_in "$A/Maildir" patience && notok "no retry before the signal" || ok "no retry before the signal"
n=$(nmail "$A/Maildir")
svc -a "$SV"
wait_mail "$A/Maildir" $((n + 1)) 10 && subj_in "$A/Maildir" patience && ok "svc -a: retried at once and delivered" ||
	{ notok "svc -a: retried and delivered"; tail "$SLOG"; }

# queuelifetime: older messages bounce at their next attempt
rm -f "$A/ok"
echo 3 > "$QHOME/control/queuelifetime"
svc -h "$SV"; sleep 0.3
mail alice-later@test.example toolate
wait_log 'deferral: not_yet' 15 2
sleep 4
svc -a "$SV"
n=$(nmail "$A/Maildir")
wait_log 'bounce msg' 15 4
wait_mail "$A/Maildir" $((n + 1)) 15
b=$(mlist "$A/Maildir" | xargs grep -l 'Subject: toolate' | xargs grep -l 'failure notice' | head -1)
[ -n "$b" ] && grep -q '^<alice-later@test.example>:' "$b" && grep -q 'in the queue too long' "$b" &&
	ok "queuelifetime: bounce says the message was in the queue too long" ||
	{ notok "queuelifetime: bounce"; tail "$SLOG"; }
wait_empty 10 && ok "queue empty at the end" || notok "queue empty at the end"
grep -E '^alert:' "$SLOG" && notok "no alerts" || ok "no alerts"
