"""The list command family, checked against redis-server 7.0.

Every command goes to pyredis and to the reference redis-server (the `d` fixture runs each test
in RESP2 and in RESP3) and the replies are compared byte for byte: lists are ordered, so every
reply is deterministic. The quicklist's node handling (splits, merges of ends, elements larger
than a node) is exercised with tiny node limits (list-max-listpack-size 1..4 and -1 with
elements of a few KB) so that short lists already span many nodes.
"""
import time

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule

from tests import support
from tests.commands.typemachine import DifferentialMachine, parse_reply, run_machine

INT_EDGES = ["0", "1", "-1", "2", "-2", "3", "-3", "100", "-100", "9223372036854775807",
             "-9223372036854775808", "9223372036854775806", "-9223372036854775807"]
NOT_INTS = ["01", "-0", "+1", " 1", "1.5", "", "a", "9223372036854775808",
            "-9223372036854775809", "x\x00y"]


def both_run(d, *args):
    d.ours.call(*args)
    d.ref.call(*args)


def same_list(d, key):
    d.check("TYPE", key)
    d.check("LLEN", key)
    d.check("LRANGE", key, "0", "-1")
    d.check("OBJECT", "ENCODING", key)


@pytest.fixture
def node_size(d):
    """Set list-max-listpack-size on both servers for one test; restored afterwards."""
    def setter(value):
        for c in (d.ours, d.ref):
            assert c.call("CONFIG", "SET", "list-max-listpack-size", str(value)) == b"+OK\r\n"
    yield setter
    setter(-2)


# ---------------------------------------------------------------------------------------------
# Pushes, pops, length, range
# ---------------------------------------------------------------------------------------------

def test_push_pop_basics(d):
    d.check_all([
        ("LPUSH", "l", "a"), ("LPUSH", "l", "b", "c"), ("RPUSH", "l", "x", "y", "z"),
        ("LRANGE", "l", "0", "-1"), ("LLEN", "l"), ("OBJECT", "ENCODING", "l"), ("TYPE", "l"),
        ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "2"), ("RPOP", "l", "1"),
        ("LRANGE", "l", "0", "-1"), ("LPOP", "l", "10"), ("EXISTS", "l"), ("LPOP", "l"),
        ("RPOP", "l"), ("LPOP", "l", "0"), ("RPOP", "l", "3"), ("LLEN", "l"),
        ("LPUSHX", "l", "a"), ("RPUSHX", "l", "a", "b"), ("EXISTS", "l"),
        ("RPUSH", "l", "1"), ("LPUSHX", "l", "0", "-1"), ("RPUSHX", "l", "2", "3"),
        ("LRANGE", "l", "0", "-1"), ("LPOP", "l", "0"), ("RPOP", "l", "0"), ("LLEN", "l"),
        ("RPOP", "l", "9223372036854775807"), ("EXISTS", "l"),
        ("RPUSH", "e", ""), ("LRANGE", "e", "0", "-1"), ("LPOP", "e"), ("EXISTS", "e"),
    ])


def test_pop_errors_and_missing(d):
    both_run(d, "RPUSH", "l", "a", "b", "c")
    both_run(d, "SET", "s", "x")
    for cmd in ("LPOP", "RPOP"):
        d.check_all([
            (cmd, "nokey"), (cmd, "nokey", "0"), (cmd, "nokey", "1"), (cmd, "nokey", "-1"),
            (cmd, "l", "-1"), (cmd, "l", "abc"), (cmd, "l", "9223372036854775808"),
            (cmd, "l", "1", "2"), (cmd,), (cmd, "s"), (cmd, "s", "0"), (cmd, "s", "-1"),
            (cmd, "s", "1"), (cmd, "l", "0"),
        ])
        for bad in NOT_INTS:
            d.check(cmd, "l", bad)
    d.check_all([("LRANGE", "l", "0", "-1"), ("GET", "s")])


def test_push_errors(d):
    both_run(d, "SET", "s", "x")
    for cmd in ("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"):
        d.check_all([(cmd,), (cmd, "k"), (cmd, "s", "a"), (cmd, "s", "a", "b")])
    d.check_all([("GET", "s"), ("EXISTS", "k")])


@pytest.mark.parametrize("start", INT_EDGES + ["5", "-5", "6", "-6", "-7"])
def test_lrange_edges(diff, start):
    d = diff
    both_run(d, "RPUSH", "l", *"abcdef")
    for stop in INT_EDGES + ["5", "-5", "6", "-6", "-7"]:
        d.check("LRANGE", "l", start, stop)


def test_lrange_and_lindex_errors(d):
    both_run(d, "RPUSH", "l", "a", "b", "c")
    both_run(d, "SET", "s", "x")
    d.check_all([
        ("LRANGE", "nokey", "0", "-1"), ("LRANGE", "s", "0", "-1"), ("LRANGE", "s", "a", "1"),
        ("LRANGE", "nokey", "a", "1"), ("LRANGE", "l", "0"), ("LRANGE", "l", "0", "1", "2"),
        ("LINDEX", "nokey", "0"), ("LINDEX", "nokey", "abc"), ("LINDEX", "s", "abc"),
        ("LINDEX", "s", "0"), ("LINDEX", "l", "abc"), ("LINDEX", "l"), ("LLEN", "s"),
        ("LLEN", "nokey"), ("LLEN",), ("LLEN", "l", "x"),
    ])
    for bad in NOT_INTS:
        d.check("LRANGE", "l", bad, "1")
        d.check("LRANGE", "l", "0", bad)
        d.check("LINDEX", "l", bad)
    for i in INT_EDGES:
        d.check("LINDEX", "l", i)


def test_binary_and_long_elements(d):
    big = "x" * 70000
    mid = "y" * 200
    d.check_all([
        ("RPUSH", "b", "a\x00b", "\r\n", "", "é", big, mid, "127" * 43, "z" * 127, "z" * 128),
        ("LRANGE", "b", "0", "-1"), ("LINDEX", "b", "4"), ("LPOS", "b", big),
        ("LPOS", "b", "a\x00b"), ("LREM", "b", "0", mid), ("LINSERT", "b", "BEFORE", big, mid),
        ("LSET", "b", "0", big), ("LRANGE", "b", "0", "-1"), ("LMOVE", "b", "c", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "b", "c"), ("LRANGE", "c", "0", "-1"), ("LPOP", "b", "3"),
    ])


# ---------------------------------------------------------------------------------------------
# LSET, LINSERT, LREM, LTRIM
# ---------------------------------------------------------------------------------------------

def test_lset(d):
    both_run(d, "RPUSH", "l", "a", "b", "c")
    both_run(d, "SET", "s", "x")
    d.check_all([
        ("LSET", "l", "0", "A"), ("LSET", "l", "-1", "C"), ("LSET", "l", "1", "bbbbbbbb"),
        ("LSET", "l", "3", "x"), ("LSET", "l", "-4", "x"), ("LSET", "l", "a", "x"),
        ("LSET", "l", "9223372036854775808", "x"), ("LSET", "l", "9223372036854775807", "x"),
        ("LSET", "l", "-9223372036854775808", "x"), ("LSET", "nokey", "0", "x"),
        ("LSET", "nokey", "a", "x"), ("LSET", "s", "0", "x"), ("LSET", "s", "a", "x"),
        ("LSET", "l", "0"), ("LRANGE", "l", "0", "-1"), ("EXISTS", "nokey"),
    ])


def test_linsert(d):
    both_run(d, "RPUSH", "l", "a", "b", "c", "b")
    both_run(d, "SET", "s", "x")
    d.check_all([
        ("LINSERT", "l", "BEFORE", "b", "1"), ("LINSERT", "l", "after", "b", "2"),
        ("LINSERT", "l", "AfTeR", "b", "3"), ("LINSERT", "l", "before", "a", "0"),
        ("LINSERT", "l", "after", "b", "x"), ("LINSERT", "l", "after", "zz", "x"),
        ("LINSERT", "l", "middle", "a", "x"), ("LINSERT", "nokey", "before", "a", "x"),
        ("LINSERT", "nokey", "middle", "a", "x"), ("LINSERT", "s", "before", "a", "x"),
        ("LINSERT", "s", "middle", "a", "x"), ("LINSERT", "l", "before", "a"),
        ("LINSERT", "l", "before\x00", "a", "x"), ("LRANGE", "l", "0", "-1"),
        ("EXISTS", "nokey"),
    ])


def test_lrem(d):
    both_run(d, "RPUSH", "l", *"abacabadabacaba")
    both_run(d, "SET", "s", "x")
    d.check_all([
        ("LREM", "l", "2", "a"), ("LRANGE", "l", "0", "-1"), ("LREM", "l", "-2", "a"),
        ("LRANGE", "l", "0", "-1"), ("LREM", "l", "0", "b"), ("LRANGE", "l", "0", "-1"),
        ("LREM", "l", "1", "zz"), ("LREM", "l", "-9223372036854775808", "a"),
        ("LRANGE", "l", "0", "-1"), ("LREM", "l", "9223372036854775807", "c"),
        ("LRANGE", "l", "0", "-1"), ("LREM", "l", "a", "x"), ("LREM", "s", "0", "x"),
        ("LREM", "s", "a", "x"), ("LREM", "nokey", "0", "x"), ("LREM", "nokey", "a", "x"),
        ("LREM", "l", "0"), ("LREM", "l", "0", "d"), ("EXISTS", "l"), ("LREM", "l", "0", "d"),
    ])


def test_ltrim(d):
    both_run(d, "SET", "s", "x")
    for start in INT_EDGES[:9]:
        for stop in INT_EDGES[:9]:
            both_run(d, "DEL", "l")
            both_run(d, "RPUSH", "l", *"abcdefg")
            d.check("LTRIM", "l", start, stop)
            d.check("LRANGE", "l", "0", "-1")
            d.check("EXISTS", "l")
    d.check_all([
        ("LTRIM", "nokey", "0", "1"), ("LTRIM", "nokey", "a", "1"), ("LTRIM", "s", "0", "1"),
        ("LTRIM", "s", "a", "1"), ("LTRIM", "l", "a", "1"), ("LTRIM", "l", "0", "b"),
        ("LTRIM", "l", "0"), ("LTRIM", "l", "-9223372036854775808", "9223372036854775807"),
        ("LRANGE", "l", "0", "-1"), ("EXISTS", "nokey"),
    ])


# ---------------------------------------------------------------------------------------------
# LPOS
# ---------------------------------------------------------------------------------------------

def test_lpos(d):
    both_run(d, "RPUSH", "l", *"xyxzxwxx")
    both_run(d, "SET", "s", "x")
    cases = [("LPOS", "l", "x"), ("LPOS", "l", "q"), ("LPOS", "l", "w")]
    for rank in ["1", "2", "5", "6", "-1", "-2", "-5", "-6", "9223372036854775807",
                 "-9223372036854775807", "-9223372036854775808"]:
        for count in [None, "0", "1", "2", "100"]:
            for maxlen in [None, "0", "1", "3", "100"]:
                args = ["LPOS", "l", "x", "RANK", rank]
                if count is not None:
                    args += ["COUNT", count]
                if maxlen is not None:
                    args += ["MAXLEN", maxlen]
                cases.append(tuple(args))
    d.check_all(cases)


def test_lpos_errors(d):
    both_run(d, "RPUSH", "l", "a", "b")
    both_run(d, "SET", "s", "x")
    d.check_all([
        ("LPOS", "l", "a", "RANK", "0"), ("LPOS", "l", "a", "rank", "abc"),
        ("LPOS", "l", "a", "COUNT", "-1"), ("LPOS", "l", "a", "count", "abc"),
        ("LPOS", "l", "a", "MAXLEN", "-1"), ("LPOS", "l", "a", "maxlen", "x"),
        ("LPOS", "l", "a", "RANK"), ("LPOS", "l", "a", "foo"), ("LPOS", "l", "a", "foo", "1"),
        ("LPOS", "l", "a", "COUNT", "2", "COUNT", "0"), ("LPOS", "l", "a", "RANK", "2",
                                                         "RANK", "1"),
        ("LPOS", "s", "a"), ("LPOS", "s", "a", "RANK", "0"), ("LPOS", "s", "a", "foo"),
        ("LPOS", "nokey", "a"), ("LPOS", "nokey", "a", "COUNT", "0"),
        ("LPOS", "nokey", "a", "COUNT", "1"), ("LPOS", "nokey", "a", "foo"),
        ("LPOS", "nokey", "a", "RANK", "0"), ("LPOS", "l"), ("LPOS", "l", "zz", "COUNT", "0"),
        ("LPOS", "l", "a", "RANK", "-9223372036854775808"),
        ("LPOS", "l", "a", "RANK", "-9223372036854775809"),
    ])


# ---------------------------------------------------------------------------------------------
# LMOVE, RPOPLPUSH, LMPOP
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("wf", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("wt", ["left", "right"])
def test_lmove(d, wf, wt):
    both_run(d, "RPUSH", "src", "a", "b", "c")
    both_run(d, "SET", "s", "x")
    d.check_all([
        ("LMOVE", "src", "dst", wf, wt), ("LMOVE", "src", "dst", wf, wt),
        ("LRANGE", "src", "0", "-1"), ("LRANGE", "dst", "0", "-1"),
        ("LMOVE", "src", "src", wf, wt), ("LRANGE", "src", "0", "-1"),
        ("LMOVE", "src", "s", wf, wt), ("LMOVE", "s", "dst", wf, wt),
        ("LMOVE", "nokey", "s", wf, wt), ("LMOVE", "nokey", "dst", wf, wt),
        ("LMOVE", "src", "dst", wf, wt), ("EXISTS", "src"), ("LRANGE", "dst", "0", "-1"),
        ("LMOVE", "dst", "dst", wf, wt), ("LRANGE", "dst", "0", "-1"),
        ("RPUSH", "one", "z"), ("LMOVE", "one", "one", wf, wt), ("LRANGE", "one", "0", "-1"),
        ("LMOVE", "one", "new", wf, wt), ("EXISTS", "one"), ("LRANGE", "new", "0", "-1"),
        ("OBJECT", "ENCODING", "new"),
    ])


def test_lmove_errors_and_rpoplpush(d):
    both_run(d, "RPUSH", "src", "a", "b", "c")
    both_run(d, "SET", "s", "x")
    d.check_all([
        ("LMOVE", "src", "dst", "UP", "LEFT"), ("LMOVE", "src", "dst", "LEFT", "DOWN"),
        ("LMOVE", "nokey", "dst", "UP", "LEFT"), ("LMOVE", "s", "dst", "UP", "LEFT"),
        ("LMOVE", "src", "dst", "LEFT"), ("LMOVE", "src", "dst", "LEFT\x00", "LEFT"),
        ("RPOPLPUSH", "src", "dst"), ("RPOPLPUSH", "src", "src"), ("RPOPLPUSH", "src", "s"),
        ("RPOPLPUSH", "s", "dst"), ("RPOPLPUSH", "nokey", "dst"), ("RPOPLPUSH", "nokey", "s"),
        ("RPOPLPUSH", "src"), ("LRANGE", "src", "0", "-1"), ("LRANGE", "dst", "0", "-1"),
        ("RPOPLPUSH", "src", "dst"), ("RPOPLPUSH", "src", "dst"), ("EXISTS", "src"),
        ("LRANGE", "dst", "0", "-1"), ("GET", "s"),
    ])


def test_lmpop(d):
    both_run(d, "RPUSH", "a", "1", "2", "3", "4")
    both_run(d, "RPUSH", "b", "x", "y")
    both_run(d, "SET", "s", "x")
    d.check_all([
        ("LMPOP", "1", "a", "LEFT"), ("LMPOP", "1", "a", "right"),
        ("LMPOP", "2", "nokey", "a", "LEFT", "COUNT", "1"),
        ("LMPOP", "3", "nokey", "b", "a", "RIGHT", "count", "10"), ("EXISTS", "b"),
        ("LMPOP", "2", "a", "b", "LEFT", "COUNT", "9223372036854775807"), ("EXISTS", "a"),
        ("LMPOP", "2", "a", "b", "LEFT"), ("LMPOP", "1", "s", "LEFT"),
        ("LMPOP", "2", "nokey", "s", "LEFT"), ("RPUSH", "a", "1"),
        ("LMPOP", "2", "a", "s", "LEFT"), ("RPUSH", "a", "1", "2"),
    ])
    for bad in [("LMPOP", "0", "a", "LEFT"), ("LMPOP", "-1", "a", "LEFT"),
                ("LMPOP", "abc", "a", "LEFT"), ("LMPOP", "9223372036854775808", "a", "LEFT"),
                ("LMPOP", "9223372036854775807", "a", "LEFT"), ("LMPOP", "2", "a", "LEFT"),
                ("LMPOP", "3", "a", "LEFT"), ("LMPOP", "1", "a", "MIDDLE"),
                ("LMPOP", "1", "a", "LEFT", "COUNT"), ("LMPOP", "1", "a", "LEFT", "COUNT", "0"),
                ("LMPOP", "1", "a", "LEFT", "COUNT", "-1"),
                ("LMPOP", "1", "a", "LEFT", "COUNT", "abc"),
                ("LMPOP", "1", "a", "LEFT", "COUNT", "9223372036854775808"),
                ("LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "2"),
                ("LMPOP", "1", "a", "LEFT", "FOO", "1"), ("LMPOP", "1", "a", "LEFT", "COUNT",
                                                         "1", "x"),
                ("LMPOP", "1", "s", "nokey", "LEFT"), ("LMPOP", "1", "a"), ("LMPOP", "1"),
                ("LMPOP", "1", "nokey", "LEFT"), ("LMPOP", "1", "nokey", "LEFT", "COUNT", "5")]:
        d.check(*bad)
    d.check("LRANGE", "a", "0", "-1")


def test_command_getkeys(d):
    d.check_all([
        ("COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"),
        ("COMMAND", "GETKEYS", "LMOVE", "a", "b", "LEFT", "RIGHT"),
        ("COMMAND", "GETKEYS", "RPOPLPUSH", "a", "b"),
        ("COMMAND", "GETKEYS", "LPUSH", "a", "b", "c"),
    ])


# ---------------------------------------------------------------------------------------------
# Quicklist nodes: tiny node limits make short lists span many nodes
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 2, 3, -1])
def test_many_nodes(d, node_size, size):
    node_size(size)
    pad = "p" * (1500 if size == -1 else 3)
    items = [f"{pad}{i}" for i in range(12)]
    both_run(d, "RPUSH", "l", *items[6:])
    both_run(d, "LPUSH", "l", *reversed(items[:6]))
    same_list(d, "l")
    for i in list(range(-13, 13)):
        d.check("LINDEX", "l", str(i))
    for start, stop in [(0, 4), (3, 9), (5, -1), (-4, -2), (11, 11), (2, 2)]:
        d.check("LRANGE", "l", str(start), str(stop))
    d.check_all([
        ("LINSERT", "l", "BEFORE", items[5], "mid"), ("LINSERT", "l", "AFTER", items[5], pad),
        ("LINSERT", "l", "BEFORE", items[0], "first"), ("LINSERT", "l", "AFTER", items[11],
                                                        "last"),
        ("LSET", "l", "3", pad * 3), ("LSET", "l", "-2", "s"), ("LSET", "l", "7", pad + "!"),
        ("LRANGE", "l", "0", "-1"), ("LPOS", "l", pad, "RANK", "-1"),
        ("LPOS", "l", items[7], "MAXLEN", "5"), ("LREM", "l", "0", items[8]),
        ("LREM", "l", "-1", pad), ("LRANGE", "l", "0", "-1"), ("LTRIM", "l", "2", "-3"),
        ("LRANGE", "l", "0", "-1"), ("LPOP", "l", "3"), ("RPOP", "l", "4"),
        ("LRANGE", "l", "0", "-1"), ("LMOVE", "l", "l", "LEFT", "RIGHT"),
        ("LMOVE", "l", "l", "RIGHT", "RIGHT"), ("LMOVE", "l", "l", "LEFT", "LEFT"),
        ("LRANGE", "l", "0", "-1"), ("LMPOP", "1", "l", "RIGHT", "COUNT", "2"),
        ("LRANGE", "l", "0", "-1"), ("OBJECT", "ENCODING", "l"),
    ])
    both_run(d, "DEL", "r")
    both_run(d, "RPUSH", "r", *(["a", "b", "a"] * 8))
    d.check_all([("LREM", "r", "-3", "a"), ("LRANGE", "r", "0", "-1"), ("LREM", "r", "4", "b"),
                 ("LRANGE", "r", "0", "-1"), ("LREM", "r", "0", "a"),
                 ("LRANGE", "r", "0", "-1"), ("LREM", "r", "0", "b"), ("EXISTS", "r")])


def test_node_limit_values(d, node_size):
    for size in [0, 5, -5, -6, 40000, -100]:
        node_size(size)
        both_run(d, "DEL", "l")
        both_run(d, "RPUSH", "l", *[str(i) * 50 for i in range(60)])
        d.check_all([("LRANGE", "l", "10", "20"), ("LINDEX", "l", "33"),
                     ("LINSERT", "l", "AFTER", "5" * 50, "x"), ("LLEN", "l"),
                     ("LRANGE", "l", "0", "-1")])


def test_big_list_ends_and_middle(diff):
    """A list of 100k elements: ends are O(1), the middle is reachable from both sides."""
    d = diff
    n = 100_000
    for lo in range(0, n, 10_000):
        both_run(d, "RPUSH", "big", *[str(i) for i in range(lo, lo + 10_000)])
    d.check_all([
        ("LLEN", "big"), ("LINDEX", "big", "0"), ("LINDEX", "big", "-1"),
        ("LINDEX", "big", "49999"), ("LINDEX", "big", "50000"), ("LINDEX", "big", "-50001"),
        ("LRANGE", "big", "49990", "50010"), ("LRANGE", "big", "-5", "-1"),
        ("LSET", "big", "60000", "x" * 300), ("LINDEX", "big", "60000"),
        ("LINSERT", "big", "BEFORE", "70000", "ins"), ("LRANGE", "big", "69998", "70003"),
        ("LPOS", "big", "99999"), ("LPOS", "big", "5", "RANK", "-1"),
        ("LREM", "big", "1", "80000"), ("LRANGE", "big", "79998", "80003"),
        ("LTRIM", "big", "1000", "-1000"), ("LLEN", "big"), ("LRANGE", "big", "0", "3"),
        ("LPOP", "big", "5000"), ("RPOP", "big", "5000"), ("LLEN", "big"),
        ("LRANGE", "big", "-3", "-1"), ("LMPOP", "1", "big", "LEFT", "COUNT", "3"),
    ])


# ---------------------------------------------------------------------------------------------
# Keyspace operations on list values
# ---------------------------------------------------------------------------------------------

def test_copy_rename_move_expire(d):
    both_run(d, "RPUSH", "l", *"abcde")
    d.check_all([
        ("COPY", "l", "l2"), ("RPUSH", "l2", "z"), ("LPOP", "l"), ("LRANGE", "l", "0", "-1"),
        ("LRANGE", "l2", "0", "-1"), ("OBJECT", "ENCODING", "l2"), ("RENAME", "l2", "l3"),
        ("LRANGE", "l3", "0", "-1"), ("MOVE", "l3", "1"), ("EXISTS", "l3"), ("SELECT", "1"),
        ("LRANGE", "l3", "0", "-1"), ("LPUSH", "l3", "q"), ("SELECT", "0"),
        ("PEXPIRE", "l", "1"),
    ])
    time.sleep(0.01)
    d.check_all([("LLEN", "l"), ("LPUSHX", "l", "a"), ("RPUSH", "l", "a"),
                 ("LRANGE", "l", "0", "-1"), ("FLUSHALL",), ("DBSIZE",)])


def test_large_lists_and_memory(server):
    """Big lists built, copied, trimmed and dropped leave the server healthy."""
    c = server.raw()
    try:
        c.call("CONFIG", "SET", "list-max-listpack-size", "-1")
        for _ in range(3):
            c.call("RPUSH", "h", *[f"x{i}" for i in range(30000)])
            c.call("COPY", "h", "h2", "REPLACE")
            assert len(parse_reply(c.call("LPOP", "h2", "15000"))) == 15000
            assert parse_reply(c.call("LLEN", "h2")) == 15000
            c.call("LTRIM", "h2", "100", "-100")
            assert parse_reply(c.call("LLEN", "h2")) == 14801
            assert parse_reply(c.call("LREM", "h", "0", "x7")) == 1
            assert len(parse_reply(c.call("LRANGE", "h", "0", "-1"))) == 29999
            c.call("DEL", "h")
        c.call("FLUSHALL")
        assert c.call("PING") == b"+PONG\r\n"
    finally:
        c.call("CONFIG", "SET", "list-max-listpack-size", "-2")
        c.close()


# ---------------------------------------------------------------------------------------------
# The hot path
# ---------------------------------------------------------------------------------------------

def test_hot_commands_run_no_python(r):
    r.rpush("hl", *[f"m{i}" for i in range(300)])
    support.assert_no_python(r, [
        ("LPUSH", "hl", "a", "b"), ("RPUSH", "hl", "c"), ("LPOP", "hl"), ("RPOP", "hl"),
        ("LPOP", "hl", "2"), ("RPOP", "hl", "1"), ("LRANGE", "hl", "0", "99"),
        ("LRANGE", "hl", "-10", "-1"), ("LLEN", "hl"), ("LINDEX", "hl", "150"),
        ("LINDEX", "hl", "-1"), ("LPOP", "nokey"), ("LRANGE", "nokey", "0", "-1"),
        ("RPUSH", "hl", "d", "e"),
    ])


# ---------------------------------------------------------------------------------------------
# State machine against redis-server
# ---------------------------------------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "c", "str"])
ELEMS = st.one_of(st.sampled_from(["x", "y", "z", "", "1", "-1"]),
                  st.integers(0, 5).map(lambda i: "L" * 40 + str(i)))
INDEX = st.integers(-12, 12).map(str)
SIDE = st.sampled_from(["LEFT", "RIGHT"])


class ListMachine(DifferentialMachine):
    started = False

    def _start(self):
        if not self.started:
            self.started = True
            self.d.both("SET", "str", "v")
            for c in (self.d.ours, self.d.ref):
                # 3 elements per node: every path between nodes is taken
                c.call("CONFIG", "SET", "list-max-listpack-size", "3")

    def check_key(self, key):
        self.check("TYPE", key)
        self.check("LRANGE", key, "0", "-1")

    @rule(key=KEYS, es=st.lists(ELEMS, min_size=1, max_size=7),
          cmd=st.sampled_from(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]))
    def push(self, key, es, cmd):
        self._start()
        self.check(cmd, key, *es)
        self.check_key(key)

    @rule(key=KEYS, cmd=st.sampled_from(["LPOP", "RPOP"]),
          count=st.one_of(st.none(), st.integers(-1, 9)))
    def pop(self, key, cmd, count):
        self._start()
        self.check(cmd, key, *(() if count is None else (str(count),)))
        self.check_key(key)

    @rule(key=KEYS, start=INDEX, stop=INDEX, i=INDEX)
    def reads(self, key, start, stop, i):
        self._start()
        self.check("LRANGE", key, start, stop)
        self.check("LINDEX", key, i)
        self.check("LLEN", key)

    @rule(key=KEYS, i=INDEX, e=ELEMS)
    def lset(self, key, i, e):
        self._start()
        self.check("LSET", key, i, e)
        self.check_key(key)

    @rule(key=KEYS, where=st.sampled_from(["BEFORE", "AFTER"]), pivot=ELEMS, e=ELEMS)
    def linsert(self, key, where, pivot, e):
        self._start()
        self.check("LINSERT", key, where, pivot, e)
        self.check_key(key)

    @rule(key=KEYS, count=st.integers(-3, 3), e=ELEMS)
    def lrem(self, key, count, e):
        self._start()
        self.check("LREM", key, str(count), e)
        self.check_key(key)

    @rule(key=KEYS, start=INDEX, stop=INDEX)
    def ltrim(self, key, start, stop):
        self._start()
        self.check("LTRIM", key, start, stop)
        self.check_key(key)

    @rule(key=KEYS, e=ELEMS, rank=st.sampled_from([None, "1", "2", "-1", "-3"]),
          count=st.sampled_from([None, "0", "1", "2"]), maxlen=st.sampled_from([None, "0", "4"]))
    def lpos(self, key, e, rank, count, maxlen):
        self._start()
        args = ["LPOS", key, e]
        for name, v in (("RANK", rank), ("COUNT", count), ("MAXLEN", maxlen)):
            if v is not None:
                args += [name, v]
        self.check(*args)

    @rule(src=KEYS, dst=KEYS, wf=SIDE, wt=SIDE)
    def lmove(self, src, dst, wf, wt):
        self._start()
        self.check("LMOVE", src, dst, wf, wt)
        self.check_key(src)
        self.check_key(dst)

    @rule(keys=st.lists(KEYS, min_size=1, max_size=3), side=SIDE,
          count=st.one_of(st.none(), st.integers(1, 5)))
    def lmpop(self, keys, side, count):
        self._start()
        args = ["LMPOP", str(len(keys)), *keys, side]
        if count is not None:
            args += ["COUNT", str(count)]
        self.check(*args)
        for k in keys:
            self.check_key(k)

    @rule(size=st.sampled_from(["1", "2", "3", "-1"]))
    def node_limit(self, size):
        self._start()
        self.check("CONFIG", "SET", "list-max-listpack-size", size)

    @rule(src=KEYS, dst=KEYS)
    def copy(self, src, dst):
        self._start()
        self.check("COPY", src, dst, "REPLACE")
        self.check_key(dst)

    def teardown(self):
        for c in (self.d.ours, self.d.ref):
            c.call("CONFIG", "SET", "list-max-listpack-size", "-2")
        super().teardown()


@pytest.mark.parametrize("proto", [2, 3])
def test_state_machine(server, ref, proto):
    run_machine(ListMachine, server, ref, proto=proto, max_examples=40, steps=30)
