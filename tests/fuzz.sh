# Fuzz every target in tests/fuzz/ for a bounded time with libFuzzer
# (clang -fsanitize=fuzzer,address,undefined).  A crash, a leak of the
# input bounds or a sanitizer report is a failure; the corpus found is
# kept in $TESTTMP/fuzz.  FUZZ_SECONDS sets the time per target (default 10).
. "$QSRC/tests/lib.sh"
secs=${FUZZ_SECONDS:-10}
if ! command -v clang >/dev/null 2>&1; then
	skip "fuzz: clang is not installed"
	exit 0
fi
mkdir -p "$TESTTMP/fuzz"
cd "$QSRC" || exit 1
for t in tests/fuzz/*.c; do
	n=$(basename "$t" .c)
	exe="$TESTTMP/fuzz/$n"
	if ! clang -std=c99 -D_DEFAULT_SOURCE -g -O1 \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o "$exe" "$t" lib/*.c \
	    > "$TESTTMP/fuzz/$n.build" 2>&1; then
		notok "fuzz $n builds"; sed 's/^/    /' "$TESTTMP/fuzz/$n.build" | head; continue
	fi
	mkdir -p "$TESTTMP/fuzz/$n.corpus"
	if (cd "$TESTTMP/fuzz" && "$exe" -max_total_time="$secs" -rss_limit_mb=1024 \
	    -max_len=4096 "$n.corpus") > "$TESTTMP/fuzz/$n.log" 2>&1; then
		ok "fuzz $n for ${secs}s without a crash"
	else
		notok "fuzz $n for ${secs}s without a crash"
		grep -E 'ERROR|SUMMARY|runtime error' "$TESTTMP/fuzz/$n.log" | head -5
	fi
done
