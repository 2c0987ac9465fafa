#!/usr/bin/env python3
# A tiny authoritative DNS server for the remote-delivery tests (UDP only).
# usage: lib-netns-dns.py ADDR ZONEFILE
# Zone lines: "name TYPE data": A 1.2.3.4 / AAAA fd00::1 / MX 10 host (or
# "MX 0 ." for a null MX) / CNAME target / PTR name / SERVFAIL (any query
# for the name fails).  Unknown names get NXDOMAIN; known names without
# the type an empty NOERROR answer.  CNAMEs are followed inside the zone.
import socket, struct, sys, ipaddress

T = {'A': 1, 'CNAME': 5, 'PTR': 12, 'MX': 15, 'AAAA': 28}
zone = {}
servfail = set()
for line in open(sys.argv[2]):
    f = line.split()
    if not f or f[0].startswith('#'):
        continue
    name = f[0].lower().rstrip('.')
    if f[1] == 'SERVFAIL':
        servfail.add(name)
        continue
    zone.setdefault(name, []).append((f[1], f[2:]))

def enc_name(n):
    n = n.rstrip('.')
    out = b''
    for l in (n.split('.') if n else []):
        out += bytes([len(l)]) + l.encode()
    return out + b'\0'

def rdata(t, d):
    if t == 'A':
        return ipaddress.IPv4Address(d[0]).packed
    if t == 'AAAA':
        return ipaddress.IPv6Address(d[0]).packed
    if t == 'MX':
        return struct.pack('>H', int(d[0])) + enc_name(d[1])
    return enc_name(d[0])

def rr(name, t, d):
    rd = rdata(t, d)
    return enc_name(name) + struct.pack('>HHIH', T[t], 1, 60, len(rd)) + rd

def answer(q):
    qid, flags, qd = struct.unpack('>HHH', q[:6])
    p, labels = 12, []
    while q[p]:
        labels.append(q[p + 1:p + 1 + q[p]].decode('ascii', 'replace'))
        p += 1 + q[p]
    qtype, = struct.unpack('>H', q[p + 1:p + 3])
    question = q[12:p + 5]
    name = '.'.join(labels).lower()
    rcode, ans = 0, []
    hops = 0
    while True:
        if name in servfail:
            rcode = 2
            break
        if name not in zone:
            if not ans:
                rcode = 3
            break
        recs = zone[name]
        cn = [d for t, d in recs if t == 'CNAME']
        if cn and qtype != 5:
            ans.append(rr(name, 'CNAME', cn[0]))
            name = cn[0][0].lower().rstrip('.')
            hops += 1
            if hops > 10:
                break
            continue
        ans += [rr(name, t, d) for t, d in recs if T.get(t) == qtype]
        break
    hdr = struct.pack('>HHHHHH', qid, 0x8400 | 0x0100 | 0x80 | rcode, 1,
                      len(ans), 0, 0)
    return hdr + question + b''.join(ans)

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
open(sys.argv[2] + '.ready', 'w').close()
while True:
    q, a = s.recvfrom(4096)
    try:
        s.sendto(answer(q), a)
    except Exception as e:
        sys.stderr.write('dns: %r\n' % e)
