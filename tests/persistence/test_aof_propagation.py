"""What the AOF records for each write command, compared with redis-server 7.0.15's incr file.

The same script runs on a redis-server and on a pyredis-server, both with `appendonly yes`; the
recorded operations must match. Absolute times (PXAT, PEXPIREAT, RESTORE's TTL) are
compared as offsets from now, in whole minutes (the scripts use TTLs of 100 s and 1000 s).
"""
from __future__ import annotations

import time

import pytest

from tests import support

pytestmark = pytest.mark.skipif(support.redis_server_path() is None, reason="no redis-server")


def encode(args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def parse(data: bytes) -> list[list[bytes]]:
    i, ops = 0, []
    while i < len(data):
        assert data[i:i + 1] == b"*", (i, data[i:i + 40])
        j = data.index(b"\r\n", i)
        n, i = int(data[i + 1:j]), j + 2
        args = []
        for _ in range(n):
            j = data.index(b"\r\n", i)
            ln, i = int(data[i + 1:j]), j + 2
            args.append(data[i:i + ln])
            i += ln + 2
        ops.append(args)
    return ops


def normalise(ops, now_ms):
    out = []
    for op in ops:
        row = []
        for a in op:
            if a.isdigit() and now_ms - 10**7 < int(a) < now_ms + 10**8:
                row.append(("T+min", round((int(a) - now_ms) / 60000)))
            else:
                row.append(a)
        out.append(row)
    return out


def run_server(start, tmp_path, script):
    """Run script on a server started with the AOF on in tmp_path; its recorded operations."""
    tmp_path.mkdir(exist_ok=True)
    srv = start("--appendonly", "yes", "--dir", str(tmp_path))
    try:
        c = srv.raw()
        for args in script:
            c.call(*args)
        c.call("PING")
    finally:
        srv.stop()
    data = (tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof").read_bytes()
    return parse(data)


def run_redis(tmp_path, script):
    return run_server(support.start_redis, tmp_path / "redis", script)


def run_pyredis(tmp_path, script):
    return run_server(support.start_pyredis, tmp_path / "pyredis", script)


def compare(tmp_path, script):
    now = int(time.time() * 1000)
    ref = normalise(run_redis(tmp_path, script), now)
    ours = normalise(run_pyredis(tmp_path, script), now)
    assert ours == ref
    return ours


STRINGS = [
    ["SET", "a", "1", "EX", "100"], ["SET", "a2", "1", "PX", "1000000"],
    ["SET", "a3", "1", "EXAT", "4000000000"], ["SET", "a4", "1", "PXAT", "4000000000000"],
    ["SET", "a5", "1", "KEEPTTL"], ["SET", "a6", "1", "GET"], ["SET", "a7", "1", "EX", "100", "GET"],
    ["SET", "a7", "2", "XX", "GET"], ["SET", "a7", "3", "NX"], ["SET", "zz", "3", "XX"],
    ["SET", "a8", "1", "NX", "EX", "1000"],
    ["SETEX", "b", "100", "v"], ["PSETEX", "b2", "100000", "v"], ["SETNX", "b3", "v"],
    ["SETNX", "b3", "v"], ["GETSET", "b3", "w"],
    ["SET", "d", "x"], ["GETEX", "d", "EX", "100"], ["GETEX", "d", "PX", "1000000"],
    ["GETEX", "d", "EXAT", "4000000000"], ["GETEX", "d", "PXAT", "4000000000000"],
    ["GETEX", "d", "PERSIST"], ["GETEX", "d", "PERSIST"], ["GETEX", "d"], ["GETEX", "d", "EX", "0"],
    ["GETEX", "d", "EXAT", "1"], ["GETDEL", "d"], ["SET", "g", "1"], ["GETDEL", "g"],
    ["SET", "f", "1.5"], ["INCRBYFLOAT", "f", "1"], ["SET", "f2", "1.5", "EX", "100"],
    ["INCRBYFLOAT", "f2", "1"], ["INCRBYFLOAT", "f3", "0.1"], ["INCRBYFLOAT", "f3", "1e3"],
    ["SET", "f4", "3.0"], ["INCRBYFLOAT", "f4", "0"],
    ["INCR", "i"], ["INCRBY", "i", "0"], ["DECR", "i"], ["APPEND", "s", "x"], ["APPEND", "s", ""],
    ["APPEND", "s2", ""], ["SETRANGE", "s", "0", "y"], ["SETRANGE", "s", "0", ""],
    ["SETRANGE", "s3", "0", ""], ["MSET", "m1", "1", "m2", "2"], ["MSETNX", "m1", "1", "m3", "3"],
    ["MSETNX", "m4", "1", "m3", "3"],
]

KEYS = [
    ["SET", "b3", "v"], ["EXPIRE", "b3", "100"], ["PEXPIRE", "b3", "100000"],
    ["EXPIREAT", "b3", "4000000000"], ["PEXPIREAT", "b3", "4000000000000"],
    ["EXPIRE", "b3", "100", "NX"], ["EXPIRE", "b3", "200", "GT"], ["EXPIRE", "b3", "1000", "LT"],
    ["EXPIRE", "nokey", "100"], ["PERSIST", "b3"], ["PERSIST", "b3"], ["EXPIRE", "b3", "100", "XX"],
    ["EXPIRE", "b3", "-1"], ["SET", "c", "5"], ["EXPIRE", "c", "0"], ["SET", "c", "5"],
    ["EXPIREAT", "c", "1"], ["SET", "c", "5"], ["PEXPIREAT", "c", "0"], ["SET", "c", "5"],
    ["PEXPIRE", "c", "-5"],
    ["RPUSH", "sl", "3", "1", "2"], ["SORT", "sl", "STORE", "sl2"], ["SORT", "nol", "STORE", "sl3"],
    ["RPUSH", "ld", "x"], ["SORT", "nol", "STORE", "ld"], ["SORT", "sl"],
    ["COPY", "sl", "sl4"], ["MOVE", "sl4", "1"], ["RENAME", "sl", "sl5"], ["RENAMENX", "sl5", "sl2"],
    ["RENAME", "sl5", "sl5"], ["DEL", "nokey"], ["UNLINK", "nokey"], ["DEL", "sl5"],
    ["SELECT", "1"], ["SET", "x1", "1"], ["SELECT", "0"], ["SET", "x0", "1"],
]

COLLECTIONS = [
    ["HSET", "h", "f", "1"], ["HINCRBYFLOAT", "h", "f", "1.5"], ["HINCRBYFLOAT", "h", "f", "0"],
    ["HINCRBY", "h", "f", "0"], ["HSETNX", "h", "f", "2"], ["HSETNX", "h", "g", "2"],
    ["HDEL", "h", "nope"], ["HDEL", "h", "g"],
    ["SADD", "s2", "a"], ["SPOP", "s2"], ["SADD", "s3", "a", "b"], ["SPOP", "s3", "10"],
    ["SPOP", "s3", "0"], ["SRANDMEMBER", "s3"], ["SREM", "s1", "nope"], ["SADD", "sm", "a"],
    ["SMOVE", "sm", "sm", "a"], ["SMOVE", "nos", "sm", "a"],
    ["SADD", "dst", "x"], ["SUNIONSTORE", "dst", "nos"], ["SINTERSTORE", "s9", "nos", "nos2"],
    ["RPUSH", "l", "a", "b", "c", "d", "e"], ["LPOP", "l"], ["RPOP", "l", "2"],
    ["LMPOP", "1", "l", "LEFT", "COUNT", "1"], ["LMPOP", "2", "nol", "l", "RIGHT"],
    ["RPUSH", "l", "a", "b", "c"], ["BRPOP", "l", "1"], ["BLPOP", "nol", "l", "1"],
    ["BLMPOP", "1", "1", "l", "LEFT", "COUNT", "5"], ["RPUSH", "l", "a", "b", "c", "d"],
    ["LMPOP", "1", "l", "RIGHT", "COUNT", "10"], ["RPUSH", "l", "a", "b", "c"],
    ["BLMOVE", "l", "l2", "LEFT", "RIGHT", "1"], ["BRPOPLPUSH", "l", "l2", "1"],
    ["RPOPLPUSH", "l", "l2"], ["LMOVE", "l", "l2", "LEFT", "LEFT"], ["LPUSHX", "nol", "a"],
    ["LREM", "l2", "0", "zz"], ["LTRIM", "l2", "0", "-1"], ["LTRIM", "l2", "1", "-1"],
    ["LINSERT", "l2", "BEFORE", "zz", "x"], ["LSET", "l2", "0", "q"],
    ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ["ZPOPMIN", "z"],
    ["ZPOPMAX", "z", "1"], ["BZPOPMIN", "z", "1"], ["BZPOPMAX", "nz", "z", "1"],
    ["ZMPOP", "1", "z", "MIN", "COUNT", "5"], ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
    ["BZMPOP", "1", "1", "z", "MAX", "COUNT", "2"], ["ZINCRBY", "z", "1", "a"],
    ["ZADD", "z", "NX", "5", "a"], ["ZADD", "z", "GT", "0", "a"], ["ZADD", "z", "CH", "2", "a"],
    ["ZADD", "z", "INCR", "1", "a"], ["ZREM", "z", "nope"], ["ZREMRANGEBYSCORE", "z", "50", "60"],
    ["ZRANGESTORE", "z2", "z", "0", "-1"], ["ZRANGESTORE", "z3", "noz", "0", "-1"],
    ["ZUNIONSTORE", "z4", "1", "noz"], ["ZUNIONSTORE", "z2", "1", "noz"],
]


def test_strings(tmp_path):
    ops = compare(tmp_path, STRINGS)
    assert [b"SET", b"a", b"1", b"PXAT"] == ops[1][:4]


def test_keys_expire_and_moves(tmp_path):
    ops = compare(tmp_path, KEYS)
    assert [b"PEXPIREAT", b"b3", ("T+min", 2)] in ops


def test_collections(tmp_path):
    compare(tmp_path, COLLECTIONS)


def test_spop_records_srem_per_member(tmp_path):
    # the members are random: check the shape and that each SREM names a popped member
    members = [str(i) for i in range(20)]
    words = [f"w{i}" for i in range(20)]
    script = [["SADD", "si"] + members, ["SPOP", "si", "3"], ["SPOP", "si"],
              ["SADD", "sw"] + words, ["SPOP", "sw", "3"], ["SPOP", "sw", "15"]]
    ops = run_pyredis(tmp_path, script)
    ref = run_redis(tmp_path, script)

    def shape(ops):
        return [op[0] if op[0] != b"SREM" else (b"SREM", op[1]) for op in ops]
    assert shape(ops) == shape(ref)
    srems = [op for op in ops if op[0] == b"SREM"]
    assert len(srems) == 3 + 1 + 3 + 15
    assert len({(k, m) for _, k, m in srems}) == len(srems)


def test_restore_ttl_becomes_absolute(tmp_path):
    srv = support.start_redis()
    try:
        c = srv.client()
        c.set("k", "v")
        payload = c.dump("k")
    finally:
        srv.stop()
    assert isinstance(payload, bytes) and len(payload) > 10, payload
    script = [["RESTORE", "r1", "0", payload], ["RESTORE", "r2", "100000", payload],
              ["RESTORE", "r3", "4000000000000", payload, "ABSTTL"],
              ["RESTORE", "r4", "1", payload, "ABSTTL"],
              ["RESTORE", "r1", "100000", payload, "REPLACE", "IDLETIME", "10"],
              ["RESTORE", "r1", "0", payload, "REPLACE", "FREQ", "10"],
              ["RESTORE", "r3", "1", payload, "REPLACE", "ABSTTL"]]
    ops = compare(tmp_path, script)
    assert ops[2][-1] == b"ABSTTL" and ops[2][2] == ("T+min", 2)
    assert ops[-1] == [b"DEL", b"r3"]


TRANSACTIONS = [
    ["MULTI"], ["SET", "t1", "1"], ["INCR", "t1"], ["GET", "t1"], ["EXEC"],       # wrapped
    ["MULTI"], ["SET", "t2", "1"], ["GET", "t2"], ["EXEC"],                       # one write: bare
    ["MULTI"], ["GET", "t2"], ["EXEC"],                                           # nothing
    ["MULTI"], ["SELECT", "2"], ["SET", "t3", "1"], ["SELECT", "0"], ["SET", "t4", "1"], ["EXEC"],
    ["SET", "gone", "v", "PXAT", "1"], ["SET", "gone", "again"],   # expired inside a write
    ["SET", "gone2", "v", "PXAT", "1"], ["GET", "gone2"],          # expired inside a read
]


def test_transactions_and_expired_keys(tmp_path):
    """EXEC of several writes is recorded as MULTI ... EXEC, of one write bare; a key found
    expired by a write is recorded as MULTI, DEL, the write, EXEC; by a read as a bare DEL
    (the SET ... PXAT 1 and what follows are sent in one write, so the active expiry cycle
    cannot delete the key first)."""
    now = int(time.time() * 1000)
    results = []
    for start, sub in ((support.start_redis, "redis"), (support.start_pyredis, "pyredis")):
        d = tmp_path / sub
        d.mkdir()
        srv = start("--appendonly", "yes", "--dir", str(d))
        try:
            c = srv.raw()
            c.pipeline([tuple(cmd) for cmd in TRANSACTIONS])
            c.call("PING")
        finally:
            srv.stop()
        data = (d / "appendonlydir" / "appendonly.aof.1.incr.aof").read_bytes()
        results.append(normalise(parse(data), now))
    assert results[1] == results[0]
    assert [b"MULTI"] in results[1] and [b"DEL", b"gone2"] in results[1]


def test_blocked_pop_served_later_is_recorded_as_a_pop(tmp_path):
    """BLPOP that blocks, then is served by another connection's RPUSH: recorded as the RPUSH
    then an LPOP (as Redis), never as BLPOP."""
    results = []
    for start, sub in ((support.start_redis, "redis"), (support.start_pyredis, "pyredis")):
        d = tmp_path / sub
        d.mkdir()
        srv = start("--appendonly", "yes", "--dir", str(d))
        try:
            waiter, pusher = srv.raw(), srv.raw()
            waiter.send(encode(["BLPOP", "q", "0"]))
            deadline = time.monotonic() + 5
            while b"blocked_clients:1" not in pusher.call("INFO", "clients"):
                assert time.monotonic() < deadline
                time.sleep(0.01)
            pusher.call("RPUSH", "q", "x", "y")
            assert waiter.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"
            pusher.call("PING")
        finally:
            srv.stop()
        data = (d / "appendonlydir" / "appendonly.aof.1.incr.aof").read_bytes()
        results.append(parse(data))
    assert results[1] == results[0]
    assert [b"LPOP", b"q"] in results[1]
