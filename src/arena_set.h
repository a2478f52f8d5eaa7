// SPDX-License-Identifier: BSD-2-Clause
/*
 * arena_set.h - a kind's arena set, shared by the rooms of the arena
 * layer (private to src/): arena.c makes and destroys sets and owns their
 * hooks, tcache.c records the explicit tcaches made for threads in them,
 * alloc.c and stats.c read them, fork.c locks them all.
 *
 * Locks: lock (rank MK_RANK_ARENA_SET) guards narenas, arena_idx, the
 * tcache records and the decay settings; region_lock (MK_RANK_REGION) the
 * region list, and is taken inside extent hooks.  See
 * memkind_lock.h for the global order.
 */
#pragma once

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_jemk.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// Largest number of arenas one kind uses (more threads share them).
#define MK_ARENAS_MAX 64
/// A decay time meaning "leave jemalloc's own setting" (mallctl's -1 means
/// "never purge", so neither -1 nor 0 can say it).
#define MK_DECAY_JEMALLOC_DEFAULT ((ssize_t)-2)

struct mk_tls;

/// An explicit tcache made for one thread and one kind.
struct mk_tc_rec {
    unsigned tcache;      ///< jemalloc tcache id
    struct mk_tls *owner; ///< thread state that uses it
    bool flushed;         ///< idle sweep flushed it; owner unused since
};

/// A mapping made by the generic hooks; unmapped when the kind dies.
struct mk_region {
    void *addr;  ///< granule-aligned start
    size_t size; ///< granule multiple
};

struct mk_arena_set {
    extent_hooks_t hooks;  ///< per-kind copy: jemalloc hands it back
    struct memkind *kind;  ///< owner
    size_t unit;           ///< mapping granularity (>= MK_GRANULE)
    size_t page;           ///< the kind's page size (huge for hugetlb)
    char *spare;           ///< unused tail of the last unit-sized mapping
    size_t spare_len;      ///< its length (region_lock; unit > MK_GRANULE)
    bool premapped;        ///< kind maps its whole range itself
    mk_carve_fn *carve;    ///< premapped kinds: aligned chunk source
    pthread_mutex_t lock;  ///< arenas and tcache records
    unsigned narenas;      ///< arenas created
    unsigned arena_cap;    ///< most arenas this kind may have
    unsigned threads_seen; ///< threads that asked for an arena
    /// Node-local kind (see mk_arena_set_local): each arena serves the
    /// threads of one CPU node and its extents are bound for that node.
    bool local;
    bool local_known;                  ///< local has been decided
    unsigned arena_idx[MK_ARENAS_MAX]; ///< jemalloc arena indices
    /// CPU node each arena serves and binds for, MK_NO_NODE: any (a kind
    /// that is not node-local).  Written before the arena is handed out;
    /// read without the lock by the extent hooks of that arena.
    uint16_t arena_node[MK_ARENAS_MAX];
    unsigned arena_users[MK_ARENAS_MAX]; ///< threads handed each arena
    struct mk_tc_rec *tcs;               ///< explicit tcaches (jemk memory)
    unsigned ntcs;                       ///< entries used
    unsigned tcs_cap;                    ///< entries allocated
    pthread_mutex_t region_lock;         ///< protects regions
    struct mk_region *regions;           ///< raw-mmap array of mappings
    size_t nregions;                     ///< entries used
    size_t regions_cap;                  ///< entries allocated
    size_t grow_limit;                   ///< retain_grow_limit, 0: none
    ssize_t default_dirty_ms;            ///< dirty decay of DEFAULT policy
    ssize_t conservative_dirty_ms;       ///< and of CONSERVATIVE
    ssize_t dirty_decay_ms;              ///< decay applied to new arenas
    ssize_t muzzy_decay_ms;              ///< decay applied to new arenas
    size_t oversize;                     ///< oversize_threshold of new
                                         ///< arenas, 0: the configured one
    /// Large cache bytes per thread, SIZE_MAX: the global budget.  Written
    /// under lock, read without it (relaxed atomics): a thread's next push
    /// sees a new value, and a cache above it only stops growing.
    size_t lc_budget;
    /// lc_budget is MK_LC_FILE_SHARE divided among the threads with a record
    /// in tcs, at least MK_LC_FILE_BUDGET (mk_lc_share).
    bool lc_shared;
    /// Large objects one thread's cache had no room for, for another
    /// thread's cache to take (src/tcache.c, "depot"); made on first need,
    /// under lock, at most one thread budget.
    struct mk_lcache *depot;
    bool depot_used; ///< a transfer since the last idle sweep (lock)
};

/// Sets lc_budget of a shared set from its number of thread records.
/// Pre: set->lock held (or the set not yet published).
void mk_lc_share(struct mk_arena_set *set);

/// MEMKIND_DEFAULT's set: jemalloc's automatic arenas, never destroyed.
extern struct mk_arena_set mk_default_set;
/// Automatic arenas jemalloc made for DEFAULT (opt.narenas).
extern unsigned mk_default_narenas;

/// Creates one more arena for set, serving CPU node node (MK_NO_NODE:
/// any).  Pre: set->lock held.  Returns 0 or MEMKIND_ERROR_ARENAS_CREATE.
int mk_arena_set_grow(struct mk_arena_set *set, unsigned node);

/*
 * Decides once whether set's kind is node-local: its node set depends on
 * the CPU node of the thread that asks (MEMKIND_HBW, the *_LOCAL attribute
 * kinds), or it binds with MPOL_BIND / MPOL_PREFERRED to several nodes,
 * where the kernel places a page on the node of the thread that first
 * touches it (MEMKIND_REGULAR).  Always false on a machine with one CPU
 * node, for kinds without a node set and for premapped kinds.
 * Pre: set->lock held.  Returns set->local.
 */
bool mk_arena_set_local(struct mk_arena_set *set);

/// Fork (src/fork.c): takes or releases the set lock of every live kind,
/// DEFAULT's included, in slot order.  Pre: the registry lock is held.
void mk_arena_lock_all(void);
void mk_arena_unlock_all(void);
/// Fork: takes or releases every region lock (after jemalloc's prefork).
void mk_arena_region_lock_all(void);
void mk_arena_region_unlock_all(void);
