// SPDX-License-Identifier: BSD-2-Clause
/* memkind_hbw.h - the high-bandwidth memory kinds (memkind_hbw(3)). */
#pragma once

#include "memkind_private.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mk_topology;
struct mk_memattrs;
struct mk_node_cand;

int memkind_hbw_check_available(struct memkind *kind);
int memkind_hbw_hugetlb_check_available(struct memkind *kind);
int memkind_hbw_get_mbind_nodemask(struct memkind *kind,
                                   unsigned long *nodemask,
                                   unsigned long maxnode);
int memkind_hbw_all_get_mbind_nodemask(struct memkind *kind,
                                       unsigned long *nodemask,
                                       unsigned long maxnode);
int memkind_hbw_get_preferred_mbind_nodemask(struct memkind *kind,
                                             unsigned long *nodemask,
                                             unsigned long maxnode);
void memkind_hbw_init_once(void);
void memkind_hbw_all_init_once(void);
void memkind_hbw_hugetlb_init_once(void);
void memkind_hbw_all_hugetlb_init_once(void);
void memkind_hbw_preferred_init_once(void);
void memkind_hbw_preferred_hugetlb_init_once(void);
void memkind_hbw_interleave_init_once(void);

extern struct memkind_ops MEMKIND_HBW_OPS;
extern struct memkind_ops MEMKIND_HBW_ALL_OPS;
extern struct memkind_ops MEMKIND_HBW_HUGETLB_OPS;
extern struct memkind_ops MEMKIND_HBW_ALL_HUGETLB_OPS;
extern struct memkind_ops MEMKIND_HBW_PREFERRED_OPS;
extern struct memkind_ops MEMKIND_HBW_PREFERRED_HUGETLB_OPS;
extern struct memkind_ops MEMKIND_HBW_INTERLEAVE_OPS;
extern struct memkind_ops MEMKIND_HBW_GBTLB_OPS;
extern struct memkind_ops MEMKIND_HBW_PREFERRED_GBTLB_OPS;

/* Internal (hidden) pieces of HBW discovery, pure where noted (tests). */

/// Parses MEMKIND_HBW_THRESHOLD: a decimal number of MB/s, 0 to UINT_MAX.
/// Pure.  Returns true and stores it in *out, false when malformed.
bool mk_hbw_parse_threshold(const char *s, uint64_t *out);
/*
 * For each initiator node of t, the nodes whose bandwidth from it is known
 * and at least threshold.  Pure.  Returns 0 when some initiator has one,
 * else MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE.
 */
int mk_hbw_cand_by_bandwidth(const struct mk_topology *t,
                             const struct mk_memattrs *a, uint64_t threshold,
                             struct mk_node_cand *cand);
/// Every HBW node, whatever the initiator (full-size mask).  Returns 0 or
/// the HBW family's MEMKIND_ERROR_*.
int mk_hbw_nodes_union(unsigned long *mask);

#ifdef __cplusplus
}
#endif
