# tests/lib-netns.sh: a small internet of network namespaces for the
# remote-delivery tests.  Source after tests/lib.sh.
#
# nn_init: skips the whole script (exit 0) unless root can make namespaces
# and dnsmasq, dig, postfix and strace are installed (tools/deps.sh).
# Then a bridge namespace joins host namespaces, each made by
# nn_host NAME N: interface addresses 10.231.0.N/24 and fd00:231::N/64
# (private, inside the namespaces only; nothing routes anywhere else).
# nn NAME CMD...: run CMD in NAME.  nn_dns CONF [UPCONF]: start dnsmasq
# with the configuration file CONF on 10.231.0.2 in namespace "dns" (and,
# given UPCONF, a second dnsmasq on 127.0.0.1#5353 there, for CONF to
# forward to) and point every namespace made so far at it.
# nn_smtp NAME PORT DIR ARGS...: start tests/lib-netns-smtp.py in NAME.
# nn_postfix NAME ADDR DIR DOMAIN: a private Postfix instance in NAME
# that stores mail for any address in DOMAIN in the Maildir DIR/mail/box.
# nn_bg NAME CMD...: any daemon.  Everything is stopped and removed by
# nn_cleanup (trapped on exit).  The namespaces are named NN_PREFIX (qmx
# unless the script sets it before sourcing this file), the shell's pid
# and the host's name, so scripts that set different prefixes can run
# at the same time.

NN=${NN_PREFIX:-qmx}$$
nn_pids=
nn_hosts=
nn_postfixes=

nn() { _h=$1; shift; ip netns exec "$NN$_h" "$@"; }

nn_cleanup() {
	for _d in $nn_postfixes; do nn_postfix_stop "$_d"; done
	for _p in $nn_pids; do kill "$_p" 2>/dev/null; done
	for _p in $nn_pids; do wait "$_p" 2>/dev/null; done
	for _h in $nn_hosts; do
		ip netns del "$NN$_h" 2>/dev/null
		rm -rf "/etc/netns/$NN$_h"
	done
	ip netns del "${NN}br" 2>/dev/null
}

nn_init() {
	if [ "$(id -u)" != 0 ]; then
		skip "$1: network namespaces need root"
		exit 0
	fi
	for _t in dnsmasq dig postfix strace; do
		if ! command -v "$_t" >/dev/null 2>&1 &&
		    [ ! -x "/usr/sbin/$_t" ]; then
			skip "$1: $_t is not installed (tools/deps.sh)"
			exit 0
		fi
	done
	if ! ip netns add "${NN}br" 2>/dev/null; then
		skip "$1: cannot create network namespaces here"
		exit 0
	fi
	trap nn_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	ip -n "${NN}br" link set lo up
	ip -n "${NN}br" link add br0 type bridge
	ip -n "${NN}br" link set br0 up
}

nn_host() {	# NAME N
	ip netns add "$NN$1" || return 1
	nn_hosts="$nn_hosts $1"
	ip link add "q$$$1" type veth peer name "b$$$1" || return 1
	ip link set "q$$$1" netns "$NN$1"
	ip link set "b$$$1" netns "${NN}br"
	ip -n "${NN}br" link set "b$$$1" master br0 up
	ip -n "$NN$1" link set lo up
	ip -n "$NN$1" link set "q$$$1" name eth0
	ip -n "$NN$1" link set eth0 up
	ip -n "$NN$1" addr add "10.231.0.$2/24" dev eth0
	ip -n "$NN$1" addr add "fd00:231::$2/64" dev eth0 nodad
}

nn_bg() {	# NAME CMD...: start a daemon in NAME, remember it
	_h=$1; shift
	ip netns exec "$NN$_h" "$@" &
	nn_pids="$nn_pids $!"
}

nn_wait_file() {	# FILE: wait up to 10 s for it to exist
	_i=0
	while [ ! -e "$1" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -e "$1" ]
}

# dnsmasq as the production daemon runs: in the foreground (-k) as
# its own unprivileged user; no pid file, no /etc/hosts, no resolv.conf,
# nothing from /etc/dnsmasq.conf or /etc/dnsmasq.d: only CONF.
nn_dnsmasq() {	# CONF ADDR PORT
	nn_bg dns dnsmasq -k --pid-file= --log-facility=- --conf-file="$1" \
	    --no-resolv --no-hosts --listen-address="$2" --port="$3" \
	    --bind-interfaces 2>>"$TESTTMP/dns.err"
	_i=0	# ready when it answers a query, whatever the answer
	until nn dns dig +time=1 +tries=1 -p "$3" "@$2" ready.invalid \
	    >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || { notok "dnsmasq on $2#$3 started"; return 1; }
		sleep 0.1
	done
}

nn_dns() {	# CONF [UPCONF]
	nn_host dns 2
	[ -z "$2" ] || nn_dnsmasq "$2" 127.0.0.1 5353
	nn_dnsmasq "$1" 10.231.0.2 53
	for _h in $nn_hosts; do
		[ "$_h" = dns ] && continue
		mkdir -p "/etc/netns/$NN$_h"
		printf 'nameserver 10.231.0.2\noptions timeout:1 attempts:2\n' \
		    > "/etc/netns/$NN$_h/resolv.conf"
	done
}

nn_smtp() {	# NAME PORT DIR ARGS...
	_h=$1 _p=$2 _d=$3; shift 3
	mkdir -p "$_d"
	rm -f "$_d/ready"
	nn_bg "$_h" python3 "$QSRC/tests/lib-netns-smtp.py" "$_p" "$_d" "$@"
	nn_wait_file "$_d/ready" || notok "SMTP receiver in $_h started"
}

nn_kill_last() {	# stop the daemon started last
	_last=${nn_pids##* }
	kill "$_last" 2>/dev/null
	wait "$_last" 2>/dev/null
	nn_pids=${nn_pids% *}
}

# A private Postfix: its own main.cf and master.cf in DIR/etc, its queue,
# data and log (DIR/maillog) under DIR, listening on ADDR:25 in namespace
# NAME only, no chroot, no DNS lookups of its own, delivering every
# address in DOMAIN with virtual(8) into DIR/mail/box/ (a Maildir) as
# nobody.  The postfix command finds the namespace's address only inside
# it, so start and stop run there.
nn_postfix() {	# NAME ADDR DIR DOMAIN
	_h=$1 _a=$2 _d=$3
	mkdir -p "$_d/etc" "$_d/mail"
	mkdir -m 755 "$_d/spool"
	mkdir -m 700 "$_d/data"
	chown postfix "$_d/data"
	chown nobody "$_d/mail"
	cat > "$_d/etc/main.cf" <<M
compatibility_level = 3.6
queue_directory = $_d/spool
data_directory = $_d/data
maillog_file = $_d/maillog
maillog_file_prefixes = $_d
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
myhostname = mx.$4
mydestination =
inet_interfaces = $_a
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = $4
virtual_mailbox_base = $_d/mail
virtual_mailbox_maps = static:box/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
smtpd_forbid_bare_newline = reject
M
	cat > "$_d/etc/master.cf" <<M
smtp inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
virtual unix - n n - - virtual
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
M
	echo "$_h" > "$_d/ns"
	nn_postfixes="$nn_postfixes $_d"
	if ! nn "$_h" postfix -c "$_d/etc" start </dev/null >/dev/null 2>&1; then
		notok "postfix started"; cat "$_d/maillog"; return 1
	fi
	_i=0	# ready when smtpd answers
	until nn "$_h" python3 -c "import socket
socket.create_connection(('$_a', 25), 1).close()" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || { notok "postfix listens on $_a:25"; return 1; }
		sleep 0.1
	done
}

nn_postfix_stop() {	# DIR: stop it and wait until its master is gone
	[ -s "$1/spool/pid/master.pid" ] || return 0
	_m=$(tr -dc 0-9 < "$1/spool/pid/master.pid")
	nn "$(cat "$1/ns")" postfix -c "$1/etc" stop </dev/null >/dev/null 2>&1
	_i=0
	while [ -n "$_m" ] && kill -0 "$_m" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ -z "$_m" ] || kill -KILL "$_m" 2>/dev/null
	rm -f "$1/spool/pid/master.pid"
}
