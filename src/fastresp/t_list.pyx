# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The list commands, with Redis 7.0's replies and errors. No Python runs per request.

The quicklist
=============
A list is a QList: a doubly linked list of QNodes, each holding a listpack (fastresp.listpack)
of consecutive elements, plus the total element count. OBJECT ENCODING prints "quicklist" for
every list, as Redis 7.0.15 does.

    QList (24 bytes): head, tail, count
    QNode (24 bytes): prev, next, lp        lp: LP header (8 bytes) + elements (2 bytes of
                                            overhead each for elements up to 127 bytes)

A small list is thus three small heap blocks (QList, one QNode, its listpack), about what Redis
spends (robj + quicklist + quicklistNode + listpack).

Node size. A node takes another element while list-max-listpack-size allows it: a negative
value -1..-5 caps the listpack at 4/8/16/32/64 KB (values below -5 count as -5), a positive one
caps the element count (and the bytes at 8 KB, Redis's safety limit). An element that does not
fit a node with room for nothing else gets a node of its own. Pushes at either end fill the end
node or add a new one (O(1)); pops empty the end node and free it. list-compress-depth is not
implemented (nodes are never compressed).

Positions. An index is found by walking the nodes from the nearer end, counting whole nodes
by their listpack's count, then walking inside one listpack from its nearer end. LRANGE and
LPOS then go on element by element, node by node; LRANGE writes each bulk string straight from
the listpack's bytes.

Inserting in the middle (LINSERT, LSET with a longer value) goes into the node when it has
room, else into the neighbour when the position is at the node's edge and the neighbour has
room, else the node is split at the position. Deleting frees nodes that become empty.

Blocking pops. The pops are functions taking the Entry and the side that write the reply
(list_pop_reply, list_mpop_reply, list_move; list_popped does the bookkeeping after a pop).
BLPOP, BRPOP, BLMPOP, BLMOVE and BRPOPLPUSH pop at once when a key has data; else they block
the client through the core's block_for_keys, and the core runs the same handler again when one
of the keys gets a list (a blocked command run again skips keys of other types). Inside
MULTI/EXEC they do not block: the pops reply a null array, the moves a null bulk, as Redis.

Events. Every write emits Redis 7.0's keyspace notifications in Redis's order and signals
WATCHers through cmdutil.key_event: lpush/rpush once per command, lpop/rpop once per pop
command, linsert, lset, lrem (when something was removed), ltrim, then `del` (generic) when
the list was emptied; LMOVE emits the destination's push before the source's pop.

The value object never points back at its Entry (RENAME/MOVE move it); the type ops registered
at import free it and deep-copy it (COPY). HANDLERS maps each command name to its handler;
pyredis.commands.lists declares the commands.
"""
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy
from libc.limits cimport LLONG_MIN
from libc.stdint cimport uint64_t, uint32_t

from fastresp.core cimport (propagating, Client, native, block_for_keys, ready_key_position,
                            CLIENT_REPROCESSING, propagate_instead,
                            propagate_key_count_op)
from fastresp.cmdutil cimport (wrongtype, syntax_error, arg_ll, error_with_command, key_changed,
                              index_range, key_event, arg_timeout)
from fastresp.keyspace cimport (Entry, Db, KsState, T_LIST, ENC_QUICKLIST, LOOKUP_NONE,
                                LOOKUP_WRITE, lookup, entry_type, entry_key, entry_keylen,
                                entry_new, entry_set_type, db_insert, db_add, db_unlink_free,
                                db_delete, elem_fn, notify_event,
                                NOTIFY_LIST, NOTIFY_GENERIC)
from fastresp.listpack cimport (LP, lpos, lp_new, lp_free, lp_dup, lp_start, lp_end, lp_first,
                                lp_last, lp_next, lp_prev, lp_skip, lp_get, lp_seek,
                                lp_insert, lp_append, lp_prepend, lp_replace, lp_delete,
                                lp_find, lp_equals, lp_entry_size)
from fastresp.reply cimport (reply_null, reply_null_array, reply_int, reply_bulk,
                             reply_array, reply_ok, reply_defer, reply_set_deferred_array)
from fastresp.util cimport string2ll, arg_is
from fastresp.includes.errors cimport (ERR_ARITY_FMT, ERR_COUNT_NEGATIVE, ERR_COUNT_POSITIVE,
                                       ERR_INDEX_RANGE, ERR_MAXLEN_NEGATIVE, ERR_NO_SUCH_KEY,
                                       ERR_NUMKEYS_POSITIVE, ERR_RANK_ZERO, ERR_VALUE_POSITIVE)


cdef enum:
    SIZE_SAFETY_LIMIT = 8192       # bytes of a node when list-max-listpack-size counts elements
    FILL_MAX = 1 << 15             # largest element count per node (Redis clamps to this)
    MOVE_STACK_BUF = 256           # LMOVE copies an element this long on the stack

cdef size_t[5] NODE_SIZE_LIMIT = [4096, 8192, 16384, 32768, 65536]


cdef struct QNode:
    QNode* prev
    QNode* next
    LP* lp

cdef struct QList:
    QNode* head
    QNode* tail
    size_t count


# =============================================================================================
# The quicklist
# =============================================================================================

cdef inline QList* _ql(Entry* e) noexcept:
    return <QList*>e.v.p


cdef inline bint _fits(KsState* st, QNode* node, size_t add) noexcept:
    """Whether node may take one more element of `add` bytes (its listpack entry size)."""
    cdef int fill = st.list_max_listpack_size
    cdef size_t size
    if node.lp.count == 0:
        return True
    size = sizeof(LP) + node.lp.bytes + add
    if fill >= 0:
        if fill > FILL_MAX:
            fill = FILL_MAX
        return node.lp.count < <uint32_t>fill and size <= SIZE_SAFETY_LIMIT
    if fill < -5:
        fill = -5
    return size <= NODE_SIZE_LIMIT[-fill - 1]


cdef inline bint _over(KsState* st, QNode* node) noexcept:
    """Whether node holds more than one element and exceeds the size limit."""
    cdef int fill = st.list_max_listpack_size
    cdef size_t size
    if node.lp.count <= 1:
        return False
    size = sizeof(LP) + node.lp.bytes
    if fill >= 0:
        if fill > FILL_MAX:
            fill = FILL_MAX
        return node.lp.count > <uint32_t>fill or size > SIZE_SAFETY_LIMIT
    if fill < -5:
        fill = -5
    return size > NODE_SIZE_LIMIT[-fill - 1]


cdef QNode* _node_new(size_t reserve) except NULL:
    cdef LP* lp = lp_new(reserve)
    cdef QNode* node = <QNode*>malloc(sizeof(QNode))
    if node == NULL:
        lp_free(lp)
        raise MemoryError()
    node.prev = NULL
    node.next = NULL
    node.lp = lp
    return node


cdef inline void _link_after(QList* q, QNode* at, QNode* node) noexcept:
    """Link node after `at` (at NULL: as the new head)."""
    if at == NULL:
        node.prev = NULL
        node.next = q.head
        if q.head != NULL:
            q.head.prev = node
        else:
            q.tail = node
        q.head = node
        return
    node.prev = at
    node.next = at.next
    if at.next != NULL:
        at.next.prev = node
    else:
        q.tail = node
    at.next = node


cdef inline void _link_before(QList* q, QNode* at, QNode* node) noexcept:
    """Link node before `at` (at NULL: as the new tail)."""
    if at == NULL:
        _link_after(q, q.tail, node)
    else:
        _link_after(q, at.prev, node)


cdef inline void _unlink_free(QList* q, QNode* node) noexcept:
    if node.prev != NULL:
        node.prev.next = node.next
    else:
        q.head = node.next
    if node.next != NULL:
        node.next.prev = node.prev
    else:
        q.tail = node.prev
    lp_free(node.lp)
    free(node)


cdef QList* _ql_new() except NULL:
    cdef QList* q = <QList*>malloc(sizeof(QList))
    if q == NULL:
        raise MemoryError()
    q.head = NULL
    q.tail = NULL
    q.count = 0
    return q


cdef void _ql_free(QList* q) noexcept:
    cdef QNode* node = q.head
    cdef QNode* nxt
    while node != NULL:
        nxt = node.next
        lp_free(node.lp)
        free(node)
        node = nxt
    free(q)


cdef QList* _ql_dup(QList* q) except NULL:
    cdef QList* out = _ql_new()
    cdef QNode* node = q.head
    cdef QNode* copy
    try:
        while node != NULL:
            copy = <QNode*>malloc(sizeof(QNode))
            if copy == NULL:
                raise MemoryError()
            try:
                copy.lp = lp_dup(node.lp)
            except BaseException:
                free(copy)
                raise
            _link_after(out, out.tail, copy)
            out.count += node.lp.count
            node = node.next
    except BaseException:
        _ql_free(out)
        raise
    return out


cdef int _ql_push(KsState* st, QList* q, const char* s, size_t n, bint tail) except -1:
    """Add s at the head or the tail: O(1)."""
    cdef QNode* node = q.tail if tail else q.head
    cdef size_t size = lp_entry_size(n)
    if node == NULL or not _fits(st, node, size):
        node = _node_new(size)
        if tail:
            _link_after(q, q.tail, node)
        else:
            _link_after(q, NULL, node)
    if tail:
        lp_append(&node.lp, s, n)
    else:
        lp_prepend(&node.lp, s, n)
    q.count += 1
    return 0


cdef QNode* _locate(QList* q, long long index, lpos* pp) noexcept:
    """The node holding element `index` (0 <= index < count) and its position there, walking
    from the nearer end."""
    cdef QNode* node
    cdef long long i
    if <size_t>index < q.count // 2:
        node = q.head
        i = index
        while i >= node.lp.count:
            i -= node.lp.count
            node = node.next
    else:
        node = q.tail
        i = <long long>q.count - 1 - index      # from the end
        while i >= node.lp.count:
            i -= node.lp.count
            node = node.prev
        i = <long long>node.lp.count - 1 - i
    pp[0] = lp_seek(node.lp, i)
    return node


cdef QNode* _split(QList* q, QNode* node, lpos at) except NULL:
    """Move the elements from `at` on into a new node after `node`; returns the new node."""
    cdef LP* lp = node.lp
    cdef size_t nbytes = lp_end(lp) - at
    cdef uint32_t moved = 0
    cdef lpos p = at
    cdef lpos end = lp_end(lp)
    cdef QNode* right
    while p < end:
        p = lp_skip(p)
        moved += 1
    right = _node_new(nbytes)
    memcpy(lp_start(right.lp), at, nbytes)
    right.lp.bytes = <uint32_t>nbytes
    right.lp.count = moved
    lp_delete(&node.lp, at, moved)
    _link_after(q, node, right)
    return right


cdef int _insert_at(KsState* st, QList* q, QNode* node, lpos at, const char* s,
                    size_t n) except -1:
    """Insert s before position `at` of node (lp_end: after its last element)."""
    cdef size_t size = lp_entry_size(n)
    cdef bint at_start = at == lp_start(node.lp)
    cdef bint at_end = at == lp_end(node.lp)
    cdef QNode* other
    if _fits(st, node, size):
        lp_insert(&node.lp, at, s, n)
    elif at_end and node.next != NULL and _fits(st, node.next, size):
        lp_prepend(&node.next.lp, s, n)
    elif at_start and node.prev != NULL and _fits(st, node.prev, size):
        lp_append(&node.prev.lp, s, n)
    elif at_end or at_start:
        other = _node_new(size)
        lp_append(&other.lp, s, n)
        if at_end:
            _link_after(q, node, other)
        else:
            _link_before(q, node, other)
    else:
        other = _split(q, node, at)
        if _fits(st, node, size):
            lp_append(&node.lp, s, n)
        elif _fits(st, other, size):
            lp_prepend(&other.lp, s, n)
        else:
            other = _node_new(size)
            lp_append(&other.lp, s, n)
            _link_after(q, node, other)
    q.count += 1
    return 0


cdef int _replace_at(KsState* st, QList* q, QNode* node, lpos at, const char* s,
                     size_t n) except -1:
    """Replace the element at `at` with s, splitting the node when it grows past its limit."""
    at = lp_replace(&node.lp, at, s, n)
    if _over(st, node):
        if at != lp_start(node.lp):
            node = _split(q, node, at)
            at = lp_start(node.lp)
        if _over(st, node):
            _split(q, node, lp_skip(at))
    return 0


cdef int _delete_ends(QList* q, size_t k, bint tail) except -1:
    """Delete k (<= count) elements from the head or the tail, whole nodes at a time."""
    cdef QNode* node
    cdef size_t take, cnt
    cdef lpos p
    while k > 0:
        node = q.tail if tail else q.head
        cnt = node.lp.count
        if k >= cnt:
            _unlink_free(q, node)
            q.count -= cnt
            k -= cnt
            continue
        if tail:
            p = lp_seek(node.lp, <long long>(cnt - k))
        else:
            p = lp_start(node.lp)
        lp_delete(&node.lp, p, k)
        q.count -= k
        k = 0
    return 0


# =============================================================================================
# The type API (t_list.pxd): SORT ... STORE, blocking pops, persistence
# =============================================================================================

cdef Entry* list_new_entry(const char* k, size_t n) except NULL:
    """An empty list (detached)."""
    cdef Entry* e = entry_new(k, n, 0)
    try:
        e.v.p = _ql_new()
    except BaseException:
        free(e)
        raise
    entry_set_type(e, T_LIST, ENC_QUICKLIST)
    return e


cdef int list_push(KsState* st, Entry* e, const char* s, size_t n, bint tail) except -1:
    return _ql_push(st, _ql(e), s, n, tail)


cdef long long list_length(Entry* e) noexcept:
    return <long long>_ql(e).count


cdef int list_foreach(Entry* e, elem_fn fn, void* ctx) except -1:
    cdef QNode* node = _ql(e).head
    cdef lpos p
    cdef const char* s
    cdef size_t n
    while node != NULL:
        p = lp_first(node.lp)
        while p != NULL:
            s = lp_get(p, &n)
            fn(ctx, s, n)
            p = lp_next(node.lp, p)
        node = node.next
    return 0


cdef int list_pop_reply(Client c, Entry* e, bint tail, long long count) except -1:
    """Pop from the head or the tail of a non-empty list and reply: one bulk string when
    count < 0, else an array of up to count elements. The caller deletes an emptied key
    (list_delete_if_empty)."""
    cdef QList* q = _ql(e)
    cdef QNode* node
    cdef lpos p
    cdef const char* s
    cdef size_t n, k, i, cnt
    if count < 0:
        node = q.tail if tail else q.head
        p = lp_last(node.lp) if tail else lp_start(node.lp)
        s = lp_get(p, &n)
        reply_bulk(&c.out, s, n)
        if node.lp.count == 1:
            _unlink_free(q, node)
        else:
            lp_delete(&node.lp, p, 1)
        q.count -= 1
        return 0
    if <unsigned long long>count > q.count:
        count = <long long>q.count
    reply_array(&c.out, count)
    k = <size_t>count
    while k > 0:
        node = q.tail if tail else q.head
        cnt = node.lp.count
        if tail:
            p = lp_last(node.lp)
            i = 0
            while i < k and i < cnt:
                s = lp_get(p, &n)
                reply_bulk(&c.out, s, n)
                i += 1
                if i < k and i < cnt:
                    p = lp_prev(node.lp, p)
        else:
            p = lp_start(node.lp)
            i = 0
            while i < k and i < cnt:
                s = lp_get(p, &n)
                reply_bulk(&c.out, s, n)
                p += lp_entry_size(n)
                i += 1
            p = lp_start(node.lp)
        if i == cnt:
            _unlink_free(q, node)
        else:
            lp_delete(&node.lp, p, i)
        q.count -= i
        k -= i
    return 0


cdef int list_mpop_reply(Client c, Entry* e, bint tail, long long count) except -1:
    """LMPOP's reply for a non-empty list: [key, [elements]] (up to count popped)."""
    reply_array(&c.out, 2)
    reply_bulk(&c.out, entry_key(e), entry_keylen(e))
    return list_pop_reply(c, e, tail, count)


cdef bint list_delete_if_empty(Db* db, Entry* e) noexcept:
    """Delete the key of an emptied list (Redis never keeps an empty aggregate)."""
    if _ql(e).count != 0:
        return False
    notify_event(db, NOTIFY_GENERIC, b"del", entry_key(e), entry_keylen(e))
    db_delete(db, entry_key(e), entry_keylen(e))
    return True


cdef int list_popped(Client c, Entry* e, Entry** link, uint64_t h, bint tail) except -1:
    """The bookkeeping after list_pop_reply/list_mpop_reply popped from e (found through
    link/h): the `lpop`/`rpop` event (WATCHers fail), the dirty count, and the deletion of an
    emptied key with its `del` event."""
    key_event(c, NOTIFY_LIST, b"rpop" if tail else b"lpop", entry_key(e), entry_keylen(e))
    key_changed(c, 1)
    if _ql(e).count == 0:
        notify_event(c.db, NOTIFY_GENERIC, b"del", entry_key(e), entry_keylen(e))
        db_unlink_free(c.db, e, link, h)
    return 0


cdef int list_move(Client c, Entry* src, const char* dk, size_t dn, bint from_tail,
                   bint to_tail) except -1:
    """LMOVE's step on a non-empty source list: pop from src, push to list dk (created when
    missing) and reply with the element. Replies WRONGTYPE (and returns 1) when dk holds
    another type; nothing changes then."""
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* dst = lookup(c.db, dk, dn, LOOKUP_WRITE, &h, &link)
    cdef QList* q = _ql(src)
    cdef QNode* node
    cdef lpos p
    cdef const char* s
    cdef size_t n
    cdef char stackbuf[MOVE_STACK_BUF]
    cdef char* buf = stackbuf
    if dst != NULL and entry_type(dst) != T_LIST:
        return wrongtype(c)
    node = q.tail if from_tail else q.head
    p = lp_last(node.lp) if from_tail else lp_start(node.lp)
    s = lp_get(p, &n)
    if n > MOVE_STACK_BUF:
        buf = <char*>malloc(n)
        if buf == NULL:
            raise MemoryError()
    try:
        memcpy(buf, s, n)
        # pop first (the bytes are copied): a same-key move then needs no special case
        _pop_end(q, from_tail)
        if dst == NULL:
            dst = list_new_entry(dk, dn)
            try:
                db_add(c.db, dst, h)
            except BaseException:
                _ql_free(_ql(dst))
                free(dst)
                raise
        _ql_push(c.db.st, _ql(dst), buf, n, to_tail)
        reply_bulk(&c.out, buf, n)
    finally:
        if buf != stackbuf:
            free(buf)
    # Redis's order: the destination's push, then the source's pop (and its deletion)
    key_event(c, NOTIFY_LIST, b"rpush" if to_tail else b"lpush", dk, dn)
    key_event(c, NOTIFY_LIST, b"rpop" if from_tail else b"lpop", entry_key(src),
              entry_keylen(src))
    key_changed(c, 2 if src != dst else 1)
    list_delete_if_empty(c.db, src)
    return 0


cdef int _pop_end(QList* q, bint tail) except -1:
    """Delete the head or the tail element of a non-empty list."""
    cdef QNode* node = q.tail if tail else q.head
    if node.lp.count == 1:
        _unlink_free(q, node)
    else:
        lp_delete(&node.lp, lp_last(node.lp) if tail else lp_start(node.lp), 1)
    q.count -= 1
    return 0


cdef void list_free_value(Entry* e) noexcept:
    _ql_free(_ql(e))
    e.v.p = NULL


cdef int list_dup_value(Entry* src, Entry* dst) except -1:
    dst.v.p = _ql_dup(_ql(src))
    return 0


# =============================================================================================
# Shared pieces of the handlers
# =============================================================================================

cdef inline int _side(Client c, int i, bint* tail) noexcept:
    """LEFT/RIGHT at argument i: 0 and *tail, or 1 (not a side; nothing replied)."""
    if arg_is(c.argv[i], c.argl[i], b"left", 4):
        tail[0] = False
        return 0
    if arg_is(c.argv[i], c.argl[i], b"right", 5):
        tail[0] = True
        return 0
    return 1


# =============================================================================================
# Handlers
# =============================================================================================

cdef int _push(Client c, bint tail, bint only_existing) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    cdef QList* q
    cdef KsState* st = c.db.st
    cdef int i
    if e == NULL:
        if only_existing:
            return reply_int(&c.out, 0)
        e = list_new_entry(c.argv[1], c.argl[1])
        try:
            db_add(c.db, e, h)
        except BaseException:
            list_free_value(e)
            free(e)
            raise
    elif entry_type(e) != T_LIST:
        return wrongtype(c)
    q = _ql(e)
    for i in range(2, c.argc):
        _ql_push(st, q, c.argv[i], c.argl[i], tail)
    key_event(c, NOTIFY_LIST, b"rpush" if tail else b"lpush", c.argv[1], c.argl[1])
    key_changed(c, c.argc - 2)
    return reply_int(&c.out, <long long>q.count)


# LPUSH key element [element ...]
cdef int cmd_lpush(Client c) except -1:
    return _push(c, False, False)


# RPUSH key element [element ...]
cdef int cmd_rpush(Client c) except -1:
    return _push(c, True, False)


# LPUSHX key element [element ...]
cdef int cmd_lpushx(Client c) except -1:
    return _push(c, False, True)


# RPUSHX key element [element ...]
cdef int cmd_rpushx(Client c) except -1:
    return _push(c, True, True)


cdef int _pop(Client c, bint tail) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef long long count = -1
    if c.argc > 3:
        return error_with_command(c, ERR_ARITY_FMT)
    if c.argc == 3:
        if not string2ll(c.argv[2], c.argl[2], &count) or count < 0:
            return c.error_cstr(ERR_VALUE_POSITIVE)
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        if count < 0:
            return reply_null(&c.out)
        return reply_null_array(&c.out)
    if entry_type(e) != T_LIST:
        return wrongtype(c)
    if count == 0:
        return reply_array(&c.out, 0)
    list_pop_reply(c, e, tail, count)
    return list_popped(c, e, link, h, tail)


# LPOP key [count]
cdef int cmd_lpop(Client c) except -1:
    return _pop(c, False)


# RPOP key [count]
cdef int cmd_rpop(Client c) except -1:
    return _pop(c, True)


# LLEN key
cdef int cmd_llen(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, &link)
    if e == NULL:
        return reply_int(&c.out, 0)
    if entry_type(e) != T_LIST:
        return wrongtype(c)
    return reply_int(&c.out, <long long>_ql(e).count)


# LRANGE key start stop
cdef int cmd_lrange(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef long long start, end, k
    cdef QList* q
    cdef QNode* node
    cdef lpos p
    cdef lpos stop
    cdef const char* s
    cdef size_t n
    if arg_ll(c, 2, &start) or arg_ll(c, 3, &end):
        return 0
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, &link)
    if e == NULL:
        return reply_array(&c.out, 0)
    if entry_type(e) != T_LIST:
        return wrongtype(c)
    q = _ql(e)
    if not index_range(&start, &end, <long long>q.count):
        return reply_array(&c.out, 0)
    k = end - start + 1
    reply_array(&c.out, k)
    node = _locate(q, start, &p)
    while True:
        stop = lp_end(node.lp)
        while p < stop:
            s = lp_get(p, &n)
            reply_bulk(&c.out, s, n)
            k -= 1
            if k == 0:
                return 0
            p += lp_entry_size(n)
        node = node.next
        p = lp_start(node.lp)


# LINDEX key index
cdef int cmd_lindex(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef long long index
    cdef QList* q
    cdef lpos p
    cdef const char* s
    cdef size_t n
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, &link)
    if e == NULL:
        return reply_null(&c.out)
    if entry_type(e) != T_LIST:
        return wrongtype(c)
    if arg_ll(c, 2, &index):
        return 0
    q = _ql(e)
    if index < 0:
        index += <long long>q.count
    if index < 0 or index >= <long long>q.count:
        return reply_null(&c.out)
    _locate(q, index, &p)
    s = lp_get(p, &n)
    return reply_bulk(&c.out, s, n)


# LSET key index element
cdef int cmd_lset(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef long long index
    cdef QList* q
    cdef QNode* node
    cdef lpos p
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        return c.error_cstr(ERR_NO_SUCH_KEY)
    if entry_type(e) != T_LIST:
        return wrongtype(c)
    if arg_ll(c, 2, &index):
        return 0
    q = _ql(e)
    if index < 0:
        index += <long long>q.count
    if index < 0 or index >= <long long>q.count:
        return c.error_cstr(ERR_INDEX_RANGE)
    node = _locate(q, index, &p)
    _replace_at(c.db.st, q, node, p, c.argv[3], c.argl[3])
    key_event(c, NOTIFY_LIST, b"lset", c.argv[1], c.argl[1])
    key_changed(c, 1)
    return reply_ok(&c.out)


# LINSERT key BEFORE | AFTER pivot element
cdef int cmd_linsert(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef bint after
    cdef QList* q
    cdef QNode* node
    cdef lpos p = NULL
    if arg_is(c.argv[2], c.argl[2], b"after", 5):
        after = True
    elif arg_is(c.argv[2], c.argl[2], b"before", 6):
        after = False
    else:
        return syntax_error(c)
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        return reply_int(&c.out, 0)
    if entry_type(e) != T_LIST:
        return wrongtype(c)
    q = _ql(e)
    node = q.head
    while node != NULL:
        p = lp_find(node.lp, lp_first(node.lp), c.argv[3], c.argl[3], 0)
        if p != NULL:
            break
        node = node.next
    if node == NULL:
        return reply_int(&c.out, -1)
    if after:
        p = lp_skip(p)
    _insert_at(c.db.st, q, node, p, c.argv[4], c.argl[4])
    key_event(c, NOTIFY_LIST, b"linsert", c.argv[1], c.argl[1])
    key_changed(c, 1)
    return reply_int(&c.out, <long long>q.count)


# LREM key count element
cdef int cmd_lrem(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef long long count, removed = 0
    cdef QList* q
    cdef QNode* node
    cdef QNode* other
    cdef lpos p
    cdef const char* s = c.argv[3]
    cdef size_t n = c.argl[3]
    cdef bint tail
    if arg_ll(c, 2, &count):
        return 0
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        return reply_int(&c.out, 0)
    if entry_type(e) != T_LIST:
        return wrongtype(c)
    q = _ql(e)
    tail = count < 0
    if tail:
        # Redis negates LLONG_MIN into itself, which no removal count reaches: no limit
        count = 0 if count == LLONG_MIN else -count
    node = q.tail if tail else q.head
    while node != NULL:
        other = node.prev if tail else node.next
        if tail:
            p = lp_last(node.lp)
            while p != NULL:
                if lp_equals(p, s, n):
                    p = lp_delete(&node.lp, p, 1)
                    removed += 1
                    if removed == count:
                        break
                p = lp_prev(node.lp, p)
        else:
            p = lp_first(node.lp)
            while p != NULL:
                if lp_equals(p, s, n):
                    p = lp_delete(&node.lp, p, 1)
                    removed += 1
                    if removed == count:
                        break
                    if p >= lp_end(node.lp):
                        break
                else:
                    p = lp_next(node.lp, p)
        if node.lp.count == 0:
            _unlink_free(q, node)
        if removed == count and count > 0:
            break
        node = other
    q.count -= <size_t>removed
    if removed:
        key_event(c, NOTIFY_LIST, b"lrem", c.argv[1], c.argl[1])
        key_changed(c, 1)
        if q.count == 0:
            notify_event(c.db, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
            db_unlink_free(c.db, e, link, h)
    return reply_int(&c.out, removed)


# LTRIM key start stop
cdef int cmd_ltrim(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef long long start, end, llen, ltrim, rtrim
    cdef QList* q
    if arg_ll(c, 2, &start) or arg_ll(c, 3, &end):
        return 0
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        return reply_ok(&c.out)
    if entry_type(e) != T_LIST:
        return wrongtype(c)
    q = _ql(e)
    llen = <long long>q.count
    if not index_range(&start, &end, llen):
        ltrim = llen
        rtrim = 0
    else:
        ltrim = start
        rtrim = llen - end - 1
    _delete_ends(q, <size_t>ltrim, False)
    _delete_ends(q, <size_t>rtrim, True)
    key_event(c, NOTIFY_LIST, b"ltrim", c.argv[1], c.argl[1])
    if ltrim + rtrim:
        key_changed(c, 1)       # as Redis: nothing trimmed, nothing to save or record
    if q.count == 0:
        notify_event(c.db, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
        db_unlink_free(c.db, e, link, h)
    return reply_ok(&c.out)


# LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
cdef int cmd_lpos(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef long long rank = 1, count = -1, maxlen = 0, v
    cdef long long matches = 0, found = 0, index = 0, llen
    cdef bint tail = False, unlimited = False
    cdef int i = 3
    cdef QList* q
    cdef QNode* node
    cdef lpos p
    cdef const char* s = c.argv[2]
    cdef size_t n = c.argl[2]
    cdef size_t at = 0
    while i < c.argc:
        if i + 1 >= c.argc:
            return syntax_error(c)
        if arg_is(c.argv[i], c.argl[i], b"rank", 4):
            if arg_ll(c, i + 1, &rank):
                return 0
            if rank == 0:
                return c.error_cstr(ERR_RANK_ZERO)
        elif arg_is(c.argv[i], c.argl[i], b"count", 5):
            if not string2ll(c.argv[i + 1], c.argl[i + 1], &v) or v < 0:
                return c.error_cstr(ERR_COUNT_NEGATIVE)
            count = v
        elif arg_is(c.argv[i], c.argl[i], b"maxlen", 6):
            if not string2ll(c.argv[i + 1], c.argl[i + 1], &v) or v < 0:
                return c.error_cstr(ERR_MAXLEN_NEGATIVE)
            maxlen = v
        else:
            return syntax_error(c)
        i += 2
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, &link)
    if e == NULL:
        if count >= 0:
            return reply_array(&c.out, 0)
        return reply_null(&c.out)
    if entry_type(e) != T_LIST:
        return wrongtype(c)
    if rank < 0:
        tail = True
        if rank == LLONG_MIN:
            # Redis negates the rank and overflows: every match qualifies and COUNT never
            # stops the search
            rank = 1
            unlimited = True
        else:
            rank = -rank
    q = _ql(e)
    llen = <long long>q.count
    if count >= 0:
        at = reply_defer(&c.out)
    node = q.tail if tail else q.head
    while node != NULL:
        p = lp_last(node.lp) if tail else lp_first(node.lp)
        while p != NULL:
            if maxlen != 0 and index >= maxlen:
                node = NULL
                break
            if lp_equals(p, s, n):
                matches += 1
                if matches >= rank:
                    reply_int(&c.out, llen - index - 1 if tail else index)
                    found += 1
                    if count < 0 or (count > 0 and not unlimited and found >= count):
                        node = NULL
                        break
            index += 1
            p = lp_prev(node.lp, p) if tail else lp_next(node.lp, p)
        if node == NULL:
            break
        node = node.prev if tail else node.next
    if count >= 0:
        return reply_set_deferred_array(&c.out, at, found)
    if found == 0:
        return reply_null(&c.out)
    return 0


cdef int _lmove(Client c, bint from_tail, bint to_tail) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* src = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if src == NULL:
        return reply_null(&c.out)
    if entry_type(src) != T_LIST:
        return wrongtype(c)
    list_move(c, src, c.argv[2], c.argl[2], from_tail, to_tail)
    return 0


# LMOVE source destination LEFT | RIGHT LEFT | RIGHT
cdef int cmd_lmove(Client c) except -1:
    cdef bint from_tail, to_tail
    if _side(c, 3, &from_tail) or _side(c, 4, &to_tail):
        return syntax_error(c)
    return _lmove(c, from_tail, to_tail)


# RPOPLPUSH source destination
cdef int cmd_rpoplpush(Client c) except -1:
    return _lmove(c, True, False)


cdef int _mpop_args(Client c, int at, int* first, int* nkeys, bint* tail,
                    long long* count) except -1:
    """LMPOP's arguments from argv[at] on (numkeys key [key ...] LEFT|RIGHT [COUNT count]):
    0, or 1 after replying the error."""
    cdef long long numkeys
    cdef int where, j
    count[0] = -1
    if not string2ll(c.argv[at], c.argl[at], &numkeys) or numkeys <= 0:
        c.error_cstr(ERR_NUMKEYS_POSITIVE)
        return 1
    if numkeys > c.argc - at - 2:
        return syntax_error(c)
    where = at + 1 + <int>numkeys
    if _side(c, where, tail):
        return syntax_error(c)
    j = where + 1
    while j < c.argc:
        if count[0] == -1 and j + 1 < c.argc and arg_is(c.argv[j], c.argl[j], b"count", 5):
            if not string2ll(c.argv[j + 1], c.argl[j + 1], count) or count[0] <= 0:
                c.error_cstr(ERR_COUNT_POSITIVE)
                return 1
            j += 2
        else:
            return syntax_error(c)
    if count[0] == -1:
        count[0] = 1
    first[0] = at + 1
    nkeys[0] = <int>numkeys
    return 0


cdef inline int prop_pop(Client c, int keyarg, bint tail, long long count) except -1:
    """The AOF records a served pop as LPOP/RPOP key [count] (count < 0: none)."""
    return propagate_key_count_op(c, b"RPOP" if tail else b"LPOP", 4, keyarg, count)


cdef int _pop_first(Client c, int first, int nkeys, int step, bint tail, long long count,
                    bint mpop) except -1:
    """Pop from the first non-empty list among nkeys keys at argv[first], argv[first + step]
    ...: replies [key, element] (count < 0) or [key, [elements]] (mpop) and returns 1;
    replies WRONGTYPE and returns 1 when a key before it holds another type; returns 0 (and
    replies nothing) when every key is missing. A blocked command run again because a key got
    data starts with that key and skips keys of other types (Redis serves it from the list key
    that became ready)."""
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef int i, j
    cdef bint again = (c.flags & CLIENT_REPROCESSING) != 0
    cdef int start = ready_key_position(c, first, nkeys, step)
    for i in range(nkeys):
        j = first + ((i + start) % nkeys) * step
        e = lookup(c.db, c.argv[j], c.argl[j], LOOKUP_WRITE, &h, &link)
        if e == NULL:
            continue
        if entry_type(e) != T_LIST:
            if again:
                continue
            return wrongtype(c)
        if propagating(c.core):
            # LMPOP/BLMPOP as LPOP/RPOP key <popped>, BLPOP/BRPOP as LPOP/RPOP key
            prop_pop(c, j, tail, (<long long>_ql(e).count if <unsigned long long>count >
                                  _ql(e).count else count) if mpop else -1)
        if mpop:
            list_mpop_reply(c, e, tail, count)
        else:
            reply_array(&c.out, 2)
            reply_bulk(&c.out, entry_key(e), entry_keylen(e))
            list_pop_reply(c, e, tail, -1)
        list_popped(c, e, link, h, tail)
        return 1
    return 0


# LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count]
cdef int cmd_lmpop(Client c) except -1:
    cdef int first, nkeys
    cdef bint tail
    cdef long long count
    if _mpop_args(c, 1, &first, &nkeys, &tail, &count):
        return 0
    if _pop_first(c, first, nkeys, 1, tail, count, True):
        return 0
    return reply_null_array(&c.out)


# =============================================================================================
# The blocking pops. A handler that finds no data blocks the client on its keys (the core's
# block_for_keys); when one of them gets a list the core runs the handler again with the same
# arguments, and it then finds the data (or blocks on, keeping its place). Inside MULTI/EXEC
# nothing blocks: the handler replies as Redis does there.
# =============================================================================================

cdef int _bpop(Client c, bint tail) except -1:
    cdef long long ms
    if arg_timeout(c, c.argc - 1, &ms):
        return 0
    if _pop_first(c, 1, c.argc - 2, 1, tail, -1, False):
        return 0
    if block_for_keys(c, 1, c.argc - 2, 1, ms, T_LIST):
        return reply_null_array(&c.out)
    return 0


# BLPOP key [key ...] timeout
cdef int cmd_blpop(Client c) except -1:
    return _bpop(c, False)


# BRPOP key [key ...] timeout
cdef int cmd_brpop(Client c) except -1:
    return _bpop(c, True)


# BLMPOP timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]
cdef int cmd_blmpop(Client c) except -1:
    cdef long long ms, count
    cdef int first, nkeys
    cdef bint tail
    # Redis 7.0 checks numkeys, the side and COUNT before the timeout
    if _mpop_args(c, 2, &first, &nkeys, &tail, &count) or arg_timeout(c, 1, &ms):
        return 0
    if _pop_first(c, first, nkeys, 1, tail, count, True):
        return 0
    if block_for_keys(c, first, nkeys, 1, ms, T_LIST):
        return reply_null_array(&c.out)
    return 0


cdef int _blmove(Client c, bint from_tail, bint to_tail, int timeout_arg) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* src
    cdef long long ms
    if arg_timeout(c, timeout_arg, &ms):
        return 0
    src = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if src == NULL:
        if block_for_keys(c, 1, 1, 1, ms, T_LIST):
            return reply_null(&c.out)
        return 0
    if entry_type(src) != T_LIST:
        return wrongtype(c)
    if list_move(c, src, c.argv[2], c.argl[2], from_tail, to_tail) == 0 and \
            propagating(c.core):
        prop_move(c, from_tail, to_tail, timeout_arg == 3)
    return 0


cdef int prop_move(Client c, bint from_tail, bint to_tail, bint rpoplpush) except -1:
    """The AOF records BLMOVE as LMOVE and BRPOPLPUSH as RPOPLPUSH."""
    cdef const char* argv[5]
    cdef size_t argl[5]
    argv[1] = c.argv[1]; argl[1] = c.argl[1]
    argv[2] = c.argv[2]; argl[2] = c.argl[2]
    if rpoplpush:
        argv[0] = b"RPOPLPUSH"; argl[0] = 9
        return propagate_instead(c, 3, argv, argl)
    argv[0] = b"LMOVE"; argl[0] = 5
    argv[3] = c.argv[3]; argl[3] = c.argl[3]
    argv[4] = c.argv[4]; argl[4] = c.argl[4]
    return propagate_instead(c, 5, argv, argl)


# BLMOVE source destination LEFT | RIGHT LEFT | RIGHT timeout
cdef int cmd_blmove(Client c) except -1:
    cdef bint from_tail, to_tail
    if _side(c, 3, &from_tail) or _side(c, 4, &to_tail):
        return syntax_error(c)
    return _blmove(c, from_tail, to_tail, 5)


# BRPOPLPUSH source destination timeout
cdef int cmd_brpoplpush(Client c) except -1:
    return _blmove(c, True, False, 3)


HANDLERS = {
    "lpush": native(cmd_lpush),
    "rpush": native(cmd_rpush),
    "lpushx": native(cmd_lpushx),
    "rpushx": native(cmd_rpushx),
    "lpop": native(cmd_lpop),
    "rpop": native(cmd_rpop),
    "llen": native(cmd_llen),
    "lrange": native(cmd_lrange),
    "lindex": native(cmd_lindex),
    "lset": native(cmd_lset),
    "linsert": native(cmd_linsert),
    "lrem": native(cmd_lrem),
    "ltrim": native(cmd_ltrim),
    "lpos": native(cmd_lpos),
    "lmove": native(cmd_lmove),
    "rpoplpush": native(cmd_rpoplpush),
    "lmpop": native(cmd_lmpop),
    "blpop": native(cmd_blpop),
    "brpop": native(cmd_brpop),
    "blmpop": native(cmd_blmpop),
    "blmove": native(cmd_blmove),
    "brpoplpush": native(cmd_brpoplpush),
}
