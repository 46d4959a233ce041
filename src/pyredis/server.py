"""The server: wires configuration, the Cython core, listeners, the cron and shutdown."""
from __future__ import annotations

import dataclasses
import errno
import os
import resource
import signal
import socket
import sys
import time

from fastresp.core import BACKEND, Core
from fastresp.pubsub import PubSub
from fastresp.keyspace import Keyspace, heap_in_use

from pyredis import REDIS_VERSION
from pyredis.commands import build_table
from pyredis.commands.table import CommandSpec
from pyredis import errors
from pyredis.errors import CommandError
from pyredis.log import Logger
from pyredis.persistence.aof import AppendOnlyFile
from pyredis.persistence.loading import Loading, LoadingAborted
from pyredis.persistence.rdb import Persistence, SaveError

DEFAULT_PIDFILE = "/var/run/redis.pid"
METRIC_SAMPLES = 16              # samples averaged by instantaneous_* (as Redis)
METRIC_PERIOD = 0.1              # seconds between samples
RESERVED_FDS = 32                # descriptors kept for other uses than clients (as Redis)


class StartupError(Exception):
    """The server cannot start; the message has been logged."""


class Metrics:
    """instantaneous_ops_per_sec and friends: a rate averaged over the last samples."""

    def __init__(self):
        self.last = {}
        self.samples = {}

    def sample(self, name: str, value: int, now: float) -> None:
        prev = self.last.get(name)
        self.last[name] = (value, now)
        if prev is None or now <= prev[1]:
            return
        rate = (value - prev[0]) / (now - prev[1])
        ring = self.samples.setdefault(name, [])
        ring.append(rate)
        if len(ring) > METRIC_SAMPLES:
            del ring[0]

    def rate(self, name: str) -> int:
        ring = self.samples.get(name)
        return int(sum(ring) / len(ring)) if ring else 0

    def reset(self) -> None:
        self.last.clear()
        self.samples.clear()


def apply_renames(specs: list[CommandSpec], renames) -> list[CommandSpec]:
    """The command table after the config file's rename-command lines (Directive args
    [old, new], in order): the command leaves the table under its old name and, unless the
    new name is empty, comes back under the new one, keeping its identity for COMMAND INFO.
    Config.load has already checked the names; a line it did not check fails here alike."""
    table = {spec.name: spec for spec in specs}
    for directive in renames:
        old, new = directive.args[0].lower(), directive.args[1].lower()
        spec = table.pop(old, None)
        if spec is None:
            raise directive.error("No such command in rename-command")
        if new:
            if new in table:
                raise directive.error("Target command name already exists")
            table[new] = dataclasses.replace(spec, name=new, orig_name=spec.fullname)
    return list(table.values())


class Server:
    """One server: its parts, wired together once here, and its life cycle."""

    def __init__(self, config, log: Logger | None = None):
        self.config = config
        self.log = log or Logger(config["loglevel"], config["logfile"])
        self.redis_version = REDIS_VERSION
        self.run_id = os.urandom(20).hex()
        self.replid = os.urandom(20).hex()
        self.start_time = time.time()
        self.executable = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
        self.multiplexing_api = BACKEND
        self.metrics = Metrics()
        self.listeners: list[socket.socket] = []
        self.unix_path = ""
        self.pidfile = ""
        self.shutdown_reason = ""
        self.cron_ticks = 0
        self.last_second = 0.0
        self.last_metric = 0.0
        self.shutdown_logged = False
        self._wire()

    def _wire(self) -> None:
        """The one place the parts are put together, in dependency order: the keyspace (which
        installs the value types it holds), the core that serves it (its keyspace hooks
        report to it), pub/sub (keyspace notifications, subscriptions of closing clients), the
        command table, the callbacks the core makes into Python, persistence, and last the
        settings' apply steps (run now with the configured values, then on every CONFIG SET)."""
        config = self.config
        self.keyspace = Keyspace(config["databases"])
        self.core = Core(self.keyspace, self)
        self.pubsub = PubSub(self.core)
        self.specs = apply_renames(build_table(), config.rename_commands)
        self.core.install_commands(self.specs)
        self.command_specs: dict[str, CommandSpec] = {s.name: s for s in self.specs}
        self.core.cron = self.cron
        self.core.log = self.log
        self.memory_startup = heap_in_use()
        self.memory_peak = self.memory_startup
        self.loading = Loading(self.core, lambda: self.shutdown_logged)
        self.persistence = Persistence(self)
        self.aof = AppendOnlyFile(self)
        # a maxclients the open-files limit cannot carry is lowered first, as in Redis
        fitted = self.fit_maxclients(config["maxclients"])
        if fitted != config["maxclients"]:
            config.set([("maxclients", str(fitted))])
        config.attach(self)

    def fit_maxclients(self, wanted: int) -> int:
        """Redis's adjustOpenFilesLimit: raise the open-files limit to maxclients + 32 if
        possible, else the maxclients it allows (with Redis's warnings)."""
        needed = wanted + RESERVED_FDS
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY or soft >= needed:
            return wanted
        best, error = needed, ""
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, max(needed, hard)))
        except (ValueError, OSError) as exc:
            error = os.strerror(exc.errno) if getattr(exc, "errno", None) else \
                "Operation not permitted"
            # Redis steps down 16 at a time from `needed`: the first step the hard limit allows
            best = soft
            if hard != resource.RLIM_INFINITY and soft < hard < needed:
                step = needed - 16 * -(-(needed - hard) // 16)
                if step > soft:
                    try:
                        resource.setrlimit(resource.RLIMIT_NOFILE, (step, hard))
                        best = step
                    except (ValueError, OSError):
                        pass
        if best >= needed:
            self.log.notice(f"Increased maximum number of open files to {needed} (it was "
                            f"originally set to {soft}).")
            return wanted
        if best <= RESERVED_FDS:
            return 1
        self.log.warning(f"You requested maxclients of {wanted} requiring at least {needed} "
                         "max file descriptors.")
        self.log.warning(f"Server can't set maximum open files to {needed} because of OS "
                         f"error: {error}.")
        self.log.warning(f"Current maximum open files is {best}. maxclients has been reduced "
                         f"to {best - RESERVED_FDS} to compensate for low ulimit. If you need "
                         "higher maxclients increase 'ulimit -n'.")
        return best - RESERVED_FDS

    # ----- listening
    def listen(self) -> None:
        port = self.config["port"]
        if port:
            for address in self.config["bind"]:
                self._listen_tcp(address, port)
        if self.config["unixsocket"]:
            self._listen_unix(self.config["unixsocket"], self.config["unixsocketperm"])
        if not self.listeners:
            self.log.warning("Configured to not listen anywhere, exiting.")
            raise StartupError()
        for sock in self.listeners:
            self.core.add_listener(sock.fileno())

    def _listen_tcp(self, address: str, port: int) -> None:
        optional = address.startswith("-")
        host = address[1:] if optional else address
        host = {"*": "0.0.0.0", "::*": "::"}.get(host, host)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            if optional:
                return
            self._bind_failed(address, port, exc)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
            sock.listen(self.config["tcp-backlog"])
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            if optional and exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT,
                                          errno.EPROTONOSUPPORT, errno.ESOCKTNOSUPPORT,
                                          errno.EPFNOSUPPORT, errno.EPROTOTYPE):
                return
            self._bind_failed(address, port, exc)
        self.listeners.append(sock)

    def _bind_failed(self, address: str, port: int, exc: OSError):
        host = address.lstrip("-")
        self.log.warning(f"Warning: Could not create server TCP listening socket {host}:{port}: "
                         f"bind: {os.strerror(exc.errno or 0)}")
        self.log.warning(f"Failed listening on port {port} (TCP), aborting.")
        raise StartupError()

    def _listen_unix(self, path: str, perm: int) -> None:
        try:
            if os.path.exists(path):
                os.unlink(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(path)
            if perm:
                os.chmod(path, perm)      # permissions first, then listen
            sock.listen(self.config["tcp-backlog"])
            sock.setblocking(False)
        except OSError as exc:
            self.log.warning(f"Failed opening Unix socket: {exc.strerror}")
            raise StartupError()
        self.unix_path = path
        self.core.set_unix_socket_path(path)
        self.listeners.append(sock)

    # ----- life cycle
    def start(self) -> None:
        """Everything before serving: pid file, listeners, start-up log lines."""
        self.log.role = "M"
        self.log.notice(f"Running mode=standalone, port={self.config['port']}.")
        self.log.warning("Server initialized")
        self.listen()           # first, as Redis: clients that come during loading get -LOADING
        try:
            if self.config["appendonly"]:
                if not self.aof.load_at_startup():
                    raise StartupError()
                self.aof.start()
            elif not self.persistence.load_at_startup():
                raise StartupError()
        except LoadingAborted:
            return              # SHUTDOWN during the load: serve() goes straight to finish()
        if self.config["pidfile"] or self.config["daemonize"]:
            self.pidfile = self.config["pidfile"] or DEFAULT_PIDFILE
            try:
                with open(self.pidfile, "w") as f:
                    f.write(f"{os.getpid()}\n")
            except OSError as exc:
                self.log.warning(f"Failed to write PID file: {exc.strerror}")
                self.pidfile = ""
        if self.config["port"]:
            self.log.notice("Ready to accept connections tcp")
        if self.unix_path:
            self.log.notice("Ready to accept connections unix")

    def serve(self) -> int:
        """Run until shut down; returns the exit code."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        while not self.shutdown_logged:
            self.core.run()
            if self.shutdown_logged or self.prepare_shutdown(self.shutdown_mode):
                break
            # a signal asked to stop but the final save failed: Redis keeps serving
            self.log.warning("SIGTERM received but errors trying to shut down the server, "
                             "check the logs for more information")
            self.shutdown_reason = ""
        return self.finish()

    def _on_signal(self, signum, frame):
        name = "SIGINT" if signum == signal.SIGINT else "SIGTERM"
        if self.shutdown_reason and signum == signal.SIGINT:
            # a second Ctrl-C while shutting down: exit now, as Redis does
            self.log.warning("You insist... exiting now.")
            os._exit(1)
        self.log.warning(f"Received {name} scheduling shutdown...")
        words = str(self.config["shutdown-on-sigint" if signum == signal.SIGINT
                                else "shutdown-on-sigterm"]).split()
        self.request_shutdown("User requested shutdown...", save="save" in words,
                              nosave="nosave" in words, force="force" in words,
                              from_signal=True)

    shutdown_mode = (False, False, False)

    def request_shutdown(self, reason: str, save: bool = False, nosave: bool = False,
                         force: bool = False, from_signal: bool = False) -> None:
        """Stop serving. From a signal (reason only) the final save runs once the loop has
        stopped; from SHUTDOWN (a command, save/nosave/force given) it runs here, so that a
        failed save is the command's error and the server keeps running."""
        self.shutdown_reason = reason
        if self.loading.active:
            # never save a half-loaded dataset over the files (Redis makes it NOSAVE too)
            save, nosave = False, True
        self.shutdown_mode = (save, nosave, force)
        if not from_signal:
            if not self.prepare_shutdown(self.shutdown_mode):
                self.shutdown_reason = ""
                raise CommandError(errors.SHUTDOWN_FAILED)
        self.core.stop()

    def prepare_shutdown(self, mode) -> bool:
        """Redis's prepareForShutdown, persistence part: stop a BGSAVE child, save the final
        snapshot when save points are set (or SAVE) unless NOSAVE. False: the save failed and
        FORCE was not given (logged), so the server must not exit."""
        save, nosave, force = mode
        self.log.warning(self.shutdown_reason or "User requested shutdown...")
        rdb = self.persistence
        if rdb.child_running:
            self.log.warning("There is a child saving an .rdb. Killing it!")
            rdb.kill_child()
        if (self.config["save"] or save) and not nosave:
            self.log.notice("Saving the final RDB snapshot before exiting.")
            try:
                rdb.save()
            except SaveError:
                if force:
                    self.log.warning("Error trying to save the DB. Exit anyway.")
                else:
                    self.log.warning("Error trying to save the DB, can't exit.")
                    self.log.warning("Errors trying to shut down the server. Check the logs "
                                     "for more information.")
                    return False
        self.shutdown_logged = True
        return True

    def finish(self) -> int:
        self.aof.shutdown()
        if not self.shutdown_logged:
            self.log.warning(self.shutdown_reason or "User requested shutdown...")
        for sock in self.listeners:
            self.core.remove_listener(sock.fileno())
            sock.close()
        if self.pidfile:
            self.log.notice("Removing the pid file.")
            try:
                os.unlink(self.pidfile)
            except OSError:
                pass
        if self.unix_path:
            self.log.notice("Removing the unix socket file.")
            try:
                os.unlink(self.unix_path)
            except OSError:
                pass
        self.log.warning("pyredis is now ready to exit, bye bye...")
        return 0

    # ----- cron
    def cron(self) -> None:
        """`hz` times a second: expiry, rehashing, metrics; once a second: client checks."""
        hz = self.core.hz
        self.keyspace.cron(active_rehashing=self.config["activerehashing"])
        self.keyspace.active_expire_cycle(False, hz)
        now = time.monotonic()
        if now - self.last_metric >= METRIC_PERIOD:
            self.last_metric = now
            core = self.core
            self.metrics.sample("ops", core.stat_numcommands, now)
            self.metrics.sample("in", core.stat_net_input_bytes, now)
            self.metrics.sample("out", core.stat_net_output_bytes, now)
        if now - self.last_second >= 1.0:
            self.last_second = now
            self.core.clients_cron()
        self.persistence.cron()
        self.aof.cron()

    def reset_stats(self) -> None:
        self.core.reset_stats()
        self.keyspace.reset_stats()
        self.metrics.reset()

    # ----- clients, as CLIENT and RESET see them
    def client_type(self, client) -> str:
        return "pubsub" if client.pubsub else "normal"

    def unblock_client(self, client, error: bool) -> bool:
        """CLIENT UNBLOCK: wake `client` if a blocking command holds it."""
        return self.core.unblock_client(client, error)

    def is_local(self, client) -> bool:
        return client.is_unix or client.addr.rsplit(":", 1)[0] in ("127.0.0.1", "[::1]")

    def reset_client(self, client) -> None:
        client.reset_state()
        self.pubsub.unsubscribe_all(client)
        client.proto = 2
        client.select(0)
        client.name = None
        client.authenticated = not self.core.auth_required

    # ----- the command table, as COMMAND sees it
    def find_command(self, raw: bytes) -> CommandSpec | None:
        """A command by name as COMMAND INFO/DOCS take it: "get", or "config|get" for a
        subcommand (nothing for "config|" or "a|b|c")."""
        name = raw.decode(errors="replace").lower()
        parts = name.split("|")
        spec = self.command_specs.get(parts[0])
        if spec is None or len(parts) == 1:
            return spec
        if len(parts) != 2:
            return None
        return next((s for s in spec.subcommands if s.name == parts[1]), None)

    def command_keys(self, args: list[bytes]) -> list[tuple[bytes, tuple[str, ...]]]:
        """[(key, key-spec flags)] of a full command, found as COMMAND GETKEYS finds them (from
        the key specs); raises COMMAND GETKEYS's errors."""
        spec = self.command_specs.get(args[0].decode(errors="replace").lower())
        if spec is not None and spec.subcommands and len(args) >= 2:
            spec = next((s for s in spec.subcommands if s.name == args[1].decode(
                errors="replace").lower()), None)
        if spec is None:
            raise CommandError(errors.INVALID_COMMAND)
        if not spec.key_specs or all("not_key" in ks.flags for ks in spec.key_specs):
            raise CommandError(errors.NO_KEY_ARGUMENTS)
        argc = len(args)
        if (spec.arity > 0 and argc != spec.arity) or argc < -spec.arity:
            raise CommandError(errors.INVALID_ARGUMENT_COUNT)
        if spec.getkeys is not None:      # keys found by parsing the arguments (SORT)
            return spec.getkeys(args)
        keys: list[tuple[bytes, tuple[str, ...]]] = []
        for ks in spec.key_specs:
            positions = ks.positions(args)
            if positions is None:
                keys = []
                break
            flags = ks.flags
            if "variable_flags" in flags and spec.fullname == "set":
                # SET's key is read too when GET is given
                has_get = any(a.lower() == b"get" for a in args[3:])
                flags = ("RW", "access", "update") if has_get else ("OW", "update")
            keys.extend((args[i], flags) for i in positions)
        if not keys:
            if "no_mandatory_keys" in spec.flags:
                return []
            raise CommandError(errors.INVALID_ARGUMENTS)
        return keys
