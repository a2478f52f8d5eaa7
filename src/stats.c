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

#include <memkind/internal/memkind_dispatch.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_lock.h>

#include "arena_set.h"
#include "jemk_ctl.h"
#include "os.h"
#include "tcache.h"

#include <string.h>

int mk_arena_refresh_stats(void)
{
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch);
    /* COMPAT(1.14): memkind returned mallctl's positive errno here. */
    return jemk_mallctl("epoch", &epoch, &sz, &epoch, sz)
               ? MEMKIND_ERROR_RUNTIME
               : 0;
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
            *out = a * mk_os_page_size();
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
        *value = v;
        return 0;
    }
    struct mk_arena_set *set = kind->arenas;
    if (set == &mk_default_set) {
        for (unsigned i = 0; i < mk_default_narenas; i++) {
            if (arena_stat(i, stat, &v) == 0)
                total += v;
        }
    } else if (set) {
        mk_mutex_lock(&set->lock, MK_RANK_ARENA_SET);
        for (unsigned i = 0; i < set->narenas; i++) {
            if (arena_stat(set->arena_idx[i], stat, &v) == 0)
                total += v;
        }
        mk_mutex_unlock(&set->lock, MK_RANK_ARENA_SET);
    }
    *value = total;
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
 * Defragmentation hint from experimental.utilization.query: move an object
 * whose slab is less used than its bin's average (and not the current
 * slab).  Returns the new pointer, or NULL when ptr stays.
 */
void *mk_arena_defrag(struct memkind *kind, void *ptr)
{
    struct {
        size_t nfree, nregs, size, bin_nfree, bin_nregs;
        void *slabcur;
    } u;
    size_t sz = sizeof(u);
    size_t page = mk_os_page_size();
    if (jemk_mallctl("experimental.utilization.query", &u, &sz, &ptr,
                     sizeof(ptr)) != 0)
        return NULL;
    if (u.nregs <= 1 || u.nfree == 0 || u.bin_nregs == 0 ||
        ((uintptr_t)ptr & ~(uintptr_t)(page - 1)) ==
            ((uintptr_t)u.slabcur & ~(uintptr_t)(page - 1)))
        return NULL;
    /* used/nregs < bin_used/bin_nregs, in integers */
    size_t used = u.nregs - u.nfree, bin_used = u.bin_nregs - u.bin_nfree;
    if (used * u.bin_nregs >= bin_used * u.nregs || used == u.nregs)
        return NULL;
    void *n;
    if (kind->arenas == &mk_default_set || !kind->arenas) {
        n = jemk_mallocx(u.size, MALLOCX_TCACHE_NONE);
    } else {
        unsigned arena;
        if (memkind_thread_get_arena(kind, &arena, u.size) != 0)
            return NULL;
        n = jemk_mallocx(u.size,
                         (int)MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE);
    }
    if (!n)
        return NULL;
    memcpy(n, ptr, u.size);
    kind_op_free(kind, ptr);
    return n;
}
