# tests/lib-send.sh: helpers for the qmail-send tests (sourced after lib.sh).
# send_setup installs stand-ins where needed: tests/send/fakespawn.py as
# qmail-lspawn and qmail-rspawn (always: its outcomes are scripted by the
# recipient's name), tests/send/fakeqq.c as qmail-queue when the real one
# is not in the tree.  send_start runs qmail-start with its log in $SLOG.
SPLIT=$(sed -n 1p "$QSRC/conf-split")
FS=$TESTTMP/fakespawn
SLOG=$TESTTMP/send.log
SENDPID=
export FAKESPAWN=$FS

send_setup() {
	send_stop
	reset_home
	rm -rf "$FS"; mkdir -p "$FS"; chmod 777 "$FS"
	for p in qmail-lspawn qmail-rspawn; do
		cp "$QSRC/tests/send/fakespawn.py" "$QHOME/bin/$p"
		chmod 755 "$QHOME/bin/$p"
	done
	if [ ! -f "$QSRC/qmail-queue.c" ]; then
		cc=$(sed -n 1p "$QSRC/conf-cc")
		$cc -I"$QSRC" -o "$QHOME/bin/qmail-queue" "$QSRC/tests/send/fakeqq.c" \
		    "$QSRC/lib/libq.a" || notok "build fakeqq"
		if [ "$QIDS" = system ]; then
			chown qmailq:qmail "$QHOME/bin/qmail-queue"
			chmod 4711 "$QHOME/bin/qmail-queue"
		fi
	fi
	: > "$SLOG"
}

send_start() {
	(cd / && exec env FAKESPAWN="$FS" "$QHOME/bin/qmail-start" ./Maildir/ ) >> "$SLOG" 2>&1 &
	SENDPID=$!
	wait_log 'status: local' 10 || notok "qmail-send starts"
}

send_stop() {	# TERM and wait
	[ -n "$SENDPID" ] || return 0
	kill -TERM "$SENDPID" 2>/dev/null
	_i=0
	while kill -0 "$SENDPID" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -9 "$SENDPID" 2>/dev/null
	wait "$SENDPID" 2>/dev/null
	SENDPID=
	sleep 0.2	# spawners see EOF and go
}

# wait_log ERE SECONDS [COUNT]: until the log has COUNT (1) matching lines
wait_log() {
	_n=0
	while [ $_n -lt $(($2 * 10)) ]; do
		[ "$(grep -cE "$1" "$SLOG")" -ge "${3:-1}" ] && return 0
		sleep 0.1; _n=$((_n + 1))
	done
	return 1
}

# inject SENDER RCPT...: queue a small message with qmail-queue
inject() {
	_s=$1; shift
	{ printf 'F%s\0' "$_s"; for _r; do printf 'T%s\0' "$_r"; done; printf '\0'; } > "$TESTTMP/env"
	printf 'Subject: test %s\n\nhello\n' "$*" > "$TESTTMP/msg"
	"$QHOME/bin/qmail-queue" < "$TESTTMP/msg" 1< "$TESTTMP/env"
}

# handmade ENVELOPE-PRINTF-FORMAT: a queue entry written by hand (mess,
# then todo) with the given raw todo contents; prints its number
handmade() {
	_f=$QHOME/queue/mess/0/hand.$$
	printf 'Subject: handmade\n\nhi\n' > "$_f"
	_n=$(stat -c %i "$_f")
	mv "$_f" "$QHOME/queue/mess/$((_n % SPLIT))/$_n"
	printf "$1" > "$QHOME/queue/todo/$_n"
	if [ "$QIDS" = system ]; then
		chown qmailq:qmail "$QHOME/queue/mess/$((_n % SPLIT))/$_n" "$QHOME/queue/todo/$_n"
	fi
	echo "$_n"
}

qfile() {	# qfile DIR N: path of a split queue file
	echo "$QHOME/queue/$1/$(($2 % SPLIT))/$2"
}

# the NUL-separated file as lines
records() { tr '\0' '\n' < "$1"; }

queue_empty() {
	[ -z "$(find "$QHOME/queue/mess" "$QHOME/queue/info" "$QHOME/queue/local" \
	    "$QHOME/queue/remote" "$QHOME/queue/todo" "$QHOME/queue/intd" \
	    "$QHOME/queue/bounce" -type f 2>/dev/null)" ]
}

wait_empty() {	# SECONDS
	_n=0
	while [ $_n -lt $(($1 * 10)) ]; do
		queue_empty && return 0
		sleep 0.1; _n=$((_n + 1))
	done
	return 1
}
