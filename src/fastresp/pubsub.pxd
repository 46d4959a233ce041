# Pub/Sub: channel and pattern registries, PUBLISH, and keyspace notifications.
from fastresp.core cimport Core, Client

cdef long long publish(Core core, const char* ch, size_t chn, const char* msg, size_t mn) except -1
