#!/bin/sh
# kill -9 of qmail-send during a stream of messages, then a restart: no
# recipient is lost (some may be delivered twice) and the queue empties.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
trap 'send_stop; kill $injector 2>/dev/null' EXIT
send_setup
echo test.example > "$QHOME/control/locals"
send_start
(
	i=0
	while [ $i -lt 60 ]; do
		inject "s$i@remote.example" "l$i@test.example" "r$i@far.example" >/dev/null 2>&1 ||
			echo "inject $i failed" >> "$TESTTMP/injectfail"
		i=$((i + 1))
	done
) &
injector=$!
for k in 1 2 3; do
	wait_log '^starting delivery' 20 $((k * 12)) || break
	kill -9 "$SENDPID"; wait "$SENDPID" 2>/dev/null; SENDPID=
	sleep 0.3
	send_start
done
wait "$injector"
[ ! -e "$TESTTMP/injectfail" ] && ok "all 60 messages queued" || notok "all 60 messages queued"
wait_empty 60 && ok "queue empties after three kill -9" || { notok "queue empties after three kill -9"; find "$QHOME/queue" -type f | head; }
missing=0; i=0
while [ $i -lt 60 ]; do
	[ -s "$FS/mail.l$i@test.example" ] || missing=$((missing + 1))
	[ -s "$FS/mail.r$i@far.example" ] || missing=$((missing + 1))
	i=$((i + 1))
done
[ $missing = 0 ] && ok "no recipient lost" || notok "no recipient lost ($missing missing)"
grep -q '^alert\|^warning' "$SLOG" && { notok "no alerts"; grep '^alert\|^warning' "$SLOG" | head; } || ok "no alerts"
