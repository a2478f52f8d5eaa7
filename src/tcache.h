// SPDX-License-Identifier: BSD-2-Clause
/*
 * tcache.h - per-thread caching of the arena layer (private to src/):
 * the thread's state for each registry slot (mallocx flags, magazine,
 * the handshake with the idle sweep), inline so that the allocation
 * fast paths of alloc.c stay free of calls.  The slow paths, the thread
 * exit clean-up and the idle sweep are in tcache.c.
 */
#pragma once

#include <memkind/internal/memkind_private.h>

#include "arena_set.h"

#include <memkind/internal/memkind_numa.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Magazine: a per-thread, per-kind stack of freed small objects per size
 * class, in front of jemalloc.  memkind_arena_malloc/free of small sizes
 * then cost a push or a pop instead of jemalloc's general mallocx path for
 * explicit arenas and tcaches (~150 instructions).  The objects stay
 * allocated in jemalloc; a magazine is flushed at thread exit, by the idle
 * sweep once its thread stops using a file kind, and simply forgotten when
 * its kind is destroyed (the arena takes the memory back).  Up to 4 KiB
 * (29 classes): 1 KiB and 4 KiB PMEM pairs then cost 13 ns instead of
 * 23 ns, the mixed benchmark on a PMEM kind ran 10 % faster.  A magazine
 * holds at most 64 objects per class (256 KiB of 4 KiB ones, about 1.7 MiB
 * if all 29 classes are full): a batch of 64 then never reaches jemalloc
 * (with 32, PMEM FIFO batches of 64 B-4 KiB ran at 53-56 M pairs per CPU
 * second, with 64 at 80-85; peer_bench, issue 17).
 */
#define MK_MAG_MAX_SIZE 4096 /* largest size served from magazines */
#define MK_MAG_CLASSES  32   /* room for the size classes up to it */
#define MK_MAG_CAP      64   /* objects kept per class */
/// No explicit tcache: the thread allocates with MALLOCX_TCACHE_NONE.
#define MK_NO_TCACHE ((unsigned)-1)

/*
 * Large cache (issue 17): a per-thread, per-kind stack of freed
 * large objects per jemalloc size class, from the first large class (16 KiB
 * with 4 KiB pages) to MK_LC_MAX_SIZE, bounded in bytes (mk_lc_budget,
 * MEMKIND_LARGE_CACHE_BYTES, MK_LC_DEFAULT_BUDGET by default; 0: off).
 * jemalloc's own thread cache counts objects, not bytes, and its GC flushes
 * large ones a batch is about to reuse.  A free that would take the cache past
 * its budget goes to jemalloc.  Hung off the magazine, so that every place that
 * flushes or forgets a magazine (thread exit, idle sweep, node move, reclaim
 * before ENOMEM, new kind in the slot) does the same for it. The objects are
 * never touched while cached (the stacks are arrays, not lists through the
 * blocks): a PMEM block or a forked child's PROT_NONE range is never written or
 * read by the cache.
 */
#define MK_LC_MAX_SIZE ((size_t)4 << 20) /* largest size cached */
/* Default budget per thread and kind: a batch of 64 objects of 256 KiB or
 * 8 of 4 MiB fits; 4 MiB left 256 KiB batches at jemalloc's speed (3281
 * instructions per pair against 312, callgrind, peer_bench fifo 262144),
 * and the 16 B-4 MiB mix ran at half the speed with more peak RSS
 * (README, Performance). */
#define MK_LC_DEFAULT_BUDGET ((size_t)32 << 20)
#define MK_LC_CLASSES        48 /* room for the classes from 4 KiB pages on */
#define MK_LC_CLASS_SLOTS                                                      \
    128 /* most objects of one class: bounds the slot                          \
           array (about 22 KiB at a 32 MiB budget) */

/*
 * GC (mk_lc_push): each time frees of half a budget have been refused
 * (class full or budget reached), three quarters of the objects of each
 * class that stayed unused since the previous GC (low[c], the least n[c]
 * seen meanwhile) go back to jemalloc, oldest first, and the refused free
 * is tried again.  A thread whose sizes change so does not keep its cache
 * full of the old sizes for as long as it stays busy (the idle sweep
 * covers threads that stop); a class every batch empties keeps its
 * objects.  Driven by refusals, not by every push: a cache that is not
 * full costs nothing more than its budget.
 *
 * A thread that only frees (the consumer of a producer/consumer pair:
 * every object it frees was allocated by another thread) would keep a
 * whole budget no one takes out, while the producer gets new memory from
 * jemalloc.  So a GC that finds the thread freed MK_LC_QUIET_BUDGETS
 * budgets (cached or refused) since it last tried an allocation of a
 * covered size (quiet; every mk_lc_pop, hit or miss, zeroes it) makes it a
 * consumer (free_only) until it tries such an allocation again: each time
 * its cache is full, the cache moves to the kind's depot (below), and a
 * free that still does not fit goes to jemalloc.  Counted in bytes, not
 * GCs: a thread that frees a batch of twice its budget runs two GCs in one
 * burst, and the first version of this rule (no allocation between two
 * GCs) took every such thread for a consumer (1 MiB FIFO batches of 64
 * lost their cache hits).  A batch of more than 4 budgets gets at most a
 * quarter of its objects from the cache anyway.  (MK_LC_QUIET_BUDGETS:
 * memkind_arena.h, for the tests.)
 */
struct mk_lcache {
    size_t bytes;                ///< bytes held, <= the budget (lc_bytes_set)
    size_t refused;              ///< bytes refused since the last GC
    size_t quiet;                ///< bytes freed since the last pop tried
    uint8_t free_only;           ///< a consumer until a pop is tried
    uint16_t n[MK_LC_CLASSES];   ///< objects held per class
    uint16_t low[MK_LC_CLASSES]; ///< least n[c] since the last GC
    void *obj[];                 ///< class c: mk_lc_off[c], mk_lc_cap[c] slots
};

struct mk_mag {
    uint8_t n[MK_MAG_CLASSES];             ///< objects held per class
    void *obj[MK_MAG_CLASSES][MK_MAG_CAP]; ///< the objects (LIFO)
    struct mk_lcache *lc;                  ///< large cache, or NULL
};

/*
 * One thread's state for one registry slot.  busy, used and claim let the
 * idle sweep (mk_arena_flush_idle, run by the PMEM purger thread) empty
 * the magazine and tcache of a thread that stopped using a kind, with no
 * lock, no atomic read-modify-write and no load of its own stores on the
 * owner's fast path (an asymmetric Dekker handshake):
 *  - owner: used = 1, busy = 1, compiler barrier, load claim; if set, wait
 *    until it clears; ... use mag / tcache ...; busy = 0 (release);
 *  - sweeper: an entry with used set is marked active (used = 0); one found
 *    still unused a sweep later is idle: claim = 1, membarrier() (a full
 *    barrier on every running thread of the process), load busy and used;
 *    flush only if both are 0; claim = 0 (release).
 * The membarrier orders the owner's store of busy and the sweeper's store
 * of claim before the other side's load, so at most one side proceeds.
 * (A counter would be one field, but the owner's load of the value it
 * stored a few nanoseconds earlier made a malloc+free pair 1 ns slower.)
 * The flags are composed with jemalloc's MALLOCX_* macros only; arena and
 * tcache are kept beside them, so nothing decodes a flags word.
 */
struct mk_tls_entry {
    uint32_t gen;    ///< kind generation the flags are for (0: none)
    int flags;       ///< mallocx: MALLOCX_ARENA | MALLOCX_TCACHE(_NONE)
    int dflags;      ///< dallocx: MALLOCX_TCACHE(_NONE), no arena
    unsigned arena;  ///< the arena in flags
    unsigned tcache; ///< the tcache in flags, or MK_NO_TCACHE
    /// CPU node of the arena in flags for a node-local kind, else
    /// MK_NO_NODE.  In the padding before mag: the entry keeps its size.
    uint16_t node;
    struct mk_mag *mag;    ///< small-object magazine, or NULL
    _Atomic uint8_t busy;  ///< owner is using mag / tcache
    _Atomic uint8_t used;  ///< owner used them since the sweeper cleared it
    _Atomic uint8_t claim; ///< the sweeper holds the caches
};

struct mk_tls {
    struct mk_tls_entry e[MEMKIND_MAX_KIND];
};

/* The calling thread's state, NULL until it first allocates from a kind.
 * Dynamic TLS (TLSDESC, see configure.ac): initial-exec would mark the
 * whole module, jemalloc's 2.6 KiB of TLS included, as static TLS and make
 * dlopen() of the library fail ("cannot allocate memory in static TLS"). */
extern __thread struct mk_tls *mk_tls_cur __attribute__((visibility("hidden")));

/* Size class index of sizes 1..MK_MAG_MAX_SIZE, by (size + 7) >> 3; and the
 * class sizes.  Filled from jemk_nallocx() at start-up, so they follow
 * jemalloc's own classes.  mk_mag_nclasses == 0: magazines disabled. */
extern uint8_t mk_size2class[(MK_MAG_MAX_SIZE >> 3) + 1];
extern unsigned mk_mag_nclasses;

/* Hidden: a RIP-relative operand on the fast paths, not a GOT load. */
#pragma GCC visibility push(hidden)
/* Large cache geometry, set at start-up (0 classes: off).  Sizes in
 * (mk_lc_min, MK_LC_MAX_SIZE] are cached, for every kind.  MEMKIND_DEFAULT too
 * caches from the first large class, in front of jemalloc's own thread cache
 * (20 objects per large class up to arenas.tcache_max, 32 KiB): a batch of 64
 * objects of 16-32 KiB overflowed those slots into the arena's locked path,
 * 3104 instructions per malloc+free pair in FIFO batches of 16 KiB against 312
 * through this cache, while pairs cost 298 and 302 (callgrind, peer_bench
 * default fifo/pairs 16384).  jemalloc's slots stay, filled only by what
 * this cache's budget refuses. */
extern size_t mk_lc_min;
extern size_t mk_lc_budget;
/// MEMKIND_LARGE_CACHE_BYTES was set (validly): file kinds take it too.
extern bool mk_lc_budget_given;
extern unsigned mk_lc_nclasses;
extern size_t mk_lc_size[MK_LC_CLASSES];
extern uint32_t mk_lc_off[MK_LC_CLASSES];
extern uint16_t mk_lc_cap[MK_LC_CLASSES];

/*
 * Page-aligned pointers that memkind_default_free() found it must not
 * cache (small or <= mk_lc_min objects; the first object of a slab is page
 * aligned, and a malloc/free loop gets it every time), by page number mod
 * MK_LC_SKIP.  Shared by all threads and only a hint: a hit sends the
 * pointer straight to jemalloc (always correct), a miss takes the slow path
 * (sallocx), a stale entry at worst sends one cacheable object to jemalloc;
 * mk_lc_default_malloc() clears the entry of a covered object jemalloc
 * hands out.  Not thread-local: no TLSDESC call on the free path.
 */
#define MK_LC_SKIP 256
extern void *_Atomic mk_lc_skip[MK_LC_SKIP];
#pragma GCC visibility pop

/* The slot of page-aligned p: bits 12.. of p, already scaled to a byte
 * offset (one shift and one mask, no index scaling). */
static inline _Atomic(void *) *mk_lc_skip_slot(const void *p)
{
    return (_Atomic(void *) *)((char *)mk_lc_skip +
                               (((uintptr_t)p >> (12 - 3)) &
                                ((MK_LC_SKIP - 1) * sizeof(void *))));
}

/// Whether size (a request or a usable size) is one the large cache keeps.
static inline bool mk_lc_covers(size_t size)
{
    return size > mk_lc_min && size <= MK_LC_MAX_SIZE;
}

/*
 * Every class boundary is a multiple of a quarter of the first large class
 * (the quantum, 2^mk_lc_qshift: a page), so the class of a covered size is
 * that of its quantum: one table load instead of computing it from the
 * size's leading bits (4 classes per doubling), which took 16 of the 275
 * instructions of a 16 KiB malloc+free pair (callgrind, peer_bench default
 * pairs 16384).  The quantum is
 * at least 1 KiB (the first class at least 4 KiB: mk_lc_init).
 */
#define MK_LC_QUANTA (MK_LC_MAX_SIZE >> 10)
#pragma GCC visibility push(hidden)
extern unsigned mk_lc_qshift;
extern uint8_t mk_lc_qclass[MK_LC_QUANTA];
#pragma GCC visibility pop

/// Class of a size (a request or a usable size) that mk_lc_covers().
static inline unsigned mk_lc_class(size_t size)
{
    return mk_lc_qclass[(size - 1) >> mk_lc_qshift];
}

/// Sets lc->bytes.  Only the owner writes it, but the statistics read other
/// threads' counts (mk_tcache_large_cached): a relaxed atomic store, a plain
/// mov on x86 and arm64, keeps that read defined.
static inline void lc_bytes_set(struct mk_lcache *lc, size_t v)
{
    __atomic_store_n(&lc->bytes, v, __ATOMIC_RELAXED);
}

/// Pops an object of class c, or NULL.  Pre: inside e's cache bracket.
static inline void *mk_lc_pop(struct mk_mag *m, unsigned c)
{
    struct mk_lcache *lc = m ? m->lc : NULL;
    if (!lc)
        return NULL;
    lc->quiet = 0;
    if (lc->n[c] == 0)
        return NULL;
    lc_bytes_set(lc, lc->bytes - mk_lc_size[c]);
    unsigned n = --lc->n[c];
    if (n < lc->low[c])
        lc->low[c] = (uint16_t)n;
    return lc->obj[mk_lc_off[c] + n];
}

/// Pushes ptr (usable size usize, covered) into e's large cache, made on
/// first need; when its class is full, the class's objects move to set's
/// depot first if it has room; a refusal may run the GC.  set: the kind's;
/// budget: the kind's own bound (SIZE_MAX: none; the smaller of it and
/// mk_lc_budget applies).  Returns false when it does not fit (the caller
/// frees it to jemalloc).  Pre: inside e's cache bracket.
bool mk_lc_push(struct mk_arena_set *set, struct mk_tls_entry *e, void *ptr,
                size_t usize, size_t budget);

/*
 * Depot: per kind, the large objects some thread's cache had no room for,
 * for another thread's cache to take.  Between a producer thread that only
 * allocates and a consumer that only frees, every object went back through
 * jemalloc before, whose arena extent lock the two threads then fought over
 * (55 % of the time in lock spinning; 64 KiB cross-thread pairs at a fifth
 * of mimalloc's rate).  Now the consumer's cache hands a full class over in
 * one batch and the producer's cache takes up to half a class's slots in
 * one batch on a miss: one set lock per batch, not per object.  Bounded by
 * one thread budget of the kind; under the set lock (held across fork(),
 * so the child's depot is consistent); emptied by the idle sweep after a
 * period without transfers, by the retry before ENOMEM, and forgotten with
 * the kind's arenas.  Its bytes leave the allocated statistics like the
 * caches' (mk_tcache_large_cached).
 */
/// On a miss of class c in e's large cache: takes a batch of class c from
/// set's depot into it, made on first need, and pops one; NULL when the
/// depot has none.  Pre: inside e's cache bracket.  Takes set->lock.
void *mk_lc_pop_depot(struct mk_arena_set *set, struct mk_tls_entry *e,
                      unsigned c);
/// True when set's depot holds something (a racy hint, no lock).
static inline bool mk_tcache_depot_has(struct mk_arena_set *set)
{
    struct mk_lcache *d = __atomic_load_n(&set->depot, __ATOMIC_ACQUIRE);
    return d && __atomic_load_n(&d->bytes, __ATOMIC_RELAXED) != 0;
}
/// Unmaps set's depot, whose objects went with the kind's arenas.
/// Pre: the kind is being destroyed.
void mk_tcache_depot_release(struct mk_arena_set *set);
/// Gives every object of set's depot back to jemalloc.  Pre: set->lock.
void mk_tcache_depot_flush(struct mk_arena_set *set);

/// Bytes held now by every thread's large cache of kind (statistics).
/// locked: the caller holds kind's set lock.  Pre: kind stays put.
size_t mk_tcache_large_cached(struct memkind *kind, bool locked);

/// Sets up the large cache's classes and budget (MEMKIND_LARGE_CACHE_BYTES
/// in env); leaves it off when jemalloc's classes are not as expected.
/// Called once, by mk_tcache_init.
struct mk_env;
void mk_lc_init(const struct mk_env *env);
/// Gives every object of lc (NULL: none) back to jemalloc with dflags.
void mk_lc_flush(struct mk_lcache *lc, int dflags);

/// The calling thread's entry for MEMKIND_DEFAULT (large cache only),
/// made on first need; NULL when it cannot be made.
struct mk_tls_entry *mk_lc_default_entry(void);

/// MEMKIND_DEFAULT's large cache (alloc.c): malloc of a covered size (a
/// pop, else jemalloc); free of a page-aligned pointer or NULL (a push when
/// it is DEFAULT's, covered and within budget, else jemalloc; the pointer
/// goes into mk_lc_skip when it is not of a covered size).
void *mk_lc_default_malloc(size_t size);
void mk_lc_default_free_slow(void *ptr);

/// Forked child: flushes (or, for a PMEM kind without a copy, forgets)
/// the forking thread's caches and drops every other thread's record
/// without touching its caches.  Pre: single-threaded, jemalloc ready.
void mk_tcache_postfork_child(void);

/// Returns the calling thread's large caches (every kind) to jemalloc.
/// Pre: no lock held.
void mk_tcache_flush_own_large(void);

/// Start-up: the thread key and the magazine classes.  Returns 0 or
/// MEMKIND_ERROR_RUNTIME.
int mk_tcache_init(void);

/*
 * Slow path of mk_tcache_flags(): picks an arena for this thread
 * (creating one while the kind has fewer arenas than threads, up to its
 * cap) and an explicit tcache, and records them in the thread's entry
 * (when its state can be allocated).  A node-local kind (arena_set.h) has
 * arenas per CPU node, the cap applying to each node (at most the node's
 * CPUs): the thread gets one of its current node's.  A thread whose entry
 * is current but for another node (it moved) keeps its tcache, and its
 * magazine and tcache are emptied first: their objects belong to the old
 * node's arena.  *arena (if not NULL) is the arena.  Takes the set lock.
 * Returns the mallocx flags, or -1 with errno ENOMEM when no arena exists.
 */
int mk_tcache_fill(struct memkind *kind, unsigned *arena);

/// Returns a magazine's objects to jemalloc (dflags: the entry's).
void mk_tcache_mag_flush(struct mk_mag *m, int dflags);

/// Destroys every explicit tcache recorded in set (the kind is going
/// away).  Pre: set->lock held.
void mk_tcache_destroy_all(struct mk_arena_set *set);

/// True when e's arena is for another CPU node than the caller's now.
static inline bool mk_tcache_node_moved(const struct mk_tls_entry *e)
{
    return e->node != mk_numa_cpu_node_now();
}

/*
 * Whether e must be refilled before allocating: its kind is node-local and
 * the thread now runs on another node.  Kinds that are not node-local pay
 * one compare; node-local ones also sched_getcpu() (rseq-based with glibc
 * 2.35 and later) and a table look-up.
 */
static inline bool mk_tcache_node_stale(const struct mk_tls_entry *e)
{
    return MK_UNLIKELY(e->node != MK_NO_NODE) && mk_tcache_node_moved(e);
}

/// The calling thread's entry for kind if its generation is current (its
/// caches may then be used and flushed), else NULL.
static inline struct mk_tls_entry *mk_tcache_entry_gen(struct memkind *kind)
{
    struct mk_tls *t = mk_tls_cur;
    if (MK_LIKELY(t != NULL)) {
        struct mk_tls_entry *e = &t->e[kind->partition];
        if (MK_LIKELY(e->gen == kind->gen))
            return e;
    }
    return NULL;
}

/// The calling thread's entry for kind if it is current and for the
/// thread's CPU node (allocations may use its flags), else NULL.
static inline struct mk_tls_entry *mk_tcache_entry(struct memkind *kind)
{
    struct mk_tls_entry *e = mk_tcache_entry_gen(kind);
    return e && !mk_tcache_node_stale(e) ? e : NULL;
}

/// mallocx flags for kind on this thread; -1 (errno set) when impossible.
static inline int mk_tcache_flags(struct memkind *kind)
{
    struct mk_tls_entry *e = mk_tcache_entry(kind);
    return MK_LIKELY(e != NULL) ? e->flags : mk_tcache_fill(kind, NULL);
}

/// The sweeper holds e's caches: waits until it is done (a flush is
/// short).  Pre: the caller set e->busy and holds no lock.
void mk_tcache_wait(struct mk_tls_entry *e);

/*
 * Brackets every use of the calling thread's magazine or explicit tcache
 * for one kind (see struct mk_tls_entry).  Pre: e is the calling thread's
 * entry and no lock is held (the caller may have to wait for the sweeper).
 * mk_cache_enter_fast returns false when the caller must call
 * mk_tcache_wait before using the caches; mk_cache_exit ends the bracket
 * either way.
 */
static inline bool mk_cache_enter_fast(struct mk_tls_entry *e)
{
    atomic_store_explicit(&e->used, 1, memory_order_relaxed);
    atomic_store_explicit(&e->busy, 1, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    return !atomic_load_explicit(&e->claim, memory_order_acquire);
}

static inline void mk_cache_enter(struct mk_tls_entry *e)
{
    if (MK_UNLIKELY(!mk_cache_enter_fast(e)))
        mk_tcache_wait(e);
}

static inline void mk_cache_exit(struct mk_tls_entry *e)
{
    atomic_signal_fence(memory_order_seq_cst);
    atomic_store_explicit(&e->busy, 0, memory_order_release);
}

/// Enters the cache bracket of the calling thread's entry for kind if it
/// has a current one; returns that entry (pass it to mk_cache_leave) or
/// NULL.
static inline struct mk_tls_entry *mk_cache_enter_own(struct memkind *kind)
{
    struct mk_tls_entry *e = mk_tcache_entry_gen(kind);
    if (e)
        mk_cache_enter(e);
    return e;
}

/// mk_tcache_flags() and mk_cache_enter_own(); *ep is NULL when the flags
/// are -1.
static inline int mk_cache_flags_enter(struct memkind *kind,
                                       struct mk_tls_entry **ep)
{
    int flags = mk_tcache_flags(kind);
    *ep = flags != -1 ? mk_cache_enter_own(kind) : NULL;
    return flags;
}

static inline void mk_cache_leave(struct mk_tls_entry *e)
{
    if (e)
        mk_cache_exit(e);
}

/// Class of a magazine-sized object (usize <= MK_MAG_MAX_SIZE).
static inline unsigned mk_mag_class(size_t usize)
{
    return mk_size2class[(usize + 7) >> 3];
}
