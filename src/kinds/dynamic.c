// SPDX-License-Identifier: BSD-2-Clause
/*
 * dynamic.c - memkind_create_kind(): a kind named by a memory type, a
 * binding policy and a page size (memkind(3) MEMORY TYPES, MEMORY BINDING
 * POLICY, MEMORY FLAGS).
 *
 * COMPAT(1.14): the call makes no kind.  Each combination memkind 1.14
 * knows names one of the static kinds, which it hands back; every other
 * combination is MEMKIND_ERROR_INVALID.  The table below was measured by
 * running Debian's libmemkind0 1.14.0 over every memory type (DEFAULT,
 * HIGH_BANDWIDTH, both), every policy and the flags 0, 21 and invalid
 * values, with and without HBW nodes (MEMKIND_HBW_NODES) and with and
 * without 2 MiB huge pages.  A named kind that memkind_check_available()
 * refuses makes the call fail with MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
 * except for MEMKIND_POLICY_PREFERRED_LOCAL, which then gives
 * MEMKIND_DEFAULT (whatever the memory type and page size).
 *
 * Kinds returned here are static: memkind_destroy_kind() of them succeeds
 * and does nothing (registry.c).
 */
#include "config.h"

#include <memkind.h>

#include <memkind/internal/memkind_dispatch.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_registry.h>

#include <stddef.h>

/* One combination 1.14 accepts and the static kind it names. */
struct mk_kind_recipe {
    unsigned memtype;        ///< MEMKIND_MEMTYPE_* bits, exactly
    memkind_policy_t policy; ///< MEMKIND_POLICY_*
    unsigned flags;          ///< 0 or MEMKIND_MASK_PAGE_SIZE_2MB
    memkind_t *kind;         ///< address of the MEMKIND_* variable
};

#define MK_MT_DEFAULT MEMKIND_MEMTYPE_DEFAULT
#define MK_MT_HBW     MEMKIND_MEMTYPE_HIGH_BANDWIDTH
#define MK_PG_2MB     MEMKIND_MASK_PAGE_SIZE_2MB

static const struct mk_kind_recipe recipes[] = {
    {MK_MT_DEFAULT, MEMKIND_POLICY_PREFERRED_LOCAL, 0, &MEMKIND_DEFAULT},
    {MK_MT_DEFAULT, MEMKIND_POLICY_PREFERRED_LOCAL, MK_PG_2MB,
     &MEMKIND_HUGETLB},
    {MK_MT_HBW, MEMKIND_POLICY_BIND_LOCAL, 0, &MEMKIND_HBW},
    {MK_MT_HBW, MEMKIND_POLICY_BIND_LOCAL, MK_PG_2MB, &MEMKIND_HBW_HUGETLB},
    {MK_MT_HBW, MEMKIND_POLICY_BIND_ALL, 0, &MEMKIND_HBW_ALL},
    {MK_MT_HBW, MEMKIND_POLICY_BIND_ALL, MK_PG_2MB, &MEMKIND_HBW_ALL_HUGETLB},
    {MK_MT_HBW, MEMKIND_POLICY_PREFERRED_LOCAL, 0, &MEMKIND_HBW_PREFERRED},
    {MK_MT_HBW, MEMKIND_POLICY_PREFERRED_LOCAL, MK_PG_2MB,
     &MEMKIND_HBW_PREFERRED_HUGETLB},
    {MK_MT_HBW, MEMKIND_POLICY_INTERLEAVE_ALL, 0, &MEMKIND_HBW_INTERLEAVE},
    {MK_MT_DEFAULT | MK_MT_HBW, MEMKIND_POLICY_INTERLEAVE_ALL, 0,
     &MEMKIND_INTERLEAVE},
};

/*
 * memkind_create_kind (EXPERIMENTAL in memkind(3)).  Stores a static kind
 * in *kind.  Returns 0, MEMKIND_ERROR_INVALID for a NULL kind pointer or a
 * combination without a kind (out-of-range values included), or
 * MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE when the named kind is not available
 * here; *kind is left alone on error.
 */
MK_EXPORT int memkind_create_kind(memkind_memtype_t memtype_flags,
                                  memkind_policy_t policy, memkind_bits_t flags,
                                  memkind_t *kind)
{
    if (!kind) {
        mk_log_err("memkind_create_kind: kind is a NULL pointer");
        return MEMKIND_ERROR_INVALID;
    }
    /* Compared as unsigned long long: callers pass any int through these
     * enums, and 1.14 refuses every value it has no kind for. */
    const struct mk_kind_recipe *r = NULL;
    for (size_t i = 0; i < sizeof(recipes) / sizeof(recipes[0]); i++) {
        if ((unsigned long long)memtype_flags == recipes[i].memtype &&
            (unsigned long long)policy == (unsigned)recipes[i].policy &&
            (unsigned long long)flags == recipes[i].flags) {
            r = &recipes[i];
            break;
        }
    }
    if (!r) {
        mk_log_err("memkind_create_kind: no kind for memtype %#llx, policy "
                   "%lld, flags %#llx",
                   (unsigned long long)memtype_flags, (long long)policy,
                   (unsigned long long)flags);
        return MEMKIND_ERROR_INVALID;
    }
    if (mk_library_init())
        return MEMKIND_ERROR_RUNTIME;
    struct memkind *k = *r->kind;
    if (kind_op_check_available(k) != 0) {
        if (policy != MEMKIND_POLICY_PREFERRED_LOCAL)
            return MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE;
        /* COMPAT(1.14): "preferred" memory the machine lacks (HBW nodes,
         * huge pages) falls back to the default kind. */
        k = MEMKIND_DEFAULT;
    }
    *kind = k;
    return 0;
}
