# tools/local-instance.sh: start a private instance, send one message by
# SMTP (swaks) and one by sendmail, find both in its Maildir, stop it and
# leave no process behind.  Ports 20700 (SMTP) and 20701 (QMTP).
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
export LOCAL_DIR=$L LOCAL_SMTP_PORT=20700 LOCAL_QMTP_PORT=20701 LOCAL_USER=$u
li() { sh "$S/tools/local-instance.sh" "$@"; }
leftovers() { ps -eo pid=,args= | grep -F "$L/" | grep -v -e grep -e ops_local; }
trap 'li stop > /dev/null 2>&1; rm -rf "$L"' EXIT
rm -rf "$L"; mkdir -p "$L"
[ "$(id -u)" = 0 ] && chown "$u" "$L"

if li start > "$TESTTMP/li.out" 2>&1; then ok "local instance: start"
else notok "local instance: start"; tail -n 20 "$TESTTMP/li.out" | sed 's/^/    /'; fi
grep -q "swaks --server 127.0.0.1:20700" "$TESTTMP/li.out" &&
	ok "local instance: start prints how to send" ||
	notok "local instance: start prints how to send"
check "local instance: the home checks out" as_user "$u" sh -c "cd '$L/src' && sh tools/install.sh check"
[ "$(sed -n 1p "$QSRC/conf-qmail")" = "$QHOME" ] &&
	ok "local instance: the checkout's conf-qmail is untouched" ||
	notok "local instance: the checkout's conf-qmail is untouched"

swaks --server 127.0.0.1:20700 --from a@example.test --to you@example.test \
    --header "Subject: via smtp $$" > "$TESTTMP/swaks.out" 2>&1 &&
	ok "local instance: swaks is accepted" ||
	{ notok "local instance: swaks is accepted"; tail -n 8 "$TESTTMP/swaks.out" | sed 's/^/    /'; }
printf 'Subject: via sendmail %s\n\nhello\n' $$ |
	as_user "$u" "$L/home/bin/sendmail" bob@example.test &&
	ok "local instance: sendmail accepts" || notok "local instance: sendmail accepts"

subjects() {
	python3 - "$L/Maildir" <<'PY'
import mailbox, sys
for m in mailbox.Maildir(sys.argv[1], create=False):
    print(m.get("Subject", ""))
PY
}
i=0
while [ $i -lt 100 ]; do
	n=$(subjects 2>/dev/null | grep -c "via .* $$")
	[ "$n" = 2 ] && break
	sleep 0.1; i=$((i + 1))
done
subjects > "$TESTTMP/subjects" 2>&1
grep -q "^via smtp $$\$" "$TESTTMP/subjects" &&
	ok "local instance: the SMTP message is in the Maildir" ||
	{ notok "local instance: the SMTP message is in the Maildir"; tail -n 5 "$L"/log/qmail-send*/current 2>/dev/null | sed 's/^/    /'; }
grep -q "^via sendmail $$\$" "$TESTTMP/subjects" &&
	ok "local instance: the sendmail message is in the Maildir" ||
	notok "local instance: the sendmail message is in the Maildir"

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
