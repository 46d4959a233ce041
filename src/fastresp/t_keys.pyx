# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Generic key commands and the hot connection commands (PING, ECHO, SELECT), with Redis 7.0's
replies and errors. HANDLERS maps names to handlers for pyredis.commands."""
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport strlen
from libc.limits cimport LLONG_MAX, LLONG_MIN
from libc.stdint cimport uint64_t, uint32_t

from fastresp.core cimport (Client, native, CLIENT_PUBSUB, propagate_key_op,
                            propagate_edited)
from fastresp.cmdutil cimport (wrongtype, syntax_error, arg_ll, arg_int, error_with_command,
                               key_changed, key_event, type_name)
from fastresp.keyspace cimport (
    NOTIFY_GENERIC, NOTIFY_NEW, LOOKUP_NONOTIFY, notify_event, signal_modified,
    Entry, Db, Dict, Collected, T_STRING, ENC_RAW, ENC_INT, ENC_HT, ENC_LINKEDLIST, ENC_ZIPLIST,
    ENC_INTSET, ENC_SKIPLIST, ENC_EMBSTR, ENC_QUICKLIST, ENC_STREAM, ENC_LISTPACK, LOOKUP_NONE,
    LOOKUP_WRITE, LOOKUP_NOTOUCH, lookup, db_find, db_insert, db_add, db_unlink_free, db_detach,
    db_delete, db_scan, entry_type, entry_encoding, entry_key, entry_keylen, entry_has_ttl,
    entry_private_int, entry_take_value, entry_dup, get_expire, set_expire, remove_expire,
    expire_if_needed, key_hash, dict_size, dict_random, idle_ms, lfu_decr_and_return)
from fastresp.reply cimport (reply_ok, reply_null, reply_int, reply_bulk, reply_simple,
                             reply_raw, reply_array, reply_defer, reply_set_deferred_array)
from fastresp.util cimport arg_is, cstr_len, glob_match, parse_scan_cursor, ull2string, LONG_STR_SIZE
from fastresp.includes.libc_extra cimport (ERR_NO_SUCH_KEY, ERR_DB_INDEX, ERR_SAME_OBJECT,
                                           ERR_EXPIRE_TIME_FMT, ERR_NX_XX_GT_LT, ERR_GT_AND_LT,
                                           ERR_INVALID_CURSOR, ERR_NOT_INTEGER, ERR_ARITY_FMT,
                                           ERR_INVALID_FIRST_DB, ERR_INVALID_SECOND_DB,
                                           ERR_INT_RANGE, ERR_UNSUPPORTED_OPTION_FMT,
                                           snprintf)

cdef long long LLONG_MAX_V = LLONG_MAX
cdef long long LLONG_MIN_V = LLONG_MIN

cdef enum:
    EXPIRE_NX = 1
    EXPIRE_XX = 2
    EXPIRE_GT = 4
    EXPIRE_LT = 8
    SHARED_REFCOUNT = 2147483647
    SHARED_INTEGERS = 10000


cdef inline Entry* live(Client c, int i, int flags, uint64_t* h) noexcept:
    return lookup(c.db, c.argv[i], c.argl[i], flags, h, NULL)


cdef inline bint same_arg(Client c, int i, int j) noexcept:
    cdef size_t k
    if c.argl[i] != c.argl[j]:
        return False
    for k in range(c.argl[i]):
        if c.argv[i][k] != c.argv[j][k]:
            return False
    return True


cdef int db_index_arg(Client c, int i, Db** out) except -1:
    """Argument i as a database of this server, or "DB index is out of range"."""
    cdef int idx
    if arg_int(c, i, &idx):
        return 1
    if idx < 0 or idx >= c.core.keyspace.ndbs:
        c.error_cstr(ERR_DB_INDEX)
        return 1
    out[0] = c.core.keyspace.db(idx)
    return 0


# =============================================================================================
# Connection commands on the hot path
# =============================================================================================

# PING [message]
cdef int cmd_ping(Client c) except -1:
    if c.argc > 2:
        return error_with_command(c, ERR_ARITY_FMT)
    if c.flags & CLIENT_PUBSUB and c.out.proto == 2:
        # a RESP2 subscriber gets ["pong", message] (an empty message when none)
        reply_array(&c.out, 2)
        reply_bulk(&c.out, b"pong", 4)
        if c.argc == 2:
            return reply_bulk(&c.out, c.argv[1], c.argl[1])
        return reply_bulk(&c.out, b"", 0)
    if c.argc == 2:
        return reply_bulk(&c.out, c.argv[1], c.argl[1])
    return reply_raw(&c.out, b"+PONG\r\n", 7)


# ECHO message
cdef int cmd_echo(Client c) except -1:
    return reply_bulk(&c.out, c.argv[1], c.argl[1])


# SELECT index
cdef int cmd_select(Client c) except -1:
    cdef int idx
    if arg_int(c, 1, &idx):
        return 0
    if idx < 0 or idx >= c.core.keyspace.ndbs:
        return c.error_cstr(ERR_DB_INDEX)
    c.select_db(idx)
    return reply_ok(&c.out)


# =============================================================================================
# Existence, type, deletion
# =============================================================================================

# DEL key [key ...]   (and UNLINK)
cdef int cmd_del(Client c) except -1:
    cdef long long n = 0
    cdef int i
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    for i in range(1, c.argc):
        # an expired key is expired first (counted in expired_keys), then not deleted
        e = lookup(c.db, c.argv[i], c.argl[i], LOOKUP_WRITE | LOOKUP_NOTOUCH, &h, &link)
        if e != NULL:
            db_unlink_free(c.db, e, link, h)
            key_event(c, NOTIFY_GENERIC, b"del", c.argv[i], c.argl[i])
            n += 1
    if n:
        key_changed(c, n)
    return reply_int(&c.out, n)


cdef int reply_live_count(Client c, int flags) except -1:
    """How many of the key arguments exist (a repeated key counts each time)."""
    cdef long long n = 0
    cdef int i
    cdef uint64_t h
    for i in range(1, c.argc):
        if live(c, i, flags, &h) != NULL:
            n += 1
    return reply_int(&c.out, n)


# EXISTS key [key ...]
cdef int cmd_exists(Client c) except -1:
    return reply_live_count(c, LOOKUP_NOTOUCH)


# TOUCH key [key ...]
cdef int cmd_touch(Client c) except -1:
    return reply_live_count(c, LOOKUP_NONE)


# TYPE key
cdef int cmd_type(Client c) except -1:
    cdef uint64_t h
    cdef Entry* e = live(c, 1, LOOKUP_NOTOUCH, &h)
    cdef const char* name = type_name(entry_type(e) if e != NULL else -1)
    return reply_simple(&c.out, name, strlen(name))


# DBSIZE
cdef int cmd_dbsize(Client c) except -1:
    return reply_int(&c.out, <long long>dict_size(&c.db.kv))


# =============================================================================================
# Expiry
# =============================================================================================

cdef int ttl_generic(Client c, bint in_ms, bint absolute) except -1:
    cdef uint64_t h
    cdef Entry* e = live(c, 1, LOOKUP_NOTOUCH, &h)
    cdef long long when, ttl
    if e == NULL:
        return reply_int(&c.out, -2)
    when = get_expire(c.db, e, h)
    if when == -1:
        return reply_int(&c.out, -1)
    ttl = when if absolute else when - c.db.st.now_ms
    if ttl < 0:
        ttl = 0
    if in_ms:
        return reply_int(&c.out, ttl)
    # (ttl + 500) / 1000 without overflowing near LLONG_MAX (PEXPIREAT k 9223372036854775807)
    return reply_int(&c.out, ttl // 1000 + (1 if ttl % 1000 >= 500 else 0))


# TTL key
cdef int cmd_ttl(Client c) except -1:
    return ttl_generic(c, False, False)


# PTTL key
cdef int cmd_pttl(Client c) except -1:
    return ttl_generic(c, True, False)


# EXPIRETIME key
cdef int cmd_expiretime(Client c) except -1:
    return ttl_generic(c, False, True)


# PEXPIRETIME key
cdef int cmd_pexpiretime(Client c) except -1:
    return ttl_generic(c, True, True)


cdef int unsupported_option(Client c, int j) except -1:
    """"ERR Unsupported option <arg>" with the whole argument up to its first NUL byte (Redis
    formats it with %s and does not cut it), line breaks turned into spaces."""
    cdef size_t take = cstr_len(c.argv[j], c.argl[j]), cap = take + 64, k
    cdef char* buf = <char*>malloc(cap)
    cdef int n
    if buf == NULL:
        raise MemoryError()
    try:
        n = snprintf(buf, cap, ERR_UNSUPPORTED_OPTION_FMT, <int>take, c.argv[j])
        for k in range(<size_t>n):
            if buf[k] == b'\r' or buf[k] == b'\n':
                buf[k] = b' '
        c.error(buf, <size_t>n)
    finally:
        free(buf)
    return 1


cdef int expire_options(Client c, int* flags) except -1:
    """NX | XX | GT | LT after the time argument; 1 after an error."""
    cdef int j, f = 0
    for j in range(3, c.argc):
        if arg_is(c.argv[j], c.argl[j], b"nx", 2):
            f |= EXPIRE_NX
        elif arg_is(c.argv[j], c.argl[j], b"xx", 2):
            f |= EXPIRE_XX
        elif arg_is(c.argv[j], c.argl[j], b"gt", 2):
            f |= EXPIRE_GT
        elif arg_is(c.argv[j], c.argl[j], b"lt", 2):
            f |= EXPIRE_LT
        else:
            return unsupported_option(c, j)
    if (f & EXPIRE_NX) and (f & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)):
        c.error_cstr(ERR_NX_XX_GT_LT)
        return 1
    if (f & EXPIRE_GT) and (f & EXPIRE_LT):
        c.error_cstr(ERR_GT_AND_LT)
        return 1
    flags[0] = f
    return 0


cdef int prop_expire(Client c, long long when, bint deleted) except -1:
    """The AOF records the EXPIRE family as PEXPIREAT key <absolute ms> followed by the
    command's own options (NX/XX/GT/LT, as Redis 7.0 keeps them), or DEL key when the time
    was already past."""
    cdef char num[24]
    if deleted:
        return propagate_key_op(c, b"DEL", 3)
    return propagate_edited(c, b"PEXPIREAT", 9, 2, num,
                            <size_t>snprintf(num, sizeof(num), b"%lld", when), NULL, 0)


cdef int expire_generic(Client c, long long basetime, bint seconds) except -1:
    """EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: a time in the past deletes the key."""
    cdef int flags = 0
    cdef long long when, current
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    if expire_options(c, &flags) or arg_ll(c, 2, &when):
        return 0
    if seconds:
        if when > LLONG_MAX_V // 1000 or when < LLONG_MIN_V // 1000:
            return error_with_command(c, ERR_EXPIRE_TIME_FMT)
        when *= 1000
    if when > LLONG_MAX_V - basetime:
        return error_with_command(c, ERR_EXPIRE_TIME_FMT)
    when += basetime
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        return reply_int(&c.out, 0)
    if flags:
        current = get_expire(c.db, e, h)
        if (flags & EXPIRE_NX) and current != -1:
            return reply_int(&c.out, 0)
        if (flags & EXPIRE_XX) and current == -1:
            return reply_int(&c.out, 0)
        if (flags & EXPIRE_GT) and (when <= current or current == -1):
            return reply_int(&c.out, 0)
        if (flags & EXPIRE_LT) and current != -1 and when >= current:
            return reply_int(&c.out, 0)
    if when <= c.db.st.now_ms:
        db_unlink_free(c.db, e, link, h)
        key_event(c, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
    else:
        set_expire(c.db, e, h, when)
        key_event(c, NOTIFY_GENERIC, b"expire", c.argv[1], c.argl[1])
    key_changed(c, 1)
    if c.core.aof_fd >= 0:
        prop_expire(c, when, when <= c.db.st.now_ms)
    return reply_int(&c.out, 1)


# EXPIRE key seconds [NX | XX | GT | LT]
cdef int cmd_expire(Client c) except -1:
    return expire_generic(c, c.db.st.now_ms, True)


# PEXPIRE key milliseconds [NX | XX | GT | LT]
cdef int cmd_pexpire(Client c) except -1:
    return expire_generic(c, c.db.st.now_ms, False)


# EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
cdef int cmd_expireat(Client c) except -1:
    return expire_generic(c, 0, True)


# PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
cdef int cmd_pexpireat(Client c) except -1:
    return expire_generic(c, 0, False)


# PERSIST key
cdef int cmd_persist(Client c) except -1:
    cdef uint64_t h
    cdef Entry* e = live(c, 1, LOOKUP_WRITE, &h)
    if e != NULL and remove_expire(c.db, e, h):
        key_event(c, NOTIFY_GENERIC, b"persist", c.argv[1], c.argl[1])
        key_changed(c, 1)
        return reply_int(&c.out, 1)
    return reply_int(&c.out, 0)


# =============================================================================================
# Renaming, copying, moving
# =============================================================================================

cdef int rename_generic(Client c, bint nx) except -1:
    cdef uint64_t h1, h2
    cdef Entry** link
    cdef Entry* src = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h1, NULL)
    cdef Entry* moved
    cdef long long when
    cdef uint32_t meta
    if src == NULL:
        return c.error_cstr(ERR_NO_SUCH_KEY)
    if same_arg(c, 1, 2):
        return reply_int(&c.out, 0) if nx else reply_ok(&c.out)
    when = get_expire(c.db, src, h1)
    if lookup(c.db, c.argv[2], c.argl[2], LOOKUP_WRITE, &h2, NULL) != NULL:
        if nx:
            return reply_int(&c.out, 0)
        db_delete(c.db, c.argv[2], c.argl[2])
    moved = entry_take_value(src, c.argv[2], c.argl[2])
    meta = moved.meta
    db_add(c.db, moved, h2)
    moved.meta = meta
    if when != -1:
        set_expire(c.db, moved, h2, when)
    db_find(c.db, c.argv[1], c.argl[1], h1, &link)
    db_unlink_free(c.db, src, link, h1)
    signal_modified(c.db, c.argv[1], c.argl[1])
    signal_modified(c.db, c.argv[2], c.argl[2])
    notify_event(c.db, NOTIFY_GENERIC, b"rename_from", c.argv[1], c.argl[1])
    notify_event(c.db, NOTIFY_GENERIC, b"rename_to", c.argv[2], c.argl[2])
    key_changed(c, 1)
    return reply_int(&c.out, 1) if nx else reply_ok(&c.out)


# RENAME key newkey
cdef int cmd_rename(Client c) except -1:
    return rename_generic(c, False)


# RENAMENX key newkey
cdef int cmd_renamenx(Client c) except -1:
    return rename_generic(c, True)


# COPY source destination [DB destination-db] [REPLACE]
cdef int cmd_copy(Client c) except -1:
    cdef Db* dst = c.db
    cdef bint replace = False
    cdef int j = 3
    cdef int idx
    cdef long long when
    cdef uint64_t h, hd
    cdef Entry* src
    cdef Entry* copy
    while j < c.argc:
        if arg_is(c.argv[j], c.argl[j], b"replace", 7):
            replace = True
        elif arg_is(c.argv[j], c.argl[j], b"db", 2) and j < c.argc - 1:
            if arg_int(c, j + 1, &idx):
                return 0
            if idx < 0 or idx >= c.core.keyspace.ndbs:
                return c.error_cstr(ERR_DB_INDEX)
            dst = c.core.keyspace.db(idx)
            j += 1
        else:
            return syntax_error(c)
        j += 1
    if dst == c.db and same_arg(c, 1, 2):
        return c.error_cstr(ERR_SAME_OBJECT)
    src = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, NULL)
    if src == NULL:
        return reply_int(&c.out, 0)
    when = get_expire(c.db, src, h)
    if lookup(dst, c.argv[2], c.argl[2], LOOKUP_WRITE, &hd, NULL) != NULL:
        if not replace:
            return reply_int(&c.out, 0)
        db_delete(dst, c.argv[2], c.argl[2])
    copy = entry_dup(src, c.argv[2], c.argl[2])
    db_add(dst, copy, hd)
    if when != -1:
        set_expire(dst, copy, hd, when)
    signal_modified(dst, c.argv[2], c.argl[2])
    notify_event(dst, NOTIFY_GENERIC, b"copy_to", c.argv[2], c.argl[2])
    key_changed(c, 1)
    return reply_int(&c.out, 1)


# MOVE key db
cdef int cmd_move(Client c) except -1:
    cdef Db* dst
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef long long when
    cdef uint32_t meta
    if db_index_arg(c, 2, &dst):
        return 0
    if dst == c.db:
        return c.error_cstr(ERR_SAME_OBJECT)
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    if e == NULL:
        return reply_int(&c.out, 0)
    when = get_expire(c.db, e, h)
    if lookup(dst, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, NULL) != NULL:
        return reply_int(&c.out, 0)
    db_find(c.db, c.argv[1], c.argl[1], h, &link)
    db_detach(c.db, e, link, h)
    meta = e.meta
    db_add(dst, e, h)
    e.meta = meta
    if when != -1:
        set_expire(dst, e, h, when)
    signal_modified(c.db, c.argv[1], c.argl[1])
    signal_modified(dst, c.argv[1], c.argl[1])
    notify_event(c.db, NOTIFY_GENERIC, b"move_from", c.argv[1], c.argl[1])
    notify_event(dst, NOTIFY_GENERIC, b"move_to", c.argv[1], c.argl[1])
    key_changed(c, 1)
    return reply_int(&c.out, 1)


# =============================================================================================
# Iteration
# =============================================================================================

# RANDOMKEY
cdef int cmd_randomkey(Client c) except -1:
    cdef Entry* e
    cdef Entry** link
    cdef uint64_t h
    while True:
        e = <Entry*>dict_random(&c.db.kv)
        if e == NULL:
            return reply_null(&c.out)
        if entry_has_ttl(e):
            h = key_hash(c.db.st, entry_key(e), entry_keylen(e))
            db_find(c.db, entry_key(e), entry_keylen(e), h, &link)
            if expire_if_needed(c.db, e, link, h):
                continue
        return reply_bulk(&c.out, entry_key(e), entry_keylen(e))


# KEYS pattern
cdef int cmd_keys(Client c) except -1:
    cdef Dict* d = &c.db.kv
    cdef const char* pat = c.argv[1]
    cdef size_t plen = c.argl[1]
    cdef bint all_keys = plen == 1 and pat[0] == b'*'
    cdef size_t at = reply_defer(&c.out), i
    cdef long long n = 0
    cdef int t
    cdef Entry* e
    cdef long long when
    d.pause_rehash += 1
    try:
        for t in range(2):
            for i in range(d.t[t].size):
                e = <Entry*>d.t[t].b[i]
                while e != NULL:
                    if all_keys or glob_match(pat, plen, entry_key(e), entry_keylen(e), False):
                        when = -1
                        if entry_has_ttl(e):
                            when = get_expire(c.db, e, key_hash(c.db.st, entry_key(e), entry_keylen(e)))
                        if when == -1 or not (c.db.st.now_ms > when):
                            reply_bulk(&c.out, entry_key(e), entry_keylen(e))
                            n += 1
                    e = e.next
    finally:
        d.pause_rehash -= 1
    return reply_set_deferred_array(&c.out, at, n)


# SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
cdef int cmd_scan(Client c) except -1:
    cdef unsigned long long cursor
    cdef long long count = 10
    cdef const char* pat = NULL
    cdef size_t plen = 0
    cdef int typ = -1, j = 2
    cdef const char* tname = NULL
    cdef size_t tlen = 0
    cdef Collected col
    cdef size_t i, at
    cdef long long n = 0
    cdef char numbuf[LONG_STR_SIZE]
    cdef Entry* e
    cdef uint64_t h
    cdef const char* ename
    cdef bint expired, keep
    if not parse_scan_cursor(c.argv[1], c.argl[1], &cursor):
        return c.error_cstr(ERR_INVALID_CURSOR)
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
        elif arg_is(c.argv[j], c.argl[j], b"type", 4) and j < c.argc - 1:
            tname = c.argv[j + 1]
            tlen = cstr_len(c.argv[j + 1], c.argl[j + 1])
        else:
            return syntax_error(c)
        j += 2
    col.items = NULL
    col.n = col.cap = 0
    try:
        cursor = db_scan(c.db, cursor, count, &col)
        # filter and reply: the collected entries stay valid until we delete an expired one
        # (after its last use), and deleting an entry never frees another
        reply_array(&c.out, 2)
        reply_bulk(&c.out, numbuf, ull2string(numbuf, cursor))
        at = reply_defer(&c.out)
        for i in range(col.n):
            e = col.items[i]
            if pat != NULL and not glob_match(pat, plen, entry_key(e), entry_keylen(e), False):
                continue
            h = key_hash(c.db.st, entry_key(e), entry_keylen(e))
            expired = entry_has_ttl(e) and c.db.st.now_ms > get_expire(c.db, e, h)
            if tname != NULL:
                # Redis looks the key up for its type (a read: hit/miss statistics, lazy
                # expiry). An expired key is deleted there and has type "none"; the expiry
                # filter that follows no longer finds it, so TYPE none returns it.
                ename = type_name(-1 if expired else entry_type(e))
                keep = arg_is(tname, tlen, ename, strlen(ename))
                if keep:
                    reply_bulk(&c.out, entry_key(e), entry_keylen(e))
                    n += 1
                lookup(c.db, entry_key(e), entry_keylen(e), LOOKUP_NOTOUCH, &h, NULL)  # may free e
                continue
            if expired:
                db_delete(c.db, entry_key(e), entry_keylen(e))   # counts it as expired
                continue
            reply_bulk(&c.out, entry_key(e), entry_keylen(e))
            n += 1
        reply_set_deferred_array(&c.out, at, n)
    finally:
        free(col.items)
    return 0


# =============================================================================================
# OBJECT
# =============================================================================================

cdef Entry* object_target(Client c, uint64_t* h) except? NULL:
    """OBJECT's key lookup: null reply when missing."""
    cdef Entry* e = lookup(c.db, c.argv[2], c.argl[2], LOOKUP_NOTOUCH | LOOKUP_NONOTIFY, h, NULL)
    if e == NULL:
        reply_null(&c.out)
    return e


cdef const char* encoding_name(int enc) noexcept:
    """OBJECT ENCODING's name for an encoding."""
    if enc == ENC_RAW:
        return b"raw"
    if enc == ENC_INT:
        return b"int"
    if enc == ENC_HT:
        return b"hashtable"
    if enc == ENC_LINKEDLIST:
        return b"linkedlist"
    if enc == ENC_ZIPLIST:
        return b"ziplist"
    if enc == ENC_INTSET:
        return b"intset"
    if enc == ENC_SKIPLIST:
        return b"skiplist"
    if enc == ENC_EMBSTR:
        return b"embstr"
    if enc == ENC_QUICKLIST:
        return b"quicklist"
    if enc == ENC_STREAM:
        return b"stream"
    if enc == ENC_LISTPACK:
        return b"listpack"
    return b"unknown"


# OBJECT ENCODING key
cdef int cmd_object_encoding(Client c) except -1:
    cdef uint64_t h
    cdef Entry* e = object_target(c, &h)
    cdef const char* name
    if e == NULL:
        return 0
    name = encoding_name(entry_encoding(e))
    return reply_bulk(&c.out, name, strlen(name))


# OBJECT REFCOUNT key
cdef int cmd_object_refcount(Client c) except -1:
    cdef uint64_t h
    cdef Entry* e = object_target(c, &h)
    if e == NULL:
        return 0
    if (entry_type(e) == T_STRING and entry_encoding(e) == ENC_INT and c.db.st.shared_integers
            and 0 <= e.v.i < SHARED_INTEGERS and not entry_private_int(e)):
        return reply_int(&c.out, SHARED_REFCOUNT)
    return reply_int(&c.out, 1)


# OBJECT IDLETIME key
cdef int cmd_object_idletime(Client c) except -1:
    cdef uint64_t h
    cdef Entry* e = object_target(c, &h)
    if e == NULL:
        return 0
    if c.db.st.lfu:
        return c.error_cstr(b"ERR An LFU maxmemory policy is selected, idle time not tracked. "
                            b"Please note that when switching between policies at runtime LRU "
                            b"and LFU data will take some time to adjust.")
    return reply_int(&c.out, idle_ms(c.db.st, e) // 1000)


# OBJECT FREQ key
cdef int cmd_object_freq(Client c) except -1:
    cdef uint64_t h
    cdef Entry* e = object_target(c, &h)
    if e == NULL:
        return 0
    if not c.db.st.lfu:
        return c.error_cstr(b"ERR An LFU maxmemory policy is not selected, access frequency not "
                            b"tracked. Please note that when switching between policies at "
                            b"runtime LRU and LFU data will take some time to adjust.")
    return reply_int(&c.out, <long long>lfu_decr_and_return(c.db.st, e))


HANDLERS = {
    "ping": native(cmd_ping),
    "echo": native(cmd_echo),
    "select": native(cmd_select),
    "del": native(cmd_del),
    "unlink": native(cmd_del),
    "exists": native(cmd_exists),
    "touch": native(cmd_touch),
    "type": native(cmd_type),
    "dbsize": native(cmd_dbsize),
    "ttl": native(cmd_ttl),
    "pttl": native(cmd_pttl),
    "expiretime": native(cmd_expiretime),
    "pexpiretime": native(cmd_pexpiretime),
    "expire": native(cmd_expire),
    "pexpire": native(cmd_pexpire),
    "expireat": native(cmd_expireat),
    "pexpireat": native(cmd_pexpireat),
    "persist": native(cmd_persist),
    "rename": native(cmd_rename),
    "renamenx": native(cmd_renamenx),
    "copy": native(cmd_copy),
    "move": native(cmd_move),
    "randomkey": native(cmd_randomkey),
    "keys": native(cmd_keys),
    "scan": native(cmd_scan),
    "object|encoding": native(cmd_object_encoding),
    "object|refcount": native(cmd_object_refcount),
    "object|idletime": native(cmd_object_idletime),
    "object|freq": native(cmd_object_freq),
}
