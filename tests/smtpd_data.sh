# qmail-smtpd: DATA: the end of data only at CR LF . CR LF (SMTP
# smuggling), bare LF/CR refused, databytes and SIZE, the hop count, 8-bit
# and SMTPUTF8, qmail-queue exit codes and a filter's fd 6 reason.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-smtpd.sh"
trap stop_srv EXIT
reset_home
echo test.example > "$QHOME/control/rcpthosts"
export QMAILQUEUE="$QQREC"
P=20520
start_srv $P -- qmail-smtpd || exit 1
T=$TESTTMP/out.data
HEAD='EHLO c\r\nMAIL FROM:<s@x.example>\r\nRCPT TO:<a@test.example>\r\nDATA\r\n'

# smuggle NAME END: a message whose body holds END then a second, smuggled
# transaction, then the real end.  Exactly nothing may be queued: the first
# message has a bare LF/CR and is refused, the smuggled one is only its text.
smuggle() {
	rec_clear
	printf "${HEAD}Subject: one\r\n\r\nbody${2}MAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@test.example>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\nQUIT\r\n" |
	    chat $P > $T
	same "smuggling $1: no message queued" "$(rec_count)" 0
	expect "smuggling $1: refused with 554 5.6.0" '^554 5\.6\.0 bare LF or CR' $T
	same "smuggling $1: the smuggled MAIL is never a command" "$(grep -c '^250 2.1.0' $T)" 1
	expect "smuggling $1: session goes on after the real end" '^221 ' $T
}
smuggle '<LF>.<LF>' '\n.\n'
smuggle '<LF>.<CR><LF>' '\n.\r\n'
smuggle '<CR><LF>.<LF>' '\r\n.\n'
smuggle '<CR>.<CR>' '\r.\r'
smuggle '<CR>.<CR><LF>' '\r.\r\n'
smuggle '<CR><LF>.<CR>' '\r\n.\r'

rec_clear
printf "${HEAD}a\nb\r\n.\r\n${HEAD}a\rb\r\n.\r\n${HEAD}fine\r\n.\r\nQUIT\r\n" | chat $P > $T
same "bare LF, bare CR refused; the next message in the session accepted" "$(rec_count)" 1
same "two 554 5.6.0 replies" "$(grep -c '^554 5.6.0' $T)" 2

# an ordinary message with dots and CRs in the right places
rec_clear
printf "${HEAD}Subject: dots\r\n\r\n.\r\n" | chat $P > /dev/null
printf "${HEAD}Subject: dots\r\n\r\n...\r\n..\r\n.x\r\nend\r\n.\r\nQUIT\r\n" | chat $P > $T
same "two messages (one empty body) queued" "$(rec_count)" 2
same "dot-unstuffing of .., ..., .x" "$(rec_body | sed 1,2d)" "$(printf 'Subject: dots\n\n..\n.\nx\nend')"

# databytes and SIZE
echo 200 > "$QHOME/control/databytes"
rec_clear
body=$(python3 -c "print('x' * 300)")
printf "${HEAD}${body}\r\n.\r\nMAIL FROM:<s@x.example> SIZE=201\r\nMAIL FROM:<s@x.example> SIZE=200\r\nRCPT TO:<a@test.example>\r\nDATA\r\nsmall\r\n.\r\nQUIT\r\n" | chat $P > $T
expect "databytes: too big after DATA: 552 as qmail" '^552 5\.3\.4 sorry, that message size exceeds my databytes limit \(#5\.3\.4\)' $T
expect "SIZE= over databytes: 552 at MAIL" '^552 5\.3\.4 sorry, that message size' $T
same "two 552 replies" "$(grep -c '^552' $T)" 2
same "only the small message queued" "$(rec_count)" 1
printf 'HELO c\r\nMAIL FROM:<s@x.example>\r\nRCPT TO:<a@test.example>\r\nDATA\r\n%s\r\n.\r\nQUIT\r\n' "$body" | chat $P > $T
expect "databytes: 552 without enhanced codes after HELO" '^552 sorry' $T
rm "$QHOME/control/databytes"
rec_clear
printf "EHLO c\r\nMAIL FROM:<s@x.example> SIZE=99999999999\r\nQUIT\r\n" | chat $P > $T
expect "no databytes: any SIZE accepted" '^250 2\.1\.0 ok' $T

# hops
hops() {
	python3 -c "
import sys
n = int(sys.argv[1])
sys.stdout.write('EHLO c\r\nMAIL FROM:<s@x.example>\r\nRCPT TO:<a@test.example>\r\nDATA\r\n')
for i in range(n):
    sys.stdout.write(('Received: from h%d\r\n' if i % 2 else 'delivered-to: x%d\r\n') % i)
sys.stdout.write('\r\nReceived: in the body does not count\r\n.\r\nQUIT\r\n')
" "$1" | chat $P
}
rec_clear
hops 100 > $T
expect "100 hops: accepted" '^250 2\.6\.0 ok' $T
hops 101 > $T
expect "101 hops: 554 looping as qmail" '^554 5\.4\.6 too many hops, this message is looping \(#5\.4\.6\)' $T
same "only the 100-hop message queued" "$(rec_count)" 1

# 8-bit and SMTPUTF8
rec_clear
printf 'EHLO c\r\nMAIL FROM:<j\303\266rg@x.example> SMTPUTF8 BODY=8BITMIME\r\nRCPT TO:<\344\270\255\346\226\207@test.example>\r\nDATA\r\nSubject: gr\303\274\303\237e\r\n\r\n8-bit \377 body\r\n.\r\nQUIT\r\n' | chat $P > $T
expect "SMTPUTF8 message accepted" '^250 2\.6\.0 ok' $T
same "UTF-8 envelope kept byte for byte" "$(rec_env)" "$(printf 'Fj\303\266rg@x.example|T\344\270\255\346\226\207@test.example||')"
rec_body > $T.body
expect "Received says UTF8SMTP" 'with UTF8SMTP;' $T.body
expect "8-bit body bytes kept" "$(printf '8-bit \377 body')" $T.body
python3 - $P > $T 2>&1 <<'EOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.ehlo('py')
print('utf8' , s.has_extn('smtputf8'))
r = s.sendmail('ö@x.example', ['ü@test.example'], 'Subject: ä\r\n\r\nö\r\n'.encode(), mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
print('sent', r)
s.quit()
EOF
expect "smtplib SMTPUTF8 sendmail" '^sent \{\}' $T

# qmail-queue exit codes
qq() {	# qq CODE: the reply to DATA's end when qmail-queue exits CODE
	echo "$1" > "$REC/exitcode"
	printf "${HEAD}x\r\n.\r\nQUIT\r\n" | chat $P | tr -d '\r' | grep -E '^(4|5)[0-9][0-9] ' | head -1
	rm -f "$REC/exitcode"
}
same "qq 11: 554 address too long" "$(qq 11)" "554 5.1.3 address too long (#5.1.3)"
same "qq 31: 554 permanent" "$(qq 31)" "554 5.3.0 mail server permanently rejected message (#5.3.0)"
same "qq 53: 451 disk full" "$(qq 53)" "451 4.3.0 qq write error or disk full (#4.3.0)"
same "qq 71: 451" "$(qq 71)" "451 4.3.0 mail server temporarily rejected message (#4.3.0)"
same "qq 91: 451 envelope format" "$(qq 91)" "451 4.3.0 qq envelope format error (#4.3.0)"
same "qq 99: 451 temporary" "$(qq 99)" "451 4.3.0 qq temporary problem (#4.3.0)"
printf 'Dvirus found (#5.7.1)' > "$REC/reason"
same "qq 82 with D reason on fd 6: 554 + reason" "$(qq 82)" "554 5.7.1 virus found (#5.7.1)"
printf 'Zgreylisted, come back later\n' > "$REC/reason"
same "qq 82 with Z reason: 451 + reason" "$(qq 82)" "451 4.3.0 greylisted, come back later"
rm -f "$REC/reason"
same "qq 82 without reason: 451" "$(qq 82)" "451 4.3.0 qq temporary problem (#4.3.0)"
QMAILQUEUE=/nonexistent/qq start_srv 20521 -- qmail-smtpd
same "QMAILQUEUE that cannot run: 451 unable to exec qq" \
    "$(printf "${HEAD}x\r\n.\r\nQUIT\r\n" | chat 20521 | tr -d '\r' | grep '^451')" "451 4.3.0 unable to exec qq (#4.3.0)"
