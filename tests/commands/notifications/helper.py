"""Keyspace notifications in tests: record the exact (channel, message) sequence a server emits.

Usage (the common case: the same script on pyredis and on redis-server 7.0, same events)::

    from tests.commands.notifications.helper import assert_same_events, collect_events

    def test_lpush_events(server, ref):
        assert_same_events(server, ref, [("LPUSH", "l", "a", "b"), ("LPOP", "l")],
                           flags="KEA", setup=[("RPUSH", "other", "x")])

    # or, for one server (returns (replies, events)):
    replies, events = collect_events(server, [("SET", "k", "v")], flags="KEA")
    assert events == [(b"__keyspace@0__:k", b"set"), (b"__keyevent@0__:set", b"k")]

How it works: the database is flushed (flush=True), `setup` commands run with notifications
off, then `notify-keyspace-events` is set to `flags` and a RESP2 subscriber connection does
PSUBSCRIBE `__key*__:*` (plus SUBSCRIBE to a marker channel). The commands run on another
connection (RESP2, or RESP3 with proto=3; SELECT inside the script works), then that connection
PUBLISHes to the marker channel: as the server handles one command at a time, every event the
commands caused reaches the subscriber before the marker, so no sleeping is needed. Finally
notify-keyspace-events goes back to "" (the shared servers are used by other tests).

Events that happen later on their own (active expiry) can be awaited with an EventListener::

    with EventListener(server, flags="Ex") as ev:
        c = server.raw(); c.call("SET", "k", "v", "PX", "1")
        events = ev.wait_for(lambda evs: len(evs) >= 2, timeout=2)

`replies` are the raw reply bytes of the commands (compared too by assert_same_events).
"""
from __future__ import annotations

import socket
import time

from tests.support import encode

MARKER = b"__notify_helper_marker__"


def _parse(buf: bytes, pos: int):
    """One RESP2 value from buf at pos: (value, next) or None when incomplete. Arrays become
    lists, bulk strings bytes, integers int, simple strings/errors bytes (errors raise)."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return None
    kind, body, nxt = buf[pos:pos + 1], buf[pos + 1:end], end + 2
    if kind == b"+":
        return body, nxt
    if kind == b"-":
        raise AssertionError(f"subscriber got an error: {body!r}")
    if kind == b":":
        return int(body), nxt
    if kind == b"$":
        n = int(body)
        if n < 0:
            return None, nxt
        if len(buf) < nxt + n + 2:
            return None
        return buf[nxt:nxt + n], nxt + n + 2
    if kind in (b"*", b">"):
        n = int(body)
        out = []
        for _ in range(max(n, 0)):
            got = _parse(buf, nxt)
            if got is None:
                return None
            v, nxt = got
            out.append(v)
        return out, nxt
    raise AssertionError(f"unexpected reply start {buf[pos:pos + 20]!r}")


class EventListener:
    """A RESP2 subscriber to keyspace notifications of `server` (a support.ServerProcess).

    On enter: optional FLUSHALL (flush=True), the setup commands, CONFIG SET
    notify-keyspace-events `flags`, then PSUBSCRIBE `pattern` + SUBSCRIBE the marker channel.
    On exit: notify-keyspace-events "" again. `events` holds every (channel, message) received
    so far (pattern messages and plain messages other than the marker)."""

    def __init__(self, server, flags: str = "KEA", pattern: str = "__key*__:*",
                 setup=(), flush: bool = True, timeout: float = 5.0):
        self.server, self.flags, self.pattern = server, flags, pattern
        self.setup, self.flush, self.timeout = list(setup), flush, timeout
        self.events: list[tuple[bytes, bytes]] = []
        self.sock: socket.socket | None = None
        self.buf = b""
        self._markers = 0

    # -- connection plumbing
    def __enter__(self):
        admin = self.server.raw()
        try:
            admin.call("CONFIG", "SET", "notify-keyspace-events", "")
            if self.flush:
                admin.call("FLUSHALL")
            for cmd in self.setup:
                admin.call(*cmd)
            reply = admin.call("CONFIG", "SET", "notify-keyspace-events", self.flags)
            assert reply == b"+OK\r\n", reply
        finally:
            admin.close()
        self.sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=self.timeout)
        self.sock.sendall(encode("PSUBSCRIBE", self.pattern) + encode("SUBSCRIBE", MARKER))
        self._next_message()     # psubscribe confirmation
        self._next_message()     # subscribe confirmation
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
            admin = self.server.raw()
            try:
                admin.call("CONFIG", "SET", "notify-keyspace-events", "")
            finally:
                admin.close()

    def _next_message(self, deadline: float | None = None) -> list:
        """The next push message from the subscriber connection (raises on timeout)."""
        while True:
            got = _parse(self.buf, 0) if self.buf else None
            if got is not None:
                value, nxt = got
                self.buf = self.buf[nxt:]
                return value
            if deadline is None:
                self.sock.settimeout(self.timeout)
            else:
                left = deadline - time.time()
                if left <= 0:
                    raise socket.timeout("no message in time")
                self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("subscriber connection closed")
            self.buf += data

    def _record(self, msg) -> bool:
        """Store an event; True when msg was our marker."""
        if msg[0] == b"pmessage":
            self.events.append((msg[2], msg[3]))
        elif msg[0] == b"message":
            if msg[1] == MARKER:
                return True
            self.events.append((msg[1], msg[2]))
        return False

    # -- what tests call
    def drain(self, client=None) -> list[tuple[bytes, bytes]]:
        """Publish the marker (through raw `client`, or a fresh connection) and read until it
        arrives; returns all events so far (also in self.events)."""
        own = client is None
        if own:
            client = self.server.raw()
        try:
            self._markers += 1
            tag = b"%d" % self._markers
            client.call("PUBLISH", MARKER, tag)
        finally:
            if own:
                client.close()
        deadline = time.time() + self.timeout
        while True:
            msg = self._next_message(deadline)
            if self._record(msg) and msg[2] == tag:
                return list(self.events)

    def wait_for(self, predicate, timeout: float = 3.0) -> list[tuple[bytes, bytes]]:
        """Read events until predicate(events) is true (for events the server emits by itself,
        such as active expiry); AssertionError on timeout."""
        deadline = time.time() + timeout
        while not predicate(self.events):
            try:
                self._record(self._next_message(deadline))
            except socket.timeout:
                raise AssertionError(f"events never matched; got {self.events!r}") from None
        return list(self.events)

    def take(self) -> list[tuple[bytes, bytes]]:
        """The events recorded so far, clearing the record."""
        out, self.events = self.events, []
        return out


def collect_events(server, commands, flags: str = "KEA", setup=(), proto: int = 2,
                   flush: bool = True, pattern: str = "__key*__:*", pipeline: bool = False):
    """Run `commands` (tuples of arguments) on `server` with notify-keyspace-events `flags`;
    returns (raw replies, [(channel, message), ...]) in the order the server sent them.
    pipeline=True sends all the commands in one write (so nothing, e.g. the active expiry
    cycle, runs between them: `SET k v PXAT 1` then a command meeting the expired key)."""
    with EventListener(server, flags=flags, setup=setup, flush=flush, pattern=pattern) as ev:
        c = server.raw()
        try:
            if proto == 3:
                c.call("HELLO", "3")
            if pipeline:
                replies = c.pipeline([tuple(cmd) for cmd in commands])
            else:
                replies = [c.call(*cmd) for cmd in commands]
            events = ev.drain(c)
        finally:
            c.close()
    return replies, events


def assert_same_events(ours, ref, commands, flags: str = "KEA", setup=(), proto: int = 2,
                       check_replies: bool = True, pattern: str = "__key*__:*",
                       pipeline: bool = False):
    """Run the same script on pyredis (`ours`) and redis-server (`ref`); the event sequences
    (and, unless check_replies=False, the raw replies) must be identical. Returns the events."""
    r1, e1 = collect_events(ours, commands, flags, setup, proto, pattern=pattern,
                            pipeline=pipeline)
    r2, e2 = collect_events(ref, commands, flags, setup, proto, pattern=pattern,
                            pipeline=pipeline)
    if check_replies:
        for cmd, a, b in zip(commands, r1, r2):
            assert a == b, f"{cmd!r}: pyredis {a!r} != redis {b!r}"
    assert e1 == e2, (f"flags {flags!r}, script {commands!r}:\n pyredis {e1!r}\n"
                      f" redis   {e2!r}")
    return e1
