"""Persistence: what a Server keeps on disk and how it gets it back at start-up.

    rdb.py        RDB snapshots (Server.persistence, Persistence): SAVE and BGSAVE, save
                  points, MISCONF after a failed background save, loading at start-up
    aof.py        the multi-part append-only file (Server.aof, AppendOnlyFile): loading at
                  start-up, creating the files, BGREWRITEAOF and auto rewrites, CONFIG SET
                  appendonly/appendfsync, the cron, INFO fields, shutdown
    manifest.py   the AOF manifest's format (Manifest), shared by aof.py and check_aof.py
    loading.py    the loading state (Server.loading: Loading, LoadingAborted) shared by the
                  RDB and AOF loads and INFO
    children.py   the parent's side of a forked background child (BGSAVE, BGREWRITEAOF) and
                  the child's progress reports
    files.py      small file helpers: fsync_file, fsync_dir, unlink_quietly
    check_aof.py  the pyredis-check-aof tool

The commands are in pyredis.commands.persistence. The file formats themselves are not here:
the RDB format (and an AOF base written as commands) is fastresp.rdb's; recording writes into
the AOF and replaying it is the core's (fastresp.core).
"""
