# The hash type (t_hash.pyx). What other modules use: SORT's BY/GET key->field patterns,
# persistence.
from fastresp.keyspace cimport Entry, KsState, pair_fn

cdef Entry* hash_new_entry(const char* k, size_t n) except NULL     # an empty hash (detached)
# set field f to v; 1 when the field is new, 0 when it was overwritten
cdef int hash_set(KsState* st, Entry* e, const char* f, size_t fn, const char* v,
                  size_t vn) except -1
# the value of field f (an int-encoded value is formatted into numbuf, LONG_STR_SIZE bytes),
# or NULL when the field is missing
cdef const char* hash_get(Entry* e, const char* f, size_t fn, size_t* vn, char* numbuf) noexcept
cdef long long hash_length(Entry* e) noexcept
cdef int hash_foreach(Entry* e, pair_fn fn, void* ctx) except -1    # field, value
cdef void hash_free_value(Entry* e) noexcept             # the keyspace frees a value (datatypes.pyx)
cdef int hash_dup_value(Entry* src, Entry* dst) except -1  # COPY
