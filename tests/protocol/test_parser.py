r"""Unit tests of fastresp.parser.RequestParser, the parser the server runs on every request.

RequestParser is push-pull: feed(bytes), then gets() returns the next non-empty command (a list
of bytes) or None when more input is needed; a protocol error raises ProtocolError, whose text
(str(e); e.reply as bytes) is the error reply. Every expected result below was checked against
redis-server 7.0.15: the tests marked `ref` send the same bytes to the real server.
"""
from __future__ import annotations

import select
import socket
import time

import pytest

from fastresp.parser import ProtocolError, RequestParser
from tests.support import encode

MB = 1024 * 1024
INLINE_MAX = 64 * 1024


def parse(*chunks, **kw):
    """(commands, error text or None) for the chunks fed one after the other."""
    p = RequestParser(**kw)
    cmds = []
    for ch in chunks:
        p.feed(ch)
        try:
            while (cmd := p.gets()) is not None:
                cmds.append(cmd)
        except ProtocolError as e:
            return cmds, e.reply.decode("latin-1")
    return cmds, None


def bytewise(data: bytes, **kw):
    return parse(*[data[i:i + 1] for i in range(len(data))], **kw)


def exchange_many(port: int, streams: list, wait: float = 0.4) -> list:
    """Send each stream on its own connection to a server; after `wait` seconds of quiet, the
    (reply bytes, closed) of every connection."""
    socks = []
    for data in streams:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(data)
        socks.append(s)
    replies = [b""] * len(socks)
    closed = [False] * len(socks)
    live = {s.fileno(): i for i, s in enumerate(socks)}
    deadline = time.time() + wait
    while live and time.time() < deadline:
        ready, _, _ = select.select(list(live), [], [], max(0.0, deadline - time.time()))
        for fd in ready:
            i = live[fd]
            try:
                data = socks[i].recv(65536)
            except ConnectionResetError:
                data = b""
            if data:
                replies[i] += data
            else:
                closed[i] = True
                del live[fd]
    for s in socks:
        s.close()
    return list(zip(replies, closed))


# =============================================================================================
# Multibulk
# =============================================================================================

def test_multibulk_one_command():
    assert parse(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n") == (
        [[b"SET", b"k", b"hello"]], None)


def test_multibulk_is_binary_safe():
    args = [b"ECHO", b"a\r\nb", b"\x00\x01\xff", b"", b"\r\n\r\n", b"$3\r\n", b"*1\r\n"]
    assert parse(encode(*args)) == ([args], None)


def test_multibulk_two_bytes_after_a_bulk_are_not_checked():
    # redis-server answers +PONG to both, and "PING" to the ECHO
    assert parse(b"*1\r\n$4\r\nPINGxx*2\r\n$4\r\nECHO\r\n$4\r\nPING\n\n") == (
        [[b"PING"], [b"ECHO", b"PING"]], None)


def test_multibulk_byte_after_count_line_cr_is_not_checked():
    assert parse(b"*1\rX$4\rYPING\r\n") == ([[b"PING"]], None)


def test_multibulk_needs_the_byte_after_cr():
    p = RequestParser()
    p.feed(b"*1\r")
    assert p.gets() is None
    p.feed(b"\n$4\r")
    assert p.gets() is None
    p.feed(b"\nPING\r")
    assert p.gets() is None        # the bulk needs its two trailing bytes
    p.feed(b"\n")
    assert p.gets() == [b"PING"]
    assert p.gets() is None
    assert p.pending == 0


def test_multibulk_count_limits():
    assert parse(b"*2147483647\r\n") == ([], None)     # accepted: waits for the arguments
    assert parse(b"*1048576\r\n$4\r\nPING\r\n") == ([], None)


def test_max_bulk_is_accepted_and_waits():
    p = RequestParser()
    p.feed(b"*1\r\n$536870912\r\n" + b"x" * 1000)
    assert p.gets() is None
    assert p.pending == 1016


def test_big_bulk_arrives_in_pieces():
    value = bytes(range(256)) * 4096        # 1 MB
    p = RequestParser()
    p.feed(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % len(value))
    for i in range(0, len(value), 65536):
        assert p.gets() is None
        p.feed(value[i:i + 65536])
    assert p.gets() is None
    p.feed(b"\r\n")
    assert p.gets() == [b"SET", b"k", value]


# =============================================================================================
# Empty requests and pipelines
# =============================================================================================

@pytest.mark.parametrize("empty", [b"\r\n", b"\n", b"   \r\n", b"\t\x0b\x0c\n", b"*0\r\n",
                                   b"*-1\r\n", b"*-10\r\n", b"*-2147483648\r\n"])
def test_empty_requests_are_skipped(empty):
    p = RequestParser()
    p.feed(empty * 3)
    assert p.gets() is None
    assert p.pending == 0
    p.feed(empty + b"PING\r\n" + empty)
    assert p.gets() == [b"PING"]
    assert p.gets() is None
    assert p.pending == 0


def test_pipeline_of_mixed_requests():
    stream = (encode("SET", "a", "1") + b"GET a\r\n" + b"\r\n" + encode("PING") + b"*0\r\n"
              + b"ECHO 'x y'\n" + encode("DEL", "a"))
    want = [[b"SET", b"a", b"1"], [b"GET", b"a"], [b"PING"], [b"ECHO", b"x y"], [b"DEL", b"a"]]
    assert parse(stream) == (want, None)
    p = RequestParser()
    p.feed(stream)
    got = [p.gets() for _ in want]
    assert got == want
    assert p.gets() is None


def test_pipeline_of_10000_commands():
    stream = b"".join(encode("SET", f"k{i}", f"v{i}") for i in range(5000)) + b"PING\r\n" * 5000
    cmds, err = parse(stream)
    assert err is None and len(cmds) == 10000
    assert cmds[4999] == [b"SET", b"k4999", b"v4999"] and cmds[-1] == [b"PING"]


def test_command_then_error_in_the_same_feed():
    p = RequestParser()
    p.feed(b"PING\r\n*1\r\nfoo\r\nPING\r\n")
    assert p.gets() == [b"PING"]
    with pytest.raises(ProtocolError) as e:
        p.gets()
    assert str(e.value) == "ERR Protocol error: expected '$', got 'f'"


SPLIT_STREAMS = [
    encode("SET", "key", "a\r\nvalue"),
    encode("MSET", *[f"k{i}" for i in range(12)]) + encode("PING"),
    b"SET \"a b\" 'c\\'d' \"\\x41\\n\"\r\nPING\n\r\n*0\r\n*-5\r\nGET x\r\n",
    b"*1\rX$4\rYPINGxx",
    b"\r\n\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
    b"PING\r\n*1\r\nfoo\r\n",
    b"*1\r\n$-1\r\n",
    b"set \"\"\"test-key\"\"\" x\r\n",
    b"ECHO ok\r\n*3000000000\r\n",
    b"*1\r\n$3\x00\r\nfoo\r\n",
    b"*2\r\n$4\r\nECHO\r\n$5\r\nab\ncd\r\n*1\r\n\r\n",
]


@pytest.mark.parametrize("stream", SPLIT_STREAMS)
def test_every_byte_split_gives_the_same_result(stream):
    whole = parse(stream)
    assert bytewise(stream) == whole
    for i in range(len(stream) + 1):
        assert parse(stream[:i], stream[i:]) == whole, i


def test_split_results_are_what_redis_parses():
    assert bytewise(SPLIT_STREAMS[2]) == (
        [[b"SET", b"a b", b"c'd", b"A\n"], [b"PING"], [b"GET", b"x"]], None)
    assert bytewise(SPLIT_STREAMS[5]) == (
        [[b"PING"]], "ERR Protocol error: expected '$', got 'f'")
    assert bytewise(SPLIT_STREAMS[9]) == ([], None)
    assert bytewise(SPLIT_STREAMS[10]) == (
        [[b"ECHO", b"ab\ncd"]], "ERR Protocol error: expected '$', got ' '")


def test_split_streams_on_redis(ref):
    """The same streams on redis-server: the replies the parses above predict."""
    got = exchange_many(ref.port, [SPLIT_STREAMS[i] for i in (3, 5, 8, 9, 10)])
    assert got == [
        (b"+PONG\r\n", False),
        (b"+PONG\r\n-ERR Protocol error: expected '$', got 'f'\r\n", True),
        (b"$2\r\nok\r\n-ERR Protocol error: invalid multibulk length\r\n", True),
        (b"", False),
        (b"$5\r\nab\ncd\r\n-ERR Protocol error: expected '$', got ' '\r\n", True),
    ]


# =============================================================================================
# Inline requests: sdssplitargs
# =============================================================================================

# (the text after "RPUSH k ", the arguments it holds) -- checked with RPUSH + LRANGE on redis
INLINE_CASES = [
    (b"a b c", [b"a", b"b", b"c"]),
    (b"  a\t\tb   ", [b"a", b"b"]),
    (b"a\x0bb a\x0cb", [b"a\x0bb", b"a\x0cb"]),       # \v and \f do not end a plain word
    (b"\x0b\x0ca \x0b b", [b"a", b"b"]),              # ... but are skipped between words
    (b"a\rb", [b"a", b"b"]),                          # a lone CR separates words
    (b'"a b" \'c d\'', [b"a b", b"c d"]),
    (b'"" \'\'', [b"", b""]),
    (b'"\\n\\r\\t\\b\\a\\\\\\""', [b"\n\r\t\b\a\\\""]),
    (b'"\\x41\\x4a\\x4A\\xff\\x00\\x7e"', [b"AJJ\xff\x00~"]),
    (b'"\\xZZ\\x4g\\x"', [b"xZZx4gx"]),               # not two hex digits: \x is "x"
    (b'"\\z\\\'\\ \\0"', [b"z' 0"]),                  # any other escaped byte is itself
    (b"'a\\'b'", [b"a'b"]),
    (b"'a\\\\b\\n\\x41\"'", [b"a\\\\b\\n\\x41\""]),   # single quotes: only \' is special
    (b'ab"cd" ab"c d" x\'y z\'', [b"abcd", b"abc d", b"xy z"]),
    (b'"a"\tb "c"\x0bd "e"\x0c', [b"a", b"b", b"c", b"d", b"e"]),
    (b"'a' 'b'\t", [b"a", b"b"]),
    (b'"a\rb"', [b"a\rb"]),                           # a raw CR inside quotes is kept
    (b"x\\y z\\", [b"x\\y", b"z\\"]),                  # an unquoted backslash is literal
]

UNBALANCED = [b'"abc', b"'abc", b'"a"b', b"'a'b", b'"a\\"', b"'a\\'", b'"a\\', b'"a"\'b\'',
              b'a"b"c', b"a'b'c", b'"""test-key"""', b'x "y', b'x\\y \\"']


@pytest.mark.parametrize("text,args", INLINE_CASES)
def test_inline_splitting(text, args):
    want = [b"RPUSH", b"k"] + args
    for end in (b"\r\n", b"\n"):
        assert parse(b"RPUSH k " + text + end) == ([want], None)
        assert bytewise(b"RPUSH k " + text + end) == ([want], None)


@pytest.mark.parametrize("text", UNBALANCED)
def test_inline_unbalanced_quotes(text):
    want = ([], "ERR Protocol error: unbalanced quotes in request")
    assert parse(b"RPUSH k " + text + b"\r\n") == want
    assert parse(b"RPUSH k " + text + b"\n") == want


def test_inline_cases_on_redis(ref):
    streams = [b"RPUSH k%d %s\r\nLRANGE k%d 0 -1\r\nDEL k%d\r\n" % (i, text, i, i)
               for i, (text, _) in enumerate(INLINE_CASES)]
    streams += [b"RPUSH u " + text + b"\r\nPING\r\n" for text in UNBALANCED]
    got = exchange_many(ref.port, streams)
    for (text, args), reply in zip(INLINE_CASES, got):
        assert reply == (b":%d\r\n" % len(args) + encode(*args) + b":1\r\n", False), text
    for text, reply in zip(UNBALANCED, got[len(INLINE_CASES):]):
        assert reply == (b"-ERR Protocol error: unbalanced quotes in request\r\n", True), text


def test_inline_line_ends():
    assert parse(b"PING\n") == ([[b"PING"]], None)
    assert parse(b"PING\r\n") == ([[b"PING"]], None)
    assert parse(b"PING\r\r\n") == ([[b"PING"]], None)     # the first CR is a blank
    assert parse(b"PING\r") == ([], None)                   # waits for the LF
    assert parse(b"ECHO \"a\r\n") == ([], "ERR Protocol error: unbalanced quotes in request")


def test_inline_nul_byte_waits_like_redis():
    """A NUL stops Redis's search for the line end (strchr): the request waits for more input
    until more than 64 KB are pending."""
    p = RequestParser()
    p.feed(b"PING\x00\r\nPING\r\n")
    assert p.gets() is None
    p.feed(b"x" * (INLINE_MAX - 13))
    assert p.gets() is None
    assert p.pending == INLINE_MAX
    p.feed(b"x")
    with pytest.raises(ProtocolError, match="too big inline request"):
        p.gets()


def test_inline_decoding_happens_in_place_without_corrupting_the_next_request():
    stream = b'ECHO "\\x41\\x42\\x43\\x44"\r\n' + encode("ECHO", "\\x45") + b"ECHO '\\''\r\n"
    assert bytewise(stream) == ([[b"ECHO", b"ABCD"], [b"ECHO", b"\\x45"], [b"ECHO", b"'"]], None)


# =============================================================================================
# Protocol errors
# =============================================================================================

ERRORS = [
    (b"*3000000000\r\n", "invalid multibulk length"),
    (b"*2147483648\r\n", "invalid multibulk length"),
    (b"*9223372036854775808\r\n", "invalid multibulk length"),
    (b"*blabla\r\n", "invalid multibulk length"),
    (b"*\r\n", "invalid multibulk length"),
    (b"*01\r\n", "invalid multibulk length"),
    (b"*+1\r\n", "invalid multibulk length"),
    (b"*-0\r\n", "invalid multibulk length"),
    (b"* 1\r\n", "invalid multibulk length"),
    (b"*1 \r\n", "invalid multibulk length"),
    (b"*1\r\nfoo\r\n", "expected '$', got 'f'"),
    (b"*1\r\n\r\nxx", "expected '$', got ' '"),
    (b"*1\r\n\nfoo\r\n", "expected '$', got ' '"),
    (b"*1\r\n\xffoo\r\n", "expected '$', got '\xff'"),
    (b"*2\r\n$4\r\nECHO\r\n*1\r\n", "expected '$', got '*'"),
    (b"*1\r\n$-10\r\n", "invalid bulk length"),
    (b"*1\r\n$-1\r\n", "invalid bulk length"),
    (b"*1\r\n$2000000000\r\n", "invalid bulk length"),
    (b"*1\r\n$blabla\r\n", "invalid bulk length"),
    (b"*1\r\n$536870913\r\n", "invalid bulk length"),
    (b"*1\r\n$\r\n", "invalid bulk length"),
    (b"*1\r\n$01\r\n", "invalid bulk length"),
    (b"*1\r\n$-0\r\n", "invalid bulk length"),
    (b"*1\r\n$ 1\r\n", "invalid bulk length"),
    (b"set \"\"\"test-key\"\"\" x\r\n", "unbalanced quotes in request"),
    (b"A" * 70000, "too big inline request"),
    (b"A" * (INLINE_MAX + 1), "too big inline request"),          # one byte past the limit
    (b"*" + b"1" * INLINE_MAX, "too big mbulk count string"),
    (b"*1\r\n$" + b"1" * INLINE_MAX, "too big bulk count string"),
    (b"*" + b"1" * 70000, "too big mbulk count string"),
    (b"*1\r\n$" + b"1" * 70000, "too big bulk count string"),
    (b"*1\r\n$3\x00" + b"1" * 70000, "too big bulk count string"),
    (b"*\x00" + b"1" * 70000, "too big mbulk count string"),
]


@pytest.mark.parametrize("data,text", ERRORS, ids=[repr(d[:24]) for d, _ in ERRORS])
def test_protocol_errors(data, text):
    want = ([], "ERR Protocol error: " + text)
    assert parse(data) == want
    if len(data) < 100:
        assert bytewise(data) == want


def test_protocol_errors_on_redis(ref):
    got = exchange_many(ref.port, [d for d, _ in ERRORS], wait=0.6)
    for (data, text), reply in zip(ERRORS, got):
        assert reply == (b"-ERR Protocol error: " + text.encode("latin-1") + b"\r\n", True), data


WAITING = [b"*1\r\nfoo", b"*1\r\n$536870912\r\n", b"\x00" + b"j" * 1024, b"*\x00" + b"j" * 1024,
           b"$\x00" + b"j" * 1024, b"*1\r\n$3\x00\r\nfoo\r\n", b"*2147483647\r\n",
           b"A" * INLINE_MAX, b"*" + b"1" * (INLINE_MAX - 1), b"*1\r\n$" + b"1" * (INLINE_MAX - 1)]


@pytest.mark.parametrize("data", WAITING, ids=[repr(d[:24]) for d in WAITING])
def test_incomplete_requests_wait(data):
    assert parse(data) == ([], None)


def test_incomplete_requests_wait_on_redis(ref):
    assert exchange_many(ref.port, WAITING) == [(b"", False)] * len(WAITING)


def test_protocol_error_text_keeps_the_raw_byte():
    p = RequestParser()
    p.feed(b"*1\r\n\x80\r\n")
    with pytest.raises(ProtocolError) as e:
        p.gets()
    assert e.value.reply == b"ERR Protocol error: expected '$', got '\x80'"
    assert str(e.value) == "ERR Protocol error: expected '$', got '\udc80'"


def test_line_limits_are_per_pending_bytes():
    """Too big means more than 64 KB pending without a line end, counted from the request."""
    for prefix in (b"", b"PING\r\n", encode("PING")):
        p = RequestParser()
        p.feed(prefix + b"A" * INLINE_MAX)
        while p.gets() is not None:
            pass
        assert p.pending == INLINE_MAX
        p.feed(b"\n")
        assert p.gets() == [b"A" * INLINE_MAX]        # a 64 KB line is allowed


# =============================================================================================
# Limits
# =============================================================================================

def test_proto_max_bulk_len():
    assert parse(b"*1\r\n$1000\r\n", max_bulk=1000) == ([], None)
    assert parse(b"*1\r\n$1001\r\n", max_bulk=1000) == (
        [], "ERR Protocol error: invalid bulk length")
    assert parse(encode("SET", "k", "x" * 1000), max_bulk=1000) == (
        [[b"SET", b"k", b"x" * 1000]], None)
    assert parse(b"*1\r\n$1\r\n", max_bulk=0)[1] == "ERR Protocol error: invalid bulk length"
    assert parse(b"*1\r\n$0\r\n\r\n", max_bulk=0) == ([[b""]], None)


def test_unauthenticated_limits():
    ok = encode(*["x"] * 10)
    assert parse(ok, unauthenticated=True) == ([[b"x"] * 10], None)
    assert parse(b"*11\r\n", unauthenticated=True) == (
        [], "ERR Protocol error: unauthenticated multibulk length")
    assert parse(b"*11\r\n", unauthenticated=False) == ([], None)
    assert parse(b"*-1\r\n*0\r\n", unauthenticated=True) == ([], None)
    assert parse(b"*1\r\n$16384\r\n", unauthenticated=True) == ([], None)
    assert parse(b"*1\r\n$16385\r\n", unauthenticated=True) == (
        [], "ERR Protocol error: unauthenticated bulk length")
    # inline requests have only the 64 KB limit
    assert parse(b"AUTH " + b"p" * 20000 + b" " + b"a " * 20 + b"\r\n", unauthenticated=True) == (
        [[b"AUTH", b"p" * 20000] + [b"a"] * 20], None)
    # the count is checked before the bulk lengths, the proto limit before the unauth one
    assert parse(b"*1\r\n$600000000\r\n", unauthenticated=True) == (
        [], "ERR Protocol error: invalid bulk length")


def test_many_arguments():
    args = [b"%d" % i for i in range(5000)]
    assert parse(encode(*args)) == ([args], None)
    p = RequestParser()
    p.feed(encode(*args) + encode("PING"))
    assert p.gets() == args
    assert p.gets() == [b"PING"]
