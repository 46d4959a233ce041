"""Keyspace notifications of the string and generic key commands against redis-server 7.0.

Every script runs on both servers (helper.py): the exact sequence of (channel,
message) pairs a `PSUBSCRIBE __key*__:*` subscriber receives must be identical, as must the
replies, for several notify-keyspace-events settings (each class alone catches an event sent
under the wrong class) and with the commands sent in RESP2 and RESP3. Covered: the command's
own events (set, expire, del, incrby, rename_from/rename_to, move_from/move_to, copy_to, ...),
`new` when a key is created (before the command's event), `keymiss` for reads that miss (and
none for OBJECT, EXISTS-style commands checked one by one), `expired` met by a command before
its own events, active expiry, no-ops and errors (no event), several keys, other databases.
"""
import pytest

from tests.commands.notifications.helper import EventListener, assert_same_events, collect_events
from tests.support import assert_no_python

FAR = 4102444800123            # 2100-01-01T00:00:00.123Z in unix ms
FAR_S = FAR // 1000

# Settings each script runs under: everything, then one class or one event kind at a time.
FLAGS = ["KEAnm", "Kg", "E$", "Exe", "Km", "En", "KA", "Elshz", "gKE"]

STR = [("SET", "s", "str")]
LIST = [("RPUSH", "l", "a", "b")]
TTL = [("SET", "t", "v", "PXAT", str(FAR))]

# id -> (setup, script)
SCRIPTS = {
    # ---- SET and its options
    "set-new": ([], [("SET", "k", "v")]),
    "set-overwrite-clears-ttl": (TTL, [("SET", "t", "w"), ("TTL", "t")]),
    "set-ex": ([], [("SET", "k", "v", "EX", "100"), ("SET", "k", "v", "PX", "100000"),
                    ("SET", "k", "v", "EXAT", str(FAR_S)), ("SET", "k", "v", "PXAT", str(FAR))]),
    "set-keepttl": (TTL, [("SET", "t", "w", "KEEPTTL"), ("PEXPIRETIME", "t")]),
    "set-get": (STR + LIST, [("SET", "k", "v", "GET"), ("SET", "s", "v", "GET"),
                             ("SET", "l", "v", "GET"), ("SET", "k", "v", "EX", "100", "GET")]),
    "set-nx-xx": (STR, [("SET", "k", "v", "NX"), ("SET", "k", "v", "NX"), ("SET", "z", "v", "XX"),
                        ("SET", "s", "v", "XX"), ("SET", "k", "w", "XX", "GET"),
                        ("SET", "s", "w", "NX", "GET"), ("SET", "y", "w", "NX", "GET")]),
    "set-over-other-type": (LIST, [("SET", "l", "v"), ("TYPE", "l")]),
    "set-errors": (STR, [("SET", "k", "v", "EX", "0"), ("SET", "k", "v", "EX", "x"),
                         ("SET", "k", "v", "NX", "XX"), ("SET", "s", "v", "PX", "-5"),
                         ("SET", "k", "v", "KEEPTTL", "EX", "5"),
                         ("SET", "k", "v", "EX", "9223372036854775807")]),
    "set-past-time": (STR, [("SET", "s", "v", "PXAT", "1"), ("SET", "k", "v", "EXAT", "1")]),
    "setnx": (STR, [("SETNX", "k", "v"), ("SETNX", "k", "w"), ("SETNX", "s", "w")]),
    "setex-psetex": (TTL, [("SETEX", "k", "100", "v"), ("PSETEX", "p", "100000", "v"),
                           ("SETEX", "t", "100", "w"), ("SETEX", "k", "0", "v"),
                           ("PSETEX", "k", "-1", "v"), ("SETEX", "k", "x", "v")]),
    "getset": (STR + LIST, [("GETSET", "k", "v"), ("GETSET", "k", "w"), ("GETSET", "l", "v")]),
    "getdel": (STR + LIST, [("GETDEL", "s"), ("GETDEL", "s"), ("GETDEL", "l")]),
    "getex": (STR + TTL + LIST,
              [("GETEX", "s"), ("GETEX", "s", "EX", "100"), ("GETEX", "s", "PX", "100000"),
               ("GETEX", "s", "EXAT", str(FAR_S)), ("GETEX", "s", "PERSIST"),
               ("GETEX", "s", "PERSIST"), ("GETEX", "t", "PERSIST"), ("GETEX", "nokey", "EX", "5"),
               ("GETEX", "l", "EX", "5"), ("GETEX", "s", "EX", "0"), ("GETEX", "s", "BAD"),
               ("GETEX", "s", "PXAT", "1"), ("GETEX", "s")]),
    "getex-past-exat": (STR, [("GETEX", "s", "EXAT", "1")]),
    "mset": (STR, [("MSET", "a", "1", "b", "2", "a", "3", "s", "4"), ("MSET", "a"),
                   ("MSET", "a", "1", "b")]),
    "msetnx": (STR, [("MSETNX", "a", "1", "b", "2"), ("MSETNX", "c", "1", "s", "2"),
                     ("MSETNX", "x", "1", "x", "2"), ("MSETNX", "c")]),
    "append": (STR + LIST, [("APPEND", "k", "v"), ("APPEND", "k", "w"), ("APPEND", "s", ""),
                            ("APPEND", "l", "x"), ("APPEND", "e", "")]),
    "incr-family": (STR + LIST, [("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", "5"),
                                 ("DECRBY", "n", "3"), ("INCR", "s"), ("INCRBY", "n", "x"),
                                 ("INCRBY", "n", "9223372036854775807"), ("INCR", "l"),
                                 ("DECRBY", "n", "-9223372036854775808"), ("DECR", "m")]),
    "incrbyfloat": (STR + LIST, [("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "f", "2"),
                                 ("SET", "i", "7"), ("INCRBYFLOAT", "i", "0.5"),
                                 ("INCRBYFLOAT", "s", "1"), ("INCRBYFLOAT", "f", "x"),
                                 ("INCRBYFLOAT", "f", "inf"), ("INCRBYFLOAT", "l", "1")]),
    "setrange": (STR + LIST, [("SETRANGE", "r", "3", "x"), ("SETRANGE", "e", "3", ""),
                              ("SETRANGE", "s", "1", "Z"), ("SETRANGE", "s", "1", ""),
                              ("SETRANGE", "s", "-1", "x"), ("SETRANGE", "l", "0", "x"),
                              ("SETRANGE", "s", "x", "x"), ("SETRANGE", "s", "536870912", "x")]),
    "string-reads": (STR + LIST, [("GET", "k"), ("GET", "s"), ("GET", "l"), ("MGET", "a", "s", "b"),
                                  ("STRLEN", "k"), ("GETRANGE", "k", "0", "1"),
                                  ("SUBSTR", "k", "0", "1"), ("LCS", "k", "y"), ("LCS", "s", "y")]),
    # ---- generic commands
    "del": (STR + LIST, [("DEL", "s", "l", "zz", "s"), ("DEL", "s"), ("SET", "a", "1"),
                         ("UNLINK", "a", "a", "b"), ("UNLINK", "b")]),
    "key-reads": (STR, [("EXISTS", "k", "s"), ("TOUCH", "k", "s"), ("TYPE", "k"), ("TTL", "k"),
                        ("PTTL", "k"), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"),
                        ("OBJECT", "ENCODING", "k"), ("OBJECT", "REFCOUNT", "k"),
                        ("OBJECT", "IDLETIME", "k"), ("OBJECT", "FREQ", "k"),
                        ("OBJECT", "ENCODING", "s"), ("RANDOMKEY",), ("KEYS", "*"),
                        ("SCAN", "0"), ("DBSIZE",)]),
    "expire": (STR + TTL, [("EXPIRE", "s", "100"), ("PEXPIRE", "s", "100000"),
                           ("EXPIREAT", "s", str(FAR_S)), ("PEXPIREAT", "s", str(FAR)),
                           ("EXPIRE", "s", "100", "NX"), ("EXPIRE", "s", "100", "XX"),
                           ("EXPIRE", "s", "10", "GT"), ("EXPIRE", "s", "1000000", "LT"),
                           ("EXPIRE", "k", "100"), ("EXPIRE", "s", "x"), ("EXPIRE", "s", "1", "YY"),
                           ("EXPIRE", "s", "1", "NX", "XX"), ("PEXPIRE", "t", "-1"),
                           ("EXPIRE", "s", "0")]),
    "expireat-past": (STR + TTL, [("EXPIREAT", "s", "1"), ("PEXPIREAT", "t", "0")]),
    "persist": (STR + TTL, [("PERSIST", "t"), ("PERSIST", "t"), ("PERSIST", "s"),
                            ("PERSIST", "k")]),
    "rename": (STR + TTL + LIST, [("RENAME", "s", "d"), ("RENAME", "d", "d"), ("RENAME", "k", "x"),
                                  ("RENAME", "t", "l"), ("TTL", "l"), ("RENAME", "l", "d")]),
    "renamenx": (STR + TTL, [("RENAMENX", "s", "t"), ("RENAMENX", "s", "s"),
                             ("RENAMENX", "s", "d"), ("RENAMENX", "k", "x"),
                             ("RENAMENX", "t", "d2")]),
    "move": (STR + TTL + LIST + [("SELECT", "1"), ("SET", "l", "x")],
             [("MOVE", "s", "1"), ("MOVE", "t", "2"), ("MOVE", "l", "1"), ("MOVE", "k", "1"),
              ("MOVE", "s", "0"), ("MOVE", "l", "99"), ("SELECT", "2"), ("MOVE", "t", "0"),
              ("TTL", "t")]),
    "copy": (STR + TTL + LIST, [("COPY", "s", "c"), ("COPY", "s", "c"), ("COPY", "l", "c", "REPLACE"),
                                ("COPY", "t", "c", "DB", "3"), ("COPY", "s", "c", "DB", "3",
                                                                "REPLACE"),
                                ("COPY", "k", "c"), ("COPY", "s", "s"), ("COPY", "s", "x", "DB", "x"),
                                ("COPY", "s", "x", "BAD")]),
    "other-db": ([("SELECT", "7"), ("SET", "s", "1")],
                 [("SELECT", "7"), ("INCR", "s"), ("SET", "k", "v", "EX", "5"), ("DEL", "k"),
                  ("GET", "k"), ("RENAME", "s", "r"), ("COPY", "r", "r", "DB", "0"),
                  ("SELECT", "0"), ("SET", "k", "v")]),
    "flush-and-swap": (STR + LIST, [("SWAPDB", "0", "1"), ("FLUSHDB",), ("SET", "a", "1"),
                                    ("FLUSHALL",)]),
}


@pytest.mark.parametrize("proto", [2, 3], ids=["resp2", "resp3"])
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_same_events_as_redis(server, ref, name, proto):
    setup, script = SCRIPTS[name]
    for flags in FLAGS:
        assert_same_events(server, ref, script, flags=flags, setup=setup, proto=proto)


def test_helper_sees_the_events(server):
    """The helper itself: SET with the key-space and key-event channels, in order, and
    nothing when notifications are off."""
    _, events = collect_events(server, [("SET", "k", "v"), ("SELECT", "4"), ("INCR", "n")])
    assert events == [(b"__keyspace@0__:k", b"set"), (b"__keyevent@0__:set", b"k"),
                      (b"__keyspace@4__:n", b"incrby"), (b"__keyevent@4__:incrby", b"n")]
    _, events = collect_events(server, [("SET", "k", "v")], flags="")
    assert events == []


# Commands that meet a key whose TTL has passed but that nothing deleted yet (SET ... PXAT 1 in
# the same write, so no expiry cycle runs in between): `expired` comes first, then the
# command's own events as for a missing key.
LAZY = [("GET", "gone"), ("EXISTS", "gone"), ("TTL", "gone"), ("TYPE", "gone"),
        ("TOUCH", "gone"), ("OBJECT", "ENCODING", "gone"), ("STRLEN", "gone"),
        ("EXPIRE", "gone", "100"), ("PERSIST", "gone"), ("DEL", "gone"), ("UNLINK", "gone"),
        ("RENAME", "gone", "x"), ("RENAME", "s", "gone"), ("RENAMENX", "s", "gone"),
        ("COPY", "gone", "x"), ("COPY", "s", "gone"), ("MOVE", "gone", "1"),
        ("SET", "gone", "new"), ("SET", "gone", "new", "NX"), ("SET", "gone", "new", "XX"),
        ("SET", "gone", "new", "GET"), ("SETNX", "gone", "v"), ("GETSET", "gone", "v"),
        ("MSET", "gone", "1"), ("MSETNX", "gone", "1"), ("APPEND", "gone", "z"),
        ("INCR", "gone"), ("INCRBYFLOAT", "gone", "1"), ("SETRANGE", "gone", "0", "z"),
        ("GETRANGE", "gone", "0", "-1"), ("GETDEL", "gone"), ("GETEX", "gone", "PERSIST"),
        ("MGET", "gone", "s"), ("KEYS", "*"), ("SCAN", "0"), ("SCAN", "0", "TYPE", "string"),
        ("RANDOMKEY",), ("DBSIZE",)]


@pytest.mark.parametrize("command", LAZY, ids=lambda c: " ".join(c))
def test_expired_before_the_command_events(server, ref, command):
    script = [("SET", "gone", "old", "PXAT", "1"), command, ("EXISTS", "gone")]
    for flags in ("KEAnm", "Ex", "Kg$"):
        assert_same_events(server, ref, script, flags=flags, setup=STR, pipeline=True)


def test_expired_key_in_another_db_when_moving(server, ref):
    """MOVE onto a key that expired in the target database: it is expired there first."""
    script = [("SELECT", "1"), ("SET", "k", "old", "PXAT", "1"), ("SELECT", "0"),
              ("MOVE", "k", "1"), ("COPY", "s", "k", "DB", "1"), ("SELECT", "1"), ("GET", "k")]
    assert_same_events(server, ref, script, flags="KEAnm", setup=[("SET", "k", "v")] + STR,
                       pipeline=True)


def test_active_expiry_events(server, ref):
    """Keys nobody touches expire on their own: set, expire, then (later) expired."""
    seqs = []
    for srv in (server, ref):
        with EventListener(srv, flags="KEA") as ev:
            c = srv.raw()
            try:
                c.call("SET", "k", "v", "PX", "5")
                c.call("SELECT", "2")
                c.call("SET", "j", "v", "PX", "5")
            finally:
                c.close()
            seqs.append(ev.wait_for(lambda evs: sum(m == b"expired" for _, m in evs) >= 2,
                                    timeout=5))
    # which db the cycle visits first is not fixed: compare per database
    for db in (b"@0__", b"@2__"):
        a = [e for e in seqs[0] if db in e[0]]
        b = [e for e in seqs[1] if db in e[0]]
        assert a == b


def test_notifications_are_per_pattern_and_channel(server, ref):
    """A subscriber to one key-space channel sees only that key's events."""
    for pattern in ("__keyspace@0__:a*", "__keyevent@0__:del", "__keyevent@*__:set"):
        assert_same_events(server, ref,
                           [("SET", "a1", "1"), ("SET", "b", "2"), ("DEL", "a1", "b"),
                            ("SELECT", "3"), ("SET", "a2", "x")],
                           flags="KEA", pattern=pattern)


CONFIG_VALUES = ["KEA", "AKE", "A", "K", "E", "g", "$lshz", "Kg$lshzxetd", "KEAmn", "Ex",
                 "Km", "En", "nmKE", "", "KEAdm", "xe", "t", "gggKKK"]


def test_config_get_round_trip(d):
    for value in CONFIG_VALUES:
        d.check("CONFIG", "SET", "notify-keyspace-events", value)
        d.check("CONFIG", "GET", "notify-keyspace-events")
    for bad in ("KEAz", "Q", "KE!"):
        d.check("CONFIG", "SET", "notify-keyspace-events", bad)
        d.check("CONFIG", "GET", "notify-keyspace-events")
    d.check("CONFIG", "SET", "notify-keyspace-events", "")


def test_hot_commands_stay_native_with_notifications(server, r):
    """Notifications on, a subscriber listening: the string and key commands still run no
    Python."""
    with EventListener(server, flags="KEAnm", flush=False):
        assert_no_python(r, [("SET", "k", "v", "EX", "100"), ("INCR", "n"), ("GET", "missing"),
                             ("APPEND", "a", "x"), ("DEL", "a"), ("EXPIRE", "k", "50"),
                             ("PERSIST", "k"), ("RENAME", "k", "k2"), ("RENAME", "k2", "k"),
                             ("MSET", "a", "1", "b", "2")], repeat=50)


# ---------------------------------------------------------------------------------------------
# `new`: every key creation (Redis's dbAdd), whatever the type; an overwrite is not new
# ---------------------------------------------------------------------------------------------

NEW_KEY_SCRIPTS = {
    "hash": [("HSET", "h", "f", "v"), ("HSET", "h", "g", "v"), ("HINCRBY", "h2", "n", "1"),
             ("HSETNX", "h3", "f", "v")],
    "list": [("LPUSH", "l", "a"), ("RPUSH", "l", "b"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
             ("RPOPLPUSH", "l", "l3")],
    "set": [("SADD", "s", "a"), ("SADD", "s", "b"), ("SMOVE", "s", "s2", "a"),
            ("SUNIONSTORE", "s3", "s", "s2"), ("SUNIONSTORE", "s3", "s2"),
            ("SINTERSTORE", "s4", "s", "s2")],
    "zset": [("ZADD", "z", "1", "a"), ("ZADD", "z", "2", "b"), ("ZINCRBY", "z2", "1", "m"),
             ("ZUNIONSTORE", "z3", "1", "z"), ("ZUNIONSTORE", "z3", "1", "z2"),
             ("ZRANGESTORE", "z4", "z", "0", "-1")],
    "sort": [("RPUSH", "src", "3", "1", "2"), ("SORT", "src", "STORE", "dst"),
             ("SORT", "src", "STORE", "dst")],
}


@pytest.mark.parametrize("family", sorted(NEW_KEY_SCRIPTS))
@pytest.mark.parametrize("flags", ["KEn", "KEA", "En"])
def test_new_event_for_every_type(server, ref, family, flags):
    assert_same_events(server, ref, NEW_KEY_SCRIPTS[family], flags=flags)
