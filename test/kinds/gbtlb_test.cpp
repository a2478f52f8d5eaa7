// SPDX-License-Identifier: BSD-2-Clause
/*
 * gbtlb_test.cpp - the deprecated MEMKIND_GBTLB, MEMKIND_HBW_GBTLB and
 * MEMKIND_HBW_PREFERRED_GBTLB kinds.  COMPAT(1.14), measured on Debian's
 * libmemkind0 1.14.0: they map no 1 GiB page but 1 GiB chunks of 2 MiB
 * pages (mmap of 1 GiB with MAP_HUGETLB | MAP_HUGE_2MB, aligned to 2 MiB),
 * so they work with only a 2 MiB pool that has 512 free pages, and fail
 * with ENOMEM when it has fewer; memkind_check_available() looks at the
 * 2 MiB pool only; memkind_get_capacity() of MEMKIND_GBTLB is the 1 GiB
 * pool (0 without one).
 *
 * As root the test reserves the pages itself under the lock the huge page
 * tests share (and puts the pool back); otherwise it needs them reserved
 * already, or skips saying so.  The HBW variants need HBW nodes
 * (test/env/gbtlb-hbw.sh runs this binary with MEMKIND_HBW_NODES set).
 */
#include "common/capabilities.hpp"

#include <memkind.h>
#include <memkind_deprecated.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>

// The kernel's mempolicy modes and flags (numaif.h without libnuma).
#ifndef MPOL_PREFERRED
#define MPOL_PREFERRED 1
#define MPOL_BIND      2
#endif
#ifndef MPOL_F_ADDR
#define MPOL_F_ADDR (1 << 1)
#endif

namespace
{

constexpr size_t kMiB = size_t(1) << 20;
constexpr size_t kGiB = size_t(1) << 30;
/// One 1 GiB chunk of 2 MiB pages, and room for jemalloc to grow.
constexpr long kPagesNeeded = 640;

const char kPool[] = "/sys/kernel/mm/hugepages/hugepages-2048kB/";

/// The smaps entry of the mapping that holds an address.
struct Mapping {
    uintptr_t lo = 0, hi = 0;
    long kernel_page_kb = -1;
    long private_hugetlb_kb = -1;
};

Mapping mapping_of(const void *p)
{
    std::ifstream f("/proc/self/smaps");
    std::string line;
    uintptr_t a = uintptr_t(p);
    Mapping m, cur;
    bool in = false;
    while (std::getline(f, line)) {
        uintptr_t lo, hi;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 &&
            line.find(':') > line.find(' ')) {
            if (in)
                return m;
            in = a >= lo && a < hi;
            m = Mapping{lo, hi};
            continue;
        }
        long kb;
        if (in && std::sscanf(line.c_str(), "KernelPageSize: %ld kB", &kb) == 1)
            m.kernel_page_kb = kb;
        if (in &&
            std::sscanf(line.c_str(), "Private_Hugetlb: %ld kB", &kb) == 1)
            m.private_hugetlb_kb = kb;
    }
    return in ? m : Mapping{};
}

/// 2 MiB pages reserved for mappings plus those in use.
long pages_taken()
{
    std::string d(kPool);
    return mk_test::read_long(d + "nr_hugepages") -
           mk_test::read_long(d + "free_hugepages") +
           mk_test::read_long(d + "resv_hugepages");
}

long pool_before = -1, pool_set = -1;

/// Makes n 2 MiB pages free for `kind`, counting the pages its own
/// mappings hold; returns a skip reason or "".
std::string need_pages(memkind_t kind, long n)
{
    mk_test::hugepage_pool_lock(); // held until exit
    // Pages the same kind holds from earlier tests count: it reuses them.
    long have = mk_test::usable_hugepages(kind);
    if (have >= n)
        return "";
    if (geteuid() != 0)
        return "needs " + std::to_string(n) +
               " free 2 MiB huge pages and is not root to reserve them";
    long before = mk_test::read_long("/proc/sys/vm/nr_hugepages");
    if (pool_before < 0)
        pool_before = before;
    long want = before + (n - have);
    {
        std::ofstream f("/proc/sys/vm/nr_hugepages");
        f << want;
    }
    pool_set = mk_test::read_long("/proc/sys/vm/nr_hugepages");
    if (pool_set < want)
        return "could reserve only " + std::to_string(pool_set - before) +
               " of the " + std::to_string(n - have) +
               " 2 MiB huge pages missing (memory?)";
    return "";
}

class GbtlbEnv : public ::testing::Environment {
  public:
    void TearDown() override
    {
        // Put the pool back only if nobody changed it since.
        if (pool_before >= 0 &&
            mk_test::read_long("/proc/sys/vm/nr_hugepages") == pool_set) {
            std::ofstream f("/proc/sys/vm/nr_hugepages");
            f << pool_before;
        }
    }
};
::testing::Environment *const gbtlb_env =
    ::testing::AddGlobalTestEnvironment(new GbtlbEnv);

/// Allocates from kind and checks the 1.14 shape of the memory.
void expect_chunk_of_2mb_pages(memkind_t kind, const char *name)
{
    long taken0 = pages_taken();
    char *p = static_cast<char *>(memkind_malloc(kind, 100));
    ASSERT_NE(nullptr, p) << name << ": errno " << errno;
    std::memset(p, 0x5a, 100);
    Mapping m = mapping_of(p);
    EXPECT_EQ(2048, m.kernel_page_kb) << name << ": not on 2 MiB pages";
    EXPECT_GT(m.private_hugetlb_kb, 0) << name << ": no hugetlb page";
    EXPECT_GE(m.hi - m.lo, kGiB) << name << ": not a 1 GiB chunk";
    EXPECT_EQ(0u, uintptr_t(p) % (2 * kMiB)) << name;
    // A whole chunk is reserved from the pool, as 1.14 does.
    EXPECT_GE(pages_taken() - taken0, 512) << name;
    EXPECT_EQ(kind, memkind_detect_kind(p)) << name;
    EXPECT_GE(memkind_malloc_usable_size(kind, p), 100u) << name;

    // Larger blocks come from the same kind of pages.
    for (size_t sz : {3 * kMiB, 100 * kMiB}) {
        char *q = static_cast<char *>(memkind_malloc(kind, sz));
        ASSERT_NE(nullptr, q) << name << ": " << sz;
        std::memset(q, 0xa5, sz);
        EXPECT_EQ(2048, mapping_of(q).kernel_page_kb) << name << ": " << sz;
        EXPECT_EQ(kind, memkind_detect_kind(q)) << name;
        memkind_free(kind, q);
    }
    void *c = memkind_calloc(kind, 1000, 1000);
    ASSERT_NE(nullptr, c) << name;
    EXPECT_EQ(2048, mapping_of(c).kernel_page_kb) << name;
    memkind_free(nullptr, c);
    memkind_free(kind, p);
}

} // namespace

// Defined first, so it runs before any GBTLB chunk is mapped.
TEST(GbtlbSmallPool, FewerThan512PagesGiveEnomemYetAvailable)
{
    // COMPAT(1.14): a 2 MiB pool with pages is "available" for
    // MEMKIND_GBTLB (memkind_hugetlb(3) has no other check), but a 1 GiB
    // chunk cannot be reserved from 100 pages: NULL and ENOMEM.
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root to shrink the huge page pool";
    mk_test::hugepage_pool_lock();
    std::string d(kPool);
    long nr = mk_test::read_long("/proc/sys/vm/nr_hugepages");
    long over = mk_test::read_long("/proc/sys/vm/nr_overcommit_hugepages");
    if (mk_test::read_long(d + "free_hugepages") != nr ||
        mk_test::read_long(d + "resv_hugepages") != 0 ||
        mk_test::read_long(d + "surplus_hugepages") != 0)
        GTEST_SKIP() << "huge pages in use, reserved by mappings, or "
                        "surplus; not resizing the pool under them";
    {
        std::ofstream f("/proc/sys/vm/nr_overcommit_hugepages");
        f << 0;
    }
    {
        std::ofstream f("/proc/sys/vm/nr_hugepages");
        f << 100;
    }
    bool set = mk_test::read_long("/proc/sys/vm/nr_hugepages") == 100;
    int avail = memkind_check_available(MEMKIND_GBTLB);
    errno = 0;
    void *p = set ? memkind_malloc(MEMKIND_GBTLB, 100) : nullptr;
    int err = errno;
    {
        std::ofstream f("/proc/sys/vm/nr_hugepages");
        f << nr;
    }
    {
        std::ofstream f("/proc/sys/vm/nr_overcommit_hugepages");
        f << over;
    }
    if (!set)
        GTEST_SKIP() << "could not set the pool to 100 pages";
    EXPECT_EQ(0, avail);
    EXPECT_EQ(nullptr, p);
    EXPECT_EQ(ENOMEM, err);
    if (p)
        memkind_free(MEMKIND_GBTLB, p);
}

TEST(Gbtlb, AllocatesOneGiBChunksOf2MiBPages)
{
    std::string why = need_pages(MEMKIND_GBTLB, kPagesNeeded);
    if (!why.empty())
        GTEST_SKIP() << why;
    ASSERT_EQ(0, memkind_check_available(MEMKIND_GBTLB));
    expect_chunk_of_2mb_pages(MEMKIND_GBTLB, "MEMKIND_GBTLB");
}

TEST(Gbtlb, ExtentsShareTheirChunk)
{
    // Beyond 1.14 (which maps a chunk per jemalloc extent): later extents
    // are carved from the chunk already mapped while it has room, so a
    // second round of allocations reserves no further 512 pages.
    std::string why = need_pages(MEMKIND_GBTLB, kPagesNeeded);
    if (!why.empty())
        GTEST_SKIP() << why;
    void *first = memkind_malloc(MEMKIND_GBTLB, 64);
    ASSERT_NE(nullptr, first);
    long taken0 = pages_taken();
    void *blocks[8];
    for (int i = 0; i < 8; i++) {
        blocks[i] = memkind_malloc(MEMKIND_GBTLB, (size_t(i) + 1) * 5 * kMiB);
        ASSERT_NE(nullptr, blocks[i]) << i;
        std::memset(blocks[i], i, 4096);
    }
    EXPECT_LT(pages_taken() - taken0, 512)
        << "a new 1 GiB chunk for extents that fit the first one";
    for (void *b : blocks)
        memkind_free(MEMKIND_GBTLB, b);
    memkind_free(MEMKIND_GBTLB, first);
}

TEST(Gbtlb, CheckAndCapacityAs114)
{
    // memkind_hugetlb(3): available when the 2 MiB pool has pages; 1.14's
    // capacity is the 1 GiB pool (0 without one), -1 for the preferred HBW
    // variant, node memory for MEMKIND_HBW_GBTLB.
    std::string why = need_pages(MEMKIND_GBTLB, 1);
    if (!why.empty())
        GTEST_SKIP() << why;
    EXPECT_EQ(0, memkind_check_available(MEMKIND_GBTLB));
    const std::string g = "/sys/kernel/mm/hugepages/hugepages-1048576kB/";
    long nr = mk_test::read_long(g + "nr_hugepages");
    long over = mk_test::read_long(g + "nr_overcommit_hugepages");
    ssize_t gb =
        ssize_t((nr > 0 ? nr : 0) + (over > 0 ? over : 0)) * ssize_t(kGiB);
    EXPECT_EQ(gb, memkind_get_capacity(MEMKIND_GBTLB));
    EXPECT_EQ(-1, memkind_get_capacity(MEMKIND_HBW_PREFERRED_GBTLB));
    if (mk_test::has_hbw()) {
        EXPECT_EQ(0, memkind_check_available(MEMKIND_HBW_GBTLB));
        EXPECT_GT(memkind_get_capacity(MEMKIND_HBW_GBTLB), 0);
    } else {
        // Every failure of the HBW check reads MEMKIND_ERROR_HUGETLB.
        EXPECT_EQ(MEMKIND_ERROR_HUGETLB,
                  memkind_check_available(MEMKIND_HBW_GBTLB));
        EXPECT_EQ(MEMKIND_ERROR_HUGETLB,
                  memkind_check_available(MEMKIND_HBW_PREFERRED_GBTLB));
        EXPECT_EQ(-1, memkind_get_capacity(MEMKIND_HBW_GBTLB));
    }
}

TEST(GbtlbHbw, HbwVariantsAreChunksOf2MiBPagesOnHbwNodes)
{
    if (!mk_test::has_hbw())
        GTEST_SKIP() << "no HBW nodes (test/env/gbtlb-hbw.sh runs this with "
                        "MEMKIND_HBW_NODES set)";
    const struct {
        memkind_t kind;
        const char *name;
        int mode;
    } kinds[] = {{MEMKIND_HBW_GBTLB, "MEMKIND_HBW_GBTLB", MPOL_BIND},
                 {MEMKIND_HBW_PREFERRED_GBTLB, "MEMKIND_HBW_PREFERRED_GBTLB",
                  MPOL_PREFERRED}};
    for (const auto &k : kinds) {
        std::string why = need_pages(k.kind, kPagesNeeded);
        if (!why.empty())
            GTEST_SKIP() << why;
        ASSERT_EQ(0, memkind_check_available(k.kind)) << k.name;
        expect_chunk_of_2mb_pages(k.kind, k.name);
        void *p = memkind_malloc(k.kind, 4096);
        ASSERT_NE(nullptr, p) << k.name;
        int mode = -1;
        unsigned long mask[16] = {0};
        ASSERT_EQ(0, syscall(SYS_get_mempolicy, &mode, mask, sizeof(mask) * 8,
                             p, MPOL_F_ADDR))
            << k.name << ": " << std::strerror(errno);
        EXPECT_EQ(k.mode, mode) << k.name;
        memkind_free(k.kind, p);
    }
}
