// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_devdax.c - PMEM kinds backed by a Device DAX character device
 * (/dev/daxX.Y), beyond memkind 1.14 (which accepts directories only).
 *
 * memkind_create_pmem() comes here when its path is a character device whose
 * sysfs subsystem is "dax".  A device has no file system, so the kind differs
 * from a file-backed one (pmem.c) in four ways:
 *  - the device is mapped whole at creation (MAP_SHARED, at an address and
 *    length aligned to the device's own alignment: 4 KiB, 2 MiB or 1 GiB);
 *    carving then only hands out address ranges, nothing is fallocate()d;
 *  - its capacity is the device size: max_size 0 means all of it, a larger
 *    max_size than the device is refused;
 *  - freed memory stays with the kind: jemalloc reuses it, but it cannot go
 *    back to anyone else (no holes can be punched), so decommit always
 *    fails and fresh ranges are not assumed zero (the device keeps what an
 *    earlier user wrote);
 *  - a device backs one kind at a time (an advisory flock(LOCK_EX) on it,
 *    also across processes).
 * fork(): the kernel refuses MAP_PRIVATE views of a DAX device, so the child
 * copies the used part of the kind into its own anonymous memory and the
 * kind cannot grow in the child (see mk_pmem_devdax_postfork_child()).
 *
 * Everything else (hooks, limits, fork locking, destroy) is pmem.c's; this
 * file owns device detection, the initial mapping and the child's copy.
 */
#include "config.h"

#include <memkind/internal/memkind_pmem.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_util.h>

#include <memkind/internal/memkind_addrmap.h>

#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Alignment assumed when the kernel does not publish one (before 5.10). */
#define DEVDAX_DEFAULT_ALIGN ((size_t)2 << 20)

/* Reads the number in /sys/dev/char/MAJ:MIN/attr.  Returns 0 or -1. */
static int sysfs_number(dev_t rdev, const char *attr, unsigned long long *val)
{
    char path[96], buf[32];
    snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s", major(rdev),
             minor(rdev), attr);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *end;
    errno = 0;
    *val = strtoull(buf, &end, 0);
    return errno || end == buf ? -1 : 0;
}

/*
 * True when path is a Device DAX character device: S_ISCHR and its sysfs
 * node's subsystem is "dax" (bus/dax; class/dax on kernels before 5.1).
 * errno is left as it was.
 */
bool mk_pmem_is_devdax(const char *path)
{
    struct stat st;
    char link[96], target[PATH_MAX];
    int oerrno = errno;
    bool dax = false;
    if (path && stat(path, &st) == 0 && S_ISCHR(st.st_mode)) {
        snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/subsystem",
                 major(st.st_rdev), minor(st.st_rdev));
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            const char *name = strrchr(target, '/');
            dax = strcmp(name ? name + 1 : target, "dax") == 0;
        }
    }
    errno = oerrno;
    return dax;
}

/*
 * Opens the device p->dir, takes it for this kind and maps it into a fresh
 * reserved range.  Pre: p->max_size is the caller's limit (0 or at least
 * MEMKIND_PMEM_MIN_SIZE), p->fd == -1, p->base == NULL.  On success p->fd,
 * base, reserved, limit_off and max_size (0 becomes the device size) are
 * set and p->devdax is true.  On failure p->base is NULL and the caller's
 * pmem_free_priv() closes the device.
 * Returns 0 or MEMKIND_ERROR_INVALID (cannot open, busy, bad size or
 * alignment; errno says which), MEMKIND_ERROR_RUNTIME (sysfs unreadable) or
 * MEMKIND_ERROR_MMAP.
 */
int mk_pmem_devdax_map(struct memkind_pmem *p)
{
    const char *dev = p->dir;
    struct stat st;
    unsigned long long size, align;

    if (mk_fault_hit()) {
        errno = EMFILE;
        p->fd = -1;
    } else {
        p->fd = open(dev, O_RDWR | O_CLOEXEC);
    }
    if (p->fd < 0) {
        mk_log_perr("[memkind_pmem] cannot open %s", dev);
        return MEMKIND_ERROR_INVALID;
    }
    if (flock(p->fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            errno = EBUSY;
        mk_log_perr("[memkind_pmem] %s already backs another kind", dev);
        return MEMKIND_ERROR_INVALID;
    }
    if (fstat(p->fd, &st) != 0 ||
        sysfs_number(st.st_rdev, "size", &size) != 0) {
        mk_log_perr("[memkind_pmem] cannot read the size of %s", dev);
        return MEMKIND_ERROR_RUNTIME;
    }
    if (sysfs_number(st.st_rdev, "align", &align) != 0)
        align = DEVDAX_DEFAULT_ALIGN;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (align < page || (align & (align - 1)) || align > ((size_t)1 << 30) ||
        size < align || size % align || size > SIZE_MAX / 2) {
        errno = EINVAL;
        mk_log_err("[memkind_pmem] %s: unusable size %llu or alignment %llu",
                   dev, size, align);
        return MEMKIND_ERROR_INVALID;
    }
    if (p->max_size > size) {
        errno = EINVAL;
        mk_log_err("[memkind_pmem] max_size %zu exceeds the size of %s (%llu)",
                   p->max_size, dev, size);
        return MEMKIND_ERROR_INVALID;
    }
    if (!p->max_size)
        p->max_size = (size_t)size;
    /* Map whole alignment units; the limit still counts max_size exactly.
     * No rounding below can wrap: max_size <= size <= SIZE_MAX / 2, and
     * size is a multiple of align (checked above). */
    size_t maplen = mk_round_up(p->max_size, (size_t)align);
    size_t ralign = align > MK_GRANULE ? (size_t)align : MK_GRANULE;
    size_t reserved = mk_round_up(maplen, MK_GRANULE);
    void *a = NULL;
    int err =
        mk_fault_hit() ? ENOMEM : mk_os_reserve_aligned(reserved, ralign, &a);
    if (err) {
        errno = err;
        mk_log_perr("[memkind_pmem] cannot reserve address space for %s", dev);
        return MEMKIND_ERROR_MMAP;
    }
    err = mk_fault_hit() ? ENOMEM
                         : mk_os_map_fixed(a, maplen, PROT_READ | PROT_WRITE,
                                           MAP_SHARED, p->fd, 0);
    if (err) {
        errno = err;
        mk_log_perr("[memkind_pmem] cannot map %s", dev);
        (void)mk_os_unmap(a, reserved); /* p->base stays NULL: not set up */
        return MEMKIND_ERROR_MMAP;
    }
    mk_pmem_range_adopt(p, a, reserved); /* sets base and reserved */
    p->limit_off = mk_round_up(p->max_size, page);
    p->devdax = true;
    return 0;
}

/*
 * In a forked child, before any other thread exists, with p->pmem_lock and
 * every jemalloc lock held (no allocation; system calls and memcpy only): the
 * parent's device mapping is shared, so the child copies the carved part
 * into private anonymous memory and moves that over the kind's whole range
 * (a device mapping cannot be split at addresses that are not aligned to
 * the device: 1 GiB for some), then drops the device.  The kind keeps its
 * data but cannot grow in the child (fork_broken), and the child never
 * writes the device again.  Without memory for the copy the child's view
 * becomes read-only: a write faults instead of corrupting the parent's
 * heap.
 */
void mk_pmem_devdax_postfork_child(struct memkind_pmem *p)
{
    char *base = p->base;
    size_t carved = (size_t)p->offset;
    void *copy = NULL;
    int err = mk_fault_hit()
                  ? ENOMEM
                  : mk_os_map(NULL, p->reserved, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                              0, &copy);
    if (!err) {
        memcpy(copy, base, carved);
        err = mk_os_move(copy, p->reserved, base);
        if (err)
            (void)mk_os_unmap(copy, p->reserved);
    }
    if (!err) {
        /* Nothing is carved beyond this in the child: keep it unusable. */
        (void)mk_os_protect(base + carved, p->reserved - carved, PROT_NONE);
    } else if (!mk_fault_hit() &&
               mk_os_protect(base, p->reserved, PROT_READ) == 0) {
        mk_log_err("[memkind_pmem] no private copy of a Device DAX kind"
                   " after fork; it is read-only in the child");
    } else {
        /* A writable view of the parent's device must not survive. */
        mk_log_fatal("[memkind_pmem] cannot separate a forked child from "
                     "its parent's Device DAX heap; stopping the child");
        abort();
    }
    mk_os_close(p->fd);
    p->fd = -1;
    p->fork_broken = true;
}
