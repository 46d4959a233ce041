"""Every command group; build_table() gives the whole command table."""
from pyredis.commands import (connection, debug, dump, hashes, keys, lists, persistence, pubsub,
                              server, sets, sort, sorted_sets, strings, transactions)
from pyredis.commands.table import CommandSpec

GROUPS = (connection.group, strings.group, keys.group, dump.group, sort.group, lists.group,
          hashes.group, sets.group, sorted_sets.group, transactions.group, pubsub.group,
          persistence.group, debug.group, server.group)


def build_table() -> list[CommandSpec]:
    """All top-level command declarations (containers carry their subcommands)."""
    specs: list[CommandSpec] = []
    for group in GROUPS:
        specs.extend(group.specs)
    names = [s.name for s in specs]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"commands declared twice: {sorted(duplicates)}")
    declared = {id(spec.handler) for top in specs for spec in [top, *top.subcommands]}
    unused = sorted(name for group in GROUPS for name, handler in group.handlers.items()
                    if id(handler) not in declared)
    if unused:
        raise RuntimeError(f"native handlers no command declares: {unused}")
    return specs
