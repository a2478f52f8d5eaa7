// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_fork.c - what a forked child gets of each PMEM kind.
 *
 * Owns: the three modes of MEMKIND_PMEM_FORK (memkind(3), memkind_pmem(3)):
 *
 *   copy (default)  the child gets a private copy of each kind's heap: a
 *                   new anonymous file in the kind's directory, mapped over
 *                   the kind's range in the child;
 *   none            the child gets nothing (the ranges are MADV_DONTFORK
 *                   for the fork; the child keeps them reserved, PROT_NONE):
 *                   for programs that fork only to exec;
 *   shared          memkind 1.14's behaviour: parent and child share the
 *                   file, and both hand out the same addresses.
 *
 * How "copy" keeps fork() short.  The old scheme copied every file with
 * copy_file_range() in the prepare handler, with every allocator lock held:
 * 4 to 6 s for 2 GiB, every allocating thread of the parent stalled.  Now
 * the child makes its own copy, in its fork handler, before fork() returns
 * to it, from the parent's file (the data moves at
 * memory speed with copy_file_range (pwrite from the mapping where the
 * kernel cannot), only the ranges that hold data; the blocks
 * of committed but unwritten ranges are allocated in the copy from FIEMAP,
 * so the child keeps the "no SIGBUS" reservation where the file system
 * reports them).  Where the file system can share blocks (XFS, btrfs) and
 * no page is dirty (cachestat), the copy is a clone instead (FICLONE):
 * milliseconds at any size.  The parent's forking thread waits for the
 * child (a pipe it reads after releasing every lock), so its own writes
 * after fork() never reach the child's copy; the parent's other threads
 * keep allocating meanwhile.
 *
 * The window that remains, and why: while the child copies, other threads
 * of the parent run, so a write they make to an object that was live at
 * fork() may or may not reach the child (a snapshot of the heap taken page
 * by page, not at one instant).  Closing it would need every other thread
 * stopped for the copy, which is the stall this design removes.  Such a
 * write races with fork() in the program anyway.  What the parent's other
 * threads cannot do meanwhile is give file blocks back: the decommit hook
 * refuses while any child copies (mk_pmem_fork_copying()), so a block the
 * child still has to read is never punched (jemalloc keeps such a range
 * committed and purges it later).
 *
 * If no pipe can be made (no file descriptor left), the parent copies in
 * its prepare handler as before: slow, but the child is still private.
 *
 * Called by the fork protocol (src/fork.c) with every lock ranked below
 * MK_RANK_PMEM held, jemalloc's mutexes included: nothing here allocates
 * (system calls through the OS boundary and stack buffers only).  The
 * child runs alone, so its copy may take as long as the data needs.
 *
 * Does not own: the order of the fork handlers (fork.c), the Device DAX
 * copy itself (pmem_devdax.c, called from here).
 */
#include "config.h"

#include <memkind/internal/memkind_pmem.h>

#include <memkind/internal/memkind_env.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_log.h>

#include "os.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

/* How long the forking thread waits for its child's copy before it gives
 * up waiting (a child stopped by a debugger, say) and returns from fork(). */
#define FORK_WAIT_MS 60000

/* What this fork does for one kind (memkind_pmem.fork_how). */
enum
{
    FORK_NOTHING = 0,   /* shared mode, or a kind with nothing carved */
    FORK_CHILD_COPIES,  /* copy mode: the child makes its copy */
    FORK_PARENT_COPIED, /* copy mode, no pipe: fork_fd is the copy */
    FORK_NOT_INHERITED, /* none mode: the range is MADV_DONTFORK */
};

/* Forks whose children are still copying (decommit waits for zero). */
static MK_FORK_PAGE atomic_int copying;

/* The fork in progress, from prepare to the handlers after fork(); only
 * the forking thread touches them (it holds the registry lock meanwhile). */
static MK_FORK_PAGE int sync_fds[2] = {-1, -1};
static MK_FORK_PAGE bool sync_failed;

/* Read ends the parent's forking threads still wait on, each stored as
 * fd + 1 (0: free).  A child forked meanwhile by another thread inherits
 * them and closes them. */
#define MAX_WAITERS 16
static MK_FORK_PAGE atomic_int waiters[MAX_WAITERS];

bool mk_pmem_fork_copying(void)
{
    return atomic_load_explicit(&copying, memory_order_acquire) != 0;
}

static enum mk_pmem_fork_mode fork_mode(void)
{
    return mk_env_get()->pmem_fork;
}

/* An anonymous file in dir without allocating.  Returns the fd or -1. */
static int open_copy(const char *dir)
{
    int fd = -1;
    int err = mk_fault_hit() ? EMFILE : mk_os_open_tmpfile(dir, &fd);
    if (err && mk_os_tmpfile_unsupported(err))
        err = mk_os_open_unlinked(dir, &fd);
    return err ? -1 : fd;
}

/* The carved part of range i: file offsets [foff, carved), and short of the
 * next range's first offset (the tail of a range left for a new one holds
 * nothing, and its offsets may be the next range's). */
static size_t carved_in(const struct memkind_pmem *p, unsigned i, off_t carved)
{
    const struct mk_pmem_range *r = &p->ranges[i];
    if (i + 1 < p->nranges && p->ranges[i + 1].foff < carved)
        carved = p->ranges[i + 1].foff;
    if (carved <= r->foff)
        return 0;
    size_t n = (size_t)(carved - r->foff);
    return n < r->len ? n : r->len;
}

/* madvise(advice) over every range; on failure the ranges done are given
 * `undo`.  Returns 0 or an errno value. */
static int advise_ranges(struct memkind_pmem *p, int advice, int undo)
{
    for (unsigned i = 0; i < p->nranges; i++) {
        int err = mk_os_advise(p->ranges[i].base, p->ranges[i].len, advice);
        if (err) {
            while (i-- > 0)
                (void)mk_os_advise(p->ranges[i].base, p->ranges[i].len, undo);
            return err;
        }
    }
    return 0;
}

/* Writes file offsets [a, a + len) of the kind from its mapping to `to`
 * (the pieces may lie in different ranges).  Returns 0 or an errno value. */
static int write_from_mapping(struct memkind_pmem *p, int to, off_t a,
                              size_t len)
{
    while (len) {
        size_t contig;
        char *src = mk_pmem_addr_of(p, a, &contig);
        if (!src)
            return EFAULT; /* a skipped offset between ranges: a hole */
        size_t n = contig < len ? contig : len;
        int err = mk_os_write_at(to, src, n, a);
        if (err)
            return err;
        a += (off_t)n;
        len -= n;
    }
    return 0;
}

static int reserve_extent(void *arg, off_t off, size_t len)
{
    return mk_os_alloc_blocks(*(int *)arg, off, len);
}

/*
 * Makes file `to` a copy of what the kind holds in [0, p->offset): a clone
 * where the file system shares blocks and no page is dirty, otherwise the
 * committed but never written extents allocated (FIEMAP_EXTENT_UNWRITTEN;
 * tmpfs has no FIEMAP, so there only the written ranges end up allocated)
 * and the data ranges copied.  Extents that hold data are not allocated
 * first: the copy allocates them as it writes, and fallocating them before
 * made ext4 write 2 GiB into unwritten extents (7 s instead of 1 s).
 * Works in the parent (the fallback) and in the child.
 * Returns 0 or an errno value.
 */
static int snapshot(struct memkind_pmem *p, int to)
{
    off_t carved = p->offset, size = 0;
    if (mk_fault_hit())
        return EIO;
    int err = mk_os_file_size(p->fd, &size);
    if (err)
        return err;
    off_t end = size < carved ? size : carved; /* never read past EOF */
    bool clean = false;
    if (mk_os_file_clean(p->fd, end, &clean) == 0 && clean &&
        mk_os_clone_file(p->fd, to) == 0)
        return mk_os_truncate(to, carved > size ? carved : size);
    err = mk_os_truncate(to, carved);
    if (err)
        return err;
    err = mk_fault_hit() ? ENOSPC
                         : mk_os_extents(p->fd, end, reserve_extent, &to);
    if (err && err != EOPNOTSUPP && err != ENOTTY)
        return err;
    off_t pos = 0, a, b;
    bool in_kernel = true;
    while (pos < end && (err = mk_os_next_data(p->fd, pos, end, &a, &b)) == 0) {
        size_t len = (size_t)(b - a);
        err = mk_fault_hit() ? EIO : 0;
        if (!err) {
            err = in_kernel ? mk_os_copy_range(p->fd, to, a, len) : ENOSYS;
            if (err == EXDEV || err == EOPNOTSUPP || err == EINVAL ||
                err == ENOSYS) {
                /* No copy_file_range here: from the mapping instead. */
                in_kernel = false;
                err = write_from_mapping(p, to, a, len);
            }
        }
        if (err)
            return err;
        pos = b;
    }
    return err == ENXIO ? 0 : err;
}

/* Creates the pipe the child signals on; false when it cannot (the parent
 * then copies in prepare).  Once per fork. */
static bool sync_prepare(void)
{
    if (sync_fds[0] >= 0)
        return true;
    if (sync_failed)
        return false;
    int err = mk_fault_hit() ? EMFILE : mk_os_pipe(sync_fds);
    if (err) {
        sync_fds[0] = sync_fds[1] = -1;
        sync_failed = true;
        return false;
    }
    atomic_fetch_add_explicit(&copying, 1, memory_order_acq_rel);
    return true;
}

/* Takes the kind's lock (released after fork) and decides what this fork
 * does for it. */
void mk_pmem_prefork(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    if (!p || p->fork_broken)
        return;
    mk_mutex_lock(&p->pmem_lock, MK_RANK_PMEM);
    p->fork_how = FORK_NOTHING;
    switch (fork_mode()) {
        case MK_PMEM_FORK_SHARED:
            return;
        case MK_PMEM_FORK_NONE:
            if (advise_ranges(p, MADV_DONTFORK, MADV_DOFORK) == 0) {
                p->fork_how = FORK_NOT_INHERITED;
                return;
            }
            break; /* no DONTFORK: give the child a copy instead */
        case MK_PMEM_FORK_COPY:
            break;
    }
    if (p->offset == 0)
        return; /* nothing carved: the child starts the kind anew */
    if (sync_prepare()) {
        p->fork_how = FORK_CHILD_COPIES;
        return;
    }
    /* No pipe: the parent copies now, with every lock held (slow). */
    p->fork_fd = p->devdax ? -1 : open_copy(p->dir);
    if (p->fork_fd >= 0 && snapshot(p, p->fork_fd) != 0) {
        mk_os_close(p->fork_fd);
        p->fork_fd = -1;
    }
    p->fork_how = p->devdax ? FORK_CHILD_COPIES : FORK_PARENT_COPIED;
}

void mk_pmem_postfork_parent(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    if (!p || p->fork_broken)
        return;
    if (p->fork_how == FORK_NOT_INHERITED)
        (void)advise_ranges(p, MADV_DOFORK, MADV_DOFORK);
    if (p->fork_fd >= 0)
        mk_os_close(p->fork_fd);
    p->fork_fd = -1;
    p->fork_how = FORK_NOTHING;
    mk_mutex_unlock(&p->pmem_lock, MK_RANK_PMEM);
}

/*
 * The child could not get a private copy of the carved file offsets
 * [0, carved): it must never write the parent's file.  A private
 * (copy-on-write) view of the file keeps the data readable; failing that the
 * range becomes inaccessible; failing that too the child stops here, because
 * going on would let it corrupt its parent's heap.  The kind cannot grow or
 * give space back in the child any more (fork_broken).
 */
static void child_without_copy(struct memkind_pmem *p, off_t carved)
{
    p->fork_broken = true;
    int err = mk_fault_hit() ? ENOMEM : 0;
    for (unsigned i = 0; !err && i < p->nranges; i++) {
        struct mk_pmem_range *r = &p->ranges[i];
        size_t len = carved_in(p, i, carved);
        if (len)
            err = mk_os_map_fixed(r->base, len, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE, p->fd, r->foff);
    }
    if (!err) {
        mk_log_err("[memkind_pmem] no private copy of a PMEM kind after "
                   "fork: the child sees a copy-on-write view of the "
                   "parent's file and cannot allocate from the kind");
        return;
    }
    err = mk_fault_hit() ? ENOMEM : 0;
    for (unsigned i = 0; !err && i < p->nranges; i++)
        err = mk_os_protect(p->ranges[i].base, p->ranges[i].len, PROT_NONE);
    if (!err) {
        mk_log_err("[memkind_pmem] no private copy of a PMEM kind after "
                   "fork: its memory is inaccessible in the child");
        return;
    }
    mk_log_fatal("[memkind_pmem] cannot separate a forked child from its "
                 "parent's PMEM heap; stopping the child");
    abort();
}

/* Maps the child's copy `fd` over the carved part of every range.  Returns
 * 0 or an errno value (the child then falls back to child_without_copy(),
 * which maps over every range again). */
static int map_copy(struct memkind_pmem *p, int fd, off_t carved)
{
    for (unsigned i = 0; i < p->nranges; i++) {
        struct mk_pmem_range *r = &p->ranges[i];
        size_t len = carved_in(p, i, carved);
        if (!len)
            continue;
        int err = mk_pmem_map_file(r->base, len, fd, r->foff);
        if (err)
            return err;
    }
    return 0;
}

/* The child's side of each mode; see the file comment. */
void mk_pmem_postfork_child(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    if (!p || p->fork_broken)
        return;
    off_t carved = p->offset;
    switch (p->fork_how) {
        case FORK_NOTHING:
            /* Shared mode: the file is the parent's too.  The child's frees
             * (and its purger) must never punch it: a range free in the
             * child's copy of jemalloc's metadata may be live in the
             * parent's. */
            if (fork_mode() == MK_PMEM_FORK_SHARED)
                p->fork_shared = true;
            break;
        case FORK_NOT_INHERITED:
            /* The range is gone: keep its addresses taken (they are in the
             * address map and jemalloc's metadata) and inaccessible. */
            p->fork_broken = true;
            for (unsigned i = 0; i < p->nranges; i++)
                if (mk_os_map_fixed(p->ranges[i].base, p->ranges[i].len,
                                    PROT_NONE,
                                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                                    -1, 0) != 0)
                    mk_log_err("[memkind_pmem] cannot reserve a PMEM kind's "
                               "range again in a forked child");
            break;
        case FORK_CHILD_COPIES:
        case FORK_PARENT_COPIED:
            if (p->devdax) {
                mk_pmem_devdax_postfork_child(p); /* no MAP_PRIVATE there */
                break;
            }
            int fd = p->fork_fd;
            p->fork_fd = -1;
            if (p->fork_how == FORK_CHILD_COPIES) {
                fd = open_copy(p->dir);
                if (fd >= 0 && snapshot(p, fd) != 0) {
                    mk_os_close(fd);
                    fd = -1;
                }
            }
            if (fd >= 0 && (mk_fault_hit() || map_copy(p, fd, carved))) {
                mk_os_close(fd);
                fd = -1;
            }
            if (fd < 0) {
                child_without_copy(p, carved);
            } else {
                mk_os_close(p->fd);
                p->fd = fd;
            }
            break;
    }
    p->fork_how = FORK_NOTHING;
    mk_mutex_unlock(&p->pmem_lock, MK_RANK_PMEM);
}

/* Parent, first thing after fork(), every lock still held: the write end
 * goes (so that a child that dies unsignalled reads as EOF) and the read
 * end is listed for children of concurrent forks to close. */
void mk_pmem_fork_parent_begin(void)
{
    /* Written only when they change: after fork() each first write to a
     * page costs a copy (memkind_lock.h, MK_FORK_PAGE), and a process with
     * no PMEM kind has nothing to reset here. */
    if (sync_failed)
        sync_failed = false;
    if (sync_fds[1] >= 0) {
        mk_os_close(sync_fds[1]);
        sync_fds[1] = -1;
    }
    if (sync_fds[0] < 0)
        return;
    for (unsigned i = 0; i < MAX_WAITERS; i++) {
        int free_slot = 0;
        if (atomic_compare_exchange_strong(&waiters[i], &free_slot,
                                           sync_fds[0] + 1))
            break;
    }
}

/* Parent, last thing, no lock held: waits for the child's copies. */
void mk_pmem_fork_parent_wait(void)
{
    int r = sync_fds[0];
    sync_fds[0] = -1;
    if (r < 0)
        return;
    if (mk_os_wait_fd(r, FORK_WAIT_MS) != 0)
        mk_log_err("[memkind_pmem] a forked child did not finish copying "
                   "its PMEM kinds in %d ms; not waiting any longer",
                   FORK_WAIT_MS);
    for (unsigned i = 0; i < MAX_WAITERS; i++) {
        int mine = r + 1;
        if (atomic_compare_exchange_strong(&waiters[i], &mine, 0))
            break;
    }
    mk_os_close(r);
    atomic_fetch_sub_explicit(&copying, 1, memory_order_acq_rel);
}

/* Child, after every kind's copy: tells the parent, and drops the
 * descriptors that belong to the parent's other forks. */
void mk_pmem_fork_child_done(void)
{
    /* Each store only when the value changes (see parent_begin). */
    if (sync_failed)
        sync_failed = false;
    if (sync_fds[1] >= 0) {
        (void)mk_os_signal_fd(sync_fds[1]);
        mk_os_close(sync_fds[1]);
        sync_fds[1] = -1;
    }
    if (sync_fds[0] >= 0) {
        mk_os_close(sync_fds[0]);
        sync_fds[0] = -1;
    }
    for (unsigned i = 0; i < MAX_WAITERS; i++) {
        /* only this thread exists in the child: load, then exchange */
        if (atomic_load_explicit(&waiters[i], memory_order_relaxed) == 0)
            continue;
        int v = atomic_exchange(&waiters[i], 0);
        if (v > 0)
            mk_os_close(v - 1);
    }
    if (atomic_load_explicit(&copying, memory_order_relaxed) != 0)
        atomic_store(&copying, 0); /* the child has no copying children */
}
