#!/bin/sh
# Who gets the mail: qmail-newu (users/assign -> users/cdb), qmail-getpw
# (the passwd rules) and qmail-lspawn (the spawn protocol, users/cdb before
# qmail-getpw, the alias user, never root).  man/qmail-users.5,
# man/qmail-newu.8, man/qmail-getpw.8, man/qmail-lspawn.8.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-local.sh"
reset_home
QIDS_USERS=
cleanup() {
	rm -f "$QHOME"/queue/mess/*/9000* "$QHOME/users/"*
	find "$QHOME/alias" -mindepth 1 -exec rm -rf {} + 2>/dev/null
	[ -n "$QIDS_USERS" ] && for u in $QIDS_USERS; do userdel "$u" >/dev/null 2>&1; done
	[ -n "${LUHOME-}" ] && rm -rf "$LUHOME/.qmail" "$LUHOME/.qmail-ext" "$LUHOME/Maildir.qt"
	local_cleanup
}
trap cleanup EXIT
uid=$(id -u "$LU") gid=$(id -g "$LU")
H=$LT/home
mkhome "$H"
mkmaildir "$H/Maildir"
printf 'Subject: spawn\n\nhello\n' > "$LT/msg"; chmod 644 "$LT/msg"
A=$QHOME/alias
if [ "$QIDS" = system ]; then AU=alias; else AU=$(id -un); fi
asa() { as_user "$AU" "$@"; }

# ---- qmail-newu
cat > "$QHOME/users/assign" <<A
=exact:$LU:$uid:$gid:$H:::
+wild-:$LU:$uid:$gid:$H:-:w-:
+Upper:$LU:$uid:$gid:$H:-:up-:
=rootie:root:0:0:/root:::
.
A
check "qmail-newu compiles users/assign" qmail-newu
[ -f "$QHOME/users/cdb" ] && [ ! -e "$QHOME/users/cdb.tmp" ] && ok "users/cdb replaces users/cdb.tmp" || notok "users/cdb replaces users/cdb.tmp"
cp "$QHOME/users/cdb" "$LT/cdb.good"
python3 - "$QHOME/users/cdb" "$LU:$uid:$gid:$H" <<'P' && ok "users/cdb has qmail's keys and records" || notok "users/cdb has qmail's keys and records"
import struct, sys
d = open(sys.argv[1], "rb").read()
u, uid, gid, h = sys.argv[2].split(":")
recs = {}
pos, end = 2048, struct.unpack("<I", d[0:4])[0]
while pos < end:
    kl, dl = struct.unpack("<II", d[pos:pos + 8])
    k = d[pos + 8:pos + 8 + kl]; v = d[pos + 8 + kl:pos + 8 + kl + dl]
    recs.setdefault(k, v); pos += 8 + kl + dl
b = lambda s: s.encode()
assert recs[b("!exact\0")] == b("%s\0%s\0%s\0%s\0\0" % (u, uid, gid, h)), recs
assert recs[b("!wild-")] == b("%s\0%s\0%s\0%s\0-\0w-" % (u, uid, gid, h)), recs
assert b("!upper") in recs
assert sorted(recs[b("")]) == sorted(b"-r"), recs[b("")]
P
for bad in "=x:u:1:1:/h::" "*x:u:1:1:/h:::" "noline"; do
	printf '=ok:u:1:1:/h:::\n%s\n.\n' "$bad" > "$QHOME/users/assign"
	[ "$bad" = noline ] && printf '=ok:u:1:1:/h:::\n' > "$QHOME/users/assign"
	qmail-newu > "$LT/out" 2>&1; rc=$?
	if [ $rc = 111 ] && cmp -s "$QHOME/users/cdb" "$LT/cdb.good" && grep -q "line [12]" "$LT/out"; then
		ok "qmail-newu rejects '$bad' with its line number, keeps users/cdb"
	else notok "qmail-newu rejects '$bad' with its line number, keeps users/cdb (exit $rc)"; cat "$LT/out"; fi
done

# ---- qmail-getpw
getpw() { qmail-getpw "$1" | tr '\0' '|'; }
if [ "$QIDS" = system ]; then
	LUHOME=$(getent passwd "$LU" | cut -d: -f6)
	[ "$(getpw "$LU")" = "$LU|$uid|$gid|$LUHOME|||" ] && ok "qmail-getpw: a user" || notok "qmail-getpw: a user ($(getpw "$LU"))"
	[ "$(getpw "$(echo "$LU" | tr a-z A-Z)-Foo-Bar")" = "$LU|$uid|$gid|$LUHOME|-|Foo-Bar|" ] &&
		ok "qmail-getpw: USER-ext, any case" || notok "qmail-getpw: USER-ext ($(getpw "$(echo "$LU" | tr a-z A-Z)-Foo-Bar"))"
	aid=$(id -u alias) agid=$(id -g alias) ahome=$QHOME/alias
	[ "$(getpw root)" = "alias|$aid|$agid|$ahome|-|root|" ] && ok "qmail-getpw: uid 0 never gets mail" || notok "qmail-getpw: uid 0 ($(getpw root))"
	useradd -M -d "$LT/nohome" qtnohome >/dev/null 2>&1 && QIDS_USERS="qtnohome"
	[ "$(getpw qtnohome-x)" = "alias|$aid|$agid|$ahome|-|qtnohome-x|" ] && ok "qmail-getpw: a user without a home is no user" || notok "qmail-getpw: no home ($(getpw qtnohome-x))"
	useradd -M -d "$LT" qtnotown >/dev/null 2>&1 && QIDS_USERS="$QIDS_USERS qtnotown"
	[ "$(getpw qtnotown)" = "alias|$aid|$agid|$ahome|-|qtnotown|" ] && ok "qmail-getpw: a home owned by another is no home" || notok "qmail-getpw: not owner ($(getpw qtnotown))"
	[ "$(getpw No.Such-User)" = "alias|$aid|$agid|$ahome|-|No.Such-User|" ] && ok "qmail-getpw: others go to alias" || notok "qmail-getpw: alias ($(getpw No.Such-User))"
else
	me=$(id -un)
	[ "$(getpw nosuch-x)" = "$me|$(id -u)|$(id -g)|$QHOME/alias|-|nosuch-x|" ] && ok "qmail-getpw single-user: others go to alias in QHOME/alias" || notok "qmail-getpw single-user alias ($(getpw nosuch-x))"
	[ "$(getpw root)" = "$me|$(id -u)|$(id -g)|$QHOME/alias|-|root|" ] && ok "qmail-getpw single-user: other uids are no users" || notok "qmail-getpw single-user root ($(getpw root))"
fi
check_exit "qmail-getpw without an argument" 100 qmail-getpw

# ---- qmail-lspawn
# the catch-all of qmail-users(5) points at this home's alias directory
# (the alias user's passwd home may belong to another installation)
cat > "$QHOME/users/assign" <<A
=exact:$LU:$uid:$gid:$H:::
+wild-:$LU:$uid:$gid:$H:-:w-:
+Upper:$LU:$uid:$gid:$H:-:up-:
=rootie:root:0:0:/root:::
+:$AU:$(id -u "$AU"):$(id -g "$AU"):$A:-::
.
A
check "qmail-newu with a catch-all" qmail-newu
m1=$(queue_msg 900001)
cat > "$LT/rec" <<'S'
#!/bin/sh
echo "USER=$USER LOCAL=$LOCAL EXT=$EXT DEFAULT=${DEFAULT-none} HOST=$HOST SENDER=$SENDER"
S
chmod 755 "$LT/rec"
echo "|$LT/rec" | put "$H/.qmail" 644
echo "|$LT/rec" | put "$H/.qmail-w-default" 644
echo "|$LT/rec" | put "$H/.qmail-up-default" 644
rm -rf "$A/pm"; mkdir -p "$A/pm"; for d in tmp new cur; do mkdir -p "$A/pm/$d"; done	# other scripts share ~alias
echo ./pm/ > "$A/.qmail-postmaster"
echo "|$LT/rec" > "$A/.qmail-default"
chmod 644 "$A"/.qmail-*; [ "$QIDS" = system ] && chown -R alias "$A"/.qmail-* "$A/pm"

spawn ./Maildir/ "0|$m1|s@x.org|exact@test.example" > "$LT/rep"
grep -qx "0 rUSER=$LU LOCAL=exact EXT= DEFAULT=none HOST=test.example SENDER=s@x.org/did 0+0+1/|KUSER=$LU LOCAL=exact EXT= DEFAULT=none HOST=test.example SENDER=s@x.org/did 0+0+1/" "$LT/rep" &&
	ok "lspawn: users/cdb exact entry, r and K reports with qmail-local's output" || { notok "lspawn: exact entry"; cat "$LT/rep"; }
grep -qx "exit 0" "$LT/rep" && ok "lspawn exits 0 at EOF after the last report" || notok "lspawn exit at EOF"
spawn ./Maildir/ "3|$m1|s@x.org|EXACT@test.example" > "$LT/rep"
grep -q "^3 rUSER=$LU LOCAL=EXACT EXT= " "$LT/rep" && ok "lspawn: exact entries ignore case" || { notok "lspawn: exact entries ignore case"; cat "$LT/rep"; }
spawn ./Maildir/ "1|$m1|s@x.org|wild-Foo-Bar@test.example" > "$LT/rep"
grep -q "^1 rUSER=$LU LOCAL=wild-Foo-Bar EXT=w-Foo-Bar DEFAULT=Foo-Bar " "$LT/rep" && ok "lspawn: wildcard entry, ext = pre + rest" || { notok "lspawn: wildcard entry"; cat "$LT/rep"; }
spawn ./Maildir/ "1|$m1|s@x.org|UPPERcase@test.example" > "$LT/rep"
grep -q "^1 rUSER=$LU LOCAL=UPPERcase EXT=up-case " "$LT/rep" && ok "lspawn: wildcard entries ignore case" || { notok "lspawn: wildcard entries ignore case"; cat "$LT/rep"; }
spawn ./Maildir/ "2|$m1|s@x.org|rootie@test.example" > "$LT/rep"
grep -q "^2 hNot allowed to deliver mail as root.*|D" "$LT/rep" && ok "lspawn: never delivers as root (permanent)" || { notok "lspawn: never as root"; cat "$LT/rep"; }

spawn ./Maildir/ "0|$m1|s@x.org|postmaster@test.example" "1|$m1||Nobody-Here@test.example" > "$LT/rep"
[ "$(ls "$A/pm/new" | wc -l)" = 1 ] && grep -q "^0 rdid 1+0+0/|K" "$LT/rep" && ok "lspawn: postmaster to ~alias/.qmail-postmaster" || { notok "lspawn: postmaster"; cat "$LT/rep"; }
grep -q "^1 rUSER=$AU LOCAL=Nobody-Here EXT=Nobody-Here DEFAULT=Nobody-Here HOST=test.example SENDER=/" "$LT/rep" &&
	ok "lspawn: unknown users to ~alias/.qmail-default" || { notok "lspawn: unknown users to alias"; cat "$LT/rep"; }
rm -f "$A/.qmail-default"
spawn ./Maildir/ "5|$m1|s@x.org|nobody-here@test.example" > "$LT/rep"
grep -q "^5 hSorry, no mailbox here by that name. (#5.1.1)/|D" "$LT/rep" && ok "lspawn: h and D for a bounce" || { notok "lspawn: bounce report"; cat "$LT/rep"; }
spawn ./Maildir/ "4|mess/0/77777777|s@x.org|exact@test.example" "6|../../etc/passwd|s@x.org|exact@test.example" "7|$m1|s@x.org|a@x|b@x" > "$LT/rep"
grep -q "^4 sUnable to open message.*|Z" "$LT/rep" && ok "lspawn: missing message: s and Z" || { notok "lspawn: missing message"; cat "$LT/rep"; }
grep -q "^6 sBad message file name.*|Z" "$LT/rep" && ok "lspawn: refuses a message name outside mess/" || { notok "lspawn: bad name"; cat "$LT/rep"; }
grep -q "^7 s.*|s.*|Z" "$LT/rep" && ok "lspawn: two recipients in a local request: s, s, Z" || { notok "lspawn: two recipients"; cat "$LT/rep"; }

# concurrency: five deliveries that each take a second
printf '|sleep 1\n' | put "$H/.qmail-w-slow" 644
t0=$(date +%s)
spawn ./Maildir/ "0|$m1|s|wild-slow@x" "1|$m1|s|wild-slow@x" "2|$m1|s|wild-slow@x" "3|$m1|s|wild-slow@x" "4|$m1|s|wild-slow@x" > "$LT/rep"
t1=$(date +%s)
[ "$(grep -c '^[0-4] rdid 0+0+1/|K' "$LT/rep")" = 5 ] && [ $((t1 - t0)) -le 3 ] && ok "lspawn: deliveries run at once ($((t1 - t0))s for five 1s deliveries)" ||
	{ notok "lspawn: concurrency ($((t1 - t0))s)"; cat "$LT/rep"; }
# a program that leaves a child holding stdout must not hold up the report
printf '|(sleep 5 &) ; echo started\n' | put "$H/.qmail-w-bg" 644
t0=$(date +%s)
spawn ./Maildir/ "0|$m1|s|wild-bg@x" > "$LT/rep"
t1=$(date +%s)
grep -q "^0 rstarted/did 0+0+1/|K" "$LT/rep" && [ $((t1 - t0)) -le 3 ] && ok "lspawn: a background child does not delay the report" || { notok "lspawn: background child ($((t1 - t0))s)"; cat "$LT/rep"; }

# no users/cdb: qmail-getpw decides
rm -f "$QHOME/users/cdb"
if [ "$QIDS" = system ]; then
	mkdir -p "$LUHOME/Maildir.qt/new" "$LUHOME/Maildir.qt/tmp" "$LUHOME/Maildir.qt/cur"
	chown -R "$LU" "$LUHOME/Maildir.qt"
	echo ./Maildir.qt/ > "$LUHOME/.qmail-ext"; chown "$LU" "$LUHOME/.qmail-ext"; chmod 644 "$LUHOME/.qmail-ext"
	spawn ./Maildir/ "0|$m1|s|$LU-Ext@x" > "$LT/rep"
	[ "$(ls "$LUHOME/Maildir.qt/new" | wc -l)" = 1 ] && grep -q "^0 rdid 1+0+0/|K" "$LT/rep" && ok "lspawn: qmail-getpw finds a passwd user" || { notok "lspawn: passwd user"; cat "$LT/rep"; }
	f=$(ls "$LUHOME/Maildir.qt/new/"*)
	[ "$(stat -c %U "$f")" = "$LU" ] && ok "lspawn: delivery runs as the user" || notok "lspawn: delivery runs as the user ($(stat -c %U "$f"))"
	spawn ./Maildir/ "0|$m1|s|root@x" > "$LT/rep"
	grep -q "^0 [hs]" "$LT/rep" && ! grep -q "as root" "$LT/rep" && ok "lspawn: root@ goes to alias" || { notok "lspawn: root"; cat "$LT/rep"; }
else
	cat > "$QHOME/users/assign" <<A
=other:root:0:0:/root:::
=other2:daemon:1:1:/:::
.
A
	qmail-newu
	spawn ./Maildir/ "0|$m1|s|other2@x" > "$LT/rep"
	grep -q "^0 sCannot deliver as uid 1 in a single-user installation.*|Z" "$LT/rep" && ok "lspawn single-user: another uid is refused (temporary)" || { notok "lspawn single-user other uid"; cat "$LT/rep"; }
fi
