# The list type (t_list.pyx). What other modules use: SORT ... STORE builds lists, the blocking
# pops (BLPOP & co.) pop from them, persistence writes and reads them.
from fastresp.keyspace cimport Entry, KsState, elem_fn

cdef Entry* list_new_entry(const char* k, size_t n) except NULL     # an empty list (detached)
cdef int list_push(KsState* st, Entry* e, const char* s, size_t n, bint tail) except -1
cdef long long list_length(Entry* e) noexcept
cdef int list_foreach(Entry* e, elem_fn fn, void* ctx) except -1    # head to tail
