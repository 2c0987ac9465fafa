#!/bin/sh
# make setup check: the installer verifies and repairs the home, never
# touches queued mail, and says exactly what is wrong; a system build
# without the qmail users stops with the commands that create them.
. "$QSRC/tests/lib.sh"
cd "$QSRC" || exit 1
T=$TESTTMP/build_install
rm -rf "$T"; mkdir -p "$T"

# a message in the queue, then setup again: still there, byte for byte
reset_home
echo hello | "$QHOME/bin/sendmail" someone@example.test
n=$(queue_files todo | wc -l)
[ "$n" = 1 ] && ok "a message is queued before the reinstall" || notok "a message is queued before the reinstall ($n)"
find "$QHOME/queue" -type f -exec md5sum {} + | sort > "$T/before"
check "make setup over a live home succeeds" sh tools/install.sh setup
find "$QHOME/queue" -type f -exec md5sum {} + | sort > "$T/after"
check "make setup leaves the queued message untouched" cmp "$T/before" "$T/after"
check "make check passes after the reinstall" sh tools/install.sh check

# check names what is wrong, and setup repairs it
chmod 0777 "$QHOME/queue/todo"
sh tools/install.sh check > "$T/check" 2>&1; rc=$?
[ $rc != 0 ] && ok "make check fails on a wrong mode" || notok "make check fails on a wrong mode"
grep -q "queue/todo has mode 777, should be 750" "$T/check" &&
	ok "make check says which mode is wrong and what it should be" ||
	{ notok "make check says which mode is wrong and what it should be"; cat "$T/check"; }
rm -f "$QHOME/bin/qmail-qstat"
sh tools/install.sh check > "$T/check" 2>&1
grep -q "bin/qmail-qstat is missing" "$T/check" && ok "make check names a missing program" ||
	{ notok "make check names a missing program"; cat "$T/check"; }
check "make setup repairs the home" sh tools/install.sh setup
check "make check passes after the repair" sh tools/install.sh check
if [ "$QIDS" = system ]; then
	chown nobody "$QHOME/queue/mess"
	sh tools/install.sh check > "$T/check" 2>&1
	grep -q "queue/mess is owned by nobody, should be qmailq" "$T/check" &&
		ok "make check says which owner is wrong" ||
		{ notok "make check says which owner is wrong"; cat "$T/check"; }
	sh tools/install.sh setup > /dev/null 2>&1
	s=$(stat -c '%U %a' "$QHOME/bin/qmail-queue")
	[ "$s" = "qmailq 4711" ] && ok "qmail-queue is setuid qmailq" || notok "qmail-queue is setuid qmailq ($s)"
fi

# a system build whose users do not exist stops with the commands
mkdir -p "$T/src"
cp conf-* "$T/src/" && mkdir -p "$T/src/tools" && cp tools/auto.sh tools/mkusers.sh "$T/src/tools/"
printf 'qmnoalias\nqmnod\nqmnol\nroot\nqmnop\nqmnoq\nqmnor\nqmnos\nqmnot\nqmnok\n' > "$T/src/conf-users"
printf 'qmnogroup\nqmnofiles\n' > "$T/src/conf-groups"
echo system > "$T/src/conf-ids"
(cd "$T/src" && sh tools/auto.sh) > "$T/auto" 2>&1; rc=$?
[ $rc != 0 ] && ok "a build without the qmail users stops" || notok "a build without the qmail users stops"
grep -q "useradd --system -M -g qmnofiles -d .* qmnoalias" "$T/auto" &&
	grep -q "groupadd --system qmnogroup" "$T/auto" && grep -q "make users" "$T/auto" &&
	ok "... and prints the commands that create them" ||
	{ notok "... and prints the commands that create them"; cat "$T/auto"; }
if [ "$(id -u)" != 0 ]; then
	(cp -r "$QSRC" "$T/plain" && cd "$T/plain" && echo system > conf-ids &&
	    sh tools/install.sh setup) > "$T/plainsetup" 2>&1
	grep -q "run make setup as root" "$T/plainsetup" &&
		ok "a system install by a plain user says to run as root" ||
		{ notok "a system install by a plain user says to run as root"; cat "$T/plainsetup"; }
fi
rm -rf "$T"
exit 0
