// SPDX-License-Identifier: BSD-2-Clause
/*
 * create_kind_probe.c - prints what memkind_create_kind() answers for every
 * memory type, policy and flags value (valid ones and a few invalid ones),
 * one line each:
 *   <memtype> <policy> <flags> -> <code> <kind>
 * where <kind> names the MEMKIND_* variable the returned kind equals ("-"
 * on error, "untouched" checked: the output argument must keep its value).
 * For each success it then destroys the kind and adds "destroy=<code>" and
 * whether the kind still answers memkind_check_available() as before.
 * Last, memkind_destroy_kind() of every static kind, one line each.
 * test/env/create-kind.sh compares the lines with memkind 1.14's answers.
 * Built against the public headers only, so the same source also builds
 * against Debian's 1.14 headers to record those answers.
 */
#include <memkind.h>

#include <stdio.h>
#include <string.h>

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
    KIND(MEMKIND_HBW),
    KIND(MEMKIND_HBW_ALL),
    KIND(MEMKIND_HBW_PREFERRED),
    KIND(MEMKIND_HBW_INTERLEAVE),
    KIND(MEMKIND_HBW_HUGETLB),
    KIND(MEMKIND_HBW_ALL_HUGETLB),
    KIND(MEMKIND_HBW_PREFERRED_HUGETLB),
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
    return "new";
}

int main(void)
{
    static const struct {
        const char *name;
        long long v;
    } memtypes[] = {{"0", 0},
                    {"DEFAULT", MEMKIND_MEMTYPE_DEFAULT},
                    {"HIGH_BANDWIDTH", MEMKIND_MEMTYPE_HIGH_BANDWIDTH},
                    {"DEFAULT|HIGH_BANDWIDTH",
                     MEMKIND_MEMTYPE_DEFAULT | MEMKIND_MEMTYPE_HIGH_BANDWIDTH},
                    {"4", 4},
                    {"5", 5},
                    {"-1", -1}},
      policies[] = {{"BIND_LOCAL", MEMKIND_POLICY_BIND_LOCAL},
                    {"BIND_ALL", MEMKIND_POLICY_BIND_ALL},
                    {"PREFERRED_LOCAL", MEMKIND_POLICY_PREFERRED_LOCAL},
                    {"INTERLEAVE_LOCAL", MEMKIND_POLICY_INTERLEAVE_LOCAL},
                    {"INTERLEAVE_ALL", MEMKIND_POLICY_INTERLEAVE_ALL},
                    {"MAX_VALUE", MEMKIND_POLICY_MAX_VALUE},
                    {"-1", -1}},
      flags[] = {{"0", 0},   {"2MB", MEMKIND_MASK_PAGE_SIZE_2MB},
                 {"1", 1},   {"20", 20},
                 {"22", 22}, {"0x115", 0x115},
                 {"-1", -1}};
    for (size_t a = 0; a < sizeof(memtypes) / sizeof(memtypes[0]); a++)
        for (size_t b = 0; b < sizeof(policies) / sizeof(policies[0]); b++)
            for (size_t c = 0; c < sizeof(flags) / sizeof(flags[0]); c++) {
                memkind_t untouched = (memkind_t)&kinds; /* not a kind */
                memkind_t k = untouched;
                int err = memkind_create_kind((memkind_memtype_t)memtypes[a].v,
                                              (memkind_policy_t)policies[b].v,
                                              (memkind_bits_t)flags[c].v, &k);
                printf("%s %s %s -> %d ", memtypes[a].name, policies[b].name,
                       flags[c].name, err);
                if (err) {
                    printf("%s\n", k == untouched ? "-" : "kind-written");
                    continue;
                }
                int avail = memkind_check_available(k);
                int d = memkind_destroy_kind(k);
                printf("%s destroy=%d %s\n", kind_name(k), d,
                       memkind_check_available(k) == avail ? "same"
                                                           : "changed");
            }
    for (size_t i = 0; i < NKINDS; i++) {
        memkind_t k = *kinds[i].kind;
        int avail = memkind_check_available(k);
        int d = memkind_destroy_kind(k);
        printf("destroy %s -> %d %s\n", kinds[i].name, d,
               *kinds[i].kind == k && memkind_check_available(k) == avail
                   ? "same"
                   : "changed");
    }
    return 0;
}
