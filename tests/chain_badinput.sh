#!/bin/sh
# Bad input through the whole chain: corrupt todo, info and local files, a
# missing home directory, an unreadable .qmail, a full disk under the
# Maildir (root only).  Each gives a clear log line and a deferral or a
# bounce, never a lost message or a dead daemon; once the problem is fixed
# and qmail-send gets ALRM, the message is delivered.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-send.sh"
. "$QSRC/tests/lib-chain.sh"
MNT=
trap 'send_stop; [ -n "$MNT" ] && umount "$MNT"' EXIT
chain_setup
A=$CH/alice

# s5 RCPT: a preprocessed queue entry written by hand (mess, info, local);
# prints its number
s5() {
	_f=$QHOME/queue/mess/0/hand.$$
	printf 'Subject: handmade %s\nMessage-ID: <%s@hand>\n\nhi\n' "$1" "$1" > "$_f"
	_n=$(stat -c %i "$_f")
	mv "$_f" "$(qfile mess "$_n")"
	printf 'Fbob@test.example\0' > "$(qfile info "$_n")"
	printf 'T%s\0' "$1" > "$(qfile local "$_n")"
	if [ "$QIDS" = system ]; then
		chown qmailq:qmail "$(qfile mess "$_n")"
		chown qmails:qmail "$(qfile info "$_n")" "$(qfile local "$_n")"
	fi
	chmod 600 "$(qfile info "$_n")" "$(qfile local "$_n")"
	echo "$_n"
}
alive() { kill -0 "$SENDPID" 2>/dev/null; }

# corrupt info: deferred with a warning, delivered once repaired
ni=$(s5 alice@test.example)
printf 'garbage' > "$(qfile info "$ni")"
# corrupt local: an unknown record
nl=$(s5 alice-x@test.example)
printf 'Qnonsense' > "$(qfile local "$nl")"
# corrupt todo: no sender
nt=$(handmade 'u0\0p1\0Talice@test.example\0')
chain_start
wait_log "warning: trouble reading info/[0-9]+/$ni: .*will try again later" 10 && ok "corrupt info: a warning names the file" || { notok "corrupt info: warning"; cat "$SLOG"; }
wait_log "warning: unable to preprocess todo/$nt: recipient before sender" 10 &&
	ok "corrupt todo: a warning names it and says why" || notok "corrupt todo: log line"
wait_log "warning: .*local/[0-9]+/$nl" 10 && ok "corrupt local: a warning names it" || notok "corrupt local: log line"
sleep 1
alive && ok "qmail-send survives corrupt queue files" || notok "qmail-send survives corrupt queue files"
[ -f "$(qfile mess "$ni")" ] && ok "corrupt info: the message is kept" || notok "corrupt info: the message is kept"
printf 'Fbob@test.example\0' > "$(qfile info "$ni")"
kill -ALRM "$SENDPID"
wait_mail "$A/Maildir" 1 15 && subj_in "$A/Maildir" "handmade alice@test.example" &&
	ok "corrupt info repaired + ALRM: delivered" || { notok "corrupt info repaired + ALRM: delivered"; tail "$SLOG"; }

# good mail still flows
mail alice@test.example aftercorrupt
wait_mail "$A/Maildir" 2 15 && ok "good mail still delivered next to corrupt entries" || notok "good mail still delivered"

# missing home directory
mv "$CH/bob" "$CH/bob.away"
mail bob@test.example homeless
wait_log 'deferral: Unable_to_switch_to_.*/bob:_No_such_file' 15 && ok "missing home: deferral that says so" || { notok "missing home: deferral"; tail -5 "$SLOG"; }
mv "$CH/bob.away" "$CH/bob"
kill -ALRM "$SENDPID"
wait_mail "$CH/bob/Maildir" 1 15 && ok "home restored + ALRM: delivered" || notok "home restored + ALRM: delivered"

# unreadable .qmail
printf './Maildir/\n' | uput "$CH/carol/.qmail" 000
mail carol@test.example locked
wait_log 'deferral: Unable_to_open_.qmail:_Permission_denied' 15 && ok "unreadable .qmail: deferral that says so" || { notok "unreadable .qmail: deferral"; tail -5 "$SLOG"; }
[ "$(nmail "$CH/carol/Maildir")" = 0 ] && ok "unreadable .qmail: nothing delivered meanwhile" || notok "unreadable .qmail: nothing delivered meanwhile"
chmod 644 "$CH/carol/.qmail"
kill -ALRM "$SENDPID"
wait_mail "$CH/carol/Maildir" 1 15 && ok ".qmail readable + ALRM: delivered" || notok ".qmail readable + ALRM: delivered"

# full disk under the Maildir
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$A/full"
	if mount -t tmpfs -o size=64k tmpfs "$A/full"; then
		MNT=$A/full
		maildirmake "$A/full/Maildir"; chown -R "$CU" "$A/full"
		dd if=/dev/zero of="$A/full/filler" bs=1k count=60 2>/dev/null
		printf './full/Maildir/\n' | uput "$A/.qmail-full" 644
		big=$(head -c 30000 /dev/zero | tr '\0' 'x' | fold -w 70)
		mail alice-full@test.example diskfull "$big"
		wait_log 'deferral: .*(No_space_left|mailbox_is_full)' 15 && ok "full disk: deferral that says so" ||
			{ notok "full disk: deferral"; tail -5 "$SLOG"; }
		[ -z "$(find "$A/full/Maildir" -type f)" ] && ok "full disk: no partial file left in the Maildir" ||
			notok "full disk: no partial file left"
		alive && ok "full disk: qmail-send still running" || notok "full disk: qmail-send still running"
		rm -f "$A/full/filler"
		kill -ALRM "$SENDPID"
		wait_mail "$A/full/Maildir" 1 15 && subj_in "$A/full/Maildir" diskfull &&
			ok "space freed + ALRM: delivered" || notok "space freed + ALRM: delivered"
	else
		skip "full disk: cannot mount a tmpfs"
	fi
else
	skip "full disk: a tmpfs needs root"
fi
sleep 1
alive && ok "qmail-send still running at the end" || notok "qmail-send still running at the end"
grep -E '^alert:' "$SLOG" && notok "no alerts" || ok "no alerts"
