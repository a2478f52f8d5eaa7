// SPDX-License-Identifier: BSD-2-Clause
/*
 * demo.c - the README's demo: a few allocations from MEMKIND_DEFAULT and
 * from a PMEM kind in a fresh temporary directory, with the kind of each
 * pointer detected back from its address.
 */
#include <memkind.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what, int err)
{
    char msg[MEMKIND_ERROR_MESSAGE_SIZE];
    memkind_error_message(err, msg, sizeof(msg));
    fprintf(stderr, "demo: %s: %s\n", what, msg);
    return 1;
}

int main(void)
{
    char dir[] = "/tmp/memkind-demo.XXXXXX";
    memkind_t pmem = NULL;
    int v = memkind_get_version();

    printf("memkind %d.%d.%d\n", v / 1000000, v / 1000 % 1000, v % 1000);

    char *a = memkind_malloc(MEMKIND_DEFAULT, 64);
    if (!a)
        return fail("memkind_malloc(MEMKIND_DEFAULT)", MEMKIND_ERROR_MALLOC);
    snprintf(a, 64, "hello from DRAM");

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    int err = memkind_create_pmem(dir, MEMKIND_PMEM_MIN_SIZE, &pmem);
    if (err)
        return fail("memkind_create_pmem", err);
    char *b = memkind_malloc(pmem, 4096);
    if (!b)
        return fail("memkind_malloc(pmem)", MEMKIND_ERROR_MALLOC);
    snprintf(b, 4096, "hello from a file in %s", dir);

    printf("%s: detected kind is %s\n", a,
           memkind_detect_kind(a) == MEMKIND_DEFAULT ? "MEMKIND_DEFAULT"
                                                     : "wrong");
    printf("%s: detected kind is %s\n", b,
           memkind_detect_kind(b) == pmem ? "the PMEM kind" : "wrong");
    printf(
        "PMEM kind capacity: %zd bytes, DAX: %s\n", memkind_get_capacity(pmem),
        memkind_check_dax_path(dir) == 0 ? "yes" : "no (ordinary file system)");

    memkind_free(NULL, b); /* kind looked up from the address */
    memkind_free(MEMKIND_DEFAULT, a);
    err = memkind_destroy_kind(pmem);
    if (err)
        return fail("memkind_destroy_kind", err);
    rmdir(dir);
    printf("demo: OK\n");
    return 0;
}
