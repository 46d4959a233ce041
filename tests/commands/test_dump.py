"""DUMP and RESTORE against redis-server 7.0.15: byte-identical payloads where Redis is
deterministic, payloads restored both ways for every type and encoding, every option and error
byte for byte, and corrupt payloads that must give an error, never kill the server.

Runs its own pyredis-server with the DUMP/RESTORE group added when the command table does not
hold it yet (pyredis.commands.dump)."""
import random
import sys
import time

import pytest
import redis

from fastresp import rdb
from tests import support
from tests.persistence.test_rdb_files import populate

pytestmark = pytest.mark.skipif(support.redis_server_path() is None,
                                reason="redis-server is not installed")

LAUNCH = ("import pyredis.commands as C\n"
          "from pyredis.commands import dump\n"
          "if dump.group not in C.GROUPS: C.GROUPS = C.GROUPS + (dump.group,)\n"
          "from pyredis.cli import main\n"
          "main()\n")


@pytest.fixture(scope="module")
def ours():
    proc = support.ServerProcess([sys.executable, "-c", LAUNCH]).start()
    yield proc
    assert proc.alive(), proc.output()
    proc.stop()


@pytest.fixture
def pair(ours, ref):
    a, b = redis.Redis(port=ours.port), redis.Redis(port=ref.port)
    a.flushall()
    b.flushall()
    populate(ours.port)
    populate(ref.port)
    return a, b


def value(c, k):
    t = c.type(k).decode()
    if t == "string":
        return t, c.get(k)
    if t == "list":
        return t, c.lrange(k, 0, -1)
    if t == "set":
        return t, sorted(c.smembers(k))
    if t == "hash":
        return t, sorted(c.hgetall(k).items())
    return t, c.zrange(k, 0, -1, withscores=True)


def test_dump_is_byte_identical_to_redis(pair):
    a, b = pair
    keys = a.keys("*")
    assert sorted(keys) == sorted(b.keys("*"))
    compared = 0
    for k in keys:
        assert a.object("encoding", k) == b.object("encoding", k), k
        if a.object("encoding", k) == b"hashtable":
            continue       # hash table order differs between servers
        assert a.dump(k) == b.dump(k), k
        compared += 1
    assert compared >= 15
    assert a.dump("missing") is None


@pytest.mark.parametrize("direction", ["redis-to-ours", "ours-to-redis"])
def test_restore_across_servers(pair, direction):
    a, b = pair
    src, dst = (b, a) if direction == "redis-to-ours" else (a, b)
    for k in src.keys("*"):
        payload = src.dump(k)
        assert dst.restore(b"copy:" + k, 0, payload)
        assert value(dst, b"copy:" + k) == value(src, k), k
        assert dst.object("encoding", b"copy:" + k) == src.object("encoding", k), k
        if src.object("encoding", k) != b"hashtable":
            assert dst.dump(b"copy:" + k) == payload


def test_restore_uses_our_limits(ours, ref):
    """A listpack hash from Redis becomes a hash table when our limit is lower."""
    a, b = redis.Redis(port=ours.port), redis.Redis(port=ref.port)
    a.flushall()
    b.delete("h")
    b.hset("h", mapping={f"f{i}": i for i in range(10)})
    a.config_set("hash-max-listpack-entries", 4)
    try:
        a.restore("h", 0, b.dump("h"))
        assert a.object("encoding", "h") == b"hashtable"
        assert a.hgetall("h") == b.hgetall("h")
    finally:
        a.config_set("hash-max-listpack-entries", 512)


def test_options_and_errors_match_redis(ours, ref):
    ca, cb = ours.raw(), ref.raw()
    for c in (ca, cb):
        c.call("FLUSHALL")
        c.call("SET", "s", "hello")
        c.call("RPUSH", "l", "a", "b")
    good = redis.Redis(port=ref.port).dump("s")
    bad_crc = good[:-1] + bytes([good[-1] ^ 0xff])
    future = good[:-10] + b"\x0b\x00" + good[-8:]
    body = b"\x00\xc3" + good[2:-10]          # a string that claims LZF and is not
    crc = rdb.crc64_of(body + b"\x0a\x00")
    bad_format = body + b"\x0a\x00" + crc.to_bytes(8, "little")
    commands = [
        ("RESTORE", "s", "0", good),
        ("RESTORE", "s", "0", good, "REPLACE"),
        ("GET", "s"),
        ("RESTORE", "n", "-1", good),
        ("RESTORE", "n", "abc", good),
        ("RESTORE", "n", "0", bad_crc),
        ("RESTORE", "n", "0", future),
        ("RESTORE", "n", "0", b"short"),
        ("RESTORE", "n", "0", bad_format),
        ("RESTORE", "n", "0", good, "BOGUS"),
        ("RESTORE", "n", "0", good, "IDLETIME"),
        ("RESTORE", "n", "0", good, "IDLETIME", "-1"),
        ("RESTORE", "n", "0", good, "IDLETIME", "x"),
        ("RESTORE", "n", "0", good, "FREQ", "256"),
        ("RESTORE", "n", "0", good, "FREQ", "-1"),
        ("RESTORE", "n", "0", good, "IDLETIME", "10", "FREQ", "5"),
        ("RESTORE", "n", "0", good, "FREQ", "5", "IDLETIME", "10"),
        ("RESTORE", "n", "0", good, "IDLETIME", "100", "REPLACE", "ABSTTL"),
        ("EXISTS", "n"),
        ("RESTORE", "old", "1000", good, "ABSTTL"),      # already expired: OK, no key
        ("EXISTS", "old"),
        ("RESTORE", "l", "1000", good, "ABSTTL", "REPLACE"),  # replaced then gone
        ("EXISTS", "l"),
        ("RESTORE", "t", "100000", good),
        ("RESTORE",),
        ("DUMP",),
        ("DUMP", "a", "b"),
        ("DUMP", "nokey"),
    ]
    for cmd in commands:
        assert ca.call(*cmd) == cb.call(*cmd), cmd
    for c in (ca, cb):
        ttl = int(c.call("PTTL", "t")[1:-2])
        assert 90000 < ttl <= 100000


def test_ttl_idletime_freq(ours):
    a = redis.Redis(port=ours.port)
    a.flushall()
    a.set("s", "v")
    payload = a.dump("s")
    when = int(time.time() * 1000) + 50000
    a.restore("abs", when, payload, absttl=True)
    assert a.pexpiretime("abs") == when
    a.restore("idle", 0, payload, idletime=1000)
    assert a.object("idletime", "idle") >= 1000
    a.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        a.restore("hot", 0, payload, frequency=100)
        assert a.object("freq", "hot") == 100
    finally:
        a.config_set("maxmemory-policy", "noeviction")


def test_restore_event_and_watch(ours):
    a = redis.Redis(port=ours.port)
    a.flushall()
    a.set("src", "v")
    payload = a.dump("src")
    a.config_set("notify-keyspace-events", "KEA")
    try:
        p = a.pubsub()
        p.psubscribe("__key*__:*")
        p.get_message(timeout=1)
        a.restore("k", 0, payload)
        msgs = []
        deadline = time.time() + 2
        while len(msgs) < 2 and time.time() < deadline:
            m = p.get_message(timeout=0.2)
            if m and m["type"] == "pmessage":
                msgs.append((m["channel"], m["data"]))
        assert msgs == [(b"__keyspace@0__:k", b"restore"), (b"__keyevent@0__:restore", b"k")]
        p.close()
    finally:
        a.config_set("notify-keyspace-events", "")
    pipe = a.pipeline()
    w = redis.Redis(port=ours.port)
    with w.pipeline() as tx:
        tx.watch("k")
        a.restore("k", 0, payload, replace=True)
        tx.multi()
        tx.get("k")
        with pytest.raises(redis.WatchError):
            tx.execute()
    del pipe


def test_corrupt_payloads_never_kill_the_server(ours, ref):
    """Random flips with a recomputed checksum reach the value parsers: every reply is OK or
    "Bad data format", and the server keeps answering."""
    a, b = redis.Redis(port=ours.port), redis.Redis(port=ref.port)
    b.flushall()
    populate(ref.port)
    payloads = [b.dump(k) for k in b.keys("*")]
    rng = random.Random(11)
    raw = ours.raw()
    results = {"ok": 0, "error": 0}
    for i in range(1500):
        p = bytearray(rng.choice(payloads)[:-10])
        for _ in range(rng.randrange(1, 4)):
            j = rng.randrange(len(p))
            p[j] = rng.randrange(256) if rng.random() < 0.7 else p[j] ^ (1 << rng.randrange(8))
        if rng.random() < 0.2:
            p = p[:rng.randrange(1, len(p) + 1)]
        p = bytes(p) + b"\x0a\x00"
        p += rdb.crc64_of(p).to_bytes(8, "little")
        reply = raw.call("RESTORE", f"fz{i}", "0", p)
        if reply == b"+OK\r\n":
            results["ok"] += 1
        else:
            assert reply == b"-ERR Bad data format\r\n", reply
            results["error"] += 1
    assert results["error"] > 100
    assert raw.call("PING") == b"+PONG\r\n"
    assert ours.alive()
    # restored survivors are readable
    for k in a.keys("fz*")[:200]:
        value(a, k)
