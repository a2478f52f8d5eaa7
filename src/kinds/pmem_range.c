// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_range.c: the address space of a file-backed kind, reserved as it
 * grows (issue 16).
 *
 * A kind is a list of address ranges, not one range reserved up front.  One
 * range reserved at creation had to be as large as the kind could ever get:
 * an unlimited kind took min(file system size, 1 TiB) of address space while
 * empty, stopped growing at 1 TiB, 127 such kinds filled the 128 TiB of a
 * process, and under `ulimit -v` three kinds exhausted the limit.  Now the
 * first range is small and each new one is as large as all before it
 * together (up to range_cap), so an empty kind costs little and a kind that
 * grows needs few ranges (MK_PMEM_RANGES_MAX bounds them).
 *
 * File offsets keep growing across ranges: range i maps file offsets
 * [foff, foff + len) at [base, base + len).  A new range starts at the next
 * granule-aligned file offset, so address and file offset stay congruent
 * modulo MK_GRANULE (huge-page DAX mappings need that); the file offsets
 * skipped are a hole.  The tail of a range too short for a carving is left
 * unused (address space only, never file space).
 *
 * Every range is in the address map (memkind_detect_kind()) and registered
 * with LeakSanitizer from the moment it is published.  The extent hooks
 * translate addresses to file offsets without the kind's lock: ranges are
 * written before nranges is published (release) and never change until the
 * kind is destroyed.  jemalloc never merges extents of two carvings (each
 * carving is a separate extent "head"), and the merge hook also refuses two
 * ranges, so an extent never spans two ranges.
 */
#include "config.h"

#include <memkind.h>
#include <memkind/internal/memkind_addrmap.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_pmem.h>
#include <memkind/internal/memkind_util.h>

#include "../lsan.h"
#include "../os.h"

#include <errno.h>
#include <sys/mman.h>

static unsigned nranges_get(struct memkind_pmem *p)
{
    return __atomic_load_n(&p->nranges, __ATOMIC_ACQUIRE);
}

/* Reserves len bytes of address space (granule aligned), or less down to
 * need if the process cannot have len.  Returns 0 or an errno value. */
static int reserve(size_t len, size_t need, void **base, size_t *got)
{
    int err;
    for (;;) {
        err = mk_fault_hit() ? ENOMEM
                             : mk_os_reserve_aligned(len, MK_GRANULE, base);
        if (!err || len <= need)
            break;
        len = mk_round_up(len / 2, MK_GRANULE);
        if (len < need)
            len = need;
    }
    if (!err)
        *got = len;
    return err;
}

/* Publishes range r as ranges[n] (its fields first, then the count) and
 * registers it with LeakSanitizer: pointers kept in kind memory are
 * references (DESIGN.md 3); mk_pmem_ranges_release() unregisters it. */
static void publish(struct memkind_pmem *p, unsigned n, void *base, size_t len,
                    off_t foff)
{
    mk_lsan_register(base, len);
    p->ranges[n].base = base;
    p->ranges[n].len = len;
    p->ranges[n].foff = foff;
    p->reserved += len;
    if (n == 0)
        p->base = base;
    __atomic_store_n(&p->nranges, n + 1, __ATOMIC_RELEASE);
}

/*
 * The first range of a kind being created (no kind struct yet: the caller
 * registers it with mk_pmem_ranges_register()).  len: its length, cap: the
 * longest range later growth reserves (both granule multiples, len <= cap).
 * Returns 0 or an errno value (nothing reserved then).
 */
int mk_pmem_range_first(struct memkind_pmem *p, size_t len, size_t cap)
{
    void *base;
    size_t got;
    int err = reserve(len, MK_GRANULE, &base, &got);
    if (err)
        return err;
    p->range_cap = cap;
    p->next_range = got;
    publish(p, 0, base, got, 0);
    return 0;
}

/*
 * Maps [off, off+len) of the kind's file (or a forked child's copy) shared
 * and writable at addr, replacing what is there, and turns off read-around
 * for it.  A page fault on a page-cache file reads around the faulting page
 * (up to the read-ahead window): on a file system without DAX, the first
 * write to each fresh object zero-filled or read 32 neighbouring pages it
 * never asked for, which made PMEM on ext4 6-10 times slower than on tmpfs
 * for a mix of large objects (issue 17).  The advice only changes
 * performance, so its failure is ignored.  Returns 0 or an errno value (the
 * range is then unchanged or unmapped, as mmap(2) leaves it).
 */
int mk_pmem_map_file(void *addr, size_t len, int fd, off_t off)
{
    int err =
        mk_os_map_fixed(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
    if (!err)
        (void)mk_os_advise(addr, len, MADV_RANDOM);
    return err;
}

/* Makes an existing mapping (a Device DAX kind's, mapped whole at creation)
 * the kind's only range; it never gets another. */
void mk_pmem_range_adopt(struct memkind_pmem *p, void *base, size_t len)
{
    p->range_cap = 0;
    p->next_range = 0;
    publish(p, 0, base, len, 0);
}

/*
 * Adds a range that can take a carving of `need` bytes (alignment slack
 * included) and moves the carving offset to its start.  Pre: pmem_lock held
 * (called from the carving).  Returns 0, ENOMEM (no range left, or no
 * address space) or ENOSPC (beyond limit_off).
 */
int mk_pmem_range_add(struct memkind *kind, size_t need)
{
    struct memkind_pmem *p = kind->priv;
    unsigned n = nranges_get(p);
    if (n >= MK_PMEM_RANGES_MAX || p->devdax)
        return ENOMEM;
    size_t foff;
    if (!mk_round_up_checked((size_t)p->offset, MK_GRANULE, &foff) ||
        !mk_round_up_checked(need, MK_GRANULE, &need) || foff >= p->limit_off ||
        p->limit_off - foff < need)
        return ENOSPC;
    /* As large as everything before (geometric growth), within the cap and
     * the kind's limit, and at least what the carving needs. */
    size_t len = p->next_range;
    if (len > p->range_cap)
        len = p->range_cap;
    size_t room = (p->limit_off - foff) & ~(MK_GRANULE - 1);
    if (len > room)
        len = room;
    if (len < need)
        len = need;
    void *base;
    size_t got;
    int err = reserve(len, need, &base, &got);
    if (err)
        return err;
    if (mk_addrmap_set_range(kind, base, got) != 0) {
        (void)mk_os_unmap(base, got);
        return ENOMEM;
    }
    publish(p, n, base, got, (off_t)foff);
    p->offset = (off_t)foff;
    if (p->next_range <= SIZE_MAX / 2)
        p->next_range = p->reserved;
    return 0;
}

/* The range carvings come from now.  Pre: at least one range. */
struct mk_pmem_range *mk_pmem_range_current(struct memkind_pmem *p)
{
    return &p->ranges[nranges_get(p) - 1];
}

/* The range holding addr, or NULL. */
static struct mk_pmem_range *range_of(struct memkind_pmem *p, const void *addr)
{
    const char *a = addr;
    for (unsigned i = nranges_get(p); i-- > 0;) {
        struct mk_pmem_range *r = &p->ranges[i];
        if (a >= r->base && (size_t)(a - r->base) < r->len)
            return r;
    }
    return NULL;
}

/* File offset of addr, which must lie in a range of the kind (-1 if not). */
off_t mk_pmem_off_of(struct memkind_pmem *p, const void *addr)
{
    struct mk_pmem_range *r = range_of(p, addr);
    return r ? r->foff + ((const char *)addr - r->base) : -1;
}

/* Address of file offset off and how many bytes from there are contiguous
 * in the same range (*contig), up to the next range's first offset (the
 * unused tail of a range shares offsets with the next); NULL where no range
 * maps off. */
char *mk_pmem_addr_of(struct memkind_pmem *p, off_t off, size_t *contig)
{
    unsigned n = nranges_get(p);
    for (unsigned i = n; i-- > 0;) {
        struct mk_pmem_range *r = &p->ranges[i];
        if (off >= r->foff && (size_t)(off - r->foff) < r->len) {
            size_t c = r->len - (size_t)(off - r->foff);
            if (i + 1 < n && (size_t)(p->ranges[i + 1].foff - off) < c)
                c = (size_t)(p->ranges[i + 1].foff - off);
            *contig = c;
            return r->base + (off - r->foff);
        }
    }
    *contig = 0;
    return NULL;
}

/* True when addresses a and b lie in one range (the merge hook). */
bool mk_pmem_same_range(struct memkind_pmem *p, const void *a, const void *b)
{
    struct mk_pmem_range *r = range_of(p, a);
    return r && r == range_of(p, b);
}

/* Puts every range in the address map once the kind exists.  Returns 0 or
 * MEMKIND_ERROR_* (then none stays registered). */
int mk_pmem_ranges_register(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    unsigned n = nranges_get(p);
    for (unsigned i = 0; i < n; i++) {
        int err =
            mk_addrmap_set_range(kind, p->ranges[i].base, p->ranges[i].len);
        if (err) {
            while (i-- > 0)
                mk_addrmap_clear_range(kind, p->ranges[i].base,
                                       p->ranges[i].len);
            return err;
        }
    }
    return 0;
}

/* Takes every range out of the address map (destroy). */
void mk_pmem_ranges_unregister(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    unsigned n = nranges_get(p);
    for (unsigned i = 0; i < n; i++)
        mk_addrmap_clear_range(kind, p->ranges[i].base, p->ranges[i].len);
}

/* Unmaps every range (destroy, or a creation that failed). */
void mk_pmem_ranges_release(struct memkind_pmem *p)
{
    unsigned n = nranges_get(p);
    for (unsigned i = 0; i < n; i++) {
        mk_lsan_unregister(p->ranges[i].base, p->ranges[i].len);
        (void)mk_os_unmap(p->ranges[i].base, p->ranges[i].len);
    }
    __atomic_store_n(&p->nranges, 0, __ATOMIC_RELEASE);
    p->base = NULL;
    p->reserved = 0;
}
