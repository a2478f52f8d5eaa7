// SPDX-License-Identifier: BSD-2-Clause
/*
 * tcache.c - per-thread caching of the arena layer.
 *
 * Owns: each thread's state (struct mk_tls: for every registry slot the
 * mallocx flags, explicit tcache and small-object magazine it uses with
 * that kind), its creation and its clean-up at thread exit, the choice of
 * an arena and a tcache for a thread (mk_tcache_fill), the magazines' size
 * classes, the large cache and its per-kind depot, and the idle sweep
 * that empties the caches of threads that stopped using a kind (with the
 * membarrier handshake described in tcache.h).
 *
 * Does not own: the arenas (arena.c makes them; mk_arena_set_grow), the
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
#include <memkind/internal/memkind_util.h>

#include "os.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

__thread struct mk_tls *mk_tls_cur;
uint8_t mk_size2class[(MK_MAG_MAX_SIZE >> 3) + 1];
unsigned mk_mag_nclasses;

size_t mk_lc_min = SIZE_MAX; /* off until lc_classes_init */
size_t mk_lc_budget;
bool mk_lc_budget_given;
unsigned mk_lc_lg;
unsigned mk_lc_nclasses;
size_t mk_lc_size[MK_LC_CLASSES];
uint32_t mk_lc_off[MK_LC_CLASSES];
uint16_t mk_lc_cap[MK_LC_CLASSES];
void *_Atomic mk_lc_skip[MK_LC_SKIP];
static uint32_t mk_lc_slots; /* slots of all classes together */

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

/*
 * The large cache's classes: jemalloc's large classes from the first one
 * (arenas.lextent.0.size) to MK_LC_MAX_SIZE, 4 per doubling; mk_lc_class()
 * is checked against jemk_nallocx for every size step of 256 bytes, and the
 * cache stays off when anything differs.  Each class gets as many slots as
 * the budget holds objects of it, at most MK_LC_CLASS_SLOTS.
 */
static void lc_classes_init(const struct mk_env *env)
{
    size_t first = 0, sz = sizeof(first);
    size_t budget =
        env->large_cache < 0 ? MK_LC_DEFAULT_BUDGET : (size_t)env->large_cache;
    if (env->large_cache_bad)
        mk_log_err("MEMKIND_LARGE_CACHE_BYTES must be an integer from 0 to "
                   "1073741824");
    if (budget == 0 ||
        jemk_mallctl("arenas.lextent.0.size", &first, &sz, NULL, 0) != 0 ||
        first < 4096 || (first & (first - 1)) || first > MK_LC_MAX_SIZE)
        return;
    unsigned lg = (unsigned)__builtin_ctzll((unsigned long long)first);
    unsigned n = 0;
    for (size_t c = first; c <= MK_LC_MAX_SIZE; n++) {
        if (n == MK_LC_CLASSES)
            return;
        mk_lc_size[n] = c;
        /* 2^k <= c < 2^(k+1): the next class is c + 2^(k-2) */
        c += (size_t)1 << (61 - __builtin_clzll((unsigned long long)c));
    }
    mk_lc_lg = lg;
    size_t lo = first - (first >> 3);
    if (jemk_nallocx(lo, 0) != lo || jemk_nallocx(lo + 1, 0) != first)
        return;
    for (size_t s = lo + 1; s <= MK_LC_MAX_SIZE; s += 256) {
        unsigned c = mk_lc_class(s);
        if (c >= n || mk_lc_size[c] != jemk_nallocx(s, 0) ||
            mk_lc_class(mk_lc_size[c]) != c)
            return;
    }
    uint32_t off = 0;
    for (unsigned c = 0; c < n; c++) {
        size_t cap = budget / mk_lc_size[c];
        mk_lc_cap[c] =
            (uint16_t)(cap > MK_LC_CLASS_SLOTS ? MK_LC_CLASS_SLOTS : cap);
        mk_lc_off[c] = off;
        off += mk_lc_cap[c];
    }
    mk_lc_slots = off;
    mk_lc_nclasses = n;
    mk_lc_budget = budget;
    mk_lc_budget_given = env->large_cache >= 0;
    mk_lc_min = lo;
}

int mk_tcache_init(void)
{
    if (pthread_key_create(&mk_tls_key, tls_destructor)) {
        mk_log_err("cannot create the thread key");
        return MEMKIND_ERROR_RUNTIME;
    }
    mag_classes_init();
    lc_classes_init(mk_env_get());
    return 0;
}

/* Takes the first k objects of class c out of lc (their bytes go). */
static void lc_drop_oldest(struct mk_lcache *lc, unsigned c, unsigned k)
{
    void **o = &lc->obj[mk_lc_off[c]];
    memmove(o, o + k, (lc->n[c] - k) * sizeof(void *));
    lc->n[c] = (uint16_t)(lc->n[c] - k);
    lc_bytes_set(lc, lc->bytes - k * mk_lc_size[c]);
    if (lc->low[c] > lc->n[c])
        lc->low[c] = lc->n[c];
}

/* The large cache's GC (struct mk_lcache): objects of each class unused
 * since the last GC go back to jemalloc (3/4 of them, the oldest). */
static void lc_gc(struct mk_lcache *lc, int dflags)
{
    for (unsigned c = 0; c < mk_lc_nclasses; c++) {
        unsigned k = lc->low[c] - lc->low[c] / 4u;
        void **o = &lc->obj[mk_lc_off[c]];
        for (unsigned i = 0; i < k; i++)
            jemk_dallocx(o[i], dflags);
        if (k)
            lc_drop_oldest(lc, c, k);
        lc->low[c] = lc->n[c];
    }
    lc->refused = 0;
}

/* Gives every object of lc back to jemalloc. */
static void lc_flush(struct mk_lcache *lc, int dflags)
{
    for (unsigned c = 0; lc && c < mk_lc_nclasses; c++) {
        while (lc->n[c])
            jemk_dallocx(lc->obj[mk_lc_off[c] + --lc->n[c]], dflags);
    }
    if (lc) {
        memset(lc->low, 0, sizeof(lc->low));
        lc_bytes_set(lc, 0);
        lc->refused = 0;
    }
}

/* The bound of a kind's caches: the smaller of its own and the global. */
static size_t lc_budget_of(size_t budget)
{
    return budget > mk_lc_budget ? mk_lc_budget : budget;
}

/* e's large cache, made with its magazine on first need; NULL when either
 * cannot be made.  errno is kept (free keeps it; calloc may set it).  The
 * pointers are published with release stores: the statistics read them
 * from other threads (mk_tcache_large_cached). */
static struct mk_lcache *lc_make(struct mk_tls_entry *e)
{
    struct mk_mag *m = e->mag;
    int oerrno = errno;
    if (!m) {
        m = mk_meta_calloc(1, sizeof(*m));
        __atomic_store_n(&e->mag, m, __ATOMIC_RELEASE);
    }
    if (m && !m->lc)
        __atomic_store_n(
            &m->lc,
            mk_meta_calloc(1, sizeof(*m->lc) + mk_lc_slots * sizeof(void *)),
            __ATOMIC_RELEASE);
    errno = oerrno;
    return m ? m->lc : NULL;
}

/* Bytes of a depot's mapping (its slots are laid out as a cache's). */
static size_t depot_len(void)
{
    return mk_round_up(sizeof(struct mk_lcache) + mk_lc_slots * sizeof(void *),
                       mk_os_page_size());
}

void mk_tcache_depot_release(struct mk_arena_set *set)
{
    if (set->depot)
        (void)mk_os_unmap(set->depot, depot_len());
    set->depot = NULL;
}

/*
 * Puts into set's depot (tcache.h), within budget: ptr of class c when not
 * NULL, then the oldest objects of each class of lc when not NULL (the
 * caller's own cache, inside its bracket).  Returns true when ptr went in.
 * Takes set->lock; the depot is made on first need (when it cannot be,
 * nothing moves).
 */
static bool depot_put(struct mk_arena_set *set, void *ptr, unsigned c,
                      struct mk_lcache *lc, size_t budget)
{
    bool put = false, moved = false;
    int oerrno = errno;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    struct mk_lcache *d = set->depot;
    if (!d) {
        /* Mapped, not from jemalloc: library metadata that lives as long
         * as the kind must not show in MEMKIND_DEFAULT's allocated figure
         * (the stress test's baseline moved by a depot made mid-run). */
        void *m = NULL;
        if (!mk_fault_hit() &&
            mk_os_map(NULL, depot_len(), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &m) == 0)
            d = m;
        __atomic_store_n(&set->depot, d, __ATOMIC_RELEASE);
    }
    if (d && ptr && d->n[c] < mk_lc_cap[c] &&
        d->bytes + mk_lc_size[c] <= budget) {
        d->obj[mk_lc_off[c] + d->n[c]++] = ptr;
        lc_bytes_set(d, d->bytes + mk_lc_size[c]);
        put = true;
    }
    for (unsigned k = 0; d && lc && k < mk_lc_nclasses; k++) {
        const size_t sz = mk_lc_size[k];
        void **from = &lc->obj[mk_lc_off[k]], **to = &d->obj[mk_lc_off[k]];
        unsigned m = 0;
        while (m < lc->n[k] && d->n[k] < mk_lc_cap[k] &&
               d->bytes + sz <= budget) {
            to[d->n[k]++] = from[m++];
            lc_bytes_set(d, d->bytes + sz);
        }
        if (m)
            lc_drop_oldest(lc, k, m);
        moved |= m != 0;
    }
    set->depot_used |= put || moved;
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    errno = oerrno;
    return put;
}

void *mk_lc_pop_depot(struct mk_arena_set *set, struct mk_tls_entry *e,
                      unsigned c)
{
    /* Most misses find no depot or an empty one: no lock for them. */
    if (!set || !mk_tcache_depot_has(set))
        return NULL;
    struct mk_lcache *d = set->depot; /* never changes once made */
    struct mk_lcache *lc = lc_make(e);
    const size_t sz = mk_lc_size[c], budget = lc_budget_of(set->lc_budget);
    if (!lc || lc->bytes + sz > budget)
        return NULL;
    /* Room in the thread's cache: slots of the class and bytes. */
    size_t room = mk_lc_cap[c] - lc->n[c];
    if (room > (budget - lc->bytes) / sz)
        room = (budget - lc->bytes) / sz;
    unsigned k = 0;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    void **from = &d->obj[mk_lc_off[c]], **to = &lc->obj[mk_lc_off[c]];
    while (k < room && d->n[c]) { /* the newest first: LIFO */
        to[lc->n[c]++] = from[--d->n[c]];
        k++;
    }
    lc_bytes_set(d, d->bytes - k * sz);
    set->depot_used |= k != 0;
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    if (!k)
        return NULL;
    lc_bytes_set(lc, lc->bytes + k * sz);
    return mk_lc_pop(e->mag, c);
}

void mk_tcache_depot_flush(struct mk_arena_set *set)
{
    lc_flush(set->depot, MALLOCX_TCACHE_NONE);
}

/* A consumer's push (struct mk_lcache): when ptr does not fit, the cache
 * goes to the depot, as much as it has room for.  Returns false when ptr
 * still does not fit (the caller frees it to jemalloc). */
static bool lc_push_consumer(struct mk_arena_set *set, struct mk_lcache *lc,
                             void *ptr, unsigned c, size_t budget)
{
    if ((lc->n[c] >= mk_lc_cap[c] || lc->bytes + mk_lc_size[c] > budget) &&
        (depot_put(set, NULL, 0, lc, budget),
         lc->n[c] >= mk_lc_cap[c] || lc->bytes + mk_lc_size[c] > budget))
        return false;
    lc->obj[mk_lc_off[c] + lc->n[c]++] = ptr;
    lc_bytes_set(lc, lc->bytes + mk_lc_size[c]);
    return true;
}

bool mk_lc_push(struct mk_arena_set *set, struct mk_tls_entry *e, void *ptr,
                size_t usize, size_t budget)
{
    unsigned c = mk_lc_class(usize);
    struct mk_lcache *lc = lc_make(e);
    budget = lc_budget_of(budget);
    if (!lc || mk_lc_size[c] > budget) /* never fits: no GC for it */
        return false;
    if (MK_UNLIKELY(lc->free_only)) {
        if (lc->quiet) /* still only frees */
            return lc_push_consumer(set, lc, ptr, c, budget);
        lc->free_only = 0;
    }
    lc->quiet += mk_lc_size[c];
    if (lc->n[c] >= mk_lc_cap[c] || lc->bytes + mk_lc_size[c] > budget) {
        lc->refused += mk_lc_size[c];
        if (lc->refused < budget / 2)
            return false;
        if (lc->quiet >= MK_LC_QUIET_BUDGETS * budget) {
            lc->free_only = 1; /* a consumer from now on */
            lc->refused = 0;
            return lc_push_consumer(set, lc, ptr, c, budget);
        }
        lc_gc(lc, e->dflags);
        if (lc->n[c] >= mk_lc_cap[c] || lc->bytes + mk_lc_size[c] > budget)
            return false;
    }
    lc->obj[mk_lc_off[c] + lc->n[c]++] = ptr;
    lc_bytes_set(lc, lc->bytes + mk_lc_size[c]);
    return true;
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
        lc_flush(e->mag->lc, e->dflags);
        mk_cache_exit(e);
    }
}

void mk_tcache_mag_flush(struct mk_mag *m, int dflags)
{
    for (unsigned c = 0; m && c < MK_MAG_CLASSES; c++) {
        while (m->n[c])
            jemk_dallocx(m->obj[c][--m->n[c]], dflags);
    }
    lc_flush(m ? m->lc : NULL, dflags);
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

size_t mk_arena_thread_large_cached(struct memkind *kind)
{
    struct mk_tls *t = mk_tls_cur;
    struct mk_tls_entry *e = t && kind ? &t->e[kind->partition] : NULL;
    if (!e || e->gen != kind->gen || !e->mag || !e->mag->lc)
        return 0;
    return e->mag->lc->bytes;
}

/*
 * Bytes the large caches of every thread that uses kind hold now: counted as
 * allocated by jemalloc, but no longer the application's.  A thread's record
 * stays in set->tcs, and its magazine alive, until its exit removes the
 * record under the set lock, so under that lock every owner can be read; the
 * counts are the owners' latest relaxed stores (a thread caching or popping
 * meanwhile is seen before or after).  Takes the set lock unless held.
 */
size_t mk_tcache_large_cached(struct memkind *kind, bool locked)
{
    struct mk_arena_set *set = kind->arenas;
    size_t sum = 0;
    if (!set || !mk_lc_nclasses)
        return 0;
    if (!locked)
        mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    for (unsigned i = 0; i < set->ntcs; i++) {
        struct mk_tls_entry *e = &set->tcs[i].owner->e[kind->partition];
        struct mk_mag *m = __atomic_load_n(&e->mag, __ATOMIC_ACQUIRE);
        struct mk_lcache *lc =
            m ? __atomic_load_n(&m->lc, __ATOMIC_ACQUIRE) : NULL;
        /* A record in this set means its owner took the slot for this
         * kind: what an older kind of the slot cached was forgotten. */
        if (lc)
            sum += __atomic_load_n(&lc->bytes, __ATOMIC_RELAXED);
    }
    if (set->depot)
        sum += set->depot->bytes;
    if (!locked)
        mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    return sum;
}

size_t mk_arena_large_cache_budget(void)
{
    return mk_lc_nclasses ? mk_lc_budget : 0;
}

size_t mk_arena_kind_large_cache_budget(struct memkind *kind)
{
    size_t b = mk_arena_large_cache_budget();
    return kind->arenas && kind->arenas->lc_budget < b ? kind->arenas->lc_budget
                                                       : b;
}

size_t mk_arena_kind_depot_bytes(struct memkind *kind)
{
    struct mk_arena_set *set = kind->arenas;
    if (!set)
        return 0;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    size_t b = set->depot ? set->depot->bytes : 0;
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    return b;
}

void mk_arena_kind_depot_flush(struct memkind *kind)
{
    struct mk_arena_set *set = kind->arenas;
    if (!set)
        return;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    mk_tcache_depot_flush(set);
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
}

size_t mk_arena_large_cache_default_min(void)
{
    return mk_lc_min == SIZE_MAX ? SIZE_MAX : mk_lc_min + 1;
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
 * Idle sweep: empties the magazine and explicit tcache of every thread that
 * has not used kind since the previous sweep, so that the objects they hold
 * go back to the arenas and, with decay, their file blocks to the file
 * system, while the process is idle (jemalloc flushes a tcache only as its
 * owner allocates).  A thread's caches are flushed once per idle period.
 * Called by the PMEM purger thread; takes the set lock.
 * Returns the number of caches flushed (0 also when membarrier is missing).
 */
unsigned mk_arena_flush_idle(struct memkind *kind)
{
    struct mk_arena_set *set = kind->arenas;
    unsigned nclaimed = 0, nflushed = 0;
    if (!set)
        return 0;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    /* The depot goes back after a whole period without transfers. */
    if (!set->depot_used)
        mk_tcache_depot_flush(set);
    set->depot_used = false;
    for (unsigned i = 0; i < set->ntcs; i++) {
        struct mk_tc_rec *r = &set->tcs[i];
        struct mk_tls_entry *e = &r->owner->e[kind->partition];
        if (atomic_load_explicit(&e->used, memory_order_relaxed)) {
            atomic_store_explicit(&e->used, 0, memory_order_relaxed);
            r->flushed = false;
        } else if (!r->flushed) {
            atomic_store_explicit(&e->claim, 1, memory_order_relaxed);
            nclaimed++;
        }
    }
    if (nclaimed && heavy_barrier() == 0) {
        mk_fault_sweep_delay(); /* tests: fork() while caches are claimed */
        for (unsigned i = 0; i < set->ntcs; i++) {
            struct mk_tc_rec *r = &set->tcs[i];
            struct mk_tls_entry *e = &r->owner->e[kind->partition];
            /* acquire: the owner's last use happens before the flush */
            if (!atomic_load_explicit(&e->claim, memory_order_relaxed) ||
                atomic_load_explicit(&e->busy, memory_order_acquire) ||
                atomic_load_explicit(&e->used, memory_order_relaxed))
                continue; /* in use, or used meanwhile: the owner wins */
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
    }
}
