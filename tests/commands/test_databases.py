"""Multiple databases against redis-server 7.0, byte for byte in RESP2 and RESP3: SELECT (and
its index at the edges), keys isolated between the 16 databases, DBSIZE, FLUSHDB, FLUSHALL
(ASYNC/SYNC/bad arguments), SWAPDB, and a server started with another `databases` count."""
import pytest

from tests.support import (Differential, redis_server_path, same_keyspace, start_pyredis,
                           start_redis)

INT_EDGES = ["0", "-1", "1", "15", "16", "2147483647", "2147483648", "-2147483648",
             "-2147483649", "4294967296", "9223372036854775807", "-9223372036854775808",
             "9223372036854775808", "18446744073709551616", "abc", "", " 1", "1 ", "+1",
             "1.0", "0x1", "1\x00"]


def on_both(d, commands):
    for c in (d.ours, d.ref):
        c.pipeline(commands)


# =============================================================================================
# SELECT and isolation
# =============================================================================================

@pytest.mark.parametrize("index", INT_EDGES + ["-0", "00", "01"])
def test_select_index(d, index):
    d.check("SELECT", index)
    d.check("SET", "where", "x")
    d.check("SELECT", "0")
    d.check("EXISTS", "where")


def test_select_arity(d):
    d.check("SELECT")
    d.check("SELECT", "1", "2")


def test_sixteen_databases_are_isolated(d):
    for db in range(16):
        d.check("SELECT", str(db))
        d.check("SET", "k", f"value-{db}")
        for i in range(db):
            d.check("SET", f"only-{db}-{i}", "x")
    for db in range(16):
        d.check("SELECT", str(db))
        d.check("GET", "k")
        d.check("DBSIZE")
        d.check("EXISTS", "k", "only-3-0", f"only-{db}-0")
        d.check("GET", "only-15-14")
        ours, ref = d.both("KEYS", "*")
        assert sorted(ours.split(b"\r\n")) == sorted(ref.split(b"\r\n"))
    d.check("INFO", "keyspace")
    d.check("SELECT", "16")
    d.check("GET", "k")                      # still in database 15


def test_selected_database_is_per_connection(server, ref):
    """Another connection stays in database 0 while this one moves to 5."""
    for proc in (server, ref):
        with proc.raw() as a, proc.raw() as b:
            a.call("FLUSHALL")
            assert a.call("SELECT", "5") == b"+OK\r\n"
            assert a.call("SET", "k", "in5") == b"+OK\r\n"
            assert b.call("GET", "k") == b"$-1\r\n"
            assert b.call("SELECT", "5") == b"+OK\r\n"
            assert b.call("GET", "k") == b"$3\r\nin5\r\n"
            assert b.call("SELECT", "6") == b"+OK\r\n"
            assert a.call("GET", "k") == b"$3\r\nin5\r\n"     # a did not move
            a.call("FLUSHALL")


def test_a_failed_select_keeps_the_database(d):
    d.check_all([("SELECT", "3"), ("SET", "k", "3"), ("SELECT", "16"), ("GET", "k"),
                 ("SELECT", "abc"), ("GET", "k"), ("SELECT", "-1"), ("GET", "k")])


# =============================================================================================
# DBSIZE, FLUSHDB, FLUSHALL
# =============================================================================================

def fill(d, dbs=(0, 1, 7, 15), n=20):
    for c in (d.ours, d.ref):
        for db in dbs:
            c.call("SELECT", str(db))
            c.pipeline([("SET", f"k{i}", "x") for i in range(n)]
                     + [("SET", f"t{i}", "x", "EX", "1000") for i in range(3)])
        c.call("SELECT", "0")


def sizes(d, dbs=range(16)):
    for db in dbs:
        d.check("SELECT", str(db))
        d.check("DBSIZE")
    d.check("SELECT", "0")


@pytest.mark.parametrize("args", [(), ("ASYNC",), ("SYNC",), ("async",), ("Sync",)])
def test_flushdb_only_the_current_database(d, args):
    fill(d)
    d.check("SELECT", "7")
    d.check("FLUSHDB", *args)
    d.check("DBSIZE")
    sizes(d)
    d.check("SELECT", "7")
    d.check("FLUSHDB", *args)                # an empty database
    d.check("KEYS", "*")


@pytest.mark.parametrize("args", [(), ("ASYNC",), ("SYNC",), ("aSyNc",)])
def test_flushall_every_database(d, args):
    fill(d)
    d.check("SELECT", "7")
    d.check("FLUSHALL", *args)
    sizes(d)
    d.check("INFO", "keyspace")
    d.check("FLUSHALL", *args)


@pytest.mark.parametrize("cmd", ["FLUSHDB", "FLUSHALL"])
@pytest.mark.parametrize("args", [("foo",), ("",), ("ASYNC", "SYNC"), ("SYNC", "SYNC"),
                                  ("ASYNC", "foo"), ("asyncx",), ("a",), ("0",)])
def test_flush_bad_arguments_flush_nothing(d, cmd, args):
    fill(d, dbs=(0, 3), n=5)
    d.check(cmd, *args)
    sizes(d, dbs=(0, 3))


# Redis compares the option with strcasecmp, so "async\0junk" counts as ASYNC
@pytest.mark.parametrize("cmd", ["FLUSHDB", "FLUSHALL"])
def test_flush_mode_stops_at_a_nul_byte(d, cmd):
    fill(d, dbs=(0,), n=3)
    d.check(cmd, "async\x00junk")
    d.check("DBSIZE")


def test_dbsize_counts_per_database(d):
    fill(d, dbs=(2, 9), n=7)
    sizes(d)
    d.check("SELECT", "9")
    d.check("DEL", "k0", "k1")
    d.check("DBSIZE")


# =============================================================================================
# SWAPDB
# =============================================================================================

def test_swapdb_exchanges_contents_with_ttls(d):
    d.check_all([
        ("SELECT", "1"), ("SET", "a", "in1"), ("SET", "b", "in1"),
        ("PEXPIREAT", "b", "4102444800123"),
        ("SELECT", "2"), ("SET", "a", "in2"),
        ("SWAPDB", "1", "2"),
        ("GET", "a"), ("GET", "b"), ("PEXPIRETIME", "b"), ("DBSIZE",),
        ("SELECT", "1"), ("GET", "a"), ("DBSIZE",),
    ])
    assert same_keyspace(d) == {"db1": (1, 0), "db2": (2, 1)}
    d.check_all([
        ("SWAPDB", "2", "1"),
        ("GET", "a"), ("GET", "b"), ("PEXPIRETIME", "b"),
        ("SWAPDB", "1", "1"), ("GET", "a"),
        ("SWAPDB", "1", "15"), ("DBSIZE",), ("SELECT", "15"), ("DBSIZE",), ("GET", "b"),
        ("SWAPDB", "0", "14"),                # two empty databases
    ])
    assert same_keyspace(d) == {"db2": (1, 0), "db15": (2, 1)}


def test_swapdb_is_seen_by_connections_in_either_database(server, ref):
    for proc in (server, ref):
        with proc.raw() as a, proc.raw() as b:
            a.call("FLUSHALL")
            a.call("SELECT", "3")
            a.call("SET", "k", "three")
            b.call("SELECT", "4")
            b.call("SET", "k", "four")
            assert b.call("SWAPDB", "3", "4") == b"+OK\r\n"
            assert a.call("GET", "k") == b"$4\r\nfour\r\n"
            assert b.call("GET", "k") == b"$5\r\nthree\r\n"
            a.call("FLUSHALL")


@pytest.mark.parametrize("index", INT_EDGES)
def test_swapdb_index_edges(d, index):
    d.check("SET", "k", "v")
    d.check("SWAPDB", index, "0")
    d.check("SWAPDB", "0", index)
    d.check("SWAPDB", index, index)
    d.check("SWAPDB", index, "abc")
    d.check("SWAPDB", "abc", index)
    d.check("EXISTS", "k")


# SWAPDB indexes are parsed with string2ll's rules, which refuse these
@pytest.mark.parametrize("index", ["01", "00", "-0"])
def test_swapdb_refuses_non_canonical_numbers(d, index):
    d.check("SET", "k", "v")
    d.check("SWAPDB", index, "1")
    d.check("SWAPDB", "1", index)
    d.check("EXISTS", "k")


def test_swapdb_arity(d):
    d.check("SWAPDB")
    d.check("SWAPDB", "0")
    d.check("SWAPDB", "0", "1", "2")


# =============================================================================================
# Another number of databases
# =============================================================================================

@pytest.mark.skipif(redis_server_path() is None, reason="redis-server is not installed")
@pytest.mark.parametrize("count", ["4", "1"])
def test_configured_number_of_databases(count):
    ours = start_pyredis("--databases", count)
    ref = start_redis("--databases", count)
    try:
        d = Differential(ours, ref)
        last = str(int(count) - 1)
        d.check_all([
            ("CONFIG", "GET", "databases"),
            ("SELECT", last), ("SET", "k", "v"), ("SELECT", count), ("SELECT", "0"),
            ("SET", "k", "v0"),
            ("MOVE", "k", count), ("MOVE", "k", last),
            ("COPY", "k", "k2", "DB", count), ("COPY", "k", "k2", "DB", last),
            ("SWAPDB", "0", count), ("SWAPDB", count, "0"), ("SWAPDB", "0", last),
            ("GET", "k"), ("DBSIZE",),
            ("INFO", "keyspace"),
            ("FLUSHALL",), ("INFO", "keyspace"),
        ])
        d.close()
    finally:
        ours.stop()
        ref.stop()
