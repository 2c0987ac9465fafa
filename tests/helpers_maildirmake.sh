# maildirmake(1): directories and modes
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-helpers.sh"
cd "$HW" || exit 1
rm -rf md
run_code "maildirmake: makes a maildir" 0 sh -c 'umask 0; maildirmake md'
for d in md md/tmp md/new md/cur; do
	m=$(stat -c %a "$d" 2>/dev/null)
	[ "$m" = 700 ] && ok "maildirmake: $d is mode 700" || notok "maildirmake: $d is mode 700 (got $m)"
done
[ "$(ls -A md | sort | tr '\n' ' ')" = "cur new tmp " ] && ok "maildirmake: nothing else in it" || notok "maildirmake: nothing else in it"
run_code "maildirmake: existing directory: 111" 111 maildirmake md
grep -q '^maildirmake: fatal: unable to mkdir md: ' err && ok "maildirmake: says why" || notok "maildirmake: says why"
run_code "maildirmake: missing parent: 111" 111 maildirmake nodir/md
run_code "maildirmake: no argument: 100" 100 maildirmake
grep -q '^maildirmake: usage: ' err && ok "maildirmake: usage message" || notok "maildirmake: usage message"
rm -rf md
