"""The list group. Every handler is Cython (fastresp.t_list); this module declares them,
the blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) included."""
from fastresp.t_list import HANDLERS

from pyredis.commands.table import Group, KeynumSpec, KeySpec

group = Group("list", handlers=HANDLERS)
cmd = group.native

PUSH_CX = ("O(1) for each element added, so O(N) to add N elements when the command is called "
           "with multiple arguments.")
POP_CX = "O(N) where N is the number of elements returned"
BPOP_KEYS = (KeySpec(("RW", "access", "delete"), 1, -2),)   # every argument but the timeout
MOVE_KEYS = (KeySpec(("RW", "access", "delete"), 1), KeySpec(("RW", "insert"), 2))

cmd("LPUSH key element [element ...]", -3, "write denyoom fast", keys=(1, 1, 1),
    key_flags=("RW", "insert"), complexity=PUSH_CX,
    summary="Prepend one or multiple elements to a list")
cmd("RPUSH key element [element ...]", -3, "write denyoom fast", keys=(1, 1, 1),
    key_flags=("RW", "insert"), complexity=PUSH_CX,
    summary="Append one or multiple elements to a list")
cmd("LPUSHX key element [element ...]", -3, "write denyoom fast", keys=(1, 1, 1),
    since="2.2.0", key_flags=("RW", "insert"), complexity=PUSH_CX,
    summary="Prepend an element to a list, only if the list exists")
cmd("RPUSHX key element [element ...]", -3, "write denyoom fast", keys=(1, 1, 1),
    since="2.2.0", key_flags=("RW", "insert"), complexity=PUSH_CX,
    summary="Append an element to a list, only if the list exists")
cmd("LPOP key [count]", -2, "write fast", keys=(1, 1, 1),
    key_flags=("RW", "access", "delete"), complexity=POP_CX,
    summary="Remove and get the first elements in a list")
cmd("RPOP key [count]", -2, "write fast", keys=(1, 1, 1),
    key_flags=("RW", "access", "delete"), complexity=POP_CX,
    summary="Remove and get the last elements in a list")
cmd("LLEN key", 2, "readonly fast", keys=(1, 1, 1), key_flags=("RO",),
    summary="Get the length of a list")
cmd("LRANGE key start stop", 4, "readonly", keys=(1, 1, 1),
    key_flags=("RO", "access"),
    complexity="O(S+N) where S is the distance of start offset from HEAD for small lists, from "
               "nearest end (HEAD or TAIL) for large lists; and N is the number of elements in "
               "the specified range.",
    summary="Get a range of elements from a list")
cmd("LINDEX key index", 3, "readonly", keys=(1, 1, 1), key_flags=("RO", "access"),
    complexity="O(N) where N is the number of elements to traverse to get to the element at "
               "index. This makes asking for the first or the last element of the list O(1).",
    summary="Get an element from a list by its index")
cmd("LSET key index element", 4, "write denyoom", keys=(1, 1, 1),
    key_flags=("RW", "update"),
    complexity="O(N) where N is the length of the list. Setting either the first or the last "
               "element of the list is O(1).",
    summary="Set the value of an element in a list by its index")
cmd("LINSERT key BEFORE | AFTER pivot element", 5, "write denyoom",
    keys=(1, 1, 1), since="2.2.0", key_flags=("RW", "insert"),
    complexity="O(N) where N is the number of elements to traverse before seeing the value "
               "pivot. This means that inserting somewhere on the left end on the list (head) "
               "can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
    summary="Insert an element before or after another element in a list")
cmd("LREM key count element", 4, "write", keys=(1, 1, 1),
    key_flags=("RW", "delete"),
    complexity="O(N+M) where N is the length of the list and M is the number of elements "
               "removed.",
    summary="Remove elements from a list")
cmd("LTRIM key start stop", 4, "write", keys=(1, 1, 1), key_flags=("RW", "delete"),
    complexity="O(N) where N is the number of elements to be removed by the operation.",
    summary="Trim a list to the specified range")
cmd("LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]", -3, "readonly",
    keys=(1, 1, 1), since="6.0.6", key_flags=("RO", "access"),
    complexity="O(N) where N is the number of elements in the list, for the average case. When "
               "searching for elements near the head or the tail of the list, or when the "
               "MAXLEN option is provided, the command may run in constant time.",
    summary="Return the index of matching elements on a list")
cmd("LMOVE source destination LEFT | RIGHT LEFT | RIGHT", 5, "write denyoom",
    keys=(1, 2, 1), since="6.2.0", key_specs=MOVE_KEYS,
    summary="Pop an element from a list, push it to another list and return it")
cmd("RPOPLPUSH source destination", 3, "write denyoom", keys=(1, 2, 1),
    since="1.2.0", key_specs=MOVE_KEYS,
    summary="Remove the last element in a list, prepend it to another list and return it")
cmd("LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count]", -4, "write movablekeys",
    since="7.0.0", key_specs=(KeynumSpec(("RW", "access", "delete"), 1),),
    complexity="O(N+M) where N is the number of provided keys and M is the number of elements "
               "returned.",
    summary="Pop elements from a list")
cmd("BLPOP key [key ...] timeout", -3, "write noscript blocking", keys=(1, -2, 1),
    since="2.0.0", key_specs=BPOP_KEYS,
    complexity="O(N) where N is the number of provided keys.",
    summary="Remove and get the first element in a list, or block until one is available")
cmd("BRPOP key [key ...] timeout", -3, "write noscript blocking", keys=(1, -2, 1),
    since="2.0.0", key_specs=BPOP_KEYS,
    complexity="O(N) where N is the number of provided keys.",
    summary="Remove and get the last element in a list, or block until one is available")
cmd("BLMOVE source destination LEFT | RIGHT LEFT | RIGHT timeout", 6,
    "write denyoom noscript blocking", keys=(1, 2, 1), since="6.2.0",
    key_specs=MOVE_KEYS,
    summary="Pop an element from a list, push it to another list and return it; or block until "
            "one is available")
cmd("BRPOPLPUSH source destination timeout", 4, "write denyoom noscript blocking",
    keys=(1, 2, 1), since="2.2.0", key_specs=MOVE_KEYS,
    summary="Pop an element from a list, push it to another list and return it; or block until "
            "one is available")
cmd("BLMPOP timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]", -5,
    "write blocking movablekeys", since="7.0.0",
    key_specs=(KeynumSpec(("RW", "access", "delete"), 2),),
    complexity="O(N+M) where N is the number of provided keys and M is the number of elements "
               "returned.",
    summary="Pop elements from a list, or block until one is available")
