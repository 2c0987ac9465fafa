#!/bin/sh
# services.sh DIR: copy the daemontools service directories that make
# setup installed under the home's service/ (their templates filled in with
# this installation's home, ids and log user) to DIR/NAME (DIR/qmail-send,
# DIR/qmail-smtpd, ...), each with a log/main directory owned by the log
# user.  Then link the ones you want into svscan's directory, e.g.
# ln -s DIR/qmail-send /etc/service/.  Run files are replaced by rename;
# logs are kept.  Last, it says whether control/servercert.pem, the key
# qmail-tlsd needs for qmail-smtpd's STARTTLS, qmail-smtps and
# qmail-submission, is there with its owner and mode.  Run from the top of
# the source tree after make setup, as root for a system installation.
set -eu
dest=${1:?usage: services.sh DIR}
home=$(sed -n 1p conf-qmail)
ulog=$(sed -n 3p conf-users)
[ "$(sed -n 1p conf-ids)" = single ] && ulog=$(id -un)
[ -d "$home/service" ] || { echo "services: $home/service is missing: run make setup first" >&2; exit 1; }
for s in "$home"/service/*/; do
	n=$(basename "$s")
	[ -f "$s/run" ] || continue
	mkdir -p "$dest/$n/log/main"
	for f in run log/run; do
		[ -f "$s/$f" ] || continue
		cp "$s/$f" "$dest/$n/$f.new" && chmod 755 "$dest/$n/$f.new" &&
			mv -f "$dest/$n/$f.new" "$dest/$n/$f"
	done
	chown "$ulog" "$dest/$n/log/main" 2>/dev/null || [ "$(id -u)" != 0 ]
	echo "services: $dest/$n"
done
# TLS: qmail-tlsd's key (INSTALL.md, TLS)
cert=$home/control/servercert.pem
utls=$(sed -n 9p conf-users)
if [ ! -f "$cert" ]; then
	echo "services: no $cert: qmail-smtpd offers no STARTTLS, qmail-smtps and qmail-submission serve nobody"
elif [ "$(sed -n 1p conf-ids)" != single ] && [ "$(stat -c '%U %a' "$cert")" != "$utls 400" ]; then
	echo "services: $cert should be owned by $utls, mode 400 (it is $(stat -c '%U %a' "$cert"))" >&2
fi
