"""The parent's side of a forked background child (BGSAVE, BGREWRITEAOF), shared by
persistence.py and aof.py: its pid, the pipe on which it reports its copy-on-write size,
killing it and collecting its exit status."""
from __future__ import annotations

import os
import signal
import time


def unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


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


class ChildOwner:
    """Mixin: at most one child at a time. The owner (with .server and .log) names the child's
    temporary file (child_temp_file) so a killed child leaves nothing behind."""

    child_pid = -1          # -1: no child
    child_pipe = -1         # read end of the pipe the child writes its CoW size to
    child_start = 0.0       # time.monotonic() at the fork

    def child_temp_file(self, pid: int) -> str:
        raise NotImplementedError

    def fork_child(self, work, cow_label: str) -> int:
        """Fork a child that runs work() (True: success), logs its copy-on-write size as
        "Fork CoW for <cow_label>" and reports it to the parent through a pipe. Returns the
        fork's duration in microseconds; raises OSError when fork fails."""
        read_end, write_end = os.pipe()
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
            code = 0 if work() else 1
            cow = private_dirty_bytes()
            if code == 0:
                mb = cow // (1024 * 1024)
                self.log.notice(f"Fork CoW for {cow_label}: current {mb} MB, peak {mb} MB, "
                                f"average {mb} MB")
            try:
                os.write(pipe_fd, str(cow).encode())
            except OSError:
                pass
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
            return None
        try:
            cow = int(os.read(self.child_pipe, 64) or b"0")
        except (OSError, ValueError):
            cow = 0
        self._child_gone()
        return pid, status, cow

    def _child_gone(self) -> None:
        self.child_pid = -1
        if self.child_pipe >= 0:
            os.close(self.child_pipe)
            self.child_pipe = -1
