"""The set group. Every handler is Cython (fastresp.t_set); this module declares them."""
from fastresp.t_set import HANDLERS

from pyredis.commands.table import Group, KeynumSpec, KeySpec

group = Group("set", handlers=HANDLERS)
cmd = group.native

STORE_DST = {"sinterstore": ("RW", "update"), "sunionstore": ("OW", "update"),
             "sdiffstore": ("OW", "update")}


def store_specs(name):
    return (KeySpec(STORE_DST[name], 1), KeySpec(("RO", "access"), 2, -1))


cmd("SADD key member [member ...]", -3, "write denyoom fast", keys=(1, 1, 1),
    key_flags=("RW", "insert"), summary="Add one or more members to a set",
    complexity="O(1) for each element added, so O(N) to add N elements when the command is "
               "called with multiple arguments.")
cmd("SREM key member [member ...]", -3, "write fast", keys=(1, 1, 1),
    key_flags=("RW", "delete"), summary="Remove one or more members from a set",
    complexity="O(N) where N is the number of members to be removed.")
cmd("SMOVE source destination member", 4, "write fast", keys=(1, 2, 1),
    key_specs=(KeySpec(("RW", "access", "delete"), 1), KeySpec(("RW", "insert"), 2)),
    summary="Move a member from one set to another")
cmd("SISMEMBER key member", 3, "readonly fast", keys=(1, 1, 1),
    key_flags=("RO",), summary="Determine if a given value is a member of a set")
cmd("SMISMEMBER key member [member ...]", -3, "readonly fast", keys=(1, 1, 1),
    key_flags=("RO", "access"), since="6.2.0",
    summary="Returns the membership associated with the given elements for a set",
    complexity="O(N) where N is the number of elements being checked for membership")
cmd("SCARD key", 2, "readonly fast", keys=(1, 1, 1), key_flags=("RO",),
    summary="Get the number of members in a set")
cmd("SPOP key [count]", -2, "write fast", keys=(1, 1, 1),
    key_flags=("RW", "access", "delete"), tips="nondeterministic_output",
    summary="Remove and return one or multiple random members from a set",
    complexity="Without the count argument O(1), otherwise O(N) where N is the value of the "
               "passed count.")
cmd("SRANDMEMBER key [count]", -2, "readonly", keys=(1, 1, 1),
    key_flags=("RO", "access"), tips="nondeterministic_output",
    summary="Get one or multiple random members from a set",
    complexity="Without the count argument O(1), otherwise O(N) where N is the absolute value "
               "of the passed count.")
cmd("SINTER key [key ...]", -2, "readonly", keys=(1, -1, 1),
    key_flags=("RO", "access"), tips="nondeterministic_output_order",
    summary="Intersect multiple sets",
    complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the "
               "number of sets.")
cmd("SINTERSTORE destination key [key ...]", -3, "write denyoom",
    keys=(1, -1, 1), key_specs=store_specs("sinterstore"),
    summary="Intersect multiple sets and store the resulting set in a key",
    complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the "
               "number of sets.")
cmd("SINTERCARD numkeys key [key ...] [LIMIT limit]", -3, "readonly movablekeys",
    since="7.0.0",
    key_specs=(KeynumSpec(("RO", "access"), 1),),
    summary="Intersect multiple sets and return the cardinality of the result",
    complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the "
               "number of sets.")
cmd("SUNION key [key ...]", -2, "readonly", keys=(1, -1, 1),
    key_flags=("RO", "access"), tips="nondeterministic_output_order",
    summary="Add multiple sets",
    complexity="O(N) where N is the total number of elements in all given sets.")
cmd("SUNIONSTORE destination key [key ...]", -3, "write denyoom",
    keys=(1, -1, 1), key_specs=store_specs("sunionstore"),
    summary="Add multiple sets and store the resulting set in a key",
    complexity="O(N) where N is the total number of elements in all given sets.")
cmd("SDIFF key [key ...]", -2, "readonly", keys=(1, -1, 1),
    key_flags=("RO", "access"), tips="nondeterministic_output_order",
    summary="Subtract multiple sets",
    complexity="O(N) where N is the total number of elements in all given sets.")
cmd("SDIFFSTORE destination key [key ...]", -3, "write denyoom",
    keys=(1, -1, 1), key_specs=store_specs("sdiffstore"),
    summary="Subtract multiple sets and store the resulting set in a key",
    complexity="O(N) where N is the total number of elements in all given sets.")
cmd("SMEMBERS key", 2, "readonly", keys=(1, 1, 1), key_flags=("RO", "access"),
    tips="nondeterministic_output_order", summary="Get all the members in a set",
    complexity="O(N) where N is the set cardinality.")
cmd("SSCAN key cursor [MATCH pattern] [COUNT count]", -3, "readonly",
    keys=(1, 1, 1), key_flags=("RO", "access"), since="2.8.0", tips="nondeterministic_output",
    summary="Incrementally iterate Set elements",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough command "
               "calls for the cursor to return back to 0. N is the number of elements inside "
               "the collection..")
