// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_max_size_test.cpp - memkind_create_pmem() with limits far beyond
 * any file system or address space (memkind_pmem(3)).  COMPAT(1.14),
 * measured on Debian's libmemkind0 1.14.0: every max_size of at least
 * MEMKIND_PMEM_MIN_SIZE is accepted, 2^47, 2^50 and SIZE_MAX included,
 * and gives a working kind; the file system is the real limit.  Ours
 * reserves address space for no more than the file system holds, settling
 * for less where the address space is short.
 */
#include "common/test_util.hpp"

#include <memkind.h>

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace mk_test;

namespace
{

const size_t kHugeLimits[] = {size_t(1) << 47, size_t(1) << 50,
                              (size_t(1) << 63) + 12345, SIZE_MAX - 1,
                              SIZE_MAX};

ssize_t fs_size(const std::string &dir)
{
    struct statvfs st;
    if (statvfs(dir.c_str(), &st) != 0)
        return -1;
    return ssize_t(st.f_blocks * st.f_frsize);
}

/// malloc 1 MiB, write it, free it.  Returns "" or what went wrong.
std::string use(memkind_t k)
{
    errno = 0;
    char *p = static_cast<char *>(memkind_malloc(k, MiB));
    if (!p)
        return std::string("malloc(1 MiB): ") + std::strerror(errno);
    std::memset(p, 0x3c, MiB);
    if (memkind_detect_kind(p) != k)
        return "memkind_detect_kind does not find the kind";
    memkind_free(k, p);
    return "";
}

} // namespace

TEST(PmemMaxSize, HugeLimitsGiveWorkingKinds)
{
    TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    const ssize_t fs = fs_size(dir.path());
    for (size_t max : kHugeLimits) {
        memkind_t k = nullptr;
        ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), max, &k))
            << "max_size " << max;
        EXPECT_EQ("", use(k)) << "max_size " << max;
        // The limit where a ssize_t can tell it, else the file system.
        ssize_t cap = memkind_get_capacity(k);
        if (max <= size_t(SSIZE_MAX))
            EXPECT_EQ(ssize_t(max), cap) << max;
        else
            EXPECT_EQ(fs, cap) << max;
        EXPECT_EQ(0, memkind_destroy_kind(k)) << max;
    }
    EXPECT_EQ(0, dir_entries(dir.path()));
}

TEST(PmemMaxSize, ConfigPathTakesHugeLimitsToo)
{
    TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    struct memkind_config *cfg = memkind_config_new();
    ASSERT_NE(nullptr, cfg);
    memkind_config_set_path(cfg, dir.c_str());
    memkind_config_set_size(cfg, SIZE_MAX);
    memkind_config_set_memory_usage_policy(
        cfg, MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
    memkind_t k = nullptr;
    EXPECT_EQ(0, memkind_create_pmem_with_config(cfg, &k));
    memkind_config_delete(cfg);
    ASSERT_NE(nullptr, k);
    EXPECT_EQ("", use(k));
    EXPECT_EQ(0, memkind_destroy_kind(k));
}

TEST(PmemMaxSize, ManyHugeKindsAtOnce)
{
    // Each reserves no more than the file system holds, so dozens fit in
    // the address space together.
    TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    std::vector<memkind_t> ks;
    for (int i = 0; i < 32; i++) {
        memkind_t k = nullptr;
        ASSERT_EQ(0, memkind_create_pmem(
                         dir.c_str(), i % 2 ? SIZE_MAX : size_t(1) << 50, &k))
            << i;
        ks.push_back(k);
    }
    for (memkind_t k : ks)
        EXPECT_EQ("", use(k));
    for (memkind_t k : ks)
        EXPECT_EQ(0, memkind_destroy_kind(k));
}

TEST(PmemMaxSize, ShortAddressSpaceSettlesForLess)
{
    // Under RLIMIT_AS a few GiB above what the process maps, a limit of
    // SIZE_MAX still gives a working kind: the reservation shrinks until it
    // fits.  In a child, so the limit stays there.
    TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    long vm_kb = -1;
    {
        std::ifstream f("/proc/self/status");
        std::string line;
        while (std::getline(f, line))
            if (std::sscanf(line.c_str(), "VmSize: %ld kB", &vm_kb) == 1)
                break;
    }
    ASSERT_GT(vm_kb, 0);
    fflush(nullptr);
    pid_t pid = fork();
    ASSERT_GE(pid, 0) << std::strerror(errno);
    if (pid == 0) {
        struct rlimit rl;
        rl.rlim_cur = rl.rlim_max = rlim_t(vm_kb) * 1024 + (rlim_t(3) << 30);
        if (setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(3);
        memkind_t k = nullptr;
        if (memkind_create_pmem(dir.c_str(), SIZE_MAX, &k) != 0)
            _exit(4);
        if (!use(k).empty())
            _exit(5);
        _exit(memkind_destroy_kind(k) == 0 ? 0 : 6);
    }
    int st = 0;
    ASSERT_EQ(pid, waitpid(pid, &st, 0));
    ASSERT_TRUE(WIFEXITED(st)) << "child killed by signal " << WTERMSIG(st);
    EXPECT_EQ(0, WEXITSTATUS(st))
        << "3: setrlimit, 4: create, 5: malloc/free, 6: destroy";
}
