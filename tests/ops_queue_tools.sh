# qmail-qread and qmail-qstat against hand-made queue entries, compared
# byte for byte with qmail 1.03's layouts (man/qmail-qread.8,
# man/qmail-qstat.8).
. "$QTOP/tests/lib.sh"
. "$QTOP/tests/lib-ops.sh"
T=$TESTTMP/ops_qt; mkdir -p "$T"
trap 'ops_empty_queue; rm -rf "$T"' EXIT
ops_empty_queue

qread() { "$QHOME/bin/qmail-qread" > "$T/out" 2> "$T/err"; echo $? > "$T/rc"; }
same() {	# name: compare $T/out with $T/want
	if cmp -s "$T/out" "$T/want"; then ok "$1"
	else notok "$1"; diff "$T/want" "$T/out" | sed 's/^/    /' | head -20; fi
}
when() { LC_ALL=C date -u -d "@$1" '+%-d %b %Y %H:%M:%S'; }

qread
[ "$(cat "$T/rc")" = 0 ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] &&
	ok "qmail-qread: empty queue lists nothing" ||
	notok "qmail-qread: empty queue lists nothing"
"$QHOME/bin/qmail-qstat" > "$T/out"
printf 'messages in queue: 0\nmessages in queue but not yet preprocessed: 0\n' > "$T/want"
same "qmail-qstat: empty queue"

t1=1795278459	# a Saturday afternoon in 2026
id1=$(ops_fake_msg $t1 2048 sender@x.example "Tbob Dcarol" "Tdave@y.example Derin@z.example")
{
	printf '%s GMT  #%s  2048  <sender@x.example> \n' "$(when $t1)" "$id1"
	printf '\tlocal\tbob\n  done\tlocal\tcarol\n'
	printf '\tremote\tdave@y.example\n  done\tremote\terin@z.example\n'
} > "$T/want"
qread
same "qmail-qread: date, #id, size, <sender>, local then remote, done marks"

rm -f "$QHOME/queue/mess/$((id1 % $(ops_split)))/$id1" "$QHOME"/queue/*/*/"$id1"
t2=1700000000
id2=$(ops_fake_msg $t2 7 "" "" "Tx@y.example")
: > "$QHOME/queue/bounce/$id2"
printf '%s GMT  #%s  7  <>  bouncing\n\tremote\tx@y.example\n' "$(when $t2)" "$id2" > "$T/want"
qread
same "qmail-qread: null sender and a pending bounce"
ops_empty_queue

id3=$(ops_fake_msg $t2 1 "a@b" "T$(printf 'ev\033il')" "")
printf '%s GMT  #%s  1  <a@b> \n\tlocal\tev_il\n' "$(when $t2)" "$id3" > "$T/want"
qread
same "qmail-qread: control characters in addresses are shown as _"

# a record being written (no NUL yet) and unknown record kinds are not shown
s3=$((id3 % $(ops_split)))
printf 'Tok\0Xodd\0Thalf' > "$QHOME/queue/local/$s3/$id3"
printf '%s GMT  #%s  1  <a@b> \n\tlocal\tok\n' "$(when $t2)" "$id3" > "$T/want"
qread
same "qmail-qread: unterminated and unknown records are skipped"
ops_empty_queue

# corrupt and stray files: a warning on fd 2, the rest still listed
idc=$(ops_fake_msg $t2 3 "good@x" "Tg" "")
idbad=$(ops_fake_msg $t2 3 "bad@x" "Tb" "")
printf 'garbage' > "$QHOME/queue/info/$((idbad % $(ops_split)))/$idbad"
echo junk > "$QHOME/queue/info/0/not-a-number"
qread
if [ "$(cat "$T/rc")" = 0 ] && grep -q "^	local	g$" "$T/out" &&
    ! grep -q "#$idbad " "$T/out" &&
    grep -q "^qmail-qread: warning: trouble with #$idbad" "$T/err" &&
    [ "$(wc -l < "$T/err")" = 1 ]; then
	ok "qmail-qread: a corrupt info file is a warning, not a crash"
else
	notok "qmail-qread: a corrupt info file is a warning, not a crash"
	sed 's/^/    /' "$T/out" "$T/err"
fi
rm -f "$QHOME/queue/info/0/not-a-number"
ops_empty_queue

# a message whose mess file is gone (it just finished) is not listed
idg=$(ops_fake_msg $t2 3 "gone@x" "Tg" "")
rm -f "$QHOME/queue/mess/$((idg % $(ops_split)))/$idg"
qread
[ ! -s "$T/out" ] && [ ! -s "$T/err" ] && [ "$(cat "$T/rc")" = 0 ] &&
	ok "qmail-qread: a message finished mid-read is skipped quietly" ||
	{ notok "qmail-qread: a message finished mid-read is skipped quietly"; cat "$T/out" "$T/err"; }
ops_empty_queue

# counts, and todo messages are counted but not listed (as qmail 1.03)
ops_fake_msg $t2 10 "a@b" "Ta" "" > /dev/null
ops_fake_msg $t2 10 "a@b" "" "Tc@d" > /dev/null
ops_fake_todo > /dev/null
"$QHOME/bin/qmail-qstat" > "$T/out"
printf 'messages in queue: 3\nmessages in queue but not yet preprocessed: 1\n' > "$T/want"
same "qmail-qstat: counts mess and todo"
qread
[ "$(grep -c '#' "$T/out")" = 2 ] && ok "qmail-qread: lists only preprocessed messages" ||
	notok "qmail-qread: lists only preprocessed messages"
ops_empty_queue

# files vanishing while qmail-qread runs: never an error
i=0; while [ $i -lt 300 ]; do ops_fake_msg $t2 5 "v@x" "Ta Db" "Tc@d"; i=$((i + 1)); done > "$T/ids"
( while read -r id; do rm -f "$QHOME"/queue/*/*/"$id"; done < "$T/ids" ) &
bg=$!
n=0 bad=0
while kill -0 $bg 2>/dev/null && [ $n -lt 200 ]; do
	"$QHOME/bin/qmail-qread" > /dev/null 2> "$T/err" || bad=1
	[ -s "$T/err" ] && bad=1
	n=$((n + 1))
done
wait $bg
[ $bad = 0 ] && ok "qmail-qread: messages vanishing mid-read are not errors ($n runs)" ||
	{ notok "qmail-qread: messages vanishing mid-read are not errors"; cat "$T/err"; }

# no queue to read: temporary failure
if [ "$QIDS" = system ]; then
	check_exit "qmail-qread: as a user without access exits 111" 111 \
		setuidgid nobody "$QHOME/bin/qmail-qread"
	check_exit "qmail-qstat: as a user without access exits 111" 111 \
		setuidgid nobody "$QHOME/bin/qmail-qstat"
else
	skip "qmail-qread: access checks need root"
fi
