#!/bin/sh
# Load: Postfix's smtp-source sends 10,000 messages of 2 KiB over 50
# parallel sessions, one message per connection, through tcpserver into
# qmail-smtpd, the real qmail-queue and the real qmail-send, qmail-lspawn
# and qmail-local, which deliver them to a Maildir.  smtp-source -N puts a
# sequence number in front of every recipient ("123load@example.test"),
# and qmail-local writes that address into the Delivered-To line, so the
# Maildir must hold each of the numbers 1..10000 exactly once.  Ports
# 21100-21109.  Not a benchmark: the only clock is a 10-minute ceiling.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
. "$QSRC/tests/lib-smtpd.sh"

N=${LOAD_N:-10000}
CONC=50
PORT=21100
LIMIT=600	# seconds from the first connection to an empty queue

for t in tcpserver python3; do
	command -v $t > /dev/null || { skip "load: $t is not installed"; exit 0; }
done
SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
[ -x "$SOURCE" ] || { skip "load: smtp-source (postfix) is not installed"; exit 0; }

trap 'stop_srv; send_stop; rm -rf "$QHOME/alias/Maildir" "$QHOME/alias/.qmail-default"' EXIT
trap 'exit 1' INT TERM HUP
reset_home
echo test.example > "$QHOME/control/me"
echo example.test > "$QHOME/control/locals"
echo example.test > "$QHOME/control/rcpthosts"
# 20 local deliveries at once: the spawner's limit is conf-spawn, the
# default of 10 would make the test slower than it needs to be
echo 20 > "$QHOME/control/concurrencylocal"

# Every "NNNload" address has no user of its own: qmail-lspawn gives it to
# the alias user, whose .qmail-default delivers into its Maildir.
A=$QHOME/alias
MD=$A/Maildir
rm -rf "$MD"	# an earlier test may have left mail there
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
echo ./Maildir/ > "$A/.qmail-default"
chmod 644 "$A/.qmail-default"
if [ "$QIDS" = system ]; then
	chown -R alias:qmail "$MD" "$A/.qmail-default"
fi

: > "$SLOG"	# the counts below are of this run only
send_start
start_srv $PORT -c 100 -b 256 -- "$QHOME/bin/qmail-smtpd" || exit 1

t0=$(date +%s)
# -N: number each recipient; -l: 2 KiB body; one message per session
timeout $LIMIT "$SOURCE" -N -s $CONC -m "$N" -l 2048 -f sender@remote.example \
    -t load@example.test -M client.example "127.0.0.1:$PORT" \
    > "$TESTTMP/source.out" 2>&1
rc=$?
t1=$(date +%s)
if [ $rc = 0 ] && [ ! -s "$TESTTMP/source.out" ]; then
	ok "load: smtp-source sends $N messages at concurrency $CONC without an error ($((t1 - t0)) s)"
else
	notok "load: smtp-source sends $N messages at concurrency $CONC without an error (exit $rc)"
	head -n 20 "$TESTTMP/source.out" | sed 's/^/    /'
fi

# delivered: every file in new/, until the queue is empty or time is up
left=$((LIMIT - (t1 - t0)))
[ $left -gt 0 ] || left=1
i=0
while [ $i -lt $((left * 2)) ]; do
	[ "$(ls "$MD/new" | wc -l)" -ge "$N" ] && queue_empty && break
	sleep 0.5; i=$((i + 1))
done
t2=$(date +%s)
sleep 1	# a duplicate delivery would show up now
got=$(ls "$MD/new" | wc -l)
if queue_empty && [ "$got" -ge "$N" ]; then
	ok "load: all delivered and the queue empty within $LIMIT s ($((t2 - t0)) s)"
else
	notok "load: all delivered and the queue empty within $LIMIT s ($got in new/ after $((t2 - t0)) s)"
	tail -n 5 "$SLOG" | sed 's/^/    /'
fi
same "load: the Maildir holds exactly $N messages" "$got" "$N"
[ -z "$(ls "$MD/tmp")" ] && ok "load: nothing left in Maildir/tmp" ||
	notok "load: nothing left in Maildir/tmp ($(ls "$MD/tmp" | wc -l))"

# exactly once: each number 1..N in exactly one Delivered-To line, and
# each message whole (its 2 KiB body, our Received line)
python3 - "$MD/new" "$N" > "$TESTTMP/ids.out" 2>&1 <<'PY'
import os, re, sys
d, n = sys.argv[1], int(sys.argv[2])
seen = {}
bad = []
bodies = set()
for f in os.listdir(d):
    raw = open(os.path.join(d, f), 'rb').read()
    head, _, body = raw.partition(b'\n\n')
    ids = re.findall(rb'^Delivered-To: .*?(\d+)load@example\.test$', head, re.M)
    if len(ids) != 1:
        bad.append((f, 'Delivered-To lines: %d' % len(ids)))
        continue
    if not re.search(rb'^Received: from unknown \(HELO client\.example\) '
                     rb'\(127\.0\.0\.1\)\n  by mx\.test\.example with SMTP; ', head, re.M):
        bad.append((f, 'no Received line from qmail-smtpd'))
    bodies.add(body)
    k = int(ids[0])
    seen.setdefault(k, []).append(f)
dups = sorted(k for k, v in seen.items() if len(v) > 1)
missing = sorted(set(range(1, n + 1)) - set(seen))
extra = sorted(set(seen) - set(range(1, n + 1)))
print('distinct %d duplicated %d missing %d out-of-range %d malformed %d'
      % (len(seen), len(dups), len(missing), len(extra), len(bad)))
for what, l in (('duplicated', dups), ('missing', missing), ('out of range', extra)):
    if l:
        print(what, l[:10])
# smtp-source sends the same 2 KiB body every time
if len(bodies) != 1 or len(min(bodies, key=len)) < 2000:
    bad.append(('bodies', '%d different, shortest %d bytes'
                % (len(bodies), min(map(len, bodies), default=0))))
for b in bad[:10]:
    print('malformed', *b)
sys.exit(0 if len(seen) == n and not dups and not missing and not extra and not bad else 1)
PY
if [ $? = 0 ]; then
	ok "load: $N distinct recipients, each delivered exactly once, each message whole"
else
	notok "load: $N distinct recipients, each delivered exactly once, each message whole"
	sed 's/^/    /' "$TESTTMP/ids.out"
fi

"$QHOME/bin/qmail-qstat" > "$TESTTMP/qstat" 2>&1
if grep -qx 'messages in queue: 0' "$TESTTMP/qstat" &&
    grep -qx 'messages in queue but not yet preprocessed: 0' "$TESTTMP/qstat"; then
	ok "load: qmail-qstat says the queue is empty"
else
	notok "load: qmail-qstat says the queue is empty"; sed 's/^/    /' "$TESTTMP/qstat"
fi
n=$(grep -c '^delivery [0-9]*: success' "$SLOG")
same "load: qmail-send logs $N successful deliveries" "$n" "$N"
n=$(grep -cE '^delivery [0-9]*: (deferral|failure)' "$SLOG")
same "load: qmail-send logs no deferral or failure" "$n" 0
n=$(grep -c 'tcpserver: end .* status 0$' "$TESTTMP/srv.$PORT.log")
same "load: every qmail-smtpd exits 0" "$n" "$N"
