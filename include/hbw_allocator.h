// SPDX-License-Identifier: BSD-2-Clause
/*
 * hbw_allocator.h - hbw::allocator<T>, a standard library allocator over the
 * hbw_* heap (high-bandwidth memory, subject to the hbw_set_policy() policy).
 *
 * Names, member types and signatures are those of memkind 1.14 so that
 * programs written for it build unchanged; hbwallocator(3) is the normative
 * description.  Like 1.14's, this header also compiles as C++03.
 * EXPERIMENTAL API.
 *
 * This file states what is particular to this allocator: its heap, its C++03
 * members and what equality means; the member types and rebind it shares
 * with the other allocator headers are in
 * memkind/internal/memkind_allocator_base.h.
 */
#pragma once

#include <hbwmalloc.h>
#include "memkind/internal/memkind_allocator_base.h"

#include <new>
#include <stddef.h>

// Non-throwing exception specification: `throw()` is gone from C++20.
#if __cplusplus >= 201103L
#define MK_HBW_ALLOCATOR_NOTHROW_ noexcept
#else
#define MK_HBW_ALLOCATOR_NOTHROW_ throw()
#endif

namespace hbw
{

/// Stateless allocator: every hbw::allocator equals every other, whatever the
/// value types, since all of them share the one hbw_* heap.  The member types
/// and rebind come from mk_detail::allocator_types; the members below are
/// 1.14's C++03 interface, which the libmemkind allocators' base does not
/// fit.  They spell T * and size_t because the names of a dependent base are
/// not visible here unqualified.
template <class T>
class allocator : public libmemkind::mk_detail::allocator_types<T, allocator> {
  public:
    allocator() MK_HBW_ALLOCATOR_NOTHROW_
    {
    }

    template <class U> allocator(const allocator<U> &) MK_HBW_ALLOCATOR_NOTHROW_
    {
    }

    ~allocator() MK_HBW_ALLOCATOR_NOTHROW_
    {
    }

    T *address(T &x) const
    {
        return &x;
    }

    const T *address(const T &x) const
    {
        return &x;
    }

    /// Returns room for n objects of T from hbw_malloc(); the hint is
    /// ignored.  Throws std::bad_alloc when n is 0 or above max_size(), or
    /// when the heap cannot satisfy the request under the current policy.
    T *allocate(size_t n, const void * = NULL)
    {
        if (n == 0 || n > max_size()) {
            throw std::bad_alloc();
        }
        void *mem = hbw_malloc(n * sizeof(T));
        if (mem == NULL) {
            throw std::bad_alloc();
        }
        return static_cast<T *>(mem);
    }

    /// Gives back memory from allocate() with hbw_free(); n is unused.
    void deallocate(T *p, size_t n)
    {
        (void)n;
        hbw_free(static_cast<void *>(p));
    }

    /// The largest n for which n * sizeof(T) does not overflow.
    size_t max_size() const MK_HBW_ALLOCATOR_NOTHROW_
    {
        return static_cast<size_t>(-1) / sizeof(T);
    }

    /// Copy-constructs val at p.  This is 1.14's C++03 interface: C++11
    /// containers call it whenever they construct from a single value, so
    /// that value is copied, never moved, and move-only T cannot be stored.
    void construct(T *p, const T &val)
    {
        ::new (static_cast<void *>(p)) T(val);
    }

    void destroy(T *p)
    {
        p->~T();
    }
};

template <class T, class U>
bool operator==(const allocator<T> &, const allocator<U> &)
{
    return true;
}

template <class T, class U>
bool operator!=(const allocator<T> &, const allocator<U> &)
{
    return false;
}

} // namespace hbw

#undef MK_HBW_ALLOCATOR_NOTHROW_
