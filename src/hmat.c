// SPDX-License-Identifier: BSD-2-Clause
/*
 * hmat.c - reads the memory attributes of the NUMA nodes through hwloc
 * (memkind_hmat.h): bandwidth, latency and locality per initiator node.
 * hwloc honours HWLOC_XMLFILE, which the tests use to describe machines
 * with high-bandwidth memory.  The hwloc topology is dropped once the
 * tables are filled; the tables live as long as the process.
 *
 * #if MK_HAVE_HWLOC: without hwloc every attribute is unavailable.
 */
#include "config.h"

#include <memkind/internal/memkind_hmat.h>

#include <memkind/internal/memkind_log.h>

#include <pthread.h>
#include <string.h>

#ifdef MK_HAVE_HWLOC
#include <hwloc.h>
#endif

static struct mk_memattrs attrs = {.err = MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE};
static pthread_once_t attrs_once = PTHREAD_ONCE_INIT;

#ifdef MK_HAVE_HWLOC
/* Fills one initiator's row of bw/lat and its locality set. */
static void read_initiator(hwloc_topology_t h, const struct mk_topology *t,
                           unsigned init, uint64_t *bw, uint64_t *lat,
                           unsigned long *local, hwloc_obj_t *objs)
{
    hwloc_obj_t io = hwloc_get_numanode_obj_by_os_index(h, init);
    if (!io || !io->cpuset || hwloc_bitmap_iszero(io->cpuset)) {
        mk_log_info("hwloc: no CPUs for initiator node %u", init);
        return;
    }
    struct hwloc_location loc = {.type = HWLOC_LOCATION_TYPE_CPUSET,
                                 .location.cpuset = io->cpuset};
    size_t row = (size_t)init * t->nr_nodes;
    for (unsigned n = 0; n < t->nr_nodes; n++) {
        hwloc_obj_t to;
        hwloc_uint64_t v;
        if (!mk_nodemask_isset(t->mem, n) ||
            !(to = hwloc_get_numanode_obj_by_os_index(h, n)))
            continue;
        if (hwloc_memattr_get_value(h, HWLOC_MEMATTR_ID_BANDWIDTH, to, &loc, 0,
                                    &v) == 0 &&
            v) {
            bw[row + n] = v;
            attrs.has_bw = true;
        }
        if (hwloc_memattr_get_value(h, HWLOC_MEMATTR_ID_LATENCY, to, &loc, 0,
                                    &v) == 0 &&
            v) {
            lat[row + n] = v;
            attrs.has_lat = true;
        }
    }
    unsigned nobj = t->nr_nodes;
    if (hwloc_get_local_numanode_objs(h, &loc, &nobj, objs, 0) != 0)
        return;
    for (unsigned i = 0; i < nobj && i < t->nr_nodes; i++)
        if (objs[i]->os_index < t->nr_nodes)
            mk_nodemask_set(local + (size_t)init * MK_NODEMASK_WORDS,
                            objs[i]->os_index);
}

static void hmat_load(void)
{
    const struct mk_topology *t = mk_topology_get();
    size_t cells = (size_t)t->nr_nodes * t->nr_nodes;
    size_t local_bytes =
        (size_t)t->nr_nodes * MK_NODEMASK_WORDS * sizeof(unsigned long);
    size_t objs_bytes = t->nr_nodes * sizeof(hwloc_obj_t);
    uint64_t *bw = mk_numa_table_alloc(cells * sizeof(*bw));
    uint64_t *lat = mk_numa_table_alloc(cells * sizeof(*lat));
    unsigned long *local = mk_numa_table_alloc(local_bytes);
    hwloc_obj_t *objs = mk_numa_table_alloc(objs_bytes);
    hwloc_topology_t h;
    if (!bw || !lat || !local || !objs)
        goto err_free;
    if (hwloc_topology_init(&h) != 0) {
        mk_log_err("hwloc initialization failed");
        goto err_free;
    }
    if (hwloc_topology_load(h) != 0) {
        mk_log_err("hwloc topology load failed");
        goto err_destroy;
    }
    for (unsigned n = 0; n < t->nr_nodes; n++)
        if (mk_nodemask_isset(t->cpu, n))
            read_initiator(h, t, n, bw, lat, local, objs);
    hwloc_topology_destroy(h);
    mk_numa_table_free(objs, objs_bytes);
    attrs.nr = t->nr_nodes;
    attrs.bw = bw;
    attrs.lat = lat;
    attrs.local = local;
    attrs.err = 0;
    mk_log_info("hwloc: bandwidth %s, latency %s",
                attrs.has_bw ? "known" : "unknown",
                attrs.has_lat ? "known" : "unknown");
    return;

err_destroy:
    hwloc_topology_destroy(h);
err_free:
    mk_numa_table_free(bw, cells * sizeof(*bw));
    mk_numa_table_free(lat, cells * sizeof(*lat));
    mk_numa_table_free(local, local_bytes);
    mk_numa_table_free(objs, objs_bytes);
}
#else
static void hmat_load(void)
{
    mk_log_info("built without hwloc: no memory attributes");
}
#endif

/* The attributes, read once.  Returns them, never NULL (err says whether
 * hwloc could be used). */
const struct mk_memattrs *mk_hmat_get(void)
{
    (void)pthread_once(&attrs_once, hmat_load);
    return &attrs;
}
