// SPDX-License-Identifier: BSD-2-Clause
/*
 * negative_test.cpp - every memkind.h function fed bad input: NULL kinds
 * and pointers, out-of-range enums, bad directories and sizes, static kinds
 * where dynamic ones are expected.  Each call must return the documented
 * error (memkind(3), memkind_pmem(3)) or NULL, must not crash, must not leak
 * file descriptors, and must leave no half-made kind behind.  Also checks
 * memkind_error_message(), memkind_get_kind_by_partition() and
 * memkind_get_version().  Black box: links only libmemkind.
 */
#include "common/capabilities.hpp"
#include "common/test_util.hpp"

#include <memkind.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

// memkind_get_kind_by_partition() is deprecated; these tests exercise it.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

// Building blocks of memkind_default(3) and memkind_arena(3), exported as in
// 1.14; their headers (memkind/internal/) are not installed.
extern "C" int memkind_default_posix_memalign(struct memkind *kind,
                                              void **memptr, size_t alignment,
                                              size_t size);
extern "C" int memkind_arena_posix_memalign(struct memkind *kind, void **memptr,
                                            size_t alignment, size_t size);

using namespace mk_test;

namespace
{

struct StaticKind {
    const char *name;
    memkind_t *kind;
    int partition;
};

#define SK(ID)                                                                 \
    StaticKind                                                                 \
    {                                                                          \
#ID, &MEMKIND_##ID, MEMKIND_PARTITION_##ID                             \
    }
const StaticKind kStaticKinds[] = {
    SK(DEFAULT),
    SK(HBW),
    SK(HBW_HUGETLB),
    SK(HBW_PREFERRED),
    SK(HBW_PREFERRED_HUGETLB),
    SK(HUGETLB),
    SK(HBW_GBTLB),
    SK(HBW_PREFERRED_GBTLB),
    SK(GBTLB),
    SK(HBW_INTERLEAVE),
    SK(INTERLEAVE),
    SK(REGULAR),
    SK(HBW_ALL),
    SK(HBW_ALL_HUGETLB),
    SK(DAX_KMEM),
    SK(DAX_KMEM_ALL),
    SK(DAX_KMEM_PREFERRED),
    SK(DAX_KMEM_INTERLEAVE),
    SK(HIGHEST_CAPACITY),
    SK(HIGHEST_CAPACITY_PREFERRED),
    SK(HIGHEST_CAPACITY_LOCAL),
    SK(HIGHEST_CAPACITY_LOCAL_PREFERRED),
    SK(LOWEST_LATENCY_LOCAL),
    SK(LOWEST_LATENCY_LOCAL_PREFERRED),
    SK(HIGHEST_BANDWIDTH_LOCAL),
    SK(HIGHEST_BANDWIDTH_LOCAL_PREFERRED),
};
#undef SK

static_assert(sizeof(kStaticKinds) / sizeof(kStaticKinds[0]) ==
                  MEMKIND_NUM_BASE_KIND,
              "every static kind is listed");

/// Counts live dynamic kinds through the (deprecated) partition lookup.
int dynamic_kinds_alive()
{
    int n = 0;
    for (int p = MEMKIND_NUM_BASE_KIND; p < MEMKIND_MAX_KIND; p++) {
        memkind_t k = nullptr;
        if (memkind_get_kind_by_partition(p, &k) == 0)
            n++;
    }
    return n;
}

// ------------------------------------------------------- NULL kind / ptr

TEST(NullKind, MallocCallocReturnNull)
{
    EXPECT_EQ(memkind_malloc(nullptr, 16), nullptr);
    EXPECT_EQ(memkind_malloc(nullptr, 0), nullptr);
    EXPECT_EQ(memkind_calloc(nullptr, 1, 16), nullptr);
    EXPECT_EQ(memkind_calloc(nullptr, 0, 16), nullptr);
}

TEST(NullKind, ReallocNullNullIsEINVAL)
{
    // memkind(3): "Passing NULL for both kind and ptr returns NULL with
    // errno set to EINVAL, because there is no kind to allocate from."
    for (size_t n : {size_t(0), size_t(1), size_t(4096), SIZE_MAX}) {
        errno = 0;
        EXPECT_EQ(memkind_realloc(nullptr, nullptr, n), nullptr) << n;
        EXPECT_EQ(errno, EINVAL) << n;
    }
}

TEST(NullKind, PosixMemalignIsEINVALErrnoKept)
{
    // memkind(3): posix_memalign "reports failure through its return value
    // and leaves errno as it was on entry."
    void *p = nullptr;
    errno = kErrnoSentinel;
    EXPECT_EQ(memkind_posix_memalign(nullptr, &p, 64, 64), EINVAL);
    EXPECT_EQ(errno, kErrnoSentinel);
}

TEST(NullKind, PosixMemalignNullKindStoresNull)
{
    // CONVENTIONS.md 5: every kind but MEMKIND_DEFAULT clears *memptr on
    // failure; with no kind at all there is nothing to keep it for.
    void *p = reinterpret_cast<void *>(0x1234);
    EXPECT_EQ(memkind_posix_memalign(nullptr, &p, 64, 64), EINVAL);
    EXPECT_EQ(p, nullptr);
}

TEST(BuildingBlocks, PosixMemalignMemptrAs114)
{
    // Measured on Debian's libmemkind0 1.14.0, called directly as kind
    // authors do (memkind_default(3), memkind_arena(3)):
    // memkind_default_posix_memalign() leaves *memptr alone on failure,
    // memkind_arena_posix_memalign() stores NULL first; both return 0 with
    // NULL for size 0, and keep errno.
    void *const sentinel = reinterpret_cast<void *>(0x1234);
    void *p = sentinel;
    errno = kErrnoSentinel;
    EXPECT_EQ(memkind_default_posix_memalign(MEMKIND_DEFAULT, &p, 3, 64),
              EINVAL);
    EXPECT_EQ(p, sentinel);
    EXPECT_EQ(memkind_default_posix_memalign(MEMKIND_DEFAULT, &p, 64,
                                             SIZE_MAX - 8192),
              ENOMEM);
    EXPECT_EQ(p, sentinel);
    EXPECT_EQ(errno, kErrnoSentinel);
    EXPECT_EQ(memkind_default_posix_memalign(MEMKIND_DEFAULT, &p, 64, 0), 0);
    EXPECT_EQ(p, nullptr);

    // Through the API first: the static kind's arenas exist afterwards.
    void *q = nullptr;
    ASSERT_EQ(memkind_posix_memalign(MEMKIND_REGULAR, &q, 64, 64), 0);
    memkind_free(MEMKIND_REGULAR, q);
    p = sentinel;
    EXPECT_EQ(memkind_arena_posix_memalign(MEMKIND_REGULAR, &p, 3, 64), EINVAL);
    EXPECT_EQ(p, nullptr);
    p = sentinel;
    EXPECT_EQ(
        memkind_arena_posix_memalign(MEMKIND_REGULAR, &p, 64, SIZE_MAX - 8192),
        ENOMEM);
    EXPECT_EQ(p, nullptr);
    p = sentinel;
    EXPECT_EQ(memkind_arena_posix_memalign(MEMKIND_REGULAR, &p, 64, 0), 0);
    EXPECT_EQ(p, nullptr);
    EXPECT_EQ(errno, kErrnoSentinel);
    p = nullptr;
    ASSERT_EQ(memkind_arena_posix_memalign(MEMKIND_REGULAR, &p, 4096, 100), 0);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(uintptr_t(p) % 4096, 0u);
    memkind_free(MEMKIND_REGULAR, p);
}

TEST(NullKind, PosixMemalignNullMemptrIsEINVAL)
{
    errno = kErrnoSentinel;
    EXPECT_EQ(memkind_posix_memalign(MEMKIND_DEFAULT, nullptr, 64, 64), EINVAL);
    EXPECT_EQ(errno, kErrnoSentinel);
}

TEST(NullKind, FreeAndUsableSizeOfNull)
{
    // memkind(3): "A NULL ptr is ignored."  usable size: "It returns 0 for a
    // NULL ptr."  free: "never changes errno."
    errno = kErrnoSentinel;
    memkind_free(nullptr, nullptr);
    memkind_free(MEMKIND_DEFAULT, nullptr);
    EXPECT_EQ(errno, kErrnoSentinel);
    EXPECT_EQ(memkind_malloc_usable_size(nullptr, nullptr), 0u);
    EXPECT_EQ(memkind_malloc_usable_size(MEMKIND_DEFAULT, nullptr), 0u);
    EXPECT_EQ(memkind_detect_kind(nullptr), nullptr);
    EXPECT_EQ(memkind_defrag_reallocate(nullptr, nullptr), nullptr);
    EXPECT_EQ(memkind_defrag_reallocate(MEMKIND_DEFAULT, nullptr), nullptr);
}

TEST(NullKind, FreeWithNullKindFindsOwner)
{
    // memkind(3): "When kind is NULL the library looks the kind up from the
    // address".
    void *p = memkind_malloc(MEMKIND_DEFAULT, 100);
    ASSERT_NE(p, nullptr);
    EXPECT_GE(memkind_malloc_usable_size(nullptr, p), 100u);
    errno = kErrnoSentinel;
    memkind_free(nullptr, p);
    EXPECT_EQ(errno, kErrnoSentinel);
}

TEST(NullKind, CheckAvailableCapacityDestroy)
{
    // memkind(3): get_capacity "returns -1 on error".
    EXPECT_EQ(memkind_check_available(nullptr), MEMKIND_ERROR_INVALID);
    EXPECT_EQ(memkind_get_capacity(nullptr), -1);
    EXPECT_EQ(memkind_destroy_kind(nullptr), MEMKIND_ERROR_INVALID);
}

// ----------------------------------------------------------- static kinds

TEST(StaticKinds, DestroyIsANoOpAndKindStillWorks)
{
    // COMPAT(1.14): memkind_create_kind() returns static kinds and programs
    // destroy what it gave them; 1.14 returns 0 and leaves the kind alone.
    std::vector<int> avail_before;
    for (const StaticKind &s : kStaticKinds)
        avail_before.push_back(memkind_check_available(*s.kind));
    for (const StaticKind &s : kStaticKinds) {
        memkind_t k = *s.kind;
        EXPECT_EQ(memkind_destroy_kind(k), 0) << s.name;
        EXPECT_EQ(memkind_destroy_kind(k), 0) << s.name << " (twice)";
        EXPECT_EQ(*s.kind, k) << s.name;
    }
    for (size_t i = 0; i < MEMKIND_NUM_BASE_KIND; i++) {
        const StaticKind &s = kStaticKinds[i];
        EXPECT_EQ(memkind_check_available(*s.kind), avail_before[i]) << s.name;
        memkind_t k = nullptr;
        EXPECT_EQ(memkind_get_kind_by_partition(s.partition, &k), 0) << s.name;
        EXPECT_EQ(k, *s.kind) << s.name;
        if (avail_before[i] != 0 || s.kind == &MEMKIND_HUGETLB ||
            s.kind == &MEMKIND_GBTLB)
            continue;
        void *p = memkind_malloc(*s.kind, 4096);
        ASSERT_NE(p, nullptr) << s.name << " stopped working";
        std::memset(p, 1, 4096);
        EXPECT_EQ(memkind_detect_kind(p), *s.kind) << s.name;
        memkind_free(*s.kind, p);
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(StaticKinds, DestroyWhileBlocksAreLiveKeepsThem)
{
    // The no-op must really be one: blocks allocated before stay valid and
    // keep their kind.
    void *p = memkind_malloc(MEMKIND_DEFAULT, 1000);
    void *q = memkind_malloc(MEMKIND_REGULAR, 3 << 20);
    ASSERT_NE(p, nullptr);
    ASSERT_NE(q, nullptr);
    fill_pattern(p, 1000, 7);
    fill_pattern(q, 3 << 20, 8);
    EXPECT_EQ(memkind_destroy_kind(MEMKIND_DEFAULT), 0);
    EXPECT_EQ(memkind_destroy_kind(MEMKIND_REGULAR), 0);
    EXPECT_TRUE(check_pattern(p, 1000, 7));
    EXPECT_TRUE(check_pattern(q, 3 << 20, 8));
    EXPECT_EQ(memkind_detect_kind(q), MEMKIND_REGULAR);
    memkind_free(MEMKIND_DEFAULT, p);
    memkind_free(MEMKIND_REGULAR, q);
}

// ---------------------------------------------------- memkind_create_kind

TEST(CreateKind, BadMemtypeIsInvalid)
{
    // memkind(3): combinations without a kind are refused with
    // MEMKIND_ERROR_INVALID; the policy and flags here name
    // MEMKIND_DEFAULT with MEMKIND_MEMTYPE_DEFAULT.
    const long long bad[] = {0, 3, 4, 8, 1 | 4, 2 | 8, 0x10000, 1LL << 31, -1};
    for (long long m : bad) {
        memkind_t k = nullptr;
        EXPECT_EQ(memkind_create_kind(raw_enum<memkind_memtype_t>(m),
                                      MEMKIND_POLICY_PREFERRED_LOCAL,
                                      memkind_bits_t(0), &k),
                  MEMKIND_ERROR_INVALID)
            << "memtype " << m;
        EXPECT_EQ(k, nullptr);
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, BadPolicyIsInvalid)
{
    // memkind(3): "MEMKIND_POLICY_MAX_VALUE One past the last policy; not a
    // valid argument."
    const long long bad[] = {MEMKIND_POLICY_MAX_VALUE,
                             MEMKIND_POLICY_MAX_VALUE + 1, 100, -1, INT_MAX};
    for (long long pol : bad) {
        memkind_t k = nullptr;
        EXPECT_EQ(memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                      raw_enum<memkind_policy_t>(pol),
                                      memkind_bits_t(0), &k),
                  MEMKIND_ERROR_INVALID)
            << "policy " << pol;
        EXPECT_EQ(k, nullptr);
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, BadFlagsAreInvalid)
{
    // memkind(3): "flags is 0 or a value from MEMORY FLAGS".  The only
    // value is MEMKIND_MASK_PAGE_SIZE_2MB (21); bits of it are not values
    // (1.14 refuses them).
    const long long bad[] = {1, 2,       4,       8,         16, 20,        22,
                             5, 1 << 20, 1 << 22, 1LL << 30, -1, 21 | 0x100};
    for (long long f : bad) {
        memkind_t k = nullptr;
        EXPECT_EQ(memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                      MEMKIND_POLICY_PREFERRED_LOCAL,
                                      raw_enum<memkind_bits_t>(f), &k),
                  MEMKIND_ERROR_INVALID)
            << "flags " << f;
        EXPECT_EQ(k, nullptr);
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, NullKindPointerIsInvalid)
{
    EXPECT_EQ(memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                  MEMKIND_POLICY_PREFERRED_LOCAL,
                                  memkind_bits_t(0), nullptr),
              MEMKIND_ERROR_INVALID);
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, CombinationsWithoutAKindAreInvalid)
{
    // COMPAT(1.14): regular memory only with PREFERRED_LOCAL, HBW without
    // INTERLEAVE_LOCAL, both types only interleaved over all nodes, and no
    // 2 MiB variant of the interleaving kinds.
    const auto both = memkind_memtype_t(MEMKIND_MEMTYPE_DEFAULT |
                                        MEMKIND_MEMTYPE_HIGH_BANDWIDTH);
    struct {
        memkind_memtype_t m;
        memkind_policy_t p;
        memkind_bits_t f;
    } const refused[] = {
        {MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_BIND_LOCAL, memkind_bits_t(0)},
        {MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_BIND_ALL, memkind_bits_t(0)},
        {MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_INTERLEAVE_LOCAL,
         memkind_bits_t(0)},
        {MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_INTERLEAVE_ALL,
         memkind_bits_t(0)},
        {MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_BIND_ALL,
         MEMKIND_MASK_PAGE_SIZE_2MB},
        {MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_INTERLEAVE_ALL,
         MEMKIND_MASK_PAGE_SIZE_2MB},
        {MEMKIND_MEMTYPE_HIGH_BANDWIDTH, MEMKIND_POLICY_INTERLEAVE_LOCAL,
         memkind_bits_t(0)},
        {MEMKIND_MEMTYPE_HIGH_BANDWIDTH, MEMKIND_POLICY_INTERLEAVE_LOCAL,
         MEMKIND_MASK_PAGE_SIZE_2MB},
        {MEMKIND_MEMTYPE_HIGH_BANDWIDTH, MEMKIND_POLICY_INTERLEAVE_ALL,
         MEMKIND_MASK_PAGE_SIZE_2MB},
        {both, MEMKIND_POLICY_BIND_LOCAL, memkind_bits_t(0)},
        {both, MEMKIND_POLICY_BIND_ALL, memkind_bits_t(0)},
        {both, MEMKIND_POLICY_PREFERRED_LOCAL, memkind_bits_t(0)},
        {both, MEMKIND_POLICY_INTERLEAVE_LOCAL, memkind_bits_t(0)},
        {both, MEMKIND_POLICY_INTERLEAVE_ALL, MEMKIND_MASK_PAGE_SIZE_2MB},
    };
    for (const auto &r : refused) {
        memkind_t k = nullptr;
        EXPECT_EQ(memkind_create_kind(r.m, r.p, r.f, &k), MEMKIND_ERROR_INVALID)
            << "memtype " << r.m << " policy " << r.p << " flags " << r.f;
        EXPECT_EQ(k, nullptr);
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, HighBandwidthWithoutHbwIsNotAvailable)
{
    // memkind(3): a memory type the machine does not have is refused with
    // MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE.
    if (has_hbw())
        GTEST_SKIP() << "this machine has high-bandwidth memory";
    struct {
        memkind_policy_t p;
        memkind_bits_t f;
    } const cases[] = {
        {MEMKIND_POLICY_BIND_LOCAL, memkind_bits_t(0)},
        {MEMKIND_POLICY_BIND_LOCAL, MEMKIND_MASK_PAGE_SIZE_2MB},
        {MEMKIND_POLICY_BIND_ALL, memkind_bits_t(0)},
        {MEMKIND_POLICY_BIND_ALL, MEMKIND_MASK_PAGE_SIZE_2MB},
        {MEMKIND_POLICY_INTERLEAVE_ALL, memkind_bits_t(0)},
    };
    for (const auto &c : cases) {
        memkind_t k = nullptr;
        EXPECT_EQ(
            memkind_create_kind(MEMKIND_MEMTYPE_HIGH_BANDWIDTH, c.p, c.f, &k),
            MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE)
            << "policy " << c.p << " flags " << c.f;
        EXPECT_EQ(k, nullptr);
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, HighBandwidthPreferredWithoutHbwIsDefaultKind)
{
    // COMPAT(1.14): "preferred" HBW on a machine without HBW memory gives
    // MEMKIND_DEFAULT, with or without 2 MiB pages.
    if (has_hbw())
        GTEST_SKIP() << "this machine has high-bandwidth memory";
    for (memkind_bits_t fl : {memkind_bits_t(0), MEMKIND_MASK_PAGE_SIZE_2MB}) {
        memkind_t k = nullptr;
        ASSERT_EQ(0,
                  memkind_create_kind(MEMKIND_MEMTYPE_HIGH_BANDWIDTH,
                                      MEMKIND_POLICY_PREFERRED_LOCAL, fl, &k));
        EXPECT_EQ(k, MEMKIND_DEFAULT) << "flags " << fl;
        void *p = memkind_malloc(k, 1000);
        ASSERT_NE(p, nullptr);
        memset(p, 1, 1000);
        EXPECT_EQ(MEMKIND_DEFAULT, memkind_detect_kind(p));
        memkind_free(k, p);
        EXPECT_EQ(0, memkind_destroy_kind(k));
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, BothMemtypesInterleavedIsInterleaveKind)
{
    // COMPAT(1.14): DEFAULT | HIGH_BANDWIDTH with INTERLEAVE_ALL is
    // MEMKIND_INTERLEAVE.
    memkind_t k = nullptr;
    const auto both = memkind_memtype_t(MEMKIND_MEMTYPE_DEFAULT |
                                        MEMKIND_MEMTYPE_HIGH_BANDWIDTH);
    ASSERT_EQ(0, memkind_create_kind(both, MEMKIND_POLICY_INTERLEAVE_ALL,
                                     memkind_bits_t(0), &k));
    EXPECT_EQ(k, MEMKIND_INTERLEAVE);
    void *p = memkind_malloc(k, 1 << 20);
    ASSERT_NE(p, nullptr);
    memset(p, 1, 1 << 20);
    EXPECT_EQ(MEMKIND_INTERLEAVE, memkind_detect_kind(p));
    memkind_free(k, p);
    EXPECT_EQ(0, memkind_destroy_kind(k));
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, DefaultPreferredIsDefaultKindAndSurvivesDestroy)
{
    // Positive control for the refusals above: 1.14's one combination of
    // regular memory; destroying what it returned is 0 and harmless.
    memkind_t k = nullptr;
    ASSERT_EQ(memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                  MEMKIND_POLICY_PREFERRED_LOCAL,
                                  memkind_bits_t(0), &k),
              0);
    EXPECT_EQ(k, MEMKIND_DEFAULT);
    EXPECT_EQ(dynamic_kinds_alive(), 0);
    void *p = memkind_malloc(k, 10);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(memkind_destroy_kind(k), 0);
    memkind_free(k, p);
    p = memkind_malloc(MEMKIND_DEFAULT, 10);
    EXPECT_NE(p, nullptr) << "MEMKIND_DEFAULT stopped working";
    memkind_free(MEMKIND_DEFAULT, p);
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

// ------------------------------------------------------------ partitions

TEST(Partition, OutOfRangeIsUnavailable)
{
    // memkind(3): "returns MEMKIND_ERROR_UNAVAILABLE when no kind has that
    // number."
    ASSERT_EQ(dynamic_kinds_alive(), 0);
    for (int p : {-1, -100, INT_MIN, int(MEMKIND_NUM_BASE_KIND),
                  int(MEMKIND_NUM_BASE_KIND) + 1, MEMKIND_MAX_KIND - 1,
                  int(MEMKIND_MAX_KIND), MEMKIND_MAX_KIND + 1, INT_MAX}) {
        memkind_t k = reinterpret_cast<memkind_t>(0x1);
        EXPECT_EQ(memkind_get_kind_by_partition(p, &k),
                  MEMKIND_ERROR_UNAVAILABLE)
            << p;
        EXPECT_EQ(k, reinterpret_cast<memkind_t>(0x1))
            << "*kind written on failure";
    }
}

TEST(Partition, StaticPartitionsMatchKindPointers)
{
    // memkind(3): "The static kinds have the numbers given by the
    // MEMKIND_PARTITION_* constants."
    for (const StaticKind &s : kStaticKinds) {
        memkind_t k = nullptr;
        ASSERT_EQ(memkind_get_kind_by_partition(s.partition, &k), 0) << s.name;
        EXPECT_EQ(k, *s.kind) << s.name;
    }
}

TEST(Partition, NullKindPointerDoesNotCrash)
{
    int err = memkind_get_kind_by_partition(MEMKIND_PARTITION_DEFAULT, nullptr);
    EXPECT_NE(err, 0);
}

TEST(Partition, DynamicKindGetsFreePartition)
{
    static char buf[64 * 1024];
    memkind_t k = nullptr;
    ASSERT_EQ(memkind_create_fixed(buf, sizeof(buf), &k), 0);
    int found = -1;
    for (int p = 0; p < MEMKIND_MAX_KIND; p++) {
        memkind_t q = nullptr;
        if (memkind_get_kind_by_partition(p, &q) == 0 && q == k) {
            EXPECT_EQ(found, -1) << "kind listed under two partitions";
            found = p;
        }
    }
    EXPECT_GE(found, int(MEMKIND_NUM_BASE_KIND));
    EXPECT_EQ(memkind_destroy_kind(k), 0);
    memkind_t q = nullptr;
    EXPECT_EQ(memkind_get_kind_by_partition(found, &q),
              MEMKIND_ERROR_UNAVAILABLE);
}

// -------------------------------------------------------- error messages

const int kErrorCodes[] = {MEMKIND_ERROR_UNAVAILABLE,
                           MEMKIND_ERROR_MBIND,
                           MEMKIND_ERROR_MMAP,
                           MEMKIND_ERROR_MALLOC,
                           MEMKIND_ERROR_ENVIRON,
                           MEMKIND_ERROR_INVALID,
                           MEMKIND_ERROR_TOOMANY,
                           MEMKIND_ERROR_BADOPS,
                           MEMKIND_ERROR_HUGETLB,
                           MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
                           MEMKIND_ERROR_OPERATION_FAILED,
                           MEMKIND_ERROR_ARENAS_CREATE,
                           MEMKIND_ERROR_RUNTIME,
                           EINVAL,
                           ENOMEM};

TEST(ErrorMessage, KnownCodesHavePrefixedTextThatFits)
{
    // memkind(3): "a buffer of MEMKIND_ERROR_MESSAGE_SIZE bytes is always
    // large enough.  Every message starts with "<memkind> ".  Besides the
    // negative MEMKIND_ERROR_* codes the function also understands the
    // positive EINVAL and ENOMEM values".
    std::vector<std::string> seen;
    for (int code : kErrorCodes) {
        char big[4 * MEMKIND_ERROR_MESSAGE_SIZE];
        std::memset(big, 'x', sizeof(big));
        big[sizeof(big) - 1] = '\0';
        memkind_error_message(code, big, sizeof(big));
        std::string s(big);
        EXPECT_EQ(s.rfind("<memkind> ", 0), 0u) << code << ": " << s;
        EXPECT_LT(s.size(), size_t(MEMKIND_ERROR_MESSAGE_SIZE))
            << code << ": " << s;
        EXPECT_GT(s.size(), std::strlen("<memkind> ")) << code;
        EXPECT_EQ(s.find("Undefined error number"), std::string::npos)
            << code << " is a documented code: " << s;
        // The same text comes out of an exactly-sized buffer.
        char exact[MEMKIND_ERROR_MESSAGE_SIZE];
        memkind_error_message(code, exact, sizeof(exact));
        EXPECT_EQ(std::string(exact), s) << code;
        seen.push_back(s);
    }
    // Different codes, different texts.
    for (size_t i = 0; i < seen.size(); i++)
        for (size_t j = i + 1; j < seen.size(); j++)
            EXPECT_NE(seen[i], seen[j])
                << kErrorCodes[i] << " vs " << kErrorCodes[j];
}

TEST(ErrorMessage, UnknownCodeIsUndefinedErrorNumber)
{
    // memkind(3): "Any other value produces "<memkind> Undefined error
    // number: N"."
    for (int code : {0, -4, -5, -7, -14, -16, -19, -23, -100, -254, -256, 1, 3,
                     12345, INT_MAX, INT_MIN}) {
        char msg[MEMKIND_ERROR_MESSAGE_SIZE];
        memkind_error_message(code, msg, sizeof(msg));
        EXPECT_EQ(std::string(msg),
                  "<memkind> Undefined error number: " + std::to_string(code));
    }
}

TEST(ErrorMessage, NullOrTinyBufferIsSafe)
{
    // memkind(3): "It writes at most size bytes, including the terminating
    // null byte, into msg"; "A null msg or a zero size is accepted and
    // nothing is written."
    memkind_error_message(MEMKIND_ERROR_INVALID, nullptr,
                          MEMKIND_ERROR_MESSAGE_SIZE);
    memkind_error_message(MEMKIND_ERROR_INVALID, nullptr, 0);
    char buf[16];
    std::memset(buf, 'z', sizeof(buf));
    memkind_error_message(MEMKIND_ERROR_INVALID, buf, 0);
    EXPECT_TRUE(all_bytes(buf, sizeof(buf), 'z')) << "size 0 wrote something";
    memkind_error_message(MEMKIND_ERROR_INVALID, buf, 1);
    EXPECT_EQ(buf[0], '\0');
    EXPECT_TRUE(all_bytes(buf + 1, sizeof(buf) - 1, 'z'))
        << "wrote past size 1";
    std::memset(buf, 'z', sizeof(buf));
    memkind_error_message(MEMKIND_ERROR_INVALID, buf, 5);
    EXPECT_STREQ(buf, "<mem");
    EXPECT_TRUE(all_bytes(buf + 5, sizeof(buf) - 5, 'z'))
        << "wrote past size 5";
    std::memset(buf, 'z', sizeof(buf));
    memkind_error_message(4242, buf, 10);
    EXPECT_STREQ(buf, "<memkind>");
    EXPECT_TRUE(all_bytes(buf + 10, sizeof(buf) - 10, 'z'));
}

// --------------------------------------------------------------- version

TEST(Version, MatchesVersionFile)
{
    // memkind(3): "memkind_get_version() returns the three parts folded into
    // one integer: major * 1000000 + minor * 1000 + patch."
    std::string path;
    if (const char *top = getenv("top_srcdir"))
        path = std::string(top) + "/VERSION";
#ifdef MK_TEST_VERSION_FILE
    if (path.empty() || access(path.c_str(), R_OK) != 0)
        path = MK_TEST_VERSION_FILE;
#endif
    std::ifstream f(path);
    if (!f)
        GTEST_SKIP() << "cannot read the VERSION file (" << path
                     << "); set top_srcdir";
    std::string line;
    std::getline(f, line);
    int major = -1, minor = -1, patch = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "%d.%d.%d", &major, &minor, &patch), 3)
        << "VERSION is '" << line << "'";
    EXPECT_EQ(memkind_get_version(), major * 1000000 + minor * 1000 + patch)
        << "VERSION is " << line;
    EXPECT_EQ(major, 1) << "this is a memkind 1.x compatible library";
    EXPECT_EQ(minor, 14);
}

// --------------------------------------------------------------- misc

TEST(Misc, CheckDaxPath)
{
    // memkind_pmem(3): INVALID for NULL; RUNTIME when "No probe file can be
    // created in the directory"; MMAP when "the directory is not on a DAX
    // file system".
    EXPECT_EQ(memkind_check_dax_path(nullptr), MEMKIND_ERROR_INVALID);
    EXPECT_EQ(memkind_check_dax_path("/nonexistent/memkind/dir"),
              MEMKIND_ERROR_RUNTIME);
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) {
        EXPECT_EQ(memkind_check_dax_path("/dev/shm"), MEMKIND_ERROR_MMAP)
            << "tmpfs is not DAX";
    }
    int r = memkind_check_dax_path(mk_test_pmem_dir.c_str());
    EXPECT_TRUE(r == 0 || r == MEMKIND_ERROR_MMAP) << r;
}

TEST(Misc, BackgroundThreadsToggle)
{
    EXPECT_EQ(memkind_set_bg_threads(true), 0);
    void *p = memkind_malloc(MEMKIND_DEFAULT, MiB);
    ASSERT_NE(p, nullptr);
    memkind_free(MEMKIND_DEFAULT, p);
    EXPECT_EQ(memkind_set_bg_threads(false), 0);
}

} // namespace
