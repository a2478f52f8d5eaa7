// SPDX-License-Identifier: BSD-2-Clause
/*
 * dax_kmem.c - the MEMKIND_DAX_KMEM family.  Node discovery (libdaxctl,
 * MEMKIND_DAX_KMEM_NODES) is issue #4; until then these kinds report
 * MEMKIND_ERROR_UNAVAILABLE, as 1.14 does on machines without KMEM DAX.
 */
#include "config.h"

#include <memkind/internal/memkind_dax_kmem.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>

MK_EXPORT int memkind_dax_kmem_all_get_mbind_nodemask(struct memkind *kind,
                                                      unsigned long *nodemask,
                                                      unsigned long maxnode)
{
    (void)kind, (void)nodemask, (void)maxnode;
    return MEMKIND_ERROR_UNAVAILABLE;
}

static int dax_kmem_check_available(struct memkind *kind)
{
    unsigned long mask[16];
    return memkind_dax_kmem_all_get_mbind_nodemask(kind, mask, 1024);
}

#define DAX_INIT(fn, KIND)                                                     \
    static void fn(void)                                                       \
    {                                                                          \
        mk_static_kind_init(KIND);                                             \
    }
DAX_INIT(dax_kmem_init, MEMKIND_DAX_KMEM)
DAX_INIT(dax_kmem_all_init, MEMKIND_DAX_KMEM_ALL)
DAX_INIT(dax_kmem_preferred_init, MEMKIND_DAX_KMEM_PREFERRED)
DAX_INIT(dax_kmem_interleave_init, MEMKIND_DAX_KMEM_INTERLEAVE)

#define DAX_MASK memkind_dax_kmem_all_get_mbind_nodemask

MK_EXPORT struct memkind_ops MEMKIND_DAX_KMEM_OPS = MK_ARENA_KIND_OPS(
    dax_kmem_check_available, DAX_MASK, memkind_default_get_mbind_mode, NULL,
    NULL, dax_kmem_init);
MK_EXPORT struct memkind_ops MEMKIND_DAX_KMEM_ALL_OPS = MK_ARENA_KIND_OPS(
    dax_kmem_check_available, DAX_MASK, memkind_default_get_mbind_mode, NULL,
    NULL, dax_kmem_all_init);
MK_EXPORT struct memkind_ops MEMKIND_DAX_KMEM_PREFERRED_OPS = MK_ARENA_KIND_OPS(
    dax_kmem_check_available, DAX_MASK, memkind_preferred_get_mbind_mode, NULL,
    NULL, dax_kmem_preferred_init);
MK_EXPORT struct memkind_ops MEMKIND_DAX_KMEM_INTERLEAVE_OPS =
    MK_ARENA_KIND_OPS(dax_kmem_check_available, DAX_MASK,
                      memkind_interleave_get_mbind_mode, NULL,
                      memkind_nohugepage_madvise, dax_kmem_interleave_init);
