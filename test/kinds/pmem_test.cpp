// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_test.cpp - first tests of file-backed kinds (the full set belongs to
 * the PMEM issue): anonymous backing file, size limit, blocks allocated
 * before use, kind destroy releases fds, DAX detection on non-DAX paths.
 */
#include "common/capabilities.hpp"

#include <memkind.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <dirent.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

class PmemTest : public ::testing::Test {
  protected:
    std::string dir;
    void SetUp() override
    {
        std::string tmpl = mk_test_pmem_dir + "/mk-pmem.XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        ASSERT_NE(nullptr, mkdtemp(buf.data())) << strerror(errno);
        dir = buf.data();
    }
    void TearDown() override
    {
        // The file is anonymous: nothing may be left in the directory.
        EXPECT_EQ(0, rmdir(dir.c_str())) << "directory not empty";
    }
};

TEST_F(PmemTest, BackingFileIsNotVisible)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    void *p = memkind_malloc(kind, 1 << 20);
    ASSERT_NE(nullptr, p);
    DIR *d = opendir(dir.c_str());
    ASSERT_NE(nullptr, d);
    int entries = 0;
    while (struct dirent *e = readdir(d))
        entries += e->d_name[0] != '.';
    closedir(d);
    EXPECT_EQ(0, entries);
    memkind_free(kind, p);
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

TEST_F(PmemTest, SixteenMebibyteKindHoldsMostOfItsSize)
{
    // DESIGN.md 8: memkind 1.14 was full after 8 tiny allocations.
    memkind_t kind = nullptr;
    ASSERT_EQ(0,
              memkind_create_pmem(dir.c_str(), MEMKIND_PMEM_MIN_SIZE, &kind));
    std::vector<void *> v;
    size_t total = 0;
    while (void *p = memkind_malloc(kind, 64 * 1024)) {
        v.push_back(p);
        total += 64 * 1024;
    }
    EXPECT_EQ(ENOMEM, errno);
    EXPECT_GE(total, (size_t)MEMKIND_PMEM_MIN_SIZE / 2);
    EXPECT_LE(total, (size_t)MEMKIND_PMEM_MIN_SIZE);
    for (void *p : v)
        memkind_free(kind, p);
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

TEST_F(PmemTest, CapacityIsTheLimit)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 32 << 20, &kind));
    EXPECT_EQ(32 << 20, memkind_get_capacity(kind));
    ASSERT_EQ(0, memkind_destroy_kind(kind));
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    EXPECT_GT(memkind_get_capacity(kind), 0) << "file system size";
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

TEST_F(PmemTest, CreateDestroyLeaksNoFd)
{
    int fds = mk_test::open_fds();
    for (int i = 0; i < 100; i++) {
        memkind_t kind = nullptr;
        ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
        void *p = memkind_malloc(kind, 100);
        ASSERT_NE(nullptr, p);
        ASSERT_EQ(0, memkind_destroy_kind(kind));
    }
    EXPECT_EQ(fds, mk_test::open_fds());
}

TEST_F(PmemTest, ConfigPathSizeAndPolicy)
{
    struct memkind_config *cfg = memkind_config_new();
    ASSERT_NE(nullptr, cfg);
    memkind_config_set_path(cfg, dir.c_str());
    memkind_config_set_size(cfg, 64 << 20);
    memkind_config_set_memory_usage_policy(
        cfg, MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem_with_config(cfg, &kind));
    void *p = memkind_malloc(kind, 4096);
    EXPECT_NE(nullptr, p);
    memkind_free(kind, p);
    EXPECT_EQ(64 << 20, memkind_get_capacity(kind));
    ASSERT_EQ(0, memkind_destroy_kind(kind));
    memkind_config_set_memory_usage_policy(cfg,
                                           MEMKIND_MEM_USAGE_POLICY_MAX_VALUE);
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_pmem_with_config(cfg, &kind));
    memkind_config_delete(cfg);
}

TEST_F(PmemTest, DaxPathIsRejectedOnOrdinaryFileSystems)
{
    // /tmp here is tmpfs or ext4 without -o dax: MAP_SYNC is refused.
    if (getenv("DAX_VM"))
        GTEST_SKIP() << "inside the DAX VM the pmem dir may be DAX";
    EXPECT_NE(0, memkind_check_dax_path(dir.c_str()));
    EXPECT_NE(0, memkind_check_dax_path("/dev/shm"));
    EXPECT_NE(0, memkind_check_dax_path("/nonexistent/dir"));
    EXPECT_NE(0, memkind_check_dax_path(nullptr));
}
