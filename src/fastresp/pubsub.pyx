# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Pub/Sub: SUBSCRIBE and PSUBSCRIBE registries, PUBLISH, and keyspace notifications.

The server keeps channel -> [subscribers] and pattern -> [subscribers] (Python dicts of lists,
in subscription order); each client keeps its own channel and pattern dicts (Client.channels,
Client.patterns) so it can leave them all when it closes. PUBLISH writes the message frame
into every receiver's reply buffer (a push frame in RESP3, an array in RESP2) and queues it
for writing: no Python bytecode runs per message.

Keyspace notifications (notify-keyspace-events) reach this module through the keyspace's
KsState.notify hook: `__keyspace@<db>__:<key>` carries the event name and
`__keyevent@<db>__:<event>` the key, published in that order as Redis does.
"""
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.string cimport memcpy, strlen
from libc.stdlib cimport malloc, free

from fastresp.core cimport (Core, Client, native, CLIENT_CLOSED, CLIENT_PUBSUB, CLIENT_REPLY_OFF,
                            CLIENT_REPLY_SKIP, CLIENT_CLOSE_ASAP)
from fastresp.keyspace cimport (Db, Keyspace, NOTIFY_KEYSPACE, NOTIFY_KEYEVENT)
from fastresp.reply cimport (ReplyBuf, reply_push, reply_array, reply_bulk, reply_int,
                             reply_null)
from fastresp.util cimport glob_match
from fastresp.includes.libc_extra cimport snprintf

cdef dict _channels = {}          # channel -> [Client]
cdef dict _patterns = {}          # pattern -> [Client]
cdef Core _core = None


def install(Core core):
    """Attach pub/sub to a core: keyspace notifications and subscription clean-up on close."""
    global _core
    _core = core
    _channels.clear()
    _patterns.clear()
    core.keyspace.st.notify = _notify_hook
    core.pubsub_release = _release_client


# ----- frames
cdef inline int _frame_header(Client c, int n) except -1:
    """A pub/sub frame: a push in RESP3, an array in RESP2."""
    if c.out.proto == 3:
        return reply_push(&c.out, n)
    return reply_array(&c.out, n)


cdef int _confirm(Client c, const char* kind, object name, long long count) except -1:
    """subscribe/unsubscribe confirmation: [kind, name or nil, count]."""
    _frame_header(c, 3)
    reply_bulk(&c.out, kind, strlen(kind))
    if name is None:
        reply_null(&c.out)
    else:
        reply_bulk(&c.out, PyBytes_AS_STRING(name), PyBytes_GET_SIZE(name))
    return reply_int(&c.out, count)


cdef void _update_flag(Client c) noexcept:
    if c.subscriptions() or (c.shard_channels is not None and len(c.shard_channels)):
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
        registry[name] = [c]
    else:
        (<list>subs).append(c)
    return True


cdef bint _remove(dict registry, dict mine, bytes name, Client c) except -1:
    cdef list subs
    if mine is None or name not in mine:
        return False
    del mine[name]
    subs = registry.get(name)
    if subs is not None:
        subs.remove(c)
        if not subs:
            del registry[name]
    return True


# ----- publishing
cdef long long publish(Core core, const char* ch, size_t chn, const char* msg, size_t mn) except -1:
    """Deliver a message to the channel's subscribers, then to the matching patterns'.
    Returns the number of deliveries."""
    cdef long long n = 0
    cdef bytes channel = PyBytes_FromStringAndSize(ch, chn)
    cdef Client c
    cdef bytes pat
    subs = _channels.get(channel)
    if subs is not None:
        for obj in <list>subs:
            c = <Client>obj
            _deliver(core, c, b"message", 7, NULL, 0, ch, chn, msg, mn)
            n += 1
    if _patterns:
        for pat_obj, psubs in list(_patterns.items()):
            pat = <bytes>pat_obj
            if not glob_match(PyBytes_AS_STRING(pat), PyBytes_GET_SIZE(pat), ch, chn, False):
                continue
            for obj in <list>psubs:
                c = <Client>obj
                _deliver(core, c, b"pmessage", 8, PyBytes_AS_STRING(pat), PyBytes_GET_SIZE(pat),
                         ch, chn, msg, mn)
                n += 1
    return n


cdef int _deliver(Core core, Client c, const char* kind, size_t kn, const char* pat, size_t pn,
                  const char* ch, size_t chn, const char* msg, size_t mn) except -1:
    """Write one message frame to a subscriber."""
    if c.flags & CLIENT_CLOSED:
        return 0
    if c.flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP):
        return 0          # Redis 7.0 drops pushes to a client whose replies are off
    _frame_header(c, 4 if pat != NULL else 3)
    reply_bulk(&c.out, kind, kn)
    if pat != NULL:
        reply_bulk(&c.out, pat, pn)
    reply_bulk(&c.out, ch, chn)
    reply_bulk(&c.out, msg, mn)
    core.queue_write(c)
    return 0


# ----- keyspace notifications
cdef void _notify_hook(Db* db, int cls, const char* event, const char* k, size_t n) noexcept:
    cdef int flags = db.st.notify_flags
    cdef char head[64]
    cdef int hn
    cdef size_t en
    cdef char* buf
    if _core is None or not (_channels or _patterns):
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
            publish(_core, buf, hn + n, event, en)
            free(buf)
        if flags & NOTIFY_KEYEVENT:
            hn = snprintf(head, sizeof(head), b"__keyevent@%d__:", db.id)
            buf = <char*>malloc(hn + en)
            if buf == NULL:
                return
            memcpy(buf, head, hn)
            memcpy(buf + hn, event, en)
            publish(_core, buf, hn + en, k, n)
            free(buf)
    except Exception:
        pass


# ----- leaving
cdef int _release_client(Client c) except -1:
    """A closing client leaves every channel and pattern (no confirmations)."""
    if c.channels:
        for name in list(c.channels):
            _remove(_channels, c.channels, name, c)
    if c.patterns:
        for name in list(c.patterns):
            _remove(_patterns, c.patterns, name, c)
    _update_flag(c)
    return 0


def counts():
    """(channels with subscribers, patterns with subscribers) for INFO."""
    return len(_channels), len(_patterns)


def unsubscribe_all(Client c):
    """RESET: leave every channel and pattern without confirmations."""
    _release_client(c)


# ----- handlers
# SUBSCRIBE channel [channel ...]
cdef int cmd_subscribe(Client c) except -1:
    cdef int i
    cdef bytes name
    if c.channels is None:
        c.channels = {}
    for i in range(1, c.argc):
        name = PyBytes_FromStringAndSize(c.argv[i], c.argl[i])
        _add(_channels, c.channels, name, c)
        _confirm(c, b"subscribe", name, c.subscriptions())
    _update_flag(c)
    return 0


# UNSUBSCRIBE [channel [channel ...]]
cdef int cmd_unsubscribe(Client c) except -1:
    cdef int i
    cdef bytes name
    if c.argc == 1:
        if not c.channels:
            _confirm(c, b"unsubscribe", None, c.subscriptions())
        else:
            for name in list(c.channels):
                _remove(_channels, c.channels, name, c)
                _confirm(c, b"unsubscribe", name, c.subscriptions())
    else:
        for i in range(1, c.argc):
            name = PyBytes_FromStringAndSize(c.argv[i], c.argl[i])
            _remove(_channels, c.channels, name, c)
            _confirm(c, b"unsubscribe", name, c.subscriptions())
    _update_flag(c)
    return 0


# PSUBSCRIBE pattern [pattern ...]
cdef int cmd_psubscribe(Client c) except -1:
    cdef int i
    cdef bytes name
    if c.patterns is None:
        c.patterns = {}
    for i in range(1, c.argc):
        name = PyBytes_FromStringAndSize(c.argv[i], c.argl[i])
        _add(_patterns, c.patterns, name, c)
        _confirm(c, b"psubscribe", name, c.subscriptions())
    _update_flag(c)
    return 0


# PUNSUBSCRIBE [pattern [pattern ...]]
cdef int cmd_punsubscribe(Client c) except -1:
    cdef int i
    cdef bytes name
    if c.argc == 1:
        if not c.patterns:
            _confirm(c, b"punsubscribe", None, c.subscriptions())
        else:
            for name in list(c.patterns):
                _remove(_patterns, c.patterns, name, c)
                _confirm(c, b"punsubscribe", name, c.subscriptions())
    else:
        for i in range(1, c.argc):
            name = PyBytes_FromStringAndSize(c.argv[i], c.argl[i])
            _remove(_patterns, c.patterns, name, c)
            _confirm(c, b"punsubscribe", name, c.subscriptions())
    _update_flag(c)
    return 0


# PUBLISH channel message
cdef int cmd_publish(Client c) except -1:
    return reply_int(&c.out, publish(c.core, c.argv[1], c.argl[1], c.argv[2], c.argl[2]))


HANDLERS = {
    "subscribe": native(cmd_subscribe),
    "unsubscribe": native(cmd_unsubscribe),
    "psubscribe": native(cmd_psubscribe),
    "punsubscribe": native(cmd_punsubscribe),
    "publish": native(cmd_publish),
}
