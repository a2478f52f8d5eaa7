// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_allocator.h - libmemkind::static_kind::allocator<T>, a standard
 * library allocator that takes its memory from one of the static kinds
 * (MEMKIND_DEFAULT, MEMKIND_HBW, ...) through memkind_malloc()/memkind_free().
 *
 * Names, member types, signatures and exceptions are those of memkind 1.14 so
 * that C++11 programs written for it build unchanged; memkindallocator(3) is
 * the normative description.  STANDARD API.
 *
 * This file states what is particular to this allocator: its kind, how it is
 * constructed and what equality means; the plumbing it shares with the other
 * allocator headers is in memkind/internal/memkind_allocator_base.h.
 */
#pragma once

// The standard headers below are the ones memkind 1.14's header pulls in;
// they stay so that programs relying on them transitively still compile.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "memkind.h"
#include "memkind/internal/memkind_allocator_base.h"

namespace libmemkind
{

/// The static kinds an allocator can be built on.  The numeric values are
/// part of the 1.14 API: keep them.
enum class kinds
{
    DEFAULT = 0,
    HUGETLB = 1,
    INTERLEAVE = 2,
    HBW = 3,
    HBW_ALL = 4,
    HBW_HUGETLB = 5,
    HBW_ALL_HUGETLB = 6,
    HBW_PREFERRED = 7,
    HBW_PREFERRED_HUGETLB = 8,
    HBW_INTERLEAVE = 9,
    REGULAR = 10,
    DAX_KMEM = 11,
    DAX_KMEM_ALL = 12,
    DAX_KMEM_PREFERRED = 13,
    DAX_KMEM_INTERLEAVE = 14,
    HIGHEST_CAPACITY = 15,
    HIGHEST_CAPACITY_PREFERRED = 16,
    HIGHEST_CAPACITY_LOCAL = 17,
    HIGHEST_CAPACITY_LOCAL_PREFERRED = 18,
    LOWEST_LATENCY_LOCAL = 19,
    LOWEST_LATENCY_LOCAL_PREFERRED = 20,
    HIGHEST_BANDWIDTH_LOCAL = 21,
    HIGHEST_BANDWIDTH_LOCAL_PREFERRED = 22
};

namespace static_kind
{

/// Allocator over a static kind.  It holds only the kind handle, so copies
/// are cheap, and two allocators compare equal exactly when they use the same
/// kind (whatever their value types): memory from one may then be freed by
/// the other.  The kind's availability is not checked at construction; an
/// unusable kind makes allocate() throw std::bad_alloc.  Member types,
/// rebind, allocate(), deallocate(), construct() and destroy() come from
/// mk_detail::kind_allocator; the kind, construction and equality are here.
template <typename T>
class allocator : public mk_detail::kind_allocator<T, allocator> {
  public:
    template <typename U> friend class allocator;
    friend class mk_detail::kind_allocator<T, allocator>;

#if !defined(_GLIBCXX_USE_CXX11_ABI) || !_GLIBCXX_USE_CXX11_ABI
    /// Only without libstdc++'s C++11 ABI (GCC 4.8, old-ABI builds, other
    /// standard libraries), whose containers may need to default-construct
    /// their allocator; 1.14 offers a default constructor there too.
    /// COMPAT(1.14): 1.14 left the kind uninitialised; we use MEMKIND_DEFAULT.
    explicit allocator() : kind_(MEMKIND_DEFAULT)
    {
    }
#endif

    /// Selects the kind.  Throws std::runtime_error for a value that is not
    /// one of libmemkind::kinds.
    explicit allocator(libmemkind::kinds kind) : kind_(kind_of(kind))
    {
    }

    allocator(const allocator &other) = default;

    template <typename U>
    allocator(const allocator<U> &other) noexcept : kind_(other.kind_)
    {
    }

    allocator(allocator &&other) = default;

    /// 1.14 declares the converting move from a const rvalue; so do we.
    template <typename U>
    allocator(const allocator<U> &&other) noexcept : kind_(other.kind_)
    {
    }

    allocator<T> &operator=(const allocator &other) = default;

    template <typename U>
    allocator<T> &operator=(const allocator<U> &other) noexcept
    {
        kind_ = other.kind_;
        return *this;
    }

    allocator<T> &operator=(allocator &&other) = default;

    template <typename U> allocator<T> &operator=(allocator<U> &&other) noexcept
    {
        kind_ = other.kind_;
        return *this;
    }

    template <typename U, typename V>
    friend bool operator==(const allocator<U> &lhs, const allocator<V> &rhs);

    template <typename U, typename V>
    friend bool operator!=(const allocator<U> &lhs, const allocator<V> &rhs);

  private:
    // Maps the enum to the kind handle.  The MEMKIND_* handles are read at
    // call time, not cached: they are variables of the library.
    static memkind_t kind_of(libmemkind::kinds kind)
    {
        static memkind_t *const handles[] = {
            &MEMKIND_DEFAULT,
            &MEMKIND_HUGETLB,
            &MEMKIND_INTERLEAVE,
            &MEMKIND_HBW,
            &MEMKIND_HBW_ALL,
            &MEMKIND_HBW_HUGETLB,
            &MEMKIND_HBW_ALL_HUGETLB,
            &MEMKIND_HBW_PREFERRED,
            &MEMKIND_HBW_PREFERRED_HUGETLB,
            &MEMKIND_HBW_INTERLEAVE,
            &MEMKIND_REGULAR,
            &MEMKIND_DAX_KMEM,
            &MEMKIND_DAX_KMEM_ALL,
            &MEMKIND_DAX_KMEM_PREFERRED,
            &MEMKIND_DAX_KMEM_INTERLEAVE,
            &MEMKIND_HIGHEST_CAPACITY,
            &MEMKIND_HIGHEST_CAPACITY_PREFERRED,
            &MEMKIND_HIGHEST_CAPACITY_LOCAL,
            &MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED,
            &MEMKIND_LOWEST_LATENCY_LOCAL,
            &MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED,
            &MEMKIND_HIGHEST_BANDWIDTH_LOCAL,
            &MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED,
        };
        const size_t count = sizeof(handles) / sizeof(handles[0]);
        static_assert(count ==
                          1 + static_cast<size_t>(
                                  kinds::HIGHEST_BANDWIDTH_LOCAL_PREFERRED),
                      "one handle per libmemkind::kinds value, in enum order");

        const size_t index = static_cast<size_t>(kind);
        if (index >= count) {
            throw std::runtime_error(
                "libmemkind::static_kind::allocator: unknown libmemkind::kinds "
                "value " +
                std::to_string(static_cast<long long>(kind)));
        }
        return *handles[index];
    }

    // The kind, for mk_detail::kind_allocator and equality.
    memkind_t kind() const noexcept
    {
        return kind_;
    }

    memkind_t kind_; ///< the static kind every allocation goes to
};

/// Equal when both use the same kind, whatever the value types.
template <typename U, typename V>
bool operator==(const allocator<U> &lhs, const allocator<V> &rhs)
{
    return lhs.kind() == rhs.kind();
}

template <typename U, typename V>
bool operator!=(const allocator<U> &lhs, const allocator<V> &rhs)
{
    return !(lhs == rhs);
}

} // namespace static_kind
} // namespace libmemkind
