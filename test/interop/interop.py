#!/usr/bin/python3
"""Fixtures and byte comparisons for the interoperability suite.

Subcommands (exit non-zero with a reason on stderr):
  fixtures DIR SET [--small]
                          write the interop messages into DIR, one file a
                          message named by its UIDL; prints the names. SET
                          full has a 10 MiB message, reduced a 1 MiB one
                          instead; --small leaves the big one out
  split-mbox MBOX OUTDIR  one file a message from an mbox a client wrote:
                          the From_ line and the blank separator line the
                          mbox format adds are removed, mboxrd ">From "
                          quoting undone
  compare GOTDIR EOL [--strip-header NAME | --replace-header NAME]... ORIG...
                          every file in GOTDIR, after removing the headers
                          the client prepends (each NAME once, at the top),
                          equals the wire form of one ORIG (line ends as EOL:
                          crlf or lf), and each ORIG is matched exactly once;
                          --replace-header: the client also drops every
                          NAME header the message had before adding its own
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pop3util import die, read, wire  # noqa: E402

MIB = 1024 * 1024


def header(subject, extra=b""):
    return (b"From: Interop <interop@example.org>\n"
            b"To: Alice <alice@example.org>\n"
            b"Subject: " + subject + b"\n" + extra +
            b"Date: Tue, 14 Nov 2023 22:13:21 +0000\n\n")


def msg_dots():
    # Every way a body line can start with a dot, and a lone "." last:
    # a client that forgets to un-stuff, or stops at the first ".", shows here.
    body = [b".", b"..", b"...", b". ", b".\t", b".leading", b"..double",
            b"text", b" .space first", b".", b"", b"."]
    return header(b"dots") + b"\n".join(body) + b"\n"


def msg_long_lines():
    # 2,000 octets is twice RFC 5322's 998 limit; a client that wraps,
    # truncates or splits long lines shows here (poplib's own limit is 2048).
    line2000 = bytes(b"0123456789abcdef"[i % 16] for i in range(2000))
    line998 = b"y" * 998
    return (header(b"long lines") + line998 + b"\n" + line2000 + b"\n" +
            b"." + line2000[1:] + b"\nshort\n")


def msg_8bit():
    latin1 = "Grüße aus Köln, ça va? ñ ß".encode("latin-1")
    utf8 = "Grüße, 東京, Ελληνικά, emoji \U0001F600".encode("utf-8")
    return (header("8-bit Überschrift".encode("utf-8"),
                   b"Content-Type: text/plain; charset=utf-8\n"
                   b"Content-Transfer-Encoding: 8bit\n") +
            utf8 + b"\n" + latin1 + b"\n\xff\xfe\x80\x81 high bytes\n")


def msg_binaryish():
    # Every octet but NUL, CR and LF (which no line-based client can carry
    # unchanged), in lines of 60, some lines starting with a dot.
    octets = bytes(b for b in range(1, 256) if b not in (10, 13))
    lines = [octets[i:i + 60] for i in range(0, len(octets), 60)]
    lines.append(b"." + octets[:40])
    return header(b"binary-ish", b"Content-Transfer-Encoding: binary\n") + \
        b"\n".join(lines) + b"\n"


def msg_big(mib, subject):
    # MIB MiB of 76-octet lines; every 97th starts with a dot so un-stuffing
    # is exercised all the way through.
    out = [header(subject)]
    size = len(out[0])
    n = 0
    while size < mib * MIB:
        n += 1
        line = b"%09d " % n + b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
        if n % 97 == 0:
            line = b"." + line[1:]
        line += b"\n"
        out.append(line)
        size += len(line)
    return b"".join(out)


def msg_ten_mb():
    return msg_big(10, b"ten megabytes")


def msg_one_mb():
    return msg_big(1, b"one megabyte")


SMALL = [
    ("1700000101.M200001P2001.interop", msg_dots),
    ("1700000102.M200002P2002.interop", msg_long_lines),
    ("1700000103.M200003P2003.interop", msg_8bit),
    ("1700000104.M200004P2004.interop", msg_binaryish),
]
BIG = {"full": ("1700000105.M200005P2005.interop", msg_ten_mb),
       "reduced": ("1700000106.M200006P2006.interop", msg_one_mb)}


def fixtures(outdir, which, small_only):
    for name, make in SMALL + ([] if small_only else [BIG[which]]):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(make())
        mtime = int(name.split(".")[0])
        os.utime(os.path.join(outdir, name), (mtime, mtime))
        print(name)


FROM_LINE = re.compile(rb"^From \S+ +\S.*\n")


def split_mbox(data):
    """Messages of an mbox written by a client (mboxrd or mboxo)."""
    if not data:
        return []
    if not FROM_LINE.match(data):
        die("mbox does not start with a From_ line: %r" % data[:80])
    msgs = []
    cur = None  # lines of the message being read
    # A From_ line starts a message at the top or after an empty line.
    for line in re.findall(rb"[^\n]*\n|[^\n]+$", data):
        if FROM_LINE.match(line) and (cur is None or cur[-1:] == [b"\n"]):
            if cur is not None:
                msgs.append(b"".join(cur))
            cur = []
            continue
        if re.match(rb"^>+From ", line):
            line = line[1:]
        cur.append(line)
    msgs.append(b"".join(cur))
    out = []
    for m in msgs:
        # The separator: the mbox format ends each message with an empty line.
        if not m.endswith(b"\n\n") and m != b"\n":
            die("mbox message does not end with the separating blank line: %r"
                % m[-80:])
        out.append(m[:-1])
    return out


def strip_top_header(data, name):
    """Remove header NAME (with continuation lines) if it is the first one."""
    m = re.match(rb"(?i)" + re.escape(name.encode()) + rb":[^\n]*\n([ \t][^\n]*\n)*", data)
    if not m:
        die("the client's %s: header is not the first line: %r" % (name, data[:120]))
    return data[m.end():]


def drop_headers(data, name):
    """Remove every header NAME (with continuation lines) from the header."""
    end = re.search(rb"\r?\n\r?\n", data)
    head, rest = (data[:end.start() + 1], data[end.start() + 1:]) if end else (data, b"")
    pat = rb"(?im)^" + re.escape(name.encode()) + rb":.*\n([ \t].*\n)*"
    return re.sub(pat, b"", head) + rest


def describe(data):
    m = re.search(rb"(?im)^Subject: ([^\r\n]*)", data)
    return (m.group(1) if m else data[:40]).decode("utf-8", "replace")


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def compare(gotdir, eol, strip, origs):
    expected = {}
    for path in origs:
        data = wire(read(path))
        if eol == "lf":
            data = data.replace(b"\r\n", b"\n")
        for how, h in strip:
            if how == "replace":
                data = drop_headers(data, h)
        expected[os.path.basename(path)] = data
    problems = []
    matched = set()
    names = sorted(os.listdir(gotdir))
    for name in names:
        data = read(os.path.join(gotdir, name))
        for _, h in strip:
            data = strip_top_header(data, h)
        hit = [u for u, e in expected.items() if e == data and u not in matched]
        if hit:
            matched.add(hit[0])
            continue
        # Explain with the original of the same Subject, if any.
        near = [u for u, e in expected.items() if describe(e) == describe(data)]
        if near:
            e = expected[near[0]]
            at = first_difference(e, data)
            problems.append("%s (%s): %d octets, expected %d; first difference at "
                            "offset %d: expected %r, got %r"
                            % (name, describe(data), len(data), len(e), at,
                               e[max(0, at - 20):at + 20], data[max(0, at - 20):at + 20]))
        else:
            problems.append("%s: unexpected message %r" % (name, data[:120]))
    for u in expected:
        if u not in matched and not any(describe(expected[u]) in p for p in problems):
            problems.append("%s (%s): not fetched" % (u, describe(expected[u])))
    if problems:
        die("%d of %d messages differ:\n  %s" % (len(problems), len(expected),
                                               "\n  ".join(problems)))
    print("%d messages match" % len(matched))


def main(argv):
    if len(argv) < 2:
        die("usage: see the module docstring")
    cmd, args = argv[1], argv[2:]
    if cmd == "fixtures" and len(args) in (2, 3) and args[1] in BIG:
        fixtures(args[0], args[1], args[2:] == ["--small"])
    elif cmd == "split-mbox" and len(args) == 2:
        data = read(args[0]) if os.path.exists(args[0]) else b""
        for i, m in enumerate(split_mbox(data), 1):
            with open(os.path.join(args[1], "%04d" % i), "wb") as f:
                f.write(m)
    elif cmd == "compare" and len(args) >= 2 and args[1] in ("lf", "crlf"):
        gotdir, eol, rest = args[0], args[1], args[2:]
        strip = []
        while len(rest) >= 2 and rest[0] in ("--strip-header", "--replace-header"):
            strip.append((rest[0][2:-7], rest[1]))
            rest = rest[2:]
        compare(gotdir, eol, strip, rest)
    else:
        die("bad usage: %s" % " ".join(argv[1:]))


if __name__ == "__main__":
    main(sys.argv)
