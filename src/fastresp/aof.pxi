# The append-only file, core side (included by core.pyx): writing the stream propagate.pxi
# records to the file with the appendfsync policy, and replaying a file's commands at load.
# Its life cycle (manifest, base and incr files, rewrites, INFO) is pyredis.persistence.aof.
#
# Before the loop writes any reply, the buffer is written to the file (and, with
# `appendfsync always`, fdatasynced): a reply never acknowledges a write the file does not
# hold. `everysec` fsyncs from a plain C thread at most once a second.

cdef enum:
    AOF_BUF_KEEP = 64 * 1024         # AOF buffer capacity kept between loop iterations

# What a lost record makes writes answer, until a rewrite writes the AOF anew from memory.
AOF_RECORD_LOST = <bytes>ERR_MISCONF_AOF_RECORD_LOST
# The start every AOF write error shares (INFO's aof_last_write_status looks for it).
MISCONF_AOF_PREFIX = (<bytes>ERR_MISCONF_AOF_FMT).split(b"%")[0]


cdef int aof_annotate_time(Core core) except -1:
    """aof-timestamp-enabled: a `#TS:<unix seconds>` line before the first operation of a
    command whenever the second changed since the last one."""
    cdef char line[40]
    cdef int n
    cdef long long sec = core.keyspace.st.now_ms // 1000
    if sec <= core.aof_last_ts:
        return 0
    core.aof_last_ts = sec
    n = snprintf(line, sizeof(line), b"#TS:%lld\r\n", sec)
    reply_raw(&core.aof_buf, line, n)
    return 0


cdef int flush_aof(Core core) except -1:
    """Write the AOF buffer (before replies go out), fsync as the policy says. A failed write
    keeps the buffer and refuses writes (MISCONF) until a later write succeeds."""
    cdef ssize_t n
    cdef size_t done = 0
    global errno, _aof_unsynced
    while done < core.aof_buf.len:
        n = write(core.aof_fd, core.aof_buf.data + done, core.aof_buf.len - done)
        if n < 0:
            if errno == EINTR:
                continue
            _aof_failed(core, errno, done)
            return 0
        done += <size_t>n
    core.aof_written += <long long>done
    _aof_unsynced = 1
    core.aof_buf.len = 0
    if core.aof_buf.cap > AOF_BUF_KEEP:
        reply_release(&core.aof_buf)
    if (core.write_error is not None and core.write_error is not AOF_RECORD_LOST and
            core.write_error.startswith(MISCONF_AOF_PREFIX)):
        core.write_error = None
        if core.log is not None:
            core.log("warning", "AOF write error looks solved, Redis can write again.")
    if core.aof_fsync == AOF_FSYNC_ALWAYS:
        fdatasync(core.aof_fd)
        core.aof_last_fsync_us = monotonic_us()
    return 0


cdef int _aof_failed(Core core, int err, size_t done) except -1:
    """Keep what was not written; writes are refused until the file takes data again."""
    if done:
        memmove(core.aof_buf.data, core.aof_buf.data + done, core.aof_buf.len - done)
        core.aof_buf.len -= done
        core.aof_written += <long long>done
    if core.write_error is None:
        core.write_error = ((<bytes>ERR_MISCONF_AOF_FMT).decode() % os_strerror(err)).encode()
        if core.log is not None:
            core.log("warning", "Error writing to the AOF file: " + os_strerror(err))
    return 0


cdef void aof_record_lost(Core core) noexcept:
    """An operation could not be recorded: the AOF no longer matches the dataset. Writes are
    refused (MISCONF) until the AOF is switched to a new file after a rewrite (set_aof)."""
    core.write_error = AOF_RECORD_LOST


# appendfsync everysec: the fsync runs in a background thread (plain C, no Python) so the loop
# never waits for the disk. The loop hands it the file descriptor and releases `_fsync_wake`;
# the thread fsyncs and clears `_fsync_busy`. A fsync still running when the next second comes
# is not doubled. Shutdown and file switches fsync in the loop itself (the tail never stays
# unsynced). One thread per process.
cdef PyThread_type_lock _fsync_wake = NULL
cdef int _fsync_fd = -1
cdef int _fsync_busy = 0
cdef int _aof_unsynced = 0      # written since the last fsync was handed out: an idle file is left alone


cdef void _fsync_worker(void* arg) noexcept nogil:
    global _fsync_busy
    cdef int fd
    while True:
        PyThread_acquire_lock(_fsync_wake, WAIT_LOCK)
        fd = _fsync_fd
        if fd >= 0:
            fdatasync(fd)
        _fsync_busy = 0


cdef int _start_fsync_thread() except -1:
    global _fsync_wake
    if _fsync_wake != NULL:
        return 0
    _fsync_wake = PyThread_allocate_lock()
    if _fsync_wake == NULL:
        raise MemoryError()
    PyThread_acquire_lock(_fsync_wake, WAIT_LOCK)    # held: the worker waits for a release
    if PyThread_start_new_thread(_fsync_worker, NULL) == -1:
        raise OSError("cannot start the AOF fsync thread")
    return 0


cdef int aof_fsync_everysec(Core core) except -1:
    """appendfsync everysec: at most once a second, and only when something was written since
    the last one, have the background thread fsync the AOF (the cron calls this `hz` times a
    second, so the tail is synced within about a second of the last write)."""
    global _fsync_fd, _fsync_busy, _aof_unsynced
    cdef long long now = monotonic_us()
    if core.aof_fd < 0 or core.aof_fsync != AOF_FSYNC_EVERYSEC or not _aof_unsynced or \
            now - core.aof_last_fsync_us < 1000000 or _fsync_busy:
        return 0
    _aof_unsynced = 0
    _start_fsync_thread()
    _fsync_fd = core.aof_fd
    _fsync_busy = 1
    core.aof_last_fsync_us = now
    PyThread_release_lock(_fsync_wake)
    return 0


# =============================================================================================
# Replaying a file
# =============================================================================================

cdef object replay_aof(Core core, Client c, bytes data, object progress, size_t every):
    """Core.replay: each command of data runs through call_command as the AOF client c."""
    cdef ParseLimits lim
    cdef int r, i
    cdef char* buf = PyBytes_AS_STRING(data)
    cdef size_t n = PyBytes_GET_SIZE(data)
    cdef size_t base = 0, at
    cdef const char* nl
    cdef long long multi_at = -1
    cdef Command* cmd
    cdef size_t next_progress = every
    if not (c.flags & CLIENT_AOF):
        raise ValueError("an AOF is replayed by an in-process client of origin 'aof'")
    lim.max_bulk = core.proto_max_bulk_len
    lim.unauthenticated = False
    parse_free(&c.ps)
    parse_init(&c.ps)
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
            reserve_argv(c, c.ps.argc)
        for i in range(c.ps.argc):
            c.argv[i] = buf + base + c.ps.start + c.ps.aoff[i]
            c.argl[i] = c.ps.alen[i]
        cmd = lookup_command(core, c.argv[0], c.argl[0])
        if cmd == NULL:
            return (at, "unknown", multi_at,
                    PyBytes_FromStringAndSize(c.argv[0], c.argl[0]))
        if cmd.native == _cmd_multi:
            multi_at = at
        elif cmd.native == _cmd_exec:
            multi_at = -1
        call_command(c, c.ps.argc, c.argv, c.argl)
        c.out.len = c.out.sent = 0
        parse_next_command(&c.ps)


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
