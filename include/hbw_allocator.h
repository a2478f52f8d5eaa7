// SPDX-License-Identifier: BSD-2-Clause
/*
 * hbw_allocator.h - hbw::allocator<T>, a standard library allocator over the
 * hbw_* heap (high-bandwidth memory, subject to the hbw_set_policy() policy).
 *
 * Names, member types and signatures are those of memkind 1.14 so that
 * programs written for it build unchanged; hbwallocator(3) is the normative
 * description.  Like 1.14's, this header also compiles as C++03.
 * EXPERIMENTAL API.
 */
#pragma once

#include <hbwmalloc.h>

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
/// value types, since all of them share the one hbw_* heap.
template <class T> class allocator {
  public:
    typedef size_t size_type;
    typedef ptrdiff_t difference_type;
    typedef T *pointer;
    typedef const T *const_pointer;
    typedef T &reference;
    typedef const T &const_reference;
    typedef T value_type;

    template <class U> struct rebind {
        typedef hbw::allocator<U> other;
    };

    allocator() MK_HBW_ALLOCATOR_NOTHROW_
    {
    }

    template <class U> allocator(const allocator<U> &) MK_HBW_ALLOCATOR_NOTHROW_
    {
    }

    ~allocator() MK_HBW_ALLOCATOR_NOTHROW_
    {
    }

    pointer address(reference x) const
    {
        return &x;
    }

    const_pointer address(const_reference x) const
    {
        return &x;
    }

    /// Returns room for n objects of T from hbw_malloc(); the hint is
    /// ignored.  Throws std::bad_alloc when n is 0 or above max_size(), or
    /// when the heap cannot satisfy the request under the current policy.
    pointer allocate(size_type n, const void * = NULL)
    {
        if (n == 0 || n > max_size()) {
            throw std::bad_alloc();
        }
        void *mem = hbw_malloc(n * sizeof(T));
        if (mem == NULL) {
            throw std::bad_alloc();
        }
        return static_cast<pointer>(mem);
    }

    /// Gives back memory from allocate() with hbw_free(); n is unused.
    void deallocate(pointer p, size_type n)
    {
        (void)n;
        hbw_free(static_cast<void *>(p));
    }

    /// The largest n for which n * sizeof(T) does not overflow.
    size_type max_size() const MK_HBW_ALLOCATOR_NOTHROW_
    {
        return static_cast<size_type>(-1) / sizeof(T);
    }

    /// Copy-constructs val at p.  This is 1.14's C++03 interface: C++11
    /// containers call it whenever they construct from a single value, so
    /// that value is copied, never moved, and move-only T cannot be stored.
    void construct(pointer p, const_reference val)
    {
        ::new (static_cast<void *>(p)) value_type(val);
    }

    void destroy(pointer p)
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
