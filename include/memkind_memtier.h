// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_memtier.h - allocation-time memory tiering on top of memkind.
 *
 * A memtier_builder collects tiers (a kind and its share of the memory) and
 * a policy; it produces a memtier_memory from which memtier_malloc() and
 * friends allocate, choosing the tier for each request.  The memtier_kind_*
 * functions allocate from one kind and keep the per-kind byte counters that
 * the policies (and memtier_kind_allocated_size()) read.
 *
 * The normative description is libmemtier(3); the LD_PRELOAD form of the
 * same machinery is libmemtier(7).  Declarations and enum values are those
 * of memkind 1.14.
 */
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

#include <memkind.h>
#include <stdlib.h>

/// Opaque tier builder (libmemtier(3), TIER MANAGEMENT).
struct memtier_builder;
/// Opaque tiered memory made by a builder.
struct memtier_memory;

/// How a memtier_memory spreads allocations over its tiers (libmemtier(7)).
typedef enum memtier_policy_t
{
    /// Keep the bytes allocated in each tier proportional to its ratio.
    MEMTIER_POLICY_STATIC_RATIO = 0,
    /// Route by size thresholds between tiers; the thresholds move at run
    /// time to keep the ratio.
    MEMTIER_POLICY_DYNAMIC_THRESHOLD = 1,
    /// Number of policies; not a policy.
    MEMTIER_POLICY_MAX_VALUE
} memtier_policy_t;

/// New, empty builder for policy; NULL for an unknown policy or no memory.
struct memtier_builder *memtier_builder_new(memtier_policy_t policy);

/// Frees a builder.  Memories constructed from it stay valid.
void memtier_builder_delete(struct memtier_builder *builder);

/// Adds a tier of kind with weight kind_ratio.  Returns 0, or -1 for a NULL
/// builder or kind, a kind already in the builder, or kind_ratio 0.
int memtier_builder_add_tier(struct memtier_builder *builder, memkind_t kind,
                             unsigned kind_ratio);

/// Makes a memtier_memory from the builder's current configuration.
/// Returns NULL when the configuration is incomplete or inconsistent.
struct memtier_memory *
memtier_builder_construct_memtier_memory(struct memtier_builder *builder);

/// Frees a memtier_memory (not the allocations made from it).
void memtier_delete_memtier_memory(struct memtier_memory *memory);

/// malloc(3) on the tier the policy of memory picks (memkind_malloc rules).
void *memtier_malloc(struct memtier_memory *memory, size_t size);

/// memkind_malloc(kind, size), counted in kind's allocated size.
void *memtier_kind_malloc(memkind_t kind, size_t size);

/// calloc(3) on the tier the policy of memory picks.
void *memtier_calloc(struct memtier_memory *memory, size_t num, size_t size);

/// memkind_calloc(kind, num, size), counted in kind's allocated size.
void *memtier_kind_calloc(memkind_t kind, size_t num, size_t size);

/// Resizes ptr within the tier it lives on; ptr NULL allocates from memory,
/// size 0 frees ptr and returns NULL.
void *memtier_realloc(struct memtier_memory *memory, void *ptr, size_t size);

/// memkind_realloc(kind, ptr, size) with the counters kept up to date.
void *memtier_kind_realloc(memkind_t kind, void *ptr, size_t size);

/// posix_memalign(3) on the tier the policy of memory picks.  Returns 0,
/// EINVAL or ENOMEM.
int memtier_posix_memalign(struct memtier_memory *memory, void **memptr,
                           size_t alignment, size_t size);

/// memkind_posix_memalign(kind, ...), counted in kind's allocated size.
/// Returns 0, EINVAL or ENOMEM.
int memtier_kind_posix_memalign(memkind_t kind, void **memptr, size_t alignment,
                                size_t size);

/// Usable size of ptr (0 for NULL or memory this library does not own).
size_t memtier_usable_size(void *ptr);

/// Frees ptr; kind NULL means look the kind up.  Pointers the library did
/// not allocate are ignored.
void memtier_kind_free(memkind_t kind, void *ptr);

/// memtier_kind_free() with the kind looked up.
static inline void memtier_free(void *ptr)
{
    memtier_kind_free(NULL, ptr);
}

/// Bytes (usable sizes) currently allocated from kind through memtier_*.
size_t memtier_kind_allocated_size(memkind_t kind);

/// Sets a DYNAMIC_THRESHOLD parameter of builder by name.  val points to a
/// size_t (thresholds[ID].val/min/max), an unsigned (check_cnt) or a float
/// (trigger, degree).  Returns 0, or -1 for an unknown name or bad value.
int memtier_ctl_set(struct memtier_builder *builder, const char *name,
                    const void *val);

#ifdef __cplusplus
}
#endif
