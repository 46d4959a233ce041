# Redis 7.0's RDB format (RDB version 10): values (DUMP/RESTORE) and whole files (SAVE, loading).
# How it works is explained at the top of rdb.pyx.
from libc.stdint cimport uint64_t

cdef uint64_t crc64(uint64_t crc, const unsigned char* p, size_t n) noexcept nogil
# LZF: 0 when the output does not fit out_cap bytes (compress) or the input is corrupt
cdef size_t lzf_compress(const unsigned char* src, size_t n, unsigned char* out, size_t out_cap) noexcept nogil
cdef size_t lzf_decompress(const unsigned char* src, size_t n, unsigned char* out, size_t out_cap) noexcept nogil
