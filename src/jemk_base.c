// SPDX-License-Identifier: BSD-2-Clause
/*
 * jemk_base.c: the one file that reads the private jemalloc's internal
 * structures (it is compiled against jemalloc's internal headers, src/src.mk).
 *
 * Why: a kind's arena keeps its metadata (the arena's "base") in blocks that
 * jemalloc maps with its default hooks.  With retain:true, which the kinds
 * need, jemalloc never unmaps those blocks when the arena is destroyed: it
 * only purges them and forgets them.  One 2 MiB mapping would stay behind
 * per destroyed arena, so a program that creates and destroys kinds in a
 * loop would reach vm.max_map_count (65,530 mappings) and then every mmap
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
