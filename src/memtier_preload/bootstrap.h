// SPDX-License-Identifier: BSD-2-Clause
/*
 * bootstrap.h - libmemtier's bootstrap and teardown heap.
 *
 * The scheme.  Between the moment the dynamic loader binds the program's
 * malloc to libmemtier and the moment libmemtier's constructor has read
 * MEMKIND_MEM_TIERS and built the tiers, allocations still happen: the
 * loader's own (TLS blocks), and those of the constructors of libraries
 * initialised before libmemtier (libnuma, libmemkind, other preloaded
 * libraries).  After libmemtier's destructor, the destructors of libraries
 * initialised earlier, and threads that outlive exit(), allocate again.
 * Those requests are served here: from one static region, by bumping an
 * offset, without locks (one compare-and-swap), and never freed.  free()
 * of such a block does nothing; realloc() moves it out of the region.
 * Each block is preceded by a header that records its usable size.  When
 * the region is full, callers fall back to the C library's allocator,
 * never to NULL.
 *
 * The region is in .bss, so only the pages actually used cost memory.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Bytes of the region (a few dozen KiB are used before the constructor).
#define MK_BOOT_SIZE ((size_t)256 * 1024)
/// Alignment of every block (that of max_align_t).
#define MK_BOOT_ALIGN 16

/// The region itself; defined in bootstrap.c.
extern __attribute__((
    visibility("hidden"))) unsigned char mk_boot_heap[MK_BOOT_SIZE];

/// True when p points into the bootstrap region.
static inline bool mk_boot_owns(const void *p)
{
    return (uintptr_t)p - (uintptr_t)mk_boot_heap < MK_BOOT_SIZE;
}

/*
 * A block of size bytes (0 is rounded up to 1) aligned to align, which is
 * a power of two (values below MK_BOOT_ALIGN mean MK_BOOT_ALIGN).  The
 * memory is zeroed: the region is never reused.  Thread-safe, lock-free,
 * async-signal-safe.  Returns NULL when the region has no room left; errno
 * is not touched.
 */
void *mk_boot_alloc(size_t size, size_t align);

/// Usable size of a block of the region.  Pre: mk_boot_owns(p).
size_t mk_boot_usable_size(const void *p);

/// Bytes of the region handed out so far (headers and padding included).
size_t mk_boot_used(void);
