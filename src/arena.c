// SPDX-License-Identifier: BSD-2-Clause
/*
 * arena.c - the only user of jemalloc: arenas per kind, thread caches,
 * extent hooks and the address -> kind map.
 *
 * Owns:
 *  - the address map: one uint16_t per MK_GRANULE of the 47-bit user address
 *    space (a lazily-touched MAP_NORESERVE table), holding slot + 1 of the
 *    kind that mapped the granule, 0 for "not ours", or MK_MAP_MIXED for a
 *    granule shared with a fixed kind's buffer edge (resolved by a list);
 *  - struct mk_arena_set: a kind's explicit list of jemalloc arenas, the
 *    explicit tcaches made for it, and the regions its hooks mapped;
 *  - per-thread state (struct mk_tls): for each registry slot, the mallocx
 *    flags (arena + tcache) this thread uses with that kind.
 *
 * Does not own: where memory comes from (the kinds' ops), the registry.
 *
 * Locks: mk_arena_set.lock (arenas, tcache records), mk_arena_set.region_lock
 * (taken inside hooks), fixed_lock (rwlock over fixed areas), all below the
 * registry lock; see memkind_private.h for the global order.
 *
 * MEMKIND_DEFAULT is served by jemalloc's automatic arenas and automatic
 * tcache with jemalloc's default extent hooks.  jemalloc's own mmap, munmap
 * and sbrk calls are renamed to mk_jemk_mmap & co (jemalloc/jemalloc.mk), so
 * every mapping it makes is granule-aligned and recorded as DEFAULT here.
 * Kind memory never goes through the automatic tcache (explicit tcache or
 * MALLOCX_TCACHE_NONE).
 */
#include "config.h"

#include <memkind/internal/memkind_arena.h>

#include <memkind/internal/memkind_dispatch.h>
#include <memkind/internal/memkind_env.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_util.h>

#include "lookup.h"
#include "lsan.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Largest number of arenas one kind uses (more threads share them). */
#define MK_ARENAS_MAX 64
/* Bits of user address space the map covers. */
#define MK_ADDR_BITS    47
#define MK_GRANULE_BITS 21
#define MK_MAP_ENTRIES  ((size_t)1 << (MK_ADDR_BITS - MK_GRANULE_BITS))
#define MK_MAP_MIXED    0xffffu
/* The MALLOCX_ARENA() bits of a flags word (dallocx ignores no bits). */
#define MK_FLAGS_ARENA_MASK (~(int)0xfffff)

_Static_assert(MK_GRANULE == ((size_t)1 << MK_GRANULE_BITS), "granule bits");
_Static_assert(MEMKIND_MAX_KIND < MK_MAP_MIXED - 1, "slot fits the map");
_Static_assert(MALLCTL_ARENAS_ALL > 4095, "jemalloc arena index space");
_Static_assert(MK_LOOKUP_MIXED == MK_MAP_MIXED &&
                   MK_LOOKUP_ADDR_BITS == MK_ADDR_BITS &&
                   MK_LOOKUP_GRANULE_BITS == MK_GRANULE_BITS,
               "src/lookup.h reads the same map");

struct mk_tls;

/* An explicit tcache made for one thread and one kind. */
struct mk_tc_rec {
    unsigned tcache;      ///< jemalloc tcache id
    struct mk_tls *owner; ///< thread state that uses it
    bool flushed;         ///< idle sweep flushed it; owner unused since
};

/* A mapping made by the generic hooks; unmapped when the kind dies. */
struct mk_region {
    void *addr;  ///< granule-aligned start
    size_t size; ///< granule multiple
};

struct mk_arena_set {
    extent_hooks_t hooks;  ///< per-kind copy: jemalloc hands it back
    struct memkind *kind;  ///< owner
    size_t unit;           ///< mapping granularity (>= MK_GRANULE)
    size_t page;           ///< the kind's page size (huge for hugetlb)
    bool premapped;        ///< kind maps its whole range itself
    mk_carve_fn *carve;    ///< premapped kinds: aligned chunk source
    pthread_mutex_t lock;  ///< arenas and tcache records
    unsigned narenas;      ///< arenas created
    unsigned arena_cap;    ///< most arenas this kind may have
    unsigned threads_seen; ///< threads that asked for an arena
    unsigned arena_idx[MK_ARENAS_MAX]; ///< jemalloc arena indices
    struct mk_tc_rec *tcs;             ///< explicit tcaches (jemk memory)
    unsigned ntcs;                     ///< entries used
    unsigned tcs_cap;                  ///< entries allocated
    pthread_mutex_t region_lock;       ///< protects regions
    struct mk_region *regions;         ///< raw-mmap array of mappings
    size_t nregions;                   ///< entries used
    size_t regions_cap;                ///< entries allocated
    size_t grow_limit;                 ///< retain_grow_limit, 0: none
    ssize_t default_dirty_ms;          ///< dirty decay of DEFAULT policy
    ssize_t conservative_dirty_ms;     ///< and of CONSERVATIVE
    ssize_t dirty_decay_ms;            ///< decay applied to new arenas
    ssize_t muzzy_decay_ms;            ///< decay applied to new arenas
};

/* Per-thread cache of mallocx flags for each registry slot. */
/*
 * Magazine: a per-thread, per-kind stack of freed small objects per size
 * class, in front of jemalloc.  memkind_arena_malloc/free of small sizes
 * then cost a push or a pop instead of jemalloc's general mallocx path for
 * explicit arenas and tcaches (~150 instructions).  The objects stay
 * allocated in jemalloc; a magazine is flushed at thread exit, by the idle
 * sweep once its thread stops using a file kind, and simply forgotten when
 * its kind is destroyed (the arena takes the memory back).  Up to 4 KiB
 * (29 classes): 1 KiB and 4 KiB PMEM pairs then cost 13 ns instead of
 * 23 ns, the mixed benchmark on a PMEM kind ran 10 % faster, and a
 * magazine holds at most 32 objects per class (128 KiB of 4 KiB ones).
 */
#define MK_MAG_MAX_SIZE 4096 /* largest size served from magazines */
#define MK_MAG_CLASSES  32   /* room for the size classes up to it */
#define MK_MAG_CAP      32   /* objects kept per class */

struct mk_mag {
    uint8_t n[MK_MAG_CLASSES];             ///< objects held per class
    void *obj[MK_MAG_CLASSES][MK_MAG_CAP]; ///< the objects (LIFO)
};

/*
 * busy, used and claim let the idle sweep (mk_arena_flush_idle, run by the
 * PMEM purger thread) empty the magazine and tcache of a thread that
 * stopped using a kind, with no lock, no atomic read-modify-write and no
 * load of its own stores on the owner's fast path (an asymmetric Dekker
 * handshake):
 *  - owner: used = 1, busy = 1, compiler barrier, load claim; if set, wait
 *    until it clears; ... use mag / tcache ...; busy = 0 (release);
 *  - sweeper: an entry with used set is marked active (used = 0); one found
 *    still unused a sweep later is idle: claim = 1, membarrier() (a full
 *    barrier on every running thread of the process), load busy and used;
 *    flush only if both are 0; claim = 0 (release).
 * The membarrier orders the owner's store of busy and the sweeper's store
 * of claim before the other side's load, so at most one side proceeds.
 * (A counter would be one field, but the owner's load of the value it
 * stored a few nanoseconds earlier made a malloc+free pair 1 ns slower.)
 */
struct mk_tls_entry {
    uint32_t gen;          ///< kind generation the flags are for (0: none)
    int flags;             ///< MALLOCX_ARENA | MALLOCX_TCACHE(_NONE)
    struct mk_mag *mag;    ///< small-object magazine, or NULL
    _Atomic uint8_t busy;  ///< owner is using mag / tcache
    _Atomic uint8_t used;  ///< owner used them since the sweeper cleared it
    _Atomic uint8_t claim; ///< the sweeper holds the caches
};

struct mk_tls {
    struct mk_tls_entry e[MEMKIND_MAX_KIND];
};

/* Size class index of sizes 1..MK_MAG_MAX_SIZE, by (size + 7) >> 3; and the
 * class sizes.  Filled from jemk_nallocx() at start-up, so they follow
 * jemalloc's own classes.  mk_mag_nclasses == 0: magazines disabled. */
static uint8_t mk_size2class[(MK_MAG_MAX_SIZE >> 3) + 1];
static size_t mk_class_size[MK_MAG_CLASSES];
static unsigned mk_mag_nclasses;

static void mag_classes_init(void)
{
    unsigned n = 0;
    for (size_t q = 1; q <= (MK_MAG_MAX_SIZE >> 3); q++) {
        size_t cls = jemk_nallocx(q << 3, 0);
        if (n == 0 || mk_class_size[n - 1] != cls) {
            if (n == MK_MAG_CLASSES || cls > MK_MAG_MAX_SIZE)
                return; /* unexpected classes: keep magazines off */
            mk_class_size[n++] = cls;
        }
        mk_size2class[q] = (uint8_t)(n - 1);
    }
    mk_size2class[0] = 0;
    mk_mag_nclasses = n;
}

/* Drops a magazine's objects without touching them (their kind is gone). */
static void mag_forget(struct mk_mag *m)
{
    if (m)
        memset(m->n, 0, sizeof(m->n));
}

/* Returns a magazine's objects to jemalloc with the entry's flags. */
static void mag_flush(struct mk_mag *m, int flags)
{
    for (unsigned c = 0; m && c < MK_MAG_CLASSES; c++) {
        while (m->n[c])
            jemk_dallocx(m->obj[c][--m->n[c]], flags & ~MK_FLAGS_ARENA_MASK);
    }
}

/* A fixed kind's buffer, for granules it shares with other owners. */
struct mk_fixed_area {
    uintptr_t start;   ///< first byte
    uintptr_t end;     ///< one past the last byte
    uint16_t slot1;    ///< owner slot + 1
    uint16_t under[2]; ///< map values of the head/tail granules before
};

_Atomic(uint16_t) *mk_map; /* shared with src/lookup.h */
static size_t mk_page_size;
static pthread_key_t mk_tls_key;
/* Dynamic TLS (TLSDESC, see configure.ac): initial-exec would mark the whole
 * module, jemalloc's 2.6 KiB of TLS included, as static TLS and make
 * dlopen() of the library fail ("cannot allocate memory in static TLS"). */
static __thread struct mk_tls *mk_tls_cur;

static pthread_rwlock_t fixed_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct mk_fixed_area fixed_areas[MEMKIND_MAX_KIND];
static unsigned nfixed;

static struct mk_arena_set default_set;
static unsigned default_narenas;
static unsigned mk_ncpus;

/* ------------------------------------------------------------------ map */

static inline size_t map_index(uintptr_t a)
{
    return a >> MK_GRANULE_BITS;
}

static void map_set(uintptr_t start, size_t size, uint16_t v)
{
    size_t first = map_index(start);
    size_t last = map_index(start + size - 1);
    for (size_t i = first; i <= last; i++)
        atomic_store_explicit(&mk_map[i], v, memory_order_release);
}

struct memkind *mk_arena_resolve_mixed(uintptr_t a)
{
    struct memkind *kind = NULL;
    uint16_t fallback = 0;
    size_t g = map_index(a);
    (void)pthread_rwlock_rdlock(&fixed_lock);
    for (unsigned i = 0; i < nfixed; i++) {
        struct mk_fixed_area *f = &fixed_areas[i];
        if (a >= f->start && a < f->end) {
            kind = mk_registry_get(f->slot1 - 1u);
            fallback = 0;
            break;
        }
        if (map_index(f->start) == g && f->under[0] != MK_MAP_MIXED)
            fallback = f->under[0];
        else if (map_index(f->end - 1) == g && f->under[1] != MK_MAP_MIXED)
            fallback = f->under[1];
    }
    (void)pthread_rwlock_unlock(&fixed_lock);
    if (!kind && fallback)
        kind = mk_registry_get(fallback - 1u);
    return kind;
}

struct memkind *mk_arena_lookup(const void *ptr)
{
    return mk_lookup(ptr);
}

/*
 * Records [addr, addr+size) of a fixed or file kind.  Whole granules take
 * the kind's slot; edge granules become MK_MAP_MIXED and remember what was
 * there.  Returns 0 or MEMKIND_ERROR_* (TOOMANY when the list is full).
 */
int mk_arena_map_range(struct memkind *kind, void *addr, size_t size)
{
    uintptr_t s = (uintptr_t)addr, e = s + size;
    if (size == 0 || e < s || (e - 1) >> MK_ADDR_BITS)
        return MEMKIND_ERROR_INVALID;
    uint16_t v = (uint16_t)(kind->partition + 1u);
    bool head_whole = (s & (MK_GRANULE - 1)) == 0;
    bool tail_whole = (e & (MK_GRANULE - 1)) == 0;
    if (head_whole && tail_whole) {
        map_set(s, size, v);
        return 0;
    }
    if (pthread_rwlock_wrlock(&fixed_lock))
        return MEMKIND_ERROR_RUNTIME;
    if (nfixed == MEMKIND_MAX_KIND) {
        (void)pthread_rwlock_unlock(&fixed_lock);
        return MEMKIND_ERROR_TOOMANY;
    }
    struct mk_fixed_area *f = &fixed_areas[nfixed++];
    f->start = s;
    f->end = e;
    f->slot1 = v;
    f->under[0] = atomic_load(&mk_map[map_index(s)]);
    f->under[1] = atomic_load(&mk_map[map_index(e - 1)]);
    size_t gfirst = map_index(s), glast = map_index(e - 1);
    for (size_t g = gfirst; g <= glast; g++) {
        bool edge = (g == gfirst && !head_whole) || (g == glast && !tail_whole);
        atomic_store(&mk_map[g], edge ? (uint16_t)MK_MAP_MIXED : v);
    }
    (void)pthread_rwlock_unlock(&fixed_lock);
    return 0;
}

void mk_arena_unmap_range(struct memkind *kind, void *addr, size_t size)
{
    uintptr_t s = (uintptr_t)addr, e = s + size;
    uint16_t v = (uint16_t)(kind->partition + 1u);
    if ((s & (MK_GRANULE - 1)) == 0 && (e & (MK_GRANULE - 1)) == 0) {
        map_set(s, size, 0);
        return;
    }
    (void)pthread_rwlock_wrlock(&fixed_lock);
    unsigned i;
    for (i = 0; i < nfixed; i++)
        if (fixed_areas[i].start == s && fixed_areas[i].slot1 == v)
            break;
    if (i < nfixed) {
        struct mk_fixed_area f = fixed_areas[i];
        fixed_areas[i] = fixed_areas[--nfixed];
        /* Areas made after f saw f's edge granules as MIXED: hand them what
         * was under f, so the granule's real owner is not lost. */
        for (unsigned j = 0; j < nfixed; j++) {
            struct mk_fixed_area *o = &fixed_areas[j];
            for (int k = 0; k < 2; k++) {
                size_t og = map_index(k ? o->end - 1 : o->start);
                if (o->under[k] != MK_MAP_MIXED)
                    continue;
                if (og == map_index(f.start) && f.under[0] != MK_MAP_MIXED)
                    o->under[k] = f.under[0];
                else if (og == map_index(f.end - 1))
                    o->under[k] = f.under[1];
            }
        }
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
            atomic_store(&mk_map[g], shared ? (uint16_t)MK_MAP_MIXED : nv);
        }
    }
    (void)pthread_rwlock_unlock(&fixed_lock);
}

/* ------------------------------------------------- jemalloc's own mmap */

/*
 * jemalloc's calls to mmap land here (renamed at build time).  Anonymous
 * mappings without an address hint are placed on granule boundaries and
 * padded to whole granules, then recorded as MEMKIND_DEFAULT; anything else
 * is passed through.  Same contract as mmap(2).
 */
void *mk_jemk_mmap(void *addr, size_t len, int prot, int flags, int fd,
                   off_t off)
{
    if (addr || fd != -1 || !(flags & MAP_ANONYMOUS) || !mk_map ||
        len > SIZE_MAX - 2 * MK_GRANULE)
        return mmap(addr, len, prot, flags, fd, off);
    size_t mapsz = mk_round_up(len, MK_GRANULE);
    size_t req = mapsz + MK_GRANULE;
    char *raw = mmap(NULL, req, prot, flags, -1, 0);
    if (raw == MAP_FAILED)
        return raw;
    uintptr_t a = mk_round_up((uintptr_t)raw, MK_GRANULE);
    if (a > (uintptr_t)raw)
        munmap(raw, a - (uintptr_t)raw);
    if (a + mapsz < (uintptr_t)raw + req)
        munmap((void *)(a + mapsz), (uintptr_t)raw + req - (a + mapsz));
    map_set(a, mapsz, (uint16_t)(MEMKIND_PARTITION_DEFAULT + 1));
    return (void *)a;
}

/*
 * jemalloc's munmap.  Granules wholly inside the range are unmapped and
 * forgotten.  A part of a DEFAULT granule is not given back as a hole
 * (another mapping could land there and be taken for DEFAULT memory): it is
 * replaced by an inaccessible reservation, which frees its pages and keeps
 * the granule ours.  Same contract as munmap(2).
 */
int mk_jemk_munmap(void *addr, size_t len)
{
    uintptr_t a = (uintptr_t)addr, end = a + len;
    uintptr_t s = mk_round_up(a, MK_GRANULE);
    uintptr_t e = end & ~(MK_GRANULE - 1);
    if (!mk_map || len == 0 || end < a)
        return munmap(addr, len);
    uintptr_t parts[2][2] = {{a, s < end ? s : end}, {e > a ? e : a, end}};
    if (s > e) /* the range lies inside one granule */
        parts[1][0] = parts[1][1] = 0;
    for (int i = 0; i < 2; i++) {
        uintptr_t ps = parts[i][0], pe = parts[i][1];
        if (pe <= ps)
            continue;
        if (atomic_load(&mk_map[map_index(ps)]) ==
                MEMKIND_PARTITION_DEFAULT + 1 &&
            mmap((void *)ps, pe - ps, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
                 0) != MAP_FAILED)
            continue;
        if (munmap((void *)ps, pe - ps) != 0)
            return -1;
    }
    if (e > s) {
        map_set(s, e - s, 0);
        return munmap((void *)s, e - s);
    }
    return 0;
}

/*
 * jemalloc's madvise (purging, reached from free paths): keeps errno, so
 * memkind_free() never changes it (memkind(3), CONVENTIONS.md 5).
 */
int mk_jemk_madvise(void *addr, size_t len, int advice)
{
    int oerrno = errno;
    int r = madvise(addr, len, advice);
    if (r != 0)
        errno = oerrno;
    return r;
}

/* jemalloc never grows the data segment (its memory must be mapped here). */
void *mk_jemk_sbrk(intptr_t increment)
{
    (void)increment;
    errno = ENOMEM;
    return (void *)-1;
}

/* -------------------------------------------------------------- regions */

/* Appends a region; raw mmap storage so hooks never recurse into jemalloc.
 * Returns false on failure. */
static bool region_add(struct mk_arena_set *set, void *addr, size_t size)
{
    bool ok = true;
    (void)pthread_mutex_lock(&set->region_lock);
    if (set->nregions == set->regions_cap) {
        size_t ncap = set->regions_cap ? set->regions_cap * 2 : 256;
        void *n = mk_fault_hit() ? MAP_FAILED
                                 : mmap(NULL, ncap * sizeof(*set->regions),
                                        PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (n == MAP_FAILED) {
            ok = false;
            goto out;
        }
        if (set->regions) {
            memcpy(n, set->regions, set->nregions * sizeof(*set->regions));
            munmap(set->regions, set->regions_cap * sizeof(*set->regions));
        }
        set->regions = n;
        set->regions_cap = ncap;
    }
    set->regions[set->nregions++] = (struct mk_region){addr, size};
out:
    (void)pthread_mutex_unlock(&set->region_lock);
    return ok;
}

static void regions_release(struct mk_arena_set *set)
{
    for (size_t i = 0; i < set->nregions; i++) {
        map_set((uintptr_t)set->regions[i].addr, set->regions[i].size, 0);
        mk_lsan_unregister(set->regions[i].addr, set->regions[i].size);
        munmap(set->regions[i].addr, set->regions[i].size);
    }
    if (set->regions)
        munmap(set->regions, set->regions_cap * sizeof(*set->regions));
    set->regions = NULL;
    set->nregions = set->regions_cap = 0;
}

/* ---------------------------------------------------------------- hooks */

static inline struct mk_arena_set *hooks_set(extent_hooks_t *h)
{
    return mk_container_of(h, struct mk_arena_set, hooks);
}

/// Kind whose arena uses hooks h (for kinds that supply their own hooks).
struct memkind *mk_arena_hooks_kind(extent_hooks_t *h);
struct memkind *mk_arena_hooks_kind(extent_hooks_t *h)
{
    return hooks_set(h)->kind;
}

/*
 * Maps a new extent through the kind's mmap op, aligned to the set's unit
 * (or the requested alignment if larger), and records it in the map.
 * Returns false on success (jemalloc hook convention): here, the address.
 */
static void *hook_alloc(extent_hooks_t *h, void *new_addr, size_t size,
                        size_t alignment, bool *zero, bool *commit,
                        unsigned arena_ind)
{
    (void)arena_ind;
    struct mk_arena_set *set = hooks_set(h);
    struct memkind *kind = set->kind;
    if (new_addr)
        return NULL; /* we place extents ourselves */
    if (set->premapped) {
        void *p = set->carve ? set->carve(kind, size, alignment, zero)
                             : kind_op_mmap(kind, NULL, size);
        if (p == MAP_FAILED || p == NULL)
            return NULL;
        if (((uintptr_t)p & (alignment - 1)) != 0)
            return NULL; /* an mmap op without carve: page alignment only */
        if (!set->carve)
            *zero = false;
        *commit = true;
        return p;
    }
    size_t unit = set->unit;
    size_t align = alignment > unit ? alignment : unit;
    size_t mapsz, req;
    if (!mk_round_up_checked(size, unit, &mapsz) || mapsz > SIZE_MAX - align)
        return NULL;
    /* mmap only promises alignment to the kind's page size (the huge page
     * size for hugetlb kinds): with less slack than align - page, an
     * unaligned result left the extent's tail outside the mapping (found
     * under valgrind, whose mmap places mappings differently). */
    req = mapsz + align - set->page;
    char *raw = kind_op_mmap(kind, NULL, req);
    if (raw == MAP_FAILED || raw == NULL)
        return NULL;
    uintptr_t r = (uintptr_t)raw;
    uintptr_t a = mk_round_up(r, align);
    if (a > r)
        munmap(raw, a - r);
    if (a + mapsz < r + req)
        munmap((void *)(a + mapsz), r + req - (a + mapsz));
    void *p = (void *)a;
    if (kind_op_prepare_mapping(kind, p, mapsz) != 0 ||
        !region_add(set, p, mapsz)) {
        munmap(p, mapsz);
        return NULL;
    }
    mk_lsan_register(p, mapsz);
    map_set(a, mapsz, (uint16_t)(kind->partition + 1u));
    *zero = true;
    *commit = true;
    return p;
}

/* Returns true: the extent stays mapped (and retained by jemalloc). */
static bool hook_dalloc(extent_hooks_t *h, void *addr, size_t size,
                        bool committed, unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)committed, (void)arena_ind;
    return true;
}

/* Whole regions are unmapped when the kind is destroyed; nothing here. */
static void hook_destroy(extent_hooks_t *h, void *addr, size_t size,
                         bool committed, unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)committed, (void)arena_ind;
}

/* Returns false on success (jemalloc hook convention): memory is mapped. */
static bool hook_commit(extent_hooks_t *h, void *addr, size_t size,
                        size_t offset, size_t length, unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)offset, (void)length,
        (void)arena_ind;
    return false;
}

/* Returns true: we do not decommit (jemalloc purges instead). */
static bool hook_decommit(extent_hooks_t *h, void *addr, size_t size,
                          size_t offset, size_t length, unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)offset, (void)length,
        (void)arena_ind;
    return true;
}

/*
 * True when [addr+offset, +length) is not whole pages of the kind: the
 * kernel rounds hugetlb madvise ranges and would report success without
 * zeroing the part it skipped, so such purges must be refused.
 */
static bool purge_misaligned(const struct mk_arena_set *set, void *addr,
                             size_t offset, size_t length)
{
    return (((uintptr_t)addr + offset) | length) & (set->page - 1);
}

/* Returns false on success (jemalloc hook convention). */
static bool hook_purge_lazy(extent_hooks_t *h, void *addr, size_t size,
                            size_t offset, size_t length, unsigned arena_ind)
{
    (void)size, (void)arena_ind;
    struct mk_arena_set *set = hooks_set(h);
    if (set->premapped || set->page > mk_page_size)
        return true; /* no lazy purging of hugetlb or user memory */
    int oerrno = errno;
    bool fail = madvise((char *)addr + offset, length, MADV_FREE) != 0;
    errno = oerrno;
    return fail;
}

/* Returns false on success (jemalloc hook convention). */
static bool hook_purge_forced(extent_hooks_t *h, void *addr, size_t size,
                              size_t offset, size_t length, unsigned arena_ind)
{
    (void)size, (void)arena_ind;
    struct mk_arena_set *set = hooks_set(h);
    if (set->premapped || purge_misaligned(set, addr, offset, length))
        return true;
    int oerrno = errno;
    bool fail = madvise((char *)addr + offset, length, MADV_DONTNEED) != 0;
    errno = oerrno;
    return fail;
}

/* Returns false on success: extents may always be split. */
static bool hook_split(extent_hooks_t *h, void *addr, size_t size,
                       size_t size_a, size_t size_b, bool committed,
                       unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)size_a, (void)size_b,
        (void)committed, (void)arena_ind;
    return false;
}

/* Returns false on success: neighbours in one arena may merge. */
static bool hook_merge(extent_hooks_t *h, void *addr_a, size_t size_a,
                       void *addr_b, size_t size_b, bool committed,
                       unsigned arena_ind)
{
    (void)h, (void)addr_a, (void)size_a, (void)addr_b, (void)size_b,
        (void)committed, (void)arena_ind;
    return false;
}

static const extent_hooks_t mk_generic_hooks = {
    .alloc = hook_alloc,
    .dalloc = hook_dalloc,
    .destroy = hook_destroy,
    .commit = hook_commit,
    .decommit = hook_decommit,
    .purge_lazy = hook_purge_lazy,
    .purge_forced = hook_purge_forced,
    .split = hook_split,
    .merge = hook_merge,
};

/* ----------------------------------------------------------- arena set */

static int set_init(struct mk_arena_set *set, struct memkind *kind,
                    const extent_hooks_t *hooks)
{
    memset(set, 0, sizeof(*set));
    set->hooks = hooks ? *hooks : mk_generic_hooks;
    set->kind = kind;
    set->unit = MK_GRANULE;
    set->page = mk_page_size;
    set->premapped =
        kind->backing == MK_BACKING_FILE || kind->backing == MK_BACKING_FIXED;
    const struct mk_env *env = mk_env_get();
    unsigned cap = env->arena_cap ? env->arena_cap : mk_ncpus;
    set->arena_cap = cap < MK_ARENAS_MAX ? cap : MK_ARENAS_MAX;
    if (set->arena_cap == 0)
        set->arena_cap = 1;
    /* -2: jemalloc's default; -1 (MEMKIND_HOG_MEMORY): never purge. */
    set->default_dirty_ms = 10000; /* jemalloc's own default */
    set->dirty_decay_ms = env->hog_memory ? -1 : -2;
    set->muzzy_decay_ms = env->hog_memory ? -1 : -2;
    if (pthread_mutex_init(&set->lock, NULL))
        return MEMKIND_ERROR_RUNTIME;
    if (pthread_mutex_init(&set->region_lock, NULL)) {
        pthread_mutex_destroy(&set->lock);
        return MEMKIND_ERROR_RUNTIME;
    }
    return 0;
}

static int arena_set_decay(unsigned idx, const char *what, ssize_t ms)
{
    char name[64];
    if (ms == -2)
        return 0;
    snprintf(name, sizeof(name), "arena.%u.%s", idx, what);
    return jemk_mallctl(name, NULL, NULL, &ms, sizeof(ms));
}

/* Creates one more arena for set.  Called with set->lock held.
 * Returns 0 or MEMKIND_ERROR_ARENAS_CREATE. */
static int set_add_arena(struct mk_arena_set *set)
{
    struct mk_jemk_arena_config cfg = {
        .extent_hooks = &set->hooks,
        .metadata_use_hooks = false,
    };
    unsigned idx;
    size_t sz = sizeof(idx);
    if (set->narenas >= MK_ARENAS_MAX || mk_fault_hit())
        return MEMKIND_ERROR_ARENAS_CREATE;
    if (jemk_mallctl("experimental.arenas_create_ext", &idx, &sz, &cfg,
                     sizeof(cfg)) != 0)
        return MEMKIND_ERROR_ARENAS_CREATE;
    (void)arena_set_decay(idx, "dirty_decay_ms", set->dirty_decay_ms);
    (void)arena_set_decay(idx, "muzzy_decay_ms", set->muzzy_decay_ms);
    if (set->grow_limit) {
        char name[64];
        size_t lim = set->grow_limit;
        snprintf(name, sizeof(name), "arena.%u.retain_grow_limit", idx);
        (void)jemk_mallctl(name, NULL, NULL, &lim, sizeof(lim));
    }
    set->arena_idx[set->narenas++] = idx;
    set->kind->arena_map_len = set->narenas;
    return 0;
}

static void tcache_destroy(unsigned tc)
{
    (void)jemk_mallctl("tcache.destroy", NULL, NULL, &tc, sizeof(tc));
}

/* ------------------------------------------------------ thread caches */

static void tls_destructor(void *arg);

static struct mk_tls *tls_get(void)
{
    struct mk_tls *t = mk_tls_cur;
    if (MK_LIKELY(t != NULL))
        return t;
    t = mk_meta_calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (pthread_setspecific(mk_tls_key, t)) {
        jemk_free(t);
        return NULL;
    }
    mk_tls_cur = t;
    return t;
}

/*
 * Thread exit: destroy the explicit tcaches this thread made, for kinds that
 * are still alive (a destroyed kind already destroyed them).
 */
static void tls_destructor(void *arg)
{
    struct mk_tls *t = arg;
    mk_tls_cur = NULL;
    /* The registry lock keeps kinds from being destroyed under us. */
    bool locked = mk_registry_lock() == 0;
    for (unsigned slot = 0; locked && slot < MEMKIND_MAX_KIND; slot++) {
        if (!t->e[slot].gen)
            continue;
        struct memkind *kind = mk_registry_get(slot);
        if (!kind || kind->gen != t->e[slot].gen || !kind->arenas)
            continue;
        struct mk_arena_set *set = kind->arenas;
        /* Under the set lock: the idle sweep flushes under it too. */
        (void)pthread_mutex_lock(&set->lock);
        mag_flush(t->e[slot].mag, t->e[slot].flags);
        for (unsigned i = 0; i < set->ntcs; i++) {
            if (set->tcs[i].owner == t) {
                tcache_destroy(set->tcs[i].tcache);
                set->tcs[i] = set->tcs[--set->ntcs];
                break;
            }
        }
        (void)pthread_mutex_unlock(&set->lock);
    }
    if (locked)
        mk_registry_unlock();
    for (unsigned slot = 0; slot < MEMKIND_MAX_KIND; slot++)
        jemk_free(t->e[slot].mag);
    jemk_free(t);
}

unsigned mk_arena_thread_tcache_count(void)
{
    unsigned n = 0;
    struct mk_tls *t = mk_tls_cur;
    for (unsigned slot = 0; t && slot < MEMKIND_MAX_KIND; slot++) {
        struct memkind *kind = mk_registry_get(slot);
        if (t->e[slot].gen && kind && kind->gen == t->e[slot].gen &&
            (t->e[slot].flags & MALLOCX_TCACHE_NONE) != MALLOCX_TCACHE_NONE)
            n++;
    }
    return n;
}

/*
 * Slow path of flags_for(): picks an arena for this thread (creating one
 * while the kind has fewer arenas than threads, up to arena_cap) and an
 * explicit tcache.  Returns the flags, or -1 when no arena exists.
 */
static int flags_fill(struct memkind *kind)
{
    struct mk_arena_set *set = kind->arenas;
    struct mk_tls *t = tls_get();
    int flags;
    if (!set) {
        errno = ENOMEM;
        return -1;
    }
    if (pthread_mutex_lock(&set->lock)) {
        errno = ENOMEM;
        return -1;
    }
    if (set->narenas == 0 ||
        (set->narenas < set->arena_cap && set->threads_seen >= set->narenas))
        (void)set_add_arena(set); /* sharing is fine when this fails */
    if (set->narenas == 0) {
        (void)pthread_mutex_unlock(&set->lock);
        errno = ENOMEM;
        return -1;
    }
    unsigned arena = set->arena_idx[set->threads_seen++ % set->narenas];
    flags = (int)MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE;
    if (t && set->ntcs == set->tcs_cap) {
        unsigned ncap = set->tcs_cap ? set->tcs_cap * 2 : 8;
        struct mk_tc_rec *n = mk_meta_realloc(set->tcs, ncap * sizeof(*n));
        if (n) {
            set->tcs = n;
            set->tcs_cap = ncap;
        }
    }
    if (t && set->ntcs < set->tcs_cap) {
        unsigned tc;
        size_t sz = sizeof(tc);
        if (!mk_fault_hit() &&
            jemk_mallctl("tcache.create", &tc, &sz, NULL, 0) == 0) {
            set->tcs[set->ntcs++] = (struct mk_tc_rec){tc, t, false};
            flags = (int)MALLOCX_ARENA(arena) | (int)MALLOCX_TCACHE(tc);
        }
    }
    if (t) {
        struct mk_tls_entry *e = &t->e[kind->partition];
        mag_forget(e->mag); /* objects of an earlier kind in this slot */
        e->gen = kind->gen;
        e->flags = flags;
    }
    (void)pthread_mutex_unlock(&set->lock);
    return flags;
}

/* mallocx flags for kind on this thread; -1 (errno set) when impossible. */
static inline int flags_for(struct memkind *kind)
{
    struct mk_tls *t = mk_tls_cur;
    if (MK_LIKELY(t != NULL)) {
        const struct mk_tls_entry *e = &t->e[kind->partition];
        if (MK_LIKELY(e->gen == kind->gen))
            return e->flags;
    }
    return flags_fill(kind);
}

/* The sweeper holds e's caches: waits until it is done (a flush is
 * short).  Pre: the caller set e->busy. */
__attribute__((noinline, cold)) static void cache_wait(struct mk_tls_entry *e)
{
    while (atomic_load_explicit(&e->claim, memory_order_acquire))
        sched_yield();
}

/*
 * Brackets every use of the calling thread's magazine or explicit tcache
 * for one kind (see struct mk_tls_entry).  Pre: e is the calling thread's
 * entry and no lock is held (the caller may have to wait for the sweeper).
 * cache_enter_fast returns false when the caller must call cache_wait
 * before using the caches; cache_exit ends the bracket either way.
 */
static inline bool cache_enter_fast(struct mk_tls_entry *e)
{
    atomic_store_explicit(&e->used, 1, memory_order_relaxed);
    atomic_store_explicit(&e->busy, 1, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    return !atomic_load_explicit(&e->claim, memory_order_acquire);
}

static inline void cache_enter(struct mk_tls_entry *e)
{
    if (MK_UNLIKELY(!cache_enter_fast(e)))
        cache_wait(e);
}

static inline void cache_exit(struct mk_tls_entry *e)
{
    atomic_signal_fence(memory_order_seq_cst);
    atomic_store_explicit(&e->busy, 0, memory_order_release);
}

/* Enters the cache bracket of the calling thread's entry for kind, if it
 * has one for this generation: *ep is the entry to pass to flags_exit, or
 * NULL. */
static inline void own_enter(struct memkind *kind, struct mk_tls_entry **ep)
{
    struct mk_tls *t = mk_tls_cur;
    *ep = NULL;
    if (t && t->e[kind->partition].gen == kind->gen) {
        *ep = &t->e[kind->partition];
        cache_enter(*ep);
    }
}

/* flags_for() and own_enter(); *ep is NULL when flags are -1. */
static inline int flags_enter(struct memkind *kind, struct mk_tls_entry **ep)
{
    int flags = flags_for(kind);
    *ep = NULL;
    if (flags != -1)
        own_enter(kind, ep);
    return flags;
}

static inline void flags_exit(struct mk_tls_entry *e)
{
    if (e)
        cache_exit(e);
}

/* ------------------------------------------------------ global set-up */

static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);

/*
 * Applies the core environment variables to jemalloc.  A bad
 * MEMKIND_BACKGROUND_THREAD_LIMIT is fatal, as in memkind 1.14 (there is no
 * error channel at library load).  Returns 0 or MEMKIND_ERROR_*.
 */
static int apply_env(const struct mk_env *env)
{
    if (env->heap_manager_bad)
        mk_log_warn("MEMKIND_HEAP_MANAGER: only JEMALLOC is supported, "
                    "using it");
    if (env->bg_thread_limit_bad) {
        mk_log_fatal("MEMKIND_BACKGROUND_THREAD_LIMIT must be an integer "
                     "from 0 to the number of CPUs");
        abort();
    }
    if (env->arena_cap_bad)
        mk_log_err("MEMKIND_ARENA_NUM_PER_KIND must be a positive integer");
    if (env->hog_memory) {
        ssize_t never = -1;
        char name[64];
        snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms",
                 (unsigned)MALLCTL_ARENAS_ALL);
        (void)jemk_mallctl(name, NULL, NULL, &never, sizeof(never));
        snprintf(name, sizeof(name), "arena.%u.muzzy_decay_ms",
                 (unsigned)MALLCTL_ARENAS_ALL);
        (void)jemk_mallctl(name, NULL, NULL, &never, sizeof(never));
        (void)jemk_mallctl("arenas.dirty_decay_ms", NULL, NULL, &never,
                           sizeof(never));
        (void)jemk_mallctl("arenas.muzzy_decay_ms", NULL, NULL, &never,
                           sizeof(never));
    }
    if (env->bg_thread_limit >= 0) {
        size_t limit = env->bg_thread_limit ? (size_t)env->bg_thread_limit
                                            : (size_t)mk_ncpus;
        bool on = true;
        if (jemk_mallctl("max_background_threads", NULL, NULL, &limit,
                         sizeof(limit)) ||
            jemk_mallctl("background_thread", NULL, NULL, &on, sizeof(on)))
            mk_log_err("cannot enable background threads");
    }
    return 0;
}

/*
 * Reserves the address map, then (first jemalloc call) reads jemalloc's
 * arena count for DEFAULT's statistics, and creates the tls key.  Called once
 * from mk_library_init().  Returns 0 or MEMKIND_ERROR_*.
 */
int mk_arena_global_init(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    mk_page_size = ps > 0 ? (size_t)ps : 4096;
    mk_ncpus = nc > 0 ? (unsigned)nc : 1;
    void *map =
        mmap(NULL, MK_MAP_ENTRIES * sizeof(uint16_t), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) {
        mk_log_perr("cannot reserve the address map");
        return MEMKIND_ERROR_MMAP;
    }
    mk_map = map;
    if (pthread_key_create(&mk_tls_key, tls_destructor)) {
        mk_log_err("cannot create the thread key");
        return MEMKIND_ERROR_RUNTIME;
    }
    int err = set_init(&default_set, MEMKIND_DEFAULT, NULL);
    if (err)
        return err;
    MEMKIND_DEFAULT->arenas = &default_set;
    unsigned n;
    size_t sz = sizeof(n);
    if (jemk_mallctl("opt.narenas", &n, &sz, NULL, 0) != 0) {
        mk_log_err("cannot read opt.narenas from jemalloc");
        return MEMKIND_ERROR_RUNTIME;
    }
    err = apply_env(mk_env_get());
    if (err)
        return err;
    mag_classes_init();
    default_narenas = n;
    MEMKIND_DEFAULT->arena_map_len = n;
    if (pthread_atfork(atfork_prepare, atfork_parent, atfork_child)) {
        mk_log_err("cannot register fork handlers");
        return MEMKIND_ERROR_RUNTIME;
    }
    return 0;
}

/*
 * Fork: hold every kind's arena lock across fork() so the child never
 * inherits one held by a thread that does not exist there.  Registered after
 * jemalloc's own handlers, so ours run first on prepare (our locks come
 * before jemalloc's in the lock order).
 */
static void atfork_prepare(void)
{
    for (unsigned s = 0; s < MEMKIND_MAX_KIND; s++) {
        struct memkind *k = mk_registry_get(s);
        if (k && k->arenas && k->arenas != &default_set)
            (void)pthread_mutex_lock(&k->arenas->lock);
    }
}

static void atfork_parent(void)
{
    for (unsigned s = MEMKIND_MAX_KIND; s-- > 0;) {
        struct memkind *k = mk_registry_get(s);
        if (k && k->arenas && k->arenas != &default_set)
            (void)pthread_mutex_unlock(&k->arenas->lock);
    }
}

static void atfork_child(void)
{
    atfork_parent();
}

/* ------------------------------------------------- exported building blocks */

/*
 * create op for jemalloc-backed kinds: memkind_default_create() then
 * memkind_arena_create_map() with the generic hooks.
 * Returns 0 or MEMKIND_ERROR_*.
 */
MK_EXPORT int memkind_arena_create(struct memkind *kind,
                                   struct memkind_ops *ops, const char *name)
{
    int err = memkind_default_create(kind, ops, name);
    if (err)
        return err;
    return memkind_arena_create_map(kind, NULL);
}

/*
 * Gives kind its arena set, using hooks (copied) or the generic hooks when
 * hooks is NULL.  Arenas themselves are created lazily by the first
 * allocating thread, so an unused kind costs no jemalloc arena.
 * Returns 0 or MEMKIND_ERROR_*.
 */
MK_EXPORT int memkind_arena_create_map(struct memkind *kind,
                                       extent_hooks_t *hooks)
{
    if (mk_library_init())
        return MEMKIND_ERROR_RUNTIME;
    if (kind->arenas)
        return 0;
    if (mk_env_get()->arena_cap_bad)
        return MEMKIND_ERROR_ENVIRON;
    struct mk_arena_set *set = mk_meta_malloc(sizeof(*set));
    if (!set)
        return MEMKIND_ERROR_MALLOC;
    int err = set_init(set, kind, hooks);
    if (err) {
        jemk_free(set);
        return err;
    }
    if (kind->backing == MK_BACKING_HUGETLB) {
        /* 1 GiB kinds mark themselves through their mmap flags. */
        int fl = 0;
        if (kind_op_get_mmap_flags(kind, &fl) == 0 &&
            (fl & (30 << MAP_HUGE_SHIFT)) == (30 << MAP_HUGE_SHIFT))
            set->unit = (size_t)1 << 30;
        set->page = set->unit;
    }
    /* Release: a thread that sees kind->arenas set without passing through
     * the kind's pthread_once (memkind.c's fast path) sees the whole set. */
    __atomic_store_n(&kind->arenas, set, __ATOMIC_RELEASE);
    return 0;
}

/*
 * destroy op for jemalloc-backed kinds: destroys the kind's tcaches and
 * arenas (all their memory returns) and unmaps what the hooks mapped.
 * Pre: no other thread uses the kind.  Returns 0 or MEMKIND_ERROR_*.
 */
MK_EXPORT int memkind_arena_destroy(struct memkind *kind)
{
    struct mk_arena_set *set = kind->arenas;
    if (!set || set == &default_set)
        return 0;
    (void)pthread_mutex_lock(&set->lock);
    for (unsigned i = 0; i < set->ntcs; i++)
        tcache_destroy(set->tcs[i].tcache);
    set->ntcs = 0;
    for (unsigned i = 0; i < set->narenas; i++) {
        char name[64];
        snprintf(name, sizeof(name), "arena.%u.destroy", set->arena_idx[i]);
        if (jemk_mallctl(name, NULL, NULL, NULL, 0) != 0)
            mk_log_err("[%s] cannot destroy arena %u", kind->name,
                       set->arena_idx[i]);
    }
    set->narenas = 0;
    (void)pthread_mutex_unlock(&set->lock);
    regions_release(set);
    jemk_free(set->tcs);
    pthread_mutex_destroy(&set->lock);
    pthread_mutex_destroy(&set->region_lock);
    kind->arenas = NULL;
    jemk_free(set);
    return 0;
}

/*
 * Gives back what kind holds unused, so that a failed allocation can be
 * tried once more: the calling thread's magazine and explicit tcache for
 * kind are flushed, then every arena of kind purges its dirty pages.  A
 * size-limited PMEM kind counts dirty pages against max_size, and jemalloc
 * reuses a dirty extent only for requests of at least 1/64 its size, so
 * right after large frees a small request could otherwise fail until the
 * purger ran.  Objects cached by other threads stay where they are.
 * Pre: the caller is about to report ENOMEM for size.  Takes set->lock.
 * Returns true when trying again can help.
 */
__attribute__((noinline)) static bool arena_reclaim(struct memkind *kind,
                                                    size_t size)
{
    struct mk_arena_set *set = kind->arenas;
    struct mk_tls *t = mk_tls_cur;
    if (!set || size > (size_t)PTRDIFF_MAX)
        return false;
    if (t && t->e[kind->partition].gen == kind->gen) {
        struct mk_tls_entry *e = &t->e[kind->partition];
        mag_flush(e->mag, e->flags);
        unsigned tc = ((unsigned)e->flags >> 8) & 0xfffu; /* tcache + 2 */
        if (tc >= 2) {
            tc -= 2;
            (void)jemk_mallctl("tcache.flush", NULL, NULL, &tc, sizeof(tc));
        }
    }
    (void)pthread_mutex_lock(&set->lock);
    for (unsigned i = 0; i < set->narenas; i++) {
        char name[64];
        snprintf(name, sizeof(name), "arena.%u.purge", set->arena_idx[i]);
        (void)jemk_mallctl(name, NULL, NULL, NULL, 0);
    }
    (void)pthread_mutex_unlock(&set->lock);
    return true;
}

/* mallocx failed for kind: reclaim and try once more.  Sets errno. */
__attribute__((noinline)) static void *
arena_malloc_retry(struct memkind *kind, size_t size, int flags)
{
    void *p = arena_reclaim(kind, size) ? jemk_mallocx(size, flags) : NULL;
    if (!p)
        errno = ENOMEM;
    return p;
}

/*
 * memkind_arena_malloc when the sweeper held the caches at entry (inside
 * the bracket): waits for it, then takes the magazine (which it may have
 * emptied) or jemalloc; leaves the bracket.  Out of line: the fast path
 * keeps no register across a call for this rare case.
 */
__attribute__((noinline, cold)) static void *
arena_malloc_waited(struct memkind *kind, struct mk_tls_entry *e, size_t size)
{
    cache_wait(e);
    struct mk_mag *m = e->mag;
    void *p = NULL;
    if (m && size <= MK_MAG_MAX_SIZE) {
        unsigned c = mk_size2class[(size + 7) >> 3];
        if (m->n[c])
            p = m->obj[c][--m->n[c]];
    }
    if (!p)
        p = jemk_mallocx(size, e->flags);
    if (MK_UNLIKELY(p == NULL))
        p = arena_malloc_retry(kind, size, e->flags);
    cache_exit(e);
    return p;
}

/* First use of kind by this thread (or after its slot changed hands). */
__attribute__((noinline)) static void *arena_malloc_slow(struct memkind *kind,
                                                         size_t size)
{
    struct mk_tls_entry *e;
    int flags = flags_fill(kind);
    if (MK_UNLIKELY(flags == -1))
        return NULL;
    own_enter(kind, &e);
    void *p = jemk_mallocx(size, flags);
    if (MK_UNLIKELY(!p))
        p = arena_malloc_retry(kind, size, flags);
    flags_exit(e);
    return p;
}

/*
 * malloc op of arena kinds.  Fast path: one TLS load, the generation check
 * and a magazine pop for small sizes; slow paths are out of line so that
 * this stays free of register spills.
 */
MK_EXPORT void *memkind_arena_malloc(struct memkind *kind, size_t size)
{
    struct mk_tls *t = mk_tls_cur;
    if (MK_LIKELY(t != NULL)) {
        struct mk_tls_entry *e = &t->e[kind->partition];
        if (MK_LIKELY(e->gen == kind->gen)) {
            if (MK_UNLIKELY(!cache_enter_fast(e)))
                return arena_malloc_waited(kind, e, size);
            struct mk_mag *m = e->mag;
            if (m && size <= MK_MAG_MAX_SIZE) {
                unsigned c = mk_size2class[(size + 7) >> 3];
                unsigned n = m->n[c];
                if (MK_LIKELY(n != 0)) {
                    m->n[c] = (uint8_t)(n - 1);
                    void *p = m->obj[c][n - 1];
                    cache_exit(e);
                    return p;
                }
            }
            void *p = jemk_mallocx(size, e->flags);
            if (MK_UNLIKELY(p == NULL))
                p = arena_malloc_retry(kind, size, e->flags);
            cache_exit(e);
            return p;
        }
    }
    return arena_malloc_slow(kind, size);
}

/* Checks num * size itself: callable directly, not only via the API. */
MK_EXPORT void *memkind_arena_calloc(struct memkind *kind, size_t num,
                                     size_t size)
{
    size_t total;
    if (mk_mul_overflow(num, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    struct mk_tls_entry *e;
    int flags = flags_enter(kind, &e);
    if (MK_UNLIKELY(flags == -1))
        return NULL;
    void *p = jemk_mallocx(total ? total : 1, flags | MALLOCX_ZERO);
    if (MK_UNLIKELY(!p))
        p = arena_malloc_retry(kind, total ? total : 1, flags | MALLOCX_ZERO);
    flags_exit(e);
    return p;
}

/* Returns 0, EINVAL or ENOMEM; errno is left as it was on entry. */
MK_EXPORT int memkind_arena_posix_memalign(struct memkind *kind, void **memptr,
                                           size_t alignment, size_t size)
{
    int oerrno = errno;
    *memptr = NULL; /* COMPAT(1.14): first, whatever fails (memkind.c) */
    if (!mk_is_valid_alignment(alignment))
        return EINVAL;
    if (size == 0)
        return 0; /* memkind(3): 0 with NULL in *memptr */
    struct mk_tls_entry *e;
    int flags = flags_enter(kind, &e);
    if (flags == -1) {
        errno = oerrno;
        return ENOMEM;
    }
    void *p = jemk_mallocx(size, flags | MALLOCX_ALIGN(alignment));
    if (!p)
        p = arena_malloc_retry(kind, size, flags | MALLOCX_ALIGN(alignment));
    flags_exit(e);
    errno = oerrno;
    if (!p)
        return ENOMEM;
    *memptr = p;
    return 0;
}

/* Pre: handles ptr == NULL (malloc) and size == 0 (free) like realloc(3). */
MK_EXPORT void *memkind_arena_realloc(struct memkind *kind, void *ptr,
                                      size_t size)
{
    if (!ptr)
        return size ? memkind_arena_malloc(kind, size) : NULL;
    if (!size) {
        memkind_arena_free(kind, ptr);
        return NULL;
    }
    struct mk_tls_entry *e;
    int flags = flags_enter(kind, &e);
    if (MK_UNLIKELY(flags == -1))
        return NULL;
    void *p = jemk_rallocx(ptr, size, flags);
    if (MK_UNLIKELY(!p) && arena_reclaim(kind, size))
        p = jemk_rallocx(ptr, size, flags);
    flags_exit(e);
    if (MK_UNLIKELY(!p))
        errno = ENOMEM;
    return p;
}

MK_EXPORT void *memkind_arena_realloc_with_kind_detect(void *ptr, size_t size)
{
    struct memkind *kind = ptr ? mk_arena_lookup(ptr) : MEMKIND_DEFAULT;
    if (!kind) {
        errno = EINVAL;
        return NULL;
    }
    return kind_op_realloc(kind, ptr, size);
}

/* Pre: ptr allocated by kind.  errno is preserved (see memkind_free()). */
/* Free with this thread's flags for kind (slow path: first use). */
__attribute__((noinline)) static void arena_free_slow(struct memkind *kind,
                                                      void *ptr)
{
    struct mk_tls_entry *e = NULL;
    int flags = flags_fill(kind);
    if (MK_UNLIKELY(flags == -1))
        flags = MALLOCX_TCACHE_NONE;
    else
        own_enter(kind, &e);
    jemk_dallocx(ptr, flags & ~MK_FLAGS_ARENA_MASK);
    flags_exit(e);
}

/*
 * memkind_arena_free past the magazine fast path, inside the cache bracket:
 * puts a small object in the entry's magazine (made on first need), or
 * frees it to jemalloc when the class is full, the magazine cannot be made
 * or the object is not small; leaves the bracket.  wait: the sweeper held
 * the caches at entry; wait for it first.
 */
__attribute__((noinline)) static void
arena_free_cached(struct mk_tls_entry *e, void *ptr, size_t usize, bool wait)
{
    if (wait)
        cache_wait(e);
    if (usize <= MK_MAG_MAX_SIZE && mk_mag_nclasses != 0) {
        unsigned c = mk_size2class[(usize + 7) >> 3];
        struct mk_mag *m = e->mag;
        if (!m)
            m = e->mag = mk_meta_calloc(1, sizeof(*m));
        if (m && m->n[c] < MK_MAG_CAP) {
            m->obj[c][m->n[c]++] = ptr;
            cache_exit(e);
            return;
        }
    }
    jemk_dallocx(ptr, e->flags & ~MK_FLAGS_ARENA_MASK);
    cache_exit(e);
}

/* free op of arena kinds.  Pre: ptr allocated by kind.  errno is preserved
 * (see memkind_free()). */
MK_EXPORT void memkind_arena_free(struct memkind *kind, void *ptr)
{
    struct mk_tls *t = mk_tls_cur;
    if (MK_UNLIKELY(!ptr))
        return;
    if (MK_UNLIKELY(t == NULL || t->e[kind->partition].gen != kind->gen)) {
        arena_free_slow(kind, ptr);
        return;
    }
    struct mk_tls_entry *e = &t->e[kind->partition];
    size_t usize = jemk_sallocx(ptr, 0);
    if (MK_UNLIKELY(!cache_enter_fast(e))) {
        arena_free_cached(e, ptr, usize, true);
        return;
    }
    if (usize <= MK_MAG_MAX_SIZE && MK_LIKELY(mk_mag_nclasses != 0)) {
        unsigned c = mk_size2class[(usize + 7) >> 3];
        struct mk_mag *m = e->mag;
        if (MK_LIKELY(m != NULL && m->n[c] < MK_MAG_CAP)) {
            m->obj[c][m->n[c]++] = ptr;
            cache_exit(e);
            return;
        }
        arena_free_cached(e, ptr, usize, false);
        return;
    }
    jemk_dallocx(ptr, e->flags & ~MK_FLAGS_ARENA_MASK);
    cache_exit(e);
}

MK_EXPORT void memkind_arena_free_with_kind_detect(void *ptr)
{
    struct memkind *kind = mk_arena_lookup(ptr);
    if (kind)
        kind_op_free(kind, ptr);
}

MK_EXPORT struct memkind *memkind_arena_detect_kind(void *ptr)
{
    return ptr ? mk_arena_lookup(ptr) : NULL;
}

/*
 * Arena chosen for the calling thread; creates arenas lazily.
 * Returns 0 or MEMKIND_ERROR_ARENAS_CREATE.
 */
MK_EXPORT int memkind_thread_get_arena(struct memkind *kind,
                                       unsigned int *arena, size_t size)
{
    (void)size;
    int flags = flags_for(kind);
    if (flags == -1)
        return MEMKIND_ERROR_ARENAS_CREATE;
    *arena = ((unsigned)flags >> 20) - 1u;
    return 0;
}

/* The kind's first arena (single-arena kinds). Returns 0 or error. */
MK_EXPORT int memkind_bijective_get_arena(struct memkind *kind,
                                          unsigned int *arena, size_t size)
{
    (void)size;
    struct mk_arena_set *set = kind->arenas;
    if (!set)
        return MEMKIND_ERROR_ARENAS_CREATE;
    (void)pthread_mutex_lock(&set->lock);
    if (set->narenas == 0)
        (void)set_add_arena(set);
    int err = set->narenas ? 0 : MEMKIND_ERROR_ARENAS_CREATE;
    if (!err)
        *arena = set->arena_idx[0];
    (void)pthread_mutex_unlock(&set->lock);
    return err;
}

/*
 * Applies a memory usage policy as decay times: DEFAULT keeps jemalloc's
 * (10 s dirty, no muzzy) or the kind's (mk_arena_tune); CONSERVATIVE
 * returns freed pages at once, or for a file kind within a few
 * milliseconds (its purger thread makes that true when idle; giving each
 * emptied extent back at once made small objects cost up to 34 times as
 * much, in fallocate calls).
 * Returns 0 or MEMKIND_ERROR_INVALID / MEMKIND_ERROR_RUNTIME.
 */
MK_EXPORT int
memkind_arena_update_memory_usage_policy(struct memkind *kind,
                                         memkind_mem_usage_policy policy)
{
    struct mk_arena_set *set = kind->arenas;
    if (!set || policy >= MEMKIND_MEM_USAGE_POLICY_MAX_VALUE)
        return MEMKIND_ERROR_INVALID;
    int err = 0;
    (void)pthread_mutex_lock(&set->lock);
    if (policy == MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE) {
        set->dirty_decay_ms = set->conservative_dirty_ms;
        set->muzzy_decay_ms = 0;
    } else {
        set->dirty_decay_ms = set->default_dirty_ms;
        set->muzzy_decay_ms = 0;
    }
    for (unsigned i = 0; i < set->narenas; i++) {
        if (arena_set_decay(set->arena_idx[i], "dirty_decay_ms",
                            set->dirty_decay_ms) ||
            arena_set_decay(set->arena_idx[i], "muzzy_decay_ms",
                            set->muzzy_decay_ms))
            err = MEMKIND_ERROR_RUNTIME;
    }
    (void)pthread_mutex_unlock(&set->lock);
    return err;
}

/* 1.14 sized the arena map here; ours grows on demand. Returns 0. */
void mk_arena_set_carve(struct memkind *kind, mk_carve_fn *carve)
{
    if (kind->arenas)
        kind->arenas->carve = carve;
}

/*
 * Tunes a file-backed kind's arenas before their creation: grow_limit caps
 * how much address space one extent grow takes (so a small kind fills up
 * evenly), dirty_ms is the dirty decay of the DEFAULT usage policy, applied
 * now unless MEMKIND_HOG_MEMORY asked never to purge.
 */
void mk_arena_tune(struct memkind *kind, size_t grow_limit, ssize_t dirty_ms,
                   ssize_t conservative_dirty_ms)
{
    struct mk_arena_set *set = kind->arenas;
    if (!set)
        return;
    (void)pthread_mutex_lock(&set->lock);
    set->grow_limit = grow_limit;
    set->default_dirty_ms = dirty_ms;
    set->conservative_dirty_ms = conservative_dirty_ms;
    if (!mk_env_get()->hog_memory) {
        set->dirty_decay_ms = dirty_ms;
        set->muzzy_decay_ms = 0;
    }
    (void)pthread_mutex_unlock(&set->lock);
}

/*
 * Runs decay-based purging on every arena of kind now (what jemalloc
 * otherwise does only when the arena is used).  Called by the PMEM purger
 * thread under the registry lock.  Returns 0 or MEMKIND_ERROR_RUNTIME.
 */
int mk_arena_decay(struct memkind *kind)
{
    struct mk_arena_set *set = kind->arenas;
    int err = 0;
    if (!set)
        return 0;
    (void)pthread_mutex_lock(&set->lock);
    for (unsigned i = 0; i < set->narenas; i++) {
        char name[64];
        snprintf(name, sizeof(name), "arena.%u.decay", set->arena_idx[i]);
        if (jemk_mallctl(name, NULL, NULL, NULL, 0))
            err = MEMKIND_ERROR_RUNTIME;
    }
    (void)pthread_mutex_unlock(&set->lock);
    return err;
}

/*
 * A full memory barrier on every running thread of the process
 * (membarrier(2), private expedited; registered on first use, and a forked
 * child inherits the registration).  Returns 0, or -1 when the kernel
 * offers no such barrier: the idle sweep then does nothing.
 * Pre: called by one thread at a time (the PMEM purger).
 */
static int heavy_barrier(void)
{
    static int usable; /* 0: not tried, 1: registered, -1: unavailable */
    if (mk_fault_no_membarrier())
        return -1;
    if (usable == 0) {
        long q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0);
        usable =
            q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
                    syscall(__NR_membarrier,
                            MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0) == 0
                ? 1
                : -1;
        if (usable < 0)
            mk_log_info("membarrier unavailable: idle thread caches of file "
                        "kinds are not flushed");
    }
    if (usable < 0)
        return -1;
    return syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == 0
               ? 0
               : -1;
}

/*
 * Idle sweep: empties the magazine and explicit tcache of every thread that
 * has not used kind since the previous sweep, so that the objects they hold
 * go back to the arenas and, with decay, their file blocks to the file
 * system, while the process is idle (jemalloc flushes a tcache only as its
 * owner allocates).  A thread's caches are flushed once per idle period.
 * Called by the PMEM purger thread every PMEM_PURGE_PERIOD_MS, under the
 * registry lock; takes the set lock (the owner never waits for it inside
 * its cache bracket, so the handshake cannot deadlock).
 * Returns the number of caches flushed (0 also when membarrier is missing).
 */
unsigned mk_arena_flush_idle(struct memkind *kind)
{
    struct mk_arena_set *set = kind->arenas;
    unsigned nclaimed = 0, nflushed = 0;
    if (!set || set == &default_set)
        return 0;
    (void)pthread_mutex_lock(&set->lock);
    for (unsigned i = 0; i < set->ntcs; i++) {
        struct mk_tc_rec *r = &set->tcs[i];
        struct mk_tls_entry *e = &r->owner->e[kind->partition];
        if (atomic_load_explicit(&e->used, memory_order_relaxed)) {
            atomic_store_explicit(&e->used, 0, memory_order_relaxed);
            r->flushed = false;
        } else if (!r->flushed) {
            atomic_store_explicit(&e->claim, 1, memory_order_relaxed);
            nclaimed++;
        }
    }
    if (nclaimed && heavy_barrier() == 0) {
        for (unsigned i = 0; i < set->ntcs; i++) {
            struct mk_tc_rec *r = &set->tcs[i];
            struct mk_tls_entry *e = &r->owner->e[kind->partition];
            /* acquire: the owner's last use happens before the flush */
            if (!atomic_load_explicit(&e->claim, memory_order_relaxed) ||
                atomic_load_explicit(&e->busy, memory_order_acquire) ||
                atomic_load_explicit(&e->used, memory_order_relaxed))
                continue; /* in use, or used meanwhile: the owner wins */
            mag_flush(e->mag, e->flags);
            unsigned tc = r->tcache;
            (void)jemk_mallctl("tcache.flush", NULL, NULL, &tc, sizeof(tc));
            r->flushed = true;
            nflushed++;
        }
    }
    for (unsigned i = 0; nclaimed && i < set->ntcs; i++) {
        struct mk_tls_entry *e = &set->tcs[i].owner->e[kind->partition];
        atomic_store_explicit(&e->claim, 0, memory_order_release);
    }
    (void)pthread_mutex_unlock(&set->lock);
    return nflushed;
}

MK_EXPORT int memkind_set_arena_map_len(struct memkind *kind)
{
    (void)kind;
    return 0;
}

/* ----------------------------------------------------- stats and misc */

size_t mk_arena_usable_size(const void *ptr)
{
    return jemk_malloc_usable_size((void *)ptr);
}

int mk_arena_refresh_stats(void)
{
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch);
    /* COMPAT(1.14): memkind returned mallctl's positive errno here. */
    return jemk_mallctl("epoch", &epoch, &sz, &epoch, sz)
               ? MEMKIND_ERROR_RUNTIME
               : 0;
}

static int arena_stat(unsigned idx, memkind_stat_type stat, size_t *out)
{
    char name[96];
    size_t v = 0, sz = sizeof(v);
    *out = 0;
    switch (stat) {
        case MEMKIND_STAT_TYPE_RESIDENT:
            snprintf(name, sizeof(name), "stats.arenas.%u.resident", idx);
            if (jemk_mallctl(name, &v, &sz, NULL, 0))
                return MEMKIND_ERROR_RUNTIME;
            *out = v;
            return 0;
        case MEMKIND_STAT_TYPE_ACTIVE:
            snprintf(name, sizeof(name), "stats.arenas.%u.pactive", idx);
            if (jemk_mallctl(name, &v, &sz, NULL, 0))
                return MEMKIND_ERROR_RUNTIME;
            *out = v * mk_page_size;
            return 0;
        case MEMKIND_STAT_TYPE_ALLOCATED: {
            size_t small = 0, large = 0;
            snprintf(name, sizeof(name), "stats.arenas.%u.small.allocated",
                     idx);
            if (jemk_mallctl(name, &small, &sz, NULL, 0))
                return MEMKIND_ERROR_RUNTIME;
            snprintf(name, sizeof(name), "stats.arenas.%u.large.allocated",
                     idx);
            if (jemk_mallctl(name, &large, &sz, NULL, 0))
                return MEMKIND_ERROR_RUNTIME;
            *out = small + large;
            return 0;
        }
        default:
            return MEMKIND_ERROR_INVALID;
    }
}

/*
 * One statistic summed over kind's arenas, or library-wide when kind is
 * NULL.  Reads the snapshot taken by mk_arena_refresh_stats().
 * Returns 0 or MEMKIND_ERROR_*.
 */
int mk_arena_get_stat(struct memkind *kind, memkind_stat_type stat,
                      size_t *value)
{
    if (stat >= MEMKIND_STAT_TYPE_MAX_VALUE || !value)
        return MEMKIND_ERROR_INVALID;
    size_t total = 0, v;
    if (!kind) {
        static const char *const names[] = {"stats.resident", "stats.active",
                                            "stats.allocated"};
        size_t sz = sizeof(v);
        if (jemk_mallctl(names[stat], &v, &sz, NULL, 0))
            return MEMKIND_ERROR_RUNTIME;
        *value = v;
        return 0;
    }
    struct mk_arena_set *set = kind->arenas;
    if (set == &default_set) {
        for (unsigned i = 0; i < default_narenas; i++) {
            if (arena_stat(i, stat, &v) == 0)
                total += v;
        }
    } else if (set) {
        (void)pthread_mutex_lock(&set->lock);
        for (unsigned i = 0; i < set->narenas; i++) {
            if (arena_stat(set->arena_idx[i], stat, &v) == 0)
                total += v;
        }
        (void)pthread_mutex_unlock(&set->lock);
    }
    *value = total;
    return 0;
}

/*
 * Prints jemalloc's statistics; opts map to malloc_stats_print letters.
 * Returns 0 or MEMKIND_ERROR_INVALID for unknown option bits.
 */
int mk_arena_stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
                         memkind_stat_print_opt opts)
{
    static const char letters[] = "JgmdablxMe";
    char o[sizeof(letters)];
    size_t n = 0;
    if ((unsigned)opts >> 9)
        return MEMKIND_ERROR_INVALID;
    for (unsigned bit = 0; bit < 9; bit++) {
        if ((unsigned)opts & (1u << bit))
            o[n++] = bit == 0 ? 'J' : letters[bit];
    }
    o[n] = '\0';
    jemk_malloc_stats_print(write_cb, cbopaque, o);
    return 0;
}

int mk_arena_set_bg_threads(bool state)
{
    return jemk_mallctl("background_thread", NULL, NULL, &state, sizeof(state))
               ? MEMKIND_ERROR_RUNTIME
               : 0;
}

/*
 * Defragmentation hint from experimental.utilization.query: move an object
 * whose slab is less used than its bin's average (and not the current
 * slab).  Returns the new pointer, or NULL when ptr stays.
 */
void *mk_arena_defrag(struct memkind *kind, void *ptr)
{
    struct {
        size_t nfree, nregs, size, bin_nfree, bin_nregs;
        void *slabcur;
    } u;
    size_t sz = sizeof(u);
    if (jemk_mallctl("experimental.utilization.query", &u, &sz, &ptr,
                     sizeof(ptr)) != 0)
        return NULL;
    if (u.nregs <= 1 || u.nfree == 0 || u.bin_nregs == 0 ||
        ((uintptr_t)ptr & ~(uintptr_t)(mk_page_size - 1)) ==
            ((uintptr_t)u.slabcur & ~(uintptr_t)(mk_page_size - 1)))
        return NULL;
    /* used/nregs < bin_used/bin_nregs, in integers */
    size_t used = u.nregs - u.nfree, bin_used = u.bin_nregs - u.bin_nfree;
    if (used * u.bin_nregs >= bin_used * u.nregs || used == u.nregs)
        return NULL;
    void *n;
    if (kind->arenas == &default_set || !kind->arenas) {
        n = jemk_mallocx(u.size, MALLOCX_TCACHE_NONE);
    } else {
        int flags = flags_for(kind);
        if (flags == -1)
            return NULL;
        n = jemk_mallocx(u.size,
                         (flags & MK_FLAGS_ARENA_MASK) | MALLOCX_TCACHE_NONE);
    }
    if (!n)
        return NULL;
    memcpy(n, ptr, u.size);
    kind_op_free(kind, ptr);
    return n;
}
