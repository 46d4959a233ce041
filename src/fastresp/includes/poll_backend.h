/* The readiness backend behind fastresp's Poller: epoll on Linux, poll(2) elsewhere.
 *
 * Interface (all return -1 with errno set on failure):
 *   pb_create()                      -> backend handle (an fd for epoll)
 *   pb_add(h, fd, mask) / pb_mod(h, fd, mask) / pb_del(h, fd)
 *   pb_wait(h, fds, masks, max, timeout_ms) -> number of ready fds written to fds/masks
 * mask bits: PB_READ, PB_WRITE; pb_wait also reports PB_ERROR for errors and hang-ups. */
#ifndef FASTRESP_POLL_BACKEND_H
#define FASTRESP_POLL_BACKEND_H

#define PB_READ 1
#define PB_WRITE 2
#define PB_ERROR 4

#if defined(__linux__) && !defined(FASTRESP_USE_POLL)
#include <sys/epoll.h>
#include <unistd.h>
#include <errno.h>
#include <stdlib.h>

#define PB_BACKEND_NAME "epoll"
#define PB_MAX_BATCH 1024

static inline int pb_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
static inline void pb_close(int h) { close(h); }
static inline unsigned int pb_events(int mask) {
    return (mask & PB_READ ? EPOLLIN : 0) | (mask & PB_WRITE ? EPOLLOUT : 0);
}
static inline int pb_ctl(int h, int op, int fd, int mask) {
    struct epoll_event ev;
    ev.events = pb_events(mask);
    ev.data.u64 = 0;
    ev.data.fd = fd;
    return epoll_ctl(h, op, fd, &ev);
}
static inline int pb_add(int h, int fd, int mask) { return pb_ctl(h, EPOLL_CTL_ADD, fd, mask); }
static inline int pb_mod(int h, int fd, int mask) { return pb_ctl(h, EPOLL_CTL_MOD, fd, mask); }
static inline int pb_del(int h, int fd) { return pb_ctl(h, EPOLL_CTL_DEL, fd, 0); }
static inline int pb_wait(int h, int *fds, int *masks, int max, int timeout_ms) {
    struct epoll_event evs[PB_MAX_BATCH];
    if (max > PB_MAX_BATCH) max = PB_MAX_BATCH;
    int n = epoll_wait(h, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        unsigned int e = evs[i].events;
        fds[i] = evs[i].data.fd;
        masks[i] = (e & EPOLLIN ? PB_READ : 0) | (e & EPOLLOUT ? PB_WRITE : 0) |
                   (e & (EPOLLERR | EPOLLHUP) ? PB_ERROR : 0);
    }
    return n;
}
#else
/* Portable fallback: a poll(2) set kept in a growable array, one backend per process. */
#include <poll.h>
#include <stdlib.h>
#include <errno.h>

#define PB_BACKEND_NAME "poll"
static struct pollfd *pb_set = NULL;
static int pb_len = 0, pb_cap = 0;

static inline int pb_create(void) { pb_len = 0; return 0; }
static inline void pb_close(int h) { (void)h; free(pb_set); pb_set = NULL; pb_len = pb_cap = 0; }
static inline short pb_pollmask(int mask) {
    return (mask & PB_READ ? POLLIN : 0) | (mask & PB_WRITE ? POLLOUT : 0);
}
static inline int pb_find(int fd) {
    for (int i = 0; i < pb_len; i++) if (pb_set[i].fd == fd) return i;
    return -1;
}
static inline int pb_add(int h, int fd, int mask) {
    (void)h;
    if (pb_find(fd) >= 0) { errno = EEXIST; return -1; }
    if (pb_len == pb_cap) {
        int ncap = pb_cap ? pb_cap * 2 : 64;
        struct pollfd *n = realloc(pb_set, sizeof(*n) * ncap);
        if (!n) { errno = ENOMEM; return -1; }
        pb_set = n; pb_cap = ncap;
    }
    pb_set[pb_len].fd = fd; pb_set[pb_len].events = pb_pollmask(mask); pb_set[pb_len].revents = 0;
    pb_len++;
    return 0;
}
static inline int pb_mod(int h, int fd, int mask) {
    (void)h; int i = pb_find(fd);
    if (i < 0) { errno = ENOENT; return -1; }
    pb_set[i].events = pb_pollmask(mask);
    return 0;
}
static inline int pb_del(int h, int fd) {
    (void)h; int i = pb_find(fd);
    if (i < 0) { errno = ENOENT; return -1; }
    pb_set[i] = pb_set[--pb_len];
    return 0;
}
static inline int pb_wait(int h, int *fds, int *masks, int max, int timeout_ms) {
    (void)h;
    int n = poll(pb_set, pb_len, timeout_ms), out = 0;
    if (n <= 0) return n;
    for (int i = 0; i < pb_len && out < max; i++) {
        short r = pb_set[i].revents;
        if (!r) continue;
        fds[out] = pb_set[i].fd;
        masks[out] = (r & POLLIN ? PB_READ : 0) | (r & POLLOUT ? PB_WRITE : 0) |
                     (r & (POLLERR | POLLHUP | POLLNVAL) ? PB_ERROR : 0);
        out++;
    }
    return out;
}
#endif

#endif
