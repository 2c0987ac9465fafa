#!/bin/sh
# fastforward (|fastforward -d /etc/aliases.cdb in ~alias/.qmail-default)
# and dot-forward (|dot-forward .forward in ~/.qmail) through the whole
# chain.  Debian's builds have /var/lib/qmail compiled in, so the script
# re-runs itself in a private mount namespace (as helpers_addons.sh does)
# where /var/lib/qmail/bin/qmail-queue is this home's and /etc a copy.
. "$QSRC/tests/lib.sh"
if [ "${CHAIN_NS:-}" != 1 ]; then
	if ! command -v fastforward >/dev/null || ! command -v dot-forward >/dev/null; then
		skip "chain fastforward: fastforward and dot-forward are not installed"; exit 0
	fi
	# A plain user gets a mount namespace only inside a user namespace,
	# where it is uid 0: a single-user build delivers to its one user only
	# and never as root, so the daemons could deliver nothing there.
	if [ "$(id -u)" != 0 ]; then
		skip "chain fastforward: the private mount namespace for /var/lib/qmail needs root"; exit 0
	fi
	ns="unshare -m"
	if ! $ns true 2>/dev/null; then
		skip "chain fastforward: needs a private mount namespace"; exit 0
	fi
	CHAIN_NS=1 exec $ns sh "$0"
fi
. "$QSRC/tests/lib-send.sh"
. "$QSRC/tests/lib-chain.sh"
trap 'send_stop' EXIT
NS=$TESTTMP/ns.$$
mount --make-rprivate / || { notok "chain fastforward: private mounts"; exit 1; }
mkdir -p "$NS/vlq/bin" "$NS/vlq/control" "$NS/etc"
ln -s "$QHOME/bin/qmail-queue" "$NS/vlq/bin/qmail-queue"
echo test.example > "$NS/vlq/control/me"
cp -a /etc/. "$NS/etc/" 2>/dev/null
mount --bind "$NS/vlq" /var/lib/qmail && mount --bind "$NS/etc" /etc ||
	{ notok "chain fastforward: bind mounts"; exit 1; }
chain_setup
printf 'support: bob@test.example, carol\nhelp: support\n' > /etc/aliases
na=$(command -v qmail-newaliases || echo /usr/sbin/qmail-newaliases)
"$na" && [ -f /etc/aliases.cdb ] && ok "newaliases builds /etc/aliases.cdb" || notok "newaliases builds /etc/aliases.cdb"
chmod 644 /etc/aliases.cdb
printf '|fastforward -d /etc/aliases.cdb\n' | aput .qmail-default
printf '|dot-forward .forward\n./Maildir/\n' | uput "$CH/carol/.qmail" 644
chain_start

mail support@test.example tosupport
mail help@test.example tohelp
wait_mail "$CH/bob/Maildir" 2 20
subj_in "$CH/bob/Maildir" tosupport && ok "fastforward: alias to bob@test.example" || { notok "fastforward: alias to bob"; tail "$SLOG"; }
wait_mail "$CH/carol/Maildir" 2 10
subj_in "$CH/carol/Maildir" tosupport && ok "fastforward: unqualified carol, qualified with control/me" || notok "fastforward: carol"
subj_in "$CH/bob/Maildir" tohelp && subj_in "$CH/carol/Maildir" tohelp && ok "fastforward: alias of an alias" || notok "fastforward: alias of an alias"
f=$(mlist "$CH/bob/Maildir" | xargs grep -l '^Subject: tosupport' | head -1)
[ -n "$f" ] && mshow -H "$f" | grep -q '^Delivered-To: support@test.example' &&
	ok "fastforward: Delivered-To support@ (the alias user) on the forwarded copy on the forwarded copy" || notok "fastforward: Delivered-To support@ (the alias user) on the forwarded copy"
mail nosuchalias@test.example unknownalias
wait_mail "$CH/alice/Maildir" 1 15
b=$(mlist "$CH/alice/Maildir" | xargs grep -l '^Subject: failure notice' | head -1)
[ -n "$b" ] && grep -q '^<nosuchalias@test.example>:' "$b" && grep -q 'no mailbox here by that name' "$b" &&
	ok "fastforward: unknown alias bounces to the sender" || { notok "fastforward: unknown alias bounces"; tail "$SLOG"; }

printf '|dot-forward .forward\n./Maildir/\n' | uput "$CH/alice/.qmail" 644
printf 'bob@test.example\n' | uput "$CH/alice/.forward" 644
mail alice@test.example dotfwd
n=$(nmail "$CH/bob/Maildir")
wait_mail "$CH/bob/Maildir" $((n + 1)) 15
subj_in "$CH/bob/Maildir" dotfwd && ok "dot-forward: ~alice/.forward sends to bob" || { notok "dot-forward: to bob"; tail "$SLOG"; }
subj_in "$CH/alice/Maildir" dotfwd && notok "dot-forward: no copy kept (exit 99)" || ok "dot-forward: no copy kept (exit 99)"
mail carol@test.example nofwdfile
wait_mail "$CH/carol/Maildir" 3 15
subj_in "$CH/carol/Maildir" nofwdfile && ok "dot-forward: no .forward: next line delivers" || notok "dot-forward: no .forward"
wait_empty 10 && ok "queue empty" || notok "queue empty"
