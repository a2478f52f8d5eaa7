// SPDX-License-Identifier: BSD-2-Clause
/*
 * capacity.c - kinds chosen by memory attributes (highest capacity, lowest
 * latency, highest bandwidth; *_LOCAL relative to the calling CPU).  The
 * attribute lookup (libnuma sizes, hwloc memattrs) is issue #4; until then
 * they report MEMKIND_ERROR_UNAVAILABLE.
 */
#include "config.h"

#include <memkind/internal/memkind_capacity.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>

static int attr_nodes(struct memkind *kind, unsigned long *nodemask,
                      unsigned long maxnode)
{
    (void)kind, (void)nodemask, (void)maxnode;
    return MEMKIND_ERROR_UNAVAILABLE;
}

static int attr_check_available(struct memkind *kind)
{
    unsigned long mask[16];
    return attr_nodes(kind, mask, 1024);
}

#define ATTR_KIND(ID, MODE)                                                    \
    static void init_##ID(void)                                                \
    {                                                                          \
        mk_static_kind_init(MEMKIND_##ID);                                     \
    }                                                                          \
    MK_EXPORT struct memkind_ops MEMKIND_##ID##_OPS = MK_ARENA_KIND_OPS(       \
        attr_check_available, attr_nodes, MODE, NULL, NULL, init_##ID);

#define BIND memkind_default_get_mbind_mode
#define PREF memkind_preferred_get_mbind_mode

ATTR_KIND(HIGHEST_CAPACITY, BIND)
ATTR_KIND(HIGHEST_CAPACITY_PREFERRED, PREF)
ATTR_KIND(HIGHEST_CAPACITY_LOCAL, BIND)
ATTR_KIND(HIGHEST_CAPACITY_LOCAL_PREFERRED, PREF)
ATTR_KIND(LOWEST_LATENCY_LOCAL, BIND)
ATTR_KIND(LOWEST_LATENCY_LOCAL_PREFERRED, PREF)
ATTR_KIND(HIGHEST_BANDWIDTH_LOCAL, BIND)
ATTR_KIND(HIGHEST_BANDWIDTH_LOCAL_PREFERRED, PREF)
