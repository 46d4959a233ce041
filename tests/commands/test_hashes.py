"""The hash command family, checked against redis-server 7.0.

Small hashes are listpacks in both servers, whose replies come in insertion order: those are
compared byte for byte (d.check), in RESP2 and RESP3. Hash tables have no defined order:
HGETALL/HKEYS/HVALS/HSCAN of those are compared as multisets, HRANDFIELD by its promises
(length, distinctness, membership). OBJECT ENCODING is compared at every conversion point.
"""
import time

import pytest

from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from tests import support
from tests.commands.typemachine import (DifferentialMachine, pairs, parse_reply, run_machine,
                                        unordered)

INT_EDGES = [
    "0", "1", "-1", "+1", "01", "-0", " 1", "1 ", "", "abc", "1.5", "2147483647",
    "9223372036854775806", "9223372036854775807", "9223372036854775808",
    "-9223372036854775807", "-9223372036854775808", "-9223372036854775809",
    "18446744073709551616", "99999999999999999999",
]
FLOAT_EDGES = [
    "1.5", "-1.5", "0.1", "-0.0", "0", "1e5", "1e-5", "1e308", "1.7976931348623157e308",
    "1e400", "-1e400", "1e4000", "1e-5000", "inf", "-inf", "+inf", "infinity", "nan", "-nan",
    "0x10", ".5", "5.", "1.5 ", " 1.5", "1e", "", "abc", "3.14159265358979323846264338327950288",
    "123456789012345678901234567890",
]
COMMANDS = ["hset", "hsetnx", "hmset", "hget", "hmget", "hgetall", "hkeys", "hvals", "hlen",
            "hexists", "hdel", "hincrby", "hincrbyfloat", "hstrlen", "hrandfield", "hscan"]
EMPTY_SCAN = b"*2\r\n$1\r\n0\r\n*0\r\n"


def limits(server, ref, entries, value):
    """Set both servers' hash-max-listpack-* (returns the previous values)."""
    for proc in (server, ref):
        c = proc.raw()
        assert c.call("CONFIG", "SET", "hash-max-listpack-entries", str(entries),
                      "hash-max-listpack-value", str(value)) == b"+OK\r\n"
        c.close()


@pytest.fixture
def small_limits(server, ref):
    """A helper that sets the listpack limits; the defaults come back afterwards."""
    yield lambda entries, value: limits(server, ref, entries, value)
    limits(server, ref, 512, 64)


def fill(d, key, n, prefix="f", value="v"):
    """A hash of n fields through HSET batches on both servers."""
    for start in range(0, n, 200):
        args = []
        for i in range(start, min(n, start + 200)):
            args += [f"{prefix}{i}", f"{value}{i}"]
        d.check("HSET", key, *args)


def same_unordered(d, *args, paired=False):
    a, b = d.both(*args)
    pa, pb = parse_reply(a), parse_reply(b)
    norm = pairs if paired else unordered
    assert norm(pa) == norm(pb), f"{args!r}: pyredis {a[:200]!r} != redis {b[:200]!r}"
    return pa


# =============================================================================================
# Arity, wrong type, missing keys
# =============================================================================================

ARITY = {"hset": -4, "hsetnx": 4, "hmset": -4, "hget": 3, "hmget": -3, "hgetall": 2,
         "hkeys": 2, "hvals": 2, "hlen": 2, "hexists": 3, "hdel": -3, "hincrby": 4,
         "hincrbyfloat": 4, "hstrlen": 3, "hrandfield": -2, "hscan": -3}


@pytest.mark.parametrize("name", COMMANDS)
def test_arity(d, name):
    for argc in range(1, 8):
        d.check(*([name] + ["h", "0", "1", "f2", "2", "f3", "3"][:argc - 1]))
        d.check("DEL", "h")
    d.check(name.upper())


def test_hset_hmset_odd_pairs(d):
    for name in ("HSET", "hset", "HMSET", "hmset"):
        d.check(name, "h", "a")
        d.check(name, "h", "a", "1", "b")
        d.check(name, "h", "a", "1", "b", "2", "c")
        d.check("EXISTS", "h")
    d.check("SET", "s", "x")
    d.check("HSET", "s", "a", "1", "b")       # arity before the type


@pytest.mark.parametrize("name", COMMANDS)
def test_wrong_type(d, name):
    d.check("SET", "s", "x")
    args = {"hset": ["f", "v"], "hsetnx": ["f", "v"], "hmset": ["f", "v"], "hget": ["f"],
            "hmget": ["f", "g"], "hexists": ["f"], "hdel": ["f"], "hincrby": ["f", "1"],
            "hincrbyfloat": ["f", "1"], "hstrlen": ["f"], "hscan": ["0"]}.get(name, [])
    d.check(name, "s", *args)
    if name == "hrandfield":
        for tail in (["0"], ["1"], ["-1"], ["5", "WITHVALUES"]):
            d.check(name, "s", *tail)
    d.check("GET", "s")


def test_missing_keys(d):
    for args in [("HGET", "no", "f"), ("HMGET", "no", "a", "b"), ("HGETALL", "no"),
                 ("HKEYS", "no"), ("HVALS", "no"), ("HLEN", "no"), ("HEXISTS", "no", "f"),
                 ("HSTRLEN", "no", "f"), ("HDEL", "no", "f"), ("HRANDFIELD", "no"),
                 ("HRANDFIELD", "no", "0"), ("HRANDFIELD", "no", "5"),
                 ("HRANDFIELD", "no", "-5", "WITHVALUES"), ("HSCAN", "no", "0"),
                 ("HSCAN", "no", "0", "COUNT", "0"), ("HSCAN", "no", "0", "BAD"),
                 ("HSCAN", "no", "x"), ("EXISTS", "no")]:
        d.check(*args)


# =============================================================================================
# Writes and reads on listpack hashes (insertion order: byte for byte)
# =============================================================================================

VALUES = ["", "a", "0", "-1", "007", "9223372036854775807", "-9223372036854775808",
          "18446744073709551616", "x\x00\r\ny", "\xff\xfe", "a" * 44, "a" * 45, "1.5"]


def test_hset_and_reads(d):
    args = []
    for i, v in enumerate(VALUES):
        args += [f"f{i}", v]
    d.check("HSET", "h", *args)
    d.check("HSET", "h", "f0", "new", "f0", "newer", "g", "1", "g", "2")
    for cmd in ("HGETALL", "HKEYS", "HVALS", "HLEN"):
        d.check(cmd, "h")
    for i in range(len(VALUES) + 1):
        d.check("HGET", "h", f"f{i}")
        d.check("HSTRLEN", "h", f"f{i}")
        d.check("HEXISTS", "h", f"f{i}")
    d.check("HMGET", "h", *[f"f{i}" for i in range(len(VALUES) + 2)], "g", "f0")
    d.check("HGET", "h", "")
    d.check("HSET", "h", "", "empty")
    d.check("HGET", "h", "")
    d.check("HGETALL", "h")
    d.check("OBJECT", "ENCODING", "h")
    d.check("TYPE", "h")


def test_hmset(d):
    d.check("HMSET", "h", "a", "1", "b", "2", "a", "3")
    d.check("HGETALL", "h")
    d.check("HMSET", "h", "c", "4")
    d.check("HGETALL", "h")


def test_hsetnx(d):
    d.check("HSETNX", "h", "a", "1")
    d.check("HSETNX", "h", "a", "2")
    d.check("HSETNX", "h", "b", "")
    d.check("HGETALL", "h")


def test_hdel(d):
    d.check("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")
    d.check("HDEL", "h", "x")
    d.check("HDEL", "h", "b", "b", "x", "d")
    d.check("HGETALL", "h")
    d.check("HDEL", "h", "a", "c", "a", "zz")      # empties it: the key goes
    d.check("EXISTS", "h")
    d.check("HLEN", "h")
    d.check("HSET", "h", "a", "1")
    d.check("HDEL", "h", "a")
    d.check("EXISTS", "h")


def test_hincrby(d):
    d.check("HINCRBY", "h", "n", "5")
    d.check("HINCRBY", "h", "n", "-10")
    d.check("HINCRBY", "h", "n", "0")
    for incr in INT_EDGES:
        d.check("HINCRBY", "h", "x", incr)
        d.check("HINCRBY", "nokey", "x", incr)
    d.check("HGETALL", "h")
    d.check("EXISTS", "nokey")
    d.check("DEL", "nokey")
    for stored in INT_EDGES:
        for incr in ["1", "-1", "0", "9223372036854775807", "-9223372036854775808"]:
            d.check("HSET", "h", "v", stored)
            d.check("HINCRBY", "h", "v", incr)
            d.check("HGET", "h", "v")


def test_hincrbyfloat(d):
    d.check("HINCRBYFLOAT", "h", "n", "1.5")
    d.check("HINCRBYFLOAT", "h", "n", "-0.25")
    for incr in FLOAT_EDGES:
        d.check("HINCRBYFLOAT", "h", "x", incr)
        d.check("HINCRBYFLOAT", "nokey", "x", incr)
        d.check("DEL", "nokey")
    d.check("OBJECT", "ENCODING", "h")                 # a 4000-digit value converted it
    same_unordered(d, "HGETALL", "h", paired=True)
    for stored in FLOAT_EDGES + ["10", "-5", "1e308"]:
        for incr in ["1", "-1.5", "1e308", "-1e308", "0"]:
            d.check("HSET", "h", "v", stored)
            d.check("HINCRBYFLOAT", "h", "v", incr)
            d.check("HGET", "h", "v")
    d.check("OBJECT", "ENCODING", "h")


def test_hincrbyfloat_long_results_convert(d):
    d.check("HSET", "h", "v", "1")
    d.check("HINCRBYFLOAT", "h", "v", "1e300")      # a 301-char value: a hash table now
    d.check("OBJECT", "ENCODING", "h")
    d.check("HGET", "h", "v")


def test_hstrlen_hexists(d):
    d.check("HSET", "h", "a", "", "b", "12345", "c", "-9223372036854775808", "d", "x" * 100)
    for f in ("a", "b", "c", "d", "e"):
        d.check("HSTRLEN", "h", f)
        d.check("HEXISTS", "h", f)


# =============================================================================================
# Encodings: the conversion points of Redis 7.0
# =============================================================================================

def test_value_length_boundary(d):
    for n in (63, 64, 65):
        d.check("HSET", f"v{n}", "f", "x" * n)
        d.check("HSET", f"f{n}", "y" * n, "v")
        d.check("HSET", f"m{n}", "a", "1", "b" * n, "2", "c", "3")
        d.check("HMSET", f"hm{n}", "a", "x" * n)
        d.check("HSETNX", f"n{n}", "a" * n, "1")
        d.check("HINCRBY", f"i{n}", "a" * n, "1")
        d.check("HINCRBYFLOAT", f"fl{n}", "a" * n, "1.5")
        for k in ("v", "f", "m", "hm", "n", "i", "fl"):
            d.check("OBJECT", "ENCODING", f"{k}{n}")
    d.check("HGETALL", "m64")
    # HSETNX of an existing field does not convert, of a new one does
    d.check("HSET", "nx", "a", "1")
    d.check("HSETNX", "nx", "a", "x" * 65)
    d.check("OBJECT", "ENCODING", "nx")
    d.check("HSETNX", "nx", "b", "x" * 65)
    d.check("OBJECT", "ENCODING", "nx")


def test_entries_boundary_default(d):
    fill(d, "h", 512)
    d.check("OBJECT", "ENCODING", "h")
    d.check("HGETALL", "h")
    d.check("HSET", "h", "f0", "again")           # an update does not convert
    d.check("OBJECT", "ENCODING", "h")
    d.check("HSET", "h", "one-more", "x")
    d.check("OBJECT", "ENCODING", "h")
    d.check("HLEN", "h")
    same_unordered(d, "HGETALL", "h", paired=True)
    d.check("HDEL", "h", *[f"f{i}" for i in range(500)])
    d.check("OBJECT", "ENCODING", "h")            # never converts back


def test_small_limits(d, small_limits):
    small_limits(2, 3)
    d.check("HSET", "a", "x", "1", "y", "2")
    d.check("OBJECT", "ENCODING", "a")
    d.check("HSET", "a", "z", "3")
    d.check("OBJECT", "ENCODING", "a")
    d.check("HSET", "b", "x", "1", "x", "2", "x", "3")
    d.check("OBJECT", "ENCODING", "b")
    d.check("HSET", "c", "abc", "abc")
    d.check("OBJECT", "ENCODING", "c")
    d.check("HSET", "c", "abcd", "1")
    d.check("OBJECT", "ENCODING", "c")
    d.check("HINCRBYFLOAT", "e", "f", "1.25")       # "1.25" is 4 bytes
    d.check("OBJECT", "ENCODING", "e")
    small_limits(0, 0)
    d.check("HSET", "z", "", "")
    d.check("OBJECT", "ENCODING", "z")
    d.check("HSET", "z", "", "x")
    d.check("OBJECT", "ENCODING", "z")
    d.check("HSET", "y", "a", "")
    d.check("OBJECT", "ENCODING", "y")


# =============================================================================================
# Hash tables: unordered comparisons
# =============================================================================================

def test_hashtable_reads_and_writes(d):
    fill(d, "h", 700)
    d.check("OBJECT", "ENCODING", "h")
    same_unordered(d, "HGETALL", "h", paired=True)
    same_unordered(d, "HKEYS", "h")
    same_unordered(d, "HVALS", "h")
    for i in range(0, 720, 37):
        d.check("HGET", "h", f"f{i}")
        d.check("HSTRLEN", "h", f"f{i}")
        d.check("HEXISTS", "h", f"f{i}")
    d.check("HMGET", "h", "f1", "nope", "f699", "f700")
    for v in VALUES:
        d.check("HSET", "h", "f5", v)
        d.check("HGET", "h", "f5")
    d.check("HSET", "h", "f5", "y" * 200, "f6", "12", "f7", "z" * 30)
    d.check("HMGET", "h", "f5", "f6", "f7")
    d.check("HINCRBY", "h", "f6", "30")
    d.check("HINCRBY", "h", "cnt", "-3")
    d.check("HINCRBY", "h", "f7", "1")
    d.check("HINCRBYFLOAT", "h", "f6", "0.5")
    d.check("HINCRBYFLOAT", "h", "f7", "1")
    d.check("HSETNX", "h", "f8", "x")
    d.check("HSETNX", "h", "new", "x")
    d.check("HDEL", "h", *[f"f{i}" for i in range(0, 700, 2)], "nope")
    d.check("HLEN", "h")
    same_unordered(d, "HGETALL", "h", paired=True)
    d.check("HDEL", "h", *[f"f{i}" for i in range(1, 700, 2)])
    d.check("HLEN", "h")
    same_unordered(d, "HGETALL", "h", paired=True)
    d.check("HDEL", "h", "cnt", "new")
    d.check("EXISTS", "h")


def test_hashtable_int_values(d):
    fill(d, "h", 600, value="")
    for v in ("0", "-0", "123", "-9223372036854775808", "9223372036854775807", "0123", "1e3"):
        d.check("HSET", "h", "f1", v)
        d.check("HGET", "h", "f1")
        d.check("HSTRLEN", "h", "f1")
        d.check("HINCRBY", "h", "f1", "1")
        d.check("HINCRBYFLOAT", "h", "f1", "1")


def scan_all(client, key, *opts):
    """Every field/value an HSCAN iteration returns, and the number of calls."""
    cursor, seen, calls = b"0", [], 0
    while True:
        reply = parse_reply(client.call("HSCAN", key, cursor, *opts))
        cursor, items = reply
        seen += [(items[i], items[i + 1]) for i in range(0, len(items), 2)]
        calls += 1
        if cursor == b"0":
            return seen, calls


def test_hscan_listpack(d):
    d.check("HSET", "h", "a1", "1", "b2", "2", "a3", "3", "zz", "")
    d.check("HSCAN", "h", "0")
    d.check("HSCAN", "h", "0", "COUNT", "1")
    d.check("HSCAN", "h", "7", "count", "100")
    d.check("HSCAN", "h", "0", "MATCH", "a*")
    d.check("HSCAN", "h", "0", "MATCH", "*")
    d.check("HSCAN", "h", "0", "MATCH", "nomatch", "COUNT", "2", "MATCH", "*2")
    for bad in [("COUNT", "0"), ("COUNT", "-1"), ("COUNT", "x"), ("COUNT",), ("MATCH",),
                ("TYPE", "hash"), ("BAD", "1"), ("NOVALUES",)]:
        d.check("HSCAN", "h", "0", *bad)
    for cursor in ("x", "-1", "18446744073709551615", "18446744073709551616", " 1", ""):
        d.check("HSCAN", "h", cursor)


def test_hscan_hashtable(server, ref):
    ours, theirs = server.raw(), ref.raw()
    try:
        for c in (ours, theirs):
            c.call("FLUSHALL")
            for start in range(0, 1500, 250):
                args = []
                for i in range(start, start + 250):
                    args += [f"f{i}", str(i)]
                c.call("HSET", "h", *args)
        for opts in [(), ("COUNT", "1"), ("COUNT", "100"), ("MATCH", "f1*"),
                     ("MATCH", "f1?", "COUNT", "5")]:
            a, calls = scan_all(ours, "h", *opts)
            b, _ = scan_all(theirs, "h", *opts)
            assert sorted(set(a)) == sorted(b)          # all returned (repeats allowed)
            if not opts:
                assert calls > 1                         # a hash table is scanned in steps
        assert parse_reply(ours.call("HSCAN", "h", "0", "COUNT", "0")) == \
            parse_reply(theirs.call("HSCAN", "h", "0", "COUNT", "0"))
    finally:
        ours.close()
        theirs.close()


# =============================================================================================
# HRANDFIELD
# =============================================================================================

def test_hrandfield_arguments(d):
    d.check("HSET", "h", "a", "1", "b", "2")
    # deterministic counts: errors, 0, and counts covering the whole (listpack) hash
    for count in ("abc", "", "1.5", " 1", "01", "9223372036854775808", "-9223372036854775808",
                  "-9223372036854775809", "0", "2", "3", "9223372036854775807",
                  "4611686018427387903"):
        d.check("HRANDFIELD", "h", count)
    for count in ("abc", "0", "2", "4611686018427387903", "4611686018427387904",
                  "-4611686018427387904", "9223372036854775807", "-9223372036854775807",
                  "-9223372036854775808"):
        d.check("HRANDFIELD", "h", count, "WITHVALUES")
    for tail in (("1", "WITHVALUE"), ("1", "withvalues", "x"), ("x", "WITHVALUES"),
                 ("2", "withValues"), ("0", "bad"), ("abc", "bad")):
        d.check("HRANDFIELD", "h", *tail)


def test_hrandfield_whole_listpack_is_ordered(d):
    d.check("HSET", "h", "a", "1", "b", "", "c", "3", "d", "-4")
    for count in ("4", "5", "1000"):
        d.check("HRANDFIELD", "h", count)
        d.check("HRANDFIELD", "h", count, "WITHVALUES")
    d.check("HRANDFIELD", "h", "0")
    d.check("HRANDFIELD", "h", "0", "WITHVALUES")


def check_random(d, key, fields, count, withvalues, distinct):
    args = ["HRANDFIELD", key, str(count)] + (["WITHVALUES"] if withvalues else [])
    a, b = d.both(*args)
    pa, pb = parse_reply(a), parse_reply(b)
    assert a[:1] == b[:1] == b"*"
    assert len(pa) == len(pb), (args, a[:100], b[:100])
    if withvalues:
        if d.proto == 3:
            assert all(isinstance(p, list) and len(p) == 2 for p in pa)
            got = [tuple(p) for p in pa]
            assert all(isinstance(p, list) and len(p) == 2 for p in pb)
        else:
            got = [(pa[i], pa[i + 1]) for i in range(0, len(pa), 2)]
        assert all(fields[f] == v for f, v in got), got
        names = [f for f, _ in got]
    else:
        names = pa
    assert all(n in fields for n in names)
    if distinct:
        assert len(set(names)) == len(names)
    return names


@pytest.mark.parametrize("size", [5, 100, 1000])
def test_hrandfield_shapes(d, size):
    fields = {f"f{i}".encode(): f"v{i}".encode() for i in range(size)}
    fill(d, "h", size)
    d.check("OBJECT", "ENCODING", "h")
    for count in (1, 2, size // 3, size // 2, size - 1, size, size + 3):
        for wv in (False, True):
            names = check_random(d, "h", fields, count, wv, distinct=True)
            assert len(names) == min(count, size)
    for count in (-1, -2, -size, -3 * size):
        for wv in (False, True):
            names = check_random(d, "h", fields, count, wv, distinct=False)
            assert len(names) == -count
    a, b = d.both("HRANDFIELD", "h")
    assert parse_reply(a) in fields and parse_reply(b) in fields


def test_hrandfield_is_random(d):
    """Every field comes up, for both encodings and for each sampling method."""
    for key, size in (("small", 10), ("big", 600)):
        fill(d, key, size)
        seen = set()
        for _ in range(60):
            seen.add(parse_reply(d.ours.call("HRANDFIELD", key)))
        seen.update(parse_reply(d.ours.call("HRANDFIELD", key, str(-50 * size))))
        assert len(seen) == size
        seen = set()
        for count in (2, size // 2):              # sampling, and shuffling
            for _ in range(40 if count == 2 else 8):
                seen.update(parse_reply(d.ours.call("HRANDFIELD", key, str(count))))
        assert len(seen) >= size * 0.9


def test_hrandfield_huge_negative_count_closes_the_client():
    """HRANDFIELD key -9223372036854775807 cannot be answered: Redis grows the reply until its
    output limit closes the client; pyredis drops the partial reply and closes it too."""
    proc = support.start_pyredis()
    try:
        c, other = proc.raw(), proc.raw()
        c.call("HSET", "h", "a", "1", "b", "2")
        c.send(support.encode("PING"))
        c.send(support.encode("HRANDFIELD", "h", "-9223372036854775807"))
        data, closed = c.read_all(wait=10)
        assert data == b"+PONG\r\n" and closed
        assert other.call("HLEN", "h") == b":2\r\n"
        other.close()
    finally:
        assert proc.stop() == 0


# =============================================================================================
# The value's life: copies, renames, expiry, deletion, databases
# =============================================================================================

@pytest.mark.parametrize("size", [3, 600])
def test_copy_rename_move_expire(d, size):
    fill(d, "h", size)
    d.check("COPY", "h", "h2")
    d.check("HSET", "h2", "f0", "changed")
    d.check("HGET", "h", "f0")
    d.check("HGET", "h2", "f0")
    d.check("OBJECT", "ENCODING", "h2")
    d.check("HLEN", "h2")
    d.check("RENAME", "h2", "h3")
    d.check("HGET", "h3", "f0")
    d.check("MOVE", "h3", "1")
    d.check("SELECT", "1")
    d.check("HLEN", "h3")
    d.check("HGET", "h3", "f0")
    d.check("FLUSHDB")
    d.check("SELECT", "0")
    d.check("COPY", "h", "s")
    d.check("SET", "s", "x")                      # overwrite frees the hash
    d.check("COPY", "h", "h4")
    d.check("PEXPIRE", "h4", "1")
    time.sleep(0.02)
    d.check("HGETALL", "h4")
    d.check("EXISTS", "h4")
    d.check("TYPE", "h")
    d.check("DEL", "h")
    d.check("DBSIZE")


def test_hset_keeps_ttl(d):
    d.check("HSET", "h", "a", "1")
    d.check("EXPIRE", "h", "1000")
    d.check("HSET", "h", "b", "2")
    d.check("HINCRBY", "h", "c", "1")
    d.check("TTL", "h")


def test_many_hashes_and_flush(server):
    c = server.raw()
    try:
        c.call("FLUSHALL")
        c.pipeline([("HSET", f"k{i}", "a", "1", "b", str(i)) for i in range(2000)])
        big = []
        for i in range(700):
            big += [f"f{i}", "x"]
        c.call("HSET", "big", *big)
        c.call("COPY", "big", "big2")
        assert c.call("DBSIZE") == b":2002\r\n"
        assert c.call("FLUSHALL") == b"+OK\r\n"
        assert c.call("DBSIZE") == b":0\r\n"
    finally:
        c.close()


# =============================================================================================
# The hot commands run no Python
# =============================================================================================

def test_hot_commands_run_no_python(r):
    r.hset("big", mapping={f"f{i}": i for i in range(600)})
    assert_cmds = [
        ["HSET", "h", "a", "1", "b", "2"], ["HGET", "h", "a"], ["HGET", "big", "f1"],
        ["HMGET", "h", "a", "b", "c"], ["HGETALL", "h"], ["HINCRBY", "h", "n", "1"],
        ["HDEL", "h", "b"], ["HLEN", "h"], ["HEXISTS", "h", "a"], ["HSET", "big", "f2", "x"],
        ["HINCRBY", "big", "f3", "2"], ["HEXISTS", "big", "zz"], ["HLEN", "big"],
        ["HGET", "nokey", "f"], ["HSET", "h"],
    ]
    support.assert_no_python(r, assert_cmds)


# =============================================================================================
# A random differential state machine
# =============================================================================================

KEYS = st.sampled_from(["h1", "h2", "s"])
FIELDS = st.sampled_from(["a", "b", "c", "d", "", "1", "long" * 20]) | \
    st.text("xyz", min_size=1, max_size=3)
VALS = st.sampled_from(["0", "1", "-5", "9223372036854775807", "1.5", "", "x", "v" * 70,
                        "007", "-9223372036854775808"])


class HashMachine(DifferentialMachine):
    """Random hash commands on a few keys, with tiny listpack limits so both encodings and the
    conversions between them are exercised."""

    def __init__(self):
        super().__init__()
        for c in (self.d.ours, self.d.ref):
            c.call("CONFIG", "SET", "hash-max-listpack-entries", "4")
        self.check("SET", "s", "string")

    def teardown(self):
        for c in (self.d.ours, self.d.ref):
            c.call("CONFIG", "SET", "hash-max-listpack-entries", "512")
        super().teardown()

    def ordered(self, key):
        """Replies are the same byte for byte unless the key is a hash table (no order)."""
        a, b = self.d.both("OBJECT", "ENCODING", key)
        assert a == b
        return a != b"$9\r\nhashtable\r\n"

    @rule(key=KEYS, kv=st.lists(st.tuples(FIELDS, VALS), min_size=1, max_size=4),
          cmd=st.sampled_from(["HSET", "HMSET"]))
    def hset(self, key, kv, cmd):
        self.check(cmd, key, *[x for pair in kv for x in pair])

    @rule(key=KEYS, f=FIELDS, v=VALS)
    def hsetnx(self, key, f, v):
        self.check("HSETNX", key, f, v)

    @rule(key=KEYS, fields=st.lists(FIELDS, min_size=1, max_size=4))
    def hdel(self, key, fields):
        self.check("HDEL", key, *fields)

    @rule(key=KEYS, f=FIELDS, incr=st.sampled_from(["1", "-1", "100", "x",
                                                      "9223372036854775807"]))
    def hincrby(self, key, f, incr):
        self.check("HINCRBY", key, f, incr)

    @rule(key=KEYS, f=FIELDS, incr=st.sampled_from(["1.5", "-2", "1e10", "inf", "x"]))
    def hincrbyfloat(self, key, f, incr):
        self.check("HINCRBYFLOAT", key, f, incr)

    @rule(key=KEYS, f=FIELDS, cmd=st.sampled_from(["HGET", "HEXISTS", "HSTRLEN"]))
    def read_field(self, key, f, cmd):
        self.check(cmd, key, f)

    @rule(key=KEYS, fields=st.lists(FIELDS, min_size=1, max_size=4))
    def hmget(self, key, fields):
        self.check("HMGET", key, *fields)

    @rule(key=KEYS, cmd=st.sampled_from(["HGETALL", "HKEYS", "HVALS", "HLEN", "HSCAN"]))
    def read_all(self, key, cmd):
        args = (cmd, key, "0") if cmd == "HSCAN" else (cmd, key)
        if self.ordered(key):
            self.check(*args)
        elif cmd == "HSCAN":
            # a whole iteration on each (the pages of a hash table differ between servers)
            ours, _ = scan_all(self.d.ours, key)
            theirs, _ = scan_all(self.d.ref, key)
            assert sorted(set(ours)) == sorted(theirs), (key, ours, theirs)
        else:
            self.check(*args, unordered_reply=cmd != "HGETALL", paired=cmd == "HGETALL")

    @rule(key=KEYS, count=st.integers(-6, 6), wv=st.booleans())
    def hrandfield(self, key, count, wv):
        args = ("HRANDFIELD", key, str(count)) + (("WITHVALUES",) if wv else ())
        self.check_shape(*args, same=lambda r: r if isinstance(r, tuple) else len(r))

    @rule(src=KEYS, dst=KEYS)
    def copy(self, src, dst):
        self.check("COPY", src, dst, "REPLACE")

    @invariant()
    def same_lengths(self):
        for key in ("h1", "h2"):
            self.check("HLEN", key)
            self.check("OBJECT", "ENCODING", key)


@pytest.mark.parametrize("proto", [2, 3])
def test_state_machine(server, ref, proto):
    run_machine(HashMachine, server, ref, proto=proto, max_examples=40, steps=30)
