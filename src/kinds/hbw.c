// SPDX-License-Identifier: BSD-2-Clause
/*
 * hbw.c - the MEMKIND_HBW family.  Node discovery (HMAT/hwloc,
 * MEMKIND_HBW_NODES) is issue #4; until it lands every HBW kind reports
 * MEMKIND_ERROR_UNAVAILABLE and its allocations fail with ENOMEM, exactly as
 * memkind 1.14 does on a machine without high-bandwidth memory.
 */
#include "config.h"

#include <memkind/internal/memkind_hbw.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>
#include <memkind/internal/memkind_hugetlb.h>

/* The HBW node set; none yet (issue #4). Returns MEMKIND_ERROR_UNAVAILABLE. */
static int hbw_nodes(unsigned long *nodemask, unsigned long maxnode)
{
    (void)nodemask, (void)maxnode;
    return MEMKIND_ERROR_UNAVAILABLE;
}

MK_EXPORT int memkind_hbw_get_mbind_nodemask(struct memkind *kind,
                                             unsigned long *nodemask,
                                             unsigned long maxnode)
{
    (void)kind;
    return hbw_nodes(nodemask, maxnode);
}

MK_EXPORT int memkind_hbw_all_get_mbind_nodemask(struct memkind *kind,
                                                 unsigned long *nodemask,
                                                 unsigned long maxnode)
{
    (void)kind;
    return hbw_nodes(nodemask, maxnode);
}

MK_EXPORT int memkind_hbw_check_available(struct memkind *kind)
{
    unsigned long mask[16];
    return memkind_hbw_get_mbind_nodemask(kind, mask, 1024);
}

MK_EXPORT int memkind_hbw_hugetlb_check_available(struct memkind *kind)
{
    int err = memkind_hbw_check_available(kind);
    return err ? err : memkind_hugetlb_check_available_2mb(kind);
}

static int hbw_gbtlb_check_available(struct memkind *kind)
{
    int err = memkind_hbw_check_available(kind);
    return err ? err : mk_hugetlb_check_available_1gb(kind);
}

MK_EXPORT void memkind_hbw_init_once(void)
{
    mk_static_kind_init(MEMKIND_HBW);
}
MK_EXPORT void memkind_hbw_all_init_once(void)
{
    mk_static_kind_init(MEMKIND_HBW_ALL);
}
MK_EXPORT void memkind_hbw_hugetlb_init_once(void)
{
    mk_static_kind_init(MEMKIND_HBW_HUGETLB);
}
MK_EXPORT void memkind_hbw_all_hugetlb_init_once(void)
{
    mk_static_kind_init(MEMKIND_HBW_ALL_HUGETLB);
}
MK_EXPORT void memkind_hbw_preferred_init_once(void)
{
    mk_static_kind_init(MEMKIND_HBW_PREFERRED);
}
MK_EXPORT void memkind_hbw_preferred_hugetlb_init_once(void)
{
    mk_static_kind_init(MEMKIND_HBW_PREFERRED_HUGETLB);
}
MK_EXPORT void memkind_hbw_interleave_init_once(void)
{
    mk_static_kind_init(MEMKIND_HBW_INTERLEAVE);
}
static void hbw_gbtlb_init_once(void)
{
    mk_static_kind_init(MEMKIND_HBW_GBTLB);
}
static void hbw_preferred_gbtlb_init_once(void)
{
    mk_static_kind_init(MEMKIND_HBW_PREFERRED_GBTLB);
}

#define HBW_MODE_BIND   memkind_default_get_mbind_mode
#define HBW_MODE_PREF   memkind_preferred_get_mbind_mode
#define HBW_MODE_INTERL memkind_interleave_get_mbind_mode
#define HBW_MASK        memkind_hbw_get_mbind_nodemask
#define HBW_MASK_ALL    memkind_hbw_all_get_mbind_nodemask
#define HBW_2M          memkind_hugetlb_get_mmap_flags
#define HBW_1G          mk_hugetlb_get_mmap_flags_1gb

MK_EXPORT struct memkind_ops MEMKIND_HBW_OPS =
    MK_ARENA_KIND_OPS(memkind_hbw_check_available, HBW_MASK, HBW_MODE_BIND,
                      NULL, NULL, memkind_hbw_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_ALL_OPS =
    MK_ARENA_KIND_OPS(memkind_hbw_check_available, HBW_MASK_ALL, HBW_MODE_BIND,
                      NULL, NULL, memkind_hbw_all_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_PREFERRED_OPS =
    MK_ARENA_KIND_OPS(memkind_hbw_check_available, HBW_MASK, HBW_MODE_PREF,
                      NULL, NULL, memkind_hbw_preferred_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_INTERLEAVE_OPS = MK_ARENA_KIND_OPS(
    memkind_hbw_check_available, HBW_MASK_ALL, HBW_MODE_INTERL, NULL,
    memkind_nohugepage_madvise, memkind_hbw_interleave_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_HUGETLB_OPS = MK_ARENA_KIND_OPS(
    memkind_hbw_hugetlb_check_available, HBW_MASK, HBW_MODE_BIND, HBW_2M, NULL,
    memkind_hbw_hugetlb_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_ALL_HUGETLB_OPS = MK_ARENA_KIND_OPS(
    memkind_hbw_hugetlb_check_available, HBW_MASK_ALL, HBW_MODE_BIND, HBW_2M,
    NULL, memkind_hbw_all_hugetlb_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_PREFERRED_HUGETLB_OPS =
    MK_ARENA_KIND_OPS(memkind_hbw_hugetlb_check_available, HBW_MASK,
                      HBW_MODE_PREF, HBW_2M, NULL,
                      memkind_hbw_preferred_hugetlb_init_once);
/* COMPAT(1.14): 1 GiB page kinds are deprecated - memkind(3). */
MK_EXPORT struct memkind_ops MEMKIND_HBW_GBTLB_OPS =
    MK_ARENA_KIND_OPS(hbw_gbtlb_check_available, HBW_MASK, HBW_MODE_BIND,
                      HBW_1G, NULL, hbw_gbtlb_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_PREFERRED_GBTLB_OPS =
    MK_ARENA_KIND_OPS(hbw_gbtlb_check_available, HBW_MASK, HBW_MODE_PREF,
                      HBW_1G, NULL, hbw_preferred_gbtlb_init_once);
