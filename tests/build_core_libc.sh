# The core links libc only (DESIGN.md): every installed program not named
# by an EXTLIBS_ line of the Makefile needs no shared library but libc (or
# none: linked statically), and each EXTLIBS_ program needs only libc and
# the libraries its line names.  Read from the installed binaries.
. "$QTOP/tests/lib.sh"
if ! command -v readelf >/dev/null 2>&1; then
	skip "core links libc only: readelf (binutils) is not installed"
	exit 0
fi
ext=$(sed -n 's/^EXTLIBS_\([^ :]*\) *:*= *\(.*\)$/\1 \2/p' "$QSRC/Makefile")
n=0
for b in "$QHOME"/bin/*; do
	[ -f "$b" ] || continue
	p=$(basename "$b")
	head -c 4 "$b" | grep -q ELF || continue	# a script
	n=$((n + 1))
	needed=$(readelf -d "$b" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
	libs=$(echo "$ext" | awk -v p="$p" '$1 == p { $1 = ""; print }')
	allowed="libc.so.6"
	for l in $libs; do
		case $l in -l*) allowed="$allowed lib${l#-l}.so" ;; esac
	done
	bad=
	for l in $needed; do
		good=0
		for a in $allowed; do
			case $l in "$a"|"$a".*) good=1 ;; esac
		done
		[ $good = 1 ] || bad="$bad $l"
	done
	if [ -z "$libs" ]; then
		[ -z "$bad" ] && ok "$p (core) links libc only" ||
			notok "$p (core) links libc only: it needs$bad"
	else
		[ -z "$bad" ] && ok "$p links only libc and$libs" ||
			notok "$p links only libc and$libs: it needs$bad"
	fi
done
[ $n -gt 10 ] && ok "checked $n installed programs" || notok "checked $n installed programs (expected the whole suite)"
