// SPDX-License-Identifier: BSD-2-Clause
/*
 * hugetlb_test.cpp - MEMKIND_HUGETLB, also as memkind_create_kind() gives
 * it for 2 MiB pages.  As root the
 * test reserves huge pages itself (and restores the pool afterwards);
 * otherwise it needs pages reserved already, or skips saying so.
 */
#include "common/capabilities.hpp"
#include "common/test_util.hpp"

#include <memkind.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

static long pool_before = -1;
static long pool_set = -1;

/* KernelPageSize (kB) of the mapping holding p, -1 if none. */
static long kernel_page_kb(const void *p)
{
    std::string v = mk_test::smaps_field(p, "KernelPageSize");
    return v.empty() ? -1 : std::atol(v.c_str());
}

// Runs first (defined first): before this process maps any huge page.
TEST(HugetlbUnavailable, EmptyPoolIsReportedUnavailable)
{
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root to empty the huge page pool";
    mk_test::hugepage_pool_lock(); // no other test uses the pool meanwhile
    long nr = mk_test::read_long("/proc/sys/vm/nr_hugepages");
    long over = mk_test::read_long("/proc/sys/vm/nr_overcommit_hugepages");
    long used = nr - mk_test::free_hugepages();
    long resv = mk_test::read_long(
        "/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages");
    if (used > 0 || resv > 0 || over != 0)
        GTEST_SKIP() << "huge pages in use, reserved by mappings, or "
                        "overcommit set; not emptying the pool";
    {
        std::ofstream f("/proc/sys/vm/nr_hugepages");
        f << 0;
    }
    int err = memkind_check_available(MEMKIND_HUGETLB);
    ssize_t cap = memkind_get_capacity(MEMKIND_HUGETLB);
    int gb_err = memkind_check_available(MEMKIND_GBTLB);
    {
        std::ofstream f("/proc/sys/vm/nr_hugepages");
        f << nr;
    }
    // COMPAT(1.14), measured on Debian's libmemkind0 1.14.0: an empty pool
    // is MEMKIND_ERROR_HUGETLB ("unable to allocate huge pages", memkind(3)
    // ERRORS) with capacity 0, for MEMKIND_GBTLB too (it checks the 2 MiB
    // pool, memkind_hugetlb(3)).
    EXPECT_EQ(MEMKIND_ERROR_HUGETLB, err);
    EXPECT_EQ(0, cap);
    EXPECT_EQ(MEMKIND_ERROR_HUGETLB, gb_err);
}

class HugetlbTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite()
    {
        pool_before = mk_test::read_long("/proc/sys/vm/nr_hugepages");
        mk_test::reserve_hugepages(32);
        pool_set = mk_test::read_long("/proc/sys/vm/nr_hugepages");
    }
    static void TearDownTestSuite()
    {
        // Put the pool back only if nobody else changed it since.
        if (geteuid() == 0 && pool_before >= 0 &&
            mk_test::read_long("/proc/sys/vm/nr_hugepages") == pool_set) {
            std::ofstream f("/proc/sys/vm/nr_hugepages");
            f << pool_before;
        }
    }
    void SetUp() override
    {
        if (mk_test::free_hugepages() < 8)
            GTEST_SKIP() << "needs 8 free 2 MiB huge pages (have "
                         << mk_test::free_hugepages()
                         << "; run as root or set vm.nr_hugepages)";
    }
};

TEST_F(HugetlbTest, AllocationsAreBackedByHugePages)
{
    ASSERT_EQ(0, memkind_check_available(MEMKIND_HUGETLB));
    long free0 = mk_test::free_hugepages();
    char *p = (char *)memkind_malloc(MEMKIND_HUGETLB, 1 << 20);
    ASSERT_NE(nullptr, p);
    memset(p, 0x5a, 1 << 20);
    EXPECT_EQ(2048, kernel_page_kb(p));
    EXPECT_LT(mk_test::free_hugepages(), free0);
    EXPECT_EQ(MEMKIND_HUGETLB, memkind_detect_kind(p));
    char *small = (char *)memkind_malloc(MEMKIND_HUGETLB, 64);
    ASSERT_NE(nullptr, small);
    EXPECT_EQ(2048, kernel_page_kb(small));
    memkind_free(NULL, small);
    memkind_free(MEMKIND_HUGETLB, p);
}

TEST_F(HugetlbTest, CapacityIsThePool)
{
    long nr = mk_test::read_long("/proc/sys/vm/nr_hugepages");
    long over = mk_test::read_long("/proc/sys/vm/nr_overcommit_hugepages");
    // memkind(3): for MEMKIND_HUGETLB only 2 MiB pages are counted; 1.14
    // counts the overcommit room as well.
    EXPECT_EQ((ssize_t)(nr + (over > 0 ? over : 0)) * (2 << 20),
              memkind_get_capacity(MEMKIND_HUGETLB));
    EXPECT_EQ(0, memkind_check_available(MEMKIND_HUGETLB));
}

TEST_F(HugetlbTest, CreateKindWith2MbFlagIsHugetlbKind)
{
    // COMPAT(1.14): regular memory, PREFERRED_LOCAL and 2 MiB pages name
    // MEMKIND_HUGETLB, which memkind_create_kind() returns while the pool
    // has pages; destroying it does nothing.
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                     MEMKIND_POLICY_PREFERRED_LOCAL,
                                     MEMKIND_MASK_PAGE_SIZE_2MB, &kind));
    EXPECT_EQ(MEMKIND_HUGETLB, kind);
    char *p = (char *)memkind_malloc(kind, 4096);
    ASSERT_NE(nullptr, p);
    p[0] = 1;
    EXPECT_EQ(2048, kernel_page_kb(p));
    EXPECT_EQ(kind, memkind_detect_kind(p));
    EXPECT_EQ(0, memkind_destroy_kind(kind));
    p[1] = 2; // still mapped
    EXPECT_EQ(MEMKIND_HUGETLB, memkind_detect_kind(p));
    memkind_free(kind, p);
}

TEST_F(HugetlbTest, ExhaustedPoolGivesEnomemNotSigbus)
{
    long freep = mk_test::free_hugepages();
    size_t too_much = (size_t)(freep + 8) * (2 << 20);
    errno = 0;
    void *p = memkind_malloc(MEMKIND_HUGETLB, too_much);
    EXPECT_EQ(nullptr, p);
    EXPECT_EQ(ENOMEM, errno);
}
