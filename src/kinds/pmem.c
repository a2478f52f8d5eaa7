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
 * Lock: memkind_pmem.lock protects carved/committed; taken inside hooks.
 */
#include "config.h"

#include <memkind/internal/memkind_pmem.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_util.h>

#include "lsan.h"

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

/* Address space of a size-limited kind: 2 * max_size + this, for limits up
 * to PMEM_LIMITED_SLACK_MAX (beyond it, max_size itself). */
#define PMEM_LIMITED_SLACK     ((size_t)64 << 20)
#define PMEM_LIMITED_SLACK_MAX ((size_t)1 << 40)
/* Address space reserved for an unlimited kind, at most. */
#define PMEM_UNLIMITED_RESERVE ((size_t)1 << 40)
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
/* How often the purger thread runs decay while PMEM kinds exist. */
#define PMEM_PURGE_PERIOD_MS 100

static void pmem_purger_start(void);

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
 * request would otherwise fill the file system).  Returns 0 or -1.
 */
static int alloc_blocks(struct memkind_pmem *p, off_t off, size_t len)
{
    struct statvfs st;
    if (fstatvfs(p->fd, &st) == 0 && len / st.f_frsize > (size_t)st.f_bavail) {
        errno = ENOSPC;
        return -1;
    }
    if (fallocate(p->fd, 0, off, (off_t)len) == 0)
        return 0;
    int e = errno;
    (void)fallocate(p->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
                    (off_t)len);
    errno = e;
    return -1;
}

/*
 * Takes size bytes (aligned to align) from the reserved range and maps them
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
    (void)pthread_mutex_lock(&p->lock);
    /* Align the address, not the file offset (base is granule-aligned). */
    uintptr_t base = (uintptr_t)p->base;
    size_t off = mk_round_up(base + p->carved, align) - base;
    size_t len = mk_round_up(size, (size_t)sysconf(_SC_PAGESIZE));
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
                  p->committed + len <= p->max_size;
    if (p->fork_broken || off < p->carved || off > p->limit_off ||
        p->limit_off - off < len)
        goto out;
    if (backed && p->max_size && p->committed + len > p->max_size)
        goto out;
    /* At max_size, jemalloc tries to grow on every failing request: each
     * carving would take address space for nothing until blocks go back. */
    if (!backed && p->limit_hit)
        goto out;
    void *addr = (char *)p->base + off;
    if (p->devdax) {
        /* Mapped whole at creation; the device keeps old contents. */
        clear = *zero;
    } else {
        if (backed && (mk_fault_hit() || alloc_blocks(p, (off_t)off, len) != 0))
            goto out; /* ENOSPC: an honest NULL, never SIGBUS later */
        /* Mapping beyond the end of the file is fine: jemalloc touches no
         * page before committing it, and commit extends the file. */
        if (mk_fault_hit() ||
            mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                 p->fd, (off_t)off) == MAP_FAILED) {
            if (backed)
                (void)fallocate(p->fd,
                                FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                (off_t)off, (off_t)len);
            goto out;
        }
        *zero = true;
    }
    p->carved = off + len;
    if (backed)
        p->committed += len;
    *commit = backed;
    res = addr;
out:
    (void)pthread_mutex_unlock(&p->lock);
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
    return pmem_carve(mk_arena_hooks_kind(h), size, alignment, zero, commit);
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
    off_t off = (off_t)((char *)addr + offset - (char *)p->base);
    bool fail = true;
    int oerrno = errno;
    (void)pthread_mutex_lock(&p->lock);
    bool over = p->max_size && p->committed + length > p->max_size;
    if (!p->fork_broken && !over) {
        if (p->devdax ||
            (!mk_fault_hit() && alloc_blocks(p, off, length) == 0)) {
            p->committed += length;
            fail = false;
        }
    }
    if (over)
        p->limit_hit = true;
    (void)pthread_mutex_unlock(&p->lock);
    errno = oerrno;
    return fail;
}

/* Gives the blocks back by punching a hole.  Returns false on success. */
static bool pmem_hook_decommit(extent_hooks_t *h, void *addr, size_t size,
                               size_t offset, size_t length, unsigned arena_ind)
{
    (void)size, (void)arena_ind;
    struct memkind_pmem *p = hook_pmem(h);
    off_t off = (off_t)((char *)addr + offset - (char *)p->base);
    /* A forked child's file is the parent's: never punch it.  A device
     * cannot give space back: failing keeps jemalloc from assuming zeros. */
    if (p->fork_broken || p->devdax)
        return true;
    int oerrno = errno; /* reached from free paths: keep errno */
    int r = fallocate(p->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
                      (off_t)length);
    errno = oerrno;
    if (r != 0)
        return true;
    (void)pthread_mutex_lock(&p->lock);
    p->committed -= length;
    p->limit_hit = false;
    (void)pthread_mutex_unlock(&p->lock);
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

static bool pmem_hook_merge(extent_hooks_t *h, void *addr_a, size_t size_a,
                            void *addr_b, size_t size_b, bool committed,
                            unsigned arena_ind)
{
    (void)h, (void)addr_a, (void)size_a, (void)addr_b, (void)size_b,
        (void)committed, (void)arena_ind;
    return false;
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
    err = mk_arena_map_range(kind, p->base, p->reserved);
    if (err)
        return err;
    err = memkind_arena_create_map(kind, &pmem_hooks);
    if (err) {
        mk_arena_unmap_range(kind, p->base, p->reserved);
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
    if (p->policy != MEMKIND_MEM_USAGE_POLICY_DEFAULT)
        (void)memkind_arena_update_memory_usage_policy(kind, p->policy);
    return 0;
}

static void pmem_free_priv(struct memkind_pmem *p)
{
    if (p->base) {
        mk_lsan_unregister(p->base, p->reserved);
        munmap(p->base, p->reserved);
    }
    if (p->fd >= 0)
        close(p->fd);
    if (p->fork_fd >= 0)
        close(p->fork_fd);
    pthread_mutex_destroy(&p->lock);
    mk_meta_free(p->dir);
    mk_meta_free(p);
}

/* destroy op: all of the kind's memory goes (memkind(3)). Returns 0. */
MK_EXPORT int memkind_pmem_destroy(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    int err = memkind_arena_destroy(kind);
    if (p) {
        mk_arena_unmap_range(kind, p->base, p->reserved);
        pmem_free_priv(p);
        kind->priv = NULL;
    }
    return err;
}

ssize_t mk_pmem_capacity(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    struct statvfs st;
    if (!p)
        return -1;
    if (p->max_size)
        return (ssize_t)p->max_size;
    if (statvfs(p->dir, &st) != 0)
        return -1;
    return (ssize_t)(st.f_blocks * st.f_frsize);
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

/* As open_tmpfile(), without allocating (fork handlers: jemalloc is
 * locked).  Returns the fd or -1. */
static int open_tmpfile_noalloc(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/memkind.XXXXXX", dir) >=
        (int)sizeof(path))
        return -1;
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0) {
        (void)unlink(path);
        (void)fchmod(fd, 0600);
    }
    return fd;
}

/* Opens an anonymous file in dir.  Returns the fd or -1 (errno set). */
static int open_tmpfile(const char *dir)
{
    int fd = mk_fault_hit() || mk_fault_no_tmpfile()
                 ? (errno = EOPNOTSUPP, -1)
                 : open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL &&
                    errno != ENOENT))
        return fd;
    size_t n = strlen(dir) + sizeof("/memkind.XXXXXX");
    char *path = mk_meta_malloc(n);
    if (!path) {
        errno = ENOMEM;
        return -1;
    }
    snprintf(path, n, "%s/memkind.XXXXXX", dir);
    fd = mk_fault_hit() ? (errno = ENOSPC, -1) : mkostemp(path, O_CLOEXEC);
    if (fd >= 0) {
        (void)unlink(path);
        (void)fchmod(fd, 0600);
    }
    mk_meta_free(path);
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

static size_t unlimited_reserve(const char *dir)
{
    struct statvfs st;
    size_t r = PMEM_UNLIMITED_RESERVE;
    if (statvfs(dir, &st) == 0) {
        size_t fs = (size_t)st.f_blocks * st.f_frsize;
        if (fs && fs < r)
            r = fs;
    }
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
    /* A size-limited kind gets more address space than max_size: extents
     * are carved uncommitted and never merge across carvings, so after
     * churn a large request needs a fresh carving while the old ones still
     * hold address space (max_size is counted in committed bytes).  It
     * settles for exactly max_size where the process has little address
     * space.  An unlimited kind settles for less, down to 256 MiB. */
    size_t exact = max_size ? mk_round_up(max_size, MK_GRANULE) : 0;
    p->reserved =
        !max_size ? unlimited_reserve(dir)
        : max_size <= PMEM_LIMITED_SLACK_MAX
            ? mk_round_up(2 * max_size + PMEM_LIMITED_SLACK, MK_GRANULE)
            : exact;
    char *raw = MAP_FAILED;
    size_t req = 0;
    while (raw == MAP_FAILED) {
        req = p->reserved + MK_GRANULE;
        raw = mk_fault_hit()
                  ? MAP_FAILED
                  : mmap(NULL, req, PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (raw != MAP_FAILED)
            break;
        if (max_size ? p->reserved <= exact : p->reserved <= (256u << 20))
            break;
        p->reserved = max_size ? exact : p->reserved / 2;
    }
    if (raw == MAP_FAILED) {
        mk_log_perr("[memkind_pmem] cannot reserve address space");
        return MEMKIND_ERROR_MMAP;
    }
    uintptr_t a = mk_round_up((uintptr_t)raw, MK_GRANULE);
    if (a > (uintptr_t)raw)
        munmap(raw, a - (uintptr_t)raw);
    if ((char *)a + p->reserved < raw + req)
        munmap((char *)a + p->reserved,
               (size_t)(raw + req - ((char *)a + p->reserved)));
    p->base = (void *)a;
    p->limit_off = p->reserved;
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
    if (pthread_mutex_init(&p->lock, NULL)) {
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
    /* Pointers kept in the kind's memory are references (DESIGN.md 3). */
    mk_lsan_register(p->base, p->reserved);
    err = mk_registry_create_kind(&MEMKIND_PMEM_OPS, NULL, MK_BACKING_FILE, p,
                                  kind);
    if (err)
        goto err_free;
    pmem_purger_start();
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
    if (fallocate(fd, 0, 0, (off_t)len) == 0) {
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
        if (m != MAP_FAILED) {
            munmap(m, len);
            err = 0;
        }
    }
#ifdef STATX_ATTR_DAX
    /* Kernels that report the per-file DAX attribute: trust it too. */
    struct statx stx;
    if (err && statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) == 0 &&
        (stx.stx_attributes_mask & STATX_ATTR_DAX) &&
        (stx.stx_attributes & STATX_ATTR_DAX))
        err = 0;
#endif
    close(fd);
    return err;
}

/* ----------------------------------------------------------------- fork */

/* Copies the data (not the holes) of [0, len) of from into to.  Uses only
 * system calls: safe with jemalloc locked.  Returns 0 or -1. */
static int copy_data(int from, int to, size_t len)
{
    if (ftruncate(to, (off_t)len) != 0)
        return -1;
    off_t pos = 0;
    while ((size_t)pos < len) {
        off_t data = lseek(from, pos, SEEK_DATA);
        if (data < 0 || (size_t)data >= len)
            return errno == ENXIO || data >= 0 ? 0 : -1;
        off_t hole = lseek(from, data, SEEK_HOLE);
        if (hole < 0 || (size_t)hole > len)
            hole = (off_t)len;
        off_t in = data, out = data;
        while (in < hole) {
            ssize_t n =
                copy_file_range(from, &in, to, &out, (size_t)(hole - in), 0);
            if (n <= 0)
                return -1;
        }
        pos = hole;
    }
    return 0;
}

void mk_pmem_prefork(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    if (!p || p->fork_broken)
        return;
    int oerrno = errno;
    (void)pthread_mutex_lock(&p->lock);
    p->fork_fd = p->devdax ? -1 : open_tmpfile_noalloc(p->dir);
    if (p->fork_fd >= 0 && copy_data(p->fd, p->fork_fd, p->carved) != 0) {
        close(p->fork_fd);
        p->fork_fd = -1;
    }
    errno = oerrno;
}

void mk_pmem_postfork_parent(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    if (!p || p->fork_broken)
        return;
    if (p->fork_fd >= 0)
        close(p->fork_fd);
    p->fork_fd = -1;
    (void)pthread_mutex_unlock(&p->lock);
}

/*
 * The child maps its private copy over the whole carved range.  Without a
 * copy (no space for it), the child keeps a private, copy-on-write view of
 * the parent's file and its kind can no longer grow or punch holes: it must
 * never write to the parent's file.
 */
void mk_pmem_postfork_child(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    if (!p || p->fork_broken)
        return;
    int oerrno = errno;
    if (p->devdax) {
        mk_pmem_devdax_postfork_child(p); /* no MAP_PRIVATE on a device */
    } else if (p->carved == 0) {
        /* nothing mapped yet: the copy is just a fresh empty file */
    } else if (p->fork_fd < 0 ||
               mmap(p->base, p->carved, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_FIXED, p->fork_fd, 0) == MAP_FAILED) {
        (void)mmap(p->base, p->carved, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_FIXED, p->fd, 0);
        p->fork_broken = true;
        mk_log_err("[memkind_pmem] no private copy of a PMEM kind after fork;"
                   " it is read-only to new allocations in the child");
    }
    if (!p->fork_broken && p->fork_fd >= 0) {
        close(p->fd);
        p->fd = p->fork_fd;
    } else if (p->fork_fd >= 0) {
        close(p->fork_fd);
    }
    p->fork_fd = -1;
    (void)pthread_mutex_unlock(&p->lock);
    errno = oerrno;
}

/* --------------------------------------------------------------- purger */

/*
 * One thread, started with the first PMEM kind, runs decay on every PMEM
 * kind's arenas every PMEM_PURGE_PERIOD_MS, so freed file space goes back
 * within PMEM_DIRTY_MS even when the process is idle (jemalloc itself only
 * purges an arena when that arena is used).  It sleeps while no PMEM kind
 * exists.  Locks: purger_lock, then the registry lock (any_pmem_kind);
 * the registry lock alone for a sweep.
 */
static pthread_mutex_t purger_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t purger_cond = PTHREAD_COND_INITIALIZER;
static bool purger_running;
static bool purger_parked; /* waiting for a PMEM kind, no timeout */

/* Under the registry lock: a kind destroyed meanwhile is freed memory
 * (ThreadSanitizer found the read racing a destroy).  When the lock cannot
 * be had, says yes: the purger then sweeps once more, which is harmless. */
static bool any_pmem_kind(void)
{
    bool any = false;
    if (mk_registry_lock())
        return true;
    for (unsigned s = MEMKIND_NUM_BASE_KIND; s < MEMKIND_MAX_KIND && !any;
         s++) {
        struct memkind *k = mk_registry_get(s);
        any = k && k->backing == MK_BACKING_FILE;
    }
    mk_registry_unlock();
    return any;
}

static void *purger_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts;
        (void)pthread_mutex_lock(&purger_lock);
        if (!any_pmem_kind()) {
            purger_parked = true;
            (void)pthread_cond_wait(&purger_cond, &purger_lock);
            purger_parked = false;
        } else {
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += PMEM_PURGE_PERIOD_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            (void)pthread_cond_timedwait(&purger_cond, &purger_lock, &ts);
        }
        (void)pthread_mutex_unlock(&purger_lock);
        if (mk_registry_lock())
            continue;
        for (unsigned s = MEMKIND_NUM_BASE_KIND; s < MEMKIND_MAX_KIND; s++) {
            struct memkind *k = mk_registry_get(s);
            if (k && k->backing == MK_BACKING_FILE) {
                (void)mk_arena_flush_idle(k);
                (void)mk_arena_decay(k);
            }
        }
        mk_registry_unlock();
    }
    return NULL;
}

/* Starts the purger if needed and wakes it.  Failure only costs
 * promptness, never correctness, so it is logged and ignored. */
static void pmem_purger_start(void)
{
    (void)pthread_mutex_lock(&purger_lock);
    if (!purger_running) {
        pthread_t t;
        pthread_attr_t attr;
        sigset_t all, old;
        (void)pthread_attr_init(&attr);
        (void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* the purger must never take the application's signals */
        sigfillset(&all);
        (void)pthread_sigmask(SIG_SETMASK, &all, &old);
        if (pthread_create(&t, &attr, purger_main, NULL) == 0)
            purger_running = true;
        else
            mk_log_err("[memkind_pmem] cannot start the purger thread");
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
        (void)pthread_attr_destroy(&attr);
    }
    /* Only a parked purger needs waking: a running one finds the new kind
     * at its next sweep.  Waking it for every kind made it sweep during
     * each create and destroy, contending for their locks. */
    if (purger_parked)
        (void)pthread_cond_signal(&purger_cond);
    (void)pthread_mutex_unlock(&purger_lock);
}

void mk_pmem_purger_forget(void)
{
    /* Only the forking thread exists in the child: no lock is held by
     * anyone else, so reset state; the next memkind_create_pmem restarts. */
    purger_running = false;
    purger_parked = false;
    pthread_mutex_init(&purger_lock, NULL);
    pthread_cond_init(&purger_cond, NULL);
}
