#!/usr/bin/python3
"""Fetch every message with Python's poplib and compare it with the expected
wire forms.

usage: poplib_fetch.py PORT USER PASSWORD WIRE_DIR [--apop] [--delete N]

WIRE_DIR holds one file per UIDL with the message's wire form (CRLF lines).
Prints one line per message ("ok N UIDL OCTETS") and exits 0 when every
message matched, else prints what differed and exits 1.
"""
import os
import poplib
import sys


def main():
    port, user, password, wire_dir = sys.argv[1:5]
    opts = sys.argv[5:]
    p = poplib.POP3("127.0.0.1", int(port), timeout=10)
    print("welcome", p.getwelcome().decode())
    if "--apop" in opts:
        p.apop(user, password)
    else:
        p.user(user)
        p.pass_(password)
    count, total = p.stat()
    caps = p.capa()
    for cap in ("TOP", "UIDL", "USER", "PIPELINING"):
        if cap not in caps:
            print("CAPA lacks", cap)
            return 1
    _, listing, _ = p.uidl()
    uidls = dict(l.decode().split(" ", 1) for l in listing)
    _, sizes, _ = p.list()
    sizes = dict(l.decode().split(" ", 1) for l in sizes)
    if len(uidls) != count or len(sizes) != count:
        print("STAT says %d, UIDL lists %d, LIST %d" % (count, len(uidls), len(sizes)))
        return 1
    bad = 0
    seen = 0
    for n in range(1, count + 1):
        uid = uidls[str(n)]
        with open(os.path.join(wire_dir, uid), "rb") as f:
            want = f.read()
        want_lines = want[:-2].split(b"\r\n")
        _, got_lines, octets = p.retr(n)
        if got_lines != want_lines:
            print("message %d (%s) differs:\n want %r\n got  %r" % (n, uid, want_lines, got_lines))
            bad += 1
        # poplib counts the un-stuffed octets with their CRLFs.
        if octets != len(want) or int(sizes[str(n)]) != len(want):
            print("message %d: LIST %s, received %d, expected %d"
                  % (n, sizes[str(n)], octets, len(want)))
            bad += 1
        seen += octets
        print("ok", n, uid, octets)
    if seen != total:
        print("STAT total %d, fetched %d" % (total, seen))
        bad += 1
    if "--delete" in opts:
        n = int(opts[opts.index("--delete") + 1])
        p.dele(n)
        print("deleted", n, uidls[str(n)])
    p.quit()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
