"""The TLS side of the benchmark: certificates, the client's TLS, and the
peers that terminate TLS themselves.

Every server uses the same certificate and key (ECDSA P-256 by default,
RSA-2048 with --tls-key-type=rsa-2048), all through OpenSSL:
  onepop       --tls=implicit / --tls=starttls under tcpserver, one
               process per connection; "resumed" adds --tls-ticket-key
               and a client that presents the previous session's ticket.
  Dovecot      a whole daemon (master, config, auth, log, anvil): its
               pop3-login process terminates TLS (pop3s and STLS) and
               relays to the pop3 process after login.
  stunnel4     in front of popa3d (exec per connection, the classic POP3S
               set-up; "protocol = pop3" for STLS), and in front of the
               stand-ins that bound the client and machine: the canned
               replies of a session and `cat` of a RETR's wire image.
Daemons are started and stopped per measurement, as tcpserver is.
"""
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

BENCH_UID = 65534
KEY_TYPES = {
    "ecdsa-p256": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
    "rsa-2048": ["-newkey", "rsa:2048"],
}


def make_cert(work, kind):
    """A self-signed certificate and key of kind, readable by the mailbox
    owner (tcpserver starts onepop as the owner); returns (cert, key)."""
    cert = os.path.join(work, f"{kind}.cert.pem")
    key = os.path.join(work, f"{kind}.key.pem")
    if not (os.path.exists(cert) and os.path.exists(key)):
        subprocess.run(["openssl", "req", "-x509"] + KEY_TYPES[kind] +
                       ["-nodes", "-keyout", key, "-out", cert, "-days", "365",
                        "-subj", "/CN=localhost"], check=True, capture_output=True)
    for f in (cert, key):
        os.chown(f, BENCH_UID, BENCH_UID)
    os.chmod(key, 0o600)
    return cert, key


def make_ticket_key(work):
    """One 80-octet key for onepop's --tls-ticket-key, mode 0600."""
    path = os.path.join(work, "ticket.key")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(os.urandom(80))
    os.chmod(path, 0o600)
    os.chown(path, BENCH_UID, BENCH_UID)
    return path


class TlsClient:
    """The client side, one per benchmark client: TLS 1.3 (what every
    peer negotiates by default), no certificate check (self-signed).
    With resume, each session presents the previous one's ticket."""

    def __init__(self, mode, resume=False):
        self.mode, self.resume = mode, resume
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.session = None
        self.sessions = self.reused = 0

    def wrap(self, sock):
        s = self.ctx.wrap_socket(sock, session=self.session if self.resume else None)
        self.sessions += 1
        self.reused += bool(s.session_reused)
        return s

    def keep(self, sock):
        """Called before close: the session (and its ticket) to resume."""
        if self.resume:
            try:
                self.session = sock.session
            except (AttributeError, ValueError):
                self.session = None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, seconds):
    """Wait until 127.0.0.1:port accepts (a bare connect, closed at once)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            time.sleep(0.05)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {seconds} s")


class Daemon:
    """A TLS-terminating daemon for one measurement: .port, .stop()."""

    def __init__(self, argv, port, env=None, wrap=(), wait=10):
        self.port = port
        self.p = subprocess.Popen(list(wrap) + argv, env=env or {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_port(port, self.p, wait)
        except RuntimeError:
            self.stop()
            raise

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()


def stunnel_conf(d, port, cert, key, prog, args, starttls):
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "stunnel.conf")
    with open(conf, "w") as f:
        f.write("foreground = yes\npid =\noutput = /dev/null\n"
                "[pop3]\n"
                f"accept = 127.0.0.1:{port}\n"
                f"exec = {prog}\nexecArgs = {' '.join(args)}\n"
                f"cert = {cert}\nkey = {key}\n"
                "sslVersionMin = TLSv1.2\n"
                # Without it each reply line the program writes separately
                # waits out the client's delayed ACK (40 ms a command).
                "socket = l:TCP_NODELAY=1\n" +
                ("protocol = pop3\n" if starttls else ""))
    return conf


def stunnel_listener(d, prog, args, certkey, starttls, env=None):
    """listener(srv) for Server: stunnel4 exec'ing prog per connection."""
    def start(_srv, wrap=(), wait=10):
        port = free_port()
        conf = stunnel_conf(d, port, certkey[0], certkey[1], prog, args, starttls)
        return Daemon(["stunnel4", conf], port, env=env, wrap=wrap, wait=wait)
    return start


def script(path, body):
    """A stand-in program for stunnel's exec (it takes no shell line)."""
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return path


def dovecot_listener(d, home, mailbox, passwd, certkey, starttls):
    """listener(srv): a private Dovecot instance (its own base_dir) whose
    pop3-login terminates TLS; passdb and userdb from the same
    passwd-file as onepop's (Dovecot's format), SHA512-CRYPT."""
    def start(_srv, wrap=(), wait=20):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        plain, tls = free_port(), free_port()
        # Read by the auth process, which runs as Dovecot's internal user.
        pw = os.path.join(d, "passwd")
        shutil.copyfile(passwd, pw)
        dv = pwd.getpwnam("dovecot")
        os.chown(pw, dv.pw_uid, dv.pw_gid)
        os.chmod(pw, 0o600)
        conf = os.path.join(d, "dovecot.conf")
        dh = "/usr/share/dovecot/dh.pem"
        with open(conf, "w") as f:
            f.write(f"""protocols = pop3
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = onepop-bench-{os.path.basename(d)}
log_path = {d}/log
ssl = required
ssl_cert = <{certkey[0]}
ssl_key = <{certkey[1]}
ssl_min_protocol = TLSv1.2
{f'ssl_dh = <{dh}' if os.path.exists(dh) else ''}
auth_mechanisms = plain
passdb {{
  driver = passwd-file
  args = scheme=SHA512-CRYPT {pw}
}}
userdb {{
  driver = passwd-file
  args = {pw}
}}
mail_location = maildir:{mailbox}
pop3_uidl_format = %f
service pop3-login {{
  inet_listener pop3 {{
    port = {plain}
  }}
  inet_listener pop3s {{
    port = {tls}
    ssl = yes
  }}
}}
""")
        return Daemon(["dovecot", "-F", "-c", conf], plain if starttls else tls,
                      wrap=wrap, wait=wait)
    return start


def valgrind_logs(d):
    """pid -> the texts of its valgrind logs in d (LOG_NAME: one a process
    image, so a pid that exec'd has more than one, the one from before the
    exec without totals)."""
    logs = {}
    for f in os.listdir(d):
        m = re.fullmatch(r"(\d+)\.\d+\.log", f)
        if m:
            with open(os.path.join(d, f), errors="replace") as fh:
                logs.setdefault(int(m.group(1)), []).append(fh.read())
    return logs


def fork_corrected(d, totals):
    """The sum of totals (pid -> instructions valgrind reported for it)
    less what forked children inherited: bench/forkprobe.c records each
    fork as "PROBE CHILD" in d/PARENT.fork, PROBE's total being the
    parent's count at the fork. It is taken off twice, for the probe and
    for the child, unless the child exec'd (a fresh count; its log from
    before the exec is the second) or left no total."""
    logs = valgrind_logs(d)
    total = sum(totals.values())
    for f in os.listdir(d):
        if not f.endswith(".fork"):
            continue
        with open(os.path.join(d, f)) as fh:
            for line in fh:
                probe, child = (int(x) for x in line.split())
                inherited = totals.get(probe, 0)
                total -= inherited
                if child in totals and len(logs.get(child, ())) == 1:
                    total -= inherited
    return total


def lackey_totals(d):
    """pid -> 'guest instrs' of its last process image, from lackey's logs."""
    totals = {}
    for pid, texts in valgrind_logs(d).items():
        for t in texts:
            m = re.search(r"guest instrs:\s+([\d,]+)", t)
            if m:
                totals[pid] = totals.get(pid, 0) + int(m.group(1).replace(",", ""))
    return totals


def lackey_finished(d):
    """Whether every process has written its totals (after an exec, the
    log from before it never gets them)."""
    return all(any("guest instrs:" in t for t in texts)
               for texts in valgrind_logs(d).values())


def lackey_total(d):
    """'guest instrs' summed over every process with a log in d, less what
    forked children inherited (fork_corrected)."""
    return fork_corrected(d, lackey_totals(d))


def lackey_dir(work, tag):
    d = os.path.join(work, "lackey-" + tag)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    os.chmod(d, 0o1777)      # written by each process, after any drop to a user
    return d


LOG_NAME = "%p.%n.log"      # valgrind's: one log a process image


def valgrind_wrap(d, probe, tool):
    """valgrind over every process, logs in d, with bench/forkprobe.c
    (built as probe) preloaded into them: valgrind hands the environment
    to its client and prepends its own preload to LD_PRELOAD."""
    return ["env", f"LD_PRELOAD={probe}", f"ONEPOP_BENCH_FORKPROBE={d}",
            "valgrind", f"--tool={tool}", "--trace-children=yes",
            f"--log-file={d}/{LOG_NAME}"]


def lackey_wrap(d, probe):
    return valgrind_wrap(d, probe, "lackey")
