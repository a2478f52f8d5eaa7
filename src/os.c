// SPDX-License-Identifier: BSD-2-Clause
/*
 * os.c - the OS boundary (see os.h for the contract every function keeps:
 * 0 or a positive errno value, errno untouched, no allocation, no lock).
 *
 * Owns: the system calls that map, advise, protect, bind, allocate or
 * punch file blocks, make anonymous files and copy them, plus the machine
 * facts the rest of the library sizes itself by (page size, CPUs, address
 * width).  Does not own: what a mapping is for (the kinds), recording it
 * (src/addrmap.c), nor fault injection (call sites decide which step may
 * be made to fail).
 */
#include "config.h"

#include "os.h"

#include <memkind/internal/memkind_util.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/membarrier.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static size_t os_page_size = 4096;
static unsigned os_ncpus = 1;
static unsigned os_addr_bits = MK_OS_ADDR_BITS_MIN;

/* Result of a call that returns -1 with errno set: 0 or the errno value,
 * with errno put back to saved. */
static int os_result(int r, int saved)
{
    int err = r == 0 ? 0 : errno;
    errno = saved;
    return err;
}

/* Bits needed to write address a (its highest set bit + 1). */
static unsigned addr_width(uintptr_t a)
{
    return a ? (unsigned)(sizeof(a) * CHAR_BIT) - (unsigned)__builtin_clzl(a)
             : 0;
}

/*
 * The kernel gives addresses above 2^47 (x86_64 LA57) or 2^48 (arm64 with
 * 52-bit VA) only to a process that asks with a hint above that line, and
 * the stack of an arm64 process already lies just below 2^48.  So the
 * width is the widest of: 47, the stack address, and each probe that the
 * kernel placed at or above its hint.
 */
static unsigned probe_addr_bits(void)
{
    static const unsigned tries[] = {56, 52, 48};
    unsigned bits = MK_OS_ADDR_BITS_MIN;
    unsigned sp = addr_width((uintptr_t)__builtin_frame_address(0));
    if (sp > bits)
        bits = sp;
    for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
        uintptr_t hint = (uintptr_t)1 << (tries[i] - 1);
        void *p = mmap((void *)hint, os_page_size, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            continue;
        unsigned w = addr_width((uintptr_t)p);
        (void)munmap(p, os_page_size);
        if ((uintptr_t)p >= hint && w > bits)
            bits = w;
    }
    return bits > MK_OS_ADDR_BITS_MAX ? MK_OS_ADDR_BITS_MAX : bits;
}

void mk_os_init(void)
{
    int saved = errno;
    long ps = sysconf(_SC_PAGESIZE);
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    os_page_size = ps > 0 ? (size_t)ps : 4096;
    os_ncpus = nc > 0 ? (unsigned)nc : 1;
    os_addr_bits = probe_addr_bits();
#ifdef MK_FAULT_INJECTION
    /* Test-only: pretend a wider address space (the map must then be made
     * for it and handle addresses the kernel here would never give). */
    const char *fake = secure_getenv("MEMKIND_TEST_ADDR_BITS");
    if (fake) {
        long b = strtol(fake, NULL, 10);
        if (b >= (long)os_addr_bits && b <= MK_OS_ADDR_BITS_MAX)
            os_addr_bits = (unsigned)b;
    }
#endif
    errno = saved;
}

size_t mk_os_page_size(void)
{
    return os_page_size;
}

unsigned mk_os_ncpus(void)
{
    return os_ncpus;
}

unsigned mk_os_addr_bits(void)
{
    return os_addr_bits;
}

/* ------------------------------------------------------------ mappings */

int mk_os_map(void *addr, size_t len, int prot, int flags, int fd, off_t off,
              void **out)
{
    int saved = errno;
    void *p = mmap(addr, len, prot, flags & ~MAP_FIXED, fd, off);
    if (p == MAP_FAILED)
        return os_result(-1, saved);
    *out = p;
    return 0;
}

int mk_os_map_fixed(void *addr, size_t len, int prot, int flags, int fd,
                    off_t off)
{
    int saved = errno;
    void *p = mmap(addr, len, prot, flags | MAP_FIXED, fd, off);
    return os_result(p == MAP_FAILED ? -1 : 0, saved);
}

int mk_os_unmap(void *addr, size_t len)
{
    int saved = errno;
    return os_result(munmap(addr, len), saved);
}

void mk_os_trim(void *raw, size_t rawlen, void *keep, size_t keeplen)
{
    uintptr_t r = (uintptr_t)raw, k = (uintptr_t)keep;
    if (k > r)
        (void)mk_os_unmap(raw, k - r);
    if (k + keeplen < r + rawlen)
        (void)mk_os_unmap((void *)(k + keeplen), r + rawlen - (k + keeplen));
}

int mk_os_reserve_aligned(size_t len, size_t align, void **out)
{
    size_t req;
    void *raw = NULL;
    if (align < os_page_size)
        align = os_page_size;
    if (len == 0 || len > SIZE_MAX - align)
        return ENOMEM;
    req = len + align - os_page_size;
    int err =
        mk_os_map(NULL, req, PROT_NONE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0, &raw);
    if (err)
        return err;
    void *a = (void *)mk_round_up((uintptr_t)raw, align);
    mk_os_trim(raw, req, a, len);
    *out = a;
    return 0;
}

int mk_os_release_keep_range(void *addr, size_t len)
{
    return mk_os_map_fixed(addr, len, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}

int mk_os_advise(void *addr, size_t len, int advice)
{
    int saved = errno;
    return os_result(madvise(addr, len, advice), saved);
}

int mk_os_protect(void *addr, size_t len, int prot)
{
    int saved = errno;
    return os_result(mprotect(addr, len, prot), saved);
}

int mk_os_move(void *from, size_t len, void *to)
{
    int saved = errno;
    void *p = mremap(from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
    return os_result(p == MAP_FAILED ? -1 : 0, saved);
}

/* The system call itself, not libnuma's mbind() wrapper: that wrapper was
 * the library's only use of libnuma, and linking libnuma made every process
 * that loads libmemkind (every process of a program run with libmemtier)
 * pay libnuma's constructor - its sysfs and /proc reads - and one more
 * object to map and relocate: /bin/true took 1.2 ms of CPU alone, 2.0-2.4 ms
 * with libnuma preloaded (perf stat -r 200, this 2-CPU VM).  The arguments
 * and the result are the kernel's, as the wrapper passed them. */
int mk_os_mbind(void *addr, size_t len, int mode, const unsigned long *mask,
                unsigned long maxnode)
{
    int saved = errno;
    return os_result(
        (int)syscall(SYS_mbind, addr, len, mode, mask, maxnode, 0u), saved);
}

/* The system call itself, for the reason mk_os_mbind gives. */
int mk_os_page_nodes(unsigned long n, void **pages, int *status)
{
    int saved = errno;
    return os_result((int)syscall(SYS_move_pages, 0, n, pages, NULL, status, 0),
                     saved);
}

/* --------------------------------------------------------------- files */

int mk_os_alloc_blocks(int fd, off_t off, size_t len)
{
    int saved = errno;
    return os_result(fallocate(fd, 0, off, (off_t)len), saved);
}

int mk_os_punch_hole(int fd, off_t off, size_t len)
{
    int saved = errno;
    return os_result(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                               off, (off_t)len),
                     saved);
}

int mk_os_fs_space(int fd, size_t *avail, size_t *total)
{
    struct statvfs st;
    int saved = errno;
    int err = os_result(fstatvfs(fd, &st), saved);
    if (!err) {
        *avail = (size_t)st.f_bavail * st.f_frsize;
        *total = (size_t)st.f_blocks * st.f_frsize;
    }
    return err;
}

int mk_os_read_text(const char *path, char *buf, size_t cap)
{
    int saved = errno;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return os_result(-1, saved);
    size_t n = 0;
    while (n < cap - 1) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    (void)close(fd); /* read-only: nothing to lose */
    buf[n] = '\0';
    errno = saved;
    return 0;
}

bool mk_os_meminfo_bytes(const char *text, const char *key, size_t *out)
{
    const char *p = strstr(text, key);
    if (!p)
        return false;
    p += strlen(key);
    while (*p == ' ' || *p == ':')
        p++;
    if (*p < '0' || *p > '9')
        return false;
    size_t kb = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (kb > (SIZE_MAX >> 10) / 10)
            return false;
        kb = kb * 10 + (size_t)(*p - '0');
    }
    *out = kb << 10;
    return true;
}

int mk_os_mem_available(size_t *avail, size_t *total)
{
    /* MemTotal, MemFree and MemAvailable are its first three lines. */
    char buf[512];
    int err = mk_os_read_text("/proc/meminfo", buf, sizeof(buf));
    if (err)
        return err;
    return mk_os_meminfo_bytes(buf, "MemAvailable", avail) &&
                   mk_os_meminfo_bytes(buf, "MemTotal", total)
               ? 0
               : ENOENT;
}

int mk_os_mem_free(size_t *free_bytes, size_t *total)
{
    struct sysinfo si;
    int saved = errno;
    int err = os_result(sysinfo(&si), saved);
    if (!err) {
        size_t unit = si.mem_unit ? si.mem_unit : 1;
        *free_bytes = (size_t)si.freeram * unit;
        *total = (size_t)si.totalram * unit;
    }
    return err;
}

int mk_os_fs_size(const char *path, size_t *size)
{
    struct statvfs st;
    int saved = errno;
    int err = os_result(statvfs(path, &st), saved);
    if (!err)
        *size = (size_t)st.f_blocks * st.f_frsize;
    return err;
}

int mk_os_open_tmpfile(const char *dir, int *fd)
{
    int saved = errno;
    int f = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (f < 0)
        return os_result(-1, saved);
    *fd = f;
    return 0;
}

bool mk_os_tmpfile_unsupported(int err)
{
    return err == EOPNOTSUPP || err == EISDIR || err == EINVAL || err == ENOENT;
}

int mk_os_open_unlinked(const char *dir, int *fd)
{
    char path[PATH_MAX];
    int saved = errno;
    int n = snprintf(path, sizeof(path), "%s/memkind.XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof(path))
        return ENAMETOOLONG;
    int f = mkostemp(path, O_CLOEXEC);
    if (f < 0)
        return os_result(-1, saved);
    (void)unlink(path);
    (void)fchmod(f, 0600);
    errno = saved;
    *fd = f;
    return 0;
}

void mk_os_close(int fd)
{
    int saved = errno;
    (void)close(fd);
    errno = saved;
}

int mk_os_file_size(int fd, off_t *size)
{
    int saved = errno;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return os_result(-1, saved);
    *size = st.st_size;
    return 0;
}

int mk_os_truncate(int fd, off_t len)
{
    int saved = errno;
    return os_result(ftruncate(fd, len), saved);
}

/* cachestat(2): its number is the same on every architecture (the unified
 * syscall table); Debian 12's headers predate it. */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
struct os_cachestat_range {
    uint64_t off, len;
};
struct os_cachestat {
    uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

int mk_os_file_clean(int fd, off_t len, bool *clean)
{
    int saved = errno;
    struct os_cachestat_range r = {0, (uint64_t)len};
    struct os_cachestat cs;
    memset(&cs, 0, sizeof(cs));
    if (syscall(__NR_cachestat, fd, &r, &cs, 0) != 0)
        return os_result(-1, saved);
    *clean = cs.nr_dirty == 0 && cs.nr_writeback == 0;
    return 0;
}

int mk_os_clone_file(int from, int to)
{
    int saved = errno;
    return os_result(ioctl(to, FICLONE, from), saved);
}

int mk_os_next_data(int fd, off_t off, off_t end, off_t *start, off_t *stop)
{
    int saved = errno;
    off_t d = lseek(fd, off, SEEK_DATA);
    if (d < 0)
        return os_result(-1, saved);
    if (d >= end) {
        errno = saved;
        return ENXIO;
    }
    off_t h = lseek(fd, d, SEEK_HOLE);
    if (h < 0)
        return os_result(-1, saved);
    *start = d;
    *stop = h < end ? h : end;
    errno = saved;
    return 0;
}

int mk_os_extents(int fd, off_t end,
                  int (*fn)(void *arg, off_t off, size_t len), void *arg)
{
    enum
    {
        BATCH = 32
    };
    /* Room for the header and BATCH extents; a union, because a struct
     * with a flexible array member cannot be followed by more members. */
    union {
        struct fiemap map;
        unsigned char
            room[sizeof(struct fiemap) + BATCH * sizeof(struct fiemap_extent)];
    } buf;
    int saved = errno;
    uint64_t pos = 0;
    while (pos < (uint64_t)end) {
        memset(&buf, 0, sizeof(buf));
        buf.map.fm_start = pos;
        buf.map.fm_length = (uint64_t)end - pos;
        buf.map.fm_extent_count = BATCH;
        if (ioctl(fd, FS_IOC_FIEMAP, &buf.map) != 0)
            return os_result(-1, saved);
        if (buf.map.fm_mapped_extents == 0)
            break;
        bool last = false;
        for (unsigned i = 0; i < buf.map.fm_mapped_extents; i++) {
            struct fiemap_extent *e = &buf.map.fm_extents[i];
            uint64_t a = e->fe_logical, b = a + e->fe_length;
            if (a < pos)
                a = pos;
            if (b > (uint64_t)end)
                b = (uint64_t)end;
            if (b > a && (e->fe_flags & FIEMAP_EXTENT_UNWRITTEN)) {
                int r = fn(arg, (off_t)a, (size_t)(b - a));
                if (r) {
                    errno = saved;
                    return r;
                }
            }
            pos = e->fe_logical + e->fe_length;
            last = last || (e->fe_flags & FIEMAP_EXTENT_LAST);
        }
        if (last)
            break;
    }
    errno = saved;
    return 0;
}

int mk_os_copy_range(int from, int to, off_t off, size_t len)
{
    int saved = errno;
    off_t in = off, out = off;
    while (len) {
        ssize_t n = copy_file_range(from, &in, to, &out, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EIO; /* the source ended early */
        if (n <= 0)
            return os_result(-1, saved);
        len -= (size_t)n;
    }
    errno = saved;
    return 0;
}

int mk_os_write_at(int fd, const void *buf, size_t len, off_t off)
{
    int saved = errno;
    const char *p = buf;
    while (len) {
        /* Linux moves at most about 2 GiB per call. */
        size_t n = len < ((size_t)1 << 30) ? len : ((size_t)1 << 30);
        ssize_t w = pwrite(fd, p, n, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w == 0)
            errno = EIO;
        if (w <= 0)
            return os_result(-1, saved);
        p += w;
        off += w;
        len -= (size_t)w;
    }
    errno = saved;
    return 0;
}

int mk_os_pipe(int fds[2])
{
    int saved = errno;
    return os_result(pipe2(fds, O_CLOEXEC), saved);
}

int mk_os_signal_fd(int fd)
{
    int saved = errno;
    char b = 1;
    ssize_t w;
    do
        w = write(fd, &b, 1);
    while (w < 0 && errno == EINTR);
    return os_result(w == 1 ? 0 : -1, saved);
}

int mk_os_wait_fd(int fd, int timeout_ms)
{
    int saved = errno;
    struct pollfd pfd = {fd, POLLIN, 0};
    int r;
    do
        r = poll(&pfd, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return os_result(-1, saved);
    errno = saved;
    return r == 0 ? ETIMEDOUT : 0;
}

/* --------------------------------------------------------------- misc */

int mk_os_membarrier(void)
{
    static int state; /* 0: not tried, 1: registered, else the error */
    int saved = errno;
    if (state == 0) {
        long q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0);
        if (q < 0 || !(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
            state = q < 0 ? errno : ENOSYS;
        else if (syscall(__NR_membarrier,
                         MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0) != 0)
            state = errno;
        else
            state = 1;
        errno = saved;
    }
    if (state != 1)
        return state;
    return os_result(
        (int)syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0),
        saved);
}
