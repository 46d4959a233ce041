"""The generic (keyspace) group. Handlers are Cython (fastresp.db, fastresp.expire,
fastresp.object) except OBJECT HELP."""
from fastresp.db import HANDLERS as DB_HANDLERS
from fastresp.expire import HANDLERS as EXPIRE_HANDLERS
from fastresp.object import HANDLERS as OBJECT_HANDLERS

from pyredis.commands.table import Group, KeySpec

group = Group("generic", handlers={**DB_HANDLERS, **EXPIRE_HANDLERS, **OBJECT_HANDLERS})
cmd = group.native

cmd("DEL key [key ...]", -2, "write", keys=(1, -1, 1), key_flags=("RM", "delete"),
    tips="request_policy:multi_shard response_policy:agg_sum", complexity="O(N)",
    summary="Deletes one or more keys.")
cmd("UNLINK key [key ...]", -2, "write fast", keys=(1, -1, 1), since="4.0.0",
    key_flags=("RM", "delete"), tips="request_policy:multi_shard response_policy:agg_sum",
    complexity="O(1) for each key removed regardless of its size.",
    summary="Asynchronously deletes one or more keys.")
cmd("EXISTS key [key ...]", -2, "readonly fast", keys=(1, -1, 1), key_flags=("RO",),
    tips="request_policy:multi_shard response_policy:agg_sum", complexity="O(N)",
    summary="Determines whether one or more keys exist.")
cmd("TOUCH key [key ...]", -2, "readonly fast", keys=(1, -1, 1), since="3.2.1",
    key_flags=("RO",), tips="request_policy:multi_shard response_policy:agg_sum",
    complexity="O(N)", summary="Returns the number of existing keys out of those specified "
                               "after updating the time they were last accessed.")
cmd("TYPE key", 2, "readonly fast", keys=(1, 1, 1), key_flags=("RO",),
    summary="Determines the type of value stored at a key.")
cmd("KEYS pattern", 2, "readonly", acl="dangerous",
    tips="request_policy:all_shards nondeterministic_output_order", complexity="O(N)",
    summary="Returns all key names that match a pattern.")
cmd("SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]", -2, "readonly",
    since="2.8.0", tips="nondeterministic_output request_policy:special",
    complexity="O(1) for every call. O(N) for a complete iteration.",
    summary="Iterates over the key names in the database.")
cmd("RANDOMKEY", 1, "readonly",
    tips="request_policy:all_shards nondeterministic_output",
    summary="Returns a random key name from the database.")
cmd("RENAME key newkey", 3, "write", keys=(1, 2, 1),
    key_specs=(KeySpec(("RW", "access", "delete"), 1), KeySpec(("OW", "update"), 2)),
    summary="Renames a key and overwrites the destination.")
cmd("RENAMENX key newkey", 3, "write fast", keys=(1, 2, 1),
    key_specs=(KeySpec(("RW", "access", "delete"), 1), KeySpec(("OW", "insert"), 2)),
    summary="Renames a key only when the target key name doesn't exist.")
cmd("COPY source destination [DB destination-db] [REPLACE]", -3, "write denyoom",
    keys=(1, 2, 1), since="6.2.0",
    key_specs=(KeySpec(("RO", "access"), 1), KeySpec(("OW", "update"), 2)),
    complexity="O(N) worst case for collections, where N is the number of nested items. O(1) "
               "for string values.",
    summary="Copies the value of a key to a new key.")
cmd("MOVE key db", 3, "write fast", keys=(1, 1, 1),
    key_flags=("RW", "access", "update"), summary="Moves a key to another database.")
for name, unit, since, summary in (
        ("EXPIRE", "seconds", "1.0.0", "Sets the expiration time of a key in seconds."),
        ("PEXPIRE", "milliseconds", "2.6.0", "Sets the expiration time of a key in milliseconds."),
        ("EXPIREAT", "unix-time-seconds", "1.2.0",
         "Sets the expiration time of a key to a Unix timestamp."),
        ("PEXPIREAT", "unix-time-milliseconds", "2.6.0",
         "Sets the expiration time of a key to a Unix milliseconds timestamp.")):
    cmd(f"{name} key {unit} [NX | XX | GT | LT]", -3, "write fast",
        keys=(1, 1, 1), since=since, key_flags=("RW", "update"), summary=summary)
cmd("TTL key", 2, "readonly fast", keys=(1, 1, 1), key_flags=("RO", "access"),
    tips="nondeterministic_output", summary="Returns the expiration time in seconds of a key.")
cmd("PTTL key", 2, "readonly fast", keys=(1, 1, 1), since="2.6.0",
    key_flags=("RO", "access"), tips="nondeterministic_output",
    summary="Returns the expiration time in milliseconds of a key.")
cmd("EXPIRETIME key", 2, "readonly fast", keys=(1, 1, 1), since="7.0.0",
    key_flags=("RO", "access"), summary="Returns the expiration time of a key as a Unix timestamp.")
cmd("PEXPIRETIME key", 2, "readonly fast", keys=(1, 1, 1), since="7.0.0",
    key_flags=("RO", "access"),
    summary="Returns the expiration time of a key as a Unix milliseconds timestamp.")
cmd("PERSIST key", 2, "write fast", keys=(1, 1, 1), since="2.2.0",
    key_flags=("RW", "update"), summary="Removes the expiration time of a key.")

# ---------------------------------------------------------------------------------------------
# OBJECT
# ---------------------------------------------------------------------------------------------
object_cmd = group.container("OBJECT", "A container for object introspection commands.",
                             since="2.2.3")
for sub, summary in (
        ("ENCODING", "Returns the internal encoding of a Redis object."),
        ("REFCOUNT", "Returns the reference count of a value of a key."),
        ("IDLETIME", "Returns the time since the last access to a Redis object."),
        ("FREQ", "Returns the logarithmic access frequency counter of a Redis object.")):
    cmd(f"OBJECT {sub} key", 3, "readonly", parent="object",
        keys=(2, 2, 1), key_flags=("RO",), tips="nondeterministic_output",
        since="4.0.0" if sub == "FREQ" else "2.2.3", summary=summary)

OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


# OBJECT HELP
@group.command("OBJECT HELP", 2, "loading stale", parent="object", since="6.2.0",
               summary="Returns helpful text about the different subcommands.")
def object_help(server, client, args):
    from fastresp.reply import Status
    return [Status(line) for line in OBJECT_HELP]
