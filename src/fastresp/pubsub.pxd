# Pub/Sub: channel, pattern and shard-channel registries, PUBLISH, and keyspace notifications.
from fastresp.core cimport Core, Client
from fastresp.reply cimport ReplyBuf


cdef class PubSub:
    cdef Core core
    cdef dict channels             # channel -> {Client: None}
    cdef dict patterns             # pattern -> {Client: None}
    cdef dict shard                # shard channel -> {Client: None}
    cdef ReplyBuf frame            # scratch: the frame being published (RESP2 form)
    cdef readonly long long obuf_closed   # subscribers closed for the output buffer limit

cdef long long publish(Core core, const char* ch, size_t chn, const char* msg, size_t mn) except -1
