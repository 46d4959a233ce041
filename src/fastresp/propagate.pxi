# Propagation: what the append-only file records (included by core.pyx).
#
# With the AOF on (Core.aof_fd >= 0), every command that changed data (the keyspace's dirty
# counter moved) is appended to Core.aof_buf as a RESP command: its own arguments, or the
# operations its handler recorded with propagate_instead (relative TTLs as absolute times,
# SPOP as SREM, a served BLPOP as LPOP ...). Deletions of expired keys are recorded as DEL.
# A SELECT goes in whenever the database changes. A top-level command that recorded more than
# one operation (EXEC, or a command plus the expired-key DELs it caused) is wrapped in
# MULTI/EXEC so it replays atomically (after the SELECT of its first operation, as Redis).
#
# Before the loop writes any reply, the buffer is written to the file (and, with
# `appendfsync always`, fsynced): a reply never acknowledges a write the file does not hold.

cdef inline int _resp_bulk(ReplyBuf* b, const char* p, size_t n) except -1:
    return reply_bulk(b, p, n)


# aof-timestamp-enabled: a `#TS:<unix seconds>` annotation line goes before the first operation
# of a command whenever the second changed since the last one (one server per process, so the
# setting lives here, beside the everysec fsync state).
cdef bint _aof_timestamps = False
cdef long long _aof_last_ts = 0


cdef int _annotate_time(Core core) except -1:
    global _aof_last_ts
    cdef char line[40]
    cdef int n
    cdef long long sec = core.keyspace.st.now_ms // 1000
    if sec <= _aof_last_ts:
        return 0
    _aof_last_ts = sec
    n = snprintf(line, sizeof(line), b"#TS:%lld\r\n", sec)
    reply_raw(&core.aof_buf, line, n)
    return 0


cdef int propagate(Core core, int dbi, int argc, const char** argv, size_t* argl) except -1:
    """Append one operation, in database dbi, to the AOF buffer."""
    cdef int i
    cdef char num[24]
    cdef int nn
    if core.aof_fd < 0:
        return 0
    if _aof_timestamps and core.prop_ops == 0:
        _annotate_time(core)
    if dbi != core.aof_db:
        nn = snprintf(num, sizeof(num), b"%d", dbi)
        reply_array(&core.aof_buf, 2)
        _resp_bulk(&core.aof_buf, b"SELECT", 6)
        _resp_bulk(&core.aof_buf, num, nn)
        core.aof_db = dbi
    if core.prop_ops == 0:
        core.prop_mark = core.aof_buf.len     # a MULTI would go here, after the SELECT
    reply_array(&core.aof_buf, argc)
    for i in range(argc):
        _resp_bulk(&core.aof_buf, argv[i], argl[i])
    core.prop_ops += 1
    return 0


cdef int propagate_key_op(Client c, const char* op, size_t on) except -1:
    """Record `op key` (DEL key, PERSIST key) instead of the running command."""
    return propagate_key_count_op(c, op, on, 1, -1)


cdef int propagate_key_count_op(Client c, const char* op, size_t on, int keyarg,
                                long long count) except -1:
    """Record `op key [count]` (LPOP key 3, ZPOPMIN key ...) instead of the running command;
    the key is argument keyarg, count < 0 leaves the count out."""
    cdef char num[24]
    cdef const char* argv[3]
    cdef size_t argl[3]
    cdef int n = 2
    argv[0] = op
    argl[0] = on
    argv[1] = c.argv[keyarg]
    argl[1] = c.argl[keyarg]
    if count >= 0:
        argv[2] = num
        argl[2] = <size_t>snprintf(num, sizeof(num), b"%lld", count)
        n = 3
    return propagate_instead(c, n, argv, argl)


cdef int propagate_edited(Client c, const char* first, size_t fn, int at, const char* v, size_t vn,
                          const char* append, size_t an) except -1:
    """Record the running command with edits: its name replaced by `first` (unless NULL),
    argument `at` replaced by v (unless at < 1), `append` added at the end (unless NULL); e.g.
    EXPIRE k 10 as PEXPIREAT k <ms>, RESTORE k 10 ... as RESTORE k <ms> ... ABSTTL."""
    cdef int n = c.argc + (1 if append != NULL else 0)
    cdef const char** argv
    cdef size_t* argl
    cdef int i
    if c.core.aof_fd < 0:
        return 0
    argv = <const char**>malloc(n * sizeof(char*))
    argl = <size_t*>malloc(n * sizeof(size_t))
    if argv == NULL or argl == NULL:
        free(argv)
        free(argl)
        raise MemoryError()
    try:
        for i in range(c.argc):
            argv[i] = c.argv[i]
            argl[i] = c.argl[i]
        if first != NULL:
            argv[0] = first
            argl[0] = fn
        if at >= 1:
            argv[at] = v
            argl[at] = vn
        if append != NULL:
            argv[n - 1] = append
            argl[n - 1] = an
        propagate_instead(c, n, argv, argl)
    finally:
        free(argv)
        free(argl)
    return 0


cdef int _propagate_words(Core core, int dbi, list words) except -1:
    """propagate() for a few Python byte strings (rare paths: expired keys, MULTI/EXEC)."""
    cdef int n = len(words), i
    cdef const char* argv[4]
    cdef size_t argl[4]
    for i in range(n):
        argv[i] = PyBytes_AS_STRING(words[i])
        argl[i] = PyBytes_GET_SIZE(words[i])
    return propagate(core, dbi, n, argv, argl)


cdef void _expired_deleted_hook(Db* db, const char* k, size_t n) noexcept:
    """KsState.expired_deleted: an expired key was deleted; the AOF records a DEL."""
    if _the_core is not None:
        try:
            _propagate_words(_the_core, db.id, [b"DEL", PyBytes_FromStringAndSize(k, n)])
        except Exception:
            pass


cdef int _wrap_in_multi(Core core) except -1:
    """Wrap the running command's operations (from prop_mark, its first one) in MULTI/EXEC."""
    cdef const char* multi = b"*1\r\n$5\r\nMULTI\r\n"
    cdef size_t mn = 15
    cdef size_t at = core.prop_mark
    cdef size_t tail = core.aof_buf.len - at
    reply_grow(&core.aof_buf, mn)
    memmove(core.aof_buf.data + at + mn, core.aof_buf.data + at, tail)
    memcpy(core.aof_buf.data + at, multi, mn)
    core.aof_buf.len += mn
    reply_raw(&core.aof_buf, b"*1\r\n$4\r\nEXEC\r\n", 14)
    return 0


cdef int flush_aof(Core core) except -1:
    """Write the AOF buffer (before replies go out), fsync as the policy says. A failed write
    keeps the buffer and refuses writes (MISCONF) until a later write succeeds."""
    cdef ssize_t n
    cdef size_t done = 0
    cdef long long now
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
    if core.write_error is not None and core.write_error.startswith(b"MISCONF Errors writing"):
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
        core.write_error = ("MISCONF Errors writing to the AOF file: " +
                            os_strerror(err)).encode()
        if core.log is not None:
            core.log("warning", "Error writing to the AOF file: " + os_strerror(err))
    return 0


# appendfsync everysec: the fsync runs in a background thread (plain C, no Python) so the loop
# never waits for the disk. The loop hands it the file descriptor and releases `_fsync_wake`;
# the thread fsyncs and clears `_fsync_busy`. A fsync still running when the next second comes
# is not doubled. Shutdown and file switches fsync in the loop itself (the tail never stays
# unsynced).
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
