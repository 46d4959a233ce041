"""Keyspace notifications and WATCH signals of the list commands, against redis-server 7.0.

Every script runs on pyredis and on redis-server with the same notify-keyspace-events flags; the
exact (channel, message) sequences and the raw replies must be identical (helper.py).
WATCH: a watched key touched by another connection makes EXEC fail, on both servers alike, for
every list write; writes that change nothing leave the transaction alone.
"""
import time

import pytest

from tests.commands.notifications.helper import EventListener, assert_same_events

PUSH_POP = [
    ("RPUSH", "a", "1", "2", "3"), ("LPUSH", "a", "0"), ("LPUSHX", "b", "1"),
    ("RPUSHX", "b", "1"), ("LPUSHX", "a", "9", "8"), ("RPUSHX", "a", "7"), ("LPOP", "a"),
    ("RPOP", "a", "2"), ("LPOP", "a", "0"), ("LPOP", "a", "10"), ("LPOP", "a"),
    ("RPOP", "a", "3"), ("RPUSH", "a", "x"), ("RPOP", "a"), ("EXISTS", "a"),
    ("RPUSH", "one", "x"), ("LPOP", "one", "1"), ("RPUSH", "one", "x", "y"),
    ("RPOP", "one", "5"),
]

EDITS = [
    ("RPUSH", "l", "x", "y"), ("LINSERT", "l", "BEFORE", "y", "z"),
    ("LINSERT", "l", "AFTER", "nope", "z"), ("LINSERT", "missing", "AFTER", "y", "z"),
    ("LSET", "l", "0", "q"), ("LSET", "l", "9", "q"), ("LSET", "missing", "0", "q"),
    ("LREM", "l", "0", "q"), ("LREM", "l", "0", "nope"), ("LREM", "missing", "1", "x"),
    ("LTRIM", "l", "0", "0"), ("LTRIM", "l", "0", "-1"), ("LTRIM", "l", "5", "6"),
    ("LTRIM", "l", "0", "1"), ("RPUSH", "l", "a", "a", "b"), ("LREM", "l", "-1", "a"),
    ("LREM", "l", "0", "a"), ("LREM", "l", "1", "b"), ("EXISTS", "l"),
    ("RPUSH", "t", "1", "2", "3"), ("LTRIM", "t", "1", "0"), ("EXISTS", "t"),
]

MOVES = [
    ("RPUSH", "s", "1", "2"), ("RPUSH", "d", "x"), ("LMOVE", "s", "d", "LEFT", "RIGHT"),
    ("LMOVE", "s", "d", "RIGHT", "LEFT"), ("EXISTS", "s"), ("RPUSH", "s", "1", "2", "3"),
    ("RPOPLPUSH", "s", "s"), ("LMOVE", "s", "s", "LEFT", "LEFT"),
    ("LMOVE", "s", "s", "LEFT", "RIGHT"), ("LMOVE", "s", "s", "RIGHT", "RIGHT"),
    ("LMOVE", "s", "n", "LEFT", "LEFT"), ("RPOPLPUSH", "s", "n2"), ("LMOVE", "s", "n3",
                                                                   "RIGHT", "RIGHT"),
    ("LMOVE", "nosuch", "d", "LEFT", "LEFT"), ("RPOPLPUSH", "nosuch", "d"),
    ("SET", "str", "v"), ("RPUSH", "s", "1"), ("LMOVE", "s", "str", "LEFT", "LEFT"),
    ("RPOPLPUSH", "s", "str"), ("LMOVE", "str", "s", "LEFT", "LEFT"), ("LLEN", "s"),
    ("RPOPLPUSH", "s", "s"), ("RPOPLPUSH", "s", "x"), ("EXISTS", "s"),
]

MPOPS = [
    ("RPUSH", "m", "1", "2", "3"), ("RPUSH", "m2", "a"), ("LMPOP", "2", "z", "m", "LEFT",
                                                         "COUNT", "2"),
    ("LMPOP", "1", "m", "RIGHT"), ("LMPOP", "3", "z", "m", "m2", "RIGHT", "COUNT", "9"),
    ("LMPOP", "1", "m", "LEFT"), ("SET", "str", "v"), ("LMPOP", "1", "str", "LEFT"),
    ("RPUSH", "m", "x", "y"), ("LMPOP", "2", "m", "str", "RIGHT", "COUNT", "2"),
]

SCRIPTS = {"push_pop": PUSH_POP, "edits": EDITS, "moves": MOVES, "mpops": MPOPS}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_list_events_match_redis(server, ref, name, proto):
    events = assert_same_events(server, ref, SCRIPTS[name], flags="KEA", proto=proto)
    assert events


def test_list_event_order_spelled_out(server, ref):
    """The orders the task hinges on, written out: LMOVE's destination push comes before the
    source's pop, and an emptied source's `del` after both."""
    events = assert_same_events(server, ref, [("LMOVE", "src", "dst", "RIGHT", "LEFT")],
                                setup=[("RPUSH", "src", "only")])
    assert events == [
        (b"__keyspace@0__:dst", b"lpush"), (b"__keyevent@0__:lpush", b"dst"),
        (b"__keyspace@0__:src", b"rpop"), (b"__keyevent@0__:rpop", b"src"),
        (b"__keyspace@0__:src", b"del"), (b"__keyevent@0__:del", b"src"),
    ]
    events = assert_same_events(server, ref, [("RPOP", "k", "5")],
                                setup=[("RPUSH", "k", "a", "b")])
    assert events == [(b"__keyspace@0__:k", b"rpop"), (b"__keyevent@0__:rpop", b"k"),
                      (b"__keyspace@0__:k", b"del"), (b"__keyevent@0__:del", b"k")]


@pytest.mark.parametrize("flags", ["Kl", "El", "Eg", "Kg", "KEg", "KE$", "lE", "KEl"])
def test_event_classes_filter(server, ref, flags):
    """`l` carries the list events, `g` the generic `del` of an emptied list."""
    script = [("RPUSH", "k", "a"), ("LPOP", "k"), ("RPUSH", "k", "a", "b"),
              ("LTRIM", "k", "3", "4"), ("RPUSH", "k", "x"), ("LMOVE", "k", "j", "LEFT",
                                                              "LEFT"),
              ("LREM", "j", "0", "x")]
    assert_same_events(server, ref, script, flags=flags)


def test_events_in_other_database(server, ref):
    script = [("SELECT", "3"), ("RPUSH", "k", "a"), ("LMOVE", "k", "k2", "LEFT", "RIGHT"),
              ("LPOP", "k2"), ("SELECT", "0")]
    events = assert_same_events(server, ref, script)
    assert all(b"@3__" in ch for ch, _ in events)


def test_list_events_with_tiny_nodes(server, ref):
    """Node handling (splits, freed nodes) does not change the events."""
    for s in (server, ref):
        c = s.raw()
        c.call("CONFIG", "SET", "list-max-listpack-size", "2")
        c.close()
    try:
        script = [("RPUSH", "k", *"abcdefg"), ("LINSERT", "k", "AFTER", "c", "zz"),
                  ("LSET", "k", "4", "long" * 10), ("LREM", "k", "0", "zz"),
                  ("LTRIM", "k", "1", "-2"), ("RPOP", "k", "3"), ("LPOP", "k", "9")]
        assert_same_events(server, ref, script)
    finally:
        for s in (server, ref):
            c = s.raw()
            c.call("CONFIG", "SET", "list-max-listpack-size", "-2")
            c.close()


# ---------------------------------------------------------------------------------------------
# WATCH
# ---------------------------------------------------------------------------------------------

WATCH_CASES = [
    # (setup, the other connection's command, whether the key counts as modified)
    ([("RPUSH", "k", "a")], ("LPUSH", "k", "b"), True),
    ([], ("RPUSH", "k", "b"), True),
    ([("RPUSH", "k", "a")], ("LPUSHX", "k", "b"), True),
    ([], ("RPUSHX", "k", "b"), False),
    ([("RPUSH", "k", "a", "b")], ("LPOP", "k"), True),
    ([("RPUSH", "k", "a")], ("RPOP", "k", "3"), True),
    ([("RPUSH", "k", "a")], ("RPOP", "k", "0"), False),
    ([], ("LPOP", "k"), False),
    ([("RPUSH", "k", "a")], ("LSET", "k", "0", "a"), True),
    ([("RPUSH", "k", "a")], ("LSET", "k", "5", "a"), False),
    ([("RPUSH", "k", "a")], ("LINSERT", "k", "BEFORE", "a", "b"), True),
    ([("RPUSH", "k", "a")], ("LINSERT", "k", "BEFORE", "x", "b"), False),
    ([("RPUSH", "k", "a")], ("LREM", "k", "0", "a"), True),
    ([("RPUSH", "k", "a")], ("LREM", "k", "0", "b"), False),
    ([("RPUSH", "k", "a")], ("LTRIM", "k", "0", "-1"), True),
    ([("RPUSH", "k", "a")], ("LTRIM", "k", "3", "4"), True),
    ([], ("LTRIM", "k", "0", "1"), False),
    ([("RPUSH", "k", "a")], ("LMOVE", "k", "other", "LEFT", "LEFT"), True),
    ([("RPUSH", "other", "a")], ("LMOVE", "other", "k", "LEFT", "LEFT"), True),
    ([("RPUSH", "other", "a")], ("RPOPLPUSH", "other", "k"), True),
    ([("RPUSH", "k", "a")], ("RPOPLPUSH", "k", "k"), True),
    ([("RPUSH", "other", "a"), ("SET", "k", "s")], ("RPOPLPUSH", "other", "k"), False),
    ([], ("LMOVE", "nosuch", "k", "LEFT", "LEFT"), False),
    ([("RPUSH", "k", "a")], ("LMPOP", "2", "x", "k", "LEFT"), True),
    ([("RPUSH", "x", "a")], ("LMPOP", "2", "x", "k", "LEFT"), False),
    ([("RPUSH", "k", "a")], ("BLPOP", "x", "k", "0"), True),
    ([("RPUSH", "k", "a")], ("BRPOPLPUSH", "k", "y", "0"), True),
    ([("RPUSH", "y", "a")], ("BLMOVE", "y", "k", "LEFT", "RIGHT", "0"), True),
    ([("RPUSH", "k", "a")], ("BLMPOP", "0", "1", "k", "RIGHT"), True),
]


def _watch_outcome(s, setup, cmd):
    a, b = s.raw(), s.raw()
    try:
        a.call("FLUSHALL")
        for c in setup:
            a.call(*c)
        assert a.call("WATCH", "k") == b"+OK\r\n"
        other = b.call(*cmd)
        a.call("MULTI")
        a.call("PING")
        return other, a.call("EXEC")
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("setup,cmd,modified", WATCH_CASES, ids=lambda v: " ".join(v)
                         if isinstance(v, tuple) else None)
def test_watch_signals(server, ref, setup, cmd, modified):
    ours, theirs = _watch_outcome(server, setup, cmd), _watch_outcome(ref, setup, cmd)
    assert ours == theirs
    assert (ours[1] == b"*-1\r\n") == modified


# ---------------------------------------------------------------------------------------------
# A blocked pop served later emits the pop's events after the push's
# ---------------------------------------------------------------------------------------------

def _enc(*args):
    from tests.support import encode
    return encode(*args)


def _wait_blocked(c, n, timeout=3.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        info = c.call("INFO", "clients").decode()
        if f"blocked_clients:{n}\r" in info:
            return
        time.sleep(0.005)
    raise AssertionError(f"never saw {n} blocked clients")


SERVED = [
    (("BLPOP", "a", "k", "0"), ("RPUSH", "k", "x")),
    (("BRPOP", "k", "0"), ("RPUSH", "k", "x", "y")),
    (("BLMOVE", "k", "d", "RIGHT", "LEFT", "0"), ("LPUSH", "k", "x")),
    (("BRPOPLPUSH", "k", "k", "0"), ("LPUSH", "k", "x")),
    (("BLMPOP", "0", "2", "a", "k", "LEFT", "COUNT", "5"), ("RPUSH", "k", "x", "y")),
    (("BLPOP", "k", "0"), ("LMOVE", "src", "k", "LEFT", "LEFT")),
]


@pytest.mark.parametrize("blocking,push", SERVED, ids=lambda v: v[0])
def test_served_pop_events(server, ref, blocking, push):
    for s in (server, ref):
        c = s.raw()
        c.call("FLUSHALL")
        c.close()
    setup = [("RPUSH", "src", "1")] if push[0] == "LMOVE" else []

    def run(s):
        c = s.raw()
        for cmd in setup:
            c.call(*cmd)
        c.close()
        with EventListener(s, flags="KEA", flush=False) as ev:
            blocked, pusher = s.raw(), s.raw()
            try:
                blocked.send(_enc(*blocking))
                _wait_blocked(pusher, 1)
                pusher.call(*push)
                reply = blocked.read_reply()
                return reply, ev.drain(pusher)
            finally:
                blocked.close()
                pusher.close()

    ours, theirs = run(server), run(ref)
    assert ours == theirs
