#!/usr/bin/env python3
"""onepop side-by-side benchmark (not a test). Run through bench/run.

Generates the stores, then measures onepop and the peers found on this
machine in the same run, interleaved, R repetitions, and prints a table
(median, min-max, ratio onepop/peer) that is also written to bench/results/,
with the load average at the start. Row groups (--rows): classic (the
plaintext rows), plain (the 100,000-message Maildir without size hints,
Postfix names, beside the hinted one, and the read-and-count limit), tls
(pop3s and STLS sessions, instructions per TLS session full and resumed,
RETR over TLS; peers and limits in tls_peers.py).
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

import spool_peers
import tls_peers

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
BENCH_UID = 65534          # the mailbox owner (nobody): Dovecot refuses uid 0

# ------------------------------------------------------------------ stores

WORDS = ("the message body of a benchmark mail with ordinary words in it and "
         "some more words so lines wrap around seventy columns like real text").split()


def make_message(rng, i, size):
    """A message of about size octets, LF line ends: real-looking headers,
    body lines starting with '.', a long line, and a 'From ' line."""
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(1700000000 + i * 37))
    head = (
        f"Return-Path: <sender{i % 97}@example.org>\n"
        f"Received: from mx{i % 7}.example.org (mx{i % 7}.example.org [192.0.2.{i % 250}])\n"
        f"\tby mail.example.net (Postfix) with ESMTPS id {i:08X}\n"
        f"\tfor <bench@example.net>; {date}\n"
        f"Received: from client.example.org by mx.example.org; {date}\n"
        f"DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel; b={'A' * 120}\n"
        f"From: Sender {i % 97} <sender{i % 97}@example.org>\n"
        f"To: Bench <bench@example.net>\n"
        f"Subject: benchmark message {i}\n"
        f"Date: {date}\n"
        f"Message-ID: <{i}.bench@example.org>\n"
        f"MIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset=utf-8\n\n")
    body = []
    n = len(head)
    k = 0
    while n < size:
        k += 1
        if k % 17 == 0:
            line = "." + " ".join(rng.choice(WORDS) for _ in range(8))
        elif k % 53 == 0:
            line = "x" * 990                       # a long line
        elif k % 61 == 0:
            line = "From the benchmark, a line mbox must quote"
        else:
            line = " ".join(rng.choice(WORDS) for _ in range(11))
        body.append(line)
        n += len(line) + 1
    return (head + "\n".join(body) + "\n").encode()


def wire_of(raw):
    """What RETR sends after '+OK': CRLF lines, dot-stuffed, then '.'."""
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = [(b"." + l if l.startswith(b".") else l).rstrip(b"\r") for l in lines]
    return b"\r\n".join(out) + b"\r\n.\r\n"


def wire_size(raw):
    n = len(raw) + raw.count(b"\n") - raw.count(b"\r\n")
    return n if raw.endswith(b"\n") else n + 2


def make_store(root, name, count, size, seed):
    """Maildir root/name/Maildir and mbox root/name/mbox; returns paths."""
    d = os.path.join(root, name)
    md = os.path.join(d, "Maildir")
    mbox = os.path.join(d, "mbox")
    stamp = os.path.join(d, ".done")
    if os.path.exists(stamp):
        return md, mbox
    shutil.rmtree(d, ignore_errors=True)
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(md, sub))
    rng = random.Random(seed)
    with open(mbox, "wb") as mb:
        for i in range(count):
            raw = make_message(rng, i, size)
            t = 1700000000 + i
            # Delivery agents' names: size and wire size in the name.
            base = f"{t}.M{i}P{1000 + i % 5000}.bench,S={len(raw)},W={wire_size(raw)}"
            path = os.path.join(md, "new", base) if i % 5 == 0 else \
                os.path.join(md, "cur", base + ":2,S")
            with open(path, "wb") as f:
                f.write(raw)
            mb.write(b"From sender@example.org " +
                     time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(t)).encode() + b"\n")
            mb.write(re.sub(rb"(?m)^(>*From )", rb">\1", raw))
            mb.write(b"\n")
    for dirpath, dirs, files in os.walk(d):
        for x in dirs + files:
            os.chown(os.path.join(dirpath, x), BENCH_UID, BENCH_UID)
    os.chown(d, BENCH_UID, BENCH_UID)
    # Settled, as a mailbox that has not changed for a while is.
    old = time.time() - 60
    for sub in ("new", "cur"):
        os.utime(os.path.join(md, sub), (old, old))
    open(stamp, "w").close()
    return md, mbox

# ------------------------------------------------------------------ servers


class Server:
    """One way to run a POP3 server: argv + env on stdin/stdout."""

    def __init__(self, name, argv, env=None, login=None, greeting=True, cold=None,
                 vs=None, root=False, stub=False, tls=None, resume=False, listener=None,
                 warm=None):
        self.name, self.argv, self.env = name, argv, env or {}
        self.login = login          # (user, password) or None for preauth
        self.greeting = greeting    # sends a greeting line first
        self.cold = cold            # callable(store_dir): drop the server's caches
        self.warm = warm            # callable(store_dir) -> [what of them is there]
        self.vs = vs                # the onepop server a peer's ratio is taken against
        self.root = root            # started as root (it drops to the user itself)
        self.stub = stub            # not a server: the bound of client and machine
        self.tls = tls              # None, "implicit" or "stls" (RFC 2595)
        self.resume = resume        # the client presents the last session's ticket
        self.listener = listener    # callable(srv, wrap, wait) -> .port, .stop(); None: tcpserver

    def environ(self):
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        e.update(self.env)
        return e


def onepop_servers(onepop, work, mailbox, backend=None):
    pw = os.path.join(work, "passwd")
    home = os.path.dirname(mailbox)
    with open(pw, "w") as f:
        f.write(f"bench:{sha512_crypt('bench')}:{BENCH_UID}:{BENCH_UID}::{home}::\n")
    os.chmod(pw, 0o600)
    os.chown(pw, BENCH_UID, BENCH_UID)   # tcpserver runs the servers as the owner
    base = [onepop, f"--auth=passwd-file:{pw}", f"--mailbox={mailbox}", "--fail-delay=0"]
    if backend:
        base.append(f"--backend={backend}")
    tag = f"onepop-{backend}" if backend else "onepop"

    # The Maildir size cache (the mbox backend keeps none). The UIDL
    # ledger (onepop-uidl) stays: it holds no wire sizes, and a mailbox
    # has one from its first session on.
    caches = [os.path.join(mailbox, f) for f in ("onepop.cache", "onepop.cache.tmp")]

    def cold(_):
        for p in caches:
            if os.path.exists(p):
                os.unlink(p)

    def warm(_):
        return [p for p in caches if os.path.exists(p)]
    return (Server(tag + " preauth", base + ["--preauth=bench"], cold=cold, warm=warm),
            Server(tag + " login", base, login=("bench", "bench"), cold=cold, warm=warm))


def sha512_crypt(pw):
    out = subprocess.run(["openssl", "passwd", "-6", pw], capture_output=True, text=True)
    return "{SHA512-CRYPT}" + out.stdout.strip()


def dovecot_server(work, mailbox, mbox=False):
    if not os.path.exists("/usr/lib/dovecot/pop3"):
        return None
    conf = os.path.join(work, "dovecot.conf")
    with open(conf, "w") as f:
        f.write("protocols = pop3\nssl = no\nlog_path = /dev/null\n"
                "pop3_uidl_format = %f\nmail_uid = 65534\nmail_gid = 65534\n")
    home = os.path.dirname(mailbox)
    # Dovecot writes X-IMAPbase/X-UID/Status into an mbox it reads: it gets
    # its own copy, put back fresh for each cold figure.
    inbox = f"{home}/dovecot-inbox"
    mail = f"mbox:{home}/dovecot-mbox:INBOX={inbox}" if mbox else f"maildir:{mailbox}"

    def fresh_inbox():
        shutil.copyfile(mailbox, inbox + ".tmp")
        os.chown(inbox + ".tmp", BENCH_UID, BENCH_UID)
        os.rename(inbox + ".tmp", inbox)

    root = f"{home}/dovecot-mbox" if mbox else mailbox

    def state():
        # dovecot.index*, dovecot-uidlist (it keeps each message's W=
        # virtual size there when the name has none), dovecot-uidvalidity
        return [os.path.join(d, x) for d, _d, files in os.walk(root)
                for x in files if x.startswith("dovecot")]

    def cold(_):
        for p in state():
            os.unlink(p)
        if mbox:
            os.makedirs(root, exist_ok=True)
            os.chown(root, BENCH_UID, BENCH_UID)
            fresh_inbox()

    def warm(_):
        # In the mbox: the X-IMAPbase/X-UID headers it writes.
        return state() + ([inbox] if mbox and mbox_marked(inbox, (b"X-IMAPbase:", b"X-UID:"))
                          else [])
    if mbox and not os.path.exists(inbox):
        cold(None)
    # mail_location, not $MAIL: Dovecot 2.3's pop3 ignores $MAIL and
    # autodetects ~/Maildir, which every store directory here has.
    return Server("dovecot preauth" + (" mbox" if mbox else ""),
                  ["/usr/lib/dovecot/pop3", "-c", conf, "-o", f"mail_location={mail}"] +
                  (["-o", "pop3_uidl_format=%08Xu%08Xv"] if mbox else []),
                  env={"USER": "nobody", "HOME": home}, greeting=False, cold=cold, warm=warm,
                  vs="onepop-mbox preauth" if mbox else "onepop preauth")


def mbox_marked(path, headers):
    """Whether the first message of mbox path has one of headers (what a
    server writes into the mbox to find its state there next time)."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    end = head.find(b"\n\n")
    return any(b"\n" + h in head[:end if end >= 0 else len(head)] for h in headers)


def canned_server(work, srv):
    """A stand-in that replays srv's recorded replies to a full session
    (sh, cat and sed: three execs, no mailbox, no parsing): sessions/s
    with it bound what the client, tcpserver and the machine allow."""
    replies = os.path.join(work, "canned.replies")
    with open(replies, "wb") as f:
        subprocess.run(srv.argv, input=transcript(srv, 20), env=srv.environ(), stdout=f,
                       stderr=subprocess.DEVNULL, preexec_fn=as_owner)
    # Read the commands up to QUIT, so no unread data turns the close into a reset.
    return Server("canned replies (limit)", ["sh", "-c", 'cat "$0"; exec sed -n "/^QUIT/q"',
                                             replies], vs="onepop preauth", stub=True)


def spool_servers(peers, spool, store, mbox):
    """popa3d and Mailutils pop3d on their own accounts' copies of mbox
    (USER/PASS against the shadow file; both run as root from tcpserver)."""
    if not peers:
        return []
    root, tag = peers, os.path.basename(os.path.dirname(mbox))
    libs = f"{root}/usr/lib/x86_64-linux-gnu:{root}/lib/x86_64-linux-gnu"
    out = []
    for name, short, argv, env in (
            ("popa3d", "p", [f"{root}/usr/sbin/popa3d"], {}),
            ("mailutils", "m", [f"{root}/usr/sbin/pop3d", "--no-config", "--inetd"],
             {"LD_LIBRARY_PATH": libs})):
        user = f"opb-{short}-{tag}"
        spool.account(user, mbox)
        out.append(Server(name, argv, env=env, login=(user, spool_peers.PASSWORD), root=True,
                          vs="onepop-mbox login",
                          cold=lambda _s, u=user: spool.refill(u, mbox),
                          # Mailutils' X-UIDL and Status headers; popa3d keeps nothing.
                          warm=lambda _s, u=user: [f"/var/mail/{u}"] if mbox_marked(
                              f"/var/mail/{u}", (b"X-UIDL:",)) else []))
    return out

# ------------------------------------------------------------------ clients


class Conn:
    def __init__(self, port, tuned, tls=None):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.tuned = tuned
        if tuned:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.tls = tls              # a tls_peers.TlsClient, or None
        if tls and tls.mode == "implicit":
            self.s = tls.wrap(self.s)

    def _fill(self):
        if self.tuned:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        d = self.s.recv(1 << 20)
        if not d:
            raise EOFError("server closed")
        self.buf += d

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return out
            self._fill()

    def multi(self):
        first = self.line()
        if not first.startswith(b"+OK"):
            raise RuntimeError(first)
        start = 0
        while True:
            i = self.buf.find(b"\r\n.\r\n", start)
            if i >= 0 or self.buf.startswith(b".\r\n"):
                end = 3 if self.buf.startswith(b".\r\n") else i + 5
                n = end
                del self.buf[:end]
                return n
            start = max(0, len(self.buf) - 4)
            self._fill()

    def cmd(self, c, multi=False):
        self.s.sendall(c.encode() + b"\r\n")
        if multi:
            return self.multi()
        r = self.line()
        if not r.startswith(b"+OK"):
            raise RuntimeError(r)
        return r

    def start(self, srv):
        """Read the greeting and log in, as srv wants."""
        if srv.greeting:
            self.line()
        if self.tls and self.tls.mode == "stls":
            self.cmd("STLS")
            assert not self.buf, "bytes after the STLS reply"
            self.s = self.tls.wrap(self.s)
        if srv.login:
            self.cmd("USER " + srv.login[0])
            self.cmd("PASS " + srv.login[1])

    def close(self):
        if self.tls:
            self.tls.keep(self.s)
        # Wait for the server to hang up: then its mailbox lock is gone.
        # Over TLS that is the TLS close (close_notify): stunnel sends it
        # and then keeps the TCP connection until the client closes, so
        # waiting for the FIN there never ends (a run that tried it got 0
        # sessions/s for every stunnel row).
        try:
            while self.s.recv(65536):
                pass
        except OSError:
            pass
        self.s.close()


def client_tls(srv):
    return tls_peers.TlsClient(srv.tls, srv.resume) if srv.tls else None


def full_session(port, srv, tuned, retr=20, tls=None):
    c = Conn(port, tuned, tls)
    c.start(srv)
    c.cmd("STAT")
    c.cmd("UIDL", True)
    c.cmd("LIST", True)
    for i in range(1, retr + 1):
        c.cmd(f"RETR {i}", True)
    c.cmd("QUIT")
    c.close()


def _worker(args):
    port, srv, tuned, seconds = args
    n, t0 = 0, time.monotonic()
    lat = []
    tls = client_tls(srv)
    while time.monotonic() - t0 < seconds:
        a = time.monotonic()
        full_session(port, srv, tuned, tls=tls)
        lat.append(time.monotonic() - a)
        n += 1
    # A "resumed" figure with full handshakes in it would be a false one.
    if tls and tls.resume and tls.reused < tls.sessions - 1:
        raise RuntimeError(f"{srv.name}: {tls.reused} of {tls.sessions} sessions resumed")
    return n, time.monotonic() - t0, lat


class TcpServer:
    def __init__(self, srv, wrap=()):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        # As the mailbox owner: Dovecot's pop3 refuses a socket on stdin
        # as root. popa3d and Mailutils log in system users, so need root.
        owner = [] if srv.root else ["-u", str(BENCH_UID), "-g", str(BENCH_UID)]
        self.p = subprocess.Popen(["tcpserver", "-q", "-R", "-H", "-l", "0", "-c", "64"] +
                                  owner + ["127.0.0.1", str(self.port)] + list(wrap) + srv.argv,
                                  env=srv.environ(), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                probe = socket.create_connection(("127.0.0.1", self.port))
            except OSError:
                time.sleep(0.02)
                continue
            # Let the probe's session end, so it holds no mailbox lock.
            try:
                probe.sendall(b"QUIT\r\n")
                while probe.recv(65536):
                    pass
            except OSError:
                pass
            probe.close()
            time.sleep(0.05)
            return
        raise RuntimeError("tcpserver did not start")

    def stop(self):
        self.p.terminate()
        self.p.wait()


def listen(srv, wrap=(), wait=10):
    """srv listening on a loopback port: its own daemon, else tcpserver."""
    if srv.listener:
        return srv.listener(srv, wrap=wrap, wait=wait)
    return TcpServer(srv, wrap)


def run_workers(conc, arglist):
    """conc forked clients, client k running _worker(arglist[k])."""
    kids = []
    for k in range(conc):
        args = arglist[k]
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                out = json.dumps(_worker(args)).encode()
            except Exception as e:          # reported by the parent
                out = json.dumps({"error": repr(e)}).encode()
            os.write(w, out)
            os._exit(0)
        os.close(w)
        kids.append((pid, r))
    res = []
    for pid, r in kids:
        data = b""
        while True:
            d = os.read(r, 1 << 16)
            if not d:
                break
            data += d
        os.close(r)
        os.waitpid(pid, 0)
        v = json.loads(data)
        if isinstance(v, dict):
            raise RuntimeError(f"client failed: {v['error']}")
        res.append(v)
    return res


def sessions_per_s(copies, conc, tuned, seconds):
    """Each client has its own copy of the mailbox and its own tcpserver:
    onepop locks a mailbox for the session (Dovecot does not by default),
    so clients sharing one would measure lock waits."""
    tss = []
    try:
        for srv in copies[:conc]:
            tss.append(listen(srv))
        res = run_workers(conc, [(ts.port, srv, tuned, seconds) for ts, srv in
                                 zip(tss, copies)])
    finally:
        for ts in tss:
            ts.stop()
    n = sum(r[0] for r in res)
    lat = [x for r in res for x in r[2]]
    return n / max(r[1] for r in res), statistics.median(lat) * 1000


def timed_command(srv, command, from_connect, ready=None):
    """Seconds for one multi-line command (from connect, or from sending it);
    ready() runs once the listener is up, just before the connect."""
    ts = listen(srv)
    try:
        if ready:
            ready()
        t = time.monotonic()
        c = Conn(ts.port, True, client_tls(srv))
        c.start(srv)
        if not from_connect:
            t = time.monotonic()
        c.cmd(command, True)
        dt = time.monotonic() - t
        c.cmd("QUIT")
        c.close()
    finally:
        ts.stop()
    return dt


def retr_mbs(srv, size_bytes):
    return size_bytes / timed_command(srv, "RETR 1", False) / 1e6


def cat_mbs(wirefile, size_bytes, srv=None):
    """The RETR limit: a stand-in that reads the command line and `cat`s
    the finished wire image ("+OK" line, stuffed body, "."), read by the
    same client code and timed the same way as a server's RETR (srv: the
    same behind TLS)."""
    srv = srv or Server("cat", ["sh", "-c", 'read -r _; exec cat "$0"', wirefile],
                        greeting=False, stub=True)
    ts = listen(srv)
    try:
        c = Conn(ts.port, True, client_tls(srv))
        t = time.monotonic()
        c.cmd("RETR 1", True)
        dt = time.monotonic() - t
        c.close()
    finally:
        ts.stop()
    return size_bytes / dt / 1e6


class NotCold(RuntimeError):
    pass


def uidl_time(srv, store, cold):
    """Connect → end of UIDL, the store in the page cache (page_in). Cold:
    the server's caches are removed once its listener is up, since the
    listener's start-up probe (TcpServer) is a session of its own, and a
    preauth one scans the mailbox and leaves its caches behind; a cache
    still there then stops the run."""
    def ready():
        if cold and srv.cold:
            srv.cold(store)
        page_in(store)
        left = srv.warm(store) if cold and srv.warm else []
        if left:
            raise NotCold(f"{srv.name}: cold figure with caches in place: {', '.join(left)}")
    return timed_command(srv, "UIDL", True, ready)


C_TOOLS = {}    # name -> the built bench/NAME.c (c_tool)


def c_tool(work, name, shared=False):
    """bench/NAME.c built once a run into work (NAME.so with shared); its path."""
    if name not in C_TOOLS:
        exe = os.path.join(work, name + (".so" if shared else ""))
        flags = ["-shared", "-fPIC"] if shared else []
        subprocess.run(["cc", "-O2"] + flags + ["-o", exe, os.path.join(HERE, name + ".c")] +
                       (["-ldl"] if shared else []), check=True)
        C_TOOLS[name] = exe
    return C_TOOLS[name]


def forkprobe(work):
    """bench/forkprobe.c, the preload that lets valgrind's totals be
    corrected for what forked children inherit (tls_peers.fork_corrected)."""
    return c_tool(work, "forkprobe", shared=True)


def page_in(store):
    """Read a store (Maildir or mbox) into the page cache. This machine's
    page cache holds little more than one big store and is shared with
    whatever else runs, so what a session found there was chance: a cold
    100,000-message Maildir session took 1.8 s with every file cached and
    10-11 s with none (loaded machine). The copies the peers read (spools,
    Dovecot's mbox) are written just before, so are cached too."""
    if os.path.isdir(store):
        subprocess.run([C_TOOLS["readall"], store], check=True, stdout=subprocess.DEVNULL)
        return
    with open(store, "rb", buffering=0) as f:
        while f.read(1 << 20):
            pass


def transcript(srv, retr):
    t = ""
    if srv.login:
        t += f"USER {srv.login[0]}\r\nPASS {srv.login[1]}\r\n"
    t += "STAT\r\nUIDL\r\nLIST\r\n" + "".join(f"RETR {i}\r\n" for i in range(1, retr + 1))
    return (t + "QUIT\r\n").encode()


def as_owner():
    """Run as the mailbox owner, as tcpserver -u does."""
    os.setgroups([])
    os.setgid(BENCH_UID)
    os.setuid(BENCH_UID)


def instructions(srv, retr, work):
    """Instructions of one session on a pipe, by callgrind (deterministic),
    summed over every program the session execs (Dovecot's pop3 execs
    doveconf, which execs pop3 again), less what forked children inherited.
    Totals are read from the profiles: Dovecot closes valgrind's stderr."""
    d = tls_peers.lackey_dir(work, "callgrind")
    subprocess.run(tls_peers.valgrind_wrap(d, forkprobe(work), "callgrind") +
                   [f"--callgrind-out-file={d}/out.%p"] + srv.argv,
                   input=transcript(srv, retr), env=srv.environ(),
                   preexec_fn=None if srv.root else as_owner,
                   # pipes both ways: Dovecot's epoll refuses a file
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    totals = {}
    for f in os.listdir(d):
        if f.startswith("out."):
            m = re.search(r"^(?:summary|totals): (\d+)", open(os.path.join(d, f)).read(), re.M)
            if m:
                totals[int(f[4:])] = int(m.group(1))
    return tls_peers.fork_corrected(d, totals) or None


def instructions_lackey(srv, retr, work):
    """Instructions of one session on a pipe, by lackey's guest instruction
    count (deterministic; within 0.2% of callgrind's Ir), summed over
    every process, less what forked children inherited. For the servers
    that drop to the user or chroot before exit, where callgrind cannot
    write its profile: valgrind opens each process's log before it runs
    (at exec, or at fork in the child)."""
    d = tls_peers.lackey_dir(work, "pipe")
    subprocess.run(tls_peers.lackey_wrap(d, forkprobe(work)) + srv.argv,
                   input=transcript(srv, retr), env=srv.environ(),
                   preexec_fn=None if srv.root else as_owner,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return tls_peers.lackey_total(d) or None


def peak_rss_mb(srv, cmds):
    """Peak RSS through GNU time: ru_maxrss of a process forked from this
    Python would start at Python's own size (maxrss survives exec)."""
    t = b""
    if srv.login:
        t += f"USER {srv.login[0]}\r\nPASS {srv.login[1]}\r\n".encode()
    t += cmds + b"QUIT\r\n"
    r = subprocess.run(["/usr/bin/time", "-f", "maxrss=%M"] + srv.argv, input=t,
                       env=srv.environ(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    m = re.findall(rb"maxrss=(\d+)", r.stderr)
    return int(m[-1]) / 1024 if m else None

# ------------------------------------------------- Maildir without size hints


def make_plain_maildir(md):
    """Beside the hinted Maildir md, the same messages under the names
    Postfix's local(8) gives (TIME.VdevIinodeMusec.host, no ,S=/,W=),
    as many Maildirs have (Postfix, older Dovecot, maildrop, hand-made
    copies): cur/ NAME:2, and new/ NAME, as the hinted store splits them."""
    plain = os.path.join(os.path.dirname(md), "Maildir-plain")
    stamp = os.path.join(os.path.dirname(md), ".done-plain")
    if os.path.exists(stamp):
        return plain
    shutil.rmtree(plain, ignore_errors=True)
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(plain, sub))
    src = []
    for sub in ("new", "cur"):
        for n in os.listdir(os.path.join(md, sub)):
            src.append((int(n.split(".", 1)[0]), sub, n))
    src.sort()
    for i, (t, sub, n) in enumerate(src):
        tmp = os.path.join(plain, "tmp", "x")
        shutil.copyfile(os.path.join(md, sub, n), tmp)
        st = os.stat(tmp)
        base = f"{t}.V{st.st_dev:x}I{st.st_ino:x}M{(i * 7919) % 1000000}.bench"
        os.rename(tmp, os.path.join(plain, sub, base + ("" if sub == "new" else ":2,")))
        os.utime(os.path.join(plain, sub, base + ("" if sub == "new" else ":2,")), (t, t))
    for dirpath, dirs, files in os.walk(plain):
        for x in dirs + files:
            os.chown(os.path.join(dirpath, x), BENCH_UID, BENCH_UID)
    os.chown(plain, BENCH_UID, BENCH_UID)
    old = time.time() - 60
    for sub in ("new", "cur"):
        os.utime(os.path.join(plain, sub), (old, old))
    open(stamp, "w").close()
    return plain


def read_all_s(plain, work):
    """The physical limit of a cold scan: read every message and count its
    line ends, in C (bench/readall.c), the page cache warm as for the
    servers' cold rows; seconds from exec to exit."""
    exe = c_tool(work, "readall")
    page_in(plain)
    t = time.monotonic()
    subprocess.run([exe, plain], check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - t


def plain_maildir_rows(a, work, stores, sizes, row):
    md = stores["big"][0]
    plain = make_plain_maildir(md)
    d = os.path.join(work, "big")
    srv = list(onepop_servers(a.onepop, d, plain))
    dv = dovecot_server(d, plain)
    if dv:
        dv.name += " (no hints)"
        srv.append(dv)
    for s in srv:
        if s.name.startswith("onepop"):
            s.name = s.name.replace("onepop", "onepop (no hints)")
            s.vs = None
    if dv:
        dv.vs = "onepop (no hints) preauth"
    n = sizes["big"][0]
    limit = Server("read every file, count line ends (C; limit)", [], stub=True)
    cold = row(f"connect → end of UIDL, {n}-message Maildir without size hints "
               "(Postfix names), cold, s", srv + [limit], lambda v: f"{v:.3f}", "low")
    warm = row(f"connect → end of UIDL, {n}-message Maildir without size hints, warm, s",
               srv, lambda v: f"{v:.3f}", "low")
    # The hinted store again in the same run, for the ratio between the two.
    hinted = [s for s in onepop_servers(a.onepop, d, md)]
    hcold = row(f"connect → end of UIDL, {n}-message Maildir with size hints, cold, s",
                hinted, lambda v: f"{v:.3f}", "low")
    return srv, limit, plain, md, hinted, cold, warm, hcold, work


def plain_measure(t):
    srv, limit, plain, md, hinted, cold, warm, hcold, work = t
    for s in srv:
        cold[s.name].append(uidl_time(s, plain, True))
        warm[s.name].append(uidl_time(s, plain, False))
    cold[limit.name].append(read_all_s(plain, work))
    for s in hinted:
        hcold[s.name].append(uidl_time(s, md, True))

# ------------------------------------------------------------------ TLS


def popa3d_stunnel(work, d, popa3d, certkey, starttls):
    """listener(srv): stunnel exec'ing popa3d through bench/nodelay.c.
    stunnel joins the program to itself by a TCP loopback pair, and popa3d
    writes a multi-line reply in three writes with Nagle on its end, so
    each one waited for stunnel's delayed ACK: 44 ms a RETR, ~1 session/s
    (strace: popa3d's text written at .141873, stunnel's read of it at
    .184913). With TCP_NODELAY on popa3d's end a RETR takes 0.5 ms."""
    return tls_peers.stunnel_listener(d, c_tool(work, "nodelay"),
                                      ["nodelay", popa3d, "popa3d"], certkey, starttls)


def tls_setup(a, work, stores, peers, spool, has_mbox, kind, row, wire, wirefile):
    """The TLS servers and rows for one certificate type (see tls_peers)."""
    certkey = tls_peers.make_cert(work, kind)
    tkey = tls_peers.make_ticket_key(work)
    tls_args = [f"--tls-cert={certkey[0]}", f"--tls-key={certkey[1]}"]

    def onepop_tls(store, mailbox, backend=None):
        base = onepop_servers(a.onepop, os.path.join(work, store), mailbox, backend)[1]
        tag = "onepop" + (f"-{backend}" if backend else "")
        return [Server(f"{tag} pop3s", base.argv + ["--tls=implicit"] + tls_args,
                       login=base.login, tls="implicit"),
                Server(f"{tag} pop3s resumed", base.argv + ["--tls=implicit",
                                                            f"--tls-ticket-key={tkey}"] +
                       tls_args, login=base.login, tls="implicit", resume=True),
                Server(f"{tag} stls", base.argv + ["--tls=starttls"] + tls_args,
                       login=base.login, tls="stls")]

    def peers_tls(store, mailbox, mbox):
        d = os.path.join(work, store)
        out = []
        if os.path.exists("/usr/sbin/dovecot"):
            for mode in ("implicit", "stls"):
                name = "dovecot " + ("pop3s" if mode == "implicit" else "stls")
                out.append(Server(name, [], login=("bench", "bench"), tls=mode,
                                  vs="onepop " + name.split()[1],
                                  listener=tls_peers.dovecot_listener(
                                      os.path.join(d, f"dovecot-{mode}"), d, mailbox,
                                      os.path.join(d, "passwd"), certkey, mode == "stls")))
        for p in spool_servers(peers, spool, store, mbox)[:1]:       # popa3d
            for mode in ("implicit", "stls"):
                name = "popa3d+stunnel " + ("pop3s" if mode == "implicit" else "stls")
                out.append(Server(name, [], login=p.login, tls=mode,
                                  vs="onepop " + name.split()[1],
                                  listener=popa3d_stunnel(
                                      work, os.path.join(d, f"stunnel-{mode}"), p.argv[0],
                                      certkey, mode == "stls")))
        return out

    copies = []
    for k in range(4):
        store = f"small{k}" if k else "small"
        md, mb = stores[store]
        out = onepop_tls(store, md) + peers_tls(store, md, mb)
        # The limit: stunnel in front of a replay of onepop's replies.
        d = os.path.join(work, store)
        plain = onepop_servers(a.onepop, d, md)[1]
        replies = os.path.join(d, "canned-login.replies")
        with open(replies, "wb") as f:
            subprocess.run(plain.argv, input=transcript(plain, 20), env=plain.environ(),
                           stdout=f, stderr=subprocess.DEVNULL, preexec_fn=as_owner)
        prog = tls_peers.script(os.path.join(d, "canned-login.sh"),
                                f"cat '{replies}'; exec sed -n '/^QUIT/q'")
        out.append(Server("stunnel+canned replies (limit)", [], login=plain.login,
                          tls="implicit", stub=True, vs="onepop pop3s",
                          listener=tls_peers.stunnel_listener(
                              os.path.join(d, "stunnel-canned"), prog, ["canned-login.sh"],
                              certkey, False)))
        copies.append(out)
    small = copies[0]
    figs = []
    for conc in (1, 4):
        figs.append((row(f"TLS full session c={conc} (USER/PASS, 20 × RETR, handshake "
                         f"included; {kind}), sessions/s", small, lambda v: f"{v:.0f}"), conc))
    ins_srv = [s for s in small if s.name != "onepop stls" and "stls" not in s.name] + \
        [s for s in small if s.name == "onepop stls"]
    ins = row(f"instructions per TLS session (USER/PASS, 20 × RETR, lackey over every "
              f"process less fork-inherited; daemons: 1 session minus none; {kind}), M", ins_srv,
              lambda v: f"{v / 1e6:.2f}", "low")
    huge = []
    if wire:
        hmd, hmb = stores["huge"]
        huge = onepop_tls("huge", hmd)[:1]
        if has_mbox:
            huge += [s for s in onepop_tls("huge", hmb, "mbox")[:1]]
            huge[-1].vs = None
        huge += [s for s in peers_tls("huge", hmd, hmb) if "pop3s" in s.name]
        d = os.path.join(work, "huge")
        prog = tls_peers.script(os.path.join(d, "cat-wire.sh"),
                                f"read -r _; exec cat '{wirefile}'")
        huge.append(Server("stunnel+cat of the wire image (limit)", [], greeting=False,
                           tls="implicit", stub=True,
                           listener=tls_peers.stunnel_listener(
                               os.path.join(d, "stunnel-cat"), prog, ["cat-wire.sh"],
                               certkey, False)))
    retr = row(f"RETR of one {len(wire or b'') / 1e6:.0f} MB message over TLS ({kind}), MB/s",
               huge, lambda v: f"{v:.0f}")
    return copies, figs, ins, ins_srv, huge, retr, len(wire or b"")


def privsep_setup(a, work, stores, peers, spool, row):
    """Privilege separation before and after (issue 14): USER/PASS sessions
    of onepop started as root, as deployed (it splits: a sandboxed pre-auth
    process, the root monitor, then the user's process; over TLS a relay),
    beside the same binary started as the mailbox owner (nothing to split),
    the last commit before the split started as root (--onepop-before), and
    the peers that also fork for privilege separation: popa3d (plain, and
    behind stunnel) and Dovecot. Plaintext and implicit TLS (ECDSA P-256)."""
    certkey = tls_peers.make_cert(work, "ecdsa-p256")
    tls_args = ["--tls=implicit", f"--tls-cert={certkey[0]}", f"--tls-key={certkey[1]}"]
    after = "onepop as root (privsep)"

    def servers(store, tls):
        d = os.path.join(work, store)
        md, mb = stores[store]
        extra = tls_args if tls else []
        mode = "implicit" if tls else None
        cur = onepop_servers(a.onepop, d, md)[1]
        out = [Server(after, cur.argv + extra, login=cur.login, root=True, tls=mode),
               Server("no split: onepop as the owner", cur.argv + extra, login=cur.login,
                      tls=mode, vs=after)]
        if a.onepop_before:
            old = onepop_servers(a.onepop_before, d, md)[1]
            out.append(Server("before privsep: onepop " + a.onepop_before_name + " as root",
                              old.argv + extra, login=old.login, root=True, tls=mode, vs=after))
        if tls:
            if os.path.exists("/usr/sbin/dovecot"):
                out.append(Server("dovecot pop3s", [], login=("bench", "bench"), tls="implicit",
                                  vs=after, listener=tls_peers.dovecot_listener(
                                      os.path.join(d, "dovecot-privsep"), d, md,
                                      os.path.join(d, "passwd"), certkey, False)))
            for p in spool_servers(peers, spool, store, mb)[:1]:
                out.append(Server("popa3d+stunnel pop3s", [], login=p.login, tls="implicit",
                                  vs=after, listener=popa3d_stunnel(
                                      work, os.path.join(d, "stunnel-privsep"), p.argv[0],
                                      certkey, False)))
        else:
            # popa3d forks for privilege separation too; Dovecot's plain
            # rows are preauth (no login) and have no place here.
            for p in spool_servers(peers, spool, store, mb)[:1]:
                p.vs = after
                out.append(p)
        return out

    groups = []
    for tls in (False, True):
        copies = [servers(f"small{k}" if k else "small", tls) for k in range(4)]
        kind = "implicit TLS, ECDSA P-256" if tls else "plaintext"
        figs = [(row(f"privsep: USER/PASS session c={conc} ({kind}, 20 × RETR), sessions/s",
                     copies[0], lambda v: f"{v:.0f}"), conc) for conc in (1, 4)]
        ins = row(f"privsep: instructions per USER/PASS session ({kind}, 20 × RETR, lackey "
                  "over every process less fork-inherited), M", copies[0],
                  lambda v: f"{v / 1e6:.2f}", "low")
        groups.append((copies, figs, ins, tls))
    return groups


def privsep_measure(groups, work, seconds, first):
    for copies, figs, ins, tls in groups:
        small = copies[0]
        for vals, conc in figs:
            for j, s in enumerate(small):
                v, _lat = sessions_per_s([c[j] for c in copies], conc, True, seconds)
                vals[s.name].append(v)
        if not first:
            continue
        for s in small:
            try:
                if tls:
                    v = tls_instructions(s, work, 1) - tls_instructions(s, work, 0)
                elif s.listener:
                    v = None
                else:
                    v = instructions_lackey(s, 20, work)
            except (RuntimeError, OSError) as e:
                print(f"instructions of {s.name}: {e}", file=sys.stderr)
                v = None
            ins[s.name].append(v)


def tls_instructions(srv, work, sessions, resume=False):
    """lackey's guest instructions summed over every process of srv's
    listener (tcpserver's children, or a whole daemon) across `sessions`
    full sessions in a row; one client, so resume presents each ticket."""
    d = tls_peers.lackey_dir(work, "tls")
    ts = listen(srv, wrap=tls_peers.lackey_wrap(d, forkprobe(work)), wait=180)
    try:
        tls = tls_peers.TlsClient(srv.tls, resume)
        for _ in range(sessions):
            full_session(ts.port, srv, True, tls=tls)
    finally:
        ts.stop()
    if resume and tls.reused != sessions - 1:
        raise RuntimeError(f"{srv.name}: {tls.reused} of {sessions} sessions resumed")
    # tcpserver's children may still be writing their totals.
    for _ in range(600):
        if tls_peers.lackey_finished(d):
            break
        time.sleep(0.1)
    return tls_peers.lackey_total(d)


def tls_measure(t, work, seconds, first):
    copies, figs, ins, ins_srv, huge, retr, nwire = t
    small = copies[0]
    for vals, conc in figs:
        for j, s in enumerate(small):
            v, _lat = sessions_per_s([c[j] for c in copies], conc, True, seconds)
            vals[s.name].append(v)
    if first:
        # Deterministic: once. A resumed session is the second of two.
        for s in ins_srv:
            try:
                if s.resume:
                    v = tls_instructions(s, work, 2, True) - tls_instructions(s, work, 1)
                else:
                    v = tls_instructions(s, work, 1) - tls_instructions(s, work, 0)
            except (RuntimeError, OSError) as e:
                print(f"instructions of {s.name}: {e}", file=sys.stderr)
                v = None
            ins[s.name].append(v)
    for s in huge:
        if s.stub:
            retr[s.name].append(cat_mbs(None, nwire, s))
        else:
            retr[s.name].append(retr_mbs(s, nwire))

# ------------------------------------------------------------------ table


def summarize(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def fmt(s, unit_fmt):
    if not s:
        return "n/a"
    med, lo, hi = s
    if lo == hi:
        return unit_fmt(med)
    return f"{unit_fmt(med)} ({unit_fmt(lo)}–{unit_fmt(hi)})"


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}, {os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}"


def peer_versions(peers):
    out = []
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "dovecot-pop3d"],
                       capture_output=True, text=True)
    if r.returncode == 0:
        out.append(f"Dovecot {r.stdout}")
    if peers:
        pd = os.path.dirname(peers)
        out += [f"popa3d {spool_peers.version('popa3d', pd)}",
                f"Mailutils {spool_peers.version('mailutils-pop3d', pd)}"]
    return ", ".join(out) + " (Debian packages)"


def main():
    # Undo the spool accounts on a kill too (atexit runs on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small stores, 1 repetition")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3.0, help="per sessions/s figure")
    ap.add_argument("--work", default="/tmp/onepop-bench")
    ap.add_argument("--no-spool-peers", action="store_true",
                    help="leave out popa3d and Mailutils (they make system accounts)")
    ap.add_argument("--onepop", default=os.path.join(TOP, "build-bench", "onepop"))
    ap.add_argument("--rows", default="classic,plain,tls,privsep",
                    help="comma list: classic (the plaintext rows), plain (the Maildir "
                    "without size hints), tls (POP3S and STLS), privsep (privilege "
                    "separation before and after)")
    ap.add_argument("--onepop-before", default=None,
                    help="privsep rows: a build of the commit before the split")
    ap.add_argument("--onepop-before-name", default="before",
                    help="privsep rows: what to call it (the commit)")
    ap.add_argument("--tls-key-type", default="ecdsa-p256",
                    help="comma list of " + ", ".join(tls_peers.KEY_TYPES))
    ap.add_argument("--no-instructions", action="store_true",
                    help="leave out the TLS instruction counts (valgrind, slow)")
    a = ap.parse_args()
    sel = set(a.rows.split(","))
    if sel - {"classic", "plain", "tls", "privsep"}:
        ap.error(f"--rows: classic, plain, tls, privsep, not {a.rows}")
    key_types = a.tls_key_type.split(",")
    if set(key_types) - set(tls_peers.KEY_TYPES):
        ap.error(f"--tls-key-type: {', '.join(tls_peers.KEY_TYPES)}")
    if a.quick:
        a.reps, a.seconds = 1, 1.0
        sizes = {"small": (20, 10_000), "mid": (500, 5_000), "big": (2_000, 2_000),
                 "huge": (1, 5_000_000)}
    else:
        sizes = {"small": (20, 10_000), "mid": (10_000, 5_000), "big": (100_000, 2_000),
                 "huge": (1, 50_000_000)}
    for k in range(1, 4):
        sizes[f"small{k}"] = sizes["small"]
    work = os.path.join(a.work, "quick" if a.quick else "full")
    os.makedirs(work, exist_ok=True)
    os.chown(a.work, BENCH_UID, BENCH_UID)
    os.chown(work, BENCH_UID, BENCH_UID)
    c_tool(work, "readall")
    print(f"generating stores in {work} ...", file=sys.stderr)

    class Stores(dict):
        """Made on first use: a run of some rows makes only their stores."""
        def __missing__(self, k):
            n, sz = sizes[k]
            v = self[k] = make_store(work, k, n, sz, seed=hash(k[:4]) & 0xffff)
            return v
    stores = Stores()
    wire = wirefile = None
    if sel & {"classic", "tls"}:
        huge_raw = open(os.path.join(stores["huge"][0], "cur",
                                     os.listdir(os.path.join(stores["huge"][0], "cur"))[0])
                        if os.listdir(os.path.join(stores["huge"][0], "cur"))
                        else os.path.join(stores["huge"][0], "new",
                                          os.listdir(os.path.join(stores["huge"][0], "new"))[0]),
                        "rb").read()
        wire = b"+OK\r\n" + wire_of(huge_raw)
        wirefile = os.path.join(work, "huge.wire")
        with open(wirefile, "wb") as f:
            f.write(wire)
        del huge_raw

    backends = subprocess.run([a.onepop, "--list-backends"], capture_output=True,
                              text=True).stdout.split()
    has_mbox = "mbox" in backends
    peers = None if a.no_spool_peers else spool_peers.unpack(os.path.join(a.work, "peers"))
    spool = spool_peers.Spool()
    if peers:
        spool.popa3d_setup(peers)

    def servers_for(store, mbox=False, login=False, spool_too=False):
        """onepop (preauth, and login when asked) on the store's Maildir or
        mbox, Dovecot on the same, and popa3d and Mailutils on copies of
        the mbox in their accounts' spools when spool_too."""
        md, mb = stores[store]
        out = [s for s in onepop_servers(a.onepop, os.path.join(work, store),
                                         mb if mbox else md, "mbox" if mbox else None)
               if login or "login" not in s.name]
        d = dovecot_server(os.path.join(work, store), mb if mbox else md, mbox)
        if d:
            out.append(d)
        if spool_too:
            out += spool_servers(peers, spool, store, mb)
        return out

    def small_servers(store):
        out = servers_for(store, login=True)
        if has_mbox:
            out.insert(2, onepop_servers(a.onepop, os.path.join(work, store),
                                         stores[store][1], "mbox")[1])
        out += spool_servers(peers, spool, store, stores[store][1])
        return out + [canned_server(os.path.join(work, store), out[0])]

    rows = []      # (figure, {server: [values]}, fmt, better, {server: vs})
    R = a.reps
    load_at_start = open("/proc/loadavg").read().split()[:3]

    def row(figure, servers, f, better="high"):
        vals = {s.name: [] for s in servers}
        rows.append((figure, vals, f, better, {s.name: s.vs for s in servers}))
        return vals

    classic = "classic" in sel
    mbox_rows = []
    if classic:
        copies = [small_servers(f"small{k}" if k else "small") for k in range(4)]
        small = copies[0]
        # The canned stub only with the tuned client: it answers nothing after
        # connect, so the ordinary client's Nagle waits on its delayed ACKs.
        servers = [s for s in small if not s.stub]
        figs = []
        for conc in (1, 4):
            for tuned in (True, False):
                name = f"full session c={conc}, {'tuned' if tuned else 'ordinary'} client, sessions/s"
                figs.append((row(name, small if tuned else servers, lambda v: f"{v:.0f}"),
                             conc, tuned))
        lat_ord = row("full session c=1 latency, ordinary client, ms", servers,
                      lambda v: f"{v:.1f}", "low")
        lat_tun = row("full session c=1 latency, tuned client, ms", small,
                      lambda v: f"{v:.1f}", "low")
        pre = [s for s in servers if not s.login]
        logins = [s for s in servers if s.login]
        ins = row("instructions per preauth session (20 × RETR, pipe, callgrind), M", pre,
                  lambda v: f"{v / 1e6:.2f}", "low")
        ins_login = row("instructions per USER/PASS session (SHA512-crypt, 20 × RETR, pipe, "
                        "lackey less fork-inherited), M", logins,
                        lambda v: f"{v / 1e6:.2f}", "low")
        rss_small = row("peak RSS, 20-message session, MB", servers, lambda v: f"{v:.1f}", "low")
        huge = servers_for("huge", spool_too=True)
        if has_mbox:
            huge[1:1] = servers_for("huge", mbox=True)[:1]
        retr = row(f"RETR of one {len(wire) / 1e6:.0f} MB message, MB/s (cat of wire image: see row below)",
                   huge, lambda v: f"{v:.0f}")
        catrow = row("cat of the same wire image over the same path and client, MB/s",
                     [Server("cat", [])], lambda v: f"{v:.0f}")
        big = servers_for("big")
        nbig = sizes["big"][0]
        cold = row(f"connect → end of UIDL, {nbig}-message Maildir, cold, s", big,
                   lambda v: f"{v:.3f}", "low")
        warm = row(f"connect → end of UIDL, {nbig}-message Maildir, warm, s", big,
                   lambda v: f"{v:.3f}", "low")
        rss_big = row(f"peak RSS, {nbig}-message Maildir, UIDL, MB", big,
                      lambda v: f"{v:.1f}", "low")
        if has_mbox or peers:
            bigm = (servers_for("big", True, login=True) if has_mbox else []) + \
                spool_servers(peers, spool, "big", stores["big"][1])
            mcold = row(f"connect → end of UIDL, {nbig}-message mbox, cold, s", bigm,
                        lambda v: f"{v:.3f}", "low")
            mwarm = row(f"connect → end of UIDL, {nbig}-message mbox, warm, s", bigm,
                        lambda v: f"{v:.3f}", "low")
            mrss = row(f"peak RSS, {nbig}-message mbox, UIDL, MB", bigm,
                       lambda v: f"{v:.1f}", "low")
            mbox_rows = [(bigm, mcold, mwarm, mrss)]
    if "plain" in sel:
        plain_rows = plain_maildir_rows(a, work, stores, sizes, row)
    if "tls" in sel:
        tls_rows = [tls_setup(a, work, stores, peers, spool, has_mbox, kt, row, wire,
                              wirefile) for kt in key_types]

    if "privsep" in sel:
        privsep_rows = privsep_setup(a, work, stores, peers, spool, row)

    for rep in range(R):
        print(f"repetition {rep + 1}/{R}", file=sys.stderr)
        if classic:
            for vals, conc, tuned in figs:
                for j, s in enumerate(small):
                    if s.stub and not tuned:
                        continue
                    v, lat = sessions_per_s([c[j] for c in copies], conc, tuned, a.seconds)
                    vals[s.name].append(v)
                    if conc == 1:
                        (lat_tun if tuned else lat_ord)[s.name].append(lat)
            transcript20 = b"STAT\r\nUIDL\r\nLIST\r\n" + \
                b"".join(b"RETR %d\r\n" % i for i in range(1, 21))
            for s in servers:
                if s.login:
                    ins_login[s.name].append(instructions_lackey(s, 20, work))
                else:
                    ins[s.name].append(instructions(s, 20, work))
                rss_small[s.name].append(peak_rss_mb(s, transcript20))
            catrow["cat"].append(cat_mbs(wirefile, len(wire)))
            for s in huge:
                retr[s.name].append(retr_mbs(s, len(wire)))
            for s in big:
                cold[s.name].append(uidl_time(s, stores["big"][0], True))
                warm[s.name].append(uidl_time(s, stores["big"][0], False))
                rss_big[s.name].append(peak_rss_mb(s, b"UIDL\r\n"))
        for bigm, mcold, mwarm, mrss in mbox_rows:
            for s in bigm:
                mcold[s.name].append(uidl_time(s, stores["big"][1], True))
                mwarm[s.name].append(uidl_time(s, stores["big"][1], False))
                mrss[s.name].append(peak_rss_mb(s, b"UIDL\r\n"))
        if "plain" in sel:
            plain_measure(plain_rows)
        if "tls" in sel:
            for t in tls_rows:
                tls_measure(t, work, a.seconds, first=rep == 0 and not a.no_instructions)
        if "privsep" in sel:
            privsep_measure(privsep_rows, work, a.seconds,
                            first=rep == 0 and not a.no_instructions)

    # The table: one line per figure and server, with onepop's ratio to it.
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    out = [f"# onepop benchmark, {when}", "", f"Machine: {machine()}", "",
           f"Mode: {'quick' if a.quick else 'full'}, {R} repetition(s), interleaved; "
           "median (min–max); ratio = onepop ÷ peer (for times and sizes, lower is better).", "",
           f"Load average at start: {' '.join(load_at_start)}; rows: {a.rows}.", "",
           "| figure | server | value | ratio onepop/peer |", "|---|---|---|---|"]
    for figure, vals, f, better, vs in rows:
        ones = {k: summarize(v) for k, v in vals.items() if k.startswith("onepop")}
        for name, v in vals.items():
            s = summarize(v)
            ratio = ""
            if not name.startswith("onepop") and s and s[0]:
                want = vs.get(name) or ""
                mine = ones.get(want) or ones.get(want.replace("login", "preauth")) or \
                    next(iter(ones.values()), None)
                if mine:
                    ratio = f"{mine[0] / s[0]:.2f}"
            out.append(f"| {figure} | {name} | {fmt(s, f)} | {ratio} |")
    out += ["", "Peers: " + peer_versions(peers)]
    if not has_mbox:
        out += ["", "onepop mbox rows skipped: `onepop --list-backends` does not list mbox."]
    if not peers:
        out += ["", "popa3d and mailutils-pop3d not measured (not fetched; see bench/README.md)."]
    text = "\n".join(out) + "\n"
    print(text)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    fn = os.path.join(HERE, "results",
                      f"{datetime.date.today()}-{platform.node()}{'-quick' if a.quick else ''}.md")
    with open(fn, "w") as f:
        f.write(text)
    print(f"written to {fn}", file=sys.stderr)


if __name__ == "__main__":
    main()
