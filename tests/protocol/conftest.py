"""Fixtures of the protocol tests: a private pyredis-server per module, restarted if a test
killed it (a crash must not take the shared session server down with it)."""
import pytest

from tests import support
from tests.support import ping_ok


@pytest.fixture(scope="module")
def _private():
    holder = {"proc": support.start_pyredis()}
    yield holder
    holder["proc"].stop()


@pytest.fixture
def ours(_private):
    """This module's pyredis-server, started again if an earlier test killed it."""
    if not ping_ok(_private["proc"].port):
        _private["proc"].stop()
        _private["proc"] = support.start_pyredis()
    return _private["proc"]
