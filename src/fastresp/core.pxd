# The server core: what every part of it shares (like Redis's server.h). core.pyx maps the parts.
from cpython.object cimport PyObject
from libc.string cimport memcmp
from fastresp.reply cimport ReplyBuf
from fastresp.parser cimport ParseState, ParseLimits
from fastresp.keyspace cimport Keyspace, Db
from fastresp.includes.libc_extra cimport sockaddr_storage

# Command flags, with the names COMMAND INFO prints (see COMMAND_FLAGS in cmdtable.pxi).
cdef enum:
    CMD_WRITE = 1 << 0
    CMD_READONLY = 1 << 1
    CMD_DENYOOM = 1 << 2
    CMD_ADMIN = 1 << 4
    CMD_PUBSUB = 1 << 5
    CMD_NOSCRIPT = 1 << 6
    CMD_BLOCKING = 1 << 8
    CMD_LOADING = 1 << 9
    CMD_STALE = 1 << 10
    CMD_SKIP_MONITOR = 1 << 11
    CMD_SKIP_SLOWLOG = 1 << 12
    CMD_ASKING = 1 << 13
    CMD_FAST = 1 << 14
    CMD_NO_AUTH = 1 << 15
    CMD_MAY_REPLICATE = 1 << 16
    CMD_NO_MANDATORY_KEYS = 1 << 19
    CMD_PROTECTED = 1 << 20
    CMD_NO_ASYNC_LOADING = 1 << 23
    CMD_NO_MULTI = 1 << 24
    CMD_MOVABLE_KEYS = 1 << 25
    CMD_ALLOW_BUSY = 1 << 26

# What the dispatcher does with a command beyond its flags (Command.role), declared in the
# command table as CommandSpec.roles (names in COMMAND_ROLES, cmdtable.pxi).
cdef enum:
    ROLE_NOT_QUEUED = 1 << 0             # runs at once inside MULTI (EXEC, DISCARD, WATCH ...)
    ROLE_SUBSCRIBED_CONTEXT = 1 << 1     # allowed to a RESP2 client in subscribed mode
    ROLE_PAUSED_AS_WRITE = 1 << 2        # held by CLIENT PAUSE WRITE like a write (PUBLISH)
    ROLE_REFUSED_ON_WRITE_ERROR = 1 << 3  # refused like writes while persistence fails (PING)

# Client flags.
cdef enum:
    CLIENT_CLOSE_AFTER_REPLY = 1 << 0   # close once the pending reply is written (QUIT, errors)
    CLIENT_CLOSE_ASAP = 1 << 1          # close at the end of this loop iteration
    CLIENT_CLOSED = 1 << 2              # the connection is gone; the object may linger
    CLIENT_PENDING_WRITE = 1 << 3       # queued in the core's pending-write list
    CLIENT_WRITE_WAIT = 1 << 4          # the socket was full: waiting for writability
    CLIENT_UNIX_SOCKET = 1 << 5
    CLIENT_IN_CALL = 1 << 6             # a command of this client is running
    CLIENT_MULTI = 1 << 7               # between MULTI and EXEC/DISCARD: commands are queued
    CLIENT_DIRTY_CAS = 1 << 8           # a WATCHed key changed: EXEC will fail
    CLIENT_DIRTY_EXEC = 1 << 9          # a command was rejected while queuing: EXECABORT
    CLIENT_IN_EXEC = 1 << 10            # EXEC is running the queue
    CLIENT_BLOCKED = 1 << 11            # waiting (for keys, or for CLIENT PAUSE to end)
    CLIENT_PUBSUB = 1 << 12             # subscribed to a channel or pattern
    CLIENT_REPLY_OFF = 1 << 13          # CLIENT REPLY OFF
    CLIENT_REPLY_SKIP_NEXT = 1 << 14    # CLIENT REPLY SKIP: the next command's reply is dropped
    CLIENT_REPLY_SKIP = 1 << 15         # this command's reply is dropped
    CLIENT_POSTPONED = 1 << 16          # blocked by CLIENT PAUSE: its command runs at unpause
    CLIENT_UNBLOCKED = 1 << 17          # woken: its pending input runs before the loop sleeps
    CLIENT_REPROCESSING = 1 << 18       # a blocked command runs again because a key is ready
    CLIENT_STILL_BLOCKED = 1 << 19      # set by block_for_keys while reprocessing
    # An in-process client (fake_client): no connection; the caller reads its replies. It never
    # blocks, is never paused and never gets -LOADING. What it runs for:
    CLIENT_FAKE = 1 << 20
    CLIENT_SCRIPT = 1 << 21             # a script's redis.call
    CLIENT_MODULE = 1 << 22             # a module command's calls
    CLIENT_MASTER = 1 << 23             # the master's replication stream
    CLIENT_AOF = 1 << 24                # the append-only file being loaded
    CLIENT_ORIGINS = CLIENT_SCRIPT | CLIENT_MODULE | CLIENT_MASTER | CLIENT_AOF
    CLIENT_DENY_BLOCKING = CLIENT_MULTI | CLIENT_IN_EXEC | CLIENT_FAKE
    CLIENT_REPLY_MODES = CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP_NEXT | CLIENT_REPLY_SKIP
    CLIENT_NO_WRITE = CLIENT_PENDING_WRITE | CLIENT_WRITE_WAIT | CLIENT_CLOSED | CLIENT_FAKE

ctypedef int (*cmd_fn)(Client c) except -1

cdef struct Command:
    char* name                 # lower-case name (for a subcommand: its own part, "get")
    size_t namelen
    char* fullname             # "get", or "config|get" for a subcommand
    int arity                  # exact argc, or -N for "at least N"
    unsigned long long flags   # CMD_*
    int role                   # ROLE_*
    cmd_fn native              # Cython handler, or NULL
    PyObject* py_handler       # Python handler (borrowed: the Core keeps its spec alive)
    PyObject* spec             # the Python CommandSpec (borrowed, same owner)
    Command* subs              # subcommands (nsubs), or NULL
    int nsubs
    Command* parent
    long long calls            # INFO commandstats
    long long usec
    long long rejected_calls
    long long failed_calls

cdef struct ErrorStat:
    char prefix[32]
    long long count

cdef struct SavedCmd:
    # a command kept beyond its read buffer (a MULTI queue entry, a blocked command):
    # argv[i][0:argl[i]] point into the same allocation
    Command* cmd
    int argc
    const char** argv
    size_t* argl
    size_t bytes               # size of the allocation


cdef class Client:
    cdef readonly long long id
    cdef readonly int fd             # -1 for an in-process client
    cdef Core core
    cdef Db* db                      # the selected database
    cdef readonly int db_index
    cdef ReplyBuf out                # pending reply bytes
    cdef ParseState ps               # request parser state
    cdef char* qbuf                  # unparsed request bytes kept between reads (or NULL)
    cdef size_t qlen, qcap
    cdef unsigned int flags          # CLIENT_*
    # the command being executed: argv[i][0:argl[i]] points into the read buffer
    cdef int argc
    cdef const char** argv
    cdef size_t* argl
    cdef int argvcap
    cdef Command* cmd
    cdef Command* lastcmd
    cdef long long errors            # error replies sent to this client
    cdef public object name          # CLIENT SETNAME (bytes) or None
    cdef public object lib_name      # CLIENT SETINFO
    cdef public object lib_ver
    cdef readonly str addr           # "ip:port" of the peer
    cdef readonly str laddr          # "ip:port" of our end
    cdef readonly long long ctime_ms
    cdef readonly long long last_interaction_ms
    cdef public bint authenticated
    # transactions (multi.pxi)
    cdef SavedCmd** mqueue           # commands queued since MULTI
    cdef int mcount, mcap
    cdef long long mbytes
    cdef unsigned long long mflags   # union of the queued commands' flags
    cdef list watched                # [WatchedKey] (None when nothing is watched)
    # blocking (blocking.pxi)
    cdef SavedCmd* bcmd              # the command that blocked (or was postponed)
    cdef int btype                   # the value type it waits for (T_LIST, T_ZSET)
    cdef list bkeys                  # keys it waits on, in its database
    cdef long long bdeadline_us      # monotonic deadline, 0 = none
    cdef long long bseq              # block number: stale timeout-heap rows are skipped
    cdef bytes bready                # while a blocked command runs again: the key that is ready
    # pub/sub (pubsub.pyx): channel -> None dicts, in subscription order
    cdef public dict channels
    cdef public dict patterns
    cdef public dict shard_channels
    cdef public long long obuf_soft_since_ms  # when the output buffer went over the soft limit

    cdef int error(self, const char* msg, size_t n) except -1
    cdef int error_cstr(self, const char* msg) except -1
    cdef int select_db(self, int index) except -1
    cdef int subscriptions(self) noexcept   # channels + patterns (not shard channels)


ctypedef int (*client_fn)(Client c) except -1

cdef class Core:
    cdef readonly Keyspace keyspace
    cdef readonly object server      # what Python command handlers get as their first argument
    cdef public object pubsub        # the pub/sub registries (a pubsub.PubSub), or None
    cdef int poll                    # readiness backend handle
    cdef PyObject** fdtable          # fd -> Client (owned references)
    cdef int fdcap
    cdef bint* listening             # fd -> is a listening socket
    cdef readonly dict clients       # id -> Client (connections only)
    cdef long long next_client_id
    cdef int reserve_fd              # spare descriptor for accepting through EMFILE
    # command table (cmdtable.pxi)
    cdef Command* commands           # top-level commands (ncommands)
    cdef int ncommands
    cdef Command** slots             # open-addressing index over commands by name
    cdef int nslots
    cdef list specs                  # keeps every CommandSpec (and handler) alive
    # settings the hot path reads (kept in sync by the Python layer)
    cdef public long long proto_max_bulk_len
    cdef public long long client_query_buffer_limit
    cdef public int maxclients
    cdef public bint auth_required
    cdef public bint protected_mode
    cdef public int hz
    cdef public int tcp_keepalive
    cdef public long long idle_timeout_ms
    # statistics
    cdef public long long stat_numcommands
    cdef public long long stat_numconnections
    cdef public long long stat_rejected_conn
    cdef public long long stat_net_input_bytes
    cdef public long long stat_net_output_bytes
    cdef public long long stat_total_error_replies
    cdef public long long stat_reads
    cdef public long long stat_python_calls  # commands that ran a Python handler
    cdef public long long stat_writes
    cdef ErrorStat errorstats[128]
    cdef int nerrorstats
    # dispatch (dispatch.pxi)
    cdef int call_depth              # commands running now: 1 for a client's, more when nested
    cdef long long clock_us          # end of the last command of the running batch, or 0
    # a dataset is loading and clients are served between its chunks (1), or being served
    # right now (2): commands without the `loading` flag answer -LOADING
    cdef int serving_while_loading
    # loop (eventloop.pxi)
    cdef PyObject** pending          # clients with replies to write (owned references)
    cdef int npending, pendcap
    cdef list to_close               # clients to close at the end of the iteration
    cdef bint running
    cdef public object cron          # Python callable run `hz` times a second
    cdef public object log           # Python callable(level, message)
    cdef long long next_cron_us
    cdef str _unix_addr              # unixsocket path, for the addresses of its clients
    # transactions (multi.pxi)
    cdef list watched_keys           # per database: {key: [Client]}
    # blocking (blocking.pxi)
    cdef list blocking_keys          # per database: {key: [Client]} in arrival order
    cdef list ready_keys             # [(db index, key)] that got a value since last served
    cdef set ready_set
    cdef list timeouts               # heap of (deadline_us, bseq, Client)
    cdef readonly long long blocked_count       # clients blocked on keys
    cdef readonly long long timeout_table_count # of those, clients with a timeout
    cdef list unblocked              # woken clients whose pending input must run
    cdef bint recheck_blocked        # a wake-up may have been missed: re-check every key
    # CLIENT PAUSE
    cdef readonly int pause_kind     # 0, PAUSE_WRITE or PAUSE_ALL
    cdef readonly long long pause_end_us
    cdef list postponed              # clients whose command waits for the pause to end
    # pub/sub (set by pubsub.PubSub when it attaches)
    cdef client_fn pubsub_release    # drop a client's subscriptions
    cdef public long long obuf_pubsub_hard      # client-output-buffer-limit pubsub (bytes)
    cdef public long long obuf_pubsub_soft
    cdef public long long obuf_pubsub_soft_seconds
    # CLIENT REPLY OFF/SKIP: the client whose running command's reply is being dropped, and
    # where that reply starts (pub/sub frames it gets meanwhile are moved before it)
    cdef Client reply_muted
    cdef size_t reply_mark
    # persistence: while set (bytes, an error line without '-'), write commands are refused
    # with it (MISCONF after a failed background save)
    cdef public object write_error
    # propagation (propagate.pxi): the write operations of this loop iteration, as the AOF
    # records them
    cdef ReplyBuf aof_buf
    cdef int aof_db                  # the database the stream has SELECTed (-1: none)
    cdef size_t prop_mark            # where the top-level command's first operation starts
    cdef int prop_ops                # operations recorded since the top-level command began
    cdef bint prop_custom            # the running command propagated itself
    # the append-only file (aof.pxi): aof_buf goes to aof_fd before any reply goes out
    cdef public int aof_fd           # -1: no AOF
    cdef public int aof_fsync        # AOF_FSYNC_*
    cdef long long aof_last_fsync_us
    cdef public long long aof_written  # bytes written to the AOF since set_aof
    cdef bint aof_timestamps         # aof-timestamp-enabled: #TS annotations
    cdef long long aof_last_ts       # the second of the last annotation


# ----- connections (networking.pxi)
cdef int queue_write(Core core, Client c) except -1
cdef int close_later(Core core, Client c) except -1
cdef int move_push_frame(Core core, Client c, size_t start) except -1
cdef void hook_failed(Core core, str what) noexcept      # dispatch.pxi, for keyspace hooks


cdef inline int keep_pushed(Core core, Client c, size_t start) except -1:
    """A pub/sub frame was written to c at [start, end): if c's own command is running with
    its reply dropped (CLIENT REPLY OFF/SKIP), keep the frame anyway, as Redis 7.0 does."""
    if c is core.reply_muted:
        return move_push_frame(core, c, start)
    return 0


# ----- the in-process entry point (dispatch.pxi): run commands as a client with no connection
cdef Client fake_client(Core core, unsigned int origin, int dbi, int proto)
cdef int call_command(Client c, int argc, const char** argv, size_t* argl) except -1
cdef object take_reply(Client c)              # the reply as Python values (and reset c.out)


# ----- the command table, as Python sees a Cython handler
cdef class NativeHandler:
    """A Cython command handler, as the Python command table refers to it."""
    cdef cmd_fn fn

cdef NativeHandler native(cmd_fn fn)

# ----- for command handlers: blocking (blocking.pxi)
cdef enum:
    PAUSE_WRITE = 1
    PAUSE_ALL = 2

cdef int block_for_keys(Client c, int first, int count, int step, long long timeout_ms, int btype) except -1


cdef inline int ready_key_position(Client c, int first, int count, int step) noexcept:
    """For a blocked command run again because a key got data: the position (0..count-1) of
    that key among the command's keys, so the handler tries it first (Redis serves a waiter
    from the key that became ready); 0 otherwise."""
    cdef int i, j
    cdef Py_ssize_t n
    if c.bready is None:
        return 0
    n = len(c.bready)
    for i in range(count):
        j = first + i * step
        if <Py_ssize_t>c.argl[j] == n and memcmp(c.argv[j], <const char*>c.bready, n) == 0:
            return i
    return 0
cdef SavedCmd* saved_cmd_new(Command* cmd, int argc, const char** argv, size_t* argl) except NULL

cdef enum:
    AOF_FSYNC_NO = 0
    AOF_FSYNC_ALWAYS = 1
    AOF_FSYNC_EVERYSEC = 2

# ----- propagation (propagate.pxi), for handlers that do not propagate verbatim
cdef int propagate(Core core, int dbi, int argc, const char** argv, size_t* argl) except -1


cdef inline bint propagating(Core core) noexcept:
    """Whether write operations are being recorded (the AOF is on)."""
    return core.aof_fd >= 0


cdef inline int propagate_instead(Client c, int argc, const char** argv, size_t* argl) except -1:
    """Record this operation instead of the running command's own arguments (SET ... EX as
    SET ... PXAT; call it once per operation)."""
    if not propagating(c.core):
        return 0
    c.core.prop_custom = True
    return propagate(c.core, c.db_index, argc, argv, argl)


cdef int propagate_key_op(Client c, const char* op, size_t on) except -1
cdef int propagate_key_count_op(Client c, const char* op, size_t on, int keyarg,
                                long long count) except -1
cdef int propagate_edited(Client c, const char* first, size_t fn, int at, const char* v, size_t vn,
                          const char* append, size_t an) except -1


cdef inline void propagate_nothing(Client c) noexcept:
    """The running command changed data but records nothing itself (its operations were
    recorded with propagate_instead, or there is nothing to replay)."""
    c.core.prop_custom = True
