// SPDX-License-Identifier: BSD-2-Clause
/*
 * regular.c - MEMKIND_REGULAR: pages bound to the nodes that have CPUs,
 * i.e. ordinary DRAM, never memory-only nodes (HBW, KMEM DAX).
 */
#include "config.h"

#include <memkind/internal/memkind_regular.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>
#include <memkind/internal/memkind_numa.h>

MK_EXPORT int memkind_regular_all_get_mbind_nodemask(struct memkind *kind,
                                                     unsigned long *nodemask,
                                                     unsigned long maxnode)
{
    (void)kind;
    return mk_numa_regular_nodes(nodemask, maxnode);
}

static int regular_check_available(struct memkind *kind)
{
    unsigned long mask[MK_NODEMASK_WORDS];
    return memkind_regular_all_get_mbind_nodemask(kind, mask, MK_MAX_NODES);
}

static void regular_init_once(void)
{
    mk_static_kind_init(MEMKIND_REGULAR);
}

MK_EXPORT struct memkind_ops MEMKIND_REGULAR_OPS = MK_ARENA_KIND_OPS(
    regular_check_available, memkind_regular_all_get_mbind_nodemask,
    memkind_default_get_mbind_mode, NULL, NULL, regular_init_once);
