# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""OBJECT ENCODING, REFCOUNT, IDLETIME and FREQ (as Redis's object.c), with Redis 7.0's replies:
what a key's value looks like inside the server. (OBJECT HELP is Python:
pyredis.commands.keys.)"""
from libc.string cimport strlen
from libc.stdint cimport uint64_t

from fastresp.core cimport Client, native
from fastresp.keyspace cimport (
    Entry, T_STRING, ENC_RAW, ENC_INT, ENC_HT, ENC_LINKEDLIST, ENC_ZIPLIST, ENC_INTSET,
    ENC_SKIPLIST, ENC_EMBSTR, ENC_QUICKLIST, ENC_STREAM, ENC_LISTPACK, LOOKUP_NOTOUCH,
    LOOKUP_NONOTIFY, lookup, entry_type, entry_encoding, entry_private_int, idle_ms,
    lfu_decr_and_return)
from fastresp.reply cimport reply_null, reply_int, reply_bulk
from fastresp.includes.errors cimport ERR_LFU_NOT_SELECTED, ERR_LFU_SELECTED

cdef enum:
    SHARED_INTEGERS = 10000            # integers below this are shared objects in Redis ...
    SHARED_REFCOUNT = 2147483647       # ... whose OBJECT REFCOUNT is INT_MAX


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
        return c.error_cstr(ERR_LFU_SELECTED)
    return reply_int(&c.out, idle_ms(c.db.st, e) // 1000)


# OBJECT FREQ key
cdef int cmd_object_freq(Client c) except -1:
    cdef uint64_t h
    cdef Entry* e = object_target(c, &h)
    if e == NULL:
        return 0
    if not c.db.st.lfu:
        return c.error_cstr(ERR_LFU_NOT_SELECTED)
    return reply_int(&c.out, <long long>lfu_decr_and_return(c.db.st, e))


HANDLERS = {
    "object|encoding": native(cmd_object_encoding),
    "object|refcount": native(cmd_object_refcount),
    "object|idletime": native(cmd_object_idletime),
    "object|freq": native(cmd_object_freq),
}
