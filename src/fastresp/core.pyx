# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The server core: connections, the command table, dispatch, and the single-threaded loop.

The request path, all in C for Cython handlers:
  epoll -> read() into a shared buffer -> parse every complete command -> look the command up
  -> central checks (existence, arity, authentication) -> handler appends its reply to the
  client's buffer -> after the iteration, one write() per client with output.
A client keeps no request buffer of its own unless a command arrives split across reads, and
no reply buffer unless it has unsent output; write interest is registered only when the kernel
refuses part of a reply.

Python enters at three places only: command handlers flagged as Python (admin and rare
commands, through the same table), the cron callable run `hz` times a second, and connection
close notifications.
"""
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_DECREF, Py_XDECREF
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.exc cimport PyErr_CheckSignals
from cpython.pythread cimport (PyThread_type_lock, PyThread_allocate_lock, PyThread_acquire_lock,
                               PyThread_release_lock, PyThread_start_new_thread, WAIT_LOCK)
from libc.stdlib cimport malloc, calloc, realloc, free
from libc.string cimport memcpy, memmove, memchr, strlen
from libc.stdint cimport uint64_t

from fastresp.includes.libc_extra cimport (
    FR_LIKELY, FR_UNLIKELY, pb_create, pb_close, pb_add, pb_mod, pb_del, pb_wait, PB_READ,
    PB_WRITE, PB_ERROR, PB_MAX_BATCH, PB_BACKEND_NAME, errno, EAGAIN, EWOULDBLOCK, EINTR,
    EMFILE, ENFILE, ECONNABORTED, snprintf, toupper, sockaddr, sockaddr_storage, sockaddr_in,
    sockaddr_in6, socklen_t, ssize_t, AF_INET, AF_INET6, AF_UNIX, SOL_SOCKET, SO_KEEPALIVE,
    SOCK_NONBLOCK, SOCK_CLOEXEC, accept4, getpeername, getsockname, setsockopt, IPPROTO_TCP,
    TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, ntohs, inet_ntop, read, write, close,
    fdatasync,
    open, O_RDONLY, O_CLOEXEC, ERR_NOAUTH, ERR_MAX_CLIENTS, ERR_UNKNOWN_COMMAND_FMT,
    ERR_UNKNOWN_SUBCOMMAND_FMT, ERR_ARITY_FMT)
from fastresp.reply cimport (ReplyBuf, reply_raw, reply_int, reply_bulk, reply_simple,
                             reply_null, reply_null_array, reply_array, reply_map, reply_set,
                             reply_push, reply_bool, reply_double, reply_verbatim,
                             reply_error_text, reply_release, reply_grow, REPLY_CHUNK)
from fastresp.parser cimport (ParseState, ParseLimits, parse_init, parse_free, parse_command,
                              parse_next_command, parse_rebase, parse_bulk_remaining,
                              PARSE_OK, PARSE_NEED_MORE, PARSE_ERROR)
from fastresp.keyspace cimport (Keyspace, Db, Entry, key_hash, db_find, lookup, entry_type,
                                key_is_expired, LOOKUP_NOTOUCH, LOOKUP_NOSTATS, LOOKUP_NONOTIFY)
from fastresp.util cimport monotonic_us, cstr_len
from fastresp.errors import CommandError
from heapq import heappush, heappop, heapify
from os import strerror as os_strerror

cdef Core _the_core = None       # the running server's core, for the keyspace hooks

cdef enum:
    READ_CHUNK = 16 * 1024           # bytes read per read() into the shared buffer
    BIG_READ_MAX = 1024 * 1024       # most a request buffer grows ahead of received bytes
    MAX_ACCEPTS_PER_CALL = 1000      # connections accepted per readiness event
    COMMAND_SLOTS_MIN = 512          # buckets of the command index
    ERRORSTATS_MAX = 128             # distinct error prefixes counted in INFO errorstats
    QBUF_IDLE_FREE = 4 * 1024        # an idle client's request buffer above this is freed
    ARG_TEXT_MAX = 128               # bytes of user arguments quoted in an unknown-command error
    AOF_BUF_KEEP = 64 * 1024         # AOF buffer capacity kept between loop iterations

cdef char _readbuf[READ_CHUNK]

PROTECTED_MODE_DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
    b"password is set for the default user. In this mode connections are only accepted from the "
    b"loopback interface. If you want to connect from external computers to Redis you may adopt "
    b"one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    b"SET protected-mode no' from the loopback interface by connecting to Redis from the same host "
    b"the server is running, however MAKE SURE Redis is not publicly accessible from internet if "
    b"you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just "
    b"disable the protected mode by editing the Redis configuration file, and setting the protected "
    b"mode option to 'no', and then restarting the server. 3) If you started the server manually "
    b"just for testing, restart it with the '--protected-mode no' option. 4) Setup a an "
    b"authentication password for the default user. NOTE: You only need to do one of the above "
    b"things in order for the server to start accepting connections from the outside.\r\n")

BACKEND = (<bytes>PB_BACKEND_NAME).decode()

# Command flag names as COMMAND INFO prints them.
COMMAND_FLAGS = {
    "write": CMD_WRITE, "readonly": CMD_READONLY, "denyoom": CMD_DENYOOM, "admin": CMD_ADMIN,
    "pubsub": CMD_PUBSUB, "noscript": CMD_NOSCRIPT, "blocking": CMD_BLOCKING,
    "loading": CMD_LOADING, "stale": CMD_STALE, "skip_monitor": CMD_SKIP_MONITOR,
    "skip_slowlog": CMD_SKIP_SLOWLOG, "asking": CMD_ASKING, "fast": CMD_FAST,
    "no_auth": CMD_NO_AUTH, "may_replicate": CMD_MAY_REPLICATE,
    "no_mandatory_keys": CMD_NO_MANDATORY_KEYS, "protected": CMD_PROTECTED,
    "no_async_loading": CMD_NO_ASYNC_LOADING, "no_multi": CMD_NO_MULTI,
    "movablekeys": CMD_MOVABLE_KEYS, "allow_busy": CMD_ALLOW_BUSY,
}


# =============================================================================================
# Reply values for Python handlers
# =============================================================================================

class Status(str):
    """A simple string reply (+OK)."""


class ErrorReply(str):
    """An error reply inside an aggregate (EXEC results): the text without '-'."""


class Verbatim(str):
    """A verbatim text reply (RESP3 '=' with format txt, a bulk string in RESP2)."""


class Push(list):
    """An out-of-band push (RESP3 '>', an array in RESP2)."""


class SetReply(list):
    """A set reply with a fixed element order (RESP3 '~', an array in RESP2)."""


class MapReply(list):
    """A map reply given as (key, value) pairs, in order, keys possibly repeated (RESP3 '%',
    a flat array in RESP2)."""


class _NullArray:
    """The null array (*-1 in RESP2, _ in RESP3)."""
    def __repr__(self):
        return "NULL_ARRAY"


class _NoReply:
    """Returned by a handler that wrote its replies itself."""
    def __repr__(self):
        return "NO_REPLY"


NULL_ARRAY = _NullArray()
NO_REPLY = _NoReply()


cdef int reply_value(ReplyBuf* r, object v) except -1:
    """Encode a Python value: bytes/str -> bulk, int -> integer, None -> null, float -> double,
    bool -> boolean, list/tuple -> array, dict -> map, set -> set, and the marker types above."""
    cdef type t = type(v)
    cdef bytes b
    if t is bytes:
        return reply_bulk(r, PyBytes_AS_STRING(v), PyBytes_GET_SIZE(v))
    if v is None:
        return reply_null(r)
    if t is bool:
        return reply_bool(r, v)
    if t is int:
        return reply_int(r, v)
    if t is Status:
        b = (<str>v).encode()
        return reply_simple(r, b, len(b))
    if t is str:
        b = (<str>v).encode()
        return reply_bulk(r, b, len(b))
    if t is list or t is tuple or t is Push:
        if t is Push:
            reply_push(r, len(v))
        else:
            reply_array(r, len(v))
        for item in v:
            reply_value(r, item)
        return 0
    if t is dict:
        reply_map(r, len(v))
        for key, item in (<dict>v).items():
            reply_value(r, key)
            reply_value(r, item)
        return 0
    if t is MapReply:
        reply_map(r, len(v))
        for key, item in v:
            reply_value(r, key)
            reply_value(r, item)
        return 0
    if t is float:
        return reply_double(r, v)
    if t is Verbatim:
        b = (<str>v).encode()
        return reply_verbatim(r, b, len(b), b"txt")
    if t is ErrorReply:
        b = (<str>v).encode()
        return reply_error_text(r, b, len(b))
    if t is set or t is frozenset or t is SetReply:
        reply_set(r, len(v))
        for item in v:
            reply_value(r, item)
        return 0
    if v is NULL_ARRAY:
        return reply_null_array(r)
    if isinstance(v, (bytearray, memoryview)):
        b = bytes(v)
        return reply_bulk(r, b, len(b))
    if isinstance(v, int):
        return reply_int(r, v)
    raise TypeError(f"cannot encode {t.__name__} as a reply")


cdef class NativeHandler:
    def __repr__(self):
        return "<native handler>"


cdef NativeHandler native(cmd_fn fn):
    cdef NativeHandler h = NativeHandler.__new__(NativeHandler)
    h.fn = fn
    return h


# =============================================================================================
# Client
# =============================================================================================

cdef str _format_sockaddr(sockaddr_storage* ss):
    cdef char ip[64]
    cdef int port
    if ss.ss_family == AF_INET:
        inet_ntop(AF_INET, &(<sockaddr_in*>ss).sin_addr, ip, sizeof(ip))
        port = ntohs((<sockaddr_in*>ss).sin_port)
        return f"{(<bytes>ip).decode()}:{port}"
    if ss.ss_family == AF_INET6:
        inet_ntop(AF_INET6, &(<sockaddr_in6*>ss).sin6_addr, ip, sizeof(ip))
        port = ntohs((<sockaddr_in6*>ss).sin6_port)
        return f"[{(<bytes>ip).decode()}]:{port}"
    return "?:0"


cdef class Client:
    """One connection. Cython handlers use the C fields; the Python layer uses the properties
    and methods below."""

    def __cinit__(self):
        self.fd = -1
        self.qbuf = NULL
        self.qlen = self.qcap = 0
        self.argv = NULL
        self.argl = NULL
        self.argvcap = 0
        self.argc = 0
        self.out.data = NULL
        self.out.len = self.out.sent = self.out.cap = 0
        self.out.proto = 2
        self.cmd = NULL
        self.lastcmd = NULL
        parse_init(&self.ps)

    def __dealloc__(self):
        free(self.qbuf)
        free(self.argv)
        free(self.argl)
        parse_free(&self.ps)
        reply_release(&self.out)
        multi_free_queue(self)
        free(self.bcmd)

    cdef int error(self, const char* msg, size_t n) except -1:
        """Reply with an error (msg has its prefix, e.g. "ERR ...", and no CRLF) and count it."""
        reply_error_text(&self.out, msg, n)
        self.errors += 1
        self.core.count_error(msg, n)
        return 0

    cdef int error_cstr(self, const char* msg) except -1:
        return self.error(msg, strlen(msg))

    cdef int select_db(self, int index) except -1:
        self.db = self.core.keyspace.db(index)
        self.db_index = index
        return 0

    cdef int subscriptions(self) noexcept:
        return ((len(self.channels) if self.channels is not None else 0) +
                (len(self.patterns) if self.patterns is not None else 0))

    # ----- Python interface
    def reply(self, value):
        """Append a reply (see reply_value for the mapping of Python values)."""
        reply_value(&self.out, value)
        self.core.queue_write(self)

    def reply_error(self, text):
        """Append an error reply (text with its prefix, no leading '-') and count it."""
        cdef bytes b = text.encode() if isinstance(text, str) else bytes(text)
        self.error(b, len(b))
        self.core.queue_write(self)

    def select(self, int index):
        if index < 0 or index >= self.core.keyspace.ndbs:
            raise IndexError(index)
        self.select_db(index)

    def close_after_reply(self):
        self.flags |= CLIENT_CLOSE_AFTER_REPLY

    def kill(self):
        """Close the connection at the end of this loop iteration."""
        self.core.close_later(self)

    @property
    def proto(self):
        return self.out.proto

    @proto.setter
    def proto(self, int v):
        self.out.proto = v

    @property
    def closed(self):
        return bool(self.flags & CLIENT_CLOSED)

    @property
    def is_unix(self):
        return bool(self.flags & CLIENT_UNIX_SOCKET)

    @property
    def last_command(self):
        """Full name of the last command looked up ("client|list"), or None."""
        return None if self.lastcmd == NULL else (<bytes>self.lastcmd.fullname).decode()

    @property
    def qbuf_len(self):
        return self.qlen

    @property
    def qbuf_free(self):
        return self.qcap - self.qlen

    @property
    def argv_mem(self):
        cdef long long n = 0
        cdef int i
        for i in range(self.argc):
            n += self.argl[i]
        return n

    @property
    def obuf_len(self):
        return self.out.len - self.out.sent

    @property
    def obuf_mem(self):
        return self.out.cap

    @property
    def waiting_to_write(self):
        return bool(self.flags & CLIENT_WRITE_WAIT)

    @property
    def error_count(self):
        return self.errors

    @property
    def in_multi(self):
        return bool(self.flags & CLIENT_MULTI)

    @property
    def multi_count(self):
        """Commands queued in MULTI, or -1 outside MULTI (CLIENT LIST's multi=)."""
        return self.mcount if self.flags & CLIENT_MULTI else -1

    @property
    def multi_mem(self):
        return self.mbytes

    @property
    def dirty_cas(self):
        return bool(self.flags & CLIENT_DIRTY_CAS)

    @property
    def blocked(self):
        """Blocked on keys or held back by CLIENT PAUSE."""
        return bool(self.flags & CLIENT_BLOCKED)

    @property
    def pubsub(self):
        """Subscribed to anything (channels, patterns or shard channels)."""
        return bool(self.flags & CLIENT_PUBSUB)

    @property
    def reply_mode(self):
        """CLIENT REPLY: "on", "off" or "skip"."""
        if self.flags & CLIENT_REPLY_OFF:
            return "off"
        if self.flags & (CLIENT_REPLY_SKIP_NEXT | CLIENT_REPLY_SKIP):
            return "skip"
        return "on"

    @reply_mode.setter
    def reply_mode(self, str mode):
        self.flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP_NEXT | CLIENT_REPLY_SKIP)
        if mode == "off":
            self.flags |= CLIENT_REPLY_OFF
        elif mode == "skip":
            self.flags |= CLIENT_REPLY_SKIP_NEXT

    def reset_state(self):
        """RESET's share of the core: leave MULTI, unwatch, reply mode on."""
        if self.flags & CLIENT_MULTI:
            multi_discard(self.core, self)
        unwatch_all(self.core, self)
        self.flags &= ~(CLIENT_DIRTY_CAS | CLIENT_REPLY_MODES)


# =============================================================================================
# Core
# =============================================================================================

cdef inline uint64_t _name_hash(const char* s, size_t n) noexcept nogil:
    """FNV-1a over the lower-cased name (command lookup is case-insensitive)."""
    cdef uint64_t h = 14695981039346656037ULL
    cdef size_t i
    cdef unsigned char ch
    for i in range(n):
        ch = <unsigned char>s[i]
        if 65 <= ch <= 90:
            ch += 32
        h ^= ch
        h *= 1099511628211ULL
    return h


cdef inline bint _name_eq(Command* cmd, const char* s, size_t n) noexcept nogil:
    cdef size_t i
    cdef unsigned char ch
    if cmd.namelen != n:
        return False
    for i in range(n):
        ch = <unsigned char>s[i]
        if 65 <= ch <= 90:
            ch += 32
        if ch != <unsigned char>cmd.name[i]:
            return False
    return True


cdef Command* _find_sub(Command* parent, const char* s, size_t n) noexcept:
    cdef int i
    for i in range(parent.nsubs):
        if _name_eq(&parent.subs[i], s, n):
            return &parent.subs[i]
    return NULL


cdef char* _strdup_bytes(bytes b) except NULL:
    cdef char* p = <char*>malloc(len(b) + 1)
    if p == NULL:
        raise MemoryError()
    memcpy(p, PyBytes_AS_STRING(b), len(b))
    p[len(b)] = 0
    return p


cdef int _fill_command(Command* cmd, object spec, Command* parent) except -1:
    """Fill cmd from a CommandSpec: it is looked up by spec.name (which rename-command may
    have changed) and named in errors and statistics by spec.fullname (which it does not)."""
    cdef bytes name = spec.name.lower().encode()
    cdef bytes fullname = spec.fullname.lower().encode()
    cdef object handler = spec.handler
    cdef int i
    cmd.name = _strdup_bytes(name)
    cmd.namelen = len(name)
    cmd.fullname = _strdup_bytes(fullname)
    cmd.arity = spec.arity
    cmd.flags = spec.flag_bits
    cmd.native = (<NativeHandler>handler).fn if isinstance(handler, NativeHandler) else NULL
    cmd.py_handler = <PyObject*>handler if cmd.native == NULL else NULL
    cmd.spec = <PyObject*>spec
    cmd.parent = parent
    cmd.calls = cmd.usec = cmd.rejected_calls = cmd.failed_calls = 0
    cmd.role = 0
    if spec.fullname in ("exec", "discard", "multi", "watch", "quit", "reset"):
        cmd.role |= ROLE_EXEC
    if spec.fullname in ("subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe",
                         "sunsubscribe", "ping", "quit", "reset"):
        cmd.role |= ROLE_PUBSUB_CONTEXT
    if spec.fullname in ("publish", "spublish"):
        cmd.role |= ROLE_PAUSED_BY_WRITE
    if spec.fullname == "ping":
        cmd.role |= ROLE_DENIED_ON_WRITE_ERROR
    cmd.nsubs = len(spec.subcommands)
    cmd.subs = NULL
    if cmd.nsubs:
        cmd.subs = <Command*>calloc(cmd.nsubs, sizeof(Command))
        if cmd.subs == NULL:
            raise MemoryError()
        for i, sub in enumerate(spec.subcommands):
            _fill_command(&cmd.subs[i], sub, cmd)
    return 0


cdef void _free_command(Command* cmd) noexcept:
    cdef int i
    free(cmd.name)
    free(cmd.fullname)
    for i in range(cmd.nsubs):
        _free_command(&cmd.subs[i])
    free(cmd.subs)


# A dataset is loading and clients are served between its chunks (1), or being served right now
# (2): commands without the `loading` flag answer -LOADING. One server per process.
cdef int _serving_while_loading = 0


cdef class Core:
    """Connections, command table and event loop of one server."""

    def __cinit__(self, Keyspace keyspace, object server):
        self.keyspace = keyspace
        self.server = server
        self.poll = pb_create()
        if self.poll < 0:
            raise OSError(errno, "cannot create the poller")
        self.fdcap = 1024
        self.fdtable = <PyObject**>calloc(self.fdcap, sizeof(PyObject*))
        self.listening = <bint*>calloc(self.fdcap, sizeof(bint))
        if self.fdtable == NULL or self.listening == NULL:
            raise MemoryError()
        self.clients = {}
        self.next_client_id = 1
        self.specs = []
        self.to_close = []
        self.proto_max_bulk_len = 512 * 1024 * 1024
        self.client_query_buffer_limit = 1024 * 1024 * 1024
        self.maxclients = 10000
        self.hz = 10
        self.tcp_keepalive = 300
        self.protected_mode = True
        self.reserve_fd = open(b"/dev/null", O_RDONLY | O_CLOEXEC)
        self.watched_keys = [{} for _ in range(keyspace.ndbs)]
        self.blocking_keys = [{} for _ in range(keyspace.ndbs)]
        self.ready_keys = []
        self.ready_set = set()
        self.timeouts = []
        self.unblocked = []
        self.postponed = []
        keyspace.st.touch_watched = _touch_watched_hook
        keyspace.st.key_added = _key_added_hook
        keyspace.st.expired_deleted = _expired_deleted_hook
        self.aof_fd = -1
        self.aof_db = -1
        global _the_core
        _the_core = self

    def __dealloc__(self):
        cdef int i
        for i in range(self.npending):
            Py_XDECREF(self.pending[i])
        free(self.pending)
        reply_release(&self.aof_buf)
        for i in range(self.fdcap):
            Py_XDECREF(self.fdtable[i])
        free(self.fdtable)
        free(self.listening)
        for i in range(self.ncommands):
            _free_command(&self.commands[i])
        free(self.commands)
        free(self.slots)
        if self.poll >= 0:
            pb_close(self.poll)
        if self.reserve_fd >= 0:
            close(self.reserve_fd)

    # ----- command table
    def install_commands(self, specs):
        """Build the dispatch table from CommandSpec objects (name, arity, flag_bits, handler,
        subcommands). Replaces any previous table; statistics restart."""
        cdef int i, n = len(specs), slot
        cdef Command* cmds
        cdef Command** slots
        cdef int nslots = COMMAND_SLOTS_MIN
        while nslots < n * 2:
            nslots *= 2
        cmds = <Command*>calloc(n if n else 1, sizeof(Command))
        slots = <Command**>calloc(nslots, sizeof(Command*))
        if cmds == NULL or slots == NULL:
            free(cmds)
            free(slots)
            raise MemoryError()
        for i in range(n):
            _fill_command(&cmds[i], specs[i], NULL)
            slot = <int>(_name_hash(cmds[i].name, cmds[i].namelen) & (nslots - 1))
            while slots[slot] != NULL:
                slot = (slot + 1) & (nslots - 1)
            slots[slot] = &cmds[i]
        for i in range(self.ncommands):
            _free_command(&self.commands[i])
        free(self.commands)
        free(self.slots)
        self.commands = cmds
        self.ncommands = n
        self.slots = slots
        self.nslots = nslots
        self.specs = list(specs)
        for c in self.clients.values():
            (<Client>c).cmd = NULL
            (<Client>c).lastcmd = NULL

    cdef Command* lookup(self, const char* name, size_t n) noexcept:
        cdef int slot = <int>(_name_hash(name, n) & (self.nslots - 1))
        cdef Command* cmd
        while True:
            cmd = self.slots[slot]
            if cmd == NULL:
                return NULL
            if _name_eq(cmd, name, n):
                return cmd
            slot = (slot + 1) & (self.nslots - 1)

    def command_stats(self):
        """[(fullname, calls, usec, rejected_calls, failed_calls)] for commands used so far."""
        cdef list out = []
        cdef int i, j
        cdef Command* c
        for i in range(self.ncommands):
            c = &self.commands[i]
            if c.calls or c.rejected_calls or c.failed_calls:
                out.append(((<bytes>c.fullname).decode(), c.calls, c.usec, c.rejected_calls, c.failed_calls))
            for j in range(c.nsubs):
                c = &self.commands[i].subs[j]
                if c.calls or c.rejected_calls or c.failed_calls:
                    out.append(((<bytes>c.fullname).decode(), c.calls, c.usec, c.rejected_calls, c.failed_calls))
        return out

    def error_stats(self):
        cdef int i
        return {(<bytes>self.errorstats[i].prefix).decode(errors="replace"): self.errorstats[i].count
                for i in range(self.nerrorstats)}

    def reset_stats(self):
        """CONFIG RESETSTAT's share: command, error and network counters."""
        cdef int i, j
        for i in range(self.ncommands):
            self.commands[i].calls = self.commands[i].usec = 0
            self.commands[i].rejected_calls = self.commands[i].failed_calls = 0
            for j in range(self.commands[i].nsubs):
                self.commands[i].subs[j].calls = self.commands[i].subs[j].usec = 0
                self.commands[i].subs[j].rejected_calls = self.commands[i].subs[j].failed_calls = 0
        self.nerrorstats = 0
        self.stat_numcommands = self.stat_numconnections = self.stat_rejected_conn = 0
        self.stat_net_input_bytes = self.stat_net_output_bytes = 0
        self.stat_total_error_replies = 0
        self.stat_reads = self.stat_writes = 0
        self.stat_python_calls = 0

    cdef int count_error(self, const char* msg, size_t n) noexcept:
        """INFO errorstats: count the error by its prefix (the first word, else ERR)."""
        cdef const char* space = <const char*>memchr(msg, b' ', n if n < 32 else 32)
        cdef size_t plen
        cdef int i
        if space != NULL:
            plen = <size_t>(space - msg)
        else:
            msg = b"ERR"
            plen = 3
        self.stat_total_error_replies += 1
        for i in range(self.nerrorstats):
            if strlen(self.errorstats[i].prefix) == plen and \
                    memcmp_prefix(self.errorstats[i].prefix, msg, plen):
                self.errorstats[i].count += 1
                return 0
        if self.nerrorstats < ERRORSTATS_MAX:
            memcpy(self.errorstats[self.nerrorstats].prefix, msg, plen)
            self.errorstats[self.nerrorstats].prefix[plen] = 0
            self.errorstats[self.nerrorstats].count = 1
            self.nerrorstats += 1
        return 0

    # ----- dispatch
    cdef int call(self, Client c) except -1:
        """Look the command up, run the central checks, execute it."""
        cdef Command* cmd = self.lookup(c.argv[0], c.argl[0])
        cdef Command* container = NULL
        if cmd != NULL and cmd.nsubs and c.argc >= 2:
            container = cmd
            cmd = _find_sub(cmd, c.argv[1], c.argl[1])
        c.lastcmd = cmd
        if FR_UNLIKELY(cmd == NULL):
            _flag_transaction(c)
            if container != NULL:
                return _reject_unknown_subcommand(c)
            return _reject_unknown_command(c)
        if FR_UNLIKELY((cmd.arity > 0 and c.argc != cmd.arity) or c.argc < -cmd.arity):
            cmd.rejected_calls += 1
            _flag_transaction(c)
            return _reject_fmt(c, ERR_ARITY_FMT, cmd.fullname)
        if FR_UNLIKELY(self.auth_required and not c.authenticated and not (cmd.flags & CMD_NO_AUTH)):
            cmd.rejected_calls += 1
            _flag_transaction(c)
            if cmd.native == _cmd_exec:
                return exec_abort(c, ERR_NOAUTH, strlen(ERR_NOAUTH))
            return c.error_cstr(ERR_NOAUTH)
        if FR_UNLIKELY(c.flags & (CLIENT_MULTI | CLIENT_PUBSUB) or self.pause_kind or
                       self.write_error is not None or _serving_while_loading):
            return self._call_in_state(c, cmd)
        self.execute(c, cmd)
        if FR_UNLIKELY(self.ready_keys and not (c.flags & CLIENT_IN_EXEC)):
            serve_ready_keys(self)
        return 0

    cdef int _call_in_state(self, Client c, Command* cmd) except -1:
        """Dispatch for a client in MULTI or subscribed, while clients are paused, or while
        persistence fails."""
        cdef bytes err
        if c.flags & CLIENT_MULTI and cmd.flags & CMD_NO_MULTI:
            cmd.rejected_calls += 1
            _flag_transaction(c)
            return c.error_cstr(b"ERR Command not allowed inside a transaction")
        if self.write_error is not None and (
                cmd.flags & CMD_WRITE or cmd.role & ROLE_DENIED_ON_WRITE_ERROR or
                (cmd.native == _cmd_exec and c.mflags & CMD_WRITE)):
            cmd.rejected_calls += 1
            _flag_transaction(c)
            err = self.write_error
            if cmd.native == _cmd_exec:
                return exec_abort(c, err, len(err))
            return c.error(err, len(err))
        if c.flags & CLIENT_PUBSUB and c.out.proto == 2 and not (cmd.role & ROLE_PUBSUB_CONTEXT):
            cmd.rejected_calls += 1
            _flag_transaction(c)
            return _reject_fmt(c, b"ERR Can't execute '%s': only (P|S)SUBSCRIBE / "
                               b"(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
                               b"context", cmd.fullname)
        if _serving_while_loading and c.fd >= 0 and not (cmd.flags & CMD_LOADING):
            cmd.rejected_calls += 1
            _flag_transaction(c)
            return c.error_cstr(b"LOADING Redis is loading the dataset in memory")
        if self.pause_kind and pause_applies(self, c, cmd):
            return postpone(self, c, cmd)
        if c.flags & CLIENT_MULTI and not (cmd.role & ROLE_EXEC):
            return multi_queue(self, c, cmd)
        self.execute(c, cmd)
        if self.ready_keys and not (c.flags & CLIENT_IN_EXEC):
            serve_ready_keys(self)
        return 0

    cdef int execute(self, Client c, Command* cmd) except -1:
        """Run a command whose checks passed, with statistics. Its duration is measured from
        the end of the previous command of the same batch (one clock read per command)."""
        cdef long long start = self.clock_us if self.clock_us else monotonic_us()
        cdef long long end
        cdef long long errors = c.errors
        cdef bint recording = self.aof_fd >= 0    # AOF on: the bookkeeping of propagate.pxi
        cdef long long dirty = 0
        cdef bint outer_custom = False
        c.cmd = cmd
        c.flags |= CLIENT_IN_CALL
        if FR_UNLIKELY(recording):
            dirty = c.db.st.dirty
            outer_custom = self.prop_custom
            if self.prop_depth == 0:
                self.prop_ops = 0          # propagate() sets prop_mark at the first one
            self.prop_depth += 1
            self.prop_custom = False
        try:
            if cmd.native != NULL:
                cmd.native(c)
            else:
                self.stat_python_calls += 1
                self._call_python(c, cmd)
        except MemoryError:
            c.error_cstr(b"OOM command not allowed when used memory > 'maxmemory'.")
        except Exception as exc:
            self._internal_error(c, exc)
        finally:
            c.flags &= ~CLIENT_IN_CALL
            if FR_UNLIKELY(recording):
                self.prop_depth -= 1
        if FR_UNLIKELY(recording):
            if self.aof_fd >= 0:
                if (not self.prop_custom and c.db.st.dirty != dirty and
                        not (cmd.role & ROLE_EXEC)):
                    propagate(self, c.db_index, c.argc, c.argv, c.argl)
                if self.prop_depth == 0 and self.prop_ops > 1:
                    _wrap_in_multi(self)
            self.prop_custom = outer_custom
        end = monotonic_us()
        if self.clock_us:
            self.clock_us = end
        cmd.usec += end - start
        cmd.calls += 1
        if c.errors != errors:
            cmd.failed_calls += 1
        self.stat_numcommands += 1
        return 0

    cdef int _call_python(self, Client c, Command* cmd) except -1:
        cdef list args = [PyBytes_FromStringAndSize(c.argv[i], c.argl[i]) for i in range(c.argc)]
        cdef bytes text
        try:
            result = (<object>cmd.py_handler)(self.server, c, args)
        except CommandError as err:
            text = err.text.encode() if isinstance(err.text, str) else bytes(err.text)
            return c.error(text, len(text))
        if result is not NO_REPLY:
            reply_value(&c.out, result)
        return 0

    cdef int _internal_error(self, Client c, object exc) except -1:
        """A handler raised unexpectedly: log it, answer with an error, keep serving."""
        cdef bytes text
        if self.log is not None:
            import traceback
            self.log("warning", "Internal error in command '%s': %s" % (
                c.last_command, "".join(traceback.format_exception(exc)).rstrip()))
        text = f"ERR internal error: {type(exc).__name__}".encode()
        return c.error(text, len(text))

    # ----- input
    cdef int read_client(self, Client c) except -1:
        """Read what the socket has, run every complete command, keep the unparsed tail."""
        cdef ssize_t n
        cdef char* buf
        cdef size_t blen, rest, consumed, room
        cdef long long missing
        cdef bint shared = c.qlen == 0
        if shared:
            n = read(c.fd, _readbuf, READ_CHUNK)
        else:
            missing = parse_bulk_remaining(&c.ps, c.qlen)
            room = READ_CHUNK
            if <size_t>missing > room:
                # a large bulk is arriving: read bigger pieces, but never reserve more ahead
                # of the received bytes than they already amount to, nor more than 1 MB
                room = <size_t>missing
                if room > c.qlen:
                    room = c.qlen if c.qlen > READ_CHUNK else READ_CHUNK
                if room > BIG_READ_MAX:
                    room = BIG_READ_MAX
            _qbuf_reserve(c, room)
            n = read(c.fd, c.qbuf + c.qlen, c.qcap - c.qlen)
        if n <= 0:
            if n < 0 and (errno == EAGAIN or errno == EWOULDBLOCK or errno == EINTR):
                return 0
            return self.free_client(c)
        self.stat_net_input_bytes += n
        self.stat_reads += 1
        c.last_interaction_ms = self.keyspace.st.now_ms
        if shared:
            buf = _readbuf
            blen = <size_t>n
        else:
            c.qlen += <size_t>n
            buf = c.qbuf
            blen = c.qlen
        self.process_input(c, buf, blen)
        if c.flags & CLIENT_CLOSED:
            return 0
        return self._finish_input(c, buf, blen, shared)

    cdef int _finish_input(self, Client c, char* buf, size_t blen, bint shared) except -1:
        """After running the commands in buf[0:blen]: keep the unparsed tail in the client's
        request buffer, enforce its limit, schedule the replies."""
        cdef size_t consumed, rest
        consumed = c.ps.start
        rest = blen - consumed
        if shared:
            if rest:
                _qbuf_reserve(c, rest + READ_CHUNK)
                memcpy(c.qbuf, buf + consumed, rest)
                c.qlen = rest
        elif consumed:
            memmove(c.qbuf, c.qbuf + consumed, rest)
            c.qlen = rest
        parse_rebase(&c.ps)
        if c.qlen == 0 and c.qcap > QBUF_IDLE_FREE:
            free(c.qbuf)
            c.qbuf = NULL
            c.qcap = 0
        if <long long>c.qlen > self.client_query_buffer_limit:
            if self.log is not None:
                self.log("warning", "Closing client that reached max query buffer length: "
                         f"id={c.id} addr={c.addr} qbuf={c.qlen}")
            return self.free_client(c)
        return self.queue_write(c)

    cdef int process_input(self, Client c, char* buf, size_t n) except -1:
        """Run the commands in buf[0:n], timing each from the end of the previous one."""
        cdef ParseLimits lim
        lim.max_bulk = self.proto_max_bulk_len
        self.clock_us = monotonic_us()
        try:
            self._run_commands(c, buf, n, &lim)
        finally:
            self.clock_us = 0
        return 0

    cdef int _run_commands(self, Client c, char* buf, size_t n, ParseLimits* lim) except -1:
        """Parse and execute every complete command in buf[0:n]."""
        cdef int r, i
        while not (c.flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_CLOSED |
                              CLIENT_BLOCKED)):
            lim.unauthenticated = self.auth_required and not c.authenticated
            r = parse_command(&c.ps, buf, n, lim)
            if r == PARSE_NEED_MORE:
                break
            if FR_UNLIKELY(r == PARSE_ERROR):
                c.error_cstr(c.ps.err)
                c.flags |= CLIENT_CLOSE_AFTER_REPLY
                if self.log is not None:
                    self.log("verbose", "Protocol error (%s) from client: id=%d addr=%s" % (
                        (<bytes>c.ps.err).decode(errors="backslashreplace"), c.id, c.addr))
                break
            if c.ps.argc:
                if FR_UNLIKELY(c.ps.argc > c.argvcap):
                    _reserve_argv(c, c.ps.argc)
                for i in range(c.ps.argc):
                    c.argv[i] = buf + c.ps.start + c.ps.aoff[i]
                    c.argl[i] = c.ps.alen[i]
                c.argc = c.ps.argc
                if FR_UNLIKELY(c.flags & CLIENT_REPLY_MODES):
                    _call_with_reply_mode(self, c)
                else:
                    self.call(c)
                    if FR_UNLIKELY(c.flags & CLIENT_REPLY_SKIP_NEXT):
                        _skip_next_reply(c)      # that was CLIENT REPLY SKIP
                c.argc = 0
            parse_next_command(&c.ps)
        return 0

    # ----- output
    cdef int queue_write(self, Client c) except -1:
        """Remember a client with unsent output; it is written before the loop sleeps."""
        cdef PyObject** grown
        if c.out.len == c.out.sent and not (c.flags & CLIENT_CLOSE_AFTER_REPLY):
            return 0
        if c.flags & (CLIENT_PENDING_WRITE | CLIENT_WRITE_WAIT | CLIENT_CLOSED):
            return 0
        if self.npending == self.pendcap:
            self.pendcap = self.pendcap * 2 if self.pendcap else 64
            grown = <PyObject**>realloc(self.pending, self.pendcap * sizeof(PyObject*))
            if grown == NULL:
                raise MemoryError()
            self.pending = grown
        Py_INCREF(c)
        self.pending[self.npending] = <PyObject*>c
        self.npending += 1
        c.flags |= CLIENT_PENDING_WRITE
        return 0

    cdef int write_client(self, Client c) except -1:
        """Write as much pending output as the socket takes."""
        cdef ssize_t n
        while c.out.sent < c.out.len:
            n = write(c.fd, c.out.data + c.out.sent, c.out.len - c.out.sent)
            if n > 0:
                c.out.sent += <size_t>n
                self.stat_net_output_bytes += n
                self.stat_writes += 1
            elif n < 0 and errno == EINTR:
                continue
            elif n < 0 and (errno == EAGAIN or errno == EWOULDBLOCK):
                if not (c.flags & CLIENT_WRITE_WAIT):
                    pb_mod(self.poll, c.fd, PB_READ | PB_WRITE)
                    c.flags |= CLIENT_WRITE_WAIT
                return 0
            else:
                return self.free_client(c)
        reply_release(&c.out)
        if c.flags & CLIENT_WRITE_WAIT:
            pb_mod(self.poll, c.fd, PB_READ)
            c.flags &= ~CLIENT_WRITE_WAIT
        if c.flags & CLIENT_CLOSE_AFTER_REPLY:
            return self.free_client(c)
        return 0

    cdef int flush_pending(self) except -1:
        cdef int i = 0
        cdef Client c
        while i < self.npending:
            c = <Client>self.pending[i]
            c.flags &= ~CLIENT_PENDING_WRITE
            if not (c.flags & CLIENT_CLOSED):
                self.write_client(c)
            i += 1
        for i in range(self.npending):
            Py_DECREF(<object>self.pending[i])
        self.npending = 0
        return 0

    # ----- connections
    def add_listener(self, int fd):
        """Watch a listening socket (created and bound by the Python layer)."""
        _ensure_fd(self, fd)
        self.listening[fd] = True
        if pb_add(self.poll, fd, PB_READ) < 0:
            raise OSError(errno, "cannot watch the listening socket")

    def remove_listener(self, int fd):
        if fd < self.fdcap and self.listening[fd]:
            pb_del(self.poll, fd)
            self.listening[fd] = False

    def set_unix_socket_path(self, str path):
        self._unix_addr = path

    cdef int accept_clients(self, int lfd) except -1:
        cdef sockaddr_storage ss
        cdef socklen_t sl
        cdef int fd, i
        for i in range(MAX_ACCEPTS_PER_CALL):
            sl = sizeof(ss)
            fd = accept4(lfd, <sockaddr*>&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC)
            if fd < 0:
                if errno == EINTR or errno == ECONNABORTED:
                    continue
                if errno == EMFILE or errno == ENFILE:
                    self._shed_connection(lfd)
                return 0
            self._new_client(fd, &ss, lfd)
        return 0

    cdef int _shed_connection(self, int lfd) except -1:
        """Out of descriptors: accept the waiting connection with the spare descriptor and
        close it, so the listening socket does not stay readable forever."""
        cdef int fd
        if self.log is not None:
            self.log("warning", "Error accepting a client connection: accept: Too many open files")
        if self.reserve_fd >= 0:
            close(self.reserve_fd)
            self.reserve_fd = -1
            fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)
            if fd >= 0:
                close(fd)
            self.reserve_fd = open(b"/dev/null", O_RDONLY | O_CLOEXEC)
        return 0

    cdef int _new_client(self, int fd, sockaddr_storage* ss, int lfd) except -1:
        cdef Client c
        cdef int one = 1, idle, intvl, cnt = 3
        cdef sockaddr_storage local
        cdef socklen_t ll = sizeof(local)
        cdef bint unix_sock = ss.ss_family == AF_UNIX
        cdef str peer
        if not unix_sock:
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))
            if self.tcp_keepalive > 0:
                idle = self.tcp_keepalive
                intvl = idle // 3 if idle >= 3 else 1
                setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one))
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle))
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl))
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt))
            peer = _format_sockaddr(ss)
        else:
            peer = f"{self._unix_addr}:0"
        self.stat_numconnections += 1
        if len(self.clients) >= self.maxclients:
            write(fd, b"-ERR max number of clients reached\r\n", 36)
            close(fd)
            self.stat_rejected_conn += 1
            self.stat_numconnections -= 1
            return 0
        if (self.protected_mode and not self.auth_required and not unix_sock and
                peer.rsplit(":", 1)[0] not in ("127.0.0.1", "[::1]")):
            write(fd, PyBytes_AS_STRING(PROTECTED_MODE_DENIED), len(PROTECTED_MODE_DENIED))
            close(fd)
            self.stat_rejected_conn += 1
            if self.log is not None:
                self.log("warning", "Protected mode: connection from %s refused" % peer)
            return 0
        _ensure_fd(self, fd)
        c = Client.__new__(Client)
        c.fd = fd
        c.core = self
        c.id = self.next_client_id
        self.next_client_id += 1
        c.select_db(0)
        c.addr = peer
        if unix_sock:
            c.laddr = peer
            c.flags |= CLIENT_UNIX_SOCKET
        else:
            getsockname(fd, <sockaddr*>&local, &ll)
            c.laddr = _format_sockaddr(&local)
        c.ctime_ms = c.last_interaction_ms = self.keyspace.st.now_ms
        c.authenticated = not self.auth_required
        if pb_add(self.poll, fd, PB_READ) < 0:
            close(fd)
            return 0
        Py_INCREF(c)
        self.fdtable[fd] = <PyObject*>c
        self.clients[c.id] = c
        return 0

    cdef int free_client(self, Client c) except -1:
        """Close a connection now and release what it holds. The caller must hold its own
        reference to c (the tables' references are dropped here)."""
        cdef Client keep = c     # c stays alive until we are done, whoever else drops it
        if c.flags & CLIENT_CLOSED:
            return 0
        c.flags |= CLIENT_CLOSED
        pb_del(self.poll, c.fd)
        close(c.fd)
        if c.fd < self.fdcap and self.fdtable[c.fd] == <PyObject*>c:
            self.fdtable[c.fd] = NULL
            Py_DECREF(c)
        self.clients.pop(c.id, None)
        self._release_client_state(c)
        free(c.qbuf)
        c.qbuf = NULL
        c.qlen = c.qcap = 0
        reply_release(&c.out)
        parse_free(&c.ps)
        if self.on_close is not None:
            try:
                self.on_close(c)
            except Exception as exc:
                if self.log is not None:
                    self.log("warning", f"Error in connection close handler: {exc!r}")
        return 0

    cdef int _release_client_state(self, Client c) except -1:
        """What a closing client leaves behind: its transaction, watched keys, blocked
        command and subscriptions."""
        if c.flags & CLIENT_MULTI:
            multi_discard(self, c)
        unwatch_all(self, c)
        if c.flags & CLIENT_POSTPONED:
            if c in self.postponed:
                self.postponed.remove(c)
            free(c.bcmd)
            c.bcmd = NULL
            c.flags &= ~(CLIENT_BLOCKED | CLIENT_POSTPONED)
        elif c.flags & CLIENT_BLOCKED:
            unblock(self, c)
        if self.pubsub_release != NULL:
            self.pubsub_release(c)
        return 0

    cdef int close_later(self, Client c) except -1:
        if not (c.flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSED)):
            c.flags |= CLIENT_CLOSE_ASAP
            self.to_close.append(c)
        return 0

    def close_client(self, Client c):
        """Close a client at the end of this loop iteration (CLIENT KILL, timeouts)."""
        self.close_later(c)

    def clients_cron(self):
        """Once a second: close clients idle past `timeout`, free idle request buffers."""
        cdef Client c
        cdef long long now = self.keyspace.st.now_ms
        for obj in list(self.clients.values()):
            c = <Client>obj
            if (self.idle_timeout_ms > 0 and now - c.last_interaction_ms > self.idle_timeout_ms
                    and not (c.flags & (CLIENT_BLOCKED | CLIENT_PUBSUB))):
                if self.log is not None:
                    self.log("verbose", "Closing idle client")
                self.close_later(c)
            elif c.qlen == 0 and c.qbuf != NULL:
                free(c.qbuf)
                c.qbuf = NULL
                c.qcap = 0

    # ----- the loop
    def stop(self):
        """Make run() return after the current iteration."""
        self.running = False

    def run(self):
        """Serve until stop(): wait for readiness, handle it, run the cron at `hz`."""
        cdef long long now
        cdef int timeout
        self.running = True
        self.next_cron_us = monotonic_us()
        while self.running:
            now = monotonic_us()
            if now >= self.next_cron_us:
                self._run_cron()
                self.next_cron_us += 1000000 // (self.hz if self.hz > 0 else 10)
                if self.next_cron_us < now:
                    self.next_cron_us = now + 1000000 // (self.hz if self.hz > 0 else 10)
                if not self.running:
                    break
            self._before_sleep()
            timeout = <int>((self._next_wakeup_us() - now + 999) // 1000)
            _handle_events(self, timeout if timeout > 0 else 0)
        self._before_sleep()

    def serve_while_loading(self):
        """While a dataset loads (between chunks of the file): accept, read and answer what is
        ready without waiting; commands without the `loading` flag get -LOADING (Redis's
        processEventsWhileBlocked). No cron, no expiry."""
        global _serving_while_loading
        if _serving_while_loading > 1:
            return
        _serving_while_loading = 2          # not re-entered from a handler
        try:
            _handle_events(self, 0)
            self.flush_pending()
            if self.to_close:
                self._close_scheduled()
        finally:
            _serving_while_loading = 1

    def set_loading(self, bint on):
        """Start (on) or end serving clients with -LOADING (see serve_while_loading)."""
        global _serving_while_loading
        _serving_while_loading = 1 if on else 0

    cdef long long _next_wakeup_us(self) noexcept:
        """When the loop must wake up: the next cron tick, blocking deadline or pause end."""
        cdef long long t = self.next_cron_us
        if self.timeouts and (<tuple>self.timeouts[0])[0] < t:
            t = (<tuple>self.timeouts[0])[0]
        if self.pause_kind and self.pause_end_us < t:
            t = self.pause_end_us
        return t

    cdef int _run_timers(self) except -1:
        """Blocking timeouts that passed and the end of a CLIENT PAUSE."""
        if self.timeouts:
            expire_blocked(self)
        if self.pause_kind and monotonic_us() >= self.pause_end_us:
            end_pause(self)
        return 0

    cdef int _before_sleep(self) except -1:
        """Before waiting: a fast expiry cycle when needed, the input of woken clients run,
        every pending reply written, then the clients scheduled for closing closed (so they
        still get what was queued for them, as in Redis)."""
        if self.keyspace.expire_timelimit_hit or self.keyspace.st.expired_stale_perc > 0.01:
            self.keyspace._active_expire(True, self.hz)
        if self.ready_keys:
            serve_ready_keys(self)
        if self.unblocked:
            resume_unblocked(self)
        if self.aof_buf.len:
            flush_aof(self)
        self.flush_pending()
        if self.to_close:
            self._close_scheduled()
        return 0

    cdef int _close_scheduled(self) except -1:
        cdef list closing = self.to_close
        self.to_close = []
        for c in closing:
            if not ((<Client>c).flags & CLIENT_CLOSED):
                self.free_client(<Client>c)
        return 0

    cdef int _run_cron(self) except -1:
        if self.cron is None:
            return 0
        try:
            self.cron()
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if self.log is not None:
                import traceback
                self.log("warning", "Error in server cron: " + "".join(traceback.format_exception(exc)))
        return 0

    def client_by_id(self, long long cid):
        return self.clients.get(cid)

    # ----- transactions, blocking and pauses, for the Python layer
    def touch_all_watched(self, int dbi, int replaced_with=-1):
        """Before FLUSHDB/FLUSHALL empty database dbi, or SWAPDB replaces it."""
        touch_all_watched(self, dbi, replaced_with)

    def signal_db_ready(self, int dbi):
        """After SWAPDB: keys clients wait on that now exist are served."""
        signal_db_ready(self, dbi)

    def unblock_client(self, Client c, bint error):
        """CLIENT UNBLOCK; whether c was blocked on keys."""
        return bool(unblock_by_request(self, c, error))

    def pause(self, long long timeout_ms, int kind):
        """CLIENT PAUSE: hold back writes (PAUSE_WRITE) or every command (PAUSE_ALL) until
        the timeout; a pause already running keeps its later end and stricter kind."""
        cdef long long end = monotonic_us() + timeout_ms * 1000
        if kind > self.pause_kind:
            self.pause_kind = kind
        if end > self.pause_end_us:
            self.pause_end_us = end

    def unpause(self):
        if self.pause_kind:
            end_pause(self)

    # ----- the append-only file, for the Python layer (pyredis.aof)
    def set_aof(self, int fd, int fsync_policy):
        """Record write commands to fd (-1: stop; what is buffered is written first) with an
        appendfsync policy (AOF_FSYNC_NO/ALWAYS/EVERYSEC = 0/1/2). The stream starts with a
        SELECT of the first database written."""
        if self.aof_fd >= 0 and self.aof_buf.len:
            flush_aof(self)
        self.aof_fd = fd
        self.aof_fsync = fsync_policy
        self.aof_db = -1
        self.aof_written = 0
        self.keyspace.st.propagating = fd >= 0

    def set_aof_fsync(self, int fsync_policy):
        self.aof_fsync = fsync_policy

    def set_aof_timestamps(self, bint on):
        """aof-timestamp-enabled: `#TS:<unix seconds>` annotations in the AOF stream."""
        global _aof_timestamps, _aof_last_ts
        _aof_timestamps = on
        _aof_last_ts = 0

    def flush_aof(self):
        """Write what is buffered now (shutdown, rewrite switch)."""
        if self.aof_fd >= 0 and self.aof_buf.len:
            flush_aof(self)

    def fsync_everysec(self):
        """appendfsync everysec's fsync, from the cron."""
        aof_fsync_everysec(self)

    def replay(self, Client c, bytes data, progress=None, size_t every=2 * 1024 * 1024):
        """Run the commands of an AOF (data) as client c, replies dropped. Returns (offset,
        status, multi_at, name): status "ok" (all of it ran), "truncated" (a torn command at
        offset), "bad" (not a command stream at offset) or "unknown" (the command `name` at
        offset is not in the table; nothing from there on ran); multi_at is the offset of a
        MULTI whose EXEC never came (its commands were only queued), else -1. `#` lines
        (annotations) are skipped. progress(offset), when given, is called every `every`
        bytes (loading progress, clients served meanwhile)."""
        cdef ParseLimits lim
        cdef int r, i
        cdef char* buf = PyBytes_AS_STRING(data)
        cdef size_t n = PyBytes_GET_SIZE(data)
        cdef size_t base = 0, at
        cdef const char* nl
        cdef long long multi_at = -1
        cdef Command* cmd
        lim.max_bulk = self.proto_max_bulk_len
        lim.unauthenticated = False
        parse_free(&c.ps)
        parse_init(&c.ps)
        cdef size_t next_progress = every
        while True:
            at = base + c.ps.start
            if at >= n:
                return at, "ok", multi_at, None
            if progress is not None and at >= next_progress:
                progress(at)
                next_progress = at + every
            if buf[at] == b'#':
                nl = <const char*>memchr(buf + at, b'\n', n - at)
                if nl == NULL:
                    return at, "truncated", multi_at, None
                base = <size_t>(nl - buf) + 1
                parse_free(&c.ps)
                parse_init(&c.ps)
                continue
            if buf[at] != b'*':
                return at, "bad", multi_at, None
            r = parse_command(&c.ps, buf + base, n - base, &lim)
            if r == PARSE_NEED_MORE:
                return base + c.ps.start, "truncated", multi_at, None
            if r == PARSE_ERROR or c.ps.argc == 0 or \
                    not _strict_frame(buf + base + c.ps.start, &c.ps):
                return base + c.ps.start, "bad", multi_at, None
            if c.ps.argc > c.argvcap:
                _reserve_argv(c, c.ps.argc)
            for i in range(c.ps.argc):
                c.argv[i] = buf + base + c.ps.start + c.ps.aoff[i]
                c.argl[i] = c.ps.alen[i]
            c.argc = c.ps.argc
            cmd = self.lookup(c.argv[0], c.argl[0])
            if cmd == NULL:
                c.argc = 0
                return (at, "unknown", multi_at,
                        PyBytes_FromStringAndSize(c.argv[0], c.argl[0]))
            if cmd.native == _cmd_multi:
                multi_at = at
            elif cmd.native == _cmd_exec:
                multi_at = -1
            self.call(c)
            c.argc = 0
            c.out.len = c.out.sent = 0
            parse_next_command(&c.ps)

    def loading_client(self):
        """A client with no connection, for replaying an AOF."""
        cdef Client c = Client.__new__(Client)
        c.fd = -1
        c.core = self
        c.id = -1
        c.select_db(0)
        c.addr = c.laddr = ""
        c.authenticated = True
        return c

    def set_obuf_limits(self, long long hard, long long soft, long long seconds):
        """client-output-buffer-limit for pub/sub clients."""
        self.obuf_pubsub_hard = hard
        self.obuf_pubsub_soft = soft
        self.obuf_pubsub_soft_seconds = seconds

    @property
    def postponed_count(self):
        """Clients whose command CLIENT PAUSE holds back (INFO counts them as blocked)."""
        return len(self.postponed)

    @property
    def pending_writes(self):
        return self.npending


# =============================================================================================
# Helpers
# =============================================================================================

cdef int _handle_events(Core self, int timeout) except -1:
    """Wait up to timeout ms for readiness and handle it: accept, read and run, write."""
    cdef int fds[PB_MAX_BATCH]
    cdef int masks[PB_MAX_BATCH]
    cdef int n, i, fd
    cdef PyObject* obj
    cdef Client c
    n = pb_wait(self.poll, fds, masks, PB_MAX_BATCH, timeout)
    if n < 0:
        if errno == EINTR:
            PyErr_CheckSignals()
            return 0
        raise OSError(errno, "poll failed")
    self.keyspace.update_clock()
    if self.timeouts or self.pause_kind:
        self._run_timers()
    for i in range(n):
        fd = fds[i]
        if fd < self.fdcap and self.listening[fd]:
            self.accept_clients(fd)
            continue
        obj = self.fdtable[fd] if fd < self.fdcap else NULL
        if obj == NULL:
            continue
        c = <Client>obj          # a strong reference while its events are handled
        if masks[i] & (PB_READ | PB_ERROR):
            self.read_client(c)
        if masks[i] & PB_WRITE and not (c.flags & CLIENT_CLOSED):
            self.write_client(c)
        c = None
    PyErr_CheckSignals()
    return 0


include "multi.pxi"
include "blocking.pxi"
include "propagate.pxi"


cdef bint _strict_frame(const char* cmd, ParseState* ps) noexcept:
    """An AOF command must be exact RESP: every line ends in CR LF (the network parser lets the
    byte after CR pass). cmd is the command's first byte; argument i is at cmd + aoff[i]."""
    cdef int i
    cdef size_t p, q
    for i in range(ps.argc):
        p = ps.aoff[i]
        if p < 4 or cmd[p - 2] != b'\r' or cmd[p - 1] != b'\n':
            return False
        if cmd[p + ps.alen[i]] != b'\r' or cmd[p + ps.alen[i] + 1] != b'\n':
            return False
    # the count line: "*N\r\n" right before the first "$len"
    q = ps.aoff[0] - 3
    while q > 0 and cmd[q] != b'$':
        q -= 1
    return q >= 3 and cmd[q - 2] == b'\r' and cmd[q - 1] == b'\n'


cdef inline void _flag_transaction(Client c) noexcept:
    """A command rejected while queuing dooms the transaction (EXECABORT)."""
    if c.flags & CLIENT_MULTI:
        c.flags |= CLIENT_DIRTY_EXEC


cdef int _call_with_reply_mode(Core core, Client c) except -1:
    """Dispatch under CLIENT REPLY OFF/SKIP: whatever the command (or its rejection) replied
    is dropped. SKIP covers one executed command, the one after CLIENT REPLY SKIP; a rejected
    command does not use it up (as Redis's resetClient)."""
    cdef long long ran = core.stat_numcommands
    core.reply_muted = c if c.flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP) else None
    core.reply_mark = c.out.len
    try:
        core.call(c)
    finally:
        # (CLIENT REPLY ON lifts the mute for its own +OK)
        if (core.reply_muted is c and c.flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP)
                and c.out.len >= core.reply_mark):
            c.out.len = core.reply_mark
        core.reply_muted = None
    if core.stat_numcommands != ran:
        c.flags &= ~CLIENT_REPLY_SKIP
        _skip_next_reply(c)
    return 0


cdef int move_push_frame(Core core, Client c, size_t start) except -1:
    """Move c.out[start:] (a push frame) to reply_mark, before the reply being dropped."""
    cdef size_t n = c.out.len - start
    cdef char* tmp
    if n and core.reply_mark < start:
        tmp = <char*>malloc(n)
        if tmp == NULL:
            raise MemoryError()
        memcpy(tmp, c.out.data + start, n)
        memmove(c.out.data + core.reply_mark + n, c.out.data + core.reply_mark,
                start - core.reply_mark)
        memcpy(c.out.data + core.reply_mark, tmp, n)
        free(tmp)
    core.reply_mark += n
    return 0


cdef inline void _skip_next_reply(Client c) noexcept:
    """After CLIENT REPLY SKIP ran: the next command's reply is the one dropped."""
    if c.flags & CLIENT_REPLY_SKIP_NEXT:
        c.flags = (c.flags & ~CLIENT_REPLY_SKIP_NEXT) | CLIENT_REPLY_SKIP


cdef inline bint memcmp_prefix(const char* a, const char* b, size_t n) noexcept nogil:
    cdef size_t i
    for i in range(n):
        if a[i] != b[i]:
            return False
    return True


cdef int _ensure_fd(Core core, int fd) except -1:
    cdef int cap = core.fdcap, i
    cdef PyObject** table
    cdef bint* lst
    if fd < cap:
        return 0
    while cap <= fd:
        cap *= 2
    table = <PyObject**>realloc(core.fdtable, cap * sizeof(PyObject*))
    if table == NULL:
        raise MemoryError()
    core.fdtable = table
    lst = <bint*>realloc(core.listening, cap * sizeof(bint))
    if lst == NULL:
        raise MemoryError()
    core.listening = lst
    for i in range(core.fdcap, cap):
        core.fdtable[i] = NULL
        core.listening[i] = False
    core.fdcap = cap
    return 0


cdef int _reserve_argv(Client c, int n) except -1:
    cdef const char** av = <const char**>realloc(c.argv, n * sizeof(char*))
    cdef size_t* al
    if av == NULL:
        raise MemoryError()
    c.argv = av
    al = <size_t*>realloc(c.argl, n * sizeof(size_t))
    if al == NULL:
        raise MemoryError()
    c.argl = al
    c.argvcap = n
    return 0


cdef int _qbuf_reserve(Client c, size_t need) except -1:
    cdef char* p
    if c.qcap - c.qlen >= need:
        return 0
    p = <char*>realloc(c.qbuf, c.qlen + need)
    if p == NULL:
        raise MemoryError()
    c.qbuf = p
    c.qcap = c.qlen + need
    return 0


cdef inline size_t _sanitize(char* s, size_t n) noexcept nogil:
    """Error texts must not carry line breaks: map CR and LF to spaces, as Redis does."""
    cdef size_t i
    for i in range(n):
        if s[i] == b'\r' or s[i] == b'\n':
            s[i] = b' '
    return n


cdef int _reject_fmt(Client c, const char* fmt, const char* arg) except -1:
    cdef char buf[512]
    cdef int n = snprintf(buf, sizeof(buf), fmt, arg)
    if n >= <int>sizeof(buf):
        n = sizeof(buf) - 1
    n = <int>_sanitize(buf, n)
    if c.lastcmd != NULL and c.lastcmd.native == _cmd_exec:
        return exec_abort(c, buf, n)     # a refused EXEC ends the transaction (Redis 7.0)
    return c.error(buf, n)


cdef int _reject_unknown_command(Client c) except -1:
    """"ERR unknown command 'X', with args beginning with: 'a' 'b' " (args cut near 128 bytes)."""
    cdef char args[512]
    cdef char buf[1024]
    cdef size_t alen = 0, take
    cdef int i, n
    args[0] = 0
    for i in range(1, c.argc):
        if alen >= ARG_TEXT_MAX:
            break
        take = cstr_len(c.argv[i], c.argl[i])
        if take > ARG_TEXT_MAX - alen:
            take = ARG_TEXT_MAX - alen
        n = snprintf(args + alen, sizeof(args) - alen, b"'%.*s' ", <int>take, c.argv[i])
        alen += <size_t>n
    take = cstr_len(c.argv[0], c.argl[0])
    if take > ARG_TEXT_MAX:
        take = ARG_TEXT_MAX
    n = snprintf(buf, sizeof(buf), b"ERR unknown command '%.*s', with args beginning with: %s",
                 <int>take, c.argv[0], args)
    if n >= <int>sizeof(buf):
        n = sizeof(buf) - 1
    return c.error(buf, _sanitize(buf, n))


cdef int _reject_unknown_subcommand(Client c) except -1:
    """"ERR unknown subcommand 'x'. Try CONFIG HELP." with the container as the user typed it."""
    cdef char upper[64]
    cdef char buf[512]
    cdef size_t take = cstr_len(c.argv[0], c.argl[0]), i
    cdef size_t subl = cstr_len(c.argv[1], c.argl[1])
    cdef int n
    if take > sizeof(upper) - 1:
        take = sizeof(upper) - 1
    for i in range(take):
        upper[i] = <char>toupper(<unsigned char>c.argv[0][i])
    upper[take] = 0
    if subl > ARG_TEXT_MAX:
        subl = ARG_TEXT_MAX
    n = snprintf(buf, sizeof(buf), b"ERR unknown subcommand '%.*s'. Try %s HELP.",
                 <int>subl, c.argv[1], upper)
    if n >= <int>sizeof(buf):
        n = sizeof(buf) - 1
    return c.error(buf, _sanitize(buf, n))
