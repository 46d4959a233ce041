# Redis 7.0's RDB format (RDB version 10): values (DUMP/RESTORE) and whole files (SAVE, loading).
# How it works is explained at the top of rdb.pyx. Its buffered file writer (WBuf) is shared
# with the AOF base writer (aofbase.pyx).
from cpython.object cimport PyObject
from libc.stdint cimport uint64_t
from libc.string cimport memcpy

cdef uint64_t crc64(uint64_t crc, const unsigned char* p, size_t n) noexcept nogil
# LZF: 0 when the output does not fit out_cap bytes (compress) or the input is corrupt
cdef size_t lzf_compress(const unsigned char* src, size_t n, unsigned char* out, size_t out_cap) noexcept nogil
cdef size_t lzf_decompress(const unsigned char* src, size_t n, unsigned char* out, size_t out_cap) noexcept nogil

# ----- the file writer: bytes gathered in memory, written to the file in large chunks
cdef enum:
    FLUSH_AT = 1 << 20  # bytes buffered before they go to the file

cdef struct WBuf:
    unsigned char* p
    size_t len
    size_t cap
    int fd              # -1: keep everything in memory; else flushed to fd past FLUSH_AT
    uint64_t crc        # over bytes already flushed
    size_t flushed
    bint compress
    bint nocrc          # not an RDB file (the AOF base): no checksum to keep
    long long keys      # keys written so far (save/save_aof: the child's progress)
    long long key_delay # rdb-key-save-delay: µs slept per key; -N: 1 µs every N keys
    PyObject* progress  # borrowed callable progress(keys), called every 1024 keys; or NULL

cdef int wb_grow(WBuf* w, size_t need) except -1
cdef int wb_flush(WBuf* w) except -1
cdef int wb_key_done(WBuf* w) except -1     # after each key: progress and rdb-key-save-delay


cdef inline int wb_put(WBuf* w, const void* p, size_t n) except -1:
    if w.cap - w.len < n:
        if w.fd >= 0 and w.len >= FLUSH_AT:
            wb_flush(w)
        if w.cap - w.len < n:
            wb_grow(w, n)
    memcpy(w.p + w.len, p, n)
    w.len += n
    return 0


cdef inline int wb_byte(WBuf* w, unsigned char b) except -1:
    return wb_put(w, &b, 1)
