"""The per-request path of hot commands runs no Python: every command declared with a Cython
handler is dispatched, executed and answered without calling a Python handler, as the
`python_handler_calls` counter of INFO stats shows."""
from fastresp.core import NativeHandler

from pyredis.commands import build_table
from tests.support import assert_no_python, python_calls

HOT_COMMANDS = [
    ("SET", "k", "v"), ("GET", "k"), ("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", "5"),
    ("MSET", "a", "1", "b", "2"), ("MGET", "a", "b", "zz"), ("APPEND", "k", "x"),
    ("SET", "t", "v", "EX", "100", "GET"), ("GETEX", "t", "PX", "5000"), ("TTL", "t"),
    ("EXPIRE", "k", "100"), ("PERSIST", "k"), ("EXISTS", "k", "a"), ("TYPE", "k"),
    ("DEL", "a"), ("PING",), ("ECHO", "hi"), ("SELECT", "0"), ("SCAN", "0"), ("KEYS", "*"),
    ("GETRANGE", "k", "0", "-1"), ("SETRANGE", "k", "1", "Z"), ("STRLEN", "k"), ("DBSIZE",),
    ("INCRBYFLOAT", "f", "1.5"), ("RENAME", "k", "k2"), ("COPY", "k2", "k3"), ("GETDEL", "k3"),
    ("OBJECT", "ENCODING", "k2"), ("UNLINK", "k2"),
]


def test_hot_commands_call_no_python_handler(r):
    assert_no_python(r, HOT_COMMANDS)


def test_the_counter_counts_python_handlers(r):
    before = python_calls(r)
    r.config_get("port")
    r.client_id()
    assert python_calls(r) == before + 3     # CONFIG GET, CLIENT ID, and this INFO


def test_hot_commands_are_declared_native():
    specs = [s for top in build_table() for s in [top, *top.subcommands]]
    native = {s.fullname for s in specs if isinstance(s.handler, NativeHandler)}
    names = {args[0].lower() + ("|" + args[1].lower() if args[0] == "OBJECT" else "")
             for args in HOT_COMMANDS}
    assert names <= native
