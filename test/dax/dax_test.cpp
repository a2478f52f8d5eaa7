// SPDX-License-Identifier: BSD-2-Clause
/*
 * dax_test.cpp - real DAX: memkind_check_dax_path() on a DAX mount and on
 * non-DAX paths, and PMEM kinds backed by a Device DAX character device
 * (beyond memkind 1.14; memkind_pmem(3) "Device DAX").
 *
 * make check-dax runs it inside the emulated-NVDIMM VM, where $PMEM_DIR is
 * an ext4/xfs mount with -o dax and $DAX_DEVICE a /dev/daxX.Y device
 * (test/dax/check-dax.sh).  Under plain make check there is neither: the
 * tests that need them skip, saying so; the negative tests run everywhere.
 */
#include "common/capabilities.hpp"
#include "common/test_util.hpp"

#include <memkind.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace mk_test;

namespace
{

/// True inside the DAX VM (test/dax/vm/mk-dax-vm exports DAX_VM=1).
bool in_dax_vm()
{
    const char *v = getenv("DAX_VM");
    return v && std::strcmp(v, "1") == 0;
}

/// A number from the device's sysfs node, or -1.
long long devdax_sysfs(const char *dev, const char *attr)
{
    struct stat st;
    if (stat(dev, &st) != 0)
        return -1;
    std::ifstream f("/sys/dev/char/" + std::to_string(major(st.st_rdev)) + ":" +
                    std::to_string(minor(st.st_rdev)) + "/" + attr);
    long long v = -1;
    if (f)
        f >> v;
    return v;
}

// ------------------------------------------------------------ DAX paths

TEST(CheckDaxPath, DaxMountIsDax)
{
    // memkind(3): memkind_check_dax_path() "returns 0 if a file-backed kind
    // created in pmem_dir would be mapped with DAX".
    int r = memkind_check_dax_path(mk_test_pmem_dir.c_str());
    if (!in_dax_vm() && r != 0)
        GTEST_SKIP() << mk_test_pmem_dir << " is not on a DAX file system ("
                     << error_text(r) << "); make check-dax runs this on one";
    EXPECT_EQ(r, 0) << mk_test_pmem_dir << " must be DAX in the VM";
}

TEST(CheckDaxPath, TmpfsAndOrdinaryPathsAreNotDax)
{
    // memkind_pmem(3) ERRORS: MEMKIND_ERROR_MMAP "the directory is not on a
    // DAX file system"; MEMKIND_ERROR_RUNTIME "No probe file can be
    // created in the directory".
    struct stat st;
    if (in_dax_vm()) { // the guest's /tmp is tmpfs: the negative control
        EXPECT_EQ(memkind_check_dax_path("/tmp"), MEMKIND_ERROR_MMAP);
    }
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) {
        EXPECT_EQ(memkind_check_dax_path("/dev/shm"), MEMKIND_ERROR_MMAP);
    }
    EXPECT_EQ(memkind_check_dax_path("/nonexistent/memkind"),
              MEMKIND_ERROR_RUNTIME);
    EXPECT_EQ(memkind_check_dax_path(nullptr), MEMKIND_ERROR_INVALID);
}

TEST(CheckDaxPath, OtherCharacterDeviceIsNotDax)
{
    // /dev/null is a character device but not Device DAX: it is treated
    // as a directory path, and no probe file can be created "in" it.
    EXPECT_EQ(memkind_check_dax_path("/dev/null"), MEMKIND_ERROR_RUNTIME);
}

TEST(CheckDaxPath, KindOnDaxMountWorks)
{
    if (memkind_check_dax_path(mk_test_pmem_dir.c_str()) != 0)
        GTEST_SKIP() << mk_test_pmem_dir << " is not DAX";
    TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    memkind_t kind = nullptr;
    ASSERT_EQ(memkind_create_pmem(dir.c_str(), 0, &kind), 0);
    void *p = memkind_malloc(kind, 3 * MiB);
    ASSERT_NE(p, nullptr);
    fill_pattern(p, 3 * MiB, 5);
    EXPECT_TRUE(check_pattern(p, 3 * MiB, 5));
    EXPECT_EQ(memkind_detect_kind(p), kind);
    memkind_free(nullptr, p);
    EXPECT_EQ(memkind_destroy_kind(kind), 0);
}

// ------------------------------------------------------------ devdax

/// Non-DAX character devices are not taken for Device DAX (every machine).
TEST(DevdaxNegative, OtherCharacterDeviceIsNotADirectory)
{
    memkind_t kind = nullptr;
    errno = 0;
    EXPECT_EQ(memkind_create_pmem("/dev/null", 0, &kind),
              MEMKIND_ERROR_INVALID);
    EXPECT_EQ(errno, ENOTDIR);
    EXPECT_EQ(kind, nullptr);
}

class Devdax : public ::testing::Test {
  protected:
    const char *dev = nullptr;
    long long dev_size = -1;
    std::vector<memkind_t> kinds;

    void SetUp() override
    {
        dev = getenv("DAX_DEVICE");
        if (!dev || !*dev)
            GTEST_SKIP() << "needs a Device DAX device in $DAX_DEVICE "
                            "(make check-dax runs this in a VM that has one)";
        dev_size = devdax_sysfs(dev, "size");
        ASSERT_GT(dev_size, 0) << "no sysfs size for " << dev;
    }
    void TearDown() override
    {
        for (memkind_t k : kinds)
            EXPECT_EQ(memkind_destroy_kind(k), 0);
    }
    memkind_t make(size_t max)
    {
        memkind_t k = nullptr;
        int err = memkind_create_pmem(dev, max, &k);
        EXPECT_EQ(err, 0) << dev << ": " << error_text(err);
        if (k)
            kinds.push_back(k);
        return k;
    }
    void destroy(memkind_t k)
    {
        for (auto it = kinds.begin(); it != kinds.end(); ++it)
            if (*it == k) {
                kinds.erase(it);
                break;
            }
        EXPECT_EQ(memkind_destroy_kind(k), 0);
    }
};

TEST_F(Devdax, CheckDaxPathAcceptsTheDevice)
{
    // memkind_pmem(3): "memkind_check_dax_path() returns 0 for a Device DAX
    // device".
    EXPECT_EQ(memkind_check_dax_path(dev), 0);
}

TEST_F(Devdax, CapacityIsTheDeviceSizeOrTheLimit)
{
    // memkind_pmem(3): "max_size 0 means the whole device".
    memkind_t k = make(0);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(memkind_get_capacity(k), ssize_t(dev_size));
    destroy(k);
    k = make(64 * MiB);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(memkind_get_capacity(k), ssize_t(64 * MiB));
}

TEST_F(Devdax, MappedAtTheDeviceAlignment)
{
    // memkind_pmem(3): the device is mapped "at an address aligned to the
    // device's alignment (its sysfs attribute align ...)".  The lane runs
    // this with 4 KiB, 2 MiB and 1 GiB devices.
    long long align = devdax_sysfs(dev, "align");
    if (align <= 0)
        align = 2 * MiB; // kernels before 5.10 publish none
    memkind_t k = make(MEMKIND_PMEM_MIN_SIZE);
    ASSERT_NE(k, nullptr);
    void *p = memkind_malloc(k, 4096);
    ASSERT_NE(p, nullptr);
    std::ifstream maps("/proc/self/maps");
    std::string line;
    int found = 0;
    while (std::getline(maps, line)) {
        if (line.size() < std::strlen(dev) ||
            line.compare(line.size() - std::strlen(dev), std::string::npos,
                         dev) != 0)
            continue;
        unsigned long long start = 0, end = 0;
        ASSERT_EQ(std::sscanf(line.c_str(), "%llx-%llx", &start, &end), 2);
        EXPECT_EQ(start % align, 0u) << line << " (align " << align << ")";
        EXPECT_EQ(end % align, 0u) << line << " (align " << align << ")";
        EXPECT_LE(uintptr_t(start), uintptr_t(p));
        EXPECT_LT(uintptr_t(p), uintptr_t(end));
        found++;
    }
    EXPECT_EQ(found, 1) << "one mapping of " << dev;
    memkind_free(k, p);
}

TEST_F(Devdax, LimitAboveTheDeviceOrBelowMinimumIsInvalid)
{
    int fds = open_fds();
    memkind_t k = nullptr;
    errno = 0;
    EXPECT_EQ(memkind_create_pmem(dev, size_t(dev_size) + 2 * MiB, &k),
              MEMKIND_ERROR_INVALID);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(memkind_create_pmem(dev, 4096, &k), MEMKIND_ERROR_INVALID);
    EXPECT_EQ(k, nullptr);
    EXPECT_EQ(open_fds(), fds) << "a failed creation leaked a descriptor";
    // The device size itself is allowed.
    k = make(size_t(dev_size));
    EXPECT_NE(k, nullptr);
}

TEST_F(Devdax, OneKindPerDeviceAtATime)
{
    // memkind_pmem(3): "A device backs one kind at a time".
    memkind_t k = make(32 * MiB);
    ASSERT_NE(k, nullptr);
    memkind_t k2 = nullptr;
    errno = 0;
    EXPECT_EQ(memkind_create_pmem(dev, 32 * MiB, &k2), MEMKIND_ERROR_INVALID);
    EXPECT_EQ(errno, EBUSY);
    destroy(k);
    k = make(32 * MiB);
    EXPECT_NE(k, nullptr) << "the device is free again after destroy";
}

TEST_F(Devdax, MallocWriteReadDetectFree)
{
    memkind_t k = make(0);
    ASSERT_NE(k, nullptr);
    std::vector<void *> v;
    for (size_t sz : {size_t(1), size_t(100), size_t(4096), size_t(65537), MiB,
                      3 * MiB + 5, 32 * MiB}) {
        void *p = memkind_malloc(k, sz);
        ASSERT_NE(p, nullptr) << sz;
        fill_pattern(p, sz, unsigned(sz));
        EXPECT_EQ(memkind_detect_kind(p), k);
        EXPECT_GE(memkind_malloc_usable_size(k, p), sz);
        v.push_back(p);
    }
    size_t i = 0;
    for (size_t sz : {size_t(1), size_t(100), size_t(4096), size_t(65537), MiB,
                      3 * MiB + 5, 32 * MiB}) {
        EXPECT_TRUE(check_pattern(v[i], sz, unsigned(sz))) << sz;
        memkind_free(nullptr, v[i++]);
    }
    void *a = nullptr;
    EXPECT_EQ(memkind_posix_memalign(k, &a, 2 * MiB, 5 * MiB), 0);
    EXPECT_EQ(uintptr_t(a) % (2 * MiB), 0u);
    memkind_free(k, a);
}

TEST_F(Devdax, LimitIsHonouredAndFreedSpaceIsReused)
{
    // No holes can be punched in a device: freed memory stays with the
    // kind and is handed out again (memkind_pmem(3) "Device DAX").
    const size_t limit = 64 * MiB;
    memkind_t k = make(limit);
    ASSERT_NE(k, nullptr);
    for (int round = 0; round < 3; round++) {
        std::vector<void *> v;
        while (void *p = memkind_malloc(k, MiB)) {
            std::memset(p, round + 1, MiB);
            v.push_back(p);
        }
        EXPECT_EQ(errno, ENOMEM);
        EXPECT_GE(v.size() * MiB, limit / 10 * 9) << "round " << round;
        EXPECT_LE(v.size() * MiB, limit) << "round " << round;
        for (void *p : v)
            memkind_free(k, p);
    }
    // Small objects after large ones: the same space serves them.
    std::vector<void *> small;
    while (void *p = memkind_malloc(k, 4096))
        small.push_back(p);
    EXPECT_GE(small.size() * 4096, limit / 10 * 8);
    for (void *p : small)
        memkind_free(k, p);
}

TEST_F(Devdax, CallocIsZeroAlthoughTheDeviceHoldsOldData)
{
    // A device keeps what an earlier kind (or process) wrote there.
    memkind_t k = make(64 * MiB);
    ASSERT_NE(k, nullptr);
    std::vector<void *> v;
    while (void *p = memkind_malloc(k, MiB)) {
        std::memset(p, 0xa5, MiB);
        v.push_back(p);
    }
    for (void *p : v)
        memkind_free(k, p);
    // Reused memory of the same kind (at most one chunk: each chunk came
    // from its own extent hook call, and jemalloc never merges those)...
    for (size_t sz : {size_t(24), size_t(5000), MiB, 2 * MiB}) {
        void *p = memkind_calloc(k, 1, sz);
        ASSERT_NE(p, nullptr);
        EXPECT_TRUE(all_bytes(p, sz, 0)) << "calloc " << sz << " in reuse";
        std::memset(p, 0x5a, sz);
        memkind_free(k, p);
    }
    // ...and fresh memory of a new kind on the dirty device.
    destroy(k);
    k = make(64 * MiB);
    ASSERT_NE(k, nullptr);
    for (size_t sz : {size_t(24), size_t(5000), MiB, 8 * MiB}) {
        void *p = memkind_calloc(k, 1, sz);
        ASSERT_NE(p, nullptr);
        EXPECT_TRUE(all_bytes(p, sz, 0)) << "calloc " << sz << " fresh";
        memkind_free(k, p);
    }
}

TEST_F(Devdax, ConfigWithDevicePath)
{
    struct memkind_config *cfg = memkind_config_new();
    ASSERT_NE(cfg, nullptr);
    memkind_config_set_path(cfg, dev);
    memkind_config_set_size(cfg, 32 * MiB);
    memkind_config_set_memory_usage_policy(
        cfg, MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
    memkind_t k = nullptr;
    ASSERT_EQ(memkind_create_pmem_with_config(cfg, &k), 0);
    memkind_config_delete(cfg);
    kinds.push_back(k);
    EXPECT_EQ(memkind_get_capacity(k), ssize_t(32 * MiB));
    void *p = memkind_malloc(k, 100);
    ASSERT_NE(p, nullptr);
    memkind_free(k, p);
}

TEST_F(Devdax, CreateDestroyLeaksNothing)
{
    int fds = open_fds();
    for (int i = 0; i < 20; i++) {
        memkind_t k = nullptr;
        ASSERT_EQ(memkind_create_pmem(dev, 0, &k), 0);
        void *p = memkind_malloc(k, 100 + i);
        ASSERT_NE(p, nullptr);
        ASSERT_EQ(memkind_destroy_kind(k), 0);
        EXPECT_EQ(memkind_detect_kind(p), nullptr) << "detected after destroy";
    }
    EXPECT_EQ(open_fds(), fds);
}

TEST_F(Devdax, FourThreadsAllocateAndCrossFree)
{
    memkind_t k = make(256 * MiB);
    ASSERT_NE(k, nullptr);
    std::vector<void *> made[4];
    std::atomic<int> bad{0};
    auto work = [&](int t) {
        for (int i = 0; i < 2000; i++) {
            size_t sz = 16 + size_t(i * 37 + t * 101) % 20000;
            void *p = memkind_malloc(k, sz);
            if (!p) {
                bad++;
                continue;
            }
            std::memset(p, t, sz);
            made[t].push_back(p);
        }
    };
    std::vector<std::thread> th;
    for (int t = 0; t < 4; t++)
        th.emplace_back(work, t);
    for (auto &t : th)
        t.join();
    th.clear();
    EXPECT_EQ(bad.load(), 0);
    for (int t = 0; t < 4; t++) // each frees another thread's blocks
        th.emplace_back([&, t] {
            for (void *p : made[(t + 1) % 4])
                memkind_free(nullptr, p);
        });
    for (auto &t : th)
        t.join();
}

TEST_F(Devdax, ForkedChildHasAPrivateCopyAndCannotGrow)
{
    // memkind_pmem(3): "the child copies the used part of the kind into
    // its own memory: it keeps the data, its writes do not reach the
    // parent, and the kind cannot grow in the child".
    memkind_t k = make(0);
    ASSERT_NE(k, nullptr);
    const size_t sz = 256 * KiB;
    unsigned char *before = static_cast<unsigned char *>(memkind_malloc(k, sz));
    ASSERT_NE(before, nullptr);
    std::memset(before, 'P', sz);
    int go[2], res[2];
    ASSERT_EQ(pipe(go), 0);
    ASSERT_EQ(pipe(res), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        char c, r[4] = {0, 0, 0, 0};
        alarm(60);
        if (read(go[0], &c, 1) != 1)
            _exit(2);
        r[0] = before[0] == 'P' && before[sz - 1] == 'P'; // data kept
        std::memset(before, 'C', sz);                     // private write
        void *big = memkind_malloc(k, 64 * MiB);          // needs growth
        r[1] = big == nullptr && errno == ENOMEM;
        memkind_free(k, before);              // frees in the child only
        void *small = memkind_malloc(k, 100); // from what the child has
        r[2] = small != nullptr;
        memkind_free(k, small);
        r[3] = memkind_detect_kind(before) == k;
        _exit(write(res[1], r, sizeof(r)) == sizeof(r) ? 0 : 3);
    }
    // Parent: new allocations after the fork, then let the child run.
    std::vector<unsigned char *> after;
    for (int i = 0; i < 64; i++) {
        auto *p = static_cast<unsigned char *>(memkind_malloc(k, 64 * KiB));
        ASSERT_NE(p, nullptr);
        std::memset(p, 'A', 64 * KiB);
        after.push_back(p);
    }
    ASSERT_EQ(write(go[1], "g", 1), 1);
    char r[4] = {0, 0, 0, 0};
    ASSERT_EQ(read(res[0], r, sizeof(r)), ssize_t(sizeof(r)));
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT_TRUE(WIFEXITED(st)) << "child killed by signal " << WTERMSIG(st);
    EXPECT_EQ(WEXITSTATUS(st), 0);
    EXPECT_TRUE(r[0]) << "the child lost the parent's data";
    EXPECT_TRUE(r[1]) << "the kind grew in the child";
    EXPECT_TRUE(r[2]) << "the child could not reuse its own free memory";
    EXPECT_TRUE(r[3]) << "the child's kind no longer detects its pointers";
    EXPECT_TRUE(all_bytes(before, sz, 'P')) << "the child wrote the device";
    for (unsigned char *p : after) {
        EXPECT_TRUE(all_bytes(p, 64 * KiB, 'A'));
        memkind_free(k, p);
    }
    memkind_free(k, before);
    for (int fd : {go[0], go[1], res[0], res[1]})
        close(fd);
}

} // namespace
