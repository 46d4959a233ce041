/* Small portability shims for the Cython modules of fastresp.
 * Everything here is either a macro Cython cannot express or a thin wrapper over an
 * OS facility that differs between Linux and other systems. */
#ifndef FASTRESP_COMPAT_H
#define FASTRESP_COMPAT_H

#include <stddef.h>
#include <stdlib.h>

#if defined(__GNUC__)
#define FR_LIKELY(x) __builtin_expect(!!(x), 1)
#define FR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define FR_LIKELY(x) (x)
#define FR_UNLIKELY(x) (x)
#endif

/* Usable size of a heap block (glibc and macOS), or 0 when unknown: callers then treat the
 * block as exactly as large as they asked for. */
#if defined(__linux__)
#include <malloc.h>
static inline size_t fr_usable_size(void *p) { return p ? malloc_usable_size(p) : 0; }
static inline size_t fr_heap_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#else
    return 0;
#endif
}
#elif defined(__APPLE__)
#include <malloc/malloc.h>
static inline size_t fr_usable_size(void *p) { return p ? malloc_size(p) : 0; }
static inline size_t fr_heap_in_use(void) { return 0; }
#else
static inline size_t fr_usable_size(void *p) { (void)p; return 0; }
static inline size_t fr_heap_in_use(void) { return 0; }
#endif

#endif
