"""INFO persistence's live figures from a background child (BGSAVE, BGREWRITEAOF), against
redis-server 7.0.15: current_save_keys_processed grows toward current_save_keys_total,
current_fork_perc is processed/total*100 with 2 decimals, current_cow_size follows the child's
private dirty memory, and the fields go back to Redis's idle values once the child is gone.
rdb-key-save-delay (µs slept per key) slows the child down so INFO can watch it."""
from __future__ import annotations

import time

import pytest

from tests import support

pytestmark = pytest.mark.skipif(support.redis_server_path() is None,
                                reason="redis-server not installed")

FIELDS = ("current_cow_peak", "current_cow_size", "current_cow_size_age", "current_fork_perc",
          "current_save_keys_processed", "current_save_keys_total")
IDLE = {"current_cow_peak": "0", "current_cow_size": "0", "current_cow_size_age": "0",
        "current_fork_perc": "0.00", "current_save_keys_processed": "0",
        "current_save_keys_total": "0"}
KEYS = 20000
DELAY_US = 100          # ~2-4 s of child on both servers


def launch(kind: str, *args):
    start = support.start_pyredis if kind == "pyredis" else support.start_redis
    return start(*args)


def raw_info(srv) -> dict:
    with srv.raw() as c:
        c.send(support.encode("INFO", "persistence"))
        reply = c.read_reply()
    body = reply.split(b"\r\n", 1)[1]
    out = {}
    for line in body.decode().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def populate(r, n: int, prefix: str = "key", size: int = 10) -> None:
    p = r.pipeline(transaction=False)
    for b in range(0, n, 1000):
        p.mset({f"{prefix}:{i}": "v" * size for i in range(b, min(n, b + 1000))})
    p.execute()


def watch_child(srv, r, command: str, flag: str, dirty_at: float = 1.2) -> tuple[list, dict]:
    """Start command (BGSAVE / BGREWRITEAOF) and sample INFO every 0.2 s until the child is
    gone; at dirty_at seconds the parent rewrites many keys so the child's CoW grows."""
    r.execute_command(command)
    samples = []
    started = time.monotonic()
    dirtied = False
    while time.monotonic() - started < 30:
        time.sleep(0.2)
        i = raw_info(srv)
        if i[flag] != "1":
            return samples, i
        samples.append(i)
        if not dirtied and time.monotonic() - started > dirty_at:
            populate(r, KEYS, size=200)        # rewrites every key: the parent's pages change
            dirtied = True
    raise AssertionError("the child did not finish in 30 s")


def check_progress(samples: list, total: int) -> None:
    assert len(samples) >= 5, samples
    done = [int(s["current_save_keys_processed"]) for s in samples]
    assert done == sorted(done)                      # never goes back
    assert max(done) > 0 and max(done) < total
    assert len(set(done)) >= 3                       # reported again and again while running
    for s in samples:
        assert int(s["current_save_keys_total"]) == total
        n = int(s["current_save_keys_processed"])
        assert n == 0 or n % 1024 == 1, n           # checked every 1024 keys, from the 1st
        assert s["current_fork_perc"] == f"{n / total * 100:.2f}"   # (Redis divides first)
        assert int(s["current_cow_peak"]) >= int(s["current_cow_size"]) >= 0
        assert int(s["current_cow_size_age"]) in (0, 1, 2)
    # the parent rewrote every key during the child: the child's copied pages show up
    late = samples[-1]
    assert int(late["current_cow_size"]) > 512 * 1024, late
    assert int(late["current_cow_peak"]) >= int(samples[1]["current_cow_peak"])


CHILDREN = {  # command: (its in-progress field, its last status field, its last CoW field)
    "BGSAVE": ("rdb_bgsave_in_progress", "rdb_last_bgsave_status", "rdb_last_cow_size"),
    "BGREWRITEAOF": ("aof_rewrite_in_progress", "aof_last_bgrewrite_status", "aof_last_cow_size"),
}


@pytest.mark.parametrize("kind", ["pyredis", "redis"])
@pytest.mark.parametrize("command,preamble", [("BGSAVE", "yes"), ("BGREWRITEAOF", "yes"),
                                              ("BGREWRITEAOF", "no")])
def test_progress_then_idle(kind, command, preamble):
    """Idle fields before, live progress while the slowed child runs, idle fields after."""
    in_progress, status, cow = CHILDREN[command]
    srv = launch(kind, "--aof-use-rdb-preamble", preamble)
    try:
        r = srv.client()
        before = raw_info(srv)
        assert {k: before[k] for k in FIELDS} == IDLE
        populate(r, KEYS)
        r.config_set("rdb-key-save-delay", DELAY_US)
        samples, after = watch_child(srv, r, command, in_progress)
        check_progress(samples, KEYS)
        assert {k: after[k] for k in FIELDS} == IDLE
        assert after[status] == "ok"
        assert int(after[cow]) > 512 * 1024
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", ["pyredis", "redis"])
def test_first_report_and_total_at_fork(kind):
    """Right after the fork the total is there and nothing processed yet; the child reports
    at its 1st key and then after a second at the next multiple of 1024 (+1), and the parent
    reads its reports once a second."""
    srv = launch(kind)
    try:
        r = srv.client()
        populate(r, 5000)
        r.config_set("rdb-key-save-delay", 1000)      # ~1 key per ms: 5 s of child
        r.execute_command("BGSAVE")
        first = raw_info(srv)
        assert first["current_save_keys_total"] == "5000"
        assert first["current_save_keys_processed"] == "0"
        assert first["current_fork_perc"] == "0.00"
        seen = []
        deadline = time.monotonic() + 4.5
        while len(seen) < 2 and time.monotonic() < deadline:
            n = raw_info(srv)["current_save_keys_processed"]
            if n != "0" and n not in seen:
                seen.append(n)
            time.sleep(0.05)
        assert seen == ["1", "1025"]
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", ["pyredis", "redis"])
def test_key_save_delay_slows_foreground_save(kind):
    srv = launch(kind)
    try:
        r = srv.client()
        populate(r, 400)
        r.config_set("rdb-key-save-delay", 2500)
        t = time.monotonic()
        r.execute_command("SAVE")
        slow = time.monotonic() - t
        r.config_set("rdb-key-save-delay", 0)
        t = time.monotonic()
        r.execute_command("SAVE")
        fast = time.monotonic() - t
        assert slow >= 1.0 and fast < 0.5, (slow, fast)
        assert r.dbsize() == 400
    finally:
        srv.stop()
