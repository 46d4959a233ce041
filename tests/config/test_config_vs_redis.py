"""pyredis.config compared with the real redis-server (skipped when redis-server is not on PATH).

* bad config files / bad --options: our ConfigFileError text must equal redis-server's stderr;
* CONFIG GET * of a fresh redis-server (started with --bind 127.0.0.1 -::1 --save "3600 1 300 100
  60 10000") must list no setting we lack, with the same values;
* CONFIG GET patterns and CONFIG SET errors/values must be the same.
"""

import re
import shutil
import socket
import subprocess
import time

import pytest

from pyredis import REDIS_VERSION
from pyredis.cli import parse_command_line
from pyredis.config import Config, ConfigFileError
from pyredis.errors import CommandError

REDIS_SERVER = shutil.which("redis-server")


def _redis_version():
    if REDIS_SERVER is None:
        return None
    out = subprocess.run([REDIS_SERVER, "--version"], capture_output=True, text=True, timeout=10).stdout
    m = re.search(r"v=(\d+\.\d+\.\d+)", out)
    return m.group(1) if m else None


VERSION = _redis_version()
pytestmark = pytest.mark.skipif(
    VERSION is None or not VERSION.startswith("7.0."),
    reason=f"needs redis-server 7.0.x on PATH (found {VERSION})")

BASE_ARGS = ["--bind", "127.0.0.1", "-::1", "--save", "3600 1 300 100 60 10000"]


# ---------------------------------------------------------------------------------------------
# a tiny RESP client (no dependency on redis-py)
# ---------------------------------------------------------------------------------------------

class Resp:
    def __init__(self, port=None, path=None):
        if path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(path)
        else:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.settimeout(5)
        self.f = self.sock.makefile("rb")

    def close(self):
        self.f.close()
        self.sock.close()

    def __call__(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a.encode("utf-8", "surrogateescape")
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self.sock.sendall(b"".join(out))
        return self._read()

    def _read(self):
        line = self.f.readline()
        kind, rest = line[:1], line[1:-2].decode("utf-8", "surrogateescape")
        if kind == b"+":
            return rest
        if kind == b"-":
            return CommandError(rest)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode("utf-8", "surrogateescape")
        if kind == b"*":
            return [self._read() for _ in range(int(rest))]
        raise AssertionError(f"bad reply {line!r}")

    def config_get(self, *patterns):
        flat = self("CONFIG", "GET", *patterns)
        return dict(zip(flat[::2], flat[1::2]))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, proc, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"redis-server exited: {proc.stderr.read().decode(errors='replace')}")
        if pred():
            return
        time.sleep(0.01)
    raise AssertionError("redis-server did not start")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A fresh redis-server 7.0.15 started with BASE_ARGS; yields (client, argv, cwd)."""
    cwd = tmp_path_factory.mktemp("live")
    port = free_port()
    argv = BASE_ARGS + ["--port", str(port), "--daemonize", "no"]
    proc = subprocess.Popen([REDIS_SERVER, *argv], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    try:
        wait_for(up, proc)
        client = Resp(port=port)
        yield client, argv, cwd
        client.close()
    finally:
        proc.terminate()
        proc.wait(10)


def ours_like(argv, cwd, monkeypatch):
    monkeypatch.chdir(cwd)
    cfg = Config()
    cl = parse_command_line(argv)
    cfg.load(cl.config_file, None, cl.options)
    return cfg


# ---------------------------------------------------------------------------------------------
# CONFIG GET
# ---------------------------------------------------------------------------------------------

def test_config_get_all_like_redis(live, monkeypatch):
    client, argv, cwd = live
    theirs = client.config_get("*")
    ours = dict(ours_like(argv, cwd, monkeypatch).get(["*"]))
    missing = sorted(set(theirs) - set(ours))
    assert missing == [], f"settings redis-server 7.0.15 has and pyredis lacks: {missing}"
    different = {k: (theirs[k], ours[k]) for k in theirs if theirs[k] != ours[k]}
    assert different == {}
    assert theirs["bind"] == "127.0.0.1 -::1" and theirs["save"] == "3600 1 300 100 60 10000"


def test_hidden_settings_like_redis(live, monkeypatch):
    client, argv, cwd = live
    cfg = ours_like(argv, cwd, monkeypatch)
    for name in ("key-load-delay", "rdb-key-save-delay", "use-exit-on-panic", "watchdog-period",
                 "loading-process-events-interval-bytes"):
        assert client.config_get(name) == dict(cfg.get([name]))


@pytest.mark.parametrize("patterns", [
    ["port", "PORT"], ["PORT", "p*rt"], ["p*rt", "PORT"], ["slaveof", "replicaof"], ["*slaveof*"],
    ["*of"], ["key-load-dela?"], ["maxmemory*", "*policy"], ["p[^x]rt"], ["[pb]ind"], ["nonexistent"],
    ["SLAVE*"], ["*-max-*"], ["po\\rt"], ["*ziplist*", "hash-max-ziplist-entries"],
])
def test_config_get_patterns_like_redis(live, monkeypatch, patterns):
    client, argv, cwd = live
    cfg = ours_like(argv, cwd, monkeypatch)
    flat = client("CONFIG", "GET", *patterns)
    assert sorted(zip(flat[::2], flat[1::2])) == sorted(cfg.get(patterns))


# ---------------------------------------------------------------------------------------------
# CONFIG SET
# ---------------------------------------------------------------------------------------------

BAD_SETS = [
    ["nonexist", "1"], ["port", "abc"], ["PORT", "70000"], ["databases", "4"], ["daemonize", "yes"],
    ["maxmemory", "1x"], ["maxmemory-clients", "200%"], ["maxmemory-clients", "-5%"], ["loglevel", "foo"],
    ["appendonly", "maybe"], ["dir", "/tmp"], ["dbfilename", "a/b"], ["unixsocketperm", "700"],
    ["save", "1"], ["save", "0 1"], ["save", "10 1  20 2"], ["notify-keyspace-events", "Q"],
    ["client-output-buffer-limit", "foo 1 2 3"], ["client-output-buffer-limit", "normal 1"],
    ["client-output-buffer-limit", "normal 1x 2 3"], ["oom-score-adj-values", "1 2"],
    ["oom-score-adj-values", "1 2 3000"], ["replicaof", "no one"], ["slaveof", "no one"],
    ["maxmemory", "1", "maxmemory", "2"], ["maxmemory", "1", "MAXMEMORY", "2"], ["maxmemory", "1", "foo", "2"],
    ["maxmemory", "1", "port", "abc"], ["port", "abc", "foo", "1"], ["databases", "1", "foo", "1"],
    ["port", "abc", "databases", "3"], ["hz", "-1"], ["proto-max-bulk-len", "10"],
    ["latency-tracking-info-percentiles", "101"], ["latency-tracking-info-percentiles", "abc"],
    ["cluster-announce-hostname", "a_b"], ["proc-title-template", "{foo}"], ["proc-title-template", "{title}"],
    ["io-threads", "5"], ["maxclients", "0"], ["shutdown-on-sigint", "save nosave"],
    ["shutdown-on-sigint", "bogus"], ["activedefrag", "yes"], ["SLAVE-PRIORITY", "abc"],
    ["timeout", "01"], ["timeout", "9223372036854775808"], ["slowlog-max-len", "-1"],
    ["hash-max-ziplist-entries", "-1"], ["bind", " ".join(str(i) for i in range(17))],
    ["appendonly", "yes", "appendonly", "no"], ["maxmemory-policy", "x"], ["socket-mark-id", "1"],
]


@pytest.mark.parametrize("args", BAD_SETS, ids=lambda a: " ".join(a)[:40])
def test_config_set_errors_like_redis(live, monkeypatch, args):
    client, argv, cwd = live
    cfg = ours_like(argv, cwd, monkeypatch)
    theirs = client("CONFIG", "SET", *args)
    assert isinstance(theirs, CommandError)
    with pytest.raises(CommandError) as ei:
        cfg.set(list(zip(args[::2], args[1::2])))
    assert str(ei.value) == str(theirs)


GOOD_SETS = [
    ("maxmemory", "1kb"), ("maxmemory", "18446744073709551615k"), ("maxmemory-clients", "10%"),
    ("notify-keyspace-events", "KEAmtdn"), ("notify-keyspace-events", "Eg$lshzxet"), ("save", "10 1 20 2"),
    ("save", ""), ("client-output-buffer-limit", "replica 1kb 2k 3 pubsub 1mb 2 3"),
    ("shutdown-on-sigint", "force now save"), ("latency-tracking-info-percentiles", "1e1 0x10 33.333333333"),
    ("hz", "1000"), ("repl-backlog-size", "1"), ("loglevel", "WARNING"), ("slave-priority", "5"),
    ("hash-max-ziplist-value", "1k"), ("list-max-ziplist-size", "-5"), ("proc-title-template", "x}"),
]


@pytest.mark.parametrize("name,value", GOOD_SETS)
def test_config_set_values_like_redis(live, monkeypatch, name, value):
    client, argv, cwd = live
    cfg = ours_like(argv, cwd, monkeypatch)
    before = client.config_get(name)[name]
    try:
        assert client("CONFIG", "SET", name, value) == "OK"
        cfg.set([(name, value)])
        assert dict(cfg.get([name])) == client.config_get(name)
    finally:
        client("CONFIG", "SET", name, before)


# ---------------------------------------------------------------------------------------------
# bad configuration: the exact stderr text
# ---------------------------------------------------------------------------------------------

def run_redis(args, cwd, stdin=None):
    p = subprocess.run([REDIS_SERVER, *args], cwd=cwd, input=(stdin or "").encode(),
                       capture_output=True, timeout=10)
    assert p.returncode != 0
    stderr = p.stderr.decode("utf-8", "surrogateescape")
    # only the version number in the header may differ
    stderr = stderr.replace(f"(Redis {VERSION}) ***", f"(Redis {REDIS_VERSION}) ***", 1)
    return p.stdout.decode("utf-8", "surrogateescape"), stderr


def our_error(args, cwd, monkeypatch, stdin=None):
    monkeypatch.chdir(cwd)
    cl = parse_command_line(args)
    with pytest.raises(ConfigFileError) as ei:
        Config().load(cl.config_file, stdin if cl.from_stdin else None, cl.options)
    return ei.value


BAD_FILES = [
    "port abc\n",
    "# comment\n\n  \nport 99999\n",
    "foo bar\n",
    "port 1 2\n",
    "appendonly maybe\n",
    "loglevel foo\n",
    "maxmemory 1x\n",
    "maxmemory-clients 200%\n",
    'requirepass "abc\n',
    "requirepass 'abc\n",
    'requirepass "abc"x\n',
    "save 0 1\n",
    'save 900 1 ""\n',
    "client-output-buffer-limit normal 1\n",
    "unixsocketperm 999\n",
    "dir /nonexistent-pyredis-dir\n",
    "include\n",
    "sentinel monitor x\n",
    "foo.bar\n",
    "replicaof a b\n",
    "notify-keyspace-events Q\n",
    "oom-score-adj-values 1 2\n",
    "shutdown-on-sigint save nosave\n",
    "proc-title-template \"{foo}\"\n",
    "dbfilename a/b\n",
    "  PORT\tabc  \r\n",
    "logfile /nonexistent-pyredis-dir/x.log\n",
    "cluster-enabled yes\nreplicaof 1.2.3.4 5\n",
    "port 1",  # no final newline: the --options start on the same numbering
]


@pytest.mark.parametrize("text", BAD_FILES)
def test_bad_config_file_like_redis(tmp_path, monkeypatch, text):
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    args = [str(conf), "--port", "0", "--pyredis-bogus-option"]  # never let a server start
    _, stderr = run_redis(args, tmp_path)
    assert str(our_error(args, tmp_path, monkeypatch)) == stderr


@pytest.mark.parametrize("args", [
    ["--port", "abc"],
    ["--port", "1", "--port", "abc"],
    ["--port", "6", "--requirepass", "a b", "--port", "x"],
    ["--port", "1 2"],
    ["--port 1 2"],
    ["--requirepass", 'a"b\n', "--port", "x"],
    ["--foo"],
    ["--save", "abc"],
    ["--save", "--port", "x"],
    ["--save", "--save", "x"],
    ["--requirepass", "--port", "x"],
    ["--save ", "--port", "x"],
    ["--", "--port", "x"],
    ["--port", "1", "-", "5", "--foo"],
    ["--port", "1", "-v"],
    ['--requirepass a"b', "--port", "x"],
    ["--maxmemory", "100mb", "--loglevel", "verbose", "--zzz"],
])
def test_bad_command_line_like_redis(tmp_path, monkeypatch, args):
    _, stderr = run_redis(args, tmp_path)
    assert str(our_error(args, tmp_path, monkeypatch)) == stderr


def test_stdin_and_include_errors_like_redis(tmp_path, monkeypatch):
    (tmp_path / "ok.conf").write_text("port 1\n")
    (tmp_path / "inc1.conf").write_text("port 1\nport abc\n")
    (tmp_path / "main.conf").write_text("# x\ninclude inc1.conf\nport 5\n")
    cases = [
        (["-"], "port abc\n"),
        (["-", "--port", "5"], "port abc\n"),
        (["ok.conf", "-"], "port abc\n"),
        (["ok.conf", "--port", "5", "-"], "port 7\nport abc\n"),
        (["main.conf"], None),
    ]
    for args, stdin in cases:
        _, stderr = run_redis(args, tmp_path, stdin)
        assert str(our_error(args, tmp_path, monkeypatch, stdin)) == stderr, args


def test_missing_config_file_like_redis(tmp_path, monkeypatch):
    stdout, stderr = run_redis(["nonexist.conf"], tmp_path)
    err = our_error(["nonexist.conf"], tmp_path, monkeypatch)
    assert err.log_message and stderr == ""
    assert stdout.rstrip("\n").endswith("# " + str(err))  # Redis logs it (to stdout here)


# ---------------------------------------------------------------------------------------------
# repeatable directives: values after loading a file
# ---------------------------------------------------------------------------------------------

def connect_when_listening(path: str, timeout: float = 5.0):
    """The socket file appears at bind(), a moment before listen(): retry a refused connect."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Resp(path=path)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def start_and_get(conf_text, names, tmp_path):
    conf = tmp_path / "q.conf"
    conf.write_text(conf_text)
    sock = tmp_path / "q.sock"
    if sock.exists():
        sock.unlink()
    proc = subprocess.Popen([REDIS_SERVER, str(conf), "--port", "0", "--unixsocket", str(sock),
                             "--daemonize", "no"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(sock.exists, proc)
        client = connect_when_listening(str(sock))
        try:
            return {n: client.config_get(n)[n] for n in names}
        finally:
            client.close()
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("text", [
    "save 900 1\nsave 300 10\nclient-output-buffer-limit pubsub 1mb 2mb 3\nclient-output-buffer-limit slave 1kb 2 3\n",
    'save 900 1\nsave ""\nsave 300 10\n',
    "save 5 5\ninclude {tmp}/confd/*.conf\nsave 60 1\n",
    "include {tmp}/confd/*.conf\nbind 127.0.0.1 \"-::1\"\nhz 1000\n",
])
def test_loaded_values_like_redis(tmp_path, monkeypatch, text):
    (tmp_path / "confd").mkdir()
    (tmp_path / "confd" / "a.conf").write_text("save 10 1\n")
    (tmp_path / "confd" / "b.conf").write_text("save 20 2\n")
    text = text.replace("{tmp}", str(tmp_path))
    names = ["save", "client-output-buffer-limit", "hz"]
    if "bind" in text:  # (our default bind deliberately differs from Redis's "* -::*")
        names.append("bind")
    theirs = start_and_get(text, names, tmp_path)
    monkeypatch.chdir(tmp_path)
    cfg = Config()
    cfg.load(str(tmp_path / "q.conf"), None, "")
    assert {n: dict(cfg.get([n]))[n] for n in names} == theirs
