# C declarations fastresp needs beyond what Cython ships in libc/posix.
from libc.stdint cimport uint64_t

cdef extern from "compat.h" nogil:
    bint FR_LIKELY(bint)
    bint FR_UNLIKELY(bint)
    size_t fr_usable_size(void* p)
    size_t fr_heap_in_use()

cdef extern from "version.h":
    const char* REDIS_VERSION
    int REDIS_VERSION_NUM

cdef extern from "poll_backend.h" nogil:
    const char* PB_BACKEND_NAME
    enum: PB_READ, PB_WRITE, PB_ERROR, PB_MAX_BATCH
    int pb_create()
    void pb_close(int h)
    int pb_add(int h, int fd, int mask)
    int pb_mod(int h, int fd, int mask)
    int pb_del(int h, int fd)
    int pb_wait(int h, int* fds, int* masks, int maxn, int timeout_ms)

cdef extern from "<time.h>" nogil:
    ctypedef long time_t
    struct timespec:
        time_t tv_sec
        long tv_nsec
    int CLOCK_REALTIME, CLOCK_MONOTONIC
    int clock_gettime(int clk, timespec* ts)

cdef extern from "<math.h>" nogil:
    bint isnan(long double)
    bint isinf(long double)

cdef extern from "<stdlib.h>" nogil:
    long double strtold(const char* s, char** end)
    double strtod(const char* s, char** end)
    unsigned long strtoul(const char* s, char** end, int base)

cdef extern from "<stdio.h>" nogil:
    int snprintf(char* buf, size_t n, const char* fmt, ...)

cdef extern from "<ctype.h>" nogil:
    int tolower(int c)
    int toupper(int c)
    int isspace(int c)

cdef extern from "<errno.h>" nogil:
    int errno
    int EAGAIN, EWOULDBLOCK, EINTR, EMFILE, ENFILE, ERANGE, EINPROGRESS, ECONNABORTED

cdef extern from "<sys/types.h>" nogil:
    ctypedef int socklen_t
    ctypedef long ssize_t

cdef extern from "<sys/socket.h>" nogil:
    struct sockaddr:
        unsigned short sa_family
    struct sockaddr_storage:
        unsigned short ss_family
    int AF_INET, AF_INET6, AF_UNIX
    int SOL_SOCKET, SO_KEEPALIVE
    int SOCK_NONBLOCK, SOCK_CLOEXEC
    int accept4(int fd, sockaddr* addr, socklen_t* len, int flags)
    int getpeername(int fd, sockaddr* addr, socklen_t* len)
    int getsockname(int fd, sockaddr* addr, socklen_t* len)
    int setsockopt(int fd, int level, int name, const void* val, socklen_t len)

cdef extern from "<netinet/in.h>" nogil:
    struct in_addr:
        unsigned int s_addr
    struct sockaddr_in:
        unsigned short sin_family
        unsigned short sin_port
        in_addr sin_addr
    struct in6_addr:
        unsigned char s6_addr[16]
    struct sockaddr_in6:
        unsigned short sin6_family
        unsigned short sin6_port
        in6_addr sin6_addr
    int IPPROTO_TCP
    unsigned short ntohs(unsigned short)

cdef extern from "<netinet/tcp.h>" nogil:
    int TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT

cdef extern from "<arpa/inet.h>" nogil:
    const char* inet_ntop(int af, const void* src, char* dst, socklen_t size)
    int INET6_ADDRSTRLEN

cdef extern from "<unistd.h>" nogil:
    ssize_t read(int fd, void* buf, size_t n)
    ssize_t write(int fd, const void* buf, size_t n)
    int close(int fd)
    int fdatasync(int fd)

cdef extern from "<fcntl.h>" nogil:
    int open(const char* path, int flags)
    int O_RDONLY, O_CLOEXEC
