// SPDX-License-Identifier: BSD-2-Clause
/*
 * hbwmalloc.c - the hbw_* interface (hbwmalloc(3)): a heap over the HBW
 * kinds, chosen from the process-wide fallback policy and the page size.
 * Errors are positive errno values, unlike the memkind_* family.
 *
 * The policy is decided once: by the first hbw_set_policy() or, failing
 * that, by the first allocation (HBW_POLICY_PREFERRED).  One atomic word
 * holds it, so concurrent callers agree.  With HBW_POLICY_PREFERRED on a
 * machine without high-bandwidth memory the allocations come from standard
 * memory (MEMKIND_DEFAULT and its huge-page kinds), as in memkind 1.14.
 */
#include "config.h"

#include <hbwmalloc.h>
#include <memkind.h>

#include <memkind/internal/memkind_hbw.h>
#include <memkind/internal/memkind_numa.h>
#include <memkind/internal/memkind_private.h>

#include "os.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

/// 0 while undecided, else the hbw_policy_t in force.
static atomic_int hbw_policy_state;

static bool hbw_policy_valid(int p)
{
    return p == HBW_POLICY_BIND || p == HBW_POLICY_PREFERRED ||
           p == HBW_POLICY_INTERLEAVE || p == HBW_POLICY_BIND_ALL;
}

/* Makes want the policy unless one is already decided; returns the policy
 * in force afterwards. */
static int decide_policy(int want)
{
    int expect = 0;
    if (atomic_compare_exchange_strong(&hbw_policy_state, &expect, want))
        return want;
    return expect;
}

/* The policy for an allocation: decided now if it was not yet. */
static hbw_policy_t alloc_policy(void)
{
    int s = atomic_load_explicit(&hbw_policy_state, memory_order_acquire);
    if (MK_UNLIKELY(s == 0))
        s = decide_policy(HBW_POLICY_PREFERRED);
    return (hbw_policy_t)s;
}

/* Whether HBW memory exists, asked once (the PREFERRED fallback must not
 * change its mind between allocations). */
static pthread_once_t hbw_avail_once = PTHREAD_ONCE_INIT;
static bool hbw_avail;

static void probe_hbw(void)
{
    hbw_avail = memkind_check_available(MEMKIND_HBW) == 0;
}

/*
 * Kind for policy and page size, or NULL for a combination hbwmalloc(3)
 * calls unsupported (INTERLEAVE with pages other than 4 KiB).
 */
static memkind_t hbw_kind(hbw_policy_t policy, hbw_pagesize_t psize)
{
    bool big = psize == HBW_PAGESIZE_1GB || psize == HBW_PAGESIZE_1GB_STRICT;
    switch (policy) {
        case HBW_POLICY_BIND:
            return psize == HBW_PAGESIZE_2MB ? MEMKIND_HBW_HUGETLB
                   : big                     ? MEMKIND_HBW_GBTLB
                                             : MEMKIND_HBW;
        case HBW_POLICY_BIND_ALL:
            /* COMPAT(1.14): no "all nodes" 1 GiB kind exists; 1.14 also
             * served these from the nearest node's 1 GiB pages. */
            return psize == HBW_PAGESIZE_2MB ? MEMKIND_HBW_ALL_HUGETLB
                   : big                     ? MEMKIND_HBW_GBTLB
                                             : MEMKIND_HBW_ALL;
        case HBW_POLICY_PREFERRED:
            (void)pthread_once(&hbw_avail_once, probe_hbw);
            if (!hbw_avail)
                return psize == HBW_PAGESIZE_2MB ? MEMKIND_HUGETLB
                       : big                     ? MEMKIND_GBTLB
                                                 : MEMKIND_DEFAULT;
            return psize == HBW_PAGESIZE_2MB ? MEMKIND_HBW_PREFERRED_HUGETLB
                   : big                     ? MEMKIND_HBW_PREFERRED_GBTLB
                                             : MEMKIND_HBW_PREFERRED;
        case HBW_POLICY_INTERLEAVE:
            return psize == HBW_PAGESIZE_4KB ? MEMKIND_HBW_INTERLEAVE : NULL;
    }
    return NULL;
}

/* The policy in force, HBW_POLICY_PREFERRED while none is decided. */
MK_EXPORT hbw_policy_t hbw_get_policy(void)
{
    int s = atomic_load(&hbw_policy_state);
    return s ? (hbw_policy_t)s : HBW_POLICY_PREFERRED;
}

/*
 * Returns 0, EINVAL for an unknown mode, EPERM when another policy is
 * already in force (set before, or decided by an allocation).
 * COMPAT(1.14): setting the policy already in force again returns 0.
 */
MK_EXPORT int hbw_set_policy(hbw_policy_t mode)
{
    if (!hbw_policy_valid((int)mode))
        return EINVAL;
    return decide_policy((int)mode) == (int)mode ? 0 : EPERM;
}

/* Returns 0 or ENODEV (hbwmalloc(3) ERRORS). */
MK_EXPORT int hbw_check_available(void)
{
    return memkind_check_available(MEMKIND_HBW) == 0 ? 0 : ENODEV;
}

MK_EXPORT void *hbw_malloc(size_t size)
{
    return memkind_malloc(hbw_kind(alloc_policy(), HBW_PAGESIZE_4KB), size);
}

MK_EXPORT void *hbw_calloc(size_t num, size_t size)
{
    return memkind_calloc(hbw_kind(alloc_policy(), HBW_PAGESIZE_4KB), num,
                          size);
}

/* A non-NULL ptr stays in its own kind (found from the address). */
MK_EXPORT void *hbw_realloc(void *ptr, size_t size)
{
    memkind_t kind = hbw_kind(alloc_policy(), HBW_PAGESIZE_4KB);
    if (ptr)
        kind = memkind_detect_kind(ptr);
    return kind ? memkind_realloc(kind, ptr, size) : NULL;
}

/* Frees any hbw_* pointer (the kind is found from the address). */
MK_EXPORT void hbw_free(void *ptr)
{
    memkind_free(NULL, ptr);
}

MK_EXPORT size_t hbw_malloc_usable_size(void *ptr)
{
    return memkind_malloc_usable_size(NULL, ptr);
}

/*
 * Returns 0, EINVAL or ENOMEM (hbwmalloc(3) ERRORS); size 0 gives 0 and
 * NULL in *memptr.  COMPAT(1.14): a pagesize outside the enumeration is
 * EINVAL (1.14 indexed a table with it and crashed on
 * HBW_PAGESIZE_MAX_VALUE).
 */
MK_EXPORT int hbw_posix_memalign_psize(void **memptr, size_t alignment,
                                       size_t size, hbw_pagesize_t pagesize)
{
    if (!memptr || pagesize < HBW_PAGESIZE_4KB ||
        pagesize >= HBW_PAGESIZE_MAX_VALUE)
        return EINVAL;
    memkind_t kind = hbw_kind(alloc_policy(), pagesize);
    if (!kind)
        return EINVAL;
    /* hbwmalloc(3): 1 GiB strict takes whole 1 GiB pages only. */
    if (pagesize == HBW_PAGESIZE_1GB_STRICT && size % ((size_t)1 << 30))
        return EINVAL;
    return memkind_posix_memalign(kind, memptr, alignment, size);
}

MK_EXPORT int hbw_posix_memalign(void **memptr, size_t alignment, size_t size)
{
    return hbw_posix_memalign_psize(memptr, alignment, size, HBW_PAGESIZE_4KB);
}

/* Pages asked of move_pages() at a time. */
#define MK_VERIFY_BATCH 256

/*
 * Returns 0 when every page of [addr, addr+size) is on a high-bandwidth
 * node, -1 when one is not (or is not faulted in, or HBW memory is
 * unavailable), EINVAL for bad arguments, EFAULT when the kernel cannot
 * report where the pages are.
 */
MK_EXPORT int hbw_verify_memory_region(void *addr, size_t size, int flags)
{
    unsigned long hbw[MK_NODEMASK_WORDS];
    void *pages[MK_VERIFY_BATCH];
    int status[MK_VERIFY_BATCH];
    if (!addr || size == 0 || (flags & ~HBW_TOUCH_PAGES))
        return EINVAL;
    if (mk_hbw_nodes_union(hbw) != 0)
        return -1;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t p = (uintptr_t)addr & ~(page - 1);
    uintptr_t end = (uintptr_t)addr + size;
    if (end < (uintptr_t)addr)
        return EINVAL;
    while (p < end) {
        unsigned long n = 0;
        for (; n < MK_VERIFY_BATCH && p < end; n++, p += page) {
            if (flags & HBW_TOUCH_PAGES) {
                /* hbwmalloc(3): read and write back the first byte. */
                volatile char *c = (volatile char *)p;
                *c = *c;
            }
            pages[n] = (void *)p;
        }
        if (mk_os_page_nodes(n, pages, status) != 0)
            return EFAULT;
        for (unsigned long i = 0; i < n; i++)
            if (status[i] < 0 || status[i] >= MK_MAX_NODES ||
                !mk_nodemask_isset(hbw, (unsigned)status[i]))
                return -1;
    }
    return 0;
}
