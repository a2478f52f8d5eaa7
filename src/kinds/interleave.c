// SPDX-License-Identifier: BSD-2-Clause
/*
 * interleave.c - MEMKIND_INTERLEAVE: pages interleaved over every node with
 * memory, without transparent huge pages.
 */
#include "config.h"

#include <memkind/internal/memkind_interleave.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>

MK_EXPORT void memkind_interleave_init_once(void)
{
    mk_static_kind_init(MEMKIND_INTERLEAVE);
}

MK_EXPORT struct memkind_ops MEMKIND_INTERLEAVE_OPS = MK_ARENA_KIND_OPS(
    NULL, memkind_default_get_mbind_nodemask, memkind_interleave_get_mbind_mode,
    NULL, memkind_nohugepage_madvise, memkind_interleave_init_once);
