"""R7 (the reliability plan, README.md in this folder): RDB crash safety. kill -9 during BGSAVE
leaves the old or the new dump, whole; a flipped CRC refuses start-up; a failed child gives
MISCONF until the next good save; BGSAVE of many keys: peak parent + child RSS next to
redis-server's. Figures go to reports/r7_rdb.json."""
import json
import os
import random
import signal
import time

import pytest

from tests import support
from tests.persistence.test_rdb_snapshots import bgsave_done, start

# <repo>/reports: this file is <repo>/tests/reliability/<name>.py
REPORTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "reports"))
FIGURES = {}
MISCONF = (b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           b"persist to disk. Commands that may modify the data set are disabled, because this "
           b"instance is configured to report errors during writes if RDB snapshotting fails "
           b"(stop-writes-on-bgsave-error option). Please check the Redis logs for details about "
           b"the RDB error.\r\n")


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if FIGURES:
        os.makedirs(REPORTS, exist_ok=True)
        path = os.path.join(REPORTS, "r7_rdb.json")
        old = {}
        if os.path.exists(path):
            with open(path) as f:
                old = json.load(f)
        old.update(FIGURES)
        with open(path, "w") as f:
            json.dump(old, f, indent=2, sort_keys=True)


def fill(port, n, tag, value_size=64):
    """n string keys key:<i> = <tag><padding>, as MSETs of 1000 pairs sent in one stream."""
    value = f"{tag}{'x' * value_size}"
    batches = []
    for start_at in range(0, n, 1000):
        args = ["MSET"]
        for i in range(start_at, min(n, start_at + 1000)):
            args += [f"key:{i}", value]
        batches.append(support.encode(*args))
    with support.RawClient(port, timeout=60) as c:
        for i in range(0, len(batches), 50):
            chunk = batches[i:i + 50]
            c.send(b"".join(chunk))
            for _ in chunk:
                assert c.read_reply() == b"+OK\r\n"


def dump_tag(tmp_path):
    """Start pyredis on the dump left in tmp_path; the tag of its values (old/new), key count."""
    srv = start("pyredis", tmp_path)
    try:
        c = srv.client()
        n = c.dbsize()
        tags = {c.get(f"key:{i}")[:3] for i in random.sample(range(n), min(n, 50))} if n else set()
        return tags, n
    finally:
        srv.stop()


def test_kill_9_during_bgsave(tmp_path):
    """kill -9 the parent (and in other rounds the child) while BGSAVE writes: the dump is the
    old one or the new one, always whole."""
    n = 100_000
    outcomes = []
    srv = start("pyredis", tmp_path)
    fill(srv.port, n, "old")
    assert srv.client().save()
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.stop()
    for round_ in range(4):
        srv = start("pyredis", tmp_path)
        fill(srv.port, n, "new" if round_ % 2 == 0 else "old")
        c = srv.client()
        c.bgsave()
        time.sleep(random.uniform(0.0, 0.3))
        victim = "parent"
        if round_ % 2:
            info = c.info("persistence")
            victim = "child"
            pids = [int(line.split()[0]) for line in os.popen(
                f"pgrep -P {srv.proc.pid}").read().split("\n") if line.strip()]
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            assert support.wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0)
            if pids and info["rdb_bgsave_in_progress"]:
                assert c.info("persistence")["rdb_last_bgsave_status"] == "err"
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        time.sleep(0.5)          # an orphaned child may still finish its rename
        srv.stop()
        temps = [f for f in os.listdir(tmp_path) if f.startswith("temp-")]
        for f in temps:
            os.unlink(tmp_path / f)
        tags, keys = dump_tag(tmp_path)
        assert keys == n
        assert len(tags) == 1 and tags <= {b"old", b"new"}, tags
        outcomes.append({"killed": victim, "dump": tags.pop().decode(), "keys": keys,
                         "temp_files_left": len(temps)})
    FIGURES["kill9_during_bgsave"] = outcomes


def test_flipped_crc_refuses_start(tmp_path):
    srv = start("pyredis", tmp_path)
    c = srv.client()
    fill(srv.port, 1000, "old")
    c.save()
    srv.stop()
    path = tmp_path / "dump.rdb"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01                       # the last byte of the CRC64
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError) as info:
        start("pyredis", tmp_path)
    message = str(info.value)
    assert "exited with 1" in message
    assert "checksum" in message.lower()
    assert "Ready to accept connections" not in message
    # a flipped byte in the middle is refused too, never a partial start
    data[-1] ^= 0x01
    data[len(data) // 2] ^= 0xff
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError) as info:
        start("pyredis", tmp_path)
    assert "exited with 1" in str(info.value)
    FIGURES["flipped_crc"] = {"refused": True, "message": message.strip().splitlines()[-2:]}


@pytest.mark.parametrize("kind", ["pyredis", "redis"])
def test_failed_child_misconf_until_next_good_save(tmp_path, kind):
    (tmp_path / "sub").mkdir()
    srv = start(kind, tmp_path, "--save", "3600 1")
    try:
        raw = srv.raw()
        assert raw.call("SET", "k", "v") == b"+OK\r\n"
        assert raw.call("CONFIG", "SET", "dbfilename", "sub") == b"+OK\r\n"
        assert raw.call("BGSAVE") == b"+Background saving started\r\n"
        c = srv.client()
        assert bgsave_done(c)
        assert c.info("persistence")["rdb_last_bgsave_status"] == "err"
        assert raw.call("SET", "k", "w") == MISCONF
        assert raw.call("GET", "k") == b"$1\r\nv\r\n"            # reads work
        assert raw.pipeline([("MULTI",), ("SET", "k", "w"), ("EXEC",)]) == [
            b"+OK\r\n", MISCONF,
            b"-EXECABORT Transaction discarded because of previous errors.\r\n"]
        # save points off: writes work again, as in Redis
        assert raw.call("CONFIG", "SET", "save", "") == b"+OK\r\n"
        assert raw.call("SET", "k", "w") == b"+OK\r\n"
        assert raw.call("CONFIG", "SET", "save", "3600 1") == b"+OK\r\n"
        assert raw.call("SET", "k", "x") == MISCONF
        # the next good save lifts it
        assert raw.call("CONFIG", "SET", "dbfilename", "dump.rdb") == b"+OK\r\n"
        assert raw.call("BGSAVE") == b"+Background saving started\r\n"
        assert bgsave_done(c)
        assert raw.call("SET", "k", "y") == b"+OK\r\n"
        assert "Background saving error" in srv.log()
        raw.close()
        FIGURES[f"failed_child_misconf_{kind}"] = {"misconf_until_good_save": True}
    finally:
        srv.stop()


def peak_rss_during_bgsave(srv):
    """Peak parent + child RSS (bytes) sampled during one BGSAVE, and its duration."""
    parent = srv.proc.pid
    c = srv.client()
    base = support_rss(parent)
    started = time.time()
    c.bgsave()
    peak = 0
    while True:
        kids = [int(p) for p in os.popen(f"pgrep -P {parent}").read().split()]
        total = support_rss(parent) + sum(support_rss(k) for k in kids)
        peak = max(peak, total)
        if not kids and c.info("persistence")["rdb_bgsave_in_progress"] == 0:
            break
        time.sleep(0.01)
    return base, peak, time.time() - started


def support_rss(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def test_bgsave_memory_1m_keys(tmp_path):
    """BGSAVE of 1M keys: peak parent + child RSS, pyredis next to redis-server."""
    n = 1_000_000
    out = {}
    for kind in ("pyredis", "redis"):
        d = tmp_path / kind
        d.mkdir()
        srv = start(kind, d)
        try:
            fill(srv.port, n, "val", value_size=16)
            base, peak, seconds = peak_rss_during_bgsave(srv)
            out[kind] = {"rss_before_mb": round(base / 2**20, 1),
                         "peak_parent_plus_child_mb": round(peak / 2**20, 1),
                         "bgsave_seconds": round(seconds, 2),
                         "dump_mb": round(os.path.getsize(d / "dump.rdb") / 2**20, 1)}
            assert srv.client().dbsize() == n
        finally:
            srv.stop()
    out["peak_ratio_pyredis_to_redis"] = round(
        out["pyredis"]["peak_parent_plus_child_mb"] / out["redis"]["peak_parent_plus_child_mb"], 2)
    FIGURES["bgsave_1m_keys"] = out
