# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Listpacks: byte strings packed back to back in one heap block.

Layout. An LP header (bytes used, element count) is followed by the elements. An element is
its length, the bytes, then its length again, so the pack can be walked both ways:

    short (n <= 127):   [n] bytes [n]                            2 bytes of overhead
    long:               [0x80][n, 4 bytes LE] bytes [n, 4 bytes LE][0x80]   10 bytes

Small aggregates cost little this way (a 3-field hash of short values is one block of about
sizeof(LP) + 6 * (2 + len) bytes) and are cache friendly to scan. Every operation on an element
in the middle is O(bytes) (a memmove), which is why types convert to real structures beyond
their size limits (hash-max-listpack-entries and friends) and lists cap their nodes' size.

Growth. The block is reallocated to the exact size it needs unless the allocator's usable size
already has room, and shrunk when deletions leave it less than half used.
"""
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memcpy, memmove, memcmp
from libc.stdint cimport uint32_t

from fastresp.util cimport string2ll
from fastresp.includes.libc_extra cimport FR_UNLIKELY, fr_usable_size

cdef enum:
    SHRINK_SLACK = 64          # never shrink a block for less than this many spare bytes


cdef LP* lp_new(size_t reserve) except NULL:
    cdef LP* lp = <LP*>malloc(sizeof(LP) + reserve)
    if lp == NULL:
        raise MemoryError()
    lp.bytes = 0
    lp.count = 0
    return lp


cdef void lp_free(LP* lp) noexcept:
    free(lp)


cdef LP* lp_dup(LP* lp) except NULL:
    cdef LP* out = lp_new(lp.bytes)
    memcpy(out, lp, lp_alloc_size(lp))
    return out


cdef lpos lp_seek(LP* lp, long long index) noexcept:
    """The element at index (negative counts from the end), walking from the nearer end."""
    cdef lpos p
    cdef long long i
    if index < 0:
        index += lp.count
    if index < 0 or index >= lp.count:
        return NULL
    if index <= lp.count // 2:
        p = lp_start(lp)
        for i in range(index):
            p = lp_skip(p)
    else:
        p = lp_end(lp)
        for i in range(lp.count - index):
            p = lp_prev(lp, p)
    return p


cdef inline void _write_entry(lpos w, const char* s, size_t n) noexcept:
    cdef uint32_t v = <uint32_t>n
    if n <= LP_SHORT_MAX:
        w[0] = <unsigned char>n
        memcpy(w + 1, s, n)
        w[n + 1] = <unsigned char>n
        return
    w[0] = LP_LONG_MARK
    w[1] = v & 0xff
    w[2] = (v >> 8) & 0xff
    w[3] = (v >> 16) & 0xff
    w[4] = (v >> 24) & 0xff
    memcpy(w + 5, s, n)
    w += 5 + n
    w[0] = v & 0xff
    w[1] = (v >> 8) & 0xff
    w[2] = (v >> 16) & 0xff
    w[3] = (v >> 24) & 0xff
    w[4] = LP_LONG_MARK


cdef inline LP* _resize(LP** lpp, size_t data_bytes) except NULL:
    """Make room for data_bytes of elements (growing or shrinking the block) and return it."""
    cdef LP* lp = lpp[0]
    cdef size_t need = sizeof(LP) + data_bytes
    cdef size_t have = fr_usable_size(lp)
    cdef LP* grown
    if need <= have and not (have > 2 * need and have - need > SHRINK_SLACK):
        return lp
    grown = <LP*>realloc(lp, need)
    if grown == NULL:
        raise MemoryError()
    lpp[0] = grown
    return grown


cdef lpos lp_insert(LP** lpp, lpos at, const char* s, size_t n) except NULL:
    """Insert s before the element at `at` (lp_end(lp) appends); returns the new element."""
    cdef LP* lp = lpp[0]
    cdef size_t off = at - lp_start(lp)
    cdef size_t size = lp_entry_size(n)
    cdef lpos p
    if FR_UNLIKELY(n > 0xffffffffUL or <size_t>lp.bytes + size > 0xffffffffUL):
        raise MemoryError("listpack too large")
    lp = _resize(lpp, lp.bytes + size)
    p = lp_start(lp) + off
    memmove(p + size, p, lp.bytes - off)
    _write_entry(p, s, n)
    lp.bytes += <uint32_t>size
    lp.count += 1
    return p


cdef lpos lp_append(LP** lpp, const char* s, size_t n) except NULL:
    return lp_insert(lpp, lp_end(lpp[0]), s, n)


cdef lpos lp_prepend(LP** lpp, const char* s, size_t n) except NULL:
    return lp_insert(lpp, lp_start(lpp[0]), s, n)


cdef lpos lp_replace(LP** lpp, lpos at, const char* s, size_t n) except NULL:
    """Replace the element at `at` with s; returns its (possibly moved) position."""
    cdef LP* lp = lpp[0]
    cdef size_t old_n
    cdef size_t off = at - lp_start(lp)
    cdef size_t old_size, size = lp_entry_size(n)
    cdef size_t tail
    cdef lpos p
    lp_get(at, &old_n)
    old_size = lp_entry_size(old_n)
    if size == old_size:
        _write_entry(at, s, n)
        return at
    tail = lp.bytes - off - old_size
    if size > old_size:
        if FR_UNLIKELY(n > 0xffffffffUL or <size_t>lp.bytes + size - old_size > 0xffffffffUL):
            raise MemoryError("listpack too large")
        lp = _resize(lpp, lp.bytes + size - old_size)
        p = lp_start(lp) + off
        memmove(p + size, p + old_size, tail)
    else:
        p = at
        memmove(p + size, p + old_size, tail)
        lp.bytes -= <uint32_t>(old_size - size)
        lp = _resize(lpp, lp.bytes)
        p = lp_start(lp) + off
        _write_entry(p, s, n)
        return p
    _write_entry(p, s, n)
    lp.bytes += <uint32_t>(size - old_size)
    return p


cdef lpos lp_delete(LP** lpp, lpos at, size_t count) except NULL:
    """Delete `count` elements from `at` on (fewer if the pack ends first); returns the
    position that now holds the element after them (lp_end when none)."""
    cdef LP* lp = lpp[0]
    cdef size_t off = at - lp_start(lp)
    cdef lpos p = at
    cdef lpos end = lp_end(lp)
    cdef size_t removed = 0
    while removed < count and p < end:
        p = lp_skip(p)
        removed += 1
    memmove(at, p, end - p)
    lp.bytes -= <uint32_t>(p - at)
    lp.count -= <uint32_t>removed
    lp = _resize(lpp, lp.bytes)
    return lp_start(lp) + off


cdef bint lp_equals(lpos p, const char* s, size_t n) noexcept:
    cdef size_t m
    cdef const char* v = lp_get(p, &m)
    return m == n and memcmp(v, s, n) == 0


cdef lpos lp_find(LP* lp, lpos p, const char* s, size_t n, size_t skip) noexcept:
    """The first element equal to s among p, then every (skip+1)th element after it (skip=1
    looks at the fields of a field/value pack); NULL when absent."""
    cdef lpos end = lp_end(lp)
    cdef size_t m, i
    cdef const char* v
    while p != NULL and p < end:
        v = lp_get(p, &m)
        if m == n and memcmp(v, s, n) == 0:
            return p
        p = p + lp_entry_size(m)
        for i in range(skip):
            if p >= end:
                return NULL
            p = lp_skip(p)
    return NULL


cdef int lp_get_ll(lpos p, long long* out) noexcept:
    cdef size_t n
    cdef const char* v = lp_get(p, &n)
    return string2ll(v, n, out)


cdef class Listpack:
    """A listpack for tests: every operation of the C API, on Python bytes."""
    cdef LP* lp

    def __cinit__(self):
        self.lp = lp_new(0)

    def __dealloc__(self):
        lp_free(self.lp)

    def __len__(self):
        return self.lp.count

    def items(self):
        """Walked forwards; the backward walk must agree."""
        cdef list out = []
        cdef list back = []
        cdef size_t n
        cdef const char* v
        cdef lpos p = lp_first(self.lp)
        while p != NULL:
            v = lp_get(p, &n)
            out.append(v[:n])
            p = lp_next(self.lp, p)
        p = lp_last(self.lp)
        while p != NULL:
            v = lp_get(p, &n)
            back.append(v[:n])
            p = lp_prev(self.lp, p)
        back.reverse()
        if back != out:
            raise AssertionError("backward walk differs")
        return out

    def _at(self, long long index):
        if lp_seek(self.lp, index) == NULL:
            raise IndexError(index)

    def insert(self, long long index, bytes s):
        cdef lpos at = lp_end(self.lp) if index == len(self) else lp_seek(self.lp, index)
        if at == NULL:
            raise IndexError(index)
        lp_insert(&self.lp, at, s, len(s))

    def replace(self, long long index, bytes s):
        self._at(index)
        lp_replace(&self.lp, lp_seek(self.lp, index), s, len(s))

    def delete(self, long long index, size_t count):
        self._at(index)
        lp_delete(&self.lp, lp_seek(self.lp, index), count)

    def find(self, bytes s, size_t skip=0):
        """Index of the first element equal to s among every (skip+1)th, or -1."""
        cdef lpos p = lp_find(self.lp, lp_first(self.lp), s, len(s), skip)
        cdef lpos q = lp_first(self.lp)
        cdef long long i = 0
        if p == NULL:
            return -1
        while q != p:
            q = lp_next(self.lp, q)
            i += 1
        return i
