# Propagation (included by core.pyx): the stream of write operations commands make, as the AOF
# records them (and, later, as replicas receive them).
#
# While the AOF is on (propagating()), execute() records every command that changed data (the
# keyspace's dirty counter moved) into Core.aof_buf as a RESP command: its own arguments, or
# the operations its handler recorded with propagate_instead (relative TTLs as absolute times,
# SPOP as SREM, a served BLPOP as LPOP ...). Deletions of expired keys are recorded as DEL.
# A SELECT goes in whenever the database changes. A top-level command that recorded more than
# one operation (EXEC, a command calling commands, or a command plus the expired-key DELs it
# caused) is wrapped in MULTI/EXEC so it replays atomically (after the SELECT of its first
# operation, as Redis). aof.pxi writes the buffer out before any reply goes out.

cdef int propagate(Core core, int dbi, int argc, const char** argv, size_t* argl) except -1:
    """Append one operation, in database dbi, to the stream."""
    cdef int i
    cdef char num[24]
    cdef int nn
    if not propagating(core):
        return 0
    if core.aof_timestamps and core.prop_ops == 0:
        aof_annotate_time(core)
    if dbi != core.aof_db:
        nn = snprintf(num, sizeof(num), b"%d", dbi)
        reply_array(&core.aof_buf, 2)
        reply_bulk(&core.aof_buf, b"SELECT", 6)
        reply_bulk(&core.aof_buf, num, nn)
        core.aof_db = dbi
    if core.prop_ops == 0:
        core.prop_mark = core.aof_buf.len     # a MULTI would go here, after the SELECT
    reply_array(&core.aof_buf, argc)
    for i in range(argc):
        reply_bulk(&core.aof_buf, argv[i], argl[i])
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
    if not propagating(c.core):
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


cdef void _expired_deleted_hook(Db* db, const char* k, size_t n) noexcept:
    """KsState.expired_deleted: an expired key was deleted; the stream records a DEL. If that
    cannot be recorded (out of memory), the AOF no longer matches the dataset: the failure is
    logged and writes are refused until the AOF is rewritten (aof_record_lost)."""
    cdef Core core
    cdef const char* argv[2]
    cdef size_t argl[2]
    if db.st.owner == NULL:
        return
    core = <Core>db.st.owner
    argv[0] = b"DEL"
    argl[0] = 3
    argv[1] = k
    argl[1] = n
    try:
        propagate(core, db.id, 2, argv, argl)
    except BaseException:
        hook_failed(core, "Recording the deletion of an expired key")
        aof_record_lost(core)


cdef int wrap_in_multi(Core core) except -1:
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
