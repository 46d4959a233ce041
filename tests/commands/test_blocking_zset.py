"""BZPOPMIN, BZPOPMAX and BZMPOP against redis-server 7.0.

Replies and errors are compared byte for byte in RESP2 and RESP3 (`d`). The blocking behaviour
is checked with real connections: each scenario runs on pyredis and on redis-server with the
same steps (a client blocks, INFO shows it blocked, another connection writes ...) and the raw
replies every connection got must be identical. Nothing sleeps to wait for a block: the
scenarios poll INFO clients (blocked_clients) instead.
"""
import threading
import time

import pytest

from tests.support import encode

LONG = "L" * 70


def wait_blocked(admin, n, timeout=3.0):
    """Poll INFO until blocked_clients is n."""
    deadline = time.time() + timeout
    info = ""
    while time.time() < deadline:
        info = admin.call("INFO", "clients").decode()
        if f"blocked_clients:{n}\r\n" in info:
            return
        time.sleep(0.002)
    raise AssertionError(f"never saw {n} blocked clients:\n{info}")


def client_id(c):
    return int(c.call("CLIENT", "ID")[1:-2])


def both(server, ref, scenario, proto=2):
    """Run scenario(admin, connect) on each server; the results must be equal. `connect()`
    opens a raw connection (HELLO 3 first when proto is 3); all are closed afterwards."""
    results = []
    for srv in (server, ref):
        opened = []

        def connect():
            c = srv.raw()
            opened.append(c)
            if proto == 3:
                c.call("HELLO", "3")
            return c

        admin = srv.raw()
        opened.append(admin)
        try:
            admin.call("FLUSHALL")
            results.append(scenario(admin, connect))
            admin.call("FLUSHALL")
            wait_blocked(admin, 0)
        finally:
            for c in opened:
                c.close()
    assert results[0] == results[1], f"pyredis {results[0]!r}\n  != redis {results[1]!r}"
    return results[0]


protos = pytest.mark.parametrize("proto", [2, 3], ids=["resp2", "resp3"])


# ---------------------------------------------------------------------------------------------
# Replies and errors without blocking
# ---------------------------------------------------------------------------------------------

def test_immediate_pops(d):
    d.check("ZADD", "z", "1", "a", "2.5", "b", "3", "c", "-1e300", "neg")
    d.check("ZADD", "sk", "1", "a", "2", LONG, "0", "b")
    d.check("BZPOPMIN", "z", "0")
    d.check("BZPOPMAX", "z", "0")
    d.check("BZPOPMIN", "missing", "z", "0")
    d.check("BZPOPMAX", "missing", "sk", "z", "1")
    d.check("BZPOPMAX", "sk", "0.5")
    d.check("BZPOPMIN", "sk", "0")
    d.check("EXISTS", "sk")
    d.check("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "inf", "e")
    d.check("BZMPOP", "0", "1", "z", "MIN")
    d.check("BZMPOP", "0", "2", "nokey", "z", "MAX", "COUNT", "2")
    d.check("BZMPOP", "1.5", "1", "z", "max", "count", "100")
    d.check("EXISTS", "z")
    d.check("ZADD", "big", *[x for i in range(150) for x in (str(i / 3), f"m{i}")])
    d.check("BZMPOP", "0", "1", "big", "MIN", "COUNT", "3")
    d.check("BZPOPMAX", "big", "0")
    d.check("ZCARD", "big")
    d.check("OBJECT", "ENCODING", "big")


def test_immediate_pop_first_nonempty_key_wins(d):
    d.check("ZADD", "k2", "5", "x")
    d.check("ZADD", "k3", "1", "y")
    d.check("BZPOPMIN", "k1", "k2", "k3", "0")
    d.check("BZPOPMIN", "k1", "k2", "k3", "0")
    d.check("ZADD", "k2", "5", "x")
    d.check("ZADD", "k3", "1", "y")
    d.check("BZMPOP", "0", "3", "k3", "k2", "k1", "MAX", "COUNT", "9")
    d.check("BZMPOP", "0", "3", "k3", "k2", "k1", "MAX", "COUNT", "9")


def test_errors(d):
    # z holds enough members for every line with a valid timeout to pop at once
    d.check("ZADD", "z", *[x for i in range(40) for x in (str(i), f"m{i}")])
    d.check("SET", "str", "v")
    d.check("LPUSH", "list", "v")
    for args in [
        ("BZPOPMIN",), ("BZPOPMIN", "z"), ("BZPOPMAX", "z"), ("BZMPOP", "0", "1", "z"),
        ("BZPOPMIN", "str", "0"), ("BZPOPMAX", "missing", "str", "z", "0"),
        ("BZPOPMIN", "z", "str", "0"), ("BZPOPMIN", "list", "0"),
        ("BZPOPMIN", "z", "-1"), ("BZPOPMIN", "z", "abc"), ("BZPOPMIN", "z", ""),
        ("BZPOPMIN", "z", "1e100"), ("BZPOPMIN", "z", "inf"), ("BZPOPMIN", "z", "-inf"),
        ("BZPOPMIN", "z", "nan"), ("BZPOPMIN", "z", "0x10"), ("BZPOPMIN", "z", "-0"),
        ("BZPOPMIN", "z", "9223372036854775807"), ("BZPOPMIN", "z", "1e-10"),
        ("BZPOPMAX", "str", "x"),
        ("BZMPOP", "0", "0", "z", "MIN"), ("BZMPOP", "0", "-1", "z", "MIN"),
        ("BZMPOP", "0", "abc", "z", "MIN"), ("BZMPOP", "0", "2", "z", "MIN"),
        ("BZMPOP", "0", "1", "z", "MID"), ("BZMPOP", "0", "1", "z", "MIN", "COUNT"),
        ("BZMPOP", "0", "1", "z", "MIN", "COUNT", "0"),
        ("BZMPOP", "0", "1", "z", "MIN", "COUNT", "-1"),
        ("BZMPOP", "0", "1", "z", "MIN", "COUNT", "x"),
        ("BZMPOP", "0", "1", "z", "MIN", "COUNT", "1", "COUNT", "2"),
        ("BZMPOP", "0", "1", "z", "MIN", "extra"),
        ("BZMPOP", "x", "1", "z", "MIN"), ("BZMPOP", "-1", "1", "z", "MIN"),
        ("BZMPOP", "x", "0", "z", "MIN"), ("BZMPOP", "x", "1", "z", "MID"),
        ("BZMPOP", "-1", "1", "z", "MIN", "COUNT", "0"),
        ("BZMPOP", "0", "1", "str", "MIN"), ("BZMPOP", "0", "2", "missing", "str", "MAX"),
        ("BZMPOP", "0", "99999999999999999999", "z", "MIN"),
    ]:
        d.check(*args)
    d.check("ZRANGE", "z", "0", "-1", "WITHSCORES")


def test_timeouts_reply_null(d):
    """Short timeouts on missing keys: the null array of each protocol."""
    d.check("BZPOPMIN", "nokey", "0.01")
    d.check("BZPOPMAX", "nokey", "nokey2", "0.01")
    d.check("BZMPOP", "0.01", "2", "nokey", "nokey2", "MIN", "COUNT", "3")
    d.check("BZPOPMIN", "nokey", "0.001")


def test_in_multi_does_not_block(d):
    d.check("MULTI")
    d.check("BZPOPMIN", "nokey", "0")
    d.check("BZPOPMAX", "nokey", "nokey2", "0")
    d.check("BZMPOP", "0", "1", "nokey", "MIN")
    d.check("ZADD", "k", "1", "a", "2", "b")
    d.check("BZPOPMAX", "nokey", "k", "0")
    d.check("BZMPOP", "0", "2", "nokey", "k", "MIN", "COUNT", "5")
    d.check("BZPOPMIN", "k", "0")
    d.check("EXEC")
    d.check("MULTI")
    d.check("BZPOPMIN", "nokey", "abc")
    d.check("EXEC")


def test_command_info(d):
    d.check("COMMAND", "INFO", "BZPOPMIN", "BZPOPMAX", "BZMPOP")
    d.check("COMMAND", "DOCS", "BZMPOP", "ZMPOP")
    d.check("COMMAND", "GETKEYS", "BZPOPMIN", "a", "b", "c", "0")
    d.check("COMMAND", "GETKEYS", "BZMPOP", "0", "2", "a", "b", "MIN")


# ---------------------------------------------------------------------------------------------
# Blocking, with several connections (every scenario also runs on redis-server)
# ---------------------------------------------------------------------------------------------

@protos
@pytest.mark.parametrize("cmd", [("BZPOPMIN", "k", "0"), ("BZPOPMAX", "k", "0"),
                                 ("BZMPOP", "0", "1", "k", "MIN"),
                                 ("BZMPOP", "0", "1", "k", "MAX", "COUNT", "2"),
                                 ("BZPOPMIN", "k", "5.5")])
def test_blocked_then_served_by_zadd(server, ref, proto, cmd):
    def scenario(admin, connect):
        c = connect()
        c.send(encode(*cmd))
        wait_blocked(admin, 1)
        added = admin.call("ZADD", "k", "1.5", "a", "2", "b", "3", "c")
        got = c.read_reply()
        wait_blocked(admin, 0)
        return added, got, c.call("PING"), admin.call("ZRANGE", "k", "0", "-1", "WITHSCORES")
    both(server, ref, scenario, proto)


@protos
def test_fifo_among_clients(server, ref, proto):
    """Four clients block on one key (some on several keys); one member at a time serves them
    in the order they blocked."""
    cmds = [("BZPOPMIN", "k", "0"), ("BZPOPMAX", "x", "k", "0"),
            ("BZMPOP", "0", "2", "k", "y", "MIN", "COUNT", "2"), ("BZPOPMIN", "k", "10")]

    def scenario(admin, connect):
        conns = []
        for i, cmd in enumerate(cmds):
            c = connect()
            c.send(encode(*cmd))
            wait_blocked(admin, i + 1)
            conns.append(c)
        out = []
        for i, c in enumerate(conns):
            out.append(admin.call("ZADD", "k", str(i), f"m{i}"))
            out.append(c.read_reply())
            wait_blocked(admin, len(conns) - i - 1)
        return out
    both(server, ref, scenario, proto)


@protos
def test_one_zadd_serves_several_clients(server, ref, proto):
    """A ZADD of three members serves the first three waiters; the fourth keeps waiting, then a
    BZMPOP COUNT gets what a later ZADD adds."""
    def scenario(admin, connect):
        conns = []
        cmds = [("BZPOPMIN", "k", "0"), ("BZPOPMAX", "k", "0"), ("BZPOPMIN", "k", "0"),
                ("BZMPOP", "0", "1", "k", "MAX", "COUNT", "10")]
        for i, cmd in enumerate(cmds):
            c = connect()
            c.send(encode(*cmd))
            wait_blocked(admin, i + 1)
            conns.append(c)
        out = [admin.call("ZADD", "k", "1", "a", "2", "b", "3", "c")]
        out += [c.read_reply() for c in conns[:3]]
        wait_blocked(admin, 1)
        out.append(admin.call("EXISTS", "k"))
        out.append(admin.call("ZADD", "k", "4", "d", "5", "e", "6", "f"))
        out.append(conns[3].read_reply())
        out.append(admin.call("EXISTS", "k"))
        return out
    both(server, ref, scenario, proto)


@protos
def test_several_keys(server, ref, proto):
    def scenario(admin, connect):
        c = connect()
        c.send(encode("BZPOPMIN", "k1", "k2", "k3", "0"))
        wait_blocked(admin, 1)
        out = [admin.call("ZADD", "k3", "7", "x"), c.read_reply()]
        c.send(encode("BZMPOP", "0", "3", "k1", "k2", "k3", "MAX", "COUNT", "3"))
        wait_blocked(admin, 1)
        out += [admin.call("ZADD", "k2", "1", "p", "2", "q"), c.read_reply()]
        c.send(encode("BZPOPMAX", "k1", "k1", "k2", "0"))   # a key twice
        wait_blocked(admin, 1)
        out += [admin.call("ZADD", "k1", "3", "r", "4", "s"), c.read_reply(),
                admin.call("ZRANGE", "k1", "0", "-1")]
        return out
    both(server, ref, scenario, proto)


@protos
def test_multi_exec_serves_after_exec(server, ref, proto):
    """The waiter sees the state after the whole transaction: not the first ZADD's member."""
    def scenario(admin, connect):
        c = connect()
        c.send(encode("BZPOPMIN", "k", "0"))
        wait_blocked(admin, 1)
        out = admin.pipeline([("MULTI",), ("ZADD", "k", "5", "a"), ("ZADD", "k", "1", "b"),
                              ("ZINCRBY", "k", "10", "b"), ("EXEC",)])
        out.append(c.read_reply())
        # a transaction that creates the key and deletes it again serves nobody
        c.send(encode("BZMPOP", "0", "1", "j", "MIN"))
        wait_blocked(admin, 1)
        out += admin.pipeline([("MULTI",), ("ZADD", "j", "1", "x"), ("DEL", "j"), ("EXEC",)])
        out.append(admin.call("INFO", "clients").count(b"blocked_clients:1\r\n"))
        out.append(admin.call("ZADD", "j", "2", "y"))
        out.append(c.read_reply())
        return out
    both(server, ref, scenario, proto)


@protos
def test_served_from_the_key_that_became_ready(server, ref, proto):
    """Redis 7.0 serves a waiter from the key that became ready first, not the first key in
    argument order (Redis 7.2 changed this)."""
    def scenario(admin, connect):
        c = connect()
        out = []
        for cmd in (("BZPOPMIN", "k1", "k2", "k3", "0"),
                    ("BZMPOP", "0", "3", "k1", "k2", "k3", "MAX", "COUNT", "5")):
            c.send(encode(*cmd))
            wait_blocked(admin, 1)
            out += admin.pipeline([("MULTI",), ("ZADD", "k3", "1", "x", "2", "w"),
                                   ("ZADD", "k1", "1", "y"), ("EXEC",)])
            out.append(c.read_reply())
            out.append(admin.call("DEL", "k1", "k2", "k3"))
        return out
    both(server, ref, scenario, proto)


@protos
def test_served_by_other_writes(server, ref, proto):
    """Keys that appear through ZINCRBY, ZUNIONSTORE, ZRANGESTORE, RENAME, MOVE, COPY and
    ZADD INCR serve the waiters too."""
    writes = [("ZINCRBY", "k", "2", "a"), ("ZUNIONSTORE", "k", "1", "src"),
              ("ZRANGESTORE", "k", "src", "0", "0"), ("RENAME", "src", "k"),
              ("ZADD", "k", "INCR", "3", "q"), ("COPY", "src", "k"),
              ("ZINTERSTORE", "k", "2", "src", "src")]

    def scenario(admin, connect):
        c = connect()
        out = []
        for w in writes:
            admin.call("ZADD", "src", "1", "s1", "2", "s2")
            c.send(encode("BZPOPMAX", "k", "0"))
            wait_blocked(admin, 1)
            out += [admin.call(*w), c.read_reply()]
            admin.call("DEL", "k", "src")
        # MOVE from another database
        admin.call("SELECT", "1")
        admin.call("ZADD", "m", "9", "moved")
        c.send(encode("BZPOPMIN", "m", "0"))
        wait_blocked(admin, 1)
        out += [admin.call("MOVE", "m", "0"), c.read_reply()]
        admin.call("SELECT", "0")
        return out
    both(server, ref, scenario, proto)


@protos
def test_other_types_do_not_serve(server, ref, proto):
    """A string or a list appearing at the key leaves the waiter blocked; a sorted set later
    serves it."""
    def scenario(admin, connect):
        c = connect()
        c.send(encode("BZPOPMIN", "k", "0"))
        wait_blocked(admin, 1)
        out = [admin.call("SET", "k", "v"), admin.call("DEL", "k"),
               admin.call("LPUSH", "k", "x"), admin.call("SADD", "k2", "x"),
               admin.call("RENAME", "k2", "k"), admin.call("DEL", "k")]
        out.append(admin.call("INFO", "clients").count(b"blocked_clients:1\r\n"))
        out += [admin.call("ZADD", "k", "1", "z"), c.read_reply()]
        return out
    both(server, ref, scenario, proto)


@protos
def test_other_key_turned_wrong_type_while_blocked(server, ref, proto):
    """A waiter whose earlier key became a string is still served from the key that got a
    sorted set (no WRONGTYPE), as Redis 7.0."""
    def scenario(admin, connect):
        c = connect()
        out = []
        for cmd in (("BZPOPMIN", "k1", "k2", "0"), ("BZMPOP", "0", "2", "k1", "k2", "MAX")):
            c.send(encode(*cmd))
            wait_blocked(admin, 1)
            out += [admin.call("SET", "k1", "v"), admin.call("ZADD", "k2", "1", "x"),
                    c.read_reply(), admin.call("DEL", "k1")]
        # and afterwards the string makes the same command fail at once
        admin.call("SET", "k1", "v")
        out.append(c.call("BZPOPMIN", "k1", "k2", "0"))
        return out
    both(server, ref, scenario, proto)


@protos
def test_served_by_swapdb(server, ref, proto):
    def scenario(admin, connect):
        c = connect()
        c.send(encode("BZPOPMAX", "k", "0"))
        wait_blocked(admin, 1)
        admin.call("SELECT", "1")
        out = [admin.call("ZADD", "k", "1", "a", "2", "b"), admin.call("SWAPDB", "0", "1"),
               c.read_reply()]
        admin.call("SELECT", "0")
        out.append(admin.call("ZRANGE", "k", "0", "-1"))
        return out
    both(server, ref, scenario, proto)


@protos
def test_client_pause_holds_blocking_pops(server, ref, proto):
    """BZPOPMIN is a write: CLIENT PAUSE WRITE holds it back, then it runs (and blocks)."""
    def scenario(admin, connect):
        admin.call("ZADD", "k", "1", "a")
        c = connect()
        out = [admin.call("CLIENT", "PAUSE", "100000", "WRITE")]
        c.send(encode("BZPOPMIN", "k", "0") + encode("BZPOPMIN", "k", "0"))
        # (INFO blocked_clients of pyredis leaves paused clients out; CLIENT LIST shows them)
        deadline = time.time() + 3
        while b" flags=b " not in admin.call("CLIENT", "LIST") and time.time() < deadline:
            time.sleep(0.002)
        out.append(admin.call("CLIENT", "UNPAUSE"))
        out.append(c.read_reply())
        wait_blocked(admin, 1)
        out += [admin.call("ZADD", "k", "2", "b"), c.read_reply()]
        return out
    both(server, ref, scenario, proto)


@protos
def test_databases_are_separate(server, ref, proto):
    def scenario(admin, connect):
        c = connect()
        c.call("SELECT", "2")
        c.send(encode("BZPOPMIN", "k", "0"))
        wait_blocked(admin, 1)
        out = [admin.call("ZADD", "k", "1", "db0")]
        out.append(admin.call("INFO", "clients").count(b"blocked_clients:1\r\n"))
        admin.call("SELECT", "2")
        out += [admin.call("ZADD", "k", "1", "db2"), c.read_reply()]
        admin.call("SELECT", "0")
        out.append(admin.call("ZRANGE", "k", "0", "-1"))
        return out
    both(server, ref, scenario, proto)


@protos
def test_pipelined_commands_wait_for_the_block(server, ref, proto):
    def scenario(admin, connect):
        c = connect()
        c.send(encode("BZPOPMIN", "k", "0") + encode("ZCARD", "k") + encode("PING"))
        wait_blocked(admin, 1)
        out = [admin.call("ZADD", "k", "1", "a", "2", "b")]
        out += [c.read_reply() for _ in range(3)]
        return out
    both(server, ref, scenario, proto)


@protos
def test_timeout_then_null(server, ref, proto):
    def scenario(admin, connect):
        c = connect()
        t0 = time.time()
        out = [c.call("BZPOPMIN", "k", "0.1")]
        elapsed = time.time() - t0
        assert 0.09 <= elapsed < 2, elapsed
        t0 = time.time()
        out.append(c.call("BZMPOP", "0.1", "2", "k", "j", "MIN", "COUNT", "2"))
        assert 0.09 <= time.time() - t0 < 2
        # the timed-out client is no longer waiting: a later ZADD stays
        out.append(admin.call("ZADD", "k", "1", "a"))
        out.append(admin.call("ZCARD", "k"))
        # served before the timeout
        c.send(encode("BZPOPMAX", "j", "5"))
        wait_blocked(admin, 1)
        out += [admin.call("ZADD", "j", "1", "x"), c.read_reply()]
        return out
    both(server, ref, scenario, proto)


def test_timeouts_of_several_clients(server):
    """Clients with different timeouts are answered in deadline order, each near its time."""
    conns = [server.raw() for _ in range(3)]
    try:
        t0 = time.time()
        for c, t in zip(conns, ("0.3", "0.1", "0.2")):
            c.send(encode("BZPOPMIN", "k", t))
        done = {}

        def read(i):
            done[i] = (conns[i].read_reply(), time.time() - t0)
        threads = [threading.Thread(target=read, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
        assert [done[i][0] for i in range(3)] == [b"*-1\r\n"] * 3
        assert done[1][1] < done[2][1] < done[0][1]
        assert done[1][1] >= 0.09 and done[0][1] >= 0.29 and done[0][1] < 2
    finally:
        for c in conns:
            c.close()


@protos
def test_client_unblock(server, ref, proto):
    def scenario(admin, connect):
        c = connect()
        cid = client_id(c)
        out = []
        c.send(encode("BZPOPMIN", "k", "0"))
        wait_blocked(admin, 1)
        out += [admin.call("CLIENT", "UNBLOCK", str(cid)), c.read_reply()]
        c.send(encode("BZMPOP", "0", "1", "k", "MIN"))
        wait_blocked(admin, 1)
        out += [admin.call("CLIENT", "UNBLOCK", str(cid), "ERROR"), c.read_reply()]
        out.append(admin.call("CLIENT", "UNBLOCK", str(cid)))
        out.append(admin.call("ZADD", "k", "1", "a"))
        out.append(admin.call("ZCARD", "k"))
        out.append(c.call("PING"))
        return out
    both(server, ref, scenario, proto)


@protos
def test_closed_blocked_client_leaves_nothing(server, ref, proto):
    def scenario(admin, connect):
        gone = connect()
        gone.send(encode("BZPOPMIN", "k", "j", "0"))
        stay = connect()
        stay.send(encode("BZPOPMAX", "k", "0"))
        wait_blocked(admin, 2)
        gone.close()
        wait_blocked(admin, 1)
        out = [admin.call("ZADD", "k", "1", "a", "2", "b"), stay.read_reply()]
        wait_blocked(admin, 0)
        out.append(admin.call("ZRANGE", "k", "0", "-1"))
        out.append(admin.call("ZADD", "j", "1", "x"))
        out.append(admin.call("ZCARD", "j"))
        return out
    both(server, ref, scenario, proto)


def test_many_blocked_clients_closed(server):
    """Many waiters with and without timeouts closing: the server forgets them all."""
    admin = server.raw()
    conns = []
    try:
        for i in range(40):
            c = server.raw()
            c.send(encode("BZPOPMIN", f"k{i % 5}", "k", "0" if i % 2 else "30"))
            conns.append(c)
        wait_blocked(admin, 40)
        for c in conns:
            c.close()
        wait_blocked(admin, 0)
        assert admin.call("ZADD", "k", "1", "a") == b":1\r\n"
        assert admin.call("ZCARD", "k") == b":1\r\n"
    finally:
        for c in conns:
            c.close()
        admin.close()


def test_served_clients_notified_and_watch(server, ref):
    """A served waiter's pop touches WATCHed keys like ZPOPMIN."""
    def scenario(admin, connect):
        c = connect()
        w = connect()
        c.send(encode("BZPOPMIN", "k", "0"))
        wait_blocked(admin, 1)
        admin.call("ZADD", "k", "1", "a", "2", "b")
        got = c.read_reply()
        w.call("WATCH", "k")
        c.send(encode("BZPOPMIN", "k", "0"))
        got2 = c.read_reply()
        return got, got2, w.pipeline([("MULTI",), ("PING",), ("EXEC",)])
    both(server, ref, scenario)


# ---------------------------------------------------------------------------------------------
# redis-py's API
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_api(server, protocol):
    r = server.client(protocol=protocol)
    r.flushall()
    results = {}
    try:
        r.zadd("z", {"a": 1, "b": 2, "c": 3})
        assert r.bzpopmin("z", timeout=0) in ([b"z", b"a", 1.0], (b"z", b"a", 1.0))
        assert r.bzpopmax(["nokey", "z"], timeout=1) in ([b"z", b"c", 3.0], (b"z", b"c", 3.0))
        got = r.bzmpop(0, 1, ["z"], min=True, count=5)
        assert got[0] == b"z" and [[m, float(s)] for m, s in got[1]] == [[b"b", 2.0]]
        assert r.exists("z") == 0
        assert r.bzpopmin("nokey", timeout=0.05) is None
        assert r.bzmpop(0.05, 1, ["nokey"], max=True) is None

        def waiter(name, fn):
            c = server.client(protocol=protocol)
            try:
                results[name] = fn(c)
            finally:
                c.close()
        threads = [threading.Thread(target=waiter, args=("min", lambda c: c.bzpopmin("q", 5))),
                   threading.Thread(target=waiter,
                                    args=("mpop", lambda c: c.bzmpop(5, 1, ["q"], max=True,
                                                                     count=2)))]
        threads[0].start()
        admin = server.raw()
        try:
            wait_blocked(admin, 1)
            threads[1].start()
            wait_blocked(admin, 2)
        finally:
            admin.close()
        r.zadd("q", {"x": 1, "y": 2, "w": 3})
        for t in threads:
            t.join(5)
        assert list(results["min"]) == [b"q", b"x", 1.0]
        assert results["mpop"][0] == b"q"
        assert [[m, float(s)] for m, s in results["mpop"][1]] == [[b"w", 3.0], [b"y", 2.0]]
    finally:
        r.close()


def test_hot_path(server):
    from tests.support import assert_no_python
    r = server.client()
    try:
        r.flushall()
        r.zadd("z", {f"m{i}": i for i in range(2000)})
        assert_no_python(r, [["BZPOPMIN", "z", "0"], ["BZPOPMAX", "nokey", "z", "1"],
                             ["BZMPOP", "0", "2", "nokey", "z", "MIN", "COUNT", "2"],
                             ["BZPOPMIN", "z", "bad"]], repeat=100)
    finally:
        r.close()
