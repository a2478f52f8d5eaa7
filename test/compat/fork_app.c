// SPDX-License-Identifier: BSD-2-Clause
/*
 * fork_app.c - memkind across fork() (DESIGN.md 3 "fork works", 5, 8).
 *
 *   fork_app                 parts 1 and 2
 *   fork_app --pmem DIR      part 3, with a PMEM kind in DIR
 *
 * 1. basic:    parent and child both keep allocating from MEMKIND_DEFAULT
 *              and from a dynamic kind (memkind_create_fixed() over an
 *              anonymous mapping) after fork; the child sees the
 *              parent's blocks intact, frees some, creates and destroys a
 *              kind, and exits 0.
 * 2. threaded: fork, 40 times, while two other threads allocate and free
 *              from both kinds without pause; each child (one thread: the
 *              forking one) must allocate, free, create and destroy a kind
 *              without deadlocking (an alarm kills a stuck child).
 * 3. pmem:     a PMEM kind is copied, not shared, across
 *              fork: the child writing its copy of a parent block, and the
 *              child's new allocations, leave the parent's memory alone.
 *
 * One line per part: PASS/FAIL and why.  Exit status 0 when all passed.
 */
#include <memkind.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define NBLOCKS       256
#define CHILD_ALARM_S 30

static memkind_t dyn_kind; ///< a fixed kind: memkind_create_kind() makes none
#define DYN_BUF_SIZE ((size_t)1 << 30) /* address space only */
static atomic_int stop_hammer;

/* A fixed kind over a fresh anonymous mapping of DYN_BUF_SIZE bytes.
 * Returns memkind_create_fixed()'s code (MEMKIND_ERROR_MMAP: no mapping). */
static int make_kind(memkind_t *k)
{
    void *buf = mmap(NULL, DYN_BUF_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (buf == MAP_FAILED)
        return MEMKIND_ERROR_MMAP;
    return memkind_create_fixed(buf, DYN_BUF_SIZE, k);
}

/* In a child: report and leave with status 1. */
#define CHILD_CHECK(cond, ...)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fork_app child %d: ", (int)getpid());             \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            _exit(1);                                                          \
        }                                                                      \
    } while (0)

static size_t size_of(unsigned i)
{
    return 16 + (i * 2654435761u) % 20000;
}

/* Allocates, fills, checks and frees n blocks from k; 0 when all is well. */
static int churn(memkind_t k, unsigned n, unsigned char tag)
{
    void *p[64] = {0};
    for (unsigned i = 0; i < n; i++) {
        unsigned s = i % 64;
        if (p[s]) {
            if (((unsigned char *)p[s])[0] != tag ||
                memkind_detect_kind(p[s]) != k)
                return -1;
            memkind_free(i & 1 ? k : NULL, p[s]);
        }
        p[s] = memkind_malloc(k, size_of(i));
        if (!p[s])
            return -1;
        memset(p[s], tag, size_of(i));
    }
    for (unsigned s = 0; s < 64; s++)
        memkind_free(k, p[s]);
    return 0;
}

/* The child's share of every part: allocate from both kinds, make a kind. */
static void child_work(void)
{
    memkind_t k2 = NULL;
    CHILD_CHECK(churn(MEMKIND_DEFAULT, 2000, 0xc1) == 0,
                "MEMKIND_DEFAULT allocations failed after fork");
    CHILD_CHECK(churn(dyn_kind, 2000, 0xc2) == 0,
                "dynamic kind allocations failed after fork");
    int err = make_kind(&k2);
    CHILD_CHECK(err == 0, "memkind_create_fixed after fork = %d", err);
    CHILD_CHECK(churn(k2, 1000, 0xc3) == 0,
                "a kind made after fork does not allocate");
    err = memkind_destroy_kind(k2);
    CHILD_CHECK(err == 0, "memkind_destroy_kind after fork = %d", err);
}

/* Waits for pid; returns 0 when it exited 0, and says why not otherwise. */
static int reap(pid_t pid, const char *part)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            printf("FAIL: %s: waitpid: %s\n", part, strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFSIGNALED(st))
        printf("FAIL: %s: child killed by signal %d%s\n", part, WTERMSIG(st),
               WTERMSIG(st) == SIGALRM ? " (deadlock after fork?)" : "");
    else
        printf("FAIL: %s: child exit status %d\n", part, WEXITSTATUS(st));
    return -1;
}

static int part_basic(void)
{
    unsigned char *blk[NBLOCKS];
    for (unsigned i = 0; i < NBLOCKS; i++) {
        memkind_t k = i & 1 ? dyn_kind : MEMKIND_DEFAULT;
        blk[i] = memkind_malloc(k, size_of(i));
        if (!blk[i]) {
            printf("FAIL: basic: memkind_malloc before fork\n");
            return -1;
        }
        memset(blk[i], (int)(i & 0xff), size_of(i));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        printf("FAIL: basic: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        alarm(CHILD_ALARM_S);
        for (unsigned i = 0; i < NBLOCKS; i++) {
            memkind_t k = i & 1 ? dyn_kind : MEMKIND_DEFAULT;
            size_t n = size_of(i);
            CHILD_CHECK(blk[i][0] == (i & 0xff) && blk[i][n - 1] == (i & 0xff),
                        "the parent's block %u changed in the child", i);
            CHILD_CHECK(memkind_detect_kind(blk[i]) == k,
                        "memkind_detect_kind of an inherited block is wrong");
            if (i % 2 == 0) {
                memkind_free(NULL, blk[i]);
                blk[i] = NULL;
            }
        }
        child_work();
        for (unsigned i = 0; i < NBLOCKS; i++)
            memkind_free(NULL, blk[i]);
        exit(0);
    }
    /* The parent keeps allocating while the child runs. */
    int bad =
        churn(MEMKIND_DEFAULT, 20000, 0xa1) || churn(dyn_kind, 20000, 0xa2);
    for (unsigned i = 0; i < NBLOCKS; i++) {
        size_t n = size_of(i);
        if (blk[i][0] != (i & 0xff) || blk[i][n - 1] != (i & 0xff))
            bad = 1;
        memkind_free(NULL, blk[i]);
    }
    if (bad) {
        printf(
            "FAIL: basic: the parent's allocations failed or its blocks changed after fork\n");
        (void)reap(pid, "basic");
        return -1;
    }
    if (reap(pid, "basic"))
        return -1;
    printf(
        "PASS: basic: parent and child both allocate from MEMKIND_DEFAULT and a dynamic kind after fork\n");
    return 0;
}

static void *hammer(void *arg)
{
    memkind_t k = arg ? dyn_kind : MEMKIND_DEFAULT;
    unsigned char tag = arg ? 0x71 : 0x72;
    while (!atomic_load(&stop_hammer)) {
        if (churn(k, 500, tag) != 0) {
            fprintf(stderr, "fork_app: hammer thread: allocation failed\n");
            atomic_store(&stop_hammer, 2);
        }
        void *p = malloc(1000);
        free(p);
    }
    return NULL;
}

static int part_threaded(void)
{
    pthread_t t[2];
    int bad = 0;
    for (uintptr_t i = 0; i < 2; i++) {
        if (pthread_create(&t[i], NULL, hammer, (void *)i) != 0) {
            printf("FAIL: threaded: pthread_create\n");
            return -1;
        }
    }
    for (int round = 0; round < 40 && !bad; round++) {
        usleep(2000);
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            printf("FAIL: threaded: fork: %s\n", strerror(errno));
            bad = 1;
            break;
        }
        if (pid == 0) {
            alarm(CHILD_ALARM_S);
            child_work();
            _exit(0);
        }
        if (reap(pid, "threaded"))
            bad = 1;
    }
    int hammer_state = atomic_exchange(&stop_hammer, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    if (hammer_state == 2) {
        printf("FAIL: threaded: the allocating threads failed\n");
        bad = 1;
    }
    if (!bad)
        printf(
            "PASS: threaded: 40 forks while 2 threads allocate; every child allocated, made a kind and exited 0\n");
    return bad ? -1 : 0;
}

static int part_pmem(const char *dir)
{
    memkind_t pk = NULL;
    int err = memkind_create_pmem(dir, 0, &pk);
    if (err) {
        printf("FAIL: pmem: memkind_create_pmem(%s) = %d\n", dir, err);
        return -1;
    }
    enum
    {
        N = 64,
        SZ = 4096
    };
    unsigned char *before = memkind_malloc(pk, SZ);
    unsigned char *after[N];
    int go[2];
    if (!before || pipe(go) != 0) {
        printf("FAIL: pmem: setup\n");
        return -1;
    }
    memset(before, 'P', SZ);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        printf("FAIL: pmem: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        char c;
        alarm(CHILD_ALARM_S);
        close(go[1]);
        /* Wait until the parent has allocated and filled its blocks. */
        CHILD_CHECK(read(go[0], &c, 1) == 1, "pipe");
        CHILD_CHECK(before[0] == 'P', "inherited PMEM block lost its contents");
        memset(before, 'C', SZ);
        for (int i = 0; i < N; i++) {
            unsigned char *q = memkind_malloc(pk, SZ);
            CHILD_CHECK(q != NULL, "PMEM allocation failed in the child");
            memset(q, 'C', SZ);
        }
        _exit(0);
    }
    close(go[0]);
    for (int i = 0; i < N; i++) {
        after[i] = memkind_malloc(pk, SZ);
        if (!after[i]) {
            printf(
                "FAIL: pmem: PMEM allocation failed in the parent after fork\n");
            return -1;
        }
        memset(after[i], 'P', SZ);
    }
    if (write(go[1], "g", 1) != 1) {
        printf("FAIL: pmem: pipe\n");
        return -1;
    }
    close(go[1]);
    if (reap(pid, "pmem"))
        return -1;
    int bad = 0;
    if (before[0] != 'P' || before[SZ - 1] != 'P') {
        printf(
            "FAIL: pmem: the child's write to its copy of a block changed the parent's (the file mapping is shared)\n");
        bad = 1;
    }
    int overwritten = 0;
    for (int i = 0; i < N; i++)
        overwritten += after[i][0] != 'P' || after[i][SZ - 1] != 'P';
    if (overwritten) {
        printf(
            "FAIL: pmem: the child's new allocations overwrote %d of the parent's %d blocks allocated after fork (same addresses, shared file)\n",
            overwritten, N);
        bad = 1;
    }
    for (int i = 0; i < N; i++)
        memkind_free(pk, after[i]);
    memkind_free(pk, before);
    err = memkind_destroy_kind(pk);
    if (err) {
        printf("FAIL: pmem: memkind_destroy_kind = %d\n", err);
        bad = 1;
    }
    if (!bad)
        printf("PASS: pmem: a PMEM kind is copied, not shared, across fork\n");
    return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int err = make_kind(&dyn_kind);
    if (err) {
        printf("FAIL: memkind_create_fixed = %d\n", err);
        return 1;
    }
    int bad = 0;
    if (argc == 3 && strcmp(argv[1], "--pmem") == 0) {
        bad |= part_pmem(argv[2]) != 0;
    } else if (argc == 1) {
        bad |= part_basic() != 0;
        bad |= part_threaded() != 0;
    } else {
        fprintf(stderr, "usage: %s [--pmem DIR]\n", argv[0]);
        return 2;
    }
    err = memkind_destroy_kind(dyn_kind);
    if (err) {
        printf("FAIL: memkind_destroy_kind = %d\n", err);
        bad = 1;
    }
    return bad;
}
