# qmail-showctl: compiled-in settings and every control file in qmail
# 1.03's sentences (man/qmail-showctl.8).
. "$QTOP/tests/lib.sh"
T=$TESTTMP/ops_sc; mkdir -p "$T"
C=$QHOME/control
trap 'rm -f "$C"/*; echo test.example > "$C/me"; rm -rf "$T"' EXIT
rm -f "$C"/*

has() {	# name line: the output has exactly this line
	if grep -qxF -- "$2" "$T/out"; then ok "$1"
	else notok "$1"; echo "    want: $2"; grep -F -- "${2%%:*}:" "$T/out" | sed 's/^/    got:  /'; fi
}

echo mail.example.org > "$C/me"
echo 7 > "$C/concurrencylocal"
printf 'example.org\n# a comment\n\n.example.org\n' > "$C/rcpthosts"
printf 'example.test\n' > "$C/locals"
echo notanumber > "$C/timeoutsmtpd"
echo x > "$C/frobnicate"
"$QHOME/bin/qmail-showctl" > "$T/out" 2> "$T/err"
check_exit "qmail-showctl exits 0" 0 "$QHOME/bin/qmail-showctl"

has "home directory line" "qmail home directory: $QHOME."
has "split line" "subdirectory split: $(ls -d "$QHOME"/queue/info/* | wc -l)."
has "me" "me: My name is mail.example.org."
has "int from file" "concurrencylocal: Local concurrency is 7."
has "int default" "concurrencyremote: (Default.) Remote concurrency is 20."
has "databytes default" "databytes: (Default.) SMTP DATA limit is 0 bytes."
has "queuelifetime default" "queuelifetime: (Default.) Message lifetime in the queue is 604800 seconds."
has "string default from me" "bouncehost: (Default.) Bounce host name is mail.example.org."
has "string default" "bouncefrom: (Default.) Bounce user name is MAILER-DAEMON."
has "doublebounceto default" "doublebounceto: (Default.) 2B recipient user: postmaster."
has "list header" "rcpthosts: "
has "list item" "SMTP clients may send messages to recipients at .example.org."
has "list default" "virtualdomains: (Default.) No virtual domains."
has "morercpthosts with rcpthosts" "morercpthosts: (Default.) No effect."
has "morercpthosts.cdb" "morercpthosts.cdb: (Default.) No effect."
has "locals" "Messages for example.test are delivered locally."
has "smtpgreeting default" "smtpgreeting: (Default.) SMTP greeting: 220 mail.example.org."
has "corrupt number" "timeoutsmtpd: Oops! Trouble reading this file: $(python3 -c 'import os,errno;print(os.strerror(errno.EINVAL))')."
has "unrecognized file" "frobnicate: I have no idea what this file does."
has "the DKIM key directory by owner and mode" "dkim: qmail-dksign's signing keys, a directory for each domain, owner $(stat -c %U "$QHOME/control/dkim"), mode 0700."
if [ "$(grep -c 'I have no idea' "$T/out")" = 1 ]; then ok "only the unknown file is unrecognized"
else notok "only the unknown file is unrecognized"; grep 'no idea' "$T/out"; fi
grep -q '^# a comment' "$T/out" && notok "comments are not items" || ok "comments are not items"

for f in badmailfrom bouncefrom bouncehost concurrencylocal concurrencyremote \
    databytes defaultdomain defaulthost doublebouncehost doublebounceto \
    envnoathost helohost idhost localiphost locals me morercpthosts \
    morercpthosts.cdb percenthack plusdomain qmqpservers queuelifetime \
    rcpthosts smtpgreeting smtproutes timeoutconnect timeoutremote \
    timeoutsmtpd virtualdomains; do
	grep -q "^$f: " "$T/out" || missing="$missing $f"
done
[ -z "${missing:-}" ] && ok "every qmail control file is described" ||
	notok "every qmail control file is described (missing:$missing)"

grep -q '^defaultdelivery: ' "$T/out" && notok "a file qmail lacked is not shown when absent" ||
	ok "a file qmail lacked is not shown when absent"
printf './Maildir/\n' > "$C/defaultdelivery"
echo 50 > "$C/concurrencyincoming"
"$QHOME/bin/qmail-showctl" > "$T/out"
has "defaultdelivery when present" "Default delivery: ./Maildir/"
has "concurrencyincoming when present" "concurrencyincoming: Most incoming SMTP, QMTP or QMQP connections at once: 50."
grep -q 'defaultdelivery: I have no idea' "$T/out" && notok "defaultdelivery is known" || ok "defaultdelivery is known"

rm -f "$C"/*
touch "$C/morercpthosts.cdb"
"$QHOME/bin/qmail-showctl" > "$T/out"
has "no me: host name" "me: (Default.) My name is $(hostname)."
has "no rcpthosts" "morercpthosts: (Default.) No rcpthosts; morercpthosts is irrelevant."
has "cdb without source" "morercpthosts.cdb: Oops! morercpthosts.cdb exists but morercpthosts doesn't."
has "rcpthosts default" "rcpthosts: (Default.) SMTP clients may send messages to any recipient."
printf 'a\033b\n' > "$C/bouncefrom"
"$QHOME/bin/qmail-showctl" > "$T/out"
has "control characters shown as ?" "bouncefrom: Bounce user name is a?b."
