# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The hash commands, with Redis 7.0's replies and errors. No Python runs per request.

Encodings
=========
A hash starts as a listpack (OBJECT ENCODING "listpack"): one heap block holding field, value,
field, value ... in insertion order, so HGETALL/HKEYS/HVALS/HSCAN of a small hash answer in the
order Redis answers. It becomes a hash table ("hashtable") -- an edict whose elements are
Entries keyed by the field, holding the value as a string entry (entry_new_string: short values
live inside the field's allocation, canonical integers as a 64-bit int) -- at the points Redis
7.0 converts:
  - before a field or value longer than hash-max-listpack-value is stored (HSET, HMSET and
    HSETNX of a new field check their arguments; HINCRBY/HINCRBYFLOAT check the field and the
    result), and
  - after an insert leaves more than hash-max-listpack-entries fields, and
  - before the listpack would grow past 1 GB (only reachable with a raised value limit).
A hash never converts back, and an empty hash is deleted.

The value object (e.v.p: an LP* or a Dict*) never points back at its Entry, so RENAME and MOVE
can move it; the type ops registered at import free it (DEL, expiry, FLUSHALL) and deep-copy it
(COPY).

HANDLERS maps each command name to its handler; pyredis.commands.hashes declares the commands.
"""
from libc.stdlib cimport malloc, realloc, free
from libc.stdint cimport uint64_t
from libc.limits cimport LLONG_MAX, LLONG_MIN

from fastresp.core cimport propagating, close_later, Client, native, propagate_instead
from fastresp.cmdutil cimport (wrongtype, syntax_error, arg_ll, error_with_command,
                               reply_string_entry, key_changed, lookup_read, key_event)
from fastresp.keyspace cimport (Entry, Dict, KsState, EdictIter, T_HASH, ENC_LISTPACK,
                                ENC_HT, LOOKUP_NONE, LOOKUP_WRITE, lookup, entry_type,
                                entry_encoding, entry_key, entry_keylen, entry_new,
                                entry_new_string, entry_set_string, entry_set_type, db_insert, db_add,
                                db_unlink_free, string_view, free_value, dict_size, dict_scan,
                                dict_random, edict_new, edict_free, edict_find, edict_add,
                                edict_unlink, edict_dup, edict_iter_init, edict_next,
                                edict_iter_done, edict_shrink_if_sparse, edict_random_u64,
                                pair_fn, notify_event, NOTIFY_HASH,
                                NOTIFY_GENERIC)
from fastresp.listpack cimport (LP, lpos, lp_new, lp_free, lp_dup, lp_first, lp_next, lp_skip,
                                lp_get, lp_seek, lp_append, lp_replace, lp_delete, lp_find,
                                lp_entry_size)
from fastresp.reply cimport (reply_null, reply_int, reply_bulk, reply_raw,
                             reply_array, reply_map, reply_ok, reply_defer,
                             reply_set_deferred_array)
from fastresp.util cimport (string2ll, ll2string, ull2string, arg_is, string2ld,
                            ld2string_human, glob_match, parse_scan_cursor, LONG_STR_SIZE,
                            MAX_LONG_DOUBLE_CHARS)
from fastresp.includes.libc_extra cimport isnan, isinf
from fastresp.includes.errors cimport (ERR_ARITY_FMT, ERR_COUNT_RANGE, ERR_HASH_NOT_FLOAT,
                                       ERR_HASH_NOT_INTEGER, ERR_INVALID_CURSOR, ERR_NAN_OR_INF,
                                       ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_OVERFLOW,
                                       ERR_VALUE_NAN_OR_INF, ERR_VALUE_RANGE)

cdef enum:
    NEW_KEY_RESERVE_MAX = 4096       # bytes reserved up front for a new hash's listpack
    RANDOM_REPLY_MAX = 256 * 1024 * 1024  # a reply of repeated random fields stops (and the
                                     # client is closed) beyond this size, as Redis closes a
                                     # client over its output limit
    SCAN_DEFAULT_COUNT = 10
    LISTPACK_SAFE_MAX = 1 << 30      # a listpack never grows past this (Redis's safety limit)

cdef long long LLONG_MAX_V = LLONG_MAX
cdef long long LLONG_MIN_V = LLONG_MIN
cdef long long HALF_LONG_MAX = LLONG_MAX // 2


# =============================================================================================
# The type: create, set, get, count, visit, convert, free, copy
# =============================================================================================

cdef inline LP** _lpp(Entry* e) noexcept:
    return <LP**>&e.v.p


cdef Entry* hash_new_entry(const char* k, size_t n) except NULL:
    """An empty listpack-encoded hash (detached)."""
    return _new_entry_reserved(k, n, 0)


cdef Entry* _new_entry_reserved(const char* k, size_t n, size_t reserve) except NULL:
    cdef Entry* e = entry_new(k, n, 0)
    cdef bint ok = False
    try:                      # try/finally: nothing Python-level runs unless lp_new fails
        e.v.p = lp_new(reserve)
        ok = True
    finally:
        if not ok:
            free(e)
    entry_set_type(e, T_HASH, ENC_LISTPACK)
    return e


cdef int _convert_to_ht(Entry* e) except -1:
    """listpack -> hash table (never back)."""
    cdef LP* lp = <LP*>e.v.p
    cdef Dict* d = edict_new()
    cdef lpos p = lp_first(lp)
    cdef const char* f
    cdef const char* v
    cdef size_t fn, vn
    cdef Entry* fe = NULL
    try:
        while p != NULL:
            f = lp_get(p, &fn)
            p = lp_next(lp, p)
            v = lp_get(p, &vn)
            fe = entry_new_string(f, fn, v, vn)
            edict_add(d, fe)
            fe = NULL
            p = lp_next(lp, p)
    except BaseException:
        if fe != NULL:
            free_value(fe)
            free(fe)
        edict_free(d)
        raise
    lp_free(lp)
    e.v.p = d
    entry_set_type(e, T_HASH, ENC_HT)
    return 0


cdef int hash_set(KsState* st, Entry* e, const char* f, size_t fn, const char* v,
                  size_t vn) except -1:
    """Set field f to v (converting first when either is too long for a listpack, after when
    the listpack has too many fields); 1 when the field is new, 0 when it was overwritten."""
    cdef LP* lp
    cdef lpos p
    cdef Dict* d
    cdef Entry* fe
    cdef Entry** link
    cdef bint added
    if entry_encoding(e) == ENC_LISTPACK:
        if <long long>fn > st.hash_max_listpack_value or \
                <long long>vn > st.hash_max_listpack_value or \
                (<LP*>e.v.p).bytes + fn + vn > LISTPACK_SAFE_MAX:
            _convert_to_ht(e)
        else:
            lp = <LP*>e.v.p
            p = lp_find(lp, lp_first(lp), f, fn, 1)
            if p != NULL:
                lp_replace(_lpp(e), lp_skip(p), v, vn)
                return 0
            lp_append(_lpp(e), f, fn)
            lp_append(_lpp(e), v, vn)
            if <long long>((<LP*>e.v.p).count // 2) > st.hash_max_listpack_entries:
                _convert_to_ht(e)
            return 1
    d = <Dict*>e.v.p
    fe = edict_find(d, f, fn, &link)
    if fe != NULL:
        # field entries never carry a TTL, so entry_set_string needs no database; it relinks
        # the entry through `link` if it has to move
        entry_set_string(NULL, fe, link, 0, v, vn)
        return 0
    fe = entry_new_string(f, fn, v, vn)
    added = False
    try:
        edict_add(d, fe)
        added = True
    finally:
        if not added:
            free_value(fe)
            free(fe)
    return 1


cdef const char* hash_get(Entry* e, const char* f, size_t fn, size_t* vn, char* numbuf) noexcept:
    """The value of field f, or NULL when missing (int values are formatted into numbuf)."""
    cdef LP* lp
    cdef lpos p
    cdef Entry* fe
    if entry_encoding(e) == ENC_LISTPACK:
        lp = <LP*>e.v.p
        p = lp_find(lp, lp_first(lp), f, fn, 1)
        if p == NULL:
            return NULL
        return lp_get(lp_skip(p), vn)
    fe = edict_find(<Dict*>e.v.p, f, fn, NULL)
    if fe == NULL:
        return NULL
    return string_view(fe, numbuf, vn)


cdef bint _hash_delete(Entry* e, const char* f, size_t fn) except -1:
    """Delete field f; True when it was there."""
    cdef LP* lp
    cdef lpos p
    cdef Dict* d
    cdef Entry* fe
    cdef Entry** link
    if entry_encoding(e) == ENC_LISTPACK:
        lp = <LP*>e.v.p
        p = lp_find(lp, lp_first(lp), f, fn, 1)
        if p == NULL:
            return False
        lp_delete(_lpp(e), p, 2)
        return True
    d = <Dict*>e.v.p
    fe = edict_find(d, f, fn, &link)
    if fe == NULL:
        return False
    edict_unlink(d, fe, link)
    free_value(fe)
    free(fe)
    return True


cdef long long hash_length(Entry* e) noexcept:
    if entry_encoding(e) == ENC_LISTPACK:
        return (<LP*>e.v.p).count // 2
    return <long long>dict_size(<Dict*>e.v.p)


cdef int hash_foreach(Entry* e, pair_fn fn, void* ctx) except -1:
    """Call fn(ctx, field, value) for every field (listpack: insertion order)."""
    cdef LP* lp
    cdef lpos p
    cdef const char* f
    cdef const char* v
    cdef size_t fl, vl
    cdef char numbuf[LONG_STR_SIZE]
    cdef EdictIter it
    cdef Entry* fe
    if entry_encoding(e) == ENC_LISTPACK:
        lp = <LP*>e.v.p
        p = lp_first(lp)
        while p != NULL:
            f = lp_get(p, &fl)
            p = lp_skip(p)
            v = lp_get(p, &vl)
            fn(ctx, f, fl, v, vl)
            p = lp_next(lp, p)
        return 0
    edict_iter_init(<Dict*>e.v.p, &it)
    try:
        fe = edict_next(&it)
        while fe != NULL:
            v = string_view(fe, numbuf, &vl)
            fn(ctx, entry_key(fe), entry_keylen(fe), v, vl)
            fe = edict_next(&it)
    finally:
        edict_iter_done(&it)
    return 0


cdef void hash_free_value(Entry* e) noexcept:
    if entry_encoding(e) == ENC_LISTPACK:
        lp_free(<LP*>e.v.p)
    else:
        edict_free(<Dict*>e.v.p)
    e.v.p = NULL


cdef int hash_dup_value(Entry* src, Entry* dst) except -1:
    if entry_encoding(src) == ENC_LISTPACK:
        dst.v.p = lp_dup(<LP*>src.v.p)
    else:
        dst.v.p = edict_dup(<Dict*>src.v.p)
    return 0


# =============================================================================================
# Shared pieces of the handlers
# =============================================================================================

cdef int _reply_lp_elem(Client c, lpos p) except -1:
    cdef size_t n
    cdef const char* s = lp_get(p, &n)
    return reply_bulk(&c.out, s, n)


# =============================================================================================
# Writes
# =============================================================================================

cdef int _hset_generic(Client c, bint hmset) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef int i
    cdef long long created = 0
    cdef size_t reserve = 0
    cdef KsState* st = c.db.st
    if c.argc % 2 == 1:
        return error_with_command(c, ERR_ARITY_FMT)
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        # room for every pair up front (duplicates only over-reserve)
        i = 2
        while i < c.argc:
            reserve += lp_entry_size(c.argl[i]) + lp_entry_size(c.argl[i + 1])
            i += 2
        if reserve > NEW_KEY_RESERVE_MAX:
            reserve = 0
        e = _new_entry_reserved(c.argv[1], c.argl[1], reserve)
        db_add(c.db, e, h)
    elif entry_type(e) != T_HASH:
        return wrongtype(c)
    i = 2
    while i < c.argc:
        created += hash_set(st, e, c.argv[i], c.argl[i], c.argv[i + 1], c.argl[i + 1])
        i += 2
    key_changed(c, 1)
    # Redis replies first, then notifies (a subscribed RESP3 client sees that order)
    if hmset:
        reply_ok(&c.out)
    else:
        reply_int(&c.out, created)
    key_event(c, NOTIFY_HASH, b"hset", c.argv[1], c.argl[1])
    return 0


# HSET key field value [field value ...]
cdef int cmd_hset(Client c) except -1:
    return _hset_generic(c, False)


# HMSET key field value [field value ...]
cdef int cmd_hmset(Client c) except -1:
    return _hset_generic(c, True)


# HSETNX key field value
cdef int cmd_hsetnx(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef char numbuf[LONG_STR_SIZE]
    cdef size_t vn
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        e = _new_entry_reserved(c.argv[1], c.argl[1],
                                lp_entry_size(c.argl[2]) + lp_entry_size(c.argl[3]))
        db_add(c.db, e, h)
    elif entry_type(e) != T_HASH:
        return wrongtype(c)
    elif hash_get(e, c.argv[2], c.argl[2], &vn, numbuf) != NULL:
        return reply_int(&c.out, 0)
    hash_set(c.db.st, e, c.argv[2], c.argl[2], c.argv[3], c.argl[3])
    key_changed(c, 1)
    reply_int(&c.out, 1)
    key_event(c, NOTIFY_HASH, b"hset", c.argv[1], c.argl[1])
    return 0


# HDEL key field [field ...]
cdef int cmd_hdel(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef int i
    cdef long long deleted = 0
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        return reply_int(&c.out, 0)
    if entry_type(e) != T_HASH:
        return wrongtype(c)
    for i in range(2, c.argc):
        if _hash_delete(e, c.argv[i], c.argl[i]):
            deleted += 1
            if hash_length(e) == 0:
                db_unlink_free(c.db, e, link, h)
                e = NULL
                break
    if e != NULL and deleted and entry_encoding(e) == ENC_HT:
        edict_shrink_if_sparse(<Dict*>e.v.p)
    if deleted:
        key_changed(c, 1)
        # the events come before the reply here
        key_event(c, NOTIFY_HASH, b"hdel", c.argv[1], c.argl[1])
        if e == NULL:
            notify_event(c.db, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
    return reply_int(&c.out, deleted)


# HINCRBY key field increment
cdef int cmd_hincrby(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef long long incr, value = 0
    cdef char numbuf[LONG_STR_SIZE]
    cdef char out[LONG_STR_SIZE]
    cdef const char* p
    cdef size_t vn
    if arg_ll(c, 3, &incr):
        return 0
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e != NULL:
        if entry_type(e) != T_HASH:
            return wrongtype(c)
        p = hash_get(e, c.argv[2], c.argl[2], &vn, numbuf)
        if p != NULL and not string2ll(p, vn, &value):
            return c.error_cstr(ERR_HASH_NOT_INTEGER)
    if (incr < 0 and value < 0 and incr < LLONG_MIN_V - value) or \
            (incr > 0 and value > 0 and incr > LLONG_MAX_V - value):
        return c.error_cstr(ERR_OVERFLOW)
    value += incr
    vn = ll2string(out, value)
    if e == NULL:
        e = _new_entry_reserved(c.argv[1], c.argl[1], lp_entry_size(c.argl[2]) + lp_entry_size(vn))
        db_add(c.db, e, h)
    hash_set(c.db.st, e, c.argv[2], c.argl[2], out, vn)
    key_changed(c, 1)
    reply_int(&c.out, value)
    key_event(c, NOTIFY_HASH, b"hincrby", c.argv[1], c.argl[1])
    return 0


cdef int prop_hset(Client c, const char* v, size_t vn) except -1:
    """The AOF records HINCRBYFLOAT as HSET key field <new value>."""
    cdef const char* argv[4]
    cdef size_t argl[4]
    argv[0] = b"HSET"; argl[0] = 4
    argv[1] = c.argv[1]; argl[1] = c.argl[1]
    argv[2] = c.argv[2]; argl[2] = c.argl[2]
    argv[3] = v; argl[3] = vn
    return propagate_instead(c, 4, argv, argl)


# HINCRBYFLOAT key field increment
cdef int cmd_hincrbyfloat(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef long double value = 0, incr
    cdef char numbuf[LONG_STR_SIZE]
    cdef char out[MAX_LONG_DOUBLE_CHARS]
    cdef const char* p
    cdef size_t vn
    if not string2ld(c.argv[3], c.argl[3], &incr):
        return c.error_cstr(ERR_NOT_FLOAT)
    if isnan(incr) or isinf(incr):
        return c.error_cstr(ERR_VALUE_NAN_OR_INF)
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e != NULL:
        if entry_type(e) != T_HASH:
            return wrongtype(c)
        p = hash_get(e, c.argv[2], c.argl[2], &vn, numbuf)
        if p != NULL and not string2ld(p, vn, &value):
            return c.error_cstr(ERR_HASH_NOT_FLOAT)
    value += incr
    if isnan(value) or isinf(value):
        return c.error_cstr(ERR_NAN_OR_INF)
    vn = ld2string_human(out, MAX_LONG_DOUBLE_CHARS, value)
    if e == NULL:
        e = hash_new_entry(c.argv[1], c.argl[1])
        db_add(c.db, e, h)
    hash_set(c.db.st, e, c.argv[2], c.argl[2], out, vn)
    key_changed(c, 1)
    if propagating(c.core):
        prop_hset(c, out, vn)
    reply_bulk(&c.out, out, vn)
    key_event(c, NOTIFY_HASH, b"hincrbyfloat", c.argv[1], c.argl[1])
    return 0


# =============================================================================================
# Reads
# =============================================================================================

# HGET key field
cdef int cmd_hget(Client c) except -1:
    cdef bint wrong
    cdef Entry* e = lookup_read(c, 1, T_HASH, &wrong)
    cdef char numbuf[LONG_STR_SIZE]
    cdef const char* p
    cdef size_t vn
    if wrong:
        return wrongtype(c)
    if e == NULL:
        return reply_null(&c.out)
    p = hash_get(e, c.argv[2], c.argl[2], &vn, numbuf)
    if p == NULL:
        return reply_null(&c.out)
    return reply_bulk(&c.out, p, vn)


# HMGET key field [field ...]
cdef int cmd_hmget(Client c) except -1:
    cdef bint wrong
    cdef Entry* e = lookup_read(c, 1, T_HASH, &wrong)
    cdef char numbuf[LONG_STR_SIZE]
    cdef const char* p
    cdef size_t vn
    cdef int i
    if wrong:
        return wrongtype(c)
    reply_array(&c.out, c.argc - 2)
    for i in range(2, c.argc):
        p = NULL
        if e != NULL:
            p = hash_get(e, c.argv[i], c.argl[i], &vn, numbuf)
        if p == NULL:
            reply_null(&c.out)
        else:
            reply_bulk(&c.out, p, vn)
    return 0


# HLEN key
cdef int cmd_hlen(Client c) except -1:
    cdef bint wrong
    cdef Entry* e = lookup_read(c, 1, T_HASH, &wrong)
    if wrong:
        return wrongtype(c)
    return reply_int(&c.out, 0 if e == NULL else hash_length(e))


# HEXISTS key field
cdef int cmd_hexists(Client c) except -1:
    cdef bint wrong
    cdef Entry* e = lookup_read(c, 1, T_HASH, &wrong)
    cdef char numbuf[LONG_STR_SIZE]
    cdef size_t vn
    if wrong:
        return wrongtype(c)
    if e == NULL or hash_get(e, c.argv[2], c.argl[2], &vn, numbuf) == NULL:
        return reply_int(&c.out, 0)
    return reply_int(&c.out, 1)


# HSTRLEN key field
cdef int cmd_hstrlen(Client c) except -1:
    cdef bint wrong
    cdef Entry* e = lookup_read(c, 1, T_HASH, &wrong)
    cdef char numbuf[LONG_STR_SIZE]
    cdef size_t vn
    if wrong:
        return wrongtype(c)
    if e == NULL or hash_get(e, c.argv[2], c.argl[2], &vn, numbuf) == NULL:
        return reply_int(&c.out, 0)
    return reply_int(&c.out, <long long>vn)


cdef enum:
    WANT_KEYS = 1
    WANT_VALUES = 2


cdef int _hgetall_generic(Client c, int what) except -1:
    cdef bint wrong
    cdef Entry* e = lookup_read(c, 1, T_HASH, &wrong)
    cdef long long n
    cdef LP* lp
    cdef lpos p
    cdef EdictIter it
    cdef Entry* fe
    if wrong:
        return wrongtype(c)
    n = 0 if e == NULL else hash_length(e)
    if what == WANT_KEYS | WANT_VALUES:
        reply_map(&c.out, n)
    else:
        reply_array(&c.out, n)
    if e == NULL:
        return 0
    if entry_encoding(e) == ENC_LISTPACK:
        lp = <LP*>e.v.p
        p = lp_first(lp)
        while p != NULL:
            if what & WANT_KEYS:
                _reply_lp_elem(c, p)
            p = lp_skip(p)
            if what & WANT_VALUES:
                _reply_lp_elem(c, p)
            p = lp_next(lp, p)
        return 0
    edict_iter_init(<Dict*>e.v.p, &it)
    try:
        fe = edict_next(&it)
        while fe != NULL:
            if what & WANT_KEYS:
                reply_bulk(&c.out, entry_key(fe), entry_keylen(fe))
            if what & WANT_VALUES:
                reply_string_entry(c, fe)
            fe = edict_next(&it)
    finally:
        edict_iter_done(&it)
    return 0


# HGETALL key
cdef int cmd_hgetall(Client c) except -1:
    return _hgetall_generic(c, WANT_KEYS | WANT_VALUES)


# HKEYS key
cdef int cmd_hkeys(Client c) except -1:
    return _hgetall_generic(c, WANT_KEYS)


# HVALS key
cdef int cmd_hvals(Client c) except -1:
    return _hgetall_generic(c, WANT_VALUES)


# =============================================================================================
# HRANDFIELD
# =============================================================================================

cdef inline uint64_t _rand_below(uint64_t n) noexcept:
    return edict_random_u64() % n


cdef int _reply_pair(Client c, const char* f, size_t fn, Entry* fe, const char* v, size_t vn,
                     bint withvalues) except -1:
    """One field (and value) of HRANDFIELD's reply: a 2-element array per pair in RESP3.
    The value comes from fe (a hash-table field) or v/vn (a listpack element)."""
    if withvalues and c.out.proto > 2:
        reply_array(&c.out, 2)
    reply_bulk(&c.out, f, fn)
    if withvalues:
        if fe != NULL:
            reply_string_entry(c, fe)
        else:
            reply_bulk(&c.out, v, vn)
    return 0


cdef int _reply_lp_pair(Client c, lpos p, bint withvalues) except -1:
    cdef const char* f
    cdef const char* v = NULL
    cdef size_t fn, vn = 0
    f = lp_get(p, &fn)
    if withvalues:
        v = lp_get(lp_skip(p), &vn)
    return _reply_pair(c, f, fn, NULL, v, vn, withvalues)


cdef inline int _reply_ht_pair(Client c, Entry* fe, bint withvalues) except -1:
    return _reply_pair(c, entry_key(fe), entry_keylen(fe), fe, NULL, 0, withvalues)


cdef lpos* _lp_field_positions(LP* lp, size_t* np) except? NULL:
    """Positions of every field of a listpack hash (malloc'ed; NULL when empty)."""
    cdef size_t n = lp.count // 2, i
    cdef lpos* out
    cdef lpos p
    np[0] = n
    if n == 0:
        return NULL
    out = <lpos*>malloc(n * sizeof(lpos))
    if out == NULL:
        raise MemoryError()
    p = lp_first(lp)
    for i in range(n):
        out[i] = p
        p = lp_skip(lp_skip(p))
    return out


cdef int _hrandfield_repeating(Client c, Entry* e, unsigned long long count,
                               bint withvalues) except -1:
    """count random fields, repeats allowed (negative count, or count 1)."""
    cdef lpos* pos = NULL
    cdef size_t npos = 0
    cdef Dict* d
    cdef bint close = False
    cdef size_t start = c.out.len
    if withvalues and c.out.proto == 2:
        reply_array(&c.out, <long long>(count * 2))
    else:
        reply_array(&c.out, <long long>count)
    if entry_encoding(e) == ENC_LISTPACK:
        pos = _lp_field_positions(<LP*>e.v.p, &npos)
        while count:
            _reply_lp_pair(c, pos[_rand_below(npos)], withvalues)
            count -= 1
            if c.out.len - start > RANDOM_REPLY_MAX and count:
                close = True
                break
        free(pos)
    else:
        d = <Dict*>e.v.p
        while count:
            _reply_ht_pair(c, <Entry*>dict_random(d), withvalues)
            count -= 1
            if c.out.len - start > RANDOM_REPLY_MAX and count:
                close = True
                break
    if close:
        # too big to complete: drop the partial reply and close the client, as Redis closes
        # a client past its output buffer limit
        c.out.len = start
        close_later(c.core, c)
    return 0


cdef inline size_t _ptr_slot(void* p, size_t mask) noexcept:
    cdef uint64_t x = <uint64_t><size_t>p
    x ^= x >> 33
    x *= 0xff51afd7ed558ccdULL
    x ^= x >> 33
    return <size_t>(x & mask)


cdef int _hrandfield_unique_ht(Client c, Dict* d, size_t count, size_t size,
                               bint withvalues) except -1:
    """count distinct random fields of a hash table (count < size)."""
    cdef Entry** all = NULL
    cdef Entry** seen = NULL
    cdef Entry* fe
    cdef Entry* tmp
    cdef EdictIter it
    cdef size_t i, j, cap, mask, slot, got
    if count * 3 > size:
        # a large share: shuffle the front of an array of every field
        all = <Entry**>malloc(size * sizeof(Entry*))
        if all == NULL:
            raise MemoryError()
        i = 0
        edict_iter_init(d, &it)
        fe = edict_next(&it)
        while fe != NULL and i < size:
            all[i] = fe
            i += 1
            fe = edict_next(&it)
        edict_iter_done(&it)
        for i in range(count):
            j = i + _rand_below(size - i)
            tmp = all[i]
            all[i] = all[j]
            all[j] = tmp
            _reply_ht_pair(c, all[i], withvalues)
        free(all)
        return 0
    # a small share: sample until count distinct fields were drawn
    cap = 16
    while cap < count * 2:
        cap *= 2
    mask = cap - 1
    seen = <Entry**>malloc(cap * sizeof(Entry*))
    if seen == NULL:
        raise MemoryError()
    for i in range(cap):
        seen[i] = NULL
    got = 0
    while got < count:
        fe = <Entry*>dict_random(d)
        slot = _ptr_slot(fe, mask)
        while seen[slot] != NULL and seen[slot] != fe:
            slot = (slot + 1) & mask
        if seen[slot] == fe:
            continue
        seen[slot] = fe
        got += 1
        _reply_ht_pair(c, fe, withvalues)
    free(seen)
    return 0


# HRANDFIELD key [count [WITHVALUES]]
cdef int cmd_hrandfield(Client c) except -1:
    cdef bint wrong, withvalues = False
    cdef long long l
    cdef Entry* e
    cdef unsigned long long count
    cdef long long size
    cdef LP* lp
    cdef lpos p
    cdef size_t need, left
    if c.argc >= 3:
        if arg_ll(c, 2, &l):
            return 0
        if l == LLONG_MIN_V:
            return c.error_cstr(ERR_COUNT_RANGE)
        if c.argc > 4 or (c.argc == 4 and not arg_is(c.argv[3], c.argl[3], b"withvalues", 10)):
            return syntax_error(c)
        if c.argc == 4:
            withvalues = True
            if l < -HALF_LONG_MAX or l > HALF_LONG_MAX:
                return c.error_cstr(ERR_VALUE_RANGE)
        e = lookup_read(c, 1, T_HASH, &wrong)
        if wrong:
            return wrongtype(c)
        if e == NULL:
            return reply_array(&c.out, 0)
        size = hash_length(e)
        if l == 0:
            return reply_array(&c.out, 0)
        if l < 0 or l == 1:
            count = <unsigned long long>(-l) if l < 0 else 1
            return _hrandfield_repeating(c, e, count, withvalues)
        count = <unsigned long long>l
        if count >= <unsigned long long>size:
            # the whole hash, in its own order
            if withvalues and c.out.proto == 2:
                reply_array(&c.out, size * 2)
            else:
                reply_array(&c.out, size)
            if entry_encoding(e) == ENC_LISTPACK:
                lp = <LP*>e.v.p
                p = lp_first(lp)
                while p != NULL:
                    _reply_lp_pair(c, p, withvalues)
                    p = lp_next(lp, lp_skip(p))
            else:
                _reply_all_ht(c, <Dict*>e.v.p, withvalues)
            return 0
        if withvalues and c.out.proto == 2:
            reply_array(&c.out, <long long>(count * 2))
        else:
            reply_array(&c.out, <long long>count)
        if entry_encoding(e) == ENC_LISTPACK:
            # selection sampling: distinct fields in listpack order
            lp = <LP*>e.v.p
            p = lp_first(lp)
            need = <size_t>count
            left = <size_t>size
            while need:
                if _rand_below(left) < need:
                    _reply_lp_pair(c, p, withvalues)
                    need -= 1
                left -= 1
                p = lp_next(lp, lp_skip(p))
            return 0
        return _hrandfield_unique_ht(c, <Dict*>e.v.p, <size_t>count, <size_t>size, withvalues)
    e = lookup_read(c, 1, T_HASH, &wrong)
    if wrong:
        return wrongtype(c)
    if e == NULL:
        return reply_null(&c.out)
    if entry_encoding(e) == ENC_LISTPACK:
        p = lp_seek(<LP*>e.v.p, 2 * <long long>_rand_below(<uint64_t>hash_length(e)))
        return _reply_lp_elem(c, p)
    e = <Entry*>dict_random(<Dict*>e.v.p)
    return reply_bulk(&c.out, entry_key(e), entry_keylen(e))


cdef int _reply_all_ht(Client c, Dict* d, bint withvalues) except -1:
    cdef EdictIter it
    cdef Entry* fe
    edict_iter_init(d, &it)
    try:
        fe = edict_next(&it)
        while fe != NULL:
            _reply_ht_pair(c, fe, withvalues)
            fe = edict_next(&it)
    finally:
        edict_iter_done(&it)
    return 0


# =============================================================================================
# HSCAN
# =============================================================================================

cdef struct Gathered:
    Entry** items
    size_t n
    size_t cap


cdef void _gather(void* ctx, void* entry) except *:
    cdef Gathered* g = <Gathered*>ctx
    cdef Entry** grown
    if g.n == g.cap:
        g.cap = g.cap * 2 if g.cap else 32
        grown = <Entry**>realloc(g.items, g.cap * sizeof(Entry*))
        if grown == NULL:
            raise MemoryError()
        g.items = grown
    g.items[g.n] = <Entry*>entry
    g.n += 1


# HSCAN key cursor [MATCH pattern] [COUNT count]
cdef int cmd_hscan(Client c) except -1:
    cdef unsigned long long cursor
    cdef long long count = SCAN_DEFAULT_COUNT, maxiter
    cdef const char* pat = NULL
    cdef size_t plen = 0, i, fn, vn
    cdef int j = 3
    cdef bint wrong
    cdef Entry* e
    cdef Entry* fe
    cdef Gathered g
    cdef LP* lp
    cdef lpos p
    cdef const char* f
    cdef size_t at
    cdef long long n = 0
    cdef char numbuf[LONG_STR_SIZE]
    if not parse_scan_cursor(c.argv[2], c.argl[2], &cursor):
        return c.error_cstr(ERR_INVALID_CURSOR)
    e = lookup_read(c, 1, T_HASH, &wrong)
    if wrong:
        return wrongtype(c)
    if e == NULL:
        return reply_raw(&c.out, b"*2\r\n$1\r\n0\r\n*0\r\n", 15)
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
    if entry_encoding(e) == ENC_LISTPACK:
        # a small hash is returned whole
        reply_bulk(&c.out, b"0", 1)
        at = reply_defer(&c.out)
        lp = <LP*>e.v.p
        p = lp_first(lp)
        while p != NULL:
            f = lp_get(p, &fn)
            if pat == NULL or glob_match(pat, plen, f, fn, False):
                _reply_lp_elem(c, p)
                _reply_lp_elem(c, lp_skip(p))
                n += 2
            p = lp_next(lp, lp_skip(p))
        return reply_set_deferred_array(&c.out, at, n)
    g.items = NULL
    g.n = g.cap = 0
    try:
        maxiter = count * 10 if count <= LLONG_MAX_V // 10 else LLONG_MAX_V
        while True:
            cursor = dict_scan(<Dict*>e.v.p, cursor, _gather, &g)
            if not cursor or maxiter == 0 or g.n >= <unsigned long long>count:
                break
            maxiter -= 1
        reply_bulk(&c.out, numbuf, ull2string(numbuf, cursor))
        at = reply_defer(&c.out)
        for i in range(g.n):
            fe = g.items[i]
            if pat != NULL and not glob_match(pat, plen, entry_key(fe), entry_keylen(fe), False):
                continue
            reply_bulk(&c.out, entry_key(fe), entry_keylen(fe))
            reply_string_entry(c, fe)
            n += 2
        reply_set_deferred_array(&c.out, at, n)
    finally:
        free(g.items)
    return 0


HANDLERS = {
    "hset": native(cmd_hset),
    "hsetnx": native(cmd_hsetnx),
    "hmset": native(cmd_hmset),
    "hget": native(cmd_hget),
    "hmget": native(cmd_hmget),
    "hgetall": native(cmd_hgetall),
    "hkeys": native(cmd_hkeys),
    "hvals": native(cmd_hvals),
    "hlen": native(cmd_hlen),
    "hexists": native(cmd_hexists),
    "hdel": native(cmd_hdel),
    "hincrby": native(cmd_hincrby),
    "hincrbyfloat": native(cmd_hincrbyfloat),
    "hstrlen": native(cmd_hstrlen),
    "hrandfield": native(cmd_hrandfield),
    "hscan": native(cmd_hscan),
}
