// SPDX-License-Identifier: BSD-2-Clause
/*
 * jemk_ctl.h - the one door to jemalloc's per-arena mallctl names (private
 * to src/).  Names that carry an arena index ("arena.<i>.purge",
 * "stats.arenas.<i>.resident") are resolved once to a MIB and the index is
 * put in by number, so no code builds a mallctl name with snprintf.
 * Names without an index are passed to jemk_mallctl() directly.
 */
#pragma once

#include <stddef.h>

/// Per-arena controls (written, never read).
enum mk_ctl_arena_leaf
{
    MK_CTL_ARENA_DIRTY_DECAY_MS = 0, ///< arena.<i>.dirty_decay_ms (ssize_t)
    MK_CTL_ARENA_MUZZY_DECAY_MS,     ///< arena.<i>.muzzy_decay_ms (ssize_t)
    MK_CTL_ARENA_GROW_LIMIT,         ///< arena.<i>.retain_grow_limit (size_t)
    MK_CTL_ARENA_OVERSIZE,           ///< arena.<i>.oversize_threshold (size_t)
    MK_CTL_ARENA_PURGE,              ///< arena.<i>.purge (no value)
    MK_CTL_ARENA_DECAY,              ///< arena.<i>.decay (no value)
    MK_CTL_ARENA_DESTROY,            ///< arena.<i>.destroy (no value)
    MK_CTL_ARENA_LEAVES
};

/// Per-arena statistics (size_t, read from the last refreshed epoch).
enum mk_ctl_stat_leaf
{
    MK_CTL_STAT_RESIDENT = 0,    ///< stats.arenas.<i>.resident
    MK_CTL_STAT_PACTIVE,         ///< stats.arenas.<i>.pactive (pages)
    MK_CTL_STAT_SMALL_ALLOCATED, ///< stats.arenas.<i>.small.allocated
    MK_CTL_STAT_LARGE_ALLOCATED, ///< stats.arenas.<i>.large.allocated
    MK_CTL_STAT_LEAVES
};

/*
 * Writes newp (newlen bytes; NULL/0 for the leaves without a value) to
 * control leaf of arena (MALLCTL_ARENAS_ALL for every arena, where jemalloc
 * accepts it).  Pre: no lock ranked above jemalloc's is held (checked in
 * debug builds).  Returns 0 or mallctl's positive errno value.
 */
int mk_ctl_arena(unsigned arena, enum mk_ctl_arena_leaf leaf, void *newp,
                 size_t newlen);
/// Reads statistic leaf of arena into *out.  Returns 0 or mallctl's errno.
int mk_ctl_arena_stat(unsigned arena, enum mk_ctl_stat_leaf leaf, size_t *out);
