# qmail-smtpd: relay control (rcpthosts, morercpthosts.cdb via qmail-newmrh,
# RELAYCLIENT from a tcprules cdb), badmailfrom, localiphost.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-smtpd.sh"
trap stop_srv EXIT
reset_home
printf 'test.example\n.sub.example\nlip.test.example\n' > "$QHOME/control/rcpthosts"
printf '# more\nMore.Example\n.deep.example\n' > "$QHOME/control/morercpthosts"
check "qmail-newmrh builds morercpthosts.cdb" qmail-newmrh
[ -f "$QHOME/control/morercpthosts.tmp" ] && notok "qmail-newmrh leaves no tmp file" || ok "qmail-newmrh leaves no tmp file"
echo lip.test.example > "$QHOME/control/localiphost"
printf 'bad@x.example\n@spam.example\n' > "$QHOME/control/badmailfrom"
export QMAILQUEUE="$QQREC"
P=20510 PR=20511
start_srv $P -- qmail-smtpd || exit 1
printf '127.0.0.1:allow,RELAYCLIENT="+rc"\n' > "$TESTTMP/tcp.smtp"
tcprules "$TESTTMP/tcp.smtp.cdb" "$TESTTMP/tcp.smtp.tmp" < "$TESTTMP/tcp.smtp"
start_srv $PR -x "$TESTTMP/tcp.smtp.cdb" -- qmail-smtpd || exit 1
T=$TESTTMP/out.relay

rcpt() {	# rcpt PORT SENDER ADDR: the reply to RCPT TO:<ADDR>
	printf 'HELO c\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nQUIT\r\n' "$2" "$3" | chat "$1" |
	    tr -d '\r' | sed -n 4p
}
allowed() { r=$(rcpt $P s@x.example "$2"); case "$r" in "250 ok") ok "$1" ;; *) notok "$1: $r" ;; esac; }
refused() { r=$(rcpt ${3:-$P} ${4:-s@x.example} "$2"); case "$r" in 553*) ok "$1" ;; *) notok "$1: $r" ;; esac; }

allowed "rcpthosts host" u@test.example
allowed "rcpthosts host, any case" u@TEST.Example
allowed "rcpthosts .suffix" u@a.b.sub.example
refused "rcpthosts .suffix is not the bare domain" u@sub.example
allowed "morercpthosts.cdb host, any case" u@MORE.example
allowed "morercpthosts.cdb .suffix" u@x.deep.example
refused "rcpthosts miss" u@elsewhere.example
refused "rcpthosts miss: a listed name as a prefix" u@test.example.evil.example
refused "rcpthosts miss: trailing dot" u@test.example.
r=$(rcpt $P s@x.example u@elsewhere.example)
same "553 text as qmail" "$r" "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
refused "% hack to another domain" 'u%test.example@elsewhere.example'
refused "source route to another domain" '@test.example:u@elsewhere.example'
refused "source route list to another domain" '@test.example,@sub.example:u@elsewhere.example'
refused "! path to another domain" 'test.example!u@elsewhere.example'
refused "two @: the last one counts" 'u@test.example@elsewhere.example'
refused "empty domain" 'u@'
refused "[ip] literal that is not ours" 'u@[192.0.2.1]'
# local-looking forms are local (qmail-send does no % hack unless
# control/percenthack says so): accepted, envelope unchanged
rec_clear
printf 'HELO c\r\nMAIL FROM:<s@x.example>\r\nRCPT TO:<u%%elsewhere.example@test.example>\r\nRCPT TO:<elsewhere.example!u@test.example>\r\nRCPT TO:<@elsewhere.example:v@test.example>\r\nRCPT TO:<postmaster>\r\nRCPT TO:<u@[127.0.0.1]>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' | chat $P > $T
same "local forms: envelope as given, route dropped, [ip] is localiphost" "$(rec_env)" \
    'Fs@x.example|Tu%elsewhere.example@test.example|Telsewhere.example!u@test.example|Tv@test.example|Tpostmaster|Tu@lip.test.example||'

refused "badmailfrom address" u@test.example $P bad@x.example
refused "badmailfrom address, any case" u@test.example $P BAD@X.Example
refused "badmailfrom @domain" u@test.example $P anyone@spam.example
r=$(rcpt $P bad@x.example u@test.example)
same "badmailfrom 553 text as qmail" "$r" "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)"
allowed "badmailfrom: a subdomain of @domain is not listed" u@test.example
r=$(rcpt $P u@a.spam.example u@test.example); same "badmailfrom @domain is exact" "$r" "250 ok"

# RELAYCLIENT from tcprules: everything allowed, its value appended
rec_clear
printf 'HELO c\r\nMAIL FROM:<s@x.example>\r\nRCPT TO:<u@elsewhere.example>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' | chat $PR > $T
expect "RELAYCLIENT: foreign recipient accepted" '^250 ok [0-9]+ qp' $T
same "RELAYCLIENT appended to the recipient" "$(rec_env)" 'Fs@x.example|Tu@elsewhere.example+rc||'

# no rcpthosts: everything accepted (qmail's documented default)
rm "$QHOME/control/rcpthosts"
allowed "no rcpthosts: any domain accepted" u@elsewhere.example
# unreadable rcpthosts: a temporary failure, never "accept all"
if [ "$QIDS" = system ]; then
	echo test.example > "$QHOME/control/rcpthosts"; chmod 600 "$QHOME/control/rcpthosts"
	printf 'QUIT\r\n' | chat $P > $T
	expect "unreadable rcpthosts: 421 unable to read controls" '^421 unable to read controls' $T
else
	skip "unreadable rcpthosts: needs root"
fi
