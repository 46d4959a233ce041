# The set type (t_set.pyx). What other modules use: SORT, ZUNION/ZINTER/ZDIFF (a set counts as
# a sorted set of score 1), persistence.
from fastresp.keyspace cimport Entry, KsState, elem_fn

cdef Entry* set_new_entry(const char* k, size_t n) except NULL      # an empty set (detached)
cdef int set_add(KsState* st, Entry* e, const char* s, size_t n) except -1   # 1 when added
cdef bint set_contains(Entry* e, const char* s, size_t n) noexcept
cdef long long set_length(Entry* e) noexcept
cdef int set_foreach(Entry* e, elem_fn fn, void* ctx) except -1

# ----- more of the type, for modules that want it
from libc.stdint cimport uint32_t

# An "intset" value (ENC_INTSET): sorted distinct integers, all stored with one width (2, 4 or
# 8 bytes), the smallest that holds every member; the array follows the header.
cdef struct IntSet:
    uint32_t width
    uint32_t len
    uint32_t cap

cdef int set_add_ll(KsState* st, Entry* e, long long v) except -1        # 1 when added
cdef bint set_remove(Entry* e, const char* s, size_t n) noexcept         # 1 when removed
cdef void set_free_value(Entry* e) noexcept             # the keyspace frees a value (datatypes.pyx)
cdef int set_dup_value(Entry* src, Entry* dst) except -1  # COPY
