// SPDX-License-Identifier: BSD-2-Clause
/*
 * fixed.c - kinds over a buffer the caller owns (memkind_create_fixed).
 *
 * The buffer is handed to jemalloc page by page from a bump pointer and is
 * never returned to the OS (it is not ours); destroying the kind destroys
 * its arenas and forgets the buffer, which stays valid for the caller.
 * COMPAT(1.14): a buffer of any size is accepted, 0 included; one that
 * holds no whole page is a kind whose allocations all fail with ENOMEM
 * (jemalloc's extents are whole pages), and its capacity is still its
 * size, as in 1.14.
 * Lock: memkind_fixed.lock (MK_RANK_FIXED_KIND) protects the bump pointer;
 * taken inside hooks, under jemalloc's mutexes.
 */
#include "config.h"

#include <memkind/internal/memkind_fixed.h>

#include <memkind/internal/memkind_addrmap.h>
#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_util.h>

#include "lsan.h"
#include "os.h"

#include <stdint.h>
#include <sys/mman.h>

static void *fixed_carve(struct memkind *kind, size_t size, size_t align,
                         bool *zero);

/* Whether the buffer holds at least one whole page, i.e. whether jemalloc
 * can ever get memory from it (and the address map must know it). */
static bool fixed_has_page(const struct memkind_fixed *f)
{
    size_t page = mk_os_page_size();
    uintptr_t s = (uintptr_t)f->addr, first = mk_round_up(s, page);
    return f->size >= page && first >= s && first - s <= f->size - page;
}

/*
 * create op: records the buffer in the address map and sets up arenas.
 * Pre: kind->priv is a struct memkind_fixed describing the buffer.
 * Returns 0 or MEMKIND_ERROR_*.
 */
MK_EXPORT int memkind_fixed_create(struct memkind *kind,
                                   struct memkind_ops *ops, const char *name)
{
    struct memkind_fixed *f = kind->priv;
    if (!f)
        return MEMKIND_ERROR_INVALID;
    int err = memkind_default_create(kind, ops, name);
    if (err)
        return err;
    bool usable = fixed_has_page(f);
    if (usable) {
        err = mk_addrmap_set_range(kind, f->addr, f->size);
        if (err)
            return err;
    }
    err = memkind_arena_create_map(kind, NULL);
    if (err) {
        if (usable)
            mk_addrmap_clear_range(kind, f->addr, f->size);
        return err;
    }
    mk_arena_set_carve(kind, fixed_carve);
    mk_arena_limit_large_cache(kind, f->size, false);
    /* Pointers kept in the buffer are references (DESIGN.md 3). */
    if (usable)
        mk_lsan_register(f->addr, f->size);
    return 0;
}

/*
 * destroy op: destroys arenas and forgets the buffer; the memory itself
 * stays the caller's.  Returns 0 or MEMKIND_ERROR_*.
 */
MK_EXPORT int memkind_fixed_destroy(struct memkind *kind)
{
    struct memkind_fixed *f = kind->priv;
    int err = memkind_arena_destroy(kind);
    if (f) {
        if (fixed_has_page(f)) {
            mk_lsan_unregister(f->addr, f->size);
            mk_addrmap_clear_range(kind, f->addr, f->size);
        }
        pthread_mutex_destroy(&f->lock);
        mk_meta_free(f);
        kind->priv = NULL;
    }
    return err;
}

/* Carves size bytes aligned to align from the bump pointer; skipped bytes
 * are lost.  Returns NULL when the buffer is exhausted. */
static void *fixed_carve(struct memkind *kind, size_t size, size_t align,
                         bool *zero)
{
    struct memkind_fixed *f = kind->priv;
    size_t page = mk_os_page_size();
    void *res = NULL;
    if (align < page)
        align = page;
    *zero = false; /* the caller's memory: contents unknown */
    mk_mutex_lock(&f->lock, MK_RANK_FIXED_KIND);
    uintptr_t base = (uintptr_t)f->addr;
    uintptr_t start = mk_round_up(base + f->current, align);
    uintptr_t end = base + f->size;
    if (start >= base && start <= end && end - start >= size) {
        res = (void *)start;
        f->current = start + size - base;
    }
    mk_mutex_unlock(&f->lock, MK_RANK_FIXED_KIND);
    return res;
}

/*
 * mmap op: the next size bytes of the buffer, page aligned.  addr is
 * ignored.  Called from an extent hook.  Returns MAP_FAILED when full.
 */
MK_EXPORT void *memkind_fixed_mmap(struct memkind *kind, void *addr,
                                   size_t size)
{
    (void)addr;
    bool zero;
    void *p = fixed_carve(kind, size, mk_os_page_size(), &zero);
    return p ? p : MAP_FAILED;
}

void mk_fixed_prefork(struct memkind *kind)
{
    struct memkind_fixed *f = kind->priv;
    if (f)
        mk_mutex_lock(&f->lock, MK_RANK_FIXED_KIND);
}

void mk_fixed_postfork(struct memkind *kind)
{
    struct memkind_fixed *f = kind->priv;
    if (f)
        mk_mutex_unlock(&f->lock, MK_RANK_FIXED_KIND);
}

MK_EXPORT struct memkind_ops MEMKIND_FIXED_OPS = {
    .create = memkind_fixed_create,
    .destroy = memkind_fixed_destroy,
    .malloc = memkind_arena_malloc,
    .calloc = memkind_arena_calloc,
    .posix_memalign = memkind_arena_posix_memalign,
    .realloc = memkind_arena_realloc,
    .free = memkind_arena_free,
    .mmap = memkind_fixed_mmap,
    .get_arena = memkind_thread_get_arena,
    .malloc_usable_size = memkind_default_malloc_usable_size,
    .update_memory_usage_policy = memkind_arena_update_memory_usage_policy,
    .defrag_reallocate = mk_arena_defrag,
};

/*
 * memkind_create_fixed: a kind over [addr, addr+size).  COMPAT(1.14): any
 * size is accepted, 0 included (memkind_fixed(3) sets no minimum); the
 * kind allocates only from whole pages of the buffer.  Refused, unlike
 * 1.14, which accepts them and then crashes or writes outside the buffer:
 * a NULL kind pointer, a NULL addr with a non-zero size, and a buffer that
 * wraps around the end of the address space.
 * Returns 0 or MEMKIND_ERROR_INVALID / MEMKIND_ERROR_MALLOC /
 * MEMKIND_ERROR_TOOMANY / MEMKIND_ERROR_RUNTIME.
 */
MK_EXPORT int memkind_create_fixed(void *addr, size_t size, memkind_t *kind)
{
    if (!kind || (!addr && size) || (uintptr_t)addr + size < (uintptr_t)addr)
        return MEMKIND_ERROR_INVALID;
    if (mk_library_init())
        return MEMKIND_ERROR_RUNTIME;
    struct memkind_fixed *f = mk_meta_malloc(sizeof(*f));
    if (!f)
        return MEMKIND_ERROR_MALLOC;
    *f = (struct memkind_fixed){.addr = addr, .size = size, .current = 0};
    if (pthread_mutex_init(&f->lock, NULL)) {
        mk_meta_free(f);
        return MEMKIND_ERROR_RUNTIME;
    }
    int err = mk_registry_create_kind(&MEMKIND_FIXED_OPS, NULL,
                                      MK_BACKING_FIXED, f, kind);
    if (err) {
        pthread_mutex_destroy(&f->lock);
        mk_meta_free(f);
    }
    return err;
}
