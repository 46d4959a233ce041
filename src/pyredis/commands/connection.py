"""The connection group: PING, ECHO and SELECT are Cython; the rest is Python."""
import hmac

from fastresp.core import NO_REPLY, Status, Verbatim
from fastresp.t_keys import HANDLERS as K

from pyredis import errors
from pyredis.commands.table import Group
from pyredis.errors import CommandError

group = Group("connection")

group.native("PING [message]", -1, "fast", K["ping"], tips="request_policy:all_shards "
             "response_policy:all_succeeded", summary="Returns the server's liveliness response.")
group.native("ECHO message", 2, "loading stale fast", K["echo"], summary="Returns the given string.")
group.native("SELECT index", 2, "loading stale fast", K["select"], since="2.0.0",
             summary="Changes the selected database.")


# QUIT
@group.command("QUIT", -1, "noscript loading stale fast no_auth allow_busy",
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
        raise CommandError("ERR Client names cannot contain spaces, newlines or special characters.")
    client.name = name or None


# HELLO [protover [AUTH username password] [SETNAME clientname]]
@group.command("HELLO [protover [AUTH username password] [SETNAME clientname]]", -1,
               "noscript loading stale fast no_auth allow_busy", since="6.0.0",
               summary="Handshakes with the Redis server.")
def hello(server, client, args):
    version = 0
    i = 1
    if len(args) >= 2:
        try:
            version = int(args[1]) if args[1].lstrip(b"-").isdigit() else None
        except ValueError:
            version = None
        if version is None or not -2**63 <= version < 2**63:
            raise CommandError(errors.PROTOCOL_VERSION_NOT_INT)
        if version < 2 or version > 3:
            raise CommandError(errors.NOPROTO)
        i = 2
    name = None
    while i < len(args):
        opt = args[i].lower()
        more = len(args) - 1 - i
        if opt == b"auth" and more >= 2:
            if not check_password(server, args[i + 1], args[i + 2]):
                raise CommandError(errors.WRONGPASS)
            client.authenticated = True
            i += 3
        elif opt == b"setname" and more >= 1:
            name = args[i + 1]
            if not valid_name(name):
                raise CommandError("ERR Client names cannot contain spaces, newlines or special "
                                   "characters.")
            i += 2
        else:
            raise CommandError("ERR Syntax error in HELLO option '%s'" % args[i].decode(
                errors="replace"))
    if server.core.auth_required and not client.authenticated:
        raise CommandError(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
            "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
            "select the RESP protocol version at the same time")
    if name is not None:
        client.name = name or None
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
        raise CommandError("ERR Unrecognized option '%s'" % args[2].decode(errors="replace"))
    if not valid_name(args[3]):
        raise CommandError("ERR %s cannot contain spaces, newlines or special characters."
                           % attr.decode())
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
    return Verbatim(server.client_line(client) + "\n")


# CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]
@group.command("CLIENT LIST [TYPE NORMAL | MASTER | REPLICA | PUBSUB] "
               "[ID client-id [client-id ...]]", -2, "admin " + CLIENT_FLAGS, parent="client",
               since="2.4.0", tips="nondeterministic_output", complexity="O(N)",
               summary="Lists open connections.")
def client_list(server, client, args):
    clients = list(server.core.clients.values())
    if len(args) == 4 and args[2].lower() == b"type":
        kind = args[3].lower()
        if kind not in (b"normal", b"master", b"replica", b"slave", b"pubsub"):
            raise CommandError("ERR Unknown client type '%s'" % args[3].decode(errors="replace"))
        clients = [c for c in clients if server.client_type(c) == kind.decode()]
    elif len(args) >= 4 and args[2].lower() == b"id":
        wanted = []
        for raw in args[3:]:
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if value <= 0:
                raise CommandError("ERR Invalid client ID")
            wanted.append(value)
        clients = [server.core.client_by_id(i) for i in dict.fromkeys(wanted)]
        clients = [c for c in clients if c is not None]
    elif len(args) != 2:
        raise CommandError(errors.SYNTAX)
    clients.sort(key=lambda c: c.id)
    return Verbatim("".join(server.client_line(c) + "\n" for c in clients))


# CLIENT HELP
@group.command("CLIENT HELP", 2, "loading stale", parent="client", since="5.0.0",
               summary="Returns helpful text about the different subcommands.")
def client_help(server, client, args):
    return server.help_lines("CLIENT", client_cmd)
