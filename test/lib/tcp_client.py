#!/usr/bin/python3
"""A scripted raw TCP client for onepop behind systemd-socket-activate.

usage: tcp_client.py PORT ACTION...
  send:TEXT    send TEXT; backslash escapes (\\r \\n \\0) are decoded
  wait:N       read until N lines in all have arrived (10 s at most)
  sleep:SECS   pause
  until:PATH   pause until PATH exists (10 s at most)
  close        close the connection now, without reading the rest
  tls          start TLS on the connection (implicit TLS, or after STLS's
               +OK); the certificate is not checked (a test's own)
  touch:PATH   create PATH (tells the test a point was reached)
At the end (without close) it reads until the server closes (10 s at most).
Everything received goes to stdout as is, as it arrives; exits 1 on a
timeout.
"""
import os
import socket
import ssl
import sys
import time


def main():
    port = int(sys.argv[1])
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    got = b""
    out = sys.stdout.buffer
    closed = False
    rc = 0
    for action in sys.argv[2:]:
        verb, _, arg = action.partition(":")
        if verb == "send":
            s.sendall(arg.encode("latin-1").decode("unicode_escape").encode("latin-1"))
        elif verb == "wait":
            deadline = time.monotonic() + 10
            while got.count(b"\n") < int(arg):
                s.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    chunk = None
                if not chunk:
                    sys.stderr.write("tcp_client: wanted %s lines, have %r\n" % (arg, got))
                    return 1
                got += chunk
                out.write(chunk)
                out.flush()
        elif verb == "sleep":
            time.sleep(float(arg))
        elif verb == "until":
            deadline = time.monotonic() + 10
            while not os.path.exists(arg):
                if time.monotonic() > deadline:
                    sys.stderr.write("tcp_client: %s never appeared\n" % arg)
                    return 1
                time.sleep(0.05)
        elif verb == "tls":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
        elif verb == "touch":
            open(arg, "w").close()
        elif verb == "close":
            s.close()
            closed = True
            break
        else:
            sys.stderr.write("tcp_client: bad action %r\n" % action)
            return 2
    if not closed:
        s.settimeout(10)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
                out.write(chunk)
                out.flush()
        except socket.timeout:
            sys.stderr.write("tcp_client: the server did not close\n")
            rc = 1
        s.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
