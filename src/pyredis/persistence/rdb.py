"""RDB snapshots as Redis 7.0 takes them: SAVE, BGSAVE (a forked child), save points checked by
the cron, the MISCONF write stop after a failed background save, loading at start-up, and the
final save on shutdown.

The file format itself is fastresp.rdb's (save(keyspace, path, ...) / load(keyspace, path));
this module is the life cycle around it: temp file, fsync, rename, directory fsync, the child
process, its reaping, and the counters INFO persistence prints.
"""
from __future__ import annotations

import os
import signal
import time

from fastresp import rdb
from fastresp.keyspace import heap_in_use

from pyredis import errors
from pyredis.persistence.children import ChildOwner
from pyredis.persistence.files import fsync_dir, fsync_file, unlink_quietly

BGSAVE_RETRY_DELAY = 5          # seconds before a save point retries after a failed BGSAVE
MISCONF_RDB = errors.MISCONF_RDB.encode()     # what writes answer while saves fail


class SaveError(Exception):
    """A foreground save failed; the reason has been logged."""


class Persistence(ChildOwner):
    """The RDB side of a Server: state, commands' work, the cron hook."""

    def __init__(self, server):
        self.server = server
        self.config = server.config
        self.keyspace = server.keyspace
        self.core = server.core
        self.log = server.log
        self.lastsave = int(time.time())      # last successful save (LASTSAVE)
        self.lastbgsave_try = 0
        self.lastbgsave_ok = True
        self.child_pid = -1
        self.child_start = 0.0                # monotonic
        self.child_pipe = -1
        self.child_keys_total = 0
        self.dirty_before_bgsave = 0
        self.bgsave_scheduled = False
        self.last_bgsave_time_sec = -1
        self.rdb_saves = 0
        self.last_cow_size = 0
        self.total_forks = 0
        self.latest_fork_usec = 0
        self.last_load_keys_loaded = 0
        self.last_load_keys_expired = 0

    # ----- MISCONF
    def update_write_error(self) -> None:
        """Refuse writes (MISCONF) while the last background save failed, save points are set
        and stop-writes-on-bgsave-error is on, as Redis does; leave other errors alone."""
        deny = (not self.lastbgsave_ok and self.config["stop-writes-on-bgsave-error"]
                and bool(self.config["save"]))
        if deny:
            self.core.write_error = MISCONF_RDB
        elif self.core.write_error == MISCONF_RDB:
            self.core.write_error = None

    # ----- writing a file
    def _write(self, tmpname: str) -> None:
        """rdb.save into tmpname in the current directory (the server's `dir`), fsynced, renamed
        over dbfilename, directory fsynced. Raises SaveError after logging as Redis does."""
        dbfilename = self.config["dbfilename"]
        try:
            aux = rdb.default_aux()
            aux[b"used-mem"] = str(heap_in_use()).encode()
            rdb.save(self.keyspace, tmpname, compress=self.config["rdbcompression"],
                     checksum=self.config["rdbchecksum"], aux=aux,
                     progress=self.child_progress(),
                     key_delay=self.config["rdb-key-save-delay"])
            fsync_file(tmpname)
        except (OSError, rdb.RdbError) as exc:
            reason = os.strerror(exc.errno) if getattr(exc, "errno", None) else str(exc)
            if not os.path.exists(tmpname):
                self.log.warning(f"Failed opening the temp RDB file {tmpname} (in server root "
                                 f"dir {self._cwd()}) for saving: {reason}")
            else:
                self.log.warning(f"Write error saving DB on disk: {reason}")
            unlink_quietly(tmpname)
            raise SaveError() from None
        try:
            os.rename(tmpname, dbfilename)
        except OSError as exc:
            self.log.warning(f"Error moving temp DB file {tmpname} on the final destination "
                             f"{dbfilename} (in server root dir {self._cwd()}): "
                             f"{os.strerror(exc.errno or 0)}")
            unlink_quietly(tmpname)
            raise SaveError() from None
        try:
            fsync_dir(".")
        except OSError as exc:
            self.log.warning(f"Failed to fsync directory while saving DB: {exc.strerror}")
            raise SaveError() from None

    @staticmethod
    def _cwd() -> str:
        try:
            return os.getcwd()
        except OSError as exc:
            return f"unknown: {exc.strerror}"

    # ----- SAVE
    def save(self) -> None:
        """A foreground save (SAVE, SHUTDOWN): raises SaveError when it fails."""
        self.rdb_saves += 1
        self._write(f"temp-{os.getpid()}.rdb")
        self.log.notice("DB saved on disk")
        self.keyspace.dirty = 0
        self.lastsave = int(time.time())
        self.lastbgsave_ok = True
        self.update_write_error()

    # ----- BGSAVE
    @property
    def child_running(self) -> bool:
        return self.child_pid > 0

    def bgsave(self) -> bool:
        """Fork a child that writes the snapshot; False (logged) if the fork failed."""
        self.lastbgsave_try = int(time.time())
        self.dirty_before_bgsave = self.keyspace.dirty
        try:
            self.latest_fork_usec = self.fork_child(self._save_in_child, "RDB")
        except OSError as exc:
            self.lastbgsave_ok = False
            self.update_write_error()
            self.log.warning(f"Can't save in background: fork: {exc.strerror}")
            return False
        pid = self.child_pid
        self.total_forks += 1
        self.rdb_saves += 1
        self.log.notice(f"Background saving started by pid {pid}")
        return True

    def _save_in_child(self) -> bool:
        """The BGSAVE child's work."""
        try:
            self._write(f"temp-{os.getpid()}.rdb")
        except SaveError:
            return False
        self.log.notice("DB saved on disk")
        return True

    def child_temp_file(self, pid: int) -> str:
        return f"temp-{pid}.rdb"

    def reap(self) -> None:
        """Cron: has the child finished? Account for its result as Redis does."""
        if not self.child_running:
            return
        done = self.poll_child()
        if done is None:
            return
        pid, status, cow = done
        self.last_bgsave_time_sec = int(time.monotonic() - self.child_start)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            self.log.warning(f"Background saving terminated by signal {sig}")
            unlink_quietly(self.child_temp_file(pid))
            if sig != signal.SIGUSR1:           # SIGUSR1: killed on purpose, not an error
                self.lastbgsave_ok = False
        elif os.WEXITSTATUS(status) == 0:
            self.log.notice("Background saving terminated with success")
            self.keyspace.dirty = max(self.keyspace.dirty - self.dirty_before_bgsave, 0)
            self.lastsave = int(time.time())
            self.lastbgsave_ok = True
            self.last_cow_size = cow
        else:
            self.log.warning("Background saving error")
            self.lastbgsave_ok = False
        self.update_write_error()

    # ----- the cron
    def cron(self) -> None:
        """Reap the child; start a scheduled BGSAVE or one a save point asks for."""
        if self.child_running:
            self.reap()
            if self.child_running:
                return
        if self.server.aof.child_pid > 0:
            return                       # one child at a time: an AOF rewrite is running
        now = int(time.time())
        may_retry = self.lastbgsave_ok or now - self.lastbgsave_try > BGSAVE_RETRY_DELAY
        if self.bgsave_scheduled and may_retry:
            self.bgsave_scheduled = False
            self.bgsave()
            return
        if not may_retry:
            return
        dirty = self.keyspace.dirty
        for seconds, changes in self.config["save"]:
            if dirty >= changes and now - self.lastsave > seconds:
                self.log.notice(f"{changes} changes in {seconds} seconds. Saving...")
                self.bgsave()
                return

    # ----- start-up
    def load_at_startup(self) -> bool:
        """Load dir/dbfilename if it exists (appendonly no). False: the file is bad (logged);
        the server must not start."""
        path = self.config["dbfilename"]
        if not os.path.exists(path):
            return True
        started = time.monotonic()
        self.server.loading.start(os.path.getsize(path))
        try:
            info = rdb.load(self.keyspace, path, self.server.loading.progress) or {}
        except rdb.RdbError as exc:
            message = getattr(exc, "message", str(exc))
            self.log.warning(f"Internal error in RDB reading offset {getattr(exc, 'offset', 0)}"
                             f", function at rdb.pyx -> {message} (file {path})")
            return False
        except OSError as exc:
            self.log.warning(f"Fatal error loading the DB: {exc.strerror}. Exiting.")
            return False
        finally:
            self.server.loading.end()
        aux = info.get("aux") or {}
        aux = {(k.decode() if isinstance(k, bytes) else k):
               (v.decode(errors="replace") if isinstance(v, bytes) else v)
               for k, v in aux.items()}
        if "redis-ver" in aux:
            self.log.notice(f"Loading RDB produced by version {aux['redis-ver']}")
        if "ctime" in aux:
            try:
                age = int(time.time()) - int(aux["ctime"])
                self.log.notice(f"RDB age {max(age, 0)} seconds")
            except ValueError:
                pass
        if "used-mem" in aux:
            try:
                mb = int(aux["used-mem"]) / (1024 * 1024)
                self.log.notice(f"RDB memory usage when created {mb:.2f} Mb")
            except ValueError:
                pass
        self.last_load_keys_loaded = int(info.get("keys", 0))
        self.last_load_keys_expired = int(info.get("expired_skipped", 0))
        self.log.notice(f"Done loading RDB, keys loaded: {self.last_load_keys_loaded}, "
                        f"keys expired: {self.last_load_keys_expired}.")
        self.log.notice(f"DB loaded from disk: {time.monotonic() - started:.3f} seconds")
        self.keyspace.dirty = 0
        return True

    # ----- INFO
    def _current_child_fields(self) -> list:
        """The running child's progress (BGSAVE's or BGREWRITEAOF's: Redis shows either in the
        same fields) as the cron last read it; zeros with no child, as Redis shows them."""
        child = self
        if not self.child_running:
            aof = getattr(self.server, "aof", None)
            child = aof if aof is not None and aof.child_pid > 0 else None
        if child is None:
            return [("current_cow_peak", 0), ("current_cow_size", 0),
                    ("current_cow_size_age", 0), ("current_fork_perc", "0.00"),
                    ("current_save_keys_processed", 0), ("current_save_keys_total", 0)]
        return child.child_info_fields()

    def info_fields(self) -> list:
        running = self.child_running
        current = int(time.monotonic() - self.child_start) if running else -1
        return [
            ("loading", int(self.server.loading.active)),
            ("async_loading", 0),
            *self._current_child_fields(),
            ("rdb_changes_since_last_save", self.keyspace.dirty),
            ("rdb_bgsave_in_progress", int(running)),
            ("rdb_last_save_time", self.lastsave),
            ("rdb_last_bgsave_status", "ok" if self.lastbgsave_ok else "err"),
            ("rdb_last_bgsave_time_sec", self.last_bgsave_time_sec),
            ("rdb_current_bgsave_time_sec", current),
            ("rdb_saves", self.rdb_saves),
            ("rdb_last_cow_size", self.last_cow_size),
            ("rdb_last_load_keys_expired", self.last_load_keys_expired),
            ("rdb_last_load_keys_loaded", self.last_load_keys_loaded),
        ]
