"""Keyspace notifications and WATCH signals of the sorted-set commands, against redis-server 7.0.

Each script runs on both servers with notify-keyspace-events set; the exact sequence of
(channel, message) pairs and the raw replies must be identical (helper.py). Scripts
cover every write: changes, no-ops (no event), errors (no event), keys emptied (`del` after the
command's own event), both encodings, and the STORE commands' destination rules. WATCH is
checked the same way: a transaction watching a key fails exactly when redis-server's does.
"""
import time

import pytest

from tests.commands.notifications.helper import assert_same_events, EventListener
from tests.support import encode

LONG = "L" * 70    # a member that makes a skip list
BIG = [x for i in range(140) for x in (str(i), f"m{i}")]   # more members than a listpack holds

SETUP = [("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"),
         ("ZADD", "sk", "1", "a", "2", "b", "3", LONG),
         ("ZADD", "big", *BIG),
         ("SADD", "s", "a", "b", "x"),
         ("SET", "str", "v")]

SCRIPTS = {
    "zadd": [("ZADD", "z", "5", "e"), ("ZADD", "z", "5", "e"), ("ZADD", "z", "6", "e"),
             ("ZADD", "z", "NX", "9", "e"), ("ZADD", "z", "XX", "9", "new"),
             ("ZADD", "z", "XX", "CH", "10", "e"), ("ZADD", "z", "GT", "1", "e"),
             ("ZADD", "z", "LT", "1", "e"), ("ZADD", "new", "1", "x"),
             ("ZADD", "new2", "XX", "1", "x"), ("ZADD", "str", "1", "x"),
             ("ZADD", "z", "1"), ("ZADD", "z", "x", "y"), ("ZADD", "sk", "7", "zz"),
             ("ZADD", "big", "1000", "m1")],
    "zadd_incr": [("ZADD", "z", "INCR", "1", "a"), ("ZADD", "z", "INCR", "0", "a"),
                  ("ZADD", "z", "NX", "INCR", "1", "a"), ("ZADD", "z", "XX", "INCR", "1", "q"),
                  ("ZADD", "z", "INCR", "inf", "a"), ("ZADD", "z", "INCR", "-inf", "a"),
                  ("ZADD", "z", "GT", "INCR", "-1", "b"), ("ZADD", "nz", "INCR", "2", "a")],
    "zincrby": [("ZINCRBY", "z", "1", "a"), ("ZINCRBY", "z", "0", "a"),
                ("ZINCRBY", "fresh", "2.5", "x"), ("ZINCRBY", "str", "1", "a"),
                ("ZINCRBY", "z", "x", "a"), ("ZINCRBY", "sk", "1", LONG),
                ("ZINCRBY", "z", "inf", "b"), ("ZINCRBY", "z", "-inf", "b")],
    "zrem": [("ZREM", "z", "nope"), ("ZREM", "z", "a", "nope"), ("ZREM", "z", "b", "c"),
             ("ZREM", "z", "d", "x"), ("ZREM", "z", "d"), ("ZREM", "missing", "a"),
             ("ZREM", "str", "a"), ("ZREM", "sk", "a", "b", LONG), ("ZREM", "big", "m3")],
    "zremrangebyscore": [("ZREMRANGEBYSCORE", "z", "10", "20"),
                         ("ZREMRANGEBYSCORE", "z", "(1", "2"),
                         ("ZREMRANGEBYSCORE", "z", "x", "2"),
                         ("ZREMRANGEBYSCORE", "z", "-inf", "+inf"),
                         ("ZREMRANGEBYSCORE", "z", "-inf", "+inf"),
                         ("ZREMRANGEBYSCORE", "str", "0", "1"),
                         ("ZREMRANGEBYSCORE", "big", "0", "10")],
    "zremrangebyrank": [("ZREMRANGEBYRANK", "z", "10", "20"),
                        ("ZREMRANGEBYRANK", "z", "0", "0"),
                        ("ZREMRANGEBYRANK", "z", "-1", "-1"),
                        ("ZREMRANGEBYRANK", "z", "0", "-1"),
                        ("ZREMRANGEBYRANK", "missing", "0", "-1"),
                        ("ZREMRANGEBYRANK", "sk", "0", "-1"),
                        ("ZREMRANGEBYRANK", "big", "5", "9")],
    "zremrangebylex": [("ADD", ), ("ZREMRANGEBYLEX", "lex", "[x", "[y"),
                       ("ZREMRANGEBYLEX", "lex", "[a", "(c"),
                       ("ZREMRANGEBYLEX", "lex", "a", "c"),
                       ("ZREMRANGEBYLEX", "lex", "-", "+"),
                       ("ZREMRANGEBYLEX", "str", "-", "+")],
    "zpop": [("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZPOPMIN", "z", "0"),
             ("ZPOPMAX", "z", "0"), ("ZPOPMIN", "z", "-1"), ("ZPOPMIN", "missing"),
             ("ZPOPMAX", "z", "10"), ("ZPOPMIN", "z"), ("ZPOPMIN", "str"),
             ("ZPOPMAX", "sk", "2"), ("ZPOPMIN", "sk", "5"), ("ZPOPMIN", "big", "3")],
    "zmpop": [("ZMPOP", "2", "missing", "z", "MIN"), ("ZMPOP", "1", "z", "MAX", "COUNT", "2"),
              ("ZMPOP", "1", "z", "MIN", "COUNT", "9"), ("ZMPOP", "1", "z", "MIN"),
              ("ZMPOP", "2", "str", "z", "MIN"), ("ZMPOP", "1", "z", "MIN", "COUNT", "0"),
              ("ZMPOP", "3", "x", "y", "sk", "MAX", "COUNT", "3"),
              ("ZMPOP", "1", "big", "MAX", "COUNT", "2")],
    "zunionstore": [("ZUNIONSTORE", "d", "2", "z", "sk"), ("ZUNIONSTORE", "d", "1", "nokey"),
                    ("ZUNIONSTORE", "d", "1", "nokey"), ("ZUNIONSTORE", "d", "2", "z", "s"),
                    ("ZUNIONSTORE", "str", "1", "z"), ("ZUNIONSTORE", "d", "1", "str"),
                    ("ZUNIONSTORE", "z", "2", "z", "z", "WEIGHTS", "2", "3"),
                    ("ZUNIONSTORE", "d", "1", "z", "AGGREGATE", "bad"),
                    ("ZUNIONSTORE", "d2", "1", "big")],
    "zinterstore": [("ZINTERSTORE", "d", "2", "z", "sk"), ("ZINTERSTORE", "d", "2", "z", "s"),
                    ("ZINTERSTORE", "d", "2", "z", "nokey"), ("ZINTERSTORE", "d", "2", "z", "x"),
                    ("SET", "str2", "v"), ("ZINTERSTORE", "str2", "1", "nokey"),
                    ("ZINTERSTORE", "d", "0", "z")],
    "zdiffstore": [("ZDIFFSTORE", "d", "2", "z", "sk"), ("ZDIFFSTORE", "d", "2", "z", "z"),
                   ("ZDIFFSTORE", "d", "1", "z"), ("ZDIFFSTORE", "d", "1", "nokey"),
                   ("ZDIFFSTORE", "d", "1", "nokey"), ("ZDIFFSTORE", "str", "1", "s"),
                   ("ZDIFFSTORE", "d", "1", "str")],
    "zrangestore": [("ZRANGESTORE", "d", "z", "0", "1"), ("ZRANGESTORE", "d", "z", "5", "9"),
                    ("ZRANGESTORE", "d", "z", "5", "9"),
                    ("ZRANGESTORE", "d", "z", "(1", "+inf", "BYSCORE", "LIMIT", "0", "2"),
                    ("ZRANGESTORE", "d", "z", "[a", "[b", "BYLEX"),
                    ("ZRANGESTORE", "z", "z", "0", "0"), ("ZRANGESTORE", "str", "z", "0", "-1"),
                    ("ZRANGESTORE", "d", "str", "0", "-1"),
                    ("ZRANGESTORE", "d", "nokey", "0", "-1"),
                    ("ZRANGESTORE", "d", "big", "0", "-1", "REV")],
    "reads_no_events": [("ZRANGE", "z", "0", "-1"), ("ZSCORE", "z", "a"), ("ZCARD", "z"),
                        ("ZRANGE", "nokey", "0", "-1"), ("ZSCORE", "nokey", "a"),
                        ("ZUNION", "2", "z", "nokey"), ("ZINTERCARD", "1", "nokey"),
                        ("ZRANDMEMBER", "nokey"), ("ZSCAN", "nokey", "0"),
                        ("ZRANGESTORE", "d", "nokey2", "0", "1"),
                        ("ZMSCORE", "nokey", "a"), ("ZCOUNT", "nokey", "0", "1"),
                        ("ZRANK", "nokey", "a"), ("ZLEXCOUNT", "nokey", "-", "+")],
    "multi": [("MULTI",), ("ZADD", "m", "1", "a"), ("ZINCRBY", "m", "1", "a"),
              ("ZPOPMIN", "m"), ("ZADD", "m", "1", "a"), ("ZREM", "m", "a"), ("EXEC",)],
    "select": [("SELECT", "3"), ("ZADD", "z3", "1", "a"), ("ZPOPMAX", "z3"),
               ("SELECT", "0")],
}
SCRIPTS["zremrangebylex"][0] = ("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d")


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_zset_events_match_redis(server, ref, name, proto):
    assert_same_events(server, ref, SCRIPTS[name], flags="KEA", setup=SETUP, proto=proto)


@pytest.mark.parametrize("flags", ["Kz", "Ez", "Eg", "Kg", "El", "KEzg", "Em"])
def test_zset_event_classes(server, ref, flags):
    """Class filtering: zset events are class z, the `del` of an emptied key class g."""
    script = [("ZADD", "z", "1", "a"), ("ZPOPMIN", "z"), ("ZADD", "z", "1", "a", "2", "b"),
              ("ZREM", "z", "a", "b"), ("ZUNIONSTORE", "d", "1", "z"),
              ("ZADD", "z", "1", "a"), ("ZRANGESTORE", "d", "z", "0", "0"),
              ("ZRANGESTORE", "d", "z", "3", "4"), ("ZSCORE", "nokey", "a")]
    events = assert_same_events(server, ref, script, flags=flags)
    if flags == "Kz":
        assert events and all(ch.startswith(b"__keyspace@0__:") for ch, _ in events)


def test_zset_events_ordering_on_empty(server, ref):
    """The command's own event comes before the `del` of the key it emptied."""
    events = assert_same_events(server, ref, [("ZADD", "k", "1", "a"), ("ZPOPMAX", "k")],
                                flags="KEA")
    assert [m for ch, m in events if ch.startswith(b"__keyspace")] == [b"zadd", b"zpopmax",
                                                                       b"del"]


# ---------------------------------------------------------------------------------------------
# WATCH: every write that changes a key makes a watching transaction fail; no-ops do not
# ---------------------------------------------------------------------------------------------

WATCH_WRITES = [
    ("ZADD", "z", "9", "new"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "NX", "5", "a"),
    ("ZADD", "z", "XX", "5", "zz"), ("ZINCRBY", "z", "1", "a"), ("ZINCRBY", "z", "0", "a"),
    ("ZREM", "z", "a"), ("ZREM", "z", "nope"),
    ("ZREMRANGEBYSCORE", "z", "0", "1"), ("ZREMRANGEBYSCORE", "z", "50", "60"),
    ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZREMRANGEBYRANK", "z", "9", "9"),
    ("ZREMRANGEBYLEX", "z", "-", "+"), ("ZREMRANGEBYLEX", "z", "(zz", "+"),
    ("ZPOPMIN", "z"), ("ZPOPMAX", "z", "0"), ("ZMPOP", "1", "z", "MAX"),
    ("ZUNIONSTORE", "z", "1", "other"), ("ZUNIONSTORE", "z", "1", "nokey"),
    ("ZUNIONSTORE", "nokey", "1", "nokey"), ("ZINTERSTORE", "z", "2", "z", "other"),
    ("ZDIFFSTORE", "z", "2", "z", "z"), ("ZRANGESTORE", "z", "other", "0", "0"),
    ("ZRANGESTORE", "z", "other", "5", "9"), ("ZRANGESTORE", "nokey", "other", "5", "9"),
    ("ZRANGESTORE", "nokey", "other", "0", "0"),
    ("ZADD", "other", "1", "q"), ("ZRANGE", "z", "0", "-1"), ("ZADD", "z", "x", "a"),
    ("BZPOPMIN", "z", "0"), ("BZMPOP", "0", "1", "z", "MIN"), ("BZPOPMAX", "nokey", "z", "0"),
]


@pytest.mark.parametrize("write", WATCH_WRITES, ids=lambda w: " ".join(w))
@pytest.mark.parametrize("watched", ["z", "nokey"])
def test_watch_touched_like_redis(server, ref, write, watched):
    results = []
    for srv in (server, ref):
        a, b = srv.raw(), srv.raw()
        try:
            a.call("FLUSHALL")
            a.call("ZADD", "z", "1", "a", "2", "b")
            a.call("ZADD", "other", "1", "x", "2", "y")
            a.call("WATCH", watched)
            b.call(*write)
            results.append(a.pipeline([("MULTI",), ("PING",), ("EXEC",)])[2])
        finally:
            a.close()
            b.close()
    assert results[0] == results[1], f"{write}: pyredis {results[0]!r} != redis {results[1]!r}"


def test_blocked_pop_served_events(server, ref):
    """A blocked BZPOPMIN/BZMPOP served by ZADD: the ZADD's event, then the pop's (and del)."""
    def run(srv):
        with EventListener(srv, flags="KEA") as ev:
            blocked = [srv.raw() for _ in range(3)]
            admin = srv.raw()
            try:
                blocked[0].send(encode("BZPOPMIN", "k1", "0"))
                wait_blocked(admin, 1)
                blocked[1].send(encode("BZMPOP", "0", "1", "k1", "MAX", "COUNT", "5"))
                wait_blocked(admin, 2)
                blocked[2].send(encode("BZPOPMAX", "k2", "k1", "0"))
                wait_blocked(admin, 3)
                admin.call("ZADD", "k1", "1", "a", "2", "b", "3", "c", "4", "d")
                replies = [c.read_reply() for c in blocked[:2]]
                admin.call("ZADD", "k2", "5", "e")
                replies.append(blocked[2].read_reply())
                return replies, ev.drain(admin)
            finally:
                for c in blocked + [admin]:
                    c.close()
    assert run(server) == run(ref)


def wait_blocked(client, n, timeout=3.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        info = client.call("INFO", "clients").decode()
        if f"blocked_clients:{n}\r\n" in info:
            return
        time.sleep(0.002)
    raise AssertionError(f"never saw {n} blocked clients: {info}")


def test_keymiss_of_sorted_set_commands(server, ref):
    """Which commands read (keymiss on a missing key) and which write (no keymiss): the STORE
    commands read their sources, the pops and removals do not."""
    script = [("ZADD", "k1", "1", "a"), ("ZADD", "k2", "XX", "1", "a"), ("ZINCRBY", "k3", "1", "a"),
              ("ZREM", "k4", "a"), ("ZREMRANGEBYSCORE", "k5", "0", "1"),
              ("ZREMRANGEBYRANK", "k6", "0", "1"), ("ZREMRANGEBYLEX", "k7", "-", "+"),
              ("ZPOPMIN", "k8"), ("ZPOPMAX", "k9", "2"), ("ZMPOP", "2", "k10", "k11", "MIN"),
              ("ZUNIONSTORE", "d1", "2", "k12", "k13"), ("ZINTERSTORE", "d2", "2", "k14", "k15"),
              ("ZDIFFSTORE", "d3", "2", "k16", "k17"), ("ZRANGESTORE", "d4", "k18", "0", "1"),
              ("BZPOPMIN", "k19", "k20", "0.001"), ("BZMPOP", "0.001", "2", "k21", "k22", "MIN"),
              ("ZUNION", "1", "k23"), ("ZINTERCARD", "2", "k24", "k25"),
              ("ZRANGESTORE", "d5", "k26", "0", "1", "BYSCORE"), ("ZADD", "k27", "INCR", "1", "a"),
              ("MULTI",), ("BZPOPMIN", "k28", "0"), ("EXEC",)]
    assert_same_events(server, ref, script, flags="Em")


def test_store_sources_count_as_reads(d):
    """INFO keyspace_hits/misses: the STORE commands' sources are read lookups."""
    d.check("ZADD", "a", "1", "x")
    for srv in (d.ours, d.ref):
        srv.call("CONFIG", "RESETSTAT")
    d.check("ZUNIONSTORE", "dst", "2", "a", "nokey")
    d.check("ZRANGESTORE", "dst", "a", "0", "0")
    d.check("ZRANGESTORE", "dst", "nokey", "0", "0")
    d.check("ZDIFFSTORE", "dst", "2", "a", "nokey")
    d.check("ZPOPMIN", "nokey")
    d.check("BZPOPMIN", "a", "0")
    stats = []
    for srv in (d.ours, d.ref):
        info = srv.call("INFO", "stats").decode()
        stats.append([line for line in info.split("\r\n")
                      if line.startswith(("keyspace_hits:", "keyspace_misses:"))])
    assert stats[0] == stats[1]
