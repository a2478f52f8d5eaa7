// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_purger.c - the PMEM purger thread.
 *
 * Owns: one thread, started with the first PMEM kind, that every
 * PMEM_PURGE_PERIOD_MS runs the idle sweep of thread caches and decay on
 * every PMEM kind's arenas, so freed file space goes back within the kind's
 * dirty decay time even when the process is idle (jemalloc itself only
 * purges an arena when that arena is used).  Once some thread has made a
 * large cache for MEMKIND_DEFAULT it also sweeps DEFAULT, every second
 * while no PMEM kind exists.  It parks while it has neither.  Does not own:
 * what a sweep or a decay does (tcache.c, arena.c).
 *
 * Memory pressure: once a second (MK_PRESSURE_PERIOD_MS) a round also
 * reads the system's available memory, and each file kind's free file
 * system space; below MEMKIND_PRESSURE_PERCENT (memkind(3); 5 % unless
 * set, 0: never) every thread's cached objects of the kinds concerned go
 * back, used or not, and their arenas purge every free page at once
 * (give_back).  Only a process whose caches start the purger (a PMEM kind,
 * or MK_LC_SWEEP_FLOOR cached from DEFAULT) is checked.
 *
 * Time: the period is measured on CLOCK_MONOTONIC (the condition variable
 * is made with pthread_condattr_setclock), so a step of the wall clock
 * neither stalls the purger nor makes it spin.
 *
 * Locks: purger_lock (MK_RANK_PURGER, first in the global order) guards the
 * thread's state and its wait; under it the registry lock is taken briefly
 * (any_pmem_kind).  A kind's sweep and decay, which can take long on a large
 * heap, run with no lock of ours held: the kind is pinned instead
 * (mk_registry_pin), so thread exits and kind creation, which need the
 * registry lock, never wait for a decay, and a destroy of that kind waits
 * only for that kind's decay to end.
 *
 * Fork: the fork protocol (src/fork.c) holds purger_lock across fork(),
 * taken by the forking thread, so the child's thread releases it normally
 * and no lock is re-initialised.  The child has no purger thread: its
 * pins are dropped, its condition variable is made anew (it may record the
 * parent's waiter) and, when PMEM kinds exist, the thread is started again
 * at once, so the child's freed file space goes back as the parent's does
 * (mk_pmem_purger_postfork).
 */
#include "config.h"

#include <memkind/internal/memkind_pmem.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_env.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_registry.h>

#include "../os.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

/* How often the purger thread runs decay while PMEM kinds exist. */
#define PMEM_PURGE_PERIOD_MS 100
/* How often it sweeps DEFAULT's large caches when no PMEM kind exists: an
 * idle thread's cache (at most MEMKIND_LARGE_CACHE_BYTES) goes back within
 * two periods, and a process with no file kind is woken once a second, not
 * ten times. */
#define MK_PURGE_DEFAULT_PERIOD_MS 1000

/* How often a round checks for memory pressure, and the threshold in
 * percent of the total when MEMKIND_PRESSURE_PERCENT is not set. */
#define MK_PRESSURE_PERIOD_MS       1000
#define MK_PRESSURE_DEFAULT_PERCENT 5

static MK_FORK_PAGE pthread_mutex_t purger_lock = PTHREAD_MUTEX_INITIALIZER;
/* purger_cond uses CLOCK_MONOTONIC: cond_make(). */
static MK_FORK_PAGE pthread_cond_t purger_cond;
static MK_FORK_PAGE bool purger_cond_made;
static MK_FORK_PAGE bool purger_running;
/* purger_parked: waiting for a PMEM kind, no timeout. */
static MK_FORK_PAGE bool purger_parked;
/* Some thread cached a DEFAULT object: sweep DEFAULT even with no PMEM
 * kind.  Cleared in a forked child, whose caches start empty: the child
 * starts the thread at its own first DEFAULT cache (from a free, not from
 * inside fork(), so a child that only execs never starts one). */
MK_FORK_PAGE _Atomic bool mk_purger_default;

/* Makes purger_cond with the monotonic clock.  Under purger_lock.
 * Returns 0 or the pthread error. */
static int cond_make(void)
{
    pthread_condattr_t attr;
    int err = pthread_condattr_init(&attr);
    if (err)
        return err;
    err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (!err)
        err = pthread_cond_init(&purger_cond, &attr);
    (void)pthread_condattr_destroy(&attr); /* cannot fail on a made attr */
    purger_cond_made = err == 0;
    return err;
}

/* Under the registry lock: a kind destroyed meanwhile is freed memory
 * (ThreadSanitizer found the read racing a destroy). */
static bool any_pmem_kind(void)
{
    bool any = false;
    mk_registry_lock();
    for (unsigned s = MEMKIND_NUM_BASE_KIND; s < MEMKIND_MAX_KIND && !any;
         s++) {
        struct memkind *k = mk_registry_get(s);
        any = k && k->backing == MK_BACKING_FILE;
    }
    mk_registry_unlock();
    return any;
}

/* Whether the purger has work: a PMEM kind, or DEFAULT's large caches. */
static bool purger_has_work(bool pmem)
{
    return pmem ||
           atomic_load_explicit(&mk_purger_default, memory_order_relaxed);
}

/* The deadline of the next round, monotonic: now + PMEM_PURGE_PERIOD_MS
 * while PMEM kinds exist, else + MK_PURGE_DEFAULT_PERIOD_MS. */
static struct timespec next_round(bool pmem)
{
    struct timespec ts;
    long ms = pmem ? PMEM_PURGE_PERIOD_MS : MK_PURGE_DEFAULT_PERIOD_MS;
    /* CLOCK_MONOTONIC cannot fail with a valid pointer */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Pressure rounds that gave memory back (tests: mk_pmem_purger_pressure_
 * rounds()); the purger thread's own clock of the last check. */
static atomic_ulong pressure_rounds;
static struct timespec pressure_checked;

/* Free memory above the threshold by this many percent of the total rules
 * out pressure without reading /proc/meminfo: MemAvailable is at least
 * MemFree less the kernel's reserves (its watermarks, a few percent at
 * most).  So a machine with memory to spare costs one sysinfo() a second,
 * and the purger opens no file descriptor there, which a program (or a
 * test) counting its own would see come and go. */
#define MK_PRESSURE_FREE_MARGIN 5

/* The threshold in percent, 0: never (MEMKIND_PRESSURE_PERCENT). */
static unsigned pressure_percent(void)
{
    const struct mk_env *env = mk_env_get();
    static atomic_bool told;
    if (env->pressure_pct_bad && !atomic_exchange(&told, true))
        mk_log_err("MEMKIND_PRESSURE_PERCENT must be an integer from 0 to "
                   "100; using %d",
                   MK_PRESSURE_DEFAULT_PERCENT);
    return env->pressure_pct < 0 ? MK_PRESSURE_DEFAULT_PERCENT
                                 : (unsigned)env->pressure_pct;
}

/* True when avail is below pct percent of total (a total of 0 is unknown). */
static bool below(size_t avail, size_t total, unsigned pct)
{
    return total && (double)avail * 100.0 < (double)total * pct;
}

/* Whether MK_PRESSURE_PERIOD_MS passed since the last check (purger thread
 * only); if so the check is now. */
static bool pressure_due(void)
{
    struct timespec now;
    (void)clock_gettime(CLOCK_MONOTONIC, &now); /* valid pointer: no error */
    long ms = (long)(now.tv_sec - pressure_checked.tv_sec) * 1000 +
              (now.tv_nsec - pressure_checked.tv_nsec) / 1000000;
    if (pressure_checked.tv_sec && ms < MK_PRESSURE_PERIOD_MS)
        return false;
    pressure_checked = now;
    return true;
}

/* Every thread's caches of kind, then every free page of its arenas. */
static void give_back(struct memkind *kind)
{
    (void)mk_arena_flush_all(kind);
    (void)mk_arena_purge_now(kind);
}

/* The file system under a file kind is short of space (not Device DAX,
 * whose space is the device's, all of it mapped). */
static bool file_low(struct memkind *kind, unsigned pct)
{
    const struct memkind_pmem *p = kind->priv;
    size_t avail = 0, total = 0;
    return p && !p->devdax && mk_os_fs_space(p->fd, &avail, &total) == 0 &&
           below(avail, total, pct);
}

/*
 * The memory pressure check of a round.  Little memory left in the system:
 * every kind gives back (static kinds need no pin: never destroyed; one
 * not set up yet has no arenas).  A file kind also gives back when its file
 * system is short of space.  Runs with no lock held.
 */
static void pressure_round(void)
{
    unsigned pct = pressure_percent();
    if (!pct || !pressure_due())
        return;
    size_t avail = 0, total = 0;
    /* no /proc/meminfo (not mounted): no pressure known */
    bool mem = (mk_os_mem_free(&avail, &total) != 0 ||
                below(avail, total, pct + MK_PRESSURE_FREE_MARGIN)) &&
               mk_os_mem_available(&avail, &total) == 0 &&
               below(avail, total, pct);
    bool any = mem;
    for (unsigned s = 0; mem && s < MEMKIND_NUM_BASE_KIND; s++) {
        struct memkind *k = mk_registry_get(s);
        if (k && __atomic_load_n(&k->arenas, __ATOMIC_ACQUIRE))
            give_back(k);
    }
    for (unsigned s = MEMKIND_NUM_BASE_KIND; s < MEMKIND_MAX_KIND; s++) {
        struct memkind *k = mk_registry_pin_any(s);
        if (!k)
            continue;
        if (mem || (k->backing == MK_BACKING_FILE && file_low(k, pct))) {
            give_back(k);
            any = true;
        }
        mk_registry_unpin(k);
    }
    if (any)
        atomic_fetch_add(&pressure_rounds, 1);
}

unsigned long mk_pmem_purger_pressure_rounds(void)
{
    return atomic_load(&pressure_rounds);
}

static void *purger_main(void *arg)
{
    (void)arg;
    for (;;) {
        mk_mutex_lock(&purger_lock, MK_RANK_PURGER);
        bool pmem = any_pmem_kind();
        if (!purger_has_work(pmem)) {
            purger_parked = true;
            mk_cond_wait(&purger_cond, &purger_lock, MK_RANK_PURGER);
            purger_parked = false;
        } else {
            struct timespec ts = next_round(pmem);
            /* 0 or ETIMEDOUT: either way a round is due */
            (void)mk_cond_timedwait(&purger_cond, &purger_lock, MK_RANK_PURGER,
                                    &ts);
        }
        mk_mutex_unlock(&purger_lock, MK_RANK_PURGER);
        /* DEFAULT's large caches too (static: no pin needed). */
        (void)mk_arena_flush_idle(MEMKIND_DEFAULT);
        /* One kind at a time, pinned, with no lock of ours held. */
        for (unsigned s = MEMKIND_NUM_BASE_KIND; s < MEMKIND_MAX_KIND; s++) {
            struct memkind *k = mk_registry_pin(s, MK_BACKING_FILE);
            if (!k)
                continue;
            mk_fault_purger_delay();
            (void)mk_arena_flush_idle(k);
            (void)mk_arena_decay(k);
            mk_registry_unpin(k);
        }
        pressure_round();
    }
    return NULL;
}

/* Starts the thread.  Under purger_lock, purger_running false.  Failure
 * only costs promptness, never correctness, so it is logged and ignored. */
static void thread_start(void)
{
    pthread_t t;
    pthread_attr_t attr;
    sigset_t all, old;
    int err = purger_cond_made ? 0 : cond_make();
    if (!err)
        err = pthread_attr_init(&attr);
    if (err) {
        mk_log_err("[memkind_pmem] cannot start the purger thread (error %d)",
                   err);
        return;
    }
    /* cannot fail with a valid state */
    (void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* the purger must never take the application's signals */
    sigfillset(&all);
    (void)pthread_sigmask(SIG_SETMASK, &all, &old); /* valid how: no error */
    if (pthread_create(&t, &attr, purger_main, NULL) == 0)
        purger_running = true;
    else
        mk_log_err("[memkind_pmem] cannot start the purger thread");
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    (void)pthread_attr_destroy(&attr);
}

/* Starts the purger if needed and wakes it. */
void mk_pmem_purger_start(void)
{
    mk_mutex_lock(&purger_lock, MK_RANK_PURGER);
    if (!purger_running)
        thread_start();
    /* Only a parked purger needs waking: a running one finds the new kind
     * at its next sweep.  Waking it for every kind made it sweep during
     * each create and destroy, contending for their locks. */
    if (purger_running && purger_parked)
        mk_lock_check(pthread_cond_signal(&purger_cond), "pthread_cond_signal",
                      MK_RANK_PURGER);
    mk_mutex_unlock(&purger_lock, MK_RANK_PURGER);
}

void mk_pmem_purger_want_default(void)
{
    if (!atomic_exchange_explicit(&mk_purger_default, true,
                                  memory_order_relaxed))
        mk_pmem_purger_start();
}

#ifdef MK_FAULT_INJECTION
/* Test-only (memkind_fault.h): the condition the purger waits on. */
const pthread_cond_t *mk_fault_purger_cond(void)
{
    return &purger_cond;
}
#endif

void mk_pmem_purger_prefork(void)
{
    mk_mutex_lock(&purger_lock, MK_RANK_PURGER);
}

/*
 * After fork, purger_lock is released by the thread that took it (the fork
 * protocol's prepare handler, on the forking thread), in the parent and in
 * the child alike: it is never re-initialised.  In the child, which has
 * only the forking thread (holding purger_lock, every other lock of the
 * library already released), the purger thread does not exist: the pins
 * it held are dropped, its condition variable is made anew (the parent's
 * waiter is recorded in it and does not exist here; no thread of the child
 * can be using it), and the thread is started again when a PMEM kind
 * exists, so that the child's idle file space goes back as the parent's.
 * DEFAULT's sweep alone does not restart it here: the child's first
 * DEFAULT cache does (mk_purger_default).
 */
void mk_pmem_purger_postfork(bool child)
{
    if (child) {
        purger_running = false;
        purger_parked = false;
        mk_registry_drop_pins_in_child();
        if (purger_cond_made && cond_make() != 0)
            mk_log_err("[memkind_pmem] cannot restart the purger in a child");
        else if (purger_cond_made && any_pmem_kind())
            thread_start();
        atomic_store_explicit(&mk_purger_default, false, memory_order_relaxed);
    }
    mk_mutex_unlock(&purger_lock, MK_RANK_PURGER);
}
