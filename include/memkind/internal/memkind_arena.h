// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_arena.h - the arena layer: jemalloc arenas per kind, thread
 * caches and extent hooks.  See memkind_arena(3); the address -> kind map
 * is memkind_addrmap.h.
 *
 * Extent hook contract (the generic hooks in src/arena.c, the file kinds'
 * in src/kinds/pmem.c): they may be called with jemalloc's mutexes held, so
 * they never allocate from jemalloc, never log on success and never take a
 * lock ranked below MK_RANK_JEMALLOC (the registry, an arena set); they
 * may take the region, PMEM, fixed-kind, node-family and address-map locks
 * (memkind_lock.h).  They return false on success (jemalloc's
 * convention), except alloc, which returns the memory or NULL.
 */
#pragma once

#include "memkind_private.h"

/* jemalloc's hook table type; its definition comes from the private
 * jemalloc header (memkind_jemk.h, not installed). */
struct extent_hooks_s;
typedef struct extent_hooks_s extent_hooks_t;

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Exported building blocks (1.14 names and signatures).  Unless noted they
 * assume the API layer's preconditions (see struct memkind_ops).
 */
int memkind_arena_create(struct memkind *kind, struct memkind_ops *ops,
                         const char *name);
int memkind_arena_create_map(struct memkind *kind, extent_hooks_t *hooks);
int memkind_arena_destroy(struct memkind *kind);
void *memkind_arena_malloc(struct memkind *kind, size_t size);
void *memkind_arena_calloc(struct memkind *kind, size_t num, size_t size);
int memkind_arena_posix_memalign(struct memkind *kind, void **memptr,
                                 size_t alignment, size_t size);
void *memkind_arena_realloc(struct memkind *kind, void *ptr, size_t size);
void *memkind_arena_realloc_with_kind_detect(void *ptr, size_t size);
int memkind_thread_get_arena(struct memkind *kind, unsigned int *arena,
                             size_t size);
int memkind_bijective_get_arena(struct memkind *kind, unsigned int *arena,
                                size_t size);
struct memkind *memkind_arena_detect_kind(void *ptr);
void memkind_arena_free(struct memkind *kind, void *ptr);
void memkind_arena_free_with_kind_detect(void *ptr);
int memkind_arena_update_memory_usage_policy(struct memkind *kind,
                                             memkind_mem_usage_policy policy);
int memkind_set_arena_map_len(struct memkind *kind);

/*
 * Internal (hidden) entry points of the arena layer used by the rest of the
 * library; the rooms that define them are named in src/README.
 */

/// One-time set-up: machine facts, the address map, thread caches and
/// DEFAULT's arena set (src/arena.c).  Returns 0 or MEMKIND_ERROR_*.
int mk_arena_global_init(void);
/// Sum of one statistic over the arenas of kind (NULL: all) (src/stats.c).
/// Returns 0 or MEMKIND_ERROR_*.
int mk_arena_get_stat(struct memkind *kind, memkind_stat_type stat,
                      size_t *value);
/// Refreshes jemalloc's statistics snapshot. Returns 0 or error.
int mk_arena_refresh_stats(void);
/// Prints jemalloc statistics. Returns 0 or MEMKIND_ERROR_INVALID.
int mk_arena_stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
                         memkind_stat_print_opt opts);
/// Enables or disables jemalloc background threads. Returns 0 or error.
int mk_arena_set_bg_threads(bool state);
/// Moves ptr when jemalloc's fragmentation hint says so; NULL otherwise.
void *mk_arena_defrag(struct memkind *kind, void *ptr);
/// Number of jemalloc explicit tcaches the calling thread holds (tests).
unsigned mk_arena_thread_tcache_count(void);
/// Bytes the calling thread's large cache holds for kind (tests).
size_t mk_arena_thread_large_cached(struct memkind *kind);
/// The large cache's budget per thread and kind, 0 when it is off, and the
/// smallest size MEMKIND_DEFAULT caches (tests).
size_t mk_arena_large_cache_budget(void);
size_t mk_arena_large_cache_default_min(void);
/// The budget that applies to kind's caches (the smaller of the kind's own
/// and the global one; 0 when the cache is off) (tests).
size_t mk_arena_kind_large_cache_budget(struct memkind *kind);
/// Bytes kind's large cache depot holds, and giving them back (tests).
size_t mk_arena_kind_depot_bytes(struct memkind *kind);
void mk_arena_kind_depot_flush(struct memkind *kind);

/*
 * Chunk source of a kind that maps its own range (file, fixed): returns
 * size bytes aligned to align, sets *zero when they read as zeroes, or
 * returns NULL.  Called from an extent hook (same contract).
 */
typedef void *mk_carve_fn(struct memkind *kind, size_t size, size_t align,
                          bool *zero);
/// Installs carve for kind's arenas (after memkind_arena_create_map()).
void mk_arena_set_carve(struct memkind *kind, mk_carve_fn *carve);

/// A kind of limited size (PMEM with max_size, fixed): each thread's large
/// cache (src/tcache.h) holds at most limit / MK_LC_LIMIT_SHARE bytes of
/// it, so that caches of other threads, which a failing allocation cannot
/// reclaim, keep little of the kind.  A file-backed kind without a size
/// (limit 0, file true) shares MK_LC_FILE_SHARE among the threads that use
/// it, at least MK_LC_FILE_BUDGET each, unless MEMKIND_LARGE_CACHE_BYTES was
/// given: cached blocks hold file space (and disk), which memkind 1.14 gave
/// back, and a forked child copies every one of them (8 threads x 32 MiB
/// made fork() in the stress test take up to 6 s instead of 0.5 s), while
/// one thread alone with 4 MiB ran 256 KiB batches 12 times slower than
/// with 32 MiB.  After memkind_arena_create_map().
void mk_arena_limit_large_cache(struct memkind *kind, size_t limit, bool file);
#define MK_LC_LIMIT_SHARE 32
#define MK_LC_FILE_BUDGET ((size_t)4 << 20)
#define MK_LC_FILE_SHARE  ((size_t)32 << 20)
/// A thread that frees this many budgets without trying an allocation of
/// a cached size stops caching until it tries one (src/tcache.h).
#define MK_LC_QUIET_BUDGETS 4
/// MEMKIND_DEFAULT's idle sweep needs the purger thread, which is started
/// once a thread's DEFAULT large cache holds this many bytes (or the depot
/// holds some): starting a thread costs a process 0.1-0.5 ms of CPU here,
/// and short-lived processes - each of git's under libmemtier - mostly
/// cache less.  So, until then, an idle thread may keep up to this much
/// cached (a PMEM kind's purger sweeps it anyway) (src/alloc.c).
#define MK_LC_SWEEP_FLOOR ((size_t)1 << 20)

/// Kind whose arena uses hooks h (kinds that pass their own hooks).
struct memkind *mk_arena_hooks_kind(extent_hooks_t *h);

/// Arena tuning for file-backed kinds: grow limit (0: jemalloc's), dirty
/// decay of the DEFAULT and of the CONSERVATIVE policy.  Applies to arenas
/// created afterwards: call before the kind's first allocation.
void mk_arena_tune(struct memkind *kind, size_t grow_limit, ssize_t dirty_ms,
                   ssize_t conservative_dirty_ms);
/// Decay-based purge of all of kind's arenas now. Returns 0 or error.
int mk_arena_decay(struct memkind *kind);
/// Flushes the magazines and tcaches of threads that stopped using kind
/// (src/tcache.c); returns how many.  PMEM purger only, kind pinned
/// (mk_registry_pin: it stays published and alive), no lock held.
unsigned mk_arena_flush_idle(struct memkind *kind);
/// The same for every thread's caches, used or not (memory pressure), and
/// the kind's depot; a thread inside an allocation call at that moment
/// keeps its caches.  Same preconditions; returns how many were flushed.
unsigned mk_arena_flush_all(struct memkind *kind);
/// Purges every arena of kind now (jemalloc's dirty pages of MEMKIND_DEFAULT's
/// automatic arenas for DEFAULT), whatever the decay times: memory pressure.
/// Takes the set lock; no lock held on entry.  Returns 0 or
/// MEMKIND_ERROR_RUNTIME when an existing arena refused.
int mk_arena_purge_now(struct memkind *kind);

/// Runs a static kind's create op (from its init_once); logs on failure,
/// after which the kind's allocations fail with ENOMEM.
void mk_static_kind_init(struct memkind *kind);

#ifdef __cplusplus
}
#endif

/*
 * Ops table of a jemalloc-backed NUMA/hugetlb kind: the members that differ
 * between kinds are parameters, so each exported table is one line and the
 * differences are visible at a glance.
 */
#define MK_ARENA_KIND_OPS(check_available_, get_nodemask_, get_mbind_mode_,    \
                          get_mmap_flags_, madvise_, init_once_)               \
    {                                                                          \
        .create = memkind_arena_create, .destroy = memkind_arena_destroy,      \
        .malloc = memkind_arena_malloc, .calloc = memkind_arena_calloc,        \
        .posix_memalign = memkind_arena_posix_memalign,                        \
        .realloc = memkind_arena_realloc, .free = memkind_arena_free,          \
        .mmap = memkind_default_mmap, .mbind = memkind_default_mbind,          \
        .madvise = madvise_, .get_mmap_flags = get_mmap_flags_,                \
        .get_mbind_mode = get_mbind_mode_,                                     \
        .get_mbind_nodemask = get_nodemask_,                                   \
        .get_arena = memkind_thread_get_arena,                                 \
        .check_available = check_available_, .init_once = init_once_,          \
        .finalize = NULL,                                                      \
        .malloc_usable_size = memkind_default_malloc_usable_size,              \
        .update_memory_usage_policy =                                          \
            memkind_arena_update_memory_usage_policy,                          \
        .get_stat = NULL, .defrag_reallocate = mk_arena_defrag,                \
    }
