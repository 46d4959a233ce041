"""The sorted-set group, blocking pops included. Every handler is Cython (fastresp.t_zset); this
module declares them."""
from fastresp.t_zset import HANDLERS

from pyredis.commands.table import Group, KeynumSpec, KeySpec

group = Group("sorted-set", handlers=HANDLERS)
cmd = group.native


def keynum(flags, index):
    """Keys counted by the argument at `index` (numkeys), starting right after it."""
    return KeynumSpec(tuple(flags), index)


def mpop_doc_args(blocking):
    """COMMAND DOCS arguments of ZMPOP/BZMPOP (the usage grammar reads the top-level
    "MIN | MAX" as a choice between the whole halves of the line)."""
    args = [{"name": "timeout", "type": "double"}] if blocking else []
    return args + [
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "where", "type": "oneof",
         "arguments": [{"name": "min", "type": "pure-token", "token": "MIN"},
                       {"name": "max", "type": "pure-token", "token": "MAX"}]},
        {"name": "count", "type": "integer", "token": "COUNT", "flags": ["optional"]}]


RANGE_CX = ("O(log(N)+M) with N being the number of elements in the sorted set and M the number "
            "of elements returned.")
BY_CX = ("O(log(N)+M) with N being the number of elements in the sorted set and M the number "
         "of elements being returned. If M is constant (e.g. always asking for the first 10 "
         "elements with LIMIT), you can consider it O(log(N)).")
REM_CX = ("O(log(N)+M) with N being the number of elements in the sorted set and M the number "
          "of elements removed by the operation.")
POP_CX = ("O(log(N)*M) with N being the number of elements in the sorted set, and M being the "
          "number of elements popped.")
UNION_CX = ("O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M "
            "being the number of elements in the resulting sorted set.")
INTER_CX = ("O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being "
            "the number of input sorted sets and M being the number of elements in the "
            "resulting sorted set.")
DIFF_CX = ("O(L + (N-K)log(N)) worst case where L is the total number of elements in all the "
           "sets, N is the size of the first set, and K is the size of the result set.")

cmd("ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]", -4,
    "write denyoom fast", keys=(1, 1, 1), since="1.2.0",
    key_flags=("RW", "update"),
    complexity="O(log(N)) for each item added, where N is the number of elements in the sorted "
               "set.",
    summary="Add one or more members to a sorted set, or update its score if it already exists")
cmd("ZINCRBY key increment member", 4, "write denyoom fast", keys=(1, 1, 1),
    since="1.2.0", key_flags=("RW", "access", "update"),
    complexity="O(log(N)) where N is the number of elements in the sorted set.",
    summary="Increment the score of a member in a sorted set")
cmd("ZREM key member [member ...]", -3, "write fast", keys=(1, 1, 1), since="1.2.0",
    key_flags=("RW", "delete"),
    complexity="O(M*log(N)) with N being the number of elements in the sorted set and M the "
               "number of elements to be removed.",
    summary="Remove one or more members from a sorted set")
cmd("ZCARD key", 2, "readonly fast", keys=(1, 1, 1), since="1.2.0",
    key_flags=("RO",), summary="Get the number of members in a sorted set")
cmd("ZSCORE key member", 3, "readonly fast", keys=(1, 1, 1), since="1.2.0",
    key_flags=("RO", "access"),
    summary="Get the score associated with the given member in a sorted set")
cmd("ZMSCORE key member [member ...]", -3, "readonly fast", keys=(1, 1, 1),
    since="6.2.0", key_flags=("RO", "access"),
    complexity="O(N) where N is the number of members being requested.",
    summary="Get the score associated with the given members in a sorted set")
cmd("ZRANK key member", 3, "readonly fast", keys=(1, 1, 1), since="2.0.0",
    key_flags=("RO", "access"), complexity="O(log(N))",
    summary="Determine the index of a member in a sorted set")
cmd("ZREVRANK key member", 3, "readonly fast", keys=(1, 1, 1), since="2.0.0",
    key_flags=("RO", "access"), complexity="O(log(N))",
    summary="Determine the index of a member in a sorted set, with scores ordered from high to "
            "low")
cmd("ZCOUNT key min max", 4, "readonly fast", keys=(1, 1, 1), since="2.0.0",
    key_flags=("RO", "access"),
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    summary="Count the members in a sorted set with scores within the given values")
cmd("ZLEXCOUNT key min max", 4, "readonly fast", keys=(1, 1, 1), since="2.8.9",
    key_flags=("RO", "access"),
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    summary="Count the number of members in a sorted set between a given lexicographical range")
cmd("ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]", -4,
    "readonly", keys=(1, 1, 1), since="1.2.0", key_flags=("RO", "access"),
    complexity=RANGE_CX, summary="Return a range of members in a sorted set")
cmd("ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]", -5,
    "write denyoom", keys=(1, 2, 1), since="6.2.0",
    key_specs=(KeySpec(("OW", "update"), 1), KeySpec(("RO", "access"), 2)),
    complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the "
               "number of elements stored into the destination key.",
    summary="Store a range of members from sorted set into another key")
cmd("ZREVRANGE key start stop [WITHSCORES]", -4, "readonly", keys=(1, 1, 1),
    since="1.2.0", key_flags=("RO", "access"), complexity=RANGE_CX,
    summary="Return a range of members in a sorted set, by index, with scores ordered from high "
            "to low")
cmd("ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]", -4, "readonly",
    keys=(1, 1, 1), since="1.0.5", key_flags=("RO", "access"),
    complexity=BY_CX, summary="Return a range of members in a sorted set, by score")
cmd("ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]", -4, "readonly",
    keys=(1, 1, 1), since="2.2.0", key_flags=("RO", "access"),
    complexity=BY_CX,
    summary="Return a range of members in a sorted set, by score, with scores ordered from high "
            "to low")
cmd("ZRANGEBYLEX key min max [LIMIT offset count]", -4, "readonly",
    keys=(1, 1, 1), since="2.8.9", key_flags=("RO", "access"), complexity=BY_CX,
    summary="Return a range of members in a sorted set, by lexicographical range")
cmd("ZREVRANGEBYLEX key max min [LIMIT offset count]", -4, "readonly",
    keys=(1, 1, 1), since="2.8.9", key_flags=("RO", "access"), complexity=BY_CX,
    summary="Return a range of members in a sorted set, by lexicographical range, ordered from "
            "higher to lower strings.")
cmd("ZREMRANGEBYRANK key start stop", 4, "write", keys=(1, 1, 1),
    since="2.0.0", key_flags=("RW", "delete"), complexity=REM_CX,
    summary="Remove all members in a sorted set within the given indexes")
cmd("ZREMRANGEBYSCORE key min max", 4, "write", keys=(1, 1, 1),
    since="1.2.0", key_flags=("RW", "delete"), complexity=REM_CX,
    summary="Remove all members in a sorted set within the given scores")
cmd("ZREMRANGEBYLEX key min max", 4, "write", keys=(1, 1, 1),
    since="2.8.9", key_flags=("RW", "delete"), complexity=REM_CX,
    summary="Remove all members in a sorted set between the given lexicographical range")
cmd("ZPOPMIN key [count]", -2, "write fast", keys=(1, 1, 1), since="5.0.0",
    key_flags=("RW", "access", "delete"), complexity=POP_CX,
    summary="Remove and return members with the lowest scores in a sorted set")
cmd("ZPOPMAX key [count]", -2, "write fast", keys=(1, 1, 1), since="5.0.0",
    key_flags=("RW", "access", "delete"), complexity=POP_CX,
    summary="Remove and return members with the highest scores in a sorted set")
cmd("ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]", -4, "write movablekeys",
    since="7.0.0", key_specs=(keynum(("RW", "access", "delete"), 1),),
    doc_arguments=mpop_doc_args(False),
    complexity="O(K) + O(M*log(N)) where K is the number of provided keys, N being the number "
               "of elements in the sorted set, and M being the number of elements popped.",
    summary="Remove and return members with scores in a sorted set")
cmd("BZPOPMIN key [key ...] timeout", -3, "write noscript blocking fast",
    keys=(1, -2, 1), since="5.0.0",
    key_specs=(KeySpec(("RW", "access", "delete"), 1, -2),),
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    summary="Remove and return the member with the lowest score from one or more sorted sets, "
            "or block until one is available")
cmd("BZPOPMAX key [key ...] timeout", -3, "write noscript blocking fast",
    keys=(1, -2, 1), since="5.0.0",
    key_specs=(KeySpec(("RW", "access", "delete"), 1, -2),),
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    summary="Remove and return the member with the highest score from one or more sorted sets, "
            "or block until one is available")
cmd("BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]", -5,
    "write blocking movablekeys", since="7.0.0",
    key_specs=(keynum(("RW", "access", "delete"), 2),), doc_arguments=mpop_doc_args(True),
    complexity="O(K) + O(M*log(N)) where K is the number of provided keys, N being the number "
               "of elements in the sorted set, and M being the number of elements popped.",
    summary="Remove and return members with scores in a sorted set or block until one is "
            "available")
cmd("ZRANDMEMBER key [count [WITHSCORES]]", -2, "readonly", keys=(1, 1, 1),
    since="6.2.0", key_flags=("RO", "access"), tips="nondeterministic_output",
    complexity="O(N) where N is the number of elements returned",
    summary="Get one or multiple random elements from a sorted set")
cmd("ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] "
    "[WITHSCORES]", -3, "readonly movablekeys", since="6.2.0",
    key_specs=(keynum(("RO", "access"), 1),), complexity=UNION_CX,
    summary="Add multiple sorted sets")
cmd("ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] "
    "[WITHSCORES]", -3, "readonly movablekeys", since="6.2.0",
    key_specs=(keynum(("RO", "access"), 1),), complexity=INTER_CX,
    summary="Intersect multiple sorted sets")
cmd("ZDIFF numkeys key [key ...] [WITHSCORES]", -3, "readonly movablekeys",
    since="6.2.0", key_specs=(keynum(("RO", "access"), 1),), complexity=DIFF_CX,
    summary="Subtract multiple sorted sets")
cmd("ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] "
    "[AGGREGATE SUM | MIN | MAX]", -4, "write denyoom movablekeys",
    keys=(1, 1, 1), since="2.0.0",
    key_specs=(KeySpec(("OW", "update"), 1), keynum(("RO", "access"), 2)), complexity=UNION_CX,
    summary="Add multiple sorted sets and store the resulting sorted set in a new key")
cmd("ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] "
    "[AGGREGATE SUM | MIN | MAX]", -4, "write denyoom movablekeys",
    keys=(1, 1, 1), since="2.0.0",
    key_specs=(KeySpec(("OW", "update"), 1), keynum(("RO", "access"), 2)), complexity=INTER_CX,
    summary="Intersect multiple sorted sets and store the resulting sorted set in a new key")
cmd("ZDIFFSTORE destination numkeys key [key ...]", -4, "write denyoom movablekeys",
    keys=(1, 1, 1), since="6.2.0",
    key_specs=(KeySpec(("OW", "update"), 1), keynum(("RO", "access"), 2)), complexity=DIFF_CX,
    summary="Subtract multiple sorted sets and store the resulting sorted set in a new key")
cmd("ZINTERCARD numkeys key [key ...] [LIMIT limit]", -3, "readonly movablekeys",
    since="7.0.0", key_specs=(keynum(("RO", "access"), 1),),
    complexity="O(N*K) worst case with N being the smallest input sorted set, K being the "
               "number of input sorted sets.",
    summary="Intersect multiple sorted sets and return the cardinality of the result")
cmd("ZSCAN key cursor [MATCH pattern] [COUNT count]", -3, "readonly",
    keys=(1, 1, 1), since="2.8.0", key_flags=("RO", "access"), tips="nondeterministic_output",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough command "
               "calls for the cursor to return back to 0. N is the number of elements inside "
               "the collection..",
    summary="Incrementally iterate sorted sets elements and associated scores")
