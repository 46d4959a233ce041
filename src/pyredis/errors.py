"""Error replies, worded byte for byte as Redis 7.0 words them.

The texts the Cython hot path uses live in fastresp's includes/errors.h and reach Python through
fastresp.errors; the ones only Python handlers use are defined below. A handler raises
``CommandError`` with the full text (prefix included, no leading ``-``); the dispatcher writes
it as an error reply and counts it in INFO errorstats.
"""
from fastresp.errors import *  # noqa: F401,F403  (CommandError and the hot path's texts)
from fastresp.errors import CommandError  # noqa: F401

NOPROTO = "NOPROTO unsupported protocol version"
PROTOCOL_VERSION_NOT_INT = "ERR Protocol version is not an integer or out of range"
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_NOT_CONFIGURED = ("ERR AUTH <password> called without any password configured for the "
                       "default user. Are you sure your configuration is correct?")
HELLO_NOAUTH = ("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                "select the RESP protocol version at the same time")
CLIENT_NAME_CHARS = "ERR Client names cannot contain spaces, newlines or special characters."


def subcommand_syntax(args) -> str:
    """Redis's addReplySubcommandSyntaxError, for a command given as a list of bytes."""
    return ("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
            % (args[1][:128].decode(errors="replace"), args[0].decode(errors="replace").upper()))
