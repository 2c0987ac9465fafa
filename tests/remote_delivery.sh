#!/bin/sh
# qmail-remote on a small internet of network namespaces: MX order and
# fallback, equal preferences, AAAA-only hosts, implicit MX, CNAMEs,
# smtproutes with ports, null MX, DNS failures, per-recipient replies,
# deferrals, timeouts and tcpto, PIPELINING, and the exact bytes that
# arrive.  Real programs on the far side: dnsmasq serves every DNS record
# and failure (null MX and SERVFAIL included), a private Postfix and
# smtp-sink receive mail; the Python receiver (tests/lib-netns-smtp.py)
# stays only for what no real server does on demand: refusing chosen
# recipients, 4xx after the data, silence, and logging its recv() calls.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-netns.sh"
nn_init remote_delivery
reset_home
T=$TESTTMP/remote.$$
mkdir -p "$T"
chmod 755 "$T"
ruser=qmailr
[ "$QIDS" = system ] || ruser=$(id -un)

# The test internet's DNS is dnsmasq's (see nn_dns): local=/test/ makes it
# answer every name under .test itself, NXDOMAIN for names it has no
# record of and an empty NOERROR for a known name without the type asked.
cat > "$T/dns.conf" <<'Z'
local=/test/
local=/231.10.in-addr.arpa/
local=/1.3.2.0.0.0.d.f.ip6.arpa/
mx-host=pref.test,mxb.test,20
mx-host=pref.test,mxa.test,10
mx-host=down.test,mxd.test,10
mx-host=down.test,mxb.test,20
mx-host=eq.test,mxa.test,10
mx-host=eq.test,mxb.test,10
mx-host=v6.test,mxc.test,10
host-record=mxa.test,10.231.0.11
host-record=mxb.test,10.231.0.12
host-record=mxc.test,fd00:231::13
host-record=mxd.test,10.231.0.14
# RFC 7505 null MX: preference 0, exchange "." (the root)
mx-host=null.test,.,0
host-record=implicit.test,10.231.0.11
ptr-record=11.0.231.10.in-addr.arpa,mxa.test
cname=cname.test,pref.test
mx-host=self.test,mxs.test,10
host-record=mxs.test,10.231.0.1
mx-host=silent.test,mxe.test,10
host-record=mxe.test,10.231.0.15
mx-host=rcpt.test,mxa.test,10
mx-host=pf.test,mxp.test,10
host-record=mxp.test,10.231.0.16
# A real SERVFAIL: names under fail.test go to the second dnsmasq
# (dns-up.conf), whose unsigned answers cannot be validated against the
# root's DNSSEC trust anchor (KSK-2017), so this one answers SERVFAIL,
# as a validating resolver does for a broken signed zone.
server=/fail.test/#
server=127.0.0.1#5353
dnssec
trust-anchor=.,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
Z
cat > "$T/dns-up.conf" <<'Z'
local=/fail.test/
host-record=fail.test,10.231.0.11
Z
nn_host s 1
nn_host a 11
nn_host b 12
nn_host c 13
nn_host d 14
nn_host e 15
nn_host p 16
nn_dns "$T/dns.conf" "$T/dns-up.conf"

# dnsmasq serves what the tests below rely on (dig: the answer section)
digcheck() {	# NAME WANT-STATUS WANT-ANSWER QUERY...
	_n=$1 _s=$2 _w=$3; shift 3
	_o=$(nn s dig +time=2 +tries=1 +noall +comments +answer "$@" 2>&1)
	_st=$(printf '%s\n' "$_o" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	_an=$(printf '%s\n' "$_o" | grep -v '^;' | grep . |
	    awk '{ $2 = ""; print }' | sort)	# without the TTL
	if [ "$_st" = "$_s" ] && [ "$_an" = "$_w" ]; then ok "dnsmasq: $_n"
	else notok "dnsmasq: $_n"; printf '%s\n' "$_o" | sed 's/^/    /'; fi
}
digcheck "MX records" NOERROR "pref.test.  IN MX 10 mxa.test.
pref.test.  IN MX 20 mxb.test." pref.test MX
digcheck "a null MX (RFC 7505)" NOERROR "null.test.  IN MX 0 ." null.test MX
digcheck "SERVFAIL for a bogus signed answer" SERVFAIL "" fail.test MX
digcheck "NXDOMAIN" NXDOMAIN "" nxd.test MX
digcheck "no MX for an A-only name" NOERROR "" implicit.test MX
digcheck "AAAA" NOERROR "mxc.test.  IN AAAA fd00:231::13" mxc.test AAAA
digcheck "CNAME to an MX" NOERROR "cname.test.  IN CNAME pref.test.
pref.test.  IN MX 10 mxa.test.
pref.test.  IN MX 20 mxb.test." cname.test MX
digcheck "PTR" NOERROR "11.0.231.10.in-addr.arpa.  IN PTR mxa.test." \
    -x 10.231.0.11

nn_smtp a 25 "$T/a" --reject-rcpt bad --defer-rcpt later
nn_smtp b 25 "$T/b"
nn_smtp b 2526 "$T/bh" --no-ehlo --ext ''
nn_smtp c 25 "$T/c"
nn_smtp e 25 "$T/e" --silent
mkdir -p "$T/sink"
chmod 777 "$T/sink"
nn_bg b /usr/sbin/smtp-sink -u nobody -d "$T/sink/%M." 10.231.0.12:2525 10
nn_smtp b 2528 "$T/np" --ext '8BITMIME,SIZE 10000000'
nn_postfix p 10.231.0.16 "$T/pf" pf.test
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
def lines(m):
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
    return lines
def wire(m):
    return b''.join((b'.' + l if l.startswith(b'.') else l) + b'\r\n'
                    for l in lines(m)) + b'.\r\n'
open(t + '/m2.wire', 'wb').write(wire(m))
open(t + '/m3.wire', 'wb').write(wire(m3))
# what smtp-sink stores: lines unstuffed, LF ends, and an empty line of
# its own at the end
open(t + '/m2.sink', 'wb').write(m + b'\n\n')
# what Postfix stores in a Maildir: the lines, LF-terminated (below the
# Return-Path, X-Original-To, Delivered-To and Received lines it adds)
open(t + '/m2.pf', 'wb').write(b''.join(l + b'\n' for l in lines(m)))
open(t + '/m3.pf', 'wb').write(b''.join(l + b'\n' for l in lines(m3)))
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

# a real Postfix as the far side: pf.test MX 10 mxp.test
pfls() { ls "$T/pf/mail/box/new" 2>/dev/null | sort; }
pfwait() {	# N: wait up to 10 s for N messages in Postfix's Maildir
	_i=0
	while [ "$(pfls | wc -l)" -lt "$1" ] && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ "$(pfls | wc -l)" -eq "$1" ]
}
pfnew() { pfls | comm -13 "$T/pf.0" -; }	# arrived since pfls > pf.0
pfsame() {	# STORED WANT: WANT is what follows the headers Postfix added
	python3 - "$1" "$2" <<'P'
import re, sys
got, want = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
head = got[:len(got) - len(want)]
added = re.compile(rb'(Return-Path|X-Original-To|Delivered-To|Received):|[ \t]')
if not got.endswith(want):
    sys.exit('    the message differs after the headers Postfix added')
for l in head.split(b'\n')[:-1]:
    if not added.match(l):
        sys.exit('    an unexpected line before the message: %r' % l)
P
}
qr "$T/m1" pf.test me@s.test u@pf.test
expect "Postfix: accepted" '^r\|K10\.231\.0\.16 accepted message\./'\
'Remote host said: 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+/\|$'
if pfwait 1; then ok "Postfix: delivered to its Maildir"
else notok "Postfix: delivered to its Maildir"; cat "$T/pf/maillog"; fi
pfls > "$T/pf.0"
qr "$T/m2" pf.test me@s.test u@pf.test
expect "Postfix: 8-bit message accepted" '^r\|K10\.231\.0\.16 accepted'
pfwait 2
f=$(pfnew)
if [ -n "$f" ] && pfsame "$T/pf/mail/box/new/$f" "$T/m2.pf"; then
	ok "Postfix: dots, 8-bit and a 5000-byte line arrive unchanged"
else notok "Postfix: dots, 8-bit and a 5000-byte line arrive unchanged"; fi
pfls > "$T/pf.0"
qr "$T/m3" pf.test me@s.test u@pf.test
expect "Postfix: bare CR/LF message accepted" '^r\|K10\.231\.0\.16 accepted'
pfwait 3
f=$(pfnew)
if [ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] &&
    pfsame "$T/pf/mail/box/new/$f" "$T/m3.pf"; then
	ok "Postfix: bare CR and LF around dots: exactly one message"
else notok "Postfix: bare CR and LF around dots: exactly one message ($f)"; fi

# PIPELINING (RFC 2920): MAIL and every RCPT in one write when the server
# offers it, one command per write and reply otherwise.  Seen from both
# ends: the writes qmail-remote makes (strace), and the recv() calls in
# which the commands reached the server (lib-netns-smtp.py's DIR/recv).
qrtrace() {	# like qr, under strace: its writes go to $T/strace
	_m=$1; shift
	nn s strace -f -qq -o "$T/strace" -e trace=write,writev,sendto,sendmsg \
	    -s 65536 setuidgid "$ruser" "$QHOME/bin/qmail-remote" "$@" \
	    < "$_m" > "$T/raw"
	tr '\0\n' '|/' < "$T/raw" > "$T/out"
}
writes() {	# MAIL writes, RCPTs in them, RCPT writes, RCPTs in all
	printf '%s %s %s %s' "$(grep -c 'MAIL FROM:<' "$T/strace")" \
	    "$(grep 'MAIL FROM:<' "$T/strace" | grep -o 'RCPT TO:<' | wc -l)" \
	    "$(grep -c 'RCPT TO:<' "$T/strace")" \
	    "$(grep -o 'RCPT TO:<' "$T/strace" | wc -l)"
}
recvs() {	# DIR: the last connection's commands, grouped by recv()
	python3 - "$1/recv" <<'P'
import sys
L = [l.split() for l in open(sys.argv[1])]
g = []
for cn, seq, v in L:
    if cn != L[-1][0]:
        continue
    if g and g[-1][0] == seq:
        g[-1][1].append(v)
    else:
        g.append((seq, [v]))
print('/'.join(' '.join(x[1]) for x in g))
P
}
pfls > "$T/pf.0"
qrtrace "$T/m1" pf.test me@s.test u@pf.test v@pf.test w@pf.test
expect "Postfix: three recipients, pipelined" \
    '^r\|r\|r\|K10\.231\.0\.16 accepted'
w=$(writes)
if [ "$w" = "1 3 1 3" ]; then
	ok "PIPELINING offered (Postfix): MAIL and the RCPTs in one write"
else
	notok "PIPELINING offered (Postfix): MAIL and the RCPTs in one write ($w)"
	grep -E 'MAIL|RCPT' "$T/strace"
fi
if pfwait 6 && [ "$(pfnew | wc -l)" = 3 ]; then
	ok "Postfix: one copy per recipient"
else notok "Postfix: one copy per recipient"; fi
if grep -q 'improper command pipelining' "$T/pf/maillog"; then
	notok "Postfix saw no improper pipelining"; grep improper "$T/pf/maillog"
else ok "Postfix saw no improper pipelining"; fi
if grep -Eq 'evil|bare <LF>' "$T/pf/maillog"; then
	notok "Postfix saw no smuggled command and no bare LF"
else ok "Postfix saw no smuggled command and no bare LF"; fi

qrtrace "$T/m1" pref.test me@s.test u1@pref.test u2@pref.test u3@pref.test
expect "three recipients, pipelined" '^r\|r\|r\|K10\.231\.0\.11 accepted'
r=$(recvs "$T/a")
if [ "$r" = "EHLO/MAIL RCPT RCPT RCPT/DATA/QUIT" ]; then
	ok "PIPELINING offered: MAIL and the RCPTs arrive in one recv"
else notok "PIPELINING offered: MAIL and the RCPTs arrive in one recv ($r)"; fi
echo 'np.test:10.231.0.12:2528' > "$QHOME/control/smtproutes"
qrtrace "$T/m1" np.test me@s.test u1@np.test u2@np.test u3@np.test
expect "three recipients, not pipelined" '^r\|r\|r\|K10\.231\.0\.12 accepted'
w=$(writes)
if [ "$w" = "1 0 3 3" ]; then
	ok "PIPELINING not offered: one write per command"
else
	notok "PIPELINING not offered: one write per command ($w)"
	grep -E 'MAIL|RCPT' "$T/strace"
fi
r=$(recvs "$T/np")
if [ "$r" = "EHLO/MAIL/RCPT/RCPT/RCPT/DATA/QUIT" ]; then
	ok "PIPELINING not offered: each command waits for its reply"
else notok "PIPELINING not offered: each command waits for its reply ($r)"; fi
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
# the receiver logs in its own time: wait a little for the count to settle
conns() { _i=0; while [ "$(grep -c CONNECT "$T/e/log")" -lt "$1" ] && [ $_i -lt 30 ]; do sleep 0.1; _i=$((_i + 1)); done; grep -c CONNECT "$T/e/log"; }
sleep 0.5
c=$(conns 2)
if [ "$c" = 2 ] && [ $((t1 - t0)) -lt 2 ]; then ok "skipped without connecting"
else notok "skipped without connecting ($c connections, $((t1 - t0)) s)"; fi
check_exit "qmail-tcpok as the owner of the table" 0 as_user "$ruser" qmail-tcpok
qmail-tcpto > "$T/tcpto" 2>&1
if [ ! -s "$T/tcpto" ]; then ok "qmail-tcpok empties the table"; else notok "qmail-tcpok empties the table"; cat "$T/tcpto"; fi
qr "$T/m1" silent.test me@s.test u@silent.test
c=$(conns 3)
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
