// SPDX-License-Identifier: BSD-2-Clause
/*
 * mt_api.c - every interposed function of libmemtier, edge cases included,
 * with the expectations of glibc 2.36's malloc(3) family: the same program
 * runs plainly (proving the expectations are glibc's) and under the preload
 * (test/preload/api.sh).
 *
 * Usage: mt_api MODE
 *   plain   no preload: blocks belong to the C library
 *   libc    preloaded with a configuration libmemtier refused: the same
 *   tiered  preloaded with tiers: new blocks belong to a memkind kind
 */
#include "mt_check.h"

#include <memkind.h>

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* glibc's own allocator, as a program that bypasses the interposer (or a
 * library that allocated before it was loaded) would use it. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t num, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static int tiered;

/* Sizes the compiler must not see through (it warns about the deliberate
 * overflows and failures below). */
static volatile size_t half_max = SIZE_MAX / 2;

/* A block passed to a realloc that must fail, read back afterwards: the
 * compiler cannot know that the block is still valid. */
static void *volatile kept;

#define ALIGNED(p, a) (((uintptr_t)(p) & ((uintptr_t)(a)-1)) == 0)

/* The block p is where MODE says new blocks go. */
static void check_owner(const void *p, const char *what)
{
    memkind_t k = memkind_detect_kind((void *)p);
    if (tiered)
        MT_CHECK(k != NULL, "%s: block %p not from a tier", what, p);
    else
        MT_CHECK(k == NULL, "%s: block %p from kind %p", what, p, (void *)k);
}

static void test_malloc(void)
{
    /* malloc(3): "If size is 0, then malloc() returns a unique pointer
     * value that can later be successfully passed to free()" (glibc). */
    void *a = malloc(0), *b = malloc(0);
    MT_CHECK(a && b && a != b, "malloc(0) gave %p and %p", a, b);
    check_owner(a, "malloc(0)");
    free(a);
    free(b);

    static const size_t sizes[] = {1,     7,     8,       16,      24,
                                   100,   1000,  4095,    4096,    4097,
                                   20000, 65536, 1 << 20, 3 << 20, 64 << 20};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); ++i) {
        size_t n = sizes[i];
        char *p = malloc(n);
        MT_CHECK(p != NULL, "malloc(%zu) failed", n);
        if (!p)
            continue;
        MT_CHECK(ALIGNED(p, n >= 16 ? 16 : 8), "malloc(%zu) = %p", n,
                 (void *)p);
        check_owner(p, "malloc");
        MT_CHECK(malloc_usable_size(p) >= n, "usable %zu < %zu",
                 malloc_usable_size(p), n);
        /* Touch every page (the big one included), then the whole small
         * ones. */
        for (size_t o = 0; o < n; o += 4096)
            p[o] = (char)o;
        if (n <= 65536) {
            mt_fill(p, n, 7);
            MT_CHECK(mt_filled(p, n, 7), "malloc(%zu) lost its contents", n);
        }
        free(p);
    }

    errno = 0;
    void *huge = malloc(half_max);
    MT_CHECK(huge == NULL && errno == ENOMEM, "malloc(SIZE_MAX/2) = %p, %d",
             huge, errno);
}

static void test_calloc(void)
{
    /* Reused memory must come back zeroed. */
    for (int round = 0; round < 2; ++round) {
        size_t n = round ? (size_t)1 << 20 : 100;
        for (int i = 0; i < 32; ++i) {
            char *d = malloc(n);
            memset(d, 0xaa, n);
            free(d);
            unsigned char *z = calloc(1, n);
            size_t bad = n;
            for (size_t j = 0; z && j < n; ++j) {
                if (z[j]) {
                    bad = j;
                    break;
                }
            }
            MT_CHECK(z && bad == n, "calloc(1, %zu) byte %zu not zero", n, bad);
            if (i == 0 && z)
                check_owner(z, "calloc");
            free(z);
        }
    }
    void *z0 = calloc(0, 10), *z1 = calloc(10, 0);
    MT_CHECK(z0 && z1 && z0 != z1, "calloc with a zero gave %p, %p", z0, z1);
    free(z0);
    free(z1);
    errno = 0;
    void *o = calloc(half_max, 3);
    MT_CHECK(o == NULL && errno == ENOMEM, "calloc overflow gave %p, errno %d",
             o, errno);
}

static void test_realloc(void)
{
    char *p = realloc(NULL, 100);
    MT_CHECK(p != NULL, "realloc(NULL, 100) failed");
    check_owner(p, "realloc(NULL)");
    mt_fill(p, 100, 3);
    size_t n = 100;
    for (size_t next = 150; next < (8u << 20); next = next * 3 + 1) {
        char *q = realloc(p, next);
        MT_CHECK(q != NULL, "realloc to %zu failed", next);
        if (!q)
            break;
        MT_CHECK(mt_filled(q, n, 3), "realloc %zu -> %zu lost contents", n,
                 next);
        mt_fill(q, next, 3);
        p = q;
        n = next;
    }
    char *s = realloc(p, 10); /* shrink */
    MT_CHECK(s && mt_filled(s, 10, 3), "shrinking realloc lost contents");
    p = s ? s : p;

    errno = 0;
    kept = p;
    void *f = realloc(p, half_max);
    MT_CHECK(f == NULL && errno == ENOMEM, "realloc huge = %p, errno %d", f,
             errno);
    p = kept;
    MT_CHECK(mt_filled(p, 10, 3), "failed realloc damaged the block");

    /* glibc: realloc(p, 0) frees p and returns NULL. */
    void *z = realloc(p, 0);
    MT_CHECK(z == NULL, "realloc(p, 0) = %p", z);
    void *z2 = realloc(NULL, 0);
    MT_CHECK(z2 != NULL, "realloc(NULL, 0) = NULL");
    free(z2);

    /* reallocarray(3) */
    char *r = reallocarray(NULL, 10, 10);
    MT_CHECK(r != NULL, "reallocarray(NULL, 10, 10) failed");
    mt_fill(r, 100, 9);
    errno = 0;
    kept = r;
    void *ro = reallocarray(r, half_max, 3);
    MT_CHECK(ro == NULL && errno == ENOMEM, "reallocarray overflow = %p, %d",
             ro, errno);
    r = kept;
    MT_CHECK(mt_filled(r, 100, 9), "failed reallocarray damaged the block");
    char *r2 = reallocarray(r, 100, 100);
    MT_CHECK(r2 && mt_filled(r2, 100, 9), "reallocarray grow lost contents");
    free(r2 ? r2 : r);
}

static void test_posix_memalign(void)
{
    for (size_t a = sizeof(void *); a <= ((size_t)1 << 22); a <<= 1) {
        void *p = (void *)1;
        errno = 1234;
        int r = posix_memalign(&p, a, a / 2 + 3);
        MT_CHECK(r == 0 && p && ALIGNED(p, a), "posix_memalign(%zu) %d %p", a,
                 r, p);
        MT_CHECK(errno == 1234, "posix_memalign changed errno to %d", errno);
        if (r == 0) {
            check_owner(p, "posix_memalign");
            mt_fill(p, a / 2 + 3, 1);
            free(p);
        }
    }
    void *z = NULL;
    MT_CHECK(posix_memalign(&z, 64, 0) == 0 && z != NULL,
             "posix_memalign(size 0) gave %p", z);
    free(z);

    static const size_t bad[] = {0, 1, 2, 4, 12, 24, 48, 1000};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); ++i) {
        void *p = (void *)0x1234;
        errno = 1234;
        int r = posix_memalign(&p, bad[i], 100);
        MT_CHECK(r == EINVAL, "posix_memalign(align %zu) = %d", bad[i], r);
        MT_CHECK(p == (void *)0x1234, "posix_memalign(align %zu) wrote %p",
                 bad[i], p);
        MT_CHECK(errno == 1234, "posix_memalign EINVAL changed errno");
    }
    void *p = (void *)0x1234;
    int r = posix_memalign(&p, 64, half_max);
    MT_CHECK(r == ENOMEM && p == (void *)0x1234, "posix_memalign huge = %d, %p",
             r, p);
}

/* aligned_alloc, memalign, valloc, pvalloc - each freed with free(): memkind
 * 1.14 crashed on free(aligned_alloc(...)). */
static void test_aligned(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t a = 1; a <= ((size_t)1 << 21); a <<= 1) {
        void *p = aligned_alloc(a, 3 * a + 1);
        MT_CHECK(p && ALIGNED(p, a), "aligned_alloc(%zu) = %p", a, p);
        if (p) {
            check_owner(p, "aligned_alloc");
            mt_fill(p, 3 * a + 1, 2);
        }
        free(p);
        void *m = memalign(a, 100);
        MT_CHECK(m && ALIGNED(m, a), "memalign(%zu) = %p", a, m);
        free(m);
    }
    /* glibc rounds an alignment that is no power of two up to one. */
    void *odd = aligned_alloc(24, 10);
    MT_CHECK(odd && ALIGNED(odd, 32), "aligned_alloc(24) = %p", odd);
    free(odd);
    void *odd2 = memalign(3, 10);
    MT_CHECK(odd2 && ALIGNED(odd2, 4), "memalign(3) = %p", odd2);
    free(odd2);
    errno = 0;
    void *absurd = aligned_alloc(half_max + 2, 10);
    MT_CHECK(absurd == NULL && errno == EINVAL,
             "aligned_alloc(absurd) = %p, errno %d", absurd, errno);

    void *v = valloc(100);
    MT_CHECK(v && ALIGNED(v, page), "valloc = %p", v);
    if (v)
        check_owner(v, "valloc");
    free(v);
    void *pv = pvalloc(100);
    MT_CHECK(pv && ALIGNED(pv, page) && malloc_usable_size(pv) >= page,
             "pvalloc = %p, usable %zu", pv, pv ? malloc_usable_size(pv) : 0);
    if (pv)
        mt_fill(pv, page, 4);
    free(pv);
    void *pv0 = pvalloc(0);
    MT_CHECK(pv0 && ALIGNED(pv0, page), "pvalloc(0) = %p", pv0);
    free(pv0);
    errno = 0;
    void *pvh = pvalloc(half_max * 2 - 9);
    MT_CHECK(pvh == NULL && errno == ENOMEM, "pvalloc(huge) = %p", pvh);
}

/* free() and malloc_usable_size() never change errno (glibc >= 2.33). */
static void test_errno(void)
{
    void *blocks[] = {malloc(10), malloc(100000), __libc_malloc(10),
                      aligned_alloc(256, 10)};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(*blocks); ++i) {
        errno = 4321;
        size_t u = malloc_usable_size(blocks[i]);
        MT_CHECK(u >= 10 && errno == 4321, "usable_size: %zu, errno %d", u,
                 errno);
        free(blocks[i]);
        MT_CHECK(errno == 4321, "free of block %zu changed errno to %d", i,
                 errno);
    }
    errno = 4321;
    free(NULL);
    MT_CHECK(malloc_usable_size(NULL) == 0 && errno == 4321,
             "usable_size(NULL) or free(NULL)");
}

/* Blocks of the C library's allocator reach our free/realloc/usable_size:
 * they go back to it. */
static void test_foreign(void)
{
    char *f = __libc_malloc(100);
    MT_CHECK(f != NULL, "__libc_malloc failed");
    MT_CHECK(memkind_detect_kind(f) == NULL, "foreign block has a kind");
    MT_CHECK(malloc_usable_size(f) >= 100, "usable_size(foreign) = %zu",
             malloc_usable_size(f));
    mt_fill(f, 100, 5);
    char *g = realloc(f, 100000);
    MT_CHECK(g && mt_filled(g, 100, 5), "realloc(foreign) lost contents");
    free(g);
    void *c = __libc_calloc(10, 10);
    free(c);
    /* A block of glibc's aligned allocator: also glibc's to free. */
    void *m = __libc_memalign(4096, 1000);
    MT_CHECK(m && ALIGNED(m, 4096), "__libc_memalign = %p", m);
    MT_CHECK(malloc_usable_size(m) >= 1000, "usable_size(foreign aligned)");
    free(m);
}

/* Blocks the C library allocates for the program come from the tiers and
 * go back through our free(). */
static void test_libc_users(void)
{
    char *s = strdup("tiered memory");
    MT_CHECK(s && strcmp(s, "tiered memory") == 0, "strdup");
    if (s)
        check_owner(s, "strdup");
    free(s);
    char *a = NULL;
    MT_CHECK(asprintf(&a, "%d-%s", 42, "x") == 4 && strcmp(a, "42-x") == 0,
             "asprintf");
    free(a);
    FILE *f = fopen("/proc/self/maps", "r");
    MT_CHECK(f != NULL, "fopen");
    char *line = NULL;
    size_t cap = 0;
    size_t lines = 0;
    while (f && getline(&line, &cap, f) > 0)
        lines++;
    MT_CHECK(lines > 3, "getline read %zu lines", lines);
    free(line);
    if (f)
        fclose(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *ms = open_memstream(&buf, &len);
    for (int i = 0; ms && i < 10000; ++i)
        fprintf(ms, "%d,", i);
    if (ms)
        fclose(ms);
    MT_CHECK(buf && len > 40000, "open_memstream wrote %zu", len);
    free(buf);
}

/* memkind 1.14's libmemtier exported its functions also as je_*; ours are
 * aliases of the interposed ones. */
static void test_je_aliases(void)
{
    void *(*jm)(size_t) = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "je_malloc");
    void (*jf)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "je_free");
    size_t (*ju)(void *) =
        (size_t(*)(void *))dlsym(RTLD_DEFAULT, "je_malloc_usable_size");
    MT_CHECK(jm && jf && ju, "je_malloc/je_free/je_malloc_usable_size missing");
    if (!jm || !jf || !ju)
        return;
    void *p = jm(77);
    MT_CHECK(p && ju(p) >= 77, "je_malloc(77)");
    check_owner(p, "je_malloc");
    jf(p);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "plain";
    tiered = strcmp(mode, "tiered") == 0;
    if (!tiered && strcmp(mode, "plain") && strcmp(mode, "libc")) {
        fprintf(stderr, "usage: %s plain|libc|tiered\n", argv[0]);
        return 2;
    }
    test_malloc();
    test_calloc();
    test_realloc();
    test_posix_memalign();
    test_aligned();
    test_errno();
    test_foreign();
    test_libc_users();
    if (strcmp(mode, "plain") != 0)
        test_je_aliases();
    return mt_check_done(mode);
}
