// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_test.cpp - first tests of file-backed kinds (the full set belongs to
 * the PMEM issue): anonymous backing file, size limit, blocks allocated
 * before use, kind destroy releases fds, DAX detection on non-DAX paths.
 */
#include "common/capabilities.hpp"
#include "common/test_util.hpp"

#include <memkind.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <climits>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

using mk_test::file_bytes_in;

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
        // Whatever a failing test left is removed all the same.
        EXPECT_EQ(0, mk_test::dir_entries(dir)) << "directory not empty";
        EXPECT_EQ(0, mk_test::remove_tree(dir)) << dir;
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

// A page fault on a file without DAX reads around the faulting page: the
// first write to each fresh object would fill up to 32 neighbouring pages
// it never asked for (PMEM on ext4 was 10 times slower than on tmpfs for a
// mix of large objects).  Every mapping of the file is advised MADV_RANDOM:
// the first chunk's, a carving larger than a chunk, the chunks after it.
TEST_F(PmemTest, FileMappingsAskForNoReadAround)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    std::vector<void *> ps;
    // 72 MiB: more than a chunk (a carving of its own) on every build.
    const size_t sizes[] = {64, 64, 1 << 20, 1 << 20, 72 << 20, 48 << 10};
    for (size_t sz : sizes)
        for (int i = 0; i < 2; i++) {
            void *p = memkind_malloc(kind, sz);
            ASSERT_NE(nullptr, p) << sz;
            static_cast<char *>(p)[0] = 1;
            ps.push_back(p);
        }
    for (void *p : ps)
        EXPECT_TRUE(mk_test::vm_flag(p, "rr"))
            << p << " VmFlags: " << mk_test::smaps_field(p, "VmFlags");
    for (void *p : ps)
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

TEST_F(PmemTest, SmallKindsFillUpWithSmallAndLargeObjects)
{
    // Issue #3 targets: a 16 MiB kind holds >= 90 % of its size in 64-byte
    // objects, 1 MiB objects fill >= 90 % of a 64 MiB kind (1.14: 8
    // allocations; 82.8 %).  The file never exceeds max_size.
    struct Case {
        size_t kind, obj;
    } cases[] = {{16 << 20, 64}, {16 << 20, 4096}, {64 << 20, 1 << 20}};
    for (const Case &c : cases) {
        memkind_t kind = nullptr;
        ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), c.kind, &kind));
        std::vector<void *> v;
        while (void *p = memkind_malloc(kind, c.obj))
            v.push_back(p);
        size_t held = v.size() * c.obj;
        EXPECT_GE(held, c.kind / 10 * 9)
            << c.obj << " B objects in a " << (c.kind >> 20) << " MiB kind";
        // st_blocks also counts the file system's own extent-tree blocks
        // (ext4 needs one once the file has holes): allow a few of them.
        EXPECT_LE(file_bytes_in(dir), (long)c.kind + 16 * 1024)
            << "file above max_size";
        for (void *p : v)
            memkind_free(kind, p);
        ASSERT_EQ(0, memkind_destroy_kind(kind));
    }
}

// Fills kind with objects of obj bytes until it is full; returns them.
static std::vector<void *> fill_kind(memkind_t kind, size_t obj)
{
    std::vector<void *> v;
    while (void *p = memkind_malloc(kind, obj)) {
        memset(p, 0x5a, obj);
        v.push_back(p);
    }
    return v;
}

static void free_all(memkind_t kind, std::vector<void *> &v)
{
    for (void *p : v)
        memkind_free(kind, p);
    v.clear();
}

TEST_F(PmemTest, LimitedKindServesSmallObjectsRightAfterLargeFrees)
{
    // The freed 1 MiB objects are dirty pages that count against max_size,
    // and jemalloc reuses a dirty extent only for requests of at least
    // 1/64 its size: without reclaim-and-retry every small request failed
    // until the purger ran.
    const size_t max = 64 << 20;
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), max, &kind));
    std::vector<void *> big = fill_kind(kind, 1 << 20);
    EXPECT_GE(big.size(), 58u) << "1 MiB objects in a 64 MiB kind";
    errno = 0;
    EXPECT_EQ(nullptr, memkind_malloc(kind, 1 << 20));
    EXPECT_EQ(ENOMEM, errno) << "a full kind says ENOMEM";
    free_all(kind, big);
    std::vector<void *> small;
    for (int i = 0; i < 100000; i++) {
        void *p = memkind_malloc(kind, 64);
        ASSERT_NE(nullptr, p) << "64 B object " << i << " after freeing";
        small.push_back(p);
    }
    free_all(kind, small);
    std::vector<void *> pages = fill_kind(kind, 4096);
    EXPECT_GE(pages.size() * 4096, max / 10 * 9) << "4 KiB objects after churn";
    // Slack beyond the file system's own blocks: on kernels whose page
    // cache uses large folios for ext4 (6.16 and later), writing one page
    // of a MAP_SHARED file can dirty a whole folio, and writeback then
    // allocates blocks in holes next to it that the kind never committed
    // (seen: 1 MiB, aligned, next to pages just written, under load).
    EXPECT_LE(file_bytes_in(dir), (long)max + (2L << 20) + 64 * 1024)
        << "above max_size";
    free_all(kind, pages);
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

TEST_F(PmemTest, LimitedKindServesLargeObjectsAfterChurn)
{
    // Every carving of the file is its own jemalloc extent and extents
    // never merge across carvings: with 2 MiB carvings nothing above 2 MiB
    // could be allocated again once the whole limit had been carved.
    const size_t max = 64 << 20;
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), max, &kind));
    for (size_t obj : {(size_t)1 << 20, (size_t)64, (size_t)4096}) {
        std::vector<void *> v = fill_kind(kind, obj);
        EXPECT_GE(v.size() * obj, max / 10 * 8) << obj << " B objects";
        free_all(kind, v);
        // Right away (no purger run needed) and at every size up to half
        // the limit.
        for (size_t big = 4 << 20; big <= max / 2; big *= 2) {
            void *p = memkind_malloc(kind, big);
            ASSERT_NE(nullptr, p) << (big >> 20) << " MiB after churn with "
                                  << obj << " B objects";
            memset(p, 1, big);
            memkind_free(kind, p);
        }
    }
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

TEST_F(PmemTest, FailuresAtTheLimitTakeNoAddressSpace)
{
    // At max_size jemalloc tries to grow on every failing request; each
    // try took a new carving of address space, so after enough failures a
    // large request could never succeed again, even with the kind empty.
    const size_t max = 32 << 20;
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), max, &kind));
    std::vector<void *> v = fill_kind(kind, 256 * 1024);
    ASSERT_FALSE(v.empty());
    for (int i = 0; i < 2000; i++)
        ASSERT_EQ(nullptr, memkind_malloc(kind, 1 << 20)) << "over the limit";
    free_all(kind, v);
    void *p = memkind_malloc(kind, max / 2);
    EXPECT_NE(nullptr, p) << "half the limit after 2000 failures";
    memkind_free(kind, p);
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

TEST_F(PmemTest, FreedSpaceGoesBackWhileIdle)
{
    // DEFAULT policy: blocks come back within about a second with the
    // process idle (the purger thread), not only when the arena is used.
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    std::vector<void *> v;
    for (int i = 0; i < 256; i++) {
        void *p = memkind_malloc(kind, 256 * 1024);
        ASSERT_NE(nullptr, p);
        memset(p, 1, 256 * 1024);
        v.push_back(p);
    }
    long peak = file_bytes_in(dir);
    EXPECT_GE(peak, 64L << 20);
    for (void *p : v)
        memkind_free(kind, p);
    long now = peak;
    for (int i = 0; i < 40 && now > peak / 10; i++) {
        usleep(50000);
        now = file_bytes_in(dir);
    }
    EXPECT_LE(now, peak / 10) << "file blocks after 2 s idle: " << now;
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

// An unlimited kind in dir with the CONSERVATIVE policy, or NULL.
static memkind_t conservative_kind(const std::string &dir)
{
    struct memkind_config *cfg = memkind_config_new();
    memkind_t kind = nullptr;
    if (!cfg)
        return nullptr;
    memkind_config_set_path(cfg, dir.c_str());
    memkind_config_set_memory_usage_policy(
        cfg, MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
    if (memkind_create_pmem_with_config(cfg, &kind) != 0)
        kind = nullptr;
    memkind_config_delete(cfg);
    return kind;
}

TEST_F(PmemTest, ConservativePolicyGivesSpaceBackAtOnce)
{
    memkind_t kind = conservative_kind(dir);
    ASSERT_NE(nullptr, kind);
    void *p = memkind_malloc(kind, 32 << 20);
    ASSERT_NE(nullptr, p);
    memset(p, 1, 32 << 20);
    EXPECT_GE(file_bytes_in(dir), 32L << 20);
    memkind_free(kind, p);
    EXPECT_LT(file_bytes_in(dir), 8L << 20) << "no hole punched on free";
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

TEST_F(PmemTest, ConservativePolicyGivesSmallObjectSpaceBackSoon)
{
    // Small objects under CONSERVATIVE: emptied extents go back within
    // milliseconds (20 ms decay; the purger when idle), not at once, which
    // cost up to 34 times DEFAULT in fallocate calls.
    memkind_t kind = conservative_kind(dir);
    ASSERT_NE(nullptr, kind);
    std::vector<void *> v;
    for (int i = 0; i < 8192; i++) {
        void *p = memkind_malloc(kind, 4096);
        ASSERT_NE(nullptr, p);
        memset(p, 1, 4096);
        v.push_back(p);
    }
    long peak = file_bytes_in(dir);
    EXPECT_GE(peak, 32L << 20);
    free_all(kind, v);
    long now = peak;
    int ms = 0;
    for (; ms < 1000 && now > peak / 8; ms += 10) {
        usleep(10000);
        now = file_bytes_in(dir);
    }
    EXPECT_LE(now, peak / 8) << "file blocks 1 s after the frees: " << now;
    RecordProperty("conservative_return_ms", ms);
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

TEST_F(PmemTest, FullFileSystemGivesEnomemNotSigbus)
{
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root to mount a small tmpfs";
    std::string mnt = dir + "/small";
    ASSERT_EQ(0, mkdir(mnt.c_str(), 0700));
    if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=8m") != 0) {
        rmdir(mnt.c_str());
        GTEST_SKIP() << "cannot mount tmpfs here: " << strerror(errno);
    }
    // In a child: a SIGBUS would kill it instead of the test binary.
    pid_t pid = fork();
    if (pid == 0) {
        memkind_t kind = nullptr;
        if (memkind_create_pmem(mnt.c_str(), 0, &kind))
            _exit(2);
        size_t got = 0;
        void *p;
        while ((p = memkind_malloc(kind, 64 * 1024))) {
            memset(p, 7, 64 * 1024); // touching must never fault
            got += 64 * 1024;
        }
        _exit(errno == ENOMEM && got > (1 << 20) ? 0 : 3);
    }
    int st = 0;
    ASSERT_EQ(pid, waitpid(pid, &st, 0));
    EXPECT_TRUE(WIFEXITED(st)) << "child killed by signal " << WTERMSIG(st);
    EXPECT_EQ(0, WEXITSTATUS(st));
    EXPECT_EQ(0, umount(mnt.c_str()));
    EXPECT_EQ(0, rmdir(mnt.c_str()));
}

TEST_F(PmemTest, OneThreadThenTwoThreadsCrossFreeing)
{
    // DESIGN.md 8: a PMEM kind used by one thread, then by two, crashed
    // memkind 1.14 in 6-7 of 10 runs.  100 rounds here.
    for (int round = 0; round < 100; round++) {
        memkind_t kind = nullptr;
        ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
        std::vector<void *> first;
        for (int i = 0; i < 200; i++)
            first.push_back(memkind_malloc(kind, 32 + i));
        std::vector<void *> made[2];
        auto work = [&](int t) {
            for (int i = 0; i < 500; i++) {
                void *p = memkind_malloc(kind, 16 + (i * 37) % 3000);
                if (p)
                    made[t].push_back(p);
            }
            // each thread frees half of the other's pile and of the first
            for (size_t i = t; i < first.size(); i += 2)
                memkind_free(kind, first[i]);
        };
        std::thread a(work, 0), b(work, 1);
        a.join();
        b.join();
        std::thread c([&] {
            for (void *p : made[0])
                memkind_free(kind, p);
        });
        for (void *p : made[1])
            memkind_free(nullptr, p);
        c.join();
        ASSERT_EQ(0, memkind_destroy_kind(kind));
    }
}

// A thread that frees objects keeps some of them in its caches (magazine
// and tcache) for reuse.  Once it stops using the kind, the purger thread
// empties those caches so that their blocks go back too: with nothing
// live, the file falls to almost nothing within a second.  (Before, 17 MB
// of a 1 GiB heap stayed in the file until the thread used the kind again
// or exited.)
TEST_F(PmemTest, IdleThreadCachesGoBackWhileIdle)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    std::vector<void *> v;
    uint64_t rng = 42;
    size_t total = 0;
    while (total < (64u << 20)) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t s = 16 + (rng >> 33) % 32768;
        void *p = memkind_malloc(kind, s);
        ASSERT_NE(nullptr, p);
        memset(p, 7, s);
        v.push_back(p);
        total += s;
    }
    free_all(kind, v);
    long now = file_bytes_in(dir);
    int ms = 0;
    for (; ms < 1500 && now > (2L << 20) + (256L << 10); ms += 50) {
        usleep(50000);
        now = file_bytes_in(dir);
    }
    // What may stay: the unused rest of the latest carving (2 MiB, committed
    // whole for speed; jemalloc keeps it as retained address space).
    EXPECT_LE(now, (2L << 20) + (256L << 10))
        << "file blocks 1.5 s after freeing everything";
    RecordProperty("idle_return_ms", ms);
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

// The same in a child of fork() (its purger starts with its first PMEM kind;
// the membarrier registration of the parent's purger is inherited).
TEST_F(PmemTest, IdleThreadCachesGoBackInAForkedChild)
{
    memkind_t warm = nullptr; // the parent's purger runs before the fork
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &warm));
    memkind_free(warm, memkind_malloc(warm, 100));
    usleep(300000);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        memkind_t kind = nullptr;
        if (memkind_create_pmem(dir.c_str(), 0, &kind) != 0)
            _exit(2);
        std::vector<void *> v;
        for (size_t total = 0, i = 0; total < (32u << 20); i++) {
            size_t sz = 16 + (i * 7919) % 16384;
            void *p = memkind_malloc(kind, sz);
            if (!p)
                _exit(3);
            memset(p, 1, sz);
            v.push_back(p);
            total += sz;
        }
        for (void *p : v)
            memkind_free(kind, p);
        long now = file_bytes_in(dir);
        for (int ms = 0; ms < 3000 && now > (2L << 20) + (256L << 10);
             ms += 50) {
            usleep(50000);
            now = file_bytes_in(dir);
        }
        // dir also holds the inherited file of warm (nearly empty)
        _exit(now <= (3L << 20) ? 0 : 4);
    }
    int st = 0;
    ASSERT_EQ(pid, waitpid(pid, &st, 0));
    ASSERT_TRUE(WIFEXITED(st)) << "child died";
    EXPECT_EQ(0, WEXITSTATUS(st))
        << "2: no kind, 3: malloc failed, 4: caches not emptied";
    ASSERT_EQ(0, memkind_destroy_kind(warm));
}

// Issue 15: a forked child's purger runs from fork() on, not only once the
// child creates a PMEM kind of its own: blocks the child frees in a kind
// it inherited go back while it is idle, within the parent's bound
// (FreedSpaceGoesBackWhileIdle: to a tenth within 2 s).  Before, the
// child's file kept them until it used the kind again.
TEST_F(PmemTest, FreedSpaceGoesBackInAForkedChildWhileIdle)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    memkind_free(kind, memkind_malloc(kind, 100));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // dir also holds the parent's file (idle): count from here
        long base = file_bytes_in(dir);
        std::vector<void *> v;
        for (int i = 0; i < 256; i++) {
            void *p = memkind_malloc(kind, 256 * 1024);
            if (!p)
                _exit(3);
            memset(p, 1, 256 * 1024);
            v.push_back(p);
        }
        long peak = file_bytes_in(dir) - base;
        if (peak < (64L << 20))
            _exit(5);
        for (void *p : v)
            memkind_free(kind, p);
        long now = peak;
        for (int i = 0; i < 40 && now > peak / 10; i++) {
            usleep(50000);
            now = file_bytes_in(dir) - base;
        }
        _exit(now <= peak / 10 ? 0 : 4);
    }
    int st = 0;
    ASSERT_EQ(pid, waitpid(pid, &st, 0));
    ASSERT_TRUE(WIFEXITED(st)) << "child died";
    EXPECT_EQ(0, WEXITSTATUS(st))
        << "3: malloc failed, 5: the child's file did not grow, "
           "4: freed space still in the child's file after 2 s idle";
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

// The workload of the footprint target (issue 3): TOTAL bytes of objects of
// 16 B - 64 KiB, each written in full, then a random 90 % freed; returns
// the file bytes 1 s later and once they stop falling, the live bytes and
// the bytes of the pages live objects touch.  Those pages are jemalloc's
// (mk_test::jemalloc_page()): the unit in which it gives space back, 4 KiB
// on x86_64 and 64 KiB on arm64 (jemalloc/README), where every object up
// to 256 KiB lies in a slab of whole 64 KiB pages and a page goes back
// only when no object in it survives.  The 1 s figure is recorded,
// not asserted: the purger's pace is measured by the benchmark (make
// bench), while tests also run on emulated machines (the DAX VM lane, where
// punching holes on xfs took several seconds) and under sanitizers.
struct Footprint {
    long file, live, live_pages, file_1s, settle_ms;
    long active; ///< jemalloc's active pages of the kind, bytes, at the end
};

static Footprint sparse_heap_footprint(const std::string &dir, size_t total,
                                       bool log_uniform)
{
    Footprint f = {-1, 0, 0, -1, 0, -1};
    memkind_t kind = nullptr;
    if (memkind_create_pmem(dir.c_str(), 0, &kind) != 0)
        return f;
    std::vector<std::pair<char *, size_t>> v;
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    auto next = [&rng] {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
    };
    size_t sum = 0;
    while (sum < total) {
        size_t s;
        if (log_uniform)
            s = (size_t)(16.0 * exp2((double)(next() >> 11) * 0x1.0p-53 * 12));
        else
            s = 16 + next() % (65536 - 16 + 1);
        char *p = (char *)memkind_malloc(kind, s);
        if (!p)
            break;
        memset(p, 0x5a, s);
        v.push_back({p, s});
        sum += s;
    }
    for (size_t i = v.size() - 1; i > 0; i--)
        std::swap(v[i], v[next() % (i + 1)]);
    size_t nfree = v.size() / 10 * 9;
    for (size_t i = 0; i < nfree; i++)
        memkind_free(kind, v[i].first);
    v.erase(v.begin(), v.begin() + (long)nfree);
    std::vector<uintptr_t> pages;
    const uintptr_t pg = mk_test::jemalloc_page();
    for (auto &o : v) {
        f.live += (long)o.second;
        for (uintptr_t a = (uintptr_t)o.first & ~(pg - 1);
             a < (uintptr_t)o.first + o.second; a += pg)
            pages.push_back(a);
    }
    std::sort(pages.begin(), pages.end());
    f.live_pages =
        (long)(std::unique(pages.begin(), pages.end()) - pages.begin()) *
        (long)pg;
    usleep(1000000);
    f.file = f.file_1s = file_bytes_in(dir);
    // Then until it has not fallen for 2 s (at most 60 s).
    for (long ms = 1000, still = 0; ms < 60000 && still < 2000; ms += 250) {
        usleep(250000);
        long now = file_bytes_in(dir);
        still = now < f.file ? 0 : still + 250;
        if (now < f.file)
            f.settle_ms = ms + 250;
        f.file = std::min(f.file, now);
    }
    size_t active = 0;
    if (memkind_update_cached_stats() == 0 &&
        memkind_get_stat(kind, MEMKIND_STAT_TYPE_ACTIVE, &active) == 0)
        f.active = (long)active;
    for (auto &o : v) {
        for (size_t i = 0; i < o.second; i++)
            if (o.first[i] != 0x5a) {
                f.file = -2; // a live object changed
                break;
            }
        memkind_free(kind, o.first);
    }
    memkind_destroy_kind(kind);
    return f;
}

// With jemalloc pages larger than 4 KiB (arm64's 64 KiB, jemalloc/README)
// every object of these heaps is a slab object, slabs are whole 64 KiB
// pages or several of them, and a slab goes back only when none of its
// objects survives: in the arm64 lane, after a random 90 % was freed, the
// slabs still in use held 5.1 (uniform sizes) and 6.4 (log-uniform) times
// the live bytes, 2.2 and 1.9 times the 64 KiB pages the survivors touch,
// and the file 1.01 times what jemalloc counted active.  That is jemalloc's
// floor there, not this library's, so what is checked is the library's part:
// the file holds no more than the pages jemalloc counts active for the kind
// (its slabs and extents in use), with 10 % for what the purger has yet to
// reach.
static void expect_file_within_active(const Footprint &f)
{
    ASSERT_GT(f.active, 0) << "memkind_get_stat(MEMKIND_STAT_TYPE_ACTIVE)";
    double ra = (double)f.file / (double)f.active;
    ::testing::Test::RecordProperty("file_per_active_x1000", (int)(ra * 1000));
    ::testing::Test::RecordProperty(
        "file_per_live_x1000", (int)((double)f.file / (double)f.live * 1000));
    ::testing::Test::RecordProperty(
        "file_per_live_page_x1000",
        (int)((double)f.file / (double)f.live_pages * 1000));
    std::printf("[ footprint] %ld file bytes: %.2f x active, %.2f x live, "
                "%.2f x the %zu B pages live objects touch\n",
                f.file, ra, (double)f.file / (double)f.live,
                (double)f.file / (double)f.live_pages,
                mk_test::jemalloc_page());
    EXPECT_LE(ra, 1.10) << f.file << " file bytes; jemalloc counts " << f.active
                        << " bytes active, live objects " << f.live
                        << " bytes touching " << f.live_pages << " bytes of "
                        << mk_test::jemalloc_page() << " B pages";
}

// Target of issue 3: after freeing a random 90 % of a heap of objects of
// 16 B - 64 KiB (sizes uniform, which reproduces the figures for
// memkind 1.14) the file falls to at most 1.25 times the live bytes (within
// 1 s on this machine: make bench), the process idle.  That target is for
// jemalloc's 4 KiB pages; larger ones: expect_file_within_active() below.
TEST_F(PmemTest, SparseHeapGivesItsBlocksBack)
{
    Footprint f = sparse_heap_footprint(dir, 256u << 20, false);
    ASSERT_GT(f.file, 0) << (f.file == -2 ? "live data changed" : "no kind");
    if (mk_test::jemalloc_page() > 4096) {
        expect_file_within_active(f);
        return;
    }
    double r = (double)f.file / (double)f.live;
    RecordProperty("file_per_live_x1000", (int)(r * 1000));
    RecordProperty("file_per_live_at_1s_x1000",
                   (int)((double)f.file_1s / (double)f.live * 1000));
    RecordProperty("settled_ms", (int)f.settle_ms);
    EXPECT_LE(r, 1.25) << f.file << " file bytes for " << f.live << " live";
}

// Log-uniform sizes (most objects small): the pages that the surviving
// objects touch are themselves about 1.24 times their bytes (4 KiB pages),
// a floor for any allocator that does not move objects.  Whole free slabs and
// extents go back; what stays above the floor is free space inside slabs that
// still hold a live object: measured 1.31 times the floor with jemalloc's
// slab sizes, 1.339 (one run in four 1.354) with the library's 8-object
// slabs of the 1 KiB and 4 KiB classes (src/jemk_conf.c says why those).
TEST_F(PmemTest, SparseHeapOfSmallObjectsStaysNearTheLivePageFloor)
{
    Footprint f = sparse_heap_footprint(dir, 256u << 20, true);
    ASSERT_GT(f.file, 0) << (f.file == -2 ? "live data changed" : "no kind");
    if (mk_test::jemalloc_page() > 4096) {
        expect_file_within_active(f);
        return;
    }
    double r = (double)f.file / (double)f.live_pages;
    RecordProperty("file_per_live_page_x1000", (int)(r * 1000));
    RecordProperty("file_per_live_page_at_1s_x1000",
                   (int)((double)f.file_1s / (double)f.live_pages * 1000));
    RecordProperty("settled_ms", (int)f.settle_ms);
    EXPECT_LE(r, 1.37) << f.file << " file bytes; live objects touch "
                       << f.live_pages << " bytes of pages";
}

// Threads that pause for longer than the purger's period while they hold
// objects in their caches: the purger empties those caches while the owners
// may wake up at any moment and use them again.  Each object carries its
// owner's pattern, checked before it is freed; a cache emptied under its
// owner would hand an object out twice or lose it.
TEST_F(PmemTest, IdleSweepRacesWithPausingThreads)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    std::atomic<int> bad{0};
    struct Obj {
        unsigned char *p;
        size_t size;
        unsigned char tag;
    };
    auto work = [&](int t) {
        uint64_t rng = 1234567 + (uint64_t)t;
        unsigned serial = 0;
        std::vector<Obj> live;
        for (int round = 0; round < 12; round++) {
            for (int i = 0; i < 3000; i++) {
                rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
                if (!live.empty() && (rng >> 63)) {
                    size_t k = (rng >> 20) % live.size();
                    Obj o = live[k];
                    for (size_t j = 0; j < o.size; j++)
                        if (o.p[j] != o.tag)
                            bad++;
                    memkind_free(kind, o.p);
                    live[k] = live.back();
                    live.pop_back();
                } else {
                    size_t s = 8 + (rng >> 40) % ((rng >> 39) & 1 ? 600 : 9000);
                    auto *p = (unsigned char *)memkind_malloc(kind, s);
                    if (!p) {
                        bad++;
                        continue;
                    }
                    // distinct tags: an object handed out twice shows
                    unsigned char tag = (unsigned char)(++serial * 4 + t);
                    memset(p, tag, s);
                    live.push_back({p, s, tag});
                }
            }
            // long enough, on some rounds, for a sweep to find us idle
            usleep((useconds_t)((rng >> 45) % 4) * 70000);
        }
        for (auto &o : live)
            memkind_free(kind, o.p);
    };
    std::vector<std::thread> th;
    for (int t = 0; t < 4; t++)
        th.emplace_back(work, t);
    for (auto &x : th)
        x.join();
    EXPECT_EQ(0, bad.load()) << "objects lost or overwritten";
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}
