"""DEBUG (RELOAD) against redis-server 7.0: refused unless enable-debug-command allows it;
DEBUG RELOAD saves, empties and reloads the dataset."""
import pytest

from tests import support


def servers(tmp_path, *args):
    if support.redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    out = []
    for kind, start in (("pyredis", support.start_pyredis), ("redis", support.start_redis)):
        (tmp_path / kind).mkdir()
        out.append(start("--dir", str(tmp_path / kind), *args))
    return out


def replies(srv, commands):
    c = srv.raw()
    try:
        return [c.call(*cmd) for cmd in commands]
    finally:
        c.close()


@pytest.mark.parametrize("mode", ["no", "yes", "local"])
def test_debug_allowed_as_configured(tmp_path, mode):
    ours, ref = servers(tmp_path, "--enable-debug-command", mode)
    try:
        script = [("DEBUG", "RELOAD"), ("DEBUG", "RELOAD", "foo"), ("DEBUG", "nosuch"),
                  ("DEBUG",)]
        assert replies(ours, script) == replies(ref, script)
    finally:
        ours.stop()
        ref.stop()


def test_debug_reload_keeps_the_dataset(tmp_path):
    ours, ref = servers(tmp_path, "--enable-debug-command", "yes")
    try:
        setup = [("SET", "s", "v"), ("SET", "n", "12"), ("SET", "t", "x", "EX", "1000"),
                 ("RPUSH", "l", "a", "b"), ("HSET", "h", "f", "v"), ("SADD", "z1", "1", "2"),
                 ("ZADD", "z", "1.5", "m"), ("SELECT", "3"), ("SET", "in3", "y"), ("SELECT", "0")]
        check = [("DEBUG", "RELOAD"), ("DBSIZE",), ("GET", "s"), ("OBJECT", "ENCODING", "n"),
                 ("LRANGE", "l", "0", "-1"), ("HGETALL", "h"), ("SMEMBERS", "z1"),
                 ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("TTL", "t"), ("SELECT", "3"),
                 ("GET", "in3"), ("SELECT", "0"), ("SET", "after", "1"),
                 ("DEBUG", "RELOAD", "NOSAVE"), ("EXISTS", "after"), ("DEBUG", "RELOAD"),
                 ("EXISTS", "after")]
        got = [replies(srv, setup + check)[len(setup):] for srv in (ours, ref)]
        assert got[0] == got[1]
        assert got[0][0] == b"+OK\r\n" and got[0][1] == b":7\r\n"
        assert got[0][14] == b":0\r\n" and got[0][16] == b":0\r\n"   # NOSAVE reloaded the file
    finally:
        ours.stop()
        ref.stop()


def test_debug_reload_noflush_merge_nosave(tmp_path):
    """NOSAVE loads the existing dump as it is; NOFLUSH keeps the keys the file does not hold;
    MERGE lets the loaded key (value and TTL) replace the one in memory; options combine in any
    order and may repeat; a missing dump is an error."""
    ours, ref = servers(tmp_path, "--enable-debug-command", "yes")
    try:
        script = [
            ("DEBUG", "RELOAD", "NOSAVE"),                      # no dump.rdb yet
            ("SET", "a", "1"), ("SET", "t", "f", "EX", "1000"), ("SET", "b", "1"),
            ("RPUSH", "l", "x", "y"), ("SELECT", "4"), ("SADD", "s4", "m"), ("SELECT", "0"),
            ("SAVE",),
            ("SET", "a", "2"), ("SET", "t", "x"), ("SET", "c", "3"), ("SET", "b", "z", "EX", "500"),
            ("DEL", "l"),
            ("DEBUG", "RELOAD", "NOFLUSH", "MERGE"),            # saves first: a no-op merge
            ("MGET", "a", "b", "c", "t"), ("TTL", "t"), ("TTL", "b"), ("EXISTS", "l"),
            ("SET", "a", "5"), ("SET", "e", "5"), ("PERSIST", "b"), ("RPUSH", "l", "new"),
            ("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"),   # the file wins where it has keys
            ("MGET", "a", "b", "c", "e", "t"), ("TTL", "b"), ("LRANGE", "l", "0", "-1"),
            ("SELECT", "4"), ("SMEMBERS", "s4"), ("SELECT", "0"), ("DBSIZE",),
            ("FLUSHALL",), ("SET", "zz", "1"), ("SELECT", "4"), ("SET", "other", "1"),
            ("SELECT", "0"),
            ("DEBUG", "RELOAD", "nosave", "noflush"),           # no key in common: no error
            ("DBSIZE",), ("MGET", "a", "zz"), ("SELECT", "4"), ("DBSIZE",), ("SELECT", "0"),
            ("DEBUG", "RELOAD", "MERGE", "NOSAVE"),             # flushes: only the file's keys
            ("DBSIZE",), ("EXISTS", "zz"),
            ("DEBUG", "RELOAD", "MERGE", "FOO"), ("DEBUG", "RELOAD", "nosave", "nosave"),
            ("DEBUG", "RELOAD", "NOFLUSH", "NOSAVE", "MERGE", "MERGE"), ("DBSIZE",),
        ]
        got = [replies(srv, script) for srv in (ours, ref)]
        assert got[0] == got[1]
        r = dict(zip(range(len(script)), got[0]))
        assert r[0] == b"-ERR Error trying to load the RDB dump\r\n"
        assert r[24] == b"*5\r\n$1\r\n2\r\n$1\r\nz\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\nx\r\n"
        assert r[25] == b":500\r\n"
        assert r[26] == b"*1\r\n$3\r\nnew\r\n"       # the second dump had no list
        at = script.index(("DEBUG", "RELOAD", "nosave", "noflush"))
        assert r[at] == b"+OK\r\n"
        assert r[at + 1] == b":5\r\n"     # a, b, c, t from the second dump + zz
        assert r[at + 2] == b"*2\r\n$1\r\n2\r\n$1\r\n1\r\n"
        assert r[at + 4] == b":2\r\n"     # s4 and other in db 4
    finally:
        ours.stop()
        ref.stop()


def test_debug_reload_noflush_duplicate_without_merge(tmp_path):
    """A key both in memory and in the file without MERGE: redis-server 7.0 panics ("RDB has
    duplicated key"); pyredis logs the same line, replies an error and keeps the dataset."""
    (tmp_path / "p").mkdir()
    srv = support.start_pyredis("--dir", str(tmp_path / "p"), "--enable-debug-command", "yes")
    try:
        script = [("SET", "a", "1"), ("SET", "b", "2"), ("SAVE",), ("SET", "a", "changed"),
                  ("SET", "c", "3"), ("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"),
                  ("MGET", "a", "b", "c"), ("DEBUG", "RELOAD", "NOFLUSH"), ("DBSIZE",),
                  ("PING",)]
        got = replies(srv, script)
        assert got[5] == b"-ERR Error trying to load the RDB dump\r\n"
        assert got[6] == b"*3\r\n$7\r\nchanged\r\n$1\r\n2\r\n$1\r\n3\r\n"
        assert got[7] == b"-ERR Error trying to load the RDB dump\r\n"
        assert got[8:] == [b":3\r\n", b"+PONG\r\n"]
        assert "RDB has duplicated key 'a' in DB 0" in srv.log() or \
            "RDB has duplicated key 'b' in DB 0" in srv.log()
    finally:
        srv.stop()


@pytest.mark.parametrize("damage", ["crc", "truncated", "garbage"])
def test_debug_reload_bad_dump(tmp_path, damage):
    """A damaged dump.rdb: the same error as redis-server, and the server keeps serving; with
    NOFLUSH the dataset is left as it was."""
    (tmp_path / "p").mkdir()
    d = tmp_path / "p"
    srv = support.start_pyredis("--dir", str(d), "--enable-debug-command", "yes")
    try:
        c = srv.client()
        c.set("a", "1")
        c.rpush("l", *range(50))
        c.save()
        data = (d / "dump.rdb").read_bytes()
        bad = {"crc": data[:-3] + bytes([data[-3] ^ 1]) + data[-2:],
               "truncated": data[:len(data) // 2],
               "garbage": b"REDIS0010" + b"\xfe\x00\xfb" + b"\x07" * 40}[damage]
        (d / "dump.rdb").write_bytes(bad)
        c.set("keep", "me")
        got = replies(srv, [("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"), ("DBSIZE",),
                            ("GET", "keep"), ("DEBUG", "RELOAD", "NOSAVE"), ("PING",)])
        assert got[0] == b"-ERR Error trying to load the RDB dump\r\n"
        assert got[1:3] == [b":3\r\n", b"$2\r\nme\r\n"]
        assert got[3] == b"-ERR Error trying to load the RDB dump\r\n"
        assert got[4] == b"+PONG\r\n"
    finally:
        srv.stop()
