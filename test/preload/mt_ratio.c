// SPDX-License-Identifier: BSD-2-Clause
/*
 * mt_ratio.c - where libmemtier puts blocks (test/preload/ratio.sh and
 * config.sh).  The tiers are DRAM (MEMKIND_DEFAULT) first and one FS_DAX
 * kind second; a block's tier is found with memkind_detect_kind(), and
 * the bytes of each tier with memtier_kind_allocated_size() (libmemtier(3)),
 * which counts what the preload allocated through the memtier_* API.
 *
 * Usage:
 *   mt_ratio static D F   STATIC_RATIO with RATIO D (DRAM) and F (FS_DAX):
 *                         allocated bytes per tier keep D:F, by both counts
 *   mt_ratio split S      DYNAMIC_THRESHOLD frozen at S (INIT_VAL = MIN_VAL
 *                         = MAX_VAL = S): blocks below S in DRAM, others not
 *   mt_ratio adapt D F    DYNAMIC_THRESHOLD with default thresholds: the
 *                         threshold moves until the bytes approach D:F
 *   mt_ratio probe        prints "tier" when a new block comes from a kind,
 *                         "libc" otherwise (for config.sh)
 */
#include "mt_check.h"

#include <memkind.h>
#include <memkind_memtier.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBLK 30000

static void *blk[NBLK];

/* Bytes (usable sizes) of the blocks in each tier, by address. */
static void tally(unsigned n, size_t *dram, size_t *far, memkind_t *far_kind)
{
    *dram = *far = 0;
    for (unsigned i = 0; i < n; ++i) {
        memkind_t k = memkind_detect_kind(blk[i]);
        size_t u = malloc_usable_size(blk[i]);
        if (k == MEMKIND_DEFAULT) {
            *dram += u;
        } else if (k) {
            *far += u;
            *far_kind = k;
        }
    }
}

/* |a / b - want| within tol (relative). */
static int near_ratio(double a, double b, double want, double tol)
{
    if (b <= 0)
        return 0;
    double r = a / b;
    return r >= want * (1 - tol) && r <= want * (1 + tol);
}

static void run_static(unsigned d, unsigned f)
{
    size_t dram, far;
    memkind_t far_kind = NULL;
    for (unsigned i = 0; i < NBLK; ++i) {
        size_t n = 64 + (i * 61) % 4000;
        blk[i] = malloc(n);
        MT_CHECK(blk[i] != NULL, "block %u: malloc(%zu): %s", i, n,
                 strerror(errno));
        if (!blk[i])
            return;
    }
    tally(NBLK, &dram, &far, &far_kind);
    MT_CHECK(far_kind != NULL, "no block in the FS_DAX tier");
    if (!far_kind)
        return;
    double want = (double)d / f;
    size_t cd = memtier_kind_allocated_size(MEMKIND_DEFAULT);
    size_t cf = memtier_kind_allocated_size(far_kind);
    printf("static %u:%u: blocks hold %zu:%zu bytes, counters %zu:%zu\n", d, f,
           dram, far, cd, cf);
    MT_CHECK(near_ratio((double)dram, (double)far, want, 0.02),
             "bytes by address %zu:%zu, want %u:%u", dram, far, d, f);
    MT_CHECK(near_ratio((double)cd, (double)cf, want, 0.02),
             "memtier_kind_allocated_size %zu:%zu, want %u:%u", cd, cf, d, f);
    /* The counters count these blocks (and the few the C library holds). */
    MT_CHECK(cd >= dram && cd - dram < (dram >> 5) + 65536,
             "DRAM counter %zu, blocks %zu", cd, dram);
    MT_CHECK(cf >= far && cf - far < (far >> 5) + 65536,
             "FS_DAX counter %zu, blocks %zu", cf, far);
    for (unsigned i = 0; i < NBLK; ++i)
        free(blk[i]);
    size_t ad = memtier_kind_allocated_size(MEMKIND_DEFAULT);
    size_t af = memtier_kind_allocated_size(far_kind);
    printf("after free: counters %zu:%zu\n", ad, af);
    MT_CHECK(ad < cd / 50 && af < cf / 50, "counters after free %zu:%zu", ad,
             af);
}

static void run_split(size_t s)
{
    const size_t sizes[] = {1, s / 2, s - 1, s, s + 1, 2 * s, 100 * s};
    for (unsigned rep = 0; rep < 50; ++rep) {
        for (unsigned i = 0; i < sizeof(sizes) / sizeof(*sizes); ++i) {
            void *p = malloc(sizes[i]);
            memkind_t k = memkind_detect_kind(p);
            if (sizes[i] < s)
                MT_CHECK(k == MEMKIND_DEFAULT, "%zu bytes (< %zu) not in DRAM",
                         sizes[i], s);
            else
                MT_CHECK(k != NULL && k != MEMKIND_DEFAULT,
                         "%zu bytes (>= %zu) not in the FS_DAX tier", sizes[i],
                         s);
            free(p);
        }
    }
    printf("split at %zu: ok\n", s);
}

static void run_adapt(unsigned d, unsigned f)
{
    size_t dram, far;
    memkind_t far_kind = NULL;
    for (unsigned i = 0; i < NBLK; ++i) {
        size_t n = 16 + (i * 7919u) % 2033;
        blk[i] = malloc(n);
        MT_CHECK(blk[i] != NULL, "block %u: malloc(%zu): %s", i, n,
                 strerror(errno));
        if (!blk[i])
            return;
    }
    tally(NBLK, &dram, &far, &far_kind);
    printf("adapt %u:%u: blocks hold %zu:%zu bytes\n", d, f, dram, far);
    MT_CHECK(near_ratio((double)dram, (double)far, (double)d / f, 0.2),
             "bytes %zu:%zu, want about %u:%u", dram, far, d, f);
    for (unsigned i = 0; i < NBLK; ++i)
        free(blk[i]);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "probe") == 0) {
        void *p = malloc(100);
        printf("%s\n", memkind_detect_kind(p) ? "tier" : "libc");
        free(p);
        return 0;
    }
    if (strcmp(mode, "static") == 0 && argc == 4)
        run_static((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
    else if (strcmp(mode, "split") == 0 && argc == 3)
        run_split((size_t)atol(argv[2]));
    else if (strcmp(mode, "adapt") == 0 && argc == 4)
        run_adapt((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
    else {
        fprintf(stderr, "usage: see the head of mt_ratio.c\n");
        return 2;
    }
    return mt_check_done(mode);
}
