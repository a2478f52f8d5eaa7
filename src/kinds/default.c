// SPDX-License-Identifier: BSD-2-Clause
/*
 * default.c - MEMKIND_DEFAULT and the default building blocks of
 * memkind_default(3): the mmap/mbind/madvise helpers every NUMA-backed kind
 * shares, and direct calls into the private jemalloc for DEFAULT.
 *
 * MEMKIND_DEFAULT uses jemalloc's automatic arenas and automatic tcache,
 * with jemalloc's own extent hooks: the fastest path jemalloc has.  Its
 * memory is in the address map because jemalloc's mmap calls are renamed
 * to mk_jemk_mmap (jemalloc/jemalloc.mk, src/addrmap.c), which records
 * every mapping jemalloc makes for itself as DEFAULT.
 */
#include "config.h"

#include <memkind/internal/memkind_default.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_dispatch.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_numa.h>
#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_util.h>

#include "os.h"
#include "tcache.h"

#include <errno.h>
#include <numaif.h>
#include <string.h>
#include <sys/mman.h>

/*
 * create op core: binds ops and name to kind.  Every create op calls it
 * first.  Returns 0 or MEMKIND_ERROR_INVALID for a name that does not fit.
 */
MK_EXPORT int memkind_default_create(struct memkind *kind,
                                     struct memkind_ops *ops, const char *name)
{
    if (!kind || !ops || !name || strlen(name) >= MEMKIND_NAME_LENGTH_PRIV)
        return MEMKIND_ERROR_INVALID;
    /* Static kinds already point at their table, and other threads read it
     * meanwhile (mk_kind_ensure_init): no store, so no data race. */
    if (kind->ops != ops)
        kind->ops = ops;
    if (kind->name != name)
        memcpy(kind->name, name, strlen(name) + 1);
    return 0;
}

/* destroy op core: nothing of the kind's own to release. Returns 0. */
MK_EXPORT int memkind_default_destroy(struct memkind *kind)
{
    (void)kind;
    return 0;
}

/* jemalloc's malloc sets errno to ENOMEM itself on failure. */
MK_EXPORT void *memkind_default_malloc(struct memkind *kind, size_t size)
{
    (void)kind;
    /* Tail calls both: the fast path saves no register. */
    if (MK_UNLIKELY(size > mk_lc_min))
        return mk_lc_default_malloc(size);
    return jemk_malloc(size);
}

/* Checks num * size itself: callable directly, not only via the API. */
MK_EXPORT void *memkind_default_calloc(struct memkind *kind, size_t num,
                                       size_t size)
{
    size_t total;
    (void)kind;
    if (mk_mul_overflow(num, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = jemk_calloc(num, size);
    if (MK_UNLIKELY(!p))
        errno = ENOMEM;
    return p;
}

/*
 * COMPAT(1.14): like posix_memalign(3), a failure leaves *memptr as it was;
 * size 0 returns 0 with NULL in *memptr (see memkind.c, do_posix_memalign).
 * Returns 0, EINVAL or ENOMEM; errno is left as it was on entry.
 */
MK_EXPORT int memkind_default_posix_memalign(struct memkind *kind,
                                             void **memptr, size_t alignment,
                                             size_t size)
{
    int oerrno = errno;
    (void)kind;
    if (!mk_is_valid_alignment(alignment))
        return EINVAL;
    if (size == 0) {
        *memptr = NULL;
        return 0;
    }
    int err = jemk_posix_memalign(memptr, alignment, size);
    errno = oerrno;
    return err;
}

MK_EXPORT void *memkind_default_realloc(struct memkind *kind, void *ptr,
                                        size_t size)
{
    (void)kind;
    if (ptr && size == 0) {
        jemk_free(ptr);
        return NULL;
    }
    void *p = jemk_realloc(ptr, size);
    if (MK_UNLIKELY(!p))
        errno = ENOMEM;
    return p;
}

/* Any jemalloc pointer may be freed here (memkind_default(3)).  errno is
 * kept: see memkind_free(). */
MK_EXPORT void memkind_default_free(struct memkind *kind, void *ptr)
{
    (void)kind;
    /* Large objects are page aligned (no cache-oblivious placement). */
    if (MK_UNLIKELY(((uintptr_t)ptr & 4095) == 0) &&
        atomic_load_explicit(mk_lc_skip_slot(ptr), memory_order_relaxed) != ptr)
        mk_lc_default_free_slow(ptr); /* NULL too */
    else
        jemk_free(ptr);
}

MK_EXPORT size_t memkind_default_malloc_usable_size(struct memkind *kind,
                                                    void *ptr)
{
    (void)kind;
    return ptr ? jemk_malloc_usable_size(ptr) : 0;
}

/*
 * mmap op: maps size bytes with the kind's get_mmap_flags (default
 * MAP_PRIVATE | MAP_ANONYMOUS).  Binding and advice are applied by the
 * caller (kind_op_prepare_mapping).  Returns the mapping or MAP_FAILED.
 */
MK_EXPORT void *memkind_default_mmap(struct memkind *kind, void *addr,
                                     size_t size)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    if (kind && kind_op_get_mmap_flags(kind, &flags) != 0)
        return MAP_FAILED;
    if (mk_fault_hit())
        return MAP_FAILED;
    void *p = NULL;
    int err = mk_os_map(addr, size, PROT_READ | PROT_WRITE, flags, -1, 0, &p);
    if (err) {
        errno = err;
        return MAP_FAILED;
    }
    return p;
}

/*
 * mbind op: binds [ptr, ptr+len) to the kind's node set with its mode
 * (MPOL_BIND by default).  Kinds without a node set are left alone.
 * Returns 0, MEMKIND_ERROR_UNAVAILABLE (no nodes) or MEMKIND_ERROR_MBIND.
 */
MK_EXPORT int memkind_default_mbind(struct memkind *kind, void *ptr, size_t len)
{
    unsigned long mask[MK_NODEMASK_WORDS];
    int mode = MPOL_BIND;
    if (!kind_op_has_mbind_nodemask(kind))
        return 0;
    int err = kind_op_get_mbind_nodemask(kind, mask, MK_MAX_NODES);
    if (err)
        return err;
    if (kind_op_get_mbind_mode(kind, &mode) != 0)
        return MEMKIND_ERROR_MBIND;
    if (mk_fault_hit() || mk_os_mbind(ptr, len, mode, mask, MK_MAX_NODES + 1))
        return MEMKIND_ERROR_MBIND;
    return 0;
}

MK_EXPORT int memkind_default_get_mmap_flags(struct memkind *kind, int *flags)
{
    (void)kind;
    *flags = MAP_PRIVATE | MAP_ANONYMOUS;
    return 0;
}

MK_EXPORT int memkind_default_get_mbind_mode(struct memkind *kind, int *mode)
{
    (void)kind;
    *mode = MPOL_BIND;
    return 0;
}

MK_EXPORT int memkind_preferred_get_mbind_mode(struct memkind *kind, int *mode)
{
    (void)kind;
    *mode = MPOL_PREFERRED;
    return 0;
}

MK_EXPORT int memkind_interleave_get_mbind_mode(struct memkind *kind, int *mode)
{
    (void)kind;
    *mode = MPOL_INTERLEAVE;
    return 0;
}

/* madvise op: no transparent huge pages (interleaving works per page). */
MK_EXPORT int memkind_nohugepage_madvise(struct memkind *kind, void *addr,
                                         size_t size)
{
    (void)kind;
    if (mk_fault_hit() || mk_os_advise(addr, size, MADV_NOHUGEPAGE) != 0)
        return MEMKIND_ERROR_RUNTIME;
    return 0;
}

/* Returns 0 for a POSIX-valid alignment, else EINVAL (positive, 1.14). */
MK_EXPORT int memkind_posix_check_alignment(struct memkind *kind,
                                            size_t alignment)
{
    (void)kind;
    return mk_is_valid_alignment(alignment) ? 0 : EINVAL;
}

/* Node set of every node with memory. Returns 0 or error. */
MK_EXPORT int memkind_default_get_mbind_nodemask(struct memkind *kind,
                                                 unsigned long *nodemask,
                                                 unsigned long maxnode)
{
    (void)kind;
    return mk_numa_all_nodes(nodemask, maxnode);
}

/* DEFAULT needs only the library set-up (hooks on automatic arenas). */
MK_EXPORT void memkind_default_init_once(void)
{
    (void)mk_library_init();
}

/*
 * Static kinds' init_once helpers call this: runs the create op once.
 */
void mk_static_kind_init(struct memkind *kind)
{
    if (mk_library_init())
        return;
    int err = kind_op_create(kind, kind->ops, kind->name);
    if (err)
        mk_log_err("[%s] initialisation failed (error %d)", kind->name, err);
}

static void *default_defrag(struct memkind *kind, void *ptr)
{
    return mk_arena_defrag(kind, ptr);
}

MK_EXPORT struct memkind_ops MEMKIND_DEFAULT_OPS = {
    .create = memkind_default_create,
    .destroy = memkind_default_destroy,
    .malloc = memkind_default_malloc,
    .calloc = memkind_default_calloc,
    .posix_memalign = memkind_default_posix_memalign,
    .realloc = memkind_default_realloc,
    .free = memkind_default_free,
    .check_available = NULL,
    .init_once = memkind_default_init_once,
    .malloc_usable_size = memkind_default_malloc_usable_size,
    .defrag_reallocate = default_defrag,
};
