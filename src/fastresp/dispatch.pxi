# Dispatch (included by core.pyx): the central checks every command passes before it runs
# (Redis's processCommand), running it (Redis's call(): the handler, propagation of what it
# changed, statistics), and the in-process entry point that lets code inside the server run
# commands as a client with no connection.
#
# One path for everything that runs a command: a socket client's parsed request, a command
# queued in MULTI or postponed by CLIENT PAUSE, the AOF being loaded, and (later) a script's
# redis.call, a Python module's calls and the master's replication stream all reach execute()
# through process_command(). Only the client differs: an in-process client (fake_client) has
# no connection, never blocks, is never paused and never gets -LOADING, and its caller takes
# the reply from its buffer.

cdef enum:
    ARG_TEXT_MAX = 128               # bytes of user arguments quoted in an unknown-command error


# =============================================================================================
# The central checks
# =============================================================================================

cdef int process_command(Core core, Client c) except -1:
    """Look the command up, run the central checks, execute it; then serve the clients blocked
    on keys it filled (only after a top-level command: never in the middle of another)."""
    cdef Command* cmd = lookup_command(core, c.argv[0], c.argl[0])
    cdef Command* container = NULL
    if cmd != NULL and cmd.nsubs and c.argc >= 2:
        container = cmd
        cmd = find_subcommand(cmd, c.argv[1], c.argl[1])
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
    if FR_UNLIKELY(core.auth_required and not c.authenticated and not (cmd.flags & CMD_NO_AUTH)):
        cmd.rejected_calls += 1
        _flag_transaction(c)
        if cmd.native == _cmd_exec:
            return exec_abort(c, ERR_NOAUTH, strlen(ERR_NOAUTH))
        return c.error_cstr(ERR_NOAUTH)
    if FR_UNLIKELY(c.flags & (CLIENT_MULTI | CLIENT_PUBSUB) or core.pause_kind or
                   core.write_error is not None or core.serving_while_loading):
        return _process_in_state(core, c, cmd)
    execute(core, c, cmd)
    if FR_UNLIKELY(core.ready_keys and core.call_depth == 0 and not (c.flags & CLIENT_IN_EXEC)):
        serve_ready_keys(core)
    return 0


cdef int _process_in_state(Core core, Client c, Command* cmd) except -1:
    """The checks for a client in MULTI or subscribed, while clients are paused, while
    persistence fails or while a dataset loads."""
    cdef bytes err
    if c.flags & CLIENT_MULTI and cmd.flags & CMD_NO_MULTI:
        cmd.rejected_calls += 1
        _flag_transaction(c)
        return c.error_cstr(ERR_NOT_IN_TRANSACTION)
    if core.write_error is not None and (
            cmd.flags & CMD_WRITE or cmd.role & ROLE_REFUSED_ON_WRITE_ERROR or
            (cmd.native == _cmd_exec and c.mflags & CMD_WRITE)):
        cmd.rejected_calls += 1
        _flag_transaction(c)
        err = core.write_error
        if cmd.native == _cmd_exec:
            return exec_abort(c, err, len(err))
        return c.error(err, len(err))
    if c.flags & CLIENT_PUBSUB and c.out.proto == 2 and not (cmd.role & ROLE_SUBSCRIBED_CONTEXT):
        cmd.rejected_calls += 1
        _flag_transaction(c)
        return _reject_fmt(c, ERR_SUBSCRIBED_CONTEXT_FMT, cmd.fullname)
    if (core.serving_while_loading and not (c.flags & CLIENT_FAKE) and
            not (cmd.flags & CMD_LOADING)):
        cmd.rejected_calls += 1
        _flag_transaction(c)
        return c.error_cstr(ERR_LOADING)
    if core.pause_kind and not (c.flags & CLIENT_FAKE) and pause_applies(core, c, cmd):
        return postpone(core, c, cmd)
    if c.flags & CLIENT_MULTI and not (cmd.role & ROLE_NOT_QUEUED):
        return multi_queue(core, c, cmd)
    execute(core, c, cmd)
    if core.ready_keys and core.call_depth == 0 and not (c.flags & CLIENT_IN_EXEC):
        serve_ready_keys(core)
    return 0


# =============================================================================================
# Running a command
# =============================================================================================

cdef int execute(Core core, Client c, Command* cmd) except -1:
    """Run a command whose checks passed (Redis's call()): the handler, the recording of what
    it changed, the statistics.

    Propagation: a command that changed data (the dirty counter moved) is recorded as its own
    arguments unless its handler recorded its operations itself (propagate_instead). A command
    run by another command (EXEC's queue, later a script's redis.call) is nested: what it
    records stands for the outer command, which then records nothing of its own; and a
    top-level command whose operations number more than one is wrapped in MULTI/EXEC, so each
    reaches the AOF once and replays atomically (Redis 7.0's also_propagate).

    Duration: a top-level command is timed from the end of the previous command of its batch
    (one clock read per command); a nested one from its own start."""
    cdef bint nested = core.call_depth > 0
    cdef long long start = core.clock_us if core.clock_us and not nested else monotonic_us()
    cdef long long end
    cdef long long errors = c.errors
    cdef bint recording = propagating(core)
    cdef long long dirty = 0
    cdef bint outer_custom = False
    if FR_UNLIKELY(recording):
        dirty = c.db.st.dirty
        outer_custom = core.prop_custom
        if not nested:
            core.prop_ops = 0          # propagate() sets prop_mark at the first one
        core.prop_custom = False
    core.call_depth += 1
    c.cmd = cmd
    c.flags |= CLIENT_IN_CALL
    try:
        if cmd.native != NULL:
            cmd.native(c)
        else:
            core.stat_python_calls += 1
            _call_python(core, c, cmd)
    except MemoryError:
        c.error_cstr(ERR_OOM)
    except Exception as exc:
        internal_error(core, c, exc)
    finally:
        c.flags &= ~CLIENT_IN_CALL
        core.call_depth -= 1
    if FR_UNLIKELY(recording):
        if propagating(core):
            if not core.prop_custom and c.db.st.dirty != dirty:
                propagate(core, c.db_index, c.argc, c.argv, c.argl)
            if not nested and core.prop_ops > 1:
                wrap_in_multi(core)
        core.prop_custom = outer_custom or nested
    end = monotonic_us()
    if core.clock_us:
        core.clock_us = end
    cmd.usec += end - start
    cmd.calls += 1
    if c.errors != errors:
        cmd.failed_calls += 1
    core.stat_numcommands += 1
    return 0


cdef int _call_python(Core core, Client c, Command* cmd) except -1:
    cdef list args = [PyBytes_FromStringAndSize(c.argv[i], c.argl[i]) for i in range(c.argc)]
    cdef bytes text
    try:
        result = (<object>cmd.py_handler)(core.server, c, args)
    except CommandError as err:
        text = err.text.encode() if isinstance(err.text, str) else bytes(err.text)
        return c.error(text, len(text))
    if result is not NO_REPLY:
        reply_value(&c.out, result)
    return 0


cdef int internal_error(Core core, Client c, object exc) except -1:
    """A handler raised unexpectedly: log it, answer with an error, keep serving."""
    cdef bytes text
    if core.log is not None:
        import traceback
        core.log("warning", "Internal error in command '%s': %s" % (
            c.last_command, "".join(traceback.format_exception(exc)).rstrip()))
    text = ((<bytes>ERR_INTERNAL_FMT).decode() % type(exc).__name__).encode()
    return c.error(text, len(text))


cdef void hook_failed(Core core, str what) noexcept:
    """In the `except` clause of a keyspace hook (C calls it, so it cannot raise): log what
    failed, with the exception, at warning level. The caller then fails safe."""
    import traceback
    if core.log is not None:
        core.log("warning", f"{what} failed: " + traceback.format_exc().rstrip())


# =============================================================================================
# Rejections
# =============================================================================================

cdef inline void _flag_transaction(Client c) noexcept:
    """A command rejected while queuing dooms the transaction (EXECABORT)."""
    if c.flags & CLIENT_MULTI:
        c.flags |= CLIENT_DIRTY_EXEC


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
    n = snprintf(buf, sizeof(buf), ERR_UNKNOWN_COMMAND_FMT, <int>take, c.argv[0], args)
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
    n = snprintf(buf, sizeof(buf), ERR_UNKNOWN_SUBCOMMAND_FMT, <int>subl, c.argv[1], upper)
    if n >= <int>sizeof(buf):
        n = sizeof(buf) - 1
    return c.error(buf, _sanitize(buf, n))


# =============================================================================================
# The in-process entry point
# =============================================================================================
# A caller inside the server (the AOF loader; later a script's redis.call, a Python module's
# command, the replica applying its master's stream) runs commands as a client with no
# connection: fake_client() makes one with the caller's database, RESP version and origin;
# call_command() runs an argv as that client through process_command(), so the command gets the
# same checks, propagation (nested calls recorded once, wrapped as Redis wraps them), keyspace
# notifications, WATCH invalidation and statistics as a socket client's; the reply is left in
# the client's buffer. A Cython caller reads it with fastresp.reply's ReplyReader (C values
# pointing into the buffer: no copy, no Python object) and resets the buffer; a Python caller
# uses Core.call / Core.call_resp.

cdef Client fake_client(Core core, unsigned int origin, int dbi, int proto):
    """A client with no connection, running commands for `origin` (CLIENT_SCRIPT, ...)."""
    cdef Client c = Client.__new__(Client)
    c.core = core
    c.id = -1
    c.flags = CLIENT_FAKE | (origin & CLIENT_ORIGINS)
    c.select_db(dbi)
    c.out.proto = proto
    c.addr = c.laddr = ""
    c.authenticated = True
    c.ctime_ms = c.last_interaction_ms = core.keyspace.st.now_ms
    return c


cdef int call_command(Client c, int argc, const char** argv, size_t* argl) except -1:
    """Run one command (argv[0] is its name) as the in-process client c; the reply is
    appended to c.out. The argument arrays need only live for the call."""
    cdef const char** own_argv = c.argv
    cdef size_t* own_argl = c.argl
    cdef int own_argc = c.argc
    if argc < 1:
        raise ValueError("a command needs at least its name")
    c.argv = argv
    c.argl = argl
    c.argc = argc
    try:
        process_command(c.core, c)
    finally:
        c.argv = own_argv
        c.argl = own_argl
        c.argc = own_argc
    return 0


cdef int call_args(Client c, tuple args) except -1:
    """call_command for Python arguments: bytes as they are, str as UTF-8, int and float as
    their decimal text."""
    cdef list words = []
    cdef int n = len(args), i
    cdef const char** argv
    cdef size_t* argl
    if not c.flags & CLIENT_FAKE:
        raise ValueError("only an in-process client (Core.fake_client) runs commands this way")
    for a in args:
        if isinstance(a, bytes):
            words.append(a)
        elif isinstance(a, str):
            words.append((<str>a).encode())
        elif isinstance(a, (int, float)) and not isinstance(a, bool):
            words.append(repr(a).encode())
        elif isinstance(a, (bytearray, memoryview)):
            words.append(bytes(a))
        else:
            raise TypeError(f"a command argument must be bytes, str, int or float, not "
                            f"{type(a).__name__}")
    argv = <const char**>malloc((n if n else 1) * sizeof(char*))
    argl = <size_t*>malloc((n if n else 1) * sizeof(size_t))
    try:
        if argv == NULL or argl == NULL:
            raise MemoryError()
        for i in range(n):
            argv[i] = PyBytes_AS_STRING(words[i])
            argl[i] = PyBytes_GET_SIZE(words[i])
        call_command(c, n, argv, argl)
    finally:
        free(argv)
        free(argl)
    return 0


cdef object take_reply(Client c):
    """The reply in c's buffer as Python values, and the buffer emptied. A command that
    replies more than once (UNSUBSCRIBE of several channels) gives a list of its replies."""
    cdef list replies
    try:
        replies = reply_decode_all(c.out.data, c.out.len)
    finally:
        reply_release(&c.out)
    if len(replies) == 1:
        return replies[0]
    return replies if replies else None
