#!/usr/bin/env python3
"""bench/tls-source.py: smtp-source for STARTTLS, which Postfix's
smtp-source does not speak.  One message per connection, like
`smtp-source -s C -m N -l SIZE`: C workers (processes) share N messages;
each connects, EHLO, STARTTLS (no certificate check: the benchmark is
about cost, not trust), EHLO, MAIL, RCPT, DATA, QUIT.

    tls-source.py -s C -m N -l SIZE -f FROM -t TO HOST:PORT

Prints the number of messages accepted and the failures; exit 1 when
any failed."""
import argparse, multiprocessing, smtplib, ssl, sys

def worker(args, count, q):
    host, port = args.server.rsplit(':', 1)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    body = ('From: %s\r\nTo: %s\r\nSubject: tls bench\r\n\r\n' % (args.f, args.t))
    line = 'x' * 78 + '\r\n'
    body += line * max(1, (args.l - len(body)) // len(line))
    ok = bad = 0
    for _ in range(count):
        try:
            s = smtplib.SMTP(host, int(port), local_hostname='tls-source.test', timeout=60)
            s.starttls(context=ctx)
            s.sendmail(args.f, [args.t], body)
            s.quit()
            ok += 1
        except (OSError, smtplib.SMTPException) as e:
            bad += 1
            sys.stderr.write('tls-source: %s\n' % e)
    q.put((ok, bad))

def main():
    p = argparse.ArgumentParser()
    p.add_argument('-s', type=int, default=1)
    p.add_argument('-m', type=int, default=1)
    p.add_argument('-l', type=int, default=2048)
    p.add_argument('-f', default='bench@example.test')
    p.add_argument('-t', required=True)
    p.add_argument('server')
    args = p.parse_args()
    q = multiprocessing.Queue()
    procs = []
    for i in range(args.s):
        n = args.m // args.s + (1 if i < args.m % args.s else 0)
        w = multiprocessing.Process(target=worker, args=(args, n, q))
        w.start()
        procs.append(w)
    ok = bad = 0
    for _ in procs:
        a, b = q.get()
        ok += a; bad += b
    for w in procs:
        w.join()
    print('tls-source: %d accepted, %d failed' % (ok, bad))
    sys.exit(1 if bad else 0)

main()
