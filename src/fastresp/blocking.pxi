# Blocking commands and CLIENT PAUSE (included by core.pyx).
#
# A blocking handler (BLPOP, BZPOPMIN ...) that finds no data calls block_for_keys: the
# command line is copied (Client.bcmd), the client is appended to each key's FIFO in
# Core.blocking_keys, and, with a timeout, a row goes into the Core.timeouts heap. The client
# reads no further commands until it is woken.
#
# Waking: a key added to a database with blocked clients (db_insert -> KsState.key_added)
# becomes "ready". After every top-level command (so after a whole EXEC) the ready keys are
# served: each client blocked on the key, in arrival order, runs its command again
# (CLIENT_REPROCESSING) while the key holds a value of the type it waits for. A handler that
# still finds nothing calls block_for_keys again, which then only reports
# CLIENT_STILL_BLOCKED, so the client keeps its place.
#
# Nothing polls: the loop sleeps until the earliest deadline of the heap (stale rows of
# clients that were served are skipped, and the heap is rebuilt when they pile up), and a
# woken client's pending input runs before the loop sleeps again.

cdef int block_for_keys(Client c, int first, int count, int step, long long timeout_ms,
                        int btype) except -1:
    """Block c on `count` keys at argv[first], argv[first + step] ... for a value of type
    btype, with a timeout in milliseconds (0 = none). Returns 1 without blocking when c may
    not block (MULTI/EXEC): the handler then replies as on a timeout."""
    cdef Core core = c.core
    cdef dict table
    cdef list clients
    cdef bytes key
    cdef int i
    if c.flags & CLIENT_DENY_BLOCKING:
        return 1
    if c.flags & CLIENT_REPROCESSING:
        c.flags |= CLIENT_STILL_BLOCKED
        return 0
    c.bcmd = saved_cmd_new(c.cmd, c.argc, c.argv, c.argl)
    c.btype = btype
    c.bkeys = []
    table = <dict>core.blocking_keys[c.db_index]
    for i in range(count):
        key = PyBytes_FromStringAndSize(c.argv[first + i * step], c.argl[first + i * step])
        if key in c.bkeys:
            continue
        c.bkeys.append(key)
        clients = table.get(key)
        if clients is None:
            table[key] = [c]
            c.db.nblocking += 1
        else:
            clients.append(c)
    c.flags |= CLIENT_BLOCKED
    c.bseq += 1
    core.blocked_count += 1
    if timeout_ms > 0 and timeout_ms < (9223372036854775807 - monotonic_us()) // 1000:
        c.bdeadline_us = monotonic_us() + timeout_ms * 1000
        heappush(core.timeouts, (c.bdeadline_us, c.bseq, c))
        core.timeout_table_count += 1
    else:
        c.bdeadline_us = 0
    return 0


cdef int unblock(Core core, Client c) except -1:
    """Release a client blocked on keys (served, timed out, unblocked or closing) and let its
    pending input run."""
    cdef dict table
    cdef list clients
    if not (c.flags & CLIENT_BLOCKED) or c.flags & CLIENT_POSTPONED:
        return 0
    table = <dict>core.blocking_keys[c.db_index]
    for key in c.bkeys:
        clients = table.get(key)
        if clients is None:
            continue
        clients.remove(c)
        if not clients:
            del table[key]
            c.db.nblocking -= 1
    c.bkeys = None
    free(c.bcmd)
    c.bcmd = NULL
    c.flags &= ~CLIENT_BLOCKED
    c.bseq += 1
    core.blocked_count -= 1
    if c.bdeadline_us:
        c.bdeadline_us = 0
        core.timeout_table_count -= 1
        _compact_timeouts(core)
    _mark_unblocked(core, c)
    return 0


cdef int _mark_unblocked(Core core, Client c) except -1:
    if not (c.flags & (CLIENT_UNBLOCKED | CLIENT_CLOSED)):
        c.flags |= CLIENT_UNBLOCKED
        core.unblocked.append(c)
    queue_write(core, c)
    return 0


cdef int _compact_timeouts(Core core) except -1:
    """Drop the rows of clients no longer waiting once they outnumber the live ones."""
    cdef list live
    if len(core.timeouts) <= 64 or len(core.timeouts) <= 2 * core.timeout_table_count:
        return 0
    live = [row for row in core.timeouts
            if (<Client>row[2]).bseq == row[1] and (<Client>row[2]).flags & CLIENT_BLOCKED]
    heapify(live)
    core.timeouts = live
    return 0


cdef void _key_added_hook(Db* db, const char* k, size_t n) noexcept:
    """KsState.key_added: a key was created in a database where clients are blocked. Should
    that fail (out of memory), the failure is logged and every key clients wait on is checked
    again before the loop sleeps (recheck_blocked_keys), so no waiter is forgotten."""
    cdef Core core
    if db.st.owner == NULL:
        return
    core = <Core>db.st.owner
    try:
        key_ready(core, db.id, PyBytes_FromStringAndSize(k, n))
    except BaseException:
        hook_failed(core, "Waking the clients blocked on a key")
        core.recheck_blocked = True


cdef int recheck_blocked_keys(Core core) except -1:
    """After a failed wake-up: every blocked-on key that exists is ready."""
    cdef int dbi
    core.recheck_blocked = False
    for dbi in range(core.keyspace.ndbs):
        if core.blocking_keys[dbi]:
            signal_db_ready(core, dbi)
    return 0


cdef int key_ready(Core core, int dbi, bytes key) except -1:
    """Remember a key some client is blocked on, to be served after the current command."""
    cdef tuple item
    if key not in <dict>core.blocking_keys[dbi]:
        return 0
    item = (dbi, key)
    if item not in core.ready_set:
        core.ready_set.add(item)
        core.ready_keys.append(item)
    return 0


cdef int signal_db_ready(Core core, int dbi) except -1:
    """Every blocked-on key of database dbi that now exists is ready (after SWAPDB)."""
    cdef Db* db = core.keyspace.db(dbi)
    cdef uint64_t h
    cdef Entry** link
    for key in list((<dict>core.blocking_keys[dbi]).keys()):
        h = key_hash(db.st, key, len(key))
        if db_find(db, key, len(key), h, &link) != NULL:
            key_ready(core, dbi, key)
    return 0


cdef int serve_ready_keys(Core core) except -1:
    """Serve the clients blocked on the keys that became ready, first come first served,
    until the keys run dry (serving may make more keys ready: BLMOVE's destination)."""
    cdef list ready
    cdef list clients
    cdef Client c
    cdef Db* db
    cdef uint64_t h
    cdef Entry* e
    cdef Entry** link
    cdef bytes key
    cdef int dbi
    cdef bint served
    while core.ready_keys:
        ready = core.ready_keys
        core.ready_keys = []
        core.ready_set.clear()
        for item in ready:
            dbi = (<tuple>item)[0]
            key = (<tuple>item)[1]
            db = core.keyspace.db(dbi)
            clients = (<dict>core.blocking_keys[dbi]).get(key)
            if not clients:
                continue
            for obj in list(clients):
                c = <Client>obj
                if not (c.flags & CLIENT_BLOCKED) or c.flags & CLIENT_CLOSED:
                    continue
                h = key_hash(db.st, key, len(key))
                e = lookup(db, key, len(key), LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY,
                           &h, NULL)
                if e == NULL or entry_type(e) != c.btype:
                    break
                c.bready = key
                try:
                    served = _reprocess(core, c)
                finally:
                    c.bready = None
                if not served:
                    break
    return 0


cdef bint _reprocess(Core core, Client c) except -1:
    """Run a blocked client's command again; returns False when it still finds nothing."""
    cdef Command* cmd = c.bcmd.cmd
    cdef const char** argv = c.argv
    cdef size_t* argl = c.argl
    cdef int argc = c.argc
    cdef bint served
    c.argv = c.bcmd.argv
    c.argl = c.bcmd.argl
    c.argc = c.bcmd.argc
    c.cmd = cmd
    c.flags |= CLIENT_REPROCESSING | CLIENT_IN_CALL
    try:
        cmd.native(c)
    except MemoryError:
        c.error_cstr(ERR_OOM)
    except Exception as exc:
        internal_error(core, c, exc)
    finally:
        c.argv = argv
        c.argl = argl
        c.argc = argc
        served = not (c.flags & CLIENT_STILL_BLOCKED)
        c.flags &= ~(CLIENT_REPROCESSING | CLIENT_IN_CALL | CLIENT_STILL_BLOCKED)
    if served:
        unblock(core, c)
    return served


cdef int expire_blocked(Core core) except -1:
    """Answer the clients whose blocking timeout has passed (null, as Redis)."""
    cdef long long now = monotonic_us()
    cdef tuple row
    cdef Client c
    while core.timeouts and (<tuple>core.timeouts[0])[0] <= now:
        row = heappop(core.timeouts)
        c = <Client>row[2]
        if c.bseq != <long long>row[1] or not (c.flags & CLIENT_BLOCKED):
            continue
        reply_null_array(&c.out)
        unblock(core, c)
    return 0


cdef int unblock_by_request(Core core, Client c, bint error) except -1:
    """CLIENT UNBLOCK: a timeout's reply, or the UNBLOCKED error."""
    if not (c.flags & CLIENT_BLOCKED) or c.flags & CLIENT_POSTPONED:
        return 0
    if error:
        c.error_cstr(ERR_UNBLOCKED)
    else:
        reply_null_array(&c.out)
    unblock(core, c)
    return 1


cdef int resume_unblocked(Core core) except -1:
    """Run the input woken clients received while they waited."""
    cdef list woken
    cdef Client c
    while core.unblocked:
        woken = core.unblocked
        core.unblocked = []
        for obj in woken:
            c = <Client>obj
            c.flags &= ~CLIENT_UNBLOCKED
            if c.flags & CLIENT_CLOSED:
                continue
            if c.flags & CLIENT_POSTPONED and not (c.flags & CLIENT_BLOCKED):
                _run_postponed(core, c)
                queue_write(core, c)
            if c.flags & (CLIENT_CLOSED | CLIENT_BLOCKED) or c.qlen == 0:
                continue
            process_input(core, c, c.qbuf, c.qlen)
            if not (c.flags & CLIENT_CLOSED):
                finish_input(core, c, c.qbuf, c.qlen, False)
    return 0


# ----- CLIENT PAUSE
cdef bint pause_applies(Core core, Client c, Command* cmd) noexcept:
    """Whether CLIENT PAUSE holds this command back (writes and commands that may replicate,
    EXEC of such a queue, or everything)."""
    cdef unsigned long long mask = CMD_WRITE | CMD_MAY_REPLICATE
    if core.pause_kind == PAUSE_ALL:
        return True
    if cmd.flags & mask or cmd.role & ROLE_PAUSED_AS_WRITE:
        return True
    return cmd.native == _cmd_exec and (c.mflags & mask) != 0


cdef int postpone(Core core, Client c, Command* cmd) except -1:
    """Hold a command back until the pause ends."""
    c.bcmd = saved_cmd_new(cmd, c.argc, c.argv, c.argl)
    c.flags |= CLIENT_BLOCKED | CLIENT_POSTPONED
    core.postponed.append(c)
    return 0


cdef int end_pause(Core core) except -1:
    """The pause is over: the held clients are woken; their held commands run, in arrival
    order, before the loop sleeps again (resume_unblocked), not inside the current command."""
    cdef list held = core.postponed
    cdef Client c
    core.pause_kind = 0
    core.pause_end_us = 0
    core.postponed = []
    for obj in held:
        c = <Client>obj
        c.flags &= ~CLIENT_BLOCKED          # CLIENT_POSTPONED stays: its command is pending
        _mark_unblocked(core, c)
    return 0


cdef int _run_postponed(Core core, Client c) except -1:
    """Run the command CLIENT PAUSE held back (it may be held again by a new pause)."""
    cdef SavedCmd* s = c.bcmd
    c.bcmd = NULL
    c.flags &= ~CLIENT_POSTPONED
    try:
        _call_saved(core, c, s)
    finally:
        free(s)
    if core.ready_keys:
        serve_ready_keys(core)
    return 0


cdef int _call_saved(Core core, Client c, SavedCmd* s) except -1:
    """Dispatch a saved command line from the start (lookup and checks included)."""
    cdef const char** argv = c.argv
    cdef size_t* argl = c.argl
    cdef int argc = c.argc
    c.argv = s.argv
    c.argl = s.argl
    c.argc = s.argc
    try:
        if c.flags & CLIENT_REPLY_MODES:
            call_with_reply_mode(core, c)
        else:
            process_command(core, c)
            skip_next_reply(c)
    finally:
        c.argv = argv
        c.argl = argl
        c.argc = argc
    return 0
