// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem.c - file-backed kinds (memkind_create_pmem and friends).
 *
 * Each kind owns an anonymous file in its directory (O_TMPFILE, or mkstemp
 * + unlink) and one reserved address range.  Chunks of the file are mapped
 * MAP_SHARED into the range as jemalloc asks for extents ("carving"), so a
 * kind's memory is contiguous and the address map records it once.  File
 * blocks are allocated before a range is handed out, so a full file system
 * gives NULL + ENOMEM instead of SIGBUS; freed ranges give their blocks back
 * through the decommit hook (punching a hole) and get them again on commit.
 *
 * Lock: memkind_pmem.pmem_lock (MK_RANK_PMEM) protects offset and
 * current_size; taken inside hooks, under jemalloc's mutexes.
 *
 * Not here: what a forked child gets (pmem_fork.c), the purger thread
 * (pmem_purger.c), Device DAX backing (pmem_devdax.c).
 */
#include "config.h"

#include <memkind/internal/memkind_pmem.h>

#include <memkind/internal/memkind_addrmap.h>
#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_util.h>

#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

/* Address space of a size-limited kind: 2 * max_size + this, for limits up
 * to PMEM_LIMITED_SLACK_MAX (beyond it, max_size itself, but no more than
 * the file system holds: limited_reserve()). */
#define PMEM_LIMITED_SLACK     ((size_t)64 << 20)
#define PMEM_LIMITED_SLACK_MAX ((size_t)1 << 40)
/* The longest address range an unlimited kind reserves at once (no more
 * than its file system holds either). */
#define PMEM_UNLIMITED_RESERVE ((size_t)1 << 42)
/* File offsets an unlimited kind may carve (the file system fills first). */
#define PMEM_UNLIMITED_OFFSETS ((size_t)1 << 62)
/* The first address range of a kind: what an empty kind costs in address
 * space (memkind 1.14 took 16 MiB; `ulimit -v` users count it). */
#define PMEM_FIRST_RANGE ((size_t)8 << 20)
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define MK_UNDER_VALGRIND() RUNNING_ON_VALGRIND
/* Address space of an unlimited kind when running under valgrind. */
#define PMEM_VALGRIND_RESERVE ((size_t)4 << 30)
#endif
#endif

/* DEFAULT usage policy: freed file space goes back within this time. */
#define PMEM_DIRTY_MS 300
/* CONSERVATIVE usage policy: freed file space goes back within this time. */
#define PMEM_CONSERVATIVE_DIRTY_MS 20

static extent_hooks_t pmem_hooks;

/* ------------------------------------------------------------- config */

MK_EXPORT struct memkind_config *memkind_config_new(void)
{
    if (mk_library_init())
        return NULL;
    struct memkind_config *cfg = mk_meta_calloc(1, sizeof(*cfg));
    if (cfg)
        cfg->policy = MEMKIND_MEM_USAGE_POLICY_DEFAULT;
    return cfg;
}

MK_EXPORT void memkind_config_delete(struct memkind_config *cfg)
{
    mk_meta_free(cfg);
}

/* Not validated here (memkind(3)); the string must outlive the config. */
MK_EXPORT void memkind_config_set_path(struct memkind_config *cfg,
                                       const char *pmem_dir)
{
    if (cfg)
        cfg->pmem_dir = pmem_dir;
}

MK_EXPORT void memkind_config_set_size(struct memkind_config *cfg,
                                       size_t pmem_size)
{
    if (cfg)
        cfg->pmem_size = pmem_size;
}

MK_EXPORT void
memkind_config_set_memory_usage_policy(struct memkind_config *cfg,
                                       memkind_mem_usage_policy policy)
{
    if (cfg)
        cfg->policy = policy;
}

/* ------------------------------------------------------------ carving */

/*
 * Allocates the file blocks of [off, off+len).  A request larger than the
 * free space fails at once; a failed fallocate() gives back what it had
 * already allocated (ext4 keeps a partial allocation on ENOSPC: a huge
 * request would otherwise fill the file system).  Returns 0 or the errno
 * value (errno itself unchanged).
 */
static int alloc_blocks(struct memkind_pmem *p, off_t off, size_t len)
{
    size_t avail, total;
    if (mk_os_fs_space(p->fd, &avail, &total) == 0 && len > avail)
        return ENOSPC;
    int err = mk_os_alloc_blocks(p->fd, off, len);
    if (err)
        (void)mk_os_punch_hole(p->fd, off, len);
    return err;
}

/*
 * Takes size bytes (aligned to align) from the kind's current address range
 * (or a new one) and maps them
 * (a Device DAX kind is mapped already).  With *commit true the file blocks
 * are allocated first and count against max_size; otherwise the range stays
 * a hole, *commit is set false and the commit hook allocates the blocks of
 * each part jemalloc uses.  Uncommitted carving is what lets a size-limited
 * kind hand jemalloc large extents (which it can split and coalesce within)
 * while max_size is still counted exactly, in committed bytes.
 * Called from an extent hook, or from memkind_pmem_mmap().
 * Returns the address or NULL (range exhausted, limit reached, no space).
 */
static void *pmem_carve(struct memkind *kind, size_t size, size_t align,
                        bool *zero, bool *commit)
{
    struct memkind_pmem *p = kind->priv;
    void *res = NULL;
    bool clear = false;
    /* Chunks start on a chunk boundary (huge-page mappings on DAX); the
     * small extents jemalloc asks for when it cannot grow are packed. */
    if (align < MEMKIND_PMEM_CHUNK_SIZE && size >= MEMKIND_PMEM_CHUNK_SIZE)
        align = MEMKIND_PMEM_CHUNK_SIZE;
    mk_mutex_lock(&p->pmem_lock, MK_RANK_PMEM);
    size_t len = mk_round_up(size, mk_os_page_size());
    /* Align the address, not the file offset (a range's base and file
     * offset are granule-aligned alike).  A carving that does not fit in
     * the current range gets a new one (pmem_range.c). */
    struct mk_pmem_range *r = mk_pmem_range_current(p);
    uintptr_t base = (uintptr_t)r->base;
    size_t at = mk_round_up(base + (size_t)(p->offset - r->foff), align) - base;
    bool fits = at <= r->len && r->len - at >= len;
    if (!fits && !p->fork_broken && len <= SIZE_MAX - align &&
        mk_pmem_range_add(kind, len + align) == 0) {
        r = mk_pmem_range_current(p);
        base = (uintptr_t)r->base;
        at = mk_round_up(base, align) - base;
        fits = at <= r->len && r->len - at >= len;
    }
    if (!fits)
        goto out;
    size_t off = (size_t)r->foff + at;
    /* A device has no holes: everything carved is committed.  A file
     * carving is committed whole while it fits under max_size as well: one
     * fallocate() per chunk instead of one per slab when the heap grows
     * (2.5 to 3 times faster growth).  Beyond that, the carving stays a
     * hole and the commit hook backs what jemalloc uses.  (Carving the
     * kind's first chunk as a hole too made create + one malloc + destroy
     * 7 times faster on tmpfs, which zeroes a chunk at fallocate(), but
     * heap growth on ext4 10-20 % slower for good: the per-slab blocks
     * fragment the file's extent tree, which every page fault walks.) */
    bool backed = *commit || p->devdax || !p->max_size ||
                  p->current_size + len <= p->max_size;
    if (p->fork_broken || off < (size_t)p->offset || off > p->limit_off ||
        p->limit_off - off < len)
        goto out;
    if (backed && p->max_size && p->current_size + len > p->max_size)
        goto out;
    /* At max_size, jemalloc tries to grow on every failing request: each
     * carving would take address space for nothing until blocks go back. */
    if (!backed && p->limit_hit)
        goto out;
    void *addr = r->base + at;
    if (p->devdax) {
        /* Mapped whole at creation; the device keeps old contents. */
        clear = *zero;
    } else {
        if (backed && (mk_fault_hit() || alloc_blocks(p, (off_t)off, len) != 0))
            goto out; /* ENOSPC: an honest NULL, never SIGBUS later */
        /* Mapping beyond the end of the file is fine: jemalloc touches no
         * page before committing it, and commit extends the file. */
        if (mk_fault_hit() ||
            mk_pmem_map_file(addr, len, p->fd, (off_t)off) != 0) {
            if (backed)
                (void)mk_os_punch_hole(p->fd, (off_t)off, len);
            goto out;
        }
        *zero = true;
    }
    p->offset = (off_t)(off + len);
    if (backed)
        p->current_size += len;
    *commit = backed;
    res = addr;
out:
    mk_mutex_unlock(&p->pmem_lock, MK_RANK_PMEM);
    if (clear)
        memset(res, 0, len); /* outside the lock: the range is ours */
    return res;
}

/* mmap op (exported building block): size bytes of file space, chunk
 * aligned.  Returns the address or MAP_FAILED. */
MK_EXPORT void *memkind_pmem_mmap(struct memkind *kind, void *addr, size_t size)
{
    (void)addr;
    bool zero = false, commit = true;
    void *r = pmem_carve(kind, size, MEMKIND_PMEM_CHUNK_SIZE, &zero, &commit);
    return r ? r : MAP_FAILED;
}

MK_EXPORT int memkind_pmem_get_mmap_flags(struct memkind *kind, int *flags)
{
    (void)kind;
    *flags = MAP_SHARED;
    return 0;
}

/* --------------------------------------------------------------- hooks */

static struct memkind_pmem *hook_pmem(extent_hooks_t *h)
{
    return mk_arena_hooks_kind(h)->priv;
}

static void *pmem_hook_alloc(extent_hooks_t *h, void *new_addr, size_t size,
                             size_t alignment, bool *zero, bool *commit,
                             unsigned arena_ind)
{
    (void)arena_ind;
    if (new_addr)
        return NULL;
    mk_lock_enter_jemalloc();
    void *p = pmem_carve(mk_arena_hooks_kind(h), size, alignment, zero, commit);
    mk_lock_exit_jemalloc();
    return p;
}

/* Returns true: carved ranges stay with the kind until it is destroyed. */
static bool pmem_hook_dalloc(extent_hooks_t *h, void *addr, size_t size,
                             bool committed, unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)committed, (void)arena_ind;
    return true;
}

static void pmem_hook_destroy(extent_hooks_t *h, void *addr, size_t size,
                              bool committed, unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)committed, (void)arena_ind;
}

/* Allocates blocks again before reuse.  Returns false on success (jemalloc
 * hook convention); true on ENOSPC or over the limit. */
static bool pmem_hook_commit(extent_hooks_t *h, void *addr, size_t size,
                             size_t offset, size_t length, unsigned arena_ind)
{
    (void)size, (void)arena_ind;
    struct memkind_pmem *p = hook_pmem(h);
    off_t off = mk_pmem_off_of(p, (char *)addr + offset);
    bool fail = true;
    mk_lock_enter_jemalloc();
    mk_mutex_lock(&p->pmem_lock, MK_RANK_PMEM);
    bool over = p->max_size && p->current_size + length > p->max_size;
    if (!p->fork_broken && !over) {
        if (p->devdax ||
            (!mk_fault_hit() && alloc_blocks(p, off, length) == 0)) {
            p->current_size += length;
            fail = false;
        }
    }
    if (over)
        p->limit_hit = true;
    mk_mutex_unlock(&p->pmem_lock, MK_RANK_PMEM);
    mk_lock_exit_jemalloc();
    return fail;
}

/* Gives the blocks back by punching a hole.  Returns false on success. */
static bool pmem_hook_decommit(extent_hooks_t *h, void *addr, size_t size,
                               size_t offset, size_t length, unsigned arena_ind)
{
    (void)size, (void)arena_ind;
    struct memkind_pmem *p = hook_pmem(h);
    off_t off = mk_pmem_off_of(p, (char *)addr + offset);
    /* A forked child's file is the parent's: never punch it.  A device
     * cannot give space back: failing keeps jemalloc from assuming zeros.
     * While a forked child copies the heap, a punched block could be one
     * it has still to read: the range stays committed (jemalloc purges it
     * again later). */
    if (p->fork_broken || p->fork_shared || p->devdax || mk_pmem_fork_copying())
        return true;
    /* Reached from free paths: the OS boundary keeps errno. */
    if (mk_os_punch_hole(p->fd, off, length) != 0)
        return true;
    mk_lock_enter_jemalloc();
    mk_mutex_lock(&p->pmem_lock, MK_RANK_PMEM);
    p->current_size -= length;
    p->limit_hit = false;
    mk_mutex_unlock(&p->pmem_lock, MK_RANK_PMEM);
    mk_lock_exit_jemalloc();
    return false;
}

/* Returns true: decommit is the way pmem memory goes back. */
static bool pmem_hook_purge(extent_hooks_t *h, void *addr, size_t size,
                            size_t offset, size_t length, unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)offset, (void)length,
        (void)arena_ind;
    return true;
}

static bool pmem_hook_split(extent_hooks_t *h, void *addr, size_t size,
                            size_t size_a, size_t size_b, bool committed,
                            unsigned arena_ind)
{
    (void)h, (void)addr, (void)size, (void)size_a, (void)size_b,
        (void)committed, (void)arena_ind;
    return false;
}

/* Refuses (true) to merge extents of two ranges: adjacent addresses there
 * are not adjacent file offsets. */
static bool pmem_hook_merge(extent_hooks_t *h, void *addr_a, size_t size_a,
                            void *addr_b, size_t size_b, bool committed,
                            unsigned arena_ind)
{
    (void)size_a, (void)size_b, (void)committed, (void)arena_ind;
    return !mk_pmem_same_range(hook_pmem(h), addr_a, addr_b);
}

static extent_hooks_t pmem_hooks = {
    .alloc = pmem_hook_alloc,
    .dalloc = pmem_hook_dalloc,
    .destroy = pmem_hook_destroy,
    .commit = pmem_hook_commit,
    .decommit = pmem_hook_decommit,
    .purge_lazy = pmem_hook_purge,
    .purge_forced = pmem_hook_purge,
    .split = pmem_hook_split,
    .merge = pmem_hook_merge,
};

/* ----------------------------------------------------------- kind ops */

/*
 * create op.  Pre: kind->priv is a prepared struct memkind_pmem (file open,
 * range reserved).  Registers the range and creates the arena set.
 * Returns 0 or MEMKIND_ERROR_*; on error kind->priv is left to the caller.
 */
MK_EXPORT int memkind_pmem_create(struct memkind *kind, struct memkind_ops *ops,
                                  const char *name)
{
    struct memkind_pmem *p = kind->priv;
    if (!p)
        return MEMKIND_ERROR_INVALID;
    int err = memkind_default_create(kind, ops, name);
    if (err)
        return err;
    err = mk_pmem_ranges_register(kind);
    if (err)
        return err;
    err = memkind_arena_create_map(kind, &pmem_hooks);
    if (err) {
        mk_pmem_ranges_unregister(kind);
        return err;
    }
    /* Grow a chunk at a time so that a small kind fills up evenly.  A
     * request larger than a chunk gets a carving of its own size, so large
     * objects can still be had after churn (extents never merge across
     * carvings).  A device's freed space goes nowhere: it is retained at
     * once, where every size class can reuse it (jemalloc splits dirty
     * ranges only up to 64 times the request).  A file's freed space goes
     * back within PMEM_DIRTY_MS (the purger makes that true when idle). */
    mk_arena_tune(kind, MEMKIND_PMEM_CHUNK_SIZE, p->devdax ? 0 : PMEM_DIRTY_MS,
                  p->devdax ? 0 : PMEM_CONSERVATIVE_DIRTY_MS);
    mk_arena_limit_large_cache(kind, p->max_size, true);
    if (p->policy != MEMKIND_MEM_USAGE_POLICY_DEFAULT)
        (void)memkind_arena_update_memory_usage_policy(kind, p->policy);
    return 0;
}

static void pmem_free_priv(struct memkind_pmem *p)
{
    mk_pmem_ranges_release(p);
    if (p->fd >= 0)
        mk_os_close(p->fd);
    if (p->fork_fd >= 0)
        mk_os_close(p->fork_fd);
    pthread_mutex_destroy(&p->pmem_lock);
    mk_meta_free(p->dir);
    mk_meta_free(p);
}

/* destroy op: all of the kind's memory goes (memkind(3)). Returns 0. */
MK_EXPORT int memkind_pmem_destroy(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    int err = memkind_arena_destroy(kind);
    if (p) {
        mk_pmem_ranges_unregister(kind);
        pmem_free_priv(p);
        kind->priv = NULL;
    }
    return err;
}

ssize_t mk_pmem_capacity(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    size_t fs;
    if (!p)
        return -1;
    /* A limit beyond SSIZE_MAX cannot be told; the file system's size is
     * the capacity then (1.14 answers so for the largest limits too, which
     * wrap to "no limit" in its rounding, and a negative number for the
     * rest). */
    if (p->max_size && p->max_size <= (size_t)SSIZE_MAX)
        return (ssize_t)p->max_size;
    if (mk_os_fs_size(p->dir, &fs) != 0)
        return -1;
    return (ssize_t)fs;
}

MK_EXPORT struct memkind_ops MEMKIND_PMEM_OPS = {
    .create = memkind_pmem_create,
    .destroy = memkind_pmem_destroy,
    .malloc = memkind_arena_malloc,
    .calloc = memkind_arena_calloc,
    .posix_memalign = memkind_arena_posix_memalign,
    .realloc = memkind_arena_realloc,
    .free = memkind_arena_free,
    .mmap = memkind_pmem_mmap,
    .get_mmap_flags = memkind_pmem_get_mmap_flags,
    .get_arena = memkind_thread_get_arena,
    .malloc_usable_size = memkind_default_malloc_usable_size,
    .update_memory_usage_policy = memkind_arena_update_memory_usage_policy,
    .defrag_reallocate = mk_arena_defrag,
};

/* ------------------------------------------------------------ creation */

/* Opens an anonymous file in dir: O_TMPFILE, or where the file system
 * lacks it an unlinked mkostemp() file.  Returns the fd or -1 (errno set). */
static int open_tmpfile(const char *dir)
{
    int fd = -1;
    int err = mk_fault_hit() || mk_fault_no_tmpfile()
                  ? EOPNOTSUPP
                  : mk_os_open_tmpfile(dir, &fd);
    if (err && mk_os_tmpfile_unsupported(err))
        err = mk_fault_hit() ? ENOSPC : mk_os_open_unlinked(dir, &fd);
    if (err) {
        errno = err;
        return -1;
    }
    return fd;
}

/* Validates dir: an existing, writable directory with a bounded path.
 * Returns 0 or MEMKIND_ERROR_INVALID. */
static int check_dir(const char *dir)
{
    struct stat st;
    if (!dir) {
        errno = EINVAL;
        return MEMKIND_ERROR_INVALID;
    }
    if (strnlen(dir, PATH_MAX) >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return MEMKIND_ERROR_INVALID;
    }
    /* stat and access leave errno saying why (ENOENT, EACCES, ...). */
    if (stat(dir, &st) != 0)
        return MEMKIND_ERROR_INVALID;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return MEMKIND_ERROR_INVALID;
    }
    if (access(dir, W_OK | X_OK) != 0)
        return MEMKIND_ERROR_INVALID;
    return 0;
}

/* The longest address range a kind in dir reserves at once: the file
 * system's size, at most PMEM_UNLIMITED_RESERVE. */
static size_t range_cap(const char *dir)
{
    size_t r = PMEM_UNLIMITED_RESERVE, fs;
    if (mk_os_fs_size(dir, &fs) == 0 && fs && fs < r)
        r = fs;
#ifdef MK_UNDER_VALGRIND
    /* valgrind gives a process far less address space than the kernel:
     * a few unlimited kinds must not use it all up. */
    if (MK_UNDER_VALGRIND() && r > PMEM_VALGRIND_RESERVE)
        r = PMEM_VALGRIND_RESERVE;
#endif
    if (r < MEMKIND_PMEM_MIN_SIZE)
        r = MEMKIND_PMEM_MIN_SIZE;
    return mk_round_up(r, MK_GRANULE);
}

/*
 * File offsets for a kind limited to max_size > PMEM_LIMITED_SLACK_MAX.
 * COMPAT(1.14): any max_size is accepted (SIZE_MAX and 2^47 included): the
 * file system is the real limit, as memkind_pmem(3) says.  So the limit is
 * max_size, or the file system's size where that is smaller (without it,
 * PMEM_UNLIMITED_RESERVE), rounded to granules without wrapping.
 */
static size_t limited_reserve(const char *dir, size_t max_size)
{
    size_t r = max_size, fs;
    if (mk_os_fs_size(dir, &fs) == 0 && fs) {
        if (fs < r)
            r = fs;
    } else if (r > PMEM_UNLIMITED_RESERVE) {
        r = PMEM_UNLIMITED_RESERVE;
    }
    if (r < MEMKIND_PMEM_MIN_SIZE)
        r = MEMKIND_PMEM_MIN_SIZE;
    size_t rounded;
    if (!mk_round_up_checked(r, MK_GRANULE, &rounded))
        rounded = r & ~(MK_GRANULE - 1);
    return rounded;
}

/* Opens p->dir's anonymous file and reserves the kind's address range.
 * Returns 0 or MEMKIND_ERROR_*. */
static int pmem_file_map(struct memkind_pmem *p)
{
    const char *dir = p->dir;
    size_t max_size = p->max_size;
    if (mk_fault_hit()) {
        errno = EMFILE;
        p->fd = -1;
    } else {
        p->fd = open_tmpfile(dir);
    }
    if (p->fd < 0) {
        mk_log_perr("[memkind_pmem] cannot create a file in %s", dir);
        return MEMKIND_ERROR_INVALID;
    }
    /* limit_off bounds the file offsets carved.  A size-limited kind may
     * carve more than max_size: extents are carved uncommitted and never
     * merge across carvings, so after churn a large request needs a fresh
     * carving while the old ones still hold file offsets (max_size is
     * counted in committed bytes).  An unlimited kind commits what it
     * carves: the file system is its limit.  Address space is reserved in
     * ranges as the kind grows (pmem_range.c), each at most range_cap. */
    bool small_limit = max_size && max_size <= PMEM_LIMITED_SLACK_MAX;
    p->limit_off =
        !max_size ? PMEM_UNLIMITED_OFFSETS
        : small_limit
            ? mk_round_up(2 * max_size + PMEM_LIMITED_SLACK, MK_GRANULE)
            : limited_reserve(dir, max_size);
    size_t cap = range_cap(dir);
    if (max_size && p->limit_off < cap)
        cap = p->limit_off;
    size_t first = cap < PMEM_FIRST_RANGE ? cap : PMEM_FIRST_RANGE;
    int err = mk_pmem_range_first(p, first, cap);
    if (err) {
        errno = err;
        mk_log_perr("[memkind_pmem] cannot reserve address space");
        return MEMKIND_ERROR_MMAP;
    }
    return 0;
}

static int create_pmem(const char *dir, size_t max_size,
                       memkind_mem_usage_policy policy, memkind_t *kind)
{
    int err;
    if (!kind)
        return MEMKIND_ERROR_INVALID;
    if (max_size && max_size < MEMKIND_PMEM_MIN_SIZE) {
        mk_log_err("[memkind_pmem] max_size %zu is below MEMKIND_PMEM_MIN_SIZE",
                   max_size);
        return MEMKIND_ERROR_INVALID;
    }
    if (policy >= MEMKIND_MEM_USAGE_POLICY_MAX_VALUE)
        return MEMKIND_ERROR_INVALID;
    /* Beyond 1.14: a Device DAX character device instead of a directory. */
    bool devdax = mk_pmem_is_devdax(dir);
    err = devdax ? 0 : check_dir(dir);
    if (err) {
        mk_log_err("[memkind_pmem] %s is not a writable directory",
                   dir ? dir : "(null)");
        return err;
    }
    if (mk_library_init())
        return MEMKIND_ERROR_RUNTIME;
    struct memkind_pmem *p = mk_meta_calloc(1, sizeof(*p));
    if (!p)
        return MEMKIND_ERROR_MALLOC;
    p->fd = -1;
    p->fork_fd = -1;
    if (pthread_mutex_init(&p->pmem_lock, NULL)) {
        mk_meta_free(p);
        return MEMKIND_ERROR_RUNTIME;
    }
    size_t dlen = strlen(dir) + 1;
    p->dir = mk_meta_malloc(dlen);
    if (!p->dir) {
        err = MEMKIND_ERROR_MALLOC;
        goto err_free;
    }
    memcpy(p->dir, dir, dlen);
    p->max_size = max_size;
    p->policy = policy;
    err = devdax ? mk_pmem_devdax_map(p) : pmem_file_map(p);
    if (err)
        goto err_free;
    err = mk_registry_create_kind(&MEMKIND_PMEM_OPS, NULL, MK_BACKING_FILE, p,
                                  kind);
    if (err)
        goto err_free;
    mk_pmem_purger_start();
    return 0;

err_free:
    pmem_free_priv(p);
    return err;
}

MK_EXPORT int memkind_create_pmem(const char *dir, size_t max_size,
                                  memkind_t *kind)
{
    return create_pmem(dir, max_size, MEMKIND_MEM_USAGE_POLICY_DEFAULT, kind);
}

MK_EXPORT int memkind_create_pmem_with_config(struct memkind_config *cfg,
                                              memkind_t *kind)
{
    if (!cfg)
        return MEMKIND_ERROR_INVALID;
    return create_pmem(cfg->pmem_dir, cfg->pmem_size, cfg->policy, kind);
}

/*
 * True DAX detection: a MAP_SHARED_VALIDATE | MAP_SYNC mapping of a file in
 * pmem_dir succeeds only on a DAX mount.  Returns 0, MEMKIND_ERROR_INVALID
 * for NULL, MEMKIND_ERROR_RUNTIME when no file can be made there and
 * MEMKIND_ERROR_MMAP when the file system is not DAX (1.14's codes).
 */
MK_EXPORT int memkind_check_dax_path(const char *pmem_dir)
{
    if (!pmem_dir)
        return MEMKIND_ERROR_INVALID;
    if (mk_pmem_is_devdax(pmem_dir))
        return 0; /* beyond 1.14: a Device DAX device is DAX by definition */
    int fd = open_tmpfile(pmem_dir);
    if (fd < 0)
        return MEMKIND_ERROR_RUNTIME;
    size_t len = (size_t)sysconf(_SC_PAGESIZE);
    int err = MEMKIND_ERROR_MMAP;
    void *m;
    if (mk_os_alloc_blocks(fd, 0, len) == 0 &&
        mk_os_map(NULL, len, PROT_READ | PROT_WRITE,
                  MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0, &m) == 0) {
        (void)mk_os_unmap(m, len);
        err = 0;
    }
#ifdef STATX_ATTR_DAX
    /* Kernels that report the per-file DAX attribute: trust it too. */
    struct statx stx;
    if (err && statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) == 0 &&
        (stx.stx_attributes_mask & STATX_ATTR_DAX) &&
        (stx.stx_attributes & STATX_ATTR_DAX))
        err = 0;
#endif
    mk_os_close(fd);
    return err;
}
