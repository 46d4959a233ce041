"""The append-only file (Redis 7.0 multi-part AOF): restart round trips, BGREWRITEAOF, files
moving both ways with redis-server 7.0.15, torn tails, corruption, bad manifests,
pyredis-check-aof."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests import support

NEEDS_REDIS = pytest.mark.skipif(support.redis_server_path() is None, reason="no redis-server")


def start(kind, d, *extra):
    fn = support.start_pyredis if kind == "pyredis" else support.start_redis
    return fn("--appendonly", "yes", "--dir", str(d), *extra)


def fill(c):
    c.set("str", "v")
    c.set("int", 12345)
    c.set("ttl", "x", ex=1000)
    c.rpush("list", *range(10))
    c.rpush("biglist", *[f"e{i}" for i in range(300)])
    c.hset("hash", mapping={"a": 1, "b": 2})
    c.hset("bighash", mapping={f"f{i}": "y" * 70 for i in range(10)})
    c.sadd("iset", 1, 2, 3)
    c.sadd("set", "a", "b")
    c.zadd("zset", {"m": 1.5, "n": 2})
    c.zadd("bigzset", {f"m{i}": i for i in range(200)})
    c.select(2) if hasattr(c, "select") else None
    c.execute_command("SELECT", 0)


def _ttl_bucket(c, k):
    ttl = c.pttl(k)
    return (ttl if ttl < 0 else ("ttl", ttl // 100000),)


def dataset(c):
    return support.dataset(c, dbs=(0, 2), extra=_ttl_bucket)


def test_restart_after_kill9_and_shutdown(tmp_path):
    s = start("pyredis", tmp_path, "--appendfsync", "always")
    c = s.client()
    fill(c)
    c.execute_command("SELECT", 2)
    c.set("in2", "y")
    c.execute_command("SELECT", 0)
    c.incr("int")
    c.delete("str")
    c.expire("list", 500)
    before = dataset(c)
    files = sorted(os.listdir(tmp_path / "appendonlydir"))
    assert files == ["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof",
                     "appendonly.aof.manifest"]
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    s2 = start("pyredis", tmp_path)
    c2 = s2.client()
    assert dataset(c2) == before
    assert "DB loaded from append only file" in s2.log()
    c2.set("more", 1)
    s2.proc.send_signal(signal.SIGTERM)
    assert s2.proc.wait(10) == 0
    s3 = start("pyredis", tmp_path)
    try:
        assert s3.client().get("more") == b"1"
    finally:
        s3.stop()
        s.stop()
        s2.stop()


def test_bgrewriteaof_then_restart(tmp_path):
    s = start("pyredis", tmp_path)
    try:
        c = s.client()
        fill(c)
        assert c.execute_command("BGREWRITEAOF") in (b"Background append only file rewriting started", True, "Background append only file rewriting started")
        c.set("during", "1")
        deadline = time.time() + 10
        while time.time() < deadline and "finished successfully" not in s.log():
            time.sleep(0.05)
        c.set("after", "2")
        before = dataset(c)
        files = sorted(os.listdir(tmp_path / "appendonlydir"))
        assert files == ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof",
                         "appendonly.aof.manifest"]
        manifest = (tmp_path / "appendonlydir" / "appendonly.aof.manifest").read_text()
        assert manifest == ("file appendonly.aof.2.base.rdb seq 2 type b\n"
                            "file appendonly.aof.2.incr.aof seq 2 type i\n")
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        s2 = start("pyredis", tmp_path)
        try:
            assert dataset(s2.client()) == before
        finally:
            s2.stop()
    finally:
        s.stop()


@NEEDS_REDIS
@pytest.mark.parametrize("writer,reader", [("redis", "pyredis"), ("pyredis", "redis")])
def test_interop(tmp_path, writer, reader):
    # always: under everysec redis-server may acknowledge a write whose AOF write it postponed
    # behind a running fsync, so a kill -9 right after could lose it there
    s = start(writer, tmp_path, "--appendfsync", "always")
    c = s.client()
    fill(c)
    c.execute_command("BGREWRITEAOF")
    time.sleep(1.0)
    c.set("tail", "t")
    c.hset("hash", "c", 3)
    before = dataset(c)
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    s2 = start(reader, tmp_path)
    try:
        assert dataset(s2.client()) == before
    finally:
        s2.stop()
        s.stop()


def _torn_set(tmp_path):
    s = start("pyredis", tmp_path, "--appendfsync", "always")
    c = s.client()
    c.set("a", "1")
    c.set("b", "2")
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    s.stop()
    incr = tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof"
    good = incr.stat().st_size
    with open(incr, "ab") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1")
    return incr, good


def test_truncated_tail_loaded_and_truncated(tmp_path):
    incr, good = _torn_set(tmp_path)
    s = start("pyredis", tmp_path)
    try:
        c = s.client()
        assert c.get("b") == b"2" and c.get("c") is None
        log = s.log()
        assert "short read while loading the AOF file appendonly.aof.1.incr.aof" in log
        assert "loaded anyway because aof-load-truncated is enabled" in log
        assert incr.stat().st_size == good
    finally:
        s.stop()


def test_truncated_tail_refused(tmp_path):
    _torn_set(tmp_path)
    with pytest.raises(RuntimeError) as e:
        start("pyredis", tmp_path, "--aof-load-truncated", "no")
    assert "Unexpected end of file reading the append only file" in str(e.value)


def test_corrupt_middle_and_bad_manifest_refuse_start(tmp_path):
    incr, good = _torn_set(tmp_path)
    data = incr.read_bytes()[:good]
    incr.write_bytes(data[:10] + b"!!" + data[12:])
    with pytest.raises(RuntimeError) as e:
        start("pyredis", tmp_path)
    assert "appendonly.aof.1.incr.aof" in str(e.value) and "offset" in str(e.value)
    man = tmp_path / "appendonlydir" / "appendonly.aof.manifest"
    man.write_text("file x seq\n")
    with pytest.raises(RuntimeError) as e:
        start("pyredis", tmp_path)
    assert "manifest" in str(e.value)


@NEEDS_REDIS
def test_missing_file_in_manifest_refuses_start_as_redis(tmp_path):
    aofdir = tmp_path / "appendonlydir"
    aofdir.mkdir()
    (aofdir / "appendonly.aof.manifest").write_text(
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
    (aofdir / "appendonly.aof.1.incr.aof").write_bytes(b"")
    line = ("Unable to obtain the AOF file appendonly.aof.1.base.rdb length. stat: No such file "
            "or directory")
    for kind in ("pyredis", "redis"):
        with pytest.raises(RuntimeError) as e:
            start(kind, tmp_path)
        assert line in str(e.value), kind


def test_unknown_command_refuses_start(tmp_path):
    incr, good = _torn_set(tmp_path)
    incr.write_bytes(incr.read_bytes()[:good] + support.encode("NOSUCHCMD", "x"))
    with pytest.raises(RuntimeError) as e:
        start("pyredis", tmp_path)
    assert "Unknown command 'NOSUCHCMD' reading the append only file" in str(e.value)


def test_check_aof_finds_and_fixes(tmp_path):
    incr, good = _torn_set(tmp_path)
    man = str(tmp_path / "appendonlydir" / "appendonly.aof.manifest")
    run = lambda *a, answer="": subprocess.run(
        [sys.executable, "-m", "pyredis.persistence.check_aof", *a],
        capture_output=True, text=True, input=answer)
    r = run(man)
    assert r.returncode == 1 and f"ok_up_to={good}," in r.stdout and "not valid" in r.stdout
    r = run("--fix", man)                       # no answer to the prompt: nothing is cut
    assert r.returncode == 1 and "Aborting..." in r.stdout and incr.stat().st_size > good
    r = run("--fix", man, answer="y\n")
    assert r.returncode == 0 and "Successfully truncated" in r.stdout
    assert incr.stat().st_size == good
    assert run(man).returncode == 0


def test_config_set_appendonly_at_run_time(tmp_path):
    s = support.start_pyredis("--dir", str(tmp_path))
    try:
        c = s.client()
        fill(c)
        assert c.config_set("appendonly", "yes")
        deadline = time.time() + 10
        while time.time() < deadline and "finished successfully" not in s.log():
            time.sleep(0.05)
        c.set("later", "1")
        before = dataset(c)
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        s2 = start("pyredis", tmp_path)
        try:
            assert dataset(s2.client()) == before
            c2 = s2.client()
            c2.config_set("appendonly", "no")
            c2.set("not-recorded", 1)
        finally:
            s2.stop()
    finally:
        s.stop()


def test_everysec_fsyncs_in_a_background_thread(tmp_path):
    """appendfsync everysec: within about a second of a write the server has a second thread
    (the fsync worker), so the loop never waits for the disk; with `always` it has none."""
    for policy, threads in (("everysec", 2), ("always", 1)):
        d = tmp_path / policy
        d.mkdir()
        srv = start("pyredis", d, "--appendfsync", policy)
        try:
            c = srv.client()
            tasks = f"/proc/{srv.proc.pid}/task"
            deadline = time.monotonic() + 3
            while True:
                c.set("k", "v")
                if len(os.listdir(tasks)) >= threads and (threads == 2 or
                                                         time.monotonic() > deadline - 1.5):
                    break
                assert time.monotonic() < deadline, f"{policy}: {len(os.listdir(tasks))} threads"
                time.sleep(0.05)
            assert len(os.listdir(tasks)) == threads
        finally:
            srv.stop()


def _next_second() -> None:
    """Sleep until just after the wall clock's next whole second."""
    time.sleep(1.02 - time.time() % 1)


def _annotated_incr(kind, d) -> bytes:
    """The incr file of a server with aof-timestamp-enabled after a script that crosses a second
    boundary (a MULTI/EXEC and a relative TTL included), with times replaced by placeholders."""
    s = start(kind, d, "--aof-timestamp-enabled", "yes")
    try:
        c = s.client()
        _next_second()                  # each group of writes well inside one second
        c.set("a", 1)
        c.execute_command("SELECT", 2)
        c.set("b", 1)
        c.execute_command("SELECT", 0)
        _next_second()
        p = c.pipeline(transaction=True)
        p.set("c", 1).incr("d")
        p.execute()
        c.set("e", 1, ex=100)
        c.config_set("aof-timestamp-enabled", "no")
        c.set("f", 1)
        time.sleep(1.05)
        c.set("g", 1)
        data = (d / "appendonlydir" / "appendonly.aof.1.incr.aof").read_bytes()
    finally:
        s.stop()
    stamps = [int(t) for t in re.findall(rb"#TS:(\d+)\r\n", data)]
    assert len(stamps) == 2 and stamps[1] - stamps[0] == 1, stamps
    assert abs(stamps[0] - time.time()) < 10
    data = re.sub(rb"#TS:\d+\r\n", b"#TS:<t>\r\n", data)
    return re.sub(rb"\$13\r\n\d{13}\r\n", b"$13\r\n<ms>\r\n", data)


@NEEDS_REDIS
def test_timestamp_annotations_as_redis(tmp_path):
    """aof-timestamp-enabled: `#TS:<seconds>` before the first command of each new second
    (before its SELECT and MULTI), none once switched off at run time; the same bytes as
    redis-server 7.0 writes. Both servers load the annotated files of the other."""
    (tmp_path / "p").mkdir()
    (tmp_path / "r").mkdir()
    ours = _annotated_incr("pyredis", tmp_path / "p")
    assert ours == _annotated_incr("redis", tmp_path / "r")
    assert ours.startswith(b"#TS:<t>\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")
    assert ours.count(b"#TS:") == 2
    for kind, d in (("redis", tmp_path / "p"), ("pyredis", tmp_path / "r")):
        s = start(kind, d)
        try:
            c = s.client()
            assert [c.get(k) for k in "acdefg"] == [b"1"] * 6
            assert c.execute_command("SELECT", 2) and c.get("b") == b"1"
        finally:
            s.stop()


def _auto_rewrites(kind, d) -> list:
    """aof_rewrites after each step of a growth script with auto-aof-rewrite-min-size 100kb
    and auto-aof-rewrite-percentage 100 (then 0 = off)."""
    s = start(kind, d, "--auto-aof-rewrite-min-size", "100kb",
              "--auto-aof-rewrite-percentage", "100")
    try:
        c = s.client()
        value = "x" * 1000
        seen = []

        def write(first, n):
            p = c.pipeline(transaction=False)
            for i in range(first, first + n):
                p.set(f"k:{i}", value)
            p.execute()

        def settle(expected_at_least):
            deadline = time.time() + 5
            while True:
                info = c.info("persistence")
                done = (info["aof_rewrites"] >= expected_at_least and
                        not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"])
                if done or time.time() > deadline:
                    break
                time.sleep(0.05)
            time.sleep(0.3)          # a cron tick or three: nothing else starts
            seen.append(c.info("persistence")["aof_rewrites"])

        write(0, 50)                 # ~53 KB: under the minimum size
        settle(0)
        write(50, 100)               # past 100 KB, far past 100% of the tiny first base
        settle(1)
        write(150, 80)               # base now ~150 KB; +80 KB is under 100% growth
        settle(1)
        write(230, 120)              # now over 100% growth of the base
        settle(2)
        c.config_set("auto-aof-rewrite-percentage", 0)
        write(350, 600)              # off: no rewrite however much it grows
        settle(2)
        assert "Starting automatic rewriting of AOF on" in s.log()
        return seen
    finally:
        s.stop()


@NEEDS_REDIS
def test_auto_rewrite_on_growth_as_redis(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "r").mkdir()
    ours = _auto_rewrites("pyredis", tmp_path / "p")
    assert ours == [0, 1, 1, 2, 2]
    assert ours == _auto_rewrites("redis", tmp_path / "r")


@NEEDS_REDIS
@pytest.mark.parametrize("tail,starts", [(b"garbage\r\n", False),
                                         (b"*3\r\n$3\r\nSET\r\n$4\r\ntail\r\n$1\r\n1\r\n", True)])
def test_what_follows_an_rdb_base(tmp_path, tail, starts):
    """After the RDB image of a base file, commands are read on (a preamble file) and anything
    else is a bad format; both servers judge the same file the same way."""
    s = start("pyredis", tmp_path)
    try:
        c = s.client()
        c.set("k", "\xff*" * 50)                 # 0xFF and '*' bytes inside the image
        c.execute_command("BGREWRITEAOF")
        deadline = time.time() + 10
        while c.info("persistence")["aof_rewrite_in_progress"] or \
                not (tmp_path / "appendonlydir" / "appendonly.aof.2.base.rdb").exists():
            assert time.time() < deadline
            time.sleep(0.05)
    finally:
        s.stop()
    base = tmp_path / "appendonlydir" / "appendonly.aof.2.base.rdb"
    base.write_bytes(base.read_bytes() + tail)
    for kind in ("pyredis", "redis"):
        if starts:
            srv = start(kind, tmp_path)
            try:
                c = srv.client()
                assert (c.get("k"), c.get("tail")) == (("\xff*" * 50).encode(), b"1"), kind
            finally:
                srv.stop()
        else:
            with pytest.raises(RuntimeError) as e:
                start(kind, tmp_path)
            assert "Bad file format reading the append only file" in str(e.value), kind
