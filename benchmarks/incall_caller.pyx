# cython: language_level=3, boundscheck=False, wraparound=False
"""A Cython caller of the core's in-process entry point, as scripting and modules will be:
it runs one command many times as a fake client and reads each reply through the C reader
(fastresp.reply.ReplyReader), making no Python object per call. Built by benchmarks/incall.py."""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdlib cimport malloc, free

from fastresp.core cimport Core, Client, fake_client, call_command, CLIENT_MODULE
from fastresp.reply cimport ReplyReader, ReplyItem, reader_init, reply_read


def run(Core core, list args, long long n):
    """Run `args` n times; returns the last reply's integer (or -1 if it was not one)."""
    cdef Client c = fake_client(core, CLIENT_MODULE, 0, 2)
    cdef int argc = len(args), i
    cdef const char** argv = <const char**>malloc(argc * sizeof(char*))
    cdef size_t* argl = <size_t*>malloc(argc * sizeof(size_t))
    cdef ReplyReader rd
    cdef ReplyItem it
    cdef long long k, last = -1
    try:
        for i in range(argc):
            argv[i] = PyBytes_AS_STRING(args[i])
            argl[i] = PyBytes_GET_SIZE(args[i])
        for k in range(n):
            call_command(c, argc, argv, argl)
            reader_init(&rd, c.out.data, c.out.len)
            reply_read(&rd, &it)
            last = it.n if it.kind == b":" else -1
            c.out.len = 0
        return last
    finally:
        free(argv)
        free(argl)
