"""The readiness backend behind the event loop (includes/poll_backend.h), both variants:
epoll (Linux) and the portable poll(2) fallback used elsewhere. A small C program exercises
add / wait / modify / delete on a pipe and a socket pair and prints what it saw."""
import os
import shutil
import subprocess
import tempfile

import pytest

HEADER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "src", "fastresp", "includes")

PROGRAM = r"""
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>
#include "poll_backend.h"

static int wait_one(int h, int *fd, int *mask) {
    int fds[8], masks[8];
    int n = pb_wait(h, fds, masks, 8, 200);
    if (n > 0) { *fd = fds[0]; *mask = masks[0]; }
    return n;
}

int main(void) {
    int p[2], sv[2], fd = -1, mask = 0, h = pb_create();
    if (h < 0 || pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return 2;
    if (pb_add(h, p[0], PB_READ)) return 3;
    printf("idle:%d\n", wait_one(h, &fd, &mask));             /* nothing ready */
    write(p[1], "x", 1);
    int n = wait_one(h, &fd, &mask);
    printf("ready:%d same_fd:%d read:%d\n", n, fd == p[0], !!(mask & PB_READ));
    if (pb_add(h, sv[0], PB_READ)) return 4;
    char c; read(p[0], &c, 1);
    if (pb_mod(h, sv[0], PB_READ | PB_WRITE)) return 5;
    n = wait_one(h, &fd, &mask);
    printf("writable:%d same_fd:%d write:%d\n", n, fd == sv[0], !!(mask & PB_WRITE));
    if (pb_mod(h, sv[0], PB_READ)) return 6;
    printf("after_mod:%d\n", wait_one(h, &fd, &mask));
    close(sv[1]);                                               /* peer hangs up */
    n = wait_one(h, &fd, &mask);
    printf("hangup:%d same_fd:%d\n", n, fd == sv[0]);
    if (pb_del(h, sv[0])) return 7;
    printf("after_del:%d\n", wait_one(h, &fd, &mask));
    printf("backend:%s\n", PB_BACKEND_NAME);
    pb_close(h);
    return 0;
}
"""

EXPECTED = ["idle:0", "ready:1 same_fd:1 read:1", "writable:1 same_fd:1 write:1",
            "after_mod:0", "hangup:1 same_fd:1", "after_del:0"]


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
@pytest.mark.parametrize("variant,backend", [([], "epoll"), (["-DFASTRESP_USE_POLL"], "poll")])
def test_backend(variant, backend):
    if backend == "epoll" and not os.uname().sysname == "Linux":
        pytest.skip("epoll is Linux only")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "t.c")
        exe = os.path.join(tmp, "t")
        with open(src, "w") as f:
            f.write(PROGRAM)
        subprocess.run(["cc", "-O1", "-I", HEADER_DIR, *variant, src, "-o", exe], check=True)
        out = subprocess.run([exe], capture_output=True, text=True)
    assert out.returncode == 0, out
    lines = out.stdout.split("\n")
    assert lines[:6] == EXPECTED
    assert lines[6] == f"backend:{backend}"
