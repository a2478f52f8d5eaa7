// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_private.h - the kind object and its operations table.
 *
 * struct memkind_ops keeps memkind 1.14's 21 members in their order and with
 * their types: the exported MEMKIND_*_OPS tables are data that programs built
 * for 1.14 may reference.  struct memkind and struct memkind_config start
 * with every field 1.14 declared, at 1.14's offsets and with its names and
 * types, so kind authors who read kind->name, kind->ops or kind->priv (these
 * headers are installed) see what they saw with 1.14; our own fields follow.
 * src/abi_layout.c pins the offsets.
 *
 * Lock order (the only place it is written down):
 *   1. registry lock        (src/registry.c)
 *   2. per-kind arena lock  (src/arena.c, struct mk_arena_set)
 *   3. per-kind region lock (src/arena.c, taken inside extent hooks)
 *   4. jemalloc's own locks
 * A thread holding a lock may take only locks further down the list.
 */
#pragma once

#include <memkind.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Marks a definition as part of the library's exported ABI.
#define MK_EXPORT __attribute__((visibility("default")))

#define MK_LIKELY(x)   __builtin_expect(!!(x), 1)
#define MK_UNLIKELY(x) __builtin_expect(!!(x), 0)

/// Length of a kind name buffer, terminator included (1.14 value).
#define MEMKIND_NAME_LENGTH_PRIV 64

/// Where the memory of a kind comes from; decides capacity and fork rules.
enum mk_backing
{
    MK_BACKING_NUMA = 0, ///< anonymous mmap, optionally mbind()ed
    MK_BACKING_HUGETLB,  ///< anonymous hugetlb mmap
    MK_BACKING_FILE,     ///< a file (PMEM kind)
    MK_BACKING_FIXED,    ///< a buffer supplied by the user
};

/// kind->flags bits.
#define MK_KIND_STATIC  0x1u ///< a static kind: never destroyed
#define MK_KIND_DEFAULT 0x2u ///< served by jemalloc's automatic arenas
#define MK_KIND_HBW     0x4u ///< bound to the high-bandwidth node family
#define MK_KIND_GBTLB   0x8u ///< *GBTLB: 1 GiB chunks of 2 MiB pages

struct memkind;
struct mk_arena_set;

/*
 * Operations of a kind.  Member contracts:
 *  - "Pre" is what the API layer (src/memkind.c) has checked already.
 *  - Unless said otherwise no library lock is held on entry.
 *  - Members marked optional may be NULL; memkind_dispatch.h supplies the
 *    fallback in one place.
 */
struct memkind_ops {
    /* create: initialise kind for this table and name (sets kind->ops,
     * kind->name).  Called under the registry lock; may allocate internal
     * metadata.  Returns 0 or MEMKIND_ERROR_*. */
    int (*create)(struct memkind *kind, struct memkind_ops *ops,
                  const char *name);
    /* destroy: release everything create and later use acquired.  Called
     * under the registry lock for dynamic kinds.  Returns 0 or error. */
    int (*destroy)(struct memkind *kind);
    /* malloc: Pre size > 0.  Returns memory or NULL with errno ENOMEM. */
    void *(*malloc)(struct memkind *kind, size_t size);
    /* calloc: Pre num, size > 0 and num * size does not overflow.
     * Returns zeroed memory or NULL with errno ENOMEM. */
    void *(*calloc)(struct memkind *kind, size_t num, size_t size);
    /* posix_memalign: Pre alignment is a power of two >= sizeof(void *),
     * size > 0.  Returns 0, or ENOMEM; errno is not changed. */
    int (*posix_memalign)(struct memkind *kind, void **memptr, size_t alignment,
                          size_t size);
    /* realloc: Pre ptr != NULL and size > 0 (the API layer maps the other
     * cases to malloc/free).  Returns memory or NULL with errno ENOMEM, in
     * which case ptr is untouched. */
    void *(*realloc)(struct memkind *kind, void *ptr, size_t size);
    /* free: Pre ptr != NULL and allocated by this kind.  Must not change
     * errno. */
    void (*free)(struct memkind *kind, void *ptr);
    /* mmap (optional): map size bytes for the kind's arenas.  Called from a
     * jemalloc extent hook: must not allocate from this kind.  Returns the
     * mapping or MAP_FAILED. */
    void *(*mmap)(struct memkind *kind, void *addr, size_t size);
    /* mbind (optional): bind [ptr, ptr+size) per get_mbind_*.  Called from a
     * hook.  Returns 0 or MEMKIND_ERROR_MBIND. */
    int (*mbind)(struct memkind *kind, void *ptr, size_t size);
    /* madvise (optional): advice applied to fresh mappings.  Returns 0 or
     * error. */
    int (*madvise)(struct memkind *kind, void *addr, size_t size);
    /* get_mmap_flags (optional): flags for mmap(2).  Returns 0 or error. */
    int (*get_mmap_flags)(struct memkind *kind, int *flags);
    /* get_mbind_mode (optional): MPOL_* mode.  Returns 0 or error. */
    int (*get_mbind_mode)(struct memkind *kind, int *mode);
    /* get_mbind_nodemask (optional): node set of maxnode bits.  Returns 0 or
     * MEMKIND_ERROR_UNAVAILABLE when the kind has no nodes here. */
    int (*get_mbind_nodemask)(struct memkind *kind, unsigned long *nodemask,
                              unsigned long maxnode);
    /* get_arena (optional): jemalloc arena for the calling thread.  Returns
     * 0 or MEMKIND_ERROR_*. */
    int (*get_arena)(struct memkind *kind, unsigned int *arena, size_t size);
    /* check_available (optional): 0 when the kind can allocate here, else
     * MEMKIND_ERROR_*.  May read sysfs; no locks. */
    int (*check_available)(struct memkind *kind);
    /* init_once (optional): one-time set-up of a static kind, run through
     * pthread_once before its first use. */
    void (*init_once)(void);
    /* finalize (optional): called at library unload. Returns 0 or error. */
    int (*finalize)(struct memkind *kind);
    /* malloc_usable_size: Pre ptr != NULL and from this kind. */
    size_t (*malloc_usable_size)(struct memkind *kind, void *ptr);
    /* update_memory_usage_policy (optional): Returns 0 or error. */
    int (*update_memory_usage_policy)(struct memkind *kind,
                                      memkind_mem_usage_policy policy);
    /* get_stat (optional): one statistic of the kind.  Returns 0 or error. */
    int (*get_stat)(memkind_t kind, memkind_stat_type stat, size_t *value);
    /* defrag_reallocate (optional): move ptr if that helps fragmentation.
     * Returns the new pointer or NULL when it stays. */
    void *(*defrag_reallocate)(struct memkind *kind, void *ptr);
};

/*
 * A kind.  The fields up to arena_zero are memkind 1.14's, in its order
 * and with its types (src/abi_layout.c checks the offsets); the rest is
 * ours.  partition is the registry slot, so it is unique among live kinds.
 */
struct memkind {
    struct memkind_ops *ops;             ///< operations (never NULL)
    unsigned int partition;              ///< registry slot
    char name[MEMKIND_NAME_LENGTH_PRIV]; ///< unique name
    pthread_once_t init_once;            ///< guards ops->init_once
    unsigned int arena_map_len;          ///< arenas created so far
    /* Kept for 1.14's layout, always NULL: 1.14's table of arena indices.
     * Ours are in arenas (struct mk_arena_set). */
    unsigned int *arena_map;
    /* Kept for 1.14's layout, unused: 1.14's per-kind thread key.  Per
     * thread state is src/tcache.c's, under one key for all kinds. */
    pthread_key_t arena_key;
    void *priv; ///< kind-specific data (pmem, fixed)
    /* Kept for 1.14's layout, always 0: 1.14's arena_map_len - 1 and the
     * index of its first arena.  Our arenas need not be consecutive (they
     * are listed in arenas), so neither has a meaning here. */
    unsigned int arena_map_mask;
    unsigned int arena_zero;
    /* Ours from here on. */
    enum mk_backing backing;     ///< where memory comes from
    unsigned int flags;          ///< MK_KIND_* bits
    uint32_t gen;                ///< generation, never 0 when live
    struct mk_arena_set *arenas; ///< arena layer state or NULL
    unsigned int pins;           ///< mk_registry_pin()s, under registry lock
    bool dying;                  ///< destroy waits for pins: no new pin
};

/*
 * Configuration of memkind_create_pmem_with_config() (memkind(3)); public
 * memkind.h declares it opaque.  1.14's layout and place (this header).
 */
struct memkind_config {
    const char *pmem_dir;            ///< directory (the caller's string)
    size_t pmem_size;                ///< limit, 0 = none
    memkind_mem_usage_policy policy; ///< memory usage policy
};

#ifdef __cplusplus
}
#endif
