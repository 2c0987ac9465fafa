#!/bin/sh
# qmail-clean's request protocol: i, m, s requests; malformed requests
# refused; one reply byte per request; old pid/ files swept at start.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
send_setup
q=$QHOME/queue
u=qmailq; [ "$QIDS" = single ] && u=$(id -un)
mk() { : > "$1"; [ "$QIDS" = system ] && chown qmailq:qmail "$1"; :; }
mk "$q/intd/123"; mk "$q/todo/123"
mk "$q/todo/456"; mk "$(qfile mess 456)"
mk "$(qfile mess 789)"
mk "$q/pid/old"; touch -d '3 days ago' "$q/pid/old"
mk "$q/pid/new"
printf 'i123\0m456\0m789\0x1\0i../x\0i0\0i\0i12a\0i99999999999999999999999\0m%0100d\0i5\0' 7 > "$TESTTMP/req"
out=$(as_user "$u" "$QHOME/bin/qmail-clean" < "$TESTTMP/req")
[ "$out" = '+!+!!!!!!!+' ] && ok "replies, one byte each" || notok "replies, one byte each ($out)"
[ ! -e "$q/intd/123" ] && [ ! -e "$q/todo/123" ] && ok "i removes intd and todo" || notok "i removes intd and todo"
[ -e "$(qfile mess 456)" ] && ok "m refused while todo exists" || notok "m refused while todo exists"
[ ! -e "$(qfile mess 789)" ] && ok "m removes mess" || notok "m removes mess"
[ ! -e "$q/pid/old" ] && [ -e "$q/pid/new" ] && ok "old pid files swept, new kept" || notok "old pid files swept, new kept"
printf '' | as_user "$u" "$QHOME/bin/qmail-clean"; rc=$?
[ $rc = 0 ] && ok "exit 0 at end of input" || notok "exit 0 at end of input ($rc)"
