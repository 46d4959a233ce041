"""WATCH against redis-server 7.0 for the string and generic key commands.

Each scenario runs on both servers with real connections: connection A WATCHes keys, another
connection runs commands, then A runs MULTI / PING / EXEC. The EXEC reply (nil in RESP2, null
in RESP3 when the transaction is aborted) must be what Redis replies, and the scenario states
which one it expects, so a server that never (or always) fails transactions cannot pass.
"""
import time

import pytest

FAR = 4102444800123

ABORTED = {2: b"*-1\r\n", 3: b"_\r\n"}
RAN = {2: b"*1\r\n+PONG\r\n", 3: b"*1\r\n+PONG\r\n"}

STR = [("SET", "k", "v")]
TTL = [("SET", "k", "v", "PXAT", str(FAR))]
NUM = [("SET", "k", "10")]
LIST = [("RPUSH", "l", "a")]

# id -> (setup, keys to WATCH, commands of the other connection, aborted?)
SCENARIOS = {
    "set": (STR, ["k"], [("SET", "k", "w")], True),
    "set-same-value": (STR, ["k"], [("SET", "k", "v")], True),
    "set-creates": ([], ["k"], [("SET", "k", "v")], True),
    "set-other-key": (STR, ["k"], [("SET", "j", "v")], False),
    "set-nx-noop": (STR, ["k"], [("SET", "k", "w", "NX")], False),
    "set-xx-noop": ([], ["k"], [("SET", "k", "w", "XX")], False),
    "set-keepttl": (TTL, ["k"], [("SET", "k", "w", "KEEPTTL")], True),
    "set-get": (STR, ["k"], [("SET", "k", "w", "GET")], True),
    "set-wrongtype-get": (LIST, ["l"], [("SET", "l", "w", "GET")], False),
    "set-error": (STR, ["k"], [("SET", "k", "w", "EX", "0")], False),
    "setnx": ([], ["k"], [("SETNX", "k", "v")], True),
    "setnx-noop": (STR, ["k"], [("SETNX", "k", "w")], False),
    "setex": (STR, ["k"], [("SETEX", "k", "100", "w")], True),
    "psetex": ([], ["k"], [("PSETEX", "k", "100000", "w")], True),
    "getset": (STR, ["k"], [("GETSET", "k", "w")], True),
    "getdel": (STR, ["k"], [("GETDEL", "k")], True),
    "getdel-missing": ([], ["k"], [("GETDEL", "k")], False),
    "getex-ex": (STR, ["k"], [("GETEX", "k", "EX", "100")], True),
    "getex-plain": (STR, ["k"], [("GETEX", "k")], False),
    "getex-persist-no-ttl": (STR, ["k"], [("GETEX", "k", "PERSIST")], False),
    "getex-persist": (TTL, ["k"], [("GETEX", "k", "PERSIST")], True),
    "getex-past": (STR, ["k"], [("GETEX", "k", "PXAT", "1")], True),
    "mset": ([], ["b"], [("MSET", "a", "1", "b", "2")], True),
    "msetnx-noop": (STR, ["a"], [("MSETNX", "a", "1", "k", "2")], False),
    "msetnx": ([], ["b"], [("MSETNX", "a", "1", "b", "2")], True),
    "append": (STR, ["k"], [("APPEND", "k", "x")], True),
    "append-creates": ([], ["k"], [("APPEND", "k", "x")], True),
    "append-wrongtype": (LIST, ["l"], [("APPEND", "l", "x")], False),
    "incr": (NUM, ["k"], [("INCR", "k")], True),
    "decr": (NUM, ["k"], [("DECR", "k")], True),
    "incrby": ([], ["k"], [("INCRBY", "k", "5")], True),
    "decrby": (NUM, ["k"], [("DECRBY", "k", "5")], True),
    "incr-error": (STR, ["k"], [("INCR", "k")], False),
    "incrbyfloat": (NUM, ["k"], [("INCRBYFLOAT", "k", "1.5")], True),
    "incrbyfloat-error": (STR, ["k"], [("INCRBYFLOAT", "k", "1")], False),
    "setrange": (STR, ["k"], [("SETRANGE", "k", "0", "x")], True),
    "setrange-empty": (STR, ["k"], [("SETRANGE", "k", "0", "")], False),
    "setrange-empty-missing": ([], ["k"], [("SETRANGE", "k", "5", "")], False),
    "reads": (STR, ["k"], [("GET", "k"), ("STRLEN", "k"), ("EXISTS", "k"), ("TTL", "k"),
                           ("TYPE", "k"), ("OBJECT", "ENCODING", "k"), ("TOUCH", "k"),
                           ("KEYS", "*"), ("SCAN", "0")], False),
    "del": (STR, ["k"], [("DEL", "k")], True),
    "unlink": (STR, ["k"], [("UNLINK", "j", "k")], True),
    "del-missing": ([], ["k"], [("DEL", "k")], False),
    "del-other": (STR, ["k"], [("DEL", "j")], False),
    "expire": (STR, ["k"], [("EXPIRE", "k", "100")], True),
    "pexpireat": (STR, ["k"], [("PEXPIREAT", "k", str(FAR))], True),
    "expire-past": (STR, ["k"], [("PEXPIRE", "k", "-1")], True),
    "expire-missing": ([], ["k"], [("EXPIRE", "k", "100")], False),
    "expire-nx-rejected": (TTL, ["k"], [("EXPIRE", "k", "100", "NX")], False),
    "expire-error": (STR, ["k"], [("EXPIRE", "k", "x")], False),
    "persist": (TTL, ["k"], [("PERSIST", "k")], True),
    "persist-no-ttl": (STR, ["k"], [("PERSIST", "k")], False),
    "rename-away": (STR, ["k"], [("RENAME", "k", "j")], True),
    "rename-onto": (STR, ["j"], [("RENAME", "k", "j")], True),
    "rename-onto-existing": (STR + [("SET", "j", "1")], ["j"], [("RENAME", "k", "j")], True),
    "rename-same": (STR, ["k"], [("RENAME", "k", "k")], False),
    "renamenx-rejected": (STR + [("SET", "j", "1")], ["j", "k"], [("RENAMENX", "k", "j")], False),
    "renamenx": (STR, ["j"], [("RENAMENX", "k", "j")], True),
    "rename-missing": ([], ["k", "j"], [("RENAME", "k", "j")], False),
    "move-away": (STR, ["k"], [("MOVE", "k", "1")], True),
    "move-rejected": (STR + [("SELECT", "1"), ("SET", "k", "x")], ["k"], [("MOVE", "k", "1")],
                      False),
    "copy-onto": (STR, ["j"], [("COPY", "k", "j")], True),
    "copy-from": (STR, ["k"], [("COPY", "k", "j")], False),
    "copy-rejected": (STR + [("SET", "j", "1")], ["j"], [("COPY", "k", "j")], False),
    "copy-replace": (STR + [("SET", "j", "1")], ["j"], [("COPY", "k", "j", "REPLACE")], True),
    "copy-to-other-db": (STR, ["j"], [("COPY", "k", "j", "DB", "1")], False),
    "flushdb": (STR, ["k"], [("FLUSHDB",)], True),
    "flushdb-missing": (LIST, ["k"], [("FLUSHDB",)], False),
    "flushall": (STR, ["k"], [("FLUSHALL",)], True),
    "flushall-missing": (LIST, ["k"], [("FLUSHALL",)], False),
    "flushdb-other-db": (STR, ["k"], [("SELECT", "1"), ("FLUSHDB",)], False),
    "swapdb": (STR, ["k"], [("SWAPDB", "0", "1")], True),
    "swapdb-appears": ([("SELECT", "1"), ("SET", "k", "v")], ["k"], [("SWAPDB", "0", "1")], True),
    "swapdb-missing": (LIST, ["k"], [("SWAPDB", "0", "1")], False),
    "swapdb-other-dbs": (STR, ["k"], [("SWAPDB", "2", "1")], False),
    "write-in-other-db": (STR, ["k"], [("SELECT", "3"), ("SET", "k", "x"), ("DEL", "k")], False),
    "several-keys": ([], ["a", "b", "c"], [("INCR", "c")], True),
}


def scenario(srv, setup, watch, other, proto, watch_db=0):
    """Run one scenario on srv; returns (other's replies, A's MULTI/PING/EXEC replies)."""
    a, b, c = srv.raw(), srv.raw(), srv.raw()
    try:
        c.call("FLUSHALL")
        for cmd in setup:
            c.call(*cmd)
        if proto == 3:
            a.call("HELLO", "3")
        if watch_db:
            a.call("SELECT", str(watch_db))
        assert a.call("WATCH", *watch) == b"+OK\r\n"
        others = [b.call(*cmd) for cmd in other]
        return others, [a.call("MULTI"), a.call("PING"), a.call("EXEC")]
    finally:
        for x in (a, b, c):
            x.close()


def both(server, ref, setup, watch, other, proto, watch_db=0):
    ours = scenario(server, setup, watch, other, proto, watch_db)
    theirs = scenario(ref, setup, watch, other, proto, watch_db)
    assert ours == theirs, f"pyredis {ours!r} != redis {theirs!r}"
    return ours[1][2]


@pytest.mark.parametrize("proto", [2, 3], ids=["resp2", "resp3"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_watch_scenarios(server, ref, name, proto):
    setup, watch, other, aborted = SCENARIOS[name]
    got = both(server, ref, setup, watch, other, proto)
    assert got == (ABORTED if aborted else RAN)[proto]


@pytest.mark.parametrize("proto", [2, 3], ids=["resp2", "resp3"])
def test_move_into_watched_db(server, ref, proto):
    """A key MOVEd into the database where it is WATCHed."""
    got = both(server, ref, STR, ["k"], [("MOVE", "k", "1")], proto, watch_db=1)
    assert got == ABORTED[proto]
    got = both(server, ref, STR, ["k"], [("COPY", "k", "k", "DB", "1")], proto, watch_db=1)
    assert got == ABORTED[proto]
    got = both(server, ref, STR, ["k"], [("SET", "k", "w")], proto, watch_db=1)
    assert got == RAN[proto]


def watch_then(srv, proto, before_watch, between, queued=(("PING",),)):
    """One connection: commands, WATCH k, more commands (same connection), then a
    transaction; returns every reply."""
    a = srv.raw()
    try:
        a.call("FLUSHALL")
        if proto == 3:
            a.call("HELLO", "3")
        out = [a.call(*cmd) for cmd in before_watch]
        out.append(a.call("WATCH", "k"))
        out += [a.call(*cmd) for cmd in between]
        out.append(a.call("MULTI"))
        out += [a.call(*cmd) for cmd in queued]
        out.append(a.call("EXEC"))
        return out
    finally:
        a.close()


@pytest.mark.parametrize("proto", [2, 3], ids=["resp2", "resp3"])
@pytest.mark.parametrize("between,aborted", [
    ([("SET", "k", "mine")], True),                          # the watcher's own write counts
    ([("UNWATCH",), ("SET", "k", "mine")], False),
    ([("MULTI",), ("DISCARD",), ("SET", "k", "mine")], False),   # DISCARD unwatches
    ([("MULTI",), ("EXEC",), ("SET", "k", "mine")], False),      # so does EXEC
    ([("GET", "k"), ("EXISTS", "k")], False),
    ([("SELECT", "2"), ("SET", "k", "x"), ("SELECT", "0")], False),
], ids=["own-write", "unwatch", "discard", "exec", "reads", "other-db"])
def test_watch_on_one_connection(server, ref, proto, between, aborted):
    ours = watch_then(server, proto, [("SET", "k", "v")], between)
    theirs = watch_then(ref, proto, [("SET", "k", "v")], between)
    assert ours == theirs
    assert ours[-1] == (ABORTED if aborted else RAN)[proto]


@pytest.mark.parametrize("proto", [2, 3], ids=["resp2", "resp3"])
def test_transaction_changing_its_own_watched_key(server, ref, proto):
    """Queued writes to the watched key run: only changes before EXEC count."""
    queued = [("SET", "k", "x"), ("INCR", "n"), ("DEL", "k")]
    ours = watch_then(server, proto, [("SET", "k", "v")], [], queued)
    theirs = watch_then(ref, proto, [("SET", "k", "v")], [], queued)
    assert ours == theirs
    assert ours[-1].startswith(b"*3\r\n")


@pytest.mark.parametrize("proto", [2, 3], ids=["resp2", "resp3"])
def test_watch_inside_multi(server, ref, proto):
    ours = watch_then(server, proto, [], [], [("WATCH", "j"), ("PING",)])
    theirs = watch_then(ref, proto, [], [], [("WATCH", "j"), ("PING",)])
    assert ours == theirs
    assert ours[-3].startswith(b"-ERR WATCH inside MULTI is not allowed")


def expiry_scenario(srv, proto, ttl_ms, wait, touch):
    """WATCH a key with a short TTL, let it expire (no other client touches it unless
    `touch`), then EXEC."""
    a, b = srv.raw(), srv.raw()
    try:
        b.call("FLUSHALL")
        b.call("SET", "k", "v", "PX", str(ttl_ms))
        if proto == 3:
            a.call("HELLO", "3")
        a.call("WATCH", "k")
        if wait == "time":
            time.sleep(ttl_ms / 1000 + 0.01)     # the TTL has passed
        else:
            deadline = time.time() + 2
            # poll without touching the key until the expiry cycle removed it
            while time.time() < deadline and b.call("DBSIZE") != b":0\r\n":
                time.sleep(0.01)
        for cmd in touch:
            b.call(*cmd)
        return [a.call("MULTI"), a.call("PING"), a.call("EXEC")]
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("proto", [2, 3], ids=["resp2", "resp3"])
@pytest.mark.parametrize("touch", [[], [("GET", "k")], [("SET", "k", "new")]],
                         ids=["untouched", "read", "rewritten"])
def test_watched_key_expires(server, ref, proto, touch):
    """A watched key whose TTL passes before EXEC aborts the transaction however it goes
    away (the expiry cycle, a read meeting it, or a write replacing it)."""
    ours = expiry_scenario(server, proto, 30, "gone" if not touch else "time", touch)
    theirs = expiry_scenario(ref, proto, 30, "gone" if not touch else "time", touch)
    assert ours == theirs
    assert ours[-1] == ABORTED[proto]


@pytest.mark.parametrize("proto", [2, 3], ids=["resp2", "resp3"])
def test_watching_an_already_expired_key(server, ref, proto):
    """The key expired before WATCH (PXAT 1, nothing deleted it yet): WATCH sees it missing,
    so its deletion later does not count; a new value does."""
    for between, aborted in (([], False), ([("SET", "k", "new")], True)):
        ours = watch_then(server, proto, [("SET", "k", "v", "PXAT", "1")], between)
        theirs = watch_then(ref, proto, [("SET", "k", "v", "PXAT", "1")], between)
        assert ours == theirs
        assert ours[-1] == (ABORTED if aborted else RAN)[proto]


@pytest.mark.parametrize("proto", [2, 3], ids=["resp2", "resp3"])
def test_watched_expired_key_then_deleted_by_active_expiry(server, ref, proto):
    """WATCH a key that is already expired but still stored (SET PXAT 1 and WATCH in one
    write, so nothing deletes it in between); the active expiry cycle deletes it later: the
    deletion of a key that was expired when watched is no change, EXEC runs (as Redis)."""
    results = []
    for srv in (server, ref):
        a = srv.raw()
        try:
            a.call("FLUSHALL")
            if proto == 3:
                a.call("HELLO", "3")
            replies = a.pipeline([("SET", "k", "v", "PXAT", "1"), ("WATCH", "k")])
            deadline = time.monotonic() + 3
            while a.call("DBSIZE") != b":0\r\n" and time.monotonic() < deadline:
                time.sleep(0.02)                  # the active expiry cycle deletes it
            replies += [a.call("MULTI"), a.call("PING"), a.call("EXEC")]
            results.append(replies)
        finally:
            a.close()
    assert results[0] == results[1]
    assert results[0][-1] == RAN[proto]
