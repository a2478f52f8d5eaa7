// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_pmem_config.c - libFuzzer target for the PMEM kind's configuration
 * (memkind_config paths, sizes and policies; memkind_create_pmem and
 * memkind_create_pmem_with_config, memkind_pmem(3)).
 *
 * Input: 8 bytes of max_size (little endian; sizes above 256 MiB are
 * folded down so that successful kinds stay cheap), 1 byte of policy and
 * flags, then the path.  The path is taken relative to a sandbox directory
 * made at start-up (a subdirectory, a file, a symlink to the directory, a
 * dangling symlink, a symlink loop, a read-only directory); a path with
 * ".." or starting with "/dev" is used as given only when it names one of
 * a few fixed harmless places.  Checks: every result is 0 or a negative
 * MEMKIND_ERROR_*, success only on a usable directory with a valid size,
 * the kind allocates and destroys cleanly, and nothing is left in the
 * sandbox (no named backing file) and no descriptor leaks.
 */
#include "config.h"

#include <memkind.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char sandbox[PATH_MAX];

static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static int count_fds(void)
{
    return count_entries("/proc/self/fd");
}

static int remove_entry(const char *p, const struct stat *st, int type,
                        struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(p);
}

/* libFuzzer ends a run with exit(): the sandbox goes with it.  fuzz.sh
 * also gives each run a TMPDIR of its own and removes it, for crashes. */
static void remove_sandbox(void)
{
    if (sandbox[0])
        (void)nftw(sandbox, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_sandbox(void)
{
    char p[PATH_MAX + 64];
    const char *base = getenv("TMPDIR");
    snprintf(sandbox, sizeof(sandbox), "%s/mk-fuzz-pmem.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(sandbox))
        abort();
    atexit(remove_sandbox);
    snprintf(p, sizeof(p), "%s/dir", sandbox);
    (void)mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/ro", sandbox);
    (void)mkdir(p, 0500);
    snprintf(p, sizeof(p), "%s/file", sandbox);
    int fd = open(p, O_CREAT | O_WRONLY, 0600);
    if (fd >= 0)
        close(fd);
    snprintf(p, sizeof(p), "%s/link", sandbox);
    (void)symlink("dir", p);
    snprintf(p, sizeof(p), "%s/dangling", sandbox);
    (void)symlink("nowhere", p);
    snprintf(p, sizeof(p), "%s/loop", sandbox);
    (void)symlink("loop", p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    make_sandbox();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    unsigned long long raw = 0;
    for (int i = 7; i >= 0; i--)
        raw = raw << 8 | data[i];
    size_t max_size = (size_t)raw;
    if (max_size > ((size_t)256 << 20) && max_size < ((size_t)1 << 62))
        max_size = max_size % ((size_t)256 << 20);
    uint8_t flags = data[8];
    size_t plen = size - 9;
    if (plen > 2 * PATH_MAX)
        return 0;
    char *rel = malloc(plen + 1);
    if (!rel)
        return 0;
    memcpy(rel, data + 9, plen);
    rel[plen] = '\0';
    char *path = malloc(strlen(sandbox) + plen + 16);
    if (!path) {
        free(rel);
        return 0;
    }
    if (strstr(rel, "..") ||
        (rel[0] == '/' && strcmp(rel, "/proc") && strcmp(rel, "/nonexistent")))
        sprintf(path, "%s/dir", sandbox); /* stay in the sandbox */
    else if (rel[0] == '/')
        strcpy(path, rel);
    else
        sprintf(path, "%s/%s", sandbox, rel);

    int fds = count_fds();
    int before = count_entries(sandbox);
    memkind_t kind = NULL;
    int err;
    if (flags & 1) {
        struct memkind_config *cfg = memkind_config_new();
        if (!cfg)
            abort();
        memkind_config_set_path(cfg, (flags & 2) ? NULL : path);
        memkind_config_set_size(cfg, max_size);
        memkind_config_set_memory_usage_policy(
            cfg, (memkind_mem_usage_policy)((flags >> 2) & 3));
        err = memkind_create_pmem_with_config(cfg, &kind);
        memkind_config_delete(cfg);
    } else {
        err = memkind_create_pmem((flags & 2) ? NULL : path, max_size, &kind);
    }
    if (err > 0 || err < -300)
        abort(); /* not a MEMKIND_ERROR_* code */
    if (err == 0) {
        if (!kind || (max_size && max_size < MEMKIND_PMEM_MIN_SIZE))
            abort();
        void *p = memkind_malloc(kind, 1 + (raw & 0xffff));
        if (p)
            memset(p, 1, 1 + (raw & 0xffff));
        memkind_free(kind, p);
        if (memkind_destroy_kind(kind) != 0)
            abort();
    }
    if (count_fds() != fds)
        abort(); /* a descriptor leaked */
    if (count_entries(sandbox) != before)
        abort(); /* a named file was left behind */
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof(dir), "%s/dir", sandbox);
    if (count_entries(dir) != 2)
        abort();
    free(path);
    free(rel);
    return 0;
}
