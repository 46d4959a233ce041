"""Build the fastresp Cython extensions (the hot path of pyredis)."""
import os
import sys

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join("src", "fastresp")
INCLUDES = [os.path.join(SRC, "includes")]

# One extension per .pyx module of src/fastresp.
MODULES = ["util", "reply", "keyspace", "datatypes", "parser", "core", "listpack", "connection",
           "db", "expire", "object", "t_string", "t_list", "t_hash", "t_set", "t_zset", "t_sort",
           "pubsub", "rdb", "aofbase", "errors"]

COMPILE_ARGS = ["-O3", "-Wno-unused-function", "-Wno-unreachable-code"]
if os.environ.get("FASTRESP_DEBUG"):
    COMPILE_ARGS = ["-O0", "-g"]


def extensions():
    # FASTRESP_ONLY=t_hash,listpack builds just those modules (development: a module being
    # written elsewhere in the tree cannot break the build of another)
    only = [m for m in os.environ.get("FASTRESP_ONLY", "").split(",") if m]
    exts = [
        Extension(f"fastresp.{name}", [os.path.join(SRC, f"{name}.pyx")],
                  include_dirs=INCLUDES, extra_compile_args=COMPILE_ARGS)
        for name in MODULES
        if os.path.exists(os.path.join(HERE, SRC, f"{name}.pyx")) and (not only or name in only)
    ]
    from Cython.Build import cythonize
    return cythonize(
        exts,
        compiler_directives={"language_level": 3, "boundscheck": False, "wraparound": False,
                             "cdivision": True, "initializedcheck": False},
        annotate=bool(os.environ.get("FASTRESP_ANNOTATE")),
        include_path=["src"],
    )


setup(ext_modules=extensions())
