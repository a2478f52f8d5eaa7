// SPDX-License-Identifier: BSD-2-Clause
/*
 * lock_rank_test.cpp - the lock-rank checker of src/lock.c and the lock
 * wrappers of memkind_lock.h.  This binary compiles its own copy of
 * src/lock.c with MK_LOCK_CHECK=1 (test/unit/unit.mk), so the checker is
 * tested whatever the library's configuration; lock_rank_release.c adds the
 * release wrappers.  Death tests use the "threadsafe" style: some tests
 * start threads.
 */
#include "config.h"

#define MK_LOCK_CHECK 1
#include <memkind/internal/memkind_lock.h>

#include "unit/lock_rank_release.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <thread>
#include <unistd.h>

static_assert(MK_LOCK_CHECKING == 1, "the test needs the checking wrappers");

namespace
{

// Runs the statements in a death-test child and expects them to get to the
// end alive (the parentheses keep their commas from EXPECT_EXIT).
#define EXPECT_ALIVE(...)                                                      \
    EXPECT_EXIT(([&] {                                                         \
                    __VA_ARGS__;                                               \
                    _exit(0);                                                  \
                }()),                                                          \
                ::testing::ExitedWithCode(0), "")

// An errno value no wrapper could produce by itself.
const int canary_errno = EHWPOISON;

timespec deadline_in_ms(long ms)
{
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

// Starts a thread that holds m for about 50 ms, and returns once it holds m,
// so that the caller's next lock of m has to wait in the kernel.
std::thread hold_for_a_while(pthread_mutex_t *m)
{
    std::atomic<bool> held{false};
    std::thread t([m, &held] {
        (void)pthread_mutex_lock(m); // test helper: m is valid
        held = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        (void)pthread_mutex_unlock(m);
    });
    while (!held)
        std::this_thread::yield();
    return t;
}

} // namespace

class LockOrder : public ::testing::Test {
  protected:
    void SetUp() override
    {
        GTEST_FLAG_SET(death_test_style, "threadsafe");
        mk_lock_forget_all();
    }
    void TearDown() override
    {
        mk_lock_forget_all();
    }
};

using LockOrderDeathTest = LockOrder;

TEST(LockRankName, EveryRankHasItsName)
{
    EXPECT_STREQ("none", mk_lock_rank_name(MK_RANK_NONE));
    EXPECT_STREQ("purger", mk_lock_rank_name(MK_RANK_PURGER));
    EXPECT_STREQ("registry", mk_lock_rank_name(MK_RANK_REGISTRY));
    EXPECT_STREQ("arena_set", mk_lock_rank_name(MK_RANK_ARENA_SET));
    EXPECT_STREQ("jemalloc", mk_lock_rank_name(MK_RANK_JEMALLOC));
    EXPECT_STREQ("region", mk_lock_rank_name(MK_RANK_REGION));
    EXPECT_STREQ("pmem", mk_lock_rank_name(MK_RANK_PMEM));
    EXPECT_STREQ("fixed_kind", mk_lock_rank_name(MK_RANK_FIXED_KIND));
    EXPECT_STREQ("family", mk_lock_rank_name(MK_RANK_FAMILY));
    EXPECT_STREQ("addrmap", mk_lock_rank_name(MK_RANK_ADDRMAP));
    EXPECT_STREQ("invalid", mk_lock_rank_name(MK_RANK_COUNT));
    EXPECT_STREQ("invalid", mk_lock_rank_name(static_cast<mk_lock_rank>(-1)));
}

TEST_F(LockOrder, TakingInRankOrderAndUnlockingRestoresTheState)
{
    pthread_mutex_t purger = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t set = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t region = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t pmem = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t fixed = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t family = PTHREAD_MUTEX_INITIALIZER;
    pthread_rwlock_t addrmap = PTHREAD_RWLOCK_INITIALIZER;

    // The whole order, in LIFO release; then again with reads of the map.
    for (int round = 0; round < 2; round++) {
        mk_mutex_lock(&purger, MK_RANK_PURGER);
        mk_mutex_lock(&registry, MK_RANK_REGISTRY);
        mk_mutex_lock(&set, MK_RANK_ARENA_SET);
        mk_lock_assert_may_enter_jemalloc();
        mk_lock_enter_jemalloc();
        mk_mutex_lock(&region, MK_RANK_REGION);
        mk_mutex_lock(&pmem, MK_RANK_PMEM);
        mk_mutex_lock(&fixed, MK_RANK_FIXED_KIND);
        mk_mutex_lock(&family, MK_RANK_FAMILY);
        if (round == 0)
            mk_rwlock_wrlock(&addrmap, MK_RANK_ADDRMAP);
        else
            mk_rwlock_rdlock(&addrmap, MK_RANK_ADDRMAP);
        mk_rwlock_unlock(&addrmap, MK_RANK_ADDRMAP);
        mk_mutex_unlock(&family, MK_RANK_FAMILY);
        mk_mutex_unlock(&fixed, MK_RANK_FIXED_KIND);
        mk_mutex_unlock(&pmem, MK_RANK_PMEM);
        mk_mutex_unlock(&region, MK_RANK_REGION);
        mk_lock_exit_jemalloc();
        mk_mutex_unlock(&set, MK_RANK_ARENA_SET);
        mk_mutex_unlock(&registry, MK_RANK_REGISTRY);
        mk_mutex_unlock(&purger, MK_RANK_PURGER);
    }

    // The pthread locks are free again...
    ASSERT_EQ(0, pthread_mutex_trylock(&registry));
    ASSERT_EQ(0, pthread_mutex_unlock(&registry));
    ASSERT_EQ(0, pthread_rwlock_trywrlock(&addrmap));
    ASSERT_EQ(0, pthread_rwlock_unlock(&addrmap));
    // ...and so is the record: nothing held, and the lowest rank and the
    // leaf may be taken in either order now.
    EXPECT_ALIVE({
        mk_lock_assert_none_held();
        mk_rwlock_wrlock(&addrmap, MK_RANK_ADDRMAP);
        mk_rwlock_unlock(&addrmap, MK_RANK_ADDRMAP);
        mk_mutex_lock(&purger, MK_RANK_PURGER);
        mk_mutex_unlock(&purger, MK_RANK_PURGER);
        mk_lock_assert_none_held();
    });
}

TEST_F(LockOrder, ReleaseOutOfLifoOrderIsAllowed)
{
    pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t set = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t region = PTHREAD_MUTEX_INITIALIZER;

    mk_mutex_lock(&registry, MK_RANK_REGISTRY);
    mk_mutex_lock(&set, MK_RANK_ARENA_SET);
    mk_mutex_lock(&region, MK_RANK_REGION);
    mk_mutex_unlock(&registry, MK_RANK_REGISTRY);
    mk_mutex_unlock(&region, MK_RANK_REGION);
    // Only the arena set is left: a second arena set may join it, and the
    // registry may not (it ranks below).
    EXPECT_ALIVE({
        pthread_mutex_t other = PTHREAD_MUTEX_INITIALIZER;
        mk_mutex_lock(&other, MK_RANK_ARENA_SET);
    });
    EXPECT_DEATH(mk_mutex_lock(&registry, MK_RANK_REGISTRY),
                 "taking registry \\(rank 2\\) while holding arena_set");
    mk_mutex_unlock(&set, MK_RANK_ARENA_SET);
    EXPECT_ALIVE(mk_lock_assert_none_held());
}

TEST_F(LockOrderDeathTest, OutOfOrderDiesNamingBothLocks)
{
    pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t region = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t family = PTHREAD_MUTEX_INITIALIZER;
    pthread_rwlock_t addrmap = PTHREAD_RWLOCK_INITIALIZER;

    mk_mutex_lock(&region, MK_RANK_REGION);
    EXPECT_DEATH(mk_mutex_lock(&registry, MK_RANK_REGISTRY),
                 "memkind: lock order violation: taking registry \\(rank 2\\) "
                 "while holding region \\(rank 5\\)");
    mk_mutex_unlock(&region, MK_RANK_REGION);

    // The leaf rwlock, read-locked, then anything.
    mk_rwlock_rdlock(&addrmap, MK_RANK_ADDRMAP);
    EXPECT_DEATH(
        mk_mutex_lock(&family, MK_RANK_FAMILY),
        "taking family \\(rank 8\\) while holding addrmap \\(rank 9\\)");
    mk_rwlock_unlock(&addrmap, MK_RANK_ADDRMAP);

    // Of several offenders, the highest-ranked one is named.
    pthread_mutex_t purger = PTHREAD_MUTEX_INITIALIZER;
    mk_mutex_lock(&registry, MK_RANK_REGISTRY);
    mk_mutex_lock(&region, MK_RANK_REGION);
    EXPECT_DEATH(
        mk_mutex_lock(&purger, MK_RANK_PURGER),
        "taking purger \\(rank 1\\) while holding region \\(rank 5\\)");
    mk_mutex_unlock(&region, MK_RANK_REGION);
    mk_mutex_unlock(&registry, MK_RANK_REGISTRY);
}

TEST_F(LockOrder, SameRankManyLocksMayBeHeldTogether)
{
    const mk_lock_rank many[] = {MK_RANK_ARENA_SET, MK_RANK_REGION,
                                 MK_RANK_PMEM, MK_RANK_FIXED_KIND};
    pthread_mutex_t m[4][3];
    for (auto &row : m)
        for (auto &x : row)
            x = PTHREAD_MUTEX_INITIALIZER;

    for (int r = 0; r < 4; r++) {
        if (many[r] == MK_RANK_REGION)
            mk_lock_enter_jemalloc();
        for (auto &x : m[r])
            mk_mutex_lock(&x, many[r]);
    }
    for (int r = 3; r >= 0; r--) {
        // Released in taking order, within a rank.
        for (auto &x : m[r])
            mk_mutex_unlock(&x, many[r]);
        if (many[r] == MK_RANK_REGION)
            mk_lock_exit_jemalloc();
    }
    // jemalloc may re-enter itself: hooks nest.
    mk_lock_enter_jemalloc();
    mk_lock_enter_jemalloc();
    mk_lock_assert_may_enter_jemalloc();
    mk_lock_exit_jemalloc();
    mk_lock_exit_jemalloc();
    EXPECT_ALIVE(mk_lock_assert_none_held());
}

TEST_F(LockOrderDeathTest, SameRankNonManyDies)
{
    const mk_lock_rank single[] = {MK_RANK_PURGER, MK_RANK_REGISTRY,
                                   MK_RANK_FAMILY, MK_RANK_ADDRMAP};
    for (mk_lock_rank rank : single) {
        pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
        std::string name = mk_lock_rank_name(rank);
        std::string n = std::to_string(static_cast<int>(rank));
        mk_mutex_lock(&a, rank);
        EXPECT_DEATH(mk_mutex_lock(&b, rank),
                     "lock order violation: taking " + name + " \\(rank " + n +
                         "\\) while holding " + name + " \\(rank " + n + "\\)")
            << name;
        mk_mutex_unlock(&a, rank);
    }
}

TEST_F(LockOrderDeathTest, TakingAHeldLockAgainDies)
{
    // Even of a "many" rank: a second take of one mutex never returns.
    pthread_mutex_t region = PTHREAD_MUTEX_INITIALIZER;
    pthread_rwlock_t addrmap = PTHREAD_RWLOCK_INITIALIZER;
    mk_mutex_lock(&region, MK_RANK_REGION);
    EXPECT_DEATH(mk_mutex_lock(&region, MK_RANK_REGION),
                 "taking region \\(rank 5\\) that this thread already holds");
    mk_mutex_unlock(&region, MK_RANK_REGION);
    // A second read lock waits behind a queued writer.
    mk_rwlock_rdlock(&addrmap, MK_RANK_ADDRMAP);
    EXPECT_DEATH(mk_rwlock_rdlock(&addrmap, MK_RANK_ADDRMAP),
                 "taking addrmap \\(rank 9\\) that this thread already holds");
    mk_rwlock_unlock(&addrmap, MK_RANK_ADDRMAP);
}

TEST_F(LockOrderDeathTest, EnteringJemallocHoldingARegionLockDies)
{
    pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t set = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t region = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t pmem = PTHREAD_MUTEX_INITIALIZER;

    // Below the pseudo-rank: calling jemalloc is fine.
    mk_mutex_lock(&registry, MK_RANK_REGISTRY);
    mk_mutex_lock(&set, MK_RANK_ARENA_SET);
    EXPECT_ALIVE(mk_lock_assert_may_enter_jemalloc());
    mk_mutex_unlock(&set, MK_RANK_ARENA_SET);
    mk_mutex_unlock(&registry, MK_RANK_REGISTRY);

    mk_mutex_lock(&region, MK_RANK_REGION);
    EXPECT_DEATH(mk_lock_assert_may_enter_jemalloc(),
                 "lock order violation: calling into jemalloc \\(rank 4\\) "
                 "while holding region \\(rank 5\\)");
    EXPECT_DEATH(mk_lock_enter_jemalloc(),
                 "entering jemalloc \\(rank 4\\) while holding region");
    mk_mutex_unlock(&region, MK_RANK_REGION);

    // Inside a hook too: a nested call into jemalloc under a pmem lock.
    mk_lock_enter_jemalloc();
    mk_mutex_lock(&pmem, MK_RANK_PMEM);
    EXPECT_DEATH(mk_lock_assert_may_enter_jemalloc(),
                 "calling into jemalloc \\(rank 4\\) while holding pmem");
    mk_mutex_unlock(&pmem, MK_RANK_PMEM);
    mk_lock_exit_jemalloc();
}

TEST_F(LockOrderDeathTest, HookTakingTheRegistryDies)
{
    pthread_mutex_t purger = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t set = PTHREAD_MUTEX_INITIALIZER;
    mk_lock_enter_jemalloc();
    EXPECT_DEATH(mk_mutex_lock(&registry, MK_RANK_REGISTRY),
                 "lock order violation: taking registry \\(rank 2\\) while "
                 "holding jemalloc \\(rank 4\\)");
    EXPECT_DEATH(mk_mutex_lock(&set, MK_RANK_ARENA_SET),
                 "taking arena_set \\(rank 3\\) while holding jemalloc");
    EXPECT_DEATH(mk_mutex_lock(&purger, MK_RANK_PURGER),
                 "taking purger \\(rank 1\\) while holding jemalloc");
    mk_lock_exit_jemalloc();
}

TEST_F(LockOrderDeathTest, UnlockingAnUnheldLockDies)
{
    pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t region = PTHREAD_MUTEX_INITIALIZER;
    pthread_rwlock_t addrmap = PTHREAD_RWLOCK_INITIALIZER;

    EXPECT_DEATH(mk_mutex_unlock(&registry, MK_RANK_REGISTRY),
                 "memkind: releasing registry \\(rank 2\\) that this thread "
                 "does not hold");
    EXPECT_DEATH(mk_rwlock_unlock(&addrmap, MK_RANK_ADDRMAP),
                 "releasing addrmap \\(rank 9\\) that this thread does not "
                 "hold");
    EXPECT_DEATH(mk_lock_exit_jemalloc(),
                 "leaving jemalloc \\(rank 4\\) that this thread does not "
                 "hold");
    // Released under another rank than it was taken with.
    mk_mutex_lock(&region, MK_RANK_REGION);
    EXPECT_DEATH(mk_mutex_unlock(&region, MK_RANK_PMEM),
                 "releasing pmem \\(rank 6\\) that was taken as region");
    mk_mutex_unlock(&region, MK_RANK_REGION);
    // Twice.
    EXPECT_DEATH(mk_mutex_unlock(&region, MK_RANK_REGION),
                 "releasing region \\(rank 5\\) that this thread does not");

    // Held by another thread is not held by this one.
    std::thread t([&registry] { mk_mutex_lock(&registry, MK_RANK_REGISTRY); });
    t.join();
    EXPECT_DEATH(mk_mutex_unlock(&registry, MK_RANK_REGISTRY),
                 "releasing registry \\(rank 2\\) that this thread does not");
}

TEST_F(LockOrderDeathTest, InvalidRankDies)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    EXPECT_DEATH(mk_mutex_lock(&m, MK_RANK_NONE),
                 "pthread_mutex_lock with an invalid lock rank 0");
    EXPECT_DEATH(mk_mutex_lock(&m, MK_RANK_COUNT),
                 "pthread_mutex_lock with an invalid lock rank 10");
}

TEST_F(LockOrderDeathTest, RecordOverflowDies)
{
    static pthread_mutex_t m[65];
    for (auto &x : m)
        x = PTHREAD_MUTEX_INITIALIZER;
    for (int i = 0; i < 64; i++)
        mk_mutex_lock(&m[i], MK_RANK_REGION);
    EXPECT_DEATH(mk_mutex_lock(&m[64], MK_RANK_REGION),
                 "lock record full: taking region \\(rank 5\\) while holding "
                 "64 locks");
    for (int i = 0; i < 64; i++)
        mk_mutex_unlock(&m[i], MK_RANK_REGION);
}

TEST_F(LockOrderDeathTest, AssertNoneHeldDiesHoldingALock)
{
    pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
    mk_mutex_lock(&registry, MK_RANK_REGISTRY);
    EXPECT_DEATH(mk_lock_assert_none_held(),
                 "lock is held where none may be: registry \\(rank 2\\), 1 "
                 "held");
    mk_mutex_unlock(&registry, MK_RANK_REGISTRY);
    mk_lock_enter_jemalloc();
    EXPECT_DEATH(mk_lock_assert_none_held(),
                 "held where none may be: jemalloc \\(rank 4\\)");
    mk_lock_exit_jemalloc();
}

TEST_F(LockOrder, ForgetAllClearsTheRecordOnly)
{
    pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t region = PTHREAD_MUTEX_INITIALIZER;
    mk_lock_enter_jemalloc();
    mk_mutex_lock(&region, MK_RANK_REGION);
    mk_lock_forget_all();
    // A forked child that re-initialises its locks would start so.
    EXPECT_ALIVE(mk_lock_assert_none_held());
    mk_mutex_lock(&registry, MK_RANK_REGISTRY);
    mk_mutex_unlock(&registry, MK_RANK_REGISTRY);
    // The mutex itself is still locked.
    EXPECT_EQ(EBUSY, pthread_mutex_trylock(&region));
    ASSERT_EQ(0, pthread_mutex_unlock(&region));
}

TEST_F(LockOrder, LockAndUnlockPreserveErrno)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;

    errno = canary_errno;
    mk_mutex_lock(&m, MK_RANK_REGISTRY);
    EXPECT_EQ(canary_errno, errno);
    timespec ts = deadline_in_ms(1);
    EXPECT_EQ(ETIMEDOUT, mk_cond_timedwait(&c, &m, MK_RANK_REGISTRY, &ts));
    EXPECT_EQ(canary_errno, errno);
    mk_mutex_unlock(&m, MK_RANK_REGISTRY);
    EXPECT_EQ(canary_errno, errno);
    mk_rwlock_rdlock(&l, MK_RANK_ADDRMAP);
    mk_rwlock_unlock(&l, MK_RANK_ADDRMAP);
    mk_rwlock_wrlock(&l, MK_RANK_ADDRMAP);
    mk_rwlock_unlock(&l, MK_RANK_ADDRMAP);
    EXPECT_EQ(canary_errno, errno);
    mk_lock_enter_jemalloc();
    mk_lock_assert_may_enter_jemalloc();
    mk_lock_exit_jemalloc();
    mk_lock_assert_none_held();
    mk_lock_forget_all();
    EXPECT_EQ(canary_errno, errno);

    // Contended: the lock waits in the kernel (futex), and the waker's
    // unlock has a waiter to wake.
    std::thread t = hold_for_a_while(&m);
    errno = canary_errno;
    mk_mutex_lock(&m, MK_RANK_REGISTRY);
    EXPECT_EQ(canary_errno, errno);
    t.join();
    mk_mutex_unlock(&m, MK_RANK_REGISTRY);
    EXPECT_EQ(canary_errno, errno);
    // A fresh thread: its first touch of the record.
    std::thread fresh([] {
        pthread_mutex_t own = PTHREAD_MUTEX_INITIALIZER;
        errno = canary_errno;
        mk_mutex_lock(&own, MK_RANK_PURGER);
        mk_mutex_unlock(&own, MK_RANK_PURGER);
        EXPECT_EQ(canary_errno, errno);
    });
    fresh.join();
}

TEST_F(LockOrderDeathTest, CondTimedwaitKeepsTheLockRecorded)
{
    pthread_mutex_t purger = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t set = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;

    mk_mutex_lock(&registry, MK_RANK_REGISTRY);
    timespec ts = deadline_in_ms(5);
    ASSERT_EQ(ETIMEDOUT,
              mk_cond_timedwait(&c, &registry, MK_RANK_REGISTRY, &ts));
    // The mutex is locked again, and recorded: a lower rank dies, and the
    // unlock below finds it.
    EXPECT_EQ(EBUSY, pthread_mutex_trylock(&registry));
    EXPECT_DEATH(mk_mutex_lock(&purger, MK_RANK_PURGER),
                 "taking purger \\(rank 1\\) while holding registry "
                 "\\(rank 2\\)");

    // Woken by a signal: 0, still recorded.
    std::atomic<bool> go{false};
    std::thread t([&] {
        mk_mutex_lock(&registry, MK_RANK_REGISTRY);
        go = true;
        (void)pthread_cond_signal(&c);
        mk_mutex_unlock(&registry, MK_RANK_REGISTRY);
    });
    int r = 0;
    while (!go && r == 0) {
        ts = deadline_in_ms(10000);
        r = mk_cond_timedwait(&c, &registry, MK_RANK_REGISTRY, &ts);
    }
    t.join();
    EXPECT_EQ(0, r);
    EXPECT_TRUE(go);
    EXPECT_DEATH(mk_lock_assert_none_held(), "registry \\(rank 2\\), 1 held");
    mk_mutex_unlock(&registry, MK_RANK_REGISTRY);
    EXPECT_ALIVE(mk_lock_assert_none_held());

    // Waiting on a mutex this thread does not hold.
    ts = deadline_in_ms(1);
    EXPECT_DEATH(mk_cond_timedwait(&c, &registry, MK_RANK_REGISTRY, &ts),
                 "pthread_cond_timedwait on registry \\(rank 2\\) that this "
                 "thread does not hold");
    EXPECT_DEATH(mk_cond_wait(&c, &registry, MK_RANK_REGISTRY),
                 "pthread_cond_wait on registry");
    // Waiting on the registry while holding an arena set: the wake-up
    // re-takes the registry out of order.
    mk_mutex_lock(&registry, MK_RANK_REGISTRY);
    mk_mutex_lock(&set, MK_RANK_ARENA_SET);
    EXPECT_DEATH(mk_cond_timedwait(&c, &registry, MK_RANK_REGISTRY, &ts),
                 "lock order violation: waiting on registry \\(rank 2\\) while "
                 "holding arena_set \\(rank 3\\)");
    mk_mutex_unlock(&set, MK_RANK_ARENA_SET);
    mk_mutex_unlock(&registry, MK_RANK_REGISTRY);
}

TEST_F(LockOrderDeathTest, PthreadFailureAbortsWithAMessage)
{
    // An error-checking mutex reports a self-deadlock the checker cannot
    // see (locked behind its back).
    pthread_mutexattr_t a;
    pthread_mutex_t m;
    ASSERT_EQ(0, pthread_mutexattr_init(&a));
    ASSERT_EQ(0, pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
    ASSERT_EQ(0, pthread_mutex_init(&m, &a));
    ASSERT_EQ(0, pthread_mutex_lock(&m));
    EXPECT_DEATH(mk_mutex_lock(&m, MK_RANK_PMEM),
                 "memkind: pthread_mutex_lock failed on a pmem \\(rank 6\\) "
                 "lock: EDEADLK");
    ASSERT_EQ(0, pthread_mutex_unlock(&m));
    ASSERT_EQ(0, pthread_mutex_destroy(&m));
    ASSERT_EQ(0, pthread_mutexattr_destroy(&a));
}

class LockRelease : public ::testing::Test {
  protected:
    void SetUp() override
    {
        GTEST_FLAG_SET(death_test_style, "threadsafe");
    }
};

using LockReleaseDeathTest = LockRelease;

TEST_F(LockRelease, WrappersLockAndPreserveErrno)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;

    errno = canary_errno;
    mk_test_release_mutex_lock(&m);
    EXPECT_EQ(EBUSY, pthread_mutex_trylock(&m));
    errno = canary_errno;
    timespec ts = deadline_in_ms(1);
    EXPECT_EQ(ETIMEDOUT, mk_test_release_cond_timedwait(&c, &m, &ts));
    mk_test_release_mutex_unlock(&m);
    EXPECT_EQ(canary_errno, errno);
    mk_test_release_rwlock_wrlock(&l);
    EXPECT_EQ(EBUSY, pthread_rwlock_tryrdlock(&l));
    errno = canary_errno;
    mk_test_release_rwlock_unlock(&l);
    mk_test_release_rwlock_rdlock(&l);
    mk_test_release_rwlock_unlock(&l);
    mk_test_release_checks();
    EXPECT_EQ(canary_errno, errno);

    std::thread t = hold_for_a_while(&m);
    errno = canary_errno;
    mk_test_release_mutex_lock(&m);
    EXPECT_EQ(canary_errno, errno);
    t.join();
    mk_test_release_mutex_unlock(&m);
    EXPECT_EQ(canary_errno, errno);
    EXPECT_EQ(0, pthread_mutex_trylock(&m));
    EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

TEST_F(LockReleaseDeathTest, PthreadFailureAbortsWithAMessage)
{
    pthread_mutexattr_t a;
    pthread_mutex_t m;
    ASSERT_EQ(0, pthread_mutexattr_init(&a));
    ASSERT_EQ(0, pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
    ASSERT_EQ(0, pthread_mutex_init(&m, &a));
    // Not locked: an error-checking mutex refuses the unlock (EPERM).
    EXPECT_DEATH(mk_test_release_mutex_unlock(&m),
                 "memkind: pthread_mutex_unlock failed on a registry "
                 "\\(rank 2\\) lock: EPERM \\([0-9]+\\); the lock is "
                 "corrupted or was never initialised");
    ASSERT_EQ(0, pthread_mutex_destroy(&m));
    ASSERT_EQ(0, pthread_mutexattr_destroy(&a));
}
