#!/bin/sh
# bench/queue-tools.sh [N]: time qmail-qstat and qmail-qread over a scratch
# queue of N (default 100000) preprocessed messages plus N/10 in todo.
# Builds a single-user copy of the tree for a home under $BENCHDIR
# (default /tmp/qmbench.queue), fills its queue with fake entries in the
# real formats (mess/S/N named by inode, info F<sender>, local and remote
# T/D records), then times each tool cold (caches dropped when root) and
# warm.  Removes the scratch directory at the end unless KEEP=1.
set -eu
N=${1:-100000}
top=$(cd "$(dirname "$0")/.." && pwd)
B=${BENCHDIR:-/tmp/qmbench.queue}
rm -rf "$B"; mkdir -p "$B/src"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$B"' EXIT
(cd "$top" && tar cf - --exclude=./.git --exclude=./local --exclude='*.o' \
    --exclude='*.a' --exclude=./bench/out .) | (cd "$B/src" && tar xf -)
cd "$B/src"
make -s clean >/dev/null 2>&1 || :
echo "$B/home" > conf-qmail; echo single > conf-ids
make -s >/dev/null && sh tools/install.sh setup >/dev/null
split=$(sed -n 1p conf-split)

echo "filling $B/home/queue with $N messages (+ $((N / 10)) in todo)"
python3 - "$B/home/queue" "$N" "$split" <<'PY'
import os, sys, time
q, n, split = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = b"x" * 2048
now = time.time()
def newmess():
    tmp = "%s/pid/fill.%d" % (q, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, body); os.close(fd)
    ino = os.stat(tmp).st_ino
    os.rename(tmp, "%s/mess/%d/%d" % (q, ino % split, ino))
    return ino
def put(path, data):
    with open(path, "wb") as f: f.write(data)
for i in range(n):
    ino = newmess(); s = ino % split
    put("%s/info/%d/%d" % (q, s, ino), b"Fsender%d@example.org\0" % i)
    os.utime("%s/info/%d/%d" % (q, s, ino), (now - i, now - i))
    if i % 2 == 0:
        put("%s/local/%d/%d" % (q, s, ino), b"Tuser%d\0Dother\0" % i)
    if i % 3 != 0:
        put("%s/remote/%d/%d" % (q, s, ino), b"Tr%d@example.net\0Tq@example.com\0" % i)
for i in range(n // 10):
    ino = newmess()
    put("%s/todo/%d" % (q, ino), b"u0\0p1\0Fa@b\0Tc@d\0\0")
PY

t() {	# label cmd...: wall and CPU seconds
	/usr/bin/time -f "%e s wall, %U s user, %S s sys" "$@" > "$B/out" 2> "$B/time" || :
	printf '%-32s %s; %s lines\n' "$label" "$(tail -n 1 "$B/time")" "$(wc -l < "$B/out")"
}
cold() { [ "$(id -u)" = 0 ] && { sync; echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null || :; }
cold; label="qmail-qstat (cold cache)"; t "$B/home/bin/qmail-qstat"
label="qmail-qstat (warm)"; t "$B/home/bin/qmail-qstat"
cat "$B/out"
cold; label="qmail-qread (cold cache)"; t "$B/home/bin/qmail-qread"
label="qmail-qread (warm)"; t "$B/home/bin/qmail-qread"
head -n 3 "$B/out"
if command -v strace >/dev/null; then
	strace -c -f -o "$B/strace" "$B/home/bin/qmail-qread" > /dev/null
	echo "qmail-qread syscalls:"; sed -n '1,12p' "$B/strace"
fi
