"""Keyspace notifications and WATCH signals of the hash, set and SORT commands, against
redis-server 7.0.

- Event sequences: the same script runs on pyredis and on redis-server with a RESP2 subscriber
  to `__key*__:*` (helper.py); the ordered (channel, message) pairs and the raw
  replies must be identical. The command connection speaks RESP2 and RESP3.
- Order against the reply: a RESP3 client subscribed to its own notifications sees each event
  before or after the command's reply exactly where Redis puts it; the raw byte streams are
  compared.
- Classes: the same scripts with notify-keyspace-events limited to one class at a time.
- WATCH: a key WATCHed on one connection and written by another makes EXEC fail exactly when
  Redis's does (a no-op write leaves the transaction alone).
"""
import pytest

from tests import support
from tests.commands.notifications.helper import assert_same_events

PROTOS = pytest.mark.parametrize("proto", [2, 3], ids=["resp2", "resp3"])

# ---------------------------------------------------------------------------------------------
# Scripts
# ---------------------------------------------------------------------------------------------

HASH_SETUP = [("SET", "str", "v"), ("HSET", "big", "f", "1")]
HASH_SCRIPT = [
    ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"),          # same value: still hset
    ("HMSET", "h", "c", "3"), ("HSETNX", "h", "a", "9"), ("HSETNX", "h", "d", "4"),
    ("HSETNX", "h2", "x", "1"), ("HDEL", "h", "zz"), ("HDEL", "nokey", "a"), ("HDEL", "h", "a"),
    ("HDEL", "h", "b", "c", "d", "zz"), ("EXISTS", "h"),                  # emptied: hdel, del
    ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-2"), ("HINCRBY", "h", "n", "x"),
    ("HINCRBYFLOAT", "h", "f", "1.5"), ("HINCRBYFLOAT", "h", "f", "x"),
    ("HINCRBYFLOAT", "h", "n", "1e400"), ("HSET", "h", "s", "abc"), ("HINCRBY", "h", "s", "1"),
    ("HINCRBYFLOAT", "h", "s", "1"), ("HINCRBY", "h", "n", "9223372036854775807"),
    ("HINCRBY", "new", "n", "1"), ("HINCRBYFLOAT", "new2", "n", "0.5"),
    ("HSET", "h"), ("HSET", "h", "a"), ("HMSET", "h", "a"),
    ("HSET", "str", "a", "1"), ("HMSET", "str", "a", "1"), ("HSETNX", "str", "a", "1"),
    ("HDEL", "str", "a"), ("HINCRBY", "str", "a", "1"), ("HINCRBYFLOAT", "str", "a", "1"),
    ("HDEL", "big", "f"), ("HDEL", "h2", "x", "x"),
]

SET_SETUP = [("SET", "str", "v"), ("SADD", "big", *[f"m{i}" for i in range(200)])]
SET_SCRIPT = [
    ("SADD", "s", "1", "2", "3"), ("SADD", "s", "1", "2"), ("SADD", "s", "4", "4"),
    ("SREM", "s", "9"), ("SREM", "nokey", "1"), ("SREM", "s", "1", "9"),
    ("SREM", "s", "2", "3", "4", "5"), ("EXISTS", "s"),                     # srem, del
    ("SADD", "one", "x"), ("SPOP", "one"), ("SPOP", "one"), ("SPOP", "nokey"),
    ("SADD", "two", "7"), ("SPOP", "two", "0"), ("SPOP", "two", "1"), ("SPOP", "two", "1"),
    ("SADD", "ints", "3", "1", "2"), ("SPOP", "ints", "3"), ("EXISTS", "ints"),
    ("SADD", "ints", "3", "1", "2"), ("SPOP", "ints", "10"), ("SPOP", "nokey", "2"),
    ("SPOP", "s", "-1"), ("SPOP", "s", "x"), ("SPOP", "s", "1", "2"),
    ("SADD", "src", "a", "b"), ("SMOVE", "src", "dst", "a"), ("SMOVE", "src", "dst", "zz"),
    ("SMOVE", "src", "src", "b"), ("SMOVE", "src", "src", "zz"), ("SMOVE", "nokey", "dst", "a"),
    ("SMOVE", "src", "dst", "b"), ("EXISTS", "src"),               # srem, del (src), sadd (dst)
    ("SADD", "src", "a", "c"), ("SMOVE", "src", "dst", "a"),          # dst already has a
    ("SMOVE", "src", "str", "c"), ("SMOVE", "str", "dst", "a"), ("SMOVE", "nokey", "str", "a"),
    ("SADD", "str", "a"), ("SREM", "str", "a"), ("SPOP", "str"), ("SPOP", "str", "2"),
    ("SADD", "s"), ("SREM", "s"),
]

STORE_SETUP = [("SET", "str", "v"), ("SADD", "x", "1", "2", "3"), ("SADD", "y", "2", "3", "4"),
               ("SADD", "z", "a", "b"), ("SADD", "d", "old")]
STORE_SCRIPT = [
    ("SINTERSTORE", "d", "x", "y"), ("SINTERSTORE", "d", "x", "y"),     # over an existing set
    ("SINTERSTORE", "d", "x", "z"),                                    # empty result: del
    ("SINTERSTORE", "d", "x", "z"),                                    # nothing to delete
    ("SINTERSTORE", "d", "x", "y"), ("SINTERSTORE", "d", "x", "nokey"),  # missing source: del
    ("SINTERSTORE", "d", "nokey"), ("SINTERSTORE", "d", "x", "x"),
    ("SUNIONSTORE", "d", "x", "y"), ("SUNIONSTORE", "d", "nokey", "z"),
    ("SUNIONSTORE", "d", "nokey"), ("SUNIONSTORE", "d", "nokey", "nok2"),
    ("SDIFFSTORE", "d", "x", "y"), ("SDIFFSTORE", "d", "x", "x"), ("SDIFFSTORE", "d", "x", "x"),
    ("SDIFFSTORE", "d", "nokey", "x"), ("SDIFFSTORE", "d", "x", "nokey"),
    ("SDIFFSTORE", "x", "x", "y"), ("SUNIONSTORE", "y", "y", "z"),      # destination = source
    ("SINTERSTORE", "str", "x"), ("SET", "str", "v"), ("SUNIONSTORE", "str", "nokey"),
    ("SET", "str", "v"), ("SINTERSTORE", "d", "x", "str"), ("SINTERSTORE", "d", "nokey", "str"),
    ("SINTERSTORE", "d", "str", "nokey"), ("SUNIONSTORE", "d", "nokey", "str"),
    ("SDIFFSTORE", "d", "str", "x"), ("SDIFFSTORE", "d", "x", "str"),
]

SORT_SETUP = [("RPUSH", "l", "3", "1", "2"), ("SADD", "s", "b", "a", "c"),
              ("ZADD", "z", "1", "x", "2", "y"), ("SET", "w_1", "9"), ("SET", "w_3", "1"),
              ("HSET", "o_2", "f", "two"), ("SET", "str", "v"), ("RPUSH", "d", "old")]
SORT_SCRIPT = [
    ("SORT", "l", "STORE", "d"), ("SORT", "l", "STORE", "d"), ("SORT", "nokey", "STORE", "d"),
    ("SORT", "nokey", "STORE", "d"), ("SORT", "s", "ALPHA", "STORE", "d"),
    ("SORT", "z", "BY", "nosort", "STORE", "d"), ("SORT", "s", "BY", "nosort", "STORE", "d2"),
    ("SORT", "l", "LIMIT", "0", "0", "STORE", "d"), ("SORT", "l", "LIMIT", "5", "1", "STORE", "d2"),
    ("SORT", "l", "LIMIT", "5", "1", "STORE", "nod"),
    ("SORT", "l", "BY", "w_*", "STORE", "d"), ("SORT", "l", "GET", "o_*->f", "GET", "#", "STORE", "d"),
    ("SORT", "l", "STORE", "l"), ("SORT", "l", "STORE", "str"),
    ("SORT", "str", "STORE", "d"), ("SORT", "s", "STORE", "d"), ("SORT", "l", "STORE"),
    ("SORT", "l"), ("SORT", "nokey"), ("SORT_RO", "nokey"), ("SORT", "l", "BY", "w_*"),
    ("SORT", "l", "GET", "o_*", "GET", "w_*"), ("SORT_RO", "l", "BY", "w_*->f", "GET", "o_*->f"),
    ("SORT", "l", "BY", "nosort", "GET", "#"), ("SORT", "l", "GET", "o_*", "LIMIT", "0", "0"),
]

READ_SETUP = [("SET", "str", "v"), ("HSET", "h", "a", "1"), ("SADD", "s", "1", "2"),
              ("RPUSH", "l", "b", "a")]
READ_SCRIPT = [
    ("HGET", "nokey", "a"), ("HGET", "h", "zz"), ("HMGET", "nokey", "a", "b"), ("HLEN", "nokey"),
    ("HEXISTS", "nokey", "a"), ("HSTRLEN", "nokey", "a"), ("HGETALL", "nokey"),
    ("HKEYS", "nokey"), ("HVALS", "nokey"), ("HRANDFIELD", "nokey"),
    ("HRANDFIELD", "nokey", "2"), ("HRANDFIELD", "nokey", "-2", "WITHVALUES"),
    ("HSCAN", "nokey", "0"), ("HGET", "str", "a"), ("HLEN", "h"),
    ("SISMEMBER", "nokey", "a"), ("SMISMEMBER", "nokey", "a"), ("SCARD", "nokey"),
    ("SMEMBERS", "nokey"), ("SRANDMEMBER", "nokey"), ("SRANDMEMBER", "nokey", "3"),
    ("SSCAN", "nokey", "0"), ("SINTER", "nokey", "s"), ("SINTER", "s", "nokey", "nok2"),
    ("SUNION", "nokey", "s", "nok2"), ("SDIFF", "nokey", "s"), ("SDIFF", "s", "nokey"),
    ("SINTERCARD", "2", "nokey", "s"), ("SINTERCARD", "2", "s", "nokey"),
    ("SINTER", "nokey", "str"), ("SCARD", "s"), ("SISMEMBER", "s", "9"),
    # argument errors: found before or after the lookup, as in Redis
    ("HSCAN", "nokey", "x"), ("SSCAN", "nokey", "x"), ("HSCAN", "nokey", "0", "COUNT", "0"),
    ("SSCAN", "nokey", "0", "BAD"), ("HRANDFIELD", "nokey", "x"),
    ("HRANDFIELD", "nokey", "1", "bad"), ("SRANDMEMBER", "nokey", "x"),
    ("SINTERCARD", "2", "nokey", "s", "LIMIT", "-1"), ("SINTERCARD", "3", "nokey", "s"),
    ("SORT", "nokey", "LIMIT", "x", "1"), ("SORT", "nokey", "BAD"),
    ("SORT", "l", "BY", "w_*", "LIMIT", "0", "1"),
    # write commands look keys up without a keymiss
    ("HDEL", "nokey", "a"), ("SREM", "nokey", "a"), ("SPOP", "nokey"), ("SPOP", "nokey", "2"),
    ("SMOVE", "nokey", "nok2", "a"),
]

SCRIPTS = {
    "hash": (HASH_SETUP, HASH_SCRIPT),
    "set": (SET_SETUP, SET_SCRIPT),
    "store": (STORE_SETUP, STORE_SCRIPT),
    "sort": (SORT_SETUP, SORT_SCRIPT),
    "read": (READ_SETUP, READ_SCRIPT),
}


# ---------------------------------------------------------------------------------------------
# Event sequences
# ---------------------------------------------------------------------------------------------

@PROTOS
@pytest.mark.parametrize("family", sorted(SCRIPTS))
def test_event_sequences(server, ref, family, proto):
    setup, script = SCRIPTS[family]
    events = assert_same_events(server, ref, script, flags="KEAm", setup=setup, proto=proto)
    assert events          # the script does emit something


def test_expected_hash_events(server, ref):
    """A few sequences spelled out (so that a wrong reference cannot hide a regression)."""
    events = assert_same_events(server, ref, [("HSET", "h", "a", "1"), ("HSETNX", "h", "a", "2"),
                                              ("HDEL", "h", "zz"), ("HDEL", "h", "a")], flags="Kgh")
    assert events == [(b"__keyspace@0__:h", b"hset"), (b"__keyspace@0__:h", b"hdel"),
                      (b"__keyspace@0__:h", b"del")]


def test_expected_set_events(server, ref):
    events = assert_same_events(
        server, ref, [("SMOVE", "src", "dst", "a"), ("SINTERSTORE", "d", "src", "nokey")],
        flags="Egsm", setup=[("SADD", "src", "a"), ("SADD", "d", "x")])
    assert events == [(b"__keyevent@0__:srem", b"src"), (b"__keyevent@0__:del", b"src"),
                      (b"__keyevent@0__:sadd", b"dst"), (b"__keyevent@0__:keymiss", b"src"),
                      (b"__keyevent@0__:keymiss", b"nokey"), (b"__keyevent@0__:del", b"d")]


@pytest.mark.parametrize("flags", ["Kh", "Ks", "Kg", "El", "Em", "E$", "Ez", "Ex"])
def test_event_classes(server, ref, flags):
    """Each event is published under its own class only."""
    for family in ("hash", "set", "store", "sort"):
        setup, script = SCRIPTS[family]
        assert_same_events(server, ref, script, flags=flags, setup=setup)


def test_keymiss_needs_m(server, ref):
    """keymiss is not part of "A": KEA alone publishes none."""
    events = assert_same_events(server, ref, READ_SCRIPT, flags="KEA", setup=READ_SETUP)
    assert events == []


def test_other_database(server, ref):
    script = [("SELECT", "5"), ("HSET", "h", "a", "1"), ("SADD", "s", "x"), ("SPOP", "s"),
              ("SORT", "nokey", "STORE", "h"), ("SELECT", "0")]
    events = assert_same_events(server, ref, script, flags="KEA")
    assert (b"__keyspace@5__:h", b"hset") in events


# ---------------------------------------------------------------------------------------------
# Events against the command's reply: a RESP3 client subscribed to its own notifications
# ---------------------------------------------------------------------------------------------

def _self_subscribed(proc, setup, script, flags):
    """The raw bytes a RESP3 client subscribed to `__key*__:*` receives for each command."""
    c = proc.raw()
    try:
        c.call("CONFIG", "SET", "notify-keyspace-events", "")
        c.call("FLUSHALL")
        for cmd in setup:
            c.call(*cmd)
        c.call("HELLO", "3")
        c.call("CONFIG", "SET", "notify-keyspace-events", flags)
        c.call("PSUBSCRIBE", "__key*__:*")
        out = []
        for i, cmd in enumerate(script):
            marker = b"end-%d" % i
            c.send(support.encode(*cmd) + support.encode("ECHO", marker))
            data = b""
            end = b"$%d\r\n%s\r\n" % (len(marker), marker)
            while not data.endswith(end):
                data += c.read_reply()
            out.append((cmd, data[:-len(end)]))
        c.call("CONFIG", "SET", "notify-keyspace-events", "")
        return out
    finally:
        c.close()


@pytest.mark.parametrize("family", ["hash", "set", "store", "sort"])
def test_events_around_the_reply(server, ref, family):
    setup, script = SCRIPTS[family]
    ours = _self_subscribed(server, setup, script, "KEAm")
    theirs = _self_subscribed(ref, setup, script, "KEAm")
    for (cmd, a), (_, b) in zip(ours, theirs):
        assert a == b, f"{cmd!r}:\n pyredis {a!r}\n redis   {b!r}"


def test_reply_order_examples(server, ref):
    """Spelled out: HSET replies before its event, HDEL after its events, SPOP in between."""
    script = [("HSET", "h", "a", "1"), ("HDEL", "h", "a"), ("SADD", "s", "x"), ("SPOP", "s")]
    ours = _self_subscribed(server, [], script, "Kghs")
    assert ours == _self_subscribed(ref, [], script, "Kghs")

    def push(key, event):
        ch = b"__keyspace@0__:" + key
        return (b">4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                % (len(ch), ch, len(event), event))
    assert ours[0][1] == b":1\r\n" + push(b"h", b"hset")
    assert ours[1][1] == push(b"h", b"hdel") + push(b"h", b"del") + b":1\r\n"
    assert ours[3][1] == push(b"s", b"spop") + b"$1\r\nx\r\n" + push(b"s", b"del")


# ---------------------------------------------------------------------------------------------
# Statistics: the STORE forms read their sources (hits and misses count, as in Redis 7.0)
# ---------------------------------------------------------------------------------------------

def _hits_misses(c):
    info = c.call("INFO", "stats").decode()
    fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
    return int(fields["keyspace_hits"]), int(fields["keyspace_misses"])


def test_store_lookup_stats(diff):
    for c in (diff.ours, diff.ref):
        c.call("SADD", "x", "1", "2")
        c.call("SADD", "y", "2")
        c.call("CONFIG", "RESETSTAT")
    diff.check_all([("SINTERSTORE", "d", "x", "nokey"), ("SUNIONSTORE", "d", "x", "y"),
                    ("SDIFFSTORE", "d", "nokey", "x"), ("SORT", "x", "STORE", "d"),
                    ("SORT", "nokey", "STORE", "d"), ("SMOVE", "x", "nokey", "1"),
                    ("SADD", "nokey2", "1"), ("SPOP", "y", "5"), ("HDEL", "nokey", "a")])
    assert _hits_misses(diff.ours) == _hits_misses(diff.ref)


# ---------------------------------------------------------------------------------------------
# WATCH
# ---------------------------------------------------------------------------------------------

# (setup, watched key, command from another connection, EXEC aborted?)
WATCH_CASES = [
    # hashes
    ([], "h", ("HSET", "h", "a", "1"), True),
    ([("HSET", "h", "a", "1")], "h", ("HSET", "h", "a", "1"), True),      # same value: signals
    ([("HSET", "h", "a", "1")], "h", ("HMSET", "h", "b", "2"), True),
    ([("HSET", "h", "a", "1")], "h", ("HSETNX", "h", "b", "1"), True),
    ([("HSET", "h", "a", "1")], "h", ("HSETNX", "h", "a", "2"), False),
    ([("HSET", "h", "a", "1", "b", "2")], "h", ("HDEL", "h", "a"), True),
    ([("HSET", "h", "a", "1")], "h", ("HDEL", "h", "a"), True),           # emptied
    ([("HSET", "h", "a", "1")], "h", ("HDEL", "h", "zz"), False),
    ([], "h", ("HDEL", "h", "zz"), False),
    ([("HSET", "h", "a", "1")], "h", ("HINCRBY", "h", "a", "1"), True),
    ([("HSET", "h", "a", "x")], "h", ("HINCRBY", "h", "a", "1"), False),  # error
    ([("HSET", "h", "a", "1")], "h", ("HINCRBYFLOAT", "h", "a", "1.5"), True),
    ([("HSET", "h", "a", "1")], "h", ("HINCRBYFLOAT", "h", "a", "x"), False),
    ([("SET", "h", "v")], "h", ("HSET", "h", "a", "1"), False),           # wrong type
    ([("HSET", "h", "a", "1")], "h", ("HGET", "h", "a"), False),
    # sets
    ([], "s", ("SADD", "s", "a"), True),
    ([("SADD", "s", "a")], "s", ("SADD", "s", "a"), False),
    ([("SADD", "s", "a", "b")], "s", ("SREM", "s", "a"), True),
    ([("SADD", "s", "a")], "s", ("SREM", "s", "a"), True),
    ([("SADD", "s", "a")], "s", ("SREM", "s", "zz"), False),
    ([], "s", ("SREM", "s", "a"), False),
    ([("SADD", "s", "a", "b")], "s", ("SPOP", "s"), True),
    ([("SADD", "s", "a")], "s", ("SPOP", "s", "5"), True),
    ([("SADD", "s", "a")], "s", ("SPOP", "s", "0"), False),
    ([], "s", ("SPOP", "s"), False),
    ([("SADD", "s", "a", "b")], "s", ("SMOVE", "s", "t", "a"), True),
    ([("SADD", "s", "a", "b")], "t", ("SMOVE", "s", "t", "a"), True),
    ([("SADD", "s", "a"), ("SADD", "t", "a")], "t", ("SMOVE", "s", "t", "a"), False),
    ([("SADD", "s", "a"), ("SADD", "t", "a")], "s", ("SMOVE", "s", "t", "a"), True),
    ([("SADD", "s", "a")], "s", ("SMOVE", "s", "s", "a"), False),
    ([("SADD", "s", "a")], "s", ("SMOVE", "s", "t", "zz"), False),
    ([("SADD", "s", "a")], "s", ("SMEMBERS", "s"), False),
    ([("SADD", "x", "1")], "d", ("SINTERSTORE", "d", "x"), True),
    ([("SADD", "x", "1"), ("SADD", "d", "1")], "d", ("SINTERSTORE", "d", "x", "nokey"), True),
    ([("SADD", "x", "1")], "d", ("SINTERSTORE", "d", "x", "nokey"), False),
    ([("SADD", "x", "1")], "d", ("SUNIONSTORE", "d", "x"), True),
    ([("SADD", "d", "1")], "d", ("SUNIONSTORE", "d", "nokey"), True),
    ([], "d", ("SUNIONSTORE", "d", "nokey"), False),
    ([("SADD", "x", "1")], "d", ("SDIFFSTORE", "d", "x"), True),
    ([("SADD", "x", "1"), ("SADD", "d", "1")], "d", ("SDIFFSTORE", "d", "x", "x"), True),
    ([("SADD", "x", "1")], "d", ("SDIFFSTORE", "d", "x", "x"), False),
    ([("SET", "x", "v"), ("SADD", "d", "1")], "d", ("SUNIONSTORE", "d", "x"), False),
    ([("SADD", "x", "1")], "x", ("SINTERSTORE", "d", "x"), False),        # a source is read only
    # SORT
    ([("RPUSH", "l", "2", "1")], "d", ("SORT", "l", "STORE", "d"), True),
    ([("RPUSH", "l", "2", "1"), ("SET", "d", "v")], "d", ("SORT", "l", "STORE", "d"), True),
    ([("RPUSH", "d", "x")], "d", ("SORT", "nokey", "STORE", "d"), True),
    ([], "d", ("SORT", "nokey", "STORE", "d"), False),
    ([("RPUSH", "l", "1"), ("RPUSH", "d", "x")], "d",
     ("SORT", "l", "LIMIT", "5", "1", "STORE", "d"), True),
    ([("RPUSH", "l", "2", "1")], "l", ("SORT", "l"), False),
    ([("RPUSH", "l", "2", "1")], "l", ("SORT_RO", "l"), False),
    ([("RPUSH", "l", "2", "1")], "l", ("SORT", "l", "STORE", "d"), False),
]


def _watch_run(proc, setup, key, cmd):
    a, b = proc.raw(), proc.raw()
    try:
        a.call("FLUSHALL")
        for s in setup:
            a.call(*s)
        assert a.call("WATCH", key) == b"+OK\r\n"
        assert a.call("MULTI") == b"+OK\r\n"
        assert a.call("PING") == b"+QUEUED\r\n"
        other = b.call(*cmd)
        return other, a.call("EXEC")
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("setup,key,cmd,aborted", WATCH_CASES,
                         ids=[" ".join(c[2]) + f" [{c[1]}]" for c in WATCH_CASES])
def test_watch(server, ref, setup, key, cmd, aborted):
    ours = _watch_run(server, setup, key, cmd)
    theirs = _watch_run(ref, setup, key, cmd)
    if cmd[0] != "SPOP":               # SPOP's reply is random
        assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]
    assert ours[1] == (b"*-1\r\n" if aborted else b"*1\r\n+PONG\r\n")


def test_watch_inside_exec(server, ref):
    """Writes made by another client's MULTI/EXEC signal watchers too; writes in our own
    transaction after WATCH do not abort it."""
    def run(proc):
        a, b = proc.raw(), proc.raw()
        try:
            a.call("FLUSHALL")
            a.call("SADD", "s", "a")
            a.call("WATCH", "s", "h")
            b.call("MULTI")
            b.call("HSET", "h", "f", "v")
            b.call("SADD", "s", "a")          # no-op
            r1 = b.call("EXEC")
            a.call("MULTI")
            a.call("SADD", "s", "b")
            r2 = a.call("EXEC")
            a.call("WATCH", "s")
            a.call("MULTI")
            a.call("SREM", "s", "b")
            a.call("SCARD", "s")
            r3 = a.call("EXEC")
            return r1, r2, r3
        finally:
            a.close()
            b.close()
    ours = run(server)
    assert ours == run(ref)
    assert ours[1] == b"*-1\r\n" and ours[2] == b"*2\r\n:0\r\n:1\r\n"
