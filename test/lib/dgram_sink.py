#!/usr/bin/env python3
"""Stand in for /dev/log or the journal's socket: bind a Unix datagram
socket at PATH and append every datagram received to OUT, each followed
by a line holding only "--". Touches READY once bound; exits after
SECONDS or on SIGTERM.

usage: dgram_sink.py PATH OUT READY SECONDS
"""
import os
import signal
import socket
import sys
import time


def main(argv):
    path, out, ready, seconds = argv[1], argv[2], argv[3], float(argv[4])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    open(ready, "w").close()
    end = time.monotonic() + seconds
    with open(out, "ab", buffering=0) as f:
        while time.monotonic() < end:
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            f.write(data.rstrip(b"\n") + b"\n--\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
