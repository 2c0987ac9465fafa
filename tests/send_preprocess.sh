#!/bin/sh
# qmail-send's preprocessing: locals, virtualdomains, percenthack,
# envnoathost, case-insensitive domains; info/local/remote written, todo
# and intd removed (with concurrency 0 nothing is delivered).
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
trap send_stop EXIT
send_setup
c=$QHOME/control
printf 'test.example\nExample.ORG\n' > "$c/locals"
printf 'virt.example:joe\n.sub.example:sue\nexc.sub.example:\nvuser@other.example:vu\n' > "$c/virtualdomains"
echo test.example > "$c/percenthack"
echo test.example > "$c/envnoathost"
echo 0 > "$c/concurrencylocal"
echo 0 > "$c/concurrencyremote"
send_start
inject 'snd@src.example' a@EXAMPLE.org b@VIRT.example c@x.sub.example d@exc.sub.example \
    vuser@other.example e@other.example 'f%far.example@test.example' \
    'g%example.org@Test.Example' plain 'h%i%j.example@test.example'
wait_log '^info msg ' 10 || notok "message preprocessed"
sleep 0.3
id=$(sed -n 's/^new msg //p' "$SLOG" | head -1)
records "$(qfile local "$id")" > "$TESTTMP/l" 2>/dev/null
records "$(qfile remote "$id")" > "$TESTTMP/r" 2>/dev/null
cat > "$TESTTMP/lwant" <<X
Ta@EXAMPLE.org
Tjoe-b@VIRT.example
Tsue-c@x.sub.example
Tvu-vuser@other.example
Tg@example.org
Tplain@test.example
X
cat > "$TESTTMP/rwant" <<X
Td@exc.sub.example
Te@other.example
Tf@far.example
Th%i@j.example
X
if cmp -s "$TESTTMP/l" "$TESTTMP/lwant"; then ok "local recipients rewritten"
else notok "local recipients rewritten"; diff "$TESTTMP/lwant" "$TESTTMP/l"; fi
if cmp -s "$TESTTMP/r" "$TESTTMP/rwant"; then ok "remote recipients rewritten"
else notok "remote recipients rewritten"; diff "$TESTTMP/rwant" "$TESTTMP/r"; fi
[ "$(records "$(qfile info "$id")")" = "Fsnd@src.example" ] && ok "info holds the sender" || notok "info holds the sender"
[ -z "$(ls "$QHOME/queue/todo" "$QHOME/queue/intd" | grep '^[0-9]')" ] && ok "todo and intd removed" || notok "todo and intd removed"
[ ! -s "$FS/requests" ] && ok "concurrency 0: nothing delivered" || notok "concurrency 0: nothing delivered"

# HUP rereads the controls: concurrency goes up, deliveries start
echo 5 > "$c/concurrencylocal"
echo 5 > "$c/concurrencyremote"
kill -HUP "$SENDPID"
wait_log '^end msg ' 10 && ok "HUP: new concurrency applies" || notok "HUP: new concurrency applies"
grep -q '^status: local [0-9]*/5 remote [0-9]*/5$' "$SLOG" && ok "HUP: status shows new limits" || notok "HUP: status shows new limits"
grep -q '^remote [0-9]* [^ ]* <snd@src.example> d@exc.sub.example$' "$FS/requests" && ok "remote request" || notok "remote request"

# a message without recipients just ends
inject 'x@y.example'
wait_log '^end msg ' 10 2 && ok "no recipients: end msg" || notok "no recipients: end msg"
wait_empty 5 && ok "queue empty" || notok "queue empty"
