// SPDX-License-Identifier: BSD-2-Clause
/*
 * fork_bench.c - what fork() costs a process with a PMEM heap (issue 15):
 * the forking thread's fork() latency, the longest stall another
 * allocating thread sees meanwhile, and the peak extra disk space of the
 * file system while the child makes its copy.
 *
 *   fork_bench DIR MIB STATE
 *
 * DIR holds the PMEM kind; MIB of 1 MiB objects are written; STATE is
 * "dirty" (pages not written back) or "clean" (syncfs first).  The mode is
 * the environment's MEMKIND_PMEM_FORK.  One line on stdout:
 *   fork_ms=F stall_ms=S disk_extra_mib=D
 *   fork_bench repeat DIR|- THREADS
 *
 * forks 100 times a small process (64 MiB of 1 MiB objects in a PMEM kind
 * in DIR, or with "-" no PMEM kind, only MEMKIND_DEFAULT), with THREADS (0
 * or 1) other threads allocating, each child exiting at once, and prints
 *   forks=N median_ms=F p10_ms=F p90_ms=F parent_faults=F
 * parent_faults: the parent's page faults per fork() call (getrusage),
 * nearly all copies of pages written after fork (memkind_lock.h,
 * MK_FORK_PAGE).
 * A benchmark, not a test: it asserts nothing (bench-fork.sh runs the
 * matrix and prints the tables in README).
 */
#include <memkind.h>

#include "bench_common.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static memkind_t kind;
static const char *dir;
static atomic_int phase; /* 0 before fork, 1 during, 2 after */
static double max_gap_ms;
static unsigned long long base_used, peak_used;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static unsigned long long fs_used(void)
{
    struct statvfs s;
    if (statvfs(dir, &s) != 0)
        return 0;
    return (unsigned long long)(s.f_blocks - s.f_bfree) * s.f_frsize;
}

/* Allocates and frees 4 KiB blocks; records the longest gap between two
 * operations while the fork is under way. */
static void *allocator(void *arg)
{
    (void)arg;
    double last = now_ms();
    while (atomic_load(&phase) < 2) {
        void *p = memkind_malloc(kind, 4096);
        if (p) {
            memset(p, 1, 64);
            memkind_free(kind, p);
        }
        double t = now_ms();
        if (atomic_load(&phase) == 1 && t - last > max_gap_ms)
            max_gap_ms = t - last;
        last = t;
    }
    return NULL;
}

static void *sampler(void *arg)
{
    (void)arg;
    while (atomic_load(&phase) < 2) {
        unsigned long long u = fs_used();
        if (u > peak_used)
            peak_used = u;
        usleep(1000);
    }
    return NULL;
}

static long minflt(void)
{
    struct rusage u;
    return getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_minflt : 0;
}

/* "repeat" mode: the fork() latency of a small process, 100 times. */
static int repeat(const char *d, int threads)
{
    enum
    {
        FORKS = 100
    };
    kind = MEMKIND_DEFAULT;
    if (strcmp(d, "-") != 0) {
        if (memkind_create_pmem(d, 0, &kind) != 0) {
            fprintf(stderr, "cannot create a PMEM kind in %s\n", d);
            return 1;
        }
        for (int i = 0; i < 64; i++) {
            void *p = memkind_malloc(kind, 1 << 20);
            if (!p)
                return 1;
            memset(p, 1, 1 << 20); /* kept: the heap the child skips */
        }
    }
    void *warm = memkind_malloc(MEMKIND_DEFAULT, 4096);
    memkind_free(MEMKIND_DEFAULT, warm);
    pthread_t a;
    atomic_store(&phase, 0);
    if (threads && pthread_create(&a, NULL, allocator, NULL) != 0)
        return 1;
    usleep(10000);
    double ms[FORKS];
    long faults = 0;
    for (int i = 0; i < FORKS; i++) {
        long f0 = minflt();
        double t0 = now_ms();
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        ms[i] = now_ms() - t0;
        faults += minflt() - f0;
        if (pid > 0)
            waitpid(pid, NULL, 0);
        usleep(2000);
    }
    atomic_store(&phase, 2);
    if (threads)
        pthread_join(a, NULL);
    double median = bench_median(ms, FORKS); /* sorts ms */
    printf("forks=%d median_ms=%.3f p10_ms=%.3f p90_ms=%.3f "
           "parent_faults=%.1f\n",
           FORKS, median, ms[FORKS / 10], ms[FORKS * 9 / 10],
           (double)faults / FORKS);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "repeat") == 0)
        return repeat(argv[2], atoi(argv[3]));
    if (argc != 4) {
        fprintf(stderr,
                "usage: %s DIR MIB dirty|clean\n"
                "       %s repeat DIR|- THREADS\n",
                argv[0], argv[0]);
        return 2;
    }
    dir = argv[1];
    size_t mib = strtoull(argv[2], NULL, 10);
    int clean = strcmp(argv[3], "clean") == 0;
    if (memkind_create_pmem(dir, 0, &kind) != 0) {
        fprintf(stderr, "cannot create a PMEM kind in %s\n", dir);
        return 1;
    }
    void **obj = calloc(mib, sizeof(*obj));
    for (size_t i = 0; i < mib; i++) {
        obj[i] = memkind_malloc(kind, 1 << 20);
        if (!obj[i]) {
            fprintf(stderr, "out of space after %zu MiB\n", i);
            return 1;
        }
        memset(obj[i], (int)(i & 0xff), 1 << 20);
    }
    if (clean) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY);
        if (fd >= 0) {
            syncfs(fd);
            close(fd);
        }
    }
    base_used = peak_used = fs_used();
    pthread_t a, s;
    pthread_create(&a, NULL, allocator, NULL);
    pthread_create(&s, NULL, sampler, NULL);
    usleep(20000);
    atomic_store(&phase, 1);
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    double t1 = now_ms();
    usleep(20000);
    atomic_store(&phase, 2);
    pthread_join(a, NULL);
    pthread_join(s, NULL);
    int st;
    waitpid(pid, &st, 0);
    printf("fork_ms=%.1f stall_ms=%.1f disk_extra_mib=%.0f\n", t1 - t0,
           max_gap_ms, (double)(peak_used - base_used) / (1 << 20));
    for (size_t i = 0; i < mib; i++)
        memkind_free(kind, obj[i]);
    free(obj);
    memkind_destroy_kind(kind);
    return 0;
}
