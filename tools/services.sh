#!/bin/sh
# services.sh DIR: fill in the daemontools service templates of service/
# with this build's home, ids and log user, and write them to DIR/NAME
# (DIR/qmail-send, DIR/qmail-smtpd, ...), each with a log/ whose ./main
# belongs to the log user.  Then link the ones you want into svscan's
# directory, e.g. ln -s DIR/qmail-send /etc/service/.  Existing run files
# are replaced by rename; logs are kept.  Run from the top of the source
# tree, as root for a system installation.
set -eu
dest=${1:?usage: services.sh DIR}
first() { sed -n 1p "$1"; }
home=$(first conf-qmail)
ids=$(first conf-ids)
set -- $(sed -n '1,8p' conf-users)
udaemon=$2 ulog=$3
set -- $(sed -n '1,2p' conf-groups)
gnofiles=$2
if [ "$ids" = single ]; then
	udaemon=$(id -un) ulog=$(id -un) gnofiles=$(id -gn)
fi
duid=$(id -u "$udaemon")
ngid=$(getent group "$gnofiles" | cut -d: -f3)

fill() {	# template dest
	sed -e "s|QMAILHOME|$home|g" -e "s|QMAILDUID|$duid|g" \
	    -e "s|NOFILESGID|$ngid|g" -e "s|QMAILLUSER|$ulog|g" "$1" > "$2.new"
	chmod 755 "$2.new"
	mv -f "$2.new" "$2"
}

for t in service/*/; do
	n=$(basename "$t")
	[ -f "$t/run" ] || continue
	mkdir -p "$dest/$n/log/main"
	fill "$t/run" "$dest/$n/run"
	[ -f "$t/log/run" ] && fill "$t/log/run" "$dest/$n/log/run"
	chown "$ulog" "$dest/$n/log/main" 2>/dev/null || [ "$ids" = single ]
	echo "services: $dest/$n"
done
