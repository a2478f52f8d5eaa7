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
#include <dlfcn.h>
#endif

#ifdef MK_HAVE_DAXCTL
/*
 * libdaxctl is loaded with dlopen() the first time KMEM DAX nodes are
 * looked for, not linked.  Linking it made every process that loads
 * libmemkind map and relocate libdaxctl and its dependencies (libkmod,
 * libudev, libcrypto, libzstd, liblzma, libuuid): 1.5 ms of CPU per
 * process start measured, more than half of what preloading libmemtier
 * cost a short-lived program such as git's helpers.  Only DAX_KMEM
 * discovery needs it.  The table is filled once, under the node family
 * lock that serialises every discovery (numa.c).
 */
struct daxctl_fns {
    int (*new_ctx)(struct daxctl_ctx **);
    void (*unref)(struct daxctl_ctx *);
    struct daxctl_region *(*region_first)(struct daxctl_ctx *);
    struct daxctl_region *(*region_next)(struct daxctl_region *);
    struct daxctl_dev *(*dev_first)(struct daxctl_region *);
    struct daxctl_dev *(*dev_next)(struct daxctl_dev *);
    int (*target_node)(struct daxctl_dev *);
    struct daxctl_memory *(*memory)(struct daxctl_dev *);
};

/* Loads libdaxctl.so.1 and its functions into *f.  The library stays
 * loaded (RTLD_NODELETE: discovery runs once per process).  Returns 0, or
 * MEMKIND_ERROR_OPERATION_FAILED when the library or a function is
 * missing, with the loader's reason logged. */
static int daxctl_load(struct daxctl_fns *f)
{
    void *h = dlopen("libdaxctl.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        mk_log_info("[memkind_dax_kmem] cannot load libdaxctl: %s", dlerror());
        return MEMKIND_ERROR_OPERATION_FAILED;
    }
    /* Object pointer to function pointer through memcpy: ISO C has no
     * conversion between them; POSIX guarantees the representation. */
#define DAXCTL_SYM(field, name)                                                \
    do {                                                                       \
        void *sym = dlsym(h, name);                                            \
        if (!sym) {                                                            \
            mk_log_info("[memkind_dax_kmem] libdaxctl lacks %s", name);        \
            return MEMKIND_ERROR_OPERATION_FAILED;                             \
        }                                                                      \
        memcpy(&f->field, &sym, sizeof(f->field));                             \
    } while (0)
    DAXCTL_SYM(new_ctx, "daxctl_new");
    DAXCTL_SYM(unref, "daxctl_unref");
    DAXCTL_SYM(region_first, "daxctl_region_get_first");
    DAXCTL_SYM(region_next, "daxctl_region_get_next");
    DAXCTL_SYM(dev_first, "daxctl_dev_get_first");
    DAXCTL_SYM(dev_next, "daxctl_dev_get_next");
    DAXCTL_SYM(target_node, "daxctl_dev_get_target_node");
    DAXCTL_SYM(memory, "daxctl_dev_get_memory");
#undef DAXCTL_SYM
    return 0;
}

/* Target nodes of the dax devices in system-ram mode.  Returns 0,
 * MEMKIND_ERROR_UNAVAILABLE or MEMKIND_ERROR_OPERATION_FAILED (libdaxctl
 * cannot be loaded). */
static int daxctl_kmem_nodes(unsigned long *nodes)
{
    struct daxctl_fns f;
    struct daxctl_ctx *ctx;
    memset(nodes, 0, MK_NODEMASK_WORDS * sizeof(*nodes));
    int r = daxctl_load(&f);
    if (r)
        return r;
    if (f.new_ctx(&ctx) != 0) {
        mk_log_err("[memkind_dax_kmem] libdaxctl could not start");
        return MEMKIND_ERROR_UNAVAILABLE;
    }
    for (struct daxctl_region *region = f.region_first(ctx); region;
         region = f.region_next(region)) {
        for (struct daxctl_dev *dev = f.dev_first(region); dev;
             dev = f.dev_next(dev)) {
            int node = f.target_node(dev);
            /* A memory object exists only for devices bound to kmem. */
            if (f.memory(dev) && node >= 0 && node < MK_MAX_NODES)
                mk_nodemask_set(nodes, (unsigned)node);
        }
    }
    f.unref(ctx);
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
