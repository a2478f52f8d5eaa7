// SPDX-License-Identifier: BSD-2-Clause
/*
 * autohbw_app.c - runs under LD_PRELOAD=libautohbw.so (test/env/autohbw-*.sh)
 * and checks where the malloc family's blocks come from, through
 * memkind_detect_kind(): the kind for sizes in AUTO_HBW_SIZE, the C library
 * (NULL) for the rest.
 *
 *   autohbw_app routing KIND   AUTO_HBW_SIZE=1M:4M expected; KIND is the
 *                              MEMKIND_* name requests in range must use
 *   autohbw_app passive        every block must come from the C library
 *   autohbw_app threads        mixed sizes from 8 threads, contents checked
 *
 * Prints "FAIL: ..." for each failed check and exits 1 if there was one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <memkind.h>

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__libc_malloc(size_t size);

#define MiB ((size_t)1 << 20)

static int failures;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("FAIL: %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
            printf(__VA_ARGS__);                                               \
            printf("\n");                                                      \
            failures++;                                                        \
        }                                                                      \
    } while (0)

#define KIND(x)                                                                \
    {                                                                          \
#x, &x                                                                 \
    }
static const struct {
    const char *name;
    memkind_t *kind;
} kinds[] = {
    KIND(MEMKIND_DEFAULT),        KIND(MEMKIND_HUGETLB),
    KIND(MEMKIND_INTERLEAVE),     KIND(MEMKIND_HBW),
    KIND(MEMKIND_HBW_PREFERRED),  KIND(MEMKIND_HBW_HUGETLB),
    KIND(MEMKIND_HBW_INTERLEAVE), KIND(MEMKIND_HBW_PREFERRED_HUGETLB),
};

static memkind_t kind_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].name, name) == 0)
            return *kinds[i].kind;
    printf("FAIL: unknown kind %s\n", name);
    exit(2);
}

static const char *name_of(memkind_t k)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (*kinds[i].kind == k)
            return kinds[i].name;
    return k ? "another kind" : "the C library";
}

static void fill(void *p, size_t n, unsigned seed)
{
    unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        c[i] = (unsigned char)(i * 31u + seed);
}

static int intact(const void *p, size_t n, unsigned seed)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i] != (unsigned char)(i * 31u + seed))
            return 0;
    return 1;
}

/* Where p comes from must be want (NULL: the C library). */
static void from(void *p, memkind_t want, const char *what)
{
    memkind_t got = memkind_detect_kind(p);
    CHECK(p != NULL, "%s returned NULL", what);
    CHECK(got == want, "%s: block from %s, expected %s", what, name_of(got),
          name_of(want));
}

static void free_keeps_errno(void *p)
{
    errno = 4242;
    free(p);
    CHECK(errno == 4242, "free changed errno to %d", errno);
}

static void routing(memkind_t k)
{
    // autohbw(7): larger than x and smaller than y (AUTO_HBW_SIZE=1M:4M).
    void *p = malloc(2 * MiB);
    from(p, k, "malloc(2M)");
    CHECK(malloc_usable_size(p) >= 2 * MiB, "usable %zu",
          malloc_usable_size(p));
    CHECK(malloc_usable_size(p) == memkind_malloc_usable_size(NULL, p),
          "usable size differs from memkind's");
    free_keeps_errno(p);
    void *edge[] = {malloc(100), malloc(MiB), malloc(4 * MiB), malloc(8 * MiB)};
    for (int i = 0; i < 4; i++) {
        from(edge[i], NULL, "malloc outside the range");
        CHECK(malloc_usable_size(edge[i]) >= 100, "libc usable size");
        free_keeps_errno(edge[i]);
    }
    // calloc: zeroed, product in range, overflow refused.
    unsigned char *z = calloc(2, MiB);
    from(z, k, "calloc(2, 1M)");
    size_t nz = 0;
    for (size_t i = 0; z && i < 2 * MiB; i++)
        nz += z[i] != 0;
    CHECK(nz == 0, "%zu non-zero bytes", nz);
    free(z);
    volatile size_t huge = SIZE_MAX / 2; /* hide the overflow from gcc */
    errno = 0;
    CHECK(calloc(huge, 4) == NULL && errno == ENOMEM, "calloc overflow");
    // realloc moves blocks between the heaps as their size changes.
    char *r = malloc(1000);
    fill(r, 1000, 1);
    r = realloc(r, 2 * MiB);
    from(r, k, "realloc(small, 2M)");
    CHECK(r && intact(r, 1000, 1), "content lost moving into the kind");
    fill(r, 2 * MiB, 2);
    r = realloc(r, 3 * MiB);
    from(r, k, "realloc(2M, 3M)");
    CHECK(r && intact(r, 2 * MiB, 2), "content lost growing in the kind");
    r = realloc(r, 500);
    from(r, NULL, "realloc(3M, 500)");
    CHECK(r && intact(r, 500, 2), "content lost moving out of the kind");
    CHECK(realloc(r, 0) == NULL, "realloc(p, 0) must free");
    r = realloc(NULL, 2 * MiB);
    from(r, k, "realloc(NULL, 2M)");
    free(r);
    errno = 0;
    CHECK(reallocarray(NULL, huge, 4) == NULL && errno == ENOMEM,
          "reallocarray overflow");
    r = reallocarray(NULL, 2, MiB);
    from(r, k, "reallocarray(NULL, 2, 1M)");
    free(r);
    // The aligned family.
    void *a = NULL;
    CHECK(posix_memalign(&a, 4096, 2 * MiB) == 0, "posix_memalign");
    from(a, k, "posix_memalign(4096, 2M)");
    CHECK(((uintptr_t)a & 4095) == 0, "alignment %p", a);
    free(a);
    CHECK(posix_memalign(&a, 3, 2 * MiB) == EINVAL, "alignment 3");
    CHECK(posix_memalign(&a, 4, 2 * MiB) == EINVAL, "alignment 4");
    a = aligned_alloc(64, 2 * MiB);
    from(a, k, "aligned_alloc(64, 2M)");
    CHECK(((uintptr_t)a & 63) == 0, "alignment %p", a);
    free(a);
    a = memalign(2 * MiB, 2 * MiB);
    from(a, k, "memalign(2M, 2M)");
    CHECK(((uintptr_t)a & (2 * MiB - 1)) == 0, "alignment %p", a);
    free(a);
    a = memalign(16, 64);
    from(a, NULL, "memalign(16, 64)");
    free(a);
    long page = sysconf(_SC_PAGESIZE);
    a = valloc(2 * MiB);
    from(a, k, "valloc(2M)");
    CHECK(((uintptr_t)a & (uintptr_t)(page - 1)) == 0, "valloc alignment");
    free(a);
    a = pvalloc(2 * MiB - 100);
    from(a, k, "pvalloc(2M - 100)");
    CHECK(malloc_usable_size(a) >= 2 * MiB, "pvalloc rounds to pages");
    free(a);
    // Blocks the preload library never saw: glibc's own and memkind's.
    void *g = __libc_malloc(2 * MiB);
    from(g, NULL, "__libc_malloc");
    CHECK(malloc_usable_size(g) >= 2 * MiB, "usable size of a glibc block");
    g = realloc(g, 100);
    from(g, NULL, "realloc of a glibc block");
    free_keeps_errno(g);
    void *m = memkind_malloc(MEMKIND_DEFAULT, 100);
    from(m, MEMKIND_DEFAULT, "memkind_malloc(DEFAULT)");
    free_keeps_errno(m);
    free(NULL);
    // disableAutoHBW()/enableAutoHBW() (autohbw(7) NOTES).
    void (*off)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "disableAutoHBW");
    void (*on)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "enableAutoHBW");
    CHECK(off && on, "disableAutoHBW/enableAutoHBW not exported");
    if (off && on) {
        off();
        p = malloc(2 * MiB);
        from(p, NULL, "malloc(2M) while disabled");
        free(p);
        on();
        p = malloc(2 * MiB);
        from(p, k, "malloc(2M) after enableAutoHBW");
        free(p);
    }
}

static void passive(void)
{
    size_t sizes[] = {16, 4096, 2 * MiB, 64 * MiB};
    for (int i = 0; i < 4; i++) {
        void *p = malloc(sizes[i]);
        from(p, NULL, "malloc when passive");
        free(p);
        p = calloc(1, sizes[i]);
        from(p, NULL, "calloc when passive");
        p = realloc(p, sizes[i] * 2);
        from(p, NULL, "realloc when passive");
        free(p);
        void *a = NULL;
        CHECK(posix_memalign(&a, 64, sizes[i]) == 0, "posix_memalign");
        from(a, NULL, "posix_memalign when passive");
        free(a);
    }
}

static void *churn(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    void *blocks[64] = {0};
    size_t sizes[64] = {0};
    for (int it = 0; it < 3000; it++) {
        seed = seed * 1103515245u + 12345u;
        int i = (int)((seed >> 8) % 64);
        size_t sz = (seed >> 4) % 5 == 0 ? (size_t)(seed % (3 * MiB)) + 1
                                         : (size_t)(seed % 4096) + 1;
        if (blocks[i]) {
            if (!intact(blocks[i], sizes[i] < 256 ? sizes[i] : 256,
                        (unsigned)i))
                __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
            if (it % 3 == 0) {
                void *n = realloc(blocks[i], sz);
                if (n) {
                    blocks[i] = n;
                    sizes[i] = sz;
                    fill(n, sz < 256 ? sz : 256, (unsigned)i);
                }
                continue;
            }
            free(blocks[i]);
        }
        blocks[i] = malloc(sz);
        sizes[i] = sz;
        if (blocks[i])
            fill(blocks[i], sz < 256 ? sz : 256, (unsigned)i);
    }
    for (int i = 0; i < 64; i++)
        free(blocks[i]);
    return NULL;
}

static void threads(void)
{
    pthread_t t[8];
    for (uintptr_t i = 0; i < 8; i++)
        CHECK(pthread_create(&t[i], NULL, churn, (void *)(i + 1)) == 0,
              "pthread_create");
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "routing") == 0)
        routing(kind_by_name(argv[2]));
    else if (argc >= 2 && strcmp(argv[1], "passive") == 0)
        passive();
    else if (argc >= 2 && strcmp(argv[1], "threads") == 0)
        threads();
    else {
        fprintf(stderr, "usage: %s routing KIND | passive | threads\n",
                argv[0]);
        return 2;
    }
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
