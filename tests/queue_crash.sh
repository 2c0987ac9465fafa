# qmail-queue under failed writes, failed fsyncs, a full disk and kills at
# chosen system calls: it exits 53 (or the documented code) and leaves
# nothing, and never a todo without a complete mess and intd.
. "$QTOP/tests/lib.sh" 2>/dev/null || . tests/lib.sh
. "$QSRC/tests/lib-queue.sh"
reset_home
T=$TESTTMP/qc
mkdir -p "$T"; chmod 755 "$T"
mnt=
trap '[ -n "$mnt" ] && umount "$mnt" 2>/dev/null' EXIT
printf 'Subject: crash\n\nbody\n' > "$T/body"
printf 'Fs@example.test\0Tr@example.test\0\0' > "$T/env"

if ! command -v strace >/dev/null 2>&1; then
	skip "strace tests: no strace"
	exit 0
fi
# strace of a setuid program runs it with the caller's ids; that is all
# these failure paths need
st() { strace -o /dev/null -e trace=link,linkat,write,fsync,unlink "$@" "$QQ" < "$T/body" 1< "$T/env"; }

inject() {	# name inject-spec wantcode
	queue_empty
	st -e inject="$2"; rc=$?
	check "$1 gives $3 (got $rc)" test "$rc" = "$3"
	if queue_clean; then ok "$1 leaves nothing in the queue"
	else notok "$1 leaves nothing in the queue"; find "$QHOME/queue/pid" "$QHOME/queue/mess" "$QHOME/queue/intd" "$QHOME/queue/todo" -type f | sed 's/^/    /'; fi
}

queue_empty
strace -o "$T/count" -c -e trace=write,fsync,read "$QQ" < "$T/body" 1< "$T/env"
check "a plain run exits 0 under strace" test $? = 0
fs=$(awk '$NF == "fsync" { print $4 }' "$T/count")
wr=$(awk '$NF == "write" { print $4 }' "$T/count")
check "three fsyncs: mess, intd, the todo directory (got $fs)" test "$fs" = 3
check "two writes for a small message: body and envelope (got $wr)" test "$wr" = 2
check "its todo is consistent" todo_consistent

inject "EIO from fsync of mess" fsync:error=EIO:when=1 53
inject "EIO from fsync of intd" fsync:error=EIO:when=2 53
inject "EIO from fsync of the todo directory" fsync:error=EIO:when=3 53
inject "ENOSPC writing the body" write:error=ENOSPC:when=1 53
inject "EDQUOT writing the body" write:error=EDQUOT:when=1 53
inject "EIO writing the body" write:error=EIO:when=1 53
inject "ENOSPC writing intd" write:error=ENOSPC:when=2 53
inject "a failed link into mess" link,linkat:error=EIO:when=1 64
inject "a failed link into todo" link,linkat:error=EIO:when=2 66
inject "a failed unlink of the pid file" unlink:error=EIO:when=1 63

# a body larger than one buffer: a later write fails
head -c 200000 /dev/zero > "$T/bigbody"
queue_empty
strace -o /dev/null -e trace=write -e inject=write:error=ENOSPC:when=3 "$QQ" < "$T/bigbody" 1< "$T/env"; rc=$?
check "ENOSPC on the third body write gives 53 (got $rc)" test "$rc" = 53
check "and leaves nothing" queue_clean

# kill -9 at each step: never a todo without its mess and intd
for sc in write fsync link unlink; do
	for w in 1 2 3; do
		queue_empty
		strace -o /dev/null -e trace=link,linkat,write,fsync,unlink -e inject="$sc:signal=KILL:when=$w" "$QQ" < "$T/body" 1< "$T/env" 2>/dev/null
		rc=$?
		if todo_consistent > "$T/why" 2>&1 && [ "$(qcount pid)" -le 1 ]; then
			[ "$(qcount todo)" = 1 ] && kept="todo left" || kept="no todo"
			ok "SIGKILL at $sc #$w: consistent ($kept)"
		else
			notok "SIGKILL at $sc #$w: consistent"; sed 's/^/    /' "$T/why"
		fi
		[ "$rc" = 0 ] && [ "$(qcount todo)" = 0 ] && notok "SIGKILL at $sc #$w: exit 0 without todo"
	done
done
queue_empty

# a real full disk: the queue on a tiny tmpfs (root only)
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=96k,mode=750 qmtest "$QHOME/queue" 2>/dev/null; then
	mnt="$QHOME/queue"
	(cd "$QSRC" && sh tools/install.sh setup) > "$T/inst" 2>&1
	printf 'Fs@example.test\0Tr@example.test\0\0' > "$T/env"
	check_exit "a small message fits on the small disk" 0 qq "$T/body" "$T/env"
	queue_empty
	head -c 400000 /dev/urandom > "$T/huge"
	check_exit "a message larger than the disk gives 53" 53 qq "$T/huge" "$T/env"
	check "the full disk leaves nothing behind" queue_clean
	check_exit "after that the disk takes a small message again" 0 qq "$T/body" "$T/env"
	queue_empty
	umount "$mnt" && mnt=
else
	skip "full tmpfs disk: needs root and mount"
fi
exit 0
