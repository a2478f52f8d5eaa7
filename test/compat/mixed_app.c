// SPDX-License-Identifier: BSD-2-Clause
/*
 * mixed_app.c - an application with a malloc of its own (glibc's, or
 * jemalloc linked with -ljemalloc or LD_PRELOADed) that also uses memkind,
 * heavily and interleaved, from several threads (DESIGN.md 3: our jemalloc
 * is private, the application's malloc stays its own).
 *
 *   mixed_app run       the stress run; exit 0 when every check passed
 *   mixed_app narenas   prints "ours=N app=M" (app=none without jemalloc):
 *                       opt.narenas of our private jemalloc (read through
 *                       memkind_stats_print()) and of the application's
 *
 * Environment read by "run":
 *   MK_EXPECT_JEMALLOC=1     the application's malloc must be jemalloc
 *                            (mallctl found, malloc()ed pointers are its)
 *   MK_EXPECT_APP_NARENAS=N  the application's jemalloc has opt.narenas N
 *
 * Checks: blocks from both allocators never overlap (each block carries a
 * fill pattern, checked before it is freed or grown); memkind_detect_kind()
 * finds our kinds for our blocks and NULL for the application's; usable
 * sizes; calloc zeroing; memory from memkind does not show up in the
 * application jemalloc's stats.allocated, nor the application's in
 * memkind_get_stat(); creating kinds and allocating from them leaves the
 * application jemalloc's arenas.narenas unchanged.
 */
#include <memkind.h>

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NTHREADS   8
#define ITERS      150000
#define SLOTS      512
#define BIG_BLOCKS 32
#define BIG_SIZE   (1024 * 1024)

typedef int mallctl_fn(const char *name, void *oldp, size_t *oldlenp,
                       void *newp, size_t newlen);

/* The application's jemalloc, when it has one (never ours: ours is hidden). */
static mallctl_fn *app_mallctl;
static memkind_t dyn_kind; ///< a fixed kind over dyn_buf
static void *dyn_buf;
#define DYN_BUF_SIZE ((size_t)2 << 30) /* address space only */
static atomic_int failures;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "mixed_app: %s:%d: ", __FILE__, __LINE__);         \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            atomic_fetch_add(&failures, 1);                                    \
        }                                                                      \
    } while (0)

enum origin
{
    FROM_APP,     ///< malloc / calloc / posix_memalign of the application
    FROM_DEFAULT, ///< MEMKIND_DEFAULT
    FROM_DYNAMIC  ///< dyn_kind (memkind_create_fixed)
};

struct block {
    unsigned char *p;   ///< NULL: slot empty
    size_t size;        ///< requested size
    enum origin origin; ///< who allocated it
    unsigned char tag;  ///< fill byte
};

static uint64_t next_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static size_t pick_size(uint64_t *s)
{
    uint64_t r = next_rand(s) % 1000;
    if (r < 900)
        return 1 + next_rand(s) % 512;
    if (r < 995)
        return 513 + next_rand(s) % (64 * 1024);
    return 64 * 1024 + next_rand(s) % (1024 * 1024);
}

static memkind_t kind_of(enum origin o)
{
    return o == FROM_DEFAULT ? MEMKIND_DEFAULT : dyn_kind;
}

/* Checks the fill pattern at the start, the middle and the end. */
static void check_pattern(const struct block *b)
{
    size_t n = b->size, probe = n < 64 ? n : 64;
    const unsigned char *ends[3] = {b->p, b->p + (n - probe) / 2,
                                    b->p + n - probe};
    for (int e = 0; e < 3; e++) {
        for (size_t i = 0; i < probe; i++) {
            if (ends[e][i] != b->tag) {
                CHECK(0,
                      "block %p (%zu bytes, origin %d) corrupted at +%zu: "
                      "0x%02x, want 0x%02x (allocators overlap?)",
                      (void *)b->p, n, (int)b->origin,
                      (size_t)(ends[e] + i - b->p), ends[e][i], b->tag);
                return;
            }
        }
    }
}

static void check_owner(const struct block *b)
{
    memkind_t k = memkind_detect_kind(b->p);
    if (b->origin == FROM_APP) {
        CHECK(k == NULL, "memkind_detect_kind(app pointer %p) = %p, want NULL",
              (void *)b->p, (void *)k);
        CHECK(malloc_usable_size(b->p) >= b->size,
              "malloc_usable_size(%p) < %zu", (void *)b->p, b->size);
    } else {
        CHECK(k == kind_of(b->origin), "memkind_detect_kind(%p) = %p, want %p",
              (void *)b->p, (void *)k, (void *)kind_of(b->origin));
        CHECK(memkind_malloc_usable_size(kind_of(b->origin), b->p) >= b->size,
              "memkind_malloc_usable_size(%p) < %zu", (void *)b->p, b->size);
    }
}

static int allocate(struct block *b, uint64_t *s, unsigned char tag)
{
    size_t n = pick_size(s);
    unsigned how = next_rand(s) % 3;
    enum origin o = (enum origin)(next_rand(s) % 3);
    void *p = NULL;
    int zeroed = 0;
    if (o == FROM_APP) {
        if (how == 0) {
            p = malloc(n);
        } else if (how == 1) {
            p = calloc(1, n);
            zeroed = 1;
        } else if (posix_memalign(&p, 64, n) != 0) {
            p = NULL;
        }
    } else {
        memkind_t k = kind_of(o);
        if (how == 0) {
            p = memkind_malloc(k, n);
        } else if (how == 1) {
            p = memkind_calloc(k, 1, n);
            zeroed = 1;
        } else if (memkind_posix_memalign(k, &p, 64, n) != 0) {
            p = NULL;
        }
    }
    CHECK(p != NULL, "allocation of %zu bytes (origin %d, how %u) failed", n,
          (int)o, how);
    if (!p)
        return -1;
    if (how == 2)
        CHECK(((uintptr_t)p & 63) == 0, "posix_memalign(64) gave %p", p);
    if (zeroed) {
        const unsigned char *c = p;
        size_t probe = n < 256 ? n : 256;
        for (size_t i = 0; i < probe; i++) {
            if (c[i] != 0) {
                CHECK(0, "calloc'd block %p (origin %d) not zeroed", p, (int)o);
                break;
            }
        }
    }
    memset(p, tag, n);
    *b = (struct block){.p = p, .size = n, .origin = o, .tag = tag};
    return 0;
}

static void release(struct block *b, uint64_t *s)
{
    check_pattern(b);
    check_owner(b);
    if (b->origin == FROM_APP) {
        free(b->p);
    } else {
        /* memkind_free(NULL, p) must find the kind itself. */
        memkind_free(next_rand(s) & 1 ? kind_of(b->origin) : NULL, b->p);
    }
    b->p = NULL;
}

static void grow(struct block *b, uint64_t *s)
{
    check_pattern(b);
    size_t n = pick_size(s);
    void *q = b->origin == FROM_APP
                  ? realloc(b->p, n)
                  : memkind_realloc(kind_of(b->origin), b->p, n);
    CHECK(q != NULL, "realloc to %zu bytes (origin %d) failed", n,
          (int)b->origin);
    if (!q)
        return;
    size_t keep = n < b->size ? n : b->size;
    const unsigned char *c = q;
    for (size_t i = 0; i < keep && i < 64; i++) {
        if (c[i] != b->tag) {
            CHECK(0, "realloc (origin %d) lost the contents", (int)b->origin);
            break;
        }
    }
    memset(q, b->tag, n);
    b->p = q;
    b->size = n;
}

static void *worker(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1);
    struct block *slots = calloc(SLOTS, sizeof(*slots));
    CHECK(slots != NULL, "calloc of the slot table failed");
    if (!slots)
        return NULL;
    unsigned char tag = (unsigned char)(1 + (uintptr_t)arg * 31);
    for (int i = 0; i < ITERS; i++) {
        struct block *b = &slots[next_rand(&seed) % SLOTS];
        if (!b->p) {
            tag = (unsigned char)(tag % 255 + 1);
            (void)allocate(b, &seed, tag);
        } else if (next_rand(&seed) % 4 == 0) {
            grow(b, &seed);
        } else {
            release(b, &seed);
        }
    }
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].p)
            release(&slots[i], &seed);
    free(slots);
    return NULL;
}

static int app_size(const char *name, size_t *v)
{
    size_t len = sizeof(*v);
    return app_mallctl(name, v, &len, NULL, 0);
}

static int app_unsigned(const char *name, unsigned *v)
{
    size_t len = sizeof(*v);
    return app_mallctl(name, v, &len, NULL, 0);
}

static size_t app_allocated(void)
{
    uint64_t epoch = 1;
    size_t len = sizeof(epoch), v = 0;
    if (app_mallctl("epoch", &epoch, &len, &epoch, len) != 0 ||
        app_size("stats.allocated", &v) != 0)
        return (size_t)-1;
    return v;
}

static size_t our_allocated(void)
{
    size_t v = 0;
    int err = memkind_update_cached_stats();
    CHECK(err == 0, "memkind_update_cached_stats() = %d", err);
    err = memkind_get_stat(NULL, MEMKIND_STAT_TYPE_ALLOCATED, &v);
    CHECK(err == 0, "memkind_get_stat(NULL, ALLOCATED) = %d", err);
    return v;
}

/* Large memkind blocks are not the application's, and the other way round. */
static void check_stats_separate(void)
{
    void *big[BIG_BLOCKS];
    size_t ours0 = our_allocated();
    size_t app0 = app_mallctl ? app_allocated() : 0;
    for (int i = 0; i < BIG_BLOCKS; i++) {
        big[i] = memkind_malloc(MEMKIND_DEFAULT, BIG_SIZE);
        CHECK(big[i] != NULL, "memkind_malloc(DEFAULT, 1 MiB) failed");
        if (big[i])
            memset(big[i], 0x5a, BIG_SIZE);
    }
    size_t ours1 = our_allocated();
    CHECK(ours1 >= ours0 + (size_t)BIG_BLOCKS * BIG_SIZE,
          "memkind_get_stat(ALLOCATED) grew %zu -> %zu after %d MiB from "
          "memkind",
          ours0, ours1, BIG_BLOCKS);
    if (app_mallctl) {
        size_t app1 = app_allocated();
        CHECK(app1 != (size_t)-1 &&
                  app1 < app0 + (size_t)BIG_BLOCKS * BIG_SIZE / 2,
              "the application's jemalloc stats.allocated grew %zu -> %zu "
              "with %d MiB from memkind: it served our kind",
              app0, app1, BIG_BLOCKS);
    }
    for (int i = 0; i < BIG_BLOCKS; i++)
        memkind_free(MEMKIND_DEFAULT, big[i]);

    ours0 = our_allocated();
    for (int i = 0; i < BIG_BLOCKS; i++) {
        big[i] = malloc(BIG_SIZE);
        CHECK(big[i] != NULL, "malloc(1 MiB) failed");
        if (big[i])
            memset(big[i], 0xa5, BIG_SIZE);
    }
    ours1 = our_allocated();
    CHECK(ours1 < ours0 + (size_t)BIG_BLOCKS * BIG_SIZE / 2,
          "memkind_get_stat(ALLOCATED) grew %zu -> %zu with %d MiB of the "
          "application's malloc",
          ours0, ours1, BIG_BLOCKS);
    for (int i = 0; i < BIG_BLOCKS; i++) {
        CHECK(memkind_detect_kind(big[i]) == NULL,
              "memkind_detect_kind(malloc'd %p) is not NULL", big[i]);
        free(big[i]);
    }
}

/* The application's malloc must be jemalloc's when we expect it. */
static void check_app_jemalloc(void)
{
    const char *version = NULL;
    size_t len = sizeof(version);
    CHECK(app_mallctl != NULL,
          "MK_EXPECT_JEMALLOC set but no mallctl() in the process");
    if (!app_mallctl)
        return;
    CHECK(app_mallctl("version", &version, &len, NULL, 0) == 0 && version,
          "application mallctl(\"version\") failed");
    void *p = malloc(100);
    unsigned arena = 0;
    len = sizeof(arena);
    CHECK(p && app_mallctl("arenas.lookup", &arena, &len, &p, sizeof(p)) == 0,
          "malloc() did not come from the application's jemalloc");
    free(p);
    printf("application jemalloc %s\n", version ? version : "?");
}

static void collect(void *opaque, const char *text)
{
    size_t used = strlen(opaque), n = strlen(text);
    if (used + n < 65536)
        memcpy((char *)opaque + used, text, n + 1);
}

/* opt.narenas of our private jemalloc, from memkind_stats_print(). */
static long our_narenas(void)
{
    static char text[65536];
    text[0] = '\0';
    int err = memkind_stats_print(
        collect, text,
        MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA |
            MEMKIND_STAT_PRINT_OMIT_DESTROYED_MERGED_ARENA |
            MEMKIND_STAT_PRINT_OMIT_PER_ARENA |
            MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_BINS |
            MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_LARGE |
            MEMKIND_STAT_PRINT_OMIT_MUTEX | MEMKIND_STAT_PRINT_OMIT_EXTENT);
    const char *at = strstr(text, "opt.narenas: ");
    if (err != 0 || !at) {
        fprintf(stderr,
                "mixed_app: no opt.narenas in memkind_stats_print() "
                "output (err %d)\n",
                err);
        return -1;
    }
    return strtol(at + strlen("opt.narenas: "), NULL, 10);
}

static int print_narenas(void)
{
    long ours = our_narenas();
    unsigned app = 0;
    if (app_mallctl && app_unsigned("opt.narenas", &app) == 0)
        printf("ours=%ld app=%u\n", ours, app);
    else
        printf("ours=%ld app=none\n", ours);
    return ours < 0;
}

static int run(void)
{
    const char *expect_je = getenv("MK_EXPECT_JEMALLOC");
    const char *expect_n = getenv("MK_EXPECT_APP_NARENAS");
    unsigned narenas0 = 0, narenas1 = 0, opt = 0;

    if (expect_je && *expect_je == '1')
        check_app_jemalloc();
    if (app_mallctl) {
        CHECK(app_unsigned("arenas.narenas", &narenas0) == 0,
              "application mallctl(\"arenas.narenas\") failed");
        CHECK(app_unsigned("opt.narenas", &opt) == 0,
              "application mallctl(\"opt.narenas\") failed");
        if (expect_n)
            CHECK(opt == (unsigned)strtoul(expect_n, NULL, 10),
                  "application opt.narenas = %u, want %s (its MALLOC_CONF)",
                  opt, expect_n);
    }

    /* memkind_create_kind() returns static kinds (as 1.14 does); a kind
       of our own comes from memkind_create_fixed(). */
    dyn_buf = mmap(NULL, DYN_BUF_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(dyn_buf != MAP_FAILED, "mmap: %s", strerror(errno));
    if (dyn_buf == MAP_FAILED)
        return 1;
    int err = memkind_create_fixed(dyn_buf, DYN_BUF_SIZE, &dyn_kind);
    CHECK(err == 0, "memkind_create_fixed = %d", err);
    if (err)
        return 1;

    pthread_t t[NTHREADS];
    for (uintptr_t i = 0; i < NTHREADS; i++) {
        err = pthread_create(&t[i], NULL, worker, (void *)i);
        CHECK(err == 0, "pthread_create: %s", strerror(err));
        if (err)
            return 1;
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);

    check_stats_separate();

    if (app_mallctl) {
        CHECK(app_unsigned("arenas.narenas", &narenas1) == 0,
              "application mallctl(\"arenas.narenas\") failed");
        CHECK(narenas1 == narenas0,
              "application arenas.narenas changed %u -> %u: our kinds made "
              "arenas in the application's jemalloc",
              narenas0, narenas1);
    }
    err = memkind_destroy_kind(dyn_kind);
    CHECK(err == 0, "memkind_destroy_kind = %d", err);
    munmap(dyn_buf, DYN_BUF_SIZE);

    int f = atomic_load(&failures);
    printf("%s: %d threads x %d interleaved malloc/memkind operations, "
           "app jemalloc: %s, %d failure(s)\n",
           f ? "FAIL" : "PASS", NTHREADS, ITERS, app_mallctl ? "yes" : "no", f);
    return f != 0;
}

int main(int argc, char **argv)
{
    /* Found in the application's jemalloc only: libmemkind exports none. */
    app_mallctl = (mallctl_fn *)dlsym(RTLD_DEFAULT, "mallctl");
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "run") == 0)
        return run();
    if (argc == 2 && strcmp(argv[1], "narenas") == 0)
        return print_narenas();
    fprintf(stderr, "usage: %s run|narenas\n", argv[0]);
    return 2;
}
