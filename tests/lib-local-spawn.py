# tests/lib-local-spawn.py LSPAWN DEFAULTDELIVERY "slot|mess|sender|rcpt[|rcpt...]"...
# Drive qmail-lspawn with spawn-protocol requests (qmail-send(8)); close its
# input; print each report as "slot STATUS text|FINAL text" lines sorted by
# slot, and "exit N" for qmail-lspawn's exit code.
import subprocess, sys

lspawn, dd = sys.argv[1], sys.argv[2]
req = b""
nrcpt = {}
for r in sys.argv[3:]:
    f = r.split("|")
    slot = int(f[0])
    nrcpt[slot] = len(f) - 3
    req += bytes([slot & 255, slot >> 8])
    for x in f[1:]:
        req += x.encode() + b"\0"
    req += b"\0"
p = subprocess.run([lspawn, dd], input=req, stdout=subprocess.PIPE, timeout=60)
out = p.stdout
lines = []
i = 0
while i < len(out):
    slot = out[i] | out[i + 1] << 8
    i += 2
    recs = []
    for _ in range(nrcpt.get(slot, 1) + 1):
        j = out.index(b"\0", i)
        recs.append(out[i:j].decode(errors="replace").replace("\n", "/"))
        i = j + 1
    lines.append("%d %s" % (slot, "|".join(recs)))
for l in sorted(lines, key=lambda s: int(s.split()[0])):
    print(l)
print("exit %d" % p.returncode)
