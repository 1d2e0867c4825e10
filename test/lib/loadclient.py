#!/usr/bin/python3
"""Concurrent POP3 clients for test/core/load.bats.

loadclient.py mkusers DIR N : users u0..u(N-1) in DIR/passwd (password
"pw-uK", home DIR/uK, no uid fields) each with a Maildir of MSGS messages.
loadclient.py PORT USERS... : one thread per user, all started together;
each logs in (password "pw-USER"), checks STAT, UIDL and every RETR against
its own mailbox (messages whose body names the user), and QUITs. A reply
"-ERR [IN-USE]" at login counts as a clean refusal. Prints "ok N inuse M"
and exits 0 only if every session was correct or cleanly refused; every
socket has a 30 s timeout so a hang fails instead of blocking.
"""
import socket
import sys
import threading

MSGS = 3


def expect_body(user, i):
    return ("Subject: %s %d\r\n\r\nfor %s, message %d\r\n" % (user, i, user, i)).encode()


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed; have %r" % self.buf)
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def block(self):
        out = []
        while True:
            l = self.line()
            if l == b".":
                return b"".join(x + b"\r\n" for x in out)
            out.append(l[1:] if l.startswith(b"..") else l)

    def cmd(self, c):
        self.s.sendall(c.encode() + b"\r\n")
        return self.line()


def session(port, user, results, idx):
    try:
        c = Conn(port)
        assert c.line().startswith(b"+OK"), "greeting"
        assert c.cmd("USER " + user).startswith(b"+OK")
        r = c.cmd("PASS pw-" + user)
        if r.startswith(b"-ERR [IN-USE]"):
            results[idx] = "inuse"
            c.s.close()
            return
        assert r.startswith(b"+OK %d messages" % MSGS), r
        total = sum(len(expect_body(user, i)) for i in range(1, MSGS + 1))
        r = c.cmd("STAT")
        assert r == b"+OK %d %d" % (MSGS, total), r
        assert c.cmd("UIDL").startswith(b"+OK")
        uidl = c.block().split(b"\r\n")[:-1]
        assert len(uidl) == MSGS, uidl
        for i in range(1, MSGS + 1):
            r = c.cmd("RETR %d" % i)
            assert r.startswith(b"+OK"), r
            body = c.block()
            assert body == expect_body(user, i), (i, body)
        assert c.cmd("QUIT").startswith(b"+OK"), "quit"
        c.s.close()
        results[idx] = "ok"
    except Exception as e:  # noqa: BLE001 - reported below
        results[idx] = "fail %s: %r" % (user, e)


def mkusers(top, n):
    import os
    with open(os.path.join(top, "passwd"), "w") as pw:
        for k in range(n):
            user = "u%d" % k
            home = os.path.join(top, user)
            for sub in ("new", "cur", "tmp"):
                os.makedirs(os.path.join(home, "Maildir", sub))
            for i in range(1, MSGS + 1):
                name = os.path.join(home, "Maildir", "new", "170000000%d.M%dP%d.load" % (i, i, k))
                with open(name, "wb") as f:
                    f.write(expect_body(user, i).replace(b"\r\n", b"\n"))
            pw.write("%s:{PLAIN}pw-%s::::%s::\n" % (user, user, home))


def main():
    if sys.argv[1] == "mkusers":
        mkusers(sys.argv[2], int(sys.argv[3]))
        return
    port = int(sys.argv[1])
    users = sys.argv[2:]
    results = [None] * len(users)
    threads = [threading.Thread(target=session, args=(port, u, results, i))
               for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    bad = [r for r in results if r not in ("ok", "inuse")]
    for r in bad:
        sys.stderr.write("%s\n" % r)
    print("ok %d inuse %d" % (results.count("ok"), results.count("inuse")))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
