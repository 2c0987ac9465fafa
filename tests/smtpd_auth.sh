# qmail-smtpd SMTP AUTH (RFC 4954) through qmail-checkpw, without TLS on
# loopback (SMTPAUTHPLAINTEXT): swaks and smtplib, the user in the
# Received line and in QMAILQUEUE's environment, relaying, failures and
# their bound, hostile input, UCSPITLS=!, SMTPAUTHSENDER; qmail-checkpw
# and qmail-passwd by themselves.  Ports 24660-24669.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-smtpd.sh"
trap stop_srv EXIT
reset_home
echo test.example > "$QHOME/control/rcpthosts"
printf 'test.example\nlocal.example\n' > "$QHOME/control/locals"
T=$TESTTMP/out.auth
PW=$QHOME/users/smtppasswd

# --- qmail-passwd
printf 'secret\n' | qmail-passwd alice > $T 2>&1
check_exit "qmail-passwd sets a password from a pipe" 0 grep -q '^alice:\$y\$' "$PW"
printf 'other\n' | qmail-passwd bob > /dev/null 2>&1
printf 'tmp\n' | qmail-passwd carol > /dev/null 2>&1
printf 'pass word\n' | qmail-passwd bob > /dev/null 2>&1
same "qmail-passwd replaces a line where it stood" "$(cut -d: -f1 "$PW" | tr '\n' ' ')" "alice bob carol "
check_exit "qmail-passwd -d removes a user" 0 qmail-passwd -d carol
same "  ... and only that one" "$(cut -d: -f1 "$PW" | tr '\n' ' ')" "alice bob "
check_exit "qmail-passwd -d of an unknown user: 100" 100 qmail-passwd -d nobody
printf 'x\n' > "$TESTTMP/pw.in"
check_exit "qmail-passwd refuses a user name with ':'" 100 sh -c "qmail-passwd 'a:b' < $TESTTMP/pw.in"
check_exit "qmail-passwd refuses an empty password" 100 sh -c "printf '\n' | qmail-passwd dave"
same "qmail-passwd leaves no temporary file" "$(ls "$QHOME/users" | grep -c tmp)" 0
if [ "$QIDS" = system ]; then
	same "password file: owner qmaild, mode 600" "$(stat -c '%U %a' "$PW")" "$(sed -n 2p "$QSRC/conf-users") 600"
else
	same "password file: mode 600" "$(stat -c '%a' "$PW")" 600
fi

# --- qmail-checkpw by itself
cpw() {	# cpw INPUT-printf-format: qmail-checkpw's exit code (USER printed)
	printf "$1" > "$TESTTMP/cpw.in"
	as_user "$(sed -n 2p "$QSRC/conf-users" 2>/dev/null)" \
	    qmail-checkpw sh -c 'echo "USER=$USER"' 3< "$TESTTMP/cpw.in" > "$TESTTMP/cpw.out" 2> "$TESTTMP/cpw.err"
}
[ "$QIDS" = system ] || cpw() {
	printf "$1" > "$TESTTMP/cpw.in"
	qmail-checkpw sh -c 'echo "USER=$USER"' 3< "$TESTTMP/cpw.in" > "$TESTTMP/cpw.out" 2> "$TESTTMP/cpw.err"
}
cpw 'alice\0secret\0\0'; same "checkpw: right password runs the program" "$?:$(cat "$TESTTMP/cpw.out")" "0:USER=alice"
cpw 'bob\0pass word\0\0'; same "checkpw: a password with a space" "$?" 0
cpw 'alice\0wrong\0\0'; same "checkpw: wrong password: 1" "$?:$(cat "$TESTTMP/cpw.out")" "1:"
cpw 'alice\0secre\0\0'; same "checkpw: a prefix of the password: 1" "$?" 1
cpw 'nobody\0secret\0\0'; same "checkpw: unknown user: 1" "$?" 1
cpw 'ali\0secret\0\0'; same "checkpw: a prefix of a user: 1" "$?" 1
cpw 'alice:$y$\0secret\0\0'; same "checkpw: ':' in the user: 1" "$?" 1
cpw 'alice\0secret'; same "checkpw: no NUL after the password: 1" "$?" 1
cpw ''; same "checkpw: empty input: 1" "$?" 1
head -c 600 /dev/zero | tr '\0' a > "$TESTTMP/cpw.big"
(qmail-checkpw true 3< "$TESTTMP/cpw.big") 2> "$TESTTMP/cpw.err"
same "checkpw: more than 512 bytes: 1" "$?" 1
expect "  ... and says why" '512 bytes' "$TESTTMP/cpw.err"
cp "$PW" "$TESTTMP/pw.save"
# the right passwords, in hashes too weak to count (perl's crypt is libcrypt's)
perl -e 'print "olddes:", crypt("test", "ab"), "\noldmd5:", crypt("password", q($1$saltsalt$)), "\n"' >> "$PW"
cpw 'olddes\0test\0\0'; same "checkpw: a DES hash is refused, even with the right password" "$?" 1
expect "  ... and fd 2 says it is DES" 'olddes: a DES hash is too weak' "$TESTTMP/cpw.err"
cpw 'oldmd5\0password\0\0'; same "checkpw: an MD5 hash is refused" "$?" 1
expect "  ... and fd 2 says it is MD5" 'MD5 hash is too weak' "$TESTTMP/cpw.err"
cp "$TESTTMP/pw.save" "$PW"
if [ "$QIDS" = system ]; then
	chmod 600 "$PW"
	check_exit "checkpw: an unreadable file is temporary (111)" 111 \
	    setuidgid nobody qmail-checkpw true 3< "$TESTTMP/cpw.in"
fi
# timing: an unknown user costs a hash like a known one
t0=$(date +%s%N); cpw 'alice\0wrong\0\0'; t1=$(date +%s%N); cpw 'nobody\0wrong\0\0'; t2=$(date +%s%N)
k=$(( (t1 - t0) / 1000000 )) u=$(( (t2 - t1) / 1000000 ))
if [ $((u * 3)) -ge "$k" ]; then ok "checkpw: an unknown user takes about as long ($u ms vs $k ms)"
else notok "checkpw: an unknown user takes about as long ($u ms vs $k ms)"; fi

# --- qmail-smtpd with AUTH
cat > "$TESTTMP/qqauth" <<EOQ
#!/bin/sh
echo "\${SMTPAUTHUSER-unset}" >> "$REC/authusers"
exec "$QQREC"
EOQ
chmod 755 "$TESTTMP/qqauth"
printf '#!/bin/sh\nexit 111\n' > "$TESTTMP/cp111"; chmod 755 "$TESTTMP/cp111"
printf '#!/bin/sh\nsleep 7777\nexit 0\n' > "$TESTTMP/cpslow"; chmod 755 "$TESTTMP/cpslow"
export QMAILQUEUE="$TESTTMP/qqauth"
CPW=$QHOME/bin/qmail-checkpw
P=24660 PN=24661 PR=24662 PB=24663 PT=24664 PX=24665
start_srv $P -- env SMTPAUTHPLAINTEXT=1 qmail-smtpd test.example "$CPW" /bin/true || exit 1
start_srv $PN -- qmail-smtpd test.example "$CPW" /bin/true || exit 1
start_srv $PR -- env SMTPAUTHPLAINTEXT=1 UCSPITLS=! qmail-smtpd test.example "$CPW" /bin/true || exit 1
start_srv $PB -- env SMTPAUTHPLAINTEXT=1 SMTPAUTHSENDER=1 SMTPAUTHUSER=evil qmail-smtpd test.example "$CPW" /bin/true || exit 1
start_srv $PT -- env SMTPAUTHPLAINTEXT=1 qmail-smtpd test.example "$TESTTMP/cp111" /bin/true || exit 1
start_srv $PX -- env SMTPAUTHPLAINTEXT=1 qmail-smtpd || exit 1
start_srv 24666 -- env SMTPAUTHPLAINTEXT=1 qmail-smtpd test.example "$TESTTMP/cpslow" /bin/true || exit 1

b64() { printf "$1" | base64 -w0; }
GOOD=$(b64 '\0alice\0secret') BAD=$(b64 '\0alice\0wrong')

# a checkprogram that hangs is killed after 60 seconds (454), with what it
# started; in the background while the rest runs
SLOWT0=$(date +%s)
printf 'EHLO c\r\nAUTH PLAIN %s\r\nNOOP\r\nQUIT\r\n' "$GOOD" | chat 24666 90 > "$T.slow" &
SLOWPID=$!

printf 'EHLO c\r\nQUIT\r\n' | chat $P > $T
expect "EHLO offers AUTH PLAIN LOGIN on loopback with SMTPAUTHPLAINTEXT" '^250-AUTH PLAIN LOGIN' $T
expect_not "no STARTTLS without a UCSPI-TLS server" 'STARTTLS' $T
printf 'EHLO c\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$GOOD" | chat $PN > $T
expect_not "no AUTH without TLS and SMTPAUTHPLAINTEXT" '^250-AUTH' $T
expect "  ... AUTH there is 538 5.7.11" '^538 5.7.11 ' $T
printf 'EHLO c\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$GOOD" | chat $PX > $T
expect "no checkprogram: AUTH is 502" '^502 5.5.1 ' $T

rec_clear
if swaks -s 127.0.0.1 -p $P --ehlo c.example --from alice@test.example --to u@elsewhere.example \
    --auth PLAIN --auth-user alice --auth-password secret > $T 2>&1; then
	ok "swaks --auth PLAIN relays"
else notok "swaks --auth PLAIN relays"; tail -20 $T; fi
expect "  ... 235 2.7.0" '^<-  235 2.7.0' $T
same "  ... envelope" "$(rec_env)" "Falice@test.example|Tu@elsewhere.example||"
same "  ... QMAILQUEUE sees SMTPAUTHUSER=alice" "$(tail -1 "$REC/authusers")" alice
rec_body > $T.body
expect "  ... Received: with ESMTPA (authenticated user alice)" '^  by mx.test.example with ESMTPA \(authenticated user alice\); ' $T.body

rec_clear
if swaks -s 127.0.0.1 -p $P --ehlo c.example --from alice@test.example --to u@elsewhere.example \
    --auth LOGIN --auth-user bob --auth-password 'pass word' > $T 2>&1; then
	ok "swaks --auth LOGIN relays"
else notok "swaks --auth LOGIN relays"; tail -20 $T; fi
same "  ... QMAILQUEUE sees SMTPAUTHUSER=bob" "$(tail -1 "$REC/authusers")" bob
swaks -s 127.0.0.1 -p $P --ehlo c --from a@x.example --to u@elsewhere.example \
    --auth PLAIN --auth-user alice --auth-password nope > $T 2>&1
expect "swaks with a wrong password: 535 5.7.8" '^<\*\* +535 5.7.8' $T

cat > "$TESTTMP/authclient.py" <<'EOPY'
import smtplib, sys
port, mech = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP('127.0.0.1', port, timeout=20)
s.ehlo('py.example')
if mech == 'LOGIN':
    s.user, s.password = 'alice', 'secret'
    code, _ = s.auth('LOGIN', s.auth_login)
else:
    code, _ = s.login('alice', 'secret')
print('auth', code)
s.sendmail('alice@test.example', ['v@elsewhere.example'], b'Subject: py\r\n\r\nhi\r\n')
s.quit()
print('sent')
EOPY
rec_clear
python3 "$TESTTMP/authclient.py" $P PLAIN > $T 2>&1
expect "smtplib login() authenticates" '^auth 235' $T
expect "  ... and sends" '^sent' $T
same "  ... SMTPAUTHUSER=alice" "$(tail -1 "$REC/authusers")" alice
python3 "$TESTTMP/authclient.py" $P LOGIN > $T 2>&1
expect "smtplib auth LOGIN authenticates" '^auth 235' $T

# relaying: refused before AUTH, allowed after; mail without AUTH has no user
rec_clear
printf 'EHLO c\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<u@elsewhere.example>\r\nRCPT TO:<u@test.example>\r\nDATA\r\nx\r\n.\r\nAUTH PLAIN %s\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<u@elsewhere.example>\r\nQUIT\r\n' "$GOOD" | chat $P > $T
expect "relaying refused before AUTH" '^553 5.7.1 sorry, that domain' $T
same "  ... a local message has no SMTPAUTHUSER" "$(tail -1 "$REC/authusers")" unset
rec_body > $T.body
expect "  ... and says ESMTP" '^  by mx.test.example with ESMTP; ' $T.body
expect "relaying allowed after AUTH" '^235 2.7.0 authentication successful' $T
same "  ... RCPT accepted" "$(grep -c '^250 2.1.5' $T)" 2

# PLAIN: without the initial response, "=", "*", an authzid
printf 'EHLO c\r\nAUTH PLAIN\r\n%s\r\nQUIT\r\n' "$GOOD" | chat $P > $T
expect "AUTH PLAIN without initial response: 334 then 235" '^334 ' $T
expect "  ... 235" '^235 2.7.0' $T
printf 'EHLO c\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$(b64 'alice\0alice\0secret')" | chat $P > $T
expect "AUTH PLAIN with authzid = user: 235" '^235 2.7.0' $T
printf 'EHLO c\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$(b64 'bob\0alice\0secret')" | chat $P > $T
expect "AUTH PLAIN acting for another user: 535" '^535 5.7.8' $T
printf 'EHLO c\r\nAUTH PLAIN =\r\nAUTH PLAIN\r\n*\r\nAUTH LOGIN\r\n*\r\nAUTH PLAIN %s\r\nAUTH CRAM-MD5\r\nQUIT\r\n' "$(b64 'alice\0secret')" | chat $P > $T
expect "AUTH PLAIN = (empty): 501 5.5.2" '^501 5.5.2 malformed AUTH PLAIN' $T
same "* cancels: 501 5.0.0, twice" "$(grep -c '^501 5.0.0 authentication cancelled' $T)" 2
expect "LOGIN asks Username:" '^334 VXNlcm5hbWU6' $T
expect "AUTH CRAM-MD5: 504" '^504 5.5.4' $T
same "  ... no 235 among them" "$(grep -c '^235' $T)" 0
printf 'EHLO c\r\nAUTH PLAIN AGFsaWNl!!!!\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA=\r\nAUTH PLAIN AGFsaWNl AHNlY3JldA==\r\nAUTH LOGIN\r\nYWxpY2U=\r\nc2Vj cmV0\r\nQUIT\r\n' | chat $P > $T
same "bad base64: 501 5.5.2 each time" "$(grep -c '^501 5.5.2 malformed base64' $T)" 4
printf 'EHLO c\r\nAUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\nAUTH LOGIN\r\nQUIT\r\n' | chat $P > $T
expect "AUTH LOGIN step by step: 235" '^235 2.7.0' $T
expect "AUTH twice: 503" '^503 5.5.1 already authenticated' $T
printf 'EHLO c\r\nMAIL FROM:<a@x.example>\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$GOOD" | chat $P > $T
expect "AUTH during a transaction: 503" '^503 5.5.1 AUTH not allowed during a mail transaction' $T

# long lines: the AUTH line and a response line are bounded
python3 -c 'import sys; sys.stdout.write("EHLO c\r\nAUTH PLAIN " + "QUFB" * 25000 + "\r\nAUTH PLAIN\r\n" + "QUFB" * 25000 + "\r\nNOOP\r\nQUIT\r\n")' | chat $P > $T
expect "a 100 KB AUTH line: 500 5.5.2 line too long" '^500 5.5.2 line too long' $T
expect "a 100 KB response line: 500 5.5.6" '^500 5.5.6 ' $T
expect "  ... and the session goes on" '^250 2.0.0 ok' $T

# failures: slowed down, then the end
python3 -c 'import sys; sys.stdout.write("EHLO c\r\n" + "AUTH PLAIN '"$BAD"'\r\n" * 1000 + "QUIT\r\n")' > "$TESTTMP/fail1000"
t0=$(date +%s)
chat $P 20 < "$TESTTMP/fail1000" > $T
t=$(( $(date +%s) - t0 ))
same "1,000 failures: 535 5.7.8 twice" "$(grep -c '^535 5.7.8' $T)" 2
expect "  ... then 421 4.7.0 and the end" '^421 4.7.0 too many authentication failures' $T
expect_not "  ... no QUIT reply" '^221' $T
if [ $t -ge 5 ] && [ $t -le 15 ]; then ok "  ... answered slowly, in bounded time ($t s)"
else notok "  ... answered slowly, in bounded time ($t s, want 5-15)"; fi
printf 'EHLO c\r\nAUTH PLAIN %s\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$BAD" "$GOOD" | chat $P > $T
expect "a failure, then the right password: 235" '^235 2.7.0' $T
python3 -c 'import sys; sys.stdout.write("EHLO c\r\n" + "AUTH PLAIN !!!!\r\n" * 1000 + "QUIT\r\n")' | chat $P > $T
same "1,000 lines of bad base64: 19 times 501" "$(grep -c '^501 5.5.2' $T)" 19
expect "  ... then 421 too many errors" '^421 4.7.0 too many errors' $T

# UCSPITLS=!: no AUTH or MAIL before TLS, even on loopback
printf 'EHLO c\r\nAUTH PLAIN %s\r\nMAIL FROM:<a@x.example>\r\nQUIT\r\n' "$GOOD" | chat $PR > $T
expect_not "UCSPITLS=!: AUTH not offered before TLS" '^250-AUTH' $T
same "UCSPITLS=!: AUTH and MAIL get 530 5.7.0" "$(grep -c '^530 5.7.0 Must issue a STARTTLS command first' $T)" 2

# SMTPAUTHSENDER: the envelope sender is the user's
rec_clear
printf 'EHLO c\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<u@test.example>\r\nDATA\r\nx\r\n.\r\nAUTH PLAIN %s\r\nMAIL FROM:<bob@test.example>\r\nMAIL FROM:<alice@elsewhere.example>\r\nMAIL FROM:<>\r\nMAIL FROM:<alice@Local.Example>\r\nRSET\r\nMAIL FROM:<alice>\r\nRSET\r\nMAIL FROM:<ALICE@test.example>\r\nRCPT TO:<u@elsewhere.example>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' "$GOOD" | chat $PB > $T
same "SMTPAUTHSENDER: bob@, another domain, <> refused 553 5.7.1" "$(grep -c '^553 5.7.1 sorry, that envelope sender is not yours' $T)" 3
same "  ... alice@locals, alice, ALICE@rcpthosts accepted" "$(grep -c '^250 2.1.0' $T)" 4
same "  ... a SMTPAUTHUSER from outside is dropped" "$(head -1 "$REC/authusers")" unset
same "  ... the authenticated message" "$(tail -1 "$REC/authusers")" alice
printf 'EHLO c\r\nMAIL FROM:<bob@test.example>\r\nQUIT\r\n' | chat $PB > $T
expect "SMTPAUTHSENDER: no binding without AUTH" '^250 2.1.0' $T

# a checkprogram that fails for another reason: 454, not counted
printf 'EHLO c\r\nAUTH PLAIN %s\r\nAUTH PLAIN %s\r\nAUTH PLAIN %s\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$GOOD" "$GOOD" "$GOOD" "$GOOD" | chat $PT > $T
same "checkprogram exit 111: 454 4.7.0, not a failure" "$(grep -c '^454 4.7.0' $T)" 4
expect "  ... the session goes on" '^221' $T

wait $SLOWPID
t=$(( $(date +%s) - SLOWT0 ))
expect "a checkprogram that hangs: 454 4.7.0" '^454 4.7.0 temporary authentication failure' "$T.slow"
expect "  ... and the session goes on" '^221 2.0.0' "$T.slow"
if [ $t -ge 58 ] && [ $t -le 75 ]; then ok "  ... after about 60 seconds ($t s)"
else notok "  ... after about 60 seconds ($t s)"; fi
if pgrep -f "sleep 7777" > /dev/null; then notok "  ... what it started is killed too"
else ok "  ... what it started is killed too"; fi
