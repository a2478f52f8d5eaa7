// SPDX-License-Identifier: BSD-2-Clause
/*
 * hbwmalloc_test.cpp - the hbw_* interface against hbwmalloc(3) and what
 * memkind 1.14's library does (observed with Debian's libmemkind0).
 *
 * The fallback policy can be decided only once per process, so every test
 * that decides it runs in a fresh process: a gtest death test in the
 * "threadsafe" style re-executes this binary for the statement.  The test
 * adapts to the machine: with HBW memory (or MEMKIND_HBW_NODES, as
 * test/kinds/hbwmalloc-*.sh set it) allocations must be in HBW kinds, and
 * without it HBW_POLICY_PREFERRED falls back to ordinary memory while the
 * other policies fail.
 */
#include "common/capabilities.hpp"
#include "common/test_util.hpp"

#include <hbwmalloc.h>
#include <memkind.h>

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace
{

bool hbw_here()
{
    return hbw_check_available() == 0;
}

/// Runs body in a fresh process; the test fails unless it exits with 0.
#define IN_FRESH_PROCESS(body)                                                 \
    EXPECT_EXIT(                                                               \
        {                                                                      \
            body;                                                              \
            std::exit(::testing::Test::HasFailure() ? 1 : 0);                  \
        },                                                                     \
        ::testing::ExitedWithCode(0), "")

hbw_policy_t pol(int v)
{
    return mk_test::raw_enum<hbw_policy_t>(v);
}

} // namespace

class HbwPolicy : public ::testing::Test {
  protected:
    void SetUp() override
    {
        GTEST_FLAG_SET(death_test_style, "threadsafe");
    }
};

TEST(HbwCheck, AvailableMatchesTheHbwKind)
{
    // hbwmalloc(3): ENODEV "if high-bandwidth memory is unavailable".
    int r = hbw_check_available();
    EXPECT_TRUE(r == 0 || r == ENODEV) << r;
    EXPECT_EQ(r == 0, memkind_check_available(MEMKIND_HBW) == 0);
}

TEST_F(HbwPolicy, DefaultIsPreferredAndGetDoesNotDecide)
{
    IN_FRESH_PROCESS({
        EXPECT_EQ(HBW_POLICY_PREFERRED, hbw_get_policy());
        EXPECT_EQ(0, hbw_set_policy(HBW_POLICY_BIND));
        EXPECT_EQ(HBW_POLICY_BIND, hbw_get_policy());
    });
}

TEST_F(HbwPolicy, SetOnceSameAgainIsFineAnotherIsEperm)
{
    for (int p : {HBW_POLICY_BIND, HBW_POLICY_PREFERRED, HBW_POLICY_INTERLEAVE,
                  HBW_POLICY_BIND_ALL}) {
        IN_FRESH_PROCESS({
            EXPECT_EQ(0, hbw_set_policy(pol(p)));
            EXPECT_EQ(p, int(hbw_get_policy()));
            // COMPAT(1.14): the same policy again is accepted.
            EXPECT_EQ(0, hbw_set_policy(pol(p)));
            int other =
                p == HBW_POLICY_BIND ? HBW_POLICY_PREFERRED : HBW_POLICY_BIND;
            EXPECT_EQ(EPERM, hbw_set_policy(pol(other)));
            EXPECT_EQ(p, int(hbw_get_policy()));
        });
    }
}

TEST_F(HbwPolicy, InvalidModeIsEinvalBeforeAndAfter)
{
    IN_FRESH_PROCESS({
        EXPECT_EQ(EINVAL, hbw_set_policy(pol(0)));
        EXPECT_EQ(EINVAL, hbw_set_policy(pol(5)));
        EXPECT_EQ(EINVAL, hbw_set_policy(pol(-1)));
        EXPECT_EQ(HBW_POLICY_PREFERRED, hbw_get_policy());
        EXPECT_EQ(0, hbw_set_policy(HBW_POLICY_INTERLEAVE));
        EXPECT_EQ(EINVAL, hbw_set_policy(pol(99)));
    });
}

TEST_F(HbwPolicy, FirstAllocationFixesThePolicy)
{
    IN_FRESH_PROCESS({
        void *p = hbw_malloc(100);
        if (hbw_here()) {
            EXPECT_NE(nullptr, p);
        }
        // hbwmalloc(3): only "before calling hbw_malloc()".
        EXPECT_EQ(EPERM, hbw_set_policy(HBW_POLICY_BIND));
        EXPECT_EQ(0, hbw_set_policy(HBW_POLICY_PREFERRED));
        EXPECT_EQ(HBW_POLICY_PREFERRED, hbw_get_policy());
        hbw_free(p);
    });
}

TEST_F(HbwPolicy, PreferredUsesHbwOrFallsBackToStandardMemory)
{
    IN_FRESH_PROCESS({
        char *p = static_cast<char *>(hbw_malloc(1 << 20));
        ASSERT_NE(nullptr, p);
        memset(p, 1, 1 << 20);
        memkind_t k = memkind_detect_kind(p);
        if (hbw_here()) {
            EXPECT_EQ(MEMKIND_HBW_PREFERRED, k);
        } else { // memkind 1.14: "fall back to standard memory"
            EXPECT_EQ(MEMKIND_DEFAULT, k);
        }
        char *q = static_cast<char *>(hbw_realloc(p, 3 << 20));
        ASSERT_NE(nullptr, q);
        EXPECT_EQ(1, q[(1 << 20) - 1]);
        EXPECT_EQ(k, memkind_detect_kind(q));
        hbw_free(q);
        int *z = static_cast<int *>(hbw_calloc(1000, sizeof(int)));
        ASSERT_NE(nullptr, z);
        for (int i = 0; i < 1000; i++)
            ASSERT_EQ(0, z[i]);
        EXPECT_GE(hbw_malloc_usable_size(z), 1000 * sizeof(int));
        hbw_free(z);
    });
}

TEST_F(HbwPolicy, BindKindsPerPolicy)
{
    struct {
        int policy;
        memkind_t kind;
    } cases[] = {{HBW_POLICY_BIND, MEMKIND_HBW},
                 {HBW_POLICY_BIND_ALL, MEMKIND_HBW_ALL},
                 {HBW_POLICY_INTERLEAVE, MEMKIND_HBW_INTERLEAVE}};
    for (auto &c : cases) {
        IN_FRESH_PROCESS({
            ASSERT_EQ(0, hbw_set_policy(pol(c.policy)));
            void *p = hbw_malloc(4096);
            if (!hbw_here()) {
                // No fallback for the strict policies.
                EXPECT_EQ(nullptr, p);
                void *m = nullptr;
                EXPECT_EQ(ENOMEM, hbw_posix_memalign(&m, 64, 4096));
                EXPECT_EQ(nullptr, hbw_realloc(nullptr, 10));
            } else {
                ASSERT_NE(nullptr, p);
                EXPECT_EQ(c.kind, memkind_detect_kind(p));
                hbw_free(p);
            }
        });
    }
}

TEST_F(HbwPolicy, InterleaveTakesOnly4KiBPages)
{
    IN_FRESH_PROCESS({
        ASSERT_EQ(0, hbw_set_policy(HBW_POLICY_INTERLEAVE));
        for (hbw_pagesize_t ps :
             {HBW_PAGESIZE_2MB, HBW_PAGESIZE_1GB, HBW_PAGESIZE_1GB_STRICT}) {
            void *m = reinterpret_cast<void *>(1);
            // hbwmalloc(3): unsupported combination -> EINVAL, also for
            // size 0 (checked first, as 1.14), memptr untouched.
            EXPECT_EQ(EINVAL, hbw_posix_memalign_psize(&m, 64, 0, ps));
            EXPECT_EQ(EINVAL, hbw_posix_memalign_psize(&m, 64, 1 << 30, ps));
            EXPECT_EQ(reinterpret_cast<void *>(1), m);
        }
    });
}

TEST(HbwPosixMemalign, ArgumentRules)
{
    void *m = reinterpret_cast<void *>(1);
    // hbwmalloc(3): size 0 -> 0 with NULL in memptr.
    EXPECT_EQ(0, hbw_posix_memalign(&m, 64, 0));
    EXPECT_EQ(nullptr, m);
    EXPECT_EQ(EINVAL, hbw_posix_memalign(&m, 3, 64));
    EXPECT_EQ(EINVAL, hbw_posix_memalign(&m, 4, 64));
    EXPECT_EQ(EINVAL, hbw_posix_memalign(&m, 24, 64));
    EXPECT_EQ(EINVAL, hbw_posix_memalign(nullptr, 64, 64));
    // 1 GiB strict: whole gigabytes only, memptr untouched.
    m = reinterpret_cast<void *>(1);
    EXPECT_EQ(EINVAL,
              hbw_posix_memalign_psize(&m, 64, 4096, HBW_PAGESIZE_1GB_STRICT));
    EXPECT_EQ(reinterpret_cast<void *>(1), m);
    // COMPAT(1.14): page sizes outside the enumeration are EINVAL (1.14
    // accepted 0 and crashed on HBW_PAGESIZE_MAX_VALUE).
    for (int bad : {0, 5, 6, -1}) {
        hbw_pagesize_t ps = mk_test::raw_enum<hbw_pagesize_t>(bad);
        EXPECT_EQ(EINVAL, hbw_posix_memalign_psize(&m, 64, 4096, ps)) << bad;
    }
}

TEST(HbwPosixMemalign, AlignedBlocksAndErrnoKept)
{
    // This process keeps the default policy (PREFERRED): with or without
    // HBW memory the requests succeed.
    for (size_t align :
         {size_t(8), size_t(64), size_t(4096), size_t(2) << 20}) {
        void *m = nullptr;
        errno = mk_test::kErrnoSentinel;
        int r = hbw_posix_memalign(&m, align, 1000);
        EXPECT_EQ(mk_test::kErrnoSentinel, errno);
        ASSERT_EQ(0, r) << align;
        EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(m) % align);
        hbw_free(m);
    }
}

TEST(HbwFree, NullAndZeroSizes)
{
    hbw_free(nullptr);
    EXPECT_EQ(0u, hbw_malloc_usable_size(nullptr));
    errno = 0;
    EXPECT_EQ(nullptr, hbw_malloc(0));
    EXPECT_EQ(nullptr, hbw_calloc(0, 8));
    EXPECT_EQ(nullptr, hbw_calloc(8, 0));
    void *p = hbw_realloc(nullptr, 64); // default policy: never NULL
    ASSERT_NE(nullptr, p);
    // hbwmalloc(3): size 0 frees and returns NULL.
    EXPECT_EQ(nullptr, hbw_realloc(p, 0));
    EXPECT_EQ(0, errno);
    // calloc overflow: NULL with ENOMEM, not a short block.
    EXPECT_EQ(nullptr, hbw_calloc(SIZE_MAX / 2, 4));
    EXPECT_EQ(ENOMEM, errno);
}

TEST(HbwVerify, ArgumentsAndUnbackedPages)
{
    char buf[64];
    // hbwmalloc(3): EINVAL for NULL, size 0 or unknown flags.
    EXPECT_EQ(EINVAL, hbw_verify_memory_region(nullptr, 10, 0));
    EXPECT_EQ(EINVAL, hbw_verify_memory_region(buf, 0, 0));
    EXPECT_EQ(EINVAL, hbw_verify_memory_region(buf, 10, 4));
    EXPECT_EQ(EINVAL, hbw_verify_memory_region(buf, 10, ~HBW_TOUCH_PAGES));
    // Pages not faulted in are "not backed by high bandwidth memory".
    size_t len = 1 << 20;
    void *m = mmap(nullptr, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(MAP_FAILED, m);
    EXPECT_EQ(-1, hbw_verify_memory_region(m, len, 0));
    // Touched pages: on an HBW node exactly when every node is one.
    int r = hbw_verify_memory_region(m, len, HBW_TOUCH_PAGES);
    if (!hbw_here()) {
        EXPECT_EQ(-1, r);
    } else {
        EXPECT_TRUE(r == 0 || r == -1) << r;
    }
    munmap(m, len);
    // hbw_malloc'ed and touched memory of a bound kind is HBW memory.
    if (hbw_here()) {
        char *p =
            static_cast<char *>(memkind_malloc(MEMKIND_HBW, size_t(3) << 20));
        ASSERT_NE(nullptr, p);
        EXPECT_EQ(
            0, hbw_verify_memory_region(p, size_t(3) << 20, HBW_TOUCH_PAGES));
        memkind_free(MEMKIND_HBW, p);
    }
}
