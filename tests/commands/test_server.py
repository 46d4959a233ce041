"""Server commands against redis-server 7.0: CONFIG GET/SET/RESETSTAT, INFO, TIME, SHUTDOWN.

Replies are compared byte for byte where both servers must agree; CONFIG GET's order is hash
order in Redis, so its pairs are compared as sets. Tests that change settings or statistics use
their own pair of servers (`pair`), never the shared ones; SHUTDOWN tests start their own.
"""
import re
import socket
import time

import hiredis
import pytest

from tests import support
from tests.support import RawClient, encode

# Settings whose values differ between the two processes only because each has its own port
# and directory.
PER_PROCESS = {"port", "dir", "logfile"}

# INFO fields that clients, monitoring tools and libraries around Redis read.
TOOL_FIELDS = """redis_version redis_mode os arch_bits process_id run_id tcp_port
uptime_in_seconds connected_clients blocked_clients maxclients used_memory used_memory_rss
used_memory_peak maxmemory maxmemory_policy mem_fragmentation_ratio loading
rdb_changes_since_last_save rdb_last_save_time rdb_last_bgsave_status aof_enabled
aof_rewrite_in_progress aof_last_write_status total_connections_received
total_commands_processed instantaneous_ops_per_sec total_net_input_bytes total_net_output_bytes
rejected_connections expired_keys evicted_keys keyspace_hits keyspace_misses pubsub_channels
pubsub_patterns role connected_slaves master_repl_offset used_cpu_sys used_cpu_user
cluster_enabled""".split()


def decode(reply: bytes):
    reader = hiredis.Reader()
    reader.feed(reply)
    return reader.gets()


class Pair:
    """A private pyredis and redis-server, for tests that change settings or statistics."""

    def __init__(self):
        self.ours = support.start_pyredis()
        self.ref = support.start_redis()

    def clients(self):
        return self.ours.raw(), self.ref.raw()

    def check(self, *args):
        a, b = self.clients()
        try:
            ours, ref = a.call(*args), b.call(*args)
            assert ours == ref, f"{args!r}: pyredis {ours!r} != redis {ref!r}"
            return ours
        finally:
            a.close()
            b.close()

    def stop(self):
        assert self.ours.stop() == 0
        self.ref.stop()


@pytest.fixture(scope="module")
def pair(ref):
    p = Pair()
    yield p
    p.stop()


def config_pairs(reply: bytes) -> dict:
    """CONFIG GET's reply (flat array or map) as a dict, per-process values masked."""
    value = decode(reply)
    if isinstance(value, list):
        assert len(value) % 2 == 0
        value = dict(zip(value[::2], value[1::2]))
    return {k.decode(): (b"<per-process>" if k.decode().lower() in PER_PROCESS else v)
            for k, v in value.items()}


def info_sections(text: str) -> list:
    """[(section title, [field names])] of an INFO text."""
    out = []
    for line in text.split("\r\n"):
        if line.startswith("# "):
            out.append((line[2:], []))
        elif line:
            out[-1][1].append(line.split(":", 1)[0])
    return out


def info_text(client: RawClient, *sections) -> str:
    return decode(client.call("INFO", *sections)).decode()


def info_dict(client: RawClient, *sections) -> dict:
    return dict(line.split(":", 1) for line in info_text(client, *sections).split("\r\n")
                if line and not line.startswith("#"))


# ---------------------------------------------------------------------------------------------
# CONFIG GET
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("patterns", [
    ("*",), ("max*",), ("*max*",), ("maxmemory",), ("MAXMEMORY",), ("MaxMemory-Policy",),
    ("port", "bind"), ("port", "port"), ("*", "port"), ("nosuch",), ("nosuch", "hz"),
    ("[a-c]*",), ("?ort",), ("slaveof",), ("replicaof", "slaveof"), ("*-max-*",), ("save",),
    ("appendonly", "appendfsync", "dbfilename"), ("client-output-buffer-limit",),
    ("requirepass",), ("*pass*",), ("",), ("\\*",), ("notify-keyspace-events", "timeout"),
], ids=lambda p: " ".join(p) or "empty")
def test_config_get(d, patterns):
    ours, ref = d.both("CONFIG", "GET", *patterns)
    assert ours[:1] == ref[:1], "flat array in RESP2, map in RESP3"
    assert ours[:1] == (b"*" if d.proto == 2 else b"%")
    assert config_pairs(ours) == config_pairs(ref)


def test_config_get_everything_matches_redis(d):
    """CONFIG GET * lists the same settings with the same defaults as redis-server (both run
    with the test suite's arguments)."""
    ours, ref = d.both("CONFIG", "GET", "*")
    mine, theirs = config_pairs(ours), config_pairs(ref)
    assert set(mine) == set(theirs)
    assert len(mine) > 150
    assert {k: v for k, v in mine.items() if theirs[k] != v} == {}


def test_config_get_errors(d):
    d.check_all([("CONFIG", "GET"), ("CONFIG",), ("CONFIG", "FOO"), ("CONFIG", "get"),
                 ("CONFIG", "HELP", "x"), ("CONFIG", "RESETSTAT", "x")])


def test_config_help(server, ref):
    """CONFIG HELP: Redis's text minus CONFIG REWRITE's two lines (not implemented)."""
    mine = decode(server.raw().call("CONFIG", "HELP"))
    theirs = decode(ref.raw().call("CONFIG", "HELP"))
    i = theirs.index(b"REWRITE")
    assert mine == theirs[:i] + theirs[i + 2:]


# ---------------------------------------------------------------------------------------------
# CONFIG SET
# ---------------------------------------------------------------------------------------------

SET_ERRORS = [
    ("CONFIG", "SET"), ("CONFIG", "SET", "maxclients"), ("CONFIG", "SET", "maxclients", "x"),
    ("CONFIG", "SET", "maxclients", "0"), ("CONFIG", "SET", "maxclients", "-1"),
    ("CONFIG", "SET", "nosuch", "1"), ("CONFIG", "SET", "timeout", "-1"),
    ("CONFIG", "SET", "timeout", "x"), ("CONFIG", "SET", "loglevel", "foo"),
    ("CONFIG", "SET", "proto-max-bulk-len", "10"), ("CONFIG", "SET", "hz", "x"),
    ("CONFIG", "SET", "maxclients", "10", "maxclients", "20"),
    ("CONFIG", "SET", "maxclients", "10", "timeout"), ("CONFIG", "SET", "daemonize", "yes"),
    ("CONFIG", "SET", "port", "x"), ("CONFIG", "SET", "databases", "4"),
    ("CONFIG", "SET", "maxmemory-policy", "nope"), ("CONFIG", "SET", "appendfsync", "sometimes"),
    ("CONFIG", "SET", "save", "1"), ("CONFIG", "SET", "save", "x y"),
    ("CONFIG", "SET", "requirepass", "a", "requirepass", "b"),
    # more clients than the open-files limit allows: Redis's error (both processes have the
    # same limits), and the previous value stays
    ("CONFIG", "SET", "maxclients", "1000000"), ("CONFIG", "GET", "maxclients"),
    # atomic: the first setting must not stick when the second fails
    ("CONFIG", "SET", "maxclients", "77", "hz", "bad"), ("CONFIG", "GET", "maxclients"),
    ("CONFIG", "SET", "timeout", "5", "nosuch", "1"), ("CONFIG", "GET", "timeout"),
]


def test_config_set_errors(pair):
    for args in SET_ERRORS:
        pair.check(*args)


@pytest.mark.parametrize("name,value", [
    ("hz", "0"), ("hz", "1000"), ("hz", "100"), ("loglevel", "WARNING"), ("maxmemory", "1gb"),
    ("maxmemory", "10k"), ("maxmemory-policy", "ALLKEYS-LRU"), ("save", "100 10 5 1"),
    ("save", ""), ("timeout", "0"), ("proto-max-bulk-len", "2mb"),
    ("client-output-buffer-limit", "normal 1mb 512kb 10"), ("maxclients", "500"),
])
def test_config_set_then_get(pair, name, value):
    original = config_pairs(pair.check("CONFIG", "GET", name))[name]
    try:
        pair.check("CONFIG", "SET", name, value)
        pair.check("CONFIG", "GET", name)
    finally:
        pair.check("CONFIG", "SET", name, original.decode())


def test_config_set_maxclients(pair):
    """Past maxclients a new connection gets Redis's error and is closed."""
    for srv in (pair.ours, pair.ref):
        admin = srv.raw()
        try:
            assert admin.call("CONFIG", "SET", "maxclients", "2") == b"+OK\r\n"
            second = srv.raw()
            assert second.call("PING") == b"+PONG\r\n"
            third = RawClient(srv.port)
            assert third.read_all(1.0) == (b"-ERR max number of clients reached\r\n", True)
            third.close()
            second.close()
            time.sleep(0.1)
            again = srv.raw()            # room again once one left
            assert again.call("PING") == b"+PONG\r\n"
            again.close()
        finally:
            admin.call("CONFIG", "SET", "maxclients", "10000")
            admin.close()
    stats = info_dict(pair.ours.raw(), "stats")
    assert int(stats["rejected_connections"]) >= 1


def test_config_set_timeout_closes_idle_clients(pair):
    srv = pair.ours
    admin = srv.raw()
    try:
        assert admin.call("CONFIG", "SET", "timeout", "1") == b"+OK\r\n"
        idle, busy = srv.raw(), srv.raw()
        start = time.monotonic()
        closed = None
        while time.monotonic() - start < 6:
            assert busy.call("PING") == b"+PONG\r\n"     # an active client stays
            idle.sock.settimeout(0.25)
            try:
                if idle.sock.recv(100) == b"":          # closed silently, no reply
                    closed = time.monotonic() - start
                    break
            except socket.timeout:
                pass
        assert closed is not None, "the idle client was not closed within 6 s"
        assert closed >= 0.9
        assert busy.call("PING") == b"+PONG\r\n"
        idle.close()
        busy.close()
    finally:
        admin.close()                      # closed by the timeout meanwhile
        fresh = srv.raw()
        fresh.call("CONFIG", "SET", "timeout", "0")
        fresh.close()


def test_config_set_requirepass(pair):
    """Setting requirepass: existing connections stay authenticated, new ones need AUTH;
    clearing it opens the door again. Same replies as Redis all along."""
    admins = pair.clients()
    try:
        for a in admins:
            assert a.call("CONFIG", "SET", "requirepass", "s3cret") == b"+OK\r\n"
        newcomers = pair.clients()
        script = [("PING",), ("GET", "x"), ("AUTH", "wrong"), ("AUTH", "s3cret"), ("PING",)]
        for args in script:
            assert newcomers[0].call(*args) == newcomers[1].call(*args), args
        assert admins[0].call("PING") == admins[1].call("PING") == b"+PONG\r\n"
        assert decode(admins[0].call("CONFIG", "GET", "requirepass")) == \
            [b"requirepass", b"s3cret"]
        for a in admins:
            assert a.call("CONFIG", "SET", "requirepass", "") == b"+OK\r\n"
        late = pair.clients()
        assert late[0].call("PING") == late[1].call("PING") == b"+PONG\r\n"
        assert late[0].call("AUTH", "x") == late[1].call("AUTH", "x")
        for c in newcomers + late:
            c.close()
    finally:
        for a in admins:
            a.call("CONFIG", "SET", "requirepass", "")
            a.close()


def test_config_set_proto_max_bulk_len(pair):
    admins = pair.clients()
    try:
        for a in admins:
            assert a.call("CONFIG", "SET", "proto-max-bulk-len", "1048576") == b"+OK\r\n"
        for srv in (pair.ours, pair.ref):
            c = RawClient(srv.port)
            c.send(b"*2\r\n$4\r\nECHO\r\n$1048577\r\n")
            assert c.read_all(1.0) == (b"-ERR Protocol error: invalid bulk length\r\n", True)
            c.close()
            c = RawClient(srv.port)
            assert c.call("ECHO", "x" * 1048576) == b"$1048576\r\n" + b"x" * 1048576 + b"\r\n"
            c.close()
        script = [("SET", "big", "x" * 1000), ("SETRANGE", "big", "1048576", "x"),
                  ("SETRANGE", "big", "1048575", "x"), ("APPEND", "big", "y"),
                  ("STRLEN", "big"), ("DEL", "big")]
        for args in script:
            assert admins[0].call(*args) == admins[1].call(*args), args[:2]
    finally:
        for a in admins:
            a.call("CONFIG", "SET", "proto-max-bulk-len", "536870912")
            a.close()


def test_config_set_hz(pair):
    c = pair.ours.raw()
    try:
        for value, shown in (("100", "100"), ("0", "1"), ("1000", "500"), ("10", "10")):
            assert c.call("CONFIG", "SET", "hz", value) == b"+OK\r\n"
            server_info = info_dict(c, "server")
            assert server_info["hz"] == server_info["configured_hz"] == shown
    finally:
        c.call("CONFIG", "SET", "hz", "10")
        c.close()


def test_config_set_loglevel(pair):
    """loglevel applies at once: verbose lines (a protocol error) appear at verbose, not at
    notice."""
    srv = pair.ours
    c = srv.raw()

    def protocol_errors():
        time.sleep(0.2)
        return sum("Protocol error" in line for line in srv.log().splitlines())

    def provoke():
        bad = RawClient(srv.port)
        bad.send(b"*-x\r\n")
        assert bad.read_all(1.0)[1]
        bad.close()

    try:
        base = protocol_errors()
        assert c.call("CONFIG", "SET", "loglevel", "verbose") == b"+OK\r\n"
        provoke()
        assert protocol_errors() == base + 1
        assert c.call("CONFIG", "SET", "loglevel", "notice") == b"+OK\r\n"
        provoke()
        assert protocol_errors() == base + 1
    finally:
        c.call("CONFIG", "SET", "loglevel", "notice")
        c.close()


# ---------------------------------------------------------------------------------------------
# CONFIG RESETSTAT and the statistics INFO shows
# ---------------------------------------------------------------------------------------------

STATS_SCRIPT = [("SET", "a", "1"), ("GET", "a"), ("GET", "nokey"), ("GET",), ("INCR", "a"),
                ("SET", "s", "x"), ("INCR", "s"), ("FOO",), ("GET", "a", "b"), ("MGET", "a", "b"),
                ("CONFIG", "GET", "hz"), ("CONFIG", "NOPE"), ("EXISTS", "a"), ("DEL", "a", "s")]


def stats_of(c: RawClient) -> dict:
    text = info_text(c, "commandstats") + info_text(c, "errorstats")
    out = {}
    for line in text.split("\r\n"):
        if line.startswith(("cmdstat_", "errorstat_")):
            name, fields = line.split(":", 1)
            values = dict(f.split("=") for f in fields.split(","))
            out[name] = {k: v for k, v in values.items() if k not in ("usec", "usec_per_call")}
    return out


def test_resetstat_and_stat_lines(pair):
    """After CONFIG RESETSTAT the same script gives the same commandstats/errorstats lines (and
    keyspace hits/misses) on both servers, and RESETSTAT zeroes the counters."""
    seen = []
    for srv in (pair.ours, pair.ref):
        c = srv.raw()
        try:
            c.call("FLUSHALL")
            assert c.call("CONFIG", "RESETSTAT") == b"+OK\r\n"
            stats = info_dict(c, "stats")
            assert stats["total_error_replies"] == "0"
            assert stats["keyspace_hits"] == stats["keyspace_misses"] == "0"
            assert stats["total_connections_received"] == "0"
            assert stats["rejected_connections"] == "0"
            # only the RESETSTAT itself is counted, and now the INFO calls
            assert set(stats_of(c)) == {"cmdstat_config|resetstat", "cmdstat_info"}
            for args in STATS_SCRIPT:
                c.call(*args)
            after = info_dict(c, "stats")
            seen.append((stats_of(c), after["keyspace_hits"], after["keyspace_misses"],
                         after["total_error_replies"]))
        finally:
            c.close()
    assert seen[0] == seen[1]
    assert seen[0][0]["errorstat_ERR"]["count"] == "5"
    assert seen[0][0]["cmdstat_get"] == {"calls": "2", "rejected_calls": "2",
                                         "failed_calls": "0"}


def test_commandstats_format(server):
    c = server.raw()
    try:
        c.call("GET", "x")
        c.call("CLIENT", "GETNAME")
        text = info_text(c, "commandstats")
        assert re.search(r"\r\ncmdstat_get:calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,"
                         r"rejected_calls=\d+,failed_calls=\d+\r\n", text)
        assert "cmdstat_client|getname:calls=" in text
        c.call("GET")
        assert re.search(r"errorstat_ERR:count=\d+\r\n", info_text(c, "errorstats"))
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------
# INFO
# ---------------------------------------------------------------------------------------------

PYREDIS_FIELDS = {"Server": {"server_name", "pyredis_version"},
                  "Stats": {"python_handler_calls"}}


@pytest.mark.parametrize("sections", [
    (), ("default",), ("all",), ("everything",), ("server",), ("SERVER",), ("server", "clients"),
    ("cpu", "server"), ("server", "server"), ("commandstats",), ("errorstats",),
    ("latencystats",), ("keyspace",), ("modules",), ("foo",), ("foo", "bar"), ("foo", "cpu"),
    ("all", "commandstats"), ("default", "commandstats"), ("Persistence", "stats"),
    ("replication",), ("cluster",), ("memory",),
], ids=lambda s: " ".join(s) or "none")
def test_info_sections_and_fields(server, ref, sections):
    """The same sections in the same order as redis-server, each with Redis's fields in Redis's
    order (dynamic lines aside); pyredis adds only server_name and pyredis_version (Server)
    and python_handler_calls (Stats)."""
    mine = info_sections(info_text(server.raw(), *sections))
    theirs = info_sections(info_text(ref.raw(), *sections))
    assert [title for title, _ in mine] == [title for title, _ in theirs]
    dynamic = ("cmdstat_", "errorstat_", "latency_percentiles_usec_", "db")
    for (title, fields), (_, ref_fields) in zip(mine, theirs):
        fields = [f for f in fields if not f.startswith(dynamic)]
        ref_fields = [f for f in ref_fields if not f.startswith(dynamic)]
        extra = PYREDIS_FIELDS.get(title, set())
        assert [f for f in fields if f not in extra] == ref_fields, title
        assert extra <= set(fields)


def test_info_tool_fields(server):
    everything = info_dict(server.raw(), "everything")
    missing = [name for name in TOOL_FIELDS if name not in everything]
    assert missing == []
    assert re.fullmatch(r"7\.0\.\d+", everything["redis_version"])
    assert everything["server_name"] == "pyredis"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", everything["pyredis_version"])
    assert everything["tcp_port"] == str(server.port)
    assert everything["process_id"] == str(server.proc.pid)
    assert everything["redis_mode"] == "standalone" and everything["role"] == "master"
    assert everything["cluster_enabled"] == "0"
    assert re.fullmatch(r"[0-9a-f]{40}", everything["run_id"])
    assert int(everything["connected_clients"]) >= 1
    assert int(everything["used_memory"]) > 0
    assert int(everything["maxclients"]) > 0


def test_info_default_is_crlf_text(server, ref):
    for srv in (server, ref):
        text = info_text(srv.raw())
        assert text.startswith("# Server\r\n") and text.endswith("\r\n")
        assert "\r\n\r\n# Clients\r\n" in text
        assert "\n" not in text.replace("\r\n", "")


def test_info_resp3_verbatim(server, ref):
    for srv in (server, ref):
        c = srv.raw()
        c.call("HELLO", "3")
        reply = c.call("INFO", "server")
        assert reply.startswith(b"=")
        assert reply.split(b"\r\n", 1)[1].startswith(b"txt:# Server\r\n")
        c.close()


def test_info_unknown_sections(d):
    d.check("INFO", "foo")
    d.check("INFO", "foo", "bar")
    d.check("INFO", "keyspace")


def test_info_keyspace(server, ref):
    """db lines: keys and expires exact, avg_ttl 0 without TTLs and within bounds with."""
    lines = []
    for srv in (server, ref):
        c = srv.raw()
        try:
            c.call("FLUSHALL")
            for i in range(7):
                c.call("SET", f"k{i}", "v")
            for i in range(3):
                c.call("SET", f"t{i}", "v", "PX", "100000")
            c.call("SELECT", "3")
            c.call("SET", "other", "v")
            c.call("SELECT", "0")
            text = info_text(c, "keyspace")
            lines.append(re.sub(r"avg_ttl=\d+", "avg_ttl=T", text))
            avg = [int(v) for v in re.findall(r"avg_ttl=(\d+)", text)]
            assert 0 <= avg[0] <= 100000 and avg[1] == 0
            c.call("FLUSHALL")
            assert info_text(c, "keyspace") == "# Keyspace\r\n"
        finally:
            c.close()
    assert lines[0] == lines[1] == \
        "# Keyspace\r\ndb0:keys=10,expires=3,avg_ttl=T\r\ndb3:keys=1,expires=0,avg_ttl=T\r\n"


def test_info_counters_move(server):
    c = server.raw()
    try:
        before = info_dict(c, "stats")
        c.call("SET", "counter-key", "1")
        c.call("GET", "counter-key")
        c.call("GET", "no-such-key")
        after = info_dict(c, "stats")
        assert int(after["total_commands_processed"]) >= int(before["total_commands_processed"]) + 4
        assert int(after["keyspace_hits"]) == int(before["keyspace_hits"]) + 1
        assert int(after["keyspace_misses"]) == int(before["keyspace_misses"]) + 1
        assert int(after["total_net_input_bytes"]) > int(before["total_net_input_bytes"])
        assert int(after["total_net_output_bytes"]) > int(before["total_net_output_bytes"])
        other = server.raw()
        other_id = decode(other.call("CLIENT", "ID"))
        assert int(info_dict(c, "stats")["total_connections_received"]) > \
            int(after["total_connections_received"])
        assert int(info_dict(c, "clients")["connected_clients"]) >= 2
        other.close()
        deadline = time.time() + 2
        while f"id={other_id} " in decode(c.call("CLIENT", "LIST")).decode():
            assert time.time() < deadline, "a closed connection must leave CLIENT LIST"
            time.sleep(0.02)
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------
# TIME
# ---------------------------------------------------------------------------------------------

def test_time(server, ref):
    for srv in (server, ref):
        c = srv.raw()
        reply = c.call("TIME")
        assert re.fullmatch(rb"\*2\r\n\$\d+\r\n\d+\r\n\$\d+\r\n\d+\r\n", reply)
        seconds, micros = (int(v) for v in decode(reply))
        assert abs(seconds + micros / 1e6 - time.time()) < 2
        assert 0 <= micros < 1000000
        c.close()


def test_time_arity(d):
    d.check("TIME", "x")


# ---------------------------------------------------------------------------------------------
# SHUTDOWN
# ---------------------------------------------------------------------------------------------

def test_shutdown_errors(d):
    d.check_all([
        ("SHUTDOWN", "FOO"), ("SHUTDOWN", "SAVE", "NOSAVE"), ("SHUTDOWN", "nosave", "save"),
        ("SHUTDOWN", "ABORT", "NOW"), ("SHUTDOWN", "NOSAVE", "ABORT"), ("SHUTDOWN", "ABORT"),
        ("SHUTDOWN", "abort", "abort"), ("SHUTDOWN", "NOW", "FORCE", "bogus"),
        ("SHUTDOWN", "NOSAVE", "NOSAVE", "x"),
    ])


@pytest.mark.parametrize("args", [(), ("NOSAVE",), ("SAVE",), ("nosave", "now", "force"),
                                  ("NOW",)], ids=lambda a: " ".join(a) or "plain")
def test_shutdown_exits_0(args):
    srv = support.start_pyredis()
    try:
        c = srv.raw()
        c.send(encode("SHUTDOWN", *args) + encode("PING"))
        data, closed = c.read_all(3.0)
        assert (data, closed) == (b"", True), "no reply: the connection just closes"
        assert srv.proc.wait(10) == 0
        log = srv.log()
        assert "User requested shutdown..." in log
        assert "ready to exit, bye bye..." in log
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
    finally:
        srv.stop()
