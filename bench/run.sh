#!/bin/sh
# bench/run.sh: throughput of the suite against Postfix on this machine
# (bench/README.md).  Run as root from the top of the tree:
#     sh bench/run.sh            # N=2000 messages per run
#     BENCH_N=5000 BENCH_CONC="1 10 50" sh bench/run.sh
# Three workloads, each at every concurrency in BENCH_CONC:
#   local  smtp-source -> SMTP server -> queue -> ~qmbench/Maildir/new
#   relay  smtp-source -> SMTP server -> queue -> SMTP client -> smtp-sink
#   tls    bench/tls-source.py (STARTTLS, then one message) -> SMTP server
#          with TLS (the suite: qmail-tlsd in front of qmail-smtpd;
#          Postfix: smtpd_tls_security_level=may, the same self-signed
#          RSA-2048 certificate) -> queue -> ~qmbench/Maildir/new
# The clock stops when the last message is in the Maildir or at the sink.
# Printed per run: messages/s, CPU ms per message (the server's whole
# process tree), disk writes, KiB written and flushes per message
# (/proc/diskstats of the disk holding BENCH_DIR), then the suite/Postfix
# ratio; and one strace -c -f sample of syscalls per message.
# Environment: BENCH_DIR (/var/tmp/qmbench: must be a real disk, not
# tmpfs, or fsync costs nothing), BENCH_N, BENCH_CONC, BENCH_PORT (first of
# six loopback ports, default 20750), BENCH_USER (qmbench, created if
# missing, home BENCH_DIR/user), BENCH_ONLY (suite or postfix),
# BENCH_USERS (cdb: give the suite a users/cdb for the bench user, made
# with qmail-pw2u and qmail-newu as INSTALL does, so that qmail-lspawn
# needs no qmail-getpw per delivery; default: none, the passwd lookup),
# BENCH_FILTER (a program of the suite's bin/, e.g. qmail-authcheck: set
# as QMAILQUEUE for the suite's qmail-smtpd; default none), BENCH_DKIM
# (set: a DKIM key for example.test, so that a filter that signs signs).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${BENCH_DIR:-/var/tmp/qmbench}
N=${BENCH_N:-2000}
CONC=${BENCH_CONC:-1 10 50}
P0=${BENCH_PORT:-20750}
U=${BENCH_USER:-qmbench}
ONLY=${BENCH_ONLY:-}
USERS=${BENCH_USERS:-}
FILTER=${BENCH_FILTER:-}
DKIM=${BENCH_DKIM:-}
SUITE_SMTP=$P0 SINK=$((P0 + 1)) PF_SMTP=$((P0 + 2))
SUITE_TLS=$((P0 + 3)) PF_TLS=$((P0 + 4))
SIZE=2048

die() { echo "bench: fatal: $*" >&2; exit 111; }
say() { echo "bench: $*" >&2; }
[ "$(id -u)" = 0 ] || die "run as root: the suite's real ids and Postfix need it"
for t in smtp-source smtp-sink tcpserver python3; do
	command -v $t > /dev/null || die "$t is not installed (make deps)"
done
case $(stat -f -c %T "$(dirname "$B")" 2>/dev/null) in
tmpfs|ramfs) die "$B is on $(stat -f -c %T "$(dirname "$B")"): use a real disk (BENCH_DIR)" ;;
esac

PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2> /dev/null; done
	[ -d "$B/pf/conf" ] && postfix -c "$B/pf/conf" stop > /dev/null 2>&1
	sleep 1
	for p in $PIDS; do kill -9 "$p" 2> /dev/null; done
}
trap cleanup EXIT INT TERM
rm -rf "$B"; mkdir -p "$B/out" "$B/sink" || die "cannot create $B"
chmod 755 "$B"

# ---- the mail user, with a Maildir for both MTAs ----
id -u "$U" > /dev/null 2>&1 || useradd -M -d "$B/user" -s /bin/sh "$U" ||
	die "cannot create user $U"
UH=$(getent passwd "$U" | cut -d: -f6)
mkdir -p "$UH/Maildir/new" "$UH/Maildir/cur" "$UH/Maildir/tmp"
chown -R "$U" "$UH"; chmod 700 "$UH/Maildir"

# ---- measuring ----
# dev: the disk under $B (a partition's stats are its own line)
dev=$(basename "$(df --output=source "$B" | tail -n 1)")
grep -q " $dev " /proc/diskstats || dev=
diskstat() {	# writes sectors flushes
	[ -n "$dev" ] || { echo "0 0 0"; return; }
	awk -v d="$dev" '$3 == d { print $8, $10, (NF >= 20 ? $19 : 0) }' /proc/diskstats
}
cputree() {	# ticks used by the given pids and all their descendants
	python3 - "$@" <<'PY'
import os, sys
kids = {}
stat = {}
for p in os.listdir("/proc"):
    if not p.isdigit(): continue
    try:
        s = open("/proc/%s/stat" % p).read()
    except OSError:
        continue
    f = s[s.rindex(")") + 2:].split()
    stat[int(p)] = sum(int(x) for x in f[11:15])	# utime stime cutime cstime
    kids.setdefault(int(f[1]), []).append(int(p))
todo = [int(x) for x in sys.argv[1:]]
seen = set(); t = 0
while todo:
    p = todo.pop()
    if p in seen or p not in stat: continue
    seen.add(p); t += stat[p]; todo.extend(kids.get(p, []))
print(t)
PY
}
count_maildir() { find "$UH/Maildir/new" -type f | wc -l; }
count_sink() { find "$B/sink" -type f | wc -l; }

# the self-signed certificate both MTAs use for the tls workload
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=bench.test \
    -keyout "$B/cert.key" -out "$B/cert.crt" > "$B/out/openssl" 2>&1 &&
    cat "$B/cert.key" "$B/cert.crt" > "$B/cert.pem" || die "openssl failed: $B/out/openssl"

# run NAME COUNTER CONC RCPT: one smtp-source run (tls-source.py for a
# name ending in -tls) to port $PORT, timed until COUNTER reaches N; the
# server's process tree is $TREE
source_run() {	# CONC RCPT
	case $name in
	*-tls) python3 "$top/bench/tls-source.py" -s "$1" -m "$N" -l $SIZE \
	    -f bench@example.test -t "$2" "127.0.0.1:$PORT" ;;
	*) smtp-source -s "$1" -m "$N" -l $SIZE -f bench@example.test -t "$2" \
	    -M bench.test "127.0.0.1:$PORT" ;;
	esac
}
run() {
	name=$1 counter=$2 c=$3 rcpt=$4
	rm -f "$UH"/Maildir/new/* "$B"/sink/* 2> /dev/null
	sync
	hz=$(getconf CLK_TCK)
	cpu0=$(cputree $TREE); set -- $(diskstat); w0=$1 s0=$2 f0=$3
	t0=$(date +%s.%N)
	source_run "$c" "$rcpt" > "$B/out/source.$name.$c" 2>&1 ||
		say "$name c=$c: smtp-source reported trouble (see $B/out)"
	i=0 limit=$((N * 2 + 600))	# tenths of a second
	while [ "$($counter)" -lt "$N" ] && [ $i -lt $limit ]; do
		sleep 0.1; i=$((i + 1))
	done
	t1=$(date +%s.%N)
	got=$($counter)
	sync
	cpu1=$(cputree $TREE); set -- $(diskstat); w1=$1 s1=$2 f1=$3
	python3 - "$name" "$c" "$N" "$got" "$t0" "$t1" "$cpu0" "$cpu1" "$hz" \
	    "$w0" "$w1" "$s0" "$s1" "$f0" "$f1" <<'PY' | tee -a "$B/out/results"
import sys
name, c, n, got = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t0, t1, c0, c1, hz = (float(x) for x in sys.argv[5:10])
w0, w1, s0, s1, f0, f1 = (int(x) for x in sys.argv[10:16])
dt = t1 - t0
m = max(got, 1)
print("%-14s c=%-3d %6d/%d msgs %8.1f msg/s %7.2f ms CPU/msg %6.2f writes %7.1f KiB %5.2f flushes per msg%s" % (
    name, c, got, n, got / dt, (c1 - c0) * 1000.0 / hz / m,
    (w1 - w0) / m, (s1 - s0) * 512 / 1024.0 / m, (f1 - f0) / m,
    "" if got == n else "  INCOMPLETE"))
PY
}

# ---- the suite: a scratch system installation ----
suite_start() {
	S=$B/suite
	mkdir -p "$S/src"
	(cd "$top" && tar cf - --exclude=./.git --exclude=./local --exclude='*.o' \
	    --exclude='*.a' --exclude=./tests/bin --exclude=./bench/out .) |
		(cd "$S/src" && tar xf -)
	make -C "$S/src" -s clean > /dev/null 2>&1
	echo "$S/home" > "$S/src/conf-qmail"; echo system > "$S/src/conf-ids"
	(cd "$S/src" && sh tools/mkusers.sh && make -s -j2 && sh tools/install.sh setup) \
	    > "$B/out/suite.build" 2>&1 || die "suite build failed: $B/out/suite.build"
	for p in qmail-start qmail-send qmail-smtpd qmail-queue qmail-lspawn \
	    qmail-local qmail-rspawn qmail-remote qmail-clean; do
		[ -x "$S/home/bin/$p" ] || die "the suite has no $p yet: cannot run the benchmark"
	done
	c=$S/home/control
	echo bench.test > "$c/me"
	printf 'example.test\nbench.test\n' > "$c/locals"
	printf 'example.test\nbench.test\n' > "$c/rcpthosts"
	echo ":127.0.0.1:$SINK" > "$c/smtproutes"
	echo 100 > "$c/concurrencylocal"; echo 100 > "$c/concurrencyremote"
	if [ "$USERS" = cdb ]; then
		getent passwd "$U" | "$S/home/bin/qmail-pw2u" > "$S/home/users/assign" &&
		    (cd "$S/home" && bin/qmail-newu) ||
			die "cannot make users/cdb (BENCH_USERS=cdb)"
	fi
	QQ=
	if [ -n "$FILTER" ]; then
		[ -x "$S/home/bin/$FILTER" ] || die "no $FILTER in the suite"
		QQ=QMAILQUEUE=$S/home/bin/$FILTER
	fi
	if [ -n "$DKIM" ]; then
		"$S/home/bin/qmail-dkimkey" example.test > "$B/out/dkimkey" 2>&1 ||
			die "qmail-dkimkey failed: $B/out/dkimkey"
	fi
	(cd "$S/home" && exec setsid env - PATH="$S/home/bin:/usr/bin:/bin" \
	    bin/qmail-start ./Maildir/ > "$B/out/suite.log" 2>&1 < /dev/null) &
	SENDPID=$!
	qd=$(id -u qmaild) qg=$(id -g qmaild)
	# RELAYCLIENT: smtp-source's relay recipients are not in rcpthosts;
	# -b 200: tcpserver's default backlog of 20 collapses at c=50
	setsid env - PATH="$S/home/bin:/usr/bin:/bin" RELAYCLIENT= $QQ \
	    tcpserver -R -H -l bench.test -b 200 -c 200 -u "$qd" -g "$qg" \
	    127.0.0.1 "$SUITE_SMTP" "$S/home/bin/qmail-smtpd" \
	    > "$B/out/suite.smtpd" 2>&1 < /dev/null &
	SMTPDPID=$!
	PIDS="$PIDS $SENDPID $SMTPDPID"
	# the tls workload: qmail-tlsd (as qmailt, the key's only reader) in
	# front of qmail-smtpd (as qmaild); tcpserver stays root for that
	TLSPID=
	if [ -x "$S/home/bin/qmail-tlsd" ]; then
		install -o qmailt -m 400 "$B/cert.pem" "$c/servercert.pem"
		setsid env - PATH="$S/home/bin:/usr/bin:/bin" RELAYCLIENT= $QQ \
		    envuidgid qmaild tcpserver -R -H -l bench.test -b 200 -c 200 \
		    127.0.0.1 "$SUITE_TLS" "$S/home/bin/qmail-tlsd" "$S/home/bin/qmail-smtpd" \
		    > "$B/out/suite.tlsd" 2>&1 < /dev/null &
		TLSPID=$!
		PIDS="$PIDS $TLSPID"
	fi
	sleep 1
	kill -0 $SENDPID 2> /dev/null || die "qmail-send did not start: $B/out/suite.log"
}
suite_stop() {
	kill $SMTPDPID $TLSPID $SENDPID 2> /dev/null
	sleep 2
}

# ---- Postfix: its own config and queue directories, loopback only ----
pf_start() {
	command -v postfix > /dev/null || { say "postfix is not installed: no comparison"; return 1; }
	F=$B/pf
	mkdir -p "$F/conf" "$F/queue" "$F/data"
	chown postfix "$F/data"
	cp /etc/postfix/master.cf "$F/conf/master.cf" 2>/dev/null ||
		cp /usr/share/postfix/master.cf.dist "$F/conf/master.cf"
	# only the smtpd listener on our port; the rest as shipped; and one
	# with STARTTLS for the tls workload
	sed -i "s/^smtp[[:space:]]\{1,\}inet/127.0.0.1:$PF_SMTP inet/" "$F/conf/master.cf"
	cp "$B/cert.pem" "$F/conf/cert.pem"; chmod 600 "$F/conf/cert.pem"
	echo "127.0.0.1:$PF_TLS inet n - n - - smtpd -o smtpd_tls_security_level=may -o smtpd_tls_chain_files=$F/conf/cert.pem" \
	    >> "$F/conf/master.cf"
	cat > "$F/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $F/queue
data_directory = $F/data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.test
mydomain = bench.test
myorigin = bench.test
mydestination = example.test, bench.test
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
home_mailbox = Maildir/
alias_maps =
alias_database =
local_recipient_maps =
relayhost = [127.0.0.1]:$SINK
smtp_host_lookup = native
disable_dns_lookups = yes
default_process_limit = 200
local_destination_concurrency_limit = 100
default_destination_concurrency_limit = 100
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtp_tls_security_level = none
smtpd_tls_security_level = none
maillog_file = $F/maillog
biff = no
EOF
	postfix -c "$F/conf" check > "$B/out/pf.check" 2>&1 ||
		{ say "postfix check failed: $B/out/pf.check"; return 1; }
	postfix -c "$F/conf" start > "$B/out/pf.start" 2>&1 ||
		{ say "postfix did not start: $B/out/pf.start"; return 1; }
	sleep 2
	PFPID=$(sed -n 1p "$F/queue/pid/master.pid" | tr -d ' ')
	[ -n "$PFPID" ] || { say "no Postfix master pid"; return 1; }
}
pf_stop() { postfix -c "$B/pf/conf" stop > /dev/null 2>&1; sleep 2; }

# ---- the runs ----
sink_start() {
	chown nobody "$B/sink"
	setsid smtp-sink -u nobody -d "$B/sink/" "127.0.0.1:$SINK" 256 \
	    > "$B/out/sink" 2>&1 < /dev/null &
	PIDS="$PIDS $!"
	sleep 0.5
}

sink_start
: > "$B/out/results"
if [ "$ONLY" != postfix ]; then
	suite_start
	TREE="$SENDPID $SMTPDPID" PORT=$SUITE_SMTP
	for c in $CONC; do
		run suite-local count_maildir "$c" "$U@example.test"
		run suite-relay count_sink "$c" "sink@relay.test"
	done
	if [ -n "$TLSPID" ]; then
		TREE="$SENDPID $TLSPID" PORT=$SUITE_TLS
		for c in $CONC; do
			run suite-tls count_maildir "$c" "$U@example.test"
		done
	fi
	if command -v strace > /dev/null; then
		rm -f "$UH"/Maildir/new/*
		strace -c -f -o "$B/out/strace.suite" -p "$SENDPID" -p "$SMTPDPID" \
		    $(pgrep -P "$SENDPID" | sed 's/^/-p /') 2> /dev/null &
		sp=$!; sleep 1
		smtp-source -s 10 -m 200 -l $SIZE -f bench@example.test \
		    -t "$U@example.test" "127.0.0.1:$SUITE_SMTP" > /dev/null 2>&1
		i=0; while [ "$(count_maildir)" -lt 200 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
		kill -INT $sp; wait $sp 2> /dev/null; sleep 0.5
	fi
	suite_stop
fi
if [ "$ONLY" != suite ] && pf_start; then
	TREE=$PFPID PORT=$PF_SMTP
	for c in $CONC; do
		run postfix-local count_maildir "$c" "$U@example.test"
		run postfix-relay count_sink "$c" "sink@relay.test"
	done
	PORT=$PF_TLS
	for c in $CONC; do
		run postfix-tls count_maildir "$c" "$U@example.test"
	done
	if command -v strace > /dev/null; then
		rm -f "$UH"/Maildir/new/*
		strace -c -f -o "$B/out/strace.postfix" -p "$PFPID" \
		    $(pgrep -P "$PFPID" | sed 's/^/-p /') 2> /dev/null &
		sp=$!; sleep 1
		smtp-source -s 10 -m 200 -l $SIZE -f bench@example.test \
		    -t "$U@example.test" "127.0.0.1:$PF_SMTP" > /dev/null 2>&1
		i=0; while [ "$(count_maildir)" -lt 200 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
		kill -INT $sp; wait $sp 2> /dev/null; sleep 0.5
	fi
	pf_stop
fi

# ---- summary ----
echo
echo "suite/Postfix throughput ratio (>1: the suite is faster):"
python3 - "$B/out/results" <<'PY'
import re, sys
r = {}
for l in open(sys.argv[1]):
    m = re.match(r"(\S+)-(local|relay|tls)\s+c=(\d+)\s+(\d+)/\d+ msgs\s+([\d.]+) msg/s", l)
    if m: r[(m.group(1), m.group(2), m.group(3))] = float(m.group(5))
for (who, w, c), v in sorted(r.items()):
    if who != "suite": continue
    p = r.get(("postfix", w, c))
    print("  %-5s c=%-3s suite %7.1f msg/s  postfix %s  ratio %s" % (
        w, c, v, "%7.1f msg/s" % p if p else "      -", "%.2f" % (v / p) if p else "-"))
PY
for f in "$B"/out/strace.*; do
	[ -f "$f" ] || continue
	echo
	echo "syscalls per message, $(basename "$f" | sed 's/strace.//') (strace -c -f, 200 local messages at c=10):"
	awk '$NF == "total" { t = $4; next }
	    $NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ { printf "  %-16s %8.1f\n", $NF, $4 / 200 }
	    END { printf "  %-16s %8.1f\n", "total", t / 200 }' "$f" | sort -k2 -nr | head -16
done
echo
echo "raw output: $B/out (rerun with the same BENCH_DIR to replace it)"
trap - EXIT INT TERM
cleanup
