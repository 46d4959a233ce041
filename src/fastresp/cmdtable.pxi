# The command table (included by core.pyx): the Python declarations (pyredis.commands, one
# CommandSpec per command) turned into C structs the dispatcher reads, a case-insensitive
# index over them by name, and the per-command and per-error statistics INFO prints.

cdef enum:
    COMMAND_SLOTS_MIN = 512          # buckets of the command index
    ERRORSTATS_MAX = 128             # distinct error prefixes counted in INFO errorstats

# Command flag names as COMMAND INFO prints them.
COMMAND_FLAGS = {
    "write": CMD_WRITE, "readonly": CMD_READONLY, "denyoom": CMD_DENYOOM, "admin": CMD_ADMIN,
    "pubsub": CMD_PUBSUB, "noscript": CMD_NOSCRIPT, "blocking": CMD_BLOCKING,
    "loading": CMD_LOADING, "stale": CMD_STALE, "skip_monitor": CMD_SKIP_MONITOR,
    "skip_slowlog": CMD_SKIP_SLOWLOG, "asking": CMD_ASKING, "fast": CMD_FAST,
    "no_auth": CMD_NO_AUTH, "may_replicate": CMD_MAY_REPLICATE,
    "no_mandatory_keys": CMD_NO_MANDATORY_KEYS, "protected": CMD_PROTECTED,
    "no_async_loading": CMD_NO_ASYNC_LOADING, "no_multi": CMD_NO_MULTI,
    "movablekeys": CMD_MOVABLE_KEYS, "allow_busy": CMD_ALLOW_BUSY,
}

# Command roles (ROLE_* in core.pxd) by the names the command table declares them with.
COMMAND_ROLES = {
    "not_queued": ROLE_NOT_QUEUED,
    "subscribed_context": ROLE_SUBSCRIBED_CONTEXT,
    "paused_as_write": ROLE_PAUSED_AS_WRITE,
    "refused_on_write_error": ROLE_REFUSED_ON_WRITE_ERROR,
}


cdef class NativeHandler:
    def __repr__(self):
        return "<native handler>"


cdef NativeHandler native(cmd_fn fn):
    cdef NativeHandler h = NativeHandler.__new__(NativeHandler)
    h.fn = fn
    return h


# =============================================================================================
# Building the table
# =============================================================================================

cdef inline uint64_t _name_hash(const char* s, size_t n) noexcept nogil:
    """FNV-1a over the lower-cased name (command lookup is case-insensitive)."""
    cdef uint64_t h = 14695981039346656037ULL
    cdef size_t i
    cdef unsigned char ch
    for i in range(n):
        ch = <unsigned char>s[i]
        if 65 <= ch <= 90:
            ch += 32
        h ^= ch
        h *= 1099511628211ULL
    return h


cdef inline bint _name_eq(Command* cmd, const char* s, size_t n) noexcept nogil:
    cdef size_t i
    cdef unsigned char ch
    if cmd.namelen != n:
        return False
    for i in range(n):
        ch = <unsigned char>s[i]
        if 65 <= ch <= 90:
            ch += 32
        if ch != <unsigned char>cmd.name[i]:
            return False
    return True


cdef char* _strdup_bytes(bytes b) except NULL:
    cdef char* p = <char*>malloc(len(b) + 1)
    if p == NULL:
        raise MemoryError()
    memcpy(p, PyBytes_AS_STRING(b), len(b))
    p[len(b)] = 0
    return p


cdef int _fill_command(Command* cmd, object spec, Command* parent) except -1:
    """Fill cmd from a CommandSpec: it is looked up by spec.name (which rename-command may
    have changed) and named in errors and statistics by spec.fullname (which it does not)."""
    cdef bytes name = spec.name.lower().encode()
    cdef bytes fullname = spec.fullname.lower().encode()
    cdef object handler = spec.handler
    cdef int i
    cmd.name = _strdup_bytes(name)
    cmd.namelen = len(name)
    cmd.fullname = _strdup_bytes(fullname)
    cmd.arity = spec.arity
    cmd.flags = spec.flag_bits
    cmd.role = spec.role_bits
    cmd.native = (<NativeHandler>handler).fn if isinstance(handler, NativeHandler) else NULL
    cmd.py_handler = <PyObject*>handler if cmd.native == NULL else NULL
    cmd.spec = <PyObject*>spec
    cmd.parent = parent
    cmd.calls = cmd.usec = cmd.rejected_calls = cmd.failed_calls = 0
    cmd.nsubs = len(spec.subcommands)
    cmd.subs = NULL
    if cmd.nsubs:
        cmd.subs = <Command*>calloc(cmd.nsubs, sizeof(Command))
        if cmd.subs == NULL:
            raise MemoryError()
        for i, sub in enumerate(spec.subcommands):
            _fill_command(&cmd.subs[i], sub, cmd)
    return 0


cdef void _free_command(Command* cmd) noexcept:
    cdef int i
    free(cmd.name)
    free(cmd.fullname)
    for i in range(cmd.nsubs):
        _free_command(&cmd.subs[i])
    free(cmd.subs)


cdef void free_command_table(Core core) noexcept:
    cdef int i
    for i in range(core.ncommands):
        _free_command(&core.commands[i])
    free(core.commands)
    free(core.slots)
    core.commands = NULL
    core.slots = NULL
    core.ncommands = 0


cdef int install_command_table(Core core, specs) except -1:
    """Replace the table with one built from the CommandSpecs; statistics restart."""
    cdef int i, n = len(specs), slot
    cdef Command* cmds
    cdef Command** slots
    cdef int nslots = COMMAND_SLOTS_MIN
    while nslots < n * 2:
        nslots *= 2
    cmds = <Command*>calloc(n if n else 1, sizeof(Command))
    slots = <Command**>calloc(nslots, sizeof(Command*))
    if cmds == NULL or slots == NULL:
        free(cmds)
        free(slots)
        raise MemoryError()
    for i in range(n):
        _fill_command(&cmds[i], specs[i], NULL)
        slot = <int>(_name_hash(cmds[i].name, cmds[i].namelen) & (nslots - 1))
        while slots[slot] != NULL:
            slot = (slot + 1) & (nslots - 1)
        slots[slot] = &cmds[i]
    free_command_table(core)
    core.commands = cmds
    core.ncommands = n
    core.slots = slots
    core.nslots = nslots
    core.specs = list(specs)
    for c in core.clients.values():
        (<Client>c).cmd = NULL
        (<Client>c).lastcmd = NULL
    return 0


# =============================================================================================
# Lookup
# =============================================================================================

cdef Command* lookup_command(Core core, const char* name, size_t n) noexcept:
    cdef int slot = <int>(_name_hash(name, n) & (core.nslots - 1))
    cdef Command* cmd
    while True:
        cmd = core.slots[slot]
        if cmd == NULL:
            return NULL
        if _name_eq(cmd, name, n):
            return cmd
        slot = (slot + 1) & (core.nslots - 1)


cdef Command* find_subcommand(Command* parent, const char* s, size_t n) noexcept:
    cdef int i
    for i in range(parent.nsubs):
        if _name_eq(&parent.subs[i], s, n):
            return &parent.subs[i]
    return NULL


# =============================================================================================
# Statistics
# =============================================================================================

cdef list command_stats(Core core):
    """[(fullname, calls, usec, rejected_calls, failed_calls)] for commands used so far."""
    cdef list out = []
    cdef int i, j
    cdef Command* c
    for i in range(core.ncommands):
        c = &core.commands[i]
        if c.calls or c.rejected_calls or c.failed_calls:
            out.append(((<bytes>c.fullname).decode(), c.calls, c.usec, c.rejected_calls, c.failed_calls))
        for j in range(c.nsubs):
            c = &core.commands[i].subs[j]
            if c.calls or c.rejected_calls or c.failed_calls:
                out.append(((<bytes>c.fullname).decode(), c.calls, c.usec, c.rejected_calls, c.failed_calls))
    return out


cdef void reset_command_stats(Core core) noexcept:
    cdef int i, j
    for i in range(core.ncommands):
        core.commands[i].calls = core.commands[i].usec = 0
        core.commands[i].rejected_calls = core.commands[i].failed_calls = 0
        for j in range(core.commands[i].nsubs):
            core.commands[i].subs[j].calls = core.commands[i].subs[j].usec = 0
            core.commands[i].subs[j].rejected_calls = core.commands[i].subs[j].failed_calls = 0


cdef inline bint _same_prefix(const char* a, const char* b, size_t n) noexcept nogil:
    cdef size_t i
    for i in range(n):
        if a[i] != b[i]:
            return False
    return True


cdef int count_error(Core core, const char* msg, size_t n) noexcept:
    """INFO errorstats: count the error by its prefix (the first word, else ERR)."""
    cdef const char* space = <const char*>memchr(msg, b' ', n if n < 32 else 32)
    cdef size_t plen
    cdef int i
    if space != NULL:
        plen = <size_t>(space - msg)
    else:
        msg = b"ERR"
        plen = 3
    core.stat_total_error_replies += 1
    for i in range(core.nerrorstats):
        if strlen(core.errorstats[i].prefix) == plen and \
                _same_prefix(core.errorstats[i].prefix, msg, plen):
            core.errorstats[i].count += 1
            return 0
    if core.nerrorstats < ERRORSTATS_MAX:
        memcpy(core.errorstats[core.nerrorstats].prefix, msg, plen)
        core.errorstats[core.nerrorstats].prefix[plen] = 0
        core.errorstats[core.nerrorstats].count = 1
        core.nerrorstats += 1
    return 0
