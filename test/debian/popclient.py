#!/usr/bin/python3
"""A POP3 client for the nspawn suite, on Python's poplib.

usage: popclient.py PORT MODE USER PASSWORD [CAFILE] [--dele N]

MODE: user (USER/PASS), apop, plain (AUTH PLAIN), cram (AUTH CRAM-MD5),
stls (STLS, then USER/PASS), implicit (TLS from the first byte). CAFILE is
the server's certificate, verified for stls and implicit.
Prints "count N", then "msg I SUBJECT" for each message retrieved whole,
and "quit OK"; exits 1 with the server's reply on a refusal.
"""
import base64
import hashlib
import hmac
import poplib
import ssl
import sys


def main():
    args = sys.argv[1:]
    dele = None
    if "--dele" in args:
        i = args.index("--dele")
        dele = int(args[i + 1])
        del args[i:i + 2]
    port, mode, user, password = args[:4]
    cafile = args[4] if len(args) > 4 else None
    ctx = None
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = False
    try:
        if mode == "implicit":
            p = poplib.POP3_SSL("127.0.0.1", int(port), context=ctx, timeout=15)
        else:
            p = poplib.POP3("127.0.0.1", int(port), timeout=15)
        if mode == "stls":
            p.stls(ctx)
        if mode == "apop":
            p.apop(user, password)
        elif mode == "plain":
            tok = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
            p._shortcmd("AUTH PLAIN " + tok.decode())
        elif mode == "cram":
            resp = p._shortcmd("AUTH CRAM-MD5")
            challenge = base64.b64decode(resp.split()[1])
            digest = hmac.new(password.encode(), challenge, hashlib.md5).hexdigest()
            p._shortcmd(base64.b64encode((user + " " + digest).encode()).decode())
        else:
            p.user(user)
            p.pass_(password)
        count, _ = p.stat()
        print("count", count)
        for i in range(1, count + 1):
            _, lines, _ = p.retr(i)
            subject = [l.decode() for l in lines if l.startswith(b"Subject:")]
            print("msg", i, subject[0] if subject else "-")
        if dele:
            p.dele(dele)
        print("quit", p.quit().decode())
    except (poplib.error_proto, OSError) as e:
        print("error", e)
        sys.exit(1)


main()
