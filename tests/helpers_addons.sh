# fastforward, newaliases and dot-forward (Debian's packages, unmodified)
# under the environment qmail-local gives a program, and through this
# suite's qmail-local when it is installed.
#
# Debian builds both with /var/lib/qmail compiled in: they chdir there and
# exec bin/qmail-queue, ignoring $QMAILQUEUE.  newaliases always reads
# /etc/aliases and writes /etc/aliases.cdb.  So the script re-runs itself
# in a private mount namespace (unshare -m) where /var/lib/qmail is a
# scratch directory whose bin/qmail-queue is the recording stand-in (or the
# suite's own qmail-queue) and /etc is a scratch copy; the real /var/lib/qmail
# and /etc are never touched.
. "$QSRC/tests/lib.sh"

if [ "${HELPERS_NS:-}" != 1 ]; then
	ff=$(command -v fastforward) df=$(command -v dot-forward)
	if [ -z "$ff" ] || [ -z "$df" ] || ! command -v setforward >/dev/null; then
		skip "helpers addons: fastforward and dot-forward are not installed (apt-get install fastforward dot-forward)"
		exit 0
	fi
	if [ "$(id -u)" = 0 ]; then ns="unshare -m"; else ns="unshare -r -m"; fi
	if ! $ns true 2>/dev/null; then
		skip "helpers addons: needs a private mount namespace (root, or user namespaces)"
		exit 0
	fi
	HELPERS_NS=1 exec $ns sh "$0"
fi

. "$QSRC/tests/lib-helpers.sh"
cd "$HW" || exit 1
mount --make-rprivate / || { notok "helpers addons: private mounts"; exit 1; }
mkdir -p vlq/bin vlq/alias vlq/control etc
ln -s "$HW/fakeqq" vlq/bin/qmail-queue
echo test.example > vlq/control/me	# newaliases and dot-forward read it
mount --bind "$HW/vlq" /var/lib/qmail || { notok "helpers addons: bind /var/lib/qmail"; exit 1; }
cp -a /etc/. etc/ 2>/dev/null
mount --bind "$HW/etc" /etc || { notok "helpers addons: bind /etc"; exit 1; }
[ "$(readlink /var/lib/qmail/bin/qmail-queue)" = "$HW/fakeqq" ] &&
	ok "helpers addons: private /var/lib/qmail in place" ||
	notok "helpers addons: private /var/lib/qmail in place"

printf 'From: alice@example.org\nSubject: test\n\nhello\n' > msg
qlocal_env alice@example.org alias-root@test.example
EXT=root DEFAULT=root USER=alias HOME=$HW/vlq/alias
export EXT DEFAULT USER HOME

# fastforward with a database from setforward
cat > ff.in <<'EOS'
root@test.example: god@heaven.af.mil, staff@af.mil;
@other.example: catchall@far.example;
EOS
setforward "$HW/ff.cdb" "$HW/ff.tmp" < ff.in
qq_reset
run_code "fastforward: known address: forwards, exits 0" 0 fastforward -d ff.cdb < msg
printf 'Falice@example.org\nTgod@heaven.af.mil\nTstaff@af.mil\n\n' > want.env
same "fastforward: envelope through qmail-queue" "$QQREC/env" want.env
{ printf '%s' "$DTLINE"; cat msg; } > want.body
same "fastforward: body has qmail-local's Delivered-To on top" "$QQREC/body" want.body
qq_reset
run_code "fastforward: unknown address bounces (100)" 100 env DEFAULT=nobody fastforward -d ff.cdb < msg
grep -q 'no mailbox here by that name' err && ok "fastforward: says no mailbox" || notok "fastforward: says no mailbox"
run_code "fastforward -p: unknown address passes through (0)" 0 env DEFAULT=nobody fastforward -p -d ff.cdb < msg
[ -f "$QQREC/body" ] && notok "fastforward: passing through forwards nothing" || ok "fastforward: passing through forwards nothing"
run_code "fastforward -p: known address forwards and exits 99" 99 fastforward -p -d ff.cdb < msg
run_code "fastforward: @host wildcard" 0 env HOST=other.example DEFAULT=anyone fastforward -d ff.cdb < msg
grep -qx 'Tcatchall@far.example' "$QQREC/env" && ok "fastforward: wildcard target" || notok "fastforward: wildcard target"
run_code "fastforward -D: uses RECIPIENT" 0 env RECIPIENT=root@test.example fastforward ff.cdb < msg
for c in 31:100 53:111; do
	qq_reset "${c%:*}"
	run_code "fastforward: qmail-queue exit ${c%:*} gives ${c#*:}" "${c#*:}" fastforward -d ff.cdb < msg
done

# newaliases: /etc/aliases -> /etc/aliases.cdb (in the private /etc)
na=$(command -v qmail-newaliases || echo /usr/sbin/qmail-newaliases)
printf 'postmaster: alice@example.org\nroot: postmaster\nabuse: bob@example.org, carol@example.org\n' > /etc/aliases
rm -f /etc/aliases.cdb
run_code "newaliases: builds /etc/aliases.cdb" 0 "$na"
[ -f /etc/aliases.cdb ] && ok "newaliases: /etc/aliases.cdb exists" || notok "newaliases: /etc/aliases.cdb exists"
qq_reset
run_code "fastforward -d /etc/aliases.cdb: root" 0 fastforward -d /etc/aliases.cdb < msg
grep -qx 'Tpostmaster@test.example' "$QQREC/env" &&
	ok "fastforward: root -> postmaster, qualified with control/me" ||
	notok "fastforward: root -> postmaster, qualified with control/me"
qq_reset
run_code "fastforward -d /etc/aliases.cdb: postmaster" 0 env DEFAULT=postmaster fastforward -d /etc/aliases.cdb < msg
grep -qx 'Talice@example.org' "$QQREC/env" && ok "fastforward: postmaster -> alice" ||
	notok "fastforward: postmaster -> alice"
qq_reset
run_code "fastforward: abuse to two people" 0 env DEFAULT=abuse fastforward -d /etc/aliases.cdb < msg
[ "$(grep -c '^T' "$QQREC/env")" = 2 ] && ok "fastforward: both recipients" || notok "fastforward: both recipients"

# dot-forward, as the user in the home directory
mkdir -p uhome && cd uhome || exit 1
qlocal_env alice@example.org qtuser@test.example
USER=qtuser HOME=$HW/uhome EXT= DEFAULT=
export USER HOME EXT DEFAULT
printf '# my forwards\ncarol@far.example, "|cat > %s/piped"\n' "$HW" > .forward
qq_reset
run_code "dot-forward: forwards and exits 99" 99 dot-forward .forward < ../msg
grep -qx 'Tcarol@far.example' "$QQREC/env" && ok "dot-forward: envelope recipient" || notok "dot-forward: envelope recipient"
{ printf '%s' "$DTLINE"; cat ../msg; } > ../want.body.dt
same "dot-forward: forwarded body has DTLINE on top" "$QQREC/body" ../want.body.dt
{ printf '%s%s%s' "$UFLINE" "$RPLINE" "$DTLINE"; cat ../msg; } > ../want.piped
same "dot-forward: |command gets UFLINE RPLINE DTLINE + message" "$HW/piped" ../want.piped
printf 'qtuser, dave@far.example, bare\n' > .forward
qq_reset
run_code "dot-forward: own name: forwards the rest, exits 0" 0 dot-forward .forward < ../msg
grep -qx 'Tdave@far.example' "$QQREC/env" && ok "dot-forward: forwards the others" || notok "dot-forward: forwards the others"
grep -qx 'Tbare@test.example' "$QQREC/env" && ok "dot-forward: qualifies with control/me" || notok "dot-forward: qualifies with control/me"
rm -f .forward
run_code "dot-forward: no file: exits 0" 0 dot-forward .forward < ../msg
printf 'erin@far.example\n' > .forward
qq_reset
run_code "dot-forward -n: prints, exits 99" 99 dot-forward -n .forward
[ -f "$QQREC/body" ] && notok "dot-forward -n: forwards nothing" || ok "dot-forward -n: forwards nothing"
grep -qx 'forward erin@far.example' "$HW/err" && ok "dot-forward -n: shows the address" || notok "dot-forward -n: shows the address"
qq_reset 31
run_code "dot-forward: qmail-queue permanent failure: 100" 100 dot-forward .forward < ../msg
qq_reset 53
run_code "dot-forward: qmail-queue temporary failure: 111" 111 dot-forward .forward < ../msg
cd "$HW" || exit 1

# through this suite's qmail-local and qmail-queue, once installed
if [ -x "$QHOME/bin/qmail-local" ] && [ -x "$QHOME/bin/qmail-queue" ]; then
	rm -f vlq/bin/qmail-queue
	ln -s "$QHOME/bin/qmail-queue" vlq/bin/qmail-queue
	reset_home
	mkdir -p ahome && chmod 755 ahome
	printf '|fastforward -d %s/ff.cdb\n' "$HW" > ahome/.qmail-default
	chmod 644 ahome/.qmail-default
	env -u QMAILQUEUE -u DTLINE -u RPLINE -u UFLINE -u SENDER -u NEWSENDER -u RECIPIENT \
		qmail-local -- alias "$HW/ahome" alias-root - root test.example alice@example.org ./Maildir/ \
		< msg > ql.out 2>&1
	rc=$?
	[ "$rc" = 0 ] && ok "qmail-local + fastforward: delivered" ||
		{ notok "qmail-local + fastforward: delivered (exit $rc)"; sed 's/^/    /' ql.out; }
	f=$(find "$QHOME/queue/todo" "$QHOME/queue/info" -type f 2>/dev/null | head -1)
	[ -n "$f" ] && ok "qmail-local + fastforward: forward queued by the suite's qmail-queue" ||
		notok "qmail-local + fastforward: forward queued by the suite's qmail-queue"
	grep -rqa 'god@heaven.af.mil' "$QHOME/queue/todo" "$QHOME/queue/intd" "$QHOME/queue/local" "$QHOME/queue/remote" 2>/dev/null &&
		ok "qmail-local + fastforward: envelope names the alias target" ||
		notok "qmail-local + fastforward: envelope names the alias target"
	reset_home
	rm -rf uh2 && mkdir uh2 && chmod 755 uh2 && maildirmake uh2/Maildir
	printf '|dot-forward .forward\n./Maildir/\n' > uh2/.qmail
	printf 'qtuser, frank@far.example\n' > uh2/.forward
	chmod 644 uh2/.qmail uh2/.forward
	env -u QMAILQUEUE -u DTLINE -u RPLINE -u UFLINE -u SENDER -u NEWSENDER -u RECIPIENT -u USER \
		qmail-local -- qtuser "$HW/uh2" qtuser '' '' test.example alice@example.org ./Maildir/ \
		< msg > ql.out 2>&1
	rc=$?
	[ "$rc" = 0 ] && ok "qmail-local + dot-forward: delivered" ||
		{ notok "qmail-local + dot-forward: delivered (exit $rc)"; sed 's/^/    /' ql.out; }
	[ "$(find uh2/Maildir/new -type f | wc -l)" = 1 ] &&
		ok "qmail-local + dot-forward: own name keeps a copy in ./Maildir/" ||
		notok "qmail-local + dot-forward: own name keeps a copy in ./Maildir/"
	grep -rqa 'frank@far.example' "$QHOME/queue/todo" "$QHOME/queue/intd" "$QHOME/queue/local" "$QHOME/queue/remote" 2>/dev/null &&
		ok "qmail-local + dot-forward: forward queued" ||
		notok "qmail-local + dot-forward: forward queued"
	reset_home
else
	skip "helpers addons: through qmail-local: qmail-local or qmail-queue not built yet"
fi
