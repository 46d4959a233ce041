# The sorted-set type (t_zset.pyx). What other modules use: SORT, persistence.
from fastresp.keyspace cimport Entry, KsState, scored_fn

cdef Entry* zset_new_entry(const char* k, size_t n) except NULL     # an empty sorted set (detached)
# add member m with score (or move it to that score); 1 when added, 0 when it existed
cdef int zset_add(KsState* st, Entry* e, const char* m, size_t n, double score) except -1
cdef bint zset_score(Entry* e, const char* m, size_t n, double* score) noexcept
cdef long long zset_length(Entry* e) noexcept
cdef int zset_foreach(Entry* e, scored_fn fn, void* ctx) except -1  # by rank, lowest first
