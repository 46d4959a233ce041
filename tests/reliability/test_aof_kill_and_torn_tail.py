"""The reliability plan's AOF scenarios R2 and R4 (README.md in this folder):

- R2 kill -9 under load: 4 writers RPUSH increasing integers to their own lists; the server is
  killed with SIGKILL at a random moment and restarted on the same directory; every list must be
  exactly 1..m with m >= the highest value the server acknowledged. Rounds: always x6,
  everysec x3, no x3, as the plan says, one test each. Figures in reports/r2_aof.json, one
  entry per round.
- R4 torn tail: a known sequence of commands, a clean stop, then the last incr file cut at every
  byte offset within its last 3 commands (the last one a MULTI/EXEC). aof-load-truncated yes
  (every offset): the server starts with exactly the complete prefix; no (every other offset and
  every offset next to a record boundary): it exits 1 with Redis's message; there
  pyredis-check-aof --fix repairs the file (the restart after the fix: every 8th offset).
  redis-server 7.0.15 is run on the same cut files and must agree (start or refuse, dataset).
  Figures in reports/r4_aof.json.
"""
from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from tests import support

# <repo>/reports: this file is <repo>/tests/reliability/<name>.py
REPORTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "reports"))
HAVE_REDIS = support.redis_server_path() is not None
INCR = os.path.join("appendonlydir", "appendonly.aof.1.incr.aof")
UNEXPECTED_EOF = ("Unexpected end of file reading the append only file appendonly.aof.1.incr.aof."
                  " You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix "
                  "<filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' "
                  "configuration option to yes and restart the server.")


def report(name: str, key: str, figures) -> None:
    """Merge figures[key] into reports/<name>.json (several xdist workers may write at once)."""
    os.makedirs(REPORTS, exist_ok=True)
    path = os.path.join(REPORTS, f"{name}.json")
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = {}
        if os.path.exists(path):
            try:
                with open(path) as f:
                    old = json.load(f)
            except ValueError:
                old = {}
        old[key] = figures
        with open(path + ".tmp", "w") as f:
            json.dump(old, f, indent=2, sort_keys=True)
        os.replace(path + ".tmp", path)


def start(kind: str, d, *extra) -> support.ServerProcess:
    fn = support.start_pyredis if kind == "pyredis" else support.start_redis
    return fn("--appendonly", "yes", "--dir", str(d), *extra)


def dataset(port: int) -> dict:
    """Every key of db 0 with its type and value."""
    r = redis.Redis(port=port, protocol=2)
    try:
        return support.dataset(r, dbs=(0,))
    finally:
        r.close()


# ---------------------------------------------------------------------------------------------
# R2: kill -9 under load
# ---------------------------------------------------------------------------------------------

WRITERS = 4
ROUNDS = {"always": 6, "everysec": 3, "no": 3}


def writer(port: int, key: str, acked: list, idx: int, stop: threading.Event) -> None:
    """RPUSH 1, 2, 3, ... to key in batches of 8 pipelined commands; acked[idx] is the highest
    value whose reply came back as the expected list length."""
    try:
        c = support.RawClient(port, timeout=5)
    except OSError:
        return
    n = 0
    try:
        while not stop.is_set():
            batch = range(n + 1, n + 9)
            c.send(b"".join(support.encode("RPUSH", key, v) for v in batch))
            for v in batch:
                reply = c.read_reply()
                assert reply == b":%d\r\n" % v, reply
                acked[idx] = v
            n += 8
    except (OSError, support.ConnectionClosed):
        pass
    finally:
        c.close()


def one_round(tmp_path, policy: str) -> dict:
    srv = start("pyredis", tmp_path, "--appendfsync", policy)
    acked = [0] * WRITERS
    stop = threading.Event()
    keys = [f"r2:list:{i}" for i in range(WRITERS)]
    threads = [threading.Thread(target=writer, args=(srv.port, keys[i], acked, i, stop))
               for i in range(WRITERS)]
    for t in threads:
        t.start()
    try:
        time.sleep(random.uniform(0.4, 1.2))
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        srv.stop()
    assert not any(t.is_alive() for t in threads)
    assert min(acked) > 0, "a writer never got an acknowledgement"
    seen = list(acked)
    srv2 = start("pyredis", tmp_path)
    try:
        c = srv2.client()
        recovered = []
        for i, key in enumerate(keys):
            values = [int(v) for v in c.lrange(key, 0, -1)]
            m = len(values)
            assert values == list(range(1, m + 1)), f"{key} is not 1..{m}"
            assert m >= seen[i], f"{key}: acknowledged {seen[i]}, recovered only {m}"
            recovered.append(m)
        # the next round starts from empty lists on the same directory
        c.flushall()
    finally:
        srv2.stop()
    return {"policy": policy, "acknowledged": seen, "recovered": recovered,
            "lost": sum(max(0, a - r) for a, r in zip(seen, recovered))}


@pytest.mark.parametrize("policy,round_no",
                         [(p, i) for p, n in ROUNDS.items() for i in range(1, n + 1)])
def test_r2_kill9_under_load(tmp_path, policy, round_no):
    r = one_round(tmp_path, policy)
    report("r2_aof", f"{policy}:{round_no}", dict(r, writers=WRITERS))
    assert r["lost"] == 0


# ---------------------------------------------------------------------------------------------
# R4: torn tail
# ---------------------------------------------------------------------------------------------

PREFIX_COMMANDS = [("SET", "k1", "v1"), ("RPUSH", "list", "a", "b"), ("HSET", "h", "f", "1"),
                   ("INCR", "n"), ("SET", "k2", "x" * 20)]
# the last 3 client commands; the last one is a transaction of two writes, recorded as MULTI,
# RPUSH, INCR, EXEC (a transaction with one write is recorded without MULTI/EXEC, as Redis does)
TAIL_COMMANDS = [[("SET", "a", "1")], [("INCR", "n")],
                 [("MULTI",), ("RPUSH", "list", "c"), ("INCR", "n"), ("EXEC",)]]


def record_ends(data: bytes) -> list[int]:
    """The end offset of each RESP multibulk record in a well-formed AOF."""
    ends, pos = [], 0
    while pos < len(data):
        assert data[pos:pos + 1] == b"*"
        eol = data.index(b"\r\n", pos)
        argc = int(data[pos + 1:eol])
        pos = eol + 2
        for _ in range(argc):
            eol = data.index(b"\r\n", pos)
            pos = eol + 2 + int(data[pos + 1:eol]) + 2
        ends.append(pos)
    return ends


@pytest.fixture(scope="module")
def r4_source(tmp_path_factory):
    """A clean-stopped AOF directory with the known sequence, the incr file's bytes, the dataset
    after each client command, and the offsets where each of the last 3 commands starts."""
    d = tmp_path_factory.mktemp("r4src")
    srv = start("pyredis", d, "--appendfsync", "always")
    try:
        raw = srv.raw()
        for cmd in PREFIX_COMMANDS:
            assert not raw.call(*cmd).startswith(b"-")
        states = [dataset(srv.port)]          # states[i]: after the prefix and i tail commands
        for group in TAIL_COMMANDS:
            for cmd in group:
                assert not raw.call(*cmd).startswith(b"-")
            states.append(dataset(srv.port))
        raw.close()
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(10) == 0
    finally:
        srv.stop()
    data = (d / INCR).read_bytes()
    ends = record_ends(data)
    records_in_tail = sum(len(g) for g in TAIL_COMMANDS)
    # boundaries[i]: where tail command i starts; boundaries[3] = end of file
    rec_bounds = [0] + ends
    first = len(ends) - records_in_tail
    boundaries, r = [], first
    for group in TAIL_COMMANDS:
        boundaries.append(rec_bounds[r])
        r += len(group)
    boundaries.append(len(data))
    assert boundaries[-1] == len(data) and boundaries[0] > 0
    return d, data, states, boundaries


def cut_dir(src, dst, data: bytes, cut: int):
    shutil.copytree(src / "appendonlydir", dst / "appendonlydir")
    (dst / INCR).write_bytes(data[:cut])


def try_start(kind, d, *extra):
    """(server or None, startup output)."""
    try:
        return start(kind, d, *extra), ""
    except RuntimeError as e:
        return None, str(e)


def expected_state(states, boundaries, cut):
    """The dataset of the complete prefix of a file cut at `cut`, and whether it is torn."""
    complete = max(i for i, b in enumerate(boundaries) if b <= cut)
    return states[complete], cut not in boundaries


def check_cut(tmp_path, data, src, states, boundaries, cut) -> dict:
    want, torn = expected_state(states, boundaries, cut)
    out = {"offset": cut, "torn": torn}
    # aof-load-truncated yes: exactly the complete prefix
    d = tmp_path / f"yes-{cut}"
    cut_dir(src, d, data, cut)
    srv, err = try_start("pyredis", d)
    assert srv is not None, f"cut at {cut}: refused with aof-load-truncated yes: {err}"
    complete = max(b for b in boundaries if b <= cut)
    try:
        if torn:        # the server truncated the torn tail away
            assert len((d / INCR).read_bytes()) == complete, f"cut at {cut}"
        assert dataset(srv.port) == want, f"cut at {cut}"
        assert srv.client().set("after", "1")     # and appends after the truncation point
    finally:
        srv.stop()
    # redis-server 7.0.15 on the same cut file must agree
    if HAVE_REDIS:
        for mode in ("yes", "no"):
            d = tmp_path / f"redis-{mode}-{cut}"
            cut_dir(src, d, data, cut)
            ref, err = try_start("redis", d, "--aof-load-truncated", mode)
            if mode == "no" and torn:
                assert ref is None and UNEXPECTED_EOF in err, f"redis, cut at {cut}: {err[-500:]}"
                continue
            assert ref is not None, f"redis refused cut at {cut} ({mode}): {err[-500:]}"
            try:
                assert dataset(ref.port) == want, f"redis, cut at {cut}"
            finally:
                ref.stop()
        out["redis_agrees"] = True
    # aof-load-truncated no: exit 1 with the message (a file cut at a command boundary loads);
    # every other offset plus the offsets next to each record boundary, to fit the time budget
    near = any(abs(cut - b) <= 1 for b in [0] + record_ends(data))
    if cut % 2 and not near:
        return cleanup(tmp_path, cut, out)
    out["no_checked"] = True
    d = tmp_path / f"no-{cut}"
    cut_dir(src, d, data, cut)
    srv, err = try_start("pyredis", d, "--aof-load-truncated", "no")
    if torn:
        assert srv is None and "exited with 1" in err, f"cut at {cut}: {err}"
        assert UNEXPECTED_EOF in err, f"cut at {cut}: {err[-500:]}"
        assert "Ready to accept connections" not in err
        # pyredis-check-aof --fix repairs it; then the server starts with the prefix
        manifest = str(d / "appendonlydir" / "appendonly.aof.manifest")
        if open_multi_torn(data, boundaries, cut):
            out["fix_skipped_open_multi"] = True      # covered by test_r4_check_aof_fix_open_multi
            return cleanup(tmp_path, cut, out)
        r = subprocess.run(["pyredis-check-aof", manifest], capture_output=True, text=True)
        assert r.returncode == 1 and "not valid" in r.stdout, r.stdout + r.stderr
        r = subprocess.run(["pyredis-check-aof", "--fix", manifest], input="y\n",
                           capture_output=True, text=True)
        assert r.returncode == 0 and "Successfully truncated" in r.stdout, r.stdout + r.stderr
        out["fixed_size"] = len((d / INCR).read_bytes())
        assert out["fixed_size"] == complete, f"cut at {cut}"
        if cut % 8 and cut + 1 not in boundaries:
            return cleanup(tmp_path, cut, out)   # the restart after --fix: every 8th offset
        srv, err = try_start("pyredis", d, "--aof-load-truncated", "no")
        assert srv is not None, f"cut at {cut}: refused after --fix: {err}"
        out["started_after_fix"] = True
    try:
        assert dataset(srv.port) == want, f"cut at {cut} (aof-load-truncated no)"
    finally:
        srv.stop()
    return cleanup(tmp_path, cut, out)


def cleanup(tmp_path, cut, out):
    for sub in tmp_path.iterdir():
        if sub.name.endswith(f"-{cut}"):
            shutil.rmtree(sub, ignore_errors=True)
    return out


def open_multi_torn(data, boundaries, cut):
    """True when the cut falls after a complete MULTI record of the last command (the
    transaction is open at the end of the file)."""
    multi = boundaries[2] + len(support.encode("MULTI"))
    return boundaries[2] <= cut and multi < cut < boundaries[3] and \
        data[boundaries[2]:multi] == support.encode("MULTI")


SLICES = 6


@pytest.mark.parametrize("part", range(SLICES))
def test_r4_torn_tail_every_byte(tmp_path, r4_source, part):
    """Cut the file at every byte offset from the start of the third-from-last command to the
    last byte (split in SLICES parts for xdist): every offset with both settings of
    aof-load-truncated and pyredis-check-aof --fix, redis-server on the same files."""
    src, data, states, boundaries = r4_source
    cuts = list(range(boundaries[0], boundaries[3]))[part::SLICES]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(
            lambda cut: check_cut(tmp_path, data, src, states, boundaries, cut), cuts))
    torn = [r for r in results if r["torn"]]
    assert len(torn) == len([c for c in cuts if c not in boundaries])
    report("r4_aof", f"part_{part}_of_{SLICES}", {
        "tail_commands": TAIL_COMMANDS, "tail_boundaries": boundaries,
        "offsets": cuts, "cuts": len(cuts), "torn_cuts": len(torn),
        "yes_started_with_prefix": len(cuts),
        "no_checked": sum(1 for r in results if r.get("no_checked")),
        "no_exited_1_with_message": sum(1 for r in torn if r.get("no_checked")),
        "check_aof_fix_repaired": sum(1 for r in torn if "fixed_size" in r),
        "started_after_fix": sum(1 for r in torn if r.get("started_after_fix")),
        "fix_skipped_open_multi": sum(1 for r in torn if r.get("fix_skipped_open_multi")),
        "redis_agrees": sum(1 for r in results if r.get("redis_agrees")),
        "redis_checked": HAVE_REDIS})


def test_r4_check_aof_fix_open_multi(tmp_path, r4_source):
    src, data, states, boundaries = r4_source
    cut = boundaries[2] + len(support.encode("MULTI")) + 1
    results = {}
    for tool in ("pyredis-check-aof", "redis-check-aof"):
        d = tmp_path / tool
        cut_dir(src, d, data, cut)
        if shutil.which(tool) is None:
            continue
        manifest = str(d / "appendonlydir" / "appendonly.aof.manifest")
        subprocess.run([tool, "--fix", manifest], input="y\n", capture_output=True, text=True)
        results[tool] = len((d / INCR).read_bytes())
    assert results["pyredis-check-aof"] == boundaries[2]
    if "redis-check-aof" in results:
        assert results["redis-check-aof"] == boundaries[2]
