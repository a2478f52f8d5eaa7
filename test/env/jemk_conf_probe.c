// SPDX-License-Identifier: BSD-2-Clause
/*
 * jemk_conf_probe.c - memkind_detect_kind() over a workload that makes the
 * private jemalloc map, grow, shrink, give back and reuse memory, run by
 * test/env/jemk-conf.sh under hostile JEMK_MALLOC_CONF values (retain:false,
 * hpa:true, dss:primary, ...).  Detection depends on options the library
 * forces; a user's conf must not be able to turn them off.
 *
 * Checks, each printed as one "FAIL: ..." line when it does not hold:
 *  - MEMKIND_DEFAULT: every object, first and last byte, is detected as
 *    MEMKIND_DEFAULT, after in-place growth of large objects (the case
 *    retain:false sends to jemalloc's hinted mmap), after frees and reuse;
 *  - a PMEM kind (in the directory given as argv[1]) and, where available,
 *    MEMKIND_REGULAR: every small and large object is detected as its kind
 *    (hpa:true would serve the small ones from jemalloc's own mappings,
 *    i.e. from DEFAULT memory);
 *  - memkind_free(NULL, p) then releases every object (a wrong kind would
 *    crash or corrupt, which the exit status shows).
 * Prints "checked N" and exits 0 when all held, 1 otherwise, 2 when the
 * set-up failed.  Black box: the public API only.
 */
#include <memkind.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NOBJ 64

static unsigned long checked, failed;

static void expect_kind(const char *what, memkind_t kind, void *p, size_t size)
{
    memkind_t first = memkind_detect_kind(p);
    memkind_t last = memkind_detect_kind((char *)p + size - 1);
    /* and one byte of every 64 KiB between */
    for (size_t off = 65536; off < size && last == kind; off += 65536)
        last = memkind_detect_kind((char *)p + off);
    checked++;
    if (first != kind || last != kind) {
        failed++;
        if (failed <= 10)
            printf("FAIL: %s: %zu-byte object %p: first byte %s, last "
                   "byte %s\n",
                   what, size, p,
                   first == kind ? "right" : (first ? "other kind" : "NULL"),
                   last == kind ? "right" : (last ? "other kind" : "NULL"));
    }
}

/* Large objects grown in place and shrunk, then small and large ones
 * allocated into the space they gave back. */
static void churn_default(void)
{
    void *big[8] = {0};
    size_t sz[8];
    for (int i = 0; i < 8; i++) {
        /* The kernel places each new mapping below the previous one: the
         * space above big[i] is its neighbour's, made free here so that
         * growing big[i] in place can map it. */
        void *above = memkind_malloc(MEMKIND_DEFAULT, (size_t)4 << 20);
        sz[i] = (size_t)4 << 20;
        big[i] = memkind_malloc(MEMKIND_DEFAULT, sz[i]);
        memkind_free(NULL, above);
        if (!big[i])
            continue;
        memset(big[i], 1, 4096);
        for (int step = 1; step <= 4; step++) {
            size_t nsz = sz[i] + ((size_t)2 << 20);
            void *q = memkind_realloc(MEMKIND_DEFAULT, big[i], nsz);
            if (!q)
                break;
            big[i] = q;
            sz[i] = nsz;
            expect_kind("DEFAULT grown", MEMKIND_DEFAULT, q, nsz);
        }
    }
    for (int i = 0; i < 8; i += 2) {
        memkind_free(NULL, big[i]);
        big[i] = NULL;
    }
    void *small[NOBJ];
    for (int i = 0; i < NOBJ; i++) {
        size_t s = (i % 2) ? (size_t)(2 + i % 7) << 20 : 16 + 64 * (size_t)i;
        small[i] = memkind_malloc(MEMKIND_DEFAULT, s);
        if (small[i])
            expect_kind("DEFAULT reused", MEMKIND_DEFAULT, small[i], s);
    }
    for (int i = 0; i < NOBJ; i++)
        memkind_free(NULL, small[i]);
    for (int i = 0; i < 8; i++)
        memkind_free(NULL, big[i]);
}

static void churn_kind(const char *what, memkind_t kind)
{
    void *p[NOBJ];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < NOBJ; i++) {
            size_t s = (i % 8 == 7) ? (size_t)1 << 20 : 8 + 40 * (size_t)i;
            p[i] = memkind_malloc(kind, s);
            if (p[i])
                expect_kind(what, kind, p[i], s);
        }
        for (int i = 0; i < NOBJ; i++)
            memkind_free(NULL, p[i]);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PMEM-DIR\n", argv[0]);
        return 2;
    }
    churn_default();
    memkind_t pmem = NULL;
    int err = memkind_create_pmem(argv[1], 0, &pmem);
    if (err) {
        printf("memkind_create_pmem(%s): error %d\n", argv[1], err);
        return 2;
    }
    churn_kind("PMEM", pmem);
    if (memkind_check_available(MEMKIND_REGULAR) == 0)
        churn_kind("REGULAR", MEMKIND_REGULAR);
    churn_default();
    memkind_destroy_kind(pmem);
    printf("checked %lu\n", checked);
    return failed ? 1 : 0;
}
