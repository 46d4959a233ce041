"""The hash group. Every handler is Cython (fastresp.t_hash); this module declares them."""
from fastresp.t_hash import HANDLERS

from pyredis.commands.table import Group

group = Group("hash", since="2.0.0", handlers=HANDLERS)
cmd = group.native

cmd("HSET key field value [field value ...]", -4, "write denyoom fast",
    keys=(1, 1, 1), key_flags=("RW", "update"),
    complexity="O(1) for each field/value pair added, so O(N) to add N field/value pairs when "
               "the command is called with multiple field/value pairs.",
    summary="Creates or modifies the value of a field in a hash.")
cmd("HSETNX key field value", 4, "write denyoom fast", keys=(1, 1, 1),
    key_flags=("RW", "insert"),
    summary="Sets the value of a field in a hash only when the field doesn't exist.")
cmd("HMSET key field value [field value ...]", -4, "write denyoom fast",
    keys=(1, 1, 1), key_flags=("RW", "update"),
    complexity="O(N) where N is the number of fields being set.",
    summary="Sets the values of multiple fields.")
cmd("HGET key field", 3, "readonly fast", keys=(1, 1, 1),
    key_flags=("RO", "access"), summary="Returns the value of a field in a hash.")
cmd("HMGET key field [field ...]", -3, "readonly fast", keys=(1, 1, 1),
    key_flags=("RO", "access"),
    complexity="O(N) where N is the number of fields being requested.",
    summary="Returns the values of all fields in a hash.")
cmd("HGETALL key", 2, "readonly", keys=(1, 1, 1), key_flags=("RO", "access"),
    tips="nondeterministic_output_order",
    complexity="O(N) where N is the size of the hash.",
    summary="Returns all fields and values in a hash.")
cmd("HKEYS key", 2, "readonly", keys=(1, 1, 1), key_flags=("RO", "access"),
    tips="nondeterministic_output_order",
    complexity="O(N) where N is the size of the hash.",
    summary="Returns all fields in a hash.")
cmd("HVALS key", 2, "readonly", keys=(1, 1, 1), key_flags=("RO", "access"),
    tips="nondeterministic_output_order",
    complexity="O(N) where N is the size of the hash.",
    summary="Returns all values in a hash.")
cmd("HLEN key", 2, "readonly fast", keys=(1, 1, 1), key_flags=("RO",),
    summary="Returns the number of fields in a hash.")
cmd("HEXISTS key field", 3, "readonly fast", keys=(1, 1, 1), key_flags=("RO",),
    summary="Determines whether a field exists in a hash.")
cmd("HDEL key field [field ...]", -3, "write fast", keys=(1, 1, 1),
    key_flags=("RW", "delete"),
    complexity="O(N) where N is the number of fields to be removed.",
    summary="Deletes one or more fields and their values from a hash. Deletes the hash if no "
            "fields remain.")
cmd("HINCRBY key field increment", 4, "write denyoom fast", keys=(1, 1, 1),
    key_flags=("RW", "access", "update"),
    summary="Increments the integer value of a field in a hash by a number. Uses 0 as initial "
            "value if the field doesn't exist.")
cmd("HINCRBYFLOAT key field increment", 4, "write denyoom fast",
    keys=(1, 1, 1), since="2.6.0", key_flags=("RW", "access", "update"),
    summary="Increments the floating point value of a field by a number. Uses 0 as initial "
            "value if the field doesn't exist.")
cmd("HSTRLEN key field", 3, "readonly fast", keys=(1, 1, 1), since="3.2.0",
    key_flags=("RO",), summary="Returns the length of the value of a field.")
cmd("HRANDFIELD key [count [WITHVALUES]]", -2, "readonly", keys=(1, 1, 1),
    since="6.2.0", key_flags=("RO", "access"), tips="nondeterministic_output",
    complexity="O(N) where N is the number of fields returned",
    summary="Returns one or more random fields from a hash.")
cmd("HSCAN key cursor [MATCH pattern] [COUNT count]", -3, "readonly",
    keys=(1, 1, 1), since="2.8.0", key_flags=("RO", "access"), tips="nondeterministic_output",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough command "
               "calls for the cursor to return back to 0. N is the number of elements inside "
               "the collection.",
    summary="Iterates over fields and values of a hash.")
