"""`pyredis-server [config-file] [--directive value ...] [-]`, with redis-server's grammar."""
from __future__ import annotations

import os
import sys

from pyredis import REDIS_VERSION, __version__
from pyredis.config import HELP_TEXT, Config, ConfigFileError, parse_command_line
from pyredis.log import Logger

VERSION_LINE = (f"pyredis server v={REDIS_VERSION} pyredis={__version__} sha=00000000:0 "
                f"malloc=libc bits={64 if sys.maxsize > 2**32 else 32} build=0")


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
    return server.serve()


if __name__ == "__main__":
    main()
