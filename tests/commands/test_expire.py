"""Expiry against redis-server 7.0: EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX/XX/GT/LT and
every option combination, numbers at the edges (overflow converting seconds to milliseconds and
adding the base time), TTL/PTTL/EXPIRETIME/PEXPIRETIME and their rounding, PERSIST, and expiry
for real: lazy (a command meets an expired key) and active (keys nobody touches go away), with
INFO's expired_keys and keyspace lines.

Absolute times (PEXPIREAT, EXPIRETIME) are used where exact numbers are compared; TTLs set
relative to now are compared in seconds, which both servers round the same way as long as a
test does not take half a second between setting and reading them.
"""
import itertools
import time

import pytest

from tests.support import same_keyspace

FAR = 4102444800123            # 2100-01-01T00:00:00.123Z in unix ms
FAR_S = FAR // 1000
COMMANDS = ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]


def pipeline_both(d, commands):
    """Run a batch in one write on each server; the replies must be identical."""
    ours, ref = d.ours.pipeline(commands), d.ref.pipeline(commands)
    for cmd, a, b in zip(commands, ours, ref):
        assert a == b, f"{cmd!r}: pyredis {a!r} != redis {b!r}"
    return ours


def pipeline_both_approx(d, batch):
    """Like pipeline_both for a batch of (command, tolerance): integer replies of commands with
    a tolerance may differ by that much (a TTL read relative to a fixed time depends on the
    millisecond each server runs it), but not in sign (-1 and -2 are exact)."""
    commands = [c for c, _ in batch]
    ours, ref = d.ours.pipeline(commands), d.ref.pipeline(commands)
    for (cmd, tol), a, b in zip(batch, ours, ref):
        if tol and a[:1] == b[:1] == b":" and int(a[1:-2]) >= 0 and int(b[1:-2]) >= 0:
            assert abs(int(a[1:-2]) - int(b[1:-2])) <= tol, f"{cmd!r}: pyredis {a!r} != redis {b!r}"
        else:
            assert a == b, f"{cmd!r}: pyredis {a!r} != redis {b!r}"
    return ours


def intval(reply: bytes) -> int:
    assert reply[:1] == b":", reply
    return int(reply[1:-2])


def info_fields(client, section):
    text = client.call("INFO", section)
    body = text.split(b"\r\n", 1)[1].decode()
    if text.startswith(b"="):            # RESP3 verbatim string: "txt:" then the text
        body = body[4:]
    out = {}
    for line in body.split("\r\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def keyspace(client):
    """INFO keyspace as {db: {"keys": n, "expires": n, "avg_ttl": n}}."""
    out = {}
    for k, v in info_fields(client, "keyspace").items():
        out[k] = {name: int(num) for name, num in (p.split("=") for p in v.split(","))}
    return out


# =============================================================================================
# Options: every combination, on keys with and without a TTL
# =============================================================================================

OPTION_TOKENS = ["NX", "XX", "GT", "LT", "nx", "Gt", "foo"]
OPTION_SETS = ([()] + [(a,) for a in OPTION_TOKENS]
               + list(itertools.product(OPTION_TOKENS, repeat=2))
               + [("NX", "XX", "GT"), ("XX", "GT", "LT"), ("XX", "LT", "XX"), ("GT", "XX", "gt"),
                  ("xx", "lt", "foo"), ("foo", "nx", "xx"), ("NX", "NX", "NX", "NX"),
                  ("XX", "GT", "XX", "GT"), ("n\x00x",), ("NXX",), ("",)])

# per command: a time in the past, one before FAR, one after FAR, and FAR itself (absolute)
TIMES = {
    "EXPIRE": ["-10", "100", "9999999999"],
    "PEXPIRE": ["-10", "100000", "9999999999000"],
    "EXPIREAT": ["1", str(FAR_S - 1000), str(FAR_S + 1000), str(FAR_S)],
    "PEXPIREAT": ["1", str(FAR - 1), str(FAR + 1), str(FAR)],
}


@pytest.mark.parametrize("cmd", COMMANDS)
def test_expire_options_every_combination(d, cmd):
    absolute = cmd.endswith("AT")
    batch = []
    for has_ttl in (False, True):
        for t in TIMES[cmd]:
            for opts in OPTION_SETS:
                batch.append((("SET", "k", "v"), 0))
                if has_ttl:
                    batch.append((("PEXPIREAT", "k", str(FAR)), 0))
                batch.append(((cmd, "k", t, *opts), 0))
                batch.append((("EXISTS", "k"), 0))
                batch.append((("TTL", "k"), 1))
                batch.append((("PEXPIRETIME", "k"), 0 if absolute else 1000))
    for i in range(0, len(batch), 600):
        pipeline_both_approx(d, batch[i:i + 600])


@pytest.mark.parametrize("cmd", COMMANDS)
def test_expire_options_on_a_missing_key(d, cmd):
    batch = []
    for opts in OPTION_SETS:
        batch.append((cmd, "nokey", TIMES[cmd][1], *opts))
        batch.append((cmd, "nokey", "abc", *opts))          # options are checked first
        batch.append((cmd, "nokey", "9223372036854775807", *opts))
    batch.append(("DBSIZE",))
    pipeline_both(d, batch)


def test_unsupported_option_text(d):
    d.check("SET", "k", "v")
    for opt in ["x" * 300, "bad\r\noption", "a\x00b", "", " ", "NXX", "-1", "x" * 70000]:
        d.check("EXPIRE", "k", "10", opt)
        d.check("PEXPIREAT", "k", "10", "NX", opt)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_expire_arity(d, cmd):
    d.check(cmd)
    d.check(cmd, "k")


# =============================================================================================
# Numbers at the edges
# =============================================================================================

EDGE_VALUES = ["0", "-1", "1", "2147483646", "2147483647", "2147483648", "-2147483648",
               "-2147483649", "4294967296", "9223372036854", "9223372036854775",
               "9223372036854776", "-9223372036854775", "-9223372036854776",
               "9223370000000000000", "9223372036854775000", "9223372036854775806",
               "9223372036854775807", "-9223372036854775807", "-9223372036854775808",
               "9223372036854775808", "-9223372036854775809", "18446744073709551616",
               "abc", "", " 1", "1 ", "+1", "01", "-0", "00", "1.5", "1e3", "0x10"]


@pytest.mark.parametrize("cmd", COMMANDS)
def test_expire_numbers_at_the_edges(d, cmd):
    """Seconds * 1000 must not overflow, nor time + base time; past times delete the key."""
    absolute = cmd.endswith("AT")
    batch = []
    for v in EDGE_VALUES:
        batch += [(("SET", "k", "v"), 0), ((cmd, "k", v), 0), (("EXISTS", "k"), 0),
                  (("TTL", "k"), 1), (("PTTL", "k"), 1000),
                  (("EXPIRETIME", "k"), 0 if absolute else 1),
                  (("PEXPIRETIME", "k"), 0 if absolute else 1000), ((cmd, "nokey", v), 0)]
    pipeline_both_approx(d, batch)


def test_ttl_near_the_largest_time(d):
    """PEXPIREAT k 2^63-1: TTL, EXPIRETIME round without overflowing."""
    batch = [(("SET", "k", "v"), 0)]
    for when in ["9223372036854775807", "9223372036854775499", "9223372036854775500",
                 "9223372036854775501", "9223372036854775000", "9223372036854774999"]:
        batch += [(("PEXPIREAT", "k", when), 0), (("PEXPIRETIME", "k"), 0),
                  (("EXPIRETIME", "k"), 0), (("TTL", "k"), 1), (("PTTL", "k"), 1000)]
    pipeline_both_approx(d, batch)


# =============================================================================================
# TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST
# =============================================================================================

@pytest.mark.parametrize("cmd", ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"])
def test_ttl_commands_missing_and_persistent(d, cmd):
    d.check(cmd, "nokey")
    d.check("SET", "k", "v")
    d.check(cmd, "k")
    d.check(cmd)
    d.check(cmd, "k", "extra")
    pipeline_both(d, [("SET", "gone", "v", "PXAT", "1"), (cmd, "gone"), ("EXISTS", "gone")])


def test_expiretime_rounding(d):
    """EXPIRETIME rounds half up: (ms + 500) / 1000."""
    batch = [("SET", "k", "v")]
    for ms in [0, 1, 499, 500, 501, 999]:
        when = (FAR_S * 1000) + ms
        batch += [("PEXPIREAT", "k", str(when)), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k")]
    batch += [("EXPIREAT", "k", str(FAR_S)), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k")]
    pipeline_both(d, batch)


def test_ttl_rounding_relative(d):
    """TTL rounds the remaining milliseconds half up; PTTL counts down from the set value."""
    batch = []
    for ms in [400, 600, 1200, 1800, 10400, 99999]:
        batch += [("SET", f"k{ms}", "v"), ("PEXPIRE", f"k{ms}", str(ms)), ("TTL", f"k{ms}")]
    pipeline_both(d, batch)
    for c in (d.ours, d.ref):
        for ms in [600, 1200, 99999]:
            left = intval(c.call("PTTL", f"k{ms}"))
            assert ms - 300 <= left <= ms


def test_persist(d):
    d.check_all([
        ("PERSIST", "nokey"),
        ("SET", "k", "v"),
        ("PERSIST", "k"),
        ("PEXPIREAT", "k", str(FAR)),
        ("PERSIST", "k"), ("TTL", "k"), ("PEXPIRETIME", "k"),
        ("PERSIST", "k"),
        ("EXPIRE", "k", "100"), ("PERSIST", "k"), ("EXPIRE", "k", "100", "XX"),
        ("EXPIRE", "k", "100", "NX"), ("EXPIRE", "k", "100", "NX"),
        ("PERSIST",), ("PERSIST", "k", "k"),
    ])
    assert same_keyspace(d) == {"db0": (1, 1)}
    pipeline_both(d, [("SET", "gone", "v", "PXAT", "1"), ("PERSIST", "gone"), ("EXISTS", "gone")])


def test_set_without_ttl_clears_it_and_info_counts_expires(d):
    d.check_all([("SET", "k", "v"), ("PEXPIREAT", "k", str(FAR))])
    assert same_keyspace(d) == {"db0": (1, 1)}
    d.check_all([("SET", "k", "w"), ("TTL", "k")])
    assert same_keyspace(d) == {"db0": (1, 0)}
    d.check_all([("PEXPIREAT", "k", str(FAR)), ("DEL", "k")])
    assert same_keyspace(d) == {}


# =============================================================================================
# Lazy expiry
# =============================================================================================

def test_short_ttl_is_gone_after_it_passes(d):
    """A key with a 50 ms TTL, after 120 ms: every way of looking sees no key."""
    names = ["get", "exists", "ttl", "pttl", "keys", "scan", "type", "dbsize"]
    for c in (d.ours, d.ref):
        for n in names:
            assert c.call("SET", n, "v", "PX", "50") == b"+OK\r\n"
        assert c.call("SET", "stay", "v") == b"+OK\r\n"
    # before: all there
    d.check("EXISTS", *names)
    time.sleep(0.12)
    d.check("GET", "get")
    d.check("EXISTS", "exists")
    d.check("TTL", "ttl")
    d.check("PTTL", "pttl")
    d.check("KEYS", "k*")
    d.check("SCAN", "0", "MATCH", "s*", "COUNT", "100")
    d.check("TYPE", "type")
    d.check("KEYS", "*")
    d.check("GET", "stay")


LAZY_COMMANDS = [("GET", "gone"), ("EXISTS", "gone"), ("TTL", "gone"), ("PTTL", "gone"),
                 ("EXPIRETIME", "gone"), ("TYPE", "gone"), ("TOUCH", "gone"),
                 ("EXPIRE", "gone", "100"), ("PEXPIREAT", "gone", str(FAR)), ("PERSIST", "gone"),
                 ("DEL", "gone"), ("UNLINK", "gone"), ("RENAME", "gone", "x"),
                 ("RENAMENX", "gone", "x"), ("COPY", "gone", "x"), ("MOVE", "gone", "1"),
                 ("OBJECT", "ENCODING", "gone"), ("STRLEN", "gone"), ("APPEND", "gone", "z"),
                 ("INCR", "gone"), ("SETRANGE", "gone", "0", "z"), ("GETRANGE", "gone", "0", "-1"),
                 ("SET", "gone", "new", "NX"), ("SET", "gone", "new", "XX"),
                 ("GETDEL", "gone"), ("KEYS", "gone"), ("SCAN", "0", "MATCH", "gone")]


@pytest.mark.parametrize("command", LAZY_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_lazy_expiry_deterministic(d, command):
    """An expired key that nothing deleted yet (set with PXAT 1 in the same write): each
    command must treat it as missing, delete it, and count it in expired_keys."""
    batch = [("SET", "gone", "old", "PXAT", "1"), command, ("GET", "gone"), ("DBSIZE",)]
    before = [info_fields(c, "stats") for c in (d.ours, d.ref)]
    pipeline_both(d, batch)
    after = [info_fields(c, "stats") for c in (d.ours, d.ref)]
    for field in ("expired_keys", "keyspace_hits", "keyspace_misses"):
        deltas = [int(a[field]) - int(b[field]) for a, b in zip(after, before)]
        assert deltas[0] == deltas[1], (field, deltas)
    assert int(after[0]["expired_keys"]) > int(before[0]["expired_keys"])


def test_keys_with_ttl_in_the_future_are_left_alone(d):
    pipeline_both(d, [("SET", "k", "v", "PXAT", str(FAR)), ("GET", "k"), ("EXISTS", "k"),
                      ("KEYS", "*"), ("PEXPIRETIME", "k"), ("DBSIZE",)])


# =============================================================================================
# Active expiry
# =============================================================================================

def load(client, commands):
    for reply in client.pipeline(commands):
        assert reply[:1] in (b"+", b":")


def test_active_expiry_removes_untouched_keys(server, ref):
    """2000 keys with short TTLs in four databases, never touched again, plus persistent
    keys: DBSIZE drops to the persistent ones within a few seconds, expired_keys counts every
    one, and the persistent keys are all still there."""
    clients = [server.raw(), ref.raw()]
    try:
        before = []
        for c in clients:
            c.call("FLUSHALL")
            before.append(int(info_fields(c, "stats")["expired_keys"]))
            for db in range(4):
                c.call("SELECT", str(db))
                load(c, [("SET", f"v:{db}:{i}", "x", "PX", str(100 + i % 300)) for i in range(500)]
                     + [("SET", f"p:{db}:{i}", "x") for i in range(50)])
        deadline = time.monotonic() + 6
        pending = set(range(len(clients)))
        while pending and time.monotonic() < deadline:
            for i in list(pending):
                sizes = []
                for db in range(4):
                    clients[i].call("SELECT", str(db))
                    sizes.append(intval(clients[i].call("DBSIZE")))
                if sizes == [50] * 4:
                    pending.discard(i)
            time.sleep(0.1)
        assert not pending, "pyredis" if 0 in pending else "redis"
        for c, b in zip(clients, before):
            assert int(info_fields(c, "stats")["expired_keys"]) - b == 2000
            ks = keyspace(c)
            assert [ks[f"db{db}"]["keys"] for db in range(4)] == [50] * 4
            assert [ks[f"db{db}"]["expires"] for db in range(4)] == [0] * 4
            for db in range(4):
                c.call("SELECT", str(db))
                assert intval(c.call("EXISTS", *[f"p:{db}:{i}" for i in range(50)])) == 50
            c.call("FLUSHALL")
    finally:
        for c in clients:
            c.close()


def test_info_keyspace_mixed_volatile_and_persistent(d):
    """keys and expires are exact; avg_ttl appears and, once the expiry cycle has sampled the
    keys, estimates their TTL."""
    for c in (d.ours, d.ref):
        load(c, [("SET", f"p{i}", "x") for i in range(100)]
             + [("SET", f"v{i}", "x", "PX", "100000") for i in range(60)])
        c.call("SELECT", "7")
        load(c, [("SET", f"v{i}", "x", "EX", "50") for i in range(10)])
    deadline = time.monotonic() + 3
    while True:
        spaces = [keyspace(c) for c in (d.ours, d.ref)]
        for ks in spaces:
            assert ks["db0"]["keys"] == 160 and ks["db0"]["expires"] == 60
            assert ks["db7"]["keys"] == 10 and ks["db7"]["expires"] == 10
            assert set(ks) == {"db0", "db7"}
        if all(0 < ks["db0"]["avg_ttl"] <= 100000 and 0 < ks["db7"]["avg_ttl"] <= 50000
               for ks in spaces):
            break
        assert time.monotonic() < deadline, spaces
        time.sleep(0.1)


def test_info_keyspace_lines_same_as_redis(d):
    """Without TTLs the keyspace section is deterministic: compare it byte for byte."""
    d.check("INFO", "keyspace")
    for c in (d.ours, d.ref):
        for db in (0, 3, 15):
            c.call("SELECT", str(db))
            load(c, [("SET", f"k{i}", "x") for i in range(db + 1)])
    d.check("INFO", "keyspace")
    d.check("FLUSHALL")
    d.check("INFO", "keyspace")
