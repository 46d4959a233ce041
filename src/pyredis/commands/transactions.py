"""The transactions group: MULTI, EXEC, DISCARD, WATCH, UNWATCH. The handlers are Cython
(fastresp multi.pxi, part of the core, because queuing happens in dispatch)."""
from fastresp.core import MULTI_HANDLERS

from pyredis.commands.table import Group

group = Group("transactions", since="1.2.0", handlers=MULTI_HANDLERS)
cmd = group.native

TX_FLAGS = "noscript loading stale fast allow_busy"

cmd("MULTI", 1, TX_FLAGS, roles="not_queued", summary="Mark the start of a transaction block")
cmd("EXEC", 1, "noscript loading stale skip_slowlog", roles="not_queued",
    complexity="Depends on commands in the transaction",
    summary="Execute all commands issued after MULTI")
cmd("DISCARD", 1, TX_FLAGS, roles="not_queued",
    complexity="O(N), when N is the number of queued commands",
    since="2.0.0", summary="Discard all commands issued after MULTI")
cmd("WATCH key [key ...]", -2, TX_FLAGS, roles="not_queued", keys=(1, -1, 1),
    since="2.2.0",
    key_flags=("RO",), complexity="O(1) for every key.",
    summary="Watch the given keys to determine execution of the MULTI/EXEC block")
cmd("UNWATCH", 1, TX_FLAGS, since="2.2.0",
    summary="Forget about all watched keys")
