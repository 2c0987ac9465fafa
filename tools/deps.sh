#!/bin/sh
# deps.sh: install the Debian packages the suite's tests and local instance
# use (make deps).  Idempotent: only missing packages are installed.  As
# root it runs apt-get; as a plain user it uses sudo when that needs no
# password, and otherwise prints the command and goes on (tests whose tools
# are missing then say "skip").
pkgs="build-essential clang daemontools ucspi-tcp swaks mandoc mblaze mutt
strace faketime iproute2 dnsmasq-base bind9-dnsutils postfix fastforward dot-forward
python3 musl-tools libssl-dev libcrypt-dev openssl ca-certificates
libopendkim-dev libspf2-dev libopendmarc-dev publicsuffix opendkim-tools
python3-dkim python3-nacl libnet-ssleay-perl libio-socket-ssl-perl"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" = 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo="sudo -n"
else
	echo "deps: missing Debian packages:$missing"
	echo "deps: as root run: apt-get install --no-install-recommends$missing"
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix is only a test peer and a benchmark rival: never let its
# installation configure it as this machine's mailer.
echo "postfix postfix/main_mailer_type select No configuration" |
	$sudo debconf-set-selections
$sudo apt-get update -qq
# No recommends: fastforward and dot-forward recommend Debian's own qmail.
$sudo apt-get install -y -qq --no-install-recommends $missing
