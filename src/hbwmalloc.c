// SPDX-License-Identifier: BSD-2-Clause
/*
 * hbwmalloc.c - the hbw_* interface (hbwmalloc(3)): a heap over the HBW
 * kinds, chosen from the process-wide policy and the requested page size.
 * Errors are positive errno values, unlike the memkind_* family.
 *
 * The policy may be set once, before the first allocation; both are
 * tracked with one atomic word so concurrent callers agree.
 */
#include "config.h"

#include <hbwmalloc.h>
#include <memkind.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_numa.h>
#include <memkind/internal/memkind_private.h>
#include <memkind/internal/memkind_util.h>

#include <errno.h>
#include <numaif.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

/* Low bits: the policy; MK_HBW_FROZEN: no more changes allowed. */
#define MK_HBW_SET    0x100
#define MK_HBW_FROZEN 0x200
static atomic_int hbw_state = HBW_POLICY_PREFERRED;

static hbw_policy_t current_policy(void)
{
    return (hbw_policy_t)(atomic_load(&hbw_state) & 0xff);
}

/* Freezes the policy (first allocation) and returns it. */
static hbw_policy_t freeze_policy(void)
{
    int s = atomic_load_explicit(&hbw_state, memory_order_relaxed);
    if (MK_UNLIKELY(!(s & MK_HBW_FROZEN)))
        s = atomic_fetch_or(&hbw_state, MK_HBW_FROZEN);
    return (hbw_policy_t)(s & 0xff);
}

/* Kind for policy and page size, or NULL for unsupported combinations. */
static memkind_t hbw_kind(hbw_policy_t policy, hbw_pagesize_t psize)
{
    switch (policy) {
        case HBW_POLICY_BIND:
            return psize == HBW_PAGESIZE_2MB   ? MEMKIND_HBW_HUGETLB
                   : psize == HBW_PAGESIZE_4KB ? MEMKIND_HBW
                                               : MEMKIND_HBW_GBTLB;
        case HBW_POLICY_BIND_ALL:
            return psize == HBW_PAGESIZE_2MB   ? MEMKIND_HBW_ALL_HUGETLB
                   : psize == HBW_PAGESIZE_4KB ? MEMKIND_HBW_ALL
                                               : NULL;
        case HBW_POLICY_PREFERRED:
            return psize == HBW_PAGESIZE_2MB   ? MEMKIND_HBW_PREFERRED_HUGETLB
                   : psize == HBW_PAGESIZE_4KB ? MEMKIND_HBW_PREFERRED
                                               : MEMKIND_HBW_PREFERRED_GBTLB;
        case HBW_POLICY_INTERLEAVE:
            /* hbwmalloc(3): only 4 KiB pages with INTERLEAVE. */
            return psize == HBW_PAGESIZE_4KB ? MEMKIND_HBW_INTERLEAVE : NULL;
    }
    return NULL;
}

MK_EXPORT hbw_policy_t hbw_get_policy(void)
{
    return current_policy();
}

/* Returns 0, EINVAL for an unknown mode, EPERM once set or after use. */
MK_EXPORT int hbw_set_policy(hbw_policy_t mode)
{
    if (mode < HBW_POLICY_BIND || mode > HBW_POLICY_BIND_ALL)
        return EINVAL;
    int expect = HBW_POLICY_PREFERRED;
    if (!atomic_compare_exchange_strong(&hbw_state, &expect,
                                        (int)mode | MK_HBW_SET | MK_HBW_FROZEN))
        return EPERM;
    return 0;
}

/* Returns 0 or ENODEV (hbwmalloc(3) ERRORS). */
MK_EXPORT int hbw_check_available(void)
{
    return memkind_check_available(MEMKIND_HBW) == 0 ? 0 : ENODEV;
}

MK_EXPORT void *hbw_malloc(size_t size)
{
    return memkind_malloc(hbw_kind(freeze_policy(), HBW_PAGESIZE_4KB), size);
}

MK_EXPORT void *hbw_calloc(size_t num, size_t size)
{
    return memkind_calloc(hbw_kind(freeze_policy(), HBW_PAGESIZE_4KB), num,
                          size);
}

MK_EXPORT void *hbw_realloc(void *ptr, size_t size)
{
    return memkind_realloc(hbw_kind(freeze_policy(), HBW_PAGESIZE_4KB), ptr,
                           size);
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

/* Returns 0, EINVAL or ENOMEM (hbwmalloc(3) ERRORS). */
MK_EXPORT int hbw_posix_memalign_psize(void **memptr, size_t alignment,
                                       size_t size, hbw_pagesize_t pagesize)
{
    if (!memptr)
        return EINVAL;
    if (pagesize < HBW_PAGESIZE_4KB || pagesize >= HBW_PAGESIZE_MAX_VALUE)
        return EINVAL;
    memkind_t kind = hbw_kind(freeze_policy(), pagesize);
    if (!kind)
        return EINVAL;
    /* 1 GiB strict: the size must be a whole number of 1 GiB pages. */
    if (pagesize == HBW_PAGESIZE_1GB_STRICT && size % ((size_t)1 << 30))
        return EINVAL;
    return memkind_posix_memalign(kind, memptr, alignment, size);
}

MK_EXPORT int hbw_posix_memalign(void **memptr, size_t alignment, size_t size)
{
    return hbw_posix_memalign_psize(memptr, alignment, size, HBW_PAGESIZE_4KB);
}

/*
 * Returns 0 when every page of [addr, addr+size) is on an HBW node, -1 when
 * one is not (or is not faulted in), EINVAL for bad arguments, EFAULT when
 * the pages cannot be queried.
 */
MK_EXPORT int hbw_verify_memory_region(void *addr, size_t size, int flags)
{
    unsigned long hbw[MK_NODEMASK_WORDS];
    if (!addr || size == 0 || (flags & ~HBW_TOUCH_PAGES))
        return EINVAL;
    if (memkind_check_available(MEMKIND_HBW) != 0 ||
        MEMKIND_HBW_ALL->ops->get_mbind_nodemask(MEMKIND_HBW_ALL, hbw,
                                                 MK_MAX_NODES) != 0)
        return -1;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t p = (uintptr_t)addr & ~(page - 1);
    uintptr_t end = (uintptr_t)addr + size;
    for (; p < end; p += page) {
        int node = -1;
        if (flags & HBW_TOUCH_PAGES) {
            volatile char *c = (volatile char *)p;
            *c = *c;
        }
        if (get_mempolicy(&node, NULL, 0, (void *)p,
                          MPOL_F_NODE | MPOL_F_ADDR) != 0)
            return EFAULT;
        if (node < 0 || !mk_nodemask_isset(hbw, (unsigned)node))
            return -1;
    }
    return 0;
}
