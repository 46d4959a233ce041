"""BGREWRITEAOF (Redis puts it in the "server" group); the work is pyredis.persistence.aof's."""
from fastresp.core import Status

from pyredis.commands.table import Group
from pyredis.errors import CommandError

group = Group("server")


# BGREWRITEAOF
@group.command("BGREWRITEAOF", 1, "admin noscript no_async_loading",
               summary="Asynchronously rewrite the append-only file")
def bgrewriteaof(server, client, args):
    aof = server.aof
    if aof.rewrite_in_progress:
        raise CommandError("ERR Background append only file rewriting already in progress")
    persistence = getattr(server, "persistence", None)
    if (persistence is not None and persistence.child_running) or client.in_multi:
        aof.rewrite_scheduled = True
        return Status("Background append only file rewriting scheduled")
    if not aof.rewrite():
        raise CommandError("ERR Can't execute an AOF background rewriting. Please check the "
                           "server logs for more information.")
    return Status("Background append only file rewriting started")
