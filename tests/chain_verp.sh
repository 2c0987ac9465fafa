#!/bin/sh
# Per-recipient VERP through the chain (envelopes(5)): qmail-inject with
# QMAILINJECT=r makes the sender prefix-@host-@[]; qmail-send gives each
# recipient box@domain the sender prefix-box=domain@host, sends remote
# recipients one per request, and bounces to the expanded address.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
. "$QSRC/tests/lib-chain.sh"
trap 'send_stop' EXIT
chain_setup
rm -rf "$FS"; mkdir -p "$FS"; chmod 777 "$FS"
cp "$QSRC/tests/send/fakespawn.py" "$QHOME/bin/qmail-rspawn"	# the far side
chmod 755 "$QHOME/bin/qmail-rspawn"
A=$CH/alice
printf '|echo "$SENDER" > %s/sender.out\n./Maildir/\n' "$CH/bob" | uput "$CH/bob/.qmail" 644
printf '|exit 100\n' | uput "$CH/carol/.qmail-fail" 644
printf '|echo "$DEFAULT" >> %s/verp.out\n./Maildir/\n' "$A" | uput "$A/.qmail-default" 644
chain_start

# what qmail-inject queues
printf 'To: bob@test.example\nSubject: env\n\nx\n' > "$TESTTMP/vmsg"
printf '#!/bin/sh\ncat > /dev/null; tr "\\\\0" "\\\\n" <&1 > %s/venv\n' "$TESTTMP" > "$TESTTMP/qqrec"
chmod 755 "$TESTTMP/qqrec"
env QMAILINJECT=r QMAILUSER=alice QMAILHOST=test.example QMAILNAME= QMAILQUEUE="$TESTTMP/qqrec" \
	qmail-inject < "$TESTTMP/vmsg"
grep -qx 'Falice-@test.example-@\[\]' "$TESTTMP/venv" && ok "qmail-inject r: sender alice-@test.example-@[]" ||
	{ notok "qmail-inject r: sender alice-@test.example-@[]"; cat "$TESTTMP/venv"; }

printf 'To: bob@test.example, carol@test.example, x@far.example, y@far.example\nSubject: verp\n\nx\n' |
	env QMAILINJECT=r QMAILUSER=alice QMAILHOST=test.example QMAILNAME= qmail-inject ||
	notok "qmail-inject r"
wait_log '^end msg ' 15 && ok "VERP message delivered" || notok "VERP message delivered"
[ "$(cat "$CH/bob/sender.out" 2>/dev/null)" = "alice-bob=test.example@test.example" ] &&
	ok "local delivery: SENDER alice-bob=test.example@test.example" ||
	notok "local delivery: SENDER (got $(cat "$CH/bob/sender.out" 2>/dev/null))"
f=$(mlist "$CH/carol/Maildir" | head -1)
[ -n "$f" ] && mshow -H "$f" | grep -qx 'Return-Path: <alice-carol=test.example@test.example>' &&
	ok "carol's copy: Return-Path <alice-carol=test.example@test.example> (mshow)" || notok "carol's copy: Return-Path"
grep -qx 'Return-Path: <alice-x=far.example@test.example>' "$FS/mail.x@far.example" 2>/dev/null &&
	grep -qx 'Return-Path: <alice-y=far.example@test.example>' "$FS/mail.y@far.example" 2>/dev/null &&
	ok "remote: each recipient its own sender" || { notok "remote: each recipient its own sender"; cat "$FS/requests"; }
[ "$(grep -c '^remote ' "$FS/requests")" = 2 ] && ok "remote: one recipient a request" ||
	{ notok "remote: one recipient a request"; cat "$FS/requests"; }

# without r, the two remote recipients share one request and the sender
printf 'To: u@far.example, v@far.example\nSubject: plain\n\nx\n' |
	env QMAILUSER=alice QMAILHOST=test.example QMAILNAME= qmail-inject
wait_log '^end msg ' 15 2
grep -q '^remote .* <alice@test.example> u@far.example v@far.example' "$FS/requests" &&
	ok "plain sender: remote recipients batched, sender unchanged" || { notok "plain sender: batched"; cat "$FS/requests"; }

# a failure bounces to the address expanded for the failed recipient
printf 'To: carol-fail@test.example\nSubject: verpfail\n\nx\n' |
	env QMAILINJECT=r QMAILUSER=alice QMAILHOST=test.example QMAILNAME= qmail-inject
wait_mail "$A/Maildir" 1 15
grep -qx 'carol-fail=test.example' "$A/verp.out" 2>/dev/null &&
	ok "bounce to alice-carol-fail=test.example@test.example" || { notok "bounce to the expanded address"; tail "$SLOG"; }
b=$(mlist "$A/Maildir" | head -1)
[ -n "$b" ] && mshow -r "$b" | grep -q '^<carol-fail@test.example>:' && ok "the bounce names carol-fail" || notok "the bounce names carol-fail"
wait_empty 10 && ok "queue empty" || notok "queue empty"
