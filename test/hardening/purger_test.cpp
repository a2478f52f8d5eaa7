// SPDX-License-Identifier: BSD-2-Clause
/*
 * purger_test.cpp - the PMEM purger thread and the registry (issue 15).
 *
 * - A thread's exit takes the registry lock (src/tcache.c); the purger must
 *   not hold it while it sweeps and decays a kind, which on a large heap
 *   takes long (punching holes): the test holds the purger inside a 2 s
 *   decay (mk_fault_set_purger_delay) and times another thread's exit.
 * - The purger's period is kept on CLOCK_MONOTONIC (the clock its
 *   condition variable was made with).
 * - Destroying a kind the purger is working on waits for the purger to let
 *   go of it, and the purger does not take it up again.
 * - memkind_destroy_kind() unpublishes a kind before its destroy op runs:
 *   nobody can look up a half-destroyed kind.
 * - The generic extent hooks never take a piece of a premapped kind's range
 *   through its mmap op (which promises page alignment only: a misaligned
 *   piece could not be used nor given back, and each failing growth took
 *   another).
 *
 * White box: links the instrumented twin, libmemkind_core_fi.la.
 */
#include "config.h"

#include <memkind.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_regular.h>

#include "common/test_util.hpp"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#ifndef MK_FAULT_INJECTION
int main()
{
    std::printf("built without MK_FAULT_INJECTION: link the instrumented "
                "twin, libmemkind_core_fi.la\n");
    return 77;
}
#else

namespace
{

using Clock = std::chrono::steady_clock;

long ms_since(Clock::time_point t0)
{
    return (long)std::chrono::duration_cast<std::chrono::milliseconds>(
               Clock::now() - t0)
        .count();
}

// Waits (up to 3 s) until the purger has entered a delay after `before`.
bool purger_entered_delay(unsigned long before)
{
    for (int i = 0; i < 300 && mk_fault_purger_delays() == before; i++)
        usleep(10000);
    return mk_fault_purger_delays() != before;
}

alignas(4096) char fixed_buf[16 << 20];

} // namespace

TEST(Purger, ThreadExitIsNotDelayedByALongDecay)
{
    mk_test::TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    // The exiting thread uses a fixed kind, so that its exit runs the
    // library's thread destructor (which walks the registry under its
    // lock); the purger ignores fixed kinds.
    memkind_t fixed = nullptr;
    ASSERT_EQ(0, memkind_create_fixed(fixed_buf, sizeof(fixed_buf), &fixed));
    unsigned long before = mk_fault_purger_delays();
    mk_fault_set_purger_delay(2000);
    memkind_t pmem = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &pmem));
    ASSERT_TRUE(purger_entered_delay(before)) << "the purger never decayed";
    // The purger is now inside a 2 s "decay" of pmem.
    Clock::time_point t0 = Clock::now();
    std::thread th([fixed] {
        void *p = memkind_malloc(fixed, 100);
        memkind_free(fixed, p);
    });
    th.join();
    long exit_ms = ms_since(t0);
    mk_fault_set_purger_delay(0);
    EXPECT_LT(exit_ms, 500) << "a thread exit waited for the purger's decay";
    RecordProperty("thread_exit_ms", (int)exit_ms);
    // Destroy waits for the purger to unpin the kind (the rest of its 2 s).
    ASSERT_EQ(0, memkind_destroy_kind(pmem));
    ASSERT_EQ(0, memkind_destroy_kind(fixed));
}

// The purger's period is measured on CLOCK_MONOTONIC: on CLOCK_REALTIME a
// step of the wall clock backwards stalls it (for as long as the step) and
// one forwards makes it run at once, again and again.  Stepping the clock
// of a shared machine is not an option for a test, so this reads the clock
// the condition variable was made with: glibc keeps it in bit 1 of
// __data.__wrefs (1 = CLOCK_MONOTONIC; nptl/pthread_cond_common.c, glibc
// 2.25 on; checked against pthread_condattr_setclock() first).
TEST(Purger, WaitsOnTheMonotonicClock)
{
    pthread_condattr_t attr;
    pthread_cond_t probe;
    ASSERT_EQ(0, pthread_condattr_init(&attr));
    ASSERT_EQ(0, pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
    ASSERT_EQ(0, pthread_cond_init(&probe, &attr));
    bool readable = (probe.__data.__wrefs & 2u) != 0;
    pthread_cond_destroy(&probe);
    pthread_condattr_destroy(&attr);
    if (!readable)
        GTEST_SKIP() << "this C library keeps a condition's clock elsewhere";
    mk_test::TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    memkind_t pmem = nullptr; // starts the purger
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &pmem));
    unsigned wrefs = __atomic_load_n(&mk_fault_purger_cond()->__data.__wrefs,
                                     __ATOMIC_RELAXED);
    EXPECT_NE(0u, wrefs & 2u) << "the purger waits on CLOCK_REALTIME";
    ASSERT_EQ(0, memkind_destroy_kind(pmem));
}

TEST(Purger, DestroyWaitsForThePurgerToLetGo)
{
    mk_test::TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    unsigned long before = mk_fault_purger_delays();
    mk_fault_set_purger_delay(300);
    memkind_t pmem = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &pmem));
    void *p = memkind_malloc(pmem, 1 << 20);
    ASSERT_NE(nullptr, p);
    memset(p, 1, 1 << 20);
    memkind_free(pmem, p);
    ASSERT_TRUE(purger_entered_delay(before)) << "the purger never decayed";
    // The purger has pmem pinned for 300 ms; destroy must wait for it and
    // succeed, and the purger must come back to no freed kind (a crash or
    // a sanitizer report otherwise).
    ASSERT_EQ(0, memkind_destroy_kind(pmem));
    unsigned long after = mk_fault_purger_delays();
    usleep(400000);
    EXPECT_EQ(after, mk_fault_purger_delays())
        << "the purger decayed after the only PMEM kind was destroyed";
    mk_fault_set_purger_delay(0);
}

// The destroy op of this kind records whether the kind could still be
// looked up while it was being destroyed.
namespace
{
struct memkind_ops spy_ops;
std::atomic<int> destroy_saw_published{-1};

int spy_destroy(struct memkind *kind)
{
    destroy_saw_published = mk_registry_get(kind->partition) == kind;
    return memkind_arena_destroy(kind);
}
} // namespace

TEST(Registry, DestroyUnpublishesBeforeTheDestroyOp)
{
    spy_ops = MEMKIND_REGULAR_OPS;
    spy_ops.destroy = spy_destroy;
    struct memkind *kind = nullptr;
    ASSERT_EQ(0, mk_registry_create_kind(&spy_ops, "purger_test_spy",
                                         MK_BACKING_NUMA, nullptr, &kind));
    unsigned slot = kind->partition;
    ASSERT_EQ(kind, mk_registry_get(slot));
    ASSERT_EQ(0, memkind_destroy_kind(kind));
    EXPECT_EQ(0, destroy_saw_published.load())
        << "the destroy op ran while the kind was still published";
    EXPECT_EQ(nullptr, mk_registry_get(slot));
}

// A kind that maps its own range (backing FIXED) but installed no carve:
// its mmap op hands out misaligned pieces of a buffer and counts them.
namespace
{
struct memkind_ops premapped_ops;
std::atomic<int> premapped_mmaps{0};
alignas(4096) char premapped_buf[8 << 20];
size_t premapped_used;

void *misaligned_mmap(struct memkind *kind, void *addr, size_t size)
{
    (void)kind;
    (void)addr;
    premapped_mmaps++;
    if (premapped_used + size + 64 > sizeof(premapped_buf))
        return MAP_FAILED;
    void *p = premapped_buf + premapped_used + 64;
    premapped_used += size + 64;
    return p;
}
} // namespace

TEST(Arena, PremappedKindWithoutCarveTakesNothing)
{
    premapped_ops = MEMKIND_REGULAR_OPS;
    premapped_ops.mmap = misaligned_mmap;
    struct memkind *kind = nullptr;
    ASSERT_EQ(0, mk_registry_create_kind(&premapped_ops, "purger_test_premap",
                                         MK_BACKING_FIXED, nullptr, &kind));
    for (int i = 0; i < 4; i++)
        EXPECT_EQ(nullptr, memkind_malloc(kind, 100 << 10));
    EXPECT_EQ(0, premapped_mmaps.load())
        << "pieces of the kind's range taken and dropped: " << premapped_used
        << " bytes";
    ASSERT_EQ(0, memkind_destroy_kind(kind));
}

#endif
