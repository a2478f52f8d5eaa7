// SPDX-License-Identifier: BSD-2-Clause
/*
 * tcache.c - per-thread caching of the arena layer.
 *
 * Owns: each thread's state (struct mk_tls: for every registry slot the
 * mallocx flags, explicit tcache and small-object magazine it uses with
 * that kind), its creation and its clean-up at thread exit, the choice of
 * an arena and a tcache for a thread (mk_tcache_fill), the magazines' size
 * classes, and the idle sweep that empties the caches of threads that
 * stopped using a kind (with the membarrier handshake described in
 * tcache.h).
 *
 * Does not own: the large cache and its depot (lcache.c), the arenas
 * (arena.c makes them; mk_arena_set_grow), the
 * allocation entry points that use these caches (alloc.c), the purger
 * thread that runs the sweep (kinds/pmem_purger.c).
 *
 * Locks: the registry lock, then a set's lock (thread exit, statistics); a
 * set's lock alone (fill, sweep, depot transfers).  The only lock the owner
 * of a cache waits for inside its cache bracket is its kind's set lock, for
 * a depot transfer; the sweep, which holds that lock while it flushes,
 * skips an owner that is inside its bracket and never waits for one, so
 * the two cannot deadlock.
 */
#include "config.h"

#include "tcache.h"

#include <memkind/internal/memkind_env.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_numa.h>
#include <memkind/internal/memkind_pmem.h>
#include <memkind/internal/memkind_registry.h>

#include "os.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

__thread struct mk_tls *mk_tls_cur;
uint8_t mk_size2class[(MK_MAG_MAX_SIZE >> 3) + 1];
unsigned mk_mag_nclasses;

static size_t mk_class_size[MK_MAG_CLASSES];
static pthread_key_t mk_tls_key;

static void tls_destructor(void *arg);

static void mag_classes_init(void)
{
    unsigned n = 0;
    for (size_t q = 1; q <= (MK_MAG_MAX_SIZE >> 3); q++) {
        size_t cls = jemk_nallocx(q << 3, 0);
        if (n == 0 || mk_class_size[n - 1] != cls) {
            if (n == MK_MAG_CLASSES || cls > MK_MAG_MAX_SIZE)
                return; /* unexpected classes: keep magazines off */
            mk_class_size[n++] = cls;
        }
        mk_size2class[q] = (uint8_t)(n - 1);
    }
    mk_size2class[0] = 0;
    mk_mag_nclasses = n;
}

int mk_tcache_init(void)
{
    if (pthread_key_create(&mk_tls_key, tls_destructor)) {
        mk_log_err("cannot create the thread key");
        return MEMKIND_ERROR_RUNTIME;
    }
    mag_classes_init();
    mk_lc_init(mk_env_get());
    return 0;
}

/* Drops a magazine's objects without touching them (their kind is gone). */
static void mag_forget(struct mk_mag *m)
{
    if (m)
        memset(m->n, 0, sizeof(m->n));
    if (m && m->lc) {
        memset(m->lc->n, 0, sizeof(m->lc->n));
        memset(m->lc->low, 0, sizeof(m->lc->low));
        lc_bytes_set(m->lc, 0);
        m->lc->refused = 0;
        m->lc->quiet = 0; /* a new kind in the slot starts afresh */
        m->lc->free_only = 0;
    }
}

/*
 * memkind_update_cached_stats: the calling thread's large caches go back to
 * jemalloc first (every thread's cached bytes leave the allocated and
 * active figures anyway: mk_tcache_large_cached, src/stats.c).
 */
void mk_tcache_flush_own_large(void)
{
    struct mk_tls *t = mk_tls_cur;
    for (unsigned slot = 0; t && slot < MEMKIND_MAX_KIND; slot++) {
        struct mk_tls_entry *e = &t->e[slot];
        struct memkind *kind =
            e->gen && e->mag && e->mag->lc ? mk_registry_get(slot) : NULL;
        if (!kind || kind->gen != e->gen)
            continue;
        mk_cache_enter(e);
        mk_lc_flush(e->mag->lc, e->dflags);
        mk_cache_exit(e);
    }
}

void mk_tcache_mag_flush(struct mk_mag *m, int dflags)
{
    for (unsigned c = 0; m && c < MK_MAG_CLASSES; c++) {
        while (m->n[c])
            jemk_dallocx(m->obj[c][--m->n[c]], dflags);
    }
    mk_lc_flush(m ? m->lc : NULL, dflags);
}

static void tcache_destroy(unsigned tc)
{
    if (tc == MK_NO_TCACHE)
        return; /* a DEFAULT record: large cache only */
    (void)jemk_mallctl("tcache.destroy", NULL, NULL, &tc, sizeof(tc));
}

static struct mk_tls *tls_get(void)
{
    struct mk_tls *t = mk_tls_cur;
    if (MK_LIKELY(t != NULL))
        return t;
    t = mk_meta_calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (pthread_setspecific(mk_tls_key, t)) {
        mk_meta_free(t);
        return NULL;
    }
    mk_tls_cur = t;
    return t;
}

/*
 * Thread exit: flush the magazines and destroy the explicit tcaches this
 * thread made, for kinds that are still alive (a destroyed kind already
 * destroyed them), then free the thread's state.
 */
static void tls_destructor(void *arg)
{
    struct mk_tls *t = arg;
    mk_tls_cur = NULL;
    /* The registry lock keeps kinds from being destroyed under us. */
    mk_registry_lock();
    for (unsigned slot = 0; slot < MEMKIND_MAX_KIND; slot++) {
        if (!t->e[slot].gen)
            continue;
        struct memkind *kind = mk_registry_get(slot);
        if (!kind || kind->gen != t->e[slot].gen || !kind->arenas)
            continue;
        struct mk_arena_set *set = kind->arenas;
        /* Under the set lock: the idle sweep flushes under it too.  No
         * tcache: jemalloc may have cleaned up this thread's state already
         * (its destructor can run before ours), and then takes every call
         * as reentrant, where a tcache must not be used (its debug build
         * asserts it). */
        mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
        mk_tcache_mag_flush(t->e[slot].mag, MALLOCX_TCACHE_NONE);
        for (unsigned i = 0; i < set->ntcs; i++) {
            if (set->tcs[i].owner == t) {
                tcache_destroy(set->tcs[i].tcache);
                set->tcs[i] = set->tcs[--set->ntcs];
                break;
            }
        }
        mk_lc_share(set);
        mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    }
    mk_registry_unlock();
    for (unsigned slot = 0; slot < MEMKIND_MAX_KIND; slot++) {
        if (t->e[slot].mag)
            mk_meta_free(t->e[slot].mag->lc);
        mk_meta_free(t->e[slot].mag);
    }
    mk_meta_free(t);
}

unsigned mk_arena_thread_tcache_count(void)
{
    unsigned n = 0;
    struct mk_tls *t = mk_tls_cur;
    for (unsigned slot = 0; t && slot < MEMKIND_MAX_KIND; slot++) {
        struct memkind *kind = mk_registry_get(slot);
        if (t->e[slot].gen && kind && kind->gen == t->e[slot].gen &&
            t->e[slot].tcache != MK_NO_TCACHE)
            n++;
    }
    return n;
}

/* Makes room for one more tcache record.  Pre: set->lock held. */
static bool tcs_reserve(struct mk_arena_set *set)
{
    if (set->ntcs < set->tcs_cap)
        return true;
    unsigned ncap = set->tcs_cap ? set->tcs_cap * 2 : 8;
    struct mk_tc_rec *n = mk_meta_realloc(set->tcs, ncap * sizeof(*n));
    if (!n)
        return false;
    set->tcs = n;
    set->tcs_cap = ncap;
    return true;
}

/*
 * Most arenas set may have for node: the kind's cap, and for a CPU node at
 * most its CPUs and its share of MK_ARENAS_MAX, so that every CPU node can
 * have one (with more CPU nodes than MK_ARENAS_MAX, the last ones get
 * none and their threads ENOMEM: memory bound for another node would be
 * wrong).  At least 1.  Pure apart from reading the topology snapshot.
 */
static unsigned node_cap(const struct mk_arena_set *set, unsigned node)
{
    if (node == MK_NO_NODE)
        return set->arena_cap;
    const struct mk_topology *t = mk_topology_get();
    unsigned nodes = mk_nodemask_weight(t->cpu);
    unsigned cap = set->arena_cap;
    if (nodes && MK_ARENAS_MAX / nodes < cap)
        cap = MK_ARENAS_MAX / nodes;
    unsigned cpus = 0;
    for (unsigned c = 0; c < t->nr_cpus && cpus < cap; c++)
        if (t->cpu_node[c] == node)
            cpus++;
    return cpus ? cpus : 1;
}

/*
 * The arena of node (MK_NO_NODE: of a kind that is not node-local) handed
 * to the fewest threads, after making a new one while every arena of node
 * already serves a thread and node_cap allows (sharing is fine when that
 * fails).  Pre: set->lock held.  Returns its position in set->arena_idx,
 * or -1 when node has no arena and none can be made.
 */
static int pick_arena(struct mk_arena_set *set, unsigned node)
{
    int best = -1;
    unsigned have = 0;
    for (unsigned i = 0; i < set->narenas; i++) {
        if (set->arena_node[i] != node)
            continue;
        have++;
        if (best < 0 || set->arena_users[i] < set->arena_users[best])
            best = (int)i;
    }
    if ((best < 0 || set->arena_users[best] > 0) &&
        have < node_cap(set, node) && mk_arena_set_grow(set, node) == 0)
        best = (int)set->narenas - 1;
    return best;
}

/* Empties the caches of e, current for kind but made for another node:
 * their objects go back to the old node's arena.  Pre: set->lock held (no
 * idle sweep can hold them then), e is the caller's. */
static void entry_flush(struct mk_tls_entry *e)
{
    mk_tcache_mag_flush(e->mag, e->dflags);
    if (e->tcache != MK_NO_TCACHE) {
        unsigned tc = e->tcache;
        (void)jemk_mallctl("tcache.flush", NULL, NULL, &tc, sizeof(tc));
    }
}

int mk_tcache_fill(struct memkind *kind, unsigned *arena_out)
{
    /* What fails on the way (the thread's state, a new arena, the tcache
     * record or tcache) only costs caching: errno changes only with -1. */
    int oerrno = errno;
    struct mk_arena_set *set = kind->arenas;
    struct mk_tls *t = tls_get();
    if (!set) {
        errno = ENOMEM;
        return -1;
    }
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    unsigned node =
        mk_arena_set_local(set) ? mk_numa_current_node() : MK_NO_NODE;
    int pos = pick_arena(set, node);
    if (pos < 0) {
        mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
        errno = ENOMEM;
        return -1;
    }
    set->arena_users[pos]++;
    set->threads_seen++;
    unsigned arena = set->arena_idx[pos];
    struct mk_tls_entry *e = t ? &t->e[kind->partition] : NULL;
    unsigned tc = MK_NO_TCACHE;
    if (e && e->gen == kind->gen) {
        /* Moved to another node: same tcache, emptied. */
        entry_flush(e);
        tc = e->tcache;
    } else if (t && tcs_reserve(set)) {
        unsigned id;
        size_t sz = sizeof(id);
        if (!mk_fault_hit() &&
            jemk_mallctl("tcache.create", &id, &sz, NULL, 0) == 0) {
            set->tcs[set->ntcs++] = (struct mk_tc_rec){id, t, false};
            mk_lc_share(set);
            tc = id;
        }
    }
    int dflags =
        tc == MK_NO_TCACHE ? MALLOCX_TCACHE_NONE : (int)MALLOCX_TCACHE(tc);
    int flags = (int)MALLOCX_ARENA(arena) | dflags;
    if (e) {
        if (e->gen != kind->gen)
            mag_forget(e->mag); /* objects of an earlier kind in this slot */
        e->gen = kind->gen;
        e->flags = flags;
        e->dflags = dflags;
        e->arena = arena;
        e->tcache = tc;
        e->node = (uint16_t)node;
    }
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    if (arena_out)
        *arena_out = arena;
    errno = oerrno;
    return flags;
}

__attribute__((noinline, cold)) void mk_tcache_wait(struct mk_tls_entry *e)
{
    /* The sweeper flushes under the set lock: waiting for it while holding
     * any lock could deadlock. */
    mk_lock_assert_none_held();
    while (atomic_load_explicit(&e->claim, memory_order_acquire))
        sched_yield();
}

/*
 * A full memory barrier on every running thread, or -1 when the kernel
 * offers none (the idle sweep then does nothing).  Logged once.
 */
static int heavy_barrier(void)
{
    static bool told;
    int err = mk_fault_no_membarrier() ? ENOSYS : mk_os_membarrier();
    if (err && !told) {
        told = true;
        mk_log_info("membarrier unavailable: idle thread caches of file "
                    "kinds are not flushed");
    }
    return err ? -1 : 0;
}

/*
 * The sweep of kind's thread caches: empties the magazine and explicit
 * tcache of every thread that has not used kind since the previous sweep
 * (all: of every thread, used or not), so that the objects they hold go
 * back to the arenas and, with decay, their file blocks to the file
 * system (jemalloc flushes a tcache only as its owner allocates).  An idle
 * thread's caches are flushed once per idle period.  A thread inside its
 * cache bracket at that moment keeps its caches (the owner wins), in both
 * modes.  The depot goes back after a period without transfers (all: now).
 * Called by the PMEM purger thread; takes the set lock.
 * Returns the number of caches flushed (0 also when membarrier is missing).
 */
static unsigned flush_caches(struct memkind *kind, bool all)
{
    /* acquire: a static kind's set is published by its first use
     * (memkind_arena_create_map), and the pressure round reads it then */
    struct mk_arena_set *set = __atomic_load_n(&kind->arenas, __ATOMIC_ACQUIRE);
    unsigned nclaimed = 0, nflushed = 0;
    if (!set)
        return 0;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    if (all || !set->depot_used)
        mk_tcache_depot_flush(set);
    set->depot_used = false;
    for (unsigned i = 0; i < set->ntcs; i++) {
        struct mk_tc_rec *r = &set->tcs[i];
        struct mk_tls_entry *e = &r->owner->e[kind->partition];
        bool active = atomic_load_explicit(&e->used, memory_order_relaxed);
        if (active) {
            atomic_store_explicit(&e->used, 0, memory_order_relaxed);
            r->flushed = false;
        }
        /* a flushed entry unused since holds nothing */
        if (!r->flushed && (all || !active)) {
            atomic_store_explicit(&e->claim, 1, memory_order_relaxed);
            nclaimed++;
        }
    }
    if (nclaimed && heavy_barrier() == 0) {
        mk_fault_sweep_delay(); /* tests: fork() while caches are claimed */
        for (unsigned i = 0; i < set->ntcs; i++) {
            struct mk_tc_rec *r = &set->tcs[i];
            struct mk_tls_entry *e = &r->owner->e[kind->partition];
            /* acquire: the owner's last use happens before the flush.
             * Idle mode: an entry used meanwhile is active again, and the
             * owner wins.  Either mode: so does an owner inside its
             * bracket; one outside it has finished with the caches and
             * waits for the claim at its next entry (the barrier). */
            if (!atomic_load_explicit(&e->claim, memory_order_relaxed) ||
                atomic_load_explicit(&e->busy, memory_order_acquire) ||
                (!all && atomic_load_explicit(&e->used, memory_order_relaxed)))
                continue;
            mk_tcache_mag_flush(e->mag, e->dflags);
            unsigned tc = r->tcache;
            if (tc != MK_NO_TCACHE)
                (void)jemk_mallctl("tcache.flush", NULL, NULL, &tc, sizeof(tc));
            r->flushed = true;
            nflushed++;
        }
    }
    for (unsigned i = 0; nclaimed && i < set->ntcs; i++) {
        struct mk_tls_entry *e = &set->tcs[i].owner->e[kind->partition];
        atomic_store_explicit(&e->claim, 0, memory_order_release);
    }
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    return nflushed;
}

unsigned mk_arena_flush_idle(struct memkind *kind)
{
    return flush_caches(kind, false);
}

unsigned mk_arena_flush_all(struct memkind *kind)
{
    return flush_caches(kind, true);
}

/*
 * Destroys every explicit tcache recorded in set (the kind is going away;
 * threads that used them find a new generation and never touch them).
 * Pre: set->lock held.
 */
void mk_tcache_destroy_all(struct mk_arena_set *set)
{
    for (unsigned i = 0; i < set->ntcs; i++)
        tcache_destroy(set->tcs[i].tcache);
    set->ntcs = 0;
    mk_lc_share(set);
}

/*
 * The calling thread's entry for MEMKIND_DEFAULT, made on first need for
 * its large cache: DEFAULT allocates through jemalloc's automatic arenas
 * and tcache, so the entry has no arena or tcache of its own (flags 0,
 * dflags MALLOCX_TCACHE_NONE: a flush gives objects back to their arena).
 * Recorded in mk_default_set's tcache records with MK_NO_TCACHE, so that
 * thread exit and the idle sweep find it like any other.  Takes the set
 * lock.  Returns the entry or NULL (errno kept).
 */
struct mk_tls_entry *mk_lc_default_entry(void)
{
    struct memkind *kind = MEMKIND_DEFAULT;
    struct mk_tls_entry *e = mk_tcache_entry_gen(kind);
    if (e)
        return e;
    int oerrno = errno;
    struct mk_tls *t = tls_get();
    struct mk_arena_set *set = kind->arenas;
    if (!t || !set) {
        errno = oerrno;
        return NULL;
    }
    e = &t->e[kind->partition];
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    if (tcs_reserve(set)) {
        set->tcs[set->ntcs++] = (struct mk_tc_rec){MK_NO_TCACHE, t, false};
        mag_forget(e->mag);
        e->flags = 0;
        e->dflags = MALLOCX_TCACHE_NONE;
        e->arena = 0;
        e->tcache = MK_NO_TCACHE;
        e->node = (uint16_t)MK_NO_NODE;
        e->gen = kind->gen;
    } else {
        e = NULL;
    }
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    errno = oerrno;
    return e;
}

/*
 * Forked child (fork.c, after jemalloc's child handler, single-threaded).
 * The forking thread's caches go back to jemalloc (it was in fork(), so
 * outside every cache bracket: they are consistent), or are forgotten for
 * a PMEM kind the child has no copy of (fork_broken: its range is
 * PROT_NONE).  Every other thread's record is dropped and its caches are
 * never touched again: those threads do not exist here, and fork() may
 * have caught one inside its cache bracket - an object taken out but the
 * count not yet lowered, or a GC that has freed objects it has not yet
 * removed - where no lock would have stopped it (the owner takes none),
 * and the child's memory is not even a copy taken at one instant (stores
 * through other CPUs' stale TLB entries land until fork() flushes them).
 * Flushing such a cache freed blocks twice (the stress test's children
 * crashed in jemalloc).  What they held stays allocated in the child, as
 * a dead thread's jemalloc tcache does; the sweep cannot reach it either,
 * since it only walks the records.  Their explicit tcaches are leaked
 * likewise (destroying one flushes it).
 */
void mk_tcache_postfork_child(void)
{
    struct mk_tls *self = mk_tls_cur;
    for (unsigned slot = 0; slot < MEMKIND_MAX_KIND; slot++) {
        struct memkind *kind = mk_registry_get(slot);
        struct mk_arena_set *set = kind ? kind->arenas : NULL;
        if (!set)
            continue;
        const struct memkind_pmem *pm =
            kind->backing == MK_BACKING_FILE ? kind->priv : NULL;
        bool broken = pm && pm->fork_broken;
        /* The depot was consistent at fork (its lock was held); with no
         * copy of the kind's memory, its objects are forgotten. */
        if (broken && set->depot) {
            memset(set->depot->n, 0, sizeof(set->depot->n));
            lc_bytes_set(set->depot, 0);
        }
        for (unsigned i = 0; i < set->ntcs;) {
            if (set->tcs[i].owner != self) {
                set->tcs[i] = set->tcs[--set->ntcs];
                continue;
            }
            struct mk_tls_entry *e = &self->e[slot];
            if (e->gen == kind->gen) {
                if (broken)
                    mag_forget(e->mag);
                else
                    mk_tcache_mag_flush(e->mag, MALLOCX_TCACHE_NONE);
            }
            i++;
        }
        mk_lc_share(set); /* the forking thread's share only */
    }
}
