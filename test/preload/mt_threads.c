// SPDX-License-Identifier: BSD-2-Clause
/*
 * mt_threads.c - many threads on libmemtier at once (test/preload/
 * threads.sh).  Four waves of eight threads; each thread mixes malloc,
 * calloc, realloc, posix_memalign and aligned_alloc, checks every block
 * before freeing it, and swaps blocks with the other threads through a
 * shared table, so that most blocks are freed by a thread that did not
 * allocate them.  Threads end between waves (their caches go away) and new
 * ones start.
 */
#include "mt_check.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAVES   4
#define THREADS 8
#define OPS     20000
#define SHARED  1024
#define LOCAL   128

/* Every block starts with its header, so any thread can check it. */
struct hdr {
    size_t len;    ///< bytes of the block
    unsigned seed; ///< pattern of the bytes after the header
};

static _Atomic(struct hdr *) shared[SHARED];

static unsigned next_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static struct hdr *make(unsigned *rnd)
{
    unsigned r = next_rand(rnd);
    size_t len =
        sizeof(struct hdr) + (r % 100 == 0 ? 100000 + r % 300000 : 1 + r % 700);
    struct hdr *h = NULL;
    switch (r % 5) {
        case 0:
            h = calloc(1, len);
            break;
        case 1: {
            void *p = NULL;
            if (posix_memalign(&p, (size_t)64 << (r % 4), len) == 0)
                h = p;
            break;
        }
        case 2:
            h = aligned_alloc((size_t)16 << (r % 3), len);
            break;
        case 3: {
            /* Grow a small block into this one. */
            char *s = malloc(8);
            h = s ? realloc(s, len) : NULL;
            if (!h)
                free(s);
            break;
        }
        default:
            h = malloc(len);
    }
    if (!h)
        return NULL;
    h->len = len;
    h->seed = r;
    mt_fill(h + 1, len - sizeof(*h), r);
    return h;
}

/* Checks and frees h; returns 1 when it was damaged. */
static unsigned check_free(struct hdr *h)
{
    if (!h)
        return 0;
    unsigned bad = !mt_filled(h + 1, h->len - sizeof(*h), h->seed) ||
                   malloc_usable_size(h) < h->len;
    free(h);
    return bad;
}

static void *worker(void *arg)
{
    unsigned rnd = (unsigned)(uintptr_t)arg * 2654435761u + 1;
    struct hdr *local[LOCAL] = {NULL};
    uintptr_t bad = 0, failed = 0;
    for (unsigned i = 0; i < OPS; ++i) {
        unsigned r = next_rand(&rnd);
        struct hdr *h = make(&rnd);
        failed += h == NULL;
        if (r % 3 == 0) {
            /* Swap with the shared table: the old one is someone else's. */
            bad += check_free(atomic_exchange(&shared[r % SHARED], h));
        } else {
            bad += check_free(local[r % LOCAL]);
            local[r % LOCAL] = h;
        }
    }
    for (unsigned k = 0; k < LOCAL; ++k)
        bad += check_free(local[k]);
    return (void *)(bad + (failed << 32));
}

int main(void)
{
    for (unsigned wave = 0; wave < WAVES; ++wave) {
        pthread_t t[THREADS];
        for (unsigned i = 0; i < THREADS; ++i)
            MT_CHECK(pthread_create(&t[i], NULL, worker,
                                    (void *)(uintptr_t)(wave * THREADS + i)) ==
                         0,
                     "pthread_create");
        for (unsigned i = 0; i < THREADS; ++i) {
            void *res = NULL;
            pthread_join(t[i], &res);
            uintptr_t v = (uintptr_t)res;
            MT_CHECK((v & 0xffffffffu) == 0, "wave %u thread %u: %zu damaged",
                     wave, i, (size_t)(v & 0xffffffffu));
            MT_CHECK((v >> 32) == 0, "wave %u thread %u: %zu failed", wave, i,
                     (size_t)(v >> 32));
        }
    }
    unsigned bad = 0;
    for (unsigned k = 0; k < SHARED; ++k)
        bad += check_free(atomic_exchange(&shared[k], NULL));
    MT_CHECK(bad == 0, "%u damaged blocks left in the shared table", bad);
    return mt_check_done("mt_threads");
}
