#!/bin/sh
# qmail-start: the daemons under their ids, qmail-start becomes qmail-send,
# the logger gets the log; the boot and service templates are filled in;
# splogger's syslog lines.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
trap 'send_stop; [ -n "${sockpid-}" ] && kill $sockpid 2>/dev/null; [ -n "${madelog-}" ] && rm -f /dev/log' EXIT
send_setup
echo test.example > "$QHOME/control/locals"
: > "$TESTTMP/viacat"; chmod 666 "$TESTTMP/viacat"
(cd / && exec env FAKESPAWN="$FS" "$QHOME/bin/qmail-start" ./Maildir/ sh -c "exec cat >> $TESTTMP/viacat") > "$SLOG" 2>&1 &
SENDPID=$!
sleep 1
[ "$(cat /proc/$SENDPID/comm 2>/dev/null)" = qmail-send ] && ok "qmail-start becomes qmail-send" || notok "qmail-start becomes qmail-send"
grep -q '^status: local 0/10 remote 0/20$' "$TESTTMP/viacat" && ok "log goes through the logger" || notok "log goes through the logger"
owner() { ps -o user= -p "$1" 2>/dev/null | tr -d ' '; }
kids=$(ps -o pid=,args= --ppid "$SENDPID")
pidof_kid() { echo "$kids" | awk -v p="$1" '$0 ~ p { print $1; exit }'; }
if [ "$QIDS" = system ]; then
	[ "$(owner "$SENDPID")" = qmails ] && ok "qmail-send runs as qmails" || notok "qmail-send runs as qmails ($(owner "$SENDPID"))"
	[ "$(owner "$(pidof_kid qmail-clean)")" = qmailq ] && ok "qmail-clean runs as qmailq" || notok "qmail-clean runs as qmailq"
	[ "$(owner "$(pidof_kid qmail-rspawn)")" = qmailr ] && ok "qmail-rspawn runs as qmailr" || notok "qmail-rspawn runs as qmailr"
	[ "$(owner "$(pidof_kid qmail-lspawn)")" = root ] && ok "qmail-lspawn runs as root" || notok "qmail-lspawn runs as root"
	[ "$(owner "$(pidof_kid 'cat')")" = qmaill ] && ok "the logger runs as qmaill" || notok "the logger runs as qmaill"
	grep -q "^Groups:.*$(getent group qmail | cut -d: -f3)" /proc/$SENDPID/status && ok "qmail-send has group qmail only" ||
		notok "qmail-send has group qmail only"
else
	skip "daemon ids: single-user build"
fi
inject a@remote.example b@test.example
sleep 1
grep -q '^end msg' "$TESTTMP/viacat" && ok "delivery through the wired pipes" || notok "delivery through the wired pipes"
send_stop
sleep 0.3
# qmail-send's own children: other tests' daemons may run meanwhile
left=
for p in $(echo "$kids" | awk '{ print $1 }'); do
	# a zombie has exited: whether this machine's init reaps it is not ours
	st=$(ps -o stat= -p "$p" 2>/dev/null)
	case "$st" in ''|Z*) ;; *) left="$left $p" ;; esac
done
[ -z "$left" ] && ok "companions exit with qmail-send" ||
	notok "companions exit with qmail-send (left:$left: $(ps -o pid=,args= -p "$(echo $left | tr " " ,)"))"

# templates
grep -q "PATH=\"$QHOME/bin:" "$QHOME/boot/home" && ! grep -q QMAILHOME "$QHOME/boot/home" &&
	ok "boot/home names the home" || notok "boot/home names the home"
for b in home home+df proc proc+df binm1 binm1+df binm2 binm2+df binm3 binm3+df; do
	[ -x "$QHOME/boot/$b" ] && sh -n "$QHOME/boot/$b" || notok "boot/$b installed"
done
ok "ten boot examples installed"
grep -q "qmail-start" "$QHOME/service/qmail-send/run" && grep -q "multilog t ./main" "$QHOME/service/qmail-send/log/run" &&
	! grep -q 'QMAIL' "$QHOME/service/qmail-send/run" "$QHOME/service/qmail-send/log/run" &&
	ok "service templates filled in" || notok "service templates filled in"
# the run file works: qmail-start without a logger logs to stdout
timeout 3 sh "$QHOME/service/qmail-send/run" > "$TESTTMP/runout" 2>&1
grep -q '^status: local' "$TESTTMP/runout" && ok "service run file starts qmail-send" || notok "service run file starts qmail-send"

# splogger, with a /dev/log of our own if there is none
if [ -e /dev/log ] || [ "$(id -u)" != 0 ]; then
	skip "splogger: /dev/log exists or we are not root"
else
	madelog=1
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
sys.stdout.write("ready\n"); sys.stdout.flush()
while True:
    d = s.recv(4096)
    sys.stdout.write(repr(d) + "\n"); sys.stdout.flush()
' > "$TESTTMP/syslog" &
	sockpid=$!
	sleep 0.5
	long=$(head -c 1000 /dev/zero | tr '\0' x)
	printf 'warning: hello\n\nalert: bad\001byte\nplain\n%s\n' "$long" | splogger qtag 3
	sleep 0.5
	grep -qE "<28>.*qtag: [0-9]+\.[0-9]{6} warning: hello" "$TESTTMP/syslog" && ok "splogger: tag, timestamp, warning priority" ||
		{ notok "splogger: tag, timestamp, warning priority"; cat "$TESTTMP/syslog"; }
	grep -qE "<25>.*alert: bad\?byte" "$TESTTMP/syslog" && ok "splogger: alert priority, unprintable as ?" || notok "splogger: alert priority, unprintable as ?"
	grep -qE "<30>.*[0-9] plain'" "$TESTTMP/syslog" && ok "splogger: info priority" || notok "splogger: info priority"
	grep -qE "[0-9]\+x{200}'" "$TESTTMP/syslog" && ok "splogger: long line folded with +" || notok "splogger: long line folded with +"
	[ "$(grep -c qtag "$TESTTMP/syslog")" = 5 ] && ok "splogger: blank line dropped" || notok "splogger: blank line dropped"
fi
