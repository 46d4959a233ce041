# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The server core: connections, the command table, dispatch and the single-threaded loop.

The request path, all in C for Cython handlers:
  epoll -> read() into a shared buffer -> parse every complete command -> look the command up
  -> central checks (existence, arity, authentication, MULTI, pause ...) -> handler appends its
  reply to the client's buffer -> the write operations it made are recorded for the AOF
  -> after the iteration, the AOF is written, then one write() per client with output.
A client keeps no request buffer of its own unless a command arrives split across reads, and
no reply buffer unless it has unsent output; write interest is registered only when the kernel
refuses part of a reply.

Everything that runs a command goes through one entry point, as in Redis: socket clients, and
in-process callers (AOF loading now; scripts, Python modules and the replication stream later)
with a client that has no connection (fake_client + call_command, or Core.call from Python).
The caller only chooses the client and what happens to the reply.

The parts, each in its own file (included below; one extension module, so calls between the
parts stay direct C calls):
  core.pyx        Client and Core: their state and what the Python layer calls
  networking.pxi  client I/O: accepting, reading and parsing, writing, closing, CLIENT REPLY
  cmdtable.pxi    the command table built from the Python declarations, lookup, statistics
  dispatch.pxi    the central checks, running a command (call), the in-process entry point
  eventloop.pxi   the loop: waiting, timers, before-sleep work, the cron
  multi.pxi       MULTI/EXEC/WATCH
  blocking.pxi    blocked clients and CLIENT PAUSE
  propagate.pxi   the stream of write operations a command makes (what the AOF records)
  aof.pxi         the append-only file: writing the stream with its fsync policy, replaying it

Python enters at two places only: command handlers flagged as Python (admin and rare
commands, through the same table) and the cron callable run `hz` times a second (plus the log
callable). The Python server wires the parts together once at start-up (Server._wire in
pyredis.server: Keyspace, Core, PubSub, the command table, the callbacks).
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

from fastresp.includes.libc_extra cimport (FR_UNLIKELY, pb_create, pb_close, pb_add,
                                           pb_mod, pb_del, pb_wait, PB_READ, PB_WRITE, PB_ERROR,
                                           PB_MAX_BATCH, PB_BACKEND_NAME, errno, EAGAIN,
                                           EWOULDBLOCK, EINTR, EMFILE, ENFILE, ECONNABORTED,
                                           snprintf, toupper, sockaddr, sockaddr_storage,
                                           sockaddr_in, sockaddr_in6, socklen_t, ssize_t, AF_INET,
                                           AF_INET6, AF_UNIX, SOL_SOCKET, SO_KEEPALIVE,
                                           SOCK_NONBLOCK, SOCK_CLOEXEC, accept4,
                                           getsockname, setsockopt, IPPROTO_TCP, TCP_NODELAY,
                                           TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, ntohs,
                                           inet_ntop, read, write, close, fdatasync, open,
                                           O_RDONLY, O_CLOEXEC)
from fastresp.reply cimport (ReplyBuf, reply_decode_all, reply_value,
                             reply_raw, reply_bulk, reply_simple, reply_null_array,
                             reply_array, reply_error_text, reply_release, reply_grow)
from fastresp.parser cimport (ParseState, ParseLimits, parse_init, parse_free, parse_command,
                              parse_next_command, parse_rebase, parse_bulk_remaining,
                              PARSE_NEED_MORE, PARSE_ERROR)
from fastresp.keyspace cimport (Keyspace, KsState, Db, Entry, key_hash, db_find, lookup,
                                entry_type, key_is_expired, LOOKUP_NOTOUCH, LOOKUP_NOSTATS,
                                LOOKUP_NONOTIFY)
from fastresp.util cimport monotonic_us, cstr_len
from fastresp.includes.errors cimport (ERR_ARITY_FMT, ERR_DENIED_PROTECTED_MODE,
                                       ERR_DISCARD_WITHOUT_MULTI, ERR_EXECABORT_FMT,
                                       ERR_EXECABORT_PREVIOUS, ERR_EXEC_WITHOUT_MULTI,
                                       ERR_INTERNAL_FMT, ERR_LOADING, ERR_MAX_CLIENTS,
                                       ERR_MISCONF_AOF_FMT, ERR_MISCONF_AOF_RECORD_LOST,
                                       ERR_MULTI_NESTED, ERR_NOAUTH, ERR_NOT_IN_TRANSACTION,
                                       ERR_OOM, ERR_SUBSCRIBED_CONTEXT_FMT, ERR_UNBLOCKED,
                                       ERR_UNKNOWN_COMMAND_FMT, ERR_UNKNOWN_SUBCOMMAND_FMT,
                                       ERR_WATCH_INSIDE_MULTI)
from fastresp.errors import CommandError
from fastresp.reply import NO_REPLY
from heapq import heappush, heappop, heapify
from os import strerror as os_strerror

BACKEND = (<bytes>PB_BACKEND_NAME).decode()


# =============================================================================================
# Client
# =============================================================================================

cdef class Client:
    """One connection, or an in-process client (fake_client). Cython handlers use the C fields;
    the Python layer uses the properties and methods below."""

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
        count_error(self.core, msg, n)
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
        """Append a reply (see fastresp.reply.reply_value for the mapping of Python values)."""
        reply_value(&self.out, value)
        queue_write(self.core, self)

    def reply_error(self, text):
        """Append an error reply (text with its prefix, no leading '-') and count it."""
        cdef bytes b = text.encode() if isinstance(text, str) else bytes(text)
        self.error(b, len(b))
        queue_write(self.core, self)

    def select(self, int index):
        if index < 0 or index >= self.core.keyspace.ndbs:
            raise IndexError(index)
        self.select_db(index)

    def close_after_reply(self):
        self.flags |= CLIENT_CLOSE_AFTER_REPLY

    def kill(self):
        """Close the connection at the end of this loop iteration."""
        close_later(self.core, self)

    def info_line(self):
        """This client as one line of CLIENT LIST / CLIENT INFO, with Redis's fields."""
        cdef long long now = self.core.keyspace.st.now_ms
        flags = "".join(letter for letter, on in (
            ("P", self.pubsub), ("x", self.in_multi), ("b", self.blocked),
            ("d", self.dirty_cas), ("U", self.is_unix)) if on) or "N"
        name = (self.name or b"").decode(errors="replace")
        return (f"id={self.id} addr={self.addr} laddr={self.laddr} fd={self.fd} name={name} "
                f"age={(now - self.ctime_ms) // 1000} "
                f"idle={(now - self.last_interaction_ms) // 1000} "
                f"flags={flags} db={self.db_index} sub={len(self.channels or ())} "
                f"psub={len(self.patterns or ())} ssub={len(self.shard_channels or ())} "
                f"multi={self.multi_count} qbuf={self.qbuf_len} qbuf-free={self.qbuf_free} "
                f"argv-mem={self.argv_mem} multi-mem={self.multi_mem} "
                f"rbs={self.obuf_mem} rbp={self.obuf_mem} obl={self.obuf_len} oll=0 "
                f"omem={self.obuf_mem} tot-mem={self.obuf_mem + self.qbuf_len + self.qbuf_free + self.argv_mem + self.multi_mem} "
                f"events=r{'w' if self.waiting_to_write else ''} "
                f"cmd={self.last_command or 'NULL'} user=default redir=-1 resp={self.proto} "
                f"lib-name={(self.lib_name or b'').decode(errors='replace')} "
                f"lib-ver={(self.lib_ver or b'').decode(errors='replace')}")

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
    def origin(self):
        """What an in-process client runs for ("script", "module", "master", "aof"), or None
        for a connection."""
        for name, bit in ORIGINS.items():
            if self.flags & bit:
                return name
        return None

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


# The origins of in-process clients, by the names Core.fake_client takes.
ORIGINS = {"script": CLIENT_SCRIPT, "module": CLIENT_MODULE, "master": CLIENT_MASTER,
           "aof": CLIENT_AOF}


# =============================================================================================
# Core
# =============================================================================================

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
        self.aof_fd = -1
        self.aof_db = -1
        # the keyspace reports to this core (the hooks find it through st.owner)
        keyspace.st.owner = <void*>self
        keyspace.st.touch_watched = _touch_watched_hook
        keyspace.st.key_added = _key_added_hook
        keyspace.st.expired_deleted = _expired_deleted_hook

    def __dealloc__(self):
        cdef int i
        if self.keyspace is not None and self.keyspace.st.owner == <void*>self:
            self.keyspace.st.owner = NULL
        for i in range(self.npending):
            Py_XDECREF(self.pending[i])
        free(self.pending)
        reply_release(&self.aof_buf)
        for i in range(self.fdcap):
            Py_XDECREF(self.fdtable[i])
        free(self.fdtable)
        free(self.listening)
        free_command_table(self)
        if self.poll >= 0:
            pb_close(self.poll)
        if self.reserve_fd >= 0:
            close(self.reserve_fd)

    # ----- the command table (cmdtable.pxi)
    def install_commands(self, specs):
        """Build the dispatch table from CommandSpec objects (name, arity, flag_bits,
        role_bits, handler, subcommands). Replaces any previous table; statistics restart."""
        install_command_table(self, specs)

    def command_stats(self):
        """[(fullname, calls, usec, rejected_calls, failed_calls)] for commands used so far."""
        return command_stats(self)

    def error_stats(self):
        cdef int i
        return {(<bytes>self.errorstats[i].prefix).decode(errors="replace"): self.errorstats[i].count
                for i in range(self.nerrorstats)}

    def reset_stats(self):
        """CONFIG RESETSTAT's share: command, error and network counters."""
        reset_command_stats(self)
        self.nerrorstats = 0
        self.stat_numcommands = self.stat_numconnections = self.stat_rejected_conn = 0
        self.stat_net_input_bytes = self.stat_net_output_bytes = 0
        self.stat_total_error_replies = 0
        self.stat_reads = self.stat_writes = 0
        self.stat_python_calls = 0

    # ----- in-process calls (dispatch.pxi)
    def fake_client(self, str origin="module", int db=0, int proto=2):
        """A client with no connection, to run commands in-process as `origin` ("script",
        "module", "master" or "aof") in database db, replying in RESP `proto`."""
        if origin not in ORIGINS:
            raise ValueError(f"unknown client origin {origin!r}")
        if db < 0 or db >= self.keyspace.ndbs:
            raise IndexError(db)
        return fake_client(self, ORIGINS[origin], db, proto)

    def call(self, Client c, *args):
        """Run one command (args: bytes, str or int) as the in-process client c, through the
        same path as a socket client's, and return its reply as Python values (see
        fastresp.reply.reply_decode: errors come back as ErrorReply, not raised)."""
        call_args(c, args)
        return take_reply(c)

    def call_resp(self, Client c, *args):
        """Core.call, with the reply as the RESP bytes a socket client would have received."""
        cdef bytes out
        call_args(c, args)
        out = PyBytes_FromStringAndSize(c.out.data, c.out.len)
        reply_release(&c.out)
        return out

    # ----- connections (networking.pxi)
    def add_listener(self, int fd):
        """Watch a listening socket (created and bound by the Python layer)."""
        ensure_fd(self, fd)
        self.listening[fd] = True
        if pb_add(self.poll, fd, PB_READ) < 0:
            raise OSError(errno, "cannot watch the listening socket")

    def remove_listener(self, int fd):
        if fd < self.fdcap and self.listening[fd]:
            pb_del(self.poll, fd)
            self.listening[fd] = False

    def set_unix_socket_path(self, str path):
        self._unix_addr = path

    def close_client(self, Client c):
        """Close a client at the end of this loop iteration (CLIENT KILL, timeouts)."""
        close_later(self, c)

    def clients_cron(self):
        """Once a second: close clients idle past `timeout`, free idle request buffers."""
        clients_cron(self)

    def client_by_id(self, long long cid):
        return self.clients.get(cid)

    def set_obuf_limits(self, long long hard, long long soft, long long seconds):
        """client-output-buffer-limit for pub/sub clients."""
        self.obuf_pubsub_hard = hard
        self.obuf_pubsub_soft = soft
        self.obuf_pubsub_soft_seconds = seconds

    @property
    def pending_writes(self):
        return self.npending

    # ----- the loop (eventloop.pxi)
    def run(self):
        """Serve until stop(): wait for readiness, handle it, run the cron at `hz`."""
        run_loop(self)

    def stop(self):
        """Make run() return after the current iteration."""
        self.running = False

    def run_once(self, int timeout_ms=0):
        """One iteration of the loop, for a caller that drives it itself: wait up to
        timeout_ms for readiness, handle it, then the before-sleep work (no cron)."""
        handle_events(self, timeout_ms)
        before_sleep(self)

    def serve_while_loading(self):
        """While a dataset loads (between chunks of the file): accept, read and answer what is
        ready without waiting; commands without the `loading` flag get -LOADING (Redis's
        processEventsWhileBlocked). No cron, no expiry."""
        serve_while_loading(self)

    def set_loading(self, bint on):
        """Start (on) or end serving clients with -LOADING (see serve_while_loading)."""
        self.serving_while_loading = 1 if on else 0

    # ----- transactions, blocking and pauses (multi.pxi, blocking.pxi)
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

    @property
    def postponed_count(self):
        """Clients whose command CLIENT PAUSE holds back (INFO counts them as blocked)."""
        return len(self.postponed)

    # ----- the append-only file (aof.pxi), for pyredis.persistence
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
        if self.write_error is AOF_RECORD_LOST:
            self.write_error = None      # a new file (after a rewrite's fork), or no AOF

    def set_aof_fsync(self, int fsync_policy):
        self.aof_fsync = fsync_policy

    def set_aof_timestamps(self, bint on):
        """aof-timestamp-enabled: `#TS:<unix seconds>` annotations in the AOF stream."""
        self.aof_timestamps = on
        self.aof_last_ts = 0

    def flush_aof(self):
        """Write what is buffered now (shutdown, rewrite switch)."""
        if self.aof_fd >= 0 and self.aof_buf.len:
            flush_aof(self)

    def fsync_everysec(self):
        """appendfsync everysec's fsync, from the cron."""
        aof_fsync_everysec(self)

    def replay(self, Client c, bytes data, progress=None, size_t every=2 * 1024 * 1024):
        """Run the commands of an AOF (data) as the in-process client c (origin "aof"),
        replies dropped. Returns (offset, status, multi_at, name): status "ok" (all of it ran),
        "truncated" (a torn command at offset), "bad" (not a command stream at offset) or
        "unknown" (the command `name` at offset is not in the table; nothing from there on
        ran); multi_at is the offset of a MULTI whose EXEC never came (its commands were only
        queued), else -1. `#` lines (annotations) are skipped. progress(offset), when given, is
        called every `every` bytes (loading progress, clients served meanwhile)."""
        return replay_aof(self, c, data, progress, every)


include "networking.pxi"
include "cmdtable.pxi"
include "dispatch.pxi"
include "eventloop.pxi"
include "multi.pxi"
include "blocking.pxi"
include "propagate.pxi"
include "aof.pxi"
