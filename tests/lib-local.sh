# tests/lib-local.sh: helpers for the local delivery tests (local_*.sh).
# Source after tests/lib.sh.  Sets LU (the mail user), LT (a scratch
# directory every user can use) and LH (a scratch home owned by LU).

LU=$(test_user)
LT=$TESTTMP/local.$$
mkdir -p "$LT" && chmod 755 "$LT"

# mkhome DIR: an empty home owned by LU, mode 755
mkhome() {
	rm -rf "$1"
	mkdir -p "$1"
	chmod 755 "$1"
	[ "$QIDS" = system ] && chown "$LU:$(id -gn "$LU")" "$1"
	return 0
}

# asu CMD...: run CMD as LU (as is when single-user)
asu() { as_user "$LU" "$@"; }

# put FILE MODE: stdin into FILE (owned by LU)
put() {
	cat > "$1"
	chmod "$2" "$1"
	[ "$QIDS" = system ] && chown "$LU" "$1"
	return 0
}

# qlocal HOME LOCAL DASH EXT [SENDER [DEFAULTDELIVERY]]: run qmail-local as
# LU with $LT/msg on fd 0; output in $LT/out, exit code in $LT/rc
qlocal() {
	asu "$QHOME/bin/qmail-local" -- "$LU" "$1" "$2" "$3" "$4" \
	    example.org "${5-sender@example.net}" "${6-./Mailbox}" \
	    < "$LT/msg" > "$LT/out" 2>&1
	echo $? > "$LT/rc"
}

# expect NAME CODE [GREP]: the last qlocal exited CODE (and said GREP)
expect() {
	_rc=$(cat "$LT/rc")
	if [ "$_rc" != "$2" ]; then
		notok "$1 (exit $_rc, want $2)"; sed 's/^/    /' "$LT/out"
	elif [ -n "${3-}" ] && ! grep -q -- "$3" "$LT/out"; then
		notok "$1 (output lacks '$3')"; sed 's/^/    /' "$LT/out"
	else
		ok "$1"
	fi
}

# mkmaildir DIR: a maildir owned by LU
mkmaildir() {
	mkdir -p "$1/tmp" "$1/new" "$1/cur"
	[ "$QIDS" = system ] && chown -R "$LU" "$1"
	return 0
}

# count FILES...: how many of them exist
count() { _n=0; for _f in "$@"; do [ -e "$_f" ] && _n=$((_n + 1)); done; echo $_n; }

# a recording qmail-queue: body to $LT/qq/body, envelope to $LT/qq/env
mkrecorder() {
	mkdir -p "$LT/qq"
	chmod 777 "$LT/qq"
	cat > "$LT/qq/record" <<'R'
#!/bin/sh
d=$(dirname "$0")
cat > "$d/body"
cat <&1 > "$d/env"
exit ${QQEXIT:-0}
R
	chmod 755 "$LT/qq/record"
}

# envelope: the recorded envelope with NULs as newlines
envelope() { tr '\0' '\n' < "$LT/qq/env"; }

# spawn DEFAULTDELIVERY REQUEST...: run qmail-lspawn with the requests
# "slot|mess|sender|rcpt" and print its reports, one a line:
# "slot STATUS text|FINAL text" (newlines in texts shown as /)
spawn() {
	python3 "$QSRC/tests/lib-local-spawn.py" "$QHOME/bin/qmail-lspawn" "$@"
}

# queue_msg N: copy $LT/msg to queue/mess/(N%split)/N, as qmail-queue would
queue_msg() {
	_split=$(sed -n 1p "$QSRC/conf-split")
	_f="$QHOME/queue/mess/$(($1 % _split))/$1"
	cp "$LT/msg" "$_f"
	chmod 644 "$_f"
	echo "mess/$(($1 % _split))/$1"
}

local_cleanup() { rm -rf "$LT"; }
