#!/bin/sh
# TERM: no new deliveries, wait for those running, "status: exiting",
# exit 0; what is left is delivered after a restart.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
trap send_stop EXIT
send_setup
echo test.example > "$QHOME/control/locals"
echo 2 > "$QHOME/control/concurrencylocal"
send_start
inject snd@remote.example slow1@test.example slow2@test.example slow3@test.example slow4@test.example
wait_log '^starting delivery ' 10 2 || notok "deliveries started"
kill -TERM "$SENDPID"
sleep 1
kill -0 "$SENDPID" 2>/dev/null && ok "waits for running deliveries" || notok "waits for running deliveries"
i=0; while kill -0 "$SENDPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
wait "$SENDPID"; rc=$?; SENDPID=
[ "$rc" = 0 ] && ok "exit 0 after TERM" || notok "exit 0 after TERM ($rc)"
tail -1 "$SLOG" | grep -qx 'status: exiting' && ok "status: exiting is the last line" || notok "status: exiting is the last line"
n=$(grep -c '^starting delivery' "$SLOG")
[ "$n" = 2 ] && ok "no delivery started after TERM" || notok "no delivery started after TERM ($n)"
n=$(grep -c '^delivery [0-9]*: success' "$SLOG")
[ "$n" = 2 ] && ok "running deliveries finished" || notok "running deliveries finished ($n)"
sleep 0.3
send_start
wait_log '^end msg ' 15 && ok "restart delivers the rest" || notok "restart delivers the rest"
for r in 1 2 3 4; do
	[ "$(grep -c '^Subject' "$FS/mail.slow$r@test.example" 2>/dev/null)" = 1 ] || notok "slow$r delivered once"
done
ok "each recipient delivered exactly once"
wait_empty 5 && ok "queue empty" || notok "queue empty"
