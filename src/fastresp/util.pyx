# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Number formatting and parsing, glob matching: Redis 7.0's rules, our own code.

glob_match is iterative: on a mismatch it backtracks to the most recent '*' only, which gives
the same answers as Redis's recursive matcher (every non-star token consumes exactly one byte)
in O(len(pattern) * len(string)) time. Like Redis it gives up (no match) when the match reaches
a star group past GLOB_MAX_STARS with more pattern after it.
"""
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy
from fastresp.includes.libc_extra cimport (REDIS_VERSION as _REDIS_VERSION,
                                           REDIS_VERSION_NUM as _REDIS_VERSION_NUM)
from fastresp.includes.libc_extra cimport (strtold, strtod, strtoul, snprintf, isspace, isnan,
                                           isinf, errno, ERANGE)

cdef enum:
    GLOB_MAX_STARS = 1000
    SMALL_NUMBER_BUF = 128


cdef inline bint _too_big(long double v) noexcept nogil:
    return v == <long double>(1.0 / 0.0) or v == <long double>(-1.0 / 0.0)


cdef inline char* _cstring(const char* s, size_t n, char* small) noexcept nogil:
    """s[0:n] NUL-terminated, as the C library's parsers want it: in `small` (SMALL_NUMBER_BUF
    bytes) when it fits, else on the heap; NULL when out of memory. See _release_cstring."""
    cdef char* buf = small
    if n >= SMALL_NUMBER_BUF:
        buf = <char*>malloc(n + 1)
        if buf == NULL:
            return NULL
    memcpy(buf, s, n)
    buf[n] = 0
    return buf


cdef inline void _release_cstring(char* buf, char* small) noexcept nogil:
    if buf != small:
        free(buf)


cdef int string2ld(const char* s, size_t n, long double* out) noexcept nogil:
    """Parse s[0:n] as a long double as Redis's string2ld does (strtold over a NUL-terminated
    copy that must consume all n bytes: no leading space, no trailing garbage or NUL, no NaN,
    no overflow). Returns 1 or 0."""
    # without this, assigning errno below would make a local variable and the ERANGE
    # checks would never fire
    global errno
    cdef char small[SMALL_NUMBER_BUF]
    cdef char* buf
    cdef char* end
    cdef long double v
    cdef int ok
    if n == 0 or n >= MAX_LONG_DOUBLE_CHARS:
        return 0
    buf = _cstring(s, n, small)
    if buf == NULL:
        return 0
    errno = 0          # the C variable: see the `global errno` above
    v = strtold(buf, &end)
    ok = not (isspace(<unsigned char>buf[0]) or <size_t>(end - buf) != n or
              (errno == ERANGE and (_too_big(v) or v == 0)) or isnan(v))
    _release_cstring(buf, small)
    if ok:
        out[0] = v
    return ok


cdef int string2d(const char* s, size_t n, double* out) noexcept nogil:
    """Parse s[0:n] as a double as Redis's string2d does: the whole text must be consumed."""
    # without this, assigning errno below would make a local variable and the ERANGE
    # checks would never fire
    global errno
    cdef char small[SMALL_NUMBER_BUF]
    cdef char* buf
    cdef char* end
    cdef double v
    cdef int ok
    if n == 0:
        return 0
    buf = _cstring(s, n, small)
    if buf == NULL:
        return 0
    errno = 0          # the C variable: see the `global errno` above
    v = strtod(buf, &end)
    ok = not (isspace(<unsigned char>buf[0]) or <size_t>(end - buf) != n or
              (errno == ERANGE and (_too_big(v) or v == 0)) or isnan(v))
    _release_cstring(buf, small)
    if ok:
        out[0] = v
    return ok


cdef size_t ld2string_human(char* buf, size_t cap, long double v) noexcept nogil:
    """Format v as INCRBYFLOAT stores it: 17 decimals, trailing zeros (and a trailing point)
    removed, "inf"/"-inf" spelled out, "-0" written as "0". Returns the length, 0 if cap is
    too small."""
    cdef int n
    cdef size_t l, i
    cdef bint has_point = False
    if isinf(v):
        if cap < 5:
            return 0
        if v > 0:
            memcpy(buf, b"inf", 3)
            return 3
        memcpy(buf, b"-inf", 4)
        return 4
    n = snprintf(buf, cap, b"%.17Lf", v)
    if n < 0 or <size_t>n + 1 > cap:
        return 0
    l = <size_t>n
    for i in range(l):
        if buf[i] == b'.':
            has_point = True
            break
    if has_point:
        while buf[l - 1] == b'0':
            l -= 1
        if buf[l - 1] == b'.':
            l -= 1
    if l == 2 and buf[0] == b'-' and buf[1] == b'0':
        buf[0] = b'0'
        l = 1
    return l


cdef size_t d2string(char* buf, size_t cap, double v) noexcept nogil:
    """Format a double as Redis 7.0's d2string: nan, inf, -inf, -0, integers without a
    fraction when exactly representable, else %.17g."""
    cdef int n
    if isnan(v):
        n = snprintf(buf, cap, b"nan")
    elif isinf(v):
        n = snprintf(buf, cap, b"-inf" if v < 0 else b"inf")
    elif v == 0:
        n = snprintf(buf, cap, b"-0" if 1.0 / v < 0 else b"0")
    elif -4503599627370495.0 < v < 4503599627370496.0 and v == <double>(<long long>v):
        n = snprintf(buf, cap, b"%lld", <long long>v)
    else:
        n = snprintf(buf, cap, b"%.17g", v)
    return <size_t>n if n > 0 else 0


cdef int parse_scan_cursor(const char* s, size_t n, unsigned long long* out) noexcept nogil:
    """Parse a SCAN cursor as Redis does (strtoul over a NUL-terminated copy: an empty
    string is 0, a leading '-' wraps around). Returns 1, or 0 for "invalid cursor"."""
    # without this, assigning errno below would make a local variable and the ERANGE
    # checks would never fire
    global errno
    cdef char small[SMALL_NUMBER_BUF]
    cdef char* buf
    cdef char* end
    cdef unsigned long long v
    cdef int ok
    buf = _cstring(s, n, small)
    if buf == NULL:
        return 0
    errno = 0          # the C variable: see the `global errno` above
    v = strtoul(buf, &end, 10)
    ok = not (isspace(<unsigned char>buf[0]) or end[0] != 0 or errno == ERANGE)
    _release_cstring(buf, small)
    out[0] = v
    return ok


# ---------------------------------------------------------------------------------------------
# Glob matching
# ---------------------------------------------------------------------------------------------

cdef inline int _fold(int c, bint nocase) noexcept nogil:
    if nocase and b'A' <= c <= b'Z':
        return c + 32
    return c


cdef inline bint _class_matches(const char* pat, size_t plen, size_t* pp, char c,
                                bint nocase) noexcept nogil:
    """Match byte c against the class starting at pat[*pp] == '['. Leaves *pp on the last
    byte of the class (its ']' or, unterminated, the last byte of the pattern)."""
    cdef size_t q = pp[0] + 1
    cdef bint negate = q < plen and pat[q] == b'^'
    cdef bint match = False
    cdef int lo, hi, x
    if negate:
        q += 1
    while True:
        if q < plen and pat[q] == b'\\' and plen - q >= 2:
            q += 1
            if pat[q] == c:
                match = True
        elif q < plen and pat[q] == b']':
            break
        elif q >= plen:
            q -= 1
            break
        elif plen - q >= 3 and pat[q + 1] == b'-':
            lo = <signed char>pat[q]
            hi = <signed char>pat[q + 2]
            x = <signed char>c
            if lo > hi:
                lo, hi = hi, lo
            lo = _fold(lo, nocase)
            hi = _fold(hi, nocase)
            x = _fold(x, nocase)
            q += 2
            if lo <= x <= hi:
                match = True
        elif _fold(<signed char>pat[q], nocase) == _fold(<signed char>c, nocase):
            match = True
        q += 1
    pp[0] = q
    return not match if negate else match


cdef bint glob_match(const char* pat, size_t plen, const char* s, size_t slen,
                     bint nocase) noexcept nogil:
    """Redis glob: '*', '?', '[abc]', '[^a-z]', '\\x' escapes; optionally case-insensitive.

    Redis 7.0's rules, including its corner cases: an empty string matches only the empty
    pattern (even "*" does not match it: callers special-case a lone "*"), and reaching the
    (GLOB_MAX_STARS + 1)-th star group with text left to match, when more pattern follows
    it, is "no match" (Redis's recursion-depth cap)."""
    cdef size_t p = 0, i = 0, star_p = 0, star_i = 0
    cdef bint have_star = False, ok
    cdef int stars = 0
    cdef size_t q
    if slen == 0:
        return plen == 0
    while True:
        if i == slen:
            # the text is used up: only trailing stars may remain
            while p < plen and pat[p] == b'*':
                p += 1
            if p == plen:
                return True
        elif p < plen and pat[p] == b'*':
            while p < plen and pat[p] == b'*':
                p += 1
            if p == plen:
                return True
            stars += 1
            if stars > GLOB_MAX_STARS:
                return False
            have_star = True
            star_p = p
            star_i = i
            continue
        elif p < plen:
            q = p
            if pat[p] == b'?':
                ok = True
            elif pat[p] == b'[':
                ok = _class_matches(pat, plen, &q, s[i], nocase)
            else:
                if pat[p] == b'\\' and plen - p >= 2:
                    q += 1
                ok = _fold(<signed char>pat[q], nocase) == _fold(<signed char>s[i], nocase)
            if ok:
                p = q + 1
                i += 1
                continue
        # mismatch: let the most recent star absorb one more byte (a star never needs to
        # absorb the whole rest of the text: the pattern after it is not empty and each of
        # its tokens consumes a byte)
        if not have_star:
            return False
        star_i += 1
        if star_i >= slen:
            return False
        p = star_p
        i = star_i


# The Redis release pyredis reproduces (includes/version.h), for the Python layer.
REDIS_VERSION = (<bytes>_REDIS_VERSION).decode()
REDIS_VERSION_NUM = _REDIS_VERSION_NUM


def glob(pattern, string, bint nocase=False):
    """Python access to glob_match (for the Python layer and for tests)."""
    cdef bytes p = bytes(pattern)
    cdef bytes s = bytes(string)
    return glob_match(p, len(p), s, len(s), nocase)


def format_long_double(value):
    """INCRBYFLOAT's text for a float (for tests)."""
    cdef char buf[MAX_LONG_DOUBLE_CHARS]
    cdef size_t n = ld2string_human(buf, MAX_LONG_DOUBLE_CHARS, <long double>value)
    return buf[:n]


def format_double(double value):
    """d2string's text for a float (for tests and the Python layer)."""
    cdef char buf[64]
    cdef size_t n = d2string(buf, 64, value)
    return buf[:n]


def parse_ll(raw):
    """A signed 64-bit integer written exactly as Redis's string2ll accepts it (no '+', no
    spaces, no leading zeros), else None: Python handlers parse numbers by the same rules as
    Cython ones."""
    cdef bytes b = bytes(raw)
    cdef long long v
    if string2ll(b, len(b), &v):
        return v
    return None


def option_is(raw, bytes lowercase_literal):
    """Whether an argument is the given option, compared as Redis compares options
    (case-insensitive, as a C string: the argument ends at its first NUL byte)."""
    cdef bytes b = bytes(raw)
    return arg_is(b, len(b), lowercase_literal, len(lowercase_literal))
