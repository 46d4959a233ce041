"""Pub/Sub against redis-server 7.0: SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE and their UNSUBSCRIBEs,
PUBLISH, SPUBLISH, PUBSUB's subcommands, the RESP2 subscribed-mode restriction, RESET and
connection close, keyspace notifications as frames, redis-py's pubsub API, fan-out to many
subscribers and the pubsub client-output-buffer-limit.

Differential tests open the same connections on both servers (`Twins`): every command goes to
both and the exact bytes each side receives (replies and message frames, RESP2 arrays or RESP3
pushes) are compared. Channel names are unique per test so subscriptions left by earlier tests
(closed connections are released asynchronously) cannot interfere.
"""
import socket
import threading
import time

import pytest
import redis

from tests import support
from tests.support import RawClient, encode

CONTEXT_ERR = (b"-ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
               b"QUIT / RESET are allowed in this context\r\n")


class Twin:
    """One connection to pyredis and one to redis-server, used in lock step."""

    def __init__(self, ours_port, ref_port, proto):
        self.ours, self.ref = RawClient(ours_port), RawClient(ref_port)
        if proto == 3:
            self.ours.call("HELLO", "3")
            self.ref.call("HELLO", "3")

    def close(self):
        self.ours.close()
        self.ref.close()

    def send(self, *args):
        self.ours.send(encode(*args))
        self.ref.send(encode(*args))

    def frames(self, n=1) -> bytes:
        """The next n replies/frames on both sides, compared."""
        ours = b"".join(self.ours.read_reply() for _ in range(n))
        ref = b"".join(self.ref.read_reply() for _ in range(n))
        assert ours == ref, f"pyredis {ours!r} != redis {ref!r}"
        return ours

    def frames_unordered(self, n) -> None:
        """The next n frames on both sides, in any order: messages to several matching
        patterns come in the order of Redis's pattern dict (hash order)."""
        ours = sorted(self.ours.read_reply() for _ in range(n))
        ref = sorted(self.ref.read_reply() for _ in range(n))
        assert ours == ref

    def check(self, *args, n=1) -> bytes:
        """Send a command to both and compare the n frames it produces."""
        self.send(*args)
        return self.frames(n)

    def check_unordered(self, *args, n=1) -> None:
        """Like check, for frames Redis sends in hash order (UNSUBSCRIBE with no arguments
        leaves the channels in its dict's order): the same frames, in any order; the count
        each carries still goes down one by one."""
        self.send(*args)
        ours = [self.ours.read_reply() for _ in range(n)]
        ref = [self.ref.read_reply() for _ in range(n)]
        assert sorted(f.rsplit(b":", 1)[0] for f in ours) == \
            sorted(f.rsplit(b":", 1)[0] for f in ref), (ours, ref)
        assert [f.rsplit(b":", 1)[1] for f in ours] == [f.rsplit(b":", 1)[1] for f in ref]

    def quiet(self):
        """Nothing more arrives on either side."""
        assert self.ours.read_all(0.05)[0] == b""
        assert self.ref.read_all(0.05)[0] == b""
        self.ours.sock.settimeout(5)
        self.ref.sock.settimeout(5)


@pytest.fixture
def twins(d, server, ref):
    """twins() opens a Twin in the protocol of the `d` run; all are closed at the end."""
    made = []

    def make(proto=None):
        t = Twin(server.port, ref.port, d.proto if proto is None else proto)
        made.append(t)
        return t
    make.proto = d.proto
    yield make
    for t in made:
        t.close()


def uniq(request, name=""):
    """A channel name of this test's own (no glob characters from the test id)."""
    node = request.node.name.replace("[", "(").replace("]", ")")
    return f"{node}:{name}"


def numsub(client, *channels):
    reply = client.execute_command("PUBSUB", "NUMSUB", *channels)
    return dict(zip(reply[::2], reply[1::2])) if isinstance(reply, list) else reply


def wait_for(cond, timeout=3.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


# ---------------------------------------------------------------------------------------------
# Confirmations, counts, delivery
# ---------------------------------------------------------------------------------------------

def test_subscribe_unsubscribe_confirmations(twins, request):
    a, b, c = (uniq(request, x) for x in "abc")
    s = twins()
    s.check("UNSUBSCRIBE", n=1)                   # subscribed to nothing: nil channel, 0
    s.check("PUNSUBSCRIBE", n=1)
    s.check("SUNSUBSCRIBE", n=1)
    s.check("UNSUBSCRIBE", a, b, n=2)             # not subscribed: still confirmed
    s.check("SUBSCRIBE", a, b, a, n=3)            # repeated: confirmed, counted once
    s.check("PSUBSCRIBE", c + "*", c + "*", "", n=3)
    s.check("SSUBSCRIBE", a, c, a, n=3)           # shard channels: their own count
    s.check("SUBSCRIBE", c, n=1)
    s.check("UNSUBSCRIBE", b, "nosuch", n=2)
    s.check("SUNSUBSCRIBE", c, n=1)
    s.check_unordered("UNSUBSCRIBE", n=2)         # all channels
    s.check("UNSUBSCRIBE", n=1)
    s.check_unordered("PUNSUBSCRIBE", n=2)
    s.check("SUNSUBSCRIBE", n=1)
    s.check("SUNSUBSCRIBE", n=1)
    s.check("PING")                               # no longer subscribed
    s.quiet()


def test_arity_errors(twins):
    s = twins()
    for args in [("SUBSCRIBE",), ("PSUBSCRIBE",), ("SSUBSCRIBE",), ("PUBLISH", "x"),
                 ("PUBLISH", "x", "y", "z"), ("SPUBLISH", "x"), ("SPUBLISH", "x", "y", "z"),
                 ("PUBSUB",), ("PUBSUB", "NOSUCH"), ("PUBSUB", "NUMPAT", "x"),
                 ("PUBSUB", "CHANNELS", "a", "b"), ("PUBSUB", "channels", "a", "b"),
                 ("PUBSUB", "SHARDCHANNELS", "a", "b"), ("PUBSUB", "HELP", "x"),
                 ("PUBSUB", "HELP"), ("PUBSUB", "help")]:
        s.check(*args)


def test_publish_reaches_channels_and_patterns(twins, request):
    ch = uniq(request, "news.")
    sub, pat, pub = twins(), twins(), twins()
    sub.check("SUBSCRIBE", ch + "1", ch + "2", n=2)
    pat.check("PSUBSCRIBE", ch + "*", ch + "?", ch + "[12]", "nomatch*", n=4)
    for channel, msg in [(ch + "1", "hello"), (ch + "2", ""), (ch + "3", "x" * 300),
                         (ch + "12", "two digits"), ("other", "nobody")]:
        reply = pub.check("PUBLISH", channel, msg)
        count = int(reply[1:-2])
        got = (1 if channel in (ch + "1", ch + "2") else 0)
        pat_frames = count - got
        if got:
            sub.frames(1)
        pat.frames_unordered(pat_frames)
    sub.quiet()
    pat.quiet()


def test_channel_names_binary_empty_and_glob(twins, request):
    base = uniq(request)
    names = ["", "\x00\xff\r\n", base + "*", base + "[x]", base + "?", base + "\\", "é"]
    sub, pub = twins(), twins()
    sub.check("SUBSCRIBE", *names, n=len(names))
    for name in names:
        assert pub.check("PUBLISH", name, "m:" + name) == b":1\r\n"
        sub.frames(1)
    # glob characters in channel names are literal for PUBLISH: "base*" does not reach "base?"
    pub.check("PUBLISH", base + "x", "none")
    sub.quiet()
    pub.check("PUBSUB", "NUMSUB", *names, n=1)
    sub.check("UNSUBSCRIBE", *names, n=len(names))


@pytest.mark.parametrize("pattern,channels", [
    ("h?llo", ["hello", "hallo", "hllo", "heello"]),
    ("h*llo", ["hllo", "heeeello", "hello!"]),
    ("h[ae]llo", ["hello", "hallo", "hillo"]),
    ("h[^e]llo", ["hallo", "hbllo", "hello"]),
    ("h[a-b]llo", ["hallo", "hbllo", "hcllo"]),
    ("h\\*llo", ["h*llo", "hello"]),
    ("", ["", "a"]),
    ("*", ["", "anything"]),
    ("[", ["[", "a"]),
    ("a[", ["a[", "a"]),
    ("\\", ["\\", "a"]),
])
def test_pattern_matching(twins, request, pattern, channels):
    prefix = uniq(request) + "|"
    sub, pub = twins(), twins()
    sub.check("PSUBSCRIBE", prefix + pattern)
    for ch in channels:
        reply = pub.check("PUBLISH", prefix + ch, "m")
        sub.frames(int(reply[1:-2]))
    sub.quiet()


def test_same_client_channel_and_patterns_counts_each(twins, request):
    ch = uniq(request, "c")
    s, pub = twins(), twins()
    s.check("SUBSCRIBE", ch, n=1)
    s.check("PSUBSCRIBE", ch[:-1] + "*", "*" + ch[-3:], n=2)
    assert pub.check("PUBLISH", ch, "m") == b":3\r\n"
    s.frames(1)
    s.frames_unordered(2)
    s.quiet()


def test_publish_to_self(twins, request):
    """A RESP3 subscriber may publish: the push frames come before PUBLISH's reply."""
    ch = uniq(request)
    s = twins(proto=3)
    s.check("SUBSCRIBE", ch, n=1)
    s.check("PSUBSCRIBE", ch + "*", n=1)
    s.check("PUBLISH", ch, "to myself", n=3)
    s.check("SSUBSCRIBE", ch, n=1)
    s.check("SPUBLISH", ch, "shard", n=2)
    s.check("GET", ch)
    s.quiet()


def test_shard_channels(twins, request):
    ch = uniq(request, "s")
    ssub, sub, pub = twins(), twins(), twins()
    ssub.check("SSUBSCRIBE", ch, ch + "2", n=2)
    sub.check("SUBSCRIBE", ch, n=1)
    sub.check("PSUBSCRIBE", ch + "*", n=1)
    assert pub.check("SPUBLISH", ch, "shard msg") == b":1\r\n"   # not to channels or patterns
    ssub.frames(1)
    assert pub.check("PUBLISH", ch, "plain") == b":2\r\n"       # not to shard subscribers
    sub.frames(2)
    pub.check("SPUBLISH", ch + "2", "")
    ssub.frames(1)
    pub.check("SPUBLISH", "nosuch-" + ch, "x")
    pub.check("PUBSUB", "SHARDNUMSUB", ch, ch + "2", "nosuch-" + ch)
    pub.check("PUBSUB", "SHARDNUMSUB")
    pub.check("PUBSUB", "SHARDCHANNELS", ch + "2")
    pub.check("PUBSUB", "NUMSUB", ch)
    ssub.check("SUNSUBSCRIBE", ch, n=1)
    pub.check("PUBSUB", "SHARDNUMSUB", ch, ch + "2")
    ssub.quiet()
    sub.quiet()


def test_ssubscribe_in_multi_is_denied(twins, request):
    ch = uniq(request)
    s = twins()
    s.check("MULTI")
    s.check("SUBSCRIBE", ch)
    s.check("SSUBSCRIBE", ch)
    s.check("SUNSUBSCRIBE", ch)
    s.check("SPUBLISH", ch, "x")
    s.check("EXEC")
    s.check("UNSUBSCRIBE", n=1)
    s.quiet()


def sorted_array(reply: bytes) -> list:
    """The elements of a flat array of bulk strings, sorted (hash order differs)."""
    items, pos = [], 0
    head, pos = reply.split(b"\r\n", 1)[0], reply.index(b"\r\n") + 2
    for _ in range(int(head[1:])):
        end = reply.index(b"\r\n", pos)
        n = int(reply[pos + 1:end])
        items.append(reply[end + 2:end + 2 + n])
        pos = end + 4 + n
    assert pos == len(reply)
    return sorted(items)


def test_pubsub_introspection(twins, request):
    base = uniq(request)
    s1, s2, q = twins(), twins(), twins()
    s1.check("SUBSCRIBE", base + "a", base + "b", base + "*", n=3)
    s2.check("SUBSCRIBE", base + "a", base + "c", n=2)
    s2.check("SSUBSCRIBE", base + "sa", base + "sb", n=2)
    q.check("PUBSUB", "NUMSUB", base + "a", base + "b", base + "c", base + "none", base + "a")
    q.check("PUBSUB", "NUMSUB")
    for sub in ("CHANNELS", "SHARDCHANNELS"):
        for pat in (base + "*", base + "[ab]", base + "\\*", base + "?", base + "s*"):
            q.send("PUBSUB", sub, pat)
            ours, ref = q.ours.read_reply(), q.ref.read_reply()
            assert sorted_array(ours) == sorted_array(ref), (sub, pat)
    q.check("PUBSUB", "CHANNELS", "nothing-matches-" + base)
    q.check("PUBSUB", "SHARDCHANNELS", "nothing-matches-" + base)
    # every channel this test made appears in the unfiltered lists
    for sub, names in (("CHANNELS", {base + "a", base + "b", base + "c", base + "*"}),
                       ("SHARDCHANNELS", {base + "sa", base + "sb"})):
        q.send("PUBSUB", sub)
        for side in (q.ours, q.ref):
            assert {n.decode() for n in sorted_array(side.read_reply())} >= names


def test_numpat_counts_unique_patterns(server, ref, request):
    """NUMPAT counts distinct patterns: checked as a difference, other tests' patterns aside."""
    base = uniq(request)
    for srv in (server, ref):
        q = srv.raw()
        before = int(q.call("PUBSUB", "NUMPAT")[1:-2])
        a, b = srv.raw(), srv.raw()
        a.call("PSUBSCRIBE", base + "1")
        a.send(encode("PSUBSCRIBE", base + "2", base + "3"))
        a.read_reply(), a.read_reply()
        b.call("PSUBSCRIBE", base + "1")
        assert int(q.call("PUBSUB", "NUMPAT")[1:-2]) == before + 3
        a.send(encode("PUNSUBSCRIBE", base + "1"))
        a.read_reply()
        assert int(q.call("PUBSUB", "NUMPAT")[1:-2]) == before + 3     # b still has it
        b.close()
        assert wait_for(lambda: int(q.call("PUBSUB", "NUMPAT")[1:-2]) == before + 2)
        a.close()
        assert wait_for(lambda: int(q.call("PUBSUB", "NUMPAT")[1:-2]) == before)
        q.close()


# ---------------------------------------------------------------------------------------------
# Subscribed mode, RESET, closing, CLIENT LIST
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"])
def test_resp2_subscribed_mode_restriction(twins, request, kind):
    ch = uniq(request)
    s = twins(proto=2)
    s.check(kind, ch)
    for args in [("GET", "x"), ("SET", "x", "y"), ("PUBLISH", ch, "x"), ("SPUBLISH", ch, "x"),
                 ("PUBSUB", "NUMPAT"), ("PUBSUB", "CHANNELS"), ("CLIENT", "INFO"),
                 ("INFO", "stats"), ("MULTI",), ("HELLO",), ("COMMAND", "COUNT")]:
        reply = s.check(*args)
        name = args[0].lower()
        if args[0] in ("PUBSUB", "CLIENT", "COMMAND"):
            name += "|" + args[1].lower()
        assert reply == CONTEXT_ERR % name.encode()
    s.check("PING")
    s.check("PING", "hello")
    s.check("SUBSCRIBE", ch + "2")
    s.check_unordered("UNSUBSCRIBE", n=1 if kind != "SUBSCRIBE" else 2)
    s.check("PUNSUBSCRIBE")
    s.check("GET", "x")          # still subscribed while any subscription is left
    s.check("SUNSUBSCRIBE")
    s.check("GET", "x")
    s.check("PING")
    s.quiet()


def test_resp3_allows_everything_while_subscribed(twins, request):
    ch = uniq(request)
    s = twins(proto=3)
    s.check("SUBSCRIBE", ch)
    s.check("SSUBSCRIBE", ch)
    for args in [("SET", ch, "v"), ("GET", ch), ("PUBSUB", "NUMSUB", ch), ("PING",),
                 ("PING", "x"), ("DEL", ch)]:
        s.check(*args)
    s.quiet()


def test_reset_drops_every_subscription(twins, request):
    ch = uniq(request)
    s, q = twins(), twins()
    s.check("SUBSCRIBE", ch, n=1)
    s.check("PSUBSCRIBE", ch + "*", n=1)
    s.check("SSUBSCRIBE", ch, n=1)
    s.check("RESET")
    q.check("PUBSUB", "NUMSUB", ch)
    q.check("PUBSUB", "SHARDNUMSUB", ch)
    q.check("PUBLISH", ch, "x")
    q.check("SPUBLISH", ch, "x")
    s.check("GET", ch)                # RESP2 again, no longer subscribed
    s.check("UNSUBSCRIBE")
    s.quiet()


def client_fields(raw, client_id) -> dict:
    reply = raw.call("CLIENT", "LIST", "ID", str(client_id))
    line = reply.split(b"\r\n", 1)[1].decode().strip()
    return dict(f.split("=", 1) for f in line.split(" ") if "=" in f)


def test_client_list_flags(server, ref, request):
    ch = uniq(request)
    for srv in (server, ref):
        q, s = srv.raw(), srv.raw()
        cid = int(s.call("CLIENT", "ID")[1:-2])
        assert client_fields(q, cid)["flags"] == "N"
        s.send(encode("SUBSCRIBE", ch, ch + "2"))
        s.read_reply(), s.read_reply()
        s.call("PSUBSCRIBE", ch + "*")
        s.call("SSUBSCRIBE", ch)
        f = client_fields(q, cid)
        assert (f["flags"], f["sub"], f["psub"], f["ssub"]) == ("P", "2", "1", "1"), srv
        s.send(encode("UNSUBSCRIBE"))
        s.read_reply(), s.read_reply()
        s.call("PUNSUBSCRIBE")
        assert client_fields(q, cid)["flags"] == "P"          # the shard channel is left
        s.call("SUNSUBSCRIBE")
        f = client_fields(q, cid)
        assert (f["flags"], f["sub"], f["psub"], f["ssub"]) == ("N", "0", "0", "0")
        q.close()
        s.close()


def test_closing_subscriber_leaves_nothing(server, ref, request):
    """Subscribers that close mid-stream (with unread messages) disappear from the counts."""
    ch = uniq(request)
    for srv in (server, ref):
        q = srv.raw()
        subs = []
        for _ in range(5):
            s = srv.raw()
            s.call("SUBSCRIBE", ch)
            s.call("SSUBSCRIBE", ch)
            s.call("PSUBSCRIBE", ch + "*")
            subs.append(s)
        q.pipeline([("PUBLISH", ch, "x" * 1000)] * 50)
        for s in subs:
            s.close()
        assert wait_for(lambda: q.call("PUBSUB", "NUMSUB", ch).endswith(b":0\r\n"))
        assert q.call("PUBSUB", "SHARDNUMSUB", ch).endswith(b":0\r\n")
        assert q.call("PUBLISH", ch, "x") == b":0\r\n"
        assert q.call("PUBSUB", "CHANNELS", ch) == b"*0\r\n"
        q.close()
    assert support.ping_ok(server.port)


def test_keyspace_notification_frames(twins, request, server, ref):
    key = uniq(request)
    admin = twins()
    admin.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        s, w = twins(), twins()
        s.check("PSUBSCRIBE", "__key*__:" + key + "*", n=1)
        s.check("SUBSCRIBE", "__keyevent@0__:del", n=1)
        w.check("SET", key, "v")
        w.check("DEL", key)
        w.check("RPUSH", key + "l", "a", "b")
        w.check("DEL", key + "l")
        # (channel, message) frames in Redis's order
        s.frames(1 + 2 + 1 + 2)
        s.quiet()
    finally:
        admin.check("CONFIG", "SET", "notify-keyspace-events", "")


def test_reply_off_subscriber_still_gets_messages(twins, request):
    """Redis 7.0 sends pub/sub frames to a client whose replies are off."""
    ch = uniq(request)
    s, pub = twins(proto=3), twins()
    s.check("SUBSCRIBE", ch)
    s.send("CLIENT", "REPLY", "OFF")
    s.quiet()
    pub.check("PUBLISH", ch, "to a quiet one")
    s.frames(1)
    s.send("GET", ch)                         # its own replies stay dropped
    s.quiet()


def test_reply_off_keeps_own_pubsub_frames(twins, request):
    ch = uniq(request)
    s, pub = twins(), twins()
    s.ours.sock.settimeout(1)
    s.send("CLIENT", "REPLY", "OFF")
    s.check("SUBSCRIBE", ch)                  # the confirmation still comes
    pub.check("PUBLISH", ch, "m")
    s.frames(1)
    s.send("PING")                            # a real reply: dropped, nothing comes
    s.quiet()
    s.check("UNSUBSCRIBE")


# ---------------------------------------------------------------------------------------------
# redis-py's pubsub API
# ---------------------------------------------------------------------------------------------

@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def rc(request, server):
    client = server.client(protocol=request.param, decode_responses=True)
    yield client
    client.close()


def next_message(p, timeout=2.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = p.get_message(timeout=0.05)
        if m is not None:
            return m
    return None


def test_redis_py_subscribe_and_get_message(rc, request):
    ch = uniq(request)
    p = rc.pubsub()
    p.subscribe(ch)
    p.psubscribe(ch + "*")
    assert next_message(p) == {"type": "subscribe", "pattern": None, "channel": ch, "data": 1}
    assert next_message(p) == {"type": "psubscribe", "pattern": None, "channel": ch + "*",
                               "data": 2}
    assert rc.publish(ch, "hello") == 2
    assert next_message(p) == {"type": "message", "pattern": None, "channel": ch,
                               "data": "hello"}
    assert next_message(p) == {"type": "pmessage", "pattern": ch + "*", "channel": ch,
                               "data": "hello"}
    assert rc.pubsub_numsub(ch) == [(ch, 1)]
    assert rc.pubsub_numpat() >= 1
    assert ch in rc.pubsub_channels(ch + "*")
    p.unsubscribe(ch)
    p.punsubscribe()
    assert next_message(p)["type"] == "unsubscribe"
    assert next_message(p) == {"type": "punsubscribe", "pattern": None, "channel": ch + "*",
                               "data": 0}
    assert rc.publish(ch, "gone") == 0
    p.close()


def test_redis_py_shard_and_listen(rc, request):
    ch = uniq(request)
    p = rc.pubsub()
    p.ssubscribe(ch)
    assert next_message(p) == {"type": "ssubscribe", "pattern": None, "channel": ch, "data": 1}
    for i in range(3):
        assert rc.spublish(ch, f"m{i}") == 1
    got = []
    for m in p.listen():
        got.append(m)
        if len(got) == 3:
            break
    assert [(m["type"], m["channel"], m["data"]) for m in got] == \
        [("smessage", ch, f"m{i}") for i in range(3)]
    assert rc.pubsub_shardnumsub(ch) == [(ch, 1)]
    assert rc.execute_command("PUBSUB", "SHARDCHANNELS", ch) == [ch]
    p.sunsubscribe(ch)
    assert next_message(p)["type"] == "sunsubscribe"
    p.close()


def test_redis_py_handlers_and_run_in_thread(rc, request):
    ch = uniq(request)
    received = []
    done = threading.Event()

    def handler(message):
        received.append((message["channel"], message["data"]))
        if len(received) == 20:
            done.set()
    p = rc.pubsub(ignore_subscribe_messages=True)
    p.subscribe(**{ch: handler})
    p.psubscribe(**{ch + ".*": handler})
    thread = p.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        assert wait_for(lambda: rc.pubsub_numsub(ch) == [(ch, 1)])
        for i in range(10):
            assert rc.publish(ch if i % 2 == 0 else f"{ch}.{i}", str(i)) == 1
        for i in range(10):
            rc.publish(ch, f"again{i}")
        assert done.wait(5)
    finally:
        thread.stop()
        thread.join(5)
        p.close()
    assert received[:10] == [(ch if i % 2 == 0 else f"{ch}.{i}", str(i)) for i in range(10)]
    assert received[10:] == [(ch, f"again{i}") for i in range(10)]


# ---------------------------------------------------------------------------------------------
# Fan-out, the hot path, slow subscribers
# ---------------------------------------------------------------------------------------------

def test_fan_out_to_many_subscribers(server, request):
    ch = uniq(request)
    subs = []
    for i in range(50):
        s = server.raw()
        if i % 2:
            s.call("HELLO", "3")
        s.call("SUBSCRIBE", ch)
        subs.append(s)
    pub = server.raw()
    messages = [b"msg-%d-" % i + b"x" * (i * 7) for i in range(200)]
    replies = pub.pipeline([("PUBLISH", ch, m) for m in messages])
    assert replies == [b":50\r\n"] * 200
    for i, s in enumerate(subs):
        head = b">3\r\n" if i % 2 else b"*3\r\n"
        chb = ch.encode()
        for m in messages:
            expect = head + b"$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
                len(chb), chb, len(m), m)
            assert s.read_reply() == expect
        s.close()
    pub.close()


def test_publish_runs_no_python(server, request):
    ch = uniq(request)
    subs = [server.raw() for _ in range(3)]
    subs[0].call("SUBSCRIBE", ch)
    subs[1].call("PSUBSCRIBE", ch + "*")
    subs[2].call("SSUBSCRIBE", ch)
    r = server.client()
    support.assert_no_python(r, [("PUBLISH", ch, "hot"), ("SPUBLISH", ch, "hot"),
                                 ("PUBLISH", "nobody-" + ch, "x")])
    r.close()
    for s in subs:
        s.close()


def used_memory(r) -> int:
    return r.info("memory")["used_memory"]


def slow_socket(port, *commands):
    """A subscriber that never reads, with a small receive buffer."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    for args in commands:
        s.sendall(encode(*args))
    return s


@pytest.fixture
def limited():
    srv = support.start_pyredis()
    yield srv
    assert srv.stop() == 0, srv.output()


@pytest.mark.parametrize("kind", ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"])
def test_slow_subscriber_disconnected_on_hard_limit(limited, kind):
    r = limited.client()
    r.config_set("client-output-buffer-limit", "pubsub 1mb 512kb 1")
    ch = "slow"
    slow = slow_socket(limited.port, (kind, ch if kind != "PSUBSCRIBE" else "sl*"))
    reader = limited.raw()
    reader.call("SUBSCRIBE", ch) if kind != "SSUBSCRIBE" else reader.call("SSUBSCRIBE", ch)
    publish = "SPUBLISH" if kind == "SSUBSCRIBE" else "PUBLISH"
    assert wait_for(lambda: len(r.client_list(_type="pubsub")) == 2)
    baseline = used_memory(r)
    msg = b"x" * 100_000
    got = 0
    for i in range(100):                     # 10 MB published: ten times the hard limit
        r.execute_command(publish, ch, msg)
        frame = reader.read_reply()          # the healthy subscriber keeps getting messages
        assert frame.endswith(msg + b"\r\n")
        got += 1
    assert got == 100
    assert wait_for(lambda: len(r.client_list(_type="pubsub")) == 1)
    # the memory the slow client held was freed: no 10 MB growth
    assert used_memory(r) < baseline + 4_000_000
    assert "scheduled to be closed ASAP for overcoming of output buffer limits" in limited.log()
    # the slow socket sees the end of the stream after the data the server managed to send
    slow.settimeout(5)
    total = 0
    while True:
        try:
            data = slow.recv(1 << 20)
        except ConnectionResetError:
            break
        if not data:
            break
        total += len(data)
    assert total < 100 * len(msg)             # cut off: it did not get everything
    slow.close()
    reader.close()
    r.close()


def test_slow_subscriber_soft_limit(limited):
    r = limited.client()
    r.config_set("client-output-buffer-limit", "pubsub 0 256kb 1")
    slow = slow_socket(limited.port, ("SUBSCRIBE", "soft"))
    assert wait_for(lambda: len(r.client_list(_type="pubsub")) == 1)
    msg = b"y" * 100_000
    for _ in range(80):                      # 8 MB (beyond what the socket buffers take):
        r.publish("soft", msg)               # over the soft limit; there is no hard limit
    time.sleep(0.2)
    assert len(r.client_list(_type="pubsub")) == 1   # over soft, not for long enough yet
    deadline = time.time() + 5
    while time.time() < deadline and r.client_list(_type="pubsub"):
        r.publish("soft", b"z")              # the limit is checked when a message is added
        time.sleep(0.05)
    assert r.client_list(_type="pubsub") == []
    assert time.time() < deadline
    slow.close()
    r.close()


def test_normal_client_not_subject_to_pubsub_limit(limited):
    """A client that is not subscribed is not a pubsub client (the normal class, no limit)."""
    r = limited.client()
    r.config_set("client-output-buffer-limit", "pubsub 64kb 32kb 1")
    r.set("big", b"b" * 300_000)
    s = limited.raw()
    assert len(s.call("GET", "big")) > 300_000
    s.close()
    r.close()


# ---------------------------------------------------------------------------------------------
# COMMAND DOCS of the group (test_command checks COMMAND INFO, since and group)
# ---------------------------------------------------------------------------------------------

PUBSUB_COMMANDS = ["subscribe", "unsubscribe", "punsubscribe", "publish", "ssubscribe",
                   "sunsubscribe", "spublish", "pubsub"]


def docs_of(srv, name):
    import hiredis
    c = srv.raw()
    reader = hiredis.Reader()
    reader.feed(c.call("COMMAND", "DOCS", name))
    c.close()

    def norm(v):
        if isinstance(v, list) and v and v[0] in (b"optional", b"multiple", b"multiple_token"):
            return sorted(v)            # argument flags: a set
        if isinstance(v, list) and len(v) % 2 == 0 and v and v[0] in (b"summary", b"name"):
            return {v[i]: norm(v[i + 1]) for i in range(0, len(v), 2)}
        if isinstance(v, list) and len(v) % 2 == 0 and v and b"|" in (v[0] or b""):
            return {v[i]: norm(v[i + 1]) for i in range(0, len(v), 2)}   # subcommands
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v
    return norm(reader.gets())


@pytest.mark.parametrize("name", PUBSUB_COMMANDS)
def test_command_docs_match_redis(server, ref, name):
    """Summary, since, group, complexity and arguments (argument flags as sets) as 7.0.15's."""
    assert docs_of(server, name) == docs_of(ref, name)


def test_command_docs_psubscribe_block(server, ref):
    assert docs_of(server, "psubscribe") == docs_of(ref, "psubscribe")


# ---------------------------------------------------------------------------------------------
# A random mix of subscriptions, publishes and closes on both servers
# ---------------------------------------------------------------------------------------------

PONGS = (b"+PONG\r\n", b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")


def until_pong(client) -> list:
    frames = []
    while True:
        f = client.read_reply()
        if f in PONGS:
            return frames
        frames.append(f)


def test_random_mix(twins, request):
    import random
    rnd = random.Random(4)
    base = uniq(request)
    names = [base + x for x in ("a", "b", "ab", "")]
    patterns = [base + x for x in ("a*", "?", "*", "[ab]")]
    subs = [twins() for _ in range(4)]
    pub = twins()
    for step in range(200):
        op = rnd.random()
        s = rnd.choice(subs)
        some = rnd.sample(names, rnd.randint(1, 3))
        if op < 0.15:
            s.send("SUBSCRIBE", *some)
        elif op < 0.25:
            s.send("UNSUBSCRIBE", *some)
        elif op < 0.35:
            s.send("PSUBSCRIBE", *rnd.sample(patterns, rnd.randint(1, 2)))
        elif op < 0.42:
            s.send("PUNSUBSCRIBE", *rnd.sample(patterns, rnd.randint(1, 2)))
        elif op < 0.5:
            s.send("SSUBSCRIBE", *some)
        elif op < 0.55:
            s.send("SUNSUBSCRIBE", *some)
        elif op < 0.57:
            s.send("RESET")
        elif op < 0.59:
            i = subs.index(s)
            s.close()
            subs[i] = twins()
            continue
        elif op < 0.85:
            pub.check("PUBLISH", rnd.choice(names), f"m{step}")
        else:
            pub.check("SPUBLISH", rnd.choice(names), f"s{step}")
        for t in subs:
            t.send("PING")
            ours, ref = until_pong(t.ours), until_pong(t.ref)
            assert sorted(ours) == sorted(ref), step
    # the counts agree once both servers have seen the closed connections go
    for sub in ("NUMSUB", "SHARDNUMSUB"):
        assert wait_for(lambda: pub.ours.call("PUBSUB", sub, *names) ==
                        pub.ref.call("PUBSUB", sub, *names))
