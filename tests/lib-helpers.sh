# tests/lib-helpers.sh: shared pieces of the helpers_*.sh scripts.
# A recording stand-in for qmail-queue ($QMAILQUEUE): it stores the body
# in $QQREC/body, the envelope (NULs as newlines) in $QQREC/env, then
# exits with the code in $QQREC/exit (0 if absent), writing $QQREC/why
# on fd 6 first if that file exists.  An exit "crash" kills itself;
# "noread" exits 0 without reading anything.

HW=$TESTTMP/helpers
rm -rf "$HW"; mkdir -p "$HW"
QQREC=$HW/qqrec
mkdir -p "$QQREC"
cat > "$HW/fakeqq" <<'EOS'
#!/bin/sh
x=$(cat "$QQREC/exit" 2>/dev/null)
[ "$x" = noread ] && exit 0
cat > "$QQREC/body"
tr '\0' '\n' <&1 > "$QQREC/env"
[ -f "$QQREC/why" ] && cat "$QQREC/why" >&6
[ "$x" = crash ] && kill -9 $$
exit ${x:-0}
EOS
chmod 755 "$HW/fakeqq"
QMAILQUEUE=$HW/fakeqq
export QQREC QMAILQUEUE

qq_reset() {	# qq_reset [EXIT [WHY]]
	rm -f "$QQREC"/*
	[ -n "${1:-}" ] && echo "$1" > "$QQREC/exit"
	[ -n "${2:-}" ] && printf '%s' "$2" > "$QQREC/why"
	return 0
}

# same NAME FILE1 FILE2: ok if the files have the same bytes
same() {
	if cmp -s "$2" "$3"; then ok "$1"
	else notok "$1"; diff "$2" "$3" 2>&1 | head -10 | sed 's/^/    /'; fi
}

# run_code NAME WANT CMD...: like check_exit, stdin passed through,
# output kept in $HW/out and $HW/err
run_code() {
	_n=$1 _want=$2; shift 2
	"$@" > "$HW/out" 2> "$HW/err"
	_got=$?
	if [ "$_got" = "$_want" ]; then ok "$_n"
	else notok "$_n (exit $_got, want $_want)"; sed "s/^/    /" "$HW/err" | head -10; fi
}

# the environment qmail-local gives a program for user qtuser
qlocal_env() {	# qlocal_env SENDER RECIPIENT
	SENDER=$1 NEWSENDER=$1 RECIPIENT=$2
	LOCAL=${2%@*} HOST=${2#*@}
	DTLINE="Delivered-To: $2
"
	RPLINE="Return-Path: <$1>
"
	UFLINE="From ${1:-MAILER-DAEMON} Thu Jan  1 00:00:00 1970
"
	export SENDER NEWSENDER RECIPIENT LOCAL HOST DTLINE RPLINE UFLINE
}
