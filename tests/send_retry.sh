#!/bin/sh
# Temporary failures stay queued with the next try as the mtime of
# local/N; ALRM retries now; a restart keeps the schedule; past
# queuelifetime a last attempt's temporary failure bounces.
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
# qmail-send(8): past queuelifetime it tries once more, and a temporary
# failure then is permanent
n=$(grep -c 'to local deferme2@test.example' "$SLOG")
[ "$n" = 2 ] && ok "one last delivery attempt past queuelifetime" || notok "one last delivery attempt past queuelifetime ($n)"
grep -q '^delivery [0-9]*: failure: Temporary_trouble_for_deferme2@test.example_(#4.3.0)/I.m_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./$' "$SLOG" &&
	ok "its deferral logged as a failure" || notok "its deferral logged as a failure"
grep -qxF 'Temporary trouble for deferme2@test.example (#4.3.0)' "$FS/mail.snd2@remote.example" 2>/dev/null &&
	ok "lifetime bounce has the last attempt's text" || notok "lifetime bounce has the last attempt's text"
wait_empty 5 && ok "queue empty after the lifetime bounce" || notok "queue empty after the lifetime bounce"
# the last attempt past queuelifetime may succeed: delivered, no bounce
inject snd3@remote.example deferme3@test.example
wait_log 'deferral: Temporary_trouble_for_deferme3' 10 || notok "third deferral"
touch "$FS/nodefer"
sleep 2.2
kill -ALRM "$SENDPID"
wait_log '^end msg ' 10 4 || notok "third message finished"
[ -s "$FS/mail.deferme3@test.example" ] && [ ! -e "$FS/mail.snd3@remote.example" ] &&
	ok "past queuelifetime: the last attempt delivers, no bounce" ||
	notok "past queuelifetime: the last attempt delivers, no bounce"
