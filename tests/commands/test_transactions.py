"""Transactions against redis-server 7.0, byte for byte in RESP2 and RESP3: MULTI, EXEC,
DISCARD, WATCH and UNWATCH mechanics (queueing, errors while queuing and while executing,
nesting, SELECT inside a transaction, huge queues, statistics), EXEC's atomicity under
concurrent connections, WATCH-based optimistic locking through redis-py, and what CLIENT LIST
shows of a client in a transaction.

WATCH invalidation by each write command is tested in test_watch.py; here a watched key is
changed by SET, INCR or FLUSHDB from another connection.
"""
import threading

import pytest
import redis

from tests import support
from tests.support import client_fields, decode_reply, raw_client_id


@pytest.fixture
def others(server, ref):
    """A second raw connection to each server (pyredis, redis), for changes made by someone
    else."""
    ours, theirs = server.raw(), ref.raw()
    yield ours, theirs
    ours.close()
    theirs.close()


def on_both(others, *args):
    ours, theirs = others
    assert ours.call(*args) == theirs.call(*args), args


# ---------------------------------------------------------------------------------------------
# Queueing and EXEC
# ---------------------------------------------------------------------------------------------

def test_queued_and_exec(d):
    d.check_all([
        ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("EXEC",),
        ("GET", "a"), ("multi",), ("exec",),
    ])


def test_runtime_errors_returned_in_place(d):
    """A command failing inside EXEC replies its error in the array; the rest still runs."""
    d.check_all([
        ("SET", "s", "x"), ("MULTI",), ("SET", "a", "1"), ("INCR", "s"), ("LPUSH", "a", "x"),
        ("INCR", "a"), ("RPUSH", "l", "1"), ("HSET", "a", "f", "v"), ("GET", "a"),
        ("LRANGE", "l", "0", "-1"), ("SELECT", "99"), ("EXPIRE", "a", "x"), ("EXEC",),
        ("GET", "a"), ("LRANGE", "l", "0", "-1"), ("TTL", "a"),
    ])


def test_queueing_errors_abort(d):
    """Unknown commands, wrong arity, unknown subcommands and commands not allowed in a
    transaction are refused at once and doom the transaction: EXEC answers EXECABORT (and the
    queued commands never run)."""
    for bad in [("NOSUCH", "x"), ("SET", "a"), ("GET",), ("CLIENT", "FOO"), ("CLIENT", "KILL"),
                ("CONFIG", "FOO"), ("SHUTDOWN",), ("SHUTDOWN", "NOSAVE")]:
        d.check_all([
            ("MULTI",), ("SET", "k", "v"), bad, ("INCR", "n"), ("EXEC",), ("EXEC",),
            ("GET", "k"), ("GET", "n"),
        ])


def test_queueing_error_then_discard(d):
    d.check_all([
        ("MULTI",), ("NOSUCH",), ("SET", "k", "v"), ("DISCARD",), ("GET", "k"), ("MULTI",),
        ("SET", "k", "v"), ("EXEC",), ("GET", "k"),
    ])


def test_state_errors(d):
    d.check_all([
        ("EXEC",), ("DISCARD",), ("UNWATCH",), ("MULTI",), ("MULTI",), ("SET", "a", "b"),
        ("WATCH", "a"), ("EXEC",), ("GET", "a"),
        # MULTI and WATCH refused inside MULTI do not doom the transaction
        ("MULTI",), ("EXEC",),
        ("DISCARD", "x"), ("MULTI", "x"), ("WATCH",), ("UNWATCH", "x"), ("EXEC",),
    ])


def test_arity_errors_of_transaction_commands_in_multi(d):
    """MULTI x, DISCARD x, WATCH and UNWATCH x inside MULTI are arity errors that doom the
    transaction."""
    for bad in [("MULTI", "x"), ("DISCARD", "x"), ("WATCH",), ("UNWATCH", "x")]:
        d.check_all([("MULTI",), ("SET", "k", "v"), bad, ("EXEC",), ("GET", "k")])


def test_exec_rejected_is_execabort(d):
    """EXEC refused before running (wrong arity) answers "EXECABORT Transaction discarded
    because of: <error>" and ends the transaction, inside MULTI or not."""
    d.check_all([("EXEC", "x"), ("MULTI",), ("SET", "k", "v"), ("EXEC", "x"), ("EXEC",),
                 ("GET", "k")])


def test_exec_rejected_in_resp2_subscribed_client(server, ref):
    d = support.Differential(server, ref)
    try:
        d.check_all([("SUBSCRIBE", "tx-sub"), ("EXEC",), ("UNSUBSCRIBE",), ("EXEC",)])
    finally:
        d.close()


def test_empty_transaction(d):
    d.check_all([("MULTI",), ("EXEC",), ("MULTI",), ("DISCARD",), ("EXEC",)])


def test_discard(d):
    d.check_all([
        ("SET", "k", "old"), ("MULTI",), ("SET", "k", "new"), ("DEL", "k"), ("DISCARD",),
        ("GET", "k"), ("EXEC",), ("DISCARD",),
    ])


def test_select_inside_multi(d):
    """SELECT runs inside EXEC: the following queued commands and the connection afterwards
    use the new database; a bad index is a runtime error in place."""
    d.check_all([
        ("MULTI",), ("SELECT", "1"), ("SET", "z", "1"), ("SELECT", "100"), ("GET", "z"),
        ("EXEC",), ("GET", "z"), ("SELECT", "0"), ("GET", "z"), ("SELECT", "1"),
        ("FLUSHDB",), ("SELECT", "0"),
    ])


def test_commands_allowed_when_queued(d):
    """Connection commands are queued like any other (PING, ECHO, CLIENT ..., AUTH)."""
    d.check_all([
        ("MULTI",), ("PING",), ("ECHO", "hi"), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "t"),
        ("AUTH", "x"), ("CLIENT", "GETNAME"), ("EXEC",),
    ])


def test_multi_in_resp2_subscribed_client(server, ref):
    """A RESP2 subscriber may not start a transaction; in RESP3 it may."""
    for proto in (2, 3):
        d = support.Differential(server, ref, proto=proto)
        try:
            d.check("SUBSCRIBE", "tx-ch")
            d.check("MULTI")
            d.check("PING")
            if proto == 3:
                d.check("EXEC")
            d.check("UNSUBSCRIBE")
            d.check("PING")
        finally:
            d.close()


def test_subscribe_inside_exec(d):
    d.check_all([("MULTI",), ("SUBSCRIBE", "tx-a"), ("PSUBSCRIBE", "tx-*"), ("EXEC",), ("PING",),
                 ("UNSUBSCRIBE",), ("PUNSUBSCRIBE",), ("PING",)])


def test_reset_and_quit_inside_multi(server, ref):
    d = support.Differential(server, ref)
    try:
        d.check_all([("MULTI",), ("SET", "k", "v"), ("RESET",), ("EXEC",), ("GET", "k"),
                     ("MULTI",), ("SET", "k", "v")])
        assert d.ours.call("QUIT") == d.ref.call("QUIT") == b"+OK\r\n"
        assert d.ours.read_all(1.0) == d.ref.read_all(1.0) == (b"", True)
    finally:
        d.close()


def test_huge_queue(server, ref):
    """20000 queued commands, sent in one write: every +QUEUED, then one EXEC with every
    reply in order; CLIENT LIST counts the queue meanwhile."""
    n = 20000
    for srv in (server, ref):
        c, other = srv.raw(), srv.raw()
        try:
            c.call("FLUSHALL")
            cid = raw_client_id(c)
            batch = [("MULTI",)] + [("RPUSH", "big", str(i)) for i in range(n)]
            replies = c.pipeline(batch)
            assert replies[0] == b"+OK\r\n"
            assert set(replies[1:]) == {b"+QUEUED\r\n"}
            line = client_fields(decode_reply(other.call("CLIENT", "LIST", "ID", str(cid))).decode())
            assert line["flags"] == "x" and line["multi"] == str(n)
            assert int(line["multi-mem"]) > n * 10
            reply = c.call("EXEC")
            assert reply == b"*%d\r\n" % n + b"".join(b":%d\r\n" % i for i in range(1, n + 1))
            assert c.call("LLEN", "big") == b":%d\r\n" % n
            line = client_fields(decode_reply(other.call("CLIENT", "LIST", "ID", str(cid))).decode())
            assert (line["flags"], line["multi"], line["multi-mem"]) == ("N", "-1", "0")
            c.call("DEL", "big")
        finally:
            c.close()
            other.close()


def test_queue_freed_on_disconnect(server):
    """A connection closing in MULTI (and while watching) leaves nothing behind."""
    for _ in range(3):
        c = server.raw()
        c.call("WATCH", "gone-a", "gone-b")
        c.call("MULTI")
        c.pipeline([("SET", "gone-a", "x" * 1000)] * 200)
        c.close()
    probe = server.raw()
    try:
        assert probe.call("GET", "gone-a") == b"$-1\r\n"
        assert probe.call("SET", "gone-a", "1") == b"+OK\r\n"
        assert probe.call("DEL", "gone-a") == b":1\r\n"
    finally:
        probe.close()


# ---------------------------------------------------------------------------------------------
# WATCH
# ---------------------------------------------------------------------------------------------

def test_watch_unchanged_key(d):
    d.check_all([("SET", "w", "1"), ("WATCH", "w", "w", "other"), ("GET", "w"), ("MULTI",),
                 ("INCR", "w"), ("EXEC",), ("GET", "w")])


@pytest.mark.parametrize("change", [("SET", "w", "2"), ("INCR", "w"), ("DEL", "w"),
                                    ("FLUSHDB",), ("FLUSHALL",)])
def test_watch_changed_by_other_connection(d, others, change):
    """A watched key changed by another connection: EXEC answers a null (nil array in RESP2,
    null in RESP3) and runs nothing; the connection is then out of the transaction and
    watches nothing."""
    d.check_all([("SET", "w", "1"), ("WATCH", "w"), ("MULTI",), ("SET", "w", "mine"),
                 ("GET", "w")])
    on_both(others, *change)
    d.check_all([("EXEC",), ("GET", "w"), ("EXEC",), ("MULTI",), ("SET", "w", "mine"),
                 ("EXEC",), ("GET", "w")])


def test_watch_changed_by_same_connection(d):
    """The watching connection's own write also fails its transaction."""
    d.check_all([("WATCH", "w"), ("SET", "w", "1"), ("MULTI",), ("GET", "w"), ("EXEC",),
                 ("WATCH", "w"), ("SET", "w", "2"), ("MULTI",), ("EXEC",)])


def test_watch_queueing_error_wins(d, others):
    """A doomed transaction answers EXECABORT even when a watched key changed too."""
    d.check_all([("WATCH", "w"), ("MULTI",), ("NOSUCH",)])
    on_both(others, "SET", "w", "1")
    d.check_all([("EXEC",), ("EXEC",)])


def test_unwatch_and_discard_forget_keys(d, others):
    d.check_all([("WATCH", "w"), ("UNWATCH",)])
    on_both(others, "SET", "w", "1")
    d.check_all([("MULTI",), ("GET", "w"), ("EXEC",), ("WATCH", "w"), ("MULTI",),
                 ("DISCARD",)])
    on_both(others, "SET", "w", "2")
    d.check_all([("MULTI",), ("GET", "w"), ("EXEC",)])
    # EXEC forgets the watched keys too, whether it ran or failed
    d.check_all([("WATCH", "w"), ("MULTI",), ("EXEC",)])
    on_both(others, "SET", "w", "3")
    d.check_all([("MULTI",), ("GET", "w"), ("EXEC",)])


def test_watch_other_database(d, others):
    """A key is watched in the database selected when WATCH ran."""
    d.check_all([("SELECT", "2"), ("WATCH", "w"), ("SELECT", "0")])
    on_both(others, "SET", "w", "db0")
    d.check_all([("MULTI",), ("GET", "w"), ("EXEC",), ("SELECT", "2"), ("WATCH", "w"),
                 ("SELECT", "0")])
    on_both(others, "SELECT", "2")
    on_both(others, "SET", "w", "db2")
    d.check_all([("MULTI",), ("GET", "w"), ("EXEC",), ("SELECT", "2"), ("FLUSHDB",),
                 ("SELECT", "0")])


# ---------------------------------------------------------------------------------------------
# Atomicity with concurrent connections
# ---------------------------------------------------------------------------------------------

def run_threads(target, n):
    errors = []

    def guarded(i):
        try:
            target(i)
        except BaseException as exc:     # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[0]


def test_exec_is_atomic(server):
    """Transactions INCR a; GET a; INCR a; GET a from 4 threads, while 4 more threads INCR a
    outside transactions: every transaction sees consecutive values."""
    rounds = 150
    server.client().delete("atomic")

    def transact(i):
        c = server.client()
        for _ in range(rounds):
            p = c.pipeline(transaction=True)
            p.incr("atomic").get("atomic").incr("atomic").get("atomic").lpush("seen", i)
            a, ga, b, gb, _ = p.execute()
            assert (int(ga), b, int(gb)) == (a, a + 1, a + 1), (a, ga, b, gb)
        c.close()

    def hammer(i):
        c = server.client()
        for _ in range(rounds):
            p = c.pipeline(transaction=False)
            for _ in range(5):
                p.incr("atomic")
            p.execute()
        c.close()

    run_threads(lambda i: transact(i) if i < 4 else hammer(i), 8)
    c = server.client()
    assert int(c.get("atomic")) == 4 * rounds * 2 + 4 * rounds * 5
    assert c.llen("seen") == 4 * rounds
    c.delete("atomic", "seen")
    c.close()


def test_watch_counter_under_contention(server):
    """redis-py's transaction(): 10 threads add 1 each, 40 times, with WATCH-based retries;
    the counter ends exact and some transactions had to retry."""
    threads, each = 10, 40
    c = server.client()
    c.set("counter", 0)
    retries = []

    def worker(i):
        cli = server.client()
        attempts = [0]

        def bump(pipe):
            attempts[0] += 1
            value = int(pipe.get("counter"))
            pipe.multi()
            pipe.set("counter", value + 1)

        for _ in range(each):
            cli.transaction(bump, "counter")
        retries.append(attempts[0] - each)
        cli.close()

    run_threads(worker, threads)
    assert int(c.get("counter")) == threads * each
    assert sum(retries) > 0
    c.delete("counter")
    c.close()


def test_redis_py_pipelines(server):
    """pipeline() (a MULTI/EXEC transaction), its errors, and pipeline(transaction=False)."""
    c = server.client()
    p = c.pipeline()
    p.set("p", "1").incr("p").lpush("p", "x").get("p")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        p.execute()
    assert c.get("p") == b"2"
    p = c.pipeline()
    p.set("p", "1").incr("p").lpush("p", "x").get("p")
    res = p.execute(raise_on_error=False)
    assert res[:2] == [True, 2] and isinstance(res[2], redis.ResponseError) and res[3] == b"2"
    # a queueing error aborts the whole transaction
    p = c.pipeline()
    p.set("p", "new").execute_command("NOSUCHCMD")
    with pytest.raises(redis.ResponseError):
        p.execute()
    assert c.get("p") == b"2"
    p = c.pipeline(transaction=False)
    p.set("q", "1").incr("q").get("q")
    assert p.execute() == [True, 2, b"2"]
    # WATCH through a pipeline, the key changed by another connection
    p = c.pipeline()
    p.watch("p")
    c2 = server.client()
    c2.set("p", "other")
    p.multi()
    p.set("p", "mine")
    with pytest.raises(redis.WatchError):
        p.execute()
    assert c.get("p") == b"other"
    c.delete("p", "q")
    c.close()
    c2.close()


def test_redis_py_resp3_watch_error(server):
    c = server.client(protocol=3)
    c2 = server.client()
    p = c.pipeline()
    p.watch("r3")
    c2.set("r3", "x")
    p.multi()
    p.get("r3")
    with pytest.raises(redis.WatchError):
        p.execute()
    c.close()
    c2.close()


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------

def stat_lines(c, section: str) -> dict:
    """INFO <section> as {name: fields without the timings}."""
    body = decode_reply(c.call("INFO", section)).decode()
    out = {}
    for line in body.splitlines():
        if ":" not in line or line.startswith("#"):
            continue
        name, fields = line.split(":", 1)
        kept = [f for f in fields.split(",") if not f.startswith("usec")]
        out[name] = ",".join(kept)
    return out


def test_commandstats_and_errorstats(d, others):
    script = [
        ("MULTI",), ("SET", "a", "b"), ("INCR", "a"), ("EXEC",),          # runtime error
        ("MULTI",), ("NOSUCH",), ("SET", "a"), ("EXEC",),                 # EXECABORT
        ("MULTI",), ("MULTI",), ("WATCH", "a"), ("DISCARD",),
        ("EXEC",), ("DISCARD",),
        ("WATCH", "a"), ("UNWATCH",), ("WATCH", "a"),
    ]
    for c in (d.ours, d.ref):
        c.call("CONFIG", "RESETSTAT")
    d.check_all(script)
    on_both(others, "SET", "a", "changed")
    d.check_all([("MULTI",), ("GET", "a"), ("EXEC",)])                  # a null reply
    ours, theirs = stat_lines(d.ours, "commandstats"), stat_lines(d.ref, "commandstats")
    for name in ("cmdstat_multi", "cmdstat_exec", "cmdstat_discard", "cmdstat_watch",
                 "cmdstat_unwatch", "cmdstat_set", "cmdstat_incr", "cmdstat_get"):
        assert ours.get(name) == theirs.get(name), name
    assert stat_lines(d.ours, "errorstats") == stat_lines(d.ref, "errorstats")


# ---------------------------------------------------------------------------------------------
# CLIENT LIST of a client in a transaction
# ---------------------------------------------------------------------------------------------

COMPARED = ("flags", "db", "sub", "psub", "multi", "cmd")


def list_line(observer, cid: int) -> dict:
    return client_fields(decode_reply(observer.call("CLIENT", "LIST", "ID", str(cid))).decode())


@pytest.mark.parametrize("change", [("SET", "cl", "x"), ("FLUSHDB",)])
def test_client_list_in_multi(server, ref, change):
    """flags=x and multi=<queued> while queuing; flags=xd once a watched key changed;
    cmd= the last command; back to N, multi=-1 after EXEC (cmd=exec)."""
    seen = []
    for srv in (server, ref):
        c, observer = srv.raw(), srv.raw()
        try:
            cid = raw_client_id(c)
            states = []
            observer.call("SET", "cl", "0")     # FLUSHDB touches watched keys that exist
            c.call("WATCH", "cl")
            states.append(list_line(observer, cid))
            c.call("MULTI")
            states.append(list_line(observer, cid))
            c.pipeline([("SET", "cl", "1"), ("GET", "cl"), ("INCR", "n")])
            line = list_line(observer, cid)
            assert int(line["multi-mem"]) > 0
            states.append(line)
            observer.call(*change)
            states.append(list_line(observer, cid))
            c.call("EXEC")
            states.append(list_line(observer, cid))
            c.call("MULTI")
            c.call("PING")
            c.call("EXEC")
            states.append(list_line(observer, cid))
            seen.append([{k: s[k] for k in COMPARED} for s in states])
            observer.call("DEL", "cl")
        finally:
            c.close()
            observer.close()
    assert seen[0] == seen[1]
    assert [s["flags"] for s in seen[0]] == ["N", "x", "x", "xd", "N", "N"]
