"""Real client tools against pyredis, side by side with redis-server 7.0: redis-cli one-shot and
interactive (through a pseudo-terminal, with the argument hints it builds from COMMAND DOCS),
redis-cli --stat, redis-benchmark, redis-py 8 with its default settings, and hiredis.

No timing is asserted: the benchmark must complete without errors and leave the right data.
"""
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import time

import hiredis
import pytest
import redis

from pyredis.commands import build_table

REDIS_CLI = shutil.which("redis-cli")
REDIS_BENCHMARK = shutil.which("redis-benchmark")
needs_cli = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli is not installed")
needs_benchmark = pytest.mark.skipif(REDIS_BENCHMARK is None,
                                     reason="redis-benchmark is not installed")
HINT = re.compile(rb"\x1b\[0;90;49m(.*?)\x1b\[0m")


def decode(reply: bytes):
    reader = hiredis.Reader()
    reader.feed(reply)
    return reader.gets()


def cli(port, *args, stdin=None):
    done = subprocess.run([REDIS_CLI, "-p", str(port), *args], input=stdin,
                          capture_output=True, timeout=15)
    return done.returncode, done.stdout, done.stderr


# ---------------------------------------------------------------------------------------------
# redis-cli, one command per run
# ---------------------------------------------------------------------------------------------

ONE_SHOT = [
    ("set", "a", "b"), ("get", "a"), ("--raw", "get", "a"), ("get", "nokey"),
    ("--raw", "get", "nokey"), ("incr", "n"), ("--raw", "incr", "n"), ("mget", "a", "nokey", "n"),
    ("--raw", "mget", "a", "nokey"), ("--csv", "mget", "a", "n"), ("get",), ("incr", "a"),
    ("set", "sp", "with space"), ("get", "sp"), ("--raw", "get", "sp"), ("exists", "a", "n"),
    ("ttl", "a"), ("type", "a"), ("object", "encoding", "n"), ("-n", "3", "set", "x", "1"),
    ("-n", "3", "get", "x"), ("get", "x"), ("config", "get", "hz"), ("-3", "config", "get", "hz"),
    ("-3", "mget", "a", "nokey"), ("-3", "get", "nokey"), ("client", "getname"),
    ("ping",), ("ping", "hi there"), ("echo", "x\ny"), ("--raw", "echo", "x\ny"), ("nosuch",),
    ("command", "count", "x"), ("scan", "0", "match", "s*"), ("strlen", "sp"),
    ("-e", "incr", "a"), ("-e", "get", "a"), ("dbsize",),
]


@needs_cli
def test_redis_cli_one_shot(server, ref, r):
    """Same output and exit status as with redis-server, command by command."""
    ref.client().flushall()
    for args in ONE_SHOT:
        assert cli(server.port, *args) == cli(ref.port, *args), args


@needs_cli
def test_redis_cli_stdin_and_info(server, ref, r):
    ours = cli(server.port, stdin=b"set k1 v1\nget k1\nincrby c 5\nget c\n")
    assert ours == cli(ref.port, stdin=b"set k1 v1\nget k1\nincrby c 5\nget c\n")
    assert ours[1] == b"OK\nv1\n5\n5\n"           # not a terminal: raw output
    code, out, _ = cli(server.port, "info")
    text = out.decode()
    assert code == 0 and text.startswith("# Server\r\n") and "redis_version:7.0." in text
    code, out, _ = cli(server.port, "-x", "set", "from-stdin", stdin=b"payload")
    assert out == b"OK\n" and r.get("from-stdin") == b"payload"


@needs_cli
def test_redis_cli_stat(server):
    """--stat polls INFO: a header, then one line per interval."""
    proc = subprocess.Popen(["stdbuf", "-oL", REDIS_CLI, "-p", str(server.port), "--stat",
                             "-i", "0.3"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        time.sleep(2.0)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out = proc.communicate(timeout=10)[0].decode()
        except subprocess.TimeoutExpired:      # a signal lost on a loaded machine: what it
            proc.kill()                         # printed is what the test checks
            out = proc.communicate()[0].decode()
    lines = out.splitlines()
    assert lines[0].startswith("------- data ------")
    assert lines[1].split()[:5] == ["keys", "mem", "clients", "blocked", "requests"]
    rows = [line for line in lines[2:] if re.match(r"\d+\s+[\d.]+[BKMG]\s+\d+\s+\d+\s+\d+", line)]
    assert len(rows) >= 3, out
    assert "rror" not in out


# ---------------------------------------------------------------------------------------------
# redis-cli interactive, through a pseudo-terminal
# ---------------------------------------------------------------------------------------------

class Terminal:
    """redis-cli in a pseudo-terminal (xterm, 400 columns), so it runs its interactive mode:
    prompt, line editing and argument hints."""

    def __init__(self, port):
        self.port = port
        self.home = os.path.join("/tmp", f"pyredis-cli-home-{os.getpid()}-{port}")
        os.makedirs(self.home, exist_ok=True)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:                                   # the child: become redis-cli
            try:
                import fcntl
                import struct
                import termios
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 400, 0, 0))
                os.environ.update(TERM="xterm", HOME=self.home)
                os.execv(REDIS_CLI, [REDIS_CLI, "-p", str(port)])
            finally:
                os._exit(127)
        self.out = b""
        self.read_until(re.compile(rb"> $"), 10)
        assert self.out.endswith(f"127.0.0.1:{port}> ".encode()), self.out

    def read_until(self, pattern, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.02)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return False
                if not chunk:
                    return False
                self.out += chunk
            elif pattern.search(self.out):
                return True
        return False

    def command(self, line: str) -> bytes:
        """Type a line and Enter; the text printed before the next prompt."""
        self.out = b""
        self.send(line + "\r")
        self.read_until(re.compile(rb"\r\n127\.0\.0\.1:\d+> $"), 10)
        text = self.out.split(b"\r\n", 1)[1] if b"\r\n" in self.out else b""
        return text.rsplit(b"127.0.0.1:", 1)[0]

    def hint(self, text: str):
        """The hint shown after typing `text` (then the line is cleared), or None."""
        self.out = b""
        self.send(text)
        self.read_until(re.compile(re.escape(text.encode()) + rb"(\x1b\[0;90;49m.*?\x1b\[0m)?"
                                   rb"\r\x1b\[\d+C$"), 1.0)
        hints = HINT.findall(self.out)
        self.out = b""
        self.send("\x15")                                   # Ctrl-U: clear the line
        self.read_until(re.compile(rb"> \r\x1b\[\d+C$"), 1.0)
        return hints[-1] if hints else None

    def send(self, text: str):
        os.write(self.fd, text.encode())

    def quit(self) -> int:
        self.send("quit\r")
        self.read_until(re.compile(rb"$^"), 0.5)
        for _ in range(100):
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                shutil.rmtree(self.home, ignore_errors=True)
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        return -9


def all_command_lines():
    names = []
    for spec in build_table():
        if spec.subcommands:
            names += [f"{spec.name} {sub.name}" for sub in spec.subcommands]
        else:
            names.append(spec.name)
    return names


@pytest.fixture(scope="module")
def hints(server, ref):
    """The hint redis-cli shows for every command we declare, with each server."""
    if REDIS_CLI is None:
        pytest.skip("redis-cli is not installed")
    out = {}
    for name, srv in (("ours", server), ("ref", ref)):
        term = Terminal(srv.port)
        out[name] = {line: term.hint(line + " ") for line in all_command_lines()}
        assert term.quit() == 0
    return out


HINT_EXCEPTIONS = {
    "client setinfo": "a Redis 7.2 subcommand",
}


@pytest.mark.parametrize("line", all_command_lines())
def test_redis_cli_hints_match_redis(hints, line):
    """redis-cli builds its hints from COMMAND DOCS: they must read as with redis-server."""
    if line in HINT_EXCEPTIONS:
        pytest.skip(HINT_EXCEPTIONS[line])
    assert hints["ours"][line] == hints["ref"][line]


@needs_cli
def test_redis_cli_interactive(server, ref):
    """A short session: replies print as with redis-server; redis-cli asked for COMMAND DOCS
    at start; quitting exits 0 and the server keeps serving."""
    admin = server.raw()
    before = decode(admin.call("INFO", "commandstats")).decode()
    docs_before = int((re.findall(r"cmdstat_command\|docs:calls=(\d+)", before) or ["0"])[0])
    session = ["flushall", "set k v", "get k", "incr n", "incr k", "ping", "echo 'a b'",
               "client setname cli-session", "client getname", "mget k n nokey", "hello 3",
               "get nokey", "config get maxclients", "nosuch a", "get", "dbsize"]
    transcripts = []
    for srv in (server, ref):
        term = Terminal(srv.port)
        transcripts.append([re.sub(rb'"id" => \(integer\) \d+', b'"id" => ID',
                                   term.command(line)) for line in session])
        assert term.quit() == 0
    assert transcripts[0] == transcripts[1]
    assert transcripts[0][2] == b'"v"\r\n'
    after = decode(admin.call("INFO", "commandstats")).decode()
    assert int(re.findall(r"cmdstat_command\|docs:calls=(\d+)", after)[0]) > docs_before
    assert admin.call("PING") == b"+PONG\r\n"
    admin.close()


# ---------------------------------------------------------------------------------------------
# redis-benchmark
# ---------------------------------------------------------------------------------------------

@needs_benchmark
@pytest.mark.parametrize("pipeline", ["1", "16"])
def test_redis_benchmark(server, r, pipeline):
    """SET/GET/INCR/PING (inline and multibulk) complete without an error; INCR counted every
    request."""
    done = subprocess.run([REDIS_BENCHMARK, "-p", str(server.port), "-n", "2000",
                           "-t", "set,get,incr,ping", "-P", pipeline, "-q"],
                          capture_output=True, timeout=60)
    out = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 0, out
    assert "rror" not in out and "ERR" not in out
    finished = re.findall(r"(\w+): [\d.]+ requests per second", out)
    assert finished == ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR"]
    assert r.get("counter:__rand_int__") == b"2000"
    assert r.strlen("key:__rand_int__") == 3          # -d 3, the default value size


# ---------------------------------------------------------------------------------------------
# redis-py 8 and hiredis
# ---------------------------------------------------------------------------------------------

def test_redis_py_defaults(server):
    """redis.Redis() with its defaults: HELLO 3 and CLIENT SETINFO on connect, the hiredis
    parser when installed."""
    c = redis.Redis(port=server.port)
    try:
        c.flushall()
        assert c.set("greeting", "hello") is True
        assert c.get("greeting") == b"hello"
        assert c.get("missing") is None
        info = c.client_info()
        assert info["resp"] == "3"
        assert info["lib-name"] == "redis-py" and info["lib-ver"] == redis.__version__
        pipe = c.pipeline(transaction=False)
        pipe.set("p1", 1).incr("p1").incrby("p1", 5).get("p1").mget("p1", "missing")
        assert pipe.execute() == [True, 2, 7, b"7", [b"7", None]]
        for i in range(250):
            c.set(f"scan:{i}", i)
        assert sorted(c.scan_iter(match="scan:*", count=20)) == \
            sorted(f"scan:{i}".encode() for i in range(250))
        assert c.dbsize() == 252
        assert list(c.config_get("maxclients")) == ["maxclients"]
        assert c.info("server")["redis_version"].startswith("7.0.")
        assert c.ping() is True
        conn = c.connection_pool.get_connection()
        try:
            parser = type(conn._parser).__name__
        finally:
            c.connection_pool.release(conn)
        assert parser == "_HiredisParser"
    finally:
        c.close()


def test_redis_py_default_pipeline_is_a_transaction(server):
    c = redis.Redis(port=server.port)
    try:
        pipe = c.pipeline()
        pipe.set("t1", 1).incr("t1")
        assert pipe.execute() == [True, 2]
    finally:
        c.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_without_hiredis(server, protocol):
    """The pure-Python parsers read every reply shape too."""
    from redis.connection import ConnectionPool, _RESP2Parser, _RESP3Parser
    parser = _RESP2Parser if protocol == 2 else _RESP3Parser
    pool = ConnectionPool(port=server.port, protocol=protocol, parser_class=parser)
    c = redis.Redis(connection_pool=pool)
    try:
        conn = pool.get_connection()
        assert type(conn._parser) is parser
        pool.release(conn)
        c.set("pp", "v")
        assert c.get("pp") == b"v"
        assert c.mget("pp", "none") == [b"v", None]
        hello = c.execute_command("HELLO", protocol)
        if isinstance(hello, list):                      # RESP2: a flat array
            hello = dict(zip(hello[::2], hello[1::2]))
        assert hello[b"proto"] == protocol
        assert c.client_info()["resp"] == str(protocol)
        assert c.info()["redis_mode"] == "standalone"
        assert c.command_count() == len(build_table())
    finally:
        c.close()


def test_hiredis_reads_replies_like_redis(server, ref):
    """hiredis as an independent decoder: the same structures from both servers (RESP3 maps,
    sets, verbatim strings, nulls), client ids aside."""
    script = [("HELLO", "3"), ("SET", "h", "1"), ("GET", "h"), ("GET", "none"),
              ("MGET", "h", "none"), ("CONFIG", "GET", "maxclients"), ("COMMAND", "INFO", "get"),
              ("COMMAND", "DOCS", "get"), ("CLIENT", "TRACKINGINFO"), ("INCR", "h"),
              ("TYPE", "h"), ("ECHO", "é"), ("HELLO", "2"), ("CONFIG", "GET", "maxclients")]
    results = []
    for srv in (server, ref):
        c = srv.raw()
        try:
            c.call("FLUSHALL")
            got = []
            for args in script:
                value = decode(c.call(*args))
                if isinstance(value, dict) and b"id" in value:
                    value = {k: v for k, v in value.items() if k != b"id"}
                if isinstance(value, list) and b"id" in value:
                    i = value.index(b"id")
                    value = value[:i] + value[i + 2:]
                if args == ("COMMAND", "DOCS", "get"):
                    value = list(value) if isinstance(value, dict) else value[::2]
                got.append(value)
            results.append(got)
        finally:
            c.close()
    assert results[0] == results[1]
