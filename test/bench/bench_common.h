// SPDX-License-Identifier: BSD-2-Clause
/*
 * bench_common.h - helpers shared by the benchmark programs of test/bench:
 * a monotonic clock, a small fast random generator, log-uniform sizes,
 * medians, the resident set size, and the file footprint of a PMEM kind.
 *
 * The programs use only the public memkind.h API, so the same binary runs
 * against our libmemkind and against Debian's memkind 1.14 (the library is
 * chosen with LD_LIBRARY_PATH by test/bench/run-bench.sh).
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since an arbitrary point (CLOCK_MONOTONIC). */
double bench_now(void);

/* xorshift64*: fast, good enough for picking sizes and slots. */
static inline uint64_t bench_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* A size drawn log-uniformly from [lo, hi] (each power of two equally
 * likely), as allocation sizes of real programs roughly are. */
size_t bench_log_uniform(uint64_t *state, size_t lo, size_t hi);

/* Median of n doubles (sorts v in place).  Returns 0 for n == 0. */
double bench_median(double *v, size_t n);

/* A "NAME: N kB" field of /proc/self/status (VmRSS, VmHWM...) in KiB, or
 * -1 when it cannot be read. */
long bench_status_kib(const char *field);
/* The process's resident set size in KiB (VmRSS), or -1. */
long bench_rss_kib(void);

/*
 * Allocated bytes (st_blocks * 512) of the files this process holds open
 * inside directory dir: a PMEM kind's anonymous backing file is found through
 * the /proc/self/fd links that point into dir (O_TMPFILE files read
 * "dir/#ino (deleted)", unlinked mkstemp files "dir/name (deleted)").
 * *nfiles, if not NULL, receives how many files were found.
 * Returns the byte count, or -1 if /proc/self/fd cannot be read.
 */
long long bench_dir_file_bytes(const char *dir, int *nfiles);

/* Prints a message and exits with status 2 (bad usage or set-up). */
void bench_die(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* strtoul with an optional K/M/G suffix (powers of 1024); dies if bad. */
size_t bench_parse_size(const char *prog, const char *s);

#endif
