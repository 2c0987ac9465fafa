# maildir2mbox(1): moves new/ and cur/ to the end of $MAIL, reliably
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-helpers.sh"
cd "$HW" || exit 1
rm -rf md mb mt
maildirmake md
printf 'Return-Path: <a@example.org>\nSubject: one\n\nFrom me\n>From you\nno newline' > md/new/1.x
printf 'Return-Path: <>\nSubject: two\n\nbounce\n' > md/cur/2.x:2,S
printf 'Subject: three\n\nno return path\n' > md/new/3.x
touch -d '2020-01-02 03:04:05 UTC' md/new/1.x
touch -d '2020-01-03 00:00:00 UTC' md/cur/2.x:2,S
touch -d '2020-01-04 00:00:00 UTC' md/new/3.x
printf 'junk' > md/tmp/old; touch -d '3 days ago' md/tmp/old
printf 'junk' > md/tmp/fresh
printf 'From old@example.org Wed Jan  1 00:00:00 2020\nSubject: old\n\nold\n\n' > mb
cp mb want
cat >> want <<'EOS'
From a@example.org Thu Jan  2 03:04:05 2020
Return-Path: <a@example.org>
Subject: one

>From me
>>From you
no newline

From MAILER-DAEMON Fri Jan  3 00:00:00 2020
Return-Path: <>
Subject: two

bounce

From MAILER-DAEMON Sat Jan  4 00:00:00 2020
Subject: three

no return path

EOS
export MAILDIR=$HW/md MAIL=$HW/mb MAILTMP=$HW/mt
run_code "maildir2mbox: moves the mail" 0 maildir2mbox
same "maildir2mbox: old mbox kept, messages appended oldest first, From_ lines, >From quoting" mb want
[ -z "$(find md/new md/cur -type f)" ] && ok "maildir2mbox: maildir emptied" || notok "maildir2mbox: maildir emptied"
[ ! -e mt ] && ok "maildir2mbox: MAILTMP renamed away" || notok "maildir2mbox: MAILTMP renamed away"
[ ! -e md/tmp/old ] && ok "maildir2mbox: stale tmp file removed" || notok "maildir2mbox: stale tmp file removed"
[ -e md/tmp/fresh ] && ok "maildir2mbox: fresh tmp file kept" || notok "maildir2mbox: fresh tmp file kept"
n=$(python3 -c 'import mailbox,sys; print(len(mailbox.mbox(sys.argv[1])))' mb 2>/dev/null)
[ "$n" = 4 ] && ok "maildir2mbox: Python's mailbox reads 4 messages" || notok "maildir2mbox: Python's mailbox reads 4 messages (got $n)"

cp mb before
run_code "maildir2mbox: nothing to move: 0" 0 maildir2mbox
same "maildir2mbox: nothing to move leaves MAIL alone" mb before
rm -f mb2
run_code "maildir2mbox: empty maildir does not create MAIL" 0 env MAIL=$HW/mb2 maildir2mbox
[ ! -e mb2 ] && ok "maildir2mbox: no MAIL created" || notok "maildir2mbox: no MAIL created"

printf 'Subject: four\n\nfour\n' > md/new/4.x
run_code "maildir2mbox: creates a missing MAIL" 0 env MAIL=$HW/mb3 maildir2mbox
[ "$(stat -c %a mb3)" = 600 ] && ok "maildir2mbox: new MAIL is mode 600" || notok "maildir2mbox: new MAIL is mode 600"

printf 'Subject: five\n\nfive\n' > md/new/5.x
cp mb before
run_code "maildir2mbox: unwritable MAILTMP: 111" 111 env MAILTMP=$HW/nodir/mt maildir2mbox
same "maildir2mbox: failure leaves MAIL alone" mb before
[ -f md/new/5.x ] && ok "maildir2mbox: failure keeps the message" || notok "maildir2mbox: failure keeps the message"
run_code "maildir2mbox: MAILDIR unset: 111" 111 env -u MAILDIR maildir2mbox
run_code "maildir2mbox: MAIL unset: 111" 111 env -u MAIL maildir2mbox
run_code "maildir2mbox: MAILTMP unset: 111" 111 env -u MAILTMP maildir2mbox
run_code "maildir2mbox: missing maildir: 111" 111 env MAILDIR=$HW/nomd maildir2mbox
rm -rf md mb mb3 before want
