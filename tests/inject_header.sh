# qmail-inject: header fields it adds, rewrites and removes, recipient
# selection, the envelope sender, QMAILINJECT letters, QMAILQUEUE
# (man/qmail-inject.8, qmail-header(5))
. "$QTOP/tests/lib.sh" 2>/dev/null || . tests/lib.sh
. "$QSRC/tests/lib-queue.sh"
reset_home
T=$TESTTMP/ih
mkdir -p "$T"; chmod 755 "$T"
make_capture
QMAILQUEUE=$TESTTMP/capture-qq
export QMAILQUEUE
unset QMAILHOST MAILHOST QMAILNAME MAILNAME NAME QMAILSUSER QMAILSHOST QMAILINJECT \
	QMAILDEFAULTDOMAIN QMAILDEFAULTHOST QMAILPLUSDOMAIN QMAILIDHOST MAILUSER LOGNAME
export QMAILUSER=joe USER=joe
printf 'example.org\n' > "$QHOME/control/defaulthost"
printf 'dom.example\n' > "$QHOME/control/defaultdomain"
printf 'plus.example\n' > "$QHOME/control/plusdomain"
printf 'id.example\n' > "$QHOME/control/idhost"

inj() { rm -f "$CAP.msg" "$CAP.env"; qmail-inject "$@" > "$T/out" 2> "$T/err"; }
hdr() { sed '/^$/q' "$CAP.msg"; }
has() {	# name file regex
	if grep -Eq "$3" "$2"; then ok "$1"; else notok "$1"; sed 's/^/    /' "$2" | head -20; fi
}
hasnt() {
	if grep -Eq "$3" "$2"; then notok "$1"; sed 's/^/    /' "$2" | head -20; else ok "$1"; fi
}

printf 'To: alice@example.test\nSubject: one\n\nhello\n' > "$T/m1"
inj < "$T/m1"; rc=$?
check "a message with To: is queued (exit $rc)" test "$rc" = 0
hdr > "$T/h"
has "Date: added in qmail's form" "$T/h" '^Date: [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} -0000$'
has "Message-ID: <time.pid.qmail@idhost> added" "$T/h" '^Message-ID: <[0-9]+\.[0-9]+\.qmail@id\.example>$'
has "From: user@defaulthost added" "$T/h" '^From: joe@example\.org$'
hasnt "no Cc: line when To: is present" "$T/h" '^Cc:'
check "the body is unchanged" test "$(sed '1,/^$/d' "$CAP.msg")" = hello
cap_env > "$T/e"
check "envelope: sender joe@defaulthost, recipient from To:" test "$(cat "$T/e")" = "$(printf 'Fjoe@example.org\nTalice@example.test\n')"

# existing fields are kept
printf 'From: Me <me@here.example>\nDate: 1 Jan 2020 00:00:00 -0000\nMessage-ID: <x@y>\nTo: a@b.example\n\nx\n' | { inj; }
hdr > "$T/h"
has "an existing From: is kept" "$T/h" '^From: Me <me@here\.example>$'
check "exactly one Date:" test "$(grep -c '^Date:' "$T/h")" = 1
check "exactly one Message-ID:" test "$(grep -ci '^Message-ID:' "$T/h")" = 1

# QMAILINJECT f and i drop the supplied From and Message-ID
printf 'From: Me <me@here.example>\nMessage-ID: <x@y>\nTo: a@b.example\n\nx\n' | QMAILINJECT=fi inj
hdr > "$T/h"
has "QMAILINJECT=f: a new From: replaces the old" "$T/h" '^From: joe@example\.org$'
hasnt "QMAILINJECT=i: the old Message-ID is gone" "$T/h" '^Message-ID: <x@y>'
has "QMAILINJECT=i: a new Message-ID" "$T/h" '^Message-ID: <[0-9]+\.[0-9]+\.qmail@'

# names and styles
printf 'To: a@b.example\n\nx\n' | QMAILNAME='Joe "Q" Public' inj
has "QMAILNAME gives a quoted phrase" "$CAP.msg" '^From: "Joe \\"Q\\" Public" <joe@example\.org>$'
printf 'To: a@b.example\n\nx\n' | QMAILINJECT=c NAME='Joe Public' inj
has "QMAILINJECT=c: address (comment) style" "$CAP.msg" '^From: joe@example\.org \(Joe Public\)$'
printf 'To: a@b.example\n\nx\n' | MAILNAME=Mail NAME=Name QMAILNAME=Qmail inj
has "QMAILNAME before MAILNAME before NAME" "$CAP.msg" '^From: "Qmail" <'
printf 'To: a@b.example\n\nx\n' | QMAILNAME=Env inj -F Option
has "-F overrides the environment's name" "$CAP.msg" '^From: "Option" <'
printf 'To: a@b.example\n\nx\n' | QMAILHOST=mailhost.example QMAILUSER=sue inj
has "QMAILUSER and QMAILHOST make the From:" "$CAP.msg" '^From: sue@mailhost\.example$'
check "... and the envelope sender" test "$(cap_env | head -1)" = Fsue@mailhost.example
printf 'To: a@b.example\n\nx\n' | env -u QMAILUSER MAILUSER=mu USER=u LOGNAME=l qmail-inject
has "MAILUSER before USER and LOGNAME" "$CAP.msg" '^From: mu@example\.org$'
printf 'To: a@b.example\n\nx\n' | QMAILSUSER=bounces QMAILSHOST=b.example inj
check "QMAILSUSER and QMAILSHOST set only the envelope sender" test "$(cap_env | head -1)" = Fbounces@b.example
has "... not the From:" "$CAP.msg" '^From: joe@example\.org$'

# rewriting: defaulthost, defaultdomain, plusdomain
printf 'To: bare, x@host, y@host.cs+, z@sub.example.com, "q r"@s.example\nCc: w@[10.1.2.3]\n\nx\n' | inj
hdr > "$T/h"
has "a bare name gets @defaulthost" "$T/h" 'bare@example\.org'
has "a host without a dot gets .defaultdomain" "$T/h" 'x@host\.dom\.example'
has "a host ending in + gets plusdomain" "$T/h" 'y@host\.cs\.plus\.example'
has "a full name is left alone" "$T/h" 'z@sub\.example\.com'
has "a quoted local part stays quoted" "$T/h" '"q r"@s\.example'
has "a domain literal is left alone" "$T/h" 'w@\[10\.1\.2\.3\]'
check "the envelope has the rewritten addresses, unquoted" test "$(cap_env | sed 1d | tr '\n' ' ')" = "Tbare@example.org Tx@host.dom.example Ty@host.cs.plus.example Tz@sub.example.com Tq r@s.example Tw@[10.1.2.3] "
printf 'To: a\n\nx\n' | QMAILDEFAULTHOST=dh QMAILDEFAULTDOMAIN=dd.example inj
has "QMAILDEFAULTHOST and QMAILDEFAULTDOMAIN override the controls" "$CAP.msg" '^To: a@dh\.dd\.example$'
printf 'To: a@h+\n\nx\n' | QMAILPLUSDOMAIN=pp.example inj
has "QMAILPLUSDOMAIN overrides plusdomain" "$CAP.msg" '^To: a@h\.pp\.example$'
rm -f "$QHOME/control/defaulthost" "$QHOME/control/defaultdomain" "$QHOME/control/plusdomain" "$QHOME/control/idhost"
printf 'To: a, b@c\n\nx\n' | inj
hdr > "$T/h"
has "without controls, defaulthost is me" "$T/h" 'a@test\.example'
has "without controls, defaultdomain is me" "$T/h" 'b@c\.test\.example'
has "without controls, idhost is me" "$T/h" '^Message-ID: <.*\.qmail@test\.example>$'
printf 'example.org\n' > "$QHOME/control/defaulthost"
printf 'dom.example\n' > "$QHOME/control/defaultdomain"

# Bcc, Return-Path, Content-Length removed; Cc added when needed
printf 'Bcc: hidden@x.example\nSubject: s\n\nx\n' | inj
hdr > "$T/h"
hasnt "Bcc: is removed" "$T/h" '^Bcc:'
has "Cc: recipient list not shown: ; is added" "$T/h" '^Cc: recipient list not shown: ;$'
check "the Bcc address is still a recipient" test "$(cap_env | sed -n 2p)" = Thidden@x.example
printf 'To: a@b.example\nReturn-Path: <rp@r.example>\nContent-Length: 99\n\nx\n' | inj
hdr > "$T/h"
hasnt "Return-Path: is removed" "$T/h" '^Return-Path:'
hasnt "Content-Length: is removed" "$T/h" '^Content-Length:'
check "Return-Path: sets the envelope sender" test "$(cap_env | head -1)" = Frp@r.example
printf 'To: a@b.example\nReturn-Path: <>\n\nx\n' | inj
check "Return-Path: <> gives the null sender" test "$(cap_env | head -1)" = F
printf 'To: a@b.example\nReturn-Path: <rp@r.example>\n\nx\n' | QMAILINJECT=s inj
check "QMAILINJECT=s ignores Return-Path:" test "$(cap_env | head -1)" = Fjoe@example.org
printf 'To: a@b.example\nReturn-Path: <rp@r.example>\n\nx\n' | inj -f opt@o.example
check "-f overrides Return-Path:" test "$(cap_env | head -1)" = Fopt@o.example
printf 'To: a@b.example\n\nx\n' | inj -f ''
check "-f '' gives the null sender" test "$(cap_env | head -1)" = F
printf 'To: a@b.example\n\nx\n' | inj -f plain
check "-f without a host gets @defaulthost" test "$(cap_env | head -1)" = Fplain@example.org

# VERP letters
printf 'To: a@b.example\n\nx\n' | QMAILINJECT=r inj
check "QMAILINJECT=r: sender user-@host-@[]" test "$(cap_env | head -1)" = 'Fjoe-@example.org-@[]'
printf 'To: a@b.example\n\nx\n' | QMAILINJECT=m inj
if cap_env | head -1 | grep -Eq '^Fjoe-[0-9]+\.[0-9]+@example\.org$'; then ok "QMAILINJECT=m: sender user-time.pid@host"
else notok "QMAILINJECT=m: sender user-time.pid@host"; cap_env | head -1; fi

# recipient selection
printf 'To: h1@x.example\nCc: h2@x.example\nBcc: h3@x.example\nApparently-To: h4@x.example\n\nx\n' > "$T/m2"
inj < "$T/m2"
check "no args: all header recipients (To, Cc, Bcc, Apparently-To)" test "$(cap_env | sed 1d | tr '\n' ' ')" = "Th1@x.example Th2@x.example Th3@x.example Th4@x.example "
inj a1@y.example < "$T/m2"
check "args given: only the args (-A)" test "$(cap_env | sed 1d | tr '\n' ' ')" = "Ta1@y.example "
inj -a a1@y.example < "$T/m2"
check "-a: only the args" test "$(cap_env | sed 1d | tr '\n' ' ')" = "Ta1@y.example "
inj -h a1@y.example < "$T/m2"
check "-h: only the header" test "$(cap_env | sed 1d | tr '\n' ' ')" = "Th1@x.example Th2@x.example Th3@x.example Th4@x.example "
inj -H a1@y.example < "$T/m2"
check "-H: args and header" test "$(cap_env | sed 1d | tr '\n' ' ')" = "Ta1@y.example Th1@x.example Th2@x.example Th3@x.example Th4@x.example "
inj -a a1 < "$T/m2"
check "an arg without a host gets @defaulthost" test "$(cap_env | sed 1d | tr '\n' ' ')" = "Ta1@example.org "
printf 'Subject: none\n\nx\n' | inj -a
rc=$?
check "no recipients at all: exit 100 (got $rc)" test "$rc" = 100
has "... saying so" "$T/err" 'no recipients'

# resent messages
printf 'From: orig@o.example\nTo: old@o.example\nResent-To: new@n.example\nResent-Bcc: rb@n.example\n\nx\n' | inj
hdr > "$T/h"
check "resent: recipients from Resent-To and Resent-Bcc only" test "$(cap_env | sed 1d | tr '\n' ' ')" = "Tnew@n.example Trb@n.example "
hasnt "resent: Resent-Bcc removed" "$T/h" '^Resent-Bcc:'
has "resent: Resent-From added" "$T/h" '^Resent-From: joe@example\.org$'
has "resent: Resent-Date added" "$T/h" '^Resent-Date: '
has "resent: Resent-Message-ID added" "$T/h" '^Resent-Message-ID: <'
has "resent: the original From kept" "$T/h" '^From: orig@o\.example$'
check "resent: no new Date or Message-ID" test "$(grep -Ec '^(Date|Message-ID):' "$T/h")" = 0

# groups, comments, continuation lines, illegal spaces
printf 'To: list: m1@x.example,\n\tm2@x.example;, Real Name <rn@x.example> (c)\nCc: djb fred\n\nx\n' | inj
hdr > "$T/h"
has "a group is kept" "$T/h" '^To: list: m1@x\.example, m2@x\.example;, Real Name <rn@x\.example> \(c\)$'
has "a space between addresses becomes a comma" "$T/h" '^Cc: djb@example\.org, fred@example\.org$'
check "group members and phrase addresses are recipients" test "$(cap_env | sed 1d | tr '\n' ' ')" = "Tm1@x.example Tm2@x.example Trn@x.example Tdjb@example.org Tfred@example.org "

# malformed headers
printf 'To: <unbalanced@x.example\n\nx\n' | inj
rc=$?
check "an unparseable To: gives 100 (got $rc)" test "$rc" = 100
has "... naming the field" "$T/err" 'unable to parse this header field: To: <unbalanced'
python3 -c 'import sys; sys.stdout.write("To: a@b.example\nX-Long: " + "y" * 1100000 + "\n\nx\n")' > "$T/huge"
inj < "$T/huge"; rc=$?
check "a header over LIMIT_HEADER gives 100 (got $rc)" test "$rc" = 100
has "... saying so" "$T/err" 'header too long'
printf 'To: a@b.example\nSubject: s\nnot a header line\nmore\n' | inj
check "a non-field line ends the header, after a blank line" test "$(sed -n '/^Subject/,$p' "$CAP.msg")" = "$(printf 'Subject: s\n\nnot a header line\nmore')"
head -c 3000000 /dev/urandom > "$T/bigbody"
{ printf 'To: a@b.example\n\n'; cat "$T/bigbody"; } | inj
sed '1,/^$/d' "$CAP.msg" > "$T/bodyback"
check "a 3 MB binary body is streamed unchanged" cmp "$T/bodyback" "$T/bigbody"

# -n prints instead of queueing
rm -f "$CAP.msg"
printf 'To: a@b.example\n\nx\n' | qmail-inject -n > "$T/out"
check "-n does not run qmail-queue" test ! -f "$CAP.msg"
has "-n prints Return-Path first" "$T/out" '^Return-Path: <joe@example\.org>$'
check "-n prints the message" grep -q '^To: a@b.example$' "$T/out"

# qmail-queue failures map to 100/111 with qq_errstr text
printf 'To: a@b.example\n\nx\n' | CAPEXIT=11 inj; rc=$?
check "qmail-queue exit 11: inject exits 100 (got $rc)" test "$rc" = 100
has "... with the address-too-long text" "$T/err" 'address too long'
printf 'To: a@b.example\n\nx\n' | CAPEXIT=53 inj; rc=$?
check "qmail-queue exit 53: inject exits 111 (got $rc)" test "$rc" = 111
has "... with the write-error text" "$T/err" 'qq write error or disk full'
printf 'To: a@b.example\n\nx\n' | QMAILQUEUE=/nonexistent/qq inj; rc=$?
check "an unrunnable QMAILQUEUE: 111 (got $rc)" test "$rc" = 111
check_exit "a bad option gives 100" 100 qmail-inject -z

# the real qmail-queue when QMAILQUEUE is unset
unset QMAILQUEUE
queue_empty
printf 'To: a@b.example\n\nx\n' | qmail-inject; rc=$?
check "without QMAILQUEUE, bin/qmail-queue queues it (exit $rc)" test "$rc" = 0 -a "$(qcount todo)" = 1
check "its todo is consistent" todo_consistent
queue_empty
exit 0
