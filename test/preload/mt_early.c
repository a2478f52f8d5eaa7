// SPDX-License-Identifier: BSD-2-Clause
/*
 * mt_early.c - libmt_early.so, a helper library preloaded AFTER libmemtier
 * (LD_PRELOAD="libmemtier.so libmt_early.so").  The loader runs its
 * constructor before libmemtier's and its destructor after libmemtier's,
 * so it allocates exactly when libmemtier has no tiers: before its
 * configuration is read (the bootstrap region) and after its destructor.
 *
 *   constructor: every allocating function, contents and alignment checked;
 *   mt_early_keep(): main() hands over blocks from the tiers;
 *   destructor: checks and frees all of them (bootstrap blocks, tier
 *   blocks), reallocates a bootstrap block, allocates more than the
 *   bootstrap region holds, and prints through buffered stdout.
 *
 * Results go to stdout as "mt_early: ..." lines; the driver compares them
 * with a run where libmt_early.so is preloaded alone (no libmemtier).
 */
#include "mt_check.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mt_early_keep(void *p, size_t n, unsigned seed);

#define NKEPT 64

struct kept {
    void *p;
    size_t n;
    unsigned seed;
};

static struct kept kept[NKEPT];
static unsigned nkept;
static unsigned ctor_errors;
static void *early[8];
static size_t early_len[8];

#define ALIGNED(p, a) (((uintptr_t)(p) & ((uintptr_t)(a)-1)) == 0)

/* Keeps block p of n bytes filled with pattern seed, for the destructor. */
void mt_early_keep(void *p, size_t n, unsigned seed)
{
    if (nkept < NKEPT)
        kept[nkept++] = (struct kept){.p = p, .n = n, .seed = seed};
}

static void note(unsigned i, void *p, size_t n, size_t align)
{
    if (!p || !ALIGNED(p, align) || malloc_usable_size(p) < n) {
        ctor_errors++;
        return;
    }
    early[i] = p;
    early_len[i] = n;
    mt_fill(p, n, i);
}

__attribute__((constructor)) static void early_ctor(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *p = NULL;

    note(0, malloc(100), 100, 8);
    unsigned char *z = calloc(50, 4);
    for (unsigned i = 0; z && i < 200; ++i)
        ctor_errors += z[i] != 0;
    note(1, z, 200, 8);
    char *r = realloc(NULL, 30);
    if (r) {
        mt_fill(r, 30, 99);
        char *r2 = realloc(r, 3000);
        if (!r2 || !mt_filled(r2, 30, 99))
            ctor_errors++;
        r = r2 ? r2 : r;
    }
    note(2, r, 3000, 8);
    note(3, memalign(256, 100), 100, 256);
    if (posix_memalign(&p, 4096, 10) != 0)
        ctor_errors++;
    note(4, p, 10, 4096);
    note(5, aligned_alloc(64, 64), 64, 64);
    note(6, valloc(10), 10, page);
    void *gone = malloc(77);
    free(gone);
    free(NULL);
    note(7, strdup("before libmemtier's constructor"), 32, 1);
}

__attribute__((destructor)) static void early_dtor(void)
{
    unsigned bad = 0;
    for (unsigned i = 0; i < 8; ++i)
        if (early[i] && !mt_filled(early[i], early_len[i], i))
            bad++;
    /* A block of the constructor grows after libmemtier's destructor. */
    char *g = realloc(early[0], 10000);
    if (!g || !mt_filled(g, early_len[0], 0))
        bad++;
    else
        early[0] = g;
    for (unsigned i = 0; i < 8; ++i)
        free(early[i]);

    unsigned badkept = 0;
    for (unsigned i = 0; i < nkept; ++i) {
        if (!mt_filled(kept[i].p, kept[i].n, kept[i].seed))
            badkept++;
        free(kept[i].p);
    }

    /* More than the bootstrap region holds: the C library takes over. */
    unsigned badnew = 0;
    void *blocks[1024];
    for (unsigned i = 0; i < 1024; ++i) {
        blocks[i] = malloc(1000 + i);
        if (blocks[i])
            mt_fill(blocks[i], 1000 + i, i);
        else
            badnew++;
    }
    for (unsigned i = 0; i < 1024; ++i) {
        if (blocks[i] && !mt_filled(blocks[i], 1000 + i, i))
            badnew++;
        free(blocks[i]);
    }
    void *al = aligned_alloc(4096, 100);
    badnew += !al || !ALIGNED(al, 4096);
    free(al);

    printf("mt_early: constructor %u errors; destructor %u errors in its "
           "blocks, %u in %u blocks of main, %u in new blocks\n",
           ctor_errors, bad, badkept, nkept, badnew);
}
