# cython: language_level=3
"""Every error reply's text, from includes/errors.h (the one place they are written), as Python
strings named as there (`SYNTAX`, `WRONGTYPE`, `ARITY_FMT` ...; a *_FMT text is a %-format),
and the exception Python command handlers raise to reply with an error. pyredis.errors
re-exports all of it."""
from fastresp.includes.errors cimport fr_errors


class CommandError(Exception):
    """An error reply: ``str(err)`` is the reply text without the leading '-',
    e.g. ``"ERR syntax error"``."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


cdef dict _load_texts():
    cdef int i = 0
    cdef dict texts = {}
    while fr_errors[i].name != NULL:
        texts[(<bytes>fr_errors[i].name).decode()] = (<bytes>fr_errors[i].text).decode()
        i += 1
    return texts


TEXTS = _load_texts()        # name -> text, in errors.h's order; each is a module name too
globals().update(TEXTS)
__all__ = ["CommandError", "TEXTS", "unknown_subcommand", "subcommand_syntax", "wrong_arity",
           "invalid_expire_time", *TEXTS]


def unknown_subcommand(subcommand, container):
    """"ERR unknown subcommand 'x'. Try CONFIG HELP." (subcommand cut at 128 bytes)."""
    return TEXTS["UNKNOWN_SUBCOMMAND_FMT"] % (128, subcommand, container.upper())


def subcommand_syntax(args):
    """Redis's addReplySubcommandSyntaxError, for a command given as a list of bytes."""
    return TEXTS["SUBCOMMAND_SYNTAX_FMT"] % (
        128, args[1][:128].decode(errors="replace"), args[0].decode(errors="replace").upper())


def wrong_arity(fullname):
    return TEXTS["ARITY_FMT"] % fullname


def invalid_expire_time(fullname):
    return TEXTS["EXPIRE_TIME_FMT"] % fullname
