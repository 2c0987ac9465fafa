#!/bin/sh
# Temporary failures stay queued with the next try as the mtime of
# local/N; ALRM retries now; a restart keeps the schedule; past
# queuelifetime the recipient bounces.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
trap send_stop EXIT
send_setup
echo test.example > "$QHOME/control/locals"
send_start

inject snd@remote.example deferme@test.example
wait_log '^delivery [0-9]+: deferral: Temporary_trouble_for_deferme@test.example_\(#4.3.0\)/$' 10 &&
	ok "deferral logged" || notok "deferral logged"
sleep 0.3
id=$(sed -n 's/^new msg //p' "$SLOG" | head -1)
f=$(qfile local "$id")
[ "$(records "$f")" = "Tdeferme@test.example" ] && ok "recipient still T" || notok "recipient still T"
t=$(stat -c %Y "$f"); now=$(date +%s)
# the first retry of a local delivery: birth + (0 + 10)^2 = birth + 100
[ "$t" -ge $((now + 80)) ] && [ "$t" -le $((now + 150)) ] && ok "next try about 100 s ahead, kept as mtime" ||
	notok "next try about 100 s ahead, kept as mtime ($t vs $now)"

# restart: the schedule is kept, no immediate retry
send_stop
send_start
sleep 1.5
n=$(grep -c 'to local deferme@test.example' "$SLOG")
[ "$n" = 1 ] && ok "restart keeps the retry schedule" || notok "restart keeps the retry schedule ($n)"

# ALRM: retry now
touch "$FS/nodefer"
kill -ALRM "$SENDPID"
wait_log '^end msg ' 10 && ok "ALRM retries deferred deliveries" || notok "ALRM retries deferred deliveries"
[ -s "$FS/mail.deferme@test.example" ] && ok "delivered after ALRM" || notok "delivered after ALRM"
wait_empty 5 && ok "queue empty" || notok "queue empty"

# queuelifetime
rm -f "$FS/nodefer"
echo 1 > "$QHOME/control/queuelifetime"
kill -HUP "$SENDPID"
sleep 0.3
inject snd2@remote.example deferme2@test.example
wait_log 'deferral: Temporary_trouble_for_deferme2' 10 || notok "second deferral"
sleep 2.2
kill -ALRM "$SENDPID"
wait_log '^bounce msg ' 10 && ok "past queuelifetime: bounce" || notok "past queuelifetime: bounce"
wait_log '^end msg ' 10 3 || notok "lifetime bounce delivered"
grep -qxF "I'm not going to try again; this message has been in the queue too long." "$FS/mail.snd2@remote.example" 2>/dev/null &&
	ok "lifetime bounce text" || notok "lifetime bounce text"
grep -qxF '<deferme2@test.example>:' "$FS/mail.snd2@remote.example" 2>/dev/null &&
	ok "lifetime bounce names the recipient" || notok "lifetime bounce names the recipient"
n=$(grep -c 'to local deferme2@test.example' "$SLOG")
[ "$n" = 1 ] && ok "no delivery attempt past queuelifetime" || notok "no delivery attempt past queuelifetime ($n)"
wait_empty 5 && ok "queue empty after the lifetime bounce" || notok "queue empty after the lifetime bounce"
