#!/bin/sh
# Install what the tests need and run the whole suite:
#   - Debian's redis-server/redis-tools 7.0: the reference server for differential tests,
#     redis-cli and redis-benchmark (skipped with a message where apt cannot install them);
#   - pyredis itself with its test extras (pytest, pytest-xdist, hypothesis, redis-py, hiredis).
# Extra arguments go to pytest.
set -e
cd "$(dirname "$0")/.."
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  { $SUDO apt-get install -y redis-server redis-tools ||
    { $SUDO apt-get update && $SUDO apt-get install -y redis-server redis-tools; }; } >/dev/null 2>&1 ||
    echo "note: redis-server could not be installed; differential tests will be skipped" >&2
fi
python3 -m pip install --quiet '.[test]'
exec python3 -m pytest -n 2 "$@"
