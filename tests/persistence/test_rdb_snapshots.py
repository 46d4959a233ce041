"""RDB snapshots in the server: SAVE, BGSAVE, LASTSAVE, save points, SHUTDOWN saving, loading at
start-up, INFO persistence, and dump files moving between pyredis and redis-server 7.0."""
import os
import shutil
import time

import pytest

from tests import support

PROTECTED = ("--enable-protected-configs", "yes")


def start(kind, directory, *args):
    """A server of `kind` ("pyredis"/"redis") whose dir is `directory` (kept across restarts)."""
    if kind == "redis" and support.redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    launch = support.start_pyredis if kind == "pyredis" else support.start_redis
    return launch("--dir", str(directory), *PROTECTED, *args)


def populate(c):
    """Every type in its small and its big encoding, integers, long strings, TTLs, two DBs."""
    c.set("str", "hello")
    c.set("int", 12345)
    c.set("neg", -9007199254740993)
    c.set("long", "abc" * 500)                        # LZF-compressible
    c.set("bin", bytes(range(256)))
    c.set("ttl", "v", px=3_600_000)
    c.rpush("list:small", "a", "b", 1, 2)
    c.rpush("list:big", *[f"item-{i}" * 3 for i in range(3000)])
    c.hset("hash:small", mapping={"f1": "v1", "f2": 2})
    c.hset("hash:big", mapping={f"f{i}": f"v{i}" for i in range(600)})
    c.sadd("set:int", 1, 2, 3, -5)
    c.sadd("set:str", "a", "b", "c")
    c.sadd("set:big", *[f"m{i}" for i in range(700)])
    c.zadd("zset:small", {"a": 1, "b": 2.5, "c": -3})
    c.zadd("zset:big", {f"m{i}": i / 7 for i in range(300)})
    c.expire("hash:big", 10_000)
    c.execute_command("SELECT", 3)
    c.set("in-db3", "x")
    c.execute_command("SELECT", 0)


def dataset(port):
    """{(db, key): (type, value, has_ttl)} of a server."""
    import redis
    c = redis.Redis(port=port)
    try:
        return support.dataset(c, extra=lambda c, k: (c.pttl(k) > 0,))
    finally:
        c.close()


def copy_dump(src, dst, name="dump.rdb"):
    os.makedirs(dst, exist_ok=True)
    shutil.copy(os.path.join(src, name), os.path.join(dst, "dump.rdb"))


def bgsave_done(c):
    return support.wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0)


# ---------------------------------------------------------------------------------------------
# replies, as redis-server gives them
# ---------------------------------------------------------------------------------------------

def test_replies_like_redis(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    servers = [start("pyredis", tmp_path / "a"), start("redis", tmp_path / "b")]
    ours, theirs = servers[0].raw(), servers[1].raw()
    try:
        for c in (ours, theirs):
            c.call("SET", "k", "v")
        for cmd in (("SAVE",), ("SAVE", "x"), ("BGSAVE", "foo"), ("BGSAVE", "schedule", "x"),
                    ("LASTSAVE", "x"), ("BGSAVE", "SCHEDULE")):
            a, b = ours.call(*cmd), theirs.call(*cmd)
            assert a == b, cmd
            for c in (ours, theirs):          # let a started child finish
                support.wait_for(lambda c=c: b"rdb_bgsave_in_progress:0" in c.call("INFO",
                                                                           "persistence"))
        # a second BGSAVE and a SAVE sent with the first one meet the running child
        pipeline = [("BGSAVE",), ("BGSAVE",), ("SAVE",), ("MULTI",), ("BGSAVE",), ("EXEC",)]
        a, b = ours.pipeline(pipeline), theirs.pipeline(pipeline)
        assert a == b
        assert a[1] == b"-ERR Background save already in progress\r\n"
        for c in (ours, theirs):
            assert c.call("LASTSAVE")[:1] == b":"
    finally:
        ours.close()
        theirs.close()
        for s in servers:
            s.stop()


def test_save_and_lastsave(tmp_path):
    srv = start("pyredis", tmp_path)
    try:
        c = srv.client()
        before = c.lastsave()
        c.set("a", 1)
        assert c.info("persistence")["rdb_changes_since_last_save"] == 1
        time.sleep(1.05)
        assert c.save() is True
        assert c.lastsave() > before
        info = c.info("persistence")
        assert info["rdb_changes_since_last_save"] == 0
        assert info["rdb_last_bgsave_status"] == "ok"
        assert os.path.getsize(tmp_path / "dump.rdb") > 0
        assert not [n for n in os.listdir(tmp_path) if n.startswith("temp-")]
        assert "DB saved on disk" in srv.log()
    finally:
        srv.stop()


def test_bgsave_counts_and_log(tmp_path):
    srv = start("pyredis", tmp_path)
    try:
        c = srv.client()
        populate(c)
        forks = c.info("stats")["total_forks"]
        assert c.bgsave()
        assert bgsave_done(c)
        info = c.info("persistence")
        assert info["rdb_last_bgsave_status"] == "ok"
        assert info["rdb_saves"] == 1
        assert info["rdb_changes_since_last_save"] == 0
        assert info["rdb_last_bgsave_time_sec"] >= 0
        assert info["rdb_current_bgsave_time_sec"] == -1
        assert c.info("stats")["total_forks"] == forks + 1
        log = srv.log()
        assert "Background saving started by pid" in log
        assert "Background saving terminated with success" in log
        assert "Fork CoW for RDB" in log
        assert not [n for n in os.listdir(tmp_path) if n.startswith("temp-")]
    finally:
        srv.stop()


def test_info_persistence_fields_like_redis(tmp_path):
    os.makedirs(tmp_path / "a")
    os.makedirs(tmp_path / "b")
    ours, theirs = start("pyredis", tmp_path / "a"), start("redis", tmp_path / "b")
    try:
        names = []
        for s in (ours, theirs):
            names.append([k for k in s.client().info("persistence")])
        assert names[0] == names[1]
    finally:
        ours.stop()
        theirs.stop()


# ---------------------------------------------------------------------------------------------
# restart, save points, shutdown
# ---------------------------------------------------------------------------------------------

def test_restart_loads_the_dump(tmp_path):
    srv = start("pyredis", tmp_path)
    try:
        c = srv.client()
        populate(c)
        expected = dataset(srv.port)
        c.save()
    finally:
        srv.stop()
    again = start("pyredis", tmp_path)
    try:
        assert dataset(again.port) == expected
        info = again.client().info("persistence")
        assert info["rdb_last_load_keys_loaded"] == len(expected)
        assert info["rdb_changes_since_last_save"] == 0
        log = again.log()
        for line in ("Loading RDB produced by version 7.0.15", "RDB age ",
                     "RDB memory usage when created", "Done loading RDB, keys loaded: "
                     f"{len(expected)}, keys expired: 0.", "DB loaded from disk: "):
            assert line in log
    finally:
        again.stop()


def test_save_point_triggers_bgsave(tmp_path):
    srv = start("pyredis", tmp_path, "--save", "1 1")
    try:
        c = srv.client()
        c.set("k", "v")
        assert support.wait_for(
            lambda: c.info("persistence")["rdb_changes_since_last_save"] == 0, 6)
        assert "1 changes in 1 seconds. Saving..." in srv.log()
        assert (tmp_path / "dump.rdb").exists()
        # CONFIG SET save "" turns the save points off
        c.config_set("save", "")
        c.set("k", "w")
        time.sleep(2.3)
        assert c.info("persistence")["rdb_changes_since_last_save"] == 1
    finally:
        srv.stop()


def test_shutdown_saves_with_save_points(tmp_path):
    srv = start("pyredis", tmp_path, "--save", "3600 1")
    c = srv.raw()
    c.call("SET", "k", "v")
    c.send(support.encode("SHUTDOWN"))
    assert c.read_all(3.0) == (b"", True)
    assert srv.proc.wait(10) == 0
    log = srv.log()
    assert "Saving the final RDB snapshot before exiting." in log
    assert "DB saved on disk" in log
    srv.stop()
    again = start("pyredis", tmp_path)
    try:
        assert again.client().get("k") == b"v"
    finally:
        again.stop()


@pytest.mark.parametrize("how", ["nosave", "sigterm-no-save-points"])
def test_shutdown_without_saving(tmp_path, how):
    srv = start("pyredis", tmp_path, "--save", "3600 1" if how == "nosave" else "")
    c = srv.client()
    c.set("k", "v")
    if how == "nosave":
        srv.raw().send(support.encode("SHUTDOWN", "NOSAVE"))
    else:
        srv.proc.terminate()
    assert srv.proc.wait(10) == 0
    srv.stop()
    assert not (tmp_path / "dump.rdb").exists()


def test_sigterm_saves(tmp_path):
    srv = start("pyredis", tmp_path, "--save", "3600 1")
    srv.client().set("k", "v")
    srv.proc.terminate()
    assert srv.proc.wait(10) == 0
    assert "Saving the final RDB snapshot before exiting." in srv.log()
    srv.stop()
    assert (tmp_path / "dump.rdb").exists()


@pytest.mark.parametrize("kind", ["pyredis", "redis"])
def test_shutdown_refused_when_the_save_fails(tmp_path, kind):
    """dbfilename names a directory: the final save fails, SHUTDOWN answers an error and the
    server keeps serving; FORCE exits anyway."""
    (tmp_path / "sub").mkdir()
    srv = start(kind, tmp_path, "--save", "3600 1")
    try:
        c = srv.client()
        c.config_set("dbfilename", "sub")
        with support.RawClient(srv.port) as raw:
            assert raw.call("SHUTDOWN") == b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
        assert srv.client().ping()
        assert "Error trying to save the DB, can't exit." in srv.log()
        with support.RawClient(srv.port) as raw:
            raw.send(support.encode("SHUTDOWN", "NOSAVE"))
            raw.read_all(2.0)
        assert srv.proc.wait(10) == 0
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", [
    "pyredis", "redis"])
def test_shutdown_force_exits_when_the_save_fails(tmp_path, kind):
    (tmp_path / "sub").mkdir()
    srv = start(kind, tmp_path, "--save", "3600 1")
    try:
        srv.client().config_set("dbfilename", "sub")
        with support.RawClient(srv.port) as raw:
            raw.send(support.encode("SHUTDOWN", "FORCE"))
            raw.read_all(2.0)
        assert srv.proc.wait(5) == 0
        assert "Error trying to save the DB. Exit anyway." in srv.log()
    finally:
        srv.stop()


# ---------------------------------------------------------------------------------------------
# files move between pyredis and redis-server
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("writer,reader", [("pyredis", "redis"), ("redis", "pyredis")])
def test_dump_moves_between_servers(tmp_path, writer, reader):
    src, dst = tmp_path / "w", tmp_path / "r"
    src.mkdir()
    w = start(writer, src)
    try:
        populate(w.client())
        expected = dataset(w.port)
        assert w.client().save()
    finally:
        w.stop()
    copy_dump(src, dst)
    r = start(reader, dst)
    try:
        assert dataset(r.port) == expected
    finally:
        r.stop()


def test_bgsave_file_loads_in_redis(tmp_path):
    src, dst = tmp_path / "w", tmp_path / "r"
    src.mkdir()
    w = start("pyredis", src, "--rdbcompression", "no")
    try:
        c = w.client()
        populate(c)
        expected = dataset(w.port)
        c.bgsave()
        assert bgsave_done(c)
    finally:
        w.stop()
    copy_dump(src, dst)
    r = start("redis", dst)
    try:
        assert dataset(r.port) == expected
    finally:
        r.stop()


def test_one_child_at_a_time_like_redis(tmp_path):
    """BGSAVE while an AOF rewrite child runs: refused, or scheduled with SCHEDULE (sent in the
    same write as BGREWRITEAOF, so the rewrite child is certainly still running)."""
    replies = {}
    for kind in ("pyredis", "redis"):
        (tmp_path / kind).mkdir()
        srv = start(kind, tmp_path / kind, "--appendonly", "yes")
        try:
            c = srv.raw()
            c.pipeline([("SET", f"k{i}", "v" * 20) for i in range(20000)])
            replies[kind] = c.pipeline([("BGREWRITEAOF",), ("BGSAVE",), ("BGSAVE", "SCHEDULE")])
            client = srv.client()
            assert support.wait_for(
                lambda: client.info("persistence")["aof_rewrite_in_progress"] == 0)
            assert support.wait_for(
                lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0
                and (tmp_path / kind / "dump.rdb").exists())
        finally:
            srv.stop()
    assert replies["pyredis"] == replies["redis"]
    assert replies["pyredis"][1].startswith(b"-ERR Another child process is active (AOF?)")


@pytest.mark.skipif(support.redis_server_path() is None, reason="no redis-server")
@pytest.mark.parametrize("policy,what", [("allkeys-lfu", "freq"), ("allkeys-lru", "idletime")])
@pytest.mark.parametrize("writer,reader", [("pyredis", "redis"), ("redis", "pyredis")])
def test_dump_carries_lfu_and_lru_data(policy, what, writer, reader):
    """Under an LFU policy a dump carries each key's access frequency (FREQ opcodes), under an
    LRU policy its idle time (IDLE), as Redis 7.0 writes and reads them: OBJECT FREQ/IDLETIME
    read the same (to within one tick) after a load by the other server."""
    start = {"pyredis": support.start_pyredis, "redis": support.start_redis}
    w = start[writer]("--maxmemory-policy", policy)
    try:
        c = w.client()
        c.set("hot", "v")
        c.set("cold", "v")
        for _ in range(200):
            c.get("hot")
        time.sleep(2.1)
        c.get("hot")
        before = {k: c.object(what, k) for k in ("hot", "cold")}
        c.save()
        r = start[reader]("--maxmemory-policy", policy, "--dir", w.dir)
        try:
            rc = r.client()
            after = {k: rc.object(what, k) for k in ("hot", "cold")}
        finally:
            r.stop()
    finally:
        w.stop()
    assert before["hot"] != before["cold"]
    # a second (idle time) or a minute (LFU decay) may tick between the reads
    assert all(abs(after[k] - before[k]) <= 1 for k in before), (before, after)
