#!/bin/sh
# Install what the tests need and run the whole suite:
#   - Debian's redis-server/redis-tools 7.0: the reference server for differential tests,
#     redis-cli and redis-benchmark (skipped with a message where apt cannot install them);
#   - strace, for the fsync-ordering test (skipped with a message where it cannot be installed);
#   - pyredis itself with its test extras (pytest, pytest-xdist, hypothesis, redis-py, hiredis).
# Extra arguments go to pytest.
set -e
cd "$(dirname "$0")/.."

# apt_install "what is skipped without them" package...
apt_install() {
  what="$1"; shift
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  { $SUDO apt-get install -y "$@" ||
    { $SUDO apt-get update && $SUDO apt-get install -y "$@"; }; } >/dev/null 2>&1 ||
    echo "note: $* could not be installed; $what will be skipped" >&2
}

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  apt_install "differential tests" redis-server redis-tools
fi
command -v strace >/dev/null 2>&1 || apt_install "the fsync-ordering test" strace
python3 -m pip install --quiet '.[test]'
exec python3 -m pytest -n 2 "$@"
