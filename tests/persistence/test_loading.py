"""Clients during start-up loading: the server listens first, and while a large AOF or RDB loads
it answers between chunks of the file, -LOADING for commands that cannot run yet and INFO with
`loading:1` and the loading_* fields, as redis-server 7.0 does; then it serves the full dataset."""
import os
import subprocess
import time

import pytest

from tests import support

COMMANDS = 600_000


def big_aof_dir(d) -> None:
    """An AOF set of one incr file with COMMANDS SETs (about 35 MB)."""
    aofdir = d / "appendonlydir"
    aofdir.mkdir()
    rec = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
    with open(aofdir / "appendonly.aof.1.incr.aof", "wb") as f:
        chunk = []
        for i in range(COMMANDS):
            k, v = b"key:%d" % i, b"value-%d" % i
            chunk.append(rec % (len(k), k, len(v), v))
            if len(chunk) == 10000:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))
    (aofdir / "appendonly.aof.manifest").write_text(
        "file appendonly.aof.1.incr.aof seq 1 type i\n")


def big_rdb_dir(d) -> None:
    """dump.rdb with COMMANDS keys, saved by pyredis."""
    srv = support.start_pyredis()
    try:
        c = srv.client()
        p = c.pipeline(transaction=False)
        for first in range(0, COMMANDS, 2000):
            p.mset({f"key:{i}": f"value-{i}" for i in range(first, min(first + 2000, COMMANDS))})
        p.execute()
        c.save()
        os.replace(os.path.join(srv.dir, "dump.rdb"), d / "dump.rdb")
    finally:
        srv.stop()


def ask(port, *commands) -> list[bytes]:
    """Send commands on a fresh connection; the raw reply of each (a RESP bulk read whole)."""
    with support.RawClient(port, timeout=10) as c:
        c.send(b"".join(support.encode(*cmd) for cmd in commands))
        return [c.read_reply() for _ in commands]


def watch_loading(kind, d, appendonly) -> dict:
    command = support.pyredis_command() if kind == "pyredis" else [support.redis_server_path()]
    srv = support.ServerProcess(command, ("--appendonly", appendonly, "--dir", str(d)))
    srv.proc = subprocess.Popen(srv.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                cwd=srv.dir)
    seen = {"loading_replies": set(), "info_loading": [], "pong_after": None}
    started = time.time()
    try:
        while time.time() - started < 60:
            assert srv.proc.poll() is None, srv.output()
            try:
                ping, info, dbsize = ask(srv.port, ("PING",), ("INFO", "persistence"),
                                         ("DBSIZE",))
            except (OSError, support.ConnectionClosed):
                time.sleep(0.005)
                continue
            fields = dict(line.split(":", 1) for line in info.decode().split("\r\n")
                          if ":" in line and not line.startswith(("$", "#")))
            if ping == b"+PONG\r\n":
                seen["pong_after"] = time.time() - started
                seen["dbsize"] = dbsize
                seen["final_loading"] = fields.get("loading")
                break
            seen["loading_replies"].add((ping, dbsize))
            seen["info_loading"].append(fields)
            time.sleep(0.02)
    finally:
        srv.stop()
    return seen


@pytest.mark.parametrize("kind", ["pyredis", "redis"])
@pytest.mark.parametrize("source", ["aof", "rdb"])
def test_clients_during_loading(tmp_path, kind, source):
    if kind == "redis" and support.redis_server_path() is None:
        pytest.skip("no redis-server")
    if source == "aof":
        big_aof_dir(tmp_path)
        path = tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof"
    else:
        big_rdb_dir(tmp_path)
        path = tmp_path / "dump.rdb"
    seen = watch_loading(kind, tmp_path, "yes" if source == "aof" else "no")
    assert seen["pong_after"] is not None, "never answered PONG"
    assert seen["dbsize"] == b":%d\r\n" % COMMANDS
    assert seen["final_loading"] == "0"
    loading_error = b"-LOADING Redis is loading the dataset in memory\r\n"
    assert seen["loading_replies"] == {(loading_error, loading_error)}, seen["loading_replies"]
    assert seen["info_loading"], "INFO never showed the load in progress"
    for fields in seen["info_loading"]:
        assert fields["loading"] == "1"
        total = int(fields["loading_total_bytes"])
        assert total == os.path.getsize(path)
        assert 0 <= int(fields["loading_loaded_bytes"]) <= total
        assert 0.0 <= float(fields["loading_loaded_perc"]) <= 100.0
        assert {"loading_start_time", "loading_eta_seconds", "async_loading"} <= set(fields)


@pytest.mark.parametrize("kind", ["pyredis", "redis"])
def test_shutdown_during_loading_exits_without_saving(tmp_path, kind):
    """SHUTDOWN from a client served while the AOF loads: the server stops loading and exits 0,
    and does not save the half-loaded dataset even with save points set."""
    if kind == "redis" and support.redis_server_path() is None:
        pytest.skip("no redis-server")
    big_aof_dir(tmp_path)
    incr = tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof"
    size = incr.stat().st_size
    command = support.pyredis_command() if kind == "pyredis" else [support.redis_server_path()]
    srv = support.ServerProcess(command, ("--appendonly", "yes", "--dir", str(tmp_path),
                                          "--save", "3600 1"))
    srv.proc = subprocess.Popen(srv.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                cwd=srv.dir)
    try:
        deadline = time.time() + 30
        while True:
            assert time.time() < deadline, "never saw the load in progress"
            try:
                if ask(srv.port, ("PING",)) == [b"-LOADING Redis is loading the dataset in "
                                                 b"memory\r\n"]:
                    break
            except (OSError, support.ConnectionClosed):
                pass
            time.sleep(0.002)
        try:
            ask(srv.port, ("SHUTDOWN",))
        except (OSError, support.ConnectionClosed):
            pass                            # the connection closes as the server exits
        assert srv.proc.wait(10) == 0
        assert not (tmp_path / "dump.rdb").exists()
        assert incr.stat().st_size == size
    finally:
        srv.stop()
