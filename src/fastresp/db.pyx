# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Commands on the keys of a database and on databases (as Redis's db.c): DEL, UNLINK, EXISTS,
TOUCH, TYPE, DBSIZE, RENAME, RENAMENX, COPY, MOVE, RANDOMKEY, KEYS, SCAN, with Redis 7.0's replies
and errors. (SELECT is in connection.pyx, the expiry commands in expire.pyx, OBJECT in
object.pyx; FLUSHDB, FLUSHALL and SWAPDB are Python: pyredis.commands.keys.)"""
from libc.stdlib cimport free
from libc.string cimport strlen
from libc.stdint cimport uint64_t, uint32_t

from fastresp.core cimport Client, native
from fastresp.cmdutil cimport (syntax_error, arg_ll, arg_int, key_changed, key_event, type_name,
                               lookup_arg, same_arg)
from fastresp.keyspace cimport (
    NOTIFY_GENERIC, notify_event, signal_modified, Entry, Db, Dict, Collected, LOOKUP_NONE,
    LOOKUP_WRITE, LOOKUP_NOTOUCH, lookup, db_find, db_add, db_unlink_free, db_detach, db_delete,
    db_scan, entry_type, entry_key, entry_keylen, entry_has_ttl, entry_take_value, entry_dup,
    get_expire, set_expire, expire_if_needed, key_hash, dict_size, dict_random)
from fastresp.reply cimport (reply_ok, reply_null, reply_int, reply_bulk, reply_simple,
                             reply_array, reply_defer, reply_set_deferred_array)
from fastresp.util cimport arg_is, cstr_len, glob_match, parse_scan_cursor, ull2string, LONG_STR_SIZE
from fastresp.includes.errors cimport (ERR_DB_INDEX, ERR_INVALID_CURSOR, ERR_NO_SUCH_KEY,
                                       ERR_SAME_OBJECT)


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
        if lookup_arg(c, i, flags, &h) != NULL:
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
    cdef Entry* e = lookup_arg(c, 1, LOOKUP_NOTOUCH, &h)
    cdef const char* name = type_name(entry_type(e) if e != NULL else -1)
    return reply_simple(&c.out, name, strlen(name))


# DBSIZE
cdef int cmd_dbsize(Client c) except -1:
    return reply_int(&c.out, <long long>dict_size(&c.db.kv))


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
    cdef int j = 2
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


HANDLERS = {
    "del": native(cmd_del),
    "unlink": native(cmd_del),
    "exists": native(cmd_exists),
    "touch": native(cmd_touch),
    "type": native(cmd_type),
    "dbsize": native(cmd_dbsize),
    "rename": native(cmd_rename),
    "renamenx": native(cmd_renamenx),
    "copy": native(cmd_copy),
    "move": native(cmd_move),
    "randomkey": native(cmd_randomkey),
    "keys": native(cmd_keys),
    "scan": native(cmd_scan),
}
