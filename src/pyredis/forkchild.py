"""The parent's side of a forked background child (BGSAVE, BGREWRITEAOF), shared by
persistence.py and aof.py: its pid, the pipe on which it reports its copy-on-write size,
killing it and collecting its exit status."""
from __future__ import annotations

import os
import signal


def unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class ChildOwner:
    """Mixin: at most one child at a time. The owner names the child's temporary file
    (child_temp_file) so a killed child leaves nothing behind."""

    child_pid = -1          # -1: no child
    child_pipe = -1         # read end of the pipe the child writes its CoW size to
    child_start = 0.0       # time.monotonic() at the fork

    def child_temp_file(self, pid: int) -> str:
        raise NotImplementedError

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
