// SPDX-License-Identifier: BSD-2-Clause
/*
 * pair_bench.c - cost of one malloc+free pair of a fixed size, for our
 * libmemkind, Debian's memkind 1.14, raw jemalloc and glibc, all measured by
 * the same binary.  The binary links libmemkind.so.0 normally (dlopen()ed
 * libraries get slower dynamic TLS, which would not be what applications
 * see); LD_LIBRARY_PATH picks ours or Debian's 1.14.  Raw jemalloc is
 * reached through LD_PRELOAD=libjemalloc.so.2 and dlsym(RTLD_DEFAULT).
 *
 *   pair_bench [-n PAIRS] [-r REPS] [-b BATCH] [-w] [-d DIR] TARGET SIZE...
 *
 *   TARGET   version           print memkind_get_version() and exit
 *            none              the empty loop (its cost is loop overhead)
 *            default           memkind_malloc/free(MEMKIND_DEFAULT, p)
 *            default-nullfree  the same, freed with memkind_free(NULL, p)
 *            hbw               memkind_malloc/free(MEMKIND_HBW, p)
 *                              (MEMKIND_HBW_NODES=0 on a machine without
 *                              HBW memory)
 *            dynamic           what memkind_create_kind(DEFAULT,
 *                              PREFERRED_LOCAL) returns: MEMKIND_DEFAULT,
 *                              as in memkind 1.14
 *            pmem              memkind_create_pmem(DIR, 0) (DEFAULT policy)
 *            pmem-nullfree     the same, freed with memkind_free(NULL, p)
 *            pmem-conservative a PMEM kind with the CONSERVATIVE policy
 *            jemalloc          mallocx/dallocx of an LD_PRELOADed jemalloc
 *            glibc             malloc/free
 *   -n PAIRS pairs per timed batch (default: calibrated to about 2 ms,
 *            shorter than a scheduler time slice on a loaded machine)
 *   -r REPS  timed batches per size; the fastest is printed (default 15):
 *            interference from other work only ever adds time
 *   -b BATCH allocate BATCH objects, then free them all (default 1, a
 *            strict malloc+free pair that never leaves the thread cache);
 *            a batch larger than the thread cache reaches the arena, which
 *            is where the memory usage policy costs
 *   -w       write the first byte of every object of a batch (as programs
 *            do): a freed extent the allocator purged is then faulted in
 *            again, which the untouched loop cannot see
 *   -d DIR   directory of the PMEM kinds (default /tmp)
 *
 * Prints "TARGET SIZE NS" per size: nanoseconds per pair.  Under
 * valgrind --tool=callgrind --toggle-collect=bench_loop with -n PAIRS -r 1
 * the instruction count collected, divided by PAIRS, is the instructions per
 * pair, independent of machine noise (the warm-up runs in warm_loop, outside
 * the collection).  Without -w memory is not touched: this is the
 * allocator's own cost.
 */
#include "bench_common.h"

#include <dlfcn.h>
#include <memkind.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG      "pair_bench"
#define BATCH_MAX 65536

enum mode
{
    MODE_NONE,     ///< empty loop
    MODE_KIND,     ///< memkind_malloc + memkind_free(kind, p)
    MODE_NULLFREE, ///< memkind_malloc + memkind_free(NULL, p)
    MODE_JEMALLOC, ///< mallocx + dallocx
    MODE_GLIBC,    ///< malloc + free
};

typedef void *(*mallocx_fn)(size_t, int);
typedef void (*dallocx_fn)(void *, int);

static enum mode mode;
static memkind_t kind;
static mallocx_fn j_mallocx;
static dallocx_fn j_dallocx;
static void *slots[BATCH_MAX];
static int touch; /* -w */

/* One loop per mode, so that the loop overhead is the same few
 * instructions whatever is measured (the "none" target shows it). */
#define PAIR_LOOP(ALLOC, FREE)                                                 \
    for (long i = 0; i < pairs; i++) {                                         \
        void *p = ALLOC;                                                       \
        __asm__ volatile("" : : "r"(p) : "memory");                            \
        FREE;                                                                  \
    }
#define BATCH_LOOP(ALLOC, FREE)                                                \
    for (long i = 0; i < pairs; i += batch) {                                  \
        for (long j = 0; j < batch; j++) {                                     \
            slots[j] = ALLOC;                                                  \
            if (touch && slots[j])                                             \
                *(volatile char *)slots[j] = 1;                                \
        }                                                                      \
        for (long j = 0; j < batch; j++) {                                     \
            void *p = slots[j];                                                \
            FREE;                                                              \
        }                                                                      \
    }
#define RUN(LOOP)                                                              \
    switch (mode) {                                                            \
        case MODE_NONE:                                                        \
            LOOP(NULL, (void)p);                                               \
            break;                                                             \
        case MODE_KIND:                                                        \
            LOOP(memkind_malloc(kind, size), memkind_free(kind, p));           \
            break;                                                             \
        case MODE_NULLFREE:                                                    \
            LOOP(memkind_malloc(kind, size), memkind_free(NULL, p));           \
            break;                                                             \
        case MODE_JEMALLOC:                                                    \
            LOOP(j_mallocx(size, 0), j_dallocx(p, 0));                         \
            break;                                                             \
        case MODE_GLIBC:                                                       \
            LOOP(malloc(size), free(p));                                       \
            break;                                                             \
    }

static inline __attribute__((always_inline)) void run(size_t size, long pairs,
                                                      long batch)
{
    if (batch == 1) {
        RUN(PAIR_LOOP);
    } else {
        RUN(BATCH_LOOP);
    }
}

/* The measured loop; callgrind collects inside it only. */
__attribute__((noinline)) void bench_loop(size_t size, long pairs, long batch);
__attribute__((noinline)) void bench_loop(size_t size, long pairs, long batch)
{
    run(size, pairs, batch);
}

/* The same work, not collected: warms caches, arenas and file mappings. */
__attribute__((noinline)) void warm_loop(size_t size, long pairs, long batch);
__attribute__((noinline)) void warm_loop(size_t size, long pairs, long batch)
{
    run(size, pairs, batch);
}

static void *sym(const char *name)
{
    void *s = dlsym(RTLD_DEFAULT, name);
    if (!s)
        bench_die(PROG, "%s not found (run with LD_PRELOAD=libjemalloc.so.2)",
                  name);
    return s;
}

static void make_pmem(const char *dir, memkind_mem_usage_policy policy)
{
    struct memkind_config *cfg = memkind_config_new();
    if (!cfg)
        bench_die(PROG, "memkind_config_new failed");
    memkind_config_set_path(cfg, dir);
    memkind_config_set_size(cfg, 0);
    memkind_config_set_memory_usage_policy(cfg, policy);
    int err = memkind_create_pmem_with_config(cfg, &kind);
    memkind_config_delete(cfg);
    if (err)
        bench_die(PROG, "memkind_create_pmem_with_config(%s) failed: %d", dir,
                  err);
}

/* Sets mode and kind for target.  Returns 1 if a kind was created. */
static int set_target(const char *target, const char *dir)
{
    if (!strcmp(target, "none")) {
        mode = MODE_NONE;
        return 0;
    }
    if (!strcmp(target, "glibc")) {
        mode = MODE_GLIBC;
        return 0;
    }
    if (!strcmp(target, "jemalloc")) {
        mode = MODE_JEMALLOC;
        j_mallocx = (mallocx_fn)sym("mallocx");
        j_dallocx = (dallocx_fn)sym("dallocx");
        return 0;
    }
    mode = strstr(target, "-nullfree") ? MODE_NULLFREE : MODE_KIND;
    if (!strcmp(target, "default") || !strcmp(target, "default-nullfree")) {
        kind = MEMKIND_DEFAULT;
        return 0;
    }
    if (!strcmp(target, "hbw")) {
        kind = MEMKIND_HBW;
        return 0;
    }
    if (!strcmp(target, "dynamic")) {
        if (memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                MEMKIND_POLICY_PREFERRED_LOCAL, 0, &kind))
            bench_die(PROG, "memkind_create_kind failed");
        return 1;
    }
    if (!strcmp(target, "pmem") || !strcmp(target, "pmem-nullfree")) {
        make_pmem(dir, MEMKIND_MEM_USAGE_POLICY_DEFAULT);
        return 1;
    }
    if (!strcmp(target, "pmem-conservative")) {
        make_pmem(dir, MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
        return 1;
    }
    bench_die(PROG, "unknown target '%s'", target);
}

/* Seconds one batch of pairs takes. */
static double time_batch(size_t size, long pairs, long batch)
{
    double t0 = bench_now();
    bench_loop(size, pairs, batch);
    return bench_now() - t0;
}

/* Pairs that take about 2 ms, a multiple of batch.  Also the warm-up:
 * it starts small because some targets take a millisecond per pair.  Each
 * step keeps the fastest of 3 timings, so one preemption cannot stop the
 * doubling early (which would leave batches too short to time). */
static long calibrate(size_t size, long batch)
{
    long n = batch;
    double t;
    for (;;) {
        t = time_batch(size, n, batch);
        for (int i = 0; i < 2; i++) {
            double u = time_batch(size, n, batch);
            if (u < t)
                t = u;
        }
        if (t >= 0.5e-3 || n >= (1L << 34))
            break;
        n *= 2;
    }
    long want = (long)((double)n * 2e-3 / t);
    if (want < n)
        want = n;
    return want / batch * batch;
}

int main(int argc, char **argv)
{
    long fixed_pairs = 0;
    long reps = 15;
    long batch = 1;
    const char *dir = "/tmp";
    int opt;
    while ((opt = getopt(argc, argv, "n:r:b:wd:")) != -1) {
        switch (opt) {
            case 'n':
                fixed_pairs = atol(optarg);
                break;
            case 'r':
                reps = atol(optarg);
                break;
            case 'b':
                batch = atol(optarg);
                break;
            case 'w':
                touch = 1;
                break;
            case 'd':
                dir = optarg;
                break;
            default:
                return 2;
        }
    }
    if (optind >= argc || reps < 1 || batch < 1 || batch > BATCH_MAX ||
        fixed_pairs < 0)
        bench_die(PROG,
                  "usage: pair_bench [-n PAIRS] [-r REPS] [-b BATCH] [-w] "
                  "[-d DIR] TARGET SIZE...");
    const char *target = argv[optind];
    if (!strcmp(target, "version")) {
        printf("%d\n", memkind_get_version());
        return 0;
    }
    int created = set_target(target, dir);
    for (int a = optind + 1; a < argc; a++) {
        size_t size = bench_parse_size(PROG, argv[a]);
        long pairs;
        if (fixed_pairs) {
            pairs = (fixed_pairs + batch - 1) / batch * batch;
            warm_loop(size, (pairs / 10 + batch - 1) / batch * batch, batch);
        } else {
            pairs = calibrate(size, batch);
        }
        double best = 0;
        for (long r = 0; r < reps; r++) {
            double t = time_batch(size, pairs, batch);
            if (r == 0 || t < best)
                best = t;
        }
        printf("%s %zu %.2f\n", target, size, best * 1e9 / (double)pairs);
        fflush(stdout);
    }
    if (created)
        memkind_destroy_kind(kind);
    return 0;
}
