"""The command table: every command is declared once, as data.

A declaration carries what dispatch needs (name, arity, flags, handler), what COMMAND INFO and
COMMAND DOCS reply (key positions and key specs, ACL categories, tips, summary, complexity,
since, arguments derived from the usage line), and the usage line itself.

Each command-group module (strings.py, keys.py, ...) makes a `Group` and declares its commands
with `group.native(...)` for Cython handlers or the `@group.command(...)` decorator for Python
handlers. A native command's handler is found by the name its usage line starts with ("get",
or "object|encoding" for a subcommand) in the HANDLERS table of the Cython module the group
draws on, so the name is written once here. Python handlers are called as
``handler(server, client, args)`` with args a list of bytes (args[0] is the command name) and
return the reply value (see fastresp.reply.reply_value) or raise CommandError.

Roles (`roles=`) tell the dispatcher what to do with a command beyond its flags (names in
fastresp.core.COMMAND_ROLES): `not_queued` runs at once inside MULTI (EXEC, DISCARD, MULTI,
WATCH, QUIT, RESET), `subscribed_context` is allowed to a RESP2 client in subscribed mode,
`paused_as_write` is held by CLIENT PAUSE WRITE (PUBLISH), `refused_on_write_error` is refused
like a write while persistence fails (PING).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fastresp.core import COMMAND_FLAGS, COMMAND_ROLES
from fastresp.reply import SetReply, Status
from fastresp.util import parse_ll

# ACL categories in the order Redis prints them.
ACL_ORDER = ("keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
             "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
             "dangerous", "connection", "transaction", "scripting")

# The ACL category each command group implies.
GROUP_CATEGORY = {"string": "string", "generic": "keyspace", "list": "list", "hash": "hash",
                  "set": "set", "sorted-set": "sortedset", "connection": "connection",
                  "pubsub": "pubsub", "transactions": "transaction", "scripting": "scripting",
                  "stream": "stream", "bitmap": "bitmap", "hyperloglog": "hyperloglog",
                  "geo": "geo", "server": None}


@dataclass
class KeySpec:
    """One key spec of COMMAND INFO: where the keys are and what the command does to them."""
    flags: tuple[str, ...]
    begin_index: int
    lastkey: int = 0
    keystep: int = 1
    limit: int = 0
    notes: str = ""

    def reply(self) -> dict:
        out = {}
        if self.notes:
            out["notes"] = self.notes
        out["flags"] = status_set(self.flags)
        out["begin_search"] = {"type": "index", "spec": {"index": self.begin_index}}
        out["find_keys"] = self.find_keys()
        return out

    def find_keys(self) -> dict:
        return {"type": "range", "spec": {"lastkey": self.lastkey, "keystep": self.keystep,
                                          "limit": self.limit}}

    def positions(self, args: list[bytes]) -> range | None:
        """Where this spec's keys are in a full command line, or None when the line does not
        fit the spec (COMMAND GETKEYS then answers "Invalid arguments")."""
        argc, first = len(args), self.begin_index
        if self.lastkey >= 0:
            last = first + self.lastkey
        elif not self.limit:
            last = argc + self.lastkey
        else:
            last = first + ((argc - first) // self.limit + self.lastkey)
        if last >= argc or last < first or first >= argc:
            return None
        return range(first, last + 1, self.keystep)


@dataclass
class KeynumSpec(KeySpec):
    """A key spec whose keys follow a count argument (ZUNIONSTORE dst numkeys key ...):
    the count is at begin_index + keynumidx, the keys start at begin_index + firstkey."""
    keynumidx: int = 0
    firstkey: int = 1

    def find_keys(self) -> dict:
        return {"type": "keynum", "spec": {"keynumidx": self.keynumidx,
                                           "firstkey": self.firstkey, "keystep": self.keystep}}

    def positions(self, args: list[bytes]) -> range | None:
        first = self.begin_index
        if first + self.keynumidx >= len(args):
            return None
        numkeys = parse_ll(args[first + self.keynumidx])
        if numkeys is None or numkeys < 0:
            return None
        first += self.firstkey
        last = first + numkeys - 1
        if last >= len(args) or last < first:
            return None
        return range(first, last + 1, self.keystep)


def set_reply(items) -> SetReply:
    """A RESP set whose element order is fixed (Redis prints flags in a fixed order)."""
    return SetReply(items)


def status_set(items) -> SetReply:
    """A set of simple strings: how Redis prints command flags, ACL categories and key-spec
    flags (tips and names are bulk strings)."""
    return SetReply(Status(item) for item in items)


def _bits(names, bit_of: dict) -> int:
    """The union of the bits of the given names (COMMAND_FLAGS, COMMAND_ROLES)."""
    bits = 0
    for name in names:
        bits |= bit_of[name]
    return bits


@dataclass
class CommandSpec:
    name: str                      # lower case; a subcommand's own name ("get" of CONFIG GET)
    arity: int                     # exact argc, or -N for at least N
    flags: tuple[str, ...]         # COMMAND INFO flags
    usage: str                     # "SET key value [NX | XX] ..."
    group: str
    since: str
    summary: str
    complexity: str
    handler: object                # fastresp NativeHandler or a Python function
    first_key: int = 0
    last_key: int = 0
    key_step: int = 0
    acl: tuple[str, ...] = ()      # extra ACL categories ("dangerous", ...)
    tips: tuple[str, ...] = ()
    key_specs: tuple[KeySpec, ...] = ()
    parent: "CommandSpec | None" = None
    subcommands: list["CommandSpec"] = field(default_factory=list)
    orig_name: str = ""            # set on a copy renamed by rename-command: its real name
    getkeys: object = None         # fn(args) -> [(key, flags)] when the key specs cannot find
                                   # the keys (SORT's STORE), as Redis's getkeys_proc
    group_category: bool = True    # the group implies an ACL category (not for SORT)
    doc_arguments: list | None = None  # COMMAND DOCS arguments when the usage grammar cannot
                                       # express them (PSUBSCRIBE's block)
    roles: tuple[str, ...] = ()    # what the dispatcher does beyond the flags (COMMAND_ROLES)

    @property
    def fullname(self) -> str:
        """The name COMMAND INFO/DOCS/LIST print: a renamed command keeps its original name,
        as in Redis ("config|get" even when CONFIG is reached as something else)."""
        if self.parent:
            return f"{self.parent.fullname}|{self.name}"
        return self.orig_name or self.name

    @property
    def flag_bits(self) -> int:
        return _bits(self.flags, COMMAND_FLAGS)

    @property
    def role_bits(self) -> int:
        return _bits(self.roles, COMMAND_ROLES)

    @property
    def categories(self) -> list[str]:
        """ACL categories, derived from the flags and the group like Redis derives them."""
        cats = set(self.acl)
        if "write" in self.flags:
            cats.add("write")
        if "readonly" in self.flags and self.group != "scripting":
            cats.add("read")
        if "admin" in self.flags:
            cats.update(("admin", "dangerous"))
        if "pubsub" in self.flags:
            cats.add("pubsub")
        if "blocking" in self.flags:
            cats.add("blocking")
        cats.add("fast" if "fast" in self.flags else "slow")
        implied = GROUP_CATEGORY.get(self.group) if self.group_category else None
        if implied and not (self.subcommands and self.parent is None):
            cats.add(implied)
        return ["@" + c for c in ACL_ORDER if c in cats]

    def info_reply(self) -> list:
        """This command's COMMAND INFO entry, typed as Redis types it: flags and categories are
        sets of simple strings, tips a set of bulk strings, key specs a set of maps, and the
        subcommands an array (an empty set when the command has none)."""
        order = sorted(self.flags, key=lambda f: COMMAND_FLAGS[f])
        subs = ([sub.info_reply() for sub in self.subcommands] if self.subcommands
                else set_reply(()))
        return [self.fullname, self.arity, status_set(order), self.first_key, self.last_key,
                self.key_step, status_set(self.categories), set_reply(self.tips),
                set_reply([ks.reply() for ks in self.key_specs]), subs]


class Group:
    """The commands of one group, as declared by its module; `handlers` is the HANDLERS table
    (name -> native handler) of the Cython module(s) its native commands come from."""

    def __init__(self, name: str, since: str = "1.0.0", handlers: dict | None = None):
        self.name = name
        self.default_since = since
        self.handlers = handlers or {}
        self.specs: list[CommandSpec] = []
        self._containers: dict[str, CommandSpec] = {}

    def _make(self, usage, arity, flags, handler, *, keys=(0, 0, 0), since=None, summary="",
              complexity="O(1)", acl="", tips="", key_flags=None, key_specs=None,
              parent=None, getkeys=None, group_category=True, doc_arguments=None,
              roles="") -> CommandSpec:
        words = usage.split()
        name = (words[1] if parent else words[0]).lower()
        first, last, step = keys
        if key_specs is None:
            key_specs = ()
            if first:
                last_rel = -1 if last < 0 else last - first
                key_specs = (KeySpec(tuple(key_flags or ("RW",)), first, last_rel, step),)
        spec = CommandSpec(name=name, arity=arity, flags=tuple(flags.split()), usage=usage,
                           group=self.name, since=since or self.default_since, summary=summary,
                           complexity=complexity, handler=handler, first_key=first,
                           last_key=last, key_step=step, acl=tuple(acl.split()),
                           tips=tuple(tips.split()), key_specs=tuple(key_specs),
                           getkeys=getkeys, group_category=group_category,
                           doc_arguments=doc_arguments, roles=tuple(roles.split()))
        if parent:
            container = self._containers[parent]
            spec.parent = container
            container.subcommands.append(spec)
        else:
            self.specs.append(spec)
        return spec

    def container(self, name: str, summary: str, since: str | None = None, *, arity=-2,
                  flags="", handler=None, acl="", tips="",
                  complexity="Depends on subcommand.") -> CommandSpec:
        """A command made of subcommands (CONFIG, CLIENT, OBJECT ...). A handler, if given,
        runs when the command comes without a subcommand (COMMAND)."""
        spec = CommandSpec(name=name.lower(), arity=arity, flags=tuple(flags.split()),
                           usage=name.upper(), group=self.name,
                           since=since or self.default_since, summary=summary,
                           complexity=complexity, handler=handler, acl=tuple(acl.split()),
                           tips=tuple(tips.split()))
        self._containers[name.lower()] = spec
        self.specs.append(spec)
        return spec

    def native(self, usage: str, arity: int, flags: str, **kw) -> CommandSpec:
        """Declare a command implemented in Cython: its handler is the group's handler named
        by the usage line ("GET key" -> "get"; a subcommand's "parent|name")."""
        words = usage.split()
        parent = kw.get("parent")
        name = f"{parent}|{words[1].lower()}" if parent else words[0].lower()
        return self._make(usage, arity, flags, self.handlers[name], **kw)

    def command(self, usage: str, arity: int, flags: str = "", **kw):
        """Decorator declaring a command implemented by the decorated Python function."""
        def register(fn):
            self._make(usage, arity, flags, fn, **kw)
            return fn
        return register


def subcommand_names(spec: CommandSpec) -> list[str]:
    return [sub.name.upper() for sub in spec.subcommands]
