// SPDX-License-Identifier: BSD-2-Clause
/*
 * kind_bench: what a kind costs and what its lifecycle leaves behind
 * (issue 16).  Links libmemkind.so.0 normally, so bench-kinds.sh runs the
 * same binary against ours and Debian's 1.14 (LD_LIBRARY_PATH).
 *
 *   kind_bench TYPE DIR
 *     TYPE: pmem (unlimited), pmem64 (max_size 64 MiB) or fixed (4 MiB
 *     buffer); DIR: where PMEM files go.
 *
 * Prints one line of key=value pairs:
 *   create_destroy_us  median time of one create + destroy (no allocation)
 *   cycle_us           median time of create + 100 B malloc/free + destroy
 *   empty_*            per live empty kind: virtual KiB, RSS KiB, mappings,
 *                      fds (64 kinds live at once, deltas divided by 64)
 *   one_*              the same with one 100 B object in each kind
 *   soak_*             after SOAK cycles (create, malloc, free, destroy):
 *                      growth of mappings, RSS KiB, virtual KiB, fds
 */
#include <memkind.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIVE  64
#define TIMED 201
#define SOAK  2000

struct usage {
    long maps, fds, rss_kib, vsz_kib;
};

static void usage_now(struct usage *u)
{
    char line[512];
    memset(u, 0, sizeof(*u));
    FILE *f = fopen("/proc/self/maps", "r");
    if (f) {
        while (fgets(line, sizeof(line), f))
            if (strchr(line, '\n'))
                u->maps++;
        fclose(f);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        while (readdir(d))
            u->fds++;
        closedir(d);
    }
    f = fopen("/proc/self/status", "r");
    if (f) {
        while (fgets(line, sizeof(line), f)) {
            if (!strncmp(line, "VmRSS:", 6))
                u->rss_kib = atol(line + 6);
            else if (!strncmp(line, "VmSize:", 7))
                u->vsz_kib = atol(line + 7);
        }
        fclose(f);
    }
}

static const char *type, *dir;
static char fixed_buf[LIVE][4 << 20] __attribute__((aligned(4096)));

/* Creates a kind of the benchmark's type (slot: which fixed buffer). */
static memkind_t create(int slot)
{
    memkind_t k = NULL;
    int err;
    if (!strcmp(type, "pmem"))
        err = memkind_create_pmem(dir, 0, &k);
    else if (!strcmp(type, "pmem64"))
        err = memkind_create_pmem(dir, 64 << 20, &k);
    else
        err =
            memkind_create_fixed(fixed_buf[slot], sizeof(fixed_buf[slot]), &k);
    if (err) {
        char msg[MEMKIND_ERROR_MESSAGE_SIZE];
        memkind_error_message(err, msg, sizeof(msg));
        fprintf(stderr, "kind_bench: create %s: %s\n", type, msg);
        exit(1);
    }
    return k;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median time of TIMED runs of one cycle, with or without an object. */
static double timed(int with_object)
{
    static double t[TIMED];
    for (int i = 0; i < TIMED; i++) {
        double t0 = now_us();
        memkind_t k = create(0);
        if (with_object) {
            void *p = memkind_malloc(k, 100);
            if (!p)
                exit(2);
            memset(p, 1, 100);
            memkind_free(k, p);
        }
        memkind_destroy_kind(k);
        t[i] = now_us() - t0;
    }
    qsort(t, TIMED, sizeof(t[0]), cmp_double);
    return t[TIMED / 2];
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: kind_bench pmem|pmem64|fixed DIR\n");
        return 1;
    }
    type = argv[1];
    dir = argv[2];
    /* Warm-up: the library's own structures reach their size. */
    for (int i = 0; i < 20; i++)
        memkind_destroy_kind(create(0));
    double cd = timed(0), cy = timed(1);

    struct usage u0, u1, u2;
    memkind_t kinds[LIVE];
    void *obj[LIVE];
    usage_now(&u0);
    for (int i = 0; i < LIVE; i++)
        kinds[i] = create(i);
    usage_now(&u1);
    for (int i = 0; i < LIVE; i++) {
        obj[i] = memkind_malloc(kinds[i], 100);
        if (!obj[i])
            return 2;
        memset(obj[i], 1, 100);
    }
    usage_now(&u2);
    for (int i = 0; i < LIVE; i++) {
        memkind_free(kinds[i], obj[i]);
        memkind_destroy_kind(kinds[i]);
    }

    struct usage s0, s1;
    usage_now(&s0);
    for (int i = 0; i < SOAK; i++) {
        memkind_t k = create(0);
        void *p = memkind_malloc(k, 100);
        if (!p)
            return 2;
        memset(p, 1, 100);
        memkind_free(k, p);
        memkind_destroy_kind(k);
    }
    usage_now(&s1);

    printf("type=%s create_destroy_us=%.0f cycle_us=%.0f "
           "empty_vsz_kib=%ld empty_rss_kib=%.1f empty_maps=%.2f "
           "empty_fds=%.2f one_vsz_kib=%ld one_rss_kib=%.1f one_maps=%.2f "
           "soak_cycles=%d soak_maps=%ld soak_rss_kib=%ld soak_vsz_kib=%ld "
           "soak_fds=%ld\n",
           type, cd, cy, (u1.vsz_kib - u0.vsz_kib) / LIVE,
           (double)(u1.rss_kib - u0.rss_kib) / LIVE,
           (double)(u1.maps - u0.maps) / LIVE, (double)(u1.fds - u0.fds) / LIVE,
           (u2.vsz_kib - u0.vsz_kib) / LIVE,
           (double)(u2.rss_kib - u0.rss_kib) / LIVE,
           (double)(u2.maps - u0.maps) / LIVE, SOAK, s1.maps - s0.maps,
           s1.rss_kib - s0.rss_kib, s1.vsz_kib - s0.vsz_kib, s1.fds - s0.fds);
    return 0;
}
