# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Pub/Sub: channel, pattern and shard-channel registries, PUBLISH/SPUBLISH, PUBSUB
introspection, keyspace notifications and the pubsub client-output-buffer-limit.

The server keeps channel -> {Client: None}, pattern -> {Client: None} and shard channel ->
{Client: None} (Python dicts, insertion-ordered, so delivery follows subscription order and
leaving is O(1)); each client keeps its own channel, pattern and shard-channel dicts
(Client.channels, Client.patterns, Client.shard_channels) so it can leave them all when it
closes or RESETs.

PUBLISH builds each message frame once (in a scratch buffer, as a RESP2 array) and copies it
into every receiver's reply buffer, turning the leading '*' into '>' for RESP3 receivers (a
push frame): no Python object is made per receiver and no Python bytecode runs.

A subscriber that does not read cannot make the server grow without bound: after every
message written to it, its pending output is checked against client-output-buffer-limit's
pubsub class (Core.obuf_pubsub_*): over the hard limit, or over the soft limit for longer than
the soft seconds, it is closed asynchronously and the event is logged as Redis logs it. A
subscriber that reads slowly but never fully catches up gets its written prefix dropped from
the buffer (compaction), so the buffer's block stays within about twice its pending bytes.

Keyspace notifications (notify-keyspace-events) reach this module through the keyspace's
KsState.notify hook: `__keyspace@<db>__:<key>` carries the event name and
`__keyevent@<db>__:<event>` the key, published in that order as Redis does.
"""
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.string cimport memcpy, memmove, strlen
from libc.stdlib cimport malloc, free

from fastresp.core cimport (Core, Client, native, CLIENT_CLOSED, CLIENT_PUBSUB,
                            CLIENT_CLOSE_ASAP, CLIENT_IN_CALL, CLIENT_IN_EXEC, CLIENT_MULTI,
                            CLIENT_DENY_BLOCKING, keep_pushed, queue_write, close_later,
                            hook_failed)
from fastresp.keyspace cimport Db, NOTIFY_KEYSPACE, NOTIFY_KEYEVENT
from fastresp.reply cimport (ReplyBuf, reply_push, reply_array, reply_bulk, reply_int,
                             reply_null, reply_raw, reply_release)
from fastresp.util cimport glob_match
from fastresp.includes.libc_extra cimport snprintf
from fastresp.includes.errors cimport ERR_DENY_BLOCKING_FMT, ERR_SUBCOMMAND_SYNTAX_FMT

cdef enum:
    COMPACT_MIN = 64 * 1024       # written bytes worth dropping from a subscriber's buffer
    FRAME_KEEP = 64 * 1024        # scratch capacity kept between publishes


cdef class PubSub:
    """The pub/sub state of one server. Made once at start-up, it attaches itself to the core
    (Core.pubsub, and the subscription clean-up of closing clients) and to its keyspace
    (keyspace notifications)."""

    def __cinit__(self, Core core):
        self.core = core
        self.channels = {}
        self.patterns = {}
        self.shard = {}
        core.pubsub = self
        core.pubsub_release = _release_client
        core.keyspace.st.notify = _notify_hook

    def __dealloc__(self):
        reply_release(&self.frame)

    def counts(self):
        """(channels, patterns, shard channels) with subscribers, for INFO (pubsub_channels,
        pubsub_patterns, pubsubshard_channels)."""
        return len(self.channels), len(self.patterns), len(self.shard)

    def unsubscribe_all(self, Client c):
        """RESET: leave every channel, pattern and shard channel without confirmations."""
        _release_client(c)


cdef inline PubSub _of(Core core):
    return <PubSub>core.pubsub


# ----- frames
cdef inline int _frame_header(Client c, int n) except -1:
    """A pub/sub frame: a push in RESP3, an array in RESP2."""
    if c.out.proto == 3:
        return reply_push(&c.out, n)
    return reply_array(&c.out, n)


cdef int _confirm(Client c, const char* kind, object name, long long count) except -1:
    """subscribe/unsubscribe confirmation: [kind, name or nil, count]."""
    cdef size_t start = c.out.len
    _frame_header(c, 3)
    reply_bulk(&c.out, kind, strlen(kind))
    if name is None:
        reply_null(&c.out)
    else:
        reply_bulk(&c.out, PyBytes_AS_STRING(name), PyBytes_GET_SIZE(name))
    reply_int(&c.out, count)
    return keep_pushed(c.core, c, start)


cdef inline long long _nshard(Client c) noexcept:
    return len(c.shard_channels) if c.shard_channels is not None else 0


cdef void _update_flag(Client c) noexcept:
    """CLIENT_PUBSUB (the RESP2 subscribed-mode restriction, CLIENT LIST's P, the pubsub
    output-buffer class) while the client has any channel, pattern or shard channel."""
    if c.subscriptions() or _nshard(c):
        c.flags |= CLIENT_PUBSUB
    else:
        c.flags &= ~CLIENT_PUBSUB


# ----- registry
cdef bint _add(dict registry, dict mine, bytes name, Client c) except -1:
    if name in mine:
        return False
    mine[name] = None
    subs = registry.get(name)
    if subs is None:
        registry[name] = {c: None}
    else:
        (<dict>subs)[c] = None
    return True


cdef bint _remove(dict registry, dict mine, bytes name, Client c) except -1:
    cdef dict subs
    if mine is None or name not in mine:
        return False
    del mine[name]
    subs = registry.get(name)
    if subs is not None:
        subs.pop(c, None)
        if not subs:
            del registry[name]
    return True


# ----- output buffer limit
cdef int _check_obuf(Core core, Client c) except -1:
    """Close a subscriber whose pending output is over the pubsub class's limits."""
    cdef PubSub ps
    cdef long long pending = <long long>(c.out.len - c.out.sent)
    cdef long long now
    cdef bint over = False
    if core.obuf_pubsub_hard > 0 and pending > core.obuf_pubsub_hard:
        over = True
    elif core.obuf_pubsub_soft > 0 and pending > core.obuf_pubsub_soft:
        now = core.keyspace.st.now_ms
        if c.obuf_soft_since_ms == 0:
            c.obuf_soft_since_ms = now if now > 0 else 1
        elif now - c.obuf_soft_since_ms > core.obuf_pubsub_soft_seconds * 1000:
            over = True
    else:
        c.obuf_soft_since_ms = 0
    if not over:
        return 0
    ps = _of(core)
    ps.obuf_closed += 1
    close_later(core, c)
    if core.log is not None:
        core.log("warning", f"Client {c.info_line()} scheduled to be closed ASAP for "
                            f"overcoming of output buffer limits.")
    return 0


cdef inline void _compact(Client c) noexcept:
    """Drop the already-written prefix of a slow reader's buffer (never while one of its own
    commands runs: the core may hold offsets into the buffer then)."""
    cdef size_t sent = c.out.sent
    if sent < COMPACT_MIN or sent < (c.out.len >> 1):
        return
    if c.flags & (CLIENT_IN_CALL | CLIENT_IN_EXEC):
        return
    memmove(c.out.data, c.out.data + sent, c.out.len - sent)
    c.out.len -= sent
    c.out.sent = 0


# ----- publishing
cdef int _build_frame(ReplyBuf* frame, const char* kind, size_t kn, const char* pat, size_t pn,
                      const char* ch, size_t chn, const char* msg, size_t mn) except -1:
    """The message frame, RESP2 form, into the scratch buffer."""
    frame.len = 0
    frame.sent = 0
    frame.proto = 2
    reply_array(frame, 4 if pat != NULL else 3)
    reply_bulk(frame, kind, kn)
    if pat != NULL:
        reply_bulk(frame, pat, pn)
    reply_bulk(frame, ch, chn)
    reply_bulk(frame, msg, mn)
    return 0


cdef int _send_frame(Core core, ReplyBuf* frame, dict subs) except -1:
    """Copy the scratch frame to every subscriber in subs."""
    cdef Client c
    cdef size_t at
    for obj in subs:
        c = <Client>obj
        if c.flags & (CLIENT_CLOSED | CLIENT_CLOSE_ASAP):
            continue
        _compact(c)
        at = c.out.len
        reply_raw(&c.out, frame.data, frame.len)
        if c.out.proto == 3:
            c.out.data[at] = b'>'
        keep_pushed(core, c, at)
        queue_write(core, c)
        if c.flags & CLIENT_PUBSUB:
            _check_obuf(core, c)
    return 0


cdef long long publish(Core core, const char* ch, size_t chn, const char* msg, size_t mn) except -1:
    """Deliver a message to the channel's subscribers, then to the matching patterns'.
    Returns the number of receivers (a client subscribed to the channel and to matching
    patterns counts once per subscription, as in Redis)."""
    cdef PubSub ps = _of(core)
    cdef long long n = 0
    cdef bytes channel = PyBytes_FromStringAndSize(ch, chn)
    cdef bytes pat
    subs = ps.channels.get(channel)
    try:
        if subs is not None:
            _build_frame(&ps.frame, b"message", 7, NULL, 0, ch, chn, msg, mn)
            _send_frame(core, &ps.frame, <dict>subs)
            n += len(<dict>subs)
        if ps.patterns:
            for pat_obj, psubs in ps.patterns.items():
                pat = <bytes>pat_obj
                if not glob_match(PyBytes_AS_STRING(pat), PyBytes_GET_SIZE(pat), ch, chn, False):
                    continue
                _build_frame(&ps.frame, b"pmessage", 8, PyBytes_AS_STRING(pat),
                             PyBytes_GET_SIZE(pat), ch, chn, msg, mn)
                _send_frame(core, &ps.frame, <dict>psubs)
                n += len(<dict>psubs)
    finally:
        if ps.frame.cap > FRAME_KEEP:
            reply_release(&ps.frame)
    return n


cdef long long spublish(Core core, const char* ch, size_t chn, const char* msg, size_t mn) except -1:
    """Deliver a message to a shard channel's subscribers (no patterns)."""
    cdef PubSub ps = _of(core)
    cdef bytes channel = PyBytes_FromStringAndSize(ch, chn)
    subs = ps.shard.get(channel)
    if subs is None:
        return 0
    try:
        _build_frame(&ps.frame, b"smessage", 8, NULL, 0, ch, chn, msg, mn)
        _send_frame(core, &ps.frame, <dict>subs)
    finally:
        if ps.frame.cap > FRAME_KEEP:
            reply_release(&ps.frame)
    return len(<dict>subs)


# ----- keyspace notifications
cdef void _notify_hook(Db* db, int cls, const char* event, const char* k, size_t n) noexcept:
    """KsState.notify: publish a keyspace notification. A failure (out of memory) is logged;
    notifications are fire and forget, so nothing else is owed."""
    cdef int flags = db.st.notify_flags
    cdef char head[64]
    cdef int hn
    cdef size_t en
    cdef char* buf
    cdef Core core
    cdef PubSub ps
    if db.st.owner == NULL:
        return
    core = <Core>db.st.owner
    ps = _of(core)
    if ps is None or not (ps.channels or ps.patterns):
        return
    try:
        en = strlen(event)
        if flags & NOTIFY_KEYSPACE:
            hn = snprintf(head, sizeof(head), b"__keyspace@%d__:", db.id)
            buf = <char*>malloc(hn + n)
            if buf == NULL:
                return
            memcpy(buf, head, hn)
            memcpy(buf + hn, k, n)
            try:
                publish(core, buf, hn + n, event, en)
            finally:
                free(buf)
        if flags & NOTIFY_KEYEVENT:
            hn = snprintf(head, sizeof(head), b"__keyevent@%d__:", db.id)
            buf = <char*>malloc(hn + en)
            if buf == NULL:
                return
            memcpy(buf, head, hn)
            memcpy(buf + hn, event, en)
            try:
                publish(core, buf, hn + en, k, n)
            finally:
                free(buf)
    except BaseException:
        hook_failed(core, "Publishing a keyspace notification")


# ----- leaving
cdef int _release_client(Client c) except -1:
    """A closing client leaves every channel, pattern and shard channel (no confirmations)."""
    cdef PubSub ps = _of(c.core)
    if c.channels:
        for name in list(c.channels):
            _remove(ps.channels, c.channels, name, c)
    if c.patterns:
        for name in list(c.patterns):
            _remove(ps.patterns, c.patterns, name, c)
    if c.shard_channels:
        for name in list(c.shard_channels):
            _remove(ps.shard, c.shard_channels, name, c)
    c.obuf_soft_since_ms = 0
    _update_flag(c)
    return 0


# ----- handlers
cdef int _deny_blocking(Client c, const char* command) except -1:
    """An in-process client expects one reply per command: it cannot subscribe."""
    cdef char buf[96]
    cdef int n = snprintf(buf, sizeof(buf), ERR_DENY_BLOCKING_FMT, command)
    return c.error(buf, <size_t>n)


cdef int _subscribe(Client c, dict registry, dict mine, const char* kind, bint shard) except -1:
    """SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE: join each named one, confirming each."""
    cdef int i
    cdef bytes name
    for i in range(1, c.argc):
        name = PyBytes_FromStringAndSize(c.argv[i], c.argl[i])
        _add(registry, mine, name, c)
        _confirm(c, kind, name, _nshard(c) if shard else c.subscriptions())
    _update_flag(c)
    return 0


# SUBSCRIBE channel [channel ...]
cdef int cmd_subscribe(Client c) except -1:
    if c.flags & CLIENT_DENY_BLOCKING and not (c.flags & CLIENT_MULTI):
        # an in-process client expects one reply per command (MULTI is let through, as Redis)
        return _deny_blocking(c, b"SUBSCRIBE")
    if c.channels is None:
        c.channels = {}
    return _subscribe(c, _of(c.core).channels, c.channels, b"subscribe", False)


cdef int _unsubscribe(Client c, dict registry, dict mine, const char* kind, bint shard) except -1:
    """UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE: the named ones, or all of this kind."""
    cdef int i
    cdef bytes name
    if c.argc == 1:
        if not mine:
            _confirm(c, kind, None, _nshard(c) if shard else c.subscriptions())
        else:
            for name in list(mine):
                _remove(registry, mine, name, c)
                _confirm(c, kind, name, _nshard(c) if shard else c.subscriptions())
    else:
        for i in range(1, c.argc):
            name = PyBytes_FromStringAndSize(c.argv[i], c.argl[i])
            _remove(registry, mine, name, c)
            _confirm(c, kind, name, _nshard(c) if shard else c.subscriptions())
    _update_flag(c)
    return 0


# UNSUBSCRIBE [channel [channel ...]]
cdef int cmd_unsubscribe(Client c) except -1:
    return _unsubscribe(c, _of(c.core).channels, c.channels, b"unsubscribe", False)


# PSUBSCRIBE pattern [pattern ...]
cdef int cmd_psubscribe(Client c) except -1:
    if c.flags & CLIENT_DENY_BLOCKING and not (c.flags & CLIENT_MULTI):
        return _deny_blocking(c, b"PSUBSCRIBE")
    if c.patterns is None:
        c.patterns = {}
    return _subscribe(c, _of(c.core).patterns, c.patterns, b"psubscribe", False)


# PUNSUBSCRIBE [pattern [pattern ...]]
cdef int cmd_punsubscribe(Client c) except -1:
    return _unsubscribe(c, _of(c.core).patterns, c.patterns, b"punsubscribe", False)


# SSUBSCRIBE shardchannel [shardchannel ...]
cdef int cmd_ssubscribe(Client c) except -1:
    if c.flags & CLIENT_DENY_BLOCKING:
        return _deny_blocking(c, b"SSUBSCRIBE")
    if c.shard_channels is None:
        c.shard_channels = {}
    return _subscribe(c, _of(c.core).shard, c.shard_channels, b"ssubscribe", True)


# SUNSUBSCRIBE [shardchannel [shardchannel ...]]
cdef int cmd_sunsubscribe(Client c) except -1:
    return _unsubscribe(c, _of(c.core).shard, c.shard_channels, b"sunsubscribe", True)


# PUBLISH channel message
cdef int cmd_publish(Client c) except -1:
    return reply_int(&c.out, publish(c.core, c.argv[1], c.argl[1], c.argv[2], c.argl[2]))


# SPUBLISH shardchannel message
cdef int cmd_spublish(Client c) except -1:
    return reply_int(&c.out, spublish(c.core, c.argv[1], c.argl[1], c.argv[2], c.argl[2]))


# ----- PUBSUB subcommands (argv[1] is the subcommand)
cdef int _subcommand_syntax(Client c) except -1:
    cdef char buf[160]
    cdef int n = snprintf(buf, sizeof(buf), ERR_SUBCOMMAND_SYNTAX_FMT,
                          <int>(c.argl[1] if c.argl[1] < 64 else 64), c.argv[1], b"PUBSUB")
    return c.error(buf, <size_t>n if n < <int>sizeof(buf) else sizeof(buf) - 1)


cdef int _list_names(Client c, dict registry) except -1:
    """PUBSUB CHANNELS / SHARDCHANNELS [pattern]: the names with subscribers matching."""
    cdef bytes name
    cdef list out
    if c.argc > 3:
        return _subcommand_syntax(c)
    if c.argc == 2:
        out = list(registry)
    else:
        out = []
        for obj in registry:
            name = <bytes>obj
            if glob_match(c.argv[2], c.argl[2], PyBytes_AS_STRING(name), PyBytes_GET_SIZE(name),
                          False):
                out.append(name)
    reply_array(&c.out, len(out))
    for obj in out:
        name = <bytes>obj
        reply_bulk(&c.out, PyBytes_AS_STRING(name), PyBytes_GET_SIZE(name))
    return 0


cdef int _numsub(Client c, dict registry) except -1:
    """PUBSUB NUMSUB / SHARDNUMSUB [name ...]: name, subscriber count pairs (a flat array)."""
    cdef int i
    reply_array(&c.out, 2 * (c.argc - 2))
    for i in range(2, c.argc):
        subs = registry.get(PyBytes_FromStringAndSize(c.argv[i], c.argl[i]))
        reply_bulk(&c.out, c.argv[i], c.argl[i])
        reply_int(&c.out, len(<dict>subs) if subs is not None else 0)
    return 0


# PUBSUB CHANNELS [pattern]
cdef int cmd_pubsub_channels(Client c) except -1:
    return _list_names(c, _of(c.core).channels)


# PUBSUB SHARDCHANNELS [pattern]
cdef int cmd_pubsub_shardchannels(Client c) except -1:
    return _list_names(c, _of(c.core).shard)


# PUBSUB NUMSUB [channel ...]
cdef int cmd_pubsub_numsub(Client c) except -1:
    return _numsub(c, _of(c.core).channels)


# PUBSUB SHARDNUMSUB [shardchannel ...]
cdef int cmd_pubsub_shardnumsub(Client c) except -1:
    return _numsub(c, _of(c.core).shard)


# PUBSUB NUMPAT
cdef int cmd_pubsub_numpat(Client c) except -1:
    return reply_int(&c.out, len(_of(c.core).patterns))


HANDLERS = {
    "subscribe": native(cmd_subscribe),
    "unsubscribe": native(cmd_unsubscribe),
    "psubscribe": native(cmd_psubscribe),
    "punsubscribe": native(cmd_punsubscribe),
    "ssubscribe": native(cmd_ssubscribe),
    "sunsubscribe": native(cmd_sunsubscribe),
    "publish": native(cmd_publish),
    "spublish": native(cmd_spublish),
    "pubsub|channels": native(cmd_pubsub_channels),
    "pubsub|shardchannels": native(cmd_pubsub_shardchannels),
    "pubsub|numsub": native(cmd_pubsub_numsub),
    "pubsub|shardnumsub": native(cmd_pubsub_shardnumsub),
    "pubsub|numpat": native(cmd_pubsub_numpat),
}
