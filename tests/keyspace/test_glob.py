"""fastresp.util: the glob matcher behind KEYS and SCAN MATCH (and its number helpers).

- hand-checked cases on fastresp.util.glob directly, each also confirmed against redis-server
  (KEYS for case-sensitive cases, COMMAND LIST FILTERBY PATTERN for case-insensitive ones);
- a hypothesis differential test: random patterns over a small alphabet, KEYS on pyredis and
  on redis-server 7.0 must return the same set of a fixed collection of keys;
- the star-group cap (Redis gives up past 1000 nested stars) and pathological patterns, which
  must stay fast.
"""
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastresp.util import glob

# (pattern, string, match?) with Redis 7.0's stringmatchlen rules; nocase=False.
CASES = [
    (b"", b"", True),
    (b"", b"a", False),
    (b"*", b"", False),          # the empty string matches only the empty pattern ...
    (b"**", b"", False),         # ... (KEYS * and SCAN MATCH * special-case a lone "*")
    (b"*", b"abc", True),
    (b"**", b"abc", True),
    (b"a*", b"a", True),
    (b"a*", b"", False),
    (b"a**", b"abc", True),
    (b"*a", b"bba", True),
    (b"*a", b"ab", False),
    (b"a*b*c", b"axxbyyc", True),
    (b"a*b*c", b"axxbyy", False),
    (b"a*b*c", b"abc", True),
    (b"*?", b"", False),
    (b"*?", b"x", True),
    (b"?", b"a", True),
    (b"?", b"", False),
    (b"?", b"ab", False),
    (b"??", b"ab", True),
    (b"a?c", b"abc", True),
    (b"[abc]", b"b", True),
    (b"[abc]", b"d", False),
    (b"[abc]", b"ab", False),
    (b"[^abc]", b"d", True),
    (b"[^abc]", b"a", False),
    (b"[a-c]", b"b", True),
    (b"[a-c]", b"d", False),
    (b"[c-a]", b"b", True),      # a reversed range is swapped
    (b"[^a-c]x", b"dx", True),
    (b"h[^e]llo", b"hallo", True),
    (b"h[^e]llo", b"hello", False),
    (b"[a-]", b"]", True),       # "a-]" is the range ']'..'a' and the class is unterminated
    (b"[a-]", b"-", False),
    (b"[a-]", b"a", True),
    (b"[-a]", b"-", True),
    (b"[]", b"]", False),        # "[]" is an empty class: it matches nothing
    (b"[]a]", b"a]", False),
    (b"[\\]]", b"]", True),      # an escaped ']' inside a class
    (b"[\\]]", b"\\", False),
    (b"[\\", b"\\", True),       # unterminated class holding a lone backslash
    (b"[", b"[", False),         # unterminated empty class: matches nothing
    (b"[", b"", False),
    (b"[^", b"x", True),         # unterminated negated empty class: any one byte
    (b"[^", b"", False),
    (b"[^", b"xy", False),
    (b"a[", b"a", False),
    (b"a[", b"ab", False),
    (b"[ab", b"a", True),
    (b"[ab", b"b", True),
    (b"\\*", b"*", True),
    (b"\\*", b"a", False),
    (b"\\?", b"?", True),
    (b"\\?", b"x", False),
    (b"\\[a]", b"[a]", True),
    (b"\\", b"\\", True),        # a trailing backslash is literal
    (b"a\\", b"a\\", True),
    (b"\\a", b"a", True),
    (b"*\\*", b"ab*", True),
    (b"*\\*", b"ab", False),
    (b"a*", b"A", False),
    (b"[A-C]", b"b", False),
    (b"\x00*", b"\x00abc", True),
    (b"*\xff", b"a\xff", True),
    (b"[\x80-\xff]", b"\x90", True),   # bytes above 0x7f, as signed chars like Redis
    (b"[\x80-\xff]", b"a", False),
]


@pytest.mark.parametrize("pattern,string,expected", CASES)
def test_glob_hand_checked(pattern, string, expected):
    assert glob(pattern, string) is expected


def bulks(reply: bytes) -> list[bytes]:
    """The strings of a flat RESP2 array reply of bulk strings."""
    assert reply[:1] == b"*", reply
    head, rest = reply.split(b"\r\n", 1)
    out = []
    for _ in range(int(head[1:])):
        size, rest = rest.split(b"\r\n", 1)
        n = int(size[1:])
        out.append(rest[:n])
        rest = rest[n + 2:]
    return out


def test_hand_checked_cases_agree_with_redis(diff):
    """Every case-sensitive hand-checked case, confirmed on redis-server (and pyredis) through
    KEYS. A lone "*" is skipped: KEYS special-cases it."""
    strings = sorted({s for _, s, _ in CASES})
    for client in (diff.ours, diff.ref):
        for s in strings:
            assert client.call("SET", s, "v") == b"+OK\r\n"
    for pattern in sorted({p for p, _, _ in CASES if p != b"*"}):
        expected = {s for s in strings if glob(pattern, s)}
        ours, ref = diff.both("KEYS", pattern)
        assert set(bulks(ref)) == expected, pattern
        assert set(bulks(ours)) == expected, pattern


# Case-insensitive matching (CONFIG GET, COMMAND LIST FILTERBY PATTERN use it); the strings
# are command names so that the cases can be confirmed on redis-server.
NOCASE_CASES = [
    (b"G*", b"get", True),
    (b"*T", b"get", True),
    (b"GET", b"get", True),
    (b"[A-H]et", b"get", True),
    (b"[H-A]ET", b"get", True),
    (b"[F-G]et", b"get", True),
    (b"[G]et", b"get", True),
    (b"[^G]et", b"get", False),
    (b"[\\G]et", b"get", False),   # an escaped byte inside a class compares case-sensitively
    (b"[\\g]ET", b"get", True),
    (b"\\GET", b"get", True),      # an escaped byte outside a class ignores case
    (b"?ET", b"get", True),
    (b"S*", b"get", False),
]


@pytest.mark.parametrize("pattern,string,expected", NOCASE_CASES)
def test_glob_nocase_hand_checked(pattern, string, expected):
    assert glob(pattern, string, True) is expected


def test_nocase_cases_agree_with_redis(ref):
    with ref.raw() as c:
        for pattern, string, expected in NOCASE_CASES:
            names = bulks(c.call("COMMAND", "LIST", "FILTERBY", "PATTERN", pattern))
            assert (string in names) is expected, pattern


# ---------------------------------------------------------------------------------------------
# Differential: random patterns, KEYS on both servers
# ---------------------------------------------------------------------------------------------

KEYS = [b"a", b"b", b"c", b"ab", b"ba", b"abc", b"aab", b"abab", b"a-b", b"-", b"^", b"]",
        b"[", b"\\", b"*", b"?", b"a]b", b"a\\b", b"a[b", b"a*b", b"a?b", b"aa", b"bb",
        b"cab", b"[a]", b"^a", b"b^", b"", b"A", b"aB", b"abcabc", b"x" * 40, b"ax" * 10]

TOKENS = ["a", "b", "c", "A", "-", "^", "]", "[", "\\", "*", "?", "[a-c]", "[^a]", "[\\]]",
          "\\*", "\\[", "[a-", "[^"]


@pytest.fixture(scope="module")
def glob_clients(server, ref):
    """One connection pair for every example, with the fixed keys loaded in database 9."""
    pair = (server.raw(), ref.raw())
    for c in pair:
        assert c.call("SELECT", "9") == b"+OK\r\n"
        c.call("FLUSHDB")
        for k in KEYS:
            c.call("SET", k, "1")
    yield pair
    for c in pair:
        c.call("FLUSHDB")
        c.close()


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TOKENS), max_size=8).map("".join))
def test_keys_random_patterns_same_as_redis(glob_clients, pattern):
    ours, theirs = glob_clients
    a, b = ours.call("KEYS", pattern), theirs.call("KEYS", pattern)
    assert sorted(bulks(a)) == sorted(bulks(b)), pattern
    assert len(bulks(b)) == int(b[1:b.index(b"\r\n")])


# ---------------------------------------------------------------------------------------------
# The star-group cap and pathological patterns
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern", [
    b"a*" * 999, b"*a" * 999, b"a*" * 1000, b"*a" * 1000, b"*" + b"a*" * 1000,
    b"a*" * 1001, b"*a" * 1001, (b"a*" * 1001)[:-1], b"a*" * 1002, b"*" + b"a*" * 1001,
    b"a*" * 1000 + b"b", b"*a" * 1000 + b"*", b"a*" * 1001 + b"a", b"a*" * 1000 + b"a",
], ids=lambda p: f"{p[:4].decode()}..{len(p)}")
def test_star_group_cap_same_as_redis(diff, pattern):
    """Redis answers "no match" once the match reaches a 1001st star group that has more
    pattern after it (a recursion cap); a trailing group past the cap still matches."""
    key = b"a" * 3000
    for c in (diff.ours, diff.ref):
        c.call("SET", key, "1")
        c.call("SET", b"a" * 3000 + b"b", "1")
    ours, ref = diff.both("KEYS", pattern)
    assert sorted(bulks(ours)) == sorted(bulks(ref))


def test_star_group_cap_on_glob():
    s = b"a" * 3000
    assert glob(b"*" + b"a*" * 1000, s)          # 1001 groups, the last one trailing
    assert not glob(b"*" + b"a*" * 1000 + b"a", s)
    assert glob(b"a*" * 1001, s)                  # likewise
    assert not glob(b"a*" * 1001 + b"a", s)       # a 1001st group with pattern after it
    assert glob(b"a*" * 1000 + b"a", s)           # 1000 groups


def test_pathological_patterns_are_fast():
    """Backtracking only to the latest star: a*a*...b against a long run of a's is linear-ish."""
    s = b"a" * 20000
    start = time.monotonic()
    assert not glob(b"a*" * 40 + b"b", s)
    assert not glob(b"*a" * 40 + b"*b", s)
    assert not glob(b"*?" * 40 + b"b", s)
    assert glob(b"a*" * 40 + b"a", s)
    assert time.monotonic() - start < 1.0


def test_pathological_keys_answers_quickly(raw):
    raw.call("SET", b"a" * 5000, "1")
    raw.call("SET", b"a" * 300 + b"c", "1")
    for pattern in (b"a*" * 35 + b"b", b"*a" * 40 + b"*b", b"a*" * 60 + b"[bd]"):
        start = time.monotonic()
        assert raw.call("KEYS", pattern) == b"*0\r\n"
        assert raw.call("SCAN", "0", "MATCH", pattern, "COUNT", "1000") == b"*2\r\n$1\r\n0\r\n*0\r\n"
        assert time.monotonic() - start < 0.2     # generous: it takes well under 1 ms
    assert raw.call("PING") == b"+PONG\r\n"


# ---------------------------------------------------------------------------------------------
# fastresp.util's number helpers, through the commands that use them
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "1e5000", "-1e5000", "1e-5000", "-1e-5000",     # out of range: ERANGE must be seen
    "1e308", "1e-400", "1.5", " 1", "1 ", "", "nan", "inf", "-inf", "0x10", "1e", "+1",
])
def test_incrbyfloat_parses_like_redis(diff, text):
    diff.check("SET", "f", "1")
    diff.check("INCRBYFLOAT", "f", text)
    diff.check("GET", "f")
    diff.check("SET", "g", text)
    diff.check("INCRBYFLOAT", "g", "1")
