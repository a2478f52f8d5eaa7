// SPDX-License-Identifier: BSD-2-Clause
/*
 * preload_fault_app.c - the program run by preload-faults.sh under
 * LD_PRELOAD=libmemtier.so with one failure point of libmemtier's start-up
 * made to fail.  It allocates and frees through the interposed malloc
 * family, checks the contents, and prints what a leak would change: its
 * open descriptors and its mappings of files under the directory in argv[1].
 * A fault injected after start-up may make one malloc return NULL (ENOMEM,
 * as documented); the retry must succeed.
 * Plain C: nothing else allocates.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static int count_maps(const char *dir)
{
    char line[4096];
    int n = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strstr(line, dir))
            n++;
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    void *blocks[512];
    if (argc < 2)
        return 2;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 512; i++) {
            size_t sz = 1 + (size_t)(i * 97 % 20000);
            blocks[i] = malloc(sz);
            if (!blocks[i]) /* an injected fault: ENOMEM, once */
                blocks[i] = malloc(sz);
            if (!blocks[i])
                return 3;
            memset(blocks[i], i & 0xff, sz);
        }
        for (int i = 0; i < 512; i++) {
            unsigned char *p = blocks[i];
            if (p[0] != (i & 0xff))
                return 4;
            free(p);
        }
    }
    char *s = strdup("still works");
    void *r = realloc(s, 100000);
    if (!r || strcmp(r, "still works") != 0)
        return 5;
    free(r);
    printf("fds %d maps %d\n", count_fds(), count_maps(argv[1]));
    return 0;
}
