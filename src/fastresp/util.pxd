# Number and string helpers shared by every fastresp module, with Redis 7.0's exact rules.
# The small hot ones are inline here so each module compiles them in; the rest live in util.pyx.
from libc.string cimport memcpy, memchr
from libc.stdint cimport int64_t, uint64_t
from fastresp.includes.libc_extra cimport (timespec, clock_gettime, CLOCK_REALTIME,
                                           CLOCK_MONOTONIC, tolower)

# Longest decimal text of a 64-bit integer, sign included, plus room for a NUL.
cdef enum:
    LONG_STR_SIZE = 21
    # Longest text ld2string_human may produce (Redis's MAX_LONG_DOUBLE_CHARS).
    MAX_LONG_DOUBLE_CHARS = 5 * 1024


cdef inline int string2ll(const char* s, size_t n, long long* out) noexcept nogil:
    """Parse s[0:n] as a canonical signed 64-bit decimal (no sign '+', no leading zeros,
    no spaces), as Redis's string2ll does. Returns 1 and sets *out, or 0."""
    cdef size_t i = 0
    cdef unsigned long long v
    cdef bint negative = False
    if n == 0 or n >= LONG_STR_SIZE:
        return 0
    if n == 1 and s[0] == b'0':
        out[0] = 0
        return 1
    if s[0] == b'-':
        negative = True
        i = 1
        if n == 1:
            return 0
    if s[i] < b'1' or s[i] > b'9':
        return 0
    v = <unsigned long long>(s[i] - c'0')
    i += 1
    while i < n:
        if s[i] < b'0' or s[i] > b'9':
            return 0
        if v > 1844674407370955161ULL:        # ULLONG_MAX / 10
            return 0
        v *= 10
        if v > 18446744073709551615ULL - <unsigned long long>(s[i] - c'0'):
            return 0
        v += <unsigned long long>(s[i] - c'0')
        i += 1
    if negative:
        if v > 9223372036854775808ULL:
            return 0
        out[0] = <long long>(0 - v)
    else:
        if v > 9223372036854775807ULL:
            return 0
        out[0] = <long long>v
    return 1


cdef inline size_t ull2string(char* dst, unsigned long long v) noexcept nogil:
    """Write v in decimal to dst (at least LONG_STR_SIZE bytes); returns the length."""
    cdef char tmp[LONG_STR_SIZE]
    cdef size_t n = 0, i
    if v == 0:
        dst[0] = b'0'
        return 1
    while v:
        tmp[n] = <char>(c'0' + v % 10)
        v //= 10
        n += 1
    for i in range(n):
        dst[i] = tmp[n - 1 - i]
    return n


cdef inline size_t ll2string(char* dst, long long v) noexcept nogil:
    """Write v in decimal to dst (at least LONG_STR_SIZE bytes); returns the length."""
    if v < 0:
        dst[0] = b'-'
        return 1 + ull2string(dst + 1, <unsigned long long>0 - <unsigned long long>v)
    return ull2string(dst, <unsigned long long>v)


cdef inline size_t cstr_len(const char* p, size_t n) noexcept nogil:
    """Length of p[0:n] as a C string: up to the first NUL byte, as Redis sees an argument
    when it compares it with strcasecmp."""
    cdef const char* z = <const char*>memchr(p, 0, n)
    return <size_t>(z - p) if z != NULL else n


cdef inline bint arg_is(const char* p, size_t n, const char* lit, size_t litlen) noexcept nogil:
    """True when argument p[0:n] equals the lower-case literal lit, ignoring case, with
    strcasecmp's C-string semantics (Redis compares options that way)."""
    cdef size_t i
    n = cstr_len(p, n)
    if n != litlen:
        return False
    for i in range(n):
        if tolower(<unsigned char>p[i]) != lit[i]:
            return False
    return True


cdef inline long long ustime() noexcept nogil:
    """Wall-clock time in microseconds."""
    cdef timespec ts
    clock_gettime(CLOCK_REALTIME, &ts)
    return <long long>ts.tv_sec * 1000000 + ts.tv_nsec // 1000


cdef inline long long mstime() noexcept nogil:
    """Wall-clock time in milliseconds."""
    return ustime() // 1000


cdef inline long long monotonic_us() noexcept nogil:
    """Monotonic time in microseconds, for durations."""
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <long long>ts.tv_sec * 1000000 + ts.tv_nsec // 1000


cdef int string2ld(const char* s, size_t n, long double* out) noexcept nogil
cdef int string2d(const char* s, size_t n, double* out) noexcept nogil
cdef size_t ld2string_human(char* buf, size_t cap, long double v) noexcept nogil
cdef size_t d2string(char* buf, size_t cap, double v) noexcept nogil
cdef bint glob_match(const char* pat, size_t plen, const char* s, size_t slen, bint nocase) noexcept nogil
cdef int parse_scan_cursor(const char* s, size_t n, unsigned long long* out) noexcept nogil
