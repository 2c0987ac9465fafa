# tests/lib.sh: helpers for the end-to-end scripts, sourced by each.
# tests/run exports QHOME (the installed scratch home), QSRC (the build),
# QTOP (the checkout), TESTTMP and QIDS (system or single).

: "${QHOME:?run me through tests/run}"
PATH="$QHOME/bin:$PATH"
export PATH

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
skip() { echo "skip - $*"; }

# check NAME CMD...: ok if CMD exits 0
check() {
	_n=$1; shift
	if "$@" > "$TESTTMP/check.out" 2>&1; then ok "$_n"
	else notok "$_n"; sed 's/^/    /' "$TESTTMP/check.out" | head -20; fi
}

# check_exit NAME CODE CMD...: ok if CMD exits CODE
check_exit() {
	_n=$1 _want=$2; shift 2
	"$@" > "$TESTTMP/check.out" 2>&1
	_got=$?
	if [ "$_got" = "$_want" ]; then ok "$_n"
	else notok "$_n (exit $_got, want $_want)"; sed 's/^/    /' "$TESTTMP/check.out" | head -20; fi
}

# the mail user of the tests: root runs them for a real user it creates,
# a plain user for itself
test_user() {
	if [ "$QIDS" = system ]; then
		id -u qtuser >/dev/null 2>&1 || useradd -m -d /home/qtuser -s /bin/sh qtuser >/dev/null 2>&1
		echo qtuser
	else
		id -un
	fi
}

as_user() {	# as_user USER CMD...: run CMD as USER (as is when single-user)
	_u=$1; shift
	if [ "$QIDS" = system ] && [ "$(id -un)" != "$_u" ]; then
		setuidgid "$_u" "$@"
	else
		"$@"
	fi
}

# queue_files DIR: the files under queue/DIR, one a line
queue_files() { find "$QHOME/queue/$1" -type f 2>/dev/null | sort; }

# empty the queue and the control files, reinstall the home
reset_home() {
	for d in pid intd todo bounce mess info local remote; do
		find "$QHOME/queue/$d" -type f -exec rm -f {} + 2>/dev/null
	done
	rm -f "$QHOME"/control/* "$QHOME"/users/* 2>/dev/null
	: > "$QHOME/queue/lock/tcpto"	# hosts another script timed out
	find "$QHOME/alias" -name '.qmail*' -exec rm -f {} + 2>/dev/null
	(cd "$QSRC" && sh tools/install.sh setup) > "$TESTTMP/install.out" 2>&1 ||
		{ notok "reinstall home"; cat "$TESTTMP/install.out"; }
	echo test.example > "$QHOME/control/me"
}
