// SPDX-License-Identifier: BSD-2-Clause
/*
 * stats.c - statistics, background threads and defragmentation of the
 * arena layer (memkind_get_stat, memkind_update_cached_stats,
 * memkind_stats_print, memkind_set_bg_threads, memkind_defrag_reallocate).
 *
 * Owns: how a kind's statistics are summed over its arenas, the mapping of
 * MEMKIND_STAT_PRINT_* options to malloc_stats_print letters, and the
 * choice of which objects defragmentation moves.  Does not own: the API
 * checks (memkind.c), the arenas (arena.c).
 *
 * Locks: a set's lock while its arena list is read.
 */
#include "config.h"

#include <memkind/internal/memkind_arena.h>

#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_registry.h>

#include "arena_set.h"
#include "jemk_ctl.h"
#include "os.h"
#include "tcache.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

int mk_arena_refresh_stats(void)
{
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch);
    mk_tcache_flush_own_large();
    /* COMPAT(1.14): memkind returned mallctl's positive errno here. */
    return jemk_mallctl("epoch", &epoch, &sz, &epoch, sz)
               ? MEMKIND_ERROR_RUNTIME
               : 0;
}

/* jemalloc's page ("arenas.page"), the unit of its pactive counters: it is
 * fixed when jemalloc is built (64 KiB on arm64, jemalloc/README) and may
 * be larger than the kernel's page. */
static size_t jemk_page(void)
{
    size_t v = 0, sz = sizeof(v);
    if (jemk_mallctl("arenas.page", &v, &sz, NULL, 0) || v == 0)
        return mk_os_page_size();
    return v;
}

/* One statistic of one arena.  Returns 0 or MEMKIND_ERROR_*. */
static int arena_stat(unsigned idx, memkind_stat_type stat, size_t *out)
{
    size_t a = 0, b = 0;
    *out = 0;
    switch (stat) {
        case MEMKIND_STAT_TYPE_RESIDENT:
            if (mk_ctl_arena_stat(idx, MK_CTL_STAT_RESIDENT, &a))
                return MEMKIND_ERROR_RUNTIME;
            *out = a;
            return 0;
        case MEMKIND_STAT_TYPE_ACTIVE:
            if (mk_ctl_arena_stat(idx, MK_CTL_STAT_PACTIVE, &a))
                return MEMKIND_ERROR_RUNTIME;
            *out = a * jemk_page();
            return 0;
        case MEMKIND_STAT_TYPE_ALLOCATED:
            if (mk_ctl_arena_stat(idx, MK_CTL_STAT_SMALL_ALLOCATED, &a) ||
                mk_ctl_arena_stat(idx, MK_CTL_STAT_LARGE_ALLOCATED, &b))
                return MEMKIND_ERROR_RUNTIME;
            *out = a + b;
            return 0;
        default:
            return MEMKIND_ERROR_INVALID;
    }
}

/*
 * What the large caches hold (src/tcache.h) is allocated for jemalloc but
 * freed for the application: it leaves the allocated and active figures,
 * as it left them in the calling thread's own case by the flush at refresh
 * (before, 8 threads could show 256 MiB of DEFAULT "allocated" that no one
 * had).  Resident keeps it: those pages are still in memory.  The caches are
 * read now and the arenas at the last refresh, so the result is clamped.
 */
static size_t not_cached(memkind_stat_type stat, size_t v, size_t cached)
{
    if (stat == MEMKIND_STAT_TYPE_RESIDENT)
        return v;
    return v > cached ? v - cached : 0;
}

/* Every kind's large caches together (the library-wide statistics).  Takes
 * the registry lock, so that no kind goes away meanwhile. */
static size_t all_large_cached(void)
{
    size_t sum = 0;
    mk_registry_lock();
    for (unsigned slot = 0; slot < MEMKIND_MAX_KIND; slot++) {
        struct memkind *kind = mk_registry_get(slot);
        if (kind && kind->arenas)
            sum += mk_tcache_large_cached(kind, false);
    }
    mk_registry_unlock();
    return sum;
}

/*
 * One statistic summed over kind's arenas, or library-wide when kind is
 * NULL.  Reads the snapshot taken by mk_arena_refresh_stats().
 * Returns 0 or MEMKIND_ERROR_*.
 */
int mk_arena_get_stat(struct memkind *kind, memkind_stat_type stat,
                      size_t *value)
{
    if (stat >= MEMKIND_STAT_TYPE_MAX_VALUE || !value)
        return MEMKIND_ERROR_INVALID;
    size_t total = 0, v;
    if (!kind) {
        static const char *const names[] = {"stats.resident", "stats.active",
                                            "stats.allocated"};
        size_t sz = sizeof(v);
        if (jemk_mallctl(names[stat], &v, &sz, NULL, 0))
            return MEMKIND_ERROR_RUNTIME;
        *value = not_cached(stat, v, all_large_cached());
        return 0;
    }
    struct mk_arena_set *set = kind->arenas;
    size_t cached = 0;
    if (set == &mk_default_set) {
        for (unsigned i = 0; i < mk_default_narenas; i++) {
            if (arena_stat(i, stat, &v) == 0)
                total += v;
        }
        cached = mk_tcache_large_cached(kind, false);
    } else if (set) {
        mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
        for (unsigned i = 0; i < set->narenas; i++) {
            if (arena_stat(set->arena_idx[i], stat, &v) == 0)
                total += v;
        }
        cached = mk_tcache_large_cached(kind, true);
        mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    }
    *value = not_cached(stat, total, cached);
    return 0;
}

/*
 * Prints jemalloc's statistics.  Bit i of opts (MEMKIND_STAT_PRINT_*, in
 * memkind.h's order) is letter i of jemalloc 5.3's malloc_stats_print()
 * options: J (JSON), g (general), m (merged arenas), d (destroyed merged
 * arenas), a (per arena), b (bins), l (large classes), x (mutexes),
 * e (extents).  Returns 0, or MEMKIND_ERROR_INVALID for a bit above
 * MEMKIND_STAT_PRINT_OMIT_EXTENT (as 1.14), printing nothing.
 */
#define MK_STAT_LETTERS "Jgmdablxe"
_Static_assert(MEMKIND_STAT_PRINT_OMIT_EXTENT ==
                   1u << (sizeof(MK_STAT_LETTERS) - 2),
               "one letter per MEMKIND_STAT_PRINT_* bit");

int mk_arena_stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
                         memkind_stat_print_opt opts)
{
    static const char letters[] = MK_STAT_LETTERS;
    const unsigned nbits = sizeof(letters) - 1;
    char o[sizeof(letters)];
    size_t n = 0;
    if ((unsigned)opts >> nbits)
        return MEMKIND_ERROR_INVALID;
    for (unsigned bit = 0; bit < nbits; bit++) {
        if ((unsigned)opts & (1u << bit))
            o[n++] = letters[bit];
    }
    o[n] = '\0';
    jemk_malloc_stats_print(write_cb, cbopaque, o);
    return 0;
}

int mk_arena_set_bg_threads(bool state)
{
    return jemk_mallctl("background_thread", NULL, NULL, &state, sizeof(state))
               ? MEMKIND_ERROR_RUNTIME
               : 0;
}

/*
 * What jemalloc 5.3's experimental.utilization.query writes for one
 * pointer, in its order (src/ctl.c of 5.3: the slab the next allocation of
 * that size class would come from first, then five counts).
 */
struct mk_util_query {
    void *slabcur;    ///< current slab of ptr's bin; NULL: large or bin full
    size_t nfree;     ///< free regions in ptr's slab
    size_t nregs;     ///< regions in ptr's slab (1 for a large extent)
    size_t slab_size; ///< bytes of ptr's slab (or large extent)
    size_t bin_nfree; ///< free regions in all slabs of ptr's bin
    size_t bin_nregs; ///< regions in all slabs of ptr's bin
};

/*
 * The move rule of memkind 1.14: a small block moves when its slab is no
 * fuller than the average slab of its bin (used/nregs <= bin_used/
 * bin_nregs, compared as free fractions in integers), is not full itself
 * (nothing to gain) and is not the current slab, where a new block would
 * land anyway.  Large blocks (slabcur NULL) never move.
 */
static bool defrag_worth_it(const struct mk_util_query *u, const void *ptr)
{
    if (!u->slabcur || u->nfree == 0 || u->nregs <= 1)
        return false;
    if ((uintptr_t)ptr - (uintptr_t)u->slabcur < u->slab_size)
        return false;
    return u->nfree * u->bin_nregs >= u->bin_nfree * u->nregs;
}

/*
 * memkind_defrag_reallocate of every arena-backed kind: when the rule above
 * says so, copies ptr into a new block of the same size class taken from
 * the calling thread's arena for kind, past every cache (so that it comes
 * from the current slab), and frees ptr straight back to its slab (not into
 * a magazine or tcache, where its region would keep the old slab alive).
 * Returns the new pointer; NULL when ptr stays where it is, or with errno
 * ENOMEM when the new block could not be allocated (ptr is then untouched).
 */
void *mk_arena_defrag(struct memkind *kind, void *ptr)
{
    struct mk_util_query u;
    size_t sz = sizeof(u);
    _Static_assert(sizeof(struct mk_util_query) ==
                       sizeof(void *) + 5 * sizeof(size_t),
                   "layout of experimental.utilization.query");
    if (jemk_mallctl("experimental.utilization.query", &u, &sz, &ptr,
                     sizeof(ptr)) != 0 ||
        !defrag_worth_it(&u, ptr))
        return NULL;
    struct mk_arena_set *set = kind->arenas;
    if (!set)
        return NULL; /* not set up: ptr cannot be of this kind */
    size_t size = jemk_sallocx(ptr, 0);
    int flags = MALLOCX_TCACHE_NONE;
    if (set != &mk_default_set) {
        unsigned arena;
        if (memkind_thread_get_arena(kind, &arena, size) != 0) {
            errno = ENOMEM;
            return NULL;
        }
        flags |= (int)MALLOCX_ARENA(arena);
    }
    void *n = jemk_mallocx(size, flags);
    if (!n) {
        errno = ENOMEM;
        return NULL;
    }
    memcpy(n, ptr, size);
    jemk_dallocx(ptr, MALLOCX_TCACHE_NONE);
    return n;
}
