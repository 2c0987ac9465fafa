# qmail-qmtpd: QMTP packages from a small Python client under tcpserver:
# pipelining, both message formats, per-recipient answers, relay rules,
# databytes, and malformed netstrings (closed cleanly, no crash).
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-smtpd.sh"
trap stop_srv EXIT
reset_home
echo test.example > "$QHOME/control/rcpthosts"
export QMAILQUEUE="$QQREC"
P=20540 PR=20541
start_srv $P -- qmail-qmtpd || exit 1
printf '127.0.0.1:allow,RELAYCLIENT=""\n' > "$TESTTMP/tcp.qmtp"
tcprules "$TESTTMP/tcp.qmtp.cdb" "$TESTTMP/tcp.qmtp.tmp" < "$TESTTMP/tcp.qmtp"
start_srv $PR -x "$TESTTMP/tcp.qmtp.cdb" -- qmail-qmtpd || exit 1
T=$TESTTMP/out.qmtp

QC=$TESTTMP/qmtp.py
cat > "$QC" <<'EOF'
import socket, sys
def ns(b): return b'%d:%s,' % (len(b), b)
def pkg(msg, sender, rcpts, fmt=b'\n'):
    return ns(fmt + msg) + ns(sender) + ns(b''.join(ns(r) for r in rcpts))
def talk(port, data, want):
    s = socket.create_connection(('127.0.0.1', port)); s.settimeout(10)
    s.sendall(data)
    buf = b''; out = []
    while len(out) < want:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        if not b: break
        buf += b
        while b':' in buf:
            n, rest = buf.split(b':', 1)
            if len(rest) < int(n) + 1: break
            out.append(rest[:int(n)].decode('latin-1')); buf = rest[int(n) + 1:]
    s.close()
    return out
EOF

python3 - $P $PR <<EOF > $T
import sys; sys.path.insert(0, '$TESTTMP'); from qmtp import *
P, PR = int(sys.argv[1]), int(sys.argv[2])
r = talk(P, pkg(b'Subject: q\n\nhello\n', b's@x.example', [b'a@test.example', b'b@elsewhere.example', b'c@TEST.example']), 3)
print('one', r)
r = talk(P, pkg(b'm1\n', b's@x.example', [b'a@test.example']) + pkg(b'm2\r\n.\r\nend\r\n', b'', [b'b@test.example'], b'\r'), 2)
print('two', r)
r = talk(PR, pkg(b'relay\n', b's@x.example', [b'u@elsewhere.example']), 1)
print('relay', r)
EOF
expect "one package: K for the local recipient" "^one \['Kok [0-9]+ qp [0-9]+', " $T
expect "one package: D rcpthosts for the foreign one, K again for the third" "^one \['K[^']*', .Dsorry, that domain isn.t in my list of allowed rcpthosts \(#5\.7\.1\)., 'Kok" $T
expect "two pipelined packages: two K answers" "^two \['Kok [^']*', 'Kok [^']*'\]" $T
expect "RELAYCLIENT from tcprules: foreign recipient accepted" "^relay \['Kok" $T
same "four messages queued" "$(rec_count)" 4
f=$(ls "$REC"/*.env | while read -r e; do grep -l 'Ta@test.example' "$e"; done | head -1)
grep -q 'c@TEST.example' "$f" && ok "envelope: both local recipients, not the foreign one" || notok "envelope: both local recipients"
grep -q 'elsewhere' "$f" && notok "foreign recipient kept out of the envelope" || ok "foreign recipient kept out of the envelope"
b=$(for x in "$REC"/*.body; do grep -l '^end$' "$x"; done)
same "CR LF format turned into LF, dot untouched, empty sender" "$(sed 1,2d "$b")" "$(printf 'm2\n.\nend')"
expect "Received: ... with QMTP" '^  by mx\.test\.example with QMTP; ' "$b"
expect "Received: from unknown (127.0.0.1)" '^Received: from unknown \(127\.0\.0\.1\)$' "$b"
f=$(grep -l 'Tb@test.example' "$REC"/*.env | head -1); tr '\0' '|' < "$f" | grep -q '^F|Tb@test.example||$' && ok "empty sender kept" || notok "empty sender kept"

echo 10 > "$QHOME/control/databytes"
rec_clear
python3 - $P <<EOF > $T
import sys; sys.path.insert(0, '$TESTTMP'); from qmtp import *
print('big', talk(int(sys.argv[1]), pkg(b'x' * 50 + b'\n', b's@x.example', [b'a@test.example', b'b@test.example']), 2))
print('small', talk(int(sys.argv[1]), pkg(b'tiny\n', b's@x.example', [b'a@test.example']), 1))
EOF
rm "$QHOME/control/databytes"
expect "databytes: D size for each recipient" "^big \['Dsorry, that message size exceeds my databytes limit \(#5\.3\.4\)', 'Dsorry, that message size" $T
expect "databytes: small message accepted" "^small \['Kok" $T
same "databytes: only the small one queued" "$(rec_count)" 1

echo 71 > "$REC/exitcode"
python3 - $P <<EOF > $T
import sys; sys.path.insert(0, '$TESTTMP'); from qmtp import *
print('z', talk(int(sys.argv[1]), pkg(b'x\n', b's@x.example', [b'a@test.example']), 1))
EOF
rm "$REC/exitcode"
expect "qmail-queue exit 71: Z answer" "^z \['Zmail server temporarily rejected message \(#4\.3\.0\)'\]" $T

# malformed input: the connection closes, nothing queued, no crash
rec_clear
for bad in '99999999999999999999:x,' '-5:abc,' '03:\nab,' '3:\nab' '4:\nabc;' '5:Xabcd,1:s,0:,' \
    '4:\nab' '4:\nabc,1:s,5:3:a@b,,' '4:\nabc,1:s,6:3:a@b,' '4:\nabc,1:s,5:9:a@b,,' ':' 'abc'; do
	printf -- "$bad" | chat $P 3 > $T
	if [ -s $T ]; then notok "malformed '$bad': closed without an answer"; else ok "malformed '$bad': closed without an answer"; fi
done
same "malformed: nothing queued" "$(rec_count)" 0
if grep -E 'end [0-9]+ status ([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])$' "$TESTTMP/srv.$P.log"; then
	notok "no qmail-qmtpd was killed by a signal"
else
	ok "no qmail-qmtpd was killed by a signal"
fi
