#!/bin/sh
# DKIM signing (qmail-dksign as QMAILQUEUE, keys from qmail-dkimkey)
# through the real chain: qmail-inject, sendmail as an unprivileged user
# and qmail-smtpd under tcpserver with RELAYCLIENT, then qmail-queue,
# qmail-send, qmail-local into a Maildir and qmail-remote to a receiver
# on loopback (smtproutes).  Every signature is checked by independent
# verifiers: Python's dkim (python3-dkim, ed25519 through python3-nacl)
# with the TXT records qmail-dkimkey printed, and opendkim-testmsg
# against dnsmasq publishing them on a network namespace.  Also: a
# changed body fails, no key means unsigned, the key stays unreadable
# to the sender, hostile headers, the spool limit.  Ports 24700-24709.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
. "$QSRC/tests/lib-chain.sh"
. "$QSRC/tests/lib-smtpd.sh"

SPORT=24700	# qmail-smtpd with RELAYCLIENT
RPORT=24701	# the far side of qmail-remote: the Python receiver
KPORT=24702	# and Postfix's smtp-sink
PY=/usr/bin/python3	# Debian's, with python3-dkim
T=$TESTTMP/dksign
RPID= KPID=
if ! $PY -c 'import dkim, nacl' 2>/dev/null; then
	skip "dkim_sign: python3-dkim or python3-nacl is not installed (tools/deps.sh)"
	exit 0
fi
for t in tcpserver mlist; do
	command -v $t >/dev/null || { skip "dkim_sign: $t is not installed"; exit 0; }
done
trap 'stop_srv; send_stop; kill $RPID $KPID 2>/dev/null' EXIT
rm -rf "$T"; mkdir -p "$T"; chmod 755 "$T"

chain_setup
rm -rf "$QHOME/control/dkim"
(cd "$QSRC" && sh tools/install.sh setup) > "$T/install" 2>&1 || notok "reinstall with control/dkim"
echo test.example > "$QHOME/control/rcpthosts"
B=$CH/bob/Maildir
DKS=$QHOME/bin/qmail-dksign

# verify RECORDS FILE [wire]: tests/lib-dkim-verify.py
verify() { $PY "$QSRC/tests/lib-dkim-verify.py" "$@" 2>&1; }

# last_mail DIR: the newest message file in the Maildir DIR
last_mail() { ls -t "$1"/new/* 2>/dev/null | head -1; }

# ---- qmail-dkimkey: keys, modes, records
if qmail-dkimkey -e -o "$T/records" test.example sel1 > "$T/dkimkey.out" 2> "$T/dkimkey.err"; then
	ok "qmail-dkimkey -e makes rsa and ed25519 keys"
else
	notok "qmail-dkimkey -e makes rsa and ed25519 keys"; cat "$T/dkimkey.err"
fi
KD=$QHOME/control/dkim/test.example
owner=$(sed -n 10p "$QSRC/conf-users"); [ "$QIDS" = single ] && owner=$(id -un)
[ "$(stat -c '%U %a' "$KD/sel1.rsa" 2>/dev/null)" = "$owner 400" ] &&
	[ "$(stat -c '%U %a' "$KD/sel1.ed25519" 2>/dev/null)" = "$owner 400" ] &&
	[ "$(stat -c '%U %a' "$KD" 2>/dev/null)" = "$owner 700" ] &&
	ok "keys: owner $owner, mode 0400, in a 0700 directory" ||
	{ notok "keys: owner $owner, mode 0400"; ls -la "$KD"; }
[ "$(cat "$KD/selector" 2>/dev/null)" = sel1 ] && ok "control/dkim/test.example/selector says sel1" ||
	notok "selector file"
cmp -s "$T/records" "$T/dkimkey.out" && [ "$(wc -l < "$T/records")" = 2 ] &&
	grep -q '^sel1\._domainkey\.test\.example\. IN TXT "v=DKIM1; k=rsa; p=' "$T/records" &&
	grep -q '^sel1-ed\._domainkey\.test\.example\. IN TXT "v=DKIM1; k=ed25519; p=' "$T/records" &&
	ok "records: zone-file lines on fd 1 and in -o FILE" ||
	{ notok "records: zone-file lines"; cat "$T/dkimkey.out"; }
$PY - "$T/records" <<'EOF' && ok "records: strings of at most 255 bytes, the rsa one split" || notok "records: 255-byte strings"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
strs = [re.findall(r'"([^"]*)"', l) for l in lines]
assert all(len(s) <= 255 for l in strs for s in l)
assert len(strs[0]) == 2 and len(strs[0][0]) == 255 and len(strs[1]) == 1
EOF
cp "$KD/sel1.rsa" "$T/rsa.before" 2>/dev/null
qmail-dkimkey -e test.example > "$T/again" 2>&1 && cmp -s "$KD/sel1.rsa" "$T/rsa.before" &&
	cmp -s "$T/again" "$T/records" &&
	ok "qmail-dkimkey again: the selector in use, keys kept, the same records" ||
	{ notok "qmail-dkimkey again"; cat "$T/again"; }
check_exit "qmail-dkimkey refuses a domain that is a path" 100 qmail-dkimkey ../etc
check_exit "qmail-dkimkey refuses a bad selector" 100 qmail-dkimkey test.example 'a/b'
check_exit "qmail-dkimkey refuses RSA keys under 1024 bits" 100 qmail-dkimkey -b 512 test.example small
check_exit "qmail-dkimkey refuses a selector with no room for -ed" 100 qmail-dkimkey test.example "$(printf '%061d' 0)"
qmail-dkimkey -b 1024 test.example b1024 > "$T/b1024" 2>&1 &&
	$PY -c 'import re,sys,base64; p=re.search(r"p=([^\"]*)", open(sys.argv[1]).read()).group(1); sys.exit(0 if 150 < len(base64.b64decode(p)) < 170 else 1)' "$T/b1024" &&
	grep -q 'names another selector' "$T/b1024" && [ "$(cat "$KD/selector")" = sel1 ] &&
	ok "qmail-dkimkey -b 1024: a 1024-bit key; the selector in use is kept" || { notok "qmail-dkimkey -b 1024"; cat "$T/b1024"; }
qmail-dkimkey other.example > "$T/other.rec" 2>&1 &&
	[ "$(cat "$QHOME/control/dkim/other.example/selector")" = "s$(date -u +%Y%m)" ] &&
	grep -q "^s$(date -u +%Y%m)\._domainkey\.other\.example\. IN TXT \"v=DKIM1; k=rsa; " "$T/other.rec" &&
	[ ! -e "$QHOME/control/dkim/other.example/s$(date -u +%Y%m).ed25519" ] &&
	ok "default selector s$(date -u +%Y%m); rsa only without -e" || { notok "default selector"; cat "$T/other.rec"; }
cat "$T/other.rec" >> "$T/records"
if [ "$QIDS" = system ]; then
	mkdir -p "$T/target"; ln -s "$T/target" "$QHOME/control/dkim/evil.example"
	qmail-dkimkey evil.example > /dev/null 2>&1
	r=$?
	[ $r = 111 ] && [ "$(stat -c %U "$T/target")" = root ] && [ -z "$(ls "$T/target")" ] &&
		ok "qmail-dkimkey follows no symbolic link for a domain directory" ||
		notok "qmail-dkimkey and a symbolic link (exit $r, owner $(stat -c %U "$T/target"))"
	rm -f "$QHOME/control/dkim/evil.example"
fi

chain_start

# ---- qmail-inject -> qmail-dksign -> qmail-queue -> Maildir
mail_dk() {	# FROM SUBJECT [BODY]: qmail-inject through qmail-dksign to bob
	printf 'From: %s\nTo: bob@test.example\nSubject: %s\nDate: Fri, 4 Dec 2026 12:00:00 +0000\nMessage-ID: <%s@dk>\n\n%s\n' \
	    "$1" "$2" "$2" "${3:-hello}" |
	    env QMAILQUEUE="$DKS" QMAILUSER=alice QMAILHOST=test.example QMAILNAME= \
	    qmail-inject -falice@test.example bob@test.example
}
n0=$(nmail "$B")
mail_dk alice@test.example inject1 "$(printf 'line one\n\n\nend with blanks\n\n')" || notok "qmail-inject through qmail-dksign"
wait_mail "$B" $((n0 + 1)) 15 && ok "signed message delivered to the Maildir" || { notok "signed message delivered"; tail "$SLOG"; }
m=$(last_mail "$B")
verify "$T/records" "$m" > "$T/v1"
[ "$(sed -n 1p "$T/v1")" = "rsa-sha256 d=test.example pass from-oversigned" ] &&
	ok "python3-dkim: rsa-sha256 signature verifies, From oversigned" || { notok "python3-dkim: rsa-sha256"; cat "$T/v1"; }
[ "$(sed -n 2p "$T/v1")" = "ed25519-sha256 d=test.example pass from-oversigned" ] &&
	ok "python3-dkim: ed25519-sha256 signature verifies (RFC 8463)" || { notok "python3-dkim: ed25519-sha256"; cat "$T/v1"; }
sed -n '1,/^$/p' "$m" | tr -d '\n\t ' | grep -q 'Received:(qmail[^;]*);[^;]*DKIM-Signature:v=1;a=rsa-sha256;c=relaxed/relaxed;d=test.example;s=sel1;.*DKIM-Signature:v=1;a=ed25519-sha256;c=relaxed/relaxed;d=test.example;s=sel1-ed;.*From:alice@test.example' &&
	ok "signatures: relaxed/relaxed, d=test.example, s=sel1 and sel1-ed, above the message" || notok "signature tags"
grep -q "$(printf '\r')" "$m" && notok "no CR in the delivered message (the queue holds LF)" ||
	ok "no CR in the delivered message (the queue holds LF)"
sed 's/^end with blanks$/end with blankz/' "$m" > "$T/changed"
verify "$T/records" "$T/changed" > "$T/v2"
[ "$(cut -d' ' -f3 "$T/v2" | tr '\n' ' ')" = "fail fail " ] &&
	ok "a changed body fails both signatures" || { notok "a changed body fails"; cat "$T/v2"; }
sed 's/^Subject: inject1$/Subject: inject2/' "$m" > "$T/changed"
verify "$T/records" "$T/changed" > "$T/v2"
[ "$(cut -d' ' -f3 "$T/v2" | tr '\n' ' ')" = "fail fail " ] &&
	ok "a changed Subject fails both signatures" || { notok "a changed Subject fails"; cat "$T/v2"; }
awk 'NR == 1 { print "From: mallory@test.example" } { print }' "$m" > "$T/changed"
verify "$T/records" "$T/changed" > "$T/v2"
[ "$(cut -d' ' -f3 "$T/v2" | tr '\n' ' ')" = "fail fail " ] &&
	ok "an added From fails (oversigned)" || { notok "an added From fails"; cat "$T/v2"; }

# subdomain: the key of the parent domain signs
n0=$(nmail "$B")
mail_dk "Alice <alice@Mail.Test.Example>" sub1
wait_mail "$B" $((n0 + 1)) 15
verify "$T/records" "$(last_mail "$B")" > "$T/v3"
[ "$(cut -d' ' -f1-3 "$T/v3" | tr '\n' ' ')" = "rsa-sha256 d=test.example pass ed25519-sha256 d=test.example pass " ] &&
	ok "From: a subdomain is signed with the parent's key" || { notok "subdomain signing"; cat "$T/v3"; }

# no key for the domain: delivered unsigned
n0=$(nmail "$B")
mail_dk nokey@nokey.example nokey1
wait_mail "$B" $((n0 + 1)) 15 && ! grep -qi '^DKIM-Signature:' "$(last_mail "$B")" &&
	ok "no key for the From domain: delivered unsigned" || notok "no key: delivered unsigned"

# the libc-only front runs the signer only when there is a key
mv "$QHOME/bin/qmail-dksigner" "$T/dksigner.aside"
n0=$(nmail "$B")
mail_dk nokey@nokey.example nokey2
wait_mail "$B" $((n0 + 1)) 15 && ! grep -qi '^DKIM-Signature:' "$(last_mail "$B")" &&
	ok "no key: delivered without running qmail-dksigner" || notok "no key: qmail-dksigner not needed"
if mail_dk alice@test.example nosigner 2> "$T/nosigner"; then
	notok "a key but no qmail-dksigner: refused, not queued unsigned"
else
	grep -q 'unable to run qmail-dksigner' "$T/nosigner" &&
		ok "a key but no qmail-dksigner: refused, not queued unsigned" ||
		{ notok "a key but no qmail-dksigner: the reason"; cat "$T/nosigner"; }
fi
mv "$T/dksigner.aside" "$QHOME/bin/qmail-dksigner"
readelf -d "$DKS" 2>/dev/null | grep -q NEEDED &&
	notok "qmail-dksign needs no shared library" || ok "qmail-dksign needs no shared library"
if [ "$QIDS" = system ]; then
	setuidgid nobody "$QHOME/bin/qmail-dksigner" test.example sel1 < /dev/null > /dev/null 2>&1 &&
		notok "nobody cannot run qmail-dksigner" || ok "nobody cannot run qmail-dksigner"
fi

# ---- sendmail as an unprivileged user: signed, and the key unreadable
if [ "$QIDS" = system ]; then
	n0=$(nmail "$B")
	printf 'From: alice@test.example\nTo: bob@test.example\nSubject: bynobody\n\nfrom nobody\n' > "$T/nb"
	chmod 644 "$T/nb"
	setuidgid nobody env QMAILQUEUE="$DKS" QMAILHOST=test.example "$QHOME/bin/sendmail" -t < "$T/nb" ||
		notok "sendmail as nobody"
	wait_mail "$B" $((n0 + 1)) 15
	m=$(last_mail "$B")
	verify "$T/records" "$m" > "$T/v4"
	[ "$(cut -d' ' -f3 "$T/v4" | tr '\n' ' ')" = "pass pass " ] &&
		ok "sendmail by nobody: signed, both signatures verify" || { notok "sendmail by nobody: signed"; cat "$T/v4"; }
	grep -q "^Received: (qmail [0-9]* invoked by uid $(id -u nobody));" "$m" &&
		ok "qmail-queue still records nobody's uid" || notok "qmail-queue records the real uid"
	setuidgid nobody cat "$KD/sel1.rsa" > /dev/null 2>&1 &&
		notok "nobody cannot read the key" || ok "nobody cannot read the key"
	setuidgid nobody ls "$QHOME/control/dkim" > /dev/null 2>&1 &&
		notok "nobody cannot list control/dkim" || ok "nobody cannot list control/dkim"
else
	skip "sendmail as nobody: needs root (system ids)"
fi

# ---- hostile input, straight into qmail-dksign's qmail-queue interface
env_to_bob() { printf 'Falice@test.example\0Tbob@test.example\0\0'; }
dks() {	# MSGFILE [SENDER]: qmail-dksign with fd 6 into $T/fd6
	_s=${2-alice@test.example}
	printf 'F%s\0Tbob@test.example\0\0' "$_s" > "$T/env"
	"$DKS" < "$1" 1< "$T/env" 6> "$T/fd6" 2> "$T/fd2"
}
n0=$(nmail "$B")
$PY -c 'import sys; sys.stdout.write("From: alice@test.example\nSubject: big\nX-Long: " + "y" * 1100000 + "\n\nx\n")' > "$T/m"
check_exit "a 1 MB header field: passed on (exit 0)" 0 dks "$T/m"
wait_mail "$B" $((n0 + 1)) 15
m=$(last_mail "$B")
! grep -qi '^DKIM-Signature:' "$m" && grep -q 'header too large' "$T/fd2" &&
	ok "a 1 MB header: delivered unsigned, with a warning" || notok "a 1 MB header: unsigned"
n0=$(nmail "$B")
$PY -c 'import sys; sys.stdout.write("From: alice@test.example\nSubject: big\nX-Long: " + "y" * 900000 + "\n\nx\n")' > "$T/m"
dks "$T/m"; wait_mail "$B" $((n0 + 1)) 15
verify "$T/records" "$(last_mail "$B")" > "$T/v5"
[ "$(cut -d' ' -f3 "$T/v5" | tr '\n' ' ')" = "pass pass " ] &&
	ok "a 900 kB header field is signed and verifies" || { notok "a 900 kB header"; head -c 300 "$T/v5"; }
n0=$(nmail "$B")
{ printf 'From: alice@test.example\nSubject: many\n'; i=0
  while [ $i -lt 1000 ]; do printf 'X-H%d: v\n' $i; i=$((i + 1)); done
  printf '\nbody\n'; } > "$T/m"
dks "$T/m"; wait_mail "$B" $((n0 + 1)) 15
verify "$T/records" "$(last_mail "$B")" > "$T/v6"
[ "$(cut -d' ' -f3 "$T/v6" | tr '\n' ' ')" = "pass pass " ] &&
	ok "1,000 header fields: signed, verifies" || { notok "1,000 header fields"; cat "$T/v6"; }
n0=$(nmail "$B")
printf 'From: alice\nSubject: nodomain\n\nx\n' > "$T/m"
dks "$T/m"; wait_mail "$B" $((n0 + 1)) 15
verify "$T/records" "$(last_mail "$B")" > "$T/v7"
[ "$(cut -d' ' -f1-3 "$T/v7" | tr '\n' ' ')" = "rsa-sha256 d=test.example pass ed25519-sha256 d=test.example pass " ] &&
	ok "From with no domain: signed for the envelope sender's domain" || { notok "From with no domain"; cat "$T/v7"; }
n0=$(nmail "$B")
dks "$T/m" ""; wait_mail "$B" $((n0 + 1)) 15
! grep -qi '^DKIM-Signature:' "$(last_mail "$B")" &&
	ok "From with no domain, null sender: delivered unsigned" || notok "no domain anywhere: unsigned"
n0=$(nmail "$B")
printf 'From: x@../../../etc\nFrom: y@[127.0.0.1]\nSubject: paths\n\nx\n' > "$T/m"
dks "$T/m" "z@../test.example"; wait_mail "$B" $((n0 + 1)) 15
! grep -qi '^DKIM-Signature:' "$(last_mail "$B")" &&
	ok "From and sender domains that are paths or literals: unsigned" || notok "path domains: unsigned"
n0=$(nmail "$B")
printf 'From: "unbalanced <alice@test.example\nSubject: x\n\nx\n' > "$T/m"
check_exit "a From that does not parse: passed on (exit 0)" 0 dks "$T/m"
printf 'From: a@test.example, b@other.example\nSubject: two\n\nx\n' > "$T/m"
dks "$T/m" ""; wait_mail "$B" $((n0 + 2)) 15
! grep -qi '^DKIM-Signature:' "$(last_mail "$B")" &&
	ok "From with two domains and a null sender: unsigned" || notok "two From domains: unsigned"
n0=$(nmail "$B")
printf 'From: alice@test.example\nX-Nul: a\000b\nSubject: nul\n\nx\n' > "$T/m"
dks "$T/m"; wait_mail "$B" $((n0 + 1)) 15
! grep -qi '^DKIM-Signature:' "$(last_mail "$B")" && grep -q 'NUL in the header' "$T/fd2" &&
	ok "a NUL in a header field: delivered unsigned, with a warning" || notok "NUL in the header: unsigned"
echo 5000 > "$QHOME/control/databytes"
head -c 20000 /dev/zero | tr '\0' 'x' | fold -w 70 | sed '1i From: alice@test.example\nSubject: large\n' > "$T/m"
qn=$(queue_files mess | wc -l)
check_exit "over control/databytes: refused with 82" 82 dks "$T/m"
grep -q '^Dmessage too large to sign (#5.3.4)$' "$T/fd6" && ok "fd 6 says why: D ... #5.3.4" ||
	{ notok "fd 6 says why"; cat "$T/fd6"; }
[ "$(queue_files mess | wc -l)" = "$qn" ] && ok "nothing queued past the limit" || notok "nothing queued past the limit"
rm -f "$QHOME/control/databytes"
check_exit "envelope cut short: 91" 91 sh -c 'printf "From: a@test.example\n\nx\n" | "$1" 1< /dev/null' sh "$DKS"
# fd 1 closed: 54; a setuid program finds /dev/null there (glibc): 91
sh -c 'printf "x\n" | "$1" 1>&-' sh "$DKS" 2> /dev/null
case $? in 54|91) ok "fd 1 closed: 54 (or 91 when setuid)" ;; *) notok "fd 1 closed: exit $?" ;; esac
ls -A "$KD/.." | grep -q '^\.spool' && notok "no spool file left in control/dkim" || ok "no spool file left in control/dkim"
echo 'bad/sel' > "$T/sel"; cp "$KD/selector" "$T/sel.good"; cp "$T/sel" "$KD/selector"
printf 'From: alice@test.example\n\nx\n' > "$T/m"
check_exit "a bad selector file: 82" 82 dks "$T/m"
grep -q '^Z' "$T/fd6" && ok "a bad selector file is temporary (Z)" || notok "bad selector: Z"
cp "$T/sel.good" "$KD/selector"
qn=$(queue_files mess | wc -l)
cp "$KD/sel1.rsa" "$T/rsa.good"
chmod 600 "$KD/sel1.rsa"; echo 'garbage' > "$KD/sel1.rsa"
check_exit "a key the library cannot use: 82" 82 dks "$T/m"
grep -q '^ZDKIM signing failed (#4.3.0)$' "$T/fd6" && grep -q 'DKIM library' "$T/fd2" &&
	ok "a broken key is temporary (Z), the library's reason on fd 2" || { notok "broken key: Z"; cat "$T/fd6" "$T/fd2"; }
cp "$T/rsa.good" "$KD/sel1.rsa"; chmod 400 "$KD/sel1.rsa"
if [ "$QIDS" = system ]; then
	chmod 000 "$KD/sel1.ed25519"
	check_exit "a key qmailk cannot read: 55" 55 dks "$T/m"
	chmod 400 "$KD/sel1.ed25519"
fi
[ "$(queue_files mess | wc -l)" = "$qn" ] && ok "nothing queued unsigned after a key problem" ||
	notok "nothing queued unsigned after a key problem"

# ---- qmail-smtpd under tcpserver, RELAYCLIENT set: local and remote
echo "far.example:127.0.0.1:$RPORT" > "$QHOME/control/smtproutes"
rm -rf "$T/far"; mkdir -p "$T/far"
$PY "$QSRC/tests/lib-netns-smtp.py" $RPORT "$T/far" > "$T/far.out" 2>&1 &
RPID=$!
i=0; while [ ! -e "$T/far/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
start_srv $SPORT -- env RELAYCLIENT= QMAILQUEUE="$DKS" "$QHOME/bin/qmail-smtpd" || exit 1
n0=$(nmail "$B")
$PY - $SPORT > "$T/smtp.out" 2>&1 <<'EOF'
import smtplib, sys
msg = (b'From: Alice <alice@test.example>\r\nTo: bob@test.example, x@far.example\r\n'
       b'Subject: via smtpd\r\nDate: Fri, 4 Dec 2026 12:00:00 +0000\r\n'
       b'Message-ID: <smtpd@dk>\r\nMIME-Version: 1.0\r\n\r\n'
       b'.leading dot\r\ntrailing space \r\n\r\n\r\n')
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.sendmail('alice@test.example', ['bob@test.example', 'x@far.example'], msg)
s.quit()
EOF
[ $? = 0 ] && ok "qmail-smtpd with RELAYCLIENT accepts through qmail-dksign" || { notok "qmail-smtpd accepts"; cat "$T/smtp.out"; }
wait_mail "$B" $((n0 + 1)) 15
verify "$T/records" "$(last_mail "$B")" > "$T/v8"
[ "$(cut -d' ' -f1-3 "$T/v8" | tr '\n' ' ')" = "rsa-sha256 d=test.example pass ed25519-sha256 d=test.example pass " ] &&
	ok "via qmail-smtpd: local copy signed, verifies" || { notok "via qmail-smtpd: local copy"; cat "$T/v8"; }
i=0; while ! ls "$T/far"/msg.* > /dev/null 2>&1 && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
f=$(ls "$T/far"/msg.* 2>/dev/null | head -1)
if [ -n "$f" ]; then
	verify "$T/records" "$f" wire > "$T/v9"
	[ "$(cut -d' ' -f1-3 "$T/v9" | tr '\n' ' ')" = "rsa-sha256 d=test.example pass ed25519-sha256 d=test.example pass " ] &&
		ok "relayed by qmail-remote: arrives signed, both verify" || { notok "remote copy verifies"; cat "$T/v9"; }
	$PY -c 'import sys; d=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(d.replace(b"trailing space", b"trailing spaced"))' "$f" "$T/far.changed"
	verify "$T/records" "$T/far.changed" wire > "$T/v10"
	[ "$(cut -d' ' -f3 "$T/v10" | tr '\n' ' ')" = "fail fail " ] &&
		ok "relayed copy with a changed body fails" || { notok "relayed copy changed: fails"; cat "$T/v10"; }
else
	notok "relayed by qmail-remote: arrives"; tail "$SLOG"
fi

# ---- and to Postfix's smtp-sink, which dumps each message to a file
if [ -x /usr/sbin/smtp-sink ]; then
	echo "sink.example:127.0.0.1:$KPORT" >> "$QHOME/control/smtproutes"
	rm -rf "$T/sink"; mkdir -p "$T/sink"; chmod 777 "$T/sink"
	su=; [ "$(id -u)" = 0 ] && su="-u nobody"
	/usr/sbin/smtp-sink $su -d "$T/sink/%M." 127.0.0.1:$KPORT 10 > "$T/sink.out" 2>&1 &
	KPID=$!
	i=0
	until $PY -c "import socket; socket.create_connection(('127.0.0.1', $KPORT), 1).close()" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1
	done
	printf 'From: alice@test.example\nTo: y@sink.example\nSubject: to the sink\n\nsunk\n' |
	    env QMAILQUEUE="$DKS" QMAILUSER=alice QMAILHOST=test.example QMAILNAME= \
	    qmail-inject -falice@test.example y@sink.example
	# the dump is complete once qmail-remote has its answer
	wait_log 'success: 127.0.0.1_accepted_message./Remote_host_said:_250_2.0.0' 15
	f=$(ls "$T/sink"/* 2>/dev/null | head -1)
	verify "$T/records" "$f" > "$T/v11"
	[ -n "$f" ] && [ "$(cut -d' ' -f1-3 "$T/v11" | tr '\n' ' ')" = "rsa-sha256 d=test.example pass ed25519-sha256 d=test.example pass " ] &&
		ok "relayed to Postfix's smtp-sink: arrives signed, both verify" || { notok "smtp-sink copy verifies"; cat "$T/v11"; tail -3 "$SLOG"; }
	kill $KPID 2>/dev/null; wait $KPID 2>/dev/null
else
	skip "smtp-sink: postfix is not installed"
fi

# ---- opendkim-testmsg against the records on a DNS server (namespaces)
if ! command -v opendkim-testmsg > /dev/null 2>&1; then
	skip "opendkim-testmsg: opendkim-tools is not installed"
elif [ "$QIDS" != system ]; then
	skip "opendkim-testmsg: network namespaces need root"
else
	cp "$(last_mail "$B")" "$T/good"
	sed 's/^trailing space $/trailing spaced/' "$T/good" > "$T/bad"
	(
		NN_PREFIX=qds
		. "$QSRC/tests/lib-netns.sh"
		nn_init dkim_sign
		nn_host v 3
		$PY - "$T/records" > "$T/dns.conf" <<'EOF'
import re, sys
print('local=/example/')
for line in open(sys.argv[1]):
    m = re.match(r'(\S+)\s+IN\s+TXT\s+(.*)$', line.strip())
    print('txt-record=%s,%s' % (m.group(1).rstrip('.'),
          ','.join('"%s"' % s for s in re.findall(r'"([^"]*)"', m.group(2)))))
EOF
		nn_dns "$T/dns.conf"
		crlf() { sed 's/$/\r/' "$1"; }
		crlf "$T/good" | nn v opendkim-testmsg > "$T/otm.good" 2>&1 &&
			ok "opendkim-testmsg (DNS on the namespace internet): the signed message verifies" ||
			{ notok "opendkim-testmsg: verifies"; cat "$T/otm.good"; }
		crlf "$T/bad" | nn v opendkim-testmsg > "$T/otm.bad" 2>&1 &&
			notok "opendkim-testmsg: a changed body fails" ||
			ok "opendkim-testmsg: a changed body fails ($(head -1 "$T/otm.bad"))"
	)
fi
stop_srv
wait_empty 15 && ok "queue empty" || notok "queue empty"
