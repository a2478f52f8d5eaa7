// SPDX-License-Identifier: BSD-2-Clause
/*
 * mt_check.h - tiny check macros for the C programs that run under
 * LD_PRELOAD=libmemtier.so (googletest would itself be one more malloc
 * user to interpose; these programs stay plain C).  Each failed check
 * prints one "FAIL" line; mt_check_done() prints the totals and gives the
 * exit status.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

static int mt_checks_failed;
static int mt_checks_passed;

#define MT_CHECK(cond, ...)                                                    \
    do {                                                                       \
        if (cond) {                                                            \
            mt_checks_passed++;                                                \
        } else {                                                               \
            mt_checks_failed++;                                                \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);             \
            printf(__VA_ARGS__);                                               \
            printf("\n");                                                      \
            fflush(stdout);                                                    \
        }                                                                      \
    } while (0)

/* Prints "<name>: N checks passed" or the failure count; returns the exit
 * status for main(). */
static inline int mt_check_done(const char *name)
{
    if (mt_checks_failed) {
        printf("%s: %d of %d checks failed\n", name, mt_checks_failed,
               mt_checks_failed + mt_checks_passed);
        return 1;
    }
    printf("%s: %d checks passed\n", name, mt_checks_passed);
    return 0;
}

/* Fills n bytes at p with a pattern derived from seed. */
static inline void mt_fill(void *p, size_t n, unsigned seed)
{
    unsigned char *c = (unsigned char *)p;
    for (size_t i = 0; i < n; ++i)
        c[i] = (unsigned char)(seed + i * 31u);
}

/* True when mt_fill(p, n, seed) is still there. */
static inline int mt_filled(const void *p, size_t n, unsigned seed)
{
    const unsigned char *c = (const unsigned char *)p;
    for (size_t i = 0; i < n; ++i)
        if (c[i] != (unsigned char)(seed + i * 31u))
            return 0;
    return 1;
}
