#!/usr/bin/python3
"""An onepop exec helper (protocol 1, onepop-exec(7)) that builds each
message on the fly from a JSON file, as the Perl skeleton's "messages
generated dynamically" server would:

    {"alice": [{"id": "n1", "from": "news@example.org",
                "subject": "Today", "body": "Text of the message.\\n"}]}

    onepop --backend=exec --exec=/path/exec-json.py --exec-arg=/srv/feed.json

The mailbox (by default the user name) selects the list. A message's UIDL
is its "id". At COMMIT the deleted entries are removed from the file
(written to a temporary file, then renamed); anything else changes nothing.
"""
import json
import os
import sys
import tempfile
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate


def build(entry):
    """The message as octets with CRLF line ends: its size is its length."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = entry.get("from", "feed@localhost")
    msg["To"] = entry.get("to", "you@localhost")
    msg["Subject"] = entry.get("subject", "")
    msg["Date"] = entry.get("date") or formatdate(0, usegmt=True)
    msg["Message-ID"] = "<%s@exec-json>" % entry["id"]
    msg.set_content(entry.get("body", ""))
    return msg.as_bytes()


def reply(out, line):
    out.write(line.encode() + b"\n")
    out.flush()


def main():
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    hello = inp.readline().decode("utf-8", "replace").rstrip("\r\n").split(" ", 2)
    if len(hello) < 3 or hello[0] != "HELLO" or hello[1] != "1":
        reply(out, "ERR PERM this helper speaks protocol 1")
        return
    path, mailbox = sys.argv[1], hello[2]
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        entries = data.get(mailbox, [])
        messages = [build(e) for e in entries]
    except (OSError, ValueError, KeyError, TypeError) as e:
        reply(out, "ERR TEMP cannot read the feed: %s" % type(e).__name__)
        return
    reply(out, "OK 1 exec-json.py")
    for raw in inp:
        words = raw.decode("ascii", "replace").split()
        cmd = words[0] if words else ""
        if cmd == "LIST":
            reply(out, "OK %d" % len(messages))
            for e, m in zip(entries, messages):
                reply(out, "%d %s" % (len(m), e["id"]))
            reply(out, ".")
        elif cmd == "RETR":
            m = messages[int(words[1]) - 1]
            reply(out, "OK %d" % len(m))
            out.write(m)
            reply(out, "END")
        elif cmd == "COMMIT":
            doomed = {int(inp.readline()) - 1 for _ in range(int(words[1]))}
            data[mailbox] = [e for i, e in enumerate(entries) if i not in doomed]
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)))
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1)
            os.replace(tmp, path)
            reply(out, "OK")
        elif cmd in ("QUIT", "ROLLBACK"):
            return
        else:
            reply(out, "ERR PERM unknown request")


if __name__ == "__main__":
    main()
