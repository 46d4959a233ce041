# Helpers shared by the Cython command handlers (t_*.pyx): argument parsing that replies with
# Redis's error on failure, common replies, and the bookkeeping every write does.
#
# Convention: a helper that can fail returns 0 on success and 1 after it has replied with the
# error (the handler then just returns); -1 propagates a Python exception.
from libc.string cimport strlen, memcmp
from libc.stdint cimport uint64_t
from fastresp.core cimport Client
from fastresp.keyspace cimport (Entry, Str, Db, T_STRING, T_LIST, T_SET, T_ZSET, T_HASH,
                                T_STREAM, ENC_INT, ENC_EMBSTR, ENC_RAW, entry_type,
                                entry_encoding, entry_key, entry_keylen, str_bytes, lookup,
                                LOOKUP_NONE, notify_event, signal_modified)
from fastresp.reply cimport reply_bulk, reply_bulk_ll
from fastresp.util cimport string2ll, ll2string, string2ld, LONG_STR_SIZE
from libc.math cimport ceill
from fastresp.includes.libc_extra cimport snprintf
from fastresp.includes.errors cimport (ERR_INT_RANGE, ERR_NOT_INTEGER, ERR_SYNTAX,
                                       ERR_TIMEOUT_NEGATIVE, ERR_TIMEOUT_NOT_FLOAT, ERR_WRONGTYPE)


cdef inline int wrongtype(Client c) except -1:
    c.error_cstr(ERR_WRONGTYPE)
    return 1


cdef inline int syntax_error(Client c) except -1:
    c.error_cstr(ERR_SYNTAX)
    return 1


cdef inline int arg_ll(Client c, int i, long long* out) except -1:
    """Argument i as a 64-bit integer, or "value is not an integer or out of range"."""
    if string2ll(c.argv[i], c.argl[i], out):
        return 0
    c.error_cstr(ERR_NOT_INTEGER)
    return 1


cdef inline int arg_int(Client c, int i, int* out) except -1:
    """Argument i as a 32-bit integer (Redis's getIntFromObjectOrReply)."""
    cdef long long v
    if not string2ll(c.argv[i], c.argl[i], &v):
        c.error_cstr(ERR_NOT_INTEGER)
        return 1
    if v < -2147483648 or v > 2147483647:
        c.error_cstr(ERR_INT_RANGE)
        return 1
    out[0] = <int>v
    return 0


cdef inline int error_with_command(Client c, const char* fmt) except -1:
    """An error whose text names the running command ("... in 'set' command")."""
    cdef char buf[256]
    cdef int n = snprintf(buf, sizeof(buf), fmt, c.cmd.fullname)
    c.error(buf, <size_t>n if n < <int>sizeof(buf) else sizeof(buf) - 1)
    return 1


cdef inline int reply_string_entry(Client c, Entry* e) except -1:
    """The value of a string entry as a bulk string."""
    cdef int enc = entry_encoding(e)
    cdef Str* s
    if enc == ENC_EMBSTR:
        return reply_bulk(&c.out, entry_key(e) + entry_keylen(e), <size_t>e.v.i)
    if enc == ENC_INT:
        return reply_bulk_ll(&c.out, e.v.i)
    s = <Str*>e.v.p
    return reply_bulk(&c.out, str_bytes(s), s.len)


cdef inline Entry* lookup_arg(Client c, int i, int flags, uint64_t* h) noexcept:
    """The key at argument i (LOOKUP_* flags), NULL when missing; *h gets its hash."""
    return lookup(c.db, c.argv[i], c.argl[i], flags, h, NULL)


cdef inline bint same_arg(Client c, int i, int j) noexcept:
    """Arguments i and j are the same bytes."""
    return c.argl[i] == c.argl[j] and memcmp(c.argv[i], c.argv[j], c.argl[i]) == 0


cdef inline Entry* lookup_read(Client c, int i, int t, bint* wrong) noexcept:
    """The key at argument i for a read, NULL when missing; *wrong when it holds a type other
    than t (the caller replies WRONGTYPE)."""
    cdef uint64_t h
    cdef Entry* e = lookup(c.db, c.argv[i], c.argl[i], LOOKUP_NONE, &h, NULL)
    wrong[0] = e != NULL and entry_type(e) != t
    return e


cdef inline bint index_range(long long* start, long long* end, long long n) noexcept:
    """Redis's rule for a start..end index range over n elements (LRANGE, LTRIM, ZRANGE by rank,
    ZREMRANGEBYRANK): negative indexes count from the end, start is clamped to 0 and end to
    n - 1. False when the range is empty."""
    if start[0] < 0:
        start[0] += n
    if end[0] < 0:
        end[0] += n
    if start[0] < 0:
        start[0] = 0
    if start[0] > end[0] or start[0] >= n:
        return False
    if end[0] >= n:
        end[0] = n - 1
    return True


cdef inline void key_changed(Client c, long long n) noexcept:
    """Bookkeeping after a write that changed n keys (dirty counter for saves)."""
    c.db.st.dirty += n


cdef inline void key_event(Client c, int cls, const char* event, const char* k, size_t n) noexcept:
    """A command changed key k: WATCHers of it fail (signalModifiedKey) and the keyspace
    notification `event` of class cls (NOTIFY_LIST ...) goes out if enabled. For a second
    event on the same key (SET ... EX: "set" then "expire") call notify_event alone."""
    signal_modified(c.db, k, n)
    notify_event(c.db, cls, event, k, n)


cdef inline int arg_timeout(Client c, int i, long long* ms) except -1:
    """A blocking command's timeout in seconds (fractions allowed, 0 = forever) as
    milliseconds, rounded up, with Redis 7.0's errors."""
    cdef long double v
    cdef long double t
    if not string2ld(c.argv[i], c.argl[i], &v):
        c.error_cstr(ERR_TIMEOUT_NOT_FLOAT)
        return 1
    t = ceill(v * 1000.0)
    # Redis converts to a long long: what does not fit comes out negative
    if not (t < 9223372036854775807.0) or t < 0:
        c.error_cstr(ERR_TIMEOUT_NEGATIVE)
        return 1
    ms[0] = <long long>t
    return 0


cdef inline const char* type_name(int t) noexcept:
    if t == T_STRING:
        return b"string"
    if t == T_LIST:
        return b"list"
    if t == T_SET:
        return b"set"
    if t == T_ZSET:
        return b"zset"
    if t == T_HASH:
        return b"hash"
    if t == T_STREAM:
        return b"stream"
    return b"none"
