# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Reply buffer storage: the block pool, growth, and deferred aggregate headers."""
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memmove
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
