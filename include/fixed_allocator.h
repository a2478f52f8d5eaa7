// SPDX-License-Identifier: BSD-2-Clause
/*
 * fixed_allocator.h - libmemkind::fixed::allocator<T>, a standard library
 * allocator that carves its memory out of a caller-supplied buffer (a kind
 * made by memkind_create_fixed()).
 *
 * Names, member types, signatures and exceptions are those of memkind 1.14 so
 * that C++11 programs written for it build unchanged; fixedallocator(3) is
 * the normative description.  STANDARD API.
 *
 * This file states what is particular to this allocator: its kind, how it is
 * constructed and what equality means; the plumbing it shares with the other
 * allocator headers is in memkind/internal/memkind_allocator_base.h.
 */
#pragma once

// The standard headers below include the ones memkind 1.14's header pulls in;
// they stay so that programs relying on them transitively still compile.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
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
namespace fixed
{
namespace internal
{

/// Owns one fixed kind: creates it over [addr, addr + size) and destroys it
/// (not the buffer, which stays the caller's) with the last allocator copy.
/// Throws std::invalid_argument when memkind_create_fixed() reports
/// MEMKIND_ERROR_INVALID and std::runtime_error for any other failure.
/// get(), copying and destruction come from mk_detail::owned_kind.
class kind_wrapper_t : public mk_detail::owned_kind {
  public:
    kind_wrapper_t(void *addr, size_t size)
    {
        // Into a local: kind must stay NULL if creation fails.
        memkind_t created = nullptr;
        int err = memkind_create_fixed(addr, size, &created);
        if (err != MEMKIND_SUCCESS) {
            std::string bytes =
                std::to_string(static_cast<unsigned long long>(size));
            throw_create_error(err, "libmemkind::fixed::allocator: cannot "
                                    "create a fixed kind of " +
                                        bytes + " bytes");
        }
        kind = created;
    }
};

} // namespace internal

/// Allocator over a fixed kind.  Copies (of any value type) share the kind,
/// which lives until the last of them is destroyed; two allocators compare
/// equal exactly when they share it.  The buffer must outlive every copy;
/// allocate() throws std::bad_alloc once it is full.  Member types, rebind,
/// allocate(), deallocate(), construct() and destroy() come from
/// mk_detail::kind_allocator.
template <typename T>
class allocator : public mk_detail::kind_allocator<T, allocator> {
    using kind_wrapper_t = internal::kind_wrapper_t;
    std::shared_ptr<kind_wrapper_t> kind_wrapper_ptr;

    // The kind in use, or NULL for an allocator without one (only the
    // old-ABI default constructor makes such an allocator).
    memkind_t kind() const noexcept
    {
        return kind_wrapper_ptr ? kind_wrapper_ptr->get() : nullptr;
    }

  public:
    template <typename U> friend class allocator;
    friend class mk_detail::kind_allocator<T, allocator>;

#if !defined(_GLIBCXX_USE_CXX11_ABI) || !_GLIBCXX_USE_CXX11_ABI
    /// Only without libstdc++'s C++11 ABI (GCC 4.8, old-ABI builds, other
    /// standard libraries), whose containers may need to default-construct
    /// their allocator; 1.14 offers a default constructor there too.  The
    /// result has no kind: allocate() throws std::bad_alloc.
    explicit allocator()
    {
    }
#endif

    /// Creates a fixed kind over [addr, addr + size).  Throws as
    /// internal::kind_wrapper_t does, or std::bad_alloc.
    explicit allocator(void *addr, size_t size)
        : kind_wrapper_ptr(std::make_shared<kind_wrapper_t>(addr, size))
    {
    }

    allocator(const allocator &other) = default;

    template <typename U>
    allocator(const allocator<U> &other) noexcept
        : kind_wrapper_ptr(other.kind_wrapper_ptr)
    {
    }

    /// COMPAT(1.14): moves copy.  1.14 left a moved-from allocator without a
    /// kind, so a moved-from container crashed on its next allocation; the
    /// standard wants a moved-from allocator unchanged, equal to the new one.
    allocator(allocator &&other) noexcept
        : kind_wrapper_ptr(other.kind_wrapper_ptr)
    {
    }

    template <typename U>
    allocator(allocator<U> &&other) noexcept
        : kind_wrapper_ptr(other.kind_wrapper_ptr)
    {
    }

    allocator<T> &operator=(const allocator &other) = default;

    template <typename U>
    allocator<T> &operator=(const allocator<U> &other) noexcept
    {
        kind_wrapper_ptr = other.kind_wrapper_ptr;
        return *this;
    }

    allocator<T> &operator=(allocator &&other) noexcept
    {
        kind_wrapper_ptr = other.kind_wrapper_ptr;
        return *this;
    }

    template <typename U> allocator<T> &operator=(allocator<U> &&other) noexcept
    {
        kind_wrapper_ptr = other.kind_wrapper_ptr;
        return *this;
    }

    template <typename U, typename V>
    friend bool operator==(const allocator<U> &lhs, const allocator<V> &rhs);

    template <typename U, typename V>
    friend bool operator!=(const allocator<U> &lhs, const allocator<V> &rhs);
};

/// Equal when both use the same fixed kind, whatever the value types.
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

} // namespace fixed
} // namespace libmemkind
