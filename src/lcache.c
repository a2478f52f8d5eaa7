// SPDX-License-Identifier: BSD-2-Clause
/*
 * lcache.c - the large cache of the arena layer (struct mk_lcache,
 * tcache.h): its size classes and slot layout, each thread's stacks of
 * freed 16 KiB-4 MiB objects per kind with their byte budget and GC, the
 * per-kind depot through which a thread that only frees passes its objects
 * on, and what the statistics and the tests read of them.
 *
 * Does not own: the thread state the caches hang off (tcache.c: made,
 * swept, flushed at exit and in a forked child there), the allocation
 * entry points that push and pop (alloc.c).
 *
 * Locks: a kind's set lock for depot transfers, the statistics and the
 * depot's sweep (taken inside the owner's cache bracket: tcache.c says
 * why that cannot deadlock with the sweep); a thread's own stacks take no
 * lock.
 */
#include "config.h"

#include "jemk_base.h"
#include "tcache.h"

#include <memkind/internal/memkind_env.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_util.h>

#include "os.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

size_t mk_lc_min = SIZE_MAX; /* off until mk_lc_init */
size_t mk_lc_budget;
bool mk_lc_budget_given;
unsigned mk_lc_nclasses;
size_t mk_lc_size[MK_LC_CLASSES];
uint32_t mk_lc_off[MK_LC_CLASSES];
uint16_t mk_lc_cap[MK_LC_CLASSES];
void *_Atomic mk_lc_skip[MK_LC_SKIP];
unsigned mk_lc_qshift;
uint8_t mk_lc_qclass[MK_LC_QUANTA];
static uint32_t mk_lc_slots; /* slots of all classes together */

/*
 * The large cache's classes: jemalloc's large classes from the first one
 * (arenas.lextent.0.size) to MK_LC_MAX_SIZE, 4 per doubling, checked
 * against jemk_nallocx (the cache stays off when anything differs);
 * mk_lc_class() reads the table mk_lc_qclass filled from them.  Each class gets
 * as many slots as the budget holds objects of it, at most MK_LC_CLASS_SLOTS.
 */
void mk_lc_init(const struct mk_env *env)
{
    size_t first = mk_jemk_large_minclass(); /* arenas.lextent.0.size */
    size_t budget =
        env->large_cache < 0 ? MK_LC_DEFAULT_BUDGET : (size_t)env->large_cache;
    if (env->large_cache_bad)
        mk_log_err("MEMKIND_LARGE_CACHE_BYTES must be an integer from 0 to "
                   "1073741824");
    if (budget == 0 || first < 4096 || (first & (first - 1)) ||
        first > MK_LC_MAX_SIZE)
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
    size_t lo = first - (first >> 3);
    /* jemk_nallocx never decreases as the size grows, so a class whose
     * smallest and largest sizes both round to it covers every size between:
     * two calls per class.  (A check of every 256th size took 16384 calls,
     * 1.2 million instructions: 60 % of the start-up of a program run with
     * libmemtier, paid by every process of e.g. git.) */
    for (unsigned c = 0; c < n; c++) {
        size_t below = c ? mk_lc_size[c - 1] : lo;
        if (jemk_nallocx(below + 1, 0) != mk_lc_size[c] ||
            jemk_nallocx(mk_lc_size[c], 0) != mk_lc_size[c] ||
            (mk_lc_size[c] & ((first >> 2) - 1)))
            return;
    }
    if (jemk_nallocx(lo, 0) != lo || n == 0 ||
        mk_lc_size[n - 1] != MK_LC_MAX_SIZE)
        return;
    /* quantum q = first / 4, a divisor of every class (checked above);
     * entry i: the sizes (i q, (i + 1) q], whose class is that of
     * (i + 1) q; the entries of sizes up to lo are never read */
    mk_lc_qshift = lg - 2;
    unsigned k = 0;
    for (size_t i = 0; i < (MK_LC_MAX_SIZE >> mk_lc_qshift); i++) {
        size_t top = (i + 1) << mk_lc_qshift;
        while (mk_lc_size[k] < top)
            k++;
        mk_lc_qclass[i] = (uint8_t)k;
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

void mk_lc_flush(struct mk_lcache *lc, int dflags)
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
    if (MK_LIKELY(m != NULL && m->lc != NULL))
        return m->lc;
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
 * Moves the oldest objects of each class of lc (the caller's own cache,
 * inside its bracket) into set's depot (tcache.h), as many as it has room
 * for within budget.  Takes set->lock; the depot is made on first need
 * (when it cannot be, nothing moves).
 */
static void depot_put(struct mk_arena_set *set, struct mk_lcache *lc,
                      size_t budget)
{
    bool moved = false;
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
    for (unsigned k = 0; d && k < mk_lc_nclasses; k++) {
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
    set->depot_used |= moved;
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    errno = oerrno;
}

void *mk_lc_pop_depot(struct mk_arena_set *set, struct mk_tls_entry *e,
                      unsigned c)
{
    /* Most misses find no depot or an empty one: no lock for them. */
    if (!set || !mk_tcache_depot_has(set))
        return NULL;
    struct mk_lcache *d = set->depot; /* never changes once made */
    struct mk_lcache *lc = lc_make(e);
    const size_t sz = mk_lc_size[c], budget = lc_budget_of(__atomic_load_n(
                                         &set->lc_budget, __ATOMIC_RELAXED));
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
    mk_lc_flush(set->depot, MALLOCX_TCACHE_NONE);
}

/* Whether an object of class c fits lc: a free slot and budget bytes. */
static inline bool lc_fits(const struct mk_lcache *lc, unsigned c,
                           size_t budget)
{
    return lc->n[c] < mk_lc_cap[c] && lc->bytes + mk_lc_size[c] <= budget;
}

/* Puts ptr on top of class c of lc.  Pre: lc_fits(lc, c, budget). */
static inline void lc_put(struct mk_lcache *lc, unsigned c, void *ptr)
{
    lc->obj[mk_lc_off[c] + lc->n[c]++] = ptr;
    lc_bytes_set(lc, lc->bytes + mk_lc_size[c]);
}

/* A consumer's push (struct mk_lcache): when ptr does not fit, the cache
 * goes to the depot, as much as it has room for.  Returns false when ptr
 * still does not fit (the caller frees it to jemalloc). */
static bool lc_push_consumer(struct mk_arena_set *set, struct mk_lcache *lc,
                             void *ptr, unsigned c, size_t budget)
{
    if (!lc_fits(lc, c, budget) &&
        (depot_put(set, lc, budget), !lc_fits(lc, c, budget)))
        return false;
    lc_put(lc, c, ptr);
    return true;
}

/* mk_lc_push past its fast path: the first push (no cache yet), a class
 * or budget that is full, a consumer.  Same contract as mk_lc_push. */
__attribute__((noinline)) static bool lc_push_slow(struct mk_arena_set *set,
                                                   struct mk_tls_entry *e,
                                                   void *ptr, unsigned c,
                                                   size_t budget)
{
    struct mk_lcache *lc = lc_make(e);
    if (!lc || mk_lc_size[c] > budget) /* never fits: no GC for it */
        return false;
    if (MK_UNLIKELY(lc->free_only)) {
        if (lc->quiet) /* still only frees */
            return lc_push_consumer(set, lc, ptr, c, budget);
        lc->free_only = 0;
    }
    lc->quiet += mk_lc_size[c];
    if (!lc_fits(lc, c, budget)) {
        lc->refused += mk_lc_size[c];
        if (lc->refused < budget / 2)
            return false;
        if (lc->quiet >= MK_LC_QUIET_BUDGETS * budget) {
            lc->free_only = 1; /* a consumer from now on */
            lc->refused = 0;
            return lc_push_consumer(set, lc, ptr, c, budget);
        }
        lc_gc(lc, e->dflags);
        if (!lc_fits(lc, c, budget))
            return false;
    }
    lc_put(lc, c, ptr);
    return true;
}

/* The fast path is the common push - a cache that exists, is not a
 * consumer's and has room - in about 20 instructions, no call: with
 * everything in one function (and lc_make's errno save on every push) a
 * 16 KiB malloc+free pair of MEMKIND_DEFAULT spent 96 of its 342
 * instructions here (callgrind, peer_bench default pairs 16384). */
bool mk_lc_push(struct mk_arena_set *set, struct mk_tls_entry *e, void *ptr,
                size_t usize, size_t budget)
{
    unsigned c = mk_lc_class(usize);
    struct mk_mag *m = e->mag;
    struct mk_lcache *lc = MK_LIKELY(m != NULL) ? m->lc : NULL;
    /* lc_fits and lc_put spelled out with the size in a local: the helpers
     * reload mk_lc_size[c] after each store into lc (5 more instructions
     * per 16 KiB pair, callgrind) */
    const size_t sz = mk_lc_size[c];
    budget = lc_budget_of(budget);
    if (MK_LIKELY(lc != NULL && !lc->free_only && lc->n[c] < mk_lc_cap[c] &&
                  lc->bytes + sz <= budget)) {
        lc->quiet += sz;
        lc->obj[mk_lc_off[c] + lc->n[c]++] = ptr;
        lc_bytes_set(lc, lc->bytes + sz);
        return true;
    }
    return lc_push_slow(set, e, ptr, c, budget);
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
    size_t k = kind->arenas
                   ? __atomic_load_n(&kind->arenas->lc_budget, __ATOMIC_RELAXED)
                   : SIZE_MAX;
    return k < b ? k : b;
}

void mk_arena_limit_large_cache(struct memkind *kind, size_t limit, bool file)
{
    if (!kind->arenas)
        return;
    struct mk_arena_set *set = kind->arenas;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    if (limit) {
        __atomic_store_n(&set->lc_budget, limit / MK_LC_LIMIT_SHARE,
                         __ATOMIC_RELAXED);
    } else if (file && !mk_lc_budget_given) {
        set->lc_shared = true;
        mk_lc_share(set);
    }
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
}

void mk_lc_share(struct mk_arena_set *set)
{
    if (!set->lc_shared)
        return;
    size_t b = MK_LC_FILE_SHARE / (set->ntcs ? set->ntcs : 1);
    __atomic_store_n(&set->lc_budget,
                     b < MK_LC_FILE_BUDGET ? MK_LC_FILE_BUDGET : b,
                     __ATOMIC_RELAXED);
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
