"""Shared helpers for the side-by-side benchmarks (bench.py, memory.py).

Standard library only.  Contents:

* ``Server``: start a redis-server-compatible binary on a free port with a
  private temporary --dir, wait for PING, talk RESP to it, read its RSS,
  stop it (SIGTERM, then SIGKILL).
* ``write_keys``: fill a server with N keys of a given *shape* over one raw
  socket with large pipelined batches, checking every reply.  New shapes are
  one entry in ``SHAPES``.
* small RESP encoder / reply parser, output helpers, signal handling.
"""

import csv
import io
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"

# Arguments every server is started with (besides --port and --dir).
COMMON_SERVER_ARGS = ["--save", "", "--appendonly", "no",
                      "--bind", HOST, "--loglevel", "warning"]


def default_pyredis_cmd():
    """`pyredis-server` if it is on PATH, else `<this python> -m pyredis`."""
    if shutil.which("pyredis-server"):
        return "pyredis-server"
    return shlex.join([sys.executable, "-m", "pyredis"])


def add_common_args(ap):
    """The options every side-by-side script takes: which servers to start and how to
    report (--pyredis-cmd, --redis-cmd, --start-timeout, --format, --out)."""
    ap.add_argument("--pyredis-cmd", default=default_pyredis_cmd(),
                    help="command that starts pyredis (redis-server style "
                         "arguments are appended)")
    ap.add_argument("--redis-cmd", default="redis-server",
                    help="command that starts the reference redis-server")
    ap.add_argument("--start-timeout", type=float, default=30.0,
                    help="seconds a server may take to answer PING")
    ap.add_argument("--format", choices=["csv", "json"], default="csv",
                    help="format of the results on stdout")
    ap.add_argument("--out", metavar="FILE",
                    help="also write the results as JSON to FILE")


def log(msg=""):
    print(msg, file=sys.stderr, flush=True)


def install_sigterm_handler():
    """Turn SIGTERM into SystemExit so `finally:` blocks stop the servers."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# RESP


def encode_command(*args):
    """Encode one command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespError(Exception):
    pass


def read_reply(f):
    """Read one RESP2/RESP3-ish reply from a binary file object.

    Returns bytes/int/list/None; an error reply is returned as RespError
    (not raised) so callers can report it.
    """
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("connection closed while reading reply")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest
    if kind == b"-":
        return RespError(rest.decode(errors="replace"))
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        if len(data) != n + 2:
            raise ConnectionError("connection closed while reading bulk")
        return data[:-2]
    if kind in (b"*", b"%", b"~"):
        n = int(rest)
        if n < 0:
            return None
        if kind == b"%":
            n *= 2
        return [read_reply(f) for _ in range(n)]
    if kind == b"_":
        return None
    raise ConnectionError("unexpected reply line %r" % line[:80])


class Client:
    """A minimal blocking RESP client (one connection)."""

    def __init__(self, port, host=HOST, timeout=30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.sock.makefile("rb")

    def call(self, *args):
        self.sock.sendall(encode_command(*args))
        reply = read_reply(self.f)
        if isinstance(reply, RespError):
            raise reply
        return reply

    def info(self, section=None):
        raw = self.call("INFO", section) if section else self.call("INFO")
        out = {}
        for line in raw.decode(errors="replace").splitlines():
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                out[k] = v
        return out

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --------------------------------------------------------------------------
# Servers


class ServerError(Exception):
    pass


class Server:
    """One server process started on a free port with a private --dir."""

    def __init__(self, label, cmd, cpu=None, start_timeout=30.0):
        self.label = label                  # "pyredis" or "redis"
        self.cmd = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
        self.cpu = cpu                      # taskset CPU or None
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.dir = None
        self.logfile = None
        self.server_pid = None              # from INFO process_id if given
        self.starts = 0

    def argv(self):
        argv = list(self.cmd) + ["--port", str(self.port), "--dir", self.dir]
        argv += COMMON_SERVER_ARGS
        if self.cpu is not None:
            argv = ["taskset", "-c", str(self.cpu)] + argv
        return argv

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="pyredis-bench-%s-" % self.label)
        self.port = free_port()
        self.logfile = os.path.join(self.dir, "server.log")
        argv = self.argv()
        with open(self.logfile, "wb") as logf:
            try:
                # Own session: a Ctrl-C in the terminal reaches only this
                # script, which then stops the server itself.
                self.proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=logf,
                    stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as e:
                raise ServerError("%s: cannot run %s: %s"
                                  % (self.label, shlex.join(argv), e))
        self.starts += 1
        self.wait_ready()
        self.server_pid = self.proc.pid
        try:
            with Client(self.port) as c:
                pid = c.info("server").get("process_id")
            if pid and os.path.exists("/proc/%s/status" % pid.strip()):
                self.server_pid = int(pid)
        except (OSError, RespError, ValueError, ConnectionError):
            pass
        log("%s: started `%s` (pid %d, port %d)"
            % (self.label, shlex.join(argv), self.server_pid, self.port))

    def wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("%s exited with code %s during startup\n%s"
                                  % (self.label, self.proc.returncode,
                                     self.log_tail()))
            try:
                with Client(self.port, timeout=2.0) as c:
                    if c.call("PING") == b"PONG":
                        return
            except (OSError, RespError, ConnectionError) as e:
                last = e
            time.sleep(0.1)
        raise ServerError("%s did not answer PING within %.0fs (%s)\n%s"
                          % (self.label, self.start_timeout, last,
                             self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def restart(self):
        log("%s: restarting (it exited with code %s)\n%s"
            % (self.label, self.proc.returncode if self.proc else None,
               self.log_tail()))
        self.stop()
        self.start()

    def client(self, timeout=30.0):
        return Client(self.port, timeout=timeout)

    def call(self, *args):
        with self.client() as c:
            return c.call(*args)

    def rss_bytes(self):
        """VmRSS of the server process from /proc, in bytes."""
        with open("/proc/%d/status" % self.server_pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise ServerError("no VmRSS for pid %d" % self.server_pid)

    def log_tail(self, lines=20):
        try:
            with open(self.logfile, "rb") as f:
                data = f.read()[-8192:].decode(errors="replace")
            tail = data.splitlines()[-lines:]
            return "\n".join("    | " + l for l in tail) or "    | (log empty)"
        except OSError:
            return "    | (no log)"

    def stop(self, timeout=10.0):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log("%s: did not stop on SIGTERM within %.0fs, killing"
                    % (self.label, timeout))
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        self.proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def stop_all(servers):
    for s in servers:
        try:
            s.stop()
        except Exception as e:  # keep stopping the others
            log("%s: error while stopping: %s" % (s.label, e))


# --------------------------------------------------------------------------
# Data shapes and the pipelined writer


class Shape:
    """A kind of key to write: ``COMMAND key <args...>`` with a fixed reply.

    ``args(value)`` returns the arguments after the key, ``reply`` the exact
    RESP reply every command must get.
    """

    def __init__(self, name, command, args, reply, description):
        self.name = name
        self.command = command
        self.args = args
        self.reply = reply
        self.description = description


SHAPES = {
    "string": Shape("string", "SET", lambda v: [v], b"+OK\r\n",
                    "SET key value"),
    "hash3": Shape("hash3", "HSET",
                   lambda v: [b"field1", v, b"field2", v, b"field3", v],
                   b":3\r\n", "HSET key with 3 fields"),
    "list5": Shape("list5", "RPUSH", lambda v: [v] * 5, b":5\r\n",
                   "RPUSH key with 5 elements"),
}

SHAPES["set5"] = Shape("set5", "SADD",
                       lambda v: [v + b"%d" % i for i in range(1, 6)],
                       b":5\r\n", "SADD key with 5 members")
SHAPES["zset5"] = Shape("zset5", "ZADD",
                        lambda v: [a for i in range(1, 6)
                                   for a in (b"%d" % i, v + b"%d" % i)],
                        b":5\r\n", "ZADD key with 5 members")

KEY_FORMAT = b"key:%012d"   # 16 bytes, like redis-benchmark's __rand_int__


def write_keys(port, shape="string", n=1000000, value_size=10,
               batch=10000, start=0, host=HOST, timeout=120.0):
    """Write keys key:<start>..key:<start+n-1> with the given shape.

    Uses one socket and pipelined batches of `batch` commands; every reply
    is checked against the shape's expected reply.  Returns elapsed seconds.
    Raises ServerError on the first unexpected reply.
    """
    sh = SHAPES[shape] if isinstance(shape, str) else shape
    value = b"x" * value_size
    rest = sh.args(value)
    if start < 0 or start + n > 10 ** 12:
        raise ValueError("keys must stay within key:000000000000..999999999999")
    # Each command is head + key + tail; the key is the second argument.
    cmd = sh.command.encode()
    keylen = len(KEY_FORMAT % 0)
    head = b"*%d\r\n$%d\r\n%s\r\n$%d\r\n" % (len(rest) + 2, len(cmd), cmd,
                                             keylen)
    tail = b"\r\n" + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in rest)

    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.monotonic()
    try:
        i = start
        end = start + n
        while i < end:
            j = min(i + batch, end)
            data = b"".join([head + KEY_FORMAT % k + tail
                             for k in range(i, j)])
            expected = sh.reply * (j - i)
            # Send from a helper thread while this one reads the replies, so
            # a server that stops reading while its output is pending cannot
            # deadlock us, whatever the batch size.
            sender = _Sender(sock, data)
            got = _recv_exact(sock, len(expected))
            sender.join()
            if got != expected:
                raise ServerError(_describe_bad_replies(got, sh.reply, i, sh))
            i = j
    finally:
        sock.close()
    return time.monotonic() - t0


def fill_aggregate(port, command, key, items, per_command=1000, batch=50,
                   host=HOST, timeout=120.0):
    """Add `items` to one aggregate key with variadic commands.

    `items` is a list of argument lists, one per element (``[value]`` for
    RPUSH/SADD, ``[score, member]`` for ZADD, ``[field, value]`` for HSET);
    they go out as ``COMMAND key <args of up to per_command elements>``,
    pipelined `batch` commands at a time over one socket.  Every reply must
    be an integer (an error reply raises ServerError).  Returns elapsed
    seconds.
    """
    cmd = command.encode() if isinstance(command, str) else command
    key = key.encode() if isinstance(key, str) else key
    commands = []
    for i in range(0, len(items), per_command):
        args = [a for item in items[i:i + per_command] for a in item]
        commands.append(encode_command(cmd, key, *args))
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = sock.makefile("rb")
    t0 = time.monotonic()
    try:
        for i in range(0, len(commands), batch):
            chunk = commands[i:i + batch]
            sender = _Sender(sock, b"".join(chunk))
            replies = [read_reply(f) for _ in chunk]
            sender.join()
            for r in replies:
                if not isinstance(r, int):
                    raise ServerError("%s %s: unexpected reply %r"
                                      % (command, key.decode(), r))
    finally:
        f.close()
        sock.close()
    return time.monotonic() - t0


class _Sender(threading.Thread):
    def __init__(self, sock, data):
        super().__init__(daemon=True)
        self.sock, self.data, self.error = sock, data, None
        self.start()

    def run(self):
        try:
            self.sock.sendall(self.data)
        except OSError as e:
            self.error = e


def _recv_exact(sock, size):
    buf = bytearray()
    try:
        while len(buf) < size:
            chunk = sock.recv(min(size - len(buf), 1 << 20))
            if not chunk:
                break
            buf += chunk
    except socket.timeout:
        pass
    return bytes(buf)


def _describe_bad_replies(got, reply, first_key, sh):
    f = io.BytesIO(got)
    idx = 0
    try:
        while True:
            pos = f.tell()
            r = read_reply(f)
            raw = got[pos:f.tell()]
            if raw != reply:
                return ("%s reply #%d (key:%012d) was %r, expected %r"
                        % (sh.command, idx, first_key + idx, r, reply))
            idx += 1
    except (ConnectionError, ValueError):
        return ("%s: after %d good replies in this batch, got %d bytes "
                "that are not a complete expected reply (%r...); connection "
                "closed or timed out?" % (sh.command, idx, len(got) - f.tell(),
                                          got[f.tell():f.tell() + 60]))


# --------------------------------------------------------------------------
# Output


def fmt_num(x, digits=0):
    if x is None:
        return "-"
    if digits == 0:
        return "{:,.0f}".format(x)
    return "{:.{}f}".format(x, digits)


def print_table(headers, rows, file=sys.stderr):
    """Plain fixed-width table (strings), first column left-aligned."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows))
              if rows else len(str(h)) for i, h in enumerate(headers)]
    def line(cells):
        out = []
        for i, c in enumerate(cells):
            c = str(c)
            out.append(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]))
        return "  ".join(out)
    print(line(headers), file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for r in rows:
        print(line(r), file=file)
    file.flush()


def emit(rows, fieldnames, meta, fmt, out_path=None):
    """Machine-readable results on stdout (csv or json), JSON to out_path."""
    ordered = []
    for r in rows:      # columns in fieldnames order, any others after
        o = {k: r.get(k) for k in fieldnames}
        o.update((k, v) for k, v in r.items() if k not in o)
        ordered.append(o)
    doc = {"meta": meta, "results": ordered}
    if fmt == "json":
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        w = csv.DictWriter(sys.stdout, fieldnames=fieldnames,
                           extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k))
                        for k in fieldnames})
    sys.stdout.flush()
    if out_path:
        with open(out_path, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
