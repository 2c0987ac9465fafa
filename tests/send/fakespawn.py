#!/usr/bin/env python3
# Stand-in for qmail-lspawn and qmail-rspawn in the qmail-send tests: speaks
# the spawn protocol (man/qmail-send.8) on fd 0/1.  Installed under both
# names; the outcome for each recipient follows its local part:
#   *fail*  permanent failure (h, final D)
#   *defer* temporary failure (s, final Z) unless $FAKESPAWN/nodefer exists
#   *slow*  reports after 2 seconds
#   else    delivered (r, final K)
# Every request is appended to $FAKESPAWN/requests as one line
# "chan slot msgfile <sender> rcpt rcpt...", and each recipient's copy of
# the message to $FAKESPAWN/mail.RCPT (read from queue/msgfile).
import os, sys, threading, time

d = os.environ.get('FAKESPAWN', '/tmp')
chan = 'local' if 'lspawn' in sys.argv[0] else 'remote'
lock = threading.Lock()
os.umask(0)
inp = os.fdopen(0, 'rb')


def field():
    b = bytearray()
    while True:
        c = inp.read(1)
        if not c:
            sys.exit(0)
        if c == b'\0':
            return bytes(b)
        b += c


def deliver(slot, mess, sender, rcpts):
    local = [r.rsplit(b'@', 1)[0] for r in rcpts]
    if any(b'slow' in l for l in local):
        time.sleep(2)
    try:
        with open('queue/' + mess.decode(), 'rb') as f:
            body = f.read()
    except OSError as e:
        body = None
    recs = []
    for r, l in zip(rcpts, local):
        if body is None:
            recs.append(b's' + b'cannot open message (#4.3.0)\n')
            continue
        if b'fail' in l:
            recs.append(b'hSorry, no mailbox here by that name. (#5.1.1)\n')
            continue
        if b'defer' in l and not os.path.exists(d + '/nodefer'):
            recs.append(b'sTemporary trouble for ' + r + b' (#4.3.0)\n')
            continue
        with lock:
            with open(d + '/mail.' + r.decode('latin-1'), 'ab') as f:
                f.write(b'Return-Path: <' + sender + b'>\n' + body + b'\n')
        recs.append(b'rdid 0+0+1\n' if chan == 'local' else b'r')
    st = [x[:1] for x in recs]
    if all(s == b'r' for s in st):
        fin = b'K' + (b'' if chan == 'local' else b'127.0.0.1 accepted message.\nRemote host said: 250 ok\n')
    elif all(s == b'h' for s in st):
        fin = b'DGiving up.\n'
    elif b'r' in st and chan == 'remote':
        fin = b'K127.0.0.1 accepted message.\nRemote host said: 250 ok\n'
    elif b's' in st:
        fin = b'ZTemporary trouble (#4.3.0)\n'
    else:
        fin = b'DGiving up.\n'
    out = bytes([slot & 255, slot >> 8]) + b''.join(r + b'\0' for r in recs) + fin + b'\0'
    with lock:
        os.write(1, out)


while True:
    s = inp.read(2)
    if len(s) < 2:
        sys.exit(0)
    slot = s[0] | s[1] << 8
    mess = field()
    sender = field()
    rcpts = []
    while True:
        r = field()
        if not r:
            break
        rcpts.append(r)
    with lock:
        with open(d + '/requests', 'ab') as f:
            f.write(b' '.join([chan.encode(), str(slot).encode(), mess, b'<' + sender + b'>'] + rcpts) + b'\n')
    threading.Thread(target=deliver, args=(slot, mess, sender, rcpts), daemon=True).start()
