// SPDX-License-Identifier: BSD-2-Clause
/*
 * fixed_allocator.h - libmemkind::fixed::allocator<T>, a standard library
 * allocator that carves its memory out of a caller-supplied buffer (a kind
 * made by memkind_create_fixed()).
 *
 * Names, member types, signatures and exceptions are those of memkind 1.14 so
 * that C++11 programs written for it build unchanged; fixedallocator(3) is
 * the normative description.  STANDARD API.
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
class kind_wrapper_t {
  public:
    kind_wrapper_t(void *addr, size_t size)
    {
        int err = memkind_create_fixed(addr, size, &kind);
        if (err == MEMKIND_SUCCESS) {
            return;
        }
        char text[MEMKIND_ERROR_MESSAGE_SIZE];
        memkind_error_message(err, text, sizeof(text));
        std::string what =
            std::string("libmemkind::fixed::allocator: cannot create a fixed "
                        "kind of ") +
            std::to_string(static_cast<unsigned long long>(size)) +
            " bytes: " + text + " (error code " + std::to_string(err) + ")";
        if (err == MEMKIND_ERROR_INVALID) {
            throw std::invalid_argument(what);
        }
        throw std::runtime_error(what);
    }

    kind_wrapper_t(const kind_wrapper_t &) = delete;
    kind_wrapper_t &operator=(const kind_wrapper_t &) = delete;

    ~kind_wrapper_t()
    {
        // A destructor cannot report failure; the kind is gone either way.
        (void)memkind_destroy_kind(kind);
    }

    memkind_t get() const
    {
        return kind;
    }

  private:
    memkind_t kind; ///< the fixed kind, valid for the wrapper's lifetime
};

} // namespace internal

/// Allocator over a fixed kind.  Copies (of any value type) share the kind,
/// which lives until the last of them is destroyed; two allocators compare
/// equal exactly when they share it.  The buffer must outlive every copy.
template <typename T> class allocator {
    using kind_wrapper_t = internal::kind_wrapper_t;
    std::shared_ptr<kind_wrapper_t> kind_wrapper_ptr;

    // The kind in use, or NULL for an allocator without one (only the
    // old-ABI default constructor makes such an allocator).
    memkind_t kind() const noexcept
    {
        return kind_wrapper_ptr ? kind_wrapper_ptr->get() : nullptr;
    }

  public:
    using value_type = T;
    using pointer = value_type *;
    using const_pointer = const value_type *;
    using reference = value_type &;
    using const_reference = const value_type &;
    using size_type = size_t;
    using difference_type = ptrdiff_t;

    template <class U> struct rebind {
        using other = allocator<U>;
    };

    template <typename U> friend class allocator;

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

    /// Returns room for n objects of T from the buffer.  Throws std::bad_alloc
    /// when n is 0, when n * sizeof(T) overflows, or when the buffer has no
    /// room left.  COMPAT(1.14): 1.14 let n * sizeof(T) wrap around.
    pointer allocate(size_type n) const
    {
        memkind_t k = kind();
        if (k == nullptr || n == 0 || n > SIZE_MAX / sizeof(T)) {
            throw std::bad_alloc();
        }
        void *mem = memkind_malloc(k, n * sizeof(T));
        if (mem == nullptr) {
            throw std::bad_alloc();
        }
        return static_cast<pointer>(mem);
    }

    /// Gives back memory from allocate() of an equal allocator; n is unused.
    void deallocate(pointer p, size_type n) const
    {
        (void)n;
        memkind_free(kind(), static_cast<void *>(p));
    }

    template <class U, class... Args> void construct(U *p, Args &&...args) const
    {
        ::new (static_cast<void *>(p)) U(std::forward<Args>(args)...);
    }

    void destroy(pointer p) const
    {
        p->~value_type();
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
