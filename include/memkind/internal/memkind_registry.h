// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_registry.h - the table of live kinds.  Slot i holds the kind
 * whose partition is i; static kinds occupy 0 .. MEMKIND_NUM_BASE_KIND-1 in
 * enum memkind_base_partition order, dynamic kinds take free slots above.
 */
#pragma once

#include "memkind_private.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Kind in slot (NULL when free).  Lock-free read; slots are published with
/// release stores after the kind is complete.
struct memkind *mk_registry_get(unsigned slot);

/// Allocates a dynamic kind struct, runs ops->create under the registry lock
/// with a unique name (name, or "<prefix>_<slot>" when name is NULL) and
/// publishes it.  Returns 0 or MEMKIND_ERROR_*; *out untouched on error.
int mk_registry_create_kind(struct memkind_ops *ops, const char *name,
                            enum mk_backing backing, void *priv,
                            struct memkind **out);

/// Unpublishes kind, calls its destroy op and frees it; a static kind is
/// left alone (1.14).  Returns 0 or MEMKIND_ERROR_INVALID for NULL or an
/// unknown kind.
int mk_registry_destroy_kind(struct memkind *kind);

/// Returns the next kind generation number (never 0).
uint32_t mk_registry_next_gen(void);

/// Number of live dynamic kinds (tests).
unsigned mk_registry_dynamic_count(void);

/// Takes / releases the registry lock (rank MK_RANK_REGISTRY: only the
/// purger lock may be held when it is taken).
void mk_registry_lock(void);
void mk_registry_unlock(void);

/*
 * Pins: a walker that works on a kind for long (the PMEM purger's sweep and
 * decay) pins it instead of holding the registry lock, so that thread exits
 * and kind creation do not wait for it.  mk_registry_pin(slot, backing)
 * returns the live kind of that slot and backing, pinned, or NULL (none,
 * another backing, or a kind being destroyed); mk_registry_pin_any(slot)
 * the same whatever its backing.  A pinned kind is neither
 * unpublished nor destroyed until mk_registry_unpin(): destroy waits for
 * the pins to go, and no new pin is given once it waits.  Both take the
 * registry lock (hold no lock ranked at or above it); the pin itself holds
 * none, so the pinner may take arena-set locks and call into jemalloc.
 * Only the purger thread pins: mk_registry_drop_pins_in_child() forgets
 * the pins of a forked child (the pinning thread does not exist there),
 * from the fork protocol's child handler, which holds the purger lock.
 */
struct memkind *mk_registry_pin(unsigned slot, enum mk_backing backing);
struct memkind *mk_registry_pin_any(unsigned slot);
void mk_registry_unpin(struct memkind *kind);
void mk_registry_drop_pins_in_child(void);

/// Ensures library-wide initialisation ran; returns 0 or error.
int mk_library_init(void);

#ifdef __cplusplus
}
#endif
