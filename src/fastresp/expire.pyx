# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Expiry commands (as Redis's expire.c): TTL, PTTL, EXPIRETIME, PEXPIRETIME, EXPIRE, PEXPIRE,
EXPIREAT, PEXPIREAT, PERSIST, with Redis 7.0's replies and errors. (How keys expire, lazily and
in the active cycle, is the keyspace's: keyspace.pyx.)"""
from libc.stdlib cimport malloc, free
from libc.limits cimport LLONG_MAX, LLONG_MIN
from libc.stdint cimport uint64_t

from fastresp.core cimport Client, native, propagating, propagate_key_op, propagate_edited
from fastresp.cmdutil cimport arg_ll, error_with_command, key_changed, key_event, lookup_arg
from fastresp.keyspace cimport (NOTIFY_GENERIC, Entry, LOOKUP_WRITE, LOOKUP_NOTOUCH, lookup,
                                db_unlink_free, get_expire, set_expire, remove_expire)
from fastresp.reply cimport reply_int
from fastresp.util cimport arg_is, cstr_len
from fastresp.includes.libc_extra cimport snprintf
from fastresp.includes.errors cimport (ERR_EXPIRE_TIME_FMT, ERR_GT_AND_LT, ERR_NX_XX_GT_LT,
                                       ERR_UNSUPPORTED_OPTION_FMT)

cdef long long LLONG_MAX_V = LLONG_MAX
cdef long long LLONG_MIN_V = LLONG_MIN

cdef enum:
    EXPIRE_NX = 1
    EXPIRE_XX = 2
    EXPIRE_GT = 4
    EXPIRE_LT = 8


cdef int ttl_generic(Client c, bint in_ms, bint absolute) except -1:
    cdef uint64_t h
    cdef Entry* e = lookup_arg(c, 1, LOOKUP_NOTOUCH, &h)
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
    if propagating(c.core):
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
    cdef Entry* e = lookup_arg(c, 1, LOOKUP_WRITE, &h)
    if e != NULL and remove_expire(c.db, e, h):
        key_event(c, NOTIFY_GENERIC, b"persist", c.argv[1], c.argl[1])
        key_changed(c, 1)
        return reply_int(&c.out, 1)
    return reply_int(&c.out, 0)


HANDLERS = {
    "ttl": native(cmd_ttl),
    "pttl": native(cmd_pttl),
    "expiretime": native(cmd_expiretime),
    "pexpiretime": native(cmd_pexpiretime),
    "expire": native(cmd_expire),
    "pexpire": native(cmd_pexpire),
    "expireat": native(cmd_expireat),
    "pexpireat": native(cmd_pexpireat),
    "persist": native(cmd_persist),
}
