// SPDX-License-Identifier: BSD-2-Clause
/*
 * lookup.h - the address -> kind lookup, inline for the API's free,
 * realloc and usable-size paths with a NULL kind (memkind_free(NULL, p)
 * costs the same as naming the kind, give or take a few instructions).
 * Private to src/: it names the tables of arena.c and registry.c.
 */
#pragma once

#include <memkind/internal/memkind_private.h>

#include <stdatomic.h>
#include <stdint.h>

/// One entry per 2 MiB granule of the 47-bit address space (arena.c).
extern _Atomic(uint16_t) *mk_map;
/// Registry slots (registry.c).
extern _Atomic(struct memkind *) mk_registry_slots[MEMKIND_MAX_KIND];
/// Slow path for granules shared with a fixed kind's buffer (arena.c).
struct memkind *mk_arena_resolve_mixed(uintptr_t a);

#define MK_LOOKUP_ADDR_BITS    47
#define MK_LOOKUP_GRANULE_BITS 21
#define MK_LOOKUP_MIXED        0xffffu

/// Kind that owns ptr, or NULL when the library did not allocate it.
static inline struct memkind *mk_lookup(const void *ptr)
{
    uintptr_t a = (uintptr_t)ptr;
    _Atomic(uint16_t) *map = mk_map;
    if (MK_UNLIKELY((a >> MK_LOOKUP_ADDR_BITS) != 0 || map == NULL))
        return NULL;
    uint16_t v = atomic_load_explicit(&map[a >> MK_LOOKUP_GRANULE_BITS],
                                      memory_order_acquire);
    if (MK_LIKELY(v != MK_LOOKUP_MIXED))
        return v ? atomic_load_explicit(&mk_registry_slots[v - 1u],
                                        memory_order_acquire)
                 : NULL;
    return mk_arena_resolve_mixed(a);
}
