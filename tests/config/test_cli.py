"""The pyredis-server command line, next to redis-server 7.0's: version and help, config file +
options + stdin, fatal config errors, a busy port, signals, log file and level, daemonizing
with a pid file, unix sockets, pytest-redis's argument list, rename-command, `python -m pyredis`.
"""
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

import hiredis
import pytest

from pyredis.commands import build_table
from tests import support
from tests.support import encode

PYREDIS = support.pyredis_command()
REDIS = support.redis_server_path()
LOG_LINE = re.compile(r"^(\d+):([MC]) \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} ([.\-*#]) (.*)$")

needs_redis = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed")


def decode(reply: bytes):
    reader = hiredis.Reader()
    reader.feed(reply)
    return reader.gets()


def run(argv, stdin=None, timeout=15):
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout, text=True)


class Unix:
    """A RESP client over a unix socket."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(path)

    def call(self, *args):
        self.sock.sendall(encode(*args))
        reader = hiredis.Reader()
        while True:
            reader.feed(self.sock.recv(65536))
            reply = reader.gets()
            if reply is not False:
                return reply

    def close(self):
        self.sock.close()


def ping_tcp(port, timeout=0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def ping_unix(path) -> bool:
    try:
        c = Unix(path)
        try:
            return c.call("PING") in (b"PONG", "PONG")
        finally:
            c.close()
    except OSError:
        return False


class Launched:
    """A server process started with an exact argument list (and optional stdin)."""

    def __init__(self, argv, stdin=None, cwd=None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, cwd=cwd)
        if stdin is not None:
            self.proc.stdin.write(stdin.encode())
        self.proc.stdin.close()

    def wait_ready(self, ready, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if ready():
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited {self.proc.returncode}: {self.output()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("did not start")

    def output(self) -> str:
        if self.proc.poll() is None:
            return ""
        return self.proc.stdout.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def tmp():
    path = tempfile.mkdtemp(prefix="pyredis-cli-")
    yield path
    subprocess.run(["rm", "-rf", path])


def log_messages(text: str) -> list:
    """(role, level mark, message) of each Redis-style log line; other lines fail the test."""
    out = []
    for line in text.splitlines():
        if re.match(r"^\d+:signal-handler \(\d+\) ", line):
            continue                                 # redis-server's lines from a signal handler
        m = LOG_LINE.match(line)
        assert m, f"not a Redis log line: {line!r}"
        out.append((m.group(2), m.group(3), m.group(4)))
    return out


# ---------------------------------------------------------------------------------------------
# --version, --help
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version(flag):
    done = run(PYREDIS + [flag])
    assert done.returncode == 0
    line = done.stdout.strip()
    assert "\n" not in line
    # pytest-redis takes the first dotted number as the Redis version
    first = re.search(r"\d+(?:\.\d+)+", line).group(0)
    assert re.fullmatch(r"7\.0\.\d+", first)
    assert re.search(r"\bv=7\.0\.\d+\b", line)


@needs_redis
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(flag):
    done, ref = run(PYREDIS + [flag]), run([REDIS, flag])
    assert done.returncode == ref.returncode == 1
    assert done.stdout == ref.stdout == ""
    assert done.stderr.startswith("Usage: ") and "--version" in done.stderr
    assert "-h or --help" in done.stderr and "(read config from stdin)" in done.stderr


# ---------------------------------------------------------------------------------------------
# Config file, options, stdin
# ---------------------------------------------------------------------------------------------

@needs_redis
def test_config_file_options_and_stdin(tmp):
    """File, then stdin, then --options (the later wins), with the same result as Redis."""
    conf = os.path.join(tmp, "test.conf")
    with open(conf, "w") as f:
        f.write("# comment\nmaxmemory 1mb\nhz 11\ndatabases 5\nsave 100 1\nsave 200 2\n"
                "MAXMEMORY-POLICY allkeys-lru\ntimeout 7\n")
    results = []
    for exe in (PYREDIS, [REDIS]):
        port = support.free_port()
        argv = exe + [conf, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                      "--maxmemory", "2mb", "--timeout", "9", "--logfile", "", "-"]
        server = Launched(argv, stdin="hz 12\ntimeout 8\n").wait_ready(lambda: ping_tcp(port))
        try:
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(encode("CONFIG", "GET", "maxmemory", "hz", "databases", "save",
                                 "maxmemory-policy", "timeout"))
                time.sleep(0.2)
                results.append(sorted(zip(*[iter(decode(s.recv(65536)))] * 2)))
                s.sendall(encode("INFO", "server"))
                time.sleep(0.2)
                info = decode(s.recv(65536)).decode()
                assert f"config_file:{conf}" in info
        finally:
            assert server.stop() == 0
    assert results[0] == results[1]
    assert dict(results[0]) == {b"maxmemory": b"2097152", b"hz": b"12", b"databases": b"5",
                                b"save": b"100 1 200 2", b"maxmemory-policy": b"allkeys-lru",
                                b"timeout": b"9"}


@needs_redis
@pytest.mark.parametrize("conf,options", [
    ("port 1\nbogus x\n", []),
    ("port abc\n", []),
    ("maxmemory-policy nope\n", []),
    ('requirepass "unbalanced\n', []),
    ("save 1\n", []),
    ("", ["--foo", "bar"]),
    ("", ["--port", "1", "2"]),
    ("hz 10\n", ["--databases", "x"]),
    ("rename-command nosuchcmd foo\n", []),
    ("rename-command get set\n", []),
    ("include /nonexistent/file.conf\n", []),
], ids=["bad-directive", "bad-int", "bad-enum", "unbalanced", "save-odd", "bad-option",
        "option-args", "bad-option-after-file", "rename-unknown", "rename-exists",
        "include-missing"])
def test_fatal_config_error(tmp, conf, options):
    """Exit 1 and redis-server's exact message on stderr (the config error block names
    "Redis" and its version in both)."""
    path = os.path.join(tmp, "bad.conf")
    with open(path, "w") as f:
        f.write(conf)
    ours = run(PYREDIS + [path] + options)
    ref = run([REDIS, path] + options)
    assert ours.returncode == ref.returncode == 1
    if "include" in conf:
        # logged, not printed: the same message as a log line
        assert log_messages(ours.stdout)[-1][1:] == log_messages(ref.stdout)[-1][1:]
    else:
        assert ours.stderr == ref.stderr
        assert "*** FATAL CONFIG FILE ERROR" in ours.stderr


def test_missing_config_file(tmp):
    done = run(PYREDIS + [os.path.join(tmp, "nope.conf")])
    assert done.returncode == 1
    assert "Fatal error, can't open config file" in done.stdout


# ---------------------------------------------------------------------------------------------
# Start-up failure, signals, logs
# ---------------------------------------------------------------------------------------------

@needs_redis
def test_port_in_use(server, tmp):
    """Redis's two log lines, exit 1."""
    lines = []
    for exe in (PYREDIS, [REDIS]):
        done = run(exe + ["--port", str(server.port), "--bind", "127.0.0.1", "--save", "",
                          "--dir", tmp])
        assert done.returncode == 1
        lines.append([m for _role, _mark, m in log_messages(done.stdout)][-2:])
    assert lines[0] == lines[1] == [
        f"Warning: Could not create server TCP listening socket 127.0.0.1:{server.port}: "
        "bind: Address already in use",
        f"Failed listening on port {server.port} (TCP), aborting."]


@pytest.mark.parametrize("sig,name", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")])
def test_signal_shutdown(tmp, sig, name):
    srv = support.start_pyredis("--pidfile", os.path.join(tmp, "p.pid"))
    srv.proc.send_signal(sig)
    assert srv.proc.wait(10) == 0
    messages = [m for _role, _mark, m in log_messages(srv.log())]
    assert f"Received {name} scheduling shutdown..." in messages
    assert messages[-3:] == ["User requested shutdown...", "Removing the pid file.",
                             "pyredis is now ready to exit, bye bye..."]
    assert not os.path.exists(os.path.join(tmp, "p.pid"))
    srv.stop()


def test_log_format_and_start_lines(tmp):
    logfile = os.path.join(tmp, "log.txt")
    srv = support.start_pyredis("--logfile", logfile)
    try:
        with open(logfile) as f:
            entries = log_messages(f.read())
        assert entries[0][0] == "C" and entries[-1][0] == "M"
        assert entries[-1][2].startswith("Ready to accept connections")
        assert "Configuration loaded" in [m for _r, _l, m in entries]
        pids = {line.split(":", 1)[0] for line in open(logfile).read().splitlines()}
        assert pids == {str(srv.proc.pid)}
    finally:
        assert srv.stop() == 0


@pytest.mark.parametrize("level,marks", [("warning", {"#"}), ("notice", {"#", "*"}),
                                         ("verbose", {"#", "*", "-"})])
def test_loglevel(tmp, level, marks):
    logfile = os.path.join(tmp, "log.txt")
    srv = support.start_pyredis("--logfile", logfile, "--loglevel", level)
    try:
        bad = socket.create_connection(("127.0.0.1", srv.port))
        bad.sendall(b"*-x\r\n")                      # a protocol error: logged at verbose
        bad.recv(100)
        bad.close()
        time.sleep(0.2)
    finally:
        assert srv.stop() == 0
    with open(logfile) as f:
        seen = {mark for _role, mark, _m in log_messages(f.read())}
    assert seen == marks


def test_logfile_empty_means_stdout(tmp):
    port = support.free_port()
    server = Launched(PYREDIS + ["--port", str(port), "--logfile", "", "--dir", tmp]).wait_ready(
        lambda: ping_tcp(port))
    assert server.stop() == 0
    messages = [m for _r, _l, m in log_messages(server.output())]
    assert messages[-1] == "pyredis is now ready to exit, bye bye..."


# ---------------------------------------------------------------------------------------------
# Daemonize, pid file, unix socket
# ---------------------------------------------------------------------------------------------

def test_daemonize_with_pidfile(tmp):
    port = support.free_port()
    pidfile = os.path.join(tmp, "d.pid")
    logfile = os.path.join(tmp, "d.log")
    started = time.monotonic()
    done = run(PYREDIS + ["--daemonize", "yes", "--pidfile", pidfile, "--port", str(port),
                          "--logfile", logfile, "--dir", tmp, "--save", ""])
    assert done.returncode == 0, "the launcher returns at once"
    assert time.monotonic() - started < 10
    deadline = time.time() + 15
    while not (ping_tcp(port) and os.path.exists(pidfile)) and time.time() < deadline:
        time.sleep(0.05)
    with open(pidfile) as f:
        pid = int(f.read().strip())
    try:
        os.kill(pid, 0)                               # alive, in the background
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(encode("INFO", "server"))
            time.sleep(0.2)
            assert f"process_id:{pid}\r\n" in decode(s.recv(65536)).decode()
            s.sendall(encode("SHUTDOWN", "NOSAVE"))
            assert s.recv(100) == b""
        deadline = time.time() + 10
        while os.path.exists(f"/proc/{pid}") and time.time() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(pidfile), "the pid file is removed on shutdown"
        with open(logfile) as f:
            assert "bye bye" in f.read()
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@needs_redis
def test_unixsocket_with_perm_and_no_tcp(tmp):
    """--port 0 --unixsocket p --unixsocketperm 700: no TCP, the socket has mode 0700 and
    clients show the path as their address, as in Redis."""
    infos = []
    for exe, name in ((PYREDIS, "p.sock"), ([REDIS], "r.sock")):
        path = os.path.join(tmp, name)
        server = Launched(exe + ["--port", "0", "--unixsocket", path, "--unixsocketperm", "700",
                                 "--dir", tmp, "--save", "", "--logfile",
                                 os.path.join(tmp, name + ".log")]).wait_ready(
            lambda: ping_unix(path))
        try:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
            c = Unix(path)
            line = c.call("CLIENT", "INFO").decode()
            fields = dict(f.split("=", 1) for f in line.split())
            assert fields["addr"] == fields["laddr"] == f"{path}:0"
            assert "tcp_port:0\r\n" in c.call("INFO", "server").decode()
            assert c.call("CONFIG", "GET", "unixsocketperm") == [b"unixsocketperm", b"700"]
            infos.append(fields["flags"])
            c.close()
        finally:
            assert server.stop() == 0
        assert not os.path.exists(path), "the socket file is removed on shutdown"
    assert infos[0] == infos[1] == "U"


def test_unixsocket_next_to_tcp(tmp):
    path = os.path.join(tmp, "s.sock")
    srv = support.start_pyredis("--unixsocket", path)
    try:
        assert ping_unix(path)
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o777   # created with some permissions
        c = Unix(path)
        c.call("SET", "via-unix", "1")
        c.close()
        with socket.create_connection(("127.0.0.1", srv.port)) as s:
            s.sendall(encode("GET", "via-unix"))
            assert s.recv(100) == b"$1\r\n1\r\n"
    finally:
        assert srv.stop() == 0


def test_pytest_redis_arguments(tmp):
    """The exact command line pytest-redis builds (after probing `--version` for a dotted number),
    --save in one argument."""
    port = support.free_port()
    sock = os.path.join(tmp, f"redis.{port}.sock")
    pidfile = os.path.join(tmp, f"redis-server.{port}.pid")
    argv = PYREDIS + [
        "--daemonize", "no", "--rdbcompression", "yes", "--rdbchecksum", "no",
        "--appendonly", "no", "--databases", "8", "--timeout", "30", "--pidfile", pidfile,
        "--unixsocket", sock, "--dbfilename", f"dump.{port}.rdb",
        "--logfile", os.path.join(tmp, f"redis-server.{port}.log"), "--loglevel", "notice",
        "--syslog-enabled", "no", "--bind", "127.0.0.1", "--port", str(port), "--dir", tmp,
        "--requirepass", "secret", "--save 900 1 300 10"]
    server = Launched(argv).wait_ready(lambda: ping_tcp(port))
    try:
        assert os.path.exists(pidfile)
        c = Unix(sock)
        assert c.call("AUTH", "secret") == b"OK"
        got = c.call("CONFIG", "GET", "databases", "timeout", "save", "dbfilename",
                     "rdbchecksum", "dir")
        assert dict(zip(got[::2], got[1::2])) == {
            b"databases": b"8", b"timeout": b"30", b"save": b"900 1 300 10",
            b"dbfilename": f"dump.{port}.rdb".encode(), b"rdbchecksum": b"no",
            b"dir": os.path.realpath(tmp).encode()}
        c.close()
        version = run(PYREDIS + ["--version"]).stdout
        assert re.search(r"\d+(?:\.\d+)+", version).group(0).startswith("7.")
    finally:
        assert server.stop() == 0
    assert not os.path.exists(pidfile)


@needs_redis
def test_low_open_files_limit_lowers_maxclients(tmp):
    """With `ulimit -n 1024` the default maxclients 10000 becomes 992, with Redis's warnings."""
    import resource

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    seen = []
    for exe in (PYREDIS, [REDIS]):
        port = support.free_port()
        logfile = os.path.join(tmp, f"{port}.log")
        proc = subprocess.Popen(exe + ["--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                                       "--save", "", "--logfile", logfile],
                                preexec_fn=low_limit, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 15
            while not ping_tcp(port):
                assert time.time() < deadline and proc.poll() is None
                time.sleep(0.05)
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(encode("CONFIG", "GET", "maxclients"))
                time.sleep(0.1)
                maxclients = decode(s.recv(1000))
        finally:
            proc.terminate()
            assert proc.wait(10) == 0
        with open(logfile) as f:
            warnings = [m for _r, mark, m in log_messages(f.read())
                        if mark == "#" and ("maxclients" in m or "open files" in m)]
        seen.append((maxclients, warnings))
    assert seen[0] == seen[1]
    assert seen[0][0] == [b"maxclients", b"992"]


def test_python_dash_m(tmp):
    done = run([sys.executable, "-m", "pyredis", "--version"])
    assert done.returncode == 0 and "v=7.0." in done.stdout
    port = support.free_port()
    server = Launched([sys.executable, "-m", "pyredis", "--port", str(port), "--dir", tmp,
                       "--save", ""]).wait_ready(lambda: ping_tcp(port))
    assert server.stop(signal.SIGINT) == 0


# ---------------------------------------------------------------------------------------------
# rename-command
# ---------------------------------------------------------------------------------------------

RENAMES = 'rename-command get myget\nrename-command echo ""\nrename-command CONFIG cfg\n'


def start_with_conf(exe, conf, tmp):
    port = support.free_port()
    server = Launched(exe + [conf, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                             "--save", "", "--logfile", ""]).wait_ready(lambda: ping_tcp(port))
    return server, port


@pytest.fixture(scope="module")
def rename_pair():
    folder = tempfile.mkdtemp(prefix="pyredis-rename-")
    conf = os.path.join(folder, "rename.conf")
    with open(conf, "w") as f:
        f.write(RENAMES)
    ours = start_with_conf(PYREDIS, conf, folder)
    theirs = start_with_conf([REDIS], conf, folder) if REDIS else None
    yield ours[1], theirs[1] if theirs else None
    assert ours[0].stop() == 0
    if theirs:
        theirs[0].stop()
    subprocess.run(["rm", "-rf", folder])


@needs_redis
@pytest.mark.parametrize("args", [
    ("GET", "a"), ("myget", "a"), ("MYGET", "a"), ("ECHO", "x"), ("CONFIG", "GET", "port"),
    ("cfg", "foo"), ("COMMAND", "INFO", "myget", "get", "echo", "set"),
    ("COMMAND", "INFO", "cfg|get", "config|get"),
    ("COMMAND", "GETKEYS", "myget", "k"), ("COMMAND", "GETKEYS", "get", "k"),
    ("COMMAND", "LIST", "FILTERBY", "PATTERN", "*get"), ("cfg", "set", "hz", "11"),
    ("cfg", "get", "hz"), ("SET", "a", "b"), ("myget", "a"),
], ids=lambda a: " ".join(a))
def test_rename_command(rename_pair, args):
    """A renamed command is unknown under its old name and works under the new one, keeping
    its identity for COMMAND INFO; `rename-command X ""` removes X."""
    ours, theirs = (support.RawClient(p) for p in rename_pair)
    try:
        mine, expected = ours.call(*args), theirs.call(*args)
        if args[:2] == ("COMMAND", "LIST"):
            have = {n for n in decode(ours.call("COMMAND", "LIST"))}
            mine = sorted(decode(mine))
            expected = sorted(n for n in decode(expected) if n in have)
            assert b"get" in mine and b"myget" not in mine
        assert mine == expected
    finally:
        ours.close()
        theirs.close()


@needs_redis
def test_rename_command_info_and_docs(rename_pair):
    """COMMAND INFO and DOCS under the new name answer with the original name."""
    ours, theirs = (support.RawClient(p) for p in rename_pair)
    try:
        for c in (ours, theirs):
            entries = decode(c.call("COMMAND", "INFO", "cfg", "myget", "config"))
            assert [e[0] if e else None for e in entries] == [b"config", b"get", None]
            assert decode(c.call("COMMAND", "DOCS", "myget", "get"))[::2] == [b"get"]
            count = decode(c.call("COMMAND", "COUNT"))
            assert count == len(decode(c.call("COMMAND")))
        assert decode(ours.call("COMMAND", "COUNT")) == len(build_table()) - 1
    finally:
        ours.close()
        theirs.close()


@needs_redis
def test_rename_command_keeps_name_in_errors_and_stats(rename_pair):
    ours, theirs = (support.RawClient(p) for p in rename_pair)
    try:
        assert ours.call("myget") == theirs.call("myget") == \
            b"-ERR wrong number of arguments for 'get' command\r\n"
        assert ours.call("cfg", "help", "x") == theirs.call("cfg", "help", "x") == \
            b"-ERR wrong number of arguments for 'config|help' command\r\n"
        stats = [decode(c.call("INFO", "commandstats")).decode() for c in (ours, theirs)]
        assert all("cmdstat_get:" in s and "cmdstat_myget" not in s for s in stats)
    finally:
        ours.close()
        theirs.close()
