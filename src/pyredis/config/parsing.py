"""Ports of the C helpers Redis's configuration code parses and prints values with.

Each function behaves like the C function it names (string2ll, strtoll, memtoull, string2d,
sdssplitargs, sdscatrepr, getAbsolutePath, keyspaceEventsStringToFlags/FlagsToString), on
``str`` values that hold config text (see :mod:`pyredis.config` for how bytes become text),
and the C integer limits settings are bounded by.  Nothing here knows about particular settings.
"""

from __future__ import annotations

import math
import os
import re

from fastresp.keyspace import NotifyClass

# C integer limits (LP64)
INT_MIN, INT_MAX = -(1 << 31), (1 << 31) - 1
UINT_MAX = (1 << 32) - 1
LONG_MAX = LLONG_MAX = (1 << 63) - 1
ULLONG_MAX = (1 << 64) - 1

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(s: str) -> str:
    """ASCII-only lower-casing, like C tolower() in the C locale."""
    return s.translate(_ASCII_LOWER)


def wrap64(v: int) -> int:
    """Reinterpret an unsigned 64-bit value as signed (C cast to long long)."""
    v &= ULLONG_MAX
    return v - (1 << 64) if v >> 63 else v


def wrap32(v: int) -> int:
    """Reinterpret a value as a signed 32-bit one (C cast to int)."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


_STRING2LL = re.compile(r"-?[1-9][0-9]*|0")


def string2ll(s: str) -> int | None:
    """Strict integer parsing (Redis string2ll): no spaces, no '+', no leading zeros."""
    if not _STRING2LL.fullmatch(s):
        return None
    v = int(s)
    if v < -(1 << 63) or v > LLONG_MAX:
        return None
    return v


_C_SPACE = " \t\n\v\f\r"
_STRTOLL = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]*)(.*)", re.S)


def strtoll(s: str) -> tuple[int, str]:
    """C strtoll(s, &end, 10): returns (value, rest-of-string at end). Saturates on overflow."""
    m = _STRTOLL.match(s)
    sign, digits, rest = m.group(1), m.group(2), m.group(3)
    if not digits:
        return 0, s
    v = int(digits)
    if sign == "-":
        v = -v
    v = max(-(1 << 63), min(LLONG_MAX, v))
    return v, rest


def memtoull(s: str) -> int | None:
    """Redis memtoull: '<digits>[b|k|kb|m|mb|g|gb]' (unit case-insensitive; k=1000, kb=1024).

    Returns the value modulo 2**64 (as Redis does: no overflow check on the multiplication, the
    digits saturate at 2**64-1), or None when the string is not a memory value.  Like Redis, an
    empty digit string counts as 0 (so "" and "kb" are 0)."""
    if s.startswith("-"):
        return None
    i = 0
    while i < len(s) and "0" <= s[i] <= "9":
        i += 1
    unit = s[i:]
    if not unit.isascii():
        return None
    mul = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 ** 2, "mb": 1024 ** 2,
           "g": 1000 ** 3, "gb": 1024 ** 3}.get(ascii_lower(unit))
    if mul is None or i >= 128:
        return None
    val = min(int(s[:i]) if i else 0, ULLONG_MAX)
    return (val * mul) & ULLONG_MAX


_STRTOD = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    r"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])"
)


def string2d(s: str) -> float | None:
    """Redis string2d: the whole string must be a C double (hex floats and inf accepted; nan,
    leading blanks, overflow and underflow to zero refused)."""
    if not s or s[0] in _C_SPACE or not _STRTOD.fullmatch(s):
        return None
    neg = s.startswith("-")
    body = s.lstrip("+-")
    is_hex = body[:2] in ("0x", "0X")
    if is_hex:
        mant = re.split(r"[pP]", body[2:])[0]
        try:
            v = float.fromhex(body if re.search(r"[pP]", body) else body + "p0")
        except OverflowError:
            return None
        v = -v if neg else v
    else:
        mant = re.split(r"[eE]", body)[0]
        v = float(s)
    if math.isnan(v):
        return None
    if math.isinf(v) and "inf" not in s.lower():
        return None  # overflow (ERANGE)
    if v == 0.0 and re.search(r"[1-9a-fA-F]" if is_hex else r"[1-9]", mant):
        return None  # underflow to zero (ERANGE)
    return v


def format_double(v: float) -> str:
    """printf("%f") followed by Redis's trimDoubleString."""
    s = "%f" % v
    if "." in s:
        s = s.rstrip("0")
        if s.endswith("."):
            s = s[:-1]
    return s


def split_args(line: str) -> list[str] | None:
    """Split a line into arguments like Redis's sdssplitargs.

    Double quotes understand \\n \\r \\t \\b \\a \\xHH and \\<any>; single quotes only \\'.  A closing
    quote must be followed by a space or the end of the line.  Returns None on unbalanced quotes."""
    b = line.encode("utf-8", "surrogateescape")
    n = len(b)
    i = 0
    out: list[str] = []
    spaces = b" \t\n\v\f\r"
    hexd = b"0123456789abcdefABCDEF"
    while True:
        while i < n and b[i] in spaces:
            i += 1
        if i >= n:
            return out
        cur = bytearray()
        inq = insq = False
        while True:
            c = b[i] if i < n else 0
            if inq:
                if c == 0x5C and i + 3 < n and b[i + 1] == 0x78 and b[i + 2] in hexd and b[i + 3] in hexd:
                    cur.append(int(b[i + 2:i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    e = b[i]
                    cur.append({0x6E: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7}.get(e, e))
                elif c == 0x22:
                    if i + 1 < n and b[i + 1] not in spaces:
                        return None
                    i += 1
                    break
                elif i >= n:
                    return None
                else:
                    cur.append(c)
            elif insq:
                if c == 0x5C and i + 1 < n and b[i + 1] == 0x27:
                    i += 1
                    cur.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and b[i + 1] not in spaces:
                        return None
                    i += 1
                    break
                elif i >= n:
                    return None
                else:
                    cur.append(c)
            else:
                if i >= n or c in b" \n\r\t":
                    if i < n:
                        i += 1
                    break
                if c == 0x22:
                    inq = True
                elif c == 0x27:
                    insq = True
                else:
                    cur.append(c)
            i += 1
        out.append(bytes(cur).decode("utf-8", "surrogateescape"))


def repr_arg(s: str) -> str:
    """Quote a value like Redis's sdscatrepr (used to turn argv values into config text)."""
    out = ['"']
    for c in s.encode("utf-8", "surrogateescape"):
        if c in (0x5C, 0x22):
            out.append("\\" + chr(c))
        elif c == 10:
            out.append("\\n")
        elif c == 13:
            out.append("\\r")
        elif c == 9:
            out.append("\\t")
        elif c == 7:
            out.append("\\a")
        elif c == 8:
            out.append("\\b")
        elif 0x20 <= c <= 0x7E:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    out.append('"')
    return "".join(out)


def abs_path(path: str) -> str:
    """Redis getAbsolutePath: trims blanks, joins with the cwd, folds only leading '../'."""
    rel = path.strip(" \r\n\t")
    if rel.startswith("/"):
        return rel
    base = os.getcwd()
    if not base.endswith("/"):
        base += "/"
    while rel.startswith("../"):
        rel = rel[3:]
        if len(base) > 1:
            base = base[: base.rstrip("/").rfind("/") + 1] or "/"
    return base + rel


# notify-keyspace-events: the event classes are fastresp.keyspace.NotifyClass (Redis's NOTIFY_*
# bits). Their letters, in the order Redis writes them; "A" (NOTIFY_ALL) is every class but "n".
_CLASS_LETTERS = (
    ("g", NotifyClass.NOTIFY_GENERIC), ("$", NotifyClass.NOTIFY_STRING),
    ("l", NotifyClass.NOTIFY_LIST), ("s", NotifyClass.NOTIFY_SET), ("h", NotifyClass.NOTIFY_HASH),
    ("z", NotifyClass.NOTIFY_ZSET), ("x", NotifyClass.NOTIFY_EXPIRED),
    ("e", NotifyClass.NOTIFY_EVICTED), ("t", NotifyClass.NOTIFY_STREAM),
    ("d", NotifyClass.NOTIFY_MODULE), ("n", NotifyClass.NOTIFY_NEW),
)
NOTIFY_ALL = (NotifyClass.NOTIFY_GENERIC | NotifyClass.NOTIFY_STRING | NotifyClass.NOTIFY_LIST
              | NotifyClass.NOTIFY_SET | NotifyClass.NOTIFY_HASH | NotifyClass.NOTIFY_ZSET
              | NotifyClass.NOTIFY_EXPIRED | NotifyClass.NOTIFY_EVICTED | NotifyClass.NOTIFY_STREAM
              | NotifyClass.NOTIFY_MODULE)
_KEYSPACE_LETTERS = {
    "A": NOTIFY_ALL, **dict(_CLASS_LETTERS), "K": NotifyClass.NOTIFY_KEYSPACE,
    "E": NotifyClass.NOTIFY_KEYEVENT, "m": NotifyClass.NOTIFY_KEY_MISS,
}


def keyspace_events_to_flags(s: str) -> int | None:
    """Parse notify-keyspace-events letters to flag bits; None if a letter is unknown."""
    flags = 0
    for ch in s:
        bit = _KEYSPACE_LETTERS.get(ch)
        if bit is None:
            return None
        flags |= bit
    return flags


def keyspace_flags_to_string(flags: int) -> str:
    """Redis's canonical spelling of notify-keyspace-events flags (what CONFIG GET returns)."""
    out = ""
    if flags & NOTIFY_ALL == NOTIFY_ALL:
        out += "A"
    else:
        for ch, bit in _CLASS_LETTERS:
            if flags & bit:
                out += ch
    if flags & NotifyClass.NOTIFY_KEYSPACE:
        out += "K"
    if flags & NotifyClass.NOTIFY_KEYEVENT:
        out += "E"
    if flags & NotifyClass.NOTIFY_KEY_MISS:
        out += "m"
    return out
