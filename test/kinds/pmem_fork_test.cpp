// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_fork_test.cpp - what a forked child gets of a PMEM kind
 * (MEMKIND_PMEM_FORK, memkind_pmem(3); issue 15).
 *
 * The mode under test is the one in the environment: test/kinds/
 * pmem-fork-modes.sh runs this program with MEMKIND_PMEM_FORK unset
 * (copy), none, shared and an invalid value (copy, with one warning).
 *
 * copy:   the child sees every object as it was at fork() although the
 *         parent overwrites them the moment fork() returns in it (the
 *         forking thread waits for the child's copy); the child allocates
 *         and writes, and nothing of that reaches the parent; another
 *         thread of the parent keeps allocating while the child copies.
 * none:   the child has no access to the kind's memory (a read faults) and
 *         the parent's heap is untouched.
 * shared: memkind 1.14: the child's write is seen by the parent.
 *
 * copy also keeps the reservation: blocks the parent committed but never
 * wrote are allocated in the child's copy too, so the child's first write
 * there cannot meet a full file system (SIGBUS).
 */
#include <memkind.h>

#include "common/test_util.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace
{

std::string mode()
{
    const char *v = std::getenv("MEMKIND_PMEM_FORK");
    if (v && (!std::strcmp(v, "none") || !std::strcmp(v, "shared")))
        return v;
    return "copy"; // unset or invalid: the default
}

struct Block {
    unsigned char *p;
    size_t size;
};

/// Mixed sizes, small to 1 MiB, each filled with its own byte.
std::vector<Block> make_heap(memkind_t kind, size_t total)
{
    std::vector<Block> v;
    const size_t sizes[] = {24, 200, 4000, 70000, 1 << 20};
    size_t used = 0;
    for (unsigned i = 0; used < total; i++) {
        size_t sz = sizes[i % 5];
        auto *p = static_cast<unsigned char *>(memkind_malloc(kind, sz));
        if (!p)
            break;
        std::memset(p, int(i % 251) + 1, sz);
        v.push_back({p, sz});
        used += sz;
    }
    return v;
}

bool holds(const Block &b, int val)
{
    for (size_t i = 0; i < b.size; i += 512)
        if (b.p[i] != val)
            return false;
    return b.p[b.size - 1] == val;
}

// Every sampled byte is val or jemalloc's free junk (0x5a), never 0.
bool holds_or_junk(const Block &b, int val)
{
    for (size_t i = 0; i < b.size; i += 512)
        if (b.p[i] != val && b.p[i] != 0x5a)
            return false;
    return b.p[b.size - 1] == val || b.p[b.size - 1] == 0x5a;
}

class PmemFork : public ::testing::Test {
  protected:
    std::string dir;
    memkind_t kind = nullptr;
    void SetUp() override
    {
        std::string tmpl = mk_test_pmem_dir + "/mk-pmem-fork.XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        ASSERT_NE(nullptr, mkdtemp(buf.data())) << strerror(errno);
        dir = buf.data();
        ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    }
    void TearDown() override
    {
        if (kind) {
            EXPECT_EQ(0, memkind_destroy_kind(kind));
        }
        // The files are anonymous (the child's copy too).
        EXPECT_EQ(0, mk_test::dir_entries(dir)) << "directory not empty";
        EXPECT_EQ(0, mk_test::remove_tree(dir)) << dir;
    }
};

int wait_child(pid_t pid)
{
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return st;
}

TEST_F(PmemFork, ChildSeesTheHeapAsAtFork)
{
    std::vector<Block> heap = make_heap(kind, 48u << 20);
    ASSERT_GT(heap.size(), 100u);
    std::string m = mode();
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // The parent overwrites everything as soon as its fork() returns.
        usleep(200000);
        int bad = 0;
        if (m == "none") {
            _exit(0); // reading would fault (NoneChildCannotTouch)
        }
        if (m == "copy") {
            for (unsigned i = 0; i < heap.size(); i++)
                bad += !holds(heap[i], int(i % 251) + 1);
            if (bad)
                _exit(10);
            // The child's own allocations work and are its own.
            for (int i = 0; i < 1000; i++) {
                auto *q = static_cast<unsigned char *>(
                    memkind_malloc(kind, 100 + i * 37));
                if (!q)
                    _exit(11);
                std::memset(q, 0xEE, 100 + i * 37);
            }
            for (auto &b : heap)
                std::memset(b.p, 0xCC, b.size);
            _exit(0);
        }
        // shared: the child's write lands in the parent's heap (1.14).
        std::memset(heap[0].p, 0xCC, heap[0].size);
        // Its frees must not give the shared file's blocks back: they are
        // the parent's live objects (the child's purger runs meanwhile).
        for (unsigned i = 1; i < heap.size(); i++)
            memkind_free(kind, heap[i].p);
        usleep(800000);
        _exit(0);
    }
    if (m == "copy") {
        for (auto &b : heap)
            std::memset(b.p, 0xAA, b.size);
        // Allocations of the parent after fork: the child must not have
        // handed out the same memory to itself in the shared file.
        std::vector<Block> after = make_heap(kind, 4u << 20);
        int st = wait_child(pid);
        ASSERT_TRUE(WIFEXITED(st)) << "child killed by signal " << WTERMSIG(st);
        ASSERT_EQ(0, WEXITSTATUS(st))
            << "10: the child saw the parent's writes made after fork(); "
               "11: the child could not allocate";
        for (auto &b : heap)
            EXPECT_TRUE(holds(b, 0xAA)) << "the child's write reached us";
        for (unsigned i = 0; i < after.size(); i++)
            EXPECT_TRUE(holds(after[i], int(i % 251) + 1))
                << "the child's allocations overwrote ours";
        for (auto &b : after)
            memkind_free(kind, b.p);
    } else if (m == "shared") {
        int st = wait_child(pid);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        EXPECT_TRUE(holds(heap[0], 0xCC))
            << "shared mode: the child's write is not in the parent's heap";
        // A punched block reads zeros.  With jemalloc's junk filling on
        // (the ASan lane) the child's frees write 0x5a into the shared
        // file: that is the child writing, as shared mode allows.
        for (unsigned i = 1; i < heap.size(); i++)
            EXPECT_TRUE(holds_or_junk(heap[i], int(i % 251) + 1))
                << "the child's frees punched the shared file under the "
                   "parent's block "
                << i;
    } else {
        int st = wait_child(pid);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        for (unsigned i = 0; i < heap.size(); i++)
            EXPECT_TRUE(holds(heap[i], int(i % 251) + 1));
    }
    for (auto &b : heap)
        memkind_free(kind, b.p);
}

// The child's private copy is mapped like the parent's file: no read-around
// on its page faults (see PmemTest.FileMappingsAskForNoReadAround).
TEST_F(PmemFork, ChildCopyAsksForNoReadAround)
{
    if (mode() != "copy")
        GTEST_SKIP() << "MEMKIND_PMEM_FORK=" << mode() << ": no copy to map";
    std::vector<Block> heap = make_heap(kind, 8u << 20);
    ASSERT_FALSE(heap.empty());
    ASSERT_TRUE(mk_test::vm_flag(heap[0].p, "rr"));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        int bad = 0;
        for (auto &b : heap)
            bad += !mk_test::vm_flag(b.p, "rr");
        _exit(bad ? 20 : 0);
    }
    int st = wait_child(pid);
    ASSERT_TRUE(WIFEXITED(st)) << "child killed by signal " << WTERMSIG(st);
    EXPECT_EQ(0, WEXITSTATUS(st)) << "20: a block of the child's copy is "
                                     "mapped without MADV_RANDOM";
    for (auto &b : heap)
        memkind_free(kind, b.p);
}

TEST_F(PmemFork, NoneChildCannotTouchTheHeap)
{
    if (mode() != "none")
        GTEST_SKIP() << "MEMKIND_PMEM_FORK=none only (pmem-fork-modes.sh)";
    std::vector<Block> heap = make_heap(kind, 1u << 20);
    ASSERT_FALSE(heap.empty());
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // The kernel's verdict, not a sanitizer's report (ASan catches
        // SIGSEGV and exits 1).
        signal(SIGSEGV, SIG_DFL);
        volatile unsigned char c = heap[0].p[0]; // must fault
        (void)c;
        _exit(0);
    }
    int st = wait_child(pid);
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV)
        << "the child could read the kind's memory (status " << st << ")";
    EXPECT_TRUE(holds(heap[0], 1));
    // fork + exec, the case "none" is for, works.
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        execl("/bin/true", "true", (char *)nullptr);
        _exit(127);
    }
    st = wait_child(pid);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    for (auto &b : heap)
        memkind_free(kind, b.p);
}

/// The file mapped at address a in this process: a descriptor of it (one
/// of ours: the kind keeps it open), or -1.
int fd_mapped_at(const void *a)
{
    std::ifstream maps("/proc/self/maps");
    std::string line;
    unsigned long long ino = 0;
    uintptr_t x = reinterpret_cast<uintptr_t>(a);
    while (std::getline(maps, line)) {
        unsigned long long lo, hi, off;
        char perms[8], dev[16];
        if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %15s %llu", &lo, &hi,
                        perms, &off, dev, &ino) == 6 &&
            x >= lo && x < hi)
            break;
        ino = 0;
    }
    if (!ino)
        return -1;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int found = -1;
    while (struct dirent *e = readdir(d)) {
        int fd = std::atoi(e->d_name);
        struct stat st;
        if (e->d_name[0] != '.' && fd != dirfd(d) && fstat(fd, &st) == 0 &&
            S_ISREG(st.st_mode) && st.st_ino == ino) {
            found = fd;
            break;
        }
    }
    closedir(d);
    return found;
}

/// Bytes allocated to fd's file (st_blocks), or 0.
unsigned long long allocated(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (unsigned long long)st.st_blocks * 512 : 0;
}

TEST_F(PmemFork, CopyKeepsTheReservationOfUnwrittenBlocks)
{
    if (mode() != "copy")
        GTEST_SKIP() << "copy mode only";
    const size_t big = 32u << 20;
    auto *p = static_cast<unsigned char *>(memkind_malloc(kind, big));
    ASSERT_NE(nullptr, p);
    // Never written: committed and reserved, but no data for SEEK_DATA to
    // find (ext4 counts a page in the page cache as data, and its
    // neighbours with it).
    int fd = fd_mapped_at(p);
    ASSERT_GE(fd, 0) << "no descriptor of the kind's file";
    alignas(8) unsigned char buf[sizeof(fiemap) + sizeof(fiemap_extent)] = {};
    auto *fm = reinterpret_cast<struct fiemap *>(buf);
    fm->fm_length = ~0ULL;
    fm->fm_extent_count = 1;
    if (ioctl(fd, FS_IOC_FIEMAP, fm) != 0) {
        memkind_free(kind, p);
        GTEST_SKIP() << "no FIEMAP on " << dir
                     << " (tmpfs): the copy cannot see reservations";
    }
    unsigned long long parent_bytes = allocated(fd);
    if (parent_bytes < big) {
        memkind_free(kind, p);
        GTEST_SKIP() << "the file system did not allocate the committed "
                        "blocks in the parent ("
                     << parent_bytes << " bytes)";
    }
    struct stat parent_st;
    ASSERT_EQ(0, fstat(fd, &parent_st));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        int cfd = fd_mapped_at(p);
        if (cfd < 0)
            _exit(2);
        struct stat a;
        if (fstat(cfd, &a) || a.st_ino == parent_st.st_ino)
            _exit(3); // not a copy
        if (allocated(cfd) < big)
            _exit(4); // the unwritten blocks lost their reservation
        // Not read: a read would bring the page into the page cache,
        // which ext4 then reports as data.  (ChildSeesTheHeapAsAtFork
        // checks contents; under ASan jemalloc junk-fills the object,
        // which makes it data and this test a plain copy.)
        _exit(0);
    }
    int st = wait_child(pid);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
        << "child status " << st
        << " (2: no copy mapped, 3: not a copy, 4: reservation lost)";
    memkind_free(kind, p);
}

TEST_F(PmemFork, OtherThreadsAllocateWhileTheChildCopies)
{
    if (mode() != "copy")
        GTEST_SKIP() << "copy mode only";
    // 256 MiB of written objects: the child's copy takes long enough for
    // another thread to get work done meanwhile; under the old scheme it
    // was blocked on the allocator's locks for the whole copy.
    std::vector<Block> heap = make_heap(kind, 256u << 20);
    std::atomic<bool> stop{false};
    std::atomic<long> ops{0};
    std::thread worker([&] {
        while (!stop.load()) {
            void *p = memkind_malloc(kind, 4096 * 4);
            if (p) {
                std::memset(p, 1, 64);
                memkind_free(kind, p);
            }
            ops.fetch_add(1);
        }
    });
    while (ops.load() == 0)
        std::this_thread::yield();
    long before = ops.load();
    auto t0 = std::chrono::steady_clock::now();
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
    long during = ops.load() - before;
    stop = true;
    worker.join();
    ASSERT_GT(pid, 0);
    int st = wait_child(pid);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    RecordProperty("fork_ms", std::to_string(ms));
    std::printf("fork() of a 256 MiB heap: %.1f ms, %ld allocations by "
                "another thread meanwhile\n",
                ms, during);
    if (ms > 50) { // a clone is too quick to tell
        EXPECT_GT(during, 0) << "another thread made no progress during a "
                             << ms << " ms fork()";
    }
    for (auto &b : heap)
        memkind_free(kind, b.p);
}

} // namespace
