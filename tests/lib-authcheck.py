#!/usr/bin/python3
"""tests/lib-authcheck.py: the sending and reading side of tests/authcheck.sh.

send HOST PORT HELO MAILFROM FROMADDR [options]: build a message, sign it
with python3-dkim (dkim.sign) when asked, send it by SMTP (smtplib) and
print the server's reply to the end of DATA as "CODE text".
  --sign KEYFILE DOMAIN SELECTOR   sign (relaxed/relaxed, rsa-sha256)
  --tamper      change the body after signing
  --sigs N      repeat the signature header N times
  --bigheader N add an X-Big field of N bytes (folded)
  --mangle A|B  replace the text A by B in the signature header
  --ar TEXT     add "Authentication-Results: TEXT" before signing
  --tag TEXT    a Subject tag to find the message by

build HOST PORT HELO MAILFROM FROMADDR [options]: print the message
instead, with LF line ends, as qmail-smtpd hands it on.

edkey FILE: make an ed25519 key (python3-nacl), its seed in base64 into
FILE (what --sign takes for ed25519-sha256), and print the public key.

read MAILDIR TAG: print, from the delivered message whose Subject holds
TAG (read with the email module), its file name ("FILE: path"), its
number of DKIM-Signature fields ("SIGS: n"), every
Authentication-Results field on one line each ("AR: ..."), the number of X-Big bytes ("BIG: n") and the
body's first line ("BODY: ...").  Exits 1 if no such message exists.
"""
import email
import email.policy
import os
import smtplib
import sys

import dkim


def build(a):
    frm = a["fromaddr"]
    hdrs = []
    if a["ar"]:
        hdrs.append(b"Authentication-Results: " + a["ar"].encode())
    hdrs.append(b"From: Tester <" + frm.encode() + b">")
    hdrs.append(b"To: rcpt@mx.test")
    hdrs.append(b"Subject: test " + a["tag"].encode())
    hdrs.append(b"Message-ID: <" + a["tag"].encode() + b"@sender.test>")
    hdrs.append(b"Date: Fri, 04 Dec 2026 12:00:00 +0000")
    if a["bigheader"]:
        n = a["bigheader"]
        line = b"x" * 70
        parts = []
        size = 0
        while size < n:
            parts.append(line)
            size += len(line) + 3
        hdrs.append(b"X-Big: " + b"\r\n\t".join(parts))
    body = b"Hello, this is the body.\r\nSecond line.\r\n"
    msg = b"\r\n".join(hdrs) + b"\r\n\r\n" + body
    if a["sign"]:
        keyfile, domain, sel = a["sign"]
        with open(keyfile, "rb") as f:
            key = f.read()
        alg = b"rsa-sha256"
        if not key.startswith(b"-----"):	# an ed25519 seed, base64
            alg = b"ed25519-sha256"
            key = key.strip()
        sig = dkim.sign(msg, sel.encode(), domain.encode(), key,
                        signature_algorithm=alg,
                        canonicalize=(b"relaxed", b"relaxed"),
                        include_headers=[b"from", b"to", b"subject",
                                         b"message-id", b"date"])
        for old, new in a["mangle"]:
            sig = sig.replace(old.encode(), new.encode())
        msg = sig * a["sigs"] + msg
    if a["tamper"]:
        msg = msg.replace(b"Second line.", b"Second line, changed.")
    return msg


def send(argv, only_build=False):
    host, port, helo, mailfrom, fromaddr = argv[:5]
    a = {"fromaddr": fromaddr, "sign": None, "tamper": False, "sigs": 1,
         "bigheader": 0, "mangle": [], "ar": None, "tag": "t", "auth": None}
    i = 5
    while i < len(argv):
        o = argv[i]
        if o == "--sign":
            a["sign"] = argv[i + 1:i + 4]
            i += 4
            continue
        if o == "--auth":	# USER PASSWORD: SMTP AUTH before MAIL
            a["auth"] = argv[i + 1:i + 3]
            i += 3
            continue
        if o == "--tamper":
            a["tamper"] = True
            i += 1
            continue
        if o == "--sigs":
            a["sigs"] = int(argv[i + 1])
        elif o == "--bigheader":
            a["bigheader"] = int(argv[i + 1])
        elif o == "--mangle":
            a["mangle"].append(argv[i + 1].split("|", 1))
        elif o == "--ar":
            a["ar"] = argv[i + 1]
        elif o == "--tag":
            a["tag"] = argv[i + 1]
        else:
            sys.exit("unknown option " + o)
        i += 2
    msg = build(a)
    if only_build:	# as qmail-smtpd passes it on: LF line ends
        sys.stdout.buffer.write(msg.replace(b"\r\n", b"\n"))
        return
    s = smtplib.SMTP(host, int(port), local_hostname=helo, timeout=90)
    try:
        s.ehlo(helo)
        if a["auth"]:
            s.login(a["auth"][0], a["auth"][1])
        code, text = s.mail(mailfrom)
        if code != 250:
            print(code, text.decode(errors="replace"))
            return
        code, text = s.rcpt("rcpt@mx.test")
        if code != 250:
            print(code, text.decode(errors="replace"))
            return
        code, text = s.data(msg)
        print(code, text.decode(errors="replace"))
    except smtplib.SMTPDataError as e:
        print(e.smtp_code, e.smtp_error.decode(errors="replace"))
    finally:
        try:
            s.quit()
        except Exception:
            pass


def read(argv):
    d, tag = argv
    for sub in ("new", "cur"):
        p = os.path.join(d, sub)
        for fn in sorted(os.listdir(p)):
            with open(os.path.join(p, fn), "rb") as f:
                m = email.message_from_binary_file(
                    f, policy=email.policy.compat32)
            if tag not in (m.get("Subject") or "").split():
                continue
            print("FILE:", os.path.join(p, fn))
            print("SIGS:", len(m.get_all("DKIM-Signature") or []))
            for v in m.get_all("Authentication-Results") or []:
                print("AR:", " ".join(str(v).split()))
            big = m.get("X-Big")
            if big is not None:
                print("BIG:", len(big))
            body = m.get_payload(decode=True) or b""
            print("BODY:", body.split(b"\n")[0].decode(errors="replace").strip())
            return 0
    return 1


def edkey(argv):
    import base64
    import nacl.signing
    k = nacl.signing.SigningKey.generate()
    with open(argv[0], "wb") as f:
        f.write(base64.b64encode(bytes(k)) + b"\n")
    print(base64.b64encode(bytes(k.verify_key)).decode())


if __name__ == "__main__":
    if sys.argv[1] == "edkey":
        edkey(sys.argv[2:])
    elif sys.argv[1] == "send":
        send(sys.argv[2:])
    elif sys.argv[1] == "build":
        send(sys.argv[2:], only_build=True)
    else:
        sys.exit(read(sys.argv[2:]))
