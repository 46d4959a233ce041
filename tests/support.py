"""Test support: real server processes, a raw RESP client, and a differential harness.

Every test talks to a real `pyredis-server` process over a socket. Where behaviour matters the
same commands also go to Debian's `redis-server` 7.0 and the raw reply bytes are compared.
"""
from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pyredis_command() -> list[str]:
    exe = shutil.which("pyredis-server")
    return [exe] if exe else [sys.executable, "-m", "pyredis"]


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


class ServerProcess:
    """A server process on a free port with a private directory; `args` are extra options."""

    def __init__(self, command: list[str], args: tuple = (), port: int | None = None,
                 default_args: bool = True, preexec=None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="pyredis-test-")
        self.logfile = os.path.join(self.dir, "server.log")
        base = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
        if default_args:
            base += ["--save", "", "--appendonly", "no", "--logfile", self.logfile]
        self.argv = command + base + [str(a) for a in args]
        self.preexec = preexec          # run in the child before exec (e.g. set rlimits)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 15.0) -> "ServerProcess":
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     cwd=self.dir, preexec_fn=self.preexec)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith((b"+PONG", b"-NOAUTH")):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start: {self.output()}")

    def output(self) -> str:
        text = ""
        if self.proc is not None and self.proc.stdout is not None and self.proc.poll() is not None:
            text += self.proc.stdout.read().decode(errors="replace")
        if os.path.exists(self.logfile):
            with open(self.logfile, errors="replace") as f:
                text += f.read()
        return text

    def log(self) -> str:
        if os.path.exists(self.logfile):
            with open(self.logfile, errors="replace") as f:
                return f.read()
        return ""

    def stop(self, sig=signal.SIGTERM, timeout: float = 10.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def client(self, **kw):
        import redis
        kw.setdefault("protocol", 2)
        return redis.Redis(port=self.port, **kw)

    def raw(self) -> "RawClient":
        return RawClient(self.port)


def start_pyredis(*args, **kw) -> ServerProcess:
    return ServerProcess(pyredis_command(), args, **kw).start()


def start_redis(*args, **kw) -> ServerProcess:
    return ServerProcess([redis_server_path()], args, **kw).start()


# ---------------------------------------------------------------------------------------------
# Raw RESP client: replies come back as the exact bytes the server sent
# ---------------------------------------------------------------------------------------------

def encode(*args) -> bytes:
    """A RESP multibulk request."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


class ConnectionClosed(Exception):
    pass


class RawClient:
    def __init__(self, port: int, timeout: float = 5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionClosed()
        self.buf += data

    def _line(self, pos: int) -> tuple[bytes, int]:
        while True:
            end = self.buf.find(b"\r\n", pos)
            if end >= 0:
                return self.buf[pos:end], end + 2
            self._fill()

    def _skip(self, pos: int) -> int:
        """Position just after the reply starting at pos."""
        line, nxt = self._line(pos)
        kind, body = line[:1], line[1:]
        if kind in (b"+", b"-", b":", b"_", b",", b"#", b"("):
            return nxt
        if kind in (b"$", b"=", b"!"):
            n = int(body)
            if n < 0:
                return nxt
            while len(self.buf) < nxt + n + 2:
                self._fill()
            return nxt + n + 2
        if kind in (b"*", b"~", b">", b"%", b"|"):
            n = int(body)
            if kind in (b"%", b"|"):
                n *= 2
            for _ in range(max(n, 0)):
                nxt = self._skip(nxt)
            if kind == b"|":
                nxt = self._skip(nxt)
            return nxt
        raise ValueError(f"bad reply start {line!r}")

    def read_reply(self) -> bytes:
        """The raw bytes of the next complete reply."""
        end = self._skip(0)
        reply, self.buf = self.buf[:end], self.buf[end:]
        return reply

    def call(self, *args) -> bytes:
        self.send(encode(*args))
        return self.read_reply()

    def pipeline(self, commands) -> list[bytes]:
        """Send several commands in one write and return their raw replies."""
        self.send(b"".join(encode(*c) for c in commands))
        return [self.read_reply() for _ in commands]

    def read_all(self, wait: float = 0.3) -> tuple[bytes, bool]:
        """Everything the server sends within `wait` seconds; (data, closed)."""
        self.sock.settimeout(wait)
        data, closed = self.buf, False
        self.buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                data += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return data, closed


# ---------------------------------------------------------------------------------------------
# Differential harness
# ---------------------------------------------------------------------------------------------

class Differential:
    """Runs the same commands on pyredis and redis-server and compares raw replies."""

    def __init__(self, ours: ServerProcess, ref: ServerProcess, proto: int = 2):
        self.ours = ours.raw()
        self.ref = ref.raw()
        self.proto = proto
        for c in (self.ours, self.ref):
            c.call("FLUSHALL")
            if proto == 3:
                c.call("HELLO", "3")

    def close(self):
        self.ours.close()
        self.ref.close()

    def both(self, *args) -> tuple[bytes, bytes]:
        return self.ours.call(*args), self.ref.call(*args)

    def check(self, *args) -> bytes:
        """Send one command to both; assert identical replies; return the reply."""
        ours, ref = self.both(*args)
        assert ours == ref, f"{args!r}: pyredis {ours!r} != redis {ref!r}"
        return ours

    def check_all(self, commands) -> None:
        for args in commands:
            self.check(*args)


def decode_reply(reply: bytes):
    """One raw RESP reply, parsed by hiredis."""
    import hiredis
    reader = hiredis.Reader()
    reader.feed(reply)
    return reader.gets()


def client_fields(line: str) -> dict:
    """One CLIENT LIST / CLIENT INFO line as {field: value}."""
    return dict(field.split("=", 1) for field in line.strip().split(" "))


def raw_client_id(c: RawClient) -> int:
    return int(c.call("CLIENT", "ID")[1:-2])


def keyspace_counts(client: RawClient) -> dict:
    """INFO keyspace as {db: (keys, expires)}; avg_ttl (a timing estimate) must be there."""
    reply = client.call("INFO", "keyspace")
    body = reply.split(b"\r\n", 1)[1].decode()
    out = {}
    for line in body.split("\r\n"):
        if line.startswith(("db", "txt:db")) and ":" in line:
            db, fields = line.removeprefix("txt:").split(":", 1)
            parts = dict(p.split("=") for p in fields.split(","))
            assert set(parts) == {"keys", "expires", "avg_ttl"}, line
            out[db] = (int(parts["keys"]), int(parts["expires"]))
    return out


def same_keyspace(d: Differential) -> dict:
    """INFO keyspace on both servers: the same databases with the same key and TTL counts."""
    a, b = keyspace_counts(d.ours), keyspace_counts(d.ref)
    assert a == b
    return a


# ---------------------------------------------------------------------------------------------
# Many raw connections at once
# ---------------------------------------------------------------------------------------------

def value_of(c, key, exact_scores: bool = False) -> tuple:
    """(type, value) of a key through a redis-py client, in a form two servers' datasets can
    be compared in: sets sorted, hashes as sorted (field, value) pairs, sorted sets with their
    scores (as the server printed them with exact_scores)."""
    t = c.type(key)
    if t == b"string":
        return t, c.get(key)
    if t == b"list":
        return t, c.lrange(key, 0, -1)
    if t == b"hash":
        return t, sorted(c.hgetall(key).items())
    if t == b"set":
        return t, sorted(c.smembers(key))
    if t == b"zset":
        if exact_scores:
            return t, c.zrange(key, 0, -1, withscores=True, score_cast_func=bytes)
        return t, c.zrange(key, 0, -1, withscores=True)
    return t, None


def dataset(c, dbs=range(16), extra=None, exact_scores: bool = False) -> dict:
    """{(db, key): (type, value, *extra(c, key))} of every key in the databases dbs (the client
    is left on database 0); extra adds what a test compares too (TTLs, encodings)."""
    out = {}
    for db in dbs:
        c.execute_command("SELECT", db)
        for k in c.scan_iter(count=1000):
            out[(db, k)] = value_of(c, k, exact_scores) + (tuple(extra(c, k)) if extra else ())
    c.execute_command("SELECT", 0)
    return out


def wait_for(predicate, timeout: float = 8.0) -> bool:
    """Poll predicate() until it is true (True) or timeout seconds pass (False)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def wait_rewrite_done(c, timeout: float = 30.0) -> dict:
    """Wait until no AOF rewrite runs or is scheduled; INFO persistence then."""
    done = {}

    def idle():
        done.update(c.info("persistence"))
        return not done["aof_rewrite_in_progress"] and not done["aof_rewrite_scheduled"]

    assert wait_for(idle, timeout), "the rewrite did not finish"
    return done


def ping_ok(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16) == b"+PONG\r\n"
    except OSError:
        return False


def _send(s: socket.socket, data: bytes) -> bool:
    try:
        s.sendall(data)
        return True
    except OSError:       # the server closed the connection before the rest was sent
        return False


def exchange_many(targets: list, wait: float = 0.5, keep: list | None = None) -> list:
    """Each (port, chunk list) on its own connection, all at once: chunks are sent in rounds (a
    short pause between rounds lets the servers read them separately), then everything the
    servers send is read until `wait` seconds pass with no news. Returns [(reply, closed)].
    Sockets are closed at the end, or appended to `keep` for the caller to close."""
    socks = []
    for port, _ in targets:
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    sending = [True] * len(socks)
    rounds = max(len(chunks) for _, chunks in targets)
    for r in range(rounds):
        for i, (_, chunks) in enumerate(targets):
            if r < len(chunks) and sending[i]:
                sending[i] = _send(socks[i], chunks[r])
        if rounds <= 200:
            time.sleep(0.001)
    replies = [b""] * len(socks)
    closed = [False] * len(socks)
    live = {s.fileno(): i for i, s in enumerate(socks)}
    deadline = time.time() + wait
    while live:
        left = deadline - time.time()
        if left <= 0:
            break
        ready, _, _ = select.select(list(live), [], [], left)
        for fd in ready:
            i = live[fd]
            try:
                data = socks[i].recv(1 << 20)
            except ConnectionResetError:
                data = b""
            if data:
                replies[i] += data
                deadline = max(deadline, time.time() + 0.1)
            else:
                closed[i] = True
                del live[fd]
    if keep is None:
        for s in socks:
            s.close()
    else:
        keep.extend(socks)
    return list(zip(replies, closed))


# ---------------------------------------------------------------------------------------------
# The hot path
# ---------------------------------------------------------------------------------------------

def python_calls(r) -> int:
    """Commands so far that ran a Python handler (INFO stats: python_handler_calls)."""
    return r.info("stats")["python_handler_calls"]


def assert_no_python(r, commands, repeat: int = 200) -> None:
    """Run the commands (lists of arguments) `repeat` times in a pipeline through redis-py
    client r and assert that none of them ran a Python handler (errors are allowed)."""
    before = python_calls(r)
    pipe = r.pipeline(transaction=False)
    for _ in range(repeat):
        for args in commands:
            pipe.execute_command(*args)
    pipe.execute(raise_on_error=False)
    assert python_calls(r) == before + 1, "a hot command ran Python"  # +1: the INFO reading it
