"""pyredis-check-aof: check (and with --fix, truncate) an AOF as redis-check-aof 7.0 does.

    pyredis-check-aof [--fix] <file.manifest|file.aof>

A manifest: the base (RDB or AOF) and every incr file are checked in order; the first bad
offset is reported; --fix truncates the last file at its last complete command (a torn tail).
A single file: checked as an old-style AOF (an RDB preamble is checked first when present).
Exit status 0 when everything is valid (or was fixed), 1 otherwise.
"""
from __future__ import annotations

import os
import sys

from pyredis.aof import Manifest, ManifestError, is_rdb, scan_commands


def _rdb_ok(path: str) -> tuple[bool, str]:
    from fastresp import rdb
    from fastresp.keyspace import Keyspace
    try:
        rdb.load(Keyspace(16), path)
    except rdb.RdbError as exc:
        return False, f"[offset {getattr(exc, 'offset', 0)}] RDB error: " \
                      f"{getattr(exc, 'message', str(exc))}"
    except OSError as exc:
        return False, f"Cannot open file {path}: {exc.strerror}"
    return True, ""


def check_file(path: str, label: str, fix: bool, may_fix: bool, out) -> bool:
    """Check one AOF file; True when valid (or fixed)."""
    name = os.path.basename(path) if label != "old" else path
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        out.write(f"Cannot open file {path}: {exc.strerror}\n")
        return False
    if data[:5] == b"REDIS":
        ok, why = _rdb_ok(path)
        if not ok:
            out.write(why + "\n")
            out.write("RDB preamble of AOF file is not sane, aborting.\n")
            return False
        out.write("RDB preamble is OK, proceeding with AOF tail...\n")
        out.write(f"AOF analyzed: filename={name}, size={len(data)}, ok_up_to={len(data)}, "
                  f"ok_up_to_line=1, diff=0\n")
        return True
    end, status, multi_at = scan_commands(data)
    if status == "ok" and multi_at >= 0:
        out.write("Reached EOF before reading EXEC for MULTI\n")
        end, status = multi_at, "truncated"
    elif status == "truncated":
        out.write(f"0x{end:16x}: Unexpected end of file\n")
        if multi_at >= 0:
            end = multi_at         # a torn tail inside an open MULTI: cut before the MULTI
    elif status == "bad":
        out.write(f"AOF {name} format error\n")
    diff = len(data) - end
    lines = data.count(b"\n", 0, end) + 1
    out.write(f"AOF analyzed: filename={name}, size={len(data)}, ok_up_to={end}, "
              f"ok_up_to_line={lines}, diff={diff}\n")
    if diff == 0:
        return True
    if not fix:
        out.write(f"AOF {name} is not valid. Use the --fix option to try fixing it.\n")
        return False
    if status == "bad" or not may_fix:
        out.write(f"AOF {name} is not valid and cannot be fixed here (corruption not at the "
                  f"tail of the last file): restore it from a backup.\n")
        return False
    out.write(f"This will shrink the AOF {name} from {len(data)} bytes, with {diff} bytes, "
              f"to {end} bytes\n")
    os.truncate(path, end)
    out.write(f"Successfully truncated AOF {name}\n")
    return True


def check_manifest(path: str, fix: bool, out) -> bool:
    out.write("Start checking Multi Part AOF\n")
    try:
        with open(path, "rb") as f:
            m = Manifest.parse(f.read().decode("utf-8", "surrogateescape"))
    except (ManifestError, OSError) as exc:
        out.write(f"Invalid AOF manifest file {path}: {exc}\n")
        return False
    d = os.path.dirname(path)
    files = m.files()
    ok = True
    if m.base:
        bpath = os.path.join(d, m.base[0])
        kind = "RDB" if is_rdb(bpath) else "AOF"
        out.write(f"Start to check BASE AOF ({kind} format).\n")
        if not check_file(bpath, "base", fix, len(files) == 1, out):
            return False
        out.write(f"BASE AOF {m.base[0]} is valid\n")
    if m.incrs:
        out.write("Start to check INCR files.\n")
    for i, (name, _seq) in enumerate(m.incrs):
        last = i == len(m.incrs) - 1
        if not check_file(os.path.join(d, name), "incr", fix, last, out):
            return False
        out.write(f"INCR AOF {name} is valid\n")
    if ok:
        out.write("All AOF files and manifest are valid\n")
    return ok


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    fix = False
    if args and args[0] == "--fix":
        fix = True
        args = args[1:]
    if len(args) != 1:
        sys.stderr.write("Usage: pyredis-check-aof [--fix] <file.manifest|file.aof>\n")
        return 1
    path = args[0]
    out = sys.stdout
    if path.endswith(".manifest"):
        ok = check_manifest(path, fix, out)
    else:
        out.write("Start checking Old-Style AOF\n")
        ok = check_file(path, "old", fix, True, out)
        if ok:
            out.write(f"AOF {path} is valid\n")
    out.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
