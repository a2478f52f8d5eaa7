// SPDX-License-Identifier: BSD-2-Clause
/*
 * security_test.cpp - the backing files of file-backed kinds and the paths
 * the library is given (issue 8):
 *  - the file is never world-readable: mode 0600 whatever the umask, and it
 *    has no name (O_TMPFILE, or mkostemp + unlink on file systems without
 *    O_TMPFILE; mk_fault_set_no_tmpfile() makes this file system look like
 *    one of those);
 *  - nothing is created under a name in the directory, so a symlink planted
 *    there cannot be followed: O_TMPFILE creates no name at all, and
 *    mkostemp creates its name with O_CREAT | O_EXCL, which fails on an
 *    existing name, a symlink included (open(2));
 *  - paths of any length are refused cleanly (no stack buffer sized by the
 *    caller's string).
 * White-box: links libmemkind_core.la for mk_fault_set_no_tmpfile().
 */
#include "config.h"

#include <memkind.h>

#include <memkind/internal/memkind_fault.h>

#include "common/test_util.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace
{

/// fstat of every descriptor whose target lies in dir.
std::vector<struct stat> backing_files(const std::string &dir)
{
    std::vector<struct stat> v;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return v;
    while (struct dirent *e = readdir(d)) {
        char link[PATH_MAX], target[PATH_MAX];
        std::snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (std::string(target).compare(0, dir.size() + 1, dir + "/") != 0)
            continue;
        struct stat st;
        if (fstat(std::atoi(e->d_name), &st) == 0)
            v.push_back(st);
    }
    closedir(d);
    return v;
}

class BackingFile : public ::testing::TestWithParam<bool> {
  protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir_.ok()) << dir_.why();
        mk_fault_set_no_tmpfile(GetParam());
        old_umask_ = umask(0); // the library must not rely on the umask
    }
    void TearDown() override
    {
        umask(old_umask_);
        mk_fault_set_no_tmpfile(false);
    }
    mk_test::TempDir dir_;
    mode_t old_umask_ = 0;
};

} // namespace

TEST_P(BackingFile, IsPrivateAndHasNoName)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir_.c_str(), 0, &kind));
    void *p = memkind_malloc(kind, 1 << 20); // blocks allocated, file mapped
    ASSERT_NE(nullptr, p);
    std::vector<struct stat> files = backing_files(dir_.path());
    ASSERT_EQ(1u, files.size()) << "one backing file per kind";
    EXPECT_TRUE(S_ISREG(files[0].st_mode));
    EXPECT_EQ(0600u, files[0].st_mode & 07777u)
        << "backing file mode " << std::oct << (files[0].st_mode & 07777u);
    EXPECT_EQ(0u, files[0].st_nlink) << "the backing file has a name";
    EXPECT_EQ(0, mk_test::dir_entries(dir_.path()))
        << "something was left in the directory";
    struct stat dst;
    ASSERT_EQ(0, stat(dir_.c_str(), &dst));
    EXPECT_EQ(dst.st_dev, files[0].st_dev) << "file outside the directory";
    memkind_free(kind, p);
    ASSERT_EQ(0, memkind_destroy_kind(kind));
    EXPECT_TRUE(backing_files(dir_.path()).empty()) << "fd kept after destroy";
}

/* memkind_check_dax_path makes a probe file the same way. */
TEST_P(BackingFile, DaxProbeLeavesNothing)
{
    int err = memkind_check_dax_path(dir_.c_str());
    EXPECT_TRUE(err == 0 || err == MEMKIND_ERROR_MMAP) << err;
    EXPECT_EQ(0, mk_test::dir_entries(dir_.path()));
    EXPECT_TRUE(backing_files(dir_.path()).empty());
}

INSTANTIATE_TEST_SUITE_P(Tmpfile, BackingFile, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool> &i) {
                             return i.param ? std::string("MkostempFallback")
                                            : std::string("OTmpfile");
                         });

/* A symlink in place of the directory's would-be file names is never
 * touched: the victim it points to keeps its contents and mode. */
TEST(Paths, SymlinksInTheDirectoryAreNotFollowed)
{
    mk_test::TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    std::string victim = dir.path() + "/victim";
    int fd = open(victim.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(5, write(fd, "hello", 5));
    close(fd);
    std::string sub = dir.path() + "/d";
    ASSERT_EQ(0, mkdir(sub.c_str(), 0700));
    // Plenty of names the fallback could pick, all symlinks to the victim.
    for (int i = 0; i < 64; i++) {
        std::string l = sub + "/memkind." + std::to_string(100000 + i);
        ASSERT_EQ(0, symlink(victim.c_str(), l.c_str()));
    }
    for (bool fallback : {false, true}) {
        mk_fault_set_no_tmpfile(fallback);
        memkind_t kind = nullptr;
        ASSERT_EQ(0, memkind_create_pmem(sub.c_str(), 0, &kind));
        void *p = memkind_malloc(kind, 4096);
        ASSERT_NE(nullptr, p);
        std::memset(p, 'x', 4096);
        memkind_free(kind, p);
        ASSERT_EQ(0, memkind_destroy_kind(kind));
        mk_fault_set_no_tmpfile(false);
    }
    struct stat st;
    ASSERT_EQ(0, stat(victim.c_str(), &st));
    EXPECT_EQ(5, st.st_size);
    EXPECT_EQ(0644u, st.st_mode & 07777u);
    EXPECT_EQ(64, mk_test::dir_entries(sub)) << "only the planted links";
}

/* Paths longer than PATH_MAX (and very long ones) are refused with
 * MEMKIND_ERROR_INVALID, never copied to a fixed buffer. */
TEST(Paths, OverlongPathsAreRefused)
{
    for (size_t len : {(size_t)PATH_MAX - 1, (size_t)PATH_MAX,
                       (size_t)PATH_MAX + 1, (size_t)1 << 20}) {
        std::string p(len, 'a');
        p[0] = '/';
        memkind_t kind = nullptr;
        EXPECT_EQ(MEMKIND_ERROR_INVALID,
                  memkind_create_pmem(p.c_str(), 0, &kind))
            << len;
        EXPECT_NE(0, memkind_check_dax_path(p.c_str())) << len;
        struct memkind_config *cfg = memkind_config_new();
        ASSERT_NE(nullptr, cfg);
        memkind_config_set_path(cfg, p.c_str());
        EXPECT_EQ(MEMKIND_ERROR_INVALID,
                  memkind_create_pmem_with_config(cfg, &kind))
            << len;
        memkind_config_delete(cfg);
    }
}
