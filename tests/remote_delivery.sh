#!/bin/sh
# qmail-remote on a small internet of network namespaces: MX order and
# fallback, equal preferences, AAAA-only hosts, implicit MX, CNAMEs,
# smtproutes with ports, null MX, DNS failures, per-recipient replies,
# deferrals, timeouts and tcpto, and the exact bytes that arrive.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-netns.sh"
nn_init remote_delivery
reset_home
T=$TESTTMP/remote.$$
mkdir -p "$T"
chmod 755 "$T"
ruser=qmailr
[ "$QIDS" = system ] || ruser=$(id -un)

cat > "$T/zone" <<'Z'
pref.test MX 20 mxb.test
pref.test MX 10 mxa.test
down.test MX 10 mxd.test
down.test MX 20 mxb.test
eq.test MX 10 mxa.test
eq.test MX 10 mxb.test
v6.test MX 10 mxc.test
mxa.test A 10.231.0.11
mxb.test A 10.231.0.12
mxc.test AAAA fd00:231::13
mxd.test A 10.231.0.14
null.test MX 0 .
fail.test SERVFAIL
implicit.test A 10.231.0.11
cname.test CNAME pref.test
self.test MX 10 mxs.test
mxs.test A 10.231.0.1
silent.test MX 10 mxe.test
mxe.test A 10.231.0.15
rcpt.test MX 10 mxa.test
11.0.231.10.in-addr.arpa PTR mxa.test
Z
python3 -c 'import ipaddress; print(ipaddress.ip_address("fd00:231::13").reverse_pointer, "PTR mxc.test")' >> "$T/zone"
nn_host s 1
nn_host a 11
nn_host b 12
nn_host c 13
nn_host d 14
nn_host e 15
nn_dns "$T/zone"
nn_smtp a 25 "$T/a" --reject-rcpt bad --defer-rcpt later
nn_smtp b 25 "$T/b"
nn_smtp b 2526 "$T/bh" --no-ehlo --ext ''
nn_smtp c 25 "$T/c"
nn_smtp e 25 "$T/e" --silent
mkdir -p "$T/sink"
chmod 777 "$T/sink"
nn_bg b /usr/sbin/smtp-sink -u nobody -d "$T/sink/%M." 10.231.0.12:2525 10
sleep 0.3

printf 'Subject: test\n\nhello\n' > "$T/m1"
echo 2 > "$QHOME/control/timeoutremote"
echo 5 > "$QHOME/control/timeoutconnect"

# qr MSG HOST SENDER RCPT...: run qmail-remote in the sender namespace;
# its report, NULs as | and newlines as /, goes to $T/out
qr() {
	_m=$1; shift
	nn s setuidgid "$ruser" "$QHOME/bin/qmail-remote" "$@" < "$_m" > "$T/raw"
	_rc=$?
	tr '\0\n' '|/' < "$T/raw" > "$T/out"
	return $_rc
}

# expect NAME PATTERN: the report matches the extended regex
expect() {
	if grep -Eq "$2" "$T/out"; then ok "$1"
	else notok "$1"; echo "    got: $(cat "$T/out")"; echo "    want: $2"; fi
}

# the DNS helpers
dnscheck() {	# NAME EXIT WANT CMD...
	_n=$1 _x=$2 _w=$3; shift 3
	_o=$(nn s "$@" 2>&1); _r=$?
	if [ "$_r" = "$_x" ] && [ "$_o" = "$_w" ]; then ok "$_n"
	else notok "$_n"; echo "    exit $_r, output: $_o"; fi
}
dnscheck "dnsip: an A record" 0 10.231.0.11 dnsip mxa.test
dnscheck "dnsip: an AAAA record" 0 fd00:231::13 dnsip mxc.test
dnscheck "dnsip: an IP literal" 0 10.1.2.3 dnsip 10.1.2.3
dnscheck "dnsmxip: addresses by preference" 0 "10.231.0.11 10
10.231.0.12 20" dnsmxip pref.test
dnscheck "dnsmxip: implicit MX" 0 "10.231.0.11 0" dnsmxip implicit.test
dnscheck "dnsptr: IPv4" 0 mxa.test dnsptr 10.231.0.11
dnscheck "dnsptr: IPv6" 0 mxc.test dnsptr fd00:231::13
dnscheck "dnsfq" 0 mxa.test dnsfq mxa.test
dnscheck "dnsip: NXDOMAIN exits 100" 100 "dnsip: fatal: no host named nxd.test" dnsip nxd.test
dnscheck "dnsip: SERVFAIL exits 111" 111 "dnsip: fatal: temporary DNS failure for fail.test" dnsip fail.test
dnscheck "dnsmxip: null MX exits 100" 100 "dnsmxip: fatal: null.test publishes a null MX: it accepts no mail" dnsmxip null.test
if ipmeprint | grep -qx 127.0.0.1 && ipmeprint | grep -qx 0.0.0.0; then
	ok "ipmeprint lists 127.0.0.1 and 0.0.0.0"; else notok "ipmeprint lists 127.0.0.1 and 0.0.0.0"; fi

qr "$T/m1" pref.test me@s.test u@pref.test
rc=$?
expect "best MX first" '^r\|K10\.231\.0\.11 accepted message\./Remote host said: 250 ok queued as 1/\|$'
if [ $rc = 0 ]; then ok "qmail-remote exits 0"; else notok "qmail-remote exits 0 ($rc)"; fi

qr "$T/m1" down.test me@s.test u@down.test
expect "best MX down: the next MX" '^r\|K10\.231\.0\.12 accepted message\.'

: > "$T/eq"
i=0
while [ $i -lt 16 ]; do
	qr "$T/m1" eq.test me@s.test u@eq.test
	cat "$T/out" >> "$T/eq"; echo >> "$T/eq"
	i=$((i + 1))
done
na=$(grep -c 'K10\.231\.0\.11 ' "$T/eq"); nb=$(grep -c 'K10\.231\.0\.12 ' "$T/eq")
if [ "$na" -gt 0 ] && [ "$nb" -gt 0 ] && [ $((na + nb)) = 16 ]; then
	ok "equal preferences: both hosts used ($na/$nb)"
else
	notok "equal preferences: both hosts used ($na/$nb)"
fi

qr "$T/m1" v6.test me@s.test u@v6.test
expect "AAAA-only MX over IPv6" '^r\|Kfd00:231::13 accepted message\.'

qr "$T/m1" implicit.test me@s.test u@implicit.test
expect "no MX: the domain's own address" '^r\|K10\.231\.0\.11 accepted'

qr "$T/m1" cname.test me@s.test u@cname.test
expect "a CNAME to a domain with MX" '^r\|K10\.231\.0\.11 accepted'

qr "$T/m1" null.test me@s.test u@null.test
expect "null MX: permanent failure" '^DSorry, null\.test .*null MX.*\(#5\.1\.10\)/\|$'

qr "$T/m1" nxd.test me@s.test u@nxd.test
expect "NXDOMAIN: permanent failure" "^DSorry, I couldn't find any host named nxd\.test\. \(#5\.1\.2\)/\|$"

qr "$T/m1" fail.test me@s.test u@fail.test
expect "SERVFAIL: temporary failure" "^ZSorry, I couldn't find any host by that name\. \(#4\.1\.2\)/\|$"

qr "$T/m1" self.test me@s.test u@self.test
expect "I am the best MX: permanent failure" "^DSorry\. Although I'm listed as a best-preference MX.*\(#5\.4\.6\)/\|$"

qr "$T/m1" rcpt.test me@s.test good@rcpt.test bad@rcpt.test later@rcpt.test good2@rcpt.test
expect "per recipient: r, h (5xx), s (4xx), then K" \
    '^r\|h10\.231\.0\.11 does not like recipient\./Remote host said: 550 no such user here/\|s10\.231\.0\.11 does not like recipient\./Remote host said: 451 try later/\|r\|K10\.231\.0\.11 accepted message\.'

qr "$T/m1" rcpt.test me@s.test bad@rcpt.test
expect "every recipient refused for good: D" '^h10\.231\.0\.11 does not like recipient\..*\|DGiving up on 10\.231\.0\.11\./'
qr "$T/m1" rcpt.test me@s.test bad@rcpt.test later@rcpt.test
expect "a refused and a deferred recipient: Z, never D" '\|s10\.231\.0\.11 .*\|ZGiving up on 10\.231\.0\.11\./'

# smtproutes: a port, a default route, an empty relay (= MX)
printf 'routed.test:[10.231.0.12]:2525\n.sub.test:10.231.0.12:2526\npref.test:\n' > "$QHOME/control/smtproutes"
qr "$T/m1" routed.test me@s.test u@routed.test
expect "smtproutes with a port" '^r\|K10\.231\.0\.12 accepted message\./Remote host said: 250 2\.0\.0 Ok'
qr "$T/m1" x.sub.test me@s.test u@x.sub.test
expect "smtproutes .suffix; EHLO refused: HELO" '^r\|K10\.231\.0\.12 accepted'
if grep -q '^1 HELO ' "$T/bh/log" && grep -q '^1 EHLO ' "$T/bh/log"; then
	ok "EHLO first, then HELO"; else notok "EHLO first, then HELO"; cat "$T/bh/log"; fi
qr "$T/m1" pref.test me@s.test u@pref.test
expect "smtproutes with an empty relay: MX" '^r\|K10\.231\.0\.11 accepted'
echo ':[fd00:231::13]' > "$QHOME/control/smtproutes"
qr "$T/m1" anything.test me@s.test u@anything.test
expect "smtproutes default route to an IPv6 literal" '^r\|Kfd00:231::13 accepted'
rm -f "$QHOME/control/smtproutes"

# the bytes that arrive: dots, 8-bit, long lines, bare CR and LF
python3 - "$T" <<'P'
import sys
t = sys.argv[1]
long = b'x' * 5000
m = (b'Subject: bytes \xe9t\xe9\n\n.leading dot\n..two dots\n.\n'
     b'middle . dot\n' + long + b'\n\xff\xfe 8-bit\n'
     b'end without newline')
open(t + '/m2', 'wb').write(m)
# bare CR and LF around dots: none of them may end the data early
m3 = (b'Subject: smuggle\r\n\r\nline1\n.\nMAIL FROM:<evil@x>\r\n'
      b'a\r.\rb\r\n.\r\nRCPT TO:<evil@x>\n\r\n.\r\nlast\r')
open(t + '/m3', 'wb').write(m3)
def wire(m):
    lines, cur, i = [], b'', 0
    while i < len(m):
        c = m[i:i+1]
        if c == b'\r':
            lines.append(cur); cur = b''
            if m[i+1:i+2] == b'\n':
                i += 1
        elif c == b'\n':
            lines.append(cur); cur = b''
        else:
            cur += c
        i += 1
    if cur:
        lines.append(cur)
    return b''.join((b'.' + l if l.startswith(b'.') else l) + b'\r\n'
                    for l in lines) + b'.\r\n'
open(t + '/m2.wire', 'wb').write(wire(m))
open(t + '/m3.wire', 'wb').write(wire(m3))
# what smtp-sink stores: lines unstuffed, LF ends, and an empty line of
# its own at the end
open(t + '/m2.sink', 'wb').write(m + b'\n\n')
P
n0=$(ls "$T/a" | grep -c '^msg\.')
qr "$T/m2" pref.test me@s.test u@pref.test
expect "8-bit message accepted" '^r\|K10\.231\.0\.11 accepted'
n1=$(ls "$T/a" | grep -c '^msg\.')
if cmp -s "$T/a/msg.$n1" "$T/m2.wire"; then
	ok "dot-stuffed, CR LF, 8-bit and long lines arrive exactly"
else
	notok "dot-stuffed, CR LF, 8-bit and long lines arrive exactly"
	cmp "$T/a/msg.$n1" "$T/m2.wire"
fi
if grep -Eq "^[0-9]+ MAIL FROM:<me@s\.test> SIZE=[0-9]+ BODY=8BITMIME$" "$T/a/log"; then
	ok "SIZE= and BODY=8BITMIME when offered"; else notok "SIZE= and BODY=8BITMIME when offered"; fi
if grep -Eq "^[0-9]+ MAIL FROM:<me@s\.test> SIZE=[0-9]+$" "$T/a/log"; then
	ok "no BODY=8BITMIME for a 7-bit message"; else notok "no BODY=8BITMIME for a 7-bit message"; fi

qr "$T/m3" pref.test me@s.test u@pref.test
expect "bare CR/LF message accepted" '^r\|K10\.231\.0\.11 accepted'
n2=$(ls "$T/a" | grep -c '^msg\.')
if [ "$n2" = $((n1 + 1)) ] && cmp -s "$T/a/msg.$n2" "$T/m3.wire"; then
	ok "bare CR and LF around dots: exactly one message, right lines"
else
	notok "bare CR and LF around dots: exactly one message, right lines ($n1 -> $n2)"
	od -c "$T/a/msg.$n2" | head -20
fi
if grep -q 'evil' "$T/a/log"; then notok "no smuggled command reached the server"
else ok "no smuggled command reached the server"; fi

echo 'routed.test:[10.231.0.12]:2525' > "$QHOME/control/smtproutes"
qr "$T/m2" routed.test me@s.test u@routed.test
expect "8-bit message to smtp-sink" '^r\|K10\.231\.0\.12 accepted'
f=$(ls -t "$T"/sink/* 2>/dev/null | head -1)
if [ -n "$f" ] && sed '1,/^X-Rcpt-Args:/d' "$f" | sed '1,3d' | cmp -s - "$T/m2.sink"; then
	ok "smtp-sink stores the message unchanged"
else
	notok "smtp-sink stores the message unchanged"
	[ -n "$f" ] && sed '1,/^X-Rcpt-Args:/d' "$f" | sed '1,3d' | cmp - "$T/m2.sink"
fi
rm -f "$QHOME/control/smtproutes"

# DATA refused for now, then accepted
nn_smtp a 2527 "$T/a2" --data-code 451
echo 'later.test:10.231.0.11:2527' > "$QHOME/control/smtproutes"
qr "$T/m1" later.test me@s.test u@later.test
expect "4xx after the data: Z" '^r\|Z10\.231\.0\.11 failed after I sent the message\./Remote host said: 451 ok queued as 1/\|$'
nn_kill_last
nn_smtp a 2527 "$T/a3"
qr "$T/m1" later.test me@s.test u@later.test
expect "then the retry succeeds" '^r\|K10\.231\.0\.11 accepted'
rm -f "$QHOME/control/smtproutes"

# a host that accepts and never answers: timeouts, tcpto, tcpok
start=$(date +%s)
qr "$T/m1" silent.test me@s.test u@silent.test
expect "silent host: greeting timeout, Z" '^ZConnected to 10\.231\.0\.15 but greeting failed\./\|$'
qr "$T/m1" silent.test me@s.test u@silent.test
qmail-tcpto > "$T/tcpto" 2>&1
if grep -Eq '^10\.231\.0\.15 timed out [0-9]+ seconds ago; # recent timeouts: 2$' "$T/tcpto"; then
	ok "qmail-tcpto shows the timed-out host"
else
	notok "qmail-tcpto shows the timed-out host"; cat "$T/tcpto"
fi
t0=$(date +%s)
qr "$T/m1" silent.test me@s.test u@silent.test
t1=$(date +%s)
expect "a remembered host is skipped" "^ZSorry, I wasn't able to establish an SMTP connection\. \(#4\.4\.1\)/\|$"
c=$(grep -c CONNECT "$T/e/log")
if [ "$c" = 2 ] && [ $((t1 - t0)) -lt 2 ]; then ok "skipped without connecting"
else notok "skipped without connecting ($c connections, $((t1 - t0)) s)"; fi
check_exit "qmail-tcpok as the owner of the table" 0 as_user "$ruser" qmail-tcpok
qmail-tcpto > "$T/tcpto" 2>&1
if [ ! -s "$T/tcpto" ]; then ok "qmail-tcpok empties the table"; else notok "qmail-tcpok empties the table"; cat "$T/tcpto"; fi
qr "$T/m1" silent.test me@s.test u@silent.test
c=$(grep -c CONNECT "$T/e/log")
if [ "$c" = 3 ]; then ok "after qmail-tcpok the host is tried again"; else notok "after qmail-tcpok the host is tried again ($c)"; fi

qr "$T/m1" pref.test
rc=$?
[ $rc = 0 ] || notok "usage: exit 0 ($rc)"
expect "usage: D, exit 0" '^DI \(qmail-remote\) was invoked improperly\. \(#5\.3\.5\)/\|$'

# qmail-rspawn, driven through the spawn protocol
mkdir -p "$QHOME/queue/mess/0"
cp "$T/m2" "$QHOME/queue/mess/0/999001"
chmod 644 "$QHOME/queue/mess/0/999001"
cat > "$T/drive.py" <<'P'
import struct, subprocess, sys
def req(slot, msg, sender, rcpts):
    return (struct.pack('<H', slot) + msg + b'\0' + sender + b'\0' +
            b''.join(r + b'\0' for r in rcpts) + b'\0')
reqs = [
    (0, b'mess/0/999001', b'me@s.test', [b'good@rcpt.test', b'bad@rcpt.test', b'later@rcpt.test']),
    (1, b'mess/0/999001', b'', [b'u@null.test', b'v@null.test']),
    (2, b'mess/0/999002', b'me@s.test', [b'u@pref.test']),
    (3, b'mess/0/999001', b'me@s.test', [b'u@fail.test']),
]
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
# all at once, the last one split across writes
data = b''.join(req(*r) for r in reqs)
p.stdin.write(data[:-5]); p.stdin.flush()
p.stdin.write(data[-5:]); p.stdin.close()
out = p.stdout.read()
rc = p.wait()
n = {r[0]: len(r[3]) for r in reqs}
i, res = 0, {}
while i < len(out):
    slot = out[i] | out[i + 1] << 8
    i += 2
    recs = []
    for k in range(n[slot] + 1):
        e = out.index(b'\0', i)
        recs.append(out[i:e].decode('latin-1').replace('\n', '/'))
        i = e + 1
    res[slot] = recs
for s in sorted(res):
    print('%d %s' % (s, '|'.join(res[s])))
print('exit %d' % rc)
P
nn s setuidgid "$ruser" sh -c "cd '$QHOME' && exec python3 '$T/drive.py' '$QHOME/bin/qmail-rspawn'" > "$T/spawn" 2>&1
spawn_expect() {
	if grep -Eq "$2" "$T/spawn"; then ok "qmail-rspawn: $1"
	else notok "qmail-rspawn: $1"; cat "$T/spawn"; fi
}
spawn_expect "r, h, s and K passed through in order" \
    '^0 r\|h10\.231\.0\.11 does not like recipient\./Remote host said: 550 [^|]*\|s10\.231\.0\.11 does not like recipient\./Remote host said: 451 [^|]*\|K10\.231\.0\.11 accepted message\.'
spawn_expect "a message D applies to every recipient" \
    '^1 hSorry, null\.test does not accept mail[^|]*\|hSorry, null\.test [^|]*\|DSorry, null\.test '
spawn_expect "a missing message file: s and Z" \
    '^2 sUnable to open message file\. \(#4\.3\.0\)/\|ZUnable to open message file\.'
spawn_expect "a message Z applies to every recipient" \
    "^3 sSorry, I couldn't find any host by that name\. \(#4\.1\.2\)/\|ZSorry, I couldn't find any host by that name"
spawn_expect "exits 0 at the end of its input" '^exit 0$'
rm -f "$QHOME/queue/mess/0/999001"
