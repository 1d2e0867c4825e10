#!/usr/bin/python3
"""Fetch a POP3 mailbox with Python's poplib, as a mail fetcher would.

usage: poplib-fetch.py HOST PORT USER PASS keep|delete SEENFILE OUTDIR
keep: retrieve the messages whose UIDL is not in SEENFILE, add them to it.
delete: retrieve every message and delete it. One file a message in OUTDIR.
"""
import os
import poplib
import sys


def main(host, port, user, password, mode, seenfile, outdir):
    os.makedirs(outdir, exist_ok=True)
    seen = set()
    if os.path.exists(seenfile):
        with open(seenfile, "rb") as f:
            seen = set(f.read().split())
    pop = poplib.POP3(host, int(port), timeout=60)
    pop.user(user)
    pop.pass_(password)
    _, listing, _ = pop.uidl()
    fetched = []
    for entry in listing:
        num, uid = entry.split(b" ", 1)
        if mode == "keep" and uid in seen:
            continue
        _, lines, _ = pop.retr(int(num))
        with open(os.path.join(outdir, "%04d" % int(num)), "wb") as f:
            f.write(b"".join(line + b"\r\n" for line in lines))
        if mode == "delete":
            pop.dele(int(num))
        fetched.append(uid)
    pop.quit()
    with open(seenfile, "ab") as f:
        f.write(b"".join(uid + b"\n" for uid in fetched))
    print("%d fetched" % len(fetched))


if __name__ == "__main__":
    if len(sys.argv) != 8 or sys.argv[5] not in ("keep", "delete"):
        sys.exit(__doc__)
    main(*sys.argv[1:])
