#!/bin/sh
# qmail-authcheck on a small internet of network namespaces: dnsmasq
# publishes SPF, DKIM keys and DMARC records (and forwards dead.test to an
# address that never answers); a sender namespace sends by SMTP (Python's
# smtplib, messages signed by python3-dkim's dkim.sign) to qmail-smtpd
# under tcpserver in the mx namespace with QMAILQUEUE=qmail-authcheck;
# qmail-send delivers to a Maildir, read back with Python's email module.
# Ports 24710-24719; namespaces qac*.
NN_PREFIX=qac
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-netns.sh"
PY=/usr/bin/python3
if ! $PY -c 'import dkim' 2>/dev/null; then
	skip "authcheck: python3-dkim is not installed (tools/deps.sh)"
	exit 0
fi
for t in tcpserver envuidgid openssl; do
	command -v $t >/dev/null 2>&1 ||
		{ skip "authcheck: $t is not installed"; exit 0; }
done
nn_init authcheck
reset_home
T=$TESTTMP/authcheck.$$
mkdir -p "$T"
chmod 755 "$T"
H=$QSRC/tests/lib-authcheck.py

# the test keys: one good, one whose record is published as garbage
openssl genrsa -out "$T/k1.pem" 1024 2>/dev/null
chmod 644 "$T/k1.pem"
pub=$(openssl rsa -in "$T/k1.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
key="v=DKIM1; k=rsa; p=$pub"
edpub=$($PY "$H" edkey "$T/k2.ed25519") || notok "an ed25519 test key (python3-nacl)"

cat > "$T/dns.conf" <<Z
local=/test/
host-record=mx.test,10.231.0.1
host-record=sender.test,10.231.0.5
txt-record=pass.test,"v=spf1 ip4:10.231.0.5 -all"
txt-record=fail.test,"v=spf1 ip4:10.231.0.99 -all"
txt-record=soft.test,"v=spf1 ip4:10.231.0.99 ~all"
txt-record=neutral.test,"v=spf1 ?all"
host-record=nospf.test,10.231.0.5
txt-record=perm.test,"v=spf1 ip4:10.231.0.5 bogus:mechanism -all"
txt-record=s1._domainkey.pass.test,"$key"
txt-record=s2._domainkey.pass.test,"v=DKIM1; k=ed25519; p=$edpub"
txt-record=s1._domainkey.mail.rel.test,"$key"
txt-record=s1._domainkey.mail.strict.test,"$key"
txt-record=s1._domainkey.rej.test,"$key"
txt-record=s1._domainkey.garbage.test,"v=DKIM1; k=rsa; p=this!is!not!base64"
txt-record=_dmarc.pass.test,"v=DMARC1; p=reject"
txt-record=_dmarc.nonep.test,"v=DMARC1; p=none"
txt-record=_dmarc.quar.test,"v=DMARC1; p=quarantine"
txt-record=_dmarc.rej.test,"v=DMARC1; p=reject"
txt-record=_dmarc.rel.test,"v=DMARC1; p=reject"
txt-record=mail.rel.test,"v=spf1 ip4:10.231.0.5 -all"
txt-record=_dmarc.strict.test,"v=DMARC1; p=reject; adkim=s; aspf=s"
txt-record=mail.strict.test,"v=spf1 ip4:10.231.0.5 -all"
local=/spt.co.uk/
txt-record=_dmarc.spt.co.uk,"v=DMARC1; p=reject; sp=none"
txt-record=_dmarc.pct.test,"v=DMARC1; p=reject; pct=0"
server=/dead.test/10.231.0.99
Z
nn_host mx 1
nn_host snd 5
nn_dns "$T/dns.conf"

# the receiving site
A=$QHOME/alias
MD=$A/Maildir
rm -rf "$MD"
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
echo ./Maildir/ > "$A/.qmail-default"
chown -R alias:qmail "$MD" "$A/.qmail-default" 2>/dev/null
echo mx.test > "$QHOME/control/me"
echo mx.test > "$QHOME/control/rcpthosts"
echo mx.test > "$QHOME/control/locals"
echo mx.test > "$QHOME/control/authservid"
send_start() {
	(cd / && exec "$QHOME/bin/qmail-start" ./Maildir/) > "$T/send.log" 2>&1 &
	nn_pids="$nn_pids $!"
}
send_start

# tcpserver in the mx namespace: 24710 checked, 24711 as a relay client,
# 24712 an authenticated user (joe, by SMTP AUTH: qmail-smtpd sets
# SMTPAUTHUSER itself and never takes it from its environment; without
# TLS, AUTH is offered to a loopback client only, so on 127.0.0.1 in the
# mx namespace), 24713 without QMAILQUEUE
smtpd() {	# PORT ENV...
	_p=$1; shift
	nn_bg mx envuidgid qmaild tcpserver -v -RH -l mx.test 10.231.0.1 "$_p" \
	    env "$@" "$QHOME/bin/qmail-smtpd" 2>> "$T/smtpd.$_p.log"
}
smtpd 24710 QMAILQUEUE="$QHOME/bin/qmail-authcheck"
smtpd 24711 QMAILQUEUE="$QHOME/bin/qmail-authcheck" RELAYCLIENT=
echo secret | "$QHOME/bin/qmail-passwd" joe > "$T/passwd.out" 2>&1 ||
	{ notok "qmail-passwd sets joe's password"; cat "$T/passwd.out"; }
nn_bg mx envuidgid qmaild tcpserver -v -RH -l mx.test 127.0.0.1 24712 \
    env QMAILQUEUE="$QHOME/bin/qmail-authcheck" SMTPAUTHPLAINTEXT=1 \
    "$QHOME/bin/qmail-smtpd" mx.test "$QHOME/bin/qmail-checkpw" /bin/true \
    2>> "$T/smtpd.24712.log"
smtpd 24713 -u QMAILQUEUE
smtpd 24714 QMAILQUEUE="$QHOME/bin/qmail-authcheck" SMTPHELO=pass.test
sleep 0.5

n=0
# sendmsg PORT HELO MAILFROM FROM [options]: sends, sets $reply and $tag
sendmsg() {
	_p=$1; shift
	n=$((n + 1))
	tag=m$n
	if [ "$_p" = 24712 ]; then	# joe, authenticated, on loopback
		reply=$(nn mx $PY "$H" send 127.0.0.1 "$_p" "$@" --auth joe secret --tag "$tag" 2>&1)
	else
		reply=$(nn snd $PY "$H" send 10.231.0.1 "$_p" "$@" --tag "$tag" 2>&1)
	fi
}
# delivered: wait for the message $tag, its A-R fields etc. in $got
delivered() {
	_i=0
	while [ $_i -lt 100 ]; do
		got=$($PY "$H" read "$MD" "$tag") && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	got=
	return 1
}
# check NAME ERE...: the message was accepted and delivered with one A-R
# field of ours matching every ERE
check_ar() {
	_name=$1; shift
	case $reply in 250*) ;; *) notok "$_name: accepted"; echo "    reply: $reply"; return ;; esac
	if ! delivered; then notok "$_name: delivered"; return; fi
	_ours=$(printf '%s\n' "$got" | grep -c '^AR: mx\.test;')
	if [ "$_ours" != 1 ]; then
		notok "$_name: exactly one A-R field of ours"; printf '%s\n' "$got" | sed 's/^/    /'; return
	fi
	_ar=$(printf '%s\n' "$got" | grep '^AR: mx\.test;')
	for _re in "$@"; do
		if ! printf '%s\n' "$_ar" | grep -Eq -- "$_re"; then
			notok "$_name"; echo "    A-R: $_ar"; echo "    want: $_re"; return
		fi
	done
	ok "$_name"
}
check_reply() {	# NAME ERE
	if printf '%s\n' "$reply" | grep -Eq "$2"; then ok "$1"
	else notok "$1"; echo "    reply: $reply"; echo "    want: $2"; fi
}

K1="--sign $T/k1.pem"

# ---- SPF
sendmsg 24710 sender.test a@pass.test a@pass.test
check_ar "spf pass" 'spf=pass smtp\.mailfrom=a@pass\.test' 'dkim=none'
sendmsg 24710 sender.test a@fail.test a@fail.test
check_ar "spf fail" 'spf=fail smtp\.mailfrom=a@fail\.test'
sendmsg 24710 sender.test a@soft.test a@soft.test
check_ar "spf softfail" 'spf=softfail smtp\.mailfrom=a@soft\.test'
sendmsg 24710 sender.test a@neutral.test a@neutral.test
check_ar "spf neutral" 'spf=neutral smtp\.mailfrom=a@neutral\.test'
sendmsg 24710 sender.test a@nospf.test a@nospf.test
check_ar "spf none" 'spf=none smtp\.mailfrom=a@nospf\.test' 'dmarc=none'
sendmsg 24710 sender.test a@perm.test a@perm.test
check_ar "spf permerror" 'spf=permerror smtp\.mailfrom=a@perm\.test'
sendmsg 24710 pass.test "" a@nospf.test
check_ar "spf for a null sender checks the HELO name" 'spf=pass smtp\.helo=pass\.test'
sendmsg 24714 bogus.invalid "" a@nospf.test
check_ar "spf: SMTPHELO from the environment names the HELO" 'spf=pass smtp\.helo=pass\.test'
t0=$(date +%s)
sendmsg 24710 sender.test a@dead.test a@nospf.test
t1=$(date +%s)
check_ar "spf temperror: a DNS server that never answers" 'spf=temperror smtp\.mailfrom=a@dead\.test'
[ $((t1 - t0)) -lt 60 ] && ok "spf temperror within the time bound ($((t1 - t0)) s)" ||
	notok "spf temperror within the time bound ($((t1 - t0)) s)"

# ---- DKIM
sendmsg 24710 sender.test a@pass.test a@pass.test $K1 pass.test s1
check_ar "dkim pass (signed by python3-dkim)" 'dkim=pass header\.d=pass\.test header\.s=s1 header\.b=' 'dmarc=pass .*header\.from=pass\.test'
sendmsg 24710 sender.test a@nospf.test a@pass.test --sign "$T/k2.ed25519" pass.test s2
check_ar "dkim pass: ed25519-sha256 (RFC 8463)" 'dkim=pass header\.d=pass\.test header\.s=s2' 'dmarc=pass .*header\.from=pass\.test'
sendmsg 24710 sender.test a@nospf.test a@pass.test $K1 pass.test s1 --tamper
check_ar "dkim fail: body changed after signing" 'dkim=fail \(body hash mismatch\) header\.d=pass\.test'
sendmsg 24710 sender.test a@nospf.test a@garbage.test $K1 garbage.test s1
check_ar "dkim permerror: a garbage key record" 'dkim=permerror \([^)]*\) header\.d=garbage\.test'
sendmsg 24710 sender.test a@nospf.test a@pass.test $K1 pass.test s1 --mangle 'a=rsa-sha256|a=rsa-bogus'
check_ar "dkim neutral: malformed tags" 'dkim=neutral'
sendmsg 24710 sender.test a@nospf.test a@pass.test $K1 pass.test s1 --mangle 'd=pass.test|d='
check_ar "dkim neutral: an empty d= tag" 'dkim=(neutral|permerror)'
t0=$(date +%s)
sendmsg 24710 sender.test a@pass.test a@pass.test $K1 pass.test s1 --sigs 1000
t1=$(date +%s)
check_ar "1,000 DKIM-Signature fields: 8 verified, the rest reported" 'dkim=pass header\.d=pass\.test' '992 more signatures not verified'
[ $((t1 - t0)) -lt 30 ] && ok "1,000 signatures in bounded time ($((t1 - t0)) s)" ||
	notok "1,000 signatures in bounded time ($((t1 - t0)) s)"
sendmsg 24710 sender.test a@nospf.test a@nospf.test $K1 dead.test s1
check_ar "dkim temperror: the key query times out" 'dkim=temperror \([^)]*\) header\.d=dead\.test'
sendmsg 24710 sender.test a@pass.test a@pass.test --bigheader 1048576
check_ar "a 1 MB header is delivered and checked" 'spf=pass'
case $got in *"BIG: "*) big=$(printf '%s\n' "$got" | sed -n 's/^BIG: //p')
	[ "$big" -gt 1000000 ] && ok "the 1 MB header arrives whole" || notok "the 1 MB header arrives whole ($big)" ;;
*) notok "the 1 MB header arrives whole" ;; esac
sendmsg 24710 sender.test a@pass.test a@pass.test $K1 pass.test s1 --bigheader 1048576
check_ar "a signed message with a 1 MB header: permerror, not a hang" 'dkim=permerror \(header too large'

# ---- DMARC
sendmsg 24710 sender.test bounce@pass.test x@nonep.test
check_ar "dmarc fail, p=none" 'dmarc=fail \(p=none[^)]*\) header\.from=nonep\.test'
sendmsg 24710 sender.test bounce@pass.test x@quar.test
check_ar "dmarc fail, p=quarantine" 'dmarc=fail \(p=quarantine[^)]*dis=quarantine\) header\.from=quar\.test'
sendmsg 24710 sender.test bounce@pass.test x@rej.test
check_ar "dmarc fail, p=reject, marked by default" 'dmarc=fail \(p=reject[^)]*dis=reject\) header\.from=rej\.test'
sendmsg 24710 sender.test bounce@pass.test x@rej.test $K1 rej.test s1
check_ar "dmarc pass through aligned DKIM alone" 'dkim=pass header\.d=rej\.test' 'dmarc=pass .*header\.from=rej\.test'
sendmsg 24710 sender.test a@nospf.test x@rel.test $K1 mail.rel.test s1
check_ar "dmarc pass: relaxed DKIM alignment" 'dkim=pass header\.d=mail\.rel\.test' 'dmarc=pass .*header\.from=rel\.test'
sendmsg 24710 sender.test b@mail.rel.test x@rel.test
check_ar "dmarc pass: relaxed SPF alignment" 'spf=pass' 'dmarc=pass .*header\.from=rel\.test'
sendmsg 24710 sender.test a@nospf.test x@strict.test $K1 mail.strict.test s1
check_ar "dmarc fail: strict DKIM alignment" 'dkim=pass header\.d=mail\.strict\.test' 'dmarc=fail'
sendmsg 24710 sender.test b@mail.strict.test x@strict.test
check_ar "dmarc fail: strict SPF alignment" 'spf=pass' 'dmarc=fail'
sendmsg 24710 sender.test bounce@pass.test x@sub.spt.co.uk
check_ar "dmarc: sp= for a subdomain (organizational domain record)" 'dmarc=fail \(p=reject sp=none [^)]*dis=none\) header\.from=sub\.spt\.co\.uk'
sendmsg 24710 sender.test bounce@pass.test x@pct.test
check_ar "dmarc: pct=0 applies the next weaker policy" 'dmarc=fail \(p=reject [^)]*pct=0 dis=quarantine\)'
sendmsg 24710 sender.test a@pass.test x@dead.test
check_ar "dmarc temperror: the DMARC record query times out" 'spf=pass' 'dmarc=temperror [^;]*header\.from=dead\.test'

# ---- policy
echo reject > "$QHOME/control/dmarcreject"
sendmsg 24710 sender.test bounce@pass.test x@rej.test
check_reply "dmarc p=reject failure refused at the end of DATA" '^55[04] .*5\.7\.1'
sendmsg 24710 sender.test bounce@pass.test x@pct.test
check_ar "p=reject outside pct not refused" 'dmarc=fail'
sendmsg 24710 sender.test a@pass.test x@dead.test
check_reply "dmarc temperror with dmarcreject: a temporary refusal" '^451 .*4\.4\.3'
sendmsg 24710 sender.test bounce@pass.test x@quar.test
check_ar "p=quarantine failure still only marked" 'dmarc=fail'
echo 10.231.0.0/24 > "$QHOME/control/authcheckskip"
sendmsg 24710 sender.test bounce@pass.test x@rej.test
check_ar "an exempt IP is marked, not refused" 'dmarc=fail'
echo '@pass.test' > "$QHOME/control/authcheckskip"
sendmsg 24710 sender.test bounce@pass.test x@rej.test
check_ar "an exempt sender domain is marked, not refused" 'dmarc=fail'
rm -f "$QHOME/control/authcheckskip"
echo defer > "$QHOME/control/dmarcreject"
sendmsg 24710 sender.test bounce@pass.test x@rej.test
check_reply "dmarcreject defer: a temporary refusal" '^451 .*4\.7\.1'
echo mark > "$QHOME/control/dmarcreject"
echo reject > "$QHOME/control/spfreject"
sendmsg 24710 sender.test a@fail.test a@fail.test
check_reply "spf fail refused with spfreject" '^55[04] .*5\.7\.1'
sendmsg 24710 sender.test a@soft.test a@soft.test
check_ar "spf softfail not refused" 'spf=softfail'
sendmsg 24710 sender.test a@dead.test a@nospf.test
check_reply "spf temperror with spfreject: a temporary refusal" '^451 .*4\.4\.3'
rm -f "$QHOME/control/spfreject" "$QHOME/control/dmarcreject"
echo 1 > "$QHOME/control/timeoutauthcheck"
sendmsg 24710 sender.test a@dead.test a@nospf.test
check_reply "checks past timeoutauthcheck: a temporary failure, nothing lost" '^451 '
rm -f "$QHOME/control/timeoutauthcheck"

# ---- our id in incoming A-R fields
sendmsg 24710 sender.test a@pass.test a@pass.test --ar 'MX.TEST (forged); dkim=pass header.d=bank.test'
check_ar "an incoming A-R claiming our id is removed" 'spf=pass'
case $got in *bank.test*) notok "the forged A-R is gone"; printf '%s\n' "$got" | sed 's/^/    /' ;;
*) ok "the forged A-R is gone" ;; esac
sendmsg 24710 sender.test a@pass.test a@pass.test --ar 'other.test; spf=pass smtp.mailfrom=x@y.test'
check_ar "another id's A-R" 'spf=pass'
case $got in *"AR: other.test; spf=pass"*) ok "another id's A-R is kept" ;;
*) notok "another id's A-R is kept"; printf '%s\n' "$got" | sed 's/^/    /' ;; esac

# ---- not checked
for p in 24711:RELAYCLIENT 24712:SMTPAUTHUSER 24713:"QMAILQUEUE unset"; do
	sendmsg "${p%%:*}" sender.test a@fail.test a@fail.test --ar 'mx.test; dkim=pass'
	what=${p#*:}
	case $reply in 250*) ;; *) notok "$what: accepted ($reply)"; continue ;; esac
	if ! delivered; then notok "$what: delivered"; continue; fi
	if [ "$(printf '%s\n' "$got" | grep -c '^AR:')" = 1 ] &&
	    printf '%s\n' "$got" | grep -q '^AR: mx.test; dkim=pass$'; then
		ok "$what: not checked, the message unchanged"
	else
		notok "$what: not checked, the message unchanged"; printf '%s\n' "$got" | sed 's/^/    /'
	fi
done
# ---- what a check costs: the filter and qmail-queue, 20 messages each,
# the message signed, SPF and DMARC passing (a measurement, not a test)
{
	printf 'Received: from sender.test (10.231.0.5)\n  by mx.test with SMTP; Fri, 04 Dec 2026 12:00:00 -0000\n'
	$PY "$H" build x 0 sender.test a@pass.test a@pass.test $K1 pass.test s1 --tag cost
} > "$T/cost.msg"
printf 'Fa@pass.test\0Tcost@mx.test\0\0' > "$T/cost.env"
cost() {	# PROGRAM: "wall ms, cpu ms" per message over 20 messages
	_t0=$(date +%s%N)
	_cpu=$( (
		_k=0
		while [ $_k -lt 20 ]; do
			nn mx env TCPREMOTEIP=10.231.0.5 "$1" < "$T/cost.msg" 1< "$T/cost.env" ||
				echo "failed $1" >&2
			_k=$((_k + 1))
		done
		times > "$T/times"	# not in a pipe: a subshell has no children
		sed -n 2p "$T/times") )
	_wall=$(( ($(date +%s%N) - _t0) / 20000000 ))
	# times: "0m0.123s 0m0.045s" for the children's user and system time
	_ms=$(echo "$_cpu" | awk '{ split($1, u, /[ms]/); split($2, s, /[ms]/);
	    printf "%d", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000 / 20 }')
	echo "${_wall} ms wall, ${_ms} ms cpu"
}
qq_ms=$(cost "$QHOME/bin/qmail-queue")
ac_ms=$(cost "$QHOME/bin/qmail-authcheck")
echo "# cost per message: qmail-queue $qq_ms; qmail-authcheck (DKIM+SPF+DMARC, then qmail-queue) $ac_ms"
ok "cost measured"

# ---- not checked, but signed when qmail-dksign is installed
if [ -x "$QHOME/bin/qmail-dksign" ] && [ -x "$QHOME/bin/qmail-dkimkey" ]; then
	"$QHOME/bin/qmail-dkimkey" -o "$T/records" own.test s1 > /dev/null 2>&1 ||
		notok "qmail-dkimkey makes a key for own.test"
	for p in 24711:RELAYCLIENT 24712:SMTPAUTHUSER; do
		what=${p#*:}
		sendmsg "${p%%:*}" sender.test a@own.test a@own.test
		case $reply in 250*) ;; *) notok "$what: accepted ($reply)"; continue ;; esac
		if ! delivered; then notok "$what: delivered"; continue; fi
		f=$(printf '%s\n' "$got" | sed -n 's/^FILE: //p')
		v=$($PY "$QSRC/tests/lib-dkim-verify.py" "$T/records" "$f" 2>&1)
		case $v in *"d=own.test pass"*) ok "$what: signed by qmail-dksign, verified by python3-dkim" ;;
		*) notok "$what: signed by qmail-dksign, verified by python3-dkim"; echo "    $v" ;; esac
		case $got in *"AR: mx.test"*) notok "$what: no A-R field added" ;;
		*) ok "$what: no A-R field added" ;; esac
	done
	sendmsg 24710 sender.test a@own.test a@own.test
	if delivered && printf '%s\n' "$got" | grep -q '^SIGS: 0$'; then
		ok "mail from the internet is checked, never signed"
	else
		notok "mail from the internet is checked, never signed"; printf '%s\n' "$got" | sed 's/^/    /'
	fi
else
	skip "authcheck: qmail-dksign is not installed; the signing path is untested"
fi
exit 0
