// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_fork.c - what a forked child gets of each PMEM kind.
 *
 * Owns: the private copy of a file kind's carved range made for the child
 * (a new anonymous file in the same directory, its data extents copied),
 * and the child's remap of the range onto that copy.  Called by the fork
 * protocol (src/fork.c) with every lock ranked below MK_RANK_PMEM held,
 * jemalloc's mutexes included: nothing here allocates (system calls,
 * through the OS boundary, and a stack buffer only).
 *
 * Does not own: the order of the fork handlers (fork.c), the Device DAX
 * child (pmem_devdax.c).  So parent and child never share heap pages
 * (memkind 1.14 shared them).
 */
#include "config.h"

#include <memkind/internal/memkind_pmem.h>

#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_log.h>

#include "os.h"

#include <errno.h>
#include <sys/mman.h>

/* An anonymous file in dir without allocating.  Returns the fd or -1. */
static int open_copy(const char *dir)
{
    int fd = -1;
    int err = mk_os_open_tmpfile(dir, &fd);
    if (err && mk_os_tmpfile_unsupported(err))
        err = mk_os_open_unlinked(dir, &fd);
    return err ? -1 : fd;
}

/* Takes the kind's lock (released after fork) and, for a file, copies the
 * carved part into p->fork_fd for the child (-1 when it cannot). */
void mk_pmem_prefork(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    if (!p || p->fork_broken)
        return;
    mk_mutex_lock(&p->pmem_lock, MK_RANK_PMEM);
    p->fork_fd = p->devdax ? -1 : open_copy(p->dir);
    if (p->fork_fd >= 0 &&
        mk_os_copy_data(p->fd, p->fork_fd, (size_t)p->offset)) {
        mk_os_close(p->fork_fd);
        p->fork_fd = -1;
    }
}

void mk_pmem_postfork_parent(struct memkind *kind)
{
    struct memkind_pmem *p = kind->priv;
    if (!p || p->fork_broken)
        return;
    if (p->fork_fd >= 0)
        mk_os_close(p->fork_fd);
    p->fork_fd = -1;
    mk_mutex_unlock(&p->pmem_lock, MK_RANK_PMEM);
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
    if (p->devdax) {
        mk_pmem_devdax_postfork_child(p); /* no MAP_PRIVATE on a device */
    } else if (p->offset == 0) {
        /* nothing mapped yet: the copy is just a fresh empty file */
    } else if (p->fork_fd < 0 ||
               mk_os_map_fixed(p->base, (size_t)p->offset,
                               PROT_READ | PROT_WRITE, MAP_SHARED, p->fork_fd,
                               0) != 0) {
        (void)mk_os_map_fixed(p->base, (size_t)p->offset,
                              PROT_READ | PROT_WRITE, MAP_PRIVATE, p->fd, 0);
        p->fork_broken = true;
        mk_log_err("[memkind_pmem] no private copy of a PMEM kind after fork;"
                   " it is read-only to new allocations in the child");
    }
    if (!p->fork_broken && p->fork_fd >= 0) {
        mk_os_close(p->fd);
        p->fd = p->fork_fd;
    } else if (p->fork_fd >= 0) {
        mk_os_close(p->fork_fd);
    }
    p->fork_fd = -1;
    mk_mutex_unlock(&p->pmem_lock, MK_RANK_PMEM);
}
