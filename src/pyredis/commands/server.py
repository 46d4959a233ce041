"""The server group: keyspace-wide commands, CONFIG, INFO, TIME, COMMAND, SHUTDOWN."""
import time

from fastresp.reply import NO_REPLY, MapReply, Status, Verbatim
from fastresp.util import option_is, parse_ll
from fastresp.db import HANDLERS as DB_HANDLERS

from pyredis import errors, info
from pyredis.commands import docs
from pyredis.commands.table import Group, status_set
from pyredis.errors import CommandError

group = Group("server", handlers=DB_HANDLERS)

group.native("DBSIZE", 1, "readonly fast", acl="keyspace",
             tips="request_policy:all_shards response_policy:agg_sum",
             summary="Returns the number of keys in the database.")


def flush_mode(args) -> None:
    """FLUSHDB/FLUSHALL take an optional ASYNC or SYNC (both flush at once here)."""
    if len(args) > 2 or (len(args) == 2 and not (option_is(args[1], b"async") or
                                                 option_is(args[1], b"sync"))):
        raise CommandError(errors.SYNTAX)


# FLUSHDB [ASYNC | SYNC]
@group.command("FLUSHDB [ASYNC | SYNC]", -1, "write", acl="keyspace dangerous",
               tips="request_policy:all_shards response_policy:all_succeeded",
               complexity="O(N) where N is the number of keys in the selected database",
               summary="Remove all keys from the current database.")
def flushdb(server, client, args):
    flush_mode(args)
    server.core.touch_all_watched(client.db_index)
    server.keyspace.flushdb(client.db_index)
    return Status("OK")


# FLUSHALL [ASYNC | SYNC]
@group.command("FLUSHALL [ASYNC | SYNC]", -1, "write", acl="keyspace dangerous",
               tips="request_policy:all_shards response_policy:all_succeeded",
               complexity="O(N) where N is the total number of keys in all databases",
               summary="Removes all keys from all databases.")
def flushall(server, client, args):
    flush_mode(args)
    for index in range(server.keyspace.ndbs):
        server.core.touch_all_watched(index)
    server.keyspace.flushall()
    return Status("OK")


def db_index(server, raw: bytes, message: str) -> int:
    """A 32-bit database index, or the given error."""
    value = parse_ll(raw)
    if value is None or not -2**31 <= value < 2**31:
        raise CommandError(message)
    return value


# SWAPDB index1 index2
@group.command("SWAPDB index1 index2", 3, "write fast", acl="keyspace dangerous", since="4.0.0",
               complexity="O(N) where N is the count of clients watching or blocking on keys "
                          "from both databases.",
               summary="Swaps two Redis databases.")
def swapdb(server, client, args):
    a = db_index(server, args[1], errors.INVALID_FIRST_DB)
    b = db_index(server, args[2], errors.INVALID_SECOND_DB)
    if not (0 <= a < server.keyspace.ndbs and 0 <= b < server.keyspace.ndbs):
        raise CommandError(errors.DB_INDEX)
    server.core.touch_all_watched(a, b)
    server.core.touch_all_watched(b, a)
    server.keyspace.swapdb(a, b)
    server.core.signal_db_ready(a)
    server.core.signal_db_ready(b)
    return Status("OK")


# TIME
@group.command("TIME", 1, "loading stale fast", since="2.6.0", tips="nondeterministic_output",
               summary="Returns the server time.")
def time_(server, client, args):
    now = time.time_ns() // 1000
    return [str(now // 1000000).encode(), str(now % 1000000).encode()]


# INFO [section [section ...]]
@group.command("INFO [section [section ...]]", -1, "loading stale", acl="dangerous",
               tips="nondeterministic_output request_policy:all_shards response_policy:special",
               summary="Returns information and statistics about the server.")
def info_(server, client, args):
    return Verbatim(info.render(server, [a.decode(errors="replace") for a in args[1:]]))


# SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
@group.command("SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]", -1,
               "admin noscript loading stale no_multi allow_busy",
               complexity="O(N) when saving, where N is the total number of keys in all "
                          "databases when saving data, otherwise O(1)",
               summary="Synchronously saves the database(s) to disk and shuts down the Redis "
                       "server.")
def shutdown(server, client, args):
    opts = set()
    for raw in args[1:]:
        opt = raw.lower()
        if opt not in (b"nosave", b"save", b"now", b"force", b"abort"):
            raise CommandError(errors.SYNTAX)
        opts.add(opt)
    if (b"abort" in opts and len(opts) > 1) or {b"save", b"nosave"} <= opts:
        raise CommandError(errors.SYNTAX)        # an illegal combination, in Redis's words
    if b"abort" in opts:
        raise CommandError(errors.NO_SHUTDOWN_IN_PROGRESS)
    # a failed final save raises the command's error and the server (and this connection)
    # keep running; otherwise, like Redis, which exits inside the command, nothing this client
    # sent after SHUTDOWN runs and it gets no reply
    server.request_shutdown("User requested shutdown...", save=b"save" in opts,
                            nosave=b"nosave" in opts, force=b"force" in opts)
    client.close_after_reply()
    return NO_REPLY


# ---------------------------------------------------------------------------------------------
# CONFIG
# ---------------------------------------------------------------------------------------------
config_cmd = group.container("CONFIG", "A container for server configuration commands.",
                             since="2.0.0")
CONFIG_FLAGS = "admin noscript loading stale"

CONFIG_HELP = [
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "HELP",
    "    Prints this help.",
]


# CONFIG GET parameter [parameter ...]
@group.command("CONFIG GET parameter [parameter ...]", -3, CONFIG_FLAGS, parent="config",
               since="2.0.0",
               complexity="O(N) when N is the number of configuration parameters provided",
               summary="Returns the effective values of configuration parameters.")
def config_get(server, client, args):
    pairs = server.config.get([a.decode(errors="surrogateescape") for a in args[2:]])
    return {name.encode(): value.encode(errors="surrogateescape") for name, value in pairs}


# CONFIG SET parameter value [parameter value ...]
@group.command("CONFIG SET parameter value [parameter value ...]", -4, CONFIG_FLAGS,
               parent="config", since="2.0.0",
               tips="request_policy:all_nodes response_policy:all_succeeded",
               complexity="O(N) when N is the number of configuration parameters provided",
               summary="Sets configuration parameters in-flight.")
def config_set(server, client, args):
    if len(args) % 2:
        raise CommandError(errors.SYNTAX)
    pairs = [(args[i].decode(errors="surrogateescape"),
              args[i + 1].decode(errors="surrogateescape")) for i in range(2, len(args), 2)]
    server.config.set(pairs, client_is_local=server.is_local(client))
    return Status("OK")


# CONFIG RESETSTAT
@group.command("CONFIG RESETSTAT", 2, CONFIG_FLAGS, parent="config", since="2.0.0",
               summary="Resets the server's statistics.")
def config_resetstat(server, client, args):
    server.reset_stats()
    return Status("OK")


# CONFIG HELP
@group.command("CONFIG HELP", 2, "loading stale", parent="config", since="5.0.0",
               summary="Returns helpful text about the different subcommands.")
def config_help(server, client, args):
    return [Status(line) for line in CONFIG_HELP]


# ---------------------------------------------------------------------------------------------
# COMMAND
# ---------------------------------------------------------------------------------------------
COMMAND_HELP = [
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
]
COMMAND_FLAGS = "loading stale"
COMMAND_ACL = "connection"      # Redis puts COMMAND and its subcommands in @connection


def command(server, client, args):
    """COMMAND: every command's COMMAND INFO entry."""
    return [spec.info_reply() for spec in server.command_specs.values()]


command_cmd = group.container("COMMAND", "Returns detailed information about all commands.",
                              since="2.8.13", arity=-1, flags=COMMAND_FLAGS, handler=command,
                              acl=COMMAND_ACL, tips="nondeterministic_output_order",
                              complexity="O(N) where N is the total number of Redis commands")


# COMMAND COUNT
@group.command("COMMAND COUNT", 2, COMMAND_FLAGS, parent="command", acl=COMMAND_ACL,
               since="2.8.13",
               summary="Returns a count of commands.")
def command_count(server, client, args):
    return len(server.command_specs)


# COMMAND INFO [command-name [command-name ...]]
@group.command("COMMAND INFO [command-name [command-name ...]]", -2, COMMAND_FLAGS,
               parent="command", acl=COMMAND_ACL, since="2.8.13",
               tips="nondeterministic_output_order",
               complexity="O(N) where N is the number of commands to look up",
               summary="Returns information about one, multiple or all commands.")
def command_info(server, client, args):
    if len(args) == 2:
        return [spec.info_reply() for spec in server.command_specs.values()]
    out = []
    for raw in args[2:]:
        spec = server.find_command(raw)
        out.append(spec.info_reply() if spec else None)
    return out


# COMMAND DOCS [command-name [command-name ...]]
@group.command("COMMAND DOCS [command-name [command-name ...]]", -2, COMMAND_FLAGS,
               parent="command", acl=COMMAND_ACL, since="7.0.0",
               tips="nondeterministic_output_order",
               complexity="O(N) where N is the number of commands to look up",
               summary="Returns documentary information about one, multiple or all commands.")
def command_docs(server, client, args):
    if len(args) == 2:
        specs = list(server.command_specs.values())
    else:
        specs = [s for s in (server.find_command(raw) for raw in args[2:]) if s is not None]
    # a name asked twice is answered twice, as Redis does
    return MapReply((spec.fullname, docs.command_docs(spec)) for spec in specs)


# COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]
@group.command("COMMAND LIST [FILTERBY (MODULE module-name | ACLCAT category | "
               "PATTERN pattern)]",
               -2, COMMAND_FLAGS, parent="command", acl=COMMAND_ACL, since="7.0.0",
               tips="nondeterministic_output_order",
               complexity="O(N) where N is the total number of Redis commands",
               summary="Returns a list of command names.")
def command_list(server, client, args):
    from fastresp.util import glob
    names = []
    for spec in server.command_specs.values():
        names.append(spec)
        names.extend(spec.subcommands)
    if len(args) == 2:
        return [s.fullname for s in names]
    if len(args) != 5 or args[2].lower() != b"filterby":
        raise CommandError(errors.SYNTAX)
    kind, value = args[3].lower(), args[4]
    if kind == b"module":
        return []
    if kind == b"aclcat":
        return [s.fullname for s in names if "@" + value.decode(errors="replace").lower()
                in s.categories]
    if kind == b"pattern":
        return [s.fullname for s in names if glob(value, s.fullname.encode(), True)]
    raise CommandError(errors.SYNTAX)


# COMMAND GETKEYS command [arg [arg ...]]
# (declared without arguments: Redis 7.0's COMMAND DOCS lists none for these two)
@group.command("COMMAND GETKEYS", -4, COMMAND_FLAGS, parent="command",
               acl=COMMAND_ACL, since="2.8.13",
               complexity="O(N) where N is the number of arguments to the command",
               summary="Extracts the key names from an arbitrary command.")
def command_getkeys(server, client, args):
    return [key for key, _flags in server.command_keys(args[2:])]


# COMMAND GETKEYSANDFLAGS command [arg [arg ...]]
@group.command("COMMAND GETKEYSANDFLAGS", -4, COMMAND_FLAGS,
               parent="command", acl=COMMAND_ACL, since="7.0.0",
               complexity="O(N) where N is the number of arguments to the command",
               summary="Extracts the key names and access flags for an arbitrary command.")
def command_getkeysandflags(server, client, args):
    return [[key, status_set(flags)] for key, flags in server.command_keys(args[2:])]


# COMMAND HELP
@group.command("COMMAND HELP", 2, COMMAND_FLAGS, parent="command", acl=COMMAND_ACL,
               since="5.0.0",
               summary="Returns helpful text about the different subcommands.")
def command_help(server, client, args):
    return [Status(line) for line in COMMAND_HELP]
