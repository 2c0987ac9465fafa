# tests/lib-queue.sh: helpers for the qmail-queue, qmail-inject and
# sendmail scripts.  Source after tests/lib.sh.

QQ="$QHOME/bin/qmail-queue"

# qq BODYFILE ENVFILE: run qmail-queue with the body on fd 0 and the
# envelope on fd 1; prints nothing, returns its exit status
qq() { "$QQ" < "$1" 1< "$2"; }

# qq_as USER BODYFILE ENVFILE
qq_as() { _u=$1; shift; as_user "$_u" sh -c '"$0" < "$1" 1< "$2"' "$QQ" "$@"; }

# the number of files under queue/DIR
qcount() { queue_files "$1" | wc -l | tr -d ' '; }

# no file at all in pid, mess, intd, todo
queue_clean() {
	[ "$(qcount pid)$(qcount mess)$(qcount intd)$(qcount todo)" = 0000 ]
}

# every todo/N has an identical intd/N (one inode) and a mess/S/N whose
# inode is N: the invariant qmail-queue must never break
todo_consistent() {
	split=$(sed -n 1p "$QSRC/conf-split")
	for t in $(queue_files todo); do
		n=${t##*/}
		[ -f "$QHOME/queue/intd/$n" ] || { echo "todo/$n without intd"; return 1; }
		[ "$(stat -c %i "$t")" = "$(stat -c %i "$QHOME/queue/intd/$n")" ] ||
			{ echo "todo/$n is not intd/$n"; return 1; }
		m="$QHOME/queue/mess/$((n % split))/$n"
		[ -f "$m" ] || { echo "todo/$n without mess"; return 1; }
		[ "$(stat -c %i "$m")" = "$n" ] || { echo "mess/$n has another inode"; return 1; }
		head -c 19 "$m" | grep -q '^Received: (qmail ' || { echo "mess/$n is incomplete"; return 1; }
		tr '\0' '\n' < "$t" | grep -q '^F' || { echo "todo/$n has no sender"; return 1; }
	done
	return 0
}

# empty the queue directories qmail-queue writes
queue_empty() {
	for d in pid intd todo mess; do
		find "$QHOME/queue/$d" -type f -exec rm -f {} + 2>/dev/null
	done
}

# a QMAILQUEUE stand-in that records the message and envelope in
# $CAP.msg and $CAP.env and exits $CAPEXIT (default 0)
make_capture() {
	cat > "$TESTTMP/capture-qq" <<'CAP'
#!/bin/sh
cat > "$CAP.msg" || exit 54
cat <&1 > "$CAP.env" || exit 54
exit "${CAPEXIT:-0}"
CAP
	chmod 755 "$TESTTMP/capture-qq"
	CAP="$TESTTMP/cap"
	export CAP
}

# the captured envelope, one field a line
cap_env() { tr '\0' '\n' < "$CAP.env" | sed '/^$/d'; }
