// SPDX-License-Identifier: BSD-2-Clause
/*
 * hmat.c - reads the memory attributes of the NUMA nodes through hwloc
 * (memkind_hmat.h): bandwidth, latency and locality per initiator node.
 * hwloc honours HWLOC_XMLFILE, which the tests use to describe machines
 * with high-bandwidth memory.  The hwloc topology is dropped once the
 * tables are filled; the tables live as long as the process.
 *
 * libhwloc is loaded with dlopen() the first time attributes are needed
 * (the HBW and memory-attribute kinds), not linked: linking it made every
 * process that loads libmemkind map and relocate libhwloc, libudev and
 * libm, 0.2-0.3 ms of each process start (measured with LD_PRELOAD, which
 * short-lived programs under libmemtier pay in full).  hwloc's inline
 * helpers (helper.h) are replaced by the two loops they stand for, so only
 * exported functions are looked up.
 *
 * #if MK_HAVE_HWLOC: without hwloc (at build or at run time) every
 * attribute is unavailable.
 */
#include "config.h"

#include <memkind/internal/memkind_hmat.h>

#include <memkind/internal/memkind_log.h>

#include <pthread.h>
#include <string.h>

#ifdef MK_HAVE_HWLOC
#include <dlfcn.h>
#include <hwloc.h>
#endif

static struct mk_memattrs attrs = {.err = MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE};
static pthread_once_t attrs_once = PTHREAD_ONCE_INIT;

#ifdef MK_HAVE_HWLOC
/* The libhwloc.so.15 (hwloc 2.x ABI) functions used here. */
static struct {
    int (*topology_init)(hwloc_topology_t *);
    int (*topology_load)(hwloc_topology_t);
    void (*topology_destroy)(hwloc_topology_t);
    unsigned (*get_api_version)(void);
    int (*get_type_depth)(hwloc_topology_t, hwloc_obj_type_t);
    unsigned (*get_nbobjs_by_depth)(hwloc_topology_t, int);
    hwloc_obj_t (*get_obj_by_depth)(hwloc_topology_t, int, unsigned);
    int (*bitmap_iszero)(hwloc_const_bitmap_t);
    int (*memattr_get_value)(hwloc_topology_t, hwloc_memattr_id_t, hwloc_obj_t,
                             struct hwloc_location *, unsigned long,
                             hwloc_uint64_t *);
    int (*get_local_numanode_objs)(hwloc_topology_t, struct hwloc_location *,
                                   unsigned *, hwloc_obj_t *, unsigned long);
} hw;

/* Loads libhwloc and fills hw.  The library stays loaded (RTLD_NODELETE:
 * the attributes are read once per process).  Returns 0, or -1 with the
 * reason logged (library missing or of another major version). */
static int hwloc_load(void)
{
    void *h = dlopen("libhwloc.so.15", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        mk_log_info("cannot load libhwloc: %s", dlerror());
        return -1;
    }
    /* Object pointer to function pointer through memcpy: ISO C has no
     * conversion between them; POSIX guarantees the representation. */
#define HWLOC_SYM(field, name)                                                 \
    do {                                                                       \
        void *sym = dlsym(h, name);                                            \
        if (!sym) {                                                            \
            mk_log_info("libhwloc lacks %s", name);                            \
            return -1;                                                         \
        }                                                                      \
        memcpy(&hw.field, &sym, sizeof(hw.field));                             \
    } while (0)
    HWLOC_SYM(topology_init, "hwloc_topology_init");
    HWLOC_SYM(topology_load, "hwloc_topology_load");
    HWLOC_SYM(topology_destroy, "hwloc_topology_destroy");
    HWLOC_SYM(get_api_version, "hwloc_get_api_version");
    HWLOC_SYM(get_type_depth, "hwloc_get_type_depth");
    HWLOC_SYM(get_nbobjs_by_depth, "hwloc_get_nbobjs_by_depth");
    HWLOC_SYM(get_obj_by_depth, "hwloc_get_obj_by_depth");
    HWLOC_SYM(bitmap_iszero, "hwloc_bitmap_iszero");
    HWLOC_SYM(memattr_get_value, "hwloc_memattr_get_value");
    HWLOC_SYM(get_local_numanode_objs, "hwloc_get_local_numanode_objs");
#undef HWLOC_SYM
    /* The object layout read below is that of the headers built with. */
    if ((hw.get_api_version() >> 16) != (HWLOC_API_VERSION >> 16)) {
        mk_log_info("libhwloc API %#x, built with %#x", hw.get_api_version(),
                    (unsigned)HWLOC_API_VERSION);
        return -1;
    }
    return 0;
}

/* The NUMA node object of OS index os_index, or NULL (what hwloc's inline
 * hwloc_get_numanode_obj_by_os_index does). */
static hwloc_obj_t numanode_by_os_index(hwloc_topology_t h, unsigned os_index)
{
    int depth = hw.get_type_depth(h, HWLOC_OBJ_NUMANODE);
    unsigned n = hw.get_nbobjs_by_depth(h, depth);
    for (unsigned i = 0; i < n; i++) {
        hwloc_obj_t o = hw.get_obj_by_depth(h, depth, i);
        if (o && o->os_index == os_index)
            return o;
    }
    return NULL;
}

/* Fills one initiator's row of bw/lat and its locality set. */
static void read_initiator(hwloc_topology_t h, const struct mk_topology *t,
                           unsigned init, uint64_t *bw, uint64_t *lat,
                           unsigned long *local, hwloc_obj_t *objs)
{
    hwloc_obj_t io = numanode_by_os_index(h, init);
    if (!io || !io->cpuset || hw.bitmap_iszero(io->cpuset)) {
        mk_log_info("hwloc: no CPUs for initiator node %u", init);
        return;
    }
    struct hwloc_location loc = {.type = HWLOC_LOCATION_TYPE_CPUSET,
                                 .location.cpuset = io->cpuset};
    size_t row = (size_t)init * t->nr_nodes;
    for (unsigned n = 0; n < t->nr_nodes; n++) {
        hwloc_obj_t to;
        hwloc_uint64_t v;
        if (!mk_nodemask_isset(t->mem, n) || !(to = numanode_by_os_index(h, n)))
            continue;
        if (hw.memattr_get_value(h, HWLOC_MEMATTR_ID_BANDWIDTH, to, &loc, 0,
                                 &v) == 0 &&
            v) {
            bw[row + n] = v;
            attrs.has_bw = true;
        }
        if (hw.memattr_get_value(h, HWLOC_MEMATTR_ID_LATENCY, to, &loc, 0,
                                 &v) == 0 &&
            v) {
            lat[row + n] = v;
            attrs.has_lat = true;
        }
    }
    unsigned nobj = t->nr_nodes;
    if (hw.get_local_numanode_objs(h, &loc, &nobj, objs, 0) != 0)
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
    if (!bw || !lat || !local || !objs || hwloc_load() != 0)
        goto err_free;
    if (hw.topology_init(&h) != 0) {
        mk_log_err("hwloc initialization failed");
        goto err_free;
    }
    if (hw.topology_load(h) != 0) {
        mk_log_err("hwloc topology load failed");
        goto err_destroy;
    }
    for (unsigned n = 0; n < t->nr_nodes; n++)
        if (mk_nodemask_isset(t->cpu, n))
            read_initiator(h, t, n, bw, lat, local, objs);
    hw.topology_destroy(h);
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
    hw.topology_destroy(h);
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
