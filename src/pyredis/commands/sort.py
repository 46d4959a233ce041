"""SORT and SORT_RO (generic group). The handlers are Cython (fastresp.t_sort); this module
declares them."""
from dataclasses import dataclass

from fastresp.t_sort import HANDLERS

from pyredis.commands.table import Group, KeySpec, status_set

group = Group("generic", handlers=HANDLERS)
cmd = group.native

@dataclass
class UnknownKeySpec(KeySpec):
    """A key spec whose keys cannot be found from the positions alone (SORT's BY/GET patterns
    and its STORE keyword, which may appear anywhere): COMMAND INFO prints "unknown"
    begin_search and find_keys. The keys of such a command come from its `getkeys` function
    (as Redis's getkeys_proc), not from the specs: the static range below is deliberately
    invalid, so a walk over the ranges alone finds no key instead of a wrong one."""
    begin_index: int = 1
    lastkey: int = -(1 << 30)

    def reply(self) -> dict:
        out = {}
        if self.notes:
            out["notes"] = self.notes
        out["flags"] = status_set(self.flags)
        out["begin_search"] = {"type": "unknown", "spec": {}}
        out["find_keys"] = {"type": "unknown", "spec": {}}
        return out


def sort_keys(args: list) -> list:
    """[(key, flags)] of a full SORT / SORT_RO command line, as Redis's sortGetKeys finds
    them: the sorted key, then the destination of the last STORE, skipping the arguments of
    LIMIT (2), GET (1) and BY (1). SORT_RO has no STORE."""
    keys = [(args[1], ("RO", "access"))]
    store = None
    readonly = args[0].lower() == b"sort_ro"
    i = 2
    while i < len(args):
        word = args[i].split(b"\0", 1)[0].lower()
        if word == b"limit":
            i += 2
        elif word in (b"get", b"by"):
            i += 1
        elif word == b"store" and not readonly and i + 1 < len(args):
            store = args[i + 1]
            i += 1
        i += 1
    if store is not None:
        keys.append((store, ("OW", "update")))
    return keys


BY_GET_NOTES = ("For the optional BY/GET keyword. It is marked 'unknown' because the key names "
                "derive from the content of the key we sort")
STORE_NOTES = ("For the optional STORE keyword. It is marked 'unknown' because the keyword can "
               "appear anywhere in the argument array")
COMPLEXITY = ("O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M "
              "the number of returned elements. When the elements are not sorted, complexity "
              "is O(N).")

cmd("SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] "
    "[ALPHA] [STORE destination]", -2, "write denyoom movablekeys", keys=(1, 1, 1),
    acl="set sortedset list dangerous", getkeys=sort_keys, group_category=False,
    key_specs=(KeySpec(("RO", "access"), 1),
               UnknownKeySpec(("RO", "access"), notes=BY_GET_NOTES),
               UnknownKeySpec(("OW", "update"), notes=STORE_NOTES)),
    complexity=COMPLEXITY, summary="Sort the elements in a list, set or sorted set")
cmd("SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] "
    "[ALPHA]", -2, "readonly movablekeys", keys=(1, 1, 1),
    acl="set sortedset list dangerous", since="7.0.0", getkeys=sort_keys, group_category=False,
    key_specs=(KeySpec(("RO", "access"), 1),
               UnknownKeySpec(("RO", "access"), notes=BY_GET_NOTES)),
    complexity=COMPLEXITY,
    summary="Sort the elements in a list, set or sorted set. Read-only variant of SORT.")
