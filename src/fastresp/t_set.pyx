# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The set type and its commands, with Redis 7.0's replies, errors and encodings. No Python
runs per request.

Encodings (as OBJECT ENCODING reports them, with Redis 7.0's rules):
- "intset" (ENC_INTSET): every member is a canonical 64-bit integer. The value is one IntSet
  block: a header then the members sorted ascending, all stored with the smallest width (2, 4
  or 8 bytes) that holds every one of them, so membership is a binary search. A set is created
  as an intset; it becomes a hashtable for good when a member that is not an integer arrives or
  when it grows past set-max-intset-entries.
- "hashtable" (ENC_HT): a keyspace-style Dict (edict_*) of Entries, one per member: the key is
  the member, the value is empty (an int 0, so the keyspace's copy and free handle it).

Results of SINTER/SUNION/SDIFF (and their STORE forms) are built the way Redis builds them: in a
new set that starts as an intset and converts as members arrive, so their encoding (and, for
intsets, their sorted order) matches Redis's.

HANDLERS maps each command name to its handler; pyredis.commands.sets declares the commands.
"""
from libc.stdlib cimport malloc, calloc, realloc, free
from libc.string cimport memcpy, memmove, memset
from libc.limits cimport LLONG_MIN
from libc.stdint cimport uint64_t, uint32_t, int16_t, int32_t, int64_t, uintptr_t

from fastresp.core cimport propagating, close_later, Client, native, propagate_instead
from fastresp.cmdutil cimport (wrongtype, syntax_error, arg_ll, key_changed, lookup_read,
                               key_event)
from fastresp.keyspace cimport (
    Entry, Db, Dict, KsState, EdictIter, Collected, elem_fn, T_SET, T_STRING, ENC_INT,
    ENC_INTSET, ENC_HT, LOOKUP_NONE, LOOKUP_WRITE, lookup, entry_new, entry_type,
    entry_encoding, entry_key, entry_keylen, entry_set_type, db_insert, db_add, db_unlink_free,
    db_delete, dict_size, dict_scan, dict_random, edict_new, edict_free,
    edict_find, edict_add, edict_unlink, edict_delete, edict_dup, edict_iter_init, edict_next,
    edict_iter_done, edict_shrink_if_sparse, edict_random_u64, free_value, notify_event,
    NOTIFY_SET, NOTIFY_GENERIC)
from fastresp.reply cimport (reply_int, reply_bulk, reply_bulk_ll, reply_null, reply_array,
                             reply_set, reply_raw, reply_defer, reply_set_deferred)
from fastresp.util cimport (string2ll, ll2string, arg_is, glob_match, parse_scan_cursor,
                            ull2string, LONG_STR_SIZE)
from fastresp.includes.errors cimport (ERR_COUNT_RANGE, ERR_INVALID_CURSOR, ERR_LIMIT_NEGATIVE,
                                       ERR_NOT_INTEGER, ERR_NUMKEYS_ARGS, ERR_NUMKEYS_POSITIVE,
                                       ERR_VALUE_POSITIVE)


cdef enum:
    OP_UNION = 0
    OP_DIFF = 1
    SPOP_MOVE_STRATEGY_MUL = 5        # SPOP count: rebuild from the survivors above size/5
    SRANDMEMBER_SUB_STRATEGY_MUL = 3  # SRANDMEMBER count: sample from a copy above size/3
    REPLY_LIMIT = 1 << 30             # SRANDMEMBER -N: stop (and close) past this many bytes

cdef long long LLONG_MIN_V = LLONG_MIN


# =============================================================================================
# Intset: sorted integers in one block
# =============================================================================================

cdef inline char* is_data(IntSet* s) noexcept nogil:
    return (<char*>s) + sizeof(IntSet)


cdef inline long long is_get(IntSet* s, uint32_t i) noexcept nogil:
    if s.width == 2:
        return (<int16_t*>is_data(s))[i]
    if s.width == 4:
        return (<int32_t*>is_data(s))[i]
    return (<int64_t*>is_data(s))[i]


cdef inline void is_put(IntSet* s, uint32_t i, long long v) noexcept nogil:
    if s.width == 2:
        (<int16_t*>is_data(s))[i] = <int16_t>v
    elif s.width == 4:
        (<int32_t*>is_data(s))[i] = <int32_t>v
    else:
        (<int64_t*>is_data(s))[i] = <int64_t>v


cdef inline uint32_t width_for(long long v) noexcept nogil:
    if -32768 <= v <= 32767:
        return 2
    if -2147483648 <= v <= 2147483647:
        return 4
    return 8


cdef IntSet* is_new(uint32_t cap) except NULL:
    cdef IntSet* s = <IntSet*>malloc(sizeof(IntSet) + <size_t>cap * 2)
    if s == NULL:
        raise MemoryError()
    s.width = 2
    s.len = 0
    s.cap = cap
    return s


cdef IntSet* is_reshape(IntSet* s, uint32_t width, uint32_t cap) except NULL:
    """s with room for cap members of `width` bytes (a new block when the width grows)."""
    cdef IntSet* t
    cdef uint32_t i
    if width == s.width:
        t = <IntSet*>realloc(s, sizeof(IntSet) + <size_t>cap * width)
        if t == NULL:
            raise MemoryError()
        t.cap = cap
        return t
    t = <IntSet*>malloc(sizeof(IntSet) + <size_t>cap * width)
    if t == NULL:
        raise MemoryError()
    t.width = width
    t.len = s.len
    t.cap = cap
    for i in range(s.len):
        is_put(t, i, is_get(s, i))
    free(s)
    return t


cdef inline bint is_search(IntSet* s, long long v, uint32_t* pos) noexcept nogil:
    """Whether v is in s; *pos is its index, or where it would be inserted."""
    cdef long long lo = 0, hi = <long long>s.len - 1, mid, x
    if s.len == 0:
        pos[0] = 0
        return False
    if v > is_get(s, s.len - 1):
        pos[0] = s.len
        return False
    if v < is_get(s, 0):
        pos[0] = 0
        return False
    while lo <= hi:
        mid = (lo + hi) >> 1
        x = is_get(s, <uint32_t>mid)
        if x < v:
            lo = mid + 1
        elif x > v:
            hi = mid - 1
        else:
            pos[0] = <uint32_t>mid
            return True
    pos[0] = <uint32_t>lo
    return False


cdef inline bint is_find(IntSet* s, long long v) noexcept nogil:
    cdef uint32_t pos
    if width_for(v) > s.width:
        return False
    return is_search(s, v, &pos)


cdef int is_add(IntSet** sp, long long v) except -1:
    """Add v; 1 when added, 0 when present. *sp may move."""
    cdef IntSet* s = sp[0]
    cdef uint32_t w = width_for(v), pos
    if w <= s.width and is_search(s, v, &pos):
        return 0
    if w > s.width:
        s = is_reshape(s, w, s.len + 1 if s.len + 1 > s.cap else s.cap)
        sp[0] = s
        is_search(s, v, &pos)      # outside the old range: first or last
    elif s.len == s.cap:
        s = is_reshape(s, s.width, s.cap * 2 if s.cap >= 4 else 4)
        sp[0] = s
    if pos < s.len:
        memmove(is_data(s) + <size_t>(pos + 1) * s.width, is_data(s) + <size_t>pos * s.width,
                <size_t>(s.len - pos) * s.width)
    is_put(s, pos, v)
    s.len += 1
    return 1


cdef inline void is_remove_at(IntSet* s, uint32_t pos) noexcept nogil:
    if pos + 1 < s.len:
        memmove(is_data(s) + <size_t>pos * s.width, is_data(s) + <size_t>(pos + 1) * s.width,
                <size_t>(s.len - pos - 1) * s.width)
    s.len -= 1


cdef inline bint is_remove(IntSet* s, long long v) noexcept nogil:
    cdef uint32_t pos
    if width_for(v) > s.width or not is_search(s, v, &pos):
        return False
    is_remove_at(s, pos)
    return True


cdef inline size_t is_bytes(IntSet* s) noexcept nogil:
    return sizeof(IntSet) + <size_t>s.cap * s.width


# =============================================================================================
# The set value: intset or hashtable of member entries
# =============================================================================================

cdef inline Entry* member_new(const char* s, size_t n) except NULL:
    cdef Entry* m = entry_new(s, n, 0)
    m.v.i = 0
    entry_set_type(m, T_STRING, ENC_INT)
    return m


cdef void set_free_value(Entry* e) noexcept:
    if entry_encoding(e) == ENC_INTSET:
        free(e.v.p)
    else:
        edict_free(<Dict*>e.v.p)
    e.v.p = NULL


cdef int set_dup_value(Entry* src, Entry* dst) except -1:
    cdef IntSet* s
    cdef IntSet* t
    if entry_encoding(src) == ENC_INTSET:
        s = <IntSet*>src.v.p
        t = <IntSet*>malloc(is_bytes(s))
        if t == NULL:
            raise MemoryError()
        memcpy(t, s, is_bytes(s))
        dst.v.p = t
    else:
        dst.v.p = edict_dup(<Dict*>src.v.p)
    return 0


cdef Entry* set_new_entry(const char* k, size_t n) except NULL:
    cdef Entry* e = entry_new(k, n, 0)
    try:
        e.v.p = is_new(0)
    except BaseException:
        free(e)
        raise
    entry_set_type(e, T_SET, ENC_INTSET)
    return e


cdef int convert_to_ht(Entry* e) except -1:
    """Turn an intset into a hashtable (for good)."""
    cdef IntSet* s = <IntSet*>e.v.p
    cdef Dict* d = edict_new()
    cdef char buf[LONG_STR_SIZE]
    cdef uint32_t i
    cdef size_t n
    try:
        for i in range(s.len):
            n = ll2string(buf, is_get(s, i))
            edict_add(d, member_new(buf, n))
    except BaseException:
        edict_free(d)
        raise
    free(s)
    e.v.p = d
    entry_set_type(e, T_SET, ENC_HT)
    return 0


cdef inline int _ht_add(Dict* d, const char* s, size_t n) except -1:
    if edict_find(d, s, n, NULL) != NULL:
        return 0
    edict_add(d, member_new(s, n))
    return 1


cdef int set_add(KsState* st, Entry* e, const char* s, size_t n) except -1:
    cdef long long v
    cdef int added
    if entry_encoding(e) == ENC_INTSET:
        if string2ll(s, n, &v):
            added = is_add(<IntSet**>&e.v.p, v)
            if added and <long long>(<IntSet*>e.v.p).len > st.set_max_intset_entries:
                convert_to_ht(e)
            return added
        convert_to_ht(e)
    return _ht_add(<Dict*>e.v.p, s, n)


cdef int set_add_ll(KsState* st, Entry* e, long long v) except -1:
    cdef char buf[LONG_STR_SIZE]
    cdef int added
    if entry_encoding(e) == ENC_INTSET:
        added = is_add(<IntSet**>&e.v.p, v)
        if added and <long long>(<IntSet*>e.v.p).len > st.set_max_intset_entries:
            convert_to_ht(e)
        return added
    return _ht_add(<Dict*>e.v.p, buf, ll2string(buf, v))


cdef bint set_remove(Entry* e, const char* s, size_t n) noexcept:
    cdef long long v
    if entry_encoding(e) == ENC_INTSET:
        return string2ll(s, n, &v) and is_remove(<IntSet*>e.v.p, v)
    return edict_delete(<Dict*>e.v.p, s, n)


cdef bint set_remove_ll(Entry* e, long long v) noexcept:
    cdef char buf[LONG_STR_SIZE]
    if entry_encoding(e) == ENC_INTSET:
        return is_remove(<IntSet*>e.v.p, v)
    return edict_delete(<Dict*>e.v.p, buf, ll2string(buf, v))


cdef bint set_contains(Entry* e, const char* s, size_t n) noexcept:
    cdef long long v
    if entry_encoding(e) == ENC_INTSET:
        return string2ll(s, n, &v) and is_find(<IntSet*>e.v.p, v)
    return edict_find(<Dict*>e.v.p, s, n, NULL) != NULL


cdef bint set_contains_ll(Entry* e, long long v) noexcept:
    cdef char buf[LONG_STR_SIZE]
    if entry_encoding(e) == ENC_INTSET:
        return is_find(<IntSet*>e.v.p, v)
    return edict_find(<Dict*>e.v.p, buf, ll2string(buf, v), NULL) != NULL


cdef long long set_length(Entry* e) noexcept:
    if entry_encoding(e) == ENC_INTSET:
        return (<IntSet*>e.v.p).len
    return <long long>dict_size(<Dict*>e.v.p)


cdef int set_foreach(Entry* e, elem_fn fn, void* ctx) except -1:
    cdef IntSet* s
    cdef char buf[LONG_STR_SIZE]
    cdef uint32_t i
    cdef EdictIter it
    cdef Entry* m
    if entry_encoding(e) == ENC_INTSET:
        s = <IntSet*>e.v.p
        for i in range(s.len):
            fn(ctx, buf, ll2string(buf, is_get(s, i)))
        return 0
    edict_iter_init(<Dict*>e.v.p, &it)
    try:
        m = edict_next(&it)
        while m != NULL:
            fn(ctx, entry_key(m), entry_keylen(m))
            m = edict_next(&it)
    finally:
        edict_iter_done(&it)
    return 0


# ----- iterating either encoding

cdef struct SetIter:
    int enc
    uint32_t i
    IntSet* s
    EdictIter it


cdef inline void si_init(SetIter* si, Entry* e) noexcept:
    si.enc = entry_encoding(e)
    si.i = 0
    if si.enc == ENC_INTSET:
        si.s = <IntSet*>e.v.p
        si.it.d = NULL
    else:
        si.s = NULL
        edict_iter_init(<Dict*>e.v.p, &si.it)


cdef inline int si_next(SetIter* si, const char** p, size_t* n, long long* v) noexcept:
    """The next member: ENC_INTSET with *v, ENC_HT with p[0:n], or -1 at the end."""
    cdef Entry* m
    if si.enc == ENC_INTSET:
        if si.i >= si.s.len:
            return -1
        v[0] = is_get(si.s, si.i)
        si.i += 1
        return ENC_INTSET
    m = edict_next(&si.it)
    if m == NULL:
        return -1
    p[0] = entry_key(m)
    n[0] = entry_keylen(m)
    return ENC_HT


cdef inline void si_done(SetIter* si) noexcept:
    if si.enc != ENC_INTSET:
        edict_iter_done(&si.it)


cdef inline int reply_member(Client c, Entry* m) except -1:
    return reply_bulk(&c.out, entry_key(m), entry_keylen(m))


cdef int reply_members(Client c, Entry* e) except -1:
    """Every member, in the set's order (after the caller's header)."""
    cdef IntSet* s
    cdef uint32_t i
    cdef EdictIter it
    cdef Entry* m
    if entry_encoding(e) == ENC_INTSET:
        s = <IntSet*>e.v.p
        for i in range(s.len):
            reply_bulk_ll(&c.out, is_get(s, i))
        return 0
    edict_iter_init(<Dict*>e.v.p, &it)
    try:
        m = edict_next(&it)
        while m != NULL:
            reply_bulk(&c.out, entry_key(m), entry_keylen(m))
            m = edict_next(&it)
    finally:
        edict_iter_done(&it)
    return 0


cdef inline void free_detached(Entry* e) noexcept:
    free_value(e)
    free(e)


cdef inline int reply_empty_set(Client c) except -1:
    return reply_set(&c.out, 0)


cdef inline int reply_set_at(Client c, size_t at, long long n) except -1:
    return reply_set_deferred(&c.out, at, b'*' if c.out.proto == 2 else b'~', n)


# =============================================================================================
# Single-key commands
# =============================================================================================

# SADD key member [member ...]
cdef int cmd_sadd(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    cdef long long added = 0
    cdef int j
    if e == NULL:
        e = set_new_entry(c.argv[1], c.argl[1])
        db_add(c.db, e, h)
    elif entry_type(e) != T_SET:
        return wrongtype(c)
    for j in range(2, c.argc):
        added += set_add(c.db.st, e, c.argv[j], c.argl[j])
    if added:
        key_changed(c, added)
        key_event(c, NOTIFY_SET, b"sadd", c.argv[1], c.argl[1])
    return reply_int(&c.out, added)


# SREM key member [member ...]
cdef int cmd_srem(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    cdef long long removed = 0
    cdef int j
    if e == NULL:
        return reply_int(&c.out, 0)
    if entry_type(e) != T_SET:
        return wrongtype(c)
    for j in range(2, c.argc):
        if set_remove(e, c.argv[j], c.argl[j]):
            removed += 1
            if set_length(e) == 0:
                db_unlink_free(c.db, e, link, h)
                e = NULL
                break
    if e != NULL and removed and entry_encoding(e) == ENC_HT:
        edict_shrink_if_sparse(<Dict*>e.v.p)
    if removed:
        key_changed(c, 1)
        key_event(c, NOTIFY_SET, b"srem", c.argv[1], c.argl[1])
        if e == NULL:
            notify_event(c.db, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
    return reply_int(&c.out, removed)


# SMOVE source destination member
cdef int cmd_smove(Client c) except -1:
    cdef uint64_t hs, hd
    cdef Entry* src = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &hs, NULL)
    cdef Entry* dst = lookup(c.db, c.argv[2], c.argl[2], LOOKUP_WRITE, &hd, NULL)
    if src == NULL:
        return reply_int(&c.out, 0)
    if entry_type(src) != T_SET or (dst != NULL and entry_type(dst) != T_SET):
        return wrongtype(c)
    if src == dst:
        return reply_int(&c.out, 1 if set_contains(src, c.argv[3], c.argl[3]) else 0)
    if not set_remove(src, c.argv[3], c.argl[3]):
        return reply_int(&c.out, 0)
    key_event(c, NOTIFY_SET, b"srem", c.argv[1], c.argl[1])
    if set_length(src) == 0:
        db_delete(c.db, c.argv[1], c.argl[1])
        notify_event(c.db, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
    elif entry_encoding(src) == ENC_HT:
        edict_shrink_if_sparse(<Dict*>src.v.p)
    if dst == NULL:
        dst = set_new_entry(c.argv[2], c.argl[2])
        db_add(c.db, dst, hd)
    key_changed(c, 1)
    if set_add(c.db.st, dst, c.argv[3], c.argl[3]):
        key_changed(c, 1)
        # a destination that already had the member is neither signalled nor notified
        key_event(c, NOTIFY_SET, b"sadd", c.argv[2], c.argl[2])
    return reply_int(&c.out, 1)


# SISMEMBER key member
cdef int cmd_sismember(Client c) except -1:
    cdef bint wrong
    cdef Entry* e = lookup_read(c, 1, T_SET, &wrong)
    if wrong:
        return wrongtype(c)
    return reply_int(&c.out, 1 if e != NULL and set_contains(e, c.argv[2], c.argl[2]) else 0)


# SMISMEMBER key member [member ...]
cdef int cmd_smismember(Client c) except -1:
    cdef bint wrong
    cdef Entry* e = lookup_read(c, 1, T_SET, &wrong)
    cdef int j
    if wrong:
        return wrongtype(c)
    reply_array(&c.out, c.argc - 2)
    for j in range(2, c.argc):
        reply_int(&c.out, 1 if e != NULL and set_contains(e, c.argv[j], c.argl[j]) else 0)
    return 0


# SCARD key
cdef int cmd_scard(Client c) except -1:
    cdef bint wrong
    cdef Entry* e = lookup_read(c, 1, T_SET, &wrong)
    if wrong:
        return wrongtype(c)
    return reply_int(&c.out, set_length(e) if e != NULL else 0)


# SMEMBERS key
cdef int cmd_smembers(Client c) except -1:
    cdef bint wrong
    cdef Entry* e = lookup_read(c, 1, T_SET, &wrong)
    if wrong:
        return wrongtype(c)
    if e == NULL:
        return reply_empty_set(c)
    reply_set(&c.out, set_length(e))
    return reply_members(c, e)


# =============================================================================================
# Random members: SPOP, SRANDMEMBER
# =============================================================================================

cdef inline uint64_t rand_below(uint64_t n) noexcept:
    return edict_random_u64() % n


cdef uint32_t* shuffled_prefix(uint32_t size, uint32_t count) except NULL:
    """Indices 0..size-1, the first `count` of them a uniform random selection in random
    order (a partial Fisher-Yates shuffle)."""
    cdef uint32_t* idx = <uint32_t*>malloc(<size_t>(size if size else 1) * sizeof(uint32_t))
    cdef uint32_t i, j, t
    if idx == NULL:
        raise MemoryError()
    for i in range(size):
        idx[i] = i
    for i in range(count):
        j = i + <uint32_t>rand_below(size - i)
        t = idx[i]
        idx[i] = idx[j]
        idx[j] = t
    return idx


cdef int prop_key_arg(Client c, const char* cmd, size_t cn, const char* m, size_t mn) except -1:
    """Record `cmd argv[1] [m]` for the AOF (SPOP as SREM key member, or DEL key when m is
    NULL)."""
    cdef const char* argv[3]
    cdef size_t argl[3]
    argv[0] = cmd; argl[0] = cn
    argv[1] = c.argv[1]; argl[1] = c.argl[1]
    argv[2] = m; argl[2] = mn
    return propagate_instead(c, 2 if m == NULL else 3, argv, argl)


cdef inline int prop_srem_ll(Client c, long long v) except -1:
    cdef char buf[LONG_STR_SIZE]
    cdef size_t n = ll2string(buf, v)
    return prop_key_arg(c, b"SREM", 4, buf, n)


cdef inline int prop_srem(Client c, Entry* m) except -1:
    return prop_key_arg(c, b"SREM", 4, entry_key(m), entry_keylen(m))


cdef int spop_with_count(Client c) except -1:
    cdef long long count, size, remaining, k
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef Entry* m
    cdef IntSet* s
    cdef Dict* d
    cdef Dict* nd
    cdef uint32_t* idx
    cdef unsigned char* gone
    cdef uint32_t i, w
    if not string2ll(c.argv[2], c.argl[2], &count) or count < 0:
        return c.error_cstr(ERR_VALUE_POSITIVE)
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        return reply_empty_set(c)
    if entry_type(e) != T_SET:
        return wrongtype(c)
    if count == 0:
        return reply_empty_set(c)
    size = set_length(e)
    key_changed(c, count)
    # "spop" goes out before the reply, the "del" of an emptied set after it
    key_event(c, NOTIFY_SET, b"spop", c.argv[1], c.argl[1])
    if count >= size:
        # the whole set, as SUNION of it replies it; then the key goes
        sunion_diff(c, 1, 1, False, OP_UNION)
        db_delete(c.db, c.argv[1], c.argl[1])
        if propagating(c.core):
            prop_key_arg(c, b"DEL", 3, NULL, 0)
        notify_event(c.db, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
        return 0
    reply_set(&c.out, count)
    if entry_encoding(e) == ENC_INTSET:
        s = <IntSet*>e.v.p
        idx = shuffled_prefix(s.len, <uint32_t>count)
        gone = <unsigned char*>calloc(s.len, 1)
        if gone == NULL:
            free(idx)
            raise MemoryError()
        try:
            for i in range(<uint32_t>count):
                reply_bulk_ll(&c.out, is_get(s, idx[i]))
                gone[idx[i]] = 1
                if propagating(c.core):
                    prop_srem_ll(c, is_get(s, idx[i]))
        finally:
            w = 0
            for i in range(s.len):
                if not gone[i]:
                    is_put(s, w, is_get(s, i))
                    w += 1
            s.len = w
            free(idx)
            free(gone)
        return 0
    d = <Dict*>e.v.p
    if count * SPOP_MOVE_STRATEGY_MUL > size:
        # most members go: move the survivors to a new table, reply the rest of the old one
        remaining = size - count
        nd = edict_new()
        for k in range(remaining):
            m = <Entry*>dict_random(d)
            edict_find(d, entry_key(m), entry_keylen(m), &link)
            edict_unlink(d, m, link)
            edict_add(nd, m)
        e.v.p = nd
        try:
            pop_reply_all(c, d)
        finally:
            edict_free(d)
        return 0
    for k in range(count):
        m = <Entry*>dict_random(d)
        reply_member(c, m)
        if propagating(c.core):
            prop_srem(c, m)
        edict_delete(d, entry_key(m), entry_keylen(m))
    edict_shrink_if_sparse(d)
    return 0


cdef int pop_reply_all(Client c, Dict* d) except -1:
    """Reply every member of d (popped by SPOP with a count) and, with the AOF on, record an
    SREM for each, in the same order."""
    cdef EdictIter it
    cdef Entry* m
    cdef bint record = propagating(c.core)
    edict_iter_init(d, &it)
    try:
        m = edict_next(&it)
        while m != NULL:
            reply_member(c, m)
            if record:
                prop_srem(c, m)
            m = edict_next(&it)
    finally:
        edict_iter_done(&it)
    return 0


# SPOP key [count]
cdef int cmd_spop(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef Entry* m
    cdef IntSet* s
    cdef Dict* d
    cdef uint32_t i
    if c.argc == 3:
        return spop_with_count(c)
    if c.argc > 3:
        return syntax_error(c)
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        return reply_null(&c.out)
    if entry_type(e) != T_SET:
        return wrongtype(c)
    # "spop" goes out before the reply, the "del" of an emptied set after it
    key_event(c, NOTIFY_SET, b"spop", c.argv[1], c.argl[1])
    if entry_encoding(e) == ENC_INTSET:
        s = <IntSet*>e.v.p
        i = <uint32_t>rand_below(s.len)
        reply_bulk_ll(&c.out, is_get(s, i))
        if propagating(c.core):
            prop_srem_ll(c, is_get(s, i))
        is_remove_at(s, i)
    else:
        d = <Dict*>e.v.p
        m = <Entry*>dict_random(d)
        reply_member(c, m)
        if propagating(c.core):
            prop_srem(c, m)
        edict_delete(d, entry_key(m), entry_keylen(m))
    key_changed(c, 1)
    if set_length(e) == 0:
        db_unlink_free(c.db, e, link, h)
        notify_event(c.db, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
    elif entry_encoding(e) == ENC_HT:
        edict_shrink_if_sparse(<Dict*>e.v.p)
    return 0


cdef inline int reply_random_member(Client c, Entry* e) except -1:
    cdef IntSet* s
    if entry_encoding(e) == ENC_INTSET:
        s = <IntSet*>e.v.p
        return reply_bulk_ll(&c.out, is_get(s, <uint32_t>rand_below(s.len)))
    return reply_member(c, <Entry*>dict_random(<Dict*>e.v.p))


cdef int srandmember_distinct_ht(Client c, Dict* d, long long count, long long size) except -1:
    """`count` distinct random members of a hashtable, count < size."""
    cdef Entry** all
    cdef Entry** seen
    cdef Entry* m
    cdef EdictIter it
    cdef long long i, j, got = 0
    cdef size_t cap = 4, slot
    cdef Entry* t
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > size:
        # a large share: shuffle a list of all of them
        all = <Entry**>malloc(<size_t>size * sizeof(Entry*))
        if all == NULL:
            raise MemoryError()
        edict_iter_init(d, &it)
        m = edict_next(&it)
        i = 0
        while m != NULL and i < size:
            all[i] = m
            i += 1
            m = edict_next(&it)
        edict_iter_done(&it)
        try:
            for i in range(count):
                j = i + <long long>rand_below(<uint64_t>(size - i))
                t = all[i]
                all[i] = all[j]
                all[j] = t
                reply_member(c, all[i])
        finally:
            free(all)
        return 0
    # a small share: sample, skipping repeats (an open-addressing set of entry pointers)
    while cap < <size_t>count * 2:
        cap *= 2
    seen = <Entry**>calloc(cap, sizeof(Entry*))
    if seen == NULL:
        raise MemoryError()
    try:
        while got < count:
            m = <Entry*>dict_random(d)
            slot = <size_t>(((<uintptr_t>m) >> 4) * 11400714819323198485ULL >> 20) & (cap - 1)
            while seen[slot] != NULL and seen[slot] != m:
                slot = (slot + 1) & (cap - 1)
            if seen[slot] == m:
                continue
            seen[slot] = m
            reply_member(c, m)
            got += 1
    finally:
        free(seen)
    return 0


cdef int srandmember_with_count(Client c) except -1:
    cdef long long l, count, size, k
    cdef bint uniq = True
    cdef bint wrong
    cdef Entry* e
    cdef IntSet* s
    cdef uint32_t* idx
    cdef uint32_t i
    if not string2ll(c.argv[2], c.argl[2], &l):
        return c.error_cstr(ERR_NOT_INTEGER)
    if l == LLONG_MIN_V:
        return c.error_cstr(ERR_COUNT_RANGE)
    if l >= 0:
        count = l
    else:
        count = -l
        uniq = False
    e = lookup_read(c, 1, T_SET, &wrong)
    if e == NULL:
        return reply_array(&c.out, 0)
    if wrong:
        return wrongtype(c)
    if count == 0:
        return reply_array(&c.out, 0)
    size = set_length(e)
    if not uniq or count == 1:
        reply_array(&c.out, count)
        for k in range(count):
            reply_random_member(c, e)
            if c.out.len > REPLY_LIMIT:
                # Redis stops when the client has to go (its output limit): we bound memory
                close_later(c.core, c)
                break
        return 0
    if count >= size:
        reply_array(&c.out, size)
        return reply_members(c, e)
    reply_array(&c.out, count)
    if entry_encoding(e) == ENC_INTSET:
        s = <IntSet*>e.v.p
        idx = shuffled_prefix(s.len, <uint32_t>count)
        try:
            for i in range(<uint32_t>count):
                reply_bulk_ll(&c.out, is_get(s, idx[i]))
        finally:
            free(idx)
        return 0
    return srandmember_distinct_ht(c, <Dict*>e.v.p, count, size)


# SRANDMEMBER key [count]
cdef int cmd_srandmember(Client c) except -1:
    cdef bint wrong
    cdef Entry* e
    if c.argc == 3:
        return srandmember_with_count(c)
    if c.argc > 3:
        return syntax_error(c)
    e = lookup_read(c, 1, T_SET, &wrong)
    if e == NULL:
        return reply_null(&c.out)
    if wrong:
        return wrongtype(c)
    return reply_random_member(c, e)


# =============================================================================================
# Set algebra: SINTER, SUNION, SDIFF and their STORE forms, SINTERCARD
# =============================================================================================

cdef int load_sets(Client c, int first, int nkeys, Entry** sets, int* missing) except -1:
    """The sets of keys first..first+nkeys-1 (NULL when missing). 1 after WRONGTYPE. Read
    lookups even for the STORE forms (as Redis 7.0: a missing source is a `keymiss`)."""
    cdef uint64_t h
    cdef Entry* e
    cdef int j
    missing[0] = 0
    for j in range(nkeys):
        e = lookup(c.db, c.argv[first + j], c.argl[first + j], LOOKUP_NONE, &h, NULL)
        sets[j] = e
        if e == NULL:
            missing[0] += 1
        elif entry_type(e) != T_SET:
            wrongtype(c)
            return 1
    return 0


cdef int store_result(Client c, Entry* res, const char* event, bint notify_first) except -1:
    """Put the detached set res (whose key is argv[1]) in place of the destination, or delete
    the destination when res is empty; reply the size. Takes res. The event (`event`, or
    `del` for an emptied destination) goes out after the reply, as Redis does, except with
    notify_first (SINTERSTORE with a missing source key notifies before replying)."""
    cdef uint64_t h
    cdef Entry** link
    cdef long long n = set_length(res) if res != NULL else 0
    cdef Entry* old = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if old != NULL:
        db_unlink_free(c.db, old, link, h)
    if n == 0:
        if res != NULL:
            free_detached(res)
        if old == NULL:
            return reply_int(&c.out, 0)
        key_changed(c, 1)
        if notify_first:
            key_event(c, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
            return reply_int(&c.out, 0)
        reply_int(&c.out, 0)
        key_event(c, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
        return 0
    if old == NULL:
        db_add(c.db, res, h)
    else:
        db_insert(c.db, res, h)     # an overwrite: no `new` event
    key_changed(c, 1)
    reply_int(&c.out, n)
    key_event(c, NOTIFY_SET, event, c.argv[1], c.argl[1])
    return 0


cdef inline bint member_in(Entry* s, int enc, const char* p, size_t n, long long v) noexcept:
    if enc == ENC_INTSET:
        return set_contains_ll(s, v)
    return set_contains(s, p, n)


cdef int sinter_generic(Client c, int first, int nkeys, bint store, bint card_only,
                        long long limit) except -1:
    cdef Entry** sets = <Entry**>malloc(<size_t>nkeys * sizeof(Entry*))
    cdef Entry* res = NULL
    cdef Entry* t
    cdef int missing, j, k, enc
    cdef long long count = 0
    cdef size_t at = 0, n = 0
    cdef const char* p = NULL
    cdef long long v = 0
    cdef SetIter si
    cdef bint all_have
    if sets == NULL:
        raise MemoryError()
    try:
        if load_sets(c, first, nkeys, sets, &missing):
            return 0
        if missing:
            if store:
                return store_result(c, NULL, b"sinterstore", True)
            if card_only:
                return reply_int(&c.out, 0)
            return reply_empty_set(c)
        # smallest first (insertion sort: stable)
        for j in range(1, nkeys):
            t = sets[j]
            k = j - 1
            while k >= 0 and set_length(sets[k]) > set_length(t):
                sets[k + 1] = sets[k]
                k -= 1
            sets[k + 1] = t
        if store:
            res = set_new_entry(c.argv[1], c.argl[1])
        elif not card_only:
            at = reply_defer(&c.out)
        si_init(&si, sets[0])
        try:
            enc = si_next(&si, &p, &n, &v)
            while enc != -1:
                all_have = True
                for j in range(1, nkeys):
                    if sets[j] != sets[0] and not member_in(sets[j], enc, p, n, v):
                        all_have = False
                        break
                if all_have:
                    count += 1
                    if card_only:
                        if limit and count >= limit:
                            break
                    elif store:
                        if enc == ENC_INTSET:
                            set_add_ll(c.db.st, res, v)
                        else:
                            set_add(c.db.st, res, p, n)
                    elif enc == ENC_INTSET:
                        reply_bulk_ll(&c.out, v)
                    else:
                        reply_bulk(&c.out, p, n)
                enc = si_next(&si, &p, &n, &v)
        finally:
            si_done(&si)
        if card_only:
            return reply_int(&c.out, count)
        if store:
            t = res
            res = NULL
            return store_result(c, t, b"sinterstore", False)
        return reply_set_at(c, at, count)
    finally:
        free(sets)
        if res != NULL:
            free_detached(res)


cdef int sunion_diff(Client c, int first, int nkeys, bint store, int op) except -1:
    cdef Entry** sets = <Entry**>malloc(<size_t>nkeys * sizeof(Entry*))
    cdef Entry* res = NULL
    cdef Entry* t
    cdef int missing, j, k, enc, algo = 0
    cdef bint sameset = False, found
    cdef long long count = 0, work1 = 0, work2 = 0
    cdef size_t n = 0
    cdef const char* p = NULL
    cdef long long v = 0
    cdef SetIter si
    if sets == NULL:
        raise MemoryError()
    try:
        if load_sets(c, first, nkeys, sets, &missing):
            return 0
        for j in range(1, nkeys):
            if sets[j] != NULL and sets[j] == sets[0]:
                sameset = True
        if op == OP_DIFF and sets[0] != NULL and not sameset:
            # Redis's choice of algorithm (it decides the result's encoding too)
            for j in range(nkeys):
                if sets[j] != NULL:
                    work1 += set_length(sets[0])
                    work2 += set_length(sets[j])
            work1 //= 2
            algo = 1 if work1 <= work2 else 2
            if algo == 1 and nkeys > 1:
                # the sets to subtract by decreasing size (missing ones count as empty)
                for j in range(2, nkeys):
                    t = sets[j]
                    k = j - 1
                    while k >= 1 and ((set_length(sets[k]) if sets[k] != NULL else 0) <
                                      (set_length(t) if t != NULL else 0)):
                        sets[k + 1] = sets[k]
                        k -= 1
                    sets[k + 1] = t
        res = set_new_entry(c.argv[1], c.argl[1]) if store else set_new_entry(b"", 0)
        if op == OP_UNION:
            for j in range(nkeys):
                if sets[j] == NULL:
                    continue
                si_init(&si, sets[j])
                try:
                    enc = si_next(&si, &p, &n, &v)
                    while enc != -1:
                        if (set_add_ll(c.db.st, res, v) if enc == ENC_INTSET
                                else set_add(c.db.st, res, p, n)):
                            count += 1
                        enc = si_next(&si, &p, &n, &v)
                finally:
                    si_done(&si)
        elif algo == 1:
            si_init(&si, sets[0])
            try:
                enc = si_next(&si, &p, &n, &v)
                while enc != -1:
                    found = False
                    for j in range(1, nkeys):
                        if sets[j] == NULL:
                            continue
                        if member_in(sets[j], enc, p, n, v):
                            found = True
                            break
                    if not found:
                        if enc == ENC_INTSET:
                            set_add_ll(c.db.st, res, v)
                        else:
                            set_add(c.db.st, res, p, n)
                        count += 1
                    enc = si_next(&si, &p, &n, &v)
            finally:
                si_done(&si)
        elif algo == 2:
            for j in range(nkeys):
                if sets[j] == NULL:
                    continue
                si_init(&si, sets[j])
                try:
                    enc = si_next(&si, &p, &n, &v)
                    while enc != -1:
                        if j == 0:
                            if (set_add_ll(c.db.st, res, v) if enc == ENC_INTSET
                                    else set_add(c.db.st, res, p, n)):
                                count += 1
                        elif (set_remove_ll(res, v) if enc == ENC_INTSET
                                else set_remove(res, p, n)):
                            count -= 1
                        enc = si_next(&si, &p, &n, &v)
                finally:
                    si_done(&si)
                if count == 0:
                    break
        if store:
            t = res
            res = NULL
            return store_result(c, t, b"sunionstore" if op == OP_UNION else b"sdiffstore",
                                False)
        reply_set(&c.out, count)
        return reply_members(c, res)
    finally:
        free(sets)
        if res != NULL:
            free_detached(res)


# SINTER key [key ...]
cdef int cmd_sinter(Client c) except -1:
    return sinter_generic(c, 1, c.argc - 1, False, False, 0)


# SINTERSTORE destination key [key ...]
cdef int cmd_sinterstore(Client c) except -1:
    return sinter_generic(c, 2, c.argc - 2, True, False, 0)


# SINTERCARD numkeys key [key ...] [LIMIT limit]
cdef int cmd_sintercard(Client c) except -1:
    cdef long long numkeys, limit = 0
    cdef int j
    if not string2ll(c.argv[1], c.argl[1], &numkeys) or numkeys < 1:
        return c.error_cstr(ERR_NUMKEYS_POSITIVE)
    if numkeys > c.argc - 2:
        return c.error_cstr(ERR_NUMKEYS_ARGS)
    j = 2 + <int>numkeys
    while j < c.argc:
        if arg_is(c.argv[j], c.argl[j], b"limit", 5) and j < c.argc - 1:
            j += 1
            if not string2ll(c.argv[j], c.argl[j], &limit) or limit < 0:
                return c.error_cstr(ERR_LIMIT_NEGATIVE)
        else:
            return syntax_error(c)
        j += 1
    return sinter_generic(c, 2, <int>numkeys, False, True, limit)


# SUNION key [key ...]
cdef int cmd_sunion(Client c) except -1:
    return sunion_diff(c, 1, c.argc - 1, False, OP_UNION)


# SUNIONSTORE destination key [key ...]
cdef int cmd_sunionstore(Client c) except -1:
    return sunion_diff(c, 2, c.argc - 2, True, OP_UNION)


# SDIFF key [key ...]
cdef int cmd_sdiff(Client c) except -1:
    return sunion_diff(c, 1, c.argc - 1, False, OP_DIFF)


# SDIFFSTORE destination key [key ...]
cdef int cmd_sdiffstore(Client c) except -1:
    return sunion_diff(c, 2, c.argc - 2, True, OP_DIFF)


# =============================================================================================
# SSCAN
# =============================================================================================

cdef void _scan_collect(void* ctx, void* entry) except *:
    cdef Collected* col = <Collected*>ctx
    cdef Entry** grown
    if col.n == col.cap:
        col.cap = col.cap * 2 if col.cap else 16
        grown = <Entry**>realloc(col.items, col.cap * sizeof(Entry*))
        if grown == NULL:
            raise MemoryError()
        col.items = grown
    col.items[col.n] = <Entry*>entry
    col.n += 1


# SSCAN key cursor [MATCH pattern] [COUNT count]
cdef int cmd_sscan(Client c) except -1:
    cdef unsigned long long cursor
    cdef long long count = 10, maxiter
    cdef const char* pat = NULL
    cdef size_t plen = 0, i, at, n
    cdef int j = 3
    cdef bint wrong
    cdef Entry* e
    cdef Entry* m
    cdef IntSet* s
    cdef Collected col
    cdef long long emitted = 0
    cdef char numbuf[LONG_STR_SIZE]
    if not parse_scan_cursor(c.argv[2], c.argl[2], &cursor):
        return c.error_cstr(ERR_INVALID_CURSOR)
    e = lookup_read(c, 1, T_SET, &wrong)
    if e == NULL:
        return reply_raw(&c.out, b"*2\r\n$1\r\n0\r\n*0\r\n", 15)
    if wrong:
        return wrongtype(c)
    while j < c.argc:
        if arg_is(c.argv[j], c.argl[j], b"count", 5) and j < c.argc - 1:
            if arg_ll(c, j + 1, &count):
                return 0
            if count < 1:
                return syntax_error(c)
        elif arg_is(c.argv[j], c.argl[j], b"match", 5) and j < c.argc - 1:
            pat = c.argv[j + 1]
            plen = c.argl[j + 1]
            if plen == 1 and pat[0] == b'*':
                pat = NULL
        else:
            return syntax_error(c)
        j += 2
    reply_array(&c.out, 2)
    if entry_encoding(e) == ENC_INTSET:
        s = <IntSet*>e.v.p
        reply_bulk(&c.out, b"0", 1)
        at = reply_defer(&c.out)
        for i in range(s.len):
            n = ll2string(numbuf, is_get(s, i))
            if pat != NULL and not glob_match(pat, plen, numbuf, n, False):
                continue
            reply_bulk(&c.out, numbuf, n)
            emitted += 1
        return reply_set_deferred(&c.out, at, b'*', emitted)
    col.items = NULL
    col.n = col.cap = 0
    try:
        maxiter = count * 10
        while True:
            cursor = dict_scan(<Dict*>e.v.p, cursor, _scan_collect, &col)
            if not cursor or maxiter <= 0 or <long long>col.n >= count:
                break
            maxiter -= 1
        reply_bulk(&c.out, numbuf, ull2string(numbuf, cursor))
        at = reply_defer(&c.out)
        for i in range(col.n):
            m = col.items[i]
            if pat != NULL and not glob_match(pat, plen, entry_key(m), entry_keylen(m), False):
                continue
            reply_member(c, m)
            emitted += 1
        reply_set_deferred(&c.out, at, b'*', emitted)
    finally:
        free(col.items)
    return 0


HANDLERS = {
    "sadd": native(cmd_sadd),
    "srem": native(cmd_srem),
    "smove": native(cmd_smove),
    "sismember": native(cmd_sismember),
    "smismember": native(cmd_smismember),
    "scard": native(cmd_scard),
    "smembers": native(cmd_smembers),
    "spop": native(cmd_spop),
    "srandmember": native(cmd_srandmember),
    "sinter": native(cmd_sinter),
    "sinterstore": native(cmd_sinterstore),
    "sintercard": native(cmd_sintercard),
    "sunion": native(cmd_sunion),
    "sunionstore": native(cmd_sunionstore),
    "sdiff": native(cmd_sdiff),
    "sdiffstore": native(cmd_sdiffstore),
    "sscan": native(cmd_sscan),
}
