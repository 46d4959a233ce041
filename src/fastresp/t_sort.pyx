# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""SORT and SORT_RO, with Redis 7.0's replies and errors. No Python runs per request.

How a SORT runs
===============
1. The options are parsed first (syntax and integer errors come before WRONGTYPE, as in Redis).
2. The elements of the list, set or sorted set are copied, in the type's own order (lists head
   to tail, sorted sets by rank, sets in their iteration order), into one arena: each element
   NUL-terminated, so strtod and the C-string comparison can read it in place. A missing key
   sorts as an empty list.
3. Unless there is nothing to sort (BY a pattern without '*'), every element gets its sort key:
   its score (the element, or the BY value, parsed with strtod as Redis does: the whole string,
   no NaN, no ERANGE; a missing BY value scores 0) or, with ALPHA and BY, a copy of the BY value
   (missing ones sort first). The elements are then merge-sorted, which is stable as glibc's
   qsort is for redis-server, so elements that compare equal keep their loading order.
   Comparisons: numeric by score, equal scores by the element bytes; ALPHA compares like
   strcmp (up to the first NUL, the C locale's strcoll), or byte for byte with STORE.
   With BY nosort, a list or sorted set keeps its order, reversed by DESC; a set with STORE is
   sorted with ALPHA instead (so the stored list does not depend on the set's layout).
   A listpack sorted set is converted to a skip list first, as Redis 7.0 does (OBJECT ENCODING
   says "skiplist" after any SORT of it).
4. LIMIT picks a range of the result; each GET pattern then maps every element to a value
   (GET # is the element itself, key->field reads a hash field; a missing key, a key of the
   wrong type or a pattern without '*' give nil, or an empty string when storing).
5. The reply is an array, or with STORE the values become a new list at the destination (an
   empty result deletes it) and the reply is the count.

Patterns substitute the element for the first '*'; a "->" after that '*' followed by at least
one byte makes the rest a hash field name (Redis's rules, including that the '*' and "->"
searches stop at a NUL byte of the pattern).

HANDLERS maps "sort" and "sort_ro" to the handlers; pyredis.commands.sort declares them.
"""
from libc.stdlib cimport malloc, realloc, free, strtod
from libc.string cimport memcpy, memcmp, memchr, strcmp
from libc.math cimport isnan
from libc.stdint cimport uint64_t

from fastresp.core cimport Client, native
from fastresp.cmdutil cimport wrongtype, syntax_error, arg_ll, key_changed, key_event
from fastresp.keyspace cimport (Entry, T_STRING, T_LIST, T_SET, T_ZSET, T_HASH, ENC_LISTPACK,
                                LOOKUP_NONE, LOOKUP_WRITE, lookup, db_insert, db_add, db_unlink_free,
                                entry_type, entry_encoding, string_view, free_value,
                                NOTIFY_LIST, NOTIFY_GENERIC)
from fastresp.reply cimport reply_array, reply_bulk, reply_null, reply_int
from fastresp.util cimport cstr_len, arg_is, LONG_STR_SIZE
from fastresp.t_list cimport list_new_entry, list_push, list_length, list_foreach
from fastresp.t_hash cimport hash_get
from fastresp.t_set cimport set_foreach, set_length
from fastresp.t_zset cimport zset_foreach, zset_length, zset_to_skiplist
from fastresp.includes.errors cimport ERR_SCORES_NOT_DOUBLE

cdef extern from *:
    """
    #include <errno.h>
    static inline void fr_sort_errno_reset(void) { errno = 0; }
    static inline int fr_sort_errno_erange(void) { return errno == ERANGE; }
    """
    void fr_sort_errno_reset() noexcept nogil
    int fr_sort_errno_erange() noexcept nogil


cdef struct Item:
    size_t off          # the element's bytes in the arena (NUL-terminated copy)
    size_t len
    double score        # numeric sort key
    size_t cmpoff       # ALPHA + BY: the BY value's copy in the arena (NUL-terminated)
    size_t cmplen
    bint has_cmp        # ALPHA + BY: whether the BY value exists


cdef struct Sorter:
    char* buf           # arena of element (and BY value) copies
    size_t len
    size_t cap
    Item* items
    size_t n
    size_t ncap
    char* scratch       # pattern keys and numbers to parse
    size_t scap


cdef struct CmpCfg:
    const char* base    # the arena
    bint alpha
    bint by             # sorting by a pattern (ALPHA compares the BY values)
    bint binary         # STORE: ALPHA compares byte for byte instead of as C strings
    bint desc


# =============================================================================================
# Arena and items
# =============================================================================================

cdef int _reserve(void** p, size_t* cap, size_t need, size_t unit) except -1:
    """Grow the block *p of *cap units to hold at least need units."""
    cdef size_t ncap
    cdef void* q
    if need <= cap[0]:
        return 0
    ncap = cap[0] * 2 if cap[0] else 16
    while ncap < need:
        ncap *= 2
    q = realloc(p[0], ncap * unit)
    if q == NULL:
        raise MemoryError()
    p[0] = q
    cap[0] = ncap
    return 0


cdef size_t _arena_add(Sorter* s, const char* p, size_t n) except? 0:
    """Copy p[0:n] and a NUL into the arena; returns its offset + 1 (0 only on error)."""
    cdef size_t off = s.len
    _reserve(<void**>&s.buf, &s.cap, s.len + n + 1, 1)
    if n:
        memcpy(s.buf + off, p, n)
    s.buf[off + n] = 0
    s.len += n + 1
    return off + 1


cdef int _add_item(void* ctx, const char* p, size_t n) except -1:
    cdef Sorter* s = <Sorter*>ctx
    cdef Item* it
    _reserve(<void**>&s.items, &s.ncap, s.n + 1, sizeof(Item))
    it = &s.items[s.n]
    it.off = _arena_add(s, p, n) - 1
    it.len = n
    it.score = 0
    it.has_cmp = False
    it.cmpoff = 0
    it.cmplen = 0
    s.n += 1
    return 0


cdef int _add_scored(void* ctx, const char* p, size_t n, double score) except -1:
    return _add_item(ctx, p, n)


cdef void _sorter_free(Sorter* s) noexcept:
    free(s.buf)
    free(s.items)
    free(s.scratch)


# =============================================================================================
# Patterns
# =============================================================================================

cdef int _pattern_value(Client c, Sorter* s, const char* pat, size_t plen, const char* el,
                        size_t elen, char* numbuf, const char** out, size_t* outn) except -1:
    """The value pattern `pat` maps element el to: 1 with *out/*outn set (valid until the
    keyspace changes), or 0 when there is none (no '*', missing key, wrong type, no field)."""
    cdef size_t clen = cstr_len(pat, plen)
    cdef const char* star
    cdef size_t prefix, postfix, fieldlen = 0, i, klen
    cdef const char* field = NULL
    cdef uint64_t h
    cdef Entry* e
    if clen == 1 and pat[0] == b'#':
        out[0] = el
        outn[0] = elen
        return 1
    star = <const char*>memchr(pat, b'*', clen)
    if star == NULL:
        return 0
    prefix = <size_t>(star - pat)
    # "->" after the '*' (within the C string), followed by at least one byte
    i = prefix + 1
    while i + 1 < clen:
        if pat[i] == b'-' and pat[i + 1] == b'>':
            if i + 2 < clen:
                field = pat + i + 2
                fieldlen = plen - (i + 2)
            break
        i += 1
    postfix = plen - prefix - 1 - (fieldlen + 2 if field != NULL else 0)
    klen = prefix + elen + postfix
    _reserve(<void**>&s.scratch, &s.scap, klen + 1, 1)
    memcpy(s.scratch, pat, prefix)
    memcpy(s.scratch + prefix, el, elen)
    memcpy(s.scratch + prefix + elen, star + 1, postfix)
    e = lookup(c.db, s.scratch, klen, LOOKUP_NONE, &h, NULL)
    if e == NULL:
        return 0
    if field != NULL:
        if entry_type(e) != T_HASH:
            return 0
        out[0] = hash_get(e, field, fieldlen, outn, numbuf)
        return 1 if out[0] != NULL else 0
    if entry_type(e) != T_STRING:
        return 0
    out[0] = string_view(e, numbuf, outn)
    return 1


cdef bint _parse_score(const char* p, double* out) noexcept:
    """strtod as Redis's SORT uses it: the whole C string, no ERANGE, no NaN."""
    cdef char* end
    fr_sort_errno_reset()
    out[0] = strtod(p, &end)
    return end[0] == 0 and not fr_sort_errno_erange() and not isnan(out[0])


# =============================================================================================
# Sorting
# =============================================================================================

cdef inline int _bincmp(const char* a, size_t an, const char* b, size_t bn) noexcept nogil:
    cdef int r = memcmp(a, b, an if an < bn else bn)
    if r != 0:
        return 1 if r > 0 else -1
    if an == bn:
        return 0
    return -1 if an < bn else 1


cdef inline int _ccmp(const char* a, const char* b) noexcept nogil:
    cdef int r = strcmp(a, b)
    return 0 if r == 0 else (1 if r > 0 else -1)


cdef int _compare(CmpCfg* g, Item* a, Item* b) noexcept nogil:
    cdef int r
    if not g.alpha:
        if a.score > b.score:
            r = 1
        elif a.score < b.score:
            r = -1
        else:
            r = _bincmp(g.base + a.off, a.len, g.base + b.off, b.len)
    elif g.by:
        if not a.has_cmp or not b.has_cmp:
            if a.has_cmp == b.has_cmp:
                r = 0
            else:
                r = 1 if a.has_cmp else -1
        elif g.binary:
            r = _bincmp(g.base + a.cmpoff, a.cmplen, g.base + b.cmpoff, b.cmplen)
        else:
            r = _ccmp(g.base + a.cmpoff, g.base + b.cmpoff)
    elif g.binary:
        r = _bincmp(g.base + a.off, a.len, g.base + b.off, b.len)
    else:
        r = _ccmp(g.base + a.off, g.base + b.off)
    return -r if g.desc else r


cdef Item** _merge_sort(Item** a, Item** tmp, size_t n, CmpCfg* g) noexcept nogil:
    """Stable bottom-up merge sort of n pointers; returns the array holding the result."""
    cdef size_t width = 1, i, lo, mid, hi, l, r, k
    cdef Item** t
    while width < n:
        i = 0
        while i < n:
            lo = i
            mid = i + width if i + width < n else n
            hi = i + 2 * width if i + 2 * width < n else n
            l = lo
            r = mid
            k = lo
            while l < mid and r < hi:
                if _compare(g, a[l], a[r]) <= 0:
                    tmp[k] = a[l]
                    l += 1
                else:
                    tmp[k] = a[r]
                    r += 1
                k += 1
            while l < mid:
                tmp[k] = a[l]
                l += 1
                k += 1
            while r < hi:
                tmp[k] = a[r]
                r += 1
                k += 1
            i += 2 * width
        t = a
        a = tmp
        tmp = t
        width *= 2
    return a


# =============================================================================================
# The command
# =============================================================================================

cdef int _sort_generic(Client c, bint readonly) except -1:
    cdef bint desc = False, alpha = False, dontsort = False
    cdef int j = 2, left, ngets = 0, g, t = -1
    cdef int by_arg = 0, store_arg = 0
    cdef long long limit_start = 0, limit_count = -1, start, end, outputlen, i, n
    cdef int* gets = NULL
    cdef Item** order = NULL
    cdef Item** tmp = NULL
    cdef Item** sorted_ = NULL
    cdef Item* it
    cdef Sorter s
    cdef CmpCfg cfg
    cdef Entry* e
    cdef Entry* ne = NULL
    cdef Entry** link
    cdef uint64_t h
    cdef char numbuf[LONG_STR_SIZE]
    cdef const char* v
    cdef size_t vn
    cdef bint int_error = False
    cdef size_t k

    # --- options
    while j < c.argc:
        left = c.argc - j - 1
        if arg_is(c.argv[j], c.argl[j], b"asc", 3):
            desc = False
        elif arg_is(c.argv[j], c.argl[j], b"desc", 4):
            desc = True
        elif arg_is(c.argv[j], c.argl[j], b"alpha", 5):
            alpha = True
        elif arg_is(c.argv[j], c.argl[j], b"limit", 5) and left >= 2:
            if arg_ll(c, j + 1, &limit_start) or arg_ll(c, j + 2, &limit_count):
                free(gets)
                return 0
            j += 2
        elif not readonly and arg_is(c.argv[j], c.argl[j], b"store", 5) and left >= 1:
            store_arg = j + 1
            j += 1
        elif arg_is(c.argv[j], c.argl[j], b"by", 2) and left >= 1:
            by_arg = j + 1
            if memchr(c.argv[j + 1], b'*', cstr_len(c.argv[j + 1], c.argl[j + 1])) == NULL:
                dontsort = True
            j += 1
        elif arg_is(c.argv[j], c.argl[j], b"get", 3) and left >= 1:
            if gets == NULL:
                gets = <int*>malloc(c.argc * sizeof(int))
                if gets == NULL:
                    raise MemoryError()
            gets[ngets] = j + 1
            ngets += 1
            j += 1
        else:
            free(gets)
            return syntax_error(c)
        j += 1

    # --- the value to sort
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, NULL)
    if e != NULL:
        t = entry_type(e)
        if t != T_LIST and t != T_SET and t != T_ZSET:
            free(gets)
            return wrongtype(c)
    # A set has no order of its own: with nothing to sort, STORE sorts it alphabetically so
    # the stored list is the same everywhere.
    if dontsort and t == T_SET and store_arg:
        dontsort = False
        alpha = True
        by_arg = 0

    s.buf = NULL
    s.len = s.cap = 0
    s.items = NULL
    s.n = s.ncap = 0
    s.scratch = NULL
    s.scap = 0
    try:
        if t == T_ZSET and entry_encoding(e) == ENC_LISTPACK:
            zset_to_skiplist(e)      # as Redis 7.0: any SORT leaves a sorted set a skip list
        if t == T_LIST:
            list_foreach(e, _add_item, &s)
        elif t == T_SET:
            set_foreach(e, _add_item, &s)
        elif t == T_ZSET:
            zset_foreach(e, _add_scored, &s)
        n = <long long>s.n

        # --- sort keys
        if not dontsort:
            for k in range(s.n):
                it = &s.items[k]
                if by_arg:
                    if not _pattern_value(c, &s, c.argv[by_arg], c.argl[by_arg],
                                          s.buf + it.off, it.len, numbuf, &v, &vn):
                        continue
                    if alpha:
                        it.cmpoff = _arena_add(&s, v, vn) - 1
                        it.cmplen = vn
                        it.has_cmp = True
                    else:
                        _reserve(<void**>&s.scratch, &s.scap, vn + 1, 1)
                        memcpy(s.scratch, v, vn)
                        s.scratch[vn] = 0
                        if not _parse_score(s.scratch, &it.score):
                            int_error = True
                elif not alpha:
                    if not _parse_score(s.buf + it.off, &it.score):
                        int_error = True

        # --- order
        order = <Item**>malloc((s.n if s.n else 1) * sizeof(Item*))
        if order == NULL:
            raise MemoryError()
        for k in range(s.n):
            order[k] = &s.items[k]
        sorted_ = order
        if not dontsort and s.n > 1 and not int_error:
            tmp = <Item**>malloc(s.n * sizeof(Item*))
            if tmp == NULL:
                raise MemoryError()
            cfg.base = s.buf
            cfg.alpha = alpha
            cfg.by = by_arg != 0
            cfg.binary = store_arg != 0
            cfg.desc = desc
            sorted_ = _merge_sort(order, tmp, s.n, &cfg)
        elif dontsort and desc and (t == T_LIST or t == T_ZSET):
            for k in range(s.n // 2):
                it = order[k]
                order[k] = order[s.n - 1 - k]
                order[s.n - 1 - k] = it

        if int_error:
            c.error_cstr(ERR_SCORES_NOT_DOUBLE)
            return 0

        # --- LIMIT
        start = limit_start if limit_start > 0 else 0
        if start >= n:
            outputlen = 0
        elif limit_count < 0 or limit_count > n - start:
            outputlen = n - start
        else:
            outputlen = limit_count
        end = start + outputlen          # exclusive

        # --- reply
        if not store_arg:
            reply_array(&c.out, outputlen * (ngets if ngets else 1))
            for i in range(start, end):
                it = sorted_[i]
                if not ngets:
                    reply_bulk(&c.out, s.buf + it.off, it.len)
                    continue
                for g in range(ngets):
                    if _pattern_value(c, &s, c.argv[gets[g]], c.argl[gets[g]], s.buf + it.off,
                                      it.len, numbuf, &v, &vn):
                        reply_bulk(&c.out, v, vn)
                    else:
                        reply_null(&c.out)
            return 0

        # --- STORE
        outputlen *= ngets if ngets else 1
        if outputlen:
            ne = list_new_entry(c.argv[store_arg], c.argl[store_arg])
            for i in range(start, end):
                it = sorted_[i]
                if not ngets:
                    list_push(c.db.st, ne, s.buf + it.off, it.len, True)
                    continue
                for g in range(ngets):
                    if _pattern_value(c, &s, c.argv[gets[g]], c.argl[gets[g]], s.buf + it.off,
                                      it.len, numbuf, &v, &vn):
                        list_push(c.db.st, ne, v, vn, True)
                    else:
                        list_push(c.db.st, ne, b"", 0, True)
        e = lookup(c.db, c.argv[store_arg], c.argl[store_arg], LOOKUP_WRITE, &h, &link)
        if e != NULL:
            db_unlink_free(c.db, e, link, h)
        # the event ("sortstore", or "del" of a destination an empty result removed) goes out
        # before the reply, as Redis does
        if ne != NULL:
            if e == NULL:
                db_add(c.db, ne, h)
            else:
                db_insert(c.db, ne, h)  # an overwrite: no `new` event
            ne = NULL
            key_changed(c, outputlen)
            key_event(c, NOTIFY_LIST, b"sortstore", c.argv[store_arg], c.argl[store_arg])
        elif e != NULL:
            key_changed(c, 1)
            key_event(c, NOTIFY_GENERIC, b"del", c.argv[store_arg], c.argl[store_arg])
        return reply_int(&c.out, outputlen)
    finally:
        if ne != NULL:
            free_value(ne)
            free(ne)
        free(gets)
        free(order)
        free(tmp)
        _sorter_free(&s)


# SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC]
#      [ALPHA] [STORE destination]
cdef int cmd_sort(Client c) except -1:
    return _sort_generic(c, False)


# SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC]
#         [ALPHA]
cdef int cmd_sort_ro(Client c) except -1:
    return _sort_generic(c, True)


HANDLERS = {
    "sort": native(cmd_sort),
    "sort_ro": native(cmd_sort_ro),
}
