// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_addrmap.h - the address -> kind map (src/addrmap.c): which kind
 * owns each MK_GRANULE of the user address space, for memkind_detect_kind()
 * and memkind_free(NULL, p).  Internal, not installed.  The inline lookup
 * used on free paths is src/lookup.h; this header is the out-of-line API,
 * usable from C++ tests.
 *
 * A map entry holds slot + 1 of the kind that owns the whole granule, 0 for
 * "not ours", or MK_ADDRMAP_MIXED for a granule shared between a fixed
 * kind's buffer edge and something else (resolved through a short list).
 * The table is sized at start-up for the address width the OS boundary
 * reports (47 to 57 bits), and every store is bounds-checked: an address
 * beyond the table is refused (stores) or reported as not ours (lookups).
 */
#pragma once

#include "memkind_private.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Granule of the address map: kinds never share a granule of this size.
#define MK_GRANULE_BITS 21
#define MK_GRANULE      ((size_t)1 << MK_GRANULE_BITS)
/// Map value of a granule shared with a fixed kind's buffer edge.
#define MK_ADDRMAP_MIXED 0xffffu

/// Reserves the table for mk_os_addr_bits() bits.  Pre: mk_os_init() ran.
/// Called once from library start-up.  Returns 0 or MEMKIND_ERROR_MMAP.
int mk_addrmap_init(void);
/// Entries (granules) the table covers; 0 before mk_addrmap_init().
size_t mk_addrmap_entries(void);
/// Kind that owns ptr, or NULL.  Lock-free; O(1) but for fixed-kind edges.
struct memkind *mk_addrmap_lookup(const void *ptr);
/// Records the whole granules of [start, start+size) with value v (slot+1,
/// or 0 to forget them).  Pre: start and size are granule multiples.
/// Returns 0, or ERANGE when the range lies beyond the table (nothing is
/// stored then).  Lock-free; safe inside extent hooks.
int mk_addrmap_store(uintptr_t start, size_t size, uint16_t v);
/// Marks [addr, addr+size) as owned by kind; the range may start and end
/// inside granules (fixed kinds).  Returns 0, MEMKIND_ERROR_INVALID (empty,
/// wrapping or beyond the table), MEMKIND_ERROR_TOOMANY (the list of
/// shared granules is full).  Takes the address map lock (a leaf).
int mk_addrmap_set_range(struct memkind *kind, void *addr, size_t size);
/// Undoes mk_addrmap_set_range() (same arguments).
void mk_addrmap_clear_range(struct memkind *kind, void *addr, size_t size);
/// Fork protocol (src/fork.c): hold the fixed-area lock across fork();
/// after it the parent releases it, the child makes it anew (an rwlock
/// cannot be released by the child: see mk_rwlock_reinit_in_child).
void mk_addrmap_prefork(void);
void mk_addrmap_postfork(bool child);
/// Slow path of the lookup for MK_ADDRMAP_MIXED granules.
struct memkind *mk_addrmap_resolve_mixed(uintptr_t a);

/*
 * jemalloc's own mmap, munmap, madvise and sbrk, renamed to these at build
 * time (jemalloc/jemalloc.mk), so that every mapping jemalloc makes for
 * MEMKIND_DEFAULT and for its metadata is granule-aligned and recorded as
 * DEFAULT.  Same contracts as the system calls (MAP_FAILED / -1 + errno);
 * madvise keeps errno (it is reached from free paths).
 */
void *mk_jemk_mmap(void *addr, size_t len, int prot, int flags, int fd,
                   off_t off);
int mk_jemk_munmap(void *addr, size_t len);
int mk_jemk_madvise(void *addr, size_t len, int advice);
void *mk_jemk_sbrk(intptr_t increment);

#ifdef __cplusplus
}
#endif
