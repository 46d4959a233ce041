# Request parser: multibulk and inline commands, incremental over partial reads.
#
# The parser works on a byte buffer owned by the caller and keeps only offsets, so the caller
# may move the unparsed tail of the buffer (parse_rebase) between reads. A complete command's
# arguments are (start + aoff[i], alen[i]) in that buffer; nothing is copied.

cdef enum:
    PARSE_ERROR = -1        # protocol error: st.err holds the reply text; close after replying
    PARSE_NEED_MORE = 0     # the buffer ends inside a command
    PARSE_OK = 1            # a command is complete (argc may be 0: an empty request, ignore it)

    REQ_UNKNOWN = 0
    REQ_INLINE = 1
    REQ_MULTIBULK = 2

    INLINE_MAX_SIZE = 64 * 1024      # longest inline request or count line without CRLF, bytes
    ARGV_INITIAL_MAX = 1024          # arguments reserved up front, whatever the declared count
    UNAUTH_MAX_ARGS = 10             # before AUTH: at most this many arguments
    UNAUTH_MAX_BULK = 16384          # before AUTH: at most this many bytes per argument

cdef struct ParseLimits:
    long long max_bulk      # proto-max-bulk-len
    bint unauthenticated    # the client must still authenticate: tighter limits

cdef struct ParseState:
    int reqtype             # REQ_*: decided by the first byte of a command
    long long mbulk         # multibulk arguments still to read; 0 before the header
    long long bulklen       # length of the bulk being read, -1 between bulks
    size_t start            # offset of the current command in the buffer
    size_t pos              # parse cursor
    int argc                # arguments parsed so far
    int argcap              # room in aoff/alen
    size_t* aoff            # argument offsets, relative to start
    size_t* alen            # argument lengths
    const char* err         # protocol error reply text (static or errbuf)
    char errbuf[64]

cdef int parse_command(ParseState* st, char* buf, size_t n, ParseLimits* lim) except -2
cdef void parse_next_command(ParseState* st) noexcept
cdef void parse_rebase(ParseState* st) noexcept
cdef void parse_init(ParseState* st) noexcept
cdef void parse_free(ParseState* st) noexcept
cdef long long parse_bulk_remaining(ParseState* st, size_t n) noexcept
