// SPDX-License-Identifier: BSD-2-Clause
/*
 * devdax_fault_test.cpp - every failure point of creating a Device DAX
 * kind, made to fail in turn (memkind_fault.h): the right MEMKIND_ERROR_*
 * comes back, and nothing is left behind: no descriptor, no mapping of the
 * device, no lock on it, no half-made kind.  White box (links the
 * convenience library for mk_fault_arm()).  Needs $DAX_DEVICE, so it runs
 * in make check-dax; test/hardening/fault_test leaves these points to it.
 */
#include "config.h"

#include "common/capabilities.hpp"

#include <memkind.h>
#include <memkind/internal/memkind_fault.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <string>

namespace
{

/// Mappings of path in this process.
int mappings_of(const char *path)
{
    std::ifstream maps("/proc/self/maps");
    std::string line;
    int n = 0;
    size_t len = std::strlen(path);
    while (std::getline(maps, line))
        n += line.size() >= len &&
             line.compare(line.size() - len, std::string::npos, path) == 0;
    return n;
}

/// True when nobody holds the device's kind lock.
bool device_unlocked(const char *dev)
{
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool free = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd); // releases the lock taken here
    return free;
}

TEST(DevdaxFault, EveryCreationStepFailsCleanly)
{
#ifndef MK_FAULT_INJECTION
    GTEST_SKIP() << "built without MK_FAULT_INJECTION";
#else
    const char *dev = getenv("DAX_DEVICE");
    if (!dev || !*dev)
        GTEST_SKIP() << "needs a Device DAX device in $DAX_DEVICE "
                        "(make check-dax runs this in a VM that has one)";
    const int fds = mk_test::open_fds();
    std::set<int> codes;
    int n = 0;
    for (;; n++) {
        ASSERT_LT(n, 200) << "creation never succeeded";
        memkind_t kind = nullptr;
        mk_fault_arm(n);
        int err = memkind_create_pmem(dev, 32 << 20, &kind);
        int injected = mk_fault_injected();
        mk_fault_arm(-1);
        if (!injected) {
            ASSERT_EQ(err, 0) << "step " << n << ": nothing injected";
            void *p = memkind_malloc(kind, 4096);
            EXPECT_NE(p, nullptr);
            memkind_free(kind, p);
            EXPECT_EQ(memkind_destroy_kind(kind), 0);
            break;
        }
        if (err == 0) { // a point that only slows things (none expected)
            EXPECT_EQ(memkind_destroy_kind(kind), 0);
            continue;
        }
        codes.insert(err);
        EXPECT_TRUE(err == MEMKIND_ERROR_INVALID || err == MEMKIND_ERROR_MMAP ||
                    err == MEMKIND_ERROR_MALLOC ||
                    err == MEMKIND_ERROR_RUNTIME ||
                    err == MEMKIND_ERROR_ARENAS_CREATE)
            << "step " << n << ": " << err;
        EXPECT_EQ(kind, nullptr) << "step " << n;
        EXPECT_EQ(mk_test::open_fds(), fds) << "step " << n << ": fd leaked";
        EXPECT_EQ(mappings_of(dev), 0) << "step " << n << ": still mapped";
        EXPECT_TRUE(device_unlocked(dev)) << "step " << n << ": still locked";
    }
    // The points of pmem_devdax.c: open (INVALID, EMFILE), the address
    // reservation and the device mapping (MMAP).
    EXPECT_TRUE(codes.count(MEMKIND_ERROR_INVALID)) << "open never failed";
    EXPECT_TRUE(codes.count(MEMKIND_ERROR_MMAP)) << "mmap never failed";
    EXPECT_EQ(mk_test::open_fds(), fds);
    EXPECT_TRUE(device_unlocked(dev));
    std::printf("[ info     ] %d failure points on the way\n", n);
#endif
}

} // namespace
