// SPDX-License-Identifier: BSD-2-Clause
/*
 * lifecycle_test: creating, using and destroying kinds in a loop leaves
 * nothing behind (issue 16).  Before the fix every PMEM or fixed kind
 * lifecycle left its arena's 2 MiB metadata mapping behind (jemalloc with
 * retain:true only purges a destroyed arena's base blocks), so a long-running
 * program reached vm.max_map_count and every mmap failed.
 *
 * Measured per loop: mappings (/proc/self/maps lines), open descriptors,
 * resident and virtual size.  Slack: a few mappings and a few MiB may move
 * with the private jemalloc's own growth; one leak per cycle is thousands.
 */
#include "common/test_util.hpp"

#include <memkind.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

namespace
{

struct Usage {
    long maps = 0;
    long fds = 0;
    long rss_kib = 0;
    long vsz_kib = 0;
};

Usage usage()
{
    Usage u;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line))
        u.maps++;
    u.fds = mk_test::open_fds();
    std::ifstream st("/proc/self/status");
    while (std::getline(st, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            u.rss_kib = std::stol(line.substr(6));
        else if (line.rfind("VmSize:", 0) == 0)
            u.vsz_kib = std::stol(line.substr(7));
    }
    return u;
}

// Cycles per kind type: enough that one leaked mapping per cycle is far
// beyond the slack, few enough for the sanitizer lanes (a PMEM cycle with
// its 1 MiB object takes about 4 ms here, a fixed one 0.4 ms).
constexpr int kPmemCycles = 500;
constexpr int kFixedCycles = 3000;
constexpr long kMapsSlack = 8;
constexpr long kRssSlackKiB = 16 * 1024;
constexpr long kVszSlackKiB = 256 * 1024;

// Runs one create/use/destroy cycle `cycles` times (after a warm-up that
// lets the library's own structures reach their size) and checks usage.
void check_flat(const char *what, int cycles,
                const std::function<memkind_t()> &create)
{
    auto cycle = [&] {
        memkind_t kind = create();
        ASSERT_NE(nullptr, kind);
        void *small = memkind_malloc(kind, 100);
        void *big = memkind_malloc(kind, 1 << 20);
        ASSERT_NE(nullptr, small);
        ASSERT_NE(nullptr, big);
        std::memset(small, 1, 100);
        std::memset(big, 2, 1 << 20);
        memkind_free(kind, small);
        memkind_free(kind, big);
        ASSERT_EQ(0, memkind_destroy_kind(kind));
    };
    for (int i = 0; i < 50; i++)
        cycle();
    Usage before = usage();
    for (int i = 0; i < cycles; i++) {
        cycle();
        if (::testing::Test::HasFatalFailure())
            return;
    }
    Usage after = usage();
    std::printf("[ %-8s ] %d cycles: maps %ld -> %ld, fds %ld -> %ld, "
                "RSS %ld -> %ld KiB, virtual %ld -> %ld KiB\n",
                what, cycles, before.maps, after.maps, before.fds, after.fds,
                before.rss_kib, after.rss_kib, before.vsz_kib, after.vsz_kib);
    EXPECT_LE(after.maps, before.maps + kMapsSlack)
        << "mappings grow with kind lifecycles";
    EXPECT_EQ(before.fds, after.fds) << "descriptors leak";
    EXPECT_LE(after.rss_kib, before.rss_kib + kRssSlackKiB);
    EXPECT_LE(after.vsz_kib, before.vsz_kib + kVszSlackKiB);
}

alignas(4096) char fixed_buf[4 << 20];

} // namespace

TEST(Lifecycle, PmemKindsLeaveNothingBehind)
{
    mk_test::TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    check_flat("pmem", kPmemCycles, [&] {
        memkind_t k = nullptr;
        return memkind_create_pmem(dir.path().c_str(), 0, &k) == 0 ? k
                                                                   : nullptr;
    });
}

TEST(Lifecycle, LimitedPmemKindsLeaveNothingBehind)
{
    mk_test::TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    check_flat("pmem-32M", kPmemCycles, [&] {
        memkind_t k = nullptr;
        return memkind_create_pmem(dir.path().c_str(), 32 << 20, &k) == 0
                   ? k
                   : nullptr;
    });
}

TEST(Lifecycle, FixedKindsLeaveNothingBehind)
{
    check_flat("fixed", kFixedCycles, [] {
        memkind_t k = nullptr;
        return memkind_create_fixed(fixed_buf, sizeof(fixed_buf), &k) == 0
                   ? k
                   : nullptr;
    });
}
