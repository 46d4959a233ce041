"""A Redis 6 style single-file AOF (dir/appendonly.aof, no appendonlydir) started with
`appendonly yes`: redis-server 7.0.15 migrates it into the multi-part layout (the file becomes the
base `appendonlydir/appendonly.aof`, a manifest names it, a new incr file follows) and pyredis must
do the same. Each case runs on both servers from identical copies and compares the dataset, the
files and the manifest after start, the log lines, and a restart of each."""
import os
import signal
import time

import pytest

from tests import support

pytestmark = pytest.mark.skipif(support.redis_server_path() is None, reason="no redis-server")

KINDS = ("pyredis", "redis")
MIGRATED = ("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory "
            "(appendonlydir).")


def resp(*cmds) -> bytes:
    return b"".join(support.encode(*c) for c in cmds)


def plain() -> bytes:
    """A Redis 6 style RESP file (its PEXPIREAT is an hour from now)."""
    return resp(("SELECT", "0"), ("SET", "s", "v"), ("RPUSH", "l", "a", "b", "c"),
                ("HSET", "h", "f", "1"), ("SADD", "set", "1", "2"), ("ZADD", "z", "1.5", "m"),
                ("PEXPIREAT", "s", str(int(time.time() * 1000) + 3_650_000)),
                ("MULTI",), ("INCR", "n"), ("INCR", "n"), ("EXEC",),
                ("SELECT", "3"), ("SET", "in3", "x"), ("DEL", "nosuch"))


TAIL = resp(("SELECT", "0"), ("SET", "tail", "t"), ("LPUSH", "rl", "z"), ("SELECT", "5"),
            ("SET", "in5", "y"))


def start(kind, d, *extra):
    fn = support.start_pyredis if kind == "pyredis" else support.start_redis
    return fn("--dir", str(d), *extra)


def try_start(kind, d, *extra):
    try:
        return start(kind, d, *extra), ""
    except RuntimeError as exc:
        return None, str(exc)


def dataset(srv):
    c = srv.client()
    try:
        return support.dataset(c, extra=lambda c, k: (c.ttl(k) if c.ttl(k) < 0 else
                                                      c.ttl(k) // 100,))
    finally:
        c.close()


def files(d):
    """{relative path: size} of everything but the log (which lives in the server's own dir)."""
    out = {}
    for root, _dirs, names in os.walk(d):
        for n in names:
            p = os.path.join(root, n)
            out[os.path.relpath(p, d)] = os.path.getsize(p)
    return out


def manifest(d):
    p = os.path.join(d, "appendonlydir", "appendonly.aof.manifest")
    return open(p).read() if os.path.exists(p) else None


@pytest.fixture(scope="module")
def redis_dump(tmp_path_factory):
    """dump.rdb bytes written by redis-server 7.0.15 (SAVE), the RDB preamble of a Redis 6 file."""
    d = tmp_path_factory.mktemp("dump")
    srv = support.start_redis("--dir", str(d))
    try:
        c = srv.client()
        c.set("x", "1")
        c.rpush("rl", *range(20))
        c.hset("rh", mapping={"a": "1", "b": "2"})
        c.set("rttl", "v", ex=5050)
        c.execute_command("SELECT", 2)
        c.sadd("rs", "p", "q")
        c.save()
    finally:
        srv.stop()
    return (d / "dump.rdb").read_bytes()


def both(tmp_path, content, *extra, setup=None):
    """Start each server on its own copy of dir/appendonly.aof = content; returns
    {kind: (server or None, error, dir)}."""
    out = {}
    for kind in KINDS:
        d = tmp_path / kind
        d.mkdir()
        if content is not None:
            (d / "appendonly.aof").write_bytes(content)
        if setup:
            setup(d)
        srv, err = try_start(kind, d, *extra)
        out[kind] = (srv, err, d)
    return out


def stop_all(runs):
    for srv, _err, _d in runs.values():
        if srv is not None:
            srv.stop()


def check_migrated(runs, base_size):
    """Both started, same dataset, same files and manifest; returns the dataset."""
    (ours, err_o, dp), (ref, err_r, dr) = runs["pyredis"], runs["redis"]
    assert ours is not None, err_o
    assert ref is not None, err_r
    want = dataset(ref)
    assert dataset(ours) == want
    assert files(dp) == files(dr) == {
        "appendonlydir/appendonly.aof": base_size,
        "appendonlydir/appendonly.aof.1.incr.aof": 0,
        "appendonlydir/appendonly.aof.manifest": 77}
    assert manifest(dp) == manifest(dr) == ("file appendonly.aof seq 1 type b\n"
                                            "file appendonly.aof.1.incr.aof seq 1 type i\n")
    for srv in (ours, ref):
        log = srv.log()
        assert MIGRATED in log
        assert "Creating AOF incr file appendonly.aof.1.incr.aof on server start" in log
    return want


def restart_both(runs, want):
    """Write one more key on each, stop (SIGTERM), start again: the same dataset on both."""
    again = {}
    for kind, (srv, _err, d) in runs.items():
        c = srv.client()
        c.set("after-upgrade", kind == "pyredis" and "same" or "same")
        c.close()
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(10) == 0
        srv2 = start(kind, d, "--appendonly", "yes")
        try:
            again[kind] = dataset(srv2)
            log = srv2.log()
            assert MIGRATED not in log
            assert "Opening AOF incr file appendonly.aof.1.incr.aof on server start" in log
        finally:
            srv2.stop()
    want = dict(want)
    want[(0, b"after-upgrade")] = (b"string", b"same", -1)
    assert again["pyredis"] == again["redis"] == want


def test_plain_resp_file(tmp_path):
    content = plain()
    runs = both(tmp_path, content, "--appendonly", "yes")
    try:
        want = check_migrated(runs, len(content))
        assert want[(0, b"n")] == (b"string", b"2", -1)
        assert want[(3, b"in3")] == (b"string", b"x", -1)
        assert want[(0, b"s")][2] == 36
        for srv, _e, _d in runs.values():
            assert "DB loaded from base file appendonly.aof:" in srv.log()
        restart_both(runs, want)
    finally:
        stop_all(runs)


@pytest.mark.parametrize("tail", [True, False], ids=["preamble+tail", "rdb-only"])
def test_rdb_preamble_file(tmp_path, redis_dump, tail):
    """A Redis 6 file written with aof-use-rdb-preamble: an RDB image, then (usually) commands.
    Both servers load both parts and log Redis's preamble lines."""
    content = redis_dump + (TAIL if tail else b"")
    runs = both(tmp_path, content, "--appendonly", "yes")
    try:
        want = check_migrated(runs, len(content))
        assert want[(0, b"x")] == (b"string", b"1", -1)
        assert want[(2, b"rs")] == (b"set", [b"p", b"q"], -1)
        assert ((0, b"tail") in want) == tail
        if tail:
            assert want[(0, b"rl")][1][0] == b"z" and want[(5, b"in5")][1] == b"y"
        for srv, _e, _d in runs.values():
            log = srv.log()
            lines = ["Reading RDB preamble from AOF file...", "Done loading RDB, keys loaded: 5,",
                     "Reading the remaining AOF tail...",
                     "DB loaded from base file appendonly.aof:"]
            pos = [log.find(ln) for ln in lines]
            assert -1 not in pos and pos == sorted(pos), log
            assert "RDB is base AOF" not in log
        restart_both(runs, want)
    finally:
        stop_all(runs)


def test_empty_file(tmp_path):
    runs = both(tmp_path, b"", "--appendonly", "yes")
    try:
        assert check_migrated(runs, 0) == {}
        for srv, _e, _d in runs.values():
            assert "DB loaded from base file" not in srv.log()
        restart_both(runs, {})
    finally:
        stop_all(runs)


def test_torn_old_file_is_truncated(tmp_path):
    """The migrated file is the only one of the set, so a torn tail is truncated as usual."""
    torn = plain() + support.encode("SET", "torn", "value")[:-4]
    runs = both(tmp_path, torn, "--appendonly", "yes")
    try:
        want = check_migrated(runs, len(plain()))
        assert (0, b"torn") not in want
    finally:
        stop_all(runs)


def test_appendonly_no_ignores_the_old_file(tmp_path):
    runs = both(tmp_path, plain(), "--appendonly", "no")
    try:
        for srv, err, d in runs.values():
            assert srv is not None, err
            assert dataset(srv) == {}
            assert files(d) == {"appendonly.aof": len(plain())}
            assert "migrated" not in srv.log()
    finally:
        stop_all(runs)


def test_empty_appendonlydir(tmp_path):
    """An AOF directory without a manifest does not stop the migration."""
    runs = both(tmp_path, plain(), "--appendonly", "yes",
                setup=lambda d: (d / "appendonlydir").mkdir())
    try:
        check_migrated(runs, len(plain()))
    finally:
        stop_all(runs)


def test_interrupted_migration_is_finished(tmp_path):
    """A crash after the manifest was written but before the rename: the next start moves the
    file and loads it."""
    def setup(d):
        (d / "appendonlydir").mkdir()
        (d / "appendonlydir" / "appendonly.aof.manifest").write_text(
            "file appendonly.aof seq 1 type b\n")
    runs = both(tmp_path, plain(), "--appendonly", "yes", setup=setup)
    try:
        want = check_migrated(runs, len(plain()))
        assert (0, b"l") in want
    finally:
        stop_all(runs)


def test_existing_set_wins_over_an_old_file(tmp_path):
    """With a loadable multi-part set present, the old file is left alone (not loaded, not
    moved) by both servers."""
    src = tmp_path / "src"
    src.mkdir()
    srv = start("redis", src, "--appendonly", "yes")
    try:
        srv.client().set("from-set", "1")
    finally:
        srv.proc.send_signal(signal.SIGTERM)
        srv.proc.wait(10)
        srv.stop()
    aofdir = {p.name: p.read_bytes() for p in (src / "appendonlydir").iterdir()}

    def setup(d):
        (d / "appendonlydir").mkdir()
        for name, data in aofdir.items():
            (d / "appendonlydir" / name).write_bytes(data)
    runs = both(tmp_path, plain(), "--appendonly", "yes", setup=setup)
    try:
        sets = []
        for srv, err, d in runs.values():
            assert srv is not None, err
            assert dataset(srv) == {(0, b"from-set"): (b"string", b"1", -1)}
            f = files(d)
            assert f["appendonly.aof"] == len(plain())
            sets.append(sorted(f))
            assert "migrated" not in srv.log()
        assert sets[0] == sets[1]
    finally:
        stop_all(runs)


def test_rewrite_after_migration_drops_the_old_base(tmp_path, redis_dump):
    """BGREWRITEAOF after a migration: the old file is a history file and is deleted, the new
    set is base 2 + incr 2 on both servers, and it loads."""
    runs = both(tmp_path, redis_dump + TAIL, "--appendonly", "yes")
    try:
        want = check_migrated(runs, len(redis_dump + TAIL))
        for kind, (srv, _e, d) in runs.items():
            c = srv.client()
            c.bgrewriteaof()
            deadline = time.time() + 10
            while time.time() < deadline and \
                    c.info("persistence")["aof_rewrite_in_progress"]:
                time.sleep(0.05)
            while time.time() < deadline and \
                    not manifest(d).startswith("file appendonly.aof.2.base.rdb"):
                time.sleep(0.05)
            assert manifest(d) == ("file appendonly.aof.2.base.rdb seq 2 type b\n"
                                   "file appendonly.aof.2.incr.aof seq 2 type i\n")
            assert sorted(files(d)) == ["appendonlydir/appendonly.aof.2.base.rdb",
                                        "appendonlydir/appendonly.aof.2.incr.aof",
                                        "appendonlydir/appendonly.aof.manifest"]
            srv.stop()
            srv2 = start(kind, d, "--appendonly", "yes")
            try:
                assert dataset(srv2) == want
            finally:
                srv2.stop()
    finally:
        stop_all(runs)
