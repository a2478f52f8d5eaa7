// SPDX-License-Identifier: BSD-2-Clause
/*
 * mt_exit.c - a program that keeps using the heap while it exits, the way
 * sqlite3 and python3 do (memkind 1.14's libmemtier lost sqlite3's buffered
 * output and crashed python3 there).  test/preload/exit.sh runs it plainly
 * and under the preload and compares the output byte for byte.
 *
 *   - stdout gets a 1 MiB buffer from malloc() and is never flushed by the
 *     program: everything it prints is written by the C library's final
 *     flush, after every destructor, libmemtier's included;
 *   - an atexit() handler and a destructor allocate, reallocate and free,
 *     and check and free blocks main() left behind;
 *   - a detached thread allocates and frees without pause until the
 *     process is gone, across libmemtier's destructor;
 *   - with libmt_early.so preloaded after libmemtier (test/preload/
 *     mt_early.c), blocks of main() are handed to it and freed by its
 *     destructor, which runs after libmemtier's.
 *
 * Usage: mt_exit LINES   (prints LINES numbered lines, then the checks)
 */
#include "mt_check.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NKEEP 64

static char *keep[NKEEP];
static size_t keep_len[NKEEP];

static void *churn(void *arg)
{
    (void)arg;
    void *slot[16] = {NULL};
    for (unsigned i = 0;; ++i) {
        unsigned k = i % 16;
        free(slot[k]);
        slot[k] = malloc(16 + (i * 37) % 3000);
        if (slot[k])
            memset(slot[k], (int)i, 16);
    }
    return NULL;
}

/* Checks and frees keep[from..to); allocates and frees some more. */
static void exit_work(const char *who, unsigned from, unsigned to)
{
    unsigned bad = 0;
    for (unsigned i = from; i < to; ++i) {
        if (!mt_filled(keep[i], keep_len[i], i))
            bad++;
        char *r = realloc(keep[i], keep_len[i] * 2 + 1);
        if (!r || !mt_filled(r, keep_len[i], i))
            bad++;
        free(r ? r : keep[i]);
        keep[i] = NULL;
    }
    void *tmp[256];
    for (unsigned i = 0; i < 256; ++i) {
        tmp[i] = malloc(8 + i * 41);
        if (!tmp[i])
            bad++;
        else
            mt_fill(tmp[i], 8 + i * 41, i);
    }
    for (unsigned i = 0; i < 256; ++i) {
        if (tmp[i] && !mt_filled(tmp[i], 8 + i * 41, i))
            bad++;
        free(tmp[i]);
    }
    printf("%s: %u errors\n", who, bad);
}

static void at_exit_handler(void)
{
    exit_work("atexit handler", 0, NKEEP / 4);
}

__attribute__((destructor)) static void program_destructor(void)
{
    exit_work("program destructor", NKEEP / 4, NKEEP / 2);
}

int main(int argc, char **argv)
{
    long lines = argc > 1 ? atol(argv[1]) : 1000;

    /* The stdio buffer of the whole run: allocated now, written out by the
     * C library after every destructor. */
    char *buf = malloc(1 << 20);
    if (!buf || setvbuf(stdout, buf, _IOFBF, 1 << 20) != 0)
        return 2;

    for (unsigned i = 0; i < NKEEP; ++i) {
        keep_len[i] = 1 + (i * 997) % 20000;
        keep[i] = malloc(keep_len[i]);
        if (!keep[i])
            return 2;
        mt_fill(keep[i], keep_len[i], i);
    }
    if (atexit(at_exit_handler) != 0)
        return 2;

    /* Blocks for the preloaded helper's destructor, when it is there. */
    void (*early_keep)(void *, size_t, unsigned) =
        (void (*)(void *, size_t, unsigned))dlsym(RTLD_DEFAULT,
                                                  "mt_early_keep");
    if (early_keep) {
        for (unsigned i = NKEEP / 2; i < NKEEP; ++i) {
            early_keep(keep[i], keep_len[i], i);
            keep[i] = NULL;
        }
    }

    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, churn, NULL) != 0)
        return 2;

    for (long i = 0; i < lines; ++i)
        printf("line %ld: %08lx %s\n", i, (unsigned long)(i * 2654435761u),
               i % 7 ? "tiered memory" : "the heap at exit");
    printf("main: done%s\n", early_keep ? " (with mt_early)" : "");
    /* No fflush: the C library writes the buffer at exit. */
    return 0;
}
