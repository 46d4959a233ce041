"""COMMAND and its subcommands against redis-server 7.0.

The central check: every command pyredis declares has the COMMAND INFO entry redis-server 7.0
gives it (arity, flags, key positions, ACL categories, tips, key specs, subcommands), byte for
byte in RESP2 and RESP3. Subcommand order is hash order in Redis, so containers are compared
subcommand by subcommand; a container may lack some of Redis's subcommands (listed in the
report), and CLIENT SETINFO (Redis 7.2) is exempt. Commands pyredis does not implement must
answer exactly as redis-server answers an unknown command.
"""
import re

import hiredis
import pytest

from pyredis.commands import build_table
from pyredis.commands.table import ACL_ORDER

TABLE = build_table()
TOP_NAMES = sorted(spec.name for spec in TABLE)
ALL_SPECS = [spec for top in TABLE for spec in [top, *top.subcommands]]
KEYED = sorted((spec for spec in ALL_SPECS if spec.key_specs), key=lambda s: s.fullname)
NOT_IN_REDIS_70 = {"client|setinfo"}
ARG_TYPES = {"string", "integer", "double", "key", "pattern", "unix-time", "pure-token",
             "oneof", "block"}
ARG_FLAGS = {"optional", "multiple", "multiple_token"}
GROUPS = {"generic", "string", "list", "set", "sorted-set", "hash", "pubsub", "transactions",
          "connection", "server", "scripting", "hyperloglog", "cluster", "sentinel", "geo",
          "stream", "bitmap"}


def decode(reply: bytes):
    reader = hiredis.Reader()
    reader.feed(reply)
    return reader.gets()


def typed(buf: bytes, pos: int = 0):
    """A RESP2/RESP3 decoder keeping each value's wire type: ((type, value), next pos)."""
    end = buf.index(b"\r\n", pos)
    kind, body, nxt = buf[pos:pos + 1].decode(), buf[pos + 1:end], end + 2
    if kind in "+-:_,#(":
        return (kind, body), nxt
    if kind in "$=!":
        n = int(body)
        if n < 0:
            return (kind, None), nxt
        return (kind, buf[nxt:nxt + n]), nxt + n + 2
    n = int(body)
    if n < 0:
        return (kind, None), nxt
    items = []
    for _ in range(n * 2 if kind in "%|" else n):
        item, nxt = typed(buf, nxt)
        items.append(item)
    return (kind, items), nxt


def typed_reply(reply: bytes):
    value, end = typed(reply)
    assert end == len(reply)
    return value


def entry_name(entry) -> bytes:
    return entry[1][0][1]


@pytest.fixture(scope="module")
def ref_names(ref):
    c = ref.raw()
    names = {n.decode() for n in decode(c.call("COMMAND", "LIST"))}
    c.close()
    return names


# ---------------------------------------------------------------------------------------------
# COMMAND INFO: every declaration against Redis's
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", TOP_NAMES)
def test_command_info_matches_redis(d, name):
    ours, ref = d.both("COMMAND", "INFO", name)
    spec = next(s for s in TABLE if s.name == name)
    if not spec.subcommands:
        assert ours == ref
        return
    mine, theirs = typed_reply(ours)[1][0], typed_reply(ref)[1][0]
    assert mine[1][:9] == theirs[1][:9], "the container's own fields"
    assert mine[1][9][0] == theirs[1][9][0] == "*"
    redis_subs = {entry_name(sub): sub for sub in theirs[1][9][1]}
    our_subs = {entry_name(sub): sub for sub in mine[1][9][1]}
    assert len(our_subs) == len(spec.subcommands)
    for sub_name, entry in our_subs.items():
        if sub_name.decode() in NOT_IN_REDIS_70:
            continue
        assert sub_name in redis_subs, f"{sub_name} is not a Redis 7.0 subcommand"
        assert entry == redis_subs[sub_name], sub_name


@pytest.mark.parametrize("spec", [s for s in ALL_SPECS if s.parent], ids=lambda s: s.fullname)
def test_subcommand_info_by_full_name(d, spec):
    if spec.fullname in NOT_IN_REDIS_70:
        pytest.skip("Redis 7.2 subcommand")
    d.check("COMMAND", "INFO", spec.fullname)


def test_command_info_forms(d):
    d.check_all([
        ("COMMAND", "INFO", "nosuch"), ("COMMAND", "INFO", "get", "nosuch", "set"),
        ("COMMAND", "INFO", "config|get"), ("COMMAND", "INFO", "CONFIG|GET"),
        ("COMMAND", "INFO", "config|"), ("COMMAND", "INFO", "config|nosuch"),
        ("COMMAND", "INFO", "get|x"), ("COMMAND", "INFO", "config|get|x"),
        ("COMMAND", "INFO", "|get"), ("COMMAND", "INFO", ""), ("COMMAND", "INFO", "GET"),
        ("COMMAND", "INFO", "object|encoding", "OBJECT|FREQ"), ("COMMAND", "INFO", "ping", "ping"),
    ])


def test_command_and_count(server):
    c = server.raw()
    try:
        everything = typed_reply(c.call("COMMAND"))
        count = decode(c.call("COMMAND", "COUNT"))
        assert everything[0] == "*" and len(everything[1]) == count == len(TOP_NAMES)
        assert sorted(entry_name(e).decode() for e in everything[1]) == TOP_NAMES
        for entry in everything[1]:
            assert entry[0] == "*" and len(entry[1]) == 10
        assert typed_reply(c.call("COMMAND", "INFO")) == everything
        listed = [n.decode() for n in decode(c.call("COMMAND", "LIST"))]
        assert sorted(n for n in listed if "|" not in n) == TOP_NAMES
        assert sorted(listed) == sorted(s.fullname for s in ALL_SPECS)
    finally:
        c.close()


def test_command_errors(d):
    d.check_all([("COMMAND", "FOO"), ("COMMAND", "COUNT", "x"), ("COMMAND", "HELP", "x"),
                 ("COMMAND", "LIST", "x"), ("COMMAND", "LIST", "FILTERBY"),
                 ("COMMAND", "LIST", "FILTERBY", "foo", "x"),
                 ("COMMAND", "LIST", "FILTERBY", "ACLCAT"),
                 ("COMMAND", "LIST", "FILTERBY", "aclcat", "nosuch"),
                 ("COMMAND", "LIST", "FILTERBY", "module", "x"),
                 ("COMMAND", "LIST", "FILTERBY", "pattern", "zzz*"),
                 ("COMMAND", "LIST", "FILTERBY", "pattern", "a", "b"), ("COMMAND", "HELP")])


# ---------------------------------------------------------------------------------------------
# Commands pyredis does not implement
# ---------------------------------------------------------------------------------------------

def test_unimplemented_commands_are_unknown(server, ref, ref_names):
    """Every Redis 7.0 command missing here answers with Redis's unknown-command error (the
    expected text is redis-server's answer to a truly unknown command, renamed)."""
    theirs = ref.raw()
    template = theirs.call("FOO", "a", "b c")
    template_sub = theirs.call("CONFIG", "FOO", "a")
    theirs.close()
    assert template == b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b c' \r\n"
    c = server.raw()
    try:
        ours = {n.decode() for n in decode(c.call("COMMAND", "LIST"))}
        missing = sorted(n for n in ref_names - ours if "|" not in n)
        assert "lpush" in missing or "lpush" in ours
        for name in missing:
            sent = name.upper() if len(name) % 2 else name
            assert c.call(sent, "a", "b c") == template.replace(b"FOO", sent.encode()), name
        assert c.call("PING") == b"+PONG\r\n"
        for full in sorted(n for n in ref_names - ours if "|" in n):
            container, sub = full.split("|")
            if container not in ours:
                continue
            expected = template_sub.replace(b"CONFIG", container.upper().encode()).replace(
                b"'FOO'", f"'{sub}'".encode())
            assert c.call(container, sub, "a") == expected, full
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------
# COMMAND DOCS
# ---------------------------------------------------------------------------------------------

def check_arguments(args, proto):
    assert isinstance(args, list) and args
    for arg in args:
        if proto == 2:                   # maps come as flat arrays
            assert isinstance(arg, list) and len(arg) % 2 == 0
            arg = dict(zip(arg[::2], arg[1::2]))
        assert isinstance(arg, dict)
        assert set(arg) <= {b"name", b"type", b"token", b"flags", b"arguments",
                            b"key_spec_index", b"display_text", b"since", b"summary"}
        assert arg[b"name"] and arg[b"type"].decode() in ARG_TYPES
        kind = arg[b"type"].decode()
        if kind == "pure-token":
            assert arg[b"token"]
        if kind in ("oneof", "block"):
            check_arguments(arg[b"arguments"], proto)
        else:
            assert b"arguments" not in arg
        if kind == "key":
            assert isinstance(arg[b"key_spec_index"], int)
        if b"flags" in arg:
            flags = arg[b"flags"]
            assert {f.decode() for f in flags} <= ARG_FLAGS
            assert isinstance(flags, (set, list) if proto == 3 else list)


@pytest.mark.parametrize("proto", [2, 3])
def test_command_docs_well_formed(server, ref, proto):
    """COMMAND DOCS for every command: summary, since, group, complexity, arguments; since and
    group are Redis 7.0's."""
    c, theirs = server.raw(), ref.raw()
    try:
        if proto == 3:
            c.call("HELLO", "3")
            theirs.call("HELLO", "3")
        raw = c.call("COMMAND", "DOCS")
        assert raw[:1] == (b"*" if proto == 2 else b"%")
        docs = decode(raw)
        if proto == 2:
            docs = dict(zip(docs[::2], docs[1::2]))
        assert sorted(n.decode() for n in docs) == TOP_NAMES
        flat = {}
        for name, doc in docs.items():
            if proto == 2:
                doc = dict(zip(doc[::2], doc[1::2]))
            flat[name.decode()] = doc
            subs = doc.get(b"subcommands", [] if proto == 2 else {})
            if proto == 2:
                subs = dict(zip(subs[::2], subs[1::2]))
            for sub_name, sub_doc in subs.items():
                flat[sub_name.decode()] = (dict(zip(sub_doc[::2], sub_doc[1::2]))
                                           if proto == 2 else sub_doc)
        assert sorted(flat) == sorted(s.fullname for s in ALL_SPECS)
        for name, doc in flat.items():
            assert doc[b"summary"] and doc[b"complexity"], name
            assert re.fullmatch(rb"\d+\.\d+\.\d+", doc[b"since"]), name
            assert doc[b"group"].decode() in GROUPS, name
            if b"arguments" in doc:
                check_arguments(doc[b"arguments"], proto)
            if name in NOT_IN_REDIS_70:
                continue
            redis_doc = decode(theirs.call("COMMAND", "DOCS", name))
            redis_doc = (dict(zip(redis_doc[1][::2], redis_doc[1][1::2])) if proto == 2
                         else redis_doc[name.encode()])
            assert (doc[b"since"], doc[b"group"]) == \
                (redis_doc[b"since"], redis_doc[b"group"]), name
            assert (b"arguments" in doc) == (b"arguments" in redis_doc), name
    finally:
        c.close()
        theirs.close()


def test_command_docs_selected(server, ref):
    for args in [("nosuch",), ("get", "nosuch"), ("config|get",), ("GET", "get")]:
        mine = decode(server.raw().call("COMMAND", "DOCS", *args))
        theirs = decode(ref.raw().call("COMMAND", "DOCS", *args))
        assert mine[::2] == theirs[::2], args


def test_command_docs_typed_like_redis(d):
    """Argument flags are simple strings inside a set, as Redis sends them."""
    ours, ref = d.both("COMMAND", "DOCS", "mget")
    assert b"+multiple\r\n" in ours and b"+multiple\r\n" in ref
    kind = "~" if d.proto == 3 else "*"
    assert f"{kind}1\r\n+multiple".encode() in ours


# ---------------------------------------------------------------------------------------------
# COMMAND LIST
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("filt", [("ACLCAT", c) for c in ACL_ORDER] + [
    ("ACLCAT", "STRING"), ("PATTERN", "*"), ("PATTERN", "*get*"), ("PATTERN", "CLIENT|*"),
    ("PATTERN", "config|[gs]et"), ("PATTERN", "?et"), ("PATTERN", "nomatch"),
    ("MODULE", "nosuch"),
], ids=lambda f: "-".join(f))
def test_command_list_filterby(server, ref, filt):
    """Our list is Redis's list restricted to the commands we have."""
    ours = decode(server.raw().call("COMMAND", "LIST", "FILTERBY", *filt))
    theirs = decode(ref.raw().call("COMMAND", "LIST", "FILTERBY", *filt))
    have = {s.fullname for s in ALL_SPECS}
    assert len(ours) == len(set(ours))
    assert sorted(n.decode() for n in ours if n.decode() not in NOT_IN_REDIS_70) == \
        sorted(n.decode() for n in theirs if n.decode() in have)


# ---------------------------------------------------------------------------------------------
# COMMAND GETKEYS / GETKEYSANDFLAGS
# ---------------------------------------------------------------------------------------------

def sample_args(spec, extra: int = 0) -> list:
    words = spec.fullname.split("|")
    n = (spec.arity if spec.arity > 0 else -spec.arity + extra) - len(words)
    fillers = ["k1", "v1", "k2", "v2", "k3", "v3", "k4", "v4"]
    return words + fillers[:n]


@pytest.mark.parametrize("spec", KEYED, ids=lambda s: s.fullname)
def test_getkeys_every_keyed_command(d, spec):
    for extra in ((0, 1, 2, 3) if spec.arity < 0 else (0,)):
        args = sample_args(spec, extra)
        d.check("COMMAND", "GETKEYS", *args)
        d.check("COMMAND", "GETKEYSANDFLAGS", *args)


def test_getkeys_cases(d):
    d.check_all([
        ("COMMAND", "GETKEYS", "set", "a", "b"), ("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"),
        ("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "GET"),
        ("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "EX", "10", "get"),
        ("COMMAND", "GETKEYSANDFLAGS", "set", "a", "get"),
        ("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "getx"),
        ("COMMAND", "GETKEYS", "mset", "a", "1", "b"), ("COMMAND", "GETKEYS", "mset", "a"),
        ("COMMAND", "GETKEYS", "MGET", "a", "b", "c"), ("COMMAND", "GETKEYS", "get"),
        ("COMMAND", "GETKEYS", "get", "a", "b"), ("COMMAND", "GETKEYS", "nosuch", "a"),
        ("COMMAND", "GETKEYS", "ping"), ("COMMAND", "GETKEYS", "ping", "x"),
        ("COMMAND", "GETKEYS", "time", "x"), ("COMMAND", "GETKEYS", "config"),
        ("COMMAND", "GETKEYS", "config", "get", "x"), ("COMMAND", "GETKEYS", "config|get", "x"),
        ("COMMAND", "GETKEYS", "client", "nosuch"), ("COMMAND", "GETKEYS", "object", "help"),
        ("COMMAND", "GETKEYS", "object", "encoding"), ("COMMAND", "GETKEYS", "object"),
        ("COMMAND", "GETKEYS", "copy", "a", "b", "DB", "1", "REPLACE"),
        ("COMMAND", "GETKEYSANDFLAGS", "rename", "a", "b"),
        ("COMMAND", "GETKEYSANDFLAGS", "lcs", "a", "b", "LEN"), ("COMMAND", "GETKEYS"),
        ("COMMAND", "GETKEYSANDFLAGS"), ("COMMAND", "GETKEYS", "GET", "k"),
    ])


def test_command_help(d):
    d.check("COMMAND", "HELP")
