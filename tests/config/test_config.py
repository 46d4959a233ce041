"""Unit tests of pyredis.config and the command line of pyredis.cli (no server process).

Every expected error text below was checked against Debian's redis-server 7.0.15 (config files,
--options and CONFIG SET on a live instance); tests/config/test_config_vs_redis.py re-checks many
of them automatically when redis-server is installed.
"""

import os
from types import SimpleNamespace

import pytest

from fastresp.keyspace import NotifyClass
from fastresp.util import glob

from pyredis import REDIS_VERSION
from pyredis.cli import HELP_TEXT, parse_command_line
from pyredis.config import Config, ConfigFileError
from pyredis.config.parsing import (
    NOTIFY_ALL,
    keyspace_events_to_flags,
    keyspace_flags_to_string,
    memtoull,
    repr_arg,
    split_args,
)
from pyredis.config.settings import SETTINGS
from pyredis.errors import CommandError

HEADER = "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"


def fatal(lineno, line, reason):
    return f"{HEADER}Reading the configuration file, at line {lineno}\n>>> '{line}'\n{reason}\n"


def load_text(text, cfg=None):
    cfg = cfg or Config()
    cfg.load_string(text)
    return cfg


def file_error(text):
    with pytest.raises(ConfigFileError) as ei:
        load_text(text)
    return str(ei.value)


def set_error(pairs, cfg=None, **kw):
    cfg = cfg or Config()
    with pytest.raises(CommandError) as ei:
        cfg.set(pairs, **kw)
    return str(ei.value)


def getv(cfg, name):
    return dict(cfg.get([name]))[name]


@pytest.fixture(autouse=True)
def _keep_cwd(monkeypatch):
    # "dir" chdirs the process, as in Redis: always restore the cwd.
    monkeypatch.chdir(os.getcwd())


# ---------------------------------------------------------------------------------------------
# defaults and typed access
# ---------------------------------------------------------------------------------------------

def test_version():
    assert REDIS_VERSION == "7.0.15"


@pytest.mark.parametrize("name,text", [
    ("bind", "127.0.0.1 -::1"),
    ("save", "3600 1 300 100 60 10000"),
    ("protected-mode", "yes"),
    ("port", "6379"),
    ("databases", "16"),
    ("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
    ("oom-score-adj-values", "0 200 800"),
    ("notify-keyspace-events", ""),
    ("maxmemory", "0"),
    ("maxmemory-policy", "noeviction"),
    ("maxmemory-clients", "0"),
    ("loglevel", "notice"),
    ("hz", "10"),
    ("unixsocketperm", "0"),
    ("latency-tracking-info-percentiles", "50 99 99.9"),
    ("proc-title-template", "{title} {listen-addr} {server-mode}"),
    ("shutdown-on-sigint", "default"),
    ("replicaof", ""),
    ("slaveof", ""),
    ("proto-max-bulk-len", "536870912"),
    ("client-query-buffer-limit", "1073741824"),
    ("list-max-listpack-size", "-2"),
    ("list-max-ziplist-size", "-2"),
    ("busy-reply-threshold", "5000"),
    ("lua-time-limit", "5000"),
    ("appendfilename", "appendonly.aof"),
    ("dbfilename", "dump.rdb"),
    ("requirepass", ""),
])
def test_defaults(name, text):
    assert getv(Config(), name) == text


def test_dir_default_is_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = Config()
    assert getv(cfg, "dir") == str(tmp_path)
    assert cfg["dir"] == str(tmp_path)


def test_typed_values():
    cfg = Config()
    assert cfg["port"] == 6379
    assert cfg["PORT"] == 6379
    assert cfg["protected-mode"] is True
    assert cfg["daemonize"] is False
    assert cfg["loglevel"] == "notice"
    assert cfg["save"] == [(3600, 1), (300, 100), (60, 10000)]
    assert cfg["bind"] == ["127.0.0.1", "-::1"]
    obuf = cfg["client-output-buffer-limit"]
    assert obuf["normal"] == (0, 0, 0)
    assert obuf["replica"] == obuf["slave"] == (256 << 20, 64 << 20, 60)
    assert obuf["pubsub"] == (32 << 20, 8 << 20, 60)
    assert cfg["replicaof"] is None and cfg["slaveof"] is None
    assert cfg["oom-score-adj-values"] == [0, 200, 800]
    assert cfg["latency-tracking-info-percentiles"] == [50.0, 99.0, 99.9]
    assert cfg["notify-keyspace-events"] == 0
    assert cfg["hash-max-ziplist-entries"] == cfg["hash-max-listpack-entries"] == 512
    assert "maxmemory" in cfg and "nonexistent" not in cfg
    with pytest.raises(KeyError):
        cfg["nonexistent"]


def test_every_setting_name_unique_and_lowercase():
    names = [n for s in SETTINGS for n in (s.name, *s.aliases)]
    assert len(names) == len(set(names))
    assert all(n == n.lower() for n in names)


def test_config_get_star_counts():
    cfg = Config()
    everything = dict(cfg.get(["*"]))
    # 7.0.15 answers CONFIG GET * with 192 names (aliases included, hidden settings excluded)
    assert len(everything) == 192
    assert "slaveof" in everything and "replicaof" in everything
    assert "hash-max-ziplist-entries" in everything
    for hidden in ("key-load-delay", "rdb-key-save-delay", "use-exit-on-panic", "watchdog-period",
                   "loading-process-events-interval-bytes"):
        assert hidden not in everything
        assert cfg.get([hidden]) != []


def test_sensitive():
    cfg = Config()
    assert cfg.is_sensitive("requirepass") and cfg.is_sensitive("MASTERAUTH")
    assert not cfg.is_sensitive("port")


# ---------------------------------------------------------------------------------------------
# value kinds
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("0", 0), ("5", 5), ("5b", 5), ("5B", 5), ("1k", 1000), ("1K", 1000), ("1kb", 1024),
    ("1Kb", 1024), ("1KB", 1024), ("2m", 2_000_000), ("2mb", 2 << 20), ("2MB", 2 << 20),
    ("3g", 3_000_000_000), ("3gb", 3 << 30), ("3Gb", 3 << 30), ("00012", 12),
    ("", 0), ("kb", 0),  # Redis quirk: no digits means 0
    ("18446744073709551615", 18446744073709551615),
    ("18446744073709551616", 18446744073709551615),  # saturates
    ("18446744073709551615k", 18446744073709550616),  # wraps, as in Redis
])
def test_memtoull(text, value):
    assert memtoull(text) == value


@pytest.mark.parametrize("text", ["1x", "1.5gb", "-1", " 1", "+1", "1 kb", "1kib", "1tb", "1k "])
def test_memtoull_bad(text):
    assert memtoull(text) is None


@pytest.mark.parametrize("text,shown", [
    ("1k", "1000"), ("1kb", "1024"), ("100mb", "104857600"), ("1Gb", "1073741824"),
    ("18446744073709551615", "18446744073709551615"),
])
def test_memory_setting_units(text, shown):
    cfg = Config()
    cfg.set([("maxmemory", text)])
    assert getv(cfg, "maxmemory") == shown
    cfg2 = load_text(f"maxmemory {text}")
    assert cfg2["maxmemory"] == int(shown)


def test_memory_errors():
    assert set_error([("maxmemory", "1x")]) == \
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
    assert file_error("maxmemory 1x\n") == fatal(1, "maxmemory 1x", "argument must be a memory value")
    assert set_error([("proto-max-bulk-len", "10")]) == (
        "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
        "argument must be between 1048576 and 9223372036854775807 inclusive")
    # an unsigned 64-bit value seen as negative by a signed setting
    assert set_error([("proto-max-bulk-len", "18446744073709551615")]).endswith(
        "argument must be between 1048576 and 9223372036854775807 inclusive")
    assert set_error([("hash-max-ziplist-entries", "-1")]) == (
        "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - "
        "argument must be between 0 and 9223372036854775807 inclusive")


def test_percent_memory():
    cfg = Config()
    cfg.set([("maxmemory-clients", "10%")])
    assert getv(cfg, "maxmemory-clients") == "10%"
    assert cfg["maxmemory-clients"] == -10
    cfg.set([("maxmemory-clients", "0%")])
    assert getv(cfg, "maxmemory-clients") == "0"
    cfg.set([("maxmemory-clients", "1g")])
    assert getv(cfg, "maxmemory-clients") == "1000000000"
    prefix = "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - "
    assert set_error([("maxmemory-clients", "200%")]) == prefix + "percentage argument must be less or equal to 100"
    for bad in ("-5%", "abc", "%", "01%", "+5%"):
        assert set_error([("maxmemory-clients", bad)]) == prefix + "argument must be a memory or percent value"
    # 2**63 bytes reads as a negative (percent) number in Redis
    assert set_error([("maxmemory-clients", "9223372036854775808")]) == \
        prefix + "percentage argument must be less or equal to 100"


@pytest.mark.parametrize("text,value", [("yes", True), ("no", False), ("YES", True), ("No", False)])
def test_bool(text, value):
    assert load_text(f"appendonly {text}")["appendonly"] is value
    cfg = Config()
    cfg.set([("appendonly", text)])
    assert cfg["appendonly"] is value
    assert getv(cfg, "appendonly") == ("yes" if value else "no")


def test_bool_errors():
    assert file_error("appendonly maybe\n") == fatal(1, "appendonly maybe", "argument must be 'yes' or 'no'")
    assert set_error([("appendonly", "1")]) == \
        "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'"


def test_activedefrag_cannot_be_enabled():
    assert set_error([("activedefrag", "yes")]) == (
        "ERR CONFIG SET failed (possibly related to argument 'activedefrag') - Active defragmentation "
        "cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one "
        "shipped by default with the Redis source distribution")


def test_int_errors():
    assert file_error("port abc\n") == fatal(1, "port abc", "argument couldn't be parsed into an integer")
    assert file_error("# c\n\nport 99999\n") == fatal(3, "port 99999", "argument must be between 0 and 65535 inclusive")
    prefix = "ERR CONFIG SET failed (possibly related to argument 'timeout') - "
    for bad in ("01", "+1", " 1", "-0", "1.0", "9223372036854775808", ""):
        assert set_error([("timeout", bad)]) == prefix + "argument couldn't be parsed into an integer"
    assert set_error([("timeout", "2147483648")]) == prefix + "argument must be between 0 and 2147483647 inclusive"
    assert set_error([("maxclients", "0")]).endswith("argument must be between 1 and 4294967295 inclusive")
    assert set_error([("maxclients", "-1")]).endswith("argument must be between 1 and 4294967295 inclusive")
    assert set_error([("slowlog-max-len", "-1")]).endswith(
        "argument must be between 0 and 9223372036854775807 inclusive")


def test_int_values():
    cfg = load_text("slowlog-log-slower-than -1\nlist-max-ziplist-size -2147483648\n")
    assert cfg["slowlog-log-slower-than"] == -1
    assert cfg["list-max-listpack-size"] == -2147483648


def test_hz_is_clamped():
    assert load_text("hz 0")["hz"] == 1
    assert load_text("hz 1000")["hz"] == 500
    cfg = Config()
    cfg.set([("hz", "1000")])
    assert getv(cfg, "hz") == "500"
    assert set_error([("hz", "-1")]).endswith("argument must be between 0 and 2147483647 inclusive")


def test_repl_backlog_size_raised_on_config_set_only():
    assert load_text("repl-backlog-size 1")["repl-backlog-size"] == 1
    cfg = Config()
    cfg.set([("repl-backlog-size", "1kb")])
    assert cfg["repl-backlog-size"] == 16384


def test_enum():
    cfg = Config()
    cfg.set([("loglevel", "WARNING")])
    assert cfg["loglevel"] == "warning"
    cfg.set([("oom-score-adj", "relative")])
    assert getv(cfg, "oom-score-adj") == "yes"  # first name with the same value
    cfg.set([("oom-score-adj", "absolute")])
    assert cfg["oom-score-adj"] == "absolute"
    assert file_error("loglevel foo\n") == fatal(
        1, "loglevel foo", "argument(s) must be one of the following: debug, verbose, notice, warning")
    assert set_error([("maxmemory-policy", "x")]) == (
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one "
        "of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, "
        "allkeys-lfu, allkeys-random, noeviction")
    assert set_error([("appendfsync", "x")]).endswith(
        "argument(s) must be one of the following: everysec, always, no")


def test_shutdown_flags():
    cfg = Config()
    for given, shown in [("nosave now", "nosave now"), ("now force", "now force"), ("default now", "now"),
                         ("force now save", "save now force"), ("default", "default"), ("NOW", "now")]:
        cfg.set([("shutdown-on-sigint", given)])
        assert getv(cfg, "shutdown-on-sigint") == shown
        assert cfg["shutdown-on-sigint"] == shown
    prefix = "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigterm') - "
    assert set_error([("shutdown-on-sigterm", "save nosave")]) == \
        prefix + "shutdown options SAVE and NOSAVE can't be used simultaneously"
    for bad in ("bogus", "", "now  force"):
        assert set_error([("shutdown-on-sigterm", bad)]) == \
            prefix + "argument(s) must be one of the following: default, save, nosave, now, force"
    assert load_text("shutdown-on-sigterm nosave now")["shutdown-on-sigterm"] == "nosave now"
    assert load_text('shutdown-on-sigterm "nosave now"')["shutdown-on-sigterm"] == "nosave now"


def test_string_checks():
    assert file_error("dbfilename a/b\n") == fatal(1, "dbfilename a/b", "dbfilename can't be a path, just a filename")
    assert file_error('appendfilename ""\n') == fatal(1, 'appendfilename ""', "appendfilename can't be empty")
    assert file_error("appenddirname a/b\n") == fatal(1, "appenddirname a/b", "appenddirname can't be a path, just a dirname")
    prefix = "ERR CONFIG SET failed (possibly related to argument 'cluster-announce-hostname') - "
    assert set_error([("cluster-announce-hostname", "a_b")]) == \
        prefix + "Hostnames may only contain alphanumeric characters, hyphens or dots"
    assert set_error([("cluster-announce-hostname", "a" * 300)]) == prefix + "Hostnames must be less than 256 characters"


@pytest.mark.parametrize("template,ok", [
    ("{title}", False), ("", False), ("  ", False), ("{port", False), ("{server-mode}", False),
    ("{foo}", False), ("x}", True), ("{{", True), ("{tls-port}", True), ("{port}", True),
    ("{title} {listen-addr} {server-mode}", True),
])
def test_proc_title_template(template, ok):
    cfg = Config()
    if ok:
        cfg.set([("proc-title-template", template)])
        assert cfg["proc-title-template"] == template
    else:
        assert set_error([("proc-title-template", template)], cfg) == (
            "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - "
            "template format is invalid or contains unknown variables")


def test_octal_unixsocketperm():
    assert load_text("unixsocketperm 700")["unixsocketperm"] == 0o700
    assert getv(load_text("unixsocketperm 0700"), "unixsocketperm") == "700"
    assert load_text('unixsocketperm ""')["unixsocketperm"] == 0
    assert load_text('unixsocketperm " 7"')["unixsocketperm"] == 7
    assert file_error("unixsocketperm 999\n") == fatal(1, "unixsocketperm 999", "argument couldn't be parsed as an octal number")
    assert file_error("unixsocketperm -1\n") == fatal(1, "unixsocketperm -1", "argument must be between 0 and 777 inclusive")
    assert set_error([("unixsocketperm", "700")]) == \
        "ERR CONFIG SET failed (possibly related to argument 'unixsocketperm') - can't set immutable config"


@pytest.mark.parametrize("given,shown", [
    ("KEA", "AKE"), ("Kx$A", "AK"), ("ghgh", "gh"), ("Kgn", "gnK"), ("KEAmtdn", "AKEm"),
    ("", ""), ("Eg$lshzxet", "g$lshzxetE"), ("Eg$lshzxetdm", "AEm"), ("KEd", "dKE"), ("Ex", "xE"),
])
def test_notify_keyspace_events(given, shown):
    cfg = Config()
    cfg.set([("notify-keyspace-events", given)])
    assert getv(cfg, "notify-keyspace-events") == shown


def test_notify_keyspace_flags():
    assert keyspace_events_to_flags("KEA") == (NotifyClass.NOTIFY_KEYSPACE | NotifyClass.NOTIFY_KEYEVENT
                                               | NOTIFY_ALL)
    assert keyspace_events_to_flags("$n") == NotifyClass.NOTIFY_STRING | NotifyClass.NOTIFY_NEW
    assert keyspace_events_to_flags("k") is None
    assert keyspace_flags_to_string(NOTIFY_ALL | NotifyClass.NOTIFY_NEW) == "A"  # 'n' is lost, as in Redis
    assert load_text("notify-keyspace-events Ex")["notify-keyspace-events"] == keyspace_events_to_flags("xE")
    reason = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
    assert file_error("notify-keyspace-events Q\n") == fatal(1, "notify-keyspace-events Q", reason)
    assert set_error([("notify-keyspace-events", "KEA n")]).endswith(reason)


# ---------------------------------------------------------------------------------------------
# special settings
# ---------------------------------------------------------------------------------------------

def test_save_accumulates_in_config_file():
    # the first save line replaces the defaults, later ones accumulate
    assert load_text("save 900 1\nsave 300 10\n")["save"] == [(900, 1), (300, 10)]
    assert load_text("save 900 1 300 10\n")["save"] == [(900, 1), (300, 10)]
    assert load_text('save "300 10 60 5"\n')["save"] == [(300, 10), (60, 5)]
    assert load_text("\n")["save"] == [(3600, 1), (300, 100), (60, 10000)]


def test_save_empty_clears():
    assert load_text('save 900 1\nsave ""\n')["save"] == []
    assert load_text('save ""\nsave 900 1\n')["save"] == [(900, 1)]
    assert load_text('save 900 1\nsave ""\nsave 300 10\n')["save"] == [(300, 10)]
    assert getv(load_text('save ""'), "save") == ""


def test_save_command_line_accumulates_after_file():
    cfg = Config()
    cfg.load_string("save 900 1\n\n" + parse_command_line(["--save", "60", "5"]).options)
    assert cfg["save"] == [(900, 1), (60, 5)]
    cfg = Config()
    cfg.load_string("save 10 1\n\n" + parse_command_line(["--save", "", "--save", "30", "2"]).options)
    assert cfg["save"] == [(30, 2)]


def test_save_after_include_resets(tmp_path):
    # Redis 7.0 quirk: after an include, each save line replaces the list instead of adding to it.
    inc = tmp_path / "inc.conf"
    inc.write_text("port 7000\n")
    cfg = load_text(f"save 900 1\ninclude {inc}\nsave 300 10\nsave 60 1\n")
    assert cfg["save"] == [(60, 1)]


def test_save_config_set_replaces():
    cfg = Config()
    cfg.set([("save", "10 1 20 2")])
    assert getv(cfg, "save") == "10 1 20 2"
    cfg.set([("save", "1 0")])
    assert cfg["save"] == [(1, 0)]
    cfg.set([("save", "")])
    assert cfg["save"] == []
    prefix = "ERR CONFIG SET failed (possibly related to argument 'save') - "
    for bad in ("1", "abc 1", "0 1", "1 -1", "10 1  20 2", " 10 1"):
        assert set_error([("save", bad)], cfg) == prefix + "Invalid save parameters"


def test_save_errors():
    assert file_error("save 0 1\n") == fatal(1, "save 0 1", "Invalid save parameters")
    assert file_error("save abc\n") == fatal(1, "save abc", "Invalid save parameters")
    assert file_error("save 300 10 60\n") == fatal(1, "save 300 10 60", "Invalid save parameters")
    assert file_error('save "" ""\n') == fatal(1, 'save "" ""', "Invalid save parameters")


def test_bind():
    cfg = load_text("bind 127.0.0.1 ::1\n")
    assert cfg["bind"] == ["127.0.0.1", "::1"]
    assert load_text('bind "127.0.0.1 -::1"')["bind"] == ["127.0.0.1", "-::1"]
    assert load_text('bind ""')["bind"] == []
    cfg.set([("bind", "10.0.0.1 -::1")])
    assert getv(cfg, "bind") == "10.0.0.1 -::1"
    many = " ".join(str(i) for i in range(17))
    assert file_error(f"bind {many}\n") == fatal(1, f"bind {many}", "Too many bind addresses specified.")
    assert set_error([("bind", many)]) == \
        "ERR CONFIG SET failed (possibly related to argument 'bind') - Too many bind addresses specified."


def test_client_output_buffer_limit():
    cfg = load_text("client-output-buffer-limit normal 0 0 0\n"
                    "client-output-buffer-limit replica 256mb 64mb 60\n"
                    "client-output-buffer-limit pubsub 32mb 8mb 60\n")
    assert getv(cfg, "client-output-buffer-limit") == \
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    cfg = load_text("client-output-buffer-limit pubsub 1kb 2k 3\nclient-output-buffer-limit slave 1mb 1m 5\n")
    assert cfg["client-output-buffer-limit"]["pubsub"] == (1024, 2000, 3)
    assert cfg["client-output-buffer-limit"]["replica"] == (1 << 20, 1_000_000, 5)
    cfg = Config()
    cfg.set([("client-output-buffer-limit", "replica 1kb 2k 3 pubsub 1mb 2 3")])
    assert getv(cfg, "client-output-buffer-limit") == "normal 0 0 0 slave 1024 2000 3 pubsub 1048576 2 3"
    cfg.set([("client-output-buffer-limit", "")])  # no classes: nothing changes
    assert getv(cfg, "client-output-buffer-limit") == "normal 0 0 0 slave 1024 2000 3 pubsub 1048576 2 3"


@pytest.mark.parametrize("value,reason", [
    ("foo 1 2 3", "Invalid client class specified in buffer limit configuration."),
    ("master 1 2 3", "Invalid client class specified in buffer limit configuration."),
    ("normal 1", "Wrong number of arguments in buffer limit configuration."),
    ("normal 1x 2 3", "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
    ("normal 1 2 -3", "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
    ("normal 1 2 3x", "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
])
def test_client_output_buffer_limit_errors(value, reason):
    assert set_error([("client-output-buffer-limit", value)]) == \
        f"ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - {reason}"
    assert file_error(f"client-output-buffer-limit {value}\n") == fatal(1, f"client-output-buffer-limit {value}", reason)


def test_oom_score_adj_values():
    cfg = Config()
    cfg.set([("oom-score-adj-values", "300 200 100")])
    assert cfg["oom-score-adj-values"] == [300, 200, 100]
    prefix = "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - "
    assert set_error([("oom-score-adj-values", "1 2")]) == prefix + "wrong number of arguments"
    assert set_error([("oom-score-adj-values", "1 2 3000")]) == \
        prefix + "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
    assert load_text('oom-score-adj-values "1 2 3"')["oom-score-adj-values"] == [1, 2, 3]


def test_replicaof():
    assert load_text("replicaof 10.0.0.1 6380")["replicaof"] == ("10.0.0.1", 6380)
    assert getv(load_text("slaveof 10.0.0.1 6380"), "slaveof") == "10.0.0.1 6380"
    assert load_text('replicaof "10.0.0.1 6380"')["slaveof"] == ("10.0.0.1", 6380)
    assert load_text("replicaof NO ONE")["replicaof"] is None
    assert file_error("replicaof a b\n") == fatal(1, "replicaof a b", "Invalid master port")
    assert file_error("replicaof a\n") == fatal(1, "replicaof a", "wrong number of arguments")
    assert set_error([("replicaof", "no one")]) == \
        "ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set immutable config"
    assert file_error("cluster-enabled yes\nreplicaof 1.2.3.4 5\n") == \
        HEADER + "replicaof directive not allowed in cluster mode\n"


def test_latency_tracking_info_percentiles():
    cfg = Config()
    cfg.set([("latency-tracking-info-percentiles", "50 99.90 100.0 0")])
    assert getv(cfg, "latency-tracking-info-percentiles") == "50 99.9 100 0"
    cfg.set([("latency-tracking-info-percentiles", "1e1 0x10")])
    assert getv(cfg, "latency-tracking-info-percentiles") == "10 16"
    cfg.set([("latency-tracking-info-percentiles", "33.333333333 1e-7 0.5 -0")])
    assert getv(cfg, "latency-tracking-info-percentiles") == "33.333333 0 0.5 -0"
    cfg.set([("latency-tracking-info-percentiles", "")])
    assert cfg["latency-tracking-info-percentiles"] == []
    prefix = "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - "
    assert set_error([("latency-tracking-info-percentiles", "101")]) == \
        prefix + "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
    for bad in ("abc", "nan", " 5", "50  99", "1_0"):
        assert set_error([("latency-tracking-info-percentiles", bad)]) == \
            prefix + "Invalid latency-tracking-info-percentiles parameters"


def test_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    cfg = load_text("dir sub\n")
    assert os.getcwd() == str(tmp_path / "sub")
    assert getv(cfg, "dir") == str(tmp_path / "sub")
    assert file_error("dir /nonexistent-pyredis\n") == fatal(1, "dir /nonexistent-pyredis", "No such file or directory")
    # dir is a protected config
    assert set_error([("dir", str(tmp_path))]) == \
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
    cfg = load_text("enable-protected-configs yes\n")
    cfg.set([("dir", str(tmp_path))])
    assert getv(cfg, "dir") == str(tmp_path)
    assert set_error([("dir", "/nonexistent-pyredis")], cfg) == \
        "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"
    assert os.getcwd() == str(tmp_path)


def test_protected_local():
    cfg = load_text("enable-protected-configs local\n")
    assert set_error([("dbfilename", "x.rdb")], cfg).endswith("can't set protected config")
    cfg.set([("dbfilename", "x.rdb")], client_is_local=True)
    assert cfg["dbfilename"] == "x.rdb"


def test_logfile_must_open(tmp_path):
    log = tmp_path / "x.log"
    cfg = load_text(f"logfile {log}\n")
    assert cfg["logfile"] == str(log) and log.exists()
    assert file_error(f"logfile {tmp_path}/missing/x.log\n") == \
        HEADER + "Can't open the log file: No such file or directory\n"


def test_rename_command_user_loadmodule_module_config():
    cfg = load_text('rename-command CONFIG ""\nrename-command flushall FA\nuser bob on >pw ~* +@all\n'
                    "loadmodule /x/m.so a b\nmymod.opt 5\nsentinel\n")
    assert [d.args for d in cfg.rename_commands] == [["CONFIG", ""], ["flushall", "FA"]]
    assert cfg.rename_commands[1].lineno == 2
    assert str(cfg.rename_commands[1].error("x")) == fatal(2, "rename-command flushall FA", "x")
    assert cfg.users[0].args == ["bob", "on", ">pw", "~*", "+@all"]
    assert cfg.modules == [["/x/m.so", "a", "b"]]
    assert cfg.module_configs == {"mymod.opt": "5"}


def test_rename_command_checked_against_commands():
    cfg = Config()
    cfg.load(None, None, "rename-command get get2", commands=["GET", "SET"])
    with pytest.raises(ConfigFileError) as ei:
        Config().load(None, None, "rename-command FOO BAR", commands=["GET", "SET"])
    assert str(ei.value) == fatal(2, "rename-command FOO BAR", "No such command in rename-command")
    with pytest.raises(ConfigFileError) as ei:
        Config().load(None, None, "rename-command get set", commands=["GET", "SET"])
    assert str(ei.value) == fatal(2, "rename-command get set", "Target command name already exists")


# ---------------------------------------------------------------------------------------------
# config file syntax and errors
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,lineno,line,reason", [
    ("foo bar\n", 1, "foo bar", "Bad directive or wrong number of arguments"),
    ("Foo\n", 1, "Foo", "Bad directive or wrong number of arguments"),
    ("PORT abc\n", 1, "PORT abc", "argument couldn't be parsed into an integer"),
    ("port 1 2\n", 1, "port 1 2", "wrong number of arguments"),
    ("port\n", 1, "port", "wrong number of arguments"),
    ("requirepass a b\n", 1, "requirepass a b", "wrong number of arguments"),
    ("include\n", 1, "include", "Bad directive or wrong number of arguments"),
    ("include a b\n", 1, "include a b", "Bad directive or wrong number of arguments"),
    ("rename-command get\n", 1, "rename-command get", "Bad directive or wrong number of arguments"),
    ("user\n", 1, "user", "Bad directive or wrong number of arguments"),
    ("loadmodule\n", 1, "loadmodule", "Bad directive or wrong number of arguments"),
    ("list-max-ziplist-entries 1 2\n", 1, "list-max-ziplist-entries 1 2", "Bad directive or wrong number of arguments"),
    ("foo.bar\n", 1, "foo.bar", "Module config specified without value"),
    ("sentinel monitor x\n", 1, "sentinel monitor x", "sentinel directive while not in sentinel mode"),
    ('requirepass "abc\n', 1, 'requirepass "abc', "Unbalanced quotes in configuration line"),
    ("requirepass 'abc\n", 1, "requirepass 'abc", "Unbalanced quotes in configuration line"),
    ('requirepass "abc"x\n', 1, 'requirepass "abc"x', "Unbalanced quotes in configuration line"),
    ("  port abc  \n", 1, "port abc", "argument couldn't be parsed into an integer"),
    ("\tport\tabc\t\r\n", 1, "port\tabc", "argument couldn't be parsed into an integer"),
    ("# comment\n\n   \nport x\n", 4, "port x", "argument couldn't be parsed into an integer"),
    ("maxmemory-clients 200%\n", 1, "maxmemory-clients 200%", "percentage argument must be less or equal to 100"),
    ("socket-mark-id -1\n", 1, "socket-mark-id -1", "argument must be between 0 and 4294967295 inclusive"),
    ("enable-protected-configs maybe\n", 1, "enable-protected-configs maybe",
     "argument(s) must be one of the following: no, yes, local"),
    ('client-output-buffer-limit ""\n', 1, 'client-output-buffer-limit ""',
     "Wrong number of arguments in buffer limit configuration."),
])
def test_config_file_errors(text, lineno, line, reason):
    assert file_error(text) == fatal(lineno, line, reason)


def test_exact_error_layout():
    assert file_error("\nport abc") == (
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n"
        ">>> 'port abc'\nargument couldn't be parsed into an integer\n")


def test_deprecated_directives_ignored():
    load_text("lua-replicate-commands yes\nlist-max-ziplist-entries 5\nlist-max-ziplist-value 5\n")


def test_aliases_and_case_in_file():
    cfg = load_text("SLAVEOF 1.2.3.4 5\nhash-max-ziplist-entries 7\nLua-Time-Limit 10\n")
    assert cfg["replicaof"] == ("1.2.3.4", 5)
    assert cfg["hash-max-listpack-entries"] == 7
    assert cfg["busy-reply-threshold"] == 10


def test_quoting_in_values():
    cfg = load_text('masteruser "a\\x41\\tb\\"q\\\\z\\y"\n')
    assert cfg["masteruser"] == 'aA\tb"q\\zy'
    assert load_text("masteruser 'c\\'d\\n'")["masteruser"] == "c'd\\n"
    assert load_text('masteruser ab"c d"')["masteruser"] == "abc d"
    assert load_text('masteruser "\\xff"')["masteruser"].encode("utf-8", "surrogateescape") == b"\xff"


def test_load_order_and_line_numbers(tmp_path):
    conf = tmp_path / "r.conf"
    conf.write_text("port 1\n")
    cfg = Config()
    with pytest.raises(ConfigFileError) as ei:
        cfg.load(str(conf), None, 'port "abc"')
    assert str(ei.value) == fatal(3, 'port "abc"', "argument couldn't be parsed into an integer")
    conf.write_text("port 1")  # no final newline: the options start on line 2
    with pytest.raises(ConfigFileError) as ei:
        Config().load(str(conf), None, 'port "abc"')
    assert ei.value.lineno == 2
    with pytest.raises(ConfigFileError) as ei:
        Config().load(str(conf), "port abc\n", 'port "5"')
    # the file's last line and stdin's first line join, as in redis-server
    assert str(ei.value) == fatal(1, "port 1port abc", "wrong number of arguments")
    conf.write_text("port 1\n")
    cfg = Config()
    cfg.load(str(conf), "port 2\n", "port 3")
    assert cfg["port"] == 3
    assert cfg.config_file() == str(conf)
    cfg = Config()
    cfg.load(None, "port 2\n", "")
    assert cfg["port"] == 2 and cfg.config_file() is None


def test_config_file_path_absolute(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "r.conf").write_text("port 1\n")
    monkeypatch.chdir(tmp_path / "a")
    cfg = Config()
    cfg.load("../r.conf", None, "")
    assert cfg.config_file() == str(tmp_path / "r.conf")


def test_missing_config_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigFileError) as ei:
        Config().load("nonexist.conf", None, "")
    assert ei.value.log_message
    assert str(ei.value) == \
        f"Fatal error, can't open config file '{tmp_path}/nonexist.conf': No such file or directory"


def test_include_glob(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    confd = tmp_path / "conf.d"
    confd.mkdir()
    (confd / "b.conf").write_text("save 20 2\nmaxmemory 2mb\n")
    (confd / "a.conf").write_text("save 10 1\nmaxmemory 1mb\nport 7001\n")
    (confd / "ignored.txt").write_text("bogus directive\n")
    cfg = load_text("port 1\ninclude conf.d/*.conf\n")  # relative to the cwd, like Redis
    assert cfg["save"] == [(10, 1), (20, 2)]  # sorted: a.conf then b.conf
    assert cfg["maxmemory"] == 2 << 20
    assert cfg["port"] == 7001
    load_text("include nomatch/*.conf\n")  # a glob without match is fine


def test_include_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inc1.conf").write_text("port 1\nport abc\n")
    # the line number is the one in the included file
    assert file_error("# x\ninclude inc1.conf\nport 5\n") == fatal(2, "port abc", "argument couldn't be parsed into an integer")
    with pytest.raises(ConfigFileError) as ei:
        load_text("include missing.conf\n")
    assert ei.value.log_message
    assert str(ei.value) == "Fatal error, can't open config file 'missing.conf': No such file or directory"


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------

PYTEST_REDIS = ("--daemonize no --rdbcompression yes --rdbchecksum yes --appendonly no --databases 8 "
                "--timeout 0 --pidfile {t}/x.pid --unixsocket {t}/x.sock --dbfilename dump.rdb "
                "--logfile {t}/x.log --loglevel notice --syslog-enabled no --bind 127.0.0.1 --port 6380 "
                "--dir {t} --requirepass pw --save 900 1")


def test_pytest_redis_command_line(tmp_path):
    argv = PYTEST_REDIS.format(t=tmp_path).split()
    cl = parse_command_line(argv)
    assert cl.action is None and cl.config_file is None and not cl.from_stdin
    assert cl.options.splitlines()[0] == 'daemonize "no" '
    assert cl.options.splitlines()[-1] == 'save "900" "1" '
    cfg = Config()
    cfg.load(cl.config_file, None, cl.options)
    assert cfg["daemonize"] is False and cfg["databases"] == 8 and cfg["port"] == 6380
    assert cfg["bind"] == ["127.0.0.1"] and cfg["requirepass"] == "pw"
    assert cfg["save"] == [(900, 1)]
    assert cfg["unixsocket"] == f"{tmp_path}/x.sock" and cfg["logfile"] == f"{tmp_path}/x.log"
    assert getv(cfg, "dir") == str(tmp_path)
    # the same with "--save" alone at the end, and before another option
    for tail in (["--save"], ["--save", "--port", "6381"]):
        cl = parse_command_line(argv[:-3] + tail)
        cfg = Config()
        cfg.load(None, None, cl.options)
        assert cfg["save"] == []


def test_other_pytest_redis_options():
    cl = parse_command_line("--maxmemory 100mb --maxmemory-policy allkeys-lru --protected-mode no "
                            "--unixsocketperm 700 --appendfsync everysec --hz 10 --loglevel verbose".split())
    cfg = Config()
    cfg.load(None, None, cl.options)
    assert cfg["maxmemory"] == 100 << 20
    assert cfg["maxmemory-policy"] == "allkeys-lru"
    assert cfg["protected-mode"] is False
    assert cfg["unixsocketperm"] == 0o700
    assert cfg["loglevel"] == "verbose"


@pytest.mark.parametrize("argv,options", [
    (["--save"], 'save ""'),
    (["--save", "--port", "1"], 'save ""\nport "1" '),
    (["--SAVE", "--port", "1"], 'SAVE ""\nport "1" '),
    (["--port", "1", "--save"], 'port "1" \nsave ""'),
    (["--save", "900 1"], 'save "900 1" '),
    (["--save 900 1", "--port", "1"], 'save 900 1 \nport "1" '),
    (["--save", "", "--port", "1"], 'save "" \nport "1" '),
    (["--requirepass", "a b"], 'requirepass "a b" '),
    (["--requirepass", 'a"b\\\n'], 'requirepass "a\\"b\\\\\\n" '),
    (["--requirepass", "--port", "x"], 'requirepass "--port" "x" '),  # a bare name takes the next argument
    (["--save ", "--port", "x"], 'save  "--port" "x" '),
    (["--", "--port", "x"], ' "--port" "x" '),
    (["--port", "1", "-", "5"], 'port "1" "-" "5" '),
])
def test_command_line_options(argv, options):
    assert parse_command_line(argv).options == options


def test_command_line_save_parsed():
    for argv, save in [(["--save", "900", "1"], [(900, 1)]), (["--save 900 1"], [(900, 1)]),
                       (["--save", "900 1"], [(900, 1)]), (["--save"], []),
                       (["--save", "--port", "1"], []),
                       (["--save", "900", "1", "--save", "60", "5"], [(900, 1), (60, 5)])]:
        cfg = Config()
        cfg.load(None, None, parse_command_line(argv).options)
        assert cfg["save"] == save, argv


def test_command_line_file_and_stdin():
    cl = parse_command_line(["/etc/redis.conf", "--port", "1", "-"])
    assert (cl.config_file, cl.from_stdin, cl.options) == ("/etc/redis.conf", True, 'port "1" ')
    cl = parse_command_line(["-", "--port", "1"])
    assert (cl.config_file, cl.from_stdin) == (None, True)
    cl = parse_command_line(["-"])
    assert cl.from_stdin and cl.options == ""
    cl = parse_command_line(["/etc/redis.conf", "-", "--port", "1"])
    assert not cl.from_stdin and cl.options == '"-" \nport "1" '
    cl = parse_command_line(["redis.conf", "y"])
    assert cl.config_file == "redis.conf" and cl.options == '"y" '
    assert parse_command_line([]).options == ""


@pytest.mark.parametrize("argv,action", [
    (["-v"], "version"), (["--version"], "version"), (["-h"], "help"), (["--help"], "help"),
    (["--help", "--port", "1"], "help"), (["--port", "1", "-v"], None),
])
def test_command_line_actions(argv, action):
    assert parse_command_line(argv).action == action


def test_command_line_errors_match_redis():
    with pytest.raises(ConfigFileError) as ei:
        Config().load(None, None, parse_command_line(["--port", "abc"]).options)
    assert str(ei.value) == fatal(2, 'port "abc"', "argument couldn't be parsed into an integer")
    with pytest.raises(ConfigFileError) as ei:
        Config().load(None, None, parse_command_line(["--port", "1", "-v"]).options)
    assert str(ei.value) == fatal(2, 'port "1" "-v"', "wrong number of arguments")
    with pytest.raises(ConfigFileError) as ei:
        Config().load(None, None, parse_command_line(["--foo"]).options)
    assert str(ei.value) == fatal(2, "foo", "Bad directive or wrong number of arguments")


def test_help_text():
    assert HELP_TEXT.startswith("Usage: pyredis-server [/path/to/redis.conf] [options] [-]\n")
    assert "pyredis-server -v or --version" in HELP_TEXT


# ---------------------------------------------------------------------------------------------
# helpers: argument splitting, quoting, glob
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line,args", [
    ("a b  c", ["a", "b", "c"]),
    ('"a b" c', ["a b", "c"]),
    ('"\\n\\r\\t\\b\\a\\\\\\"\\x41\\q"', ["\n\r\t\b\a\\\"Aq"]),
    ("'a\\'b' 'c\\n'", ["a'b", "c\\n"]),
    ('ab"c d"e f', None),
    ('ab"c d"', ["abc d"]),
    ('""', [""]),
    ("", []),
    ("   ", []),
    ('"abc', None),
    ("'abc", None),
    ('"a"b', None),
    ('"\\x4"', ["x4"]),
])
def test_split_args(line, args):
    assert split_args(line) == args


@pytest.mark.parametrize("value", ["plain", "a b", 'q"uote', "back\\slash", "nl\n", "\x01\x7f", "é", ""])
def test_repr_arg_roundtrip(value):
    assert split_args(repr_arg(value)) == [value]
    assert repr_arg("a\"b\n\xe9") == '"a\\"b\\n\\xc3\\xa9"'


@pytest.mark.parametrize("pattern,string,nocase,result", [
    ("*", "anything", False, True),
    ("p*rt", "port", False, True),
    ("P*RT", "port", True, True),
    ("P*RT", "port", False, False),
    ("?ort", "port", False, True),
    ("[pb]ort", "bort", False, True),
    ("[^p]ort", "port", False, False),
    ("[a-z]ort", "port", False, True),
    ("[z-a]ort", "port", False, True),
    ("[A-Z]ORT", "port", True, True),
    ("po\\rt", "pont", False, False),
    ("\\*", "*", False, True),
    ("\\*", "a", False, False),
    ("*-max-*-entries", "hash-max-listpack-entries", False, True),
    ("*entries", "hash-max-listpack-value", False, False),
    ("a**b", "axxb", False, True),
    ("[abc", "b", False, True),
    ("port*", "port", False, True),
    ("", "", False, True),
])
def test_stringmatch(pattern, string, nocase, result):
    assert glob(pattern.encode(), string.encode(), nocase) is result


# ---------------------------------------------------------------------------------------------
# CONFIG GET
# ---------------------------------------------------------------------------------------------

def test_config_get_patterns():
    cfg = Config()
    assert cfg.get(["port"]) == [("port", "6379")]
    assert cfg.get(["PORT"]) == [("PORT", "6379")]        # exact names answer as typed
    assert cfg.get(["port", "PORT"]) == [("port", "6379")]
    assert cfg.get(["PORT", "p*rt"]) == [("PORT", "6379")]
    assert cfg.get(["p[o]rt"]) == [("port", "6379")]
    assert cfg.get(["po\\rt"]) == []
    assert cfg.get(["nonexistent"]) == []
    assert cfg.get([]) == []
    assert sorted(cfg.get(["slaveof", "replicaof"])) == [("replicaof", ""), ("slaveof", "")]
    assert dict(cfg.get(["*slaveof*"])) == {"slaveof": ""}
    assert dict(cfg.get(["*of"])) == {"slaveof": "", "replicaof": ""}
    assert dict(cfg.get(["maxmemory*", "*policy", "maxmemory"])) == {
        "maxmemory": "0", "maxmemory-policy": "noeviction", "maxmemory-samples": "5",
        "maxmemory-eviction-tenacity": "10", "maxmemory-clients": "0"}
    assert dict(cfg.get(["*-max-ziplist-*"])) == {
        "hash-max-ziplist-entries": "512", "hash-max-ziplist-value": "64", "list-max-ziplist-size": "-2",
        "zset-max-ziplist-entries": "128", "zset-max-ziplist-value": "64"}
    assert cfg.get(["key-load-delay"]) == [("key-load-delay", "0")]
    assert cfg.get(["key-load-dela?"]) == []                # hidden: exact name only
    assert dict(cfg.get(["SLAVE*"]))["slave-priority"] == "100"


# ---------------------------------------------------------------------------------------------
# CONFIG SET
# ---------------------------------------------------------------------------------------------

def test_config_set_basic():
    cfg = Config()
    cfg.set([("maxmemory", "1mb"), ("maxmemory-policy", "allkeys-lru"), ("Slave-Priority", "5")])
    assert cfg["maxmemory"] == 1 << 20
    assert cfg["maxmemory-policy"] == "allkeys-lru"
    assert cfg["replica-priority"] == 5
    cfg.set([("port", "6380"), ("bind", "127.0.0.1")])  # both mutable in 7.0
    assert cfg["port"] == 6380


@pytest.mark.parametrize("pairs,error", [
    ([("nonexist", "1")], "ERR Unknown option or number of arguments for CONFIG SET - 'nonexist'"),
    ([("FOO", "1")], "ERR Unknown option or number of arguments for CONFIG SET - 'FOO'"),
    ([("databases", "4")], "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"),
    ([("DATABASES", "5")], "ERR CONFIG SET failed (possibly related to argument 'DATABASES') - can't set immutable config"),
    ([("daemonize", "yes")], "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"),
    ([("slaveof", "no one")], "ERR CONFIG SET failed (possibly related to argument 'slaveof') - can't set immutable config"),
    ([("dbfilename", "a/b")], "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"),
    ([("PORT", "abc")], "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"),
    ([("SLAVE-PRIORITY", "abc")], "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer"),
    ([("maxmemory", "1"), ("maxmemory", "2")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"),
    ([("maxmemory", "1"), ("MAXMEMORY", "2")], "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter"),
    ([("slave-priority", "1"), ("replica-priority", "2")], "ERR CONFIG SET failed (possibly related to argument 'replica-priority') - duplicate parameter"),
    ([("maxmemory", "1"), ("foo", "2")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
    ([("maxmemory", "1"), ("port", "abc")], "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"),
    ([("port", "abc"), ("foo", "1")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
    ([("databases", "1"), ("foo", "1")], "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"),
    ([("port", "abc"), ("databases", "3")], "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"),
    ([("appendonly", "yes"), ("appendonly", "no")], "ERR CONFIG SET failed (possibly related to argument 'appendonly') - duplicate parameter"),
])
def test_config_set_errors(pairs, error):
    cfg = Config()
    assert set_error(pairs, cfg) == error
    assert cfg["maxmemory"] == 0 and cfg["port"] == 6379


def test_config_set_loading():
    cfg = Config()
    assert set_error([("appendonly", "yes")], cfg, loading=True) == "LOADING Redis is loading the dataset in memory"
    assert set_error([("foo", "1"), ("appendonly", "yes")], cfg, loading=True).startswith("ERR Unknown option")
    assert set_error([("appendonly", "yes"), ("foo", "1")], cfg, loading=True).startswith("LOADING")
    cfg.set([("maxmemory", "1")], loading=True)


def test_config_set_is_atomic():
    cfg = Config()
    with pytest.raises(CommandError):
        cfg.set([("maxmemory", "5mb"), ("save", "10 1"), ("client-output-buffer-limit", "pubsub 1 2 3"),
                 ("port", "abc")])
    assert cfg["maxmemory"] == 0
    assert cfg["save"] == [(3600, 1), (300, 100), (60, 10000)]
    assert cfg["client-output-buffer-limit"]["pubsub"] == (32 << 20, 8 << 20, 60)


def test_config_set_hook_rejects_and_rolls_back():
    cfg = Config()
    calls = []
    cfg.on_change("maxmemory", lambda v: calls.append(("maxmemory", v)))

    def port_hook(value):
        calls.append(("port", value))
        if value == 1234:
            raise CommandError("Unable to listen on this port. Check server logs.")

    cfg.on_change("port", port_hook)
    with pytest.raises(CommandError) as ei:
        cfg.set([("maxmemory", "5mb"), ("save", "10 1"), ("port", "1234")])
    assert str(ei.value) == ("ERR CONFIG SET failed (possibly related to argument 'port') - "
                             "Unable to listen on this port. Check server logs.")
    assert cfg["maxmemory"] == 0 and cfg["port"] == 6379
    assert cfg["save"] == [(3600, 1), (300, 100), (60, 10000)]
    # hooks ran with the new values, then again with the restored ones
    assert calls == [("maxmemory", 5 << 20), ("port", 1234), ("maxmemory", 0), ("port", 6379)]

    calls.clear()
    cfg.set([("maxmemory", "1mb"), ("port", "7000")])
    assert calls == [("maxmemory", 1 << 20), ("port", 7000)]
    calls.clear()
    cfg.set([("maxmemory", "1mb")])          # unchanged value: no hook
    assert calls == []


def test_config_set_hook_via_alias_and_empty_reason():
    cfg = Config()
    seen = []
    cfg.on_change("slave-priority", seen.append)
    cfg.set([("replica-priority", "7")])
    assert seen == [7]

    def reject(value):
        raise CommandError("")

    cfg.on_change("timeout", reject)
    assert set_error([("TIMEOUT", "5")], cfg) == "ERR CONFIG SET failed (possibly related to argument 'timeout')"
    assert cfg["timeout"] == 0


class FakeServer:
    """What the settings' apply steps reach of a server, recording the calls they make."""

    def __init__(self, config, fd_limit):
        self.config = config
        self.fd_limit = fd_limit
        self.calls = []
        self.core = SimpleNamespace(set_obuf_limits=self.recorder("core.set_obuf_limits"),
                                    set_aof_timestamps=self.recorder("core.set_aof_timestamps"))
        self.keyspace = SimpleNamespace(configure=lambda **kw: self.calls.append(("keyspace", kw)))
        self.log = SimpleNamespace(set_level=self.recorder("log.set_level"),
                                   warning=self.recorder("log.warning"))
        self.aof = SimpleNamespace(set_enabled=self.recorder("aof.set_enabled"),
                                   set_fsync=self.recorder("aof.set_fsync"))
        self.persistence = SimpleNamespace(
            update_write_error=self.recorder("persistence.update_write_error"))

    def recorder(self, name):
        return lambda *args: self.calls.append((name, *args))

    def fit_maxclients(self, wanted):
        return min(wanted, self.fd_limit)


def test_attach_runs_apply_steps_at_start_and_on_change():
    cfg = Config()
    cfg.set([("hz", "50"), ("maxclients", "20"), ("timeout", "3")])  # no server: values only
    server = FakeServer(cfg, fd_limit=100)
    cfg.attach(server)
    core = server.core
    assert (core.hz, core.maxclients, core.idle_timeout_ms, core.auth_required) == (50, 20, 3000, False)
    assert ("log.set_level", "notice") in server.calls
    assert ("keyspace", {"hash_max_listpack_entries": 512}) in server.calls
    assert ("core.set_obuf_limits", 32 << 20, 8 << 20, 60) in server.calls
    # appendonly, appendfsync, save and stop-writes-on-bgsave-error apply on change only
    assert not [c for c in server.calls if c[0].startswith(("aof.", "persistence."))]

    server.calls.clear()
    cfg.set([("appendonly", "yes"), ("appendfsync", "always"), ("save", ""), ("hz", "50")])
    assert server.calls == [("aof.set_enabled", True), ("aof.set_fsync", "always"),
                            ("persistence.update_write_error",)]

    # an apply step that refuses: CONFIG SET fails, values and applied state are restored
    server.calls.clear()
    assert set_error([("hz", "20"), ("maxclients", "200")], cfg) == (
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating "
        "system is not able to handle the specified number of clients, try with 100")
    assert (cfg["hz"], cfg["maxclients"]) == (50, 20)
    assert (core.hz, core.maxclients) == (50, 20)
    assert server.calls[0][0] == "log.warning"
