"""Small file helpers shared by the persistence modules."""
from __future__ import annotations

import os


def _fsync(path: str, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: str) -> None:
    """fsync a file written and closed earlier: its content is on disk then."""
    _fsync(path, os.O_RDONLY)


def fsync_dir(path: str) -> None:
    """fsync a directory: the files created or renamed in it are on disk then."""
    _fsync(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def unlink_quietly(path: str) -> None:
    """Remove a (temporary) file; a missing one, or a failure, is no error."""
    try:
        os.unlink(path)
    except OSError:
        pass
