# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The connection commands on the hot path: PING, ECHO, SELECT (the rest of the connection group,
HELLO, AUTH, CLIENT ..., is Python: pyredis.commands.connection)."""
from fastresp.core cimport Client, native, CLIENT_PUBSUB
from fastresp.cmdutil cimport arg_int, error_with_command
from fastresp.reply cimport reply_ok, reply_bulk, reply_raw, reply_array
from fastresp.includes.errors cimport ERR_ARITY_FMT, ERR_DB_INDEX


# PING [message]
cdef int cmd_ping(Client c) except -1:
    if c.argc > 2:
        return error_with_command(c, ERR_ARITY_FMT)
    if c.flags & CLIENT_PUBSUB and c.out.proto == 2:
        # a RESP2 subscriber gets ["pong", message] (an empty message when none)
        reply_array(&c.out, 2)
        reply_bulk(&c.out, b"pong", 4)
        if c.argc == 2:
            return reply_bulk(&c.out, c.argv[1], c.argl[1])
        return reply_bulk(&c.out, b"", 0)
    if c.argc == 2:
        return reply_bulk(&c.out, c.argv[1], c.argl[1])
    return reply_raw(&c.out, b"+PONG\r\n", 7)


# ECHO message
cdef int cmd_echo(Client c) except -1:
    return reply_bulk(&c.out, c.argv[1], c.argl[1])


# SELECT index
cdef int cmd_select(Client c) except -1:
    cdef int idx
    if arg_int(c, 1, &idx):
        return 0
    if idx < 0 or idx >= c.core.keyspace.ndbs:
        return c.error_cstr(ERR_DB_INDEX)
    c.select_db(idx)
    return reply_ok(&c.out)


HANDLERS = {
    "ping": native(cmd_ping),
    "echo": native(cmd_echo),
    "select": native(cmd_select),
}
