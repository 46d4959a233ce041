"""The in-process entry point (fastresp core: fake_client, call_command; Core.call/call_resp):
commands run by code inside the server take the same path as a socket client's.

A real server is assembled in this process (pyredis.server.Server, listening on a free port)
and driven one loop iteration at a time (Core.run_once), so socket clients and in-process calls
meet in one keyspace:
- the reply bytes of an in-process call equal a socket client's for the same commands (RESP2
  and RESP3, errors included), and Core.call decodes them;
- what in-process calls change reaches socket clients as it would from another socket client:
  keyspace notifications, WATCH invalidation, blocked clients served;
- propagation: an in-process write is recorded like a socket one; a command that runs other
  commands (EXEC, and a Python command calling Core.call) is recorded once, through its calls,
  wrapped in MULTI/EXEC when they are several -- the same AOF bytes redis-server 7.0 writes for
  a Lua script with the same calls;
- an in-process client never blocks, never subscribes, and counts in INFO commandstats;
- AOF loading goes through the same path (Core.replay with an "aof" client).
"""
import os
import socket
import time

import pytest

from fastresp.reply import NULL_ARRAY, ErrorReply, MapReply, Status
from pyredis.commands.table import Group
from pyredis.config import Config
from pyredis.server import Server
from tests import support


@pytest.fixture
def srv():
    port = support.free_port()
    cfg = Config()
    cfg.load_string(f"port {port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\nloglevel warning\n")
    server = Server(cfg)
    server.start()
    yield server
    for s in server.listeners:
        server.core.remove_listener(s.fileno())
        s.close()
    for c in list(server.core.clients.values()):
        c.kill()
    server.core.run_once(0)


class Peer(support.RawClient):
    """A socket client of the in-process server: while it waits for bytes, it runs the
    server's loop."""

    def __init__(self, server, proto=2):
        super().__init__(server.config["port"])
        self.server = server
        self.sock.setblocking(False)
        if proto == 3:
            self.call("HELLO", "3")

    def _fill(self, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.server.core.run_once(10)
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                raise support.ConnectionClosed()
            self.buf += data
            return
        raise TimeoutError(f"nothing from the server (have {self.buf!r})")

    def read(self, n=1):
        """The raw bytes of the next n replies."""
        return b"".join(self.read_reply() for _ in range(n))


COMMANDS = [
    ("SET", "k", "v"), ("GET", "k"), ("GET", "missing"), ("INCR", "n"), ("INCR", "k"),
    ("RPUSH", "l", "a", "b", "c"), ("LRANGE", "l", "0", "-1"), ("HSET", "h", "f", "1", "g", "2"),
    ("HGETALL", "h"), ("SADD", "s", "x"), ("SMEMBERS", "s"), ("ZADD", "z", "1.5", "m"),
    ("ZSCORE", "z", "m"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("EXISTS", "k", "n"),
    ("TTL", "k"), ("TYPE", "l"), ("OBJECT", "ENCODING", "l"), ("OBJECT", "NOPE", "x"),
    ("NOSUCHCOMMAND", "a"), ("GET",), ("LPOP", "k"), ("CONFIG", "GET", "maxmemory"),
    ("ECHO", "hello"), ("PING",), ("COMMAND", "COUNT"), ("SELECT", "99"), ("DBSIZE",),
    ("MULTI",), ("SET", "t", "1"), ("INCR", "t"), ("EXEC",), ("LPOS", "l", "b"),
    ("BLPOP", "empty", "0"), ("XADD", "s", "*", "a", "b"), ("DEL", "k", "l", "h", "s", "z"),
]


@pytest.mark.parametrize("proto", [2, 3])
def test_in_process_replies_are_a_socket_clients_bytes(srv, proto):
    """The same commands, once from a socket and once in-process (after a FLUSHALL), give the
    same reply bytes; BLPOP is the one difference: a socket client blocks, an in-process one
    gets the timeout's null at once (as a client in MULTI)."""
    peer = Peer(srv, proto)
    sock_replies = []
    for cmd in COMMANDS:
        if cmd[0] == "BLPOP":
            continue
        sock_replies.append(peer.call(*cmd))
    peer.call("FLUSHALL")
    fake = srv.core.fake_client("module", 0, proto)
    ours = [srv.core.call_resp(fake, *cmd) for cmd in COMMANDS if cmd[0] != "BLPOP"]
    assert ours == sock_replies
    assert srv.core.call_resp(fake, "BLPOP", "empty", "0") == (b"*-1\r\n" if proto == 2
                                                               else b"_\r\n")
    peer.close()


def test_call_decodes_replies(srv):
    fake = srv.core.fake_client("script")
    assert srv.core.call(fake, "SET", b"k", 10) == Status("OK")
    assert srv.core.call(fake, "INCRBY", "k", 5) == 15
    assert srv.core.call(fake, "GET", "k") == b"15"
    assert srv.core.call(fake, "GET", "nope") is None
    assert srv.core.call(fake, "RPUSH", "l", "a", "b") == 2
    assert srv.core.call(fake, "LRANGE", "l", 0, -1) == [b"a", b"b"]
    assert srv.core.call(fake, "ZADD", "z", 2.5, "m") == 1
    assert srv.core.call(fake, "ZSCORE", "z", "m") == b"2.5"
    err = srv.core.call(fake, "INCR", "l")
    assert isinstance(err, ErrorReply) and err.startswith("WRONGTYPE")
    assert srv.core.call(fake, "NOPE") == ErrorReply(
        "ERR unknown command 'NOPE', with args beginning with: ")
    fake3 = srv.core.fake_client("module", 0, 3)
    assert srv.core.call(fake3, "ZSCORE", "z", "m") == 2.5
    srv.core.call(fake3, "HSET", "h", "f", "v")
    assert dict(srv.core.call(fake3, "HGETALL", "h")) == {b"f": b"v"}
    assert isinstance(srv.core.call(fake3, "HGETALL", "h"), MapReply)
    assert srv.core.call(fake, "BLPOP", "nothing", 0) is NULL_ARRAY


def test_database_and_origin_of_a_fake_client(srv):
    fake = srv.core.fake_client("module", 3)
    srv.core.call(fake, "SET", "k", "in-3")
    assert srv.keyspace.get(3, b"k") == b"in-3"
    assert srv.keyspace.get(0, b"k") is None
    srv.core.call(fake, "SELECT", 5)
    srv.core.call(fake, "SET", "k", "in-5")
    assert srv.keyspace.get(5, b"k") == b"in-5"
    assert fake.origin == "module" and fake.fd == -1
    assert srv.core.fake_client("aof").origin == "aof"
    with pytest.raises(ValueError):
        srv.core.fake_client("nobody")
    peer = Peer(srv)
    assert peer.call("CLIENT", "LIST").count(b"id=") == 1   # in-process clients are not listed
    peer.close()


def test_notifications_reach_socket_subscribers(srv):
    sub = Peer(srv)
    srv.core.call(srv.core.fake_client(), "CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub.send(support.encode("SUBSCRIBE", "__keyevent@0__:set", "__keyspace@0__:k"))
    sub.read(2)
    srv.core.call(srv.core.fake_client(), "SET", "k", "v")
    frames = sub.read(2)
    assert frames == (b"*3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n"
                      b"*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n")
    sub.close()


def test_watch_is_invalidated_by_in_process_writes(srv):
    peer = Peer(srv)
    assert peer.call("WATCH", "k") == b"+OK\r\n"
    assert peer.call("MULTI") == b"+OK\r\n"
    assert peer.call("INCR", "k") == b"+QUEUED\r\n"
    srv.core.call(srv.core.fake_client(), "SET", "k", "1")
    assert peer.call("EXEC") == b"*-1\r\n"
    peer.close()


def test_blocked_clients_are_served_by_in_process_pushes(srv):
    waiter = Peer(srv)
    waiter.send(support.encode("BLPOP", "q", "0"))
    deadline = time.time() + 5
    while srv.core.blocked_count == 0 and time.time() < deadline:
        srv.core.run_once(10)
    assert srv.core.blocked_count == 1
    fake = srv.core.fake_client()
    assert srv.core.call(fake, "LPUSH", "q", "x") == 1
    assert waiter.read() == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"
    assert srv.core.call(fake, "LLEN", "q") == 0
    waiter.close()


def test_fake_clients_do_not_subscribe(srv):
    fake = srv.core.fake_client()
    assert srv.core.call(fake, "SUBSCRIBE", "ch") == ErrorReply(
        "ERR SUBSCRIBE isn't allowed for a DENY BLOCKING client")
    assert srv.core.call(fake, "PSUBSCRIBE", "ch*") == ErrorReply(
        "ERR PSUBSCRIBE isn't allowed for a DENY BLOCKING client")
    assert srv.core.call(fake, "SSUBSCRIBE", "ch") == ErrorReply(
        "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
    assert srv.pubsub.counts() == (0, 0, 0)


def test_in_process_calls_count_in_commandstats(srv):
    fake = srv.core.fake_client()
    for _ in range(3):
        srv.core.call(fake, "INCR", "c")
    srv.core.call(fake, "INCR", "c", "extra")
    stats = {name: (calls, rejected) for name, calls, _, rejected, _ in srv.core.command_stats()}
    assert stats["incr"] == (3, 1)


def test_only_fake_clients_call_in_process(srv):
    peer = Peer(srv)
    peer.call("PING")
    client = next(iter(srv.core.clients.values()))
    with pytest.raises(ValueError):
        srv.core.call(client, "PING")
    with pytest.raises(TypeError):
        srv.core.call(srv.core.fake_client(), "SET", "k", object())
    peer.close()


# ----- propagation ----------------------------------------------------------------------------
def record(srv, tmp_path, action):
    """The AOF bytes the core records while `action` runs."""
    path = tmp_path / "aof"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        srv.core.set_aof(fd, 0)
        action()
        srv.core.flush_aof()
        srv.core.set_aof(-1, 0)
    finally:
        os.close(fd)
    return path.read_bytes()


def resp(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def test_in_process_writes_are_propagated(srv, tmp_path):
    fake = srv.core.fake_client()
    written = record(srv, tmp_path, lambda: (
        srv.core.call(fake, "SET", "a", "1"),
        srv.core.call(fake, "GET", "a"),
        srv.core.call(fake, "PEXPIREAT", "a", "99999999999999")))
    assert written == (resp(b"SELECT", b"0") + resp(b"SET", b"a", b"1") +
                       resp(b"PEXPIREAT", b"a", b"99999999999999"))


def nested_group():
    """TESTNESTED key n: a Python command that runs SET key 1 then INCR key n-1 times through
    Core.call, like a Lua script would."""
    group = Group("server")

    @group.command("TESTNESTED key count", 3, "write")
    def nested(server, client, args):
        fake = server.core.fake_client("script", client.db_index)
        server.core.call(fake, "set", args[1], "1")
        for _ in range(int(args[2]) - 1):
            server.core.call(fake, "incr", args[1])
        server.core.call(fake, "get", args[1])
        return Status("OK")
    return group


def test_nested_calls_propagate_once_wrapped(srv, tmp_path, ref_aof):
    srv.core.install_commands(srv.specs + nested_group().specs)
    peer = Peer(srv)
    written = record(srv, tmp_path, lambda: (
        peer.call("TESTNESTED", "k", "2"), peer.call("TESTNESTED", "j", "1"),
        peer.call("MULTI"), peer.call("SET", "m", "1"), peer.call("GET", "m"),
        peer.call("EXEC")))
    # what redis-server 7.0 writes for the same calls made by Lua scripts and a transaction
    assert written == ref_aof([
        ("EVAL", "redis.call('set',KEYS[1],'1') redis.call('incr',KEYS[1]) "
                 "redis.call('get',KEYS[1])", "1", "k"),
        ("EVAL", "redis.call('set',KEYS[1],'1') redis.call('get',KEYS[1])", "1", "j"),
        ("MULTI",), ("SET", "m", "1"), ("GET", "m"), ("EXEC",)])
    assert srv.keyspace.get(0, b"k") == b"2"
    peer.close()


@pytest.fixture
def ref_aof(tmp_path):
    """Run commands on a fresh redis-server 7.0 with appendonly yes; its incr file's bytes."""
    if support.redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    procs = []

    def run(commands):
        proc = support.start_redis("--appendonly", "yes", "--appendfsync", "always")
        procs.append(proc)
        with proc.raw() as client:
            for cmd in commands:
                client.call(*cmd)
        # redis-server writes the AOF before it replies (always: never postponed behind an fsync)
        with open(os.path.join(proc.dir, "appendonlydir", "appendonly.aof.1.incr.aof"),
                  "rb") as f:
            return f.read()
    yield run
    for p in procs:
        p.stop()


def test_aof_replay_uses_the_entry_point(srv):
    aof = srv.core.fake_client("aof")
    data = (resp(b"SELECT", b"2") + resp(b"SET", b"r", b"1") + resp(b"INCR", b"r") +
            resp(b"MULTI") + resp(b"INCR", b"r") + resp(b"EXEC"))
    assert srv.core.replay(aof, data) == (len(data), "ok", -1, None)
    assert srv.keyspace.get(2, b"r") == b"3"
    stats = {name: calls for name, calls, *_ in srv.core.command_stats()}
    assert stats["incr"] == 2 and stats["exec"] == 1
    assert srv.core.replay(aof, resp(b"NOPE")) == (0, "unknown", -1, b"NOPE")
    with pytest.raises(ValueError):
        srv.core.replay(srv.core.fake_client("module"), data)
