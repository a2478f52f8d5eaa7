// SPDX-License-Identifier: BSD-2-Clause
/*
 * jemk_base.c: the one file that reads the private jemalloc's internal
 * structures (it is compiled against jemalloc's internal headers, src/src.mk):
 * an arena's metadata blocks, and the facts the library's start-up needs
 * (at the end of the file).
 *
 * Why the blocks: a kind's arena keeps its metadata (the arena's "base") in
 * blocks that jemalloc maps with its default hooks.  With retain:true, which
 * the kinds need, jemalloc never unmaps those blocks when the arena is
 * destroyed: it only purges them and forgets them.  One 2 MiB mapping would
 * stay behind per destroyed arena, so a program that creates and destroys kinds
 * in a loop would reach vm.max_map_count (65,530 mappings) and then every mmap
 * in the process fails (issue 16).  jemalloc offers no interface that names
 * those blocks, so this file lists them before the arena is destroyed, and
 * the arena layer unmaps them once jemalloc has let go of them.
 *
 * The jemalloc version is fixed (5.3.0, built by jemalloc/jemalloc.mk with
 * the same configured headers this file is compiled with), so the layout read
 * here is the layout of the archive that is linked.
 */
#include "jemalloc/internal/jemalloc_preamble.h"
#include "jemalloc/internal/jemalloc_internal_includes.h"

#include "jemk_base.h"

/*
 * Lists the base blocks of arena ind into blocks[0..max) (address and
 * length of each mapping).  Returns how many blocks the arena has (which may
 * exceed max: the caller then leaves the rest alone), or 0 if the arena does
 * not exist or its metadata does not come from jemalloc's default hooks
 * (then jemalloc gives the blocks back through the kind's hooks itself).
 * Pre: nobody allocates from the arena meanwhile (its kind is being
 * destroyed); the base's own mutex is taken for the walk anyway, since the
 * base can also grow from jemalloc's internal paths.
 */
unsigned mk_jemk_base_blocks(unsigned ind, struct mk_jemk_block *blocks,
                             unsigned max)
{
    if (ind >= MALLOCX_ARENA_LIMIT)
        return 0;
    arena_t *arena = (arena_t *)atomic_load_p(&arenas[ind], ATOMIC_ACQUIRE);
    if (!arena || !arena->base)
        return 0;
    base_t *base = arena->base;
    if (!ehooks_are_default(base_ehooks_get_for_metadata(base)))
        return 0;
    tsdn_t *tsdn = tsdn_fetch();
    unsigned n = 0;
    malloc_mutex_lock(tsdn, &base->mtx);
    for (base_block_t *b = base->blocks; b; b = b->next) {
        if (n < max) {
            blocks[n].addr = b;
            blocks[n].len = b->size;
        }
        n++;
    }
    malloc_mutex_unlock(tsdn, &base->mtx);
    return n;
}

/*
 * Facts about the private jemalloc read from its own headers and globals,
 * for the library's start-up: jemk_mallctl() would do, but the first
 * mallctl call sets up jemalloc's control tree and statistics (ctl_init),
 * about 150,000 instructions and 36 page faults, paid by every process that
 * loads the library - a program run with libmemtier included - although
 * a process that only uses MEMKIND_DEFAULT never needs them (a page fault
 * costs 11-15 us in the 2-CPU VM the project measures on: half a
 * millisecond per process, issue 17).  Each returns what the named mallctl
 * returns.  Pre: jemalloc is initialised (any jemk_ call has run).
 */

/* arenas.lextent.0.size: the first large size class. */
size_t mk_jemk_large_minclass(void)
{
    return SC_LARGE_MINCLASS;
}

/* opt.narenas: the automatic arenas (MEMKIND_DEFAULT's). */
unsigned mk_jemk_opt_narenas(void)
{
    return opt_narenas;
}

/* opt.oversize_threshold. */
size_t mk_jemk_opt_oversize(void)
{
    return opt_oversize_threshold;
}

/* arena.0.oversize_threshold = v (what the mallctl stores).  Returns 0, or
 * -1 when arena 0 does not exist. */
int mk_jemk_arena0_set_oversize(size_t v)
{
    arena_t *arena = (arena_t *)atomic_load_p(&arenas[0], ATOMIC_ACQUIRE);
    if (!arena)
        return -1;
    atomic_store_zu(&arena->pa_shard.pac.oversize_threshold, v, ATOMIC_RELAXED);
    return 0;
}
