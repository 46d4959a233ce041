"""The parent's side of a forked background child (BGSAVE, BGREWRITEAOF), shared by
rdb.py and aof.py: its pid, the pipe on which it reports its progress and its
copy-on-write size, killing it and collecting its exit status.

The pipe carries fixed-size records (REC: kind, keys processed, CoW bytes, the monotonic
time in µs the CoW size was measured or 0 when it was not measured again), each written whole
(far under PIPE_BUF, so never interleaved or split): about once a second while the child saves
(INFO's current_save_keys_processed, current_cow_size ...), and one at the end with its final
CoW size (rdb_last_cow_size / aof_last_cow_size). The parent reads them without blocking from
its cron once a second (at each turn of the monotonic second, as Redis's serverCron reads them
with run_with_period(1000)), and all of them when the child has exited."""
from __future__ import annotations

import os
import signal
import struct
import time

from pyredis.persistence.files import unlink_quietly

REC = struct.Struct("<qqqq")
REC_CURRENT = 1                 # progress while saving
REC_FINAL = 2                   # the child's last word: its CoW size at the end
REPORT_INTERVAL = 1.0           # seconds between progress records (Redis: 1 s)
COW_DUTY_CYCLE = 100            # measure the CoW size at most 1% of the time, as Redis does


def private_dirty_bytes() -> int:
    """Private_Dirty of this process (the pages a forked child has copied): its CoW size."""
    try:
        with open("/proc/self/smaps_rollup") as f:
            for line in f:
                if line.startswith("Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class ChildReporter:
    """The child's side of the pipe: progress(keys) is the savers' progress hook (called every
    1024 keys); at most once a second it sends a record, measuring the CoW size when the
    measuring has cost under 1% of the time since the last one."""

    def __init__(self, fd: int):
        self.fd = fd
        self.last_sent = -1e9
        self.cow = 0
        self.cow_peak = 0
        self.cow_sum = 0
        self.cow_count = 0
        self.cow_time = 0.0           # monotonic time of the last measurement (0: none yet)
        self.cow_cost = 0.0

    def measure(self) -> int:
        started = time.monotonic()
        cow = private_dirty_bytes()
        now = time.monotonic()
        self.cow_cost = now - started
        self.cow_time = now
        self.cow = cow
        self.cow_peak = max(self.cow_peak, cow)
        self.cow_sum += cow
        self.cow_count += 1
        return cow

    def send(self, kind: int, keys: int, cow: int, fresh: bool) -> None:
        stamp = int(self.cow_time * 1e6) if fresh else 0
        try:
            os.write(self.fd, REC.pack(kind, keys, cow, stamp))
        except OSError:
            pass

    def progress(self, keys: int) -> None:
        now = time.monotonic()
        if now - self.last_sent < REPORT_INTERVAL:
            return
        self.last_sent = now
        fresh = (not self.cow_time or
                 now - self.cow_time > self.cow_cost * COW_DUTY_CYCLE)
        if fresh:
            self.measure()
        self.send(REC_CURRENT, keys, self.cow, fresh)


class ChildOwner:
    """Mixin: at most one child at a time. The owner (with .server and .log) names the child's
    temporary file (child_temp_file) so a killed child leaves nothing behind."""

    child_pid = -1          # -1: no child
    child_pipe = -1         # read end of the pipe the child reports on (records REC)
    child_start = 0.0       # time.monotonic() at the fork
    child_reporter = None   # in the child only: its ChildReporter (progress hook for savers)
    # what the running child reported last (INFO's current_* fields)
    child_keys_total = 0
    child_keys_done = 0
    child_cow = 0
    child_cow_peak = 0
    child_cow_updated = 0.0  # monotonic time the child measured its CoW size (0: not yet)
    child_read_tick = 0      # the monotonic second of the last read from the pipe
    child_final_cow = 0
    _child_buf = b""

    def child_progress(self):
        """The progress hook to hand the savers: the reporter's in a forked child, else None."""
        reporter = self.child_reporter
        return reporter.progress if reporter is not None else None

    def _reset_child_info(self) -> None:
        self.child_keys_total = 0
        self.child_keys_done = 0
        self.child_cow = 0
        self.child_cow_peak = 0
        self.child_cow_updated = 0.0
        self.child_final_cow = 0
        self._child_buf = b""

    def read_child_info(self) -> None:
        """Take in whatever records the child has sent, without blocking."""
        if self.child_pipe < 0:
            return
        chunks = [self._child_buf]
        while True:
            try:
                data = os.read(self.child_pipe, 4096)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        buf = b"".join(chunks)
        size = REC.size
        end = len(buf) - len(buf) % size
        for off in range(0, end, size):
            kind, keys, cow, stamp = REC.unpack_from(buf, off)
            if kind == REC_CURRENT:
                self.child_keys_done = keys
                if stamp:
                    self.child_cow = cow
                    self.child_cow_peak = max(self.child_cow_peak, cow)
                    self.child_cow_updated = stamp / 1e6
            elif kind == REC_FINAL:
                self.child_final_cow = cow
        self._child_buf = buf[end:]

    def child_info_fields(self) -> list:
        """INFO persistence's current_* fields for this owner's running child."""
        total = self.child_keys_total
        done = self.child_keys_done
        perc = done / total * 100 if total else 0.0      # in this order, as Redis computes it
        age = (max(int(time.monotonic() - self.child_cow_updated), 0)
               if self.child_cow_updated else 0)
        return [("current_cow_peak", self.child_cow_peak),
                ("current_cow_size", self.child_cow),
                ("current_cow_size_age", age),
                ("current_fork_perc", f"{perc:.2f}"),
                ("current_save_keys_processed", done),
                ("current_save_keys_total", total)]

    def child_temp_file(self, pid: int) -> str:
        raise NotImplementedError

    def fork_child(self, work, cow_label: str) -> int:
        """Fork a child that runs work() (True: success), logs its copy-on-write size as
        "Fork CoW for <cow_label>" and reports it to the parent through a pipe. Returns the
        fork's duration in microseconds; raises OSError when fork fails."""
        read_end, write_end = os.pipe()
        keys_total = sum(self.keyspace.dbsize(i) for i in range(self.keyspace.ndbs))
        started = time.monotonic()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            raise
        if pid == 0:                     # the child: never returns
            os.close(read_end)
            self._run_child(work, cow_label, write_end)
        os.close(write_end)
        os.set_blocking(read_end, False)
        self._reset_child_info()
        self.child_keys_total = keys_total
        self.child_read_tick = int(time.monotonic())
        self.child_pid = pid
        self.child_pipe = read_end
        self.child_start = time.monotonic()
        return int((self.child_start - started) * 1e6)

    def _run_child(self, work, cow_label: str, pipe_fd: int) -> None:
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
            self.log.role = "C"
            for sock in self.server.listeners:      # a dead parent's port must be free
                try:
                    sock.close()
                except OSError:
                    pass
            reporter = self.child_reporter = ChildReporter(pipe_fd)
            code = 0 if work() else 1
            cow = reporter.measure()
            if code == 0:
                mb = 1024 * 1024
                self.log.notice(f"Fork CoW for {cow_label}: current {cow // mb} MB, peak "
                                f"{reporter.cow_peak // mb} MB, average "
                                f"{reporter.cow_sum // reporter.cow_count // mb} MB")
            reporter.send(REC_FINAL, 0, cow, True)
        except BaseException:          # noqa: anything at all: the child must exit
            code = 1
        finally:
            os._exit(code)

    def kill_child(self) -> None:
        """Stop a running child (SHUTDOWN, CONFIG SET appendonly no ...) and remove its
        temporary file; SIGUSR1 tells the exit status apart from a failure."""
        if self.child_pid <= 0:
            return
        pid = self.child_pid
        try:
            os.kill(pid, signal.SIGUSR1)
            os.waitpid(pid, 0)
        except (OSError, ChildProcessError):
            pass
        unlink_quietly(self.child_temp_file(pid))
        self._child_gone()

    def poll_child(self):
        """(pid, wait status, CoW bytes) once the child has exited (the child is forgotten
        then), or None while it runs."""
        try:
            pid, status = os.waitpid(self.child_pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = self.child_pid, 1 << 8
        if pid == 0:
            tick = int(time.monotonic())
            if tick != self.child_read_tick:         # once a second while it runs
                self.child_read_tick = tick
                self.read_child_info()
            return None
        self.read_child_info()                      # it has exited: everything is there
        cow = self.child_final_cow
        self._child_gone()
        return pid, status, cow

    def _child_gone(self) -> None:
        self.child_pid = -1
        self._reset_child_info()
        if self.child_pipe >= 0:
            os.close(self.child_pipe)
            self.child_pipe = -1
