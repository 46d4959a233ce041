"""DEBUG, behind `enable-debug-command` as in Redis 7.0. Only RELOAD is implemented: save the
dataset to the RDB file, empty the keyspace and load the file back (the round trip tests and
tools use)."""
from fastresp import rdb
from fastresp.core import Status

from pyredis.commands.table import Group
from pyredis.errors import CommandError
from pyredis.persistence import SaveError

group = Group("server")

NOT_ALLOWED = ("ERR DEBUG command not allowed. If the enable-debug-command option is set to "
               "\"local\", you can run it from a local connection, otherwise you need to set "
               "this option in the configuration file, and then restart the server.")
RELOAD_OPTIONS = (b"merge", b"noflush", b"nosave")


def debug_allowed(server, client) -> bool:
    mode = server.config["enable-debug-command"]
    return mode == "yes" or (mode == "local" and server.is_local(client))


# DEBUG subcommand [arg ...]
@group.command("DEBUG", -2, "admin noscript loading stale", acl="dangerous", since="1.0.0",
               complexity="Depends on subcommand.",
               summary="A container for debugging commands")
def debug(server, client, args):
    if not debug_allowed(server, client):
        raise CommandError(NOT_ALLOWED)
    sub = args[1].lower()
    if sub == b"reload":
        return debug_reload(server, [a.lower() for a in args[2:]])
    raise CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try "
                       "DEBUG HELP." % args[1].decode("utf-8", "replace"))


def debug_reload(server, options: list[bytes]):
    """DEBUG RELOAD [NOSAVE]: save (unless NOSAVE), empty the keyspace, load the file."""
    if any(opt not in RELOAD_OPTIONS for opt in options):
        raise CommandError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE "
                           "options.")
    if b"merge" in options or b"noflush" in options:
        raise CommandError("ERR DEBUG RELOAD MERGE and NOFLUSH are not supported by pyredis")
    if b"nosave" not in options:
        try:
            server.persistence.save()
        except SaveError:
            raise CommandError("ERR Error trying to save the DB") from None
    server.keyspace.flushall()
    try:
        rdb.load(server.keyspace, server.config["dbfilename"])
    except (rdb.RdbError, OSError):
        raise CommandError("ERR Error trying to load the RDB dump, check server logs.") from None
    return Status("OK")
