#!/usr/bin/python3
"""A POP3 client that logs in with the strongest mechanism the server
offers, as Thunderbird's account set-up does: CRAM-MD5 if CAPA's SASL line
lists it, else APOP if the greeting carries a timestamp, else AUTH PLAIN,
else USER/PASS. It tries once and says what it chose and how it went.

usage: strongest_client.py USER PASSWORD   (the server on stdin/stdout
is a subprocess: the remaining arguments are its command line)
Prints "MECHANISM ok" or "MECHANISM failed: REPLY".
"""
import base64
import hashlib
import hmac
import re
import subprocess
import sys


def main():
    user, password, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    r, w = p.stdout, p.stdin

    def line():
        return r.readline().decode("latin-1").rstrip("\r\n")

    def send(text):
        w.write(text.encode("latin-1") + b"\r\n")
        w.flush()

    greeting = line()
    stamp = re.search(r"<[^>]+>", greeting)
    send("CAPA")
    sasl = []
    if line().startswith("+OK"):
        while True:
            cap = line()
            if cap == ".":
                break
            if cap.startswith("SASL "):
                sasl = cap.split()[1:]
    if "CRAM-MD5" in sasl:
        mech = "CRAM-MD5"
        send("AUTH CRAM-MD5")
        challenge = base64.b64decode(line()[2:])
        digest = hmac.new(password.encode(), challenge, hashlib.md5).hexdigest()
        send(base64.b64encode(("%s %s" % (user, digest)).encode()).decode())
    elif stamp:
        mech = "APOP"
        send("APOP %s %s" % (user, hashlib.md5((stamp.group(0) + password).encode()).hexdigest()))
    elif "PLAIN" in sasl:
        mech = "PLAIN"
        send("AUTH PLAIN " + base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode())
    else:
        mech = "USER"
        send("USER " + user)
        line()
        send("PASS " + password)
    reply = line()
    send("QUIT")
    w.close()
    p.wait()
    print("%s %s" % (mech, "ok" if reply.startswith("+OK") else "failed: " + reply))


if __name__ == "__main__":
    main()
