// SPDX-License-Identifier: BSD-2-Clause
/*
 * autohbw_plain_app.c - a program that knows nothing of memkind (it links
 * only the C library), for libautohbw.so runs where the libmemkind.so.0
 * under it is not ours (test/env/autohbw-debian-lib.sh).  It drives every
 * member of the malloc family with sizes below, inside and above a
 * 64 KiB:4 MiB AUTO_HBW_SIZE range, moves blocks across the range with
 * realloc, checks their contents and usable sizes, frees everything, and
 * does the same from four threads at once.  Prints "ok" and exits 0, or
 * names the first check that failed and exits 1.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failed;

#define CHECK(cond, what)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "autohbw_plain_app: %s\n", what);                  \
            failed = 1;                                                        \
        }                                                                      \
    } while (0)

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31u + seed);
}

static int intact(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 31u + seed))
            return 0;
    return 1;
}

/* One round over the family; seed varies the contents per thread. */
static void round_trip(unsigned seed)
{
    const size_t sizes[] = {24, 4096, 100 * 1024, 1 << 20, 3 << 20, 8 << 20};
    const size_t n = sizeof(sizes) / sizeof(*sizes);
    void *blocks[6 * 6];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t s = sizes[i];
        unsigned char *m = malloc(s);
        CHECK(m, "malloc failed");
        if (m) {
            fill(m, s, seed);
            CHECK(malloc_usable_size(m) >= s, "malloc_usable_size too small");
        }
        blocks[k++] = m;
        unsigned char *c = calloc(1, s);
        CHECK(c && c[0] == 0 && c[s - 1] == 0, "calloc not zeroed");
        blocks[k++] = c;
        void *a = NULL;
        CHECK(posix_memalign(&a, 4096, s) == 0 && a &&
                  ((uintptr_t)a & 4095) == 0,
              "posix_memalign");
        blocks[k++] = a;
        void *al = aligned_alloc(64, s);
        CHECK(al && ((uintptr_t)al & 63) == 0, "aligned_alloc");
        blocks[k++] = al;
        void *v = valloc(s);
        CHECK(v && ((uintptr_t)v % (uintptr_t)sysconf(_SC_PAGESIZE)) == 0,
              "valloc");
        blocks[k++] = v;
        void *ml = memalign(256, s);
        CHECK(ml && ((uintptr_t)ml & 255) == 0, "memalign");
        blocks[k++] = ml;
    }
    /* realloc across the range: small -> in range -> large -> small */
    for (size_t i = 0; i < k; i += 6) {
        size_t s = sizes[i / 6];
        unsigned char *m = blocks[i];
        if (!m)
            continue;
        size_t keep = s < 24 ? s : 24;
        unsigned char *r = realloc(m, 200 * 1024);
        CHECK(r && intact(r, keep, seed), "realloc into the range");
        if (r)
            m = r;
        r = realloc(m, 6 << 20);
        CHECK(r && intact(r, keep, seed), "realloc above the range");
        if (r)
            m = r;
        r = realloc(m, 32);
        CHECK(r && intact(r, keep, seed), "realloc below the range");
        if (r)
            m = r;
        blocks[i] = m;
    }
    for (size_t i = 0; i < k; i++)
        free(blocks[i]);
    free(NULL);
    CHECK(realloc(malloc(100 * 1024), 0) == NULL, "realloc(p, 0)");
}

static void *worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (int i = 0; i < 20; i++)
        round_trip(seed + (unsigned)i);
    return NULL;
}

int main(void)
{
    round_trip(1);
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)(i + 2)) == 0,
              "pthread_create");
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    if (failed)
        return 1;
    printf("ok\n");
    return 0;
}
