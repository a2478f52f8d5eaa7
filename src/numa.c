// SPDX-License-Identifier: BSD-2-Clause
/*
 * numa.c - node discovery through libnuma for the mbind-based kinds.
 * Node overrides for HBW and DAX_KMEM (MEMKIND_*_NODES) belong to their
 * families, not here.
 */
#include "config.h"

#include <memkind/internal/memkind_numa.h>

#include <memkind/internal/memkind_dispatch.h>

#include <numa.h>
#include <sched.h>
#include <string.h>

static bool numa_ok(void)
{
    return numa_available() != -1;
}

static int max_node(void)
{
    int m = numa_ok() ? numa_max_node() : 0;
    return m < MK_MAX_NODES ? m : MK_MAX_NODES - 1;
}

static bool node_has_memory(int node)
{
    long long free_b;
    return numa_node_size64(node, &free_b) > 0;
}

static bool node_has_cpus(int node)
{
    struct bitmask *cpus = numa_allocate_cpumask();
    bool has = false;
    if (!cpus)
        return false;
    if (numa_node_to_cpus(node, cpus) == 0)
        has = numa_bitmask_weight(cpus) > 0;
    numa_free_cpumask(cpus);
    return has;
}

static int fill(unsigned long *mask, unsigned long maxnode, bool need_cpus)
{
    memset(mask, 0, (maxnode + 7) / 8);
    int found = 0;
    if (!numa_ok()) {
        mk_nodemask_set(mask, 0);
        return 0;
    }
    for (int n = 0; n <= max_node() && (unsigned long)n < maxnode; n++) {
        if (!node_has_memory(n) || (need_cpus && !node_has_cpus(n)))
            continue;
        mk_nodemask_set(mask, (unsigned)n);
        found++;
    }
    return found ? 0 : MEMKIND_ERROR_UNAVAILABLE;
}

int mk_numa_regular_nodes(unsigned long *mask, unsigned long maxnode)
{
    return fill(mask, maxnode, true);
}

int mk_numa_all_nodes(unsigned long *mask, unsigned long maxnode)
{
    return fill(mask, maxnode, false);
}

unsigned mk_numa_current_node(void)
{
    int cpu = sched_getcpu();
    int node = (cpu >= 0 && numa_ok()) ? numa_node_of_cpu(cpu) : 0;
    return node > 0 ? (unsigned)node : 0;
}

ssize_t mk_numa_kind_capacity(struct memkind *kind)
{
    unsigned long mask[MK_NODEMASK_WORDS];
    int err;
    if (kind->ops->get_mbind_nodemask)
        err = kind_op_get_mbind_nodemask(kind, mask, MK_MAX_NODES);
    else
        err = mk_numa_all_nodes(mask, MK_MAX_NODES);
    if (err)
        return -1;
    long long total = 0;
    for (int n = 0; n <= max_node(); n++) {
        if (!mk_nodemask_isset(mask, (unsigned)n))
            continue;
        long long size = numa_ok() ? numa_node_size64(n, NULL) : -1;
        if (size > 0)
            total += size;
    }
    return total > 0 ? (ssize_t)total : -1;
}
