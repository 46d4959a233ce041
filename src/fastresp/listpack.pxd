# A listpack: a sequence of byte strings packed into one heap block, for small aggregates (the
# fields and values of a small hash, the members and scores of a small sorted set, the nodes of
# a list). How elements are laid out is explained at the top of listpack.pyx.
#
# Positions are pointers to an element's first byte; lp_end(lp) is the position after the last
# element. A call that may reallocate (insert, replace, delete) takes LP** and moves *lpp, so
# positions taken before it are invalid afterwards (it returns the position that matters).
from libc.stdint cimport uint32_t

cdef enum:
    LP_SHORT_MAX = 127         # longest element whose length fits the 1-byte header
    LP_LONG_MARK = 0x80        # header byte of a longer element (a 4-byte length follows)

cdef struct LP:
    uint32_t bytes             # bytes of element data after this header
    uint32_t count             # elements

ctypedef unsigned char* lpos

cdef inline lpos lp_start(LP* lp) noexcept nogil:
    return (<lpos>lp) + sizeof(LP)

cdef inline lpos lp_end(LP* lp) noexcept nogil:
    return (<lpos>lp) + sizeof(LP) + lp.bytes

cdef inline size_t lp_header_size(size_t n) noexcept nogil:
    return 1 if n <= LP_SHORT_MAX else 5

cdef inline size_t lp_entry_size(size_t n) noexcept nogil:
    """Bytes an element of n bytes takes (both headers included)."""
    return n + 2 * lp_header_size(n)

cdef inline const char* lp_get(lpos p, size_t* n) noexcept nogil:
    """The bytes of the element at p."""
    cdef uint32_t v
    if p[0] != LP_LONG_MARK:
        n[0] = p[0]
        return <const char*>(p + 1)
    v = (<uint32_t>p[1]) | (<uint32_t>p[2] << 8) | (<uint32_t>p[3] << 16) | (<uint32_t>p[4] << 24)
    n[0] = v
    return <const char*>(p + 5)

cdef inline lpos lp_skip(lpos p) noexcept nogil:
    """The position after the element at p (may be lp_end)."""
    cdef size_t n
    lp_get(p, &n)
    return p + lp_entry_size(n)

cdef inline lpos lp_first(LP* lp) noexcept nogil:
    """The first element, or NULL when empty."""
    return lp_start(lp) if lp.count else NULL

cdef inline lpos lp_next(LP* lp, lpos p) noexcept nogil:
    """The element after p, or NULL at the end."""
    p = lp_skip(p)
    return p if p < lp_end(lp) else NULL

cdef inline lpos lp_prev(LP* lp, lpos p) noexcept nogil:
    """The element before p (p may be lp_end), or NULL at the start."""
    cdef size_t n
    cdef uint32_t v
    cdef lpos tail = p - 5         # the 5 bytes before p end with the previous element's
    if p <= lp_start(lp):          # length (only the last one for a short element)
        return NULL
    if tail[4] != LP_LONG_MARK:
        n = tail[4]
    else:
        v = (<uint32_t>tail[0]) | (<uint32_t>tail[1] << 8) | (<uint32_t>tail[2] << 16) | \
            (<uint32_t>tail[3] << 24)
        n = v
    return p - lp_entry_size(n)

cdef inline lpos lp_last(LP* lp) noexcept nogil:
    """The last element, or NULL when empty."""
    return lp_prev(lp, lp_end(lp)) if lp.count else NULL

cdef inline size_t lp_alloc_size(LP* lp) noexcept nogil:
    """Bytes the block needs (not its allocation)."""
    return sizeof(LP) + lp.bytes

cdef LP* lp_new(size_t reserve) except NULL
cdef void lp_free(LP* lp) noexcept
cdef LP* lp_dup(LP* lp) except NULL
cdef lpos lp_seek(LP* lp, long long index) noexcept        # negative from the end; NULL if out
cdef lpos lp_insert(LP** lpp, lpos at, const char* s, size_t n) except NULL  # before at (lp_end: append)
cdef lpos lp_append(LP** lpp, const char* s, size_t n) except NULL
cdef lpos lp_prepend(LP** lpp, const char* s, size_t n) except NULL
cdef lpos lp_replace(LP** lpp, lpos at, const char* s, size_t n) except NULL
cdef lpos lp_delete(LP** lpp, lpos at, size_t count) except NULL  # returns the position after (may be lp_end)
cdef lpos lp_find(LP* lp, lpos p, const char* s, size_t n, size_t skip) noexcept
                                                           # from p, every (skip+1)th element
cdef bint lp_equals(lpos p, const char* s, size_t n) noexcept
cdef int lp_get_ll(lpos p, long long* out) noexcept          # 1 when the element is an integer
