"""The CLIENT subcommands of issue 4 against redis-server 7.0: CLIENT REPLY, CLIENT PAUSE and
UNPAUSE, CLIENT KILL by type (pub/sub clients), CLIENT UNBLOCK's errors, and the CLIENT LIST
fields of subscribed, transacting and blocked clients.

Where the behaviour involves several connections, the same scenario runs on both servers and
what each connection received (raw bytes) is compared.
"""
import time

import pytest

from tests.support import client_fields, decode_reply, encode, raw_client_id


def received(c, wait: float = 0.15) -> bytes:
    """What the server sent c within `wait` seconds (the connection must stay open)."""
    data, closed = c.read_all(wait)
    c.sock.settimeout(5.0)
    assert not closed
    return data


def on_both(server, ref, scenario):
    """Run scenario(srv) on pyredis and on redis-server; assert equal results."""
    ours, theirs = scenario(server), scenario(ref)
    assert ours == theirs
    return ours


# ---------------------------------------------------------------------------------------------
# CLIENT REPLY
# ---------------------------------------------------------------------------------------------

def test_client_reply_errors(d):
    d.check_all([
        ("CLIENT", "REPLY"), ("CLIENT", "REPLY", "x"), ("CLIENT", "REPLY", "ON", "x"),
        ("CLIENT", "REPLY", "on"), ("CLIENT", "REPLY", "ON"), ("CLIENT", "REPLY", ""),
    ])


REPLY_SCRIPTS = {
    "off-on": [("CLIENT", "REPLY", "OFF"), ("SET", "a", "1"), ("GET", "a"), ("PING",),
               ("LPUSH", "a", "x"), ("CLIENT", "REPLY", "OFF"), ("CLIENT", "REPLY", "x"),
               ("CLIENT", "REPLY", "ON"), ("GET", "a")],
    "skip": [("CLIENT", "REPLY", "SKIP"), ("PING", "a"), ("PING", "b"), ("PING", "c")],
    "skip-error": [("SET", "a", "1"), ("CLIENT", "REPLY", "SKIP"), ("LPUSH", "a", "x"),
                   ("GET", "a")],
    "skip-twice": [("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "SKIP"), ("PING", "a"),
                   ("PING", "b")],
    "skip-while-off": [("CLIENT", "REPLY", "OFF"), ("CLIENT", "REPLY", "SKIP"), ("PING", "a"),
                       ("CLIENT", "REPLY", "ON"), ("PING", "b"), ("PING", "c")],
    "off-in-multi": [("MULTI",), ("PING",), ("CLIENT", "REPLY", "ON"), ("EXEC",),
                     ("PING", "after")],
}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(REPLY_SCRIPTS))
def test_client_reply_stream(server, ref, name, proto):
    """The exact byte stream a connection gets for a pipelined script."""
    script = REPLY_SCRIPTS[name]

    def scenario(srv):
        c = srv.raw()
        try:
            c.call("DEL", "a")
            if proto == 3:
                c.call("HELLO", "3")
            c.send(b"".join(encode(*args) for args in script))
            return received(c, 0.2)
        finally:
            c.close()

    on_both(server, ref, scenario)


def test_client_reply_one_by_one(server, ref):
    """Replies stay off across separate reads until CLIENT REPLY ON; SKIP drops exactly one."""
    def scenario(srv):
        c = srv.raw()
        try:
            out = []
            for args in [("CLIENT", "REPLY", "OFF"), ("SET", "one", "1"), ("INCR", "one"),
                         ("CLIENT", "REPLY", "ON"), ("GET", "one"), ("CLIENT", "REPLY", "SKIP"),
                         ("INCR", "one"), ("GET", "one"), ("DEL", "one")]:
                c.send(encode(*args))
                out.append(received(c, 0.05))
            return out
        finally:
            c.close()

    assert on_both(server, ref, scenario) == [
        b"", b"", b"", b"+OK\r\n", b"$1\r\n2\r\n", b"", b"", b"$1\r\n3\r\n", b":1\r\n"]


def test_client_reply_on_right_after_skip(server, ref):
    def scenario(srv):
        c = srv.raw()
        try:
            c.send(encode("CLIENT", "REPLY", "SKIP") + encode("CLIENT", "REPLY", "ON") +
                   encode("PING", "x"))
            return received(c, 0.2)
        finally:
            c.close()

    assert on_both(server, ref, scenario) == b"+OK\r\n$1\r\nx\r\n"


def test_client_reply_off_covers_rejected_commands(server, ref):
    def scenario(srv):
        c = srv.raw()
        try:
            c.send(b"".join(encode(*a) for a in [
                ("CLIENT", "REPLY", "OFF"), ("NOSUCH",), ("SET", "a"), ("MULTI",), ("PING",),
                ("DISCARD",), ("CLIENT", "REPLY", "ON"), ("PING", "x")]))
            return received(c, 0.2)
        finally:
            c.close()

    on_both(server, ref, scenario)


# ---------------------------------------------------------------------------------------------
# CLIENT PAUSE / UNPAUSE
# ---------------------------------------------------------------------------------------------

def test_client_pause_errors(d):
    d.check_all([
        ("CLIENT", "PAUSE"), ("CLIENT", "PAUSE", "x"), ("CLIENT", "PAUSE", "-1"),
        ("CLIENT", "PAUSE", "1.5"), ("CLIENT", "PAUSE", ""), ("CLIENT", "PAUSE", "10", "x"),
        ("CLIENT", "PAUSE", "x", "x"), ("CLIENT", "PAUSE", "-1", "x"),
        ("CLIENT", "PAUSE", "10", "write", "x"), ("CLIENT", "PAUSE", "x", "all", "y"),
        ("CLIENT", "PAUSE", "9223372036854775808"), ("CLIENT", "UNPAUSE", "x"),
        ("CLIENT", "UNPAUSE"),
        # these pause for no time at all: the sum with the clock wraps (Redis), or 0 ms
        ("CLIENT", "PAUSE", "0"), ("CLIENT", "PAUSE", "0", "write"),
        ("CLIENT", "PAUSE", "9223372036854775807"),
        ("CLIENT", "PAUSE", "9223372036854775807", "WRITE"), ("PING",), ("SET", "k", "v"),
        ("CLIENT", "UNPAUSE"),
    ])


def pause_scenario(kind: str, commands, pause_ms: int):
    """A controller pauses (kind, pause_ms), then each command list goes out on its own
    connection, plus one connection pipelining SET p 1; GET p; INCR p. Returns which replies
    came while paused, and everything each connection got once the controller's CLIENT
    UNPAUSE (held too under PAUSE ALL, as in Redis 7.0) was answered."""
    def scenario(srv):
        ctl = srv.raw()
        conns = [srv.raw() for _ in commands]
        piped = srv.raw()
        try:
            ctl.call("DEL", "p", "w")
            for c in conns + [piped]:
                c.call("CLIENT", "SETNAME", "paused")
            assert ctl.call("CLIENT", "PAUSE", str(pause_ms), kind) == b"+OK\r\n"
            start = time.monotonic()
            for c, args in zip(conns, commands):
                c.send(b"".join(encode(*a) for a in args))
            piped.send(encode("SET", "p", "1") + encode("GET", "p") + encode("INCR", "p"))
            during = [received(c, 0.001 if i else 0.15) for i, c in enumerate(conns + [piped])]
            assert ctl.call("CLIENT", "UNPAUSE") == b"+OK\r\n"
            waited = time.monotonic() - start >= pause_ms / 1000 * 0.8
            after = [received(c, 0.05) for c in conns + [piped]]
            return during, after, waited
        finally:
            ctl.call("CLIENT", "UNPAUSE")
            for c in conns + [piped, ctl]:
                c.close()
    return scenario


PAUSE_COMMANDS = [
    [("GET", "w")], [("SET", "w", "1")], [("PING",)], [("INCR", "w")], [("DEL", "w")],
    [("EXISTS", "w")], [("CLIENT", "GETNAME")], [("FLUSHDB",)], [("SWAPDB", "0", "9")],
    [("MULTI",), ("SET", "w", "m"), ("EXEC",)], [("MULTI",), ("GET", "w"), ("EXEC",)],
]


def test_pause_write(server, ref):
    """PAUSE WRITE: reads are served at once, writes wait and then run in order; a connection
    held by a write keeps its later commands until the pause ends; UNPAUSE releases at
    once."""
    during, after, waited = on_both(server, ref, pause_scenario("WRITE", PAUSE_COMMANDS, 10000))
    assert during[0] == b"$-1\r\n" and during[1] == b"" and during[-1] == b""
    assert after[-1] == b"+OK\r\n$1\r\n1\r\n:2\r\n" and not waited


def test_pause_all(server, ref):
    """PAUSE ALL holds every command (the controller's UNPAUSE too) until the pause ends."""
    during, after, waited = on_both(server, ref, pause_scenario("ALL", PAUSE_COMMANDS, 400))
    assert set(during) == {b""}
    assert after[-1] == b"+OK\r\n$1\r\n1\r\n:2\r\n" and waited


def test_pause_write_ends_by_itself(server, ref):
    def scenario(srv):
        ctl, c = srv.raw(), srv.raw()
        try:
            ctl.call("CLIENT", "PAUSE", "300", "WRITE")
            start = time.monotonic()
            c.send(encode("SET", "w", "1") + encode("GET", "w"))
            replies = c.read_reply(), c.read_reply()
            return replies, time.monotonic() - start >= 0.25
        finally:
            ctl.call("DEL", "w")
            ctl.close()
            c.close()

    assert on_both(server, ref, scenario)[1]


def test_pause_write_holds_publish(server, ref):
    on_both(server, ref, pause_scenario("WRITE", [[("PUBLISH", "ch", "m")],
                                                  [("SPUBLISH", "ch", "m")]], 10000))


def test_paused_client_state(server, ref):
    """A client held by the pause shows flags=b and its command in CLIENT LIST."""
    def scenario(srv):
        ctl, held = srv.raw(), srv.raw()
        try:
            hid = raw_client_id(held)
            ctl.call("CLIENT", "PAUSE", "10000", "WRITE")
            held.send(encode("SET", "held", "1"))
            time.sleep(0.05)
            line = client_fields(decode_reply(ctl.call("CLIENT", "LIST", "ID", str(hid))).decode())
            ctl.call("CLIENT", "UNPAUSE")
            reply = held.read_reply()
            ctl.call("DEL", "held")
            return line["flags"], line["cmd"], reply
        finally:
            ctl.call("CLIENT", "UNPAUSE")
            ctl.close()
            held.close()

    assert on_both(server, ref, scenario)[2] == b"+OK\r\n"


# ---------------------------------------------------------------------------------------------
# CLIENT KILL by type, CLIENT UNBLOCK errors
# ---------------------------------------------------------------------------------------------

def subscriber(srv, proto: int):
    c = srv.raw()
    if proto == 3:
        c.call("HELLO", "3")
    c.call("SUBSCRIBE", "kill-ch")
    return c


def alive(c) -> bool:
    try:
        c.send(encode("PING"))
        data, closed = c.read_all(0.1)
        return not closed and bool(data)
    except OSError:
        return False


@pytest.mark.parametrize("how", [("TYPE", "pubsub"), ("TYPE", "PUBSUB", "SKIPME", "no"),
                                 ("TYPE", "normal"), ("TYPE", "normal", "SKIPME", "no"),
                                 ("USER", "default"), ("TYPE", "master"),
                                 ("TYPE", "replica")])
def test_client_kill_by_type(server, ref, how):
    """Which of 2 subscribers (RESP2 and RESP3), a pattern subscriber and 2 plain connections
    a CLIENT KILL kills, and its count."""
    def scenario(srv):
        killer = srv.raw()
        subs = [subscriber(srv, 2), subscriber(srv, 3)]
        psub = srv.raw()
        psub.call("PSUBSCRIBE", "kill-*")
        plain = [srv.raw(), srv.raw()]
        for c in plain:
            c.call("PING")
        try:
            # the killer may be killed (SKIPME no): read its reply, then whether it lives
            killer.send(encode("CLIENT", "KILL", *how))
            count = killer.read_reply()
            return count, [alive(c) for c in subs + [psub] + plain + [killer]]
        finally:
            for c in subs + [psub] + plain + [killer]:
                c.close()

    on_both(server, ref, scenario)


def test_client_kill_unsubscribed_client_is_normal(server, ref):
    def scenario(srv):
        killer, c = srv.raw(), srv.raw()
        try:
            c.call("SUBSCRIBE", "x")
            c.call("UNSUBSCRIBE", "x")
            return killer.call("CLIENT", "KILL", "TYPE", "pubsub"), \
                killer.call("CLIENT", "KILL", "TYPE", "normal", "ID", str(raw_client_id(killer)))
        finally:
            killer.close()
            c.close()

    on_both(server, ref, scenario)


def test_client_unblock_errors(d):
    d.check_all([
        ("CLIENT", "UNBLOCK"), ("CLIENT", "UNBLOCK", "x"), ("CLIENT", "UNBLOCK", "-1"),
        ("CLIENT", "UNBLOCK", "0"), ("CLIENT", "UNBLOCK", "1.5"), ("CLIENT", "UNBLOCK", ""),
        ("CLIENT", "UNBLOCK", "99999999"), ("CLIENT", "UNBLOCK", "99999999", "TIMEOUT"),
        ("CLIENT", "UNBLOCK", "99999999", "error"), ("CLIENT", "UNBLOCK", "99999999", "x"),
        ("CLIENT", "UNBLOCK", "x", "x"), ("CLIENT", "UNBLOCK", "x", "error"),
        ("CLIENT", "UNBLOCK", "1", "error", "x"), ("CLIENT", "UNBLOCK", "9223372036854775808"),
    ])


@pytest.mark.parametrize("reason", [(), ("TIMEOUT",), ("ERROR",), ("error",)])
def test_client_unblock_reply(server, ref, reason):
    """The blocked client's reply for each reason; CLIENT UNBLOCK's own 1, then 0."""
    def scenario(srv):
        ctl, blocked = srv.raw(), srv.raw()
        try:
            bid = raw_client_id(blocked)
            blocked.send(encode("BLPOP", "nolist", "0"))
            time.sleep(0.05)
            first = ctl.call("CLIENT", "UNBLOCK", str(bid), *reason)
            return first, blocked.read_reply(), ctl.call("CLIENT", "UNBLOCK", str(bid), *reason)
        finally:
            ctl.close()
            blocked.close()

    assert on_both(server, ref, scenario)[0] == b":1\r\n"


# ---------------------------------------------------------------------------------------------
# CLIENT LIST / CLIENT INFO fields
# ---------------------------------------------------------------------------------------------

COMPARED = ("flags", "db", "sub", "psub", "ssub", "multi", "cmd", "resp", "name")


def fields_of(observer, cid: int) -> dict:
    line = client_fields(decode_reply(observer.call("CLIENT", "LIST", "ID", str(cid))).decode())
    return {k: line[k] for k in COMPARED}


SITUATIONS = {
    "plain": [("SELECT", "3"), ("CLIENT", "SETNAME", "plain")],
    "subscribed": [("SUBSCRIBE", "a", "b"), ("PSUBSCRIBE", "p*")],
    "subscribed-resp3": [("HELLO", "3"), ("SUBSCRIBE", "a"), ("PSUBSCRIBE", "p*", "q*"),
                         ("UNSUBSCRIBE", "a")],
    "unsubscribed": [("SUBSCRIBE", "a"), ("UNSUBSCRIBE",)],
    "multi": [("MULTI",), ("SET", "k", "v"), ("GET", "k")],
    "multi-empty": [("MULTI",)],
    "after-exec": [("MULTI",), ("SET", "k", "v"), ("EXEC",)],
    "after-discard": [("MULTI",), ("SET", "k", "v"), ("DISCARD",)],
    "watching": [("WATCH", "k")],
    "multi-error": [("MULTI",), ("NOSUCH",)],
    "multi-subscribed-resp3": [("HELLO", "3"), ("SUBSCRIBE", "a"), ("MULTI",), ("PING",)],
}


@pytest.mark.parametrize("name", sorted(SITUATIONS))
def test_client_list_fields(server, ref, name):
    def scenario(srv):
        c, observer = srv.raw(), srv.raw()
        try:
            cid = raw_client_id(c)
            for args in SITUATIONS[name]:
                c.call(*args)
            return fields_of(observer, cid)
        finally:
            c.close()
            observer.close()

    on_both(server, ref, scenario)


@pytest.mark.parametrize("cmd", [("BLPOP", "nolist", "0"), ("BRPOP", "l1", "l2", "0"),
                                 ("BLMOVE", "nolist", "dst", "LEFT", "RIGHT", "0"),
                                 ("BZPOPMIN", "nozset", "0")])
def test_client_list_blocked(server, ref, cmd):
    """A client blocked in a blocking command: flags=b, cmd=<the command>; back to N after."""
    def scenario(srv):
        c, observer = srv.raw(), srv.raw()
        try:
            cid = raw_client_id(c)
            c.send(encode(*cmd))
            time.sleep(0.05)
            blocked = fields_of(observer, cid)
            observer.call("CLIENT", "UNBLOCK", str(cid))
            c.read_reply()
            return blocked, fields_of(observer, cid)
        finally:
            c.close()
            observer.close()

    blocked, after = on_both(server, ref, scenario)
    assert blocked["flags"] == "b" and after["flags"] == "N"


def test_client_info_in_multi_and_exec(server, ref):
    """CLIENT INFO queued in a transaction reports the state while EXEC runs."""
    def scenario(srv):
        c = srv.raw()
        try:
            c.call("MULTI")
            c.call("SET", "k", "v")
            c.call("CLIENT", "INFO")
            c.call("CLIENT", "LIST", "ID", str(0))
            reply = decode_reply(c.call("EXEC"))
            line = client_fields(reply[1].decode())
            c.call("DEL", "k")
            return {k: line[k] for k in COMPARED}
        finally:
            c.close()

    on_both(server, ref, scenario)

