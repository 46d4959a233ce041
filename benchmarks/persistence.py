#!/usr/bin/env python3
"""Persistence side by side: pyredis and redis-server 7.0.15, both with an append-only file.

1. redis-benchmark SET (-t set -c 50 -r 100000) with `appendfsync everysec` at -P 1 and -P 16,
   and with `appendfsync always` at -P 1: requests/s and the ratio pyredis/redis.
2. AOF load: a 1M-command AOF (SET key:N written by `redis-benchmark -t set -n 1000000
   -r 1000000 -P 64` into redis-server with appendonly yes; RDB-preamble base + incr file),
   loaded at start-up by both servers: seconds from process start to PING answering, and the
   server's own "DB loaded from ..." figure.
3. RDB load: DEBUG POPULATE 1000000 on redis-server, SAVE; both servers start on that dump.
4. Fork memory: both servers start on that dump (AOF on, so the start writes a base), then
   BGSAVE and BGREWRITEAOF each run once; the peak of parent RSS + child RSS, sampled every
   10 ms, and the child's run time, next to redis-server's (no target: reported).

Servers, clients and output as in bench.py (import, not copy): table on stderr, CSV or JSON on
stdout, --out FILE for JSON. --taskset pins servers to CPU 0 and redis-benchmark to CPU 1.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import bench
import benchutil
from benchutil import Server, ServerError, fmt_num, log, print_table

FIELDS = ["test", "pyredis", "redis", "unit", "ratio", "target", "met", "note"]


class PServer(Server):
    """A bench Server with extra redis-server style arguments (they come last and win) and,
    optionally, a prepared directory copied in before start."""

    def __init__(self, label, cmd, cpu, start_timeout, extra=(), seed_dir=None):
        super().__init__(label, cmd, cpu, start_timeout)
        self.extra = list(extra)
        self.seed_dir = seed_dir
        self.data_dir = None
        self.startup_seconds = None

    def argv(self):
        if self.seed_dir is not None and self.data_dir is None:
            self.data_dir = tempfile.mkdtemp(prefix="pyredis-bench-load-%s-" % self.label)
            shutil.rmtree(self.data_dir)
            shutil.copytree(self.seed_dir, self.data_dir)
        argv = super().argv() + ["--loglevel", "notice"] + self.extra
        if self.data_dir:
            argv += ["--dir", self.data_dir]
        return argv

    def start(self):
        t = time.monotonic()
        super().start()
        self.startup_seconds = time.monotonic() - t

    def stop(self, timeout=60.0):
        super().stop(timeout)
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def log_text(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    benchutil.add_common_args(ap)
    ap.add_argument("--benchmark-cmd", default="redis-benchmark")
    ap.add_argument("--requests", type=int, default=200000, help="-n for the SET runs (P1)")
    ap.add_argument("--requests-p16", type=int, default=1000000, help="-n for P16")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--load-keys", type=int, default=1000000,
                    help="commands in the AOF / keys in the RDB")
    ap.add_argument("--skip", default="", help="comma list of set,aof,rdb,fork to skip (fork needs rdb)")
    ap.add_argument("--taskset", action="store_true")
    ap.add_argument("--run-timeout", type=float, default=600.0)
    args = ap.parse_args(argv)
    args.skip = {s for s in args.skip.split(",") if s}
    return args


def benchmark_argv(args, port, pipeline, n, keyspace=100000):
    argv = [args.benchmark_cmd, "-h", benchutil.HOST, "-p", str(port), "-c", "50",
            "-n", str(n), "-r", str(keyspace), "-P", str(pipeline), "-t", "set", "--csv"]
    return (["taskset", "-c", "1"] + argv) if args.taskset else argv


def set_runs(args, cpu):
    rows = []
    for policy, pipe in (("everysec", 1), ("everysec", 16), ("always", 1)):
        n = args.requests_p16 if pipe > 1 else args.requests
        vals = {"pyredis": [], "redis": []}
        servers = [PServer("pyredis", args.pyredis_cmd, cpu, args.start_timeout,
                           ["--appendonly", "yes", "--appendfsync", policy]),
                   PServer("redis", args.redis_cmd, cpu, args.start_timeout,
                           ["--appendonly", "yes", "--appendfsync", policy])]
        try:
            for s in servers:
                s.start()
            for rnd in range(args.rounds):
                for s in (servers if rnd % 2 == 0 else servers[::-1]):
                    s.call("FLUSHALL")
                    out, err, code, error = bench.run_client(
                        benchmark_argv(args, s.port, pipe, n), s, args.run_timeout)
                    rps = bench.parse_csv_output(out).get("set")
                    if error or code or rps is None:
                        raise ServerError("%s: redis-benchmark failed: %s %s"
                                          % (s.label, error, err[-300:]))
                    vals[s.label].append(rps)
                    log("SET %s P%d %s: %s rps" % (policy, pipe, s.label, fmt_num(rps)))
        finally:
            benchutil.stop_all(servers)
        py, rd = statistics.median(vals["pyredis"]), statistics.median(vals["redis"])
        rows.append({"test": "SET appendfsync %s -P %d (n=%d)" % (policy, pipe, n),
                     "pyredis": py, "redis": rd, "unit": "req/s",
                     "ratio": round(py / rd, 3), "target": 0.8,
                     "met": py / rd >= 0.8, "note": "median of %d" % args.rounds})
    return rows


LOADED = re.compile(r"DB loaded from (append only file|disk): ([0-9.]+) seconds")


def make_aof(args, cpu, where):
    """A 1M-command AOF written by redis-server: its appendonlydir copied into `where`."""
    s = PServer("redis", args.redis_cmd, cpu, args.start_timeout,
                ["--appendonly", "yes", "--appendfsync", "no", "--aof-use-rdb-preamble", "yes"])
    try:
        s.start()
        out, err, code, error = bench.run_client(
            benchmark_argv(args, s.port, 64, args.load_keys, args.load_keys), s,
            args.run_timeout)
        if error or code:
            raise ServerError("writing the AOF failed: %s %s" % (error, err[-300:]))
        keys = s.call("DBSIZE")
        os.kill(s.proc.pid, 15)
        s.proc.wait(60)
        shutil.copytree(os.path.join(s.dir, "appendonlydir"),
                        os.path.join(where, "appendonlydir"))
    finally:
        s.stop()
    size = sum(os.path.getsize(os.path.join(where, "appendonlydir", f))
               for f in os.listdir(os.path.join(where, "appendonlydir")))
    log("AOF: %d commands, %d keys, %.1f MB" % (args.load_keys, keys, size / 2**20))
    return keys, size


def make_rdb(args, cpu, where):
    s = PServer("redis", args.redis_cmd, cpu, args.start_timeout,
                ["--enable-debug-command", "yes"])
    try:
        s.start()
        s.call("DEBUG", "POPULATE", str(args.load_keys))
        s.call("SAVE")
        shutil.copy(os.path.join(s.dir, "dump.rdb"), os.path.join(where, "dump.rdb"))
    finally:
        s.stop()
    size = os.path.getsize(os.path.join(where, "dump.rdb"))
    log("RDB: %d keys, %.1f MB" % (args.load_keys, size / 2**20))
    return size


def load_runs(args, cpu, kind, seed, keys, extra):
    wall = {"pyredis": [], "redis": []}
    own = {"pyredis": [], "redis": []}
    for rnd in range(args.rounds):
        for label, cmd in ((("pyredis", args.pyredis_cmd), ("redis", args.redis_cmd))
                           if rnd % 2 == 0 else
                           (("redis", args.redis_cmd), ("pyredis", args.pyredis_cmd))):
            s = PServer(label, cmd, cpu, max(args.start_timeout, 300), extra, seed)
            try:
                s.start()
                n = s.call("DBSIZE")
                if n != keys:
                    raise ServerError("%s loaded %s keys, expected %d" % (label, n, keys))
                wall[label].append(s.startup_seconds)
                m = LOADED.search(s.log_text())
                if m:
                    own[label].append(float(m.group(2)))
                log("%s load %s: %.2fs to PING (%s)" % (kind, label, s.startup_seconds,
                                                       m.group(0) if m else "no log line"))
            finally:
                s.stop()
    py, rd = statistics.median(wall["pyredis"]), statistics.median(wall["redis"])
    note = "median of %d; process start to PING" % args.rounds
    if own["pyredis"] and own["redis"]:
        note += "; logged load time pyredis %.2fs, redis %.2fs" % (
            statistics.median(own["pyredis"]), statistics.median(own["redis"]))
    # a load *rate* ratio: redis time / pyredis time
    logged = {}
    if own["pyredis"] and own["redis"]:
        lp, lr = statistics.median(own["pyredis"]), statistics.median(own["redis"])
        logged = {"pyredis_logged_s": lp, "redis_logged_s": lr,
                  "logged_ratio": round(lr / lp, 3) if lp else None}
    return {**logged, "test": "%s load, %d keys (seconds)" % (kind, keys), "pyredis": round(py, 3),
            "redis": round(rd, 3), "unit": "s", "ratio": round(rd / py, 3), "target": 0.5,
            "met": rd / py >= 0.5, "note": note}


def rss_bytes(pid):
    try:
        with open("/proc/%d/statm" % pid) as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def pss_bytes(pid):
    """Proportional set size: shared (copy-on-write) pages split between the processes."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def children_of(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def peak_during(s, command, busy_field):
    """Run a forking command; sample parent + child RSS (and PSS, which counts a page shared by
    both once) until INFO says it is over."""
    before = rss_bytes(s.server_pid)
    started = time.monotonic()
    s.call(command)
    peak = peak_pss = before
    while True:
        pids = [s.server_pid] + children_of(s.server_pid)
        peak = max(peak, sum(rss_bytes(p) for p in pids))
        peak_pss = max(peak_pss, sum(pss_bytes(p) for p in pids))
        if len(pids) == 1 and ("%s:0" % busy_field) in s.call("INFO", "persistence").decode():
            return before, peak, peak_pss, time.monotonic() - started
        time.sleep(0.01)


def fork_runs(args, cpu, seed, keys):
    """Peak parent + child RSS of BGSAVE and BGREWRITEAOF with `keys` keys (one run each)."""
    figures = {}
    for label, cmd in (("pyredis", args.pyredis_cmd), ("redis", args.redis_cmd)):
        s = PServer(label, cmd, cpu, max(args.start_timeout, 300),
                    ["--appendonly", "no", "--dbfilename", "dump.rdb"], seed)
        try:
            s.start()
            figures[label] = {"BGSAVE": peak_during(s, "BGSAVE", "rdb_bgsave_in_progress")}
            # the AOF on (its first base is itself a rewrite), then one BGREWRITEAOF measured
            s.call("CONFIG", "SET", "appendonly", "yes")
            while "aof_rewrite_in_progress:0" not in s.call("INFO", "persistence").decode():
                time.sleep(0.05)
            figures[label]["BGREWRITEAOF"] = peak_during(s, "BGREWRITEAOF",
                                                         "aof_rewrite_in_progress")
            for command, (before, peak, pss, secs) in figures[label].items():
                log("%s %s: RSS before %.1f MB, peak parent+child RSS %.1f MB (PSS %.1f MB), "
                    "%.2fs" % (label, command, before / 2**20, peak / 2**20, pss / 2**20, secs))
        finally:
            s.stop()
    rows = []
    for command in ("BGSAVE", "BGREWRITEAOF"):
        (pb, pp, pq, ps), (rb, rp, rq, rs) = figures["pyredis"][command], figures["redis"][command]
        rows.append({"test": "%s %d keys: peak parent+child RSS" % (command, keys),
                     "pyredis": round(pp / 2**20, 1), "redis": round(rp / 2**20, 1),
                     "unit": "MB", "ratio": round(pp / rp, 3), "target": None, "met": True,
                     "note": "RSS before pyredis %.1f MB, redis %.1f MB; peak parent+child PSS "
                             "pyredis %.1f MB, redis %.1f MB; child run pyredis %.2fs, redis "
                             "%.2fs" % (pb / 2**20, rb / 2**20, pq / 2**20, rq / 2**20, ps, rs)})
    return rows


def main(argv=None):
    args = parse_args(argv)
    benchutil.install_sigterm_handler()
    cpu = 0 if args.taskset else None
    rows = []
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="pyredis-bench-persistence-")
    try:
        if "set" not in args.skip:
            rows += set_runs(args, cpu)
        if "aof" not in args.skip:
            aof = os.path.join(work, "aof")
            os.mkdir(aof)
            keys, size = make_aof(args, cpu, aof)
            row = load_runs(args, cpu, "AOF", aof, keys, ["--appendonly", "yes"])
            row["note"] += "; %d commands, %.1f MB" % (args.load_keys, size / 2**20)
            rows.append(row)
        if "rdb" not in args.skip:
            rdb = os.path.join(work, "rdb")
            os.mkdir(rdb)
            size = make_rdb(args, cpu, rdb)
            row = load_runs(args, cpu, "RDB", rdb, args.load_keys,
                            ["--appendonly", "no", "--dbfilename", "dump.rdb"])
            row["note"] += "; %.1f MB" % (size / 2**20)
            rows.append(row)
            if "fork" not in args.skip:
                rows += fork_runs(args, cpu, rdb, args.load_keys)
    except ServerError as e:
        log("error: %s" % e)
        return 2
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log("")
    log("persistence, pyredis vs redis-server, %.0fs total (load ratios are redis time / "
        "pyredis time)" % (time.monotonic() - started))
    print_table(["test", "pyredis", "redis", "unit", "ratio", "target"],
                [[r["test"], fmt_num(r["pyredis"], 0 if r["unit"] != "s" else 2),
                  fmt_num(r["redis"], 0 if r["unit"] != "s" else 2), r["unit"],
                  fmt_num(r["ratio"], 3),
                  "-" if r["target"] is None else
                  ">=%.2f %s" % (r["target"], "ok" if r["met"] else "MISS")] for r in rows])
    for r in rows:
        log("note: %s: %s" % (r["test"], r["note"]))
    meta = {"pyredis_cmd": args.pyredis_cmd, "redis_cmd": args.redis_cmd,
            "rounds": args.rounds, "taskset": args.taskset, "load_keys": args.load_keys,
            "requests": args.requests, "requests_p16": args.requests_p16,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    benchutil.emit(rows, FIELDS, meta, args.format, args.out)
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
