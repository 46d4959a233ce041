# Replies: the per-client reply buffer with typed RESP2/RESP3 appends, the Python reply values
# Python handlers return (reply_value), and the reader in-process callers use to take a reply
# apart (ReplyReader: C values pointing into the buffer, or Python values).
#
# A ReplyBuf is one contiguous heap block that grows by doubling. Idle clients own no block:
# the first append takes one from a small pool of REPLY_CHUNK-sized blocks and reply_release()
# gives it back once everything has been written, so ten thousand idle connections cost no
# reply memory. The same handler code produces RESP2 and RESP3: only the type-dependent
# appenders (null, map, set, double, bool, push, verbatim) look at `proto`.
from libc.string cimport memcpy
from fastresp.util cimport ll2string, ull2string, d2string, LONG_STR_SIZE
from fastresp.includes.libc_extra cimport FR_UNLIKELY, isinf

cdef enum:
    REPLY_CHUNK = 16 * 1024          # size of a pooled reply block, bytes
    REPLY_POOL_MAX = 256             # pooled blocks kept for reuse
    DEFERRED_HEADER_MAX = 24         # room reserved for a deferred aggregate header, bytes

cdef struct ReplyBuf:
    char* data          # the block (NULL when the client has nothing pending)
    size_t len          # bytes appended so far
    size_t sent         # bytes of data already written to the socket
    size_t cap          # size of the block
    int proto           # 2 or 3, switched by HELLO

cdef int reply_grow(ReplyBuf* r, size_t need) except -1
cdef void reply_release(ReplyBuf* r) noexcept


cdef inline int reply_raw(ReplyBuf* r, const char* p, size_t n) except -1:
    """Append bytes that are already RESP."""
    if FR_UNLIKELY(r.cap - r.len < n):
        reply_grow(r, n)
    memcpy(r.data + r.len, p, n)
    r.len += n
    return 0


cdef inline int _reply_prefixed_number(ReplyBuf* r, char prefix, long long v) except -1:
    """Append "<prefix><v>\r\n"."""
    cdef char* w
    cdef size_t n
    if FR_UNLIKELY(r.cap - r.len < LONG_STR_SIZE + 3):
        reply_grow(r, LONG_STR_SIZE + 3)
    w = r.data + r.len
    w[0] = prefix
    n = ll2string(w + 1, v)
    w[n + 1] = b'\r'
    w[n + 2] = b'\n'
    r.len += n + 3
    return 0


cdef inline int reply_int(ReplyBuf* r, long long v) except -1:
    """:<v>  (fast paths for 0 and 1, the most common integers)"""
    if v == 0:
        return reply_raw(r, b":0\r\n", 4)
    if v == 1:
        return reply_raw(r, b":1\r\n", 4)
    return _reply_prefixed_number(r, b':', v)


cdef inline int reply_bulk(ReplyBuf* r, const char* p, size_t n) except -1:
    """$<n> then the bytes."""
    cdef char* w
    cdef size_t h
    if FR_UNLIKELY(r.cap - r.len < n + LONG_STR_SIZE + 5):
        reply_grow(r, n + LONG_STR_SIZE + 5)
    w = r.data + r.len
    w[0] = b'$'
    h = ull2string(w + 1, n) + 1
    w[h] = b'\r'
    w[h + 1] = b'\n'
    memcpy(w + h + 2, p, n)
    w[h + 2 + n] = b'\r'
    w[h + 3 + n] = b'\n'
    r.len += h + 4 + n
    return 0


cdef inline int reply_bulk_ll(ReplyBuf* r, long long v) except -1:
    """An integer as a bulk string (GET of an int-encoded value)."""
    cdef char buf[LONG_STR_SIZE]
    cdef size_t n = ll2string(buf, v)
    return reply_bulk(r, buf, n)


cdef inline int reply_simple(ReplyBuf* r, const char* s, size_t n) except -1:
    """+<s>"""
    reply_raw(r, b"+", 1)
    reply_raw(r, s, n)
    return reply_raw(r, b"\r\n", 2)


cdef inline int reply_error_text(ReplyBuf* r, const char* s, size_t n) except -1:
    """-<s>  (no statistics: use the client's error reply, which counts errors)"""
    reply_raw(r, b"-", 1)
    reply_raw(r, s, n)
    return reply_raw(r, b"\r\n", 2)


cdef inline int reply_ok(ReplyBuf* r) except -1:
    return reply_raw(r, b"+OK\r\n", 5)


cdef inline int reply_null(ReplyBuf* r) except -1:
    """The null bulk string ($-1 in RESP2, _ in RESP3)."""
    if r.proto == 2:
        return reply_raw(r, b"$-1\r\n", 5)
    return reply_raw(r, b"_\r\n", 3)


cdef inline int reply_null_array(ReplyBuf* r) except -1:
    """The null array (*-1 in RESP2, _ in RESP3)."""
    if r.proto == 2:
        return reply_raw(r, b"*-1\r\n", 5)
    return reply_raw(r, b"_\r\n", 3)


cdef inline int reply_array(ReplyBuf* r, long long n) except -1:
    return _reply_prefixed_number(r, b'*', n)


cdef inline int reply_map(ReplyBuf* r, long long n) except -1:
    """A map of n pairs (a flat array of 2n in RESP2)."""
    if r.proto == 2:
        return _reply_prefixed_number(r, b'*', 2 * n)
    return _reply_prefixed_number(r, b'%', n)


cdef inline int reply_set(ReplyBuf* r, long long n) except -1:
    if r.proto == 2:
        return _reply_prefixed_number(r, b'*', n)
    return _reply_prefixed_number(r, b'~', n)


cdef inline int reply_push(ReplyBuf* r, long long n) except -1:
    if r.proto == 2:
        return _reply_prefixed_number(r, b'*', n)
    return _reply_prefixed_number(r, b'>', n)


cdef inline int reply_bool(ReplyBuf* r, bint v) except -1:
    if r.proto == 2:
        return reply_raw(r, b":1\r\n" if v else b":0\r\n", 4)
    return reply_raw(r, b"#t\r\n" if v else b"#f\r\n", 4)


cdef inline int reply_double(ReplyBuf* r, double v) except -1:
    """A double: a bulk string in RESP2, ',' in RESP3, %.17g as Redis 7.0 formats it."""
    cdef char buf[64]
    cdef size_t n
    if isinf(v):
        if r.proto == 2:
            return reply_bulk(r, b"inf" if v > 0 else b"-inf", 3 if v > 0 else 4)
        return reply_raw(r, b",inf\r\n" if v > 0 else b",-inf\r\n", 6 if v > 0 else 7)
    n = d2string_g17(buf, v)
    if r.proto == 2:
        return reply_bulk(r, buf, n)
    reply_raw(r, b",", 1)
    reply_raw(r, buf, n)
    return reply_raw(r, b"\r\n", 2)


cdef size_t d2string_g17(char* buf, double v) noexcept


cdef inline int reply_verbatim(ReplyBuf* r, const char* p, size_t n, const char* fmt) except -1:
    """A verbatim string ("txt" format) in RESP3, a bulk string in RESP2."""
    cdef char* w
    cdef size_t h
    if r.proto == 2:
        return reply_bulk(r, p, n)
    if FR_UNLIKELY(r.cap - r.len < n + LONG_STR_SIZE + 9):
        reply_grow(r, n + LONG_STR_SIZE + 9)
    w = r.data + r.len
    w[0] = b'='
    h = ull2string(w + 1, n + 4) + 1
    w[h] = b'\r'
    w[h + 1] = b'\n'
    memcpy(w + h + 2, fmt, 3)
    w[h + 5] = b':'
    memcpy(w + h + 6, p, n)
    w[h + 6 + n] = b'\r'
    w[h + 7 + n] = b'\n'
    r.len += h + 8 + n
    return 0


cdef size_t reply_defer(ReplyBuf* r) except? 0
cdef int reply_set_deferred(ReplyBuf* r, size_t at, char prefix, long long n) except -1
cdef int reply_set_deferred_array(ReplyBuf* r, size_t at, long long n) except -1


# ----- Python values as replies (reply.pyx: Status, MapReply, NULL_ARRAY ... and the mapping)
cdef int reply_value(ReplyBuf* r, object v) except -1


# ----- reading replies back (in-process callers: scripts, modules, tests)
cdef struct ReplyItem:
    char kind          # the RESP type byte: + - : $ * % ~ > _ , # = (
    long long n        # ':' and '#': the value; '$' '=': the length; aggregates: the count
                       # (a map counts pairs); -1 for RESP2's null bulk ($-1) and null array (*-1)
    double d           # ',': the value
    const char* s      # '+' '-' '$' '=' ',' '(': the payload, inside the buffer (not copied);
    size_t len         # for '=' the text after its "txt:" format

cdef struct ReplyReader:
    const char* p      # the next byte to read
    const char* end


cdef inline void reader_init(ReplyReader* rd, const char* p, size_t n) noexcept:
    rd.p = p
    rd.end = p + n


cdef int reply_read(ReplyReader* rd, ReplyItem* it) except -1
cdef object reply_decode(ReplyReader* rd)
cdef list reply_decode_all(const char* p, size_t n)    # every reply in p[0:n]
