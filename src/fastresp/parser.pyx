# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
r"""Request parser with Redis 7.0's grammar, limits and protocol errors.

Multibulk: `*<count>\r\n` then `<count>` times `$<len>\r\n<bytes>\r\n`. Count and length lines
are found the way Redis finds them, by searching for '\r' with C-string semantics: a NUL byte
ends the search, so a request holding a NUL before its line end waits for more input (and fails
once more than INLINE_MAX_SIZE bytes are pending), exactly as redis-server behaves. The two bytes
after a bulk are skipped without being checked, as Redis does.

Inline: a line up to '\n' (an optional '\r' before it is dropped), split like Redis's
sdssplitargs: blanks separate arguments; "double quotes" understand \n \r \t \b \a \\ \" and
\xHH; 'single quotes' understand \'; a closing quote must be followed by a blank or the end of
the line. Decoding happens in place (an argument never grows when decoded).

Memory: argument arrays grow as arguments arrive, never from the declared count alone; bulk
bytes are never reserved by the parser (the caller grows its buffer only as bytes arrive).
"""
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memcpy, memmove
from fastresp.util cimport string2ll
from fastresp.includes.libc_extra cimport snprintf
from fastresp.includes.errors cimport (ERR_PROTO_BIG_BULK, ERR_PROTO_BIG_INLINE,
                                       ERR_PROTO_BIG_MBULK, ERR_PROTO_BULK_LEN,
                                       ERR_PROTO_EXPECTED_DOLLAR_FMT, ERR_PROTO_MBULK_LEN,
                                       ERR_PROTO_UNAUTH_BULK, ERR_PROTO_UNAUTH_MBULK,
                                       ERR_PROTO_UNBALANCED)
from cpython.bytearray cimport PyByteArray_AS_STRING

cdef enum:
    INT_MAX_VALUE = 2147483647


class ProtocolError(Exception):
    """A request that breaks the protocol; str(e) is the error reply text, `reply` its bytes
    (the text may quote a request byte that is not UTF-8: str(e) holds it surrogate-escaped)."""

    def __init__(self, text):
        if isinstance(text, bytes):
            self.reply = text
            text = text.decode("utf-8", "surrogateescape")
        else:
            self.reply = text.encode("utf-8", "surrogateescape")
        super().__init__(text)


cdef void parse_init(ParseState* st) noexcept:
    st.reqtype = REQ_UNKNOWN
    st.mbulk = 0
    st.bulklen = -1
    st.start = 0
    st.pos = 0
    st.argc = 0
    st.argcap = 0
    st.aoff = NULL
    st.alen = NULL
    st.err = NULL


cdef void parse_free(ParseState* st) noexcept:
    free(st.aoff)
    free(st.alen)
    st.aoff = NULL
    st.alen = NULL
    st.argcap = 0
    st.argc = 0


cdef void parse_next_command(ParseState* st) noexcept:
    """Forget the command just handled; the next one starts at the cursor."""
    st.reqtype = REQ_UNKNOWN
    st.mbulk = 0
    st.bulklen = -1
    st.start = st.pos
    st.argc = 0
    if st.argcap > ARGV_INITIAL_MAX:
        parse_free(st)


cdef void parse_rebase(ParseState* st) noexcept:
    """The caller moved the buffer's bytes from `start` on to offset 0."""
    st.pos -= st.start
    st.start = 0


cdef long long parse_bulk_remaining(ParseState* st, size_t n) noexcept:
    """Bytes still missing to complete the bulk being read (buffer of n bytes), or 0."""
    cdef long long have
    if st.bulklen < 0:
        return 0
    have = <long long>(n - st.pos)
    return st.bulklen + 2 - have if st.bulklen + 2 > have else 0


cdef int _reserve_args(ParseState* st, int want) except -1:
    cdef size_t* off
    cdef size_t* ln
    if want <= st.argcap:
        return 0
    off = <size_t*>realloc(st.aoff, want * sizeof(size_t))
    if off == NULL:
        raise MemoryError()
    st.aoff = off
    ln = <size_t*>realloc(st.alen, want * sizeof(size_t))
    if ln == NULL:
        raise MemoryError()
    st.alen = ln
    st.argcap = want
    return 0


cdef inline int _push_arg(ParseState* st, size_t off, size_t n) except -1:
    if st.argc == st.argcap:
        # double the room, without overflowing an int (a count is at most INT_MAX)
        _reserve_args(st, 8 if st.argcap == 0 else
                      (st.argcap * 2 if st.argcap < INT_MAX_VALUE // 2 else INT_MAX_VALUE))
    st.aoff[st.argc] = off
    st.alen[st.argc] = n
    st.argc += 1
    return 0


cdef inline char* _find(char* p, char* end, char c) noexcept nogil:
    """strchr(p, c) over [p, end): NULL when a NUL byte or the end comes first."""
    while p < end:
        if p[0] == c:
            return p
        if p[0] == 0:
            return NULL
        p += 1
    return NULL


cdef inline int _fail(ParseState* st, const char* msg) noexcept:
    st.err = msg
    return PARSE_ERROR


cdef int _parse_multibulk(ParseState* st, char* buf, size_t n, ParseLimits* lim) except -2:
    cdef char* nl
    cdef char got
    cdef long long ll
    cdef size_t pos
    if st.mbulk == 0:
        pos = st.pos
        nl = _find(buf + pos, buf + n, b'\r')
        if nl == NULL:
            if n - pos > INLINE_MAX_SIZE:
                return _fail(st, ERR_PROTO_BIG_MBULK)
            return PARSE_NEED_MORE
        if <size_t>(nl - (buf + pos)) + 2 > n - pos:
            return PARSE_NEED_MORE
        if not string2ll(buf + pos + 1, <size_t>(nl - (buf + pos + 1)), &ll) or ll > INT_MAX_VALUE:
            return _fail(st, ERR_PROTO_MBULK_LEN)
        if ll > UNAUTH_MAX_ARGS and lim.unauthenticated:
            return _fail(st, ERR_PROTO_UNAUTH_MBULK)
        st.pos = <size_t>(nl - buf) + 2
        if ll <= 0:
            return PARSE_OK
        st.mbulk = ll
        st.bulklen = -1
        _reserve_args(st, <int>(ll if ll < ARGV_INITIAL_MAX else ARGV_INITIAL_MAX))
    while st.mbulk:
        if st.bulklen == -1:
            pos = st.pos
            nl = _find(buf + pos, buf + n, b'\r')
            if nl == NULL:
                if n - pos > INLINE_MAX_SIZE:
                    return _fail(st, ERR_PROTO_BIG_BULK)
                return PARSE_NEED_MORE
            if <size_t>(nl - (buf + pos)) + 2 > n - pos:
                return PARSE_NEED_MORE
            if buf[pos] != b'$':
                got = buf[pos]
                if got == b'\r' or got == b'\n':
                    got = b' '      # an error reply holds no line break: Redis prints a space
                snprintf(st.errbuf, sizeof(st.errbuf),
                         ERR_PROTO_EXPECTED_DOLLAR_FMT, got)
                return _fail(st, st.errbuf)
            if (not string2ll(buf + pos + 1, <size_t>(nl - (buf + pos + 1)), &ll) or ll < 0
                    or ll > lim.max_bulk):
                return _fail(st, ERR_PROTO_BULK_LEN)
            if ll > UNAUTH_MAX_BULK and lim.unauthenticated:
                return _fail(st, ERR_PROTO_UNAUTH_BULK)
            st.pos = <size_t>(nl - buf) + 2
            st.bulklen = ll
        if <long long>(n - st.pos) < st.bulklen + 2:
            return PARSE_NEED_MORE
        _push_arg(st, st.pos - st.start, <size_t>st.bulklen)
        st.pos += <size_t>st.bulklen + 2
        st.bulklen = -1
        st.mbulk -= 1
    return PARSE_OK


cdef inline bint _blank(char c) noexcept nogil:
    return c == b' ' or c == b'\t' or c == b'\n' or c == b'\r' or c == 11 or c == 12


cdef inline int _hexval(char c) noexcept nogil:
    if b'0' <= c <= b'9':
        return c - c'0'
    if b'a' <= c <= b'f':
        return c - c'a' + 10
    if b'A' <= c <= b'F':
        return c - c'A' + 10
    return -1


cdef int _split_inline(ParseState* st, char* buf, size_t s, size_t e) except -2:
    """Split buf[s:e] into arguments in place. Returns 0, or -1 for unbalanced quotes.
    Reading at or past e yields NUL, as the C string Redis splits would."""
    cdef size_t p = s, w = s, tok
    cdef bint inq, insq, done
    cdef char c, nx
    while True:
        while p < e and buf[p] != 0 and _blank(buf[p]):
            p += 1
        if p >= e or buf[p] == 0:
            return 0
        inq = insq = done = False
        tok = w
        while not done:
            c = buf[p] if p < e else 0
            nx = buf[p + 1] if p + 1 < e else 0
            if inq:
                if (c == b'\\' and nx == b'x' and p + 3 < e and _hexval(buf[p + 2]) >= 0
                        and _hexval(buf[p + 3]) >= 0):
                    buf[w] = <char>(_hexval(buf[p + 2]) * 16 + _hexval(buf[p + 3]))
                    w += 1
                    p += 3
                elif c == b'\\' and nx != 0:
                    p += 1
                    if nx == b'n':
                        buf[w] = b'\n'
                    elif nx == b'r':
                        buf[w] = b'\r'
                    elif nx == b't':
                        buf[w] = b'\t'
                    elif nx == b'b':
                        buf[w] = b'\b'
                    elif nx == b'a':
                        buf[w] = b'\a'
                    else:
                        buf[w] = nx
                    w += 1
                elif c == b'"':
                    if nx != 0 and not _blank(nx):
                        return -1
                    done = True
                elif c == 0:
                    return -1
                else:
                    buf[w] = c
                    w += 1
            elif insq:
                if c == b'\\' and nx == b'\'':
                    p += 1
                    buf[w] = b'\''
                    w += 1
                elif c == b'\'':
                    if nx != 0 and not _blank(nx):
                        return -1
                    done = True
                elif c == 0:
                    return -1
                else:
                    buf[w] = c
                    w += 1
            else:
                if c == b' ' or c == b'\n' or c == b'\r' or c == b'\t' or c == 0:
                    done = True
                elif c == b'"':
                    inq = True
                elif c == b'\'':
                    insq = True
                else:
                    buf[w] = c
                    w += 1
            if p < e and buf[p] != 0:
                p += 1
        _push_arg(st, tok - st.start, w - tok)


cdef int _parse_inline(ParseState* st, char* buf, size_t n) except -2:
    cdef char* nl = _find(buf + st.pos, buf + n, b'\n')
    cdef size_t end
    if nl == NULL:
        if n - st.pos > INLINE_MAX_SIZE:
            return _fail(st, ERR_PROTO_BIG_INLINE)
        return PARSE_NEED_MORE
    end = <size_t>(nl - buf)
    if end > st.pos and buf[end - 1] == b'\r':
        end -= 1
    if _split_inline(st, buf, st.pos, end) < 0:
        return _fail(st, ERR_PROTO_UNBALANCED)
    st.pos = <size_t>(nl - buf) + 1
    return PARSE_OK


cdef int parse_command(ParseState* st, char* buf, size_t n, ParseLimits* lim) except -2:
    """Advance over buf[0:n] from the cursor: PARSE_OK (a command, possibly empty),
    PARSE_NEED_MORE, or PARSE_ERROR (st.err)."""
    if st.reqtype == REQ_UNKNOWN:
        if st.pos >= n:
            return PARSE_NEED_MORE
        st.reqtype = REQ_MULTIBULK if buf[st.pos] == b'*' else REQ_INLINE
    if st.reqtype == REQ_MULTIBULK:
        return _parse_multibulk(st, buf, n, lim)
    return _parse_inline(st, buf, n)


cdef class RequestParser:
    """A push-pull reader over the same parser the server uses: feed(bytes), then gets()
    returns the next non-empty command as a list of bytes, or None for "need more"; a protocol
    error raises ProtocolError (the server replies with its text and closes)."""
    cdef ParseState st
    cdef ParseLimits lim
    cdef bytearray buf

    def __cinit__(self, long long max_bulk=512 * 1024 * 1024, bint unauthenticated=False):
        parse_init(&self.st)
        self.lim.max_bulk = max_bulk
        self.lim.unauthenticated = unauthenticated
        self.buf = bytearray()

    def __dealloc__(self):
        parse_free(&self.st)

    def feed(self, data):
        self.buf += data

    def gets(self):
        cdef int r, i
        cdef char* base
        cdef list args
        while True:
            base = PyByteArray_AS_STRING(self.buf)
            r = parse_command(&self.st, base, len(self.buf), &self.lim)
            if r == PARSE_ERROR:
                raise ProtocolError(<bytes>self.st.err)
            if r == PARSE_NEED_MORE:
                del self.buf[:self.st.start]
                parse_rebase(&self.st)
                return None
            args = [bytes(self.buf[self.st.start + self.st.aoff[i]:
                                   self.st.start + self.st.aoff[i] + self.st.alen[i]])
                    for i in range(self.st.argc)]
            parse_next_command(&self.st)
            if args:
                return args

    @property
    def pending(self):
        """Bytes received but not yet part of a returned command."""
        return len(self.buf) - self.st.start
