#!/usr/bin/env python3
"""Fetch a maildrop over TCP with Python's poplib, as a mail client would.

usage: popfetch.py PORT USER PASS
Prints "+OK-login COUNT OCTETS", then for each message "N SIZE SHA256" of
the un-stuffed lines joined with CRLF, then "quit"; exits 1 on any error.
"""
import hashlib
import poplib
import sys


def main(argv):
    port, user, password = int(argv[1]), argv[2], argv[3]
    try:
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        p.user(user)
        p.pass_(password)
        count, octets = p.stat()
        print("+OK-login", count, octets)
        for n in range(1, count + 1):
            _, lines, _ = p.retr(n)
            body = b"".join(line + b"\r\n" for line in lines)
            print(n, len(body), hashlib.sha256(body).hexdigest())
        p.quit()
        print("quit")
    except (OSError, poplib.error_proto) as e:
        print("error:", e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
