#!/usr/bin/python3
"""Clients for the network-edge suites (tls, sasl, proxy, scaleout).

Subcommands print what they saw, one item a line, and exit non-zero with
a reason on stderr when the server misbehaves:
  cram USER SECRET -- CMD...   run CMD on pipes, log in with AUTH CRAM-MD5,
                               STAT, QUIT; print the transcript
  stls-inject PORT             send STLS plus a pipelined login and DELE in one
                               write, then over TLS: STAT, QUIT
  poplib-stls PORT WIREDIR     poplib: CAPA, stls(), CAPA, login, RETR all
                               (compared with WIREDIR/<uidl>), QUIT
  poplib-ssl PORT WIREDIR      the same over POP3_SSL (implicit TLS)
  idle PORT MODE               connect (MODE stls: and send STLS), then send
                               nothing; print the seconds until the server
                               closed the connection
  proxy-tls PORT SRC           a PROXY v2 header from SRC and the TLS
                               ClientHello in the same write; log in, STAT
  scale PORT N USER PASS SRC   N concurrent sessions from source address SRC;
                               each that gets in RETRs and DELEs message 1;
                               print one line per session
"""
import base64
import hashlib
import hmac
import os
import poplib
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

TIMEOUT = 10


def die(msg):
    sys.stderr.write("edgeclient: %s\n" % msg)
    sys.exit(1)


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


class Lines:
    """CRLF line reader over a socket or file."""

    def __init__(self, recv):
        self.recv, self.buf = recv, b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.recv()
            if not d:
                raise EOFError("server closed; partial %r" % self.buf)
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l.decode("latin-1")


def cram(args):
    user, secret = args[0], args[1]
    cmd = args[args.index("--") + 1:]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    r = Lines(lambda: os.read(p.stdout.fileno(), 4096))
    out = [r.line()]
    p.stdin.write(b"AUTH CRAM-MD5\r\n")
    p.stdin.flush()
    ch = r.line()
    out.append(ch)
    if not ch.startswith("+ "):
        die("no challenge: %r" % out)
    chal = base64.b64decode(ch[2:], validate=True)
    dig = hmac.new(secret.encode(), chal, hashlib.md5).hexdigest()
    p.stdin.write(base64.b64encode(("%s %s" % (user, dig)).encode()) + b"\r\nSTAT\r\nQUIT\r\n")
    p.stdin.close()
    for _ in range(3):
        try:
            out.append(r.line())
        except EOFError:
            break
    p.wait(TIMEOUT)
    out.append("exit=%d" % p.returncode)
    print("\n".join(out))


def stls_inject(args):
    s = socket.create_connection(("127.0.0.1", int(args[0])), timeout=TIMEOUT)
    r = Lines(lambda: s.recv(4096))
    print(r.line())
    s.sendall(b"STLS\r\nUSER alice\r\nPASS secret\r\nDELE 1\r\nQUIT\r\n")
    print(r.line())
    if r.buf:
        die("plaintext bytes after the STLS reply: %r" % r.buf)
    t = ctx().wrap_socket(s)
    r = Lines(lambda: t.recv(4096))
    t.sendall(b"STAT\r\nQUIT\r\n")
    print(r.line())
    print(r.line())


def retr_all(p, wiredir):
    for line in p.uidl()[1]:
        n, uid = line.decode().split()
        resp, lines, _ = p.retr(int(n))
        got = b"".join(l + b"\r\n" for l in lines)
        with open(os.path.join(wiredir, uid), "rb") as f:
            want = f.read()
        if got != want:
            die("message %s (%s) differs: %r vs %r" % (n, uid, got[:200], want[:200]))
        print("retr %s ok" % uid)


def capa_line(p):
    return "capa " + " ".join(sorted(k + ("=" + ",".join(v) if v else "")
                                     for k, v in p.capa().items()))


def poplib_fetch(args, implicit):
    if implicit:
        p = poplib.POP3_SSL("127.0.0.1", int(args[0]), context=ctx(), timeout=TIMEOUT)
    else:
        p = poplib.POP3("127.0.0.1", int(args[0]), timeout=TIMEOUT)
        print(capa_line(p))
        p.stls(ctx())
    print(capa_line(p))
    p.user("alice")
    p.pass_("secret")
    retr_all(p, args[1])
    print(p.quit().decode())


def idle(args):
    s = socket.create_connection(("127.0.0.1", int(args[0])), timeout=30)
    start = time.monotonic()
    if args[1] == "stls":
        r = Lines(lambda: s.recv(4096))
        r.line()
        s.sendall(b"STLS\r\n")
        print(r.line())
        start = time.monotonic()
    while s.recv(4096):
        pass
    print("closed after %.1f" % (time.monotonic() - start))


def v2_header(src, dst="127.0.0.1", sport=40000, dport=110):
    body = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    return (b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(body))
            + body)



def proxy_tls(args):
    s = socket.create_connection(("127.0.0.1", int(args[0])), timeout=TIMEOUT)
    hdr = v2_header(args[1])
    # The header and the ClientHello leave in one segment: the server
    # must not read past the header.
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx().wrap_bio(inc, out)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    s.sendall(hdr + out.read())
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            d = s.recv(4096)
            if not d:
                die("closed during handshake")
            inc.write(d)
            s.sendall(out.read())
    s.sendall(out.read())

    def recv():
        while True:
            try:
                return obj.read(4096)
            except ssl.SSLWantReadError:
                d = s.recv(4096)
                if not d:
                    return b""
                inc.write(d)

    def send(b):
        obj.write(b)
        s.sendall(out.read())

    r = Lines(recv)
    print(r.line())
    send(b"USER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n")
    for _ in range(4):
        print(r.line())


def scale(args):
    port, n, user, pw, src = int(args[0]), int(args[1]), args[2], args[3], args[4]
    results = [None] * n
    start = threading.Barrier(n)

    def one(i):
        try:
            start.wait()
            s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT,
                                         source_address=(src, 0))
            r = Lines(lambda: s.recv(65536))
            r.line()
            s.sendall(("USER %s\r\nPASS %s\r\n" % (user, pw)).encode())
            r.line()
            login = r.line()
            if not login.startswith("+OK"):
                # A refused login ends the session (the server closes).
                results[i] = "refused %s" % login.split()[1]
                return
            t0 = time.time()
            s.sendall(b"UIDL 1\r\nRETR 1\r\n")
            uid = r.line().split()[2]
            if not r.line().startswith("+OK"):
                raise RuntimeError("RETR failed")
            size = 0
            while True:
                l = r.line()
                if l == ".":
                    break
                size += len(l) + 2
            time.sleep(0.2)    # hold the mailbox a while
            s.sendall(b"DELE 1\r\nQUIT\r\n")
            r.line()
            q = r.line()
            t1 = time.time()
            results[i] = "served %s %.6f %.6f %s" % (uid, t0, t1, q.split()[0])
        except Exception as e:  # reported, and the check fails on it
            results[i] = "error %r" % e

    th = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in th:
        t.start()
    for t in th:
        t.join(TIMEOUT * 3)
    print("\n".join(str(x) for x in results))


def main():
    if len(sys.argv) < 2:
        die("usage: see the docstring")
    cmds = {"cram": cram, "stls-inject": stls_inject, "poplib-stls": lambda a: poplib_fetch(a, False),
            "poplib-ssl": lambda a: poplib_fetch(a, True), "idle": idle, "proxy-tls": proxy_tls, "scale": scale}
    if sys.argv[1] not in cmds:
        die("unknown subcommand %s" % sys.argv[1])
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
