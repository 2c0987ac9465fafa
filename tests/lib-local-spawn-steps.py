# tests/lib-local-spawn-steps.py LSPAWN DEFAULTDELIVERY STEP...
# Drive one qmail-lspawn through steps, in order: "slot|mess|sender|rcpt"
# sends a one-recipient request and waits for its report, printed as
# "slot STATUS text|FINAL text"; "!command" runs command with sh; "HUP"
# sends SIGHUP and waits a moment.  Ends with "exit N" after closing
# qmail-lspawn's input.
import os, signal, subprocess, sys, time

lspawn, dd = sys.argv[1], sys.argv[2]
p = subprocess.Popen([lspawn, dd], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

def readz():
    b = b""
    while True:
        c = p.stdout.read(1)
        if not c:
            raise SystemExit("qmail-lspawn closed its output")
        if c == b"\0":
            return b.decode(errors="replace").replace("\n", "/")
        b += c

for step in sys.argv[3:]:
    if step.startswith("!"):
        subprocess.run(["sh", "-c", step[1:]])
    elif step == "HUP":
        p.send_signal(signal.SIGHUP)
        time.sleep(0.3)
    else:
        f = step.split("|")
        slot = int(f[0])
        req = bytes([slot & 255, slot >> 8])
        for x in f[1:]:
            req += x.encode() + b"\0"
        p.stdin.write(req + b"\0")
        p.stdin.flush()
        s = p.stdout.read(2)
        rec, fin = readz(), readz()
        print("%d %s|%s" % (s[0] | s[1] << 8, rec, fin), flush=True)
p.stdin.close()
print("exit %d" % p.wait())
