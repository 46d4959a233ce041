"""Persistence: what a Server keeps on disk and how it gets it back.

    rdb.py        RDB snapshots: SAVE, BGSAVE, save points, MISCONF, loading at start-up
                  (and, for now, the loading state and fsync_dir)
    aof.py        the multi-part append-only file: manifest, loading, rewrite, cron, INFO
    children.py   the parent's side of a forked background child (BGSAVE, BGREWRITEAOF)
    check_aof.py  the pyredis-check-aof tool

The file formats themselves are not here: the RDB format (and an AOF base written as
commands) is fastresp.rdb's, recording writes into the AOF and replaying it is the core's.
"""
