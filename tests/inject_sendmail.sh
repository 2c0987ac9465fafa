# sendmail: the compatible command line (man/sendmail.8), and the whole
# path sendmail -> qmail-inject -> qmail-queue into state S4
. "$QTOP/tests/lib.sh" 2>/dev/null || . tests/lib.sh
. "$QSRC/tests/lib-queue.sh"
reset_home
T=$TESTTMP/sm
mkdir -p "$T"; chmod 755 "$T"
stubs=
trap 'for s in $stubs; do rm -f "$s"; done' EXIT
unset QMAILHOST MAILHOST QMAILNAME MAILNAME NAME QMAILSUSER QMAILSHOST QMAILINJECT QMAILQUEUE MAILUSER QMAILUSER
export USER=tester LOGNAME=tester
printf 'example.test\n' > "$QHOME/control/defaulthost"
split=$(sed -n 1p "$QSRC/conf-split")

# the whole path, real qmail-queue
queue_empty
echo test | sendmail alice@example.test; rc=$?
check "echo test | sendmail alice@example.test exits 0 (got $rc)" test "$rc" = 0
if [ "$(qcount mess)$(qcount intd)$(qcount todo)$(qcount pid)" = 1110 ]; then
	ok "one message in state S4: mess, intd, todo; nothing in pid"
else notok "one message in state S4: mess, intd, todo; nothing in pid"; find "$QHOME/queue" -type f | sed 's/^/    /'; fi
check "the todo invariant holds" todo_consistent
t=$(queue_files todo); n=${t##*/}
tr '\0' '\n' < "$t" > "$T/f"
qp=$(sed -n 2p "$T/f" | cut -c2-)
printf 'u%s\np%s\nFtester@example.test\nTalice@example.test\n' "$(id -u)" "$qp" > "$T/want"
check "todo: u<uid> p<pid> Ftester@example.test Talice@example.test" cmp "$T/f" "$T/want"
m="$QHOME/queue/mess/$((n % split))/$n"
check "mess starts with qmail-queue's Received line" grep -Eq "^Received: \(qmail $qp invoked by uid $(id -u)\); " "$m"
check "mess has the added From:" grep -q '^From: tester@example.test$' "$m"
check "mess ends with the body" test "$(tail -n 1 "$m")" = test
queue_empty

# options, through a capturing QMAILQUEUE
make_capture
export QMAILQUEUE="$TESTTMP/capture-qq"
sm() { rm -f "$CAP.msg" "$CAP.env"; sendmail "$@" > "$T/out" 2> "$T/err"; }
rcpts() { cap_env | sed 1d | tr '\n' ' '; }
printf 'To: hdr@x.example\nSubject: s\n\nbody\n.\nmore\n' > "$T/msg"

sm r1@y.example < "$T/msg"
check "without -t only the arguments are recipients" test "$(rcpts)" = "Tr1@y.example "
sm -t < "$T/msg"
check "-t takes recipients from the header" test "$(rcpts)" = "Thdr@x.example "
sm -t r1@y.example < "$T/msg"
check "-t with arguments: both" test "$(rcpts)" = "Tr1@y.example Thdr@x.example "
sm -f bounce@b.example r1@y.example < "$T/msg"
check "-f sets the envelope sender" test "$(cap_env | head -1)" = Fbounce@b.example
sm -fbounce2@b.example r1@y.example < "$T/msg"
check "-fsender attached" test "$(cap_env | head -1)" = Fbounce2@b.example
sm -r old@b.example r1@y.example < "$T/msg"
check "-r is -f" test "$(cap_env | head -1)" = Fold@b.example
sm -f '<>' r1@y.example < "$T/msg"
check "-f '<>' gives the null sender" test "$(cap_env | head -1)" = F
sm -F 'Full Name' r1@y.example < "$T/msg"
check "-F sets the From: name" grep -q '^From: "Full Name" <tester@example.test>$' "$CAP.msg"
sm -i r1@y.example < "$T/msg"
check "-i: a line with a lone dot stays in the body" test "$(sed '1,/^$/d' "$CAP.msg" | tr '\n' ' ')" = "body . more "
sm -oi r1@y.example < "$T/msg"
check "-oi: the same" test "$(sed '1,/^$/d' "$CAP.msg" | tr '\n' ' ')" = "body . more "
sm r1@y.example < "$T/msg"
check "without -i a lone dot does not end the message either" test "$(sed '1,/^$/d' "$CAP.msg" | tr '\n' ' ')" = "body . more "
sm -v -om -oem -oee -B8BITMIME -N never -R hdrs -U -L tag -X "$T/log" -C /etc/none -V envid -h 5 -p smtp:host -bm -i -m -G -n -x -Ooption=1 -e m r1@y.example < "$T/msg"; rc=$?
check "ignored options: -v -om -oe* -B -N -R -U -L -X -C -V -h -p -bm -m -G -n -x -O -e (exit $rc)" test "$rc" = 0 -a "$(rcpts)" = "Tr1@y.example "
check "-X writes no log file" test ! -e "$T/log"
sm -i -- -dash@y.example < "$T/msg"
check "-- ends the options" test "$(rcpts)" = "T-dash@y.example "
sm r1@y.example -f late@b.example < "$T/msg"
check "options end at the first recipient" test "$(rcpts)" = "Tr1@y.example T-f@example.test Tlate@b.example "
sm < "$T/msg"; rc=$?
check "no recipient and no -t: exit 100 (got $rc)" test "$rc" = 100
sm -bd; rc=$?
check "-bd (daemon mode) is refused with 100 (got $rc)" test "$rc" = 100
sm -f; rc=$?
check "-f without its argument: 100 (got $rc)" test "$rc" = 100
sm -q; rc=$?
check "-q exits 0 (got $rc)" test "$rc" = 0
check "-q says how qmail-send retries" grep -q 'SIGALRM' "$T/err"

# -bp / mailq, -bs: the programs they run (stand-ins if not built yet)
stub() {	# name: a stand-in that prints its name and the relevant env
	if [ ! -e "$QHOME/bin/$1" ]; then
		printf '#!/bin/sh\necho "stub %s RELAYCLIENT=${RELAYCLIENT-unset} TCPREMOTEIP=${TCPREMOTEIP-unset}"\n' "$1" > "$QHOME/bin/$1"
		chmod 755 "$QHOME/bin/$1"
		stubs="$stubs $QHOME/bin/$1"
		return 0
	fi
	return 1
}
if stub qmail-qread; then
	sendmail -bp > "$T/out" 2>&1
	check "-bp runs qmail-qread" grep -q '^stub qmail-qread' "$T/out"
	ln -sf "$QHOME/bin/sendmail" "$T/mailq"
	"$T/mailq" > "$T/out" 2>&1
	check "run as mailq, it runs qmail-qread" grep -q '^stub qmail-qread' "$T/out"
else
	check_exit "-bp runs qmail-qread" 0 sendmail -bp
fi
if stub qmail-smtpd; then
	sendmail -bs > "$T/out" 2>&1 < /dev/null
	check "-bs runs qmail-smtpd as a trusted local client" grep -q '^stub qmail-smtpd RELAYCLIENT= TCPREMOTEIP=127.0.0.1' "$T/out"
else
	printf 'QUIT\r\n' | sendmail -bs > "$T/out" 2>&1
	check "-bs runs qmail-smtpd (220 greeting)" grep -q '^220' "$T/out"
fi
mkdir -p "$T/path"
printf '#!/bin/sh\necho wrong newaliases\n' > "$T/path/newaliases"; chmod 755 "$T/path/newaliases"
printf '#!/bin/sh\necho ran newaliases\n' > "$QHOME/bin/newaliases"; chmod 755 "$QHOME/bin/newaliases"
PATH="$T/path:$PATH" sendmail -bi > "$T/out" 2>&1
check "-bi runs the home's bin/newaliases" grep -q '^ran newaliases' "$T/out"
check "-bi never takes newaliases from PATH (another mailer's)" sh -c "! grep -q wrong '$T/out'"
rm -f "$QHOME/bin/newaliases"
ln -sf "$QHOME/bin/sendmail" "$QHOME/bin/newaliases"
timeout 10 sendmail -bi > "$T/out" 2>&1; rc=$?
rm -f "$QHOME/bin/newaliases"
check "a newaliases that is sendmail itself does not loop (exit $rc)" test "$rc" = 111
check "... and says why" grep -q 'newaliases is this program' "$T/out"
exit 0
