"""A hypothesis state machine that sends the same random commands to pyredis and redis-server
and compares the replies, for the data-type families (tests/commands/test_<type>.py).

A family subclasses DifferentialMachine, adds @rule methods that build a command from
strategies and call self.check(...), and runs it with run_machine(cls, server, ref). Replies
are compared byte for byte, except where a command's order is not defined (the members of a
set, the fields of a hash): check(..., unordered=True) compares them as multisets, and
check_shape(...) only compares what random commands (SPOP, SRANDMEMBER, HRANDFIELD) promise.
"""
from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from tests.support import Differential


def parse_reply(reply: bytes):
    """Decode a RESP2/RESP3 reply into Python values: bulk and simple strings as bytes,
    errors as ("error", text), aggregates as lists (a map as a list of [key, value] pairs)."""
    def one(pos):
        end = reply.index(b"\r\n", pos)
        kind, body = reply[pos:pos + 1], reply[pos + 1:end]
        if kind in (b"+", b","):
            return body, end + 2
        if kind == b"-":
            return ("error", body), end + 2
        if kind in (b":", b"("):
            return int(body), end + 2
        if kind == b"#":
            return body == b"t", end + 2
        if kind == b"_":
            return None, end + 2
        if kind in (b"$", b"="):
            n = int(body)
            if n < 0:
                return None, end + 2
            return reply[end + 2:end + 2 + n], end + 4 + n
        if kind in (b"*", b"~", b">", b"%"):
            n = int(body)
            if n < 0:
                return None, end + 2
            items, pos = [], end + 2
            for _ in range(n * 2 if kind == b"%" else n):
                item, pos = one(pos)
                items.append(item)
            if kind == b"%":
                items = [[items[i], items[i + 1]] for i in range(0, len(items), 2)]
            return items, pos
        raise ValueError(f"cannot parse {reply!r}")
    value, end = one(0)
    assert end == len(reply), reply
    return value


def _sortable(v):
    return repr(v)


def unordered(value):
    """A reply with its top-level order forgotten (flat RESP2 field/value arrays stay paired
    when pairs=True is used by the caller)."""
    if isinstance(value, list):
        return sorted(value, key=_sortable)
    return value


def pairs(value):
    """A flat [k1, v1, k2, v2 ...] array (RESP2 HGETALL) as sorted pairs; a RESP3 map too."""
    if isinstance(value, list) and value and not isinstance(value[0], list):
        value = [[value[i], value[i + 1]] for i in range(0, len(value), 2)]
    return unordered(value)


class DifferentialMachine(RuleBasedStateMachine):
    """Base of the per-type machines. `ours`/`ref` are the server processes, `proto` the RESP
    version, set by run_machine."""
    ours = None
    ref = None
    proto = 2

    def __init__(self):
        super().__init__()
        self.d = Differential(self.ours, self.ref, proto=self.proto)

    def teardown(self):
        self.d.close()

    def check(self, *args, unordered_reply=False, paired=False) -> bytes:
        """Send args to both servers and assert the same reply (as a multiset when the order is
        not defined; `paired` for field/value replies). Returns our raw reply."""
        a, b = self.d.both(*args)
        if a == b:
            return a
        if unordered_reply or paired:
            norm = pairs if paired else unordered
            pa, pb = parse_reply(a), parse_reply(b)
            assert norm(pa) == norm(pb), f"{args!r}: pyredis {a!r} != redis {b!r}"
            return a
        raise AssertionError(f"{args!r}: pyredis {a!r} != redis {b!r}")

    def check_shape(self, *args, same=lambda x: x) -> tuple[bytes, bytes]:
        """Send args to both and compare only same(parsed reply) (e.g. its length, or that every
        element belongs to the key). Returns both raw replies."""
        a, b = self.d.both(*args)
        sa, sb = same(parse_reply(a)), same(parse_reply(b))
        assert sa == sb, f"{args!r}: pyredis {a!r} != redis {b!r}"
        return a, b


def run_machine(cls, server, ref, proto: int = 2, max_examples: int = 60, steps: int = 40):
    """Run a DifferentialMachine subclass against the two servers."""
    machine = type(cls.__name__, (cls,), {"ours": server, "ref": ref, "proto": proto})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=max_examples, stateful_step_count=steps, deadline=None,
        suppress_health_check=list(HealthCheck)))
