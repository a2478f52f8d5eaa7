// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind.h - public API of libmemkind: allocation from kinds of memory
 * (DRAM, high-bandwidth memory, huge pages, NUMA node sets, file-backed
 * persistent memory, user buffers).
 *
 * Declarations, constants and enum values are those of memkind 1.14 so that
 * programs written for it build and run unchanged.  The normative text is the
 * memkind(3) man page; the comments here are a short guide to it.
 */
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <sys/types.h>

/// Programs may define this as `const` before including the header.
#ifndef MEMKIND_MALLOC_USABLE_SIZE_CONST
#define MEMKIND_MALLOC_USABLE_SIZE_CONST
#endif

#define _MEMKIND_BIT(N) (1ull << N)

/// Memory types for memkind_create_kind(), see memkind(3) MEMORY TYPES.
typedef enum memkind_memtype_t
{
    /// The memory the process uses by default.
    MEMKIND_MEMTYPE_DEFAULT = _MEMKIND_BIT(0),
    /// High-bandwidth memory (needs memories of at least two bandwidths).
    MEMKIND_MEMTYPE_HIGH_BANDWIDTH = _MEMKIND_BIT(1)
} memkind_memtype_t;

#undef _MEMKIND_BIT

/// Page binding policies for memkind_create_kind(), see memkind(3) POLICIES.
typedef enum memkind_policy_t
{
    /// Bind to the memory local to the calling CPU; ENOMEM when exhausted.
    MEMKIND_POLICY_BIND_LOCAL = 0,
    /// Bind to memory of the type on any node; ENOMEM when exhausted.
    MEMKIND_POLICY_BIND_ALL,
    /// Prefer local memory of the type, fall back to any other memory.
    MEMKIND_POLICY_PREFERRED_LOCAL,
    /// Interleave pages over the local memories of the type.
    MEMKIND_POLICY_INTERLEAVE_LOCAL,
    /// Interleave pages over all memories of the type.
    MEMKIND_POLICY_INTERLEAVE_ALL,
    /// One past the last valid policy.
    MEMKIND_POLICY_MAX_VALUE
} memkind_policy_t;

/// Flags for memkind_create_kind(), see memkind(3) MEMORY FLAGS.
typedef enum memkind_bits_t
{
    /// Back allocations with 2 MiB pages.
    MEMKIND_MASK_PAGE_SIZE_2MB = 21ull
} memkind_bits_t;

/// Opaque handle of a kind of memory.
typedef struct memkind *memkind_t;

enum memkind_const
{
    /// Upper bound on the number of kinds alive at once, static kinds included.
    MEMKIND_MAX_KIND = 512,
    /// Buffer size that always holds a memkind_error_message() text.
    MEMKIND_ERROR_MESSAGE_SIZE = 128,
    /// Smallest non-zero max_size accepted by memkind_create_pmem().
    MEMKIND_PMEM_MIN_SIZE = (1024 * 1024 * 16)
};

/// Return codes; see memkind(3) ERRORS.
enum
{
    MEMKIND_SUCCESS = 0,
    MEMKIND_ERROR_UNAVAILABLE = -1,
    MEMKIND_ERROR_MBIND = -2,
    MEMKIND_ERROR_MMAP = -3,
    MEMKIND_ERROR_MALLOC = -6,
    MEMKIND_ERROR_ENVIRON = -12,
    MEMKIND_ERROR_INVALID = -13,
    MEMKIND_ERROR_TOOMANY = -15,
    MEMKIND_ERROR_BADOPS = -17,
    MEMKIND_ERROR_HUGETLB = -18,
    MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE = -20,
    MEMKIND_ERROR_OPERATION_FAILED = -21,
    MEMKIND_ERROR_ARENAS_CREATE = -22,
    MEMKIND_ERROR_RUNTIME = -255
};

/// How eagerly a file-backed kind gives unused space back.
typedef enum memkind_mem_usage_policy
{
    /// Balance speed and footprint.
    MEMKIND_MEM_USAGE_POLICY_DEFAULT = 0,
    /// Keep the footprint as small as possible, at some CPU cost.
    MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE = 1,
    /// One past the last valid policy.
    MEMKIND_MEM_USAGE_POLICY_MAX_VALUE
} memkind_mem_usage_policy;

/// Statistics for memkind_get_stat().
typedef enum memkind_stat_type
{
    /// Bytes of resident data pages (maximum over the mapped set).
    MEMKIND_STAT_TYPE_RESIDENT = 0,
    /// Bytes in active pages.
    MEMKIND_STAT_TYPE_ACTIVE = 1,
    /// Bytes handed out to the application.
    MEMKIND_STAT_TYPE_ALLOCATED = 2,
    /// One past the last valid statistic.
    MEMKIND_STAT_TYPE_MAX_VALUE
} memkind_stat_type;

/// Option bits for memkind_stats_print().
typedef enum memkind_stat_print_opt
{
    MEMKIND_STAT_PRINT_ALL = 0,
    MEMKIND_STAT_PRINT_JSON_FORMAT = 1U << 0,
    MEMKIND_STAT_PRINT_OMIT_GENERAL = 1U << 1,
    MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA = 1U << 2,
    MEMKIND_STAT_PRINT_OMIT_DESTROYED_MERGED_ARENA = 1U << 3,
    MEMKIND_STAT_PRINT_OMIT_PER_ARENA = 1U << 4,
    MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_BINS = 1U << 5,
    MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_LARGE = 1U << 6,
    MEMKIND_STAT_PRINT_OMIT_MUTEX = 1U << 7,
    MEMKIND_STAT_PRINT_OMIT_EXTENT = 1U << 8,
} memkind_stat_print_opt;

/// Configuration of a file-backed kind; see memkind(3) KIND CONFIGURATION.
struct memkind_config;

/// Returns a new configuration, or NULL when out of memory.
struct memkind_config *memkind_config_new(void);
/// Frees cfg (NULL is ignored).
void memkind_config_delete(struct memkind_config *cfg);
/// Sets the directory of the backing file; not validated until creation.
void memkind_config_set_path(struct memkind_config *cfg, const char *pmem_dir);
/// Sets the size limit of the kind (0 = file system capacity).
void memkind_config_set_size(struct memkind_config *cfg, size_t pmem_size);
/// Sets the memory usage policy of the kind.
void memkind_config_set_memory_usage_policy(struct memkind_config *cfg,
                                            memkind_mem_usage_policy policy);

/// Creates a kind from a memory type, a policy and flags (EXPERIMENTAL).
/// Returns 0 or a MEMKIND_ERROR_* code.
int memkind_create_kind(memkind_memtype_t memtype_flags,
                        memkind_policy_t policy, memkind_bits_t flags,
                        memkind_t *kind);

/// Destroys a kind made by memkind_create_*(). Returns 0 or MEMKIND_ERROR_*.
int memkind_destroy_kind(memkind_t kind);

/// Returns the kind that allocated ptr, or NULL if ptr is NULL or not ours.
memkind_t memkind_detect_kind(void *ptr);

#include "memkind_deprecated.h"

extern memkind_t MEMKIND_REGULAR;
extern memkind_t MEMKIND_DEFAULT;
extern memkind_t MEMKIND_HUGETLB;
extern memkind_t MEMKIND_HBW;
extern memkind_t MEMKIND_HBW_ALL;
extern memkind_t MEMKIND_HBW_PREFERRED;
extern memkind_t MEMKIND_HBW_HUGETLB;
extern memkind_t MEMKIND_HBW_ALL_HUGETLB;
extern memkind_t MEMKIND_HBW_PREFERRED_HUGETLB;
extern memkind_t MEMKIND_HBW_INTERLEAVE;
extern memkind_t MEMKIND_INTERLEAVE;
extern memkind_t MEMKIND_DAX_KMEM;
extern memkind_t MEMKIND_DAX_KMEM_ALL;
extern memkind_t MEMKIND_DAX_KMEM_PREFERRED;
extern memkind_t MEMKIND_DAX_KMEM_INTERLEAVE;
extern memkind_t MEMKIND_HIGHEST_CAPACITY;
extern memkind_t MEMKIND_HIGHEST_CAPACITY_PREFERRED;
extern memkind_t MEMKIND_HIGHEST_CAPACITY_LOCAL;
extern memkind_t MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED;
extern memkind_t MEMKIND_LOWEST_LATENCY_LOCAL;
extern memkind_t MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED;
extern memkind_t MEMKIND_HIGHEST_BANDWIDTH_LOCAL;
extern memkind_t MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED;

/// Returns major * 1000000 + minor * 1000 + patch.
int memkind_get_version(void);

/// Writes the text for err into msg (at most size bytes, NUL-terminated).
void memkind_error_message(int err, char *msg, size_t size);

/// Creates a file-backed kind in dir, limited to max_size bytes (0: no limit).
/// Returns 0 or a MEMKIND_ERROR_* code; see memkind_pmem(3).
int memkind_create_pmem(const char *dir, size_t max_size, memkind_t *kind);

/// As memkind_create_pmem(), with the parameters taken from cfg.
int memkind_create_pmem_with_config(struct memkind_config *cfg,
                                    memkind_t *kind);

/// Creates a kind that allocates from the caller's buffer [addr, addr+size).
/// Returns 0 or a MEMKIND_ERROR_* code; see memkind_fixed(3).
int memkind_create_fixed(void *addr, size_t size, memkind_t *kind);

/// Returns 0 if kind can allocate on this machine, else MEMKIND_ERROR_*.
int memkind_check_available(memkind_t kind);

/// Returns the capacity in bytes behind kind, or -1.
ssize_t memkind_get_capacity(memkind_t kind);

/// Refreshes the statistics read by memkind_get_stat(). Returns 0 or error.
int memkind_update_cached_stats(void);

/// Reads one cached statistic of kind (NULL: the whole library).
int memkind_get_stat(memkind_t kind, memkind_stat_type stat, size_t *value);

/// Prints allocator statistics through write_cb (NULL: to stderr).
int memkind_stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
                        memkind_stat_print_opt opts);

/// Allocates size bytes of kind. Returns NULL when size is 0 or on failure.
void *memkind_malloc(memkind_t kind, size_t size);

/// Returns the usable size of ptr (0 for NULL); kind may be NULL.
size_t memkind_malloc_usable_size(memkind_t kind,
                                  MEMKIND_MALLOC_USABLE_SIZE_CONST void *ptr);

/// Allocates num * size zeroed bytes; NULL with ENOMEM on overflow.
void *memkind_calloc(memkind_t kind, size_t num, size_t size);

/// Aligned allocation (EXPERIMENTAL). Returns 0, EINVAL or ENOMEM.
int memkind_posix_memalign(memkind_t kind, void **memptr, size_t alignment,
                           size_t size);

/// Resizes ptr within kind (NULL kind: looked up from ptr).
void *memkind_realloc(memkind_t kind, void *ptr, size_t size);

/// Frees ptr (NULL kind: looked up from ptr; NULL ptr: no-op).
void memkind_free(memkind_t kind, void *ptr);

/// Moves ptr when that reduces fragmentation; NULL when it stays.
void *memkind_defrag_reallocate(memkind_t kind, void *ptr);

/// Returns 0 if files created in pmem_dir are DAX-mapped, else an error.
int memkind_check_dax_path(const char *pmem_dir);

/// Turns the allocator's background purging threads on or off.
int memkind_set_bg_threads(bool state);

#ifdef __cplusplus
}
#endif
