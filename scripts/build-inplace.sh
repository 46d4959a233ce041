#!/bin/sh
# Rebuild the Cython extensions in place for an editable install (pip install -e .), one build
# at a time on this machine: cythonize only recompiles modules whose sources changed.
cd "$(dirname "$0")/.." || exit 1
exec flock /tmp/pyredis-build.lock python setup.py build_ext --inplace -j 2 "$@"
