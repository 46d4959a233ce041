# The keyspace: databases of keys in our own incremental-rehash hash tables.
# How it works is explained at the top of keyspace.pyx.
from libc.stdint cimport uint64_t, uint32_t

# Value types, numbered as Redis numbers them (RDB and OBJECT rely on the names only).
cdef enum:
    T_STRING = 0
    T_LIST = 1
    T_SET = 2
    T_ZSET = 3
    T_HASH = 4
    T_STREAM = 6
    T_MAX = 16

# Encodings, numbered as Redis numbers them.
cdef enum:
    ENC_RAW = 0        # string in a separate Str block
    ENC_INT = 1        # string holding a canonical 64-bit integer, kept in Value.i
    ENC_HT = 2
    ENC_LINKEDLIST = 4
    ENC_ZIPLIST = 5
    ENC_INTSET = 6
    ENC_SKIPLIST = 7
    ENC_EMBSTR = 8     # string of at most EMBSTR_MAX bytes stored inside the Entry
    ENC_QUICKLIST = 9
    ENC_STREAM = 10
    ENC_LISTPACK = 11

cdef enum:
    EMBSTR_MAX = 44                  # longest string kept inside its Entry, bytes (as Redis)
    ENTRY_HAS_TTL = 0x80000000       # Entry.keylen flag: the key has a row in the expires table
    ENTRY_PRIVATE_INT = 0x40000000   # Entry.keylen flag: an int value that is not a shared
                                     # integer object (COPY's copy: OBJECT REFCOUNT says 1)
    ENTRY_KEYLEN_MASK = 0x3fffffff
    META_TYPE_MASK = 0x0f
    META_ENC_SHIFT = 4
    META_LRU_SHIFT = 8
    LRU_CLOCK_MAX = 0xffffff         # the 24-bit LRU/LFU field
    LFU_INIT_VAL = 5
    DB_MAX = 1 << 20

# lookup() flags, as Redis's LOOKUP_* flags.
cdef enum:
    LOOKUP_NONE = 0
    LOOKUP_NOTOUCH = 1     # leave the access time alone
    LOOKUP_WRITE = 2       # a write: no hit/miss statistics
    LOOKUP_NOSTATS = 4     # no hit/miss statistics
    LOOKUP_NOEXPIRE = 8    # report logically expired keys as missing but do not delete them
    LOOKUP_NONOTIFY = 16   # a miss is not a `keymiss` event

cdef union Value:
    long long i        # ENC_INT: the integer; ENC_EMBSTR: the number of inline bytes
    void* p            # ENC_RAW: a Str*; other types: the type's own object

cdef struct Entry:
    Entry* next        # hash chain
    Value v
    uint32_t keylen    # key length, plus the ENTRY_HAS_TTL and ENTRY_PRIVATE_INT flags
    uint32_t meta      # type (4 bits), encoding (4 bits), LRU clock or LFU data (24 bits)
    # the key bytes follow the header, then (ENC_EMBSTR) the value bytes

cdef struct Str:
    size_t len         # bytes used
    size_t cap         # bytes available after the header
    # the bytes follow

cdef struct ExpEntry:
    ExpEntry* next     # hash chain (same hash as the key's)
    Entry* kv          # the key's entry in the main table
    long long when     # absolute expiry, unix milliseconds

cdef struct Db

# Hooks the keyspace calls into the layers above it (set by the core and the pub/sub module).
ctypedef void (*key_event_fn)(Db* db, int cls, const char* event, const char* k, size_t n) noexcept
ctypedef void (*key_fn)(Db* db, const char* k, size_t n) noexcept

# Keyspace notification classes (notify-keyspace-events), as Redis's NOTIFY_* bits; Python
# sees them as fastresp.keyspace.NotifyClass.
cpdef enum NotifyClass:
    NOTIFY_KEYSPACE = 1 << 0   # K
    NOTIFY_KEYEVENT = 1 << 1   # E
    NOTIFY_GENERIC = 1 << 2    # g
    NOTIFY_STRING = 1 << 3     # $
    NOTIFY_LIST = 1 << 4       # l
    NOTIFY_SET = 1 << 5        # s
    NOTIFY_HASH = 1 << 6       # h
    NOTIFY_ZSET = 1 << 7       # z
    NOTIFY_EXPIRED = 1 << 8    # x
    NOTIFY_EVICTED = 1 << 9    # e
    NOTIFY_STREAM = 1 << 10    # t
    NOTIFY_KEY_MISS = 1 << 11  # m
    NOTIFY_LOADED = 1 << 12
    NOTIFY_MODULE = 1 << 13    # d
    NOTIFY_NEW = 1 << 14       # n

cdef struct KsState:
    long long now_ms           # the clock expiry decisions use, unix ms (see update_clock)
    uint32_t lru_clock         # seconds, 24 bits, as Redis's LRU clock
    bint lfu                   # the maxmemory policy is LFU: Entry.meta holds LFU data
    bint shared_integers       # small integers count as shared objects (OBJECT REFCOUNT)
    int lfu_log_factor
    int lfu_decay_time
    bint resize_allowed        # tables may grow at load factor 1 (false while a child runs)
    long long expired_keys
    long long keyspace_hits
    long long keyspace_misses
    long long dirty            # changes since the last save
    long long expire_cycle_cpu_us
    double expired_stale_perc  # share of sampled keys found expired, smoothed
    long long expired_time_cap_reached
    uint64_t k0, k1            # hash seed
    uint64_t rng               # xorshift state for sampling and LFU
    # encodings of small aggregates (CONFIG: hash-max-listpack-entries, ...)
    long long hash_max_listpack_entries
    long long hash_max_listpack_value
    long long set_max_intset_entries
    long long zset_max_listpack_entries
    long long zset_max_listpack_value
    int list_max_listpack_size
    int list_compress_depth
    # events (see the hooks above): notify-keyspace-events bits and who handles what
    void* owner                # the Core serving this keyspace: the hooks' context (or NULL)
    int notify_flags
    key_event_fn notify        # publish a keyspace notification (pub/sub module)
    key_fn touch_watched       # a watched key changed (transactions; db.nwatched > 0)
    key_fn key_added           # a key was added where clients are blocked (db.nblocking > 0)
    key_fn expired_deleted     # an expired key was deleted: propagate its deletion (AOF on)
    bint propagating           # the AOF is on: expired_deleted is called

cdef struct Table:
    void** b           # buckets: chains linked through the entry's first field
    size_t size        # 0 or a power of two
    size_t used        # entries in this table

cdef struct Dict:
    Table t[2]         # t[1] is used only while rehashing from t[0]
    long long rehashidx  # next bucket of t[0] to move, -1 when not rehashing
    int pause_rehash   # >0 while an iteration must see a stable layout
    int kind           # DICT_KEYS or DICT_EXPIRES: how to re-hash an entry
    KsState* st        # seed and random state

cdef enum:
    DICT_KEYS = 0
    DICT_EXPIRES = 1

cdef struct Db:
    Dict kv                    # key -> Entry
    Dict ex                    # key -> ExpEntry, for keys with a TTL
    int id
    long long avg_ttl          # smoothed estimate, ms
    size_t expires_cursor      # where the active expiry cycle resumes
    KsState* st
    long long nwatched         # keys WATCHed in this database (0: no watch bookkeeping)
    long long nblocking        # keys clients are blocked on in this database

ctypedef void (*free_fn)(Entry* e) noexcept
ctypedef int (*dup_fn)(Entry* src, Entry* dst) except -1

cdef struct TypeOps:
    free_fn free_value         # release the value of an entry of this type
    dup_fn dup_value           # deep-copy src's value into dst (COPY)

# ----- entry accessors
cdef inline size_t entry_keylen(Entry* e) noexcept nogil:
    return e.keylen & ENTRY_KEYLEN_MASK

cdef inline char* entry_key(Entry* e) noexcept nogil:
    return (<char*>e) + sizeof(Entry)

cdef inline int entry_type(Entry* e) noexcept nogil:
    return e.meta & META_TYPE_MASK

cdef inline int entry_encoding(Entry* e) noexcept nogil:
    return (e.meta >> META_ENC_SHIFT) & 0x0f

cdef inline bint entry_has_ttl(Entry* e) noexcept nogil:
    return (e.keylen & ENTRY_HAS_TTL) != 0

cdef inline bint entry_private_int(Entry* e) noexcept nogil:
    return (e.keylen & ENTRY_PRIVATE_INT) != 0

cdef inline void entry_set_type(Entry* e, int t, int enc) noexcept nogil:
    e.meta = (e.meta & ~<uint32_t>0xff) | <uint32_t>t | (<uint32_t>enc << META_ENC_SHIFT)

cdef inline uint32_t entry_lru(Entry* e) noexcept nogil:
    return e.meta >> META_LRU_SHIFT

cdef inline char* str_bytes(Str* s) noexcept nogil:
    return (<char*>s) + sizeof(Str)

# ----- keys
cdef uint64_t key_hash(KsState* st, const char* k, size_t n) noexcept nogil
cdef Entry* db_find(Db* db, const char* k, size_t n, uint64_t h, Entry*** linkp) noexcept
cdef Entry* lookup(Db* db, const char* k, size_t n, int flags, uint64_t* hp, Entry*** linkp) noexcept
cdef Entry* entry_new(const char* k, size_t n, size_t extra) except NULL
cdef int db_insert(Db* db, Entry* e, uint64_t h) except -1
cdef int db_add(Db* db, Entry* e, uint64_t h) except -1   # db_insert + the `new` event
cdef void db_unlink_free(Db* db, Entry* e, Entry** link, uint64_t h) noexcept
cdef bint db_delete(Db* db, const char* k, size_t n) noexcept
cdef long long db_flush(Db* db) noexcept
cdef void touch_entry(KsState* st, Entry* e) noexcept
cdef void init_access(KsState* st, Entry* e) noexcept
cdef unsigned long lfu_decr_and_return(KsState* st, Entry* e) noexcept
cdef long long idle_ms(KsState* st, Entry* e) noexcept

# ----- events
cdef inline void notify_event(Db* db, int cls, const char* event, const char* k, size_t n) noexcept:
    """Publish a keyspace notification of class cls when notify-keyspace-events asks for it."""
    if db.st.notify_flags & cls:
        db.st.notify(db, cls, event, k, n)

cdef inline void signal_modified(Db* db, const char* k, size_t n) noexcept:
    """A key's value changed: transactions WATCHing it will fail (Redis's signalModifiedKey)."""
    if db.nwatched:
        db.st.touch_watched(db, k, n)

# ----- expiry
cdef long long get_expire(Db* db, Entry* e, uint64_t h) noexcept
cdef int set_expire(Db* db, Entry* e, uint64_t h, long long when) except -1
cdef bint remove_expire(Db* db, Entry* e, uint64_t h) noexcept
cdef bint expire_if_needed(Db* db, Entry* e, Entry** link, uint64_t h) noexcept
cdef bint key_is_expired(Db* db, Entry* e, uint64_t h) noexcept   # TTL passed, not yet deleted

# ----- string values
cdef int string_encoding_for(const char* v, size_t n, long long* ival, bint allow_int) noexcept
cdef Entry* entry_new_string(const char* k, size_t kn, const char* v, size_t vn, bint allow_int=*) except NULL
cdef Entry* entry_set_string(Db* db, Entry* e, Entry** link, uint64_t h, const char* v, size_t vn, bint allow_int=*) except NULL
cdef Entry* entry_take_value(Entry* src, const char* k, size_t n) except NULL
cdef void db_detach(Db* db, Entry* e, Entry** link, uint64_t h) noexcept
cdef Entry* entry_set_int(Db* db, Entry* e, Entry** link, uint64_t h, long long v) except NULL
cdef Entry* entry_set_raw(Db* db, Entry* e, Entry** link, uint64_t h, Str* s) except NULL
cdef Str* str_new(const char* p, size_t n, size_t cap) except NULL
cdef Str* str_reserve(Str* s, size_t need) except NULL
cdef const char* string_view(Entry* e, char* numbuf, size_t* n) noexcept
cdef void free_value(Entry* e) noexcept
cdef Entry* entry_dup(Entry* src, const char* k, size_t n) except NULL

# ----- whole tables
cdef size_t dict_size(Dict* d) noexcept nogil
ctypedef void (*scan_fn)(void* ctx, void* entry) except *
cdef unsigned long long dict_scan(Dict* d, unsigned long long cursor, scan_fn fn, void* ctx) except? 0

cdef struct Collected:
    Entry** items          # entries gathered by db_scan (free(items) when done)
    size_t n
    size_t cap

cdef unsigned long long db_scan(Db* db, unsigned long long cursor, long long count,
                                Collected* out) except? 0
cdef void* dict_random(Dict* d) noexcept
cdef int dict_rehash(Dict* d, int n) noexcept
cdef int dict_rehash_ms(Dict* d, int ms) noexcept
cdef int dict_try_shrink(Dict* d) except -1
cdef void db_swap(Db* a, Db* b) noexcept

cdef void register_type_ops(int t, free_fn f, dup_fn d) noexcept
cdef uint64_t ks_random(KsState* st) noexcept nogil

# ----- visiting the elements of a value (SORT, persistence, DEBUG)
# Each type module exports <type>_foreach(Entry* e, fn, ctx), calling fn for every element in
# the type's own order (lists head to tail, sorted sets by rank); fn's error stops the walk.
ctypedef int (*elem_fn)(void* ctx, const char* p, size_t n) except -1
ctypedef int (*pair_fn)(void* ctx, const char* a, size_t an, const char* b, size_t bn) except -1
ctypedef int (*scored_fn)(void* ctx, const char* p, size_t n, double score) except -1

# ----- entry dictionaries inside values (hash fields, set and sorted-set members)
# An element is an Entry: its key is the field or member, its value is up to the type (a string
# for a hash field: entry_new_string; nothing for a set member: entry_new(k, n, 0) marked
# T_STRING/ENC_INT with v.i = 0, so freeing and copying see an integer, not a missing block). Entries
# are freed with free_value + free, so string values need nothing more. The iteration below
# holds rehashing off: finds and adds during it are allowed, deletions are not.
cdef struct EdictIter:
    Dict* d
    int t
    size_t i
    Entry* e

cdef Dict* edict_new() except NULL
cdef void edict_free(Dict* d) noexcept                       # every entry, then the tables
cdef Entry* edict_find(Dict* d, const char* k, size_t n, Entry*** linkp) noexcept
cdef int edict_add(Dict* d, Entry* e) except -1              # the key must not be present
cdef void edict_unlink(Dict* d, Entry* e, Entry** link) noexcept  # the caller frees e
cdef bint edict_delete(Dict* d, const char* k, size_t n) noexcept
cdef Dict* edict_dup(Dict* d) except NULL                    # deep copy (entry_dup per entry)
cdef void edict_iter_init(Dict* d, EdictIter* it) noexcept
cdef Entry* edict_next(EdictIter* it) noexcept              # NULL at the end
cdef void edict_iter_done(EdictIter* it) noexcept
cdef void edict_shrink_if_sparse(Dict* d) noexcept          # after deletions, as Redis does
cdef uint64_t edict_random_u64() noexcept                   # a random number for sampling

cdef class Keyspace:
    cdef KsState st            # shared state of every database
    cdef Db* dbs               # `ndbs` databases
    cdef readonly int ndbs
    cdef int expire_db         # next database the active expiry cycle visits
    cdef bint expire_timelimit_hit  # the last cycle ran out of time
    cdef long long last_fast_cycle_us
    cdef int expire_effort     # active-expire-effort, 1..10
    cdef Db* db(self, int i) noexcept
    cdef int update_clock(self) except -1
    cdef Db* _checked(self, int i) except NULL
    cdef long long _active_expire(self, bint fast, int hz) except -1
