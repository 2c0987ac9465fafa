#!/usr/bin/python3
# lib-dkim-verify.py RECORDS FILE [wire]: verify every DKIM-Signature of
# FILE with python3-dkim, taking the keys from RECORDS (zone-file TXT
# lines, as qmail-dkimkey prints them) instead of DNS.  FILE is a message
# as delivered (LF line ends, made CR LF as qmail-remote sends it) or,
# with wire, the DATA a receiver got (CR LF, dot-stuffed, ending in
# CR LF . CR LF).  Prints one line per signature, top down:
# "ALG d=DOMAIN pass|fail from-oversigned|from-once".
# Debian's python3 (python3-dkim, python3-nacl for ed25519).
import dkim, re, sys
recs = {}
for line in open(sys.argv[1]):
    m = re.match(r'(\S+)\s+IN\s+TXT\s+(.*)$', line.strip())
    if m:
        recs[m.group(1).rstrip('.').lower()] = \
            ''.join(re.findall(r'"([^"]*)"', m.group(2))).encode()
msg = open(sys.argv[2], 'rb').read()
if len(sys.argv) > 3:
    msg = msg[:-3] if msg.endswith(b'\r\n.\r\n') else msg
    msg = b'\r\n'.join(l[1:] if l.startswith(b'.') else l
                       for l in msg.split(b'\r\n'))
else:
    msg = msg.replace(b'\n', b'\r\n')
def dnsfunc(name, timeout=5):
    return recs.get(name.decode().rstrip('.').lower())
head = msg.split(b'\r\n\r\n', 1)[0]
sigs = re.findall(rb'(?im)^DKIM-Signature:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)', head)
for i, s in enumerate(sigs):
    s = re.sub(rb'\s', b'', s)
    a = re.search(rb'(?:^|;)a=([^;]*)', s).group(1).decode()
    d = re.search(rb'(?:^|;)d=([^;]*)', s).group(1).decode()
    h = re.search(rb'(?:^|;)h=([^;]*)', s).group(1).decode().lower()
    try:
        ok = dkim.DKIM(msg).verify(idx=i, dnsfunc=dnsfunc)
    except dkim.DKIMException:
        ok = False
    print(a, 'd=' + d, 'pass' if ok else 'fail', 'from-oversigned'
          if h.split(':').count('from') >= 2 else 'from-once')
