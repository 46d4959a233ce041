"""The loading state (Server.loading) shared by the RDB (rdb.py) and AOF (aof.py) loads at
start-up, and by INFO."""
from __future__ import annotations

import time


class LoadingAborted(Exception):
    """SHUTDOWN came from a client served during the start-up load: stop loading, exit."""


class Loading:
    """A dataset loading at start-up (the RDB, or the AOF's files): INFO's loading fields, and
    the clients served between chunks of the file, who get -LOADING for what they cannot run
    yet (Redis's processEventsWhileBlocked). should_stop() says a SHUTDOWN was accepted."""

    def __init__(self, core, should_stop):
        self.core = core
        self.should_stop = should_stop
        self.active = False
        self.start_time = 0
        self.started = 0.0
        self.total_bytes = 0
        self.loaded_bytes = 0

    def start(self, total_bytes: int) -> None:
        self.active = True
        self.start_time = int(time.time())
        self.started = time.monotonic()
        self.total_bytes = total_bytes
        self.loaded_bytes = 0
        self.core.set_loading(True)

    def progress(self, loaded_bytes: int) -> None:
        self.loaded_bytes = loaded_bytes
        self.core.serve_while_loading()
        if self.should_stop():
            raise LoadingAborted()

    def end(self) -> None:
        self.active = False
        self.core.set_loading(False)

    def info_fields(self) -> list:
        """The fields Redis adds at the end of INFO persistence while loading."""
        if not self.active:
            return []
        perc = 100.0 * self.loaded_bytes / self.total_bytes if self.total_bytes else 0.0
        elapsed = time.monotonic() - self.started
        eta = 1
        if self.loaded_bytes:
            eta = int((self.total_bytes - self.loaded_bytes) * elapsed / self.loaded_bytes)
        return [("loading_start_time", self.start_time),
                ("loading_total_bytes", self.total_bytes),
                ("loading_rdb_used_mem", 0),
                ("loading_loaded_bytes", self.loaded_bytes),
                ("loading_loaded_perc", f"{perc:.2f}"),
                ("loading_eta_seconds", eta)]
