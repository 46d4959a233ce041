"""The string group. Every handler is Cython (fastresp.t_string); this module declares them."""
from fastresp.t_string import HANDLERS

from pyredis.commands.table import Group, KeySpec

group = Group("string", handlers=HANDLERS)
cmd = group.native

cmd("GET key", 2, "readonly fast", keys=(1, 1, 1), key_flags=("RO", "access"),
    summary="Returns the string value of a key.")
cmd("SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
    "PXAT unix-time-milliseconds | KEEPTTL]", -3, "write denyoom", keys=(1, 1, 1),
    key_specs=(KeySpec(("RW", "access", "update", "variable_flags"), 1,
                       notes="RW and ACCESS due to the optional `GET` argument"),),
    summary="Sets the string value of a key, ignoring its type. The key is created if it "
            "doesn't exist.")
cmd("SETNX key value", 3, "write denyoom fast", keys=(1, 1, 1),
    key_flags=("OW", "insert"), summary="Set the string value of a key only when the key doesn't "
                                        "exist.")
cmd("SETEX key seconds value", 4, "write denyoom", keys=(1, 1, 1), since="2.0.0",
    key_flags=("OW", "update"), summary="Sets the string value and expiration time of a key.")
cmd("PSETEX key milliseconds value", 4, "write denyoom", keys=(1, 1, 1),
    since="2.6.0", key_flags=("OW", "update"),
    summary="Sets both string value and expiration time in milliseconds of a key.")
cmd("GETSET key value", 3, "write denyoom fast", keys=(1, 1, 1),
    key_flags=("RW", "access", "update"),
    summary="Returns the previous string value of a key after setting it to a new value.")
cmd("GETDEL key", 2, "write fast", keys=(1, 1, 1), since="6.2.0",
    key_flags=("RW", "access", "delete"),
    summary="Returns the string value of a key after deleting the key.")
cmd("GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
    "PXAT unix-time-milliseconds | PERSIST]", -2, "write fast", keys=(1, 1, 1),
    since="6.2.0", key_specs=(KeySpec(("RW", "access", "update"), 1,
                                      notes="RW and UPDATE because it changes the TTL"),),
    summary="Returns the string value of a key after setting its expiration time.")
cmd("MGET key [key ...]", -2, "readonly fast", keys=(1, -1, 1),
    key_flags=("RO", "access"), tips="request_policy:multi_shard", complexity="O(N)",
    summary="Atomically returns the string values of one or more keys.")
cmd("MSET key value [key value ...]", -3, "write denyoom", keys=(1, -1, 2),
    since="1.0.1", key_flags=("OW", "update"), complexity="O(N)",
    tips="request_policy:multi_shard response_policy:all_succeeded",
    summary="Atomically creates or modifies the string values of one or more keys.")
cmd("MSETNX key value [key value ...]", -3, "write denyoom", keys=(1, -1, 2),
    since="1.0.1", key_flags=("OW", "insert"), complexity="O(N)",
    tips="request_policy:multi_shard response_policy:agg_min",
    summary="Atomically modifies the string values of one or more keys only when all keys don't "
            "exist.")
cmd("APPEND key value", 3, "write denyoom fast", keys=(1, 1, 1), since="2.0.0",
    key_flags=("RW", "insert"),
    summary="Appends a string to the value of a key. Creates the key if it doesn't exist.")
cmd("STRLEN key", 2, "readonly fast", keys=(1, 1, 1), since="2.2.0",
    key_flags=("RO",), summary="Returns the length of a string value.")
cmd("GETRANGE key start end", 4, "readonly", keys=(1, 1, 1), since="2.4.0",
    key_flags=("RO", "access"), complexity="O(N)",
    summary="Returns a substring of the string stored at a key.")
cmd("SUBSTR key start end", 4, "readonly", keys=(1, 1, 1),
    key_flags=("RO", "access"), complexity="O(N)",
    summary="Returns a substring from a string value.")
cmd("SETRANGE key offset value", 4, "write denyoom", keys=(1, 1, 1),
    since="2.2.0", key_flags=("RW", "update"),
    summary="Overwrites a part of a string value with another by an offset. Creates the key if "
            "it doesn't exist.")
cmd("INCR key", 2, "write denyoom fast", keys=(1, 1, 1),
    key_flags=("RW", "access", "update"),
    summary="Increments the integer value of a key by one. Uses 0 as initial value if the key "
            "doesn't exist.")
cmd("DECR key", 2, "write denyoom fast", keys=(1, 1, 1),
    key_flags=("RW", "access", "update"),
    summary="Decrements the integer value of a key by one. Uses 0 as initial value if the key "
            "doesn't exist.")
cmd("INCRBY key increment", 3, "write denyoom fast", keys=(1, 1, 1),
    key_flags=("RW", "access", "update"),
    summary="Increments the integer value of a key by a number. Uses 0 as initial value if the "
            "key doesn't exist.")
cmd("DECRBY key decrement", 3, "write denyoom fast", keys=(1, 1, 1),
    key_flags=("RW", "access", "update"),
    summary="Decrements a number from the integer value of a key. Uses 0 as initial value if "
            "the key doesn't exist.")
cmd("INCRBYFLOAT key increment", 3, "write denyoom fast", keys=(1, 1, 1),
    since="2.6.0", key_flags=("RW", "access", "update"),
    summary="Increment the floating point value of a key by a number. Uses 0 as initial value "
            "if the key doesn't exist.")
cmd("LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]", -3, "readonly",
    keys=(1, 2, 1), since="7.0.0", key_flags=("RO", "access"),
    complexity="O(N*M) where N and M are the lengths of s1 and s2, respectively",
    summary="Finds the longest common substring.")
