"""The connection group: PING, ECHO and SELECT are Cython; the rest is Python."""
import hmac
import time

from fastresp.reply import NO_REPLY, SetReply, Status, Verbatim
from fastresp.connection import HANDLERS

from pyredis import errors
from fastresp.util import parse_ll

from pyredis.commands.table import Group
from pyredis.errors import CommandError

group = Group("connection", handlers=HANDLERS)

group.native("PING [message]", -1, "fast", roles="subscribed_context refused_on_write_error",
             tips="request_policy:all_shards response_policy:all_succeeded",
             summary="Returns the server's liveliness response.")
group.native("ECHO message", 2, "loading stale fast",
             summary="Returns the given string.")
group.native("SELECT index", 2, "loading stale fast",
             summary="Changes the selected database.")


# QUIT
@group.command("QUIT", -1, "noscript loading stale fast no_auth allow_busy",
               roles="not_queued subscribed_context",
               summary="Closes the connection.")
def quit_(server, client, args):
    client.close_after_reply()
    return Status("OK")


def check_password(server, username: bytes, password: bytes) -> bool:
    """The default user is the only user: any password when none is configured."""
    if username != b"default":
        return False
    required = server.config["requirepass"]
    if not required:
        return True
    return hmac.compare_digest(password, required.encode("utf-8", "surrogateescape"))


# AUTH [username] password
@group.command("AUTH [username] password", -2, "noscript loading stale fast no_auth allow_busy",
               since="1.0.0", summary="Authenticates the connection.",
               complexity="O(N) where N is the number of passwords defined for the user")
def auth(server, client, args):
    if len(args) > 3:
        raise CommandError(errors.SYNTAX)
    if len(args) == 2:
        if not server.config["requirepass"]:
            raise CommandError(errors.AUTH_NOT_CONFIGURED)
        username, password = b"default", args[1]
    else:
        username, password = args[1], args[2]
    if not check_password(server, username, password):
        raise CommandError(errors.WRONGPASS)
    client.authenticated = True
    return Status("OK")


def valid_name(value: bytes) -> bool:
    """Client names and library attributes: printable ASCII without spaces."""
    return all(0x21 <= ch <= 0x7e for ch in value)


def set_client_name(client, name: bytes) -> None:
    if not valid_name(name):
        raise CommandError(errors.CLIENT_NAME_CHARS)
    client.name = name or None


# HELLO [protover [AUTH username password] [SETNAME clientname]]
@group.command("HELLO [protover [AUTH username password] [SETNAME clientname]]", -1,
               "noscript loading stale fast no_auth allow_busy", since="6.0.0",
               summary="Handshakes with the Redis server.")
def hello(server, client, args):
    version = 0
    i = 1
    if len(args) >= 2:
        version = parse_ll(args[1])
        if version is None:
            raise CommandError(errors.PROTOCOL_VERSION_NOT_INT)
        if version < 2 or version > 3:
            raise CommandError(errors.NOPROTO)
        i = 2
    # as in Redis 7.0, options act when met: an AUTH that succeeds or a SETNAME sticks even if
    # a later option (or the authentication check) fails
    while i < len(args):
        opt = args[i].lower()
        more = len(args) - 1 - i
        if opt == b"auth" and more >= 2:
            if not check_password(server, args[i + 1], args[i + 2]):
                raise CommandError(errors.WRONGPASS)
            client.authenticated = True
            i += 3
        elif opt == b"setname" and more >= 1:
            set_client_name(client, args[i + 1])
            i += 2
        else:
            raise CommandError(errors.HELLO_OPTION_FMT % args[i].decode(errors="replace"))
    if server.core.auth_required and not client.authenticated:
        raise CommandError(errors.HELLO_NOAUTH)
    if version:
        client.proto = version
    return {
        "server": "redis",
        "version": server.redis_version,
        "proto": client.proto,
        "id": client.id,
        "mode": "standalone",
        "role": "master",
        "modules": [],
    }


# RESET
@group.command("RESET", 1, "noscript loading stale fast no_auth allow_busy", since="6.2.0",
               roles="not_queued subscribed_context",
               summary="Resets the connection.")
def reset(server, client, args):
    server.reset_client(client)
    return Status("RESET")


# ---------------------------------------------------------------------------------------------
# CLIENT
# ---------------------------------------------------------------------------------------------
client_cmd = group.container("CLIENT", "A container for client connection commands.",
                             since="2.4.0")
CLIENT_FLAGS = "noscript loading stale"
CLIENT_TYPES = (b"normal", b"master", b"replica", b"slave", b"pubsub")

# CLIENT HELP: Redis's text for the subcommands pyredis implements, in Redis's order.
CLIENT_HELP = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
]


def client_type_arg(raw: bytes) -> str:
    """A client class name as CLIENT LIST/KILL take it ("slave" is "replica")."""
    kind = raw.lower()
    if kind not in CLIENT_TYPES:
        raise CommandError(errors.UNKNOWN_CLIENT_TYPE_FMT % raw.decode(errors="replace"))
    return "replica" if kind == b"slave" else kind.decode()


# CLIENT CACHING <YES | NO>
@group.command("CLIENT CACHING (YES | NO)", 3, CLIENT_FLAGS, parent="client", since="6.0.0",
               summary="Instructs the server whether to track the keys in the next request.")
def client_caching(server, client, args):
    # client-side caching (CLIENT TRACKING) is not implemented: no client is ever in tracking
    # mode, which is exactly the case this error is for
    raise CommandError(errors.CLIENT_CACHING_MODE)


# CLIENT GETREDIR
@group.command("CLIENT GETREDIR", 2, CLIENT_FLAGS, parent="client", since="6.0.0",
               summary="Returns the client ID to which the connection's tracking notifications "
                       "are redirected.")
def client_getredir(server, client, args):
    return -1          # tracking is off


# CLIENT ID
@group.command("CLIENT ID", 2, CLIENT_FLAGS, parent="client", since="5.0.0",
               summary="Returns the unique client ID of the connection.")
def client_id(server, client, args):
    return client.id


# CLIENT GETNAME
@group.command("CLIENT GETNAME", 2, CLIENT_FLAGS, parent="client", since="2.6.9",
               summary="Returns the name of the connection.")
def client_getname(server, client, args):
    return client.name


# CLIENT SETNAME connection-name
@group.command("CLIENT SETNAME connection-name", 3, CLIENT_FLAGS, parent="client",
               since="2.6.9", summary="Sets the connection name.")
def client_setname(server, client, args):
    set_client_name(client, args[2])
    return Status("OK")


# CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>
@group.command("CLIENT SETINFO LIB-NAME libname | LIB-VER libver", 4, CLIENT_FLAGS,
               parent="client", since="7.2.0",
               summary="Sets information specific to the client or connection.")
def client_setinfo(server, client, args):
    attr = args[2].lower()
    if attr not in (b"lib-name", b"lib-ver"):
        raise CommandError(errors.UNRECOGNIZED_OPTION_FMT % args[2].decode(errors="replace"))
    if not valid_name(args[3]):
        raise CommandError(errors.CLIENT_ATTR_CHARS_FMT % attr.decode())
    if attr == b"lib-name":
        client.lib_name = args[3] or None
    else:
        client.lib_ver = args[3] or None
    return Status("OK")


# CLIENT INFO
@group.command("CLIENT INFO", 2, CLIENT_FLAGS, parent="client", since="6.2.0",
               tips="nondeterministic_output",
               summary="Returns information about the connection.")
def client_info(server, client, args):
    return Verbatim(client.info_line() + "\n")


# CLIENT KILL <ip:port | <[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>]
#             | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME <YES | NO>]>
#             [...]>
@group.command("CLIENT KILL (ip:port | ([ID client-id] | [TYPE (NORMAL | MASTER | SLAVE | "
               "REPLICA | PUBSUB)] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | "
               "[SKIPME yes/no]) [...])", -3, "admin " + CLIENT_FLAGS, parent="client", since="2.4.0",
               complexity="O(N) where N is the number of client connections",
               summary="Terminates open connections.")
def client_kill(server, client, args):
    clients = sorted(server.core.clients.values(), key=lambda c: c.id)
    if len(args) == 3:
        # the old form: one address, +OK or an error
        addr = args[2].decode(errors="surrogateescape")
        target = next((c for c in clients if c.addr == addr), None)
        if target is None:
            raise CommandError(errors.NO_SUCH_CLIENT)
        kill_client(server, client, target)
        return Status("OK")
    wanted_id = kind = addr = laddr = None
    skipme = True
    for i in range(2, len(args), 2):
        if i + 1 >= len(args):
            raise CommandError(errors.SYNTAX)
        opt, value = args[i].lower(), args[i + 1]
        if opt == b"id":
            wanted_id = parse_ll(value)
            if wanted_id is None or wanted_id < 1:
                raise CommandError(errors.CLIENT_ID_POSITIVE)
        elif opt == b"type":
            kind = client_type_arg(value)
        elif opt == b"user":
            if value != b"default":
                raise CommandError(errors.NO_SUCH_USER_FMT % value.decode(errors="replace"))
        elif opt == b"addr":
            addr = value.decode(errors="surrogateescape")
        elif opt == b"laddr":
            laddr = value.decode(errors="surrogateescape")
        elif opt == b"skipme":
            if value.lower() not in (b"yes", b"no"):
                raise CommandError(errors.SYNTAX)
            skipme = value.lower() == b"yes"
        else:
            raise CommandError(errors.SYNTAX)
    killed = 0
    for c in clients:
        if ((wanted_id is not None and c.id != wanted_id)
                or (kind is not None and server.client_type(c) != kind)
                or (addr is not None and c.addr != addr)
                or (laddr is not None and c.laddr != laddr)
                or (skipme and c is client)):
            continue
        kill_client(server, client, c)
        killed += 1
    return killed


def kill_client(server, me, target) -> None:
    """Close `target`: at once (end of this loop iteration), or after this reply if it is the
    caller itself."""
    if target is me:
        me.close_after_reply()
    else:
        server.core.close_client(target)


# CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]
@group.command("CLIENT LIST [TYPE (NORMAL | MASTER | REPLICA | PUBSUB)] "
               "[ID client-id [client-id ...]]", -2, "admin " + CLIENT_FLAGS, parent="client",
               since="2.4.0", tips="nondeterministic_output",
               complexity="O(N) where N is the number of client connections",
               summary="Lists open connections.")
def client_list(server, client, args):
    if len(args) == 4 and args[2].lower() == b"type":
        kind = client_type_arg(args[3])
        clients = sorted((c for c in server.core.clients.values()
                          if server.client_type(c) == kind), key=lambda c: c.id)
    elif len(args) >= 4 and args[2].lower() == b"id":
        # as Redis: in the order given, repeats included, unknown ids skipped
        clients = []
        for raw in args[3:]:
            value = parse_ll(raw)
            if value is None:
                raise CommandError(errors.INVALID_CLIENT_ID)
            found = server.core.client_by_id(value)
            if found is not None:
                clients.append(found)
    elif len(args) == 2:
        clients = sorted(server.core.clients.values(), key=lambda c: c.id)
    else:
        raise CommandError(errors.SYNTAX)
    return Verbatim("".join(c.info_line() + "\n" for c in clients))


# CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
@group.command("CLIENT UNBLOCK client-id [TIMEOUT | ERROR]", -3, "admin " + CLIENT_FLAGS,
               parent="client", since="5.0.0",
               complexity="O(log N) where N is the number of client connections",
               summary="Unblocks a client blocked by a blocking command from a different "
                       "connection.")
def client_unblock(server, client, args):
    if len(args) > 4:
        raise CommandError(errors.subcommand_syntax(args))
    error = False
    if len(args) == 4:
        reason = args[3].lower()
        if reason not in (b"timeout", b"error"):
            raise CommandError(errors.UNBLOCK_REASON)
        error = reason == b"error"
    target_id = parse_ll(args[2])
    if target_id is None:
        raise CommandError(errors.NOT_INTEGER)
    target = server.core.client_by_id(target_id)
    return int(target is not None and server.unblock_client(target, error))


# CLIENT REPLY <ON | OFF | SKIP>
@group.command("CLIENT REPLY (ON | OFF | SKIP)", 3, CLIENT_FLAGS, parent="client",
               since="3.2.0", summary="Instruct the server whether to reply to commands")
def client_reply(server, client, args):
    # the core drops the replies (Client.reply_mode): OFF until ON, SKIP for the next command
    mode = args[2].lower()
    if mode == b"on":
        client.reply_mode = "on"
        return Status("OK")
    if mode == b"off":
        client.reply_mode = "off"
        return NO_REPLY
    if mode == b"skip":
        if client.reply_mode != "off":      # SKIP changes nothing while replies are off
            client.reply_mode = "skip"
        return NO_REPLY
    raise CommandError(errors.SYNTAX)


PAUSE_KINDS = {b"write": 1, b"all": 2}      # fastresp.core's PAUSE_WRITE, PAUSE_ALL
LLONG_MAX = (1 << 63) - 1
PAUSE_MAX_MS = 10 ** 15                     # ~31700 years: keeps the core's microseconds in range


# CLIENT PAUSE timeout [WRITE | ALL]
@group.command("CLIENT PAUSE timeout [WRITE | ALL]", -3, "admin " + CLIENT_FLAGS,
               parent="client", since="2.9.50",
               summary="Stop processing commands from clients for some time")
def client_pause(server, client, args):
    if len(args) > 4:
        raise CommandError(errors.subcommand_syntax(args))
    kind = 2
    if len(args) == 4:
        kind = PAUSE_KINDS.get(args[3].lower())
        if kind is None:
            raise CommandError(errors.PAUSE_MODE)
    timeout = parse_ll(args[2])
    if timeout is None:
        raise CommandError(errors.TIMEOUT_NOT_INTEGER)
    if timeout < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    # Redis adds the timeout to the Unix time in ms: a sum past LLONG_MAX wraps into the past,
    # and the pause ends as soon as it starts
    if timeout > LLONG_MAX - int(time.time() * 1000):
        timeout = 0
    server.core.pause(min(timeout, PAUSE_MAX_MS), kind)
    return Status("OK")


# CLIENT UNPAUSE
@group.command("CLIENT UNPAUSE", 2, "admin " + CLIENT_FLAGS, parent="client", since="6.2.0",
               complexity="O(N) Where N is the number of paused clients",
               summary="Resume processing of clients that were paused")
def client_unpause(server, client, args):
    server.core.unpause()
    return Status("OK")


# CLIENT TRACKINGINFO
@group.command("CLIENT TRACKINGINFO", 2, CLIENT_FLAGS, parent="client", since="6.2.0",
               summary="Returns information about server-assisted client-side caching for the "
                       "connection.")
def client_trackinginfo(server, client, args):
    return {"flags": SetReply(["off"]), "redirect": -1, "prefixes": []}


# CLIENT NO-EVICT <ON | OFF>
@group.command("CLIENT NO-EVICT (ON | OFF)", 3, "admin " + CLIENT_FLAGS, parent="client",
               since="7.0.0", summary="Sets the client eviction mode of the connection.")
def client_no_evict(server, client, args):
    # client eviction (maxmemory-clients) is not implemented, so the mode changes nothing
    if args[2].lower() not in (b"on", b"off"):
        raise CommandError(errors.SYNTAX)
    return Status("OK")


# CLIENT HELP
@group.command("CLIENT HELP", 2, "loading stale", parent="client", since="5.0.0",
               summary="Returns helpful text about the different subcommands.")
def client_help(server, client, args):
    return [Status(line) for line in CLIENT_HELP]
