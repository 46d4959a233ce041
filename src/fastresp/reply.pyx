# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Replies: the buffer's storage (block pool, growth, deferred aggregate headers), the reply
values Python handlers return and their encoding (reply_value), and the reader that takes a
reply apart again for in-process callers (ReplyReader, reply_decode)."""
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdlib cimport malloc, realloc, free, strtod
from libc.string cimport memmove, memchr
from fastresp.util cimport string2ll
from fastresp.includes.libc_extra cimport snprintf

cdef char* _pool[REPLY_POOL_MAX]
cdef int _pool_n = 0


cdef int reply_grow(ReplyBuf* r, size_t need) except -1:
    """Make room for `need` more bytes: take a pooled block, or double the current one."""
    global _pool_n
    cdef size_t want = r.len + need
    cdef size_t cap
    cdef char* block
    if r.data == NULL:
        if want <= REPLY_CHUNK:
            if _pool_n > 0:
                _pool_n -= 1
                r.data = _pool[_pool_n]
            else:
                r.data = <char*>malloc(REPLY_CHUNK)
                if r.data == NULL:
                    raise MemoryError()
            r.cap = REPLY_CHUNK
            return 0
        cap = REPLY_CHUNK
    else:
        cap = r.cap
    while cap < want:
        cap *= 2
    block = <char*>realloc(r.data, cap)
    if block == NULL:
        raise MemoryError()
    r.data = block
    r.cap = cap
    return 0


cdef void reply_release(ReplyBuf* r) noexcept:
    """Give the block back (pooled when it has the standard size): everything was written,
    or the client is gone and what was not written is dropped."""
    global _pool_n
    if r.data != NULL:
        if r.cap == REPLY_CHUNK and _pool_n < REPLY_POOL_MAX:
            _pool[_pool_n] = r.data
            _pool_n += 1
        else:
            free(r.data)
    r.data = NULL
    r.len = r.sent = r.cap = 0


cdef size_t d2string_g17(char* buf, double v) noexcept:
    cdef int n = snprintf(buf, 64, b"%.17g", v)
    return <size_t>n if n > 0 else 0


cdef size_t reply_defer(ReplyBuf* r) except? 0:
    """Reserve room for an aggregate header whose length is known only later; returns its
    position for reply_set_deferred."""
    if r.cap - r.len < DEFERRED_HEADER_MAX:
        reply_grow(r, DEFERRED_HEADER_MAX)
    cdef size_t at = r.len
    r.len += DEFERRED_HEADER_MAX
    return at


cdef int reply_set_deferred(ReplyBuf* r, size_t at, char prefix, long long n) except -1:
    """Write "<prefix><n>\r\n" at a reserved position and close the gap behind it."""
    cdef char hdr[DEFERRED_HEADER_MAX]
    cdef int h = snprintf(hdr, DEFERRED_HEADER_MAX, b"%c%lld\r\n", prefix, n)
    cdef size_t body = at + DEFERRED_HEADER_MAX
    memmove(r.data + at + h, r.data + body, r.len - body)
    memcpy(r.data + at, hdr, h)
    r.len -= DEFERRED_HEADER_MAX - h
    return 0


cdef int reply_set_deferred_array(ReplyBuf* r, size_t at, long long n) except -1:
    return reply_set_deferred(r, at, b'*', n)


# =============================================================================================
# Python values as replies
# =============================================================================================

class Status(str):
    """A simple string reply (+OK)."""


class ErrorReply(str):
    """An error reply inside an aggregate (EXEC results): the text without '-'."""


class Verbatim(str):
    """A verbatim text reply (RESP3 '=' with format txt, a bulk string in RESP2)."""


class Push(list):
    """An out-of-band push (RESP3 '>', an array in RESP2)."""


class SetReply(list):
    """A set reply with a fixed element order (RESP3 '~', an array in RESP2)."""


class MapReply(list):
    """A map reply given as (key, value) pairs, in order, keys possibly repeated (RESP3 '%',
    a flat array in RESP2)."""


class _NullArray:
    """The null array (*-1 in RESP2, _ in RESP3)."""
    def __repr__(self):
        return "NULL_ARRAY"


class _NoReply:
    """Returned by a handler that wrote its replies itself."""
    def __repr__(self):
        return "NO_REPLY"


NULL_ARRAY = _NullArray()
NO_REPLY = _NoReply()


cdef int reply_value(ReplyBuf* r, object v) except -1:
    """Encode a Python value: bytes/str -> bulk, int -> integer, None -> null, float -> double,
    bool -> boolean, list/tuple -> array, dict -> map, set -> set, and the marker types above."""
    cdef type t = type(v)
    cdef bytes b
    if t is bytes:
        return reply_bulk(r, PyBytes_AS_STRING(v), PyBytes_GET_SIZE(v))
    if v is None:
        return reply_null(r)
    if t is bool:
        return reply_bool(r, v)
    if t is int:
        return reply_int(r, v)
    if t is Status:
        b = (<str>v).encode()
        return reply_simple(r, b, len(b))
    if t is str:
        b = (<str>v).encode()
        return reply_bulk(r, b, len(b))
    if t is list or t is tuple or t is Push:
        if t is Push:
            reply_push(r, len(v))
        else:
            reply_array(r, len(v))
        for item in v:
            reply_value(r, item)
        return 0
    if t is dict:
        reply_map(r, len(v))
        for key, item in (<dict>v).items():
            reply_value(r, key)
            reply_value(r, item)
        return 0
    if t is MapReply:
        reply_map(r, len(v))
        for key, item in v:
            reply_value(r, key)
            reply_value(r, item)
        return 0
    if t is float:
        return reply_double(r, v)
    if t is Verbatim:
        b = (<str>v).encode()
        return reply_verbatim(r, b, len(b), b"txt")
    if t is ErrorReply:
        b = (<str>v).encode()
        return reply_error_text(r, b, len(b))
    if t is set or t is frozenset or t is SetReply:
        reply_set(r, len(v))
        for item in v:
            reply_value(r, item)
        return 0
    if v is NULL_ARRAY:
        return reply_null_array(r)
    if isinstance(v, (bytearray, memoryview)):
        b = bytes(v)
        return reply_bulk(r, b, len(b))
    if isinstance(v, int):
        return reply_int(r, v)
    raise TypeError(f"cannot encode {t.__name__} as a reply")


# =============================================================================================
# Reading replies back
# =============================================================================================
# An in-process caller (a script's redis.call, a module command, AOF replay) gets the reply of
# the command it ran in its fake client's buffer, encoded by the same typed appends as for a
# socket. reply_read walks it item by item and hands back C values that point into the buffer
# (nothing is copied, no Python object is made): what a Cython caller converts into its own
# values (Lua's, say). reply_decode builds the Python values of the table above from it, so
# that encoding a decoded reply gives the same bytes back.

cdef int _bad_reply(const char* what) except -1:
    raise ValueError("malformed reply: " + (<bytes>what).decode())


cdef const char* _line(ReplyReader* rd, size_t* n) except NULL:
    """The rest of the current line (after the type byte), up to its CRLF; moves past it."""
    cdef const char* start = rd.p
    cdef const char* cr = <const char*>memchr(start, b"\r", <size_t>(rd.end - start))
    if cr == NULL or cr + 1 >= rd.end or cr[1] != b"\n":
        _bad_reply(b"a line without its CRLF")
    n[0] = <size_t>(cr - start)
    rd.p = cr + 2
    return start


cdef long long _line_ll(ReplyReader* rd) except? -2:
    cdef size_t n
    cdef const char* p = _line(rd, &n)
    cdef long long v = 0
    if not string2ll(p, n, &v):
        _bad_reply(b"a number that is not one")
    return v


cdef int reply_read(ReplyReader* rd, ReplyItem* it) except -1:
    """Read the next item: 1, or 0 when the data is exhausted. An aggregate's header comes as
    one item (it.n elements follow it, twice that for a map); strings point into the data."""
    cdef char kind
    cdef size_t n
    cdef const char* p
    cdef char num[64]
    if rd.p >= rd.end:
        return 0
    kind = rd.p[0]
    rd.p += 1
    it.kind = kind
    it.n = 0
    it.d = 0
    it.s = NULL
    it.len = 0
    if kind == b"+" or kind == b"-" or kind == b"(":
        it.s = _line(rd, &it.len)
    elif kind == b":":
        it.n = _line_ll(rd)
    elif kind == b"$" or kind == b"=":
        it.n = _line_ll(rd)
        if it.n < 0:
            if kind == b"=":
                _bad_reply(b"a verbatim string of negative length")
            return 1
        if rd.end - rd.p < it.n + 2:
            _bad_reply(b"a string cut short")
        it.s = rd.p
        it.len = <size_t>it.n
        rd.p += it.n + 2
        if kind == b"=":
            if it.len < 4:
                _bad_reply(b"a verbatim string without its format")
            it.s += 4
            it.len -= 4
    elif kind == b"*" or kind == b"%" or kind == b"~" or kind == b">":
        it.n = _line_ll(rd)
    elif kind == b"_":
        _line(rd, &n)
    elif kind == b"#":
        p = _line(rd, &n)
        if n != 1 or (p[0] != b"t" and p[0] != b"f"):
            _bad_reply(b"a boolean that is not t or f")
        it.n = p[0] == b"t"
    elif kind == b",":
        it.s = _line(rd, &it.len)
        if it.len >= sizeof(num):
            _bad_reply(b"a double too long")
        memcpy(num, it.s, it.len)
        num[it.len] = 0
        it.d = strtod(num, NULL)
    else:
        _bad_reply(b"an unknown type byte")
    return 1


cdef object _text(ReplyItem* it):
    return PyBytes_FromStringAndSize(it.s, it.len).decode("utf-8", "surrogateescape")


cdef object reply_decode(ReplyReader* rd):
    """The next reply as Python values: + Status, - ErrorReply, : int, $ bytes or None, * list
    or NULL_ARRAY, % MapReply, ~ SetReply, > Push, _ None, , float, # bool, = Verbatim,
    ( int."""
    cdef ReplyItem it
    cdef long long i
    cdef list items
    if not reply_read(rd, &it):
        _bad_reply(b"no reply")
    if it.kind == b"$":
        return None if it.n < 0 else PyBytes_FromStringAndSize(it.s, it.len)
    if it.kind == b":":
        return it.n
    if it.kind == b"+":
        return Status(_text(&it))
    if it.kind == b"*" or it.kind == b"~" or it.kind == b">":
        if it.n < 0:
            return NULL_ARRAY
        items = [reply_decode(rd) for i in range(it.n)]
        if it.kind == b"~":
            return SetReply(items)
        if it.kind == b">":
            return Push(items)
        return items
    if it.kind == b"%":
        return MapReply([(reply_decode(rd), reply_decode(rd)) for i in range(it.n)])
    if it.kind == b"-":
        return ErrorReply(_text(&it))
    if it.kind == b"_":
        return None
    if it.kind == b",":
        return it.d
    if it.kind == b"#":
        return bool(it.n)
    if it.kind == b"=":
        return Verbatim(_text(&it))
    return int(PyBytes_FromStringAndSize(it.s, it.len))      # ( big number


def encode(value, int proto=2):
    """The RESP bytes of a reply value (as a handler returning it would send them)."""
    cdef ReplyBuf r
    r.data = NULL
    r.len = r.sent = r.cap = 0
    r.proto = proto
    try:
        reply_value(&r, value)
        return PyBytes_FromStringAndSize(r.data, r.len)
    finally:
        reply_release(&r)


cdef list reply_decode_all(const char* p, size_t n):
    """Every reply in p[0:n], as Python values (see reply_decode)."""
    cdef ReplyReader rd
    cdef list out = []
    reader_init(&rd, p, n)
    while rd.p < rd.end:
        out.append(reply_decode(&rd))
    return out


def decode(bytes data):
    """Every reply in data (RESP bytes), as Python values (see reply_decode)."""
    return reply_decode_all(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
