"""The settings table: every directive Redis 7.0.15 knows, as one :class:`Setting` in
:data:`SETTINGS`.

An entry says how its value is parsed, checked, formatted and shown, which CONFIG SET rules
apply to it, and its apply step (from :mod:`pyredis.config.apply`), which makes the running
server follow the value; :class:`~pyredis.config.engine.Config` reads it for redis.conf, the
command line and CONFIG GET/SET alike.  To add a setting, add one entry to ``SETTINGS`` using
one of the small constructors below (``_bool``, ``_int``, ``_mem``, ``_enum``, ``_str``...).

Also here: the validators and the parse/format functions of the "special" settings, the
directives Redis accepts and ignores, and :func:`lookup_setting`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from pyredis.config.apply import (
    apply_aof_timestamps,
    apply_appendfsync,
    apply_appendonly,
    apply_loglevel,
    apply_maxclients,
    apply_memory_policy,
    apply_output_buffer_limits,
    apply_rdbcompression,
    apply_requirepass,
    apply_timeout,
    apply_write_error,
    core_attr,
    keyspace_option,
)
from pyredis.config.parsing import (
    INT_MAX,
    INT_MIN,
    LLONG_MAX,
    LONG_MAX,
    UINT_MAX,
    ULLONG_MAX,
    ascii_lower,
    format_double,
    keyspace_events_to_flags,
    keyspace_flags_to_string,
    memtoull,
    string2d,
    strtoll,
    wrap32,
)

if TYPE_CHECKING:
    from pyredis.config.engine import Config

CONFIG_BINDADDR_MAX = 16
CONFIG_MIN_HZ, CONFIG_MAX_HZ = 1, 500
NET_HOST_STR_LEN = 256

# shutdown-on-sigint / shutdown-on-sigterm flag bits
SHUTDOWN_SAVE = 1
SHUTDOWN_NOSAVE = 2
SHUTDOWN_NOW = 4
SHUTDOWN_FORCE = 8


class InvalidValue(Exception):
    """A value was refused; ``reason`` is Redis's wording (without any prefix)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


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
    # Adjust a value after CONFIG SET changed it (e.g. clamping), before any apply step runs.
    after_set: Callable[["Config", Any], Any] | None = None
    parse: SpecialParse | None = None
    format: SpecialFormat | None = None
    # Make the running server follow the value: apply(server, typed value), from
    # pyredis.config.apply; it runs on each CONFIG SET that changes the value once a server is
    # attached (Config.attach) and may raise CommandError(reason) to refuse the change.
    apply: Callable[[Any, Any], None] | None = None
    # Also run apply once at start-up (Config.attach) with the configured value; False where
    # start-up needs nothing or does the work itself (Server.start loads and opens the AOF with
    # its settings; the MISCONF write stop starts off).
    apply_at_start: bool = True
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


def _expand_title_template(cfg: Config, template: str, title: str) -> str | None:
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

def _parse_save(cfg: Config, args: list, reading_file: bool):
    explicit_reset = len(args) == 1 and args[0] == ""
    if explicit_reset:
        args = []
    if len(args) % 2:
        raise InvalidValue("Invalid save parameters")
    params = []
    for j in range(0, len(args), 2):
        secs, rest1 = strtoll(args[j])
        changes, rest2 = strtoll(args[j + 1])
        if rest1 != "" or rest2 != "" or secs < 1 or changes < 0:
            raise InvalidValue("Invalid save parameters")
        params.append((secs, wrap32(changes)))
    if explicit_reset or not reading_file:
        base = []
    elif not cfg.save_loaded:
        # The first "save" line of a config file replaces the defaults, later ones accumulate.
        base = []
    else:
        base = cfg["save"]
    if reading_file:
        cfg.save_loaded = True
    return base + params


def _fmt_save(cfg, v):
    return " ".join(f"{s} {c}" for s, c in v)


def _parse_bind(cfg, args, reading_file):
    if len(args) > CONFIG_BINDADDR_MAX:
        raise InvalidValue("Too many bind addresses specified.")
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
        raise InvalidValue("Wrong number of arguments in buffer limit configuration.")
    new = cfg["client-output-buffer-limit"]
    updates = {}
    for j in range(0, len(args), 4):
        cls = _OBUF_CLASSES.get(ascii_lower(args[j]))
        if cls is None:
            raise InvalidValue("Invalid client class specified in buffer limit configuration.")
        hard = memtoull(args[j + 1])
        soft = memtoull(args[j + 2])
        secs, rest = strtoll(args[j + 3])
        secs = wrap32(secs)
        if hard is None or soft is None or secs < 0 or rest != "":
            raise InvalidValue("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
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
        raise InvalidValue("wrong number of arguments")
    vals = []
    for a in args:
        v, rest = strtoll(a)
        if rest != "" or v < -2000 or v > 2000:
            raise InvalidValue("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
        vals.append(v)
    return vals


def _fmt_ints(cfg, v):
    return " ".join(str(x) for x in v)


def _parse_notify(cfg, args, reading_file):
    if len(args) != 1:
        raise InvalidValue("wrong number of arguments")
    flags = keyspace_events_to_flags(args[0])
    if flags is None:
        raise InvalidValue("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    return flags


def _fmt_notify(cfg, v):
    return keyspace_flags_to_string(v)


def _parse_replicaof(cfg, args, reading_file):
    if len(args) != 2:
        raise InvalidValue("wrong number of arguments")
    if ascii_lower(args[0]) == "no" and ascii_lower(args[1]) == "one":
        return None
    port, rest = strtoll(args[1])
    if rest != "" or port < 0 or port > 65535:
        raise InvalidValue("Invalid master port")
    return (args[0], port)


def _fmt_replicaof(cfg, v):
    return "" if v is None else f"{v[0]} {v[1]}"


def _parse_percentiles(cfg, args, reading_file):
    if len(args) == 1 and args[0] == "":
        return []
    out = []
    for a in args:
        d = string2d(a)
        if d is None:
            raise InvalidValue("Invalid latency-tracking-info-percentiles parameters")
        if d > 100.0 or d < 0.0:
            raise InvalidValue("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
        out.append(d)
    return out


def _fmt_percentiles(cfg, v):
    return " ".join(format_double(x) for x in v)


def _parse_dir(cfg, args, reading_file):
    if len(args) != 1:
        raise InvalidValue("wrong number of arguments")
    try:
        os.chdir(args[0])
    except OSError as e:
        raise InvalidValue(os.strerror(e.errno) if e.errno else str(e))
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
    _bool("protected-mode", True, apply=core_attr("protected_mode")),
    _enum("enable-protected-configs", _YESNO, "no", mutable=False),
    _enum("enable-debug-command", _YESNO, "no", mutable=False),
    _enum("enable-module-command", _YESNO, "no", mutable=False),
    _int("port", 0, 65535, 6379),
    _int("tcp-backlog", 0, INT_MAX, 511, mutable=False),
    _str("unixsocket", mutable=False),
    Setting("unixsocketperm", "octal", 0, lo=0, hi=0o777, unsigned=True, mutable=False),
    _int("socket-mark-id", 0, UINT_MAX, 0, unsigned=True, mutable=False),
    _int("timeout", 0, INT_MAX, 0, apply=apply_timeout),
    _int("tcp-keepalive", 0, INT_MAX, 300, apply=core_attr("tcp_keepalive")),
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
    _enum("loglevel", ("debug", "verbose", "notice", "warning"), "notice", apply=apply_loglevel),
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
             apply=apply_write_error, apply_at_start=False,
             doc="list of (seconds, changes); repeatable in a config file; save \"\" clears"),
    _bool("stop-writes-on-bgsave-error", True, apply=apply_write_error, apply_at_start=False),
    _bool("rdbcompression", True, apply=apply_rdbcompression),
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
    _str("requirepass", sensitive=True, apply=apply_requirepass),
    # ---- clients / memory ----
    _int("maxclients", 1, UINT_MAX, 10000, unsigned=True, apply=apply_maxclients),
    _mem("maxmemory", 0, ULLONG_MAX, 0, unsigned=True, apply=apply_memory_policy),
    _enum("maxmemory-policy", ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                               "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
          "noeviction", apply=apply_memory_policy),
    _int("maxmemory-samples", 1, INT_MAX, 5),
    _int("maxmemory-eviction-tenacity", 0, 100, 10),
    _bool("replica-ignore-maxmemory", True, aliases=("slave-ignore-maxmemory",)),
    _int("active-expire-effort", 1, 10, 1, apply=keyspace_option("expire_effort")),
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
    _bool("appendonly", False, deny_loading=True, apply=apply_appendonly, apply_at_start=False),
    _str("appendfilename", "appendonly.aof", mutable=False, check=_check_appendfilename),
    _str("appenddirname", "appendonlydir", mutable=False, check=_check_appenddirname),
    _enum("appendfsync", ("everysec", "always", "no"), "everysec", apply=apply_appendfsync,
          apply_at_start=False),
    _bool("no-appendfsync-on-rewrite", False),
    _int("auto-aof-rewrite-percentage", 0, INT_MAX, 100),
    _mem("auto-aof-rewrite-min-size", 0, LLONG_MAX, 64 * 1024 * 1024),
    _bool("aof-load-truncated", True),
    _bool("aof-use-rdb-preamble", True),
    _bool("aof-timestamp-enabled", False, apply=apply_aof_timestamps),
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
             apply=keyspace_option("notify_keyspace_events"),
             doc="int bit mask (fastresp.keyspace.NotifyClass bits); CONFIG GET shows Redis's "
                 "canonical letters"),
    # ---- encodings (the hll and stream ones accepted and stored) ----
    _int("hash-max-listpack-entries", 0, LONG_MAX, 512, aliases=("hash-max-ziplist-entries",),
         unsigned=True, apply=keyspace_option("hash_max_listpack_entries")),
    _mem("hash-max-listpack-value", 0, LONG_MAX, 64, aliases=("hash-max-ziplist-value",),
         unsigned=True, apply=keyspace_option("hash_max_listpack_value")),
    _int("list-max-listpack-size", INT_MIN, INT_MAX, -2, aliases=("list-max-ziplist-size",),
         apply=keyspace_option("list_max_listpack_size")),
    _int("list-compress-depth", 0, INT_MAX, 0, apply=keyspace_option("list_compress_depth")),
    _int("set-max-intset-entries", 0, LONG_MAX, 512, unsigned=True,
         apply=keyspace_option("set_max_intset_entries")),
    _int("zset-max-listpack-entries", 0, LONG_MAX, 128, aliases=("zset-max-ziplist-entries",),
         unsigned=True, apply=keyspace_option("zset_max_listpack_entries")),
    _mem("zset-max-listpack-value", 0, LONG_MAX, 64, aliases=("zset-max-ziplist-value",),
         unsigned=True, apply=keyspace_option("zset_max_listpack_value")),
    _mem("hll-sparse-max-bytes", 0, LONG_MAX, 3000, unsigned=True),
    _mem("stream-node-max-bytes", 0, LONG_MAX, 4096, unsigned=True),
    _int("stream-node-max-entries", 0, LLONG_MAX, 100),
    _bool("activerehashing", True),
    # ---- limits ----
    _special("client-output-buffer-limit",
             ClientBufferLimits(normal=(0, 0, 0), replica=(256 * 1024 * 1024, 64 * 1024 * 1024, 60),
                                pubsub=(32 * 1024 * 1024, 8 * 1024 * 1024, 60)),
             _parse_obuf, _fmt_obuf, multi_arg=True, apply=apply_output_buffer_limits,
             doc="dict class -> (hard, soft, seconds); repeatable in a config file"),
    _mem("client-query-buffer-limit", 1024 * 1024, LONG_MAX, 1024 * 1024 * 1024, unsigned=True,
         apply=core_attr("client_query_buffer_limit")),
    _mem("proto-max-bulk-len", 1024 * 1024, LONG_MAX, 512 * 1024 * 1024,
         apply=core_attr("proto_max_bulk_len")),
    _int("hz", 0, INT_MAX, 10, apply=core_attr("hz"), doc="clamped to 1..500 like Redis"),
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
    _int("lfu-log-factor", 0, INT_MAX, 10, apply=keyspace_option("lfu_log_factor")),
    _int("lfu-decay-time", 0, INT_MAX, 1, apply=keyspace_option("lfu_decay_time")),
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
SETTING_NAMES: list[tuple[str, Setting]] = []  # every name and alias, table order
for _s in SETTINGS:
    for _n in (_s.name, *_s.aliases):
        assert _n not in _BY_NAME, _n
        _BY_NAME[_n] = _s
        SETTING_NAMES.append((_n, _s))
del _s, _n


def lookup_setting(name: str) -> Setting | None:
    """The setting called ``name`` (case-insensitive, aliases accepted), or None."""
    return _BY_NAME.get(ascii_lower(name))
