"""The string command family, checked against redis-server 7.0 byte for byte.

Most tests are differential: every command goes to pyredis and to the reference redis-server,
and the raw replies must be identical, in RESP2 and in RESP3 (the `d` fixture runs each test
once with `diff` and once with `diff3`). Relative TTLs are never compared exactly (the two
servers set them a few milliseconds apart): `same_expiry` compares PEXPIRETIME with a tolerance.

WRONGTYPE cases are not covered: pyredis has no command yet that creates a non-string key.
"""
import itertools
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import support

# Numbers at the edges, as command arguments and as stored values.
INT_EDGES = [
    "0", "1", "-1", "2", "10", "-10", "+1", "01", "00", " 1", "1 ", "-0", "--1", "1-",
    "2147483647", "2147483648", "2147483646", "-2147483648", "-2147483649", "4294967295",
    "4294967296", "9223372036854775806", "9223372036854775807", "9223372036854775808",
    "-9223372036854775807", "-9223372036854775808", "-9223372036854775809",
    "18446744073709551615", "18446744073709551616", "12345678901234567890",
    "-1234567890123456789", "000000000000000000001", "99999999999999999999",
]
FLOAT_EDGES = [
    "1.5", "-1.5", "0.1", "-0.0", "0.0", "1e5", "1E5", "1e-5", "1e308", "1.7976931348623157e308",
    "1e400", "-1e400", "1e-400", "1e4000", "1e5000", "-1e5000", "1e-5000", "inf", "-inf",
    "+inf", "infinity", "nan", "-nan", "NaN", "0x10", "0X1p4", "0x1.8p1", ".5", "5.", "1.",
    "1.5 ", " 1.5", "1,5", "1e", "e1", "3.14159265358979323846264338327950288",
    "123456789012345678901234567890", "1" * 300,
]
STR_EDGES = [
    "", "a", "hello", "x\x00\r\ny", "\r\n", "\xff\xfe\x80", "a" * 20, "a" * 43, "a" * 44,
    "a" * 45, "1" * 19, "1" * 20, "1" * 21,
]
ALL_EDGES = INT_EDGES + FLOAT_EDGES + STR_EDGES

NOW_S = int(time.time())
FAR_S = NOW_S + 10_000                   # absolute times well in the future
FAR_MS = FAR_S * 1000 + 123
PAST_S = NOW_S - 10_000
PAST_MS = PAST_S * 1000


def int_reply(raw: bytes) -> int:
    assert raw[:1] == b":", raw
    return int(raw[1:-2])


def same_expiry(d, key, tolerance_ms=1000):
    """Both servers agree on the key's expiry: both none (-1), both missing (-2), or absolute
    expiry times within tolerance (relative TTLs are set a few ms apart)."""
    ours, ref = (int_reply(x) for x in d.both("PEXPIRETIME", key))
    if ours < 0 or ref < 0:
        assert ours == ref, f"PEXPIRETIME {key!r}: pyredis {ours} != redis {ref}"
    else:
        assert abs(ours - ref) <= tolerance_ms, f"PEXPIRETIME {key!r}: {ours} vs {ref}"


def same_state(d, *keys):
    """Value, encoding and expiry of every key agree."""
    for k in keys:
        d.check("GET", k)
        d.check("OBJECT", "ENCODING", k)
        same_expiry(d, k)


@pytest.fixture
def small_bulk_len(server, ref):
    """proto-max-bulk-len at its minimum (1mb) on both servers, restored afterwards."""
    clients = [server.raw(), ref.raw()]
    for c in clients:
        assert c.call("CONFIG", "SET", "proto-max-bulk-len", "1mb") == b"+OK\r\n"
    yield 1024 * 1024
    for c in clients:
        assert c.call("CONFIG", "SET", "proto-max-bulk-len", "512mb") == b"+OK\r\n"
        c.close()


# =============================================================================================
# Arity and command-name handling
# =============================================================================================

ARITY = {
    "get": 2, "set": -3, "setnx": 3, "setex": 4, "psetex": 4, "getset": 3, "getdel": 2,
    "getex": -2, "mget": -2, "mset": -3, "msetnx": -3, "append": 3, "strlen": 2,
    "getrange": 4, "substr": 4, "setrange": 4, "incr": 2, "decr": 2, "incrby": 3, "decrby": 3,
    "incrbyfloat": 3, "lcs": -3,
}


@pytest.mark.parametrize("name", sorted(ARITY))
def test_arity(d, name):
    n = ARITY[name]
    for argc in range(1, max(abs(n), 2) + 3):
        args = [name] + ["k", "1", "2", "k2", "3", "4"][:argc - 1]
        d.check(*args)
    d.check(name.upper())
    d.check(name.capitalize(), "k")


def test_mset_msetnx_odd_arguments(d):
    for name in ("MSET", "MSETNX", "mset", "msetnx"):
        d.check(name, "a")
        d.check(name, "a", "1", "b")
        d.check(name, "a", "1", "b", "2", "c")
    d.check("EXISTS", "a", "b", "c")


# =============================================================================================
# SET and its options
# =============================================================================================

SET_TOKENS = [("NX",), ("XX",), ("GET",), ("KEEPTTL",), ("EX", "100"), ("PX", "100000"),
              ("EXAT", str(FAR_S)), ("PXAT", str(FAR_MS))]


def test_set_option_combinations(d):
    """Every ordered choice of up to three options, on a missing key and on a key with a TTL:
    the reply, the value left behind and its expiry."""
    for n in range(1, 4):
        for combo in itertools.permutations(SET_TOKENS, n):
            opts = [t for token in combo for t in token]
            for existing in (False, True):
                d.check("DEL", "k")
                if existing:
                    d.check("SET", "k", "old", "EX", "1000")
                d.check("SET", "k", "new", *opts)
                d.check("GET", "k")
                same_expiry(d, "k")


def test_set_option_spelling(d):
    d.check("SET", "k", "old")
    for opts in [("nx",), ("Nx",), ("xX",), ("get",), ("GeT",), ("keepttl",), ("KeepTTL",),
                 ("ex", "100"), ("pX", "100000"), ("exat", str(FAR_S)), ("PxAt", str(FAR_MS)),
                 # Redis compares options as C strings: text after a NUL byte is ignored
                 ("nx\x00junk",), ("xx\x00",), ("get\x00x",), ("keepttl\x00x",),
                 ("ex\x00z", "100"), ("exat\x00", str(FAR_S)),
                 ("nxx",), ("n",), ("",), ("EXX", "1"), ("PERSIST",), ("GETT",)]:
        d.check("SET", "k", "v", *opts)
        d.check("GET", "k")
        same_expiry(d, "k")


def test_set_invalid_combinations(d):
    d.check("SET", "k", "old")
    for opts in [("NX", "XX"), ("XX", "NX"), ("NX", "NX", "XX"), ("KEEPTTL", "EX", "10"),
                 ("EX", "10", "KEEPTTL"), ("PX", "10", "KEEPTTL"), ("EXAT", "10", "KEEPTTL"),
                 ("PXAT", "10", "KEEPTTL"), ("EX", "10", "PX", "10"), ("PX", "10", "EX", "10"),
                 ("EX", "10", "EXAT", "10"), ("EXAT", "10", "PXAT", "10"),
                 ("PXAT", "10", "PX", "10"), ("EX",), ("PX",), ("EXAT",), ("PXAT",),
                 ("NX", "EX"), ("GET", "PX"), ("EX", "NX"), ("PX", "GET"), ("EX", "EX"),
                 ("foo",), ("NX", "foo"), ("1",), ("EX", "10", "foo"), ("PERSIST",),
                 ("EX", "10", "EX", "20"), ("NX", "NX"), ("GET", "GET"), ("XX", "XX"),
                 ("KEEPTTL", "KEEPTTL"), ("PX", "100000", "PX", "200000")]:
        d.check("SET", "k", "v", *opts)
        d.check("GET", "k")
        same_expiry(d, "k")


# (no small positive times: a key with a 1 ms TTL may be gone on one server and not yet
# on the other when PEXPIRETIME is compared)
EXPIRE_ARGS = ["0", "-1", "3000", "abc", "1.5", "", " 1", "+1", "01", "2147483648", "4294967296",
               "9223372036854775", "9223372036854776", "9223372036854775807",
               "-9223372036854775808", "9223372036854775808", str(PAST_S), str(PAST_MS)]


@pytest.mark.parametrize("unit", ["EX", "PX", "EXAT", "PXAT"])
def test_set_expire_values(d, unit):
    for value in EXPIRE_ARGS:
        for extra in ((), ("GET",), ("NX",), ("XX", "GET")):
            d.check("SET", "k", "old")
            d.check("SET", "k", "v", unit, value, *extra)
            d.check("EXISTS", "k")
            same_expiry(d, "k")


def test_set_past_absolute_time_expires_at_once(d):
    for opts in (("EXAT", "1"), ("PXAT", "1"), ("EXAT", str(PAST_S)), ("PXAT", str(PAST_MS))):
        d.check("SET", "k", "old")
        d.check("SET", "k", "v", *opts)
        d.check("GET", "k")
        d.check("EXISTS", "k")
        d.check("SET", "k", "v2", *opts, "GET")
        d.check("SET", "k", "v3", *opts, "NX", "GET")
        d.check("EXISTS", "k")


def test_set_ttl_handling(d):
    d.check("SET", "k", "v", "EX", "1000")
    same_expiry(d, "k")
    d.check("SET", "k", "v2")                      # a plain SET drops the TTL
    same_expiry(d, "k")
    d.check("SET", "k", "v", "PX", "5000000")
    d.check("SET", "k", "v3", "KEEPTTL")           # KEEPTTL keeps it
    same_expiry(d, "k")
    d.check("SET", "k", "v4", "XX", "KEEPTTL", "GET")
    same_expiry(d, "k")
    d.check("SET", "k", "v5", "NX", "EX", "7")     # NX fails: nothing changes
    same_expiry(d, "k")
    d.check("SET", "k", "v5", "XX", "GET")         # XX succeeds: TTL dropped
    same_expiry(d, "k")
    d.check("DEL", "k")
    d.check("SET", "k", "v", "KEEPTTL")            # KEEPTTL on a missing key: no TTL
    same_expiry(d, "k")
    d.check("SET", "k", "v", "EXAT", str(FAR_S))
    d.check("SET", "k", "v", "PXAT", str(FAR_MS), "GET")
    d.check("PEXPIRETIME", "k")                    # absolute times compare exactly


def test_set_get_values(d):
    """Empty, binary, boundary-length and large values round-trip unchanged."""
    values = ALL_EDGES + ["\x00", "\x00" * 10, "\r", "\n", "x" * 512, "y" * 100 * 1024,
                          bytes(range(256)) * 4]
    for i, value in enumerate(values):
        d.check("SET", "k", value)
        d.check("GET", "k")
        d.check("STRLEN", "k")
        d.check("OBJECT", "ENCODING", "k")
        d.check("SET", "k", "other", "GET")
        d.check("SET", "k%d" % i, value, "NX", "GET")
        d.check("GET", "k%d" % i)
    d.check("GET", "missing")
    d.check("SET", "", "empty key")
    d.check("GET", "")
    d.check("SET", "k\x00\r\n", "binary key")
    d.check("GET", "k\x00\r\n")
    d.check("GET", "k\x00")


def test_set_nx_xx_get(d):
    d.check("SET", "k", "v", "XX")
    d.check("SET", "k", "v", "XX", "GET")
    d.check("EXISTS", "k")
    d.check("SET", "k", "v1", "NX")
    d.check("SET", "k", "v2", "NX")
    d.check("SET", "k", "v3", "NX", "GET")
    d.check("GET", "k")
    d.check("SET", "k", "v4", "XX")
    d.check("SET", "k", "v5", "XX", "GET")
    d.check("SET", "k", "12345", "GET")
    d.check("SET", "k", "x", "GET")              # old value int-encoded
    d.check("DEL", "k")
    d.check("SET", "k", "v", "GET", "NX")
    d.check("GET", "k")


# =============================================================================================
# SETNX, SETEX, PSETEX, GETSET, GETDEL
# =============================================================================================

def test_setnx(d):
    d.check("SETNX", "k", "v1")
    d.check("SETNX", "k", "v2")
    d.check("GET", "k")
    d.check("SET", "t", "v", "EX", "1000")
    d.check("SETNX", "t", "v2")
    same_expiry(d, "t")
    for v in ALL_EDGES:
        d.check("DEL", "k")
        d.check("SETNX", "k", v)
        d.check("OBJECT", "ENCODING", "k")
        d.check("GET", "k")


@pytest.mark.parametrize("cmd", ["SETEX", "PSETEX"])
def test_setex_psetex(d, cmd):
    for t in EXPIRE_ARGS + ["100000"]:
        d.check("SET", "k", "old")
        d.check(cmd, "k", t, "new")
        d.check("GET", "k")
        same_expiry(d, "k")
    for v in ALL_EDGES:
        d.check(cmd, "k", "100000", v)
        d.check("GET", "k")
        d.check("OBJECT", "ENCODING", "k")
    d.check("DEL", "k")
    d.check(cmd, "k", "1000000", "v")
    same_expiry(d, "k")


def test_getset(d):
    d.check("GETSET", "k", "v1")
    d.check("GETSET", "k", "v2")
    d.check("GET", "k")
    d.check("SET", "k", "1", "EX", "1000")
    d.check("GETSET", "k", "2")                  # drops the TTL
    same_expiry(d, "k")
    for v in ALL_EDGES:
        d.check("GETSET", "k", v)
        d.check("OBJECT", "ENCODING", "k")
    d.check("GET", "k")


def test_getdel(d):
    d.check("GETDEL", "k")
    d.check("SET", "k", "v")
    d.check("GETDEL", "k")
    d.check("EXISTS", "k")
    d.check("GETDEL", "k")
    d.check("SET", "k", "123", "EX", "1000")
    d.check("GETDEL", "k")
    same_expiry(d, "k")
    d.check("SET", "k", "y" * 100 * 1024)
    d.check("GETDEL", "k")
    d.check("SET", "k", "v", "PXAT", "1")
    d.check("GETDEL", "k")


# =============================================================================================
# GETEX
# =============================================================================================

GETEX_TOKENS = [("PERSIST",), ("EX", "100"), ("PX", "100000"), ("EXAT", str(FAR_S)),
                ("PXAT", str(FAR_MS)), ("EXAT", "1"), ("PXAT", str(PAST_MS))]


def test_getex_option_combinations(d):
    for n in range(0, 3):
        for combo in itertools.permutations(GETEX_TOKENS, n):
            opts = [t for token in combo for t in token]
            for state in ("missing", "plain", "ttl"):
                d.check("DEL", "k")
                if state == "plain":
                    d.check("SET", "k", "12")
                elif state == "ttl":
                    d.check("SET", "k", "value", "EX", "1000")
                d.check("GETEX", "k", *opts)
                d.check("EXISTS", "k")
                same_expiry(d, "k")


def test_getex_invalid(d):
    d.check("SET", "k", "v", "EX", "1000")
    for opts in [("NX",), ("XX",), ("GET",), ("KEEPTTL",), ("PERSIST", "PERSIST"),
                 ("PERSIST", "EX", "10"), ("EX", "10", "PERSIST"), ("EX",), ("PXAT",),
                 ("EX", "10", "PX", "10"), ("EXAT", "10", "PXAT", "10"), ("foo",),
                 ("persist\x00x",), ("EX", "10", "EX", "20"), ("ex", "100")]:
        d.check("GETEX", "k", *opts)
        same_expiry(d, "k")


@pytest.mark.parametrize("unit", ["EX", "PX", "EXAT", "PXAT"])
def test_getex_expire_values(d, unit):
    for value in EXPIRE_ARGS:
        d.check("SET", "k", "v")
        d.check("GETEX", "k", unit, value)
        d.check("EXISTS", "k")
        same_expiry(d, "k")
        # Redis looks the key up before it validates the time: a missing key is nil
        d.check("GETEX", "missing", unit, value)


def test_getex_past_absolute_time_deletes(d):
    for opts in (("EXAT", "1"), ("PXAT", "1"), ("EXAT", str(NOW_S - 1)),
                 ("PXAT", str(PAST_MS))):
        d.check("SET", "k", "v", "EX", "1000")
        d.check("GETEX", "k", *opts)
        d.check("EXISTS", "k")
        d.check("GETEX", "k", *opts)


def test_getex_persist(d):
    d.check("SET", "k", "v", "PX", "1000000")
    d.check("GETEX", "k")
    same_expiry(d, "k")
    d.check("GETEX", "k", "PERSIST")
    same_expiry(d, "k")
    d.check("GETEX", "k", "PERSIST")
    d.check("GETEX", "k", "EX", "50")
    same_expiry(d, "k")


# =============================================================================================
# MGET, MSET, MSETNX
# =============================================================================================

def test_mget(d):
    d.check("MGET", "a")
    d.check("MSET", "a", "1", "b", "", "c", "x\x00y")
    d.check("MGET", "a", "b", "c", "missing", "a", "a")
    keys = ["k%d" % i for i in range(300)]
    d.check("MSET", *[x for k in keys[::2] for x in (k, k * 3)])
    d.check("MGET", *keys)
    d.check("SET", "t", "v", "PXAT", "1")
    d.check("MGET", "t", "a")


def test_mset(d):
    d.check("MSET", "a", "1")
    d.check("MSET", "a", "2", "a", "3")          # the last value wins
    d.check("GET", "a")
    d.check("SET", "t", "v", "EX", "1000")
    d.check("MSET", "t", "w", "u", "z")          # drops the TTL
    same_state(d, "t", "u")
    pairs = [x for i, v in enumerate(ALL_EDGES) for x in ("e%d" % i, v)]
    d.check("MSET", *pairs)
    same_state(d, *["e%d" % i for i in range(len(ALL_EDGES))])


def test_msetnx(d):
    d.check("MSETNX", "a", "1", "b", "2")
    d.check("MSETNX", "b", "3", "c", "4")        # b exists: nothing is set
    d.check("MGET", "a", "b", "c")
    d.check("MSETNX", "c", "5", "c", "6")        # duplicates: both written, last wins
    d.check("GET", "c")
    d.check("SET", "t", "v", "PXAT", "1")        # an expired key does not count
    d.check("MSETNX", "t", "w", "u", "x")
    d.check("MGET", "t", "u")
    pairs = [x for i, v in enumerate(ALL_EDGES) for x in ("e%d" % i, v)]
    d.check("MSETNX", *pairs)
    same_state(d, *["e%d" % i for i in range(len(ALL_EDGES))])


# =============================================================================================
# APPEND, STRLEN
# =============================================================================================

def test_append(d):
    d.check("APPEND", "k", "")                   # creates an empty string
    d.check("EXISTS", "k")
    d.check("OBJECT", "ENCODING", "k")
    d.check("DEL", "k")
    for v in ALL_EDGES:
        d.check("DEL", "k")
        d.check("APPEND", "k", v)                # a new key gets Redis's encoding of v
        d.check("OBJECT", "ENCODING", "k")
        d.check("APPEND", "k", v)                # an existing one always ends up raw
        d.check("OBJECT", "ENCODING", "k")
        d.check("GET", "k")
    for v in ALL_EDGES:
        d.check("SET", "k", v)
        d.check("APPEND", "k", "")
        d.check("OBJECT", "ENCODING", "k")
        d.check("GET", "k")


def test_append_keeps_ttl_and_grows(d):
    d.check("SET", "k", "12", "EX", "1000")
    d.check("APPEND", "k", "3")
    d.check("GET", "k")
    same_expiry(d, "k")
    d.check("INCR", "k")                         # a raw "123" still counts as an integer
    d.check("OBJECT", "ENCODING", "k")
    rng = random.Random(1)
    for i in range(300):
        d.check("APPEND", "g", bytes(rng.randrange(256) for _ in range(rng.randrange(40))))
    d.check("GET", "g")
    d.check("STRLEN", "g")
    d.check("APPEND", "g", "z" * 100 * 1024)
    d.check("STRLEN", "g")
    d.check("GETRANGE", "g", "-5", "-1")


def test_strlen(d):
    d.check("STRLEN", "missing")
    for v in ALL_EDGES + ["\x00\x00", "z" * 100 * 1024]:
        d.check("SET", "k", v)
        d.check("STRLEN", "k")
    d.check("SET", "k", "-9223372036854775808")
    d.check("STRLEN", "k")


# =============================================================================================
# GETRANGE, SUBSTR
# =============================================================================================

RANGE_INDEXES = ["0", "1", "-1", "2", "-2", "4", "-4", "5", "-5", "6", "-6", "100", "-100",
                 "2147483647", "-2147483648", "2147483648", "-2147483649", "4294967296",
                 "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                 "+1", "01", "a", "1.0", ""]


@pytest.mark.parametrize("cmd", ["GETRANGE", "SUBSTR"])
def test_getrange(d, cmd):
    for value in (None, "", "hello", "12345", "-1234", "x\x00\r\ny" * 10):
        d.check("DEL", "k")
        if value is not None:
            d.check("SET", "k", value)
        for start in RANGE_INDEXES:
            for end in RANGE_INDEXES:
                d.check(cmd, "k", start, end)


# =============================================================================================
# SETRANGE
# =============================================================================================

SETRANGE_OFFSETS = ["0", "1", "3", "5", "6", "10", "100", "-1", "+1", "01", "a", "",
                    "-2147483648", "-9223372036854775808", "536870912", "536870911",
                    "2147483647", "2147483648", "4294967295", "4294967296",
                    "9223372036854775807", "9223372036854775808"]


def test_setrange_offsets(d):
    for start in (None, "", "hello", "123", "x" * 50):
        for offset in SETRANGE_OFFSETS:
            for value in ("", "ab", "\x00\r\n"):
                d.check("DEL", "k")
                if start is not None:
                    d.check("SET", "k", start)
                d.check("SETRANGE", "k", offset, value)
                d.check("GET", "k")
                d.check("EXISTS", "k")


def test_setrange_encoding_and_ttl(d):
    for start in ("123", "hello", "a" * 44, "a" * 45):
        d.check("SET", "k", start, "EX", "1000")
        d.check("SETRANGE", "k", "1", "9")
        d.check("OBJECT", "ENCODING", "k")       # always raw afterwards
        d.check("GET", "k")
        same_expiry(d, "k")
        d.check("INCR", "k")
        d.check("SET", "k", start)
        d.check("SETRANGE", "k", "0", "")        # an empty value changes nothing
        d.check("OBJECT", "ENCODING", "k")
    d.check("DEL", "k")
    d.check("SETRANGE", "k", "0", "12")
    d.check("OBJECT", "ENCODING", "k")
    d.check("SETRANGE", "k", "20", "x")          # zero padding
    d.check("GET", "k")
    d.check("SETRANGE", "k", "2", "y" * 100 * 1024)
    d.check("STRLEN", "k")
    d.check("GETRANGE", "k", "0", "30")


def test_setrange_past_512mb_is_refused(d):
    """With the default proto-max-bulk-len (512 MB) offsets past it are refused, without
    allocating anything."""
    for offset in ("536870912", "536870911", "2147483647", "4294967296",
                   "9223372036854775806", "9223372036854775807"):
        d.check("SETRANGE", "k", offset, "ab")
        d.check("EXISTS", "k")
        d.check("SET", "k", "v")
        d.check("SETRANGE", "k", offset, "ab")
        d.check("GET", "k")
        d.check("DEL", "k")


def test_setrange_append_bulk_limit(d, small_bulk_len):
    limit = small_bulk_len
    d.check("CONFIG", "GET", "proto-max-bulk-len")
    d.check("SETRANGE", "k", str(limit - 1), "a")     # exactly at the limit: fine
    d.check("STRLEN", "k")
    d.check("SETRANGE", "k", str(limit - 1), "ab")    # one past: refused
    d.check("SETRANGE", "k", str(limit), "a")
    d.check("SETRANGE", "k", str(limit), "")          # nothing to write: no check
    d.check("APPEND", "k", "x")
    d.check("APPEND", "k", "")
    d.check("STRLEN", "k")
    d.check("SETRANGE", "new", str(limit), "a")
    d.check("SETRANGE", "new", str(limit + 100), "")
    d.check("EXISTS", "new")
    d.check("SET", "k", "x" * (limit - 3))
    d.check("APPEND", "k", "yyy")
    d.check("APPEND", "k", "y")
    d.check("STRLEN", "k")
    d.check("SET", "n", "12")
    d.check("SETRANGE", "n", str(limit - 2), "ab")
    d.check("SET", "n", "12")
    d.check("SETRANGE", "n", str(limit - 2), "abc")
    d.check("GET", "n")


# =============================================================================================
# INCR, DECR, INCRBY, DECRBY
# =============================================================================================

def test_incr_decr_values(d):
    """INCR and DECR on every edge value: parse rules, overflow, encoding afterwards."""
    for v in ALL_EDGES:
        for cmd in ("INCR", "DECR"):
            d.check("SET", "k", v)
            d.check(cmd, "k")
            d.check("GET", "k")
            d.check("OBJECT", "ENCODING", "k")
    d.check("INCR", "new1")
    d.check("DECR", "new2")
    d.check("OBJECT", "ENCODING", "new1")


def test_incrby_decrby_matrix(d):
    for base in ("0", "10", "-10", "9223372036854775800", "-9223372036854775800",
                 "9223372036854775807", "-9223372036854775808", "abc", ""):
        for inc in INT_EDGES + ["1.5", "1e5", "abc", "", "0x10"]:
            for cmd in ("INCRBY", "DECRBY"):
                d.check("SET", "k", base)
                d.check(cmd, "k", inc)
                d.check("GET", "k")
    d.check("DECRBY", "new", "-9223372036854775808")
    d.check("DECRBY", "new", "9223372036854775807")
    d.check("DECRBY", "new", "1")
    d.check("INCRBY", "new", "-1")


def test_incr_keeps_ttl(d):
    for cmd in (("INCR", "k"), ("DECR", "k"), ("INCRBY", "k", "5"), ("DECRBY", "k", "5"),
                ("INCRBYFLOAT", "k", "1.5")):
        d.check("SET", "k", "10", "EX", "1000")
        d.check(*cmd)
        same_expiry(d, "k")
        d.check("GET", "k")


def test_incr_non_integer_stored_values(d):
    """Values that look numeric but are not canonical are refused; values made by other
    commands (APPEND, SETRANGE, INCRBYFLOAT) are parsed from their bytes."""
    d.check("SET", "k", "1")
    d.check("APPEND", "k", "0")
    d.check("INCR", "k")
    d.check("OBJECT", "ENCODING", "k")
    d.check("SET", "k", "5")
    d.check("INCRBYFLOAT", "k", "5")              # "10" as an embstr
    d.check("OBJECT", "ENCODING", "k")
    d.check("INCR", "k")
    d.check("OBJECT", "ENCODING", "k")
    d.check("SETRANGE", "k", "0", "0")
    d.check("INCR", "k")
    d.check("SET", "k", "9223372036854775807")
    d.check("APPEND", "k", "")
    d.check("INCR", "k")
    d.check("DECR", "k")


# =============================================================================================
# INCRBYFLOAT
# =============================================================================================

def test_incrbyfloat_matrix(d):
    bases = (None, "0", "1", "-1", "10.5", "3.0e3", "1e400", "0x10", "inf", "abc", "",
             "9223372036854775807", "1.7976931348623157e308", " 1", "1 ")
    incs = ["0", "1", "-1", "0.1", "-0.1", "1.5", "-10.5", "1e5", "2.5e-3", "1e300", "1e400",
            "-1e400", "1e-400", "1e5000", "1e-5000", "inf", "-inf", "nan", "0x10", "0x1p-2",
            "1e", "", " 1", "1 ", "1.0.0", "9223372036854775807", "-9223372036854775808",
            "3.14159265358979323846264338327950288", "5.0e3", "1" * 300, "1" * 4000,
            "1" * 6000, "0" * 5116 + "1.5", "0" * 5117 + "1.5", "0." + "0" * 4000 + "1"]
    for base in bases:
        for inc in incs:
            d.check("DEL", "k")
            if base is not None:
                d.check("SET", "k", base)
            d.check("INCRBYFLOAT", "k", inc)
            d.check("GET", "k")
            d.check("OBJECT", "ENCODING", "k")


def test_incrbyfloat_formatting(d):
    """Repeated additions: the 17-digit rounding and trailing-zero trimming agree."""
    d.check("SET", "k", "0")
    for _ in range(30):
        d.check("INCRBYFLOAT", "k", "0.1")
    for _ in range(10):
        d.check("INCRBYFLOAT", "k", "-0.7")
    d.check("SET", "k", "1")
    d.check("INCRBYFLOAT", "k", "-1")             # "0", never "-0"
    d.check("INCRBYFLOAT", "k", "-0.0")
    d.check("SET", "k", "-0.5")
    d.check("INCRBYFLOAT", "k", "0.5")
    d.check("INCRBYFLOAT", "k", "1e30")           # 31 digits, embstr
    d.check("OBJECT", "ENCODING", "k")
    d.check("INCRBYFLOAT", "k", "1e50")           # past 44 bytes: raw
    d.check("OBJECT", "ENCODING", "k")
    d.check("INCRBYFLOAT", "k", "1e4000")          # a 4001-digit long double
    d.check("STRLEN", "k")
    d.check("INCRBYFLOAT", "k", "1e4000")
    d.check("SET", "k", "1.18973149535723176502e+4932")
    d.check("INCRBYFLOAT", "k", "1e4932")          # overflows the long double
    d.check("GET", "k")


def test_incrbyfloat_argument_with_nul(d):
    d.check("SET", "k", "1")
    d.check("INCRBYFLOAT", "k", "abc\x001")
    d.check("GET", "k")


def test_incrbyfloat_nul_inside_number(d):
    # the whole argument must parse: a NUL byte inside a number is not its end
    d.check("SET", "k", "1")
    d.check("INCRBYFLOAT", "k", "1\x00x")
    d.check("INCRBYFLOAT", "k", "\x00")
    d.check("SET", "k", "1\x00")
    d.check("INCRBYFLOAT", "k", "1")
    d.check("GET", "k")


# =============================================================================================
# LCS
# =============================================================================================

LCS_OPTIONS = [(), ("LEN",), ("IDX",), ("IDX", "WITHMATCHLEN"), ("WITHMATCHLEN",),
               ("IDX", "MINMATCHLEN", "2"), ("IDX", "MINMATCHLEN", "3", "WITHMATCHLEN"),
               ("MINMATCHLEN", "4", "IDX"), ("MINMATCHLEN", "-5", "IDX"),
               ("MINMATCHLEN", "9223372036854775807", "IDX"),
               ("MINMATCHLEN", "-9223372036854775808", "IDX"), ("MINMATCHLEN", "2"),
               ("len", "LEN"), ("idx", "idx"), ("withmatchlen", "IDX", "withmatchlen"),
               ("LEN", "MINMATCHLEN", "1"), ("LEN", "WITHMATCHLEN"),
               # errors
               ("LEN", "IDX"), ("IDX", "LEN"), ("MINMATCHLEN",), ("IDX", "MINMATCHLEN"),
               ("MINMATCHLEN", "abc"), ("MINMATCHLEN", "1.5"), ("foo",), ("IDX", "foo"),
               ("idx\x00x",)]


def test_lcs_options(d):
    d.check("MSET", "a", "ohmytext", "b", "mynewtext", "n", "12345", "m", "-2345")
    for k1, k2 in (("a", "b"), ("b", "a"), ("a", "a"), ("a", "missing"), ("missing", "b"),
                   ("missing", "missing"), ("n", "m"), ("n", "a")):
        for opts in LCS_OPTIONS:
            d.check("LCS", k1, k2, *opts)


def test_lcs_random_strings(d):
    rng = random.Random(7)
    for _ in range(150):
        alphabet = rng.choice([b"ab", b"abc", b"acgt", b"a\x00\r\n"])
        a = bytes(rng.choice(alphabet) for _ in range(rng.randrange(16)))
        b = bytes(rng.choice(alphabet) for _ in range(rng.randrange(16)))
        d.check("MSET", "a", a, "b", b)
        d.check("LCS", "a", "b")
        d.check("LCS", "a", "b", "IDX", "WITHMATCHLEN")
        d.check("LCS", "a", "b", "IDX", "MINMATCHLEN", str(rng.randrange(4)))
        d.check("LCS", "a", "b", "LEN")


def test_lcs_longer_strings(d):
    rng = random.Random(3)
    a = bytes(rng.choice(b"abcd") for _ in range(300))
    b = bytes(rng.choice(b"abcd") for _ in range(400))
    d.check("MSET", "a", a, "b", b)
    d.check("LCS", "a", "b")
    d.check("LCS", "a", "b", "IDX", "MINMATCHLEN", "3", "WITHMATCHLEN")
    d.check("LCS", "a", "b", "LEN")


def test_lcs_memory_limit(d, small_bulk_len):
    # the table holds (len(a)+1) * (len(b)+1) 32-bit cells; 1mb is 512 * 512 cells
    d.check("MSET", "a", "x" * 511, "b", "y" * 511)
    d.check("LCS", "a", "b", "LEN")
    d.check("LCS", "a", "b", "IDX")
    d.check("SET", "a", "x" * 512)
    d.check("LCS", "a", "b", "LEN")
    d.check("LCS", "a", "b")
    d.check("LCS", "a", "missing")
    d.check("LCS", "b", "a", "IDX", "WITHMATCHLEN")
    d.check("LCS", "a", "b", "IDX", "LEN")        # option errors come first
    d.check("LCS", "a", "b", "foo")


# =============================================================================================
# OBJECT ENCODING boundaries
# =============================================================================================

def test_encoding_boundaries(d):
    cases = ["0", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
             "12345678901234567890", "1" * 20, "1" * 21, "-" + "1" * 19, "+5", "05", "5 ",
             "a" * 44, "a" * 45, "1" * 44, "1" * 45, "", "1.5"]
    for i, v in enumerate(cases):
        d.check("SET", "s%d" % i, v)
        d.check("OBJECT", "ENCODING", "s%d" % i)
        d.check("SETEX", "x%d" % i, "1000", v)
        d.check("OBJECT", "ENCODING", "x%d" % i)
    d.check("SET", "k", "a" * 43)
    d.check("APPEND", "k", "b")                  # 44 bytes but appended: raw
    d.check("OBJECT", "ENCODING", "k")
    d.check("SET", "k", "a" * 44)
    d.check("OBJECT", "ENCODING", "k")
    d.check("SET", "k", "2")
    d.check("INCRBYFLOAT", "k", "1")             # an integer result stays embstr
    d.check("OBJECT", "ENCODING", "k")
    d.check("SET", "k", "12345678901234567890123456789012345678901234")
    d.check("INCRBYFLOAT", "k", "1")
    d.check("OBJECT", "ENCODING", "k")


def test_refcount_of_shared_integers(d):
    """Small integers (0..9999) are shared objects, as OBJECT REFCOUNT shows, whichever
    command stored them; values made by APPEND, SETRANGE or INCRBYFLOAT are not."""
    for v in ("0", "5", "9999", "10000", "-1", "abc"):
        for setup in (("SET", "k", v), ("MSET", "k", v), ("GETSET", "k", v),
                      ("SETEX", "k", "100", v), ("SETNX", "k", v), ("APPEND", "k", v),
                      ("SET", "k", v, "GET"), ("SETRANGE", "k", "0", v)):
            d.check("DEL", "k")
            d.check(*setup)
            d.check("OBJECT", "REFCOUNT", "k")
        for change in (("INCR", "k"), ("DECRBY", "k", "10000"), ("INCRBY", "k", "0"),
                       ("INCRBYFLOAT", "k", "0")):
            d.check("SET", "k", v)
            d.check(*change)
            d.check("OBJECT", "REFCOUNT", "k")
        d.check("DEL", "k")
        d.check("INCRBY", "k", v)
        d.check("OBJECT", "REFCOUNT", "k")


@pytest.fixture
def lru_with_maxmemory(server, ref):
    clients = [server.raw(), ref.raw()]
    for c in clients:
        assert c.call("CONFIG", "SET", "maxmemory", "1gb") == b"+OK\r\n"
        assert c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru") == b"+OK\r\n"
    yield
    for c in clients:
        assert c.call("CONFIG", "SET", "maxmemory-policy", "noeviction") == b"+OK\r\n"
        assert c.call("CONFIG", "SET", "maxmemory", "0") == b"+OK\r\n"
        c.close()


def test_no_shared_integers_under_lru_maxmemory(d, lru_with_maxmemory):
    for v in ("5", "9999", "10000"):
        for setup in (("SET", "k", v), ("MSET", "k", v), ("INCRBY", "new", v)):
            d.check("DEL", "k", "new")
            d.check(*setup)
            d.check("OBJECT", "REFCOUNT", setup[1])
            d.check("OBJECT", "ENCODING", setup[1])
        d.check("INCR", "k")
        d.check("OBJECT", "REFCOUNT", "k")


def test_value_moves_keep_ttl_rows(d):
    """Growing and shrinking a value in place (embstr entries are resized) while the key has
    a TTL: the TTL must follow the value."""
    for i in range(50):
        d.check("SET", "t%d" % i, "v", "PX", str(1_000_000 + i))
    for n in list(range(0, 50)) + list(range(50, 0, -7)):
        for i in range(0, 50, 7):
            d.check("SET", "t%d" % i, "z" * n, "KEEPTTL")
            d.check("GET", "t%d" % i)
    for i in range(50):
        same_expiry(d, "t%d" % i)
    d.check("DBSIZE")


def test_pipelined_commands(d):
    """Many string commands in one write: the replies come back complete and in order."""
    rng = random.Random(11)
    batch = []
    for i in range(500):
        k = "p%d" % rng.randrange(20)
        batch.append(rng.choice([("SET", k, str(i)), ("INCR", k), ("APPEND", k, "x"),
                                 ("GET", k), ("GETRANGE", k, "0", "2"), ("STRLEN", k),
                                 ("INCRBYFLOAT", k, "0.5"), ("GETDEL", k), ("MGET", k, "p0")]))
    payload = b"".join(support.encode(*args) for args in batch)
    replies = []
    for client in (d.ours, d.ref):
        client.send(payload)
        replies.append([client.read_reply() for _ in batch])
    for args, ours, ref in zip(batch, *replies):
        assert ours == ref, f"{args!r}: pyredis {ours!r} != redis {ref!r}"


# =============================================================================================
# Statistics: keyspace hits/misses, changes since the last save, error counts
# =============================================================================================

STAT_FIELDS = ("keyspace_hits", "keyspace_misses", "rdb_changes_since_last_save",
               "total_error_replies")


def read_stats(client) -> dict:
    text = (client.call("INFO", "stats") + client.call("INFO", "persistence")).decode()
    out = {}
    for line in text.split("\r\n"):
        name, _, value = line.partition(":")
        if name in STAT_FIELDS:
            out[name] = int(value)
    assert set(out) == set(STAT_FIELDS), text
    return out


STAT_COMMANDS = [
    ("GET", "k"), ("GET", "nope"), ("SET", "k", "v"), ("SET", "k", "v", "GET"),
    ("SET", "nope", "v", "GET"), ("SET", "k", "v", "NX"), ("SET", "k", "v", "XX"),
    ("SET", "k", "v", "EX", "0"), ("SETNX", "k", "v"), ("SETNX", "nope", "v"),
    ("GETDEL", "k"), ("GETDEL", "nope"), ("GETEX", "k"), ("GETEX", "nope"),
    ("GETEX", "k", "PERSIST"), ("GETEX", "k", "EX", "100"), ("GETEX", "k", "EXAT", "1"),
    ("GETEX", "k", "EX", "-1"), ("GETEX", "nope", "EX", "-1"), ("MGET", "k", "nope", "k"),
    ("MSET", "k", "1", "x", "2"), ("MSETNX", "k", "1", "y", "2"), ("MSETNX", "z", "1", "y", "2"),
    ("APPEND", "k", "x"), ("APPEND", "nope", "x"), ("STRLEN", "k"), ("STRLEN", "nope"),
    ("GETRANGE", "k", "0", "1"), ("GETRANGE", "nope", "0", "1"), ("SETRANGE", "k", "0", "x"),
    ("SETRANGE", "k", "0", ""), ("SETRANGE", "nope", "0", ""), ("INCR", "k"),
    ("INCRBY", "k", "x"), ("DECRBY", "k", "-9223372036854775808"), ("INCRBYFLOAT", "k", "1"),
    ("LCS", "k", "nope"), ("LCS", "k", "k", "IDX"), ("GETSET", "k", "x"),
    ("GETSET", "nope", "x"), ("SETEX", "k", "10", "v"), ("PSETEX", "k", "10000", "v"),
    ("SET", "k", "v", "PXAT", "1"),
]


@pytest.mark.parametrize("value", ["v", "5"])
def test_statistics(diff, value):
    for args in STAT_COMMANDS:
        diff.check("FLUSHALL")
        diff.check("SET", "k", value)
        before = read_stats(diff.ours), read_stats(diff.ref)
        diff.check(*args)
        after = read_stats(diff.ours), read_stats(diff.ref)
        deltas = [{f: a[f] - b[f] for f in STAT_FIELDS} for a, b in zip(after, before)]
        assert deltas[0] == deltas[1], f"{args}: pyredis {deltas[0]} != redis {deltas[1]}"


# =============================================================================================
# COMMAND INFO of the string commands
# =============================================================================================

@pytest.mark.parametrize("name", sorted(ARITY))
def test_command_info(d, name):
    d.check("COMMAND", "INFO", name)
    d.check("COMMAND", "GETKEYS", name, "k1", "v1", "k2", "v2")


# =============================================================================================
# Random command sequences (hypothesis)
# =============================================================================================

KEYS = ["a", "b", "c\x00\r\n"]
ALL_BYTES = bytes(range(256))
# (values stay short so that LCS tables stay small)
HYPOTHESIS_EDGES = [v for v in ALL_EDGES if len(v) <= 64 and v not in ("1e4000",)]
values = st.one_of(
    st.sampled_from(HYPOTHESIS_EDGES),
    st.integers(-1000, 1000).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.lists(st.sampled_from(ALL_BYTES), max_size=12).map(bytes),
)
keys = st.sampled_from(KEYS)
ints = st.one_of(st.sampled_from(INT_EDGES), st.integers(-50, 50).map(str))
offsets = st.one_of(st.integers(0, 40).map(str),
                    st.sampled_from(["-1", "536870912", "9223372036854775807", "x", "+1"]))
set_tokens = st.sampled_from([
    ("NX",), ("XX",), ("GET",), ("KEEPTTL",), ("EX", "100"), ("PX", "100000"),
    ("EXAT", str(FAR_S)), ("PXAT", str(FAR_MS)), ("EXAT", "1"), ("PXAT", str(PAST_MS)),
    ("EX", "0"), ("PX", "-1"), ("EX", "x"), ("EX",), ("PERSIST",), ("EX", "9223372036854775"),
])
getex_tokens = st.sampled_from([
    ("PERSIST",), ("EX", "100"), ("PX", "100000"), ("EXAT", str(FAR_S)),
    ("PXAT", str(FAR_MS)), ("EXAT", "1"), ("PXAT", str(PAST_MS)), ("EX", "0"), ("PX", "x"),
    ("NX",), ("EX",),
])
lcs_tokens = st.sampled_from([("LEN",), ("IDX",), ("WITHMATCHLEN",), ("MINMATCHLEN", "2"),
                              ("MINMATCHLEN", "-1"), ("MINMATCHLEN", "x"), ("MINMATCHLEN",)])


def with_options(head, tokens, max_size=3):
    return st.tuples(head, st.lists(tokens, max_size=max_size)).map(
        lambda t: tuple(t[0]) + tuple(x for token in t[1] for x in token))


def fixed(name, *parts):
    return st.tuples(st.just(name), *parts)


commands = st.one_of(
    with_options(st.tuples(st.just("SET"), keys, values), set_tokens),
    with_options(st.tuples(st.just("GETEX"), keys), getex_tokens, 2),
    with_options(st.tuples(st.just("LCS"), keys, keys), lcs_tokens),
    fixed("GET", keys), fixed("GETDEL", keys), fixed("GETSET", keys, values),
    st.lists(keys, min_size=1, max_size=4).map(lambda ks: ("MGET", *ks)),
    st.lists(st.tuples(keys, values), min_size=1, max_size=3).map(
        lambda kv: ("MSET", *[x for p in kv for x in p])),
    st.lists(st.tuples(keys, values), min_size=1, max_size=3).map(
        lambda kv: ("MSETNX", *[x for p in kv for x in p])),
    fixed("SETNX", keys, values), fixed("SETEX", keys, st.sampled_from(["100", "0", "x"]), values),
    fixed("PSETEX", keys, st.sampled_from(["100000", "-5"]), values),
    fixed("APPEND", keys, values), fixed("STRLEN", keys),
    fixed("GETRANGE", keys, ints, ints), fixed("SUBSTR", keys, ints, ints),
    fixed("SETRANGE", keys, offsets, values),
    fixed("INCR", keys), fixed("DECR", keys), fixed("INCRBY", keys, ints),
    fixed("DECRBY", keys, ints), fixed("INCRBYFLOAT", keys, values),
    fixed("OBJECT", st.just("ENCODING"), keys), fixed("EXISTS", keys), fixed("DEL", keys),
)


@pytest.mark.parametrize("proto", [2, 3])
def test_random_sequences(server, ref, proto):
    harness = support.Differential(server, ref, proto=proto)

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(commands, min_size=5, max_size=30))
    def run(sequence):
        harness.check("FLUSHALL")
        for args in sequence:
            harness.check(*args)
        for k in KEYS:
            harness.check("GET", k)
            harness.check("OBJECT", "ENCODING", k)
            same_expiry(harness, k)

    try:
        run()
    finally:
        harness.close()


# =============================================================================================
# Through redis-py's own API, RESP2 and RESP3
# =============================================================================================

def redis_py_session(client):
    """A tour of redis-py's string API; returns every result."""
    out = []
    rec = out.append
    client.flushall()
    rec(client.set("k", "v", ex=100, nx=True))
    rec(client.set("k", "w", nx=True))
    rec(client.set("k", "w", get=True))
    rec(client.set("k", "x", xx=True, keepttl=True, get=True))
    rec(client.ttl("k"))
    rec(client.set("k", "y", px=5000, xx=True))
    rec(0 < client.pttl("k") <= 5000)
    rec(client.set("k", "z", exat=FAR_S))
    rec(client.expiretime("k"))
    rec(client.set("k", "z", pxat=FAR_MS, get=True))
    rec(client.pexpiretime("k"))
    rec(client.set("n", "10.5"))
    rec(client.incrbyfloat("n", 0.1))
    rec(client.incrbyfloat("n", "1e3"))
    rec(client.incrbyfloat("n", -1010.6))
    rec(client.incrbyfloat("fresh", 2))
    rec(client.get("n"))
    rec(client.getex("k"))
    rec(client.getex("k", ex=50))
    rec(client.ttl("k"))
    rec(client.getex("k", persist=True))
    rec(client.ttl("k"))
    rec(client.getex("k", pxat=FAR_MS))
    rec(client.pexpiretime("k"))
    rec(client.getex("k", exat=PAST_S))
    rec(client.exists("k"))
    rec(client.getex("k"))
    rec(client.mset({"a": "ohmytext", "b": "mynewtext"}))
    rec(client.lcs("a", "b"))
    rec(client.lcs("a", "b", len=True))
    rec(client.lcs("a", "b", idx=True))
    rec(client.lcs("a", "b", idx=True, minmatchlen=4, withmatchlen=True))
    rec(client.mget("a", "b", "missing"))
    rec(client.msetnx({"a": "1", "c": "2"}))
    rec(client.msetnx({"c": "1", "d": "2"}))
    rec(client.setnx("c", "3"))
    rec(client.setex("e", 100, "v"))
    rec(client.ttl("e"))
    rec(client.psetex("f", 100000, "v"))
    rec(client.append("f", "w"))
    rec(client.strlen("f"))
    rec(client.getrange("f", 0, -1))
    rec(client.substr("f", 1, 1))
    rec(client.setrange("f", 5, "z"))
    rec(client.get("f"))
    rec(client.incr("i"))
    rec(client.incrby("i", 10))
    rec(client.decr("i"))
    rec(client.decrby("i", 3))
    rec(client.getset("i", "x"))
    rec(client.getdel("i"))
    rec(client.getdel("i"))
    for bad in (lambda: client.incr("a"), lambda: client.incrbyfloat("a", 1),
                lambda: client.set("k", "v", ex=0), lambda: client.lcs("a", "b", len=True,
                                                                       idx=True)):
        try:
            bad()
            rec("no error")
        except Exception as exc:  # the exception class and text must agree
            rec((type(exc).__name__, str(exc)))
    return out


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("proto", [2, 3])
def test_redis_py_api(server, ref, proto):
    ours = server.client(protocol=proto, decode_responses=True)
    theirs = ref.client(protocol=proto, decode_responses=True)
    try:
        got = redis_py_session(ours)
        expected = redis_py_session(theirs)
    finally:
        ours.close()
        theirs.close()
    assert got == expected
    # a few results spelled out, as redis-server gave them
    assert got[:4] == [True, None, "v", "w"]
    assert got[12:16] == [10.6, 1010.6, 0.0, 2.0]
    assert got[28] == "mytext"
    assert got[29] == 6


@pytest.mark.parametrize("which", ["pyredis", "redis"])
def test_redis_py_binary_values(server, ref, which):
    """The same expectations hold on both servers."""
    srv = server if which == "pyredis" else ref
    for proto in (2, 3):
        client = srv.client(protocol=proto)
        client.flushall()
        value = bytes(range(256)) * 400
        assert client.set("bin", value, get=True) is None
        assert client.get("bin") == value
        assert client.getrange("bin", 255, 256) == b"\xff\x00"
        assert client.append("bin", b"\r\n\x00") == len(value) + 3
        assert client.getdel("bin")[-3:] == b"\r\n\x00"
        client.close()
