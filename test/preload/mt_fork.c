// SPDX-License-Identifier: BSD-2-Clause
/*
 * mt_fork.c - fork() under libmemtier (test/preload/fork.sh).
 *
 * Part 1, 12 rounds: the parent fills blocks, forks, and rewrites them
 * while the child checks that it still sees the old contents (its heap is
 * its own, FS_DAX tiers included), then both allocate and free at the
 * same time and check their new blocks (they must not hand out shared
 * memory).  The child also frees and reallocates the parent's blocks.
 * Part 2, 8 rounds: fork() while four threads allocate; the child must be
 * able to allocate (no lock inherited in a held state).
 */
#include "mt_check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NBLK 160

static char *blk[NBLK];
static size_t blen[NBLK];

static void fill_all(unsigned seed)
{
    for (unsigned i = 0; i < NBLK; ++i)
        mt_fill(blk[i], blen[i], seed + i);
}

static unsigned count_bad(unsigned seed)
{
    unsigned bad = 0;
    for (unsigned i = 0; i < NBLK; ++i)
        bad += !mt_filled(blk[i], blen[i], seed + i);
    return bad;
}

/* Allocates, fills, checks and frees n blocks; returns the bad ones. */
static unsigned churn(unsigned n, unsigned seed)
{
    enum
    {
        W = 64
    };
    char *w[W] = {NULL};
    size_t wl[W] = {0};
    unsigned bad = 0;
    for (unsigned i = 0; i < n; ++i) {
        unsigned k = i % W;
        if (w[k]) {
            bad += !mt_filled(w[k], wl[k], seed + k);
            free(w[k]);
        }
        wl[k] = 1 + (i * 7919u + seed) % (i % 50 ? 2000 : 200000);
        w[k] = malloc(wl[k]);
        if (!w[k]) {
            bad++;
            continue;
        }
        mt_fill(w[k], wl[k], seed + k);
        if (i % 500 == 0)
            usleep(1); /* let the other process interleave */
    }
    for (unsigned k = 0; k < W; ++k) {
        if (w[k])
            bad += !mt_filled(w[k], wl[k], seed + k);
        free(w[k]);
    }
    return bad;
}

static int child_part1(int rd, unsigned seed)
{
    char go;
    unsigned bad = 0;
    if (read(rd, &go, 1) != 1)
        return 3;
    /* The parent has rewritten every block by now. */
    bad += count_bad(seed);
    bad += churn(4000, seed + 7);
    for (unsigned i = 0; i < NBLK; i += 2) {
        free(blk[i]);
        blk[i] = NULL;
    }
    for (unsigned i = 1; i < NBLK; i += 2) {
        char *r = realloc(blk[i], blen[i] * 3 + 5);
        if (!r || !mt_filled(r, blen[i], seed + i))
            bad++;
        free(r ? r : blk[i]);
    }
    void *a = NULL;
    bad += posix_memalign(&a, 4096, 5000) != 0;
    free(a);
    if (bad)
        fprintf(stderr, "child: %u bad blocks\n", bad);
    return bad ? 1 : 0;
}

static void part1(void)
{
    for (unsigned i = 0; i < NBLK; ++i) {
        blen[i] = i % 40 == 0 ? (size_t)1 << 20 : 1 + (i * 193) % 6000;
        blk[i] = malloc(blen[i]);
        MT_CHECK(blk[i] != NULL, "malloc(%zu)", blen[i]);
        if (!blk[i])
            return;
    }
    for (unsigned round = 0; round < 12; ++round) {
        unsigned seed = round * 1000;
        fill_all(seed);
        int fds[2];
        MT_CHECK(pipe(fds) == 0, "pipe");
        fflush(stdout);
        pid_t pid = fork();
        MT_CHECK(pid >= 0, "fork");
        if (pid == 0) {
            close(fds[1]);
            _exit(child_part1(fds[0], seed));
        }
        close(fds[0]);
        fill_all(seed + 500); /* the child must not see this */
        MT_CHECK(write(fds[1], "g", 1) == 1, "write");
        close(fds[1]);
        unsigned bad = churn(4000, seed + 9);
        MT_CHECK(bad == 0, "round %u: parent saw %u bad blocks", round, bad);
        int st = 0;
        MT_CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
        MT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                 "round %u: child status %#x", round, st);
        MT_CHECK(count_bad(seed + 500) == 0, "round %u: parent blocks changed",
                 round);
    }
    for (unsigned i = 0; i < NBLK; ++i)
        free(blk[i]);
}

static atomic_bool stop;

/* Thread body: churns until stopped; returns the number of bad blocks. */
static void *allocator(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    uintptr_t bad = 0;
    while (!atomic_load(&stop))
        bad += churn(500, seed);
    return (void *)bad;
}

static void part2(void)
{
    pthread_t t[4];
    for (unsigned i = 0; i < 4; ++i)
        MT_CHECK(pthread_create(&t[i], NULL, allocator,
                                (void *)(uintptr_t)(i * 100)) == 0,
                 "pthread_create");
    for (unsigned round = 0; round < 8; ++round) {
        usleep(2000);
        fflush(stdout);
        pid_t pid = fork();
        MT_CHECK(pid >= 0, "fork");
        if (pid == 0)
            _exit(churn(3000, 77) == 0 ? 0 : 1);
        int st = 0;
        MT_CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
        MT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                 "round %u: child of a threaded parent: status %#x", round, st);
    }
    atomic_store(&stop, true);
    for (unsigned i = 0; i < 4; ++i) {
        void *bad = NULL;
        pthread_join(t[i], &bad);
        MT_CHECK(bad == NULL, "thread %u saw %zu bad blocks", i,
                 (size_t)(uintptr_t)bad);
    }
}

int main(void)
{
    part1();
    part2();
    return mt_check_done("mt_fork");
}
