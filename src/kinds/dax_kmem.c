// SPDX-License-Identifier: BSD-2-Clause
/*
 * dax_kmem.c - the MEMKIND_DAX_KMEM family (memkind_dax_kmem(3)): memory of
 * persistent-memory devices that the kernel onlined as system RAM ("KMEM
 * DAX", daxctl's system-ram mode), which appears as memory-only NUMA nodes.
 *
 * The nodes are MEMKIND_DAX_KMEM_NODES (a numa(3) node list) when set,
 * else the target nodes of the dax devices libdaxctl shows in system-ram
 * mode.  DAX_KMEM binds to the closest of them (SLIT distance),
 * DAX_KMEM_PREFERRED prefers the single closest one, DAX_KMEM_ALL and
 * DAX_KMEM_INTERLEAVE use all.
 *
 * #if MK_HAVE_DAXCTL: without libdaxctl only the environment can name the
 * nodes; discovery then reports MEMKIND_ERROR_OPERATION_FAILED, which
 * memkind-auto-dax-kmem-nodes turns into its exit status 1.
 */
#include "config.h"

#include <memkind/internal/memkind_dax_kmem.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_numa.h>

#include <string.h>

#ifdef MK_HAVE_DAXCTL
#include <daxctl/libdaxctl.h>
#endif

#ifdef MK_HAVE_DAXCTL
/* Target nodes of the dax devices in system-ram mode.  Returns 0 or
 * MEMKIND_ERROR_UNAVAILABLE. */
static int daxctl_kmem_nodes(unsigned long *nodes)
{
    struct daxctl_ctx *ctx;
    struct daxctl_region *region;
    struct daxctl_dev *dev;
    memset(nodes, 0, MK_NODEMASK_WORDS * sizeof(*nodes));
    if (daxctl_new(&ctx) != 0) {
        mk_log_err("[memkind_dax_kmem] libdaxctl could not start");
        return MEMKIND_ERROR_UNAVAILABLE;
    }
    daxctl_region_foreach(ctx, region)
    {
        daxctl_dev_foreach(region, dev)
        {
            int node = daxctl_dev_get_target_node(dev);
            /* A memory object exists only for devices bound to kmem. */
            if (daxctl_dev_get_memory(dev) && node >= 0 && node < MK_MAX_NODES)
                mk_nodemask_set(nodes, (unsigned)node);
        }
    }
    daxctl_unref(ctx);
    return 0;
}
#endif

static int dax_kmem_build(const struct mk_topology *t,
                          struct mk_node_cand *cand)
{
    unsigned long nodes[MK_NODEMASK_WORDS];
    int r = mk_numa_env_nodes(t, "MEMKIND_DAX_KMEM_NODES", nodes);
    if (r <= 0)
        return r < 0 ? r : mk_cand_from_set(t, nodes, cand);
#ifdef MK_HAVE_DAXCTL
    r = daxctl_kmem_nodes(nodes);
    if (r == 0)
        r = mk_cand_from_set(t, nodes, cand);
    if (r)
        mk_log_info("[memkind_dax_kmem] no KMEM DAX node found");
    return r;
#else
    (void)cand;
    mk_log_info("[memkind_dax_kmem] built without libdaxctl: set "
                "MEMKIND_DAX_KMEM_NODES to name the nodes");
    return MEMKIND_ERROR_OPERATION_FAILED;
#endif
}

static struct mk_node_family dax_kmem_family =
    MK_NODE_FAMILY_INIT(dax_kmem_build);

/* Every KMEM DAX node (DAX_KMEM_ALL, DAX_KMEM_INTERLEAVE).  Returns 0 or
 * MEMKIND_ERROR_* (see memkind_dax_kmem(3)). */
MK_EXPORT int memkind_dax_kmem_all_get_mbind_nodemask(struct memkind *kind,
                                                      unsigned long *nodemask,
                                                      unsigned long maxnode)
{
    (void)kind;
    return mk_node_family_nodes(&dax_kmem_family, MK_PICK_ALL, nodemask,
                                maxnode);
}

/* The closest KMEM DAX node(s) of the calling CPU (DAX_KMEM). */
static int dax_kmem_closest(struct memkind *kind, unsigned long *nodemask,
                            unsigned long maxnode)
{
    (void)kind;
    return mk_node_family_nodes(&dax_kmem_family, MK_PICK_CLOSEST, nodemask,
                                maxnode);
}

/* memkind(3) MEMKIND_DAX_KMEM_PREFERRED: fails when two are equally close. */
static int dax_kmem_preferred(struct memkind *kind, unsigned long *nodemask,
                              unsigned long maxnode)
{
    (void)kind;
    return mk_node_family_nodes(&dax_kmem_family, MK_PICK_CLOSEST_ONE, nodemask,
                                maxnode);
}

/* Returns 0, MEMKIND_ERROR_UNAVAILABLE (no KMEM DAX node),
 * MEMKIND_ERROR_ENVIRON or MEMKIND_ERROR_OPERATION_FAILED (no libdaxctl). */
static int dax_kmem_check_available(struct memkind *kind)
{
    unsigned long mask[MK_NODEMASK_WORDS];
    return memkind_dax_kmem_all_get_mbind_nodemask(kind, mask, MK_MAX_NODES);
}

/* Static kind set-up: discovery first, so that it never runs inside an
 * extent hook (the first mbind of the kind); errors surface later. */
#define DAX_INIT(fn, KIND)                                                     \
    static void fn(void)                                                       \
    {                                                                          \
        (void)mk_node_family_ready(&dax_kmem_family);                          \
        mk_static_kind_init(KIND);                                             \
    }
DAX_INIT(dax_kmem_init, MEMKIND_DAX_KMEM)
DAX_INIT(dax_kmem_all_init, MEMKIND_DAX_KMEM_ALL)
DAX_INIT(dax_kmem_preferred_init, MEMKIND_DAX_KMEM_PREFERRED)
DAX_INIT(dax_kmem_interleave_init, MEMKIND_DAX_KMEM_INTERLEAVE)

#define DAX_MASK_ALL memkind_dax_kmem_all_get_mbind_nodemask

MK_EXPORT struct memkind_ops MEMKIND_DAX_KMEM_OPS = MK_ARENA_KIND_OPS(
    dax_kmem_check_available, dax_kmem_closest, memkind_default_get_mbind_mode,
    NULL, NULL, dax_kmem_init);
MK_EXPORT struct memkind_ops MEMKIND_DAX_KMEM_ALL_OPS = MK_ARENA_KIND_OPS(
    dax_kmem_check_available, DAX_MASK_ALL, memkind_default_get_mbind_mode,
    NULL, NULL, dax_kmem_all_init);
MK_EXPORT struct memkind_ops MEMKIND_DAX_KMEM_PREFERRED_OPS = MK_ARENA_KIND_OPS(
    dax_kmem_check_available, dax_kmem_preferred,
    memkind_preferred_get_mbind_mode, NULL, NULL, dax_kmem_preferred_init);
MK_EXPORT struct memkind_ops MEMKIND_DAX_KMEM_INTERLEAVE_OPS =
    MK_ARENA_KIND_OPS(dax_kmem_check_available, DAX_MASK_ALL,
                      memkind_interleave_get_mbind_mode, NULL,
                      memkind_nohugepage_madvise, dax_kmem_interleave_init);
