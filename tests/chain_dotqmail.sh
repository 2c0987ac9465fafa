#!/bin/sh
# Every .qmail form through the whole chain as an administrator runs it:
# qmail-start with the real daemons, qmail-inject and sendmail, and what
# was delivered read back with mblaze, mutt and Python's mailbox.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
. "$QSRC/tests/lib-chain.sh"
trap 'send_stop' EXIT
chain_setup
A=$CH/alice
printf './mbox\n' | uput "$A/.qmail-mbox" 644
: | uput "$A/mbox" 600
printf '|env > %s/prog.env; cat > %s/prog.msg\n' "$A" "$A" | uput "$A/.qmail-prog" 644
printf '&bob\n' | uput "$A/.qmail-fwd" 644
printf '|echo "$DEFAULT:$EXT2:$EXT3" > %s/default.out\n./Maildir/\n' "$A" | uput "$A/.qmail-list-default" 644
printf '|bouncesaying "this address is closed"\n' | uput "$A/.qmail-closed" 644
printf '|condredirect bob true\n./Maildir/\n' | uput "$A/.qmail-cr" 644
printf '|condredirect bob false\n./Maildir/\n' | uput "$A/.qmail-nocr" 644
printf '&carol\n' | aput .qmail-default
if [ "$QIDS" = system ]; then setuidgid alias maildirmake "$QHOME/alias/pm"
else maildirmake "$QHOME/alias/pm"; fi
printf './pm/\n' | aput .qmail-postmaster
chain_start

mail alice@test.example plain || notok "qmail-inject to alice"
printf 'Subject: via-sendmail\nMessage-ID: <sm@chain>\n\nhi\n' |
	"$QHOME/bin/sendmail" -f bob@test.example alice@test.example || notok "sendmail to alice"
mail alice-mbox@test.example tombox
mail alice-prog@test.example toprog
mail alice-fwd@test.example forwarded
mail alice-list-news-today@test.example listed
mail alice-cr@test.example redirected
mail alice-nocr@test.example notredirected
mail nosuchuser@test.example unknown
mail postmaster@test.example forpm
mail alice-closed@test.example closed

wait_mail "$A/Maildir" 5 20
subj_in "$A/Maildir" plain && ok "default ./Maildir/ delivery (qmail-inject; mhdr)" || notok "default ./Maildir/ delivery (qmail-inject; mhdr)"
subj_in "$A/Maildir" via-sendmail && ok "sendmail -f injects and delivers" || notok "sendmail -f injects and delivers"
f=$(mlist "$A/Maildir" | xargs grep -l '^Subject: plain' | head -1)
[ -n "$f" ] && mshow -H "$f" | grep -q '^Delivered-To: alice@test.example' &&
	ok "mshow: Delivered-To: alice@test.example" || notok "mshow: Delivered-To: alice@test.example"
[ -n "$f" ] && mshow -H "$f" | grep -q '^Return-Path: <alice@test.example>' &&
	ok "mshow: Return-Path names the envelope sender" || notok "mshow: Return-Path names the envelope sender"
wait_log '^end msg ' 20 13
n=$(python3 -c 'import mailbox,sys; m=mailbox.mbox(sys.argv[1]); print(len(m), m[0]["subject"] if len(m) else "", m[0].get_from() if len(m) else "")' "$A/mbox")
case "$n" in "1 tombox alice@test.example "*) ok "mbox delivery (Python mailbox: one message, From_ line with the sender)" ;;
	*) notok "mbox delivery (got: $n)" ;; esac
grep -q '^SENDER=alice@test.example$' "$A/prog.env" 2>/dev/null && ok "|program: SENDER" || notok "|program: SENDER"
grep -q '^RECIPIENT=alice-prog@test.example$' "$A/prog.env" 2>/dev/null && ok "|program: RECIPIENT" || notok "|program: RECIPIENT"
grep -q '^LOCAL=alice-prog$' "$A/prog.env" && grep -q '^EXT=prog$' "$A/prog.env" &&
	grep -q '^HOST=test.example$' "$A/prog.env" && grep -q "^USER=$CU\$" "$A/prog.env" &&
	ok "|program: LOCAL EXT HOST USER" || notok "|program: LOCAL EXT HOST USER"
grep -q '^DTLINE=Delivered-To: alice-prog@test.example' "$A/prog.env" &&
	ok "|program: DTLINE" || notok "|program: DTLINE"
grep -q '^Subject: toprog' "$A/prog.msg" 2>/dev/null && ! grep -q '^Delivered-To:' "$A/prog.msg" &&
	ok "|program: the message on stdin as queued (DTLINE only in the environment)" || notok "|program: message on stdin"
wait_mail "$CH/bob/Maildir" 2 10
subj_in "$CH/bob/Maildir" forwarded && ok "&bob: forwarded to another local user" || notok "&bob: forwarded to another local user"
[ "$(cat "$A/default.out" 2>/dev/null)" = "news-today:news-today:today" ] && ok "-default: DEFAULT EXT2 EXT3" || notok "-default: DEFAULT EXT2 EXT3 ($(cat "$A/default.out" 2>/dev/null))"
subj_in "$A/Maildir" listed && ok "-default: then ./Maildir/" || notok "-default: then ./Maildir/"
subj_in "$CH/bob/Maildir" redirected && ! subj_in "$A/Maildir" redirected &&
	ok "condredirect: true redirects and stops" || notok "condredirect: true redirects and stops"
subj_in "$A/Maildir" notredirected && ! subj_in "$CH/bob/Maildir" notredirected &&
	ok "condredirect: false goes on to the next line" || notok "condredirect: false goes on to the next line"
wait_mail "$CH/carol/Maildir" 1 10
subj_in "$CH/carol/Maildir" unknown && ok "unknown user: the alias user's .qmail-default catches it" || notok "unknown user: alias .qmail-default"
wait_mail "$QHOME/alias/pm" 1 10
subj_in "$QHOME/alias/pm" forpm && ok "postmaster: ~alias/.qmail-postmaster" || notok "postmaster: ~alias/.qmail-postmaster"
wait_mail "$A/Maildir" 5 20
b=$(mlist "$A/Maildir" | xargs grep -l '^Subject: failure notice' | head -1)
[ -n "$b" ] && grep -q '^<alice-closed@test.example>:' "$b" && grep -q 'this address is closed' "$b" &&
	ok "bouncesaying: bounce back in the sender's Maildir with the text" || notok "bouncesaying: bounce in the sender's Maildir"

# users/assign changed and rebuilt with qmail-newu while the daemons run
mkdir -p "$CH/dave" && maildirmake "$CH/dave/box" && chmod 755 "$CH/dave"
[ "$QIDS" = system ] && chown -R "$CU" "$CH/dave"
sed -i '$d' "$QHOME/users/assign"
printf '=dave:%s:%s:%s:%s:::\n.\n' "$CU" "$(id -u "$CU")" "$(id -g "$CU")" "$CH/dave" >> "$QHOME/users/assign"
printf './box/\n' | uput "$CH/dave/.qmail" 644
(cd "$QHOME" && bin/qmail-newu) || notok "qmail-newu again"
mail dave@test.example fordave
wait_mail "$CH/dave/box" 1 10 && subj_in "$CH/dave/box" fordave &&
	ok "qmail-newu: a new users/assign entry takes effect at once" || notok "qmail-newu: new entry takes effect"

# mutt reads the whole Maildir
n=$(nmail "$A/Maildir")
m=$(mutt_copy "$A/Maildir" "$TESTTMP/alice.mbox")
[ "$n" -ge 5 ] && [ "$m" = "$n" ] && ok "mutt parses every message in the Maildir ($m)" || notok "mutt parses the Maildir (mutt $m, mlist $n)"
wait_empty 10 && ok "queue empty at the end" || notok "queue empty at the end"
grep -E '^(alert|warning):' "$SLOG" && notok "no alerts or warnings in the log" || ok "no alerts or warnings in the log"
