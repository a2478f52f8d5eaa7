// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_pmem.h - file-backed kinds (memkind_pmem(3)): a heap in an
 * anonymous temporary file of a directory, usually on a DAX file system.
 */
#pragma once

#include "memkind_private.h"

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Granularity in which file space is mapped into a kind (1.14 value).
#define MEMKIND_PMEM_CHUNK_SIZE (1ull << 21)

/*
 * One address range of a file-backed kind: file offsets [foff, foff + len)
 * are mapped at [base, base + len) as they are carved.  base and foff are
 * granule aligned, so a DAX mapping can use huge pages.
 */
struct mk_pmem_range {
    char *base;
    size_t len;
    off_t foff;
};

/// Address ranges a kind can have; they grow geometrically (pmem_range.c).
#define MK_PMEM_RANGES_MAX 64

/*
 * State of a file-backed kind (kind->priv).  The first six fields are
 * memkind 1.14's, in its order and with its names and types
 * (src/abi_layout.c checks the offsets); the rest is ours.
 */
struct memkind_pmem {
    int fd;          ///< the unlinked backing file (or the device)
    off_t offset;    ///< file offset of the next carving (= bytes carved)
    size_t max_size; ///< limit in bytes, 0 = file system size
    pthread_mutex_t pmem_lock; ///< protects offset and current_size
    size_t current_size;       ///< bytes backed by file blocks
    char *dir;                 ///< directory it lives in (NUL-terminated)
    /* Ours from here on. */
    void *base;                      ///< first range (NULL: not set up)
    size_t reserved;                 ///< address space of all ranges
    size_t limit_off;                ///< carving stops at this file offset
    memkind_mem_usage_policy policy; ///< decay policy
    int fork_fd;                     ///< copy the parent made (fallback)
    unsigned char fork_how;          ///< this fork's plan (pmem_fork.c)
    bool fork_shared;                ///< child sharing the parent's file
    bool fork_broken;                ///< child without a copy: read-only
    bool devdax;                     ///< Device DAX (pmem_devdax.c), not a file
    bool limit_hit;                  ///< at max_size: carve no holes
    size_t next_range;               ///< length of the next range to reserve
    size_t range_cap;                ///< longest range worth reserving
    /* ranges[0, nranges) are set up; nranges is published with release
     * order (read with acquire by the hooks, without pmem_lock); ranges are
     * added under pmem_lock and never change or go until destroy. */
    unsigned nranges;
    struct mk_pmem_range ranges[MK_PMEM_RANGES_MAX];
};

/* Address ranges (src/kinds/pmem_range.c). */
int mk_pmem_range_first(struct memkind_pmem *p, size_t len, size_t cap);
void mk_pmem_range_adopt(struct memkind_pmem *p, void *base, size_t len);
int mk_pmem_range_add(struct memkind *kind, size_t need);
struct mk_pmem_range *mk_pmem_range_current(struct memkind_pmem *p);
off_t mk_pmem_off_of(struct memkind_pmem *p, const void *addr);
char *mk_pmem_addr_of(struct memkind_pmem *p, off_t off, size_t *contig);
bool mk_pmem_same_range(struct memkind_pmem *p, const void *a, const void *b);
int mk_pmem_ranges_register(struct memkind *kind);
void mk_pmem_ranges_unregister(struct memkind *kind);
void mk_pmem_ranges_release(struct memkind_pmem *p);
int mk_pmem_map_file(void *addr, size_t len, int fd, off_t off);

int memkind_pmem_create(struct memkind *kind, struct memkind_ops *ops,
                        const char *name);
int memkind_pmem_destroy(struct memkind *kind);
void *memkind_pmem_mmap(struct memkind *kind, void *addr, size_t size);
int memkind_pmem_get_mmap_flags(struct memkind *kind, int *flags);

/*
 * fork() support (src/kinds/pmem_fork.c; modes and design there and in
 * memkind_pmem(3)).  The per-kind calls run in the fork protocol
 * (src/fork.c) with every lock ranked below MK_RANK_PMEM held, jemalloc's
 * included (no allocation allowed): prefork takes the kind's lock and plans
 * what the child gets; the child makes its private copy (or reserves the
 * range, or keeps the shared file); both release the lock.
 * mk_pmem_fork_parent_begin() runs first in the parent's handler, locks
 * still held; mk_pmem_fork_parent_wait() last, with no lock held: the
 * forking thread waits there for its child's copies.  The child calls
 * mk_pmem_fork_child_done() after every kind's copy.
 * mk_pmem_fork_copying() is true while some child still copies: the
 * decommit hook must not punch the parent's file then.
 */
void mk_pmem_prefork(struct memkind *kind);
void mk_pmem_postfork_parent(struct memkind *kind);
void mk_pmem_postfork_child(struct memkind *kind);
void mk_pmem_fork_parent_begin(void);
void mk_pmem_fork_parent_wait(void);
void mk_pmem_fork_child_done(void);
bool mk_pmem_fork_copying(void);

/*
 * The purger thread (src/kinds/pmem_purger.c): started (or woken) when a
 * PMEM kind is made; failure to start only costs promptness.  The fork
 * protocol holds its lock across fork(); postfork(true) in the child
 * records that the thread is gone.
 */
void mk_pmem_purger_start(void);
/*
 * The same thread sweeps MEMKIND_DEFAULT's large caches (tcache.c): a
 * DEFAULT free that cached an object into a cache of MK_LC_SWEEP_FLOOR
 * bytes or more (or while the depot holds some) calls this while
 * mk_purger_default is false (once per process, and once more in a forked
 * child that caches that much),
 * so a process with no PMEM kind also gets idle threads' cached blocks
 * back (every MK_PURGE_DEFAULT_PERIOD_MS while no PMEM kind exists).  No
 * lock of ours may be held.
 */
void mk_pmem_purger_want_default(void);
#ifndef __cplusplus /* C11 atomics; the library only */
extern _Atomic bool mk_purger_default;
#endif
void mk_pmem_purger_prefork(void);
/// Rounds in which the purger found memory pressure and gave caches back.
unsigned long mk_pmem_purger_pressure_rounds(void);
void mk_pmem_purger_postfork(bool child);

/*
 * Device DAX backing (pmem_devdax.c), beyond memkind 1.14: a kind whose
 * "directory" is a /dev/daxX.Y character device.  mk_pmem_is_devdax() tells
 * (errno unchanged); mk_pmem_devdax_map() opens, locks and maps the device
 * for a prepared struct memkind_pmem (returns 0 or MEMKIND_ERROR_*);
 * mk_pmem_devdax_postfork_child() gives a forked child its private copy
 * (fork handler context: no allocation).
 */
bool mk_pmem_is_devdax(const char *path);
int mk_pmem_devdax_map(struct memkind_pmem *p);
void mk_pmem_devdax_postfork_child(struct memkind_pmem *p);

/// Capacity of a file-backed kind: its limit or its file system's size.
ssize_t mk_pmem_capacity(struct memkind *kind);

extern struct memkind_ops MEMKIND_PMEM_OPS;

#ifdef __cplusplus
}
#endif
