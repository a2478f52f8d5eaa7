// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind-hbw-nodes - prints the high-bandwidth NUMA nodes as a
 * comma-separated list for "numactl --membind" (memkind-hbw-nodes(1)).
 *
 * The HBW nodes may differ by initiator (the memory attributes say which
 * nodes are fast *from* a CPU), so the tool runs on each node that has
 * CPUs in turn and prints the union of what memkind reports there for
 * MEMKIND_HBW_ALL.  MEMKIND_HBW_NODES and MEMKIND_HBW_THRESHOLD apply.
 *
 * Output and exit status are memkind 1.14's: the list and a newline on
 * standard output, 0; nothing and 1 when there are no HBW nodes (or the
 * environment is malformed); "ERROR: Unknown option ..." on standard
 * output and 2 for a bad argument.  COMPAT(1.14): -h/--help also exits
 * with 2.
 */
#include "config.h"

#include <memkind.h>
#include <memkind/internal/memkind_hbw.h>

#include <numa.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
    "\n"
    "NAME\n"
    "    memkind-hbw-nodes - print the high-bandwidth memory NUMA nodes\n"
    "\n"
    "SYNOPSIS\n"
    "    memkind-hbw-nodes [-h | --help]\n"
    "\n"
    "DESCRIPTION\n"
    "    Writes the NUMA nodes the memkind library treats as high-bandwidth\n"
    "    memory as a comma-separated list, the form numactl --membind\n"
    "    accepts. MEMKIND_HBW_NODES and MEMKIND_HBW_THRESHOLD are honoured.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  the list was printed\n"
    "    1  no high-bandwidth node, or a malformed environment variable\n"
    "    2  invalid argument (also after printing this help)\n"
    "\n"
    "SEE ALSO\n"
    "    memkind-hbw-nodes(1), hbwmalloc(3), memkind(3)\n"
    "\n";

/* ORs the HBW nodes seen from the calling CPU into all; true if any. */
static bool add_nodes_here(struct bitmask *all)
{
    struct bitmask *here = numa_allocate_nodemask();
    bool ok = false;
    if (!here)
        return false;
    if (memkind_hbw_all_get_mbind_nodemask(NULL, here->maskp, here->size) ==
        0) {
        for (unsigned n = 0; n < here->size; n++)
            if (numa_bitmask_isbitset(here, n))
                numa_bitmask_setbit(all, n);
        ok = true;
    }
    numa_bitmask_free(here);
    return ok;
}

static int print_hbw_nodes(void)
{
    struct bitmask *all = numa_allocate_nodemask();
    struct bitmask *cpus = numa_allocate_cpumask();
    bool any = false;
    if (!all || !cpus)
        return 1;
    if (numa_available() < 0) {
        any = add_nodes_here(all);
    } else {
        for (int node = 0; node <= numa_max_node(); node++) {
            if (numa_node_to_cpus(node, cpus) != 0 ||
                numa_bitmask_weight(cpus) == 0 || numa_run_on_node(node) != 0)
                continue;
            any |= add_nodes_here(all);
        }
    }
    int rc = 1;
    if (any && numa_bitmask_weight(all) > 0) {
        const char *sep = "";
        for (unsigned n = 0; n < all->size; n++) {
            if (numa_bitmask_isbitset(all, n)) {
                printf("%s%u", sep, n);
                sep = ",";
            }
        }
        putchar('\n');
        rc = 0;
    }
    numa_bitmask_free(cpus);
    numa_bitmask_free(all);
    return rc;
}

int main(int argc, char *argv[])
{
    if (argc == 1)
        return print_hbw_nodes();
    if (argc == 2 &&
        (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(help, stdout);
        return 2;
    }
    printf("ERROR: Unknown option %s. More info with \"%s --help\".\n", argv[1],
           argv[0]);
    return 2;
}
