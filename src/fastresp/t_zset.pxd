# The sorted-set type (t_zset.pyx). What other modules use: SORT, persistence.
from fastresp.keyspace cimport Entry, KsState, scored_fn

cdef Entry* zset_new_entry(const char* k, size_t n) except NULL     # an empty sorted set (detached)
# add member m with score (or move it to that score); 1 when added, 0 when it existed
cdef int zset_add(KsState* st, Entry* e, const char* m, size_t n, double score) except -1
cdef bint zset_score(Entry* e, const char* m, size_t n, double* score) noexcept
cdef long long zset_length(Entry* e) noexcept
cdef int zset_foreach(Entry* e, scored_fn fn, void* ctx) except -1  # by rank, lowest first
cdef int zset_to_skiplist(Entry* e) except -1   # a listpack sorted set becomes a skip list (SORT)

# The pop step of ZPOPMIN/ZPOPMAX/ZMPOP, for the blocking commands too: pops up to `count`
# members of the live sorted set e (its key found through `link`, hash h), the lowest first or
# (pop_max) the highest, replies in `style`, and deletes the key when it empties (after
# writing the key name). Returns how many members were popped.
from libc.stdint cimport uint64_t
from fastresp.core cimport Client

cdef enum:
    ZPOP_FLAT = 0        # member, score, member, score ...      (ZPOPMIN, RESP2 or no count)
    ZPOP_NESTED = 1      # [member, score], ...                  (ZPOPMIN count in RESP3)
    ZPOP_WITH_KEY = 2    # [key, [[member, score], ...]]          (ZMPOP, BZMPOP)
    ZPOP_BLOCKING = 3    # [key, member, score]                   (BZPOPMIN, BZPOPMAX; count 1)

cdef long long zset_pop_reply(Client c, Entry* e, Entry** link, uint64_t h, bint pop_max,
                              long long count, int style) except -1
cdef void zset_free_value(Entry* e) noexcept             # the keyspace frees a value (datatypes.pyx)
cdef int zset_dup_value(Entry* src, Entry* dst) except -1  # COPY
