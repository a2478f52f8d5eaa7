// SPDX-License-Identifier: BSD-2-Clause
/*
 * bench_common.c - helpers shared by the benchmark programs (see
 * bench_common.h).  Nothing here allocates through memkind.
 */
#include "bench_common.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

size_t bench_log_uniform(uint64_t *state, size_t lo, size_t hi)
{
    double u = (double)(bench_rand(state) >> 11) * 0x1.0p-53;
    double s = (double)lo * exp2(u * log2((double)(hi + 1) / (double)lo));
    size_t r = (size_t)s;
    if (r < lo)
        r = lo;
    if (r > hi)
        r = hi;
    return r;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

long bench_status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t n = strlen(field);
    long kib = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':' &&
            sscanf(line + n + 1, " %ld kB", &kib) == 1)
            break;
    }
    fclose(f);
    return kib;
}

long bench_rss_kib(void)
{
    return bench_status_kib("VmRSS");
}

long long bench_dir_file_bytes(const char *dir, int *nfiles)
{
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return -1;
    size_t len = strlen(real);
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long long bytes = 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char target[PATH_MAX];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        ssize_t k = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
        if (k <= 0)
            continue;
        target[k] = '\0';
        /* a file directly inside dir, not dir itself */
        if (strncmp(target, real, len) != 0 || target[len] != '/')
            continue;
        if (fstat(atoi(e->d_name), &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        bytes += (long long)st.st_blocks * 512;
        n++;
    }
    closedir(d);
    if (nfiles)
        *nfiles = n;
    return bytes;
}

void bench_die(const char *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

size_t bench_parse_size(const char *prog, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        bench_die(prog, "bad size '%s'", s);
    switch (*end) {
        case 'K':
        case 'k':
            v <<= 10;
            end++;
            break;
        case 'M':
        case 'm':
            v <<= 20;
            end++;
            break;
        case 'G':
        case 'g':
            v <<= 30;
            end++;
            break;
        default:
            break;
    }
    if (*end != '\0')
        bench_die(prog, "bad size '%s'", s);
    return (size_t)v;
}
