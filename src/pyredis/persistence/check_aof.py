"""pyredis-check-aof: check (and with --fix, truncate) an AOF as redis-check-aof 7.0 does.

    pyredis-check-aof [--fix] <file.manifest|file.aof>

A manifest: the base (RDB or AOF) and every incr file are checked in order; a single file is
checked as an old-style AOF (an RDB preamble is checked first when present). The output follows
redis-check-aof 7.0.15 line by line: the error line (`0x<offset>: <what>`), `AOF analyzed:
filename=..., size=..., ok_up_to=..., ok_up_to_line=..., diff=...`, then `AOF <f> is valid`, `AOF <f>
is not valid. Use the --fix option to try fixing it.` or, with --fix, the shrink prompt and
`Successfully truncated AOF <f>`. The reader works as Redis's does, so offsets, line numbers and
messages agree: each `*`/`$` line and each argument counts one line, the line counter runs on
across the files of a manifest, a MULTI without its EXEC cuts at the MULTI, `#` lines
(annotations) are skipped.

--fix truncates the file at ok_up_to (for a manifest only the last file may be cut: "Failed to
truncate AOF <f> because it is not the last file"). It asks `Continue? [y/N]:` as Redis does; an
answer starting with y or Y goes ahead, any other answer (no answer at all included, e.g.
/dev/null in a script) aborts ("Aborting...", exit 1).

Known differences in the detail of messages: the per-field lines of the RDB check (`AUX FIELD`,
`Selecting DB ID`) are not printed, and where Redis prints bytes that lie past the end of the line
it read (stale memory of its line buffer) pyredis prints what its own buffer holds.

Exit status 0 when everything is valid (or was fixed), 1 otherwise.
"""
from __future__ import annotations

import os
import re
import sys

from pyredis.persistence.manifest import Manifest, ManifestError

LONG_MAX = (1 << 63) - 1
LONG_MIN = -(1 << 63)
LINE_BUF = 128              # readLong's line buffer (fgets reads at most 127 bytes)
WHITESPACE = b" \t\n\v\f\r"


class CheckError(Exception):
    """The reader stopped at a bad spot: the message, prefixed with the offset."""


class Reader:
    """One pass over the AOF files of a check, as redis-check-aof reads them. State that
    redis-check-aof keeps across files (the line counter, the last read offset, the `*` line
    buffer) lives here."""

    def __init__(self, name: str):
        self.name = name
        self.line = 1
        self.epos = 0
        self.star_buf = bytearray(LINE_BUF + 1)

    def error(self, text: str):
        raise CheckError("0x%16x: %s" % (self.epos, text))

    @staticmethod
    def _fgets(data: bytes, pos: int, size: int) -> bytes:
        end = data.find(b"\n", pos, pos + size - 1)
        return data[pos:end + 1] if end >= 0 else data[pos:pos + size - 1]

    @staticmethod
    def _hex(b: int) -> str:
        return "%02x" % b if b < 0x80 else "ffffff%02x" % b     # a signed char, as printf

    def read_long(self, data: bytes, pos: int, prefix: str):
        """(value, new pos) or None at the end of the data (no message, as Redis)."""
        self.epos = pos
        if pos >= len(data):
            return None
        line = self._fgets(data, pos, LINE_BUF)
        pos += len(line)
        if prefix == "*":
            buf = self.star_buf
            buf[:len(line)] = line
            buf[len(line)] = 0
        else:
            buf = bytearray(line) + bytearray(LINE_BUF + 1 - len(line))
        if chr(line[0]) != prefix:
            self.error("Expected prefix '%s', got: '%s'" % (prefix, chr(line[0])))
        value, eptr = self._strtol(line, 1)
        if not (buf[eptr] == 0x0D and buf[eptr + 1] == 0x0A):
            self.error("Expected \\r\\n, got: %s%s" % (self._hex(buf[eptr]),
                                                       self._hex(buf[eptr + 1])))
        self.line += 1
        return value, pos

    @staticmethod
    def _strtol(line: bytes, i: int):
        """C strtol(line + i, &eptr, 10): (value, eptr index); no digits: (0, i)."""
        j, n = i, len(line)
        while j < n and line[j] in WHITESPACE:
            j += 1
        neg = False
        if j < n and line[j] in b"+-":
            neg = line[j] == 0x2D
            j += 1
        k = j
        while k < n and 0x30 <= line[k] <= 0x39:
            k += 1
        if k == j:
            return 0, i
        v = int(line[j:k])
        v = -v if neg else v
        return max(LONG_MIN, min(LONG_MAX, v)), k

    def read_string(self, data: bytes, pos: int, length: int):
        """(payload, new pos)."""
        if length < 0 or length > LONG_MAX - 2:
            self.error("Expected to read string of %d bytes, which is not in the suitable range"
                       % length)
        self.epos = pos
        want = length + 2
        got = max(0, min(want, len(data) - pos))
        if got < want:
            self.error("Expected to read %d bytes, got %d bytes" % (want, got))
        pos += want
        if data[pos - 2:pos] != b"\r\n":
            self.error("Expected \\r\\n, got: %s%s" % (self._hex(data[pos - 2]),
                                                       self._hex(data[pos - 1])))
        self.line += 1
        return data[pos - want:pos - 2], pos

    def scan(self, data: bytes, start: int, name: str, out) -> int:
        """Check the commands of data from start; returns ok_up_to (after printing the error
        line, if any)."""
        pos, ok, n = start, start, len(data)
        multi, multi_at = False, start
        try:
            while True:
                if not multi:
                    ok = pos
                if pos >= n:
                    break
                first = self._fgets(data, pos, 1024)
                if first[:1] == b"#":
                    pos += len(first)
                    continue
                if first[:1] != b"*":
                    out.write(f"AOF {name} format error\n")
                    return multi_at if multi else ok
                cmd_at = pos
                r = self.read_long(data, pos, "*")
                if r is None:
                    break
                argc, pos = r
                cmd = None
                for i in range(argc):
                    r = self.read_long(data, pos, "$")
                    if r is None:
                        break
                    length, pos = r
                    arg, pos = self.read_string(data, pos, length)
                    if i == 0:
                        cmd = arg.lower()
                else:
                    if cmd == b"multi":
                        if multi:
                            self.error(f"Unexpected MULTI in AOF {name}")
                        multi, multi_at = True, cmd_at
                    elif cmd == b"exec":
                        if not multi:
                            self.error(f"Unexpected EXEC in AOF {name}")
                        multi = False
                    continue
                break           # the end of the data inside a command: no message
            if multi:
                self.error("Reached EOF before reading EXEC for MULTI")
            return ok
        except CheckError as exc:
            out.write(f"{exc}\n")
            return multi_at if multi else ok


def check_rdb(data: bytes, name: str, out) -> int:
    """The RDB part of a file (an RDB base or a preamble), with redis-check-rdb's summary: the
    offset where the image ends (commands may follow), or -1 when it is broken."""
    from fastresp import rdb
    from fastresp.keyspace import Keyspace
    out.write(f"[offset 0] Checking RDB file {name}\n")
    ks = Keyspace(16)
    try:
        info = rdb.load_bytes(ks, data)
    except rdb.RdbError as exc:
        out.write("--- RDB ERROR DETECTED ---\n")
        out.write(f"[offset {getattr(exc, 'offset', 0)}] "
                  f"{getattr(exc, 'message', str(exc))}\n")
        return -1
    end = info["end"]
    if data[end - 8:end] == b"\0" * 8:
        out.write("RDB file was saved with checksum disabled: no check performed.\n")
    else:
        out.write(f"[offset {end}] Checksum OK\n")
    out.write(f"[offset {end}] \\o/ RDB looks OK! \\o/\n")
    expired = int(info.get("expired_skipped", 0))
    keys = int(info.get("keys", 0)) + expired + int(info.get("empty_skipped", 0))
    expires = sum(ks.expires(db) for db in range(16)) + expired
    ks.flushall()
    out.write(f"[info] {keys} keys read\n[info] {expires} expires\n"
              f"[info] {expired} already expired\n")
    return end


def answer_yes(out) -> bool:
    out.write("Continue? [y/N]: ")
    out.flush()
    try:
        line = sys.stdin.readline()
    except (OSError, ValueError):
        line = ""
    return line[:1] in ("y", "Y")


def check_file(reader: Reader, path: str, name: str, fix: bool, last: bool, out) -> str:
    """Check one file: "valid", "empty", "fixed" or "invalid" (messages written)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        out.write(f"Cannot open file {path}: {exc.strerror}, aborting...\n")
        return "invalid"
    if not data:
        return "empty"
    start = 0
    if data[:5] == b"REDIS":
        start = check_rdb(data, name, out)
        if start < 0:
            out.write("RDB preamble of AOF file is not sane, aborting.\n")
            return "invalid"
        out.write("RDB preamble is OK, proceeding with AOF tail...\n")
    ok = reader.scan(data, start, name, out)
    diff = len(data) - ok
    out.write(f"AOF analyzed: filename={name}, size={len(data)}, ok_up_to={ok}, "
              f"ok_up_to_line={reader.line}, diff={diff}\n")
    if diff == 0:
        return "valid"
    if not fix:
        out.write(f"AOF {name} is not valid. Use the --fix option to try fixing it.\n")
        return "invalid"
    if not last:
        out.write(f"Failed to truncate AOF {name} because it is not the last file\n")
        return "invalid"
    out.write(f"This will shrink the AOF {name} from {len(data)} bytes, with {diff} bytes, "
              f"to {ok} bytes\n")
    if not answer_yes(out):
        out.write("Aborting...\n")
        return "invalid"
    try:
        os.truncate(path, ok)
    except OSError as exc:
        out.write(f"Failed to truncate AOF {name}: {exc.strerror}\n")
        return "invalid"
    out.write(f"Successfully truncated AOF {name}\n")
    return "fixed"


def _manifest_error(path: str, raw: bytes, exc: Exception, out) -> None:
    out.write("\n*** FATAL AOF MANIFEST FILE ERROR ***\n\n")
    m = re.search(r"\(line (\d+)\)", str(exc))
    text = re.sub(r" \(line \d+\)", "", str(exc))
    if m:
        lineno = int(m.group(1))
        lines = raw.decode("utf-8", "surrogateescape").split("\n")
        shown = lines[lineno - 1] if lineno <= len(lines) else ""
        out.write(f"Reading the manifest file, at line {lineno}\n\n")
        out.write(f">>> '{shown.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')}'"
                  f"\n\n")
    out.write(f"{text}\n\n")


def check_manifest(path: str, fix: bool, out) -> bool:
    out.write("Start checking Multi Part AOF\n")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        out.write(f"Cannot open file {path}: {exc.strerror}, aborting...\n")
        return False
    try:
        m = Manifest.parse(raw.decode("utf-8", "surrogateescape"))
    except ManifestError as exc:
        _manifest_error(path, raw, exc, out)
        return False
    d = os.path.dirname(path)
    files = m.files()
    reader = Reader(path)
    if m.base:
        bpath = os.path.join(d, m.base[0])
        try:
            with open(bpath, "rb") as f:
                rdb_base = f.read(5) == b"REDIS"
        except OSError:
            rdb_base = m.base[0].endswith(".rdb")
        out.write(f"Start to check BASE AOF ({'RDB' if rdb_base else 'AOF'} format).\n")
        state = check_file(reader, bpath, m.base[0], fix, len(files) == 1, out)
        if state == "invalid":
            return False
        if state != "fixed":
            out.write(f"BASE AOF {m.base[0]} is {'empty' if state == 'empty' else 'valid'}\n")
    if m.incrs:
        out.write("Start to check INCR files.\n")
    for i, (name, _seq) in enumerate(m.incrs):
        state = check_file(reader, os.path.join(d, name), name, fix, i == len(m.incrs) - 1, out)
        if state == "invalid":
            return False
        if state != "fixed":
            out.write(f"INCR AOF {name} is {'empty' if state == 'empty' else 'valid'}\n")
    out.write("All AOF files and manifest are valid\n")
    return True


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    fix = False
    if args and args[0] == "--fix":
        fix = True
        args = args[1:]
    if len(args) != 1:
        sys.stderr.write("Usage: pyredis-check-aof [--fix] <file.manifest|file.aof>\n")
        return 1
    path = args[0]
    out = sys.stdout
    if path.endswith(".manifest"):
        ok = check_manifest(path, fix, out)
    else:
        out.write("Start checking Old-Style AOF\n")
        state = check_file(Reader(path), path, path, fix, True, out)
        if state in ("valid", "empty"):
            out.write(f"AOF {path} is {state}\n")
        ok = state != "invalid"
    out.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
