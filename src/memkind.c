// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind.c - the public entry points of memkind.h.
 *
 * Normalises arguments once so that kinds can rely on the preconditions
 * written on struct memkind_ops: zero sizes, calloc overflow, alignment,
 * realloc's NULL/0 cases, NULL kinds (looked up in the address map), errno
 * rules, and the optional user decorators (memkind_*_pre/_post, weak).
 * Also owns the error-message table.
 */
#include "config.h"

#include <memkind.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_dispatch.h>
#include <memkind/internal/memkind_fixed.h>
#include <memkind/internal/memkind_hugetlb.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_numa.h>
#include <memkind/internal/memkind_pmem.h>
#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_util.h>

#include "lookup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Decorators: weak, defined (if at all) by the application. memkind(3). */
#pragma weak memkind_malloc_pre
#pragma weak memkind_malloc_post
#pragma weak memkind_calloc_pre
#pragma weak memkind_calloc_post
#pragma weak memkind_posix_memalign_pre
#pragma weak memkind_posix_memalign_post
#pragma weak memkind_realloc_pre
#pragma weak memkind_realloc_post
#pragma weak memkind_free_pre
#pragma weak memkind_free_post
void memkind_malloc_pre(memkind_t *, size_t *);
void memkind_malloc_post(memkind_t, size_t, void **);
void memkind_calloc_pre(memkind_t *, size_t *, size_t *);
void memkind_calloc_post(memkind_t, size_t, size_t, void **);
void memkind_posix_memalign_pre(memkind_t *, void **, size_t *, size_t *);
void memkind_posix_memalign_post(memkind_t, void **, size_t, size_t, int *);
void memkind_realloc_pre(memkind_t *, void **, size_t *);
void memkind_realloc_post(memkind_t, void *, size_t, void **);
void memkind_free_pre(memkind_t *, void **);
void memkind_free_post(memkind_t, void *);

/* Makes sure a kind is set up before use (static kinds initialise lazily).
 * The check is one load on the hot path. */
static inline void kind_ready(struct memkind *kind)
{
    if (MK_UNLIKELY(!__atomic_load_n(&kind->arenas, __ATOMIC_ACQUIRE)))
        mk_kind_ensure_init(kind);
}

/* kind_ready() for the paths that promise to leave errno alone (size 0). */
static inline void kind_ready_keep_errno(struct memkind *kind)
{
    if (MK_UNLIKELY(!__atomic_load_n(&kind->arenas, __ATOMIC_ACQUIRE))) {
        int oerrno = errno;
        mk_kind_ensure_init(kind);
        errno = oerrno;
    }
}

/* Cold part of memkind_malloc: size 0, NULL kind, first use of a kind. */
__attribute__((noinline)) static void *malloc_slow(memkind_t kind, size_t size)
{
    if (!kind) {
        /* COMPAT(1.14): 1.14 crashed here; size 0 keeps errno. */
        if (size != 0)
            errno = EINVAL;
        return NULL;
    }
    /* COMPAT(1.14): size 0 gives NULL, errno untouched - memkind(3) - but
     * sets the kind up first, as 1.14 did, so that memkind_thread_get_arena
     * works right after it. */
    if (size == 0) {
        kind_ready_keep_errno(kind);
        return NULL;
    }
    mk_kind_ensure_init(kind);
    return kind_op_malloc(kind, size);
}

static inline void *do_malloc(memkind_t kind, size_t size)
{
    /* Acquire pairs with memkind_arena_create_map(): free on x86. */
    if (MK_UNLIKELY(size == 0 || !kind ||
                    !__atomic_load_n(&kind->arenas, __ATOMIC_ACQUIRE)))
        return malloc_slow(kind, size);
    return kind_op_malloc(kind, size);
}

/* With decorators defined by the application (rare): the full sequence. */
__attribute__((noinline)) static void *malloc_decorated(memkind_t kind,
                                                        size_t size)
{
    if (memkind_malloc_pre)
        memkind_malloc_pre(&kind, &size);
    void *r = do_malloc(kind, size);
    if (memkind_malloc_post)
        memkind_malloc_post(kind, size, &r);
    return r;
}

MK_EXPORT void *memkind_malloc(memkind_t kind, size_t size)
{
    if (MK_UNLIKELY(memkind_malloc_pre != NULL || memkind_malloc_post != NULL))
        return malloc_decorated(kind, size);
    return do_malloc(kind, size);
}

static void *do_calloc(memkind_t kind, size_t num, size_t size)
{
    size_t total;
    /* COMPAT(1.14): num or size 0 gives NULL - memkind(3) - once the kind
     * is set up (as for memkind_malloc). */
    if (num == 0 || size == 0) {
        if (kind)
            kind_ready_keep_errno(kind);
        return NULL;
    }
    /* memkind 1.14 did not check this product (memkind_arena.c:654). */
    if (mk_mul_overflow(num, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (!kind) {
        errno = EINVAL;
        return NULL;
    }
    kind_ready(kind);
    return kind_op_calloc(kind, num, size);
}

MK_EXPORT void *memkind_calloc(memkind_t kind, size_t num, size_t size)
{
    if (memkind_calloc_pre)
        memkind_calloc_pre(&kind, &num, &size);
    void *r = do_calloc(kind, num, size);
    if (memkind_calloc_post)
        memkind_calloc_post(kind, num, size, &r);
    return r;
}

/*
 * COMPAT(1.14): what a failed call leaves in *memptr is decided here, once,
 * for every kind.  MEMKIND_DEFAULT leaves it as it was, like
 * posix_memalign(3) (1.14 served it from jemalloc's posix_memalign); every
 * other kind - 1.14's arena kinds - sets it to NULL before checking
 * anything.  The building blocks memkind_default_posix_memalign() and
 * memkind_arena_posix_memalign() follow the same rule when called directly.
 * A size of 0 returns 0 with NULL in *memptr for all kinds (memkind(3)).
 * An invalid alignment is EINVAL whatever the size (memkind(3) ERRORS;
 * 1.14's MEMKIND_DEFAULT returned 0 for size 0 first).
 * Returns 0, EINVAL or ENOMEM; errno is left as it was on entry.
 */
static int do_posix_memalign(memkind_t kind, void **memptr, size_t alignment,
                             size_t size)
{
    int oerrno = errno;
    if (!memptr)
        return EINVAL;
    /* Set up first, whatever fails next, as 1.14 did. */
    if (kind)
        kind_ready_keep_errno(kind);
    if (!kind || !(kind->flags & MK_KIND_DEFAULT))
        *memptr = NULL;
    if (!mk_is_valid_alignment(alignment))
        return EINVAL;
    if (size == 0) {
        *memptr = NULL;
        return 0;
    }
    if (!kind)
        return EINVAL;
    int err = kind_op_posix_memalign(kind, memptr, alignment, size);
    errno = oerrno;
    return err;
}

MK_EXPORT int memkind_posix_memalign(memkind_t kind, void **memptr,
                                     size_t alignment, size_t size)
{
    if (memkind_posix_memalign_pre)
        memkind_posix_memalign_pre(&kind, memptr, &alignment, &size);
    int err = do_posix_memalign(kind, memptr, alignment, size);
    if (memkind_posix_memalign_post)
        memkind_posix_memalign_post(kind, memptr, alignment, size, &err);
    return err;
}

/*
 * errno: kinds' free paths make no failing system call of their own, and
 * every extent hook or jemalloc system call wrapper that could (purging)
 * restores errno itself, so memkind_free() leaves errno as it found it
 * without paying for a save and restore on every call.
 */
static inline void do_free(memkind_t kind, void *ptr)
{
    if (MK_UNLIKELY(!ptr))
        return;
    if (!kind) {
        kind = mk_lookup(ptr);
        /* COMPAT(1.14): 1.14 crashed on pointers it did not allocate. */
        if (!kind)
            return;
    }
    kind_op_free(kind, ptr);
}

__attribute__((noinline)) static void free_decorated(memkind_t kind, void *ptr)
{
    int oerrno = errno;
    if (memkind_free_pre)
        memkind_free_pre(&kind, &ptr);
    do_free(kind, ptr);
    if (memkind_free_post)
        memkind_free_post(kind, ptr);
    errno = oerrno;
}

MK_EXPORT void memkind_free(memkind_t kind, void *ptr)
{
    if (MK_UNLIKELY(memkind_free_pre != NULL || memkind_free_post != NULL))
        free_decorated(kind, ptr);
    else
        do_free(kind, ptr);
}

static void *do_realloc(memkind_t kind, void *ptr, size_t size)
{
    if (!kind) {
        /* memkind(3): NULL kind and NULL ptr is EINVAL. */
        if (!ptr) {
            errno = EINVAL;
            return NULL;
        }
        kind = mk_lookup(ptr);
        if (!kind) {
            errno = EINVAL;
            return NULL;
        }
    }
    if (!ptr)
        return do_malloc(kind, size);
    if (size == 0) {
        do_free(kind, ptr);
        return NULL;
    }
    kind_ready(kind);
    return kind_op_realloc(kind, ptr, size);
}

MK_EXPORT void *memkind_realloc(memkind_t kind, void *ptr, size_t size)
{
    if (memkind_realloc_pre)
        memkind_realloc_pre(&kind, &ptr, &size);
    void *r = do_realloc(kind, ptr, size);
    if (memkind_realloc_post)
        memkind_realloc_post(kind, ptr, size, &r);
    return r;
}

MK_EXPORT size_t memkind_malloc_usable_size(
    memkind_t kind, MEMKIND_MALLOC_USABLE_SIZE_CONST void *ptr)
{
    void *p = (void *)ptr;
    if (!p)
        return 0;
    if (!kind) {
        kind = mk_lookup(p);
        if (!kind)
            return 0;
    }
    return kind_op_usable_size(kind, p);
}

MK_EXPORT void *memkind_defrag_reallocate(memkind_t kind, void *ptr)
{
    if (!ptr)
        return NULL;
    if (!kind) {
        kind = mk_lookup(ptr);
        if (!kind)
            return NULL;
    }
    return kind_op_defrag(kind, ptr);
}

MK_EXPORT memkind_t memkind_detect_kind(void *ptr)
{
    return ptr ? mk_lookup(ptr) : NULL;
}

/* ----------------------------------------------------------- kinds */

MK_EXPORT int memkind_check_available(memkind_t kind)
{
    if (!kind)
        return MEMKIND_ERROR_INVALID;
    return kind_op_check_available(kind);
}

MK_EXPORT int memkind_destroy_kind(memkind_t kind)
{
    return mk_registry_destroy_kind(kind);
}

MK_EXPORT int memkind_get_kind_by_partition(int partition, memkind_t *kind)
{
    if (!kind || partition < 0 || partition >= MEMKIND_MAX_KIND)
        return MEMKIND_ERROR_UNAVAILABLE;
    struct memkind *k = mk_registry_get((unsigned)partition);
    if (!k)
        return MEMKIND_ERROR_UNAVAILABLE;
    *kind = k;
    return 0;
}

/*
 * Capacity by backing (memkind(3)): node sizes for NUMA kinds, the huge
 * page pool for hugetlb kinds (mk_hugetlb_capacity(): 1.14's answers, 0
 * for an empty pool), the limit or file system size for file kinds, the
 * buffer size for fixed kinds.  Returns bytes or -1.
 */
MK_EXPORT ssize_t memkind_get_capacity(memkind_t kind)
{
    if (!kind)
        return -1;
    switch (kind->backing) {
        case MK_BACKING_NUMA:
            return mk_numa_kind_capacity(kind);
        case MK_BACKING_HUGETLB:
            return mk_hugetlb_capacity(kind);
        case MK_BACKING_FILE:
            return mk_pmem_capacity(kind);
        case MK_BACKING_FIXED: {
            const struct memkind_fixed *f = kind->priv;
            return f ? (ssize_t)f->size : -1;
        }
    }
    return -1;
}

/* ---------------------------------------------------------- statistics */

MK_EXPORT int memkind_update_cached_stats(void)
{
    if (mk_library_init())
        return MEMKIND_ERROR_RUNTIME;
    return mk_arena_refresh_stats();
}

MK_EXPORT int memkind_get_stat(memkind_t kind, memkind_stat_type stat,
                               size_t *value)
{
    if (!value || (unsigned)stat >= MEMKIND_STAT_TYPE_MAX_VALUE)
        return MEMKIND_ERROR_INVALID;
    if (mk_library_init())
        return MEMKIND_ERROR_RUNTIME;
    if (kind && kind_op_has_get_stat(kind))
        return kind_op_get_stat(kind, stat, value);
    return mk_arena_get_stat(kind, stat, value);
}

static void stats_to_stderr(void *opaque, const char *s)
{
    (void)opaque;
    ssize_t w = write(2, s, strlen(s));
    (void)w; /* best effort, like any diagnostic */
}

MK_EXPORT int memkind_stats_print(void (*write_cb)(void *, const char *),
                                  void *cbopaque, memkind_stat_print_opt opts)
{
    if (mk_library_init())
        return MEMKIND_ERROR_RUNTIME;
    return mk_arena_stats_print(write_cb ? write_cb : stats_to_stderr, cbopaque,
                                opts);
}

MK_EXPORT int memkind_set_bg_threads(bool state)
{
    if (mk_library_init())
        return MEMKIND_ERROR_RUNTIME;
    return mk_arena_set_bg_threads(state);
}

/* ------------------------------------------------------ version, errors */

MK_EXPORT int memkind_get_version(void)
{
    return MEMKIND_VERSION_MAJOR * 1000000 + MEMKIND_VERSION_MINOR * 1000 +
           MEMKIND_VERSION_PATCH;
}

/* Indexed by -code; the texts are ours, the "<memkind> " prefix is 1.14's. */
static const char *const error_text[] = {
    [-MEMKIND_ERROR_UNAVAILABLE] = "Requested memory kind is not available",
    [-MEMKIND_ERROR_MBIND] = "Call to mbind() failed",
    [-MEMKIND_ERROR_MMAP] = "Call to mmap() failed",
    [-MEMKIND_ERROR_MALLOC] = "Call to malloc() failed",
    [-MEMKIND_ERROR_ENVIRON] = "Error parsing environment variable (MEMKIND_*)",
    [-MEMKIND_ERROR_INVALID] = "Invalid input arguments to memkind routine",
    [-MEMKIND_ERROR_TOOMANY] =
        "Attempted to initialize more than maximum (512) number of kinds",
    [-MEMKIND_ERROR_BADOPS] =
        "memkind_ops structure is poorly formed (missing or incorrect functions)",
    [-MEMKIND_ERROR_HUGETLB] = "Unable to allocate huge pages",
    [-MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE] =
        "Requested memory type is not available",
    [-MEMKIND_ERROR_OPERATION_FAILED] = "Operation failed",
    [-MEMKIND_ERROR_ARENAS_CREATE] =
        "Call to jemalloc's arenas.create() failed",
    [-MEMKIND_ERROR_RUNTIME] = "Unspecified run-time error",
};

/*
 * Writes the message for err, always NUL-terminated and truncated to size.
 * Accepts msg == NULL or size == 0 (does nothing).
 */
MK_EXPORT void memkind_error_message(int err, char *msg, size_t size)
{
    const char *text = NULL;
    if (!msg || size == 0)
        return;
    if (err == EINVAL)
        text = "Invalid argument";
    else if (err == ENOMEM)
        text = "Not enough memory";
    /* err > -N, not -err < N: negating INT_MIN is undefined */
    else if (err < 0 && err > -(int)(sizeof(error_text) / sizeof(*error_text)))
        text = error_text[-err];
    if (text)
        snprintf(msg, size, "<memkind> %s", text);
    else
        snprintf(msg, size, "<memkind> Undefined error number: %i", err);
}
