"""pyredis-check-aof against redis-check-aof 7.0.15 on the same inputs: exit status, the error
line with its offset, `AOF analyzed: ... ok_up_to=..., ok_up_to_line=..., diff=...`, the verdict
lines and, with --fix, the prompt, the answer handling and the size the file is cut to.

Lines that pyredis does not print (the per-field `AUX FIELD` / `Selecting DB ID` lines of the RDB
check) are left out of the comparison; everything else must be identical."""
import io
import os
import shutil
import subprocess
import sys

import pytest

from pyredis.persistence import check_aof
from tests import support

REDIS_TOOL = shutil.which("redis-check-aof")
needs_redis = pytest.mark.skipif(REDIS_TOOL is None or support.redis_server_path() is None,
                                 reason="redis-check-aof / redis-server not installed")
PY_TOOL = [sys.executable, "-m", "pyredis.persistence.check_aof"]


def enc(*args) -> bytes:
    return support.encode(*args)


SAMPLE = (enc("SELECT", "0") + enc("set", "k4", "v4") + enc("MULTI") + enc("set", "a", "1") +
          enc("incr", "n") + enc("EXEC") + enc("set", "k5", "v5"))
S = enc("set", "a", "1")


def run_in_process(target, fix, answer):
    """pyredis.persistence.check_aof.main in this process (the exhaustive tests run it hundreds
    of times): (exit status, stdout bytes)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="latin-1", newline="")
    old_out, old_in = sys.stdout, sys.stdin
    sys.stdout, sys.stdin = out, io.StringIO(answer.decode())
    try:
        rc = check_aof.main((["--fix"] if fix else []) + [target])
    finally:
        sys.stdout, sys.stdin = old_out, old_in
    out.flush()
    return rc, out.buffer.getvalue()


def run(tool, target, cwd, fix=False, answer=b"y\n", in_process=False):
    if in_process:
        here = os.getcwd()
        os.chdir(cwd)
        try:
            returncode, stdout = run_in_process(target, fix, answer)
        finally:
            os.chdir(here)
        r = subprocess.CompletedProcess([], returncode, stdout)
    else:
        cmd = ([REDIS_TOOL] if tool == "redis" else PY_TOOL) + (["--fix"] if fix else []) + \
            [target]
        r = subprocess.run(cmd, input=answer, capture_output=True, cwd=cwd, timeout=30)
    lines = [ln for ln in r.stdout.decode("latin-1").splitlines()
             if "AUX FIELD" not in ln and "Selecting DB ID" not in ln]
    if "--- RDB ERROR DETECTED ---" in lines:
        # the details of a broken RDB image ([offset]/[additional info]/[info]) differ
        lines = [ln for ln in lines if not ln.startswith("[")]
    if "*** FATAL AOF MANIFEST FILE ERROR ***" in r.stdout.decode("latin-1"):
        # redis-check-aof prints these through its logger (pid and time stamps)
        lines = [ln.split(" # ", 1)[-1] for ln in lines]
        lines = [ln for ln in lines if ln.strip()]
    return r.returncode, lines


def sizes(d):
    return {n: os.path.getsize(os.path.join(d, n)) for n in sorted(os.listdir(d))}


def compare_file(tmp_path, content, fix=False, answer=b"y\n", in_process=False):
    """Both tools on their own copy of one old-style file; returns redis's result."""
    out = {}
    for tool in ("redis", "pyredis"):
        d = tmp_path / tool
        d.mkdir(exist_ok=True)
        (d / "f.aof").write_bytes(content)
        rc, lines = run(tool, "f.aof", d, fix, answer, in_process and tool == "pyredis")
        out[tool] = (rc, lines, (d / "f.aof").stat().st_size)
    assert out["pyredis"] == out["redis"]
    return out["redis"]


def cases():
    """Cuts at every byte and single-byte substitutions across the sample."""
    out = [("cut", cut) for cut in range(len(SAMPLE) + 1)]
    out += [("sub", i) for i in range(0, len(SAMPLE), 3)]
    return out


@needs_redis
@pytest.mark.parametrize("part", range(4))
def test_every_cut_and_substitution(tmp_path, part):
    """Old-style files: every torn tail of a sample holding a MULTI/EXEC, and a corrupted byte at
    every third offset (three different replacement bytes), checked with and without --fix."""
    mine = cases()[part::4]
    for kind, i in mine:
        if kind == "cut":
            variants = [SAMPLE[:i]]
        else:
            variants = []
            for ch in b"X9\n":
                d = bytearray(SAMPLE)
                d[i] = ch
                variants.append(bytes(d))
        for content in variants:
            sub = tmp_path / f"{kind}{i}-{len(variants)}"
            for fix in (False, True):
                shutil.rmtree(sub, ignore_errors=True)
                sub.mkdir()
                compare_file(sub, content, fix=fix, in_process=True)


SPECIAL = {
    "empty": b"",
    "valid": SAMPLE,
    "argc0": S + b"*0\r\n" + S,
    "argc-neg": S + b"*-1\r\n" + S,
    "len-neg": S + b"*2\r\n$-1\r\n$1\r\na\r\n" + S,
    "len-huge": S + b"*1\r\n$" + b"9" * 30 + b"\r\n" + S,
    "len-past-end": S + b"*1\r\n$99999\r\nabc\r\n",
    "multi-in-multi": S + enc("MULTI") + enc("multi") + S + enc("exec"),
    "exec-alone": S + enc("exec"),
    "annotations": b"#TS:123\r\n" + S + b"#TS:124\r\n" + S,
    "annotation-torn": S + b"#TS:12",
    "annotation-then-torn": S + b"#hello\r\n" + S + b"*1\r\n",
    "empty-line": S + b"\r\n" + S,
    "space": S + b" " + S,
    "plus-sign": S + b"*+2\r\n$1\r\na\r\n$1\r\nb\r\n",
    "nul-bytes": S + b"\0\0\0",
    "zero-length-arg": S + b"*1\r\n$0\r\n\r\n" + S,
    "high-byte": S + b"*2\xff\n" + S,
    "torn-in-open-multi": S + enc("multi") + S + b"*2\r\n$3",
}


@needs_redis
@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_inputs(tmp_path, name):
    (tmp_path / "a").mkdir()
    rc, lines, _ = compare_file(tmp_path / "a", SPECIAL[name])
    (tmp_path / "b").mkdir()
    compare_file(tmp_path / "b", SPECIAL[name], fix=True)
    if name in ("empty", "valid", "argc0", "argc-neg", "annotations", "annotation-torn", "plus-sign",
                "zero-length-arg"):
        assert rc == 0
    else:
        assert rc == 1 and lines[-1].endswith("is not valid. Use the --fix option to try "
                                              "fixing it.")


@needs_redis
@pytest.mark.parametrize("answer", [b"y\n", b"Y\n", b"yes\n", b"n\n", b"\n", b"x\n", b""])
def test_fix_prompt_answers(tmp_path, answer):
    """b"": standard input at its end (no answer at all) aborts, as in redis-check-aof."""
    rc, lines, size = compare_file(tmp_path, SAMPLE[:100], fix=True, answer=answer)
    assert lines[-2] == ("This will shrink the AOF f.aof from 100 bytes, with 48 bytes, to 52 "
                         "bytes")
    if answer[:1] in (b"y", b"Y"):
        assert (rc, size) == (0, 52)
        assert lines[-1] == "Continue? [y/N]: Successfully truncated AOF f.aof"
    else:
        assert (rc, size) == (1, 100)
        assert lines[-1] == "Continue? [y/N]: Aborting..."


# ------------------------------------------------------------------------------------------------
# Manifest sets written by redis-server 7.0.15
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def redis_set(tmp_path_factory):
    """appendonlydir after SET k1..k3, BGREWRITEAOF, SET k4..k6 (RDB base + incr), and a
    dump.rdb written by SAVE (no aof-base field)."""
    if support.redis_server_path() is None:
        pytest.skip("no redis-server")
    d = tmp_path_factory.mktemp("set")
    srv = support.start_redis("--dir", str(d), "--appendonly", "yes")
    try:
        c = srv.client()
        for i in (1, 2, 3):
            c.set(f"k{i}", f"v{i}")
        c.set("ttl", "x", ex=1000)
        c.bgrewriteaof()
        import time
        deadline = time.time() + 10
        while time.time() < deadline and \
                "appendonly.aof.2.base.rdb" not in os.listdir(d / "appendonlydir"):
            time.sleep(0.05)
        while time.time() < deadline and c.info("persistence")["aof_rewrite_in_progress"]:
            time.sleep(0.05)
        for i in (4, 5, 6):
            c.set(f"k{i}", f"v{i}")
        c.save()
    finally:
        srv.stop()
    return d


BASE = "appendonly.aof.2.base.rdb"
INCR = "appendonly.aof.2.incr.aof"
MAN = "appendonly.aof.manifest"


def _edit(d, name, fn):
    p = d / "appendonlydir" / name
    p.write_bytes(fn(p.read_bytes()))


def _flip(at):
    def fn(data):
        b = bytearray(data)
        b[at] ^= 0xFF
        return bytes(b)
    return fn


def _add_incr(d):
    """A third incr file after the torn second one (the torn one is then not the last)."""
    src = d / "appendonlydir" / INCR
    shutil.copy(src, d / "appendonlydir" / "appendonly.aof.3.incr.aof")
    with open(d / "appendonlydir" / MAN, "a") as f:
        f.write("file appendonly.aof.3.incr.aof seq 3 type i\n")
    _edit(d, INCR, lambda b: b[:-7])


MANIFEST_CASES = {
    "good": lambda d: None,
    "torn-incr": lambda d: _edit(d, INCR, lambda b: b[:-7]),
    "open-multi": lambda d: _edit(d, INCR, lambda b: b + enc("MULTI") + S),
    "format-error": lambda d: _edit(d, INCR, lambda b: b[:30] + b"X" + b[31:]),
    "torn-not-last": _add_incr,
    "base-crc": lambda d: _edit(d, BASE, _flip(-3)),
    "base-tail": lambda d: _edit(d, BASE, lambda b: b + S),
    "base-torn-tail": lambda d: _edit(d, BASE, lambda b: b + S[:-5]),
    "empty-incr": lambda d: _edit(d, INCR, lambda b: b""),
    "missing-incr": lambda d: os.unlink(d / "appendonlydir" / INCR),
    "bad-manifest": lambda d: (d / "appendonlydir" / MAN).write_text("file foo seq\n"),
    "dup-base": lambda d: _edit(d, MAN, lambda b: b + b"file x seq 3 type b\n"),
    "base-only-torn": lambda d: (
        (d / "appendonlydir" / MAN).write_text(f"file {BASE} seq 2 type b\n"),
        _edit(d, BASE, lambda b: b + S[:-5])),
}


@needs_redis
@pytest.mark.parametrize("fix", [False, True], ids=["check", "fix"])
@pytest.mark.parametrize("case", sorted(MANIFEST_CASES))
def test_manifest_sets(tmp_path, redis_set, case, fix):
    results = {}
    for tool in ("redis", "pyredis"):
        d = tmp_path / tool
        shutil.copytree(redis_set / "appendonlydir", d / "appendonlydir")
        MANIFEST_CASES[case](d)
        rc, lines = run(tool, f"appendonlydir/{MAN}", d, fix)
        results[tool] = (rc, lines, sizes(d / "appendonlydir"))
    assert results["pyredis"] == results["redis"]
    rc = results["redis"][0]
    if case in ("good", "base-tail", "empty-incr"):
        assert rc == 0 and results["redis"][1][-1] == "All AOF files and manifest are valid"
    elif fix and case in ("torn-incr", "open-multi", "format-error", "base-only-torn"):
        assert rc == 0 and "Successfully truncated" in "\n".join(results["redis"][1])
    else:
        assert rc == 1


@needs_redis
def test_old_style_rdb_preamble_files(tmp_path, redis_set):
    """A Redis 6 style file: the dump.rdb image followed by commands, then torn."""
    dump = (redis_set / "dump.rdb").read_bytes()
    for i, content in enumerate([dump, dump + SAMPLE, dump + SAMPLE[:-9], dump[:-20]]):
        for fix in (False, True):
            d = tmp_path / f"{i}-{fix}"
            d.mkdir()
            rc, lines, _ = compare_file(d, content, fix=fix)
            if i < 2:
                assert rc == 0 and "RDB preamble is OK, proceeding with AOF tail..." in lines
            if i == 3:
                assert rc == 1 and "RDB preamble of AOF file is not sane, aborting." in lines
