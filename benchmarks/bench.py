#!/usr/bin/env python3
"""Throughput of pyredis and redis-server side by side, with redis-benchmark.

Starts both servers once (free ports, private temporary --dir, no
persistence), then for each round, pipeline depth and test runs one
redis-benchmark invocation against each server, alternating which server
goes first from round to round.  Reports the median rps per server (and
min/max over the rounds) and the ratio pyredis/redis.

Human-readable table on stderr; machine-readable results on stdout
(--format csv|json); --out FILE also writes the JSON.  With --targets the
exit code is 1 when a ratio misses its target.  See benchmarks/README.md.
"""

import argparse
import csv
import io
import os
import re
import shlex
import statistics
import subprocess
import sys
import time

import benchutil
from benchutil import (RespError, Server, ServerError, fmt_num,
                       log, print_table)

STRING_TESTS = "set,get,incr,mset,ping_inline,ping_mbulk"
TYPE_TESTS = ("lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,"
              "lrange_100,lrange_300,lrange_500,lrange_600")
DEFAULT_TESTS = STRING_TESTS
DEFAULT_PIPELINES = "1,16"

# Names --tests accepts besides the tests themselves: each expands to its list.
TEST_SETS = {"strings": STRING_TESTS, "types": TYPE_TESTS,
             "all": STRING_TESTS + "," + TYPE_TESTS}

# redis-benchmark 7.0's -t names.  `ping` and `lrange` are groups that
# yield several rows (ping_inline + ping_mbulk, lrange_100 .. lrange_600).
KNOWN_TESTS = {"ping_inline", "ping_mbulk", "ping", "set", "get", "incr",
               "lpush", "rpush", "lpop", "rpop", "sadd", "hset", "spop",
               "zadd", "zpopmin", "lrange", "lrange_100", "lrange_300",
               "lrange_500", "lrange_600", "mset", "xadd"}

# Names --targets accepts as a whole rule set.  `types`: the data-type goals
# (-P 16: pushes/pops/adds >= 0.7 of redis-server, LRANGE_100 >= 0.6; -P 1:
# every data-type test >= 0.9).  `strings`: the string-command goals.
TARGET_PRESETS = {
    "types": ("P16:lpush,rpop,sadd,hset,zadd,zpopmin>=0.7,"
              "P16:lrange_100>=0.6,P1:" + TYPE_TESTS + ">=0.9"),
    "strings": "P1:" + STRING_TESTS + ">=0.9,P16:set,get,incr>=0.8",
}

FIELDS = ["test", "pipeline", "requests", "pyredis_rps", "redis_rps", "ratio",
          "pair_ratio", "rounds", "pyredis_min", "pyredis_max", "redis_min",
          "redis_max", "pyredis_runs", "redis_runs", "target", "note"]

# A row whose max/min over the rounds exceeds this (either server) is
# flagged as noisy in its note.
NOISY_SPREAD = 1.3


# --------------------------------------------------------------------------
# Arguments


def parse_requests(text):
    """'200000' (every depth) or '1:200000,16:1000000' (per depth).

    Returns a function pipeline -> requests.  Depths not named keep the
    default: 200000 for -P 1, 1000000 for deeper pipelines.
    """
    def default(p):
        return 200000 if p == 1 else 1000000
    if text is None:
        return default
    text = text.strip()
    if ":" not in text:
        n = int(text)
        return lambda p: n
    table = {}
    for part in text.split(","):
        p, n = part.split(":")
        table[int(p.strip().lstrip("Pp"))] = int(n)
    return lambda p: table.get(p, default(p))


def parse_targets(text):
    """Parse 'P1:*>=0.9,P16:set,get,incr>=0.8' into rules.

    Each rule is an optional `P<depth>:` (or `P*:`; none means every depth),
    a comma-separated list of test names or `*`, and `>=RATIO`.  Returns a
    list of (pipeline or None, set of tests or None, min ratio, text).
    """
    rules = []
    if not text:
        return rules
    pending = None          # [pipeline, tests, start text]
    for tok in (t.strip() for t in text.split(",")):
        if not tok:
            continue
        if pending is None and tok.lower() in TARGET_PRESETS:
            for pipe, tests, thr, _ in parse_targets(
                    TARGET_PRESETS[tok.lower()]):
                rules.append((pipe, tests, thr, "%s: P%s>=%g" % (
                    tok.lower(), "*" if pipe is None else pipe, thr)))
            continue
        if pending is None:
            m = re.match(r"^(?:[Pp](\d+|\*):)?(.*)$", tok)
            pipe = m.group(1)
            pending = [None if pipe in (None, "*") else int(pipe), [],
                       tok]
            tok = m.group(2)
        else:
            pending[2] += "," + tok
        if ">=" in tok:
            name, thr = tok.split(">=", 1)
            if name.strip():
                pending[1].append(name.strip().lower())
            tests = set(pending[1])
            if not tests:
                raise ValueError("target rule %r names no test" % pending[2])
            rules.append((pending[0], None if "*" in tests else tests,
                          float(thr), pending[2]))
            pending = None
        else:
            pending[1].append(tok.lower())
    if pending is not None:
        raise ValueError("target rule %r has no '>=RATIO'" % pending[2])
    return rules


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description="redis-benchmark throughput of pyredis vs redis-server",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    benchutil.add_common_args(ap)
    ap.add_argument("--benchmark-cmd", default="redis-benchmark",
                    help="redis-benchmark binary")
    ap.add_argument("--tests", default=DEFAULT_TESTS,
                    help="comma-separated redis-benchmark -t test names "
                         "and/or sets: " + ", ".join(TEST_SETS))
    ap.add_argument("--pipelines", default=DEFAULT_PIPELINES,
                    help="comma-separated pipeline depths (-P)")
    ap.add_argument("--requests", default=None,
                    help="-n: one number for every depth, or per depth as "
                         "'1:200000,16:1000000' (default 200000 for -P 1, "
                         "1000000 for deeper pipelines)")
    ap.add_argument("--clients", type=int, default=50, help="-c")
    ap.add_argument("--keyspace", type=int, default=100000,
                    help="-r: random keys key:__rand_int__")
    ap.add_argument("--datasize", type=int, default=3,
                    help="-d: value size in bytes")
    ap.add_argument("--rounds", type=int, default=3,
                    help="runs per server for each (test, pipeline)")
    ap.add_argument("--taskset", action="store_true",
                    help="pin the servers to CPU 0 and redis-benchmark to "
                         "CPU 1")
    ap.add_argument("--run-timeout", type=float, default=600.0,
                    help="seconds before one redis-benchmark run is killed")
    ap.add_argument("--targets", default=None,
                    help="e.g. 'P1:*>=0.9,P16:set,get,incr>=0.8': exit 1 if "
                         "a ratio pyredis/redis misses its target; presets: "
                         + ", ".join(TARGET_PRESETS))
    ap.add_argument("--target-on", choices=["ratio", "pair_ratio"],
                    default="ratio",
                    help="which column --targets checks: ratio (median "
                         "pyredis rps / median redis rps) or pair_ratio "
                         "(median of the per-round ratios)")
    args = ap.parse_args(argv)
    tests = []
    for t in (t.strip().lower() for t in args.tests.split(",")):
        for name in TEST_SETS.get(t, t).split(","):
            if name and name not in tests:
                tests.append(name)
    unknown = [t for t in tests if t not in KNOWN_TESTS]
    if unknown:
        ap.error("--tests: unknown test(s) %s (known: %s; sets: %s)"
                 % (", ".join(unknown), ", ".join(sorted(KNOWN_TESTS)),
                    ", ".join(TEST_SETS)))
    args.tests = tests
    args.pipelines = [int(p) for p in args.pipelines.split(",") if p.strip()]
    args.requests_for = parse_requests(args.requests)
    try:
        args.target_rules = parse_targets(args.targets)
    except ValueError as e:
        ap.error("--targets: %s" % e)
    if args.rounds < 1:
        ap.error("--rounds must be >= 1")
    return args


# --------------------------------------------------------------------------
# One redis-benchmark run


def normalize(csv_name):
    """'MSET (10 keys)' -> 'mset', 'LRANGE_100 (first 100 ...)' -> 'lrange_100'."""
    return csv_name.split(" (", 1)[0].strip().lower()


def parse_csv_output(text):
    """redis-benchmark --csv output -> {normalized test name: rps}.

    Rows like 'LPUSH (needed to benchmark LRANGE)' are helper steps and
    are skipped.
    """
    out = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 2 or row[0] == "test" or "needed to" in row[0]:
            continue
        try:
            out[normalize(row[0])] = float(row[1])
        except ValueError:
            continue
    return out


def run_client(argv, server, run_timeout):
    """Run a load client (redis-benchmark) to completion -> (stdout, stderr, exit code,
    error or None). It is killed if the server dies (redis-benchmark would otherwise spin
    forever) or after run_timeout seconds."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + run_timeout
    error = None
    try:
        while True:
            try:
                out, err = proc.communicate(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                pass
            if not server.alive():
                error = "server died during the run"
            elif time.monotonic() > deadline:
                error = "timed out after %.0fs" % run_timeout
            if error:
                proc.kill()
                out, err = proc.communicate()
                break
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return out, err, proc.returncode, error


def run_benchmark(args, server, test, pipeline, requests):
    """Run one redis-benchmark test; returns ({name: rps}, error or None).

    Usually one name (the test itself); a group name like `ping` or
    `lrange` yields each of its sub-tests.  The run is killed if the server
    dies (redis-benchmark would otherwise spin forever) or on timeout.
    """
    argv = [*shlex.split(args.benchmark_cmd), "-h", benchutil.HOST,
            "-p", str(server.port), "-c", str(args.clients),
            "-n", str(requests), "-r", str(args.keyspace),
            "-d", str(args.datasize), "-P", str(pipeline), "-t", test, "--csv"]
    if args.taskset:
        argv = ["taskset", "-c", "1"] + argv
    out, err, code, error = run_client(argv, server, args.run_timeout)
    results = parse_csv_output(out)
    if error is None and code != 0:
        lines = [l for l in (err + out).splitlines() if l.strip()
                 and not l.startswith('"')]
        error = "redis-benchmark exit %d: %s" % (
            code, lines[-1].strip() if lines else "(no output)")
    if error is None and not results:
        error = "no result row (unknown test name?)"
    if error:
        return {}, error
    if test in results:
        return {test: results[test]}, None
    return results, None


# --------------------------------------------------------------------------
# Main


def prepare(server, args):
    """FLUSHALL, then fill the whole -r keyspace so GET hits real values."""
    server.call("FLUSHALL")
    if "get" in args.tests:
        secs = benchutil.write_keys(server.port, "string", n=args.keyspace,
                                    value_size=args.datasize)
        dbsize = server.call("DBSIZE")
        log("%s: FLUSHALL, pre-filled %d keys for GET in %.1fs (DBSIZE %s)"
            % (server.label, args.keyspace, secs, dbsize))
        if dbsize != args.keyspace:
            raise ServerError("%s: DBSIZE %s after pre-filling %d keys"
                              % (server.label, dbsize, args.keyspace))
    else:
        log("%s: FLUSHALL" % server.label)


# The key each data-type test works on (redis-benchmark's fixed names) and the
# state it starts from, so that both servers do the same work in every run
# whatever ran before (or failed, or restarted a server):
#   "empty": the key is deleted (pushes and adds start from nothing; the
#            LRANGE tests' own helper LPUSH then pushes -n elements);
#   "requests": a list of -n elements of -d bytes, so every LPOP/RPOP pops
#            one, as in redis-benchmark's own runs, where LPUSH and RPUSH
#            run before LPOP and RPOP;
#   "keyspace": the -r members element:000000000000.. that SADD / ZADD with
#            `-r` write (ZADD scores 0..r-1), so SPOP / ZPOPMIN pop real
#            members until the key is empty, as after redis-benchmark's SADD
#            and ZADD runs.
TEST_STATE = {
    "lpush": ("mylist", "empty"), "rpush": ("mylist", "empty"),
    "lpop": ("mylist", "requests"), "rpop": ("mylist", "requests"),
    "lrange": ("mylist", "empty"), "lrange_100": ("mylist", "empty"),
    "lrange_300": ("mylist", "empty"), "lrange_500": ("mylist", "empty"),
    "lrange_600": ("mylist", "empty"),
    "sadd": ("myset", "empty"), "spop": ("myset", "keyspace"),
    "hset": ("myhash", "empty"),
    "zadd": ("myzset", "empty"), "zpopmin": ("myzset", "keyspace"),
    "xadd": ("mystream", "empty"),
}
SIZE_COMMAND = {"mylist": "LLEN", "myset": "SCARD", "myzset": "ZCARD",
                "myhash": "HLEN", "mystream": "XLEN"}


def set_test_state(server, test, requests, args):
    """Put the key of a data-type test into its starting state (TEST_STATE).

    Returns the key's size afterwards (checked), or None for tests that
    need no state.
    """
    if test not in TEST_STATE:
        return None
    key, state = TEST_STATE[test]
    server.call("DEL", key)
    if state == "requests":
        value = b"x" * args.datasize
        benchutil.fill_aggregate(server.port, "RPUSH", key,
                                 [[value]] * requests)
        want = requests
    elif state == "keyspace":
        if key == "myzset":
            items = [[b"%d" % i, b"element:%012d" % i]
                     for i in range(args.keyspace)]
        else:
            items = [[b"element:%012d" % i] for i in range(args.keyspace)]
        benchutil.fill_aggregate(server.port,
                                 "ZADD" if key == "myzset" else "SADD",
                                 key, items)
        want = args.keyspace
    else:
        want = 0
    size = server.call(SIZE_COMMAND[key], key)
    if size != want:
        raise ServerError("%s: %s %s is %s after preparing %s, expected %d"
                          % (server.label, SIZE_COMMAND[key], key, size,
                             test, want))
    return size


def summarize(vals):
    if not vals:
        return None, None, None
    return round(statistics.median(vals), 2), min(vals), max(vals)


def check_targets(rows, rules, column="ratio"):
    """Annotate rows with their target; return list of failure messages."""
    failures = []
    for row in rows:
        wanted = [(thr, text) for pipe, tests, thr, text in rules
                  if (pipe is None or pipe == row["pipeline"])
                  and (tests is None or row["test"] in tests)]
        if not wanted:
            continue
        thr = max(t for t, _ in wanted)
        row["target"] = thr
        ratio = row[column]
        if ratio is None or ratio < thr:
            failures.append("P%d %s: %s %s < target %.2f (rule %s)"
                            % (row["pipeline"], row["test"], column,
                               "n/a" if ratio is None else "%.3f" % ratio,
                               thr, " / ".join(t for _, t in wanted)))
    seen = {(r["pipeline"], r["test"]) for r in rows}
    for pipe, tests, thr, text in rules:
        for t in sorted(tests or ()):
            for p in ([pipe] if pipe is not None
                      else sorted({p for p, _ in seen})):
                if (p, t) not in seen:
                    log("warning: target %r: no result for P%d %s"
                        % (text, p, t))
    return failures


def main(argv=None):
    args = parse_args(argv)
    benchutil.install_sigterm_handler()
    cpu = 0 if args.taskset else None
    servers = [Server("pyredis", args.pyredis_cmd, cpu, args.start_timeout),
               Server("redis", args.redis_cmd, cpu, args.start_timeout)]
    # rps[(name, pipeline)][label][round] -> rps; errors[key][label] -> list
    rps, errors, order = {}, {}, []
    started = time.monotonic()
    load_before = os.getloadavg()
    try:
        for s in servers:
            s.start()
            prepare(s, args)
        total = args.rounds * len(args.pipelines) * len(args.tests)
        step = 0
        for rnd in range(args.rounds):
            pair = servers if rnd % 2 == 0 else servers[::-1]
            for pipe in args.pipelines:
                n = args.requests_for(pipe)
                for test in args.tests:
                    step += 1
                    line = []
                    for s in pair:
                        if not s.alive():
                            s.restart()
                            prepare(s, args)
                        try:
                            set_test_state(s, test, n, args)
                        except (ServerError, ConnectionError, OSError,
                                RespError) as e:
                            res, err = {}, "preparing %s failed: %s" % (
                                TEST_STATE[test][0], e)
                        else:
                            res, err = run_benchmark(args, s, test, pipe, n)
                        if err:
                            key = (test, pipe)
                            errors.setdefault(key, {}) \
                                  .setdefault(s.label, []).append(err)
                            if key not in rps:   # a row even with no number
                                rps[key] = {"pyredis": {}, "redis": {}}
                                order.append(key)
                            line.append("%s FAILED (%s)" % (s.label, err))
                        for name, v in res.items():
                            key = (name, pipe)
                            if key not in rps:
                                rps[key] = {"pyredis": {}, "redis": {}}
                                order.append(key)
                            rps[key][s.label][rnd] = v
                            line.append("%s %s %s" % (name, s.label,
                                                      fmt_num(v)))
                    log("[%d/%d round %d P%d n=%d] %s"
                        % (step, total, rnd + 1, pipe, n, "; ".join(line)))
    except ServerError as e:
        log("error: %s" % e)
        return 2
    except KeyboardInterrupt:
        log("interrupted, stopping servers")
        return 130
    finally:
        benchutil.stop_all(servers)

    rows = []
    for key in sorted(order, key=lambda k: (args.pipelines.index(k[1]),
                                            order.index(k))):
        name, pipe = key
        py, rd = rps[key]["pyredis"], rps[key]["redis"]
        py_med, py_min, py_max = summarize(list(py.values()))
        r_med, r_min, r_max = summarize(list(rd.values()))
        pairs = [py[r] / rd[r] for r in py if r in rd and rd[r]]
        notes = []
        for label, errs in errors.get(key, {}).items():
            notes.append("%s: %d/%d runs failed (%s)"
                         % (label, len(errs), args.rounds, errs[-1]))
        spreads = [(label, hi / lo) for label, lo, hi in
                   (("pyredis", py_min, py_max), ("redis", r_min, r_max))
                   if lo and hi / lo > NOISY_SPREAD]
        if spreads:
            notes.append("noisy: max/min " + ", ".join(
                "%s %.2f" % sp for sp in spreads))
        rows.append({
            "test": name, "pipeline": pipe,
            "requests": args.requests_for(pipe),
            "pyredis_rps": py_med, "redis_rps": r_med,
            "ratio": (round(py_med / r_med, 3) if py_med and r_med
                      else None),
            "pair_ratio": (round(statistics.median(pairs), 3) if pairs
                           else None),
            "rounds": args.rounds,
            "pyredis_min": py_min, "pyredis_max": py_max,
            "redis_min": r_min, "redis_max": r_max,
            "pyredis_runs": len(py), "redis_runs": len(rd),
            "target": None, "note": "; ".join(notes) or None,
        })
    failures = check_targets(rows, args.target_rules, args.target_on)
    load_after = os.getloadavg()

    log("")
    log("median requests/s over %d rounds (min..max), -c %d -r %d -d %d, "
        "%.0fs total, load average %.2f before, %.2f after"
        % (args.rounds, args.clients, args.keyspace, args.datasize,
           time.monotonic() - started, load_before[0], load_after[0]))
    tcol = args.target_on
    print_table(
        ["test", "P", "pyredis rps", "(min..max)", "redis rps", "(min..max)",
         "ratio", "pair", "target"],
        [[r["test"], r["pipeline"], fmt_num(r["pyredis_rps"]),
          "(%s..%s)" % (fmt_num(r["pyredis_min"]), fmt_num(r["pyredis_max"])),
          fmt_num(r["redis_rps"]),
          "(%s..%s)" % (fmt_num(r["redis_min"]), fmt_num(r["redis_max"])),
          fmt_num(r["ratio"], 3), fmt_num(r["pair_ratio"], 3),
          "" if r["target"] is None else
          (">=%.2f %s" % (r["target"], "ok" if r[tcol] is not None
                          and r[tcol] >= r["target"] else "MISS"))]
         for r in rows])
    for r in rows:
        if r["note"]:
            log("note: P%d %s: %s" % (r["pipeline"], r["test"], r["note"]))

    meta = {
        "pyredis_cmd": args.pyredis_cmd, "redis_cmd": args.redis_cmd,
        "benchmark_cmd": args.benchmark_cmd, "clients": args.clients,
        "keyspace": args.keyspace, "datasize": args.datasize,
        "rounds": args.rounds, "pipelines": args.pipelines,
        "tests": args.tests, "taskset": args.taskset,
        "targets": args.targets, "target_on": args.target_on,
        "target_failures": failures,
        "loadavg_before": load_before, "loadavg_after": load_after,
        # every run: {"set P1": {"pyredis": [rps per round or null], ...}}
        "runs": {"%s P%d" % k: {label: [v[label].get(r)
                                        for r in range(args.rounds)]
                                for label in v}
                 for k, v in rps.items()},
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    benchutil.emit(rows, FIELDS, meta, args.format, args.out)

    if failures:
        log("")
        log("%d target(s) missed:" % len(failures))
        for f in failures:
            log("  " + f)
        return 1
    if args.target_rules:
        log("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
