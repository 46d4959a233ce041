# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The keyspace: databases of keys in our own hash tables, with expiry.

How it works
============
Tables. Every database has two tables (Dict): `kv` maps a key to its Entry (the key bytes and,
for short strings, the value bytes live in that one allocation), and `ex` maps the keys that have
a TTL to an ExpEntry holding the absolute expiry time. Both are chained hash tables whose bucket
count is a power of two, indexed by the same seeded SipHash of the key, so a key's TTL row is
found with the hash already computed for the key.

Resizing without stopping. A table grows when it holds as many entries as buckets (load factor 1;
at 5 it grows even while resizing is held back, e.g. during a fork) and shrinks from the server
cron when less than 10% of its buckets are used. Resizing never moves everything at once: a
second bucket array t[1] is allocated and `rehashidx` walks t[0], moving one bucket per lookup,
insert or delete, plus a time-bounded batch from the cron (activerehashing). While rehashing,
lookups search t[0] then t[1]; bucket i of t[0] has moved iff i < rehashidx, and an entry is in
t[1] iff its t[0] bucket has moved: inserts go to t[0] when their bucket there has not moved
yet (the rehash moves them later), so which table holds an entry (and whose `used` count a
deletion decrements) follows from its hash alone.

SCAN's guarantee. A cursor is a bucket index incremented from its most significant bit down
(reverse binary). Because the table sizes are powers of two, the buckets a bucket splits into
when the table doubles (or merges into when it halves) come later in this order than every
bucket already visited, so an element present for the whole scan is returned at least once,
whatever resizes happen between calls; it may be returned more than once. During a rehash the
smaller table's bucket is emitted together with every bucket of the larger table that expands
from it.

Sampling. dict_random picks a random non-empty bucket, then a random entry of its chain: keys
in long chains are slightly less likely to be picked, a bias that load factor <= 1 keeps small.
The active expiry cycle does not sample at random: it walks the expires table bucket by bucket
from a per-database cursor, so every volatile key is checked within a bounded number of cycles.

Expiry. A key is expired when now > its expiry time (ms). Every lookup checks it (lazy expiry);
the cron runs a slow cycle with a CPU budget of 25% of a cron tick, repeating on a database while
more than 10% of the sampled keys were expired; the event loop runs a 1 ms fast cycle before
sleeping when the last slow cycle ran out of time or left many stale keys.
"""
from libc.stdlib cimport malloc, calloc, realloc, free
from libc.string cimport memcpy, memcmp
from libc.stdint cimport uint64_t, uint32_t
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
import os

from fastresp.util cimport (string2ll, ll2string, mstime, monotonic_us, glob_match,
                            LONG_STR_SIZE)
from fastresp.includes.libc_extra cimport FR_LIKELY, FR_UNLIKELY, fr_usable_size, fr_heap_in_use

cdef enum:
    TABLE_INITIAL_SIZE = 4           # buckets of a new table
    FORCE_RESIZE_RATIO = 5           # grow at this load even while resizing is held back
    MIN_FILL_PERCENT = 10            # the cron shrinks a table below this fill
    REHASH_EMPTY_VISITS = 10         # empty buckets skipped per bucket moved in one step
    REHASH_BATCH = 100               # buckets per batch of the cron's timed rehash
    STR_GREEDY_LIMIT = 1024 * 1024   # APPEND growth: double below this size, then add this much

    # Active expiry, as Redis 7.0 tunes it at active-expire-effort 1.
    EXPIRE_KEYS_PER_LOOP = 20        # keys sampled per database per round
    EXPIRE_FAST_DURATION_US = 1000   # budget of a fast cycle, microseconds
    EXPIRE_SLOW_TIME_PERC = 25       # budget of a slow cycle, percent of a cron tick
    EXPIRE_ACCEPTABLE_STALE = 10     # keep sampling a database while more than this % expired
    EXPIRE_DBS_PER_CALL = 16         # databases visited per slow cycle

cdef TypeOps _type_ops[T_MAX]


cdef void register_type_ops(int t, free_fn f, dup_fn d) noexcept:
    """How to free and copy values of type t (datatypes.install, before any Keyspace)."""
    _type_ops[t].free_value = f
    _type_ops[t].dup_value = d


# =============================================================================================
# Hashing: SipHash-1-3 with a per-process random key, so clients cannot force collisions.
# =============================================================================================

cdef inline uint64_t _rotl(uint64_t x, int b) noexcept nogil:
    return (x << b) | (x >> (64 - b))


cdef inline void _sipround(uint64_t* v) noexcept nogil:
    v[0] += v[1]; v[1] = _rotl(v[1], 13); v[1] ^= v[0]; v[0] = _rotl(v[0], 32)
    v[2] += v[3]; v[3] = _rotl(v[3], 16); v[3] ^= v[2]
    v[0] += v[3]; v[3] = _rotl(v[3], 21); v[3] ^= v[0]
    v[2] += v[1]; v[1] = _rotl(v[1], 17); v[1] ^= v[2]; v[2] = _rotl(v[2], 32)


cdef inline uint64_t _load_le64(const unsigned char* p) noexcept nogil:
    return ((<uint64_t>p[0]) | (<uint64_t>p[1] << 8) | (<uint64_t>p[2] << 16) |
            (<uint64_t>p[3] << 24) | (<uint64_t>p[4] << 32) | (<uint64_t>p[5] << 40) |
            (<uint64_t>p[6] << 48) | (<uint64_t>p[7] << 56))


cdef uint64_t key_hash(KsState* st, const char* k, size_t n) noexcept nogil:
    cdef uint64_t v[4]
    cdef const unsigned char* p = <const unsigned char*>k
    cdef size_t words = n // 8, i
    cdef uint64_t m, last = (<uint64_t>n) << 56
    cdef int rest = n & 7, j
    v[0] = st.k0 ^ 0x736f6d6570736575ULL
    v[1] = st.k1 ^ 0x646f72616e646f6dULL
    v[2] = st.k0 ^ 0x6c7967656e657261ULL
    v[3] = st.k1 ^ 0x7465646279746573ULL
    for i in range(words):
        m = _load_le64(p + 8 * i)
        v[3] ^= m
        _sipround(v)
        v[0] ^= m
    p += 8 * words
    for j in range(rest):
        last |= (<uint64_t>p[j]) << (8 * j)
    v[3] ^= last
    _sipround(v)
    v[0] ^= last
    v[2] ^= 0xff
    _sipround(v)
    _sipround(v)
    _sipround(v)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


cdef uint64_t ks_random(KsState* st) noexcept nogil:
    """xorshift64*: fast, good enough for sampling and the LFU counter."""
    cdef uint64_t x = st.rng
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    st.rng = x
    return x * 0x2545F4914F6CDD1DULL


# =============================================================================================
# Dict: chained tables with incremental rehash
# =============================================================================================

cdef struct Link:
    Link* next


cdef inline size_t dict_size(Dict* d) noexcept nogil:
    return d.t[0].used + d.t[1].used


cdef inline uint64_t _entry_hash(Dict* d, void* e) noexcept nogil:
    cdef Entry* kv
    if d.kind == DICT_KEYS:
        kv = <Entry*>e
    else:
        kv = (<ExpEntry*>e).kv
    return key_hash(d.st, entry_key(kv), entry_keylen(kv))


cdef int _table_init(Table* t, size_t size) except -1:
    t.b = <void**>calloc(size, sizeof(void*))
    if t.b == NULL:
        raise MemoryError()
    t.size = size
    t.used = 0
    return 0


cdef inline void _table_reset(Table* t) noexcept nogil:
    t.b = NULL
    t.size = 0
    t.used = 0


cdef void _dict_init(Dict* d, int kind, KsState* st) noexcept:
    _table_reset(&d.t[0])
    _table_reset(&d.t[1])
    d.rehashidx = -1
    d.pause_rehash = 0
    d.kind = kind
    d.st = st


cdef int _dict_resize_to(Dict* d, size_t want) except -1:
    """Start moving to a table of the smallest power of two >= want buckets."""
    cdef size_t size = TABLE_INITIAL_SIZE
    if d.rehashidx != -1 or d.t[0].used > want:
        return 0
    while size < want:
        size *= 2
    if size == d.t[0].size:
        return 0
    if d.t[0].size == 0:
        return _table_init(&d.t[0], size)
    _table_init(&d.t[1], size)
    d.rehashidx = 0
    return 0


cdef inline int _dict_expand_if_needed(Dict* d) except -1:
    if d.rehashidx != -1:
        return 0
    if d.t[0].size == 0:
        return _dict_resize_to(d, TABLE_INITIAL_SIZE)
    if d.t[0].used >= d.t[0].size and (d.st.resize_allowed or
                                       d.t[0].used // d.t[0].size > FORCE_RESIZE_RATIO):
        return _dict_resize_to(d, d.t[0].used + 1)
    return 0


cdef int dict_rehash(Dict* d, int n) noexcept:
    """Move up to n buckets from t[0] to t[1]. Returns 1 while buckets remain to move."""
    cdef int empty_visits = n * REHASH_EMPTY_VISITS
    cdef Link* e
    cdef Link* nxt
    cdef void** slot
    cdef size_t mask1
    if d.rehashidx == -1:
        return 0
    mask1 = d.t[1].size - 1
    while n > 0 and d.t[0].used != 0:
        n -= 1
        while d.t[0].b[d.rehashidx] == NULL:
            d.rehashidx += 1
            empty_visits -= 1
            if empty_visits == 0:
                return 1
        e = <Link*>d.t[0].b[d.rehashidx]
        while e != NULL:
            nxt = e.next
            slot = &d.t[1].b[_entry_hash(d, e) & mask1]
            e.next = <Link*>slot[0]
            slot[0] = e
            d.t[0].used -= 1
            d.t[1].used += 1
            e = nxt
        d.t[0].b[d.rehashidx] = NULL
        d.rehashidx += 1
    if d.t[0].used == 0:
        free(d.t[0].b)
        d.t[0] = d.t[1]
        _table_reset(&d.t[1])
        d.rehashidx = -1
        return 0
    return 1


cdef inline void _rehash_step(Dict* d) noexcept:
    if d.rehashidx != -1 and d.pause_rehash == 0:
        dict_rehash(d, 1)


cdef int dict_rehash_ms(Dict* d, int ms) noexcept:
    """Rehash in batches for about `ms` milliseconds; returns the batches done."""
    cdef long long start = monotonic_us()
    cdef int batches = 0
    if d.pause_rehash:
        return 0
    while dict_rehash(d, REHASH_BATCH):
        batches += 1
        if monotonic_us() - start > ms * 1000:
            break
    return batches


cdef int dict_try_shrink(Dict* d) except -1:
    """Shrink a table that is less than MIN_FILL_PERCENT full (called from the cron)."""
    cdef size_t used = dict_size(d)
    if d.rehashidx != -1 or not d.st.resize_allowed:
        return 0
    if d.t[0].size > TABLE_INITIAL_SIZE and used * 100 // d.t[0].size < MIN_FILL_PERCENT:
        return _dict_resize_to(d, used if used > TABLE_INITIAL_SIZE else TABLE_INITIAL_SIZE)
    return 0


cdef inline Table* _table_of(Dict* d, uint64_t h) noexcept nogil:
    """The table that holds (or would hold) an entry of hash h: t[1] when its t[0] bucket has
    already moved, else t[0]. _dict_add keeps this true, so deletions can tell which table's
    count to decrement."""
    if d.rehashidx != -1 and <long long>(h & (d.t[0].size - 1)) < d.rehashidx:
        return &d.t[1]
    return &d.t[0]


cdef inline int _dict_add(Dict* d, void* e, uint64_t h) except -1:
    """Insert e (whose key is not in d) at the head of its chain, in the table its hash
    belongs to (see _table_of: during a rehash, an unmoved bucket of t[0] takes new entries
    and the rehash moves them with the rest of the bucket)."""
    cdef Table* t
    cdef void** slot
    _rehash_step(d)
    _dict_expand_if_needed(d)
    t = _table_of(d, h)
    slot = &t.b[h & (t.size - 1)]
    (<Link*>e).next = <Link*>slot[0]
    slot[0] = e
    t.used += 1
    return 0


cdef void _dict_clear(Dict* d) noexcept:
    free(d.t[0].b)
    free(d.t[1].b)
    _table_reset(&d.t[0])
    _table_reset(&d.t[1])
    d.rehashidx = -1


cdef inline uint64_t _rev(uint64_t v) noexcept nogil:
    """Reverse the bits of v."""
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1)
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2)
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4)
    v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8)
    v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16)
    return (v >> 32) | (v << 32)


cdef inline int _emit_bucket(Link* e, scan_fn fn, void* ctx) except -1:
    while e != NULL:
        fn(ctx, e)
        e = e.next
    return 0


cdef unsigned long long dict_scan(Dict* d, unsigned long long v, scan_fn fn, void* ctx) except? 0:
    """Emit the entries of the buckets at cursor v; return the next cursor (0 = done).
    fn must not modify the dict."""
    cdef Table* small
    cdef Table* big
    cdef uint64_t m0, m1
    if dict_size(d) == 0:
        return 0
    d.pause_rehash += 1
    try:
        if d.rehashidx == -1:
            m0 = d.t[0].size - 1
            _emit_bucket(<Link*>d.t[0].b[v & m0], fn, ctx)
            v |= ~m0
            v = _rev(_rev(v) + 1)
        else:
            small = &d.t[0]
            big = &d.t[1]
            if small.size > big.size:
                small, big = big, small
            m0 = small.size - 1
            m1 = big.size - 1
            _emit_bucket(<Link*>small.b[v & m0], fn, ctx)
            while True:
                _emit_bucket(<Link*>big.b[v & m1], fn, ctx)
                v |= ~m1
                v = _rev(_rev(v) + 1)
                if not (v & (m0 ^ m1)):
                    break
    finally:
        d.pause_rehash -= 1
    return v


cdef void* dict_random(Dict* d) noexcept:
    """A random entry (see 'Sampling' above), or NULL when empty."""
    cdef Link* e = NULL
    cdef Link* x
    cdef size_t s0, span, idx, n, pick
    if dict_size(d) == 0:
        return NULL
    _rehash_step(d)
    if d.rehashidx != -1:
        s0 = d.t[0].size
        span = s0 + d.t[1].size - <size_t>d.rehashidx
        while e == NULL:
            idx = <size_t>d.rehashidx + ks_random(d.st) % span
            e = <Link*>(d.t[1].b[idx - s0] if idx >= s0 else d.t[0].b[idx])
    else:
        while e == NULL:
            e = <Link*>d.t[0].b[ks_random(d.st) & (d.t[0].size - 1)]
    n = 0
    x = e
    while x != NULL:
        n += 1
        x = x.next
    pick = ks_random(d.st) % n
    while pick:
        e = e.next
        pick -= 1
    return e


# =============================================================================================
# Entries and keys
# =============================================================================================

cdef Entry* entry_new(const char* k, size_t n, size_t extra) except NULL:
    """A detached entry for key k with `extra` bytes of room after the key."""
    cdef Entry* e
    if n > ENTRY_KEYLEN_MASK:         # the length shares its 32 bits with flags
        raise ValueError("key too long")
    e = <Entry*>malloc(sizeof(Entry) + n + extra)
    if e == NULL:
        raise MemoryError()
    e.next = NULL
    e.v.i = 0
    e.keylen = <uint32_t>n
    e.meta = 0
    memcpy(entry_key(e), k, n)
    return e


cdef Entry* db_find(Db* db, const char* k, size_t n, uint64_t h, Entry*** linkp) noexcept:
    """The entry of key k (hash h) in the main table, expired or not; *linkp is set to the
    pointer that points at it (for unlinking or relocating it)."""
    return _dict_find(&db.kv, k, n, h, linkp)


cdef inline Entry* _dict_find(Dict* d, const char* k, size_t n, uint64_t h,
                              Entry*** linkp) noexcept:
    cdef Entry** link
    cdef Entry* e
    cdef int t
    if dict_size(d) == 0:
        return NULL
    _rehash_step(d)
    for t in range(2):
        link = <Entry**>&d.t[t].b[h & (d.t[t].size - 1)]
        e = link[0]
        while e != NULL:
            if entry_keylen(e) == n and memcmp(entry_key(e), k, n) == 0:
                if linkp != NULL:
                    linkp[0] = link
                return e
            link = &e.next
            e = e.next
        if d.rehashidx == -1:
            break
    return NULL


cdef inline ExpEntry* _ex_find(Db* db, Entry* kv, uint64_t h, ExpEntry*** linkp) noexcept:
    cdef Dict* d = &db.ex
    cdef ExpEntry** link
    cdef ExpEntry* x
    cdef int t
    if dict_size(d) == 0:
        return NULL
    _rehash_step(d)
    for t in range(2):
        link = <ExpEntry**>&d.t[t].b[h & (d.t[t].size - 1)]
        x = link[0]
        while x != NULL:
            if x.kv == kv:
                if linkp != NULL:
                    linkp[0] = link
                return x
            link = &x.next
            x = x.next
        if d.rehashidx == -1:
            break
    return NULL


cdef int db_insert(Db* db, Entry* e, uint64_t h) except -1:
    """Add a new key's entry (the key must not exist) and start its access clock."""
    init_access(db.st, e)
    _dict_add(&db.kv, e, h)
    if db.nblocking:
        db.st.key_added(db, entry_key(e), entry_keylen(e))
    return 0


cdef int db_add(Db* db, Entry* e, uint64_t h) except -1:
    """Add a key that did not exist (Redis's dbAdd): db_insert, then the `new` keyspace event
    (before the command's own events). Replacing a key's value (a STORE over an existing
    destination) uses db_insert alone, as Redis's overwrite sends no `new`."""
    db_insert(db, e, h)
    notify_event(db, NOTIFY_NEW, b"new", entry_key(e), entry_keylen(e))
    return 0


cdef void db_unlink_free(Db* db, Entry* e, Entry** link, uint64_t h) noexcept:
    """Remove e (found through link) from the database and free it with its value and TTL."""
    cdef Table* t = _table_of(&db.kv, h)
    link[0] = e.next
    t.used -= 1
    if entry_has_ttl(e):
        remove_expire(db, e, h)
    free_value(e)
    free(e)


cdef bint db_delete(Db* db, const char* k, size_t n) noexcept:
    """Delete key k if present (expired or not). Returns whether it was present and live."""
    cdef uint64_t h = key_hash(db.st, k, n)
    cdef Entry** link
    cdef Entry* e = db_find(db, k, n, h, &link)
    cdef bint live
    if e == NULL:
        return False
    live = not _is_expired(db, e, h)
    if live:
        db_unlink_free(db, e, link, h)
    else:
        _delete_expired(db, e, link, h)
    return live


cdef long long db_flush(Db* db) noexcept:
    """Delete every key; returns how many there were."""
    cdef long long n = dict_size(&db.kv)
    cdef Link* e
    cdef Link* nxt
    cdef int t
    cdef size_t i
    for t in range(2):
        for i in range(db.ex.t[t].size):
            e = <Link*>db.ex.t[t].b[i]
            while e != NULL:
                nxt = e.next
                free(e)
                e = nxt
        for i in range(db.kv.t[t].size):
            e = <Link*>db.kv.t[t].b[i]
            while e != NULL:
                nxt = e.next
                free_value(<Entry*>e)
                free(e)
                e = nxt
    _dict_clear(&db.kv)
    _dict_clear(&db.ex)
    db.avg_ttl = 0
    db.expires_cursor = 0
    return n


cdef void db_swap(Db* a, Db* b) noexcept:
    """Exchange the contents of two databases (SWAPDB); ids stay with their slots."""
    cdef Dict kv = a.kv, ex = a.ex
    cdef long long avg = a.avg_ttl
    cdef size_t cur = a.expires_cursor
    a.kv = b.kv
    a.ex = b.ex
    a.avg_ttl = b.avg_ttl
    a.expires_cursor = b.expires_cursor
    b.kv = kv
    b.ex = ex
    b.avg_ttl = avg
    b.expires_cursor = cur


# ----- access clock (LRU, or LFU when the maxmemory policy is an LFU one)

cdef inline unsigned long _lfu_minutes(KsState* st) noexcept nogil:
    return <unsigned long>((st.now_ms // 60000) & 65535)


cdef inline void _set_access(Entry* e, uint32_t v) noexcept nogil:
    e.meta = (e.meta & 0xff) | ((v & LRU_CLOCK_MAX) << META_LRU_SHIFT)


cdef void init_access(KsState* st, Entry* e) noexcept:
    if st.lfu:
        _set_access(e, <uint32_t>((_lfu_minutes(st) << 8) | LFU_INIT_VAL))
    else:
        _set_access(e, st.lru_clock)


cdef unsigned long lfu_decr_and_return(KsState* st, Entry* e) noexcept:
    """The LFU counter of e after decaying it by the minutes elapsed since its last access."""
    cdef unsigned long ldt = entry_lru(e) >> 8
    cdef unsigned long counter = entry_lru(e) & 255
    cdef unsigned long now = _lfu_minutes(st)
    cdef unsigned long elapsed = now - ldt if now >= ldt else 65535 - ldt + now
    cdef unsigned long periods = elapsed // st.lfu_decay_time if st.lfu_decay_time else 0
    if periods:
        counter = 0 if periods > counter else counter - periods
    return counter


cdef void touch_entry(KsState* st, Entry* e) noexcept:
    """Record an access: the LRU clock, or a logarithmic LFU counter increment."""
    cdef unsigned long counter
    cdef double base, p
    if st.lfu:
        counter = lfu_decr_and_return(st, e)
        if counter < 255:
            base = <double>counter - LFU_INIT_VAL
            if base < 0:
                base = 0
            p = 1.0 / (base * st.lfu_log_factor + 1)
            if <double>(ks_random(st) >> 11) / 9007199254740992.0 < p:
                counter += 1
        _set_access(e, <uint32_t>((_lfu_minutes(st) << 8) | counter))
    else:
        _set_access(e, st.lru_clock)


cdef long long idle_ms(KsState* st, Entry* e) noexcept:
    """Milliseconds since the last access, at the LRU clock's one-second resolution."""
    cdef uint32_t now = st.lru_clock, then = entry_lru(e)
    if now >= then:
        return <long long>(now - then) * 1000
    return <long long>(now + (LRU_CLOCK_MAX - then)) * 1000


# =============================================================================================
# Expiry
# =============================================================================================

cdef long long get_expire(Db* db, Entry* e, uint64_t h) noexcept:
    """Absolute expiry of e in unix ms, or -1 when it has no TTL."""
    cdef ExpEntry* x
    if not entry_has_ttl(e):
        return -1
    x = _ex_find(db, e, h, NULL)
    return x.when if x != NULL else -1


cdef int set_expire(Db* db, Entry* e, uint64_t h, long long when) except -1:
    cdef ExpEntry* x
    if entry_has_ttl(e):
        x = _ex_find(db, e, h, NULL)
        if x != NULL:
            x.when = when
            return 0
    x = <ExpEntry*>malloc(sizeof(ExpEntry))
    if x == NULL:
        raise MemoryError()
    x.kv = e
    x.when = when
    _dict_add(&db.ex, x, h)
    e.keylen |= ENTRY_HAS_TTL
    return 0


cdef bint remove_expire(Db* db, Entry* e, uint64_t h) noexcept:
    """Drop e's TTL. Returns whether it had one."""
    cdef ExpEntry** link
    cdef ExpEntry* x
    if not entry_has_ttl(e):
        return False
    x = _ex_find(db, e, h, &link)
    e.keylen &= ~(<uint32_t>ENTRY_HAS_TTL)
    if x == NULL:
        return False
    link[0] = x.next
    _table_of(&db.ex, h).used -= 1
    free(x)
    return True


cdef inline void _ex_repoint(Db* db, Entry* old, Entry* new, uint64_t h) noexcept:
    """An entry moved in memory: point its TTL row at the new address."""
    cdef Dict* d = &db.ex
    cdef ExpEntry* x
    cdef int t
    for t in range(2):
        if d.t[t].size == 0:
            continue
        x = <ExpEntry*>d.t[t].b[h & (d.t[t].size - 1)]
        while x != NULL:
            if x.kv == old:
                x.kv = new
                return
            x = x.next


cdef inline bint _is_expired(Db* db, Entry* e, uint64_t h) noexcept:
    """Whether e's TTL has passed. Any stored time counts, negative ones included (a time
    before the epoch is in the past), so this reads the TTL row rather than get_expire, whose
    -1 means "no TTL"."""
    cdef ExpEntry* x
    if not entry_has_ttl(e):
        return False
    x = _ex_find(db, e, h, NULL)
    return x != NULL and db.st.now_ms > x.when


cdef bint key_is_expired(Db* db, Entry* e, uint64_t h) noexcept:
    return _is_expired(db, e, h)


cdef bint expire_if_needed(Db* db, Entry* e, Entry** link, uint64_t h) noexcept:
    """Delete e when its TTL has passed. Returns whether it did."""
    if not _is_expired(db, e, h):
        return False
    _delete_expired(db, e, link, h)
    return True


cdef void _delete_expired(Db* db, Entry* e, Entry** link, uint64_t h) noexcept:
    """Delete a key whose TTL passed, count it, then tell watchers and subscribers (after the
    deletion, as Redis: a WATCHer of a key that was already expired sees it gone)."""
    cdef char small[128]
    cdef char* key
    cdef size_t n
    db.st.expired_keys += 1
    if not (db.nwatched or db.st.notify_flags & NOTIFY_EXPIRED or db.st.propagating):
        db_unlink_free(db, e, link, h)
        return
    n = entry_keylen(e)
    key = small
    if n > sizeof(small):
        key = <char*>malloc(n)
    if key == NULL:
        db_unlink_free(db, e, link, h)
        return
    memcpy(key, entry_key(e), n)
    db_unlink_free(db, e, link, h)
    if db.st.propagating:
        db.st.expired_deleted(db, key, n)
    signal_modified(db, key, n)
    notify_event(db, NOTIFY_EXPIRED, b"expired", key, n)
    if key != small:
        free(key)


cdef Entry* lookup(Db* db, const char* k, size_t n, int flags, uint64_t* hp,
                   Entry*** linkp) noexcept:
    """Find a live key: expired keys are deleted on the way (lazy expiry) unless
    LOOKUP_NOEXPIRE; the access clock and hit/miss statistics are updated as the flags say.
    *hp receives the key's hash and *linkp (when given) the pointer to the entry."""
    cdef uint64_t h = key_hash(db.st, k, n)
    cdef Entry** link = NULL
    cdef Entry* e = db_find(db, k, n, h, &link)
    hp[0] = h
    if e != NULL and entry_has_ttl(e) and _is_expired(db, e, h):
        if not (flags & LOOKUP_NOEXPIRE):
            _delete_expired(db, e, link, h)
        e = NULL
    if e != NULL:
        if not (flags & LOOKUP_NOTOUCH):
            touch_entry(db.st, e)
        if not (flags & (LOOKUP_NOSTATS | LOOKUP_WRITE)):
            db.st.keyspace_hits += 1
        if linkp != NULL:
            linkp[0] = link
    else:
        if not (flags & (LOOKUP_NOSTATS | LOOKUP_WRITE)):
            db.st.keyspace_misses += 1
        if not (flags & (LOOKUP_NONOTIFY | LOOKUP_WRITE)):
            notify_event(db, NOTIFY_KEY_MISS, b"keymiss", k, n)
    return e


# =============================================================================================
# String values
# =============================================================================================

cdef int string_encoding_for(const char* v, size_t n, long long* ival, bint allow_int) noexcept:
    """The encoding Redis gives a string value: int (when allowed), embstr (<= 44 bytes) or
    raw."""
    if allow_int and n <= 20 and string2ll(v, n, ival):
        return ENC_INT
    if n <= EMBSTR_MAX:
        return ENC_EMBSTR
    return ENC_RAW


cdef Str* str_new(const char* p, size_t n, size_t cap) except NULL:
    cdef Str* s = <Str*>malloc(sizeof(Str) + cap)
    if s == NULL:
        raise MemoryError()
    s.len = n
    s.cap = cap
    if n:
        memcpy(str_bytes(s), p, n)
    return s


cdef Str* str_reserve(Str* s, size_t need) except NULL:
    """Room for `need` more bytes, growing greedily like Redis's sds (APPEND, SETRANGE)."""
    cdef size_t want = s.len + need
    cdef Str* ns
    if s.cap >= want:
        return s
    if want < STR_GREEDY_LIMIT:
        want *= 2
    else:
        want += STR_GREEDY_LIMIT
    ns = <Str*>realloc(s, sizeof(Str) + want)
    if ns == NULL:
        raise MemoryError()
    ns.cap = want
    return ns


cdef void free_value(Entry* e) noexcept:
    cdef int t = entry_type(e)
    e.keylen &= ~(<uint32_t>ENTRY_PRIVATE_INT)
    if t == T_STRING:
        if entry_encoding(e) == ENC_RAW:
            free(e.v.p)
    elif _type_ops[t].free_value != NULL:
        _type_ops[t].free_value(e)
    e.v.i = 0
    entry_set_type(e, T_STRING, ENC_INT)


cdef Entry* entry_new_string(const char* k, size_t kn, const char* v, size_t vn,
                             bint allow_int=True) except NULL:
    """A detached string entry, encoded as Redis would encode the value."""
    cdef long long iv
    cdef int enc = string_encoding_for(v, vn, &iv, allow_int)
    cdef Entry* e
    if enc == ENC_EMBSTR:
        e = entry_new(k, kn, vn)
        memcpy(entry_key(e) + kn, v, vn)
        e.v.i = <long long>vn
    elif enc == ENC_INT:
        e = entry_new(k, kn, 0)
        e.v.i = iv
    else:
        e = entry_new(k, kn, 0)
        e.v.p = str_new(v, vn, vn)
    entry_set_type(e, T_STRING, enc)
    return e


cdef Entry* _entry_resize(Db* db, Entry* e, Entry** link, uint64_t h, size_t size) except NULL:
    """Reallocate e to `size` bytes, relinking it (and its TTL row) if it moved."""
    cdef Entry* ne = <Entry*>realloc(e, size)
    if ne == NULL:
        raise MemoryError()
    if ne != e:
        link[0] = ne
        if entry_has_ttl(ne):
            _ex_repoint(db, e, ne, h)
    return ne


cdef Entry* entry_set_string(Db* db, Entry* e, Entry** link, uint64_t h,
                             const char* v, size_t vn, bint allow_int=True) except NULL:
    """Replace e's value with the string v (TTL untouched). Returns e's possibly new address."""
    cdef long long iv
    cdef int enc = string_encoding_for(v, vn, &iv, allow_int)
    cdef size_t kn = entry_keylen(e), need
    free_value(e)
    if enc == ENC_INT:
        e.v.i = iv
    elif enc == ENC_RAW:
        e.v.p = str_new(v, vn, vn)
    else:
        need = sizeof(Entry) + kn + vn
        if fr_usable_size(e) < need:
            e = _entry_resize(db, e, link, h, need)
        memcpy(entry_key(e) + kn, v, vn)
        e.v.i = <long long>vn
    entry_set_type(e, T_STRING, enc)
    return e


cdef Entry* entry_set_int(Db* db, Entry* e, Entry** link, uint64_t h, long long v) except NULL:
    """Replace e's value with an int-encoded string."""
    free_value(e)
    e.v.i = v
    entry_set_type(e, T_STRING, ENC_INT)
    return e


cdef Entry* entry_set_raw(Db* db, Entry* e, Entry** link, uint64_t h, Str* s) except NULL:
    """Replace e's value with the raw string block s (ownership moves to e)."""
    if entry_type(e) == T_STRING and entry_encoding(e) == ENC_RAW and e.v.p == s:
        return e
    free_value(e)
    e.v.p = s
    entry_set_type(e, T_STRING, ENC_RAW)
    return e


cdef const char* string_view(Entry* e, char* numbuf, size_t* n) noexcept:
    """The bytes of a string value (ints are formatted into numbuf, LONG_STR_SIZE bytes)."""
    cdef int enc = entry_encoding(e)
    if enc == ENC_EMBSTR:
        n[0] = <size_t>e.v.i
        return entry_key(e) + entry_keylen(e)
    if enc == ENC_INT:
        n[0] = ll2string(numbuf, e.v.i)
        return numbuf
    n[0] = (<Str*>e.v.p).len
    return str_bytes(<Str*>e.v.p)


cdef Entry* entry_take_value(Entry* src, const char* k, size_t n) except NULL:
    """A detached entry for key k that takes over src's value and access clock (RENAME);
    src is left holding an empty value, ready to be freed."""
    cdef size_t extra = <size_t>src.v.i if entry_encoding(src) == ENC_EMBSTR and \
        entry_type(src) == T_STRING else 0
    cdef Entry* e = entry_new(k, n, extra)
    if extra:
        memcpy(entry_key(e) + n, entry_key(src) + entry_keylen(src), extra)
    e.v = src.v
    e.meta = src.meta
    e.keylen |= src.keylen & ENTRY_PRIVATE_INT
    src.v.i = 0
    entry_set_type(src, T_STRING, ENC_INT)
    return e


cdef void db_detach(Db* db, Entry* e, Entry** link, uint64_t h) noexcept:
    """Unlink e from db without freeing it (MOVE); its TTL row is dropped."""
    if entry_has_ttl(e):
        remove_expire(db, e, h)
    link[0] = e.next
    e.next = NULL
    _table_of(&db.kv, h).used -= 1


cdef Entry* entry_dup(Entry* src, const char* k, size_t n) except NULL:
    """A detached deep copy of src's value under key k (COPY)."""
    cdef int t = entry_type(src), enc = entry_encoding(src)
    cdef Entry* e
    cdef Str* s
    if t == T_STRING and enc == ENC_EMBSTR:
        e = entry_new(k, n, <size_t>src.v.i)
        memcpy(entry_key(e) + n, entry_key(src) + entry_keylen(src), <size_t>src.v.i)
        e.v.i = src.v.i
    else:
        e = entry_new(k, n, 0)
        if t == T_STRING and enc == ENC_RAW:
            s = <Str*>src.v.p
            e.v.p = str_new(str_bytes(s), s.len, s.len)
        elif t == T_STRING:
            e.v.i = src.v.i
            e.keylen |= ENTRY_PRIVATE_INT
        else:
            try:
                _type_ops[t].dup_value(src, e)
            except BaseException:
                free(e)
                raise
    entry_set_type(e, t, enc)
    return e


# =============================================================================================
# The Keyspace object: every database, the shared state, and the cron's work
# =============================================================================================

cdef void _collect(void* ctx, void* entry) except *:
    cdef Collected* c = <Collected*>ctx
    cdef Entry** grown
    if c.n == c.cap:
        c.cap = c.cap * 2 if c.cap else 32
        grown = <Entry**>realloc(c.items, c.cap * sizeof(Entry*))
        if grown == NULL:
            raise MemoryError()
        c.items = grown
    c.items[c.n] = <Entry*>entry
    c.n += 1


cdef unsigned long long db_scan(Db* db, unsigned long long cursor, long long count,
                                Collected* out) except? 0:
    """One SCAN call over the main table: visit buckets from `cursor` until `count` entries
    (expired ones included) are gathered in `out` or 10 * count buckets were visited (so a
    sparse table cannot make one call slow). Returns the next cursor, 0 when done."""
    cdef long long budget = count * 10 if count <= 922337203685477580LL else 9223372036854775807LL
    while True:
        cursor = dict_scan(&db.kv, cursor, _collect, out)
        if not cursor:
            return 0
        budget -= 1
        if budget < 0 or out.n >= <size_t>count:
            return cursor


cdef void _no_key_event(Db* db, int cls, const char* event, const char* k, size_t n) noexcept:
    pass


cdef void _no_key_hook(Db* db, const char* k, size_t n) noexcept:
    pass


cdef class Keyspace:
    """All databases. Cython code reaches a database with db(i); Python code (admin commands,
    tests) uses the methods below, which take bytes keys."""

    def __cinit__(self, int databases=16):
        cdef int i
        cdef bytes seed = os.urandom(24)
        cdef const unsigned char* sp = <const unsigned char*>PyBytes_AS_STRING(seed)
        if databases < 1 or databases > DB_MAX:
            raise ValueError("databases out of range")
        from fastresp import datatypes    # (builds on this module: imported when first needed)
        datatypes.install()               # how to free and copy lists, sets, sorted sets, hashes
        self.dbs = <Db*>calloc(databases, sizeof(Db))
        if self.dbs == NULL:
            raise MemoryError()
        self.ndbs = databases
        self.st.k0 = _load_le64(sp)
        self.st.k1 = _load_le64(sp + 8)
        self.st.rng = _load_le64(sp + 16) | 1
        self.st.resize_allowed = True
        self.st.shared_integers = True
        self.st.lfu_log_factor = 10
        self.st.lfu_decay_time = 1
        self.st.hash_max_listpack_entries = 512
        self.st.hash_max_listpack_value = 64
        self.st.set_max_intset_entries = 512
        self.st.zset_max_listpack_entries = 128
        self.st.zset_max_listpack_value = 64
        self.st.list_max_listpack_size = -2
        self.st.list_compress_depth = 0
        self.expire_effort = 1
        for i in range(databases):
            _dict_init(&self.dbs[i].kv, DICT_KEYS, &self.st)
            _dict_init(&self.dbs[i].ex, DICT_EXPIRES, &self.st)
            self.dbs[i].id = i
            self.dbs[i].st = &self.st
        self.st.notify = _no_key_event
        self.st.touch_watched = _no_key_hook
        self.st.key_added = _no_key_hook
        self.st.expired_deleted = _no_key_hook
        self.update_clock()

    def __dealloc__(self):
        cdef int i
        if self.dbs != NULL:
            for i in range(self.ndbs):
                db_flush(&self.dbs[i])
            free(self.dbs)

    cdef Db* db(self, int i) noexcept:
        return &self.dbs[i]

    cdef int update_clock(self) except -1:
        """Refresh the cached clock that expiry decisions and the LRU clock use."""
        self.st.now_ms = mstime()
        self.st.lru_clock = <uint32_t>((self.st.now_ms // 1000) & LRU_CLOCK_MAX)
        return 0

    cdef Db* _checked(self, int i) except NULL:
        if i < 0 or i >= self.ndbs:
            raise IndexError("database index out of range")
        return &self.dbs[i]

    # ----- clock and settings
    @property
    def now_ms(self):
        """The cached clock (unix ms). Tests may set it to move time."""
        return self.st.now_ms

    @now_ms.setter
    def now_ms(self, long long v):
        self.st.now_ms = v
        self.st.lru_clock = <uint32_t>((v // 1000) & LRU_CLOCK_MAX)

    def configure(self, *, lfu=None, shared_integers=None, lfu_log_factor=None,
                  lfu_decay_time=None, expire_effort=None, resize_allowed=None,
                  notify_keyspace_events=None, **encodings):
        """Apply settings the keyspace depends on (maxmemory-policy, lfu-*, active-expire-effort,
        and the small-aggregate encoding limits, by their config names with _ for -)."""
        for name, value in encodings.items():
            if name == "hash_max_listpack_entries":
                self.st.hash_max_listpack_entries = value
            elif name == "hash_max_listpack_value":
                self.st.hash_max_listpack_value = value
            elif name == "set_max_intset_entries":
                self.st.set_max_intset_entries = value
            elif name == "zset_max_listpack_entries":
                self.st.zset_max_listpack_entries = value
            elif name == "zset_max_listpack_value":
                self.st.zset_max_listpack_value = value
            elif name == "list_max_listpack_size":
                self.st.list_max_listpack_size = value
            elif name == "list_compress_depth":
                self.st.list_compress_depth = value
            else:
                raise TypeError(f"unknown keyspace setting {name}")
        if notify_keyspace_events is not None:
            self.st.notify_flags = notify_keyspace_events
        if lfu is not None:
            self.st.lfu = lfu
        if shared_integers is not None:
            self.st.shared_integers = shared_integers
        if lfu_log_factor is not None:
            self.st.lfu_log_factor = lfu_log_factor
        if lfu_decay_time is not None:
            self.st.lfu_decay_time = lfu_decay_time
        if expire_effort is not None:
            self.expire_effort = expire_effort
        if resize_allowed is not None:
            self.st.resize_allowed = resize_allowed

    # ----- statistics
    def stats(self):
        return {
            "expired_keys": self.st.expired_keys,
            "keyspace_hits": self.st.keyspace_hits,
            "keyspace_misses": self.st.keyspace_misses,
            "expired_stale_perc": self.st.expired_stale_perc * 100,
            "expired_time_cap_reached_count": self.st.expired_time_cap_reached,
            "expire_cycle_cpu_milliseconds": self.st.expire_cycle_cpu_us // 1000,
            "dirty": self.st.dirty,
        }

    def reset_stats(self):
        self.st.expired_keys = 0
        self.st.keyspace_hits = 0
        self.st.keyspace_misses = 0
        self.st.expired_stale_perc = 0
        self.st.expired_time_cap_reached = 0
        self.st.expire_cycle_cpu_us = 0

    @property
    def dirty(self):
        """Changes since the last save."""
        return self.st.dirty

    @dirty.setter
    def dirty(self, long long v):
        self.st.dirty = v

    def dbsize(self, int db):
        return dict_size(&self._checked(db).kv)

    def expires(self, int db):
        return dict_size(&self._checked(db).ex)

    def avg_ttl(self, int db):
        return self._checked(db).avg_ttl

    def table_info(self, int db):
        """Bucket counts and rehash state of a database's tables (tests, DEBUG-style output)."""
        cdef Db* d = self._checked(db)
        return {
            "keys": (d.kv.t[0].size, d.kv.t[0].used, d.kv.t[1].size, d.kv.t[1].used, d.kv.rehashidx),
            "expires": (d.ex.t[0].size, d.ex.t[0].used, d.ex.t[1].size, d.ex.t[1].used, d.ex.rehashidx),
        }

    # ----- keys (Python access)
    def set(self, int db, bytes key, bytes value):
        """SET without options: create or overwrite a string, dropping any TTL."""
        cdef Db* d = self._checked(db)
        cdef uint64_t h
        cdef Entry** link
        cdef Entry* e = lookup(d, key, len(key), LOOKUP_WRITE, &h, &link)
        if e == NULL:
            e = entry_new_string(key, len(key), value, len(value))
            db_insert(d, e, h)
        else:
            remove_expire(d, e, h)
            entry_set_string(d, e, link, h, value, len(value))
        self.st.dirty += 1

    def get(self, int db, bytes key):
        """A string value, None when missing; TypeError for other types."""
        cdef Db* d = self._checked(db)
        cdef uint64_t h
        cdef char numbuf[LONG_STR_SIZE]
        cdef size_t n
        cdef const char* p
        cdef Entry* e = lookup(d, key, len(key), LOOKUP_NONE, &h, NULL)
        if e == NULL:
            return None
        if entry_type(e) != T_STRING:
            raise TypeError("WRONGTYPE")
        p = string_view(e, numbuf, &n)
        return PyBytes_FromStringAndSize(p, n)

    def type_of(self, int db, bytes key):
        """(type, encoding) numbers of a live key, or None."""
        cdef uint64_t h
        cdef Entry* e = lookup(self._checked(db), key, len(key), LOOKUP_NOTOUCH | LOOKUP_NOSTATS, &h, NULL)
        if e == NULL:
            return None
        return entry_type(e), entry_encoding(e)

    def delete(self, int db, bytes key):
        """Delete a key; returns whether a live key was deleted."""
        cdef bint r = db_delete(self._checked(db), key, len(key))
        if r:
            self.st.dirty += 1
        return r

    def exists(self, int db, bytes key):
        cdef uint64_t h
        return lookup(self._checked(db), key, len(key), LOOKUP_NOTOUCH, &h, NULL) != NULL

    def pexpireat(self, int db, bytes key, long long when):
        """Set an absolute expiry (ms); returns False when the key does not exist."""
        cdef Db* d = self._checked(db)
        cdef uint64_t h
        cdef Entry* e = lookup(d, key, len(key), LOOKUP_WRITE, &h, NULL)
        if e == NULL:
            return False
        set_expire(d, e, h, when)
        self.st.dirty += 1
        return True

    def persist(self, int db, bytes key):
        cdef Db* d = self._checked(db)
        cdef uint64_t h
        cdef Entry* e = lookup(d, key, len(key), LOOKUP_WRITE, &h, NULL)
        return e != NULL and remove_expire(d, e, h)

    def expire_at(self, int db, bytes key):
        """Absolute expiry (ms) of a live key: -1 without TTL, -2 when missing."""
        cdef Db* d = self._checked(db)
        cdef uint64_t h
        cdef Entry* e = lookup(d, key, len(key), LOOKUP_NOTOUCH | LOOKUP_NOSTATS, &h, NULL)
        if e == NULL:
            return -2
        return get_expire(d, e, h)

    def flushdb(self, int db):
        cdef long long n = db_flush(self._checked(db))
        self.st.dirty += n
        return n

    def flushall(self):
        cdef long long n = 0
        cdef int i
        for i in range(self.ndbs):
            n += db_flush(&self.dbs[i])
        self.st.dirty += n
        return n

    def swapdb(self, int a, int b):
        db_swap(self._checked(a), self._checked(b))
        self.st.dirty += 1

    def keys(self, int db, pattern=None):
        """Every live key matching a glob pattern (all keys when None), in table order."""
        cdef Db* d = self._checked(db)
        cdef list out = []
        cdef Entry* e
        cdef int t
        cdef size_t i
        cdef bytes pat = pattern
        cdef bint all_keys = pattern is None or pattern == b"*"
        d.kv.pause_rehash += 1
        try:
            for t in range(2):
                for i in range(d.kv.t[t].size):
                    e = <Entry*>d.kv.t[t].b[i]
                    while e != NULL:
                        if (all_keys or glob_match(pat, len(pat), entry_key(e), entry_keylen(e), False)) \
                                and not _is_expired(d, e, key_hash(&self.st, entry_key(e), entry_keylen(e))):
                            out.append(PyBytes_FromStringAndSize(entry_key(e), entry_keylen(e)))
                        e = e.next
        finally:
            d.kv.pause_rehash -= 1
        return out

    def scan(self, int db, unsigned long long cursor, long count=10):
        """One raw SCAN step over the main table: (next cursor, keys), expired keys included."""
        cdef Db* d = self._checked(db)
        cdef Collected c
        cdef list out = []
        cdef size_t i
        c.items = NULL
        c.n = c.cap = 0
        try:
            cursor = db_scan(d, cursor, count, &c)
            for i in range(c.n):
                out.append(PyBytes_FromStringAndSize(entry_key(c.items[i]), entry_keylen(c.items[i])))
        finally:
            free(c.items)
        return cursor, out

    def random_key(self, int db):
        """A random live key or None (expired picks are deleted and retried)."""
        cdef Db* d = self._checked(db)
        cdef Entry* e
        cdef Entry** link
        cdef uint64_t h
        while True:
            e = <Entry*>dict_random(&d.kv)
            if e == NULL:
                return None
            h = key_hash(&self.st, entry_key(e), entry_keylen(e))
            if entry_has_ttl(e) and _is_expired(d, e, h):
                db_find(d, entry_key(e), entry_keylen(e), h, &link)
                expire_if_needed(d, e, link, h)
                continue
            return PyBytes_FromStringAndSize(entry_key(e), entry_keylen(e))

    def rehash(self, int db, int steps):
        """Run rehash steps on a database's tables (tests); returns whether work remains."""
        cdef Db* d = self._checked(db)
        return bool(dict_rehash(&d.kv, steps) | dict_rehash(&d.ex, steps))

    # ----- the cron's work
    def cron(self, bint active_rehashing=True, int rehash_ms=1):
        """Per-tick maintenance: refresh the clock, shrink sparse tables, rehash a little."""
        cdef int i
        cdef Db* d
        self.update_clock()
        for i in range(self.ndbs):
            d = &self.dbs[i]
            dict_try_shrink(&d.kv)
            dict_try_shrink(&d.ex)
        if active_rehashing:
            for i in range(self.ndbs):
                d = &self.dbs[i]
                if d.kv.rehashidx != -1:
                    dict_rehash_ms(&d.kv, rehash_ms)
                    break
                if d.ex.rehashidx != -1:
                    dict_rehash_ms(&d.ex, rehash_ms)
                    break

    @property
    def next_expire_db(self):
        """The database the next active expiry cycle starts with (tests may set it)."""
        return self.expire_db

    @next_expire_db.setter
    def next_expire_db(self, int v):
        self.expire_db = v

    def active_expire_cycle(self, bint fast=False, int hz=10):
        """Delete expired keys within a CPU budget (see 'Expiry' above). Returns how many."""
        return self._active_expire(fast, hz)

    cdef long long _active_expire(self, bint fast, int hz) except -1:
        cdef int effort = self.expire_effort - 1
        cdef long long keys_per_loop = EXPIRE_KEYS_PER_LOOP + EXPIRE_KEYS_PER_LOOP // 4 * effort
        cdef long long fast_duration = EXPIRE_FAST_DURATION_US + EXPIRE_FAST_DURATION_US // 4 * effort
        cdef long long slow_perc = EXPIRE_SLOW_TIME_PERC + 2 * effort
        cdef long long acceptable_stale = EXPIRE_ACCEPTABLE_STALE - effort
        cdef long long start = monotonic_us(), timelimit, elapsed
        cdef long long total_sampled = 0, total_expired = 0
        cdef long long num, sampled, expired, ttl_samples, checked, max_buckets, avg
        cdef double ttl_sum             # TTLs up to 2^63 ms: a 64-bit sum of 20 would wrap
        cdef int dbs_per_call, j, t, iteration = 0
        cdef bint repeat
        cdef Db* d
        cdef Dict* ex
        cdef ExpEntry* x
        cdef ExpEntry* nxt
        cdef Entry* kv
        cdef Entry** link
        cdef uint64_t h
        if hz < 1:
            hz = 1
        if fast:
            if not self.expire_timelimit_hit and self.st.expired_stale_perc * 100 < acceptable_stale:
                return 0
            if start < self.last_fast_cycle_us + fast_duration * 2:
                return 0
            self.last_fast_cycle_us = start
            timelimit = fast_duration
        else:
            timelimit = slow_perc * 1000000 // hz // 100
        if timelimit <= 0:
            timelimit = 1
        dbs_per_call = self.ndbs if (self.expire_timelimit_hit or self.ndbs < EXPIRE_DBS_PER_CALL) \
            else EXPIRE_DBS_PER_CALL
        self.expire_timelimit_hit = False
        self.update_clock()
        for j in range(dbs_per_call):
            if self.expire_timelimit_hit:
                break
            if self.expire_db < 0 or self.expire_db >= self.ndbs:
                self.expire_db = 0
            d = &self.dbs[self.expire_db]
            # (kept below ndbs: a counter left to grow would overflow its int after 2^31
            # database visits, a few days at a high hz, and index before the array)
            self.expire_db = self.expire_db + 1 if self.expire_db + 1 < self.ndbs else 0
            ex = &d.ex
            repeat = True
            while repeat:
                num = dict_size(ex)
                if num == 0:
                    d.avg_ttl = 0
                    break
                iteration += 1
                if num > keys_per_loop:
                    num = keys_per_loop
                max_buckets = num * 20
                sampled = expired = ttl_sum = ttl_samples = checked = 0
                ex.pause_rehash += 1
                while sampled < num and checked < max_buckets and dict_size(ex):
                    for t in range(2):
                        if t == 1 and ex.rehashidx == -1:
                            break
                        if ex.t[t].size == 0:
                            continue
                        x = <ExpEntry*>ex.t[t].b[d.expires_cursor & (ex.t[t].size - 1)]
                        checked += 1
                        while x != NULL:
                            nxt = x.next
                            sampled += 1
                            if self.st.now_ms > x.when:
                                kv = x.kv
                                h = key_hash(&self.st, entry_key(kv), entry_keylen(kv))
                                db_find(d, entry_key(kv), entry_keylen(kv), h, &link)
                                if expire_if_needed(d, kv, link, h):
                                    expired += 1
                            else:
                                ttl_sum += <double>(x.when - self.st.now_ms)
                                ttl_samples += 1
                            x = nxt
                    d.expires_cursor += 1
                ex.pause_rehash -= 1
                total_expired += expired
                total_sampled += sampled
                if ttl_samples:
                    avg = <long long>(ttl_sum / ttl_samples)
                    d.avg_ttl = avg if d.avg_ttl == 0 else (d.avg_ttl // 50) * 49 + avg // 50
                if (iteration & 0xf) == 0:
                    if monotonic_us() - start > timelimit:
                        self.expire_timelimit_hit = True
                        self.st.expired_time_cap_reached += 1
                        break
                repeat = sampled == 0 or expired * 100 // sampled > acceptable_stale
        elapsed = monotonic_us() - start
        self.st.expire_cycle_cpu_us += elapsed
        if total_sampled:
            self.st.expired_stale_perc = (<double>total_expired / total_sampled) * 0.05 + \
                self.st.expired_stale_perc * 0.95
        else:
            self.st.expired_stale_perc *= 0.95
        return total_expired


def heap_in_use():
    """Bytes the C heap has handed out (glibc mallinfo2), or 0 when unknown."""
    return fr_heap_in_use()


# =============================================================================================
# Entry dictionaries inside values: the fields of a big hash, the members of a big set or
# sorted set. Same tables as the keyspace (incremental rehash, SCAN cursor, sampling); an
# element is an Entry whose key is the field or member, and whose value is the type's own
# (a string for a hash field, nothing for a set member, ...). Their seed is per process.
# =============================================================================================

cdef KsState _edict_state


cdef void _edict_state_init():
    cdef bytes seed = os.urandom(24)
    cdef const unsigned char* sp = <const unsigned char*>PyBytes_AS_STRING(seed)
    _edict_state.k0 = _load_le64(sp)
    _edict_state.k1 = _load_le64(sp + 8)
    _edict_state.rng = _load_le64(sp + 16) | 1
    _edict_state.resize_allowed = True


_edict_state_init()


cdef Dict* edict_new() except NULL:
    cdef Dict* d = <Dict*>malloc(sizeof(Dict))
    if d == NULL:
        raise MemoryError()
    _dict_init(d, DICT_KEYS, &_edict_state)
    return d


cdef void edict_free(Dict* d) noexcept:
    cdef Link* e
    cdef Link* nxt
    cdef int t
    cdef size_t i
    if d == NULL:
        return
    for t in range(2):
        for i in range(d.t[t].size):
            e = <Link*>d.t[t].b[i]
            while e != NULL:
                nxt = e.next
                free_value(<Entry*>e)
                free(e)
                e = nxt
    _dict_clear(d)
    free(d)


cdef Entry* edict_find(Dict* d, const char* k, size_t n, Entry*** linkp) noexcept:
    return _dict_find(d, k, n, key_hash(d.st, k, n), linkp)


cdef int edict_add(Dict* d, Entry* e) except -1:
    _dict_add(d, e, key_hash(d.st, entry_key(e), entry_keylen(e)))
    return 0


cdef void edict_unlink(Dict* d, Entry* e, Entry** link) noexcept:
    link[0] = e.next
    e.next = NULL
    _table_of(d, key_hash(d.st, entry_key(e), entry_keylen(e))).used -= 1


cdef bint edict_delete(Dict* d, const char* k, size_t n) noexcept:
    cdef Entry** link
    cdef Entry* e = edict_find(d, k, n, &link)
    if e == NULL:
        return False
    edict_unlink(d, e, link)
    free_value(e)
    free(e)
    return True


cdef Dict* edict_dup(Dict* d) except NULL:
    cdef Dict* out = edict_new()
    cdef EdictIter it
    cdef Entry* e
    edict_iter_init(d, &it)
    try:
        e = edict_next(&it)
        while e != NULL:
            edict_add(out, entry_dup(e, entry_key(e), entry_keylen(e)))
            e = edict_next(&it)
    except BaseException:
        edict_iter_done(&it)
        edict_free(out)
        raise
    edict_iter_done(&it)
    return out


cdef void edict_iter_init(Dict* d, EdictIter* it) noexcept:
    d.pause_rehash += 1
    it.d = d
    it.t = 0
    it.i = 0
    it.e = NULL


cdef Entry* edict_next(EdictIter* it) noexcept:
    cdef Dict* d = it.d
    if it.e != NULL:
        it.e = it.e.next
    while it.e == NULL:
        if it.i >= d.t[it.t].size:
            if it.t == 1 or d.rehashidx == -1:
                return NULL
            it.t = 1
            it.i = 0
            continue
        it.e = <Entry*>d.t[it.t].b[it.i]
        it.i += 1
    return it.e


cdef void edict_iter_done(EdictIter* it) noexcept:
    if it.d != NULL:
        it.d.pause_rehash -= 1
        it.d = NULL


cdef void edict_shrink_if_sparse(Dict* d) noexcept:
    try:
        dict_try_shrink(d)
    except MemoryError:
        pass


cdef uint64_t edict_random_u64() noexcept:
    return ks_random(&_edict_state)
