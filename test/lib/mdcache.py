#!/usr/bin/env python3
"""Read and forge onepop's Maildir size cache (backends/maildir/maildir_cache.c) for tests.

  mdcache.py entries MAILDIR         print the message lines of MAILDIR/onepop.cache
                                     as "RAW WIRE sub/NAME" (without the inode)
  mdcache.py stamps MAILDIR          print the two stamp lines of the cache
  mdcache.py forge MAILDIR [--stale] write a well-formed cache (checksum and, unless
                                     --stale, the current stamps of new/ and cur/)
                                     whose message lines are read from stdin
                                     ("RAW WIRE sub/NAME" gets inode 0: unknown)
"""
import os
import sys


def line_sum(h, line):
    """maildir_cache.c's line_sum: line (bytes) without its LF."""
    k, m = 0x9e3779b97f4a7c15, 0xFFFFFFFFFFFFFFFF
    for i in range(0, len(line), 8):
        h = ((h ^ int.from_bytes(line[i:i + 8].ljust(8, b"\0"), "little")) * k) & m
    h = ((h ^ len(line)) * k) & m
    return h ^ (h >> 29)


def checksum(body):
    h = 0xcbf29ce484222325
    for line in body.split(b"\n")[:-1]:
        h = line_sum(h, line)
    return h


def lines(maildir):
    with open(os.path.join(maildir, "onepop.cache"), "rb") as f:
        return f.read().decode("utf-8", "surrogateescape").split("\n")


def with_ino(line):
    f = line.split(" ", 2)
    if len(f) == 3 and not f[2][:1].isdigit():
        return "%s %s 0 %s" % tuple(f)
    return line


def main():
    cmd, maildir = sys.argv[1], sys.argv[2]
    if cmd == "entries":
        for line in lines(maildir)[3:]:
            if line.startswith("end ") or not line:
                break
            raw, wire, _ino, path = line.split(" ", 3)
            print(raw, wire, path)
    elif cmd == "stamps":
        print("\n".join(lines(maildir)[1:3]))
    elif cmd == "forge":
        body = "".join(with_ino(l) + "\n" for l in sys.stdin.read().splitlines())
        out = "onepop-maildir-cache 2\n"
        for sub in ("new", "cur"):
            st = os.stat(os.path.join(maildir, sub))
            if "--stale" in sys.argv:
                out += "%s 0 0 0 0\n" % sub
            else:
                out += "%s %d %d %d %d\n" % (sub, st.st_dev, st.st_ino,
                                             st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9)
        n = body.count("\n")
        out += body + "end %d %016x\n" % (n, checksum(body.encode("utf-8", "surrogateescape")))
        with open(os.path.join(maildir, "onepop.cache"), "w") as f:
            f.write(out)
    else:
        sys.exit("unknown command " + cmd)


main()
