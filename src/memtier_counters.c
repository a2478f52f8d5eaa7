// SPDX-License-Identifier: BSD-2-Clause
/*
 * memtier_counters.c - the per-kind byte counters of the memtier_* API:
 * what memtier_kind_allocated_size() (libmemtier(3)) reports and what the
 * placement policies of memtier.c weigh.
 *
 * Owns the counter state (settled totals, per-thread buckets, the pthread
 * key that folds a bucket when its thread exits) and the functions that
 * add to it and read it, including memtier_kind_allocated_size().  Does
 * not own what is counted or when: memtier.c decides which calls count
 * which usable sizes, and owns the builder, the memories and the policies.
 * Counts are keyed by registry partition; the registry forgets a slot's
 * counts when it destroys the dynamic kind in it, so a kind that later
 * takes the slot starts from 0, as in 1.14 (issue #14).  Allocates nothing.
 *
 * Each kind (by registry partition) has a settled total and one pending
 * delta per thread bucket.  A thread adds to its own bucket with a relaxed
 * atomic and moves the bucket into the total once it exceeds
 * MT_FLUSH_BYTES either way, so the hot path touches one cache line that no
 * other thread writes (until more threads than buckets exist).  The exact
 * value is total + all buckets; the policies read the cheaper total + own
 * bucket, which is at most MT_FLUSH_BYTES stale per other bucket in use.
 * A thread folds its bucket into the totals when it exits (a pthread key
 * destructor), so buckets of finished threads do not skew the policies.
 *
 * Locks: none; every update is a single relaxed atomic.
 */
#include "config.h"

#include "memtier_counters.h"

#include <memkind_memtier.h>

#include <memkind/internal/memkind_private.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Per-thread counter buckets, and how far a bucket may drift before it is
 * folded into the kind's total. */
#define MT_BUCKETS     64u
#define MT_FLUSH_BYTES (64 * 1024)

/* One bucket: a pending delta for every kind.  A bucket spans 4 KiB, so two
 * threads in different buckets never write the same cache line. */
struct mt_bucket {
    _Atomic long long pending[MEMKIND_MAX_KIND]; ///< bytes not yet in total
};

static struct mt_bucket mt_buckets[MT_BUCKETS];
static _Atomic long long mt_total[MEMKIND_MAX_KIND]; ///< settled bytes
static _Atomic unsigned mt_next_bucket;              ///< round-robin source
static _Thread_local unsigned mt_my_bucket;          ///< bucket + 1; 0 unset

/* Folds every pending delta of bucket b into the kind totals.  Any thread
 * may do this at any time: each move is one exchange and one add. */
static void mt_fold_bucket(unsigned b)
{
    for (unsigned p = 0; p < MEMKIND_MAX_KIND; ++p) {
        _Atomic long long *slot = &mt_buckets[b].pending[p];
        if (atomic_load_explicit(slot, memory_order_relaxed) == 0)
            continue;
        long long moved =
            atomic_exchange_explicit(slot, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&mt_total[p], moved, memory_order_relaxed);
    }
}

static pthread_once_t mt_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t mt_key;
static bool mt_key_ok;

/* Key destructor: arg is the exiting thread's bucket + 1. */
static void mt_thread_exit(void *arg)
{
    mt_fold_bucket((unsigned)(uintptr_t)arg - 1);
}

static void mt_key_create(void)
{
    /* Without a key (all taken) buckets are simply not folded at exit. */
    mt_key_ok = pthread_key_create(&mt_key, mt_thread_exit) == 0;
}

/*
 * The calling thread's bucket, handed out round-robin on first use so that
 * up to MT_BUCKETS threads never share one.  The bucket is recorded in TLS
 * before pthread_setspecific() runs: glibc may calloc() there (keys past
 * the first 32), which under libmemtier comes back here and must find the
 * bucket already set rather than recurse.
 */
static inline unsigned mt_bucket(void)
{
    unsigned b = mt_my_bucket;
    if (MK_UNLIKELY(b == 0)) {
        b = atomic_fetch_add_explicit(&mt_next_bucket, 1,
                                      memory_order_relaxed) %
                MT_BUCKETS +
            1;
        mt_my_bucket = b;
        (void)pthread_once(&mt_key_once, mt_key_create); /* cannot fail */
        /* On failure (ENOMEM) this thread's bucket is just not folded. */
        if (mt_key_ok)
            (void)pthread_setspecific(mt_key, (void *)(uintptr_t)b);
    }
    return b - 1;
}

static inline bool mt_has_slot(const struct memkind *kind)
{
    return kind->partition < MEMKIND_MAX_KIND;
}

/*
 * Adds delta bytes to kind's count: memtier.c calls it with the usable
 * size of every block it allocates, frees or resizes.  A kind without a
 * registry slot is not counted.  Called on every memtier allocation, so it
 * neither locks nor logs.
 */
void mk_memtier_counters_add(struct memkind *kind, long long delta)
{
    if (MK_UNLIKELY(!mt_has_slot(kind)))
        return;
    unsigned p = kind->partition;
    _Atomic long long *slot = &mt_buckets[mt_bucket()].pending[p];
    long long v =
        atomic_fetch_add_explicit(slot, delta, memory_order_relaxed) + delta;
    if (v > MT_FLUSH_BYTES || v < -MT_FLUSH_BYTES) {
        long long moved =
            atomic_exchange_explicit(slot, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&mt_total[p], moved, memory_order_relaxed);
    }
}

/*
 * The policies' view of kind's bytes: settled total plus this thread's
 * pending delta, without summing the other buckets.  Exact in a single
 * thread.  Returns the byte count, which may be negative (blocks freed
 * through memtier_* that memkind_malloc() made), or 0 for a kind without a
 * registry slot.
 */
long long mk_memtier_counters_read_approx(struct memkind *kind)
{
    if (MK_UNLIKELY(!mt_has_slot(kind)))
        return 0;
    unsigned p = kind->partition;
    return atomic_load_explicit(&mt_total[p], memory_order_relaxed) +
           atomic_load_explicit(&mt_buckets[mt_bucket()].pending[p],
                                memory_order_relaxed);
}

/*
 * Exact bytes of kind allocated through memtier_* and not yet freed, once
 * concurrent calls have finished.  COMPAT(1.14): 1.14 crashed on NULL and
 * returned a huge value when memtier_free() was given blocks that
 * memkind_malloc() made; we return 0 for both.
 */
MK_EXPORT size_t memtier_kind_allocated_size(memkind_t kind)
{
    if (!kind || !mt_has_slot(kind))
        return 0;
    unsigned p = kind->partition;
    long long sum = atomic_load_explicit(&mt_total[p], memory_order_relaxed);
    for (unsigned b = 0; b < MT_BUCKETS; ++b)
        sum += atomic_load_explicit(&mt_buckets[b].pending[p],
                                    memory_order_relaxed);
    return sum > 0 ? (size_t)sum : 0;
}

/*
 * Forgets every byte counted for registry slot partition: its settled total
 * and the pending delta of every thread bucket.  The registry calls it
 * under its lock when it destroys the dynamic kind in that slot, before the
 * slot can be given to a new kind, so the new kind's count starts from 0
 * and the placement policies weigh it as empty (COMPAT(1.14): 1.14 resets
 * the counts on destroy too; without the reset blocks left in the old kind
 * skewed STATIC_RATIO and DYNAMIC_THRESHOLD).
 *
 * No thread can be adding to this slot meanwhile: memkind(3) makes using a
 * kind while (or after) it is destroyed undefined, and memtier.c counts a
 * block only while its kind is alive.  A program that does so anyway loses
 * or keeps a few bytes in the new kind's count, never memory.
 */
void mk_memtier_counters_forget(unsigned partition)
{
    if (partition >= MEMKIND_MAX_KIND)
        return;
    for (unsigned b = 0; b < MT_BUCKETS; ++b)
        atomic_store_explicit(&mt_buckets[b].pending[partition], 0,
                              memory_order_relaxed);
    atomic_store_explicit(&mt_total[partition], 0, memory_order_relaxed);
}
