# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The string commands, with Redis 7.0's replies and errors. No Python runs per request.

HANDLERS maps each command name to its handler; pyredis.commands.strings declares the commands
(arity, flags, keys, docs) and points at these handlers.
"""
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memset
from libc.stdint cimport uint64_t, uint32_t
from libc.limits cimport LLONG_MAX, LLONG_MIN

from fastresp.core cimport propagating, Client, native, propagate_instead, propagate_key_op
from fastresp.cmdutil cimport (wrongtype, syntax_error, arg_ll, error_with_command,
                               reply_string_entry, key_changed, key_event)
from fastresp.keyspace cimport (Entry, Str, Db, T_STRING, ENC_INT, ENC_RAW, ENC_EMBSTR,
                                NOTIFY_STRING, NOTIFY_GENERIC, NOTIFY_NEW, notify_event,
                                LOOKUP_NONE, LOOKUP_WRITE, lookup, entry_type, entry_encoding,
                                entry_key, entry_keylen, str_bytes, str_new, str_reserve,
                                entry_new, entry_new_string, entry_set_string, entry_set_int,
                                entry_set_raw, entry_set_type, db_insert, db_add, db_find,
                                db_unlink_free, set_expire, remove_expire, string_view)
from fastresp.reply cimport (reply_ok, reply_null, reply_int, reply_bulk, reply_raw,
                             reply_array, reply_map, reply_defer, reply_set_deferred_array)
from fastresp.util cimport (string2ll, arg_is, string2ld, ld2string_human, LONG_STR_SIZE,
                            MAX_LONG_DOUBLE_CHARS)
from fastresp.includes.libc_extra cimport isnan, isinf, snprintf
from fastresp.includes.errors cimport (ERR_ARITY_FMT, ERR_DECR_OVERFLOW, ERR_EXPIRE_TIME_FMT,
                                       ERR_LCS_IDX_AND_LEN, ERR_LCS_NOMEM, ERR_LCS_NOT_STRING,
                                       ERR_LCS_TOO_LONG, ERR_NAN_OR_INF, ERR_NOT_FLOAT,
                                       ERR_NOT_INTEGER, ERR_OFFSET_RANGE, ERR_OVERFLOW,
                                       ERR_STRING_TOO_LONG)

# Options of SET and GETEX, as flags.
cdef enum:
    OPT_NX = 1
    OPT_XX = 2
    OPT_GET = 4
    OPT_KEEPTTL = 8
    OPT_PERSIST = 16
    OPT_EX = 32
    OPT_PX = 64
    OPT_EXAT = 128
    OPT_PXAT = 256
    OPT_ANY_EXPIRE = OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT

cdef enum:
    FOR_SET = 0
    FOR_GETEX = 1

cdef long long LLONG_MAX_V = LLONG_MAX
cdef long long LLONG_MIN_V = LLONG_MIN


# =============================================================================================
# Propagation (what the AOF records instead of the command, as Redis 7.0 records it)
# =============================================================================================

cdef int prop_key_ms(Client c, const char* cmd, size_t cn, long long ms) except -1:
    """Record `cmd argv[1] ms` (PEXPIREAT key ms)."""
    cdef char num[24]
    cdef const char* argv[3]
    cdef size_t argl[3]
    argv[0] = cmd; argl[0] = cn
    argv[1] = c.argv[1]; argl[1] = c.argl[1]
    argv[2] = num; argl[2] = <size_t>snprintf(num, sizeof(num), b"%lld", ms)
    return propagate_instead(c, 3, argv, argl)


cdef int prop_set(Client c, const char* v, size_t vn, const char* opt, size_t on,
                  long long ms) except -1:
    """Record `SET argv[1] v [opt [ms]]` (opt: PXAT with ms >= 0, or KEEPTTL with ms < 0)."""
    cdef char num[24]
    cdef const char* argv[5]
    cdef size_t argl[5]
    cdef int n = 3
    argv[0] = b"SET"; argl[0] = 3
    argv[1] = c.argv[1]; argl[1] = c.argl[1]
    argv[2] = v; argl[2] = vn
    if opt != NULL:
        argv[3] = opt; argl[3] = on
        n = 4
        if ms >= 0:
            argv[4] = num; argl[4] = <size_t>snprintf(num, sizeof(num), b"%lld", ms)
            n = 5
    return propagate_instead(c, n, argv, argl)


cdef int prop_set_without_get(Client c) except -1:
    """SET ... GET without an expire: recorded without its GET argument."""
    cdef const char** argv = <const char**>malloc(c.argc * sizeof(char*))
    cdef size_t* argl = <size_t*>malloc(c.argc * sizeof(size_t))
    cdef int i, n = 0
    if argv == NULL or argl == NULL:
        free(argv)
        free(argl)
        raise MemoryError()
    try:
        for i in range(c.argc):
            if i >= 3 and arg_is(c.argv[i], c.argl[i], b"get", 3):
                continue
            argv[n] = c.argv[i]
            argl[n] = c.argl[i]
            n += 1
        propagate_instead(c, n, argv, argl)
    finally:
        free(argv)
        free(argl)
    return 0


# =============================================================================================
# Shared pieces
# =============================================================================================

cdef int parse_options(Client c, int first, int kind, int* flags, int* expire_arg) except -1:
    """Parse SET's (or GETEX's) options from argument `first` on; 1 after a syntax error."""
    cdef int j = first
    cdef int f = 0
    cdef const char* p
    cdef size_t n
    cdef bint more
    while j < c.argc:
        p = c.argv[j]
        n = c.argl[j]
        more = j < c.argc - 1
        if kind == FOR_SET and arg_is(p, n, b"nx", 2) and not (f & OPT_XX):
            f |= OPT_NX
        elif kind == FOR_SET and arg_is(p, n, b"xx", 2) and not (f & OPT_NX):
            f |= OPT_XX
        elif kind == FOR_SET and arg_is(p, n, b"get", 3):
            f |= OPT_GET
        elif kind == FOR_SET and arg_is(p, n, b"keepttl", 7) and not (f & (OPT_PERSIST | OPT_ANY_EXPIRE)):
            f |= OPT_KEEPTTL
        elif kind == FOR_GETEX and arg_is(p, n, b"persist", 7) and not (f & (OPT_KEEPTTL | OPT_ANY_EXPIRE)):
            f |= OPT_PERSIST
        elif more and arg_is(p, n, b"ex", 2) and not (f & (OPT_KEEPTTL | OPT_PERSIST | OPT_EXAT | OPT_PX | OPT_PXAT)):
            f |= OPT_EX
            expire_arg[0] = j + 1
            j += 1
        elif more and arg_is(p, n, b"px", 2) and not (f & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PXAT)):
            f |= OPT_PX
            expire_arg[0] = j + 1
            j += 1
        elif more and arg_is(p, n, b"exat", 4) and not (f & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_PX | OPT_PXAT)):
            f |= OPT_EXAT
            expire_arg[0] = j + 1
            j += 1
        elif more and arg_is(p, n, b"pxat", 4) and not (f & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PX)):
            f |= OPT_PXAT
            expire_arg[0] = j + 1
            j += 1
        else:
            return syntax_error(c)
        j += 1
    flags[0] = f
    return 0


cdef int expire_ms(Client c, int arg, int flags, long long* out) except -1:
    """The absolute expiry in ms that an EX/PX/EXAT/PXAT argument means; 1 after an error."""
    cdef long long ms
    cdef bint seconds = (flags & (OPT_EX | OPT_EXAT)) != 0
    cdef long long now = c.db.st.now_ms
    if arg_ll(c, arg, &ms):
        return 1
    if ms <= 0 or (seconds and ms > LLONG_MAX_V // 1000):
        return error_with_command(c, ERR_EXPIRE_TIME_FMT)
    if seconds:
        ms *= 1000
    if flags & (OPT_EX | OPT_PX):
        if ms > LLONG_MAX_V - now:
            return error_with_command(c, ERR_EXPIRE_TIME_FMT)
        ms += now
    out[0] = ms
    return 0


cdef inline Entry* store_string(Client c, const char* k, size_t kn, const char* v, size_t vn,
                                bint keepttl, bint allow_int=True) except NULL:
    """Create or overwrite key k with a string (Redis's setKey): the TTL goes unless keepttl."""
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e = lookup(c.db, k, kn, LOOKUP_WRITE, &h, &link)
    if e == NULL:
        e = entry_new_string(k, kn, v, vn, allow_int)
        db_add(c.db, e, h)
    else:
        if not keepttl:
            remove_expire(c.db, e, h)
        e = entry_set_string(c.db, e, link, h, v, vn, allow_int)
    return e


cdef inline int reply_old_value(Client c, const char* k, size_t kn) except -1:
    """GET's reply for key k; 1 after WRONGTYPE."""
    cdef uint64_t h
    cdef Entry* e = lookup(c.db, k, kn, LOOKUP_NONE, &h, NULL)
    if e == NULL:
        reply_null(&c.out)
        return 0
    if entry_type(e) != T_STRING:
        return wrongtype(c)
    reply_string_entry(c, e)
    return 0


cdef int set_generic(Client c, int flags, int expire_arg, int value_arg, bint reply_int_style) except -1:
    """SET and its relatives: key argv[1], value argv[value_arg]. Replies OK/nil, or 1/0."""
    cdef long long when = 0
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef bint found
    if expire_arg > 0 and expire_ms(c, expire_arg, flags, &when):
        return 0
    if flags & OPT_GET:
        if reply_old_value(c, c.argv[1], c.argl[1]):
            return 0
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, &link)
    found = e != NULL
    if ((flags & OPT_NX) and found) or ((flags & OPT_XX) and not found):
        if not (flags & OPT_GET):
            if reply_int_style:
                reply_int(&c.out, 0)
            else:
                reply_null(&c.out)
        return 0
    if e == NULL:
        e = entry_new_string(c.argv[1], c.argl[1], c.argv[value_arg], c.argl[value_arg])
        db_add(c.db, e, h)
    else:
        if not (flags & OPT_KEEPTTL):
            remove_expire(c.db, e, h)
        e = entry_set_string(c.db, e, link, h, c.argv[value_arg], c.argl[value_arg])
    key_event(c, NOTIFY_STRING, b"set", c.argv[1], c.argl[1])
    if expire_arg > 0:
        set_expire(c.db, e, h, when)
        notify_event(c.db, NOTIFY_GENERIC, b"expire", c.argv[1], c.argl[1])
    key_changed(c, 1)
    if propagating(c.core):
        if expire_arg > 0:
            prop_set(c, c.argv[value_arg], c.argl[value_arg], b"PXAT", 4, when)
        elif flags & OPT_GET:
            prop_set_without_get(c)
    if not (flags & OPT_GET):
        if reply_int_style:
            reply_int(&c.out, 1)
        else:
            reply_ok(&c.out)
    return 0


cdef inline Entry* string_for_update(Client c, uint64_t* h, Entry*** link, bint* wrong) except? NULL:
    """The string at argv[1] for a read-modify-write, NULL when missing (*wrong set on a
    wrong type, after replying WRONGTYPE)."""
    cdef Entry* e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, h, link)
    wrong[0] = False
    if e != NULL and entry_type(e) != T_STRING:
        wrongtype(c)
        wrong[0] = True
        return NULL
    return e


cdef inline size_t string_length(Entry* e) noexcept:
    cdef char numbuf[LONG_STR_SIZE]
    cdef size_t n
    string_view(e, numbuf, &n)
    return n


cdef Str* make_raw(Client c, Entry** ep, Entry** link, uint64_t h, size_t extra) except NULL:
    """Turn a string entry into the raw encoding with room for `extra` more bytes (APPEND and
    SETRANGE always leave a raw string behind, as Redis does)."""
    cdef Entry* e = ep[0]
    cdef char numbuf[LONG_STR_SIZE]
    cdef size_t n
    cdef const char* p
    cdef Str* s
    if entry_encoding(e) == ENC_RAW:
        s = str_reserve(<Str*>e.v.p, extra)
        e.v.p = s
        return s
    p = string_view(e, numbuf, &n)
    s = str_new(p, n, n + extra)
    ep[0] = entry_set_raw(c.db, e, link, h, s)
    return s


# =============================================================================================
# Commands
# =============================================================================================

# GET key
cdef int cmd_get(Client c) except -1:
    reply_old_value(c, c.argv[1], c.argl[1])
    return 0


# SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
#     PXAT unix-time-milliseconds | KEEPTTL]
cdef int cmd_set(Client c) except -1:
    cdef int flags = 0, expire_arg = 0
    if c.argc > 3 and parse_options(c, 3, FOR_SET, &flags, &expire_arg):
        return 0
    return set_generic(c, flags, expire_arg, 2, False)


# SETNX key value
cdef int cmd_setnx(Client c) except -1:
    return set_generic(c, OPT_NX, 0, 2, True)


# SETEX key seconds value
cdef int cmd_setex(Client c) except -1:
    return set_generic(c, OPT_EX, 2, 3, False)


# PSETEX key milliseconds value
cdef int cmd_psetex(Client c) except -1:
    return set_generic(c, OPT_PX, 2, 3, False)


# GETSET key value
cdef int cmd_getset(Client c) except -1:
    if reply_old_value(c, c.argv[1], c.argl[1]):
        return 0
    store_string(c, c.argv[1], c.argl[1], c.argv[2], c.argl[2], False)
    key_event(c, NOTIFY_STRING, b"set", c.argv[1], c.argl[1])
    key_changed(c, 1)
    if propagating(c.core):
        prop_set(c, c.argv[2], c.argl[2], NULL, 0, -1)
    return 0


# GETDEL key
cdef int cmd_getdel(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, &link)
    if e == NULL:
        return reply_null(&c.out)
    if entry_type(e) != T_STRING:
        return wrongtype(c)
    reply_string_entry(c, e)
    db_unlink_free(c.db, e, link, h)
    key_event(c, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
    key_changed(c, 1)
    if propagating(c.core):
        propagate_key_op(c, b"DEL", 3)
    return 0


# GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
#     PXAT unix-time-milliseconds | PERSIST]
cdef int cmd_getex(Client c) except -1:
    cdef int flags = 0, expire_arg = 0
    cdef long long when = 0
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    if parse_options(c, 2, FOR_GETEX, &flags, &expire_arg):
        return 0
    # As in Redis, the key is looked up before the expire time is validated: a missing key
    # answers nil (and a non-string WRONGTYPE) even when the time is invalid.
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, &link)
    if e == NULL:
        return reply_null(&c.out)
    if entry_type(e) != T_STRING:
        return wrongtype(c)
    if expire_arg > 0 and expire_ms(c, expire_arg, flags, &when):
        return 0
    reply_string_entry(c, e)
    if (flags & (OPT_EXAT | OPT_PXAT)) and when <= c.db.st.now_ms:
        db_unlink_free(c.db, e, link, h)
        key_event(c, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
        key_changed(c, 1)
        if propagating(c.core):
            propagate_key_op(c, b"DEL", 3)
    elif expire_arg > 0:
        set_expire(c.db, e, h, when)
        key_event(c, NOTIFY_GENERIC, b"expire", c.argv[1], c.argl[1])
        key_changed(c, 1)
        if propagating(c.core):
            prop_key_ms(c, b"PEXPIREAT", 9, when)
    elif flags & OPT_PERSIST:
        if remove_expire(c.db, e, h):
            key_event(c, NOTIFY_GENERIC, b"persist", c.argv[1], c.argl[1])
            key_changed(c, 1)
            if propagating(c.core):
                propagate_key_op(c, b"PERSIST", 7)
    return 0


# MGET key [key ...]
cdef int cmd_mget(Client c) except -1:
    cdef int i
    cdef uint64_t h
    cdef Entry* e
    reply_array(&c.out, c.argc - 1)
    for i in range(1, c.argc):
        e = lookup(c.db, c.argv[i], c.argl[i], LOOKUP_NONE, &h, NULL)
        if e == NULL or entry_type(e) != T_STRING:
            reply_null(&c.out)
        else:
            reply_string_entry(c, e)
    return 0


cdef int mset_arity_ok(Client c) except -1:
    if c.argc % 2 == 0:
        error_with_command(c, ERR_ARITY_FMT)
        return 0
    return 1


# MSET key value [key value ...]
cdef int cmd_mset(Client c) except -1:
    cdef int i
    if not mset_arity_ok(c):
        return 0
    for i in range(1, c.argc, 2):
        store_string(c, c.argv[i], c.argl[i], c.argv[i + 1], c.argl[i + 1], False)
        key_event(c, NOTIFY_STRING, b"set", c.argv[i], c.argl[i])
    key_changed(c, (c.argc - 1) // 2)
    return reply_ok(&c.out)


# MSETNX key value [key value ...]
cdef int cmd_msetnx(Client c) except -1:
    cdef int i
    cdef uint64_t h
    if not mset_arity_ok(c):
        return 0
    for i in range(1, c.argc, 2):
        if lookup(c.db, c.argv[i], c.argl[i], LOOKUP_WRITE, &h, NULL) != NULL:
            return reply_int(&c.out, 0)
    for i in range(1, c.argc, 2):
        store_string(c, c.argv[i], c.argl[i], c.argv[i + 1], c.argl[i + 1], False)
        key_event(c, NOTIFY_STRING, b"set", c.argv[i], c.argl[i])
    key_changed(c, (c.argc - 1) // 2)
    return reply_int(&c.out, 1)


# APPEND key value
cdef int cmd_append(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef bint wrong
    cdef size_t vn = c.argl[2], total
    cdef Str* s
    e = string_for_update(c, &h, &link, &wrong)
    if wrong:
        return 0
    if e == NULL:
        e = entry_new_string(c.argv[1], c.argl[1], c.argv[2], vn)
        db_add(c.db, e, h)
        total = vn
    else:
        total = string_length(e)
        if <long long>(total + vn) > c.core.proto_max_bulk_len:
            return c.error_cstr(ERR_STRING_TOO_LONG)
        s = make_raw(c, &e, link, h, vn)
        memcpy(str_bytes(s) + s.len, c.argv[2], vn)
        s.len += vn
        total = s.len
    key_event(c, NOTIFY_STRING, b"append", c.argv[1], c.argl[1])
    key_changed(c, 1)
    return reply_int(&c.out, <long long>total)


# STRLEN key
cdef int cmd_strlen(Client c) except -1:
    cdef uint64_t h
    cdef Entry* e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, NULL)
    if e == NULL:
        return reply_int(&c.out, 0)
    if entry_type(e) != T_STRING:
        return wrongtype(c)
    return reply_int(&c.out, <long long>string_length(e))


# GETRANGE key start end   (and SUBSTR key start end)
cdef int cmd_getrange(Client c) except -1:
    cdef long long start, end, n
    cdef uint64_t h
    cdef Entry* e
    cdef char numbuf[LONG_STR_SIZE]
    cdef size_t len
    cdef const char* p
    if arg_ll(c, 2, &start) or arg_ll(c, 3, &end):
        return 0
    e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, NULL)
    if e == NULL:
        return reply_raw(&c.out, b"$0\r\n\r\n", 6)
    if entry_type(e) != T_STRING:
        return wrongtype(c)
    p = string_view(e, numbuf, &len)
    n = <long long>len
    if start < 0 and end < 0 and start > end:
        return reply_raw(&c.out, b"$0\r\n\r\n", 6)
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return reply_raw(&c.out, b"$0\r\n\r\n", 6)
    return reply_bulk(&c.out, p + start, <size_t>(end - start + 1))


# SETRANGE key offset value
cdef int cmd_setrange(Client c) except -1:
    cdef long long offset
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef bint wrong
    cdef size_t vn = c.argl[3]
    cdef Str* s
    if arg_ll(c, 2, &offset):
        return 0
    if offset < 0:
        return c.error_cstr(ERR_OFFSET_RANGE)
    e = string_for_update(c, &h, &link, &wrong)
    if wrong:
        return 0
    if e == NULL:
        if vn == 0:
            return reply_int(&c.out, 0)
        if offset > c.core.proto_max_bulk_len - <long long>vn:
            return c.error_cstr(ERR_STRING_TOO_LONG)
        s = str_new(NULL, 0, <size_t>offset + vn)
        e = entry_new(c.argv[1], c.argl[1], 0)
        entry_set_type(e, T_STRING, ENC_RAW)
        e.v.p = s
        db_add(c.db, e, h)
    else:
        if vn == 0:
            return reply_int(&c.out, <long long>string_length(e))
        if offset > c.core.proto_max_bulk_len - <long long>vn:
            return c.error_cstr(ERR_STRING_TOO_LONG)
        s = make_raw(c, &e, link, h, 0)
    if <size_t>offset + vn > s.len:
        s = str_reserve(s, <size_t>offset + vn - s.len)
        e.v.p = s
        memset(str_bytes(s) + s.len, 0, <size_t>offset + vn - s.len)
        s.len = <size_t>offset + vn
    memcpy(str_bytes(s) + offset, c.argv[3], vn)
    key_event(c, NOTIFY_STRING, b"setrange", c.argv[1], c.argl[1])
    key_changed(c, 1)
    return reply_int(&c.out, <long long>s.len)


cdef int incr_by(Client c, long long incr) except -1:
    """INCR and friends: add incr to the integer at argv[1] (0 when missing), keep the TTL."""
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef bint wrong
    cdef long long value = 0
    cdef char numbuf[LONG_STR_SIZE]
    cdef size_t n
    cdef const char* p
    e = string_for_update(c, &h, &link, &wrong)
    if wrong:
        return 0
    if e != NULL:
        if entry_encoding(e) == ENC_INT:
            value = e.v.i
        else:
            p = string_view(e, numbuf, &n)
            if not string2ll(p, n, &value):
                return c.error_cstr(ERR_NOT_INTEGER)
    if (incr < 0 and value < 0 and incr < LLONG_MIN_V - value) or \
            (incr > 0 and value > 0 and incr > LLONG_MAX_V - value):
        return c.error_cstr(ERR_OVERFLOW)
    value += incr
    if e == NULL:
        e = entry_new(c.argv[1], c.argl[1], 0)
        entry_set_type(e, T_STRING, ENC_INT)
        e.v.i = value
        db_add(c.db, e, h)
    else:
        entry_set_int(c.db, e, link, h, value)
    key_event(c, NOTIFY_STRING, b"incrby", c.argv[1], c.argl[1])
    key_changed(c, 1)
    return reply_int(&c.out, value)


# INCR key
cdef int cmd_incr(Client c) except -1:
    return incr_by(c, 1)


# DECR key
cdef int cmd_decr(Client c) except -1:
    return incr_by(c, -1)


# INCRBY key increment
cdef int cmd_incrby(Client c) except -1:
    cdef long long incr
    if arg_ll(c, 2, &incr):
        return 0
    return incr_by(c, incr)


# DECRBY key decrement
cdef int cmd_decrby(Client c) except -1:
    cdef long long decr
    if arg_ll(c, 2, &decr):
        return 0
    if decr == LLONG_MIN_V:
        return c.error_cstr(ERR_DECR_OVERFLOW)
    return incr_by(c, -decr)


# INCRBYFLOAT key increment
cdef int cmd_incrbyfloat(Client c) except -1:
    cdef uint64_t h
    cdef Entry** link
    cdef Entry* e
    cdef bint wrong
    cdef long double value = 0, incr
    cdef char numbuf[LONG_STR_SIZE]
    cdef char out[MAX_LONG_DOUBLE_CHARS]
    cdef size_t n
    cdef const char* p
    e = string_for_update(c, &h, &link, &wrong)
    if wrong:
        return 0
    if e != NULL:
        if entry_encoding(e) == ENC_INT:
            value = <long double>e.v.i
        else:
            p = string_view(e, numbuf, &n)
            if not string2ld(p, n, &value):
                return c.error_cstr(ERR_NOT_FLOAT)
    if not string2ld(c.argv[2], c.argl[2], &incr):
        return c.error_cstr(ERR_NOT_FLOAT)
    value += incr
    if isnan(value) or isinf(value):
        return c.error_cstr(ERR_NAN_OR_INF)
    n = ld2string_human(out, MAX_LONG_DOUBLE_CHARS, value)
    if e == NULL:
        e = entry_new_string(c.argv[1], c.argl[1], out, n, False)
        db_add(c.db, e, h)
    else:
        entry_set_string(c.db, e, link, h, out, n, False)
    key_event(c, NOTIFY_STRING, b"incrbyfloat", c.argv[1], c.argl[1])
    key_changed(c, 1)
    if propagating(c.core):
        prop_set(c, out, n, b"KEEPTTL", 7, -1)
    return reply_bulk(&c.out, out, n)


# LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
cdef int cmd_lcs(Client c) except -1:
    cdef uint64_t h
    cdef Entry* ea = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, NULL)
    cdef Entry* eb = lookup(c.db, c.argv[2], c.argl[2], LOOKUP_NONE, &h, NULL)
    cdef char abuf[LONG_STR_SIZE]
    cdef char bbuf[LONG_STR_SIZE]
    cdef const char* a = b""
    cdef const char* b = b""
    cdef size_t alen = 0, blen = 0
    cdef int j
    cdef bint want_len = False, want_idx = False, with_len = False
    cdef long long minlen = 0
    if (ea != NULL and entry_type(ea) != T_STRING) or (eb != NULL and entry_type(eb) != T_STRING):
        return c.error_cstr(ERR_LCS_NOT_STRING)
    if ea != NULL:
        a = string_view(ea, abuf, &alen)
    if eb != NULL:
        b = string_view(eb, bbuf, &blen)
    j = 3
    while j < c.argc:
        if arg_is(c.argv[j], c.argl[j], b"idx", 3):
            want_idx = True
        elif arg_is(c.argv[j], c.argl[j], b"len", 3):
            want_len = True
        elif arg_is(c.argv[j], c.argl[j], b"withmatchlen", 12):
            with_len = True
        elif arg_is(c.argv[j], c.argl[j], b"minmatchlen", 11) and j < c.argc - 1:
            if arg_ll(c, j + 1, &minlen):
                return 0
            if minlen < 0:
                minlen = 0
            j += 1
        else:
            return syntax_error(c)
        j += 1
    if want_idx and want_len:
        return c.error_cstr(ERR_LCS_IDX_AND_LEN)
    if alen >= 4294967294ULL or blen >= 4294967294ULL:
        return c.error_cstr(ERR_LCS_TOO_LONG)
    return lcs_reply(c, a, alen, b, blen, want_len, want_idx, with_len, minlen)


cdef int lcs_reply(Client c, const char* a, size_t alen, const char* b, size_t blen,
                   bint want_len, bint want_idx, bint with_len, long long minlen) except -1:
    """Longest common subsequence by dynamic programming over a (alen+1) x (blen+1) table of
    prefix LCS lengths, then one walk back from the end that rebuilds the string and the
    matching ranges (reported last match first, as Redis reports them)."""
    cdef size_t cells = (alen + 1) * (blen + 1)
    cdef size_t w = blen + 1
    cdef uint32_t* dp
    cdef size_t i, j, k, total
    cdef char* result = NULL
    cdef long long ranges = 0
    cdef size_t deferred = 0
    cdef bint in_range = False, close_range
    cdef size_t a0 = 0, a1 = 0, b0 = 0, b1 = 0
    if <long long>(cells * sizeof(uint32_t)) > c.core.proto_max_bulk_len or \
            cells > (<size_t>-1) // sizeof(uint32_t):
        return c.error_cstr(ERR_LCS_NOMEM)
    dp = <uint32_t*>malloc(cells * sizeof(uint32_t))
    if dp == NULL:
        return c.error_cstr(ERR_LCS_NOMEM)
    try:
        for i in range(alen + 1):
            for j in range(blen + 1):
                if i == 0 or j == 0:
                    dp[i * w + j] = 0
                elif a[i - 1] == b[j - 1]:
                    dp[i * w + j] = dp[(i - 1) * w + j - 1] + 1
                else:
                    dp[i * w + j] = dp[(i - 1) * w + j] if dp[(i - 1) * w + j] > dp[i * w + j - 1] \
                        else dp[i * w + j - 1]
        total = dp[alen * w + blen]
        if want_len:
            return reply_int(&c.out, <long long>total)
        if not want_idx:
            result = <char*>malloc(total if total else 1)
            if result == NULL:
                raise MemoryError()
        else:
            reply_map(&c.out, 2)
            reply_bulk(&c.out, b"matches", 7)
            deferred = reply_defer(&c.out)
        i = alen
        j = blen
        k = total
        while i > 0 and j > 0:
            close_range = False
            if a[i - 1] == b[j - 1]:
                if result != NULL:
                    result[k - 1] = a[i - 1]
                if not in_range:
                    in_range = True
                    a0 = a1 = i - 1
                    b0 = b1 = j - 1
                elif a0 == i and b0 == j:
                    a0 -= 1
                    b0 -= 1
                else:
                    close_range = True
                if a0 == 0 or b0 == 0:
                    close_range = True
                k -= 1
                i -= 1
                j -= 1
            else:
                if dp[(i - 1) * w + j] > dp[i * w + j - 1]:
                    i -= 1
                else:
                    j -= 1
                if in_range:
                    close_range = True
            if close_range:
                if want_idx and (minlen == 0 or <long long>(a1 - a0 + 1) >= minlen):
                    reply_array(&c.out, 3 if with_len else 2)
                    reply_array(&c.out, 2)
                    reply_int(&c.out, <long long>a0)
                    reply_int(&c.out, <long long>a1)
                    reply_array(&c.out, 2)
                    reply_int(&c.out, <long long>b0)
                    reply_int(&c.out, <long long>b1)
                    if with_len:
                        reply_int(&c.out, <long long>(a1 - a0 + 1))
                    ranges += 1
                in_range = False
        if want_idx:
            reply_set_deferred_array(&c.out, deferred, ranges)
            reply_bulk(&c.out, b"len", 3)
            reply_int(&c.out, <long long>total)
        else:
            reply_bulk(&c.out, result, total)
    finally:
        free(dp)
        free(result)
    return 0


HANDLERS = {
    "get": native(cmd_get),
    "set": native(cmd_set),
    "setnx": native(cmd_setnx),
    "setex": native(cmd_setex),
    "psetex": native(cmd_psetex),
    "getset": native(cmd_getset),
    "getdel": native(cmd_getdel),
    "getex": native(cmd_getex),
    "mget": native(cmd_mget),
    "mset": native(cmd_mset),
    "msetnx": native(cmd_msetnx),
    "append": native(cmd_append),
    "strlen": native(cmd_strlen),
    "getrange": native(cmd_getrange),
    "substr": native(cmd_getrange),
    "setrange": native(cmd_setrange),
    "incr": native(cmd_incr),
    "decr": native(cmd_decr),
    "incrby": native(cmd_incrby),
    "decrby": native(cmd_decrby),
    "incrbyfloat": native(cmd_incrbyfloat),
    "lcs": native(cmd_lcs),
}
