// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_allocator_base.h - the plumbing the four C++ allocator headers
 * (memkind_allocator.h, pmem_allocator.h, fixed_allocator.h,
 * hbw_allocator.h) have in common, written once:
 *   - allocator_types: the member types and rebind of every allocator;
 *   - kind_allocator: allocate/deallocate/construct/destroy for the three
 *     libmemkind allocators, which all draw on a memkind_t;
 *   - owned_kind: creation errors and destruction for the dynamic kinds that
 *     the pmem and fixed allocators own.
 * It does not own any public name, constructor or equality: those stay in the
 * public headers, which must keep memkind 1.14's API exactly.  Nothing here
 * is API; programs must not name it.
 *
 * The bases are empty classes without virtual functions, so an allocator's
 * size and layout are what they were without them.  The namespace holds no
 * free functions: it becomes an associated namespace of every allocator for
 * argument-dependent lookup, and must not add candidates to user calls.
 *
 * #if switches: __cplusplus >= 201103L.  allocator_types also compiles as
 * C++03 because hbw_allocator.h does (as 1.14's did); the rest, and the
 * memkind.h it needs, only from C++11, as the libmemkind headers require.
 */
#pragma once

#include <cstddef>

#if __cplusplus >= 201103L
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include <memkind.h>
#endif

namespace libmemkind
{
namespace mk_detail
{

/// The member types and rebind of allocator Alloc<T>.  Alloc is the
/// allocator template itself, so that rebind<U>::other names the public type
/// (hbw::allocator<U>, ...), never this base.  typedef, not using: C++03.
template <class T, template <class> class Alloc> class allocator_types {
  public:
    typedef T value_type;
    typedef T *pointer;
    typedef const T *const_pointer;
    typedef T &reference;
    typedef const T &const_reference;
    typedef std::size_t size_type;
    typedef std::ptrdiff_t difference_type;

    template <class U> struct rebind {
        typedef Alloc<U> other;
    };
};

#if __cplusplus >= 201103L

/// Allocation through a kind, for an allocator Alloc<T> that has a private
/// `memkind_t kind() const noexcept` (NULL when it has no kind) and names
/// this class a friend.  CRTP rather than a virtual kind(): no vtable, so the
/// allocators stay as small and trivially copyable as before.
///
/// Members are spelled with T * and std::size_t: the names of
/// allocator_types, a dependent base, are not visible here unqualified.
template <class T, template <class> class Alloc>
class kind_allocator : public allocator_types<T, Alloc> {
  public:
    /// Returns room for n objects of T from the kind.  Throws std::bad_alloc
    /// when there is no kind, when n is 0 (memkind_malloc() gives NULL for 0
    /// bytes), when n * sizeof(T) overflows, or when the kind has no memory
    /// left.  COMPAT(1.14): 1.14 let n * sizeof(T) wrap around; we refuse it.
    T *allocate(std::size_t n) const
    {
        memkind_t kind = self().kind();
        if (kind == nullptr || n == 0 || n > SIZE_MAX / sizeof(T)) {
            throw std::bad_alloc();
        }
        void *mem = memkind_malloc(kind, n * sizeof(T));
        if (mem == nullptr) {
            throw std::bad_alloc();
        }
        return static_cast<T *>(mem);
    }

    /// Gives back memory from allocate() of an equal allocator; n is unused.
    void deallocate(T *p, std::size_t n) const
    {
        (void)n;
        memkind_free(self().kind(), static_cast<void *>(p));
    }

    template <class U, class... Args> void construct(U *p, Args &&...args) const
    {
        ::new (static_cast<void *>(p)) U(std::forward<Args>(args)...);
    }

    void destroy(T *p) const
    {
        p->~T();
    }

  private:
    const Alloc<T> &self() const noexcept
    {
        return static_cast<const Alloc<T> &>(*this);
    }
};

/// One dynamic kind, owned: a derived kind_wrapper_t creates it into `kind`
/// in its constructor, the destructor destroys it (and all memory in it).
/// Not copyable: the allocators share a wrapper through std::shared_ptr,
/// which is what makes the last allocator copy the one that destroys it.
class owned_kind {
  public:
    owned_kind(const owned_kind &) = delete;
    owned_kind &operator=(const owned_kind &) = delete;

    memkind_t get() const
    {
        return kind;
    }

  protected:
    owned_kind() = default;

    // Protected and not virtual: never deleted through this base.  A
    // destructor cannot report failure; the kind is gone either way.  kind
    // stays NULL when the derived constructor threw, and there is nothing to
    // destroy.
    ~owned_kind()
    {
        if (kind != nullptr) {
            (void)memkind_destroy_kind(kind);
        }
    }

    /// Turns err, a failed kind creation's MEMKIND_ERROR_*, into the
    /// exception the 1.14 allocators throw: std::invalid_argument for
    /// MEMKIND_ERROR_INVALID, std::runtime_error otherwise.  what says which
    /// allocator failed at what; the library's message for err is appended.
    [[noreturn]] static void throw_create_error(int err,
                                                const std::string &what)
    {
        char text[MEMKIND_ERROR_MESSAGE_SIZE];
        memkind_error_message(err, text, sizeof(text));
        std::string full =
            what + ": " + text + " (error code " + std::to_string(err) + ")";
        if (err == MEMKIND_ERROR_INVALID) {
            throw std::invalid_argument(full);
        }
        throw std::runtime_error(full);
    }

    memkind_t kind = nullptr; ///< the owned kind, NULL until created
};

#endif // __cplusplus >= 201103L

} // namespace mk_detail
} // namespace libmemkind
