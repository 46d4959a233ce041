"""DUMP and RESTORE (generic group): Redis 7.0's serialization, handlers in fastresp.rdb."""
from fastresp.rdb import HANDLERS

from pyredis.commands.table import Group, KeySpec

group = Group("generic", handlers=HANDLERS)
cmd = group.native

cmd("DUMP key", 2, "readonly", keys=(1, 1, 1), since="2.6.0",
    key_specs=(KeySpec(("RO", "access"), 1),), tips="nondeterministic_output",
    complexity="O(1) to access the key and additional O(N*M) to serialize it, where N is the "
               "number of Redis objects composing the value and M their average size. For small "
               "string values the time complexity is thus O(1)+O(1*M) where M is small, so "
               "simply O(1).",
    summary="Return a serialized version of the value stored at the specified key.")
cmd("RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
    -4, "write denyoom", keys=(1, 1, 1), since="2.6.0", acl="dangerous",
    key_specs=(KeySpec(("OW", "update"), 1),),
    # ttl and frequency are integers in Redis's docs (the usage grammar would type them string)
    doc_arguments=[{"name": "key", "type": "key", "key_spec_index": 0},
                   {"name": "ttl", "type": "integer"},
                   {"name": "serialized-value", "type": "string"},
                   {"name": "replace", "type": "pure-token", "token": "REPLACE",
                    "flags": ["optional"]},
                   {"name": "absttl", "type": "pure-token", "token": "ABSTTL",
                    "flags": ["optional"]},
                   {"name": "seconds", "type": "integer", "token": "IDLETIME",
                    "flags": ["optional"]},
                   {"name": "frequency", "type": "integer", "token": "FREQ",
                    "flags": ["optional"]}],
    complexity="O(1) to create the new key and additional O(N*M) to reconstruct the serialized "
               "value, where N is the number of Redis objects composing the value and M their "
               "average size. For small string values the time complexity is thus O(1)+O(1*M) "
               "where M is small, so simply O(1). However for sorted set values the complexity "
               "is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
    summary="Create a key using the provided serialized value, previously obtained using DUMP.")
