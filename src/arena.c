// SPDX-License-Identifier: BSD-2-Clause
/*
 * arena.c - arena sets and their extent hooks, and the arena layer's
 * start-up.
 *
 * Owns: struct mk_arena_set (a kind's explicit list of jemalloc arenas,
 * its decay settings and the regions its hooks mapped), the generic
 * extent hooks of NUMA and hugetlb kinds (they map through the kind's ops,
 * record the mapping in the address map and unmap it when the kind dies),
 * the exported create/destroy/policy building blocks of memkind_arena(3),
 * and mk_arena_global_init (machine facts, the address map, thread caches,
 * DEFAULT's set, the MEMKIND_* variables that tune jemalloc).
 *
 * Does not own: per-thread caches (tcache.c), the allocation entry points
 * (alloc.c), statistics and defragmentation (stats.c), the address map
 * (addrmap.c), the fork protocol (fork.c), hooks of file kinds
 * (kinds/pmem.c).
 *
 * MEMKIND_DEFAULT is served by jemalloc's automatic arenas and automatic
 * tcache with jemalloc's default extent hooks: no hook of ours is on them.
 * jemalloc's own mmap, munmap and sbrk calls are renamed to mk_jemk_mmap &
 * co (jemalloc/jemalloc.mk, src/addrmap.c), which is how DEFAULT memory is
 * recorded in the address map.  Kind memory never goes through the
 * automatic tcache (explicit tcache or MALLOCX_TCACHE_NONE).
 *
 * Locks: a set's lock (MK_RANK_ARENA_SET) around arena creation and
 * settings, calling into jemalloc while held; its region_lock
 * (MK_RANK_REGION) inside hooks, under jemalloc's mutexes.
 */
#include "config.h"

#include <memkind/internal/memkind_arena.h>

#include <memkind/internal/memkind_addrmap.h>
#include <memkind/internal/memkind_dispatch.h>
#include <memkind/internal/memkind_env.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_hugetlb.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_numa.h>
#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_util.h>

#include "arena_set.h"
#include "jemk_base.h"
#include "jemk_conf.h"
#include "jemk_ctl.h"
#include "lsan.h"
#include "os.h"
#include "tcache.h"

#include <errno.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

_Static_assert(MALLCTL_ARENAS_ALL > 4095, "jemalloc arena index space");

MK_FORK_PAGE struct mk_arena_set mk_default_set;
unsigned mk_default_narenas;

/*
 * CPU node each kind arena serves, by jemalloc arena index (MK_NO_NODE:
 * any), for the extent hooks: they receive the index only.  An entry is
 * written by mk_arena_set_grow() under the set lock before the arena is
 * handed to any thread, and a thread reaches the hooks of an arena only
 * through mk_tcache_fill(), under the same lock: no race.  Indices of
 * destroyed arenas are reused by jemalloc and rewritten then.
 */
#define MK_ARENA_IND_MAX 4096u
static uint16_t arena_node_tab[MK_ARENA_IND_MAX];

/* -------------------------------------------------------------- regions */

/* Appends a region; raw mmap storage so hooks never recurse into jemalloc.
 * Returns false on failure. */
static bool region_add(struct mk_arena_set *set, void *addr, size_t size)
{
    bool ok = true;
    mk_mutex_lock(&set->region_lock, MK_RANK_REGION);
    if (set->nregions == set->regions_cap) {
        size_t ncap = set->regions_cap ? set->regions_cap * 2 : 256;
        void *n = NULL;
        if (mk_fault_hit() ||
            mk_os_map(NULL, ncap * sizeof(*set->regions),
                      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                      0, &n) != 0) {
            ok = false;
            goto out;
        }
        if (set->regions) {
            memcpy(n, set->regions, set->nregions * sizeof(*set->regions));
            (void)mk_os_unmap(set->regions,
                              set->regions_cap * sizeof(*set->regions));
        }
        set->regions = n;
        set->regions_cap = ncap;
    }
    set->regions[set->nregions++] = (struct mk_region){addr, size};
out:
    mk_mutex_unlock(&set->region_lock, MK_RANK_REGION);
    return ok;
}

/* Unmaps and forgets every region.  Pre: the kind's arenas are gone. */
static void regions_release(struct mk_arena_set *set)
{
    for (size_t i = 0; i < set->nregions; i++) {
        struct mk_region *r = &set->regions[i];
        (void)mk_addrmap_store((uintptr_t)r->addr, r->size, 0);
        mk_lsan_unregister(r->addr, r->size);
        (void)mk_os_unmap(r->addr, r->size);
    }
    if (set->regions)
        (void)mk_os_unmap(set->regions,
                          set->regions_cap * sizeof(*set->regions));
    set->regions = NULL;
    set->nregions = set->regions_cap = 0;
    set->spare = NULL;
    set->spare_len = 0;
}

/*
 * Kinds whose mapping unit is larger than the granule (the GBTLB kinds: 1
 * GiB chunks) hand the unused tail of their last mapping to the next
 * extents instead of mapping a whole unit for each: it is mapped, bound,
 * in the address map and never handed out, so it is zero.  Returns an
 * align-aligned piece of size bytes, or NULL when the tail is too short.
 */
static void *spare_take(struct mk_arena_set *set, size_t size, size_t align)
{
    void *p = NULL;
    mk_mutex_lock(&set->region_lock, MK_RANK_REGION);
    if (set->spare) {
        uintptr_t s = (uintptr_t)set->spare, end = s + set->spare_len;
        uintptr_t a = mk_round_up(s, align);
        if (a >= s && a <= end && size <= end - a) {
            p = (void *)a;
            set->spare = (char *)(a + size);
            set->spare_len = end - (a + size);
        }
    }
    mk_mutex_unlock(&set->region_lock, MK_RANK_REGION);
    return p;
}

/* Keeps [tail, tail + len) as the spare when it is longer than the one
 * kept now (the shorter one stays mapped, unused, until the kind dies). */
static void spare_keep(struct mk_arena_set *set, char *tail, size_t len)
{
    mk_mutex_lock(&set->region_lock, MK_RANK_REGION);
    if (len > set->spare_len) {
        set->spare = tail;
        set->spare_len = len;
    }
    mk_mutex_unlock(&set->region_lock, MK_RANK_REGION);
}

/* ---------------------------------------------------------------- hooks */

static inline struct mk_arena_set *hooks_set(extent_hooks_t *h)
{
    return mk_container_of(h, struct mk_arena_set, hooks);
}

struct memkind *mk_arena_hooks_kind(extent_hooks_t *h)
{
    return hooks_set(h)->kind;
}

/*
 * Premapped kinds (file, fixed): the kind's carve hands out a piece of its
 * own range, aligned as asked.  Only a carve is used: a piece of a kind's
 * range cannot be handed back, so the kind's mmap op, which promises page
 * alignment only, could return one that jemalloc cannot use and that would
 * stay taken for good (each failing growth took another).  Every premapped
 * kind installs a carve (fixed.c; file kinds have hooks of their own), so
 * a set without one fails the growth taking nothing.  Returns the address
 * or NULL.
 */
static void *alloc_premapped(struct mk_arena_set *set, size_t size,
                             size_t alignment, bool *zero, bool *commit)
{
    if (!set->carve)
        return NULL;
    void *p = set->carve(set->kind, size, alignment, zero);
    if (!p)
        return NULL;
    *commit = true;
    return p;
}

/* Maps size bytes aligned to align through the kind's mmap op, binds and
 * advises them and records them.  Returns the address or NULL. */
static void *alloc_mapped(struct mk_arena_set *set, size_t size, size_t align)
{
    struct memkind *kind = set->kind;
    size_t mapsz, req;
    bool chunked = set->unit > MK_GRANULE;
    if (chunked) {
        void *p = spare_take(set, size, align);
        if (p)
            return p;
    }
    if (!mk_round_up_checked(size, set->unit, &mapsz) ||
        mapsz > SIZE_MAX - align)
        return NULL;
    /* mmap only promises alignment to the kind's page size (the huge page
     * size for hugetlb kinds): with less slack than align - page, an
     * unaligned result left the extent's tail outside the mapping (found
     * under valgrind, whose mmap places mappings differently). */
    req = mapsz + align - set->page;
    char *raw = kind_op_mmap(kind, NULL, req);
    if (raw == MAP_FAILED || raw == NULL)
        return NULL;
    void *p = (void *)mk_round_up((uintptr_t)raw, align);
    mk_os_trim(raw, req, p, mapsz);
    if (kind_op_prepare_mapping(kind, p, mapsz) != 0 ||
        !region_add(set, p, mapsz)) {
        (void)mk_os_unmap(p, mapsz);
        return NULL;
    }
    if (mk_addrmap_store((uintptr_t)p, mapsz,
                         (uint16_t)(kind->partition + 1u)) != 0) {
        /* Beyond the map: the region stays listed (unmapped with the
         * kind) but holds nothing; jemalloc sees a failure. */
        (void)mk_os_release_keep_range(p, mapsz);
        return NULL;
    }
    mk_lsan_register(p, mapsz);
    if (chunked && mapsz > size)
        spare_keep(set, (char *)p + size, mapsz - size);
    return p;
}

/*
 * Maps a new extent, aligned to the address map's granule and the kind's
 * page (or the requested alignment if larger), and records it in the map.
 * The set's unit is a size granularity only: the GBTLB kinds map 1 GiB
 * chunks of 2 MiB pages aligned to 2 MiB, as 1.14 does.  Called by
 * jemalloc with its mutexes held.  Returns the address, or NULL on failure
 * (the alloc hook returns memory, not a bool).
 */
static void *hook_alloc(extent_hooks_t *h, void *new_addr, size_t size,
                        size_t alignment, bool *zero, bool *commit,
                        unsigned arena_ind)
{
    struct mk_arena_set *set = hooks_set(h);
    if (new_addr)
        return NULL; /* we place extents ourselves */
    mk_lock_enter_jemalloc();
    void *p;
    if (set->premapped) {
        p = alloc_premapped(set, size, alignment, zero, commit);
    } else {
        /* Bind for the arena's node, not for wherever this thread runs
         * now (it may have moved since it was handed the arena): an
         * arena's extents are all for one node. */
        unsigned node = arena_ind < MK_ARENA_IND_MAX ? arena_node_tab[arena_ind]
                                                     : MK_NO_NODE;
        unsigned old =
            node != MK_NO_NODE ? mk_numa_node_override(node) : MK_NO_NODE;
        size_t least = set->page > MK_GRANULE ? set->page : MK_GRANULE;
        p = alloc_mapped(set, size, alignment > least ? alignment : least);
        if (node != MK_NO_NODE)
            (void)mk_numa_node_override(old);
        if (p)
            *zero = *commit = true;
    }
    mk_lock_exit_jemalloc();
    return p;
}

/* Returns true (jemalloc hook convention: failure): the extent stays
 * mapped and retained by jemalloc. */
static bool hook_dalloc(extent_hooks_t *h, void *addr, size_t size,
                        bool committed, unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)committed, (void)arena_ind;
    return true;
}

/* Whole regions are unmapped when the kind is destroyed; nothing here. */
static void hook_destroy(extent_hooks_t *h, void *addr, size_t size,
                         bool committed, unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)committed, (void)arena_ind;
}

/* Returns false on success (jemalloc hook convention): memory is mapped. */
static bool hook_commit(extent_hooks_t *h, void *addr, size_t size,
                        size_t offset, size_t length, unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)offset, (void)length,
        (void)arena_ind;
    return false;
}

/* Returns true (failure): we do not decommit (jemalloc purges instead). */
static bool hook_decommit(extent_hooks_t *h, void *addr, size_t size,
                          size_t offset, size_t length, unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)offset, (void)length,
        (void)arena_ind;
    return true;
}

/*
 * True when [addr+offset, +length) is not whole pages of the kind: the
 * kernel rounds hugetlb madvise ranges and would report success without
 * zeroing the part it skipped, so such purges must be refused.
 */
static bool purge_misaligned(const struct mk_arena_set *set, void *addr,
                             size_t offset, size_t length)
{
    return (((uintptr_t)addr + offset) | length) & (set->page - 1);
}

/* Returns false on success (jemalloc hook convention).  errno is kept
 * (purges are reached from free paths). */
static bool hook_purge_lazy(extent_hooks_t *h, void *addr, size_t size,
                            size_t offset, size_t length, unsigned arena_ind)
{
    (void)size, (void)arena_ind;
    struct mk_arena_set *set = hooks_set(h);
    if (set->premapped || set->page > mk_os_page_size())
        return true; /* no lazy purging of hugetlb or user memory */
    return mk_os_advise((char *)addr + offset, length, MADV_FREE) != 0;
}

/* Returns false on success (jemalloc hook convention).  errno is kept. */
static bool hook_purge_forced(extent_hooks_t *h, void *addr, size_t size,
                              size_t offset, size_t length, unsigned arena_ind)
{
    (void)size, (void)arena_ind;
    struct mk_arena_set *set = hooks_set(h);
    if (set->premapped || purge_misaligned(set, addr, offset, length))
        return true;
    return mk_os_advise((char *)addr + offset, length, MADV_DONTNEED) != 0;
}

/* Returns false on success: extents may always be split. */
static bool hook_split(extent_hooks_t *h, void *addr, size_t size,
                       size_t size_a, size_t size_b, bool committed,
                       unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)size_a, (void)size_b,
        (void)committed, (void)arena_ind;
    return false;
}

/* Returns false on success: neighbours in one arena may merge. */
static bool hook_merge(extent_hooks_t *h, void *addr_a, size_t size_a,
                       void *addr_b, size_t size_b, bool committed,
                       unsigned arena_ind)
{
    (void)h, (void)addr_a, (void)size_a, (void)addr_b, (void)size_b,
        (void)committed, (void)arena_ind;
    return false;
}

static const extent_hooks_t mk_generic_hooks = {
    .alloc = hook_alloc,
    .dalloc = hook_dalloc,
    .destroy = hook_destroy,
    .commit = hook_commit,
    .decommit = hook_decommit,
    .purge_lazy = hook_purge_lazy,
    .purge_forced = hook_purge_forced,
    .split = hook_split,
    .merge = hook_merge,
};

/* ----------------------------------------------------------- arena set */

/* Returns 0 or MEMKIND_ERROR_RUNTIME (a mutex could not be made). */
static int set_init(struct mk_arena_set *set, struct memkind *kind,
                    const extent_hooks_t *hooks)
{
    memset(set, 0, sizeof(*set));
    set->hooks = hooks ? *hooks : mk_generic_hooks;
    set->kind = kind;
    set->unit = MK_GRANULE;
    set->page = mk_os_page_size();
    set->premapped =
        kind->backing == MK_BACKING_FILE || kind->backing == MK_BACKING_FIXED;
    set->lc_budget = SIZE_MAX;
    const struct mk_env *env = mk_env_get();
    unsigned cap = env->arena_cap ? env->arena_cap : mk_os_ncpus();
    set->arena_cap = cap < MK_ARENAS_MAX ? cap : MK_ARENAS_MAX;
    if (set->arena_cap == 0)
        set->arena_cap = 1;
    /* MEMKIND_HOG_MEMORY: never purge (-1); otherwise jemalloc's own. */
    set->default_dirty_ms = 10000; /* jemalloc's own default */
    set->dirty_decay_ms = env->hog_memory ? -1 : MK_DECAY_JEMALLOC_DEFAULT;
    set->muzzy_decay_ms = env->hog_memory ? -1 : MK_DECAY_JEMALLOC_DEFAULT;
    if (pthread_mutex_init(&set->lock, NULL))
        return MEMKIND_ERROR_RUNTIME;
    if (pthread_mutex_init(&set->region_lock, NULL)) {
        pthread_mutex_destroy(&set->lock);
        return MEMKIND_ERROR_RUNTIME;
    }
    return 0;
}

/* Sets one decay time of an arena unless it says "jemalloc's default".
 * Returns 0 or mallctl's errno. */
static int set_decay(unsigned idx, enum mk_ctl_arena_leaf leaf, ssize_t ms)
{
    if (ms == MK_DECAY_JEMALLOC_DEFAULT)
        return 0;
    return mk_ctl_arena(idx, leaf, &ms, sizeof(ms));
}

int mk_arena_set_grow(struct mk_arena_set *set, unsigned node)
{
    struct mk_jemk_arena_config cfg = {
        .extent_hooks = &set->hooks,
        .metadata_use_hooks = false,
    };
    unsigned idx;
    size_t sz = sizeof(idx);
    if (set->narenas >= MK_ARENAS_MAX || mk_fault_hit())
        return MEMKIND_ERROR_ARENAS_CREATE;
    if (jemk_mallctl("experimental.arenas_create_ext", &idx, &sz, &cfg,
                     sizeof(cfg)) != 0)
        return MEMKIND_ERROR_ARENAS_CREATE;
    (void)set_decay(idx, MK_CTL_ARENA_DIRTY_DECAY_MS, set->dirty_decay_ms);
    (void)set_decay(idx, MK_CTL_ARENA_MUZZY_DECAY_MS, set->muzzy_decay_ms);
    if (set->oversize) {
        size_t v = set->oversize;
        (void)mk_ctl_arena(idx, MK_CTL_ARENA_OVERSIZE, &v, sizeof(v));
    }
    if (set->grow_limit) {
        size_t lim = set->grow_limit;
        (void)mk_ctl_arena(idx, MK_CTL_ARENA_GROW_LIMIT, &lim, sizeof(lim));
    }
    if (idx < MK_ARENA_IND_MAX)
        arena_node_tab[idx] = (uint16_t)node;
    else
        node = MK_NO_NODE; /* beyond the table: its hooks cannot tell */
    set->arena_node[set->narenas] = (uint16_t)node;
    set->arena_users[set->narenas] = 0;
    set->arena_idx[set->narenas++] = idx;
    set->kind->arena_map_len = set->narenas;
    return 0;
}

bool mk_arena_set_local(struct mk_arena_set *set)
{
    if (set->local_known)
        return set->local;
    set->local_known = true;
    set->local = false;
    struct memkind *kind = set->kind;
    const struct mk_topology *t = mk_topology_get();
    if (set == &mk_default_set || set->premapped ||
        !kind_op_has_mbind_nodemask(kind) || mk_nodemask_weight(t->cpu) < 2)
        return false;
    int mode = MPOL_BIND;
    if (kind_op_get_mbind_mode(kind, &mode) != 0)
        mode = MPOL_BIND;
    unsigned long first[MK_NODEMASK_WORDS], mask[MK_NODEMASK_WORDS];
    int first_err = 0;
    bool seen = false, local = false;
    for (unsigned n = 0; n < t->nr_nodes && !local; n++) {
        if (!mk_nodemask_isset(t->cpu, n))
            continue;
        memset(mask, 0, sizeof(mask));
        unsigned old = mk_numa_node_override(n);
        int err = kind_op_get_mbind_nodemask(kind, mask, MK_MAX_NODES);
        (void)mk_numa_node_override(old);
        if (!err && mode != MPOL_INTERLEAVE && mk_nodemask_weight(mask) > 1)
            local = true; /* first touch decides among several nodes */
        if (!seen) {
            seen = true;
            first_err = err;
            memcpy(first, mask, sizeof(mask));
        } else if (err != first_err ||
                   (!err && memcmp(first, mask, sizeof(mask)) != 0)) {
            local = true; /* the node set depends on the CPU node */
        }
    }
    set->local = local;
    return local;
}

/* The set of every live kind but DEFAULT, in slot order (fork.c). */
static struct mk_arena_set *set_of_slot(unsigned s)
{
    struct memkind *k = mk_registry_get(s);
    return k && k->arenas && k->arenas != &mk_default_set ? k->arenas : NULL;
}

/* The set whose lock fork() holds for slot s: every live kind's, DEFAULT's
 * too.  DEFAULT's lock guards its large cache records and the idle sweep
 * of them: a fork() in the middle of a sweep left the forking thread's
 * entry claimed in the child, where no sweeper ever releases it, and the
 * child's first DEFAULT allocation of a cached size waited forever
 * (test/compat/fork.sh, about one fork in 500); the sweep may even have
 * been flushing that very cache, which the child then flushes again. */
static struct mk_arena_set *locked_set_of_slot(unsigned s)
{
    struct memkind *k = mk_registry_get(s);
    return k ? k->arenas : NULL;
}

void mk_arena_lock_all(void)
{
    for (unsigned s = 0; s < MEMKIND_MAX_KIND; s++) {
        struct mk_arena_set *set = locked_set_of_slot(s);
        if (set)
            mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    }
}

void mk_arena_unlock_all(void)
{
    for (unsigned s = MEMKIND_MAX_KIND; s-- > 0;) {
        struct mk_arena_set *set = locked_set_of_slot(s);
        if (set)
            mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    }
}

void mk_arena_region_lock_all(void)
{
    for (unsigned s = 0; s < MEMKIND_MAX_KIND; s++) {
        struct mk_arena_set *set = set_of_slot(s);
        if (set)
            mk_mutex_lock(&set->region_lock, MK_RANK_REGION);
    }
}

void mk_arena_region_unlock_all(void)
{
    for (unsigned s = MEMKIND_MAX_KIND; s-- > 0;) {
        struct mk_arena_set *set = set_of_slot(s);
        if (set)
            mk_mutex_unlock(&set->region_lock, MK_RANK_REGION);
    }
}

/* ------------------------------------------------------ global set-up */

/*
 * Reads the machine's facts, reserves the address map (before jemalloc's
 * first mapping, so that every DEFAULT mapping is recorded), then (first
 * jemalloc call) sets up thread caches and DEFAULT's set.  Called once from
 * mk_library_init().  Returns 0 or MEMKIND_ERROR_*.
 */
int mk_arena_global_init(void)
{
    mk_os_init();
    int err = mk_addrmap_init();
    if (err)
        return err;
    mk_jemk_conf_warn_user();
    err = set_init(&mk_default_set, MEMKIND_DEFAULT, NULL);
    if (err)
        return err;
    MEMKIND_DEFAULT->arenas = &mk_default_set;
    /* jemalloc's own start-up (nallocx runs it), then its facts without a
     * mallctl: see jemk_base.c */
    if (jemk_nallocx(1, 0) == 0) {
        mk_log_err("jemalloc failed to start");
        return MEMKIND_ERROR_RUNTIME;
    }
    unsigned n = mk_jemk_opt_narenas();
    mk_jemk_conf_apply_env(mk_env_get());
    err = mk_tcache_init();
    if (err)
        return err;
    mk_default_narenas = n;
    MEMKIND_DEFAULT->arena_map_len = n;
    return 0;
}

/* ------------------------------------------------- exported building blocks */

/*
 * create op for jemalloc-backed kinds: memkind_default_create() then
 * memkind_arena_create_map() with the generic hooks.
 * Returns 0 or MEMKIND_ERROR_*.
 */
MK_EXPORT int memkind_arena_create(struct memkind *kind,
                                   struct memkind_ops *ops, const char *name)
{
    int err = memkind_default_create(kind, ops, name);
    if (err)
        return err;
    return memkind_arena_create_map(kind, NULL);
}

/*
 * Gives kind its arena set, using hooks (copied) or the generic hooks when
 * hooks is NULL.  Arenas themselves are created lazily by the first
 * allocating thread, so an unused kind costs no jemalloc arena.
 * Returns 0 or MEMKIND_ERROR_*.
 */
MK_EXPORT int memkind_arena_create_map(struct memkind *kind,
                                       extent_hooks_t *hooks)
{
    if (mk_library_init())
        return MEMKIND_ERROR_RUNTIME;
    if (kind->arenas)
        return 0;
    if (mk_env_get()->arena_cap_bad)
        return MEMKIND_ERROR_ENVIRON;
    struct mk_arena_set *set = mk_meta_malloc(sizeof(*set));
    if (!set)
        return MEMKIND_ERROR_MALLOC;
    int err = set_init(set, kind, hooks);
    if (err) {
        mk_meta_free(set);
        return err;
    }
    if (kind->backing == MK_BACKING_HUGETLB) {
        set->page = MK_HUGETLB_PAGE_SIZE;
        set->unit = mk_hugetlb_chunk_size(kind);
    }
    /* Release: a thread that sees kind->arenas set without passing through
     * the kind's pthread_once (memkind.c's fast path) sees the whole set. */
    __atomic_store_n(&kind->arenas, set, __ATOMIC_RELEASE);
    return 0;
}

/*
 * Destroys arena idx and unmaps its metadata blocks, which jemalloc (with
 * retain:true) only purges and forgets (jemk_base.c): without this, every
 * kind lifecycle left a 2 MiB mapping behind.  The blocks are listed before
 * the destroy and unmapped only once it succeeded; a block beyond the list
 * (a base that grew past MK_BASE_BLOCKS_MAX blocks, far more metadata than
 * any kind has) is left mapped.  Pre: the arena's kind is being destroyed.
 */
#define MK_BASE_BLOCKS_MAX 24
static void destroy_arena(const struct memkind *kind, unsigned idx)
{
    struct mk_jemk_block blocks[MK_BASE_BLOCKS_MAX];
    unsigned n = mk_jemk_base_blocks(idx, blocks, MK_BASE_BLOCKS_MAX);
    if (mk_ctl_arena(idx, MK_CTL_ARENA_DESTROY, NULL, 0)) {
        mk_log_err("[%s] cannot destroy arena %u", kind->name, idx);
        return;
    }
    if (n > MK_BASE_BLOCKS_MAX)
        n = MK_BASE_BLOCKS_MAX;
    for (unsigned i = 0; i < n; i++)
        (void)mk_jemk_munmap(blocks[i].addr, blocks[i].len);
}

/*
 * destroy op for jemalloc-backed kinds: destroys the kind's tcaches and
 * arenas (all their memory returns) and unmaps what the hooks mapped.
 * Pre: no other thread uses the kind; the registry lock is held.
 * Returns 0 or MEMKIND_ERROR_*.
 */
MK_EXPORT int memkind_arena_destroy(struct memkind *kind)
{
    struct mk_arena_set *set = kind->arenas;
    if (!set || set == &mk_default_set)
        return 0;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    mk_tcache_destroy_all(set);
    for (unsigned i = 0; i < set->narenas; i++)
        destroy_arena(kind, set->arena_idx[i]);
    set->narenas = 0;
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    regions_release(set);
    mk_meta_free(set->tcs);
    mk_tcache_depot_release(set); /* its objects went with the arenas */
    pthread_mutex_destroy(&set->lock);
    pthread_mutex_destroy(&set->region_lock);
    kind->arenas = NULL;
    mk_meta_free(set);
    return 0;
}

/* CONSERVATIVE's oversize threshold: jemalloc's own 8 MiB, so a freed
 * large extent that reaches it coalesced goes back at once, as before the
 * library raised the default (src/jemk_conf.c, issue 17). */
#define MK_CONSERVATIVE_OVERSIZE ((size_t)8 << 20)

/*
 * Applies a memory usage policy as decay times and oversize thresholds:
 * DEFAULT keeps jemalloc's (10 s dirty, no muzzy) or the kind's
 * (mk_arena_tune) and the configured threshold; CONSERVATIVE returns freed
 * pages at once, or for a file kind within a few milliseconds (its purger
 * thread makes that true when idle; giving each emptied extent back at
 * once made small objects cost up to 34 times as much, in fallocate
 * calls), and large extents from 8 MiB coalesced at once.
 * Returns 0 or MEMKIND_ERROR_INVALID / MEMKIND_ERROR_RUNTIME.
 */
MK_EXPORT int
memkind_arena_update_memory_usage_policy(struct memkind *kind,
                                         memkind_mem_usage_policy policy)
{
    struct mk_arena_set *set = kind->arenas;
    if (!set || policy >= MEMKIND_MEM_USAGE_POLICY_MAX_VALUE)
        return MEMKIND_ERROR_INVALID;
    int err = 0;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    bool conservative = policy == MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE;
    set->dirty_decay_ms =
        conservative ? set->conservative_dirty_ms : set->default_dirty_ms;
    set->muzzy_decay_ms = 0;
    set->oversize = conservative ? MK_CONSERVATIVE_OVERSIZE : 0;
    size_t oversize =
        conservative ? set->oversize : mk_jemk_configured_oversize();
    for (unsigned i = 0; i < set->narenas; i++) {
        if (set_decay(set->arena_idx[i], MK_CTL_ARENA_DIRTY_DECAY_MS,
                      set->dirty_decay_ms) ||
            set_decay(set->arena_idx[i], MK_CTL_ARENA_MUZZY_DECAY_MS,
                      set->muzzy_decay_ms) ||
            mk_ctl_arena(set->arena_idx[i], MK_CTL_ARENA_OVERSIZE, &oversize,
                         sizeof(oversize)))
            err = MEMKIND_ERROR_RUNTIME;
    }
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    return err;
}

/* COMPAT(1.14): 1.14 sized its arena map here; ours grows on demand, so
 * there is nothing to do.  Returns 0. */
MK_EXPORT int memkind_set_arena_map_len(struct memkind *kind)
{
    (void)kind;
    return 0;
}

/* Installs carve as the chunk source of a premapped kind's arenas.  Pre:
 * after memkind_arena_create_map(), before the kind's first allocation. */
void mk_arena_set_carve(struct memkind *kind, mk_carve_fn *carve)
{
    if (kind->arenas)
        kind->arenas->carve = carve;
}

/*
 * Tunes a file-backed kind's arenas before their creation: grow_limit caps
 * how much address space one extent grow takes (so a small kind fills up
 * evenly), dirty_ms is the dirty decay of the DEFAULT usage policy, applied
 * now unless MEMKIND_HOG_MEMORY asked never to purge.
 */
void mk_arena_tune(struct memkind *kind, size_t grow_limit, ssize_t dirty_ms,
                   ssize_t conservative_dirty_ms)
{
    struct mk_arena_set *set = kind->arenas;
    if (!set)
        return;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    set->grow_limit = grow_limit;
    set->default_dirty_ms = dirty_ms;
    set->conservative_dirty_ms = conservative_dirty_ms;
    if (!mk_env_get()->hog_memory) {
        set->dirty_decay_ms = dirty_ms;
        set->muzzy_decay_ms = 0;
    }
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
}

/* Each arena of set gets leaf, under its lock; 0 or MEMKIND_ERROR_RUNTIME. */
static int each_arena(struct mk_arena_set *set, enum mk_ctl_arena_leaf leaf)
{
    int err = 0;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    for (unsigned i = 0; i < set->narenas; i++) {
        if (mk_ctl_arena(set->arena_idx[i], leaf, NULL, 0))
            err = MEMKIND_ERROR_RUNTIME;
    }
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    return err;
}

/* Contract in memkind_arena.h.  DEFAULT's arenas are jemalloc's automatic
 * ones, indices below mk_default_narenas (one never used has nothing to
 * purge: its refusal is ignored); the others are the set's, under its lock.
 * The set is read with acquire: see flush_caches (tcache.c). */
int mk_arena_purge_now(struct memkind *kind)
{
    struct mk_arena_set *set = __atomic_load_n(&kind->arenas, __ATOMIC_ACQUIRE);
    if (!set)
        return 0;
    if (set == &mk_default_set) {
        for (unsigned i = 0; i < mk_default_narenas; i++)
            (void)mk_ctl_arena(i, MK_CTL_ARENA_PURGE, NULL, 0);
        return 0;
    }
    return each_arena(set, MK_CTL_ARENA_PURGE);
}

/* What jemalloc otherwise does only when an arena is used (contract in
 * memkind_arena.h).  The PMEM purger thread calls it, the kind pinned. */
int mk_arena_decay(struct memkind *kind)
{
    return kind->arenas ? each_arena(kind->arenas, MK_CTL_ARENA_DECAY) : 0;
}
