// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_numa.h - NUMA topology helpers over libnuma: node sets for the
 * mbind-based kinds and their capacity.
 */
#pragma once

#include "memkind_private.h"

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Nodes a node mask can name; masks are MK_NODEMASK_WORDS longs.
#define MK_MAX_NODES      1024
#define MK_NODEMASK_WORDS (MK_MAX_NODES / (8 * sizeof(unsigned long)))

static inline void mk_nodemask_set(unsigned long *mask, unsigned node)
{
    mask[node / (8 * sizeof(unsigned long))] |=
        1UL << (node % (8 * sizeof(unsigned long)));
}

static inline int mk_nodemask_isset(const unsigned long *mask, unsigned node)
{
    return (mask[node / (8 * sizeof(unsigned long))] >>
            (node % (8 * sizeof(unsigned long)))) &
           1UL;
}

/// Fills mask (maxnode bits, zeroed first) with the nodes that have CPUs and
/// memory.  Returns 0 or MEMKIND_ERROR_UNAVAILABLE.
int mk_numa_regular_nodes(unsigned long *mask, unsigned long maxnode);
/// Fills mask with every node that has memory. Returns 0 or error.
int mk_numa_all_nodes(unsigned long *mask, unsigned long maxnode);
/// Node of the CPU the caller runs on (0 when unknown).
unsigned mk_numa_current_node(void);
/// Sum of the sizes of the nodes in kind's node set (all nodes for kinds
/// without one).  Returns bytes or -1.
ssize_t mk_numa_kind_capacity(struct memkind *kind);

#ifdef __cplusplus
}
#endif
