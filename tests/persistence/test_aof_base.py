"""The AOF base written as commands (`aof-use-rdb-preamble no`): appendonly.aof.N.base.aof holds
SELECT, SET, RPUSH / SADD / ZADD / HMSET (64 elements a command) and PEXPIREAT, as redis-server
7.0.15 writes it. Checked against redis-server's own base file for the same dataset, loaded both
ways between the two servers, and through pyredis-check-aof / redis-check-aof.

The writer itself (fastresp.aofbase.save_aof / save_aof_bytes) is tested in process, and through the
server's BGREWRITEAOF, first base and CONFIG SET appendonly yes.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from fastresp import aofbase, rdb
from fastresp.keyspace import Keyspace
from tests import support

NEEDS_REDIS = pytest.mark.skipif(support.redis_server_path() is None, reason="no redis-server")


PER_CMD = 64
DBS = (0, 2, 15)
BIN_KEY = b"bin\x00\r\n\xff key"
BIN_VAL = bytes(range(256)) + b"\r\n$3\r\n*"
SCORES = [0.1, -0.0, 1e300, 5e-324, 1 / 3, float("inf"), float("-inf"), 2.0 ** 53 + 2, -7, 12]


# ----- the dataset ---------------------------------------------------------------------------

def fill(c, when_ms: int) -> None:
    """Every type in every encoding, binary data, three databases, absolute TTLs (when_ms + k),
    so that two servers filled with it hold exactly the same data."""
    c.execute_command("SELECT", 0)
    p = c.pipeline(transaction=False)
    p.set("str", "v")
    p.set("embstr44", "e" * 44)
    p.set("raw", "r" * 1000)
    p.set("int", 12345)
    p.set("neg", -5)
    p.set("maxint", 2 ** 63 - 1)
    p.set("minint", -2 ** 63)
    for k, v in (("notint1", "007"), ("notint2", " 12"), ("notint3", "-0"), ("empty", "")):
        p.set(k, v)
    p.set(BIN_KEY, BIN_VAL)
    p.rpush("list", *range(10))
    p.rpush("list64", *[f"x{i}" for i in range(64)])
    p.rpush("list65", *[f"y{i}" for i in range(65)])
    p.rpush("biglist", *[f"e{i}" for i in range(300)])
    p.rpush("hugeelems", "a" * 10000, "b", "c" * 70000, -3, BIN_VAL)
    p.sadd("iset", 1, 2, 3, -40000, 2 ** 40)
    p.sadd("iset600", *range(600))                            # past 512: hashtable
    p.sadd("set", "a", "b", BIN_VAL)
    p.sadd("bigset", *[f"m{i}" for i in range(200)])
    p.zadd("zset", {f"s{i}": s for i, s in enumerate(SCORES)})
    p.zadd("zlong", {"l" * 100: 1, "short": 2})                # member past 64 bytes: skiplist
    p.zadd("bigzset", {f"z{i}": (i * 7919 % 1000) / 7 for i in range(300)})
    p.zadd("bigzinf", {**{f"q{i}": i for i in range(150)}, "pinf": float("inf"),
                       "ninf": float("-inf")})
    p.hset("hash", mapping={"a": 1, "b": "two", BIN_KEY: BIN_VAL})
    p.hset("hashlongval", mapping={"f": "v" * 100})            # value past 64 bytes: hashtable
    p.hset("bighash", mapping={f"f{i}": i for i in range(200)})
    p.hset("hash64", mapping={f"g{i}": i for i in range(64)})
    for i, k in enumerate(("str", "int", "biglist", "iset600", "bigset", "bigzset", "zset",
                           "hash", "bighash", BIN_KEY)):
        p.pexpireat(k, when_ms + i)
    p.execute()
    for db in DBS[1:]:
        c.execute_command("SELECT", db)
        c.set(f"in{db}", db)
        c.rpush(f"list{db}", *range(70))
        c.hset(f"h{db}", mapping={"x": 1})
        c.pexpireat(f"in{db}", when_ms + 100 + db)
    c.execute_command("SELECT", 0)


def dataset(c) -> dict:
    """(db, key) -> (type, value, absolute expiry ms, encoding)."""
    return support.dataset(c, dbs=DBS, exact_scores=True,
                           extra=lambda c, k: (c.execute_command("PEXPIRETIME", k),
                                               c.object("encoding", k)))


# ----- reading a base file -------------------------------------------------------------------

def parse_aof(data: bytes):
    """(#TS seconds or None, [command argument lists]) of a file of RESP commands."""
    ts = None
    cmds = []
    pos = 0
    while pos < len(data):
        if data[pos:pos + 1] == b"#":
            end = data.index(b"\r\n", pos)
            line = data[pos:end]
            assert line.startswith(b"#TS:") and pos == 0, line
            ts = int(line[4:])
            pos = end + 2
            continue
        assert data[pos:pos + 1] == b"*", (pos, data[pos:pos + 20])
        end = data.index(b"\r\n", pos)
        n = int(data[pos + 1:end])
        pos = end + 2
        args = []
        for _ in range(n):
            assert data[pos:pos + 1] == b"$"
            end = data.index(b"\r\n", pos)
            ln = int(data[pos + 1:end])
            args.append(data[end + 2:end + 2 + ln])
            assert data[end + 2 + ln:end + 4 + ln] == b"\r\n"
            pos = end + 4 + ln
        cmds.append(args)
    return ts, cmds


def by_key(cmds) -> dict:
    """(db, key) -> its commands in file order; checks SELECT comes once per db, before its
    keys, and that a key's commands are contiguous with PEXPIREAT last."""
    out = {}
    db = None
    seen_dbs = []
    last = None
    for cmd in cmds:
        name = cmd[0].upper()
        if name == b"SELECT":
            db = int(cmd[1])
            assert db not in seen_dbs
            seen_dbs.append(db)
            last = None
            continue
        assert db is not None, "a command before the first SELECT"
        key = (db, cmd[1])
        if key != last:
            assert key not in out, f"commands of {key} are not contiguous"
            out[key] = []
            last = key
        else:
            assert out[key][-1][0] != b"PEXPIREAT", f"PEXPIREAT of {key} is not last"
        out[key].append([name] + cmd[1:])
    return out


def normalised(cmds) -> dict:
    """Per key: what must agree between two servers writing the same dataset. Lists: the exact
    RPUSH commands; strings and TTLs: exact; sets/hashes/sorted sets (hash-table order differs):
    the command name, the sizes of the commands, and the sorted elements (pairs)."""
    out = {}
    for key, kc in by_key(cmds).items():
        norm = []
        body = [c for c in kc if c[0] != b"PEXPIREAT"]
        names = {c[0] for c in body}
        assert len(names) == 1, kc
        name = names.pop()
        if name in (b"SET", b"RPUSH"):
            norm.append(body)
        else:
            step = 2 if name in (b"ZADD", b"HMSET") else 1
            items = []
            for c in body:
                args = c[2:]
                if name == b"ZADD":
                    items += [(args[i + 1], args[i]) for i in range(0, len(args), 2)]
                elif step == 2:
                    items += [(args[i], args[i + 1]) for i in range(0, len(args), 2)]
                else:
                    items += args
            norm.append((name, sorted(len(c) for c in body), sorted(items)))
        norm.append([c for c in kc if c[0] == b"PEXPIREAT"])
        out[key] = norm
    return out


def check_chunks(kc, per: int) -> None:
    """A value's commands: every one full (64 elements) but the last, none empty."""
    body = [c for c in kc if c[0] != b"PEXPIREAT"]
    sizes = [(len(c) - 2) // per for c in body]
    assert all(s == PER_CMD for s in sizes[:-1]) and 1 <= sizes[-1] <= PER_CMD, sizes
    assert all((len(c) - 2) % per == 0 for c in body)


def expected_commands(data: dict) -> dict:
    """(db, key) -> the command sizes and elements a base of `data` (from dataset()) holds."""
    out = {}
    for (db, k), (t, val, when, _enc) in data.items():
        if t == b"string":
            kc = [[b"SET", k, val]]
        else:
            name = {b"list": b"RPUSH", b"set": b"SADD", b"zset": b"ZADD", b"hash": b"HMSET"}[t]
            n = len(val)
            sizes = [PER_CMD] * (n // PER_CMD) + ([n % PER_CMD] if n % PER_CMD else [])
            kc = (name, sizes, val)
        out[(db, k)] = (kc, when)
    return out


def assert_base_matches(cmds, data: dict) -> None:
    """The base's commands rebuild exactly `data` (values, chunking, TTLs)."""
    keyed = by_key(cmds)
    assert set(keyed) == set(data)
    for key, (exp, when) in expected_commands(data).items():
        kc = keyed[key]
        body = [c for c in kc if c[0] != b"PEXPIREAT"]
        ttl = [c for c in kc if c[0] == b"PEXPIREAT"]
        assert ttl == ([] if when == -1 else [[b"PEXPIREAT", key[1], str(when).encode()]]), key
        if isinstance(exp, list):
            assert body == exp, key
            continue
        name, sizes, val = exp
        assert {c[0] for c in body} == {name}, key
        per = 2 if name in (b"ZADD", b"HMSET") else 1
        check_chunks(kc, per)
        assert [(len(c) - 2) // per for c in body] == sizes, key
        args = [a for c in body for a in c[2:]]
        if name == b"RPUSH":
            assert args == val, key
        elif name == b"SADD":
            assert sorted(args) == val, key
        elif name == b"HMSET":
            assert sorted(zip(args[::2], args[1::2])) == val, key
        else:
            # ZADD score member: the scores as %.17g, so they read back as the same doubles
            got = sorted((m, float(s)) for s, m in zip(args[::2], args[1::2]))
            assert got == sorted((m, float(s)) for m, s in val), key


# ----- servers -------------------------------------------------------------------------------

def start(kind, d, *extra):
    fn = support.start_pyredis if kind == "pyredis" else support.start_redis
    return fn("--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--dir", str(d), *extra)


def rewrite(srv, c) -> str:
    """BGREWRITEAOF and wait for the new manifest; the base file's path."""
    last_dir = len(srv.argv) - 1 - srv.argv[::-1].index("--dir")
    d = os.path.join(srv.argv[last_dir + 1], "appendonlydir")
    before = open(os.path.join(d, "appendonly.aof.manifest")).read()
    c.bgrewriteaof()
    deadline = time.time() + 20
    while time.time() < deadline:
        info = c.info("persistence")
        now = open(os.path.join(d, "appendonly.aof.manifest")).read()
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"] \
                and now != before:
            break
        time.sleep(0.02)
    assert c.info("persistence")["aof_last_bgrewrite_status"] == "ok"
    base = [ln.split()[1] for ln in now.splitlines() if ln.endswith("type b")]
    assert len(base) == 1
    return os.path.join(d, base[0])


def kill9(srv) -> None:
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.stop()


def when_ms() -> int:
    return int(time.time() * 1000) + 3_600_000


# ----- the writer in process (no server switch needed) -------------------------------------

def test_writer_in_process_chunks_ttls_expired_and_timestamp(tmp_path):
    ks = Keyspace(16)
    assert aofbase.save_aof_bytes(ks) == b""
    now = int(time.time() * 1000)
    ks.set(0, b"a", b"1")
    ks.set(0, b"gone", b"x")
    ks.pexpireat(0, b"gone", now - 1000)                 # expired, not yet deleted
    ks.set(0, b"ttl", b"y")
    ks.pexpireat(0, b"ttl", now + 50_000)
    ks.set(3, b"k3", BIN_VAL)
    assert ks.dbsize(0) == 3                             # "gone" still there
    data = aofbase.save_aof_bytes(ks)
    ts, cmds = parse_aof(data)
    assert ts is None
    assert by_key(cmds) == {
        (0, b"a"): [[b"SET", b"a", b"1"]],
        (0, b"ttl"): [[b"SET", b"ttl", b"y"], [b"PEXPIREAT", b"ttl", str(now + 50_000).encode()]],
        (3, b"k3"): [[b"SET", b"k3", BIN_VAL]]}
    t0 = int(time.time())
    ts, cmds2 = parse_aof(aofbase.save_aof_bytes(ks, timestamp=True))
    assert t0 - 1 <= ts <= time.time() + 1 and cmds2 == cmds
    # the file writer gives the same bytes, big elements (written past the buffer) included
    ks.set(1, b"big", b"B" * 3_000_000)
    ks.set(1, b"small", b"s")
    data = aofbase.save_aof_bytes(ks)
    path = str(tmp_path / "base.aof")
    assert aofbase.save_aof(ks, path) == len(data)
    assert open(path, "rb").read() == data
    assert by_key(parse_aof(data)[1])[(1, b"big")] == [[b"SET", b"big", b"B" * 3_000_000]]


@NEEDS_REDIS
def test_same_commands_as_redis_for_the_same_dataset(tmp_path):
    """redis-server 7.0.15 fills the dataset, SAVEs an RDB and rewrites its AOF as commands;
    pyredis's writer, given the keyspace loaded from that RDB, writes the same commands per key
    (sorted where the order is hash-table order)."""
    srv = start("redis", tmp_path, "--aof-timestamp-enabled", "yes")
    try:
        c = srv.client()
        fill(c, when_ms())
        theirs = open(rewrite(srv, c), "rb").read()
        c.save()
        ks = Keyspace(16)
        rdb.load(ks, str(tmp_path / "dump.rdb"))
    finally:
        srv.stop()
    ts_r, cmds_r = parse_aof(theirs)
    ts_p, cmds_p = parse_aof(aofbase.save_aof_bytes(ks, timestamp=True))
    assert ts_r is not None and abs(ts_p - ts_r) <= 5
    assert normalised(cmds_p) == normalised(cmds_r)
    # and both chunk every aggregate at 64 elements
    for kc in by_key(cmds_p).values():
        if kc[0][0] != b"SET":
            check_chunks(kc, 2 if kc[0][0] in (b"ZADD", b"HMSET") else 1)


def test_a_million_keys_in_a_few_seconds(tmp_path):
    ks = Keyspace(16)
    blob_dir = tmp_path / "src"
    blob_dir.mkdir()
    if support.redis_server_path() is None:
        pytest.skip("no redis-server to build the dataset")
    srv = support.start_redis("--dir", str(blob_dir), "--enable-debug-command", "yes")
    try:
        c = srv.client()
        c.execute_command("DEBUG", "POPULATE", 1_000_000)
        c.save()
    finally:
        srv.stop()
    rdb.load(ks, str(blob_dir / "dump.rdb"))
    t = time.perf_counter()
    n = aofbase.save_aof(ks, str(tmp_path / "base.aof"))
    took = time.perf_counter() - t
    assert took < 3.0, took
    assert n == os.path.getsize(tmp_path / "base.aof") > 1_000_000 * 30
    with open(tmp_path / "base.aof", "rb") as f:
        head = f.read(200)
    assert head.startswith(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n")


# ----- through the server (needs the _write_base switch) ------------------------------------

def test_rewrite_writes_commands_and_restart_after_kill9(tmp_path):
    srv = start("pyredis", tmp_path)
    try:
        c = srv.client()
        fill(c, when_ms())
        before = dataset(c)
        base = rewrite(srv, c)
        assert os.path.basename(base) == "appendonly.aof.2.base.aof"
        ts, cmds = parse_aof(open(base, "rb").read())
        assert ts is None
        assert_base_matches(cmds, before)
        assert sorted(os.listdir(tmp_path / "appendonlydir")) == [
            "appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]
        c.set("after", "rewrite")                        # into the new incr file
        c.pexpireat("after", when_ms())
        c.delete("bigset")
        before = dataset(c)
        kill9(srv)
        srv = start("pyredis", tmp_path)
        assert dataset(srv.client()) == before
    finally:
        srv.stop()


def test_timestamp_annotation_and_first_base(tmp_path):
    """aof-timestamp-enabled yes: the base starts with #TS:<seconds>; the first start's base
    is a (commands) .base.aof too, and loads."""
    srv = start("pyredis", tmp_path, "--aof-timestamp-enabled", "yes")
    try:
        c = srv.client()
        first = (tmp_path / "appendonlydir" / "appendonly.aof.1.base.aof").read_bytes()
        assert first.startswith(b"#TS:") and first.endswith(b"\r\n")     # as redis-server's
        assert parse_aof(first)[1] == []
        c.set("k", "v")
        t0 = int(time.time())
        data = open(rewrite(srv, c), "rb").read()
        assert data.startswith(b"#TS:")
        ts, cmds = parse_aof(data)
        assert t0 - 1 <= ts <= time.time() + 1
        assert cmds == [[b"SELECT", b"0"], [b"SET", b"k", b"v"]]
        kill9(srv)
        srv = start("pyredis", tmp_path)
        assert srv.client().get("k") == b"v"
    finally:
        srv.stop()


def test_config_set_appendonly_writes_a_commands_base(tmp_path):
    srv = support.start_pyredis("--dir", str(tmp_path), "--aof-use-rdb-preamble", "no")
    try:
        c = srv.client()
        fill(c, when_ms())
        before = dataset(c)
        c.config_set("appendonly", "yes")
        deadline = time.time() + 20
        while time.time() < deadline and "finished successfully" not in srv.log():
            time.sleep(0.05)
        base = tmp_path / "appendonlydir" / "appendonly.aof.1.base.aof"
        assert_base_matches(parse_aof(base.read_bytes())[1], before)
        kill9(srv)
        srv = start("pyredis", tmp_path)
        assert dataset(srv.client()) == before
    finally:
        srv.stop()


@NEEDS_REDIS
def test_interop_both_ways_and_check_aof(tmp_path):
    """Each server rewrites the same dataset with preamble no; both bases hold the same
    commands per key; the check tools accept pyredis's set; then each server loads the
    other's directory and holds the dataset, key by key with TTLs (and encodings)."""
    pd, rd = tmp_path / "p", tmp_path / "r"
    pd.mkdir()
    rd.mkdir()
    when = when_ms()
    ps, rs = start("pyredis", pd), start("redis", rd)
    try:
        pc, rc = ps.client(), rs.client()
        fill(pc, when)
        fill(rc, when)
        want = dataset(rc)
        assert dataset(pc) == want
        pbase, rbase = rewrite(ps, pc), rewrite(rs, rc)
        assert os.path.basename(pbase) == os.path.basename(rbase) == "appendonly.aof.2.base.aof"
        assert normalised(parse_aof(open(pbase, "rb").read())[1]) == \
            normalised(parse_aof(open(rbase, "rb").read())[1])
        pc.set("tail", "p")
        rc.set("tail", "p")
        want = dataset(rc)
    finally:
        kill9(ps)
        kill9(rs)
    man = str(pd / "appendonlydir" / "appendonly.aof.manifest")
    r = subprocess.run([sys.executable, "-m", "pyredis.persistence.check_aof", man],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    assert "Start to check BASE AOF (AOF format)." in r.stdout
    assert "All AOF files and manifest are valid" in r.stdout
    checker = shutil.which("redis-check-aof")
    if checker:
        r = subprocess.run([checker, man], capture_output=True, text=True)
        assert r.returncode == 0 and "All AOF files and manifest are valid" in r.stdout, r.stdout
    # swap: pyredis on redis's directory, redis-server on pyredis's
    ps, rs = start("pyredis", rd), start("redis", pd)
    try:
        assert dataset(ps.client()) == want
        assert dataset(rs.client()) == want
    finally:
        ps.stop()
        rs.stop()
