# Transactions: MULTI queueing, EXEC, DISCARD, WATCH (included by core.pyx).
#
# A client in MULTI gets +QUEUED for every command but EXEC, DISCARD, MULTI, WATCH, QUIT and
# RESET; the command is copied out of the read buffer (SavedCmd). A command rejected while
# queuing (unknown, wrong arity, not allowed) marks the transaction dirty: EXEC then answers
# EXECABORT. EXEC runs the queue in one go, so no other client's command interleaves.
#
# WATCH keeps, per database, key -> [clients]; a write to a watched key (signal_modified in
# keyspace.pxd, through KsState.touch_watched) marks those clients CLIENT_DIRTY_CAS and
# unwatches them, and their EXEC answers with a null. Databases with no watched key pay one
# counter test per write.

cdef class WatchedKey:
    """One WATCHed key of a client."""
    cdef int dbi
    cdef bytes key
    cdef bint expired       # already logically expired when watched (Redis's wk->expired)


cdef SavedCmd* saved_cmd_new(Command* cmd, int argc, const char** argv, size_t* argl) except NULL:
    """Copy a command line into one allocation."""
    cdef size_t total = sizeof(SavedCmd) + argc * (sizeof(char*) + sizeof(size_t))
    cdef int i
    cdef char* p
    cdef SavedCmd* s
    for i in range(argc):
        total += argl[i] + 1
    s = <SavedCmd*>malloc(total)
    if s == NULL:
        raise MemoryError()
    s.cmd = cmd
    s.argc = argc
    s.bytes = total
    s.argv = <const char**>(<char*>s + sizeof(SavedCmd))
    s.argl = <size_t*>(<char*>s.argv + argc * sizeof(char*))
    p = <char*>s.argl + argc * sizeof(size_t)
    for i in range(argc):
        memcpy(p, argv[i], argl[i])
        p[argl[i]] = 0
        s.argv[i] = p
        s.argl[i] = argl[i]
        p += argl[i] + 1
    return s


cdef int _run_saved(Core core, Client c, SavedCmd* s) except -1:
    """Execute a saved command as c's current command."""
    cdef const char** argv = c.argv
    cdef size_t* argl = c.argl
    cdef int argc = c.argc
    c.argv = s.argv
    c.argl = s.argl
    c.argc = s.argc
    try:
        execute(core, c, s.cmd)
    finally:
        c.argv = argv
        c.argl = argl
        c.argc = argc
    return 0


cdef void _touch_watched_hook(Db* db, const char* k, size_t n) noexcept:
    """KsState.touch_watched: a key of a database with watched keys changed. Should that
    fail (out of memory), the failure is logged and every transaction watching a key of the
    database fails instead (an EXEC that should fail never succeeds)."""
    cdef Core core
    if db.st.owner == NULL:
        return
    core = <Core>db.st.owner
    try:
        touch_key(core, db.id, PyBytes_FromStringAndSize(k, n))
    except BaseException:
        hook_failed(core, "Invalidating the transactions watching a key")
        _dirty_all_watchers(core, db.id)


cdef void _dirty_all_watchers(Core core, int dbi) noexcept:
    """Every client watching a key of database dbi will see its EXEC fail (allocates nothing:
    the keys stay watched until EXEC, DISCARD or UNWATCH)."""
    for clients in (<dict>core.watched_keys[dbi]).values():
        for obj in <list>clients:
            (<Client>obj).flags |= CLIENT_DIRTY_CAS


# ----- MULTI
cdef int _cmd_multi(Client c) except -1:
    if c.flags & CLIENT_MULTI:
        return c.error_cstr(ERR_MULTI_NESTED)
    c.flags |= CLIENT_MULTI
    c.mflags = 0
    return reply_simple(&c.out, b"OK", 2)


# ----- EXEC
cdef int _cmd_exec(Client c) except -1:
    if not (c.flags & CLIENT_MULTI):
        return c.error_cstr(ERR_EXEC_WITHOUT_MULTI)
    return multi_exec(c.core, c)


cdef int exec_abort(Client c, const char* msg, size_t n) except -1:
    """EXEC refused before running (wrong arity, NOAUTH, a RESP2 subscribed client): the
    transaction is discarded (and the keys unwatched), in MULTI or not, and the error becomes
    "EXECABORT Transaction discarded because of: <msg without its ERR prefix>" (Redis 7.0).
    For core.pyx's rejection paths when c.lastcmd is EXEC."""
    cdef bytes text
    if n >= 4 and msg[0] == c'E' and msg[1] == c'R' and msg[2] == c'R' and msg[3] == c' ':
        msg += 4
        n -= 4
    multi_discard(c.core, c)
    text = (<bytes>ERR_EXECABORT_FMT) % (n, PyBytes_FromStringAndSize(msg, n))
    return c.error(text, len(text))


# ----- DISCARD
cdef int _cmd_discard(Client c) except -1:
    if not (c.flags & CLIENT_MULTI):
        return c.error_cstr(ERR_DISCARD_WITHOUT_MULTI)
    multi_discard(c.core, c)
    return reply_simple(&c.out, b"OK", 2)


# ----- WATCH key [key ...]
cdef int _cmd_watch(Client c) except -1:
    cdef int i
    cdef Core core = c.core
    cdef dict table
    cdef bytes key
    cdef WatchedKey wk
    cdef list clients
    cdef uint64_t h
    cdef Entry* e
    cdef Entry** link
    if c.flags & CLIENT_MULTI:
        return c.error_cstr(ERR_WATCH_INSIDE_MULTI)
    if c.flags & CLIENT_DIRTY_CAS:
        # already doomed: watching more changes nothing (as Redis)
        return reply_simple(&c.out, b"OK", 2)
    table = <dict>core.watched_keys[c.db_index]
    for i in range(1, c.argc):
        key = PyBytes_FromStringAndSize(c.argv[i], c.argl[i])
        if _watched_entry(c, c.db_index, key) is not None:
            continue
        if c.watched is None:
            c.watched = []
        wk = WatchedKey.__new__(WatchedKey)
        wk.dbi = c.db_index
        wk.key = key
        h = key_hash(c.db.st, c.argv[i], c.argl[i])
        e = db_find(c.db, c.argv[i], c.argl[i], h, &link)
        wk.expired = e != NULL and key_is_expired(c.db, e, h)
        c.watched.append(wk)
        clients = table.get(key)
        if clients is None:
            table[key] = [c]
            c.db.nwatched += 1
        else:
            clients.append(c)
    return reply_simple(&c.out, b"OK", 2)


# ----- UNWATCH
cdef int _cmd_unwatch(Client c) except -1:
    unwatch_all(c.core, c)
    c.flags &= ~CLIENT_DIRTY_CAS
    return reply_simple(&c.out, b"OK", 2)


MULTI_HANDLERS = {
    "multi": native(_cmd_multi),
    "exec": native(_cmd_exec),
    "discard": native(_cmd_discard),
    "watch": native(_cmd_watch),
    "unwatch": native(_cmd_unwatch),
}


cdef bint _watched_key_expired(Core core, Client c) except -1:
    """Whether a key that was live when watched has expired since (Redis's
    isWatchedKeyExpired): EXEC fails then even if nothing deleted it yet."""
    cdef WatchedKey wk
    cdef Db* db
    cdef uint64_t h
    cdef Entry* e
    cdef Entry** link
    if c.watched is None:
        return False
    for obj in c.watched:
        wk = <WatchedKey>obj
        if wk.expired:
            continue
        db = core.keyspace.db(wk.dbi)
        h = key_hash(db.st, wk.key, len(wk.key))
        e = db_find(db, wk.key, len(wk.key), h, &link)
        if e != NULL and key_is_expired(db, e, h):
            return True
    return False


cdef int multi_queue(Core core, Client c, Command* cmd) except -1:
    """Queue the current command of a client in MULTI and answer +QUEUED."""
    cdef SavedCmd** grown
    cdef SavedCmd* s
    if c.flags & CLIENT_IN_EXEC:     # never reached: EXEC runs its commands directly
        return execute(core, c, cmd)
    if c.mcount == c.mcap:
        c.mcap = c.mcap * 2 if c.mcap else 8
        grown = <SavedCmd**>realloc(c.mqueue, c.mcap * sizeof(SavedCmd*))
        if grown == NULL:
            raise MemoryError()
        c.mqueue = grown
    s = saved_cmd_new(cmd, c.argc, c.argv, c.argl)
    c.mqueue[c.mcount] = s
    c.mcount += 1
    c.mbytes += <long long>s.bytes
    c.mflags |= cmd.flags
    return reply_simple(&c.out, b"QUEUED", 6)


cdef int multi_free_queue(Client c) noexcept:
    cdef int i
    if c.mqueue != NULL:        # NULL while EXEC runs the queue (it owns the commands then)
        for i in range(c.mcount):
            free(c.mqueue[i])
        free(c.mqueue)
    c.mqueue = NULL
    c.mcount = c.mcap = 0
    c.mbytes = 0
    c.mflags = 0
    return 0


cdef int multi_discard(Core core, Client c) except -1:
    """Leave MULTI: drop the queue and the watched keys."""
    multi_free_queue(c)
    c.flags &= ~(CLIENT_MULTI | CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC)
    unwatch_all(core, c)
    return 0


cdef int multi_exec(Core core, Client c) except -1:
    """EXEC: EXECABORT after a queuing error, a null when a watched key changed, else every
    queued command's reply in one array."""
    cdef SavedCmd** queue
    cdef int n, i
    cdef long long errors
    if c.flags & CLIENT_DIRTY_EXEC:
        multi_discard(core, c)
        return c.error_cstr(ERR_EXECABORT_PREVIOUS)
    if c.flags & CLIENT_DIRTY_CAS or _watched_key_expired(core, c):
        multi_discard(core, c)
        return reply_null_array(&c.out)
    unwatch_all(core, c)
    # EXEC owns the queue from here; while it runs, the client still shows flags=x and
    # multi=<queued> (as Redis: CLIENT INFO inside a transaction), mqueue being NULL
    queue = c.mqueue
    n = c.mcount
    c.mqueue = NULL
    c.mcap = 0
    c.mflags = 0
    c.flags |= CLIENT_IN_EXEC
    errors = c.errors
    try:
        reply_array(&c.out, n)
        for i in range(n):
            _run_saved(core, c, queue[i])
    finally:
        # an error a queued command replies counts as that command's failure, not EXEC's
        # (as Redis: commandstats show exec failed_calls only for EXECABORT)
        c.errors = errors
        c.flags &= ~(CLIENT_IN_EXEC | CLIENT_MULTI)
        c.mcount = 0
        c.mbytes = 0
        for i in range(n):
            free(queue[i])
        free(queue)
    return 0


cdef int unwatch_all(Core core, Client c) except -1:
    """Forget every key c watches."""
    cdef WatchedKey wk
    cdef dict table
    cdef list clients
    if c.watched is None:
        return 0
    for obj in c.watched:
        wk = <WatchedKey>obj
        table = <dict>core.watched_keys[wk.dbi]
        clients = table.get(wk.key)
        if clients is None:
            continue
        clients.remove(c)
        if not clients:
            del table[wk.key]
            core.keyspace.db(wk.dbi).nwatched -= 1
    c.watched = None
    return 0


cdef int _dirty_cas(Core core, Client c) except -1:
    c.flags |= CLIENT_DIRTY_CAS
    unwatch_all(core, c)
    return 0


cdef int touch_key(Core core, int dbi, bytes key) except -1:
    """A watched key of database dbi changed: its watchers' transactions will fail. A key
    that was already expired when watched and is now gone counts as unchanged (Redis 7.0)."""
    cdef list clients = (<dict>core.watched_keys[dbi]).get(key)
    cdef Db* db
    cdef uint64_t h
    cdef Entry** link
    if not clients:
        return 0
    db = core.keyspace.db(dbi)
    for obj in list(clients):
        wk = _watched_entry(<Client>obj, dbi, key)
        if wk is not None and (<WatchedKey>wk).expired:
            h = key_hash(db.st, key, len(key))
            if db_find(db, key, len(key), h, &link) == NULL:
                (<WatchedKey>wk).expired = False
                continue
        _dirty_cas(core, <Client>obj)
    return 0


cdef object _watched_entry(Client c, int dbi, bytes key):
    if c.watched is None:
        return None
    for obj in c.watched:
        if (<WatchedKey>obj).dbi == dbi and (<WatchedKey>obj).key == key:
            return obj
    return None


cdef int touch_all_watched(Core core, int dbi, int replaced_with) except -1:
    """FLUSHDB, FLUSHALL and SWAPDB: watched keys of database dbi that exist there (or, for
    SWAPDB, in the database replacing it) count as changed (Redis's touchAllWatchedKeysInDb)."""
    cdef dict table = <dict>core.watched_keys[dbi]
    cdef Db* emptied = core.keyspace.db(dbi)
    cdef Db* other = core.keyspace.db(replaced_with) if replaced_with >= 0 else NULL
    cdef Entry* e
    cdef Entry* o
    cdef Entry** link
    cdef uint64_t h
    cdef bint in_emptied, in_other
    for key, clients in list(table.items()):
        h = key_hash(emptied.st, key, len(key))
        e = db_find(emptied, key, len(key), h, &link)
        o = db_find(other, key, len(key), h, &link) if other != NULL else NULL
        in_emptied = e != NULL
        in_other = o != NULL
        if not (in_emptied or in_other):
            continue
        for obj in list(clients):
            wk = _watched_entry(<Client>obj, dbi, key)
            if wk is not None and (<WatchedKey>wk).expired:
                if not in_other:
                    (<WatchedKey>wk).expired = False
                    continue
                if key_is_expired(other, o, h):
                    continue
            elif wk is not None and not in_emptied and key_is_expired(other, o, h):
                (<WatchedKey>wk).expired = True
                continue
            _dirty_cas(core, <Client>obj)
    return 0
