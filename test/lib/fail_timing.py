#!/usr/bin/python3
"""Time failed logins: for each USER given, run the server command (after
"--") on a pipe, send USER then a wrong PASS, and time from the PASS line
to its reply. Prints "USER MILLISECONDS REPLY" a line, N runs each.

usage: fail_timing.py N USER... -- ONEPOP ARGS...
"""
import subprocess
import sys
import time


def one(cmd, user):
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    p.stdout.readline()
    p.stdin.write(b"USER " + user.encode() + b"\r\n")
    p.stdin.flush()
    p.stdout.readline()
    start = time.monotonic()
    p.stdin.write(b"PASS not-the-password\r\n")
    p.stdin.flush()
    reply = p.stdout.readline().decode().rstrip("\r\n")
    ms = (time.monotonic() - start) * 1000
    p.stdin.write(b"QUIT\r\n")
    p.stdin.close()
    p.wait()
    return ms, reply


def main():
    sep = sys.argv.index("--")
    n, users, cmd = int(sys.argv[1]), sys.argv[2:sep], sys.argv[sep + 1:]
    for _ in range(n):
        for u in users:
            ms, reply = one(cmd, u)
            print("%s %d %s" % (u, ms, reply))


if __name__ == "__main__":
    main()
