// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind-auto-dax-kmem-nodes - prints the NUMA nodes of persistent memory
 * onlined as system RAM (KMEM DAX) as a comma-separated list for
 * "numactl --membind" (memkind-auto-dax-kmem-nodes(1)).  The nodes are
 * those of MEMKIND_DAX_KMEM_ALL, so MEMKIND_DAX_KMEM_NODES applies.
 *
 * Output and exit status are memkind 1.14's: the list and a newline on
 * standard output and 0; 1 when the library was built without libdaxctl
 * (and the environment names no node); 2 for a bad argument (the
 * "ERROR: Unknown option ..." line goes to standard output); 3 for any
 * other failure, such as no KMEM DAX node.
 */
#include "config.h"

#include <memkind.h>
#include <memkind/internal/memkind_dax_kmem.h>
#include <memkind/internal/memkind_numa.h>

#include <stdio.h>
#include <string.h>

static const char help[] =
    "\n"
    "NAME\n"
    "    memkind-auto-dax-kmem-nodes - print the automatically detected\n"
    "    persistent memory (KMEM DAX) NUMA nodes\n"
    "\n"
    "SYNOPSIS\n"
    "    memkind-auto-dax-kmem-nodes [-h | --help]\n"
    "\n"
    "DESCRIPTION\n"
    "    Writes the NUMA nodes of persistent memory that the kernel onlined\n"
    "    as system RAM as a comma-separated list, the form numactl\n"
    "    --membind accepts. MEMKIND_DAX_KMEM_NODES is honoured.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  the list was printed\n"
    "    1  automatic detection is unavailable (built without libdaxctl)\n"
    "    2  invalid argument\n"
    "    3  any other failure, such as no KMEM DAX node\n"
    "\n"
    "SEE ALSO\n"
    "    memkind-auto-dax-kmem-nodes(1), memkind(3)\n"
    "\n";

static int print_dax_kmem_nodes(void)
{
    unsigned long mask[MK_NODEMASK_WORDS];
    int err = memkind_dax_kmem_all_get_mbind_nodemask(NULL, mask, MK_MAX_NODES);
    if (err == MEMKIND_ERROR_OPERATION_FAILED)
        return 1;
    if (err)
        return 3;
    const char *sep = "";
    for (unsigned n = 0; n < MK_MAX_NODES; n++) {
        if (mk_nodemask_isset(mask, n)) {
            printf("%s%u", sep, n);
            sep = ",";
        }
    }
    putchar('\n');
    return 0;
}

int main(int argc, char *argv[])
{
    if (argc == 1)
        return print_dax_kmem_nodes();
    if (argc == 2 &&
        (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(help, stdout);
        return 0;
    }
    printf("ERROR: Unknown option %s. More info with \"%s --help\".\n", argv[1],
           argv[0]);
    return 2;
}
