// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_allocator.h - libmemkind::pmem::allocator<T>, a standard library
 * allocator over a file-backed (PMEM) kind created in a directory with
 * memkind_create_pmem_with_config().
 *
 * Names, member types, signatures and exceptions are those of memkind 1.14 so
 * that C++11 programs written for it build unchanged; pmemallocator(3) is
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

/// Memory usage policy of the kind behind a pmem allocator; the values are
/// those of memkind_mem_usage_policy.
enum class allocation_policy
{
    DEFAULT = MEMKIND_MEM_USAGE_POLICY_DEFAULT,
    CONSERVATIVE = MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE,
    MAX
};

namespace pmem
{
namespace internal
{

/// Owns one PMEM kind: creates it in dir with the given size limit (0: the
/// file system's capacity) and policy, and destroys it, freeing all of its
/// memory, with the last allocator copy.  Throws std::invalid_argument when
/// creation reports MEMKIND_ERROR_INVALID and std::runtime_error for any
/// other failure (including an out-of-memory configuration).  get(), copying
/// and destruction come from mk_detail::owned_kind.
class kind_wrapper_t : public mk_detail::owned_kind {
  public:
    kind_wrapper_t(const char *dir, std::size_t max_size,
                   libmemkind::allocation_policy alloc_policy =
                       libmemkind::allocation_policy::DEFAULT)
    {
        struct memkind_config *cfg = memkind_config_new();
        if (cfg == nullptr) {
            throw std::runtime_error(
                "libmemkind::pmem::allocator: cannot allocate a kind "
                "configuration");
        }
        memkind_config_set_path(cfg, dir);
        memkind_config_set_size(cfg, max_size);
        memkind_config_set_memory_usage_policy(
            cfg, static_cast<memkind_mem_usage_policy>(alloc_policy));
        // Into a local: kind must stay NULL if creation fails.
        memkind_t created = nullptr;
        int err = memkind_create_pmem_with_config(cfg, &created);
        memkind_config_delete(cfg);
        if (err != MEMKIND_SUCCESS) {
            throw_create_error(
                err, std::string("libmemkind::pmem::allocator: cannot create "
                                 "a pmem kind in '") +
                         (dir ? dir : "(null)") + "'");
        }
        kind = created;
    }
};

} // namespace internal

/// Allocator over a PMEM kind.  Copies (of any value type) share the kind,
/// which lives until the last of them is destroyed; two allocators compare
/// equal exactly when they share it, so two allocators constructed
/// separately, even over the same directory, are never equal.  allocate()
/// throws std::bad_alloc once max_size or the file system is exhausted.
/// Member types, rebind, allocate(), deallocate(), construct() and destroy()
/// come from mk_detail::kind_allocator.
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

    /// Creates a PMEM kind in dir limited to max_size bytes (0: no limit but
    /// the file system's).  Throws as internal::kind_wrapper_t does, or
    /// std::bad_alloc.
    explicit allocator(const char *dir, size_t max_size)
        : kind_wrapper_ptr(std::make_shared<kind_wrapper_t>(dir, max_size))
    {
    }

    explicit allocator(const std::string &dir, size_t max_size)
        : allocator(dir.c_str(), max_size)
    {
    }

    /// As above, with a memory usage policy for the kind.
    explicit allocator(const char *dir, size_t max_size,
                       libmemkind::allocation_policy alloc_policy)
        : kind_wrapper_ptr(
              std::make_shared<kind_wrapper_t>(dir, max_size, alloc_policy))
    {
    }

    explicit allocator(const std::string &dir, size_t max_size,
                       libmemkind::allocation_policy alloc_policy)
        : allocator(dir.c_str(), max_size, alloc_policy)
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

/// Equal when both use the same PMEM kind, whatever the value types.
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

} // namespace pmem
} // namespace libmemkind
