# Client I/O (included by core.pyx): accepting connections, reading and parsing requests,
# running the parsed commands, writing replies, closing, and CLIENT REPLY OFF/SKIP.
#
# A readable client's bytes are read into one shared buffer and every complete command in it
# runs at once (pipelining costs nothing extra); only an incomplete tail is copied into the
# client's own request buffer. Replies accumulate in the client's ReplyBuf and the client is
# queued once (queue_write); before the loop sleeps every queued client gets one write(), and
# write interest is registered only when the kernel does not take everything.

cdef enum:
    READ_CHUNK = 16 * 1024           # bytes read per read() into the shared buffer
    BIG_READ_MAX = 1024 * 1024       # most a request buffer grows ahead of received bytes
    MAX_ACCEPTS_PER_CALL = 1000      # connections accepted per readiness event
    QBUF_IDLE_FREE = 4 * 1024        # an idle client's request buffer above this is freed

cdef char _readbuf[READ_CHUNK]

# Written to a refused connection before it is closed.
PROTECTED_MODE_DENIED = b"-" + <bytes>ERR_DENIED_PROTECTED_MODE + b"\r\n"
MAX_CLIENTS_REPLY = b"-" + <bytes>ERR_MAX_CLIENTS + b"\r\n"


# =============================================================================================
# Accepting
# =============================================================================================

cdef int accept_clients(Core core, int lfd) except -1:
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
                _shed_connection(core, lfd)
            return 0
        _new_client(core, fd, &ss, lfd)
    return 0


cdef int _shed_connection(Core core, int lfd) except -1:
    """Out of descriptors: accept the waiting connection with the spare descriptor and close
    it, so the listening socket does not stay readable forever."""
    cdef int fd
    if core.log is not None:
        core.log("warning", "Error accepting a client connection: accept: Too many open files")
    if core.reserve_fd >= 0:
        close(core.reserve_fd)
        core.reserve_fd = -1
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)
        if fd >= 0:
            close(fd)
        core.reserve_fd = open(b"/dev/null", O_RDONLY | O_CLOEXEC)
    return 0


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


cdef int _new_client(Core core, int fd, sockaddr_storage* ss, int lfd) except -1:
    cdef Client c
    cdef int one = 1, idle, intvl, cnt = 3
    cdef sockaddr_storage local
    cdef socklen_t ll = sizeof(local)
    cdef bint unix_sock = ss.ss_family == AF_UNIX
    cdef str peer
    if not unix_sock:
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))
        if core.tcp_keepalive > 0:
            idle = core.tcp_keepalive
            intvl = idle // 3 if idle >= 3 else 1
            setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one))
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle))
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl))
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt))
        peer = _format_sockaddr(ss)
    else:
        peer = f"{core._unix_addr}:0"
    core.stat_numconnections += 1
    if len(core.clients) >= core.maxclients:
        write(fd, PyBytes_AS_STRING(MAX_CLIENTS_REPLY), len(MAX_CLIENTS_REPLY))
        close(fd)
        core.stat_rejected_conn += 1
        core.stat_numconnections -= 1
        return 0
    if (core.protected_mode and not core.auth_required and not unix_sock and
            peer.rsplit(":", 1)[0] not in ("127.0.0.1", "[::1]")):
        write(fd, PyBytes_AS_STRING(PROTECTED_MODE_DENIED), len(PROTECTED_MODE_DENIED))
        close(fd)
        core.stat_rejected_conn += 1
        if core.log is not None:
            core.log("warning", "Protected mode: connection from %s refused" % peer)
        return 0
    ensure_fd(core, fd)
    c = Client.__new__(Client)
    c.fd = fd
    c.core = core
    c.id = core.next_client_id
    core.next_client_id += 1
    c.select_db(0)
    c.addr = peer
    if unix_sock:
        c.laddr = peer
        c.flags |= CLIENT_UNIX_SOCKET
    else:
        getsockname(fd, <sockaddr*>&local, &ll)
        c.laddr = _format_sockaddr(&local)
    c.ctime_ms = c.last_interaction_ms = core.keyspace.st.now_ms
    c.authenticated = not core.auth_required
    if pb_add(core.poll, fd, PB_READ) < 0:
        close(fd)
        return 0
    Py_INCREF(c)
    core.fdtable[fd] = <PyObject*>c
    core.clients[c.id] = c
    return 0


cdef int ensure_fd(Core core, int fd) except -1:
    """Grow the descriptor tables to hold fd."""
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


# =============================================================================================
# Reading and running
# =============================================================================================

cdef int read_client(Core core, Client c) except -1:
    """Read what the socket has, run every complete command, keep the unparsed tail."""
    cdef ssize_t n
    cdef char* buf
    cdef size_t blen, room
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
        return free_client(core, c)
    core.stat_net_input_bytes += n
    core.stat_reads += 1
    c.last_interaction_ms = core.keyspace.st.now_ms
    if shared:
        buf = _readbuf
        blen = <size_t>n
    else:
        c.qlen += <size_t>n
        buf = c.qbuf
        blen = c.qlen
    process_input(core, c, buf, blen)
    if c.flags & CLIENT_CLOSED:
        return 0
    return finish_input(core, c, buf, blen, shared)


cdef int finish_input(Core core, Client c, char* buf, size_t blen, bint shared) except -1:
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
    if <long long>c.qlen > core.client_query_buffer_limit:
        if core.log is not None:
            core.log("warning", "Closing client that reached max query buffer length: "
                     f"id={c.id} addr={c.addr} qbuf={c.qlen}")
        return free_client(core, c)
    return queue_write(core, c)


cdef int process_input(Core core, Client c, char* buf, size_t n) except -1:
    """Run the commands in buf[0:n], timing each from the end of the previous one."""
    cdef ParseLimits lim
    lim.max_bulk = core.proto_max_bulk_len
    core.clock_us = monotonic_us()
    try:
        _run_commands(core, c, buf, n, &lim)
    finally:
        core.clock_us = 0
    return 0


cdef int _run_commands(Core core, Client c, char* buf, size_t n, ParseLimits* lim) except -1:
    """Parse and execute every complete command in buf[0:n]."""
    cdef int r, i
    while not (c.flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_CLOSED |
                          CLIENT_BLOCKED)):
        lim.unauthenticated = core.auth_required and not c.authenticated
        r = parse_command(&c.ps, buf, n, lim)
        if r == PARSE_NEED_MORE:
            break
        if FR_UNLIKELY(r == PARSE_ERROR):
            c.error_cstr(c.ps.err)
            c.flags |= CLIENT_CLOSE_AFTER_REPLY
            if core.log is not None:
                core.log("verbose", "Protocol error (%s) from client: id=%d addr=%s" % (
                    (<bytes>c.ps.err).decode(errors="backslashreplace"), c.id, c.addr))
            break
        if c.ps.argc:
            if FR_UNLIKELY(c.ps.argc > c.argvcap):
                reserve_argv(c, c.ps.argc)
            for i in range(c.ps.argc):
                c.argv[i] = buf + c.ps.start + c.ps.aoff[i]
                c.argl[i] = c.ps.alen[i]
            c.argc = c.ps.argc
            if FR_UNLIKELY(c.flags & CLIENT_REPLY_MODES):
                call_with_reply_mode(core, c)
            else:
                process_command(core, c)
                if FR_UNLIKELY(c.flags & CLIENT_REPLY_SKIP_NEXT):
                    skip_next_reply(c)      # that was CLIENT REPLY SKIP
            c.argc = 0
        parse_next_command(&c.ps)
    return 0


cdef int reserve_argv(Client c, int n) except -1:
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


# =============================================================================================
# CLIENT REPLY OFF / SKIP
# =============================================================================================

cdef int call_with_reply_mode(Core core, Client c) except -1:
    """Dispatch under CLIENT REPLY OFF/SKIP: whatever the command (or its rejection) replied
    is dropped. SKIP covers one executed command, the one after CLIENT REPLY SKIP; a rejected
    command does not use it up (as Redis's resetClient)."""
    cdef long long ran = core.stat_numcommands
    core.reply_muted = c if c.flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP) else None
    core.reply_mark = c.out.len
    try:
        process_command(core, c)
    finally:
        # (CLIENT REPLY ON lifts the mute for its own +OK)
        if (core.reply_muted is c and c.flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP)
                and c.out.len >= core.reply_mark):
            c.out.len = core.reply_mark
        core.reply_muted = None
    if core.stat_numcommands != ran:
        c.flags &= ~CLIENT_REPLY_SKIP
        skip_next_reply(c)
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


cdef inline void skip_next_reply(Client c) noexcept:
    """After CLIENT REPLY SKIP ran: the next command's reply is the one dropped."""
    if c.flags & CLIENT_REPLY_SKIP_NEXT:
        c.flags = (c.flags & ~CLIENT_REPLY_SKIP_NEXT) | CLIENT_REPLY_SKIP


# =============================================================================================
# Writing
# =============================================================================================

cdef int queue_write(Core core, Client c) except -1:
    """Remember a client with unsent output; it is written before the loop sleeps. (An
    in-process client is never queued: its caller takes the reply.)"""
    cdef PyObject** grown
    if c.out.len == c.out.sent and not (c.flags & CLIENT_CLOSE_AFTER_REPLY):
        return 0
    if c.flags & CLIENT_NO_WRITE:
        return 0
    if core.npending == core.pendcap:
        core.pendcap = core.pendcap * 2 if core.pendcap else 64
        grown = <PyObject**>realloc(core.pending, core.pendcap * sizeof(PyObject*))
        if grown == NULL:
            raise MemoryError()
        core.pending = grown
    Py_INCREF(c)
    core.pending[core.npending] = <PyObject*>c
    core.npending += 1
    c.flags |= CLIENT_PENDING_WRITE
    return 0


cdef int write_client(Core core, Client c) except -1:
    """Write as much pending output as the socket takes."""
    cdef ssize_t n
    while c.out.sent < c.out.len:
        n = write(c.fd, c.out.data + c.out.sent, c.out.len - c.out.sent)
        if n > 0:
            c.out.sent += <size_t>n
            core.stat_net_output_bytes += n
            core.stat_writes += 1
        elif n < 0 and errno == EINTR:
            continue
        elif n < 0 and (errno == EAGAIN or errno == EWOULDBLOCK):
            if not (c.flags & CLIENT_WRITE_WAIT):
                pb_mod(core.poll, c.fd, PB_READ | PB_WRITE)
                c.flags |= CLIENT_WRITE_WAIT
            return 0
        else:
            return free_client(core, c)
    reply_release(&c.out)
    if c.flags & CLIENT_WRITE_WAIT:
        pb_mod(core.poll, c.fd, PB_READ)
        c.flags &= ~CLIENT_WRITE_WAIT
    if c.flags & CLIENT_CLOSE_AFTER_REPLY:
        return free_client(core, c)
    return 0


cdef int flush_pending(Core core) except -1:
    cdef int i = 0
    cdef Client c
    while i < core.npending:
        c = <Client>core.pending[i]
        c.flags &= ~CLIENT_PENDING_WRITE
        if not (c.flags & CLIENT_CLOSED):
            write_client(core, c)
        i += 1
    for i in range(core.npending):
        Py_DECREF(<object>core.pending[i])
    core.npending = 0
    return 0


# =============================================================================================
# Closing
# =============================================================================================

cdef int free_client(Core core, Client c) except -1:
    """Close a connection now and release what it holds. The caller must hold its own
    reference to c (the tables' references are dropped here)."""
    cdef Client keep = c     # c stays alive until we are done, whoever else drops it
    if c.flags & (CLIENT_CLOSED | CLIENT_FAKE):
        return 0
    c.flags |= CLIENT_CLOSED
    pb_del(core.poll, c.fd)
    close(c.fd)
    if c.fd < core.fdcap and core.fdtable[c.fd] == <PyObject*>c:
        core.fdtable[c.fd] = NULL
        Py_DECREF(c)
    core.clients.pop(c.id, None)
    _release_client_state(core, c)
    free(c.qbuf)
    c.qbuf = NULL
    c.qlen = c.qcap = 0
    reply_release(&c.out)
    parse_free(&c.ps)
    return 0


cdef int _release_client_state(Core core, Client c) except -1:
    """What a closing client leaves behind: its transaction, watched keys, blocked command
    and subscriptions."""
    if c.flags & CLIENT_MULTI:
        multi_discard(core, c)
    unwatch_all(core, c)
    if c.flags & CLIENT_POSTPONED:
        if c in core.postponed:
            core.postponed.remove(c)
        free(c.bcmd)
        c.bcmd = NULL
        c.flags &= ~(CLIENT_BLOCKED | CLIENT_POSTPONED)
    elif c.flags & CLIENT_BLOCKED:
        unblock(core, c)
    if core.pubsub_release != NULL:
        core.pubsub_release(c)
    return 0


cdef int close_later(Core core, Client c) except -1:
    """Close c at the end of this loop iteration (after what was queued for it is written)."""
    if not (c.flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSED | CLIENT_FAKE)):
        c.flags |= CLIENT_CLOSE_ASAP
        core.to_close.append(c)
    return 0


cdef int close_scheduled(Core core) except -1:
    cdef list closing = core.to_close
    core.to_close = []
    for c in closing:
        if not ((<Client>c).flags & CLIENT_CLOSED):
            free_client(core, <Client>c)
    return 0


cdef int clients_cron(Core core) except -1:
    """Once a second: close clients idle past `timeout`, free idle request buffers."""
    cdef Client c
    cdef long long now = core.keyspace.st.now_ms
    for obj in list(core.clients.values()):
        c = <Client>obj
        if (core.idle_timeout_ms > 0 and now - c.last_interaction_ms > core.idle_timeout_ms
                and not (c.flags & (CLIENT_BLOCKED | CLIENT_PUBSUB))):
            if core.log is not None:
                core.log("verbose", "Closing idle client")
            close_later(core, c)
        elif c.qlen == 0 and c.qbuf != NULL:
            free(c.qbuf)
            c.qbuf = NULL
            c.qcap = 0
    return 0
