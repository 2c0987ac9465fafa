#!/bin/sh
# tools/local-instance.sh start|stop|status: a private, unprivileged
# instance of the suite inside the checkout (make local, make local-stop).
#
#   start   build a single-user copy of the tree in ./local/src for the home
#           ./local/home (the checkout's own conf-* files stay untouched),
#           install it, configure it for the domains localhost and
#           example.test, deliver every local address to ./local/Maildir,
#           and start qmail-send, qmail-smtpd on 127.0.0.1:2525 (with
#           STARTTLS), SMTPS on 127.0.0.1:2465 and submission (STARTTLS
#           required, then AUTH) on 127.0.0.1:2587, and qmail-qmtpd on
#           127.0.0.1:2526: under svscan (./local/service)
#           when daemontools is installed, else as background processes
#           with pid files in ./local/run.  Logs go to ./local/log.
#           Running start again rebuilds what changed, keeps the queue, the
#           Maildir and any control file you edited, and starts only what
#           is not running.
#           TLS: a self-signed certificate for localhost and the first
#           domain is made with openssl into home/control/servercert.pem
#           (kept once made).  Submission account: the invoking user, with
#           a random password in ./local/submission.pass (mode 600),
#           set with qmail-passwd (kept once made).
#           DKIM: a key pair (RSA 2048 and ed25519) for each local domain
#           with a dot, made with qmail-dkimkey (kept once made); the TXT
#           records to publish in ./local/dkim-DOMAIN.txt.  Mail submitted
#           on the submission port, and mail sent with ./local/bin/sendmail
#           (home/bin/sendmail with QMAILQUEUE set to qmail-dksign), is
#           signed (on SMTPS and submission through qmail-authcheck,
#           which signs authenticated mail and checks DKIM, SPF and DMARC
#           on the rest).
#   stop    stop everything start started, and wait until it is gone.
#   status  what is running, and the queue.
#
# Environment (all optional):
#   LOCAL_DIR        the instance directory (default: ./local in the checkout)
#   LOCAL_IP         address to listen on (default 127.0.0.1)
#   LOCAL_SMTP_PORT  qmail-smtpd's port (default 2525)
#   LOCAL_QMTP_PORT  qmail-qmtpd's port (default 2526)
#   LOCAL_SMTPS_PORT SMTPS, TLS from the first byte (default 2465)
#   LOCAL_SUBMISSION_PORT  submission: STARTTLS, then AUTH (default 2587)
#   LOCAL_DOMAINS    the local domains (default "example.test localhost");
#                    the first is control/me.  Note that qmail-inject
#                    (sendmail) qualifies a domain without a dot, so
#                    "sendmail you@localhost" means you@localhost.example.test:
#                    write you@example.test (or plain "you") instead
#   LOCAL_USER       run as root: the ordinary user the instance runs as
#                    (default: $SUDO_USER, else qmlocal, created if need
#                    be).  When that user cannot read the checkout, the
#                    sources are copied for it and, unless LOCAL_DIR is
#                    set, the instance goes to ~USER/qmail-local
# Nothing needs root.  The instance runs as the invoking user (a
# single-user build: every qmail id is that user's) and every local address
# is delivered to ./local/Maildir.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
L=${LOCAL_DIR:-$top/local}
IP=${LOCAL_IP:-127.0.0.1}
SMTP_PORT=${LOCAL_SMTP_PORT:-2525}
QMTP_PORT=${LOCAL_QMTP_PORT:-2526}
SMTPS_PORT=${LOCAL_SMTPS_PORT:-2465}
SUB_PORT=${LOCAL_SUBMISSION_PORT:-2587}
DOMAINS=${LOCAL_DOMAINS:-example.test localhost}
H=$L/home

say() { echo "local-instance: $*"; }
die() { echo "local-instance: fatal: $*" >&2; exit 111; }
have() { command -v "$1" >/dev/null 2>&1; }
usage() {
	sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 100
}

case "$L" in /*) ;; *) L=$(pwd)/$L; H=$L/home ;; esac
case "$L" in *[[:space:]]*) die "the instance directory may not contain spaces: $L" ;; esac

# excludes: what not to copy from the checkout: its build (programs and
# lib/auto.c are compiled for its own conf-qmail), its git data, instances
excludes() {
	printf '%s\n' ./.git ./local ./bench/out ./tests/bin '*.o' '*.a' \
	    ./lib/auto.c ./lib/auto.c.tmp ./conf-qmail ./conf-ids
	for c in "$top"/*.c; do
		[ -f "$c" ] && echo "./$(basename "$c" .c)"
	done
	case "$L" in "$top"/*) echo ".${L#"$top"}" ;; esac
}

# qmail-lspawn never delivers as root, so a single-user instance must
# belong to an ordinary user: as root, become LOCAL_USER, else sudo's user,
# else the user qmlocal (created if need be).  When that user cannot read
# the checkout (a clone under /root, say), the sources are copied for it
# here and the instance lives in its home directory instead.
if [ "$(id -u)" = 0 ] && [ "${1:-}" != status ]; then
	u=${LOCAL_USER:-${SUDO_USER:-}}
	[ "$u" = root ] && die "LOCAL_USER may not be root: deliveries are never made as root"
	if [ -z "$u" ]; then
		u=qmlocal
		id -u "$u" >/dev/null 2>&1 ||
			useradd -m -s /bin/sh "$u" || die "cannot create the user $u"
	fi
	have setuidgid || die "setuidgid (daemontools) is needed to become $u"
	if [ -z "${LOCAL_DIR:-}" ] && ! setuidgid "$u" test -r "$top/Makefile"; then
		L=$(getent passwd "$u" | cut -d: -f6)/qmail-local
		H=$L/home
		[ "${1:-}" = start ] && say "$u cannot read $top: the instance goes to $L"
	fi
	mkdir -p "$L" && chown "$u" "$L" || die "cannot create $L for $u"
	if [ "${1:-}" = start ] && ! setuidgid "$u" test -r "$top/Makefile"; then
		mkdir -p "$L/src" && excludes > "$L/.exclude" ||
			die "cannot create $L/src"
		(cd "$top" && tar cf - -X "$L/.exclude" .) |
		    (cd "$L/src" && tar xf -) || die "cannot copy the sources to $L/src"
		chown -R "$u" "$L/src" "$L/.exclude"
		export LOCAL_PRECOPIED=1
	fi
	export LOCAL_DIR="$L"
	# an absolute path, and a working directory the user can reach:
	# the shell resolves "tools/.." through $PWD, which may be closed
	script=$top/tools/local-instance.sh
	setuidgid "$u" test -r "$script" || script=$L/src/tools/local-instance.sh
	cd "$L" || die "cannot change to $L"
	exec setuidgid "$u" sh "$script" "$@"
fi

# ---- start ----

build() {
	mkdir -p "$L/src" || die "cannot create $L/src"
	# Copy the sources, not the checkout's build (see excludes)
	if [ "${LOCAL_PRECOPIED:-}" != 1 ]; then
		excludes > "$L/.exclude" || die "cannot write $L/.exclude"
		(cd "$top" && tar cf - -X "$L/.exclude" .) |
		    (cd "$L/src" && tar xf -) ||
			die "cannot copy the sources to $L/src"
	fi
	# conf files written only when they change, so make rebuilds only
	# what changed
	[ "$(sed -n 1p "$L/src/conf-qmail" 2>/dev/null)" = "$H" ] ||
		echo "$H" > "$L/src/conf-qmail"
	[ "$(sed -n 1p "$L/src/conf-ids" 2>/dev/null)" = single ] ||
		echo single > "$L/src/conf-ids"
	say "building in $L/src (log: $L/log/build)"
	mkdir -p "$L/log"
	make -C "$L/src" > "$L/log/build" 2>&1 || {
		tail -n 20 "$L/log/build" >&2; die "build failed"; }
	(cd "$L/src" && sh tools/install.sh setup) > "$L/log/install" 2>&1 || {
		cat "$L/log/install" >&2; die "install into $H failed"; }
}

configure() {
	c=$H/control
	[ -s "$c/me" ] || echo "${DOMAINS%% *}" > "$c/me"
	[ -e "$c/locals" ] || printf '%s\n' $DOMAINS > "$c/locals"
	[ -e "$c/rcpthosts" ] || printf '%s\n' $DOMAINS > "$c/rcpthosts"
	if [ ! -d "$L/Maildir/new" ]; then
		mkdir -p "$L/Maildir/cur" "$L/Maildir/new" "$L/Maildir/tmp" &&
			chmod 700 "$L/Maildir" || die "cannot create $L/Maildir"
	fi
	# Every address at a local domain that is not the invoking user's own
	# name goes to the alias user, whose home in a single-user build is
	# $H/alias; its .qmail-default sends it all to the Maildir.  The user's
	# own name gets the default delivery, the same Maildir (unless a
	# ~/.qmail says otherwise).
	for f in .qmail-default; do
		[ -e "$H/alias/$f" ] && continue
		echo "$L/Maildir/" > "$H/alias/$f" && chmod 644 "$H/alias/$f"
	done
	tls_setup
	dkim_setup
}

# A self-signed certificate (key and certificate in one file, readable by
# this user only: in a single-user build qmail-tlsd runs as this user)
# and the submission account: this user, a random password.
tls_setup() {
	have openssl || { say "warning: openssl is not installed: no TLS, no submission"; return; }
	c=$H/control/servercert.pem
	if [ ! -s "$c" ]; then
		dom=${DOMAINS%% *}
		(umask 077
		openssl req -x509 -newkey rsa:2048 -nodes -days 825 \
		    -subj "/CN=$dom" \
		    -addext "subjectAltName=DNS:$dom,DNS:localhost,IP:$IP" \
		    -keyout "$c.key" -out "$c.crt" > "$L/log/openssl" 2>&1 &&
		    cat "$c.key" "$c.crt" > "$c.new" && chmod 400 "$c.new" &&
		    mv -f "$c.new" "$c") || die "cannot make $c (see $L/log/openssl)"
		rm -f "$c.key" "$c.crt"
		say "made a self-signed certificate for $dom and localhost: $c"
	fi
	if [ ! -s "$L/submission.pass" ] && [ -x "$H/bin/qmail-passwd" ]; then
		(umask 077
		od -An -N12 -tx1 /dev/urandom | tr -d ' \n' > "$L/submission.pass.new" &&
		    mv -f "$L/submission.pass.new" "$L/submission.pass") ||
			die "cannot write $L/submission.pass"
		"$H/bin/qmail-passwd" "$(id -un)" < "$L/submission.pass" \
		    > "$L/log/passwd" 2>&1 || die "qmail-passwd failed (see $L/log/passwd)"
		say "submission account $(id -un), password in $L/submission.pass"
	fi
}

# DKIM keys for the local domains (qmail-dkimkey keeps a key that exists
# and prints its records again), and local/bin/sendmail, which signs
dkim_setup() {
	[ -x "$H/bin/qmail-dkimkey" ] && [ -x "$H/bin/qmail-dksign" ] || return 0
	for dom in $DOMAINS; do
		case $dom in *.*) ;; *) continue ;; esac
		"$H/bin/qmail-dkimkey" -e -o "$L/dkim-$dom.txt" "$dom" \
		    > "$L/log/dkimkey" 2>&1 ||
			die "qmail-dkimkey $dom failed (see $L/log/dkimkey)"
	done
	mkdir -p "$L/bin"
	printf '#!/bin/sh\n# sendmail that DKIM-signs (make local)\nQMAILQUEUE=%s\nexport QMAILQUEUE\nexec %s "$@"\n' \
	    "$H/bin/qmail-dksign" "$H/bin/sendmail" > "$L/bin/sendmail.new" &&
	    chmod 755 "$L/bin/sendmail.new" && mv -f "$L/bin/sendmail.new" "$L/bin/sendmail" ||
		die "cannot write $L/bin/sendmail"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# service NAME RUNSCRIPT: a daemontools service directory with a multilog
mkservice() {
	d=$L/service/$1
	mkdir -p "$d/log" "$L/log/$1"
	printf '#!/bin/sh\nexec 2>&1\n%s\n' "$2" > "$d/run.new"
	chmod 755 "$d/run.new"; mv -f "$d/run.new" "$d/run"
	printf '#!/bin/sh\nexec multilog t %s\n' "$L/log/$1" > "$d/log/run.new"
	chmod 755 "$d/log/run.new"; mv -f "$d/log/run.new" "$d/log/run"
}

smtpd_cmd() {	# port program [args]: tcpserver on IP:port
	_port=$1; shift
	echo "exec tcpserver -v -R -H -l localhost -b 100 -c 50 $IP $_port $*"
}

# the SMTP services, one a line: NAME PORT and the program under tcpserver
smtp_services() {
	_me=$(sed -n 1p "$H/control/me")
	auth="$H/bin/qmail-smtpd $_me $H/bin/qmail-checkpw /bin/true"
	if [ -x "$H/bin/qmail-tlsd" ] && [ -s "$H/control/servercert.pem" ]; then
		echo "qmail-smtpd $SMTP_PORT $H/bin/qmail-tlsd $H/bin/qmail-smtpd"
		# the clients' ports: qmail-authcheck hands authenticated mail
		# to qmail-dksign, and checks the rest (DKIM, SPF, DMARC)
		filt=
		[ -x "$H/bin/qmail-dksign" ] && filt=QMAILQUEUE=$H/bin/qmail-dksign
		[ -x "$H/bin/qmail-authcheck" ] && filt=QMAILQUEUE=$H/bin/qmail-authcheck
		echo "qmail-smtps $SMTPS_PORT env $filt $H/bin/qmail-tlsd -i $auth"
		echo "qmail-submission $SUB_PORT env UCSPITLS=! SMTPAUTHREQUIRED=1 $filt $H/bin/qmail-tlsd $auth"
	else
		echo "qmail-smtpd $SMTP_PORT $H/bin/qmail-smtpd"
	fi
}

start_svscan() {
	mkdir -p "$L/service" "$L/run"
	mkservice qmail-send "exec $H/bin/qmail-start $L/Maildir/"
	if [ -x "$H/bin/qmail-smtpd" ] && have tcpserver; then
		smtp_services | while read -r n port cmd; do
			mkservice "$n" "$(smtpd_cmd "$port" $cmd)"
		done
	fi
	if [ -x "$H/bin/qmail-qmtpd" ] && have tcpserver; then
		mkservice qmail-qmtpd "$(smtpd_cmd "$QMTP_PORT" "$H/bin/qmail-qmtpd")"
	fi
	if alive "$L/run/svscan.pid"; then
		for s in "$L"/service/*; do svc -u "$s" "$s/log" 2>/dev/null; done
		say "svscan already running (pid $(cat "$L/run/svscan.pid"))"
		return
	fi
	# setsid: the daemons must outlive the shell that ran make local
	(cd "$L/service" && exec setsid svscan "$L/service" \
	    > "$L/log/svscan" 2>&1 < /dev/null) &
	echo $! > "$L/run/svscan.pid"
	say "svscan started (pid $!) on $L/service"
}

bg_start() {	# name cmd...: a background daemon with a pid file
	n=$1; shift
	if alive "$L/run/$n.pid"; then
		say "$n already running (pid $(cat "$L/run/$n.pid"))"; return
	fi
	setsid "$@" >> "$L/log/$n.log" 2>&1 < /dev/null &
	echo $! > "$L/run/$n.pid"
	say "$n started (pid $!), log $L/log/$n.log"
}

start_plain() {
	mkdir -p "$L/run" "$L/log"
	bg_start qmail-send "$H/bin/qmail-start" "$L/Maildir/"
	if have tcpserver; then
		[ -x "$H/bin/qmail-smtpd" ] && smtp_services > "$L/run/smtp.services"
		[ -x "$H/bin/qmail-smtpd" ] && while read -r n port cmd; do
			bg_start "$n" tcpserver -v -R -H -l localhost -b 100 -c 50 \
			    "$IP" "$port" $cmd
		done < "$L/run/smtp.services"
		[ -x "$H/bin/qmail-qmtpd" ] && bg_start qmail-qmtpd tcpserver -v -R -H \
		    -l localhost -b 100 -c 50 "$IP" "$QMTP_PORT" "$H/bin/qmail-qmtpd"
	fi
}

waitport() {	# port: wait up to 5 s for a listener
	i=0
	while [ $i -lt 50 ]; do
		if have python3; then
			python3 -c "import socket,sys; s=socket.create_connection(('$IP',$1),1); s.close()" \
			    2>/dev/null && return 0
		else
			return 0
		fi
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

send_pid() {
	if [ "$(cat "$L/run/mode" 2>/dev/null)" = svscan ]; then
		svstat "$L/service/qmail-send" 2>/dev/null |
			sed -n 's/.*: up (pid \([0-9]*\)).*/\1/p'
	elif alive "$L/run/qmail-send.pid"; then
		cat "$L/run/qmail-send.pid"
	fi
}

send_up() {	# is the same qmail-send running two seconds later?
	i=0
	while p1=$(send_pid) && [ -z "$p1" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 2
	p2=$(send_pid)
	[ -n "$p1" ] && [ "$p1" = "$p2" ]
}

tls_text() {	# what start prints about TLS and submission
	if [ -s "$L/submission.pass" ] && [ -x "$H/bin/qmail-tlsd" ]; then
		cat <<EOF
  SMTPS: $IP:$SMTPS_PORT (TLS at once)   submission: $IP:$SUB_PORT (STARTTLS, then AUTH)
  TLS certificate (self-signed): $H/control/servercert.pem
Submit with TLS and a password (user $me, password in $L/submission.pass):
  swaks --server $IP:$SUB_PORT --tls --auth PLAIN --auth-user $me --auth-password "\$(cat $L/submission.pass)" --from $me@$dom --to you@$dom
  swaks --server $IP:$SMTPS_PORT --tlsc --auth LOGIN --auth-user $me --auth-password "\$(cat $L/submission.pass)" --to you@$dom
  swaks --server $IP:$SMTP_PORT --tls --to you@$dom
DKIM: mail through submission and $L/bin/sendmail is signed; publish
  $(ls "$L"/dkim-*.txt 2>/dev/null | tr '\n' ' ')
EOF
	else
		echo "  (no TLS: openssl or qmail-tlsd is missing)"
	fi
}

start() {
	have make || die "make is not installed"
	build
	configure
	[ -x "$H/bin/qmail-start" ] && [ -x "$H/bin/qmail-send" ] ||
		die "qmail-start or qmail-send is not in this tree yet: nothing to start"
	have tcpserver || say "warning: tcpserver (ucspi-tcp) is not installed: no SMTP or QMTP service"
	if have svscan && have supervise && have multilog && have svc; then
		[ -f "$L/run/mode" ] && [ "$(cat "$L/run/mode")" = plain ] && stop_plain
		start_svscan; mkdir -p "$L/run"; echo svscan > "$L/run/mode"
	else
		say "daemontools is not installed: running the daemons in the background"
		mkdir -p "$L/run"; echo plain > "$L/run/mode"
		start_plain
	fi
	ok=1
	# qmail-send that dies at once (a missing helper, a bad control
	# file) is restarted by supervise for ever: say so now
	if ! send_up; then
		ok=0
		say "warning: qmail-send is not staying up; see $L/log/qmail-send*"
	fi
	if [ -x "$H/bin/qmail-smtpd" ] && have tcpserver; then
		for port in $(smtp_services | cut -d' ' -f2); do
			waitport "$port" || { ok=0; say "warning: nothing answers on $IP:$port yet (see $L/log)"; }
		done
	fi
	me=$(id -un)
	dom=${DOMAINS%% *}
	cat <<EOF

The local instance is up: home $H, mail for
$(printf '  anything@%s\n' $DOMAINS)
lands in $L/Maildir.
  SMTP: $IP:$SMTP_PORT (qmail-smtpd, STARTTLS)   QMTP: $IP:$QMTP_PORT (qmail-qmtpd)
$(tls_text)
Send a message:
  swaks --server $IP:$SMTP_PORT --from $me@$dom --to you@$dom
  printf 'Subject: hello\\n\\nhi\\n' | $H/bin/sendmail you@$dom
(sendmail qualifies domains without a dot: write you@$dom, not you@localhost)
Read it:
  mutt -f $L/Maildir        (or: mlist $L/Maildir | mshow)
The queue: $H/bin/qmail-qstat, $H/bin/qmail-qread
Settings:  $H/bin/qmail-showctl
Logs:      $L/log/
Stop:      sh tools/local-instance.sh stop   (make local-stop)
EOF
	[ $ok = 1 ]
}

# ---- stop ----

waitgone() {	# pidfile or pid...: wait up to 10 s for the processes to exit
	i=0
	while [ $i -lt 100 ]; do
		left=0
		for p in "$@"; do kill -0 "$p" 2>/dev/null && left=1; done
		[ $left = 0 ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

stop_svscan() {
	[ -d "$L/service" ] || return 0
	if alive "$L/run/svscan.pid"; then
		# svscan first, so that it starts no supervise anew
		p=$(cat "$L/run/svscan.pid")
		kill "$p"; waitgone "$p"
	fi
	rm -f "$L/run/svscan.pid"
	# the services down and their supervise gone; the loggers last, so
	# they write what the daemons said on the way out
	for s in "$L"/service/*; do
		[ -d "$s" ] && svok "$s" 2>/dev/null && svc -dx "$s"
	done
	for s in "$L"/service/*; do
		i=0
		while svok "$s" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
		if svok "$s" 2>/dev/null; then
			say "warning: $(basename "$s") is slow to stop: killing it"
			svc -kx "$s"; sleep 0.5
		fi
	done
	for s in "$L"/service/*/log; do
		[ -d "$s" ] && svok "$s" 2>/dev/null && svc -dx "$s"
	done
	for s in "$L"/service/*/log; do
		i=0
		while svok "$s" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	done
}

stop_plain() {
	for n in qmail-smtpd qmail-smtps qmail-submission qmail-qmtpd qmail-send; do
		f=$L/run/$n.pid
		alive "$f" || { rm -f "$f"; continue; }
		p=$(cat "$f")
		kill "$p"
		waitgone "$p" || { say "warning: $n is slow to stop: killing it"; kill -9 "$p"; }
		rm -f "$f"
	done
}

stop() {
	[ -d "$L" ] || { say "no instance in $L"; return 0; }
	mode=$(cat "$L/run/mode" 2>/dev/null || echo none)
	case $mode in
	svscan) stop_svscan ;;
	plain) stop_plain ;;
	esac
	# qmail-send's helpers leave when it does; give them a moment
	sleep 0.3
	rm -f "$L/run/mode"
	say "stopped"
}

status() {
	[ -d "$L" ] || { say "no instance in $L"; return 1; }
	case $(cat "$L/run/mode" 2>/dev/null) in
	svscan)
		alive "$L/run/svscan.pid" && say "svscan running (pid $(cat "$L/run/svscan.pid"))" ||
			say "svscan not running"
		for s in "$L"/service/*; do svstat "$s" "$s/log" 2>/dev/null; done ;;
	plain)
		for f in "$L"/run/*.pid; do
			[ -f "$f" ] || continue
			alive "$f" && say "$(basename "$f" .pid) running (pid $(cat "$f"))" ||
				say "$(basename "$f" .pid) not running"
		done ;;
	*) say "not running" ;;
	esac
	[ -x "$H/bin/qmail-qstat" ] && "$H/bin/qmail-qstat"
	return 0
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*) usage ;;
esac
