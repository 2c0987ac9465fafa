# tests/lib-chain.sh: the whole local chain as an administrator runs it
# (sourced after lib.sh and lib-send.sh).  chain_setup installs a clean
# home with the REAL spawners, makes mail users alice, bob and carol
# (users/assign entries sharing the test user's uid, homes under $CH, each
# with a Maildir) and control files for test.example; chain_start runs
# qmail-start with its log in $SLOG (send_start).  Readers: mlist/mhdr
# (mblaze), mutt, Python's mailbox.
CH=$TESTTMP/chain
CU=$(test_user)

# chain_setup: stop, reset, real programs, users; control/locals test.example
chain_setup() {
	send_stop
	reset_home
	rm -rf "$CH"; mkdir -p "$CH"; chmod 755 "$CH"
	uid=$(id -u "$CU") gid=$(id -g "$CU")
	: > "$QHOME/users/assign"
	for u in alice bob carol; do
		mkdir -p "$CH/$u"
		maildirmake "$CH/$u/Maildir"
		chmod 755 "$CH/$u"
		printf '=%s:%s:%s:%s:%s:::\n+%s-:%s:%s:%s:%s:-::\n' "$u" "$CU" "$uid" "$gid" \
		    "$CH/$u" "$u" "$CU" "$uid" "$gid" "$CH/$u" >> "$QHOME/users/assign"
	done
	echo . >> "$QHOME/users/assign"
	[ "$QIDS" = system ] && chown -R "$CU" "$CH"/*
	(cd "$QHOME" && bin/qmail-newu) || notok "qmail-newu"
	echo test.example > "$QHOME/control/locals"
	echo test.example > "$QHOME/control/me"
	: > "$SLOG"
}

chain_start() { send_start; }

# uput FILE MODE: stdin into FILE, owned by the mail user
uput() {
	cat > "$1"
	chmod "$2" "$1"
	[ "$QIDS" = system ] && chown "$CU" "$1"
	return 0
}

# aput NAME: stdin into ~alias/NAME, owned by the alias user
aput() {
	cat > "$QHOME/alias/$1"
	chmod 644 "$QHOME/alias/$1"
	[ "$QIDS" = system ] && chown alias "$QHOME/alias/$1"
	return 0
}

# mail RCPT SUBJECT [BODY]: qmail-inject a message from alice
mail() {
	printf 'From: alice@test.example\nTo: %s\nSubject: %s\nMessage-ID: <%s@chain>\n\n%s\n' \
	    "$1" "$2" "$2" "${3:-hello}" |
	    env QMAILUSER=alice QMAILHOST=test.example QMAILNAME= \
	    "$QHOME/bin/qmail-inject" -falice@test.example "$1"
}

# nmail DIR: how many messages the Maildir DIR holds, by mblaze's mlist
nmail() { mlist "$1" 2>/dev/null | wc -l; }

# wait_mail DIR COUNT SECONDS: until mlist sees COUNT messages in DIR
wait_mail() {
	_n=0
	while [ $_n -lt $(($3 * 10)) ]; do
		[ "$(nmail "$1")" -ge "$2" ] && return 0
		sleep 0.1; _n=$((_n + 1))
	done
	return 1
}

# subj_in DIR SUBJECT: some message in Maildir DIR has this Subject (mhdr)
subj_in() {
	mlist "$1" 2>/dev/null | while read -r _f; do
		mhdr -h subject "$_f"
	done | grep -qxF "$2"
}

# mutt_copy MAILDIR MBOX: mutt (in a pseudo-terminal) copies every
# message of MAILDIR into MBOX; prints how many Python's mailbox finds
mutt_copy() {
	rm -f "$2"
	printf 'set folder=%s\nset spoolfile=%s\nset confirmcreate=no\nset confirmappend=no\nset quit=yes\nset move=no\nset mbox_type=mbox\nset wait_key=no\nset auto_tag=yes\n' "$TESTTMP" "$1" > "$TESTTMP/muttrc"
	HOME=$TESTTMP timeout 30 script -qec "mutt -n -F $TESTTMP/muttrc -R -f $1 -e 'push \"<tag-pattern>~A<enter><copy-message>$2<enter><quit>\"'" /dev/null > /dev/null 2>&1
	python3 -c 'import mailbox, sys; print(len(mailbox.mbox(sys.argv[1])))' "$2" 2>/dev/null || echo 0
}
