// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmem_scale: PMEM kinds at the scale of a large file system (issue 16);
 * driven by pmem-scale.sh, which provides the file system.
 *
 *   pmem_scale grow DIR GIB    one unlimited kind takes GIB objects of
 *                              1 GiB (file space allocated, first byte
 *                              written); all freed, kind destroyed
 *   pmem_scale live DIR N      N unlimited kinds live at once, 1 MiB used
 *                              in each; then all destroyed
 *   pmem_scale soak DIR N      N create/destroy cycles, every 10th with a
 *                              100 B object
 * Each mode runs its workload once to warm up, then again, and checks that
 * the process's mappings, descriptors and resident size (16 MiB of slack)
 * are back to where they were between the two.  Exit 0 on success, 1 with a
 * message on failure.
 */
#include <memkind.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    long n = 0;
    int c;
    if (!f)
        return -1;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static long rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = atol(line + 6);
    fclose(f);
    return kib;
}

static int fail(const char *what, int err)
{
    char msg[MEMKIND_ERROR_MESSAGE_SIZE] = "";
    if (err)
        memkind_error_message(err, msg, sizeof(msg));
    printf("FAIL: %s %s\n", what, msg);
    return 1;
}

static int grow(const char *dir, long gib)
{
    memkind_t kind;
    int err = memkind_create_pmem(dir, 0, &kind);
    if (err)
        return fail("memkind_create_pmem", err);
    void **objs = calloc((size_t)gib, sizeof(*objs));
    long n = 0;
    while (n < gib) {
        char *p = memkind_malloc(kind, (size_t)1 << 30);
        if (!p)
            break;
        p[0] = 1;
        objs[n++] = p;
    }
    printf("grow: one unlimited kind holds %ld GiB of 1 GiB objects "
           "(asked for %ld)\n",
           n, gib);
    for (long i = 0; i < n; i++)
        memkind_free(kind, objs[i]);
    free(objs);
    memkind_destroy_kind(kind);
    return n < gib;
}

static int live(const char *dir, long want)
{
    memkind_t *kinds = calloc((size_t)want, sizeof(*kinds));
    long n = 0;
    int err = 0;
    while (n < want) {
        err = memkind_create_pmem(dir, 0, &kinds[n]);
        if (err)
            break;
        char *p = memkind_malloc(kinds[n], 1 << 20);
        n++;
        if (!p) {
            err = MEMKIND_ERROR_MALLOC;
            break;
        }
        memset(p, 1, 1 << 20);
    }
    printf("live: %ld of %ld unlimited kinds live at once, 1 MiB used in "
           "each\n",
           n, want);
    for (long i = 0; i < n; i++)
        memkind_destroy_kind(kinds[i]);
    free(kinds);
    return n < want || err ? fail("kind creation stopped:", err) : 0;
}

static int soak(const char *dir, long cycles)
{
    for (long i = 0; i < cycles; i++) {
        memkind_t kind;
        int err = memkind_create_pmem(dir, 0, &kind);
        if (err)
            return fail("memkind_create_pmem", err);
        if (i % 10 == 0) {
            void *p = memkind_malloc(kind, 100);
            if (!p)
                return fail("memkind_malloc", 0);
            memset(p, 1, 100);
            memkind_free(kind, p);
        }
        memkind_destroy_kind(kind);
    }
    printf("soak: %ld create/destroy cycles\n", cycles);
    return 0;
}

/* Runs the workload of mode (2: an unknown mode). */
static int run(const char *mode, const char *dir, long n)
{
    return !strcmp(mode, "grow")   ? grow(dir, n)
           : !strcmp(mode, "live") ? live(dir, n)
           : !strcmp(mode, "soak") ? soak(dir, n)
                                   : 2;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: pmem_scale grow|live|soak DIR N\n");
        return 2;
    }
    const char *mode = argv[1], *dir = argv[2];
    long n = atol(argv[3]);
    /* Warm-up, so that the library's own structures are in the baseline. */
    memkind_t k;
    if (memkind_create_pmem(dir, 0, &k) == 0) {
        memkind_free(k, memkind_malloc(k, 100));
        memkind_destroy_kind(k);
    }
    /* jemalloc's global radix tree of extents gets nodes for every address
     * range it has seen (from its own base 0, kept for reuse, not per
     * kind), and a sanitizer's runtime maps memory of its own: a first run
     * of the workload leaves those behind, a second must not add to them. */
    int warm = run(mode, dir, !strcmp(mode, "soak") && n > 1000 ? 1000 : n);
    if (warm)
        return warm;
    long maps0 = count_lines("/proc/self/maps"), fds0 = count_fds();
    long rss0 = rss_kib();
    int rc = run(mode, dir, n);
    long maps1 = count_lines("/proc/self/maps"), fds1 = count_fds();
    long rss1 = rss_kib();
    printf("%s: mappings %ld -> %ld, descriptors %ld -> %ld, RSS %ld -> %ld "
           "KiB\n",
           mode, maps0, maps1, fds0, fds1, rss0, rss1);
    if (maps1 > maps0 + 8 || fds1 != fds0 || rss1 > rss0 + 16 * 1024)
        rc = fail("something was left behind", 0);
    return rc;
}
