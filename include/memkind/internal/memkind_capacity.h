// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_capacity.h - kinds chosen by memory attributes: highest capacity,
 * lowest latency, highest bandwidth (memkind(3) KINDS).
 */
#pragma once

#include "memkind_private.h"

#ifdef __cplusplus
extern "C" {
#endif

extern struct memkind_ops MEMKIND_HIGHEST_CAPACITY_OPS;
extern struct memkind_ops MEMKIND_HIGHEST_CAPACITY_PREFERRED_OPS;
extern struct memkind_ops MEMKIND_HIGHEST_CAPACITY_LOCAL_OPS;
extern struct memkind_ops MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED_OPS;
extern struct memkind_ops MEMKIND_LOWEST_LATENCY_LOCAL_OPS;
extern struct memkind_ops MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED_OPS;
extern struct memkind_ops MEMKIND_HIGHEST_BANDWIDTH_LOCAL_OPS;
extern struct memkind_ops MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED_OPS;

/* Internal (hidden) node choice of these kinds; pure (unit tests). */

struct mk_topology;
struct mk_memattrs;
struct mk_node_cand;

/// The property a *_LOCAL kind optimises.
enum mk_local_goal
{
    MK_LOCAL_CAPACITY,  ///< most memory
    MK_LOCAL_LATENCY,   ///< lowest latency from the initiator
    MK_LOCAL_BANDWIDTH, ///< highest bandwidth from the initiator
};

/// Every initiator gets the node(s) with the most memory.  Returns 0 or
/// MEMKIND_ERROR_UNAVAILABLE.
int mk_cand_highest_capacity(const struct mk_topology *t,
                             struct mk_node_cand *cand);
/// Each initiator gets the one best node of its locality for goal.
/// Returns 0 when some initiator has one, else
/// MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE.
int mk_cand_local_best(const struct mk_topology *t, const struct mk_memattrs *a,
                       enum mk_local_goal goal, struct mk_node_cand *cand);

#ifdef __cplusplus
}
#endif
