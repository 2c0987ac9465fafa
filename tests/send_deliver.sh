#!/bin/sh
# qmail-send schedules local and remote deliveries through the spawners,
# marks recipients done, batches remote recipients per domain, logs in
# qmail's format and removes the message when no recipient is left.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
trap send_stop EXIT
send_setup
echo example.org > "$QHOME/control/locals"
echo test.example >> "$QHOME/control/locals"
send_start

inject alice@example.org bob@example.org carol@Remote.Example dave@remote.example erin@other.example
wait_log '^end msg ' 10 || notok "message finished"
check "queue is empty after delivery" queue_empty
n=$(grep -c '^starting delivery ' "$SLOG")
[ "$n" = 4 ] && ok "four deliveries started" || notok "four deliveries started (got $n)"
grep -q '^starting delivery [0-9]*: msg [0-9]* to local bob@example.org$' "$SLOG" &&
	ok "local delivery logged" || notok "local delivery logged"
grep -q '^starting delivery [0-9]*: msg [0-9]* to remote carol@Remote.Example$' "$SLOG" &&
	ok "remote delivery logged" || notok "remote delivery logged"
grep -qE '^delivery [0-9]+: success: did_0\+0\+1/$' "$SLOG" &&
	ok "local success text made safe" || notok "local success text made safe"
grep -qE '^delivery [0-9]+: success: 127.0.0.1_accepted_message./Remote_host_said:_250_ok/$' "$SLOG" &&
	ok "remote success text from the final record" || notok "remote success text from the final record"
grep -q '^remote [0-9]* mess/[0-9]*/[0-9]* <alice@example.org> carol@Remote.Example dave@remote.example$' "$FS/requests" &&
	ok "one remote request per domain (case-insensitive)" || { notok "one remote request per domain"; cat "$FS/requests"; }
grep -q '^remote [0-9]* mess/[0-9]*/[0-9]* <alice@example.org> erin@other.example$' "$FS/requests" &&
	ok "other domain in its own request" || notok "other domain in its own request"
grep -q '^local [0-9]* mess/[0-9]*/[0-9]* <alice@example.org> bob@example.org$' "$FS/requests" &&
	ok "local request has one recipient" || notok "local request has one recipient"
grep -q 'Subject: test' "$FS/mail.bob@example.org" && ok "spawner read the message" || notok "spawner read the message"
grep -qE '^info msg [0-9]+: bytes [0-9]+ from <alice@example.org> qp [0-9]+ uid [0-9]+$' "$SLOG" &&
	ok "info line" || notok "info line"
grep -qE '^new msg [0-9]+$' "$SLOG" && ok "new msg line" || notok "new msg line"
grep -qE '^status: local [0-9]+/10 remote [0-9]+/20$' "$SLOG" && ok "status line with default concurrency" ||
	notok "status line with default concurrency"

# many messages with concurrency 2: never more than 2 at once
send_stop
echo 2 > "$QHOME/control/concurrencylocal"
: > "$SLOG"
send_start
i=0; while [ $i -lt 20 ]; do inject a@example.org "u$i@example.org" "v$i@example.org"; i=$((i + 1)); done
wait_log '^end msg ' 30 20 || notok "twenty messages finished"
wait_empty 10 && ok "queue empty after 20 messages" || notok "queue empty after 20 messages"
bad=$(grep -E '^status: local ' "$SLOG" | awk '{split($3, a, "/"); if (a[1] > 2) print}' | head -1)
[ -z "$bad" ] && ok "concurrencylocal respected" || notok "concurrencylocal respected: $bad"
n=$(grep -c '^local ' "$FS/requests")
[ "$n" = 41 ] && ok "every local recipient delivered once" || notok "every local recipient delivered once ($n)"
send_stop
grep -q '^status: exiting$' "$SLOG" && ok "TERM: status: exiting" || notok "TERM: status: exiting"
