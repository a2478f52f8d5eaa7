// SPDX-License-Identifier: BSD-2-Clause
/*
 * numa_kind.hpp - a fresh dynamic kind of regular memory, for white-box
 * tests (linked with libmemkind_core.la).  memkind_create_kind() makes no
 * kinds - it returns static ones, as memkind 1.14 does - so tests that need
 * a kind of their own which maps memory through the generic extent hooks
 * (mmap, mbind, region list) and can be destroyed make one here, through
 * the registry, the way memkind_create_fixed() and memkind_create_pmem()
 * make theirs.
 */
#pragma once

#include <memkind.h>

#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_regular.h>

namespace mk_test
{

/// MEMKIND_REGULAR's table without its init_once (which sets up the static
/// kind, not this one).
inline struct memkind_ops *numa_kind_ops()
{
    static struct memkind_ops ops = [] {
        struct memkind_ops o = MEMKIND_REGULAR_OPS;
        o.init_once = nullptr;
        return o;
    }();
    return &ops;
}

/// Makes a dynamic kind bound to the nodes with CPUs, destroyed with
/// memkind_destroy_kind().  Returns 0 or MEMKIND_ERROR_*.
inline int create_numa_kind(memkind_t *kind)
{
    return mk_registry_create_kind(numa_kind_ops(), nullptr, MK_BACKING_NUMA,
                                   nullptr, kind);
}

} // namespace mk_test
