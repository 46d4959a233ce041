#!/usr/bin/env python3
"""Issue-4 benchmarks (pub/sub, transactions, blocking pops), pyredis vs redis-server.

Starts both servers the way bench.py does (benchutil.Server: free ports,
private --dir, no persistence, --taskset pins the servers on CPU 0) and
measures, for each server, alternating which one goes first every round:

publish  redis-benchmark `PUBLISH ch hello` (-c 50, -P 16 and -P 1) with 1
         and 100 subscribers.  The subscribers are raw RESP2 sockets
         (`SUBSCRIBE ch`) owned by a separate drain process that only
         recv()s and counts bytes, so they never slow the server; after each
         run every subscriber must have received exactly one message per
         PUBLISH the server executed (INFO commandstats), byte for byte.
multi    `MULTI, SET key:i xxx x10, EXEC` sent as one pipeline per
         transaction on --multi-conns connections spread over --multi-procs
         client processes (pre-encoded bytes; every reply is compared with
         the exact expected 150 bytes); transactions/s over a fixed window.
         The same client drives both servers; its CPU time is reported next
         to the server's so a client bottleneck shows.
blpop    BLPOP/LPUSH ping-pong latency: one process, two raw sockets; A
         sends `BLPOP q 0`, B sends `LPUSH q x`; the time from sending the
         LPUSH to receiving A's reply, --pingpongs times; p50/p99 in us.

Server CPU time per operation (from /proc/<pid>/stat; per ping-pong round
for blpop) is reported too, and cpu_ratio = redis CPU per op / pyredis CPU
per op, far steadier than the rates on a busy machine.  Table on stderr;
csv/json on stdout (--format), --out FILE also writes the JSON.  Exit 1 if
an issue target is missed: PUBLISH and MULTI/EXEC ratio pyredis/redis >= 0.7
(--target-on picks ratio, pair_ratio or cpu_ratio), BLPOP p50 pyredis/redis
<= 1.2; exit 2 if a server cannot be started.  See benchmarks/README.md.
"""

import argparse
import multiprocessing as mp
import os
import select
import selectors
import shlex
import socket
import statistics
import sys
import time

import benchutil
from bench import parse_csv_output, parse_requests, run_client
from benchutil import (HOST, RespError, Server, ServerError, encode_command,
                       fmt_num, log, print_table)
from cpu import cpu_seconds

FIELDS = ["test", "subscribers", "pipeline", "metric", "unit", "pyredis",
          "redis", "ratio", "pair_ratio", "cpu_ratio", "target", "ok",
          "pyredis_min", "pyredis_max", "redis_min", "redis_max",
          "pyredis_cpu_us", "redis_cpu_us", "samples", "note"]

CLIENT_CPU = 1          # with --taskset: servers on CPU 0, every client here


# --------------------------------------------------------------------------
# Small socket helpers


def connect(port, timeout=30.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes: %r"
                                  % (len(buf), n, bytes(buf[:80])))
        buf += chunk
    return bytes(buf)


def pin(cpu):
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def guarded(server, fn, *a):
    """fn(*a), whose last result is an error or None; a connection error or
    a server that died becomes that error (the other results None)."""
    try:
        return fn(*a)
    except (OSError, ConnectionError, ServerError, RespError) as e:
        if server.alive():
            err = "%s: %s" % (type(e).__name__, e)
        else:
            err = "server died (exit code %s)" % server.proc.returncode
        n = {publish_run: 3, multi_run: 4, pingpong: 4}[fn]
        return (None,) * (n - 1) + (err,)


def commandstats_calls(server, command):
    """calls= of INFO commandstats' cmdstat_<command> (0 if absent)."""
    with server.client() as c:
        stats = c.info("commandstats")
    entry = stats.get("cmdstat_" + command.lower())
    if not entry:
        return 0
    for part in entry.split(","):
        k, _, v = part.partition("=")
        if k == "calls":
            return int(v)
    return 0


# --------------------------------------------------------------------------
# PUBLISH: subscribers drained by a separate process


def subscribe_confirm(channel):
    return b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(channel),
                                                             channel)


def message_bytes(channel, payload):
    return b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
        len(channel), channel, len(payload), payload)


def drain_main(port, count, channel, conn, cpu):
    """Child process: `count` sockets SUBSCRIBEd to `channel`, read forever.

    Talks to the parent over `conn`: sends ("ready", None) or ("error",
    text) once subscribed; answers "counts" with ("counts", [bytes received
    per socket], [closed flags]); exits on "stop".
    """
    pin(cpu)
    socks = []
    try:
        want = subscribe_confirm(channel)
        for _ in range(count):
            s = connect(port)
            s.sendall(encode_command(b"SUBSCRIBE", channel))
            socks.append(s)
        for s in socks:
            got = recv_exact(s, len(want))
            if got != want:
                conn.send(("error", "SUBSCRIBE reply %r, expected %r"
                           % (got, want)))
                return
    except (OSError, ConnectionError) as e:
        conn.send(("error", "subscribing: %s" % e))
        return
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
    sel.register(conn, selectors.EVENT_READ, -1)
    counts = [0] * count
    closed = [False] * count
    buf = bytearray(1 << 20)
    conn.send(("ready", None))
    while True:
        for key, _ in sel.select():
            i = key.data
            if i < 0:
                try:
                    msg = conn.recv()
                except EOFError:
                    return
                if msg == "counts":
                    conn.send(("counts", list(counts), list(closed)))
                elif msg == "stop":
                    for s in socks:
                        s.close()
                    return
                continue
            try:
                n = key.fileobj.recv_into(buf)
            except BlockingIOError:
                continue
            except OSError:
                n = 0
            if n == 0:
                closed[i] = True
                sel.unregister(key.fileobj)
            else:
                counts[i] += n


class Drain:
    """Subscribers of one server, spread over `procs` drain processes."""

    def __init__(self, port, count, channel, procs, cpu):
        self.children = []
        procs = max(1, min(procs, count))
        ctx = mp.get_context("fork")
        for p in range(procs):
            n = count // procs + (1 if p < count % procs else 0)
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=drain_main,
                               args=(port, n, channel, child, cpu),
                               daemon=True)
            proc.start()
            child.close()
            self.children.append((proc, parent))
        for proc, parent in self.children:
            if not parent.poll(30):
                self.stop()
                raise ServerError("drain process did not subscribe in 30s")
            kind, text = parent.recv()
            if kind != "ready":
                self.stop()
                raise ServerError("subscriber: %s" % text)

    def counts(self):
        counts, closed = [], []
        for _, parent in self.children:
            parent.send("counts")
            _, c, cl = parent.recv()
            counts += c
            closed += cl
        return counts, closed

    def wait_for(self, want_bytes, timeout=15.0):
        """Wait until every subscriber has `want_bytes`; stop early when the
        counts stay unchanged for 2 s.  Returns (counts, closed)."""
        deadline = time.monotonic() + timeout
        last, last_change = None, time.monotonic()
        while True:
            counts, closed = self.counts()
            if all(c >= want_bytes for c in counts):
                return counts, closed
            now = time.monotonic()
            if counts != last:
                last, last_change = counts, now
            elif now - last_change > 2.0 or now > deadline:
                return counts, closed
            time.sleep(0.005)

    def stop(self):
        for proc, parent in self.children:
            try:
                parent.send("stop")
            except OSError:
                pass
        for proc, parent in self.children:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
            parent.close()
        self.children = []


def run_redis_benchmark(args, server, pipeline, n, command):
    """One redis-benchmark run of an arbitrary command -> (rps, error)."""
    argv = [*shlex.split(args.benchmark_cmd), "-h", HOST,
            "-p", str(server.port), "-c", str(args.clients), "-n", str(n),
            "-P", str(pipeline), "--csv", *command]
    if args.taskset:
        argv = ["taskset", "-c", str(CLIENT_CPU)] + argv
    out, err, code, error = run_client(argv, server, args.run_timeout)
    if error is None and code != 0:
        lines = [l for l in (err + out).splitlines() if l.strip()]
        error = "redis-benchmark exit %d: %s" % (
            code, lines[-1].strip() if lines else "(no output)")
    results = parse_csv_output(out)
    if error is None and len(results) != 1:
        error = "no result row in %r" % out[-200:]
    if error:
        return None, error
    return next(iter(results.values())), None


def publish_run(args, server, drain, subs, pipeline, n):
    """One PUBLISH run with `subs` subscribers -> (rps, cpu us/publish, err).

    Checks that the server executed publishes (commandstats) and that every
    subscriber received exactly that many messages, byte for byte.
    """
    channel, payload = args.channel.encode(), args.payload.encode()
    msg_len = len(message_bytes(channel, payload))
    before_counts, _ = drain.counts()
    calls0 = commandstats_calls(server, "publish")
    cpu0 = cpu_seconds(server.server_pid)
    rps, err = run_redis_benchmark(args, server, pipeline, n,
                                   ["PUBLISH", args.channel, args.payload])
    cpu1 = cpu_seconds(server.server_pid) if server.alive() else cpu0
    if err:
        return None, None, err
    published = commandstats_calls(server, "publish") - calls0
    want = [b + published * msg_len for b in before_counts]
    counts, closed = drain.wait_for(max(want))
    bad = [i for i, (c, w) in enumerate(zip(counts, want)) if c != w]
    if published < n:
        return None, None, ("commandstats counts %d PUBLISH calls, "
                            "redis-benchmark sent %d" % (published, n))
    if bad or any(closed):
        i = bad[0] if bad else closed.index(True)
        return None, None, (
            "%d/%d subscribers got a wrong amount (subscriber %d: %d bytes = "
            "%.2f messages, expected %d messages)%s"
            % (len(bad), subs, i, counts[i] - before_counts[i],
               (counts[i] - before_counts[i]) / msg_len, published,
               "; %d disconnected" % sum(closed) if any(closed) else ""))
    return rps, (cpu1 - cpu0) / published * 1e6, None


def bench_publish(args, servers, results):
    for subs in args.subscribers:
        drains = {}
        try:
            for s in servers:
                s.call("DEL", args.channel)
                drains[s.label] = Drain(s.port, subs, args.channel.encode(),
                                        args.drain_procs if subs > 1 else 1,
                                        CLIENT_CPU if args.taskset else None)
            for rnd in range(args.rounds):
                pair = servers if rnd % 2 == 0 else servers[::-1]
                for pipe in args.pipelines:
                    n = args.requests_for(pipe)
                    if subs > 1:
                        n = max(1000, n // args.fanout_divisor)
                    key = ("publish", subs, pipe)
                    row = results.setdefault(key, new_result(n))
                    line = []
                    for s in pair:
                        if not s.alive():
                            drains.pop(s.label).stop()
                            s.restart()
                            drains[s.label] = Drain(
                                s.port, subs, args.channel.encode(),
                                args.drain_procs if subs > 1 else 1,
                                CLIENT_CPU if args.taskset else None)
                        rps, cpu_us, err = guarded(
                            s, publish_run, args, s, drains[s.label], subs,
                            pipe, n)
                        record(row, s.label, rnd, rps, cpu_us, err)
                        line.append("%s %s" % (s.label, err and "FAILED (%s)"
                                               % err or fmt_num(rps)))
                    log("[publish %d sub%s P%d n=%d round %d] %s"
                        % (subs, "s" if subs > 1 else "", pipe, n, rnd + 1,
                           "; ".join(line)))
        finally:
            for d in drains.values():
                d.stop()


# --------------------------------------------------------------------------
# MULTI/EXEC load generator


def multi_payload(sets, value):
    cmds = [encode_command(b"MULTI")]
    cmds += [encode_command(b"SET", b"key:%d" % i, value) for i in range(sets)]
    cmds.append(encode_command(b"EXEC"))
    reply = (b"+OK\r\n" + b"+QUEUED\r\n" * sets + b"*%d\r\n" % sets
             + b"+OK\r\n" * sets)
    return b"".join(cmds), reply


def multi_worker(port, nconns, depth, sets, value, seconds, barrier, conn,
                 cpu):
    """Child process: nconns connections, each with `depth` transactions in
    flight, for `seconds` after the barrier.  Sends back (completed in the
    window, completed in total, elapsed, own CPU seconds, error or None)."""
    pin(cpu)
    request, reply = multi_payload(sets, value)
    request *= depth
    want = reply * depth
    try:
        socks = [connect(port) for _ in range(nconns)]
        for s in socks:                       # one checked warm-up each
            s.sendall(request)
            got = recv_exact(s, len(want))
            if got != want:
                raise ConnectionError("EXEC pipeline reply %r, expected %r"
                                      % (got[:200], want[:200]))
    except (OSError, ConnectionError) as e:
        barrier.abort()
        conn.send((0, 0, 0.0, 0.0, "setup: %s" % e))
        return
    # epoll directly and bytes per connection: the loop must cost the
    # client less than the transaction costs the server.
    ep = select.epoll()
    conns = {}                  # fd -> [socket, partial reply bytes]
    for s in socks:
        s.setblocking(False)
        ep.register(s.fileno(), select.EPOLLIN)
        conns[s.fileno()] = [s, b""]
    total_len = len(want)
    try:
        barrier.wait(60)
    except Exception:
        conn.send((0, 0, 0.0, 0.0, "barrier broken"))
        return
    t0 = time.perf_counter()
    c0 = os.times()
    deadline = t0 + seconds
    in_window = done = 0
    error = None
    for s in socks:
        s.sendall(request)
    outstanding = len(socks)
    now = t0
    while outstanding and error is None:
        for fd, _ in ep.poll(1.0):
            st = conns[fd]
            s = st[0]
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                error = "connection closed"
                break
            if st[1]:
                data = st[1] + data
            if len(data) < total_len:
                st[1] = data
                continue
            st[1] = b""
            if data != want:
                error = "EXEC pipeline reply %r, expected %r" % (
                    data[:200], want[:200])
                break
            done += depth
            if now < deadline:
                in_window += depth
                s.sendall(request)
            else:
                outstanding -= 1
        now = time.perf_counter()
        if now - t0 > seconds + 30:
            error = "no reply for 30 s"
    elapsed = min(now, deadline) - t0
    c1 = os.times()
    for s in socks:
        s.close()
    conn.send((in_window, done, elapsed,
               (c1.user - c0.user) + (c1.system - c0.system), error,
               c1.user - c0.user))


def multi_run(args, server, depth):
    """-> (transactions/s, server us/txn, client CPU share, error)."""
    ctx = mp.get_context("fork")
    procs = max(1, min(args.multi_procs, args.multi_conns))
    barrier = ctx.Barrier(procs + 1)
    children = []
    value = b"x" * args.datasize
    for p in range(procs):
        n = args.multi_conns // procs + (1 if p < args.multi_conns % procs
                                         else 0)
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=multi_worker, daemon=True, args=(
            server.port, n, depth, args.multi_sets, value,
            args.multi_seconds, barrier, child,
            CLIENT_CPU if args.taskset else None))
        proc.start()
        child.close()
        children.append((proc, parent))
    try:
        try:
            barrier.wait(60)
        except Exception:
            pass
        cpu0 = cpu_seconds(server.server_pid)
        out = []
        for proc, parent in children:
            if not parent.poll(args.multi_seconds + 60):
                return None, None, None, "client process gave no result"
            out.append(parent.recv())
        cpu1 = cpu_seconds(server.server_pid)
    finally:
        for proc, parent in children:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
            parent.close()
    errors = [o[4] for o in out if o[4]]
    if errors:
        return None, None, None, errors[0]
    in_window = sum(o[0] for o in out)
    done = sum(o[1] for o in out)
    elapsed = max(o[2] for o in out)
    client_cpu = sum(o[3] for o in out)
    client_user = sum(o[5] for o in out)
    if not done or elapsed <= 0:
        return None, None, None, "no transaction completed"
    return (in_window / elapsed, (cpu1 - cpu0) / done * 1e6,
            (client_cpu, cpu1 - cpu0, client_user), None)


def bench_multi(args, servers, results):
    for rnd in range(args.rounds):
        for depth in args.multi_depths:
            bench_multi_round(args, servers, results, rnd, depth)


def bench_multi_round(args, servers, results, rnd, depth):
    key = ("multi", None, depth)
    row = results.setdefault(key, new_result(None))
    row.setdefault("client_cpu", {})
    pair = servers if rnd % 2 == 0 else servers[::-1]
    line = []
    for s in pair:
        if not s.alive():
            s.restart()
        tps, cpu_us, cpus, err = guarded(s, multi_run, args, s, depth)
        record(row, s.label, rnd, tps, cpu_us, err)
        if err:
            line.append("%s FAILED (%s)" % (s.label, err))
            continue
        row["client_cpu"].setdefault(s.label, []).append(cpus)
        line.append("%s %s txn/s (server CPU %.1fs, client CPU %.1fs of "
                    "which user %.1fs%s)"
                    % (s.label, fmt_num(tps), cpus[1], cpus[0], cpus[2],
                       " CLIENT-BOUND?" if cpus[0] >= cpus[1] else ""))
    log("[multi %d SETs, %d conns/%d procs, depth %d, %gs, round %d] %s"
        % (args.multi_sets, args.multi_conns, args.multi_procs, depth,
           args.multi_seconds, rnd + 1, "; ".join(line)))


# --------------------------------------------------------------------------
# BLPOP / LPUSH ping-pong


def pingpong(server, n, warmup, gap_us, check, key=b"q"):
    """n rounds -> (latencies in us, rounds where A was not blocked yet,
    server CPU us per round, error).

    With `check`, B pipelines LLEN after its LPUSH: both servers hand the
    pushed element to the blocked client right after LPUSH, so LLEN is 0
    when A was blocked and 1 when the server had not run A's BLPOP yet (A
    then pops the element itself).  Such rounds do not measure a wake-up
    and are left out of the latencies (only counted).
    """
    server.call("DEL", key)
    a, b = connect(server.port), connect(server.port)
    try:
        blpop = encode_command(b"BLPOP", key, b"0")
        push = encode_command(b"LPUSH", key, b"x")
        want_a = b"*2\r\n$%d\r\n%s\r\n$1\r\nx\r\n" % (len(key), key)
        want_b, early_b = b":1\r\n", None
        if check:
            push += encode_command(b"LLEN", key)
            want_b, early_b = b":1\r\n:0\r\n", b":1\r\n:1\r\n"
        la = len(want_a)
        gap = int(gap_us * 1000)
        clock = time.perf_counter_ns
        lat = []
        early = 0
        cpu0 = None
        for i in range(warmup + n):
            if i == warmup:
                cpu0 = cpu_seconds(server.server_pid)
            a.sendall(blpop)
            if gap:
                t = clock() + gap
                while clock() < t:
                    pass
            t0 = clock()
            b.sendall(push)
            got_a = a.recv(256)
            while len(got_a) < la and got_a:
                got_a += a.recv(256)
            t1 = clock()
            if got_a != want_a:
                return lat, early, None, "BLPOP reply %r, expected %r" % (
                    got_a, want_a)
            got_b = recv_exact(b, len(want_b))
            if got_b != want_b:
                if got_b != early_b:
                    return lat, early, None, "LPUSH%s reply %r, expected %r" % (
                        "+LLEN" if check else "", got_b, want_b)
                if i >= warmup:
                    early += 1
                continue
            if i >= warmup:
                lat.append((t1 - t0) / 1000.0)
        cpu_us = (cpu_seconds(server.server_pid) - cpu0) / n * 1e6
        with server.client() as c:
            left = c.call("LLEN", key)
        if left != 0:
            return lat, early, None, "LLEN %s after the ping-pong: %r" % (
                key, left)
        if len(lat) < n / 2:
            return lat, early, None, (
                "A was not blocked yet when LPUSH ran in %d of %d rounds"
                % (early, n))
        return lat, early, cpu_us, None
    except (OSError, ConnectionError) as e:
        return [], 0, None, str(e)
    finally:
        a.close()
        b.close()


def percentile(vals, p):
    s = sorted(vals)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def bench_blpop(args, servers, results):
    per_round = max(1, args.pingpongs // args.rounds)
    samples = {s.label: [] for s in servers}
    errors = {}
    p50s = {s.label: {} for s in servers}
    earlies = {s.label: 0 for s in servers}
    cpus = {s.label: [] for s in servers}
    for rnd in range(args.rounds):
        pair = servers if rnd % 2 == 0 else servers[::-1]
        line = []
        for s in pair:
            if not s.alive():
                s.restart()
            lat, early, cpu_us, err = guarded(
                s, pingpong, s, per_round, args.pingpong_warmup,
                args.blpop_gap_us, args.blpop_check)
            if err:
                errors.setdefault(s.label, []).append(err)
                line.append("%s FAILED (%s)" % (s.label, err))
                continue
            samples[s.label] += lat
            earlies[s.label] += early
            cpus[s.label].append(cpu_us)
            p50s[s.label][rnd] = percentile(lat, 50)
            line.append("%s p50 %.1f us p99 %.1f us (%d not blocked yet, "
                        "server CPU %.1f us/round)" % (
                            s.label, percentile(lat, 50), percentile(lat, 99),
                            early, cpu_us))
        log("[blpop ping-pong n=%d round %d] %s"
            % (per_round, rnd + 1, "; ".join(line)))
    for metric, p in (("p50", 50), ("p99", 99)):
        row = new_result(per_round * args.rounds)
        for label in samples:
            if samples[label]:
                row[label] = {0: percentile(samples[label], p)}
            for e in errors.get(label, []):
                row["errors"].setdefault(label, []).append(e)
        if metric == "p50":
            row["pair"] = [p50s["pyredis"][r] / p50s["redis"][r]
                           for r in p50s["pyredis"] if r in p50s["redis"]]
        row["samples_n"] = {label: len(v) for label, v in samples.items()}
        row["cpu"] = cpus if metric == "p50" else {"pyredis": [],
                                                   "redis": []}
        row["early"] = earlies
        results[("blpop", None, metric)] = row


# --------------------------------------------------------------------------
# Results


def new_result(n):
    return {"pyredis": {}, "redis": {}, "cpu": {"pyredis": [], "redis": []},
            "errors": {}, "n": n}


def record(row, label, rnd, value, cpu_us, err):
    if err:
        row["errors"].setdefault(label, []).append(err)
        return
    row[label][rnd] = value
    if cpu_us is not None:
        row["cpu"][label].append(cpu_us)


def med(vals):
    return round(statistics.median(vals), 3) if vals else None


def build_rows(args, results):
    rows = []
    for (test, subs, x), r in results.items():
        py, rd = r["pyredis"], r["redis"]
        pyv, rdv = list(py.values()), list(rd.values())
        if test == "blpop":
            metric, unit, pipe = x, "us", None
            target, op = ((args.blpop_target, "<=") if metric == "p50"
                          else (None, None))
            pairs = r.get("pair", [])
        else:
            metric = "rps" if test == "publish" else "txn/s"
            unit, pipe = "1/s", x
            target, op = (args.publish_target if test == "publish"
                          else args.multi_target), ">="
            pairs = [py[k] / rd[k] for k in py if k in rd and rd[k]]
        pm, rm = med(pyv), med(rdv)
        ratio = round(pm / rm, 3) if pm and rm else None
        pcpu, rcpu = med(r["cpu"]["pyredis"]), med(r["cpu"]["redis"])
        # redis CPU per op / pyredis CPU per op: above 1 pyredis is cheaper
        cpu_ratio = round(rcpu / pcpu, 3) if pcpu and rcpu else None
        checked = {"ratio": ratio, "pair_ratio": med(pairs),
                   "cpu_ratio": cpu_ratio}[args.target_on]
        if test == "blpop":
            checked = ratio         # latencies: always the p50 ratio
        ok = None
        if target is not None:
            ok = checked is not None and (checked >= target if op == ">="
                                          else checked <= target)
        notes = ["%s: %d failed (%s)" % (label, len(e), e[-1])
                 for label, e in r["errors"].items()]
        if test == "multi" and r.get("client_cpu"):
            bound = [label for label, v in r["client_cpu"].items()
                     if any(c >= s for c, s, _ in v)]
            shares = ", ".join(
                "%s client/server CPU %.2f" % (label, statistics.median(
                    [c / s for c, s, _ in v if s]))
                for label, v in r["client_cpu"].items() if v)
            notes.append(shares)
            if bound:
                notes.append("client CPU >= server CPU with %s: the client "
                             "may be the bottleneck" % ", ".join(bound))
        if test == "blpop" and args.blpop_check and metric == "p50":
            notes.append("rounds left out because the LPUSH ran before A "
                         "was blocked: " + ", ".join(
                             "%s %d" % kv for kv in r["early"].items()))
        if test != "blpop":
            for label, lo_hi in (("pyredis", pyv), ("redis", rdv)):
                if lo_hi and min(lo_hi) and max(lo_hi) / min(lo_hi) > 1.3:
                    notes.append("noisy: %s max/min %.2f"
                                 % (label, max(lo_hi) / min(lo_hi)))
        rows.append({
            "test": test, "subscribers": subs, "pipeline": pipe,
            "metric": metric, "unit": unit, "pyredis": pm, "redis": rm,
            "ratio": ratio, "pair_ratio": med(pairs),
            "cpu_ratio": cpu_ratio if test != "blpop" else None,
            "target": None if target is None else "%s%.2f" % (op, target),
            "ok": ok,
            "pyredis_min": min(pyv) if pyv and test != "blpop" else None,
            "pyredis_max": max(pyv) if pyv and test != "blpop" else None,
            "redis_min": min(rdv) if rdv and test != "blpop" else None,
            "redis_max": max(rdv) if rdv and test != "blpop" else None,
            "pyredis_cpu_us": pcpu, "redis_cpu_us": rcpu,
            "samples": (r.get("samples_n", {}).get("pyredis") if
                        test == "blpop" else r["n"]),
            "note": "; ".join(n for n in notes if n) or None,
        })
    return rows


def row_name(r):
    if r["test"] == "publish":
        return "PUBLISH %d sub%s P%d" % (r["subscribers"], "s" if
                                         r["subscribers"] > 1 else "",
                                         r["pipeline"])
    if r["test"] == "multi":
        return "MULTI+%dxSET+EXEC depth %d" % (MULTI_SETS[0], r["pipeline"])
    return "BLPOP/LPUSH %s" % r["metric"]


MULTI_SETS = [10]


def run_key(k):
    test, subs, x = k
    if test == "publish":
        return "publish %d sub%s P%d" % (subs, "s" if subs > 1 else "", x)
    return "multi depth %d" % x


# --------------------------------------------------------------------------
# Main


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description="issue-4 benchmarks (PUBLISH, MULTI/EXEC, BLPOP) of "
                    "pyredis vs redis-server",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    benchutil.add_common_args(ap)
    ap.add_argument("--tests", default="publish,multi,blpop",
                    help="comma-separated: publish, multi, blpop")
    ap.add_argument("--rounds", type=int, default=3,
                    help="runs per server and case, alternating which "
                         "server goes first")
    ap.add_argument("--taskset", action="store_true",
                    help="servers on CPU 0; redis-benchmark, subscribers, "
                         "load generators and this script on CPU 1")
    ap.add_argument("--benchmark-cmd", default="redis-benchmark")
    ap.add_argument("--run-timeout", type=float, default=120.0)
    g = ap.add_argument_group("publish")
    g.add_argument("--subscribers", default="1,100")
    g.add_argument("--pipelines", default="16,1", help="-P depths")
    g.add_argument("--requests", default="1:50000,16:400000",
                   help="-n per depth with 1 subscriber, as bench.py's "
                        "--requests")
    g.add_argument("--fanout-divisor", type=int, default=4,
                   help="-n is divided by this with more than 1 subscriber")
    g.add_argument("--clients", type=int, default=50, help="-c")
    g.add_argument("--channel", default="ch")
    g.add_argument("--payload", default="hello")
    g.add_argument("--drain-procs", type=int, default=1,
                   help="processes draining the subscribers (each one a "
                        "selector loop)")
    g = ap.add_argument_group("multi")
    g.add_argument("--multi-conns", type=int, default=50)
    g.add_argument("--multi-procs", type=int, default=2)
    g.add_argument("--multi-seconds", type=float, default=3.0)
    g.add_argument("--multi-depths", default="1,4",
                   help="transactions in flight per connection (one row "
                        "each; 1 = one MULTI..EXEC pipeline at a time)")
    g.add_argument("--multi-sets", type=int, default=10)
    g.add_argument("--datasize", type=int, default=3,
                   help="SET value size in bytes")
    g = ap.add_argument_group("blpop")
    g.add_argument("--pingpongs", type=int, default=20000,
                   help="timed BLPOP/LPUSH rounds per server (split over "
                        "--rounds)")
    g.add_argument("--pingpong-warmup", type=int, default=200)
    g.add_argument("--blpop-gap-us", type=float, default=0.0,
                   help="busy-wait between sending BLPOP on A and LPUSH on "
                        "B (not timed)")
    g.add_argument("--no-blpop-check", dest="blpop_check",
                   action="store_false",
                   help="send LPUSH alone instead of LPUSH+LLEN (LLEN tells "
                        "whether A was already blocked; rounds where it was "
                        "not are left out)")
    g = ap.add_argument_group("targets")
    g.add_argument("--publish-target", type=float, default=0.7)
    g.add_argument("--multi-target", type=float, default=0.7)
    g.add_argument("--blpop-target", type=float, default=1.2,
                   help="maximum pyredis/redis BLPOP p50 ratio")
    g.add_argument("--target-on", default="ratio",
                   choices=["ratio", "pair_ratio", "cpu_ratio"],
                   help="column the PUBLISH and MULTI targets check: ratio "
                        "of the median rates, median of the per-round "
                        "ratios, or redis CPU per op / pyredis CPU per op "
                        "(steadiest on a busy machine); BLPOP always checks "
                        "the p50 ratio")
    args = ap.parse_args(argv)
    args.tests = [t.strip() for t in args.tests.split(",") if t.strip()]
    bad = [t for t in args.tests if t not in ("publish", "multi", "blpop")]
    if bad:
        ap.error("--tests: unknown %s" % ", ".join(bad))
    args.subscribers = [int(x) for x in args.subscribers.split(",")]
    args.pipelines = [int(x) for x in args.pipelines.split(",")]
    args.requests_for = parse_requests(args.requests)
    args.multi_depths = [int(x) for x in args.multi_depths.split(",")]
    if args.rounds < 1:
        ap.error("--rounds must be >= 1")
    MULTI_SETS[0] = args.multi_sets
    return args


def main(argv=None):
    args = parse_args(argv)
    benchutil.install_sigterm_handler()
    cpu = 0 if args.taskset else None
    if args.taskset:
        pin(CLIENT_CPU)     # this script (and its children) off CPU 0
    servers = [Server("pyredis", args.pyredis_cmd, cpu, args.start_timeout),
               Server("redis", args.redis_cmd, cpu, args.start_timeout)]
    results = {}
    started = time.monotonic()
    load_before = os.getloadavg()
    try:
        for s in servers:
            s.start()
            s.call("FLUSHALL")
        for test in args.tests:
            {"publish": bench_publish, "multi": bench_multi,
             "blpop": bench_blpop}[test](args, servers, results)
            for s in servers:
                if not s.alive():
                    log("%s died:\n%s" % (s.label, s.log_tail()))
                    s.restart()
    except ServerError as e:
        log("error: %s" % e)
        return 2
    except KeyboardInterrupt:
        log("interrupted, stopping servers")
        return 130
    finally:
        benchutil.stop_all(servers)

    rows = build_rows(args, results)
    load_after = os.getloadavg()
    log("")
    log("medians over %d rounds; %.0fs total; load average %.2f before, "
        "%.2f after; %s" % (args.rounds, time.monotonic() - started,
                            load_before[0], load_after[0],
                            "--taskset" if args.taskset else "no pinning"))
    print_table(
        ["benchmark", "unit", "pyredis", "redis", "ratio", "pair",
         "py cpu us", "redis cpu us", "cpu ratio", "target"],
        [[row_name(r), r["metric"] if r["test"] != "blpop" else "us",
          fmt_num(r["pyredis"], 1 if r["test"] == "blpop" else 0),
          fmt_num(r["redis"], 1 if r["test"] == "blpop" else 0),
          fmt_num(r["ratio"], 3), fmt_num(r["pair_ratio"], 3),
          fmt_num(r["pyredis_cpu_us"], 2), fmt_num(r["redis_cpu_us"], 2),
          fmt_num(r["cpu_ratio"], 3),
          "" if r["target"] is None else "%s %s" % (
              r["target"], "ok" if r["ok"] else "MISS")]
         for r in rows])
    for r in rows:
        if r["note"]:
            log("note: %s: %s" % (row_name(r), r["note"]))
    failures = ["%s: %s %s, target %s" % (
        row_name(r), "ratio" if r["test"] == "blpop" else args.target_on,
        r["ratio"] if r["test"] == "blpop" else r[args.target_on],
        r["target"]) for r in rows if r["ok"] is False]
    meta = {
        "pyredis_cmd": args.pyredis_cmd, "redis_cmd": args.redis_cmd,
        "tests": args.tests, "rounds": args.rounds, "taskset": args.taskset,
        "clients": args.clients, "subscribers": args.subscribers,
        "pipelines": args.pipelines, "multi_conns": args.multi_conns,
        "multi_procs": args.multi_procs, "multi_seconds": args.multi_seconds,
        "multi_depths": args.multi_depths, "multi_sets": args.multi_sets,
        "pingpongs": args.pingpongs, "blpop_gap_us": args.blpop_gap_us,
        "blpop_check": args.blpop_check, "target_on": args.target_on,
        "loadavg_before": load_before, "loadavg_after": load_after,
        "target_failures": failures,
        # every single run: {"publish 100 subs P16": {"pyredis": [per
        # round], "redis": [...]}} (null for a failed run)
        "runs": {run_key(k):
                 {label: [v[label].get(i) for i in range(args.rounds)]
                  for label in ("pyredis", "redis")}
                 for k, v in results.items() if k[0] != "blpop"},
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    benchutil.emit(rows, FIELDS, meta, args.format, args.out)
    if failures:
        log("")
        log("%d target(s) missed:" % len(failures))
        for f in failures:
            log("  " + f)
        return 1
    log("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
