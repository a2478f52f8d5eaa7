// SPDX-License-Identifier: BSD-2-Clause
/*
 * dynamic.c - memkind_create_kind(): kinds made from a memory type, a
 * binding policy and page-size flags (memkind(3) MEMORY TYPES, POLICIES,
 * FLAGS).
 *
 * MEMKIND_MEMTYPE_DEFAULT means the nodes with CPUs ("regular" DRAM);
 * *_LOCAL policies narrow that to the node of the CPU that first touches
 * an extent.  MEMKIND_MEMTYPE_HIGH_BANDWIDTH needs HBW nodes (memkind_hbw(3));
 * without them creation fails with MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE.
 * Both types together mean "HBW, falling back to DRAM" with the
 * PREFERRED_LOCAL policy, and "every node with memory" with INTERLEAVE_ALL
 * (memkind 1.14 returns MEMKIND_INTERLEAVE for that combination); other
 * policies are refused.  HIGH_BANDWIDTH with PREFERRED_LOCAL on a machine
 * without HBW nodes falls back to regular memory at creation, as in 1.14.
 *
 * flags is a value, not a bit set: MEMKIND_MASK_PAGE_SIZE_2MB is 21 (the
 * log2 of the page size), so only 0 and 21 are accepted (1.14 refuses the
 * others with MEMKIND_ERROR_INVALID too).
 */
#include "config.h"

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>
#include <memkind/internal/memkind_hbw.h>
#include <memkind/internal/memkind_hugetlb.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_numa.h>
#include <memkind/internal/memkind_registry.h>

#include <numaif.h>
#include <string.h>
#include <sys/mman.h>

/* kind->priv of a dynamic kind. */
struct mk_dyn {
    memkind_memtype_t memtype; ///< MEMKIND_MEMTYPE_* bits
    memkind_policy_t policy;   ///< MEMKIND_POLICY_*
    memkind_bits_t flags;      ///< MEMKIND_MASK_* bits
};

/* Both memory types interleaved: every node with memory. */
static bool dyn_all_nodes(const struct mk_dyn *d)
{
    return (d->memtype & MEMKIND_MEMTYPE_DEFAULT) &&
           (d->memtype & MEMKIND_MEMTYPE_HIGH_BANDWIDTH) &&
           d->policy == MEMKIND_POLICY_INTERLEAVE_ALL;
}

static int dyn_nodemask(struct memkind *kind, unsigned long *mask,
                        unsigned long maxnode)
{
    const struct mk_dyn *d = kind->priv;
    int err;
    if (dyn_all_nodes(d))
        return mk_numa_all_nodes(mask, maxnode);
    if (d->memtype & MEMKIND_MEMTYPE_HIGH_BANDWIDTH)
        err = d->policy == MEMKIND_POLICY_BIND_ALL ||
                      d->policy == MEMKIND_POLICY_INTERLEAVE_ALL
                  ? memkind_hbw_all_get_mbind_nodemask(kind, mask, maxnode)
                  : memkind_hbw_get_mbind_nodemask(kind, mask, maxnode);
    else
        err = mk_numa_regular_nodes(mask, maxnode);
    if (err)
        return err;
    bool local = d->policy == MEMKIND_POLICY_BIND_LOCAL ||
                 d->policy == MEMKIND_POLICY_PREFERRED_LOCAL ||
                 d->policy == MEMKIND_POLICY_INTERLEAVE_LOCAL;
    if (local && !(d->memtype & MEMKIND_MEMTYPE_HIGH_BANDWIDTH)) {
        unsigned node = mk_numa_current_node();
        if (node < maxnode && mk_nodemask_isset(mask, node)) {
            memset(mask, 0, (maxnode + 7) / 8);
            mk_nodemask_set(mask, node);
        }
    }
    return 0;
}

static int dyn_mode(struct memkind *kind, int *mode)
{
    const struct mk_dyn *d = kind->priv;
    switch (d->policy) {
        case MEMKIND_POLICY_PREFERRED_LOCAL:
            *mode = MPOL_PREFERRED;
            break;
        case MEMKIND_POLICY_INTERLEAVE_LOCAL:
        case MEMKIND_POLICY_INTERLEAVE_ALL:
            *mode = MPOL_INTERLEAVE;
            break;
        default:
            *mode = MPOL_BIND;
    }
    return 0;
}

static int dyn_mmap_flags(struct memkind *kind, int *flags)
{
    const struct mk_dyn *d = kind->priv;
    if (d->flags == MEMKIND_MASK_PAGE_SIZE_2MB)
        return memkind_hugetlb_get_mmap_flags(kind, flags);
    return memkind_default_get_mmap_flags(kind, flags);
}

static int dyn_check_available(struct memkind *kind)
{
    unsigned long mask[MK_NODEMASK_WORDS];
    const struct mk_dyn *d = kind->priv;
    int err = dyn_nodemask(kind, mask, MK_MAX_NODES);
    if (err)
        return err;
    if (d->flags == MEMKIND_MASK_PAGE_SIZE_2MB)
        return memkind_hugetlb_check_available_2mb(kind);
    return 0;
}

static int dyn_destroy(struct memkind *kind)
{
    int err = memkind_arena_destroy(kind);
    mk_meta_free(kind->priv);
    kind->priv = NULL;
    return err;
}

/* create op: a kind drawing on HBW nodes is marked as such before it is
 * published (memkind_get_capacity() of its huge page variant is -1, as
 * for 1.14's MEMKIND_HBW_HUGETLB).  Returns 0 or MEMKIND_ERROR_*. */
static int dyn_create(struct memkind *kind, struct memkind_ops *ops,
                      const char *name)
{
    const struct mk_dyn *d = kind->priv;
    if ((d->memtype & MEMKIND_MEMTYPE_HIGH_BANDWIDTH) && !dyn_all_nodes(d))
        kind->flags |= MK_KIND_HBW;
    return memkind_arena_create(kind, ops, name);
}

static struct memkind_ops mk_dynamic_ops = {
    .create = dyn_create,
    .destroy = dyn_destroy,
    .malloc = memkind_arena_malloc,
    .calloc = memkind_arena_calloc,
    .posix_memalign = memkind_arena_posix_memalign,
    .realloc = memkind_arena_realloc,
    .free = memkind_arena_free,
    .mmap = memkind_default_mmap,
    .mbind = memkind_default_mbind,
    .get_mmap_flags = dyn_mmap_flags,
    .get_mbind_mode = dyn_mode,
    .get_mbind_nodemask = dyn_nodemask,
    .get_arena = memkind_thread_get_arena,
    .check_available = dyn_check_available,
    .malloc_usable_size = memkind_default_malloc_usable_size,
    .update_memory_usage_policy = memkind_arena_update_memory_usage_policy,
    .defrag_reallocate = mk_arena_defrag,
};

/*
 * memkind_create_kind (EXPERIMENTAL in memkind(3)).  Returns 0,
 * MEMKIND_ERROR_INVALID for bad or unsupported combinations,
 * MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE when the machine lacks the memory,
 * MEMKIND_ERROR_TOOMANY or MEMKIND_ERROR_MALLOC.
 */
MK_EXPORT int memkind_create_kind(memkind_memtype_t memtype_flags,
                                  memkind_policy_t policy, memkind_bits_t flags,
                                  memkind_t *kind)
{
    const unsigned long long all_types =
        MEMKIND_MEMTYPE_DEFAULT | MEMKIND_MEMTYPE_HIGH_BANDWIDTH;
    if (!kind || memtype_flags == 0 ||
        ((unsigned long long)memtype_flags & ~all_types) ||
        (unsigned)policy >= MEMKIND_POLICY_MAX_VALUE ||
        (flags != 0 && flags != MEMKIND_MASK_PAGE_SIZE_2MB)) {
        mk_log_err("memkind_create_kind: invalid memtype, policy or flags");
        return MEMKIND_ERROR_INVALID;
    }
    if (memtype_flags == all_types &&
        policy != MEMKIND_POLICY_PREFERRED_LOCAL &&
        !(policy == MEMKIND_POLICY_INTERLEAVE_ALL && flags == 0))
        return MEMKIND_ERROR_INVALID;
    if (mk_library_init())
        return MEMKIND_ERROR_RUNTIME;
    struct mk_dyn *d = mk_meta_malloc(sizeof(*d));
    if (!d)
        return MEMKIND_ERROR_MALLOC;
    *d = (struct mk_dyn){memtype_flags, policy, flags};
    struct memkind probe = {.ops = &mk_dynamic_ops, .priv = d};
    unsigned long mask[MK_NODEMASK_WORDS];
    int err = dyn_nodemask(&probe, mask, MK_MAX_NODES);
    if (err && policy == MEMKIND_POLICY_PREFERRED_LOCAL &&
        (memtype_flags & MEMKIND_MEMTYPE_HIGH_BANDWIDTH)) {
        /* COMPAT(1.14): HBW preferred on a machine without HBW memory is
         * regular memory (1.14 returns MEMKIND_DEFAULT), not a failure. */
        d->memtype = MEMKIND_MEMTYPE_DEFAULT;
        err = dyn_nodemask(&probe, mask, MK_MAX_NODES);
    }
    if (err) {
        mk_meta_free(d);
        return MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE;
    }
    enum mk_backing backing = (flags == MEMKIND_MASK_PAGE_SIZE_2MB)
                                  ? MK_BACKING_HUGETLB
                                  : MK_BACKING_NUMA;
    err = mk_registry_create_kind(&mk_dynamic_ops, NULL, backing, d, kind);
    if (err)
        mk_meta_free(d);
    return err;
}
