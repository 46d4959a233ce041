"""The append-only file as Redis 7.0 keeps it: a directory (appenddirname) holding a manifest,
one base file (an RDB snapshot, or an AOF) and incremental files of RESP commands.

    dir/appendonlydir/appendonly.aof.manifest
        file appendonly.aof.1.base.rdb seq 1 type b
        file appendonly.aof.1.incr.aof seq 1 type i

The manifest's lines are read and written by manifest.py; this module keeps it on disk.

The core records every write into the open incr file (Core.set_aof); this module is the life
cycle around it: loading at start-up (base through fastresp.rdb or Core.replay, then every incr
file through Core.replay), creating the files on first start, BGREWRITEAOF (a forked child writes
a new base while the parent appends to a new incr file; the manifest is switched atomically),
auto rewrites, CONFIG SET appendonly/appendfsync, INFO fields and shutdown.

Paths are relative: the server runs with `dir` as its working directory.
"""
from __future__ import annotations

import os
import signal
import time

from fastresp import aofbase, rdb
from fastresp.core import MISCONF_AOF_PREFIX
from fastresp.keyspace import heap_in_use

from pyredis.persistence.children import ChildOwner
from pyredis.persistence.files import fsync_dir, fsync_file, unlink_quietly
from pyredis.persistence.manifest import Manifest, ManifestError

FSYNC_POLICIES = {"no": 0, "always": 1, "everysec": 2}


class AofLoadError(Exception):
    """Loading failed: the reason has been logged; the server must exit 1."""


class AppendOnlyFile(ChildOwner):
    def __init__(self, server):
        self.server = server
        self.config = server.config
        self.core = server.core
        self.keyspace = server.keyspace
        self.log = server.log
        self.enabled = False               # recording into an incr file
        self.waiting_rewrite = False       # turned on at run time: base being written
        self.manifest: Manifest | None = None
        self.fd = -1
        self.incr_name = ""
        self.size_before = 0               # base + incr sizes at the last switch
        self.base_size = 0
        self.child_pid = -1
        self.child_start = 0.0
        self.child_pipe = -1
        self.child_incr_seq = 0
        self.child_records = True
        self.rewrite_scheduled = False
        self.last_rewrite_time_sec = -1
        self.last_bgrewrite_ok = True
        self.rewrites = 0
        self.consecutive_failures = 0
        self.last_cow_size = 0

    # ----- names
    @property
    def dirname(self) -> str:
        return self.config["appenddirname"]

    @property
    def filename(self) -> str:
        return self.config["appendfilename"]

    def path(self, name: str) -> str:
        return os.path.join(self.dirname, name)

    @property
    def manifest_name(self) -> str:
        return self.filename + ".manifest"

    def _base_name(self, seq: int) -> str:
        ext = "rdb" if self.config["aof-use-rdb-preamble"] else "aof"
        return f"{self.filename}.{seq}.base.{ext}"

    def _incr_name(self, seq: int) -> str:
        return f"{self.filename}.{seq}.incr.aof"

    def _policy(self) -> int:
        return FSYNC_POLICIES.get(self.config["appendfsync"], 2)

    # ----- the manifest on disk
    def _persist_manifest(self, m: Manifest, with_history: bool = False) -> None:
        """temp file, fsync, rename, directory fsync (Redis's persistAofManifest)."""
        tmp = self.path("temp-" + self.manifest_name)
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(m.text(with_history))
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, self.path(self.manifest_name))
        fsync_dir(self.dirname)

    def _read_manifest(self) -> Manifest | None:
        path = self.path(self.manifest_name)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return None
        return Manifest.parse(raw.decode("utf-8", "surrogateescape"))

    # ----- loading
    def _fail(self, message: str):
        self.log.warning(message)
        raise AofLoadError(message)

    def load_at_startup(self) -> bool:
        """Load the AOF set (appendonly yes). False: it could not be loaded (logged); the
        server must exit 1 without serving."""
        try:
            self._load()
        except AofLoadError:
            return False
        finally:
            self.server.loading.end()
        self.keyspace.dirty = 0
        return True

    def _load(self) -> None:
        try:
            m = self._read_manifest()
        except ManifestError as exc:
            self._fail(f"{exc} (manifest {self.path(self.manifest_name)})")
        except OSError as exc:
            self._fail(f"Can't open the AOF manifest file {self.manifest_name} for reading: "
                       f"{exc.strerror}")
        if self._old_style_pending(m):
            m = self._upgrade_old_aof()
        if m is None:
            self.manifest = None
            return
        self.manifest = m
        for name in m.files():
            if not os.path.exists(self.path(name)):
                self._fail(f"Unable to obtain the AOF file {name} length. stat: No such file "
                           f"or directory")
        started = time.monotonic()
        self.base_size = 0
        files = m.files()
        self.loaded_before = 0           # bytes of the files already loaded (progress)
        self.server.loading.start(sum(os.path.getsize(self.path(n)) for n in files))
        for idx, name in enumerate(files):
            is_base = m.base is not None and idx == 0
            t0 = time.monotonic()
            loaded = self._load_file(name, is_base=is_base, last=idx == len(files) - 1)
            self.loaded_before += os.path.getsize(self.path(name))
            if loaded:
                kind = "base" if is_base else "incr"
                self.log.notice(f"DB loaded from {kind} file {name}: "
                                f"{time.monotonic() - t0:.3f} seconds")
        self.log.notice(f"DB loaded from append only file: "
                        f"{time.monotonic() - started:.3f} seconds")

    def _old_style_pending(self, m: Manifest | None) -> bool:
        """A Redis 6 style appendonly.aof in dir that Redis 7.0 would migrate: there is no AOF
        directory, or its manifest is missing, or the manifest is the one a migration writes
        (only a base named like the old file) while the file is still outside the directory
        (the migration was interrupted between the manifest and the rename)."""
        if not os.path.isfile(self.filename):
            return False
        if not os.path.isdir(self.dirname) or m is None:
            return True
        return (m.base is not None and not m.incrs and m.base[0] == self.filename
                and not os.path.exists(self.path(self.filename)))

    def _upgrade_old_aof(self) -> Manifest:
        """Move a Redis < 7 appendonly.aof into the AOF directory as the base, as Redis 7.0 does:
        the manifest naming it is persisted first (temp file, fsync, rename, directory fsync),
        then the file is renamed; a crash in between is finished on the next start."""
        try:
            os.makedirs(self.dirname, exist_ok=True)
            m = Manifest()
            m.base = (self.filename, 1)
            self._persist_manifest(m)
            os.rename(self.filename, self.path(self.filename))
            fsync_dir(self.dirname)
            fsync_dir(".")
        except OSError as exc:
            self._fail(f"Error moving the old AOF file {self.filename} into dir "
                       f"{self.dirname}: {exc.strerror}")
        self.log.notice(f"Successfully migrated an old-style AOF file ({self.filename}) into "
                        f"the AOF directory ({self.dirname}).")
        return m

    def _log_rdb_info(self, info: dict) -> None:
        aux = {k: (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
               for k, v in (info.get("aux") or {}).items()}
        if "redis-ver" in aux:
            self.log.notice(f"Loading RDB produced by version {aux['redis-ver']}")
        try:
            if "ctime" in aux:
                self.log.notice(f"RDB age {max(int(time.time()) - int(aux['ctime']), 0)} "
                                f"seconds")
            if "used-mem" in aux:
                self.log.notice(f"RDB memory usage when created "
                                f"{int(aux['used-mem']) / (1024 * 1024):.2f} Mb")
        except ValueError:
            pass
        if aux.get("aof-base") == "1":
            self.log.notice("RDB is base AOF")
        self.log.notice(f"Done loading RDB, keys loaded: {int(info.get('keys', 0))}, "
                        f"keys expired: {int(info.get('expired_skipped', 0))}.")

    def _load_file(self, name: str, is_base: bool, last: bool) -> bool:
        """Load one file of the set; False when it is empty (nothing to log)."""
        path = self.path(name)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as exc:
            self._fail(f"Fatal error: can't open the append only file {name} for reading: "
                       f"{exc.strerror}")
        if is_base:
            self.base_size = len(data)
        if not data:
            return False
        start = 0
        if is_base and data[:5] == b"REDIS":
            # an RDB base, or (a migrated Redis 6 file) an RDB preamble and then commands
            preamble = name == self.filename
            self.log.notice("Reading RDB preamble from AOF file..." if preamble
                            else "Reading RDB base file on AOF loading...")
            try:
                info = rdb.load_bytes(self.keyspace, data,
                                      lambda at: self.server.loading.progress(
                                          self.loaded_before + at))
            except rdb.RdbError as exc:
                self._fail(f"Bad file format reading the append only file {name} (RDB base "
                           f"at offset {getattr(exc, 'offset', 0)}): "
                           f"{getattr(exc, 'message', str(exc))}")
            start = info["end"]          # commands may follow the image
            self._log_rdb_info(info)
            if preamble:
                self.log.notice("Reading the remaining AOF tail...")
            if start == len(data):
                return True
        tail = data[start:] if start else data
        # one pass in the core: it runs the commands and says where and why it stopped
        done = self.loaded_before + start
        end, status, multi_at, unknown = self.core.replay(
            self.core.fake_client("aof"), tail,
            lambda at: self.server.loading.progress(done + at))
        end += start
        if multi_at >= 0:
            multi_at += start
        if status == "bad":
            self._fail(f"Bad file format reading the append only file {name} at offset {end}: "
                       f"make a backup of your AOF file, then use ./redis-check-aof --fix "
                       f"<filename.manifest>")
        if status == "unknown":
            self._fail(f"Unknown command '{unknown.decode('utf-8', 'replace')}' reading the "
                       f"append only file {name} at offset {end}")
        cut = len(data)
        if status == "truncated" or multi_at >= 0:
            cut = multi_at if multi_at >= 0 else end
            if not last:
                self._fail(f"Unexpected end of file reading the append only file {name} at "
                           f"offset {end} (it is not the last file of the set)")
            if not self.config["aof-load-truncated"]:
                self._fail(f"Unexpected end of file reading the append only file {name}. You "
                           f"can: 1) Make a backup of your AOF file, then use ./redis-check-aof "
                           f"--fix <filename.manifest>. 2) Alternatively you can set the "
                           f"'aof-load-truncated' configuration option to yes and restart the "
                           f"server.")
            if multi_at >= 0 and status == "ok":
                self.log.warning("Revert incomplete MULTI/EXEC transaction in AOF file " + name)
            else:
                self.log.warning(f"!!! Warning: short read while loading the AOF file {name}!!!")
            self.log.warning(f"!!! Truncating the AOF {name} at offset {cut} !!!")
        if cut != len(data):
            try:
                os.truncate(path, cut)
            except OSError as exc:
                self._fail(f"Error truncating the AOF file {name}: {exc.strerror}")
            self.log.warning(f"AOF {name} loaded anyway because aof-load-truncated is enabled")
        return True

    # ----- running
    def start(self) -> None:
        """After loading (appendonly yes): create the set if there is none, open the last incr
        file and record into it."""
        if not self.config["appendonly"]:
            return
        os.makedirs(self.dirname, exist_ok=True)
        m = self.manifest
        if m is None:
            m = Manifest()
            base = self._base_name(1)
            self._write_base(self.path(base))
            self.log.notice(f"Creating AOF base file {base} on server start")
            m.base = (base, 1)
            self.base_size = os.path.getsize(self.path(base))
        if not m.incrs:
            seq = 1 if m.base is None else m.base[1]
            name = self._incr_name(seq)
            self._open_incr(name)
            m.incrs.append((name, seq))
            self.log.notice(f"Creating AOF incr file {name} on server start")
            self._persist_manifest(m)
        else:
            name = m.incrs[-1][0]
            self._open_incr(name)
            self.log.notice(f"Opening AOF incr file {name} on server start")
        self.manifest = m
        self.size_before = self._set_size(m)
        self.enabled = True
        self.core.set_aof(self.fd, self._policy())

    def _set_size(self, m: Manifest) -> int:
        total = 0
        for name in m.files():
            try:
                total += os.path.getsize(self.path(name))
            except OSError:
                pass
        return total

    def _open_incr(self, name: str) -> None:
        path = self.path(name)
        created = not os.path.exists(path)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if created:
            fsync_dir(self.dirname)
        old = self.fd
        self.fd = fd
        self.incr_name = name
        if old >= 0:
            os.close(old)

    def _write_base(self, path: str) -> None:
        """The dataset as a base file, written in place and fsynced: an RDB, or with
        aof-use-rdb-preamble no, commands (SET, RPUSH/SADD/ZADD/HMSET, PEXPIREAT)."""
        if self.config["aof-use-rdb-preamble"]:
            aux = rdb.default_aux()
            aux[b"used-mem"] = str(heap_in_use()).encode()
            aux[b"aof-base"] = b"1"
            rdb.save(self.keyspace, path, compress=self.config["rdbcompression"],
                     checksum=self.config["rdbchecksum"], aux=aux,
                     progress=self.child_progress(),
                     key_delay=self.config["rdb-key-save-delay"])
        else:
            aofbase.save_aof(self.keyspace, path,
                             timestamp=self.config["aof-timestamp-enabled"],
                             progress=self.child_progress(),
                             key_delay=self.config["rdb-key-save-delay"])
        fsync_file(path)

    @property
    def current_size(self) -> int:
        return self.size_before + (self.core.aof_written if self.enabled else 0)

    def cron(self) -> None:
        if self.enabled:
            self.core.fsync_everysec()
        if self.child_pid > 0:
            self.reap()
            return
        other_child = getattr(self.server, "persistence", None)
        if other_child is not None and other_child.child_running:
            return
        if self.rewrite_scheduled:
            self.rewrite_scheduled = False
            self.rewrite()
            return
        perc = self.config["auto-aof-rewrite-percentage"]
        if self.enabled and perc:
            size, base = self.current_size, self.base_size or 1
            if size > self.config["auto-aof-rewrite-min-size"]:
                growth = (size * 100 // base) - 100
                if growth >= perc:
                    self.log.notice(f"Starting automatic rewriting of AOF on {growth}% growth")
                    self.rewrite()

    def shutdown(self) -> None:
        if self.child_pid > 0:
            self.log.warning("There is a child rewriting the AOF. Killing it!")
            self.kill_child()
        if self.fd >= 0:
            self.log.notice("Calling fsync() on the AOF file.")
        self._close_file()

    def _close_file(self) -> None:
        """Stop recording: what is buffered is written and fsynced, the file closed."""
        if self.fd >= 0:
            self.core.flush_aof()
            try:
                os.fsync(self.fd)
            except OSError:
                pass
            self.core.set_aof(-1, 0)
            os.close(self.fd)
            self.fd = -1
        self.enabled = False

    def set_fsync(self, policy_name) -> None:
        self.core.set_aof_fsync(FSYNC_POLICIES.get(str(policy_name), 2))

    def set_enabled(self, on: bool) -> bool:
        """CONFIG SET appendonly. Turning on writes a base first (through a rewrite); False
        if that could not start (logged)."""
        if on:
            if self.enabled or self.waiting_rewrite:
                return True
            if self.child_pid > 0:
                self.kill_child()
            other = getattr(self.server, "persistence", None)
            if other is not None and other.child_running:
                self.waiting_rewrite = True
                self.rewrite_scheduled = True
                self.log.warning("AOF was enabled but there is already another background "
                                 "operation. An AOF background was scheduled to start when "
                                 "possible.")
                return True
            self.waiting_rewrite = True
            if not self.rewrite():
                self.waiting_rewrite = False
                self.log.warning("Redis needs to enable the AOF but can't trigger a "
                                 "background AOF rewrite operation. Check the above logs for "
                                 "more info about the error.")
                return False
            return True
        if self.child_pid > 0:
            self.log.notice("Killing running AOF rewrite child: " + str(self.child_pid))
            self.kill_child()
        self.rewrite_scheduled = False
        self.waiting_rewrite = False
        self._close_file()
        return True

    # ----- BGREWRITEAOF
    @property
    def rewrite_in_progress(self) -> bool:
        return self.child_pid > 0

    def rewrite(self) -> bool:
        """Start a background rewrite: a new incr file takes the writes from now on, a child
        writes the new base. False (logged) if it could not start."""
        os.makedirs(self.dirname, exist_ok=True)
        m = self.manifest if (self.manifest is not None and not self.waiting_rewrite) else None
        try:
            old_m = self._read_manifest() if (self.waiting_rewrite or not self.enabled) else None
        except (ManifestError, OSError):
            old_m = None
        last = 0
        for mm in (m, old_m, self.manifest):
            if mm is not None:
                last = max([last] + [s for _, s in mm.incrs] + ([mm.base[1]] if mm.base else []))
        seq = last + 1
        name = self._incr_name(seq)
        self.child_incr_seq = seq
        self.child_records = self.enabled or self.waiting_rewrite
        if not self.child_records:          # appendonly no: only a new base, no incr file
            return self._fork_child()
        self.core.flush_aof()
        try:
            self._open_incr(name)
        except OSError as exc:
            self.log.warning(f"Can't open the append-only file {name}: {exc.strerror}")
            self._rewrite_failed()
            return False
        self.log.notice(f"Creating AOF incr file {name} on background rewrite")
        if m is not None:
            # the set stays loadable while the child works: old base + old incrs + this one
            m.incrs.append((name, seq))
            try:
                self._persist_manifest(m)
            except OSError as exc:
                self.log.warning(f"Can't persist the AOF manifest: {exc.strerror}")
            self.size_before = self._set_size(m)
        else:
            self.size_before = 0
        self.core.set_aof(self.fd, self._policy())
        self.enabled = True
        return self._fork_child()

    def _fork_child(self) -> bool:
        try:
            fork_usec = self.fork_child(self._rewrite_in_child, "AOF rewrite")
        except OSError as exc:
            self.log.warning(f"Can't rewrite append only file in background: fork: "
                             f"{exc.strerror}")
            self._rewrite_failed()
            return False
        persistence = getattr(self.server, "persistence", None)
        if persistence is not None:
            persistence.total_forks += 1
            persistence.latest_fork_usec = fork_usec
        self.log.notice("Background append only file rewriting started by pid "
                        f"{self.child_pid}")
        return True

    def _rewrite_in_child(self) -> bool:
        """The rewrite child's work: a new base from the dataset."""
        tmp = self.child_temp_file(os.getpid())
        try:
            self._write_base(tmp)
        except (OSError, rdb.RdbError) as exc:
            self.log.warning(f"Error writing the temporary AOF base file {tmp}: {exc}")
            unlink_quietly(tmp)
            return False
        self.log.notice(f"Successfully created the temporary AOF base file {tmp}")
        return True

    def _rewrite_failed(self) -> None:
        self.last_bgrewrite_ok = False
        self.consecutive_failures += 1

    def child_temp_file(self, pid: int) -> str:
        return f"temp-rewriteaof-bg-{pid}.aof"

    def reap(self) -> None:
        done = self.poll_child()
        if done is None:
            return
        pid, status, cow = done
        self.last_rewrite_time_sec = int(time.monotonic() - self.child_start)
        tmp = self.child_temp_file(pid)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            self.log.warning(f"Background AOF rewrite terminated by signal {sig}")
            unlink_quietly(tmp)
            if sig != signal.SIGUSR1:
                self._rewrite_failed()
            self._after_failure()
            return
        if os.WEXITSTATUS(status) != 0:
            self.log.warning("Background AOF rewrite terminated with error")
            unlink_quietly(tmp)
            self._rewrite_failed()
            self._after_failure()
            return
        self.log.notice("Background AOF rewrite terminated with success")
        try:
            self._switch_to_new_base(tmp)
        except OSError as exc:
            self.log.warning(f"Error switching to the new AOF base: {exc.strerror}")
            unlink_quietly(tmp)
            self._rewrite_failed()
            self._after_failure()
            return
        self.last_cow_size = cow
        self.last_bgrewrite_ok = True
        self.consecutive_failures = 0
        self.rewrites += 1
        self.log.notice("Background AOF rewrite finished successfully")

    def _after_failure(self) -> None:
        if self.waiting_rewrite:
            # turning on failed: no base, so no AOF; Redis retries via the scheduled rewrite
            self.rewrite_scheduled = True

    def _switch_to_new_base(self, tmp: str) -> None:
        seq = self.child_incr_seq
        base = self._base_name(seq)
        old = self.manifest if self.manifest is not None else None
        if self.waiting_rewrite or not self.child_records:
            try:
                old = self._read_manifest()
            except (ManifestError, OSError):
                old = None
        os.rename(tmp, self.path(base))
        self.log.notice(f"Successfully renamed the temporary AOF base file {tmp} into {base}")
        m = Manifest()
        m.base = (base, seq)
        if self.child_records:
            m.incrs = [(n, s) for n, s in (self.manifest.incrs if self.manifest and
                                            not self.waiting_rewrite else []) if s >= seq]
            if not m.incrs:
                m.incrs = [(self.incr_name, seq)]
        stale = []
        if old is not None:
            stale = [n for n in old.files() + old.history
                     if n not in (base, self.incr_name)]
        m.history = stale
        self._persist_manifest(m, with_history=True)
        for name in stale:
            self.log.notice(f"Removing the history file {name} in the background")
            unlink_quietly(self.path(name))
        m.history = []
        self._persist_manifest(m)
        self.manifest = m
        self.base_size = os.path.getsize(self.path(base))
        if self.enabled:
            self.size_before = self._set_size(m) - self.core.aof_written
        if self.waiting_rewrite:
            self.waiting_rewrite = False
            self.log.notice("AOF rewrite done, AOF is on now")

    # ----- INFO
    def info(self) -> dict:
        running = self.child_pid > 0
        out = {
            "aof_enabled": int(self.enabled or self.waiting_rewrite),
            "aof_rewrite_in_progress": int(running),
            "aof_rewrite_scheduled": int(self.rewrite_scheduled),
            "aof_last_rewrite_time_sec": self.last_rewrite_time_sec,
            "aof_current_rewrite_time_sec":
                int(time.monotonic() - self.child_start) if running else -1,
            "aof_last_bgrewrite_status": "ok" if self.last_bgrewrite_ok else "err",
            "aof_rewrites": self.rewrites,
            "aof_rewrites_consecutive_failures": self.consecutive_failures,
            "aof_last_write_status":
                "err" if (self.core.write_error or b"").startswith(MISCONF_AOF_PREFIX)
                else "ok",
            "aof_last_cow_size": self.last_cow_size,
            "module_fork_in_progress": 0,
            "module_fork_last_cow_size": 0,
        }
        if self.enabled:
            out.update({
                "aof_current_size": self.current_size,
                "aof_base_size": self.base_size,
                "aof_pending_rewrite": int(self.rewrite_scheduled),
                "aof_buffer_length": 0,
                "aof_pending_bio_fsync": 0,
                "aof_delayed_fsync": 0,
            })
        return out
