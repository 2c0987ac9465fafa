# condredirect(1): 99 after forwarding, 0 and 111 otherwise, rewinding
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-helpers.sh"
cd "$HW" || exit 1

qlocal_env alice@example.org bob@test.example
printf 'Subject: urgent\n\nbody\nlast line\n' > msg
{ printf '%s' "$DTLINE"; cat msg; } > want.body

qq_reset
run_code "condredirect: program exits 0: forwards, exits 99" 99 \
	condredirect boss@far.example sh -c 'cat > seen; exit 0' < msg
same "condredirect: program got the message" seen msg
same "condredirect: forwarded the whole message again, DTLINE on top" "$QQREC/body" want.body
printf 'Falice@example.org\nTboss@far.example\n\n' > want.env
same "condredirect: envelope to newaddress from SENDER" "$QQREC/env" want.env
grep -q '^condredirect: qp [0-9]' err && ok "condredirect: says qp" || notok "condredirect: says qp"
qq_reset
run_code "condredirect: grep matches: 99" 99 condredirect boss@far.example grep -q urgent < msg

for c in 1 2 99 100; do
	qq_reset
	run_code "condredirect: program exits $c: 0" 0 condredirect boss@far.example sh -c "exit $c" < msg
	[ -f "$QQREC/body" ] && notok "condredirect: exit $c forwards nothing" || ok "condredirect: exit $c forwards nothing"
done
qq_reset
run_code "condredirect: program exits 111: 111" 111 condredirect boss@far.example sh -c 'exit 111' < msg
[ -f "$QQREC/body" ] && notok "condredirect: 111 forwards nothing" || ok "condredirect: 111 forwards nothing"
run_code "condredirect: program crashes: 111" 111 condredirect boss@far.example sh -c 'kill -9 $$' < msg
run_code "condredirect: program missing: 0" 0 condredirect boss@far.example /nonexistent/prog < msg
run_code "condredirect: unseekable message: 111" 111 sh -c 'cat msg | condredirect boss@far.example true'
run_code "condredirect: no arguments: 100" 100 condredirect
run_code "condredirect: no program: 100" 100 condredirect boss@far.example
grep -q '^condredirect: usage: ' err && ok "condredirect: usage message" || notok "condredirect: usage message"
run_code "condredirect: DTLINE unset: 100" 100 env -u DTLINE condredirect a@b true < msg
qq_reset 31
run_code "condredirect: qmail-queue permanent failure: 100" 100 condredirect a@b true < msg
qq_reset 53
run_code "condredirect: qmail-queue temporary failure: 111" 111 condredirect a@b true < msg
qq_reset
SENDER=s@x NEWSENDER=n@x condredirect a@b true < msg 2>/dev/null
grep -qx 'Fs@x' "$QQREC/env" && ok "condredirect: uses SENDER as qmail 1.03 does" || notok "condredirect: uses SENDER as qmail 1.03 does"
