"""The set command family, checked against redis-server 7.0.

Every command goes to pyredis and to the reference redis-server (the `d` fixture runs each test
in RESP2 and in RESP3). Replies are compared byte for byte, except where Redis leaves the order
open: the members of a hashtable-encoded set come in hash-table order, so those replies are
compared as multisets (same reply type, same members); intset-encoded sets reply sorted and
are compared byte for byte. SPOP and SRANDMEMBER are random: their replies are checked for
shape (length, membership, distinctness) and the sets they leave behind for content.
"""
import random

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from tests import support
from tests.commands.typemachine import DifferentialMachine, parse_reply, run_machine, unordered

INT_EDGES = ["0", "1", "-1", "32767", "32768", "-32768", "-32769", "2147483647", "2147483648",
             "-2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808"]
NOT_INTS = ["01", "-0", "+1", " 1", "1 ", "9223372036854775808", "-9223372036854775809",
            "1.5", "", "a", "x\x00y", "\r\n"]


def same_members(d, *args):
    """Both servers reply the same type and the same members, in any order."""
    ours, ref = d.both(*args)
    assert ours[:1] == ref[:1], f"{args!r}: pyredis {ours!r} != redis {ref!r}"
    assert unordered(parse_reply(ours)) == unordered(parse_reply(ref)), \
        f"{args!r}: pyredis {ours!r} != redis {ref!r}"
    return ours


def same_set(d, key):
    """The key holds the same set on both servers, with the same encoding."""
    d.check("TYPE", key)
    d.check("SCARD", key)
    d.check("OBJECT", "ENCODING", key)
    if parse_reply(d.ours.call("OBJECT", "ENCODING", key)) == b"intset":
        d.check("SMEMBERS", key)
    else:
        same_members(d, "SMEMBERS", key)


def members(client, key) -> list:
    return parse_reply(client.call("SMEMBERS", key))


def both_run(d, *args):
    d.ours.call(*args)
    d.ref.call(*args)


# ---------------------------------------------------------------------------------------------
# SADD / SREM / SCARD / SISMEMBER / SMISMEMBER / SMEMBERS, encodings
# ---------------------------------------------------------------------------------------------

def test_basics(d):
    d.check_all([
        ("SADD", "s", "3", "1", "2", "1"), ("SCARD", "s"), ("SMEMBERS", "s"),
        ("OBJECT", "ENCODING", "s"), ("SISMEMBER", "s", "1"), ("SISMEMBER", "s", "9"),
        ("SISMEMBER", "s", "01"), ("SISMEMBER", "nokey", "1"), ("SMISMEMBER", "s", "1", "9", "3"),
        ("SMISMEMBER", "nokey", "1", "2"), ("SCARD", "nokey"), ("SMEMBERS", "nokey"),
        ("SREM", "s", "1", "1", "7"), ("SREM", "nokey", "1"), ("SMEMBERS", "s"),
        ("SREM", "s", "2", "3", "4"), ("EXISTS", "s"), ("SADD", "s", "x"), ("TYPE", "s"),
        ("OBJECT", "ENCODING", "s"), ("SREM", "s", "x"), ("EXISTS", "s"),
    ])


def test_errors_and_arity(d):
    both_run(d, "SET", "str", "v")
    d.check_all([
        ("SADD",), ("SADD", "s"), ("SREM", "s"), ("SCARD",), ("SCARD", "a", "b"),
        ("SISMEMBER", "s"), ("SISMEMBER", "s", "a", "b"), ("SMISMEMBER", "s"), ("SMEMBERS",),
        ("SMOVE", "a", "b"), ("SPOP",), ("SRANDMEMBER",), ("SINTER",), ("SINTERSTORE", "d"),
        ("SUNION",), ("SUNIONSTORE", "d"), ("SDIFF",), ("SDIFFSTORE", "d"), ("SINTERCARD", "1"),
        ("SSCAN", "s"),
        ("SADD", "str", "a"), ("SREM", "str", "a"), ("SCARD", "str"), ("SISMEMBER", "str", "a"),
        ("SMISMEMBER", "str", "a"), ("SMEMBERS", "str"), ("SPOP", "str"), ("SPOP", "str", "2"),
        ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", "2"), ("SINTER", "str"),
        ("SINTER", "nokey", "str"), ("SUNION", "nokey", "str"), ("SDIFF", "nokey", "str"),
        ("SINTERSTORE", "d", "str"), ("SUNIONSTORE", "d", "str"), ("SDIFFSTORE", "d", "str"),
        ("SINTERCARD", "2", "nokey", "str"), ("SSCAN", "str", "0"), ("SMOVE", "str", "x", "a"),
    ])
    both_run(d, "SADD", "s", "1")
    d.check_all([("SMOVE", "s", "str", "1"), ("SMOVE", "nokey", "str", "1"),
                 ("SMEMBERS", "s"), ("GET", "str")])


@pytest.mark.parametrize("value", INT_EDGES + NOT_INTS)
def test_member_forms(diff, value):
    """Integers in canonical form go to the intset; anything else makes a hashtable."""
    d = diff
    d.check_all([("SADD", "s", "5"), ("SADD", "s", value), ("OBJECT", "ENCODING", "s"),
                 ("SISMEMBER", "s", value), ("SREM", "s", value), ("SISMEMBER", "s", value),
                 ("SADD", "t", value), ("OBJECT", "ENCODING", "t")])
    same_members(d, "SMEMBERS", "s")


def test_intset_widths_sorted(d):
    """Members of every width, added in random order, come back sorted (widths upgrade)."""
    values = INT_EDGES + [str(v) for v in (-5, 100, 40000, -40000, 3000000000, -3000000000)]
    random.Random(7).shuffle(values)
    for v in values:
        d.check("SADD", "s", v)
        d.check("SMEMBERS", "s")
    d.check("OBJECT", "ENCODING", "s")
    for v in values[::2]:
        d.check("SREM", "s", v)
    d.check("SMEMBERS", "s")
    d.check("SSCAN", "s", "0")
    d.check("SSCAN", "s", "0", "MATCH", "*7*", "COUNT", "1")


def test_intset_limit(d, server, ref):
    for c in (d.ours, d.ref):
        assert c.call("CONFIG", "SET", "set-max-intset-entries", "4") == b"+OK\r\n"
    try:
        d.check_all([("SADD", "s", "1", "2", "3", "4"), ("OBJECT", "ENCODING", "s"),
                     ("SADD", "s", "4"), ("OBJECT", "ENCODING", "s"), ("SADD", "s", "5"),
                     ("OBJECT", "ENCODING", "s"), ("SREM", "s", "5", "4"),
                     ("OBJECT", "ENCODING", "s"), ("SADD", "b", *map(str, range(10))),
                     ("OBJECT", "ENCODING", "b"), ("SADD", "c", "1", "2"),
                     ("SINTERSTORE", "r", "b", "c"), ("OBJECT", "ENCODING", "r"),
                     ("SUNIONSTORE", "r", "b", "c"), ("OBJECT", "ENCODING", "r")])
        # the sole-key union of an all-integer hashtable is an intset again: sorted
        d.check_all([("SUNION", "s"), ("SINTER", "c", "b"), ("SDIFF", "c", "s")])
    finally:
        for c in (d.ours, d.ref):
            c.call("CONFIG", "SET", "set-max-intset-entries", "512")


def test_default_limit_512(diff):
    d = diff
    d.check("SADD", "s", *map(str, range(512)))
    d.check("OBJECT", "ENCODING", "s")
    d.check("SMEMBERS", "s")
    d.check("SADD", "s", "512")
    d.check("OBJECT", "ENCODING", "s")
    same_members(d, "SMEMBERS", "s")


# ---------------------------------------------------------------------------------------------
# SMOVE
# ---------------------------------------------------------------------------------------------

def test_smove(d):
    d.check_all([
        ("SADD", "a", "1", "2", "x"), ("SADD", "b", "3"), ("SMOVE", "a", "b", "1"),
        ("SMOVE", "a", "b", "nope"), ("SMOVE", "nokey", "b", "1"), ("SMOVE", "a", "a", "2"),
        ("SMOVE", "a", "a", "9"), ("SMEMBERS", "b"), ("OBJECT", "ENCODING", "b"),
        ("SMOVE", "a", "b", "x"), ("OBJECT", "ENCODING", "b"), ("SMOVE", "a", "c", "2"),
        ("EXISTS", "a"), ("SMEMBERS", "c"), ("OBJECT", "ENCODING", "c"), ("SADD", "a", "3"),
        ("SMOVE", "a", "b", "3"), ("EXISTS", "a"), ("SCARD", "b"),
    ])


# ---------------------------------------------------------------------------------------------
# SINTER / SUNION / SDIFF, STORE forms, SINTERCARD
# ---------------------------------------------------------------------------------------------

ALGEBRA_SETS = {
    "i1": ["1", "2", "3", "4", "5"], "i2": ["4", "5", "6"], "i3": ["5", "-1"],
    "h1": ["a", "b", "c", "1", "2"], "h2": ["b", "c", "d", "2"], "big": [str(i) for i in range(600)],
}


def load_algebra(d):
    for k, v in ALGEBRA_SETS.items():
        both_run(d, "SADD", k, *v)
    both_run(d, "SET", "str", "v")


COMBOS = [["i1"], ["i1", "i2"], ["i2", "i1"], ["i1", "i2", "i3"], ["i1", "nokey"],
          ["nokey", "i1"], ["i1", "i1"], ["i2", "i1", "i2"], ["h1", "h2"], ["h1", "i1"],
          ["i1", "h1"], ["h2", "h1", "i1"], ["big", "i1"], ["i1", "big"], ["big", "h1", "i2"],
          ["big", "big"], ["nokey"], ["nokey", "nokey2"], ["h1", "nokey", "h2"]]


@pytest.mark.parametrize("keys", COMBOS, ids="-".join)
def test_algebra(d, keys):
    load_algebra(d)
    for op in ("SINTER", "SUNION", "SDIFF"):
        same_members(d, op, *keys)
        d.check(op + "STORE", "dst", *keys)
        d.check("EXISTS", "dst")
        if parse_reply(d.ours.call("EXISTS", "dst")):
            same_set(d, "dst")
    d.check("SINTERCARD", str(len(keys)), *keys)
    d.check("SINTERCARD", str(len(keys)), *keys, "LIMIT", "2")
    d.check("SINTERCARD", str(len(keys)), *keys, "LIMIT", "0")


def test_store_overwrites_and_deletes(d):
    load_algebra(d)
    d.check_all([
        ("SET", "dst", "x", "EX", "100"), ("SINTERSTORE", "dst", "i1", "i2"), ("TTL", "dst"),
        ("TYPE", "dst"), ("SMEMBERS", "dst"), ("SINTERSTORE", "dst", "i1", "h2"),
        ("EXISTS", "dst"), ("SET", "dst", "a"), ("SUNIONSTORE", "dst", "nokey"),
        ("EXISTS", "dst"), ("SDIFFSTORE", "i1", "i1", "i2"), ("SMEMBERS", "i1"),
        ("SUNIONSTORE", "i2", "i2", "i3"), ("SMEMBERS", "i2"), ("OBJECT", "ENCODING", "i2"),
        ("SDIFFSTORE", "x", "i3", "i3"), ("EXISTS", "x"), ("SINTERSTORE", "str", "nokey"),
        ("EXISTS", "str"), ("SINTERSTORE", "dst", "str", "i1"),
    ])


def test_sdiff_algorithms_encodings(d):
    """SDIFF's result encoding follows Redis's choice of algorithm."""
    both_run(d, "SADD", "a", "x", *map(str, range(20)))
    both_run(d, "SADD", "b", *map(str, range(1, 20)))
    both_run(d, "SADD", "c", "x")
    for keys in (["a", "b"], ["a", "b", "c"], ["a", "c"], ["a", "c", "b"], ["b", "a"],
                 ["a", "nokey", "b"], ["a", "nokey"]):
        d.check("SDIFFSTORE", "r", *keys)
        if parse_reply(d.ours.call("EXISTS", "r")):
            same_set(d, "r")
        same_members(d, "SDIFF", *keys)


def test_sintercard_errors(d):
    both_run(d, "SADD", "a", "1", "2", "3")
    both_run(d, "SADD", "b", "2", "3", "x")
    d.check_all([
        ("SINTERCARD", "0", "a"), ("SINTERCARD", "-1", "a"), ("SINTERCARD", "x", "a"),
        ("SINTERCARD", "3", "a", "b"), ("SINTERCARD", "1", "a", "LIMIT"),
        ("SINTERCARD", "1", "a", "LIMIT", "-1"), ("SINTERCARD", "1", "a", "LIMIT", "x"),
        ("SINTERCARD", "1", "a", "FOO"), ("SINTERCARD", "1", "a", "limit", "1"),
        ("SINTERCARD", "2", "a", "b"), ("SINTERCARD", "2", "a", "b", "LIMIT", "1"),
        ("SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "5"),
        ("SINTERCARD", "9223372036854775807", "a"), ("SINTERCARD", "99999999999999999999", "a"),
        ("SINTERCARD", "1", "a", "LIMIT", "9223372036854775807"),
    ])


# ---------------------------------------------------------------------------------------------
# SPOP / SRANDMEMBER
# ---------------------------------------------------------------------------------------------

def test_random_errors_and_edges(d):
    both_run(d, "SADD", "s", "1", "2", "3")
    d.check_all([
        ("SPOP", "s", "0"), ("SPOP", "s", "-1"), ("SPOP", "s", "x"), ("SPOP", "s", "1", "2"),
        ("SPOP", "nokey"), ("SPOP", "nokey", "3"), ("SPOP", "nokey", "-3"),
        ("SPOP", "s", "9223372036854775808"), ("SRANDMEMBER", "s", "0"),
        ("SRANDMEMBER", "s", "x"), ("SRANDMEMBER", "s", "1", "2"), ("SRANDMEMBER", "nokey"),
        ("SRANDMEMBER", "nokey", "5"), ("SRANDMEMBER", "nokey", "-5"),
        ("SRANDMEMBER", "s", "-9223372036854775808"), ("SRANDMEMBER", "s", "9223372036854775808"),
        ("SRANDMEMBER", "s", "3"), ("SRANDMEMBER", "s", "9223372036854775807"),
        ("SPOP", "s", "9223372036854775807"), ("EXISTS", "s"),
        ("SADD", "s", "a"), ("SPOP", "s"), ("EXISTS", "s"),
    ])
    both_run(d, "SADD", "h", "a", "b")
    same_members(d, "SRANDMEMBER", "h", "2")
    same_members(d, "SRANDMEMBER", "h", "100")
    same_members(d, "SPOP", "h", "5")
    d.check("EXISTS", "h")


@pytest.mark.parametrize("kind", ["intset", "hashtable"])
@pytest.mark.parametrize("size", [1, 7, 300])
def test_spop_shapes(d, kind, size):
    items = [str(i * 3 - 50) if kind == "intset" else f"m{i}" for i in range(size)]
    both_run(d, "SADD", "s", *items)
    d.check("OBJECT", "ENCODING", "s")
    left = set(items)
    for count in (None, 1, 2, size // 3, size // 2, size - 1, size + 5):
        if not left:
            break
        for c in (d.ours, d.ref):
            before = set(members(c, "s"))
            args = ("SPOP", "s") if count is None else ("SPOP", "s", str(count))
            reply = c.call(*args)
            got = parse_reply(reply)
            popped = [got] if count is None else got
            want = 1 if count is None else min(count, len(before))
            assert len(popped) == want and len(set(popped)) == want, (args, reply)
            if count is not None:
                assert reply[:1] == (b"*" if d.proto == 2 else b"~")
            after = set(members(c, "s"))
            assert set(popped) <= before and after == before - set(popped)
        d.check("SCARD", "s")
        d.check("EXISTS", "s")
        if parse_reply(d.ours.call("EXISTS", "s")):
            d.check("OBJECT", "ENCODING", "s")
        left = set(members(d.ours, "s"))


@pytest.mark.parametrize("kind", ["intset", "hashtable"])
@pytest.mark.parametrize("size", [1, 5, 200])
def test_srandmember_shapes(d, kind, size):
    items = [str(i * 7 - 90) if kind == "intset" else f"m{i}" for i in range(size)]
    both_run(d, "SADD", "s", *items)
    for count in (1, 2, size // 4, size // 2, size - 1, size, size + 3, -1, -3, -size * 2):
        if count == 0:
            continue
        for c in (d.ours, d.ref):
            reply = c.call("SRANDMEMBER", "s", str(count))
            got = [x.decode() for x in parse_reply(reply)]
            assert reply[:1] == b"*"
            assert set(got) <= set(items)
            if count > 0:
                assert len(got) == min(count, size) == len(set(got))
            else:
                assert len(got) == -count
    got = parse_reply(d.ours.call("SRANDMEMBER", "s"))
    assert got in [x.encode() for x in items]
    d.check("SCARD", "s")
    if kind == "intset":
        d.check("SRANDMEMBER", "s", str(size))     # the whole set, sorted


def test_random_is_spread(server):
    """Every member of a hashtable or intset turns up in SRANDMEMBER and SPOP samples."""
    c = server.raw()
    try:
        for items in ([f"m{i}" for i in range(50)], [str(i) for i in range(50)]):
            c.call("DEL", "s")
            c.call("SADD", "s", *items)
            seen = set()
            for _ in range(60):
                seen.update(parse_reply(c.call("SRANDMEMBER", "s", "-20")))
                seen.update(parse_reply(c.call("SRANDMEMBER", "s", "5")))
            assert seen == {x.encode() for x in items}
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------
# SSCAN
# ---------------------------------------------------------------------------------------------

def test_sscan_options(d):
    both_run(d, "SADD", "i", *map(str, range(-20, 40)))
    both_run(d, "SADD", "h", "alpha", "beta", "1")
    d.check_all([
        ("SSCAN", "i", "0"), ("SSCAN", "i", "0", "COUNT", "1"), ("SSCAN", "i", "0", "MATCH", "1*"),
        ("SSCAN", "i", "0", "MATCH", "-*", "COUNT", "2"), ("SSCAN", "i", "5"),
        ("SSCAN", "i", "x"), ("SSCAN", "i", "-1"), ("SSCAN", "i", "18446744073709551615"),
        ("SSCAN", "i", "18446744073709551616"), ("SSCAN", "i", "0", "COUNT", "0"),
        ("SSCAN", "i", "0", "COUNT", "-1"), ("SSCAN", "i", "0", "COUNT", "x"),
        ("SSCAN", "i", "0", "COUNT"), ("SSCAN", "i", "0", "MATCH"), ("SSCAN", "i", "0", "TYPE", "set"),
        ("SSCAN", "i", "0", "FOO", "bar"), ("SSCAN", "nokey", "0"), ("SSCAN", "nokey", "0", "FOO"),
        ("SSCAN", "nokey", "x"), ("SSCAN", "h", "0", "MATCH", "nomatch*"),
        ("SSCAN", "h", "0", "COUNT", "x"),
    ])
    ours, ref = (parse_reply(x) for x in d.both("SSCAN", "h", "0", "COUNT", "100"))
    assert ours[0] == ref[0] == b"0" and sorted(ours[1]) == sorted(ref[1])


def test_sscan_full_iteration(raw):
    items = {f"member:{i}".encode() for i in range(1000)}
    raw.call("SADD", "s", *items)
    seen, cursor, calls = set(), b"0", 0
    while True:
        cur, batch = parse_reply(raw.call("SSCAN", "s", cursor, "COUNT", "50"))
        seen.update(batch)
        calls += 1
        cursor = cur
        if cursor == b"0":
            break
    assert seen == items and 5 < calls < 200
    cur, batch = parse_reply(raw.call("SSCAN", "s", "0", "MATCH", "member:99*", "COUNT", "5000"))
    assert cur == b"0" and sorted(batch) == sorted(x for x in items if x.startswith(b"member:99"))


# ---------------------------------------------------------------------------------------------
# Keyspace operations on set values (copy, rename, move, expiry, flush)
# ---------------------------------------------------------------------------------------------

def test_copy_rename_move(d):
    both_run(d, "SADD", "i", "1", "2", "3")
    both_run(d, "SADD", "h", "a", "b", "1")
    d.check_all([
        ("COPY", "i", "i2"), ("COPY", "h", "h2"), ("SADD", "i2", "9"), ("SREM", "h2", "a"),
        ("SMEMBERS", "i"), ("SMEMBERS", "i2"), ("SCARD", "h"), ("SCARD", "h2"),
        ("OBJECT", "ENCODING", "h2"), ("RENAME", "i2", "i3"), ("SMEMBERS", "i3"),
        ("MOVE", "h2", "1"), ("EXISTS", "h2"), ("SELECT", "1"), ("SISMEMBER", "h2", "b"),
        ("SELECT", "0"), ("PEXPIRE", "i3", "1"),
    ])
    import time
    time.sleep(0.01)
    d.check_all([("SCARD", "i3"), ("SADD", "i3", "5"), ("SMEMBERS", "i3"), ("DEL", "h", "i"),
                 ("FLUSHALL",), ("DBSIZE",)])


def test_large_sets_and_memory(server):
    """Big sets built, copied, popped and dropped leave the server healthy."""
    c = server.raw()
    try:
        c.call("SADD", "h", *[f"x{i}" for i in range(20000)])
        c.call("SADD", "i", *map(str, range(400)))
        for _ in range(3):
            c.call("COPY", "h", "h2", "REPLACE")
            assert parse_reply(c.call("SPOP", "h2", "15000")).__len__() == 15000
            assert parse_reply(c.call("SCARD", "h2")) == 5000
            assert len(parse_reply(c.call("SPOP", "h2", "100"))) == 100
            assert len(set(parse_reply(c.call("SRANDMEMBER", "h", "19999")))) == 19999
            assert len(set(parse_reply(c.call("SRANDMEMBER", "h", "100")))) == 100
            c.call("SUNIONSTORE", "u", "h", "h2", "i")
            assert parse_reply(c.call("SCARD", "u")) == 20400
            c.call("SDIFFSTORE", "u", "h", "h2")
            c.call("SINTERSTORE", "u", "h", "h2")
            assert parse_reply(c.call("SCARD", "u")) == 4900
            c.call("SPOP", "i", "399")
            c.call("SADD", "i", *map(str, range(400)))
        c.call("FLUSHALL")
        assert c.call("PING") == b"+PONG\r\n"
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------
# The hot path
# ---------------------------------------------------------------------------------------------

def test_hot_commands_run_no_python(r):
    r.sadd("hs", *[f"m{i}" for i in range(50)])
    r.sadd("is", *range(50))
    support.assert_no_python(r, [
        ("SADD", "hs", "a", "b"), ("SADD", "is", "7"), ("SISMEMBER", "hs", "a"),
        ("SISMEMBER", "is", "7"), ("SREM", "hs", "a"), ("SCARD", "hs"), ("SMEMBERS", "is"),
        ("SMISMEMBER", "hs", "b", "c"), ("SRANDMEMBER", "hs"), ("SRANDMEMBER", "is", "3"),
        ("SRANDMEMBER", "hs", "-3"), ("SPOP", "hs"), ("SPOP", "is"), ("SPOP", "nokey"),
        ("SADD", "hs", "c"),
    ])


# ---------------------------------------------------------------------------------------------
# State machine against redis-server
# ---------------------------------------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "c", "str"])
MEMBERS = st.one_of(st.integers(-40, 40).map(str), st.sampled_from(
    ["x", "y", "zz", "", "01", "-0", "70000", "-70000", "5000000000", "9223372036854775807",
     "-9223372036854775808", "9223372036854775808"]))


class SetMachine(DifferentialMachine):
    started = False

    def _start(self):
        if not self.started:
            self.started = True
            self.d.both("SET", "str", "v")
            for c in (self.d.ours, self.d.ref):
                c.call("CONFIG", "SET", "set-max-intset-entries", "8")

    def check_key(self, key):
        self.check("TYPE", key)
        self.check("OBJECT", "ENCODING", key)
        self.check("SMEMBERS", key, unordered_reply=True)

    @rule(key=KEYS, ms=st.lists(MEMBERS, min_size=1, max_size=6))
    def sadd(self, key, ms):
        self._start()
        self.check("SADD", key, *ms)
        self.check_key(key)

    @rule(key=KEYS, ms=st.lists(MEMBERS, min_size=1, max_size=4))
    def srem(self, key, ms):
        self._start()
        self.check("SREM", key, *ms)
        self.check_key(key)

    @rule(key=KEYS, ms=st.lists(MEMBERS, min_size=1, max_size=4))
    def reads(self, key, ms):
        self._start()
        self.check("SISMEMBER", key, ms[0])
        self.check("SMISMEMBER", key, *ms)
        self.check("SCARD", key)

    @rule(src=KEYS, dst=KEYS, m=MEMBERS)
    def smove(self, src, dst, m):
        self._start()
        self.check("SMOVE", src, dst, m)
        self.check_key(src)
        self.check_key(dst)

    @rule(op=st.sampled_from(["SINTER", "SUNION", "SDIFF"]), keys=st.lists(KEYS, min_size=1,
                                                                         max_size=3),
          dst=KEYS)
    def algebra(self, op, keys, dst):
        self._start()
        self.check(op, *keys, unordered_reply=True)
        self.check(op + "STORE", dst, *keys)
        self.check_key(dst)
        self.check("SINTERCARD", str(len(keys)), *keys, "LIMIT", "3")

    @rule(key=KEYS, count=st.one_of(st.none(), st.integers(-3, 12)))
    def spop(self, key, count):
        self._start()
        args = ("SPOP", key) if count is None else ("SPOP", key, str(count))
        before = parse_reply(self.d.ours.call("SMEMBERS", key))
        a, b = self.check_shape(*args, same=lambda v: (
            len(v) if isinstance(v, list) else "member" if isinstance(v, bytes) else v))
        # take the same members out of redis-server so the two stay equal
        got = parse_reply(a)
        popped = [got] if count is None else (got if isinstance(got, list) else [])
        if isinstance(got, tuple) or got is None:
            return
        self.d.ref.call("DEL", key)
        rest = [m for m in (before if isinstance(before, list) else []) if m not in popped]
        if rest:
            # rebuild redis's set as ours now is, member by member as ours was built
            self.d.ref.call("SADD", key, *sorted(rest, key=lambda m: (len(m), m)))
            self.d.ours.call("DEL", key)
            self.d.ours.call("SADD", key, *sorted(rest, key=lambda m: (len(m), m)))
        else:
            self.d.ours.call("DEL", key)
        self.check_key(key)

    @rule(key=KEYS, count=st.integers(-5, 12))
    def srandmember(self, key, count):
        self._start()
        size = parse_reply(self.d.ours.call("SCARD", key))
        whole = isinstance(size, int) and count >= size

        def shape(v):
            if not isinstance(v, list):
                return v
            return sorted(v) if whole else len(v)
        self.check_shape("SRANDMEMBER", key, str(count), same=shape)

    @rule(key=KEYS, count=st.integers(1, 5))
    def sscan(self, key, count):
        self._start()
        if parse_reply(self.d.ours.call("OBJECT", "ENCODING", key)) == b"hashtable":
            return
        self.check("SSCAN", key, "0", "COUNT", str(count))

    def teardown(self):
        for c in (self.d.ours, self.d.ref):
            c.call("CONFIG", "SET", "set-max-intset-entries", "512")
        super().teardown()


@pytest.mark.parametrize("proto", [2, 3])
def test_state_machine(server, ref, proto):
    run_machine(SetMachine, server, ref, proto=proto, max_examples=40, steps=30)
