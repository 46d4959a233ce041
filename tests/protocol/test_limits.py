r"""Input limits: unauthenticated limits, client-query-buffer-limit, the declared-size attack
(R11, at reduced scale), maxclients, many connections and a large value.

Servers with special settings are private to their test (pyredis and, where behaviour is
compared, redis-server 7.0 with the same settings).
"""
from __future__ import annotations

import select
import socket
import time

import pytest

from tests import support
from tests.support import exchange_many, ping_ok
from tests.support import encode

MB = 1024 * 1024


def perr(text: str) -> bytes:
    return b"-ERR Protocol error: " + text.encode() + b"\r\n"


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def servers(request):
    """Start pyredis and redis-server with the same options: servers(*args) -> (ours, ref)."""
    started = []

    def start(*args):
        if support.redis_server_path() is None:
            pytest.skip("redis-server is not installed")
        pair = (support.start_pyredis(*args), support.start_redis(*args))
        started.extend(pair)
        return pair

    yield start
    for proc in started:
        proc.stop()


# =============================================================================================
# Unauthenticated clients
# =============================================================================================

NOAUTH = b"-NOAUTH Authentication required.\r\n"


def test_unauthenticated_limits(servers):
    ours, ref = servers("--requirepass", "pw")
    auth = encode("AUTH", "pw")
    requests = [
        [b"*11\r\n"],                                                  # E
        [b"*1\r\n$16385\r\n"],                                         # E
        [b"*2\r\n$4\r\nAUTH\r\n$16385\r\n"],                           # E
        [encode("MGET", *["x"] * 9)],                                  # NOAUTH, O
        [encode("ECHO", "y" * 16384)],                                 # NOAUTH, O
        [b"MGET " + b"z" * 20000 + b" " + b"a " * 20 + b"\r\n"],       # inline: NOAUTH, O
        [b"*-1\r\n*0\r\n\r\n"],                                        # empty requests, O
        [auth + encode(*["ECHO"] + ["x"] * 10)],                       # authenticated: arity
        [auth + encode("ECHO", "y" * 16385)],
        [auth + b"*11\r\n", b"$4\r\nECHO\r\n" + b"$1\r\nx\r\n" * 10],
        [encode("AUTH", "wrong") + b"*11\r\n"],                        # still unauthenticated
        [encode("PING"), b"*1\r\n$16385\r\n"],
    ]
    got = exchange_many([(ours.port, r) for r in requests] + [(ref.port, r) for r in requests])
    got_ours, got_ref = got[:len(requests)], got[len(requests):]
    assert got_ref[:8] == [
        (perr("unauthenticated multibulk length"), True),
        (perr("unauthenticated bulk length"), True),
        (perr("unauthenticated bulk length"), True),
        (NOAUTH, False), (NOAUTH, False), (NOAUTH, False), (b"", False),
        (b"+OK\r\n-ERR wrong number of arguments for 'echo' command\r\n", False),
    ]
    assert got_ref[8] == (b"+OK\r\n$16385\r\n" + b"y" * 16385 + b"\r\n", False)
    assert got_ref[10][1] and got_ref[10][0].endswith(perr("unauthenticated multibulk length"))
    assert got_ref[11] == (NOAUTH + perr("unauthenticated bulk length"), True)
    for req, o, r in zip(requests, got_ours, got_ref):
        assert o == r, req[0][:60]


# =============================================================================================
# client-query-buffer-limit
# =============================================================================================

def _overflow_query_buffer(port: int) -> tuple:
    """A SET whose 3 MB value arrives slowly: (bytes sent before the close, reply, closed)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nqbuf\r\n$3000000\r\n")
    sent = 0
    try:
        for _ in range(200):
            s.sendall(b"x" * 10000)
            sent += 10000
            time.sleep(0.0005)
    except OSError:
        pass
    s.settimeout(2)
    reply = b""
    try:
        while chunk := s.recv(65536):
            reply += chunk
        closed = True
    except socket.timeout:
        closed = False
    except ConnectionResetError:
        closed = True
    s.close()
    return sent, reply, closed


def _pipeline_of_pings(port: int, n: int = 200000) -> bytes:
    """n PINGs (14 bytes each) in one write: what comes back."""
    want = len(b"+PONG\r\n") * n
    got = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(encode("PING") * n)
        while len(got) < want:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            got += chunk
    return bytes(got)


def test_query_buffer_limit_closes_without_reply(servers):
    ours, ref = servers("--client-query-buffer-limit", "1mb")
    for proc in (ref, ours):
        # complete commands do not pile up in the query buffer: 2.8 MB of PINGs are fine
        assert _pipeline_of_pings(proc.port) == b"+PONG\r\n" * 200000
        # a bulk below proto-max-bulk-len whose bytes pass the limit before it is complete
        sent, reply, closed = _overflow_query_buffer(proc.port)
        assert (reply, closed) == (b"", True)
        assert MB <= sent < 2 * MB
        assert "Closing client that reached max query buffer length" in proc.log()


def test_query_buffer_limit_leaves_others_unaffected():
    ours = support.start_pyredis("--client-query-buffer-limit", "1mb")
    try:
        with ours.raw() as other:
            assert other.call("SET", "a", "1") == b"+OK\r\n"
            _overflow_query_buffer(ours.port)
            time.sleep(0.2)
            assert other.call("GET", "a") == b"$1\r\n1\r\n"
        assert ping_ok(ours.port)
    finally:
        ours.stop()


# =============================================================================================
# R11: declared sizes reserve no memory
# =============================================================================================

def test_declared_size_attack():
    """300 connections declaring *1048576 and 300 declaring $536870912, sending only the
    header: RSS grows by at most 64 MB, and the server keeps answering."""
    ours = support.start_pyredis()
    socks = []
    try:
        with ours.raw() as control:
            control.call("PING")
            time.sleep(0.1)
            before = rss_kb(ours.proc.pid)
            headers = [b"*1048576\r\n"] * 300 + [b"*2\r\n$3\r\nSET\r\n$536870912\r\n"] * 300
            headers += [b"*1\r\n$536870912\r\n" + b"x" * 60000] * 20      # and some payload
            for h in headers:
                s = socket.create_connection(("127.0.0.1", ours.port))
                s.sendall(h)
                socks.append(s)
            assert control.call("PING") == b"+PONG\r\n"
            time.sleep(0.3)
            assert control.call("PING") == b"+PONG\r\n"
            after = rss_kb(ours.proc.pid)
            assert after - before <= 64 * 1024, f"RSS grew {after - before} kB"
            info = control.call("INFO", "clients")
            assert b"connected_clients:621" in info
    finally:
        for s in socks:
            s.close()
        ours.stop()


# =============================================================================================
# maxclients, many connections, a large value
# =============================================================================================

def test_maxclients(servers):
    ours, ref = servers("--maxclients", "50")
    for proc in (ref, ours):
        socks = []
        try:
            for _ in range(50):
                s = socket.create_connection(("127.0.0.1", proc.port), timeout=2)
                s.sendall(b"PING\r\n")
                assert s.recv(16) == b"+PONG\r\n"
                socks.append(s)
            with socket.create_connection(("127.0.0.1", proc.port), timeout=2) as extra:
                data = b""
                while chunk := extra.recv(256):
                    data += chunk
                assert data == b"-ERR max number of clients reached\r\n"     # then closed
            for s in socks:
                s.sendall(encode("ECHO", "still here"))
                assert s.recv(64) == b"$10\r\nstill here\r\n"
            socks.pop().close()
            deadline = time.time() + 2         # a slot is free again once the close is seen
            while not ping_ok(proc.port) and time.time() < deadline:
                time.sleep(0.05)
            assert ping_ok(proc.port)
        finally:
            for s in socks:
                s.close()


def test_many_connections(server):
    """1000 connections each sending PING get PONG."""
    socks = []
    try:
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            socks.append(s)
        for s in socks:
            s.sendall(b"PING\r\n")
        pending = {s.fileno(): s for s in socks}
        got = {}
        deadline = time.time() + 10
        while pending and time.time() < deadline:
            ready, _, _ = select.select(list(pending), [], [], 1)
            for fd in ready:
                got[fd] = got.get(fd, b"") + pending[fd].recv(64)
                if len(got[fd]) >= 7:
                    del pending[fd]
        assert not pending
        assert set(got.values()) == {b"+PONG\r\n"}
    finally:
        for s in socks:
            s.close()


def test_large_value_round_trip(server, r):
    value = bytes(range(256)) * (20 * MB // 256)
    assert r.set("big", value)
    assert r.strlen("big") == len(value)
    assert r.get("big") == value
    # the same request trickling in 64 KB pieces, the reply read raw
    want = b"+OK\r\n$%d\r\n%s\r\n" % (len(value), value)
    data = encode("SET", "big2", value) + encode("GET", "big2")
    got = bytearray()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        for i in range(0, len(data), 65536):
            s.sendall(data[i:i + 65536])
        while len(got) < len(want):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            got += chunk
    assert got == want
    r.delete("big", "big2")
