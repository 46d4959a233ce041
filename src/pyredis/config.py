"""Server configuration: one table of settings drives redis.conf, the command line and CONFIG GET/SET.

Every directive Redis 7.0.15 knows is one :class:`Setting` in :data:`SETTINGS`.  The same entry is
used by

* the redis.conf parser (:meth:`Config.load`: config file with ``include``, then stdin, then the
  command-line options, one text, line numbers counted over the whole of it as Redis does),
* the command line (:func:`parse_command_line` turns ``--name value ...`` into config lines),
* ``CONFIG GET`` (:meth:`Config.get`) and ``CONFIG SET`` (:meth:`Config.set`, atomic, with hooks).

Messages, value formats and quirks were checked one by one against Debian's redis-server 7.0.15
(see tests/unit/test_config_vs_redis.py, which re-checks many of them when redis-server is on PATH).

To add a setting, add one entry to ``SETTINGS`` using one of the small constructors below
(``_bool``, ``_int``, ``_mem``, ``_enum``, ``_str``...).

Text handling: config files are read as bytes and decoded as UTF-8 with ``surrogateescape``, so
values that are not valid UTF-8 (for instance produced by a ``"\\xff"`` escape) survive as lone
surrogates; ``value.encode("utf-8", "surrogateescape")`` gives the original bytes back.
"""

from __future__ import annotations

import glob as _glob
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from pyredis.errors import CommandError

__all__ = [
    "REDIS_VERSION",
    "HELP_TEXT",
    "ConfigFileError",
    "Setting",
    "SETTINGS",
    "Directive",
    "Config",
    "CommandLine",
    "parse_command_line",
    "split_args",
    "repr_arg",
    "stringmatch",
    "memtoull",
    "keyspace_events_to_flags",
    "keyspace_flags_to_string",
]

REDIS_VERSION = "7.0.15"

HELP_TEXT = """\
Usage: pyredis-server [/path/to/redis.conf] [options] [-]
       pyredis-server - (read config from stdin)
       pyredis-server -v or --version
       pyredis-server -h or --help

Examples:
       pyredis-server (run the server with default conf)
       echo 'maxmemory 128mb' | pyredis-server -
       pyredis-server /etc/redis/6379.conf
       pyredis-server --port 7777
       pyredis-server --port 7777 --replicaof 127.0.0.1 8888
       pyredis-server /etc/myredis.conf --loglevel verbose -
       pyredis-server /etc/myredis.conf --loglevel verbose
"""

_U64 = (1 << 64) - 1
INT_MIN, INT_MAX = -(1 << 31), (1 << 31) - 1
UINT_MAX = (1 << 32) - 1
LONG_MAX = LLONG_MAX = (1 << 63) - 1
ULLONG_MAX = _U64
CONFIG_BINDADDR_MAX = 16
CONFIG_MIN_HZ, CONFIG_MAX_HZ = 1, 500
NET_HOST_STR_LEN = 256

# notify-keyspace-events flag bits (same layout as Redis's NOTIFY_*).
NOTIFY_KEYSPACE = 1 << 0   # K
NOTIFY_KEYEVENT = 1 << 1   # E
NOTIFY_GENERIC = 1 << 2    # g
NOTIFY_STRING = 1 << 3     # $
NOTIFY_LIST = 1 << 4       # l
NOTIFY_SET = 1 << 5        # s
NOTIFY_HASH = 1 << 6       # h
NOTIFY_ZSET = 1 << 7       # z
NOTIFY_EXPIRED = 1 << 8    # x
NOTIFY_EVICTED = 1 << 9    # e
NOTIFY_STREAM = 1 << 10    # t
NOTIFY_KEY_MISS = 1 << 11  # m
NOTIFY_LOADED = 1 << 12    # module only, no letter
NOTIFY_MODULE = 1 << 13    # d
NOTIFY_NEW = 1 << 14       # n
NOTIFY_ALL = (NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET
              | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE)  # A

# shutdown-on-sigint / shutdown-on-sigterm flag bits
SHUTDOWN_SAVE = 1
SHUTDOWN_NOSAVE = 2
SHUTDOWN_NOW = 4
SHUTDOWN_FORCE = 8


class ConfigFileError(Exception):
    """A configuration error that stops the server at startup.

    ``str(e)`` is exactly what redis-server 7.0.15 prints to stderr, e.g.::

        "\\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\\nReading the configuration file, at line 2\\n"
        ">>> 'port abc'\\nargument couldn't be parsed into an integer\\n"

    (without the "Reading ... / >>>" lines for errors found after parsing, like an unopenable
    logfile).  One case differs: a config file (or a non-glob ``include``) that can't be opened is
    not reported that way by Redis but *logged* at warning level ("Fatal error, can't open config
    file '/abs/path': No such file or directory") before exiting with status 1.  For it
    ``e.log_message`` is True and ``str(e)`` is that log message without a newline.
    """

    def __init__(self, reason: str, lineno: int | None = None, line: str | None = None,
                 *, log_message: bool = False):
        self.reason = reason
        self.lineno = lineno
        self.line = line
        self.log_message = log_message
        if log_message:
            text = reason
        else:
            text = f"\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n"
            if lineno is not None:
                text += f"Reading the configuration file, at line {lineno}\n>>> '{line}'\n"
            text += f"{reason}\n"
        self.text = text
        super().__init__(text)

    def __str__(self) -> str:
        return self.text


class _Invalid(Exception):
    """A value was refused; ``reason`` is Redis's wording (without any prefix)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# Low-level parsing helpers (behave like the C functions Redis uses)
# ---------------------------------------------------------------------------------------------

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower(s: str) -> str:
    """ASCII-only lower-casing, like C tolower() in the C locale."""
    return s.translate(_ASCII_LOWER)


def _wrap64(v: int) -> int:
    """Reinterpret an unsigned 64-bit value as signed (C cast to long long)."""
    v &= _U64
    return v - (1 << 64) if v >> 63 else v


def _wrap32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


_STRING2LL = re.compile(r"-?[1-9][0-9]*|0")


def _string2ll(s: str) -> int | None:
    """Strict integer parsing (Redis string2ll): no spaces, no '+', no leading zeros."""
    if not _STRING2LL.fullmatch(s):
        return None
    v = int(s)
    if v < -(1 << 63) or v > LLONG_MAX:
        return None
    return v


_C_SPACE = " \t\n\v\f\r"
_STRTOLL = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]*)(.*)", re.S)


def _strtoll(s: str) -> tuple[int, str]:
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
           "g": 1000 ** 3, "gb": 1024 ** 3}.get(_lower(unit))
    if mul is None or i >= 128:
        return None
    val = min(int(s[:i]) if i else 0, _U64)
    return (val * mul) & _U64


_STRTOD = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    r"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])"
)


def _string2d(s: str) -> float | None:
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


def _fmt_double(v: float) -> str:
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


def stringmatch(pattern: str, string: str, nocase: bool = False) -> bool:
    """Glob matching with Redis's rules (``*``, ``?``, ``[abc]``, ``[^a-z]``, ``\\`` escapes)."""
    fold = _lower if nocase else (lambda x: x)
    giveup = [False]

    def match(p: int, s: int) -> bool:
        plen, slen = len(pattern), len(string)
        while p < plen and s < slen:
            c = pattern[p]
            if c == "*":
                while p + 1 < plen and pattern[p + 1] == "*":
                    p += 1
                if p + 1 == plen:
                    return True
                while s < slen:
                    if match(p + 1, s):
                        return True
                    if giveup[0]:
                        return False
                    s += 1
                giveup[0] = True
                return False
            elif c == "?":
                s += 1
            elif c == "[":
                p += 1
                negate = p < plen and pattern[p] == "^"
                if negate:
                    p += 1
                hit = False
                while True:
                    if p < plen and pattern[p] == "\\" and plen - p >= 2:
                        p += 1
                        if pattern[p] == string[s]:
                            hit = True
                    elif p < plen and pattern[p] == "]":
                        break
                    elif p >= plen:
                        p -= 1
                        break
                    elif plen - p >= 3 and pattern[p + 1] == "-":
                        lo, hi, ch = pattern[p], pattern[p + 2], string[s]
                        if lo > hi:
                            lo, hi = hi, lo
                        if nocase:
                            lo, hi, ch = fold(lo), fold(hi), fold(ch)
                        p += 2
                        if lo <= ch <= hi:
                            hit = True
                    elif fold(pattern[p]) == fold(string[s]):
                        hit = True
                    p += 1
                if negate:
                    hit = not hit
                if not hit:
                    return False
                s += 1
            else:
                if c == "\\" and plen - p >= 2:
                    p += 1
                    c = pattern[p]
                if fold(c) != fold(string[s]):
                    return False
                s += 1
            p += 1
            if s >= slen:
                while p < plen and pattern[p] == "*":
                    p += 1
                break
        return p >= plen and s >= slen

    return match(0, 0)


def _abs_path(path: str) -> str:
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


_KEYSPACE_LETTERS = {
    "A": NOTIFY_ALL, "g": NOTIFY_GENERIC, "$": NOTIFY_STRING, "l": NOTIFY_LIST, "s": NOTIFY_SET,
    "h": NOTIFY_HASH, "z": NOTIFY_ZSET, "x": NOTIFY_EXPIRED, "e": NOTIFY_EVICTED,
    "K": NOTIFY_KEYSPACE, "E": NOTIFY_KEYEVENT, "t": NOTIFY_STREAM, "m": NOTIFY_KEY_MISS,
    "d": NOTIFY_MODULE, "n": NOTIFY_NEW,
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
        for ch, bit in (("g", NOTIFY_GENERIC), ("$", NOTIFY_STRING), ("l", NOTIFY_LIST),
                        ("s", NOTIFY_SET), ("h", NOTIFY_HASH), ("z", NOTIFY_ZSET),
                        ("x", NOTIFY_EXPIRED), ("e", NOTIFY_EVICTED), ("t", NOTIFY_STREAM),
                        ("d", NOTIFY_MODULE), ("n", NOTIFY_NEW)):
            if flags & bit:
                out += ch
    if flags & NOTIFY_KEYSPACE:
        out += "K"
    if flags & NOTIFY_KEYEVENT:
        out += "E"
    if flags & NOTIFY_KEY_MISS:
        out += "m"
    return out


# ---------------------------------------------------------------------------------------------
# The settings table
# ---------------------------------------------------------------------------------------------

# Parser of a "special" setting: (config, args, reading_config_file) -> new typed value.
SpecialParse = Callable[["Config", list, bool], Any]
# Formatter: (config, typed value) -> CONFIG GET text.
SpecialFormat = Callable[["Config", Any], str]


@dataclass(frozen=True, eq=False)
class Setting:
    """One configuration directive.

    kind: ``bool`` | ``int`` | ``memory`` (units, optionally a percentage) | ``octal`` | ``enum`` |
    ``flags`` (enum whose several names combine, e.g. shutdown-on-sigint) | ``string`` |
    ``special`` (own ``parse``/``format``).
    ``default`` is the typed value (what ``Config[name]`` returns).
    """

    name: str
    kind: str
    default: Any
    aliases: tuple[str, ...] = ()
    mutable: bool = True          # False: CONFIG SET says "can't set immutable config"
    protected: bool = False       # needs enable-protected-configs (CONFIG SET)
    hidden: bool = False          # not matched by CONFIG GET globs, only by its exact name
    sensitive: bool = False       # value must be redacted from slowlog/monitor
    deny_loading: bool = False    # CONFIG SET refused with -LOADING while loading data
    multi_arg: bool = False       # several arguments on one config line
    lo: int = 0
    hi: int = 0
    unsigned: bool = False        # C type is unsigned (bounds compared as unsigned 64-bit)
    percent: bool = False         # memory setting that also takes "N%" (stored as -N)
    choices: tuple[tuple[str, int], ...] = ()  # enum/flags: (name, value) in Redis's order
    check: Callable[["Config", Any], str | None] | None = None  # extra validation -> reason
    # Adjust a value after CONFIG SET changed it, as Redis's apply step does (e.g. clamping).
    after_set: Callable[["Config", Any], Any] | None = None
    parse: SpecialParse | None = None
    format: SpecialFormat | None = None
    doc: str = ""


def _bool(name, default, *, aliases=(), check=None, **kw):
    return Setting(name, "bool", default, aliases=tuple(aliases), check=check, **kw)


def _int(name, lo, hi, default, *, aliases=(), unsigned=False, **kw):
    return Setting(name, "int", default, aliases=tuple(aliases), lo=lo, hi=hi, unsigned=unsigned, **kw)


def _mem(name, lo, hi, default, *, aliases=(), unsigned=False, percent=False, **kw):
    return Setting(name, "memory", default, aliases=tuple(aliases), lo=lo, hi=hi,
                   unsigned=unsigned, percent=percent, **kw)


def _enum(name, names, default, *, aliases=(), values=None, **kw):
    vals = values if values is not None else range(len(names))
    return Setting(name, "enum", default, aliases=tuple(aliases), choices=tuple(zip(names, vals)), **kw)


def _str(name, default="", *, aliases=(), check=None, **kw):
    return Setting(name, "string", default, aliases=tuple(aliases), check=check, **kw)


def _special(name, default, parse, fmt, *, aliases=(), multi_arg=False, **kw):
    return Setting(name, "special", default, aliases=tuple(aliases), parse=parse, format=fmt,
                   multi_arg=multi_arg, **kw)


# --- validators -------------------------------------------------------------------------------

def _check_activedefrag(cfg, value):
    if value:
        return ("Active defragmentation cannot be enabled: it requires a Redis server compiled "
                "with a modified Jemalloc like the one shipped by default with the Redis source "
                "distribution")
    return None


def _is_basename(p: str) -> bool:
    return "/" not in p and "\\" not in p


def _check_dbfilename(cfg, v):
    return None if _is_basename(v) else "dbfilename can't be a path, just a filename"


def _check_appendfilename(cfg, v):
    if v == "":
        return "appendfilename can't be empty"
    return None if _is_basename(v) else "appendfilename can't be a path, just a filename"


def _check_appenddirname(cfg, v):
    if v == "":
        return "appenddirname can't be empty"
    return None if _is_basename(v) else "appenddirname can't be a path, just a dirname"


def _check_hostname(cfg, v):
    if len(v.encode("utf-8", "surrogateescape")) >= NET_HOST_STR_LEN:
        return f"Hostnames must be less than {NET_HOST_STR_LEN} characters"
    for ch in v:
        if not (ch.isascii() and (ch.isalnum() or ch in "-.")):
            return "Hostnames may only contain alphanumeric characters, hyphens or dots"
    return None


def _expand_title_template(cfg: "Config", template: str, title: str) -> str | None:
    """Expand a proc-title-template ({title} {listen-addr} {server-mode} {port} {tls-port}
    {unixsocket} {config-file}; "{{" is a literal "{").  None when invalid."""
    out = []
    i = 0
    while i < len(template):
        j = template.find("{", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        j += 1
        if j >= len(template):
            return None
        if template[j] == "{":
            out.append("{")
            i = j + 1
            continue
        k = template.find("}", j)
        if k < 0:
            return None
        var = template[j:k]
        if var == "title":
            val = title
        elif var == "listen-addr":
            bind = cfg["bind"]
            val = f"{bind[0] if bind else '*'}:{cfg['port']}"
        elif var == "server-mode":
            val = "[cluster]" if cfg["cluster-enabled"] else ""
        elif var == "port":
            val = str(cfg["port"])
        elif var == "tls-port":
            val = str(cfg["tls-port"])
        elif var == "unixsocket":
            val = cfg["unixsocket"]
        elif var == "config-file":
            val = cfg.config_file() or ""
        else:
            return None
        out.append(val)
        i = k + 1
    return "".join(out).strip(" ")


def _check_proc_title(cfg, v):
    res = _expand_title_template(cfg, v, "")
    if not res:
        return "template format is invalid or contains unknown variables"
    return None


def _check_shutdown_flags(cfg, v):
    if v & SHUTDOWN_SAVE and v & SHUTDOWN_NOSAVE:
        return "shutdown options SAVE and NOSAVE can't be used simultaneously"
    return None


# --- special settings: parse / format ---------------------------------------------------------

def _parse_save(cfg: "Config", args: list, reading_file: bool):
    explicit_reset = len(args) == 1 and args[0] == ""
    if explicit_reset:
        args = []
    if len(args) % 2:
        raise _Invalid("Invalid save parameters")
    params = []
    for j in range(0, len(args), 2):
        secs, rest1 = _strtoll(args[j])
        changes, rest2 = _strtoll(args[j + 1])
        if rest1 != "" or rest2 != "" or secs < 1 or changes < 0:
            raise _Invalid("Invalid save parameters")
        params.append((secs, _wrap32(changes)))
    if explicit_reset or not reading_file:
        base = []
    elif not cfg._save_loaded:
        # The first "save" line of a config file replaces the defaults, later ones accumulate.
        base = []
    else:
        base = list(cfg._values["save"])
    if reading_file:
        cfg._save_loaded = True
    return base + params


def _fmt_save(cfg, v):
    return " ".join(f"{s} {c}" for s, c in v)


def _parse_bind(cfg, args, reading_file):
    if len(args) > CONFIG_BINDADDR_MAX:
        raise _Invalid("Too many bind addresses specified.")
    if len(args) == 1 and args[0] == "":
        return []
    return list(args)


def _fmt_list(cfg, v):
    return " ".join(v)


class ClientBufferLimits(dict):
    """client class -> (hard_bytes, soft_bytes, soft_seconds); classes "normal", "replica",
    "pubsub" ("slave" is accepted as another name for "replica")."""

    _ALIASES = {"slave": "replica"}

    def __getitem__(self, key):
        return super().__getitem__(self._ALIASES.get(key, key))

    def __contains__(self, key):
        return super().__contains__(self._ALIASES.get(key, key))

    def get(self, key, default=None):
        return super().get(self._ALIASES.get(key, key), default)


_OBUF_CLASSES = {"normal": "normal", "slave": "replica", "replica": "replica", "pubsub": "pubsub"}


def _parse_obuf(cfg, args, reading_file):
    if len(args) % 4:
        raise _Invalid("Wrong number of arguments in buffer limit configuration.")
    new = ClientBufferLimits(cfg._values["client-output-buffer-limit"])
    updates = {}
    for j in range(0, len(args), 4):
        cls = _OBUF_CLASSES.get(_lower(args[j]))
        if cls is None:
            raise _Invalid("Invalid client class specified in buffer limit configuration.")
        hard = memtoull(args[j + 1])
        soft = memtoull(args[j + 2])
        secs, rest = _strtoll(args[j + 3])
        secs = _wrap32(secs)
        if hard is None or soft is None or secs < 0 or rest != "":
            raise _Invalid("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        updates[cls] = (hard, soft, secs)
    new.update(updates)
    return new


def _fmt_obuf(cfg, v):
    parts = []
    for cls, label in (("normal", "normal"), ("replica", "slave"), ("pubsub", "pubsub")):
        h, s, sec = v[cls]
        parts.append(f"{label} {h} {s} {sec}")
    return " ".join(parts)


def _parse_oom_values(cfg, args, reading_file):
    if len(args) != 3:
        raise _Invalid("wrong number of arguments")
    vals = []
    for a in args:
        v, rest = _strtoll(a)
        if rest != "" or v < -2000 or v > 2000:
            raise _Invalid("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
        vals.append(v)
    return vals


def _fmt_ints(cfg, v):
    return " ".join(str(x) for x in v)


def _parse_notify(cfg, args, reading_file):
    if len(args) != 1:
        raise _Invalid("wrong number of arguments")
    flags = keyspace_events_to_flags(args[0])
    if flags is None:
        raise _Invalid("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    return flags


def _fmt_notify(cfg, v):
    return keyspace_flags_to_string(v)


def _parse_replicaof(cfg, args, reading_file):
    if len(args) != 2:
        raise _Invalid("wrong number of arguments")
    if _lower(args[0]) == "no" and _lower(args[1]) == "one":
        return None
    port, rest = _strtoll(args[1])
    if rest != "" or port < 0 or port > 65535:
        raise _Invalid("Invalid master port")
    return (args[0], port)


def _fmt_replicaof(cfg, v):
    return "" if v is None else f"{v[0]} {v[1]}"


def _parse_percentiles(cfg, args, reading_file):
    if len(args) == 1 and args[0] == "":
        return []
    out = []
    for a in args:
        d = _string2d(a)
        if d is None:
            raise _Invalid("Invalid latency-tracking-info-percentiles parameters")
        if d > 100.0 or d < 0.0:
            raise _Invalid("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
        out.append(d)
    return out


def _fmt_percentiles(cfg, v):
    return " ".join(_fmt_double(x) for x in v)


def _parse_dir(cfg, args, reading_file):
    if len(args) != 1:
        raise _Invalid("wrong number of arguments")
    try:
        os.chdir(args[0])
    except OSError as e:
        raise _Invalid(os.strerror(e.errno) if e.errno else str(e))
    return None


def _fmt_dir(cfg, v):
    return os.getcwd()


_YESNO = ("no", "yes", "local")
_SHUTDOWN_FLAGS = (("default", 0), ("save", SHUTDOWN_SAVE), ("nosave", SHUTDOWN_NOSAVE),
                   ("now", SHUTDOWN_NOW), ("force", SHUTDOWN_FORCE))

SETTINGS: tuple[Setting, ...] = (
    # ---- network ----
    _special("bind", ["127.0.0.1", "-::1"], _parse_bind, _fmt_list, multi_arg=True,
             doc="list of addresses; '-' prefix = optional; pyredis default 127.0.0.1 -::1"),
    _str("bind-source-addr"),
    _bool("protected-mode", True),
    _enum("enable-protected-configs", _YESNO, "no", mutable=False),
    _enum("enable-debug-command", _YESNO, "no", mutable=False),
    _enum("enable-module-command", _YESNO, "no", mutable=False),
    _int("port", 0, 65535, 6379),
    _int("tcp-backlog", 0, INT_MAX, 511, mutable=False),
    _str("unixsocket", mutable=False),
    Setting("unixsocketperm", "octal", 0, lo=0, hi=0o777, unsigned=True, mutable=False),
    _int("socket-mark-id", 0, UINT_MAX, 0, unsigned=True, mutable=False),
    _int("timeout", 0, INT_MAX, 0),
    _int("tcp-keepalive", 0, INT_MAX, 300),
    # ---- TLS (accepted and stored) ----
    _int("tls-port", 0, 65535, 0),
    _str("tls-cert-file"),
    _str("tls-key-file"),
    _str("tls-key-file-pass"),
    _str("tls-client-cert-file"),
    _str("tls-client-key-file"),
    _str("tls-client-key-file-pass"),
    _str("tls-dh-params-file"),
    _str("tls-ca-cert-file"),
    _str("tls-ca-cert-dir"),
    _enum("tls-auth-clients", ("no", "yes", "optional"), "yes"),
    _bool("tls-replication", False),
    _bool("tls-cluster", False),
    _str("tls-protocols"),
    _str("tls-ciphers"),
    _str("tls-ciphersuites"),
    _bool("tls-prefer-server-ciphers", False),
    _bool("tls-session-caching", True),
    _int("tls-session-cache-size", 0, INT_MAX, 20480),
    _int("tls-session-cache-timeout", 0, INT_MAX, 300),
    # ---- general ----
    _bool("daemonize", False, mutable=False),
    _enum("supervised", ("upstart", "systemd", "auto", "no"), "no", mutable=False),
    _str("pidfile", mutable=False),
    _enum("loglevel", ("debug", "verbose", "notice", "warning"), "notice"),
    _str("logfile", mutable=False),
    _bool("syslog-enabled", False, mutable=False),
    _str("syslog-ident", "redis", mutable=False),
    _enum("syslog-facility", ("user", "local0", "local1", "local2", "local3", "local4", "local5",
                              "local6", "local7"), "local0", mutable=False),
    _bool("crash-log-enabled", True),
    _bool("crash-memcheck-enabled", True),
    _int("databases", 1, INT_MAX, 16, mutable=False),
    _bool("always-show-logo", False, mutable=False),
    _bool("set-proc-title", True, mutable=False),
    _str("proc-title-template", "{title} {listen-addr} {server-mode}", check=_check_proc_title),
    # ---- snapshotting ----
    _special("save", [(3600, 1), (300, 100), (60, 10000)], _parse_save, _fmt_save, multi_arg=True,
             doc="list of (seconds, changes); repeatable in a config file; save \"\" clears"),
    _bool("stop-writes-on-bgsave-error", True),
    _bool("rdbcompression", True),
    _bool("rdbchecksum", True, mutable=False),
    _enum("sanitize-dump-payload", ("no", "yes", "clients"), "no"),
    _str("dbfilename", "dump.rdb", protected=True, check=_check_dbfilename),
    _bool("rdb-del-sync-files", False),
    _special("dir", None, _parse_dir, _fmt_dir, protected=True, deny_loading=True,
             doc="working directory: setting it chdirs, CONFIG GET shows the absolute cwd"),
    # ---- replication ----
    _special("replicaof", None, _parse_replicaof, _fmt_replicaof, aliases=("slaveof",),
             multi_arg=True, mutable=False, doc="None or (host, port)"),
    _str("masterauth", sensitive=True),
    _str("masteruser", sensitive=True),
    _bool("replica-serve-stale-data", True, aliases=("slave-serve-stale-data",)),
    _bool("replica-read-only", True, aliases=("slave-read-only",)),
    _bool("repl-diskless-sync", True),
    _int("repl-diskless-sync-delay", 0, INT_MAX, 5),
    _int("repl-diskless-sync-max-replicas", 0, INT_MAX, 0),
    _enum("repl-diskless-load", ("disabled", "on-empty-db", "swapdb"), "disabled", deny_loading=True),
    _int("repl-ping-replica-period", 1, INT_MAX, 10, aliases=("repl-ping-slave-period",)),
    _int("repl-timeout", 1, INT_MAX, 60),
    _bool("repl-disable-tcp-nodelay", False),
    _mem("repl-backlog-size", 1, LLONG_MAX, 1024 * 1024,
         after_set=lambda cfg, v: max(v, 16 * 1024), doc="CONFIG SET raises it to at least 16kb"),
    _int("repl-backlog-ttl", 0, LONG_MAX, 3600),
    _int("replica-priority", 0, INT_MAX, 100, aliases=("slave-priority",)),
    _bool("replica-announced", True),
    _int("min-replicas-to-write", 0, INT_MAX, 0, aliases=("min-slaves-to-write",)),
    _int("min-replicas-max-lag", 0, INT_MAX, 10, aliases=("min-slaves-max-lag",)),
    _str("replica-announce-ip", aliases=("slave-announce-ip",)),
    _int("replica-announce-port", 0, 65535, 0, aliases=("slave-announce-port",)),
    _bool("replica-ignore-disk-write-errors", False),
    _enum("propagation-error-behavior", ("ignore", "panic", "panic-on-replicas"), "ignore"),
    # ---- keys tracking / security ----
    _int("tracking-table-max-keys", 0, LONG_MAX, 1000000, unsigned=True),
    _int("acllog-max-len", 0, LONG_MAX, 128),
    _str("aclfile", mutable=False),
    _enum("acl-pubsub-default", ("allchannels", "resetchannels"), "resetchannels"),
    _str("requirepass", sensitive=True),
    # ---- clients / memory ----
    _int("maxclients", 1, UINT_MAX, 10000, unsigned=True),
    _mem("maxmemory", 0, ULLONG_MAX, 0, unsigned=True),
    _enum("maxmemory-policy", ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                               "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
          "noeviction"),
    _int("maxmemory-samples", 1, INT_MAX, 5),
    _int("maxmemory-eviction-tenacity", 0, 100, 10),
    _bool("replica-ignore-maxmemory", True, aliases=("slave-ignore-maxmemory",)),
    _int("active-expire-effort", 1, 10, 1),
    _mem("maxmemory-clients", -100, LLONG_MAX, 0, percent=True,
         doc="bytes, or a negative number -N meaning N% of maxmemory"),
    # ---- lazy freeing ----
    _bool("lazyfree-lazy-eviction", False),
    _bool("lazyfree-lazy-expire", False),
    _bool("lazyfree-lazy-server-del", False),
    _bool("replica-lazy-flush", False, aliases=("slave-lazy-flush",)),
    _bool("lazyfree-lazy-user-del", False),
    _bool("lazyfree-lazy-user-flush", False),
    # ---- threads / kernel ----
    _int("io-threads", 1, 128, 1, mutable=False),
    _bool("io-threads-do-reads", False, mutable=False),
    _enum("oom-score-adj", ("no", "yes", "relative", "absolute"), "no", values=(0, 1, 1, 2)),
    _special("oom-score-adj-values", [0, 200, 800], _parse_oom_values, _fmt_ints, multi_arg=True),
    _bool("disable-thp", True, mutable=False),
    _str("server_cpulist", mutable=False),
    _str("bio_cpulist", mutable=False),
    _str("aof_rewrite_cpulist", mutable=False),
    _str("bgsave_cpulist", mutable=False),
    _str("ignore-warnings"),
    # ---- append only file ----
    _bool("appendonly", False, deny_loading=True),
    _str("appendfilename", "appendonly.aof", mutable=False, check=_check_appendfilename),
    _str("appenddirname", "appendonlydir", mutable=False, check=_check_appenddirname),
    _enum("appendfsync", ("everysec", "always", "no"), "everysec"),
    _bool("no-appendfsync-on-rewrite", False),
    _int("auto-aof-rewrite-percentage", 0, INT_MAX, 100),
    _mem("auto-aof-rewrite-min-size", 0, LLONG_MAX, 64 * 1024 * 1024),
    _bool("aof-load-truncated", True),
    _bool("aof-use-rdb-preamble", True),
    _bool("aof-timestamp-enabled", False),
    _bool("aof-disable-auto-gc", False),
    _bool("aof-rewrite-incremental-fsync", True),
    _bool("rdb-save-incremental-fsync", True),
    # ---- shutdown ----
    _int("shutdown-timeout", 0, INT_MAX, 10),
    Setting("shutdown-on-sigint", "flags", "default", choices=_SHUTDOWN_FLAGS, multi_arg=True,
            check=_check_shutdown_flags),
    Setting("shutdown-on-sigterm", "flags", "default", choices=_SHUTDOWN_FLAGS, multi_arg=True,
            check=_check_shutdown_flags),
    # ---- scripting ----
    _int("busy-reply-threshold", 0, LONG_MAX, 5000, aliases=("lua-time-limit",)),
    # ---- cluster (accepted and stored) ----
    _bool("cluster-enabled", False, mutable=False),
    _str("cluster-config-file", "nodes.conf", mutable=False),
    _int("cluster-node-timeout", 0, LLONG_MAX, 15000),
    _int("cluster-port", 0, 65535, 0, mutable=False),
    _int("cluster-replica-validity-factor", 0, INT_MAX, 10, aliases=("cluster-slave-validity-factor",)),
    _int("cluster-migration-barrier", 0, INT_MAX, 1),
    _bool("cluster-allow-replica-migration", True),
    _bool("cluster-require-full-coverage", True),
    _bool("cluster-replica-no-failover", False, aliases=("cluster-slave-no-failover",)),
    _bool("cluster-allow-reads-when-down", False),
    _bool("cluster-allow-pubsubshard-when-down", True),
    _mem("cluster-link-sendbuf-limit", 0, ULLONG_MAX, 0, unsigned=True),
    _str("cluster-announce-hostname", check=_check_hostname),
    _enum("cluster-preferred-endpoint-type", ("ip", "hostname", "unknown-endpoint"), "ip"),
    _str("cluster-announce-ip"),
    _int("cluster-announce-port", 0, 65535, 0),
    _int("cluster-announce-tls-port", 0, 65535, 0),
    _int("cluster-announce-bus-port", 0, 65535, 0),
    # ---- slow log / latency ----
    _int("slowlog-log-slower-than", -1, LLONG_MAX, 10000),
    _int("slowlog-max-len", 0, LONG_MAX, 128),
    _int("latency-monitor-threshold", 0, LLONG_MAX, 0),
    _bool("latency-tracking", True),
    _special("latency-tracking-info-percentiles", [50.0, 99.0, 99.9], _parse_percentiles,
             _fmt_percentiles, multi_arg=True),
    # ---- events ----
    _special("notify-keyspace-events", 0, _parse_notify, _fmt_notify,
             doc="int bit mask (NOTIFY_* constants); CONFIG GET shows Redis's canonical letters"),
    # ---- encodings (accepted and stored) ----
    _int("hash-max-listpack-entries", 0, LONG_MAX, 512, aliases=("hash-max-ziplist-entries",), unsigned=True),
    _mem("hash-max-listpack-value", 0, LONG_MAX, 64, aliases=("hash-max-ziplist-value",), unsigned=True),
    _int("list-max-listpack-size", INT_MIN, INT_MAX, -2, aliases=("list-max-ziplist-size",)),
    _int("list-compress-depth", 0, INT_MAX, 0),
    _int("set-max-intset-entries", 0, LONG_MAX, 512, unsigned=True),
    _int("zset-max-listpack-entries", 0, LONG_MAX, 128, aliases=("zset-max-ziplist-entries",), unsigned=True),
    _mem("zset-max-listpack-value", 0, LONG_MAX, 64, aliases=("zset-max-ziplist-value",), unsigned=True),
    _mem("hll-sparse-max-bytes", 0, LONG_MAX, 3000, unsigned=True),
    _mem("stream-node-max-bytes", 0, LONG_MAX, 4096, unsigned=True),
    _int("stream-node-max-entries", 0, LLONG_MAX, 100),
    _bool("activerehashing", True),
    # ---- limits ----
    _special("client-output-buffer-limit",
             ClientBufferLimits(normal=(0, 0, 0), replica=(256 * 1024 * 1024, 64 * 1024 * 1024, 60),
                                pubsub=(32 * 1024 * 1024, 8 * 1024 * 1024, 60)),
             _parse_obuf, _fmt_obuf, multi_arg=True,
             doc="dict class -> (hard, soft, seconds); repeatable in a config file"),
    _mem("client-query-buffer-limit", 1024 * 1024, LONG_MAX, 1024 * 1024 * 1024, unsigned=True),
    _mem("proto-max-bulk-len", 1024 * 1024, LONG_MAX, 512 * 1024 * 1024),
    _int("hz", 0, INT_MAX, 10, doc="clamped to 1..500 like Redis"),
    _bool("dynamic-hz", True),
    # ---- active defragmentation (accepted; cannot be enabled, as on builds without jemalloc) ----
    _bool("activedefrag", False, check=_check_activedefrag),
    _mem("active-defrag-ignore-bytes", 1, LLONG_MAX, 100 * 1024 * 1024, unsigned=True),
    _int("active-defrag-threshold-lower", 0, 1000, 10),
    _int("active-defrag-threshold-upper", 0, 1000, 100),
    _int("active-defrag-cycle-min", 1, 99, 1),
    _int("active-defrag-cycle-max", 1, 99, 25),
    _int("active-defrag-max-scan-fields", 1, LONG_MAX, 1000),
    _bool("jemalloc-bg-thread", True),
    _int("lfu-log-factor", 0, INT_MAX, 10),
    _int("lfu-decay-time", 0, INT_MAX, 1),
    # ---- hidden (debugging / tests: only an exact CONFIG GET name shows them) ----
    _bool("use-exit-on-panic", False, hidden=True),
    _int("rdb-key-save-delay", INT_MIN, INT_MAX, 0, hidden=True),
    _int("key-load-delay", INT_MIN, INT_MAX, 0, hidden=True),
    _int("watchdog-period", 0, INT_MAX, 0, hidden=True,
         after_set=lambda cfg, v: max(v, (1000 // cfg["hz"]) * 2) if v else 0),
    _int("loading-process-events-interval-bytes", 1024, INT_MAX, 2 * 1024 * 1024, hidden=True),
)

# Config-file-only directives Redis 7.0 silently accepts and ignores (with exactly one argument).
DEPRECATED_DIRECTIVES = ("list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands")

_BY_NAME: dict[str, Setting] = {}
_REGISTRY: list[tuple[str, Setting]] = []  # every name and alias, table order
for _s in SETTINGS:
    for _n in (_s.name, *_s.aliases):
        assert _n not in _BY_NAME, _n
        _BY_NAME[_n] = _s
        _REGISTRY.append((_n, _s))
del _s, _n


def lookup_setting(name: str) -> Setting | None:
    """The setting called ``name`` (case-insensitive, aliases accepted), or None."""
    return _BY_NAME.get(_lower(name))


@dataclass
class Directive:
    """A config-file line kept for the server to act on (rename-command, user, loadmodule)."""

    args: list[str]
    lineno: int
    line: str

    def error(self, reason: str) -> ConfigFileError:
        """The ConfigFileError Redis would print for this line with ``reason``."""
        return ConfigFileError(reason, self.lineno, self.line)


def _copy_value(v):
    if isinstance(v, ClientBufferLimits):
        return ClientBufferLimits(v)
    if isinstance(v, list):
        return list(v)
    return v


class Config:
    """The server's configuration: typed values for every :data:`SETTINGS` entry.

    ``cfg["maxmemory"]`` gives the typed value (aliases and any case accepted):
    int for int/memory/octal settings (maxmemory-clients: a negative -N means N percent),
    bool for yes/no settings, str for enums, strings and shutdown-on-sig* flag sets ("nosave now"),
    list[tuple[int, int]] for save, list[str] for bind, ClientBufferLimits (dict class ->
    (hard, soft, seconds)) for client-output-buffer-limit, list[int] for oom-score-adj-values,
    list[float] for latency-tracking-info-percentiles, None or (host, port) for replicaof,
    int flag bits (NOTIFY_*) for notify-keyspace-events, the absolute cwd for dir.

    After :meth:`load`: ``rename_commands`` (Directive args [old, new], in order; the server
    renames, or :meth:`load` checks them itself when given ``commands=``), ``users`` (Directive
    args = the words after ``user``), ``modules`` (list of [path, *args] from loadmodule) and
    ``module_configs`` (dict "module.name" -> value) are kept for the server to apply.
    """

    def __init__(self):
        self._values: dict[str, Any] = {s.name: _copy_value(s.default) for s in SETTINGS if s.name != "dir"}
        for st in SETTINGS:
            if st.kind == "flags":  # stored as bits, shown (and defaulted) as names
                self._values[st.name] = self._parse(st, st.default.split(), False)
        self._hooks: dict[str, list[Callable[[Any], None]]] = {}
        self._config_file: str | None = None
        self._save_loaded = False
        self._reading_file = False
        self._include_depth = 0
        self._commands: dict[str, str] | None = None
        self.rename_commands: list[Directive] = []
        self.users: list[Directive] = []
        self.modules: list[list[str]] = []
        self.module_configs: dict[str, str] = {}

    # ---- typed access ------------------------------------------------------------------------

    def __getitem__(self, name: str) -> Any:
        st = lookup_setting(name)
        if st is None:
            raise KeyError(name)
        return self._typed(st)

    def __contains__(self, name: str) -> bool:
        return lookup_setting(name) is not None

    def _typed(self, st: Setting) -> Any:
        if st.name == "dir":
            return os.getcwd()
        v = self._values[st.name]
        if st.kind == "flags":
            return self._fmt_flags(st, v)
        return _copy_value(v)  # callers can't change the configuration behind its back

    def setting(self, name: str) -> Setting:
        st = lookup_setting(name)
        if st is None:
            raise KeyError(name)
        return st

    def is_sensitive(self, name: str) -> bool:
        """True for settings whose CONFIG SET value must be redacted (requirepass...)."""
        st = lookup_setting(name)
        return bool(st and st.sensitive)

    def config_file(self) -> str | None:
        """Absolute path of the loaded config file (as Redis computes it), or None."""
        return self._config_file

    def format_value(self, name: str) -> str:
        """The CONFIG GET text of one setting."""
        return self._format(self.setting(name))

    def on_change(self, name: str, hook: Callable[[Any], None]) -> None:
        """Run ``hook(typed_value)`` after a CONFIG SET changed ``name`` (or one of its aliases).

        A hook may raise ``CommandError(reason)`` to reject the change: every setting of that
        CONFIG SET is restored (hooks that already ran are called again with their old value, their
        errors ignored) and CONFIG SET fails with
        "ERR CONFIG SET failed (possibly related to argument '<name>') - <reason>"."""
        st = self.setting(name)
        self._hooks.setdefault(st.name, []).append(hook)

    # ---- value parsing / formatting ----------------------------------------------------------

    def _fmt_flags(self, st: Setting, v: int) -> str:
        names = []
        rest = v
        for n, bit in st.choices:
            if v == bit:
                return n
            if bit and rest & bit == bit:
                names.append(n)
                rest &= ~bit
        return " ".join(names) if names and not rest else "unknown"

    def _format(self, st: Setting) -> str:
        if st.name == "dir":
            return os.getcwd()
        v = self._values[st.name]
        k = st.kind
        if k == "bool":
            return "yes" if v else "no"
        if k == "int":
            return str(v)
        if k == "memory":
            if st.percent and v < 0:
                return f"{-v}%"
            return str(v & _U64)
        if k == "octal":
            return "%o" % v
        if k == "enum":
            return v
        if k == "flags":
            return self._fmt_flags(st, v)
        if k == "string":
            return v
        return st.format(self, v)

    def _parse_number(self, st: Setting, s: str) -> int:
        ll = None
        if st.kind == "memory":
            u = memtoull(s)
            if u is not None:
                ll = _wrap64(u)
        if ll is None and st.percent and len(s) > 1 and s.endswith("%"):
            n = _string2ll(s[:-1])
            if n is not None and n >= 0:
                ll = -n
        if ll is None and st.kind == "octal":
            if s == "":
                ll = 0
            else:
                m = re.fullmatch(r"[ \t\n\v\f\r]*([+-]?)([0-7]+)", s)
                if m:
                    n = int(m.group(2), 8)
                    if n <= LLONG_MAX or (m.group(1) == "-" and n == LLONG_MAX + 1):
                        ll = -n if m.group(1) == "-" else n
        if ll is None and st.kind == "int":
            ll = _string2ll(s)
        if ll is None:
            if st.kind == "memory":
                raise _Invalid("argument must be a memory or percent value" if st.percent
                               else "argument must be a memory value")
            if st.kind == "octal":
                raise _Invalid("argument couldn't be parsed as an octal number")
            raise _Invalid("argument couldn't be parsed into an integer")
        if st.unsigned:
            u = ll & _U64
            if u > st.hi or u < st.lo:
                if st.kind == "octal":
                    raise _Invalid("argument must be between %o and %o inclusive" % (st.lo, st.hi))
                raise _Invalid(f"argument must be between {st.lo} and {st.hi} inclusive")
            return u
        if st.percent and ll < 0:
            if ll < st.lo:
                raise _Invalid(f"percentage argument must be less or equal to {-st.lo}")
        elif ll > st.hi or ll < st.lo:
            raise _Invalid(f"argument must be between {st.lo} and {st.hi} inclusive")
        return ll

    def _parse(self, st: Setting, args: list[str], reading_file: bool) -> Any:
        """New typed value for ``st`` from its arguments; raises _Invalid(reason)."""
        k = st.kind
        if k == "special":
            value = st.parse(self, args, reading_file)
        elif k == "flags":
            value = 0
            for a in args:
                for n, bit in st.choices:
                    if _lower(a) == n:
                        value |= bit
                        break
                else:
                    value = None
                    break
            if not args or value is None:
                raise _Invalid("argument(s) must be one of the following: "
                               + ", ".join(n for n, _ in st.choices))
        else:
            a = args[0]
            if k == "bool":
                la = _lower(a)
                if la not in ("yes", "no"):
                    raise _Invalid("argument must be 'yes' or 'no'")
                value = la == "yes"
            elif k == "enum":
                la = _lower(a)
                val = next((v for n, v in st.choices if n == la), None)
                if val is None:
                    raise _Invalid("argument(s) must be one of the following: "
                                   + ", ".join(n for n, _ in st.choices))
                value = next(n for n, v in st.choices if v == val)  # canonical spelling
            elif k == "string":
                value = a
            else:
                value = self._parse_number(st, a)
                if st.name == "hz":
                    value = max(CONFIG_MIN_HZ, min(CONFIG_MAX_HZ, value))
        if st.check is not None:
            reason = st.check(self, value)
            if reason:
                raise _Invalid(reason)
        return value

    def _store(self, st: Setting, value: Any) -> None:
        if st.name != "dir":
            self._values[st.name] = value

    # ---- redis.conf ---------------------------------------------------------------------------

    def load(self, config_file: str | None, stdin_text: str | None, options: str,
             *, commands: Iterable[str] | None = None) -> None:
        """Load configuration like redis-server: the file (with its includes), then ``stdin_text``,
        then the command-line ``options`` text (as built by :func:`parse_command_line`), parsed as
        one text (a newline is put before the options).  Raises :class:`ConfigFileError`.

        ``commands``: optional names of all commands; when given, rename-command lines are
        checked and applied to that set as Redis does ("No such command in rename-command",
        "Target command name already exists"); otherwise they are only recorded."""
        if commands is not None:
            self._commands = {_lower(c): c for c in commands}
        text = ""
        if config_file is not None:
            self._config_file = _abs_path(config_file)
            text += self._read_file(self._config_file)
        if stdin_text:
            text += stdin_text
        if options is not None:
            text += "\n" + options
        self._load_string(text)

    def load_string(self, text: str) -> None:
        """Parse config text (no file, no options)."""
        self._load_string(text)

    @staticmethod
    def _read_file(path: str) -> str:
        try:
            if os.path.isdir(path):
                return ""  # fopen() of a directory succeeds and reads nothing
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ConfigFileError(f"Fatal error, can't open config file '{path}': "
                                  f"{os.strerror(e.errno) if e.errno else e}", log_message=True)
        return data.decode("utf-8", "surrogateescape")

    def _include(self, pattern: str) -> None:
        if self._include_depth >= 64:
            raise ConfigFileError(f"Fatal error, can't open config file '{pattern}': "
                                  "too many levels of include", log_message=True)
        if any(c in pattern for c in "*?["):
            # No match is fine (an empty conf.d); the (empty) text is still "loaded", which
            # matters for Redis's save-accumulation quirk.
            text = "".join(self._read_file(p) for p in sorted(_glob.glob(pattern)))
        else:
            text = self._read_file(pattern)
        self._include_depth += 1
        try:
            self._load_string(text)
        finally:
            self._include_depth -= 1

    def _load_string(self, text: str) -> None:
        self._reading_file = True
        lines = text.split("\n")
        for i, raw in enumerate(lines):
            lineno = i + 1
            line = raw.strip(" \t\r\n")
            if not line or line[0] == "#":
                continue
            argv = split_args(line)
            if argv is None:
                raise ConfigFileError("Unbalanced quotes in configuration line", lineno, line)
            if not argv:
                continue
            try:
                self._directive(argv, lineno, line)
            except _Invalid as e:
                raise ConfigFileError(e.reason, lineno, line) from None
        self._after_load()
        self._reading_file = False

    def _directive(self, argv: list[str], lineno: int, line: str) -> None:
        name = _lower(argv[0])
        argc = len(argv)
        st = _BY_NAME.get(name)
        if st is not None:
            if not st.multi_arg and argc != 2:
                raise _Invalid("wrong number of arguments")
            args = argv[1:]
            if st.multi_arg and argc == 2 and args[0] != "":
                # One argument holding several words ("--save '900 1'"): split it.
                args = split_args(args[0]) or []
            self._store(st, self._parse(st, args, self._reading_file))
            return
        if name in DEPRECATED_DIRECTIVES and argc == 2:
            return
        if name == "include" and argc == 2:
            self._include(argv[1])
        elif name == "rename-command" and argc == 3:
            if self._commands is not None:
                old = _lower(argv[1])
                if old not in self._commands:
                    raise _Invalid("No such command in rename-command")
                del self._commands[old]
                if argv[2]:
                    new = _lower(argv[2])
                    if new in self._commands:
                        raise _Invalid("Target command name already exists")
                    self._commands[new] = argv[2]
            self.rename_commands.append(Directive([argv[1], argv[2]], lineno, line))
        elif name == "user" and argc >= 2:
            self.users.append(Directive(argv[1:], lineno, line))
        elif name == "loadmodule" and argc >= 2:
            self.modules.append(argv[1:])
        elif "." in name:
            if argc != 2:
                raise _Invalid("Module config specified without value")
            self.module_configs[name] = argv[1]
        elif name == "sentinel":
            if argc != 1:
                raise _Invalid("sentinel directive while not in sentinel mode")
        else:
            raise _Invalid("Bad directive or wrong number of arguments")

    def _after_load(self) -> None:
        logfile = self._values["logfile"]
        if logfile:
            try:
                with open(logfile, "a"):
                    pass
            except OSError as e:
                raise ConfigFileError(f"Can't open the log file: {os.strerror(e.errno) if e.errno else e}")
        if self._values["cluster-enabled"] and self._values["replicaof"] is not None:
            raise ConfigFileError("replicaof directive not allowed in cluster mode")

    # ---- CONFIG GET ---------------------------------------------------------------------------

    def get(self, patterns: list[str]) -> list[tuple[str, str]]:
        """CONFIG GET: (name, value) pairs for the glob patterns, each setting name once.

        A pattern without ``*?[`` is an exact (case-insensitive) lookup and is answered under the
        spelling given; globs match every name and alias case-insensitively but never hidden
        settings.  An alias and its setting are different names: both can appear."""
        matches: dict[str, tuple[str, Setting]] = {}
        for pat in patterns:
            if not any(c in pat for c in "[*?"):
                key = _lower(pat)
                if key in matches:
                    continue
                st = _BY_NAME.get(key)
                if st is not None:
                    matches[key] = (pat, st)
                continue
            for regname, st in _REGISTRY:
                if st.hidden or regname in matches:
                    continue
                if stringmatch(pat, regname, nocase=True):
                    matches[regname] = (regname, st)
        return [(shown, self._format(st)) for shown, st in matches.values()]

    # ---- CONFIG SET ---------------------------------------------------------------------------

    def set(self, pairs: list[tuple[str, str]], *, loading: bool = False,
            client_is_local: bool = False) -> None:
        """CONFIG SET name value [name value ...], all or nothing.

        ``loading``: the server is loading data (settings like appendonly/dir then fail with
        -LOADING).  ``client_is_local``: the client is on a unix socket or loopback (decides
        protected settings when enable-protected-configs is "local").
        Raises CommandError with Redis 7.0's text."""
        n = len(pairs)
        found: list[tuple[str, Setting] | None] = [None] * n
        invalid = deny = False
        invalid_name = err = err_name = None
        for i, (name, _value) in enumerate(pairs):
            st = lookup_setting(name)
            if st is None:
                if not invalid:
                    invalid_name = name
                    invalid = True
                continue
            if invalid:
                continue
            if not st.mutable or (st.protected and not self._protected_allowed(client_is_local)):
                err = "can't set immutable config" if not st.mutable else "can't set protected config"
                err_name = name
                invalid = True
                continue
            if loading and st.deny_loading:
                deny = invalid = True
                continue
            if any(f is not None and f[1] is st for f in found[:i]):
                err = "duplicate parameter"
                err_name = name
                invalid = True
            found[i] = (_lower(name), st)
        if invalid:
            if deny:
                raise CommandError("LOADING Redis is loading the dataset in memory")
            if invalid_name is not None:
                raise CommandError(f"ERR Unknown option or number of arguments for CONFIG SET - '{invalid_name}'")
            raise CommandError(self._set_failed(err_name, err))

        cwd = os.getcwd()
        old = {st.name: _copy_value(self._values.get(st.name)) for _, st in found}
        changed: list[tuple[str, Setting]] = []
        for (regname, st), (_name, value) in zip(found, pairs):
            if st.multi_arg:
                args = value.split(" ") if value != "" else []
            else:
                args = [value]
            try:
                before = self._format(st)
                self._store(st, self._parse(st, args, False))
            except _Invalid as e:
                self._restore(old, cwd)
                raise CommandError(self._set_failed(regname, e.reason)) from None
            if self._format(st) != before:
                changed.append((regname, st))
        for regname, st in changed:
            if st.after_set is not None:
                self._store(st, st.after_set(self, self._values[st.name]))

        ran: list[Setting] = []
        for regname, st in changed:
            for hook in self._hooks.get(st.name, ()):
                ran.append(st)
                try:
                    hook(self._typed(st))
                except CommandError as e:
                    self._restore(old, cwd)
                    self._rerun_hooks(ran)
                    raise CommandError(self._set_failed(regname, getattr(e, "text", str(e)))) from None
                except BaseException:
                    self._restore(old, cwd)
                    self._rerun_hooks(ran)
                    raise

    @staticmethod
    def _set_failed(name: str, reason: str | None) -> str:
        if reason:
            return f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}"
        return f"ERR CONFIG SET failed (possibly related to argument '{name}')"

    def _protected_allowed(self, client_is_local: bool) -> bool:
        mode = self._values["enable-protected-configs"]
        return mode == "yes" or (mode == "local" and client_is_local)

    def _restore(self, old: dict[str, Any], cwd: str) -> None:
        for name, value in old.items():
            if name == "dir":
                try:
                    os.chdir(cwd)
                except OSError:
                    pass
            else:
                self._values[name] = value

    def _rerun_hooks(self, ran: list[Setting]) -> None:
        seen = set()
        for st in ran:
            if st.name in seen:
                continue
            seen.add(st.name)
            for hook in self._hooks.get(st.name, ()):
                try:
                    hook(self._typed(st))
                except Exception:
                    pass


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

@dataclass
class CommandLine:
    """What :func:`parse_command_line` understood.

    action: None (run the server), "version" or "help".
    config_file: the config file argument as given (None if absent).
    from_stdin: read more configuration from standard input.
    options: config text built from ``--name value`` arguments (one line per option)."""

    action: str | None = None
    config_file: str | None = None
    from_stdin: bool = False
    options: str = ""
    argv: list[str] = field(default_factory=list)


def parse_command_line(argv: list[str]) -> CommandLine:
    """Parse redis-server style arguments (without the program name):
    ``[configfile] [--directive value ...] [-]``, ``-v``/``--version``, ``-h``/``--help``."""
    cl = CommandLine(argv=list(argv))
    if not argv:
        return cl
    first = argv[0]
    if first in ("-v", "--version"):
        cl.action = "version"
        return cl
    if first in ("--help", "-h"):
        cl.action = "help"
        return cl
    j = 0
    if not first.startswith("-"):
        cl.config_file = first
        j = 1
    n = len(argv)
    options = ""
    handled_last = True
    while j < n:
        arg = argv[j]
        if arg == "-" and (j == 0 or j == n - 1):
            cl.from_stdin = True
        elif handled_last and arg.startswith("--"):
            if options:
                options += "\n"
            options += arg[2:] + " "
            words = split_args(arg)
            if words is not None and len(words) == 1:
                # A bare "--name": the following arguments are its values.
                handled_last = False
                low = _lower(arg)
                nxt_is_opt = j != n - 1 and argv[j + 1].startswith("--")
                if low == "--save" and nxt_is_opt:
                    options += '""'          # "--save --port 1" means save ""
                    handled_last = True
                elif low == "--save" and j == n - 1:
                    options += '""'          # "--save" last means save ""
                elif low == "--sentinel" and nxt_is_opt:
                    handled_last = True
            else:
                handled_last = True          # "--save 900 1" in one argument
        else:
            options += repr_arg(arg) + " "
            handled_last = True
        j += 1
    cl.options = options
    return cl
