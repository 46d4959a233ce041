"""The persistence group (Redis puts these in "server"): SAVE, BGSAVE, LASTSAVE and
BGREWRITEAOF; the work is pyredis.persistence's (rdb.py, aof.py)."""
from fastresp.reply import Status

from pyredis import errors
from pyredis.commands.table import Group
from pyredis.errors import CommandError
from pyredis.persistence.rdb import SaveError

group = Group("server")


# SAVE
@group.command("SAVE", 1, "admin noscript no_async_loading no_multi",
               complexity="O(N) where N is the total number of keys in all databases",
               summary="Synchronously save the dataset to disk")
def save(server, client, args):
    rdb = server.persistence
    if rdb.child_running:
        raise CommandError(errors.BGSAVE_IN_PROGRESS)
    try:
        rdb.save()
    except SaveError:
        raise CommandError(errors.SAVE_FAILED) from None
    return Status("OK")


# BGSAVE [SCHEDULE]
@group.command("BGSAVE [SCHEDULE]", -1, "admin noscript no_async_loading",
               summary="Asynchronously save the dataset to disk")
def bgsave(server, client, args):
    schedule = False
    if len(args) > 1:
        if len(args) == 2 and args[1].lower() == b"schedule":
            schedule = True
        else:
            raise CommandError(errors.SYNTAX)
    rdb = server.persistence
    if rdb.child_running:
        raise CommandError(errors.BGSAVE_IN_PROGRESS)
    if server.aof.child_pid > 0:
        # one child at a time: an AOF rewrite is running
        if not schedule:
            raise CommandError(errors.BGSAVE_CHILD_ACTIVE)
        rdb.bgsave_scheduled = True
        return Status("Background saving scheduled")
    if client.in_multi:
        # inside EXEC a fork would snapshot half a transaction: Redis schedules it
        rdb.bgsave_scheduled = True
        return Status("Background saving scheduled")
    if not rdb.bgsave():
        raise CommandError(errors.SAVE_FAILED)
    return Status("Background saving started")


# LASTSAVE
@group.command("LASTSAVE", 1, "loading stale fast", acl="admin dangerous",
               tips="nondeterministic_output",
               summary="Get the UNIX time stamp of the last successful save to disk")
def lastsave(server, client, args):
    return server.persistence.lastsave


# BGREWRITEAOF
@group.command("BGREWRITEAOF", 1, "admin noscript no_async_loading",
               summary="Asynchronously rewrite the append-only file")
def bgrewriteaof(server, client, args):
    aof = server.aof
    if aof.rewrite_in_progress:
        raise CommandError(errors.REWRITE_IN_PROGRESS)
    persistence = getattr(server, "persistence", None)
    if (persistence is not None and persistence.child_running) or client.in_multi:
        aof.rewrite_scheduled = True
        return Status("Background append only file rewriting scheduled")
    if not aof.rewrite():
        raise CommandError(errors.REWRITE_FAILED)
    return Status("Background append only file rewriting started")
