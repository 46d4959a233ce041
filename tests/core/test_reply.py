"""fastresp.reply: the reply values Python handlers return, their RESP2/RESP3 encoding, and the
reader in-process callers take replies apart with.

- byte-exact encodings of every value type in both protocols (the forms redis-server 7.0 sends);
- hypothesis: any reply value encodes and decodes back to itself in RESP3, and to its RESP2
  view in RESP2; hiredis (an independent parser) reads the same RESP2 bytes the same way;
- malformed input is refused with ValueError, never read past its end.
"""
import math

import hiredis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastresp.reply import (NULL_ARRAY, ErrorReply, MapReply, Push, SetReply, Status, Verbatim,
                            decode, encode)

# (value, RESP2 bytes, RESP3 bytes)
EXACT = [
    (b"abc", b"$3\r\nabc\r\n", b"$3\r\nabc\r\n"),
    (b"", b"$0\r\n\r\n", b"$0\r\n\r\n"),
    ("h\u00e9", b"$3\r\nh\xc3\xa9\r\n", b"$3\r\nh\xc3\xa9\r\n"),
    (None, b"$-1\r\n", b"_\r\n"),
    (NULL_ARRAY, b"*-1\r\n", b"_\r\n"),
    (0, b":0\r\n", b":0\r\n"),
    (-9223372036854775808, b":-9223372036854775808\r\n", b":-9223372036854775808\r\n"),
    (True, b":1\r\n", b"#t\r\n"),
    (False, b":0\r\n", b"#f\r\n"),
    (Status("OK"), b"+OK\r\n", b"+OK\r\n"),
    (ErrorReply("ERR bad"), b"-ERR bad\r\n", b"-ERR bad\r\n"),
    (1.5, b"$3\r\n1.5\r\n", b",1.5\r\n"),
    (0.1, b"$19\r\n0.10000000000000001\r\n", b",0.10000000000000001\r\n"),
    (float("inf"), b"$3\r\ninf\r\n", b",inf\r\n"),
    (float("-inf"), b"$4\r\n-inf\r\n", b",-inf\r\n"),
    (Verbatim("hi"), b"$2\r\nhi\r\n", b"=6\r\ntxt:hi\r\n"),
    ([b"a", 1], b"*2\r\n$1\r\na\r\n:1\r\n", b"*2\r\n$1\r\na\r\n:1\r\n"),
    ((), b"*0\r\n", b"*0\r\n"),
    ({b"k": 1}, b"*2\r\n$1\r\nk\r\n:1\r\n", b"%1\r\n$1\r\nk\r\n:1\r\n"),
    (MapReply([(b"k", 1), (b"k", 2)]), b"*4\r\n$1\r\nk\r\n:1\r\n$1\r\nk\r\n:2\r\n",
     b"%2\r\n$1\r\nk\r\n:1\r\n$1\r\nk\r\n:2\r\n"),
    (SetReply([b"x"]), b"*1\r\n$1\r\nx\r\n", b"~1\r\n$1\r\nx\r\n"),
    (Push([b"message", b"ch", b"m"]), b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n",
     b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n"),
]


@pytest.mark.parametrize("value,resp2,resp3", EXACT, ids=[repr(v)[:30] for v, _, _ in EXACT])
def test_encodings(value, resp2, resp3):
    assert encode(value, 2) == resp2
    assert encode(value, 3) == resp3


def test_values_that_are_not_replies_are_refused():
    with pytest.raises(TypeError):
        encode(object())
    with pytest.raises(OverflowError):
        encode(1 << 64)


# ----- round trips ----------------------------------------------------------------------------
line_text = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
                    max_size=20)
scalars = st.one_of(
    st.binary(max_size=30),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1),
    line_text.map(Status),
    line_text.map(lambda t: ErrorReply("ERR " + t)),
    st.floats(allow_nan=False),
    st.text(max_size=20).map(Verbatim),
    st.just(NULL_ARRAY),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.lists(st.tuples(st.binary(max_size=5), inner), max_size=3).map(MapReply),
    st.lists(inner, max_size=4).map(SetReply),
    st.lists(inner, max_size=4).map(Push),
), max_leaves=12)


def same(a, b):
    """Equal values of the same reply type (True is not 1, Status is not str, ...)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, MapReply):
        return len(a) == len(b) and all(same(ka, kb) and same(va, vb)
                                        for (ka, va), (kb, vb) in zip(a, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def resp3_view(v):
    """What a RESP3 reader gets: RESP3 has one null, so the null array reads as None."""
    if v is NULL_ARRAY:
        return None
    if isinstance(v, MapReply):
        return MapReply((k, resp3_view(x)) for k, x in v)
    if isinstance(v, list):
        return type(v)(resp3_view(x) for x in v)
    return v


def resp2_view(v):
    """What a RESP2 reader gets for a value: RESP3-only types fall back to RESP2's."""
    if v is NULL_ARRAY:
        return NULL_ARRAY
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float):
        return b"inf" if v == math.inf else b"-inf" if v == -math.inf else \
            encode(v, 2).split(b"\r\n")[1]
    if isinstance(v, Verbatim):
        return v.encode()
    if isinstance(v, MapReply):
        return [resp2_view(x) for pair in v for x in pair]
    if isinstance(v, list):
        return [resp2_view(x) for x in v]
    return v


@settings(max_examples=400, deadline=None)
@given(values)
def test_resp3_round_trip(v):
    out = decode(encode(v, 3))
    assert len(out) == 1
    assert same(out[0], resp3_view(v))
    assert encode(out[0], 3) == encode(v, 3)


@settings(max_examples=400, deadline=None)
@given(values)
def test_resp2_round_trip_and_hiredis_agrees(v):
    wire = encode(v, 2)
    out = decode(wire)
    assert len(out) == 1
    assert same(out[0], resp2_view(v))
    reader = hiredis.Reader()
    reader.feed(wire)
    theirs = reader.gets()
    assert as_plain(theirs) == as_plain(out[0])


def as_plain(v):
    """Both readers' values as plain Python: statuses and errors as their text bytes."""
    if v is NULL_ARRAY:
        return None
    if isinstance(v, (Status, ErrorReply)):
        return v.encode()
    if isinstance(v, hiredis.ReplyError):
        return str(v).encode()
    if isinstance(v, list):
        return [as_plain(x) for x in v]
    return v


@given(st.lists(values, min_size=2, max_size=5))
def test_several_replies_in_one_buffer(vs):
    data = b"".join(encode(v, 3) for v in vs)
    out = decode(data)
    assert len(out) == len(vs) and all(same(a, resp3_view(b)) for a, b in zip(out, vs))


# ----- malformed input ------------------------------------------------------------------------
@pytest.mark.parametrize("data", [
    b"$5\r\nab\r\n",            # a bulk cut short
    b":12",                     # no CRLF
    b":1x\r\n",                 # not a number
    b"?x\r\n",                  # unknown type byte
    b"#x\r\n",                  # a boolean that is not t or f
    b"=2\r\nab\r\n",            # a verbatim string without its format
    b"*2\r\n:1\r\n",            # an array missing an element
    b"%1\r\n$1\r\nk\r\n",       # a map missing a value
])
def test_malformed_replies_are_refused(data):
    with pytest.raises(ValueError):
        decode(data)


@given(values, st.data())
def test_any_cut_of_a_reply_is_refused(v, data):
    wire = encode(v, 3)
    cut = data.draw(st.integers(min_value=1, max_value=len(wire) - 1)) if len(wire) > 1 else 0
    if cut:
        with pytest.raises(ValueError):
            decode(wire[:cut])
