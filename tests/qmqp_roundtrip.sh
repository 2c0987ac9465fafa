# qmail-qmqpd and qmail-qmqpc: QMQP round trips (a Python client, and
# qmail-qmqpc standing in for qmail-queue, also behind qmail-smtpd),
# server failover, exit codes, malformed netstrings.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-smtpd.sh"
trap stop_srv EXIT
reset_home
export QMAILQUEUE="$QQREC"
P=20550 PS=20551 DEAD=20559
start_srv $P -- qmail-qmqpd || exit 1
T=$TESTTMP/out.qmqp

cat > "$TESTTMP/qmqp.py" <<'PY'
import socket, sys
def ns(b): return b'%d:%s,' % (len(b), b)
def talk(port, data):
    s = socket.create_connection(('127.0.0.1', port)); s.settimeout(10)
    s.sendall(data); buf = b''
    while True:
        try: b = s.recv(65536)
        except socket.timeout: break
        if not b: break
        buf += b
    return buf.decode('latin-1')
port = int(sys.argv[1])
pk = ns(b'Subject: qmqp\n\nhi\n') + ns(b's@x.example') + ns(b'a@test.example') + ns(b'b@elsewhere.example')
print('one', talk(port, ns(pk)))
PY
rec_clear
python3 "$TESTTMP/qmqp.py" $P > $T
expect "python client: K answer netstring" '^one [0-9]+:Kok [0-9]+ qp [0-9]+,$' $T
same "no relay check: both recipients queued" "$(rec_env)" 'Fs@x.example|Ta@test.example|Tb@elsewhere.example||'
rec_body > $T.body
expect "Received: ... with QMQP" '^  by mx\.test\.example with QMQP; ' $T.body

# qmail-qmqpc: a regular file and a pipe on fd 0, envelope on fd 1
printf '127.0.0.1:%s\n' $DEAD > "$QHOME/control/qmqpservers"
printf '127.0.0.1:%s\n' $P >> "$QHOME/control/qmqpservers"
printf 'Subject: via qmqpc\n\nbody\n' > "$TESTTMP/msg"
printf 'Fc@x.example\0Tr1@test.example\0Tr2@test.example\0\0' > "$TESTTMP/env"
rec_clear
check_exit "qmail-qmqpc: dead server skipped, message from a file: exit 0" 0 sh -c 'qmail-qmqpc < "$TESTTMP/msg" 1< "$TESTTMP/env"'
same "qmail-qmqpc: envelope arrived" "$(rec_env)" 'Fc@x.example|Tr1@test.example|Tr2@test.example||'
same "qmail-qmqpc: body arrived" "$(rec_body | sed 1,2d)" "$(cat "$TESTTMP/msg")"
rec_clear
check_exit "qmail-qmqpc: message from a pipe: exit 0" 0 sh -c 'cat "$TESTTMP/msg" | qmail-qmqpc 1< "$TESTTMP/env"'
same "qmail-qmqpc: pipe body arrived" "$(rec_body | sed 1,2d)" "$(cat "$TESTTMP/msg")"
echo 71 > "$REC/exitcode"
check_exit "qmail-qmqpc: server Z: exit 71" 71 sh -c 'qmail-qmqpc < "$TESTTMP/msg" 1< "$TESTTMP/env"'
echo 31 > "$REC/exitcode"
check_exit "qmail-qmqpc: server D: exit 31" 31 sh -c 'qmail-qmqpc < "$TESTTMP/msg" 1< "$TESTTMP/env"'
rm -f "$REC/exitcode"
printf '127.0.0.1:%s\n' $DEAD > "$QHOME/control/qmqpservers"
check_exit "qmail-qmqpc: no server listening: exit 73" 73 sh -c 'qmail-qmqpc < "$TESTTMP/msg" 1< "$TESTTMP/env"'
rm "$QHOME/control/qmqpservers"
check_exit "qmail-qmqpc: no qmqpservers: exit 55" 55 sh -c 'qmail-qmqpc < "$TESTTMP/msg" 1< "$TESTTMP/env"'
printf '127.0.0.1:%s\n' $P > "$QHOME/control/qmqpservers"
printf 'Tr1@test.example\0\0' > "$TESTTMP/badenv"
check_exit "qmail-qmqpc: envelope without F: exit 91" 91 sh -c 'qmail-qmqpc < "$TESTTMP/msg" 1< "$TESTTMP/badenv"'
printf 'Fc@x.example\0Tr1@test.example\0' > "$TESTTMP/badenv"
check_exit "qmail-qmqpc: envelope cut short: exit 91" 91 sh -c 'qmail-qmqpc < "$TESTTMP/msg" 1< "$TESTTMP/badenv"'

# qmail-smtpd -> qmail-qmqpc -> qmail-qmqpd -> (recorder)
printf '#!/bin/sh\nQMAILQUEUE=%s exec %s/bin/qmail-qmqpc\n' "$QQREC" "$QHOME" > "$TESTTMP/viaqmqp"
chmod 755 "$TESTTMP/viaqmqp"
QMAILQUEUE="$TESTTMP/viaqmqp" start_srv $PS -- qmail-smtpd || exit 1
rec_clear
printf 'HELO c\r\nMAIL FROM:<s@x.example>\r\nRCPT TO:<a@test.example>\r\nDATA\r\nSubject: chain\r\n\r\nx\r\n.\r\nQUIT\r\n' | chat $PS > $T
expect "qmail-smtpd through qmail-qmqpc: 250 ok" '^250 ok [0-9]+ qp' $T
rec_body > $T.body
same "two Received lines (SMTP, then QMQP)" "$(grep -c '^Received:' $T.body)" 2

# malformed packages: closed without an answer, nothing queued, no crash
rec_clear
for bad in '99999999999999999999:' '-1:' '010:' '10:5:hello,' '12:5:hello,1:s,X' '9:5:hello,,' \
    '15:5:hello,3:a@b,,' '13:5:hello,1:s,X' '16:5:hello,1:s,0:,,' 'x'; do
	printf -- "$bad" | chat $P 3 > $T
	if [ -s $T ]; then notok "malformed '$bad': closed without an answer ($(cat $T))"; else ok "malformed '$bad': closed without an answer"; fi
done
same "malformed: nothing queued" "$(rec_count)" 0
if grep -E 'end [0-9]+ status ([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])$' "$TESTTMP/srv.$P.log"; then
	notok "no qmail-qmqpd was killed by a signal"
else
	ok "no qmail-qmqpd was killed by a signal"
fi
