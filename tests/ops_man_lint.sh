# Every manual page is clean under mandoc -Tlint -Wwarning, and every
# program (each top-level *.c with a main) has a page.
. "$QTOP/tests/lib.sh"
S=${QSRC:-$QTOP}
if ! command -v mandoc > /dev/null; then
	skip "man pages: mandoc is not installed"
	exit 0
fi
n=0
for f in "$S"/man/*.[1-9]; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	p=man/$(basename "$f")
	if out=$(mandoc -Tlint -Wwarning "$f" 2>&1) && [ -z "$out" ]; then
		ok "mandoc -Tlint $p"
	else
		notok "mandoc -Tlint $p"
		echo "$out" | sed "s|$S/||; s/^/    /" | head -20
	fi
done
[ $n -gt 0 ] && ok "man/ has $n pages" || notok "man/ has pages"

for c in "$S"/*.c; do
	[ -f "$c" ] || continue
	grep -Eq '^(int[[:space:]]+)?main[[:space:]]*\(' "$c" || continue
	prog=$(basename "$c" .c)
	set -- "$S/man/$prog".[1-9]
	if [ -f "$1" ]; then ok "$prog has a manual page"
	else notok "$prog has a manual page (man/$prog.8 or .1 is missing)"; fi
done
