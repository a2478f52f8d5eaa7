// SPDX-License-Identifier: BSD-2-Clause
/*
 * os.h - the OS boundary: every mapping, advice, block allocation, hole
 * punching, NUMA binding and anonymous-file call the library makes goes
 * through these functions (src/os.c), so each primitive has one contract
 * and one place where its portability and its failure modes are handled.
 *
 * Return convention, for every function here unless it says otherwise:
 * 0 on success or the positive errno value of the failure, and errno
 * itself is left as it was on entry.  Callers on free paths (which must
 * not change errno) need no save/restore; callers that must report errno
 * set it from the returned value.
 *
 * None of these functions allocates (through jemalloc or libc) or takes a
 * lock, so they may be called from extent hooks, under any library lock
 * and from fork handlers.  Fault points (mk_fault_hit) stay at the call
 * sites, where a test can name the step that fails.
 *
 * Not here: jemalloc's own mmap/munmap/madvise/sbrk, which arrive renamed
 * at src/addrmap.c (they must record DEFAULT memory) and call these.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// Widest user address width the address map supports (LA57 / 52-bit VA).
#define MK_OS_ADDR_BITS_MAX 57
/// Narrowest: x86_64's classic 47-bit user space.
#define MK_OS_ADDR_BITS_MIN 47

/*
 * Reads the machine's facts once: page size, online CPUs and the width of
 * user addresses (the highest address the process can be given: the
 * stack's, or a mapping placed at a hint above 2^47 on kernels that hand
 * out such addresses on request, as LA57 x86_64 and 52-bit arm64 do).
 * Instrumented builds (MK_FAULT_INJECTION) accept MEMKIND_TEST_ADDR_BITS to
 * pretend a wider space, so the map's handling of high addresses is tested
 * on any machine.  Called once, before the address map is made.
 */
void mk_os_init(void);
/// Base page size in bytes (4, 16 or 64 KiB); valid after mk_os_init().
size_t mk_os_page_size(void);
/// Online CPUs, at least 1; valid after mk_os_init().
unsigned mk_os_ncpus(void);
/// Bits of user address space, MK_OS_ADDR_BITS_MIN..MAX.
unsigned mk_os_addr_bits(void);

/// mmap(2) with the kernel choosing the place (addr is a hint only).
/// On success *out is the mapping.
int mk_os_map(void *addr, size_t len, int prot, int flags, int fd, off_t off,
              void **out);
/// mmap(2) with MAP_FIXED at addr (replaces what was there).
int mk_os_map_fixed(void *addr, size_t len, int prot, int flags, int fd,
                    off_t off);
/// munmap(2).
int mk_os_unmap(void *addr, size_t len);
/// Unmaps the parts of [raw, raw+rawlen) outside [keep, keep+keeplen),
/// which must lie inside it (aligned mappings are made by over-mapping).
/// Failures to unmap the slack are ignored: they only cost address space.
void mk_os_trim(void *raw, size_t rawlen, void *keep, size_t keeplen);
/// Reserves len bytes of inaccessible address space (PROT_NONE,
/// MAP_NORESERVE) aligned to align (a power of two >= the page size).
int mk_os_reserve_aligned(size_t len, size_t align, void **out);
/// Replaces [addr, addr+len) by an inaccessible reservation: its pages are
/// freed but the range stays taken (no other mapping can land there).
int mk_os_release_keep_range(void *addr, size_t len);
/// madvise(2).
int mk_os_advise(void *addr, size_t len, int advice);
/// mprotect(2).
int mk_os_protect(void *addr, size_t len, int prot);
/// mremap(2) of [from, +len) onto [to, +len), MREMAP_MAYMOVE|MREMAP_FIXED.
int mk_os_move(void *from, size_t len, void *to);
/// mbind(2) of [addr, addr+len) with mode over the maxnode bits of mask.
int mk_os_mbind(void *addr, size_t len, int mode, const unsigned long *mask,
                unsigned long maxnode);
/// move_pages(2) of this process in query mode (no nodes): the node of
/// each of the n pages in status[] (or a negative errno value per page).
int mk_os_page_nodes(unsigned long n, void **pages, int *status);

/// Allocates the file blocks of [off, off+len) (fallocate mode 0): writes
/// into the range can then not fail with SIGBUS for lack of space.
int mk_os_alloc_blocks(int fd, off_t off, size_t len);
/// Gives the blocks of [off, off+len) back (punches a hole, size kept).
int mk_os_punch_hole(int fd, off_t off, size_t len);
/// Free space of fd's file system (what an unprivileged writer may still
/// allocate) and its total size, in bytes (fstatvfs).
int mk_os_fs_space(int fd, size_t *avail, size_t *total);
/// Contents of the (small, text) file at path into buf, NUL-terminated and
/// cut at cap - 1 bytes (cap >= 1): sysfs and /proc files.
int mk_os_read_text(const char *path, char *buf, size_t cap);
/// The value of "key:   N kB" (also "Node 0 key: N kB") in a meminfo text,
/// in bytes.  Pure; false when the key is absent or has no number.
bool mk_os_meminfo_bytes(const char *text, const char *key, size_t *out);
/// The system's MemAvailable and MemTotal, in bytes, from /proc/meminfo
/// (read into a stack buffer).  ENOENT when the file or a field is missing.
int mk_os_mem_available(size_t *avail, size_t *total);
/// The system's free (never used) memory and total memory, in bytes, from
/// sysinfo(2): one system call, no file descriptor.
int mk_os_mem_free(size_t *free_bytes, size_t *total);
/// Size in bytes of the file system that holds path.
int mk_os_fs_size(const char *path, size_t *size);

/// Opens an anonymous file in dir with O_TMPFILE (read-write, 0600,
/// close-on-exec).  EOPNOTSUPP, EISDIR, EINVAL or ENOENT mean the file
/// system lacks O_TMPFILE: see mk_os_tmpfile_unsupported().
int mk_os_open_tmpfile(const char *dir, int *fd);
/// True for the errors of mk_os_open_tmpfile() that call for the fallback.
bool mk_os_tmpfile_unsupported(int err);
/// The fallback: mkostemp() in dir, unlinked at once, mode 0600.  Uses a
/// stack buffer of PATH_MAX (ENAMETOOLONG beyond), never the heap.
int mk_os_open_unlinked(const char *dir, int *fd);
/// close(2), keeping errno.
void mk_os_close(int fd);
/// Size of fd's file (fstat st_size).
int mk_os_file_size(int fd, off_t *size);
/// ftruncate(2).
int mk_os_truncate(int fd, off_t len);
/// True in *clean when no page of fd's [0, len) is dirty or under
/// writeback in the page cache (cachestat(2), Linux 6.5); ENOSYS on older
/// kernels.  A DAX file has no page cache: always clean.
int mk_os_file_clean(int fd, off_t len, bool *clean);
/// Makes file to share all of from's blocks (FICLONE: a reflink, copy on
/// write).  EOPNOTSUPP, EXDEV or EINVAL where the file system cannot.
int mk_os_clone_file(int from, int to);
/// The next run of data at or after off and before end: SEEK_DATA and
/// SEEK_HOLE.  ENXIO when there is none.  A range allocated but never
/// written may count as a hole (ext4, XFS, tmpfs): see mk_os_extents().
int mk_os_next_data(int fd, off_t off, off_t end, off_t *start, off_t *stop);
/// Calls fn(arg, off, len) for each extent of fd that starts before end
/// and is allocated but not written (FIEMAP_EXTENT_UNWRITTEN: fallocated,
/// and reading as zeros), in order, until fn returns non-zero (that value
/// is returned).  Written and delayed-allocation extents are left out:
/// they hold data, which SEEK_DATA finds.  EOPNOTSUPP where the file
/// system has no FIEMAP (tmpfs).  A stack buffer only.
int mk_os_extents(int fd, off_t end,
                  int (*fn)(void *arg, off_t off, size_t len), void *arg);
/// Copies [off, off+len) of file from to the same offsets of file to with
/// copy_file_range(2) (in the kernel, at memory speed on tmpfs and ext4;
/// may share blocks on XFS).  EXDEV, EOPNOTSUPP, EINVAL or ENOSYS where
/// the kernel cannot: see mk_os_write_at().
int mk_os_copy_range(int from, int to, off_t off, size_t len);
/// pwrite(2) of all of [buf, buf+len) at off (short writes continued).
int mk_os_write_at(int fd, const void *buf, size_t len, off_t off);
/// pipe2(2), both ends close-on-exec.
int mk_os_pipe(int fds[2]);
/// Writes one byte to fd (a pipe), retrying on EINTR.
int mk_os_signal_fd(int fd);
/// Waits until fd (a pipe's read end) has a byte or its writers are gone,
/// for at most timeout_ms (< 0: no limit).  ETIMEDOUT when it expired.
int mk_os_wait_fd(int fd, int timeout_ms);

/// A full memory barrier on every running thread of the process
/// (membarrier(2), private expedited).  Registers on first use; a forked
/// child inherits the registration.  ENOSYS (or the registration's error)
/// when the kernel offers none.  Pre: one caller at a time.
int mk_os_membarrier(void);
