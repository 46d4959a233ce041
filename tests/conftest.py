"""Fixtures: one pyredis-server (and one redis-server for differential tests) per test worker.

- `server`: the shared pyredis-server process; every test starts with FLUSHALL on it.
- `r`, `r3`: redis-py clients speaking RESP2 and RESP3 to it.
- `raw`: a raw RESP client to it.
- `ref`: the shared redis-server 7.0 process (tests using it are skipped when redis-server is
  not installed).
- `diff`, `diff3`: differential harnesses comparing both servers byte for byte (RESP2/RESP3);
  `d` runs a test once with each.
Tests needing special settings start their own server with support.start_pyredis(...).
"""
import pytest

from tests import support


@pytest.fixture(scope="session")
def server():
    proc = support.start_pyredis()
    yield proc
    code = proc.stop()
    assert code == 0, f"pyredis-server exited with {code}:\n{proc.output()}"


@pytest.fixture(scope="session")
def ref():
    if support.redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    proc = support.start_redis()
    yield proc
    proc.stop()


@pytest.fixture
def r(server):
    client = server.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def r3(server):
    client = server.client(protocol=3)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def raw(server):
    client = server.raw()
    client.call("FLUSHALL")
    yield client
    client.close()


@pytest.fixture
def diff(server, ref):
    d = support.Differential(server, ref, proto=2)
    yield d
    d.close()


@pytest.fixture
def diff3(server, ref):
    d = support.Differential(server, ref, proto=3)
    yield d
    d.close()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def d(request):
    """The differential harness, once in RESP2 (`diff`) and once in RESP3 (`diff3`)."""
    return request.getfixturevalue("diff" if request.param == 2 else "diff3")
