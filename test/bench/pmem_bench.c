// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_bench.c - the PMEM kind figures of issue 3, for whichever
 * libmemkind.so.0 LD_LIBRARY_PATH selects (ours or Debian's 1.14):
 *
 *   pmem_bench footprint [-c] [-u] [-T TOTAL] [-s SECS] [-i MS] DIR
 *       Allocates TOTAL (default 1G) bytes of log-uniform (-u: uniform)
 *       16 B - 64 KiB objects (each written in full), frees a random 90 %
 *       of them, samples the backing file's allocated bytes every MS
 *       (default 100) ms for SECS (default 3) s with the process idle,
 *       frees the rest and samples again.  -c: the CONSERVATIVE memory usage
 * policy.  Prints "PHASE T_MS FILE_BYTES LIVE_BYTES LIVE_PAGE_BYTES" lines,
 * PHASE being full (before the frees), partial (10 % live) or empty.
 *       LIVE_PAGE_BYTES counts the distinct pages live objects touch: no
 *       allocator that does not move objects can keep fewer file blocks.
 *       At the end of each timeline a line "stat:PHASE T_MS ALLOCATED ACTIVE
 *       RESIDENT" gives the kind's memkind_get_stat() figures: ALLOCATED
 *       above the live bytes is freed objects held in thread caches, ACTIVE
 *       the pages of extents that hold objects (jemalloc can give back only
 *       whole free extents).
 *   pmem_bench fill DIR MAX_SIZE OBJ_SIZE
 *       Fills a kind of MAX_SIZE with OBJ_SIZE objects until malloc fails.
 *       Prints "fill MAX_SIZE OBJ_SIZE COUNT UTIL_PERCENT MAX_FILE_BYTES".
 *   pmem_bench create [-n N] DIR
 *       N (default 200) memkind_create_pmem + memkind_destroy_kind, empty
 *       and with one 64 B malloc+free in between.  Prints
 *       "create MEDIAN_US MEAN_US" and "create-use MEDIAN_US MEAN_US".
 *   pmem_bench rss [-n N] DIR
 *       VmRSS growth per live kind over N (default 100) kinds, empty and
 *       after one 64 B object in each.  Prints "rss KIB_EMPTY KIB_ONE_OBJECT".
 *   pmem_bench maxkinds [-m MAX_SIZE] DIR
 *       Creates kinds until creation fails.  Prints "maxkinds COUNT ERROR".
 *
 * The backing file is found through /proc/self/fd (bench_dir_file_bytes),
 * so DIR should hold no other file this process has open.
 */
#include "bench_common.h"

#include <errno.h>
#include <memkind.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG            "pmem_bench"
#define MAX_KINDS_TRIED 100000

static memkind_t make_kind(const char *dir, size_t max_size, int conservative)
{
    struct memkind_config *cfg = memkind_config_new();
    memkind_t kind = NULL;
    if (!cfg)
        bench_die(PROG, "memkind_config_new failed");
    memkind_config_set_path(cfg, dir);
    memkind_config_set_size(cfg, max_size);
    memkind_config_set_memory_usage_policy(
        cfg, conservative ? MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE
                          : MEMKIND_MEM_USAGE_POLICY_DEFAULT);
    int err = memkind_create_pmem_with_config(cfg, &kind);
    memkind_config_delete(cfg);
    if (err)
        bench_die(PROG, "memkind_create_pmem_with_config(%s) failed: %d", dir,
                  err);
    return kind;
}

/* Sleeps until the absolute CLOCK_MONOTONIC time t (seconds). */
static void sleep_until(double t)
{
    struct timespec ts = {.tv_sec = (time_t)t,
                          .tv_nsec = (long)((t - (double)(time_t)t) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static int cmp_uptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a;
    uintptr_t y = *(const uintptr_t *)b;
    return (x > y) - (x < y);
}

/* Bytes of the distinct pages that objs[0..n) touch. */
static size_t page_bytes(char **objs, const size_t *sizes, size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ((uintptr_t)objs[i] + sizes[i] - 1) / pg -
                 (uintptr_t)objs[i] / pg + 1;
    uintptr_t *pages = malloc((total + 1) * sizeof(*pages));
    if (!pages)
        bench_die(PROG, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (uintptr_t a = (uintptr_t)objs[i] / pg;
             a <= ((uintptr_t)objs[i] + sizes[i] - 1) / pg; a++)
            pages[k++] = a;
    qsort(pages, k, sizeof(*pages), cmp_uptr);
    size_t distinct = 0;
    for (size_t i = 0; i < k; i++)
        distinct += i == 0 || pages[i] != pages[i - 1];
    free(pages);
    return distinct * pg;
}

/* Prints the kind's allocated, active and resident bytes (0 if unknown). */
static void print_stats(memkind_t kind, const char *phase, long ms)
{
    size_t v[3] = {0, 0, 0};
    const memkind_stat_type type[3] = {MEMKIND_STAT_TYPE_ALLOCATED,
                                       MEMKIND_STAT_TYPE_ACTIVE,
                                       MEMKIND_STAT_TYPE_RESIDENT};
    if (memkind_update_cached_stats() == 0)
        for (int i = 0; i < 3; i++)
            if (memkind_get_stat(kind, type[i], &v[i]) != 0)
                v[i] = 0;
    printf("stat:%s %ld %zu %zu %zu\n", phase, ms, v[0], v[1], v[2]);
}

/* Samples the file every interval_ms for secs seconds from now. */
static void timeline(memkind_t kind, const char *phase, const char *dir,
                     double secs, long interval_ms, size_t live,
                     size_t live_pages)
{
    double t0 = bench_now();
    for (long ms = 0; ms <= (long)(secs * 1000); ms += interval_ms) {
        sleep_until(t0 + (double)ms / 1000);
        printf("%s %ld %lld %zu %zu\n", phase, ms,
               bench_dir_file_bytes(dir, NULL), live, live_pages);
    }
    print_stats(kind, phase, (long)(secs * 1000));
    fflush(stdout);
}

static int footprint(int argc, char **argv)
{
    int conservative = 0;
    int uniform = 0;
    size_t total = (size_t)1 << 30;
    double secs = 3;
    long interval_ms = 100;
    int opt;
    while ((opt = getopt(argc, argv, "cuT:s:i:")) != -1) {
        switch (opt) {
            case 'c':
                conservative = 1;
                break;
            case 'u':
                uniform = 1;
                break;
            case 'T':
                total = bench_parse_size(PROG, optarg);
                break;
            case 's':
                secs = atof(optarg);
                break;
            case 'i':
                interval_ms = atol(optarg);
                break;
            default:
                return 2;
        }
    }
    if (optind != argc - 1 || interval_ms < 1 || secs < 0)
        bench_die(PROG, "usage: pmem_bench footprint [-c] [-u] [-T TOTAL] "
                        "[-s SECS] [-i MS] DIR");
    const char *dir = argv[optind];
    memkind_t kind = make_kind(dir, 0, conservative);
    size_t cap = total / 16 + 1;
    char **objs = malloc(cap * sizeof(*objs));
    size_t *sizes = malloc(cap * sizeof(*sizes));
    if (!objs || !sizes)
        bench_die(PROG, "out of memory");
    uint64_t rng = 0x2545F4914F6CDD1DULL;
    size_t n = 0;
    size_t live = 0;
    while (live < total) {
        size_t s = uniform ? 16 + bench_rand(&rng) % (65536 - 16 + 1)
                           : bench_log_uniform(&rng, 16, 65536);
        objs[n] = memkind_malloc(kind, s);
        if (!objs[n])
            bench_die(PROG, "memkind_malloc(%zu) failed after %zu bytes", s,
                      live);
        memset(objs[n], 0x5a, s);
        sizes[n++] = s;
        live += s;
    }
    printf("full 0 %lld %zu %zu\n", bench_dir_file_bytes(dir, NULL), live,
           page_bytes(objs, sizes, n));
    /* Fisher-Yates: the first 90 % of the shuffled objects are freed. */
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = bench_rand(&rng) % (i + 1);
        char *tp = objs[i];
        size_t ts = sizes[i];
        objs[i] = objs[j];
        sizes[i] = sizes[j];
        objs[j] = tp;
        sizes[j] = ts;
    }
    size_t nfree = n / 10 * 9;
    for (size_t i = 0; i < nfree; i++) {
        memkind_free(kind, objs[i]);
        live -= sizes[i];
    }
    size_t pages = page_bytes(objs + nfree, sizes + nfree, n - nfree);
    timeline(kind, "partial", dir, secs, interval_ms, live, pages);
    for (size_t i = nfree; i < n; i++)
        memkind_free(kind, objs[i]);
    timeline(kind, "empty", dir, secs, interval_ms, 0, 0);
    memkind_destroy_kind(kind);
    free(objs);
    free(sizes);
    return 0;
}

static int fill(int argc, char **argv)
{
    if (argc != 4)
        bench_die(PROG, "usage: pmem_bench fill DIR MAX_SIZE OBJ_SIZE");
    const char *dir = argv[1];
    size_t max_size = bench_parse_size(PROG, argv[2]);
    size_t obj = bench_parse_size(PROG, argv[3]);
    memkind_t kind = make_kind(dir, max_size, 0);
    size_t cap = max_size / obj * 2 + 64;
    void **objs = malloc(cap * sizeof(*objs));
    if (!objs)
        bench_die(PROG, "out of memory");
    size_t n = 0;
    long long max_file = 0;
    while (n < cap && (objs[n] = memkind_malloc(kind, obj)) != NULL) {
        memset(objs[n], 0x5a, obj);
        if (++n % 256 == 0 || obj >= 4096) {
            long long f = bench_dir_file_bytes(dir, NULL);
            if (f > max_file)
                max_file = f;
        }
    }
    long long f = bench_dir_file_bytes(dir, NULL);
    if (f > max_file)
        max_file = f;
    printf("fill %zu %zu %zu %.1f %lld\n", max_size, obj, n,
           100.0 * (double)(n * obj) / (double)max_size, max_file);
    for (size_t i = 0; i < n; i++)
        memkind_free(kind, objs[i]);
    memkind_destroy_kind(kind);
    free(objs);
    return 0;
}

static long count_opt(int argc, char **argv, int letter, long dflt)
{
    char opts[] = {(char)letter, ':', '\0'};
    int opt;
    long v = dflt;
    while ((opt = getopt(argc, argv, opts)) != -1) {
        if (opt != letter)
            exit(2);
        v = (long)bench_parse_size(PROG, optarg);
    }
    if (optind != argc - 1)
        bench_die(PROG, "usage: pmem_bench %s [-%c N] DIR", argv[0], letter);
    return v;
}

static int create(int argc, char **argv)
{
    long n = count_opt(argc, argv, 'n', 200);
    const char *dir = argv[optind];
    double *t = malloc(2 * (size_t)n * sizeof(*t));
    if (!t || n < 1)
        bench_die(PROG, "bad count");
    /* library set-up is not measured; this kind lives through the loop */
    memkind_t keep = make_kind(dir, 0, 0);
    for (int use = 0; use < 2; use++) {
        double sum = 0;
        for (long i = 0; i < n; i++) {
            memkind_t kind;
            double t0 = bench_now();
            if (memkind_create_pmem(dir, 0, &kind))
                bench_die(PROG, "memkind_create_pmem failed");
            if (use)
                memkind_free(kind, memkind_malloc(kind, 64));
            memkind_destroy_kind(kind);
            t[i] = (bench_now() - t0) * 1e6;
            sum += t[i];
        }
        printf("%s %.1f %.1f\n", use ? "create-use" : "create",
               bench_median(t, (size_t)n), sum / (double)n);
    }
    memkind_destroy_kind(keep);
    free(t);
    return 0;
}

static int rss(int argc, char **argv)
{
    long n = count_opt(argc, argv, 'n', 100);
    const char *dir = argv[optind];
    memkind_t *kinds = calloc((size_t)n, sizeof(*kinds));
    void **objs = calloc((size_t)n, sizeof(*objs));
    if (!kinds || !objs || n < 1)
        bench_die(PROG, "bad count");
    /* one kind first: library set-up is not per-kind cost */
    memkind_t first = make_kind(dir, 0, 0);
    memkind_free(first, memkind_malloc(first, 64));
    long rss0 = bench_rss_kib();
    for (long i = 0; i < n; i++)
        kinds[i] = make_kind(dir, 0, 0);
    long rss1 = bench_rss_kib();
    for (long i = 0; i < n; i++) {
        objs[i] = memkind_malloc(kinds[i], 64);
        if (objs[i])
            memset(objs[i], 1, 64);
    }
    long rss2 = bench_rss_kib();
    printf("rss %.1f %.1f\n", (double)(rss1 - rss0) / (double)n,
           (double)(rss2 - rss0) / (double)n);
    for (long i = 0; i < n; i++) {
        memkind_free(kinds[i], objs[i]);
        memkind_destroy_kind(kinds[i]);
    }
    memkind_destroy_kind(first);
    free(kinds);
    free(objs);
    return 0;
}

static int maxkinds(int argc, char **argv)
{
    size_t max_size = (size_t)count_opt(argc, argv, 'm', 0);
    const char *dir = argv[optind];
    memkind_t *kinds = calloc(MAX_KINDS_TRIED, sizeof(*kinds));
    if (!kinds)
        bench_die(PROG, "out of memory");
    long n = 0;
    int err = 0;
    while (n < MAX_KINDS_TRIED &&
           (err = memkind_create_pmem(dir, max_size, &kinds[n])) == 0)
        n++;
    char msg[MEMKIND_ERROR_MESSAGE_SIZE];
    memkind_error_message(err, msg, sizeof(msg));
    printf("maxkinds %ld %s\n", n, err ? msg : "none");
    while (n > 0)
        memkind_destroy_kind(kinds[--n]);
    free(kinds);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        bench_die(PROG, "usage: pmem_bench footprint|fill|create|rss|"
                        "maxkinds ... DIR");
    const char *cmd = argv[1];
    argc--;
    argv++;
    if (!strcmp(cmd, "footprint"))
        return footprint(argc, argv);
    if (!strcmp(cmd, "fill"))
        return fill(argc, argv);
    if (!strcmp(cmd, "create"))
        return create(argc, argv);
    if (!strcmp(cmd, "rss"))
        return rss(argc, argv);
    if (!strcmp(cmd, "maxkinds"))
        return maxkinds(argc, argv);
    bench_die(PROG, "unknown command '%s'", cmd);
}
