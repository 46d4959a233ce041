"""DEBUG, behind `enable-debug-command` as in Redis 7.0. Only RELOAD [MERGE] [NOFLUSH] [NOSAVE]
is implemented: save the dataset to the RDB file, empty the keyspace and load the file back (the
round trip tests and tools use)."""
from fastresp import rdb
from fastresp.reply import Status
from fastresp.keyspace import Keyspace

from pyredis.commands.table import Group
from pyredis import errors
from pyredis.errors import CommandError
from pyredis.persistence.rdb import SaveError

group = Group("server")

RELOAD_OPTIONS = (b"merge", b"noflush", b"nosave")


def debug_allowed(server, client) -> bool:
    mode = server.config["enable-debug-command"]
    return mode == "yes" or (mode == "local" and server.is_local(client))


# DEBUG subcommand [arg ...]
@group.command("DEBUG", -2, "admin noscript loading stale", acl="dangerous", since="1.0.0",
               complexity="Depends on subcommand.",
               summary="A container for debugging commands")
def debug(server, client, args):
    if not debug_allowed(server, client):
        raise CommandError(errors.DEBUG_NOT_ALLOWED)
    sub = args[1].lower()
    if sub == b"reload":
        return debug_reload(server, [a.lower() for a in args[2:]])
    raise CommandError(errors.subcommand_syntax(args))


def debug_reload(server, options: list[bytes]):
    """DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE], as Redis 7.0: save the dataset to the RDB file
    (unless NOSAVE), empty the keyspace (unless NOFLUSH) and load the file.

    NOFLUSH loads on top of the current dataset: a key present in both is an error unless MERGE
    is given, and then the loaded key replaces the one in memory (value and TTL). Redis 7.0 stops
    the server on such a duplicate ("RDB has duplicated key"); pyredis logs the same line and
    replies an error with the dataset unchanged. The file is read into a scratch keyspace first,
    so a file that cannot be loaded leaves the dataset as it was when NOFLUSH is given (without
    NOFLUSH the keyspace has been emptied, as in Redis)."""
    if any(opt not in RELOAD_OPTIONS for opt in options):
        raise CommandError(errors.DEBUG_RELOAD_OPTIONS)
    if server.loading.active:        # not in the middle of the start-up load
        raise CommandError(errors.LOADING)
    flush = b"noflush" not in options
    merge = b"merge" in options
    if b"nosave" not in options:
        try:
            server.persistence.save()
        except SaveError:
            raise CommandError(errors.SAVE_DB_FAILED) from None
    path = server.config["dbfilename"]
    ks = server.keyspace
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        server.log.warning(f"Error trying to load the RDB dump {path}: {exc.strerror}")
        if flush:
            ks.flushall()
        raise CommandError(errors.LOAD_RDB_FAILED) from None
    if flush:
        ks.flushall()
    else:
        _clear_for_merge(server, data, merge)
    try:
        info = rdb.load_bytes(ks, data) or {}
    except rdb.RdbError as exc:
        server.log.warning(f"Error trying to load the RDB dump {path}: {exc}")
        raise CommandError(errors.LOAD_RDB_FAILED) from None
    server.log.notice(f"Done loading RDB, keys loaded: {int(info.get('keys', 0))}, keys "
                      f"expired: {int(info.get('expired_skipped', 0))}.")
    server.log.warning("DB reloaded by DEBUG RELOAD")
    return Status("OK")


def _clear_for_merge(server, data: bytes, merge: bool) -> None:
    """NOFLUSH: make room for the file's keys. Reads the file into a scratch keyspace (an
    unreadable file or a duplicate without MERGE: error, nothing changed), then removes from the
    dataset every key the file holds (MERGE: the loaded key wins; without MERGE only entries
    that have already expired are left to remove)."""
    ndbs = int(server.config["databases"])
    scratch = Keyspace(ndbs)
    try:
        rdb.load_bytes(scratch, data)
    except rdb.RdbError as exc:
        server.log.warning(f"Error trying to load the RDB dump: {exc}")
        raise CommandError(errors.LOAD_RDB_FAILED) from None
    ks = server.keyspace
    try:
        per_db = [(db, scratch.keys(db)) for db in range(ndbs)]
    finally:
        scratch.flushall()
    if not merge:
        for db, keys in per_db:
            for key in keys:
                if ks.exists(db, key):
                    server.log.warning(f"RDB has duplicated key "
                                       f"'{key.decode('utf-8', 'backslashreplace')}' in DB {db}")
                    raise CommandError(errors.LOAD_RDB_FAILED)
    for db, keys in per_db:
        for key in keys:
            ks.delete(db, key)
