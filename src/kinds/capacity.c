// SPDX-License-Identifier: BSD-2-Clause
/*
 * capacity.c - kinds chosen by a property of the nodes (memkind(3) KINDS):
 *  - MEMKIND_HIGHEST_CAPACITY[_PREFERRED]: the node(s) with the most memory
 *    in the machine (node sizes from sysfs, as libnuma reports them); the
 *    PREFERRED kind needs exactly one such node;
 *  - MEMKIND_HIGHEST_CAPACITY_LOCAL[_PREFERRED], LOWEST_LATENCY_LOCAL*,
 *    HIGHEST_BANDWIDTH_LOCAL*: one node among those sharing the locality of
 *    the calling CPU's node (hwloc), the largest, the fastest to reach or
 *    the widest.  Ties go to the node with the worse latency (capacity) or
 *    the smaller capacity (latency, bandwidth), then the lower id.
 * Without hwloc, or without the attribute in hwloc (no HMAT), the *_LOCAL
 * kinds report MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, as memkind 1.14 does.
 */
#include "config.h"

#include <memkind/internal/memkind_capacity.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>
#include <memkind/internal/memkind_hmat.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_numa.h>

#include <string.h>

/* MEMKIND_HIGHEST_CAPACITY: the nodes with the most memory, the same for
 * every initiator.  Pure.  Returns 0 or MEMKIND_ERROR_UNAVAILABLE. */
int mk_cand_highest_capacity(const struct mk_topology *t,
                             struct mk_node_cand *cand)
{
    unsigned long best[MK_NODEMASK_WORDS] = {0};
    uint64_t max = 0;
    for (unsigned n = 0; n < t->nr_nodes; n++)
        if (mk_nodemask_isset(t->mem, n) && t->size[n] > max)
            max = t->size[n];
    for (unsigned n = 0; max && n < t->nr_nodes; n++)
        if (mk_nodemask_isset(t->mem, n) && t->size[n] == max)
            mk_nodemask_set(best, n);
    if (mk_nodemask_weight(best) > 1)
        mk_log_info("Multiple NUMA Nodes have the same highest capacity");
    return mk_cand_from_set(t, best, cand);
}

/* Value of node n for goal, seen from init; false when unknown. */
static bool goal_value(const struct mk_topology *t, const struct mk_memattrs *a,
                       enum mk_local_goal goal, unsigned init, unsigned n,
                       uint64_t *v)
{
    size_t cell = (size_t)init * a->nr + n;
    switch (goal) {
        case MK_LOCAL_CAPACITY:
            *v = t->size[n];
            return true;
        case MK_LOCAL_LATENCY:
            *v = a->lat ? a->lat[cell] : 0;
            return *v != 0;
        case MK_LOCAL_BANDWIDTH:
            *v = a->bw ? a->bw[cell] : 0;
            return *v != 0;
    }
    return false;
}

/* True when node n beats node best for goal (both have values). */
static bool beats(const struct mk_topology *t, const struct mk_memattrs *a,
                  enum mk_local_goal goal, unsigned init, unsigned n,
                  uint64_t vn, unsigned best, uint64_t vb)
{
    if (vn != vb)
        return goal == MK_LOCAL_LATENCY ? vn < vb : vn > vb;
    if (goal == MK_LOCAL_CAPACITY) {
        /* memkind(3): equal capacity -> the node with worse latency. */
        uint64_t ln = 0, lb = 0;
        bool kn = goal_value(t, a, MK_LOCAL_LATENCY, init, n, &ln);
        bool kb = goal_value(t, a, MK_LOCAL_LATENCY, init, best, &lb);
        return kn && kb && ln > lb;
    }
    /* memkind(3): equal latency or bandwidth -> the smaller capacity. */
    return t->size[n] < t->size[best];
}

/*
 * The *_LOCAL kinds: per initiator, the best node of its locality for goal
 * (memkind(3) tie-breaks: capacity ties -> worse latency, latency and
 * bandwidth ties -> smaller capacity, then the lower id).  Pure.
 * Returns 0 or MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE (no initiator has one).
 */
int mk_cand_local_best(const struct mk_topology *t, const struct mk_memattrs *a,
                       enum mk_local_goal goal, struct mk_node_cand *cand)
{
    bool any = false;
    if (a->err || !a->local)
        return MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE;
    for (unsigned init = 0; init < t->nr_nodes; init++) {
        struct mk_node_cand *c = &cand[init];
        memset(c->mask, 0, sizeof(c->mask));
        c->err = MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE;
        if (!mk_nodemask_isset(t->cpu, init) || init >= a->nr)
            continue;
        const unsigned long *local =
            a->local + (size_t)init * MK_NODEMASK_WORDS;
        int best = -1;
        uint64_t vbest = 0;
        for (unsigned n = 0; n < t->nr_nodes && n < a->nr; n++) {
            uint64_t v;
            if (!mk_nodemask_isset(local, n) || !mk_nodemask_isset(t->mem, n) ||
                !goal_value(t, a, goal, init, n, &v))
                continue;
            if (best < 0 ||
                beats(t, a, goal, init, n, v, (unsigned)best, vbest)) {
                best = (int)n;
                vbest = v;
            }
        }
        if (best < 0) {
            mk_log_info("no memory attribute nodes for initiator node %u",
                        init);
            continue;
        }
        mk_nodemask_set(c->mask, (unsigned)best);
        c->err = 0;
        any = true;
    }
    return any ? 0 : MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE;
}

static int highest_capacity_build(const struct mk_topology *t,
                                  struct mk_node_cand *cand)
{
    return mk_cand_highest_capacity(t, cand);
}

#define LOCAL_BUILD(fn, goal)                                                  \
    static int fn(const struct mk_topology *t, struct mk_node_cand *cand)      \
    {                                                                          \
        return mk_cand_local_best(t, mk_hmat_get(), goal, cand);               \
    }
LOCAL_BUILD(capacity_local_build, MK_LOCAL_CAPACITY)
LOCAL_BUILD(latency_local_build, MK_LOCAL_LATENCY)
LOCAL_BUILD(bandwidth_local_build, MK_LOCAL_BANDWIDTH)

static struct mk_node_family capacity_family =
    MK_NODE_FAMILY_INIT(highest_capacity_build);
static struct mk_node_family capacity_local_family =
    MK_NODE_FAMILY_INIT(capacity_local_build);
static struct mk_node_family latency_local_family =
    MK_NODE_FAMILY_INIT(latency_local_build);
static struct mk_node_family bandwidth_local_family =
    MK_NODE_FAMILY_INIT(bandwidth_local_build);

/*
 * One get_mbind_nodemask and one check_available per (family, pick); the
 * check asks for all candidates, so a PREFERRED kind with two equal nodes
 * is "available" but cannot allocate, as memkind(3) describes.
 */
#define ATTR_NODES(fn, family, pick)                                           \
    static int fn(struct memkind *kind, unsigned long *nodemask,               \
                  unsigned long maxnode)                                       \
    {                                                                          \
        (void)kind;                                                            \
        return mk_node_family_nodes(&family, pick, nodemask, maxnode);         \
    }                                                                          \
    static int fn##_check(struct memkind *kind)                                \
    {                                                                          \
        unsigned long mask[MK_NODEMASK_WORDS];                                 \
        (void)kind;                                                            \
        return mk_node_family_nodes(&family, MK_PICK_ALL, mask, MK_MAX_NODES); \
    }
ATTR_NODES(capacity_nodes, capacity_family, MK_PICK_ALL)
ATTR_NODES(capacity_one_node, capacity_family, MK_PICK_ONLY_ONE)
ATTR_NODES(capacity_local_nodes, capacity_local_family, MK_PICK_ALL)
ATTR_NODES(latency_local_nodes, latency_local_family, MK_PICK_ALL)
ATTR_NODES(bandwidth_local_nodes, bandwidth_local_family, MK_PICK_ALL)

/* Static kind set-up: discovery first (through the check), so that it
 * never runs inside an extent hook; errors surface later. */
#define ATTR_KIND(ID, NODES, MODE)                                             \
    static void init_##ID(void)                                                \
    {                                                                          \
        (void)NODES##_check(MEMKIND_##ID);                                     \
        mk_static_kind_init(MEMKIND_##ID);                                     \
    }                                                                          \
    MK_EXPORT struct memkind_ops MEMKIND_##ID##_OPS =                          \
        MK_ARENA_KIND_OPS(NODES##_check, NODES, MODE, NULL, NULL, init_##ID);

#define BIND memkind_default_get_mbind_mode
#define PREF memkind_preferred_get_mbind_mode

ATTR_KIND(HIGHEST_CAPACITY, capacity_nodes, BIND)
ATTR_KIND(HIGHEST_CAPACITY_PREFERRED, capacity_one_node, PREF)
ATTR_KIND(HIGHEST_CAPACITY_LOCAL, capacity_local_nodes, BIND)
ATTR_KIND(HIGHEST_CAPACITY_LOCAL_PREFERRED, capacity_local_nodes, PREF)
ATTR_KIND(LOWEST_LATENCY_LOCAL, latency_local_nodes, BIND)
ATTR_KIND(LOWEST_LATENCY_LOCAL_PREFERRED, latency_local_nodes, PREF)
ATTR_KIND(HIGHEST_BANDWIDTH_LOCAL, bandwidth_local_nodes, BIND)
ATTR_KIND(HIGHEST_BANDWIDTH_LOCAL_PREFERRED, bandwidth_local_nodes, PREF)
