#!/usr/bin/env python3
"""Server CPU time per request, pyredis vs redis-server, under redis-benchmark.

Throughput at -P 1 is bounded by the round trip and by redis-benchmark's own single thread,
so on a small, shared machine its ratio is mostly noise. The CPU time a server spends per
request (user + system, read from /proc/<pid>/stat around a run with a fixed request count)
is a far steadier measure of how much work each server does. Servers run pinned to CPU 0 and
redis-benchmark to CPU 1; each (test, pipeline) is run --rounds times per server, alternating,
and the median is reported. `efficiency` = redis CPU per request / pyredis CPU per request
(above 1: pyredis does less work per request).

    python benchmarks/cpu.py [--tests set,get,...] [--pipelines 1,16] [--rounds 3]
                             [--requests 1:300000,16:2000000] [--format csv|json] [--out FILE]
"""
import argparse
import os
import statistics
import subprocess
import sys

import benchutil as bu

DEFAULT_TESTS = "set,get,incr,mset,ping_inline,ping_mbulk"
DEFAULT_REQUESTS = {1: 300000}
DEEP_PIPELINE_REQUESTS = 2000000


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(server, test: str, pipeline: int, requests: int, keyspace: int) -> float:
    """Microseconds of server CPU per request for one redis-benchmark run."""
    before = cpu_seconds(server.server_pid)
    subprocess.run(["taskset", "-c", "1", "redis-benchmark", "-p", str(server.port), "-c", "50",
                    "-n", str(requests), "-P", str(pipeline), "-t", test, "-q",
                    "-r", str(keyspace)], capture_output=True, check=True)
    return (cpu_seconds(server.server_pid) - before) / requests * 1e6


def parse_requests(text: str | None) -> dict:
    out = dict(DEFAULT_REQUESTS)
    for part in (text or "").split(","):
        if part:
            depth, n = part.split(":")
            out[int(depth)] = int(n)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bu.add_common_args(ap)
    ap.add_argument("--tests", default=DEFAULT_TESTS)
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--requests", help="per depth, e.g. 1:300000,16:2000000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keyspace", type=int, default=100000)
    args = ap.parse_args()
    bu.install_sigterm_handler()
    requests = parse_requests(args.requests)
    servers = [bu.Server("pyredis", args.pyredis_cmd, 0, args.start_timeout),
               bu.Server("redis", args.redis_cmd, 0, args.start_timeout)]
    rows = []
    try:
        for s in servers:
            s.start()
        for test in args.tests.split(","):
            for depth in (int(p) for p in args.pipelines.split(",")):
                n = requests.get(depth, DEEP_PIPELINE_REQUESTS)
                samples = {s.label: [] for s in servers}
                for rnd in range(args.rounds):
                    for s in (servers if rnd % 2 == 0 else servers[::-1]):
                        samples[s.label].append(measure(s, test, depth, n, args.keyspace))
                py = statistics.median(samples["pyredis"])
                ref = statistics.median(samples["redis"])
                rows.append({"test": test, "pipeline": depth, "requests": n,
                             "pyredis_cpu_us_per_request": round(py, 3),
                             "redis_cpu_us_per_request": round(ref, 3),
                             "efficiency": round(ref / py, 3), "rounds": args.rounds})
                bu.log("%-12s P%-2d  pyredis %.3f us  redis %.3f us  efficiency %.2f"
                       % (test, depth, py, ref, ref / py))
    finally:
        bu.stop_all(servers)
    bu.print_table(["test", "P", "pyredis us/req", "redis us/req", "efficiency"],
                   [(r["test"], r["pipeline"], "%.3f" % r["pyredis_cpu_us_per_request"],
                     "%.3f" % r["redis_cpu_us_per_request"], "%.2f" % r["efficiency"])
                    for r in rows])
    bu.emit(rows, ["test", "pipeline", "requests", "pyredis_cpu_us_per_request",
                   "redis_cpu_us_per_request", "efficiency", "rounds"],
            {"script": "benchmarks/cpu.py", "rounds": args.rounds}, args.format, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
