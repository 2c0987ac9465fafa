#!/bin/sh
# qmail-local driven directly: every .qmail form, exit codes, extensions,
# loops, permission checks, failures (man/qmail-local.8, man/dot-qmail.5).
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-local.sh"
trap local_cleanup EXIT
H=$LT/home
mkhome "$H"
printf 'Subject: test\nDelivered-To: other@example.org\n\nFrom the start\n>From quoted\nend\n' > "$LT/msg"
chmod 644 "$LT/msg"

# --- maildir
mkmaildir "$H/Maildir"
echo ./Maildir/ | put "$H/.qmail" 644
qlocal "$H" "$LU" "" ""
expect "maildir delivery succeeds" 0 "did 1+0+0"
f=$(ls "$H/Maildir/new")
if [ "$(count "$H"/Maildir/new/*)" = 1 ] && [ -z "$(ls "$H/Maildir/tmp")" ] &&
    head -2 "$H/Maildir/new/$f" | grep -q "^Return-Path: <sender@example.net>$" &&
    sed -n 2p "$H/Maildir/new/$f" | grep -qx "Delivered-To: $LU@example.org" &&
    tail -n +3 "$H/Maildir/new/$f" | cmp -s - "$LT/msg"; then
	ok "maildir file has Return-Path, Delivered-To and the message"
else notok "maildir file has Return-Path, Delivered-To and the message"; cat "$H/Maildir/new/"*; fi
case "$f" in *.M*P*.*) ok "maildir file name is time.MusecPpid...host" ;;
*) notok "maildir file name is time.MusecPpid...host ($f)" ;; esac
python3 -c "import mailbox,sys; m=mailbox.Maildir(sys.argv[1],create=False); l=list(m); sys.exit(not (len(l)==1 and l[0]['Subject']=='test'))" "$H/Maildir" &&
	ok "python mailbox reads the maildir" || notok "python mailbox reads the maildir"

# --- mbox
rm -f "$H/.qmail"
qlocal "$H" "$LU" "" "" "" ./Mailbox
expect "missing .qmail: defaultdelivery (mbox)" 0 "did 1+0+0"
qlocal "$H" "$LU" "" "" ""  ./Mailbox
python3 - "$H/Mailbox" <<'P' && ok "mbox: two messages, From_ lines, >From quoting, blank line" || notok "mbox: two messages, From_ lines, >From quoting, blank line"
import mailbox, sys
msgs = list(mailbox.mbox(sys.argv[1]))
assert len(msgs) == 2, len(msgs)
m = msgs[0]
assert m.get_from().startswith("MAILER-DAEMON "), m.get_from()
assert m["Return-Path"] == "<>" and m["Subject"] == "test"
assert m.get_payload() == ">From the start\n>>From quoted\nend\n", repr(m.get_payload())
raw = open(sys.argv[1]).read()
assert raw.endswith("end\n\n"), repr(raw[-20:])
P
ls -l "$H/Mailbox" | grep -q '^-rw-------' && ok "new mbox is mode 600" || notok "new mbox is mode 600"

# mbox rollback: a write that fails half way leaves the file as it was
before=$(wc -c < "$H/Mailbox")
head -c 200000 /dev/zero | tr '\0' 'x' | fold -w 70 > "$LT/big"
cat "$LT/msg" "$LT/big" > "$LT/bigmsg"; chmod 644 "$LT/bigmsg"
asu sh -c 'trap "" XFSZ; ulimit -f 64; exec "$@"' sh "$QHOME/bin/qmail-local" -- "$LU" "$H" "$LU" "" "" example.org s@x ./Mailbox < "$LT/bigmsg" > "$LT/out" 2>&1
echo $? > "$LT/rc"
expect "mbox write failure defers" 111 "Unable to write"
[ "$(wc -c < "$H/Mailbox")" = "$before" ] && ok "mbox truncated back after a failed write" ||
	notok "mbox truncated back after a failed write ($(wc -c < "$H/Mailbox") != $before)"

# maildir write failure (file size limit): deferral, nothing in new/ or tmp/
rm -f "$H"/Maildir/new/*
echo ./Maildir/ | put "$H/.qmail" 644
asu sh -c 'trap "" XFSZ; ulimit -f 64; exec "$@"' sh "$QHOME/bin/qmail-local" -- "$LU" "$H" "$LU" "" "" example.org s@x ./Mailbox < "$LT/bigmsg" > "$LT/out" 2>&1
echo $? > "$LT/rc"
expect "maildir write failure defers" 111 "maildir"
[ "$(count "$H"/Maildir/new/* "$H"/Maildir/tmp/*)" = 0 ] && ok "failed maildir delivery leaves no file" ||
	notok "failed maildir delivery leaves no file"

# full disk under a maildir (root: a small tmpfs)
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$LT/full"
	if mount -t tmpfs -o size=64k tmpfs "$LT/full" 2>/dev/null; then
		mkmaildir "$LT/full/Maildir"
		echo "$LT/full/Maildir/" | put "$H/.qmail" 644
		asu "$QHOME/bin/qmail-local" -- "$LU" "$H" "$LU" "" "" example.org s@x ./Mailbox < "$LT/bigmsg" > "$LT/out" 2>&1
		echo $? > "$LT/rc"
		expect "full disk under a maildir defers" 111 "No space left"
		[ "$(count "$LT"/full/Maildir/new/* "$LT"/full/Maildir/tmp/*)" = 0 ] &&
			ok "full disk leaves no partial file" || notok "full disk leaves no partial file"
		umount "$LT/full"
	else
		skip "full disk under a maildir: cannot mount tmpfs"
	fi
else
	skip "full disk under a maildir: needs root to mount a tmpfs"
fi

# --- programs and their environment
rm -f "$H/.qmail"
cat > "$LT/showenv" <<'S'
#!/bin/sh
for v in USER HOME LOCAL EXT EXT2 EXT3 EXT4 HOST HOST2 HOST3 HOST4 SENDER NEWSENDER RECIPIENT DTLINE RPLINE UFLINE DEFAULT; do
	eval "printf '%s=[%s]\n' $v \"\${$v-UNSET}\""
done > env.out
pwd > pwd.out
cat > stdin.out
S
chmod 755 "$LT/showenv"
echo "|$LT/showenv" | put "$H/.qmail-list-foo-default" 644
asu "$QHOME/bin/qmail-local" -- "$LU" "$H" "Me-List-Foo-Bar.Baz" - "List-Foo-Bar.Baz" mx.mail.example.org "s@x.net" ./Mailbox < "$LT/msg" > "$LT/out" 2>&1
echo $? > "$LT/rc"
expect "program delivery via .qmail-list-foo-default" 0 "did 0+0+1"
want="USER=[$LU]
HOME=[$H]
LOCAL=[Me-List-Foo-Bar.Baz]
EXT=[List-Foo-Bar.Baz]
EXT2=[Foo-Bar.Baz]
EXT3=[Bar.Baz]
EXT4=[]
HOST=[mx.mail.example.org]
HOST2=[mx.mail.example]
HOST3=[mx.mail]
HOST4=[mx]
SENDER=[s@x.net]
NEWSENDER=[s@x.net]
RECIPIENT=[Me-List-Foo-Bar.Baz@mx.mail.example.org]
DTLINE=[Delivered-To: Me-List-Foo-Bar.Baz@mx.mail.example.org
]
RPLINE=[Return-Path: <s@x.net>
]"
if [ "$(head -18 "$H/env.out")" = "$want" ]; then ok "program environment"
else notok "program environment"; diff "$H/env.out" - <<W | sed 's/^/    /'
$want
W
fi
grep -q '^UFLINE=\[From s@x.net ... ... .. ..:..:.. 20..$' "$H/env.out" && ok "UFLINE" || { notok "UFLINE"; grep -A1 UFLINE "$H/env.out"; }
grep -qx 'DEFAULT=\[Bar.Baz\]' "$H/env.out" && ok "DEFAULT is the part matched by default" || notok "DEFAULT ($(grep DEFAULT "$H/env.out"))"
[ "$(cat "$H/pwd.out")" = "$H" ] && ok "program runs in the home directory" || notok "program runs in the home directory"
cmp -s "$H/stdin.out" "$LT/msg" && ok "program gets the message as is on fd 0" || notok "program gets the message as is on fd 0"

# exit codes: 0, 99 stops, 100 bounces, 111 defers, 64 bounces, 1 defers
mkmaildir "$H/Maildir"; rm -f "$H"/Maildir/new/*
for c in 0 99 100 111 64 1; do
	printf '|echo prog-%s; exit %s\n./Maildir/\n' $c $c | put "$H/.qmail-x$c" 644
	qlocal "$H" "$LU-x$c" - "x$c"
done
n=$(ls "$H/Maildir/new" | wc -l)
qlocal "$H" "$LU-x0" - "x0"; expect "program exit 0: success, next line runs" 0 "prog-0"
qlocal "$H" "$LU-x99" - "x99"; expect "program exit 99: success" 0 "did 0+0+1"
qlocal "$H" "$LU-x100" - "x100"; expect "program exit 100: permanent" 100 "prog-100"
qlocal "$H" "$LU-x111" - "x111"; expect "program exit 111: temporary" 111 "prog-111"
qlocal "$H" "$LU-x64" - "x64"; expect "program exit 64: permanent" 100
qlocal "$H" "$LU-x1" - "x1"; expect "program exit 1: temporary" 111
[ "$(ls "$H/Maildir/new" | wc -l)" = $((n + 1)) ] && ok "after 99 and failures later lines do not run" ||
	notok "after 99 and failures later lines do not run"
printf '|kill -SEGV $$\n' | put "$H/.qmail-crash" 644
qlocal "$H" "$LU-crash" - crash; expect "crashed program: temporary" 111 "crashed"

# --- forwards
mkrecorder
printf '&a@example.com\nb@example.com\n# comment\n&c@example.com\n' | put "$H/.qmail-fw" 644
QMAILQUEUE=$LT/qq/record; export QMAILQUEUE
qlocal "$H" "$LU-fw" - fw "orig@example.net"
expect "forward lines go to qmail-queue" 0 "qp [0-9]"
grep -q "did 0+3+0" "$LT/out" && ok "did counts three forwards" || notok "did counts three forwards"
[ "$(envelope)" = "Forig@example.net
Ta@example.com
Tb@example.com
Tc@example.com" ] && ok "one envelope: sender and all three recipients" || { notok "one envelope: sender and all three recipients"; envelope; }
{ echo "Delivered-To: $LU-fw@example.org"; cat "$LT/msg"; } | cmp -s - "$LT/qq/body" &&
	ok "forwarded body: Delivered-To and the message, no Return-Path" || { notok "forwarded body"; head -3 "$LT/qq/body"; }
: | put "$H/.qmail-fw-owner" 644
qlocal "$H" "$LU-fw" - fw "orig@example.net"
envelope | grep -qx "F$LU-fw-owner@example.org" && ok ".qmail-ext-owner sets the forwarding sender" || { notok ".qmail-ext-owner sets the forwarding sender"; envelope; }
: | put "$H/.qmail-fw-owner-default" 644
qlocal "$H" "$LU-fw" - fw "orig@example.net"
envelope | grep -qx "F$LU-fw-owner-@example.org-@\[\]" && ok "-owner-default gives a VERP sender" || { notok "-owner-default gives a VERP sender"; envelope; }
qlocal "$H" "$LU-fw" - fw ""
envelope | grep -qx "F" && ok "a bounce keeps its empty sender" || { notok "a bounce keeps its empty sender"; envelope; }
printf '|exit 111\n&a@example.com\n' | put "$H/.qmail-fwfail" 644
rm -f "$LT/qq/env"
qlocal "$H" "$LU-fwfail" - fwfail
[ "$(cat "$LT/rc")" = 111 ] && [ ! -e "$LT/qq/env" ] && ok "an earlier failure prevents forwarding" || notok "an earlier failure prevents forwarding"
printf '&a@example.com\n|exit 99\n&b@example.com\n' | put "$H/.qmail-fw99" 644
qlocal "$H" "$LU-fw99" - fw99
[ "$(envelope | grep -c '^T')" = 1 ] && envelope | grep -qx Ta@example.com && ok "99 keeps earlier forwards only" || { notok "99 keeps earlier forwards only"; envelope; }
QQEXIT=31; export QQEXIT
qlocal "$H" "$LU-fw" - fw; expect "qmail-queue permanent error bounces" 100 "Unable to forward"
QQEXIT=53
qlocal "$H" "$LU-fw" - fw; expect "qmail-queue temporary error defers" 111 "Unable to forward"
unset QQEXIT QMAILQUEUE
if [ -x "$QHOME/bin/qmail-queue" ]; then
	reset_home >/dev/null
	printf '&fwd@example.com\n' | put "$H/.qmail-real" 644
	qlocal "$H" "$LU-real" - real
	expect "forward through the real qmail-queue" 0 "qp [0-9]"
	[ -n "$(queue_files todo)$(queue_files info)" ] && ok "the forward is in the queue" || notok "the forward is in the queue"
	reset_home >/dev/null
else
	skip "forward through the real qmail-queue: not built yet"
fi

# --- finding the .qmail file
for f in a-b-c a-b-default a-default default; do
	echo "|echo file-$f" | put "$H/.qmail-ext-$f" 644
done
rm -f "$H"/.qmail-ext-*; for f in a-b-c a-b-default a-default; do echo "|echo file-$f" | put "$H/.qmail-$f" 644; done
echo "|echo file-default" | put "$H/.qmail-default" 644
qlocal "$H" "$LU-a-b-c" - a-b-c; expect "exact .qmail-ext" 0 "file-a-b-c"
qlocal "$H" "$LU-a-b-d" - a-b-d; expect ".qmail-a-b-default" 0 "file-a-b-default"
qlocal "$H" "$LU-a-x-y" - a-x-y; expect ".qmail-a-default" 0 "file-a-default"
qlocal "$H" "$LU-zz" - zz; expect ".qmail-default" 0 "file-default"
qlocal "$H" "$LU-A-B-C" - A-B-C; expect "extension is lower-cased" 0 "file-a-b-c"
echo "|echo file-dots" | put "$H/.qmail-x:y" 644
qlocal "$H" "$LU-x.y" - x.y; expect "dots in ext become colons" 0 "file-dots"
rm -f "$H/.qmail-default"
qlocal "$H" "$LU-zz" - zz; expect "no .qmail file for ext: bounce" 100 "Sorry, no mailbox here by that name. (#5.1.1)"
: | put "$H/.qmail-empty" 644
qlocal "$H" "$LU-empty" - empty "" ./Mailbox; expect "empty .qmail-ext: defaultdelivery" 0 "did 1+0+0"
printf '\n./Mailbox\n' | put "$H/.qmail-blank" 644
qlocal "$H" "$LU-blank" - blank; expect "blank first line defers" 111 "first line"
printf '+list\n./Mailbox\n' | put "$H/.qmail-list" 644
qlocal "$H" "$LU-list" - list; expect "+list forbids file deliveries" 111 "x bit"
printf '|echo hi\n' | put "$H/.qmail-xbit" 755
qlocal "$H" "$LU-xbit" - xbit; expect "x bit forbids program deliveries" 111 "x bit"
printf '|echo trailing   \t\n' | put "$H/.qmail-trail" 644
qlocal "$H" "$LU-trail" - trail; expect "trailing blanks are ignored" 0 "trailing$"

# -n describes
printf '# c\n./Maildir/\n./mbox\n|cmd arg\n&f@example.com\nbare@example.com\n' | put "$H/.qmail-desc" 644
asu "$QHOME/bin/qmail-local" -n "$LU" "$H" "$LU-desc" - desc example.org s ./Mailbox < /dev/null > "$LT/out" 2>&1
[ "$(cat "$LT/out")" = "maildir ./Maildir/
mbox ./mbox
program cmd arg
forward f@example.com
forward bare@example.com" ] && ok "-n describes the instructions" || { notok "-n describes the instructions"; cat "$LT/out"; }

# --- loops and permissions
printf 'Delivered-To: %s-loop@example.org\nSubject: x\n\nbody\n' "$LU" > "$LT/msg"
echo ./Maildir/ | put "$H/.qmail-loop" 644
qlocal "$H" "$LU-loop" - loop
expect "our own Delivered-To line bounces" 100 "This message is looping: it already has my Delivered-To line. (#5.4.6)"
printf 'Subject: x\n\nDelivered-To: %s-loop@example.org\n' "$LU" > "$LT/msg"
qlocal "$H" "$LU-loop" - loop; expect "Delivered-To in the body is no loop" 0
printf 'Subject: t\n\nbody\n' > "$LT/msg"
chmod 664 "$H/.qmail-loop"
qlocal "$H" "$LU-loop" - loop; expect "group-writable .qmail defers" 111 "writable"
chmod 646 "$H/.qmail-loop"
qlocal "$H" "$LU-loop" - loop; expect "world-writable .qmail defers" 111 "writable"
chmod 644 "$H/.qmail-loop"
chmod 1755 "$H"
qlocal "$H" "$LU-loop" - loop; expect "sticky home defers" 111 "sticky"
chmod 775 "$H"
qlocal "$H" "$LU-loop" - loop; expect "group-writable home defers" 111 "home directory is writable"
chmod 755 "$H"
qlocal "$LT/nohome" "$LU" "" ""; expect "missing home defers" 111 "Unable to switch to"
asu "$QHOME/bin/qmail-local" "$LU" relative x "" "" h s ./Mailbox < "$LT/msg" > "$LT/out" 2>&1; echo $? > "$LT/rc"
expect "relative homedir is a usage error" 100 "usage"
