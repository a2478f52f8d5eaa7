// SPDX-License-Identifier: BSD-2-Clause
/*
 * hbwmalloc.h - the hbw_* interface: a malloc-like heap whose memory comes
 * from the high-bandwidth NUMA nodes, with a process-wide fallback policy.
 *
 * Declarations and enum values are those of memkind 1.14 so that programs
 * written for it build and run unchanged.  The normative text is the
 * hbwmalloc(3) man page; the comments here are a short guide to it.  Unlike
 * memkind_*, these functions report errors as positive errno values.
 * STANDARD API.
 */
#pragma once

#include <stdlib.h> /* size_t; 1.14 users may rely on the rest of it too */

#ifdef __cplusplus
extern "C" {
#endif

/// What happens when the high-bandwidth nodes run out (hbw_set_policy()).
typedef enum
{
    /// Only the nearest high-bandwidth node: NULL/ENOMEM when it is full at
    /// allocation time, the OOM killer when it is full at fault time.
    HBW_POLICY_BIND = 1,
    /// Prefer high-bandwidth memory, fall back to ordinary memory (default).
    HBW_POLICY_PREFERRED = 2,
    /// Interleave pages over all high-bandwidth nodes.
    HBW_POLICY_INTERLEAVE = 3,
    /// As HBW_POLICY_BIND, but over all high-bandwidth nodes.
    HBW_POLICY_BIND_ALL = 4
} hbw_policy_t;

/// Page sizes for hbw_posix_memalign_psize().
typedef enum
{
    /// Base pages (transparent huge pages may still promote them).
    HBW_PAGESIZE_4KB = 1,
    /// 2 MiB huge pages.
    HBW_PAGESIZE_2MB = 2,
    /// 1 GiB pages, strict (deprecated).
    HBW_PAGESIZE_1GB_STRICT = 3,
    /// 1 GiB pages (deprecated).
    HBW_PAGESIZE_1GB = 4,
    /// One past the last value; never a valid argument.
    HBW_PAGESIZE_MAX_VALUE
} hbw_pagesize_t;

/// Flags of hbw_verify_memory_region().
enum
{
    /// Read and write back the first byte of every page of the range first,
    /// so that untouched pages get allocated before they are checked.
    HBW_TOUCH_PAGES = (1 << 0)
};

/// Returns the current fallback policy.
hbw_policy_t hbw_get_policy(void);

/// Sets the fallback policy; allowed once, before the first hbw allocation.
/// Returns 0, EPERM (set before) or EINVAL (not an HBW_POLICY_* value).
int hbw_set_policy(hbw_policy_t mode);

/// Returns 0 when high-bandwidth memory exists, ENODEV otherwise.
int hbw_check_available(void);

/// Returns 0 when all of [addr, addr + size) lies in high-bandwidth memory,
/// -1 when some of it does not, EINVAL for a NULL addr, a size of 0 or an
/// unknown flag, EFAULT when it cannot be checked.
int hbw_verify_memory_region(void *addr, size_t size, int flags);

/// Allocates size uninitialised bytes; NULL when size is 0 or on failure.
void *hbw_malloc(size_t size);

/// Allocates num * size zeroed bytes; NULL when either is 0 or on failure.
void *hbw_calloc(size_t num, size_t size);

/// Stores in *memptr size bytes aligned to alignment (a power of two, at
/// least sizeof(void *)).  Returns 0, EINVAL or ENOMEM.
int hbw_posix_memalign(void **memptr, size_t alignment, size_t size);

/// As hbw_posix_memalign(), backed by pages of the given size.  Memory from
/// it must not be passed to hbw_realloc().
int hbw_posix_memalign_psize(void **memptr, size_t alignment, size_t size,
                             hbw_pagesize_t pagesize);

/// Resizes ptr (NULL: as hbw_malloc()), keeping the common prefix; the block
/// may move.
void *hbw_realloc(void *ptr, size_t size);

/// Frees ptr; NULL is ignored.
void hbw_free(void *ptr);

/// Returns the usable size of the block at ptr.
size_t hbw_malloc_usable_size(void *ptr);

#ifdef __cplusplus
}
#endif
