#!/bin/sh
# Rebuild the Cython extensions for an editable install (pip install -e .), one build at a time
# on this machine: cythonize only recompiles modules whose sources changed. The libraries are
# built under build/ and then renamed into src/fastresp, never overwritten in place, so
# servers already running keep their mapped copies intact.
cd "$(dirname "$0")/.." || exit 1
exec flock /tmp/pyredis-build.lock sh -c '
set -e
python setup.py build_ext --build-lib build/inplace -j 2 "$@"
for so in build/inplace/fastresp/*.so; do
    dest="src/fastresp/$(basename "$so")"
    if ! cmp -s "$so" "$dest"; then
        cp "$so" "$dest.tmp.$$"
        mv -f "$dest.tmp.$$" "$dest"
    fi
done
' build-inplace "$@"
