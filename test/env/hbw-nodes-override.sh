#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# hbw-nodes-override.sh: MEMKIND_HBW_NODES and MEMKIND_DAX_KMEM_NODES
# naming a node make the HBW and DAX_KMEM kinds available on exactly that
# node (memkind(3) ENVIRONMENT), for every memory node of the machine and
# every spelling numa(3) allows.  MEMKIND_REGULAR stays on the CPU nodes
# and an override wins over a malformed MEMKIND_HBW_THRESHOLD (as 1.14).
. "$top_srcdir/test/env/env-lib.sh"

PROBE_ARGS=alloc
nodes=$(memory_nodes)
first=$(echo "$nodes" | head -n 1)
all=$(echo "$nodes" | paste -s -d, -)

kinds_on()
{
    # kinds_on NODE: every non-huge-page kind of both families serves it.
    for k in MEMKIND_HBW MEMKIND_HBW_ALL MEMKIND_HBW_INTERLEAVE \
        MEMKIND_DAX_KMEM MEMKIND_DAX_KMEM_ALL MEMKIND_DAX_KMEM_INTERLEAVE; do
        expect_match "^$k check=0 cap=[1-9][0-9]* node=$1\$"
    done
    # memkind(3) memkind_get_capacity(): no capacity for PREFERRED kinds.
    for k in MEMKIND_HBW_PREFERRED MEMKIND_DAX_KMEM_PREFERRED; do
        expect_line "$k check=0 cap=-1 node=$1"
    done
}

for n in $nodes; do
    hex=$(printf '0x%x' "$n")
    for v in "$n" "$n-$n" "$n,$n" " $n" "$hex"; do
        ctx="MEMKIND_*_NODES=\"$v\""
        probe MEMKIND_HBW_NODES="$v" MEMKIND_DAX_KMEM_NODES="$v"
        expect_line "hbw_nodes=$n"
        expect_line "dax_kmem_nodes=$n"
        kinds_on "$n"
        expect_line "hbw_check_available=0"
        expect_line "hbw_malloc=MEMKIND_HBW_PREFERRED"
        expect_match "^MEMKIND_REGULAR check=0 cap=[1-9]"
        expect_err_lines 0
    done
done

ctx="MEMKIND_HBW_NODES=all"
probe MEMKIND_HBW_NODES=all MEMKIND_DAX_KMEM_NODES=all
expect_line "hbw_nodes=$all"
expect_line "dax_kmem_nodes=$all"
expect_err_lines 0

ctx="MEMKIND_HBW_NODES=+0"
probe MEMKIND_HBW_NODES=+0 MEMKIND_DAX_KMEM_NODES=+0
expect_line "hbw_nodes=$first"
expect_line "dax_kmem_nodes=$first"

ctx="override with a malformed MEMKIND_HBW_THRESHOLD"
probe MEMKIND_HBW_NODES="$first" MEMKIND_HBW_THRESHOLD=abc
expect_line "hbw_nodes=$first"
expect_err_lines 0

# The huge page kinds against the pool: hugetlb-pool.sh (it resizes the
# pool under the huge page test lock; here it could change under us).

finish
