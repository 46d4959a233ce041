"""Apply steps: how the running server follows the value of a setting.

A :class:`~pyredis.config.settings.Setting` names its apply step (``apply=``), as Redis's config
entries do.  Each is ``apply(server, value)``, called with the setting's typed value; it reaches
the server only through its public attributes (``core``, ``keyspace``, ``log``, ``aof``,
``persistence``, ``config``, ``fit_maxclients``) and may raise ``CommandError(reason)`` to refuse
a CONFIG SET.  When the steps run (at start-up, on each change, again on a rollback) is the
engine's business: see :meth:`pyredis.config.engine.Config.attach` and
:meth:`~pyredis.config.engine.Config.set`.
"""

from __future__ import annotations

from fastresp.rdb import configure as rdb_configure

from pyredis.errors import CommandError

LRU_POLICIES = ("allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu")


def core_attr(attr: str):
    """The apply step that copies the value into the core's attribute ``attr``."""
    def apply(server, value) -> None:
        setattr(server.core, attr, value)
    apply.__name__ = apply.__qualname__ = f"core_attr({attr!r})"
    return apply


def keyspace_option(option: str):
    """The apply step that hands the value to the keyspace as ``configure(option=value)``."""
    def apply(server, value) -> None:
        server.keyspace.configure(**{option: value})
    apply.__name__ = apply.__qualname__ = f"keyspace_option({option!r})"
    return apply


def apply_timeout(server, seconds: int) -> None:
    server.core.idle_timeout_ms = seconds * 1000


def apply_requirepass(server, password: str) -> None:
    server.core.auth_required = bool(password)


def apply_loglevel(server, level: str) -> None:
    server.log.set_level(level)


def apply_maxclients(server, value: int) -> None:
    """Refuse a maxclients the open-files limit cannot carry (after trying to raise it), as
    Redis's CONFIG SET does; start-up lowers it instead (Server.__init__)."""
    fitted = server.fit_maxclients(value)
    if fitted != value:
        server.log.warning("Failed applying new configuration. Possibly related to new "
                           "maxclients setting. Restoring previous settings.")
        raise CommandError("The operating system is not able to handle the specified "
                           f"number of clients, try with {fitted}")
    server.core.maxclients = value


def apply_memory_policy(server, _value) -> None:
    """maxmemory and maxmemory-policy (both read, whichever changed): the keyspace keeps LFU or
    LRU access data, and shares small integer values unless maxmemory is set with an LRU/LFU
    policy; saved files carry idle times under an LRU policy."""
    policy = server.config["maxmemory-policy"]
    server.keyspace.configure(lfu=policy.endswith("lfu"),
                              shared_integers=(server.config["maxmemory"] == 0
                                               or policy not in LRU_POLICIES))
    rdb_configure(lru_policy=policy.endswith("lru"))


def apply_rdbcompression(server, on: bool) -> None:
    rdb_configure(rdbcompression=on)


def apply_output_buffer_limits(server, limits) -> None:
    """The core enforces the pubsub class's limits (hard, soft, soft seconds)."""
    server.core.set_obuf_limits(*limits["pubsub"])


def apply_aof_timestamps(server, on: bool) -> None:
    server.core.set_aof_timestamps(on)


def apply_appendonly(server, on: bool) -> None:
    server.aof.set_enabled(on)


def apply_appendfsync(server, policy: str) -> None:
    server.aof.set_fsync(policy)


def apply_write_error(server, _value) -> None:
    """save and stop-writes-on-bgsave-error decide whether a failed BGSAVE stops writes."""
    server.persistence.update_write_error()
