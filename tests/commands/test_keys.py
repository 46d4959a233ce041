"""Generic key commands against redis-server 7.0, byte for byte in RESP2 and RESP3:
DEL, UNLINK, EXISTS, TYPE, TOUCH, KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX, COPY, MOVE, OBJECT.

Replies whose order is hash order (KEYS, SCAN) are compared as sorted lists. TTLs are set with
absolute times (PEXPIREAT) where they are compared, so both servers report the same numbers.
Keys that are already expired but not yet deleted are made with `SET k v PXAT 1` and used in
the same pipelined write, so no expiry cycle can run in between.
"""
import random
import time

import pytest

from tests.support import encode, same_keyspace

FAR = 4102444800123            # 2100-01-01T00:00:00.123Z in unix ms: a fixed far-future TTL
INT_EDGES = ["0", "-1", "1", "2147483647", "2147483648", "-2147483648", "-2147483649",
             "4294967296", "9223372036854775807", "-9223372036854775808",
             "9223372036854775808", "18446744073709551616", "abc", "", " 1", "1 ", "01", "+1",
             "0x1", "1.0", "1e3", "-0", "00"]


def parse(buf: bytes, pos: int = 0):
    """A minimal RESP2/RESP3 decoder for the replies these tests sort: (value, next pos)."""
    end = buf.index(b"\r\n", pos)
    kind, body, nxt = buf[pos:pos + 1], buf[pos + 1:end], end + 2
    if kind in (b"$", b"="):
        n = int(body)
        if n < 0:
            return None, nxt
        return buf[nxt:nxt + n], nxt + n + 2
    if kind in (b"*", b"~", b">"):
        n = int(body)
        if n < 0:
            return None, nxt
        out = []
        for _ in range(n):
            item, nxt = parse(buf, nxt)
            out.append(item)
        return out, nxt
    if kind == b":":
        return int(body), nxt
    if kind == b"_":
        return None, nxt
    return body, nxt


def value(reply: bytes):
    return parse(reply)[0]


def both_sorted(d, *args):
    """KEYS-like command on both servers; the replies must hold the same strings."""
    ours, ref = d.both(*args)
    a, b = value(ours), value(ref)
    assert isinstance(a, list) and isinstance(b, list), (args, ours, ref)
    assert sorted(a) == sorted(b), args
    return sorted(a)


def scan_same(d, *args):
    """A SCAN that completes in one call on both servers (COUNT larger than the table)."""
    ours, ref = d.both(*args)
    a, b = value(ours), value(ref)
    if not isinstance(b, list):                  # an error: must be identical
        assert ours == ref, args
        return None
    assert a[0] == b[0] == b"0", (args, ours, ref)
    assert sorted(a[1]) == sorted(b[1]), args
    return sorted(a[1])


def pipeline_both(d, *commands):
    ours, ref = d.ours.pipeline(commands), d.ref.pipeline(commands)
    assert ours == ref, (commands, ours, ref)
    return ours


def setup_both(d, *commands):
    for c in (d.ours, d.ref):
        for args in commands:
            c.call(*args)


# =============================================================================================
# DEL, UNLINK, EXISTS, TYPE, TOUCH
# =============================================================================================

@pytest.mark.parametrize("cmd", ["DEL", "UNLINK"])
def test_del_and_unlink(d, cmd):
    d.check_all([
        (cmd, "nokey"),
        ("SET", "a", "1"), ("SET", "b", "2"), ("SET", "c", "3"),
        (cmd, "a"),
        (cmd, "a"),
        ("EXISTS", "a"),
        (cmd, "b", "b", "c", "nokey", "c"),        # repeated keys count once
        ("DBSIZE",),
        ("SET", "", "empty"), (cmd, ""), ("EXISTS", ""),
        ("SET", "x\x00y", "1"), (cmd, "x"), (cmd, "x\x00y"),
        (cmd,),
    ])


def test_del_counts_only_live_keys(d):
    pipeline_both(d, ("SET", "gone", "1", "PXAT", "1"), ("SET", "live", "1"),
                  ("DBSIZE",), ("DEL", "gone", "live"), ("DBSIZE",))
    pipeline_both(d, ("SET", "gone", "1", "PXAT", "1"), ("UNLINK", "gone"), ("DBSIZE",))


def test_exists_repeated_keys(d):
    d.check_all([
        ("EXISTS", "a"),
        ("SET", "a", "1"),
        ("EXISTS", "a"),
        ("EXISTS", "a", "a", "a"),
        ("EXISTS", "a", "b", "a", "b"),
        ("SET", "b", "1"),
        ("EXISTS", "a", "b", "a", "b", "c"),
        ("EXISTS", "A"),
        ("EXISTS",),
    ])


def test_type(d):
    d.check_all([
        ("TYPE", "nokey"),
        ("SET", "s", "x"), ("TYPE", "s"),
        ("SET", "n", "123"), ("TYPE", "n"),
        ("SET", "big", "x" * 100), ("TYPE", "big"),
        ("TYPE",), ("TYPE", "s", "n"),
    ])
    pipeline_both(d, ("SET", "gone", "1", "PXAT", "1"), ("TYPE", "gone"), ("DBSIZE",))


def test_touch(d):
    d.check_all([
        ("TOUCH", "a"),
        ("SET", "a", "1"), ("SET", "b", "1"),
        ("TOUCH", "a"),
        ("TOUCH", "a", "a", "b", "c"),
        ("TOUCH",),
    ])
    pipeline_both(d, ("SET", "gone", "1", "PXAT", "1"), ("TOUCH", "gone", "b"), ("DBSIZE",))


def test_dbsize(d):
    d.check("DBSIZE")
    setup_both(d, *[("SET", f"k{i}", i) for i in range(100)])
    d.check("DBSIZE")
    d.check("DBSIZE", "x")
    d.check("SELECT", "3")
    d.check("DBSIZE")


# =============================================================================================
# KEYS
# =============================================================================================

KEYNAMES = ["a", "b", "ab", "abc", "hello", "hallo", "hxllo", "hllo", "heeello", "h*llo",
            "h?llo", "h[a]llo", "user:1", "user:2", "user:10", "user:1:name", "", " ", "\\",
            "x\x00y", "\xff\xfe", "A", "AB", "a-b", "[", "]"]
KEYNAMES = [k.encode("latin1") for k in KEYNAMES]

PATTERNS = ["*", "**", "?", "??", "a*", "*b", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo",
            "h[a-b]llo", "h\\*llo", "h\\?llo", "h\\[a\\]llo", "user:*", "user:?", "user:1*",
            "user:[0-9]", "user:[0-9]*", "*:*:*", "", " ", "\\\\", "x*", "x\x00*", "\xff*",
            "[", "]", "[[]", "[]]", "a[", "[^", "[a-", "*[", "A*", "[A-Z]*", "[a-z]", "?*",
            "*?*", "h*l*o", "nomatch*"]
PATTERNS = [p.encode("latin1") for p in PATTERNS]


def test_keys_patterns(d):
    setup_both(d, *[("SET", k, "1") for k in KEYNAMES])
    for pattern in PATTERNS:
        both_sorted(d, "KEYS", pattern)
    assert both_sorted(d, "KEYS", "*") == sorted(KEYNAMES)


def test_keys_errors_and_empty_db(d):
    d.check("KEYS", "*")
    d.check("KEYS")
    d.check("KEYS", "a", "b")


def test_keys_skips_expired_keys(d):
    cmds = [("SET", "gone1", "1", "PXAT", "1"), ("SET", "gone2", "1", "PXAT", "1"),
            ("SET", "live", "1"), ("SET", "ttl", "1", "PXAT", str(FAR)), ("DBSIZE",),
            ("KEYS", "*"), ("KEYS", "g*"), ("DBSIZE",)]
    ours, ref = d.ours.pipeline(cmds), d.ref.pipeline(cmds)
    assert ours[:5] + ours[6:] == ref[:5] + ref[6:]
    assert sorted(value(ours[5])) == sorted(value(ref[5])) == [b"live", b"ttl"]
    assert value(ours[6]) == []


def test_keys_many(d):
    setup_both(d, *[("SET", f"key:{i}", "v") for i in range(3000)])
    assert len(both_sorted(d, "KEYS", "*")) == 3000
    assert len(both_sorted(d, "KEYS", "key:1*")) == 1111
    both_sorted(d, "KEYS", "key:[12]?9")


# =============================================================================================
# SCAN
# =============================================================================================

@pytest.mark.parametrize("cursor", [
    "abc", "-", "1a", " 1", "1 ", "0x10", "1.5", "99999999999999999999999",
    "18446744073709551616", "-18446744073709551616", "\t1", "\n1"])
def test_scan_invalid_cursor(d, cursor):
    d.check("SET", "k", "1")
    d.check("SCAN", cursor)


@pytest.mark.parametrize("cursor", [
    "0", "", "00", "-1", "+1", "18446744073709551615", "-18446744073709551615", "1\x00x",
    "9223372036854775808", "123456789"])
def test_scan_odd_cursors_are_accepted(d, cursor):
    """strtoul's rules: empty is 0, a sign is allowed (and '-' wraps), leading zeros are fine,
    anything after a NUL byte is ignored. Which keys come back depends on each server's hash
    function, so only the shape of the reply is compared."""
    setup_both(d, ("SET", "k", "1"))
    for c in (d.ours, d.ref):
        reply = value(c.call("SCAN", cursor, "COUNT", "100"))
        assert isinstance(reply, list) and len(reply) == 2, reply
        assert int(reply[0]) >= 0 and set(reply[1]) <= {b"k"}


@pytest.mark.parametrize("args", [
    ("COUNT",), ("COUNT", "0"), ("COUNT", "-1"), ("COUNT", "abc"), ("COUNT", "1.5"),
    ("COUNT", "9223372036854775808"), ("COUNT", "-9223372036854775808"), ("MATCH",),
    ("TYPE",), ("FOO", "bar"), ("COUNT", "10", "MATCH"), ("MATCH", "*", "COUNT", "0"),
    ("MATCH", "*", "foo"), ("count", "abc", "foo", "bar"), ("foo", "bar", "count", "abc"),
])
def test_scan_option_errors(d, args):
    d.check("SET", "k", "1")
    d.check("SCAN", "0", *args)
    d.check("SCAN", "abc", *args)          # the cursor is checked first


def test_scan_options(d):
    setup_both(d, *[("SET", k, "1") for k in KEYNAMES])
    for pattern in PATTERNS:
        scan_same(d, "SCAN", "0", "MATCH", pattern, "COUNT", "1000")
    for args in [("COUNT", "1000"), ("count", "1000", "type", "string"),
                 ("COUNT", "1000", "TYPE", "STRING"), ("COUNT", "1000", "TYPE", "list"),
                 ("COUNT", "1000", "TYPE", "none"), ("COUNT", "1000", "TYPE", "nosuch"),
                 ("COUNT", "1000", "TYPE", "string\x00x"),
                 ("MATCH", "a*", "COUNT", "1000", "TYPE", "string"),
                 ("MATCH", "nomatch", "MATCH", "a*", "COUNT", "1000"),    # the last one wins
                 ("MATCH", "a*", "MATCH", "*", "COUNT", "1000"),
                 ("COUNT", "1", "COUNT", "1000"),
                 ("COUNT", "9223372036854775807"),                 # count * 10 overflows
                 ("COUNT", "922337203685477580"),
                 ("COUNT", "1000", "MATCH", "user:*", "TYPE", "string")]:
        scan_same(d, "SCAN", "0", *args)


def test_scan_empty_db(d):
    d.check("SCAN", "0")
    d.check("SCAN", "0", "MATCH", "*", "COUNT", "5", "TYPE", "string")
    d.check("SCAN", "12345")
    d.check("SCAN")


def test_scan_filters_expired_keys(d):
    """Expired keys collected by SCAN are deleted and left out; with TYPE, Redis looks the key
    up first (which deletes it, type "none"), so TYPE none returns it."""
    setup = [("SET", "gone", "1", "PXAT", "1"), ("SET", "live", "1")]
    for args in [(), ("TYPE", "string"), ("TYPE", "none"), ("TYPE", "NONE"), ("MATCH", "g*"),
                 ("MATCH", "l*", "TYPE", "none"), ("MATCH", "g*", "TYPE", "none")]:
        ours = d.ours.pipeline([*setup, ("SCAN", "0", "COUNT", "100", *args), ("DBSIZE",)])
        ref = d.ref.pipeline([*setup, ("SCAN", "0", "COUNT", "100", *args), ("DBSIZE",)])
        assert ours[3] == ref[3], args
        a, b = value(ours[2]), value(ref[2])
        assert sorted(a[1]) == sorted(b[1]), args


def test_scan_counts_statistics_like_redis(diff):
    """SCAN ... TYPE looks keys up as reads (keyspace hits), expired ones count as misses."""
    setup_both(diff, ("CONFIG", "RESETSTAT"))
    for c in (diff.ours, diff.ref):
        c.pipeline([("SET", "gone", "1", "PXAT", "1"), ("SET", "a", "1"), ("SET", "b", "1"),
                    ("SCAN", "0", "COUNT", "100", "TYPE", "string"),
                    ("SET", "gone", "1", "PXAT", "1"), ("SCAN", "0", "COUNT", "100")])

    def stats(c):
        info = value(c.call("INFO", "stats")).decode()
        return {k: v for k, v in (line.split(":", 1) for line in info.split("\r\n") if ":" in line)
                if k in ("keyspace_hits", "keyspace_misses", "expired_keys")}

    assert stats(diff.ours) == stats(diff.ref) == {
        "keyspace_hits": "2", "keyspace_misses": "1", "expired_keys": "2"}


def full_scan(client, *options) -> tuple[list[bytes], int]:
    cursor, out, calls = b"0", [], 0
    while True:
        reply = value(client.call("SCAN", cursor, *options))
        cursor = reply[0]
        out += reply[1]
        calls += 1
        if cursor == b"0":
            return out, calls


@pytest.mark.parametrize("options", [(), ("COUNT", "3"), ("COUNT", "50"), ("MATCH", "k:1*"),
                                     ("MATCH", "k:*", "COUNT", "7", "TYPE", "string")])
def test_scan_full_iteration_static(d, options):
    setup_both(d, *[("SET", f"k:{i}", "v") for i in range(500)])
    for c in (d.ours, d.ref):
        keys, calls = full_scan(c, *options)
        pattern = options[1] if options[:1] == ("MATCH",) else "*"
        assert set(keys) == set(value(c.call("KEYS", pattern)))
        if "COUNT" not in options:
            assert calls > 10           # COUNT defaults to 10: many calls


@pytest.mark.parametrize("count", [None, 1, 5, 100])
def test_scan_guarantee_while_the_table_resizes(raw, ref, count):
    """Every key present for the whole iteration is returned at least once, while keys are
    added (the table grows, several times) and removed (it shrinks, in the cron) between
    calls. Checked on pyredis, and on redis-server to validate the test itself."""
    check_scan_guarantee(raw, count, seed=count or 0)
    with ref.raw() as c:
        check_scan_guarantee(c, count, seed=count or 0)


def check_scan_guarantee(c, count, seed):
    rng = random.Random(seed)
    c.call("SELECT", "2")
    c.call("FLUSHDB")
    stable = {b"s:%d" % i for i in range(300)}
    present = set(stable)
    for k in stable:
        c.call("SET", k, "1")
    opts = ("COUNT", str(count)) if count else ()
    cursor, returned, calls, extra = b"0", set(), 0, 0
    phase_deadline = time.monotonic()
    while True:
        reply = value(c.call("SCAN", cursor, *opts))
        cursor = reply[0]
        returned.update(reply[1])
        calls += 1
        assert set(reply[1]) <= present | {b"x:%d" % i for i in range(extra)}
        if cursor == b"0":
            break
        if calls == 3:
            # grow: 4000 more keys (the table doubles several times, rehashing incrementally)
            c.send(b"".join(encode("SET", b"x:%d" % i, "1") for i in range(extra, extra + 4000)))
            for _ in range(4000):
                c.read_reply()
            present.update(b"x:%d" % i for i in range(extra, extra + 4000))
            extra += 4000
        elif calls == 6:
            # shrink: delete nearly all the extra keys and some stable ones; wait for the cron
            victims = [b"x:%d" % i for i in range(extra) if b"x:%d" % i in present][:3990]
            victims += rng.sample(sorted(stable), 50)
            c.send(b"".join(encode("DEL", k) for k in victims))
            for _ in victims:
                c.read_reply()
            present.difference_update(victims)
            stable.difference_update(victims)
            phase_deadline = time.monotonic() + 0.3
        elif calls > 6 and time.monotonic() < phase_deadline:
            time.sleep(0.05)             # let a few cron runs shrink and rehash the table
        elif calls % 4 == 0:
            k = b"x:%d" % extra
            extra += 1
            c.call("SET", k, "1")
            present.add(k)
        assert calls < 20000
    missing = stable - returned
    assert not missing, sorted(missing)[:10]
    assert c.call("FLUSHDB") == b"+OK\r\n"


def test_scan_expired_keys_are_not_returned_after_they_expire(raw):
    raw.call("SET", "short", "1", "PX", "30")
    raw.call("SET", "long", "1")
    time.sleep(0.08)
    keys, _ = full_scan(raw, "COUNT", "100")
    assert keys == [b"long"]


# =============================================================================================
# RANDOMKEY
# =============================================================================================

def test_randomkey_basics(d):
    d.check("RANDOMKEY")
    d.check("RANDOMKEY", "x")
    d.check("SET", "only", "1")
    d.check("RANDOMKEY")
    d.check("DEL", "only")
    d.check("RANDOMKEY")


def test_randomkey_returns_existing_keys(raw):
    keys = {b"r:%d" % i for i in range(50)}
    for k in keys:
        raw.call("SET", k, "1")
    seen = set()
    for _ in range(400):
        k = value(raw.call("RANDOMKEY"))
        assert k in keys
        seen.add(k)
    assert len(seen) > 25                # it is random: most keys come up


def test_randomkey_never_returns_an_expired_key(d):
    """Only the live key may come back; the expired ones met on the way are deleted."""
    setup = [("SET", f"gone:{i}", "1", "PXAT", "1") for i in range(40)]
    replies = pipeline_both(d, *setup, ("SET", "live", "1"),
                            *[("RANDOMKEY",) for _ in range(30)], ("EXISTS", "live"))
    assert set(replies[41:71]) == {b"$4\r\nlive\r\n"}
    # only expired keys: nil
    pipeline_both(d, ("DEL", "live"), *setup, ("RANDOMKEY",), ("DBSIZE",))


# =============================================================================================
# RENAME, RENAMENX
# =============================================================================================

@pytest.mark.parametrize("cmd", ["RENAME", "RENAMENX"])
def test_rename_cases(d, cmd):
    d.check_all([
        (cmd, "nokey", "b"),
        (cmd, "nokey", "nokey"),            # same key, missing: still "no such key"
        ("SET", "a", "1"),
        (cmd, "a", "a"),                    # same key
        ("GET", "a"),
        (cmd, "a", "b"),
        ("EXISTS", "a"), ("GET", "b"),
        ("SET", "c", "3"),
        (cmd, "b", "c"),                    # destination exists: RENAME overwrites
        ("GET", "b"), ("GET", "c"),
        (cmd, "c", ""), ("GET", ""),
        (cmd, "", "x\x00y"), ("GET", "x\x00y"),
        (cmd, "a"), (cmd, "a", "b", "c"),
    ])


@pytest.mark.parametrize("cmd", ["RENAME", "RENAMENX"])
def test_rename_carries_the_ttl(d, cmd):
    d.check_all([
        ("SET", "a", "1"), ("PEXPIREAT", "a", str(FAR)),
        (cmd, "a", "b"),
        ("PEXPIRETIME", "b"), ("PEXPIRETIME", "a"),
        (cmd, "b", "b"), ("PEXPIRETIME", "b"),
        ("SET", "p", "1"),                   # no TTL: the destination has none after the rename
        ("SET", "t", "2"), ("PEXPIREAT", "t", str(FAR + 5)),
        (cmd, "p", "t"), ("PEXPIRETIME", "t"), ("GET", "t"),
        ("SET", "q", "1"), ("PEXPIREAT", "q", str(FAR + 7)),
        (cmd, "q", "t"), ("PEXPIRETIME", "t"), ("GET", "t"),
    ])
    assert same_keyspace(d) == {"db0": (2, 2) if cmd == "RENAME" else (4, 3)}


def test_rename_of_an_expired_key(d):
    pipeline_both(d, ("SET", "gone", "1", "PXAT", "1"), ("RENAME", "gone", "x"),
                  ("RENAMENX", "gone", "x"), ("DBSIZE",))
    # an expired destination is not "existing"
    pipeline_both(d, ("SET", "src", "1"), ("SET", "dst", "2", "PXAT", "1"),
                  ("RENAMENX", "src", "dst"), ("GET", "dst"), ("PEXPIRETIME", "dst"))


def test_rename_keeps_encoding(d):
    d.check_all([
        ("SET", "i", "12345"), ("RENAME", "i", "i2"), ("OBJECT", "ENCODING", "i2"),
        ("GET", "i2"),
        ("SET", "e", "short"), ("RENAME", "e", "e2"), ("OBJECT", "ENCODING", "e2"),
        ("SET", "r", "x" * 100), ("RENAME", "r", "r2"), ("OBJECT", "ENCODING", "r2"),
        ("GET", "r2"),
        ("SET", "s", "5"), ("RENAME", "s", "s2"), ("OBJECT", "REFCOUNT", "s2"),
    ])


# =============================================================================================
# COPY
# =============================================================================================

def test_copy_cases(d):
    d.check_all([
        ("COPY", "nokey", "b"),
        ("SET", "a", "1"),
        ("COPY", "a", "b"), ("GET", "b"),
        ("COPY", "a", "b"),                  # exists: 0
        ("SET", "a", "2"),
        ("COPY", "a", "b", "REPLACE"), ("GET", "b"),
        ("COPY", "a", "b", "replace", "REPLACE"),
        ("COPY", "a", "a"),
        ("COPY", "a", "a", "REPLACE"),
        ("COPY", "a", "a", "DB", "0"),
        ("COPY", "nokey", "nokey"),          # same key checked before existence
        ("COPY", "a", "a", "DB", "1"),
        ("SELECT", "1"), ("GET", "a"), ("SELECT", "0"),
        ("COPY", "a", "c", "DB", "1", "DB", "2"),   # the last DB wins
        ("SELECT", "2"), ("GET", "c"), ("SELECT", "1"), ("GET", "c"), ("SELECT", "0"),
        ("COPY", "a", "c", "REPLACE", "DB", "2"),
        ("SET", "big", "x" * 100), ("COPY", "big", "big2"), ("GET", "big2"),
        ("OBJECT", "ENCODING", "big2"),
        ("SET", "n", "123456"), ("COPY", "n", "n2"), ("OBJECT", "ENCODING", "n2"),
        ("SET", "e", "abc"), ("COPY", "e", "e2"), ("OBJECT", "ENCODING", "e2"),
        ("APPEND", "e2", "d"), ("GET", "e"), ("GET", "e2"),        # a real copy
        ("APPEND", "big2", "y"), ("STRLEN", "big"), ("STRLEN", "big2"),
    ])


@pytest.mark.parametrize("args", [
    ("DB",), ("DB", "abc"), ("DB", "16"), ("DB", "-1"), ("DB", "2147483648"),
    ("DB", "-2147483649"), ("DB", "4294967296"), ("DB", "9223372036854775807"),
    ("DB", "9223372036854775808"), ("DB", "1.0"), ("DB", " 1"), ("DB", "01"), ("FOO",),
    ("REPLACE", "FOO"), ("DB", "1", "FOO"), ("FOO", "DB", "abc"), ("DB", "abc", "FOO"),
    ("DB", "99", "DB", "abc"),
])
def test_copy_errors(d, args):
    d.check("SET", "a", "1")
    d.check("COPY", "a", "b", *args)
    d.check("COPY", "nokey", "b", *args)
    d.check("EXISTS", "b")


def test_copy_arity(d):
    d.check("COPY", "a")
    d.check("COPY")


def test_copy_carries_the_ttl(d):
    d.check_all([
        ("SET", "a", "1"), ("PEXPIREAT", "a", str(FAR)),
        ("COPY", "a", "b"), ("PEXPIRETIME", "b"), ("PEXPIRETIME", "a"),
        ("COPY", "a", "b", "DB", "3"),
        ("SELECT", "3"), ("PEXPIRETIME", "b"), ("SELECT", "0"),
        ("SET", "p", "1"), ("COPY", "p", "b", "REPLACE"), ("PEXPIRETIME", "b"),
    ])
    assert same_keyspace(d) == {"db0": (3, 1), "db3": (1, 1)}
    pipeline_both(d, ("SET", "gone", "1", "PXAT", "1"), ("COPY", "gone", "x"), ("EXISTS", "x"),
                  ("SET", "src", "1"), ("SET", "dst", "1", "PXAT", "1"), ("COPY", "src", "dst"),
                  ("PEXPIRETIME", "dst"))


def test_copy_of_a_small_integer_is_not_shared(d):
    # Redis's copy is a private object (refcount 1); it stays private through RENAME and MOVE
    # and becomes a shared integer again when a command writes a new value
    d.check_all([("SET", "x", "5"), ("COPY", "x", "y"), ("OBJECT", "REFCOUNT", "y"),
                 ("OBJECT", "REFCOUNT", "x"), ("RENAME", "y", "z"), ("OBJECT", "REFCOUNT", "z"),
                 ("COPY", "x", "w"), ("MOVE", "w", "1"), ("SELECT", "1"),
                 ("OBJECT", "REFCOUNT", "w"), ("SELECT", "0"), ("INCR", "z"),
                 ("OBJECT", "REFCOUNT", "z"), ("COPY", "x", "v"), ("SET", "v", "7"),
                 ("OBJECT", "REFCOUNT", "v")])


# =============================================================================================
# MOVE
# =============================================================================================

def test_move_cases(d):
    d.check_all([
        ("MOVE", "nokey", "1"),
        ("SET", "a", "1"),
        ("MOVE", "a", "0"),                  # same database: error even for a missing key
        ("MOVE", "nokey", "0"),
        ("MOVE", "a", "1"),
        ("EXISTS", "a"),
        ("SELECT", "1"), ("GET", "a"),
        ("MOVE", "a", "0"), ("SELECT", "0"), ("GET", "a"),
        ("SET", "b", "x" * 100), ("SELECT", "1"), ("SET", "b", "other"), ("SELECT", "0"),
        ("MOVE", "b", "1"),                  # exists in the target: 0, nothing changes
        ("GET", "b"), ("SELECT", "1"), ("GET", "b"), ("SELECT", "0"),
        ("SET", "n", "77"), ("MOVE", "n", "15"), ("SELECT", "15"),
        ("OBJECT", "ENCODING", "n"), ("GET", "n"), ("SELECT", "0"),
        ("MOVE", "a"), ("MOVE", "a", "1", "2"),
    ])


@pytest.mark.parametrize("db", INT_EDGES + ["16", "15"])
def test_move_db_argument(d, db):
    d.check("SET", "a", "1")
    d.check("MOVE", "a", db)
    d.check("MOVE", "nokey", db)
    d.check("EXISTS", "a")


def test_move_carries_the_ttl(d):
    d.check_all([
        ("SET", "a", "1"), ("PEXPIREAT", "a", str(FAR)),
        ("MOVE", "a", "5"), ("PEXPIRETIME", "a"),
        ("SELECT", "5"), ("PEXPIRETIME", "a"), ("EXISTS", "a"),
    ])
    assert same_keyspace(d) == {"db5": (1, 1)}
    d.check_all([
        ("MOVE", "a", "0"), ("SELECT", "0"), ("PEXPIRETIME", "a"),
        ("SET", "p", "1"), ("MOVE", "p", "5"), ("SELECT", "5"), ("PEXPIRETIME", "p"),
    ])
    pipeline_both(d, ("SET", "gone", "1", "PXAT", "1"), ("MOVE", "gone", "2"), ("SELECT", "2"),
                  ("EXISTS", "gone"), ("SELECT", "0"),
                  ("SET", "src", "1"), ("SELECT", "2"), ("SET", "src", "1", "PXAT", "1"),
                  ("SELECT", "0"), ("MOVE", "src", "2"), ("SELECT", "2"), ("GET", "src"))


# =============================================================================================
# OBJECT
# =============================================================================================

def test_object_encoding(d):
    values = ["0", "1", "-1", "9999", "10000", "123456789", "9223372036854775807",
              "-9223372036854775808", "9223372036854775808", "01", "+1", " 1", "1.5", "",
              "abc", "x" * 44, "x" * 45, "x" * 1000]
    for i, v in enumerate(values):
        d.check("SET", f"k{i}", v)
        d.check("OBJECT", "ENCODING", f"k{i}")
        d.check("OBJECT", "REFCOUNT", f"k{i}")
    d.check("APPEND", "k3", "1")
    d.check("OBJECT", "ENCODING", "k3")
    d.check("SETRANGE", "k12", "0", "x")
    d.check("OBJECT", "ENCODING", "k12")
    d.check("OBJECT", "ENCODING", "nokey")
    d.check("OBJECT", "REFCOUNT", "nokey")
    d.check("OBJECT", "IDLETIME", "nokey")
    d.check("OBJECT", "FREQ", "nokey")


def test_object_errors(d):
    d.check_all([
        ("SET", "a", "1"),
        ("OBJECT",), ("OBJECT", "foo"), ("OBJECT", "foo", "a"), ("OBJECT", "ENCODING"),
        ("OBJECT", "ENCODING", "a", "b"), ("OBJECT", "refcount"), ("OBJECT", "HELP", "x"),
        ("OBJECT", "help"), ("OBJECT", "Help"), ("OBJECT", "encoding", "a"),
        ("OBJECT", "FREQ", "a"),             # not an LFU policy: error
    ])
    # the idle time reads a 1-second clock on each server: equal unless a second ticks between
    ours, ref = d.both("OBJECT", "IDLETIME", "a")
    assert ours[:1] == ref[:1] == b":" and abs(int(ours[1:]) - int(ref[1:])) <= 1
    pipeline_both(d, ("SET", "gone", "1", "PXAT", "1"), ("OBJECT", "ENCODING", "gone"),
                  ("OBJECT", "REFCOUNT", "gone"), ("OBJECT", "IDLETIME", "gone"))


@pytest.fixture
def lfu(server, ref):
    """allkeys-lfu on both servers for one test, restored afterwards."""
    clients = (server.raw(), ref.raw())
    old = [value(c.call("CONFIG", "GET", "maxmemory-policy"))[1] for c in clients]
    for c in clients:
        assert c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu") == b"+OK\r\n"
    yield
    for c, policy in zip(clients, old):
        assert c.call("CONFIG", "SET", "maxmemory-policy", policy) == b"+OK\r\n"
        c.close()


def test_object_freq_under_lfu(d, lfu):
    """A new key starts at 5; its first access always takes it to 6 (later ones are random).
    Only real accesses count: EXISTS, TYPE, TTL, OBJECT, KEYS, SCAN do not touch the key."""
    d.check_all([
        ("SET", "k", "v"),
        ("OBJECT", "FREQ", "k"),
        ("EXISTS", "k"), ("TYPE", "k"), ("TTL", "k"), ("PTTL", "k"), ("EXPIRETIME", "k"),
        ("OBJECT", "ENCODING", "k"), ("OBJECT", "REFCOUNT", "k"), ("KEYS", "*"),
        ("SCAN", "0"), ("SCAN", "0", "TYPE", "string"), ("DBSIZE",),
        ("OBJECT", "FREQ", "k"),
        ("TOUCH", "k"),
        ("OBJECT", "FREQ", "k"),
        ("OBJECT", "IDLETIME", "k"),         # error under LFU
        ("OBJECT", "IDLETIME", "nokey"),
        ("SET", "g", "v"), ("GET", "g"), ("OBJECT", "FREQ", "g"),
        ("SET", "r", "v"), ("RENAME", "r", "r2"), ("OBJECT", "FREQ", "r2"),   # RENAME touches
        ("SET", "c", "v"), ("COPY", "c", "c2"), ("OBJECT", "FREQ", "c"),
        ("OBJECT", "FREQ", "c2"),            # a new object
        ("SET", "n", "5"), ("OBJECT", "REFCOUNT", "n"),    # maxmemory 0: still shared
    ])


def test_object_idletime_and_touch(diff):
    """IDLETIME grows while only non-touching commands look at the key; TOUCH and GET reset
    it. (The LRU clock has a one-second resolution.)"""
    d = diff
    setup_both(d, ("SET", "k", "v"), ("SET", "t", "v"), ("SET", "g", "v"))
    time.sleep(2.2)
    for args in [("EXISTS", "k"), ("TYPE", "k"), ("TTL", "k"), ("OBJECT", "ENCODING", "k"),
                 ("KEYS", "*"), ("SCAN", "0"), ("TOUCH", "t"), ("GET", "g")]:
        setup_both(d, args)
    for c in (d.ours, d.ref):
        assert value(c.call("OBJECT", "IDLETIME", "k")) >= 2
        assert value(c.call("OBJECT", "IDLETIME", "t")) <= 1
        assert value(c.call("OBJECT", "IDLETIME", "g")) <= 1


# =============================================================================================
# COMMAND INFO of this group (the declarations in pyredis/commands/keys.py)
# =============================================================================================

GROUP = ["del", "unlink", "exists", "touch", "type", "keys", "scan", "randomkey", "rename",
         "renamenx", "copy", "move", "expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl",
         "expiretime", "pexpiretime", "persist", "object", "dbsize", "select", "swapdb",
         "flushdb", "flushall"]


def decode_loose(buf: bytes, pos: int = 0):
    """Decode RESP2/RESP3 treating simple strings as bulk strings and sets as arrays."""
    end = buf.index(b"\r\n", pos)
    kind, body, nxt = buf[pos:pos + 1], buf[pos + 1:end], end + 2
    if kind == b"$":
        n = int(body)
        return (None, nxt) if n < 0 else (buf[nxt:nxt + n], nxt + n + 2)
    if kind in (b"*", b"~", b"%"):
        n = int(body) * (2 if kind == b"%" else 1)
        out = []
        for _ in range(max(n, 0)):
            item, nxt = decode_loose(buf, nxt)
            out.append(item)
        return out, nxt
    if kind == b":":
        return int(body), nxt
    return body, nxt


@pytest.mark.parametrize("name", GROUP)
def test_command_info_same_as_redis(d, name):
    """Arity, flags, key positions, ACL categories, tips and key specs, byte for byte; a
    container's subcommands are compared in name order (Redis lists them in hash order)."""
    if name != "object":
        d.check("COMMAND", "INFO", name)
        return
    ours, ref = d.both("COMMAND", "INFO", name)
    a, b = decode_loose(ours)[0], decode_loose(ref)[0]
    for info in (a[0], b[0]):
        info[9] = sorted(info[9])
    assert a == b
