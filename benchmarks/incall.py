#!/usr/bin/env python3
"""The cost of the in-process entry point, next to a socket client's.

A Cython caller (incall_caller.pyx, compiled here against the installed fastresp .pxd files,
as scripting and modules will be) runs `INCR k` through call_command as a fake client and
reads each reply with the C reply reader; the same through the Python API (Core.call) for
comparison. Both run in this process, pinned to CPU 0, on a core assembled as the server
assembles it. Then pyredis-server runs INCR under redis-benchmark and its CPU time per request
is measured as benchmarks/cpu.py measures it (-P 1 and -P 16): the work a socket client's
command costs the server, parsing and replying over the socket included.

    python benchmarks/incall.py [--calls 1000000] [--rounds 5] [--no-socket]
                                [--format csv|json] [--out FILE]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import benchutil as bu
import cpu

HERE = os.path.dirname(os.path.abspath(__file__))


def build_caller():
    """Compile incall_caller.pyx into a temporary directory and import it."""
    import fastresp
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension
    pkg = os.path.dirname(fastresp.__file__)
    build = tempfile.mkdtemp(prefix="pyredis-incall-")
    ext = Extension("incall_caller", [os.path.join(HERE, "incall_caller.pyx")],
                    include_dirs=[os.path.join(pkg, "includes")],
                    extra_compile_args=["-O3", "-Wno-unused-function"])
    dist = Distribution({"ext_modules": cythonize(
        [ext], include_path=[os.path.dirname(pkg)], build_dir=build, quiet=True,
        compiler_directives={"language_level": 3})})
    cmd = dist.get_command_obj("build_ext")
    cmd.build_lib = build
    cmd.build_temp = build
    dist.run_command("build_ext")
    sys.path.insert(0, build)
    import incall_caller
    return incall_caller


def assemble_core():
    """The core of a server assembled in this process exactly as pyredis-server assembles it
    (Server._wire), with the default configuration; nothing listens."""
    from pyredis.config import Config
    from pyredis.server import Server
    return Server(Config()).core


def ns_per_call(fn, calls: int, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.process_time_ns()
        fn(calls)
        samples.append((time.process_time_ns() - start) / calls)
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bu.add_common_args(ap)
    ap.add_argument("--calls", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-socket", action="store_true",
                    help="skip the pyredis-server measurement")
    args = ap.parse_args()
    bu.install_sigterm_handler()
    caller = build_caller()
    try:
        os.sched_setaffinity(0, {0})
    except (AttributeError, OSError):
        pass
    core = assemble_core()
    argv = [b"INCR", b"k"]
    fake = core.fake_client("module")
    rows = []
    cython_ns = ns_per_call(lambda n: caller.run(core, argv, n), args.calls, args.rounds)
    assert core.call(fake, "GET", "k") == str(args.calls * args.rounds).encode()
    rows.append({"caller": "in-process, Cython (call_command + ReplyReader)",
                 "cpu_us_per_command": round(cython_ns / 1000, 4)})

    def python_calls(n):
        for _ in range(n):
            core.call(fake, b"INCR", b"k")
    python_ns = ns_per_call(python_calls, max(args.calls // 5, 1), args.rounds)
    rows.append({"caller": "in-process, Python (Core.call)",
                 "cpu_us_per_command": round(python_ns / 1000, 4)})
    if not args.no_socket:
        server = bu.Server("pyredis", args.pyredis_cmd, 0, args.start_timeout)
        try:
            server.start()
            for depth, n in ((1, 300000), (16, 2000000)):
                us = statistics.median(cpu.measure(server, "incr", depth, n, 100000)
                                       for _ in range(args.rounds))
                rows.append({"caller": f"socket client, redis-benchmark -P {depth} "
                                       "(server CPU per request)",
                             "cpu_us_per_command": round(us, 4)})
        finally:
            bu.stop_all([server])
    bu.print_table(["caller", "CPU us per INCR"],
                   [(r["caller"], "%.4f" % r["cpu_us_per_command"]) for r in rows])
    bu.emit(rows, ["caller", "cpu_us_per_command"],
            {"script": "benchmarks/incall.py", "calls": args.calls, "rounds": args.rounds},
            args.format, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
