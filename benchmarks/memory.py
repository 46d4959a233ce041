#!/usr/bin/env python3
"""Memory per key of pyredis and redis-server side by side.

For each shape and each server: start a fresh server (free port, private
temporary --dir, no persistence), wait for PING, read its RSS (VmRSS from
/proc/<pid>/status and INFO memory used_memory_rss), write N keys over one
raw socket in large pipelined batches (every reply checked), wait a moment,
read RSS again and DBSIZE (must equal N), stop the server.

bytes/key = (VmRSS after - VmRSS before) / N; ratio = pyredis / redis.

Human-readable table on stderr; machine-readable results on stdout
(--format csv|json); --out FILE also writes the JSON.  With --max-ratio the
exit code is 1 when a ratio is above it.  See benchmarks/README.md.
"""

import argparse
import os
import sys
import time

import benchutil
from benchutil import (SHAPES, RespError, Server, ServerError,
                       fmt_num, log, print_table)

SIDES = ("pyredis", "redis")
PER_SIDE = ["rss_before", "rss_after", "info_rss_before", "info_rss_after",
            "used_memory_after", "dbsize", "bytes_per_key",
            "info_bytes_per_key", "write_seconds"]
FIELDS = (["shape", "keys", "value_size"]
          + ["%s_%s" % (side, f) for side in SIDES for f in PER_SIDE]
          + ["ratio", "max_ratio", "note"])


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description="RSS per key of pyredis vs redis-server",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    benchutil.add_common_args(ap)
    ap.add_argument("--keys", type=int, default=1000000,
                    help="number of keys to write (key:%%012d)")
    ap.add_argument("--value-size", type=int, default=10,
                    help="bytes per value (each field / element)")
    ap.add_argument("--shape", default="string",
                    help="comma-separated data shapes: "
                    + ", ".join("%s (%s)" % (k, v.description)
                                for k, v in SHAPES.items()))
    ap.add_argument("--batch", type=int, default=10000,
                    help="commands per pipelined batch")
    ap.add_argument("--settle", type=float, default=2.0,
                    help="seconds to wait before reading RSS after writing")
    ap.add_argument("--taskset", action="store_true",
                    help="pin the servers to CPU 0 and this script (the "
                         "writer) to CPU 1")
    ap.add_argument("--max-ratio", type=float, default=None,
                    help="exit 1 if bytes/key pyredis/redis is above this")
    args = ap.parse_args(argv)
    args.shapes = [s.strip() for s in args.shape.split(",") if s.strip()]
    for s in args.shapes:
        if s not in SHAPES:
            ap.error("unknown shape %r (known: %s)"
                     % (s, ", ".join(SHAPES)))
    if args.keys < 1:
        ap.error("--keys must be >= 1")
    return args


def info_memory(server):
    """INFO memory as a dict, or {} if the server does not support it."""
    try:
        with server.client() as c:
            return c.info("memory")
    except (RespError, ConnectionError, OSError):
        return {}


def int_or_none(x):
    try:
        return int(x)
    except (TypeError, ValueError):
        return None


def measure(args, label, cmd, shape):
    """Start one server, fill it, return a dict of measurements."""
    srv = Server(label, cmd, 0 if args.taskset else None, args.start_timeout)
    res = {}
    try:
        srv.start()
        time.sleep(0.5)
        res["rss_before"] = srv.rss_bytes()
        res["info_rss_before"] = int_or_none(
            info_memory(srv).get("used_memory_rss"))
        res["write_seconds"] = round(benchutil.write_keys(
            srv.port, shape, n=args.keys, value_size=args.value_size,
            batch=args.batch), 2)
        time.sleep(args.settle)
        res["rss_after"] = srv.rss_bytes()
        mem = info_memory(srv)
        res["info_rss_after"] = int_or_none(mem.get("used_memory_rss"))
        res["used_memory_after"] = int_or_none(mem.get("used_memory"))
        res["dbsize"] = srv.call("DBSIZE")
        if not srv.alive():
            raise ServerError("%s exited after the run\n%s"
                              % (label, srv.log_tail()))
    finally:
        srv.stop()
    res["bytes_per_key"] = round(
        (res["rss_after"] - res["rss_before"]) / args.keys, 1)
    if res["info_rss_before"] is not None and res["info_rss_after"] is not None:
        res["info_bytes_per_key"] = round(
            (res["info_rss_after"] - res["info_rss_before"]) / args.keys, 1)
    else:
        res["info_bytes_per_key"] = None
    log("%s %s: %d keys written in %.1fs (%s keys/s), RSS %s -> %s, "
        "DBSIZE %s, %.1f bytes/key"
        % (shape, label, args.keys, res["write_seconds"],
           fmt_num(args.keys / max(res["write_seconds"], 1e-9)),
           fmt_num(res["rss_before"]), fmt_num(res["rss_after"]),
           res["dbsize"], res["bytes_per_key"]))
    return res


def main(argv=None):
    args = parse_args(argv)
    benchutil.install_sigterm_handler()
    if args.taskset:
        os.sched_setaffinity(0, {1})
    cmds = {"pyredis": args.pyredis_cmd, "redis": args.redis_cmd}
    rows, problems = [], []
    try:
        for shape in args.shapes:
            row = {"shape": shape, "keys": args.keys,
                   "value_size": args.value_size, "max_ratio": args.max_ratio}
            notes = []
            for side in SIDES:
                try:
                    res = measure(args, side, cmds[side], shape)
                except (ServerError, ConnectionError, OSError) as e:
                    log("error: %s %s: %s" % (shape, side, e))
                    notes.append("%s failed: %s"
                                 % (side, str(e).splitlines()[0]))
                    res = {}
                for f in PER_SIDE:
                    row["%s_%s" % (side, f)] = res.get(f)
                if res and res["dbsize"] != args.keys:
                    notes.append("%s DBSIZE %s != %d"
                                 % (side, res["dbsize"], args.keys))
            py, rd = row["pyredis_bytes_per_key"], row["redis_bytes_per_key"]
            row["ratio"] = (round(py / rd, 3) if py is not None and rd
                            else None)
            if args.max_ratio is not None and (
                    row["ratio"] is None or row["ratio"] > args.max_ratio):
                problems.append("%s: ratio %s > max %.2f"
                                % (shape, "n/a" if row["ratio"] is None
                                   else "%.3f" % row["ratio"],
                                   args.max_ratio))
            if notes:
                problems.extend("%s: %s" % (shape, n) for n in notes)
            row["note"] = "; ".join(notes) or None
            rows.append(row)
    except KeyboardInterrupt:
        log("interrupted")
        return 130

    mib = 1024 * 1024
    log("")
    log("RSS per key, %d keys, %d-byte values" % (args.keys, args.value_size))
    print_table(
        ["shape", "pyredis RSS MiB", "bytes/key", "redis RSS MiB",
         "bytes/key", "ratio", "max"],
        [[r["shape"],
          "%s -> %s" % (fmt_num(_div(r["pyredis_rss_before"], mib), 1),
                        fmt_num(_div(r["pyredis_rss_after"], mib), 1)),
          fmt_num(r["pyredis_bytes_per_key"], 1),
          "%s -> %s" % (fmt_num(_div(r["redis_rss_before"], mib), 1),
                        fmt_num(_div(r["redis_rss_after"], mib), 1)),
          fmt_num(r["redis_bytes_per_key"], 1),
          fmt_num(r["ratio"], 3),
          "" if r["max_ratio"] is None else "%.2f" % r["max_ratio"]]
         for r in rows])

    meta = {"pyredis_cmd": args.pyredis_cmd, "redis_cmd": args.redis_cmd,
            "keys": args.keys, "value_size": args.value_size,
            "shapes": args.shapes, "batch": args.batch,
            "settle": args.settle, "taskset": args.taskset,
            "max_ratio": args.max_ratio, "problems": problems,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    benchutil.emit(rows, FIELDS, meta, args.format, args.out)

    if problems:
        log("")
        for p in problems:
            log("FAIL " + p)
        return 1
    return 0


def _div(x, d):
    return None if x is None else x / d


if __name__ == "__main__":
    sys.exit(main())
