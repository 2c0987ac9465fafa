#!/bin/sh
# kill -9 of qmail-send, then of qmail-lspawn, then of qmail-clean, each
# during a stream of messages (1,000 in all), then a restart: every
# Message-ID reaches the Maildir at least once (duplicates are counted and
# reported: at-least-once is the guarantee).  TERM leaves a consistent
# queue: qmail-qread and qmail-qstat agree, and a restart finishes it.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
. "$QSRC/tests/lib-chain.sh"
injector=
trap 'send_stop; [ -n "$injector" ] && kill "$injector" 2>/dev/null' EXIT
chain_setup
A=$CH/alice
N=1000
chain_start

# stream FROM TO: qmail-inject messages FROM..TO-1, one Message-ID each
stream() {
	_i=$1
	while [ "$_i" -lt "$2" ]; do
		printf 'From: bob@test.example\nTo: alice@test.example\nSubject: n%s\nMessage-ID: <crash%s@chain>\n\nbody %s\n' \
		    "$_i" "$_i" "$_i" |
		    env QMAILUSER=bob QMAILHOST=test.example qmail-inject -fbob@test.example alice@test.example ||
		    echo "$_i" >> "$TESTTMP/injectfail"
		_i=$((_i + 1))
	done
}

# daemon NAME: the pid of qmail-start's child NAME
daemon() { ps -o pid=,args= --ppid "$SENDPID" | awk -v n="$1" '$2 ~ n { print $1; exit }'; }

rm -f "$TESTTMP/injectfail"
step=0
for victim in qmail-send qmail-lspawn qmail-clean; do
	from=$((step * N / 3)) to=$(((step + 1) * N / 3))
	[ $step = 2 ] && to=$N
	stream "$from" "$to" &
	injector=$!
	wait_log '^starting delivery' 30 $((from + 60)) || notok "deliveries under way before killing $victim"
	if [ $victim = qmail-send ]; then pid=$SENDPID; else pid=$(daemon "$victim"); fi
	if [ -n "$pid" ] && kill -9 "$pid"; then
		_n=0
		while kill -0 "$SENDPID" 2>/dev/null && [ $_n -lt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
		kill -0 "$SENDPID" 2>/dev/null && notok "qmail-send exits when $victim dies" ||
			ok "kill -9 $victim mid-stream: the daemon set goes down"
		wait "$SENDPID" 2>/dev/null; SENDPID=
		sleep 0.3
		chain_start
	else
		notok "found $victim to kill"
	fi
	wait "$injector"; injector=
	step=$((step + 1))
done
[ ! -e "$TESTTMP/injectfail" ] && ok "all $N messages queued by qmail-inject" ||
	notok "all $N messages queued ($(wc -l < "$TESTTMP/injectfail") failed)"
wait_empty 120 && ok "queue empties after the restarts" || { notok "queue empties"; qmail-qstat; }
mlist "$A/Maildir" | xargs mhdr -h message-id | sort > "$TESTTMP/ids"
uniq "$TESTTMP/ids" > "$TESTTMP/uids"
got=$(wc -l < "$TESTTMP/uids") dup=$(($(wc -l < "$TESTTMP/ids") - got))
i=0
while [ $i -lt $N ]; do echo "<crash$i@chain>"; i=$((i + 1)); done | sort > "$TESTTMP/want"
[ "$(wc -l < "$TESTTMP/want")" = $N ] || notok "the list of Message-IDs"
lost=$(comm -23 "$TESTTMP/want" "$TESTTMP/uids" | wc -l)
[ "$lost" = 0 ] && ok "every Message-ID delivered at least once ($got distinct, $dup duplicates)" ||
	notok "every Message-ID delivered at least once ($lost lost, $dup duplicates)"
echo "# duplicates after three kill -9: $dup"

# TERM mid-stream: a consistent queue
send_stop
mkdir -p "$A/slow"
printf '|sleep 0.05\n./Maildir/\n' | uput "$A/.qmail-slow" 644
: > "$SLOG"
chain_start
i=0
while [ $i -lt 100 ]; do
	printf 'Subject: t%s\nMessage-ID: <term%s@chain>\n\nx\n' $i $i |
	    env QMAILUSER=bob QMAILHOST=test.example qmail-inject -fbob@test.example alice-slow@test.example
	i=$((i + 1))
done
wait_log '^delivery ' 20 10
kill -TERM "$SENDPID"
_n=0
while kill -0 "$SENDPID" 2>/dev/null && [ $_n -lt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
kill -0 "$SENDPID" 2>/dev/null && notok "qmail-send exits on TERM" || ok "qmail-send exits on TERM"
grep -q '^status: exiting' "$SLOG" && ok "TERM: status: exiting logged" || notok "TERM: status: exiting logged"
wait "$SENDPID" 2>/dev/null; SENDPID=
sleep 0.5
qs=$(qmail-qstat) qr=$(qmail-qread)
inq=$(echo "$qs" | sed -n 's/^messages in queue: //p')
pre=$(echo "$qs" | sed -n 's/^messages in queue but not yet preprocessed: //p')
listed=$(echo "$qr" | grep -c '^[0-9].* #[0-9]')
[ -n "$inq" ] && [ "$inq" -gt 0 ] && [ $((inq - pre)) = "$listed" ] &&
	ok "after TERM: qmail-qstat ($inq queued, $pre unprocessed) agrees with qmail-qread ($listed listed)" ||
	{ notok "after TERM: qmail-qstat agrees with qmail-qread"; echo "$qs"; echo "$qr" | head; }
left=$(echo "$qr" | grep -c '	local	alice-slow@test.example$')
done=$(nmail "$A/Maildir")
[ $((done - N - dup + left + pre)) -ge 100 ] && ok "after TERM: delivered + pending covers every message" ||
	notok "after TERM: delivered ($((done - N - dup))) + pending ($left + $pre) < 100"
chain_start
wait_empty 60 && ok "restart after TERM finishes the queue" || notok "restart after TERM finishes the queue"
n=$(mlist "$A/Maildir" | xargs mhdr -h message-id | grep -c '^<term')
m=$(mlist "$A/Maildir" | xargs mhdr -h message-id | grep '^<term' | sort -u | wc -l)
[ "$m" = 100 ] && ok "every message after TERM delivered ($n copies of 100)" || notok "every message after TERM delivered ($m of 100)"
