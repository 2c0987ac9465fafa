#!/bin/sh
# qmail-pw2u: passwd lines to users/assign (man/qmail-pw2u.8).
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-local.sh"
trap 'rm -f "$QHOME"/users/*; local_cleanup' EXIT
rm -f "$QHOME"/users/*
U=$(id -u "$LU") G=$(id -g "$LU")
mkhome "$LT/joe"
J=$LT/joe
# the alias user: its name as compiled in (the installer in single-user builds)
if [ "$QIDS" = system ]; then AN=alias; else AN=$(id -un); fi
cat > "$LT/passwd" <<P
root:x:0:0::/root:/bin/sh
joe:x:$U:$G:Joe:$J:/bin/sh
Big:x:$U:$G::$J:/bin/sh
$AN:x:77:78::/var/qmail/alias:/bin/false
nohome:x:$U:$G::$LT/nonexistent:/bin/sh
notmine:x:$((U + 1)):$G::$J:/bin/sh
P
pw2u() { qmail-pw2u "$@" < "$LT/passwd" > "$LT/out" 2>&1; }
same() {	# NAME EXPECTED
	if [ "$(cat "$LT/out")" = "$2" ]; then ok "$1"
	else notok "$1"; sed 's/^/    got: /' "$LT/out"; echo "$2" | sed 's/^/    want: /'; fi
}
pw2u
same "qmail-pw2u: qmail-getpw's rules, alias catch-all, final dot" "=joe:joe:$U:$G:$J:::
+joe-:joe:$U:$G:$J:-::
+:$AN:77:78:/var/qmail/alias:-::
."
pw2u -H -u -C
same "qmail-pw2u -H -u -C" "=joe:joe:$U:$G:$J:::
=Big:Big:$U:$G:$J:::
=$AN:$AN:77:78:/var/qmail/alias:::
=nohome:nohome:$U:$G:$LT/nonexistent:::
=notmine:notmine:$((U + 1)):$G:$J:::
+:$AN:77:78:/var/qmail/alias:-::
."
pw2u -c+ -/
same "qmail-pw2u -c+ -/" "=joe:joe:$U:$G:$J:::
+joe+:joe:$U:$G:$J:-/::
+:$AN:77:78:/var/qmail/alias:-::
."
check_exit "qmail-pw2u -h stops at a missing home" 111 qmail-pw2u -h < "$LT/passwd"
echo "joe:jo:j.smith:" > "$QHOME/users/mailnames"
echo "list:joe:lst:" > "$QHOME/users/subusers"
echo "=extra:joe:1:1:/x:::" > "$QHOME/users/append"
pw2u
same "qmail-pw2u: mailnames, subusers, append" "=jo:joe:$U:$G:$J:::
+jo-:joe:$U:$G:$J:-::
=j.smith:joe:$U:$G:$J:::
+j.smith-:joe:$U:$G:$J:-::
=list:joe:$U:$G:$J:-:lst:
+list-:joe:$U:$G:$J:-:lst-:
+:$AN:77:78:/var/qmail/alias:-::
=extra:joe:1:1:/x:::
."
rm -f "$QHOME"/users/*
echo joe > "$QHOME/users/exclude"
pw2u
same "qmail-pw2u: users/exclude" "+:$AN:77:78:/var/qmail/alias:-::
."
rm -f "$QHOME"/users/*
echo nobody > "$QHOME/users/include"
pw2u
same "qmail-pw2u: users/include" "+:$AN:77:78:/var/qmail/alias:-::
."
rm -f "$QHOME"/users/*
qmail-pw2u < "$LT/passwd" > "$QHOME/users/assign" && qmail-newu && ok "qmail-pw2u output compiles with qmail-newu" || notok "qmail-pw2u output compiles with qmail-newu"
