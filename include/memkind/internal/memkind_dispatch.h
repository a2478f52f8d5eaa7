// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_dispatch.h - the only code that dereferences kind->ops.
 *
 * Each wrapper calls the member, or its documented fallback when a table
 * leaves an optional member NULL, so fallbacks live in one place.
 */
#pragma once

#include "memkind_default.h"
#include "memkind_private.h"

#include <errno.h>
#include <sys/mman.h>

static inline void mk_kind_ensure_init(struct memkind *kind)
{
    if (kind->ops->init_once)
        (void)pthread_once(&kind->init_once, kind->ops->init_once);
}

static inline void *kind_op_malloc(struct memkind *kind, size_t size)
{
    return kind->ops->malloc(kind, size);
}

static inline void *kind_op_calloc(struct memkind *kind, size_t num,
                                   size_t size)
{
    return kind->ops->calloc(kind, num, size);
}

static inline int kind_op_posix_memalign(struct memkind *kind, void **memptr,
                                         size_t alignment, size_t size)
{
    return kind->ops->posix_memalign(kind, memptr, alignment, size);
}

static inline void *kind_op_realloc(struct memkind *kind, void *ptr,
                                    size_t size)
{
    return kind->ops->realloc(kind, ptr, size);
}

static inline void kind_op_free(struct memkind *kind, void *ptr)
{
    kind->ops->free(kind, ptr);
}

static inline size_t kind_op_usable_size(struct memkind *kind, void *ptr)
{
    return kind->ops->malloc_usable_size(kind, ptr);
}

static inline void *kind_op_mmap(struct memkind *kind, void *addr, size_t size)
{
    if (kind->ops->mmap)
        return kind->ops->mmap(kind, addr, size);
    return memkind_default_mmap(kind, addr, size);
}

static inline int kind_op_check_available(struct memkind *kind)
{
    if (kind->ops->check_available)
        return kind->ops->check_available(kind);
    return MEMKIND_SUCCESS;
}

static inline int kind_op_get_mbind_nodemask(struct memkind *kind,
                                             unsigned long *mask,
                                             unsigned long maxnode)
{
    if (!kind->ops->get_mbind_nodemask)
        return MEMKIND_ERROR_UNAVAILABLE;
    return kind->ops->get_mbind_nodemask(kind, mask, maxnode);
}

/// True when the kind binds its memory to a node set of its own.
static inline bool kind_op_has_mbind_nodemask(struct memkind *kind)
{
    return kind->ops->get_mbind_nodemask != NULL;
}

/// The kind's MPOL_* mode in *mode: MPOL_BIND when the table has none, as
/// memkind_default_mbind() assumes.  Returns 0 or the member's error.
static inline int kind_op_get_mbind_mode(struct memkind *kind, int *mode)
{
    if (!kind->ops->get_mbind_mode) {
        *mode = 2; /* MPOL_BIND, without making <numaif.h> a dependency */
        return 0;
    }
    return kind->ops->get_mbind_mode(kind, mode);
}

static inline int kind_op_destroy(struct memkind *kind)
{
    return kind->ops->destroy(kind);
}

static inline int kind_op_finalize(struct memkind *kind)
{
    return kind->ops->finalize ? kind->ops->finalize(kind) : 0;
}

static inline int kind_op_update_policy(struct memkind *kind,
                                        memkind_mem_usage_policy policy)
{
    if (!kind->ops->update_memory_usage_policy)
        return MEMKIND_ERROR_OPERATION_FAILED;
    return kind->ops->update_memory_usage_policy(kind, policy);
}

static inline int kind_op_get_stat(struct memkind *kind, memkind_stat_type stat,
                                   size_t *value)
{
    if (!kind->ops->get_stat)
        return MEMKIND_ERROR_OPERATION_FAILED;
    return kind->ops->get_stat(kind, stat, value);
}

static inline void *kind_op_defrag(struct memkind *kind, void *ptr)
{
    return kind->ops->defrag_reallocate
               ? kind->ops->defrag_reallocate(kind, ptr)
               : NULL;
}

static inline int kind_op_create(struct memkind *kind, struct memkind_ops *ops,
                                 const char *name)
{
    return ops->create(kind, ops, name);
}

/// Applies the kind's mbind and madvise members to a fresh mapping.
static inline int kind_op_prepare_mapping(struct memkind *kind, void *addr,
                                          size_t size)
{
    int err = 0;
    if (kind->ops->mbind)
        err = kind->ops->mbind(kind, addr, size);
    /* Advice is best effort: a kernel (or valgrind) that refuses
     * MADV_NOHUGEPAGE must not make the allocation fail. */
    if (!err && kind->ops->madvise)
        (void)kind->ops->madvise(kind, addr, size);
    return err;
}

/// The kind's mmap flags in *flags: MAP_PRIVATE | MAP_ANONYMOUS when the
/// table has no get_mmap_flags.  Returns 0 or the member's error.
static inline int kind_op_get_mmap_flags(struct memkind *kind, int *flags)
{
    if (!kind->ops->get_mmap_flags) {
        *flags = MAP_PRIVATE | MAP_ANONYMOUS;
        return 0;
    }
    return kind->ops->get_mmap_flags(kind, flags);
}

/// True when the kind keeps statistics of its own (get_stat).
static inline bool kind_op_has_get_stat(struct memkind *kind)
{
    return kind->ops->get_stat != NULL;
}
