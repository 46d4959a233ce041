# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The AOF base written as commands (aof-use-rdb-preamble no), as a rewrite writes it.

What redis-server 7.0.15 writes in appendonly.aof.N.base.aof (checked by experiment):
optionally a `#TS:<unix seconds>` annotation line first (aof-timestamp-enabled), then per
database that has keys `SELECT n`, then per key (keys whose TTL has already passed are left
out):
  string      SET k v
  list        RPUSH k e1 ... e64         head to tail, 64 elements a command
  set         SADD k m1 ... m64          64 members a command
  sorted set  ZADD k s1 m1 ... s64 m64   64 pairs a command, scores as "%.17g" (inf, -inf)
  hash        HMSET k f1 v1 ... f64 v64  64 pairs a command
then, for a key with a TTL, PEXPIREAT k <unix ms>. Everything is RESP multi-bulk, streamed
into the RDB writer's buffer (rdb.WBuf) that goes to the file in large chunks. (With
aof-use-rdb-preamble yes the base is an RDB file: fastresp.rdb.save.)
"""
import os

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.object cimport PyObject
from libc.stdlib cimport free
from libc.string cimport memcpy, memset
from libc.stdint cimport uint64_t
from libc.errno cimport errno, EINTR
from posix.unistd cimport write

from fastresp.rdb cimport WBuf, FLUSH_AT, crc64, wb_put, wb_grow, wb_flush, wb_key_done
from fastresp.keyspace cimport (Keyspace, Db, Entry, Str, T_STRING, T_LIST, T_SET, T_ZSET,
                                T_HASH, ENC_INT, ENC_EMBSTR, entry_type, entry_encoding,
                                entry_key, entry_keylen, str_bytes, key_hash, get_expire,
                                dict_size)
from fastresp.t_list cimport list_length, list_foreach
from fastresp.t_hash cimport hash_length, hash_foreach
from fastresp.t_set cimport set_length, set_foreach
from fastresp.t_zset cimport zset_length, zset_foreach
from fastresp.util cimport ll2string, mstime, LONG_STR_SIZE
from fastresp.includes.libc_extra cimport snprintf
from fastresp.rdb import RdbError

cdef enum:
    AOF_ITEMS_PER_CMD = 64


cdef inline int ab_count(WBuf* w, char mark, long long v) except -1:
    """`*<v>\r\n` (mark '*') or `$<v>\r\n` (mark '$')."""
    cdef char b[LONG_STR_SIZE + 4]
    cdef size_t n
    b[0] = mark
    n = 1 + ll2string(b + 1, v)
    b[n] = 13
    b[n + 1] = 10
    return wb_put(w, b, n + 2)


cdef int ab_write_all(WBuf* w, const char* s, size_t n) except -1:
    """Write n bytes at s to w's file, past the buffer (which must be flushed)."""
    cdef size_t done = 0
    cdef ssize_t k
    if not w.nocrc:
        w.crc = crc64(w.crc, <const unsigned char*>s, n)
    while done < n:
        k = write(w.fd, s + done, n - done)
        if k < 0:
            if errno == EINTR:
                continue
            raise OSError(errno, os.strerror(errno))
        done += <size_t>k
    w.flushed += n
    return 0


cdef inline int ab_bulk(WBuf* w, const char* s, size_t n) except -1:
    """A bulk string: `$<n>\r\n<bytes>\r\n`."""
    cdef char b[LONG_STR_SIZE + 4]
    cdef size_t h
    b[0] = 36      # '$'
    h = 1 + ll2string(b + 1, <long long>n)
    b[h] = 13
    b[h + 1] = 10
    if w.fd >= 0 and n >= FLUSH_AT:
        # a big element goes straight to the file: the buffer stays small (the rewrite child's
        # memory)
        wb_put(w, b, h + 2)
        wb_flush(w)
        ab_write_all(w, s, n)
        return wb_put(w, b"\r\n", 2)
    if w.cap - w.len < h + n + 4:         # header + CRLF, bytes, CRLF
        if w.fd >= 0 and w.len >= FLUSH_AT:
            wb_flush(w)
        if w.cap - w.len < h + n + 4:
            wb_grow(w, h + n + 4)
    memcpy(w.p + w.len, b, h + 2)
    w.len += h + 2
    memcpy(w.p + w.len, s, n)
    w.len += n
    w.p[w.len] = 13
    w.p[w.len + 1] = 10
    w.len += 2
    return 0


cdef inline int ab_bulk_ll(WBuf* w, long long v) except -1:
    cdef char num[LONG_STR_SIZE]
    return ab_bulk(w, num, ll2string(num, v))


cdef struct ACtx:
    WBuf* w
    const char* key
    size_t keylen
    const char* cmd         # RPUSH, SADD, ZADD, HMSET
    size_t cmdlen
    long long left          # elements (pairs) not yet written
    int in_cmd              # elements (pairs) written in the current command
    int per_elem            # arguments per element: 1 or 2


cdef int ab_item_start(ACtx* c) except -1:
    """Before an element: open a new command when the last one is full."""
    cdef long long k
    if c.in_cmd == 0:
        k = c.left if c.left < AOF_ITEMS_PER_CMD else AOF_ITEMS_PER_CMD
        if k <= 0:          # the value changed under the walk: never write a wrong count
            raise RdbError("value changed while writing the AOF base")
        ab_count(c.w, 42, 2 + k * c.per_elem)      # '*'
        ab_bulk(c.w, c.cmd, c.cmdlen)
        ab_bulk(c.w, c.key, c.keylen)
    return 0


cdef inline void ab_item_done(ACtx* c) noexcept:
    c.left -= 1
    c.in_cmd += 1
    if c.in_cmd == AOF_ITEMS_PER_CMD:
        c.in_cmd = 0


cdef int _ab_elem(void* ctx, const char* p, size_t n) except -1:
    cdef ACtx* c = <ACtx*>ctx
    ab_item_start(c)
    ab_bulk(c.w, p, n)
    ab_item_done(c)
    return 0


cdef int _ab_pair(void* ctx, const char* a, size_t an, const char* b, size_t bn) except -1:
    cdef ACtx* c = <ACtx*>ctx
    ab_item_start(c)
    ab_bulk(c.w, a, an)
    ab_bulk(c.w, b, bn)
    ab_item_done(c)
    return 0


cdef int _ab_scored(void* ctx, const char* p, size_t n, double score) except -1:
    cdef ACtx* c = <ACtx*>ctx
    cdef char buf[64]
    cdef int k = snprintf(buf, sizeof(buf), b"%.17g", score)
    ab_item_start(c)
    ab_bulk(c.w, buf, <size_t>k)
    ab_bulk(c.w, p, n)
    ab_item_done(c)
    return 0


cdef int ab_key(WBuf* w, Entry* e) except -1:
    """The commands that rebuild e's value."""
    cdef int t = entry_type(e)
    cdef int enc = entry_encoding(e)
    cdef Str* s
    cdef ACtx c
    c.w = w
    c.key = entry_key(e)
    c.keylen = entry_keylen(e)
    c.in_cmd = 0
    c.per_elem = 1
    if t == T_STRING:
        wb_put(w, b"*3\r\n$3\r\nSET\r\n", 13)
        ab_bulk(w, c.key, c.keylen)
        if enc == ENC_INT:
            return ab_bulk_ll(w, e.v.i)
        if enc == ENC_EMBSTR:
            return ab_bulk(w, entry_key(e) + entry_keylen(e), <size_t>e.v.i)
        s = <Str*>e.v.p
        return ab_bulk(w, str_bytes(s), s.len)
    if t == T_LIST:
        c.cmd = b"RPUSH"
        c.cmdlen = 5
        c.left = list_length(e)
        list_foreach(e, _ab_elem, &c)
    elif t == T_SET:
        c.cmd = b"SADD"
        c.cmdlen = 4
        c.left = set_length(e)
        set_foreach(e, _ab_elem, &c)
    elif t == T_ZSET:
        c.cmd = b"ZADD"
        c.cmdlen = 4
        c.per_elem = 2
        c.left = zset_length(e)
        zset_foreach(e, _ab_scored, &c)
    elif t == T_HASH:
        c.cmd = b"HMSET"
        c.cmdlen = 5
        c.per_elem = 2
        c.left = hash_length(e)
        hash_foreach(e, _ab_pair, &c)
    else:
        raise RdbError(f"Cannot write a value of type {t} as AOF commands")
    if c.left != 0:
        raise RdbError("value changed while writing the AOF base")
    return 0


cdef int ab_db(WBuf* w, Keyspace ks, Db* db, int d, long long now) except -1:
    """SELECT d (before the first key written), then every live key of db."""
    cdef int t
    cdef size_t i
    cdef Entry* e
    cdef long long when
    cdef uint64_t h
    cdef bint selected = False
    for t in range(2):
        for i in range(db.kv.t[t].size):
            e = <Entry*>db.kv.t[t].b[i]
            while e != NULL:
                when = -1
                if e.keylen & 0x80000000:      # ENTRY_HAS_TTL
                    h = key_hash(&ks.st, entry_key(e), entry_keylen(e))
                    when = get_expire(db, e, h)
                if when == -1 or when >= now:
                    if not selected:
                        wb_put(w, b"*2\r\n$6\r\nSELECT\r\n", 16)
                        ab_bulk_ll(w, d)
                        selected = True
                    ab_key(w, e)
                    if when != -1:
                        wb_put(w, b"*3\r\n$9\r\nPEXPIREAT\r\n", 19)
                        ab_bulk(w, entry_key(e), entry_keylen(e))
                        ab_bulk_ll(w, when)
                wb_key_done(w)
                e = e.next
    return 0


cdef int ab_file(WBuf* w, Keyspace ks, bint timestamp) except -1:
    """The whole base: the optional #TS annotation, then every database with keys."""
    cdef int d
    cdef Db* db
    cdef long long now = mstime()
    cdef char num[LONG_STR_SIZE]
    if timestamp:
        wb_put(w, b"#TS:", 4)
        wb_put(w, num, ll2string(num, now // 1000))
        wb_put(w, b"\r\n", 2)
    for d in range(ks.ndbs):
        db = ks.db(d)
        if dict_size(&db.kv) == 0:
            continue
        ab_db(w, ks, db, d, now)
    return 0


def save_aof_bytes(Keyspace ks, bint timestamp=False):
    """The AOF base of the whole keyspace as bytes (tests, small datasets)."""
    cdef WBuf w
    memset(&w, 0, sizeof(WBuf))
    w.fd = -1
    try:
        ab_file(&w, ks, timestamp)
        return PyBytes_FromStringAndSize(<char*>w.p, w.len)
    finally:
        free(w.p)


def save_aof(Keyspace ks, str path, bint timestamp=False, progress=None,
             long long key_delay=0):
    """Write the whole keyspace as an AOF base of commands at path (aof-use-rdb-preamble no;
    the caller fsyncs and renames). Returns the bytes written. progress and key_delay as for
    save()."""
    cdef WBuf w
    cdef int fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    memset(&w, 0, sizeof(WBuf))
    w.fd = fd
    w.key_delay = key_delay
    w.progress = <PyObject*>progress if progress is not None else NULL
    w.nocrc = True
    try:
        ab_file(&w, ks, timestamp)
        wb_flush(&w)
        return w.flushed
    finally:
        free(w.p)
        os.close(fd)
