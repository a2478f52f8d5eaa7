// SPDX-License-Identifier: BSD-2-Clause
/*
 * allocator_test.cpp - black-box tests of the C++ allocator headers
 * (memkind_allocator.h, fixed_allocator.h, pmem_allocator.h,
 * hbw_allocator.h) against libmemkind.
 *
 * What is checked, per allocator: the member types and traits 1.14 programs
 * rely on (at compile time), use from std::vector / std::list / std::map /
 * std::basic_string, allocate/deallocate, the exceptions of
 * memkindallocator(3), fixedallocator(3), pmemallocator(3) and
 * hbwallocator(3) ("Throw std::bad_alloc when n = 0 or there is not enough
 * memory"), equality (same kind <=> equal, whatever the value types), rebind
 * and conversion across value types, and the lifetime of the kind shared by
 * allocator copies.  Tests marked COMPAT(1.14) check where our headers
 * deliberately differ from 1.14's (documented in the headers).
 */
#include <fixed_allocator.h>
#include <hbw_allocator.h>
#include <memkind.h>
#include <memkind_allocator.h>
#include <pmem_allocator.h>

#include "common/capabilities.hpp"
#include "common/test_util.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace
{

constexpr size_t MiB = 1024 * 1024;

// ---------------------------------------------------------------------------
// Compile-time checks: member types, rebind, noexcept conversions.
// ---------------------------------------------------------------------------

template <template <class> class A> struct allocator_shape {
    using AI = A<int>;
    using AL = A<long>;

    static_assert(std::is_same<typename AI::value_type, int>::value, "");
    static_assert(std::is_same<typename AI::pointer, int *>::value, "");
    static_assert(std::is_same<typename AI::const_pointer, const int *>::value,
                  "");
    static_assert(std::is_same<typename AI::reference, int &>::value, "");
    static_assert(
        std::is_same<typename AI::const_reference, const int &>::value, "");
    static_assert(std::is_same<typename AI::size_type, std::size_t>::value, "");
    static_assert(
        std::is_same<typename AI::difference_type, std::ptrdiff_t>::value, "");
    static_assert(
        std::is_same<typename AI::template rebind<long>::other, AL>::value, "");
    static_assert(
        std::is_same<
            typename std::allocator_traits<AI>::template rebind_alloc<long>,
            AL>::value,
        "");
    static_assert(std::is_nothrow_copy_constructible<AI>::value, "");
    static_assert(std::is_nothrow_constructible<AI, const AL &>::value, "");
    static_assert(std::is_copy_assignable<AI>::value, "");
    static_assert(std::is_same<decltype(std::declval<const AI &>() ==
                                        std::declval<const AL &>()),
                               bool>::value,
                  "");
    static_assert(std::is_same<decltype(std::declval<const AI &>() !=
                                        std::declval<const AL &>()),
                               bool>::value,
                  "");
    static constexpr bool ok = true;
};

// The libmemkind allocators additionally convert by move and assign across
// value types without throwing.
template <template <class> class A> struct libmemkind_allocator_shape {
    using AI = A<int>;
    using AL = A<long>;

    static_assert(allocator_shape<A>::ok, "");
    static_assert(std::is_nothrow_move_constructible<AI>::value, "");
    static_assert(std::is_nothrow_constructible<AI, AL &&>::value, "");
    static_assert(std::is_nothrow_assignable<AI &, const AL &>::value, "");
    static_assert(std::is_nothrow_assignable<AI &, AL &&>::value, "");
    static constexpr bool ok = true;
};

static_assert(
    libmemkind_allocator_shape<libmemkind::static_kind::allocator>::ok, "");
static_assert(libmemkind_allocator_shape<libmemkind::fixed::allocator>::ok, "");
static_assert(libmemkind_allocator_shape<libmemkind::pmem::allocator>::ok, "");
static_assert(allocator_shape<hbw::allocator>::ok, "");

// 1.14 declares the static-kind converting move from a const rvalue.
static_assert(std::is_nothrow_constructible<
                  libmemkind::static_kind::allocator<int>,
                  const libmemkind::static_kind::allocator<long> &&>::value,
              "");

// Construction from a kind, a buffer or a directory is explicit.
static_assert(
    !std::is_convertible<libmemkind::kinds,
                         libmemkind::static_kind::allocator<int>>::value,
    "");

#if defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
// With libstdc++'s C++11 ABI, as in 1.14, the libmemkind allocators cannot
// be default-constructed: a kind must always be named.
static_assert(!std::is_default_constructible<
                  libmemkind::static_kind::allocator<int>>::value,
              "");
static_assert(
    !std::is_default_constructible<libmemkind::fixed::allocator<int>>::value,
    "");
static_assert(
    !std::is_default_constructible<libmemkind::pmem::allocator<int>>::value,
    "");
#endif
static_assert(std::is_nothrow_default_constructible<hbw::allocator<int>>::value,
              "");

// Enum values are API (1.14 headers).
static_assert(static_cast<int>(libmemkind::kinds::DEFAULT) == 0, "");
static_assert(static_cast<int>(libmemkind::kinds::HUGETLB) == 1, "");
static_assert(static_cast<int>(libmemkind::kinds::INTERLEAVE) == 2, "");
static_assert(static_cast<int>(libmemkind::kinds::HBW) == 3, "");
static_assert(static_cast<int>(libmemkind::kinds::HBW_ALL) == 4, "");
static_assert(static_cast<int>(libmemkind::kinds::HBW_HUGETLB) == 5, "");
static_assert(static_cast<int>(libmemkind::kinds::HBW_ALL_HUGETLB) == 6, "");
static_assert(static_cast<int>(libmemkind::kinds::HBW_PREFERRED) == 7, "");
static_assert(static_cast<int>(libmemkind::kinds::HBW_PREFERRED_HUGETLB) == 8,
              "");
static_assert(static_cast<int>(libmemkind::kinds::HBW_INTERLEAVE) == 9, "");
static_assert(static_cast<int>(libmemkind::kinds::REGULAR) == 10, "");
static_assert(static_cast<int>(libmemkind::kinds::DAX_KMEM) == 11, "");
static_assert(static_cast<int>(libmemkind::kinds::DAX_KMEM_ALL) == 12, "");
static_assert(static_cast<int>(libmemkind::kinds::DAX_KMEM_PREFERRED) == 13,
              "");
static_assert(static_cast<int>(libmemkind::kinds::DAX_KMEM_INTERLEAVE) == 14,
              "");
static_assert(static_cast<int>(libmemkind::kinds::HIGHEST_CAPACITY) == 15, "");
static_assert(static_cast<int>(libmemkind::kinds::HIGHEST_CAPACITY_PREFERRED) ==
                  16,
              "");
static_assert(static_cast<int>(libmemkind::kinds::HIGHEST_CAPACITY_LOCAL) == 17,
              "");
static_assert(
    static_cast<int>(libmemkind::kinds::HIGHEST_CAPACITY_LOCAL_PREFERRED) == 18,
    "");
static_assert(static_cast<int>(libmemkind::kinds::LOWEST_LATENCY_LOCAL) == 19,
              "");
static_assert(
    static_cast<int>(libmemkind::kinds::LOWEST_LATENCY_LOCAL_PREFERRED) == 20,
    "");
static_assert(static_cast<int>(libmemkind::kinds::HIGHEST_BANDWIDTH_LOCAL) ==
                  21,
              "");
static_assert(static_cast<int>(
                  libmemkind::kinds::HIGHEST_BANDWIDTH_LOCAL_PREFERRED) == 22,
              "");
static_assert(static_cast<int>(libmemkind::allocation_policy::DEFAULT) ==
                  MEMKIND_MEM_USAGE_POLICY_DEFAULT,
              "");
static_assert(static_cast<int>(libmemkind::allocation_policy::CONSERVATIVE) ==
                  MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE,
              "");
static_assert(static_cast<int>(libmemkind::allocation_policy::MAX) == 2, "");

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

template <class Alloc, class U>
using rebound = typename std::allocator_traits<Alloc>::template rebind_alloc<U>;

template <class Alloc>
using kstring =
    std::basic_string<char, std::char_traits<char>, rebound<Alloc, char>>;

// Called with the address of every block a container got from its
// allocator's kind (element storage, list and map nodes, string buffers).
using block_check = std::function<void(const void *)>;

// Builds and checks a vector, list, map, string and vector of strings, all
// rebound from alloc.
template <class Alloc>
void exercise_containers(const Alloc &alloc, const block_check &check)
{
    using IntAlloc = rebound<Alloc, int>;
    using PairAlloc = rebound<Alloc, std::pair<const int, int>>;
    using String = kstring<Alloc>;
    using StringAlloc = rebound<Alloc, String>;

    const int n = 5000;

    std::vector<int, IntAlloc> vec{IntAlloc(alloc)};
    for (int i = 0; i < n; ++i) {
        vec.push_back(i);
    }
    ASSERT_EQ(vec.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        ASSERT_EQ(vec[i], i);
    }
    check(vec.data());
    EXPECT_TRUE(vec.get_allocator() == IntAlloc(alloc));

    std::list<int, IntAlloc> lst{IntAlloc(alloc)};
    for (int i = 0; i < n; ++i) {
        lst.push_back(i);
    }
    int expect = 0;
    for (const int &v : lst) {
        ASSERT_EQ(v, expect++);
    }
    check(&lst.front());
    check(&lst.back());
    lst.remove_if([](int v) { return v % 2 == 0; });
    EXPECT_EQ(lst.size(), static_cast<size_t>(n / 2));

    std::map<int, int, std::less<int>, PairAlloc> map{std::less<int>(),
                                                      PairAlloc(alloc)};
    for (int i = 0; i < n; ++i) {
        map[i] = 2 * i;
    }
    map.insert(std::make_pair(n, 2 * n));
    map.emplace(n + 1, 2 * (n + 1));
    ASSERT_EQ(map.size(), static_cast<size_t>(n + 2));
    for (const auto &kv : map) {
        ASSERT_EQ(kv.second, 2 * kv.first);
    }
    check(&*map.begin());
    map.erase(map.begin(), map.find(n / 2));
    EXPECT_EQ(map.size(), static_cast<size_t>(n - n / 2 + 2));

    const char tail[] = "-and-a-tail-longer-than-a-small-string-buffer";
    String str{rebound<Alloc, char>(alloc)};
    str.assign(1000, 'x');
    str += tail;
    EXPECT_EQ(str.size(), 1000 + sizeof(tail) - 1);
    EXPECT_EQ(std::string(str.begin() + 1000, str.end()), tail);
    EXPECT_EQ(str.find('-'), 1000u);
    check(str.data());
    String copy(str);
    EXPECT_EQ(copy, str);
    EXPECT_TRUE(copy.get_allocator() == str.get_allocator());

    std::vector<String, StringAlloc> strings{StringAlloc(alloc)};
    for (int i = 0; i < 100; ++i) {
        strings.emplace_back(64, static_cast<char>('a' + i % 26),
                             rebound<Alloc, char>(alloc));
    }
    ASSERT_EQ(strings.size(), 100u);
    EXPECT_EQ(strings[27][63], 'b');
    check(strings.data());
    check(strings[99].data());
}

// The allocators turn the result err of the kind-creating C call into an
// exception: std::invalid_argument for MEMKIND_ERROR_INVALID,
// std::runtime_error for any other error, none for success.  Expects make()
// (which constructs an allocator from the same arguments) to do just that.
template <class Make> void expect_outcome_of(int err, Make make)
{
    if (err == MEMKIND_SUCCESS) {
        EXPECT_NO_THROW(make());
    } else if (err == MEMKIND_ERROR_INVALID) {
        EXPECT_THROW(make(), std::invalid_argument);
    } else {
        EXPECT_THROW(make(), std::runtime_error);
    }
}

// As expect_outcome_of(), for arguments the C call must reject.
template <class Make> void expect_throw_for_error(int err, Make make)
{
    ASSERT_NE(err, MEMKIND_SUCCESS);
    expect_outcome_of(err, make);
}

// ---------------------------------------------------------------------------
// libmemkind::static_kind::allocator
// ---------------------------------------------------------------------------

struct static_kind_case {
    libmemkind::kinds id;
    memkind_t *handle;
    const char *name;
};

// clang-format off
#define STATIC_KIND_CASE(N) {libmemkind::kinds::N, &MEMKIND_##N, #N}
// clang-format on
const static_kind_case static_kind_cases[] = {
    STATIC_KIND_CASE(DEFAULT),
    STATIC_KIND_CASE(HUGETLB),
    STATIC_KIND_CASE(INTERLEAVE),
    STATIC_KIND_CASE(HBW),
    STATIC_KIND_CASE(HBW_ALL),
    STATIC_KIND_CASE(HBW_HUGETLB),
    STATIC_KIND_CASE(HBW_ALL_HUGETLB),
    STATIC_KIND_CASE(HBW_PREFERRED),
    STATIC_KIND_CASE(HBW_PREFERRED_HUGETLB),
    STATIC_KIND_CASE(HBW_INTERLEAVE),
    STATIC_KIND_CASE(REGULAR),
    STATIC_KIND_CASE(DAX_KMEM),
    STATIC_KIND_CASE(DAX_KMEM_ALL),
    STATIC_KIND_CASE(DAX_KMEM_PREFERRED),
    STATIC_KIND_CASE(DAX_KMEM_INTERLEAVE),
    STATIC_KIND_CASE(HIGHEST_CAPACITY),
    STATIC_KIND_CASE(HIGHEST_CAPACITY_PREFERRED),
    STATIC_KIND_CASE(HIGHEST_CAPACITY_LOCAL),
    STATIC_KIND_CASE(HIGHEST_CAPACITY_LOCAL_PREFERRED),
    STATIC_KIND_CASE(LOWEST_LATENCY_LOCAL),
    STATIC_KIND_CASE(LOWEST_LATENCY_LOCAL_PREFERRED),
    STATIC_KIND_CASE(HIGHEST_BANDWIDTH_LOCAL),
    STATIC_KIND_CASE(HIGHEST_BANDWIDTH_LOCAL_PREFERRED),
};
#undef STATIC_KIND_CASE

using skalloc_int = libmemkind::static_kind::allocator<int>;
using skalloc_long = libmemkind::static_kind::allocator<long>;
using skalloc_char = libmemkind::static_kind::allocator<char>;

TEST(StaticKindAllocatorTest, ContainersOnDefaultKind)
{
    skalloc_char alloc(libmemkind::kinds::DEFAULT);
    exercise_containers(alloc, [](const void *p) {
        EXPECT_EQ(memkind_detect_kind(const_cast<void *>(p)), MEMKIND_DEFAULT);
    });
}

TEST(StaticKindAllocatorTest, AllocateAndDeallocate)
{
    skalloc_int alloc(libmemkind::kinds::DEFAULT);
    int *p = alloc.allocate(1000);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(int), 0u);
    for (int i = 0; i < 1000; ++i) {
        alloc.construct(p + i, i);
    }
    EXPECT_EQ(p[999], 999);
    EXPECT_GE(memkind_malloc_usable_size(MEMKIND_DEFAULT, p),
              1000 * sizeof(int));
    EXPECT_EQ(memkind_detect_kind(p), MEMKIND_DEFAULT);
    for (int i = 0; i < 1000; ++i) {
        alloc.destroy(p + i);
    }
    alloc.deallocate(p, 1000);

    // construct() forwards any arguments and may build another type.
    using Pair = std::pair<std::string, int>;
    libmemkind::static_kind::allocator<Pair> palloc(alloc);
    Pair *pp = palloc.allocate(1);
    palloc.construct(pp, std::string(100, 'q'), 7);
    EXPECT_EQ(pp->first.size(), 100u);
    EXPECT_EQ(pp->second, 7);
    palloc.destroy(pp);
    palloc.deallocate(pp, 1);
}

// memkindallocator(3): "Throw std::bad_alloc when n = 0 or there is not
// enough memory to satisfy the request."
TEST(StaticKindAllocatorTest, AllocateZeroThrowsBadAlloc)
{
    skalloc_int alloc(libmemkind::kinds::DEFAULT);
    EXPECT_THROW(alloc.allocate(0), std::bad_alloc);
}

TEST(StaticKindAllocatorTest, AllocateTooMuchThrowsBadAlloc)
{
    skalloc_int alloc(libmemkind::kinds::DEFAULT);
    const size_t most = std::numeric_limits<size_t>::max() / sizeof(int);
    EXPECT_THROW(alloc.allocate(most), std::bad_alloc);
    EXPECT_THROW(alloc.allocate(most / 2), std::bad_alloc);
    // COMPAT(1.14): n * sizeof(T) overflows here; 1.14 wrapped around and
    // returned a tiny block.
    EXPECT_THROW(alloc.allocate(most + 1), std::bad_alloc);
    EXPECT_THROW(alloc.allocate(most + 2), std::bad_alloc);
}

TEST(StaticKindAllocatorTest, UnknownKindThrowsRuntimeError)
{
    EXPECT_THROW(skalloc_int(static_cast<libmemkind::kinds>(23)),
                 std::runtime_error);
    EXPECT_THROW(skalloc_int(static_cast<libmemkind::kinds>(-1)),
                 std::runtime_error);
    EXPECT_THROW(skalloc_int(static_cast<libmemkind::kinds>(1000)),
                 std::runtime_error);
}

// Construction only names the kind: it succeeds for every value, available or
// not, and each value maps to its own kind.
TEST(StaticKindAllocatorTest, EveryKindConstructsAndIsDistinct)
{
    for (const auto &a : static_kind_cases) {
        SCOPED_TRACE(a.name);
        skalloc_int alloc_a(a.id);
        EXPECT_TRUE(alloc_a == skalloc_long(a.id));
        for (const auto &b : static_kind_cases) {
            if (a.id != b.id) {
                EXPECT_TRUE(alloc_a != skalloc_long(b.id)) << "vs " << b.name;
                EXPECT_FALSE(alloc_a == skalloc_long(b.id)) << "vs " << b.name;
            }
        }
    }
}

// Every kind memkind_check_available() accepts must serve a container, and its
// memory must belong to that kind.
TEST(StaticKindAllocatorTest, EveryAvailableKindAllocates)
{
    int tested = 0;
    for (const auto &k : static_kind_cases) {
        SCOPED_TRACE(k.name);
        // Huge-page kinds: hold the pool's lock (held to exit) so that a test
        // running beside this one (gbtlb_test, hugetlb_test) cannot take the
        // free pages between the check and the allocation.
        if (std::strstr(k.name, "HUGETLB") != nullptr)
            mk_test::hugepage_pool_lock();
        if (memkind_check_available(*k.handle) != MEMKIND_SUCCESS) {
            continue;
        }
        ++tested;
        skalloc_int alloc(k.id);
        try {
            std::vector<int, skalloc_int> vec(alloc);
            for (int i = 0; i < 10000; ++i) {
                vec.push_back(i);
            }
            EXPECT_EQ(vec[9999], 9999);
            EXPECT_EQ(memkind_detect_kind(vec.data()), *k.handle);
        } catch (const std::bad_alloc &) {
            ADD_FAILURE() << "available kind " << k.name
                          << " threw std::bad_alloc";
        }
    }
    EXPECT_GE(tested, 1) << "MEMKIND_DEFAULT at least must be available";
}

TEST(StaticKindAllocatorTest, EqualityFollowsTheKind)
{
    skalloc_int def(libmemkind::kinds::DEFAULT);
    skalloc_long def_long(libmemkind::kinds::DEFAULT);
    skalloc_int reg(libmemkind::kinds::REGULAR);
    skalloc_char interleave(libmemkind::kinds::INTERLEAVE);

    EXPECT_TRUE(def == def);
    EXPECT_TRUE(def == def_long);
    EXPECT_TRUE(def_long == def);
    EXPECT_FALSE(def != def_long);
    EXPECT_TRUE(def != reg);
    EXPECT_FALSE(def == reg);
    EXPECT_TRUE(def != interleave);
    EXPECT_TRUE(reg != interleave);

    // Memory from one of two equal allocators may be freed by the other.
    int *p = def.allocate(10);
    skalloc_int back(def_long);
    back.deallocate(p, 10);
}

TEST(StaticKindAllocatorTest, RebindCopyMoveAndAssignAcrossTypes)
{
    const skalloc_int def(libmemkind::kinds::DEFAULT);
    const skalloc_int reg(libmemkind::kinds::REGULAR);

    skalloc_int::rebind<double>::other as_double(def);
    EXPECT_TRUE(as_double == def);

    skalloc_long copied(def);
    EXPECT_TRUE(copied == def);

    skalloc_long moved(std::move(copied));
    EXPECT_TRUE(moved == def);

    const skalloc_long const_src(reg);
    skalloc_char from_const_rvalue(std::move(const_src));
    EXPECT_TRUE(from_const_rvalue == reg);

    skalloc_int same_type_copy(def);
    skalloc_int same_type_move(std::move(same_type_copy));
    EXPECT_TRUE(same_type_move == def);

    skalloc_long target(libmemkind::kinds::INTERLEAVE);
    target = def;
    EXPECT_TRUE(target == def);
    target = skalloc_char(reg);
    EXPECT_TRUE(target == reg);
    skalloc_int other(libmemkind::kinds::DEFAULT);
    other = skalloc_int(reg);
    EXPECT_TRUE(other == reg);
    other = def;
    EXPECT_TRUE(other == def);

    // The rebound allocator allocates from the same kind.
    double *d = as_double.allocate(4);
    EXPECT_EQ(memkind_detect_kind(d), MEMKIND_DEFAULT);
    as_double.deallocate(d, 4);
}

TEST(StaticKindAllocatorTest, MovedFromContainerStaysUsable)
{
    skalloc_int alloc(libmemkind::kinds::DEFAULT);
    std::vector<int, skalloc_int> a(alloc);
    a.assign(100, 1);
    std::vector<int, skalloc_int> b(std::move(a));
    EXPECT_EQ(b.size(), 100u);
    a.assign(10, 2);
    EXPECT_EQ(a.size(), 10u);
    EXPECT_TRUE(a.get_allocator() == b.get_allocator());
}

// ---------------------------------------------------------------------------
// libmemkind::fixed::allocator
// ---------------------------------------------------------------------------

class FixedAllocatorTest : public ::testing::Test {
  protected:
    static constexpr size_t size = 16 * MiB;

    void SetUp() override
    {
        void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            GTEST_SKIP() << "cannot map a " << size
                         << "-byte buffer: " << std::strerror(errno);
        }
        buffer = static_cast<char *>(p);
    }

    void TearDown() override
    {
        if (buffer != nullptr) {
            EXPECT_EQ(munmap(buffer, size), 0);
        }
    }

    // A check that each block lies in [base, base + len) of the buffer.
    static block_check inside(const char *base, size_t len)
    {
        return [base, len](const void *p) {
            const char *c = static_cast<const char *>(p);
            EXPECT_TRUE(c >= base && c < base + len)
                << static_cast<const void *>(c) << " is outside ["
                << static_cast<const void *>(base) << ", +" << len << ")";
        };
    }

    char *buffer = nullptr;
};

constexpr size_t FixedAllocatorTest::size;

template <class T> using fxalloc = libmemkind::fixed::allocator<T>;

TEST_F(FixedAllocatorTest, ContainersLiveInTheBuffer)
{
    fxalloc<char> alloc(buffer, size);
    exercise_containers(alloc, inside(buffer, size));
}

TEST_F(FixedAllocatorTest, AllocateAndDeallocate)
{
    fxalloc<int> alloc(buffer, size);
    int *p = alloc.allocate(1000);
    inside(buffer, size)(p);
    inside(buffer, size)(p + 999);
    for (int i = 0; i < 1000; ++i) {
        alloc.construct(p + i, -i);
    }
    EXPECT_EQ(p[500], -500);
    alloc.deallocate(p, 1000);
}

// fixedallocator(3): std::bad_alloc when n = 0 or the area is exhausted.
TEST_F(FixedAllocatorTest, AllocateZeroThrowsBadAlloc)
{
    fxalloc<int> alloc(buffer, size);
    EXPECT_THROW(alloc.allocate(0), std::bad_alloc);
}

TEST_F(FixedAllocatorTest, MoreThanTheBufferThrowsBadAlloc)
{
    fxalloc<char> alloc(buffer, size);
    EXPECT_THROW(alloc.allocate(size + 1), std::bad_alloc);
    EXPECT_THROW(alloc.allocate(2 * size), std::bad_alloc);
    // COMPAT(1.14): overflowing n * sizeof(T) wrapped around in 1.14.
    fxalloc<uint64_t> wide(alloc);
    EXPECT_THROW(wide.allocate(std::numeric_limits<size_t>::max() / 4),
                 std::bad_alloc);

    std::vector<char, fxalloc<char>> vec(alloc);
    EXPECT_THROW(vec.reserve(2 * size), std::bad_alloc);
    EXPECT_TRUE(vec.empty());
}

TEST_F(FixedAllocatorTest, ExhaustionThrowsBadAllocAndFreeingRecovers)
{
    const size_t chunk = 64 * 1024;
    fxalloc<char> alloc(buffer, size);
    std::vector<char *> blocks;
    bool exhausted = false;
    // The buffer cannot hold more than size / chunk blocks; allow a margin
    // so that a kind which ignores its bounds is caught by inside().
    for (size_t i = 0; i < 2 * (size / chunk) + 16; ++i) {
        try {
            char *p = alloc.allocate(chunk);
            inside(buffer, size)(p);
            inside(buffer, size)(p + chunk - 1);
            std::memset(p, 0x5a, chunk);
            blocks.push_back(p);
        } catch (const std::bad_alloc &) {
            exhausted = true;
            break;
        }
    }
    EXPECT_TRUE(exhausted) << "the buffer never ran out";
    EXPECT_GT(blocks.size(), 0u);
    EXPECT_LE(blocks.size() * chunk, size);
    for (char *p : blocks) {
        alloc.deallocate(p, chunk);
    }
    char *again = nullptr;
    EXPECT_NO_THROW(again = alloc.allocate(chunk));
    if (again != nullptr) {
        inside(buffer, size)(again);
        alloc.deallocate(again, chunk);
    }
}

TEST_F(FixedAllocatorTest, EqualityFollowsTheKind)
{
    const size_t half = size / 2;
    fxalloc<int> low(buffer, half);
    fxalloc<int> high(buffer + half, half);
    fxalloc<long> low_long(low);

    EXPECT_TRUE(low == low);
    EXPECT_TRUE(low == low_long);
    EXPECT_TRUE(low_long == low);
    EXPECT_FALSE(low != low_long);
    EXPECT_TRUE(low != high);
    EXPECT_FALSE(low == high);

    // Each kind hands out its own half; equal allocators free each other's
    // memory.
    int *a = low.allocate(100);
    int *b = high.allocate(100);
    inside(buffer, half)(a);
    inside(buffer + half, half)(b);
    EXPECT_NE(memkind_detect_kind(a), memkind_detect_kind(b));
    fxalloc<int>(low_long).deallocate(a, 100);
    high.deallocate(b, 100);
}

TEST_F(FixedAllocatorTest, RebindCopyMoveAndAssignAcrossTypes)
{
    const size_t half = size / 2;
    fxalloc<int> low(buffer, half);
    fxalloc<int> high(buffer + half, half);

    fxalloc<int>::rebind<double>::other as_double(low);
    EXPECT_TRUE(as_double == low);
    double *d = as_double.allocate(8);
    inside(buffer, half)(d);
    as_double.deallocate(d, 8);

    fxalloc<long> moved{fxalloc<char>(high)};
    EXPECT_TRUE(moved == high);

    fxalloc<long> target(low);
    target = high;
    EXPECT_TRUE(target == high);
    target = fxalloc<char>(low);
    EXPECT_TRUE(target == low);
    fxalloc<int> same(high);
    same = fxalloc<int>(low);
    EXPECT_TRUE(same == low);
    same = high;
    EXPECT_TRUE(same == high);
}

// The kind belongs to all copies together and outlives the allocator that
// created it.
TEST_F(FixedAllocatorTest, CopiesKeepTheKindAlive)
{
    fxalloc<int> survivor = [this] {
        fxalloc<char> creator(buffer, size);
        return fxalloc<int>(creator);
    }();
    std::vector<int, fxalloc<int>> vec(survivor);
    vec.assign(1000, 42);
    inside(buffer, size)(vec.data());
    EXPECT_EQ(vec[999], 42);
}

// COMPAT(1.14): a moved-from allocator keeps its kind.  1.14 emptied it, so
// reusing a moved-from container crashed.
TEST_F(FixedAllocatorTest, MovedFromAllocatorStaysUsable)
{
    fxalloc<int> a(buffer, size);
    fxalloc<int> b(std::move(a));
    EXPECT_TRUE(a == b);
    int *p = a.allocate(4);
    b.deallocate(p, 4);

    fxalloc<long> c(std::move(b));
    EXPECT_TRUE(b == c);

    std::vector<int, fxalloc<int>> v1(a);
    v1.assign(100, 1);
    std::vector<int, fxalloc<int>> v2(std::move(v1));
    v1.assign(10, 2);
    EXPECT_EQ(v1.size(), 10u);
    inside(buffer, size)(v1.data());
}

// Whether an empty or tiny area is accepted is the library's decision
// (memkind 1.14 accepted both and then failed every allocation); the
// allocator must either throw the matching exception at construction or
// throw std::bad_alloc when asked for more than the area holds.
TEST_F(FixedAllocatorTest, EmptyAreaThrowsAtConstructionOrAllocation)
{
    memkind_t kind = nullptr;
    int err = memkind_create_fixed(nullptr, 0, &kind);
    if (err == MEMKIND_SUCCESS) {
        memkind_destroy_kind(kind);
    }
    expect_outcome_of(err, [] { fxalloc<int> alloc(nullptr, 0); });
    if (err == MEMKIND_SUCCESS) {
        fxalloc<int> alloc(nullptr, 0);
        EXPECT_THROW(alloc.allocate(1), std::bad_alloc);
    }
}

TEST_F(FixedAllocatorTest, SmallBufferThrowsAtConstructionOrAllocation)
{
    const size_t small = 4096;
    memkind_t kind = nullptr;
    int err = memkind_create_fixed(buffer, small, &kind);
    if (err == MEMKIND_SUCCESS) {
        memkind_destroy_kind(kind);
    }
    expect_outcome_of(err, [&] { fxalloc<char> alloc(buffer, small); });
    if (err == MEMKIND_SUCCESS) {
        fxalloc<char> alloc(buffer, small);
        EXPECT_THROW(alloc.allocate(small + 1), std::bad_alloc);
        std::vector<char, fxalloc<char>> vec(alloc);
        EXPECT_THROW(vec.assign(2 * small, 'x'), std::bad_alloc);
        EXPECT_TRUE(vec.empty());
    }
}

// ---------------------------------------------------------------------------
// libmemkind::pmem::allocator
// ---------------------------------------------------------------------------

class PmemAllocatorTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        std::string templ = mk_test_pmem_dir + "/memkind-allocator-test-XXXXXX";
        std::vector<char> buf(templ.begin(), templ.end());
        buf.push_back('\0');
        if (mkdtemp(buf.data()) == nullptr) {
            GTEST_SKIP() << "mkdtemp(" << templ
                         << ") failed: " << std::strerror(errno);
        }
        dir = buf.data();
    }

    void TearDown() override
    {
        if (!dir.empty()) {
            // The kind's file is anonymous: nothing may be left behind;
            // what a failing test left is removed all the same.
            EXPECT_EQ(mk_test::dir_entries(dir), 0) << dir;
            EXPECT_EQ(mk_test::remove_tree(dir), 0) << dir;
        }
    }

    std::string dir;
};

template <class T> using pmalloc = libmemkind::pmem::allocator<T>;

// Pointers all come from one kind that is not MEMKIND_DEFAULT.
struct same_kind_check {
    std::shared_ptr<memkind_t> seen = std::make_shared<memkind_t>(nullptr);

    block_check get() const
    {
        std::shared_ptr<memkind_t> s = seen;
        return [s](const void *p) {
            memkind_t k = memkind_detect_kind(const_cast<void *>(p));
            EXPECT_NE(k, nullptr);
            EXPECT_NE(k, MEMKIND_DEFAULT);
            if (*s == nullptr) {
                *s = k;
            }
            EXPECT_EQ(k, *s);
        };
    }
};

TEST_F(PmemAllocatorTest, ContainersUnlimitedKind)
{
    pmalloc<char> alloc(dir.c_str(), 0);
    exercise_containers(alloc, same_kind_check().get());
}

TEST_F(PmemAllocatorTest, ContainersEveryConstructor)
{
    {
        pmalloc<char> alloc(dir, 4 * MEMKIND_PMEM_MIN_SIZE);
        exercise_containers(alloc, same_kind_check().get());
    }
    {
        pmalloc<char> alloc(dir.c_str(), 4 * MEMKIND_PMEM_MIN_SIZE,
                            libmemkind::allocation_policy::DEFAULT);
        exercise_containers(alloc, same_kind_check().get());
    }
    {
        pmalloc<char> alloc(dir, 0,
                            libmemkind::allocation_policy::CONSERVATIVE);
        exercise_containers(alloc, same_kind_check().get());
    }
}

TEST_F(PmemAllocatorTest, AllocateAndDeallocate)
{
    pmalloc<int> alloc(dir, MEMKIND_PMEM_MIN_SIZE);
    int *p = alloc.allocate(1000);
    for (int i = 0; i < 1000; ++i) {
        alloc.construct(p + i, 3 * i);
    }
    EXPECT_EQ(p[999], 2997);
    memkind_t kind = memkind_detect_kind(p);
    EXPECT_NE(kind, nullptr);
    EXPECT_NE(kind, MEMKIND_DEFAULT);
    EXPECT_GE(memkind_malloc_usable_size(kind, p), 1000 * sizeof(int));
    alloc.deallocate(p, 1000);
}

// pmemallocator(3): std::bad_alloc when n = 0 or the kind is full.
TEST_F(PmemAllocatorTest, AllocateZeroThrowsBadAlloc)
{
    pmalloc<int> alloc(dir, MEMKIND_PMEM_MIN_SIZE);
    EXPECT_THROW(alloc.allocate(0), std::bad_alloc);
}

TEST_F(PmemAllocatorTest, BeyondMaxSizeThrowsBadAlloc)
{
    const size_t max_size = MEMKIND_PMEM_MIN_SIZE;
    pmalloc<char> alloc(dir, max_size);
    EXPECT_THROW(alloc.allocate(max_size + 1), std::bad_alloc);
    EXPECT_THROW(alloc.allocate(4 * max_size), std::bad_alloc);
    // COMPAT(1.14): overflowing n * sizeof(T) wrapped around in 1.14.
    pmalloc<uint64_t> wide(alloc);
    EXPECT_THROW(wide.allocate(std::numeric_limits<size_t>::max() / 4),
                 std::bad_alloc);

    const size_t chunk = 1 * MiB;
    std::vector<char *> blocks;
    bool exhausted = false;
    for (size_t i = 0; i < 4 * (max_size / chunk); ++i) {
        try {
            blocks.push_back(alloc.allocate(chunk));
            std::memset(blocks.back(), 0x33, chunk);
        } catch (const std::bad_alloc &) {
            exhausted = true;
            break;
        }
    }
    EXPECT_TRUE(exhausted) << "a " << max_size << "-byte kind never filled up";
    EXPECT_GE(blocks.size(), 1u);
    EXPECT_LE(blocks.size() * chunk, max_size);
    for (char *p : blocks) {
        alloc.deallocate(p, chunk);
    }
    char *again = nullptr;
    EXPECT_NO_THROW(again = alloc.allocate(chunk));
    if (again != nullptr) {
        alloc.deallocate(again, chunk);
    }
}

TEST_F(PmemAllocatorTest, MissingDirectoryThrows)
{
    const std::string missing = dir + "/does/not/exist";
    memkind_t kind = nullptr;
    int err = memkind_create_pmem(missing.c_str(), 0, &kind);
    if (err == MEMKIND_SUCCESS) {
        memkind_destroy_kind(kind);
    }
    expect_throw_for_error(err, [&] { pmalloc<int> a(missing, 0); });
    expect_throw_for_error(err, [&] { pmalloc<int> a(missing.c_str(), 0); });
    expect_throw_for_error(err, [&] {
        pmalloc<int> a(missing, 0, libmemkind::allocation_policy::CONSERVATIVE);
    });
}

TEST_F(PmemAllocatorTest, FileInsteadOfDirectoryThrows)
{
    const std::string file = dir + "/plain-file";
    int fd = open(file.c_str(), O_CREAT | O_WRONLY | O_EXCL, 0600);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    close(fd);

    memkind_t kind = nullptr;
    int err = memkind_create_pmem(file.c_str(), 0, &kind);
    if (err == MEMKIND_SUCCESS) {
        memkind_destroy_kind(kind);
    }
    expect_throw_for_error(err, [&] { pmalloc<int> a(file, 0); });
    EXPECT_EQ(unlink(file.c_str()), 0);
}

// memkind 1.14 crashed (SIGSEGV) in memkind_create_pmem(NULL, ...).
TEST_F(PmemAllocatorTest, NullDirectoryThrows)
{
    memkind_t kind = nullptr;
    int err = memkind_create_pmem(nullptr, 0, &kind);
    if (err == MEMKIND_SUCCESS) {
        memkind_destroy_kind(kind);
    }
    expect_throw_for_error(
        err, [] { pmalloc<int> a(static_cast<const char *>(nullptr), 0); });
}

// memkind(3): a max_size below MEMKIND_PMEM_MIN_SIZE other than 0 is an error.
TEST_F(PmemAllocatorTest, TooSmallMaxSizeThrows)
{
    const size_t small = MEMKIND_PMEM_MIN_SIZE - 1;
    memkind_t kind = nullptr;
    int err = memkind_create_pmem(dir.c_str(), small, &kind);
    if (err == MEMKIND_SUCCESS) {
        memkind_destroy_kind(kind);
    }
    expect_throw_for_error(err, [&] { pmalloc<int> a(dir, small); });
}

// allocation_policy::MAX is not a policy; the library decides (1.14 said
// MEMKIND_ERROR_INVALID, hence std::invalid_argument).
TEST_F(PmemAllocatorTest, MaxPolicyFollowsTheLibrary)
{
    struct memkind_config *cfg = memkind_config_new();
    ASSERT_NE(cfg, nullptr);
    memkind_config_set_path(cfg, dir.c_str());
    memkind_config_set_size(cfg, 0);
    memkind_config_set_memory_usage_policy(
        cfg, static_cast<memkind_mem_usage_policy>(
                 libmemkind::allocation_policy::MAX));
    memkind_t kind = nullptr;
    int err = memkind_create_pmem_with_config(cfg, &kind);
    memkind_config_delete(cfg);
    if (err == MEMKIND_SUCCESS) {
        memkind_destroy_kind(kind);
    }
    expect_outcome_of(err, [&] {
        pmalloc<int> a(dir, 0, libmemkind::allocation_policy::MAX);
    });
}

TEST_F(PmemAllocatorTest, EqualityFollowsTheKind)
{
    pmalloc<int> a(dir, 0);
    pmalloc<int> b(dir, 0); // same directory, another kind
    pmalloc<long> a_long(a);

    EXPECT_TRUE(a == a);
    EXPECT_TRUE(a == a_long);
    EXPECT_TRUE(a_long == a);
    EXPECT_FALSE(a != a_long);
    EXPECT_TRUE(a != b);
    EXPECT_FALSE(a == b);

    int *pa = a.allocate(10);
    long *pl = a_long.allocate(10);
    int *pb = b.allocate(10);
    EXPECT_EQ(memkind_detect_kind(pa), memkind_detect_kind(pl));
    EXPECT_NE(memkind_detect_kind(pa), memkind_detect_kind(pb));
    pmalloc<int>(a_long).deallocate(pa, 10);
    a_long.deallocate(pl, 10);
    b.deallocate(pb, 10);
}

TEST_F(PmemAllocatorTest, RebindCopyMoveAndAssignAcrossTypes)
{
    pmalloc<int> a(dir, 0);
    pmalloc<int> b(dir, 0);

    pmalloc<int>::rebind<std::string>::other as_string(a);
    EXPECT_TRUE(as_string == a);
    std::string *s = as_string.allocate(2);
    as_string.construct(s, 200, 'z');
    EXPECT_EQ(s->size(), 200u);
    as_string.destroy(s);
    as_string.deallocate(s, 2);

    pmalloc<long> moved{pmalloc<char>(b)};
    EXPECT_TRUE(moved == b);

    pmalloc<long> target(a);
    target = b;
    EXPECT_TRUE(target == b);
    target = pmalloc<char>(a);
    EXPECT_TRUE(target == a);
    pmalloc<int> same(b);
    same = pmalloc<int>(a);
    EXPECT_TRUE(same == a);
    same = b;
    EXPECT_TRUE(same == b);
}

TEST_F(PmemAllocatorTest, CopiesKeepTheKindAlive)
{
    pmalloc<int> survivor = [this] {
        pmalloc<char> creator(dir, 0);
        return pmalloc<int>(creator);
    }();
    std::vector<int, pmalloc<int>> vec(survivor);
    vec.assign(10000, 7);
    EXPECT_EQ(vec[9999], 7);
    EXPECT_NE(memkind_detect_kind(vec.data()), MEMKIND_DEFAULT);
}

// COMPAT(1.14): a moved-from allocator keeps its kind.  1.14 emptied it, so
// reusing a moved-from container crashed.
TEST_F(PmemAllocatorTest, MovedFromAllocatorStaysUsable)
{
    pmalloc<int> a(dir, 0);
    pmalloc<int> b(std::move(a));
    EXPECT_TRUE(a == b);
    int *p = a.allocate(4);
    b.deallocate(p, 4);

    std::list<int, pmalloc<int>> l1(a);
    l1.assign(100, 1);
    std::list<int, pmalloc<int>> l2(std::move(l1));
    l1.assign(10, 2);
    EXPECT_EQ(l1.size(), 10u);
    EXPECT_EQ(l2.size(), 100u);
}

// One PMEM kind used first by one thread, then by several at once (1.14
// crashed in this pattern).
TEST_F(PmemAllocatorTest, SharedByThreads)
{
    pmalloc<int> alloc(dir, 0);
    {
        std::vector<int, pmalloc<int>> warmup(alloc);
        warmup.assign(1000, 1);
    }
    std::vector<std::thread> threads;
    std::vector<int> ok(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&alloc, &ok, t] {
            pmalloc<int> mine(alloc);
            bool good = true;
            for (int round = 0; round < 50; ++round) {
                std::vector<int, pmalloc<int>> v(mine);
                for (int i = 0; i < 2000; ++i) {
                    v.push_back(t * 100000 + i);
                }
                std::list<int, pmalloc<int>> l(v.begin(), v.end(), mine);
                good = good && v[1999] == t * 100000 + 1999 &&
                       l.back() == t * 100000 + 1999;
            }
            ok[t] = good ? 1 : 0;
        });
    }
    for (auto &th : threads) {
        th.join();
    }
    for (int t = 0; t < 4; ++t) {
        EXPECT_EQ(ok[t], 1) << "thread " << t;
    }
}

// ---------------------------------------------------------------------------
// hbw::allocator (needs high-bandwidth memory)
// ---------------------------------------------------------------------------

class HbwAllocatorTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        if (hbw_check_available() != 0) {
            GTEST_SKIP() << "no high-bandwidth memory here "
                            "(hbw_check_available() != 0)";
        }
    }
};

TEST_F(HbwAllocatorTest, Containers)
{
    hbw::allocator<char> alloc;
    exercise_containers(alloc, [](const void *p) {
        EXPECT_NE(hbw_malloc_usable_size(const_cast<void *>(p)), 0u);
    });
}

TEST_F(HbwAllocatorTest, AllocateAndDeallocate)
{
    hbw::allocator<int> alloc;
    int *p = alloc.allocate(1000);
    ASSERT_NE(p, nullptr);
    for (int i = 0; i < 1000; ++i) {
        alloc.construct(p + i, i);
    }
    EXPECT_EQ(p[999], 999);
    EXPECT_EQ(alloc.address(p[10]), p + 10);
    const int &cref = p[20];
    EXPECT_EQ(alloc.address(cref), p + 20);
    EXPECT_GE(hbw_malloc_usable_size(p), 1000 * sizeof(int));
    for (int i = 0; i < 1000; ++i) {
        alloc.destroy(p + i);
    }
    alloc.deallocate(p, 1000);
}

// hbwallocator(3): std::bad_alloc when n = 0, n > max_size() or out of memory.
TEST_F(HbwAllocatorTest, BadAllocCases)
{
    hbw::allocator<int> alloc;
    EXPECT_EQ(alloc.max_size(),
              std::numeric_limits<size_t>::max() / sizeof(int));
    EXPECT_THROW(alloc.allocate(0), std::bad_alloc);
    EXPECT_THROW(alloc.allocate(alloc.max_size() + 1), std::bad_alloc);
    EXPECT_THROW(alloc.allocate(alloc.max_size()), std::bad_alloc);
}

TEST_F(HbwAllocatorTest, AllAllocatorsAreEqual)
{
    hbw::allocator<int> a;
    hbw::allocator<long> b;
    hbw::allocator<int>::rebind<double>::other c(a);
    EXPECT_TRUE(a == b);
    EXPECT_FALSE(a != b);
    EXPECT_TRUE(c == a);

    int *p = a.allocate(8);
    hbw::allocator<int>(b).deallocate(p, 8);
}

} // namespace
