// SPDX-License-Identifier: BSD-2-Clause
/*
 * addrmap.c - the address -> kind map and jemalloc's renamed mapping calls.
 *
 * Owns: the table (one uint16_t per MK_GRANULE of the user address space,
 * a lazily-touched MAP_NORESERVE reservation sized for the width the OS
 * boundary reports), the list of fixed-kind buffers whose edges share a
 * granule with other owners, and mk_jemk_mmap & co, through which every
 * mapping jemalloc makes for itself (MEMKIND_DEFAULT memory, metadata) is
 * placed on whole granules and recorded as DEFAULT.
 *
 * Does not own: mappings of kinds (the arena hooks and the kinds record
 * their own ranges here), the registry (a map value is slot + 1; the kind
 * is read from the registry's slot table).
 *
 * Locks: fixed_lock (rwlock, rank MK_RANK_ADDRMAP, a leaf: nothing else is
 * taken while it is held) guards the fixed-area list; plain granule stores
 * and every lookup are lock-free (release stores, acquire loads).
 */
#include "config.h"

#include <memkind/internal/memkind_addrmap.h>

#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_util.h>

#include "lookup.h"
#include "os.h"

#include <errno.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/mman.h>

_Static_assert(MEMKIND_MAX_KIND < MK_ADDRMAP_MIXED - 1, "slot fits the map");

/* A fixed kind's buffer, for granules it shares with other owners. */
struct mk_fixed_area {
    uintptr_t start;   ///< first byte
    uintptr_t end;     ///< one past the last byte
    uint16_t slot1;    ///< owner slot + 1
    uint16_t under[2]; ///< map values of the head/tail granules before
};

struct mk_addrmap mk_addrmap; /* read inline by src/lookup.h */

static MK_FORK_PAGE pthread_rwlock_t fixed_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct mk_fixed_area fixed_areas[MEMKIND_MAX_KIND];
static unsigned nfixed;

static inline size_t map_index(uintptr_t a)
{
    return a >> MK_GRANULE_BITS;
}

/* True when [a, a+size) lies inside the table (size > 0). */
static inline bool map_covers(uintptr_t a, size_t size)
{
    uintptr_t last = a + size - 1;
    return size != 0 && last >= a && map_index(last) < mk_addrmap.entries;
}

static inline void map_put(size_t i, uint16_t v)
{
    atomic_store_explicit(&mk_addrmap.map[i], v, memory_order_release);
}

static inline uint16_t map_get(size_t i)
{
    return atomic_load_explicit(&mk_addrmap.map[i], memory_order_acquire);
}

int mk_addrmap_init(void)
{
    unsigned bits = mk_os_addr_bits();
    size_t entries = (size_t)1 << (bits - MK_GRANULE_BITS);
    void *map;
    /* MAP_NORESERVE and lazily touched: 128 MiB of address space for 47
     * bits, of which a process touches a page per 4 GiB it maps. */
    int err =
        mk_os_map(NULL, entries * sizeof(uint16_t), PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0, &map);
    if (err) {
        mk_log_err("cannot reserve the address map for %u-bit addresses: %s",
                   bits, strerror(err));
        return MEMKIND_ERROR_MMAP;
    }
    /* Published before any other thread can reach the library: this runs
     * in the library's one-time set-up, which every entry point waits for. */
    mk_addrmap.map = map;
    mk_addrmap.entries = entries;
    return 0;
}

size_t mk_addrmap_entries(void)
{
    return mk_addrmap.entries;
}

struct memkind *mk_addrmap_lookup(const void *ptr)
{
    return mk_lookup(ptr);
}

int mk_addrmap_store(uintptr_t start, size_t size, uint16_t v)
{
    if (!mk_addrmap.map || !map_covers(start, size))
        return ERANGE;
    size_t last = map_index(start + size - 1);
    for (size_t i = map_index(start); i <= last; i++)
        map_put(i, v);
    return 0;
}

struct memkind *mk_addrmap_resolve_mixed(uintptr_t a)
{
    struct memkind *kind = NULL;
    uint16_t fallback = 0;
    size_t g = map_index(a);
    mk_rwlock_rdlock(&fixed_lock, MK_RANK_ADDRMAP);
    for (unsigned i = 0; i < nfixed; i++) {
        struct mk_fixed_area *f = &fixed_areas[i];
        if (a >= f->start && a < f->end) {
            kind = mk_registry_get(f->slot1 - 1u);
            fallback = 0;
            break;
        }
        if (map_index(f->start) == g && f->under[0] != MK_ADDRMAP_MIXED)
            fallback = f->under[0];
        else if (map_index(f->end - 1) == g && f->under[1] != MK_ADDRMAP_MIXED)
            fallback = f->under[1];
    }
    mk_rwlock_unlock(&fixed_lock, MK_RANK_ADDRMAP);
    if (!kind && fallback)
        kind = mk_registry_get(fallback - 1u);
    return kind;
}

/*
 * Whole granules take the kind's slot; edge granules become
 * MK_ADDRMAP_MIXED and remember what was there.
 */
int mk_addrmap_set_range(struct memkind *kind, void *addr, size_t size)
{
    uintptr_t s = (uintptr_t)addr, e = s + size;
    if (!mk_addrmap.map || !map_covers(s, size))
        return MEMKIND_ERROR_INVALID;
    uint16_t v = (uint16_t)(kind->partition + 1u);
    bool head_whole = (s & (MK_GRANULE - 1)) == 0;
    bool tail_whole = (e & (MK_GRANULE - 1)) == 0;
    if (head_whole && tail_whole)
        return mk_addrmap_store(s, size, v) ? MEMKIND_ERROR_INVALID : 0;
    mk_rwlock_wrlock(&fixed_lock, MK_RANK_ADDRMAP);
    if (nfixed == MEMKIND_MAX_KIND) {
        mk_rwlock_unlock(&fixed_lock, MK_RANK_ADDRMAP);
        return MEMKIND_ERROR_TOOMANY;
    }
    struct mk_fixed_area *f = &fixed_areas[nfixed++];
    f->start = s;
    f->end = e;
    f->slot1 = v;
    f->under[0] = map_get(map_index(s));
    f->under[1] = map_get(map_index(e - 1));
    size_t gfirst = map_index(s), glast = map_index(e - 1);
    for (size_t g = gfirst; g <= glast; g++) {
        bool edge = (g == gfirst && !head_whole) || (g == glast && !tail_whole);
        map_put(g, edge ? (uint16_t)MK_ADDRMAP_MIXED : v);
    }
    mk_rwlock_unlock(&fixed_lock, MK_RANK_ADDRMAP);
    return 0;
}

/* Areas made after f saw f's edge granules as MIXED: hand them what was
 * under f, so the granule's real owner is not lost.  Pre: fixed_lock held
 * for writing, f already removed from the list. */
static void hand_over_edges(const struct mk_fixed_area *f)
{
    for (unsigned j = 0; j < nfixed; j++) {
        struct mk_fixed_area *o = &fixed_areas[j];
        for (int k = 0; k < 2; k++) {
            size_t og = map_index(k ? o->end - 1 : o->start);
            if (o->under[k] != MK_ADDRMAP_MIXED)
                continue;
            if (og == map_index(f->start) && f->under[0] != MK_ADDRMAP_MIXED)
                o->under[k] = f->under[0];
            else if (og == map_index(f->end - 1))
                o->under[k] = f->under[1];
        }
    }
}

void mk_addrmap_clear_range(struct memkind *kind, void *addr, size_t size)
{
    uintptr_t s = (uintptr_t)addr, e = s + size;
    uint16_t v = (uint16_t)(kind->partition + 1u);
    if (!mk_addrmap.map || !map_covers(s, size))
        return;
    if ((s & (MK_GRANULE - 1)) == 0 && (e & (MK_GRANULE - 1)) == 0) {
        (void)mk_addrmap_store(s, size, 0);
        return;
    }
    mk_rwlock_wrlock(&fixed_lock, MK_RANK_ADDRMAP);
    unsigned i;
    for (i = 0; i < nfixed; i++)
        if (fixed_areas[i].start == s && fixed_areas[i].slot1 == v)
            break;
    if (i < nfixed) {
        struct mk_fixed_area f = fixed_areas[i];
        fixed_areas[i] = fixed_areas[--nfixed];
        hand_over_edges(&f);
        size_t gfirst = map_index(s), glast = map_index(e - 1);
        for (size_t g = gfirst; g <= glast; g++) {
            uint16_t nv = 0;
            bool shared = false;
            for (unsigned j = 0; j < nfixed; j++) {
                if (map_index(fixed_areas[j].start) == g ||
                    map_index(fixed_areas[j].end - 1) == g)
                    shared = true;
            }
            if (g == gfirst)
                nv = f.under[0];
            else if (g == glast)
                nv = f.under[1];
            map_put(g, shared ? (uint16_t)MK_ADDRMAP_MIXED : nv);
        }
    }
    mk_rwlock_unlock(&fixed_lock, MK_RANK_ADDRMAP);
}

void mk_addrmap_prefork(void)
{
    mk_rwlock_wrlock(&fixed_lock, MK_RANK_ADDRMAP);
}

void mk_addrmap_postfork(bool child)
{
    if (child)
        mk_rwlock_reinit_in_child(&fixed_lock, MK_RANK_ADDRMAP);
    else
        mk_rwlock_unlock(&fixed_lock, MK_RANK_ADDRMAP);
}

/* ------------------------------------------------- jemalloc's own mmap */

/* The mmap(2) contract from an OS-boundary result. */
static void *as_mmap(int err, void *p)
{
    if (err) {
        errno = err;
        return MAP_FAILED;
    }
    return p;
}

/* True when every granule of [a, a+len) is jemalloc's own memory (DEFAULT,
 * or a granule it shares with a fixed kind's buffer edge). */
static bool all_default(uintptr_t a, size_t len)
{
    if (!map_covers(a, len))
        return false;
    for (size_t i = map_index(a), last = map_index(a + len - 1); i <= last;
         i++) {
        uint16_t v = map_get(i);
        if (v != MEMKIND_PARTITION_DEFAULT + 1 && v != MK_ADDRMAP_MIXED)
            return false;
    }
    return true;
}

/*
 * Every mapping jemalloc makes is recorded as MEMKIND_DEFAULT or refused,
 * so that memkind_detect_kind() (and with it libmemtier's and libautohbw's
 * free()) never meets jemalloc memory it does not know, nor takes a foreign
 * mapping for jemalloc's:
 *  - an anonymous mapping without a hint is placed on granule boundaries,
 *    padded to whole granules and recorded;
 *  - MAP_FIXED (jemalloc decommits its own memory that way where the
 *    system does not overcommit) only over memory already recorded as
 *    DEFAULT, which it replaces; elsewhere EINVAL;
 *  - a hint without MAP_FIXED is refused (ENOMEM): jemalloc gives one only
 *    to grow an extent in place, which needs retain:false (forced off,
 *    src/arena.c), and takes the refusal as "cannot grow here";
 *  - a file mapping, or any mapping before the map exists: refused (jemalloc
 *    maps anonymous memory only, and only after mk_addrmap_init()).
 */
void *mk_jemk_mmap(void *addr, size_t len, int prot, int flags, int fd,
                   off_t off)
{
    void *raw = NULL;
    if (!mk_addrmap.map || len == 0 || len > SIZE_MAX - 2 * MK_GRANULE)
        return as_mmap(ENOMEM, NULL);
    if (fd != -1 || !(flags & MAP_ANONYMOUS))
        return as_mmap(EINVAL, NULL);
    if (flags & MAP_FIXED) {
        if (!all_default((uintptr_t)addr, len))
            return as_mmap(EINVAL, NULL);
        return as_mmap(mk_os_map_fixed(addr, len, prot, flags, -1, off), addr);
    }
    if (addr)
        return as_mmap(ENOMEM, NULL);
    size_t mapsz = mk_round_up(len, MK_GRANULE);
    size_t req = mapsz + MK_GRANULE;
    int err = mk_os_map(NULL, req, prot, flags, -1, 0, &raw);
    if (err)
        return as_mmap(err, NULL);
    void *a = (void *)mk_round_up((uintptr_t)raw, MK_GRANULE);
    mk_os_trim(raw, req, a, mapsz);
    /* Beyond the table (a kernel handing out addresses wider than it
     * said): not recordable, so not usable as DEFAULT memory. */
    if (mk_addrmap_store((uintptr_t)a, mapsz,
                         (uint16_t)(MEMKIND_PARTITION_DEFAULT + 1)) != 0) {
        (void)mk_os_unmap(a, mapsz);
        return as_mmap(ENOMEM, NULL);
    }
    return a;
}

/*
 * Granules wholly inside the range are forgotten, then unmapped (in that
 * order: once unmapped, the kernel may hand the range to anyone, whose
 * mapping must not be taken for DEFAULT memory).  A part of a recorded
 * granule is never given back as a hole: it is replaced by an inaccessible
 * reservation, which frees its pages and keeps the granule ours.
 *
 * When a step fails the map stays true, and jemalloc is told the range is
 * gone (it has nothing to do with a failed munmap but leak it):
 *  - the replacement of a part fails (e.g. the process is at
 *    vm.max_map_count: replacing splits a mapping): the part stays mapped
 *    and recorded, its pages are given back (MADV_DONTNEED) and, where the
 *    kernel allows, made inaccessible.  Choice: keep the granule recorded
 *    and wholly mapped rather than unrecord it, because the rest of the
 *    granule may still hold live DEFAULT objects;
 *  - the unmap of whole granules fails: they are still mapped and
 *    jemalloc's, so they are recorded as DEFAULT again.
 */
int mk_jemk_munmap(void *addr, size_t len)
{
    uintptr_t a = (uintptr_t)addr, end = a + len;
    uintptr_t s = mk_round_up(a, MK_GRANULE);
    uintptr_t e = end & ~(MK_GRANULE - 1);
    int err;
    if (!mk_addrmap.map || len == 0 || end < a || !map_covers(a, len)) {
        err = mk_os_unmap(addr, len);
        goto out;
    }
    uintptr_t parts[2][2] = {{a, s < end ? s : end}, {e > a ? e : a, end}};
    if (s > e) /* the range lies inside one granule */
        parts[1][0] = parts[1][1] = 0;
    for (int i = 0; i < 2; i++) {
        uintptr_t ps = parts[i][0], pe = parts[i][1];
        if (pe <= ps)
            continue;
        if (map_get(map_index(ps)) == 0) {
            /* Nobody's granule: a plain unmap leaves no lie behind. */
            err = mk_os_unmap((void *)ps, pe - ps);
            if (err)
                goto out;
            continue;
        }
        if (mk_fault_hit() ||
            mk_os_release_keep_range((void *)ps, pe - ps) != 0) {
            (void)mk_os_advise((void *)ps, pe - ps, MADV_DONTNEED);
            (void)mk_os_protect((void *)ps, pe - ps, PROT_NONE);
            mk_log_err("cannot release part of a DEFAULT granule at %p; "
                       "kept mapped, pages given back",
                       (void *)ps);
        }
    }
    err = 0;
    if (e > s) {
        (void)mk_addrmap_store(s, e - s, 0);
        err = mk_fault_hit() ? ENOMEM : mk_os_unmap((void *)s, e - s);
        if (err)
            (void)mk_addrmap_store(s, e - s,
                                   (uint16_t)(MEMKIND_PARTITION_DEFAULT + 1));
    }
out:
    if (err)
        errno = err;
    return err ? -1 : 0;
}

/* Purging is reached from free paths: errno is kept (memkind(3)). */
int mk_jemk_madvise(void *addr, size_t len, int advice)
{
    return mk_os_advise(addr, len, advice) ? -1 : 0;
}

/* jemalloc never grows the data segment (its memory must be mapped here). */
void *mk_jemk_sbrk(intptr_t increment)
{
    (void)increment;
    errno = ENOMEM;
    return (void *)-1;
}
