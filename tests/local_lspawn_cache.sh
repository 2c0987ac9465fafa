#!/bin/sh
# qmail-lspawn's user cache (man/qmail-lspawn.8): a second delivery to the
# same local part needs no qmail-getpw; users/cdb changing or a SIGHUP
# forgets the answers; a cached delivery still gets the user's
# supplementary groups.
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-local.sh"
reset_home
GRP=qtcachegrp
LUHOME=$(getent passwd "$LU" | cut -d: -f6)
cleanup() {
	chmod 755 "$QHOME/bin/qmail-getpw" 2>/dev/null
	rm -f "$QHOME"/queue/mess/*/9100* "$QHOME/users/"*
	[ -n "${LUHOME-}" ] && rm -f "$LUHOME/.qmail-cache"
	[ "$QIDS" = system ] && groupdel "$GRP" > /dev/null 2>&1
	local_cleanup
}
trap cleanup EXIT
steps() { python3 "$QSRC/tests/lib-local-spawn-steps.py" "$QHOME/bin/qmail-lspawn" ./Maildir/ "$@"; }
if [ "$QIDS" != system ]; then
	skip "lspawn cache: needs root (passwd users, groups, qmailp)"
	exit 0
fi
printf 'Subject: cache\n\nhello\n' > "$LT/msg"; chmod 644 "$LT/msg"
m=$(queue_msg 910001)
groupadd "$GRP" > /dev/null 2>&1; gpasswd -a "$LU" "$GRP" > /dev/null 2>&1
gg=$(getent group "$GRP" | cut -d: -f3)
cat > "$LT/rec" <<'S'
#!/bin/sh
echo "USER=$USER HOME=$HOME GROUPS=$(id -G)"
S
chmod 755 "$LT/rec"
echo "|$LT/rec" > "$LUHOME/.qmail-cache"; chown "$LU" "$LUHOME/.qmail-cache"; chmod 644 "$LUHOME/.qmail-cache"
H=$LT/home; mkhome "$H"
echo "|$LT/rec" | put "$H/.qmail" 644
G=$QHOME/bin/qmail-getpw
rm -f "$QHOME/users/cdb"

steps "0|$m|s|$LU-cache@x" "!chmod 0 $G" "1|$m|s|$LU-cache@x" "6|mess/0/91777777|s|$LU-cache@x" "2|$m|s|$LU-Cache@x" \
    HUP "3|$m|s|$LU-cache@x" "!chmod 755 $G" "4|$m|s|$LU-cache@x" "!chmod 0 $G" \
    "!printf '=$LU-cache:$LU:$(id -u "$LU"):$(id -g "$LU"):$H:::\n.\n' > $QHOME/users/assign && cd $QHOME && bin/qmail-newu" \
    "5|$m|s|$LU-cache@x" > "$LT/rep"
chmod 755 "$G"
grep -q "^0 rUSER=$LU HOME=$LUHOME GROUPS=.*\b$gg\b" "$LT/rep" &&
	ok "lspawn cache: first delivery looks the user up, with its groups" || { notok "lspawn cache: first delivery"; cat "$LT/rep"; }
grep -q "^1 rUSER=$LU HOME=$LUHOME GROUPS=.*\b$gg\b" "$LT/rep" &&
	ok "lspawn cache: second delivery needs no qmail-getpw and keeps the groups" || { notok "lspawn cache: cached delivery"; cat "$LT/rep"; }
grep -q "^6 sUnable to open message queue/mess/0/91777777: .*|Z" "$LT/rep" &&
	ok "lspawn cache: a cached user's missing message: s and Z" || { notok "lspawn cache: missing message"; cat "$LT/rep"; }
grep -q "^2 s.*qmail-getpw.*|Z" "$LT/rep" &&
	ok "lspawn cache: the key is the exact local part" || { notok "lspawn cache: exact key"; cat "$LT/rep"; }
grep -q "^3 s.*qmail-getpw.*|Z" "$LT/rep" &&
	ok "lspawn cache: SIGHUP forgets" || { notok "lspawn cache: SIGHUP"; cat "$LT/rep"; }
grep -q "^4 rUSER=$LU HOME=$LUHOME " "$LT/rep" &&
	ok "lspawn cache: a failed lookup is not cached" || { notok "lspawn cache: failure not cached"; cat "$LT/rep"; }
grep -q "^5 rUSER=$LU HOME=$H " "$LT/rep" &&
	ok "lspawn cache: a new users/cdb forgets" || { notok "lspawn cache: users/cdb change"; cat "$LT/rep"; }
grep -qx "exit 0" "$LT/rep" && ok "lspawn cache: exits 0 at EOF" || { notok "lspawn cache: exit"; cat "$LT/rep"; }
