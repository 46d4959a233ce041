# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The sorted-set type and its commands, with Redis 7.0's replies and errors. No Python runs
per request.

Encodings
=========
listpack (ENC_LISTPACK): a small sorted set is one listpack of member, score pairs kept in
order (score, then member bytes, shorter first on a common prefix). A score is stored as its
8 raw bytes (a C double), so reading it costs no parsing; -0.0 is stored as 0.0, because Redis
stores listpack scores as text and writes -0 as "0".

skiplist (ENC_SKIPLIST): a ZSkip, a skip list of ZNodes ordered the same way, each level link
carrying a span (how many nodes it jumps), so rank <-> node is O(log N), plus an entry dictionary
(keyspace.edict_*) from member to its Entry. The member bytes live once, as the key of that
Entry; the Entry's value points at the member's node and the node points back at the Entry.

A set becomes a skip list when it would exceed zset-max-listpack-entries members or holds a
member longer than zset-max-listpack-value bytes, at the points where Redis 7.0 converts; the
*STORE commands convert results back as Redis does.

Ranges. Every range command reduces its range (ranks, scores or lex bounds) to a half-open
interval of ascending ranks [lo, hi), then walks it forwards or backwards with a ZIt, which
hides the encoding.

HANDLERS maps each command name to its handler; pyredis.commands.sorted_sets declares them.
"""
from libc.stdlib cimport malloc, calloc, realloc, free, qsort
from libc.string cimport memcpy, memcmp, strlen
from libc.stdint cimport uint64_t, uint32_t
from libc.limits cimport LLONG_MAX, LLONG_MIN

from fastresp.core cimport (propagating, Client, native, block_for_keys, ready_key_position,
                            CLIENT_REPROCESSING, propagate_key_count_op)
from fastresp.t_set cimport set_foreach, set_contains, set_length
from fastresp.cmdutil cimport (wrongtype, syntax_error, arg_ll, error_with_command, key_changed,
                              index_range, key_event, arg_timeout)
from fastresp.keyspace cimport (Entry, Db, Dict, KsState, T_STRING, T_SET, T_ZSET, ENC_INT,
                                ENC_LISTPACK, ENC_SKIPLIST, LOOKUP_NONE, LOOKUP_WRITE, lookup,
                                entry_type, entry_encoding, entry_key, entry_keylen, entry_new,
                                entry_set_type, db_insert, db_add, db_unlink_free,
                                scored_fn, elem_fn, edict_new, edict_free, edict_find, edict_add,
                                edict_unlink, edict_delete, edict_shrink_if_sparse,
                                edict_random_u64, dict_size, dict_scan, key_hash, NOTIFY_ZSET,
                                NOTIFY_GENERIC, notify_event)
from fastresp.listpack cimport (LP, lpos, lp_new, lp_free, lp_dup, lp_seek, lp_insert,
                                lp_append, lp_delete, lp_find, lp_get, lp_skip, lp_prev,
                                lp_first, lp_start, lp_end)
from fastresp.reply cimport (ReplyBuf, reply_int, reply_bulk, reply_null, reply_null_array,
                             reply_array, reply_double, reply_defer, reply_set_deferred_array,
                             reply_raw)
from fastresp.util cimport (string2ll, string2d, arg_is, glob_match, parse_scan_cursor,
                            ull2string, LONG_STR_SIZE)
from fastresp.includes.libc_extra cimport isnan, isinf, strtod, snprintf
from fastresp.includes.errors cimport (ERR_AT_LEAST_ONE_KEY_FMT, ERR_COUNT_POSITIVE,
                                       ERR_COUNT_RANGE, ERR_GT_LT_NX, ERR_INCR_SINGLE_PAIR,
                                       ERR_INVALID_CURSOR, ERR_LIMIT_NEEDS_BY, ERR_LIMIT_NEGATIVE,
                                       ERR_MINMAX_NOT_FLOAT, ERR_MINMAX_NOT_LEX, ERR_NOT_FLOAT,
                                       ERR_NOT_INTEGER, ERR_NUMKEYS_POSITIVE, ERR_SCORE_NAN,
                                       ERR_VALUE_POSITIVE, ERR_VALUE_RANGE, ERR_WEIGHT_NOT_FLOAT,
                                       ERR_WITHSCORES_BYLEX, ERR_XX_AND_NX)

cdef enum:
    ZSL_MAXLEVEL = 32
    SCORE_BYTES = 8
    SMALL_ARGS = 16

# ZADD flags
cdef enum:
    ZA_NX = 1
    ZA_XX = 2
    ZA_GT = 4
    ZA_LT = 8
    ZA_CH = 16
    ZA_INCR = 32

# what zadd_one did
cdef enum:
    ZR_NOP = 0
    ZR_ADDED = 1
    ZR_UPDATED = 2
    ZR_PROCESSED = 4
    ZR_NAN = 8

cdef long long LLONG_MAX_V = LLONG_MAX
cdef long long LLONG_MIN_V = LLONG_MIN


# =============================================================================================
# Ordering and listpack pairs
# =============================================================================================

cdef inline int mcmp(const char* a, size_t an, const char* b, size_t bn) noexcept nogil:
    """Member order: bytes, then the shorter first."""
    cdef size_t m = an if an < bn else bn
    cdef int r = memcmp(a, b, m) if m else 0
    if r:
        return r
    return (an > bn) - (an < bn)


cdef inline double lp_score_at(lpos p) noexcept nogil:
    """The score stored in the element at p (an 8-byte element)."""
    cdef double d
    memcpy(&d, p + 1, SCORE_BYTES)
    return d


cdef inline double norm0(double d) noexcept nogil:
    return 0.0 if d == 0 else d


# =============================================================================================
# The skip list
# =============================================================================================

cdef struct ZLevel:
    ZNode* forward
    unsigned long long span

cdef struct ZNode:
    double score
    Entry* ele           # the member's Entry in the dictionary (its key is the member)
    ZNode* backward
    # ZLevel[level] follow

cdef struct ZSkip:
    ZNode* header
    ZNode* tail
    unsigned long long length
    int level
    Dict* dict


cdef inline ZLevel* LV(ZNode* x) noexcept nogil:
    return <ZLevel*>((<char*>x) + sizeof(ZNode))


cdef inline const char* nmem(ZNode* x, size_t* n) noexcept nogil:
    n[0] = entry_keylen(x.ele)
    return entry_key(x.ele)


cdef uint64_t _rng = 0x2545F4914F6CDD1DULL


cdef inline uint64_t zrand() noexcept nogil:
    global _rng
    _rng ^= _rng >> 12
    _rng ^= _rng << 25
    _rng ^= _rng >> 27
    return _rng * 0x2545F4914F6CDD1DULL


cdef inline int random_level() noexcept nogil:
    cdef int level = 1
    cdef uint64_t r = zrand()
    while level < ZSL_MAXLEVEL and (r & 3) == 0:     # p = 1/4
        level += 1
        r >>= 2
        if r == 0:
            r = zrand()
    return level


cdef ZNode* node_new(int level, double score, Entry* ele) except NULL:
    cdef ZNode* x = <ZNode*>malloc(sizeof(ZNode) + level * sizeof(ZLevel))
    if x == NULL:
        raise MemoryError()
    x.score = score
    x.ele = ele
    x.backward = NULL
    return x


cdef ZSkip* zsl_new() except NULL:
    cdef ZSkip* zs = <ZSkip*>malloc(sizeof(ZSkip))
    cdef int i
    if zs == NULL:
        raise MemoryError()
    try:
        zs.header = node_new(ZSL_MAXLEVEL, 0, NULL)
    except MemoryError:
        free(zs)
        raise
    for i in range(ZSL_MAXLEVEL):
        LV(zs.header)[i].forward = NULL
        LV(zs.header)[i].span = 0
    zs.tail = NULL
    zs.length = 0
    zs.level = 1
    try:
        zs.dict = edict_new()
    except MemoryError:
        free(zs.header)
        free(zs)
        raise
    return zs


cdef void zsl_free(ZSkip* zs) noexcept:
    cdef ZNode* x = LV(zs.header)[0].forward
    cdef ZNode* nxt
    free(zs.header)
    while x != NULL:
        nxt = LV(x)[0].forward
        free(x)
        x = nxt
    edict_free(zs.dict)
    free(zs)


cdef inline bint node_lt(ZNode* x, double score, const char* m, size_t n) noexcept nogil:
    """x sorts before (score, m)."""
    cdef size_t xn
    cdef const char* xm
    if x.score < score:
        return True
    if x.score > score:
        return False
    xm = nmem(x, &xn)
    return mcmp(xm, xn, m, n) < 0


cdef inline bint node_le(ZNode* x, double score, const char* m, size_t n) noexcept nogil:
    """x sorts before (score, m) or is it."""
    cdef size_t xn
    cdef const char* xm
    if x.score < score:
        return True
    if x.score > score:
        return False
    xm = nmem(x, &xn)
    return mcmp(xm, xn, m, n) <= 0


cdef ZNode* zsl_insert(ZSkip* zs, double score, Entry* ele) except NULL:
    """Insert a node for ele (not present) and return it."""
    cdef ZNode* update[ZSL_MAXLEVEL]
    cdef unsigned long long rank[ZSL_MAXLEVEL]
    cdef ZNode* x = zs.header
    cdef int i, level
    cdef const char* m = entry_key(ele)
    cdef size_t n = entry_keylen(ele)
    i = zs.level - 1
    while i >= 0:
        rank[i] = 0 if i == zs.level - 1 else rank[i + 1]
        while LV(x)[i].forward != NULL and node_lt(LV(x)[i].forward, score, m, n):
            rank[i] += LV(x)[i].span
            x = LV(x)[i].forward
        update[i] = x
        i -= 1
    level = random_level()
    if level > zs.level:
        for i in range(zs.level, level):
            rank[i] = 0
            update[i] = zs.header
            LV(zs.header)[i].span = zs.length
        zs.level = level
    x = node_new(level, score, ele)
    for i in range(level):
        LV(x)[i].forward = LV(update[i])[i].forward
        LV(update[i])[i].forward = x
        LV(x)[i].span = LV(update[i])[i].span - (rank[0] - rank[i])
        LV(update[i])[i].span = (rank[0] - rank[i]) + 1
    for i in range(level, zs.level):
        LV(update[i])[i].span += 1
    x.backward = NULL if update[0] == zs.header else update[0]
    if LV(x)[0].forward != NULL:
        LV(x)[0].forward.backward = x
    else:
        zs.tail = x
    zs.length += 1
    return x


cdef void zsl_unlink(ZSkip* zs, ZNode* x, ZNode** update) noexcept:
    cdef int i
    for i in range(zs.level):
        if LV(update[i])[i].forward == x:
            LV(update[i])[i].span += LV(x)[i].span - 1
            LV(update[i])[i].forward = LV(x)[i].forward
        else:
            LV(update[i])[i].span -= 1
    if LV(x)[0].forward != NULL:
        LV(x)[0].forward.backward = x.backward
    else:
        zs.tail = x.backward
    while zs.level > 1 and LV(zs.header)[zs.level - 1].forward == NULL:
        zs.level -= 1
    zs.length -= 1


cdef ZNode* zsl_find_update(ZSkip* zs, double score, const char* m, size_t n,
                            ZNode** update) noexcept:
    """Fill update[] (the last node before (score, m) on every level); returns the node after
    it on level 0 (the node itself when present)."""
    cdef ZNode* x = zs.header
    cdef int i = zs.level - 1
    while i >= 0:
        while LV(x)[i].forward != NULL and node_lt(LV(x)[i].forward, score, m, n):
            x = LV(x)[i].forward
        update[i] = x
        i -= 1
    return LV(x)[0].forward


cdef void zsl_remove_node(ZSkip* zs, ZNode* x) noexcept:
    """Unlink node x from the list and free it (its Entry stays)."""
    cdef ZNode* update[ZSL_MAXLEVEL]
    cdef size_t n
    cdef const char* m = nmem(x, &n)
    zsl_find_update(zs, x.score, m, n, update)
    zsl_unlink(zs, x, update)
    free(x)


cdef ZNode* zsl_by_rank(ZSkip* zs, unsigned long long rank) noexcept:
    """The node of 1-based rank, or NULL."""
    cdef ZNode* x = zs.header
    cdef unsigned long long traversed = 0
    cdef int i = zs.level - 1
    while i >= 0:
        while LV(x)[i].forward != NULL and traversed + LV(x)[i].span <= rank:
            traversed += LV(x)[i].span
            x = LV(x)[i].forward
        if traversed == rank:
            return x
        i -= 1
    return NULL


cdef unsigned long long zsl_rank(ZSkip* zs, double score, const char* m, size_t n) noexcept:
    """1-based rank of (score, m), 0 when absent."""
    cdef ZNode* x = zs.header
    cdef unsigned long long rank = 0
    cdef int i = zs.level - 1
    cdef size_t xn
    cdef const char* xm
    while i >= 0:
        while LV(x)[i].forward != NULL and node_le(LV(x)[i].forward, score, m, n):
            rank += LV(x)[i].span
            x = LV(x)[i].forward
        if x != zs.header:
            xm = nmem(x, &xn)
            if x.score == score and mcmp(xm, xn, m, n) == 0:
                return rank
        i -= 1
    return 0


cdef unsigned long long zsl_count_score(ZSkip* zs, double v, bint incl) noexcept:
    """Nodes with score < v (incl: <= v)."""
    cdef ZNode* x = zs.header
    cdef unsigned long long rank = 0
    cdef int i = zs.level - 1
    cdef ZNode* f
    while i >= 0:
        while True:
            f = LV(x)[i].forward
            if f == NULL or not (f.score < v or (incl and f.score == v)):
                break
            rank += LV(x)[i].span
            x = f
        i -= 1
    return rank


cdef unsigned long long zsl_count_lex(ZSkip* zs, const char* m, size_t n, bint incl) noexcept:
    """Nodes whose member is < m (incl: <= m), assuming equal scores."""
    cdef ZNode* x = zs.header
    cdef unsigned long long rank = 0
    cdef int i = zs.level - 1
    cdef ZNode* f
    cdef int r
    cdef size_t fn
    cdef const char* fm
    while i >= 0:
        while True:
            f = LV(x)[i].forward
            if f == NULL:
                break
            fm = nmem(f, &fn)
            r = mcmp(fm, fn, m, n)
            if not (r < 0 or (incl and r == 0)):
                break
            rank += LV(x)[i].span
            x = f
        i -= 1
    return rank


# =============================================================================================
# Sorted-set values, whatever their encoding
# =============================================================================================

cdef inline bint is_lp(Entry* e) noexcept nogil:
    return entry_encoding(e) == ENC_LISTPACK


cdef inline long long zlen(Entry* e) noexcept:
    if is_lp(e):
        return (<LP*>e.v.p).count // 2
    return <long long>(<ZSkip*>e.v.p).length


cdef inline lpos lp_find_member(LP* lp, const char* m, size_t n) noexcept:
    if lp.count == 0:
        return NULL
    return lp_find(lp, lp_start(lp), m, n, 1)


cdef bint zfind(Entry* e, const char* m, size_t n, double* score) noexcept:
    cdef lpos p
    cdef Entry* ele
    if is_lp(e):
        p = lp_find_member(<LP*>e.v.p, m, n)
        if p == NULL:
            return False
        score[0] = lp_score_at(lp_skip(p))
        return True
    ele = edict_find((<ZSkip*>e.v.p).dict, m, n, NULL)
    if ele == NULL:
        return False
    score[0] = (<ZNode*>ele.v.p).score
    return True


cdef int lp_insert_pair(Entry* e, const char* m, size_t n, double score) except -1:
    """Insert (m, score) at its place in the listpack (m absent)."""
    cdef LP* lp = <LP*>e.v.p
    cdef lpos p = lp_first(lp)
    cdef lpos sp
    cdef lpos end = lp_end(lp)
    cdef double s
    cdef size_t pn
    cdef const char* pm
    score = norm0(score)
    while p != NULL and p < end:
        sp = lp_skip(p)
        s = lp_score_at(sp)
        if s > score:
            break
        if s == score:
            pm = lp_get(p, &pn)
            if mcmp(pm, pn, m, n) > 0:
                break
        p = lp_skip(sp)
    if p == NULL:
        p = end
    p = lp_insert(<LP**>&e.v.p, p, m, n)
    lp_insert(<LP**>&e.v.p, lp_skip(p), <const char*>&score, SCORE_BYTES)
    return 0


cdef int zset_to_skiplist(Entry* e) except -1:
    """Convert a listpack sorted set to a skip list (the caller checks the encoding)."""
    cdef LP* lp = <LP*>e.v.p
    cdef ZSkip* zs = zsl_new()
    cdef lpos p = lp_first(lp)
    cdef size_t n
    cdef const char* m
    cdef Entry* ele
    cdef double s
    try:
        while p != NULL:
            m = lp_get(p, &n)
            p = lp_skip(p)
            s = lp_score_at(p)
            p = lp_skip(p)
            if p >= lp_end(lp):
                p = NULL
            ele = entry_new(m, n, 0)
            entry_set_type(ele, T_STRING, ENC_INT)
            try:
                ele.v.p = zsl_insert(zs, s, ele)
            except MemoryError:
                free(ele)
                raise
            edict_add(zs.dict, ele)
    except BaseException:
        zsl_free(zs)
        raise
    lp_free(lp)
    e.v.p = zs
    entry_set_type(e, T_ZSET, ENC_SKIPLIST)
    return 0


cdef int to_listpack(Entry* e) except -1:
    """Convert a skip-list sorted set to a listpack."""
    cdef ZSkip* zs = <ZSkip*>e.v.p
    cdef LP* lp = lp_new(0)
    cdef ZNode* x = LV(zs.header)[0].forward
    cdef size_t n
    cdef const char* m
    cdef double s
    try:
        while x != NULL:
            m = nmem(x, &n)
            lp_append(&lp, m, n)
            s = norm0(x.score)
            lp_append(&lp, <const char*>&s, SCORE_BYTES)
            x = LV(x)[0].forward
    except BaseException:
        lp_free(lp)
        raise
    zsl_free(zs)
    e.v.p = lp
    entry_set_type(e, T_ZSET, ENC_LISTPACK)
    return 0


cdef int sk_insert(ZSkip* zs, const char* m, size_t n, double score) except -1:
    cdef Entry* ele = entry_new(m, n, 0)
    entry_set_type(ele, T_STRING, ENC_INT)
    try:
        ele.v.p = zsl_insert(zs, score, ele)
    except MemoryError:
        free(ele)
        raise
    edict_add(zs.dict, ele)
    return 0


cdef int zinsert(KsState* st, Entry* e, const char* m, size_t n, double score) except -1:
    """Add member m (absent), converting to a skip list when the listpack would grow past its
    limits (as Redis checks before inserting)."""
    cdef LP* lp
    if is_lp(e):
        lp = <LP*>e.v.p
        if (<long long>(lp.count // 2) + 1 > st.zset_max_listpack_entries or
                <long long>n > st.zset_max_listpack_value):
            zset_to_skiplist(e)
        else:
            return lp_insert_pair(e, m, n, score)
    return sk_insert(<ZSkip*>e.v.p, m, n, score)


cdef int zupdate(Entry* e, const char* m, size_t n, double newscore) except -1:
    """Move present member m to newscore."""
    cdef lpos p
    cdef lpos sp
    cdef lpos q
    cdef ZSkip* zs
    cdef Entry* ele
    cdef ZNode* x
    cdef ZNode* update[ZSL_MAXLEVEL]
    cdef bint stays
    cdef size_t qn
    cdef const char* qm
    cdef double s
    if is_lp(e):
        newscore = norm0(newscore)
        p = lp_find_member(<LP*>e.v.p, m, n)
        sp = lp_skip(p)
        # in place when the order is unchanged
        stays = True
        q = lp_prev(<LP*>e.v.p, p)
        if q != NULL:
            s = lp_score_at(q)
            qm = lp_get(lp_prev(<LP*>e.v.p, q), &qn)
            if s > newscore or (s == newscore and mcmp(qm, qn, m, n) > 0):
                stays = False
        q = lp_skip(sp)
        if stays and q < lp_end(<LP*>e.v.p):
            qm = lp_get(q, &qn)
            s = lp_score_at(lp_skip(q))
            if s < newscore or (s == newscore and mcmp(qm, qn, m, n) < 0):
                stays = False
        if stays:
            memcpy(sp + 1, &newscore, SCORE_BYTES)
            return 0
        lp_delete(<LP**>&e.v.p, p, 2)
        return lp_insert_pair(e, m, n, newscore)
    zs = <ZSkip*>e.v.p
    return sk_update(zs, edict_find(zs.dict, m, n, NULL), newscore)


cdef int sk_update(ZSkip* zs, Entry* ele, double newscore) except -1:
    """Move member ele of a skip list to newscore (in place when its neighbours allow)."""
    cdef ZNode* x = <ZNode*>ele.v.p
    cdef ZNode* update[ZSL_MAXLEVEL]
    cdef size_t n = entry_keylen(ele)
    cdef const char* m = entry_key(ele)
    if ((x.backward == NULL or x.backward.score < newscore or
         (x.backward.score == newscore and node_lt(x.backward, newscore, m, n))) and
            (LV(x)[0].forward == NULL or LV(x)[0].forward.score > newscore or
             (LV(x)[0].forward.score == newscore and not node_lt(LV(x)[0].forward, newscore, m, n)))):
        x.score = newscore
        return 0
    zsl_find_update(zs, x.score, m, n, update)
    zsl_unlink(zs, x, update)
    free(x)
    ele.v.p = zsl_insert(zs, newscore, ele)
    return 0


cdef bint zdelete(Entry* e, const char* m, size_t n) except -1:
    """Remove member m; whether it was there."""
    cdef lpos p
    cdef ZSkip* zs
    cdef Entry* ele
    cdef Entry** link
    if is_lp(e):
        p = lp_find_member(<LP*>e.v.p, m, n)
        if p == NULL:
            return False
        lp_delete(<LP**>&e.v.p, p, 2)
        return True
    zs = <ZSkip*>e.v.p
    ele = edict_find(zs.dict, m, n, &link)
    if ele == NULL:
        return False
    zsl_remove_node(zs, <ZNode*>ele.v.p)
    edict_unlink(zs.dict, ele, link)
    free(ele)
    return True


cdef void zdelete_done(Entry* e) noexcept:
    """After deletions: let a sparse skip-list dictionary shrink."""
    if not is_lp(e):
        edict_shrink_if_sparse((<ZSkip*>e.v.p).dict)


cdef long long zrank_of(Entry* e, const char* m, size_t n, double* score) noexcept:
    """0-based ascending rank of m, -1 when absent."""
    cdef LP* lp
    cdef lpos p
    cdef long long r = 0
    cdef size_t pn
    cdef const char* pm
    cdef Entry* ele
    cdef ZSkip* zs
    if is_lp(e):
        lp = <LP*>e.v.p
        p = lp_first(lp)
        while p != NULL:
            pm = lp_get(p, &pn)
            p = lp_skip(p)
            if pn == n and (n == 0 or memcmp(pm, m, n) == 0):
                score[0] = lp_score_at(p)
                return r
            r += 1
            p = lp_skip(p)
            if p >= lp_end(lp):
                p = NULL
        return -1
    zs = <ZSkip*>e.v.p
    ele = edict_find(zs.dict, m, n, NULL)
    if ele == NULL:
        return -1
    score[0] = (<ZNode*>ele.v.p).score
    return <long long>zsl_rank(zs, score[0], m, n) - 1


# ----- iteration by rank

cdef struct ZIt:
    LP* lp
    lpos p          # listpack: the member element
    ZNode* x        # skip list: the node


cdef inline void zit_at(Entry* e, long long rank, ZIt* it) noexcept:
    if is_lp(e):
        it.lp = <LP*>e.v.p
        it.p = lp_seek(it.lp, 2 * rank)
        it.x = NULL
    else:
        it.lp = NULL
        it.p = NULL
        it.x = zsl_by_rank(<ZSkip*>e.v.p, <unsigned long long>rank + 1)


cdef inline bint zit_ok(ZIt* it) noexcept:
    return it.p != NULL or it.x != NULL


cdef inline const char* zit_get(ZIt* it, size_t* n, double* score) noexcept:
    cdef const char* m
    if it.lp != NULL:
        m = lp_get(it.p, n)
        score[0] = lp_score_at(lp_skip(it.p))
        return m
    score[0] = it.x.score
    return nmem(it.x, n)


cdef inline void zit_next(ZIt* it) noexcept:
    if it.lp != NULL:
        it.p = lp_skip(lp_skip(it.p))
        if it.p >= lp_end(it.lp):
            it.p = NULL
    else:
        it.x = LV(it.x)[0].forward


cdef inline void zit_prev(ZIt* it) noexcept:
    if it.lp != NULL:
        it.p = lp_prev(it.lp, it.p)
        if it.p != NULL:
            it.p = lp_prev(it.lp, it.p)
    else:
        it.x = it.x.backward


# ----- ranges as rank intervals

cdef long long zcount_score(Entry* e, double v, bint incl) noexcept:
    """Members with score < v (incl: <= v)."""
    cdef LP* lp
    cdef lpos p
    cdef long long r = 0
    cdef double s
    if not is_lp(e):
        return <long long>zsl_count_score(<ZSkip*>e.v.p, v, incl)
    lp = <LP*>e.v.p
    p = lp_first(lp)
    while p != NULL:
        p = lp_skip(p)
        s = lp_score_at(p)
        if not (s < v or (incl and s == v)):
            break
        r += 1
        p = lp_skip(p)
        if p >= lp_end(lp):
            p = NULL
    return r


cdef long long zcount_lex(Entry* e, const char* m, size_t n, bint incl) noexcept:
    """Members < m (incl: <= m), assuming equal scores."""
    cdef LP* lp
    cdef lpos p
    cdef long long r = 0
    cdef int c
    cdef size_t pn
    cdef const char* pm
    if not is_lp(e):
        return <long long>zsl_count_lex(<ZSkip*>e.v.p, m, n, incl)
    lp = <LP*>e.v.p
    p = lp_first(lp)
    while p != NULL:
        pm = lp_get(p, &pn)
        c = mcmp(pm, pn, m, n)
        if not (c < 0 or (incl and c == 0)):
            break
        r += 1
        p = lp_skip(lp_skip(p))
        if p >= lp_end(lp):
            p = NULL
    return r


cdef struct ScoreRange:
    double min, max
    bint minex, maxex

cdef enum:
    LEX_NEG = 0     # "-"
    LEX_POS = 1     # "+"
    LEX_VAL = 2

cdef struct LexBound:
    int kind
    bint ex
    const char* p
    size_t n

cdef struct LexRange:
    LexBound min, max


cdef inline void score_interval(Entry* e, ScoreRange* r, long long* lo, long long* hi) noexcept:
    lo[0] = zcount_score(e, r.min, r.minex)
    hi[0] = zcount_score(e, r.max, not r.maxex)
    if hi[0] < lo[0]:
        hi[0] = lo[0]


cdef inline long long lex_bound_count(Entry* e, LexBound* b, bint is_max) noexcept:
    if b.kind == LEX_NEG:
        return 0
    if b.kind == LEX_POS:
        return zlen(e)
    if is_max:
        return zcount_lex(e, b.p, b.n, not b.ex)
    return zcount_lex(e, b.p, b.n, b.ex)


cdef inline void lex_interval(Entry* e, LexRange* r, long long* lo, long long* hi) noexcept:
    lo[0] = lex_bound_count(e, &r.min, False)
    hi[0] = lex_bound_count(e, &r.max, True)
    if hi[0] < lo[0]:
        hi[0] = lo[0]


cdef int zdelete_ranks(Entry* e, long long lo, long long hi) except -1:
    """Remove the members of ranks [lo, hi)."""
    cdef ZSkip* zs
    cdef ZNode* update[ZSL_MAXLEVEL]
    cdef ZNode* x
    cdef ZNode* nxt
    cdef unsigned long long traversed = 0
    cdef long long k
    cdef int i
    cdef Entry* ele
    cdef Entry** link
    if hi <= lo:
        return 0
    if is_lp(e):
        lp_delete(<LP**>&e.v.p, lp_seek(<LP*>e.v.p, 2 * lo), <size_t>(2 * (hi - lo)))
        return 0
    zs = <ZSkip*>e.v.p
    x = zs.header
    i = zs.level - 1
    while i >= 0:
        while LV(x)[i].forward != NULL and traversed + LV(x)[i].span <= <unsigned long long>lo:
            traversed += LV(x)[i].span
            x = LV(x)[i].forward
        update[i] = x
        i -= 1
    x = LV(x)[0].forward
    for k in range(hi - lo):
        nxt = LV(x)[0].forward
        zsl_unlink(zs, x, update)
        ele = edict_find(zs.dict, entry_key(x.ele), entry_keylen(x.ele), &link)
        edict_unlink(zs.dict, ele, link)
        free(ele)
        free(x)
        x = nxt
    edict_shrink_if_sparse(zs.dict)
    return 0


# =============================================================================================
# Type operations and the API other modules use (t_zset.pxd)
# =============================================================================================

cdef void zset_free_value(Entry* e) noexcept:
    if e.v.p == NULL:
        return
    if is_lp(e):
        lp_free(<LP*>e.v.p)
    else:
        zsl_free(<ZSkip*>e.v.p)
    e.v.p = NULL


cdef int zset_dup_value(Entry* src, Entry* dst) except -1:
    cdef ZSkip* zs
    cdef ZSkip* out
    cdef ZNode* x
    cdef size_t n
    cdef const char* m
    if is_lp(src):
        dst.v.p = lp_dup(<LP*>src.v.p)
        return 0
    zs = <ZSkip*>src.v.p
    out = zsl_new()
    try:
        x = LV(zs.header)[0].forward
        while x != NULL:
            m = nmem(x, &n)
            sk_insert(out, m, n, x.score)
            x = LV(x)[0].forward
    except BaseException:
        zsl_free(out)
        raise
    dst.v.p = out
    return 0


cdef Entry* new_entry_hint(KsState* st, const char* k, size_t kn, long long size_hint,
                           long long len_hint) except NULL:
    """An empty sorted set encoded as Redis creates one for this many members of at most this
    length (zsetTypeCreate)."""
    cdef Entry* e = entry_new(k, kn, 0)
    try:
        if size_hint <= st.zset_max_listpack_entries and len_hint <= st.zset_max_listpack_value:
            e.v.p = lp_new(0)
            entry_set_type(e, T_ZSET, ENC_LISTPACK)
        else:
            e.v.p = zsl_new()
            entry_set_type(e, T_ZSET, ENC_SKIPLIST)
    except BaseException:
        free(e)
        raise
    return e


cdef Entry* zset_new_entry(const char* k, size_t n) except NULL:
    cdef Entry* e = entry_new(k, n, 0)
    try:
        e.v.p = lp_new(0)
    except BaseException:
        free(e)
        raise
    entry_set_type(e, T_ZSET, ENC_LISTPACK)
    return e


cdef int zset_add(KsState* st, Entry* e, const char* m, size_t n, double score) except -1:
    cdef double old
    if zfind(e, m, n, &old):
        if old != score:
            zupdate(e, m, n, score)
        return 0
    zinsert(st, e, m, n, score)
    return 1


cdef bint zset_score(Entry* e, const char* m, size_t n, double* score) noexcept:
    return zfind(e, m, n, score)


cdef long long zset_length(Entry* e) noexcept:
    return zlen(e)


cdef int zset_foreach(Entry* e, scored_fn fn, void* ctx) except -1:
    cdef ZIt it
    cdef size_t n
    cdef double s
    cdef const char* m
    zit_at(e, 0, &it)
    while zit_ok(&it):
        m = zit_get(&it, &n, &s)
        fn(ctx, m, n, s)
        zit_next(&it)
    return 0


# =============================================================================================
# Argument parsing
# =============================================================================================

cdef inline int arg_score(Client c, int i, double* out) except -1:
    """A score argument (ZADD, ZINCRBY): "value is not a valid float"."""
    if string2d(c.argv[i], c.argl[i], out):
        return 0
    c.error_cstr(ERR_NOT_FLOAT)
    return 1


cdef bint parse_bound(const char* s, size_t n, double* v, bint* ex) noexcept:
    """A score bound as Redis parses it: strtod over the C string, '(' for exclusive, no NaN;
    leading spaces and an empty string (0) are accepted, as strtod accepts them."""
    cdef char small[128]
    cdef char* buf = small
    cdef char* end
    cdef bint ok
    ex[0] = False
    if n and s[0] == b'(':
        ex[0] = True
        s += 1
        n -= 1
    if n >= sizeof(small):
        buf = <char*>malloc(n + 1)
        if buf == NULL:
            return False
    memcpy(buf, s, n)
    buf[n] = 0
    v[0] = strtod(buf, &end)
    ok = end[0] == 0 and not isnan(v[0])
    if buf != small:
        free(buf)
    return ok


cdef int parse_score_range(Client c, int imin, int imax, ScoreRange* r) except -1:
    if not (parse_bound(c.argv[imin], c.argl[imin], &r.min, &r.minex) and
            parse_bound(c.argv[imax], c.argl[imax], &r.max, &r.maxex)):
        c.error_cstr(ERR_MINMAX_NOT_FLOAT)
        return 1
    return 0


cdef bint parse_lex_item(const char* s, size_t n, LexBound* b) noexcept:
    if n == 0:
        return False
    b.ex = False
    b.p = NULL
    b.n = 0
    if s[0] == b'+':
        if n > 1 and s[1] != 0:
            return False
        b.kind = LEX_POS
        return True
    if s[0] == b'-':
        if n > 1 and s[1] != 0:
            return False
        b.kind = LEX_NEG
        return True
    if s[0] == b'(' or s[0] == b'[':
        b.kind = LEX_VAL
        b.ex = s[0] == b'('
        b.p = s + 1
        b.n = n - 1
        return True
    return False


cdef int parse_lex_range(Client c, int imin, int imax, LexRange* r) except -1:
    if not (parse_lex_item(c.argv[imin], c.argl[imin], &r.min) and
            parse_lex_item(c.argv[imax], c.argl[imax], &r.max)):
        c.error_cstr(ERR_MINMAX_NOT_LEX)
        return 1
    return 0


cdef inline Entry* zlookup(Client c, int i, int flags, uint64_t* h, Entry*** link) noexcept:
    return lookup(c.db, c.argv[i], c.argl[i], flags, h, link)


cdef inline int reply_elem(ReplyBuf* r, const char* m, size_t n, double s, bint ws) except -1:
    """One member of a range reply: [member, score] in RESP3 WITHSCORES, else flat."""
    if ws:
        if r.proto == 3:
            reply_array(r, 2)
        reply_bulk(r, m, n)
        return reply_double(r, s)
    return reply_bulk(r, m, n)


cdef inline int reply_elems_header(ReplyBuf* r, long long n, bint ws) except -1:
    if ws and r.proto == 2:
        return reply_array(r, 2 * n)
    return reply_array(r, n)


cdef int reply_ranks(Client c, Entry* e, long long lo, long long hi, bint rev, bint ws) except -1:
    """Members of ranks [lo, hi), ascending or (rev) descending."""
    cdef ZIt it
    cdef long long k
    cdef size_t n
    cdef double s
    cdef const char* m
    if hi < lo:
        hi = lo
    reply_elems_header(&c.out, hi - lo, ws)
    if hi == lo:
        return 0
    zit_at(e, hi - 1 if rev else lo, &it)
    for k in range(hi - lo):
        m = zit_get(&it, &n, &s)
        reply_elem(&c.out, m, n, s, ws)
        if rev:
            zit_prev(&it)
        else:
            zit_next(&it)
    return 0


# =============================================================================================
# ZADD, ZINCRBY
# =============================================================================================

cdef int zadd_one(KsState* st, Entry* e, const char* m, size_t n, double score, int flags,
                  double* newscore) except -1:
    """One member of ZADD: returns ZR_* flags."""
    cdef double cur
    cdef Entry* ele = NULL
    cdef bint found
    if is_lp(e):
        found = zfind(e, m, n, &cur)
    else:
        ele = edict_find((<ZSkip*>e.v.p).dict, m, n, NULL)
        found = ele != NULL
        if found:
            cur = (<ZNode*>ele.v.p).score
    if found:
        if flags & ZA_NX:
            return ZR_NOP
        if flags & ZA_INCR:
            score += cur
            if isnan(score):
                return ZR_NAN
        if ((flags & ZA_LT) and score >= cur) or ((flags & ZA_GT) and score <= cur):
            return ZR_NOP
        newscore[0] = score
        if score != cur:
            if ele != NULL:
                sk_update(<ZSkip*>e.v.p, ele, score)
            else:
                zupdate(e, m, n, score)
            return ZR_UPDATED | ZR_PROCESSED
        return ZR_PROCESSED
    if flags & ZA_XX:
        return ZR_NOP
    newscore[0] = score
    zinsert(st, e, m, n, score)
    return ZR_ADDED | ZR_PROCESSED


cdef int zadd_generic(Client c, int flags) except -1:
    cdef int j = 2, i, r
    cdef long long elements, added = 0, updated = 0, processed = 0
    cdef double scores[SMALL_ARGS]
    cdef double score = 0, newscore = 0
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef const char* p
    cdef size_t pl
    while j < c.argc:
        p = c.argv[j]
        pl = c.argl[j]
        if arg_is(p, pl, b"nx", 2):
            flags |= ZA_NX
        elif arg_is(p, pl, b"xx", 2):
            flags |= ZA_XX
        elif arg_is(p, pl, b"ch", 2):
            flags |= ZA_CH
        elif arg_is(p, pl, b"incr", 4):
            flags |= ZA_INCR
        elif arg_is(p, pl, b"gt", 2):
            flags |= ZA_GT
        elif arg_is(p, pl, b"lt", 2):
            flags |= ZA_LT
        else:
            break
        j += 1
    elements = c.argc - j
    if elements == 0 or elements % 2:
        return syntax_error(c)
    elements //= 2
    if (flags & ZA_NX) and (flags & ZA_XX):
        return c.error_cstr(ERR_XX_AND_NX)
    if ((flags & ZA_GT) and (flags & ZA_NX)) or ((flags & ZA_LT) and (flags & ZA_NX)) or \
            ((flags & ZA_GT) and (flags & ZA_LT)):
        return c.error_cstr(ERR_GT_LT_NX)
    if (flags & ZA_INCR) and elements > 1:
        return c.error_cstr(ERR_INCR_SINGLE_PAIR)
    for i in range(elements):
        if arg_score(c, j + 2 * i, &score):
            return 0
        if i < SMALL_ARGS:
            scores[i] = score
    e = zlookup(c, 1, LOOKUP_WRITE, &h, &link)
    if e != NULL:
        if entry_type(e) != T_ZSET:
            return wrongtype(c)
    elif flags & ZA_XX:
        if flags & ZA_INCR:
            return reply_null(&c.out)
        return reply_int(&c.out, 0)
    else:
        # as Redis 7.0: the first member alone decides (later ones convert while adding)
        e = new_entry_hint(c.db.st, c.argv[1], c.argl[1], 1, <long long>c.argl[j + 1])
        db_add(c.db, e, h)
    for i in range(elements):
        if i < SMALL_ARGS:
            score = scores[i]
        else:
            string2d(c.argv[j + 2 * i], c.argl[j + 2 * i], &score)
        r = zadd_one(c.db.st, e, c.argv[j + 2 * i + 1], c.argl[j + 2 * i + 1], score, flags,
                     &newscore)
        if r & ZR_NAN:
            if added or updated:
                key_changed(c, added + updated)
                zadd_event(c, flags)
            return c.error_cstr(ERR_SCORE_NAN)
        if r & ZR_ADDED:
            added += 1
        if r & ZR_UPDATED:
            updated += 1
        if r & ZR_PROCESSED:
            processed += 1
    if added or updated:
        key_changed(c, added + updated)
        zadd_event(c, flags)
    if flags & ZA_INCR:
        if processed:
            return reply_double(&c.out, newscore)
        return reply_null(&c.out)
    return reply_int(&c.out, added + updated if flags & ZA_CH else added)


cdef inline void zadd_event(Client c, int flags) noexcept:
    key_event(c, NOTIFY_ZSET, b"zincr" if flags & ZA_INCR else b"zadd", c.argv[1], c.argl[1])


# ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
cdef int cmd_zadd(Client c) except -1:
    return zadd_generic(c, 0)


# ZINCRBY key increment member
cdef int cmd_zincrby(Client c) except -1:
    # ZADD INCR, options included: as in Redis, "ZINCRBY k NX m" is a syntax error
    return zadd_generic(c, ZA_INCR)


# =============================================================================================
# ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT
# =============================================================================================

cdef inline Entry* read_zset(Client c, int i, bint* bad) except? NULL:
    """The sorted set at argument i for a read, NULL when missing; *bad after WRONGTYPE."""
    cdef uint64_t h
    cdef Entry* e = zlookup(c, i, LOOKUP_NONE, &h, NULL)
    bad[0] = False
    if e != NULL and entry_type(e) != T_ZSET:
        wrongtype(c)
        bad[0] = True
        return NULL
    return e


# ZREM key member [member ...]
cdef int cmd_zrem(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e = zlookup(c, 1, LOOKUP_WRITE, &h, &link)
    cdef long long deleted = 0
    cdef int j
    cdef bint emptied = False
    if e == NULL:
        return reply_int(&c.out, 0)
    if entry_type(e) != T_ZSET:
        return wrongtype(c)
    for j in range(2, c.argc):
        if zdelete(e, c.argv[j], c.argl[j]):
            deleted += 1
            if zlen(e) == 0:
                db_unlink_free(c.db, e, link, h)
                e = NULL
                emptied = True
                break
    if e != NULL and deleted:
        zdelete_done(e)
    if deleted:
        key_event(c, NOTIFY_ZSET, b"zrem", c.argv[1], c.argl[1])
        if emptied:
            notify_event(c.db, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
        key_changed(c, 1)
    return reply_int(&c.out, deleted)


# ZCARD key
cdef int cmd_zcard(Client c) except -1:
    cdef bint bad
    cdef Entry* e = read_zset(c, 1, &bad)
    if bad:
        return 0
    return reply_int(&c.out, zlen(e) if e != NULL else 0)


# ZSCORE key member
cdef int cmd_zscore(Client c) except -1:
    cdef bint bad
    cdef double s
    cdef Entry* e = read_zset(c, 1, &bad)
    if bad:
        return 0
    if e == NULL or not zfind(e, c.argv[2], c.argl[2], &s):
        return reply_null(&c.out)
    return reply_double(&c.out, s)


# ZMSCORE key member [member ...]
cdef int cmd_zmscore(Client c) except -1:
    cdef bint bad
    cdef double s
    cdef int j
    cdef Entry* e = read_zset(c, 1, &bad)
    if bad:
        return 0
    reply_array(&c.out, c.argc - 2)
    for j in range(2, c.argc):
        if e == NULL or not zfind(e, c.argv[j], c.argl[j], &s):
            reply_null(&c.out)
        else:
            reply_double(&c.out, s)
    return 0


cdef int zrank_generic(Client c, bint rev) except -1:
    cdef bint bad
    cdef double s
    cdef long long r
    cdef Entry* e = read_zset(c, 1, &bad)
    if bad:
        return 0
    if e == NULL:
        return reply_null(&c.out)
    r = zrank_of(e, c.argv[2], c.argl[2], &s)
    if r < 0:
        return reply_null(&c.out)
    return reply_int(&c.out, zlen(e) - 1 - r if rev else r)


# ZRANK key member
cdef int cmd_zrank(Client c) except -1:
    return zrank_generic(c, False)


# ZREVRANK key member
cdef int cmd_zrevrank(Client c) except -1:
    return zrank_generic(c, True)


# ZCOUNT key min max
cdef int cmd_zcount(Client c) except -1:
    cdef ScoreRange r
    cdef long long lo, hi
    cdef bint bad
    cdef Entry* e
    if parse_score_range(c, 2, 3, &r):
        return 0
    e = read_zset(c, 1, &bad)
    if bad:
        return 0
    if e == NULL:
        return reply_int(&c.out, 0)
    score_interval(e, &r, &lo, &hi)
    return reply_int(&c.out, hi - lo)


# ZLEXCOUNT key min max
cdef int cmd_zlexcount(Client c) except -1:
    cdef LexRange r
    cdef long long lo, hi
    cdef bint bad
    cdef Entry* e
    if parse_lex_range(c, 2, 3, &r):
        return 0
    e = read_zset(c, 1, &bad)
    if bad:
        return 0
    if e == NULL:
        return reply_int(&c.out, 0)
    lex_interval(e, &r, &lo, &hi)
    return reply_int(&c.out, hi - lo)


# =============================================================================================
# ZRANGE and friends
# =============================================================================================

cdef enum:
    RT_AUTO = 0
    RT_RANK = 1
    RT_SCORE = 2
    RT_LEX = 3
    DIR_AUTO = 0
    DIR_FWD = 1
    DIR_REV = 2


cdef void apply_limit(long long lo, long long hi, bint rev, long long offset, long long limit,
                      long long* olo, long long* ohi) noexcept:
    """The ranks LIMIT offset count selects from [lo, hi) walked forwards or backwards."""
    cdef long long n = hi - lo
    if offset < 0 or offset >= n:
        olo[0] = ohi[0] = lo
        return
    n -= offset
    if limit >= 0 and limit < n:
        n = limit
    if rev:
        ohi[0] = hi - offset
        olo[0] = ohi[0] - n
    else:
        olo[0] = lo + offset
        ohi[0] = olo[0] + n


cdef int store_entry(Client c, int dst, Entry* ne, const char* event) except -1:
    """Replace key argv[dst] by ne (NULL: delete it); the notification is `event` (or "del"
    when an existing key is deleted)."""
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* old = zlookup(c, dst, LOOKUP_WRITE, &h, &link)
    if old != NULL:
        db_unlink_free(c.db, old, link, h)
        key_changed(c, 1)
    if ne != NULL:
        if old == NULL:
            db_add(c.db, ne, h)
        else:
            db_insert(c.db, ne, h)     # an overwrite: no `new` event
        key_event(c, NOTIFY_ZSET, event, c.argv[dst], c.argl[dst])
        if old == NULL:
            key_changed(c, 1)
    elif old != NULL:
        key_event(c, NOTIFY_GENERIC, b"del", c.argv[dst], c.argl[dst])
    return 0


cdef int zrange_generic(Client c, int keyidx, bint store, int rangetype, int direction) except -1:
    cdef int minidx = keyidx + 1, maxidx = keyidx + 2, j, tmp, left
    cdef long long start = 0, end = 0, offset = 0, limit = -1, n, lo, hi
    cdef bint withscores = False, bad, rev
    cdef ScoreRange sr
    cdef LexRange lr
    cdef uint64_t kh
    cdef Entry* e
    cdef Entry* ne
    cdef ZIt it
    cdef long long k
    cdef size_t mn
    cdef double s
    cdef const char* m
    j = keyidx + 3
    while j < c.argc:
        left = c.argc - j - 1
        if not store and arg_is(c.argv[j], c.argl[j], b"withscores", 10):
            withscores = True
        elif arg_is(c.argv[j], c.argl[j], b"limit", 5) and left >= 2:
            if arg_ll(c, j + 1, &offset) or arg_ll(c, j + 2, &limit):
                return 0
            j += 2
        elif direction == DIR_AUTO and arg_is(c.argv[j], c.argl[j], b"rev", 3):
            direction = DIR_REV
        elif rangetype == RT_AUTO and arg_is(c.argv[j], c.argl[j], b"bylex", 5):
            rangetype = RT_LEX
        elif rangetype == RT_AUTO and arg_is(c.argv[j], c.argl[j], b"byscore", 7):
            rangetype = RT_SCORE
        else:
            return syntax_error(c)
        j += 1
    if direction == DIR_AUTO:
        direction = DIR_FWD
    if rangetype == RT_AUTO:
        rangetype = RT_RANK
    if limit != -1 and rangetype == RT_RANK:
        return c.error_cstr(ERR_LIMIT_NEEDS_BY)
    if withscores and rangetype == RT_LEX:
        return c.error_cstr(ERR_WITHSCORES_BYLEX)
    rev = direction == DIR_REV
    if rev and rangetype != RT_RANK:
        tmp = minidx
        minidx = maxidx
        maxidx = tmp
    if rangetype == RT_RANK:
        if arg_ll(c, minidx, &start) or arg_ll(c, maxidx, &end):
            return 0
    elif rangetype == RT_SCORE:
        if parse_score_range(c, minidx, maxidx, &sr):
            return 0
    else:
        if parse_lex_range(c, minidx, maxidx, &lr):
            return 0
    # a read lookup even for ZRANGESTORE's source, as Redis 7.0 (keymiss, hit/miss statistics)
    e = zlookup(c, keyidx, LOOKUP_NONE, &kh, NULL)
    if e != NULL and entry_type(e) != T_ZSET:
        return wrongtype(c)
    lo = hi = 0
    if e != NULL:
        n = zlen(e)
        if rangetype == RT_RANK:
            if index_range(&start, &end, n):
                if rev:
                    lo = n - 1 - end
                    hi = n - start
                else:
                    lo = start
                    hi = end + 1
        else:
            if rangetype == RT_SCORE:
                score_interval(e, &sr, &lo, &hi)
            else:
                lex_interval(e, &lr, &lo, &hi)
            apply_limit(lo, hi, rev, offset, limit, &lo, &hi)
    if not store:
        if e == NULL:
            return reply_array(&c.out, 0)
        return reply_ranks(c, e, lo, hi, rev, withscores)
    # ZRANGESTORE: a new set built as Redis builds it (listpack unless the hint is too big,
    # converted while adding)
    if hi <= lo:
        store_entry(c, 1, NULL, NULL)
        return reply_int(&c.out, 0)
    ne = new_entry_hint(c.db.st, c.argv[1], c.argl[1],
                        hi - lo if rangetype == RT_RANK else 0, 0)
    try:
        zit_at(e, hi - 1 if rev else lo, &it)
        for k in range(hi - lo):
            m = zit_get(&it, &mn, &s)
            zinsert(c.db.st, ne, m, mn, s)
            if rev:
                zit_prev(&it)
            else:
                zit_next(&it)
    except BaseException:
        zset_free_value(ne)
        free(ne)
        raise
    store_entry(c, 1, ne, b"zrangestore")
    return reply_int(&c.out, hi - lo)


# ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
cdef int cmd_zrange(Client c) except -1:
    return zrange_generic(c, 1, False, RT_AUTO, DIR_AUTO)


# ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
cdef int cmd_zrangestore(Client c) except -1:
    return zrange_generic(c, 2, True, RT_AUTO, DIR_AUTO)


# ZREVRANGE key start stop [WITHSCORES]
cdef int cmd_zrevrange(Client c) except -1:
    return zrange_generic(c, 1, False, RT_RANK, DIR_REV)


# ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
cdef int cmd_zrangebyscore(Client c) except -1:
    return zrange_generic(c, 1, False, RT_SCORE, DIR_FWD)


# ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
cdef int cmd_zrevrangebyscore(Client c) except -1:
    return zrange_generic(c, 1, False, RT_SCORE, DIR_REV)


# ZRANGEBYLEX key min max [LIMIT offset count]
cdef int cmd_zrangebylex(Client c) except -1:
    return zrange_generic(c, 1, False, RT_LEX, DIR_FWD)


# ZREVRANGEBYLEX key max min [LIMIT offset count]
cdef int cmd_zrevrangebylex(Client c) except -1:
    return zrange_generic(c, 1, False, RT_LEX, DIR_REV)


# =============================================================================================
# ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX
# =============================================================================================

cdef int zremrange_generic(Client c, int rangetype) except -1:
    cdef long long start = 0, end = 0, n, lo = 0, hi = 0
    cdef ScoreRange sr
    cdef LexRange lr
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    if rangetype == RT_RANK:
        if arg_ll(c, 2, &start) or arg_ll(c, 3, &end):
            return 0
    elif rangetype == RT_SCORE:
        if parse_score_range(c, 2, 3, &sr):
            return 0
    elif parse_lex_range(c, 2, 3, &lr):
        return 0
    e = zlookup(c, 1, LOOKUP_WRITE, &h, &link)
    if e == NULL:
        return reply_int(&c.out, 0)
    if entry_type(e) != T_ZSET:
        return wrongtype(c)
    n = zlen(e)
    if rangetype == RT_RANK:
        if not index_range(&start, &end, n):
            return reply_int(&c.out, 0)
        lo = start
        hi = end + 1
    elif rangetype == RT_SCORE:
        score_interval(e, &sr, &lo, &hi)
    else:
        lex_interval(e, &lr, &lo, &hi)
    if hi > lo:
        zdelete_ranks(e, lo, hi)
        key_event(c, NOTIFY_ZSET, b"zremrangebyrank" if rangetype == RT_RANK else
                  (b"zremrangebyscore" if rangetype == RT_SCORE else b"zremrangebylex"),
                  c.argv[1], c.argl[1])
        if zlen(e) == 0:
            db_unlink_free(c.db, e, link, h)
            notify_event(c.db, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
        key_changed(c, hi - lo)
    return reply_int(&c.out, hi - lo)


# ZREMRANGEBYRANK key start stop
cdef int cmd_zremrangebyrank(Client c) except -1:
    return zremrange_generic(c, RT_RANK)


# ZREMRANGEBYSCORE key min max
cdef int cmd_zremrangebyscore(Client c) except -1:
    return zremrange_generic(c, RT_SCORE)


# ZREMRANGEBYLEX key min max
cdef int cmd_zremrangebylex(Client c) except -1:
    return zremrange_generic(c, RT_LEX)


# =============================================================================================
# ZPOPMIN, ZPOPMAX, ZMPOP (and the pop step the blocking commands reuse)
# =============================================================================================

cdef long long zset_pop_reply(Client c, Entry* e, Entry** link, uint64_t h, bint pop_max,
                              long long count, int style) except -1:
    """Pop up to `count` members of the live sorted set e (key found through link, hash h),
    lowest (or highest) first, and reply in `style`; deletes the key when it empties. Returns
    how many were popped."""
    cdef long long n = zlen(e), k, lo, hi
    cdef ZIt it
    cdef size_t mn
    cdef double s
    cdef const char* m
    cdef ReplyBuf* r = &c.out
    if count > n:
        count = n
    if style == ZPOP_WITH_KEY:
        reply_array(r, 2)
        reply_bulk(r, entry_key(e), entry_keylen(e))
        reply_array(r, count)
    elif style == ZPOP_BLOCKING:
        reply_array(r, 3)
        reply_bulk(r, entry_key(e), entry_keylen(e))
    elif style == ZPOP_NESTED:
        reply_array(r, count)
    else:
        reply_array(r, 2 * count)
    zit_at(e, n - 1 if pop_max else 0, &it)
    for k in range(count):
        m = zit_get(&it, &mn, &s)
        if style == ZPOP_WITH_KEY or style == ZPOP_NESTED:
            reply_array(r, 2)
        reply_bulk(r, m, mn)
        reply_double(r, s)
        if pop_max:
            zit_prev(&it)
        else:
            zit_next(&it)
    if pop_max:
        lo = n - count
        hi = n
    else:
        lo = 0
        hi = count
    zdelete_ranks(e, lo, hi)
    if count:
        # the events name the key from the entry, so they go out before it may be freed
        key_event(c, NOTIFY_ZSET, b"zpopmax" if pop_max else b"zpopmin", entry_key(e),
                  entry_keylen(e))
        if zlen(e) == 0:
            notify_event(c.db, NOTIFY_GENERIC, b"del", entry_key(e), entry_keylen(e))
        key_changed(c, 1)
    if zlen(e) == 0:
        db_unlink_free(c.db, e, link, h)
    return count


cdef int zpop_generic(Client c, bint pop_max) except -1:
    cdef long long count = 1
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    if c.argc > 3:
        return syntax_error(c)
    if c.argc == 3:
        if not string2ll(c.argv[2], c.argl[2], &count) or count < 0:
            return c.error_cstr(ERR_VALUE_POSITIVE)
    e = zlookup(c, 1, LOOKUP_WRITE, &h, &link)
    if e == NULL:
        return reply_array(&c.out, 0)
    if entry_type(e) != T_ZSET:
        return wrongtype(c)
    if count == 0:
        return reply_array(&c.out, 0)
    zset_pop_reply(c, e, link, h, pop_max, count,
                   ZPOP_NESTED if (c.argc == 3 and c.out.proto == 3) else ZPOP_FLAT)
    return 0


# ZPOPMIN key [count]
cdef int cmd_zpopmin(Client c) except -1:
    return zpop_generic(c, False)


# ZPOPMAX key [count]
cdef int cmd_zpopmax(Client c) except -1:
    return zpop_generic(c, True)


cdef int parse_numkeys(Client c, int idx, long long* numkeys) except -1:
    """numkeys of ZMPOP (1 after an error)."""
    if not string2ll(c.argv[idx], c.argl[idx], numkeys) or numkeys[0] <= 0:
        c.error_cstr(ERR_NUMKEYS_POSITIVE)
        return 1
    return 0


cdef inline int prop_zpop(Client c, int keyarg, bint pop_max, long long count) except -1:
    """The AOF records ZMPOP/BZMPOP as ZPOPMIN/ZPOPMAX key <popped>, BZPOPMIN/BZPOPMAX as
    ZPOPMIN/ZPOPMAX key (count < 0)."""
    return propagate_key_count_op(c, b"ZPOPMAX" if pop_max else b"ZPOPMIN", 7, keyarg, count)


cdef int zmpop_generic(Client c, int nkidx, bint blocking) except -1:
    """ZMPOP (numkeys at argument 1) and BZMPOP (timeout at 1, numkeys at 2)."""
    cdef long long numkeys, count = -1, ms = 0
    cdef int i, j, where, start
    cdef bint pop_max
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    if parse_numkeys(c, nkidx, &numkeys):
        return 0
    if numkeys >= c.argc - nkidx - 1:
        return syntax_error(c)
    where = nkidx + 1 + <int>numkeys
    if where >= c.argc:
        return syntax_error(c)
    if arg_is(c.argv[where], c.argl[where], b"min", 3):
        pop_max = False
    elif arg_is(c.argv[where], c.argl[where], b"max", 3):
        pop_max = True
    else:
        return syntax_error(c)
    j = where + 1
    while j < c.argc:
        if count == -1 and arg_is(c.argv[j], c.argl[j], b"count", 5) and j + 1 < c.argc:
            if not string2ll(c.argv[j + 1], c.argl[j + 1], &count) or count <= 0:
                return c.error_cstr(ERR_COUNT_POSITIVE)
            j += 2
        else:
            return syntax_error(c)
    if count == -1:
        count = 1
    if blocking and arg_timeout(c, 1, &ms):
        return 0
    start = ready_key_position(c, nkidx + 1, <int>numkeys, 1) if blocking else 0
    for i in range(<int>numkeys):
        j = nkidx + 1 + (i + start) % <int>numkeys
        e = zlookup(c, j, LOOKUP_WRITE, &h, &link)
        if e == NULL or (entry_type(e) != T_ZSET and c.flags & CLIENT_REPROCESSING):
            continue
        if entry_type(e) != T_ZSET:
            return wrongtype(c)
        count = zset_pop_reply(c, e, link, h, pop_max, count, ZPOP_WITH_KEY)
        if propagating(c.core):
            prop_zpop(c, j, pop_max, count)
        return 0
    if blocking and not block_for_keys(c, nkidx + 1, <int>numkeys, 1, ms, T_ZSET):
        return 0
    return reply_null_array(&c.out)


# ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
cdef int cmd_zmpop(Client c) except -1:
    return zmpop_generic(c, 1, False)


# =============================================================================================
# BZPOPMIN, BZPOPMAX, BZMPOP
#
# A blocking pop that finds no data blocks the client on its keys (block_for_keys); when one
# of them gets a sorted set the core runs the same handler again, which then finds it (or
# blocks on, keeping its place). In MULTI/EXEC it replies a null array at once, as Redis.
# Run again (CLIENT_REPROCESSING), a handler starts with the key that became ready
# (ready_key_position) and passes over keys of another type where the first run would reply
# WRONGTYPE: Redis 7.0 serves a waiter from the key that got a sorted set, whatever its other
# keys hold meanwhile.
# =============================================================================================

cdef int bzpop_generic(Client c, bint pop_max) except -1:
    cdef long long ms
    cdef int i, j, start, nkeys = c.argc - 2
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    if arg_timeout(c, c.argc - 1, &ms):
        return 0
    start = ready_key_position(c, 1, nkeys, 1)
    for i in range(nkeys):
        j = 1 + (i + start) % nkeys
        e = zlookup(c, j, LOOKUP_WRITE, &h, &link)
        if e == NULL or (entry_type(e) != T_ZSET and c.flags & CLIENT_REPROCESSING):
            continue
        if entry_type(e) != T_ZSET:
            return wrongtype(c)
        zset_pop_reply(c, e, link, h, pop_max, 1, ZPOP_BLOCKING)
        if propagating(c.core):
            prop_zpop(c, j, pop_max, -1)
        return 0
    if block_for_keys(c, 1, c.argc - 2, 1, ms, T_ZSET):
        return reply_null_array(&c.out)
    return 0


# BZPOPMIN key [key ...] timeout
cdef int cmd_bzpopmin(Client c) except -1:
    return bzpop_generic(c, False)


# BZPOPMAX key [key ...] timeout
cdef int cmd_bzpopmax(Client c) except -1:
    return bzpop_generic(c, True)


# BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]
cdef int cmd_bzmpop(Client c) except -1:
    return zmpop_generic(c, 2, True)


# =============================================================================================
# ZRANDMEMBER
# =============================================================================================

cdef int cmp_ll(const void* a, const void* b) noexcept nogil:
    cdef long long x = (<long long*>a)[0], y = (<long long*>b)[0]
    return (x > y) - (x < y)


cdef int reply_rank_elem(Client c, Entry* e, long long rank, bint ws) except -1:
    cdef ZIt it
    cdef size_t n
    cdef double s
    cdef const char* m
    zit_at(e, rank, &it)
    m = zit_get(&it, &n, &s)
    return reply_elem(&c.out, m, n, s, ws)


# ZRANDMEMBER key [count [WITHSCORES]]
cdef int cmd_zrandmember(Client c) except -1:
    cdef long long count, size, i, k, got, t
    cdef bint ws = False, bad, unique = True
    cdef Entry* e
    cdef long long* picks
    cdef uint64_t r
    if c.argc == 2:
        e = read_zset(c, 1, &bad)
        if bad:
            return 0
        if e == NULL:
            return reply_null(&c.out)
        return reply_rank_elem(c, e, <long long>(edict_random_u64() % <uint64_t>zlen(e)), False)
    if arg_ll(c, 2, &count):
        return 0
    if count == LLONG_MIN_V:
        return c.error_cstr(ERR_COUNT_RANGE)
    if c.argc > 4 or (c.argc == 4 and not arg_is(c.argv[3], c.argl[3], b"withscores", 10)):
        return syntax_error(c)
    if c.argc == 4:
        ws = True
        if count < -LLONG_MAX_V // 2 or count > LLONG_MAX_V // 2:
            return c.error_cstr(ERR_VALUE_RANGE)
    e = read_zset(c, 1, &bad)
    if bad:
        return 0
    if e == NULL or count == 0:
        return reply_array(&c.out, 0)
    size = zlen(e)
    if count < 0:
        count = -count
        reply_elems_header(&c.out, count, ws)
        for i in range(count):
            reply_rank_elem(c, e, <long long>(edict_random_u64() % <uint64_t>size), ws)
        return 0
    if count >= size:
        return reply_ranks(c, e, 0, size, False, ws)
    # count distinct ranks: shuffle all ranks when they are few, else draw and deduplicate
    if count * 3 > size:
        picks = <long long*>malloc(size * sizeof(long long))
        if picks == NULL:
            raise MemoryError()
        for i in range(size):
            picks[i] = i
        for i in range(count):
            k = i + <long long>(edict_random_u64() % <uint64_t>(size - i))
            t = picks[i]
            picks[i] = picks[k]
            picks[k] = t
    else:
        picks = <long long*>malloc(2 * count * sizeof(long long))
        if picks == NULL:
            raise MemoryError()
        got = 0
        while True:
            while got < 2 * count:
                picks[got] = <long long>(edict_random_u64() % <uint64_t>size)
                got += 1
            qsort(picks, got, sizeof(long long), cmp_ll)
            k = 0
            for i in range(got):
                if i == 0 or picks[i] != picks[i - 1]:
                    picks[k] = picks[i]
                    k += 1
            got = k
            if got >= count:
                break
        # a random `count` of the distinct ranks, in random order
        for i in range(count):
            k = i + <long long>(edict_random_u64() % <uint64_t>(got - i))
            t = picks[i]
            picks[i] = picks[k]
            picks[k] = t
    try:
        reply_elems_header(&c.out, count, ws)
        for i in range(count):
            reply_rank_elem(c, e, picks[i], ws)
    finally:
        free(picks)
    return 0


# =============================================================================================
# ZUNION, ZINTER, ZDIFF (+STORE), ZINTERCARD
# =============================================================================================

cdef enum:
    OP_UNION = 0
    OP_INTER = 1
    OP_DIFF = 2
    AGG_SUM = 0
    AGG_MIN = 1
    AGG_MAX = 2

cdef struct Src:
    Entry* e            # NULL when the key is missing
    int kind            # T_ZSET or T_SET
    double weight
    long long len
    int order           # position among the keys (stable sort)


cdef int cmp_src(const void* a, const void* b) noexcept nogil:
    cdef Src* x = <Src*>a
    cdef Src* y = <Src*>b
    if x.len != y.len:
        return (x.len > y.len) - (x.len < y.len)
    return x.order - y.order


cdef inline bint src_find(Src* s, const char* m, size_t n, double* score) noexcept:
    if s.e == NULL:
        return False
    if s.kind == T_ZSET:
        return zfind(s.e, m, n, score)
    if set_contains(s.e, m, n):
        score[0] = 1.0
        return True
    return False


cdef inline double aggregate(double acc, double v, int agg) noexcept nogil:
    if agg == AGG_SUM:
        acc = acc + v
        if isnan(acc):
            acc = 0.0
        return acc
    if agg == AGG_MIN:
        return v if v < acc else acc
    return v if v > acc else acc


# the accumulation a source's elements go through
cdef struct Acc:
    ZSkip* zs          # the result: its dictionary during the walk, its list after
    Src* srcs
    int nsrc
    int i              # the source being walked
    int op
    int agg
    size_t maxlen
    long long count    # ZINTERCARD: matches so far
    long long limit    # ZINTERCARD: stop at this many (0: no limit)
    bint card          # ZINTERCARD: count the matches only


cdef inline void ele_set_score(Entry* ele, double s) noexcept:
    memcpy(&ele.v, &s, 8)


cdef inline double ele_score(Entry* ele) noexcept:
    cdef double s
    memcpy(&s, &ele.v, 8)
    return s


cdef int acc_element(Acc* a, const char* m, size_t n, double score) except -1:
    """One element of source a.i: fold it into the result."""
    cdef Src* s = &a.srcs[a.i]
    cdef double v = s.weight * score, other
    cdef Entry* ele
    cdef int j
    if isnan(v):
        v = 0.0
    if a.op == OP_UNION:
        ele = edict_find(a.zs.dict, m, n, NULL)
        if ele != NULL:
            ele_set_score(ele, aggregate(ele_score(ele), v, a.agg))
            return 0
    elif a.op == OP_INTER:
        for j in range(1, a.nsrc):
            if a.srcs[j].e == a.srcs[0].e:
                other = score
            elif not src_find(&a.srcs[j], m, n, &other):
                return 0
            v = aggregate(v, a.srcs[j].weight * other, a.agg)
        if a.card:
            a.count += 1
            return 0
    else:
        v = score
        for j in range(1, a.nsrc):
            if a.srcs[j].e != NULL and src_find(&a.srcs[j], m, n, &other):
                return 0
    ele = entry_new(m, n, 0)
    entry_set_type(ele, T_STRING, ENC_INT)
    ele_set_score(ele, v)
    edict_add(a.zs.dict, ele)
    if n > a.maxlen:
        a.maxlen = n
    return 0


cdef int acc_scored(void* ctx, const char* m, size_t n, double score) except -1:
    cdef Acc* a = <Acc*>ctx
    if a.limit > 0 and a.count >= a.limit:
        return 0
    return acc_element(a, m, n, score)


cdef int acc_member(void* ctx, const char* m, size_t n) except -1:
    return acc_scored(ctx, m, n, 1.0)


cdef int walk_src(Acc* a, int i) except -1:
    cdef Src* s = &a.srcs[i]
    a.i = i
    if s.e == NULL:
        return 0
    if s.kind == T_ZSET:
        return zset_foreach(s.e, acc_scored, a)
    return set_foreach(s.e, acc_member, a)


cdef struct Collector:
    Entry** items
    size_t n


cdef void collect_entry(void* ctx, void* entry) except *:
    cdef Collector* col = <Collector*>ctx
    col.items[col.n] = <Entry*>entry
    col.n += 1


cdef int build_list(ZSkip* zs) except -1:
    """Give every dictionary entry (its score kept in its value) its node."""
    cdef size_t n = dict_size(zs.dict), i
    cdef unsigned long long cur
    cdef double s
    cdef Collector col
    if n == 0:
        return 0
    col.items = <Entry**>malloc(n * sizeof(Entry*))
    if col.items == NULL:
        raise MemoryError()
    col.n = 0
    try:
        cur = dict_scan(zs.dict, 0, collect_entry, &col)
        while cur:
            cur = dict_scan(zs.dict, cur, collect_entry, &col)
        for i in range(col.n):
            s = ele_score(col.items[i])
            col.items[i].v.p = zsl_insert(zs, s, col.items[i])
    finally:
        free(col.items)
    return 0


cdef int zsetop_generic(Client c, int dstidx, int numkeys_idx, int op, bint cardonly) except -1:
    cdef long long numkeys, limit = -1
    cdef int i, j, remaining, setnum
    cdef Src* srcs = NULL
    cdef bint withscores = False, store = dstidx > 0
    cdef int agg = AGG_SUM
    cdef Entry* ke
    cdef uint64_t kh
    cdef Acc a
    cdef Entry* ne = NULL
    cdef ZSkip* zs
    cdef long long n
    if arg_ll(c, numkeys_idx, &numkeys):
        return 0
    if numkeys < 1:
        return error_with_command(c, ERR_AT_LEAST_ONE_KEY_FMT)
    if numkeys > c.argc - numkeys_idx - 1:
        return syntax_error(c)
    setnum = <int>numkeys
    srcs = <Src*>calloc(setnum, sizeof(Src))
    if srcs == NULL:
        raise MemoryError()
    try:
        for i in range(setnum):
            j = numkeys_idx + 1 + i
            ke = zlookup(c, j, LOOKUP_NONE, &kh, NULL)   # a read, STORE too (as Redis 7.0)
            srcs[i].weight = 1.0
            srcs[i].order = i
            if ke == NULL:
                continue
            if entry_type(ke) == T_ZSET:
                srcs[i].kind = T_ZSET
                srcs[i].len = zlen(ke)
            elif entry_type(ke) == T_SET:
                srcs[i].kind = T_SET
                srcs[i].len = set_length(ke)
            else:
                return wrongtype(c)
            srcs[i].e = ke
        j = numkeys_idx + 1 + setnum
        remaining = c.argc - j
        while remaining:
            if cardonly:
                if remaining >= 2 and arg_is(c.argv[j], c.argl[j], b"limit", 5):
                    if not string2ll(c.argv[j + 1], c.argl[j + 1], &limit) or limit < 0:
                        return c.error_cstr(ERR_LIMIT_NEGATIVE)
                    j += 2
                    remaining -= 2
                else:
                    return syntax_error(c)
            elif op != OP_DIFF and remaining >= setnum + 1 and \
                    arg_is(c.argv[j], c.argl[j], b"weights", 7):
                j += 1
                remaining -= 1
                for i in range(setnum):
                    if not string2d(c.argv[j], c.argl[j], &srcs[i].weight):
                        return c.error_cstr(ERR_WEIGHT_NOT_FLOAT)
                    j += 1
                    remaining -= 1
            elif op != OP_DIFF and remaining >= 2 and \
                    arg_is(c.argv[j], c.argl[j], b"aggregate", 9):
                j += 1
                if arg_is(c.argv[j], c.argl[j], b"sum", 3):
                    agg = AGG_SUM
                elif arg_is(c.argv[j], c.argl[j], b"min", 3):
                    agg = AGG_MIN
                elif arg_is(c.argv[j], c.argl[j], b"max", 3):
                    agg = AGG_MAX
                else:
                    return syntax_error(c)
                j += 1
                remaining -= 2
            elif not store and arg_is(c.argv[j], c.argl[j], b"withscores", 10):
                withscores = True
                j += 1
                remaining -= 1
            else:
                return syntax_error(c)
        if op != OP_DIFF:
            qsort(srcs, setnum, sizeof(Src), cmp_src)
        a.zs = zsl_new()
        a.srcs = srcs
        a.nsrc = setnum
        a.op = op
        a.agg = agg
        a.maxlen = 0
        a.count = 0
        a.limit = limit if limit > 0 else 0
        a.card = cardonly
        try:
            if op == OP_UNION:
                for i in range(setnum):
                    walk_src(&a, i)
            elif srcs[0].e != NULL and srcs[0].len > 0:
                if op == OP_DIFF or cardonly:
                    walk_src(&a, 0)
                else:
                    for i in range(1, setnum):
                        if srcs[i].e == NULL:
                            break
                    else:
                        walk_src(&a, 0)
            if cardonly:
                zsl_free(a.zs)
                a.zs = NULL
                return reply_int(&c.out, a.count)
            build_list(a.zs)
        except BaseException:
            if a.zs != NULL:
                zsl_free(a.zs)
            raise
        zs = a.zs
        n = <long long>zs.length
        if not store:
            ne = entry_new(b"", 0, 0)
            ne.v.p = zs
            entry_set_type(ne, T_ZSET, ENC_SKIPLIST)
            try:
                reply_ranks(c, ne, 0, n, False, withscores)
            finally:
                zset_free_value(ne)
                free(ne)
            return 0
        if n == 0:
            zsl_free(zs)
            store_entry(c, 1, NULL, NULL)
            return reply_int(&c.out, 0)
        try:
            ne = entry_new(c.argv[1], c.argl[1], 0)
        except BaseException:
            zsl_free(zs)
            raise
        ne.v.p = zs
        entry_set_type(ne, T_ZSET, ENC_SKIPLIST)
        try:
            if (n <= c.db.st.zset_max_listpack_entries and
                    <long long>a.maxlen <= c.db.st.zset_max_listpack_value):
                to_listpack(ne)
        except BaseException:
            zset_free_value(ne)
            free(ne)
            raise
        store_entry(c, 1, ne, b"zunionstore" if op == OP_UNION else
                    (b"zinterstore" if op == OP_INTER else b"zdiffstore"))
        return reply_int(&c.out, n)
    finally:
        free(srcs)


# ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]
#     [WITHSCORES]
cdef int cmd_zunion(Client c) except -1:
    return zsetop_generic(c, 0, 1, OP_UNION, False)


cdef int cmd_zinter(Client c) except -1:
    return zsetop_generic(c, 0, 1, OP_INTER, False)


cdef int cmd_zdiff(Client c) except -1:
    return zsetop_generic(c, 0, 1, OP_DIFF, False)


cdef int cmd_zunionstore(Client c) except -1:
    return zsetop_generic(c, 1, 2, OP_UNION, False)


cdef int cmd_zinterstore(Client c) except -1:
    return zsetop_generic(c, 1, 2, OP_INTER, False)


cdef int cmd_zdiffstore(Client c) except -1:
    return zsetop_generic(c, 1, 2, OP_DIFF, False)


# ZINTERCARD numkeys key [key ...] [LIMIT limit]
cdef int cmd_zintercard(Client c) except -1:
    return zsetop_generic(c, 0, 1, OP_INTER, True)


# =============================================================================================
# ZSCAN
# =============================================================================================

cdef size_t score_text_lp(char* buf, double d) noexcept:
    """A listpack score as Redis stores it (text): an integer when exact, else %.17g."""
    cdef int n
    if isinf(d):
        n = snprintf(buf, 64, b"%s", b"-inf" if d < 0 else b"inf")
    elif d == 0:
        n = snprintf(buf, 64, b"0")
    elif -4611686018427387903.0 <= d <= 4611686018427387903.0 and d == <double>(<long long>d):
        n = snprintf(buf, 64, b"%lld", <long long>d)
    else:
        n = snprintf(buf, 64, b"%.17g", d)
    return <size_t>n


cdef size_t score_text_sk(char* buf, double d) noexcept:
    cdef int n
    if isinf(d):
        n = snprintf(buf, 64, b"%s", b"-inf" if d < 0 else b"inf")
    else:
        n = snprintf(buf, 64, b"%.17Lg", <long double>d)
    return <size_t>n


cdef struct ScanCol:
    Entry** items
    size_t n, cap


cdef void scan_collect(void* ctx, void* entry) except *:
    cdef ScanCol* col = <ScanCol*>ctx
    cdef Entry** grown
    if col.n == col.cap:
        col.cap = col.cap * 2 if col.cap else 32
        grown = <Entry**>realloc(col.items, col.cap * sizeof(Entry*))
        if grown == NULL:
            raise MemoryError()
        col.items = grown
    col.items[col.n] = <Entry*>entry
    col.n += 1


# ZSCAN key cursor [MATCH pattern] [COUNT count]
cdef int cmd_zscan(Client c) except -1:
    cdef unsigned long long cursor
    cdef long long count = 10, budget, n = 0
    cdef const char* pat = NULL
    cdef size_t plen = 0, at, i, mn
    cdef int j = 3
    cdef bint bad
    cdef Entry* e
    cdef char numbuf[LONG_STR_SIZE]
    cdef char sbuf[64]
    cdef ScanCol col
    cdef ZSkip* zs
    cdef LP* lp
    cdef lpos p
    cdef const char* m
    cdef double s
    if not parse_scan_cursor(c.argv[2], c.argl[2], &cursor):
        return c.error_cstr(ERR_INVALID_CURSOR)
    e = read_zset(c, 1, &bad)
    if bad:
        return 0
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
    if is_lp(e):
        lp = <LP*>e.v.p
        reply_array(&c.out, 2)
        reply_bulk(&c.out, b"0", 1)
        at = reply_defer(&c.out)
        p = lp_first(lp)
        while p != NULL:
            m = lp_get(p, &mn)
            p = lp_skip(p)
            s = lp_score_at(p)
            p = lp_skip(p)
            if p >= lp_end(lp):
                p = NULL
            if pat != NULL and not glob_match(pat, plen, m, mn, False):
                continue
            reply_bulk(&c.out, m, mn)
            reply_bulk(&c.out, sbuf, score_text_lp(sbuf, s))
            n += 2
        return reply_set_deferred_array(&c.out, at, n)
    zs = <ZSkip*>e.v.p
    col.items = NULL
    col.n = col.cap = 0
    budget = count * 10 if count <= 922337203685477580LL else LLONG_MAX_V
    try:
        while True:
            cursor = dict_scan(zs.dict, cursor, scan_collect, &col)
            if not cursor:
                break
            budget -= 1
            if budget < 0 or col.n >= <size_t>count:
                break
        reply_array(&c.out, 2)
        reply_bulk(&c.out, numbuf, ull2string(numbuf, cursor))
        at = reply_defer(&c.out)
        for i in range(col.n):
            m = entry_key(col.items[i])
            mn = entry_keylen(col.items[i])
            if pat != NULL and not glob_match(pat, plen, m, mn, False):
                continue
            reply_bulk(&c.out, m, mn)
            reply_bulk(&c.out, sbuf, score_text_sk(sbuf, (<ZNode*>col.items[i].v.p).score))
            n += 2
        reply_set_deferred_array(&c.out, at, n)
    finally:
        free(col.items)
    return 0


HANDLERS = {
    "zadd": native(cmd_zadd),
    "zincrby": native(cmd_zincrby),
    "zrem": native(cmd_zrem),
    "zcard": native(cmd_zcard),
    "zscore": native(cmd_zscore),
    "zmscore": native(cmd_zmscore),
    "zrank": native(cmd_zrank),
    "zrevrank": native(cmd_zrevrank),
    "zcount": native(cmd_zcount),
    "zlexcount": native(cmd_zlexcount),
    "zrange": native(cmd_zrange),
    "zrangestore": native(cmd_zrangestore),
    "zrevrange": native(cmd_zrevrange),
    "zrangebyscore": native(cmd_zrangebyscore),
    "zrevrangebyscore": native(cmd_zrevrangebyscore),
    "zrangebylex": native(cmd_zrangebylex),
    "zrevrangebylex": native(cmd_zrevrangebylex),
    "zremrangebyrank": native(cmd_zremrangebyrank),
    "zremrangebyscore": native(cmd_zremrangebyscore),
    "zremrangebylex": native(cmd_zremrangebylex),
    "zpopmin": native(cmd_zpopmin),
    "zpopmax": native(cmd_zpopmax),
    "zmpop": native(cmd_zmpop),
    "bzpopmin": native(cmd_bzpopmin),
    "bzpopmax": native(cmd_bzpopmax),
    "bzmpop": native(cmd_bzmpop),
    "zrandmember": native(cmd_zrandmember),
    "zunion": native(cmd_zunion),
    "zinter": native(cmd_zinter),
    "zdiff": native(cmd_zdiff),
    "zunionstore": native(cmd_zunionstore),
    "zinterstore": native(cmd_zinterstore),
    "zdiffstore": native(cmd_zdiffstore),
    "zintercard": native(cmd_zintercard),
    "zscan": native(cmd_zscan),
}
