// SPDX-License-Identifier: BSD-2-Clause
/*
 * capabilities.hpp - what the test machine offers, so tests can skip with a
 * reason (GTEST_SKIP() << ...) instead of passing silently.
 */
#pragma once

#include <memkind.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

extern std::string mk_test_pmem_dir;

namespace mk_test
{

inline long read_long(const std::string &path)
{
    std::ifstream f(path);
    long v = -1;
    if (f)
        f >> v;
    return v;
}

/// Free 2 MiB huge pages in the pool (reserved ones count as free).
inline long free_hugepages()
{
    return read_long(
        "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
}

/// 2 MiB pages reserved by mappings and not yet faulted in, system-wide.
inline long reserved_hugepages()
{
    return read_long(
        "/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages");
}

/*
 * 2 MiB pages that this process's mappings of one kind hold, faulted in or
 * reserved: the sizes of its 2 MiB hugetlb mappings in /proc/self/smaps
 * that memkind_detect_kind() attributes to that kind (the kinds map
 * without MAP_NORESERVE, so the kernel reserved every page at mmap).  A
 * kind keeps its mappings when its blocks are freed (jemalloc retains
 * them) and reuses them, so these pages are as good as free for the next
 * test of the same kind; for any other kind they are not (the pages
 * MEMKIND_HBW_GBTLB holds cannot serve MEMKIND_HBW_PREFERRED_GBTLB).
 */
inline long own_hugepages(memkind_t kind)
{
    std::ifstream f("/proc/self/smaps");
    std::string line;
    unsigned long lo = 0, hi = 0;
    long total_kb = 0;
    while (std::getline(f, line)) {
        unsigned long a, b;
        long kb;
        // A mapping's header line: "lo-hi perms offset dev inode path".
        if (std::sscanf(line.c_str(), "%lx-%lx ", &a, &b) == 2 &&
            line.find(':') > line.find(' ')) {
            lo = a;
            hi = b;
        } else if (line.compare(0, 15, "KernelPageSize:") == 0 &&
                   std::sscanf(line.c_str(), "KernelPageSize: %ld kB", &kb) ==
                       1 &&
                   kb == 2048 && hi > lo &&
                   memkind_detect_kind(reinterpret_cast<void *>(lo)) == kind) {
            total_kb += long((hi - lo) / 1024);
        }
    }
    return total_kb / 2048;
}

/*
 * 2 MiB pages a test of `kind` can count on: free and not reserved by any
 * mapping, plus those the kind's own mappings hold (nullptr: none).  What
 * a test that needs n pages compares with n before it raises the pool by
 * the shortfall: raising it by n whenever free pages were short made
 * every test of a huge page kind raise the pool again by what the
 * previous tests' kinds still held, until the pool took nearly all of
 * memory (3.5 of 4 GiB in the arm64 guest) and the kernel's OOM killer
 * killed the tests that ran next.
 */
inline long usable_hugepages(memkind_t kind = nullptr)
{
    return free_hugepages() - reserved_hugepages() +
           (kind ? own_hugepages(kind) : 0);
}

inline bool has_hugepages()
{
    return memkind_check_available(MEMKIND_HUGETLB) == 0 &&
           free_hugepages() > 0;
}

/*
 * Test binaries that change the huge page pool run in parallel under make
 * check; the first to reserve holds this lock until it exits, so the others
 * wait instead of shrinking the pool under it.  Held once per process.
 */
inline void hugepage_pool_lock()
{
    static int fd = -2;
    if (fd != -2)
        return;
    fd = open("/tmp/memkind-test-hugepages.lock", O_RDWR | O_CREAT | O_CLOEXEC,
              0600);
    if (fd >= 0)
        (void)flock(fd, LOCK_EX);
}

/// Tries to make n 2 MiB pages available (root only); returns pages free.
inline long reserve_hugepages(long n)
{
    hugepage_pool_lock();
    long have = free_hugepages();
    if (have >= n)
        return have;
    long total = read_long("/proc/sys/vm/nr_hugepages");
    if (total < 0 || geteuid() != 0)
        return have;
    std::ofstream f("/proc/sys/vm/nr_hugepages");
    if (f)
        f << (total + (n - have));
    f.close();
    return free_hugepages();
}

inline bool has_hbw()
{
    return memkind_check_available(MEMKIND_HBW) == 0;
}

inline int numa_nodes()
{
    int n = 0;
    DIR *d = opendir("/sys/devices/system/node");
    if (!d)
        return 1;
    while (struct dirent *e = readdir(d)) {
        unsigned id;
        if (sscanf(e->d_name, "node%u", &id) == 1)
            n++;
    }
    closedir(d);
    return n ? n : 1;
}

/// Number of open file descriptors of this process.
inline int open_fds()
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

} // namespace mk_test
