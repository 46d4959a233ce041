"""Connection commands against redis-server 7.0, byte for byte in RESP2 and RESP3:
PING, ECHO, SELECT, QUIT, HELLO, RESET, AUTH (with and without requirepass) and CLIENT.

Client ids differ between the two servers, so replies carrying one (HELLO) are compared with the
id masked. CLIENT SETINFO is a Redis 7.2 command (redis-server 7.0 lacks it): it is tested on
pyredis alone. CLIENT HELP lists only the subcommands pyredis implements, so its lines are
checked to be Redis's lines, in Redis's order.
"""
import re
import socket

import hiredis
import pytest

from tests import support
from tests.support import RawClient, encode


def decode(reply: bytes):
    reader = hiredis.Reader()
    reader.feed(reply)
    return reader.gets()


def mask_id(reply: bytes) -> bytes:
    """HELLO's reply with the client id replaced (ids differ between the servers)."""
    return re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:ID\r\n", reply)


def check_masked(d, *args) -> bytes:
    ours, ref = d.both(*args)
    assert mask_id(ours) == mask_id(ref), f"{args!r}: pyredis {ours!r} != redis {ref!r}"
    return ours


def pair(server, ref):
    """Fresh raw connections to both servers (closed by the caller)."""
    return server.raw(), ref.raw()


def client_id(c: RawClient) -> int:
    return int(c.call("CLIENT", "ID")[1:-2])


def info_fields(line: str) -> dict:
    return dict(field.split("=", 1) for field in line.strip().split(" "))


# ---------------------------------------------------------------------------------------------
# PING, ECHO, SELECT
# ---------------------------------------------------------------------------------------------

def test_ping_echo(d):
    d.check_all([
        ("PING",), ("PING", "hello"), ("PING", ""), ("PING", "a", "b"), ("ping",),
        ("ECHO", "x"), ("ECHO", ""), ("ECHO", "a\r\nb"), ("ECHO",), ("ECHO", "a", "b"),
        ("echo", "\x00\xff"),
    ])


def test_inline_ping(server, ref):
    ours, theirs = pair(server, ref)
    try:
        for c in (ours, theirs):
            c.send(b"PING\r\nPING hi\r\n")
        assert ours.read_reply() == theirs.read_reply() == b"+PONG\r\n"
        assert ours.read_reply() == theirs.read_reply() == b"$2\r\nhi\r\n"
    finally:
        ours.close()
        theirs.close()


def test_select(d):
    d.check_all([
        ("SELECT", "1"), ("SET", "k", "in1"), ("SELECT", "0"), ("GET", "k"), ("SELECT", "1"),
        ("GET", "k"), ("SELECT", "15"), ("SELECT", "16"), ("SELECT", "-1"), ("SELECT", "x"),
        ("SELECT", "2147483648"), ("SELECT", "9223372036854775808"), ("SELECT", ""),
        ("SELECT", "01"), ("SELECT", "+1"), ("SELECT",), ("SELECT", "1", "2"),
        ("SELECT", "0"), ("DEL", "k"),
    ])
    # FLUSHALL at the start of the next test cleans db 1 as well
    d.check("SELECT", "1")
    d.check("FLUSHALL")


# ---------------------------------------------------------------------------------------------
# QUIT
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"QUIT\r\n", b"QUIT\r\nPING\r\n", b"PING\r\nQUIT\r\nPING\r\n",
                                  encode("QUIT", "extra") + encode("PING")])
def test_quit_replies_then_closes(server, ref, data):
    ours, theirs = pair(server, ref)
    try:
        ours.send(data)
        theirs.send(data)
        got, ref_got = ours.read_all(0.5), theirs.read_all(0.5)
        assert got == ref_got
        assert got[1], "the connection must be closed after QUIT's reply"
    finally:
        ours.close()
        theirs.close()


# ---------------------------------------------------------------------------------------------
# HELLO
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    (), ("2",), ("3",), ("1",), ("4",), ("0",), ("-1",), ("x",), ("",), ("03",), ("+3",),
    (" 3",), ("-0",), ("3.0",), ("99999999999999999999",), ("9223372036854775807",),
    ("3", "foo"), ("3", "AUTH"), ("3", "AUTH", "a"), ("3", "SETNAME"), ("3", "SETNAME", "a b"),
    ("3", "SETNAME", "a\nb"), ("3", "SETNAME", "ok-name"), ("2", "setname", "a", "setname", "b"),
    ("2", "AUTH", "default", "anything"), ("2", "AUTH", "nobody", "x"),
    ("3", "AUTH", "default", "x", "SETNAME", "a b"), ("3", "AUTH", "default", "x", "AUTH",
                                                       "default", "y"),
    ("3", "SETNAME", "n", "AUTH", "default", "pw"), ("2", "SETNAME", "n", "bogus"),
], ids=lambda a: " ".join(a) or "none")
def test_hello(d, args):
    check_masked(d, "HELLO", *args)
    d.check("CLIENT", "GETNAME")
    d.check("PING")          # answered in the protocol HELLO left


def test_hello_map_fields(server, ref):
    """HELLO 3's map: server, version, proto, id, mode, role, modules, typed as Redis types
    them (the id is this connection's CLIENT ID)."""
    ours, theirs = pair(server, ref)
    try:
        mine = ours.call("HELLO", "3")
        assert mine.startswith(b"%7\r\n")
        assert mask_id(mine) == mask_id(theirs.call("HELLO", "3"))
        fields = decode(mine)
        assert list(fields) == [b"server", b"version", b"proto", b"id", b"mode", b"role",
                                b"modules"]
        assert fields[b"server"] == b"redis"
        assert re.fullmatch(rb"7\.0\.\d+", fields[b"version"])
        assert fields[b"proto"] == 3
        assert fields[b"mode"] == b"standalone" and fields[b"role"] == b"master"
        assert fields[b"modules"] == []
        assert fields[b"id"] == int(decode(ours.call("CLIENT", "ID")))
        # RESP3 from now on: a null is `_`, and HELLO 2 goes back
        assert ours.call("CLIENT", "GETNAME") == theirs.call("CLIENT", "GETNAME") == b"_\r\n"
        assert mask_id(ours.call("HELLO", "2")) == mask_id(theirs.call("HELLO", "2"))
        assert ours.call("CLIENT", "GETNAME") == b"$-1\r\n"
    finally:
        ours.close()
        theirs.close()


def test_hello_setname(d):
    check_masked(d, "HELLO", "3", "SETNAME", "worker-1")
    d.check("CLIENT", "GETNAME")
    check_masked(d, "HELLO", "SETNAME", "worker-2")
    d.check("CLIENT", "GETNAME")


# ---------------------------------------------------------------------------------------------
# RESET
# ---------------------------------------------------------------------------------------------

def test_reset(server, ref):
    """RESET: back to RESP2, db 0, no name."""
    ours, theirs = pair(server, ref)
    try:
        for c in (ours, theirs):
            c.call("HELLO", "3")
            c.call("SELECT", "5")
            c.call("CLIENT", "SETNAME", "before-reset")
        for args in [("RESET",), ("CLIENT", "GETNAME"), ("SET", "reset-key", "v"),
                     ("SELECT", "0"), ("GET", "reset-key"), ("DEL", "reset-key"),
                     ("RESET", "extra")]:
            assert ours.call(*args) == theirs.call(*args), args
        line = info_fields(decode(ours.call("CLIENT", "INFO")).decode())
        assert line["resp"] == "2" and line["db"] == "0" and line["name"] == ""
    finally:
        ours.close()
        theirs.close()


# ---------------------------------------------------------------------------------------------
# AUTH
# ---------------------------------------------------------------------------------------------

def test_auth_without_password(d):
    d.check_all([
        ("AUTH", "x"), ("AUTH", "default", "x"), ("AUTH", "nobody", "x"), ("AUTH",),
        ("AUTH", "a", "b", "c"), ("PING",),
    ])


@pytest.fixture(scope="module")
def auth_servers(ref):
    """A pyredis and a redis-server both started with --requirepass pw."""
    ours = support.start_pyredis("--requirepass", "pw")
    theirs = support.start_redis("--requirepass", "pw")
    yield ours, theirs
    ours.stop()
    theirs.stop()


def auth_pair(auth_servers):
    return auth_servers[0].raw(), auth_servers[1].raw()


@pytest.mark.parametrize("script", [
    # ordinary commands need AUTH; unknown commands and arity errors come first
    [("PING",), ("GET", "a"), ("SET", "a", "b"), ("CLIENT", "ID"), ("CONFIG", "GET", "port"),
     ("FOO",), ("GET",), ("SELECT", "1"), ("ECHO", "x"), ("COMMAND", "COUNT")],
    [("AUTH", "wrong"), ("AUTH", "default", "wrong"), ("AUTH", "nobody", "pw"), ("PING",),
     ("AUTH", "pw"), ("PING",), ("AUTH", "wrong"), ("PING",)],
    [("AUTH", "default", "pw"), ("PING",), ("RESET",), ("PING",), ("AUTH", "pw"),
     ("PING",)],
    [("HELLO",), ("HELLO", "3"), ("HELLO", "2", "AUTH", "default", "wrong"),
     ("HELLO", "3", "AUTH", "default", "x", "AUTH", "default", "pw"),
     ("HELLO", "3", "AUTH", "default", "pw", "AUTH", "default", "x"), ("PING",),
     ("HELLO", "3", "AUTH", "default", "pw", "SETNAME", "a b"), ("PING",)],
    [("HELLO", "3", "AUTH", "default", "pw"), ("PING",), ("CLIENT", "GETNAME"), ("HELLO",)],
    [("HELLO", "3", "AUTH", "default", "pw", "SETNAME", "named"), ("CLIENT", "GETNAME")],
    # a SETNAME before a failing AUTH, or without any AUTH, still names the connection
    [("HELLO", "2", "SETNAME", "early"), ("AUTH", "pw"), ("CLIENT", "GETNAME")],
    [("HELLO", "2", "SETNAME", "early", "AUTH", "default", "bad"), ("AUTH", "pw"),
     ("CLIENT", "GETNAME")],
], ids=["noauth", "auth", "reset-deauths", "hello-noauth", "hello-auth", "hello-auth-setname",
        "hello-setname-noauth", "hello-setname-wrongpass"])
def test_requirepass(auth_servers, script):
    ours, theirs = auth_pair(auth_servers)
    try:
        for args in script:
            mine, expected = ours.call(*args), theirs.call(*args)
            assert mask_id(mine) == mask_id(expected), \
                f"{args!r}: pyredis {mine!r} != redis {expected!r}"
    finally:
        ours.close()
        theirs.close()


def test_requirepass_quit_before_auth(auth_servers):
    ours, theirs = auth_pair(auth_servers)
    try:
        for c in (ours, theirs):
            c.send(encode("QUIT"))
        got, expected = ours.read_all(0.5), theirs.read_all(0.5)
        assert got == expected == (b"+OK\r\n", True)
    finally:
        ours.close()
        theirs.close()


def test_requirepass_redis_py(auth_servers):
    """redis-py's usual ways of authenticating: password only (RESP2 AUTH, RESP3 HELLO)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    port = auth_servers[0].port
    once = Retry(NoBackoff(), 0)          # no retries with back-off on the failing logins
    for protocol in (2, 3):
        c = redis.Redis(port=port, password="pw", protocol=protocol)
        assert c.set("authed", "1") and c.get("authed") == b"1"
        c.close()
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port, password="bad", protocol=protocol, retry=once).ping()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=port, protocol=2, retry=once).ping()


# ---------------------------------------------------------------------------------------------
# CLIENT
# ---------------------------------------------------------------------------------------------

def test_client_id(server):
    a, b = server.raw(), server.raw()
    try:
        ida, idb = client_id(a), client_id(b)
        assert 0 < ida < idb
        assert client_id(a) == ida
        assert a.call("CLIENT", "ID", "x") == \
            b"-ERR wrong number of arguments for 'client|id' command\r\n"
    finally:
        a.close()
        b.close()


def test_client_setname_getname(d):
    d.check_all([
        ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "my-name"), ("CLIENT", "GETNAME"),
        ("CLIENT", "SETNAME", "a b"), ("CLIENT", "SETNAME", "a\nb"), ("CLIENT", "SETNAME", "\x7f"),
        ("CLIENT", "SETNAME", "é"), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", ""),
        ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME"), ("CLIENT", "SETNAME", "a", "b"),
        ("CLIENT", "GETNAME", "x"), ("client", "setname", "~!@#$%^&*()_+"),
        ("CLIENT", "GETNAME"),
    ])


def test_client_errors(d):
    d.check_all([
        ("CLIENT",), ("CLIENT", "FOO"), ("CLIENT", "foo", "bar"), ("CLIENT", "INFO", "x"),
        ("CLIENT", "HELP", "x"), ("CLIENT", "LIST", "TYPE"), ("CLIENT", "LIST", "ID"),
        ("CLIENT", "LIST", "TYPE", "foo"), ("CLIENT", "LIST", "TYPE", "normal", "x"),
        ("CLIENT", "LIST", "foo"), ("CLIENT", "LIST", "ID", "x"), ("CLIENT", "LIST", "ID", "1",
                                                                   "x"),
        ("CLIENT", "LIST", "ID", "+1"), ("CLIENT", "LIST", "ID", "99999999"),
        ("CLIENT", "LIST", "ID", "0"), ("CLIENT", "LIST", "ID", "-1"),
        ("CLIENT", "LIST", "TYPE", "master"), ("CLIENT", "LIST", "TYPE", "replica"),
        ("CLIENT", "LIST", "TYPE", "slave"), ("CLIENT", "LIST", "TYPE", "pubsub"),
    ])


def test_client_minor_subcommands(d):
    """Subcommands whose answer follows from tracking, blocking and client eviction being off
    for this connection."""
    d.check_all([
        ("CLIENT", "GETREDIR"), ("CLIENT", "GETREDIR", "x"), ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKINGINFO", "x"), ("CLIENT", "CACHING", "yes"), ("CLIENT", "CACHING", "x"),
        ("CLIENT", "CACHING"), ("CLIENT", "NO-EVICT", "on"), ("CLIENT", "NO-EVICT", "OFF"),
        ("CLIENT", "NO-EVICT", "x"), ("CLIENT", "NO-EVICT"), ("CLIENT", "UNBLOCK", "1"),
        ("CLIENT", "UNBLOCK", "99999999", "error"), ("CLIENT", "UNBLOCK", "x"),
        ("CLIENT", "UNBLOCK", "1", "foo"), ("CLIENT", "UNBLOCK", "x", "foo"),
        ("CLIENT", "UNBLOCK", "1", "timeout", "x"), ("CLIENT", "UNBLOCK"),
    ])


def test_client_unblock_existing_unblocked_client(server, ref):
    ours, theirs = pair(server, ref)
    try:
        for c in (ours, theirs):
            assert c.call("CLIENT", "UNBLOCK", str(client_id(c))) == b":0\r\n"
    finally:
        ours.close()
        theirs.close()


def test_client_info_fields(server, ref):
    """CLIENT INFO: Redis 7.0's fields in Redis's order (plus 7.2's lib-name and lib-ver), the
    real peer address and our end's address."""
    ours, theirs = pair(server, ref)
    try:
        ours.call("CLIENT", "SETNAME", "info-test")
        theirs.call("CLIENT", "SETNAME", "info-test")
        mine = decode(ours.call("CLIENT", "INFO")).decode()
        expected = decode(theirs.call("CLIENT", "INFO")).decode()
        assert mine.endswith("\n") and mine.count("\n") == 1
        names = [f.split("=", 1)[0] for f in mine.split()]
        assert names == [f.split("=", 1)[0] for f in expected.split()] + ["lib-name", "lib-ver"]
        fields = info_fields(mine)
        host, port = ours.sock.getsockname()
        assert fields["addr"] == f"{host}:{port}"
        assert fields["laddr"] == f"127.0.0.1:{server.port}"
        assert fields["id"] == str(client_id(ours))
        ref_fields = info_fields(expected)
        for name in ("name", "flags", "db", "sub", "psub", "ssub", "multi", "cmd", "user",
                     "redir", "resp", "events", "obl", "oll", "omem"):
            assert fields[name] == ref_fields[name], name
        int(fields["fd"]), int(fields["age"]), int(fields["idle"])
    finally:
        ours.close()
        theirs.close()


def test_client_info_resp3_is_verbatim(server):
    c = server.raw()
    try:
        c.call("HELLO", "3")
        reply = c.call("CLIENT", "INFO")
        assert reply.startswith(b"=") and reply[reply.index(b"\r\n") + 2:].startswith(b"txt:id=")
    finally:
        c.close()


def test_client_list(server):
    a, b = server.raw(), server.raw()
    try:
        a.call("CLIENT", "SETNAME", "list-a")
        ida, idb = client_id(a), client_id(b)
        everyone = decode(a.call("CLIENT", "LIST")).decode()
        assert everyone.endswith("\n")
        lines = {info_fields(line)["id"]: info_fields(line) for line in everyone.splitlines()}
        assert lines[str(ida)]["name"] == "list-a"
        assert lines[str(ida)]["cmd"] == "client|list"
        host, port = b.sock.getsockname()
        assert lines[str(idb)]["addr"] == f"{host}:{port}"
        assert lines[str(idb)]["cmd"] == "client|id"
        ids = [int(i) for i in lines]
        assert ids == sorted(ids)
        normal = decode(a.call("CLIENT", "LIST", "TYPE", "normal")).decode()
        assert f"id={ida} " in normal and f"id={idb} " in normal
        assert decode(a.call("CLIENT", "LIST", "TYPE", "PUBSUB")) == b""
        # ID: in the order given, repeats kept, unknown ids skipped (as Redis)
        picked = decode(a.call("CLIENT", "LIST", "ID", str(idb), "99999999", str(ida),
                               str(idb))).decode()
        assert [info_fields(line)["id"] for line in picked.splitlines()] == \
            [str(idb), str(ida), str(idb)]
    finally:
        a.close()
        b.close()


def test_client_list_id_order_matches_redis(ref):
    """The same ID-list behaviour, seen on redis-server."""
    a, b = ref.raw(), ref.raw()
    try:
        ida, idb = client_id(a), client_id(b)
        picked = decode(a.call("CLIENT", "LIST", "ID", str(idb), "99999999", str(ida),
                               str(idb))).decode()
        assert [info_fields(line)["id"] for line in picked.splitlines()] == \
            [str(idb), str(ida), str(idb)]
    finally:
        a.close()
        b.close()


def test_client_setinfo(server):
    """CLIENT SETINFO (Redis 7.2; redis-py sends it on connect and ignores errors)."""
    c = server.raw()
    try:
        assert c.call("CLIENT", "SETINFO", "LIB-NAME", "mylib") == b"+OK\r\n"
        assert c.call("CLIENT", "SETINFO", "lib-ver", "1.2.3") == b"+OK\r\n"
        fields = info_fields(decode(c.call("CLIENT", "INFO")).decode())
        assert fields["lib-name"] == "mylib" and fields["lib-ver"] == "1.2.3"
        assert c.call("CLIENT", "SETINFO", "LIB-NAME", "a b") == \
            b"-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"
        assert c.call("CLIENT", "SETINFO", "foo", "x") == b"-ERR Unrecognized option 'foo'\r\n"
        assert c.call("CLIENT", "SETINFO", "lib-name") == \
            b"-ERR wrong number of arguments for 'client|setinfo' command\r\n"
        assert c.call("CLIENT", "SETINFO", "lib-name", "") == b"+OK\r\n"
        assert info_fields(decode(c.call("CLIENT", "INFO")).decode())["lib-name"] == ""
    finally:
        c.close()


def test_client_kill_errors(d):
    d.check_all([
        ("CLIENT", "KILL"), ("CLIENT", "KILL", "1.2.3.4:5"), ("CLIENT", "KILL", "id"),
        ("CLIENT", "KILL", "id", "99999999"), ("CLIENT", "KILL", "id", "x"),
        ("CLIENT", "KILL", "id", "0"), ("CLIENT", "KILL", "id", "-5"),
        ("CLIENT", "KILL", "id", "+5"), ("CLIENT", "KILL", "type", "foo"),
        ("CLIENT", "KILL", "type", "master"), ("CLIENT", "KILL", "type", "slave"),
        ("CLIENT", "KILL", "type", "replica"), ("CLIENT", "KILL", "type", "pubsub"),
        ("CLIENT", "KILL", "type", "normal", "skipme", "x"), ("CLIENT", "KILL", "user", "nobody"),
        ("CLIENT", "KILL", "user", "default", "skipme", "yes", "id", "99999999"),
        ("CLIENT", "KILL", "addr", "1.2.3.4:5"), ("CLIENT", "KILL", "laddr", "1.2.3.4:5"),
        ("CLIENT", "KILL", "foo", "bar"), ("CLIENT", "KILL", "a", "b", "c"),
        ("CLIENT", "KILL", "id", "5", "skipme"), ("CLIENT", "KILL", "maxage", "10"),
    ])


@pytest.mark.parametrize("how", ["id", "addr-old", "addr", "laddr-and-id"])
def test_client_kill_other(server, ref, how):
    """Killing another connection: same reply as Redis, and the victim is disconnected."""
    for srv in (server, ref):
        killer, victim = srv.raw(), srv.raw()
        try:
            vid = client_id(victim)
            host, port = victim.sock.getsockname()
            addr = f"{host}:{port}"
            args = {"id": ("ID", str(vid)), "addr-old": (addr,), "addr": ("ADDR", addr),
                    "laddr-and-id": ("LADDR", f"127.0.0.1:{srv.port}", "ID", str(vid))}[how]
            expected = b"+OK\r\n" if how == "addr-old" else b":1\r\n"
            assert killer.call("CLIENT", "KILL", *args) == expected
            assert victim.read_all(1.0) == (b"", True)
            assert killer.call("PING") == b"+PONG\r\n"
        finally:
            killer.close()
            victim.close()


def test_client_kill_self(server, ref):
    """SKIPME no: the caller gets its reply, then its connection closes."""
    for srv in (server, ref):
        c = srv.raw()
        try:
            cid = client_id(c)
            assert c.call("CLIENT", "KILL", "ID", str(cid)) == b":0\r\n"    # SKIPME yes
            c.send(encode("CLIENT", "KILL", "ID", str(cid), "SKIPME", "no") + encode("PING"))
            assert c.read_all(1.0) == (b":1\r\n", True)
        finally:
            c.close()
        c = srv.raw()
        try:
            host, port = c.sock.getsockname()
            c.send(encode("CLIENT", "KILL", f"{host}:{port}"))
            assert c.read_all(1.0) == (b"+OK\r\n", True)
        finally:
            c.close()


def test_client_help(server, ref):
    """Our CLIENT HELP: Redis's header, Redis's lines for each subcommand we have (plus 7.2's
    SETINFO lines), in Redis's order, and the HELP footer."""
    ours, theirs = pair(server, ref)
    try:
        mine = decode(ours.call("CLIENT", "HELP"))
        redis_lines = decode(theirs.call("CLIENT", "HELP"))
        assert mine[0] == redis_lines[0]
        assert mine[-2:] == [b"HELP", b"    Prints this help."]
        setinfo = [line for line in mine if line.startswith(b"SETINFO") or b"LIB-" in line
                   or line == b"    Set client meta attr. Options are:"]
        assert len(setinfo) == 4
        rest = [line for line in mine if line not in setinfo]
        it = iter(redis_lines)
        assert all(any(line == theirs_line for theirs_line in it) for line in rest), \
            "each line must be one of Redis's, in Redis's order"
        implemented = {sub.decode().lower() for sub in decode(ours.call(
            "COMMAND", "LIST", "FILTERBY", "PATTERN", "client|*"))}
        for name in implemented:
            sub = name.split("|")[1].upper().encode()
            assert any(line.startswith(sub) for line in mine), sub
        assert ours.call("CLIENT", "help") == ours.call("CLIENT", "HELP")
    finally:
        ours.close()
        theirs.close()


def test_peer_addresses_over_ipv6(ref):
    """With an IPv6 listener, addr/laddr use Redis's [ip]:port form."""
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("no IPv6 loopback")
    srv = support.start_pyredis("--bind", "127.0.0.1", "::1")
    try:
        sock = socket.create_connection(("::1", srv.port), timeout=5)
        try:
            sock.sendall(encode("CLIENT", "INFO"))
            data = b""
            while not data.endswith(b"\n\r\n"):
                data += sock.recv(65536)
            fields = info_fields(decode(data).decode())
            host, port = sock.getsockname()[:2]
            assert fields["addr"] == f"[{host}]:{port}"
            assert fields["laddr"] == f"[::1]:{srv.port}"
        finally:
            sock.close()
    finally:
        assert srv.stop() == 0
