// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_hmat.h - memory attributes of the NUMA nodes as hwloc reports
 * them (from the ACPI HMAT through sysfs): bandwidth and latency seen from
 * each initiator (CPU) node, and which nodes share an initiator's locality.
 * Used by the HBW family and the *_LOCAL kinds (memkind(3) SYSTEM
 * CONFIGURATION).  Tables are indexed by node id, as in struct mk_topology.
 */
#pragma once

#include "memkind_numa.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mk_memattrs {
    int err;      ///< 0, or MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE: no hwloc
    unsigned nr;  ///< nodes per table row (struct mk_topology nr_nodes)
    bool has_bw;  ///< at least one bandwidth value is known
    bool has_lat; ///< at least one latency value is known
    /// [init * nr + target] bandwidth in MiB/s, 0 when unknown
    const uint64_t *bw;
    /// [init * nr + target] latency in ns, 0 when unknown
    const uint64_t *lat;
    /// [init * MK_NODEMASK_WORDS]: nodes whose locality is exactly the
    /// CPUs of node init (hwloc_get_local_numanode_objs(), no flags)
    const unsigned long *local;
};

/*
 * The attributes of this machine (or of the topology in HWLOC_XMLFILE),
 * read once with hwloc on first use.  Never NULL; err says whether they
 * could be read.  May allocate (hwloc uses the C library's malloc).
 */
const struct mk_memattrs *mk_hmat_get(void);

#ifdef __cplusplus
}
#endif
