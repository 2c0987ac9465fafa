#!/bin/sh
# Corrupt queue files are logged and left alone; qmail-send keeps going.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
trap send_stop EXIT
send_setup
echo test.example > "$QHOME/control/locals"
own() { [ "$QIDS" = system ] && chown qmails:qmail "$@"; :; }

# S5 entries by hand: a garbage info, a local list with junk records
a=$(handmade 'x')
rm -f "$QHOME/queue/todo/$a"
printf 'garbage' > "$(qfile info "$a")"
printf 'Tq@test.example\0' > "$(qfile local "$a")"
b=$(handmade 'x')
rm -f "$QHOME/queue/todo/$b"
printf 'Fs@remote.example\0' > "$(qfile info "$b")"
printf 'Xjunk\0Tgood@test.example\0Dold@test.example\0Tcut@test.exa' > "$(qfile local "$b")"
own "$(qfile info "$a")" "$(qfile local "$a")" "$(qfile info "$b")" "$(qfile local "$b")"
send_start
# broken todo entries
c=$(handmade 'u0\0p1\0Fx@y.example\0Tz@test.example')
d=$(handmade 'u0\0p1\0Tz@test.example\0')
e=$(handmade '\377\001\0garbage\0\0')
inject s@remote.example after@test.example
wait_log 'to local after@test.example' 10 && ok "a good message still goes through" || notok "a good message still goes through"
sleep 0.5
grep -q "^warning: trouble reading info/[0-9]*/$a: " "$SLOG" && ok "garbage info logged" || notok "garbage info logged"
grep -q "^warning: unknown record type in local/[0-9]*/$b$" "$SLOG" && ok "unknown record logged" || notok "unknown record logged"
grep -q "^warning: ignoring unterminated record at the end of local/[0-9]*/$b$" "$SLOG" && ok "unterminated record logged" || notok "unterminated record logged"
grep -q "^starting delivery [0-9]*: msg $b to local good@test.example$" "$SLOG" && ok "good recipient of a junk list delivered" || notok "good recipient of a junk list delivered"
grep -q "to local old@test.example" "$SLOG" && notok "D recipient not delivered" || ok "D recipient not delivered"
grep -q "^warning: unable to preprocess todo/$c: envelope not terminated; leaving it$" "$SLOG" && ok "unterminated todo logged" || notok "unterminated todo logged"
grep -q "^warning: unable to preprocess todo/$d: recipient before sender; leaving it$" "$SLOG" && ok "todo without sender logged" || notok "todo without sender logged"
grep -q "^warning: unable to preprocess todo/$e: no sender; leaving it$" "$SLOG" && ok "garbage todo logged" || notok "garbage todo logged"
[ -f "$QHOME/queue/todo/$c" ] && [ -f "$QHOME/queue/todo/$d" ] && ok "bad todo entries left in place" || notok "bad todo entries left in place"
[ -f "$(qfile info "$a")" ] && ok "message with bad info kept" || notok "message with bad info kept"
kill -ALRM "$SENDPID"; sleep 0.3
n=$(grep -c "unable to preprocess todo/$c" "$SLOG")
[ "$n" = 1 ] && ok "a bad todo entry is reported once" || notok "a bad todo entry is reported once ($n)"
kill -0 "$SENDPID" && ok "qmail-send alive" || notok "qmail-send alive"

# an S3 leftover older than 36 hours goes; a fresh one stays
f=$(handmade 'x'); rm -f "$QHOME/queue/todo/$f"
g=$(handmade 'x'); rm -f "$QHOME/queue/todo/$g"
touch -d '3 days ago' "$(qfile mess "$f")"
send_stop
# the cleanup pass looks at one mess/S per 2 minutes; a restart starts at 0,
# so put both in mess/0 by choosing... instead call qmail-clean directly
printf 's%s\0s%s\0' "$f" "$g" > "$TESTTMP/req"
out=$(as_user qmailq "$QHOME/bin/qmail-clean" < "$TESTTMP/req" 2>&1)
[ "$out" = '+!' ] && ok "stale leftovers removed, fresh kept" || notok "stale leftovers removed, fresh kept ($out)"
[ ! -e "$(qfile mess "$f")" ] && [ -e "$(qfile mess "$g")" ] && ok "stale mess gone, fresh mess kept" || notok "stale mess gone, fresh mess kept"
