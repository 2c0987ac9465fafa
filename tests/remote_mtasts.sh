#!/bin/sh
# MTA-STS (RFC 8461) in qmail-remote and qmail-mtasts, on a small internet
# of network namespaces: dnsmasq serves the MX, A and _mta-sts TXT
# records; a Python HTTPS server on a namespace host serves the policies
# with a certificate from a private CA made here (a second server, with a
# certificate from another CA, is not to be trusted); the MX is a private
# Postfix with STARTTLS and a certificate from the first CA, valid for
# some of the MX names that point to it and not for others.
NN_PREFIX=qms
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-netns.sh"
. "$QSRC/tests/lib-tls.sh"
for t in openssl python3; do
	if ! command -v $t >/dev/null 2>&1; then
		skip "remote_mtasts: $t is not installed (tools/deps.sh)"
		exit 0
	fi
done
nn_init remote_mtasts
reset_home
T=$TESTTMP/mtasts.$$
mkdir -p "$T"
chmod 755 "$T"
ruser=qmailr
[ "$QIDS" = system ] || ruser=$(id -un)

tls_ca "$T/ca" && tls_cert "$T/ca" mx mx1.enf.test good.notlisted.test &&
    tls_cert "$T/ca" www mta-sts.enf.test mta-sts.wrongcert.test \
    mta-sts.notlisted.test mta-sts.testing.test mta-sts.redirect.test \
    mta-sts.two.test mta-sts.keep.test mta-sts.invalid.test &&
    tls_ca "$T/ca2" && tls_cert "$T/ca2" www mta-sts.untrusted.test ||
    { notok "certificates made"; cat "$T/ca/openssl.log"; exit 1; }
chmod 644 "$T"/ca/*.pem "$T"/ca2/*.pem

cat > "$T/dns.conf" <<'Z'
local=/test/
mx-host=enf.test,mx1.enf.test,10
host-record=mx1.enf.test,10.231.0.16
txt-record=_mta-sts.enf.test,"v=STSv1; id=20261204;"
host-record=mta-sts.enf.test,10.231.0.20
mx-host=wrongcert.test,mx.wrongcert.test,10
host-record=mx.wrongcert.test,10.231.0.16
txt-record=_mta-sts.wrongcert.test,"v=STSv1; id=1"
host-record=mta-sts.wrongcert.test,10.231.0.20
mx-host=notlisted.test,bad.notlisted.test,10
mx-host=notlisted.test,good.notlisted.test,20
host-record=bad.notlisted.test,10.231.0.11
host-record=good.notlisted.test,10.231.0.16
txt-record=_mta-sts.notlisted.test,"v=spf1 -all"
txt-record=_mta-sts.notlisted.test,"v=STSv1; id=a1;"
host-record=mta-sts.notlisted.test,10.231.0.20
mx-host=testing.test,mx.testing.test,10
host-record=mx.testing.test,10.231.0.16
txt-record=_mta-sts.testing.test,"v=STSv1; id=t1;"
host-record=mta-sts.testing.test,10.231.0.20
mx-host=none.test,mx1.enf.test,10
mx-host=untrusted.test,mx1.enf.test,10
txt-record=_mta-sts.untrusted.test,"v=STSv1; id=u1;"
host-record=mta-sts.untrusted.test,10.231.0.21
mx-host=redirect.test,mx1.enf.test,10
txt-record=_mta-sts.redirect.test,"v=STSv1; id=r1;"
host-record=mta-sts.redirect.test,10.231.0.20
mx-host=two.test,mx1.enf.test,10
txt-record=_mta-sts.two.test,"v=STSv1; id=1;"
txt-record=_mta-sts.two.test,"v=STSv1; id=2;"
host-record=mta-sts.two.test,10.231.0.20
mx-host=keep.test,mx1.enf.test,10
txt-record=_mta-sts.keep.test,"v=STSv1; id=k2;"
host-record=mta-sts.keep.test,10.231.0.20
mx-host=invalid.test,mx1.enf.test,10
txt-record=_mta-sts.invalid.test,"v=STSv1; id=i1;"
host-record=mta-sts.invalid.test,10.231.0.20
Z
nn_host s 1
nn_host a 11
nn_host p 16
nn_host w 20
nn_host u 21
nn_dns "$T/dns.conf"

# the policies
pol() {	# DIR-HOST TEXT
	mkdir -p "$T/www/$1/.well-known"
	printf '%b' "$2" > "$T/www/$1/.well-known/mta-sts.txt"
}
pol mta-sts.enf.test 'version: STSv1\r\nmode: enforce\r\nmx: mx1.enf.test\r\nmax_age: 86400\r\n'
pol mta-sts.wrongcert.test 'version: STSv1\nmode: enforce\nmx: *.wrongcert.test\nmax_age: 86400\n'
pol mta-sts.notlisted.test 'version: STSv1\nmode: enforce\nmx: good.notlisted.test\nmax_age: 86400\n'
pol mta-sts.testing.test 'version: STSv1\nmode: testing\nmx: mx.testing.test\nmax_age: 86400\n'
pol mta-sts.untrusted.test 'version: STSv1\nmode: enforce\nmx: nomatch.test\nmax_age: 86400\n'
pol mta-sts.two.test 'version: STSv1\nmode: enforce\nmx: nomatch.test\nmax_age: 86400\n'
pol mta-sts.invalid.test 'version: STSv1\nmode: enforce\nmx: bad..name\nmax_age: 86400\n'
mkdir -p "$T/www/mta-sts.redirect.test"
echo https://mta-sts.enf.test/.well-known/mta-sts.txt > "$T/www/mta-sts.redirect.test/redirect"
cp -R "$T/www" "$T/www2"

cat > "$T/https.py" <<'P'
# https.py ADDR CERT ROOT LOG: HTTPS on ADDR:443; GET /PATH answers
# ROOT/HOST/PATH as text/plain (HOST from the Host header), 301 when
# ROOT/HOST/redirect exists, 404 otherwise; one line per request in LOG.
import http.server, os, ssl, sys
addr, cert, root, log = sys.argv[1:5]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def answer(self, code, body, extra=()):
        self.send_response(code)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        host = (self.headers.get('Host') or '').split(':')[0].lower()
        with open(log, 'a') as f:
            f.write('%s %s\n' % (host, self.path))
        d = os.path.join(root, os.path.basename(host))
        fn = os.path.join(d, self.path.lstrip('/'))
        if os.path.isfile(os.path.join(d, 'redirect')):
            to = open(os.path.join(d, 'redirect')).read().strip()
            self.answer(301, b'moved\n', [('Location', to)])
        elif '..' not in self.path and os.path.isfile(fn):
            self.answer(200, open(fn, 'rb').read())
        else:
            self.answer(404, b'no\n')
    def log_message(self, *a):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert)
srv = http.server.HTTPServer((addr, 443), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(log + '.ready', 'w').close()
srv.serve_forever()
P
: > "$T/www.log"
: > "$T/www2.log"
nn_bg w python3 "$T/https.py" 10.231.0.20 "$T/ca/www.pem" "$T/www" "$T/www.log"
nn_bg u python3 "$T/https.py" 10.231.0.21 "$T/ca2/www.pem" "$T/www2" "$T/www2.log"
nn_wait_file "$T/www.log.ready" && nn_wait_file "$T/www2.log.ready" ||
    notok "HTTPS policy servers started"

# The MX: Postfix with STARTTLS, for every test domain
nn_smtp a 25 "$T/a"
nn_postfix p 10.231.0.16 "$T/pf" enf.test || exit 1
# restarted with STARTTLS offered (tlsmgr: smtpd's TLS needs it) and
# every test domain
nn_postfix_stop "$T/pf"
postconf -c "$T/pf/etc" -e 'smtpd_tls_security_level = may' \
    "smtpd_tls_chain_files = $T/ca/mx.pem" 'smtpd_tls_loglevel = 1' \
    'virtual_mailbox_domains = enf.test wrongcert.test notlisted.test testing.test none.test untrusted.test redirect.test two.test keep.test invalid.test'
printf 'tlsmgr unix - - n 1000? 1 tlsmgr\n' >> "$T/pf/etc/master.cf"
nn p postfix -c "$T/pf/etc" start </dev/null >/dev/null 2>&1 ||
    { notok "Postfix with STARTTLS started"; cat "$T/pf/maillog"; exit 1; }
i=0
until nn s python3 -c "import socket
socket.create_connection(('10.231.0.16', 25), 1).close()" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || { notok "Postfix listens on 10.231.0.16:25"; exit 1; }
	sleep 0.1
done

echo "$T/ca/ca.pem" > "$QHOME/control/tlscafile"
echo 5 > "$QHOME/control/timeoutconnect"
echo 10 > "$QHOME/control/timeoutremote"
printf 'Subject: mta-sts\n\nhello\n' > "$T/m1"

# the namespace resolves the names the tests rely on
if nn s dig +short TXT _mta-sts.enf.test | grep -q 'v=STSv1; id=20261204;'; then
	ok "dnsmasq serves the _mta-sts TXT record"
else notok "dnsmasq serves the _mta-sts TXT record"; fi

qr() {	# MSG HOST SENDER RCPT...: the report, NULs as | and newlines as /
	_m=$1; shift
	nn s setuidgid "$ruser" "$QHOME/bin/qmail-remote" "$@" < "$_m" \
	    > "$T/raw" 2> "$T/err"
	tr '\0\n' '|/' < "$T/raw" > "$T/out"
}
expect() {	# NAME ERE: the report matches
	if grep -Eq "$2" "$T/out"; then ok "$1"
	else notok "$1"; echo "    got: $(cat "$T/out")"; echo "    want: $2"; fi
}
pfls() { ls "$T/pf/mail/box/new" 2>/dev/null | wc -l; }
pfwait() {	# N: up to 10 s for N messages in Postfix's Maildir
	_i=0
	while [ "$(pfls)" -lt "$1" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ "$(pfls)" -eq "$1" ]
}
fetches() { grep -c "^$1 /.well-known/mta-sts.txt$" "$T/www.log"; }
cache() { cat "$QHOME/queue/mtasts/$1" 2>/dev/null; }

# enforce, the MX matches and has a good certificate
qr "$T/m1" enf.test me@s.test u@enf.test
expect "enforce: delivered" '^r\|K10\.231\.0\.16 accepted message\.'
expect "enforce: the report says MTA-STS enforce" 'MTA-STS enforce'
expect "enforce: TLS, the certificate verified for the MX name" \
    'accepted message\. TLS TLSv1\.[23] [^/]*, certificate verified for mx1\.enf\.test\./.*/MTA-STS enforce for enf\.test\./\|$'
if pfwait 1; then ok "enforce: in Postfix's Maildir"; else notok "enforce: in Postfix's Maildir"; fi
if grep -q 'TLS connection established from' "$T/pf/maillog"; then
	ok "enforce: Postfix saw TLS"; else notok "enforce: Postfix saw TLS"; fi
if cache enf.test | grep -qx 'mode: enforce' && cache enf.test | grep -qx 'id: 20261204' &&
    cache enf.test | grep -qx 'mx: mx1.enf.test'; then
	ok "enforce: the policy is cached"
else notok "enforce: the policy is cached"; cache enf.test | sed 's/^/    /'; fi
m=$(stat -c '%U %a' "$QHOME/queue/mtasts/enf.test" 2>/dev/null)
if [ "$m" = "$ruser 600" ]; then ok "the cache file is the remote user's, mode 600"
else notok "the cache file is the remote user's, mode 600 ($m)"; fi

# cache reuse: no second fetch; a stale entry with the same TXT id is
# refreshed without a fetch
qr "$T/m1" enf.test me@s.test u@enf.test
expect "enforce again: delivered" '^r\|K10\.231\.0\.16 accepted message\..*MTA-STS enforce'
n=$(fetches mta-sts.enf.test)
if [ "$n" = 1 ]; then ok "a second delivery does not fetch the policy again"
else notok "a second delivery does not fetch the policy again ($n fetches)"; fi
sed -i 's/^refresh: .*/refresh: 1/' "$QHOME/queue/mtasts/enf.test"
qr "$T/m1" enf.test me@s.test u@enf.test
expect "a stale entry: delivered" '^r\|K10\.231\.0\.16 accepted message\..*MTA-STS enforce'
n=$(fetches mta-sts.enf.test)
r=$(cache enf.test | sed -n 's/^refresh: //p')
if [ "$n" = 1 ] && [ "${r:-1}" -gt "$(date +%s)" ]; then
	ok "the same TXT id: the cached policy is kept, no fetch"
else notok "the same TXT id: the cached policy is kept, no fetch ($n fetches, refresh $r)"; fi

# qmail-mtasts by hand: the record on fd 1, what it did on fd 2
nn s setuidgid "$ruser" "$QHOME/bin/qmail-mtasts" ENF.test. > "$T/mo" 2> "$T/me"
rc=$?
if [ $rc = 0 ] && grep -qx 'policy: yes' "$T/mo" && grep -qx 'mode: enforce' "$T/mo" &&
    grep -q '^qmail-mtasts: enf\.test: cached policy' "$T/me"; then
	ok "qmail-mtasts prints the cached policy"
else notok "qmail-mtasts prints the cached policy (exit $rc)"; cat "$T/mo" "$T/me"; fi
check_exit "qmail-mtasts: a bad domain exits 100" 100 "$QHOME/bin/qmail-mtasts" '../x'
check_exit "qmail-mtasts: usage exits 100" 100 "$QHOME/bin/qmail-mtasts"

# enforce, and the MX's certificate names another host: deferred
before=$(pfls)
qr "$T/m1" wrongcert.test me@s.test u@wrongcert.test
expect "enforce, a certificate for another name: deferred" \
    '^ZTLS is required for wrongcert\.test \(MTA-STS\) but 10\.231\.0\.16 \(mx\.wrongcert\.test\) failed TLS: certificate not verified: hostname mismatch\. \(#4\.7\.5\)/MTA-STS enforce for wrongcert\.test\./\|$'
sleep 1
if [ "$(pfls)" = "$before" ]; then ok "enforce, a wrong certificate: nothing delivered"
else notok "enforce, a wrong certificate: nothing delivered"; fi

# enforce, an MX outside the patterns is not used
qr "$T/m1" notlisted.test me@s.test u@notlisted.test
expect "enforce: only the MX in the patterns is used" \
    '^r\|K10\.231\.0\.16 accepted message\. TLS .*certificate verified for good\.notlisted\.test\..*MTA-STS enforce for notlisted\.test: bad\.notlisted\.test is not in the policy: skipped\./'
if grep -q CONNECT "$T/a/log" 2>/dev/null; then
	notok "enforce: the MX outside the patterns was never contacted"
else ok "enforce: the MX outside the patterns was never contacted"; fi

# enforce, and no MX in the patterns at all: deferred before connecting
sed -i 's/^mx: .*/mx: elsewhere.test/; s/^refresh: .*/refresh: 9999999999/' \
    "$QHOME/queue/mtasts/notlisted.test"
qr "$T/m1" notlisted.test me@s.test u@notlisted.test
expect "enforce, no MX in the patterns: deferred" \
    '^ZMTA-STS policy for notlisted\.test matches no MX\. \(#4\.7\.5\)/MTA-STS enforce for notlisted\.test\./\|$'
rm -f "$QHOME/queue/mtasts/notlisted.test"

# testing, a bad certificate: delivered, and the report says what enforce
# would have done
qr "$T/m1" testing.test me@s.test u@testing.test
expect "testing, a bad certificate: delivered" '^r\|K10\.231\.0\.16 accepted'
expect "testing: the report says enforce would have deferred" \
    'MTA-STS testing for testing\.test: enforce would have deferred: mx\.testing\.test has no certificate valid for its name\./\|$'

# no TXT record: normal delivery, a negative entry
qr "$T/m1" none.test me@s.test u@none.test
expect "no TXT record: delivered" '^r\|K10\.231\.0\.16 accepted'
if cache none.test | grep -qx 'policy: none'; then ok "no TXT record: a negative entry"
else notok "no TXT record: a negative entry"; cache none.test; fi
e=$(cache none.test | sed -n 's/^expires: //p')
now=$(date +%s)
if [ -n "$e" ] && [ "$e" -gt $((now + 3000)) ] && [ "$e" -le $((now + 3600)) ]; then
	ok "the negative entry lasts an hour"; else notok "the negative entry lasts an hour ($e)"; fi

# the policy host's certificate is not trusted: no policy
qr "$T/m1" untrusted.test me@s.test u@untrusted.test
expect "an untrusted policy host: no policy, delivered" '^r\|K10\.231\.0\.16 accepted'
if cache untrusted.test | grep -qx 'policy: none'; then ok "an untrusted policy host: no policy cached"
else notok "an untrusted policy host: no policy cached"; cache untrusted.test; fi
if [ -s "$T/www2.log" ]; then notok "the untrusted server got no request"
else ok "the untrusted server got no request"; fi

# a redirect is not followed
qr "$T/m1" redirect.test me@s.test u@redirect.test
expect "a redirect: no policy, delivered" '^r\|K10\.231\.0\.16 accepted'
n=$(grep -c '^mta-sts.redirect.test ' "$T/www.log")
if [ "$n" = 1 ] && [ "$(fetches mta-sts.enf.test)" = 1 ] &&
    cache redirect.test | grep -qx 'policy: none'; then
	ok "a redirect is not followed"; else notok "a redirect is not followed"; fi

# two STSv1 TXT records: no policy, nothing fetched (RFC 8461 3.1)
qr "$T/m1" two.test me@s.test u@two.test
expect "two STSv1 TXT records: no policy, delivered" '^r\|K10\.231\.0\.16 accepted'
if cache two.test | grep -qx 'policy: none' && ! grep -q '^mta-sts.two.test ' "$T/www.log"; then
	ok "two STSv1 TXT records: nothing fetched, a negative entry"
else notok "two STSv1 TXT records: nothing fetched, a negative entry"; fi

# an invalid policy: no policy
qr "$T/m1" invalid.test me@s.test u@invalid.test
expect "an invalid policy: no policy, delivered" '^r\|K10\.231\.0\.16 accepted'
if cache invalid.test | grep -qx 'policy: none'; then ok "an invalid policy: a negative entry"
else notok "an invalid policy: a negative entry"; cache invalid.test; fi

# a new TXT id: fetched again
sed -i 's/^id: .*/id: older/; s/^refresh: .*/refresh: 1/' "$QHOME/queue/mtasts/enf.test"
qr "$T/m1" enf.test me@s.test u@enf.test
expect "a new TXT id: delivered" '^r\|K10\.231\.0\.16 accepted.*MTA-STS enforce'
if [ "$(fetches mta-sts.enf.test)" = 2 ] && cache enf.test | grep -qx 'id: 20261204'; then
	ok "a new TXT id: the policy is fetched again"
else notok "a new TXT id: the policy is fetched again ($(fetches mta-sts.enf.test))"; fi

# a failed fetch keeps an unexpired cached policy (RFC 8461 5.1): the
# TXT id is new but the server has no policy for keep.test
now=$(date +%s)
printf 'domain: keep.test\npolicy: yes\nid: k1\nfetched: %s\nrefresh: 1\nexpires: %s\nmode: enforce\nmax_age: 86400\nmx: mx1.enf.test\n' \
    "$now" $((now + 86400)) > "$QHOME/queue/mtasts/keep.test"
[ "$QIDS" = system ] && chown qmailr "$QHOME/queue/mtasts/keep.test"
qr "$T/m1" keep.test me@s.test u@keep.test
expect "a failed fetch: the cached enforce policy still applies" \
    '^r\|K10\.231\.0\.16 accepted message\. TLS .*certificate verified for mx1\.enf\.test\..*MTA-STS enforce for keep\.test\./'
r=$(cache keep.test | sed -n 's/^refresh: //p')
if grep -q '^mta-sts.keep.test ' "$T/www.log" && cache keep.test | grep -qx 'id: k1' &&
    [ "${r:-0}" -gt "$now" ] && grep -q 'fetch failed (HTTP status not 200); cached policy kept' "$T/err"; then
	ok "a failed fetch: tried, cached policy kept, retried in a few minutes"
else notok "a failed fetch: tried, cached policy kept, retried in a few minutes"; cat "$T/err"; fi

# control/mtasts 0: no policy applies
echo 0 > "$QHOME/control/mtasts"
n0=$(wc -l < "$T/www.log")
rm -f "$QHOME/queue/mtasts/wrongcert.test"
qr "$T/m1" wrongcert.test me@s.test u@wrongcert.test
expect "control/mtasts 0: enforce is not applied" '^r\|K10\.231\.0\.16 accepted'
if grep -q MTA-STS "$T/out" || [ -e "$QHOME/queue/mtasts/wrongcert.test" ] ||
    [ "$(wc -l < "$T/www.log")" != "$n0" ]; then
	notok "control/mtasts 0: nothing looked up"; else ok "control/mtasts 0: nothing looked up"; fi
rm -f "$QHOME/control/mtasts"
