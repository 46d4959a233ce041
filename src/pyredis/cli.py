"""`pyredis-server [config-file] [--directive value ...] [-]`, with redis-server's grammar:
the command line (parsed into config text for :meth:`Config.load`), then the server's start."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from pyredis import REDIS_VERSION, __version__
from pyredis.config import Config, ConfigFileError
from pyredis.config.parsing import ascii_lower, repr_arg, split_args
from pyredis.log import Logger

VERSION_LINE = (f"pyredis server v={REDIS_VERSION} pyredis={__version__} sha=00000000:0 "
                f"malloc=libc bits={64 if sys.maxsize > 2**32 else 32} build=0")

HELP_TEXT = """\
Usage: pyredis-server [/path/to/redis.conf] [options] [-]
       pyredis-server - (read config from stdin)
       pyredis-server -v or --version
       pyredis-server -h or --help

Examples:
       pyredis-server (run the server with default conf)
       echo 'maxmemory 128mb' | pyredis-server -
       pyredis-server /etc/redis/6379.conf
       pyredis-server --port 7777
       pyredis-server --port 7777 --replicaof 127.0.0.1 8888
       pyredis-server /etc/myredis.conf --loglevel verbose -
       pyredis-server /etc/myredis.conf --loglevel verbose
"""


@dataclass
class CommandLine:
    """What :func:`parse_command_line` understood.

    action: None (run the server), "version" or "help".
    config_file: the config file argument as given (None if absent).
    from_stdin: read more configuration from standard input.
    options: config text built from ``--name value`` arguments (one line per option)."""

    action: str | None = None
    config_file: str | None = None
    from_stdin: bool = False
    options: str = ""
    argv: list[str] = field(default_factory=list)


def parse_command_line(argv: list[str]) -> CommandLine:
    """Parse redis-server style arguments (without the program name):
    ``[configfile] [--directive value ...] [-]``, ``-v``/``--version``, ``-h``/``--help``."""
    cl = CommandLine(argv=list(argv))
    if not argv:
        return cl
    first = argv[0]
    if first in ("-v", "--version"):
        cl.action = "version"
        return cl
    if first in ("--help", "-h"):
        cl.action = "help"
        return cl
    j = 0
    if not first.startswith("-"):
        cl.config_file = first
        j = 1
    n = len(argv)
    options = ""
    handled_last = True
    while j < n:
        arg = argv[j]
        if arg == "-" and (j == 0 or j == n - 1):
            cl.from_stdin = True
        elif handled_last and arg.startswith("--"):
            if options:
                options += "\n"
            options += arg[2:] + " "
            words = split_args(arg)
            if words is not None and len(words) == 1:
                # A bare "--name": the following arguments are its values.
                handled_last = False
                low = ascii_lower(arg)
                nxt_is_opt = j != n - 1 and argv[j + 1].startswith("--")
                if low == "--save" and nxt_is_opt:
                    options += '""'          # "--save --port 1" means save ""
                    handled_last = True
                elif low == "--save" and j == n - 1:
                    options += '""'          # "--save" last means save ""
                elif low == "--sentinel" and nxt_is_opt:
                    handled_last = True
            else:
                handled_last = True          # "--save 900 1" in one argument
        else:
            options += repr_arg(arg) + " "
            handled_last = True
        j += 1
    cl.options = options
    return cl


def daemonize() -> None:
    """Detach into the background as redis-server does: fork, new session, stdio to null."""
    if os.fork():
        os._exit(0)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    cmdline = parse_command_line(argv)
    if cmdline.action == "version":
        print(VERSION_LINE)
        sys.exit(0)
    if cmdline.action == "help":
        sys.stderr.write(HELP_TEXT)
        sys.exit(1)
    config = Config()
    from pyredis.commands import build_table
    command_names = [spec.name for spec in build_table()]
    try:
        stdin_text = sys.stdin.read() if cmdline.from_stdin else None
        config.load(cmdline.config_file, stdin_text, cmdline.options, commands=command_names)
    except ConfigFileError as err:
        if err.log_message:
            Logger()("warning", str(err))
        else:
            sys.stderr.write(str(err))
        sys.exit(1)
    sys.exit(run(config, bool(argv)))


def run(config: Config, configured: bool) -> int:
    """Start serving with a loaded configuration; `configured`: anything was given on the
    command line (else Redis warns that the defaults are used)."""
    from pyredis.server import Server, StartupError
    if config["daemonize"]:
        daemonize()
    log = Logger(config["loglevel"], config["logfile"])
    log.role = "C"
    log.warning("oO0OoO0OoO0Oo pyredis is starting oO0OoO0OoO0Oo")
    log.warning(f"pyredis version={__version__} (Redis {REDIS_VERSION} compatible), "
                f"bits={64 if sys.maxsize > 2**32 else 32}, pid={os.getpid()}, just started")
    if configured:
        log.warning("Configuration loaded")
    else:
        log.warning("Warning: no config file specified, using the default config. In order to "
                    "specify a config file use pyredis-server /path/to/redis.conf")
    try:
        server = Server(config, log)
        server.start()
    except StartupError:
        return 1
    code = server.serve()
    # Exit as redis-server does, without tearing the dataset down key by key (the interpreter's
    # teardown would free every key: seconds for tens of millions, for nothing).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
