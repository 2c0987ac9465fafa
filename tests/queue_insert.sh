# qmail-queue: one message into the queue, the files it leaves, its exit
# codes (man/qmail-queue.8)
. "$QTOP/tests/lib.sh" 2>/dev/null || . tests/lib.sh
. "$QSRC/tests/lib-queue.sh"
reset_home
T=$TESTTMP/qi
mkdir -p "$T"
chmod 755 "$T"
trap 'chmod 750 "$QHOME/queue" 2>/dev/null; for d in pid intd todo; do chmod 700 "$QHOME/queue/$d"; done; chmod 750 "$QHOME/queue/todo"; [ -d "$QHOME.moved" ] && mv "$QHOME.moved" "$QHOME"' EXIT
split=$(sed -n 1p "$QSRC/conf-split")
myuid=$(id -u)

printf 'Subject: hi\n\nhello\n' > "$T/body"
printf 'Fsender@example.test\0Talice@example.test\0Tbob@example.test\0\0' > "$T/env"
chmod 644 "$T/body" "$T/env"

queue_empty
check_exit "qmail-queue accepts a message" 0 qq "$T/body" "$T/env"
if [ "$(qcount mess)$(qcount intd)$(qcount todo)$(qcount pid)" = 1110 ]; then
	ok "one mess, one intd, one todo, nothing in pid"
else
	notok "one mess, one intd, one todo, nothing in pid"
	find "$QHOME/queue" -type f | sed 's/^/    /'
fi
m=$(queue_files mess); n=${m##*/}
check "mess is named by its inode" test "$(stat -c %i "$m")" = "$n"
check "mess sits in split dir N % conf-split" test "$m" = "$QHOME/queue/mess/$((n % split))/$n"
check "todo and intd are one file" test "$(stat -c %i "$QHOME/queue/todo/$n")" = "$(stat -c %i "$QHOME/queue/intd/$n")"
check "todo invariant" todo_consistent
tr '\0' '\n' < "$QHOME/queue/todo/$n" > "$T/fields"
qpid=$(sed -n 2p "$T/fields" | sed 's/^p//')
printf 'u%s\np%s\nFsender@example.test\nTalice@example.test\nTbob@example.test\n' "$myuid" "$qpid" > "$T/want"
check "todo holds u, p, F, T records" cmp "$T/fields" "$T/want"
check "todo ends with one NUL, not two" test "$(tail -c 2 "$QHOME/queue/todo/$n" | od -An -tx1 | tr -d ' ')" = 7400
head -n 1 "$m" > "$T/recv"
if grep -Eq "^Received: \(qmail $qpid invoked by uid $myuid\); [0-9]{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} -0000$" "$T/recv"; then
	ok "Received line: (qmail PID invoked by uid UID); date"
else notok "Received line: (qmail PID invoked by uid UID); date"; sed 's/^/    /' "$T/recv"; fi
tail -n +2 "$m" > "$T/rest"
check "the body follows the Received line unchanged" cmp "$T/rest" "$T/body"
if [ "$QIDS" = system ]; then
	check "queue files belong to qmailq" test "$(stat -c %U "$m")" = qmailq
	check "mess mode 644" test "$(stat -c %a "$m")" = 644
fi

# Received variants by real uid (system ids only)
if [ "$QIDS" = system ]; then
	u=$(test_user)
	for pair in "qmaild:invoked from network" "alias:invoked by alias" "qmails:invoked for bounce" "$u:invoked by uid $(id -u "$u")"; do
		who=${pair%%:*} want=${pair#*:}
		queue_empty
		if qq_as "$who" "$T/body" "$T/env" && head -n 1 "$(queue_files mess)" | grep -q "^Received: (qmail [0-9]* $want); "; then
			ok "Received says '$want' for $who"
		else notok "Received says '$want' for $who"; head -n 1 "$(queue_files mess)" | sed 's/^/    /'; fi
	done
else
	skip "Received variants per uid: need system ids (root)"
fi

# big body, binary bytes, no final newline
queue_empty
head -c 300000 /dev/urandom > "$T/big"
check_exit "a 300 kB binary body is queued" 0 qq "$T/big" "$T/env"
tail -c +2 "$(queue_files mess)" | tail -c 300000 > "$T/bigback"
check "the binary body is kept byte for byte" cmp "$T/big" "$T/bigback"

# envelope edge cases
queue_empty
printf 'F\0\0' > "$T/env0"
check_exit "null sender and no recipient: accepted as qmail 1.03 does" 0 qq "$T/body" "$T/env0"
check "zero-recipient todo is u, p, F only" test "$(tr '\0' '\n' < "$(queue_files todo)" | sed -n 3,9p)" = F
queue_empty
printf 'Fa@b\0Tc@d\0\0trailing junk never read' > "$T/envj"
check_exit "bytes after the final NUL are ignored" 0 qq "$T/body" "$T/envj"

bad_env() {	# name bytes(printf) code
	queue_empty
	printf "$2" > "$T/envx"
	check_exit "$1 gives $3" "$3" qq "$T/body" "$T/envx"
	if queue_clean; then ok "$1 leaves nothing in the queue"
	else notok "$1 leaves nothing in the queue"; find "$QHOME/queue/pid" "$QHOME/queue/mess" "$QHOME/queue/intd" "$QHOME/queue/todo" -type f | sed 's/^/    /'; fi
}
bad_env "an empty envelope" '' 91
bad_env "a missing F" 'Ta@b\0\0' 91
bad_env "a bad record letter" 'Fa@b\0Xc@d\0\0' 91
bad_env "no final NUL" 'Fa@b\0Tc@d\0' 91
bad_env "an unterminated recipient" 'Fa@b\0Tc@d' 91
bad_env "an unterminated sender" 'Fa@b' 91
long=$(head -c 1001 /dev/zero | tr '\0' x)
ok1000=$(head -c 1000 /dev/zero | tr '\0' x)
bad_env "a 1001-byte recipient" "Fa@b\0T$long\0\0" 11
bad_env "a 1001-byte sender" "F$long\0Tc@d\0\0" 11
queue_empty
printf "F$ok1000\0T$ok1000\0\0" > "$T/env1000"
check_exit "1000-byte addresses are fine" 0 qq "$T/body" "$T/env1000"
queue_empty
python3 -c 'import sys; sys.stdout.buffer.write(b"Fa@b\0" + b"Tr@x\0" * 100001 + b"\0")' > "$T/envmany"
check_exit "more than 100000 recipients gives 91" 91 qq "$T/body" "$T/envmany"
check "too many recipients leaves nothing" queue_clean

# unreadable input
queue_empty
check_exit "fd 0 closed gives 54" 54 sh -c '"$0" <&- 1< "$1"' "$QQ" "$T/env"
# (the C library of a setuid program reopens a closed fd 1 on /dev/null:
# then the envelope is empty, 91)
sh -c '"$0" < "$1" 1>&-' "$QQ" "$T/body"; rc=$?
check "fd 1 closed gives 54 or 91 (got $rc)" test "$rc" = 54 -o "$rc" = 91
check_exit "a body that cannot be read gives 54" 54 sh -c '"$0" < / 1< "$1"' "$QQ" "$T/env"
check_exit "an envelope that cannot be read gives 54" 54 sh -c '"$0" < "$1" 1>/dev/null' "$QQ" "$T/body"
check "read errors leave nothing" queue_clean

# broken queue directories (the effective uid is qmailq, so modes bite
# even for root; a single-user build as root is not restricted)
if [ "$QIDS" = system ] || [ "$(id -u)" != 0 ]; then
	dirfail() {	# name dir mode code
		queue_empty
		chmod "$3" "$QHOME/queue/$2"
		check_exit "$1 gives $4" "$4" qq "$T/body" "$T/env"
		case "$2" in mess/*) chmod 750 "$QHOME/queue/$2" ;; queue|.) chmod 750 "$QHOME/queue" ;; todo) chmod 750 "$QHOME/queue/todo" ;; *) chmod 700 "$QHOME/queue/$2" ;; esac
		if queue_clean; then ok "$1 leaves nothing behind"
		else notok "$1 leaves nothing behind"; find "$QHOME/queue/pid" "$QHOME/queue/mess" "$QHOME/queue/intd" "$QHOME/queue/todo" -type f | sed 's/^/    /'; fi
	}
	dirfail "an unusable queue dir" . 0 62
	dirfail "an unwritable pid dir" pid 500 63
	i=0; while [ $i -lt "$split" ]; do chmod 550 "$QHOME/queue/mess/$i"; i=$((i + 1)); done
	queue_empty
	check_exit "unwritable mess dirs give 64" 64 qq "$T/body" "$T/env"
	i=0; while [ $i -lt "$split" ]; do chmod 750 "$QHOME/queue/mess/$i"; i=$((i + 1)); done
	check "mess failure leaves nothing behind" queue_clean
	dirfail "an unwritable intd dir" intd 500 65
	dirfail "an unwritable todo dir" todo 550 66
	cp -p "$QQ" "$T/qq-copy"
	mv "$QHOME" "$QHOME.moved"
	check_exit "a missing home gives 61" 61 sh -c '"$0" < "$1" 1< "$2"' "$T/qq-copy" "$T/body" "$T/env"
	mv "$QHOME.moved" "$QHOME"
else
	skip "queue directory permission failures: root in a single-user build is not restricted"
fi

# signals: the 24-hour alarm (sent early), a fault, and a TERM that is
# blocked while the message is written
sigtest() {	# name signal wantcode
	queue_empty
	rm -f "$T/fifo"; mkfifo "$T/fifo"
	"$QQ" < "$T/fifo" 1< "$T/env" &
	qpid=$!
	exec 7> "$T/fifo"
	printf 'partial' >&7
	i=0; while [ "$(qcount mess)" = 0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -"$2" "$qpid" 2>/dev/null
	sleep 0.3
	if [ "$3" = blocked ]; then
		if kill -0 "$qpid" 2>/dev/null; then ok "$1: still running"; else notok "$1: still running"; fi
		printf ' rest\n' >&7; exec 7>&-
		wait "$qpid"; rc=$?
		check "$1: then queues normally (exit $rc)" test "$rc" = 0
		check "$1: the todo invariant holds" todo_consistent
	else
		exec 7>&-
		wait "$qpid"; rc=$?
		check "$1 gives $3 (got $rc)" test "$rc" = "$3"
		check "$1 leaves nothing behind" queue_clean
	fi
}
sigtest "SIGALRM (the 24-hour limit)" ALRM 52
sigtest "SIGSEGV" SEGV 81
sigtest "SIGTERM during the body" TERM blocked
sigtest "SIGHUP during the body" HUP blocked
queue_empty
exit 0
