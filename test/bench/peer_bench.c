// SPDX-License-Identifier: BSD-2-Clause
/*
 * peer_bench.c - one allocation pattern of one size, measured for one
 * allocator per process, so that the same binary compares this library with
 * the other allocators (issue 17): plain malloc/free, where LD_PRELOAD
 * decides whose malloc it is (glibc with none, or Debian's jemalloc,
 * mimalloc or tcmalloc), and memkind_malloc/memkind_free of MEMKIND_DEFAULT
 * or of a PMEM kind, where LD_LIBRARY_PATH decides whose libmemkind it is
 * (ours or Debian's memkind 1.14).  test/bench/bench-peers.sh runs it.
 *
 *   peer_bench [-t SECS] [-n PAIRS] ALLOC PATTERN [SIZE]
 *
 *   ALLOC    malloc      malloc/free
 *            default     memkind_malloc/memkind_free(MEMKIND_DEFAULT)
 *            pmem:DIR    a PMEM kind, memkind_create_pmem(DIR, 0)
 *            version     print memkind_get_version() and exit
 *            which       print whose malloc this process has (glibc,
 *                        jemalloc, mimalloc, tcmalloc) and exit
 *   PATTERN  one thread unless stated; "first byte written" means the
 *            allocation's first byte is stored to, as programs do:
 *            pairs    malloc then free at once (nothing written)
 *            fifo     batches of B = clamp(64 MiB / SIZE, 4, 64) objects,
 *                     first byte written, freed in allocation order
 *            lifo     the same, freed in reverse order
 *            mix64k   10000 live objects; each step replaces a random one
 *                     by a new one of a log-uniform size, 16 B to 64 KiB,
 *                     first byte written (SIZE is ignored)
 *            mix4m    the same, 16 B to 4 MiB
 *            xthread  2 threads: one allocates (first byte written) and
 *                     passes the objects through a ring to the other,
 *                     which frees them: every free is cross-thread
 *            threads8 8 threads, each doing fifo batches of its own
 *   -t SECS  seconds measured (default 0.25), after a warm-up of a fifth
 *            of that (not counted)
 *   -n PAIRS a fixed number of pairs, one thread only, for
 *            valgrind --tool=callgrind --toggle-collect=peer_loop: the
 *            instructions collected divided by PAIRS are the instructions
 *            per malloc+free pair (a warm-up of PAIRS / 10 runs first, in
 *            warm_loop, outside the collection)
 *
 * Prints one line of tab-separated fields:
 *   ALLOC PATTERN SIZE PAIRS CPU_S WALL_S MPAIRS_PER_CPU_S MPAIRS_PER_S
 *   PEAK_RSS_KIB PMEM_FILE_BYTES
 * CPU_S is the process's CPU time (all threads, user + system) over the
 * measured part, PEAK_RSS_KIB is VmHWM at the end of the run (the whole
 * process: start-up, warm-up and all), PMEM_FILE_BYTES the allocated blocks
 * of the PMEM kind's (unlinked) file, found through /proc/self/fd, while the
 * pattern's objects are live at the end of the run (-1 for other
 * allocators).  A pair is one malloc and one free.
 */
#include "bench_common.h"

#include <dlfcn.h>
#include <memkind.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG       "peer_bench"
#define BATCH_MAX  64
#define MIX_LIVE   10000
#define SEQ_LEN    65536 /* precomputed (slot, size) steps of the mixes */
#define NTHREADS   8     /* threads of the threads8 pattern */
#define RING_LEN   1024  /* slots of the xthread ring (a power of two) */
#define CACHE_LINE 64

enum mode
{
    MODE_MALLOC, ///< malloc / free
    MODE_KIND,   ///< memkind_malloc / memkind_free(kind, p)
};

enum pattern
{
    PAT_PAIRS,
    PAT_FIFO,
    PAT_LIFO,
    PAT_MIX64K,
    PAT_MIX4M,
    PAT_XTHREAD,
    PAT_THREADS8,
};

static const char *const pattern_names[] = {
    [PAT_PAIRS] = "pairs",       [PAT_FIFO] = "fifo",
    [PAT_LIFO] = "lifo",         [PAT_MIX64K] = "mix64k",
    [PAT_MIX4M] = "mix4m",       [PAT_XTHREAD] = "xthread",
    [PAT_THREADS8] = "threads8",
};

static enum mode mode;
static memkind_t kind;
static const char *pmem_dir; /* NULL unless ALLOC is pmem:DIR */
static enum pattern pattern;
static size_t size; /* object size of the fixed-size patterns */
static long batch;  /* B of the batch patterns */
static long failed; /* allocations that returned NULL (one thread) */
static void *slots[BATCH_MAX];
static void **mix_live;    /* MIX_LIVE objects of the mixes */
static uint32_t *mix_slot; /* SEQ_LEN slot indices */
static uint32_t *mix_size; /* SEQ_LEN sizes */
static size_t mix_pos;     /* next step of the sequences */
static atomic_bool stop;   /* multi-threaded patterns: time is up */
static long long pmem_bytes = -1;

/* With m a constant (the measured loops), each use compiles to one direct
 * call; elsewhere (threads, set-up) it is one test of the mode. */
static inline __attribute__((always_inline)) void *xalloc(enum mode m, size_t n)
{
    return m == MODE_MALLOC ? malloc(n) : memkind_malloc(kind, n);
}

static inline __attribute__((always_inline)) void xfree(enum mode m, void *p)
{
    if (m == MODE_MALLOC)
        free(p);
    else
        memkind_free(kind, p);
}

static inline __attribute__((always_inline)) void *xalloc_touch(enum mode m,
                                                                size_t n)
{
    char *p = xalloc(m, n);
    if (p)
        *(volatile char *)p = 1;
    else
        failed++;
    return p;
}

/* One batch of the batch patterns, into slots[0..batch). */
static inline __attribute__((always_inline)) void fill_batch(enum mode m)
{
    for (long j = 0; j < batch; j++)
        slots[j] = xalloc_touch(m, size);
}

static inline __attribute__((always_inline)) void free_batch(enum mode m,
                                                             bool lifo)
{
    if (lifo) {
        for (long j = batch - 1; j >= 0; j--)
            xfree(m, slots[j]);
    } else {
        for (long j = 0; j < batch; j++)
            xfree(m, slots[j]);
    }
}

/* n pairs of the single-thread patterns (n a multiple of batch for the
 * batch patterns). */
static inline __attribute__((always_inline)) void run(enum mode m, long n)
{
    switch (pattern) {
        case PAT_PAIRS:
            for (long i = 0; i < n; i++) {
                void *p = xalloc(m, size);
                __asm__ volatile("" : : "r"(p) : "memory");
                xfree(m, p);
            }
            break;
        case PAT_FIFO:
        case PAT_LIFO:
            for (long i = 0; i < n; i += batch) {
                fill_batch(m);
                free_batch(m, pattern == PAT_LIFO);
            }
            break;
        case PAT_MIX64K:
        case PAT_MIX4M:
            for (long i = 0; i < n; i++) {
                size_t k = mix_pos++ % SEQ_LEN;
                void *p = xalloc_touch(m, mix_size[k]);
                uint32_t s = mix_slot[k];
                xfree(m, mix_live[s]);
                mix_live[s] = p;
            }
            break;
        default:
            break;
    }
}

/* The measured loop; callgrind collects inside it only. */
__attribute__((noinline)) void peer_loop(long n);
__attribute__((noinline)) void peer_loop(long n)
{
    if (mode == MODE_MALLOC)
        run(MODE_MALLOC, n);
    else
        run(MODE_KIND, n);
}

/* The same work, not collected: warms caches, arenas and file mappings. */
__attribute__((noinline)) void warm_loop(long n);
__attribute__((noinline)) void warm_loop(long n)
{
    if (mode == MODE_MALLOC)
        run(MODE_MALLOC, n);
    else
        run(MODE_KIND, n);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s,
                          .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void sample_pmem(void)
{
    if (pmem_dir)
        pmem_bytes = bench_dir_file_bytes(pmem_dir, NULL);
}

/* -------------------------------------------------------- mixes */

static void mix_setup(void)
{
    size_t hi = pattern == PAT_MIX64K ? 65536 : 4194304;
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    mix_live = calloc(MIX_LIVE, sizeof(*mix_live));
    mix_slot = malloc(SEQ_LEN * sizeof(*mix_slot));
    mix_size = malloc(SEQ_LEN * sizeof(*mix_size));
    if (!mix_live || !mix_slot || !mix_size)
        bench_die(PROG, "out of memory");
    for (size_t k = 0; k < SEQ_LEN; k++) {
        mix_slot[k] = (uint32_t)(bench_rand(&rng) % MIX_LIVE);
        mix_size[k] = (uint32_t)bench_log_uniform(&rng, 16, hi);
    }
    /* the live set, sized from the same distribution */
    for (size_t i = 0; i < MIX_LIVE; i++) {
        size_t n = bench_log_uniform(&rng, 16, hi);
        mix_live[i] = xalloc(mode, n);
        if (!mix_live[i])
            bench_die(PROG, "filling the live set failed");
        *(volatile char *)mix_live[i] = 1;
    }
}

static void mix_teardown(void)
{
    for (size_t i = 0; i < MIX_LIVE; i++)
        xfree(mode, mix_live[i]);
    free(mix_live);
    free(mix_slot);
    free(mix_size);
}

/* ----------------------------------------------- threads8 pattern */

struct worker {
    pthread_t thread; ///< the thread running it
    long pairs;       ///< pairs done while measured
    long failed;      ///< allocations that returned NULL
    char pad[CACHE_LINE];
};

static pthread_barrier_t barrier;

static void *batch_worker(void *arg)
{
    struct worker *w = arg;
    void *own[BATCH_MAX];
    long pairs = 0;
    long fail = 0;
    bool warm = true;
    /* Warm-up until the main thread starts the clock, then measured. */
    for (;;) {
        for (long j = 0; j < batch; j++) {
            char *p = xalloc(mode, size);
            if (p)
                *(volatile char *)p = 1;
            else
                fail++;
            own[j] = p;
        }
        for (long j = 0; j < batch; j++)
            xfree(mode, own[j]);
        if (warm) {
            (void)pthread_barrier_wait(&barrier);
            warm = false;
            continue;
        }
        pairs += batch;
        if (atomic_load_explicit(&stop, memory_order_relaxed))
            break;
    }
    w->pairs = pairs;
    w->failed = fail;
    return NULL;
}

/* ------------------------------------------------ xthread pattern */

static struct {
    _Alignas(CACHE_LINE) atomic_ulong head; ///< next slot to consume
    _Alignas(CACHE_LINE) atomic_ulong tail; ///< next slot to produce
    _Alignas(CACHE_LINE) void *slot[RING_LEN];
} ring;
static unsigned long ring_limit; /* objects in flight at most */
static char ring_end;            /* its address marks the producer's end */

static void backoff(unsigned *spins)
{
    if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        sched_yield();
    }
}

static void *producer(void *arg)
{
    struct worker *w = arg;
    unsigned long tail = 0;
    unsigned long head = 0; /* last head seen */
    long fail = 0;
    (void)pthread_barrier_wait(&barrier);
    for (;;) {
        bool last = atomic_load_explicit(&stop, memory_order_relaxed);
        void *p = &ring_end;
        if (!last) {
            p = xalloc(mode, size);
            if (!p) {
                fail++;
                continue;
            }
            *(volatile char *)p = 1;
        }
        unsigned spins = 0;
        while (tail - head >= ring_limit) {
            head = atomic_load_explicit(&ring.head, memory_order_acquire);
            if (tail - head >= ring_limit)
                backoff(&spins);
        }
        ring.slot[tail % RING_LEN] = p;
        atomic_store_explicit(&ring.tail, ++tail, memory_order_release);
        if (last)
            break;
    }
    w->failed = fail;
    return NULL;
}

static void *consumer(void *arg)
{
    struct worker *w = arg;
    unsigned long head = 0;
    long pairs = 0;
    bool done = false;
    (void)pthread_barrier_wait(&barrier);
    while (!done) {
        unsigned long tail =
            atomic_load_explicit(&ring.tail, memory_order_acquire);
        unsigned spins = 0;
        while (tail == head) {
            backoff(&spins);
            tail = atomic_load_explicit(&ring.tail, memory_order_acquire);
        }
        for (; head != tail; head++) {
            void *p = ring.slot[head % RING_LEN];
            if (p == &ring_end) {
                done = true; /* the producer's last slot */
            } else {
                xfree(mode, p);
                pairs++;
            }
        }
        atomic_store_explicit(&ring.head, head, memory_order_release);
    }
    w->pairs = pairs;
    return NULL;
}

/* ------------------------------------------------------- runners */

struct result {
    long pairs;  ///< malloc+free pairs measured
    double cpu;  ///< process CPU seconds over them
    double wall; ///< wall seconds over them
};

static struct result run_threads(double secs)
{
    struct worker w[NTHREADS];
    unsigned n = pattern == PAT_XTHREAD ? 2 : NTHREADS;
    memset(w, 0, sizeof(w));
    if (pattern == PAT_XTHREAD) {
        ring_limit = (unsigned long)(256UL << 20) / size;
        if (ring_limit > RING_LEN)
            ring_limit = RING_LEN;
        if (ring_limit < 16)
            ring_limit = 16;
    }
    if (pthread_barrier_init(&barrier, NULL, n + 1))
        bench_die(PROG, "pthread_barrier_init failed");
    for (unsigned t = 0; t < n; t++) {
        void *(*fn)(void *) = batch_worker;
        if (pattern == PAT_XTHREAD)
            fn = t == 0 ? producer : consumer;
        if (pthread_create(&w[t].thread, NULL, fn, &w[t]))
            bench_die(PROG, "pthread_create failed");
    }
    (void)pthread_barrier_wait(&barrier);
    double c0 = cpu_now();
    double t0 = bench_now();
    sleep_s(secs);
    sample_pmem(); /* the threads' objects are live */
    atomic_store(&stop, true);
    struct result r = {0};
    for (unsigned t = 0; t < n; t++) {
        (void)pthread_join(w[t].thread, NULL);
        r.pairs += w[t].pairs;
        failed += w[t].failed;
    }
    r.wall = bench_now() - t0;
    r.cpu = cpu_now() - c0;
    (void)pthread_barrier_destroy(&barrier);
    return r;
}

/* The single-thread patterns for secs seconds, after a warm-up. */
static struct result run_timed(double secs)
{
    long unit = pattern == PAT_FIFO || pattern == PAT_LIFO ? batch : 64;
    long chunk = unit;
    /* warm-up, doubling the chunk until one takes about a millisecond */
    double t0 = bench_now();
    double now = t0;
    while (now - t0 < secs / 5) {
        warm_loop(chunk);
        double t = bench_now();
        if (t - now < 1e-3 && chunk < (1L << 30))
            chunk *= 2;
        now = t;
    }
    struct result r = {0};
    double c0 = cpu_now();
    t0 = bench_now();
    do {
        peer_loop(chunk);
        r.pairs += chunk;
        now = bench_now();
    } while (now - t0 < secs);
    r.wall = now - t0;
    r.cpu = cpu_now() - c0;
    return r;
}

/* The file's blocks with the pattern's objects live. */
static void sample_single(void)
{
    if (!pmem_dir)
        return;
    if (pattern == PAT_MIX64K || pattern == PAT_MIX4M) {
        sample_pmem();
        return;
    }
    long saved = batch;
    if (pattern == PAT_PAIRS)
        batch = 1;
    fill_batch(mode);
    sample_pmem();
    free_batch(mode, false);
    batch = saved;
}

/* Whose malloc the process has, from the symbols each one exports. */
static const char *which_malloc(void)
{
    if (dlsym(RTLD_DEFAULT, "mi_malloc"))
        return "mimalloc";
    if (dlsym(RTLD_DEFAULT, "tc_malloc"))
        return "tcmalloc";
    if (dlsym(RTLD_DEFAULT, "mallocx"))
        return "jemalloc";
    return "glibc";
}

static void set_alloc(const char *alloc)
{
    if (!strcmp(alloc, "malloc")) {
        mode = MODE_MALLOC;
    } else if (!strcmp(alloc, "default")) {
        mode = MODE_KIND;
        kind = MEMKIND_DEFAULT;
    } else if (!strncmp(alloc, "pmem:", 5) && alloc[5]) {
        mode = MODE_KIND;
        pmem_dir = alloc + 5;
        int err = memkind_create_pmem(pmem_dir, 0, &kind);
        if (err)
            bench_die(PROG, "memkind_create_pmem(%s) failed: %d", pmem_dir,
                      err);
    } else {
        bench_die(PROG, "unknown allocator '%s'", alloc);
    }
}

static void set_pattern(const char *name)
{
    for (size_t i = 0; i < sizeof(pattern_names) / sizeof(*pattern_names);
         i++) {
        if (!strcmp(name, pattern_names[i])) {
            pattern = (enum pattern)i;
            return;
        }
    }
    bench_die(PROG, "unknown pattern '%s'", name);
}

int main(int argc, char **argv)
{
    double secs = 0.25;
    long fixed = 0;
    int opt;
    while ((opt = getopt(argc, argv, "t:n:")) != -1) {
        switch (opt) {
            case 't':
                secs = atof(optarg);
                break;
            case 'n':
                fixed = atol(optarg);
                break;
            default:
                return 2;
        }
    }
    if (optind < argc && !strcmp(argv[optind], "version")) {
        printf("%d\n", memkind_get_version());
        return 0;
    }
    if (optind < argc && !strcmp(argv[optind], "which")) {
        printf("%s\n", which_malloc());
        return 0;
    }
    if (argc - optind < 2 || argc - optind > 3 || secs <= 0 || fixed < 0)
        bench_die(PROG, "usage: peer_bench [-t SECS] [-n PAIRS] "
                        "malloc|default|pmem:DIR PATTERN [SIZE]");
    set_pattern(argv[optind + 1]);
    bool mix = pattern == PAT_MIX64K || pattern == PAT_MIX4M;
    if (!mix && argc - optind != 3)
        bench_die(PROG, "pattern %s needs a SIZE", argv[optind + 1]);
    size = mix ? 0 : bench_parse_size(PROG, argv[optind + 2]);
    if (!mix && size == 0)
        bench_die(PROG, "SIZE must be positive");
    batch = (long)((64UL << 20) / (size ? size : 1));
    if (batch > BATCH_MAX)
        batch = BATCH_MAX;
    if (batch < 4)
        batch = 4;
    if (fixed && (pattern == PAT_XTHREAD || pattern == PAT_THREADS8))
        bench_die(PROG, "-n is for the one-thread patterns");
    set_alloc(argv[optind]);
    if (mix)
        mix_setup();

    struct result r;
    if (pattern == PAT_XTHREAD || pattern == PAT_THREADS8) {
        r = run_threads(secs);
    } else if (fixed) {
        long unit = pattern == PAT_FIFO || pattern == PAT_LIFO ? batch : 1;
        long n = (fixed + unit - 1) / unit * unit;
        warm_loop((n / 10 + unit - 1) / unit * unit);
        double c0 = cpu_now();
        double t0 = bench_now();
        peer_loop(n);
        r = (struct result){
            .pairs = n, .cpu = cpu_now() - c0, .wall = bench_now() - t0};
    } else {
        r = run_timed(secs);
    }
    if (pattern != PAT_XTHREAD && pattern != PAT_THREADS8)
        sample_single();
    if (failed)
        bench_die(PROG, "%ld allocations failed", failed);
    if (mix)
        mix_teardown();
    long hwm = bench_status_kib("VmHWM");
    printf("%s\t%s\t%zu\t%ld\t%.4f\t%.4f\t%.3f\t%.3f\t%ld\t%lld\n",
           pmem_dir ? "pmem" : argv[optind], pattern_names[pattern], size,
           r.pairs, r.cpu, r.wall, (double)r.pairs / r.cpu * 1e-6,
           (double)r.pairs / r.wall * 1e-6, hwm, pmem_bytes);
    if (pmem_dir)
        memkind_destroy_kind(kind);
    return 0;
}
