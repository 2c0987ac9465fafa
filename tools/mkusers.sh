#!/bin/sh
# Create the qmail users and groups named in conf-users and conf-groups.
# With -n, only print the commands.  Existing users and groups are kept.
set -e
run() { if [ "$dry" = 1 ]; then echo "$*"; else "$@"; fi; }
dry=0; [ "${1-}" = -n ] && dry=1
home=$(sed -n 1p conf-qmail)
set -- $(sed -n '1,10p' conf-users)
ualias=$1 udaemon=$2 ulog=$3 uowner=$4 upasswd=$5 uqueue=$6 uremote=$7 usend=$8 utls=$9 udkim=${10}
set -- $(sed -n '1,2p' conf-groups)
gqmail=$1 gnofiles=$2
nologin=/usr/sbin/nologin
[ -x $nologin ] || nologin=/bin/false
for g in $gnofiles $gqmail; do
	getent group "$g" >/dev/null 2>&1 || run groupadd --system "$g"
done
mk() {	# user group home
	id -u "$1" >/dev/null 2>&1 || run useradd --system -M -g "$2" -d "$3" -s $nologin "$1"
}
mk "$ualias" "$gnofiles" "$home/alias"
mk "$udaemon" "$gnofiles" "$home"
mk "$ulog" "$gnofiles" "$home"
mk "$upasswd" "$gnofiles" "$home"
mk "$uqueue" "$gqmail" "$home"
mk "$uremote" "$gqmail" "$home"
mk "$usend" "$gqmail" "$home"
mk "$utls" "$gnofiles" "$home"
mk "$udkim" "$gnofiles" "$home"
id -u "$uowner" >/dev/null 2>&1 || run useradd --system -M -g "$gqmail" -d "$home" -s $nologin "$uowner"
exit 0
