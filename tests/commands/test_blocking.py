"""The blocking list pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) against redis-server 7.0.

Replies that come at once (data present, errors, MULTI) are compared byte for byte with the `d`
fixture (RESP2 and RESP3). Behaviour that involves other clients runs as a scenario: a function
driving several real connections to one server and returning what each saw; the same scenario
runs on pyredis and on redis-server and the observations must be identical (and are also
checked against what the test expects, so that a scenario cannot pass by both servers doing
nothing). Waiting for a client to block polls INFO clients (blocked_clients), never sleeps.
"""
import threading
import time

import pytest

from tests import support
from tests.support import encode

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def blocked_count(c) -> int:
    info = c.call("INFO", "clients").decode()
    for line in info.split("\r\n"):
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    raise AssertionError(info)


def wait_blocked(c, n: int, timeout: float = 3.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if blocked_count(c) == n:
            return
        time.sleep(0.002)
    raise AssertionError(f"blocked_clients never reached {n} (now {blocked_count(c)})")


def nothing_pending(c, wait: float = 0.05) -> bool:
    """True when connection c has no reply waiting (it is still blocked)."""
    data, closed = c.read_all(wait)
    c.sock.settimeout(5.0)
    assert not closed
    c.buf = data
    return data == b""


class Clients:
    """Raw connections to one server, closed together."""

    def __init__(self, server, proto: int = 2):
        self.server, self.proto, self.all = server, proto, []

    def new(self, proto: int | None = None, db: int = 0):
        c = self.server.raw()
        self.all.append(c)
        if (proto or self.proto) == 3:
            c.call("HELLO", "3")
        if db:
            c.call("SELECT", str(db))
        return c

    def close(self):
        for c in self.all:
            c.close()


def scenario(fn):
    """Run fn(clients) on pyredis and redis-server (FLUSHALL first) and compare the results."""
    def run_on(s, proto):
        admin = s.raw()
        admin.call("FLUSHALL")
        admin.close()
        cs = Clients(s, proto)
        try:
            return fn(cs)
        finally:
            cs.close()

    def runner(server, ref, proto=2):
        ours = run_on(server, proto)
        theirs = run_on(ref, proto)
        assert ours == theirs, f"pyredis {ours!r}\n!= redis {theirs!r}"
        # nothing left blocked on pyredis
        admin = server.raw()
        wait_blocked(admin, 0)
        admin.close()
        return ours
    return runner


NULL_ARRAY = {2: b"*-1\r\n", 3: b"_\r\n"}
NULL_BULK = {2: b"$-1\r\n", 3: b"_\r\n"}


# ---------------------------------------------------------------------------------------------
# Immediate replies and errors (no blocking involved)
# ---------------------------------------------------------------------------------------------

def test_immediate_pops(d):
    d.check_all([
        ("RPUSH", "a", "1", "2", "3"), ("RPUSH", "b", "x"),
        ("BLPOP", "a", "0"), ("BRPOP", "a", "0"), ("BLPOP", "nosuch", "b", "a", "0"),
        ("BRPOP", "nosuch", "a", "b", "1.5"), ("EXISTS", "a", "b"),
        ("RPUSH", "a", "1", "2", "3"),
        ("BLMOVE", "a", "b", "LEFT", "RIGHT", "0"), ("BLMOVE", "a", "b", "right", "left", "0"),
        ("BRPOPLPUSH", "a", "a", "0"), ("LRANGE", "a", "0", "-1"), ("LRANGE", "b", "0", "-1"),
        ("BRPOPLPUSH", "b", "c", "0.01"), ("BLMOVE", "c", "c", "LEFT", "LEFT", "0"),
        ("RPUSH", "m", "1", "2", "3", "4"),
        ("BLMPOP", "0", "2", "nosuch", "m", "LEFT"),
        ("BLMPOP", "0", "1", "m", "RIGHT", "COUNT", "2"),
        ("BLMPOP", "0", "1", "m", "left", "count", "9"), ("EXISTS", "m"),
        ("RPUSH", "a", "x"), ("BLPOP", "a", "a", "a", "0"),
    ])


def test_wrongtype(d):
    d.check_all([
        ("SET", "s", "v"), ("RPUSH", "l", "x", "y"),
        ("BLPOP", "s", "0"), ("BRPOP", "s", "l", "0"), ("BLPOP", "l", "s", "0"),
        ("BLPOP", "nosuch", "s", "0"), ("BLMOVE", "s", "l", "LEFT", "LEFT", "0"),
        ("BLMOVE", "l", "s", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "l", "s", "0"),
        ("BRPOPLPUSH", "s", "l", "0"), ("BLMPOP", "0", "2", "nosuch", "s", "LEFT"),
        ("BLMPOP", "0", "2", "l", "s", "RIGHT"), ("LRANGE", "l", "0", "-1"),
    ])


TIMEOUT_ERRORS = ["-1", "-0.01", "abc", "", "inf", "-inf", "+inf", "nan", "1e400",
                  "9223372036854775807", "9223372036854776", "9223372036854775.9",
                  "1 ", " 1", "1e", "--1", "-9223372036854775808"]


@pytest.mark.parametrize("timeout", TIMEOUT_ERRORS)
def test_timeout_errors(d, timeout):
    d.check_all([
        ("BLPOP", "k", timeout), ("BRPOP", "k", "j", timeout),
        ("BLMOVE", "k", "j", "LEFT", "LEFT", timeout), ("BRPOPLPUSH", "k", "j", timeout),
        ("BLMPOP", timeout, "1", "k", "LEFT"),
    ])


@pytest.mark.parametrize("timeout", ["0", "-0", "0.0", "1e-9", "1.5", "3e5", "9223372036854775",
                                     "9223372036854.775", "00001", "1E2", "0x10", "-0.0001"])
def test_timeouts_accepted(d, timeout):
    """Valid timeouts on lists with data: served at once."""
    d.check_all([
        ("RPUSH", "k", "a", "b", "c", "d", "e"), ("BLPOP", "k", timeout),
        ("BRPOP", "k", timeout), ("BLMOVE", "k", "k", "LEFT", "RIGHT", timeout),
        ("BRPOPLPUSH", "k", "k", timeout), ("BLMPOP", timeout, "1", "k", "LEFT", "COUNT", "2"),
        ("DEL", "k"),
    ])


def test_argument_errors(d):
    d.check_all([
        ("BLPOP",), ("BLPOP", "k"), ("BRPOP", "k"), ("BLMOVE", "a", "b", "LEFT", "LEFT"),
        ("BLMOVE", "a", "b", "LEFT", "LEFT", "0", "x"), ("BRPOPLPUSH", "a", "b"),
        ("BRPOPLPUSH", "a", "b", "0", "x"), ("BLMPOP", "0", "1", "k"), ("BLMPOP", "0"),
        ("BLMOVE", "a", "b", "UP", "LEFT", "0"), ("BLMOVE", "a", "b", "LEFT", "DOWN", "0"),
        ("BLMOVE", "a", "b", "UP", "LEFT", "-1"), ("BLMOVE", "a", "b", "LEFT", "LEFT", "x"),
        ("BLMPOP", "0", "0", "k", "LEFT"), ("BLMPOP", "0", "-1", "k", "LEFT"),
        ("BLMPOP", "0", "x", "k", "LEFT"), ("BLMPOP", "0", "2", "k", "LEFT"),
        ("BLMPOP", "0", "1", "k", "UP"), ("BLMPOP", "0", "1", "k", "LEFT", "COUNT"),
        ("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0"),
        ("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "-1"),
        ("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "x"),
        ("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "1", "COUNT", "2"),
        ("BLMPOP", "0", "1", "k", "LEFT", "extra"),
        ("BLMPOP", "x", "0", "k", "LEFT"), ("BLMPOP", "-1", "1", "k", "UP"),
        ("BLMPOP", "0", "99999999999", "k", "LEFT"),
    ])


@pytest.mark.parametrize("timeout", ["9223372036854775", "9223372036854775.807",
                                     "9223372036854", "-0.0001", "0x10"])
def test_huge_or_rounded_timeouts_still_block(server, ref, timeout):
    """Huge timeouts block (they must not overflow into an immediate timeout); -0.0001 rounds
    to 0, forever."""
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode("BRPOP", "k", timeout))
        wait_blocked(b, 1)
        still = nothing_pending(a, 0.1)
        b.call("RPUSH", "k", "x")
        return [still, a.read_reply()]
    assert run(server, ref) == [True, b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n"]


def test_timeout_replies(d):
    """An empty key and a short timeout: a null array (RESP2 *-1, RESP3 _) for every pop,
    BLMOVE and BRPOPLPUSH included (Redis 7.0)."""
    start = time.time()
    for cmd in [("BLPOP", "k", "0.05"), ("BRPOP", "k", "j", "0.05"),
                ("BLMOVE", "k", "j", "LEFT", "LEFT", "0.05"), ("BRPOPLPUSH", "k", "j", "0.05"),
                ("BLMPOP", "0.05", "2", "k", "j", "LEFT", "COUNT", "3")]:
        assert d.check(*cmd) == NULL_ARRAY[d.proto]
    assert time.time() - start >= 0.25 * 2 - 0.05   # both servers waited
    d.check("EXISTS", "k", "j")


def test_timeout_is_honoured(server):
    c = server.raw()
    try:
        for timeout, low in [("0.1", 0.09), ("0.25", 0.24)]:
            t = time.time()
            assert c.call("BLPOP", "k", timeout) == b"*-1\r\n"
            took = time.time() - t
            assert low <= took < low + 0.4, took
    finally:
        c.close()


def test_blocking_inside_multi(d):
    """Inside MULTI/EXEC nothing blocks: null array for the pops, null bulk for the moves."""
    d.check_all([
        ("RPUSH", "full", "1"), ("SET", "s", "v"), ("MULTI",),
        ("BLPOP", "k", "0"), ("BRPOP", "k", "j", "0"), ("BLMOVE", "k", "j", "LEFT", "LEFT", "0"),
        ("BRPOPLPUSH", "k", "j", "0"), ("BLMPOP", "0", "1", "k", "LEFT"), ("BLPOP", "full", "0"),
        ("BLPOP", "s", "0"), ("BLPOP", "k", "-1"), ("EXEC",),
        ("MULTI",), ("RPUSH", "k", "x"), ("BLPOP", "k", "0"), ("BLPOP", "k", "0"),
        ("BLMOVE", "k", "j", "LEFT", "LEFT", "0"), ("EXEC",), ("EXISTS", "k", "j"),
    ])


def test_multi_reply_shapes(diff, diff3):
    for d, proto in ((diff, 2), (diff3, 3)):
        d.check("MULTI")
        d.check("BLPOP", "k", "0")
        d.check("BLMOVE", "k", "j", "LEFT", "LEFT", "0")
        reply = d.check("EXEC")
        assert reply == b"*2\r\n" + NULL_ARRAY[proto] + NULL_BULK[proto]


# ---------------------------------------------------------------------------------------------
# Served by other clients
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("proto", [2, 3])
def test_blocked_then_served_by_push(server, ref, proto):
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode("BLPOP", "k", "0"))
        wait_blocked(b, 1)
        assert nothing_pending(a)
        pushed = b.call("LPUSH", "k", "x")
        return [pushed, a.read_reply(), b.call("EXISTS", "k"), blocked_count(b)]
    out = run(server, ref, proto)
    assert out[0] == b":1\r\n"
    assert out[1] == b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n"
    assert out[2:] == [b":0\r\n", 0]


@pytest.mark.parametrize("cmd,push,expect", [
    (("BRPOP", "k", "0"), ("RPUSH", "k", "a", "b"), b"*2\r\n$1\r\nk\r\n$1\r\nb\r\n"),
    (("BLMOVE", "k", "d", "RIGHT", "LEFT", "0"), ("RPUSH", "k", "a", "b"), b"$1\r\nb\r\n"),
    (("BRPOPLPUSH", "k", "d", "0"), ("LPUSH", "k", "a", "b"), b"$1\r\na\r\n"),
    (("BLMPOP", "0", "2", "x", "k", "LEFT", "COUNT", "2"), ("RPUSH", "k", "a", "b", "c"),
     b"*2\r\n$1\r\nk\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (("BLMPOP", "0", "1", "k", "RIGHT"), ("RPUSH", "k", "a", "b", "c"),
     b"*2\r\n$1\r\nk\r\n*1\r\n$1\r\nc\r\n"),
    (("BLPOP", "k", "5"), ("LPUSHX", "k", "a"), None),
])
def test_each_command_served(server, ref, cmd, push, expect):
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode(*cmd))
        wait_blocked(b, 1)
        b.call(*push)
        if expect is None:
            still = nothing_pending(a)
            b.call("RPUSH", "k", "late")
            return [still, a.read_reply()]
        return [a.read_reply(), b.call("LRANGE", "k", "0", "-1"),
                b.call("LRANGE", "d", "0", "-1")]
    out = run(server, ref)
    if expect is not None:
        assert out[0] == expect
    else:
        assert out == [True, b"*2\r\n$1\r\nk\r\n$4\r\nlate\r\n"]


def test_fifo_fairness(server, ref):
    @scenario
    def run(cs):
        waiting = [cs.new() for _ in range(4)]
        pusher = cs.new()
        for i, c in enumerate(waiting):
            c.send(encode("BLPOP", "q", "0"))
            wait_blocked(pusher, i + 1)
        first = pusher.call("RPUSH", "q", "a", "b", "c")
        got = [c.read_reply() for c in waiting[:3]]
        still = nothing_pending(waiting[3])
        left = blocked_count(pusher)
        second = pusher.call("RPUSH", "q", "d")
        got.append(waiting[3].read_reply())
        return [first, got, still, left, second, pusher.call("EXISTS", "q")]
    out = run(server, ref)
    assert out[1] == [b"*2\r\n$1\r\nq\r\n$1\r\n" + x + b"\r\n" for x in (b"a", b"b", b"c", b"d")]
    assert out[2:4] == [True, 1]
    assert out[5] == b":0\r\n"


def test_one_push_serves_only_as_many_as_elements(server, ref):
    @scenario
    def run(cs):
        waiting = [cs.new() for _ in range(3)]
        pusher = cs.new()
        for i, c in enumerate(waiting):
            c.send(encode("BRPOP", "q", "0"))
            wait_blocked(pusher, i + 1)
        pusher.call("LPUSH", "q", "x", "y")
        got = [waiting[0].read_reply(), waiting[1].read_reply()]
        still = nothing_pending(waiting[2])
        return [got, still]
    out = run(server, ref)
    assert out[0] == [b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n", b"*2\r\n$1\r\nq\r\n$1\r\ny\r\n"]
    assert out[1] is True


def test_one_client_on_several_keys(server, ref):
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode("BLPOP", "k1", "k2", "k3", "0"))
        wait_blocked(b, 1)
        b.call("SET", "k1", "string")        # another type: not served
        still = nothing_pending(a)
        b.call("RPUSH", "k3", "x")
        got = a.read_reply()
        after = blocked_count(b)
        b.call("RPUSH", "k2", "y")           # nobody waits any more
        return [still, got, after, b.call("LLEN", "k2")]
    assert run(server, ref) == [True, b"*2\r\n$2\r\nk3\r\n$1\r\nx\r\n", 0, b":1\r\n"]


def test_repeated_key_served_once(server, ref):
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode("BLPOP", "k", "k", "j", "k", "0"))
        wait_blocked(b, 1)
        b.call("RPUSH", "k", "x", "y")
        return [a.read_reply(), b.call("LRANGE", "k", "0", "-1"), blocked_count(b)]
    assert run(server, ref) == [b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n", b"*1\r\n$1\r\ny\r\n", 0]


def test_blmove_chain(server, ref):
    """A waits on k1 to move into k2, B waits on k2: one push to k1 serves both."""
    @scenario
    def run(cs):
        a, b, c = cs.new(), cs.new(), cs.new()
        a.send(encode("BLMOVE", "k1", "k2", "LEFT", "RIGHT", "0"))
        wait_blocked(c, 1)
        b.send(encode("BLPOP", "k2", "0"))
        wait_blocked(c, 2)
        pushed = c.call("RPUSH", "k1", "x")
        return [pushed, a.read_reply(), b.read_reply(), c.call("EXISTS", "k1", "k2"),
                blocked_count(c)]
    assert run(server, ref) == [b":1\r\n", b"$1\r\nx\r\n", b"*2\r\n$2\r\nk2\r\n$1\r\nx\r\n",
                                b":0\r\n", 0]


def test_brpoplpush_chain_of_three(server, ref):
    @scenario
    def run(cs):
        a, b, c, p = cs.new(), cs.new(), cs.new(), cs.new()
        a.send(encode("BRPOPLPUSH", "k1", "k2", "0"))
        wait_blocked(p, 1)
        b.send(encode("BRPOPLPUSH", "k2", "k3", "0"))
        wait_blocked(p, 2)
        c.send(encode("BLMPOP", "0", "1", "k3", "LEFT"))
        wait_blocked(p, 3)
        p.call("LPUSH", "k1", "v")
        return [a.read_reply(), b.read_reply(), c.read_reply(), p.call("DBSIZE")]
    assert run(server, ref)[3] == b":0\r\n"


def test_push_inside_multi_serves_after_exec(server, ref):
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode("BLPOP", "k", "0"))
        wait_blocked(b, 1)
        replies = b.pipeline([("MULTI",), ("RPUSH", "k", "x"), ("RPUSH", "k", "y"),
                              ("LPOP", "k"), ("EXEC",)])
        return [replies, a.read_reply(), b.call("LLEN", "k")]
    out = run(server, ref)
    assert out[1] == b"*2\r\n$1\r\nk\r\n$1\r\ny\r\n"


def test_push_and_delete_inside_multi_serves_nobody(server, ref):
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode("BLPOP", "k", "0"))
        wait_blocked(b, 1)
        b.pipeline([("MULTI",), ("RPUSH", "k", "x"), ("DEL", "k"), ("EXEC",)])
        still = nothing_pending(a)
        b.call("RPUSH", "k", "z")
        return [still, a.read_reply()]
    assert run(server, ref) == [True, b"*2\r\n$1\r\nk\r\n$1\r\nz\r\n"]


@pytest.mark.parametrize("maker", [
    [("RPUSH", "src", "x"), ("LMOVE", "src", "k", "LEFT", "LEFT")],
    [("RPUSH", "src", "x"), ("RENAME", "src", "k")],
    [("RPUSH", "src", "x"), ("COPY", "src", "k")],
    [("RPUSH", "src", "3", "1", "2"), ("SORT", "src", "STORE", "k")],
    [("SELECT", "1"), ("RPUSH", "k", "x"), ("MOVE", "k", "0"), ("SELECT", "0")],
    [("SELECT", "1"), ("RPUSH", "k", "x"), ("SELECT", "0"), ("SWAPDB", "0", "1")],
    [("RPUSH", "src", "x"), ("RPOPLPUSH", "src", "k")],
    [("RPUSH", "src", "x"), ("LMPOP", "1", "src", "LEFT"), ("RPUSH", "k", "y")],
], ids=["lmove", "rename", "copy", "sort-store", "move", "swapdb", "rpoplpush", "rpush"])
def test_served_by_other_ways_of_creating_the_key(server, ref, maker):
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode("BLPOP", "k", "0"))
        wait_blocked(b, 1)
        replies = [b.call(*cmd) for cmd in maker]
        return [replies, a.read_reply(), blocked_count(b)]
    out = run(server, ref)
    assert out[1].startswith(b"*2\r\n$1\r\nk\r\n") and out[2] == 0


def test_blocked_in_its_own_database(server, ref):
    @scenario
    def run(cs):
        a, b = cs.new(db=2), cs.new()
        a.send(encode("BLPOP", "k", "0"))
        wait_blocked(b, 1)
        b.call("RPUSH", "k", "db0")
        still = nothing_pending(a)
        b.call("SELECT", "2")
        b.call("RPUSH", "k", "db2")
        return [still, a.read_reply(), b.call("SELECT", "0"), b.call("LLEN", "k")]
    assert run(server, ref) == [True, b"*2\r\n$1\r\nk\r\n$3\r\ndb2\r\n", b"+OK\r\n", b":1\r\n"]


def test_blmove_destination_turned_wrongtype(server, ref):
    """The destination holds another type when the source gets data: WRONGTYPE (Redis 7.0)."""
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode("BLMOVE", "src", "dst", "LEFT", "LEFT", "0"))
        wait_blocked(b, 1)
        b.call("SET", "dst", "string")
        b.call("RPUSH", "src", "x")
        return [a.read_reply(), b.call("LRANGE", "src", "0", "-1"), blocked_count(b)]
    out = run(server, ref)
    assert out[0].startswith(b"-WRONGTYPE")


def test_served_client_gets_no_late_timeout(server, ref):
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode("BLPOP", "k", "0.2"))
        wait_blocked(b, 1)
        b.call("RPUSH", "k", "x")
        got = a.read_reply()
        time.sleep(0.25)
        return [got, nothing_pending(a), a.call("PING")]
    assert run(server, ref)[1:] == [True, b"+PONG\r\n"]


@pytest.mark.parametrize("proto", [2, 3])
def test_timeout_while_others_are_served(server, ref, proto):
    @scenario
    def run(cs):
        a, b, p = cs.new(), cs.new(), cs.new()
        a.send(encode("BLPOP", "k", "0.1"))
        b.send(encode("BLPOP", "k", "0"))
        wait_blocked(p, 2)
        ra = a.read_reply()
        wait_blocked(p, 1)
        p.call("RPUSH", "k", "x")
        return [ra, b.read_reply()]
    assert run(server, ref, proto)[0] == NULL_ARRAY[proto]


# ---------------------------------------------------------------------------------------------
# CLIENT UNBLOCK, closing connections, pipelining
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("how", ["TIMEOUT", "ERROR", None])
def test_client_unblock(server, ref, proto, how):
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        cid = a.call("CLIENT", "ID").strip()[1:]
        a.send(encode("BLMOVE", "k", "d", "LEFT", "LEFT", "0"))
        wait_blocked(b, 1)
        args = ("CLIENT", "UNBLOCK", cid) + ((how,) if how else ())
        res = b.call(*args)
        again = b.call(*args)
        return [res, a.read_reply(), again, blocked_count(b), a.call("PING")]
    out = run(server, ref, proto)
    assert out[0] == b":1\r\n" and out[2] == b":0\r\n" and out[3] == 0
    if how == "ERROR":
        assert out[1] == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    else:
        assert out[1] == NULL_ARRAY[proto]


def test_client_unblock_errors(d):
    d.check_all([
        ("CLIENT", "UNBLOCK", "999999"), ("CLIENT", "UNBLOCK", "x"),
        ("CLIENT", "UNBLOCK", "1", "MAYBE"), ("CLIENT", "UNBLOCK"),
    ])


def test_closed_blocked_client_leaves_nothing(server):
    c = support.RawClient(server.port)
    admin = server.raw()
    try:
        admin.call("FLUSHALL")
        for _ in range(3):
            c.send(encode("BLPOP", "k", "k2", "0"))
            wait_blocked(admin, 1)
            c.close()
            wait_blocked(admin, 0)
            assert admin.call("RPUSH", "k", "x") == b":1\r\n"
            assert admin.call("LLEN", "k") == b":1\r\n"       # the push was not lost
            admin.call("DEL", "k")
            c = support.RawClient(server.port)
        # timed waits too
        c.send(encode("BRPOP", "k", "30"))
        wait_blocked(admin, 1)
        c.close()
        wait_blocked(admin, 0)
        assert admin.call("PING") == b"+PONG\r\n"
    finally:
        c.close()
        admin.close()


def test_pipelined_commands_wait_for_the_blocked_one(server, ref):
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode("BLPOP", "k", "0") + encode("PING") + encode("LLEN", "k")
               + encode("RPUSH", "k", "mine") + encode("BLPOP", "k", "0"))
        wait_blocked(b, 1)
        still = nothing_pending(a)
        b.call("RPUSH", "k", "x")
        return [still] + [a.read_reply() for _ in range(5)]
    assert run(server, ref) == [True, b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n", b"+PONG\r\n", b":0\r\n",
                                b":1\r\n", b"*2\r\n$1\r\nk\r\n$4\r\nmine\r\n"]


def test_info_and_client_list_while_blocked(server):
    a, b = server.raw(), server.raw()
    try:
        b.call("FLUSHALL")
        aid = a.call("CLIENT", "ID").strip()[1:].decode()
        assert blocked_count(b) == 0
        a.send(encode("BRPOP", "x", "y", "0"))
        wait_blocked(b, 1)
        line = [ln for ln in b.call("CLIENT", "LIST").decode().split("\n")
                if f"id={aid} " in ln][0]
        assert " flags=b " in line and " cmd=brpop " in line, line
        b.call("LPUSH", "y", "1")
        assert a.read_reply() == b"*2\r\n$1\r\ny\r\n$1\r\n1\r\n"
        line = [ln for ln in b.call("CLIENT", "LIST").decode().split("\n")
                if f"id={aid} " in ln][0]
        assert " flags=N " in line, line
        assert blocked_count(b) == 0
    finally:
        a.close()
        b.close()


# ---------------------------------------------------------------------------------------------
# redis-py's blocking APIs
# ---------------------------------------------------------------------------------------------

def _push_later(server, *cmd):
    def go():
        c = server.raw()
        try:
            wait_blocked(c, 1)
            c.call(*cmd)
        finally:
            c.close()
    t = threading.Thread(target=go)
    t.start()
    return t


@pytest.mark.parametrize("proto", [2, 3])
def test_redis_py_api(server, proto):
    r = server.client(protocol=proto)
    try:
        r.flushall()
        t = _push_later(server, "RPUSH", "k", "a", "b")
        assert r.blpop(["x", "k"], timeout=0) in ([b"k", b"a"], (b"k", b"a"))
        t.join()
        assert r.brpop(["k"], timeout=1) in ([b"k", b"b"], (b"k", b"b"))
        assert r.blpop(["k"], timeout=0.05) is None
        t = _push_later(server, "LPUSH", "src", "v")
        assert r.blmove("src", "dst", 0, "LEFT", "RIGHT") == b"v"
        t.join()
        assert r.brpoplpush("dst", "src", 0) == b"v"
        t = _push_later(server, "RPUSH", "m", "1", "2", "3")
        assert r.blmpop(0, 2, "n", "m", direction="RIGHT", count=2) == [b"m", [b"3", b"2"]]
        t.join()
        assert r.blmpop(0.05, 1, "n", direction="LEFT") is None
        assert r.lrange("m", 0, -1) == [b"1"]
    finally:
        r.close()


# ---------------------------------------------------------------------------------------------
# Many clients at once
# ---------------------------------------------------------------------------------------------

def test_many_blocked_clients_all_served_in_order(server):
    n = 50
    cs = [server.raw() for _ in range(n)]
    admin = server.raw()
    try:
        admin.call("FLUSHALL")
        for i, c in enumerate(cs):
            c.send(encode("BLPOP", "q%d" % (i % 3), "shared", "0"))
        wait_blocked(admin, n)
        admin.call("RPUSH", "shared", *[str(i) for i in range(n)])
        got = [c.read_reply() for c in cs]
        assert got == [b"*2\r\n$6\r\nshared\r\n$%d\r\n%d\r\n" % (len(str(i)), i)
                       for i in range(n)]
        assert blocked_count(admin) == 0
        assert admin.call("EXISTS", "shared") == b":0\r\n"
    finally:
        for c in cs:
            c.close()
        admin.close()


# ---------------------------------------------------------------------------------------------
# Hot path, and a known difference
# ---------------------------------------------------------------------------------------------

def test_blocking_pops_with_data_run_no_python(r):
    r.set("s", "v")        # BLPOP s: WRONGTYPE, at once
    support.assert_no_python(r, [
        ["RPUSH", "k", "a", "b", "c", "d", "e"], ["BLPOP", "x", "k", "0"], ["BRPOP", "k", "1"],
        ["BLMOVE", "k", "k2", "LEFT", "RIGHT", "0"], ["BRPOPLPUSH", "k2", "k", "0"],
        ["BLMPOP", "0", "2", "x", "k", "LEFT", "COUNT", "2"], ["BLPOP", "s", "0"],
        ["BLPOP", "k", "-1"],
    ])


def test_served_from_the_key_that_became_ready_first(server, ref):
    @scenario
    def run(cs):
        a, b = cs.new(), cs.new()
        a.send(encode("BLPOP", "k1", "k2", "0"))
        wait_blocked(b, 1)
        b.pipeline([("MULTI",), ("RPUSH", "k2", "a"), ("RPUSH", "k1", "b"), ("EXEC",)])
        return a.read_reply()
    assert run(server, ref) == b"*2\r\n$2\r\nk2\r\n$1\r\na\r\n"
