// SPDX-License-Identifier: BSD-2-Clause
/*
 * alloc.c - the allocation building blocks of arena kinds (memkind_arena(3):
 * memkind_arena_malloc, _calloc, _posix_memalign, _realloc, _free, the
 * kind-detecting variants, memkind_thread_get_arena and
 * memkind_bijective_get_arena).
 *
 * Owns: the fast paths (one TLS load, a generation check and a magazine
 * push or pop for small sizes; mallocx/dallocx with the thread's flags
 * otherwise) and the retry after a failed allocation (reclaim what the
 * kind holds unused, then try once more).
 *
 * Does not own: the thread's caches and how they are made (tcache.c), the
 * arenas (arena.c), the address map (addrmap.c).
 *
 * Locks: none on the fast paths; the slow paths take a set's lock through
 * mk_tcache_fill() or arena_reclaim(), never inside a cache bracket.
 */
#include "config.h"

#include <memkind/internal/memkind_arena.h>

#include <memkind/internal/memkind_addrmap.h>
#include <memkind/internal/memkind_dispatch.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_numa.h>
#include <memkind/internal/memkind_pmem.h>
#include <memkind/internal/memkind_util.h>

#include "jemk_ctl.h"
#include "lookup.h"
#include "tcache.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

/*
 * Gives back what kind holds unused, so that a failed allocation can be
 * tried once more: the calling thread's magazine and explicit tcache for
 * kind are flushed, and the kind's depot, then every arena of kind purges
 * its dirty pages.  A
 * size-limited PMEM kind counts dirty pages against max_size, and jemalloc
 * reuses a dirty extent only for requests of at least 1/64 its size, so
 * right after large frees a small request could otherwise fail until the
 * purger ran.  Objects cached by other threads stay where they are.
 * Pre: the caller is about to report ENOMEM for size, inside its cache
 * bracket (the sweeper then leaves this thread's caches alone).
 * Takes set->lock.  Returns true when trying again can help.
 */
__attribute__((noinline)) static bool arena_reclaim(struct memkind *kind,
                                                    size_t size)
{
    struct mk_arena_set *set = kind->arenas;
    if (!set || size > (size_t)PTRDIFF_MAX)
        return false;
    struct mk_tls_entry *e = mk_tcache_entry_gen(kind);
    if (e) {
        mk_tcache_mag_flush(e->mag, e->dflags);
        if (e->tcache != MK_NO_TCACHE) {
            unsigned tc = e->tcache;
            (void)jemk_mallctl("tcache.flush", NULL, NULL, &tc, sizeof(tc));
        }
    }
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    mk_tcache_depot_flush(set);
    for (unsigned i = 0; i < set->narenas; i++)
        (void)mk_ctl_arena(set->arena_idx[i], MK_CTL_ARENA_PURGE, NULL, 0);
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    return true;
}

/* mallocx failed for kind: reclaim and try once more.  Sets errno. */
__attribute__((noinline)) static void *
arena_malloc_retry(struct memkind *kind, size_t size, int flags)
{
    void *p = arena_reclaim(kind, size) ? jemk_mallocx(size, flags) : NULL;
    if (!p)
        errno = ENOMEM;
    return p;
}

/* First use of kind by this thread (or after its slot changed hands, or
 * after the thread moved to another CPU node for a node-local kind). */
__attribute__((noinline)) static void *arena_malloc_slow(struct memkind *kind,
                                                         size_t size)
{
    int flags = mk_tcache_fill(kind, NULL);
    if (MK_UNLIKELY(flags == -1))
        return NULL;
    struct mk_tls_entry *e = mk_cache_enter_own(kind);
    void *p = jemk_mallocx(size, flags);
    if (MK_UNLIKELY(!p))
        p = arena_malloc_retry(kind, size, flags);
    mk_cache_leave(e);
    return p;
}

/*
 * memkind_arena_malloc past an empty magazine, inside the cache bracket: the
 * large cache, else jemalloc; leaves the bracket.  Out of line and reached by
 * a tail call, so that the magazine hit keeps no register across a call and
 * saves none (the pop was 41 instructions with this inlined, callgrind).
 */
__attribute__((noinline)) static void *
arena_malloc_miss(struct memkind *kind, struct mk_tls_entry *e, size_t size)
{
    void *p = NULL;
    if (MK_UNLIKELY(mk_lc_covers(size))) {
        unsigned c = mk_lc_class(size);
        p = mk_lc_pop(e->mag, c);
        if (!p)
            p = mk_lc_pop_depot(kind->arenas, e, c);
    }
    if (!p)
        p = jemk_mallocx(size, e->flags);
    if (MK_UNLIKELY(p == NULL))
        p = arena_malloc_retry(kind, size, e->flags);
    mk_cache_exit(e);
    return p;
}

/*
 * memkind_arena_malloc when the sweeper held the caches at entry (inside
 * the bracket): waits for it, then takes the magazine (which it may have
 * emptied), the large cache or jemalloc; leaves the bracket.  Out of line:
 * the fast path keeps no register across a call for this rare case.
 */
__attribute__((noinline, cold)) static void *
arena_malloc_waited(struct memkind *kind, struct mk_tls_entry *e, size_t size)
{
    mk_tcache_wait(e);
    struct mk_mag *m = e->mag;
    if (m && size <= MK_MAG_MAX_SIZE) {
        unsigned c = mk_mag_class(size);
        if (m->n[c]) {
            void *p = m->obj[c][--m->n[c]];
            mk_cache_exit(e);
            return p;
        }
    }
    return arena_malloc_miss(kind, e, size);
}

/*
 * memkind_arena_malloc with the thread's current entry e for kind: a
 * magazine pop for small sizes, else mallocx with e's flags.  Inlined in
 * both callers below.
 */
static inline __attribute__((always_inline)) void *
arena_malloc_entry(struct memkind *kind, struct mk_tls_entry *e, size_t size)
{
    if (MK_UNLIKELY(!mk_cache_enter_fast(e)))
        return arena_malloc_waited(kind, e, size);
    struct mk_mag *m = e->mag;
    if (m && size <= MK_MAG_MAX_SIZE) {
        unsigned c = mk_mag_class(size);
        unsigned n = m->n[c];
        if (MK_LIKELY(n != 0)) {
            m->n[c] = (uint8_t)(n - 1);
            void *p = m->obj[c][n - 1];
            mk_cache_exit(e);
            return p;
        }
    }
    return arena_malloc_miss(kind, e, size);
}

/*
 * memkind_arena_malloc for a node-local kind's entry: checks first that the
 * thread still runs on the entry's node (else it gets an arena of its new
 * node).  Out of line, so that the fast path of the other kinds makes no
 * call and keeps no register across one.
 */
__attribute__((noinline)) static void *
arena_malloc_node(struct memkind *kind, struct mk_tls_entry *e, size_t size)
{
    if (mk_tcache_node_moved(e))
        return arena_malloc_slow(kind, size);
    return arena_malloc_entry(kind, e, size);
}

/*
 * malloc op of arena kinds.  Pre: size > 0.  Fast path: one TLS load, the
 * generation check, the node-local check (one compare for kinds that are
 * not) and a magazine pop for small sizes; slow paths are out of line so
 * that this stays free of register spills.  Returns memory or NULL with
 * errno ENOMEM.
 */
MK_EXPORT void *memkind_arena_malloc(struct memkind *kind, size_t size)
{
    struct mk_tls *t = mk_tls_cur;
    if (MK_LIKELY(t != NULL)) {
        struct mk_tls_entry *e = &t->e[kind->partition];
        if (MK_LIKELY(e->gen == kind->gen)) {
            if (MK_UNLIKELY(e->node != MK_NO_NODE))
                return arena_malloc_node(kind, e, size);
            return arena_malloc_entry(kind, e, size);
        }
    }
    return arena_malloc_slow(kind, size);
}

/* Checks num * size itself: callable directly, not only via the API.
 * Returns zeroed memory or NULL with errno ENOMEM. */
MK_EXPORT void *memkind_arena_calloc(struct memkind *kind, size_t num,
                                     size_t size)
{
    size_t total;
    if (mk_mul_overflow(num, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    struct mk_tls_entry *e;
    int flags = mk_cache_flags_enter(kind, &e);
    if (MK_UNLIKELY(flags == -1))
        return NULL;
    void *p = jemk_mallocx(total ? total : 1, flags | MALLOCX_ZERO);
    if (MK_UNLIKELY(!p))
        p = arena_malloc_retry(kind, total ? total : 1, flags | MALLOCX_ZERO);
    mk_cache_leave(e);
    return p;
}

/* Returns 0, EINVAL or ENOMEM; errno is left as it was on entry. */
MK_EXPORT int memkind_arena_posix_memalign(struct memkind *kind, void **memptr,
                                           size_t alignment, size_t size)
{
    int oerrno = errno;
    *memptr = NULL; /* COMPAT(1.14): first, whatever fails (memkind.c) */
    if (!mk_is_valid_alignment(alignment))
        return EINVAL;
    if (size == 0)
        return 0; /* memkind(3): 0 with NULL in *memptr */
    struct mk_tls_entry *e;
    int flags = mk_cache_flags_enter(kind, &e);
    if (flags == -1) {
        errno = oerrno;
        return ENOMEM;
    }
    void *p = jemk_mallocx(size, flags | MALLOCX_ALIGN(alignment));
    if (!p)
        p = arena_malloc_retry(kind, size, flags | MALLOCX_ALIGN(alignment));
    mk_cache_leave(e);
    errno = oerrno;
    if (!p)
        return ENOMEM;
    *memptr = p;
    return 0;
}

/* Handles ptr == NULL (malloc) and size == 0 (free) like realloc(3).
 * Returns memory or NULL with errno ENOMEM (ptr then untouched). */
MK_EXPORT void *memkind_arena_realloc(struct memkind *kind, void *ptr,
                                      size_t size)
{
    if (!ptr)
        return size ? memkind_arena_malloc(kind, size) : NULL;
    if (!size) {
        memkind_arena_free(kind, ptr);
        return NULL;
    }
    struct mk_tls_entry *e;
    int flags = mk_cache_flags_enter(kind, &e);
    if (MK_UNLIKELY(flags == -1))
        return NULL;
    void *p = jemk_rallocx(ptr, size, flags);
    if (MK_UNLIKELY(!p) && arena_reclaim(kind, size))
        p = jemk_rallocx(ptr, size, flags);
    mk_cache_leave(e);
    if (MK_UNLIKELY(!p))
        errno = ENOMEM;
    return p;
}

/* realloc of a pointer of any kind (found in the address map).  Returns
 * NULL with errno EINVAL for a pointer that is not the library's. */
MK_EXPORT void *memkind_arena_realloc_with_kind_detect(void *ptr, size_t size)
{
    struct memkind *kind = ptr ? mk_addrmap_lookup(ptr) : MEMKIND_DEFAULT;
    if (!kind) {
        errno = EINVAL;
        return NULL;
    }
    return kind_op_realloc(kind, ptr, size);
}

/*
 * Free with this thread's flags for kind (slow path: first use).  Making
 * the thread's state, an arena or a tcache can fail and set errno; free
 * never changes it (memkind(3)), so it is put back.
 */
__attribute__((noinline)) static void arena_free_slow(struct memkind *kind,
                                                      void *ptr)
{
    int oerrno = errno;
    struct mk_tls_entry *e = NULL;
    int dflags = MALLOCX_TCACHE_NONE;
    if (mk_tcache_fill(kind, NULL) != -1) {
        e = mk_cache_enter_own(kind);
        if (e)
            dflags = e->dflags;
    }
    jemk_dallocx(ptr, dflags);
    mk_cache_leave(e);
    errno = oerrno;
}

/*
 * memkind_arena_free past the magazine fast path, inside the cache bracket:
 * puts a small object in the entry's magazine (made on first need), or
 * frees it to jemalloc when the class is full, the magazine cannot be made
 * or the object is not small; leaves the bracket.  wait: the sweeper held
 * the caches at entry; wait for it first.
 */
__attribute__((noinline)) static void arena_free_cached(struct memkind *kind,
                                                        struct mk_tls_entry *e,
                                                        void *ptr, size_t usize,
                                                        bool wait)
{
    if (wait)
        mk_tcache_wait(e);
    if (usize <= MK_MAG_MAX_SIZE && mk_mag_nclasses != 0) {
        unsigned c = mk_mag_class(usize);
        struct mk_mag *m = e->mag;
        if (!m) {
            int oerrno = errno; /* free keeps errno; calloc may set it */
            m = mk_meta_calloc(1, sizeof(*m));
            /* read by other threads' statistics (mk_tcache_large_cached) */
            __atomic_store_n(&e->mag, m, __ATOMIC_RELEASE);
            errno = oerrno;
        }
        if (m && m->n[c] < MK_MAG_CAP) {
            m->obj[c][m->n[c]++] = ptr;
            mk_cache_exit(e);
            return;
        }
    } else if (mk_lc_covers(usize) && mk_lookup(ptr) == kind &&
               mk_lc_push(kind->arenas, e, ptr, usize,
                          __atomic_load_n(&kind->arenas->lc_budget,
                                          __ATOMIC_RELAXED))) {
        mk_cache_exit(e);
        return;
    }
    jemk_dallocx(ptr, e->dflags);
    mk_cache_exit(e);
}

/* free op of arena kinds.  Pre: ptr allocated by kind.  errno is preserved
 * (see memkind_free()). */
MK_EXPORT void memkind_arena_free(struct memkind *kind, void *ptr)
{
    struct mk_tls *t = mk_tls_cur;
    if (MK_UNLIKELY(!ptr))
        return;
    if (MK_UNLIKELY(t == NULL || t->e[kind->partition].gen != kind->gen)) {
        arena_free_slow(kind, ptr);
        return;
    }
    struct mk_tls_entry *e = &t->e[kind->partition];
    size_t usize = jemk_sallocx(ptr, 0);
    if (MK_UNLIKELY(!mk_cache_enter_fast(e))) {
        arena_free_cached(kind, e, ptr, usize, true);
        return;
    }
    if (usize <= MK_MAG_MAX_SIZE && MK_LIKELY(mk_mag_nclasses != 0)) {
        unsigned c = mk_mag_class(usize);
        struct mk_mag *m = e->mag;
        if (MK_LIKELY(m != NULL && m->n[c] < MK_MAG_CAP)) {
            m->obj[c][m->n[c]++] = ptr;
            mk_cache_exit(e);
            return;
        }
    }
    /* A full class, the large cache or jemalloc: one tail call, so that
     * the push above needs no more registers than the sallocx call. */
    arena_free_cached(kind, e, ptr, usize, false);
}

/*
 * MEMKIND_DEFAULT's large cache (memkind_default_malloc/free, default.c).
 * Only for sizes mk_lc_covers(); the free side is reached only for page
 * aligned pointers (jemalloc is built without cache-oblivious placement,
 * so every large object is) and keeps only DEFAULT's memory: a pointer of
 * another kind freed through memkind_default_free goes to jemalloc.
 */
void *mk_lc_default_malloc(size_t size)
{
    if (size > MK_LC_MAX_SIZE)
        return jemk_malloc(size);
    struct mk_tls_entry *e = mk_tcache_entry_gen(MEMKIND_DEFAULT);
    /* A thread that never freed a cached size has no entry yet: it makes
     * one when the depot has objects for it (a producer of another
     * thread's frees). */
    if (!e && mk_tcache_depot_has(&mk_default_set))
        e = mk_lc_default_entry();
    if (e) {
        mk_cache_enter(e);
        unsigned c = mk_lc_class(size);
        void *p = mk_lc_pop(e->mag, c);
        if (!p)
            p = mk_lc_pop_depot(&mk_default_set, e, c);
        mk_cache_exit(e);
        if (p)
            return p;
    }
    void *p = jemk_malloc(size);
    /* a small object's old address: forget it, or its free would skip the
     * cache */
    _Atomic(void *) *skip = mk_lc_skip_slot(p);
    if (p && atomic_load_explicit(skip, memory_order_relaxed) == p)
        atomic_store_explicit(skip, NULL, memory_order_relaxed);
    return p;
}

void mk_lc_default_free_slow(void *ptr)
{
    if (!ptr)
        return;
    size_t usize = jemk_sallocx(ptr, 0);
    if (!mk_lc_covers(usize)) {
        atomic_store_explicit(mk_lc_skip_slot(ptr), ptr, memory_order_relaxed);
    } else if (mk_lookup(ptr) == MEMKIND_DEFAULT) {
        /* the entry inline: the call (and its errno save) only to make it */
        struct mk_tls_entry *e = mk_tcache_entry_gen(MEMKIND_DEFAULT);
        if (MK_UNLIKELY(!e))
            e = mk_lc_default_entry();
        if (e) {
            mk_cache_enter(e);
            bool taken = mk_lc_push(&mk_default_set, e, ptr, usize, SIZE_MAX);
            mk_cache_exit(e);
            if (taken) {
                /* the idle sweep of DEFAULT needs the purger, PMEM kind or
                 * not, once there is enough to sweep (MK_LC_SWEEP_FLOOR;
                 * started here, outside the bracket, no lock held) */
                if (!atomic_load_explicit(&mk_purger_default,
                                          memory_order_relaxed) &&
                    (e->mag->lc->bytes >= MK_LC_SWEEP_FLOOR ||
                     mk_tcache_depot_has(&mk_default_set)))
                    mk_pmem_purger_want_default();
                return;
            }
        }
    }
    jemk_free(ptr);
}

/* free of a pointer of any kind; pointers that are not ours are ignored. */
MK_EXPORT void memkind_arena_free_with_kind_detect(void *ptr)
{
    struct memkind *kind = mk_addrmap_lookup(ptr);
    if (kind)
        kind_op_free(kind, ptr);
}

/* Kind of ptr from the address map, NULL for NULL or foreign pointers. */
MK_EXPORT struct memkind *memkind_arena_detect_kind(void *ptr)
{
    return ptr ? mk_addrmap_lookup(ptr) : NULL;
}

/*
 * Arena chosen for the calling thread; creates arenas lazily.
 * Returns 0 or MEMKIND_ERROR_ARENAS_CREATE.
 */
MK_EXPORT int memkind_thread_get_arena(struct memkind *kind,
                                       unsigned int *arena, size_t size)
{
    (void)size;
    struct mk_tls_entry *e = mk_tcache_entry(kind);
    if (e) {
        *arena = e->arena;
        return 0;
    }
    return mk_tcache_fill(kind, arena) == -1 ? MEMKIND_ERROR_ARENAS_CREATE : 0;
}

/* The kind's first arena (single-arena kinds).  Returns 0 or
 * MEMKIND_ERROR_ARENAS_CREATE. */
MK_EXPORT int memkind_bijective_get_arena(struct memkind *kind,
                                          unsigned int *arena, size_t size)
{
    (void)size;
    struct mk_arena_set *set = kind->arenas;
    if (!set)
        return MEMKIND_ERROR_ARENAS_CREATE;
    mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
    if (set->narenas == 0)
        (void)mk_arena_set_grow(set, MK_NO_NODE);
    int err = set->narenas ? 0 : MEMKIND_ERROR_ARENAS_CREATE;
    if (!err)
        *arena = set->arena_idx[0];
    mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    return err;
}
