# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Redis 7.0's RDB format (RDB version 10): values for DUMP/RESTORE, whole files for SAVE and
loading. Written from the format's public descriptions and from what redis-server 7.0.15
writes; no Redis source.

Serialization
=============
A value is its RDB type byte then its body. Lengths use Redis's variable encoding (6-bit,
14-bit, 32-bit or 64-bit big-endian; the 0b11 prefix marks an encoded string: int8/16/32
little-endian or LZF). Strings are written as Redis writes them: up to 11 bytes that are a
canonical integer of 32 bits become an integer encoding; with compression on, strings over 20
bytes are LZF-compressed when the result is at least 4 bytes shorter (our own LZF compressor,
with the same hashing as the common liblzf one, so the bytes usually match Redis's).

Aggregates are written in Redis's 7.0 encodings: lists as QUICKLIST_2 (listpack nodes, split
the way list-max-listpack-size splits Redis's nodes), sets as an intset blob or a plain member
list, hashes as a listpack blob or field/value pairs, sorted sets as a listpack blob or ZSET_2
(binary doubles, highest score first as Redis writes them). Listpack blobs are in Redis's
listpack format (integer encodings, back-lengths), which is not pyredis's in-memory listpack:
they are built here and walked here, with every length and back-length checked.

Reading creates values through the type modules (list_push, hash_set, set_add, zset_add), so
encodings follow pyredis's limits. Everything read is validated (lengths against the bytes
left, listpack and intset integrity, NaN scores, duplicate members/fields): a bad payload
raises RdbError (RESTORE: "Bad data format"), never a crash.

DUMP payload: value + RDB version (2 bytes LE) + CRC64 (Jones, reflected) of all that, LE.
Files: REDIS0010, aux fields, then per database SELECTDB, RESIZEDB, [EXPIRETIME_MS] type key
value..., EOF, CRC64 of everything before it (or 8 zero bytes when checksums are off).
"""
import os
import time

from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdlib cimport malloc, realloc, free, strtod
from libc.stdio cimport snprintf
from libc.string cimport memcpy, memcmp, memset
from libc.stdint cimport uint64_t, uint32_t, uint16_t, int64_t, int32_t, int16_t, int8_t
from libc.math cimport isnan
from libc.errno cimport errno, EINTR
from posix.unistd cimport write, usleep
from cpython.ref cimport PyObject

from fastresp.core cimport propagating, Client, native, propagate_key_op, propagate_edited
from fastresp.cmdutil cimport syntax_error, arg_ll, key_changed, key_event
from fastresp.keyspace cimport (Entry, Db, Str, KsState, Keyspace, Dict, T_STRING, T_LIST,
                                T_SET, T_ZSET, T_HASH, ENC_INT, ENC_EMBSTR, ENC_INTSET,
                                ENC_LISTPACK,
                                LOOKUP_NONE, LOOKUP_WRITE, LOOKUP_NOTOUCH, lookup, db_find,
                                entry_type, entry_encoding, entry_key, entry_keylen, str_bytes,
                                entry_new_string, free_value, key_hash, db_insert, db_add,
                                db_delete, get_expire, set_expire, dict_size, NOTIFY_GENERIC,
                                META_LRU_SHIFT, LRU_CLOCK_MAX, db_flush, idle_ms,
                                lfu_decr_and_return)
from fastresp.t_list cimport list_new_entry, list_push, list_length, list_foreach
from fastresp.t_hash cimport hash_new_entry, hash_set, hash_length, hash_foreach
from fastresp.t_set cimport (set_new_entry, set_add, set_add_ll, set_length, set_foreach,
                             IntSet)
from fastresp.t_zset cimport zset_new_entry, zset_add, zset_length, zset_foreach
from fastresp.reply cimport reply_null, reply_bulk, reply_ok
from fastresp.includes.libc_extra cimport REDIS_VERSION
from fastresp.util cimport string2ll, ll2string, d2string, arg_is, mstime, LONG_STR_SIZE
from fastresp.includes.errors cimport (ERR_BAD_DATA_FORMAT, ERR_BUSYKEY, ERR_DUMP_PAYLOAD,
                                       ERR_INVALID_FREQ, ERR_INVALID_IDLETIME, ERR_INVALID_TTL)

cdef enum:
    RDB_VERSION = 10
    # value types
    RDB_TYPE_STRING = 0
    RDB_TYPE_LIST = 1
    RDB_TYPE_SET = 2
    RDB_TYPE_ZSET = 3
    RDB_TYPE_HASH = 4
    RDB_TYPE_ZSET_2 = 5
    RDB_TYPE_SET_INTSET = 11
    RDB_TYPE_HASH_LISTPACK = 16
    RDB_TYPE_ZSET_LISTPACK = 17
    RDB_TYPE_LIST_QUICKLIST_2 = 18
    # opcodes
    OP_FUNCTION2 = 245
    OP_MODULE_AUX = 247
    OP_IDLE = 248
    OP_FREQ = 249
    OP_AUX = 250
    OP_RESIZEDB = 251
    OP_EXPIRETIME_MS = 252
    OP_EXPIRETIME = 253
    OP_SELECTDB = 254
    OP_EOF = 255
    # quicklist node containers
    QL_PLAIN = 1
    QL_PACKED = 2


class RdbError(Exception):
    """A malformed RDB file or payload: .offset is where reading stopped."""
    def __init__(self, message, offset=0):
        super().__init__(f"{message} (offset {offset})")
        self.message = message
        self.offset = offset


# =============================================================================================
# CRC64 (Jones polynomial, reflected, init 0: Redis's crc64) and LZF
# =============================================================================================

cdef uint64_t CRC_TABLE[8][256]

cdef void _crc_init() noexcept:
    cdef uint64_t poly = 0x95AC9329AC4BC9B5ULL   # 0xad93d23594c935a9 bit-reversed
    cdef uint64_t c
    cdef int i, j
    for i in range(256):
        c = <uint64_t>i
        for j in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        CRC_TABLE[0][i] = c
    for i in range(256):
        c = CRC_TABLE[0][i]
        for j in range(1, 8):
            c = CRC_TABLE[0][c & 0xff] ^ (c >> 8)
            CRC_TABLE[j][i] = c

_crc_init()


cdef uint64_t crc64(uint64_t crc, const unsigned char* p, size_t n) noexcept nogil:
    cdef uint64_t w
    while n >= 8:
        memcpy(&w, p, 8)           # little-endian host
        crc ^= w
        crc = (CRC_TABLE[7][crc & 0xff] ^ CRC_TABLE[6][(crc >> 8) & 0xff] ^
               CRC_TABLE[5][(crc >> 16) & 0xff] ^ CRC_TABLE[4][(crc >> 24) & 0xff] ^
               CRC_TABLE[3][(crc >> 32) & 0xff] ^ CRC_TABLE[2][(crc >> 40) & 0xff] ^
               CRC_TABLE[1][(crc >> 48) & 0xff] ^ CRC_TABLE[0][crc >> 56])
        p += 8
        n -= 8
    while n:
        crc = CRC_TABLE[0][(crc ^ p[0]) & 0xff] ^ (crc >> 8)
        p += 1
        n -= 1
    return crc


def crc64_of(bytes data, unsigned long long crc=0):
    return crc64(crc, <const unsigned char*>PyBytes_AS_STRING(data), <size_t>PyBytes_GET_SIZE(data))


cdef enum:
    LZF_HLOG = 16
    LZF_HSIZE = 1 << 16
    LZF_MAX_LIT = 32
    LZF_MAX_OFF = 8192
    LZF_MAX_REF = 264

cdef uint32_t* LZF_HTAB = <uint32_t*>malloc(LZF_HSIZE * sizeof(uint32_t))


cdef inline uint32_t _lzf_idx(uint32_t h) noexcept nogil:
    return ((h >> (24 - LZF_HLOG)) - h * 5) & (LZF_HSIZE - 1)


cdef size_t lzf_compress(const unsigned char* src, size_t n, unsigned char* out,
                         size_t out_cap) noexcept nogil:
    """LZF-compress src into out; 0 when it does not fit out_cap (the caller stores it raw).
    Matches are found through a hash of the next 3 bytes; offsets are stored 1-based from the
    start (0 = empty slot) so the table needs only clearing."""
    cdef uint32_t* htab = LZF_HTAB
    cdef size_t ip = 0, op = 1, lit = 0, ref, off, length, maxlen
    cdef uint32_t hval, slot
    cdef const unsigned char* end = src + n
    if n == 0 or out_cap == 0:
        return 0
    memset(htab, 0, LZF_HSIZE * sizeof(uint32_t))
    hval = (<uint32_t>src[0] << 8) | (src[1] if n > 1 else 0)
    while n >= 3 and ip < n - 2:
        hval = (hval << 8) | src[ip + 2]
        slot = _lzf_idx(hval)
        ref = htab[slot]
        htab[slot] = <uint32_t>(ip + 1)
        if ref:
            ref -= 1
        if (ref > 0 and ref < ip and ip - ref - 1 < LZF_MAX_OFF and src[ref + 2] == src[ip + 2]
                and src[ref] == src[ip] and src[ref + 1] == src[ip + 1]):
            off = ip - ref - 1
            length = 2
            maxlen = n - ip - length
            if maxlen > LZF_MAX_REF:
                maxlen = LZF_MAX_REF
            if op + 3 + 1 >= out_cap:
                if op - (1 if lit == 0 else 0) + 3 + 1 >= out_cap:
                    return 0
            out[op - lit - 1] = <unsigned char>(lit - 1)
            if lit == 0:
                op -= 1
            while True:
                length += 1
                if not (length < maxlen and src[ref + length] == src[ip + length]):
                    break
            length -= 2
            ip += 1
            if length < 7:
                out[op] = <unsigned char>((off >> 8) + (length << 5))
                op += 1
            else:
                out[op] = <unsigned char>((off >> 8) + (7 << 5))
                out[op + 1] = <unsigned char>(length - 7)
                op += 2
            out[op] = <unsigned char>(off & 0xff)
            op += 1
            lit = 0
            op += 1
            ip += length + 1
            if ip >= n - 2:
                break
            ip -= 2
            hval = (<uint32_t>src[ip] << 8) | src[ip + 1]
            hval = (hval << 8) | src[ip + 2]
            htab[_lzf_idx(hval)] = <uint32_t>(ip + 1)
            ip += 1
            hval = (hval << 8) | src[ip + 2]
            htab[_lzf_idx(hval)] = <uint32_t>(ip + 1)
            ip += 1
        else:
            if op >= out_cap:
                return 0
            lit += 1
            out[op] = src[ip]
            op += 1
            ip += 1
            if lit == LZF_MAX_LIT:
                out[op - lit - 1] = <unsigned char>(lit - 1)
                lit = 0
                op += 1
    if op + 3 > out_cap:
        return 0
    while ip < n:
        lit += 1
        out[op] = src[ip]
        op += 1
        ip += 1
        if lit == LZF_MAX_LIT:
            out[op - lit - 1] = <unsigned char>(lit - 1)
            lit = 0
            op += 1
            if op > out_cap:
                return 0
    if op > out_cap:
        return 0
    out[op - lit - 1] = <unsigned char>(lit - 1)
    if lit == 0:
        op -= 1
    return op


cdef size_t lzf_decompress(const unsigned char* src, size_t n, unsigned char* out,
                           size_t out_cap) noexcept nogil:
    """Decompress; 0 when the input is corrupt or does not fit out_cap."""
    cdef size_t ip = 0, op = 0, length, back
    cdef unsigned int ctrl
    while ip < n:
        ctrl = src[ip]
        ip += 1
        if ctrl < 32:
            length = ctrl + 1
            if op + length > out_cap or ip + length > n:
                return 0
            memcpy(out + op, src + ip, length)
            op += length
            ip += length
        else:
            length = ctrl >> 5
            if length == 7:
                if ip >= n:
                    return 0
                length += src[ip]
                ip += 1
            if ip >= n:
                return 0
            back = ((ctrl & 0x1f) << 8) + src[ip] + 1
            ip += 1
            length += 2
            if back > op or op + length > out_cap:
                return 0
            while length:
                out[op] = out[op - back]
                op += 1
                length -= 1
    return op


def lzf_compress_bytes(bytes data, Py_ssize_t cap=-1):
    cdef size_t n = <size_t>len(data)
    cdef size_t c = n + 64 if cap < 0 else <size_t>cap
    cdef unsigned char* out = <unsigned char*>malloc(c + 1)
    cdef size_t got
    try:
        got = lzf_compress(<const unsigned char*>PyBytes_AS_STRING(data), n, out, c)
        return PyBytes_FromStringAndSize(<char*>out, got) if got else None
    finally:
        free(out)


def lzf_decompress_bytes(bytes data, size_t n):
    cdef unsigned char* out = <unsigned char*>malloc(n + 1)
    cdef size_t got
    try:
        got = lzf_decompress(<const unsigned char*>PyBytes_AS_STRING(data),
                             <size_t>len(data), out, n)
        return PyBytes_FromStringAndSize(<char*>out, got) if got == n else None
    finally:
        free(out)


# =============================================================================================
# Writing
# =============================================================================================

cdef int wb_grow(WBuf* w, size_t need) except -1:
    cdef size_t cap = w.cap * 2 if w.cap else 256
    cdef unsigned char* p
    while cap < w.len + need:
        cap *= 2
    p = <unsigned char*>realloc(w.p, cap)
    if p == NULL:
        raise MemoryError()
    w.p = p
    w.cap = cap
    return 0


cdef int wb_flush(WBuf* w) except -1:
    cdef size_t done = 0
    cdef ssize_t k
    if w.fd < 0 or w.len == 0:
        return 0
    if not w.nocrc:
        w.crc = crc64(w.crc, w.p, w.len)
    while done < w.len:
        k = write(w.fd, w.p + done, w.len - done)
        if k < 0:
            if errno == EINTR:
                continue
            raise OSError(errno, os.strerror(errno))
        done += <size_t>k
    w.flushed += w.len
    w.len = 0
    return 0


cdef int wb_key_done(WBuf* w) except -1:
    """After each key: count it, sleep rdb-key-save-delay, and every 1024 keys (the 1st,
    1025th, ...) hand the count to the progress callable (which decides whether to report)."""
    w.keys += 1
    if w.key_delay != 0:
        if w.key_delay > 0:
            usleep(<unsigned int>w.key_delay)
        elif w.keys % (-w.key_delay) == 0:
            usleep(1)
    if w.progress != NULL and (w.keys & 1023) == 1:
        (<object>w.progress)(w.keys)
    return 0


cdef int wb_len(WBuf* w, uint64_t v) except -1:
    cdef unsigned char b[9]
    if v < 64:
        b[0] = <unsigned char>v
        return wb_put(w, b, 1)
    if v < 16384:
        b[0] = <unsigned char>(0x40 | (v >> 8))
        b[1] = <unsigned char>(v & 0xff)
        return wb_put(w, b, 2)
    if v <= 0xffffffffULL:
        b[0] = 0x80
        b[1] = <unsigned char>(v >> 24)
        b[2] = <unsigned char>(v >> 16)
        b[3] = <unsigned char>(v >> 8)
        b[4] = <unsigned char>v
        return wb_put(w, b, 5)
    b[0] = 0x81
    for i in range(8):
        b[1 + i] = <unsigned char>(v >> (56 - 8 * i))
    return wb_put(w, b, 9)


cdef int wb_int_string(WBuf* w, long long v) except -1:
    """A string value holding integer v (an int-encoded string)."""
    cdef unsigned char b[5]
    cdef char num[LONG_STR_SIZE]
    cdef size_t n
    if -128 <= v <= 127:
        b[0] = 0xC0
        b[1] = <unsigned char>(v & 0xff)
        return wb_put(w, b, 2)
    if -32768 <= v <= 32767:
        b[0] = 0xC1
        b[1] = <unsigned char>(v & 0xff)
        b[2] = <unsigned char>((v >> 8) & 0xff)
        return wb_put(w, b, 3)
    if -2147483648 <= v <= 2147483647:
        b[0] = 0xC2
        b[1] = <unsigned char>(v & 0xff)
        b[2] = <unsigned char>((v >> 8) & 0xff)
        b[3] = <unsigned char>((v >> 16) & 0xff)
        b[4] = <unsigned char>((v >> 24) & 0xff)
        return wb_put(w, b, 5)
    n = ll2string(num, v)
    wb_len(w, n)
    return wb_put(w, num, n)


cdef int wb_string(WBuf* w, const char* s, size_t n) except -1:
    """A string as Redis's rdbSaveRawString writes it."""
    cdef long long v
    cdef unsigned char* tmp
    cdef size_t c
    if n <= 11 and n > 0 and string2ll(s, n, &v) and -2147483648 <= v <= 2147483647:
        return wb_int_string(w, v)
    if w.compress and n > 20:
        tmp = <unsigned char*>malloc(n)
        if tmp == NULL:
            raise MemoryError()
        c = lzf_compress(<const unsigned char*>s, n, tmp, n - 4)
        if c:
            try:
                wb_byte(w, 0xC3)
                wb_len(w, c)
                wb_len(w, n)
                wb_put(w, tmp, c)
            finally:
                free(tmp)
            return 0
        free(tmp)
    wb_len(w, n)
    return wb_put(w, s, n)


# ----- Redis listpack blobs

cdef inline size_t lp_backlen_size(size_t l) noexcept nogil:
    if l < 128:
        return 1
    if l < 16384:
        return 2
    if l < 2097152:
        return 3
    if l < 268435456:
        return 4
    return 5


cdef int lpw_append(WBuf* w, const char* s, size_t n) except -1:
    """Append one element in Redis's listpack encoding (integers as integers)."""
    cdef unsigned char b[16]
    cdef long long v
    cdef size_t hl, l, bl, i
    cdef uint64_t u
    if n > 0 and n <= 20 and string2ll(s, n, &v):
        if 0 <= v <= 127:
            b[0] = <unsigned char>v
            hl = 1
        elif -4096 <= v <= 4095:
            u = <uint64_t>(v if v >= 0 else v + 8192)
            b[0] = <unsigned char>(0xC0 | (u >> 8))
            b[1] = <unsigned char>(u & 0xff)
            hl = 2
        else:
            u = <uint64_t>v
            if -32768 <= v <= 32767:
                b[0] = 0xF1
                hl = 3
            elif -8388608 <= v <= 8388607:
                b[0] = 0xF2
                hl = 4
            elif -2147483648 <= v <= 2147483647:
                b[0] = 0xF3
                hl = 5
            else:
                b[0] = 0xF4
                hl = 9
            for i in range(1, hl):
                b[i] = <unsigned char>(u >> (8 * (i - 1)))
        l = hl
        wb_put(w, b, hl)
    else:
        if n < 64:
            b[0] = <unsigned char>(0x80 | n)
            hl = 1
        elif n < 4096:
            b[0] = <unsigned char>(0xE0 | (n >> 8))
            b[1] = <unsigned char>(n & 0xff)
            hl = 2
        else:
            b[0] = 0xF0
            b[1] = <unsigned char>n
            b[2] = <unsigned char>(n >> 8)
            b[3] = <unsigned char>(n >> 16)
            b[4] = <unsigned char>(n >> 24)
            hl = 5
        l = hl + n
        wb_put(w, b, hl)
        wb_put(w, s, n)
    # back-length: high 7-bit groups first, every byte but the first flagged
    bl = lp_backlen_size(l)
    for i in range(bl):
        b[i] = <unsigned char>((l >> (7 * (bl - 1 - i))) & 127)
        if i > 0:
            b[i] |= 128
    return wb_put(w, b, bl)


cdef inline int lpw_start(WBuf* w) except -1:
    w.len = 0
    return wb_put(w, b"\0\0\0\0\0\0", 6)


cdef int lpw_finish(WBuf* w, size_t count) except -1:
    wb_byte(w, 0xFF)
    w.p[0] = <unsigned char>w.len
    w.p[1] = <unsigned char>(w.len >> 8)
    w.p[2] = <unsigned char>(w.len >> 16)
    w.p[3] = <unsigned char>(w.len >> 24)
    if count > 65535:
        count = 65535
    w.p[4] = <unsigned char>count
    w.p[5] = <unsigned char>(count >> 8)
    return 0


# ----- values

cdef struct WCtx:
    WBuf* out           # where strings go
    WBuf* lp            # listpack being built
    WBuf* body          # quicklist nodes
    size_t count        # elements in the current listpack
    size_t nodes
    int fill
    double* scores      # ZSET_2: collected in rank order, written reversed
    const char** mems
    size_t* lens
    size_t nz


cdef int _elem_string(void* ctx, const char* p, size_t n) except -1:
    return wb_string((<WCtx*>ctx).out, p, n)


cdef int _pair_strings(void* ctx, const char* a, size_t an, const char* b, size_t bn) except -1:
    wb_string((<WCtx*>ctx).out, a, an)
    return wb_string((<WCtx*>ctx).out, b, bn)


cdef int _elem_lp(void* ctx, const char* p, size_t n) except -1:
    (<WCtx*>ctx).count += 1
    return lpw_append((<WCtx*>ctx).lp, p, n)


cdef int _pair_lp(void* ctx, const char* a, size_t an, const char* b, size_t bn) except -1:
    (<WCtx*>ctx).count += 2
    lpw_append((<WCtx*>ctx).lp, a, an)
    return lpw_append((<WCtx*>ctx).lp, b, bn)


cdef int _scored_lp(void* ctx, const char* p, size_t n, double score) except -1:
    cdef char buf[64]
    cdef size_t k = d2string(buf, sizeof(buf), score)
    (<WCtx*>ctx).count += 2
    lpw_append((<WCtx*>ctx).lp, p, n)
    return lpw_append((<WCtx*>ctx).lp, buf, k)


cdef size_t[5] QL_SIZE_LIMIT = [4096, 8192, 16384, 32768, 65536]


cdef int _ql_close_node(WCtx* c) except -1:
    if c.count == 0:
        return 0
    lpw_finish(c.lp, c.count)
    wb_len(c.body, QL_PACKED)
    wb_string(c.body, <const char*>c.lp.p, c.lp.len)
    c.nodes += 1
    c.count = 0
    lpw_start(c.lp)
    return 0


cdef int _elem_ql(void* ctx, const char* p, size_t n) except -1:
    """Append a list element, opening a new node where Redis 7.0's quicklist would (its
    estimate: node bytes + element length + 8 against the fill's limit)."""
    cdef WCtx* c = <WCtx*>ctx
    cdef size_t new_sz
    cdef bint exceed
    if c.count > 0:
        new_sz = c.lp.len + 1 + n + 8
        if c.fill >= 0:
            exceed = <long long>c.count + 1 > c.fill or new_sz > 8192
        else:
            exceed = new_sz > QL_SIZE_LIMIT[(-c.fill - 1) if c.fill >= -5 else 4]
        if exceed:
            _ql_close_node(c)
    lpw_append(c.lp, p, n)
    c.count += 1
    return 0


cdef int _scored_collect(void* ctx, const char* p, size_t n, double score) except -1:
    cdef WCtx* c = <WCtx*>ctx
    c.mems[c.nz] = p
    c.lens[c.nz] = n
    c.scores[c.nz] = score
    c.nz += 1
    return 0


cdef int write_value(WBuf* w, KsState* st, Entry* e) except -1:
    """The RDB type byte and the body of e's value."""
    cdef int t = entry_type(e)
    cdef int enc = entry_encoding(e)
    cdef WCtx c
    cdef WBuf lp
    cdef WBuf body
    cdef Str* s
    cdef IntSet* iset
    cdef unsigned char hdr[8]
    cdef size_t i, nz
    memset(&c, 0, sizeof(WCtx))
    memset(&lp, 0, sizeof(WBuf))
    memset(&body, 0, sizeof(WBuf))
    lp.fd = -1
    body.fd = -1
    body.compress = w.compress
    c.out = w
    c.lp = &lp
    c.body = &body
    try:
        if t == T_STRING:
            wb_byte(w, RDB_TYPE_STRING)
            if enc == ENC_INT:
                return wb_int_string(w, e.v.i)
            if enc == ENC_EMBSTR:
                return wb_string(w, entry_key(e) + entry_keylen(e), <size_t>e.v.i)
            s = <Str*>e.v.p
            return wb_string(w, str_bytes(s), s.len)
        if t == T_LIST:
            wb_byte(w, RDB_TYPE_LIST_QUICKLIST_2)
            c.fill = st.list_max_listpack_size
            lpw_start(&lp)
            list_foreach(e, _elem_ql, &c)
            _ql_close_node(&c)
            wb_len(w, c.nodes)
            return wb_put(w, body.p, body.len)
        if t == T_SET:
            if enc == ENC_INTSET:
                wb_byte(w, RDB_TYPE_SET_INTSET)
                iset = <IntSet*>e.v.p
                for i in range(4):
                    hdr[i] = <unsigned char>(iset.width >> (8 * i))
                    hdr[4 + i] = <unsigned char>(iset.len >> (8 * i))
                wb_put(&lp, hdr, 8)
                wb_put(&lp, (<char*>iset) + sizeof(IntSet), <size_t>iset.width * iset.len)
                return wb_string(w, <const char*>lp.p, lp.len)
            wb_byte(w, RDB_TYPE_SET)
            wb_len(w, <uint64_t>set_length(e))
            return set_foreach(e, _elem_string, &c)
        if t == T_HASH:
            if enc == ENC_LISTPACK:
                wb_byte(w, RDB_TYPE_HASH_LISTPACK)
                lpw_start(&lp)
                hash_foreach(e, _pair_lp, &c)
                lpw_finish(&lp, c.count)
                return wb_string(w, <const char*>lp.p, lp.len)
            wb_byte(w, RDB_TYPE_HASH)
            wb_len(w, <uint64_t>hash_length(e))
            return hash_foreach(e, _pair_strings, &c)
        if t == T_ZSET:
            if enc == ENC_LISTPACK:
                wb_byte(w, RDB_TYPE_ZSET_LISTPACK)
                lpw_start(&lp)
                zset_foreach(e, _scored_lp, &c)
                lpw_finish(&lp, c.count)
                return wb_string(w, <const char*>lp.p, lp.len)
            wb_byte(w, RDB_TYPE_ZSET_2)
            nz = <size_t>zset_length(e)
            wb_len(w, nz)
            c.mems = <const char**>malloc((nz + 1) * sizeof(char*))
            c.lens = <size_t*>malloc((nz + 1) * sizeof(size_t))
            c.scores = <double*>malloc((nz + 1) * sizeof(double))
            if c.mems == NULL or c.lens == NULL or c.scores == NULL:
                raise MemoryError()
            zset_foreach(e, _scored_collect, &c)
            i = c.nz
            while i > 0:
                i -= 1
                wb_string(w, c.mems[i], c.lens[i])
                wb_put(w, &c.scores[i], 8)
            return 0
        raise RdbError(f"Cannot serialize a value of type {t}")
    finally:
        free(lp.p)
        free(body.p)
        free(c.mems)
        free(c.lens)
        free(c.scores)


# =============================================================================================
# Reading
# =============================================================================================

cdef struct Reader:
    const unsigned char* p
    size_t pos
    size_t len
    unsigned char* tmp[2]     # scratch for decompressed strings
    size_t tmpcap[2]
    char num[2][LONG_STR_SIZE]
    bint empty_key            # the value read was empty (a file skips it)


cdef int fail(Reader* r, str msg) except -1:
    raise RdbError(msg, r.pos)


cdef inline int need(Reader* r, size_t n) except -1:
    if r.len - r.pos < n:
        raise RdbError("Unexpected EOF reading RDB file", r.len)
    return 0


cdef inline int rd_byte(Reader* r) except -1:
    need(r, 1)
    r.pos += 1
    return r.p[r.pos - 1]


cdef int rd_len(Reader* r, uint64_t* out, bint* encoded) except -1:
    cdef int b = rd_byte(r)
    cdef int t = (b & 0xC0) >> 6
    cdef uint64_t v
    cdef int i
    encoded[0] = False
    if t == 0:
        out[0] = b & 0x3f
    elif t == 1:
        out[0] = (<uint64_t>(b & 0x3f) << 8) | <uint64_t>rd_byte(r)
    elif t == 3:
        encoded[0] = True
        out[0] = b & 0x3f
    elif b == 0x80:
        need(r, 4)
        v = 0
        for i in range(4):
            v = (v << 8) | r.p[r.pos + i]
        r.pos += 4
        out[0] = v
    elif b == 0x81:
        need(r, 8)
        v = 0
        for i in range(8):
            v = (v << 8) | r.p[r.pos + i]
        r.pos += 8
        out[0] = v
    else:
        r.pos -= 1
        raise RdbError(f"Unknown length encoding {b} in rdbLoadLen()", r.pos)
    return 0


cdef uint64_t rd_plain_len(Reader* r) except? 0xffffffffffffffff:
    cdef uint64_t v
    cdef bint enc
    rd_len(r, &v, &enc)
    if enc:
        raise RdbError("Unexpected encoded length", r.pos)
    return v


cdef int _tmp_reserve(Reader* r, int slot, size_t n) except -1:
    cdef unsigned char* p
    if r.tmpcap[slot] < n + 1:
        p = <unsigned char*>realloc(r.tmp[slot], n + 1)
        if p == NULL:
            raise MemoryError()
        r.tmp[slot] = p
        r.tmpcap[slot] = n + 1
    return 0


cdef int rd_string(Reader* r, int slot, const char** out, size_t* n) except -1:
    """A string; the bytes stay valid until the next read into the same slot."""
    cdef uint64_t v, clen, ulen
    cdef bint enc
    cdef long long iv
    rd_len(r, &v, &enc)
    if not enc:
        need(r, v)
        out[0] = <const char*>(r.p + r.pos)
        n[0] = <size_t>v
        r.pos += v
        return 0
    if v == 0:
        need(r, 1)
        iv = <int8_t>r.p[r.pos]
        r.pos += 1
    elif v == 1:
        need(r, 2)
        iv = <int16_t>(r.p[r.pos] | (<uint16_t>r.p[r.pos + 1] << 8))
        r.pos += 2
    elif v == 2:
        need(r, 4)
        iv = <int32_t>(<uint32_t>r.p[r.pos] | (<uint32_t>r.p[r.pos + 1] << 8) |
                       (<uint32_t>r.p[r.pos + 2] << 16) | (<uint32_t>r.p[r.pos + 3] << 24))
        r.pos += 4
    elif v == 3:
        clen = rd_plain_len(r)
        ulen = rd_plain_len(r)
        need(r, clen)
        if ulen > (<uint64_t>1 << 32) or ulen == 0:
            raise RdbError("Invalid LZF compressed string", r.pos)
        _tmp_reserve(r, slot, ulen)
        if lzf_decompress(r.p + r.pos, clen, r.tmp[slot], ulen) != ulen:
            raise RdbError("Invalid LZF compressed string", r.pos)
        r.pos += clen
        out[0] = <const char*>r.tmp[slot]
        n[0] = ulen
        return 0
    else:
        raise RdbError(f"Unknown RDB string encoding type {v}", r.pos)
    n[0] = ll2string(r.num[slot], iv)
    out[0] = r.num[slot]
    return 0


cdef double rd_binary_double(Reader* r) except? -1.0:
    cdef double d
    need(r, 8)
    memcpy(&d, r.p + r.pos, 8)
    r.pos += 8
    return d


cdef double rd_string_double(Reader* r) except? -1.0:
    cdef int n = rd_byte(r)
    cdef char buf[256]
    cdef char* end
    cdef double d
    if n == 253:
        return float("nan")
    if n == 254:
        return float("inf")
    if n == 255:
        return float("-inf")
    need(r, n)
    memcpy(buf, r.p + r.pos, n)
    buf[n] = 0
    r.pos += n
    d = strtod(buf, &end)
    if end != buf + n:
        raise RdbError("Bad double value", r.pos)
    return d


# ----- Redis listpack blobs

cdef struct LPIter:
    const unsigned char* p
    size_t pos
    size_t end            # offset of the terminator
    char num[LONG_STR_SIZE]


cdef int lp_validate(const unsigned char* p, size_t n, size_t* count) noexcept:
    """Check a whole listpack blob; 1 when sound (count = elements), 0 when not."""
    cdef uint32_t total
    cdef uint16_t declared
    cdef size_t pos = 6, l, bl, i, k = 0, back
    cdef unsigned char b
    if n < 7:
        return 0
    total = p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)
    declared = p[4] | (<uint16_t>p[5] << 8)
    if total != n or p[n - 1] != 0xFF:
        return 0
    while pos < n - 1:
        b = p[pos]
        if b < 0x80:
            l = 1
        elif (b & 0xC0) == 0x80:
            l = 1 + (b & 0x3f)
        elif (b & 0xE0) == 0xC0:
            l = 2
        elif (b & 0xF0) == 0xE0:
            if pos + 2 > n - 1:
                return 0
            l = 2 + (((b & 0x0f) << 8) | p[pos + 1])
        elif b == 0xF1:
            l = 3
        elif b == 0xF2:
            l = 4
        elif b == 0xF3:
            l = 5
        elif b == 0xF4:
            l = 9
        elif b == 0xF0:
            if pos + 5 > n - 1:
                return 0
            l = 5 + (p[pos + 1] | (<size_t>p[pos + 2] << 8) | (<size_t>p[pos + 3] << 16) |
                     (<size_t>p[pos + 4] << 24))
        else:
            return 0
        bl = lp_backlen_size(l)
        if l + bl > n - 1 - pos:
            return 0
        back = 0
        for i in range(bl):
            if (i > 0) != ((p[pos + l + i] & 128) != 0):
                return 0
            back = (back << 7) | (p[pos + l + i] & 127)
        if back != l:
            return 0
        pos += l + bl
        k += 1
    if pos != n - 1:
        return 0
    if declared != 65535 and declared != k:
        return 0
    count[0] = k
    return 1


cdef inline void lpi_init(LPIter* it, const unsigned char* p, size_t n) noexcept:
    it.p = p
    it.pos = 6
    it.end = n - 1


cdef const char* lpi_next(LPIter* it, size_t* n) noexcept:
    """The next element of a VALIDATED listpack as bytes (integers formatted), NULL at the end."""
    cdef const unsigned char* p = it.p + it.pos
    cdef unsigned char b
    cdef long long v
    cdef uint64_t u
    cdef size_t l, k, i
    cdef const char* s
    if it.pos >= it.end:
        return NULL
    b = p[0]
    s = NULL
    if b < 0x80:
        v = b
        l = 1
    elif (b & 0xC0) == 0x80:
        k = b & 0x3f
        s = <const char*>(p + 1)
        l = 1 + k
    elif (b & 0xE0) == 0xC0:
        u = ((b & 0x1f) << 8) | p[1]
        v = <long long>u - 8192 if u >= 4096 else <long long>u
        l = 2
    elif (b & 0xF0) == 0xE0:
        k = ((b & 0x0f) << 8) | p[1]
        s = <const char*>(p + 2)
        l = 2 + k
    elif b == 0xF0:
        k = p[1] | (<size_t>p[2] << 8) | (<size_t>p[3] << 16) | (<size_t>p[4] << 24)
        s = <const char*>(p + 5)
        l = 5 + k
    else:
        l = 3 if b == 0xF1 else 4 if b == 0xF2 else 5 if b == 0xF3 else 9
        u = 0
        for i in range(l - 1):
            u |= <uint64_t>p[1 + i] << (8 * i)
        if l < 9 and (u >> (8 * (l - 1) - 1)) & 1:
            u |= (<uint64_t>0xffffffffffffffff) << (8 * (l - 1))
        v = <long long>u
    it.pos += l + lp_backlen_size(l)
    if s != NULL:
        n[0] = k
        return s
    n[0] = ll2string(it.num, v)
    return it.num


# ----- values

cdef inline int _check_blob(Reader* r, const char* s, size_t n, size_t* count) except -1:
    if not lp_validate(<const unsigned char*>s, n, count):
        raise RdbError("Listpack integrity check failed", r.pos)
    return 0


cdef Entry* read_value(Reader* r, KsState* st, int rtype, const char* k, size_t kn) except NULL:
    """Build a detached entry for key k from a value of RDB type rtype."""
    cdef Entry* e = NULL
    cdef const char* s
    cdef const char* f
    cdef size_t n, fn, cnt, i, m
    cdef uint64_t len, j, nodes, container
    cdef double score
    cdef LPIter it
    cdef LPIter it2
    cdef uint32_t width, ilen
    cdef long long iv, prev
    cdef char fbuf[LONG_STR_SIZE]
    cdef char* fcopy = NULL
    r.empty_key = False
    try:
        if rtype == RDB_TYPE_STRING:
            rd_string(r, 0, &s, &n)
            return entry_new_string(k, kn, s, n)
        if rtype == RDB_TYPE_LIST_QUICKLIST_2 or rtype == RDB_TYPE_LIST:
            e = list_new_entry(k, kn)
            if rtype == RDB_TYPE_LIST:
                len = rd_plain_len(r)
                for j in range(len):
                    rd_string(r, 0, &s, &n)
                    list_push(st, e, s, n, True)
            else:
                nodes = rd_plain_len(r)
                for j in range(nodes):
                    container = rd_plain_len(r)
                    rd_string(r, 0, &s, &n)
                    if container == QL_PLAIN:
                        list_push(st, e, s, n, True)
                    elif container == QL_PACKED:
                        _check_blob(r, s, n, &cnt)
                        lpi_init(&it, <const unsigned char*>s, n)
                        f = lpi_next(&it, &fn)
                        while f != NULL:
                            list_push(st, e, f, fn, True)
                            f = lpi_next(&it, &fn)
                    else:
                        raise RdbError(f"Quicklist integrity check failed (container {container})", r.pos)
            r.empty_key = list_length(e) == 0
            return e
        if rtype == RDB_TYPE_SET:
            e = set_new_entry(k, kn)
            len = rd_plain_len(r)
            for j in range(len):
                rd_string(r, 0, &s, &n)
                if set_add(st, e, s, n) == 0:
                    raise RdbError("Duplicate set members detected", r.pos)
            r.empty_key = len == 0
            return e
        if rtype == RDB_TYPE_SET_INTSET:
            rd_string(r, 0, &s, &n)
            if n < 8:
                raise RdbError("Intset integrity check failed", r.pos)
            memcpy(&width, s, 4)
            memcpy(&ilen, s + 4, 4)
            if (width != 2 and width != 4 and width != 8) or <size_t>width * ilen + 8 != n:
                raise RdbError("Intset integrity check failed", r.pos)
            e = set_new_entry(k, kn)
            for i in range(ilen):
                if width == 2:
                    iv = (<int16_t*>(s + 8))[i]
                elif width == 4:
                    iv = (<int32_t*>(s + 8))[i]
                else:
                    iv = (<int64_t*>(s + 8))[i]
                if i > 0 and iv <= prev:
                    raise RdbError("Intset integrity check failed", r.pos)
                prev = iv
                set_add_ll(st, e, iv)
            r.empty_key = ilen == 0
            return e
        if rtype == RDB_TYPE_HASH:
            e = hash_new_entry(k, kn)
            len = rd_plain_len(r)
            for j in range(len):
                rd_string(r, 0, &f, &fn)
                rd_string(r, 1, &s, &n)
                if hash_set(st, e, f, fn, s, n) == 0:
                    raise RdbError("Duplicate hash fields detected", r.pos)
            r.empty_key = len == 0
            return e
        if rtype == RDB_TYPE_HASH_LISTPACK or rtype == RDB_TYPE_ZSET_LISTPACK:
            rd_string(r, 0, &s, &n)
            _check_blob(r, s, n, &cnt)
            if cnt % 2:
                raise RdbError("Listpack integrity check failed (odd count)", r.pos)
            e = hash_new_entry(k, kn) if rtype == RDB_TYPE_HASH_LISTPACK else zset_new_entry(k, kn)
            lpi_init(&it, <const unsigned char*>s, n)
            for i in range(cnt // 2):
                f = lpi_next(&it, &fn)
                if f == it.num:         # an integer: keep it while the value is decoded
                    memcpy(fbuf, f, fn)
                    f = fbuf
                s = lpi_next(&it, &m)
                if rtype == RDB_TYPE_HASH_LISTPACK:
                    if hash_set(st, e, f, fn, s, m) == 0:
                        raise RdbError("Duplicate hash fields detected", r.pos)
                else:
                    score = _parse_score(r, s, m)
                    if zset_add(st, e, f, fn, score) == 0:
                        raise RdbError("Duplicate zset members detected", r.pos)
            r.empty_key = cnt == 0
            return e
        if rtype == RDB_TYPE_ZSET_2 or rtype == RDB_TYPE_ZSET:
            e = zset_new_entry(k, kn)
            len = rd_plain_len(r)
            for j in range(len):
                rd_string(r, 0, &f, &fn)
                if rtype == RDB_TYPE_ZSET_2:
                    score = rd_binary_double(r)
                else:
                    score = rd_string_double(r)
                if isnan(score):
                    raise RdbError("Zset with NAN score detected", r.pos)
                if zset_add(st, e, f, fn, score) == 0:
                    raise RdbError("Duplicate zset fields detected", r.pos)
            r.empty_key = len == 0
            return e
        raise RdbError(f"Unknown RDB encoding type {rtype}", r.pos)
    except BaseException:
        if e != NULL:
            free_value(e)
            free(e)
        raise


cdef double _parse_score(Reader* r, const char* s, size_t n) except? -1.0:
    cdef char buf[128]
    cdef char* end
    cdef double d
    if n == 0 or n >= sizeof(buf):
        raise RdbError("Bad zset score", r.pos)
    memcpy(buf, s, n)
    buf[n] = 0
    d = strtod(buf, &end)
    if end != buf + n or isnan(d):
        raise RdbError("Bad zset score", r.pos)
    return d


cdef inline bint is_value_type(int t) noexcept:
    return (t >= 0 and t <= 5) or (t >= 9 and t <= 19)


# =============================================================================================
# DUMP / RESTORE
# =============================================================================================

cdef int dump_payload(WBuf* w, KsState* st, Entry* e) except -1:
    cdef unsigned char trailer[10]
    cdef uint64_t crc
    cdef int i
    write_value(w, st, e)
    trailer[0] = RDB_VERSION
    trailer[1] = 0
    wb_put(w, trailer, 2)
    crc = crc64(0, w.p, w.len)
    for i in range(8):
        trailer[i] = <unsigned char>(crc >> (8 * i))
    return wb_put(w, trailer, 8)


cdef bint verify_payload(const unsigned char* p, size_t n) noexcept:
    cdef uint64_t crc = 0
    cdef int i, ver
    if n < 10:
        return False
    ver = p[n - 10] | (p[n - 9] << 8)
    if ver > RDB_VERSION:
        return False
    for i in range(8):
        crc |= <uint64_t>p[n - 8 + i] << (8 * i)
    return crc64(0, p, n - 8) == crc


def dump_entry(Keyspace ks, int db, bytes key, bint compress=True):
    """DUMP of a key as bytes (None when missing), for tests and tools."""
    cdef WBuf w
    cdef uint64_t h
    cdef Entry* e = lookup(ks.db(db), key, len(key), LOOKUP_NOTOUCH, &h, NULL)
    if e == NULL:
        return None
    memset(&w, 0, sizeof(WBuf))
    w.fd = -1
    w.compress = compress
    try:
        dump_payload(&w, &ks.st, e)
        return PyBytes_FromStringAndSize(<char*>w.p, w.len)
    finally:
        free(w.p)


cdef bint DUMP_COMPRESS = True


cdef bint SAVE_IDLE = False     # maxmemory-policy is an LRU one: files carry each key's idle time


def configure(rdbcompression=None, lru_policy=None):
    """CONFIG SET rdbcompression: whether DUMP payloads compress strings (files take it as an
    argument of save); maxmemory-policy: lru_policy (an *-lru policy) makes saved files carry
    each key's idle time (IDLE opcodes) as Redis writes them; an LFU policy makes them carry
    its access frequency (FREQ)."""
    global DUMP_COMPRESS, SAVE_IDLE
    if rdbcompression is not None:
        DUMP_COMPRESS = bool(rdbcompression)
    if lru_policy is not None:
        SAVE_IDLE = bool(lru_policy)


# DUMP key
cdef int cmd_dump(Client c) except -1:
    cdef uint64_t h
    cdef Entry* e = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_NONE, &h, NULL)
    cdef WBuf w
    if e == NULL:
        return reply_null(&c.out)
    memset(&w, 0, sizeof(WBuf))
    w.fd = -1
    w.compress = DUMP_COMPRESS
    try:
        dump_payload(&w, c.db.st, e)
        reply_bulk(&c.out, <const char*>w.p, w.len)
    finally:
        free(w.p)
    return 0


cdef void _reader_free(Reader* r) noexcept:
    free(r.tmp[0])
    free(r.tmp[1])


cdef int prop_restore(Client c, long long when, bint deleted) except -1:
    """What the AOF records for RESTORE, as Redis 7.0: with a relative TTL the same command
    with the absolute time and ABSTTL appended; DEL key when the TTL was already past and an
    old value was replaced."""
    cdef char num[24]
    if deleted:
        return propagate_key_op(c, b"DEL", 3)
    return propagate_edited(c, NULL, 0, 2, num, <size_t>snprintf(num, sizeof(num), b"%lld", when),
                            b"ABSTTL", 6)


# RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
cdef int cmd_restore(Client c) except -1:
    cdef bint replace = False, absttl = False
    cdef long long idle = -1, freq = -1, ttl
    cdef int j = 4
    cdef uint64_t h
    cdef Entry* e
    cdef Entry* old
    cdef Reader r
    cdef int rtype
    cdef bint deleted = False
    cdef KsState* st = c.db.st
    cdef uint32_t clock
    while j < c.argc:
        if arg_is(c.argv[j], c.argl[j], b"replace", 7):
            replace = True
        elif arg_is(c.argv[j], c.argl[j], b"absttl", 6):
            absttl = True
        elif arg_is(c.argv[j], c.argl[j], b"idletime", 8) and j + 1 < c.argc and freq == -1:
            if arg_ll(c, j + 1, &idle):
                return 0
            if idle < 0:
                return c.error_cstr(ERR_INVALID_IDLETIME)
            j += 1
        elif arg_is(c.argv[j], c.argl[j], b"freq", 4) and j + 1 < c.argc and idle == -1:
            if arg_ll(c, j + 1, &freq):
                return 0
            if freq < 0 or freq > 255:
                return c.error_cstr(ERR_INVALID_FREQ)
            j += 1
        else:
            return syntax_error(c)
        j += 1
    old = lookup(c.db, c.argv[1], c.argl[1], LOOKUP_WRITE, &h, NULL)
    if not replace and old != NULL:
        return c.error_cstr(ERR_BUSYKEY)
    if arg_ll(c, 2, &ttl):
        return 0
    if ttl < 0:
        return c.error_cstr(ERR_INVALID_TTL)
    if not verify_payload(<const unsigned char*>c.argv[3], c.argl[3]):
        return c.error_cstr(ERR_DUMP_PAYLOAD)
    memset(&r, 0, sizeof(Reader))
    r.p = <const unsigned char*>c.argv[3]
    r.len = c.argl[3] - 10
    try:
        rtype = rd_byte(&r)
        if not is_value_type(rtype):
            raise RdbError("bad type", 0)
        e = read_value(&r, st, rtype, c.argv[1], c.argl[1])
        if r.empty_key:
            free_value(e)
            free(e)
            raise RdbError("empty key", 0)
    except RdbError:
        return c.error_cstr(ERR_BAD_DATA_FORMAT)
    finally:
        _reader_free(&r)
    if replace and old != NULL:
        deleted = db_delete(c.db, c.argv[1], c.argl[1])
    if ttl and not absttl:
        ttl += mstime()
    if ttl and ttl <= mstime():
        free_value(e)
        free(e)
        if deleted:
            key_event(c, NOTIFY_GENERIC, b"del", c.argv[1], c.argl[1])
            key_changed(c, 1)
            if propagating(c.core):
                prop_restore(c, 0, True)
        return reply_ok(&c.out)
    h = key_hash(st, c.argv[1], c.argl[1])
    db_add(c.db, e, h)
    if ttl:
        set_expire(c.db, e, h, ttl)
    if st.lfu:
        if freq >= 0:
            clock = <uint32_t>(((st.now_ms // 60000) & 65535) << 8) | <uint32_t>freq
            e.meta = (e.meta & 0xff) | ((clock & LRU_CLOCK_MAX) << META_LRU_SHIFT)
    elif idle >= 0:
        clock = st.lru_clock
        idle = idle % (LRU_CLOCK_MAX + 1)
        clock = <uint32_t>((clock - idle) & LRU_CLOCK_MAX) if clock >= idle else \
            <uint32_t>((clock + LRU_CLOCK_MAX - idle) & LRU_CLOCK_MAX)
        e.meta = (e.meta & 0xff) | ((clock & LRU_CLOCK_MAX) << META_LRU_SHIFT)
    key_event(c, NOTIFY_GENERIC, b"restore", c.argv[1], c.argl[1])
    key_changed(c, 1)
    if ttl and not absttl and propagating(c.core):
        prop_restore(c, ttl, False)
    return reply_ok(&c.out)


HANDLERS = {
    "dump": native(cmd_dump),
    "restore": native(cmd_restore),
}


# =============================================================================================
# Files
# =============================================================================================

cdef int wb_aux(WBuf* w, bytes k, bytes v) except -1:
    wb_byte(w, OP_AUX)
    wb_string(w, k, len(k))
    return wb_string(w, v, len(v))


cdef int write_file(WBuf* w, Keyspace ks, bint checksum, dict aux) except -1:
    cdef int d
    cdef Db* db
    cdef size_t n, nex, i
    cdef Entry** items
    cdef Entry* e
    cdef uint64_t h, crc
    cdef long long when
    cdef unsigned char b[8]
    cdef Dict* kv
    wb_put(w, b"REDIS0010", 9)
    for k, v in aux.items():
        wb_aux(w, k if isinstance(k, bytes) else str(k).encode(),
               v if isinstance(v, bytes) else str(v).encode())
    for d in range(ks.ndbs):
        db = ks.db(d)
        n = dict_size(&db.kv)
        if n == 0:
            continue
        nex = dict_size(&db.ex)
        wb_byte(w, OP_SELECTDB)
        wb_len(w, <uint64_t>d)
        wb_byte(w, OP_RESIZEDB)
        wb_len(w, n)
        wb_len(w, nex)
        _write_db(w, ks, db)
    wb_byte(w, OP_EOF)
    if checksum:
        crc = crc64(w.crc, w.p, w.len)
    else:
        crc = 0
    for i in range(8):
        b[i] = <unsigned char>(crc >> (8 * i))
    return wb_put(w, b, 8)


cdef int write_value_keyed(WBuf* w, KsState* st, Entry* e) except -1:
    """type, key, value: the type byte comes first, so the value is staged."""
    cdef WBuf tmp
    memset(&tmp, 0, sizeof(WBuf))
    tmp.fd = -1
    tmp.compress = w.compress
    try:
        write_value(&tmp, st, e)
        wb_put(w, tmp.p, 1)
        wb_string(w, entry_key(e), entry_keylen(e))
        wb_put(w, tmp.p + 1, tmp.len - 1)
    finally:
        free(tmp.p)
    return 0


cdef int _write_db(WBuf* w, Keyspace ks, Db* db) except -1:
    """Every key of db: [EXPIRETIME_MS when] [FREQ f | IDLE s] type key value, walking both
    tables' chains."""
    cdef int t
    cdef size_t i
    cdef Entry* e
    cdef long long when
    cdef uint64_t h
    for t in range(2):
        for i in range(db.kv.t[t].size):
            e = <Entry*>db.kv.t[t].b[i]
            while e != NULL:
                if e.keylen & 0x80000000:      # ENTRY_HAS_TTL
                    h = key_hash(&ks.st, entry_key(e), entry_keylen(e))
                    when = get_expire(db, e, h)
                    if when != -1:
                        wb_byte(w, OP_EXPIRETIME_MS)
                        wb_put(w, &when, 8)
                if ks.st.lfu:
                    wb_byte(w, OP_FREQ)
                    wb_byte(w, <unsigned char>lfu_decr_and_return(&ks.st, e))
                elif SAVE_IDLE:
                    wb_byte(w, OP_IDLE)
                    wb_len(w, <uint64_t>(idle_ms(&ks.st, e) // 1000))
                write_value_keyed(w, &ks.st, e)
                wb_key_done(w)
                e = e.next
    return 0


def default_aux():
    import resource
    return {b"redis-ver": <bytes>REDIS_VERSION, b"redis-bits": b"64", b"ctime": str(int(time.time())).encode(),
            b"used-mem": str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024).encode(),
            b"aof-base": b"0"}


def save_bytes(Keyspace ks, bint compress=True, bint checksum=True, dict aux=None):
    cdef WBuf w
    memset(&w, 0, sizeof(WBuf))
    w.fd = -1
    w.compress = compress
    try:
        write_file(&w, ks, checksum, default_aux() if aux is None else aux)
        return PyBytes_FromStringAndSize(<char*>w.p, w.len)
    finally:
        free(w.p)


def save(Keyspace ks, str path, bint compress=True, bint checksum=True, dict aux=None,
         progress=None, long long key_delay=0):
    """Write the whole keyspace as an RDB file at path (the caller renames and fsyncs).
    progress: None, or a callable given the count of keys written, after the 1st key and
    every 1024 keys; key_delay: rdb-key-save-delay (µs slept after each key)."""
    cdef WBuf w
    cdef int fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    memset(&w, 0, sizeof(WBuf))
    w.fd = fd
    w.compress = compress
    w.key_delay = key_delay
    w.progress = <PyObject*>progress if progress is not None else NULL
    try:
        write_file(&w, ks, checksum, default_aux() if aux is None else aux)
        w.crc = 0          # the trailer is already computed: just write the rest
        wb_flush(&w)
        return w.flushed
    finally:
        free(w.p)
        os.close(fd)



cdef size_t LOAD_PROGRESS_BYTES = 2 * 1024 * 1024    # Redis's loading-process-events-interval-bytes


cdef dict load_buffer(Keyspace ks, const unsigned char* p, size_t n, object progress=None):
    """progress(offset), when given, is called about every LOAD_PROGRESS_BYTES (a loading
    server answers its clients there)."""
    cdef Reader r
    cdef size_t next_progress = LOAD_PROGRESS_BYTES
    cdef int op, rtype
    cdef int dbi = 0
    cdef Db* db = ks.db(0)
    cdef const char* k
    cdef size_t kn
    cdef char* key = NULL
    cdef size_t keycap = 0
    cdef long long expire = -1, now
    cdef uint64_t h, v1, v2, crc, stored
    cdef Entry* e
    cdef Entry** link
    cdef int ver, i
    cdef long long idle = -1, freq = -1
    cdef dict aux = {}
    cdef long long keys = 0, expired = 0, empty = 0
    cdef const char* s
    cdef size_t sn
    cdef bytes akey
    memset(&r, 0, sizeof(Reader))
    r.p = p
    r.len = n
    now = mstime()
    try:
        need(&r, 9)
        if memcmp(p, b"REDIS", 5) != 0:
            raise RdbError("Wrong signature trying to load DB from file", 0)
        ver = 0
        for i in range(5, 9):
            if p[i] < 48 or p[i] > 57:
                raise RdbError("Wrong signature trying to load DB from file", 0)
            ver = ver * 10 + (p[i] - 48)
        if ver < 1 or ver > RDB_VERSION:
            raise RdbError(f"Can't handle RDB format version {ver}", 5)
        r.pos = 9
        while True:
            op = rd_byte(&r)
            if op == OP_EXPIRETIME_MS:
                need(&r, 8)
                memcpy(&expire, r.p + r.pos, 8)
                r.pos += 8
                continue
            if op == OP_EXPIRETIME:
                need(&r, 4)
                expire = <long long>(r.p[r.pos] | (<uint32_t>r.p[r.pos + 1] << 8) |
                                     (<uint32_t>r.p[r.pos + 2] << 16) |
                                     (<uint32_t>r.p[r.pos + 3] << 24)) * 1000
                r.pos += 4
                continue
            if op == OP_FREQ:
                freq = rd_byte(&r)
                continue
            if op == OP_IDLE:
                idle = <long long>rd_plain_len(&r)
                continue
            if op == OP_EOF:
                break
            if op == OP_SELECTDB:
                v1 = rd_plain_len(&r)
                if v1 >= <uint64_t>ks.ndbs:
                    raise RdbError(f"FATAL: Data file was created with a Redis server configured "
                                   f"to handle more than {ks.ndbs} databases", r.pos)
                dbi = <int>v1
                db = ks.db(dbi)
                continue
            if op == OP_RESIZEDB:
                rd_plain_len(&r)
                rd_plain_len(&r)
                continue
            if op == OP_AUX:
                rd_string(&r, 0, &s, &sn)
                akey = PyBytes_FromStringAndSize(s, sn)
                rd_string(&r, 0, &s, &sn)
                aux[akey.decode("latin-1")] = PyBytes_FromStringAndSize(s, sn)
                continue
            if op == OP_MODULE_AUX or op == OP_FUNCTION2:
                raise RdbError(f"Unsupported RDB opcode {op} (modules and functions)", r.pos - 1)
            if not is_value_type(op):
                raise RdbError(f"Unknown RDB encoding type {op}", r.pos - 1)
            rtype = op
            rd_string(&r, 0, &k, &kn)
            if kn > keycap:
                free(key)
                key = <char*>malloc(kn + 1)
                if key == NULL:
                    raise MemoryError()
                keycap = kn
            memcpy(key, k, kn)
            e = read_value(&r, &ks.st, rtype, key, kn)
            if r.empty_key or (expire != -1 and expire < now):
                if r.empty_key:
                    empty += 1
                else:
                    expired += 1
                free_value(e)
                free(e)
            else:
                h = key_hash(&ks.st, key, kn)
                if db_find(db, key, kn, h, &link) != NULL:
                    free_value(e)
                    free(e)
                    raise RdbError(f"Duplicate key '{PyBytes_FromStringAndSize(key, kn)!r}' found in RDB file", r.pos)
                db_insert(db, e, h)
                if expire != -1:
                    set_expire(db, e, h, expire)
                if ks.st.lfu:
                    if freq >= 0:
                        e.meta = (e.meta & 0xff) | (((<uint32_t>(((ks.st.now_ms // 60000) & 65535) << 8) | <uint32_t>freq) & LRU_CLOCK_MAX) << META_LRU_SHIFT)
                elif idle >= 0:
                    e.meta = (e.meta & 0xff) | ((<uint32_t>((ks.st.lru_clock - idle) & LRU_CLOCK_MAX)) << META_LRU_SHIFT)
                keys += 1
            expire = -1
            idle = -1
            freq = -1
            if progress is not None and r.pos >= next_progress:
                progress(r.pos)
                next_progress = r.pos + LOAD_PROGRESS_BYTES
        if ver >= 5:
            need(&r, 8)
            memcpy(&stored, r.p + r.pos, 8)
            if stored != 0:
                crc = crc64(0, p, r.pos)
                if crc != stored:
                    raise RdbError("Wrong RDB checksum", r.pos)
            r.pos += 8
    except BaseException:
        for i in range(ks.ndbs):
            db_flush(ks.db(i))
        raise
    finally:
        free(key)
        _reader_free(&r)
    return {"aux": aux, "keys": keys, "expired_skipped": expired, "empty_skipped": empty,
            "rdb_version": ver, "end": r.pos}


def load_bytes(Keyspace ks, bytes data, progress=None):
    """Load an RDB image into an empty keyspace; RdbError (keyspace left empty) on any problem.
    progress(offset) is called about every 2 MB when given. What follows the image (an AOF
    tail after an RDB preamble) is left alone: the result's "end" is the offset just past the
    image's checksum."""
    return load_buffer(ks, <const unsigned char*>PyBytes_AS_STRING(data),
                       <size_t>PyBytes_GET_SIZE(data), progress)


def load(Keyspace ks, str path, progress=None):
    """Load the RDB file at path into an empty keyspace. Returns {"aux": {...}, "keys": n,
    "expired_skipped": n, "empty_skipped": n, "rdb_version": v}; raises RdbError, leaving the
    keyspace empty, on any problem. progress(offset) is called about every 2 MB when given."""
    with open(path, "rb") as f:
        data = f.read()
    return load_bytes(ks, data, progress)
