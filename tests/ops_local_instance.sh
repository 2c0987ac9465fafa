# tools/local-instance.sh: start a private instance, send one message by
# SMTP (swaks) and one by sendmail, find both in its Maildir, stop it and
# leave no process behind.  As root, the same again the way "make local"
# runs for root without sudo: as the user qmlocal, from a checkout qmlocal
# cannot read, so the instance goes to ~qmlocal/qmail-local.  Ports 21340
# and 21341 (SMTP, QMTP), 21344 and 21345 (SMTPS, submission); 21342,
# 21343, 21346 and 21347 for the root run.  Through the instance: swaks
# with STARTTLS on the SMTP port, TLS at once on SMTPS and AUTH on
# submission each deliver, the Received lines say so, and submission
# refuses AUTH before TLS.
. "$QTOP/tests/lib.sh"
S=$QSRC
for p in qmail-send qmail-start qmail-lspawn qmail-local qmail-smtpd qmail-queue sendmail; do
	[ -f "$S/$p.c" ] || [ -f "$S/$p.sh" ] || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
	skip "local instance: not in this tree yet:$missing"
	exit 0
fi
for t in tcpserver swaks python3; do
	command -v $t > /dev/null || { skip "local instance: $t is not installed"; exit 0; }
done

L=$TESTTMP/local-instance
u=$(test_user)
export LOCAL_DIR=$L LOCAL_SMTP_PORT=21340 LOCAL_QMTP_PORT=21341 LOCAL_USER=$u \
    LOCAL_SMTPS_PORT=21344 LOCAL_SUBMISSION_PORT=21345
li() { sh "$S/tools/local-instance.sh" "$@"; }
leftovers() { ps -eo pid=,args= | grep -F "$L/" | grep -v -e grep -e ops_local; }
trap 'li stop > /dev/null 2>&1; rm -rf "$L"' EXIT
rm -rf "$L"; mkdir -p "$L"
[ "$(id -u)" = 0 ] && chown "$u" "$L"

if li start > "$TESTTMP/li.out" 2>&1; then ok "local instance: start"
else notok "local instance: start"; tail -n 20 "$TESTTMP/li.out" | sed 's/^/    /'; fi
grep -q "swaks --server 127.0.0.1:21340" "$TESTTMP/li.out" &&
	ok "local instance: start prints how to send" ||
	notok "local instance: start prints how to send"
check "local instance: the home checks out" as_user "$u" sh -c "cd '$L/src' && sh tools/install.sh check"
[ "$(sed -n 1p "$QSRC/conf-qmail")" = "$QHOME" ] &&
	ok "local instance: the checkout's conf-qmail is untouched" ||
	notok "local instance: the checkout's conf-qmail is untouched"

swaks --server 127.0.0.1:21340 --from a@example.test --to you@example.test \
    --header "Subject: via smtp $$" > "$TESTTMP/swaks.out" 2>&1 &&
	ok "local instance: swaks is accepted" ||
	{ notok "local instance: swaks is accepted"; tail -n 8 "$TESTTMP/swaks.out" | sed 's/^/    /'; }
# TLS and submission, as start printed them
pass=$(cat "$L/submission.pass" 2>/dev/null)
[ -n "$pass" ] && [ "$(stat -c %a "$L/submission.pass")" = 600 ] &&
	ok "local instance: the submission password is in local/submission.pass, mode 600" ||
	notok "local instance: the submission password is in local/submission.pass, mode 600"
grep -q "swaks --server 127.0.0.1:21345 --tls --auth PLAIN --auth-user $u" "$TESTTMP/li.out" &&
	ok "local instance: start prints the swaks line for authenticated submission" ||
	notok "local instance: start prints the swaks line for authenticated submission"
sw() {	# name swaks-args...: must be accepted
	_n=$1; shift
	swaks --from "$u@example.test" --to you@example.test "$@" > "$TESTTMP/swaks.$_n" 2>&1 &&
		grep -q '^<[-~]  *250 .*ok' "$TESTTMP/swaks.$_n" &&
		ok "local instance: $_n is accepted" ||
		{ notok "local instance: $_n is accepted"; tail -n 12 "$TESTTMP/swaks.$_n" | sed 's/^/    /'; }
}
sw "STARTTLS on the SMTP port" --server 127.0.0.1:21340 --tls --header "Subject: via starttls $$"
sw "implicit TLS with AUTH LOGIN on SMTPS" --server 127.0.0.1:21344 --tlsc \
    --auth LOGIN --auth-user "$u" --auth-password "$pass" --header "Subject: via smtps $$"
sw "STARTTLS and AUTH PLAIN on submission" --server 127.0.0.1:21345 --tls \
    --auth PLAIN --auth-user "$u" --auth-password "$pass" --header "Subject: via submission $$"
python3 - 21345 "$u" "$pass" > "$TESTTMP/swaks.notls" 2>&1 <<'PY'
import base64, smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.ehlo('client.test')
cred = base64.b64encode(('\0%s\0%s' % (sys.argv[2], sys.argv[3])).encode()).decode()
print(s.docmd('AUTH', 'PLAIN ' + cred))
s.quit()
PY
grep -q '^(530, ' "$TESTTMP/swaks.notls" &&
	ok "local instance: AUTH without TLS on submission is refused with 530" ||
	{ notok "local instance: AUTH without TLS on submission is refused with 530"; tail -n 8 "$TESTTMP/swaks.notls" | sed 's/^/    /'; }
swaks --server 127.0.0.1:21345 --tls --to you@example.test > "$TESTTMP/swaks.noauth" 2>&1
grep -q '530 5.7.0 Authentication required' "$TESTTMP/swaks.noauth" && ! grep -q ' 250 .*ok [0-9]' "$TESTTMP/swaks.noauth" &&
	ok "local instance: MAIL without AUTH on submission is refused with 530" ||
	{ notok "local instance: MAIL without AUTH on submission is refused with 530"; tail -n 8 "$TESTTMP/swaks.noauth" | sed 's/^/    /'; }
swaks --server 127.0.0.1:21345 --tls --auth PLAIN --auth-user "$u" --auth-password wrong$$ \
    --to you@example.test > "$TESTTMP/swaks.badpw" 2>&1
grep -q '535 ' "$TESTTMP/swaks.badpw" && ! grep -q '^<~  *235' "$TESTTMP/swaks.badpw" &&
	ok "local instance: a wrong password is refused with 535" ||
	{ notok "local instance: a wrong password is refused with 535"; tail -n 8 "$TESTTMP/swaks.badpw" | sed 's/^/    /'; }
printf 'Subject: via sendmail %s\n\nhello\n' $$ |
	as_user "$u" "$L/home/bin/sendmail" bob@example.test &&
	ok "local instance: sendmail accepts" || notok "local instance: sendmail accepts"

subjects() {	# [MAILDIR]
	python3 - "${1:-$L/Maildir}" <<'PY'
import mailbox, sys
for m in mailbox.Maildir(sys.argv[1], create=False):
    print(m.get("Subject", ""))
PY
}
i=0
while [ $i -lt 100 ]; do
	n=$(subjects 2>/dev/null | grep -c "via .* $$")
	[ "$n" = 5 ] && break
	sleep 0.1; i=$((i + 1))
done
subjects > "$TESTTMP/subjects" 2>&1
grep -q "^via smtp $$\$" "$TESTTMP/subjects" &&
	ok "local instance: the SMTP message is in the Maildir" ||
	{ notok "local instance: the SMTP message is in the Maildir"; tail -n 5 "$L"/log/qmail-send*/current 2>/dev/null | sed 's/^/    /'; }
grep -q "^via sendmail $$\$" "$TESTTMP/subjects" &&
	ok "local instance: the sendmail message is in the Maildir" ||
	notok "local instance: the sendmail message is in the Maildir"
# the Received line qmail-smtpd wrote for each TLS message
python3 - "$L/Maildir" "$$" "$u" > "$TESTTMP/received" 2>&1 <<'PY'
import mailbox, re, sys
d, tag, user = sys.argv[1:]
want = {
    'via starttls': rb'with ESMTPS \(TLSv1\.[23] cipher [A-Z0-9_-]+',
    'via smtps': rb'with ESMTPSA \(TLSv1\.[23] cipher [A-Z0-9_-]+',
    'via submission': rb'with ESMTPSA \(TLSv1\.[23] cipher [A-Z0-9_-]+',
}
got = {}
for m in mailbox.Maildir(d, create=False):
    s = m.get('Subject', '')
    for k in want:
        if s == '%s %s' % (k, tag):
            got[k] = m.as_bytes()
for k, pat in want.items():
    if k not in got:
        print(k, ': not delivered'); continue
    head = got[k].split(b'\n\n', 1)[0]
    recs = re.findall(rb'^Received: .*\n(?:[ \t].*\n)*', head + b'\n', re.M)
    r = ([x for x in recs if b' with ' in x] or [b''])[0]	# qmail-smtpd's
    if not re.search(pat, r):
        print(k, ': Received line lacks', pat, r)
    if k != 'via starttls' and user.encode() not in r:
        print(k, ': Received line does not name', user, r)
PY
[ ! -s "$TESTTMP/received" ] &&
	ok "local instance: the Received lines say ESMTPS/ESMTPSA, the cipher and the user" ||
	{ notok "local instance: the Received lines say ESMTPS/ESMTPSA, the cipher and the user"; sed 's/^/    /' "$TESTTMP/received"; }
# DKIM: the submitted message is signed, and python3-dkim (Debian's
# python3) verifies it against the records make local saved
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import dkim, nacl' 2>/dev/null; then
	[ -s "$L/dkim-example.test.txt" ] &&
		ok "local instance: the DKIM records are in local/dkim-example.test.txt" ||
		notok "local instance: the DKIM records are in local/dkim-example.test.txt"
	f=$(grep -l "^Subject: via submission $$\$" "$L"/Maildir/new/* 2>/dev/null | head -1)
	/usr/bin/python3 "$S/tests/lib-dkim-verify.py" "$L/dkim-example.test.txt" "${f:-/dev/null}" \
	    > "$TESTTMP/dkimv" 2>&1
	grep -q '^rsa-sha256 d=example.test pass' "$TESTTMP/dkimv" &&
	    grep -q '^ed25519-sha256 d=example.test pass' "$TESTTMP/dkimv" &&
		ok "local instance: the submitted message's DKIM signatures verify (python3-dkim)" ||
		{ notok "local instance: the submitted message's DKIM signatures verify (python3-dkim)"; sed 's/^/    /' "$TESTTMP/dkimv"; }
	f=$(grep -l "^Subject: via starttls $$\$" "$L"/Maildir/new/* 2>/dev/null | head -1)
	[ -n "$f" ] && ! grep -qi '^DKIM-Signature:' "$f" &&
		ok "local instance: unauthenticated mail on the SMTP port is not signed" ||
		notok "local instance: unauthenticated mail on the SMTP port is not signed"
else
	skip "local instance: DKIM check: Debian's python3-dkim and python3-nacl are not installed"
fi

if li start > "$TESTTMP/li2.out" 2>&1 && grep -q "already running" "$TESTTMP/li2.out"; then
	ok "local instance: a second start reuses the running instance"
else
	notok "local instance: a second start reuses the running instance"; tail -n 5 "$TESTTMP/li2.out"
fi

li stop > "$TESTTMP/stop.out" 2>&1 && ok "local instance: stop" || notok "local instance: stop"
i=0
while leftovers > /dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if leftovers > "$TESTTMP/left"; then
	notok "local instance: no process is left after stop"; sed 's/^/    /' "$TESTTMP/left"
else
	ok "local instance: no process is left after stop"
fi

# ---- as root with no SUDO_USER: the user qmlocal, a closed checkout ----
if [ "$(id -u)" != 0 ]; then
	skip "local instance as root: not root"
	exit 0
fi
QL=qmlocal
C=$TESTTMP/closed
if id -u $QL > /dev/null 2>&1 && [ -e "$(getent passwd $QL | cut -d: -f6)/qmail-local" ]; then
	skip "local instance as root: ~$QL/qmail-local exists already; not touching it"
	exit 0
fi
rm -rf "$C"; mkdir -p "$C"
# a checkout with a build in it, as after "make": none of it may be used
(cd "$QSRC" && tar cf - .) | (cd "$C" && tar xf -)
chmod 700 "$C"
rootli() {	# the way root types it: make in the checkout, no sudo
	(cd "$C" && env -u SUDO_USER -u LOCAL_USER -u LOCAL_DIR \
	    LOCAL_SMTP_PORT=21342 LOCAL_QMTP_PORT=21343 LOCAL_SMTPS_PORT=21346 \
	    LOCAL_SUBMISSION_PORT=21347 make -s "$@")
}
LH=
rootleft() { [ -n "$LH" ] && ps -eo pid=,args= | grep -F "$LH/" | grep -v -e grep -e ops_local; }
trap 'li stop > /dev/null 2>&1; rm -rf "$L"; rootli local-stop > /dev/null 2>&1; [ -n "$LH" ] && rm -rf "$LH"; rm -rf "$C"' EXIT
if rootli local > "$TESTTMP/root.out" 2>&1; then ok "local instance as root: make local"
else notok "local instance as root: make local"; tail -n 20 "$TESTTMP/root.out" | sed 's/^/    /'; fi
id -u $QL > /dev/null 2>&1 && ok "local instance as root: the user $QL exists" ||
	notok "local instance as root: the user $QL exists"
LH=$(getent passwd $QL | cut -d: -f6)/qmail-local
[ "$LH" != /qmail-local ] || LH=
grep -qF "the instance goes to $LH" "$TESTTMP/root.out" &&
	ok "local instance as root: a closed checkout sends the instance to ~$QL/qmail-local" ||
	{ notok "local instance as root: a closed checkout sends the instance to ~$QL/qmail-local"; head -n 5 "$TESTTMP/root.out" | sed 's/^/    /'; }
grep -E "can't|cannot|fatal|warning" "$TESTTMP/root.out" | grep -v "the instance goes to" > "$TESTTMP/root.err" &&
	{ notok "local instance as root: no complaint on the way"; sed 's/^/    /' "$TESTTMP/root.err"; } ||
	ok "local instance as root: no complaint on the way"
p=$(cat "$LH/run/svscan.pid" 2>/dev/null)
[ -n "$p" ] && [ "$(ps -o user= -p "$p")" = $QL ] &&
	ok "local instance as root: svscan runs as $QL" ||
	notok "local instance as root: svscan runs as $QL"
[ -f "$LH/src/Makefile" ] && [ "$(stat -c %U "$LH/src/Makefile")" = $QL ] &&
    "$LH/home/bin/qmail-showctl" | grep -qxF "qmail home directory: $LH/home." &&
	ok "local instance as root: the sources are copied for $QL, without the checkout's build" ||
	notok "local instance as root: the sources are copied for $QL, without the checkout's build"
swaks --server 127.0.0.1:21342 --from a@example.test --to you@example.test \
    --header "Subject: root smtp $$" > "$TESTTMP/swaks.out" 2>&1 &&
	ok "local instance as root: swaks is accepted" ||
	{ notok "local instance as root: swaks is accepted"; tail -n 8 "$TESTTMP/swaks.out" | sed 's/^/    /'; }
printf 'Subject: root sendmail %s\n\nhello\n' $$ | "$LH/home/bin/sendmail" bob@example.test &&
	ok "local instance as root: root's sendmail accepts" ||
	notok "local instance as root: root's sendmail accepts"
i=0
while [ $i -lt 100 ]; do
	[ "$(subjects "$LH/Maildir" 2>/dev/null | grep -c "^root .* $$\$")" = 2 ] && break
	sleep 0.1; i=$((i + 1))
done
subjects "$LH/Maildir" > "$TESTTMP/subjects" 2>&1
grep -q "^root smtp $$\$" "$TESTTMP/subjects" && grep -q "^root sendmail $$\$" "$TESTTMP/subjects" &&
	ok "local instance as root: both messages are in ~$QL/qmail-local/Maildir" ||
	{ notok "local instance as root: both messages are in ~$QL/qmail-local/Maildir"; tail -n 5 "$LH"/log/qmail-send/current 2>/dev/null | sed 's/^/    /'; }
[ -z "$(find "$LH/Maildir/new" -type f ! -user $QL)" ] &&
	ok "local instance as root: delivered as $QL" || notok "local instance as root: delivered as $QL"
rootli local-stop > "$TESTTMP/rootstop.out" 2>&1 && ok "local instance as root: make local-stop" ||
	{ notok "local instance as root: make local-stop"; sed 's/^/    /' "$TESTTMP/rootstop.out"; }
i=0
while rootleft > /dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if rootleft > "$TESTTMP/left"; then
	notok "local instance as root: no process is left after make local-stop"; sed 's/^/    /' "$TESTTMP/left"
else
	ok "local instance as root: no process is left after make local-stop"
fi
