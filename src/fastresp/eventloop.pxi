# The event loop (included by core.pyx): one thread waits for readiness, handles it (accept,
# read and run, write), runs the cron `hz` times a second and, before it sleeps again, does
# the work that must follow every iteration: a fast expiry cycle when needed, clients woken
# by ready keys or a finished pause, the AOF write, every pending reply, deferred closes.
#
# Nothing polls: the wait ends at the earliest of the next cron tick, the next blocking
# timeout and the end of a CLIENT PAUSE.

cdef int run_loop(Core core) except -1:
    """Serve until Core.stop(): wait for readiness, handle it, run the cron at `hz`."""
    cdef long long now
    cdef int timeout
    core.running = True
    core.next_cron_us = monotonic_us()
    while core.running:
        now = monotonic_us()
        if now >= core.next_cron_us:
            _run_cron(core)
            core.next_cron_us += 1000000 // (core.hz if core.hz > 0 else 10)
            if core.next_cron_us < now:
                core.next_cron_us = now + 1000000 // (core.hz if core.hz > 0 else 10)
            if not core.running:
                break
        before_sleep(core)
        timeout = <int>((_next_wakeup_us(core) - now + 999) // 1000)
        handle_events(core, timeout if timeout > 0 else 0)
    before_sleep(core)
    return 0


cdef int handle_events(Core core, int timeout) except -1:
    """Wait up to timeout ms for readiness and handle it: accept, read and run, write."""
    cdef int fds[PB_MAX_BATCH]
    cdef int masks[PB_MAX_BATCH]
    cdef int n, i, fd
    cdef PyObject* obj
    cdef Client c
    n = pb_wait(core.poll, fds, masks, PB_MAX_BATCH, timeout)
    if n < 0:
        if errno == EINTR:
            PyErr_CheckSignals()
            return 0
        raise OSError(errno, "poll failed")
    core.keyspace.update_clock()
    if core.timeouts or core.pause_kind:
        _run_timers(core)
    for i in range(n):
        fd = fds[i]
        if fd < core.fdcap and core.listening[fd]:
            accept_clients(core, fd)
            continue
        obj = core.fdtable[fd] if fd < core.fdcap else NULL
        if obj == NULL:
            continue
        c = <Client>obj          # a strong reference while its events are handled
        if masks[i] & (PB_READ | PB_ERROR):
            read_client(core, c)
        if masks[i] & PB_WRITE and not (c.flags & CLIENT_CLOSED):
            write_client(core, c)
        c = None
    PyErr_CheckSignals()
    return 0


cdef long long _next_wakeup_us(Core core) noexcept:
    """When the loop must wake up: the next cron tick, blocking deadline or pause end."""
    cdef long long t = core.next_cron_us
    if core.timeouts and (<tuple>core.timeouts[0])[0] < t:
        t = (<tuple>core.timeouts[0])[0]
    if core.pause_kind and core.pause_end_us < t:
        t = core.pause_end_us
    return t


cdef int _run_timers(Core core) except -1:
    """Blocking timeouts that passed and the end of a CLIENT PAUSE."""
    if core.timeouts:
        expire_blocked(core)
    if core.pause_kind and monotonic_us() >= core.pause_end_us:
        end_pause(core)
    return 0


cdef int before_sleep(Core core) except -1:
    """Before waiting: a fast expiry cycle when needed, the input of woken clients run, the AOF
    written, every pending reply written, then the clients scheduled for closing closed (so
    they still get what was queued for them, as in Redis)."""
    if core.keyspace.expire_timelimit_hit or core.keyspace.st.expired_stale_perc > 0.01:
        core.keyspace._active_expire(True, core.hz)
    if core.recheck_blocked:
        recheck_blocked_keys(core)
    if core.ready_keys:
        serve_ready_keys(core)
    if core.unblocked:
        resume_unblocked(core)
    if core.aof_buf.len:
        flush_aof(core)
    flush_pending(core)
    if core.to_close:
        close_scheduled(core)
    return 0


cdef int _run_cron(Core core) except -1:
    if core.cron is None:
        return 0
    try:
        core.cron()
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        if core.log is not None:
            import traceback
            core.log("warning", "Error in server cron: " + "".join(traceback.format_exception(exc)))
    return 0


cdef int serve_while_loading(Core core) except -1:
    """While a dataset loads (between chunks of the file): accept, read and answer what is
    ready without waiting; commands without the `loading` flag get -LOADING (Redis's
    processEventsWhileBlocked). No cron, no expiry. Not re-entered from a handler."""
    if core.serving_while_loading > 1:
        return 0
    core.serving_while_loading = 2
    try:
        handle_events(core, 0)
        flush_pending(core)
        if core.to_close:
            close_scheduled(core)
    finally:
        core.serving_while_loading = 1
    return 0
