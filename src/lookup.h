// SPDX-License-Identifier: BSD-2-Clause
/*
 * lookup.h - the address -> kind lookup, inline for the API's free,
 * realloc and usable-size paths with a NULL kind (memkind_free(NULL, p)
 * costs the same as naming the kind, give or take a few instructions).
 * Private to src/: it reads the tables of addrmap.c and registry.c
 * directly (C11 atomics; C++ code uses mk_addrmap_lookup()).
 */
#pragma once

#include <memkind/internal/memkind_addrmap.h>
#include <memkind/internal/memkind_private.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/// The table of src/addrmap.c: set once at start-up, then read-only.
struct mk_addrmap {
    _Atomic(uint16_t) *map; ///< one entry per granule, or NULL before init
    size_t entries;         ///< granules covered (2^(address bits - 21))
};
extern struct mk_addrmap mk_addrmap;
/// Registry slots (registry.c).
extern _Atomic(struct memkind *) mk_registry_slots[MEMKIND_MAX_KIND];

/// Kind that owns ptr, or NULL when the library did not allocate it.
static inline struct memkind *mk_lookup(const void *ptr)
{
    uintptr_t a = (uintptr_t)ptr;
    size_t i = a >> MK_GRANULE_BITS;
    _Atomic(uint16_t) *map = mk_addrmap.map;
    if (MK_UNLIKELY(i >= mk_addrmap.entries || map == NULL))
        return NULL;
    uint16_t v = atomic_load_explicit(&map[i], memory_order_acquire);
    if (MK_LIKELY(v != MK_ADDRMAP_MIXED))
        return v ? atomic_load_explicit(&mk_registry_slots[v - 1u],
                                        memory_order_acquire)
                 : NULL;
    return mk_addrmap_resolve_mixed(a);
}
