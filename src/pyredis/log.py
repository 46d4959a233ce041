"""Redis-style log lines: `<pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <message>`."""
import os
import sys
import time

LEVELS = {"debug": 0, "verbose": 1, "notice": 2, "warning": 3, "nothing": 4}
MARKS = {"debug": ".", "verbose": "-", "notice": "*", "warning": "#"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Logger:
    """Writes log lines at or above `level` to `logfile` (stdout when empty)."""

    def __init__(self, level: str = "notice", logfile: str = ""):
        self.threshold = LEVELS[level]
        self.role = "M"
        self.path = ""
        self.stream = sys.stdout
        self.set_file(logfile)

    def set_level(self, level: str) -> None:
        self.threshold = LEVELS[level]

    def set_file(self, logfile: str) -> None:
        if self.stream is not sys.stdout:
            self.stream.close()
        self.path = logfile
        self.stream = open(logfile, "a", buffering=1) if logfile else sys.stdout

    def reopen(self) -> None:
        """After a fork into the background with no log file, logs go nowhere."""
        if not self.path:
            self.stream = open(os.devnull, "w")

    def __call__(self, level: str, message: str) -> None:
        if LEVELS[level] < self.threshold:
            return
        now = time.time()
        t = time.localtime(now)
        stamp = "%02d %s %d %02d:%02d:%02d.%03d" % (
            t.tm_mday, MONTHS[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min, t.tm_sec,
            int(now * 1000) % 1000)
        try:
            self.stream.write(f"{os.getpid()}:{self.role} {stamp} {MARKS[level]} {message}\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass

    def debug(self, message):
        self("debug", message)

    def verbose(self, message):
        self("verbose", message)

    def notice(self, message):
        self("notice", message)

    def warning(self, message):
        self("warning", message)
