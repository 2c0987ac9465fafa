# qmail-smtpd: every command and reply code, with a raw pipelining client,
# Python smtplib and swaks, under tcpserver with a recording QMAILQUEUE.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-smtpd.sh"
trap stop_srv EXIT
reset_home
echo test.example > "$QHOME/control/rcpthosts"
P=20500
export QMAILQUEUE="$QQREC"
start_srv $P -- qmail-smtpd || exit 1
T=$TESTTMP/out.commands

printf 'QUIT\r\n' | chat $P > $T
expect "greeting is 220 me ESMTP" '^220 test.example ESMTP' $T
expect "QUIT gives 221 me" '^221 test.example' $T

printf 'EHLO client.example\r\nQUIT\r\n' | chat $P > $T
expect "EHLO: 250-me first" '^250-test.example' $T
for k in PIPELINING 8BITMIME ENHANCEDSTATUSCODES SMTPUTF8; do
	expect "EHLO lists $k" "^250[- ]$k" $T
done
expect "EHLO lists SIZE alone with no databytes" '^250-SIZE[^ 0-9]*$' $T
expect "EHLO: last line 250 SP" '^250 SMTPUTF8' $T
expect "QUIT after EHLO: 221 2.0.0" '^221 2.0.0 test.example' $T

echo 5000 > "$QHOME/control/databytes"
printf 'EHLO c\r\nQUIT\r\n' | chat $P > $T
expect "EHLO lists SIZE databytes" '^250-SIZE 5000' $T
rm "$QHOME/control/databytes"

echo "mx.greeting.example hello there" > "$QHOME/control/smtpgreeting"
printf 'HELO c\r\nQUIT\r\n' | chat $P > $T
expect "smtpgreeting in 220" '^220 mx.greeting.example hello there ESMTP' $T
expect "HELO replies 250 greeting" '^250 mx.greeting.example hello there' $T
rm "$QHOME/control/smtpgreeting"

printf 'HELO\r\nEHLO\r\nNOOP\r\nRSET\r\nVRFY postmaster\r\nHELP\r\nEXPN list\r\nSTARTTLS\r\nBOGUS\r\n\r\nQUIT\r\n' | chat $P > $T
expect "HELO without name: 501" '^501 syntax: HELO' $T
expect "EHLO without name: 501" '^501 syntax: EHLO' $T
expect "NOOP: 250 ok" '^250 ok' $T
expect "VRFY: 252" '^252 send some mail' $T
expect "HELP: 214" '^214 ' $T
expect "EXPN, STARTTLS, unknown: 502" '^502 unimplemented \(#5.5.1\)' $T
same "four 502 replies (EXPN, STARTTLS, BOGUS, empty line)" "$(grep -c '^502' $T)" 4

printf 'HELO c\r\nRCPT TO:<a@test.example>\r\nDATA\r\nMAIL FROM:<s@x.example>\r\nDATA\r\nMAIL FROM:<s@x.example>\r\nQUIT\r\n' | chat $P > $T
expect "RCPT before MAIL: 503 MAIL first" '^503 MAIL first \(#5.5.1\)' $T
expect "DATA before RCPT: 503 RCPT first" '^503 RCPT first \(#5.5.1\)' $T
expect "nested MAIL: 503" '^503 nested MAIL' $T

printf 'EHLO c\r\nMAIL FROM:<s@x.example> FOO=BAR\r\nMAIL FROM:<s@x.example> SIZE=abc\r\nMAIL FROM:<s@x.example> BODY=9BIT\r\nMAIL FROM <s@x.example>\r\nMAIL FROM:<s@x.example\r\nMAIL FROM:<s@x.example> BODY=8BITMIME SMTPUTF8 SIZE=100\r\nRCPT TO:<a@test.example> NOTIFY=NEVER\r\nRCPT TO:<>\r\nRCPT TO:<a@test.example>\r\nQUIT\r\n' | chat $P > $T
expect "unknown MAIL parameter: 555 5.5.4" '^555 5.5.4 unsupported MAIL parameter' $T
expect "bad SIZE value: 501" '^501 5.5.4 syntax error in SIZE' $T
expect "bad BODY value: 501" '^501 5.5.4 unknown BODY' $T
expect "MAIL without colon: 501" '^501 5.5.4 syntax error in MAIL FROM' $T
same "two bad paths give 501 (no colon, unbalanced)" "$(grep -c 'syntax error in MAIL FROM' $T)" 2
expect "MAIL with BODY, SMTPUTF8, SIZE: 250 2.1.0 ok" '^250 2.1.0 ok' $T
expect "RCPT parameter: 555" '^555 5.5.4 unsupported RCPT parameter' $T
expect "RCPT TO:<>: 501" '^501 5.5.4 syntax error in RCPT TO' $T
expect "RCPT: 250 2.1.5 ok" '^250 2.1.5 ok' $T

# a whole pipelined transaction
rec_clear
printf 'EHLO c\r\nMAIL FROM:<s@x.example>\r\nRCPT TO:<a@test.example>\r\nRCPT TO:<b@test.example>\r\nDATA\r\nSubject: hi\r\n\r\nline one\r\n..dot line\r\n.\r\nQUIT\r\n' | chat $P > $T
expect "DATA: 354 go ahead" '^354 go ahead' $T
expect "after DATA: 250 2.6.0 ok <time> qp <pid>" '^250 2.6.0 ok [0-9]+ qp [0-9]+' $T
same "one message queued" "$(rec_count)" 1
same "envelope is F sender, T recipients" "$(rec_env)" "Fs@x.example|Ta@test.example|Tb@test.example||"
rec_body > $T.body
expect "Received line: from unknown (HELO c) (127.0.0.1)" '^Received: from unknown \(HELO c\) \(127\.0\.0\.1\)$' $T.body
expect "Received line: by TCPLOCALHOST with ESMTP; date" '^  by mx\.test\.example with ESMTP; [0-9]+ [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} -0000$' $T.body
expect "dot-unstuffing" '^\.dot line$' $T.body
expect_not "CR LF became LF" "$(printf '\r')" $T.body
same "body lines" "$(sed 1,2d $T.body)" "$(printf 'Subject: hi\n\nline one\n.dot line')"

# RSET drops the transaction
rec_clear
printf 'HELO c\r\nMAIL FROM:<s@x.example>\r\nRCPT TO:<a@test.example>\r\nRSET\r\nDATA\r\nQUIT\r\n' | chat $P > $T
expect "RSET: 250 ok" '^250 ok' $T
expect "DATA after RSET: 503 MAIL first" '^503 MAIL first' $T
same "nothing queued after RSET" "$(rec_count)" 0
expect "HELO Received: with SMTP (no enhanced codes after HELO)" '^503 MAIL first \(#5.5.1\)' $T

# Python smtplib: the ordinary client
rec_clear
python3 - $P > $T 2>&1 <<'EOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.example')
code, msg = s.ehlo()
print('ehlo', code, s.esmtp_features)
print('noop', s.noop())
print('vrfy', s.verify('x'))
r = s.sendmail('py@x.example', ['a@test.example'], b'Subject: py\r\n\r\nbody\r\n.leading dot\r\n')
print('sendmail', r)
print('rset', s.rset())
try:
    s.sendmail('py@x.example', ['a@elsewhere.example'], b'x\r\n')
except smtplib.SMTPRecipientsRefused as e:
    print('refused', e.recipients)
print('quit', s.quit())
EOF
expect "smtplib: EHLO 250 and features" "^ehlo 250 .*'pipelining'" $T
expect "smtplib: sendmail accepted" '^sendmail \{\}' $T
expect "smtplib: relay refused with 553" "refused .*553.*rcpthosts" $T
expect "smtplib: quit 221" "^quit \(221" $T
same "smtplib: one message queued" "$(rec_count)" 1
rec_body > $T.body
expect "smtplib: leading dot restored" '^\.leading dot$' $T.body

# swaks
rec_clear
swaks --server 127.0.0.1 --port $P --from sw@x.example --to a@test.example \
    --helo sw.example --body 'swaks body' > $T 2>&1
expect "swaks: message accepted" '<-  250 2.6.0 ok' $T
same "swaks: one message queued" "$(rec_count)" 1
swaks --server 127.0.0.1 --port $P --from sw@x.example --to a@test.example \
    --helo sw.example --pipeline --body 'piped' > $T 2>&1
expect "swaks --pipeline: accepted" '250 2.6.0 ok' $T
same "swaks: two messages queued" "$(rec_count)" 2
