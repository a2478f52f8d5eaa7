// SPDX-License-Identifier: BSD-2-Clause
/*
 * env_probe.c - prints, one "key=value" line each, what the library makes
 * of its environment: every static NUMA kind's memkind_check_available()
 * code and capacity, the HBW and KMEM DAX node lists, hbw_check_available()
 * and the kind hbw_malloc() uses.  With "alloc" it also allocates 2 MiB
 * from every available kind and prints the node of its first page.
 * The env scenario scripts of test/env run it in a fresh process with
 * the variables under test and compare lines.  Black box: public API plus
 * the two exported node-mask functions of 1.14.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <hbwmalloc.h>
#include <memkind.h>

#include <numaif.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

int memkind_hbw_all_get_mbind_nodemask(struct memkind *kind,
                                       unsigned long *nodemask,
                                       unsigned long maxnode);
int memkind_dax_kmem_all_get_mbind_nodemask(struct memkind *kind,
                                            unsigned long *nodemask,
                                            unsigned long maxnode);

#define KIND(x)                                                                \
    {                                                                          \
#x, &x                                                                 \
    }
static const struct {
    const char *name;
    memkind_t *kind;
} kinds[] = {
    KIND(MEMKIND_DEFAULT),
    KIND(MEMKIND_REGULAR),
    KIND(MEMKIND_INTERLEAVE),
    KIND(MEMKIND_HUGETLB),
    KIND(MEMKIND_GBTLB),
    KIND(MEMKIND_HBW),
    KIND(MEMKIND_HBW_ALL),
    KIND(MEMKIND_HBW_PREFERRED),
    KIND(MEMKIND_HBW_INTERLEAVE),
    KIND(MEMKIND_HBW_HUGETLB),
    KIND(MEMKIND_HBW_ALL_HUGETLB),
    KIND(MEMKIND_HBW_PREFERRED_HUGETLB),
    KIND(MEMKIND_HBW_GBTLB),
    KIND(MEMKIND_HBW_PREFERRED_GBTLB),
    KIND(MEMKIND_DAX_KMEM),
    KIND(MEMKIND_DAX_KMEM_ALL),
    KIND(MEMKIND_DAX_KMEM_PREFERRED),
    KIND(MEMKIND_DAX_KMEM_INTERLEAVE),
    KIND(MEMKIND_HIGHEST_CAPACITY),
    KIND(MEMKIND_HIGHEST_CAPACITY_PREFERRED),
    KIND(MEMKIND_HIGHEST_CAPACITY_LOCAL),
    KIND(MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED),
    KIND(MEMKIND_LOWEST_LATENCY_LOCAL),
    KIND(MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED),
    KIND(MEMKIND_HIGHEST_BANDWIDTH_LOCAL),
    KIND(MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED),
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *kind_name(memkind_t k)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (*kinds[i].kind == k)
            return kinds[i].name;
    return k ? "other" : "NULL";
}

static void print_nodes(const char *key,
                        int (*get)(struct memkind *, unsigned long *,
                                   unsigned long))
{
    unsigned long mask[16] = {0};
    int err = get(NULL, mask, 1024);
    printf("%s=", key);
    if (err) {
        printf("error %d\n", err);
        return;
    }
    const char *sep = "";
    for (unsigned n = 0; n < 1024; n++) {
        if ((mask[n / 64] >> (n % 64)) & 1) {
            printf("%s%u", sep, n);
            sep = ",";
        }
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    int alloc = argc > 1 && strcmp(argv[1], "alloc") == 0;
    for (size_t i = 0; i < NKINDS; i++) {
        memkind_t k = *kinds[i].kind;
        int err = memkind_check_available(k);
        printf("%s check=%d cap=%zd", kinds[i].name, err,
               memkind_get_capacity(k));
        if (alloc && err == 0) {
            size_t len = 2u << 20;
            char *p = memkind_malloc(k, len);
            int node = -1;
            if (p) {
                memset(p, 1, len);
                if (get_mempolicy(&node, NULL, 0, p,
                                  MPOL_F_NODE | MPOL_F_ADDR) != 0)
                    node = -2;
                memkind_free(k, p);
                printf(" node=%d", node);
            } else {
                printf(" node=fail");
            }
        }
        printf("\n");
    }
    print_nodes("hbw_nodes", memkind_hbw_all_get_mbind_nodemask);
    print_nodes("dax_kmem_nodes", memkind_dax_kmem_all_get_mbind_nodemask);
    printf("hbw_check_available=%d\n", hbw_check_available());
    void *p = hbw_malloc(4096);
    printf("hbw_malloc=%s\n", p ? kind_name(memkind_detect_kind(p)) : "NULL");
    hbw_free(p);
    return 0;
}
