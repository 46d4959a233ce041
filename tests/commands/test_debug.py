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
