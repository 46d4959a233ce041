# cython: language_level=3
"""The error replies of the hot path (includes/errors.h) as Python strings, and the exception
Python command handlers raise to reply with an error. pyredis.errors re-exports all of it."""
from fastresp.includes.libc_extra cimport (
    ERR_SYNTAX, ERR_WRONGTYPE, ERR_NOT_INTEGER, ERR_NOT_FLOAT, ERR_OVERFLOW, ERR_DECR_OVERFLOW,
    ERR_NAN_OR_INF, ERR_NO_SUCH_KEY, ERR_DB_INDEX, ERR_INVALID_DB_INDEX, ERR_SAME_OBJECT,
    ERR_STRING_TOO_LONG, ERR_OFFSET_RANGE, ERR_INVALID_CURSOR, ERR_NOAUTH, ERR_NX_XX_GT_LT,
    ERR_GT_LT_NX, ERR_MAX_CLIENTS, ERR_UNKNOWN_SUBCOMMAND_FMT, ERR_ARITY_FMT, ERR_EXPIRE_TIME_FMT)


class CommandError(Exception):
    """An error reply: ``str(err)`` is the reply text without the leading '-',
    e.g. ``"ERR syntax error"``."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


SYNTAX = (<bytes>ERR_SYNTAX).decode()
WRONGTYPE = (<bytes>ERR_WRONGTYPE).decode()
NOT_INTEGER = (<bytes>ERR_NOT_INTEGER).decode()
NOT_FLOAT = (<bytes>ERR_NOT_FLOAT).decode()
OVERFLOW = (<bytes>ERR_OVERFLOW).decode()
DECR_OVERFLOW = (<bytes>ERR_DECR_OVERFLOW).decode()
NAN_OR_INF = (<bytes>ERR_NAN_OR_INF).decode()
NO_SUCH_KEY = (<bytes>ERR_NO_SUCH_KEY).decode()
DB_INDEX = (<bytes>ERR_DB_INDEX).decode()
INVALID_DB_INDEX = (<bytes>ERR_INVALID_DB_INDEX).decode()
SAME_OBJECT = (<bytes>ERR_SAME_OBJECT).decode()
STRING_TOO_LONG = (<bytes>ERR_STRING_TOO_LONG).decode()
OFFSET_RANGE = (<bytes>ERR_OFFSET_RANGE).decode()
INVALID_CURSOR = (<bytes>ERR_INVALID_CURSOR).decode()
NOAUTH = (<bytes>ERR_NOAUTH).decode()
NX_XX_GT_LT = (<bytes>ERR_NX_XX_GT_LT).decode()
GT_LT_NX = (<bytes>ERR_GT_LT_NX).decode()
MAX_CLIENTS = (<bytes>ERR_MAX_CLIENTS).decode()


def unknown_subcommand(subcommand, container):
    """"ERR unknown subcommand 'x'. Try CONFIG HELP." (subcommand cut at 128 bytes)."""
    return (<bytes>ERR_UNKNOWN_SUBCOMMAND_FMT).decode() % (128, subcommand, container.upper())


def wrong_arity(fullname):
    return (<bytes>ERR_ARITY_FMT).decode() % fullname


def invalid_expire_time(fullname):
    return (<bytes>ERR_EXPIRE_TIME_FMT).decode() % fullname
