// SPDX-License-Identifier: BSD-2-Clause
/*
 * hbw.c - the MEMKIND_HBW family (memkind_hbw(3)) and its node discovery.
 *
 * Which nodes are high-bandwidth memory, in memkind 1.14's order:
 *  1. MEMKIND_HBW_NODES, a node list (numa(3) syntax), when set;
 *  2. on Xeon Phi x200 (Knights Landing/Mill), the nodes without CPUs;
 *  3. otherwise the memory attributes hwloc reads from the HMAT: for each
 *     initiator (CPU) node, the nodes whose bandwidth from it is at least
 *     MEMKIND_HBW_THRESHOLD MiB/s (default 204800, i.e. 200 GiB/s).
 * The *_ALL and INTERLEAVE kinds use every HBW node of the calling CPU's
 * node, MEMKIND_HBW the closest ones (SLIT distance), the PREFERRED kinds
 * the single closest one.  Without HBW nodes every kind reports
 * MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, as 1.14 does.
 */
#include "config.h"

#include <memkind/internal/memkind_hbw.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_default.h>
#include <memkind/internal/memkind_env.h>
#include <memkind/internal/memkind_hmat.h>
#include <memkind/internal/memkind_hugetlb.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_numa.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/// MEMKIND_HBW_THRESHOLD default in MiB/s (memkind(3) ENVIRONMENT).
#define MK_HBW_THRESHOLD_DEFAULT 204800u

/* MEMKIND_HBW_THRESHOLD as 1.14 reads it (strtol, base 10, 0..UINT_MAX):
 * blanks and one '+' in front are accepted, then the library's integer
 * parser takes the rest; an empty value is refused (COMPAT(1.14): 1.14 read
 * "" as 0).  Returns true with the value. */
bool mk_hbw_parse_threshold(const char *s, uint64_t *out)
{
    long v;
    if (!s)
        return false;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '+')
        s++;
    if (!mk_env_parse_long(
            s, 0, UINT_MAX <= LONG_MAX ? (long)UINT_MAX : LONG_MAX, &v))
        return false;
    *out = (uint64_t)v;
    return true;
}

/* HBW(init) = nodes with known bandwidth >= threshold from init; an
 * initiator without one gets MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE.  Pure.
 * Returns 0 or MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE (no initiator has one). */
int mk_hbw_cand_by_bandwidth(const struct mk_topology *t,
                             const struct mk_memattrs *a, uint64_t threshold,
                             struct mk_node_cand *cand)
{
    bool any = false;
    for (unsigned init = 0; init < t->nr_nodes; init++) {
        struct mk_node_cand *c = &cand[init];
        memset(c->mask, 0, sizeof(c->mask));
        if (!mk_nodemask_isset(t->cpu, init) || init >= a->nr) {
            c->err = MEMKIND_ERROR_UNAVAILABLE; /* no CPU runs here */
            continue;
        }
        for (unsigned n = 0; n < t->nr_nodes && n < a->nr; n++) {
            uint64_t bw = a->bw[(size_t)init * a->nr + n];
            if (mk_nodemask_isset(t->mem, n) && bw && bw >= threshold)
                mk_nodemask_set(c->mask, n);
        }
        if (mk_nodemask_first(c->mask) < 0) {
            mk_log_info("no HBW node for initiator node %u", init);
            c->err = MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE;
            continue;
        }
        c->err = 0;
        any = true;
    }
    return any ? 0 : MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE;
}

/* Intel Xeon Phi x200 (family 6, model 0x57 or 0x85), whose MCDRAM nodes
 * memkind recognised without memory attributes. */
static bool is_xeon_phi_x200(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    char vendor[13];
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return false;
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = '\0';
    if (strcmp(vendor, "GenuineIntel") != 0 || !__get_cpuid(1, &a, &b, &c, &d))
        return false;
    unsigned family = (a >> 8) & 0xf;
    unsigned model = ((a >> 4) & 0xf) | ((a >> 12) & 0xf0);
    return family == 6 && (model == 0x57 || model == 0x85);
#else
    return false;
#endif
}

static int hbw_build(const struct mk_topology *t, struct mk_node_cand *cand)
{
    unsigned long nodes[MK_NODEMASK_WORDS];
    int r = mk_numa_env_nodes(t, "MEMKIND_HBW_NODES", nodes);
    if (r <= 0)
        return r < 0 ? r : mk_cand_from_set(t, nodes, cand);
    if (is_xeon_phi_x200()) {
        for (size_t i = 0; i < MK_NODEMASK_WORDS; i++)
            nodes[i] = t->mem[i] & ~t->cpu[i];
        if (mk_cand_from_set(t, nodes, cand) != 0) {
            mk_log_err("High Bandwidth Memory is not supported by this NUMA "
                       "configuration");
            return MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE;
        }
        mk_log_info("Detected High Bandwidth Memory (Xeon Phi x200)");
        return 0;
    }
    uint64_t threshold = MK_HBW_THRESHOLD_DEFAULT;
    const char *v = secure_getenv("MEMKIND_HBW_THRESHOLD");
    if (v && !mk_hbw_parse_threshold(v, &threshold)) {
        mk_log_warn("MEMKIND_HBW_THRESHOLD=\"%.40s\" is not a bandwidth in "
                    "MB/s (0 to %u); the HBW kinds are unavailable "
                    "(MEMKIND_ERROR_ENVIRON)",
                    v, UINT_MAX);
        return MEMKIND_ERROR_ENVIRON;
    }
    const struct mk_memattrs *a = mk_hmat_get();
    if (a->err || !a->has_bw) {
        mk_log_info("no bandwidth attributes: no HBW nodes");
        return MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE;
    }
    return mk_hbw_cand_by_bandwidth(t, a, threshold, cand);
}

static struct mk_node_family hbw_family = MK_NODE_FAMILY_INIT(hbw_build);

/* For hbw_verify_memory_region(): any HBW node counts.  Returns 0 or
 * the family's MEMKIND_ERROR_*. */
int mk_hbw_nodes_union(unsigned long *mask)
{
    return mk_node_family_union(&hbw_family, mask);
}

/* The closest HBW node(s) of the calling CPU (MEMKIND_HBW).  Returns 0 or
 * MEMKIND_ERROR_* (see memkind_hbw(3)). */
MK_EXPORT int memkind_hbw_get_mbind_nodemask(struct memkind *kind,
                                             unsigned long *nodemask,
                                             unsigned long maxnode)
{
    (void)kind;
    return mk_node_family_nodes(&hbw_family, MK_PICK_CLOSEST, nodemask,
                                maxnode);
}

/* Every HBW node of the calling CPU's node (MEMKIND_HBW_ALL).  Returns 0
 * or MEMKIND_ERROR_*. */
MK_EXPORT int memkind_hbw_all_get_mbind_nodemask(struct memkind *kind,
                                                 unsigned long *nodemask,
                                                 unsigned long maxnode)
{
    (void)kind;
    return mk_node_family_nodes(&hbw_family, MK_PICK_ALL, nodemask, maxnode);
}

/* The one closest HBW node; memkind(3) MEMKIND_HBW_PREFERRED: allocations
 * fail when two are equally close.  Documented by memkind_hbw(3) but not
 * exported by 1.14's library; exported here. */
MK_EXPORT int memkind_hbw_get_preferred_mbind_nodemask(struct memkind *kind,
                                                       unsigned long *nodemask,
                                                       unsigned long maxnode)
{
    (void)kind;
    return mk_node_family_nodes(&hbw_family, MK_PICK_CLOSEST_ONE, nodemask,
                                maxnode);
}

/* Returns 0 when the calling CPU's node has HBW nodes, else
 * MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE or MEMKIND_ERROR_ENVIRON. */
MK_EXPORT int memkind_hbw_check_available(struct memkind *kind)
{
    unsigned long mask[MK_NODEMASK_WORDS];
    return memkind_hbw_all_get_mbind_nodemask(kind, mask, MK_MAX_NODES);
}

/*
 * HBW first, then 2 MiB huge pages: MEMKIND_ERROR_HUGETLB without pages
 * (memkind_hbw(3)), as 1.14 returns.
 */
MK_EXPORT int memkind_hbw_hugetlb_check_available(struct memkind *kind)
{
    int err = memkind_hbw_check_available(kind);
    if (err)
        return err;
    return memkind_hugetlb_check_available_2mb(kind);
}

/*
 * COMPAT(1.14): the deprecated GBTLB kinds make the same two checks (their
 * pages are 2 MiB ones, mapped in 1 GiB chunks: hugetlb.c) but report
 * every failure, a missing HBW node or a malformed MEMKIND_HBW_NODES
 * included, as MEMKIND_ERROR_HUGETLB.
 */
static int hbw_gbtlb_check_available(struct memkind *kind)
{
    return memkind_hbw_hugetlb_check_available(kind) ? MEMKIND_ERROR_HUGETLB
                                                     : 0;
}

/* Static kind set-up: discovery first, so that it never runs inside an
 * extent hook (the first mbind of the kind). */
static void hbw_kind_init(struct memkind *kind)
{
    (void)mk_node_family_ready(&hbw_family); /* errors: at check/alloc */
    mk_static_kind_init(kind);
}

MK_EXPORT void memkind_hbw_init_once(void)
{
    hbw_kind_init(MEMKIND_HBW);
}
MK_EXPORT void memkind_hbw_all_init_once(void)
{
    hbw_kind_init(MEMKIND_HBW_ALL);
}
MK_EXPORT void memkind_hbw_hugetlb_init_once(void)
{
    hbw_kind_init(MEMKIND_HBW_HUGETLB);
}
MK_EXPORT void memkind_hbw_all_hugetlb_init_once(void)
{
    hbw_kind_init(MEMKIND_HBW_ALL_HUGETLB);
}
MK_EXPORT void memkind_hbw_preferred_init_once(void)
{
    hbw_kind_init(MEMKIND_HBW_PREFERRED);
}
MK_EXPORT void memkind_hbw_preferred_hugetlb_init_once(void)
{
    hbw_kind_init(MEMKIND_HBW_PREFERRED_HUGETLB);
}
MK_EXPORT void memkind_hbw_interleave_init_once(void)
{
    hbw_kind_init(MEMKIND_HBW_INTERLEAVE);
}
static void hbw_gbtlb_init_once(void)
{
    hbw_kind_init(MEMKIND_HBW_GBTLB);
}
static void hbw_preferred_gbtlb_init_once(void)
{
    hbw_kind_init(MEMKIND_HBW_PREFERRED_GBTLB);
}

#define HBW_MODE_BIND   memkind_default_get_mbind_mode
#define HBW_MODE_PREF   memkind_preferred_get_mbind_mode
#define HBW_MODE_INTERL memkind_interleave_get_mbind_mode
#define HBW_MASK        memkind_hbw_get_mbind_nodemask
#define HBW_MASK_ALL    memkind_hbw_all_get_mbind_nodemask
#define HBW_MASK_PREF   memkind_hbw_get_preferred_mbind_nodemask
#define HBW_2M          memkind_hugetlb_get_mmap_flags

MK_EXPORT struct memkind_ops MEMKIND_HBW_OPS =
    MK_ARENA_KIND_OPS(memkind_hbw_check_available, HBW_MASK, HBW_MODE_BIND,
                      NULL, NULL, memkind_hbw_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_ALL_OPS =
    MK_ARENA_KIND_OPS(memkind_hbw_check_available, HBW_MASK_ALL, HBW_MODE_BIND,
                      NULL, NULL, memkind_hbw_all_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_PREFERRED_OPS =
    MK_ARENA_KIND_OPS(memkind_hbw_check_available, HBW_MASK_PREF, HBW_MODE_PREF,
                      NULL, NULL, memkind_hbw_preferred_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_INTERLEAVE_OPS = MK_ARENA_KIND_OPS(
    memkind_hbw_check_available, HBW_MASK_ALL, HBW_MODE_INTERL, NULL,
    memkind_nohugepage_madvise, memkind_hbw_interleave_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_HUGETLB_OPS = MK_ARENA_KIND_OPS(
    memkind_hbw_hugetlb_check_available, HBW_MASK, HBW_MODE_BIND, HBW_2M, NULL,
    memkind_hbw_hugetlb_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_ALL_HUGETLB_OPS = MK_ARENA_KIND_OPS(
    memkind_hbw_hugetlb_check_available, HBW_MASK_ALL, HBW_MODE_BIND, HBW_2M,
    NULL, memkind_hbw_all_hugetlb_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_PREFERRED_HUGETLB_OPS =
    MK_ARENA_KIND_OPS(memkind_hbw_hugetlb_check_available, HBW_MASK_PREF,
                      HBW_MODE_PREF, HBW_2M, NULL,
                      memkind_hbw_preferred_hugetlb_init_once);
/* COMPAT(1.14): the GBTLB kinds are deprecated - memkind(3).  2 MiB pages
 * in 1 GiB chunks (MK_KIND_GBTLB in static_kinds.def), as 1.14 maps them. */
MK_EXPORT struct memkind_ops MEMKIND_HBW_GBTLB_OPS =
    MK_ARENA_KIND_OPS(hbw_gbtlb_check_available, HBW_MASK, HBW_MODE_BIND,
                      HBW_2M, NULL, hbw_gbtlb_init_once);
MK_EXPORT struct memkind_ops MEMKIND_HBW_PREFERRED_GBTLB_OPS =
    MK_ARENA_KIND_OPS(hbw_gbtlb_check_available, HBW_MASK_PREF, HBW_MODE_PREF,
                      HBW_2M, NULL, hbw_preferred_gbtlb_init_once);
