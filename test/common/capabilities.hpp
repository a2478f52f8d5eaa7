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
