# Every manual page is clean under mandoc -Tlint -Wwarning, groff -ww and
# man -l; every program (each top-level *.c with a main) has a page; every
# .Xr points to a page that exists; qmail-control(5) lists every control file.
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

# groff's own warnings and man(1)'s rendering: what users see
for f in "$S"/man/*.[1-9]; do
	[ -f "$f" ] || continue
	p=man/$(basename "$f")
	if command -v groff > /dev/null; then
		out=$(groff -ww -mandoc -Tutf8 "$f" 2>&1 > /dev/null)
		[ -z "$out" ] && ok "groff -ww $p" ||
			{ notok "groff -ww $p"; echo "$out" | sed 's/^/    /' | head -10; }
	fi
	if command -v man > /dev/null; then
		out=$(MANWIDTH=80 man -l "$f" 2>&1 > /dev/null)
		[ -z "$out" ] && ok "man -l $p renders without a warning" ||
			{ notok "man -l $p renders without a warning"; echo "$out" | sed 's/^/    /' | head -10; }
	fi
done

# every cross reference names a page of this tree, or one of the pages of
# the system and of the packages around the suite listed here
external=" asctime.3 cdb.5 crypt.5 dot-forward.1 envuidgid.8 fastforward.1 filter.1 flock.2
fsync.2 initgroups.3 multilog.8 newaliases.1 poll.2 procmail.1 setforward.1 softlimit.8
supervise.8 svc.8 svscan.8 syslog.3 tcp-environ.5 tcprules.1 tcpserver.1"
external=" $(echo $external) "
bad=
for f in "$S"/man/*.[1-9]; do
	[ -f "$f" ] || continue
	for x in $(sed -n 's/^\.Xr \([^ ]*\) \([0-9]\).*/\1.\2/p' "$f" | sort -u); do
		[ -f "$S/man/$x" ] && continue
		case $external in *" $x "*) continue ;; esac
		bad="$bad $(basename "$f"):$x"
	done
done
[ -z "$bad" ] && ok "every .Xr names an existing page" ||
	notok "every .Xr names an existing page (dangling:$bad)"

# every control file a program or a run file reads has an entry in
# qmail-control(5)
missing=
for c in $(cat "$S"/*.c "$S"/lib/*.c "$S"/service/*/run 2>/dev/null |
    grep -o 'control/[a-z][a-z0-9.]*[a-z0-9]' | sed 's|control/||' | sort -u); do
	case $c in *.tmp) continue ;; esac
	grep -q "^\.It Pa $c " "$S/man/qmail-control.5" || missing="$missing $c"
done
[ -z "$missing" ] && ok "qmail-control(5) has every control file" ||
	notok "qmail-control(5) has every control file (missing:$missing)"
