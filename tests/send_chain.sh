#!/bin/sh
# The real chain: (qmail-inject or) qmail-queue -> qmail-send ->
# qmail-lspawn -> qmail-local -> Maildir, and a failing delivery whose
# bounce comes back through the same chain into the sender's Maildir.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
if [ ! -f "$QSRC/qmail-lspawn.c" ] || [ ! -f "$QSRC/qmail-local.c" ]; then
	skip "send chain: qmail-lspawn and qmail-local are not in the tree"; exit 0
fi
trap 'send_stop; rm -rf "$H"' EXIT
send_setup
# the real spawners, not the stand-ins
for p in qmail-lspawn qmail-rspawn; do cp "$QSRC/$p" "$QHOME/bin/$p"; done
U=$(test_user)
H=$TESTTMP/chainhome
rm -rf "$H"; mkdir -p "$H/Maildir/new" "$H/Maildir/cur" "$H/Maildir/tmp"
echo '|exit 100' > "$H/.qmail-fail"
chmod 644 "$H/.qmail-fail"
[ "$QIDS" = system ] && chown -R "$U" "$H"
uid=$(id -u "$U") gid=$(id -g "$U")
printf '=%s:%s:%s:%s:%s:::\n+%s-:%s:%s:%s:%s:-::\n.\n' "$U" "$U" "$uid" "$gid" "$H" \
    "$U" "$U" "$uid" "$gid" "$H" > "$QHOME/users/assign"
(cd "$QHOME" && bin/qmail-newu) || notok "qmail-newu"
echo test.example > "$QHOME/control/locals"
send_start
if [ -x "$QHOME/bin/qmail-inject" ]; then
	printf 'To: %s@test.example\nSubject: chain\n\nthrough the chain\n' "$U" |
	    env QMAILUSER="$U" QMAILHOST=test.example qmail-inject -f"$U@test.example" "$U@test.example" ||
	    notok "qmail-inject"
	how=qmail-inject
else
	printf 'F%s@test.example\0T%s@test.example\0\0' "$U" "$U" > "$TESTTMP/env"
	printf 'To: %s@test.example\nSubject: chain\n\nthrough the chain\n' "$U" > "$TESTTMP/msg"
	qmail-queue < "$TESTTMP/msg" 1< "$TESTTMP/env" || notok "qmail-queue"
	how=qmail-queue
fi
wait_log '^end msg ' 15 && ok "chain ($how): message delivered and removed" || notok "chain ($how): message delivered and removed"
grep -qE "^delivery [0-9]+: success: did_1\+0\+0/" "$SLOG" && ok "chain: qmail-local's report logged" ||
	{ notok "chain: qmail-local's report logged"; cat "$SLOG"; }
f=$(ls "$H/Maildir/new" | head -1)
[ -n "$f" ] && grep -q '^Subject: chain' "$H/Maildir/new/$f" && ok "chain: message in the Maildir" || notok "chain: message in the Maildir"
grep -q "^Delivered-To: $U@test.example" "$H/Maildir/new/$f" 2>/dev/null && ok "chain: Delivered-To added" || notok "chain: Delivered-To added"

# a permanent failure bounces back through the chain
printf 'F%s@test.example\0T%s-fail@test.example\0\0' "$U" "$U" > "$TESTTMP/env"
printf 'Subject: doomed\n\nno\n' > "$TESTTMP/msg"
qmail-queue < "$TESTTMP/msg" 1< "$TESTTMP/env" || notok "qmail-queue"
wait_log '^end msg ' 15 3 && ok "chain: failure bounced and the bounce delivered" || { notok "chain: failure bounced"; cat "$SLOG"; }
b=$(grep -l '^Subject: failure notice' "$H"/Maildir/new/* 2>/dev/null | head -1)
[ -n "$b" ] && grep -q "^<$U-fail@test.example>:" "$b" && ok "chain: bounce in the sender's Maildir" || notok "chain: bounce in the sender's Maildir"
wait_empty 5 && ok "chain: queue empty" || notok "chain: queue empty"
