# tests/lib-smtpd.sh: helpers for the receiving servers' tests (smtpd_*,
# qmtpd_*, qmqp_*): a recording QMAILQUEUE, servers under tcpserver on
# 127.0.0.1 (ports 20500-20599), a raw socket client.  Source after lib.sh.

REC=$TESTTMP/rec
SRV_PIDS=
mkdir -p "$REC" && chmod 777 "$REC"

# qqrec: stands in for qmail-queue.  Saves body (fd 0) and envelope (fd 1)
# as $REC/N.body, $REC/N.env when the envelope is complete, then exits with
# the code in $REC/exitcode (default 0); for 82 it writes $REC/reason to fd 6.
QQREC=$TESTTMP/qqrec
cat > "$QQREC" <<'EOF'
#!/bin/sh
d=${QQREC_DIR:?}
n=$$.$(date +%s%N)
cat > "$d/part.$n.body"
cat <&1 > "$d/part.$n.env"
code=0
[ -f "$d/exitcode" ] && code=$(cat "$d/exitcode")
if [ "$(head -c 1 "$d/part.$n.env")" = F ] &&
   [ "$(tail -c 2 "$d/part.$n.env" | od -An -tx1 | tr -d ' ')" = 0000 ] &&
   [ "$code" = 0 ]; then
	mv "$d/part.$n.body" "$d/$n.body"; mv "$d/part.$n.env" "$d/$n.env"
else
	[ -s "$d/part.$n.env" ] && mv "$d/part.$n.env" "$d/refused.$n.env"
	rm -f "$d/part.$n.body" "$d/part.$n.env"
fi
[ "$code" = 82 ] && [ -f "$d/reason" ] && cat "$d/reason" >&6
exit "$code"
EOF
chmod 755 "$QQREC"
export QQREC_DIR="$REC"

rec_count() { ls "$REC" | grep -c '^[0-9].*\.env$'; }
rec_clear() { rm -f "$REC"/*; }
# the envelope of the only (or last) recording, NULs shown as |
rec_env() { f=$(ls -t "$REC"/[0-9]*.env 2>/dev/null | head -1); [ -n "$f" ] && tr '\0' '|' < "$f"; }
rec_body() { f=$(ls -t "$REC"/[0-9]*.body 2>/dev/null | head -1); [ -n "$f" ] && cat "$f"; }

# the ids qmail-smtpd runs as: qmaild/nofiles as root, ourselves otherwise
srv_ids() {
	if [ "$QIDS" = system ]; then
		u=$(sed -n 2p "$QSRC/conf-users"); g=$(sed -n 2p "$QSRC/conf-groups")
		echo "-u $(id -u "$u") -g $(getent group "$g" | cut -d: -f3)"
	fi
}

# start_srv PORT [tcpserver options] -- PROG...: a server in the background,
# waits until it listens; its log is $TESTTMP/srv.PORT.log
start_srv() {
	_port=$1; shift
	_opts=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do _opts="$_opts $1"; shift; done
	shift
	: > "$TESTTMP/srv.$_port.log"
	# shellcheck disable=SC2086
	tcpserver -v -RH -l mx.test.example $(srv_ids) $_opts 127.0.0.1 "$_port" "$@" \
	    2> "$TESTTMP/srv.$_port.log" &
	SRV_PIDS="$SRV_PIDS $!"
	_i=0
	while ! grep -q 'status:' "$TESTTMP/srv.$_port.log" 2>/dev/null; do
		_i=$((_i + 1)); [ $_i -gt 100 ] && { notok "tcpserver on $_port started"; cat "$TESTTMP/srv.$_port.log"; return 1; }
		sleep 0.05
	done
}

stop_srv() {
	for _p in $SRV_PIDS; do kill "$_p" 2>/dev/null; done
	for _p in $SRV_PIDS; do wait "$_p" 2>/dev/null; done
	SRV_PIDS=
}

# chat PORT [wait]: send stdin as is (all at once: pipelined), print every
# byte the server sends until it closes (or `wait` seconds of silence, 5)
CHAT=$TESTTMP/chat.py
cat > "$CHAT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1]); wait = float(sys.argv[2]) if len(sys.argv) > 2 else 5
s = socket.create_connection(('127.0.0.1', port))
data = sys.stdin.buffer.read()
try:
    s.sendall(data)
except OSError:
    pass
s.settimeout(wait)
out = b''
while True:
    try:
        b = s.recv(65536)
    except (socket.timeout, ConnectionResetError):
        break
    if not b:
        break
    out += b
sys.stdout.buffer.write(out)
EOF
chat() { python3 "$CHAT" "$@"; }

# expect NAME PATTERN FILE: ok if FILE has a line matching PATTERN (grep -E)
expect() {
	if grep -Eq -- "$2" "$3"; then ok "$1"
	else notok "$1"; echo "    wanted /$2/ in:"; sed 's/^/    /' "$3" | head -30; fi
}
expect_not() {
	if grep -Eq -- "$2" "$3"; then notok "$1"; echo "    unwanted /$2/ in:"; sed 's/^/    /' "$3" | head -30
	else ok "$1"; fi
}
# same NAME GOT WANT
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1 (got '$2', want '$3')"; fi
}
