// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_purger.c - the PMEM purger thread.
 *
 * Owns: one thread, started with the first PMEM kind, that every
 * PMEM_PURGE_PERIOD_MS runs the idle sweep of thread caches and decay on
 * every PMEM kind's arenas, so freed file space goes back within the kind's
 * dirty decay time even when the process is idle (jemalloc itself only
 * purges an arena when that arena is used).  It parks while no PMEM kind
 * exists.  Does not own: what a sweep or a decay does (tcache.c, arena.c).
 *
 * Locks: purger_lock (MK_RANK_PURGER, first in the global order), then the
 * registry lock (any_pmem_kind); the registry lock alone for a sweep.  The
 * fork protocol holds purger_lock across fork(); in the child the thread
 * is gone, so its state is reset there (mk_pmem_purger_postfork).
 */
#include "config.h"

#include <memkind/internal/memkind_pmem.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_registry.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>

/* How often the purger thread runs decay while PMEM kinds exist. */
#define PMEM_PURGE_PERIOD_MS 100

static pthread_mutex_t purger_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t purger_cond = PTHREAD_COND_INITIALIZER;
static bool purger_running;
static bool purger_parked; /* waiting for a PMEM kind, no timeout */

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

static void *purger_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts;
        mk_mutex_lock(&purger_lock, MK_RANK_PURGER);
        if (!any_pmem_kind()) {
            purger_parked = true;
            mk_cond_wait(&purger_cond, &purger_lock, MK_RANK_PURGER);
            purger_parked = false;
        } else {
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += PMEM_PURGE_PERIOD_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            (void)mk_cond_timedwait(&purger_cond, &purger_lock, MK_RANK_PURGER,
                                    &ts);
        }
        mk_mutex_unlock(&purger_lock, MK_RANK_PURGER);
        mk_registry_lock();
        for (unsigned s = MEMKIND_NUM_BASE_KIND; s < MEMKIND_MAX_KIND; s++) {
            struct memkind *k = mk_registry_get(s);
            if (k && k->backing == MK_BACKING_FILE) {
                (void)mk_arena_flush_idle(k);
                (void)mk_arena_decay(k);
            }
        }
        mk_registry_unlock();
    }
    return NULL;
}

/* Starts the purger if needed and wakes it.  Failure only costs
 * promptness, never correctness, so it is logged and ignored. */
void mk_pmem_purger_start(void)
{
    mk_mutex_lock(&purger_lock, MK_RANK_PURGER);
    if (!purger_running) {
        pthread_t t;
        pthread_attr_t attr;
        sigset_t all, old;
        (void)pthread_attr_init(&attr);
        (void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* the purger must never take the application's signals */
        sigfillset(&all);
        (void)pthread_sigmask(SIG_SETMASK, &all, &old);
        if (pthread_create(&t, &attr, purger_main, NULL) == 0)
            purger_running = true;
        else
            mk_log_err("[memkind_pmem] cannot start the purger thread");
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
        (void)pthread_attr_destroy(&attr);
    }
    /* Only a parked purger needs waking: a running one finds the new kind
     * at its next sweep.  Waking it for every kind made it sweep during
     * each create and destroy, contending for their locks. */
    if (purger_parked)
        (void)pthread_cond_signal(&purger_cond);
    mk_mutex_unlock(&purger_lock, MK_RANK_PURGER);
}

void mk_pmem_purger_prefork(void)
{
    mk_mutex_lock(&purger_lock, MK_RANK_PURGER);
}

/*
 * After fork, purger_lock is released by the thread that took it.  In the
 * child the purger thread does not exist: its state says so, and the next
 * memkind_create_pmem starts it again.  The condition variable may record
 * the parent's waiter, so the child makes it anew (no thread can be using
 * it: the child has one thread, which holds purger_lock).
 */
void mk_pmem_purger_postfork(bool child)
{
    if (child) {
        purger_running = false;
        purger_parked = false;
        (void)pthread_cond_init(&purger_cond, NULL);
    }
    mk_mutex_unlock(&purger_lock, MK_RANK_PURGER);
}
