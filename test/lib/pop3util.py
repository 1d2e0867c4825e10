#!/usr/bin/python3
"""Byte-level helpers for the onepop bats suites.

Subcommands (all write to stdout, exit non-zero with a reason on stderr):
  wire SRC DST [SRC DST]... write the wire form of each message: every line
                            end becomes CRLF, a final CRLF is added if missing
  stuff FILE                the wire form of FILE with leading dots doubled
  top FILE N                the wire form of TOP: headers, the blank line and
                            the first N body lines
  block RAW LINENO [--raw]  the multi-line reply whose status line is LINENO
                            (1-based) in a raw session capture; un-stuffed
                            unless --raw; fails if the status is not +OK, a
                            line lacks CRLF, or the terminating "." is missing
  crlf RAW                  fail unless every line of RAW ends in CRLF and no
                            other CR or LF appears
  freeport                  print a TCP port on 127.0.0.1 that is free now
"""
import socket
import sys


def die(msg):
    sys.stderr.write("pop3util: %s\n" % msg)
    sys.exit(1)


def wire(data):
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def wire_lines(data):
    """Lines of the wire form, without their CRLF."""
    return wire(data)[:-2].split(b"\r\n")


def stuff(data):
    return b"".join(
        (b"." + l if l.startswith(b".") else l) + b"\r\n" for l in wire_lines(data)
    )


def top(data, n):
    lines = wire_lines(data)
    out = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        i += 1
        if out[-1] == b"":
            break
    out += lines[i:i + n]
    return b"".join(l + b"\r\n" for l in out)


def raw_lines(raw):
    """Split a capture into lines that keep their terminators."""
    return raw.splitlines(keepends=True)


def block(raw, lineno, keep_raw):
    lines = raw_lines(raw)
    if lineno < 1 or lineno > len(lines):
        die("line %d out of range (capture has %d lines)" % (lineno, len(lines)))
    status = lines[lineno - 1]
    if not status.startswith(b"+OK"):
        die("status line %d is not +OK: %r" % (lineno, status))
    out = []
    for i in range(lineno, len(lines)):
        line = lines[i]
        if not line.endswith(b"\r\n") or b"\r" in line[:-2]:
            die("line %d does not end in a single CRLF: %r" % (i + 1, line))
        if line == b".\r\n":
            return b"".join(out)
        if keep_raw:
            out.append(line)
        elif line.startswith(b"."):
            if not line.startswith(b".."):
                die("line %d starts with a single unstuffed dot: %r" % (i + 1, line))
            out.append(line[1:])
        else:
            out.append(line)
    die("no terminating '.' line after line %d" % lineno)


def crlf(raw):
    if raw and not raw.endswith(b"\r\n"):
        die("capture does not end in CRLF: %r" % raw[-40:])
    for i, line in enumerate(raw_lines(raw), 1):
        if not line.endswith(b"\r\n") or b"\r" in line[:-2] or b"\n" in line[:-2]:
            die("line %d does not end in a single CRLF: %r" % (i, line))


def freeport():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main(argv):
    if len(argv) < 2:
        die("usage: see the module docstring")
    cmd, args = argv[1], argv[2:]
    out = sys.stdout.buffer
    if cmd == "wire" and args and len(args) % 2 == 0:
        for src, dst in zip(args[::2], args[1::2]):
            with open(dst, "wb") as f:
                f.write(wire(read(src)))
    elif cmd == "stuff" and len(args) == 1:
        out.write(stuff(read(args[0])))
    elif cmd == "top" and len(args) == 2:
        out.write(top(read(args[0]), int(args[1])))
    elif cmd == "block" and len(args) in (2, 3):
        out.write(block(read(args[0]), int(args[1]), args[2:] == ["--raw"]))
    elif cmd == "crlf" and len(args) == 1:
        crlf(read(args[0]))
    elif cmd == "freeport" and not args:
        print(freeport())
    else:
        die("bad usage: %s" % " ".join(argv[1:]))


if __name__ == "__main__":
    main(sys.argv)
