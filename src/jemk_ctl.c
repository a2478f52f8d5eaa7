// SPDX-License-Identifier: BSD-2-Clause
/*
 * jemk_ctl.c - per-arena mallctl names through MIBs (see jemk_ctl.h).
 *
 * Owns: the table of per-arena control and statistic names and their
 * MIBs.  Does not own: what the values mean (arena.c, stats.c).
 * Locks: none (the MIBs are resolved once, under pthread_once).
 */
#include "config.h"

#include "jemk_ctl.h"

#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_lock.h>

#include <errno.h>
#include <pthread.h>

#define MK_CTL_MIB_MAX 8

/* A name with its index component spelled "0"; pos is that component. */
struct mk_ctl_name {
    const char *name;
    size_t pos;
};

static const struct mk_ctl_name arena_names[MK_CTL_ARENA_LEAVES] = {
    [MK_CTL_ARENA_DIRTY_DECAY_MS] = {"arena.0.dirty_decay_ms", 1},
    [MK_CTL_ARENA_MUZZY_DECAY_MS] = {"arena.0.muzzy_decay_ms", 1},
    [MK_CTL_ARENA_GROW_LIMIT] = {"arena.0.retain_grow_limit", 1},
    [MK_CTL_ARENA_OVERSIZE] = {"arena.0.oversize_threshold", 1},
    [MK_CTL_ARENA_PURGE] = {"arena.0.purge", 1},
    [MK_CTL_ARENA_DECAY] = {"arena.0.decay", 1},
    [MK_CTL_ARENA_DESTROY] = {"arena.0.destroy", 1},
};

static const struct mk_ctl_name stat_names[MK_CTL_STAT_LEAVES] = {
    [MK_CTL_STAT_RESIDENT] = {"stats.arenas.0.resident", 2},
    [MK_CTL_STAT_PACTIVE] = {"stats.arenas.0.pactive", 2},
    [MK_CTL_STAT_SMALL_ALLOCATED] = {"stats.arenas.0.small.allocated", 2},
    [MK_CTL_STAT_LARGE_ALLOCATED] = {"stats.arenas.0.large.allocated", 2},
};

struct mk_ctl_mib {
    size_t mib[MK_CTL_MIB_MAX];
    size_t len; ///< 0: the name could not be resolved
};

static struct mk_ctl_mib arena_mibs[MK_CTL_ARENA_LEAVES];
static struct mk_ctl_mib stat_mibs[MK_CTL_STAT_LEAVES];
static pthread_once_t ctl_once = PTHREAD_ONCE_INIT;

static void resolve(const struct mk_ctl_name *n, struct mk_ctl_mib *m)
{
    m->len = MK_CTL_MIB_MAX;
    if (jemk_mallctlnametomib(n->name, m->mib, &m->len) != 0 ||
        m->len <= n->pos)
        m->len = 0;
}

static void ctl_init(void)
{
    for (unsigned i = 0; i < MK_CTL_ARENA_LEAVES; i++)
        resolve(&arena_names[i], &arena_mibs[i]);
    for (unsigned i = 0; i < MK_CTL_STAT_LEAVES; i++)
        resolve(&stat_names[i], &stat_mibs[i]);
}

/* mallctlbymib on a copy of m with index arena.  Returns 0 or errno. */
static int by_mib(const struct mk_ctl_mib *m, size_t pos, unsigned arena,
                  void *oldp, size_t *oldlenp, void *newp, size_t newlen)
{
    size_t mib[MK_CTL_MIB_MAX];
    if (m->len == 0)
        return ENOENT;
    for (size_t i = 0; i < m->len; i++)
        mib[i] = m->mib[i];
    mib[pos] = arena;
    return jemk_mallctlbymib(mib, m->len, oldp, oldlenp, newp, newlen);
}

int mk_ctl_arena(unsigned arena, enum mk_ctl_arena_leaf leaf, void *newp,
                 size_t newlen)
{
    mk_lock_assert_may_enter_jemalloc();
    (void)pthread_once(&ctl_once, ctl_init);
    return by_mib(&arena_mibs[leaf], arena_names[leaf].pos, arena, NULL, NULL,
                  newp, newlen);
}

int mk_ctl_arena_stat(unsigned arena, enum mk_ctl_stat_leaf leaf, size_t *out)
{
    size_t sz = sizeof(*out);
    mk_lock_assert_may_enter_jemalloc();
    (void)pthread_once(&ctl_once, ctl_init);
    return by_mib(&stat_mibs[leaf], stat_names[leaf].pos, arena, out, &sz, NULL,
                  0);
}
