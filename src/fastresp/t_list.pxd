# The list type (t_list.pyx). What other modules use: SORT ... STORE builds lists, the blocking
# pops (BLPOP & co.) pop from them, persistence writes and reads them.
from fastresp.keyspace cimport Entry, KsState, elem_fn

cdef Entry* list_new_entry(const char* k, size_t n) except NULL     # an empty list (detached)
cdef int list_push(KsState* st, Entry* e, const char* s, size_t n, bint tail) except -1
cdef long long list_length(Entry* e) noexcept
cdef int list_foreach(Entry* e, elem_fn fn, void* ctx) except -1    # head to tail

# ----- the pops, shared with the blocking pops (BLPOP, BRPOP, BLMPOP, BLMOVE) to come
from fastresp.core cimport Client
from fastresp.keyspace cimport Db

# Pop from the head (tail=False) or the tail of a NON-EMPTY list and reply: one bulk string
# when count < 0, else an array of min(count, length) elements. The key is left in place even
# when emptied: call list_delete_if_empty (or db_unlink_free) after; key_changed is the
# caller's too.
cdef int list_pop_reply(Client c, Entry* e, bint tail, long long count) except -1
# LMPOP's reply for a NON-EMPTY list: [key, [popped elements]] (same contract as above)
cdef int list_mpop_reply(Client c, Entry* e, bint tail, long long count) except -1
# the bookkeeping after a pop from e (found through link/h): the lpop/rpop event and WATCH
# signal, the dirty count, and the deletion of an emptied key with its `del` event
from libc.stdint cimport uint64_t
cdef int list_popped(Client c, Entry* e, Entry** link, uint64_t h, bint tail) except -1
# delete the key of an emptied list (by its name), with its `del` event; True when it did
cdef bint list_delete_if_empty(Db* db, Entry* e) noexcept
# LMOVE's whole step on a NON-EMPTY source list: replies WRONGTYPE (returns 1, nothing changed)
# when dk holds another type; else pops, pushes to dk (created if missing), replies the
# element, emits the destination's push event then the source's pop event, counts the change
# and deletes the emptied source (returns 0)
cdef int list_move(Client c, Entry* src, const char* dk, size_t dn, bint from_tail,
                   bint to_tail) except -1
cdef void list_free_value(Entry* e) noexcept             # the keyspace frees a value (datatypes.pyx)
cdef int list_dup_value(Entry* src, Entry* dst) except -1  # COPY
