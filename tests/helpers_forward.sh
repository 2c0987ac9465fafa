# forward(1): message bytes, envelope, environment, qmail-queue's exit codes
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-helpers.sh"
cd "$HW" || exit 1

qlocal_env alice@example.org bob@test.example
printf 'From: alice\nSubject: t\n\nline one\nFrom here\n\200\377 eight-bit\nno newline at end' > msg
{ printf '%s' "$DTLINE"; cat msg; } > want.body
printf 'Falice@example.org\nTcarol@far.example\nTdave@near.example\n\n' > want.env

qq_reset
run_code "forward: queues and exits 0" 0 forward carol@far.example dave@near.example < msg
same "forward: body is DTLINE + message, bytes intact" "$QQREC/body" want.body
same "forward: envelope F\$NEWSENDER, T each address, final NUL" "$QQREC/env" want.env
grep -q '^forward: qp [0-9][0-9]*$' err && ok "forward: says qp" || notok "forward: says qp"

qq_reset
NEWSENDER=list-owner@example.org forward carol@far.example < msg 2>/dev/null
grep -qx 'Flist-owner@example.org' "$QQREC/env" && ok "forward: sender is NEWSENDER, not SENDER" ||
	notok "forward: sender is NEWSENDER, not SENDER"

qq_reset
NEWSENDER= forward carol@far.example < msg 2>/dev/null
printf 'F\nTcarol@far.example\n\n' > want.env0
same "forward: empty NEWSENDER gives a null envelope sender" "$QQREC/env" want.env0

run_code "forward: no address is a usage error (100)" 100 forward < msg
grep -q '^forward: usage: ' err && ok "forward: usage message" || notok "forward: usage message"
run_code "forward: NEWSENDER unset: 100" 100 env -u NEWSENDER forward x@y < msg
grep -q 'NEWSENDER not set' err && ok "forward: says NEWSENDER not set" || notok "forward: says NEWSENDER not set"
run_code "forward: DTLINE unset: 100" 100 env -u DTLINE forward x@y < msg

for c in 11:100 31:100 40:100 51:111 52:111 53:111 54:111 61:111 71:111 81:111 91:111 crash:111; do
	qq_reset "${c%:*}"
	run_code "forward: qmail-queue exit ${c%:*} gives ${c#*:}" "${c#*:}" forward x@y < msg
done
qq_reset 31; forward x@y < msg 2> err
grep -q 'forward: fatal: mail server permanently rejected message (#5.3.0)' err &&
	ok "forward: says why qmail-queue failed" || notok "forward: says why qmail-queue failed"
qq_reset 82 'Dno thanks (#5.7.1)'
run_code "forward: qmail-queue 82 with D reason: 100" 100 forward x@y < msg
grep -q 'no thanks (#5.7.1)' err && ok "forward: passes on the 82 reason" || notok "forward: passes on the 82 reason"
qq_reset 82 'Ztry later (#4.3.0)'
run_code "forward: qmail-queue 82 with Z reason: 111" 111 forward x@y < msg
head -c 1000000 /dev/zero | tr '\0' 'x' > big
qq_reset noread
run_code "forward: qmail-queue exiting 0 unread is temporary" 111 forward x@y < big
run_code "forward: unrunnable QMAILQUEUE: 111" 111 env QMAILQUEUE=/nonexistent/qq forward x@y < msg
grep -q 'unable to exec qq' err && ok "forward: says unable to exec qq" || notok "forward: says unable to exec qq"

qq_reset
cat msg | forward carol@far.example 2>/dev/null
same "forward: reads an unseekable message too" "$QQREC/body" want.body

# the real qmail-queue, when it is installed
if [ -x "$QHOME/bin/qmail-queue" ]; then
	reset_home
	before=$(queue_files todo | wc -l)
	run_code "forward: through the real qmail-queue" 0 env -u QMAILQUEUE forward carol@far.example < msg
	f=$(queue_files mess | head -1)
	if [ -n "$f" ] && cmp -s "$f" want.body 2>/dev/null || { [ -n "$f" ] && tail -c "$(wc -c < want.body)" "$f" | cmp -s - want.body; }; then
		ok "forward: real queue holds the message with its Delivered-To"
	else
		notok "forward: real queue holds the message with its Delivered-To"
	fi
	reset_home
else
	skip "forward: through the real qmail-queue: not built yet"
fi
