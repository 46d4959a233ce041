"""The AOF manifest (appenddirname/appendfilename.manifest) as Redis 7.0 reads and writes it:
one line a file, `file <name> seq <n> type <b|h|i>` (base, history, incr), a name quoted when
it needs it. Shared by the server's AOF (aof.py, which persists it) and pyredis-check-aof
(check_aof.py)."""
from __future__ import annotations

import os

BASE, HISTORY, INCR = "b", "h", "i"


class ManifestError(Exception):
    """The manifest cannot be used: message says why."""


def _split_args(line: str) -> list[str] | None:
    """Split a manifest line as Redis does (words, "quoted" or 'quoted'); None if unbalanced."""
    out, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] in " \t\n\r\v\f":
            i += 1
        if i >= n:
            return out
        cur = []
        if line[i] in "\"'":
            q = line[i]
            i += 1
            while True:
                if i >= n:
                    return None
                c = line[i]
                if q == '"' and c == "\\" and i + 1 < n:
                    e = line[i + 1]
                    if e == "x" and i + 3 < n:
                        try:
                            cur.append(chr(int(line[i + 2:i + 4], 16)))
                            i += 4
                            continue
                        except ValueError:
                            pass
                    cur.append({"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}.get(e, e))
                    i += 2
                    continue
                if q == "'" and c == "\\" and i + 1 < n and line[i + 1] == "'":
                    cur.append("'")
                    i += 2
                    continue
                if c == q:
                    i += 1
                    if i < n and line[i] not in " \t\n\r\v\f":
                        return None
                    break
                cur.append(c)
                i += 1
        else:
            while i < n and line[i] not in " \t\n\r\v\f":
                cur.append(line[i])
                i += 1
        out.append("".join(cur))


def _quote(name: str) -> str:
    if name and all(c.isprintable() and c not in " \"'\\" for c in name):
        return name
    out = ['"']
    for c in name:
        if c in "\"\\":
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        else:
            out.append("\\x%02x" % (ord(c) & 0xFF))
    out.append('"')
    return "".join(out)


class Manifest:
    """base: (name, seq) or None; incrs: [(name, seq)] in order; history: [name]."""

    def __init__(self):
        self.base = None
        self.incrs: list[tuple[str, int]] = []
        self.history: list[str] = []

    @classmethod
    def parse(cls, text: str) -> "Manifest":
        m = cls()
        last_incr = 0
        for lineno, line in enumerate(text.split("\n"), 1):
            if line.startswith("#") or not line.strip():
                continue
            words = _split_args(line)
            if words is None or len(words) < 6 or len(words) % 2:
                raise ManifestError(f"Invalid AOF manifest file format (line {lineno})")
            fields = dict(zip(words[0::2], words[1::2]))
            name, seq, kind = fields.get("file"), fields.get("seq"), fields.get("type")
            if not name or seq is None or kind not in (BASE, HISTORY, INCR):
                raise ManifestError(f"Invalid AOF manifest file format (line {lineno})")
            if os.sep in name or name in (".", ".."):
                raise ManifestError(f"Invalid AOF file name '{name}' in manifest (line {lineno})")
            try:
                seqn = int(seq)
            except ValueError:
                raise ManifestError(f"Invalid AOF manifest file format (line {lineno})") from None
            if seqn <= 0:
                raise ManifestError(f"Invalid AOF manifest file format (line {lineno})")
            if kind == BASE:
                if m.base is not None:
                    raise ManifestError(f"Found duplicate base file information (line {lineno})")
                m.base = (name, seqn)
            elif kind == HISTORY:
                m.history.append(name)
            else:
                if seqn <= last_incr:
                    raise ManifestError(f"Found a non-monotonic sequence number (line {lineno})")
                last_incr = seqn
                m.incrs.append((name, seqn))
        if m.base is None and not m.incrs:
            raise ManifestError("Found an empty AOF manifest")
        return m

    def text(self, with_history: bool = True) -> str:
        lines = []
        if self.base:
            lines.append(f"file {_quote(self.base[0])} seq {self.base[1]} type b\n")
        if with_history:
            lines += [f"file {_quote(h)} seq 1 type h\n" for h in self.history]
        lines += [f"file {_quote(n)} seq {s} type i\n" for n, s in self.incrs]
        return "".join(lines)

    def files(self) -> list[str]:
        return ([self.base[0]] if self.base else []) + [n for n, _ in self.incrs]
