// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_lock.h - the library's lock wrappers and its global lock order
 * (internal, not installed; the code is in src/lock.c).
 *
 * Every pthread mutex, rwlock and condition wait of the library goes through
 * these wrappers, each call naming the rank of the lock it takes.  Ranks
 * exist because the library's locks are taken from four directions at once:
 * the API (memkind_create_kind() and friends), jemalloc's extent hooks
 * (which jemalloc calls while it holds its own mutexes), the PMEM purger
 * thread and fork handlers.  Two threads that take the same two locks in
 * opposite orders can deadlock, and such a deadlock shows up only under
 * rare interleavings.  Giving every lock a rank and taking locks only in
 * increasing rank turns "could deadlock one day" into an abort on the first
 * run that takes a pair in the wrong order, in debug builds.
 *
 * The global lock order.  A thread holding a lock may take only locks of a
 * strictly higher rank; ranks marked "many" may also be held several at a
 * time (who takes several takes them in one agreed order, slot order; the
 * checker cannot see that order).
 *
 *   1 MK_RANK_PURGER      purger_lock (src/kinds/pmem_purger.c): the PMEM
 *                         purger thread's state.  Taken holding nothing, by
 *                         the purger thread (which takes the registry lock
 *                         under it) and after a PMEM kind is created.
 *   2 MK_RANK_REGISTRY    registry_lock (src/registry.c).  Taken by the API
 *                         (kind creation and destruction), thread exit
 *                         (tcache.c), the purger (under purger_lock, and
 *                         briefly to pin and unpin each kind it decays).
 *   3 MK_RANK_ARENA_SET   a kind's arena set lock (src/arena_set.h), "many":
 *                         taken holding the registry lock (thread exit, kind
 *                         destruction) or nothing (the purger's sweep and
 *                         decay of a pinned kind, arena and tcache creation
 *                         in tcache.c and alloc.c, settings in arena.c,
 *                         stats.c); calls into jemalloc are made under it.
 *   4 MK_RANK_JEMALLOC    pseudo-rank for jemalloc's own mutexes, "many"
 *                         (jemalloc may re-enter itself, so hooks may
 *                         nest): pushed by mk_lock_enter_jemalloc() at
 *                         extent hook entry and asserted by
 *                         mk_lock_assert_may_enter_jemalloc() before calls
 *                         into jemalloc (src/jemk_ctl.c).  Nothing ranked
 *                         above it may be held when jemalloc is called.
 *   5 MK_RANK_REGION      a kind's region list lock (src/arena.c), "many",
 *                         taken inside the generic extent hooks.
 *   6 MK_RANK_PMEM        a PMEM kind's lock (src/kinds/pmem.c), "many",
 *                         taken inside its extent hooks.
 *   7 MK_RANK_FIXED_KIND  a fixed kind's lock (src/kinds/fixed.c), "many",
 *                         taken inside extent hooks (its carve).
 *   8 MK_RANK_FAMILY      family_lock (src/numa.c): builds a NUMA node
 *                         family on first use, possibly inside extent hooks
 *                         or under a set lock (mk_arena_set_local asks the
 *                         kind's node set for every CPU node).
 *   9 MK_RANK_ADDRMAP     fixed_lock (src/addrmap.c), the address map's
 *                         fixed-area rwlock: a leaf, under which nothing
 *                         else is taken.
 *
 * The fork protocol (src/fork.c) takes every lock of the library in this
 * order before fork(), calling jemalloc's own prefork handler at rank 4,
 * and releases them in the reverse order after it.

 * Contracts shared by every wrapper:
 * - A pthread failure here can only come from a corrupted or uninitialised
 *   lock, so the wrappers do not return it: they write one line naming the
 *   call, the rank and the error to fd 2 with write(2) (no stdio, no heap:
 *   they run inside the allocator and inside fork handlers) and abort().
 * - errno is preserved (free paths must not change it).  The pthread calls
 *   themselves report errors by return value and leave errno alone (glibc
 *   makes its futex calls as internal syscalls); test/unit/lock_rank_test
 *   checks this for both the checking and the release wrappers.
 *
 * #if switches: MK_LOCK_CHECK (config.h defines it to 1 with
 * --enable-debug).  Undefined or 0: the wrappers are static inline and cost
 * the pthread call and a branch on its result (the rank only names the lock
 * in a failure message), and the mk_lock_*() checks are empty.  1: src/lock.c
 * keeps a per-thread record of held locks and aborts with a message on the
 * first violation of the order above (see the functions' comments there).
 */
#pragma once

#include <errno.h>
#include <pthread.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * MK_FORK_PAGE: puts a static variable that the fork protocol writes (a
 * lock it takes, state its handlers reset) on the library's fork page.
 * After fork() every page the parent or the child writes first is copied,
 * each copy a page fault (11-35 us in a VM, plus a TLB shootdown IPI when
 * the parent has other threads), and these variables were spread over six
 * pages of libmemkind's data.  src/fork_page.ld gathers the section, with
 * jemalloc's own global mutexes, on one 4 KiB-aligned page of at most
 * 4 KiB (test/abi/check-abi.sh checks the layout).  Only for writable
 * variables of static storage; in binaries linked without the script (the
 * unit tests) it is an ordinary data section.
 */
#define MK_FORK_PAGE __attribute__((section("mk_fork_page")))

#if defined(MK_LOCK_CHECK) && MK_LOCK_CHECK
#define MK_LOCK_CHECKING 1
#else
#define MK_LOCK_CHECKING 0
#endif

/* Lower ranks are taken first: see the lock order above. */
enum mk_lock_rank
{
    MK_RANK_NONE = 0,   ///< not a rank: the checker rejects it
    MK_RANK_PURGER,     ///< purger_lock: PMEM purger thread state
    MK_RANK_REGISTRY,   ///< registry lock
    MK_RANK_ARENA_SET,  ///< per-kind arena set lock ("many")
    MK_RANK_JEMALLOC,   ///< pseudo-rank: inside jemalloc or an extent hook
    MK_RANK_REGION,     ///< per-kind region list lock ("many")
    MK_RANK_PMEM,       ///< per-PMEM-kind lock ("many")
    MK_RANK_FIXED_KIND, ///< per-fixed-kind lock ("many")
    MK_RANK_FAMILY,     ///< NUMA node family build lock
    MK_RANK_ADDRMAP,    ///< address map fixed-area rwlock: a leaf
    MK_RANK_COUNT
};

/// The rank's short name ("registry", "region"...); "invalid" out of range.
const char *mk_lock_rank_name(enum mk_lock_rank rank);

/*
 * Reports that pthread call `what` failed with err on a lock of rank, and
 * aborts.  Used by the wrappers only; never returns.
 */
void mk_lock_fail(const char *what, int err, enum mk_lock_rank rank)
    __attribute__((noreturn, cold));

/*
 * Checks err, the result of pthread call `what` on an object that belongs
 * to a lock of rank and has no wrapper of its own (a condition's signal,
 * broadcast or init): aborts through mk_lock_fail() unless it is 0.  For
 * the same reason as the wrappers: such a call fails only on a corrupted
 * object, and must not be ignored with (void) (CONVENTIONS.md 11).
 */
static inline void mk_lock_check(int err, const char *what,
                                 enum mk_lock_rank rank)
{
    if (__builtin_expect(err != 0, 0))
        mk_lock_fail(what, err, rank);
}

/*
 * The wrappers' contracts, the same in both builds (rank: the lock's place
 * in the order above; "checking" says what MK_LOCK_CHECK=1 adds, each check
 * aborting with a message naming the ranks involved):
 *
 * mk_mutex_lock(m, rank): takes m.  Checking: a held lock of a higher
 *     rank, of the same rank unless it is "many", or m itself, is a
 *     violation (checked before blocking, so it aborts instead of hanging).
 * mk_mutex_unlock(m, rank): releases m, held by this thread; locks may be
 *     released in any order.  Checking: m must be recorded with that rank.
 * mk_rwlock_rdlock(l, rank), mk_rwlock_wrlock(l, rank): as mk_mutex_lock
 *     (a second read lock of l by one thread counts as taking it again).
 * mk_rwlock_unlock(l, rank): as mk_mutex_unlock, for either mode.
 * mk_rwlock_reinit_in_child(l, rank): in a forked child, for an rwlock the
 *     forking thread took for writing before fork(): makes it anew,
 *     unlocked.  glibc's unlock cannot be used there: it recognises the
 *     writer by thread id, which differs in the child, so it would take the
 *     call for a reader's and leave the lock write-locked for ever.  Safe
 *     only in the fork protocol's child handler (one thread, which took the
 *     lock).  Checking: l must be recorded as held with rank.
 * mk_cond_timedwait(c, m, rank, abstime): waits on c until signalled or
 *     abstime; m is held on entry and on return and stays recorded as held.
 *     Returns 0 or ETIMEDOUT.  Checking: m must be held with that rank, and
 *     re-taking it on wake-up must respect the order against the other locks
 *     held.
 * mk_cond_wait(c, m, rank): the same without a deadline.
 * mk_lock_enter_jemalloc(): at extent hook entry; pushes the MK_RANK_JEMALLOC
 *     pseudo-lock (hooks may nest).  Checking: as taking a lock of that rank.
 * mk_lock_exit_jemalloc(): at hook exit; pops it.
 * mk_lock_assert_may_enter_jemalloc(): before any call into jemalloc.
 *     Checking: aborts if a lock ranked above MK_RANK_JEMALLOC is held
 *     (jemalloc may call a hook that takes it: deadlock).
 * mk_lock_assert_none_held(): checking: aborts if any lock, the pseudo-lock
 *     included, is held (before waiting for another thread, e.g. the idle
 *     sweeper).
 * mk_lock_forget_all(): empties this thread's record, touching no lock (a
 *     forked child that re-initialises its locks; tests).
 *
 * Release builds: the four mk_lock_*() checks are empty.
 */
#if MK_LOCK_CHECKING

void mk_mutex_lock(pthread_mutex_t *m, enum mk_lock_rank rank);
void mk_mutex_unlock(pthread_mutex_t *m, enum mk_lock_rank rank);
void mk_rwlock_rdlock(pthread_rwlock_t *l, enum mk_lock_rank rank);
void mk_rwlock_wrlock(pthread_rwlock_t *l, enum mk_lock_rank rank);
void mk_rwlock_unlock(pthread_rwlock_t *l, enum mk_lock_rank rank);
void mk_rwlock_reinit_in_child(pthread_rwlock_t *l, enum mk_lock_rank rank);
int mk_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                      enum mk_lock_rank rank, const struct timespec *abstime);
void mk_cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
                  enum mk_lock_rank rank);
void mk_lock_enter_jemalloc(void);
void mk_lock_exit_jemalloc(void);
void mk_lock_assert_may_enter_jemalloc(void);
void mk_lock_assert_none_held(void);
void mk_lock_forget_all(void);

#else /* release: the pthread call and a check of its result, nothing else */

#define MK_LOCK_CALL(call, what, rank)                                         \
    do {                                                                       \
        int mk_lock_err_ = (call);                                             \
        if (__builtin_expect(mk_lock_err_ != 0, 0))                            \
            mk_lock_fail(what, mk_lock_err_, rank);                            \
    } while (0)

/* Takes m (rank: its place in the lock order); aborts on pthread failure. */
static inline void mk_mutex_lock(pthread_mutex_t *m, enum mk_lock_rank rank)
{
    MK_LOCK_CALL(pthread_mutex_lock(m), "pthread_mutex_lock", rank);
}

/* Releases m, held by this thread; aborts on pthread failure. */
static inline void mk_mutex_unlock(pthread_mutex_t *m, enum mk_lock_rank rank)
{
    MK_LOCK_CALL(pthread_mutex_unlock(m), "pthread_mutex_unlock", rank);
}

/* Takes l for reading; aborts on pthread failure. */
static inline void mk_rwlock_rdlock(pthread_rwlock_t *l, enum mk_lock_rank rank)
{
    MK_LOCK_CALL(pthread_rwlock_rdlock(l), "pthread_rwlock_rdlock", rank);
}

/* Takes l for writing; aborts on pthread failure. */
static inline void mk_rwlock_wrlock(pthread_rwlock_t *l, enum mk_lock_rank rank)
{
    MK_LOCK_CALL(pthread_rwlock_wrlock(l), "pthread_rwlock_wrlock", rank);
}

/* Releases l (read or write), held by this thread; aborts on failure. */
static inline void mk_rwlock_unlock(pthread_rwlock_t *l, enum mk_lock_rank rank)
{
    MK_LOCK_CALL(pthread_rwlock_unlock(l), "pthread_rwlock_unlock", rank);
}

/* In a forked child: makes l anew, unlocked (see above). */
static inline void mk_rwlock_reinit_in_child(pthread_rwlock_t *l,
                                             enum mk_lock_rank rank)
{
    MK_LOCK_CALL(pthread_rwlock_init(l, NULL), "pthread_rwlock_init", rank);
}

/*
 * Waits on c until signalled or abstime (CLOCK_REALTIME unless c says
 * otherwise); m, of the given rank, is held on entry and on return.
 * Returns 0 or ETIMEDOUT; aborts on any other pthread result.
 */
static inline int mk_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                    enum mk_lock_rank rank,
                                    const struct timespec *abstime)
{
    int err = pthread_cond_timedwait(c, m, abstime);
    if (__builtin_expect(err != 0 && err != ETIMEDOUT, 0))
        mk_lock_fail("pthread_cond_timedwait", err, rank);
    return err;
}

/* Waits on c until signalled; m is held on entry and on return. */
static inline void mk_cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
                                enum mk_lock_rank rank)
{
    MK_LOCK_CALL(pthread_cond_wait(c, m), "pthread_cond_wait", rank);
}

/* The checks: empty in release builds (see src/lock.c). */
static inline void mk_lock_enter_jemalloc(void)
{
}

static inline void mk_lock_exit_jemalloc(void)
{
}

static inline void mk_lock_assert_may_enter_jemalloc(void)
{
}

static inline void mk_lock_assert_none_held(void)
{
}

static inline void mk_lock_forget_all(void)
{
}

#undef MK_LOCK_CALL

#endif /* MK_LOCK_CHECKING */

#ifdef __cplusplus
}
#endif
