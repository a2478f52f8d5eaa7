// SPDX-License-Identifier: BSD-2-Clause
/*
 * mixed_bench.c - throughput of a mixed workload with a live working set:
 * each operation picks a random slot of the working set and a log-uniform
 * random size, allocates an object of that size, writes its first and last
 * byte, puts it into the slot and frees the object the slot held.  With
 * several threads the working set is either private (each thread owns its
 * slots) or shared (any thread replaces any slot, so about half the frees are
 * of objects another thread allocated: cross-thread frees).
 *
 *   mixed_bench [-t THREADS] [-s] [-n OPS] [-w SLOTS] [-l LO] [-h HI]
 *               [-d DIR] TARGET
 *
 *   TARGET  default | pmem (memkind_create_pmem(DIR, 0)) | jemalloc
 *           (mallocx/dallocx of an LD_PRELOADed libjemalloc.so.2) | glibc
 *   -t      threads, 1 to 8 (default 1)
 *   -s      shared working set (cross-thread frees)
 *   -n      operations per thread (default 300000)
 *   -w      slots in the working set, all threads together (default 8192)
 *   -l -h   size range (default 16 to 64K)
 *
 * Prints "TARGET THREADS private|shared OPS_PER_S CROSS_FREE_PERCENT".  The
 * random slot and size sequences are made before the clock starts.
 */
#include "bench_common.h"

#include <dlfcn.h>
#include <memkind.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG        "mixed_bench"
#define SEQ_LEN     65536 /* random (slot, size) pairs per thread, reused */
#define MAX_THREADS 8
#define TAG_MASK    ((uintptr_t)7) /* allocating thread, in the low bits */

enum mode
{
    MODE_KIND,     ///< memkind_malloc / memkind_free(kind, p)
    MODE_JEMALLOC, ///< mallocx / dallocx
    MODE_GLIBC,    ///< malloc / free
};

typedef void *(*mallocx_fn)(size_t, int);
typedef void (*dallocx_fn)(void *, int);

struct worker {
    pthread_t thread;   ///< the thread running it
    unsigned id;        ///< 0..threads-1, the tag of its objects
    uint32_t *slot_seq; ///< SEQ_LEN slot indices
    uint32_t *size_seq; ///< SEQ_LEN sizes
    size_t first_slot;  ///< first slot it fills before the clock starts
    size_t end_slot;    ///< the slot after the last one it fills
    size_t fill_stride; ///< distance between the slots it fills
    long cross;         ///< frees of objects another thread allocated
    long failed;        ///< allocations that returned NULL
};

static enum mode mode;
static memkind_t kind;
static mallocx_fn j_mallocx;
static dallocx_fn j_dallocx;
static _Atomic uintptr_t *slots;
static size_t nslots;
static long ops;
static size_t lo = 16, hi = 65536;
static pthread_barrier_t start;

static inline void *xalloc(size_t n)
{
    switch (mode) {
        case MODE_KIND:
            return memkind_malloc(kind, n);
        case MODE_JEMALLOC:
            return j_mallocx(n, 0);
        default:
            return malloc(n);
    }
}

static inline void xfree(void *p)
{
    switch (mode) {
        case MODE_KIND:
            memkind_free(kind, p);
            break;
        case MODE_JEMALLOC:
            j_dallocx(p, 0);
            break;
        default:
            free(p);
    }
}

/* Allocates size bytes into slot i and frees what the slot held. */
static inline void replace(struct worker *w, size_t i, size_t size)
{
    char *p = xalloc(size);
    if (!p) {
        w->failed++;
        return;
    }
    p[0] = 1;
    p[size - 1] = 1;
    uintptr_t old = atomic_exchange_explicit(&slots[i], (uintptr_t)p | w->id,
                                             memory_order_acq_rel);
    if (old) {
        if ((old & TAG_MASK) != w->id)
            w->cross++;
        xfree((void *)(old & ~TAG_MASK));
    }
}

static void *work(void *arg)
{
    struct worker *w = arg;
    for (size_t i = w->first_slot; i < w->end_slot; i += w->fill_stride)
        replace(w, i, w->size_seq[i % SEQ_LEN]);
    w->cross = 0;
    (void)pthread_barrier_wait(&start);
    for (long k = 0; k < ops; k++)
        replace(w, w->slot_seq[k % SEQ_LEN], w->size_seq[k % SEQ_LEN]);
    return NULL;
}

static void set_target(const char *target, const char *dir)
{
    if (!strcmp(target, "glibc")) {
        mode = MODE_GLIBC;
    } else if (!strcmp(target, "jemalloc")) {
        mode = MODE_JEMALLOC;
        j_mallocx = (mallocx_fn)dlsym(RTLD_DEFAULT, "mallocx");
        j_dallocx = (dallocx_fn)dlsym(RTLD_DEFAULT, "dallocx");
        if (!j_mallocx || !j_dallocx)
            bench_die(PROG, "mallocx not found (LD_PRELOAD=libjemalloc.so.2)");
    } else if (!strcmp(target, "default")) {
        mode = MODE_KIND;
        kind = MEMKIND_DEFAULT;
    } else if (!strcmp(target, "pmem")) {
        mode = MODE_KIND;
        int err = memkind_create_pmem(dir, 0, &kind);
        if (err)
            bench_die(PROG, "memkind_create_pmem(%s) failed: %d", dir, err);
    } else {
        bench_die(PROG, "unknown target '%s'", target);
    }
}

int main(int argc, char **argv)
{
    unsigned threads = 1;
    int shared = 0;
    const char *dir = "/tmp";
    int opt;
    ops = 300000;
    nslots = 8192;
    while ((opt = getopt(argc, argv, "t:sn:w:l:h:d:")) != -1) {
        switch (opt) {
            case 't':
                threads = (unsigned)atoi(optarg);
                break;
            case 's':
                shared = 1;
                break;
            case 'n':
                ops = atol(optarg);
                break;
            case 'w':
                nslots = bench_parse_size(PROG, optarg);
                break;
            case 'l':
                lo = bench_parse_size(PROG, optarg);
                break;
            case 'h':
                hi = bench_parse_size(PROG, optarg);
                break;
            case 'd':
                dir = optarg;
                break;
            default:
                return 2;
        }
    }
    if (optind != argc - 1 || threads < 1 || threads > MAX_THREADS || ops < 1 ||
        nslots < threads || nslots > UINT32_MAX || lo < 16 || hi < lo ||
        hi > UINT32_MAX)
        bench_die(PROG, "usage: mixed_bench [-t THREADS] [-s] [-n OPS] "
                        "[-w SLOTS] [-l LO] [-h HI] [-d DIR] TARGET");
    const char *target = argv[optind];
    set_target(target, dir);
    slots = calloc(nslots, sizeof(*slots));
    struct worker w[MAX_THREADS];
    size_t per = nslots / threads;
    for (unsigned t = 0; t < threads; t++) {
        uint64_t rng = 0x9E3779B97F4A7C15ULL * (t + 1);
        w[t] = (struct worker){
            .id = t,
            .slot_seq = malloc(SEQ_LEN * sizeof(uint32_t)),
            .size_seq = malloc(SEQ_LEN * sizeof(uint32_t)),
            .first_slot = shared ? t : t * per,
            .end_slot = shared ? nslots : (t + 1) * per,
            .fill_stride = shared ? threads : 1,
        };
        if (!slots || !w[t].slot_seq || !w[t].size_seq)
            bench_die(PROG, "out of memory");
        for (size_t k = 0; k < SEQ_LEN; k++) {
            uint64_t r = bench_rand(&rng);
            w[t].slot_seq[k] =
                shared ? (uint32_t)(r % nslots) : (uint32_t)(t * per + r % per);
            w[t].size_seq[k] = (uint32_t)bench_log_uniform(&rng, lo, hi);
        }
    }
    if (!shared) /* slots past threads * per stay empty */
        nslots = per * threads;
    if (pthread_barrier_init(&start, NULL, threads + 1))
        bench_die(PROG, "pthread_barrier_init failed");
    for (unsigned t = 0; t < threads; t++)
        if (pthread_create(&w[t].thread, NULL, work, &w[t]))
            bench_die(PROG, "pthread_create failed");
    (void)pthread_barrier_wait(&start);
    double t0 = bench_now();
    long cross = 0;
    long failed = 0;
    for (unsigned t = 0; t < threads; t++) {
        (void)pthread_join(w[t].thread, NULL);
        cross += w[t].cross;
        failed += w[t].failed;
    }
    double secs = bench_now() - t0;
    if (failed)
        bench_die(PROG, "%ld allocations failed", failed);
    printf("%s %u %s %.0f %.1f\n", target, threads,
           shared ? "shared" : "private", (double)ops * threads / secs,
           100.0 * (double)cross / ((double)ops * threads));
    for (size_t i = 0; i < nslots; i++) {
        uintptr_t v = atomic_load(&slots[i]);
        if (v)
            xfree((void *)(v & ~TAG_MASK));
    }
    if (kind != NULL && kind != MEMKIND_DEFAULT)
        memkind_destroy_kind(kind);
    for (unsigned t = 0; t < threads; t++) {
        free(w[t].slot_seq);
        free(w[t].size_seq);
    }
    free(slots);
    return 0;
}
