// SPDX-License-Identifier: BSD-2-Clause
/*
 * pair_bench.c - cost of one malloc+free pair of a fixed size, for our
 * libmemkind, Debian's memkind 1.14, raw jemalloc and glibc, all measured by
 * the same binary.  The binary links libmemkind.so.0 normally (dlopen()ed
 * libraries get slower dynamic TLS, which would not be what applications
 * see); LD_LIBRARY_PATH picks ours or Debian's 1.14.  Raw jemalloc is
 * reached through LD_PRELOAD=libjemalloc.so.2 and dlsym(RTLD_DEFAULT).
 *
 *   pair_bench LABEL TARGET SIZE ITERS
 *     LABEL   printed as is (e.g. "ours", "1.14")
 *     TARGET  default | dynamic | pmem | default-nullfree | pmem-nullfree |
 *             jemalloc | glibc
 *
 * Prints ns per pair (wall clock).  Under valgrind --tool=callgrind
 * --toggle-collect=bench_loop the instruction count of bench_loop divided by
 * ITERS is the instructions per pair, independent of machine noise.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <memkind.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef void *(*jmallocx_fn)(size_t, int);
typedef void (*jdallocx_fn)(void *, int);

static jmallocx_fn j_mallocx;
static jdallocx_fn j_dallocx;
static memkind_t kind;
static int null_free;
static int mode; /* 0 memkind, 1 jemalloc, 2 glibc */

__attribute__((noinline)) void bench_loop(size_t size, long iters);
__attribute__((noinline)) void bench_loop(size_t size, long iters)
{
    for (long i = 0; i < iters; i++) {
        void *p;
        switch (mode) {
            case 0:
                p = memkind_malloc(kind, size);
                memkind_free(null_free ? NULL : kind, p);
                break;
            case 1:
                p = j_mallocx(size, 0);
                j_dallocx(p, 0);
                break;
            default:
                p = malloc(size);
                free(p);
        }
        __asm__ volatile("" : : "r"(p) : "memory");
    }
}

static void *sym(void *h, const char *name)
{
    void *s = dlsym(h, name);
    if (!s) {
        fprintf(stderr, "pair_bench: %s: %s\n", name, dlerror());
        exit(2);
    }
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: pair_bench LABEL TARGET SIZE ITERS\n");
        return 2;
    }
    const char *label = argv[1], *target = argv[2];
    size_t size = strtoul(argv[3], NULL, 0);
    long iters = strtol(argv[4], NULL, 0);
    char dir[] = "/tmp/pair_bench.XXXXXX";
    int made_dir = 0;
    if (!strcmp(target, "glibc")) {
        mode = 2;
    } else if (!strcmp(target, "jemalloc")) {
        mode = 1;
        j_mallocx = (jmallocx_fn)sym(RTLD_DEFAULT, "mallocx");
        j_dallocx = (jdallocx_fn)sym(RTLD_DEFAULT, "dallocx");
    } else {
        null_free = strstr(target, "nullfree") != NULL;
        if (!strncmp(target, "default", 7)) {
            kind = MEMKIND_DEFAULT;
        } else if (!strcmp(target, "dynamic")) {
            if (memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                    MEMKIND_POLICY_PREFERRED_LOCAL, 0, &kind)) {
                fprintf(stderr, "pair_bench: memkind_create_kind failed\n");
                return 2;
            }
        } else if (!strncmp(target, "pmem", 4)) {
            if (!mkdtemp(dir) || memkind_create_pmem(dir, 0, &kind)) {
                fprintf(stderr, "pair_bench: memkind_create_pmem failed\n");
                return 2;
            }
            made_dir = 1;
        } else {
            fprintf(stderr, "pair_bench: unknown target %s\n", target);
            return 2;
        }
    }
    bench_loop(size, iters / 10 + 1); /* warm up caches and arenas */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bench_loop(size, iters);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    printf("%s %s %zu: %.1f ns/pair\n", label, target, size, ns / iters);
    if (made_dir) {
        memkind_destroy_kind(kind);
        rmdir(dir);
    }
    return 0;
}
