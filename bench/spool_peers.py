"""popa3d and GNU Mailutils pop3d as benchmark peers.

Both conflict with dovecot-pop3d in Debian, so they are never installed:
their packages (and the libraries Mailutils needs that are not on the
machine) are fetched with `apt-get download` and unpacked with `dpkg -x`
into PEERS/root. Both serve /var/mail/USER of a system account checked
against the shadow file, so the benchmark makes one account per mailbox
copy (SHA512-crypt password "bench") and removes the accounts, their
spool files and what popa3d needs (its PAM file, its account, its empty
chroot /var/lib/popa3d) when it ends.
"""
import atexit
import os
import pwd
import shutil
import subprocess
import time

PASSWORD = "bench"
# What mailutils-pop3d 3.15 needs beyond its own package on a Debian 12
# machine that has Dovecot (found with dpkg -I, recursively). Unpacked
# privately, so nothing on the machine changes.
MAILUTILS_DEBS = ["mailutils-pop3d", "libmailutils9", "libmu-dbm9", "mailutils-common",
                  "libkyotocabinet16v5", "guile-3.0-libs", "libltdl7", "libmariadb3",
                  "liblzo2-2"]


def _sh(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def unpack(peers_dir):
    """PEERS/root with popa3d and pop3d in usr/sbin; None when the
    packages cannot be fetched (no network, no apt)."""
    root = os.path.join(peers_dir, "root")
    if os.path.exists(os.path.join(root, ".done")):
        return root
    debs = os.path.join(peers_dir, "deb")
    os.makedirs(debs, exist_ok=True)
    r = subprocess.run(["apt-get", "download", "popa3d"] + MAILUTILS_DEBS, cwd=debs,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        print(f"peers: apt-get download failed: {r.stderr.strip()[-300:]}")
        return None
    shutil.rmtree(root, ignore_errors=True)
    for f in sorted(os.listdir(debs)):
        if f.endswith(".deb"):
            _sh("dpkg-deb", "-x", os.path.join(debs, f), root)
    open(os.path.join(root, ".done"), "w").close()
    return root


def version(pkg, peers_dir):
    debs = os.path.join(peers_dir, "deb")
    for f in os.listdir(debs):
        if f.startswith(pkg + "_"):
            return f.split("_")[1].replace("%3a", ":")
    return "?"


class Spool:
    """System accounts with /var/mail spools, undone at exit."""

    def __init__(self):
        self.users, self.files, self.undo = [], [], []
        atexit.register(self.cleanup)

    def popa3d_setup(self, root):
        """popa3d's compiled-in needs: PAM service popa3d, account popa3d
        and its empty chroot /var/lib/popa3d (the pre-login half runs there)."""
        pam = "/etc/pam.d/popa3d"
        if not os.path.exists(pam):
            shutil.copy(os.path.join(root, "etc/pam.d/popa3d"), pam)
            self.undo.append(lambda: os.unlink(pam))
        if not os.path.isdir("/var/lib/popa3d"):
            os.makedirs("/var/lib/popa3d")
            self.undo.append(lambda: os.rmdir("/var/lib/popa3d"))
        try:
            pwd.getpwnam("popa3d")
        except KeyError:
            _sh("useradd", "-r", "-M", "-d", "/var/lib/popa3d", "-s", "/usr/sbin/nologin",
                "popa3d")
            self.undo.append(lambda: _sh("userdel", "popa3d"))

    def account(self, user, mbox):
        """user with password PASSWORD and a copy of mbox as its spool."""
        try:
            pwd.getpwnam(user)
        except KeyError:
            crypt = subprocess.run(["openssl", "passwd", "-6", PASSWORD], check=True,
                                   capture_output=True, text=True).stdout.strip()
            _sh("useradd", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin",
                "-p", crypt, user)
            self.users.append(user)
        spool = f"/var/mail/{user}"
        self.files.append(spool)
        self.refill(user, mbox)
        return spool

    def refill(self, user, mbox):
        """Put the store's mbox back, as the account's, undoing what a
        server wrote into it (Mailutils adds X-UIDL and Status headers)."""
        spool = f"/var/mail/{user}"
        tmp = spool + ".bench-tmp"
        shutil.copyfile(mbox, tmp)
        pw = pwd.getpwnam(user)
        os.chown(tmp, pw.pw_uid, 8)        # group mail, as Debian's spool
        os.chmod(tmp, 0o660)
        # Settled, as a spool not written in the last minute is (popa3d
        # waits out a mailbox modified within the current second).
        old = time.time() - 60
        os.utime(tmp, (old, old))
        os.rename(tmp, spool)

    def cleanup(self):
        for f in self.files:
            for p in (f, f + ".lock", f + ".bench-tmp"):
                if os.path.exists(p):
                    os.unlink(p)
        self.files = []
        for u in self.users:
            subprocess.run(["userdel", u], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        self.users = []
        while self.undo:
            try:
                self.undo.pop()()
            except (OSError, subprocess.CalledProcessError):
                pass
