"""RDB files (fastresp.rdb.save/load) against redis-server 7.0.15: files Redis writes load into a
Keyspace with the same keys, values, encodings and TTLs; files pyredis writes load in Redis;
corrupt or truncated files raise RdbError and leave the keyspace empty."""
import os
import random
import time

import pytest
import redis

from fastresp import rdb
from fastresp.keyspace import Keyspace
from tests import support

pytestmark = pytest.mark.skipif(support.redis_server_path() is None,
                                reason="redis-server is not installed")


def populate(port):
    """A dataset of every type and encoding in databases 0 and 3, some keys with a TTL."""
    c = redis.Redis(port=port)
    c.set("str:emb", "hello")
    c.set("str:int", "123456")
    c.set("str:neg", "-70000")
    c.set("str:bigint", "12345678901234")
    c.set("str:raw", "x" * 200)
    c.set("str:words", "lorem ipsum dolor sit amet " * 20)
    c.set("str:bin", bytes(range(256)))
    c.set("str:empty", "")
    c.rpush("list:small", "a", "1", "-5", "1000", "70000", "x" * 70, "12345678901",
            "-9223372036854775808", "9223372036854775807", "")
    c.rpush("list:ints", *range(3000))
    c.rpush("list:strs", *[f"value-{i}" for i in range(3000)])
    c.sadd("set:int", 1, 2, 3, -70000, 2 ** 40)
    c.sadd("set:bigint", *range(600))
    c.sadd("set:str", "a", "b", "c")
    c.hset("hash:lp", mapping={"f": "v", "n": 12, "neg": -4000, "big": "y" * 60})
    c.hset("hash:ht", mapping={f"f{i}": f"v{i}" for i in range(600)})
    c.hset("hash:long", mapping={"a": "z" * 100})
    c.zadd("zset:lp", {"a": 1, "b": 2.5, "c": -3, "d": 1e20, "e": float("inf"), "f": 0.1})
    c.zadd("zset:sl", {f"m{i}": i * 1.5 for i in range(200)})
    c.zadd("zset:long", {"q" * 100: 1})
    c.set("ttl:str", "v", px=500000)
    c.pexpire("list:small", 800000)
    c.pexpire("zset:sl", 900000)
    c3 = redis.Redis(port=port, db=3)
    c3.set("db3:k", "in db 3")
    c3.hset("db3:h", "a", "b")
    c3.set("db3:ttl", "t", ex=1000)


def snapshot(port, dbs=(0, 3)):
    """Every key of the given databases: (type, value, encoding, ttl bucket)."""
    out = {}
    for db in dbs:
        c = redis.Redis(port=port, db=db)
        for k in c.keys("*"):
            t = c.type(k).decode()
            if t == "string":
                v = c.get(k)
            elif t == "list":
                v = c.lrange(k, 0, -1)
            elif t == "set":
                v = sorted(c.smembers(k))
            elif t == "hash":
                v = sorted(c.hgetall(k).items())
            else:
                v = c.zrange(k, 0, -1, withscores=True)
            ttl = c.pttl(k)
            out[(db, k)] = (t, v, c.object("encoding", k), ttl if ttl < 0 else ttl // 10000)
    return out


def redis_save(compress=True, fill=populate):
    srv = support.start_redis("--rdbcompression", "yes" if compress else "no")
    try:
        fill(srv.port)
        c = redis.Redis(port=srv.port)
        assert c.save()
        with open(os.path.join(srv.dir, "dump.rdb"), "rb") as f:
            data = f.read()
        return data, snapshot(srv.port)
    finally:
        srv.stop()


def redis_load(path_dir, name):
    srv = support.start_redis("--dbfilename", name)
    return srv


@pytest.mark.parametrize("compress", [True, False], ids=["lzf", "plain"])
def test_redis_file_loads_and_our_file_loads_in_redis(tmp_path, compress):
    data, expected = redis_save(compress)
    src = tmp_path / "redis.rdb"
    src.write_bytes(data)
    ks = Keyspace()
    info = rdb.load(ks, str(src))
    assert info["keys"] == len(expected)
    assert info["aux"]["redis-ver"] == b"7.0.15"
    assert ks.dbsize(0) + ks.dbsize(3) == len(expected)
    assert ks.get(0, b"str:raw") == b"x" * 200
    assert ks.get(3, b"db3:k") == b"in db 3"
    # our save of what we loaded, read back by redis-server, holds the same dataset
    srv = support.ServerProcess([support.redis_server_path()], ())
    ours = os.path.join(srv.dir, "dump.rdb")
    written = rdb.save(ks, ours, compress=compress)
    assert written == os.path.getsize(ours)
    srv.start()
    try:
        assert snapshot(srv.port) == expected
    finally:
        srv.stop()
    # and our own load of our own file gives the same keyspace image again
    ks2 = Keyspace()
    rdb.load_bytes(ks2, rdb.save_bytes(ks, compress=compress))
    assert ks2.dbsize(0) == ks.dbsize(0) and ks2.dbsize(3) == ks.dbsize(3)


def test_dump_of_loaded_values_matches_redis(tmp_path):
    """Values loaded from Redis's file serialize to Redis's own DUMP bytes (deterministic
    encodings: strings, lists, intsets, listpacks, skiplists)."""
    srv = support.start_redis()
    try:
        populate(srv.port)
        c = redis.Redis(port=srv.port)
        c.save()
        ks = Keyspace()
        rdb.load(ks, os.path.join(srv.dir, "dump.rdb"))
        checked = 0
        for k in c.keys("*"):
            if c.object("encoding", k) == b"hashtable":
                continue
            assert rdb.dump_entry(ks, 0, k) == c.dump(k), k
            checked += 1
        assert checked >= 15
    finally:
        srv.stop()


def test_expired_keys_are_skipped(tmp_path):
    def fill(port):
        c = redis.Redis(port=port)
        c.set("gone", "v", px=150)
        c.set("stays", "v", px=100000)
        c.set("plain", "v")
    data, _ = redis_save(fill=fill)
    time.sleep(0.3)
    ks = Keyspace()
    info = rdb.load_bytes(ks, data)
    assert info["keys"] == 2 and info["expired_skipped"] == 1
    assert not ks.exists(0, b"gone") and ks.exists(0, b"stays")
    assert 90000 < ks.expire_at(0, b"stays") - int(time.time() * 1000) <= 100000


def test_checksum_off_file_loads_both_ways(tmp_path):
    ks = Keyspace()
    ks.set(0, b"a", b"1")
    ks.set(5, b"b", b"two")
    data = rdb.save_bytes(ks, checksum=False)
    assert data.endswith(b"\0" * 8)
    ks2 = Keyspace()
    assert rdb.load_bytes(ks2, data)["keys"] == 2
    srv = support.ServerProcess([support.redis_server_path()], ())
    with open(os.path.join(srv.dir, "dump.rdb"), "wb") as f:
        f.write(data)
    srv.start()
    try:
        assert redis.Redis(port=srv.port, db=5).get("b") == b"two"
    finally:
        srv.stop()


def test_corrupt_and_truncated_files_raise(tmp_path):
    data, expected = redis_save()
    rng = random.Random(5)
    positions = rng.sample(range(9, len(data)), 150)
    for pos in positions:
        bad = bytearray(data)
        bad[pos] ^= 1 << rng.randrange(8)
        ks = Keyspace()
        with pytest.raises(rdb.RdbError) as info:
            rdb.load_bytes(ks, bytes(bad))
        assert info.value.offset >= 0
        assert sum(ks.dbsize(i) for i in range(16)) == 0
    for cut in list(range(0, 40)) + rng.sample(range(40, len(data)), 100):
        ks = Keyspace()
        with pytest.raises(rdb.RdbError):
            rdb.load_bytes(ks, data[:cut])
        assert sum(ks.dbsize(i) for i in range(16)) == 0


def test_corrupt_values_without_checksum_never_crash():
    """With the checksum zeroed every flip reaches the value parsers: error or load, no crash."""
    data, _ = redis_save()
    body = data[:-8]
    rng = random.Random(7)
    outcomes = {"error": 0, "loaded": 0}
    for _ in range(400):
        bad = bytearray(body)
        for _ in range(rng.randrange(1, 4)):
            bad[rng.randrange(9, len(bad))] = rng.randrange(256)
        ks = Keyspace()
        try:
            rdb.load_bytes(ks, bytes(bad) + b"\0" * 8)
            outcomes["loaded"] += 1
        except rdb.RdbError:
            outcomes["error"] += 1
            assert sum(ks.dbsize(i) for i in range(16)) == 0
    assert outcomes["error"] > 0


def test_errors_name_the_problem():
    ks = Keyspace()
    ks.set(0, b"k", b"v")
    data = rdb.save_bytes(ks)
    with pytest.raises(rdb.RdbError, match="Wrong RDB checksum"):
        rdb.load_bytes(Keyspace(), data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(rdb.RdbError, match="Unexpected EOF"):
        rdb.load_bytes(Keyspace(), data[:-12])
    with pytest.raises(rdb.RdbError, match="Wrong signature"):
        rdb.load_bytes(Keyspace(), b"RUDIS0010" + data[9:])
    with pytest.raises(rdb.RdbError, match="version 11"):
        rdb.load_bytes(Keyspace(), b"REDIS0011" + data[9:])
    # a value of an unknown type (42) where the key/value pair starts
    i = data.index(b"\x00\x01k")
    bad = data[:i] + b"\x2a" + data[i + 1:-8] + b"\0" * 8
    with pytest.raises(rdb.RdbError, match="Unknown RDB encoding type 42"):
        rdb.load_bytes(Keyspace(), bad)


def test_crc64_and_lzf():
    assert rdb.crc64_of(b"123456789") == 0xe9c6d914c4b8d9ca
    rng = random.Random(3)
    for n in (21, 100, 5000, 70000):
        for data in (bytes(rng.randrange(4) for _ in range(n)), os.urandom(n), b"ab" * (n // 2)):
            comp = rdb.lzf_compress_bytes(data)
            assert comp is None or rdb.lzf_decompress_bytes(comp, len(data)) == data
    assert rdb.lzf_decompress_bytes(b"\xe0\xff\x00", 100) is None
