"""The config engine: :class:`Config` holds the typed value of every setting and reads and
changes them the way redis-server 7.0.15 does.

* :meth:`Config.load`: the config file with its ``include`` lines, then stdin, then the
  command-line options, parsed as one text with line numbers counted over the whole of it, as
  Redis does; directives that are not settings (rename-command, user, loadmodule, module
  configs) are kept as :class:`Directive` records for the server.
* :meth:`Config.get`: CONFIG GET with its glob patterns.
* :meth:`Config.set`: CONFIG SET, all or nothing, with change hooks; once a server is attached
  (:meth:`Config.attach`) they include the settings' apply steps, which make it follow a change.

A fatal error while loading is a :class:`ConfigFileError` whose text is redis-server's.
"""

from __future__ import annotations

import functools
import glob
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from fastresp.util import glob as glob_match

from pyredis import REDIS_VERSION
from pyredis.config.parsing import (
    LLONG_MAX,
    ULLONG_MAX,
    abs_path,
    ascii_lower,
    memtoull,
    split_args,
    string2ll,
    wrap64,
)
from pyredis.config.settings import (
    CONFIG_MAX_HZ,
    CONFIG_MIN_HZ,
    DEPRECATED_DIRECTIVES,
    SETTING_NAMES,
    SETTINGS,
    ClientBufferLimits,
    InvalidValue,
    Setting,
    lookup_setting,
)
from pyredis import errors
from pyredis.errors import CommandError


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
    int flag bits (fastresp.keyspace.NotifyClass) for notify-keyspace-events, the absolute cwd
    for dir.

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
        self.save_loaded = False  # a config file's save line was read: later ones add to it
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

    def attach(self, server) -> None:
        """Make ``server`` follow this configuration through the settings' apply steps
        (:attr:`Setting.apply <pyredis.config.settings.Setting.apply>`): those marked
        ``apply_at_start`` run now, in table order, with the configured values; from now on every
        apply step is a change hook of its setting (:meth:`on_change`), called as
        ``apply(server, value)``, so it can refuse a CONFIG SET and is re-run on a rollback.
        Without an attached server, CONFIG SET runs no apply step."""
        for st in SETTINGS:
            if st.apply is None:
                continue
            if st.apply_at_start:
                st.apply(server, self._typed(st))
            self.on_change(st.name, functools.partial(st.apply, server))

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
            return str(v & ULLONG_MAX)
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
                ll = wrap64(u)
        if ll is None and st.percent and len(s) > 1 and s.endswith("%"):
            n = string2ll(s[:-1])
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
            ll = string2ll(s)
        if ll is None:
            if st.kind == "memory":
                raise InvalidValue("argument must be a memory or percent value" if st.percent
                               else "argument must be a memory value")
            if st.kind == "octal":
                raise InvalidValue("argument couldn't be parsed as an octal number")
            raise InvalidValue("argument couldn't be parsed into an integer")
        if st.unsigned:
            u = ll & ULLONG_MAX
            if u > st.hi or u < st.lo:
                if st.kind == "octal":
                    raise InvalidValue("argument must be between %o and %o inclusive" % (st.lo, st.hi))
                raise InvalidValue(f"argument must be between {st.lo} and {st.hi} inclusive")
            return u
        if st.percent and ll < 0:
            if ll < st.lo:
                raise InvalidValue(f"percentage argument must be less or equal to {-st.lo}")
        elif ll > st.hi or ll < st.lo:
            raise InvalidValue(f"argument must be between {st.lo} and {st.hi} inclusive")
        return ll

    def _parse(self, st: Setting, args: list[str], reading_file: bool) -> Any:
        """New typed value for ``st`` from its arguments; raises InvalidValue(reason)."""
        k = st.kind
        if k == "special":
            value = st.parse(self, args, reading_file)
        elif k == "flags":
            value = 0
            for a in args:
                for n, bit in st.choices:
                    if ascii_lower(a) == n:
                        value |= bit
                        break
                else:
                    value = None
                    break
            if not args or value is None:
                raise InvalidValue("argument(s) must be one of the following: "
                               + ", ".join(n for n, _ in st.choices))
        else:
            a = args[0]
            if k == "bool":
                la = ascii_lower(a)
                if la not in ("yes", "no"):
                    raise InvalidValue("argument must be 'yes' or 'no'")
                value = la == "yes"
            elif k == "enum":
                la = ascii_lower(a)
                val = next((v for n, v in st.choices if n == la), None)
                if val is None:
                    raise InvalidValue("argument(s) must be one of the following: "
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
                raise InvalidValue(reason)
        return value

    def _store(self, st: Setting, value: Any) -> None:
        if st.name != "dir":
            self._values[st.name] = value

    # ---- redis.conf ---------------------------------------------------------------------------

    def load(self, config_file: str | None, stdin_text: str | None, options: str,
             *, commands: Iterable[str] | None = None) -> None:
        """Load configuration like redis-server: the file (with its includes), then ``stdin_text``,
        then the command-line ``options`` text (as built by
        :func:`pyredis.cli.parse_command_line`), parsed as one text (a newline is put before the
        options).  Raises :class:`ConfigFileError`.

        ``commands``: optional names of all commands; when given, rename-command lines are
        checked and applied to that set as Redis does ("No such command in rename-command",
        "Target command name already exists"); otherwise they are only recorded."""
        if commands is not None:
            self._commands = {ascii_lower(c): c for c in commands}
        text = ""
        if config_file is not None:
            self._config_file = abs_path(config_file)
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
            text = "".join(self._read_file(p) for p in sorted(glob.glob(pattern)))
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
            except InvalidValue as e:
                raise ConfigFileError(e.reason, lineno, line) from None
        self._after_load()
        self._reading_file = False

    def _directive(self, argv: list[str], lineno: int, line: str) -> None:
        name = ascii_lower(argv[0])
        argc = len(argv)
        st = lookup_setting(name)
        if st is not None:
            if not st.multi_arg and argc != 2:
                raise InvalidValue("wrong number of arguments")
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
                old = ascii_lower(argv[1])
                if old not in self._commands:
                    raise InvalidValue("No such command in rename-command")
                del self._commands[old]
                if argv[2]:
                    new = ascii_lower(argv[2])
                    if new in self._commands:
                        raise InvalidValue("Target command name already exists")
                    self._commands[new] = argv[2]
            self.rename_commands.append(Directive([argv[1], argv[2]], lineno, line))
        elif name == "user" and argc >= 2:
            self.users.append(Directive(argv[1:], lineno, line))
        elif name == "loadmodule" and argc >= 2:
            self.modules.append(argv[1:])
        elif "." in name:
            if argc != 2:
                raise InvalidValue("Module config specified without value")
            self.module_configs[name] = argv[1]
        elif name == "sentinel":
            if argc != 1:
                raise InvalidValue("sentinel directive while not in sentinel mode")
        else:
            raise InvalidValue("Bad directive or wrong number of arguments")

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
                key = ascii_lower(pat)
                if key in matches:
                    continue
                st = lookup_setting(key)
                if st is not None:
                    matches[key] = (pat, st)
                continue
            pattern = pat.encode("utf-8", "surrogateescape")  # the bytes the client sent
            for regname, st in SETTING_NAMES:
                if st.hidden or regname in matches:
                    continue
                if glob_match(pattern, regname.encode(), nocase=True):
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
            found[i] = (ascii_lower(name), st)
        if invalid:
            if deny:
                raise CommandError(errors.LOADING)
            if invalid_name is not None:
                raise CommandError(errors.CONFIG_SET_UNKNOWN_FMT % invalid_name)
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
            except InvalidValue as e:
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
            return errors.CONFIG_SET_FAILED_REASON_FMT % (name, reason)
        return errors.CONFIG_SET_FAILED_FMT % name

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
