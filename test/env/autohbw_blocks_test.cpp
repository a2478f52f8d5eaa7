// SPDX-License-Identifier: BSD-2-Clause
/*
 * autohbw_blocks_test.cpp - the block set libautohbw.so keeps when it runs
 * over a libmemkind.so.0 that is not ours (src/autohbw/autohbw_blocks.c),
 * called directly: add, find, remove, growth and tombstone reuse, threads,
 * fork, and the failure path (no memory for a larger table: add says so and
 * what was recorded stays found).
 */
#include "autohbw_blocks.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

namespace
{

/// A fake block address: 16-byte aligned, never 0 or 1, spread out.
void *addr(uintptr_t i, uintptr_t salt = 0)
{
    return reinterpret_cast<void *>((i + 1) * 4096 + salt * 16 +
                                    (uintptr_t(1) << 40));
}

} // namespace

TEST(AutohbwBlocks, AddFindRemoveAndGrow)
{
    ASSERT_EQ(autohbw_blocks_init(), 0);
    const uintptr_t n = 100000; // many rebuilds past the first 1024 slots
    for (uintptr_t i = 0; i < n; i++)
        ASSERT_TRUE(autohbw_blocks_add(addr(i)));
    for (uintptr_t i = 0; i < n; i++)
        ASSERT_TRUE(autohbw_blocks_has(addr(i))) << i;
    EXPECT_FALSE(autohbw_blocks_has(addr(n)));
    EXPECT_FALSE(autohbw_blocks_has(addr(0, 1)));
    EXPECT_FALSE(autohbw_blocks_has(nullptr)); // 0 and 1 mark free slots
    EXPECT_FALSE(autohbw_blocks_has(reinterpret_cast<void *>(1)));
    EXPECT_FALSE(autohbw_blocks_add(nullptr));
    // Adding twice records once: one removal forgets it.
    ASSERT_TRUE(autohbw_blocks_add(addr(7)));
    autohbw_blocks_remove(addr(7));
    EXPECT_FALSE(autohbw_blocks_has(addr(7)));
    for (uintptr_t i = 0; i < n; i += 2)
        autohbw_blocks_remove(addr(i));
    for (uintptr_t i = 1; i < n; i++)
        ASSERT_EQ(autohbw_blocks_has(addr(i)), i % 2 == 1 && i != 7) << i;
    autohbw_blocks_remove(addr(n)); // absent: nothing happens
    for (uintptr_t i = 1; i < n; i += 2)
        autohbw_blocks_remove(addr(i));
    for (uintptr_t i = 0; i < n; i++)
        ASSERT_FALSE(autohbw_blocks_has(addr(i))) << i;
}

TEST(AutohbwBlocks, ChurnReusesTombstones)
{
    // Add/remove pairs forever must not fill the table with tombstones.
    for (uintptr_t round = 0; round < 200000; round++) {
        ASSERT_TRUE(autohbw_blocks_add(addr(round, 3)));
        ASSERT_TRUE(autohbw_blocks_has(addr(round, 3)));
        autohbw_blocks_remove(addr(round, 3));
    }
    EXPECT_FALSE(autohbw_blocks_has(addr(5, 3)));
}

TEST(AutohbwBlocks, Threads)
{
    std::vector<std::thread> t;
    std::vector<int> bad(4);
    for (uintptr_t k = 0; k < 4; k++) {
        t.emplace_back([k, &bad] {
            for (uintptr_t i = 0; i < 20000; i++) {
                void *p = addr(i, 4 + k);
                if (!autohbw_blocks_add(p) || !autohbw_blocks_has(p))
                    bad[k]++;
                if (i % 3 == 0) {
                    autohbw_blocks_remove(p);
                    if (autohbw_blocks_has(p))
                        bad[k]++;
                }
            }
        });
    }
    for (auto &th : t)
        th.join();
    for (uintptr_t k = 0; k < 4; k++) {
        EXPECT_EQ(bad[k], 0) << k;
        for (uintptr_t i = 0; i < 20000; i++)
            ASSERT_EQ(autohbw_blocks_has(addr(i, 4 + k)), i % 3 != 0);
    }
}

TEST(AutohbwBlocks, ForkChildCanUseTheSet)
{
    ASSERT_TRUE(autohbw_blocks_add(addr(1, 9)));
    // A thread holds the lock-taking path busy while we fork.
    std::thread busy([] {
        for (uintptr_t i = 0; i < 200000; i++)
            (void)autohbw_blocks_has(addr(i, 10));
    });
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        bool ok = autohbw_blocks_has(addr(1, 9)) &&
                  autohbw_blocks_add(addr(2, 9)) &&
                  autohbw_blocks_has(addr(2, 9));
        _exit(ok ? 0 : 1);
    }
    busy.join();
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
}

/*
 * Without address space for a larger table, add fails once the table is
 * as full as it may get, and every block recorded before stays found
 * (libautohbw then gives the new block back and uses the C library).
 * Run in a child whose address space is capped.
 */
TEST(AutohbwBlocks, FullTableWithoutMemoryRefusesAndKeepsEntries)
{
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // Start from a table of a known size: fill it to one rebuild.
        for (uintptr_t i = 0; i < 3000; i++)
            if (!autohbw_blocks_add(addr(i, 20)))
                _exit(2);
        struct rlimit rl;
        if (getrlimit(RLIMIT_AS, &rl) != 0)
            _exit(3);
        // No new mapping can succeed from here on.
        FILE *f = std::fopen("/proc/self/statm", "r");
        unsigned long pages = 0;
        if (!f || std::fscanf(f, "%lu", &pages) != 1)
            _exit(4);
        std::fclose(f);
        rl.rlim_cur = pages * (unsigned long)sysconf(_SC_PAGESIZE);
        if (setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(5);
        uintptr_t added = 0;
        bool refused = false;
        for (uintptr_t i = 3000; i < 1000000; i++) {
            if (!autohbw_blocks_add(addr(i, 20))) {
                refused = true;
                break;
            }
            added++;
        }
        if (!refused)
            _exit(6);
        for (uintptr_t i = 0; i < 3000 + added; i++)
            if (!autohbw_blocks_has(addr(i, 20)))
                _exit(7);
        // Room comes back after removals: tombstones are reused.
        autohbw_blocks_remove(addr(0, 20));
        if (!autohbw_blocks_add(addr(0, 20)) ||
            !autohbw_blocks_has(addr(0, 20)))
            _exit(8);
        _exit(0);
    }
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT_TRUE(WIFEXITED(st)) << st;
    EXPECT_EQ(WEXITSTATUS(st), 0)
        << "2: setup add failed, 3-5: rlimit, 6: never refused, 7: entry "
           "lost, 8: no reuse";
}
