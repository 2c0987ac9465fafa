#!/bin/sh
# install.sh setup|check: install the qmail home named by conf-qmail from
# this build, or verify it, as tools/hier describes.  Run from the top of
# the source tree (make setup, make check).  Installing over an existing
# home is safe: directories are only created or re-owned, files are
# replaced by rename, and nothing under queue/ is ever removed.
set -u
mode=${1:-check}
first() { sed -n 1p "$1"; }
home=$(first conf-qmail)
split=$(first conf-split)
ids=$(first conf-ids)
problems=0

set -- $(sed -n '1,10p' conf-users)
r_alias=$1 r_daemon=$2 r_log=$3 r_owner=$4 r_passwd=$5 r_queue=$6 r_remote=$7 r_send=$8 r_tls=$9 r_dkim=${10}
set -- $(sed -n '1,2p' conf-groups)
r_qmail=$1 r_nofiles=$2
if [ "$ids" = single ]; then
	me=$(id -un); mygroup=$(id -gn)
	for r in alias daemon log owner passwd queue remote send tls dkim; do eval "r_$r=\$me"; done
	r_qmail=$mygroup r_nofiles=$mygroup
elif [ "$(id -u)" != 0 ] && [ "$mode" = setup ]; then
	echo "install: conf-ids says system: run make setup as root, or set conf-ids to single" >&2
	exit 1
fi
user() { eval "echo \$r_$1"; }

bad() { echo "install: $*" >&2; problems=$((problems + 1)); }

fix() {	# path owner group mode
	chown "$2:$3" "$1" 2>/dev/null || [ "$ids" = single ] || bad "cannot chown $1 to $2:$3"
	chmod "$4" "$1" || bad "cannot chmod $1 to $4"
}

put() {	# src dest owner group mode: replace by rename, never in place
	cp "$1" "$2.new.$$" || { bad "cannot copy $1 to $2"; return; }
	fix "$2.new.$$" "$3" "$4" "$5"
	mv -f "$2.new.$$" "$2" || bad "cannot rename $2.new.$$ to $2"
}

want() {	# path type owner group mode
	if [ ! -e "$1" ] && [ ! -p "$1" ]; then bad "$1 is missing"; return; fi
	set -- "$1" "$2" "$3" "$4" "$(echo "$5" | sed 's/^0*//')"
	got=$(stat -c '%F|%U|%G|%a' "$1")
	t=${got%%|*}; rest=${got#*|}; o=${rest%%|*}; rest=${rest#*|}; g=${rest%%|*}; m=${rest#*|}
	case "$2" in
	d) [ "$t" = directory ] || bad "$1 is a $t, should be a directory" ;;
	f) [ "$t" = "regular file" ] || [ "$t" = "regular empty file" ] || bad "$1 is a $t, should be a file" ;;
	p) [ "$t" = fifo ] || bad "$1 is a $t, should be a named pipe" ;;
	esac
	[ "$o" = "$3" ] || bad "$1 is owned by $o, should be $3"
	[ "$g" = "$4" ] || bad "$1 has group $g, should be $4"
	[ "$m" = "$5" ] || bad "$1 has mode $m, should be $5"
}

entry() {	# type path owner group mode
	p="$home/$2"; [ "$2" = . ] && p=$home
	# a program whose source is not in this tree yet is not installed
	[ "$1" = f ] && [ ! -f "${2#bin/}.c" ] && [ ! -f "${2#bin/}.sh" ] && return
	o=$(user "$3"); g=$(eval "echo \$r_$4")
	if [ "$mode" = check ]; then
		case "$1" in
		d) want "$p" d "$o" "$g" "$5" ;;
		s) want "$p" d "$o" "$g" "$5"
		   i=0; while [ $i -lt "$split" ]; do want "$p/$i" d "$o" "$g" "$5"; i=$((i + 1)); done ;;
		z) want "$p" f "$o" "$g" "$5" ;;
		p) want "$p" p "$o" "$g" "$5" ;;
		f) want "$p" f "$o" "$g" "$5" ;;
		esac
		return
	fi
	case "$1" in
	d) mkdir -p "$p" && fix "$p" "$o" "$g" "$5" ;;
	s) mkdir -p "$p" && fix "$p" "$o" "$g" "$5"
	   i=0; while [ $i -lt "$split" ]; do
		mkdir -p "$p/$i" && fix "$p/$i" "$o" "$g" "$5"; i=$((i + 1))
	   done ;;
	z) [ -e "$p" ] || : > "$p"; fix "$p" "$o" "$g" "$5" ;;
	p) [ -p "$p" ] || { rm -f "$p"; mkfifo "$p"; }; fix "$p" "$o" "$g" "$5" ;;
	f) src=${2#bin/}
	   [ -f "$src" ] || { [ -f "$src.sh" ] && cp "$src.sh" "$src" && chmod 755 "$src"; }
	   if [ -f "$src" ]; then put "$src" "$p" "$o" "$g" "$5"
	   else bad "$src is not built"; fi ;;
	esac
}

while read -r t p o g m; do
	case "$t" in ''|'#'*) continue ;; esac
	entry "$t" "$p" "$o" "$g" "$m"
done <<HIER
$(cat tools/hier)
HIER

# manual pages, boot examples and documents: owner's, world-readable
for f in man/*.[1-8]; do
	[ -f "$f" ] || continue
	sec=${f##*.}; dest="$home/man/man$sec/${f#man/}"
	if [ "$mode" = setup ]; then put "$f" "$dest" "$r_owner" "$r_qmail" 0644
	else want "$dest" f "$r_owner" "$r_qmail" 644; fi
done
# boot examples and service templates name QMAILHOME, QMAILLUSER (the log
# user), QMAILDUID (qmaild's uid) and NOFILESGID: fill them in.  A
# single-user build changes no ids (and cannot: setgroups needs root), so
# tcpserver's -u/-g and the loggers' setuidgid go.
single=
[ "$ids" = single ] && single='s/ -u QMAILDUID -g NOFILESGID / /; s/setuidgid QMAILLUSER //'
for f in boot/* service/*/run service/*/log/run; do
	[ -f "$f" ] || continue
	dest="$home/$f"
	if [ "$mode" = setup ]; then
		mkdir -p "$(dirname "$dest")"
		sed -e "$single" -e "s|QMAILHOME|$home|g" -e "s|QMAILLUSER|$r_log|g" \
		    -e "s|QMAILDUID|$(id -u "$r_daemon")|g" \
		    -e "s|NOFILESGID|$(getent group "$r_nofiles" | cut -d: -f3)|g" \
		    "$f" > "$f.filled.$$" &&
		    put "$f.filled.$$" "$dest" "$r_owner" "$r_qmail" 0755
		rm -f "$f.filled.$$"
	else want "$dest" f "$r_owner" "$r_qmail" 755; fi
done
for f in README.md INSTALL.md; do
	[ -f "$f" ] || continue
	dest="$home/doc/$f"
	if [ "$mode" = setup ]; then put "$f" "$dest" "$r_owner" "$r_qmail" 0644
	else want "$dest" f "$r_owner" "$r_qmail" 644; fi
done

if [ "$problems" -gt 0 ]; then
	echo "install: $mode of $home: $problems problem(s)" >&2
	exit 1
fi
[ "$mode" = check ] && echo "install: $home checks out"
exit 0
