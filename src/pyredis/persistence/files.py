"""Small file helpers shared by the persistence modules."""
from __future__ import annotations

import os


def fsync_dir(path: str) -> None:
    """fsync a directory: the files created or renamed in it are on disk then."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def unlink_quietly(path: str) -> None:
    """Remove a (temporary) file; a missing one, or a failure, is no error."""
    try:
        os.unlink(path)
    except OSError:
        pass
