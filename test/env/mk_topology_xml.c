// SPDX-License-Identifier: BSD-2-Clause
/*
 * mk_topology_xml - writes an hwloc XML topology for HWLOC_XMLFILE, so the
 * env scenarios can give the library memory attributes this machine lacks.
 *
 *   mk_topology_xml OUT.xml SYNTHETIC [ATTR:INIT:TARGET:VALUE ...]
 *
 * SYNTHETIC is an hwloc synthetic description ("pack:1 [numa(memory=8GB)]
 * core:2 pu:1"); ATTR is bw (MiB/s) or lat (ns), INIT and TARGET are NUMA
 * node numbers: the value is set for TARGET as seen from INIT's CPUs.
 * Exit status 0, or 1 with a message.
 */
#include <hwloc.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    hwloc_topology_t t;
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUT.xml SYNTHETIC [bw|lat:I:T:V ...]\n",
                argv[0]);
        return 1;
    }
    if (hwloc_topology_init(&t) || hwloc_topology_set_synthetic(t, argv[2]) ||
        hwloc_topology_load(t)) {
        fprintf(stderr, "%s: cannot build \"%s\"\n", argv[0], argv[2]);
        return 1;
    }
    for (int i = 3; i < argc; i++) {
        char attr[8];
        unsigned init, target;
        unsigned long long value;
        if (sscanf(argv[i], "%7[^:]:%u:%u:%llu", attr, &init, &target,
                   &value) != 4) {
            fprintf(stderr, "%s: bad attribute \"%s\"\n", argv[0], argv[i]);
            return 1;
        }
        hwloc_obj_t in = hwloc_get_numanode_obj_by_os_index(t, init);
        hwloc_obj_t to = hwloc_get_numanode_obj_by_os_index(t, target);
        if (!in || !to) {
            fprintf(stderr, "%s: no node in \"%s\"\n", argv[0], argv[i]);
            return 1;
        }
        struct hwloc_location loc = {.type = HWLOC_LOCATION_TYPE_CPUSET,
                                     .location.cpuset = in->cpuset};
        hwloc_memattr_id_t id = attr[0] == 'b' ? HWLOC_MEMATTR_ID_BANDWIDTH
                                               : HWLOC_MEMATTR_ID_LATENCY;
        if (hwloc_memattr_set_value(t, id, to, &loc, 0, value)) {
            fprintf(stderr, "%s: cannot set \"%s\"\n", argv[0], argv[i]);
            return 1;
        }
    }
    if (hwloc_topology_export_xml(t, argv[1], 0)) {
        fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[1]);
        return 1;
    }
    hwloc_topology_destroy(t);
    return 0;
}
