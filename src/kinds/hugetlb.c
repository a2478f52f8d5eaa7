// SPDX-License-Identifier: BSD-2-Clause
/*
 * hugetlb.c - kinds backed by the kernel's hugetlb pool: MEMKIND_HUGETLB
 * and the deprecated MEMKIND_GBTLB, both on 2 MiB pages.
 *
 * COMPAT(1.14): despite its name MEMKIND_GBTLB (and MEMKIND_HBW_GBTLB,
 * MEMKIND_HBW_PREFERRED_GBTLB in hbw.c) maps no 1 GiB page: memkind 1.14
 * maps its memory in chunks of 1 GiB made of 2 MiB pages (measured on
 * Debian's libmemkind0 1.14.0: mmap(1 GiB, MAP_HUGETLB | MAP_HUGE_2MB),
 * 2 MiB aligned), so it works wherever the 2 MiB pool holds 512 free
 * pages.  The arena layer maps these kinds in 1 GiB units
 * (mk_hugetlb_chunk_size) and hands the rest of a chunk to later extents.
 *
 * hugetlb mappings reserve their pages at mmap time, so a pool without
 * enough pages makes the allocation fail with ENOMEM rather than SIGBUS
 * later.  What the pool holds is read from /sys/kernel/mm/hugepages on
 * each call (tests and administrators change it at run time).
 */
#include "config.h"

#include <memkind/internal/memkind_hugetlb.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>
#include <memkind/internal/memkind_numa.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif

/* The mapping unit of the GBTLB kinds. */
#define GBTLB_CHUNK ((size_t)1 << 30)

static long read_pool_value(size_t page_kb, const char *what)
{
    char path[128];
    long v = -1;
    snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%zukB/%s",
             page_kb, what);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    if (fscanf(f, "%ld", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

/* Pages in the pool (reserved plus overcommit room), or 0. */
static size_t pool_pages(size_t page_size)
{
    long nr = read_pool_value(page_size >> 10, "nr_hugepages");
    long over = read_pool_value(page_size >> 10, "nr_overcommit_hugepages");
    size_t n = 0;
    if (nr > 0)
        n += (size_t)nr;
    if (over > 0)
        n += (size_t)over;
    return n;
}

size_t mk_hugetlb_pool_bytes(size_t page_size)
{
    return pool_pages(page_size) * page_size;
}

/* Mapping unit of a MK_BACKING_HUGETLB kind: 1 GiB chunks for the GBTLB
 * kinds (as 1.14), one 2 MiB page otherwise. */
size_t mk_hugetlb_chunk_size(const struct memkind *kind)
{
    return (kind->flags & MK_KIND_GBTLB) ? GBTLB_CHUNK : MK_HUGETLB_PAGE_SIZE;
}

/*
 * memkind_get_capacity() of the huge page kinds.  COMPAT(1.14): memkind(3)
 * supports MEMKIND_HUGETLB only; 1.14 answers with the pool of the kind's
 * page size, reserved plus overcommit pages, and 0 for an empty pool (also
 * for MEMKIND_GBTLB).  For huge page kinds on the HBW nodes it returns -1,
 * except MEMKIND_HBW_GBTLB, which it sizes like MEMKIND_HBW (node memory;
 * -1 for MEMKIND_HBW_PREFERRED_GBTLB, as for every MPOL_PREFERRED kind).
 * Returns bytes or -1.
 */
ssize_t mk_hugetlb_capacity(struct memkind *kind)
{
    bool giant = (kind->flags & MK_KIND_GBTLB) != 0;
    if (kind->flags & MK_KIND_HBW)
        return giant ? mk_numa_kind_capacity(kind) : -1;
    size_t bytes =
        mk_hugetlb_pool_bytes(giant ? (size_t)1 << 30 : MK_HUGETLB_PAGE_SIZE);
    return bytes <= (size_t)SSIZE_MAX ? (ssize_t)bytes : -1;
}

/*
 * Returns 0 when the 2 MiB pool has pages (reserved or overcommit), else
 * MEMKIND_ERROR_HUGETLB, the code 1.14 returns (memkind(3) ERRORS: "unable
 * to allocate huge pages").  COMPAT(1.14): MEMKIND_GBTLB uses this check
 * too (its pages are 2 MiB ones); that the pool holds a whole 1 GiB chunk
 * is not checked, as in 1.14: with fewer than 512 free pages its
 * allocations fail with ENOMEM.
 */
MK_EXPORT int memkind_hugetlb_check_available_2mb(struct memkind *kind)
{
    (void)kind;
    return pool_pages(MK_HUGETLB_PAGE_SIZE) ? 0 : MEMKIND_ERROR_HUGETLB;
}

MK_EXPORT int memkind_hugetlb_get_mmap_flags(struct memkind *kind, int *flags)
{
    (void)kind;
    *flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB;
    return 0;
}

MK_EXPORT void memkind_hugetlb_init_once(void)
{
    mk_static_kind_init(MEMKIND_HUGETLB);
}

static void gbtlb_init_once(void)
{
    mk_static_kind_init(MEMKIND_GBTLB);
}

MK_EXPORT struct memkind_ops MEMKIND_HUGETLB_OPS = MK_ARENA_KIND_OPS(
    memkind_hugetlb_check_available_2mb, NULL, NULL,
    memkind_hugetlb_get_mmap_flags, NULL, memkind_hugetlb_init_once);

/* COMPAT(1.14): deprecated but kept - memkind(3) MEMKIND_GBTLB.  The same
 * table as MEMKIND_HUGETLB's: the 1 GiB chunks are MK_KIND_GBTLB's doing
 * (static_kinds.def). */
MK_EXPORT struct memkind_ops MEMKIND_GBTLB_OPS =
    MK_ARENA_KIND_OPS(memkind_hugetlb_check_available_2mb, NULL, NULL,
                      memkind_hugetlb_get_mmap_flags, NULL, gbtlb_init_once);
