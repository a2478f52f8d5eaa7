// SPDX-License-Identifier: BSD-2-Clause
/*
 * bootstrap.c - the never-freed bump region of libmemtier (the scheme is
 * described in bootstrap.h).  Owns the region and its offset; knows nothing
 * of tiers or of the C library's allocator.
 *
 * Layout of a block:  [ padding ][ header: usable size ][ payload ... ]
 * The header sits right before the payload whatever the alignment, so the
 * usable size of any block is found from its address alone.
 */
#include "config.h"

#include "bootstrap.h"

#include <stdatomic.h>

struct boot_hdr {
    size_t size; ///< usable bytes of the payload that follows
    size_t pad;  ///< keeps the payload MK_BOOT_ALIGN-aligned
};

_Static_assert(sizeof(struct boot_hdr) == MK_BOOT_ALIGN,
               "the header must keep payloads aligned");

_Alignas(4096) unsigned char mk_boot_heap[MK_BOOT_SIZE];
static _Atomic size_t boot_off; ///< bytes of mk_boot_heap handed out

/*
 * Bumps the offset past header, padding and payload with one
 * compare-and-swap (contract in bootstrap.h).  Returns the payload or NULL
 * when the region is full.
 */
void *mk_boot_alloc(size_t size, size_t align)
{
    if (align < MK_BOOT_ALIGN)
        align = MK_BOOT_ALIGN;
    /* Larger than the whole region: no chance, and no overflow below. */
    if (size > MK_BOOT_SIZE || align > MK_BOOT_SIZE)
        return NULL;
    size_t usable = (size + MK_BOOT_ALIGN - 1) & ~(size_t)(MK_BOOT_ALIGN - 1);
    if (usable == 0)
        usable = MK_BOOT_ALIGN;

    uintptr_t base = (uintptr_t)mk_boot_heap;
    size_t off = atomic_load_explicit(&boot_off, memory_order_relaxed);
    size_t end;
    uintptr_t payload;
    do {
        payload = base + off + sizeof(struct boot_hdr);
        payload = (payload + align - 1) & ~(uintptr_t)(align - 1);
        end = (size_t)(payload - base) + usable;
        if (end > MK_BOOT_SIZE)
            return NULL;
    } while (!atomic_compare_exchange_weak_explicit(
        &boot_off, &off, end, memory_order_relaxed, memory_order_relaxed));

    struct boot_hdr *h = (struct boot_hdr *)(payload - sizeof(*h));
    h->size = usable;
    return (void *)payload;
}

/* The size recorded in the header right before p.  Returns bytes. */
size_t mk_boot_usable_size(const void *p)
{
    const struct boot_hdr *h = (const struct boot_hdr *)p - 1;
    return h->size;
}

/* For the debug log.  Returns bytes of the region handed out. */
size_t mk_boot_used(void)
{
    return atomic_load_explicit(&boot_off, memory_order_relaxed);
}
