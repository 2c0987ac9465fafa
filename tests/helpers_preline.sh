# preline(1): the lines it prepends, options, exit codes
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-helpers.sh"
cd "$HW" || exit 1
qlocal_env alice@example.org bob@test.example
printf 'Subject: x\n\nFrom me\nend' > msg

lines() {	# the lines wanted, by letters u r d
	for l in $(echo "$1" | fold -w1); do
		case $l in u) printf '%s' "$UFLINE" ;; r) printf '%s' "$RPLINE" ;; d) printf '%s' "$DTLINE" ;; esac
	done
	cat msg
}
for o in "urd:" "rd:-f" "ud:-r" "ur:-d" "d:-fr" "d:-f -r" ":-dfr" "urd:-dfrDFR" "u:-rd"; do
	w=${o%%:*} f=${o#*:}
	lines "$w" > want
	# shellcheck disable=SC2086
	preline $f cat < msg > got 2> err
	same "preline ${f:-(no options)}: prepends [$w]" got want
done
run_code "preline: passes on the command's exit code" 37 preline sh -c 'cat > /dev/null; exit 37' < msg
run_code "preline: and 0" 0 preline sh -c 'cat > /dev/null' < msg
run_code "preline: arguments reach the command" 0 preline grep -q '^From me$' < msg
run_code "preline: unseekable input is fine" 0 sh -c 'cat msg | preline grep -q "^Delivered-To: bob@test.example"'
run_code "preline: command crashes: 111" 111 preline sh -c 'cat >/dev/null; kill -9 $$' < msg
head -c 1000000 /dev/zero | tr '\0' 'x' > big
run_code "preline: command exits 0 without reading: 111" 111 preline true < big
run_code "preline: command exits 100 without reading: 100" 100 preline sh -c 'exit 100' < big
run_code "preline: command missing: 100" 100 preline /nonexistent/cmd < big
run_code "preline: no command: 100" 100 preline
grep -q '^preline: usage: ' err && ok "preline: usage message" || notok "preline: usage message"
run_code "preline: unknown option: 100" 100 preline -x cat < msg
run_code "preline: DTLINE unset: 100" 100 env -u DTLINE preline cat < msg
grep -q 'DTLINE not set' err && ok "preline: says DTLINE not set" || notok "preline: says DTLINE not set"
run_code "preline -d: DTLINE not needed" 0 env -u DTLINE preline -d cat < msg
# a command whose name starts with "-" runs only if "--" ended the options;
# it reads its input, so preline never meets a closed pipe
mkdir -p "$HW/dash" && ln -sf "$(command -v cat)" "$HW/dash/-cat"
PATH="$HW/dash:$PATH" run_code "preline: -- ends options" 0 preline -- -cat < msg
