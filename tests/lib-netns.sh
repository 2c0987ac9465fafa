# tests/lib-netns.sh: a small internet of network namespaces for the
# remote-delivery tests.  Source after tests/lib.sh.
#
# nn_init: skips the whole script (exit 0) unless root can make namespaces.
# Then a bridge namespace joins host namespaces, each made by
# nn_host NAME N: interface addresses 10.231.0.N/24 and fd00:231::N/64
# (private, inside the namespaces only; nothing routes anywhere else).
# nn NAME CMD...: run CMD in NAME.  nn_dns ZONEFILE: start the test DNS
# server (tests/lib-netns-dns.py) on 10.231.0.2 in namespace "dns" and
# point namespace "s" (the sender) at it.  nn_smtp NAME PORT DIR ARGS...:
# start tests/lib-netns-smtp.py in NAME.  nn_bg NAME CMD...: any daemon.
# Everything is removed by nn_cleanup (trapped on exit).

NN=qmr$$
nn_pids=
nn_hosts=

nn() { _h=$1; shift; ip netns exec "$NN$_h" "$@"; }

nn_cleanup() {
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

nn_dns() {	# ZONEFILE
	nn_host dns 2
	nn_bg dns python3 "$QSRC/tests/lib-netns-dns.py" 10.231.0.2 "$1" 2>>"$TESTTMP/dns.err"
	nn_wait_file "$1.ready" || notok "DNS server started"
	mkdir -p "/etc/netns/${NN}s"
	printf 'nameserver 10.231.0.2\noptions timeout:1 attempts:2\n' > "/etc/netns/${NN}s/resolv.conf"
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
